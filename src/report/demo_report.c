/* demo_report.c - the demo's page: the loss curves and the schedules of its three arms (no,
 * linear and exponential warmup), a table and a conclusion computed from the numbers, in the
 * terminal and in DIR/report.html, with DIR/summary.json. Read from DIR/study.json (the plan
 * `warmup demo` wrote) and the arms' files alone, so `warmup report DIR` redraws the same page. */
#include <math.h>
#include <string.h>

#include "../util/fail.h"
#include "../util/outfile.h"
#include "html.h"
#include "metrics.h"
#include "study_page.h"

#define ARMS 3

typedef struct arm {
    const char *name, *label, *spec;
    double final_loss, best_loss, gmax;
    int diverged, spikes;
    long diverged_at;
} arm;

/* The conclusion, from the numbers. */
static void conclude(char *out, size_t n, const arm *a, int steps, const char *warm)
{
    const arm *none = &a[0], *lin = &a[1], *ex = &a[2];
    size_t u = 0;
#define SAY(...) u += (size_t)snprintf(out + u, u < n ? n - u : 0, __VA_ARGS__)
    if (none->diverged)
        SAY("Without warmup the run diverged at step %ld. ", none->diverged_at);
    else
        SAY("Without warmup the loss ended at %.3f nats after %d steps. ", none->final_loss, steps);
    for (int i = 1; i < ARMS && u < n; i++) {
        const arm *w = &a[i];
        if (w->diverged) {
            SAY("With %s it diverged at step %ld. ", w->label, w->diverged_at);
            continue;
        }
        double d = none->diverged ? NAN : none->final_loss - w->final_loss;
        if (isnan(d)) SAY("With %s it trained to %.3f. ", w->label, w->final_loss);
        else if (d > 0.05)
            SAY("With %s (%s of the steps) it ended at %.3f, %.2f nats lower (%.0f%% less). ",
                w->label, warm, w->final_loss, d, 100.0 * d / none->final_loss);
        else if (d < -0.05)
            SAY("With %s it ended at %.3f, %.2f nats higher than without warmup. ", w->label,
                w->final_loss, -d);
        else
            SAY("With %s it ended at %.3f, no different from no warmup at this setting. ",
                w->label, w->final_loss);
    }
    if (!none->diverged && !lin->diverged && isfinite(none->gmax) && isfinite(lin->gmax))
        SAY("In the first 10%% of the steps the gradient norm reached %.1f without warmup and "
            "%.1f with the linear warmup%s. ", none->gmax, lin->gmax,
            none->gmax > 1.5 * lin->gmax ? ": the unstable start the guide describes" : "");
    if (!lin->diverged && !ex->diverged && !none->diverged) {
        double dl = none->final_loss - lin->final_loss, de = none->final_loss - ex->final_loss;
        if (dl > 0.05 && de < 0.5 * dl)
            SAY("The exponential warmup recovered less of the gap: 1 - exp(-5t/W) reaches 99%% "
                "of the peak LR within the first fifth of its warmup, so it behaves more like no "
                "warmup.");
        else if (dl > 0.05 && de >= 0.5 * dl)
            SAY("Both warmup shapes helped.");
    }
#undef SAY
}

static int write_summary(const char *dir, const wu_train_config *c, const arm *a,
                         const char *conclusion, wu_error *err)
{
    char path[700];
    wu_outfile o;
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (wu_outfile_open(&o, path, err)) return err->code;
    fputs("{\"model\": ", o.f);
    wu_json_string(o.f, c->model);
    fprintf(o.f, ", \"lr\": %.17g, \"steps\": %lld, \"batch\": %lld, \"seed\": %lld, \"arms\": [",
            c->lr, (long long)c->steps, (long long)c->batch, (long long)c->seed);
    for (int i = 0; i < ARMS; i++) {
        fprintf(o.f, "%s\n  {\"name\": ", i ? "," : "");
        wu_json_string(o.f, a[i].name);
        fputs(", \"schedule\": ", o.f);
        wu_json_string(o.f, a[i].spec);
        fprintf(o.f, ", \"final_loss\": %.9g, \"best_loss\": %.9g, \"diverged\": %s, \"spikes\": %d, "
                     "\"max_grad_norm_first_10pct\": %.9g}",
                a[i].final_loss, a[i].best_loss, a[i].diverged ? "true" : "false", a[i].spikes, a[i].gmax);
    }
    fputs("\n], \"conclusion\": ", o.f);
    wu_json_string(o.f, conclusion);
    fputs("}\n", o.f);
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}

