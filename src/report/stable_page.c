/* stable_page.c - the stable-lr study's page (src/lab/stable.h): the largest LR that trains
 * against the warmup length, one line per optimizer; the sharpness and the preconditioned
 * sharpness of the probe runs over their steps against their stability thresholds; and whether
 * Kalra & Barkeshli's expectations held, with the numbers. Everything comes from study.json and
 * the runs' files; the brackets are recomputed from the summaries by the lab's one rule
 * (wu_stable_group), so the page and the bisection cannot disagree. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lab/stable.h"
#include "../util/fail.h"
#include "stable_page.h"

#define SAY(...) u += (size_t)snprintf(p->conclusion + u, u < sizeof p->conclusion ? sizeof p->conclusion - u : 0, __VA_ARGS__)

/* A bracket as prose: "trains at 0.0316, fails at 0.0398", "trains at 1, the highest LR tried
 * (a lower bound)", "fails at 0.001, the lowest LR tried (an upper bound)". */
static const char *bracket_text(const wu_bracket *b, char *buf, size_t n)
{
    if (b->n == 0) snprintf(buf, n, "not measured yet");
    else if (!(b->lo > 0)) snprintf(buf, n, "fails at %.3g, the lowest LR tried (an upper bound)", b->hi);
    else if (!isfinite(b->hi)) snprintf(buf, n, "trains at %.3g, the highest LR tried (a lower bound)", b->lo);
    else snprintf(buf, n, "trains at %.3g, fails at %.3g", b->lo, b->hi);
    return buf;
}

/* Compare the largest stable LR of b against a's: 1 b's is higher (b's lowest possible value is
 * at or above a's highest), -1 lower, 0 the brackets overlap (not resolved), 2 unmeasured. */
static int compare(const wu_bracket *a, const wu_bracket *b)
{
    if (a->n == 0 || b->n == 0) return 2;
    if (b->lo >= a->hi) return 1;
    if (a->lo >= b->hi) return -1;
    return 0;
}

/* A run of group g at LR lr (a bracket's end), or -1. */
static int run_at(const wu_study *s, int g, double lr)
{
    for (int i = 0; i < s->n; i++)
        if (s->arm[i].group == g && s->runs[i].c.lr == lr) return i;
    return -1;
}

/* A horizontal line at y over [x0, x1], as a series of two points in xs/ys. */
static wu_series hline(const char *name, double y, double x0, double x1, double *xs, double *ys)
{
    xs[0] = x0, xs[1] = x1, ys[0] = ys[1] = y;
    return (wu_series){.name = name, .x = xs, .y = ys, .n = 2, .mark_x = NAN};
}

/* The largest value of a curve and its x (NaN when it has none). */
static double peak(const wu_series *se, double *at)
{
    double m = NAN;
    *at = NAN;
    for (int i = 0; i < se->n; i++)
        if (isfinite(se->y[i]) && !(se->y[i] <= m)) m = se->y[i], *at = se->x[i];
    return m;
}

/* One chart of a column of the probe runs, with a threshold line; its series' peaks in pk/at. */
static int probe_chart(const wu_study *s, wu_page *p, const int *probe, int np, wu_metric col,
                       const char *title, const char *file, double thr, const char *thr_name,
                       double *pk, double *at, wu_error *err)
{
    wu_series *ser = p->series[p->ncharts];
    int ns = 0;
    double xmax = 1;
    for (int k = 0; k < np; k++) {
        int rc = wu_page_curve(p, &s->runs[probe[k]], col, 0, 1, 0, &ser[ns], s->arm[probe[k]].label, err);
        if (rc != WU_OK) return rc;
        ser[ns].style = WU_STYLE_POINTS;
        pk[k] = peak(&ser[ns], &at[k]);
        for (int i = 0; i < ser[ns].n; i++) xmax = fmax(xmax, ser[ns].x[i]);
        ns++;
    }
    int slot = 4 + p->ncharts % 4; /* the chart's own two points in gx/gy */
    ser[ns++] = hline(thr_name, thr, 0, xmax, p->gx[slot], p->gy[slot]);
    p->charts[p->ncharts] = (wu_chart){.title = title, .xlabel = "step", .ylabel = wu_metric_label(col),
                                       .series = ser, .nseries = ns, .log_y = 1};
    p->files[p->ncharts] = file;
    p->tty_rows[p->ncharts++] = 10;
    return WU_OK;
}

