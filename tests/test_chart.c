/* test_chart.c - the chart module: axes that cover the data, tick labels, SVG structure,
 * terminal charts that fit their width, and golden text renderings of a tiny chart.
 * WU_UPDATE_GOLDEN=1 rewrites the golden files (then review the diff). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "report/chart.h"
#include "warmup.h"

static char *render_tty(const wu_chart *c, int cols, int rows, int mode, int color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = wu_chart_tty(f, c, cols, rows, mode, color);
    fclose(f);
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The widest line in display columns: UTF-8 code points, ANSI escapes skipped. */
static int max_width(const char *s, int *lines)
{
    int w = 0, best = 0;
    *lines = 0;
    for (; *s; s++) {
        if (*s == '\n') {
            if (w > best) best = w;
            w = 0;
            (*lines)++;
        } else if (*s == '\x1b') {
            while (*s && *s != 'm') s++;
            if (!*s) break;
        } else if (((unsigned char)*s & 0xc0) != 0x80) {
            w++;
        }
    }
    return w > best ? w : best;
}

static void test_ticks(void)
{
    static const struct { double v, step; int sci; const char *want; } t[] = {
        {3e-4, 1e-4, 1, "3e-4"},     {2.5e-4, 5e-5, 1, "2.5e-4"}, {0, 1e-4, 1, "0"},
        {1e-5, 1e-5, 1, "1e-5"},     {0.25, 0.05, 0, "0.25"},     {0.5, 0.25, 0, "0.50"},
        {200, 50, 0, "200"},         {1.5, 0.5, 0, "1.5"},        {3e6, 1e6, 1, "3e6"},
        {1.2e-3, 2e-4, 0, "0.0012"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char buf[16];
        wu_tick_label(t[i].v, t[i].step, t[i].sci, buf);
        CHECK(strcmp(buf, t[i].want) == 0, "tick %g (step %g): '%s', want '%s'", t[i].v,
              t[i].step, buf, t[i].want);
    }
}

static void test_axes(void)
{
    /* axes cover the data range, whatever its scale and sign */
    static const double scales[] = {3e-4, 1.0, 0.1, 7.3, 12345.0, 1e-7};
    double x[200], y[200];
    for (size_t s = 0; s < sizeof scales / sizeof *scales; s++) {
        for (int i = 0; i < 200; i++) {
            x[i] = 3 + i * 7;
            y[i] = scales[s] * (0.2 + (double)((i * 37) % 101) / 100.0) * (s == 2 ? -1 : 1);
        }
        for (int log = 0; log < 2; log++) {
            if (log && s == 2) continue;
            wu_series se = {.name = "s", .x = x, .y = y, .n = 200, .mark_x = NAN};
            wu_chart c = {.series = &se, .nseries = 1, .log_y = log};
            wu_axis ax, ay;
            wu_chart_axes(&c, &ax, &ay);
            double lo = 1e300, hi = -1e300;
            for (int i = 0; i < 200; i++) {
                if (y[i] < lo) lo = y[i];
                if (y[i] > hi) hi = y[i];
            }
            CHECK(ax.lo <= 3 && ax.hi >= 3 + 199 * 7, "x axis [%g, %g]", ax.lo, ax.hi);
            CHECK(ay.lo <= lo + fabs(lo) * 1e-12 && ay.hi >= hi - fabs(hi) * 1e-12,
                  "scale %g log %d: y axis [%g, %g] misses [%g, %g]", scales[s], log, ay.lo,
                  ay.hi, lo, hi);
            CHECK(ay.nticks >= 2 && ay.nticks <= WU_AXIS_MAX_TICKS, "y ticks %d", ay.nticks);
            int inside = 1;
            for (int i = 0; i < ay.nticks; i++)
                inside &= ay.ticks[i] >= ay.lo - fabs(ay.lo) * 1e-9 &&
                          ay.ticks[i] <= ay.hi + fabs(ay.hi) * 1e-9 && ay.labels[i][0];
            CHECK(inside, "ticks inside the axis with labels (scale %g, log %d)", scales[s], log);
        }
    }
}

/* A tiny chart from real schedules: used by the SVG, width and golden tests. */
typedef struct tiny {
    double x[40], y[2][40];
    wu_series s[2];
    wu_chart c;
} tiny;

static void make_tiny(tiny *t, int n)
{
    const char *specs[2] = {"warmup(8) > cosine", "constant"};
    wu_sched_opts o = {.lr = 1e-3, .total_steps = n};
    for (int k = 0; k < n; k++) t->x[k] = k;
    for (int i = 0; i < 2; i++) {
        wu_schedule *s;
        wu_schedule_parse(specs[i], &o, &s, NULL);
        for (int k = 0; k < n; k++) t->y[i][k] = wu_sched_lr(s, k);
        t->s[i] = (wu_series){.name = specs[i], .x = t->x, .y = t->y[i], .n = n,
                              .mark_x = wu_sched_warmup_steps(s) ? (double)wu_sched_warmup_steps(s) : NAN};
        wu_schedule_destroy(s);
    }
    t->c = (wu_chart){.title = "tiny <chart> & co", .xlabel = "step", .ylabel = "lr",
                      .series = t->s, .nseries = 2};
}

static void test_svg(void)
{
    tiny t;
    make_tiny(&t, 40);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(wu_chart_svg(f, &t.c, 640, 400) == 0, "svg written");
    fclose(f);
    int poly = 0, markers = 0;
    for (const char *p = buf; (p = strstr(p, "<polyline")); p++) poly++;
    for (const char *p = buf; (p = strstr(p, "class=\"marker\"")); p++) markers++;
    CHECK(poly == 2, "one polyline per series, got %d", poly);
    CHECK(markers == 1, "one warmup marker, got %d", markers);
    CHECK(strstr(buf, "tiny &lt;chart&gt; &amp; co") != NULL, "title escaped");
    CHECK(strstr(buf, "warmup(8) &gt; cosine") != NULL, "legend escaped");
    double lo, hi;
    const char *ax = strstr(buf, "class=\"axis-x\"");
    CHECK(ax && sscanf(ax, "class=\"axis-x\" data-lo=\"%lf\" data-hi=\"%lf\"", &lo, &hi) == 2 &&
              lo <= 0 && hi >= 39, "x axis covers 0..39: [%g, %g]", lo, hi);
    const char *ay = strstr(buf, "class=\"axis-y\"");
    CHECK(ay && sscanf(ay, "class=\"axis-y\" data-lo=\"%lf\" data-hi=\"%lf\"", &lo, &hi) == 2 &&
              lo <= 0 && hi >= 1e-3, "y axis covers 0..1e-3: [%g, %g]", lo, hi);
    free(buf);

    /* a long series is thinned to a few points per pixel column but keeps its extremes */
    int n = 200000;
    double *x = malloc(sizeof *x * (size_t)n), *y = malloc(sizeof *y * (size_t)n);
    for (int i = 0; i < n; i++) {
        x[i] = i;
        y[i] = (i % 1000 == 500) ? 5.0 : 1.0 + 1e-6 * i; /* narrow spikes */
    }
    wu_series se = {.name = "spiky", .x = x, .y = y, .n = n, .mark_x = NAN};
    wu_chart c = {.series = &se, .nseries = 1};
    buf = NULL;
    f = open_memstream(&buf, &len);
    wu_chart_svg(f, &c, 800, 400);
    fclose(f);
    int pts = 0;
    const char *pl = strstr(buf, "points=\"");
    for (const char *p = pl; p && *p && *p != '/'; p++) pts += *p == ',';
    CHECK(pts > 100 && pts <= 4 * 800, "thinned to %d points", pts);
    wu_axis xa, ya;
    wu_chart_axes(&c, &xa, &ya);
    CHECK(ya.hi >= 5.0, "the spikes set the axis");
    /* the spike height appears: y pixel of 5.0 is the plot top region */
    CHECK(strstr(pl, ",40.00") != NULL || ya.hi > 5.0, "a spike reaches the top of its range");
    free(buf);
    free(x);
    free(y);
}

static void test_tty_width(void)
{
    tiny t;
    make_tiny(&t, 40);
    for (int mode = 0; mode < 3; mode++)
        for (int color = 0; color < 2; color++)
            for (int cols = 30; cols <= 140; cols += 11) {
                char *out = render_tty(&t.c, cols, 8, mode, color);
                CHECK(out != NULL, "renders at %d columns", cols);
                if (!out) continue;
                int lines, w = max_width(out, &lines);
                CHECK(w <= cols, "mode %d color %d: a line is %d wide, more than %d", mode, color,
                      w, cols);
                CHECK(lines == 1 + 8 + 2 + 1 + 3, "mode %d: %d lines", mode, lines);
                free(out);
            }
    CHECK(render_tty(&t.c, 29, 8, WU_TTY_ASCII, 0) == NULL, "too narrow is refused");
}

static void golden(const char *path, const char *got)
{
    if (getenv("WU_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "w");
        fputs(got, f);
        fclose(f);
    }
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "golden file %s is missing", path);
    if (!f) return;
    char want[8192];
    size_t n = fread(want, 1, sizeof want - 1, f);
    want[n] = '\0';
    fclose(f);
    CHECK(strcmp(want, got) == 0, "%s differs from the rendering:\n%s", path, got);
}

static void test_golden(void)
{
    tiny t;
    make_tiny(&t, 40);
    char *a = render_tty(&t.c, 48, 8, WU_TTY_ASCII, 0);
    char *b = render_tty(&t.c, 48, 8, WU_TTY_BRAILLE, 0);
    golden("tests/golden/chart_ascii.txt", a);
    golden("tests/golden/chart_braille.txt", b);
    free(a);
    free(b);
}

int main(void)
{
    test_ticks();
    test_axes();
    test_svg();
    test_tty_width();
    test_golden();
    return th_done("test_chart");
}