int wu_report_demo(const wu_study *s, const wu_term *t, wu_error *err)
{
    static const char *const names[ARMS] = {"none", "linear", "exp"};
    arm a[ARMS];
    int at[ARMS];
    for (int i = 0; i < ARMS; i++) {
        if ((at[i] = wu_study_arm_index(s, names[i])) < 0)
            return wu_fail(err, WU_EINVAL, "%s/study.json: the demo has no arm %s", s->dir, names[i]);
        const wu_lab_run *r = &s->runs[at[i]];
        const wu_run_summary *u = &r->s;
        if (u->status != WU_RUN_COMPLETED && u->status != WU_RUN_DIVERGED)
            return wu_fail(err, WU_EINVAL, "demo: arm %s did not finish (see %s)", names[i], r->c.out);
        a[i] = (arm){.name = names[i], .label = s->arm[at[i]].label, .spec = r->c.schedule,
                     .final_loss = u->final_loss, .best_loss = u->best_loss,
                     .gmax = u->max_grad_norm_early, .spikes = u->spikes,
                     .diverged = u->status == WU_RUN_DIVERGED, .diverged_at = (long)u->diverged_at};
    }
    const wu_train_config *c = &s->runs[at[0]].c;
    const char *warm = wu_study_text(s, "warmup");

    /* charts: smoothed loss, and the schedules */
    wu_series_data loss[ARMS] = {{0}}, lrs[ARMS] = {{0}};
    wu_series sl[ARMS], sr[ARMS];
    int rc = WU_OK;
    for (int i = 0; i < ARMS && rc == WU_OK; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/metrics.csv", s->runs[at[i]].c.out);
        if ((rc = wu_metrics_column(path, WU_METRIC_LOSS, &loss[i], err)) != WU_OK ||
            (rc = wu_metrics_column(path, WU_METRIC_LR, &lrs[i], err)) != WU_OK)
            break;
        wu_series_ema(&loss[i], 0.1);
        sl[i] = (wu_series){.name = a[i].label, .x = loss[i].x, .y = loss[i].y, .n = loss[i].n, .mark_x = NAN};
        sr[i] = (wu_series){.name = a[i].label, .x = lrs[i].x, .y = lrs[i].y, .n = lrs[i].n, .mark_x = NAN};
    }
    wu_chart lc = {.title = "Training loss (moving average), nats", .xlabel = "step", .ylabel = "loss",
                   .series = sl, .nseries = ARMS};
    wu_chart rc_ = {.title = "Learning rate", .xlabel = "step", .ylabel = "lr", .series = sr, .nseries = ARMS};
    FILE *tf = t ? t->f : NULL;
    if (rc == WU_OK && tf) {
        fprintf(tf, "\n");
        wu_chart_tty(tf, &lc, t->cols, 14, t->mode, t->color);
        fprintf(tf, "\n");
        wu_chart_tty(tf, &rc_, t->cols, 8, t->mode, t->color);
    }

    /* the table */
    static const char *const head[6] = {"arm", "final loss", "best loss", "spikes", "diverged",
                                        "max grad norm, first 10%"};
    char cellbuf[ARMS][6][64];
    const char *cells[ARMS * 6];
    if (rc == WU_OK && tf)
        fprintf(tf, "\n%-20s %10s %10s %7s %9s %12s\n", "arm", "final", "best", "spikes", "diverged",
                "max |g| 10%");
    for (int i = 0; i < ARMS; i++) {
        snprintf(cellbuf[i][0], 64, "%s", a[i].label);
        snprintf(cellbuf[i][1], 64, "%.3f", a[i].final_loss);
        snprintf(cellbuf[i][2], 64, "%.3f", a[i].best_loss);
        snprintf(cellbuf[i][3], 64, "%d", a[i].spikes);
        if (a[i].diverged) snprintf(cellbuf[i][4], 64, "at step %ld", a[i].diverged_at);
        else snprintf(cellbuf[i][4], 64, "no");
        snprintf(cellbuf[i][5], 64, "%.2f", a[i].gmax);
        for (int j = 0; j < 6; j++) cells[i * 6 + j] = cellbuf[i][j];
        if (rc == WU_OK && tf)
            fprintf(tf, "%-20s %10s %10s %7s %9s %12s\n", cellbuf[i][0], cellbuf[i][1],
                    cellbuf[i][2], cellbuf[i][3], cellbuf[i][4], cellbuf[i][5]);
    }
    char conclusion[1200];
    conclude(conclusion, sizeof conclusion, a, (int)c->steps, warm);
    if (rc == WU_OK && tf) fprintf(tf, "\n%s\n", conclusion);

    /* files: charts, the demo summary, the report */
    if (rc == WU_OK) rc = wu_report_svg(s->dir, "loss.svg", &lc, NULL, 800, 450, err);
    if (rc == WU_OK) rc = wu_report_svg(s->dir, "lr.svg", &rc_, NULL, 800, 450, err);
    if (rc == WU_OK) rc = write_summary(s->dir, c, a, conclusion, err);
    char path[700];
    wu_outfile o;
    snprintf(path, sizeof path, "%s/report.html", s->dir);
    if (rc == WU_OK && wu_outfile_open(&o, path, err)) rc = err->code;
    if (rc == WU_OK) {
        wu_html_begin(o.f, "What warmup does: the warmup demo");
        char intro[600];
        snprintf(intro, sizeof intro, "The same %s, the same data, the same seed and the same peak "
                 "learning rate (%g), trained for %lld steps three times: without warmup, with a "
                 "linear warmup and with an exponential warmup over %s of the steps, each followed "
                 "by the same cosine decay to a tenth of the peak.", c->model, c->lr,
                 (long long)c->steps, warm);
        wu_html_paragraph(o.f, intro);
        wu_html_heading(o.f, 2, "What happened");
        wu_html_paragraph(o.f, conclusion);
        wu_html_chart(o.f, &lc, 800, 450);
        wu_html_chart(o.f, &rc_, 800, 420);
        wu_html_heading(o.f, 2, "The numbers");
        wu_html_table(o.f, head, 6, cells, ARMS);
        wu_html_paragraph(o.f, "A spike is a loss more than three standard deviations and 0.1 nats "
                               "above the mean of the 20 steps before it. Each arm's metrics.csv and "
                               "summary.json are in its own directory next to this page.");
        wu_html_end(o.f);
        if (wu_outfile_commit(&o, err)) rc = err->code;
    }
    for (int i = 0; i < ARMS; i++) {
        wu_series_data_free(&loss[i]);
        wu_series_data_free(&lrs[i]);
    }
    return rc;
}
