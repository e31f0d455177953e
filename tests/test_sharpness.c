/* test_sharpness.c - the curvature probes (src/train/sharpness.c): power iteration against the
 * exact eigenvalues of quadratics (plain, with a dominant negative eigenvalue, preconditioned),
 * finite-difference Hessian-vector products against exact ones (a quadratic, and a quartic
 * whose Hessian is known in closed form), and the small GPT against torch autograd's
 * Hessian-vector products and top eigenvalues (tests/fixtures/sharpness_torch.jsonl, written by
 * tools/gen_sharpness_fixtures.py in float64 from the same float32 weights): the products and
 * both eigenvalues agree to 1e-3 relative. The printed errors show the margins. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "model/gpt.h"
#include "train/probe.h"
#include "train/sharpness.h"
#include "util/rng.h"
#include "warmup.h"

/* ---- exact operators ------------------------------------------------------------------------- */

/* A = Q diag(lam) Q^T with a random orthogonal Q (Gram-Schmidt of normal columns). */
typedef struct quad {
    size_t n;
    double *a; /* n x n, row-major */
} quad;

static void quad_make(quad *q, size_t n, const double *lam, uint64_t seed)
{
    double *Q = malloc(n * n * sizeof *Q);
    wu_rng r;
    wu_rng_seed(&r, seed);
    for (size_t i = 0; i < n * n; i++) Q[i] = wu_rng_normal(&r);
    for (size_t j = 0; j < n; j++) { /* column j of Q */
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < j; k++) {
                double d = 0;
                for (size_t i = 0; i < n; i++) d += Q[i * n + j] * Q[i * n + k];
                for (size_t i = 0; i < n; i++) Q[i * n + j] -= d * Q[i * n + k];
            }
        double s = 0;
        for (size_t i = 0; i < n; i++) s += Q[i * n + j] * Q[i * n + j];
        s = sqrt(s);
        for (size_t i = 0; i < n; i++) Q[i * n + j] /= s;
    }
    q->n = n;
    q->a = calloc(n * n, sizeof *q->a);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < n; k++) q->a[i * n + j] += Q[i * n + k] * lam[k] * Q[j * n + k];
    free(Q);
}

static int quad_apply(void *ctx, const double *v, double *out)
{
    const quad *q = ctx;
    for (size_t i = 0; i < q->n; i++) {
        double s = 0;
        for (size_t j = 0; j < q->n; j++) s += q->a[i * q->n + j] * v[j];
        out[i] = s;
    }
    return WU_OK;
}

static double top(size_t n, wu_linop op, void *ctx, const float *scale, int iters, double tol,
                  wu_sharp_result *res)
{
    double *work = malloc(4 * n * sizeof *work);
    int rc = wu_sharp_power(n, op, ctx, scale, 7, iters, tol, work, res);
    free(work);
    return rc == WU_OK ? res->lambda : NAN;
}

static void test_quadratics(void)
{
    enum { N = 40 };
    double lam[N];
    for (int i = 0; i < N; i++) lam[i] = 0.1 * (i % 13); /* in [0, 1.2] */
    lam[5] = 10.0, lam[17] = 7.5;                         /* the top two */
    quad q;
    quad_make(&q, N, lam, 11);
    wu_sharp_result res;
    double l = top(N, quad_apply, &q, NULL, 500, 1e-10, &res);
    CHECK(fabs(l - 10.0) < 1e-3 * 10.0 && res.converged,
          "quadratic: lambda_max %.9g, exact 10 (%d products)", l, res.products);
    printf("  quadratic: lambda_max error %.2g in %d products\n", fabs(l - 10), res.products);

    /* a dominant negative eigenvalue: the largest algebraic one is still found */
    lam[5] = -25.0;
    free(q.a);
    quad_make(&q, N, lam, 12);
    l = top(N, quad_apply, &q, NULL, 1000, 1e-12, &res);
    CHECK(fabs(l - 7.5) < 1e-3 * 7.5, "a dominant negative eigenvalue (-25): lambda_max %.9g, "
          "exact 7.5 (%d products)", l, res.products);

    /* preconditioned: with A = D^-1 M D^-1 (M = Q diag(lam) Q^T), diag(s) A diag(s) with s = D
       is M, whose top eigenvalue is known */
    lam[5] = 10.0;
    free(q.a);
    quad_make(&q, N, lam, 13);
    float s[N];
    for (int i = 0; i < N; i++) s[i] = (float)(0.5 + 0.1 * i);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) q.a[i * N + j] /= (double)s[i] * s[j];
    l = top(N, quad_apply, &q, s, 500, 1e-10, &res);
    CHECK(fabs(l - 10.0) < 1e-3 * 10.0, "preconditioned quadratic: lambda %.9g, exact 10", l);
    /* and the iteration limit is kept */
    top(N, quad_apply, &q, s, 3, 0, &res);
    CHECK(res.products == 3 && !res.converged, "3 iterations at most: %d products", res.products);
    free(q.a);
}

/* ---- finite differences against exact products --------------------------------------------- */

