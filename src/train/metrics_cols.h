/* metrics_cols.h - the columns of metrics.csv, in one table: the writer (wu_train_log) prints
 * the header and every row from it, and every reader (src/report/, src/cli/) names a column
 * through it, so a renamed or removed column cannot silently desynchronise them (a reader
 * fails to compile instead). docs/TRAINING.md explains each column; tests/test_run.c checks
 * that the header equals this table and that the docs name every column.
 *
 *     wu_series_data s;
 *     wu_metrics_column(path, WU_METRIC_LOSS, &s, &err);    // a reader (src/report/metrics.h)
 */
#ifndef WU_METRICS_COLS_H
#define WU_METRICS_COLS_H

#include <stdio.h>

/* X(ID, name, printf format of the double value, meaning, label); an empty cell for NaN. The
 * label is what a chart's axis says: a readable name with its unit. The lr is
 * written with 17 significant digits so that it reads back as the very double the schedule
 * gave; the other measurements with 9 (float precision). */
#define WU_METRIC_COLUMNS(X)                                                                     \
    X(STEP, "step", "%.0f", "the update, 0-based",                                                 \
      "step")                                                                                      \
    X(LR, "lr", "%.17g", "the LR of this update (group 0)",                                        \
      "learning rate")                                                                             \
    X(LOSS, "loss", "%.9g", "the training loss of this step's batch (nats)",                       \
      "training loss (nats)")                                                                      \
    X(GRAD_NORM, "grad_norm", "%.9g", "the global L2 norm of the gradients, before clipping",      \
      "gradient norm (L2, before clipping)")                                                       \
    X(UPDATE_RATIO, "update_ratio", "%.9g", "|update| / |weights before it|",                      \
      "update / weight norm ratio")                                                                \
    X(UPDATE_RMS, "update_rms", "%.9g", "the RMS of the update over all parameters",               \
      "update size (RMS per parameter)")                                                           \
    X(V_MEAN, "v_mean", "%.9g", "Adam family: mean of the bias-corrected second moment",           \
      "Adam v, mean (squared gradient)")                                                           \
    X(V_MIN, "v_min", "%.9g", "Adam family: its smallest entry",                                   \
      "Adam v, smallest (squared gradient)")                                                       \
    X(V_MAX, "v_max", "%.9g", "Adam family: its largest entry",                                    \
      "Adam v, largest (squared gradient)")                                                        \
    X(V_FRAC_BELOW_EPS, "v_frac_below_eps", "%.9g", "Adam family: fraction with sqrt(v) < eps",    \
      "fraction of v with sqrt(v) < eps")                                                          \
    X(RADAM_RECT, "radam_rect", "%.9g", "RAdam: the rectification term",                           \
      "RAdam rectification term")                                                                  \
    X(ATTN_MAX_LOGIT, "attn_max_logit", "%.9g", "transformers: the largest attention score",       \
      "largest attention score")                                                                   \
    X(OUT_MAX_LOGIT, "out_max_logit", "%.9g", "the largest output logit",                          \
      "largest output logit")                                                                      \
    X(LOGZ_MEAN, "logz_mean", "%.9g", "the mean log-partition of the outputs",                     \
      "mean log-partition (nats)")                                                                 \
    X(ACC, "acc", "%.9g", "classifiers: this batch's accuracy",                                    \
      "training accuracy (fraction)")                                                              \
    X(VAL_LOSS, "val_loss", "%.9g", "held-out loss, at evaluations (else empty)",                  \
      "validation loss (nats)")                                                                    \
    X(VAL_ACC, "val_acc", "%.9g", "classifiers: held-out accuracy, at evaluations",                \
      "validation accuracy (fraction)")                                                            \
    X(SHARPNESS, "sharpness", "%.9g", "sharpness_every: the loss Hessian's largest "             \
      "eigenvalue on the probe batch, before this update (else empty)",                            \
      "sharpness (largest Hessian eigenvalue)")                                                    \
    X(SHARPNESS_LR, "sharpness_lr", "%.9g", "lr x sharpness: SGD is stable below 2 (2 (1 + "      \
      "momentum) with momentum)",                                                                  \
      "lr x sharpness")                                                                            \
    X(PRECOND_SHARPNESS, "precond_sharpness", "%.9g", "Adam family: the largest eigenvalue of "   \
      "diag(1/(sqrt(v_hat)+eps)) H (empty before the first update)",                               \
      "preconditioned sharpness")                                                                  \
    X(PRECOND_SHARPNESS_LR, "precond_sharpness_lr", "%.9g", "lr x precond_sharpness: Adam is "    \
      "stable below 2 (1 + beta1) / (1 - beta1), 38 at beta1 0.9",                                 \
      "lr x preconditioned sharpness")                                                             \
    X(TIME_S, "time_s", "%.3f", "wall seconds since the run started, over all its sessions",       \
      "wall time (s)")

typedef enum wu_metric {
#define WU_METRIC_ENUM_(id, name, fmt, help, label) WU_METRIC_##id,
    WU_METRIC_COLUMNS(WU_METRIC_ENUM_)
#undef WU_METRIC_ENUM_
    WU_METRIC_COUNT
} wu_metric;

typedef struct wu_metric_col {
    const char *name;    /* the header name */
    const char *format;  /* printf format of the cell's double */
    const char *help;    /* one line: what it is */
    const char *label;   /* a chart axis: a readable name with its unit, "gradient norm (L2, ...)" */
} wu_metric_col;

extern const wu_metric_col wu_metric_cols[WU_METRIC_COUNT];

/* The header name of a column. */
const char *wu_metric_name(wu_metric m);

/* The axis label of a column: a readable name with its unit. */
const char *wu_metric_label(wu_metric m);

/* The header line, "step,lr,...,time_s\n". */
void wu_metrics_write_header(FILE *f);

/* One row: col[WU_METRIC_*] for every column, NaN written as an empty cell. */
void wu_metrics_write_row(FILE *f, const double *col);

#endif
