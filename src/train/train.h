/* train.h - one training run: data, model, optimizer and schedule wired together; a metrics row
 * per step, evaluations, divergence and loss-spike detection, atomic checkpoints, exact resume,
 * and a summary. The CLI's `warmup train` and `warmup demo` are thin layers over this.
 *
 *     wu_train_config c;
 *     wu_train_defaults(&c);                    // the reference GPT on the built-in data
 *     snprintf(c.out, sizeof c.out, "run1");
 *     wu_train_result r;
 *     wu_error err;
 *     int rc = wu_train(&c, 0, 0, NULL, NULL, NULL, &r, &err); // fresh, no limit, no stop flag,
 *                                                               // no progress callback
 *
 * or, a step at a time (what wu_train does, less progress and periodic checkpoints):
 *
 *     wu_run *run;
 *     if (wu_train_open(&run, &c, 0, &err) != WU_OK) ...   // built; metrics.csv started
 *     wu_train_row row;
 *     rc = WU_OK;
 *     while (!wu_train_done(run) && rc == WU_OK) {
 *         rc = wu_train_step(run, &row, &err);              // one update, evaluated when due;
 *         if (rc == WU_OK) rc = wu_train_log(run, &err);    // its row, kept in the run, written
 *     }
 *     int crc = wu_train_close(run, &r, &err);             // summary.json; frees run
 *
 * The calls go in this order: open, then step and log in turn (each step's row is logged before
 * the next step, a checkpoint or close), checkpoint between a log and the next step, close
 * once. A call out of order is refused with WU_EINVAL and changes nothing (close, which always
 * frees the run, then writes neither checkpoint nor summary).
 *
 * Messages about one setting of the configuration start with its field name and a colon
 * ("steps: 10 is fewer than the 40 steps of the run in DIR ..."), so that a front end can name
 * the setting its own way (the CLI prints "--steps 10 is fewer ...").
 *
 * Files in c.out: metrics.csv (a row per step, columns in metrics_cols.h), summary.json,
 * checkpoint.bin (when asked). docs/TRAINING.md documents every column, the summary fields, and
 * the spike and divergence rules. */
#ifndef WU_TRAIN_H
#define WU_TRAIN_H

#include <signal.h>
#include <stdio.h>
#include <stdint.h>

#include "warmup.h"
#include "../util/json.h"
#include "metrics_cols.h"

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
    /* issue 18: the Adam family's second-moment start and bias correction */
    char adam_init[8];      /* zero (Adam) | grad (GI-Adam: v_0 = the first gradient squared) */
    char bias_correction[8]; /* on | off (Adam's m/(1-beta1^t) and v/(1-beta2^t)) */
    double clip;            /* max gradient norm; 0 = no clipping (the norm is still logged) */
    int64_t steps;
    int batch;
    uint64_t seed;
    int layers, heads, dim, seq, post_ln; /* transformers */
    int depth, width;       /* MLP */
    char act[8];            /* MLP: relu | gelu | tanh */
    char pool[8];           /* ViT: cls | mean */
    char init[8];           /* GPT: gpt2 | xavier (issue 18: Xiong et al.'s Post-LN setting) */
    double embed_scale;     /* GPT: the input embeddings' multiplier (1) */
    char precision[8];      /* the matmuls' arithmetic: fp32 (the default) | bf16 (issue 19:
                               bf16 operands, float32 sums, where the CPU has AVX512-BF16) */
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
    int64_t inject_rank_drift; /* fault injection for tests: on K > 1 ranks the last rank adds
                                  1e-3 to one weight after this step (-1: never); the ranks'
                                  agreement check when the session closes must fail the run */
    /* issue 17: the run's lengths when a resume changed them, FROM:STEPS[:restart],... ("":
       one length, steps). The schedule is the spec over the first STEPS, re-planned
       (wu_sched_replan) or restarted over each later STEPS from its FROM on. */
    char segments[256];
    /* diagnostics (probe.c; issue 18) */
    int sharpness_every;    /* every K steps, the loss Hessian's largest eigenvalue on a fixed
                               batch, and Adam's preconditioned one (0: never) */
    int sharpness_iters;    /* Hessian-vector products per eigenvalue, at most (20) */
    int layer_stats_every;  /* every K steps, per-tensor update ratio and angle into
                               DIR/layers.csv (0: never) */
    /* issue 18: the length warmup(auto) takes, in steps (tune.h): -1 = not chosen yet (a
       fresh run whose schedule uses warmup(auto) runs the probe first and records its choice
       here, so a resume does not probe again); 0 = no warmup */
    int64_t auto_warmup;
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
    double items_per_s;     /* tokens/s (GPT) or images/s of this session's training steps:
                               its tokens or images over train_s */
    double items_per_wall_s; /* ... over this session's whole wall time (from open to close:
                                evaluation, the sharpness probe and checkpoints too) */
    double train_s;         /* this session's seconds in training steps (forward, backward,
                               update, their diagnostics, the metrics row) */
    int threads_max;        /* this session's thread count with the machine to itself ... */
    int threads_min;        /* ... and the fewest it used while other processes were busy */
    double wall_s;
    int interrupted;        /* stopped by a signal or stop_after before the end */
    int stopped;            /* ... by *stop (wu_train): on K ranks, by any rank's, so that every
                               rank reports the same (the CLI's exit 130) */
    int failed;             /* opened, then stopped by an error at run time (a full disk, a batch
                               the model refused): not bad input (the CLI's exit 1, not 2) */
    int64_t nonfinite_steps;      /* steps whose loss or gradient was NaN or Inf */
    int64_t first_nonfinite_step; /* -1 when none */
} wu_train_result;

