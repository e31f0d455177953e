/* demo_report.c - the demo's page: the loss curves and the schedules of its three arms (no,
 * linear and exponential warmup), a table and a conclusion computed from the numbers; then why:
 * the gradient norm and the update size relative to the LR over the first steps, with a sentence
 * that reads them (the first update, the gradient norm's peak, the plateau of the loss, the
 * update shrinking while Adam's second moment remembers the early gradients); the configuration
 * and the command that reproduces the page. In the terminal (the charts of what, a compact table
 * of why) and in DIR/report.html, with DIR/summary.json. Read from DIR/study.json (the plan
 * `warmup demo` wrote) and the arms' metrics.csv and summary.json alone, so `warmup report DIR`
 * redraws the same page. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../train/config.h"

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
    /* why, from metrics.csv */
    double first_update;  /* the RMS of the first update that moved the weights (lr > 0) */
    double gpeak;         /* the largest gradient norm in the first 10% of the steps ... */
    long gpeak_at;        /* ... and its step */
    long plat_a, plat_b;  /* the longest flat stretch of the smoothed loss above the best
                             arm's level (steps; plat_b < plat_a: none) */
    double plat_level;    /* its mean loss */
    double ratio_win;     /* median update RMS / LR over the window the sentence reads */
    double lr0;           /* the LR of that first update */
    double gmed_win;      /* median gradient norm over that window */
} arm;

#define FLAT 0.1   /* nats: a plateau's smoothed loss stays within this band */
#define ABOVE 0.3  /* nats: ... and above the best arm's best loss by this much */

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

static int by_value(const void *p, const void *q)
{
    double x = *(const double *)p, y = *(const double *)q;
    return (x > y) - (x < y);
}

/* The median of y[a..b] (finite values only; NaN when there are none). */
static double median(const double *y, long a, long b)
{
    if (b < a) return NAN;
    double *v = malloc((size_t)(b - a + 1) * sizeof *v);
    size_t m = 0;
    if (!v) return NAN;
    for (long i = a; i <= b; i++)
        if (isfinite(y[i])) v[m++] = y[i];
    qsort(v, m, sizeof *v, by_value);
    double r = m == 0 ? NAN : m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
    free(v);
    return r;
}

/* The longest stretch of the smoothed loss y[0..n) whose values stay within FLAT nats of each
 * other and whose mean lies ABOVE nats or more above `floor`: a plateau the run sat on while a
 * better run went lower. Stretches shorter than min_len do not count. For each start i the
 * stretch runs as far as it can (to j(i), which never decreases with i): two pointers and two
 * monotone queues of the window's minimum and maximum, so a run of a million steps costs O(n). */
static void plateau(arm *a, const double *y, int n, double floor, int min_len)
{
    a->plat_a = 0, a->plat_b = -1, a->plat_level = NAN;
    int *qmin = malloc((size_t)(n > 0 ? n : 1) * sizeof *qmin);
    int *qmax = malloc((size_t)(n > 0 ? n : 1) * sizeof *qmax);
    if (!qmin || !qmax) {
        free(qmin), free(qmax);
        return;
    }
    int h1 = 0, t1 = 0, h2 = 0, t2 = 0, j = 0; /* queues [h, t); window [i, j) */
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (j < i) j = i, sum = 0, h1 = t1 = h2 = t2 = 0;
        if (!isfinite(y[i])) continue;
        while (j < n && isfinite(y[j])) {
            double lo = h1 < t1 && y[qmin[h1]] < y[j] ? y[qmin[h1]] : y[j];
            double hi = h2 < t2 && y[qmax[h2]] > y[j] ? y[qmax[h2]] : y[j];
            if (hi - lo > FLAT) break;
            while (h1 < t1 && y[qmin[t1 - 1]] >= y[j]) t1--;
            qmin[t1++] = j;
            while (h2 < t2 && y[qmax[t2 - 1]] <= y[j]) t2--;
            qmax[t2++] = j;
            sum += y[j++];
        }
        int len = j - i;
        if (len >= min_len && sum / len >= floor + ABOVE && len > a->plat_b - a->plat_a + 1)
            a->plat_a = i, a->plat_b = j - 1, a->plat_level = sum / len;
        if (len > 0) { /* i leaves the window */
            sum -= y[i];
            if (h1 < t1 && qmin[h1] == i) h1++;
            if (h2 < t2 && qmax[h2] == i) h2++;
        }
    }
    free(qmin), free(qmax);
}

/* One arm's "why" numbers from its columns (rows aligned: one per step). ratio: update RMS / LR
 * (NaN where the LR is 0), replaced in place of urms by the caller. */
