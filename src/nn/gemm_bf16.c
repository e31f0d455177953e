/* gemm_bf16.c - the reduced-precision matrix product of `--precision bf16` (issue 19): C (M,N)
 * = [C +] A (M,K) @ B (K,N) with the operands rounded to bfloat16 and the products summed in
 * float32, on the AVX512-BF16 dot-product instruction (vdpbf16ps), with the operand contract of
 * wu_sgemm (gemm.c); and a portable scalar model of it that gives the same bits.
 *
 * Why bf16 and not fp16: bfloat16 keeps float32's exponent range, so activations and gradients
 * need no loss scaling; only the mantissa is cut to 8 bits. The weights, their gradients and the
 * optimizer state stay float32 (the caller's buffers): only the copies packed for the product are
 * rounded, and every sum is a float32 sum.
 *
 * Design (gemm.c's Goto/BLIS split, with the packing shared):
 *   - K is cut into blocks of KC. For each block, every operand is converted once: A's rows and
 *     B's column panels of NR are packed in parallel, as 32-bit words holding two bf16 values of
 *     consecutive k (the even k in the low half), the word vdpbf16ps multiplies lane by lane;
 *   - then the (MR x NR) tiles of C are shared among the threads; a tile keeps 24 float32
 *     vectors in registers, and per pair of k broadcasts one word of each of its 12 rows;
 *   - each C element is computed by one tile in a fixed order, so results do not depend on the
 *     thread count.
 * The instruction's arithmetic (measured here, and as Intel's SDM states): per lane, acc +=
 * a_odd * b_odd, then acc += a_even * b_even, each a float32 fused multiply-add (a product of two
 * bf16 values is exact in float32) rounded to nearest even, with denormal inputs read as zero and
 * denormal results flushed to zero. wu_sgemm_bf16_emulated repeats exactly that, so a test can
 * compare the kernel bit for bit, and a machine without the instruction can still test the
 * arithmetic. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "nn.h"

#define KC 512 /* k per block: a 32-column panel of B is then 32 KiB, in L1 */
#define MR 12
#define NR 32

/* float32 -> bfloat16 bits, rounded to nearest even; a denormal (or zero) becomes a zero of its
 * sign, as the instruction reads denormals; a NaN stays a (quiet) NaN. */
static inline uint32_t to_bf16(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7f800000u) == 0) return (u >> 16) & 0x8000u;
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

static inline float from_bf16(uint32_t h)
{
    uint32_t u = h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- the portable model --------------------------------------------------------------------- */

/* A denormal result flushed to a zero of its sign (the instruction's FTZ). */
static inline float ftz(float x)
{
    return fabsf(x) < 1.17549435e-38f ? copysignf(0.0f, x) : x;
}

void wu_sgemm_bf16_emulated(int M, int N, int K, const float *A, long sa_m, long sa_k,
                            const float *B, long sb_k, long sb_n, float *C, long ldc, int beta)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float *c = C + (long)i * ldc + j;
            if (!beta) *c = 0.0f;
            for (int k0 = 0; k0 < K; k0 += KC) {
                const int kc = K - k0 < KC ? K - k0 : KC;
                float acc = 0.0f;
                for (int k = 0; k < kc; k += 2) { /* the pair (k, k+1), the odd one first */
                    const long ke = k0 + k, ko = ke + 1;
                    float ae = from_bf16(to_bf16(A[i * sa_m + ke * sa_k]));
                    float be = from_bf16(to_bf16(B[ke * sb_k + j * sb_n]));
                    float ao = k + 1 < kc ? from_bf16(to_bf16(A[i * sa_m + ko * sa_k])) : 0.0f;
                    float bo = k + 1 < kc ? from_bf16(to_bf16(B[ko * sb_k + j * sb_n])) : 0.0f;
                    acc = ftz(fmaf(ao, bo, acc));
                    acc = ftz(fmaf(ae, be, acc));
                }
                /* the first block of a product that does not accumulate stores, the rest add */
                *c = (!beta && k0 == 0) ? acc : *c + acc;
            }
        }
}

/* ---- run-time detection --------------------------------------------------------------------- */

int wu_bf16_env_off(void)
{
    const char *off = getenv("WU_NO_BF16");
    return off && *off && strcmp(off, "0");
}

