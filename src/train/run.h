/* run.h - the state of a training run, shared by run.c (opening and closing it), step.c (a step
 * and its metrics row), train.c (the loop) and ckpt.c (saving and restoring it). Not part of
 * any public interface: train.h declares struct wu_run opaque. */
#ifndef WU_RUN_H
#define WU_RUN_H

#include "../data/data.h"
#include "../model/model.h"
#include "../optim/optim_names.h"
#include "../util/cpuload.h"
#include "probe.h"
#include "train.h"

#define WU_SPIKE_WINDOW 20

/* Loss bookkeeping that the summary needs; saved in checkpoints so a resumed run counts alike. */
typedef struct wu_tracker {
    float first_loss, best_loss, last_loss, last_val_loss, last_val_acc;
    int64_t best_step;
    int spikes, in_spike;
    float window[WU_SPIKE_WINDOW]; /* the last losses, a ring */
    int nwin;
    double max_gnorm_early;
    int diverged;
    int64_t diverged_at;
    int64_t nonfinite, first_nonfinite; /* NaN/Inf steps: how many, the first (-1: none) */
    int nonfinite_run;                  /* consecutive ones, to stop a hopeless run */
    int have_first;                     /* first_loss is set (the first tracked step's loss) */
} wu_tracker;

/* --on-nonfinite skip gives up after this many non-finite steps in a row: by then the weights
 * themselves are not finite, and no later step can be. */
#define WU_MAX_NONFINITE_RUN 20

struct wu_run {
    wu_train_config c;
    wu_model net;             /* the model: its ops and parameters */
    wu_optim *opt;
    wu_optim_kind optim_kind;
    wu_schedule *sched;
    int text;                 /* the model reads tokens (GPT on bytes), else images */
    wu_corpus corpus;
    wu_rng data_rng;          /* text batches */
    wu_images train, test;
    wu_loader loader;         /* image batches */
    size_t pixels;            /* images: rows x cols floats per item (<= WU_IMAGE_MAX_PIXELS) */
    int *tok, *tgt, *idx, *labels;
    float *x;
    wu_tracker tr;
    int64_t step;             /* steps done */
    double elapsed_before;    /* wall seconds of earlier sessions of this run */
    long metrics_off;         /* bytes of metrics.csv covering the steps done */
    /* this session only (not in checkpoints) */
    FILE *metrics;            /* metrics.csv, open for appending (NULL: not opened) */
    char metrics_path[600];
    double t0;                /* when elapsed_before was last brought up to date */
    double session_t0;        /* when this session began */
    double session_items;     /* tokens or images this session */
    double aside_s;           /* this session's seconds not spent training: evaluation, the
                                 sharpness probe, checkpoints (wu_run_train_s) */
    int64_t started;          /* r->step when this session began */
    int failed;               /* the error code of a failed step, log or checkpoint (0: none) */
    wu_train_row row;         /* the last step's metrics row ... */
    int pending;              /* ... made by wu_train_step and not yet written by wu_train_log */
    /* the thread governor (wu_run_threads): fewer threads while other processes use our cores */
    wu_cpuload load;          /* the last sample (load.ncpu 0: the governor is off) */
    int threads, threads_max, threads_min; /* in use now; the most it may use; the fewest used */
    /* data-parallel (dist.h): this process's rank of ranks; each takes rank_batch rows of the
       global batch c.batch, at rank * rank_batch; rank 0 alone writes files */
    int rank, ranks, rank_batch;
    wu_probe probe;           /* sharpness and layer statistics (probe.h); unused at K = 0 */
    struct wu_tune_result *tune; /* issue 18: the warmup(auto) probe this session ran (NULL:
                                    none; summary.json's auto_warmup) */
    int grad_norms;           /* wu_run_build makes a model that computes per-layer gradient
                                 norms (wu_train_init_grad_norms); a training step does not */
};

/* run.c */
int wu_run_build(wu_run *r, wu_error *err);     /* data, model, optimizer for r->c; on an error,
                                                   wu_run_free frees what was made */
void wu_run_free(wu_run *r);                    /* everything wu_run_build made; not r */
void wu_run_next_batch(wu_run *r);              /* the next training batch into tok/tgt or x/labels */
double wu_run_now(void);                        /* monotonic seconds */
/* This session's seconds in training steps up to `now` (a wu_run_now reading): its wall time
 * less evaluation, the sharpness probe and checkpoints (r->aside_s). The throughput of
 * summary.json and of the progress line divides by it (issue 19). */
double wu_run_train_s(const wu_run *r, double now);
void wu_run_threads_start(wu_run *r);           /* the governor: at the start of a session ... */
void wu_run_threads(wu_run *r);                 /* ... and before each step */
/* On K ranks: do all ranks hold the same parameters and optimizer state? (A hash of both,
 * compared over the ranks: a collective, every rank calls it.) Checked at every checkpoint and
 * when a session closes; wu_run_drift_fail fails the run with the message that says so. */
int wu_run_ranks_agree(const wu_run *r);
int wu_run_drift_fail(wu_run *r, wu_error *err);

/* ckpt.c */
int wu_ckpt_save(const wu_run *r, wu_error *err);
/* Read the checkpoint in dir: fills r->c (the configuration) and keeps the rest in *blob for
 * wu_ckpt_apply once the run is built. */
int wu_ckpt_read(const char *dir, wu_train_config *c, unsigned char **blob, size_t *len,
                 wu_error *err);
int wu_ckpt_apply(wu_run *r, const unsigned char *blob, size_t len, wu_error *err);

#endif
