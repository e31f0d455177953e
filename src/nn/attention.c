/* attention.c - fused multi-head self-attention: scores, (causal) softmax and the weighted sum,
 * forward and backward both parallel over (batch, head), each head's work as tiled products.
 *
 * Per (b, h) the scores S = Q K^T, the weighted sum P V and the five products of the backward
 * run through gemm.c's packed micro-kernels (wu_sgemm_serial, on the thread that owns the head)
 * over blocks of R query rows; a causal block stops at the column of its last row, so the
 * masked half is (nearly) never computed. Each (b, h) reads and writes only its own head's
 * slices, so the parallel loops need no reduction and the results do not depend on the thread
 * count. The softmax probabilities are kept for the backward pass (B*NH*T*T floats); the
 * pre-softmax scores are not stored. The row passes between the products (the softmax in
 * sixteen lanes, its backward in wu_dot's eight) vectorise, with exponentials from vmath.h.
 * Each thread keeps at most 64 KB + 64 KB (+ the product's 32 KB) on its stack. */
#include <math.h>
#include <string.h>

#include "nn.h"
#include "vmath.h"

/* Floats in each per-head stack buffer (64 KB): K^T or V^T when hs * T fits, and the backward's
 * block of R x T score gradients; WU_ATT_MAX_T * 4 fits it. */
#define ATT_BUF 16384

/* For the row helpers, inlined into each clone of the kernels (an out-of-line copy would run
 * the baseline ISA). */
#ifdef __GNUC__
#define ATT_INLINE static inline __attribute__((always_inline))
#else
#define ATT_INLINE static inline
#endif

/* Query rows per block: 32 (four AVX-512 micro-tiles), fewer for long sequences so that a
 * block of score gradients stays within ATT_BUF. */
static int block_rows(int T)
{
    int r = ATT_BUF / T;
    return r > 32 ? 32 : (r < 1 ? 1 : r);
}

/* A head's K or V (T rows of hs at stride C3) as the right operand B(i, t) = X(t, i) of a
 * product (S = Q K^T, dP = dOut V^T): element (i, t) at p[i*s_k + t*s_n]. */
typedef struct head_operand {
    const float *p;
    long s_k, s_n;
} head_operand;

/* Transposed into buf (hs, T) when it fits ATT_BUF, so that the product packs contiguous rows
 * instead of gathering a column each time it packs a panel; else X itself, gathered. */
ATT_INLINE head_operand head_transposed(float *buf, const float *x, int T, int hs, int C3)
{
    if ((long)hs * T > ATT_BUF) return (head_operand){x, 1, C3};
    int t = 0;
    for (; t + 8 <= T; t += 8) /* eight tokens at a time: the writes are whole vectors */
        for (int i = 0; i < hs; i++)
            for (int l = 0; l < 8; l++) buf[(size_t)i * T + t + l] = x[(size_t)(t + l) * C3 + i];
    for (; t < T; t++)
        for (int i = 0; i < hs; i++) buf[(size_t)i * T + t] = x[(size_t)t * C3 + i];
    return (head_operand){buf, T, 1};
}

/* The softmax's lanes: sixteen, one AVX-512 vector (two AVX2 ones); every clone sums them in
 * the same order, so the probabilities have the same bits whichever clone runs. */
#define SL 16 /* lanes_sum and lanes_max are written for sixteen */

/* lane l of a row's last group is kept when l < r (r = n - j, the entries left): keep[SL-r+l] */
static const float keep[2 * SL] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

/* The SL lanes of v summed in a fixed order: the halves added as one vector, then a tree. */
ATT_INLINE float lanes_sum(const float *v)
{
    float h[8];
    for (int l = 0; l < 8; l++) h[l] = v[l] + v[l + 8];
    return ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]));
}

/* The largest of the SL lanes of v (the order does not matter for a max). */
ATT_INLINE float lanes_max(const float *v)
{
    float h[8];
    for (int l = 0; l < 8; l++) h[l] = v[l] > v[l + 8] ? v[l] : v[l + 8];
    for (int l = 0; l < 4; l++) h[l] = h[l] > h[l + 4] ? h[l] : h[l + 4];
    float a = h[0] > h[2] ? h[0] : h[2], b = h[1] > h[3] ? h[1] : h[3];
    return a > b ? a : b;
}

/* One row of scores to probabilities in place: row[0..n) holds raw scores Q.K, scaled here;
 * row[n..T) becomes 0 (the causal mask). *mx gets the largest scaled score and, when ent is
 * not NULL, *ent the row's entropy, H = log Z - sum p (s - max). Sums and the max run in SL
 * lanes. A causal row's ragged end is padded to a whole group where the row has room (entries
 * past n are masked scores until the softmax writes them), so it runs as vector code too: the
 * padding holds a score far below any real one and its exponentials are multiplied by exact
 * zeros. */
