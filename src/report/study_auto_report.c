/* study_auto_report.c - the page of `warmup study auto-warmup` (plan: lab/study_auto.c): per
 * task, the automatic warmup's final loss against each warmup of the grid and the grid's best,
 * as a mean and a seed standard deviation over the seeds; what the probe chose and what it
 * cost, against the grid's compute; and whether the goal held (within one seed standard
 * deviation of the grid's best, at under 20% of the grid's compute), said plainly where not.
 * Everything comes from study.json and the runs' summary.json files. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "../util/json.h"
#include "study_page.h"

#define SAY(...) u += (size_t)snprintf(p->conclusion + u, u < sizeof p->conclusion ? sizeof p->conclusion - u : 0, __VA_ARGS__)

#define ARMS 5 /* the grid's four warmups, then auto */
#define GOAL_COMPUTE 0.20

/* A run's final loss, a diverged run at its initial loss (as the other studies count it); NaN
 * when it has not finished. */
static double final_loss(const wu_study *s, int i)
{
    const wu_run_summary *r = &s->runs[i].s;
    if (r->status == WU_RUN_DIVERGED) return r->first_loss;
    return wu_run_score(r);
}

/* The arm of run i: 0..3 the grid (by its x), 4 auto. */
static int arm_of(const wu_study *s, int i)
{
    double x = s->arm[i].x;
    return x < 0 ? 4 : x == 0 ? 0 : x < 0.05 ? 1 : x < 0.2 ? 2 : 3;
}

/* summary.json's auto_warmup of run i: the chosen steps and the probe's passes (-1: none). */
static void probe_of(const wu_study *s, int i, double *steps, double *passes)
{
    *steps = *passes = NAN;
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", s->runs[i].c.out);
    wu_error e;
    cJSON *j = wu_json_read(path, &e);
    if (!j) return;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "auto_warmup");
    if (cJSON_IsObject(a)) {
        *steps = wu_json_num(a, "steps");
        *passes = wu_json_num(a, "passes");
    }
    cJSON_Delete(j);
}

typedef struct task_stats {
    double mean[ARMS], sd[ARMS];
    int n[ARMS];
    double chosen_pct;   /* the mean of the chosen lengths, % of the run */
    double chosen[8];    /* per seed, steps */
    int nchosen;
    double probe_passes; /* summed over the seeds */
    double grid_passes;  /* the grid's training passes, summed over the seeds */
    double auto_passes;  /* the training passes of the runs the probe planned (auto arm) */
    int best;            /* the grid arm with the lowest mean */
} task_stats;

static void stats(const wu_study *s, int g, task_stats *t)
{
    memset(t, 0, sizeof *t);
    double sum[ARMS] = {0}, sq[ARMS] = {0}, pct = 0;
    for (int i = 0; i < s->n; i++) {
        if (s->arm[i].group != g) continue;
        int a = arm_of(s, i);
        if (a < 4) t->grid_passes += (double)s->runs[i].c.steps;
        else t->auto_passes += (double)s->runs[i].c.steps;
        double l = final_loss(s, i);
        if (a == 4) {
            double st, ps;
            probe_of(s, i, &st, &ps);
            if (isfinite(ps)) t->probe_passes += ps;
            if (isfinite(st) && t->nchosen < 8) {
                t->chosen[t->nchosen++] = st;
                pct += 100 * st / (double)s->runs[i].c.steps;
            }
        }
        if (!isfinite(l)) continue;
        sum[a] += l, sq[a] += l * l, t->n[a]++;
    }
    t->chosen_pct = t->nchosen ? pct / t->nchosen : NAN;
    t->best = -1;
    for (int a = 0; a < ARMS; a++) {
        t->mean[a] = t->n[a] ? sum[a] / t->n[a] : NAN;
        double v = t->n[a] > 1 ? (sq[a] - sum[a] * sum[a] / t->n[a]) / (t->n[a] - 1) : NAN;
        t->sd[a] = v > 0 ? sqrt(v) : t->n[a] > 1 ? 0 : NAN;
        if (a < 4 && isfinite(t->mean[a]) && (t->best < 0 || t->mean[a] < t->mean[t->best]))
            t->best = a;
    }
}

