/* sched.c - evaluating a parsed schedule, and its lifecycle.
 *
 * wu__eval() is the whole runtime: one switch over node kinds, each a closed form of the step.
 * Formulas for torch: and hf: nodes keep the operation order of PyTorch 1.13's
 * _get_closed_form_lr() and of transformers' lr_lambdas, so results match them to the last bit
 * or within a few ulps (PyTorch itself steps recursively; see docs/SPEC.md, "Exactness"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "sched_impl.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

/* gamma^k for an integer k >= 0, as exp(k * log gamma) with log gamma precomputed (lg): about
 * twice as fast as pow(), and within a few ulps of it for every k a schedule reaches (PyTorch
 * itself multiplies k times, which drifts more). gamma = 0 gives 1 at k = 0, as pow does. */
static double powk(double gamma, double lg, int64_t k)
{
    if (k == 0) return 1.0;
    if (gamma == 0.0) return 0.0;
    return exp(lg * (double)k);
}

/* Number of list items <= t in a sorted list (Python's bisect_right). */
static int64_t bisect_right(const int64_t *v, int n, int64_t t)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (t < v[mid]) hi = mid; else lo = mid + 1;
    }
    return lo;
}

/* PyTorch CyclicLR.get_lr(): triangular / triangular2 scale per cycle, exp_range per iteration. */
static double cyclic_lr(const wu_node *nd, double lo, double hi, int64_t t)
{
    double up = nd->x[3], down = nd->x[4];
    double total = up + down, ratio = up / total;
    double cycle = floor(1.0 + (double)t / total);
    double x = 1.0 + (double)t / total - cycle;
    double sf = x <= ratio ? x / ratio : (x - 1.0) / (ratio - 1.0);
    double height = (hi - lo) * sf, scale;
    switch (nd->shape) {
    case 1: scale = 1.0 / ldexp(1.0, (int)cycle - 1); break; /* triangular2: exact */
    case 2: scale = powk(nd->x[2], nd->x[5], t); break;       /* exp_range */
    default: scale = 1.0; break;                              /* triangular */
    }
    return lo + height * scale;
}

/* PyTorch OneCycleLR.get_lr() with max_lr `mx`: two or three annealing phases. */
static double onecycle_lr(const wu_node *nd, double mx, int64_t t)
{
    double pct = nd->x[1], initial = mx / nd->x[2], lowest = initial / nd->x[3];
    int64_t total = nd->n[0];
    double ends[3], from[3], to[3];
    int nph;
    if (nd->n[1]) {
        ends[0] = pct * (double)total - 1.0; from[0] = initial; to[0] = mx;
        ends[1] = 2.0 * pct * (double)total - 2.0; from[1] = mx; to[1] = initial;
        ends[2] = (double)(total - 1); from[2] = initial; to[2] = lowest;
        nph = 3;
    } else {
        ends[0] = pct * (double)total - 1.0; from[0] = initial; to[0] = mx;
        ends[1] = (double)(total - 1); from[1] = mx; to[1] = lowest;
        nph = 2;
    }
    double start = 0.0;
    for (int i = 0; i < nph; i++) {
        if ((double)t <= ends[i] || i == nph - 1) {
            double p = ((double)t - start) / (ends[i] - start);
            if (nd->shape == 1)
                return (to[i] - from[i]) * p + from[i];
            double c = cos(M_PI * p) + 1.0;
            return to[i] + (from[i] - to[i]) / 2.0 * c;
        }
        start = ends[i];
    }
    return mx; /* not reached */
}

/* Position inside a cosine-with-warm-restarts cycle: cycle index, step in cycle, cycle length. */
static void restart_pos(int64_t t, int64_t t0, int64_t mult, int64_t *cycle, int64_t *cur,
                        int64_t *len)
{
    if (mult == 1) {
        *cycle = t / t0; *cur = t % t0; *len = t0;
        return;
    }
    int64_t c = 0, ti = t0;
    while (t >= ti) {   /* O(log t): cycle lengths grow geometrically */
        t -= ti;
        ti *= mult;
        c++;
    }
    *cycle = c; *cur = t; *len = ti;
}

