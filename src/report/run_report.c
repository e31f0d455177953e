/* run_report.c - the report of a run directory, or of a folder of runs: every diagnostic chart
 * with one line per run, the results, the configurations, and how to rerun each. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "../util/outfile.h"
#include "../train/config.h"
#include "../train/probe.h"
#include "html.h"
#include "lab_report.h"
#include "metrics.h"

#define MAXRUNS 64

/* The "config" object of dir/summary.json, parsed (NULL when it cannot be read). */
static cJSON *config_of(const char *dir)
{
    char path[700];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    wu_error err;
    cJSON *j = wu_json_read(path, &err);
    cJSON *c = cJSON_DetachItemFromObjectCaseSensitive(j, "config");
    cJSON_Delete(j);
    return c;
}

/* A single run's name in its legend: its directory's name ("runs/a/" names it "a"). */
static const char *run_name(const char *dir)
{
    static char name[256];
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    size_t b = n;
    while (b > 0 && dir[b - 1] != '/') b--;
    if (n - b == 0 || (n - b == 1 && dir[b] == '.')) return "run";
    snprintf(name, sizeof name, "%.*s", (int)(n - b), dir + b);
    return name;
}

/* ---- layers.csv: per-tensor update statistics (train/probe.c) --------------------------------- */

/* The group a tensor's name belongs to: a transformer block ("h.3.attn.c_attn.weight" -> "h.3"),
 * else the name up to its first dot ("ln_f.weight" -> "ln_f", "wte" -> "wte"). */
static void layer_group(const char *name, char *g, size_t n)
{
    const char *dot = strchr(name, '.');
    size_t len = dot ? (size_t)(dot - name) : strlen(name);
    if (dot && !strncmp(name, "h.", 2) && strchr(dot + 1, '.')) len = (size_t)(strchr(dot + 1, '.') - name);
    snprintf(g, n, "%.*s", (int)len, name);
}

#define MAXGROUPS 40

/* Two charts from dir/layers.csv, when there is one: the mean update ratio and the mean angle
 * between successive updates of each group's tensors, one line per group. Nothing when the file
 * is missing or unreadable (an older run, or one without layer statistics). */
