/* pointwise.c - element-wise kernels: GELU (tanh approximation) and residual additions.
 *
 * GELU needs tanh, and libm's tanhf is a scalar call that cost more than the matmuls around it
 * (40% of a training step before this file used vmath.h's branch-free wu_tanhf). */
#include "nn.h"
#include "vmath.h"

/* sqrt(2/pi), as in PyTorch's tanh-approximate GELU (M_SQRT2 * M_2_SQRTPI * 0.5) */
#define GELU_K 0.7978845608028654f
#define GELU_C 0.044715f

WU_CLONES void gelu_forward(float *out, const float *inp, size_t n)
{
    // out, inp are (n): 0.5 x (1 + tanh(k (x + c x^3)))
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + wu_tanhf(GELU_K * (x + GELU_C * x * x * x)));
    }
}

WU_CLONES void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n)
{
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n > 65536)
#endif
    for (size_t i = 0; i < n; i++) {
        float x = inp[i], u = GELU_K * (x + GELU_C * x * x * x);
        float th = wu_tanhf(u), sech2 = 1.0f - th * th;
        float g = 0.5f * (1.0f + th) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * GELU_C * x * x);
        dinp[i] = g * dout[i];
    }
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
