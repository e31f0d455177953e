/* heatmap.c - heatmaps in SVG and in a terminal, coloured by one scale (see heatmap.h).
 *
 * The scale is viridis-like: lightness rises monotonically from one end to the other, so the
 * order of the values survives greyscale printing and the common colour-vision deficiencies, which
 * a red-to-green scale would not. Non-finite values (NaN, and the inf of a blown-up loss) are "no
 * value": grey with an x, kept out of the scale's range. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "chart.h"
#include "heatmap.h"

/* matplotlib's viridis sampled at t = 0, 0.1, ..., 1; linear interpolation between them stays
 * within a few units of the full table */
static const unsigned char STOPS[11][3] = {
    {68, 1, 84},    {72, 36, 117},  {65, 68, 135},  {53, 95, 141},  {42, 120, 142}, {33, 145, 140},
    {34, 168, 132}, {68, 191, 112}, {122, 209, 81}, {189, 223, 38}, {253, 231, 37},
};
static const unsigned char NAN_RGB[3] = {200, 200, 200};

void wu_heat_rgb(double t, unsigned char rgb[3])
{
    if (!(t > 0)) t = 0; /* NaN too */
    if (t > 1) t = 1;
    double p = t * 10.0;
    int i = (int)p;
    if (i > 9) i = 9;
    double u = p - i;
    for (int k = 0; k < 3; k++)
        rgb[k] = (unsigned char)lround(STOPS[i][k] + u * (STOPS[i + 1][k] - STOPS[i][k]));
}

/* Dark text on light cells, white on dark ones (perceived brightness, ITU-R BT.601 weights). */
static int is_light(const unsigned char rgb[3])
{
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 128.0;
}

/* The nearest colour of xterm's 6x6x6 cube (levels 0, 95, 135, ..., 255): codes 16..231. */
static int ansi256(const unsigned char rgb[3])
{
    int q[3];
    for (int k = 0; k < 3; k++) q[k] = rgb[k] < 48 ? 0 : rgb[k] < 115 ? 1 : (rgb[k] - 35) / 40;
    return 16 + 36 * q[0] + 6 * q[1] + q[2];
}

/* Range of the finite values; returns whether any cell has no value. lo > hi when none is
 * finite. */
static int value_range(const wu_heatmap *h, double *lo, double *hi)
{
    int nans = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < h->nrows * h->ncols; i++) {
        double v = h->v[i];
        if (!isfinite(v)) {
            nans = 1;
            continue;
        }
        if (v < *lo) *lo = v;
        if (v > *hi) *hi = v;
    }
    return nans;
}

/* Colour of a finite value: its place in [lo, hi], turned round when low is good so that the
 * good end is always the bright one; a grid of equal values sits mid-scale. */
static void value_rgb(const wu_heatmap *h, double lo, double hi, double v, unsigned char rgb[3])
{
    double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    wu_heat_rgb(h->low_is_good ? 1.0 - t : t, rgb);
}

static void cell_rgb(const wu_heatmap *h, double lo, double hi, double v, unsigned char rgb[3])
{
    if (isfinite(v)) value_rgb(h, lo, hi, v, rgb);
    else memcpy(rgb, NAN_RGB, 3);
}

/* ---- SVG ------------------------------------------------------------------------------------ */

static void nan_mark(FILE *f, double cx, double cy, double r)
{
    fprintf(f, "<path class=\"nan-mark\" d=\"M%.2f,%.2fL%.2f,%.2fM%.2f,%.2fL%.2f,%.2f\" "
               "fill=\"none\" stroke=\"#707070\" stroke-width=\"1.8\" stroke-linecap=\"round\"/>\n",
            cx - r, cy - r, cx + r, cy + r, cx - r, cy + r, cx + r, cy - r);
}

static void text(FILE *f, double x, double y, const char *anchor, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
    wu_xml_text(f, s);
    fputs("</text>\n", f);
}

/* The colour bar right of the grid: the good (bright) end on top, labelled with the value that
 * gets it. Drawn as slices rather than a <linearGradient>, which would need a document-wide id. */
