/* chart.c - axes for charts: data ranges, nice ticks, tick labels, and the shared palette. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "chart.h"

static const char *const PALETTE[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};
static const int ANSI[] = {34, 31, 32, 33, 35, 36, 91, 94};

const char *wu_chart_color(int i) { return PALETTE[i % 8]; }
int wu_chart_ansi(int i) { return ANSI[i % 8]; }

/* The "nice number" of Heckbert's Graphics Gems labelling: 1, 2, 2.5, 5 or 10 times 10^k. */
static double nice_step(double raw)
{
    double p = pow(10.0, floor(log10(raw))), f = raw / p;
    double n = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
    return n * p;
}

void wu_tick_label(double v, double step, int sci, char buf[16])
{
    if (fabs(v) < step * 1e-9) v = 0.0;
    if (v == 0.0) {
        snprintf(buf, 16, "0");
        return;
    }
    if (!sci) {
        int dec = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
        if (dec > 0 && fmod(step * pow(10.0, dec), 1.0) > 1e-6) dec++; /* 2.5 needs a digit more */
        if (dec > 9) dec = 9;
        snprintf(buf, 16, "%.*f", dec, v);
        return;
    }
    /* scientific: as many mantissa digits as the spacing needs, without padding: 2.5e-4 */
    int e = (int)floor(log10(fabs(v)));
    int p = e - (int)floor(log10(step) + 1e-9);
    if (fmod(step / pow(10.0, floor(log10(step) + 1e-9)), 1.0) > 1e-6) p++;
    if (p < 0) p = 0;
    if (p > 4) p = 4;
    char m[32];
    snprintf(m, sizeof m, "%.*e", p, v);
    char *ex = strchr(m, 'e');
    if (!ex) {
        memcpy(buf, m, 15);
        buf[15] = '\0';
        return;
    }
    *ex = '\0';
    if (strchr(m, '.')) { /* strip trailing zeros of the mantissa */
        char *z = m + strlen(m) - 1;
        while (*z == '0') *z-- = '\0';
        if (*z == '.') *z = '\0';
    }
    m[10] = '\0'; /* a mantissa has at most 7 characters; keep the bound visible */
    snprintf(buf, 16, "%.10se%d", m, e);
}

double wu_axis_frac(const wu_axis *a, double v)
{
    if (a->log) {
        if (!(v > 0)) return -1.0;
        return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    }
    return (v - a->lo) / (a->hi - a->lo);
}

static void linear_axis(wu_axis *a, double lo, double hi, int target)
{
    if (!(hi > lo)) {
        double pad = lo != 0.0 ? fabs(lo) * 0.1 : 1.0;
        lo -= pad;
        hi += pad;
        if (lo < 0 && lo + pad >= 0) lo = 0; /* a constant positive series sits on a 0 floor */
    }
    double step = nice_step((hi - lo) / (target - 1));
    double first = floor(lo / step + 1e-9) * step, last = ceil(hi / step - 1e-9) * step;
    while ((last - first) / step + 1 > WU_AXIS_MAX_TICKS) {
        step = nice_step(step * 1.5);
        first = floor(lo / step + 1e-9) * step;
        last = ceil(hi / step - 1e-9) * step;
    }
    a->lo = first;
    a->hi = last;
    a->log = 0;
    double big = fmax(fabs(first), fabs(last));
    int sci = big < 1e-3 || big >= 1e6;
    a->nticks = 0;
    for (double v = first; v <= last + step * 1e-6 && a->nticks < WU_AXIS_MAX_TICKS; v += step) {
        double t = fabs(v) < step * 1e-9 ? 0.0 : v;
        a->ticks[a->nticks] = t;
        wu_tick_label(t, step, sci, a->labels[a->nticks]);
        a->nticks++;
    }
}