static int fill(const wu_study *s, wu_page *p, wu_error *err)
{
    p->title = "the largest stable LR";
    p->source = "Kalra & Barkeshli 2024, arXiv 2406.09405";
    p->claim = "Warmup's main benefit is that the network tolerates a larger target LR: it moves "
               "to flatter regions while the LR is low, keeping the (preconditioned) sharpness "
               "under the stability threshold. So the largest LR that trains without divergence "
               "rises with the warmup length; and initialising Adam's second moment from the "
               "first gradient squared (GI-Adam) raises it without warmup.";
    int nw = (int)wu_study_num(s, "nwarm");
    double frac = wu_study_num(s, "train_frac"), lo0 = wu_study_num(s, "lr_lo");
    double hi0 = wu_study_num(s, "lr_hi"), rounds = wu_study_num(s, "rounds");
    if (!(nw >= 1 && nw <= 8) || s->ngroups != 2 * nw || !(frac > 0) || !(lo0 > 0) || !(hi0 > lo0))
        return wu_fail(err, WU_EINVAL, "%s/study.json: not a stable-lr plan (constants nwarm, "
                       "train_frac, lr_lo, lr_hi and 2 x nwarm groups)", s->dir);
    double pct[8];
    for (int w = 0; w < nw; w++) {
        char k[24];
        snprintf(k, sizeof k, "warmup%d", w);
        pct[w] = 100 * wu_study_num(s, k);
    }
    const wu_train_config *c0 = &s->runs[0].c;
    char ws[96] = "";
    for (int w = 0; w < nw; w++)
        snprintf(ws + strlen(ws), sizeof ws - strlen(ws), "%s%g%%", w ? ", " : "", pct[w]);
    snprintf(p->intro, sizeof p->intro,
             "The %d-layer GPT (width %d) on the built-in language, batch %d, %lld steps, AdamW "
             "(weight decay %g) and GI-Adam (the same with its second moment started from the "
             "first gradient squared), with a linear warmup of %s of the steps, then %s. For each "
             "optimizer and warmup length, the largest peak LR that trains is found by bisection "
             "on a log scale: first a run at %g and at %g, then %g rounds of one run per bracket "
             "at the log-midpoint sqrt(lo x hi). A run diverged when the engine said so (a NaN or "
             "infinite loss or gradient, or a training loss above %g x the first step's: the "
             "engine's rule, its factor raised from 2, where it would stop catapults that "
             "recover, spikes to 2-3x); it "
             "trains when it did not diverge and its final loss (validation, after the last "
             "step) is at most %g x the first step's loss, so a run stalled on a plateau below "
             "that counts as training: this asks about stability, not quality. The sharpness "
             "runs are at LR %g, probed every %d steps.",
             c0->layers, c0->dim, c0->batch, (long long)c0->steps, c0->weight_decay, ws,
             wu_study_text(s, "decay"), lo0, hi0, rounds, c0->diverge_factor, frac,
             wu_study_num(s, "probe_lr"), s->runs[s->n - 1].c.sharpness_every);
    wu_bracket b[16];
    for (int g = 0; g < s->ngroups; g++) wu_stable_group(s, g, &b[g]);

    /* the largest stable LR against the warmup: per optimizer, the bracket's two ends */
    static const char *const opt[2] = {"AdamW", "GI-Adam"};
    wu_series *ser = p->series[p->ncharts];
    for (int o = 0; o < 2; o++)
        for (int end = 0; end < 2; end++) {
            int k = 2 * o + end, n = 0;
            for (int w = 0; w < nw; w++) {
                const wu_bracket *e = &b[o * nw + w];
                double y = end ? e->hi : e->lo;
                if (e->n == 0 || !(y > 0) || !isfinite(y)) continue;
                p->gx[k][n] = pct[w], p->gy[k][n] = y;
                p->gflag[k][n++] = !end && !isfinite(e->hi); /* only a lower bound */
            }
            snprintf(p->gname[k], 64, "%s: %s", opt[o], end ? "smallest LR that failed"
                                                            : "largest LR that trained");
            ser[k] = (wu_series){.name = p->gname[k], .x = p->gx[k], .y = p->gy[k], .n = n,
                                 .mark_x = NAN, .style = WU_STYLE_POINTS, .flag = p->gflag[k]};
        }
    p->charts[p->ncharts] = (wu_chart){.title = "Largest peak LR that trains, against the warmup length",
                                       .xlabel = "warmup (% of the steps)", .ylabel = "peak LR",
                                       .series = ser, .nseries = 4, .log_y = 1,
                                       .flag_label = "a lower bound: the highest LR tried trained"};
    p->files[p->ncharts] = "stable-lr.svg";
    p->tty_rows[p->ncharts++] = 12;

    /* the sharpness runs */
    int probe[8], np = 0;
    for (int i = 0; i < s->n && np < 8; i++)
        if (s->runs[i].c.sharpness_every > 0) probe[np++] = i;
    double beta1 = np ? s->runs[probe[0]].c.beta1 : 0.9, thr = 2 * (1 + beta1) / (1 - beta1);
    double pk[2][8], at[2][8];
    static char thr_name[2][64];
    snprintf(thr_name[0], 64, "2: gradient descent's threshold");
    snprintf(thr_name[1], 64, "%.3g = 2 (1 + beta1) / (1 - beta1): Adam's", thr);
    int rc = probe_chart(s, p, probe, np, WU_METRIC_SHARPNESS_LR, "LR x sharpness (largest Hessian eigenvalue)",
                         "sharpness.svg", 2, thr_name[0], pk[0], at[0], err);
    if (rc == WU_OK)
        rc = probe_chart(s, p, probe, np, WU_METRIC_PRECOND_SHARPNESS_LR,
                         "LR x preconditioned sharpness (Adam's stability)", "precond-sharpness.svg",
                         thr, thr_name[1], pk[1], at[1], err);
    if (rc != WU_OK) return rc;

    /* what was measured */
    size_t u = 0;
    double widest = 1;
    for (int g = 0; g < s->ngroups; g++) {
        char t[96];
        SAY("%s: %s", s->group[g], bracket_text(&b[g], t, sizeof t));
        int f = run_at(s, g, b[g].hi);
        if (f >= 0 && s->runs[f].s.status == WU_RUN_DIVERGED)
            SAY(" (diverged at step %lld)", (long long)s->runs[f].s.diverged_at);
        else if (f >= 0)
            SAY(" (final loss %.3f, above %g x the first)", wu_run_score(&s->runs[f].s), frac);
        SAY("%s. ", b[g].nonmono ? "; a higher LR trained again: not monotone here" : "");
        if (b[g].lo > 0 && isfinite(b[g].hi)) widest = fmax(widest, b[g].hi / b[g].lo);
    }
    double fl[2] = {INFINITY, -INFINITY}, f0[2] = {INFINITY, -INFINITY};
    for (int g = 0; g < s->ngroups; g++) { /* what the runs at the edge and at the low end learned */
        int l = run_at(s, g, b[g].lo), z = run_at(s, g, lo0);
        double x = l >= 0 ? wu_run_score(&s->runs[l].s) : NAN, y = z >= 0 ? wu_run_score(&s->runs[z].s) : NAN;
        if (isfinite(x)) fl[0] = fmin(fl[0], x), fl[1] = fmax(fl[1], x);
        if (isfinite(y)) f0[0] = fmin(f0[0], y), f0[1] = fmax(f0[1], y);
    }
    if (isfinite(fl[0]) && isfinite(f0[0]))
        SAY("At the largest LRs that trained the final losses were %.2f to %.2f, against %.2f to "
            "%.2f at LR %g: near the edge the runs are stable but learn less; the bisection finds "
            "where the loss blows up, not the best LR. ", fl[0], fl[1], f0[0], f0[1], lo0);
    SAY("The bisection's resolution: the widest closed bracket spans a factor of %.2f; one seed "
        "per LR, so a difference of one bracket is not tested against seed noise here. ", widest);
    for (int o = 0; o < 2; o++) { /* the trend over every warmup length */
        int up = 1, known = 1;
        SAY("%s's largest LR that trained, over warmups", opt[o]);
        for (int w = 0; w < nw; w++) {
            const wu_bracket *e = &b[o * nw + w];
            known &= e->n > 0 && e->lo > 0;
            if (w > 0 && e->lo < b[o * nw + w - 1].lo) up = 0;
            SAY(" %g%%", pct[w]);
        }
        SAY(":");
        for (int w = 0; w < nw; w++) SAY("%s %.3g", w ? "," : "", b[o * nw + w].lo);
        SAY(" (%s). ", !known ? "not all measured" : up ? "never lower after a longer warmup"
                                                     : "not monotone in the warmup length");
    }
    int w1 = nw - 1;
    for (int o = 0; o < 2; o++) { /* longer warmup, per optimizer */
        int v = compare(&b[o * nw], &b[o * nw + w1]);
        char ta[96], tb[96];
        bracket_text(&b[o * nw], ta, sizeof ta), bracket_text(&b[o * nw + w1], tb, sizeof tb);
        double r = b[o * nw + w1].lo / b[o * nw].lo;
        if (v == 1)
            SAY("Longer warmup, %s: held, a %g%% warmup raised the largest stable LR %.2f-fold (%s "
                "without warmup; %s with it). ", opt[o], pct[w1], r, ta, tb);
        else if (v == -1)
            SAY("Longer warmup, %s: did not hold, a %g%% warmup lowered the largest stable LR to "
                "%.2f of it (%s without warmup; %s with it). ", opt[o], pct[w1], r, ta, tb);
        else if (v == 0)
            SAY("Longer warmup, %s: not resolved, the brackets without warmup (%s) and with %g%% (%s) "
                "overlap. ",
                opt[o], ta, pct[w1], tb);
    }
    {
        int v = compare(&b[0], &b[nw]);
        char ta[96], tb[96];
        bracket_text(&b[0], ta, sizeof ta), bracket_text(&b[nw], tb, sizeof tb);
        if (v == 1) SAY("GI-Adam without warmup: held, %s against AdamW's %s (%.2f-fold). ", tb, ta,
                        b[nw].lo / b[0].lo);
        else if (v == -1) SAY("GI-Adam without warmup: did not hold, %s against AdamW's %s. ", tb, ta);
        else if (v == 0) SAY("GI-Adam without warmup: not resolved, %s against AdamW's %s. ", tb, ta);
    }
    for (int k = 0, said = 0; k < np; k++)
        if (isfinite(pk[1][k]))
            SAY("%s%s: %.3g (step %.0f; LR x sharpness %.3g)%s", said++ ? "; " : "Peak LR x "
                "preconditioned sharpness (threshold 2 (1 + beta1) / (1 - beta1)): ",
                s->arm[probe[k]].label, pk[1][k], at[1][k], pk[0][k], k == np - 1 ? ". " : "");
    int over = 0, done = 0;
    for (int k = 0; k < np; k++)
        if (s->runs[probe[k]].s.status == WU_RUN_COMPLETED && isfinite(pk[1][k]))
            done++, over += pk[1][k] > thr;
    if (done)
        SAY("%d of the %d sharpness runs that completed went above Adam's threshold %.3g on the "
            "probe batch and still trained: at this size crossing it did not mean divergence.",
            over, done, thr);
    return WU_OK;
}

int wu_render_stable_lr(const wu_study *s, const wu_term *t, wu_error *err)
{
    wu_page *p = calloc(1, sizeof *p);
    if (!p) return wu_fail(err, WU_ENOMEM, "out of memory");
    int rc = fill(s, p, err);
    int missing = 0;
    for (int i = 0; i < s->n; i++)
        missing += s->runs[i].s.status == WU_RUN_MISSING || s->runs[i].s.status == WU_RUN_INTERRUPTED;
    int left = 0; /* brackets the bisection would still halve: a study stopped between rounds */
    for (int g = 0; rc == WU_OK && g < s->ngroups; g++) left += wu_stable_group_next(s, g) > 0;
    if (rc == WU_OK && (missing || left)) {
        size_t u = strlen(p->conclusion);
        SAY(" (%d of the %d runs planned so far have not finished, %d brackets have rounds left: "
            "rerun the study to complete it.)", missing, s->n, left);
    }
    if (rc == WU_OK) rc = wu_page_emit(s, p, t, err);
    wu_page_free(p);
    free(p);
    return rc;
}
