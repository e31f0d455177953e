/* study_report.c - each study's charts and its conclusion, computed from the runs' numbers and
 * compared with what the literature expects; said plainly when the expectation did not hold. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "study_page.h"

#define SAY(...) u += (size_t)snprintf(p->conclusion + u, u < sizeof p->conclusion ? sizeof p->conclusion - u : 0, __VA_ARGS__)

static double score(const wu_study *s, int i) { return wu_run_score(&s->runs[i].s); }

/* Per (group, warm): the run with the lowest final loss, or -1 when none finished. */
static int best_of(const wu_study *s, int group, int warm)
{
    int b = -1;
    for (int i = 0; i < s->n; i++)
        if (s->arm[i].group == group && s->arm[i].warm == warm && isfinite(score(s, i)) &&
            (b < 0 || score(s, i) < score(s, b)))
            b = i;
    return b;
}

/* A diverged run counts at its initial loss, as in the LR-sensitivity metric. */
static double eff(const wu_study *s, int i)
{
    double sc = score(s, i), l0 = s->runs[i].s.first_loss;
    return isfinite(sc) ? sc : l0;
}

/* Final loss against LR, one line per (group, warm), diverged runs flagged (at their initial
 * loss). */
static void loss_vs_lr(const wu_study *s, wu_page *p, int ngroups, const char *const *gname)
{
    wu_series *ser = p->series[p->ncharts];
    int ns = 0;
    for (int g = 0; g < ngroups && ns < 8; g++)
        for (int w = 0; w < 2; w++) {
            int n = 0;
            for (int i = 0; i < s->n; i++) {
                if (s->arm[i].group != g || s->arm[i].warm != w) continue;
                if (s->runs[i].s.status != WU_RUN_COMPLETED && s->runs[i].s.status != WU_RUN_DIVERGED) continue;
                p->gx[ns][n] = s->arm[i].x;
                p->gy[ns][n] = eff(s, i);
                p->gflag[ns][n++] = s->runs[i].s.status == WU_RUN_DIVERGED;
            }
            snprintf(p->gname[ns], 64, "%s, %s", gname[g], w ? "warmup" : "no warmup");
            ser[ns] = (wu_series){.name = p->gname[ns], .x = p->gx[ns], .y = p->gy[ns], .n = n,
                                  .mark_x = NAN, .style = WU_STYLE_POINTS, .flag = p->gflag[ns]};
            ns++;
        }
    p->charts[p->ncharts] = (wu_chart){.title = "Final loss against peak LR (x: diverged)",
                                       .xlabel = "peak LR", .ylabel = "final loss (nats)",
                                       .series = ser, .nseries = ns, .log_x = 1,
                                       .flag_label = "diverged"};
    p->files[p->ncharts] = "loss-vs-lr.svg";
    p->tty_rows[p->ncharts++] = 12;
}

/* Per group: the best final loss over the LRs without and with warmup (a diverged run at its
 * initial loss), appended to the conclusion at u; gain[g] = without - with. Returns the new
 * length. */
static size_t gains(const wu_study *s, wu_page *p, size_t u, int ngroups, const char *const *gname,
                    double *gain)
{
    for (int g = 0; g < ngroups; g++) {
        double best[2] = {NAN, NAN};
        int at[2] = {-1, -1};
        for (int i = 0; i < s->n; i++) {
            int st = s->runs[i].s.status;
            if (s->arm[i].group != g || (st != WU_RUN_COMPLETED && st != WU_RUN_DIVERGED)) continue;
            double e = eff(s, i);
            int w = s->arm[i].warm;
            if (isfinite(e) && !(best[w] <= e)) best[w] = e, at[w] = i;
        }
        gain[g] = best[0] - best[1];
        double lo = INFINITY, hi = -INFINITY; /* the group's LR grid */
        for (int i = 0; i < s->n; i++)
            if (s->arm[i].group == g) lo = fmin(lo, s->arm[i].x), hi = fmax(hi, s->arm[i].x);
        if (at[0] >= 0 && at[1] >= 0) {
            SAY("%s: best final loss %.3f without warmup (LR %g), %.3f with warmup (LR %g), a gain "
                "of %+.3f", gname[g], best[0], s->arm[at[0]].x, best[1], s->arm[at[1]].x, gain[g]);
            int edge = 0;
            for (int w = 0; w < 2; w++) edge |= s->arm[at[w]].x == lo || s->arm[at[w]].x == hi;
            SAY("%s. ", edge ? " (a best LR at the edge of the grid: a better one may lie beyond)" : "");
        } else
            SAY("%s: no finished run %s warmup. ", gname[g], at[0] < 0 ? "without" : "with");
    }
    return u;
}

