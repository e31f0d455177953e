/* test_chart.c - the chart module: axes that cover the data, tick labels, SVG structure,
 * terminal charts that fit their width, golden text renderings of a tiny chart; log x axes,
 * dotted and flagged series, the twin y axis, and heatmaps. SVG output is checked with xmllint
 * when it is installed (scripts/deps.sh test installs it).
 * WU_UPDATE_GOLDEN=1 rewrites the golden files and fails, saying so (review the diff, then run
 * again without it). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "report/chart.h"
#include "report/heatmap.h"
#include "report/html.h"
#include "train/metrics_cols.h"
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

static char *render_svg(const wu_chart *c, int w, int h)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = wu_chart_svg(f, c, w, h);
    fclose(f);
    CHECK(rc == 0, "svg written");
    return buf;
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++) n++;
    return n;
}

/* xmllint's verdict on a document, when xmllint is there (the CLI tests use it the same way). */
static void check_xml(const char *doc, const char *what)
{
    static int have = -1;
    if (have < 0) {
        have = system("command -v xmllint >/dev/null 2>&1") == 0;
        if (!have) printf("test_chart: xmllint not found, SVG well-formedness not checked\n");
    }
    if (!have) return;
    char path[] = "/tmp/wu_test_chart_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "temporary file for %s", what);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "w");
    fputs(doc, f);
    fclose(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "xmllint --noout %s", path);
    CHECK(system(cmd) == 0, "%s is not well-formed XML", what);
    remove(path);
}