int wu_cpu_has_bf16(void)
{
    if (wu_bf16_env_off()) return 0;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512bf16")))

/* 16 floats -> 16 bf16 values in the low halves of 32-bit lanes, as to_bf16. */
TGT static inline __m512i cvt16(__m512 x)
{
    const __m512i u = _mm512_castps_si512(x);
    const __m512i expo = _mm512_and_si512(u, _mm512_set1_epi32(0x7f800000));
    const __m512i mag = _mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff));
    const __m512i hi = _mm512_srli_epi32(u, 16);
    __m512i r = _mm512_srli_epi32(
        _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)),
                         _mm512_and_si512(hi, _mm512_set1_epi32(1))), 16);
    r = _mm512_mask_mov_epi32(r, _mm512_cmpgt_epu32_mask(mag, _mm512_set1_epi32(0x7f800000)),
                              _mm512_or_si512(hi, _mm512_set1_epi32(0x40)));
    r = _mm512_mask_mov_epi32(r, _mm512_cmpeq_epi32_mask(expo, _mm512_setzero_si512()),
                              _mm512_and_si512(hi, _mm512_set1_epi32(0x8000)));
    return r;
}

/* Pair words of (even, odd) k from two vectors of 16 floats each. */
TGT static inline __m512i pair16(__m512 even, __m512 odd)
{
    return _mm512_or_si512(cvt16(even), _mm512_slli_epi32(cvt16(odd), 16));
}

/* 32 consecutive floats (k, k+1, ...) -> 16 words of pairs. */
TGT static inline __m512i pairs_of32(const float *x)
{
    const __m512i lo = cvt16(_mm512_loadu_ps(x)), hi = cvt16(_mm512_loadu_ps(x + 16));
    /* words (x0 | x1<<16), (x2 | x3<<16), ...: even lanes low, odd lanes high */
    const __m512i idx_e = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i idx_o = _mm512_add_epi32(idx_e, _mm512_set1_epi32(1));
    const __m512i e = _mm512_permutex2var_epi32(lo, idx_e, hi);
    const __m512i o = _mm512_permutex2var_epi32(lo, idx_o, hi);
    return _mm512_or_si512(e, _mm512_slli_epi32(o, 16));
}

/* The word of pair p (k = 2p, 2p+1 < kc) of a strided vector x(k) = x[k * s]. */
static inline uint32_t pair_word(const float *x, long s, int p, int kc)
{
    uint32_t e = to_bf16(x[(long)2 * p * s]);
    uint32_t o = 2 * p + 1 < kc ? to_bf16(x[(long)(2 * p + 1) * s]) : 0u;
    return e | o << 16;
}

/* Pack MR rows of A (rows m0.., k0..k0+kc) into ap: row i's kp words at ap + i * kp. Rows past M
 * are zero. */
TGT static void pack_a(uint32_t *ap, int kp, const float *A, long sa_m, long sa_k, int m0, int M,
                       int k0, int kc)
{
    for (int i = 0; i < MR; i++) {
        uint32_t *dst = ap + (long)i * kp;
        if (m0 + i >= M) {
            memset(dst, 0, sizeof(uint32_t) * (size_t)kp);
            continue;
        }
        const float *row = A + (long)(m0 + i) * sa_m + (long)k0 * sa_k;
        int p = 0;
        if (sa_k == 1)
            for (; 2 * p + 32 <= kc; p += 16) _mm512_storeu_si512(dst + p, pairs_of32(row + 2 * p));
        for (; p < kp; p++) dst[p] = pair_word(row, sa_k, p, kc);
    }
}

/* The same for A stored by columns (sa_m == 1: dout^T in the weight gradient): pair p of the 12
 * rows from two contiguous runs of k = 2p and 2p+1, written as words to the row-major pack. */
TGT static void pack_a_cols(uint32_t *ap, int kp, const float *A, long sa_k, int m0, int M,
                            int k0, int kc)
{
    const int mr = M - m0 < MR ? M - m0 : MR;
    const __mmask16 live = (__mmask16)((1u << mr) - 1);
    uint32_t w[16];
    for (int p = 0; p < kp; p++) {
        const float *ce = A + m0 + (long)(k0 + 2 * p) * sa_k;
        __m512 e = _mm512_maskz_loadu_ps(live, ce);
        __m512 o = 2 * p + 1 < kc ? _mm512_maskz_loadu_ps(live, ce + sa_k) : _mm512_setzero_ps();
        _mm512_storeu_si512(w, pair16(e, o));
        for (int i = 0; i < MR; i++) ap[(long)i * kp + p] = i < mr ? w[i] : 0u;
    }
}