/* The training-loss curves of the given runs (EMA 0.05). */
static int curves(const wu_study *s, wu_page *p, const int *idx, int n, const char *title,
                  const char *file, wu_error *err)
{
    wu_series *ser = p->series[p->ncharts];
    int ns = 0, rc;
    for (int k = 0; k < n; k++) {
        if (idx[k] < 0) continue;
        if ((rc = wu_page_curve(p, &s->runs[idx[k]], WU_METRIC_LOSS, 0.05, 1, 0, &ser[ns++],
                                s->arm[idx[k]].label, err)) != WU_OK)
            return rc;
    }
    p->charts[p->ncharts] = (wu_chart){.title = title, .xlabel = "step", .ylabel = "training loss (EMA)",
                                       .series = ser, .nseries = ns};
    p->files[p->ncharts] = file;
    p->tty_rows[p->ncharts++] = 12;
    return WU_OK;
}

/* The training-loss curves of each (group, warm) at its best LR. */
static int best_curves(const wu_study *s, wu_page *p, int ngroups, const char *title, wu_error *err)
{
    int best[8], n = 0;
    for (int g = 0; g < ngroups && n < 8; g++)
        for (int w = 0; w < 2; w++) best[n++] = best_of(s, g, w);
    return curves(s, p, best, n, title, "curves.svg", err);
}

/* ---- optimizers ----------------------------------------------------------------------------- */

static int render_optimizers(const wu_study *s, wu_page *p, wu_error *err)
{
    static const char *const gname[3] = {"SGD+momentum", "Adam", "AdamW"};
    p->title = "optimizers with and without warmup";
    p->source = "the guide; Liu et al. 2019; Ma & Yarats 2021";
    p->claim = "Adaptive optimizers (Adam, AdamW) depend on warmup more than SGD with momentum: "
               "without it their first updates are large, so the gain from warmup at each "
               "optimizer's own best LR is larger for Adam and AdamW.";
    snprintf(p->intro, sizeof p->intro, "The %d-layer GPT on the built-in language, %lld steps, "
             "trained with SGD+momentum (0.9), Adam and AdamW (weight decay 0.01) at three LRs "
             "each, with no warmup and with a 25%% linear warmup, each followed by a cosine decay "
             "to 10%%.", s->runs[0].c.layers, (long long)s->runs[0].c.steps);
    loss_vs_lr(s, p, 3, gname);
    int rc = best_curves(s, p, 3, "Training loss of each optimizer at its best LR", err);
    if (rc != WU_OK) return rc;
    double gain[3];
    size_t u = gains(s, p, 0, 3, gname, gain);
    if (isfinite(gain[0]) && isfinite(gain[1]) && isfinite(gain[2])) {
        double adaptive = gain[1] < gain[2] ? gain[1] : gain[2];
        if (adaptive > gain[0] + 0.02)
            SAY("The expectation held: warmup gained more for Adam and AdamW (at least %+.3f) "
                "than for SGD+momentum (%+.3f).", adaptive, gain[0]);
        else
            SAY("The expectation did not hold here: warmup gained %+.3f for SGD+momentum against "
                "%+.3f (Adam) and %+.3f (AdamW).", gain[0], gain[1], gain[2]);
    }
    return WU_OK;
}

/* ---- layernorm ------------------------------------------------------------------------------ */

