/* replan.c - a schedule for a new run length, from a given step, without a jump in the LR.
 *
 * The total number of steps of a run changes mid-run (open_clip#413, yolov5#4513). Parsing the
 * spec again with the new total moves every `10%` and every phase without a length, so the LR
 * jumps at the step where the change is made. wu_sched_replan() instead keeps the past as it
 * was and re-targets the future, phase by phase, in each sequence of a native spec:
 *
 *   - phases that ended before `at`, and a warmup in progress, keep their lengths (a warmup
 *     that is done stays done; one in progress ends where it would have);
 *   - a stable phase (`constant`, in progress or still to come) absorbs the change first: WSD
 *     (`warmup > constant > sqrt(20%)`) keeps its cooldown length and moves it to the new end;
 *   - otherwise the decay (`linear`, `cosine`, `poly`, `sqrt`, `restarts`) in progress or
 *     still to come is stretched or squeezed: one in progress continues from where it is (its
 *     progress p at `at`) to its own end level over the new remainder, so cosine and linear
 *     keep their end value and the LR at `at` is the old one bit for bit;
 *   - phases that do not depend on the run length (exp, step, invsqrt, cyclic, sgdr, ...)
 *     are kept as they are.
 * A re-planned phase in progress is split in two nodes: the part before `at` (cut short by
 * wu_node.span, evaluated exactly as before) and the remainder (wu_node.x3 = p). */
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "sched_impl.h"

/* A decay whose end depends on the run: what a re-plan stretches. */
static int is_decay(const wu_node *nd)
{
    return (nd->kind == K_CURVE && nd->shape != S_CONST && nd->len != WU_FOREVER) ||
           nd->kind == K_RESTARTS;
}

static int is_stable(const wu_node *nd)
{
    return nd->kind == K_CURVE && nd->shape == S_CONST && nd->len != WU_FOREVER;
}

/* Re-plan sequence `seq` of n so that its phases after `at` take `delta` more steps (fewer
 * when negative). */
static wu_status replan_seq(wu_schedule *n, int seq, int64_t at, int64_t delta, int64_t total,
                            wu_error *err)
{
    wu_node *sq = &n->nodes[seq];
    int a = sq->nkids - 1;
    int64_t start = 0, a_start = 0;
    for (int k = 0; k < sq->nkids; k++) {
        const wu_node *ph = &n->nodes[sq->kid[k]];
        int64_t dur = ph->span > 0 ? ph->span : ph->len;
        if (dur == WU_FOREVER || at < start + dur || k == sq->nkids - 1) {
            a = k;
            a_start = start;
            break;
        }
        start += dur;
    }
    int64_t u0 = at - a_start; /* the active phase's local step */
    if (delta == 0) return WU_OK;
    /* 1. a stable phase, in progress or to come */
    for (int k = a; k < sq->nkids && delta != 0; k++) {
        wu_node *ph = &n->nodes[sq->kid[k]];
        if (!is_stable(ph) || ph->span > 0) continue;
        int64_t min = k == a ? u0 : 0;
        int64_t len = ph->len + delta < min ? min : ph->len + delta;
        delta -= len - ph->len;
        ph->len = len;
        break;
    }
    if (delta == 0) return WU_OK;
    /* 2. the last decay, in progress or to come */
    int d = -1;
    for (int k = a; k < sq->nkids; k++)
        if (is_decay(&n->nodes[sq->kid[k]]) && n->nodes[sq->kid[k]].span == 0) d = k;
    if (d < 0) {
        /* nothing ends with the run: longer, the LR holds as past any end; shorter, it is
           fine as long as the phases end by the new end (untuned(...) in a product) */
        int64_t end = 0;
        for (int k = 0; k < sq->nkids; k++) {
            const wu_node *ph = &n->nodes[sq->kid[k]];
            int64_t dur = ph->span > 0 ? ph->span : ph->len;
            if (dur != WU_FOREVER) end += dur;
        }
        if (delta > 0 || end <= total) return WU_OK;
        return wu_fail(err, WU_EINVAL, "replan: the schedule cannot end by step %lld: no stable "
                       "or decay phase after step %lld can be shortened; give a later end "
                       "(total_steps)", (long long)total, (long long)at);
    }
    wu_node *ph = &n->nodes[sq->kid[d]];
    if (d > a) {
        if (ph->len + delta < 1)
            return wu_fail(err, WU_EINVAL, "replan: the schedule cannot end by step %lld: its "
                           "decay would have no step left; give a later end (total_steps)",
                           (long long)total);
        ph->len += delta;
        return WU_OK;
    }
    /* the decay in progress: continue from its progress at u0 over the new remainder */
    int64_t rest = (u0 < ph->len ? ph->len - u0 : 0) + delta;
    if (rest < 1)
        return wu_fail(err, WU_EINVAL, "replan: the schedule cannot end by step %lld: the decay "
                       "in progress at step %lld needs at least one more step; give a later end "
                       "(total_steps)", (long long)total, (long long)at);
    if (u0 == 0) { /* not started: only its length changes */
        ph->len = rest;
        return WU_OK;
    }
    if (n->nnodes >= WU_MAX_NODES || sq->nkids >= WU_MAX_KIDS)
        return wu_fail(err, WU_ERANGE, "replan: the schedule has too many parts for another "
                       "re-plan (at most %d nodes, %d phases per sequence)", WU_MAX_NODES,
                       WU_MAX_KIDS);
    double p = wu__progress(ph, u0 < ph->len ? u0 : ph->len);
    int tail = n->nnodes++;
    n->nodes[tail] = *ph;
    n->nodes[tail].len = rest;
    n->nodes[tail].span = 0;
    n->nodes[tail].x[3] = p;
    ph->span = u0; /* the part before `at`, unchanged */
    memmove(&sq->kid[d + 2], &sq->kid[d + 1], sizeof(int) * (size_t)(sq->nkids - d - 1));
    sq->kid[d + 1] = tail;
    sq->nkids++;
    return WU_OK;
}

