/* svg.c - charts as standalone, dependency-free SVG documents that open in any browser.
 *
 * Structure (relied on by tests and by later multi-panel reports): one <g class="chart"> per
 * panel holding the title, <g class="axis-x"> / <g class="axis-y"> (and <g class="axis-y2"> when
 * a series uses the right-hand axis) with data-lo / data-hi / data-log attributes giving each axis
 * range, one <polyline class="series"> per series (dashed for right-axis series, so the LR reads
 * as a different kind of curve than the losses), one dashed <line class="marker"> per marker, one
 * <circle class="point"> per point of a POINTS series, one <path class="flagged"> (an x) per
 * flagged point, and a <g class="legend">. Dots and x marks come after every line, on top.
 *
 * No line hides another: a series that coincides with an earlier one (wu_chart_same_as) is drawn
 * after it, thinner and with its own stroke-dasharray, over the earlier one drawn thicker, and
 * its legend entry says "same as NAME". Legend text longer than the panel is elided with "..."
 * and carries the full text in a <title> (the browser's tooltip). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"

void wu_xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, f);
            break;
        }
    }
}

#define SVG_TRACK 64

/* The plot area of a panel and its axes: what every drawing step below needs. */
typedef struct frame {
    const wu_chart *c;
    /* for the first SVG_TRACK series (the others are drawn plain): */
    int same[SVG_TRACK];           /* wu_chart_same_as, -1: none */
    int dash[SVG_TRACK];           /* index of its dash pattern, -1: solid */
    unsigned char thick[SVG_TRACK]; /* a later series coincides with it: drawn thicker, first */
    wu_axis ax, ay, ay2;
    double l, t, w, h; /* plot rectangle in pixels */
} frame;

static const wu_axis *y_axis_of(const frame *fr, const wu_series *se)
{
    return se->right ? &fr->ay2 : &fr->ay;
}

static double px_of(const frame *fr, double x) { return fr->l + fr->w * wu_axis_frac(&fr->ax, x); }

static double py_of(const frame *fr, const wu_axis *a, double y)
{
    return fr->t + fr->h * (1.0 - wu_axis_frac(a, y));
}

/* Points of one series in pixel space. Long series are thinned to the first, lowest, highest and
 * last point of each pixel column, which keeps spikes and cycles visible at any length. */
static void polyline(FILE *f, const frame *fr, const wu_series *se)
{
    const wu_axis *ay = y_axis_of(fr, se);
    double w = fr->w;
    int thin = se->n > 4 * (int)w;
    int col = -1, imin = -1, imax = -1, ifirst = -1, ilast = -1;
    int written = 0;
#define EMIT(i)                                                                             \
    do {                                                                                    \
        fprintf(f, "%s%.2f,%.2f", written++ ? " " : "", px_of(fr, se->x[i]),                \
                py_of(fr, ay, se->y[i]));                                                   \
    } while (0)
    for (int i = 0; i <= se->n; i++) {
        int ok = i < se->n && wu_chart_point_ok(fr->c, se, i);
        if (i < se->n && !ok) continue;
        if (!thin) {
            if (i < se->n) EMIT(i);
            continue;
        }
        int c = i < se->n ? (int)(w * wu_axis_frac(&fr->ax, se->x[i])) : -2;
        if (c != col && ifirst >= 0) { /* flush the previous column in x order */
            int idx[4] = {ifirst, imin < imax ? imin : imax, imin < imax ? imax : imin, ilast};
            int prev = -1;
            for (int k = 0; k < 4; k++)
                if (idx[k] != prev) {
                    EMIT(idx[k]);
                    prev = idx[k];
                }
            ifirst = -1;
        }
        if (i == se->n) break;
        if (ifirst < 0) {
            col = c;
            ifirst = imin = imax = i;
        }
        if (se->y[i] < se->y[imin]) imin = i;
        if (se->y[i] > se->y[imax]) imax = i;
        ilast = i;
    }
#undef EMIT
}

static void x_mark(FILE *f, const char *cls, double x, double y, double r, const char *color)
{
    fprintf(f, "<path class=\"%s\" d=\"M%.2f,%.2fL%.2f,%.2fM%.2f,%.2fL%.2f,%.2f\" fill=\"none\" "
               "stroke=\"%s\" stroke-width=\"2.2\" stroke-linecap=\"round\"/>\n",
            cls, x - r, y - r, x + r, y + r, x - r, y + r, x + r, y - r, color);
}

/* Dots of a POINTS series and x marks of its flagged points; a flagged point whose y cannot be
 * plotted sits on the top edge. */
static void symbols(FILE *f, const frame *fr, const wu_series *se, const char *color)
{
    const wu_axis *ay = y_axis_of(fr, se);
    for (int i = 0; i < se->n; i++) {
        int ok = wu_chart_point_ok(fr->c, se, i);
        if (wu_chart_flagged(fr->c, se, i))
            x_mark(f, "flagged", px_of(fr, se->x[i]), ok ? py_of(fr, ay, se->y[i]) : fr->t, 5.0,
                   color);
        else if (ok && se->style == WU_STYLE_POINTS)
            fprintf(f, "<circle class=\"point\" cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\" "
                       "stroke=\"#ffffff\" stroke-width=\"1\"/>\n",
                    px_of(fr, se->x[i]), py_of(fr, ay, se->y[i]), color);
    }
}