static int render_layernorm(const wu_study *s, wu_page *p, wu_error *err)
{
    static const char *const gname[2] = {"Pre-LN", "Post-LN"};
    double (*lx)[64] = p->lx, (*ly)[64] = p->ly;
    p->title = "Pre-LN against Post-LN";
    p->source = "Xiong et al. 2020";
    p->claim = "At initialisation, Post-LN's gradient norms grow towards the last layers while "
               "Pre-LN's stay level; so Post-LN needs warmup to train at a useful LR, while Pre-LN "
               "trains without it.";
    snprintf(p->intro, sizeof p->intro, "The %d-layer GPT on the built-in language, %lld steps, "
             "AdamW, with the LayerNorm before (Pre-LN) or after (Post-LN) each residual "
             "branch, with no warmup and with a 25%% linear warmup, at several LRs. The gradient "
             "norms at initialisation are averaged over 8 batches.", s->runs[0].c.layers,
             (long long)s->runs[0].c.steps);
    /* per-layer gradient norms at init, from the first run of each kind */
    wu_series *gs = p->series[p->ncharts];
    int L[2] = {0, 0};
    for (int g = 0; g < 2; g++) {
        int i = 0;
        while (i < s->n && s->arm[i].group != g) i++;
        if (i == s->n) continue;
        int rc = wu_train_init_grad_norms(&s->runs[i].c, 8, ly[g], 64, &L[g], err);
        if (rc != WU_OK) return rc;
        for (int l = 0; l < L[g]; l++) lx[g][l] = l + 1;
        gs[g] = (wu_series){.name = gname[g], .x = lx[g], .y = ly[g], .n = L[g], .mark_x = NAN,
                            .style = WU_STYLE_POINTS};
    }
    p->charts[p->ncharts] = (wu_chart){.title = "Gradient norm of each layer at initialisation",
                                       .xlabel = "layer", .ylabel = "gradient norm",
                                       .series = gs, .nseries = 2, .log_y = 1};
    p->files[p->ncharts] = "grad-norm-init.svg";
    p->tty_rows[p->ncharts++] = 10;
    loss_vs_lr(s, p, 2, gname);
    int rc = best_curves(s, p, 2, "Training loss at each variant's best LR", err);
    if (rc != WU_OK) return rc;
    size_t u = 0;
    double ratio[2] = {NAN, NAN};
    for (int g = 0; g < 2; g++)
        if (L[g] >= 2) ratio[g] = ly[g][L[g] - 1] / ly[g][0];
    if (isfinite(ratio[0]) && isfinite(ratio[1])) {
        SAY("At initialisation the last layer's gradient norm is %.2fx the first layer's in "
            "Pre-LN and %.2fx in Post-LN", ratio[0], ratio[1]);
        SAY(ratio[1] > 1.2 * ratio[0] ? ": Post-LN's grow towards the output, as Xiong et al. "
                                        "found. "
                                      : ": this model does not show Xiong et al.'s pattern. ");
    }
    double gain[2];
    u = gains(s, p, u, 2, gname, gain);
    if (isfinite(gain[0]) && isfinite(gain[1])) {
        if (gain[1] > gain[0] + 0.02)
            SAY("As expected, warmup mattered more for Post-LN (%+.3f) than for Pre-LN (%+.3f).",
                gain[1], gain[0]);
        else
            SAY("The expectation did not hold here: warmup gained %+.3f for Post-LN and %+.3f for "
                "Pre-LN.", gain[1], gain[0]);
    }
    return WU_OK;
}

/* ---- adam-first-steps ----------------------------------------------------------------------- */

/* Mean of a metrics column over the first n rows of run r (NaN when none). */
static double early_mean(wu_page *p, const wu_lab_run *r, wu_metric col, int n, wu_error *err)
{
    wu_series tmp;
    if (wu_page_curve(p, r, col, 0, 1, n, &tmp, "", err) != WU_OK || tmp.n == 0) return NAN;
    double sum = 0;
    int m = 0;
    for (int i = 0; i < tmp.n; i++)
        if (isfinite(tmp.y[i])) sum += tmp.y[i], m++;
    return m ? sum / m : NAN;
}

