/* test_nn.c - every kernel's backward against central finite differences of its forward, plus
 * the builtin matmul against the compiled-in one, attention's masking and statistics, and the
 * cross-entropy against its definition.
 *
 * Each check differentiates a scalar probe L = sum(out * R) with a fixed random R, so dout = R.
 * Forward passes are float32; L is summed in double; steps of h = 1e-2 keep the truncation
 * error of central differences (~h^2) and the rounding error (~1e-7 / h) both near 1e-4, well
 * inside the bound |fd - analytic| <= 2e-3 + 1e-2 |analytic|. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "nn/nn.h"
#include "nn/vmath.h"

static unsigned rs = 1;
static float frand(void)
{
    rs = rs * 1103515245u + 12345u;
    return (float)((rs >> 8) & 0xffff) / 65536.0f * 2.0f - 1.0f;
}
static void fill(float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) x[i] = frand() * scale;
}
static double probe(const float *out, const float *r, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * r[i];
    return s;
}

/* A forward function of the kernel under test, writing its output. */
typedef void (*fwd_fn)(float *out, void *ctx);

/* Compare analytic gradients g (n) of the parameters x (n) with central differences. */
static int fd_check(const char *what, float *x, const float *g, size_t n, fwd_fn f, void *ctx,
                    float *out, const float *r, size_t nout)
{
    int bad = 0, checked = 0;
    for (size_t i = 0; i < n; i += 1 + n / 40, checked++) {
        float keep = x[i];
        const float h = 1e-2f;
        x[i] = keep + h;
        f(out, ctx);
        double lp = probe(out, r, nout);
        x[i] = keep - h;
        f(out, ctx);
        double lm = probe(out, r, nout);
        x[i] = keep;
        double fd = (lp - lm) / (2.0 * h);
        if (!(fabs(fd - g[i]) <= 2e-3 + 1e-2 * fabs(g[i]))) { /* a NaN fails too */
            if (bad++ < 3) printf("  %s[%zu]: analytic %.6g, finite difference %.6g\n", what, i, g[i], fd);
        }
    }
    CHECK(bad == 0 && checked > 0, "%s: %d of %d gradients fail the finite-difference check",
          what, bad, checked);
    return bad;
}

/* ---- matmul ---- */
typedef struct { float *inp, *w, *b; int N, C, OC, builtin; } mm_ctx;
static void mm_fwd(float *out, void *c)
{
    mm_ctx *m = c;
    if (m->builtin) matmul_forward_builtin(out, m->inp, m->w, m->b, m->N, m->C, m->OC);
    else matmul_forward(out, m->inp, m->w, m->b, m->N, m->C, m->OC);
}

