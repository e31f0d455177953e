/* layernorm.c - LayerNorm over the last dimension, as PyTorch's nn.LayerNorm (biased variance,
 * eps 1e-5). Rows run in parallel; the weight and bias gradients are summed column by column
 * over rows in order, so they do not depend on the thread count. */
#include <math.h>

#include "nn.h"
#include "vmath.h"

#define LN_EPS 1e-5f

/* Row sums run in eight lanes (wu_sum8, as wu_dot): a scalar chain of C dependent additions was
 * most of a row's time. */

/* sum of x */
static inline float row_sum(const float *x, int C)
{
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= C; i += 8)
        for (int j = 0; j < 8; j++) s[j] += x[i + j];
    for (; i < C; i++) s[0] += x[i];
    return wu_sum8(s);
}

/* sum of (x - m)^2 */
static inline float row_sqdev(const float *x, float m, int C)
{
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= C; i += 8)
        for (int j = 0; j < 8; j++) s[j] += (x[i + j] - m) * (x[i + j] - m);
    for (; i < C; i++) s[0] += (x[i] - m) * (x[i] - m);
    return wu_sum8(s);
}

/* One row: out = (x - mean) * rstd * w + b */
static inline void ln_row(float *o, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, int C)
{
    float m = row_sum(x, C) / (float)C;
    float v = row_sqdev(x, m, C) / (float)C;
    float s = 1.0f / sqrtf(v + LN_EPS);
    for (int i = 0; i < C; i++) o[i] = (x[i] - m) * s * w[i] + b[i];
    *mean = m;
    *rstd = s;
}

WU_CLONES void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                 const float *w, const float *b, int N, int C)
{
    // inp, out are (N,C); mean, rstd are (N)
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * C > 32768)
#endif
    for (int n = 0; n < N; n++)
        ln_row(out + (size_t)n * C, &mean[n], &rstd[n], inp + (size_t)n * C, w, b, C);
}

WU_CLONES void residual_layernorm_forward(float *res, float *out, float *mean, float *rstd,
                                          const float *x, const float *y, const float *w,
                                          const float *b, int N, int C)
{
    // res = x + y, out = layernorm(res): all (N,C); the row is still in L1 for the norm
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * C > 32768)
#endif
    for (int n = 0; n < N; n++) {
        float *r = res + (size_t)n * C;
        const float *xr = x + (size_t)n * C, *yr = y + (size_t)n * C;
        for (int i = 0; i < C; i++) r[i] = xr[i] + yr[i];
        ln_row(out + (size_t)n * C, &mean[n], &rstd[n], r, w, b, C);
    }
}

WU_CLONES void layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, const float *mean, const float *rstd, int N, int C,
                        int acc)
{
    // dinp = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dout * w
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * C > 32768)
#endif
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
        float m = mean[n], s = rstd[n];
        float gl[8] = {0, 0, 0, 0, 0, 0, 0, 0}, gxl[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int i = 0;
        for (; i + 8 <= C; i += 8)
            for (int j = 0; j < 8; j++) {
                float g = d[i + j] * w[i + j];
                gl[j] += g;
                gxl[j] += g * (x[i + j] - m) * s;
            }
        for (; i < C; i++) {
            float g = d[i] * w[i];
            gl[0] += g;
            gxl[0] += g * (x[i] - m) * s;
        }
        float gmean = wu_sum8(gl) / (float)C, gxmean = wu_sum8(gxl) / (float)C;
        float *di = dinp + (size_t)n * C;
        for (i = 0; i < C; i++) {
            float g = d[i] * w[i], xhat = (x[i] - m) * s;
            float v = s * (g - gmean - xhat * gxmean);
            di[i] = acc ? di[i] + v : v;
        }
    }
    /* parameter gradients: each column summed over rows in order (a fixed order), 64 columns
       per task so that the inner loop runs along a row, contiguous, instead of down a column */
    const int W = 64, tasks = (C + W - 1) / W;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * C > 32768)
#endif
    for (int t = 0; t < tasks; t++) {
        float sw[64] = {0}, sb[64] = {0};
        int c0 = t * W, w64 = C - c0 < W ? C - c0 : W;
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * C + c0, *x = inp + (size_t)n * C + c0;
            float m = mean[n], s = rstd[n];
            for (int j = 0; j < w64; j++) {
                sw[j] += d[j] * (x[j] - m) * s;
                sb[j] += d[j];
            }
        }
        for (int j = 0; j < w64; j++) {
            dw[c0 + j] += sw[j];
            db[c0 + j] += sb[j];
        }
    }
}