static int render_adam(const wu_study *s, wu_page *p, wu_error *err)
{
    p->title = "Adam's first steps";
    p->source = "Ma & Yarats 2021; Liu et al. 2019";
    p->claim = "Without warmup Adam's first updates are as large as the LR in every coordinate, "
               "because its second-moment estimate rests on a handful of gradients. The untuned "
               "warmups (linear over 2/(1-beta2) steps, exponential with time constant "
               "1/(1-beta2)) and RAdam's rectification all remove that, and perform about alike, "
               "better than vanilla Adam.";
    int first = (int)(s->runs[0].c.steps * 3 / 5);
    snprintf(p->intro, sizeof p->intro, "The %d-layer GPT on the built-in language, %lld steps at "
             "peak LR %g, Adam (beta2 = %g, no weight decay) without warmup, with the untuned "
             "linear warmup (%d steps) and the untuned exponential warmup (time constant %d "
             "steps), and RAdam without warmup; every schedule decays by cosine to 10%%. The "
             "charts of the update size and of v show the first %d steps.",
             s->runs[0].c.layers, (long long)s->runs[0].c.steps, s->runs[0].c.lr, s->beta2,
             (int)(2 / (1 - s->beta2)), (int)(1 / (1 - s->beta2)), first);
    static const wu_metric col[4] = {WU_METRIC_UPDATE_RMS, WU_METRIC_V_MEAN, WU_METRIC_V_MAX,
                                     WU_METRIC_LR};
    static const char *const title[4] = {"Update size (RMS over all parameters)",
                                         "Adam's second moment v (bias-corrected mean)",
                                         "Adam's second moment v (bias-corrected largest entry)",
                                         "Learning rate"};
    static const char *const file[4] = {"update-rms.svg", "v-mean.svg", "v-max.svg", "lr.svg"};
    int rc;
    for (int c = 0; c < 4; c++) {
        wu_series *ser = p->series[p->ncharts];
        int ns = 0;
        for (int i = 0; i < s->n; i++) {
            if ((rc = wu_page_curve(p, &s->runs[i], col[c], 0, 1, first, &ser[ns++], s->arm[i].label,
                                    err)) != WU_OK)
                return rc;
        }
        p->charts[p->ncharts] = (wu_chart){.title = title[c], .xlabel = "step", .ylabel = wu_metric_name(col[c]),
                                           .series = ser, .nseries = ns, .log_y = c < 3};
        p->files[p->ncharts] = file[c];
        p->tty_rows[p->ncharts++] = 10;
    }
    int all[4] = {0, 1, 2, 3};
    if ((rc = curves(s, p, all, s->n < 4 ? s->n : 4, "Training loss", "curves.svg", err)) != WU_OK)
        return rc;
    size_t u = 0;
    double lr = s->runs[0].c.lr;
    for (int i = 0; i < s->n; i++) {
        double rms = early_mean(p, &s->runs[i], WU_METRIC_UPDATE_RMS, 20, err);
        SAY("%s: final loss %.3f%s, mean update RMS over the first 20 steps %.2g (%.2f x the "
            "peak LR). ", s->arm[i].label, eff(s, i),
            s->runs[i].s.status == WU_RUN_DIVERGED ? " (diverged)" : "", rms, rms / lr);
    }
    double a = eff(s, 0), w1 = eff(s, 1), w2 = eff(s, 2), ra = eff(s, 3);
    if (isfinite(a) && isfinite(w1) && isfinite(w2) && isfinite(ra)) {
        double lo = fmin(w1, fmin(w2, ra)), hi = fmax(w1, fmax(w2, ra));
        int better = hi < a - 0.02, alike = hi - lo < 0.1;
        if (better && alike)
            SAY("The expectation held: all three remedies ended below vanilla Adam (%.3f) and "
                "within %.3f of each other.", a, hi - lo);
        else if (better)
            SAY("Partly held: all three remedies ended below vanilla Adam (%.3f), but they differ "
                "by %.3f.", a, hi - lo);
        else
            SAY("The expectation did not hold here: vanilla Adam ended at %.3f, the remedies "
                "between %.3f and %.3f.", a, lo, hi);
    }
    return WU_OK;
}

/* ---- batch-scaling -------------------------------------------------------------------------- */

