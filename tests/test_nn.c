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
    else matmul_forward(out, m->inp, m->w, m->b, m->N, m->C, m->OC, WU_PREC_FP32);
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
        else matmul_backward(dinp, dw, db, r, inp, w, N, C, OC, 0, WU_PREC_FP32);
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
        else matmul_backward(acc, dw2, NULL, r, inp, w, N, C, OC, 1, WU_PREC_FP32);
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
    matmul_forward(a, x, w, NULL, n2, c2, o2, WU_PREC_FP32);
    matmul_forward_builtin(bb, x, w, NULL, n2, c2, o2);
    th_max d = TH_MAX_INIT;
    for (int i = 0; i < n2 * o2; i++) th_max_add(&d, fabs(a[i] - bb[i]), i);
    CHECK_MAX(&d, 1e-4, "builtin and %s matmuls", matmul_backend());
    free(x); free(w); free(a); free(bb);
}

/* ---- the bf16 product (gemm_bf16.c) ---- */
/* x rounded to bfloat16 (8 significant bits, to nearest even), computed independently of
 * gemm_bf16.c's bit manipulation: through frexp and nearbyint */
static double bf16_round(float x)
{
    if (x == 0 || fabsf(x) < 1.17549435e-38f) return 0.0; /* denormals read as zero */
    int e;
    double m = frexp((double)x, &e); /* |m| in [0.5, 1) */
    return ldexp(nearbyint(ldexp(m, 8)), e - 8);
}

