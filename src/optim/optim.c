/* optim.c - SGD, Adam, AdamW and RAdam as PyTorch 1.13 computes them, over a flat float32 buffer.
 *
 * Each kernel follows the operation order of torch/optim/{sgd,adam,adamw,radam}.py's
 * single-tensor functions (PyTorch's default on CPU), with Python scalars rounded to float32
 * where PyTorch's kernels round them, so trajectories agree to float32 rounding
 * (tests/test_optim.c states the bound). The loop is fused (one pass reads p, g and the state
 * once), runs chunks in parallel with OpenMP, allocates nothing, and computes its diagnostics
 * only when asked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim_impl.h"
#include "../util/fail.h"
#include "../util/mem.h"

static int oerr(wu_error *err, int code, const char *msg)
{
    return wu_fail(err, code, "%s", msg);
}

void wu_optim_defaults(wu_optim_config *c, wu_optim_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->lr = 1e-3;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->weight_decay = kind == WU_OPT_ADAMW ? 1e-2 : 0.0;
}

/* The two options of issue 18 (GI-Adam, bias correction off), for the Adam family. */
static wu_status check_gi(const wu_optim_config *c, wu_error *err)
{
    char m[200];
    if (c->v_init != WU_ADAM_INIT_ZERO && c->v_init != WU_ADAM_INIT_GRAD) {
        snprintf(m, sizeof m, "optimizer: invalid v_init %d (use WU_ADAM_INIT_ZERO or "
                 "WU_ADAM_INIT_GRAD)", (int)c->v_init);
        return oerr(err, WU_EINVAL, m);
    }
    if (c->no_bias_correction != 0 && c->no_bias_correction != 1) {
        snprintf(m, sizeof m, "optimizer: invalid no_bias_correction %d (must be 0 or 1)",
                 c->no_bias_correction);
        return oerr(err, WU_EINVAL, m);
    }
    return WU_OK;
}

wu_status wu_optim_check(const wu_optim_config *c, wu_error *err)
{
    char m[200];
    if (c->kind < WU_OPT_SGD || c->kind > WU_OPT_RADAM)
        return oerr(err, WU_EINVAL, "optimizer: unknown kind (use sgd, adam, adamw or radam)");
    if (!(c->lr >= 0.0) || !isfinite(c->lr)) {
        snprintf(m, sizeof m, "optimizer: invalid learning rate %g (must be >= 0 and finite)", c->lr);
        return oerr(err, WU_EINVAL, m);
    }
    if (!(c->weight_decay >= 0.0) || !isfinite(c->weight_decay)) {
        snprintf(m, sizeof m, "optimizer: invalid weight_decay %g (must be >= 0)", c->weight_decay);
        return oerr(err, WU_EINVAL, m);
    }
    if (c->kind == WU_OPT_SGD) {
        if (!(c->momentum >= 0.0) || !isfinite(c->momentum)) {
            snprintf(m, sizeof m, "optimizer: invalid momentum %g (must be >= 0)", c->momentum);
            return oerr(err, WU_EINVAL, m);
        }
        if (!isfinite(c->dampening))
            return oerr(err, WU_EINVAL, "optimizer: dampening must be finite");
        if (c->nesterov && (c->momentum <= 0.0 || c->dampening != 0.0))
            return oerr(err, WU_EINVAL,
                        "optimizer: nesterov momentum requires a momentum > 0 and zero dampening");
        if (c->amsgrad) return oerr(err, WU_EINVAL, "optimizer: amsgrad is for Adam and AdamW");
        if (c->v_init != WU_ADAM_INIT_ZERO)
            return oerr(err, WU_EINVAL, "optimizer: v_init (GI-Adam) is for Adam, AdamW and RAdam, "
                                        "not SGD");
        if (c->no_bias_correction)
            return oerr(err, WU_EINVAL, "optimizer: no_bias_correction is for Adam, AdamW and "
                                        "RAdam, not SGD");
        return WU_OK;
    }
    if (!(c->beta1 >= 0.0 && c->beta1 < 1.0)) {
        snprintf(m, sizeof m, "optimizer: invalid beta1 %g (must be in [0, 1))", c->beta1);
        return oerr(err, WU_EINVAL, m);
    }
    if (!(c->beta2 >= 0.0 && c->beta2 < 1.0)) {
        snprintf(m, sizeof m, "optimizer: invalid beta2 %g (must be in [0, 1))", c->beta2);
        return oerr(err, WU_EINVAL, m);
    }
    if (!(c->eps > 0.0) || !isfinite(c->eps)) {
        snprintf(m, sizeof m, "optimizer: invalid eps %g (must be > 0)", c->eps);
        return oerr(err, WU_EINVAL, m);
    }
    if (c->amsgrad && c->kind == WU_OPT_RADAM)
        return oerr(err, WU_EINVAL, "optimizer: amsgrad is for Adam and AdamW, not RAdam");
    return check_gi(c, err);
}