static int render_batch(const wu_study *s, wu_page *p, wu_error *err)
{
    p->title = "large batches";
    p->source = "Goyal et al. 2017";
    p->claim = "With the LR scaled linearly with the batch and a gradual warmup, a k-times larger "
               "batch trains as well per epoch as the small batch; without warmup the scaled LR "
               "is unstable early; a constant low-LR warmup leaves a spike when it ends; without "
               "scaling the large batch falls behind.";
    snprintf(p->intro, sizeof p->intro, "An MLP (%d hidden layers of %d) on Fashion-MNIST, SGD with "
             "momentum 0.9, the same number of epochs for every arm: a batch-%d baseline, and "
             "%d-times the batch with the LR unscaled, scaled by sqrt(k), and scaled by k without "
             "warmup, with a constant warmup (the base LR for 25%% of the steps) and with a "
             "gradual warmup from the base LR; all decay by cosine to 10%%.",
             s->runs[0].c.depth, s->runs[0].c.width, s->runs[0].c.batch, s->k);
    wu_series *ser = p->series[p->ncharts];
    int ns = 0, rc;
    static char lrname[3][64];
    for (int i = 0; i < s->n; i++) {
        double xs = 1.0 / (double)s->steps_per_epoch[i];
        if ((rc = wu_page_curve(p, &s->runs[i], WU_METRIC_LOSS, 0.02, xs, 0, &ser[ns++], s->arm[i].label, err)))
            return rc;
    }
    for (int i = 3; i < s->n && i < 6; i++) {
        snprintf(lrname[i - 3], 64, "LR: %s", i == 3 ? "no warmup" : i == 4 ? "constant warmup" : "gradual warmup");
        if ((rc = wu_page_curve(p, &s->runs[i], WU_METRIC_LR, 0, 1.0 / (double)s->steps_per_epoch[i], 0,
                                &ser[ns], lrname[i - 3], err)))
            return rc;
        ser[ns++].right = 1;
    }
    p->charts[p->ncharts] = (wu_chart){.title = "Training loss (EMA) against epochs; LR on the right",
                                       .xlabel = "epoch", .ylabel = "training loss", .series = ser,
                                       .nseries = ns, .y2label = "LR"};
    p->files[p->ncharts] = "loss-vs-epoch.svg";
    p->tty_rows[p->ncharts++] = 14;
    size_t u = 0;
    double v[6];
    for (int i = 0; i < 6; i++) {
        v[i] = i < s->n ? eff(s, i) : NAN;
        if (i < s->n)
            SAY("%s: %s%.3f%s. ", s->arm[i].label, "final validation loss ", v[i],
                s->runs[i].s.status == WU_RUN_DIVERGED ? " (diverged; initial loss)" : "");
    }
    if (s->n == 6 && isfinite(v[0]) && isfinite(v[5])) {
        double tol = 0.05 * v[0] > 0.02 ? 0.05 * v[0] : 0.02;
        if (v[5] <= v[0] + tol)
            SAY("Held: with linear scaling and gradual warmup the %d-times batch came within %.3f "
                "of the baseline. ", s->k, v[5] - v[0]);
        else
            SAY("Did not hold: with linear scaling and gradual warmup the large batch ended "
                "%.3f above the baseline. ", v[5] - v[0]);
        if (s->runs[3].s.status == WU_RUN_DIVERGED || v[3] > v[5] + 0.01)
            SAY("Without warmup the scaled LR did worse (%.3f against %.3f)%s. ", v[3], v[5],
                s->runs[3].s.status == WU_RUN_DIVERGED ? ", it diverged" : "");
        else
            SAY("Without warmup the scaled LR did as well here (%.3f against %.3f): at this size "
                "the instability Goyal et al. saw did not appear. ", v[3], v[5]);
        if (v[1] > v[5] + 0.01)
            SAY("Without LR scaling the large batch fell behind (%.3f), as expected; ", v[1]);
        else
            SAY("Without LR scaling the large batch did not fall behind (%.3f); ", v[1]);
        SAY("square-root scaling ended at %.3f. ", v[2]);
        const wu_run_summary *cw = &s->runs[4].s;
        long long end = (long long)(s->runs[4].c.steps / 4);
        if (cw->status == WU_RUN_DIVERGED)
            SAY("The constant warmup diverged at step %lld, %s its end at step %lld, when the LR "
                "jumped %d-fold.", (long long)cw->diverged_at,
                cw->diverged_at >= end ? "just after" : "before", end, s->k);
        else
            SAY("The constant warmup ended at %.3f (%d loss spikes).", v[4], cw->spikes);
    }
    return WU_OK;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

int wu_report_study(wu_study *s, const char *command, const wu_term *t, wu_error *err)
{
    for (int i = 0; i < s->n; i++)
        if (wu_run_summary_read(s->runs[i].c.out, &s->runs[i].s, err) != WU_OK)
            s->runs[i].s.status = WU_RUN_MISSING;
    if (!strcmp(s->name, "lr-range")) {
        int rc = wu_report_sweep(&s->sweep, s->runs, command, t, err);
        if (rc != WU_OK) return rc;
        wu_sweep_result *r = malloc(sizeof *r);
        char c[2000];
        if (!r) return wu_fail(err, WU_ENOMEM, "out of memory");
        wu_sweep_analyse(&s->sweep, s->runs, r);
        wu_sweep_conclusion(&s->sweep, r, c, sizeof c);
        free(r);
        return wu_study_json(s, command, c, err);
    }
    wu_page *p = calloc(1, sizeof *p);
    if (!p) return wu_fail(err, WU_ENOMEM, "out of memory");
    int rc = !strcmp(s->name, "optimizers") ? render_optimizers(s, p, err)
           : !strcmp(s->name, "layernorm") ? render_layernorm(s, p, err)
           : !strcmp(s->name, "adam-first-steps") ? render_adam(s, p, err)
           : render_batch(s, p, err);
    int missing = 0;
    for (int i = 0; i < s->n; i++) missing += s->runs[i].s.status == WU_RUN_MISSING ||
                                              s->runs[i].s.status == WU_RUN_INTERRUPTED;
    if (rc == WU_OK && missing) {
        size_t u = strlen(p->conclusion);
        SAY(" (%d of %d runs have not finished: rerun the study to complete them.)", missing, s->n);
    }
    if (rc == WU_OK) rc = wu_page_emit(s, p, command, t, err);
    wu_page_free(p);
    free(p);
    return rc;
}
