/* matmul.c - out = inp @ w^T + bias and its backward, through CBLAS sgemm when OpenBLAS is
 * present at build time (WU_HAVE_CBLAS), else a blocked, vectorisable kernel of our own.
 *
 * The builtin product is gemm.c's (wu_sgemm), with the bias (and, for the MLP's first layer, GELU)
 * in its epilogue; which product runs is decided once, below. With
 * WU_PREC_BF16 every product goes through gemm_bf16.c instead (bf16 operands, float32 sums),
 * whatever the backend; the bias and its gradient stay float32 sums. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"

#ifdef WU_HAVE_CBLAS
#include <cblas.h>
#endif

/* Which product to use, decided once per process (so a run is repeatable):
 *   WU_MATMUL=openblas or WU_MATMUL=builtin in the environment decides;
 *   else OpenBLAS, unless it runs an older kernel than this CPU supports. OpenBLAS picks its
 *   kernel from the CPU model, and on virtual machines that report a generic model it falls back
 *   to its SSE3 ("Prescott") kernel, 3 to 4 times slower here than the builtin AVX-512 one. */
#ifdef WU_HAVE_CBLAS
static int use_blas = -1;

static int blas_is_current(void)
{
    const char *core = openblas_get_corename();
    const char *kernel = wu_sgemm_kernel();
    static const char *const avx512[] = {"SkylakeX", "skylakex", "Cooperlake", "cooperlake",
                                         "SapphireRapids", "sapphirerapids", NULL};
    static const char *const avx2[] = {"Haswell", "haswell", "Zen", "zen", NULL};
    if (!strcmp(kernel, "generic")) return 1;
    for (int i = 0; avx512[i]; i++)
        if (core && !strcmp(core, avx512[i])) return 1;
    if (!strcmp(kernel, "avx2"))
        for (int i = 0; avx2[i]; i++)
            if (core && !strcmp(core, avx2[i])) return 1;
    return 0;
}

static int blas_on(void)
{
    if (use_blas < 0) {
        const char *env = getenv("WU_MATMUL");
        if (env && !strcmp(env, "openblas")) use_blas = 1;
        else if (env && !strcmp(env, "builtin")) use_blas = 0;
        else use_blas = blas_is_current();
    }
    return use_blas;
}
#endif

const char *matmul_backend(void)
{
    static char desc[96];
#ifdef WU_HAVE_CBLAS
    if (blas_on()) {
        snprintf(desc, sizeof desc, "openblas (%s kernel)", openblas_get_corename());
        return desc;
    }
    snprintf(desc, sizeof desc, "builtin %s (OpenBLAS would use its %s kernel)", wu_sgemm_kernel(),
             openblas_get_corename());
#else
    snprintf(desc, sizeof desc, "builtin %s", wu_sgemm_kernel());
#endif
    return desc;
}

static void bias_forward(float *out, const float *bias, int N, int OC)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)N * OC > 65536)
#endif
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) out[(size_t)n * OC + o] += bias[o];
}

void matmul_forward_builtin(float *out, const float *inp, const float *w, const float *bias,
                            int N, int C, int OC)
{
    /* out (N,OC) = inp (N,C) @ w^T: B(k,n) = w[n*C + k]; the bias in the product's epilogue */
    const wu_epilogue ep = {bias, NULL, 0};
    wu_sgemm_ep(N, OC, C, inp, C, 1, w, 1, C, out, OC, 0, bias ? &ep : NULL);
}

void matmul_backward_builtin(float *dinp, float *dw, float *dbias, const float *dout,
                             const float *inp, const float *w, int N, int C, int OC, int acc)
{
    /* dinp (N,C) = dout (N,OC) @ w (OC,C) */
    if (dinp) wu_sgemm(N, C, OC, dout, OC, 1, w, C, 1, dinp, C, acc);
    /* dw (OC,C) += dout^T @ inp: A(o,n) = dout[n*OC + o] */
    wu_sgemm(OC, C, N, dout, 1, OC, inp, C, 1, dw, C, 1);
    if (dbias) bias_backward(dbias, dout, N, OC);
}

/* The bf16 product, or its scalar model where the instruction is missing or the packing
 * buffers could not be had (same bits, slower: a caller that wants speed checks
 * wu_cpu_has_bf16 first, as wu_cfg_check does). */
static void gemm_bf16(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
                      long sb_k, long sb_n, float *C, long ldc, int beta)
{
    if (wu_sgemm_bf16(M, N, K, A, sa_m, sa_k, B, sb_k, sb_n, C, ldc, beta) != 0)
        wu_sgemm_bf16_emulated(M, N, K, A, sa_m, sa_k, B, sb_k, sb_n, C, ldc, beta);
}

void matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int C,
                    int OC, wu_precision prec)
{
    if (prec == WU_PREC_BF16) {
        gemm_bf16(N, OC, C, inp, C, 1, w, 1, C, out, OC, 0);
        if (bias) bias_forward(out, bias, N, OC);
        return;
    }
#ifdef WU_HAVE_CBLAS
    if (!blas_on()) {
        matmul_forward_builtin(out, inp, w, bias, N, C, OC);
        return;
    }
    /* out = inp @ w^T: row-major, w transposed */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp, C, w, C, 0.0f, out,
                OC);
    if (bias) bias_forward(out, bias, N, OC);
#else
    matmul_forward_builtin(out, inp, w, bias, N, C, OC);
#endif
}

void matmul_gelu_forward(float *pre, float *out, const float *inp, const float *w,
                         const float *bias, int N, int C, int OC, wu_precision prec)
{
    int builtin = prec == WU_PREC_FP32;
#ifdef WU_HAVE_CBLAS
    builtin = builtin && !blas_on();
#endif
    if (builtin) {
        const wu_epilogue ep = {bias, out, OC};
        wu_sgemm_ep(N, OC, C, inp, C, 1, w, 1, C, pre, OC, 0, &ep);
        return;
    }
    matmul_forward(pre, inp, w, NULL, N, C, OC, prec);
    if (bias) gelu_bias_forward(out, pre, bias, N, OC);
    else gelu_forward(out, pre, (size_t)N * OC);
}

void matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                     const float *w, int N, int C, int OC, int acc, wu_precision prec)
{
    if (prec == WU_PREC_BF16) { /* the builtin products' strides, in bf16 */
        if (dinp) gemm_bf16(N, C, OC, dout, OC, 1, w, C, 1, dinp, C, acc);
        gemm_bf16(OC, C, N, dout, 1, OC, inp, C, 1, dw, C, 1);
        if (dbias) bias_backward(dbias, dout, N, OC);
        return;
    }
#ifdef WU_HAVE_CBLAS
    if (!blas_on()) {
        matmul_backward_builtin(dinp, dw, dbias, dout, inp, w, N, C, OC, acc);
        return;
    }
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