/* Progress: called after every step with the row just logged. */
typedef struct wu_train_progress {
    int64_t step, steps;
    float loss, val_loss;
    double lr, items_per_s, eta_s; /* items_per_s: of the training steps, as in the summary */
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

/* Would a resume of the run in c->out (wu_train with resume 1) load its checkpoint: read,
 * checked, the run built and the checkpoint applied to it, with nothing written? WU_OK, or
 * the error that resume would stop on (what a grid takes for "start afresh"). */
int wu_train_resumable(const wu_train_config *c, wu_error *err);

/* ---- a run, a step at a time --------------------------------------------------------------- */

/* The state of one run (run.h); one per run, not shared between threads. */
typedef struct wu_run wu_run;

/* One step's metrics row (written by wu_train_log) and what happened in it. */
typedef struct wu_train_row {
    double col[WU_METRIC_COUNT];  /* every column of metrics.csv; NaN: an empty cell;
                                     col[WU_METRIC_STEP] is the update just made, 0-based */
    int nonfinite;                /* this step's loss (1) or gradient (2) was NaN or Inf; 0: finite */
    int skipped;                  /* ... and its update was skipped (on_nonfinite "skip") */
    int gave_up;                  /* ... and skipping ended the run: too many in a row */
} wu_train_row;

/* Open a run in c->out: from scratch (resume == 0) or from the checkpoint there (resume == 1:
 * the configuration is the checkpoint's, except that c->steps, when larger than the run's,
 * extends it; on success it is written back into *c, on failure *c is unchanged). Returns
 * WU_OK with *out set, or an error with *out NULL: a bad configuration, missing data, a bad
 * checkpoint, an unusable directory (WU_EINVAL, WU_EIO, WU_ENOMEM).
 *
 * What it changes on disk, in this order, after everything that can fail without writing has
 * passed (the configuration, the data, the model, the checkpoint): from scratch, c->out is
 * created if missing, the new metrics.csv with its header is written beside the old one and
 * synced, an old run's checkpoint.bin and summary.json there are removed, and the new
 * metrics.csv renamed into place (a run already there is replaced: front ends ask first,
 * see wu_run_dir_holds); resumed, metrics.csv is cut back to the rows the checkpoint
 * covers. So a failure of that last part (a full disk) leaves the old run as it was, or a
 * resumed one that still resumes. */
int wu_train_open(wu_run **out, wu_train_config *c, int resume, wu_error *err);
/* Issue 17: resume values when c->steps differs from the run's saved length. 1 (and
 * WU_RESUME_REPLAN) re-plans the schedule from the checkpoint's step to the new length without a
 * jump in the LR (wu_sched_replan; it may also shorten the run); WU_RESUME_RESTART re-evaluates
 * the spec over the new length (the LR may jump; the run can only be extended). Either is
 * recorded in c->segments, and so in summary.json and the checkpoint. */
#define WU_RESUME_REPLAN 1
#define WU_RESUME_RESTART 2

/* Does directory dir hold a run: the files it holds, 1 checkpoint.bin | 2 summary.json |
 * 4 metrics.csv, with a description in `what` ("an interrupted run (checkpoint.bin,
 * metrics.csv)"); 0 (and "") when none. */
int wu_run_dir_holds(const char *dir, char *what, size_t n);

/* Is the run over: every step done, or diverged? */
int wu_train_done(const wu_run *r);

/* One step: the LR, a batch, forward, backward, clipping, the update (skipped or ending the
 * run on a non-finite loss or gradient, as c->on_nonfinite says), spike and divergence
 * bookkeeping, and an evaluation when one is due. Its metrics row stays in the run until
 * wu_train_log writes it; *row (may be NULL) receives a copy. Returns WU_OK; WU_EINVAL when
 * the run is done, has failed, or the previous step's row is not logged yet (nothing happens);
 * or the model's code when it refuses a batch (a target outside its vocabulary or classes: the
 * run is then failed, as below). */
int wu_train_step(wu_run *r, wu_train_row *row, wu_error *err);

/* Append the last step's row to metrics.csv and flush it. WU_EINVAL when there is no row to log
 * (no step since the last log); WU_EIO when it cannot be written: the run is then failed, every
 * later call but close returns that code, and wu_train_close writes nothing more. */
int wu_train_log(wu_run *r, wu_error *err);

/* Write checkpoint.bin now (atomically), covering the steps done and logged. WU_EINVAL while a
 * row is not logged (nothing written); on an error writing it the run is failed, as above. */
int wu_train_checkpoint(wu_run *r, wu_error *err);

/* Finish and free the run: close metrics.csv, fill *res (may be NULL); a run stopped before its
 * end (not done) is "interrupted" and writes a checkpoint to resume from; then summary.json.
 * Writes neither, and returns an error, for a failed run (the failing call's code; err holds
 * its message; res->failed is set, metrics.csv is cut back to its whole rows and a summary.json
 * of an earlier session is removed, so none describes other rows) or one whose last step was
 * not logged (WU_EINVAL). *res is filled in every case.
 * r may be NULL (nothing happens, WU_OK, *res untouched). */
int wu_train_close(wu_run *r, wu_train_result *res, wu_error *err);

/* ---- a whole run --------------------------------------------------------------------------- */

/* Open, step and log until done, close. Stops early, with a checkpoint, when *stop becomes
 * non-zero (a signal handler's flag) or after stop_after steps of this call (0: no limit), and
 * writes a checkpoint every c->checkpoint_every steps. cb (may be NULL) gets every step's
 * progress; r (may be NULL) the result, zeroed first. On resume, *c receives the run's
 * configuration (see wu_train_open). Returns WU_OK when the run ended (completed, diverged or
 * interrupted: see r), or the error of open, a step, a log, a checkpoint or close (bad
 * configuration, missing data, unwritable directory, a batch the model refuses). */
int wu_train(wu_train_config *c, int resume, int64_t stop_after, volatile sig_atomic_t *stop,
             wu_train_cb cb, void *cb_ctx, wu_train_result *r, wu_error *err);

/* Per-layer gradient norms at initialisation, the figure of Xiong et al. 2020: the run of c is
 * built and initialised exactly as wu_train would, and the gradient norm of each layer (GPT, ViT:
 * block; MLP: linear layer) is averaged over `batches` training batches; no update is made and
 * nothing is written. *n receives the number of layers (at most max, at most WU_MAX_LAYERS).
 * Fails (WU_EINVAL) like wu_train_open, or when the model refuses a batch. */
int wu_train_init_grad_norms(const wu_train_config *c, int batches, double *norms, int max,
                             int *n, wu_error *err);

/* Write a configuration as one JSON object (the "config" of summary.json, and of a sweep's
 * manifest): every field of the table but out, each double in the fewest digits that read back
 * exactly (config.h's wu_train_config_from_json reads it). */
void wu_train_config_json(FILE *f, const wu_train_config *c);


#endif