/* The numbers of the n-th (from 0) <polyline>'s points attribute: xs and ys, returns how many. */
static int polyline_points(const char *svg, int nth, double *xs, double *ys, int max)
{
    const char *p = svg;
    for (int i = 0; i <= nth && p; i++) {
        p = strstr(p, "<polyline");
        if (p && i < nth) p++;
    }
    if (!p || !(p = strstr(p, "points=\""))) return 0;
    p += 8;
    int n = 0, used;
    while (n < max && sscanf(p, "%lf,%lf%n", &xs[n], &ys[n], &used) == 2) {
        n++;
        p += used;
    }
    return n;
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
        wu_sched_parse(&s, specs[i], &o, NULL);
        for (int k = 0; k < n; k++) t->y[i][k] = wu_sched_lr(s, k);
        t->s[i] = (wu_series){.name = specs[i], .x = t->x, .y = t->y[i], .n = n,
                              .mark_x = wu_sched_warmup_steps(s) ? (double)wu_sched_warmup_steps(s) : NAN};
        wu_sched_destroy(s);
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
    CHECK(!strstr(buf, "axis-y2") && !strstr(buf, "<circle") && !strstr(buf, "flagged") &&
              !strstr(buf, "dasharray=\"7,4\""),
          "a chart of plain series has no right axis, dots or flags");
    check_xml(buf, "tiny chart");
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
        /* rewriting is not testing: each rewritten file is a failure, so that a run with the
           variable left set can never pass */
        FILE *f = fopen(path, "w");
        int ok = f && fputs(got, f) >= 0;
        if (f && fclose(f) != 0) ok = 0;
        th_fail++;
        printf("FAIL %s: %s (WU_UPDATE_GOLDEN is set): review the diff, then run again without "
               "it\n", path, ok ? "rewritten" : "could not be rewritten");
        return;
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

/* ---- log x, dots, flags, twin axis, heatmaps ------------------------------------------------ */

static void test_log_x(void)
{
    double x[7] = {-1, 0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2}, y[7] = {9, 9, 3.0, 2.6, 2.3, 2.2, 2.4};
    wu_series se = {.name = "sweep", .x = x, .y = y, .n = 7, .mark_x = NAN};
    wu_chart c = {.title = "loss", .series = &se, .nseries = 1, .log_x = 1};
    wu_axis ax, ay;
    wu_chart_axes(&c, &ax, &ay);
    CHECK(ax.log == 1 && th_rel(ax.lo, 1e-4) < 1e-12 && th_rel(ax.hi, 1e-2) < 1e-12,
          "log x axis [%g, %g] log %d, want decades [1e-4, 1e-2]", ax.lo, ax.hi, ax.log);
    static const char *const want[3] = {"1e-4", "1e-3", "0.01"};
    CHECK(ax.nticks == 3, "3 decade ticks, got %d", ax.nticks);
    for (int i = 0; i < ax.nticks && i < 3; i++)
        CHECK(th_rel(ax.ticks[i], pow(10.0, -4 + i)) < 1e-12 && strcmp(ax.labels[i], want[i]) == 0,
              "tick %d: %g '%s', want 1e%d '%s'", i, ax.ticks[i], ax.labels[i], -4 + i, want[i]);
    CHECK(fabs(wu_axis_frac(&ax, 1e-3) - 0.5) < 1e-12, "1e-3 halfway: %g", wu_axis_frac(&ax, 1e-3));
    CHECK(ay.hi < 9, "points with x <= 0 leave the y axis alone: [%g, %g]", ay.lo, ay.hi);

    /* SVG: plot from 78 to 640 - 36 = 604 px; 1e-3 lands in the middle, x <= 0 is left out */
    char *svg = render_svg(&c, 640, 400);
    check_xml(svg, "log-x chart");
    CHECK(strstr(svg, "class=\"axis-x\" data-lo=\"0.0001") && strstr(svg, "data-log=\"1\">"),
          "axis-x says log");
    double px[16], py[16];
    int n = polyline_points(svg, 0, px, py, 16);
    CHECK(n == 5, "5 points with x > 0 drawn, got %d", n);
    if (n == 5)
        CHECK(fabs(px[0] - 78) < 0.01 && fabs(px[2] - 341) < 0.01 && fabs(px[4] - 604) < 0.01 &&
                  fabs(px[1] - (78 + 526 * (log10(3e-4) + 4) / 2)) < 0.01,
              "x pixels %g %g %g %g", px[0], px[1], px[2], px[4]);
    free(svg);

    /* terminal: the decade labels, and the curve starts in the first column */
    for (int mode = 0; mode < 3; mode++) {
        char *out = render_tty(&c, 50, 6, mode, 0);
        CHECK(out != NULL, "log-x tty mode %d", mode);
        if (!out) continue;
        int lines, w = max_width(out, &lines);
        CHECK(w <= 50, "log-x tty line %d wide", w);
        CHECK(strstr(out, "1e-4") && strstr(out, "1e-3") && strstr(out, "0.01"),
              "decade labels:\n%s", out);
        free(out);
    }
    char *out = render_tty(&c, 50, 6, WU_TTY_ASCII, 0);
    /* y 3.0 at x 1e-4: the top row (axis [2.2, 3.0] rounded to [2.2, 3]), first plot column */
    const char *row1 = out ? strchr(out, '\n') + 1 : NULL;
    CHECK(row1 && strchr(row1, '+') && strchr(row1, '+')[1] == '*', "first point top-left:\n%s",
          out ? out : "");
    free(out);
}

static void test_points_and_flags(void)
{
    double x[7] = {1, 2, 3, 4, 5, 6, 7}, y[7] = {5, 4, NAN, 3, 2.5, 2.4, NAN};
    double y2[7] = {6, 5, 4, 3.5, 3, 2.8, 2.7};
    unsigned char flag[7] = {0, 0, 0, 0, 0, 1, 1}; /* one flagged on the curve, one off it */
    wu_series s[2] = {{.name = "dots", .x = x, .y = y, .n = 7, .mark_x = NAN,
                       .style = WU_STYLE_POINTS},
                      {.name = "line", .x = x, .y = y2, .n = 7, .mark_x = NAN}};
    wu_chart c = {.series = s, .nseries = 2, .flag_label = "diverged <NaN>"};
    char *svg = render_svg(&c, 640, 400);
    check_xml(svg, "points chart");
    CHECK(count(svg, "<circle class=\"point\"") == 5, "one dot per finite point: %d",
          count(svg, "<circle class=\"point\""));
    CHECK(count(svg, "class=\"flagged\"") == 0 && !strstr(svg, "diverged"),
          "no flags, no flag legend");
    double px[8], py[8], cx, cy;
    const char *dot = strstr(svg, "<circle class=\"point\"");
    CHECK(polyline_points(svg, 0, px, py, 8) == 5 && dot &&
              sscanf(dot, "<circle class=\"point\" cx=\"%lf\" cy=\"%lf\"", &cx, &cy) == 2 &&
              fabs(cx - px[0]) < 1e-9 && fabs(cy - py[0]) < 1e-9,
          "the first dot sits on the first point of the line");
    free(svg);

    s[0].flag = flag;
    svg = render_svg(&c, 640, 400);
    check_xml(svg, "flagged chart");
    CHECK(count(svg, "<circle class=\"point\"") == 4, "a flagged point loses its dot: %d",
          count(svg, "<circle class=\"point\""));
    CHECK(count(svg, "<path class=\"flagged\"") == 2, "two x marks, got %d",
          count(svg, "<path class=\"flagged\""));
    /* the NaN one sits on the top edge (y 40) at x 7, the plot's right edge (604) */
    const char *last = strstr(svg, "<path class=\"flagged\"");
    last = last ? strstr(last + 1, "<path class=\"flagged\"") : NULL;
    double mx, my;
    CHECK(last && sscanf(last, "<path class=\"flagged\" d=\"M%lf,%lf", &mx, &my) == 2 &&
              fabs(mx + 5 - 604) < 0.01 && fabs(my + 5 - 40) < 0.01,
          "an unplottable flagged point on the top edge: %g, %g", mx + 5, my + 5);
    const char *leg = strstr(svg, "class=\"legend\"");
    CHECK(leg && strstr(leg, "class=\"flag-key\"") && strstr(leg, ">diverged &lt;NaN&gt;</text>"),
          "legend entry for the flags");
    wu_axis ax, ay;
    wu_chart_axes(&c, &ax, &ay);
    CHECK(ay.lo <= 2.4 && ay.hi >= 6 && ay.hi <= 7, "flags leave the axis alone: [%g, %g]", ay.lo,
          ay.hi);
    free(svg);

    /* terminal: a dot glyph per dotted point, an x per flag, the legend line */
    char *out = render_tty(&c, 60, 10, WU_TTY_BRAILLE, 0);
    CHECK(out && count(out, "\xe2\x97\x8f") == 4 + 1, "4 dots and the legend's: %d",
          out ? count(out, "\xe2\x97\x8f") : -1);
    CHECK(out && count(out, "\xc3\x97") == 2 + 1 && strstr(out, "\xc3\x97  diverged <NaN>\n"),
          "2 x marks and the legend's:\n%s", out ? out : "");
    free(out);
    out = render_tty(&c, 60, 10, WU_TTY_ASCII, 0);
    int xs = 0, lines = 0;
    for (const char *p = out; p && *p && lines < 10; p++) { /* the plot rows only */
        lines += *p == '\n';
        xs += *p == 'x';
    }
    CHECK(xs == 2, "two 'x' cells in the ASCII plot, got %d:\n%s", xs, out ? out : "");
    CHECK(out && count(out, "O") == 4 + 1, "4 'O' dots and the legend's:\n%s", out ? out : "");
    free(out);
    for (int mode = 0; mode < 3; mode++)
        for (int cols = 30; cols <= 90; cols += 15) {
            out = render_tty(&c, cols, 6, mode, 1);
            int w = out ? max_width(out, &lines) : 999;
            CHECK(w <= cols, "flags mode %d: %d wide in %d", mode, w, cols);
            free(out);
        }
}

static void test_twin(void)
{
    double x[11], loss[11], lr[11];
    for (int i = 0; i < 11; i++) {
        x[i] = 10 * i;
        loss[i] = 5 - 0.2 * i;  /* 5 .. 3 */
        lr[i] = 100 + 3 * i;    /* 100 .. 130: far outside the left axis */
    }
    wu_series s[2] = {{.name = "loss", .x = x, .y = loss, .n = 11, .mark_x = NAN},
                      {.name = "lr", .x = x, .y = lr, .n = 11, .mark_x = NAN, .right = 1}};
    wu_chart c = {.title = "twin", .ylabel = "loss", .y2label = "lr & co", .series = s,
                  .nseries = 2};
    wu_axis ax, ay, ay2;
    wu_chart_axes2(&c, &ax, &ay, &ay2);
    CHECK(ay.lo == 3 && ay.hi == 5, "left axis from the left series only: [%g, %g]", ay.lo, ay.hi);
    CHECK(ay2.lo == 100 && ay2.hi == 130, "right axis [%g, %g]", ay2.lo, ay2.hi);
    wu_axis ay1;
    wu_chart_axes(&c, &ax, &ay1);
    CHECK(ay1.lo == ay.lo && ay1.hi == ay.hi, "wu_chart_axes agrees on the left axis");

    char *svg = render_svg(&c, 640, 400);
    check_xml(svg, "twin chart");
    double lo, hi;
    const char *a2 = strstr(svg, "class=\"axis-y2\"");
    CHECK(a2 && sscanf(a2, "class=\"axis-y2\" data-lo=\"%lf\" data-hi=\"%lf\"", &lo, &hi) == 2 &&
              lo == 100 && hi == 130, "axis-y2 data range [%g, %g]", a2 ? lo : NAN, a2 ? hi : NAN);
    const char *a1 = strstr(svg, "class=\"axis-y\"");
    CHECK(a1 && sscanf(a1, "class=\"axis-y\" data-lo=\"%lf\" data-hi=\"%lf\"", &lo, &hi) == 2 &&
              lo == 3 && hi == 5, "axis-y data range [%g, %g]", lo, hi);
    CHECK(a2 && strstr(a2, ">130</text>") && strstr(a2, "lr &amp; co"), "right ticks and label");
    /* plot rows: top 40, height 400 - 40 - 52 - 2 * 18 - 6 = 266; both curves span it */
    for (int k = 0; k < 2; k++) {
        double px[16], py[16], ymin = 1e9, ymax = -1e9;
        int n = polyline_points(svg, k, px, py, 16);
        for (int i = 0; i < n; i++) {
            if (py[i] < ymin) ymin = py[i];
            if (py[i] > ymax) ymax = py[i];
        }
        CHECK(n == 11 && fabs(ymin - 40) < 0.01 && fabs(ymax - 306) < 0.01,
              "series %d spans the plot height: %d points, y %g .. %g", k, n, ymin, ymax);
    }
    const char *p2 = strstr(svg, "<polyline");
    p2 = p2 ? strstr(p2 + 1, "<polyline") : NULL;
    CHECK(p2 && strstr(p2, "stroke-dasharray") && strstr(p2, "stroke-dasharray") < strstr(p2, "/>"),
          "the right series is dashed");
    free(svg);

    /* terminal: right labels at the right edge, and the right series fills the plot height */
    char *out = render_tty(&c, 50, 6, WU_TTY_ASCII, 0);
    CHECK(out && strstr(out, "+130\n") && strstr(out, "+100\n"), "right tick labels:\n%s",
          out ? out : "");
    const char *r1 = out ? strchr(out, '\n') + 1 : NULL, *r6 = r1;
    for (int i = 0; r6 && i < 5; i++) r6 = strchr(r6, '\n') + 1;
    CHECK(r1 && r6 && memchr(r1, 'o', (size_t)(strchr(r1, '\n') - r1)) &&
              memchr(r6, 'o', (size_t)(strchr(r6, '\n') - r6)) &&
              memchr(r1, '*', (size_t)(strchr(r1, '\n') - r1)),
          "both series reach the top and the bottom row:\n%s", out ? out : "");
    CHECK(out && strstr(out, "right: lr & co") && strstr(out, "oo lr (right axis)"),
          "axis name and legend");
    free(out);
    for (int mode = 0; mode < 3; mode++)
        for (int color = 0; color < 2; color++)
            for (int cols = 30; cols <= 140; cols += 11) {
                out = render_tty(&c, cols, 8, mode, color);
                int lines, w = out ? max_width(out, &lines) : 999;
                CHECK(w <= cols, "twin mode %d color %d: %d wide in %d", mode, color, w, cols);
                free(out);
            }
}

/* A 3 x 4 loss grid with one diverged cell. */
static const char *const HM_COLS[4] = {"1e-4", "3e-4", "1e-3", "3e-3"};
static const char *const HM_ROWS[3] = {"0%", "1%", "10%"};
static const double HM_V[12] = {3.1, 2.6, 2.3, NAN, 3.0, 2.5, 2.2, 2.4567, 3.05, 2.45, 2.15, 2.05};

static wu_heatmap make_heatmap(void)
{
    return (wu_heatmap){.title = "loss <LR & warmup>", .xlabel = "peak LR", .ylabel = "warmup",
                        .ncols = 4, .nrows = 3, .col_labels = HM_COLS, .row_labels = HM_ROWS,
                        .v = HM_V, .nan_label = "diverged", .low_is_good = 1};
}

static void test_heatmap_svg(void)
{
    /* the scale: viridis's ends, and lightness that only rises */
    unsigned char rgb[3], prev = 0;
    wu_heat_rgb(0, rgb);
    CHECK(rgb[0] == 68 && rgb[1] == 1 && rgb[2] == 84, "scale starts dark purple");
    wu_heat_rgb(1, rgb);
    CHECK(rgb[0] == 253 && rgb[1] == 231 && rgb[2] == 37, "scale ends bright yellow");
    int mono = 1;
    for (int i = 0; i <= 100; i++) {
        wu_heat_rgb(i / 100.0, rgb);
        unsigned char l = (unsigned char)((299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2]) / 1000);
        mono &= l >= prev;
        prev = l;
    }
    CHECK(mono, "brightness rises along the scale");

    wu_heatmap h = make_heatmap();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(wu_heatmap_svg(f, &h, 640, 320) == 0, "heatmap written");
    fclose(f);
    check_xml(buf, "heatmap");
    CHECK(count(buf, "<g class=\"heatmap\"") == 1, "one heatmap group");
    CHECK(count(buf, "<rect class=\"cell\"") == 12, "12 cells, got %d",
          count(buf, "<rect class=\"cell\""));
    CHECK(count(buf, "data-value=\"NaN\"") == 1, "one NaN cell");
    CHECK(count(buf, "class=\"nan-mark\"") == 2, "x on the NaN cell and on its key, got %d",
          count(buf, "class=\"nan-mark\""));
    CHECK(strstr(buf, ">diverged</text>") && strstr(buf, "loss &lt;LR &amp; warmup&gt;"),
          "NaN key and escaped title");
    /* every cell's value back from data-value, in order; the lowest loss is the bright end */
    int i = 0, values_ok = 1;
    for (const char *p = buf; (p = strstr(p, "<rect class=\"cell\"")) && i < 12; p++, i++) {
        unsigned r, g, b;
        const char *fill = strstr(p, "fill=\"#"), *dv = strstr(p, "data-value=\"");
        double v = dv ? strtod(dv + 12, NULL) : -1;
        values_ok &= isnan(HM_V[i]) ? isnan(v) : v == HM_V[i];
        if (fill && sscanf(fill, "fill=\"#%2x%2x%2x", &r, &g, &b) == 3) {
            if (HM_V[i] == 2.05) CHECK(r == 253 && g == 231 && b == 37, "min loss yellow");
            if (HM_V[i] == 3.1) CHECK(r == 68 && g == 1 && b == 84, "max loss dark");
        }
    }
    CHECK(i == 12 && values_ok, "data-value of every cell matches");
    CHECK(strstr(buf, ">2.45</text>") && strstr(buf, ">10%</text>") && strstr(buf, ">3e-3</text>"),
          "values and labels written");
    const char *sc = strstr(buf, "<g class=\"scale\"");
    CHECK(sc && strstr(sc, ">2.05</text>") && strstr(sc, ">3.1</text>"), "scale labelled min/max");
    free(buf);

    /* inline in HTML: a figure holding the same drawing */
    buf = NULL;
    f = open_memstream(&buf, &len);
    wu_html_heatmap(f, &h, 640, 320);
    fclose(f);
    check_xml(buf, "html heatmap figure");
    CHECK(strncmp(buf, "<figure><svg", 12) == 0 && count(buf, "<rect class=\"cell\"") == 12,
          "html heatmap");
    free(buf);
}

