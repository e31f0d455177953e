/* lrlog.c - the LR log of any run as (step, lr) pairs: CSV (ours, Lightning's CSVLogger, any
 * header order), JSON lines, Hugging Face's trainer_state.json (lrlog.h). Streaming where the
 * format allows, with a fast path for decimal numbers: `warmup check` on a 10-million-row log
 * is bound by this file (bench/check_log.sh, docs/BENCHMARKS.md). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "../util/json.h"
#include "cli.h"
#include "lrlog.h"

#define BLOCK (1 << 20)         /* bytes read at a time */
#define LINE_CAP (1 << 20)      /* the longest line accepted */
#define HF_MAX (512LL << 20)    /* the largest trainer_state.json read */

static const char *const STEP_NAMES[] = {"step", "global_step", "trainer/global_step",
                                         "train/global_step", "iteration", "iter", "_step", NULL};
static const char *const LR_NAMES[] = {"lr", "learning_rate", "train/lr", "train/learning_rate",
                                       NULL};

typedef struct reader {
    const char *path;
    FILE *f;
    char *buf;
    size_t len, pos;
    int eof;
    int64_t lineno;
    lrlog_info *info;
} reader;

/* The next line (without its end), NUL-terminated in place. 1: a line, 0: end of file, -1: an
 * error (printed). */
static int next_line(reader *r, char **line, size_t *n)
{
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl || (r->eof && r->pos < r->len)) {
            char *s = r->buf + r->pos;
            size_t k = nl ? (size_t)(nl - s) : r->len - r->pos;
            r->pos += k + (nl != NULL);
            if (k > 0 && s[k - 1] == '\r') k--;
            s[k] = '\0';
            r->lineno++;
            if (memchr(s, '\0', k)) {
                cli_error("%s:%lld:%d: a NUL byte: this is not a text log", r->path,
                          (long long)r->lineno, (int)strlen(s) + 1);
                return -1;
            }
            *line = s;
            *n = k;
            return 1;
        }
        if (r->eof) return 0;
        if (r->len - r->pos >= LINE_CAP) {
            cli_error("%s:%lld: a line longer than 1 MiB: this is not an LR log", r->path,
                      (long long)r->lineno + 1);
            return -1;
        }
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
        size_t got = fread(r->buf + r->len, 1, BLOCK, r->f);
        r->len += got;
        r->info->bytes += (int64_t)got;
        if (got < BLOCK) {
            if (ferror(r->f)) {
                cli_error("cannot read '%s': %s", r->path, strerror(errno));
                return -1;
            }
            r->eof = 1;
        }
    }
}

static const double P10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A number in [s, e): 0 with *out, -1 when it is not one. Decimal forms with up to 19
 * significant digits and a small exponent take the fast path (within 2 ulp: far below the
 * checker's 1e-12); anything else goes through strtod. */
static int parse_num(const char *s, const char *e, double *out)
{
    const char *p = s;
    int neg = 0, any = 0, nd = 0;
    long exp10 = 0;
    uint64_t m = 0;
    if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
    for (; p < e && *p >= '0' && *p <= '9'; p++, any = 1) {
        if (nd < 19) {
            m = m * 10 + (uint64_t)(*p - '0');
            nd += m != 0;
        } else {
            exp10++;
        }
    }
    if (p < e && *p == '.')
        for (p++; p < e && *p >= '0' && *p <= '9'; p++, any = 1)
            if (nd < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                nd += m != 0;
                exp10--;
            }
    if (any && p < e && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        int eneg = 0;
        long ex = 0;
        if (q < e && (*q == '-' || *q == '+')) eneg = *q++ == '-';
        if (q < e && *q >= '0' && *q <= '9') {
            for (; q < e && *q >= '0' && *q <= '9'; q++)
                if (ex < 100000) ex = ex * 10 + (*q - '0');
            exp10 += eneg ? -ex : ex;
            p = q;
        }
    }
    if (any && p == e && exp10 >= -22 && exp10 <= 22) {
        double v = (double)m;
        v = exp10 < 0 ? v / P10[-exp10] : v * P10[exp10];
        *out = neg ? -v : v;
        return 0;
    }
    char tmp[64];
    size_t k = (size_t)(e - s);
    if (k == 0 || k >= sizeof tmp) return -1;
    memcpy(tmp, s, k);
    tmp[k] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + k || end == tmp) return -1;
    *out = v;
    return 0;
}

