/* study_report.c - each study's charts and its conclusion, computed from the runs' numbers and
 * compared with what the literature expects; said plainly when the expectation did not hold;
 * and the registry of the studies (wu_studies, at the end). Everything a page says about the
 * plan (groups, labels, LRs, warmup length, constants, measurements) comes from the study.json
 * the lab wrote; nothing here knows a plan's numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "../lab/stable.h"
#include "stable_page.h"
#include "study_page.h"

#define SAY(...) u += (size_t)snprintf(p->conclusion + u, u < sizeof p->conclusion ? sizeof p->conclusion - u : 0, __VA_ARGS__)

static double score(const wu_study *s, int i) { return wu_run_score(&s->runs[i].s); }

/* "three" for 3, digits past ten. */
static const char *count_word(int n, char *buf, size_t nbuf)
{
    static const char *const w[] = {"no", "one", "two", "three", "four", "five", "six", "seven",
                                    "eight", "nine", "ten"};
    if (n >= 0 && n <= 10) return w[n];
    snprintf(buf, nbuf, "%d", n);
    return buf;
}

/* The number of runs of group g without warmup: its LR grid. */
static int lrs_of(const wu_study *s, int g)
{
    int n = 0;
    for (int i = 0; i < s->n; i++) n += s->arm[i].group == g && !s->arm[i].warm;
    return n;
}

/* The first run of group g, or -1. */
static int first_of(const wu_study *s, int g)
{
    for (int i = 0; i < s->n; i++)
        if (s->arm[i].group == g) return i;
    return -1;
}

/* A percentage constant of the plan ("25%" from warmup_frac 0.25), "?" when it has none. */
static const char *pct(const wu_study *s, const char *name, char *buf, size_t n)
{
    double v = wu_study_num(s, name);
    if (isfinite(v)) snprintf(buf, n, "%g%%", 100 * v);
    else snprintf(buf, n, "?");
    return buf;
}

/* An optimizer's name as written in prose. */
static const char *opt_name(const char *o)
{
    return !strcmp(o, "sgd") ? "SGD" : !strcmp(o, "adam") ? "Adam" : !strcmp(o, "adamw") ? "AdamW"
         : !strcmp(o, "radam") ? "RAdam" : o;
}

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
static void loss_vs_lr(const wu_study *s, wu_page *p)
{
    int ngroups = s->ngroups;
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
            snprintf(p->gname[ns], 64, "%s, %s", s->group[g], w ? "warmup" : "no warmup");
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
static size_t gains(const wu_study *s, wu_page *p, size_t u, double *gain)
{
    for (int g = 0; g < s->ngroups; g++) {
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
                "of %+.3f", s->group[g], best[0], s->arm[at[0]].x, best[1], s->arm[at[1]].x, gain[g]);
            int edge = 0;
            for (int w = 0; w < 2; w++) edge |= s->arm[at[w]].x == lo || s->arm[at[w]].x == hi;
            SAY("%s. ", edge ? " (a best LR at the edge of the grid: a better one may lie beyond)" : "");
        } else
            SAY("%s: no finished run %s warmup. ", s->group[g], at[0] < 0 ? "without" : "with");
    }
    return u;
}

/* The training-loss curves of the given runs (EMA 0.05). */
/* A loss chart's y axis reaches the initial loss (the largest first value of its left-axis
 * series), so that the differences between the curves are seen against the whole descent. */
static void include_initial_loss(wu_chart *c)
{
    double first = NAN;
    for (int i = 0; i < c->nseries; i++) {
        const wu_series *se = &c->series[i];
        for (int j = 0; !se->right && j < se->n; j++)
            if (isfinite(se->y[j])) {
                if (!(se->y[j] <= first)) first = se->y[j];
                break;
            }
    }
    c->y_include_on = isfinite(first);
    c->y_include = first;
    c->y_include_what = "the initial loss";
}

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
    p->charts[p->ncharts] = (wu_chart){.title = title, .xlabel = "step", .ylabel = "training loss (EMA, nats)",
                                       .series = ser, .nseries = ns};
    include_initial_loss(&p->charts[p->ncharts]);
    p->files[p->ncharts] = file;
    p->tty_rows[p->ncharts++] = 12;
    return WU_OK;
}

