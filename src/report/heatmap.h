/* heatmap.h - a grid of values coloured by one perceptual scale: the final loss of every
 * (warmup, learning rate) pair of a sweep, at a glance, in SVG or in a terminal.
 *
 * Rows run top to bottom in the order given (like a table), columns left to right. The colour
 * scale spans the finite values; NaN cells (a run that diverged, or never ran; an infinite value
 * counts as NaN) are grey with an x, and nan_label says what they mean.
 *
 *     const char *lr[3] = {"1e-4", "3e-4", "1e-3"}, *wu[2] = {"0%", "10%"};
 *     double v[6] = {2.31, 2.20, NAN, 2.35, 2.18, 2.25};
 *     wu_heatmap h = {.title = "final loss", .xlabel = "peak LR", .ylabel = "warmup",
 *                     .ncols = 3, .nrows = 2, .col_labels = lr, .row_labels = wu, .v = v,
 *                     .nan_label = "diverged", .low_is_good = 1};
 *     wu_heatmap_svg(stdout, &h, 640, 360);
 */
#ifndef WU_HEATMAP_H
#define WU_HEATMAP_H

#include <stdio.h>

typedef struct wu_heatmap {
    const char *title, *xlabel, *ylabel;
    int ncols, nrows;
    const char *const *col_labels;   /* ncols labels along x (e.g. "1e-3") */
    const char *const *row_labels;   /* nrows labels along y (e.g. "10%") */
    const double *v;                 /* nrows*ncols values, row-major; NaN = no value */
    const char *nan_label;           /* what a NaN cell means, e.g. "diverged" (drawn as a grey cell with ×) */
    int low_is_good;                 /* 1: low values get the "good" colour end (losses) */
} wu_heatmap;

/* The colour scale, shared by every renderer: t in [0, 1] (clamped; NaN counts as 0) to sRGB,
 * from dark purple (0) through blue and green to bright yellow (1, the "good" end), lightness
 * rising all the way (a viridis-like interpolation between hand-picked stops). */
void wu_heat_rgb(double t, unsigned char rgb[3]);

/* A standalone SVG document. Returns 0 or -1 on a write error. */
int wu_heatmap_svg(FILE *f, const wu_heatmap *h, int width, int height);

/* Inside an SVG the caller opened: <g class="heatmap"> with one <rect class="cell"
 * data-value="..."> per cell (data-value="NaN" and a <path class="nan-mark"> x for NaN cells)
 * and the value written on it, row and column labels, and <g class="scale">, a colour bar
 * labelled with the smallest and largest value. All text is escaped. */
void wu_heatmap_svg_panel(FILE *f, const wu_heatmap *h, double x0, double y0, double w, double hgt);

/* The terminal: a header of column labels, then one row of cells per heatmap row, each cell the
 * value printed (%.3g) and, when color, an ANSI 256-colour background from the same scale; NaN
 * cells print "×", explained by a closing "×  <nan_label>" line. Column labels longer than the
 * values are cut first, then row labels (to 3 characters). Every line fits in cols columns.
 * Returns 0, or -1 when it cannot fit (or on a write error). */
int wu_heatmap_tty(FILE *f, const wu_heatmap *h, int cols, int color);

#endif