int wu_optim_split_decay(int *view_group, const wu_param_view *views, int nviews)
{
    int decayed = 0;
    for (int i = 0; i < nviews; i++) {
        const char *nm = views[i].name ? views[i].name : "";
        int vector = views[i].ndim < 2 || strstr(nm, "bias") || strstr(nm, "ln") ||
                     strstr(nm, "norm");
        view_group[i] = vector ? 1 : 0;
        decayed += !vector;
    }
    return decayed;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static int cmp_view(const void *a, const void *b)
{
    const size_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

wu_status wu_optim_create(wu_optim **out, const wu_optim_config *cfg, size_t n,
                          const wu_param_view *views, int nviews, const int *view_group,
                          const wu_optim_config *groups, int ngroups, wu_error *err)
{
    char m[240];
    int rc;
    *out = NULL;
    if ((rc = wu_optim_check(cfg, err)) != WU_OK) return rc;
    if (n == 0) return oerr(err, WU_EINVAL, "optimizer: no parameters");
    if (!views) ngroups = groups ? ngroups : 1;
    if (ngroups < 1) ngroups = 1;
    if (ngroups > WU_OPTIM_MAX_GROUPS) {
        snprintf(m, sizeof m, "optimizer: %d groups, at most %d", ngroups, WU_OPTIM_MAX_GROUPS);
        return oerr(err, WU_EINVAL, m);
    }
    wu_optim *o = calloc(1, sizeof *o);
    if (!o) return oerr(err, WU_ENOMEM, "optimizer: out of memory");
    o->cfg = *cfg;
    o->n = n;
    o->ngroups = ngroups;
    for (int g = 0; g < ngroups; g++) {
        o->groups[g].hp = groups ? groups[g] : *cfg;
        if (groups && groups[g].kind != cfg->kind) {
            snprintf(m, sizeof m, "optimizer: group %d has another kind than the optimizer", g);
            wu_optim_destroy(o);
            return oerr(err, WU_EINVAL, m);
        }
        wu_error ge;
        if ((rc = wu_optim_check(&o->groups[g].hp, &ge)) != WU_OK) {
            snprintf(m, sizeof m, "group %d: %.200s", g, ge.msg);
            wu_optim_destroy(o);
            return oerr(err, rc, m);
        }
    }

    /* views sorted by offset, checked for bounds and overlap, then cut into chunks */
    int nv = views ? nviews : 1;
    size_t (*sv)[3] = malloc(sizeof *sv * (size_t)(nv > 0 ? nv : 1));
    if (!sv) {
        wu_optim_destroy(o);
        return oerr(err, WU_ENOMEM, "optimizer: out of memory");
    }
    for (int i = 0; i < nv; i++) {
        sv[i][0] = views ? views[i].offset : 0;
        sv[i][1] = views ? views[i].numel : n;
        sv[i][2] = views ? (size_t)(view_group ? view_group[i] : 0) : 0;
        if (sv[i][2] >= (size_t)ngroups || sv[i][0] + sv[i][1] > n || sv[i][0] + sv[i][1] < sv[i][0]) {
            snprintf(m, sizeof m, "optimizer: view %d (%s) %s", i,
                     views && views[i].name ? views[i].name : "?",
                     sv[i][2] >= (size_t)ngroups ? "names a group that does not exist"
                                                 : "lies outside the parameter buffer");
            free(sv);
            wu_optim_destroy(o);
            return oerr(err, WU_EINVAL, m);
        }
    }
    qsort(sv, (size_t)nv, sizeof *sv, cmp_view);
    size_t nchunks = 0;
    for (int i = 0; i < nv; i++) {
        if (i > 0 && sv[i][0] < sv[i - 1][0] + sv[i - 1][1]) {
            free(sv);
            wu_optim_destroy(o);
            return oerr(err, WU_EINVAL, "optimizer: two parameter views overlap");
        }
        nchunks += (sv[i][1] + WU_CHUNK - 1) / WU_CHUNK;
    }
    o->chunks = malloc(sizeof *o->chunks * (nchunks ? nchunks : 1));
    o->cstats = malloc(sizeof *o->cstats * (nchunks ? nchunks : 1));
    if (!o->chunks || !o->cstats) {
        free(sv);
        wu_optim_destroy(o);
        return oerr(err, WU_ENOMEM, "optimizer: out of memory");
    }
    for (int i = 0; i < nv; i++)
        for (size_t off = 0; off < sv[i][1]; off += WU_CHUNK) {
            wu_chunk *c = &o->chunks[o->nchunks++];
            c->off = sv[i][0] + off;
            c->len = sv[i][1] - off < WU_CHUNK ? sv[i][1] - off : WU_CHUNK;
            c->group = (int)sv[i][2];
        }
    free(sv);

    /* state, zeroed as PyTorch's torch.zeros_like */
    int adam = cfg->kind != WU_OPT_SGD, ams = 0, mom = 0;
    for (int g = 0; g < ngroups; g++) {
        ams |= o->groups[g].hp.amsgrad;
        mom |= o->groups[g].hp.momentum != 0.0;
    }
    /* mapped now, not at the first update (mem.h: page faults are dear) */
    if ((adam && (!(o->m = wu_calloc_mapped(n, sizeof(float))) ||
                  !(o->v = wu_calloc_mapped(n, sizeof(float))))) ||
        (ams && !(o->vmax = wu_calloc_mapped(n, sizeof(float)))) ||
        (!adam && mom && !(o->buf = wu_calloc_mapped(n, sizeof(float))))) {
        wu_optim_destroy(o);
        return oerr(err, WU_ENOMEM, "optimizer: out of memory for its state");
    }
    *out = o;
    return WU_OK;
}

void wu_optim_destroy(wu_optim *o)
{
    if (!o) return;
    free(o->chunks);
    free(o->cstats);
    free(o->m);
    free(o->v);
    free(o->vmax);
    free(o->buf);
    free(o);
}

void wu_optim_set_schedule(wu_optim *o, const wu_schedule *s)
{
    for (int g = 0; g < o->ngroups; g++) o->groups[g].sched = s;
}

void wu_optim_set_group_schedule(wu_optim *o, int g, const wu_schedule *s)
{
    if (g >= 0 && g < o->ngroups) o->groups[g].sched = s;
}

int64_t wu_optim_steps(const wu_optim *o) { return o->step; }

double wu_optim_lr(const wu_optim *o, int g)
{
    if (g < 0 || g >= o->ngroups) return 0.0;
    const wu_ogroup *gr = &o->groups[g];
    return gr->sched ? wu_sched_lr_at(gr->sched, o->step, gr->hp.lr) : gr->hp.lr;
}

/* ---- the update ---------------------------------------------------------------------------- */

/* Scalars of one group for this step, in the precision PyTorch's kernels use them. */
typedef struct coefs {
    int kind, amsgrad, nesterov, has_mom, has_wd, adaptive;
    int gi_first;                         /* GI-Adam's first update: v_0 = g^2 first */
    float lr, neg_lr, wd, decay_mul;      /* decay_mul: AdamW's 1 - lr * wd */
    float b1, omb1, b2, omb2, eps;        /* betas and 1 - betas */
    float bc2_sqrt, step_size;            /* Adam: sqrt(1 - b2^t), lr / (1 - b1^t) */
    float bc1, rect, sqrt_bc2;            /* RAdam */
    float mom, omdamp;                    /* SGD: momentum, 1 - dampening */
    double bc2;                           /* for the diagnostics */
    double radam_rho, radam_rect;
} coefs;

static void make_coefs(const wu_optim *o, int g, double lr, int64_t t, coefs *c)
{
    const wu_optim_config *h = &o->groups[g].hp;
    memset(c, 0, sizeof *c);
    c->kind = h->kind;
    c->amsgrad = h->amsgrad;
    c->nesterov = h->nesterov;
    c->has_mom = h->momentum != 0.0;
    c->has_wd = h->weight_decay != 0.0;
    c->lr = (float)lr;
    c->neg_lr = (float)-lr;
    c->wd = (float)h->weight_decay;
    c->decay_mul = (float)(1.0 - lr * h->weight_decay);
    c->b1 = (float)h->beta1;
    c->omb1 = (float)(1.0 - h->beta1);
    c->b2 = (float)h->beta2;
    c->omb2 = (float)(1.0 - h->beta2);
    c->eps = (float)h->eps;
    c->mom = (float)h->momentum;
    c->omdamp = (float)(1.0 - h->dampening);
    double step = (double)t;              /* PyTorch's step count after `step_t += 1` */
    double bc1 = 1.0 - pow(h->beta1, step), bc2 = 1.0 - pow(h->beta2, step);
    double rho_bc2 = bc2;                 /* RAdam's rho_t keeps the true 1 - beta2^t */
    /* no bias correction: both corrections are 1, so the kernels' divisions by them and
       multiplications with them are exact and change nothing */
    if (h->no_bias_correction) bc1 = bc2 = 1.0;
    c->gi_first = h->kind != WU_OPT_SGD && h->v_init == WU_ADAM_INIT_GRAD && t == 1;
    c->bc2 = bc2;
    c->step_size = (float)(lr / bc1);
    c->bc2_sqrt = (float)sqrt(bc2);
    c->bc1 = (float)bc1;
    c->sqrt_bc2 = (float)sqrt(bc2);
    if (h->kind == WU_OPT_RADAM) {
        double rho_inf = 2.0 / (1.0 - h->beta2) - 1.0;
        double rho_t = rho_inf - 2.0 * step * pow(h->beta2, step) / rho_bc2;
        c->radam_rho = rho_t;
        c->adaptive = rho_t > 5.0;
        if (c->adaptive)
            c->radam_rect = sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                 ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
        c->rect = (float)c->radam_rect;
    }
}

/* The hot loops, one per update rule, written straight so that compilers vectorise them
 * (no branch inside, restrict pointers). Where PyTorch's CPU kernels fuse a multiply-add
 * (add_ with alpha, addcmul_) the loops call fmaf, which rounds once exactly as they do;
 * everything else rounds per operation (ISO C mode: no contraction). target_clones builds an
 * x86-64-v3 (AVX2 + FMA) version next to the baseline one and picks it at load time; both give
 * the same bits, since fmaf is exact in either. Statistics are a separate pass (diag_chunk). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define WU_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define WU_CLONES
#endif

/* Loop bodies take their switches as constants: each caller below passes literals, so the
 * compiler builds one branch-free, vectorisable loop per combination. */
#define WU_INLINE static inline __attribute__((always_inline))

WU_INLINE void sgd_body(const coefs *c, float *restrict p, const float *restrict gr,
                        float *restrict buf, size_t n, const int wd_on, const int mom_on,
                        const int ready, const int nest)
{
    const float wd = c->wd, mom = c->mom, omd = c->omdamp, nlr = c->neg_lr;
    for (size_t i = 0; i < n; i++) {
        float g = gr[i];
        if (wd_on) g = fmaf(p[i], wd, g);                 /* grad.add(param, alpha=wd) */
        if (mom_on) {
            float b = ready ? fmaf(g, omd, buf[i] * mom) : g; /* buf.mul_(m).add_(g, 1-damp);
                                                                 the first step clones */
            buf[i] = b;
            g = nest ? fmaf(b, mom, g) : b;               /* nesterov: d_p.add(buf, alpha=m) */
        }
        p[i] = fmaf(g, nlr, p[i]);                        /* param.add_(d_p, alpha=-lr) */
    }
}

WU_CLONES
static void sgd_loop(const coefs *c, float *restrict p, const float *restrict gr,
                     float *restrict buf, int ready, size_t n)
{
    int code = c->has_wd | c->has_mom << 1 | ready << 2 | c->nesterov << 3;
    switch (code) {
    case 0: sgd_body(c, p, gr, buf, n, 0, 0, 0, 0); break;
    case 1: sgd_body(c, p, gr, buf, n, 1, 0, 0, 0); break;
    case 4: sgd_body(c, p, gr, buf, n, 0, 0, 1, 0); break;
    case 5: sgd_body(c, p, gr, buf, n, 1, 0, 1, 0); break;
    case 2: sgd_body(c, p, gr, buf, n, 0, 1, 0, 0); break;
    case 3: sgd_body(c, p, gr, buf, n, 1, 1, 0, 0); break;
    case 6: sgd_body(c, p, gr, buf, n, 0, 1, 1, 0); break;
    case 7: sgd_body(c, p, gr, buf, n, 1, 1, 1, 0); break;
    case 10: sgd_body(c, p, gr, buf, n, 0, 1, 0, 1); break;
    case 11: sgd_body(c, p, gr, buf, n, 1, 1, 0, 1); break;
    case 14: sgd_body(c, p, gr, buf, n, 0, 1, 1, 1); break;
    default: sgd_body(c, p, gr, buf, n, 1, 1, 1, 1); break;
    }
}

/* Adam and AdamW, with or without amsgrad; l2: Adam's weight decay added to the gradient,
 * decoupled: AdamW's shrinking of the weights. */
WU_INLINE void adam_body(const coefs *c, float *restrict p, const float *restrict gr,
                         float *restrict m, float *restrict v, float *restrict vmax, size_t n,
                         const int l2, const int decoupled, const int ams)
{
    const float b1 = c->b1, omb1 = c->omb1, b2 = c->b2, omb2 = c->omb2, eps = c->eps;
    const float bc2s = c->bc2_sqrt, nss = -c->step_size, wd = c->wd, dm = c->decay_mul;
    for (size_t i = 0; i < n; i++) {
        float w = p[i], g = gr[i];
        if (l2) g = fmaf(w, wd, g);              /* Adam: grad.add(param, alpha=wd) */
        if (decoupled) w = w * dm;               /* AdamW: param.mul_(1 - lr * wd) */
        float mm = fmaf(g, omb1, m[i] * b1);     /* exp_avg.mul_(b1).add_(g, alpha=1-b1) */
        float vv = fmaf(omb2 * g, g, v[i] * b2); /* exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2) */
        m[i] = mm;
        v[i] = vv;
        if (ams) {                               /* torch.maximum(max_exp_avg_sq, exp_avg_sq) */
            vv = vmax[i] > vv ? vmax[i] : vv;
            vmax[i] = vv;
        }
        float denom = sqrtf(vv) / bc2s + eps;    /* (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps) */
        p[i] = w + (nss * mm) / denom;           /* param.addcdiv_(exp_avg, denom, -step_size) */
    }
}

WU_CLONES
static void adam_loop(const coefs *c, float *restrict p, const float *restrict gr,
                      float *restrict m, float *restrict v, float *restrict vmax, size_t n)
{
    int adamw = c->kind == WU_OPT_ADAMW, l2 = !adamw && c->has_wd;
    int code = l2 | adamw << 1 | c->amsgrad << 2;
    switch (code) {
    case 0: adam_body(c, p, gr, m, v, vmax, n, 0, 0, 0); break;
    case 1: adam_body(c, p, gr, m, v, vmax, n, 1, 0, 0); break;
    case 2: adam_body(c, p, gr, m, v, vmax, n, 0, 1, 0); break;
    case 4: adam_body(c, p, gr, m, v, vmax, n, 0, 0, 1); break;
    case 5: adam_body(c, p, gr, m, v, vmax, n, 1, 0, 1); break;
    default: adam_body(c, p, gr, m, v, vmax, n, 0, 1, 1); break;
    }
}

WU_INLINE void radam_body(const coefs *c, float *restrict p, const float *restrict gr,
                          float *restrict m, float *restrict v, size_t n, const int l2,
                          const int adaptive)
{
    const float b1 = c->b1, omb1 = c->omb1, b2 = c->b2, omb2 = c->omb2, eps = c->eps;
    const float bc1 = c->bc1, lr = c->lr, sbc2 = c->sqrt_bc2, rect = c->rect, wd = c->wd;
    for (size_t i = 0; i < n; i++) {
        float w = p[i], g = gr[i];
        if (l2) g = fmaf(w, wd, g);
        float mm = fmaf(g, omb1, m[i] * b1);
        float vv = fmaf(omb2 * g, g, v[i] * b2);
        m[i] = mm;
        v[i] = vv;
        float bcm = mm / bc1;                    /* exp_avg / bias_correction1 */
        float upd = bcm * lr;
        if (adaptive) {
            /* sqrt(bc2) / (sqrt(v) + eps): PyTorch evaluates scalar / tensor as
               reciprocal(tensor) * scalar */
            float ad = (1.0f / (sqrtf(vv) + eps)) * sbc2;
            upd = upd * ad * rect;
        }
        p[i] = w - upd;                          /* param.add_(..., alpha=-1.0) */
    }
}

WU_CLONES
static void radam_loop(const coefs *c, float *restrict p, const float *restrict gr,
                       float *restrict m, float *restrict v, size_t n)
{
    switch (c->has_wd | c->adaptive << 1) {
    case 0: radam_body(c, p, gr, m, v, n, 0, 0); break;
    case 1: radam_body(c, p, gr, m, v, n, 1, 0); break;
    case 2: radam_body(c, p, gr, m, v, n, 0, 1); break;
    default: radam_body(c, p, gr, m, v, n, 1, 1); break;
    }
}

/* Diagnostics of one chunk, from the parameters before (old) and after (p) the update and the
 * second moment the update divided by: squared norms, and the bias-corrected v's mean, range
 * and tiny fraction. One pass over 32 float lanes (four 8-wide vectors, so the adds do not wait
 * on each other); a lane sums at most 256 values, ample precision for a diagnostic. Lanes are
 * combined in double, in order. The lanes are the code's, not the instruction set's: the AVX2
 * clone runs each 8-wide vector as one register, the baseline one as two, with the same sums,
 * so the statistics are the same bits on any x86-64. */
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

/* macros, not functions: a function returning a 32-byte vector has another ABI with AVX than
 * without, which the baseline clone must not depend on */
#define LOAD8(dst, src) memcpy(&(dst), (src), sizeof(v8f))
#define PICK8(mask, a, b) ((v8f)(((v8i)(a) & (mask)) | ((v8i)(b) & ~(mask))))

WU_CLONES
static void diag_chunk(const coefs *c, const float *restrict old, const float *restrict p,
                       const float *restrict v, size_t n, wu_chunk_stats *st)
{
    const float ib = (float)(1.0 / c->bc2), e2 = c->eps * c->eps;
    const v8f inv_bc2 = {ib, ib, ib, ib, ib, ib, ib, ib}, eps2 = {e2, e2, e2, e2, e2, e2, e2, e2};
    const v8f one = {1, 1, 1, 1, 1, 1, 1, 1}, zero = {0};
    const v8f inf = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    v8f u2[4] = {0}, w2[4] = {0}, vs[4] = {0}, vt[4] = {0}, vmn[4] = {inf, inf, inf, inf};
    v8f vmx[4] = {0};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++) {
            v8f o, d, vh;
            LOAD8(o, old + i + 8 * k);
            LOAD8(d, p + i + 8 * k);
            d -= o;
            u2[k] += d * d;
            w2[k] += o * o;
            if (v) {
                LOAD8(vh, v + i + 8 * k);
                vh *= inv_bc2;
                vs[k] += vh;
                vmn[k] = PICK8(vh < vmn[k], vh, vmn[k]);
                vmx[k] = PICK8(vh > vmx[k], vh, vmx[k]);
                vt[k] += PICK8(vh < eps2, one, zero);
            }
        }
    wu_chunk_stats s = {.vmin = INFINITY};
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 8; j++) {
            s.upd2 += u2[k][j];
            s.w2 += w2[k][j];
            s.vsum += vs[k][j];
            s.vtiny += vt[k][j];
            if (vmn[k][j] < s.vmin) s.vmin = vmn[k][j];
            if (vmx[k][j] > s.vmax) s.vmax = vmx[k][j];
        }
    for (; i < n; i++) { /* the tail */
        double d = (double)p[i] - old[i];
        s.upd2 += d * d;
        s.w2 += (double)old[i] * old[i];
        if (v) {
            double vh = (double)v[i] * ib;
            s.vsum += vh;
            if (vh < s.vmin) s.vmin = vh;
            if (vh > s.vmax) s.vmax = vh;
            s.vtiny += vh < e2;
        }
    }
    if (!v) s.vmin = 0;
    s.count = (double)n;
    *st = s;
}