static void log_axis(wu_axis *a, double lo, double hi)
{
    if (!(lo > 0)) lo = hi > 0 ? hi / 10.0 : 1.0;
    if (!(hi > lo)) hi = lo * 10.0;
    int e0 = (int)floor(log10(lo) + 1e-9), e1 = (int)ceil(log10(hi) - 1e-9);
    if (e1 <= e0) e1 = e0 + 1;
    int every = (e1 - e0 + WU_AXIS_MAX_TICKS - 2) / (WU_AXIS_MAX_TICKS - 1);
    if (every < 1) every = 1;
    a->lo = pow(10.0, e0);
    a->hi = pow(10.0, e1);
    a->log = 1;
    a->nticks = 0;
    for (int e = e0; e <= e1 && a->nticks < WU_AXIS_MAX_TICKS; e += every) {
        a->ticks[a->nticks] = pow(10.0, e);
        if (e >= -2 && e <= 4) snprintf(a->labels[a->nticks], 16, "%g", pow(10.0, e));
        else snprintf(a->labels[a->nticks], 16, "1e%d", e);
        a->nticks++;
    }
}

static int x_ok(const wu_chart *c, double x) { return isfinite(x) && !(c->log_x && !(x > 0)); }

int wu_chart_point_ok(const wu_chart *c, const wu_series *se, int i)
{
    double y = se->y[i];
    int log = se->right ? c->log_y2 : c->log_y;
    return x_ok(c, se->x[i]) && isfinite(y) && !(log && !(y > 0));
}

int wu_chart_flagged(const wu_chart *c, const wu_series *se, int i)
{
    return se->flag && se->flag[i] && x_ok(c, se->x[i]);
}

int wu_chart_has_right(const wu_chart *c)
{
    for (int s = 0; s < c->nseries; s++)
        if (c->series[s].right) return 1;
    return 0;
}

int wu_chart_has_flags(const wu_chart *c)
{
    for (int s = 0; s < c->nseries; s++)
        for (int i = 0; c->series[s].flag && i < c->series[s].n; i++)
            if (wu_chart_flagged(c, &c->series[s], i)) return 1;
    return 0;
}

static void widen(double *lo, double *hi, double v)
{
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
}

static void value_axis(wu_axis *a, double lo, double hi, int log, int inc_on, double inc)
{
    if (!isfinite(lo)) { lo = 0; hi = 1; }
    if (inc_on && isfinite(inc) && !(log && !(inc > 0))) widen(&lo, &hi, inc);
    /* a chart of learning rates reads best from 0 */
    if (!log && lo > 0 && lo < 0.5 * hi) lo = 0;
    if (log) log_axis(a, lo, hi);
    else linear_axis(a, lo, hi, 6);
}

void wu_chart_axes2(const wu_chart *c, wu_axis *x, wu_axis *y, wu_axis *y2)
{
    double xlo = INFINITY, xhi = -INFINITY;
    double ylo[2] = {INFINITY, INFINITY}, yhi[2] = {-INFINITY, -INFINITY}; /* left, right */
    for (int s = 0; s < c->nseries; s++) {
        const wu_series *se = &c->series[s];
        int side = se->right != 0;
        for (int i = 0; i < se->n; i++) {
            if (wu_chart_point_ok(c, se, i)) {
                widen(&xlo, &xhi, se->x[i]);
                widen(&ylo[side], &yhi[side], se->y[i]);
            } else if (wu_chart_flagged(c, se, i)) {
                widen(&xlo, &xhi, se->x[i]); /* drawn at the top edge: needs its x only */
            }
        }
        if (x_ok(c, se->mark_x)) widen(&xlo, &xhi, se->mark_x);
    }
    if (!isfinite(xlo)) { xlo = 0; xhi = 1; }
    if (c->log_x) log_axis(x, xlo, xhi);
    else linear_axis(x, xlo, xhi, 7);
    value_axis(y, ylo[0], yhi[0], c->log_y, c->y_include_on, c->y_include);
    if (y2) value_axis(y2, ylo[1], yhi[1], c->log_y2, 0, 0);
}