/* HF's linear warmup shared by every hf: schedule: t / max(1, W). */
static double hf_warm(int64_t t, int64_t w) { return (double)t / (double)imax(1, w); }

/* HF's cosine tail with a floor ratio (0 for plain cosine). */
static double hf_cos(double cycles, double progress, double rate)
{
    double f = 0.5 * (1.0 + cos(M_PI * cycles * 2.0 * progress));
    f = f * (1.0 - rate) + rate;
    return f > 0.0 ? f : 0.0;
}

static double plateau_lr(const wu_schedule *s, int p, double base)
{
    double cur = s->plat[p].lr; /* absolute LR for base == opts.lr */
    return base == s->opts.lr ? cur : base * (cur / s->opts.lr);
}

double wu__progress(const wu_node *nd, int64_t t)
{
    double x = (double)t / (double)nd->len;
    /* a re-planned remainder starts where the phase it continues was (replan.c); 0 + x is x,
       but the branch keeps the arithmetic of a phase that was never re-planned untouched */
    if (nd->x[3] != 0.0) x = nd->x[3] + (1.0 - nd->x[3]) * x;
    return x > 1.0 ? 1.0 : x;
}

double wu__hf_progress(const wu_node *nd, int64_t t)
{
    if (nd->rp_len > 0 && t >= nd->rp_at)
        return nd->rp_p0 + (1.0 - nd->rp_p0) * ((double)(t - nd->rp_at) / (double)nd->rp_len);
    int64_t w = nd->n[0], n = nd->n[1];
    switch (nd->kind) {
    case H_LINEAR: {
        double f = (double)(n - t) / (double)imax(1, n - w);
        return 1.0 - (f > 0.0 ? f : 0.0);
    }
    case H_POLY: return (double)(t - w) / (double)(n - w);
    case H_COS_WARM_MIN: {
        double dw = (double)w, dn = (double)n;
        return ((double)t - dw + 1.0) / (dn - dw > 1.0 ? dn - dw : 1.0);
    }
    case H_WSD: return (double)(t - w - nd->n[1]) / (double)imax(1, nd->n[2]);
    default: return (double)(t - w) / (double)imax(1, n - w); /* cosine, min-LR, restarts */
    }
}