static char *render_heatmap_tty(const wu_heatmap *h, int cols, int color, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *rc = wu_heatmap_tty(f, h, cols, color);
    fclose(f);
    return buf;
}

static void test_heatmap_tty(void)
{
    wu_heatmap h = make_heatmap();
    int rc, lines;
    for (int color = 0; color < 2; color++)
        for (int cols = 23; cols <= 100; cols += 7) {
            char *out = render_heatmap_tty(&h, cols, color, &rc);
            int w = max_width(out, &lines);
            CHECK(rc == 0 && w <= cols, "color %d: %d wide in %d (rc %d)", color, w, cols, rc);
            int all = 1;
            char v[32];
            for (int i = 0; i < 12; i++) {
                snprintf(v, sizeof v, "%.3g", HM_V[i]);
                all &= isnan(HM_V[i]) || strstr(out, v) != NULL;
            }
            CHECK(all && strstr(out, "\xc3\x97") && lines == 1 + 1 + 3 + 1 + 1 + 1,
                  "color %d cols %d: values, NaN mark, 8 lines (%d):\n%s", color, cols, lines, out);
            CHECK(!color || count(out, "\x1b[48;5;") == 12 + 8, "a background per cell and ramp");
            free(out);
        }
    char *out = render_heatmap_tty(&h, 22, 0, &rc);
    CHECK(rc == -1, "22 columns cannot hold 4 cells of 5 and a 3-character row label");
    free(out);
    /* long column labels are cut to the values' width before giving up */
    static const char *const longc[4] = {"lr=0.0001", "lr=0.0003", "lr=0.001", "lr=0.003"};
    h.col_labels = longc;
    out = render_heatmap_tty(&h, 30, 0, &rc);
    CHECK(rc == 0 && max_width(out, &lines) <= 30 && strstr(out, "lr=0"), "cut labels:\n%s", out);
    free(out);
}

