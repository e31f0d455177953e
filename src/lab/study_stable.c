/* study_stable.c - the stable-lr study's plan and its bisection (stable.h): the initial brackets,
 * each round's runs at the log-midpoints, and the outcome of a run (trains or not).
 *
 * Why a log scale: stability thresholds of LRs are multiplicative (a factor of 2 matters the
 * same at 1e-3 and at 1), so the midpoint of [lo, hi] is sqrt(lo hi), and after k rounds a
 * bracket is (hi/lo)^(1/2^k) wide. Why rounds and not one bracket at a time: the brackets are
 * independent, so one round's runs go side by side on the cores. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../util/fail.h"
#include "stable.h"

int wu_stable_outcome(const wu_run_summary *r, double frac)
{
    if (r->status == WU_RUN_DIVERGED) return 0;
    if (r->status != WU_RUN_COMPLETED) return -1;
    double f = wu_run_score(r);
    return isfinite(f) && isfinite(r->first_loss) && f <= frac * r->first_loss;
}

void wu_stable_bracket(const double *lr, const int *ok, int n, wu_bracket *b)
{
    *b = (wu_bracket){.lo = 0, .hi = INFINITY};
    for (int i = 0; i < n; i++) {
        if (ok[i] < 0) {
            b->unknown++;
            continue;
        }
        b->n++;
        if (!ok[i] && lr[i] < b->hi) b->hi = lr[i];
    }
    for (int i = 0; i < n; i++) {
        if (ok[i] != 1) continue;
        if (lr[i] < b->hi && lr[i] > b->lo) b->lo = lr[i];
        if (lr[i] > b->hi) b->nonmono++;
    }
}

double wu_stable_next(const wu_bracket *b, double step)
{
    if (b->lo > 0 && !isfinite(b->hi)) return step > 1 ? b->lo * step : 0;
    if (!(b->lo > 0) || !isfinite(b->hi) || b->hi <= b->lo * (1 + 1e-9)) return 0;
    return sqrt(b->lo * b->hi);
}

/* A run with the sharpness probe: at the plan's probe LR, outside the bisection. */
static int probe_run(const wu_study *s, int i) { return s->runs[i].c.sharpness_every > 0; }

void wu_stable_group(const wu_study *s, int g, wu_bracket *b)
{
    double lr[WU_STUDY_MAX];
    int ok[WU_STUDY_MAX], n = 0;
    double frac = wu_study_num(s, "train_frac");
    for (int i = 0; i < s->n; i++) {
        if (s->arm[i].group != g) continue;
        lr[n] = s->runs[i].c.lr;
        ok[n++] = wu_stable_outcome(&s->runs[i].s, frac);
    }
    wu_stable_bracket(lr, ok, n, b);
}

double wu_stable_group_next(const wu_study *s, int g)
{
    int bisected = 0;
    for (int i = 0; i < s->n; i++)
        bisected += s->arm[i].group == g && !probe_run(s, i) && strstr(s->arm[i].name, "-r") != NULL;
    wu_bracket b;
    wu_stable_group(s, g, &b);
    if (bisected >= (int)wu_study_num(s, "rounds") || b.unknown) return 0;
    /* an open top moves as far as a closed bracket's first round would: sqrt(hi/lo) of the
       plan's initial bracket */
    return wu_stable_next(&b, sqrt(wu_study_num(s, "lr_hi") / wu_study_num(s, "lr_lo")));
}

/* The arms of one bracket: its directory names begin with "OPT-wPCT" (adamw-w5, giadam-w0). */
static void arm_base(char *out, size_t n, int gi, double pct)
{
    snprintf(out, n, "%s-w%g", gi ? "giadam" : "adamw", pct);
}

static void arm_label(char *out, size_t n, int gi, double pct, double lr)
{
    char w[24];
    if (pct > 0) snprintf(w, sizeof w, "warmup %g%%", pct);
    else snprintf(w, sizeof w, "no warmup");
    snprintf(out, n, "%s, %s, LR %.3g", gi ? "GI-Adam" : "AdamW", w, lr);
}

/* The configuration of bracket (gi, pct) at LR lr. */
static void arm_config(wu_train_config *c, const wu_study *s, int gi, double pct, double lr)
{
    wu_study_gpt(c, s->quick, s->seed);
    if (!s->quick) c->batch = 8, c->steps = 100; /* within 10 minutes on 2 cores: docs/STUDIES.md */
    snprintf(c->optimizer, sizeof c->optimizer, "adamw");
    snprintf(c->adam_init, sizeof c->adam_init, "%s", gi ? "grad" : "zero");
    const char *decay = wu_study_text(s, "decay");
    if (pct > 0) snprintf(c->schedule, sizeof c->schedule, "warmup(%g%%) > %s", pct, decay);
    else snprintf(c->schedule, sizeof c->schedule, "%s", decay);
    c->lr = lr;
    /* at the engine's default factor 2 a catapult (a spike to 2-2.6x the first loss that comes
       back down within a few steps: AdamW with 25% warmup at LR 0.01) ends the run as diverged,
       and Kalra & Barkeshli count it as training; 10 stops only losses that explode
       (docs/STUDIES.md) */
    c->diverge_factor = 10;
}

