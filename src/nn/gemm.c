/* gemm.c - the builtin single-precision matrix product: C (M,N) = [C +] A (M,K) @ B (K,N), for
 * operands in any stride layout, with AVX-512, AVX2 + FMA and portable micro-kernels chosen at
 * run time.
 *
 * Design (the classic Goto/BLIS split, kept small): the product is cut into tasks (a slice of
 * rows per thread, column panels, or MB rows x NR columns: wu_sgemm_ep says which), run in
 * parallel; each task runs the shared dimension's blocks of KC in order over its part of C. For
 * each block, a task packs its KC x NR slice of B into a contiguous buffer on its stack, then
 * walks its rows MR at a time with a micro-kernel that keeps an MR x NR tile of C in vector
 * registers and reads A by broadcasts straight from its (strided) storage. Every C element is computed by one task with a fixed
 * order over k: results do not depend on the thread count. wu_sgemm_serial runs the same
 * panels on the calling thread, for kernels that are already parallel over something else
 * (attention, per (batch, head)); both share panel_product, so their results are the same bits.
 * wu_sgemm_ep applies an epilogue after the last block of K: the bias in the micro-kernel's
 * registers, GELU over each finished panel's rows while they are in cache: no separate pass
 * over C, and no parallel region of its own. */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "nn.h"

#define KC 256
#define MB 96                 /* rows per task: a multiple of every MR below */
#define NR_MAX 32

/* A micro-kernel: c (mr x nr, row stride ldc) = [c +] the kc-deep product of the rows arow
 * (element k at arow[i][k * sa_k]) and the packed panel bp (kc x NR), then + bias (nr floats, or
 * NULL) on the tile's columns: the bias is added while the tile is in registers, after the sum,
 * so c = (c + sum) + bias as in a separate pass: the same bits. */
typedef void (*ukernel)(int kc, const float *const *arow, long sa_k, const float *bp, float *c,
                        long ldc, int mr, int nr, int first, const float *bias);

/* Write an MR x NR tile held in `t` (row stride NR) to C, clipped to mr x nr, then the bias. */
static void store_tile(const float *t, int NRt, float *c, long ldc, int mr, int nr, int first,
                       const float *bias)
{
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float v = first ? t[i * NRt + j] : c[i * ldc + j] + t[i * NRt + j];
            c[i * ldc + j] = bias ? v + bias[j] : v;
        }
}

/* ---- portable: 4 x 8, written so that compilers vectorise the j loop ----------------------- */
static void ukr_generic(int kc, const float *const *arow, long sa_k, const float *bp, float *c,
                        long ldc, int mr, int nr, int first,
                        const float *bias)
{
    float acc[4][8] = {{0}};
    for (int k = 0; k < kc; k++) {
        const float *b = bp + k * 8;
        for (int i = 0; i < 4; i++) {
            float a = arow[i][k * sa_k];
            for (int j = 0; j < 8; j++) acc[i][j] += a * b[j];
        }
    }
    store_tile(&acc[0][0], 8, c, ldc, mr, nr, first, bias);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* ---- AVX2 + FMA: 6 x 16, twelve accumulators ----------------------------------------------- */
__attribute__((target("avx2,fma"))) static void ukr_avx2(int kc, const float *const *arow,
                                                         long sa_k, const float *bp, float *c,
                                                         long ldc, int mr, int nr, int first,
                                                         const float *bias)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float *a0 = arow[0], *a1 = arow[1], *a2 = arow[2], *a3 = arow[3], *a4 = arow[4],
                *a5 = arow[5];
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(bp + k * 16), b1 = _mm256_load_ps(bp + k * 16 + 8);
        long o = k * sa_k;
        __m256 a;
        a = _mm256_broadcast_ss(a0 + o); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
        a = _mm256_broadcast_ss(a1 + o); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
        a = _mm256_broadcast_ss(a2 + o); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
        a = _mm256_broadcast_ss(a3 + o); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
        a = _mm256_broadcast_ss(a4 + o); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
        a = _mm256_broadcast_ss(a5 + o); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
    }
    __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    if (mr == 6 && nr == 16) {
        for (int i = 0; i < 6; i++) {
            float *ci = c + i * ldc;
            __m256 v0 = acc[2 * i], v1 = acc[2 * i + 1];
            if (!first) {
                v0 = _mm256_add_ps(_mm256_loadu_ps(ci), v0);
                v1 = _mm256_add_ps(_mm256_loadu_ps(ci + 8), v1);
            }
            if (bias) {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(bias));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(bias + 8));
            }
            _mm256_storeu_ps(ci, v0);
            _mm256_storeu_ps(ci + 8, v1);
        }
        return;
    }
    float t[6 * 16];
    for (int i = 0; i < 6; i++) {
        _mm256_storeu_ps(t + i * 16, acc[2 * i]);
        _mm256_storeu_ps(t + i * 16 + 8, acc[2 * i + 1]);
    }
    store_tile(t, 16, c, ldc, mr, nr, first, bias);
}