/* f(w) = sum a_i w_i^4 / 4 + w^T A w / 2: gradient a w^3 + A w, Hessian diag(3 a w^2) + A. */
typedef struct quartic {
    quad *q;
    const double *a;
    float *w, *g;
} quartic;

static int quartic_grad(void *ctx)
{
    quartic *f = ctx;
    size_t n = f->q->n;
    for (size_t i = 0; i < n; i++) {
        double s = f->a[i] * (double)f->w[i] * f->w[i] * f->w[i];
        for (size_t j = 0; j < n; j++) s += f->q->a[i * n + j] * f->w[j];
        f->g[i] = (float)s;
    }
    return WU_OK;
}

static void test_fd(void)
{
    enum { N = 30 };
    double lam[N], a[N], v[N], exact[N], got[N];
    wu_rng r;
    wu_rng_seed(&r, 5);
    for (int i = 0; i < N; i++) lam[i] = 1 + 0.3 * i, a[i] = 0, v[i] = wu_rng_normal(&r);
    quad q;
    quad_make(&q, N, lam, 21);
    float w[N], g[N], w0[N], gp[N];
    for (int i = 0; i < N; i++) w[i] = (float)wu_rng_normal(&r);
    quartic f = {&q, a, w, g};
    wu_fd_hvp fd = {.n = N, .params = w, .grads = g, .eval = quartic_grad, .ctx = &f, .h = 1e-2,
                    .w0 = w0, .gp = gp};
    for (int pass = 0; pass < 2; pass++) { /* 0: the quadratic; 1: with the quartic term */
        if (pass == 1)
            for (int i = 0; i < N; i++) a[i] = 0.5 + 0.05 * i;
        quad_apply(&q, v, exact);
        for (int i = 0; i < N; i++) exact[i] += 3 * a[i] * (double)w[i] * w[i] * v[i];
        float before[N];
        memcpy(before, w, sizeof w);
        CHECK(wu_fd_hvp_apply(&fd, v, got) == WU_OK, "fd: applied");
        CHECK(!memcmp(before, w, sizeof w), "fd: the point is restored bit for bit");
        double e2 = 0, x2 = 0;
        for (int i = 0; i < N; i++) e2 += (got[i] - exact[i]) * (got[i] - exact[i]), x2 += exact[i] * exact[i];
        double rel = sqrt(e2 / x2);
        CHECK(rel < 1e-3, "%s: finite-difference H v, relative error %.3g", pass ? "quartic" : "quadratic", rel);
        printf("  %s: finite-difference H v relative error %.2g\n", pass ? "quartic" : "quadratic", rel);
    }
    free(q.a);
}

/* ---- Adam's preconditioner, read from the optimizer, against what its update divides by ------ */

/* With beta1 = 0 and no weight decay, Adam's update is -lr g / (sqrt(v_hat) + eps) = -lr P g:
 * the P that wu_probe_precond reads after the update must give that update back. */
static void test_precond(void)
{
    enum { N = 20000 };
    for (int kind = 0; kind < 4; kind++) { /* Adam, AdamW; then both without bias correction */
        wu_optim_config oc;
        wu_optim_defaults(&oc, kind & 1 ? WU_OPT_ADAMW : WU_OPT_ADAM);
        oc.beta1 = 0, oc.weight_decay = 0, oc.lr = 1e-2;
        oc.no_bias_correction = kind >= 2;
        wu_optim *o;
        CHECK(wu_optim_create(&o, &oc, N, NULL, 0, NULL, NULL, 0, NULL) == WU_OK, "optimizer");
        static float w[N], g[N], before[N], s[N];
        wu_rng r;
        wu_rng_seed(&r, 3);
        for (int i = 0; i < N; i++) w[i] = (float)wu_rng_normal(&r);
        CHECK(wu_probe_precond(o, s) == 0, "no preconditioner before the first update");
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < N; i++) g[i] = (float)(wu_rng_normal(&r) * (i % 7 == 0 ? 1e-6 : 1e-2));
            memcpy(before, w, sizeof w);
            wu_optim_step(o, w, g, NULL);
        }
        CHECK(wu_probe_precond(o, s) == 1, "a preconditioner after 4 updates");
        th_max m = TH_MAX_INIT;
        for (int i = 0; i < N; i++) {
            double upd = (double)w[i] - before[i], want = -oc.lr * (double)s[i] * s[i] * g[i];
            /* beyond 1e-5 relative and the rounding of w - before (2 ulps of w) */
            double ulp = (double)nextafterf(fabsf(w[i]), INFINITY) - fabsf(w[i]);
            th_max_add(&m, fabs(upd - want) - 1e-5 * fabs(want) - 2 * ulp, i);
        }
        CHECK_MAX(&m, 0, "%s%s: lr P g is the update (error beyond 1e-5 relative + 2 ulps)",
                  kind & 1 ? "adamw" : "adam", kind >= 2 ? " without bias correction" : "");
        wu_optim_destroy(o);
    }
}

/* ---- the small GPT against torch ----------------------------------------------------------- */

typedef struct gpt_ctx {
    wu_gpt *m;
    const int *tok, *tgt;
    int B, T;
} gpt_ctx;