static void test_golden_new(void)
{
    double x[6] = {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2}, y[6] = {3.1, 2.6, 2.3, 2.2, 2.5, NAN};
    double t[6] = {0, 1, 2, 3, 4, 5}, lr[6] = {0, 3, 2, 1.5, 1, 0.5};
    unsigned char flag[6] = {0, 0, 0, 0, 0, 1};
    wu_series s = {.name = "warmup 10%", .x = x, .y = y, .n = 6, .mark_x = NAN,
                   .style = WU_STYLE_POINTS, .flag = flag};
    wu_chart c = {.title = "final loss vs LR", .xlabel = "peak LR", .series = &s, .nseries = 1,
                  .log_x = 1, .flag_label = "diverged"};
    char *a = render_tty(&c, 48, 8, WU_TTY_ASCII, 0);
    wu_series tw[2] = {{.name = "loss", .x = t, .y = y, .n = 5, .mark_x = NAN},
                       {.name = "lr", .x = t, .y = lr, .n = 6, .mark_x = NAN, .right = 1}};
    wu_chart tc = {.title = "twin", .xlabel = "step", .ylabel = "loss", .y2label = "lr",
                   .series = tw, .nseries = 2};
    char *b = render_tty(&tc, 48, 8, WU_TTY_ASCII, 0);
    wu_heatmap h = make_heatmap();
    int rc;
    char *hm = render_heatmap_tty(&h, 60, 0, &rc);
    size_t la = strlen(a), lb = strlen(b);
    char *all = malloc(la + lb + strlen(hm) + 1);
    memcpy(all, a, la);
    memcpy(all + la, b, lb);
    strcpy(all + la + lb, hm);
    golden("tests/golden/chart_extras.txt", all);
    free(a);
    free(b);
    free(hm);
    free(all);
}