static void test_gemm_bf16(void)
{
    static const int shapes[][3] = {{1, 1, 1}, {13, 33, 7}, {12, 32, 64}, {25, 70, 129},
                                    {7, 3, 600}, {40, 65, 1029}};
    const int has = wu_cpu_has_bf16();
    printf("  bf16 dot products (AVX512-BF16): %s\n", has ? "yes: kernel checked bit for bit"
                                                          : "no: the scalar model only");
    int exact_bad = 0, exact_n = 0, rounded = 0;
    th_max model = TH_MAX_INIT, input = TH_MAX_INIT;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int lay = 0; lay < 4; lay++)
            for (int beta = 0; beta < 2; beta++) {
                const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                /* every stride layout: A by rows or by columns, B alike */
                const long sam = lay & 1 ? 1 : K, sak = lay & 1 ? M : 1;
                const long sbk = lay & 2 ? 1 : N, sbn = lay & 2 ? K : 1;
                float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
                float *c0 = malloc(sizeof(float) * M * N), *ce = malloc(sizeof(float) * M * N);
                float *ck = malloc(sizeof(float) * M * N);
                fill(A, (size_t)M * K, 2);
                fill(B, (size_t)K * N, 1);
                fill(c0, (size_t)M * N, 1);
                memcpy(ce, c0, sizeof(float) * M * N);
                memcpy(ck, c0, sizeof(float) * M * N);
                wu_sgemm_bf16_emulated(M, N, K, A, sam, sak, B, sbk, sbn, ce, N, beta);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) {
                        /* against double sums of the rounded operands: only float32 summing
                           error; of the exact operands: the operands' rounding (2^-8 each, 8
                           significant bits), 2^-7 of the sum of |products| at most */
                        double rb = beta ? c0[i * N + j] : 0, r = rb, mag = fabs(rb), mag_r = mag;
                        for (int k = 0; k < K; k++) {
                            float a = A[i * sam + k * sak], b = B[k * sbk + j * sbn];
                            rb += bf16_round(a) * bf16_round(b);
                            r += (double)a * b;
                            mag += fabs(bf16_round(a) * bf16_round(b));
                            mag_r += fabs((double)a * b);
                        }
                        const double got = ce[i * N + j];
                        th_max_add(&model, fabs(got - rb) / (mag * (K + 2) * 0x1p-24 + 1e-30), 0);
                        th_max_add(&input, fabs(got - r) / (mag_r * (0x1p-7 + 0x1p-16 + (K + 2) * 0x1p-24) + 1e-30), 0);
                        if (fabs(got - r) > 1e-6 * mag_r) rounded = 1;
                    }
                if (has) {
                    for (int t = 1; t <= 2; t++) { /* the same bits at any thread count */
#ifdef _OPENMP
                        omp_set_num_threads(t);
#endif
                        memcpy(ck, c0, sizeof(float) * M * N);
                        int rc = wu_sgemm_bf16(M, N, K, A, sam, sak, B, sbk, sbn, ck, N, beta);
                        exact_n++;
                        if (rc != 0 || memcmp(ck, ce, sizeof(float) * M * N)) {
                            exact_bad++;
                            printf("  bf16 kernel != its model: M %d N %d K %d layout %d beta %d "
                                   "threads %d (rc %d)\n", M, N, K, lay, beta, t, rc);
                        }
                    }
#ifdef _OPENMP
                    omp_set_num_threads(1);
#endif
                }
                free(A); free(B); free(c0); free(ce); free(ck);
            }
    CHECK_MAX(&model, 1.0, "bf16 model vs double sums of bf16-rounded operands (units: K ulp)");
    CHECK_MAX(&input, 1.0, "bf16 model vs the exact product (units: the bf16 bound)");
    CHECK(rounded, "the bf16 model rounds its operands (some result differs from float32's)");
    if (has) CHECK(exact_bad == 0 && exact_n > 0, "wu_sgemm_bf16 == wu_sgemm_bf16_emulated bit for "
                                                  "bit: %d of %d products differ", exact_bad, exact_n);
    /* matmul_forward / backward route bf16 through the same product, the bias a float32 sum */
    const int n = 19, c = 45, oc = 37;
    float *x = malloc(sizeof(float) * n * c), *w = malloc(sizeof(float) * oc * c);
    float *b = malloc(sizeof(float) * oc), *o1 = malloc(sizeof(float) * n * oc);
    float *o2 = malloc(sizeof(float) * n * oc);
    fill(x, (size_t)n * c, 1);
    fill(w, (size_t)oc * c, 1);
    fill(b, (size_t)oc, 1);
    matmul_forward(o1, x, w, b, n, c, oc, WU_PREC_BF16);
    wu_sgemm_bf16_emulated(n, oc, c, x, c, 1, w, 1, c, o2, oc, 0);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < oc; j++) o2[i * oc + j] += b[j];
    CHECK(!memcmp(o1, o2, sizeof(float) * n * oc), "matmul_forward in bf16 is the bf16 product + bias");
    /* WU_NO_BF16 hides the instruction; the kernel then refuses and leaves C alone */
    const char *was = getenv("WU_NO_BF16");
    char saved[64];
    snprintf(saved, sizeof saved, "%s", was ? was : "");
    setenv("WU_NO_BF16", "1", 1);
    memcpy(o2, o1, sizeof(float) * n * oc);
    CHECK(!wu_cpu_has_bf16() && wu_sgemm_bf16(n, oc, c, x, c, 1, w, 1, c, o2, oc, 0) == -1 &&
          !memcmp(o1, o2, sizeof(float) * n * oc), "WU_NO_BF16=1: no bf16, the kernel returns -1");
    if (was) setenv("WU_NO_BF16", saved, 1);
    else unsetenv("WU_NO_BF16");
    CHECK(wu_cpu_has_bf16() == has, "WU_NO_BF16 restored: detection as before");
    free(x); free(w); free(b); free(o1); free(o2);
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

/* Attention against a double-precision evaluation of its definition (the products' blocks,
 * their edges, the shrunken blocks of long sequences and the gathered K^T / V^T of large heads
 * all show up as errors here), forward and backward, with dout = r. Returns nothing; CHECKs. */
