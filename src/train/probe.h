/* probe.h - a run's optional diagnostics (probe.c): the sharpness probe (c.sharpness_every)
 * and per-layer update statistics (c.layer_stats_every, DIR/layers.csv). Internal to the
 * train layer: step.c calls them, run.c opens and frees them. */
#ifndef WU_PROBE_H
#define WU_PROBE_H

#include <stdint.h>
#include <stdio.h>

#include "warmup.h"

/* The header of layers.csv: one row per parameter tensor per logged step. */
#define WU_LAYERS_HEADER "step,layer,name,update_ratio,angle_deg"

/* The relative tolerance at which a probe's Lanczos iteration stops (sharpness.h). */
#define WU_PROBE_TOL 1e-4

typedef struct wu_probe {
    /* sharpness */
    int *tok, *tgt, *labels;   /* the fixed batch (text: B x seq tokens; images: labels) */
    float *x;                  /* images: B x pixels */
    double *work;              /* 4 n: the Lanczos vectors */
    float *fwork;              /* 2 n: the finite differences' point and gradient */
    float *scale;              /* n: sqrt of Adam's preconditioner */
    /* layer statistics */
    float *before;             /* n: the weights before this update */
    float *prev;               /* n: the previous update (of step prev_step) */
    int64_t prev_step;         /* -1: none yet in this session */
    double *ratio, *angle;     /* per view: this row's values */
    int have_row;              /* a row (of step row_step) waits for wu_probe_layers_log */
    int64_t row_step;
    FILE *layers;              /* rank 0: layers.csv, open for appending */
    char path[600];
} wu_probe;

struct wu_run;
int wu_probe_init(struct wu_run *r, wu_error *err);        /* after the run is built */
void wu_probe_free(struct wu_run *r);
int wu_probe_layers_open(struct wu_run *r, int resume, wu_error *err); /* with metrics.csv */
/* Before a step's forward: lambda_max of H, and of P H (NaN for SGD and before Adam's first
 * update); the weights are left as they were. */
void wu_probe_sharpness(struct wu_run *r, double *lambda, double *lambda_precond);
/* s = sqrt(P), P = diag(1/(sqrt(v_hat) + eps)), from optimizer o's second moment (n floats, the
 * optimizer's size; entries no group updates are left as they are). Returns 0, s untouched,
 * when o has no second moment (SGD) or has made no update yet. */
int wu_probe_precond(const wu_optim *o, float *s);
void wu_probe_layers_before(struct wu_run *r, int64_t k); /* before update k */
int wu_probe_layers_after(struct wu_run *r, int64_t k);   /* after it: 1 when a row is due */
int wu_probe_layers_log(struct wu_run *r, wu_error *err); /* with wu_train_log */

#endif