/* A y axis: the left one with grid lines across the plot, the right one with tick marks outside
 * its edge only (a second grid would cross the first). */
static void y_axis_svg(FILE *f, const frame *fr, const wu_axis *a, int right, const char *label,
                       double label_x)
{
    fprintf(f, "<g class=\"axis-y%s\" data-lo=\"%.17g\" data-hi=\"%.17g\" data-log=\"%d\">\n",
            right ? "2" : "", a->lo, a->hi, a->log);
    for (int i = 0; i < a->nticks; i++) {
        double py = py_of(fr, a, a->ticks[i]);
        if (right)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444444\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                    fr->l + fr->w, py, fr->l + fr->w + 5, py, fr->l + fr->w + 8, py + 4,
                    a->labels[i]);
        else
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    fr->l, py, fr->l + fr->w, py, fr->l - 6, py + 4, a->labels[i]);
    }
    if (label) {
        fprintf(f, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">",
                label_x, fr->t + fr->h / 2);
        wu_xml_text(f, label);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
}

/* Display width of text in the legend's 12-pixel sans-serif, an upper estimate (average
 * glyphs are about 6.5 pixels wide; capitals and digits a little more). */
#define LEGEND_CHAR_PX 7.0

static int utf8_len(const char *s)
{
    int n = 0;
    for (; s && *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Escaped text cut to at most max code points, the last three then being "...". */
static void text_elided(FILE *f, const char *s, int max)
{
    int n = utf8_len(s);
    if (n <= max) {
        wu_xml_text(f, s);
        return;
    }
    int keep = max > 3 ? max - 3 : 0, k = 0;
    const char *p = s;
    for (; *p; p++) {
        if (((unsigned char)*p & 0xc0) != 0x80 && k++ == keep) break;
    }
    char *part = malloc((size_t)(p - s) + 1);
    if (part) {
        memcpy(part, s, (size_t)(p - s));
        part[p - s] = '\0';
        wu_xml_text(f, part);
        free(part);
    }
    fputs("...", f);
}

/* One legend text: name, then suffix (both escaped) at (x, y), within max_px pixels; the name
 * is elided to make room, and an elided entry has its full text in a <title>. */
static void legend_text(FILE *f, double x, double y, double max_px, const char *name,
                        const char *suffix)
{
    int room = (int)(max_px / LEGEND_CHAR_PX), ns = utf8_len(suffix), nn = utf8_len(name);
    if (room < 8) room = 8;
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x, y);
    if (nn + ns > room) {
        fputs("<title>", f);
        wu_xml_text(f, name);
        wu_xml_text(f, suffix);
        fputs("</title>", f);
        if (ns > room / 2) { /* a long suffix (a long "same as" name) is cut too */
            text_elided(f, name, room / 2);
            text_elided(f, suffix, room - (nn < room / 2 ? nn : room / 2));
        } else {
            text_elided(f, name, room - ns);
            wu_xml_text(f, suffix);
        }
    } else {
        wu_xml_text(f, name);
        wu_xml_text(f, suffix);
    }
    fputs("</text>\n", f);
}

/* The stroke attributes of series s: its width and dash pattern. */
static void stroke_of(const frame *fr, int s, char *buf, size_t n)
{
    const wu_series *se = &fr->c->series[s];
    int d = s < SVG_TRACK ? fr->dash[s] : -1, thick = s < SVG_TRACK && fr->thick[s];
    const char *dash = d >= 0 ? wu_chart_dash(d) : se->right ? "7,4" : NULL;
    snprintf(buf, n, " stroke-width=\"%s\"%s%s%s", thick ? "3.5" : "2",
             dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
}

static void legend(FILE *f, const frame *fr, double max_px, int has_marker, int has_flags,
                   const char *note)
{
    const wu_chart *c = fr->c;
    double lx = fr->l, ly = fr->t + fr->h + 46;
    fputs("<g class=\"legend\">\n", f);
    for (int s = 0; s < c->nseries; s++) {
        const wu_series *se = &c->series[s];
        double yy = ly + 14 + 18 * s;
        char st[96], suffix[300];
        stroke_of(fr, s, st, sizeof st);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>", lx,
                yy - 4, lx + 22, yy - 4, wu_chart_color(s), st);
        if (se->style == WU_STYLE_POINTS)
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>", lx + 11,
                    yy - 4, wu_chart_color(s));
        int same = s < SVG_TRACK ? fr->same[s] : -1;
        snprintf(suffix, sizeof suffix, "%s%s%.200s%s", se->right ? " (right axis)" : "",
                 same >= 0 ? " (same as " : "",
                 same >= 0 && c->series[same].name ? c->series[same].name : "",
                 same >= 0 ? ")" : "");
        legend_text(f, lx + 28, yy, max_px - 28, se->name ? se->name : "", suffix);
    }
    double yy = ly + 14 + 18 * c->nseries;
    if (has_marker) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\" "
                   "stroke-dasharray=\"5,4\"/><text x=\"%.1f\" y=\"%.1f\">end of warmup</text>\n",
                lx, yy - 4, lx + 22, yy - 4, lx + 28, yy);
        yy += 18;
    }
    if (has_flags) {
        x_mark(f, "flag-key", lx + 11, yy - 4, 4.5, "#555555");
        legend_text(f, lx + 28, yy, max_px - 28, c->flag_label ? c->flag_label : "flagged", "");
        yy += 18;
    }
    if (note) {
        fputs("<g class=\"y-note\">", f);
        legend_text(f, lx, yy, max_px, note, "");
        fputs("</g>\n", f);
    }
    fputs("</g>\n", f);
}