/* ---- AVX-512: 8 x 32, sixteen accumulators ------------------------------------------------- */
__attribute__((target("avx512f"))) static void ukr_avx512(int kc, const float *const *arow,
                                                          long sa_k, const float *bp, float *c,
                                                          long ldc, int mr, int nr, int first,
                                                          const float *bias)
{
    __m512 acc[8][2];
    for (int i = 0; i < 8; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(bp + k * 32), b1 = _mm512_load_ps(bp + k * 32 + 16);
        long o = k * sa_k;
        for (int i = 0; i < 8; i++) {
            __m512 a = _mm512_set1_ps(arow[i][o]);
            acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
        }
    }
    if (mr == 8 && nr == 32) {
        for (int i = 0; i < 8; i++) {
            float *ci = c + i * ldc;
            __m512 v0 = acc[i][0], v1 = acc[i][1];
            if (!first) {
                v0 = _mm512_add_ps(_mm512_loadu_ps(ci), v0);
                v1 = _mm512_add_ps(_mm512_loadu_ps(ci + 16), v1);
            }
            if (bias) {
                v0 = _mm512_add_ps(v0, _mm512_loadu_ps(bias));
                v1 = _mm512_add_ps(v1, _mm512_loadu_ps(bias + 16));
            }
            _mm512_storeu_ps(ci, v0);
            _mm512_storeu_ps(ci + 16, v1);
        }
        return;
    }
    float t[8 * 32];
    for (int i = 0; i < 8; i++) {
        _mm512_storeu_ps(t + i * 32, acc[i][0]);
        _mm512_storeu_ps(t + i * 32 + 16, acc[i][1]);
    }
    store_tile(t, 32, c, ldc, mr, nr, first, bias);
}
#endif

typedef struct kernel_info {
    ukernel fn;
    int mr, nr;
    const char *name;
} kernel_info;

/* The widest kernel this CPU runs. */
static kernel_info pick(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return (kernel_info){ukr_avx512, 8, 32, "avx512"};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return (kernel_info){ukr_avx2, 6, 16, "avx2"};
#endif
    return (kernel_info){ukr_generic, 4, 8, "generic"};
}

const char *wu_sgemm_kernel(void) { return pick().name; }

