/* sweep.c - the LR x warmup grid, its manifest, results.csv and LR sensitivity. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "../util/outfile.h"
#include "../train/config.h"
#include "../train/tune.h"
#include "sweep.h"

int wu_sweep_set_warmups(wu_sweep *s, const char *text, wu_error *err)
{
    s->nwarm = 0;
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        char item[16];
        if (len == 0 || len >= sizeof item)
            return wu_fail(err, WU_EINVAL, "warmups: item %d is %s; write e.g. 0,2%%,10%%,25%% "
                           "(percent of the steps) or 0,100,500 (steps)", s->nwarm + 1,
                           len ? "too long" : "empty");
        if (s->nwarm == WU_SWEEP_MAX)
            return wu_fail(err, WU_ERANGE, "warmups: at most %d lengths", WU_SWEEP_MAX);
        memcpy(item, p, len);
        item[len] = '\0';
        char *end;
        errno = 0;
        double v = strtod(item, &end);
        int pct = *end == '%';
        if (end == item || (pct ? end[1] != '\0' : *end != '\0') || !isfinite(v) || v < 0 ||
            (pct && v > 100) || (!pct && (v != floor(v) || v > (double)s->base.steps)))
            return wu_fail(err, WU_EINVAL, "warmups: '%s' is not a warmup length: use 0, a "
                           "percentage of the steps up to 100%% (10%%) or a whole number of "
                           "steps up to the run's %lld (steps)", item, (long long)s->base.steps);
        if (v == 0) snprintf(item, sizeof item, "0");
        for (int i = 0; i < s->nwarm; i++)
            if (!strcmp(s->warmups[i], item))
                return wu_fail(err, WU_EINVAL, "warmups: '%s' is listed twice", item);
        snprintf(s->warmups[s->nwarm++], sizeof s->warmups[0], "%s", item);
        if (!p[len]) break;
        p += len + 1;
    }
    return WU_OK;
}

double wu_sweep_warm_frac(const wu_sweep *s, int w)
{
    double v = strtod(s->warmups[w], NULL);
    if (strchr(s->warmups[w], '%')) return v / 100;
    return s->base.steps > 0 ? v / (double)s->base.steps : 0;
}

int wu_sweep_spec(const wu_sweep *s, int w, char *out, size_t n)
{
    size_t need = strlen(s->base.schedule) + strlen(s->warmups[w]) + 12;
    if (need > n) return -1;
    if (!strcmp(s->warmups[w], "0")) memcpy(out, s->base.schedule, strlen(s->base.schedule) + 1);
    else {
        strcpy(out, "warmup(");
        strcat(out, s->warmups[w]);
        strcat(out, ") > ");
        strcat(out, s->base.schedule);
    }
    return 0;
}

/* A directory name for a warmup: "10%" -> "10pct". */
static void warm_name(const char *w, char *out, size_t n)
{
    size_t len = strcspn(w, "%");
    snprintf(out, n, "%.*s%s", (int)len, w, w[len] ? "pct" : "");
}

int wu_sweep_runs(const wu_sweep *s, wu_lab_run **runs, int *n, wu_error *err)
{
    *runs = NULL;
    *n = 0;
    if (s->nlr < 1 || s->nwarm < 1 || s->seeds < 1)
        return wu_fail(err, WU_EINVAL, "a sweep needs at least one LR, one warmup and one seed");
    int total = s->nwarm * s->nlr * s->seeds;
    wu_lab_run *r = calloc((size_t)total, sizeof *r);
    if (!r) return wu_fail(err, WU_ENOMEM, "out of memory");
    for (int w = 0; w < s->nwarm; w++) {
        char spec[sizeof r->c.schedule], wn[24];
        if (wu_sweep_spec(s, w, spec, sizeof spec)) {
            free(r);
            return wu_fail(err, WU_EINVAL, "schedule: too long to follow a warmup");
        }
        warm_name(s->warmups[w], wn, sizeof wn);
        wu_schedule *sch;
        wu_sched_opts so = {.lr = s->base.lr, .total_steps = s->base.steps,
                            .auto_warmup_steps = wu_tune_sched_steps(&s->base)};
        if (wu_tune_needed(&s->base)) { /* issue 18: no probe per cell (docs/TUNE.md) */
            free(r);
            return wu_fail(err, WU_EINVAL, "schedule: a sweep does not probe warmup(auto) in "
                           "each cell (the grid is itself the comparison of warmups, and each "
                           "LR would need its own probe): run `warmup tune` at the LR you want "
                           "and give its length (auto_warmup)");
        }
        if (wu_sched_parse(&sch, spec, &so, err) != WU_OK) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            free(r);
            return wu_fail(err, WU_EINVAL, "the schedule of warmup %s, '%s': %s", s->warmups[w],
                           spec, msg);
        }
        wu_sched_destroy(sch);
        for (int l = 0; l < s->nlr; l++)
            for (int k = 0; k < s->seeds; k++) {
                wu_train_config *c = &r[(w * s->nlr + l) * s->seeds + k].c;
                *c = s->base;
                c->lr = s->lrs[l];
                c->seed = s->base.seed + (uint64_t)k;
                snprintf(c->schedule, sizeof c->schedule, "%s", spec);
                if (snprintf(c->out, sizeof c->out, "%s/lr%g-w%s-seed%llu", s->dir, s->lrs[l], wn,
                             (unsigned long long)c->seed) >= (int)sizeof c->out) {
                    free(r);
                    return wu_fail(err, WU_EINVAL, "out: %s is too long", s->dir);
                }
            }
    }
    /* LRs that print alike (%g) would share a directory */
    for (int l = 0; l < s->nlr; l++)
        for (int m = 0; m < l; m++) {
            char a[32], b[32];
            snprintf(a, sizeof a, "%g", s->lrs[l]);
            snprintf(b, sizeof b, "%g", s->lrs[m]);
            if (!strcmp(a, b)) {
                free(r);
                return wu_fail(err, WU_EINVAL, "lrs: %.17g and %.17g both print as %s and would "
                               "share a run directory; use LRs that differ in 6 significant digits",
                               s->lrs[m], s->lrs[l], a);
            }
        }
    *runs = r;
    *n = total;
    return WU_OK;
}