static void scale_bar(FILE *f, const wu_heatmap *h, double lo, double hi, double x, double y,
                      double bh)
{
    enum { SLICES = 24 };
    fputs("<g class=\"scale\">\n", f);
    for (int i = 0; i < SLICES; i++) {
        unsigned char rgb[3];
        wu_heat_rgb(1.0 - (i + 0.5) / SLICES, rgb);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.2f\" width=\"14\" height=\"%.2f\" "
                   "fill=\"#%02x%02x%02x\"/>\n",
                x, y + bh * i / SLICES, bh / SLICES + 0.3, rgb[0], rgb[1], rgb[2]);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#444444\"/>\n", x, y, bh);
    char top[32], bottom[32];
    snprintf(top, sizeof top, "%.3g", h->low_is_good ? lo : hi);
    snprintf(bottom, sizeof bottom, "%.3g", h->low_is_good ? hi : lo);
    text(f, x + 18, y + 9, "start", top);
    text(f, x + 18, y + bh, "start", bottom);
    fputs("</g>\n", f);
}

void wu_heatmap_svg_panel(FILE *f, const wu_heatmap *h, double x0, double y0, double w, double hgt)
{
    double lo, hi;
    int nans = value_range(h, &lo, &hi);
    int rl = 0;
    for (int r = 0; r < h->nrows; r++) {
        int l = wu_tty_width(h->row_labels ? h->row_labels[r] : NULL);
        if (l > rl) rl = l;
    }
    /* margins: axis name and row labels (about 7 px a character) on the left, the colour bar on
       the right, column labels, the x axis name and the "no value" key below */
    double left = (h->ylabel ? 30 : 8) + 7.0 * rl + 8, top = h->title ? 40 : 12;
    double bottom = 26 + (h->xlabel ? 20 : 0) + (nans ? 22 : 0);
    double gx = x0 + left, gy = y0 + top;
    double gw = fmax(w - left - 90, 1), gh = fmax(hgt - top - bottom, 1);
    double cw = gw / (h->ncols > 0 ? h->ncols : 1), ch = gh / (h->nrows > 0 ? h->nrows : 1);
    double fs = fmin(12.0, fmin(ch * 0.45, cw / 4.0)); /* "-1.23e-05" must fit its cell */

    fputs("<g class=\"heatmap\" font-family=\"sans-serif\" font-size=\"12\">\n", f);
    if (h->title) {
        fprintf(f, "<text class=\"title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                   "font-size=\"15\" font-weight=\"bold\">", x0 + w / 2, y0 + 24);
        wu_xml_text(f, h->title);
        fputs("</text>\n", f);
    }
    for (int r = 0; r < h->nrows; r++)
        for (int c = 0; c < h->ncols; c++) {
            double v = h->v[r * h->ncols + c], x = gx + c * cw, y = gy + r * ch;
            unsigned char rgb[3];
            cell_rgb(h, lo, hi, v, rgb);
            fprintf(f, "<rect class=\"cell\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                       "fill=\"#%02x%02x%02x\" stroke=\"#ffffff\" data-value=\"",
                    x, y, cw, ch, rgb[0], rgb[1], rgb[2]);
            if (isfinite(v)) fprintf(f, "%.17g\"/>\n", v);
            else fputs("NaN\"/>\n", f);
            if (!isfinite(v)) {
                nan_mark(f, x + cw / 2, y + ch / 2, fmin(cw, ch) * 0.18);
            } else if (fs >= 5) {
                fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"%.1f\" "
                           "fill=\"%s\">%.3g</text>\n",
                        x + cw / 2, y + ch / 2 + fs * 0.35, fs,
                        is_light(rgb) ? "#1a1a1a" : "#ffffff", v);
            }
        }
    for (int r = 0; h->row_labels && r < h->nrows; r++)
        text(f, gx - 6, gy + (r + 0.5) * ch + 4, "end", h->row_labels[r]);
    for (int c = 0; h->col_labels && c < h->ncols; c++)
        text(f, gx + (c + 0.5) * cw, gy + gh + 16, "middle", h->col_labels[c]);
    if (h->xlabel) text(f, gx + gw / 2, gy + gh + 36, "middle", h->xlabel);
    if (h->ylabel) {
        fprintf(f, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">",
                x0 + 16, gy + gh / 2);
        wu_xml_text(f, h->ylabel);
        fputs("</text>\n", f);
    }
    if (lo <= hi) scale_bar(f, h, lo, hi, gx + gw + 16, gy, fmin(gh, 160));
    if (nans) {
        double ky = gy + gh + (h->xlabel ? 44 : 24);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" "
                   "fill=\"#%02x%02x%02x\"/>\n", gx, ky, NAN_RGB[0], NAN_RGB[1], NAN_RGB[2]);
        nan_mark(f, gx + 7, ky + 7, 3.5);
        text(f, gx + 20, ky + 11, "start", h->nan_label ? h->nan_label : "no value");
    }
    fputs("</g>\n", f);
}