static void why_numbers(arm *a, const wu_series_data *lr, const wu_series_data *g,
                        const wu_series_data *urms, int steps)
{
    a->first_update = NAN, a->lr0 = NAN, a->gpeak = NAN, a->gpeak_at = -1;
    for (int i = 0; i < urms->n && i < lr->n; i++)
        if (lr->y[i] > 0 && isfinite(urms->y[i])) {
            a->first_update = urms->y[i], a->lr0 = lr->y[i];
            break;
        }
    int early = steps / 10 > 1 ? steps / 10 : 1;
    for (int i = 0; i < g->n && i < early; i++)
        if (isfinite(g->y[i]) && !(g->y[i] <= a->gpeak))
            a->gpeak = g->y[i], a->gpeak_at = (long)g->x[i];
}

/* The sentence that reads the "why" charts: every number from the files, and the wording
 * follows the numbers (no spike, no plateau, no shrinking update are said as such). */
static void explain(char *out, size_t n, const arm *a, int steps, double beta2, long wa, long wb)
{
    const arm *none = &a[0], *lin = &a[1];
    size_t u = 0;
#define SAY(...) u += (size_t)snprintf(out + u, u < n ? n - u : 0, __VA_ARGS__)
    out[0] = '\0';
    if (isfinite(none->first_update) && isfinite(none->lr0) && none->lr0 > 0) {
        double f = none->first_update / none->lr0;
        if (f >= 0.95)
            SAY("Without warmup the first update moves every weight by the full peak LR (%.2g RMS: "
                "Adam's first step is the sign of the gradient times the LR, however small or "
                "large the gradient)", none->first_update);
        else
            SAY("Without warmup the first update moves the weights by %.2g (RMS), %.2f of the peak "
                "LR", none->first_update, f);
        if (isfinite(lin->first_update) && lin->first_update > 0)
            SAY(", %.0f times the linear warmup's first update (%.2g). ",
                none->first_update / lin->first_update, lin->first_update);
        else SAY(". ");
    }
    if (isfinite(none->gpeak) && isfinite(lin->gpeak)) {
        if (none->gpeak > 1.5 * lin->gpeak)
            SAY("The gradient norm spikes to %.3g at step %ld in the first 10%% of the steps "
                "(%.3g at most with the linear warmup). ", none->gpeak, none->gpeak_at, lin->gpeak);
        else
            SAY("The gradient norm does not spike at this setting: in the first 10%% of the steps it "
                "peaks at %.3g (step %ld) without warmup and %.3g (step %ld) with the linear "
                "warmup. ", none->gpeak, none->gpeak_at, lin->gpeak, lin->gpeak_at);
    }
    if (none->diverged) {
        SAY("The run without warmup diverged at step %ld.", none->diverged_at);
        goto end;
    }
    long len = none->plat_b - none->plat_a + 1;
    if (len > 0) {
        SAY("The loss without warmup then sits on a plateau near %.2f nats for %ld steps (steps "
            "%ld-%ld, within %.1f nats)", none->plat_level, len, none->plat_a, none->plat_b, FLAT);
        long ll = lin->plat_b - lin->plat_a + 1;
        if (lin->diverged) SAY(". ");
        else if (ll > 0)
            SAY("; the linear warmup's longest such stretch is %ld steps, near %.2f nats. ", ll,
                lin->plat_level);
        else SAY(", while the linear warmup's never stalls that long above %.2f nats. ",
                 none->plat_level - ABOVE);
    } else {
        SAY("The loss without warmup shows no plateau of %d steps or more above the best arm's "
            "level at this setting. ", steps / 20 > 5 ? steps / 20 : 5);
    }
    if (isfinite(none->ratio_win) && isfinite(lin->ratio_win)) {
        if (none->ratio_win < 0.5 * lin->ratio_win) {
            SAY("Over steps %ld-%ld the gradient norm is %.2g (median) without warmup, ", wa, wb,
                none->gmed_win);
            if (isfinite(beta2) && beta2 < 1)
                SAY("while Adam's second moment, an average over about %.0f steps (1/(1-beta2)), "
                    "still holds the larger early gradients (%.3g at most): ", 1 / (1 - beta2), none->gpeak);
            else
                SAY("against %.3g at most in the first 10%% of the steps: ", none->gpeak);
            SAY("the update shrinks to %.2g of the LR, against %.2g with the linear warmup, so the "
                "run barely moves.", none->ratio_win, lin->ratio_win);
        }
        else
            SAY("Over steps %ld-%ld the update is %.2g of the LR without warmup and %.2g with the "
                "linear warmup: no collapse of the update size at this setting.", wa, wb,
                none->ratio_win, lin->ratio_win);
    }
end:;
#undef SAY
}

