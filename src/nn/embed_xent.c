/* embed_xent.c - the two ends of a language model: token + position embedding, and the fused
 * softmax cross-entropy whose backward is written into the logits buffer. */
#include <math.h>
#include <string.h>

#include "nn.h"
#include "vmath.h"

void encoder_forward(float *out, const int *tok, const float *wte, const float *wpe, int B, int T,
                     int C)
{
    // out (B,T,C) = wte[tok] + wpe[t]
#ifdef _OPENMP
#pragma omp parallel for collapse(2) schedule(static) if ((long)B * T * C > 65536)
#endif
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *o = out + ((size_t)b * T + t) * C;
            const float *e = wte + (size_t)tok[b * T + t] * C, *p = wpe + (size_t)t * C;
            for (int i = 0; i < C; i++) o[i] = e[i] + p[i];
        }
}

void encoder_backward(float *dwte, float *dwpe, const float *dout, const int *tok, int B, int T,
                      int C)
{
    /* in order over (b, t): several positions may share a token, and a fixed order keeps the
       sum repeatable; B*T*C additions are cheap next to the matmuls */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *d = dout + ((size_t)b * T + t) * C;
            float *e = dwte + (size_t)tok[b * T + t] * C, *p = dwpe + (size_t)t * C;
            for (int i = 0; i < C; i++) {
                e[i] += d[i];
                p[i] += d[i];
            }
        }
}

/* One row's softmax in place: returns its max and writes exp(x - max) / z; *zout = z. The sum
 * runs in eight lanes (wu_sum8) so that the exponentials vectorise. */
static inline float softmax_row(float *x, int V, float *zout)
{
    float mx = -INFINITY;
    for (int i = 0; i < V; i++) mx = x[i] > mx ? x[i] : mx;
    float zl[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= V; i += 8)
        for (int j = 0; j < 8; j++) {
            x[i + j] = wu_expf(x[i + j] - mx);
            zl[j] += x[i + j];
        }
    for (; i < V; i++) {
        x[i] = wu_expf(x[i] - mx);
        zl[0] += x[i];
    }
    float z = wu_sum8(zl);
    float inv = 1.0f / z;
    for (i = 0; i < V; i++) x[i] *= inv;
    *zout = z;
    return mx;
}

WU_CLONES float crossentropy_forward_backward(float *logits, float *losses, float *logz,
                                              float *maxlogit, const int *targets, int N, int V,
                                              float dscale)
{
    // logits (N,V) -> softmax or dlogits in place; losses (N); logz (N) or NULL
    float mxall = -INFINITY;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) reduction(max : mxall) if ((long)N * V > 65536)
#endif
    for (int n = 0; n < N; n++) {
        float *x = logits + (size_t)n * V;
        float xt = x[targets[n]], z;
        float mx = softmax_row(x, V, &z);
        /* -log softmax[target] = log z - (x_t - max) */
        float lz = logf(z);
        losses[n] = lz - (xt - mx);
        if (logz) logz[n] = mx + lz;
        if (dscale != 0.0f) {
            for (int i = 0; i < V; i++) x[i] *= dscale;
            x[targets[n]] -= dscale;
        }
        if (mx > mxall) mxall = mx;
    }
    if (maxlogit) *maxlogit = mxall; /* max is order-independent: repeatable */
    double total = 0.0;
    for (int n = 0; n < N; n++) total += losses[n]; /* in row order */
    return (float)(total / N);
}