static void test_matmul(void)
{
    /* odd sizes exercise the tile edges */
    const int N = 13, C = 11, OC = 18;
    for (int builtin = 0; builtin < 2; builtin++) {
        float inp[13 * 11], w[18 * 11], b[18], out[13 * 18], r[13 * 18];
        float dinp[13 * 11], dw[18 * 11] = {0}, db[18] = {0};
        fill(inp, sizeof inp / 4, 1);
        fill(w, sizeof w / 4, 1);
        fill(b, 18, 1);
        fill(r, sizeof r / 4, 1);
        mm_ctx m = {inp, w, b, N, C, OC, builtin};
        mm_fwd(out, &m);
        /* against a double-precision reference */
        th_max worst = TH_MAX_INIT;
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OC; o++) {
                double s = b[o];
                for (int k = 0; k < C; k++) s += (double)inp[n * C + k] * w[o * C + k];
                th_max_add(&worst, fabs(s - out[n * OC + o]), n * OC + o);
            }
        CHECK_MAX(&worst, 1e-5, "matmul (%s) forward", builtin ? "builtin" : "compiled");
        if (builtin) matmul_backward_builtin(dinp, dw, db, r, inp, w, N, C, OC, 0);
        else matmul_backward(dinp, dw, db, r, inp, w, N, C, OC, 0);
        const char *tag = builtin ? "matmul builtin" : "matmul";
        char name[64];
        snprintf(name, sizeof name, "%s dinp", tag);
        fd_check(name, inp, dinp, sizeof inp / 4, mm_fwd, &m, out, r, sizeof out / 4);
        snprintf(name, sizeof name, "%s dw", tag);
        fd_check(name, w, dw, sizeof w / 4, mm_fwd, &m, out, r, sizeof out / 4);
        snprintf(name, sizeof name, "%s dbias", tag);
        fd_check(name, b, db, 18, mm_fwd, &m, out, r, sizeof out / 4);
        /* acc=1 adds to what dinp held */
        float acc[13 * 11];
        for (int i = 0; i < N * C; i++) acc[i] = 1.0f;
        float dw2[18 * 11] = {0};
        if (builtin) matmul_backward_builtin(acc, dw2, NULL, r, inp, w, N, C, OC, 1);
        else matmul_backward(acc, dw2, NULL, r, inp, w, N, C, OC, 1);
        th_max d = TH_MAX_INIT;
        for (int i = 0; i < N * C; i++) th_max_add(&d, fabs(acc[i] - 1.0f - dinp[i]), i);
        CHECK_MAX(&d, 1e-5, "%s: acc=1 accumulates", tag);
    }
    /* the builtin kernel and the compiled-in one agree on a larger product */
    const int n2 = 70, c2 = 48, o2 = 40;
    float *x = malloc(sizeof(float) * n2 * c2), *w = malloc(sizeof(float) * o2 * c2);
    float *a = malloc(sizeof(float) * n2 * o2), *bb = malloc(sizeof(float) * n2 * o2);
    fill(x, (size_t)n2 * c2, 1);
    fill(w, (size_t)o2 * c2, 1);
    matmul_forward(a, x, w, NULL, n2, c2, o2);
    matmul_forward_builtin(bb, x, w, NULL, n2, c2, o2);
    th_max d = TH_MAX_INIT;
    for (int i = 0; i < n2 * o2; i++) th_max_add(&d, fabs(a[i] - bb[i]), i);
    CHECK_MAX(&d, 1e-4, "builtin and %s matmuls", matmul_backend());
    free(x); free(w); free(a); free(bb);
}

/* ---- layernorm ---- */
typedef struct { float *inp, *w, *b, *mean, *rstd; int N, C; } ln_ctx;
static void ln_fwd(float *out, void *c)
{
    ln_ctx *l = c;
    layernorm_forward(out, l->mean, l->rstd, l->inp, l->w, l->b, l->N, l->C);
}

static void test_layernorm(void)
{
    enum { N = 6, C = 10 };
    float inp[N * C], w[C], b[C], out[N * C], r[N * C], mean[N], rstd[N];
    float dinp[N * C], dw[C] = {0}, db[C] = {0};
    fill(inp, N * C, 2);
    fill(w, C, 1);
    fill(b, C, 1);
    fill(r, N * C, 1);
    ln_ctx l = {inp, w, b, mean, rstd, N, C};
    ln_fwd(out, &l);
    /* normalised rows: mean 0, variance 1 before the affine map */
    double m0 = 0, v0 = 0;
    for (int i = 0; i < C; i++) {
        double xh = (out[i] - b[i]) / w[i];
        m0 += xh / C;
        v0 += xh * xh / C;
    }
    CHECK(fabs(m0) < 1e-5 && fabs(v0 - 1) < 1e-3, "layernorm row: mean %g var %g", m0, v0);
    layernorm_backward(dinp, dw, db, r, inp, w, mean, rstd, N, C, 0);
    fd_check("layernorm dinp", inp, dinp, N * C, ln_fwd, &l, out, r, N * C);
    fd_check("layernorm dw", w, dw, C, ln_fwd, &l, out, r, N * C);
    fd_check("layernorm db", b, db, C, ln_fwd, &l, out, r, N * C);
}

