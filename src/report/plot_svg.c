/* plot_svg.c - schedules drawn as an SVG chart (include/warmup_plot.h): the one code path of
 * `warmup plot -o` and the Python package's warmup.plot(). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "plot_data.h"

void wu_plot_data_free(wu_plot_data *d)
{
    free(d->x);
    d->x = NULL;
    for (int i = 0; i < WU_PLOT_MAX_SPECS; i++) {
        free(d->y[i]);
        d->y[i] = NULL;
    }
}

wu_status wu_plot_build(wu_plot_data *d, const char *const *specs, const char *const *labels,
                        int n, const wu_sched_opts *opts, int log_y, const char *title,
                        wu_error *err)
{
    memset(d, 0, sizeof *d);
    if (!specs || n < 1 || n > WU_PLOT_MAX_SPECS)
        return wu_fail(err, WU_EINVAL, "plot: give 1 to %d specs, got %d", WU_PLOT_MAX_SPECS,
                       specs ? n : 0);
    if (!opts) return wu_fail(err, WU_EINVAL, "plot: the schedule options are missing");
    if (opts->total_steps < 1 || opts->total_steps > WU_PLOT_MAX_STEPS)
        return wu_fail(err, WU_EINVAL,
                       "plot: total_steps %lld is out of range: draw 1 to %d steps",
                       (long long)opts->total_steps, WU_PLOT_MAX_STEPS);
    for (int i = 0; i < n; i++)
        if (!specs[i]) return wu_fail(err, WU_EINVAL, "plot: spec %d is missing", i + 1);
    int np = (int)opts->total_steps;
    d->x = malloc(sizeof *d->x * (size_t)np);
    if (!d->x) return wu_fail(err, WU_ENOMEM, "out of memory for %d points", np);
    for (int k = 0; k < np; k++) d->x[k] = (double)k;
    for (int i = 0; i < n; i++) {
        wu_schedule *s;
        wu_status rc = wu_sched_parse(&s, specs[i], opts, err);
        if (rc != WU_OK) {
            wu_plot_data_free(d);
            return rc;
        }
        if (opts->total_steps > wu_sched_horizon(s)) {
            rc = wu_fail(err, WU_EINVAL,
                         "'%s' is defined for %lld steps (PyTorch raises past them); got "
                         "total_steps %lld", specs[i], (long long)wu_sched_horizon(s),
                         (long long)opts->total_steps);
            wu_sched_destroy(s);
            wu_plot_data_free(d);
            return rc;
        }
        d->y[i] = malloc(sizeof *d->y[i] * (size_t)np);
        if (!d->y[i]) {
            wu_sched_destroy(s);
            wu_plot_data_free(d);
            return wu_fail(err, WU_ENOMEM, "out of memory for %d points", np);
        }
        wu_sched_fill(s, d->y[i], (size_t)np, 0);
        int64_t w = wu_sched_warmup_steps(s);
        d->series[i] = (wu_series){.name = labels && labels[i] ? labels[i] : specs[i],
                                   .x = d->x, .y = d->y[i], .n = np,
                                   .mark_x = w > 0 && w < np ? (double)w : NAN};
        wu_sched_destroy(s);
    }
    if (!title) {
        snprintf(d->title, sizeof d->title, "Learning rate over %lld steps (base LR %g)",
                 (long long)opts->total_steps, opts->lr);
        title = d->title;
    }
    d->chart = (wu_chart){.title = title, .xlabel = "step",
                          .ylabel = opts->lr == 1.0 ? "LR (factor of the peak)" : "learning rate",
                          .log_y = log_y, .series = d->series, .nseries = n};
    d->height = 390 + 18 * (n + 1);
    return WU_OK;
}

wu_status wu_plot_svg(char **svg_out, size_t *len, const char *const *specs,
                      const char *const *labels, int n, const wu_sched_opts *opts, int log_y,
                      const char *title, int width, int height, wu_error *err)
{
    if (!svg_out || !len) return wu_fail(err, WU_EINVAL, "plot: no place for the SVG");
    *svg_out = NULL;
    *len = 0;
    if (width < 0 || width > 10000 || height < 0 || height > 10000)
        return wu_fail(err, WU_EINVAL,
                       "plot: width %d and height %d must be 200 to 10000 pixels (0: default)",
                       width, height);
    if ((width > 0 && width < 200) || (height > 0 && height < 200))
        return wu_fail(err, WU_EINVAL,
                       "plot: width %d and height %d must be 200 to 10000 pixels (0: default)",
                       width, height);
    wu_plot_data d;
    wu_status rc = wu_plot_build(&d, specs, labels, n, opts, log_y, title, err);
    if (rc != WU_OK) return rc;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) {
        wu_plot_data_free(&d);
        return wu_fail(err, WU_ENOMEM, "out of memory for the SVG");
    }
    int bad = wu_chart_svg(f, &d.chart, width > 0 ? width : 800, height > 0 ? height : d.height);
    bad |= fclose(f) != 0;
    wu_plot_data_free(&d);
    if (bad || !buf) {
        free(buf);
        return wu_fail(err, WU_ENOMEM, "out of memory for the SVG");
    }
    *svg_out = buf;
    *len = size;
    return WU_OK;
}

void wu_plot_free(char *svg) { free(svg); }