/* A value of the step column: a whole number >= 0 (12 or 12.0). */
static int parse_step(const char *s, const char *e, int64_t *out)
{
    int64_t v = 0;
    const char *p = s;
    for (; p < e && *p >= '0' && *p <= '9' && v < ((int64_t)1 << 58); p++) v = v * 10 + (*p - '0');
    if (p == e && p > s) {
        *out = v;
        return 0;
    }
    double d;
    if (parse_num(s, e, &d) || !(d >= 0) || d > 4.6e18 || d != floor(d)) return -1;
    *out = (int64_t)d;
    return 0;
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t')) (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) (*e)--;
    if (*e - *s >= 2 && **s == '"' && (*e)[-1] == '"') {
        (*s)++;
        (*e)--;
    }
}

/* Split a CSV line at delim; fill start/end of fields 0..max-1; returns the field count (up
 * to max). Quoted fields may hold the delimiter. */
static int split(char *line, size_t n, char delim, const char **fs, const char **fe, int max)
{
    int k = 0;
    char *p = line, *end = line + n;
    while (k < max) {
        char *q = p;
        if (q < end && *q == '"') {
            for (q++; q < end && *q != '"'; q++) {}
            if (q < end) q++;
        }
        while (q < end && *q != delim) q++;
        fs[k] = p;
        fe[k] = q;
        k++;
        if (q >= end) break;
        p = q + 1;
    }
    return k;
}

#define MAX_COLS 4096

static int find_col(const char **fs, const char **fe, int n, const char *want)
{
    for (int i = 0; i < n; i++) {
        const char *s = fs[i], *e = fe[i];
        trim(&s, &e);
        if ((size_t)(e - s) == strlen(want) && !memcmp(s, want, (size_t)(e - s))) return i;
    }
    return -1;
}

static void copy_name(char *dst, size_t cap, const char *s, const char *e)
{
    trim(&s, &e);
    size_t k = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
    memcpy(dst, s, k);
    dst[k] = '\0';
}

static int read_csv(reader *r, char *line, size_t n, const char *step_col, const char *lr_col,
                    lrlog_fn fn, void *ctx)
{
    static const char *fs[MAX_COLS], *fe[MAX_COLS];
    if (n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) { /* a UTF-8 byte order mark */
        line += 3;
        n -= 3;
    }
    size_t commas = 0, tabs = 0, semis = 0;
    for (size_t i = 0; i < n; i++) {
        commas += line[i] == ',';
        tabs += line[i] == '\t';
        semis += line[i] == ';';
    }
    char delim = tabs > commas && tabs >= semis ? '\t' : semis > commas ? ';' : ',';
    int ncol = split(line, n, delim, fs, fe, MAX_COLS);
    char header[200];
    copy_name(header, sizeof header, line, line + (n < 120 ? n : 120));
    int is = -1, il = -1;
    for (int i = 0; STEP_NAMES[i] && is < 0 && !step_col; i++) is = find_col(fs, fe, ncol, STEP_NAMES[i]);
    if (step_col) is = find_col(fs, fe, ncol, step_col);
    if (lr_col) {
        il = find_col(fs, fe, ncol, lr_col);
    } else {
        for (int i = 0; LR_NAMES[i] && il < 0; i++) il = find_col(fs, fe, ncol, LR_NAMES[i]);
        for (int i = 0; i < ncol && il < 0; i++) { /* Lightning: lr-AdamW, lr-SGD/pg1, ... */
            const char *s = fs[i], *e = fe[i];
            trim(&s, &e);
            if (e - s > 3 && !memcmp(s, "lr-", 3)) {
                il = i;
                for (int j = i + 1; j < ncol; j++) {
                    const char *s2 = fs[j], *e2 = fe[j];
                    trim(&s2, &e2);
                    if (e2 - s2 > 3 && !memcmp(s2, "lr-", 3)) {
                        char a[64], b[64];
                        copy_name(a, sizeof a, s, e);
                        copy_name(b, sizeof b, s2, e2);
                        return cli_error("%s:1:%d: two LR columns, %s and %s: choose one with "
                                         "--lr-column", r->path, (int)(s2 - line) + 1, a, b);
                    }
                }
            }
        }
    }
    if (il < 0)
        return cli_error("%s:1:1: %s in the header '%s': name the LR column with --lr-column "
                         "(expected lr, learning_rate or lr-<optimizer>)", r->path,
                         lr_col ? "no column named by --lr-column" : "no LR column", header);
    if (is < 0)
        return cli_error("%s:1:1: %s in the header '%s': name the step column with "
                         "--step-column (expected step or global_step)", r->path,
                         step_col ? "no column named by --step-column" : "no step column", header);
    copy_name(r->info->step_col, sizeof r->info->step_col, fs[is], fe[is]);
    copy_name(r->info->lr_col, sizeof r->info->lr_col, fs[il], fe[il]);
    int need = (is > il ? is : il) + 1, rc;
    while ((rc = next_line(r, &line, &n)) == 1) {
        if (n == 0) continue;
        int k = split(line, n, delim, fs, fe, need);
        if (k < need)
            return cli_error("%s:%lld:%d: the row has %d field%s; the %s column is field %d of "
                             "the header", r->path, (long long)r->lineno, (int)n + 1, k,
                             k == 1 ? "" : "s", is > il ? r->info->step_col : r->info->lr_col,
                             need);
        const char *ls = fs[il], *le = fe[il], *ss = fs[is], *se = fe[is];
        trim(&ls, &le);
        if (ls == le) continue; /* another metric's row (Lightning) */
        trim(&ss, &se);
        double lr;
        int64_t step;
        if (parse_num(ls, le, &lr) || !isfinite(lr)) {
            char v[40];
            copy_name(v, sizeof v, ls, le);
            return cli_error("%s:%lld:%d: '%s' in column %s is not a finite number", r->path,
                             (long long)r->lineno, (int)(ls - line) + 1, v, r->info->lr_col);
        }
        if (parse_step(ss, se, &step)) {
            char v[40];
            copy_name(v, sizeof v, ss, se);
            return cli_error("%s:%lld:%d: '%s' in column %s is not a step (a whole number >= 0)",
                             r->path, (long long)r->lineno, (int)(ss - line) + 1, v,
                             r->info->step_col);
        }
        wu_error err;
        if (fn(ctx, step, lr, &err))
            return cli_error("%s:%lld:%d: %s", r->path, (long long)r->lineno,
                             (int)(ss - line) + 1, err.msg);
        r->info->pairs++;
    }
    return rc < 0 ? WU_EXIT_USAGE : 0;
}