/* ---- attention ---- */
typedef struct { float *qkv, *att, *stats; int B, T, C, NH, causal; } at_ctx;
static void at_fwd(float *out, void *c)
{
    at_ctx *a = c;
    attention_forward(out, a->att, a->stats, a->qkv, a->B, a->T, a->C, a->NH, a->causal);
}

static void test_attention(void)
{
    enum { B = 2, T = 5, C = 8, NH = 2 };
    for (int causal = 0; causal < 2; causal++) {
        float qkv[B * T * 3 * C], att[B * NH * T * T], stats[2 * B * NH];
        float out[B * T * C], r[B * T * C], dqkv[B * T * 3 * C];
        fill(qkv, sizeof qkv / 4, 1.5f);
        fill(r, sizeof r / 4, 1);
        at_ctx a = {qkv, att, stats, B, T, C, NH, causal};
        at_fwd(out, &a);
        int rows_ok = 1, mask_ok = 1;
        for (int row = 0; row < B * NH * T; row++) {
            int t = row % T;
            double s = 0;
            for (int t2 = 0; t2 < T; t2++) {
                s += att[row * T + t2];
                if (causal && t2 > t && att[row * T + t2] != 0.0f) mask_ok = 0;
            }
            rows_ok &= fabs(s - 1) < 1e-5;
        }
        CHECK(rows_ok, "attention rows sum to 1 (causal %d)", causal);
        CHECK(mask_ok, "causal attention puts exact zeros on the future");
        /* the largest logit of (b=0, h=0) from a direct computation */
        float mx = -1e30f;
        for (int t = 0; t < T; t++)
            for (int t2 = 0; t2 <= (causal ? t : T - 1); t2++) {
                float s = 0;
                for (int i = 0; i < C / NH; i++) s += qkv[t * 3 * C + i] * qkv[t2 * 3 * C + C + i];
                s /= sqrtf((float)(C / NH));
                if (s > mx) mx = s;
            }
        CHECK(fabsf(stats[0] - mx) < 1e-5f && stats[1] >= 0 && stats[1] <= logf((float)T) + 1e-5f,
              "attention statistics: max %g (want %g), entropy %g", stats[0], mx, stats[1]);
        attention_backward(dqkv, r, qkv, att, B, T, C, NH, causal);
        fd_check(causal ? "attention dqkv (causal)" : "attention dqkv (full)", qkv, dqkv,
                 sizeof qkv / 4, at_fwd, &a, out, r, sizeof out / 4);
    }
}

/* ---- gelu, encoder, residual ---- */
typedef struct { float *inp; size_t n; } g_ctx;
static void g_fwd(float *out, void *c) { g_ctx *g = c; gelu_forward(out, g->inp, g->n); }

typedef struct { int *tok; float *wte, *wpe; int B, T, C; } e_ctx;
static void e_fwd(float *out, void *c)
{
    e_ctx *e = c;
    encoder_forward(out, e->tok, e->wte, e->wpe, e->B, e->T, e->C);
}

static void test_pointwise(void)
{
    enum { N = 40 };
    float x[N], out[N], r[N], dx[N];
    for (int i = 0; i < N; i++) x[i] = -4.0f + 8.0f * (float)i / N;
    fill(r, N, 1);
    g_ctx g = {x, N};
    g_fwd(out, &g);
    /* GELU(x) ~ x for large x, ~0 for very negative x, 0 at 0 */
    CHECK(fabsf(out[N - 1] - x[N - 1]) < 1e-3f && fabsf(out[0]) < 1e-3f, "gelu tails");
    gelu_backward(dx, x, r, N);
    fd_check("gelu", x, dx, N, g_fwd, &g, out, r, N);

    enum { B = 2, T = 3, C = 4, V = 5 };
    int tok[B * T] = {1, 4, 1, 0, 2, 1};
    float wte[V * C], wpe[T * C], eo[B * T * C], er[B * T * C], dwte[V * C] = {0}, dwpe[T * C] = {0};
    fill(wte, V * C, 1);
    fill(wpe, T * C, 1);
    fill(er, B * T * C, 1);
    e_ctx e = {tok, wte, wpe, B, T, C};
    e_fwd(eo, &e);
    encoder_backward(dwte, dwpe, er, tok, B, T, C);
    fd_check("encoder dwte", wte, dwte, V * C, e_fwd, &e, eo, er, B * T * C);
    fd_check("encoder dwpe", wpe, dwpe, T * C, e_fwd, &e, eo, er, B * T * C);

    float a[3] = {1, 2, 3}, bb[3] = {4, 5, 6}, o[3];
    residual_forward(o, a, bb, 3);
    add_inplace(o, a, 3);
    CHECK(o[0] == 6 && o[1] == 9 && o[2] == 12, "residual_forward and add_inplace");
}

