/* matmul.c - out = inp @ w^T + bias and its backward, through CBLAS sgemm when OpenBLAS is
 * present at build time (WU_HAVE_CBLAS), else a blocked, vectorisable kernel of our own.
 *
 * The builtin kernels (below) need no workspace and no packing: 4 x 8 register tiles, enough for
 * the small matrices of this project when OpenBLAS is missing. */
#include <string.h>

#include "nn.h"

#ifdef WU_HAVE_CBLAS
#include <cblas.h>
#endif

const char *matmul_backend(void)
{
#ifdef WU_HAVE_CBLAS
    return "openblas";
#else
    return "builtin";
#endif
}

/* The builtin kernels: C (M,N) (+)= A @ B for the three layouts a linear layer needs. Each
 * computes a 4 x 8 tile of C in registers; the 8 columns are contiguous in B (or in both
 * operands' shared dimension for abt), so the inner statements vectorise. Parallel over row
 * tiles; every C element is owned by one thread, so results do not depend on the thread count. */
#define TI 4
#define TJ 8

/* C (M,N) = (beta ? C : 0) + A (M,K) @ B^T, B (N,K) */
static void gemm_abt(float *c, const float *a, const float *b, int M, int N, int K, int beta)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)M * N * K > 65536)
#endif
    for (int i0 = 0; i0 < M; i0 += TI)
        for (int j0 = 0; j0 < N; j0 += TJ) {
            int im = M - i0 < TI ? M - i0 : TI, jm = N - j0 < TJ ? N - j0 : TJ;
            float acc[TI][TJ] = {{0}};
            for (int i = 0; i < im; i++)
                for (int j = 0; j < jm; j++) {
                    const float *x = a + (size_t)(i0 + i) * K, *y = b + (size_t)(j0 + j) * K;
                    float s[8] = {0};
                    int k = 0;
                    for (; k + 8 <= K; k += 8)
                        for (int u = 0; u < 8; u++) s[u] += x[k + u] * y[k + u];
                    for (; k < K; k++) s[0] += x[k] * y[k];
                    acc[i][j] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
                }
            for (int i = 0; i < im; i++)
                for (int j = 0; j < jm; j++) {
                    float *o = &c[(size_t)(i0 + i) * N + j0 + j];
                    *o = beta ? *o + acc[i][j] : acc[i][j];
                }
        }
}

/* C (M,N) = (beta ? C : 0) + A (M,K) @ B, B (K,N) */
static void gemm_ab(float *c, const float *a, const float *b, int M, int N, int K, int beta)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)M * N * K > 65536)
#endif
    for (int i0 = 0; i0 < M; i0 += TI)
        for (int j0 = 0; j0 < N; j0 += TJ) {
            int im = M - i0 < TI ? M - i0 : TI, jm = N - j0 < TJ ? N - j0 : TJ;
            float acc[TI][TJ] = {{0}};
            if (im == TI && jm == TJ) {
                for (int k = 0; k < K; k++) {
                    const float *bk = b + (size_t)k * N + j0;
                    for (int i = 0; i < TI; i++) {
                        float av = a[(size_t)(i0 + i) * K + k];
                        for (int j = 0; j < TJ; j++) acc[i][j] += av * bk[j];
                    }
                }
            } else {
                for (int k = 0; k < K; k++)
                    for (int i = 0; i < im; i++) {
                        float av = a[(size_t)(i0 + i) * K + k];
                        for (int j = 0; j < jm; j++) acc[i][j] += av * b[(size_t)k * N + j0 + j];
                    }
            }
            for (int i = 0; i < im; i++)
                for (int j = 0; j < jm; j++) {
                    float *o = &c[(size_t)(i0 + i) * N + j0 + j];
                    *o = beta ? *o + acc[i][j] : acc[i][j];
                }
        }
}

/* C (M,N) += A^T @ B, A (K,M), B (K,N) */
static void gemm_atb_acc(float *c, const float *a, const float *b, int M, int N, int K)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)M * N * K > 65536)
#endif
    for (int i0 = 0; i0 < M; i0 += TI)
        for (int j0 = 0; j0 < N; j0 += TJ) {
            int im = M - i0 < TI ? M - i0 : TI, jm = N - j0 < TJ ? N - j0 : TJ;
            float acc[TI][TJ] = {{0}};
            for (int k = 0; k < K; k++) {
                const float *ak = a + (size_t)k * M + i0, *bk = b + (size_t)k * N + j0;
                for (int i = 0; i < im; i++)
                    for (int j = 0; j < jm; j++) acc[i][j] += ak[i] * bk[j];
            }
            for (int i = 0; i < im; i++)
                for (int j = 0; j < jm; j++) c[(size_t)(i0 + i) * N + j0 + j] += acc[i][j];
        }
}

static void bias_forward(float *out, const float *bias, int N, int OC)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * OC > 65536)
#endif
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) out[(size_t)n * OC + o] += bias[o];
}

static void bias_backward(float *dbias, const float *dout, int N, int OC)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * OC > 65536)
#endif
    for (int o = 0; o < OC; o++) {
        float s = 0;
        for (int n = 0; n < N; n++) s += dout[(size_t)n * OC + o];
        dbias[o] += s;
    }
}

void matmul_forward_builtin(float *out, const float *inp, const float *w, const float *bias,
                            int N, int C, int OC)
{
    gemm_abt(out, inp, w, N, OC, C, 0);
    if (bias) bias_forward(out, bias, N, OC);
}

void matmul_backward_builtin(float *dinp, float *dw, float *dbias, const float *dout,
                             const float *inp, const float *w, int N, int C, int OC, int acc)
{
    if (dinp) gemm_ab(dinp, dout, w, N, C, OC, acc); /* (N,OC) @ (OC,C) */
    gemm_atb_acc(dw, dout, inp, OC, C, N);            /* (N,OC)^T @ (N,C) */
    if (dbias) bias_backward(dbias, dout, N, OC);
}

void matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int C,
                    int OC)
{
#ifdef WU_HAVE_CBLAS
    /* out = inp @ w^T: row-major, w transposed */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp, C, w, C, 0.0f, out,
                OC);
    if (bias) bias_forward(out, bias, N, OC);
#else
    matmul_forward_builtin(out, inp, w, bias, N, C, OC);
#endif
}

void matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                     const float *w, int N, int C, int OC, int acc)
{
#ifdef WU_HAVE_CBLAS
    /* dinp (N,C) = dout (N,OC) @ w (OC,C) */
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dout, OC, w, C,
                    acc ? 1.0f : 0.0f, dinp, C);
    /* dw (OC,C) += dout^T (OC,N) @ inp (N,C) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dw,
                C);
    if (dbias) bias_backward(dbias, dout, N, OC);
#else
    matmul_backward_builtin(dinp, dw, dbias, dout, inp, w, N, C, OC, acc);
#endif
}
