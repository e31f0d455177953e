/* metrics_cols.c - the metrics.csv column table and its writer. */
#include <math.h>

#include "metrics_cols.h"

const wu_metric_col wu_metric_cols[WU_METRIC_COUNT] = {
#define WU_METRIC_ROW_(id, name, fmt, help, label) [WU_METRIC_##id] = {name, fmt, help, label},
    WU_METRIC_COLUMNS(WU_METRIC_ROW_)
#undef WU_METRIC_ROW_
};

const char *wu_metric_name(wu_metric m)
{
    return m >= 0 && m < WU_METRIC_COUNT ? wu_metric_cols[m].name : "";
}

const char *wu_metric_label(wu_metric m)
{
    return m >= 0 && m < WU_METRIC_COUNT ? wu_metric_cols[m].label : "";
}

void wu_metrics_write_header(FILE *f)
{
    for (int i = 0; i < WU_METRIC_COUNT; i++) {
        fputs(wu_metric_cols[i].name, f);
        fputc(i + 1 < WU_METRIC_COUNT ? ',' : '\n', f);
    }
}

void wu_metrics_write_row(FILE *f, const double *col)
{
    for (int i = 0; i < WU_METRIC_COUNT; i++) {
        if (!isnan(col[i])) fprintf(f, wu_metric_cols[i].format, col[i]);
        fputc(i + 1 < WU_METRIC_COUNT ? ',' : '\n', f);
    }
}