static void attention_reference_case(int T, int hs, int NH, int causal)
{
    const int B = 1, C = NH * hs, C3 = 3 * C;
    const size_t nq = (size_t)B * T * C3, no = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    float *qkv = malloc(nq * 4), *out = malloc(no * 4), *att = malloc(na * 4), *r = malloc(no * 4);
    float *dqkv = malloc(nq * 4), *stats = malloc(sizeof(float) * 2 * B * NH);
    double *p = malloc(sizeof(double) * (size_t)T), *dp = malloc(sizeof(double) * (size_t)T);
    double *ref = calloc(nq, sizeof(double)), *orf = calloc(no, sizeof(double));
    fill(qkv, nq, 1.5f);
    fill(r, no, 1);
    attention_forward(out, att, stats, qkv, B, T, C, NH, causal);
    attention_backward(dqkv, r, qkv, att, B, T, C, NH, causal);
    const double scale = 1.0 / sqrt((double)hs);
    th_max ma = TH_MAX_INIT, mo = TH_MAX_INIT, md = TH_MAX_INIT;
    for (int h = 0; h < NH; h++)
        for (int t = 0; t < T; t++) {
            const float *q = qkv + (size_t)t * C3 + h * hs;
            const int n = causal ? t + 1 : T;
            double mx = -1e300, z = 0, dot = 0;
            for (int j = 0; j < n; j++) {
                const float *k = qkv + (size_t)j * C3 + C + h * hs;
                double s = 0;
                for (int i = 0; i < hs; i++) s += (double)q[i] * k[i];
                p[j] = s * scale;
                mx = p[j] > mx ? p[j] : mx;
            }
            for (int j = 0; j < n; j++) z += (p[j] = exp(p[j] - mx));
            for (int j = 0; j < T; j++) {
                p[j] = j < n ? p[j] / z : 0.0;
                th_max_add(&ma, fabs(att[((size_t)h * T + t) * T + j] - p[j]), (long)t * T + j);
            }
            const float *dy = r + (size_t)t * C + h * hs;
            for (int j = 0; j < n; j++) {
                const float *v = qkv + (size_t)j * C3 + 2 * C + h * hs;
                double s = 0;
                for (int i = 0; i < hs; i++) {
                    orf[(size_t)t * C + h * hs + i] += p[j] * v[i];
                    ref[(size_t)j * C3 + 2 * C + h * hs + i] += p[j] * dy[i]; /* dv */
                    s += (double)dy[i] * v[i];
                }
                dp[j] = s;
                dot += p[j] * s;
            }
            for (int j = 0; j < n; j++) {
                const double ds = p[j] * (dp[j] - dot) * scale;
                for (int i = 0; i < hs; i++) {
                    ref[(size_t)t * C3 + h * hs + i] += ds * qkv[(size_t)j * C3 + C + h * hs + i];
                    ref[(size_t)j * C3 + C + h * hs + i] += ds * q[i];
                }
            }
        }
    /* float32 sums of up to 700 terms of size ~1: errors near 1e-6 relative to the sums */
    for (size_t i = 0; i < no; i++) th_max_add(&mo, fabs(out[i] - orf[i]) - 1e-4 * fabs(orf[i]), (long)i);
    for (size_t i = 0; i < nq; i++) th_max_add(&md, fabs(dqkv[i] - ref[i]) - 1e-4 * fabs(ref[i]), (long)i);
    CHECK_MAX(&ma, 1e-6, "attention probabilities T=%d hs=%d causal=%d", T, hs, causal);
    CHECK_MAX(&mo, 1e-5, "attention out T=%d hs=%d causal=%d", T, hs, causal);
    CHECK_MAX(&md, 1e-5, "attention dqkv T=%d hs=%d causal=%d", T, hs, causal);
    free(qkv); free(out); free(att); free(r); free(dqkv); free(stats); free(p); free(dp);
    free(ref); free(orf);
}

static void test_attention_reference(void)
{
    static const int Ts[] = {1, 2, 31, 32, 33, 64, 100, 700}, hss[] = {1, 3, 16, 64};
    for (int causal = 0; causal < 2; causal++)
        for (int a = 0; a < 8; a++)
            for (int c = 0; c < 4; c++) /* two heads check the slicing; one at T=700 for time */
                attention_reference_case(Ts[a], hss[c], Ts[a] > 100 ? 1 : 2, causal);
}