void wu_chart_axes(const wu_chart *c, wu_axis *x, wu_axis *y) { wu_chart_axes2(c, x, y, NULL); }

/* The left-axis data range (plotted points of left series), lo > hi when there are none. */
static void left_range(const wu_chart *c, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int s = 0; s < c->nseries; s++)
        for (int i = 0; !c->series[s].right && i < c->series[s].n; i++)
            if (wu_chart_point_ok(c, &c->series[s], i)) widen(lo, hi, c->series[s].y[i]);
}

int wu_chart_y_note(const wu_chart *c, char *buf, size_t n)
{
    double lo, hi;
    if (!c->y_include_on || !isfinite(c->y_include) || (c->log_y && !(c->y_include > 0))) return 0;
    left_range(c, &lo, &hi);
    if (!(lo <= hi) || (c->y_include >= lo && c->y_include <= hi)) return 0;
    if (!c->log_y && c->y_include == 0 && lo > 0 && lo < 0.5 * hi) return 0; /* 0 anyway */
    if (c->y_include_what)
        snprintf(buf, n, "y axis extended to %s (%.4g): differences at their true size",
                 c->y_include_what, c->y_include);
    else
        snprintf(buf, n, "y axis extended to %.4g: differences at their true size", c->y_include);
    return 1;
}

/* Value of series se at x, linear between its plotted points; NaN outside them. *k is a cursor
 * that only moves forward (x is asked in non-decreasing order). */
static double value_at(const wu_chart *c, const wu_series *se, double x, int *k)
{
    int prev = -1;
    while (*k < se->n && (!wu_chart_point_ok(c, se, *k) || se->x[*k] < x)) {
        if (wu_chart_point_ok(c, se, *k)) prev = *k;
        ++*k;
    }
    if (*k >= se->n) return NAN;
    if (se->x[*k] == x) return se->y[*k];
    if (prev < 0) { /* the point before x: search back from the cursor */
        for (int i = *k - 1; i >= 0 && prev < 0; i--)
            if (wu_chart_point_ok(c, se, i)) prev = i;
        if (prev < 0) return NAN;
    }
    double t = (x - se->x[prev]) / (se->x[*k] - se->x[prev]);
    return se->y[prev] + t * (se->y[*k] - se->y[prev]);
}

int wu_chart_same_as(const wu_chart *c, int s)
{
    if (s <= 0 || s >= c->nseries) return -1;
    const wu_series *a = &c->series[s];
    double lo = INFINITY, hi = -INFINITY;
    for (int t = 0; t < c->nseries; t++)
        for (int i = 0; c->series[t].right == a->right && i < c->series[t].n; i++)
            if (wu_chart_point_ok(c, &c->series[t], i)) widen(&lo, &hi, c->series[t].y[i]);
    double span = hi > lo ? hi - lo : 0.0;
    for (int j = 0; j < s; j++) {
        const wu_series *b = &c->series[j];
        if ((b->right != 0) != (a->right != 0)) continue;
        int n = 0, same = 0, k = 0;
        for (int i = 0; i < a->n; i++) {
            if (!wu_chart_point_ok(c, a, i)) continue;
            n++;
            double v = value_at(c, b, a->x[i], &k), d = fabs(v - a->y[i]);
            if (k > 0) k--; /* the next x may fall between the same two points */
            double m = fmax(fabs(v), fabs(a->y[i]));
            same += isfinite(v) && (d <= 1e-3 * m || d <= 1e-3 * span);
        }
        if (n >= 2 && 4 * same >= 3 * n) return j;
    }
    return -1;
}

const char *wu_chart_dash(int k)
{
    static const char *const DASH[] = {"6,4", "2,3", "10,3,2,3", "1,4", "12,6", "4,2,1,2"};
    return DASH[k % 6];
}
