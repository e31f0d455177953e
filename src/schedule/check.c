/* check.c - a run's logged LRs against the schedule it meant to follow (warmup.h, wu_check_*).
 *
 * The checker streams (step, lr) pairs and keeps constant state: counters, a decimated sample
 * of the pairs that matched (up to PREFIX_CAP), the first BUF_CAP pairs from the first
 * difference on, and a bounded list of hypotheses. Each hypothesis is a schedule the log may
 * follow instead of the spec (the spec shifted, jumped at a resume, stretched, re-timed to
 * another horizon). The fixed ones (a shift by one, a zero first LR) are tested from the first
 * pair; the ones with a number to find are fitted on the buffered pairs once it is full (or at
 * the end), checked against the sample of the matched part when they change the schedule
 * from step 0, and then tested on every later pair. Only a hypothesis that explains every pair
 * is reported: the diagnosis is computed from the data, never guessed from one point.
 * The bug reports behind each pattern, and the fixes: docs/CHECK.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "segments.h"
#include "warmup.h"

#define PREFIX_CAP 256
#define BUF_CAP 64
#define MAX_CAND 48
#define FAMILY_CAP 12          /* hypotheses kept per fitted family */
#define MAX_FACTOR 1024        /* stretch and slow-down factors tried: 2 .. MAX_FACTOR */
#define SCAN_MAX 40000000LL    /* jump offsets tried, at most */
#define HORIZON_GRID 1500      /* total lengths probed before bisection */

typedef struct hypo {
    wu_check_pattern kind;
    int64_t p, q;         /* param, offset */
    int64_t from;         /* JUMP, RESTART: the first step it applies to */
    wu_schedule *alt;     /* HORIZON: the spec over another total length (owned) */
    int alive, exact, lag;
    int64_t explained;    /* pairs differing from the spec that it explains */
    int64_t at;           /* ZERO_START: the step where the log caught up (-1: not yet) */
} hypo;

struct wu_check {
    wu_schedule *s;
    char *spec;
    wu_sched_opts opts;
    double atol;
    int finished, fitted;
    int64_t n, first, last;
    int64_t ndiff12, diff12_step, ndiff32, diff32_step;
    double diff12_e, diff12_l, diff32_e, diff32_l;
    double max_rel;
    int64_t max_rel_step, last_match;
    int zero_first;
    int segmented;            /* compared with the spec over a run's segments (wu_check_segments):
                                 no horizon hypothesis, the lengths are the run's record */
    int64_t ps[PREFIX_CAP];   /* the sample of the matched prefix: every pstride-th pair */
    double pl[PREFIX_CAP];
    int np;
    int64_t pstride, pseen;
    int64_t bs[BUF_CAP];      /* the pairs from the first difference on, until fitted */
    double bl[BUF_CAP];
    int nb;
    hypo h[MAX_CAND];
    int nh;
};

/* |a - b| within tol relative, with an absolute floor of 1e-12 of the base LR. */
static int close_to(const wu_check *c, double a, double b, double tol)
{
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return d <= tol * m + c->atol;
}

static double E(const wu_check *c, int64_t s) { return wu_sched_lr(c->s, s < 0 ? 0 : s); }

/* p*s + q without overflow (schedules hold their value far past any real step). */
static int64_t affine(int64_t p, int64_t s, int64_t q)
{
    if (s > 0 && p > (INT64_MAX - q) / s) return INT64_MAX;
    return p * s + q;
}

/* The LR hypothesis h predicts for step s; NaN when it says nothing there. */
static double predict(const wu_check *c, const hypo *h, int64_t s)
{
    switch (h->kind) {
    case WU_PAT_SHIFT: return s + h->p < 0 ? NAN : E(c, s + h->p);
    case WU_PAT_JUMP: return s < h->from ? E(c, s) : E(c, s + h->p);
    case WU_PAT_RESTART: return s < h->from ? E(c, s) : E(c, s - h->p);
    case WU_PAT_STRETCH: return E(c, affine(h->p, s, h->q));
    case WU_PAT_SLOW: return E(c, (s > INT64_MAX - h->q ? INT64_MAX : s + h->q) / h->p);
    case WU_PAT_HORIZON: return wu_sched_lr(h->alt, s);
    default: return NAN;
    }
}

