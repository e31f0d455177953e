/* harness.h - a tiny test harness in the spirit of SQLite's: one line per failure, a closing
 * "N passed, N failed" line, and a non-zero exit status on any failure. */
#ifndef WU_HARNESS_H
#define WU_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int th_pass, th_fail;

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

static inline int th_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, th_pass, th_fail);
    return th_fail ? 1 : 0;
}

#endif