/* ---- the manifest --------------------------------------------------------------------------- */

/* The grid as one JSON object: what must match for a rerun to resume. */
static char *grid_json(const wu_sweep *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fputs("{\"lrs\": [", f);
    for (int l = 0; l < s->nlr; l++) fprintf(f, "%s%.17g", l ? ", " : "", s->lrs[l]);
    fputs("], \"warmups\": [", f);
    for (int w = 0; w < s->nwarm; w++) fprintf(f, "%s\"%s\"", w ? ", " : "", s->warmups[w]);
    fprintf(f, "], \"seeds\": %d, \"config\": ", s->seeds);
    wu_train_config c = s->base;
    c.out[0] = '\0';
    wu_train_config_json(f, &c);
    fputs("}", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Two grids are the same when the LRs, warmups and seeds print alike and the configurations
 * read back equal, field by field: a manifest from an older warmup, without a field added
 * since, matches when the current value of that field is its default. */
static int same_grid(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"lrs", "warmups", "seeds"};
    for (int k = 0; k < 3; k++) {
        char *x = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(a, keys[k]));
        char *y = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(b, keys[k]));
        int same = x && y && !strcmp(x, y);
        free(x), free(y);
        if (!same) return 0;
    }
    wu_train_config ca, cb;
    if (wu_train_config_from_json(cJSON_GetObjectItemCaseSensitive(a, "config"), &ca, NULL) != WU_OK ||
        wu_train_config_from_json(cJSON_GetObjectItemCaseSensitive(b, "config"), &cb, NULL) != WU_OK)
        return 0;
    for (int i = 0; i < wu_cfg_nfields; i++)
        if (!(wu_cfg_fields[i].flags & WU_CFG_LOCAL) && !wu_cfg_same(&wu_cfg_fields[i], &ca, &cb)) return 0;
    return 1;
}

int wu_sweep_manifest(const wu_sweep *s, const char *command, int keep, wu_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/sweep.json", s->dir);
    char *grid = grid_json(s);
    if (!grid) return wu_fail(err, WU_ENOMEM, "out of memory");
    FILE *old = fopen(path, "rb");
    if (old) {
        fclose(old);
        cJSON *j = wu_json_read(path, err), *now = cJSON_Parse(grid);
        const cJSON *cmd = j ? cJSON_GetObjectItemCaseSensitive(j, "command") : NULL;
        int same = j && now && same_grid(cJSON_GetObjectItemCaseSensitive(j, "grid"), now);
        if (!same && j)
            wu_fail(err, WU_EINVAL, "%s holds a sweep with other settings (made by: %s); rerun "
                    "that command to finish it, or choose another directory (out)", s->dir,
                    cJSON_IsString(cmd) ? cmd->valuestring : "?");
        cJSON_Delete(j), cJSON_Delete(now);
        if (!same || keep) {
            free(grid);
            return same ? WU_OK : WU_EINVAL;
        }
    }
    wu_outfile o;
    if (wu_outfile_open(&o, path, err)) {
        free(grid);
        return err->code;
    }
    fputs("{\"kind\": \"sweep\", \"command\": ", o.f);
    wu_json_string(o.f, command);
    fprintf(o.f, ",\n \"grid\": %s}\n", grid);
    free(grid);
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}

