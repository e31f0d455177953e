/* vmath.h - branch-free float math that compilers vectorise: the kernels' exp and tanh.
 * libm's expf/tanhf are scalar calls; these inline versions let element loops run in vector
 * registers. Accuracy: relative error below 2e-7 for exp, absolute below 2e-7 for tanh. */
#ifndef WU_VMATH_H
#define WU_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp(x) for x already in [-87, 88] (no NaN): Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2,
 * a degree-7 Taylor polynomial for exp(r), and 2^n built in the exponent bits. Rounding to
 * nearest uses the 1.5 * 2^23 trick, which needs no SSE4.1. */
static inline float wu_exp_core(float x)
{
    float t = x * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = x - n * 0.693145751953125f - n * 1.42860682030941723e-6f;
    /* Estrin's scheme: pairs, then r^2 and r^4, so the chain is 6 operations deep instead of
       Horner's 14 (without fused multiply-adds): loops of exponentials are bound by that chain */
    float r2 = r * r, r4 = r2 * r2;
    float p01 = 1.0f + r, p23 = 0.5f + r * (1.0f / 6), p45 = 1.0f / 24 + r * (1.0f / 120),
          p67 = 1.0f / 720 + r * (1.0f / 5040);
    float p = (p01 + r2 * p23) + r4 * (p45 + r2 * p67);
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* exp(x), clamped to [-87, 88]; a NaN (a diverged run's logits) passes no clamp, so it is
 * computed as 0 and returned as the NaN: no NaN reaches the float-to-int conversion above
 * (undefined behaviour). */
static inline float wu_expf(float x)
{
    float xc = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    xc = xc == xc ? xc : 0.0f;
    return x == x ? wu_exp_core(xc) : x;
}

/* tanh(u) = sign(u) (1 - 2 / (exp(2|u|) + 1)) */
static inline float wu_tanhf(float u)
{
    float a = fabsf(u);
    float th = 1.0f - 2.0f / (wu_expf(2.0f * a) + 1.0f);
    return u < 0 ? -th : th;
}

/* GELU, tanh approximation: gelu(x) = 0.5 x (1 + tanh(u)), u = k (x + c x^3), k = sqrt(2/pi) as
 * in PyTorch's approximate='tanh' (M_SQRT2 * M_2_SQRTPI * 0.5), computed as x s with the gate
 * s = 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u)): the same function in fewer operations than through
 * wu_tanhf (no |u|, sign or 1 - 2/(e + 1), and no cancellation in 1 + tanh where tanh is near
 * -1). Its derivative, s + 2 x s (1 - s) k (1 + 3 c x^2), needs no tanh either, and with
 * 1 - s = e s (e = exp(-2u)) no cancellation where s is near 1 (pointwise.c). Forward and
 * backward are 1.5x faster than in the tanh form (docs/BENCHMARKS.md, "GELU through its
 * gate"). The exponent is clamped to [-87, 80], and past 80 (x below about -9.4, where
 * gelu(x) is below 1e-34) the gate is exactly 0, as tanh's form gives: the clamped value
 * would grow with x^3 in the derivative. Not 88: there the gate of a very negative x is
 * subnormal, and the vectorised loop, which computes the clamped branch in every lane, ran
 * slower than the tanh form on those subnormal products. A NaN x gives -87 there, defined,
 * and the NaN comes back through the product with x. Here, not in pointwise.c, because the
 * sgemm's epilogue (wu_epilogue_tile) applies GELU too, and both must give the same bits. */
#define WU_GELU_K 0.7978845608028654f
#define WU_GELU_C 0.044715f
/* The gate s; with rest set, *rest = 1 - s computed as e s. */
static inline float wu_gelu_gate(float x, float *rest)
{
    float z = -2.0f * WU_GELU_K * (x + WU_GELU_C * x * x * x);
    z = z > -87.0f ? z : -87.0f;
    const int far = !(z < 80.0f);
    const float e = wu_exp_core(far ? 80.0f : z);
    const float s = far ? 0.0f : 1.0f / (1.0f + e);
    if (rest) *rest = far ? 1.0f : e * s;
    return s;
}
static inline float wu_gelu(float x) { return x * wu_gelu_gate(x, NULL); }

/* Eight lanes of partial sums combined in one fixed order: every eight-lane sum of the kernels
 * ends here, so that the loop before it vectorises without reassociation flags and its result
 * does not depend on the vector width. */
static inline float wu_sum8(const float s[8])
{
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/* A dot product in eight independent lanes (wu_sum8). */
static inline float wu_dot(const float *a, const float *b, int n)
{
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
    for (; i < n; i++) s[0] += a[i] * b[i];
    return wu_sum8(s);
}

/* Loops of these kernels get an AVX2 + FMA and an AVX-512 clone, picked at load time. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define WU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define WU_CLONES
#endif

#endif