/* A JSON number, or null where there is none (NaN, inf: not JSON). */
static void jnum(FILE *f, const char *key, double v)
{
    if (isfinite(v)) fprintf(f, ", \"%s\": %.9g", key, v);
    else fprintf(f, ", \"%s\": null", key);
}

static int write_summary(const char *dir, const wu_train_config *c, const arm *a,
                         const char *conclusion, const char *why, wu_error *err)
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
        const arm *r = &a[i];
        fprintf(o.f, "%s\n  {\"name\": ", i ? "," : "");
        wu_json_string(o.f, r->name);
        fputs(", \"schedule\": ", o.f);
        wu_json_string(o.f, r->spec);
        jnum(o.f, "final_loss", r->final_loss);
        jnum(o.f, "best_loss", r->best_loss);
        fprintf(o.f, ", \"diverged\": %s, \"spikes\": %d", r->diverged ? "true" : "false", r->spikes);
        jnum(o.f, "max_grad_norm_first_10pct", r->gmax);
        fprintf(o.f, ", \"max_grad_norm_first_10pct_step\": %ld", r->gpeak_at);
        jnum(o.f, "first_update_rms", r->first_update);
        fprintf(o.f, ", \"plateau_steps\": %ld, \"plateau_first_step\": %ld",
                r->plat_b - r->plat_a + 1, r->plat_b >= r->plat_a ? r->plat_a : -1);
        jnum(o.f, "plateau_loss", r->plat_level);
        jnum(o.f, "update_over_lr_median_window", r->ratio_win);
        fputs("}", o.f);
    }
    fputs("\n], \"conclusion\": ", o.f);
    wu_json_string(o.f, conclusion);
    fputs(", \"why\": ", o.f);
    wu_json_string(o.f, why);
    fputs("}\n", o.f);
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}

/* The configuration every arm shares, as a table of settings (the fields that apply to the
 * model and the optimizer, but the schedule, which is what differs, and where the runs are). */
static int config_rows(const wu_train_config *c, char (*buf)[2][160], const char **cells, int max)
{
    int n = 0;
    for (int f = 0; f < wu_cfg_nfields && n < max; f++) {
        const wu_cfg_field *fd = &wu_cfg_fields[f];
        if ((fd->flags & WU_CFG_LOCAL) || !strcmp(fd->name, "schedule") ||
            !strncmp(fd->name, "inject_", 7) || !wu_cfg_applies(fd, c))
            continue;
        snprintf(buf[n][0], 160, "--%s", fd->flag);
        wu_cfg_format(fd, c, buf[n][1], 160);
        cells[2 * n] = buf[n][0], cells[2 * n + 1] = buf[n][1];
        n++;
    }
    return n;
}