int wu_heatmap_svg(FILE *f, const wu_heatmap *h, int width, int height)
{
    wu_svg_begin(f, h->title ? h->title : "heatmap", width, height);
    wu_heatmap_svg_panel(f, h, 0, 0, width, height);
    fputs("</svg>\n", f);
    return ferror(f) ? -1 : 0;
}

/* ---- terminal ------------------------------------------------------------------------------- */

/* The text of a cell, and its width in columns. */
static int cell_text(double v, char buf[32])
{
    if (!isfinite(v)) {
        snprintf(buf, 32, "\xc3\x97"); /* × */
        return 1;
    }
    return snprintf(buf, 32, "%.3g", v);
}

/* `s` right-aligned in `width` columns, cut to width - 1 so that a space always separates it from
 * the cell on its left. */
static void put_right(FILE *f, const char *s, int width)
{
    int l = wu_tty_width(s);
    if (l > width - 1) l = width - 1;
    fprintf(f, "%*s", width - l, "");
    wu_tty_text(f, s, l);
}

/* The closing line: the range and which end is good, with a colour ramp when color. */
static void tty_scale(FILE *f, const wu_heatmap *h, double lo, double hi, int cols, int color)
{
    enum { RAMP = 8 };
    char a[32], b[32];
    snprintf(a, sizeof a, "%.3g", lo);
    snprintf(b, sizeof b, "%.3g", hi);
    const char *good = h->low_is_good ? "  (lower is better)" : "  (higher is better)";
    int core = (int)strlen(a) + (int)strlen(b) + (color ? RAMP + 2 : 4);
    if (core > cols) return;
    fputs(a, f);
    if (color) {
        fputc(' ', f);
        for (int i = 0; i < RAMP; i++) {
            unsigned char rgb[3];
            value_rgb(h, lo, hi, lo + (hi - lo) * i / (RAMP - 1), rgb);
            fprintf(f, "\x1b[48;5;%dm \x1b[0m", ansi256(rgb));
        }
        fputc(' ', f);
    } else {
        fputs(" .. ", f);
    }
    fputs(b, f);
    if (core + (int)strlen(good) <= cols) fputs(good, f);
    fputc('\n', f);
}

int wu_heatmap_tty(FILE *f, const wu_heatmap *h, int cols, int color)
{
    char buf[32];
    int vw = 1, clw = 0, rlw = 0;
    for (int i = 0; i < h->nrows * h->ncols; i++) {
        int l = cell_text(h->v[i], buf);
        if (l > vw) vw = l;
    }
    for (int c = 0; h->col_labels && c < h->ncols; c++) {
        int l = wu_tty_width(h->col_labels[c]);
        if (l > clw) clw = l;
    }
    for (int r = 0; h->row_labels && r < h->nrows; r++) {
        int l = wu_tty_width(h->row_labels[r]);
        if (l > rlw) rlw = l;
    }
    /* fit: cut the column labels to the values' width, then the row labels to 3 characters */
    int cw = (clw > vw ? clw : vw) + 1;
    if (rlw + cw * h->ncols > cols) cw = vw + 1;
    int room = cols - cw * h->ncols;
    if (room < rlw) {
        if (room < 3) return -1;
        rlw = room;
    }
    double lo, hi;
    int nans = value_range(h, &lo, &hi);

    if (h->title) {
        wu_tty_text(f, h->title, cols);
        fputc('\n', f);
    }
    if (h->col_labels) {
        fprintf(f, "%*s", rlw, "");
        for (int c = 0; c < h->ncols; c++) put_right(f, h->col_labels[c], cw);
        fputc('\n', f);
    }
    for (int r = 0; r < h->nrows; r++) {
        const char *label = h->row_labels ? h->row_labels[r] : NULL;
        fprintf(f, "%*s", rlw - wu_tty_text(f, label, rlw), "");
        for (int c = 0; c < h->ncols; c++) {
            double v = h->v[r * h->ncols + c];
            cell_text(v, buf);
            if (color) {
                unsigned char rgb[3];
                cell_rgb(h, lo, hi, v, rgb);
                fprintf(f, "\x1b[48;5;%dm\x1b[38;5;%dm", ansi256(rgb), is_light(rgb) ? 16 : 231);
            }
            put_right(f, buf, cw);
            if (color) fputs("\x1b[0m", f);
        }
        fputc('\n', f);
    }
    wu_tty_axis_names(f, 0, h->xlabel, h->ylabel, NULL, cols);
    if (lo <= hi) tty_scale(f, h, lo, hi, cols, color);
    if (nans) {
        fputs("\xc3\x97  ", f);
        wu_tty_text(f, h->nan_label ? h->nan_label : "no value", cols - 3);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}
