/* train.h - one training run: data, model, optimizer and schedule wired together; a metrics row
 * per step, evaluations, divergence and loss-spike detection, atomic checkpoints, exact resume,
 * and a summary. The CLI's `warmup train` and `warmup demo` are thin layers over this.
 *
 *     wu_train_config c;
 *     wu_train_defaults(&c);                    // the reference GPT on the built-in data
 *     snprintf(c.out, sizeof c.out, "run1");
 *     wu_train_result r;
 *     int rc = wu_train(&c, NULL, &r, &err);    // NULL: no progress callback
 *
 * Files in c.out: metrics.csv (a row per step), summary.json, checkpoint.bin (when asked).
 * docs/TRAINING.md documents every column, the summary fields, and the spike and divergence
 * rules. */
#ifndef WU_TRAIN_H
#define WU_TRAIN_H

#include <signal.h>
#include <stdio.h>
#include <stdint.h>

#include "warmup.h"
#include "../util/json.h"

/* A run's settings. Every member has a row in config.h's field table (wu_cfg_fields), which
 * gives its default, range, option and help; add one there when adding one here. */
typedef struct wu_train_config {
    char model[8];          /* gpt | mlp | vit */
    char data[512];         /* builtin | fashion-mnist | a text file or directory (GPT), an IDX
                               directory (MLP, ViT) */
    char schedule[512];     /* any spec (docs/SPEC.md) */
    double lr;
    char optimizer[8];      /* sgd | adam | adamw | radam */
    double beta1, beta2, eps, momentum, weight_decay;
    double clip;            /* max gradient norm; 0 = no clipping (the norm is still logged) */
    int64_t steps;
    int batch;
    uint64_t seed;
    int layers, heads, dim, seq, post_ln; /* transformers */
    int depth, width;       /* MLP */
    char act[8];            /* MLP: relu | gelu | tanh */
    char pool[8];           /* ViT: cls | mean */
    int eval_every;         /* steps between evaluations (0: only at the end) */
    int eval_batches;       /* validation batches per evaluation (text) */
    int checkpoint_every;   /* 0: only when stopped or interrupted */
    int64_t builtin_bytes;  /* size of the built-in corpus */
    double diverge_factor;  /* a loss above factor x the first loss is divergence (2) */
    char on_nonfinite[8];   /* a NaN/Inf loss or gradient: "stop" (divergence, the default) or
                               "skip" (no update this step; 20 in a row stop the run) */
    int64_t inject_nonfinite; /* fault injection for tests: a NaN put into the gradients at
                                 this step (-1: never) ... */
    int64_t inject_count;     /* ... and the inject_count - 1 steps after it (1) */
    char out[512];          /* the run directory */
} wu_train_config;

typedef struct wu_train_result {
    int64_t steps_done;
    float first_loss, final_loss, best_loss, final_val_loss, final_val_acc;
    int64_t best_step;
    int diverged;
    int64_t diverged_at;    /* -1 when it did not */
    int spikes;
    double max_grad_norm_early; /* the largest gradient norm in the first 10% of the steps */
    double items_per_s;     /* tokens/s (GPT) or images/s */
    double wall_s;
    int interrupted;        /* stopped by a signal or stop_after before the end */
    int64_t nonfinite_steps;      /* steps whose loss or gradient was NaN or Inf */
    int64_t first_nonfinite_step; /* -1 when none */
} wu_train_result;

/* Progress: called after every step with the row just logged (may be NULL). */
typedef struct wu_train_progress {
    int64_t step, steps;
    float loss, val_loss;
    double lr, items_per_s, eta_s;
    int nonfinite;          /* this step's loss (1) or gradient (2) was NaN or Inf; 0: finite */
    int skipped;            /* ... and its update was skipped (--on-nonfinite skip) */
    int gave_up;            /* ... and skipping ended the run: too many in a row */
} wu_train_progress;
typedef void (*wu_train_cb)(const wu_train_progress *p, void *ctx);

/* The defaults of config.h's table. */
void wu_train_defaults(wu_train_config *c);

/* Check a configuration without running it (every value, the model/data combination). Messages
 * name fields, not options ("lr must be positive"); config.h's wu_cfg_check also says which. */
int wu_train_check(const wu_train_config *c, wu_error *err);

/* Run from scratch (resume == 0) or continue the run in c->out from its checkpoint
 * (resume == 1: the configuration is read from the checkpoint; c->steps, when larger, extends
 * the run). Stops early, with a checkpoint, when *stop becomes non-zero (a signal handler's
 * flag) or after stop_after steps of this call (0: no limit).
 * Returns WU_OK when the run ended (completed, diverged or interrupted: see r), or an error
 * (bad configuration, missing data, unwritable directory) with nothing half-written left. */
int wu_train(wu_train_config *c, int resume, int64_t stop_after, volatile sig_atomic_t *stop,
             wu_train_cb cb, void *cb_ctx, wu_train_result *r, wu_error *err);

/* Per-layer gradient norms at initialisation, the figure of Xiong et al. 2020: the run of c is
 * built and initialised exactly as wu_train would, and the gradient norm of each layer (GPT, ViT:
 * block; MLP: linear layer) is averaged over `batches` training batches; no update is made and
 * nothing is written. *n receives the number of layers (at most max, at most 64). */
int wu_train_init_grad_norms(const wu_train_config *c, int batches, double *norms, int max,
                             int *n, wu_error *err);

/* Write a configuration as one JSON object (the "config" of summary.json, and of a sweep's
 * manifest): every field of the table but out, each double in the fewest digits that read back
 * exactly (config.h's wu_train_config_from_json reads it). */
void wu_train_config_json(FILE *f, const wu_train_config *c);


#endif
