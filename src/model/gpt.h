/* gpt.h - a GPT-style byte-level language model, Pre-LN (GPT-2) or Post-LN (the original
 * Transformer), with hand-written forward and backward passes over src/nn/ kernels.
 *
 *     wu_gpt_config cfg = wu_gpt_default_config();   // 4 layers, 4 heads, width 128, ctx 64
 *     wu_gpt *m;
 *     if (wu_gpt_create(&m, &cfg, B, T, &err) != WU_OK) ...
 *     wu_gpt_init(m, seed);                            // GPT-2 init
 *     float loss;
 *     wu_gpt_forward(m, tokens, targets, B, T, &loss); // also prepares d(loss)/d(logits)
 *     wu_gpt_zero_grad(m);
 *     wu_gpt_backward(m);                              // m->grads, same layout as m->params
 *     wu_optim_step(opt, m->params, m->grads, NULL);
 *
 * All parameters live in one buffer with named views (m->views), in the order of PyTorch's
 * state_dict: wte, wpe, then per layer ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
 * mlp.c_proj (weights (out, in) as nn.Linear), then ln_f (Pre-LN only). The output layer is
 * tied to wte. Activations for (B, T) are allocated once; a step allocates nothing. */
#ifndef WU_GPT_H
#define WU_GPT_H

#include "diag.h"
#include "warmup.h"

#define WU_GPT_MAX_LAYERS 32

enum { WU_INIT_GPT2, WU_INIT_XAVIER };

typedef struct wu_gpt_config {
    int vocab;       /* 256 for bytes */
    int ctx;         /* maximum sequence length (position embeddings) */
    int layers, heads, dim; /* dim divisible by heads */
    int post_ln;     /* 0: Pre-LN (GPT-2), 1: Post-LN (Vaswani et al.; no final LayerNorm) */
    int init;        /* WU_INIT_GPT2: N(0, std), residual projections std/sqrt(2L), biases 0;
                        WU_INIT_XAVIER: Glorot-uniform linear weights, N(0, std) embeddings */
    double init_std; /* 0.02 for GPT-2 */
    double embed_scale; /* > 0: the input embeddings wte[token] + wpe[position] are multiplied
                           by it before the first block (1; Vaswani et al. 2017 use sqrt(dim)).
                           The tied output layer reads wte unscaled, so with GPT-2's std 0.02,
                           35 gives a unit-scale residual stream and unchanged initial logits */
    int precision;   /* the matmuls' (output layer included): WU_PREC_FP32 (0, the default:
                        PyTorch's bits) or WU_PREC_BF16 (bf16 operands, float32 sums; src/nn/nn.h).
                        Parameters, gradients and activations are float32 either way */
} wu_gpt_config;

/* What one forward / backward saw, filled as m->diag asks (diag.h; off by default). */
typedef struct wu_gpt_diag {
    float attn_max_logit[WU_GPT_MAX_LAYERS]; /* largest pre-softmax attention score per layer */
    float attn_entropy[WU_GPT_MAX_LAYERS];   /* mean attention-row entropy per layer (nats) */
    float out_max_logit;                     /* largest output logit */
    float logz_mean;                         /* mean log-partition log(sum exp(logits)) */
    double grad_norm_layer[WU_GPT_MAX_LAYERS]; /* L2 norm of each block's parameter gradients */
    double grad_norm_embed;                  /* wte + wpe */
    double grad_norm_final;                  /* ln_f (Pre-LN; 0 for Post-LN) */
} wu_gpt_diag;

typedef struct wu_gpt {
    wu_gpt_config cfg;
    int B, T;               /* the activation capacity */
    size_t nparams;
    float *params, *grads;  /* nparams floats each */
    wu_param_view *views;   /* named slices of params, PyTorch state_dict order */
    int nviews;
    size_t layer_off[WU_GPT_MAX_LAYERS + 1]; /* block l's parameters: [layer_off[l], layer_off[l+1]) */
    float *logits;          /* (B,T,V): after forward, the softmax or d(loss)/d(logits) */
    float *losses;          /* (B,T) per-token losses of the last forward */
    int diag;               /* WU_DIAG_* bits (diag.h): what of wu_gpt_diag to compute */
    wu_gpt_diag d;
    struct wu_gpt_impl *impl;
} wu_gpt;

/* The reference configuration: vocab 256, ctx 64, 4 layers, 4 heads, width 128, Pre-LN, GPT-2
 * init with std 0.02, embedding scale 1 (834,304 parameters). */
wu_gpt_config wu_gpt_default_config(void);

/* Allocate a model and its activations for batches up to B x T (T <= ctx). Parameters are
 * zero until wu_gpt_init. Returns WU_OK, WU_EINVAL (sizes out of range, dim not divisible by
 * heads, T > ctx) or WU_ENOMEM. */
int wu_gpt_create(wu_gpt **out, const wu_gpt_config *cfg, int B, int T, wu_error *err);
void wu_gpt_destroy(wu_gpt *m);

/* Initialise the parameters from a seed, with the configured scheme. */
void wu_gpt_init(wu_gpt *m, uint64_t seed);

/* Forward pass on tokens (B,T) with values in [0, vocab). With targets: *loss = the mean
 * cross-entropy, and m->logits holds d(loss)/d(logits) ready for wu_gpt_backward. Without
 * (NULL): m->logits holds the logits, *loss is untouched. Returns WU_OK, or WU_EINVAL for a
 * token or target out of range or a shape larger than the capacity (nothing computed). */
int wu_gpt_forward(wu_gpt *m, const int *tokens, const int *targets, int B, int T, float *loss);

/* Set every parameter gradient to zero. */
void wu_gpt_zero_grad(wu_gpt *m);

/* Backward pass of the last forward with targets: accumulates into m->grads. */
void wu_gpt_backward(wu_gpt *m);

/* Bytes of memory the model holds (parameters, gradients, activations, scratch): the sum of
 * wu_gpt_memory_parts. */
size_t wu_gpt_memory(const wu_gpt *m);

/* Where wu_gpt_memory's bytes go, at the model's capacity B x T. */
typedef struct wu_gpt_memory_parts {
    size_t params, grads; /* nparams floats each */
    size_t activations;   /* what the backward reads: the residual stream at every layer
                             boundary, each block's saved activations (ln_1, qkv, attention
                             probabilities, ..., the MLP's 4C hidden layer before and after GELU),
                             ln_f's output and the logits */
    size_t scratch;       /* the backward's gradient buffers, one block's worth reused by all */
    size_t other;         /* the batch's tokens, targets and per-token losses, the views */
} wu_gpt_memory_parts;
void wu_gpt_memory_split(const wu_gpt *m, wu_gpt_memory_parts *parts);

/* Floating-point operations of one training step (forward + backward) at B x T, counting a
 * multiply-add as 2: the matmuls and the attention. */
double wu_gpt_flops(const wu_gpt_config *cfg, int B, int T);

#endif