int wu_sweep_load(wu_sweep *s, const char *dir, char *command, size_t ncommand, wu_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    cJSON *j = wu_json_read(path, err);
    if (!j) return err->code;
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "grid");
    const cJSON *lrs = cJSON_GetObjectItemCaseSensitive(g, "lrs");
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(g, "warmups");
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(g, "seeds");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(g, "config");
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "command");
    int ok = cJSON_IsArray(lrs) && cJSON_IsArray(ws) && cJSON_IsNumber(seeds) &&
             cJSON_GetArraySize(lrs) >= 1 && cJSON_GetArraySize(lrs) <= WU_SWEEP_MAX &&
             cJSON_GetArraySize(ws) >= 1 && cJSON_GetArraySize(ws) <= WU_SWEEP_MAX &&
             seeds->valuedouble >= 1 && seeds->valuedouble <= 1000;
    wu_error cerr = {0};
    int cfg_ok = ok && wu_train_config_from_json(cfg, &s->base, &cerr) == WU_OK;
    if (!cfg_ok) wu_train_defaults(&s->base);
    s->nlr = s->nwarm = 0;
    const cJSON *it;
    if (ok) cJSON_ArrayForEach(it, lrs) {
        if (!cJSON_IsNumber(it) || !(it->valuedouble > 0)) ok = 0;
        else s->lrs[s->nlr++] = it->valuedouble;
    }
    if (ok) cJSON_ArrayForEach(it, ws) {
        if (!cJSON_IsString(it) || strlen(it->valuestring) >= sizeof s->warmups[0]) ok = 0;
        else snprintf(s->warmups[s->nwarm++], sizeof s->warmups[0], "%s", it->valuestring);
    }
    if (ok && cfg_ok) {
        s->seeds = (int)seeds->valuedouble;
        snprintf(command, ncommand, "%s", cJSON_IsString(cmd) ? cmd->valuestring : "");
        snprintf(s->dir, sizeof s->dir, "%s", dir);
    }
    cJSON_Delete(j);
    if (ok && !cfg_ok)
        return wu_fail(err, WU_EINVAL, "%s: the sweep's configuration: %s", path, cerr.msg);
    if (!ok) return wu_fail(err, WU_EINVAL, "%s is not a sweep manifest written by warmup sweep", path);
    return WU_OK;
}

/* ---- results -------------------------------------------------------------------------------- */

/* The mean and the sample standard deviation of x[0..n) (sd NaN for n < 2). */
static void mean_sd(const double *x, int n, double *mean, double *sd)
{
    double m = 0, q = 0;
    for (int i = 0; i < n; i++) m += x[i];
    m = n ? m / n : NAN;
    for (int i = 0; i < n; i++) q += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(q / (n - 1)) : NAN;
}

/* Row w's sensitivities seed by seed (wu_sweep_result): NaN until every seed of the row has
 * finished. A seed's score at an LR counts as in the cells: a diverged run, or one that ended
 * above its initial loss, at its initial loss. */
static void per_seed(const wu_sweep *s, const wu_lab_run *runs, wu_sweep_result *r, int w)
{
    r->sens_mean[w] = r->sens_sd[w] = r->high_mean[w] = r->high_sd[w] = NAN;
    r->high_max_mean[w] = r->high_max_sd[w] = NAN;
    if (r->lrs_done[w] != s->nlr || r->best_lr[w] < 0 || s->seeds > 100) return;
    double sens[100], high[100], top[100];
    for (int k = 0; k < s->seeds; k++) {
        double sc[WU_SWEEP_MAX], best = INFINITY;
        for (int l = 0; l < s->nlr; l++) {
            const wu_run_summary *u = &runs[(w * s->nlr + l) * s->seeds + k].s;
            double l0 = u->first_loss, v = wu_run_score(u);
            if (!isfinite(l0)) l0 = v; /* as in the cells: a summary without its first loss */
            sc[l] = isfinite(v) && v < l0 ? v : l0;
            if (!isfinite(sc[l])) return;
            best = fmin(best, sc[l]);
        }
        double all = 0, hi = 0, mx = 0;
        for (int l = 0; l < s->nlr; l++) {
            all += sc[l] - best;
            if (l >= r->best_lr[w]) hi += sc[l] - best, mx = fmax(mx, sc[l] - best);
        }
        sens[k] = all / s->nlr;
        high[k] = hi / (s->nlr - r->best_lr[w]);
        top[k] = mx;
    }
    mean_sd(sens, s->seeds, &r->sens_mean[w], &r->sens_sd[w]);
    mean_sd(high, s->seeds, &r->high_mean[w], &r->high_sd[w]);
    mean_sd(top, s->seeds, &r->high_max_mean[w], &r->high_max_sd[w]);
}