/* Test h on one pair; `differs`: the pair differs from the spec at float32 precision. */
static void test(const wu_check *c, hypo *h, int64_t s, double l, int differs)
{
    if (!h->alive) return;
    if (h->kind == WU_PAT_ZERO_START) {
        double now = E(c, s), before = E(c, s - 1);
        if (s == 0) now = before = 0.0;
        if (h->lag && s > 0 && close_to(c, l, before, WU_CHECK_TOL_F32)) {
            if (!close_to(c, l, before, WU_CHECK_TOL)) h->exact = 0;
        } else if (close_to(c, l, now, WU_CHECK_TOL_F32)) {
            if (h->lag && s > 0) {
                h->lag = 0;
                h->at = s;
            }
            if (!close_to(c, l, now, WU_CHECK_TOL)) h->exact = 0;
        } else {
            h->alive = 0;
            return;
        }
        if (differs) h->explained++;
        return;
    }
    double v = predict(c, h, s);
    if (isnan(v)) return;
    if (!close_to(c, l, v, WU_CHECK_TOL_F32)) {
        h->alive = 0;
        return;
    }
    if (!close_to(c, l, v, WU_CHECK_TOL)) h->exact = 0;
    if (differs) h->explained++;
}

static hypo *add(wu_check *c, wu_check_pattern kind, int64_t p, int64_t q)
{
    if (c->nh >= MAX_CAND) return NULL;
    hypo *h = &c->h[c->nh++];
    *h = (hypo){.kind = kind, .p = p, .q = q, .alive = 1, .exact = 1, .at = -1};
    return h;
}

wu_status wu_check_create(wu_check **out, const char *spec, const wu_sched_opts *opts,
                          wu_error *err)
{
    if (!out) return wu_fail(err, WU_EINVAL, "check: no place for the checker");
    *out = NULL;
    if (!spec || !opts) return wu_fail(err, WU_EINVAL, "check: the spec or its options are missing");
    wu_check *c = calloc(1, sizeof *c);
    if (!c) return wu_fail(err, WU_ENOMEM, "check: out of memory");
    wu_status rc = wu_sched_parse(&c->s, spec, opts, err);
    if (rc != WU_OK) {
        free(c);
        return rc;
    }
    c->spec = malloc(strlen(spec) + 1);
    if (!c->spec) {
        wu_check_destroy(c);
        return wu_fail(err, WU_ENOMEM, "check: out of memory");
    }
    strcpy(c->spec, spec);
    c->opts = *opts;
    c->atol = 1e-12 * opts->lr;
    c->first = c->last = c->diff12_step = c->diff32_step = c->max_rel_step = -1;
    c->last_match = -1;
    c->pstride = 1;
    add(c, WU_PAT_SHIFT, 1, 0);
    add(c, WU_PAT_SHIFT, -1, 0);
    hypo *z = add(c, WU_PAT_ZERO_START, 0, 0);
    z->lag = 1;
    *out = c;
    return WU_OK;
}

wu_status wu_check_segments(wu_check *c, const char *segments, wu_error *err)
{
    if (!c || !segments) return wu_fail(err, WU_EINVAL, "check: the checker or the segments are missing");
    if (c->n > 0 || c->finished)
        return wu_fail(err, WU_EINVAL, "check: the segments come before the first pair");
    wu_sched_opts o = c->opts;
    o.total_steps = 0; /* the last entry's length */
    wu_schedule *s;
    wu_status rc = wu_sched_parse_segments(&s, c->spec, segments, &o, err);
    if (rc != WU_OK) return rc;
    wu_sched_destroy(c->s);
    c->s = s;
    c->opts.total_steps = wu_segments_total(segments); /* the run's length: the last entry's */
    c->segmented = 1;
    return WU_OK;
}

void wu_check_destroy(wu_check *c)
{
    if (!c) return;
    for (int i = 0; i < c->nh; i++) wu_sched_destroy(c->h[i].alt);
    wu_sched_destroy(c->s);
    free(c->spec);
    free(c);
}

double wu_check_expected(const wu_check *c, int64_t step) { return E(c, step); }

/* Whether h explains the sampled prefix (when it changes the schedule from step 0) and every
 * buffered pair; the first buffered pair (the first difference) first: it rejects most. */
static int fits_buffer(wu_check *c, hypo *h, int global)
{
    for (int i = 0; i < c->nb && h->alive; i++) test(c, h, c->bs[i], c->bl[i], 1);
    if (global)
        for (int i = 0; i < c->np && h->alive; i++) test(c, h, c->ps[i], c->pl[i], 0);
    if (!h->alive) return 0;
    /* buffered pairs that happen to equal the spec were counted as differing: recount */
    h->explained = 0;
    for (int i = 0; i < c->nb; i++)
        h->explained += !close_to(c, c->bl[i], E(c, c->bs[i]), WU_CHECK_TOL_F32);
    return 1;
}