/* The stroke-dasharray of the k-th <polyline> of an SVG ("" when solid) and its stroke-width. */
static void nth_stroke(const char *svg, int k, char dash[32], double *width)
{
    const char *p = svg;
    for (int i = 0; i <= k && p; i++) p = strstr(i ? p + 1 : p, "<polyline");
    dash[0] = '\0';
    *width = 0;
    if (!p) return;
    const char *end = strstr(p, "points=");
    const char *d = strstr(p, "stroke-dasharray=\"");
    if (d && d < end) sscanf(d, "stroke-dasharray=\"%31[^\"]", dash);
    const char *w = strstr(p, "stroke-width=\"");
    if (w && w < end) sscanf(w, "stroke-width=\"%lf", width);
}

/* Linear and exponential warmup that coincide after the warmup, a third identical series, and
 * one apart: each coinciding series is dashed its own way, drawn thinner over a thicker first
 * one, and its legend entry says which it matches (issue 14: one line hid the other). */
static void test_coinciding(void)
{
    enum { N = 400 };
    static double x[N], y[4][N];
    for (int i = 0; i < N; i++) {
        x[i] = i;
        y[0][i] = i < 40 ? i / 40.0 : 1.0 - 0.5 * (i - 40) / (double)N;
        y[1][i] = i < 40 ? 1.0 - exp(-i / 8.0) : y[0][i];
        y[2][i] = y[0][i] * (1 + 1e-5);
        y[3][i] = 0.3 + 0.1 * i / N;
    }
    wu_series s[4] = {{.name = "linear warmup", .x = x, .y = y[0], .n = N, .mark_x = NAN},
                      {.name = "exp warmup", .x = x, .y = y[1], .n = N, .mark_x = NAN},
                      {.name = "radam", .x = x, .y = y[2], .n = N, .mark_x = NAN},
                      {.name = "apart", .x = x, .y = y[3], .n = N, .mark_x = NAN}};
    wu_chart c = {.title = "coinciding", .xlabel = "step", .ylabel = "lr", .series = s, .nseries = 4};
    CHECK(wu_chart_same_as(&c, 0) == -1 && wu_chart_same_as(&c, 1) == 0 &&
              wu_chart_same_as(&c, 2) == 0 && wu_chart_same_as(&c, 3) == -1,
          "coinciding series found: %d %d %d %d", wu_chart_same_as(&c, 0), wu_chart_same_as(&c, 1),
          wu_chart_same_as(&c, 2), wu_chart_same_as(&c, 3));
    char *svg = render_svg(&c, 800, 450);
    check_xml(svg, "coinciding chart");
    char d[4][32];
    double w[4];
    for (int k = 0; k < 4; k++) nth_stroke(svg, k, d[k], &w[k]);
    CHECK(!d[0][0] && d[1][0] && d[2][0] && strcmp(d[1], d[2]) && strcmp(d[1], "7,4") &&
              strcmp(d[2], "7,4") && !d[3][0],
          "each coinciding series has its own dash pattern: '%s' '%s' '%s' '%s'", d[0], d[1], d[2], d[3]);
    CHECK(w[0] > w[1] && w[0] > w[2] && w[3] == w[1],
          "the matched series is drawn thicker, first: %g %g %g %g", w[0], w[1], w[2], w[3]);
    CHECK(strstr(svg, "exp warmup (same as linear warmup)") && strstr(svg, "radam (same as linear warmup)") &&
              !strstr(svg, "apart (same"),
          "the legend says which series coincide");
    free(svg);
    /* the terminal: the dashed series leaves the earlier one's glyph between its dashes */
    wu_chart c2 = c;
    c2.nseries = 2;
    char *t = render_tty(&c2, 70, 10, WU_TTY_ASCII, 0);
    CHECK(t && strstr(t, "exp warmup (same as linear warmup)"), "tty legend says same as");
    int lines;
    CHECK(t && max_width(t, &lines) <= 70, "tty fits");
    /* the flat part (rows of the plot holding the coinciding decay) shows both glyphs */
    int both = 0;
    for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        const char *e = strchr(p, '\n');
        int star = 0, o = 0;
        for (const char *q = p; *q && q != e; q++) star += *q == '*', o += *q == 'o';
        both |= star >= 3 && o >= 3;
    }
    CHECK(both, "both coinciding series visible in the terminal:\n%s", t ? t : "");
    free(t);
    t = render_tty(&c, 70, 10, WU_TTY_ASCII, 0); /* all four, as a reviewed golden picture */
    if (t) golden("tests/golden/chart_coincide.txt", t);
    free(t);
}