double wu__eval(const wu_schedule *s, int i, int64_t t, double base)
{
    const wu_node *nd = &s->nodes[i];
    const int64_t *list = s->ints + nd->list_off;
    switch (nd->kind) {
    /* ---- native -------------------------------------------------------------------------- */
    case K_SEQ: {
        int64_t start = 0;
        for (int k = 0; k < nd->nkids; k++) {
            const wu_node *ph = &s->nodes[nd->kid[k]];
            int last = k == nd->nkids - 1;
            int64_t dur = ph->span > 0 ? ph->span : ph->len; /* a re-plan may cut a phase */
            if (last || dur == WU_FOREVER || t < start + dur) {
                int64_t u = t - start;
                if (ph->len != WU_FOREVER && u > ph->len) u = ph->len; /* hold the end level */
                return wu__eval(s, nd->kid[k], u, base);
            }
            start += dur;
        }
        return base;
    }
    case K_PROD: {
        double f = 1.0;
        for (int k = 0; k < nd->nkids; k++) f *= wu__eval(s, nd->kid[k], t, 1.0);
        return base * f;
    }
    case K_WARMUP: {
        double x = (double)(t + nd->n[0]) / (double)nd->len;
        if (x >= 1.0) return base;
        return base * (nd->x[0] + (1.0 - nd->x[0]) * wu__rise(nd->shape, x, nd->x[1]));
    }
    case K_CURVE: {
        if (nd->len == WU_FOREVER) return base * nd->x[0]; /* an unbounded constant */
        double x = wu__progress(nd, t);
        return base * (nd->x[1] + (nd->x[0] - nd->x[1]) * wu__fall(nd->shape, x, nd->x[2]));
    }
    case K_INVSQRT: return base * (1.0 / sqrt(((double)t + nd->x[0]) / nd->x[0]));
    case K_EXPDECAY: return base * nd->x[0] * powk(nd->x[1], nd->x[2], t / nd->n[0]);
    case K_STEPS:
        return base * nd->x[0] * powk(nd->x[1], nd->x[2], bisect_right(list, nd->list_len, t));
    case K_SGDR: {
        int64_t cyc, cur, len;
        restart_pos(t, nd->n[0], nd->n[1], &cyc, &cur, &len);
        double peak = powk(nd->x[1], nd->x[3], cyc), lo = nd->x[0];
        int64_t w = nd->n[2];
        if (cur < w) return base * (lo + (peak - lo) * (double)cur / (double)w);
        double x = (double)(cur - w) / (double)(len - w);
        return base * (lo + (peak - lo) * 0.5 * (1.0 + cos(M_PI * x)));
    }
    case K_RESTARTS: {
        double x = wu__progress(nd, t);
        if (x >= 1.0) return base * nd->x[1];
        double f = 0.5 * (1.0 + cos(M_PI * fmod(nd->x[2] * x, 1.0)));
        return base * (nd->x[1] + (nd->x[0] - nd->x[1]) * f);
    }
    case K_CYCLIC: return cyclic_lr(nd, nd->x[0] * base, base, t);
    case K_EXPTAU: return base * (1.0 - exp(-(double)(t + 1) / nd->x[0]));
    case K_RADAM: {
        /* RAdam's rectification (see shapes.c), with log(beta2) and rho_inf precomputed */
        double u = (double)(t + nd->n[0]), b2t = exp(nd->x[1] * u), ri = nd->x[2];
        double rho = ri - 2.0 * u * b2t / (1.0 - b2t);
        return base * sqrt((rho - 4.0) * (rho - 2.0) * ri / ((ri - 4.0) * (ri - 2.0) * rho));
    }
    case K_PLATEAU: return plateau_lr(s, (int)nd->n[0], base);

    /* ---- torch: PyTorch 1.13 closed forms ------------------------------------------------ */
    case T_STEP: return base * powk(nd->x[0], nd->x[1], t / nd->n[0]);
    case T_MULTISTEP:
        return base * powk(nd->x[0], nd->x[1], bisect_right(list, nd->list_len, t));
    case T_CONSTANT:
        return base * (nd->x[0] + (t >= nd->n[0] ? 1.0 - nd->x[0] : 0.0));
    case T_LINEAR:
        return base * (nd->x[0] + (nd->x[1] - nd->x[0]) * (double)imin(nd->n[0], t) /
                                      (double)nd->n[0]);
    case T_EXPONENTIAL: return base * powk(nd->x[0], nd->x[1], t);
    case T_POLY:
        return base * pow(1.0 - (double)imin(nd->n[0], t) / (double)nd->n[0], nd->x[0]);
    case T_COSINE:
        return nd->x[0] + (base - nd->x[0]) *
                              (1.0 + cos(M_PI * (double)t / (double)nd->n[0])) / 2.0;
    case T_WARMRESTARTS: {
        int64_t cyc, cur, len;
        restart_pos(t, nd->n[0], nd->n[1], &cyc, &cur, &len);
        return nd->x[0] + (base - nd->x[0]) *
                              (1.0 + cos(M_PI * (double)cur / (double)len)) / 2.0;
    }
    case T_CYCLIC: return cyclic_lr(nd, nd->x[0], nd->x[1], t);
    case T_ONECYCLE:
        if (nd->x[0] > 0.0) return onecycle_lr(nd, nd->x[0], t);
        /* native onecycle(): peak = base LR, and the end level holds after the last step */
        return onecycle_lr(nd, base, t < nd->n[0] ? t : nd->n[0] - 1);
    case T_SEQUENTIAL: {
        int64_t idx = bisect_right(list, nd->list_len, t);
        int64_t u = idx > 0 ? t - list[idx - 1] : t;
        return wu__eval(s, nd->kid[idx], u, base);
    }
    case T_CHAINED: {
        double f = 1.0;
        for (int k = 0; k < nd->nkids; k++) f *= wu__eval(s, nd->kid[k], t, 1.0);
        return base * f;
    }

    /* ---- hf: transformers lr_lambdas, times the group's base LR --------------------------- */
    case H_CONSTANT: return base;
    case H_CONST_WARMUP: return t < nd->n[0] ? base * hf_warm(t, nd->n[0]) : base;
    case H_LINEAR: {
        int64_t w = nd->n[0], n = nd->n[1];
        if (t < w) return base * hf_warm(t, w);
        double f = nd->rp_len > 0 && t >= nd->rp_at ? 1.0 - wu__hf_progress(nd, t)
                                                     : (double)(n - t) / (double)imax(1, n - w);
        return base * (f > 0.0 ? f : 0.0);
    }
    case H_COSINE:
    case H_COS_MIN: {
        int64_t w = nd->n[0];
        if (t < w) return base * hf_warm(t, w);
        return base * hf_cos(nd->x[0], wu__hf_progress(nd, t), nd->x[1]);
    }
    case H_RESTARTS: {
        int64_t w = nd->n[0];
        if (t < w) return base * hf_warm(t, w);
        double progress = wu__hf_progress(nd, t);
        if (progress >= 1.0) return base * 0.0;
        double f = 0.5 * (1.0 + cos(M_PI * fmod(nd->x[0] * progress, 1.0)));
        return base * (f > 0.0 ? f : 0.0);
    }
    case H_POLY: {
        int64_t w = nd->n[0], n = nd->n[1];
        double end = nd->x[0], power = nd->x[1], init = nd->x[2];
        if (t < w) return base * hf_warm(t, w);
        double pct;
        if (nd->rp_len > 0 && t >= nd->rp_at) {
            double p = wu__hf_progress(nd, t);
            if (p > 1.0) return base * (end / init);
            pct = 1.0 - p;
        } else {
            if (t > n) return base * (end / init);
            pct = 1.0 - (double)(t - w) / (double)(n - w);
        }
        return base * (((init - end) * pow(pct, power) + end) / init);
    }
    case H_INVSQRT: {
        int64_t w = nd->n[0], ts = nd->n[1];
        if (t < w) return base * hf_warm(t, w);
        return base * (1.0 / sqrt((double)(t + (ts - w)) / (double)ts));
    }
    case H_COS_WARM_MIN: {
        double w = (double)nd->n[0], ct = (double)t;
        if (ct < w) {
            if (!nd->n[2]) return base * ((ct + 1.0) / (w > 1.0 ? w : 1.0));
            double r = nd->x[2];
            return base * (r + (1.0 - r) * ct / (w - 1.0 > 1.0 ? w - 1.0 : 1.0));
        }
        return base * hf_cos(nd->x[0], wu__hf_progress(nd, t), nd->x[1]);
    }
    case H_WSD: {
        int64_t w = nd->n[0], st = nd->n[1], d = nd->n[2];
        double r = nd->x[0], f;
        if (t < w) {
            f = wu__rise(nd->shape, hf_warm(t, w), 0.0) * (1.0 - r) + r;
            return base * (f > 0.0 ? f : 0.0);
        }
        if (nd->rp_len > 0 && t >= nd->rp_at) { /* a re-planned decay (replan.c) */
            double x = wu__hf_progress(nd, t);
            if (x >= 1.0) return base * r;
            f = wu__fall((int)nd->n[3], x, nd->x[1]) * (1.0 - r) + r;
            return base * (f > 0.0 ? f : 0.0);
        }
        if (t < w + st) return base;
        if (t < w + st + d) {
            double x = (double)(t - w - st) / (double)imax(1, d);
            f = wu__fall((int)nd->n[3], x, nd->x[1]) * (1.0 - r) + r;
            return base * (f > 0.0 ? f : 0.0);
        }
        return base * r;
    }
    default: return base;
    }
}