/* Try hypothesis (kind, p, q): keep it when it explains the buffer (and the prefix sample). */
static int try_fit(wu_check *c, wu_check_pattern kind, int64_t p, int64_t q, int64_t from,
                   int *kept)
{
    hypo t = {.kind = kind, .p = p, .q = q, .from = from, .alive = 1, .exact = 1, .at = -1};
    if (!close_to(c, c->bl[0], predict(c, &t, c->bs[0]), WU_CHECK_TOL_F32)) return 0;
    if (!fits_buffer(c, &t, kind == WU_PAT_STRETCH || kind == WU_PAT_SLOW)) return 0;
    if (*kept >= FAMILY_CAP || c->nh >= MAX_CAND) return 1;
    c->h[c->nh++] = t;
    (*kept)++;
    return 1;
}

/* E_T(s0) - v0 for the spec over T steps; NaN when the spec cannot be built for T. */
static double horizon_gap(wu_check *c, int64_t T, int64_t s0, double v0)
{
    wu_sched_opts o = c->opts;
    o.total_steps = T;
    wu_schedule *s;
    if (wu_sched_parse(&s, c->spec, &o, NULL) != WU_OK) return NAN;
    double d = wu_sched_lr(s, s0) - v0;
    wu_sched_destroy(s);
    return d;
}

static void try_horizon(wu_check *c, int64_t T, int *kept)
{
    if (T < 1 || T == c->opts.total_steps || *kept >= 4 || c->nh >= MAX_CAND) return;
    for (int i = 0; i < c->nh; i++)
        if (c->h[i].kind == WU_PAT_HORIZON && c->h[i].p == T) return;
    wu_sched_opts o = c->opts;
    o.total_steps = T;
    hypo t = {.kind = WU_PAT_HORIZON, .p = T, .alive = 1, .exact = 1, .at = -1};
    if (wu_sched_parse(&t.alt, c->spec, &o, NULL) != WU_OK) return;
    if (fits_buffer(c, &t, 1)) {
        c->h[c->nh++] = t;
        (*kept)++;
    } else {
        wu_sched_destroy(t.alt);
    }
}

/* Fit the hypotheses that need a number found from the data, on the buffered pairs. */
static void fit(wu_check *c)
{
    c->fitted = 1;
    if (c->nb == 0) return;
    int64_t s0 = c->bs[0], T = c->opts.total_steps;
    int kept;
    /* a resume: pairs before s0 matched; the schedule jumped by j (restarted at r = -j) */
    if (c->last_match >= 0) {
        int kr = 0, kj = 0;
        int64_t jmax = 2 * (s0 > T ? s0 : T) + 1024, span = jmax > s0 ? jmax : s0;
        if (span > SCAN_MAX / 2) span = SCAN_MAX / 2;
        for (int64_t a = 1; a <= span; a++)
            for (int sign = -1; sign <= 1; sign += 2) {
                int64_t j = sign * a;
                if (s0 + j < 0 || j > jmax) continue;
                int restart = -j > c->last_match;
                try_fit(c, restart ? WU_PAT_RESTART : WU_PAT_JUMP, restart ? -j : j, 0, s0,
                        restart ? &kr : &kj);
            }
    }
    /* the scheduler stepped a times per update, or once every a updates */
    kept = 0;
    for (int64_t a = 2; a <= MAX_FACTOR; a++)
        for (int64_t q = 0; q < a; q++) try_fit(c, WU_PAT_STRETCH, a, q, 0, &kept);
    kept = 0;
    for (int64_t a = 2; a <= MAX_FACTOR; a++)
        for (int64_t q = 0; q < a; q++) try_fit(c, WU_PAT_SLOW, a, q, 0, &kept);
    /* another total length: probe T' on a geometric grid, bisect every sign change of
       E_T'(s0) - L(s0), and test the integers around each root */
    if (T > 0 && !c->segmented) {
        kept = 0;
        double v0 = c->bl[0], lo = 1, hi = 64.0 * (double)(T > s0 ? T : s0) + 64;
        int64_t prev = -1;
        double dprev = NAN;
        for (int g = 0; g <= HORIZON_GRID && kept < 4; g++) {
            int64_t t = (int64_t)llround(lo * pow(hi / lo, (double)g / HORIZON_GRID));
            if (t == prev) continue;
            double d = horizon_gap(c, t, s0, v0);
            if (!isnan(d) && !isnan(dprev) && (d > 0) != (dprev > 0)) {
                int64_t a = prev, b = t; /* the sign changes in (a, b] */
                while (b - a > 1) {
                    int64_t m = a + (b - a) / 2;
                    double dm = horizon_gap(c, m, s0, v0);
                    if (isnan(dm)) break;
                    if ((dm > 0) == (d > 0)) b = m;
                    else a = m;
                }
                /* lengths given in % round to whole steps: E_T'(s0) is flat over a few T' */
                for (int64_t k = b - 64; k <= b + 64; k++) try_horizon(c, k, &kept);
            }
            prev = t;
            dprev = d;
        }
    }
}