/* An hf: schedule (one node): HF's decays re-targeted the same way. Those that do not depend
 * on the run length (constant, constant_with_warmup, inverse_sqrt) are kept. */
static wu_status replan_hf(wu_node *nd, int64_t at, int64_t delta, int64_t total, wu_error *err)
{
    int64_t w = nd->n[0];
    switch (nd->kind) {
    case H_CONSTANT: case H_CONST_WARMUP: case H_INVSQRT: return WU_OK;
    case H_LINEAR: case H_COSINE: case H_COS_MIN: case H_RESTARTS: case H_POLY:
    case H_COS_WARM_MIN: case H_WSD: break;
    default:
        return wu_fail(err, WU_EINVAL, "replan: this Hugging Face schedule cannot be re-planned; "
                       "parse it again over the new length");
    }
    int wsd = nd->kind == H_WSD;
    int64_t start = wsd ? w + nd->n[1] : w; /* where the decay starts */
    if (nd->rp_len == 0 && at < start) {
        if (wsd) { /* the stable phase first, as the native WSD */
            int64_t min = at > w ? at - w : 0;
            int64_t st = nd->n[1] + delta < min ? min : nd->n[1] + delta;
            delta -= st - nd->n[1];
            nd->n[1] = st;
            if (nd->n[2] + delta < 1)
                return wu_fail(err, WU_EINVAL, "replan: the schedule cannot end by step %lld: its "
                               "decay would have no step left; give a later end (total_steps)",
                               (long long)total);
            nd->n[2] += delta;
            return WU_OK;
        }
        if (nd->n[1] + delta <= w)
            return wu_fail(err, WU_EINVAL, "replan: the schedule cannot end by step %lld: its "
                           "warmup lasts %lld steps; give a later end (total_steps)",
                           (long long)total, (long long)w);
        nd->n[1] += delta; /* num_training_steps: the decay has not started */
        return WU_OK;
    }
    int64_t end = nd->rp_len > 0 ? nd->rp_at + nd->rp_len
                : wsd ? w + nd->n[1] + nd->n[2] : nd->n[1];
    if (end + delta - at < 1)
        return wu_fail(err, WU_EINVAL, "replan: the schedule cannot end by step %lld: the decay "
                       "in progress at step %lld needs at least one more step; give a later end "
                       "(total_steps)", (long long)total, (long long)at);
    nd->rp_p0 = wu__hf_progress(nd, at);
    nd->rp_len = end + delta - at;
    nd->rp_at = at;
    return WU_OK;
}

wu_status wu_sched_replan(wu_schedule **out, const wu_schedule *s, int64_t at,
                          int64_t total_steps, wu_error *err)
{
    wu_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    if (out) *out = NULL;
    if (!out || !s) return wu_fail(err, WU_EINVAL, "wu_sched_replan: NULL argument");
    const wu_node *root = &s->nodes[s->root];
    int hf = root->kind >= H_CONSTANT;
    if (root->kind != K_SEQ && root->kind != K_PROD && !hf)
        return wu_fail(err, WU_EINVAL, "replan: '%s' cannot be re-planned: a torch: spec fixes "
                       "its own lengths (and a plateau has none); write it natively (e.g. "
                       "warmup(W) > cosine) or parse it again over the new length", s->spec);
    if (s->opts.total_steps <= 0)
        return wu_fail(err, WU_EINVAL, "replan: the schedule was built without a run length "
                       "(total_steps), so there is no end to move");
    if (at < 0 || at < s->replanned_at)
        return wu_fail(err, WU_EINVAL, "replan: step %lld is before %s (a re-plan keeps the past)",
                       (long long)at, at < 0 ? "the first step" : "the last re-plan's step");
    if (total_steps <= at)
        return wu_fail(err, WU_EINVAL, "replan: the new run length (total_steps %lld) must be "
                       "greater than the step it starts from (%lld)", (long long)total_steps,
                       (long long)at);
    wu_schedule *n = malloc(sizeof *n);
    char *spec = malloc(strlen(s->spec) + 1);
    if (!n || !spec) {
        free(n);
        free(spec);
        return wu_fail(err, WU_ENOMEM, "out of memory");
    }
    *n = *s;
    n->spec = spec;
    strcpy(n->spec, s->spec);
    int64_t delta = total_steps - s->opts.total_steps;
    wu_status rc = WU_OK;
    if (hf) {
        rc = replan_hf(&n->nodes[n->root], at, delta, total_steps, err);
    } else if (root->kind == K_SEQ) {
        rc = replan_seq(n, n->root, at, delta, total_steps, err);
    } else {
        /* every factor of a product spans the whole run: each is re-planned alike */
        for (int k = 0; k < root->nkids && rc == WU_OK; k++)
            rc = replan_seq(n, root->kid[k], at, delta, total_steps, err);
    }
    if (rc != WU_OK) {
        wu_sched_destroy(n);
        return rc;
    }
    n->opts.total_steps = total_steps;
    n->replanned_at = at;
    *out = n;
    return WU_OK;
}