void wu_sweep_analyse(const wu_sweep *s, const wu_lab_run *runs, wu_sweep_result *r)
{
    memset(r, 0, sizeof *r);
    for (int w = 0; w < s->nwarm; w++) {
        r->best[w] = INFINITY;
        r->best_lr[w] = -1;
        for (int l = 0; l < s->nlr; l++) {
            wu_sweep_cell *c = &r->cell[w][l];
            double sum = 0, first = 0;
            for (int k = 0; k < s->seeds; k++) {
                const wu_run_summary *u = &runs[(w * s->nlr + l) * s->seeds + k].s;
                if (u->status != WU_RUN_COMPLETED && u->status != WU_RUN_DIVERGED) {
                    r->unfinished++;
                    continue;
                }
                double l0 = u->first_loss, sc = wu_run_score(u);
                if (!isfinite(l0)) { /* a summary without its first loss: use what there is */
                    if (!isfinite(sc)) {
                        r->unfinished++;
                        continue;
                    }
                    l0 = sc;
                }
                c->finished++;
                c->diverged += u->status == WU_RUN_DIVERGED;
                first += l0;
                sum += isfinite(sc) && sc < l0 ? sc : l0;
            }
            c->score = c->finished ? sum / c->finished : NAN;
            c->first_loss = c->finished ? first / c->finished : NAN;
            if (c->finished && c->score < r->best[w]) {
                r->best[w] = c->score;
                r->best_lr[w] = l;
            }
        }
        double sum = 0;
        int m = 0;
        for (int l = 0; l < s->nlr; l++) {
            if (r->cell[w][l].finished) {
                sum += r->cell[w][l].score - r->best[w];
                m++;
            }
            r->lrs_done[w] += r->cell[w][l].finished == s->seeds;
        }
        /* only a complete row has a sensitivity: a mean over the LRs that happen to have
         * finished says nothing comparable (0.354 partial, 0.843 complete) */
        r->sensitivity[w] = m && r->lrs_done[w] == s->nlr ? sum / m : NAN;
        if (!m) r->best[w] = NAN;
        per_seed(s, runs, r, w);
    }
}

static void csv_num(FILE *f, double v, const char *sep)
{
    if (isfinite(v)) fprintf(f, "%.6g%s", v, sep);
    else fputs(sep, f);
}

int wu_sweep_results_csv(const wu_sweep *s, const wu_lab_run *runs, wu_error *err)
{
    static const char *const status[] = {"missing", "completed", "diverged", "interrupted"};
    char path[600];
    snprintf(path, sizeof path, "%s/results.csv", s->dir);
    wu_outfile o;
    if (wu_outfile_open(&o, path, err)) return err->code;
    fputs("lr,warmup,seed,final_loss,best_loss,diverged,diverged_at,first_loss,final_train_loss,"
          "status,dir\n", o.f);
    for (int w = 0; w < s->nwarm; w++)
        for (int l = 0; l < s->nlr; l++)
            for (int k = 0; k < s->seeds; k++) {
                const wu_lab_run *r = &runs[(w * s->nlr + l) * s->seeds + k];
                const wu_run_summary *u = &r->s;
                int known = u->status != WU_RUN_MISSING;
                fprintf(o.f, "%.6g,%s,%llu,", s->lrs[l], s->warmups[w],
                        (unsigned long long)r->c.seed);
                csv_num(o.f, wu_run_score(u), ",");
                csv_num(o.f, known ? u->best_loss : NAN, ",");
                fprintf(o.f, "%d,", u->status == WU_RUN_DIVERGED);
                if (u->diverged_at >= 0) fprintf(o.f, "%lld,", (long long)u->diverged_at);
                else fputs(",", o.f);
                csv_num(o.f, known ? u->first_loss : NAN, ",");
                csv_num(o.f, known ? u->final_loss : NAN, ",");
                const char *dir = strrchr(r->c.out, '/');
                fprintf(o.f, "%s,%s\n", status[u->status], dir ? dir + 1 : r->c.out);
            }
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}

int wu_sweep_sensitivity_csv(const wu_sweep *s, const wu_sweep_result *r, wu_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/sensitivity.csv", s->dir);
    wu_outfile o;
    if (wu_outfile_open(&o, path, err)) return err->code;
    fputs("warmup,warmup_frac,lr_sensitivity,best_lr,best_loss,diverged,finished\n", o.f);
    for (int w = 0; w < s->nwarm; w++) {
        int div = 0, fin = 0;
        for (int l = 0; l < s->nlr; l++) div += r->cell[w][l].diverged, fin += r->cell[w][l].finished;
        fprintf(o.f, "%s,%.6g,", s->warmups[w], wu_sweep_warm_frac(s, w));
        csv_num(o.f, r->sensitivity[w], ",");
        csv_num(o.f, r->best_lr[w] >= 0 ? s->lrs[r->best_lr[w]] : NAN, ",");
        csv_num(o.f, r->best[w], ",");
        fprintf(o.f, "%d,%d\n", div, fin);
    }
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}