/* The key of o among the names (or `want`); NULL when o has none of them. */
static const cJSON *key_of(const cJSON *o, const char *want, const char *const *names, char *name,
                           size_t cap)
{
    for (int i = 0; want ? i == 0 : names[i] != NULL; i++) {
        const char *k = want ? want : names[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
        if (v) {
            snprintf(name, cap, "%s", k);
            return v;
        }
    }
    if (!want && names == LR_NAMES)
        for (const cJSON *v = o->child; v; v = v->next)
            if (v->string && !strncmp(v->string, "lr-", 3)) {
                snprintf(name, cap, "%s", v->string);
                return v;
            }
    return NULL;
}

/* One record (a JSON line or a log_history entry): call fn when it holds an LR. where is
 * "LINE" or "log_history[I]" for messages. */
static int record(reader *r, const cJSON *o, const char *where, const char *step_col,
                  const char *lr_col, lrlog_fn fn, void *ctx)
{
    if (!cJSON_IsObject(o))
        return cli_error("%s:%s: not a JSON object", r->path, where);
    char lname[64], sname[64];
    const cJSON *lv = key_of(o, lr_col ? lr_col : r->info->lr_col[0] ? r->info->lr_col : NULL,
                             LR_NAMES, lname, sizeof lname);
    if (!lv) return 0; /* another kind of record */
    if (!cJSON_IsNumber(lv) || !isfinite(lv->valuedouble))
        return cli_error("%s:%s: \"%s\" is not a finite number", r->path, where, lname);
    const cJSON *sv = key_of(o, step_col, STEP_NAMES, sname, sizeof sname);
    if (!sv)
        return cli_error("%s:%s: a record with \"%s\" but no step (expected \"step\" or "
                         "\"global_step\"; name it with --step-column)", r->path, where, lname);
    double d = cJSON_IsNumber(sv) ? sv->valuedouble : -1;
    if (!(d >= 0) || d > 4.6e18 || d != floor(d))
        return cli_error("%s:%s: \"%s\" is not a step (a whole number >= 0)", r->path, where,
                         sname);
    if (!r->info->lr_col[0]) {
        snprintf(r->info->lr_col, sizeof r->info->lr_col, "%s", lname);
        snprintf(r->info->step_col, sizeof r->info->step_col, "%s", sname);
    }
    wu_error err;
    if (fn(ctx, (int64_t)d, lv->valuedouble, &err))
        return cli_error("%s:%s: %s", r->path, where, err.msg);
    r->info->pairs++;
    return 0;
}

static int read_jsonl(reader *r, char *line, size_t n, const char *step_col, const char *lr_col,
                      lrlog_fn fn, void *ctx)
{
    int rc = 1;
    do {
        if (n == 0) continue;
        char where[32];
        snprintf(where, sizeof where, "%lld", (long long)r->lineno);
        cJSON *o = cJSON_ParseWithLength(line, n);
        if (!o) {
            const char *at = cJSON_GetErrorPtr();
            int col = at && at >= line && at <= line + n ? (int)(at - line) + 1 : 1;
            return cli_error("%s:%lld:%d: not JSON (each line of a JSON-lines log is one object)",
                             r->path, (long long)r->lineno, col);
        }
        int bad = record(r, o, where, step_col, lr_col, fn, ctx);
        cJSON_Delete(o);
        if (bad) return bad;
    } while ((rc = next_line(r, &line, &n)) == 1);
    return rc < 0 ? WU_EXIT_USAGE : 0;
}

static int read_hf(reader *r, const char *step_col, const char *lr_col, lrlog_fn fn, void *ctx)
{
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0)
        return cli_error("cannot read '%s': %s", r->path, strerror(errno));
    if (st.st_size > HF_MAX)
        return cli_error("%s: %lld bytes is too large for a trainer_state.json (at most 512 MiB)",
                         r->path, (long long)st.st_size);
    rewind(r->f);
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *text = malloc(cap);
    if (!text) return cli_error("out of memory reading %s", r->path);
    len = fread(text, 1, cap - 1, r->f);
    text[len] = '\0';
    r->info->bytes = (int64_t)len;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    if (!doc) {
        const char *at = cJSON_GetErrorPtr();
        int64_t line = 1, col = 1;
        for (const char *p = text; at && p < at && p < text + len; p++, col++)
            if (*p == '\n') {
                line++;
                col = 0;
            }
        free(text);
        return cli_error("%s:%lld:%lld: not JSON: expected JSON lines or a trainer_state.json",
                         r->path, (long long)line, (long long)col);
    }
    free(text);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(doc, "log_history");
    int rc = 0;
    if (!cJSON_IsArray(h)) {
        rc = cli_error("%s:1:1: a JSON document without \"log_history\": expected a Hugging Face "
                       "trainer_state.json or one JSON object per line", r->path);
    } else {
        snprintf(r->info->format, sizeof r->info->format, "hf");
        double ms = wu_json_num(doc, "max_steps");
        if (ms >= 1 && ms <= 4.6e18 && ms == floor(ms)) r->info->max_steps = (int64_t)ms;
        int i = 0;
        for (const cJSON *e = h->child; e && !rc; e = e->next, i++) {
            char where[40];
            snprintf(where, sizeof where, "log_history[%d]", i);
            rc = record(r, e, where, step_col, lr_col ? lr_col : "learning_rate", fn, ctx);
        }
    }
    cJSON_Delete(doc);
    return rc;
}