ATT_INLINE void softmax_row(float *row, int n, int T, float scale, float *mx, float *ent)
{
    int nv = (n + SL - 1) / SL * SL; /* the groups cover [0, nv); a scalar tail [nv, n) if any */
    if (nv > T) nv = n / SL * SL;
    for (int j = n; j < nv; j++) row[j] = -1e30f; /* finite: 0 * it is 0, not NaN */
    float mv[SL];
    for (int l = 0; l < SL; l++) mv[l] = -INFINITY;
    for (int j = 0; j < nv; j += SL)
        for (int l = 0; l < SL; l++) {
            float s = row[j + l] * scale;
            row[j + l] = s;
            mv[l] = s > mv[l] ? s : mv[l];
        }
    for (int j = nv; j < n; j++) {
        float s = row[j] * scale;
        row[j] = s;
        mv[0] = s > mv[0] ? s : mv[0];
    }
    const float m = lanes_max(mv);
    float zv[SL], pv[SL];
    for (int l = 0; l < SL; l++) zv[l] = pv[l] = 0.0f;
    for (int j = 0; j < nv; j += SL) {
        const float *w = keep + SL - (n - j < SL ? n - j : SL);
        for (int l = 0; l < SL; l++) {
            float d = row[j + l] - m, e = wu_expf(d) * w[l];
            pv[l] += e * d;
            zv[l] += e;
            row[j + l] = e;
        }
    }
    for (int j = nv; j < n; j++) {
        float d = row[j] - m, e = wu_expf(d);
        pv[0] += e * d;
        zv[0] += e;
        row[j] = e;
    }
    const float z = lanes_sum(zv), inv = 1.0f / z;
    const int end = nv > n ? nv : n; /* row[n..nv) already holds zeros */
    for (int j = 0; j < end; j++) row[j] *= inv;
    for (int j = end; j < T; j++) row[j] = 0.0f;
    *mx = m;
    if (ent) *ent = logf(z) - lanes_sum(pv) * inv;
}

WU_CLONES void attention_forward(float *out, float *att, float *stats, const float *qkv, int B,
                                 int T, int C, int NH, int causal)
{
    // qkv (B,T,3C) -> out (B,T,C); att (B,NH,T,T)
    const int hs = C / NH, C3 = 3 * C, R = block_rows(T);
    const float scale = 1.0f / sqrtf((float)hs);
#ifdef _OPENMP
#pragma omp parallel for collapse(2) schedule(static)
#endif
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
            float *p = att + ((size_t)b * NH + h) * T * T;
            float *o = out + (size_t)b * T * C + h * hs;
            _Alignas(64) float kt[ATT_BUF];
            const head_operand kT = head_transposed(kt, k, T, hs, C3); /* S's right operand */
            float maxlogit = -INFINITY, entropy = 0.0f;
            for (int t0 = 0; t0 < T; t0 += R) {
                const int rows = T - t0 < R ? T - t0 : R, ncol = causal ? t0 + rows : T;
                /* S (rows, ncol) = Q K^T straight into att; the softmax scales it */
                wu_sgemm_serial(rows, ncol, hs, q + (size_t)t0 * C3, C3, 1, kT.p, kT.s_k, kT.s_n,
                                p + (size_t)t0 * T, T, 0);
                for (int t = t0; t < t0 + rows; t++) {
                    float mx, ent = 0.0f;
                    softmax_row(p + (size_t)t * T, causal ? t + 1 : T, T, scale, &mx,
                                stats ? &ent : NULL);
                    entropy += ent;
                    maxlogit = mx > maxlogit ? mx : maxlogit;
                }
                /* out (rows, hs) = P V; the masked zeros in the block add nothing */
                wu_sgemm_serial(rows, hs, ncol, p + (size_t)t0 * T, T, 1, v, C3, 1,
                                o + (size_t)t0 * C, C, 0);
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
    // dout (B,T,C) -> dqkv (B,T,3C), assigned; att (B,NH,T,T) the forward's probabilities
    const int hs = C / NH, C3 = 3 * C, R = block_rows(T);
    const float scale = 1.0f / sqrtf((float)hs);
#ifdef _OPENMP
#pragma omp parallel for collapse(2) schedule(static)
#endif
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
            float *dq = dqkv + (size_t)b * T * C3 + h * hs, *dk = dq + C, *dv = dq + 2 * C;
            const float *p = att + ((size_t)b * NH + h) * T * T;
            const float *dy = dout + (size_t)b * T * C + h * hs;
            _Alignas(64) float vt[ATT_BUF], ds[ATT_BUF]; /* ds: a block of dS */
            const head_operand vT = head_transposed(vt, v, T, hs, C3); /* dP's right operand */
            for (int t = 0; t < T; t++) memset(dk + (size_t)t * C3, 0, sizeof(float) * (size_t)hs);
            for (int t0 = 0; t0 < T; t0 += R) {
                const int rows = T - t0 < R ? T - t0 : R, ncol = causal ? t0 + rows : T;
                /* dV rows [t0, t0+rows) = P^T dOut, over the query rows that see them */
                const int tlo = causal ? t0 : 0;
                wu_sgemm_serial(rows, hs, T - tlo, p + (size_t)tlo * T + t0, 1, T,
                                dy + (size_t)tlo * C, C, 1, dv + (size_t)t0 * C3, C3, 0);
                /* dP (rows, ncol) = dOut V^T */
                wu_sgemm_serial(rows, ncol, hs, dy + (size_t)t0 * C, C, 1, vT.p, vT.s_k, vT.s_n, ds,
                                ncol, 0);
                /* dS = P (dP - sum_j P dP) scale, the softmax backward; exact zeros where masked */
                for (int t = t0; t < t0 + rows; t++) {
                    const float *pr = p + (size_t)t * T;
                    float *d = ds + (size_t)(t - t0) * ncol;
                    const int n = causal ? t + 1 : T;
                    const float dot = wu_dot(pr, d, n);
                    for (int j = 0; j < n; j++) d[j] = pr[j] * (d[j] - dot) * scale;
                    for (int j = n; j < ncol; j++) d[j] = 0.0f;
                }
                /* dQ (rows, hs) = dS K; dK (ncol, hs) += dS^T Q */
                wu_sgemm_serial(rows, hs, ncol, ds, ncol, 1, k, C3, 1, dq + (size_t)t0 * C3, C3, 0);
                wu_sgemm_serial(ncol, hs, rows, ds, 1, ncol, q + (size_t)t0 * C3, C3, 1, dk, C3, 1);
            }
        }
}