/* Derived constants, computed once after binding so that evaluation does not repeat them. */
void wu__prepare(wu_schedule *s)
{
    for (int i = 0; i < s->nnodes; i++) {
        wu_node *nd = &s->nodes[i];
        switch (nd->kind) {
        case T_STEP: case T_MULTISTEP: case T_EXPONENTIAL: nd->x[1] = log(nd->x[0]); break;
        case K_EXPDECAY: case K_STEPS: nd->x[2] = log(nd->x[1]); break;
        case K_SGDR: nd->x[3] = log(nd->x[1]); break;
        case T_CYCLIC: case K_CYCLIC: nd->x[5] = log(nd->x[2]); break;
        case K_RADAM:
            nd->x[1] = log(nd->x[0]);
            nd->x[2] = 2.0 / (1.0 - nd->x[0]) - 1.0;
            break;
        default: break;
        }
    }
}

/* ---- public API -------------------------------------------------------------------------- */

double wu_sched_lr_at(const wu_schedule *s, int64_t step, double base_lr)
{
    if (step < 0) step = 0;
    if (step >= s->horizon) step = s->horizon - 1;
    return wu__eval(s, s->root, step, base_lr);
}

double wu_sched_lr(const wu_schedule *s, int64_t step)
{
    return wu_sched_lr_at(s, step, s->opts.lr);
}

