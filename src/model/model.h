/* model.h - one interface over the models: a small ops table (create, forward, backward,
 * parameters, diagnostics, destroy) that gpt.c, mlp.c and vit.c each fill, and a handle that a
 * training run, a sweep or a test drives without knowing which model it holds. A new model is
 * a new table and a line in wu_model_find (model.c); nothing above this layer changes.
 *
 *     const wu_model_ops *ops = wu_model_find("vit");     // NULL: no such model
 *     wu_model_config mc = wu_model_default_config();
 *     mc.batch = 16, mc.rows = 28, mc.cols = 28, mc.classes = 10;  // the data's shape
 *     mc.seed = 1, mc.diag = WU_DIAG_ALL;
 *     wu_model m;
 *     if (wu_model_create(&m, ops, &mc, &err) != WU_OK) ...   // built and initialised
 *     if (wu_model_forward(&m, pixels, labels, 16, &loss, &correct) != WU_OK) ...
 *     wu_model_backward(&m);              // m.grads: the gradients of that loss alone
 *     wu_model_diag d;
 *     wu_model_diagnostics(&m, &d);
 *     wu_model_destroy(&m);
 *
 * The shapes of the input (sequence length and vocabulary, or image rows, columns and classes)
 * come from the data; the rest of wu_model_config is the architecture. */
#ifndef WU_MODEL_H
#define WU_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "gpt.h"   /* WU_INIT_* */
#include "mlp.h"   /* WU_ACT_* */
#include "vit.h"   /* WU_POOL_* */
#include "warmup.h"

/* What a model reads: token windows (x = B*seq ints, y = B*seq next tokens) or images
 * (x = B*rows*cols floats in [0, 1], y = B labels). */
typedef enum wu_model_input { WU_INPUT_TOKENS, WU_INPUT_IMAGES } wu_model_input;

typedef struct wu_model_config {
    int batch;                       /* batch capacity: a forward takes 1..batch items */
    /* the data's shape */
    int seq, vocab;                  /* tokens: window length, vocabulary (256 for bytes) */
    int rows, cols, classes;         /* images: pixels per side, labels in [0, classes) */
    /* the architecture */
    int layers, heads, dim, post_ln; /* transformers (GPT, ViT) */
    int init;                        /* GPT: WU_INIT_GPT2 or WU_INIT_XAVIER (gpt.h) */
    double embed_scale;              /* GPT: the input embeddings' multiplier (gpt.h; 0: 1) */
    int depth, width, act;           /* MLP: hidden layers, units, WU_ACT_* */
    int pool;                        /* ViT: WU_POOL_* */
    int precision;                   /* every model's matmuls: WU_PREC_FP32 (0, the default) or
                                        WU_PREC_BF16 (src/nn/nn.h; bf16 operands, float32 sums) */
    uint64_t seed;                   /* create initialises the parameters from it */
    int diag;                        /* WU_DIAG_* bits (diag.h): the diagnostics to compute */
} wu_model_config;

/* Diagnostics of the last forward (WU_DIAG_FORWARD) and backward (WU_DIAG_GRADS). */
typedef struct wu_model_diag {
    float attn_max_logit;    /* the largest pre-softmax attention score over layers; NAN
                                for a model without attention */
    float out_max_logit;     /* the largest output logit */
    float logz_mean;         /* the mean log-partition of the outputs */
    int nlayers;             /* entries of grad_norm_layer */
    double grad_norm_layer[WU_MAX_LAYERS]; /* after backward: the gradient norm of each layer
                                              (GPT, ViT: block; MLP: linear layer) */
} wu_model_diag;

/* The parameters: one buffer of n floats with named views, and its gradients alike. */
/* Fill d from a model's own diagnostics: attn_max_logit the largest of attn[0..L) (NAN when attn
 * is NULL: no attention), the output's largest logit and mean log-partition, and the gradient
 * norms of its L layers (the ops' diagnostics of every model). */
void wu_model_diag_set(wu_model_diag *d, const float *attn, int L, float out_max_logit,
                       float logz_mean, const double *grad_norm_layer);

typedef struct wu_model_params {
    size_t n;
    float *params, *grads;
    const wu_param_view *views;
    int nviews;
} wu_model_params;