int wu_plan_stable_lr(wu_study *s, wu_error *err)
{
    static const double warm_full[] = {0, 1, 5, 10, 25}, warm_quick[] = {0, 25}; /* % of the steps */
    const double *warm = s->quick ? warm_quick : warm_full;
    const int nw = s->quick ? 2 : 5;
    if (wu_study_fixed_data(s, "the built-in language", err) != WU_OK) return err->code;
    /* the initial bracket, from measurements (docs/STUDIES.md): every arm trains at 1e-3, and
       1 is where the reference GPT's runs diverge; rounds: (1000)^(1/32) = 1.24 at the
       default size */
    const double lo = 1e-3, hi = 1, probe = 1e-2;
    wu_study_set(s, "lr_lo", lo, NULL);
    wu_study_set(s, "lr_hi", hi, NULL);
    wu_study_set(s, "rounds", s->quick ? 2 : 5, NULL);
    wu_study_set(s, "train_frac", 0.9, NULL);
    wu_study_set(s, "probe_lr", probe, NULL);
    wu_study_set(s, "decay", 0, "cosine(to=0.1)");
    wu_study_set(s, "decay_to", 0.1, NULL);
    wu_study_set(s, "nwarm", nw, NULL);
    for (int w = 0; w < nw; w++) {
        char k[24]; /* wu_study_const.name: "warmup" and any int */
        snprintf(k, sizeof k, "warmup%d", w);
        wu_study_set(s, k, warm[w] / 100, NULL);
    }
    wu_train_config c;
    char name[64], label[64];
    for (int gi = 0; gi < 2; gi++)
        for (int w = 0; w < nw; w++) {
            char gname[48];
            if (warm[w] > 0) snprintf(gname, sizeof gname, "%s, warmup %g%%", gi ? "GI-Adam" : "AdamW", warm[w]);
            else snprintf(gname, sizeof gname, "%s, no warmup", gi ? "GI-Adam" : "AdamW");
            int g = wu_study_group(s, gname);
            for (int end = 0; end < 2; end++) {
                double lr = end ? hi : lo;
                arm_config(&c, s, gi, warm[w], lr);
                arm_base(name, sizeof name, gi, warm[w]);
                strcat(name, end ? "-hi" : "-lo");
                arm_label(label, sizeof label, gi, warm[w], lr);
                int rc = wu_study_add(s, &c, name, label, g, warm[w] > 0, lr, err);
                if (rc != WU_OK) return rc;
            }
        }
    /* the sharpness probe over the run, every 10 steps (5 at the quick size), on the arms
       without warmup and with the longest one */
    for (int gi = 0; gi < 2; gi++)
        for (int k = 0; k < 2; k++) {
            int w = k ? nw - 1 : 0;
            arm_config(&c, s, gi, warm[w], probe);
            c.sharpness_every = s->quick ? 5 : 10;
            c.sharpness_iters = s->quick ? 6 : 10;
            arm_base(name + 6, sizeof name - 6, gi, warm[w]);
            memcpy(name, "sharp-", 6);
            arm_label(label, sizeof label, gi, warm[w], probe);
            int rc = wu_study_add(s, &c, name, label, gi * nw + w, warm[w] > 0, probe, err);
            if (rc != WU_OK) return rc;
        }
    return wu_study_check(s, err);
}

int wu_next_stable_lr(wu_study *s, wu_error *err)
{
    double rounds = wu_study_num(s, "rounds"), nw = wu_study_num(s, "nwarm");
    if (!(rounds >= 0) || !(nw >= 1) || s->ngroups != 2 * (int)nw)
        return wu_fail(err, WU_EINVAL, "%s/study.json: not a stable-lr plan (constants rounds and "
                       "nwarm, 2 x nwarm groups)", s->dir);
    int n0 = s->n, added = 0;
    for (int g = 0; g < s->ngroups; g++) {
        int lo_run = -1, bisected = 0;
        for (int i = 0; i < n0; i++) {
            if (s->arm[i].group != g || probe_run(s, i)) continue;
            size_t len = strlen(s->arm[i].name);
            if (len > 3 && !strcmp(s->arm[i].name + len - 3, "-lo")) lo_run = i;
            else if (strstr(s->arm[i].name, "-r")) bisected++;
        }
        if (lo_run < 0)
            return wu_fail(err, WU_EINVAL, "%s/study.json: group '%s' has no run at the low end "
                           "(NAME-lo)", s->dir, s->group[g]);
        double x = wu_stable_group_next(s, g);
        if (x == 0) continue;
        wu_train_config c = s->runs[lo_run].c;
        c.lr = x;
        char name[64], label[64];
        int len = (int)strlen(s->arm[lo_run].name) - 3;
        snprintf(name, sizeof name, "%.*s-r%d", len < 40 ? len : 40, s->arm[lo_run].name,
                 (bisected + 1) % 1000);
        int gi = !strcmp(c.adam_init, "grad");
        char k[24];
        snprintf(k, sizeof k, "warmup%d", g % (int)nw);
        arm_label(label, sizeof label, gi, 100 * wu_study_num(s, k), x);
        int rc = wu_study_add(s, &c, name, label, g, s->arm[lo_run].warm, x, err);
        if (rc != WU_OK) return rc;
        if ((rc = wu_train_check(&s->runs[s->n - 1].c, err)) != WU_OK) return rc;
        added++;
    }
    return added;
}