/* A legend entry as long as a pasted torch SequentialLR spec stays inside the figure, elided,
 * with its full text in a <title> tooltip. */
static void test_long_legend(void)
{
    char name[400];
    snprintf(name, sizeof name, "torch:SequentialLR(optimizer, schedulers=[LinearLR(optimizer, "
             "start_factor=0.01, total_iters=500), CosineAnnealingLR(optimizer, T_max=9500, "
             "eta_min=1e-5)], milestones=[500])");
    double x[3] = {0, 1, 2}, y[3] = {0, 1, 0.5};
    wu_series s[2] = {{.name = name, .x = x, .y = y, .n = 3, .mark_x = NAN},
                      {.name = "short", .x = x, .y = y, .n = 3, .mark_x = NAN, .right = 1}};
    for (int width = 400; width <= 800; width += 400) {
        wu_chart c = {.title = "long", .series = s, .nseries = 1 + (width == 400)};
        char *svg = render_svg(&c, width, 300);
        check_xml(svg, "long legend");
        const char *g = strstr(svg, "<g class=\"legend\">");
        int n = 0, inside = 1;
        for (const char *p = g; p && (p = strstr(p, "<text x=\"")); p++) {
            double tx;
            sscanf(p, "<text x=\"%lf", &tx);
            const char *q = strchr(p, '>') + 1;
            if (!strncmp(q, "<title>", 7)) q = strstr(q, "</title>") + 8;
            int len = 0;
            for (; *q && *q != '<'; q++) len += ((unsigned char)*q & 0xc0) != 0x80 && *q != '&';
            inside &= tx + 7.0 * len <= width;
            n++;
        }
        CHECK(n >= 1 && inside, "legend text within the %d-pixel figure", width);
        CHECK(strstr(svg, "<title>torch:SequentialLR(optimizer, schedulers=[LinearLR") &&
                  strstr(svg, "milestones=[500])</title>") && strstr(svg, "...</text>"),
              "the long legend is elided, its full text in a <title>");
        free(svg);
        char *t = render_tty(&c, 60, 8, WU_TTY_ASCII, 0);
        int lines;
        CHECK(t && max_width(t, &lines) <= 60, "tty legend fits");
        free(t);
    }
}

