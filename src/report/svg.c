/* svg.c - charts as standalone, dependency-free SVG documents that open in any browser.
 *
 * Structure (relied on by tests and by later multi-panel reports): one <g class="chart"> per
 * panel holding the title, <g class="axis-x"> / <g class="axis-y"> with data-lo / data-hi
 * attributes giving each axis range, one <polyline class="series"> per series, one dashed
 * <line class="marker"> per marker, and a <g class="legend">. */
#include <math.h>
#include <stdio.h>

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

/* Points of one series in pixel space. Long series are thinned to the first, lowest, highest and
 * last point of each pixel column, which keeps spikes and cycles visible at any length. */
static void polyline(FILE *f, const wu_series *se, const wu_axis *ax, const wu_axis *ay, double x0,
                     double y0, double w, double h, int log_y)
{
    int thin = se->n > 4 * (int)w;
    int col = -1, imin = -1, imax = -1, ifirst = -1, ilast = -1;
    int written = 0;
#define EMIT(i)                                                                            \
    do {                                                                                   \
        fprintf(f, "%s%.2f,%.2f", written++ ? " " : "", x0 + w * wu_axis_frac(ax, se->x[i]), \
                y0 + h * (1.0 - wu_axis_frac(ay, se->y[i])));                              \
    } while (0)
    for (int i = 0; i <= se->n; i++) {
        int ok = i < se->n && isfinite(se->y[i]) && !(log_y && !(se->y[i] > 0));
        if (i < se->n && !ok) continue;
        if (!thin) {
            if (i < se->n) EMIT(i);
            continue;
        }
        int c = i < se->n ? (int)(w * wu_axis_frac(ax, se->x[i])) : -2;
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

void wu_chart_svg_panel(FILE *f, const wu_chart *c, double x0, double y0, double w, double h)
{
    wu_axis ax, ay;
    wu_chart_axes(c, &ax, &ay);
    int has_marker = 0;
    for (int s = 0; s < c->nseries; s++) has_marker |= isfinite(c->series[s].mark_x);
    int rows = c->nseries + has_marker;
    /* plot area inside the panel: room for the title, tick labels, axis names, and the legend
       below the x axis, where it never hides a curve */
    double pl = x0 + 78, pt = y0 + 40, pw = w - 78 - 36, ph = h - 40 - 52 - 18 * rows - 6;
    fprintf(f, "<g class=\"chart\" font-family=\"sans-serif\" font-size=\"12\">\n");
    if (c->title) {
        fprintf(f, "<text class=\"title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                   "font-size=\"15\" font-weight=\"bold\">", x0 + w / 2, y0 + 24);
        wu_xml_text(f, c->title);
        fputs("</text>\n", f);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
               "stroke=\"#444444\"/>\n", pl, pt, pw, ph);
    /* x axis: grid, ticks, labels */
    fprintf(f, "<g class=\"axis-x\" data-lo=\"%.17g\" data-hi=\"%.17g\" data-log=\"0\">\n",
            ax.lo, ax.hi);
    for (int i = 0; i < ax.nticks; i++) {
        double px = pl + pw * wu_axis_frac(&ax, ax.ticks[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                px, pt, px, pt + ph, px, pt + ph + 16, ax.labels[i]);
    }
    if (c->xlabel) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", pl + pw / 2, pt + ph + 36);
        wu_xml_text(f, c->xlabel);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
    fprintf(f, "<g class=\"axis-y\" data-lo=\"%.17g\" data-hi=\"%.17g\" data-log=\"%d\">\n", ay.lo,
            ay.hi, ay.log);
    for (int i = 0; i < ay.nticks; i++) {
        double py = pt + ph * (1.0 - wu_axis_frac(&ay, ay.ticks[i]));
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                pl, py, pl + pw, py, pl - 6, py + 4, ay.labels[i]);
    }
    if (c->ylabel) {
        fprintf(f, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">",
                x0 + 16, pt + ph / 2);
        wu_xml_text(f, c->ylabel);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
    /* markers under the lines, then the lines */
    for (int s = 0; s < c->nseries; s++) {
        const wu_series *se = &c->series[s];
        if (!isfinite(se->mark_x)) continue;
        double px = pl + pw * wu_axis_frac(&ax, se->mark_x);
        fprintf(f, "<line class=\"marker\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
                   "stroke=\"%s\" stroke-dasharray=\"5,4\" stroke-width=\"1.2\"/>\n",
                px, pt, px, pt + ph, wu_chart_color(s));
    }
    for (int s = 0; s < c->nseries; s++) {
        fprintf(f, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                   "stroke-linejoin=\"round\" points=\"", wu_chart_color(s));
        polyline(f, &c->series[s], &ax, &ay, pl, pt, pw, ph, c->log_y);
        fputs("\"/>\n", f);
    }
    /* legend, under the x axis */
    double lx = pl, ly = pt + ph + 46;
    fputs("<g class=\"legend\">\n", f);
    for (int s = 0; s < c->nseries; s++) {
        double yy = ly + 14 + 18 * s;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">",
                lx, yy - 4, lx + 22, yy - 4, wu_chart_color(s), lx + 28, yy);
        wu_xml_text(f, c->series[s].name);
        fputs("</text>\n", f);
    }
    if (has_marker)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\" "
                   "stroke-dasharray=\"5,4\"/><text x=\"%.1f\" y=\"%.1f\">end of warmup</text>\n",
                lx, ly + 10 + 18 * c->nseries, lx + 22, ly + 10 + 18 * c->nseries, lx + 28,
                ly + 14 + 18 * c->nseries);
    fputs("</g>\n</g>\n", f);
}

int wu_chart_svg(FILE *f, const wu_chart *c, int width, int height)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\">\n<title>", width, height, width, height);
    wu_xml_text(f, c->title ? c->title : "chart");
    fprintf(f, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fafafa\"/>\n", width, height);
    wu_chart_svg_panel(f, c, 0, 0, width, height);
    fputs("</svg>\n", f);
    return ferror(f) ? -1 : 0;
}