/* The training-loss curves of each (group, warm) at its best LR. */
static int best_curves(const wu_study *s, wu_page *p, const char *title, wu_error *err)
{
    int best[8], n = 0;
    for (int g = 0; g < s->ngroups && n < 8; g++)
        for (int w = 0; w < 2; w++) best[n++] = best_of(s, g, w);
    return curves(s, p, best, n, title, "curves.svg", err);
}

/* ---- optimizers ----------------------------------------------------------------------------- */

static int render_optimizers(const wu_study *s, wu_page *p, wu_error *err)
{
    p->title = "optimizers with and without warmup";
    p->source = "the guide; Liu et al. 2019; Ma & Yarats 2021";
    p->claim = "Adaptive optimizers (Adam, AdamW) depend on warmup more than SGD with momentum: "
               "without it their first updates are large, so the gain from warmup at each "
               "optimizer's own best LR is larger for Adam and AdamW.";
    if (s->ngroups != 3) return wu_fail(err, WU_EINVAL, "%s/study.json: the optimizers study has "
                                        "three groups, this one %d", s->dir, s->ngroups);
    char nb[16], wp[16], dp[16];
    int i0 = first_of(s, 0), i2 = first_of(s, 2);
    snprintf(p->intro, sizeof p->intro, "The %d-layer GPT on the built-in language, %lld steps, "
             "trained with %s (%g), %s and %s (weight decay %g) at %s LRs each, with no warmup "
             "and with a %s linear warmup, each followed by a cosine decay to %s.",
             s->runs[0].c.layers, (long long)s->runs[0].c.steps, s->group[0],
             i0 >= 0 ? s->runs[i0].c.momentum : NAN, s->group[1], s->group[2],
             i2 >= 0 ? s->runs[i2].c.weight_decay : NAN, count_word(lrs_of(s, 0), nb, sizeof nb),
             pct(s, "warmup_frac", wp, sizeof wp), pct(s, "decay_to", dp, sizeof dp));
    loss_vs_lr(s, p);
    int rc = best_curves(s, p, "Training loss of each optimizer at its best LR", err);
    if (rc != WU_OK) return rc;
    double gain[3];
    size_t u = gains(s, p, 0, gain);
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

/* Within this many nats two final losses are alike: one seed per cell (docs/STUDIES.md). */
#define LN_NOISE 0.05

/* The last/first-layer gradient-norm ratio of a measurement (NaN without two layers). */
static double last_first(const wu_study_vec *v)
{
    return v && v->n >= 2 && v->v[0] > 0 ? v->v[v->n - 1] / v->v[0] : NAN;
}

/* The verdict on the gradient norms at init, from the last/first ratios of Pre-LN (pre) and
 * Post-LN (post): Xiong et al.'s pattern is Post-LN's growing towards the output (post > 1.1)
 * while Pre-LN's stay level (within 0.8..1.25); "partly" when only Post-LN's lean further
 * towards the output than Pre-LN's (post > 1.2 pre). */
static size_t ln_grad_verdict(wu_page *p, size_t u, double pre, double post)
{
    int grows = post > 1.1, level = pre >= 0.8 && pre <= 1.25, leans = post > 1.2 * pre;
    if (grows && level)
        SAY(": Post-LN's grow towards the output while Pre-LN's stay level, as Xiong et al. "
            "found. ");
    else if (leans)
        SAY(": partly Xiong et al.'s pattern: Post-LN's lean %.2fx further towards the output "
            "than Pre-LN's, but %s. ", post / pre,
            !grows && !level ? "Post-LN's do not grow (under 1.1x) and Pre-LN's are not level"
            : !grows ? "Post-LN's do not grow (under 1.1x)"
                     : "Pre-LN's are not level (outside 0.8x-1.25x)");
    else
        SAY(": this model does not show Xiong et al.'s pattern. ");
    return u;
}

/* The ratios at the other depths measured ("grad_norm_init_L<depth>"), as a chart of the ratio
 * against depth and a sentence; returns the new length of the conclusion. */
static size_t ln_depths(const wu_study *s, wu_page *p, size_t u)
{
    double depth[2][16], ratio[2][16];
    int n[2] = {0, 0};
    for (int i = 0; i < s->nvec; i++) {
        int g = s->vec[i].group, d;
        if (g < 0 || g > 1 || n[g] == 16 || sscanf(s->vec[i].name, "grad_norm_init_L%d", &d) != 1 ||
            !isfinite(last_first(&s->vec[i])))
            continue;
        depth[g][n[g]] = d;
        ratio[g][n[g]++] = last_first(&s->vec[i]);
    }
    if (!n[0] || n[0] != n[1]) return u;
    wu_series *ser = p->series[p->ncharts];
    for (int g = 0; g < 2; g++) { /* gx/gy 6 and 7: loss_vs_lr uses the first four */
        for (int k = 0; k < n[g]; k++) p->gx[6 + g][k] = depth[g][k], p->gy[6 + g][k] = ratio[g][k];
        ser[g] = (wu_series){.name = s->group[g], .x = p->gx[6 + g], .y = p->gy[6 + g], .n = n[g],
                             .mark_x = NAN, .style = WU_STYLE_POINTS};
    }
    p->charts[p->ncharts] = (wu_chart){.title = "Last/first-layer gradient norm at initialisation, "
                                       "against depth", .xlabel = "layers",
                                       .ylabel = "last / first layer", .series = ser, .nseries = 2,
                                       .y_include_on = 1, .y_include = 1, .y_include_what = "level"};
    p->files[p->ncharts] = "grad-ratio-vs-depth.svg";
    p->tty_rows[p->ncharts++] = 8;
    SAY("By depth (the same model with fewer or more blocks), last/first in Pre-LN and Post-LN: ");
    for (int k = 0; k < n[0]; k++)
        SAY("%g layers %.2fx and %.2fx%s", depth[0][k], ratio[0][k], ratio[1][k],
            k + 1 < n[0] ? "; " : ". ");
    return u;
}

static int render_layernorm(const wu_study *s, wu_page *p, wu_error *err)
{
    p->title = "Pre-LN against Post-LN";
    p->source = "Xiong et al. 2020";
    p->claim = "At initialisation, Post-LN's gradient norms grow towards the last layers while "
               "Pre-LN's stay level; so Post-LN needs warmup to train at a useful LR, while Pre-LN "
               "trains without it.";
    if (s->ngroups != 2) return wu_fail(err, WU_EINVAL, "%s/study.json: the layernorm study has "
                                        "two groups, this one %d", s->dir, s->ngroups);
    char wp[16], nb[48] = "", init[160] = "";
    double batches = wu_study_num(s, "init_batches");
    const wu_train_config *c0 = &s->runs[0].c;
    if (isfinite(batches)) snprintf(nb, sizeof nb, " averaged over %g batches", batches);
    if (strcmp(c0->init, "gpt2") || c0->embed_scale != 1)
        snprintf(init, sizeof init, ", %s initialisation with the input embeddings scaled by %g",
                 !strcmp(c0->init, "xavier") ? "Glorot-uniform" : c0->init, c0->embed_scale);
    snprintf(p->intro, sizeof p->intro, "The %d-layer GPT on the built-in language%s, %lld steps, "
             "%s (beta2 %g), with the LayerNorm before (%s) or after (%s) each residual branch, "
             "with no warmup and with a %s linear warmup, at several LRs. The gradient norms at "
             "initialisation are%s.", c0->layers, init, (long long)c0->steps,
             opt_name(c0->optimizer), c0->beta2, s->group[0], s->group[1],
             pct(s, "warmup_frac", wp, sizeof wp), nb[0] ? nb : " per layer");
    /* per-layer gradient norms at init, as the lab measured them (study.json) */
    wu_series *gs = p->series[p->ncharts];
    const wu_study_vec *v[2];
    for (int l = 0; l < 64; l++) p->lx[l] = l + 1;
    for (int g = 0; g < 2; g++) {
        v[g] = wu_study_measured(s, "grad_norm_init", g);
        gs[g] = (wu_series){.name = s->group[g], .x = p->lx, .y = v[g] ? v[g]->v : NULL,
                            .n = v[g] ? v[g]->n : 0, .mark_x = NAN, .style = WU_STYLE_POINTS};
    }
    p->charts[p->ncharts] = (wu_chart){.title = "Gradient norm of each layer at initialisation",
                                       .xlabel = "layer", .ylabel = "gradient norm",
                                       .series = gs, .nseries = 2, .log_y = 1};
    p->files[p->ncharts] = "grad-norm-init.svg";
    p->tty_rows[p->ncharts++] = 10;
    size_t u = 0;
    double ratio[2] = {last_first(v[0]), last_first(v[1])};
    if (isfinite(ratio[0]) && isfinite(ratio[1])) {
        SAY("At initialisation the last layer's gradient norm is %.2fx the first layer's in "
            "Pre-LN and %.2fx in Post-LN", ratio[0], ratio[1]);
        u = ln_grad_verdict(p, u, ratio[0], ratio[1]);
    }
    u = ln_depths(s, p, u);
    loss_vs_lr(s, p);
    int rc = best_curves(s, p, "Training loss at each variant's best LR", err);
    if (rc != WU_OK) return rc;
    double gain[2];
    u = gains(s, p, u, gain);
    /* where warmup matters: the LR of Post-LN's largest gain, and Pre-LN at that LR */
    int at[2][2] = {{-1, -1}, {-1, -1}}; /* [group][warm] at the LR of the largest gain */
    double most = -INFINITY;
    for (int i = 0; i < s->n; i++) {
        if (s->arm[i].group != 1 || s->arm[i].warm) continue;
        for (int j = 0; j < s->n; j++)
            if (s->arm[j].group == 1 && s->arm[j].warm && s->arm[j].x == s->arm[i].x &&
                isfinite(eff(s, i)) && isfinite(eff(s, j)) && eff(s, i) - eff(s, j) > most)
                most = eff(s, i) - eff(s, j), at[1][0] = i, at[1][1] = j;
    }
    for (int i = 0; at[1][0] >= 0 && i < s->n; i++)
        if (s->arm[i].group == 0 && s->arm[i].x == s->arm[at[1][0]].x) at[0][s->arm[i].warm] = i;
    if (at[1][0] >= 0 && at[0][0] >= 0 && at[0][1] >= 0) {
        double pre = eff(s, at[0][0]) - eff(s, at[0][1]);
        SAY("Post-LN's largest gain from warmup came at LR %g: %.3f without, %.3f with (%+.3f); "
            "Pre-LN at that LR: %.3f without, %.3f with (%+.3f). ", s->arm[at[1][0]].x,
            eff(s, at[1][0]), eff(s, at[1][1]), most, eff(s, at[0][0]), eff(s, at[0][1]), pre);
    }
    if (isfinite(gain[0]) && isfinite(gain[1])) {
        if (gain[1] > LN_NOISE && gain[1] > gain[0] + LN_NOISE)
            SAY("As expected, warmup mattered more for Post-LN (%+.3f at the best LRs) than for "
                "Pre-LN (%+.3f).", gain[1], gain[0]);
        else
            SAY("The expectation did not hold here: at the best LRs warmup gained %+.3f for "
                "Post-LN and %+.3f for Pre-LN (differences under %g nats are within one seed's "
                "noise).", gain[1], gain[0], LN_NOISE);
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
    /* the arms by name: no warmup, the untuned linear and exponential warmups, RAdam */
    int at[4] = {wu_study_arm_index(s, "adam"), wu_study_arm_index(s, "untuned-linear"),
                 wu_study_arm_index(s, "untuned-exp"), wu_study_arm_index(s, "radam")};
    for (int k = 0; k < 4; k++)
        if (at[k] < 0) return wu_fail(err, WU_EINVAL, "%s/study.json: the adam-first-steps study has "
                                      "the runs adam, untuned-linear, untuned-exp and radam", s->dir);
    double beta2 = wu_study_num(s, "beta2");
    if (!(beta2 >= 0 && beta2 < 1))
        return wu_fail(err, WU_EINVAL, "%s/study.json: no constant beta2 in [0, 1)", s->dir);
    char dp[16];
    int first = (int)(s->runs[0].c.steps * 3 / 5);
    snprintf(p->intro, sizeof p->intro, "The %d-layer GPT on the built-in language, %lld steps at "
             "peak LR %g, Adam (beta2 = %g, no weight decay) without warmup, with the untuned "
             "linear warmup (%d steps) and the untuned exponential warmup (time constant %d "
             "steps), and RAdam without warmup; every schedule decays by cosine to %s. The "
             "charts of the update size and of v show the first %d steps.",
             s->runs[0].c.layers, (long long)s->runs[0].c.steps, s->runs[0].c.lr, beta2,
             (int)(2 / (1 - beta2)), (int)(1 / (1 - beta2)), pct(s, "decay_to", dp, sizeof dp), first);
    static const wu_metric col[4] = {WU_METRIC_UPDATE_RMS, WU_METRIC_V_MEAN, WU_METRIC_V_MAX, WU_METRIC_LR};
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
        p->charts[p->ncharts] = (wu_chart){.title = title[c], .xlabel = "step", .ylabel = wu_metric_label(col[c]),
                                           .series = ser, .nseries = ns, .log_y = c < 3,
                                           .y_include_on = c == 3}; /* the LR from 0 */
        p->files[p->ncharts] = file[c];
        p->tty_rows[p->ncharts++] = 10;
    }
    if ((rc = curves(s, p, at, 4, "Training loss", "curves.svg", err)) != WU_OK) return rc;
    size_t u = 0;
    double lr = s->runs[0].c.lr;
    for (int i = 0; i < s->n; i++) {
        double rms = early_mean(p, &s->runs[i], WU_METRIC_UPDATE_RMS, 20, err);
        SAY("%s: final loss %.3f%s, mean update RMS over the first 20 steps %.2g (%.2f x the "
            "peak LR). ", s->arm[i].label, eff(s, i),
            s->runs[i].s.status == WU_RUN_DIVERGED ? " (diverged)" : "", rms, rms / lr);
    }
    double a = eff(s, at[0]), w1 = eff(s, at[1]), w2 = eff(s, at[2]), ra = eff(s, at[3]);
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

/* How the runs that ended ran, from their summaries (not the plan: a rerun may have mixed
 * them), appended to out: " Batch 128 ran as 2 workers x 64 (MPI data parallel, 5 runs); batch
 * 32 on one process (1 run)." One clause per batch and number of ranks, in the order of the
 * runs; nothing when no run has ended. */
static void how_they_ran(const wu_study *s, char *out, size_t n)
{
    size_t u = strlen(out);
    int said = 0;
    for (int i = 0; i < s->n; i++) {
        const wu_run_summary *r = &s->runs[i].s;
        int b = s->runs[i].c.batch, k = r->ranks > 1 ? r->ranks : 1, dup = 0, count = 0;
        if (r->status == WU_RUN_MISSING) continue;
        for (int j = 0; j < s->n; j++) {
            const wu_run_summary *q = &s->runs[j].s;
            if (q->status == WU_RUN_MISSING || s->runs[j].c.batch != b || (q->ranks > 1 ? q->ranks : 1) != k)
                continue;
            dup |= j < i;
            count++;
        }
        if (dup || u >= n) continue;
        char how[96], runs[24];
        if (k > 1)
            snprintf(how, sizeof how, "as %d workers x %d (MPI data parallel, ", k,
                     r->rank_batch > 0 ? r->rank_batch : b / k);
        else
            snprintf(how, sizeof how, "on one process (");
        snprintf(runs, sizeof runs, "%d run%s", count, count == 1 ? "" : "s");
        u += (size_t)snprintf(out + u, n - u, "%s%s %d ran %s%s)", said ? "; " : " ",
                              said ? "batch" : "Batch", b, how, runs);
        said = 1;
    }
    if (said && u < n) snprintf(out + u, n - u, ".");
}

static int render_batch(const wu_study *s, wu_page *p, wu_error *err)
{
    p->title = "large batches";
    p->source = "Goyal et al. 2017";
    p->claim = "With the LR scaled linearly with the batch and a gradual warmup, a k-times larger "
               "batch trains as well per epoch as the small batch; without warmup the scaled LR "
               "is unstable early; a constant low-LR warmup leaves a spike when it ends; without "
               "scaling the large batch falls behind.";
    /* the arms by name, in the order the page discusses them */
    static const char *const name[6] = {"small", "large-unscaled", "large-sqrt", "large-linear",
                                        "large-constant-warmup", "large-gradual-warmup"};
    int at[6];
    for (int i = 0; i < 6; i++)
        if ((at[i] = wu_study_arm_index(s, name[i])) < 0)
            return wu_fail(err, WU_EINVAL, "%s/study.json: the batch-scaling study has no run %s",
                           s->dir, name[i]);
    double k = wu_study_num(s, "k"), ntrain = wu_study_num(s, "train_images");
    if (!(ntrain >= 1)) return wu_fail(err, WU_EINVAL, "%s/study.json: no constant train_images", s->dir);
    char wp[16], dp[16];
    snprintf(p->intro, sizeof p->intro, "An MLP (%d hidden layers of %d) on Fashion-MNIST, SGD with "
             "momentum %g, the same number of epochs for every arm: a batch-%d baseline, and "
             "%g-times the batch with the LR unscaled, scaled by sqrt(k), and scaled by k without "
             "warmup, with a constant warmup (the base LR for %s of the steps) and with a "
             "gradual warmup from the base LR; all decay by cosine to %s.",
             s->runs[at[0]].c.depth, s->runs[at[0]].c.width, s->runs[at[0]].c.momentum,
             s->runs[at[0]].c.batch, k, pct(s, "warmup_frac", wp, sizeof wp),
             pct(s, "decay_to", dp, sizeof dp));
    how_they_ran(s, p->intro, sizeof p->intro);
    wu_series *ser = p->series[p->ncharts];
    int ns = 0, rc;
    static char lrname[3][64];
    for (int i = 0; i < s->n; i++) {
        double xs = 1.0 / (double)((int64_t)ntrain / s->runs[i].c.batch);
        if ((rc = wu_page_curve(p, &s->runs[i], WU_METRIC_LOSS, 0.02, xs, 0, &ser[ns++], s->arm[i].label, err)))
            return rc;
    }
    for (int j = 3; j < 6; j++) {
        const wu_lab_run *r = &s->runs[at[j]];
        snprintf(lrname[j - 3], 64, "LR: %s", j == 3 ? "no warmup" : j == 4 ? "constant warmup" : "gradual warmup");
        if ((rc = wu_page_curve(p, r, WU_METRIC_LR, 0, 1.0 / (double)((int64_t)ntrain / r->c.batch), 0,
                                &ser[ns], lrname[j - 3], err)))
            return rc;
        ser[ns++].right = 1;
    }
    p->charts[p->ncharts] = (wu_chart){.title = "Training loss (EMA) against epochs; LR on the right",
                                       .xlabel = "epoch", .ylabel = "training loss (EMA, nats)", .series = ser,
                                       .nseries = ns, .y2label = "learning rate"};
    include_initial_loss(&p->charts[p->ncharts]);
    p->files[p->ncharts] = "loss-vs-epoch.svg";
    p->tty_rows[p->ncharts++] = 14;
    size_t u = 0;
    double v[6];
    for (int i = 0; i < s->n; i++)
        SAY("%s: %s%.3f%s. ", s->arm[i].label, "final validation loss ", eff(s, i),
            s->runs[i].s.status == WU_RUN_DIVERGED ? " (diverged; initial loss)" : "");
    for (int j = 0; j < 6; j++) v[j] = eff(s, at[j]);
    if (isfinite(v[0]) && isfinite(v[5])) {
        double tol = 0.05 * v[0] > 0.02 ? 0.05 * v[0] : 0.02;
        if (v[5] <= v[0] + tol)
            SAY("Held: with linear scaling and gradual warmup the %g-times batch came within %.3f "
                "of the baseline. ", k, v[5] - v[0]);
        else
            SAY("Did not hold: with linear scaling and gradual warmup the large batch ended "
                "%.3f above the baseline. ", v[5] - v[0]);
        if (s->runs[at[3]].s.status == WU_RUN_DIVERGED || v[3] > v[5] + 0.01)
            SAY("Without warmup the scaled LR did worse (%.3f against %.3f)%s. ", v[3], v[5],
                s->runs[at[3]].s.status == WU_RUN_DIVERGED ? ", it diverged" : "");
        else
            SAY("Without warmup the scaled LR did as well here (%.3f against %.3f): at this size "
                "the instability Goyal et al. saw did not appear. ", v[3], v[5]);
        if (v[1] > v[5] + 0.01)
            SAY("Without LR scaling the large batch fell behind (%.3f), as expected; ", v[1]);
        else
            SAY("Without LR scaling the large batch did not fall behind (%.3f); ", v[1]);
        SAY("square-root scaling ended at %.3f. ", v[2]);
        const wu_lab_run *cr = &s->runs[at[4]];
        const wu_run_summary *cw = &cr->s;
        double frac = wu_study_num(s, "warmup_frac");
        long long end = isfinite(frac) ? (long long)((double)cr->c.steps * frac) : -1;
        if (cw->status == WU_RUN_DIVERGED && end >= 0)
            SAY("The constant warmup diverged at step %lld, %s its end at step %lld, when the LR "
                "jumped %g-fold.", (long long)cw->diverged_at,
                cw->diverged_at >= end ? "just after" : "before", end, k);
        else if (cw->status == WU_RUN_DIVERGED)
            SAY("The constant warmup diverged at step %lld.", (long long)cw->diverged_at);
        else
            SAY("The constant warmup ended at %.3f (%d loss spikes).", v[4], cw->spikes);
    }
    return WU_OK;
}

/* ---- lr-range: the sweep's page, from the plan ------------------------------------------- */

/* The grid as a sweep: the groups are its warmup lengths, the arms of a group its LRs x seeds
 * (run i = (warmup * nlr + lr) * seeds + seed, the order the plan wrote; "seeds" a constant of
 * the plan, 1 in a plan from before it), the decay the plan's constant. */
static int render_lr_range(const wu_study *s, const wu_term *t, wu_error *err)
{
    wu_sweep *w = calloc(1, sizeof *w);
    wu_sweep_result *r = calloc(1, sizeof *r);
    if (!w || !r) {
        free(w), free(r);
        return wu_fail(err, WU_ENOMEM, "out of memory");
    }
    int rc = WU_OK;
    w->base = s->runs[0].c;
    snprintf(w->base.schedule, sizeof w->base.schedule, "%s", wu_study_text(s, "decay"));
    snprintf(w->dir, sizeof w->dir, "%s", s->dir);
    double seeds = wu_study_num(s, "seeds");
    w->seeds = isfinite(seeds) ? (int)seeds : 1;
    w->nwarm = s->ngroups;
    for (int i = 0; i < s->n; i++) w->nlr += s->arm[i].group == 0;
    if (w->seeds >= 1 && w->seeds <= 100 && w->nlr % w->seeds == 0) w->nlr /= w->seeds;
    else w->nlr = 0;
    if (w->nwarm < 1 || w->nwarm > WU_SWEEP_MAX || w->nlr < 1 || w->nlr > WU_SWEEP_MAX ||
        w->nlr * w->nwarm * w->seeds != s->n)
        rc = wu_fail(err, WU_EINVAL, "%s/study.json: the lr-range runs do not form an LR x warmup x "
                     "seed grid", s->dir);
    for (int g = 0; rc == WU_OK && g < w->nwarm; g++)
        snprintf(w->warmups[g], sizeof w->warmups[g], "%s", s->group[g]);
    for (int i = 0; rc == WU_OK && i < s->n; i++) {
        int cell = i / w->seeds;
        if (s->arm[i].group != cell / w->nlr ||
            (cell >= w->nlr && s->arm[i].x != w->lrs[cell % w->nlr]))
            rc = wu_fail(err, WU_EINVAL, "%s/study.json: run %s is out of the grid's order", s->dir,
                         s->arm[i].name);
        if (cell < w->nlr) w->lrs[cell] = s->arm[i].x;
    }
    char c[3000];
    if (rc == WU_OK) rc = wu_report_sweep(w, s->runs, s->command, t, err);
    if (rc == WU_OK) {
        wu_sweep_analyse(w, s->runs, r);
        wu_sweep_conclusion(w, r, c, sizeof c);
        rc = wu_page_conclusion(s->dir, c, err);
    }
    free(w), free(r);
    return rc;
}

/* ---- the registry --------------------------------------------------------------------------- */

/* A study drawn on the common page: fill it, say what has not finished, emit it. */
static int page(const wu_study *s, const wu_term *t, int (*fill)(const wu_study *, wu_page *, wu_error *),
                wu_error *err)
{
    wu_page *p = calloc(1, sizeof *p);
    if (!p) return wu_fail(err, WU_ENOMEM, "out of memory");
    int rc = fill(s, p, err);
    int missing = 0;
    for (int i = 0; i < s->n; i++) missing += s->runs[i].s.status == WU_RUN_MISSING ||
                                              s->runs[i].s.status == WU_RUN_INTERRUPTED;
    if (rc == WU_OK && missing) {
        size_t u = strlen(p->conclusion);
        SAY(" (%d of %d runs have not finished: rerun the study to complete them.)", missing, s->n);
    }
    if (rc == WU_OK) rc = wu_page_emit(s, p, t, err);
    wu_page_free(p);
    free(p);
    return rc;
}

#define PAGE(fn)                                                                          \
    static int fn##_page(const wu_study *s, const wu_term *t, wu_error *err)               \
    {                                                                                      \
        return page(s, t, fn, err);                                                        \
    }
PAGE(render_batch)
PAGE(render_optimizers)
PAGE(render_layernorm)
PAGE(render_adam)
PAGE(wu_fill_auto_warmup)

const wu_study_kind wu_studies[] = {
    {"lr-range", "final loss over LR x warmup length, and LR sensitivity (Wortsman et al. 2023)",
     wu_plan_lr_range, NULL, render_lr_range, 0},
    {"batch-scaling", "k-times larger batches: LR scaling rules, constant and gradual warmup "
     "(Goyal et al. 2017)", wu_plan_batch_scaling, NULL, render_batch_page, 1},
    {"optimizers", "SGD+momentum, Adam and AdamW, with and without warmup, each at its best LR",
     wu_plan_optimizers, NULL, render_optimizers_page, 0},
    {"layernorm", "Pre-LN against Post-LN over LRs, with and without warmup; gradient norms at "
     "init (Xiong et al. 2020)", wu_plan_layernorm, wu_measure_init_grad_norms, render_layernorm_page,
     0},
    {"adam-first-steps", "vanilla Adam, untuned linear/exponential warmup and RAdam over the first "
     "steps (Ma & Yarats 2021)", wu_plan_adam_first_steps, NULL, render_adam_page, 0},
    {"stable-lr", "the largest peak LR that trains, by bisection, against warmup length, AdamW "
     "and GI-Adam, with sharpness (Kalra & Barkeshli 2024)", wu_plan_stable_lr, NULL,
     wu_render_stable_lr, 0},
    {"auto-warmup", "warmup(auto), chosen by a probe of the model, against the grid 0, 2%, 10%, "
     "25% on three tasks (issue 18)", wu_plan_auto_warmup, NULL, wu_fill_auto_warmup_page, 0},
    {"demo", "the same model with no, linear and exponential warmup (warmup demo)", NULL, NULL,
     wu_report_demo, 0},
    {NULL, NULL, NULL, NULL, NULL, 0},
};

const wu_study_kind *wu_study_find(const char *name)
{
    for (const wu_study_kind *k = wu_studies; k->name; k++)
        if (!strcmp(k->name, name)) return k;
    return NULL;
}

wu_study_next wu_study_next_round(const char *name)
{
    return !strcmp(name, "stable-lr") ? wu_next_stable_lr : NULL;
}

void wu_study_names(char *out, size_t n)
{
    int total = 0, i = 0;
    for (const wu_study_kind *k = wu_studies; k->name; k++) total += k->plan != NULL;
    size_t u = 0;
    out[0] = '\0';
    for (const wu_study_kind *k = wu_studies; k->name && u < n; k++) {
        if (!k->plan) continue;
        i++;
        u += (size_t)snprintf(out + u, n - u, "%s%s", i == 1 ? "" : i == total ? " or " : ", ", k->name);
    }
}

int wu_report_study_dir(const char *dir, const wu_term *t, wu_error *err)
{
    wu_study *s = calloc(1, sizeof *s);
    if (!s) return wu_fail(err, WU_ENOMEM, "out of memory");
    int rc = wu_study_read(dir, s, err);
    const wu_study_kind *k = rc == WU_OK ? wu_study_find(s->name) : NULL;
    if (rc == WU_OK && !k)
        rc = wu_fail(err, WU_EINVAL, "%s/study.json is a study this warmup does not know ('%s')",
                     dir, s->name);
    for (int i = 0; rc == WU_OK && i < s->n; i++)
        if (wu_run_summary_read(s->runs[i].c.out, &s->runs[i].s, err) != WU_OK)
            s->runs[i].s.status = WU_RUN_MISSING;
    if (rc == WU_OK) rc = k->render(s, t, err);
    free(s);
    return rc;
}
