/* warmup_plot.h - schedules drawn as an SVG chart: the picture `warmup plot -o FILE` writes.
 *
 * Shipped as its own shared library, libwarmup_plot.so (self-contained: it carries the schedule
 * code and the chart code it needs and exports only the functions below; it needs libm and
 * libc, nothing else). The Python package's warmup.plot() calls it, so Python and the CLI draw
 * byte-identical SVG.
 *
 *     const char *specs[] = {"cosine", "warmup(10%) > cosine"};
 *     wu_sched_opts o = {.lr = 1.0, .total_steps = 1000};
 *     char *svg; size_t len; wu_error err;
 *     if (wu_plot_svg(&svg, &len, specs, NULL, 2, &o, 0, NULL, 0, 0, &err) == WU_OK) {
 *         fwrite(svg, 1, len, f);
 *         wu_plot_free(svg);
 *     }
 */
#ifndef WARMUP_PLOT_H
#define WARMUP_PLOT_H

#include "warmup.h"

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many schedules on one chart. */
#define WU_PLOT_MAX_SPECS 8
/* At most this many steps (points per schedule). */
#define WU_PLOT_MAX_STEPS 50000000

/* Draw schedules on one chart, as a standalone SVG document.
 *   svg_out, len: receive the document (NUL-terminated; len excludes the NUL), allocated with
 *          malloc and owned by the caller: free it with wu_plot_free() (or free()). NULL and 0
 *          on failure.
 *   specs, n: the schedules (1 .. WU_PLOT_MAX_SPECS spec texts).
 *   labels: NULL, or n legend names (a NULL entry: that spec's text).
 *   opts:  lr (the y axis is "LR (factor of the peak)" when it is 1), total_steps (the steps
 *          drawn, 1 .. WU_PLOT_MAX_STEPS; it also resolves `10%`), steps_per_epoch.
 *   log_y: 1 for a logarithmic LR axis.
 *   title: NULL for "Learning rate over N steps (base LR X)".
 *   width, height: pixels; 0 for 800 wide and a height that fits the legend.
 *   err:   may be NULL.
 * Returns WU_OK, WU_EPARSE / WU_EINVAL / WU_ERANGE for a spec (err->msg as wu_sched_parse's,
 * err->line / col set) or for an argument out of range (the message names the field),
 * or WU_ENOMEM. */
WU_API wu_status wu_plot_svg(char **svg_out, size_t *len, const char *const *specs,
                             const char *const *labels, int n, const wu_sched_opts *opts,
                             int log_y, const char *title, int width, int height, wu_error *err);

/* Free a document from wu_plot_svg. NULL is a no-op. */
WU_API void wu_plot_free(char *svg);

#ifdef __cplusplus
}
#endif
#endif /* WARMUP_PLOT_H */
