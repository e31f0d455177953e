/* attention.c - fused multi-head self-attention: scores, (causal) softmax and the weighted sum
 * in one pass per (batch, head), forward and backward both parallel over (batch, head).
 *
 * Each (b, h) reads and writes only its own head's slices, so the parallel loops need no
 * reduction and are deterministic. The softmax probabilities are kept for the backward pass
 * (B*NH*T*T floats); the pre-softmax scores are recomputed when needed instead of stored. Dot
 * products run in eight lanes and exponentials through vmath.h, so the inner loops vectorise. */
#include <math.h>
#include <string.h>

#include "nn.h"
#include "vmath.h"

WU_CLONES void attention_forward(float *out, float *att, float *stats, const float *qkv, int B,
                                 int T, int C, int NH, int causal)
{
    // qkv (B,T,3C) -> out (B,T,C); att (B,NH,T,T)
    const int hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
#ifdef _OPENMP
#pragma omp parallel for collapse(2) schedule(static)
#endif
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            float maxlogit = -INFINITY, entropy = 0.0f;
            const float *base = qkv + (size_t)b * T * C3 + h * hs;
            for (int t = 0; t < T; t++) {
                const float *q = base + (size_t)t * C3;
                float *row = att + (((size_t)b * NH + h) * T + t) * T;
                int n = causal ? t + 1 : T;
                float mx = -INFINITY;
                for (int t2 = 0; t2 < n; t2++) {
                    float s = wu_dot(q, base + (size_t)t2 * C3 + C, hs) * scale;
                    row[t2] = s;
                    mx = s > mx ? s : mx;
                }
                float z = 0.0f, ps = 0.0f;
                for (int t2 = 0; t2 < n; t2++) {
                    float d = row[t2] - mx, e = wu_expf(d);
                    ps += e * d;
                    row[t2] = e;
                    z += e;
                }
                float inv = 1.0f / z;
                for (int t2 = 0; t2 < n; t2++) row[t2] *= inv;
                for (int t2 = n; t2 < T; t2++) row[t2] = 0.0f;
                if (stats) {
                    /* H = log Z - sum p (s - max) */
                    entropy += logf(z) - ps * inv;
                    maxlogit = mx > maxlogit ? mx : maxlogit;
                }
                float *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0.0f;
                for (int t2 = 0; t2 < n; t2++) {
                    const float *v = base + (size_t)t2 * C3 + 2 * C;
                    float p = row[t2];
                    for (int i = 0; i < hs; i++) o[i] += p * v[i];
                }
            }
            if (stats) {
                stats[2 * (b * NH + h)] = maxlogit;
                stats[2 * (b * NH + h) + 1] = entropy / (float)T;
            }
        }
}

WU_CLONES void attention_backward(float *dqkv, const float *dout, const float *qkv,
                                  const float *att, int B, int T, int C, int NH, int causal)
{
    const int hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
#ifdef _OPENMP
#pragma omp parallel for collapse(2) schedule(static)
#endif
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const float *base = qkv + (size_t)b * T * C3 + h * hs;
            float *dbase = dqkv + (size_t)b * T * C3 + h * hs;
            for (int t = 0; t < T; t++) { /* this head's dq, dk, dv start at zero */
                float *d = dbase + (size_t)t * C3;
                memset(d, 0, sizeof(float) * (size_t)hs);
                memset(d + C, 0, sizeof(float) * (size_t)hs);
                memset(d + 2 * C, 0, sizeof(float) * (size_t)hs);
            }
            for (int t = 0; t < T; t++) {
                const float *row = att + (((size_t)b * NH + h) * T + t) * T;
                const float *dy = dout + ((size_t)b * T + t) * C + h * hs;
                const float *q = base + (size_t)t * C3;
                float *dq = dbase + (size_t)t * C3;
                int n = causal ? t + 1 : T;
                /* datt = dy . v; dv += p dy; the softmax backward needs sum_j p_j datt_j */
                float datt[WU_ATT_MAX_T];
                float dot = 0.0f;
                for (int t2 = 0; t2 < n; t2++) {
                    const float *v = base + (size_t)t2 * C3 + 2 * C;
                    float *dv = dbase + (size_t)t2 * C3 + 2 * C;
                    float p = row[t2], s = wu_dot(dy, v, hs);
                    for (int i = 0; i < hs; i++) dv[i] += p * dy[i];
                    datt[t2] = s;
                    dot += p * s;
                }
                for (int t2 = 0; t2 < n; t2++) {
                    float dpre = row[t2] * (datt[t2] - dot) * scale;
                    const float *k = base + (size_t)t2 * C3 + C;
                    float *dk = dbase + (size_t)t2 * C3 + C;
                    for (int i = 0; i < hs; i++) {
                        dq[i] += dpre * k[i];
                        dk[i] += dpre * q[i];
                    }
                }
            }
        }
}