typedef struct wu_model_ops {
    const char *name;        /* "gpt", "mlp", "vit" */
    wu_model_input input;
    /* Build an instance for c (shapes checked: WU_EINVAL with a message, WU_ENOMEM) and
       initialise its parameters from c->seed. */
    int (*create)(void **impl, const wu_model_config *c, wu_error *err);
    /* Mean loss of B items against their targets; *correct = right predictions (classifiers;
       0 for a language model). WU_EINVAL for a target out of range (nothing computed). */
    int (*forward)(void *impl, const void *x, const int *y, int B, float *loss, int *correct);
    /* Gradients of the last forward's loss, ADDED to the gradient buffer (which the op does
       not clear; wu_model_backward zeroes it first). */
    void (*backward)(void *impl);
    void (*parameters)(void *impl, wu_model_params *p);
    void (*diagnostics)(const void *impl, wu_model_diag *d);
    void (*destroy)(void *impl);
} wu_model_ops;

extern const wu_model_ops wu_gpt_ops, wu_mlp_ops, wu_vit_ops;

/* ---- names: one table per kind (model.c) ---------------------------------------------------- */

/* The model named `name` ("gpt", "mlp", "vit"), NULL when there is none. */
const wu_model_ops *wu_model_find(const char *name);
/* The i-th model of the registry (0-based), NULL past the last: to list the names. */
const wu_model_ops *wu_model_nth(int i);

/* The MLP's activations: WU_ACT_* by name ("relu", "gelu", "tanh"; -1: none), and back (NULL
 * for a value out of range; iterate from 0 until NULL to list them). */
int wu_model_act_from_name(const char *name);
const char *wu_model_act_name(int act);
/* The ViT's poolings, alike: WU_POOL_* <-> "cls", "mean". */
int wu_model_pool_from_name(const char *name);
const char *wu_model_pool_name(int pool);
/* The GPT's initialisations, alike: WU_INIT_* <-> "gpt2", "xavier". */
int wu_model_init_from_name(const char *name);
const char *wu_model_init_name(int init);
/* The matmuls' precisions, alike: WU_PREC_* (src/nn/nn.h) <-> "fp32", "bf16". */
int wu_model_precision_from_name(const char *name);
const char *wu_model_precision_name(int precision);

/* The defaults of the architecture fields (layers 4, heads 4, dim 128, depth 2, width 256, act
 * relu, pool cls, init gpt2, embed_scale 1, seed 1: those of `warmup train`, whose configuration should take them from
 * here); the data's shapes and batch are zero. */
wu_model_config wu_model_default_config(void);

/* ---- a model instance ------------------------------------------------------------------------ */

/* A model with its parameters at hand. params, grads and views belong to the model (valid until
 * wu_model_destroy); grads has the layout of params (nparams floats, views name the ranges). */
typedef struct wu_model {
    const wu_model_ops *ops;
    void *impl;
    size_t nparams;
    float *params, *grads;
    const wu_param_view *views;
    int nviews;
} wu_model;

/* Build and initialise a model of kind ops for c (c is read, not kept). Returns WU_OK, or
 * WU_EINVAL (a shape or architecture the model cannot take, e.g. a ViT over non-square images)
 * or WU_ENOMEM, with the message in err; on failure *m is zeroed, so wu_model_destroy(m) is
 * safe either way. */
int wu_model_create(wu_model *m, const wu_model_ops *ops, const wu_model_config *c, wu_error *err);
/* Frees an instance (a zeroed wu_model too) and zeroes *m. */
void wu_model_destroy(wu_model *m);
/* Forward B items (1 <= B <= the batch capacity of create): x and y as wu_model_input says.
 * *loss = the mean cross-entropy in nats; *correct (may be NULL) = right argmax predictions of a
 * classifier, 0 for a language model. Returns WU_OK, or WU_EINVAL, with nothing computed and
 * *loss untouched, for B outside 1..batch or a token or label outside [0, vocab) / [0,
 * classes). Only after WU_OK may wu_model_backward and wu_model_diagnostics be called. */
int wu_model_forward(wu_model *m, const void *x, const int *y, int B, float *loss, int *correct);
/* Zero m->grads, then the gradients of the last forward's loss into it (not accumulated over
 * calls: to sum batches, add the buffers yourself). */
void wu_model_backward(wu_model *m);
/* The diagnostics of the last forward (and backward), as c->diag asked; the other fields are
 * what an earlier call left, or zero. */
void wu_model_diagnostics(const wu_model *m, wu_model_diag *d);

#endif