wu_status wu_check_feed(wu_check *c, int64_t step, double lr, wu_error *err)
{
    if (c->finished) return wu_fail(err, WU_EINVAL, "check: finished; create a new checker");
    if (step < 0) return wu_fail(err, WU_EINVAL, "step %lld is negative", (long long)step);
    if (c->n > 0 && step <= c->last)
        return wu_fail(err, WU_EINVAL, "step %lld after step %lld: steps must increase",
                       (long long)step, (long long)c->last);
    if (!isfinite(lr)) return wu_fail(err, WU_EINVAL, "the LR of step %lld is not finite",
                                      (long long)step);
    double e = E(c, step), m = fmax(fabs(lr), fabs(e));
    double rel = m > 0 ? fabs(lr - e) / m : 0;
    if (c->max_rel_step < 0 || rel > c->max_rel) {
        c->max_rel = rel;
        c->max_rel_step = step;
    }
    int d12 = !close_to(c, lr, e, WU_CHECK_TOL), d32 = !close_to(c, lr, e, WU_CHECK_TOL_F32);
    if (d12 && c->ndiff12++ == 0) {
        c->diff12_step = step;
        c->diff12_e = e;
        c->diff12_l = lr;
    }
    if (d32 && c->ndiff32++ == 0) {
        c->diff32_step = step;
        c->diff32_e = e;
        c->diff32_l = lr;
    }
    if (c->n == 0) {
        c->first = step;
        /* the zero-start hypothesis needs step 0 logged at 0 where the spec is not */
        if (!(step == 0 && fabs(lr) <= c->atol && d32)) c->h[2].alive = 0;
    }
    if (step == 0 && fabs(lr) <= c->atol) c->zero_first = 1;
    for (int i = 0; i < c->nh; i++) test(c, &c->h[i], step, lr, d32);
    if (!c->fitted) {
        if (c->ndiff32 == 0) {
            c->last_match = step;
            if (c->pseen++ % c->pstride == 0) {
                if (c->np == PREFIX_CAP) { /* keep every other one, sample half as often */
                    for (int i = 0; i < PREFIX_CAP / 2; i++) {
                        c->ps[i] = c->ps[2 * i];
                        c->pl[i] = c->pl[2 * i];
                    }
                    c->np = PREFIX_CAP / 2;
                    c->pstride *= 2;
                    c->pseen = 1;
                }
                c->ps[c->np] = step;
                c->pl[c->np++] = lr;
            }
        } else {
            c->bs[c->nb] = step;
            c->bl[c->nb++] = lr;
            if (c->nb == BUF_CAP) fit(c);
        }
    }
    c->n++;
    c->last = step;
    return WU_OK;
}