/* A command to copy, escaped and wrapped at the page's edge. */
static void command_box(FILE *f, const char *command)
{
    fputs("<pre style=\"white-space:pre-wrap;overflow-wrap:anywhere\">", f);
    wu_xml_text(f, command);
    fputs("</pre>\n", f);
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
            return wu_fail(err, WU_EINVAL, "demo: arm %s did not finish (see %s): rerun the demo's "
                           "command to finish it", names[i], r->c.out);
        a[i] = (arm){.name = names[i], .label = s->arm[at[i]].label, .spec = r->c.schedule,
                     .final_loss = u->final_loss, .best_loss = u->best_loss,
                     .gmax = u->max_grad_norm_early, .spikes = u->spikes,
                     .diverged = u->status == WU_RUN_DIVERGED, .diverged_at = (long)u->diverged_at};
    }
    const wu_train_config *c = &s->runs[at[0]].c;
    const char *warm = wu_study_text(s, "warmup");
    int steps = (int)c->steps;

    /* what: the smoothed loss and the schedules; why: the gradient norm and the update size
     * relative to the LR over the first half of the steps */
    enum { LOSS, LR, GRAD, URMS, NCOL };
    static const wu_metric col[NCOL] = {WU_METRIC_LOSS, WU_METRIC_LR, WU_METRIC_GRAD_NORM,
                                        WU_METRIC_UPDATE_RMS};
    wu_series_data d[ARMS][NCOL];
    memset(d, 0, sizeof d);
    wu_series sl[ARMS], sr[ARMS], sg[ARMS], su[ARMS];
    int first = steps / 2 > 10 ? steps / 2 : 10;
    int rc = WU_OK;
    for (int i = 0; i < ARMS && rc == WU_OK; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/metrics.csv", s->runs[at[i]].c.out);
        for (int k = 0; k < NCOL && rc == WU_OK; k++) rc = wu_metrics_column(path, col[k], &d[i][k], err);
        if (rc != WU_OK) break;
        wu_series_ema(&d[i][LOSS], 0.1);
        why_numbers(&a[i], &d[i][LR], &d[i][GRAD], &d[i][URMS], steps);
        for (int j = 0; j < d[i][URMS].n && j < d[i][LR].n; j++) /* now the update over the LR */
            d[i][URMS].y[j] = d[i][LR].y[j] > 0 ? d[i][URMS].y[j] / d[i][LR].y[j] : NAN;
        int nf = d[i][GRAD].n < first ? d[i][GRAD].n : first;
        sl[i] = (wu_series){.name = a[i].label, .x = d[i][LOSS].x, .y = d[i][LOSS].y, .n = d[i][LOSS].n, .mark_x = NAN};
        sr[i] = (wu_series){.name = a[i].label, .x = d[i][LR].x, .y = d[i][LR].y, .n = d[i][LR].n, .mark_x = NAN};
        sg[i] = (wu_series){.name = a[i].label, .x = d[i][GRAD].x, .y = d[i][GRAD].y, .n = nf, .mark_x = NAN};
        su[i] = (wu_series){.name = a[i].label, .x = d[i][URMS].x, .y = d[i][URMS].y,
                            .n = d[i][URMS].n < first ? d[i][URMS].n : first, .mark_x = NAN};
    }
    if (rc == WU_OK) {
        /* the plateaus: above the best arm's best loss; the window the sentence reads */
        double floor = INFINITY;
        for (int i = 0; i < ARMS; i++)
            if (!a[i].diverged && a[i].best_loss < floor) floor = a[i].best_loss;
        int min_len = steps / 20 > 5 ? steps / 20 : 5;
        for (int i = 0; i < ARMS; i++) plateau(&a[i], d[i][LOSS].y, d[i][LOSS].n, floor, min_len);
        long wa = a[0].plat_a, wb = a[0].plat_b;
        if (wb < wa) wa = first / 2, wb = first - 1; /* no plateau: the second half of the window */
        for (int i = 0; i < ARMS; i++) {
            long hi = wb < d[i][URMS].n - 1 ? wb : d[i][URMS].n - 1;
            a[i].ratio_win = median(d[i][URMS].y, wa, hi);
            hi = wb < d[i][GRAD].n - 1 ? wb : d[i][GRAD].n - 1;
            a[i].gmed_win = median(d[i][GRAD].y, wa, hi);
        }
    }
    char ttl_g[96], ttl_u[128];
    snprintf(ttl_g, sizeof ttl_g, "Gradient norm, first %d steps (log scale)", first);
    snprintf(ttl_u, sizeof ttl_u, "Update size over the LR (RMS of the update / LR), first %d steps "
             "(log scale)", first);
    wu_chart lc = {.title = "Training loss (moving average), nats", .xlabel = "step", .ylabel = "loss",
                   .series = sl, .nseries = ARMS};
    wu_chart rc_ = {.title = "Learning rate", .xlabel = "step", .ylabel = "lr", .series = sr, .nseries = ARMS};
    wu_chart gc = {.title = ttl_g, .xlabel = "step", .ylabel = "gradient norm (L2)", .series = sg,
                   .nseries = ARMS, .log_y = 1};
    wu_chart uc = {.title = ttl_u, .xlabel = "step", .ylabel = "update RMS / LR", .series = su,
                   .nseries = ARMS, .log_y = 1};
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
    conclude(conclusion, sizeof conclusion, a, steps, warm);
    if (rc == WU_OK && tf) fprintf(tf, "\n%s\n", conclusion);

    /* why: the table of what the sentence reads, and the sentence */
    static const char *const whead[5] = {"arm", "first update (RMS)", "peak grad norm, first 10% (step)",
                                         "plateau (steps)", "median update / LR there"};
    char wbuf[ARMS][5][64];
    const char *wcells[ARMS * 5];
    char why[1600] = "";
    long wa = a[0].plat_b >= a[0].plat_a ? a[0].plat_a : first / 2;
    long wb = a[0].plat_b >= a[0].plat_a ? a[0].plat_b : first - 1;
    for (int i = 0; i < ARMS; i++) {
        const arm *r = &a[i];
        snprintf(wbuf[i][0], 64, "%s", r->label);
        snprintf(wbuf[i][1], 64, isfinite(r->first_update) ? "%.2g" : "-", r->first_update);
        if (isfinite(r->gpeak)) snprintf(wbuf[i][2], 64, "%.3g (%ld)", r->gpeak, r->gpeak_at);
        else snprintf(wbuf[i][2], 64, "-");
        if (r->plat_b >= r->plat_a)
            snprintf(wbuf[i][3], 64, "%ld at %.2f nats", r->plat_b - r->plat_a + 1, r->plat_level);
        else snprintf(wbuf[i][3], 64, "none");
        snprintf(wbuf[i][4], 64, isfinite(r->ratio_win) ? "%.2g" : "-", r->ratio_win);
        for (int j = 0; j < 5; j++) wcells[i * 5 + j] = wbuf[i][j];
    }
    char whead4[64];
    snprintf(whead4, sizeof whead4, "median update / LR, steps %ld-%ld", wa, wb);
    const char *wh[5] = {whead[0], whead[1], whead[2], whead[3], whead4};
    const wu_cfg_field *b2 = wu_cfg_find("beta2");
    double beta2 = b2 && wu_cfg_applies(b2, c) ? c->beta2 : NAN;
    if (rc == WU_OK) explain(why, sizeof why, a, steps, beta2, wa, wb);
    if (rc == WU_OK && tf) {
        fprintf(tf, "\nWhy (%s/report.html has the charts):\n%-20s %12s %18s %18s %16s\n", s->dir,
                "arm", "1st update", "peak |g| 10% (at)", "plateau", "update/LR");
        for (int i = 0; i < ARMS; i++) {
            char pl[32];
            if (a[i].plat_b >= a[i].plat_a) snprintf(pl, sizeof pl, "%ld steps", a[i].plat_b - a[i].plat_a + 1);
            else snprintf(pl, sizeof pl, "none");
            fprintf(tf, "%-20s %12s %18s %18s %16s\n", wbuf[i][0], wbuf[i][1], wbuf[i][2], pl, wbuf[i][4]);
        }
        fprintf(tf, "(update/LR: the median over steps %ld-%ld)\n\n%s\n", wa, wb, why);
    }

    /* files: charts, the demo summary, the report */
    if (rc == WU_OK) rc = wu_report_svg(s->dir, "loss.svg", &lc, NULL, 800, 450, err);
    if (rc == WU_OK) rc = wu_report_svg(s->dir, "lr.svg", &rc_, NULL, 800, 450, err);
    if (rc == WU_OK) rc = wu_report_svg(s->dir, "grad_norm.svg", &gc, NULL, 800, 450, err);
    if (rc == WU_OK) rc = wu_report_svg(s->dir, "update.svg", &uc, NULL, 800, 450, err);
    if (rc == WU_OK) rc = write_summary(s->dir, c, a, conclusion, why, err);
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
        wu_html_heading(o.f, 2, "Why: the first steps");
        wu_html_paragraph(o.f, why);
        wu_html_chart(o.f, &gc, 800, 450);
        wu_html_chart(o.f, &uc, 800, 450);
        wu_html_table(o.f, wh, 5, wcells, ARMS);
        char note[700];
        snprintf(note, sizeof note, "Read from each arm's metrics.csv (grad_norm, update_rms, lr). "
                 "Adam divides each step by the square root of its second moment, so its first "
                 "update is the LR in every coordinate whatever the gradient, and a large early "
                 "gradient keeps later updates small for about 1/(1-beta2) steps. A plateau is the "
                 "longest stretch of at least %d steps where the smoothed loss stays within %.1f "
                 "nats and %.1f nats or more above the best arm's best loss%s.",
                 steps / 20 > 5 ? steps / 20 : 5, FLAT, ABOVE,
                 strcmp(c->model, "gpt") ? "" : "; for this byte-level GPT it is typically near the "
                 "unigram loss (each byte predicted by its frequency alone)");
        wu_html_paragraph(o.f, note);
        wu_html_heading(o.f, 2, "Configuration");
        char cfgbuf[64][2][160];
        const char *cfgcells[128];
        static const char *const chead[2] = {"setting", "value (every arm)"};
        int nc = config_rows(c, cfgbuf, cfgcells, 64);
        wu_html_table(o.f, chead, 2, cfgcells, nc);
        wu_html_heading(o.f, 2, "How to reproduce this page");
        command_box(o.f, s->command);
        wu_html_paragraph(o.f, "Rerunning the same command keeps the finished arms and resumes "
                               "interrupted ones; 'warmup report DIR' redraws this page from the "
                               "files alone.");
        wu_html_end(o.f);
        if (wu_outfile_commit(&o, err)) rc = err->code;
    }
    for (int i = 0; i < ARMS; i++)
        for (int k = 0; k < NCOL; k++) wu_series_data_free(&d[i][k]);
    return rc;
}