/* GI-Adam (Kalra & Barkeshli 2024): before the first update, v_0 = g * g for the gradient the
 * update will use, Adam's and RAdam's L2 term included (PyTorch adds it to grad before the
 * moments); AdamW's decay does not touch the gradient. One extra pass, once per run. */
static void gi_init(const coefs *c, const float *restrict p, const float *restrict gr,
                    float *restrict v, size_t n)
{
    int l2 = c->kind != WU_OPT_ADAMW && c->has_wd;
    for (size_t i = 0; i < n; i++) {
        float g = l2 ? fmaf(p[i], c->wd, gr[i]) : gr[i];
        v[i] = g * g;
    }
}

static void update_chunk(const coefs *c, float *p, const float *g, float *m, float *v,
                         float *vmax, float *buf, int ready, size_t n)
{
    if (c->gi_first) gi_init(c, p, g, v, n);
    switch (c->kind) {
    case WU_OPT_SGD: sgd_loop(c, p, g, buf, ready, n); break;
    case WU_OPT_RADAM: radam_loop(c, p, g, m, v, n); break;
    default: adam_loop(c, p, g, m, v, vmax, n); break;
    }
}

static void do_step(wu_optim *o, float *params, const float *grads, const double *lrs,
                    wu_optim_stats *stats)
{
    coefs c[WU_OPTIM_MAX_GROUPS];
    int64_t t = o->step + 1;
    for (int g = 0; g < o->ngroups; g++) make_coefs(o, g, lrs[g], t, &c[g]);
    int diag = stats != NULL, ready = o->buf_ready;
    const int nchunks = o->nchunks;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (o->n > 32768)
#endif
    for (int k = 0; k < nchunks; k++) {
        const wu_chunk *ch = &o->chunks[k];
        size_t off = ch->off;
        float *m = o->m ? o->m + off : NULL, *v = o->v ? o->v + off : NULL;
        float *vm = o->vmax ? o->vmax + off : NULL, *b = o->buf ? o->buf + off : NULL;
        if (diag) {
            float old[WU_CHUNK]; /* the chunk before its update, for the update norm */
            memcpy(old, params + off, ch->len * sizeof(float));
            update_chunk(&c[ch->group], params + off, grads + off, m, v, vm, b, ready, ch->len);
            diag_chunk(&c[ch->group], old, params + off, vm ? vm : v, ch->len, &o->cstats[k]);
        } else {
            update_chunk(&c[ch->group], params + off, grads + off, m, v, vm, b, ready, ch->len);
        }
    }
    o->buf_ready = 1;
    o->step = t;
    if (!stats) return;

    /* statistics, summed in chunk order: the same at any thread count */
    memset(stats, 0, sizeof *stats);
    stats->step = t - 1;
    stats->ngroups = o->ngroups;
    double upd2 = 0, w2 = 0, vsum = 0, vcount = 0, vtiny = 0;
    double gu[WU_OPTIM_MAX_GROUPS] = {0}, gw[WU_OPTIM_MAX_GROUPS] = {0};
    stats->v_min = INFINITY;
    for (int k = 0; k < nchunks; k++) {
        const wu_chunk_stats *s = &o->cstats[k];
        int g = o->chunks[k].group;
        upd2 += s->upd2;
        w2 += s->w2;
        gu[g] += s->upd2;
        gw[g] += s->w2;
        if (o->cfg.kind != WU_OPT_SGD) {
            vsum += s->vsum;
            vcount += s->count;
            vtiny += s->vtiny;
            if (s->vmin < stats->v_min) stats->v_min = s->vmin;
            if (s->vmax > stats->v_max) stats->v_max = s->vmax;
        }
    }
    for (int g = 0; g < o->ngroups; g++) {
        stats->lr[g] = lrs[g];
        stats->group_update_norm[g] = sqrt(gu[g]);
        stats->group_weight_norm[g] = sqrt(gw[g]);
    }
    stats->update_norm = sqrt(upd2);
    stats->weight_norm = sqrt(w2);
    stats->update_ratio = w2 > 0 ? stats->update_norm / stats->weight_norm : 0.0;
    if (vcount > 0) {
        stats->v_mean = vsum / vcount;
        stats->v_frac_below_eps = vtiny / vcount;
    } else {
        stats->v_min = 0;
    }
    /* RAdam's rho_t and rectification depend on each group's beta2: report every group, and
       the most conservative one over all of them */
    if (o->cfg.kind == WU_OPT_RADAM) {
        stats->radam_rho = c[0].radam_rho;
        stats->radam_rect = c[0].radam_rect;
        stats->radam_adaptive = c[0].adaptive;
        for (int g = 0; g < o->ngroups; g++) {
            stats->group_radam_rho[g] = c[g].radam_rho;
            stats->group_radam_rect[g] = c[g].radam_rect;
            stats->group_radam_adaptive[g] = c[g].adaptive;
            if (c[g].radam_rho < stats->radam_rho) stats->radam_rho = c[g].radam_rho;
            if (c[g].radam_rect < stats->radam_rect) stats->radam_rect = c[g].radam_rect;
            stats->radam_adaptive &= c[g].adaptive;
        }
    }
}

void wu_optim_step(wu_optim *o, float *params, const float *grads, wu_optim_stats *stats)
{
    double lrs[WU_OPTIM_MAX_GROUPS];
    for (int g = 0; g < o->ngroups; g++) lrs[g] = wu_optim_lr(o, g);
    do_step(o, params, grads, lrs, stats);
}

void wu_optim_step_lr(wu_optim *o, float *params, const float *grads, double lr,
                      wu_optim_stats *stats)
{
    double lrs[WU_OPTIM_MAX_GROUPS], base = o->groups[0].hp.lr;
    for (int g = 0; g < o->ngroups; g++)
        lrs[g] = base > 0 ? lr * (o->groups[g].hp.lr / base) : lr;
    do_step(o, params, grads, lrs, stats);
}