/* Pack pairs p0..p1 of B stored by rows (sb_n == 1: rows contiguous), every panel: row pair
 * (2p, 2p+1) read once, left to right, into NR words per panel. Columns past N are zero. */
TGT static void pack_b_rows(uint32_t *bpk, int kp, const float *B, long sb_k, int N, int k0,
                            int kc, int p0, int p1)
{
    const int npanels = (N + NR - 1) / NR;
    for (int p = p0; p < p1; p++) {
        const float *re = B + (long)(k0 + 2 * p) * sb_k, *ro = re + sb_k;
        const int odd = 2 * p + 1 < kc;
        for (int np = 0; np < npanels; np++)
            for (int h = 0; h < NR; h += 16) {
                const int n0 = np * NR + h, left = N - n0;
                const __mmask16 m = (__mmask16)(left >= 16 ? 0xffff : left > 0 ? (1u << left) - 1 : 0);
                __m512 e = _mm512_maskz_loadu_ps(m, re + n0);
                __m512 o = odd ? _mm512_maskz_loadu_ps(m, ro + n0) : _mm512_setzero_ps();
                _mm512_storeu_si512(bpk + ((long)np * kp + p) * NR + h, pair16(e, o));
            }
    }
}

/* Pack B's panel (k0..k0+kc, columns n0..n0+NR) into bp, per pair p NR words, for B not stored
 * by rows. Columns past N are zero. */
TGT static void pack_b(uint32_t *bp, int kp, const float *B, long sb_k, long sb_n, int n0, int N,
                       int k0, int kc)
{
    const int nr = N - n0 < NR ? N - n0 : NR;
    const float *b0 = B + (long)k0 * sb_k + (long)n0 * sb_n;
    for (int j = 0; j < NR; j++) { /* by columns (sb_k == 1: w^T in the forward) */
        const float *col = b0 + (long)j * sb_n;
        int p = 0;
        if (j < nr && sb_k == 1)
            for (; 2 * p + 32 <= kc; p += 16) {
                uint32_t w[16];
                _mm512_storeu_si512(w, pairs_of32(col + 2 * p));
                for (int q = 0; q < 16; q++) bp[(long)(p + q) * NR + j] = w[q];
            }
        for (; p < kp; p++) bp[(long)p * NR + j] = j < nr ? pair_word(col, sb_k, p, kc) : 0u;
    }
}

/* The micro-kernel: a 12 x 32 tile of C from kp pairs; ap row-major (row i at ap + i * kp), bp
 * NR words per pair. Stores (first) or adds the tile, clipped to mr x nr. */
TGT static void ukr_bf16(int kp, const uint32_t *ap, const uint32_t *bp, float *c, long ldc,
                         int mr, int nr, int first)
{
    __m512 acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int p = 0; p < kp; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(bp + (long)p * NR);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(bp + (long)p * NR + 16);
        for (int i = 0; i < MR; i++) {
            const __m512bh a = (__m512bh)_mm512_set1_epi32((int)ap[(long)i * kp + p]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], a, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], a, b1);
        }
    }
    const __mmask16 m_lo = (__mmask16)(nr >= 16 ? 0xffff : (1u << nr) - 1);
    const __mmask16 m_hi = (__mmask16)(nr >= 32 ? 0xffff : nr > 16 ? (1u << (nr - 16)) - 1 : 0);
    for (int i = 0; i < mr; i++) {
        float *ci = c + (long)i * ldc;
        if (first) {
            _mm512_mask_storeu_ps(ci, m_lo, acc[i][0]);
            _mm512_mask_storeu_ps(ci + 16, m_hi, acc[i][1]);
        } else {
            _mm512_mask_storeu_ps(ci, m_lo, _mm512_add_ps(_mm512_maskz_loadu_ps(m_lo, ci), acc[i][0]));
            _mm512_mask_storeu_ps(ci + 16, m_hi,
                                  _mm512_add_ps(_mm512_maskz_loadu_ps(m_hi, ci + 16), acc[i][1]));
        }
    }
}