#ifdef _OPENMP
/* The serial product is the parallel one's bits, at odd shapes and strides, both accumulation
 * modes, and each of wu_sgemm's three ways of sharing the work (by rows, by panel, by row
 * block x panel; 110x40 is the last on both the AVX-512 and the AVX2 kernel);
 * attention gives the same bits at 1 and 2 threads (each (b, h) owns its slices). */
static void test_threads(void)
{
    static const int shapes[][3] = {{1, 1, 1}, {7, 33, 5}, {97, 65, 300}, {200, 45, 513},
                                    {150, 200, 70}, {13, 100, 17}, {110, 40, 300}};
    const int keep = omp_get_max_threads();
    omp_set_num_threads(2);
    int same = 1;
    for (int s = 0; s < 7; s++)
        for (int tr = 0; tr < 4; tr++)
            for (int beta = 0; beta < 2; beta++) {
                const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                float *A = malloc(sizeof(float) * M * K), *Bm = malloc(sizeof(float) * K * N);
                float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
                fill(A, (size_t)M * K, 1);
                fill(Bm, (size_t)K * N, 1);
                fill(C1, (size_t)M * N, 1);
                memcpy(C2, C1, sizeof(float) * M * N);
                const long sam = tr & 1 ? 1 : K, sak = tr & 1 ? M : 1;
                const long sbk = tr & 2 ? 1 : N, sbn = tr & 2 ? K : 1;
                wu_sgemm(M, N, K, A, sam, sak, Bm, sbk, sbn, C1, N, beta);
                wu_sgemm_serial(M, N, K, A, sam, sak, Bm, sbk, sbn, C2, N, beta);
                if (memcmp(C1, C2, sizeof(float) * M * N)) {
                    if (same) printf("  sgemm %dx%dx%d layout %d beta %d differs\n", M, N, K, tr, beta);
                    same = 0;
                }
                free(A); free(Bm); free(C1); free(C2);
            }
    CHECK(same, "wu_sgemm_serial gives wu_sgemm's bits");

    enum { B = 2, NH = 3 };
    static const int cases[][2] = {{33, 16}, {100, 3}, {300, 64}};
    for (int c = 0; c < 3; c++)
        for (int causal = 0; causal < 2; causal++) {
            const int T = cases[c][0], C = NH * cases[c][1];
            const size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, na = (size_t)B * NH * T * T;
            float *qkv = malloc(nq * 4), *r = malloc(no * 4), *o[2], *a[2], *d[2], st[2][2 * B * NH];
            fill(qkv, nq, 1);
            fill(r, no, 1);
            for (int n = 0; n < 2; n++) {
                o[n] = malloc(no * 4);
                a[n] = malloc(na * 4);
                d[n] = malloc(nq * 4);
                omp_set_num_threads(n + 1);
                attention_forward(o[n], a[n], st[n], qkv, B, T, C, NH, causal);
                attention_backward(d[n], r, qkv, a[n], B, T, C, NH, causal);
            }
            CHECK(!memcmp(o[0], o[1], no * 4) && !memcmp(a[0], a[1], na * 4) &&
                      !memcmp(d[0], d[1], nq * 4) && !memcmp(st[0], st[1], sizeof st[0]),
                  "attention T=%d C=%d causal=%d: the same bits at 1 and 2 threads", T, C, causal);
            for (int n = 0; n < 2; n++) { free(o[n]); free(a[n]); free(d[n]); }
            free(qkv); free(r);
        }
    omp_set_num_threads(keep);
}
#endif

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

