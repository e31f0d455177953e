/* pointwise.c - element-wise kernels: GELU (tanh approximation), GELU fused with the bias of
 * the layer before it, bias gradients (column sums) and residual additions.
 *
 * GELU (vmath.h's wu_gelu) needs an exponential, and libm's expf and tanhf are scalar calls
 * (libm's tanhf cost 40% of a training step before the branch-free vmath.h). The sgemm's
 * epilogue (wu_epilogue_tile, here) applies GELU to each panel of C it finishes (the bias goes
 * into gemm.c's micro-kernels). */
#include "nn.h"
#include "vmath.h"

/* d gelu(x) / dx = s + x 2 s (1 - s) k (1 + 3 c x^2), with s = 0.5 (1 + tanh(u)) (vmath.h's
 * wu_gelu_gate, which gives 1 - s without cancellation): 0.5 sech^2(u) = 2 s (1 - s) */
static inline float gelu_grad(float x)
{
    float r;
    const float s = wu_gelu_gate(x, &r);
    /* s == 0 far out (x < -9.4): 0, not 0 * x^3, which is NaN once x^2 overflows */
    return s > 0.0f ? s + 2.0f * x * s * r * WU_GELU_K * (1.0f + 3.0f * WU_GELU_C * x * x) : 0.0f;
}

WU_CLONES void gelu_forward(float *out, const float *inp, size_t n)
{
    // out, inp are (n): 0.5 x (1 + tanh(k (x + c x^3)))
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) out[i] = wu_gelu(inp[i]);
}

WU_CLONES void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n)
{
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) dinp[i] = gelu_grad(inp[i]) * dout[i];
}

/* The MLP's first layer ends in bias + GELU: adding the bias in the GELU's pass (and, backward,
 * summing the bias gradient in the GELU backward's pass) saves a pass over the largest
 * activation and a parallel region each way. The bias gradient is summed per column over rows in
 * order by the same code as bias_backward (column_sums below): the same bits. */
WU_CLONES void gelu_bias_forward(float *out, float *inp, const float *bias, int N, int OC)
{
    // inp (N,OC) += bias (OC), in place: the pre-activation the backward reads; out = gelu(inp)
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * OC > 65536)
#endif
    for (int n = 0; n < N; n++) {
        float *x = inp + (size_t)n * OC, *o = out + (size_t)n * OC;
        for (int j = 0; j < OC; j++) {
            float v = x[j] + bias[j];
            x[j] = v;
            o[j] = wu_gelu(v);
        }
    }
}

/* The sgemm's epilogue on a finished mr x nr block of C at (m0, n0), while it is in cache (gemm.c
 * passes a panel's rows, with the bias already added in its micro-kernel, or a whole product of
 * nothing): the bias, then GELU, in gelu_bias_forward's order, so the same bits as the separate
 * passes. */
WU_CLONES void wu_epilogue_tile(const wu_epilogue *ep, float *C, long ldc, int m0, int n0, int mr,
                                int nr)
{
    const float *b = ep->bias ? ep->bias + n0 : NULL;
    for (int i = 0; i < mr; i++) {
        float *c = C + (long)(m0 + i) * ldc + n0;
        if (b)
            for (int j = 0; j < nr; j++) c[j] += b[j];
        if (ep->gelu) {
            float *g = ep->gelu + (long)(m0 + i) * ep->ldg + n0;
            for (int j = 0; j < nr; j++) g[j] = wu_gelu(c[j]);
        }
    }
}

/* Column sums over rows (the bias gradients), in tasks of 64 columns so that the inner loop runs
 * along a row, contiguous and vectorised, while each column is summed over rows in order: a
 * fixed order, the same bits for any thread count. With x given, the summed values are
 * dout * gelu'(x), also written to dinp: the GELU backward in the same pass. */
WU_CLONES static void column_sums(float *sum, float *dinp, const float *x, const float *dout,
                                  int N, int OC)
{
    const int W = 64, tasks = (OC + W - 1) / W;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * OC > 65536)
#endif
    for (int t = 0; t < tasks; t++) {
        float s[64] = {0};
        int o0 = t * W, w = OC - o0 < W ? OC - o0 : W;
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * OC + o0;
            if (x) {
                const float *xr = x + (size_t)n * OC + o0;
                float *di = dinp + (size_t)n * OC + o0;
                for (int j = 0; j < w; j++) {
                    float v = gelu_grad(xr[j]) * d[j];
                    di[j] = v;
                    s[j] += v;
                }
            } else {
                for (int j = 0; j < w; j++) s[j] += d[j];
            }
        }
        for (int j = 0; j < w; j++) sum[o0 + j] += s[j];
    }
}

void bias_backward(float *dbias, const float *dout, int N, int OC)
{
    column_sums(dbias, NULL, NULL, dout, N, OC);
}

void gelu_bias_backward(float *dinp, float *dbias, const float *inp, const float *dout, int N,
                        int OC)
{
    column_sums(dbias, dinp, inp, dout, N, OC);
}

void residual_forward(float *out, const float *a, const float *b, size_t n)
{
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void add_inplace(float *y, const float *x, size_t n)
{
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

/* ---- activations for MLPs: ReLU and tanh ---------------------------------------------------- */

void relu_forward(float *out, const float *inp, size_t n)
{
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void relu_backward(float *dinp, const float *inp, const float *dout, size_t n)
{
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) dinp[i] = inp[i] > 0.0f ? dout[i] : 0.0f;
}

WU_CLONES void tanh_forward(float *out, const float *inp, size_t n)
{
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) out[i] = wu_tanhf(inp[i]);
}

void tanh_backward(float *dinp, const float *out, const float *dout, size_t n)
{
    // from the forward's output: d tanh = 1 - tanh^2
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}