/* Pack B (k0..k0+kc, n0..n0+nr) into bp, kc rows of NR floats, zero-padded past nr. */
static void pack_panel(int NR, int n0, int nr, int k0, int kc, const float *B, long sb_k,
                       long sb_n, float *bp)
{
    if (sb_k == 1 && sb_n != 1) {
        /* B transposed (a weight read as W^T): walk each of the nr columns along k, a contiguous
           row of W, instead of gathering nr rows for every k */
        for (int j = 0; j < nr; j++) {
            const float *bj = B + (long)k0 + (long)(n0 + j) * sb_n;
            for (int k = 0; k < kc; k++) bp[k * NR + j] = bj[k];
        }
        for (int k = 0; k < kc; k++)
            for (int j = nr; j < NR; j++) bp[k * NR + j] = 0.0f;
        return;
    }
    for (int k = 0; k < kc; k++) {
        const float *bk = B + (long)(k0 + k) * sb_k + (long)n0 * sb_n;
        float *dst = bp + k * NR;
        if (sb_n == 1) {
            /* eight floats at a time: a plain memcpy of nr floats is expanded to `rep movsq`,
               whose start-up cost dominated the copy of a 128-byte row of a panel */
            int j = 0;
            for (; j + 8 <= nr; j += 8) memcpy(dst + j, bk + j, 8 * sizeof(float));
            for (; j < nr; j++) dst[j] = bk[j];
        } else {
            for (int j = 0; j < nr; j++) dst[j] = bk[(long)j * sb_n];
        }
        for (int j = nr; j < NR; j++) dst[j] = 0.0f;
    }
}

/* One KC-deep slice of the product for one column panel: pack B (k0..k0+kc, n0..n0+nr) into
 * bp, then sweep rows [mlo, mhi) of A MR at a time. Rows start at multiples of MR from mlo,
 * and each C element's sum over the slice runs in k order inside the micro-kernel, so the
 * result does not depend on how the caller splits rows or panels. */
static void panel_product(const kernel_info *ki, int mlo, int mhi, int n0, int nr, int k0, int kc,
                          const float *A, long sa_m, long sa_k, const float *B, long sb_k,
                          long sb_n, float *C, long ldc, int first, const wu_epilogue *ep,
                          float *bp)
{
    const int MR = ki->mr;
    /* the bias goes into the micro-kernel, added in registers; GELU, if any, over the panel's
       rows once they are all stored, while they are in cache (a 256 x 16 strip of the reference
       GPT is 16 KB; wu_epilogue_tile, without the bias): once per micro-tile, its call and its
       constants cost 3% of a step (Zen 3) */
    const float *bias = ep && ep->bias ? ep->bias + n0 : NULL;
    const wu_epilogue gelu_only = {NULL, ep ? ep->gelu : NULL, ep ? ep->ldg : 0};
    const wu_epilogue *gelu = ep && ep->gelu ? &gelu_only : NULL;
    pack_panel(ki->nr, n0, nr, k0, kc, B, sb_k, sb_n, bp);
    for (int m0 = mlo; m0 < mhi; m0 += MR) {
        const int mr = mhi - m0 < MR ? mhi - m0 : MR;
        const float *arow[8];
        for (int i = 0; i < MR; i++) /* rows past the edge repeat a valid row */
            arow[i] = A + (long)(m0 + (i < mr ? i : mr - 1)) * sa_m + (long)k0 * sa_k;
        ki->fn(kc, arow, sa_k, bp, C + (long)m0 * ldc + n0, ldc, mr, nr, first, bias);
    }
    if (gelu && mlo < mhi) wu_epilogue_tile(gelu, C, ldc, mlo, n0, mhi - mlo, nr);
}

/* One KC-deep slice over every column panel for rows [mlo, mhi): a row slice of wu_sgemm_ep,
 * and the whole of wu_sgemm_serial. */
static void all_panels(const kernel_info *ki, int mlo, int mhi, int N, int k0, int kc,
                       const float *A, long sa_m, long sa_k, const float *B, long sb_k, long sb_n,
                       float *C, long ldc, int first, const wu_epilogue *ep, float *bp)
{
    for (int n0 = 0; n0 < N && mlo < mhi; n0 += ki->nr)
        panel_product(ki, mlo, mhi, n0, N - n0 < ki->nr ? N - n0 : ki->nr, k0, kc, A, sa_m, sa_k,
                      B, sb_k, sb_n, C, ldc, first, ep, bp);
}

/* C = 0 for an empty shared dimension (a product of nothing), unless accumulating; then the
 * epilogue, if any, as one tile. */
static void product_of_nothing(int M, int N, float *C, long ldc, int beta, const wu_epilogue *ep)
{
    if (!beta)
        for (int i = 0; i < M; i++) memset(C + (long)i * ldc, 0, sizeof(float) * (size_t)N);
    if (ep) wu_epilogue_tile(ep, C, ldc, 0, 0, M, N);
}