/* ---- fused passes: the same bits as the unfused kernels they replace ---- */
static void test_fused(void)
{
    /* odd sizes: a row is not a multiple of the eight lanes, columns span two 64-wide tasks */
    enum { N = 37, C = 19, OC = 75 };
    float x[N * C], y[N * C], w[C], b[C], bias[OC], pre[N * OC], pre2[N * OC], d[N * OC];
    fill(x, N * C, 1);
    fill(y, N * C, 2);
    fill(w, C, 3);
    fill(b, C, 4);
    fill(bias, OC, 5);
    fill(pre, N * OC, 6);
    fill(d, N * OC, 7);
    float res[N * C], out[N * C], m[N], s[N], res2[N * C], out2[N * C], m2[N], s2[N];
    residual_layernorm_forward(res, out, m, s, x, y, w, b, N, C);
    residual_forward(res2, x, y, (size_t)N * C);
    layernorm_forward(out2, m2, s2, res2, w, b, N, C);
    CHECK(!memcmp(res, res2, sizeof res) && !memcmp(out, out2, sizeof out) &&
              !memcmp(m, m2, sizeof m) && !memcmp(s, s2, sizeof s),
          "residual_layernorm_forward == residual_forward + layernorm_forward, bitwise");

    /* bias + GELU: against a bias added row by row, then gelu_forward; backward against
       gelu_backward and the bias gradient summed per column in row order */
    float g[N * OC], g2[N * OC], db[OC] = {0}, db2[OC] = {0}, dg[N * OC], dg2[N * OC];
    memcpy(pre2, pre, sizeof pre);
    gelu_bias_forward(g, pre, bias, N, OC);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) pre2[n * OC + o] += bias[o];
    gelu_forward(g2, pre2, (size_t)N * OC);
    CHECK(!memcmp(pre, pre2, sizeof pre) && !memcmp(g, g2, sizeof g),
          "gelu_bias_forward == bias then gelu_forward, bitwise (pre-activation kept)");
    gelu_bias_backward(dg, db, pre, d, N, OC);
    gelu_backward(dg2, pre2, d, (size_t)N * OC);
    for (int o = 0; o < OC; o++)
        for (int n = 0; n < N; n++) db2[o] += dg2[n * OC + o];
    CHECK(!memcmp(dg, dg2, sizeof dg) && !memcmp(db, db2, sizeof db),
          "gelu_bias_backward == gelu_backward + column sums in row order, bitwise");
}

/* ---- the sgemm's epilogue: bias (in the micro-kernel) and GELU (per panel), the same bits as
 * separate passes; and the product itself against a sum in double, with B stored as is or
 * transposed (tb: B(k,n) at Bm[n*K + k], a weight read as W^T, which gemm.c packs its own
 * way) ---- */
static void epilogue_case(int M, int N, int K, int beta, int gelu, int tb)
{
    float *A = malloc(sizeof(float) * M * K), *Bm = malloc(sizeof(float) * K * N);
    float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    const int ldg = N + 3; /* GELU's output in a wider array than C: ldg is its own stride */
    float *G1 = malloc(sizeof(float) * M * ldg), *G2 = malloc(sizeof(float) * M * N);
    float *bias = malloc(sizeof(float) * N);
    fill(A, (size_t)M * K, 1);
    fill(Bm, (size_t)K * N, 1);
    fill(C1, (size_t)M * N, 1);
    memcpy(C2, C1, sizeof(float) * M * N); /* the same start */
    fill(bias, (size_t)N, 1);
    const long sbk = tb ? 1 : N, sbn = tb ? K : 1;
    /* the reference first, from C's start: the error relative to the sum of |terms| */
    double *want = malloc(sizeof(double) * M * N), *mag = malloc(sizeof(double) * M * N);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double w = (beta ? C1[m * N + n] : 0.0) + bias[n], g = fabs(w);
            for (int k = 0; k < K; k++) {
                const double t = (double)A[m * K + k] * Bm[k * sbk + n * sbn];
                w += t;
                g += fabs(t);
            }
            want[m * N + n] = w;
            mag[m * N + n] = g;
        }
    const wu_epilogue ep = {bias, gelu ? G1 : NULL, ldg};
    wu_sgemm_ep(M, N, K, A, K, 1, Bm, sbk, sbn, C1, N, beta, &ep);
    double worst = 0;
    for (int i = 0; i < M * N; i++) {
        const double e = fabs(C1[i] - want[i]) / (mag[i] + 1e-30);
        worst = e > worst ? e : worst;
    }
    CHECK(worst < 1e-6, "wu_sgemm_ep %dx%dx%d beta %d, B %s: off a sum in double by %.3g of "
          "the terms' magnitude", M, N, K, beta, tb ? "transposed" : "as is", worst);
    free(want); free(mag);
    wu_sgemm(M, N, K, A, K, 1, Bm, sbk, sbn, C2, N, beta);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) C2[m * N + n] += bias[n];
    int same_g = 1;
    if (gelu) {
        gelu_forward(G2, C2, (size_t)M * N);
        for (int m = 0; m < M; m++)
            same_g = same_g && !memcmp(G1 + (size_t)m * ldg, G2 + (size_t)m * N, sizeof(float) * N);
    }
    CHECK(!memcmp(C1, C2, sizeof(float) * M * N) && same_g,
          "wu_sgemm_ep %dx%dx%d beta %d%s == wu_sgemm, bias rows%s, bitwise", M, N, K, beta,
          gelu ? " gelu" : "", gelu ? ", gelu_forward" : "");
    free(A); free(Bm); free(C1); free(C2); free(G1); free(G2); free(bias);
}

