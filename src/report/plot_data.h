/* plot_data.h - schedules turned into a chart (include/warmup_plot.h's wu_plot_svg and the
 * CLI's terminal chart share it, so both draw the same series, title and labels). */
#ifndef WU_PLOT_DATA_H
#define WU_PLOT_DATA_H

#include "warmup.h"
#include "warmup_plot.h"
#include "chart.h"

typedef struct wu_plot_data {
    wu_series series[WU_PLOT_MAX_SPECS];
    double *x, *y[WU_PLOT_MAX_SPECS];
    wu_chart chart;
    char title[160];
    int height;           /* the default SVG height: the plot 300 px high, the legend under it */
} wu_plot_data;

/* Check the arguments (see wu_plot_svg), evaluate every spec over opts->total_steps steps and
 * fill d->chart. On failure d holds nothing to free; on success free it with
 * wu_plot_data_free. */
wu_status wu_plot_build(wu_plot_data *d, const char *const *specs, const char *const *labels,
                        int n, const wu_sched_opts *opts, int log_y, const char *title,
                        wu_error *err);
void wu_plot_data_free(wu_plot_data *d);

#endif