void wu_sched_fill(const wu_schedule *s, double *out, size_t n, int64_t start)
{
    for (size_t i = 0; i < n; i++) /* steps past INT64_MAX are held there, not wrapped */
        out[i] = wu_sched_lr(s, (uint64_t)i > (uint64_t)(INT64_MAX - (start > 0 ? start : 0))
                                    ? INT64_MAX : start + (int64_t)i);
}

int64_t wu_sched_horizon(const wu_schedule *s) { return s->horizon; }
int64_t wu_sched_warmup_steps(const wu_schedule *s) { return s->warmup_end; }
double wu_sched_base_lr(const wu_schedule *s) { return s->opts.lr; }
const char *wu_sched_spec(const wu_schedule *s) { return s->spec; }

void wu_sched_destroy(wu_schedule *s)
{
    if (!s) return;
    free(s->spec);
    free(s);
}

void wu_sched_lrs(double *out, const wu_lr_group *g, int n, int64_t step)
{
    for (int i = 0; i < n; i++) {
        double base = g[i].base_lr > 0.0 ? g[i].base_lr : g[i].sched->opts.lr;
        double mult = g[i].mult != 0.0 ? g[i].mult : 1.0;
        out[i] = mult * wu_sched_lr_at(g[i].sched, step, base);
    }
}

/* ---- reduce-on-plateau (PyTorch ReduceLROnPlateau.step semantics) ------------------------- */

static int plateau_better(const wu_plateau *p, double a)
{
    if (!p->mode_max)
        return p->thr_abs ? a < p->best - p->threshold : a < p->best * (1.0 - p->threshold);
    return p->thr_abs ? a > p->best + p->threshold : a > p->best * (p->threshold + 1.0);
}

int wu_sched_observe(wu_schedule *s, double metric)
{
    int reduced = 0;
    for (int i = 0; i < s->nplat; i++) {
        wu_plateau *p = &s->plat[i];
        p->last_epoch++;
        if (plateau_better(p, metric)) {
            p->best = metric;
            p->num_bad = 0;
        } else {
            p->num_bad++;
        }
        if (p->cooldown_counter > 0) {
            p->cooldown_counter--;
            p->num_bad = 0; /* bad epochs in cooldown are ignored */
        }
        if (p->num_bad > p->patience) {
            double old = p->lr, nw = old * p->factor;
            if (nw < p->min_lr) nw = p->min_lr;
            if (old - nw > p->eps) {
                p->lr = nw;
                reduced++;
            }
            p->cooldown_counter = p->cooldown;
            p->num_bad = 0;
        }
    }
    return reduced;
}