int wu_fill_auto_warmup(const wu_study *s, wu_page *p, wu_error *err)
{
    static const char *const arm_name[ARMS] = {"0", "2%", "10%", "25%", "auto"};
    static const double arm_x[4] = {0, 2, 10, 25};
    p->title = "warmup chosen automatically";
    p->source = "Kalra & Barkeshli 2024 (arXiv 2406.09405); issue 18";
    p->claim = "A short probe of the actual model and data (the peak LR from the first step, "
               "then a ramp that backs off at each loss catapult) chooses a warmup whose final "
               "loss is within one seed standard deviation of the best of the grid 0, 2%, 10%, "
               "25% at the same peak LR, on every task, at under 20% of the grid's compute.";
    if (s->ngroups != 3)
        return wu_fail(err, WU_EINVAL, "%s/study.json: the auto-warmup study has three tasks, "
                       "this one %d", s->dir, s->ngroups);
    snprintf(p->intro, sizeof p->intro, "Three tasks: %s, %s (%s) and %s; AdamW at the peak LR "
             "%g, %lld, %lld and %lld steps, each with a linear warmup of 0, 2%%, 10%% or 25%% of "
             "the run or warmup(auto), then %s, over %g seeds. warmup(auto) runs the probe "
             "before training (docs/TUNE.md); its cost is counted in forward/backward passes, "
             "as a training step is.", s->group[0], s->group[1],
             wu_study_text(s, "text_dir"), s->group[2], wu_study_num(s, "peak_lr"),
             (long long)s->runs[0].c.steps, (long long)s->runs[s->n / 3].c.steps,
             (long long)s->runs[s->n - 1].c.steps, wu_study_text(s, "decay"),
             wu_study_num(s, "seeds"));
    /* the chart: each task's final loss relative to its grid's best, against the warmup */
    wu_series *ser = p->series[p->ncharts];
    int ns = 0;
    size_t u = 0;
    int met = 0, judged = 0, loss_short = 0, cost_short = 0;
    double probe_lo = INFINITY, probe_hi = -INFINITY, run_pct = NAN;
    for (int g = 0; g < 3; g++) {
        task_stats t;
        stats(s, g, &t);
        double ref = t.best >= 0 ? t.mean[t.best] : NAN;
        int n = 0;
        for (int a = 0; a < 4; a++)
            if (isfinite(t.mean[a])) p->gx[2 * g][n] = arm_x[a], p->gy[2 * g][n++] = t.mean[a] / ref;
        snprintf(p->gname[2 * g], 64, "%s: grid", s->group[g]);
        ser[ns++] = (wu_series){.name = p->gname[2 * g], .x = p->gx[2 * g], .y = p->gy[2 * g],
                                .n = n, .mark_x = NAN};
        p->gx[2 * g + 1][0] = t.chosen_pct, p->gy[2 * g + 1][0] = t.mean[4] / ref;
        snprintf(p->gname[2 * g + 1], 64, "%s: auto", s->group[g]);
        ser[ns++] = (wu_series){.name = p->gname[2 * g + 1], .x = p->gx[2 * g + 1],
                                .y = p->gy[2 * g + 1], .n = isfinite(t.mean[4] / ref) ? 1 : 0,
                                .mark_x = NAN, .style = WU_STYLE_POINTS};
        /* the table, one line per task, and the verdict */
        SAY("%s: ", s->group[g]);
        for (int a = 0; a < ARMS; a++) {
            if (t.n[a]) SAY("%s%s %.3f +- %.3f", a ? ", " : "", arm_name[a], t.mean[a], t.sd[a]);
            else SAY("%s%s not finished", a ? ", " : "", arm_name[a]);
        }
        SAY(". The probe chose");
        for (int k = 0; k < t.nchosen; k++) SAY("%s %.0f", k ? "," : "", t.chosen[k]);
        /* the goal's compute is the automatic warmup's: the probe and the run it plans */
        double cost = 100 * (t.probe_passes + t.auto_passes) / t.grid_passes;
        SAY(" steps (a mean of %.1f%% of the run) at %.0f passes in all, %.1f%% of the grid's "
            "%.0f; with the runs it plans, %.1f%%. ", t.chosen_pct, t.probe_passes,
            100 * t.probe_passes / t.grid_passes, t.grid_passes, cost);
        if (t.best < 0 || !isfinite(t.mean[4])) {
            SAY("Not judged: runs have not finished. ");
            continue;
        }
        judged++;
        double gap = t.mean[4] - ref, tol = t.sd[t.best];
        int ok_loss = gap <= tol, ok_cost = cost < 100 * GOAL_COMPUTE;
        met += ok_loss && ok_cost;
        loss_short += !ok_loss, cost_short += !ok_cost;
        probe_lo = fmin(probe_lo, 100 * t.probe_passes / t.grid_passes);
        probe_hi = fmax(probe_hi, 100 * t.probe_passes / t.grid_passes);
        run_pct = 100 * t.auto_passes / t.grid_passes;
        SAY("The grid's best is %s; auto is %+.3f from it against a seed standard deviation of "
            "%.3f: %s; its compute, %.1f%% of the grid's, is %s the %.0f%% goal. ",
            arm_name[t.best], gap, tol, ok_loss ? "within it" : "it fell short here", cost,
            ok_cost ? "under" : "over", 100 * GOAL_COMPUTE);
    }
    p->charts[p->ncharts] = (wu_chart){.title = "Final loss relative to the grid's best (1 = "
                                                "the best; dots: warmup(auto) at its mean length)",
                                       .xlabel = "warmup (% of the run)",
                                       .ylabel = "final loss / grid's best",
                                       .series = ser, .nseries = ns};
    p->files[p->ncharts] = "auto-vs-grid.svg";
    p->tty_rows[p->ncharts++] = 12;
    if (judged == 3 && met == 3)
        SAY("The goal held on all three tasks.");
    else if (judged == 3)
        SAY("The goal held on %d of the three tasks.", met);
    if (judged == 3 && loss_short)
        SAY(" Where the loss fell short, the probe's catapult test did not see the failure that "
            "the longer warmups avoid (docs/TUNE.md says which failure that is at this size).");
    if (judged == 3 && cost_short)
        SAY(" The compute goal cannot be met this way: with a grid of four warmups, the run the "
            "probe plans is alone %.0f%% of the grid's compute; the probe's own overhead was ",
            run_pct);
    if (judged == 3 && cost_short && probe_hi - probe_lo < 0.05) SAY("%.1f%%.", probe_lo);
    else if (judged == 3 && cost_short) SAY("%.1f-%.1f%%.", probe_lo, probe_hi);
    return WU_OK;
}