/* A y range that includes a reference: 0.207..0.212 drawn from 0, and the legend says so. */
static void test_y_include(void)
{
    double x[3] = {0, 1, 2}, y[3] = {0.207, 0.212, 0.209};
    wu_series s = {.name = "sensitivity", .x = x, .y = y, .n = 3, .mark_x = NAN};
    wu_chart c = {.title = "narrow", .series = &s, .nseries = 1};
    wu_axis ax, ay;
    wu_chart_axes(&c, &ax, &ay);
    CHECK(ay.lo > 0.2, "without a reference the range is narrow: %g", ay.lo);
    c.y_include_on = 1;
    wu_chart_axes(&c, &ax, &ay);
    CHECK(ay.lo <= 0 && ay.hi >= 0.212, "the range includes 0: [%g, %g]", ay.lo, ay.hi);
    char *svg = render_svg(&c, 800, 400);
    CHECK(strstr(svg, "class=\"y-note\"") && strstr(svg, "y axis extended to 0"), "the legend notes the reference");
    double lo, hi;
    const char *a = strstr(svg, "class=\"axis-y\"");
    CHECK(a && sscanf(a, "class=\"axis-y\" data-lo=\"%lf\" data-hi=\"%lf\"", &lo, &hi) == 2 && lo <= 0,
          "the SVG axis starts at 0");
    free(svg);
    c.y_include = 3.0;
    c.y_include_what = "the initial loss";
    char *t = render_tty(&c, 80, 8, WU_TTY_ASCII, 0);
    CHECK(t && strstr(t, "y axis extended to the initial loss (3)"), "tty notes the reference");
    free(t);
    wu_chart_axes(&c, &ax, &ay);
    CHECK(ay.hi >= 3.0 && ay.lo <= 0.207, "the range reaches the initial loss: [%g, %g]", ay.lo, ay.hi);
}

/* Every metrics column has an axis label other than its raw name; pages wrap long <pre>s. */
static void test_labels_and_page(void)
{
    for (int i = 0; i < WU_METRIC_COUNT; i++) {
        const char *l = wu_metric_label((wu_metric)i);
        CHECK(l && *l && !strchr(l, '_'), "column %s has a readable label: %s",
              wu_metric_name((wu_metric)i), l ? l : "(null)");
    }
    CHECK(strstr(wu_metric_label(WU_METRIC_LOSS), "nats") != NULL, "the loss label gives its unit");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    wu_html_begin(f, "page");
    wu_html_end(f);
    fclose(f);
    CHECK(strstr(buf, "white-space:pre-wrap") && strstr(buf, "overflow-wrap:anywhere"),
          "the rerun box wraps instead of running off the page");
    free(buf);
}

int main(void)
{
    test_ticks();
    test_axes();
    test_svg();
    test_tty_width();
    test_golden();
    test_log_x();
    test_points_and_flags();
    test_twin();
    test_heatmap_svg();
    test_heatmap_tty();
    test_golden_new();
    test_coinciding();
    test_long_legend();
    test_y_include();
    test_labels_and_page();
    return th_done("test_chart");
}