int wu_sched_plateau_lrs(const wu_schedule *s, double *out, int n)
{
    for (int i = 0; i < s->nplat && i < n; i++) out[i] = s->plat[i].lr;
    return s->nplat;
}

wu_status wu_sched_set_plateau_lrs(wu_schedule *s, const double *lrs, int n, wu_error *err)
{
    if (n != s->nplat)
        return wu_fail(err, WU_EINVAL, "%d plateau LRs given for a schedule with %d plateau "
                       "node%s", n, s->nplat, s->nplat == 1 ? "" : "s");
    for (int i = 0; i < n; i++)
        if (!(lrs[i] >= 0) || !isfinite(lrs[i]))
            return wu_fail(err, WU_EINVAL, "plateau LR %d is %g: it must be finite and >= 0", i,
                           lrs[i]);
    for (int i = 0; i < n; i++) s->plat[i].lr = lrs[i];
    return WU_OK;
}

/* State layout: a magic word, the plateau count, then each plateau's five state fields. */
#define WU_STATE_MAGIC 0x57555354u /* "WUST" */

size_t wu_sched_state_size(const wu_schedule *s)
{
    if (s->nplat == 0) return 0;
    return 2 * sizeof(uint32_t) + (size_t)s->nplat * (2 * sizeof(double) + 3 * sizeof(int64_t));
}

static void set_err(wu_error *err, int code, const char *msg)
{
    if (!err) return;
    err->code = code;
    err->line = err->col = 0;
    strncpy(err->msg, msg, sizeof err->msg - 1);
    err->msg[sizeof err->msg - 1] = '\0';
}

wu_status wu_sched_state_save(const wu_schedule *s, void *buf, size_t size, wu_error *err)
{
    size_t need = wu_sched_state_size(s);
    if (size < need) {
        set_err(err, WU_EINVAL, "state buffer too small: use wu_sched_state_size()");
        return WU_EINVAL;
    }
    if (need == 0) return WU_OK;
    unsigned char *b = buf;
    uint32_t head[2] = {WU_STATE_MAGIC, (uint32_t)s->nplat};
    memcpy(b, head, sizeof head);
    b += sizeof head;
    for (int i = 0; i < s->nplat; i++) {
        const wu_plateau *p = &s->plat[i];
        double d[2] = {p->lr, p->best};
        int64_t n[3] = {p->num_bad, p->cooldown_counter, p->last_epoch};
        memcpy(b, d, sizeof d); b += sizeof d;
        memcpy(b, n, sizeof n); b += sizeof n;
    }
    return WU_OK;
}

wu_status wu_sched_state_load(wu_schedule *s, const void *buf, size_t size, wu_error *err)
{
    size_t need = wu_sched_state_size(s);
    if (need == 0) return WU_OK;
    const unsigned char *b = buf;
    uint32_t head[2];
    if (size < need) {
        set_err(err, WU_EIO, "schedule state is truncated");
        return WU_EIO;
    }
    memcpy(head, b, sizeof head);
    b += sizeof head;
    if (head[0] != WU_STATE_MAGIC || head[1] != (uint32_t)s->nplat) {
        set_err(err, WU_EIO, "schedule state does not belong to this spec");
        return WU_EIO;
    }
    for (int i = 0; i < s->nplat; i++) {
        wu_plateau *p = &s->plat[i];
        double d[2];
        int64_t n[3];
        memcpy(d, b, sizeof d); b += sizeof d;
        memcpy(n, b, sizeof n); b += sizeof n;
        p->lr = d[0]; p->best = d[1];
        p->num_bad = n[0]; p->cooldown_counter = n[1]; p->last_epoch = n[2];
    }
    return WU_OK;
}