void wu_chart_svg_panel(FILE *f, const wu_chart *c, double x0, double y0, double w, double h)
{
    frame fr = {.c = c};
    wu_chart_axes2(c, &fr.ax, &fr.ay, &fr.ay2);
    int has_marker = 0, has_right = wu_chart_has_right(c), has_flags = wu_chart_has_flags(c);
    for (int s = 0; s < c->nseries; s++) has_marker |= isfinite(c->series[s].mark_x);
    char note[200];
    int has_note = wu_chart_y_note(c, note, sizeof note);
    int rows = c->nseries + has_marker + has_flags + has_note;
    int k = 0;
    for (int i = 0; i < c->nseries && i < SVG_TRACK; i++) {
        fr.same[i] = wu_chart_same_as(c, i);
        fr.dash[i] = fr.same[i] >= 0 ? k++ : -1;
        if (fr.same[i] >= 0) fr.thick[fr.same[i]] = 1;
    }
    /* plot area inside the panel: room for the title, tick labels, axis names (on both sides with
       a twin axis), and the legend below the x axis, where it never hides a curve */
    fr.l = x0 + 78;
    fr.t = y0 + 40;
    fr.w = w - 78 - (has_right ? 78 : 36);
    fr.h = h - 40 - 52 - 18 * rows - 6;
    fprintf(f, "<g class=\"chart\" font-family=\"sans-serif\" font-size=\"12\">\n");
    if (c->title) {
        fprintf(f, "<text class=\"title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                   "font-size=\"15\" font-weight=\"bold\">", x0 + w / 2, y0 + 24);
        wu_xml_text(f, c->title);
        fputs("</text>\n", f);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
               "stroke=\"#444444\"/>\n", fr.l, fr.t, fr.w, fr.h);
    /* x axis: grid, ticks, labels */
    fprintf(f, "<g class=\"axis-x\" data-lo=\"%.17g\" data-hi=\"%.17g\" data-log=\"%d\">\n",
            fr.ax.lo, fr.ax.hi, fr.ax.log);
    for (int i = 0; i < fr.ax.nticks; i++) {
        double px = px_of(&fr, fr.ax.ticks[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                px, fr.t, px, fr.t + fr.h, px, fr.t + fr.h + 16, fr.ax.labels[i]);
    }
    if (c->xlabel) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", fr.l + fr.w / 2,
                fr.t + fr.h + 36);
        wu_xml_text(f, c->xlabel);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
    y_axis_svg(f, &fr, &fr.ay, 0, c->ylabel, x0 + 16);
    if (has_right) y_axis_svg(f, &fr, &fr.ay2, 1, c->y2label, x0 + w - 12);
    /* markers under the lines, then the lines, then dots and x marks on top */
    for (int s = 0; s < c->nseries; s++) {
        const wu_series *se = &c->series[s];
        if (!isfinite(se->mark_x) || (c->log_x && !(se->mark_x > 0))) continue;
        double px = px_of(&fr, se->mark_x);
        fprintf(f, "<line class=\"marker\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
                   "stroke=\"%s\" stroke-dasharray=\"5,4\" stroke-width=\"1.2\"/>\n",
                px, fr.t, px, fr.t + fr.h, wu_chart_color(s));
    }
    for (int s = 0; s < c->nseries; s++) { /* in order: a coinciding series over its match */
        char st[96];
        stroke_of(&fr, s, st, sizeof st);
        fprintf(f, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\"%s "
                   "stroke-linejoin=\"round\" points=\"", wu_chart_color(s), st);
        polyline(f, &fr, &c->series[s]);
        fputs("\"/>\n", f);
    }
    for (int s = 0; s < c->nseries; s++) symbols(f, &fr, &c->series[s], wu_chart_color(s));
    legend(f, &fr, w - 78 - 12, has_marker, has_flags, has_note ? note : NULL);
    fputs("</g>\n", f);

}

void wu_svg_begin(FILE *f, const char *title, int width, int height)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\">\n<title>", width, height, width, height);
    wu_xml_text(f, title);
    fprintf(f, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fafafa\"/>\n", width, height);
}

int wu_chart_svg(FILE *f, const wu_chart *c, int width, int height)
{
    wu_svg_begin(f, c->title ? c->title : "chart", width, height);
    wu_chart_svg_panel(f, c, 0, 0, width, height);
    fputs("</svg>\n", f);
    return ferror(f) ? -1 : 0;
}