static void layer_charts(FILE *out, const char *dir)
{
    char path[700];
    snprintf(path, sizeof path, "%s/layers.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512], gname[MAXGROUPS][64];
    int ng = 0, nsteps = 0, cap = 0;
    double *steps = NULL, *sum = NULL; /* per step x group x {ratio, angle} sums and counts */
    if (!fgets(line, sizeof line, f) || strncmp(line, WU_LAYERS_HEADER, strlen(WU_LAYERS_HEADER))) {
        fclose(f);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char *fld[5], *p = line;
        int k = 0;
        for (; k < 5 && p; k++) {
            fld[k] = p;
            p = strpbrk(p, ",\n");
            if (p) *p++ = '\0';
        }
        if (k < 5) continue;
        double st = strtod(fld[0], NULL);
        char g[64];
        layer_group(fld[2], g, sizeof g);
        int gi = 0;
        while (gi < ng && strcmp(gname[gi], g)) gi++;
        if (gi == ng) {
            if (ng == MAXGROUPS) continue;
            snprintf(gname[ng++], sizeof gname[0], "%s", g);
        }
        if (nsteps == 0 || steps[nsteps - 1] != st) {
            if (nsteps == cap) {
                cap = cap ? 2 * cap : 64;
                double *ns = realloc(steps, sizeof *ns * (size_t)cap);
                double *nm = ns ? realloc(sum, sizeof *nm * (size_t)cap * MAXGROUPS * 4) : NULL;
                if (ns) steps = ns;
                if (!nm) break;
                sum = nm;
            }
            steps[nsteps] = st;
            memset(sum + (size_t)nsteps * MAXGROUPS * 4, 0, sizeof *sum * MAXGROUPS * 4);
            nsteps++;
        }
        double *a = sum + ((size_t)(nsteps - 1) * MAXGROUPS + (size_t)gi) * 4;
        if (*fld[3]) a[0] += strtod(fld[3], NULL), a[1]++;
        if (*fld[4]) a[2] += strtod(fld[4], NULL), a[3]++;
    }
    fclose(f);
    double *y = nsteps ? malloc(sizeof *y * (size_t)nsteps * (size_t)ng * 2) : NULL;
    wu_series *ser = ng ? calloc((size_t)ng * 2, sizeof *ser) : NULL;
    if (y && ser) {
        for (int w = 0; w < 2; w++) {
            for (int gi = 0; gi < ng; gi++) {
                double *yy = y + ((size_t)w * (size_t)ng + (size_t)gi) * (size_t)nsteps;
                for (int t = 0; t < nsteps; t++) {
                    const double *a = sum + ((size_t)t * MAXGROUPS + (size_t)gi) * 4 + 2 * w;
                    yy[t] = a[1] > 0 ? a[0] / a[1] : NAN;
                }
                ser[w * ng + gi] = (wu_series){.name = gname[gi], .x = steps, .y = yy, .n = nsteps,
                                               .mark_x = NAN, .style = WU_STYLE_LINE};
            }
            wu_chart c = {.title = w ? "Angle between successive updates, per layer group (mean over its tensors)"
                                     : "Update / weight ratio, per layer group (mean over its tensors)",
                          .xlabel = wu_metric_label(WU_METRIC_STEP),
                          .ylabel = w ? "angle between successive updates (degrees)" : "|update| / |weights|",
                          .series = ser + w * ng, .nseries = ng, .log_y = !w,
                          .y_include_on = w, .y_include = 90, .y_include_what = "90 degrees (orthogonal)"};
            wu_html_chart(out, &c, 800, 400);
        }
    }
    free(y), free(ser), free(steps), free(sum);
}

/* The stability threshold of lr x sharpness for the run's optimizer (docs/TRAINING.md): 2 (1 +
 * momentum) for SGD; for the Adam family, of the preconditioned one, 2 (1 + beta1) / (1 - beta1). */
static double threshold(cJSON *cfg, int precond)
{
    cJSON *o = cJSON_GetObjectItem(cfg, "optimizer");
    cJSON *b1 = cJSON_GetObjectItem(cfg, "beta1"), *mu = cJSON_GetObjectItem(cfg, "momentum");
    int sgd = cJSON_IsString(o) && !strcmp(o->valuestring, "sgd");
    if (precond) {
        double b = cJSON_IsNumber(b1) ? b1->valuedouble : 0.9;
        return sgd ? NAN : 2 * (1 + b) / (1 - b);
    }
    return sgd ? 2 * (1 + (cJSON_IsNumber(mu) ? mu->valuedouble : 0)) : NAN;
}

int wu_report_runs(const char *dir, char *const *names, int n, wu_error *err)
{
    int single = n == 0;
    int m = single ? 1 : (n < MAXRUNS ? n : MAXRUNS);
    char (*rdir)[600] = calloc((size_t)m, sizeof *rdir);
    wu_run_summary *sum = calloc((size_t)m, sizeof *sum);
    enum { NCH = 8 };
    static const wu_metric col[NCH] = {WU_METRIC_LOSS, WU_METRIC_LR, WU_METRIC_GRAD_NORM,
                                       WU_METRIC_UPDATE_RATIO, WU_METRIC_V_MEAN, WU_METRIC_VAL_LOSS,
                                       WU_METRIC_SHARPNESS_LR, WU_METRIC_PRECOND_SHARPNESS_LR};
    static const char *const title[NCH] = {"Training loss (moving average)", "Learning rate",
                                           "Gradient norm (before clipping)", "Update / weight ratio",
                                           "Adam's second moment v (mean)", "Validation loss",
                                           "LR x sharpness (largest Hessian eigenvalue)",
                                           "LR x preconditioned sharpness (Adam)"};
    wu_series_data *d = calloc((size_t)(m * NCH), sizeof *d);
    wu_series *ser = calloc((size_t)(m * NCH), sizeof *ser);
    int rc = WU_OK;
    if (!rdir || !sum || !d || !ser) {
        rc = wu_fail(err, WU_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < m; i++) {
        snprintf(rdir[i], sizeof rdir[i], "%s%s%s", dir, single ? "" : "/", single ? "" : names[i]);
        if ((rc = wu_run_summary_read(rdir[i], &sum[i], err)) != WU_OK) goto done;
        for (int k = 0; k < NCH; k++) {
            char path[700];
            snprintf(path, sizeof path, "%s/metrics.csv", rdir[i]);
            if ((rc = wu_metrics_column(path, col[k], &d[i * NCH + k], err)) != WU_OK) {
                if (k < 6) goto done;
                rc = WU_OK; /* the sharpness columns: a run of an older version has none */
            }
            if (k == 0) wu_series_ema(&d[i * NCH + k], 0.05);
            ser[k * m + i] = (wu_series){.name = single ? run_name(dir) : names[i], .x = d[i * NCH + k].x,
                                         .y = d[i * NCH + k].y, .n = d[i * NCH + k].n, .mark_x = NAN,
                                         .style = k >= 5 ? WU_STYLE_POINTS : WU_STYLE_LINE};
        }
    }
    char path[700];
    wu_outfile o;
    snprintf(path, sizeof path, "%s/report.html", dir);
    if (wu_outfile_open(&o, path, err)) {
        rc = err->code;
        goto done;
    }
    char head[200];
    snprintf(head, sizeof head, single ? "Training run %s" : "Training runs in %s", dir);
    wu_html_begin(o.f, head);
    static const char *const th[7] = {"run", "status", "steps", "first loss", "final loss",
                                      "best loss", "validation loss"};
    char (*cb)[48] = calloc((size_t)m * 7, sizeof *cb);
    const char **cells = calloc((size_t)m * 7, sizeof *cells);
    if (!cb || !cells) {
        free(cb), free(cells);
        wu_outfile_abort(&o);
        rc = wu_fail(err, WU_ENOMEM, "out of memory");
        goto done;
    }
    static const char *const st[] = {"not run", "completed", "diverged", "interrupted"};
    for (int i = 0; i < m; i++) {
        snprintf(cb[i * 7], 48, "%.47s", single ? dir : names[i]);
        if (sum[i].status == WU_RUN_DIVERGED)
            snprintf(cb[i * 7 + 1], 48, "diverged at step %lld", (long long)sum[i].diverged_at);
        else snprintf(cb[i * 7 + 1], 48, "%s", st[sum[i].status]);
        snprintf(cb[i * 7 + 2], 48, "%lld", (long long)sum[i].steps_done);
        snprintf(cb[i * 7 + 3], 48, "%.4f", sum[i].first_loss);
        snprintf(cb[i * 7 + 4], 48, "%.4f", sum[i].final_loss);
        snprintf(cb[i * 7 + 5], 48, "%.4f", sum[i].best_loss);
        snprintf(cb[i * 7 + 6], 48, "%.4f", sum[i].final_val_loss);
        for (int k = 0; k < 7; k++) cells[i * 7 + k] = cb[i * 7 + k];
    }
    wu_html_heading(o.f, 2, "Results");
    wu_html_table(o.f, th, 7, cells, m);
    free(cb), free(cells);
    for (int k = 0; k < NCH; k++) {
        int any = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ser[k * m + i].n && !any; j++) any = isfinite(ser[k * m + i].y[j]);
        if (!any) continue; /* e.g. v for SGD, validation without evaluations */
        /* loss curves reach the initial loss, the LR reaches 0: a difference is seen at its
           true size against the whole descent, not magnified by a narrow range */
        double first = NAN;
        for (int i = 0; i < m; i++)
            if (isfinite(sum[i].first_loss) && !(sum[i].first_loss <= first)) first = sum[i].first_loss;
        int loss = k == 0 || k == 5;
        /* the sharpness charts reach the stability threshold of the first run's optimizer */
        double thr = NAN;
        char thr_what[80] = "";
        if (k >= 6) {
            cJSON *cfg = config_of(rdir[0]);
            thr = threshold(cfg, k == 7);
            cJSON_Delete(cfg);
            snprintf(thr_what, sizeof thr_what, "the stability threshold %.3g", thr);
        }
        wu_chart c = {.title = title[k], .xlabel = wu_metric_label(WU_METRIC_STEP),
                      .ylabel = wu_metric_label(col[k]), .series = ser + k * m, .nseries = m,
                      .log_y = k == 2 || k == 4, .y_include_on = k == 1 || (loss && isfinite(first)),
                      .y_include = k == 1 ? 0.0 : first,
                      .y_include_what = k == 1 ? NULL : "the initial loss"};
        if (k >= 6) c.y_include_on = isfinite(thr), c.y_include = thr, c.y_include_what = thr_what;
        wu_html_chart(o.f, &c, 800, 400);
    }
    if (single) layer_charts(o.f, dir);
    wu_html_heading(o.f, 2, "Configurations, and how to rerun");
    for (int i = 0; i < m; i++) {
        cJSON *c = config_of(rdir[i]);
        char line[4096];
        wu_train_config tc;
        wu_error cerr;
        if (!c) continue;
        char *txt = cJSON_Print(c);
        wu_html_heading(o.f, 3, single ? dir : names[i]);
        /* the rerun line from the table: the settings that apply to this model and optimizer */
        if (wu_train_config_from_json(c, &tc, &cerr) != WU_OK) {
            snprintf(line, sizeof line, "(no rerun line: %s)", cerr.msg);
        } else {
            snprintf(tc.out, sizeof tc.out, "%s", rdir[i]);
            if (wu_train_config_command(&tc, line, sizeof line))
                snprintf(line, sizeof line, "(no rerun line: it is longer than %zu bytes)", sizeof line);
        }
        wu_html_pre(o.f, line);
        if (txt) wu_html_pre(o.f, txt);
        free(txt);
        cJSON_Delete(c);
    }
    wu_html_end(o.f);
    if (wu_outfile_commit(&o, err)) rc = err->code;
done:
    if (d)
        for (int i = 0; i < m * NCH; i++) wu_series_data_free(&d[i]);
    free(d), free(ser), free(rdir), free(sum);
    return rc;
}