void wu_sgemm(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
              long sb_k, long sb_n, float *C, long ldc, int beta)
{
    wu_sgemm_ep(M, N, K, A, sa_m, sa_k, B, sb_k, sb_n, C, ldc, beta, NULL);
}

void wu_sgemm_ep(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
                 long sb_k, long sb_n, float *C, long ldc, int beta, const wu_epilogue *ep)
{
    const kernel_info ki = pick();
    const int NR = ki.nr;
    const int mblocks = (M + MB - 1) / MB, npanels = (N + NR - 1) / NR;
    if (K == 0) {
        product_of_nothing(M, N, C, ldc, beta, ep);
        return;
    }
    /* Three ways to share the work; in each, every C element has one owner:
     * - by rows, when A has at least as many rows as B has columns: thread t takes the t-th
     *   contiguous slice of rows, across every panel (so each thread packs all of B). This
     *   catches the forward's and the input gradients' products, whose rows are tokens: the
     *   element-wise kernels and attention share tokens the same way (static schedules over
     *   rows), so a thread multiplies and writes rows that are in its own cache instead of
     *   fetching half of them from the other core's (docs/BENCHMARKS.md, issue 19). A weight
     *   gradient with OC >= C lands here too (its rows are features), measured no slower;
     * - by column panel, when there are enough panels to share: each panel of B is then packed
     *   once and swept down all of A;
     * - otherwise by (row block, panel) pairs, each packing its own copy of the panel. */
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    const int rows_each = ((M + threads - 1) / threads + ki.mr - 1) / ki.mr * ki.mr;
    const int by_rows = threads > 1 && M >= N && rows_each >= 64;
    const int by_panel = !by_rows && npanels >= 2 * threads;
    const int ntasks = by_rows ? threads : by_panel ? npanels : mblocks * npanels;
    /* Each task runs every block of K over its own part of C in turn, so no thread waits for
       another between blocks (one parallel region per product, not one per block); each
       element still sums the blocks in k order. */
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)M * N * (K < KC ? K : KC) > 32768)
#endif
    for (int task = 0; task < ntasks; task++) {
        _Alignas(64) float bp[KC * NR_MAX];
        for (int k0 = 0; k0 < K; k0 += KC) {
            const int kc = K - k0 < KC ? K - k0 : KC;
            const int first = !beta && k0 == 0;
            const wu_epilogue *last = k0 + kc == K ? ep : NULL;
            if (by_rows) {
                const int mlo = task * rows_each, mhi = mlo + rows_each < M ? mlo + rows_each : M;
                all_panels(&ki, mlo, mhi, N, k0, kc, A, sa_m, sa_k, B, sb_k, sb_n, C, ldc, first,
                           last, bp);
                continue;
            }
            const int np = by_panel ? task : task % npanels;
            const int mlo = by_panel ? 0 : task / npanels * MB;
            const int mhi = by_panel || mlo + MB > M ? M : mlo + MB;
            const int n0 = np * NR, nr = N - n0 < NR ? N - n0 : NR;
            panel_product(&ki, mlo, mhi, n0, nr, k0, kc, A, sa_m, sa_k, B, sb_k, sb_n, C, ldc,
                          first, last, bp);
        }
    }
}

void wu_sgemm_serial(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
                     long sb_k, long sb_n, float *C, long ldc, int beta)
{
    const kernel_info ki = pick();
    if (K == 0) {
        product_of_nothing(M, N, C, ldc, beta, NULL);
        return;
    }
    _Alignas(64) float bp[KC * NR_MAX]; /* 32 KB: small enough for an OpenMP thread's stack */
    for (int k0 = 0; k0 < K; k0 += KC)
        all_panels(&ki, 0, M, N, k0, K - k0 < KC ? K - k0 : KC, A, sa_m, sa_k, B, sb_k, sb_n, C,
                   ldc, !beta && k0 == 0, NULL, bp);
}