static int gpt_grad(void *ctx)
{
    gpt_ctx *g = ctx;
    float loss;
    wu_gpt_forward(g->m, g->tok, g->tgt, g->B, g->T, &loss);
    wu_gpt_zero_grad(g->m);
    wu_gpt_backward(g->m);
    return WU_OK;
}

static float *floats(cJSON *a, size_t n)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)cJSON_GetArrayItem(a, (int)i)->valuedouble;
    return x;
}

static int geti(cJSON *o, const char *k) { return cJSON_GetObjectItem(o, k)->valueint; }

static void gpt_case(cJSON *c, int lineno, void *ctx)
{
    (void)lineno, (void)ctx;
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    wu_gpt_config cfg = wu_gpt_default_config();
    cfg.vocab = geti(c, "vocab"), cfg.ctx = geti(c, "ctx"), cfg.layers = geti(c, "layers");
    cfg.heads = geti(c, "heads"), cfg.dim = geti(c, "dim");
    cfg.post_ln = cJSON_IsTrue(cJSON_GetObjectItem(c, "post_ln"));
    int B = geti(c, "B"), T = geti(c, "T");
    wu_gpt *m;
    wu_error e;
    if (wu_gpt_create(&m, &cfg, B, T, &e) != WU_OK) {
        CHECK(0, "%s: %s", name, e.msg);
        return;
    }
    const size_t n = m->nparams;
    CHECK((int)n == geti(c, "nparams"), "%s: %zu parameters", name, n);
    float *p = floats(cJSON_GetObjectItem(c, "params"), n);
    memcpy(m->params, p, n * sizeof *p);
    int *tok = malloc(sizeof(int) * (size_t)(B * T)), *tgt = malloc(sizeof(int) * (size_t)(B * T));
    for (int i = 0; i < B * T; i++) {
        tok[i] = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "tokens"), i)->valueint;
        tgt[i] = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "targets"), i)->valueint;
    }
    gpt_ctx g = {m, tok, tgt, B, T};
    float *fw = malloc(2 * n * sizeof *fw);
    wu_fd_hvp fd = {.n = n, .params = m->params, .grads = m->grads, .eval = gpt_grad, .ctx = &g,
                    .h = wu_sharp_fd_step(m->params, n), .w0 = fw, .gp = fw + n};
    double *v = malloc(n * sizeof *v), *hv = malloc(n * sizeof *hv);
    for (int k = 0; k < 2; k++) {
        cJSON *jv = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "vectors"), k);
        cJSON *jh = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "hvp"), k);
        for (size_t i = 0; i < n; i++) v[i] = cJSON_GetArrayItem(jv, (int)i)->valuedouble;
        wu_fd_hvp_apply(&fd, v, hv);
        double e2 = 0, x2 = 0;
        for (size_t i = 0; i < n; i++) {
            double x = cJSON_GetArrayItem(jh, (int)i)->valuedouble;
            e2 += (hv[i] - x) * (hv[i] - x), x2 += x * x;
        }
        double rel = sqrt(e2 / x2);
        CHECK(rel < 1e-3, "%s: H v #%d against torch, relative error %.3g", name, k, rel);
        printf("  %s: H v #%d relative error %.2g (|H v| %.4g)\n", name, k, rel, sqrt(x2));
    }
    CHECK(!memcmp(p, m->params, n * sizeof *p), "%s: the weights are restored bit for bit", name);
    wu_sharp_result res;
    double want = cJSON_GetObjectItem(c, "lambda_max")->valuedouble;
    double l = top(n, wu_fd_hvp_apply, &fd, NULL, 300, 1e-6, &res);
    CHECK(fabs(l - want) < 1e-3 * fabs(want), "%s: lambda_max %.7g, torch %.7g", name, l, want);
    printf("  %s: lambda_max %.7g, torch %.7g (relative error %.2g, %d products)\n", name, l, want,
           fabs(l - want) / want, res.products);
    float *s = floats(cJSON_GetObjectItem(c, "scale"), n);
    want = cJSON_GetObjectItem(c, "lambda_precond")->valuedouble;
    l = top(n, wu_fd_hvp_apply, &fd, s, 300, 1e-6, &res);
    CHECK(fabs(l - want) < 1e-3 * fabs(want), "%s: preconditioned lambda_max %.7g, torch %.7g",
          name, l, want);
    printf("  %s: preconditioned %.7g, torch %.7g (relative error %.2g, %d products)\n", name, l,
           want, fabs(l - want) / want, res.products);
    free(s), free(v), free(hv), free(fw), free(p), free(tok), free(tgt);
    wu_gpt_destroy(m);
}

static void test_gpt_torch(void)
{
    int n = th_jsonl("tests/fixtures/sharpness_torch.jsonl", gpt_case, NULL);
    CHECK(n == 2, "2 cases in tests/fixtures/sharpness_torch.jsonl, got %d", n);
}

int main(void)
{
    test_quadratics();
    test_fd();
    test_precond();
    test_gpt_torch();
    return th_done("test_sharpness");
}