/* One line: what the pattern means in a training loop, and the fix (docs/CHECK.md). */
static void explain(const wu_check_result *r, char *why, size_t n)
{
    long long p = (long long)r->param, q = (long long)r->offset, at = (long long)r->at;
    long long lo = (long long)r->at_lo;
    switch (r->pattern) {
    case WU_PAT_SHIFT:
        if (p > 0)
            snprintf(why, n, "shifted by one: every logged LR is the spec's LR of the next step "
                     "(LR(s) = spec(s+1)): the scheduler stepped before the optimizer, or the LR "
                     "was logged after scheduler.step(); call scheduler.step() after "
                     "optimizer.step() and log the LR the update used");
        else
            snprintf(why, n, "shifted by one: every logged LR is the spec's LR of the step "
                     "before (LR(s) = spec(s-1)): the log counts steps from 1; number the "
                     "updates from 0 (or read step s as update s-1)");
        break;
    case WU_PAT_ZERO_START:
        snprintf(why, n, "LR 0 at step 0: the first update is wasted, and the warmup runs one "
                 "step behind the spec until step %lld (LR(s) = spec(s-1)); start the warmup "
                 "at 1/W: lr * (s+1)/W, native warmup(W, shift=1)", at);
        break;
    case WU_PAT_JUMP:
        snprintf(why, n, "a jump of %lld steps at a resume between steps %lld and %lld: from "
                 "step %lld on, LR(s) = spec(s%+lld): the scheduler was stepped again after its "
                 "state was restored (load scheduler.state_dict() and do not replay steps)",
                 p, lo, at, at, p);
        break;
    case WU_PAT_RESTART:
        snprintf(why, n, "the schedule restarted at 0 at step %lld (a resume between steps "
                 "%lld and %lld): from there LR(s) = spec(s-%lld): the scheduler's state was "
                 "not restored; save and load scheduler.state_dict() with the checkpoint",
                 p, lo, at, p);
        break;
    case WU_PAT_STRETCH:
        snprintf(why, n, "stretched by %lld: LR(s) = spec(%lld*s%s%.0lld): the scheduler "
                 "stepped %lld times per optimizer update (per micro-batch with gradient "
                 "accumulation %lld, or once per worker on %lld workers); step it once per "
                 "update", p, p, q ? "+" : "", q, p, p, p);
        break;
    case WU_PAT_SLOW:
        snprintf(why, n, "slowed by %lld: LR(s) = spec((s%s%.0lld)/%lld), rounded down: the "
                 "log's steps count micro-batches (gradient accumulation %lld), or the scheduler "
                 "stepped once every %lld updates; count one step per optimizer update",
                 p, q ? "+" : "", q, p, p, p);
        break;
    case WU_PAT_HORIZON:
        snprintf(why, n, "a different total length: the log follows the spec over %lld steps "
                 "(total_steps = %lld): the schedule's length was set from another number "
                 "(micro-batches, epochs times batches before accumulation, a changed "
                 "dataset); give the scheduler the number of optimizer updates", p, p);
        break;
    default: why[0] = '\0';
    }
}

/* A hypothesis is reported only when it is supported by the data, not by one point. */
static int supported(const wu_check *c, const hypo *h)
{
    if (!h->alive) return 0;
    if (h->kind == WU_PAT_ZERO_START) return c->n >= 2 && h->explained >= 1;
    return h->explained >= 2 && h->explained == c->ndiff32;
}

void wu_check_finish(wu_check *c, wu_check_result *out)
{
    if (!c->finished && !c->fitted && c->ndiff32 > 0) fit(c);
    c->finished = 1;
    wu_check_result *r = out;
    memset(r, 0, sizeof *r);
    r->n = c->n;
    r->first_step = c->first;
    r->last_step = c->last;
    r->max_rel = c->max_rel;
    r->max_rel_step = c->max_rel_step;
    r->zero_first = c->zero_first;
    r->at = r->at_lo = -1;
    r->diff_step = -1;
    if (c->n == 0) {
        r->verdict = WU_CHECK_EMPTY;
        return;
    }
    if (c->ndiff32 > 0) {
        r->verdict = WU_CHECK_DIFFERS;
        r->ndiff = c->ndiff32;
        r->diff_step = c->diff32_step;
        r->diff_expected = c->diff32_e;
        r->diff_logged = c->diff32_l;
    } else {
        r->verdict = c->ndiff12 ? WU_CHECK_FLOAT32 : WU_CHECK_MATCH;
        r->ndiff = c->ndiff12;
        r->diff_step = c->diff12_step;
        r->diff_expected = c->diff12_e;
        r->diff_logged = c->diff12_l;
        return;
    }
    /* the first supported hypothesis in the order of wu_check_pattern (simplest first) */
    const hypo *best = NULL;
    for (int k = WU_PAT_SHIFT; k <= WU_PAT_HORIZON; k++)
        for (int i = 0; i < c->nh; i++)
            if ((int)c->h[i].kind == k && supported(c, &c->h[i])) {
                if (!best) {
                    best = &c->h[i];
                } else if (r->nalso++ == 0) {
                    r->also = c->h[i].kind;
                    r->also_param = c->h[i].p;
                }
            }
    if (!best) return;
    r->pattern = best->kind;
    r->param = best->p;
    r->offset = best->q;
    r->exact = best->exact;
    if (best->kind == WU_PAT_JUMP || best->kind == WU_PAT_RESTART) {
        r->at = best->from;
        r->at_lo = c->last_match;
    } else if (best->kind == WU_PAT_ZERO_START) {
        r->at = best->at >= 0 ? best->at : c->last + 1;
    }
    explain(r, r->why, sizeof r->why);
}