static void test_epilogue(void)
{
    /* Each way of sharing the product with K past one block of 256 (the epilogue must wait for
       the last): by rows (200x45), by panel (97x130 on AVX-512: 5 panels of 32), by (row
       block, panel) pairs across the 96-row task boundary (110x40: too few rows per thread for
       row slices, too few panels to share); then one block, and a product of nothing */
    static const int shapes[][3] = {{200, 45, 513}, {97, 130, 300}, {110, 40, 300},
                                    {37, 75, 19}, {5, 9, 0}};
    for (int t = 1; t <= 2; t++) {
#ifdef _OPENMP
        const int keep = omp_get_max_threads();
        omp_set_num_threads(t);
#else
        if (t == 2) break;
#endif
        for (int s = 0; s < 5; s++)
            for (int beta = 0; beta < 2; beta++)
                for (int gelu = 0; gelu < 2; gelu++)
                    for (int tb = 0; tb < 2; tb++)
                        epilogue_case(shapes[s][0], shapes[s][1], shapes[s][2], beta, gelu, tb);
#ifdef _OPENMP
        omp_set_num_threads(keep);
#endif
    }
    /* the MLP's fused first layer, whatever the backend: matmul_forward then gelu_forward */
    enum { N = 70, C = 33, OC = 132 };
    float *x = malloc(sizeof(float) * N * C), *w = malloc(sizeof(float) * OC * C), b[OC];
    float *p1 = malloc(sizeof(float) * N * OC), *g1 = malloc(sizeof(float) * N * OC);
    float *p2 = malloc(sizeof(float) * N * OC), *g2 = malloc(sizeof(float) * N * OC);
    fill(x, (size_t)N * C, 1);
    fill(w, (size_t)OC * C, 1);
    fill(b, OC, 1);
    for (int prec = 0; prec < 2; prec++)
        for (int nb = 0; nb < 2; nb++) { /* with a bias, and without (NULL) */
            const float *bb = nb ? NULL : b;
            matmul_gelu_forward(p1, g1, x, w, bb, N, C, OC, (wu_precision)prec);
            matmul_forward(p2, x, w, bb, N, C, OC, (wu_precision)prec);
            gelu_forward(g2, p2, (size_t)N * OC);
            CHECK(!memcmp(p1, p2, sizeof(float) * N * OC) &&
                      !memcmp(g1, g2, sizeof(float) * N * OC),
                  "matmul_gelu_forward (%s, %s) == matmul_forward then gelu_forward, bitwise",
                  prec ? "bf16" : "fp32", nb ? "no bias" : "bias");
        }
    free(x); free(w); free(p1); free(g1); free(p2); free(g2);
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

/* The vector exp, tanh and GELU: a NaN in gives a NaN out (a diverged run's logits), without
 * the undefined float-to-int conversion UBSan caught in a run with --lr 1e30; finite values as
 * libm (exp, tanh) or the tanh formula in double (GELU and its derivative) give them. */
static void test_vmath(void)
{
    volatile float nan = NAN; /* volatile: computed at run time, as in a run */
    CHECK(isnan(wu_expf(nan)), "wu_expf(NaN) = %g, want NaN", (double)wu_expf(nan));
    CHECK(isnan(wu_tanhf(nan)), "wu_tanhf(NaN) = %g, want NaN", (double)wu_tanhf(nan));
    th_max m = TH_MAX_INIT;
    for (float x = -80.0f; x <= 80.0f; x += 0.37f) th_max_add(&m, th_rel(wu_expf(x), expf(x)), (long)(x * 100));
    CHECK_MAX(&m, 3e-7, "wu_expf against expf"); /* dropping the polynomial's r^7 term fails */
    CHECK(wu_expf(-1000.0f) >= 0 && wu_expf(1000.0f) > 1e38f, "wu_expf clamps");
    /* GELU and its derivative (both through vmath.h's gate wu_gelu_gate) against the tanh
       formula in double, over the tails too; the gate is never subnormal (slow in every lane) */
    th_max mf = TH_MAX_INIT, mb = TH_MAX_INIT;
    int subnormal = 0;
    for (float x = -30.0f; x <= 30.0f; x += 0.0137f) {
        const double k = 0.7978845608028654, c = 0.044715, u = k * (x + c * (double)x * x * x);
        const double th = tanh(u), f = 0.5 * x * (1 + th);
        const double df = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * k * (1 + 3 * c * (double)x * x);
        float dx = 0, one = 1;
        gelu_backward(&dx, &x, &one, 1);
        th_max_add(&mf, fabs(wu_gelu(x) - f) / (1 + fabs(f)), (long)(x * 1000));
        th_max_add(&mb, fabs(dx - df) / (1 + fabs(df)), (long)(x * 1000));
        subnormal += fpclassify(wu_gelu_gate(x, NULL)) == FP_SUBNORMAL;
    }
    CHECK_MAX(&mf, 3e-7, "wu_gelu against the tanh formula in double");
    CHECK_MAX(&mb, 3e-7, "gelu_backward against the derivative in double");
    CHECK(subnormal == 0, "GELU's gate was subnormal at %d points in the tail", subnormal);
    /* far negative inputs (a diverging run): GELU and its gradient are 0, as the tanh form
       gives, not a clamped gate times x^3; and a NaN among 64 values (the vector loop's body,
       not only its scalar tail) gives NaN in its own place only */
    enum { NV = 64 };
    float xs[NV], ones[NV], dxs[NV], gs[NV];
    for (int i = 0; i < NV; i++) {
        xs[i] = -powf(10.0f, (float)(i % 16) * 2.0f); /* -1 ... -1e30 */
        ones[i] = 1.0f;
    }
    xs[37] = nan;
    gelu_backward(dxs, xs, ones, NV);
    gelu_forward(gs, xs, NV);
    int bad = 0;
    for (int i = 0; i < NV; i++) {
        const int want_nan = i == 37, far = -xs[i] >= 100.0f;
        if (want_nan ? !(isnan(dxs[i]) && isnan(gs[i]))
                     : (isnan(dxs[i]) || isnan(gs[i]) || (far && (dxs[i] != 0 || gs[i] != 0))))
            bad++;
    }
    CHECK(bad == 0, "GELU over 64 values from -1 to -1e30 and a NaN: %d wrong (want 0 far out, "
          "NaN only at the NaN)", bad);
}

int main(void)
{
    printf("  matmul backend: %s\n", matmul_backend());
    test_vmath();
    test_matmul();
    test_gemm_bf16();
    test_layernorm();
    test_attention();
    test_attention_reference();
#ifdef _OPENMP
    test_threads();
#endif
    test_pointwise();
    test_fused();
    test_epilogue();
    test_crossentropy();
    return th_done("test_nn");
}