/* ---- cross-entropy ---- */
static void test_crossentropy(void)
{
    enum { N = 4, V = 7 };
    float logits[N * V], work[N * V], losses[N], logz[N], mx;
    int tgt[N] = {0, 6, 3, 3};
    fill(logits, N * V, 3);
    memcpy(work, logits, sizeof work);
    float loss = crossentropy_forward_backward(work, losses, logz, &mx, tgt, N, V, 1.0f / N);
    double want = 0, wantmx = -1e30;
    for (int n = 0; n < N; n++) {
        double z = 0;
        for (int i = 0; i < V; i++) z += exp(logits[n * V + i]);
        want += (log(z) - logits[n * V + tgt[n]]) / N;
        CHECK(fabs(logz[n] - log(z)) < 1e-5, "log-partition of row %d", n);
        for (int i = 0; i < V; i++) wantmx = fmax(wantmx, logits[n * V + i]);
    }
    CHECK(fabs(loss - want) < 1e-6 && mx == (float)wantmx, "cross-entropy %g (want %g)", loss, want);
    /* dlogits against finite differences of the mean loss */
    int bad = 0;
    for (int i = 0; i < N * V; i++) {
        float tmp[N * V], l2[N];
        const float h = 1e-2f;
        memcpy(tmp, logits, sizeof tmp);
        tmp[i] += h;
        double lp = crossentropy_forward_backward(tmp, l2, NULL, NULL, tgt, N, V, 0.0f);
        memcpy(tmp, logits, sizeof tmp);
        tmp[i] -= h;
        double lm = crossentropy_forward_backward(tmp, l2, NULL, NULL, tgt, N, V, 0.0f);
        double fd = (lp - lm) / (2 * h);
        bad += !(fabs(fd - work[i]) <= 1e-3 + 1e-2 * fabs(work[i])); /* NaN fails */
    }
    CHECK(bad == 0, "cross-entropy: %d of %d logit gradients fail", bad, N * V);
}

/* The vector exp and tanh: a NaN in gives a NaN out (a diverged run's logits), without the
 * undefined float-to-int conversion UBSan caught in a run with --lr 1e30; finite values as libm
 * gives them. */
static void test_vmath(void)
{
    volatile float nan = NAN; /* volatile: computed at run time, as in a run */
    CHECK(isnan(wu_expf(nan)), "wu_expf(NaN) = %g, want NaN", (double)wu_expf(nan));
    CHECK(isnan(wu_tanhf(nan)), "wu_tanhf(NaN) = %g, want NaN", (double)wu_tanhf(nan));
    th_max m = TH_MAX_INIT;
    for (float x = -80.0f; x <= 80.0f; x += 0.37f) th_max_add(&m, th_rel(wu_expf(x), expf(x)), (long)(x * 100));
    CHECK_MAX(&m, 2e-6, "wu_expf against expf");
    CHECK(wu_expf(-1000.0f) >= 0 && wu_expf(1000.0f) > 1e38f, "wu_expf clamps");
}

int main(void)
{
    printf("  matmul backend: %s\n", matmul_backend());
    test_vmath();
    test_matmul();
    test_layernorm();
    test_attention();
    test_pointwise();
    test_crossentropy();
    return th_done("test_nn");
}
