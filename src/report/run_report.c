/* run_report.c - the report of a run directory, or of a folder of runs: every diagnostic chart
 * with one line per run, the results, the configurations, and how to rerun each. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "../util/outfile.h"
#include "../train/config.h"
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

int wu_report_runs(const char *dir, char *const *names, int n, wu_error *err)
{
    int single = n == 0;
    int m = single ? 1 : (n < MAXRUNS ? n : MAXRUNS);
    char (*rdir)[600] = calloc((size_t)m, sizeof *rdir);
    wu_run_summary *sum = calloc((size_t)m, sizeof *sum);
    enum { NCH = 6 };
    static const wu_metric col[NCH] = {WU_METRIC_LOSS, WU_METRIC_LR, WU_METRIC_GRAD_NORM,
                                       WU_METRIC_UPDATE_RATIO, WU_METRIC_V_MEAN, WU_METRIC_VAL_LOSS};
    static const char *const title[NCH] = {"Training loss (moving average)", "Learning rate",
                                           "Gradient norm (before clipping)", "Update / weight ratio",
                                           "Adam's second moment v (mean)", "Validation loss"};
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
            if ((rc = wu_metrics_column(path, col[k], &d[i * NCH + k], err)) != WU_OK) goto done;
            if (k == 0) wu_series_ema(&d[i * NCH + k], 0.05);
            ser[k * m + i] = (wu_series){.name = single ? run_name(dir) : names[i], .x = d[i * NCH + k].x,
                                         .y = d[i * NCH + k].y, .n = d[i * NCH + k].n, .mark_x = NAN,
                                         .style = k == 5 ? WU_STYLE_POINTS : WU_STYLE_LINE};
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
        wu_chart c = {.title = title[k], .xlabel = wu_metric_label(WU_METRIC_STEP),
                      .ylabel = wu_metric_label(col[k]), .series = ser + k * m, .nseries = m,
                      .log_y = k == 2 || k == 4, .y_include_on = k == 1 || (loss && isfinite(first)),
                      .y_include = k == 1 ? 0.0 : first,
                      .y_include_what = k == 1 ? NULL : "the initial loss"};
        wu_html_chart(o.f, &c, 800, 400);
    }
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
