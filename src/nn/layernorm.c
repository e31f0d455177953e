/* layernorm.c - LayerNorm over the last dimension, as PyTorch's nn.LayerNorm (biased variance,
 * eps 1e-5). Rows run in parallel; the weight and bias gradients are summed column by column
 * over rows in order, so they do not depend on the thread count. */
#include <math.h>

#include "nn.h"

#define LN_EPS 1e-5f

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                       const float *b, int N, int C)
{
    // inp, out are (N,C); mean, rstd are (N)
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * C > 32768)
#endif
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float m = 0.0f;
        for (int i = 0; i < C; i++) m += x[i];
        m /= (float)C;
        float v = 0.0f;
        for (int i = 0; i < C; i++) {
            float d = x[i] - m;
            v += d * d;
        }
        v /= (float)C;
        float s = 1.0f / sqrtf(v + LN_EPS);
        float *o = out + (size_t)n * C;
        for (int i = 0; i < C; i++) o[i] = (x[i] - m) * s * w[i] + b[i];
        mean[n] = m;
        rstd[n] = s;
    }
}

void layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
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
        float gmean = 0.0f, gxmean = 0.0f;
        for (int i = 0; i < C; i++) {
            float g = d[i] * w[i];
            gmean += g;
            gxmean += g * (x[i] - m) * s;
        }
        gmean /= (float)C;
        gxmean /= (float)C;
        float *di = dinp + (size_t)n * C;
        for (int i = 0; i < C; i++) {
            float g = d[i] * w[i], xhat = (x[i] - m) * s;
            float v = s * (g - gmean - xhat * gxmean);
            di[i] = acc ? di[i] + v : v;
        }
    }
    /* parameter gradients, one column per iteration: a fixed summation order */
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * C > 32768)
#endif
    for (int i = 0; i < C; i++) {
        float sw = 0.0f, sb = 0.0f;
        for (int n = 0; n < N; n++) {
            float d = dout[(size_t)n * C + i];
            sw += d * (inp[(size_t)n * C + i] - mean[n]) * rstd[n];
            sb += d;
        }
        dw[i] += sw;
        db[i] += sb;
    }
}
