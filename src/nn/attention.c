/* attention.c - fused multi-head self-attention: scores, (causal) softmax and the weighted sum
 * in one pass per (batch, head), forward and backward both parallel over (batch, head).
 *
 * Each (b, h) reads and writes only its own head's slices, so the parallel loops need no
 * reduction and are deterministic. The softmax probabilities are kept for the backward pass
 * (B*NH*T*T floats); the pre-softmax scores are recomputed instead of stored. */
#include <math.h>
#include <string.h>

#include "nn.h"

void attention_forward(float *out, float *att, float *stats, const float *qkv, int B, int T, int C,
                       int NH, int causal)
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
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * C3 + h * hs;
                float *row = att + (((size_t)b * NH + h) * T + t) * T;
                int last = causal ? t : T - 1;
                float mx = -INFINITY;
                for (int t2 = 0; t2 <= last; t2++) {
                    const float *k = qkv + ((size_t)b * T + t2) * C3 + C + h * hs;
                    float s = 0.0f;
                    for (int i = 0; i < hs; i++) s += q[i] * k[i];
                    s *= scale;
                    row[t2] = s;
                    if (s > mx) mx = s;
                }
                float z = 0.0f, ps = 0.0f;
                for (int t2 = 0; t2 <= last; t2++) {
                    float e = expf(row[t2] - mx);
                    ps += e * (row[t2] - mx);
                    row[t2] = e;
                    z += e;
                }
                float inv = 1.0f / z;
                for (int t2 = 0; t2 <= last; t2++) row[t2] *= inv;
                for (int t2 = last + 1; t2 < T; t2++) row[t2] = 0.0f;
                if (stats) {
                    /* H = log Z - sum p (s - max) */
                    entropy += logf(z) - ps * inv;
                    if (mx > maxlogit) maxlogit = mx;
                }
                float *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0.0f;
                for (int t2 = 0; t2 <= last; t2++) {
                    const float *v = qkv + ((size_t)b * T + t2) * C3 + 2 * C + h * hs;
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

void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att, int B,
                        int T, int C, int NH, int causal)
{
    const int hs = C / NH, C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
#ifdef _OPENMP
#pragma omp parallel for collapse(2) schedule(static)
#endif
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            for (int t = 0; t < T; t++) { /* this head's dq, dk, dv start at zero */
                float *d = dqkv + ((size_t)b * T + t) * C3 + h * hs;
                memset(d, 0, sizeof(float) * (size_t)hs);
                memset(d + C, 0, sizeof(float) * (size_t)hs);
                memset(d + 2 * C, 0, sizeof(float) * (size_t)hs);
            }
            for (int t = 0; t < T; t++) {
                const float *row = att + (((size_t)b * NH + h) * T + t) * T;
                const float *dy = dout + ((size_t)b * T + t) * C + h * hs;
                const float *q = qkv + ((size_t)b * T + t) * C3 + h * hs;
                float *dq = dqkv + ((size_t)b * T + t) * C3 + h * hs;
                int last = causal ? t : T - 1;
                /* datt = dy . v; dv += p * dy; softmax backward needs sum_j p_j datt_j */
                float datt[WU_ATT_MAX_T];
                float dot = 0.0f;
                for (int t2 = 0; t2 <= last; t2++) {
                    const float *v = qkv + ((size_t)b * T + t2) * C3 + 2 * C + h * hs;
                    float *dv = dqkv + ((size_t)b * T + t2) * C3 + 2 * C + h * hs;
                    float s = 0.0f, p = row[t2];
                    for (int i = 0; i < hs; i++) {
                        s += dy[i] * v[i];
                        dv[i] += p * dy[i];
                    }
                    datt[t2] = s;
                    dot += p * s;
                }
                for (int t2 = 0; t2 <= last; t2++) {
                    float dpre = row[t2] * (datt[t2] - dot) * scale;
                    const float *k = qkv + ((size_t)b * T + t2) * C3 + C + h * hs;
                    float *dk = dqkv + ((size_t)b * T + t2) * C3 + C + h * hs;
                    for (int i = 0; i < hs; i++) {
                        dq[i] += dpre * k[i];
                        dk[i] += dpre * q[i];
                    }
                }
            }
        }
}