/* One block of K for the whole product: pack, then the tiles. Called by every thread of the
 * team (or by one, unthreaded). */
static void block(int M, int N, const float *A, long sa_m, long sa_k, const float *B, long sb_k,
                  long sb_n, float *C, long ldc, int k0, int kc, int first, uint32_t *apk,
                  uint32_t *bpk)
{
    const int kp = (kc + 1) / 2, mpanels = (M + MR - 1) / MR, npanels = (N + NR - 1) / NR;
#ifdef _OPENMP
#pragma omp for schedule(static) nowait
#endif
    for (int mp = 0; mp < mpanels; mp++) {
        uint32_t *ap = apk + (long)mp * MR * kp;
        if (sa_m == 1 && sa_k != 1) pack_a_cols(ap, kp, A, sa_k, mp * MR, M, k0, kc);
        else pack_a(ap, kp, A, sa_m, sa_k, mp * MR, M, k0, kc);
    }
    if (sb_n == 1) { /* by rows, in chunks of 16 pairs */
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int p0 = 0; p0 < kp; p0 += 16)
            pack_b_rows(bpk, kp, B, sb_k, N, k0, kc, p0, p0 + 16 < kp ? p0 + 16 : kp);
    } else {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int np = 0; np < npanels; np++)
            pack_b(bpk + (long)np * NR * kp, kp, B, sb_k, sb_n, np * NR, N, k0, kc);
    }
    /* tiles down each panel of B in turn: a thread's panel stays in L1 while A streams from L2 */
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
    for (long t = 0; t < (long)mpanels * npanels; t++) {
        const int np = (int)(t / mpanels), mp = (int)(t % mpanels);
        const int m0 = mp * MR, n0 = np * NR;
        ukr_bf16(kp, apk + (long)mp * MR * kp, bpk + (long)np * NR * kp, C + (long)m0 * ldc + n0,
                 ldc, M - m0 < MR ? M - m0 : MR, N - n0 < NR ? N - n0 : NR, first);
    }
}

/* The packed operands, kept per calling thread from one product to the next: a fresh buffer per
 * call cost page faults worth 10% of a 1024^3 product. Grown, never shrunk; a thread's buffers
 * live as long as it does. */
typedef struct pack_buf {
    uint32_t *p;
    size_t n;
} pack_buf;
static _Thread_local pack_buf pack_a_buf, pack_b_buf;

static uint32_t *grow(pack_buf *b, size_t n)
{
    if (b->n < n) {
        free(b->p);
        b->p = malloc(sizeof(uint32_t) * n);
        b->n = b->p ? n : 0;
    }
    return b->p;
}

int wu_sgemm_bf16(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
                  long sb_k, long sb_n, float *C, long ldc, int beta)
{
    if (!wu_cpu_has_bf16()) return -1;
    if (M <= 0 || N <= 0) return 0;
    if (K == 0) {
        if (!beta)
            for (int i = 0; i < M; i++) memset(C + (long)i * ldc, 0, sizeof(float) * (size_t)N);
        return 0;
    }
    const int kcmax = K < KC ? K : KC, kpmax = (kcmax + 1) / 2;
    const size_t mpad = (size_t)(M + MR - 1) / MR * MR, npad = (size_t)(N + NR - 1) / NR * NR;
    uint32_t *apk = grow(&pack_a_buf, mpad * (size_t)kpmax);
    uint32_t *bpk = grow(&pack_b_buf, npad * (size_t)kpmax);
    if (!apk || !bpk) return -2;
#ifdef _OPENMP
#pragma omp parallel if ((long)M * N * kcmax > 65536)
#endif
    for (int k0 = 0; k0 < K; k0 += KC) {
        const int kc = K - k0 < KC ? K - k0 : KC;
        block(M, N, A, sa_m, sa_k, B, sb_k, sb_n, C, ldc, k0, kc, !beta && k0 == 0, apk, bpk);
    }
    return 0;
}

#else /* no x86-64 GCC: the instruction is never there */

int wu_sgemm_bf16(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
                  long sb_k, long sb_n, float *C, long ldc, int beta)
{
    (void)M, (void)N, (void)K, (void)A, (void)sa_m, (void)sa_k, (void)B, (void)sb_k, (void)sb_n;
    (void)C, (void)ldc, (void)beta;
    return -1;
}

#endif
