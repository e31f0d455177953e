/* metrics.h - reading back what runs wrote: columns of a metrics.csv. Reports only read files;
 * they never reach into a running model. A column is named by its wu_metric (the table in
 * src/train/metrics_cols.h that the writer uses too) and found by its header name. */
#ifndef WU_METRICS_H
#define WU_METRICS_H

#include <stdio.h>

#include "warmup.h"
#include "../train/metrics_cols.h"

typedef struct wu_series_data {
    double *x, *y;   /* owned; NaN where a cell is empty */
    int n;
} wu_series_data;

/* Read column `col` (found by its header name) against the step column. WU_EIO when the file
 * cannot be read or has no such column (it was written by another version). */
int wu_metrics_column(const char *csv_path, wu_metric col, wu_series_data *out, wu_error *err);
void wu_series_data_free(wu_series_data *s);

/* Exponential moving average of y with weight alpha on the new value (for smoothed curves). */
void wu_series_ema(wu_series_data *s, double alpha);

#endif
