/* chart.h - line charts as data, rendered to SVG (svg.c) or to a terminal (tty.c).
 *
 * A wu_chart holds series of (x, y) points, a title and axis labels; wu_chart_axes() turns the
 * data range into axes with readable ticks, and both renderers draw from the same axes, so an SVG
 * and a terminal chart of the same data agree. The model is small on purpose: later reports
 * (loss curves, twin axes, heatmaps, multi-panel figures) add series kinds and call
 * wu_chart_svg_panel() once per panel of a larger <svg>.
 *
 *     double x[3] = {0, 1, 2}, y[3] = {0, 0.5, 1};
 *     wu_series s = {.name = "warmup", .x = x, .y = y, .n = 3, .mark_x = 2};
 *     wu_chart c = {.title = "LR", .xlabel = "step", .ylabel = "lr", .series = &s, .nseries = 1};
 *     wu_chart_svg(stdout, &c, 800, 450);
 */
#ifndef WU_CHART_H
#define WU_CHART_H

#include <stdio.h>

#define WU_AXIS_MAX_TICKS 16

typedef struct wu_series {
    const char *name;     /* legend label (any text; escaped by the renderers) */
    const double *x, *y;  /* n points, x non-decreasing; NaN y values are skipped */
    int n;
    double mark_x;        /* x of a dashed vertical marker (e.g. the end of warmup); NaN: none */
} wu_series;

typedef struct wu_chart {
    const char *title, *xlabel, *ylabel;
    int log_y;            /* 1: logarithmic y axis (points with y <= 0 are left out) */
    const wu_series *series;
    int nseries;
} wu_chart;

typedef struct wu_axis {
    double lo, hi;        /* the axis range: covers every plotted value */
    int log;              /* logarithmic (base 10) */
    int nticks;
    double ticks[WU_AXIS_MAX_TICKS];
    char labels[WU_AXIS_MAX_TICKS][16];
} wu_axis;

/* Axes for the chart's data: "nice" round ticks (1, 2, 2.5, 5 x 10^k) on linear axes, decades on
 * log axes; labels in scientific notation where plain decimals would be long (1e-4, 2.5e-4).
 * An empty chart gets the unit range. */
void wu_chart_axes(const wu_chart *c, wu_axis *x, wu_axis *y);

/* Map a data value onto [0, 1] along an axis (0 = lo, 1 = hi). */
double wu_axis_frac(const wu_axis *a, double v);

/* Format a tick value given the tick spacing, into buf (16 bytes). */
void wu_tick_label(double v, double step, int sci, char buf[16]);

/* Series colours, shared by both renderers so the legend means the same thing. */
const char *wu_chart_color(int i);   /* "#1f77b4", ... */
int wu_chart_ansi(int i);            /* ANSI foreground code: 34, 31, 32, ... */

/* ---- SVG (svg.c) ---------------------------------------------------------------------------- */

/* A complete standalone SVG document of width x height pixels. Returns 0, or -1 when writing
 * failed (check errno). */
int wu_chart_svg(FILE *f, const wu_chart *c, int width, int height);

/* One chart drawn inside the box (x0, y0, w, h) of an SVG document the caller opened. */
void wu_chart_svg_panel(FILE *f, const wu_chart *c, double x0, double y0, double w, double h);

/* Write text with XML's five special characters escaped. */
void wu_xml_text(FILE *f, const char *s);

/* ---- terminal (tty.c) ---------------------------------------------------------------------- */

enum { WU_TTY_BRAILLE, WU_TTY_BLOCK, WU_TTY_ASCII };

/* Draw the chart in `cols` columns (every line fits) with a plot area `rows` lines high, in
 * braille (2x4 dots a cell), half blocks (1x2) or ASCII (1x1). color: emit ANSI colours.
 * Returns 0, or -1 when the size is too small to draw anything (cols < 30 or rows < 3). */
int wu_chart_tty(FILE *f, const wu_chart *c, int cols, int rows, int mode, int color);

#endif
