/* chart.h - line charts as data, rendered to SVG (svg.c) or to a terminal (tty.c).
 *
 * A wu_chart holds series of (x, y) points, a title and axis labels; wu_chart_axes2() turns the
 * data range into axes with readable ticks, and both renderers draw from the same axes, so an SVG
 * and a terminal chart of the same data agree. Either axis may be logarithmic, a series may be
 * plotted against a second y axis on the right (the LR next to a loss), drawn with a dot at every
 * point (sweeps of a few runs), and have some of its points flagged (diverged runs, drawn as x).
 * Heatmaps are in heatmap.h; multi-panel figures call wu_chart_svg_panel() once per panel of a
 * larger <svg>.
 *
 * Every field added after the first version comes last in its struct and means "as before" when
 * zero, so designated initializers written for the old model still work.
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

/* How a series is drawn: the line alone, or the line with a dot at every point (a sweep of 5-10
 * runs, where the points are the data and the line only guides the eye). */
enum { WU_STYLE_LINE = 0, WU_STYLE_POINTS = 1 };

typedef struct wu_series {
    const char *name;     /* legend label (any text; escaped by the renderers) */
    const double *x, *y;  /* n points, x non-decreasing; NaN y values are skipped */
    int n;
    double mark_x;        /* x of a dashed vertical marker (e.g. the end of warmup); NaN: none */
    int style;            /* WU_STYLE_LINE (0) or WU_STYLE_POINTS */
    /* NULL, or n flags: a point with a non-zero flag is drawn as an x marker instead of a dot
       (a diverged run). A flagged point whose y cannot be plotted (NaN, inf, <= 0 on a log axis)
       is drawn at the top edge of the plot, "off the chart", and does not widen the axes. */
    const unsigned char *flag;
    int right;            /* 1: plotted against the right-hand y axis (y2), drawn dashed */
} wu_series;

typedef struct wu_chart {
    const char *title, *xlabel, *ylabel;
    int log_y;            /* 1: logarithmic y axis (points with y <= 0 are left out) */
    const wu_series *series;
    int nseries;
    int log_x;            /* 1: logarithmic x axis (points with x <= 0 are left out) */
    const char *flag_label;  /* legend text for flagged points ("diverged"); NULL: "flagged" */
    const char *y2label;  /* name of the right-hand axis, drawn when a series has .right set */
    int log_y2;           /* 1: logarithmic right-hand axis */
    /* 1: the left y axis reaches y_include too (a reference: 0 for an LR, the initial loss for a
       loss), so a difference is drawn at its true size against it; the legend says so, naming
       the value as y_include_what ("the initial loss"; NULL: the value alone). Ignored on a log
       axis when y_include <= 0. */
    int y_include_on;
    double y_include;
    const char *y_include_what;
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
 * x covers the points of every series; y those of the left-axis series only, y2 (may be NULL)
 * those of the right-axis series. An axis without data gets the unit range (0.1..1 when log). */
void wu_chart_axes2(const wu_chart *c, wu_axis *x, wu_axis *y, wu_axis *y2);

/* wu_chart_axes2() without the right-hand axis. */
void wu_chart_axes(const wu_chart *c, wu_axis *x, wu_axis *y);

/* Whether point i of series se is plotted: finite, and positive on a log axis (the series' own
 * y axis: left, or right when se->right). Both renderers and the axes use this one rule. */
int wu_chart_point_ok(const wu_chart *c, const wu_series *se, int i);

/* Whether point i of se is flagged and gets its x marker (its x can be plotted). */
int wu_chart_flagged(const wu_chart *c, const wu_series *se, int i);

/* Whether the chart has a series on the right-hand axis / a flagged point that gets drawn. */
int wu_chart_has_right(const wu_chart *c);
int wu_chart_has_flags(const wu_chart *c);

/* Series that would hide one another. Returns the index of the first earlier series on the same
 * y axis that series s coincides with over most of its range (at 3 of every 4 of s's plotted
 * points, the other series' value, interpolated at the same x, differs by at most 1e-3 of the
 * larger magnitude or 1e-3 of the axis span), or -1. Both renderers draw such a series dashed
 * and over the one it matches, and its legend entry says "same as NAME". */
int wu_chart_same_as(const wu_chart *c, int s);

/* Dash pattern of a series that coincides with an earlier one: the k-th such series of a chart
 * (k >= 0) gets its own SVG stroke-dasharray, none of them the right axis's "7,4". */
const char *wu_chart_dash(int k);

/* The legend's note on a y range widened to a reference (y_include_on), into buf; 0 when the
 * chart has none (the data already reached the value, or no reference was asked for). */
int wu_chart_y_note(const wu_chart *c, char *buf, size_t n);

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

/* Begin a standalone SVG document of width x height pixels: the XML declaration, the <svg>
 * element, a <title> (escaped) and the background. The caller draws and writes "</svg>\n". */
void wu_svg_begin(FILE *f, const char *title, int width, int height);

/* ---- terminal (tty.c) ---------------------------------------------------------------------- */

enum { WU_TTY_BRAILLE, WU_TTY_BLOCK, WU_TTY_ASCII };

/* Display width of UTF-8 text in a terminal: its code points (no wide characters expected). */
int wu_tty_width(const char *s);

/* Print at most `max` code points of s (NULL prints nothing); returns how many were printed. */
int wu_tty_text(FILE *f, const char *s, int max);

/* The line naming the axes, "x: step   y: lr   right: lr", after `indent` spaces and cut to
 * `cols` columns; NULL names are left out, and nothing is printed when all three are NULL. */
void wu_tty_axis_names(FILE *f, int indent, const char *x, const char *y, const char *y2, int cols);

/* Draw the chart in `cols` columns (every line fits) with a plot area `rows` lines high, in
 * braille (2x4 dots a cell), half blocks (1x2) or ASCII (1x1). color: emit ANSI colours.
 * POINTS series get a heavy dot at each point, flagged points an x; right-axis series are scaled
 * to a second axis whose tick labels stand at the right edge of the plot.
 * Returns 0, or -1 when the size is too small to draw anything (cols < 30, rows < 3, or tick
 * labels that leave fewer than 10 columns for the plot). */
int wu_chart_tty(FILE *f, const wu_chart *c, int cols, int rows, int mode, int color);

#endif