int lrlog_read(const char *path, const char *step_col, const char *lr_col, lrlog_fn fn, void *ctx,
               lrlog_info *info)
{
    memset(info, 0, sizeof *info);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_error("%s is a directory: give the log file (metrics.csv, trainer_state.json)",
                         path);
    reader r = {.path = path, .info = info};
    r.f = fopen(path, "rb");
    if (!r.f) return cli_error("cannot open the log '%s': %s", path, strerror(errno));
    r.buf = malloc(LINE_CAP + BLOCK + 1);
    if (!r.buf) {
        fclose(r.f);
        return cli_error("out of memory reading %s", path);
    }
    char *line;
    size_t n;
    int rc, got;
    while ((got = next_line(&r, &line, &n)) == 1 && strspn(line, " \t") == n) {}
    if (got == 0) {
        rc = cli_error("%s:1:1: the log is empty: expected a CSV header (step,lr), JSON lines "
                       "or a trainer_state.json", path);
    } else if (got < 0) {
        rc = WU_EXIT_USAGE;
    } else {
        size_t i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
        if (line[i] == '{') {
            cJSON *o = cJSON_ParseWithLength(line, n);
            int one_line = o != NULL;
            cJSON_Delete(o);
            if (one_line) {
                snprintf(info->format, sizeof info->format, "jsonl");
                rc = read_jsonl(&r, line, n, step_col, lr_col, fn, ctx);
            } else {
                rc = read_hf(&r, step_col, lr_col, fn, ctx);
            }
        } else {
            snprintf(info->format, sizeof info->format, "csv");
            rc = read_csv(&r, line, n, step_col, lr_col, fn, ctx);
        }
    }
    if (!rc && info->pairs == 0)
        rc = cli_error("%s:%lld:1: no logged LR in the log (column %s%s): nothing to check", path,
                       (long long)(r.lineno ? r.lineno : 1),
                       info->lr_col[0] ? info->lr_col : lr_col ? lr_col : "lr",
                       info->lr_col[0] ? " is empty in every row" : " not found");
    free(r.buf);
    fclose(r.f);
    return rc;
}
