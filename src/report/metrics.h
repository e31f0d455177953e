/* metrics.h - reading back what runs wrote: columns of a metrics.csv, and the few summary.json
 * fields reports need. Reports only read files; they never reach into a running model. */
#ifndef WU_METRICS_H
#define WU_METRICS_H

#include <stdio.h>

#include "warmup.h"

typedef struct wu_series_data {
    double *x, *y;   /* owned; NaN where a cell is empty */
    int n;
} wu_series_data;

/* Read column `col` (by header name) against the step column. */
int wu_metrics_column(const char *csv_path, const char *col, wu_series_data *out, wu_error *err);
void wu_series_data_free(wu_series_data *s);

/* Exponential moving average of y with weight alpha on the new value (for smoothed curves). */
void wu_series_ema(wu_series_data *s, double alpha);

#endif
