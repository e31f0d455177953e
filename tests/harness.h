/* harness.h - a tiny test harness in the spirit of SQLite's: one line per failure, a closing
 * "N passed, N failed" line, and a non-zero exit status on any failure. */
#ifndef WU_HARNESS_H
#define WU_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int th_pass, th_fail;

#ifdef _OPENMP
#include <omp.h>
/* Tests pin their thread count (one thread unless OMP_NUM_THREADS says otherwise), so a test
 * program run by hand behaves as under tests/run.sh, and a loaded machine cannot make a test
 * slow by oversubscription. Runs before main(); a test that wants more threads sets them. */
__attribute__((constructor)) static void th_pin_threads(void)
{
    if (!getenv("OMP_NUM_THREADS")) omp_set_num_threads(1);
}
#endif

#define CHECK(cond, ...)                                          \
    do {                                                          \
        if (cond) {                                               \
            th_pass++;                                            \
        } else {                                                  \
            th_fail++;                                            \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);           \
            printf(__VA_ARGS__);                                  \
            printf("\n");                                         \
        }                                                         \
    } while (0)

/* ---- comparisons that cannot miss ----------------------------------------------------------
 * Every parity check keeps its largest error in a th_max: a NaN error (a NaN on either side, or
 * an infinity against a finite value) is recorded as a failure, not skipped the way `d > worst`
 * and fmax() skip it, and a comparison of zero elements is a failure too, so a fixture field
 * that is missing or null cannot pass. Use:
 *     th_max m = TH_MAX_INIT;
 *     for (...) th_max_add(&m, fabs(got[i] - want[i]), i);
 *     CHECK_MAX(&m, 1e-6, "%s: logits", name);
 * A bound of the form atol + rtol * |want| is one error: fabs(got - want) - rtol * fabs(want)
 * against atol. */
typedef struct th_max {
    double max; /* the largest error that is a number */
    long at;    /* where it was (the index given to th_max_add), -1 when nothing was compared */
    long n;     /* how many errors were added */
    long nans;  /* how many of them were NaN */
    long nan_at;
} th_max;
#define TH_MAX_INIT {0.0, -1, 0, 0, -1}

static inline void th_max_add(th_max *m, double err, long at)
{
    m->n++;
    if (isnan(err)) {
        if (m->nans++ == 0) m->nan_at = at;
        return;
    }
    if (m->at < 0 || err > m->max) {
        m->max = err;
        m->at = at;
    }
}

/* Merge b into a (a file's maximum over its cases). */
static inline void th_max_merge(th_max *a, const th_max *b)
{
    a->n += b->n;
    if (b->nans) {
        if (a->nans == 0) a->nan_at = b->nan_at;
        a->nans += b->nans;
    }
    if (b->at >= 0 && (a->at < 0 || b->max > a->max)) {
        a->max = b->max;
        a->at = b->at;
    }
}

/* 1 when at least one error was added, none was NaN and the largest is <= tol. */
static inline int th_max_ok(const th_max *m, double tol)
{
    return m->n > 0 && m->nans == 0 && m->max <= tol;
}

/* The largest error for printing: NaN when any error was NaN. */
static inline double th_max_val(const th_max *m) { return m->nans ? NAN : m->max; }

/* One CHECK of a th_max against tol; the message (printf-style) names what was compared, and
 * the harness adds the largest error and where it was, the NaN count, or "nothing compared". */
#define CHECK_MAX(m, tol, ...)                                                                  \
    do {                                                                                        \
        const th_max *m_ = (m);                                                                 \
        if (th_max_ok(m_, (tol))) {                                                             \
            th_pass++;                                                                          \
        } else {                                                                                \
            th_fail++;                                                                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                         \
            printf(__VA_ARGS__);                                                                \
            if (m_->n == 0) printf(": nothing compared\n");                                     \
            else if (m_->nans) printf(": %ld NaN of %ld (first at %ld)\n", m_->nans, m_->n,      \
                                      m_->nan_at);                                               \
            else printf(": max error %.3g at %ld (bound %.3g)\n", m_->max, m_->at, (double)(tol)); \
        }                                                                                       \
    } while (0)

/* Relative difference, 0 when both are equal (including both zero). */
static inline double th_rel(double a, double b)
{
    if (a == b) return 0.0;
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) / m;
}

/* A whole file as a NUL-terminated string (the caller frees it), its length in *len when len
 * is not NULL; NULL when it cannot be read. */
static inline char *th_slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = '\0';
    fclose(f);
    if (buf && len) *len = n;
    return buf;
}

#ifdef cJSON__h
/* Call fn(case, lineno, ctx) for every line of a JSONL fixture, lineno counting from 1; a line
 * that is not JSON fails a CHECK. Returns the number of cases, -1 when the file cannot be read
 * (the caller decides whether that is a failure). Include <cjson/cJSON.h> before this file. */
static inline int th_jsonl(const char *path, void (*fn)(cJSON *c, int lineno, void *ctx), void *ctx)
{
    char *text = th_slurp(path, NULL);
    if (!text) return -1;
    int lineno = 0, cases = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        cJSON *c = cJSON_Parse(line);
        CHECK(c != NULL, "%s:%d: not JSON", path, lineno);
        if (!c) continue;
        fn(c, lineno, ctx);
        cJSON_Delete(c);
        cases++;
    }
    free(text);
    return cases;
}
#endif

/* 1 under `make check` (WU_TEST_QUICK=1): a test leaves its slow parts (long training runs) to
 * `make test`, and says so with a "skipped" line. */
static inline int th_quick(void)
{
    const char *q = getenv("WU_TEST_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* A part of the test that did not run: prints "  skipped: WHAT: WHY", the one form tests/run.sh
 * counts into its closing "N passed, N failed, N skipped" (shell tests print the same line). */
#define th_skip(...) (printf("  skipped: "), printf(__VA_ARGS__), printf("\n"))

static inline int th_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, th_pass, th_fail);
    return th_fail ? 1 : 0;
}

#endif
