/* nn.h - the kernels of the training engine, each forward beside its backward.
 *
 * Conventions (as llm.c's train_gpt2.c): raw float arrays, outputs first, then inputs, then
 * sizes; a shape comment on each; weights stored (out, in) like PyTorch's nn.Linear. Backward
 * kernels accumulate (+=) into parameter gradients, which the caller zeroes once per step, and
 * assign (=) or, when `acc` is set, accumulate into input gradients, so no activation gradient
 * needs zeroing. Reductions have a fixed order: results depend on the thread count only through
 * the BLAS, and are bitwise repeatable for a given thread count. Kernels trust their arguments
 * (the model checks shapes once). */
#ifndef WU_NN_H
#define WU_NN_H

#include <stddef.h>

/* ---- embedding: out[b,t,:] = wte[tok[b,t],:] + wpe[t,:] ------------------------------------ */
/* out (B,T,C); tok (B,T) in [0, V); wte (V,C); wpe (maxT,C) */
void encoder_forward(float *out, const int *tok, const float *wte, const float *wpe, int B, int T,
                     int C);
/* dwte (V,C) +=, dwpe (maxT,C) += ; dout (B,T,C) */
void encoder_backward(float *dwte, float *dwpe, const float *dout, const int *tok, int B, int T,
                      int C);

/* ---- precision (`--precision`, issue 19) ---------------------------------------------------- */
/* The precision of a matmul's products: float32 (the default, PyTorch's bits), or bfloat16
 * operands with float32 products and sums (the weights, gradients and outputs stay float32). */
typedef enum wu_precision { WU_PREC_FP32 = 0, WU_PREC_BF16 = 1 } wu_precision;
/* 1 when this CPU runs AVX512-BF16 (vdpbf16ps) and the OS saves its registers, else 0; also 0
 * when the environment sets WU_NO_BF16 (to anything but "" or "0"), to test the refusal. */
int wu_cpu_has_bf16(void);
/* 1 when WU_NO_BF16 is set (to anything but "" or "0"): wu_cpu_has_bf16 then says 0 */
int wu_bf16_env_off(void);

/* ---- linear: out = inp @ w^T + bias -------------------------------------------------------- */
/* out (N,OC); inp (N,C); w (OC,C); bias (OC) or NULL. prec: WU_PREC_FP32 (OpenBLAS or the
 * builtin sgemm, matmul_backend), or WU_PREC_BF16 (wu_sgemm_bf16; its scalar model where the CPU
 * lacks the instruction) */
void matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int C,
                    int OC, wu_precision prec);
/* dinp (N,C) = (acc: +=) dout @ w; dw (OC,C) += dout^T @ inp; dbias (OC) += column sums of dout
 * (dinp, dbias may be NULL); prec as matmul_forward (dbias is a float32 sum either way) */
void matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                     const float *w, int N, int C, int OC, int acc, wu_precision prec);
/* The builtin matrix product (gemm.c): C (M,N) = (beta ? C : 0) + A @ B with A(m,k) at
 * A[m*sa_m + k*sa_k] and B(k,n) at B[k*sb_k + n*sb_n], so any transposition is a choice of
 * strides. Parallel, deterministic, AVX-512 / AVX2+FMA / portable kernels chosen at run time. */
void wu_sgemm(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
              long sb_k, long sb_n, float *C, long ldc, int beta);
/* What wu_sgemm_ep does to C once each element's sum over K is complete (the accumulated C
 * when beta is set; also when K == 0), while it is still in cache, so no separate pass over C:
 * C(m,n) += bias[n] when bias is set (in the micro-kernel's registers), then, when gelu is set,
 * gelu[m*ldg + n] = gelu(C(m,n)) (gelu_forward's function; per finished panel). The same bits as
 * the product followed by those passes. The caller owns every array; gelu must not overlap A,
 * B or C. */
typedef struct wu_epilogue {
    const float *bias; /* (N) or NULL */
    float *gelu;       /* (M, ldg) or NULL */
    long ldg;          /* gelu's row stride, in floats (>= N) */
} wu_epilogue;
/* wu_sgemm with ep (NULL: none) applied as the product finishes each part of C. */
void wu_sgemm_ep(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
                 long sb_k, long sb_n, float *C, long ldc, int beta, const wu_epilogue *ep);
/* The epilogue on the mr x nr block of C whose first element is C(m0, n0) (gemm.c calls it). */
void wu_epilogue_tile(const wu_epilogue *ep, float *C, long ldc, int m0, int n0, int mr, int nr);
/* The same product, same bits, on the calling thread only (no OpenMP inside; its packing
 * buffer, 32 KB, lives on the caller's stack): for kernels that run it from inside their own
 * parallel loop, such as attention per (batch, head). */
void wu_sgemm_serial(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
                     long sb_k, long sb_n, float *C, long ldc, int beta);
/* The micro-kernel wu_sgemm uses on this CPU: "avx512", "avx2" or "generic". */
const char *wu_sgemm_kernel(void);

/* wu_sgemm's product and operand contract with A and B rounded to bfloat16 (to nearest even,
 * denormals to zero) and float32 accumulation: per C element, K in blocks of 512, each summed
 * from zero in pairs of k as vdpbf16ps does (the odd k's product fused-added first, then the
 * even's, denormal results flushed), then stored (the first block when !beta) or added to C.
 * Parallel, deterministic (independent of the thread count). Returns 0; -1 without the
 * instruction (wu_cpu_has_bf16() == 0) and -2 out of memory for the packed operands
 * ((M + N) * min(K, 512) * 2 bytes), C untouched either way. */
int wu_sgemm_bf16(int M, int N, int K, const float *A, long sa_m, long sa_k, const float *B,
                  long sb_k, long sb_n, float *C, long ldc, int beta);
/* The same arithmetic in portable scalar C, bit for bit (a test compares them), slow: for
 * tests and for a CPU without the instruction. Cannot fail. */
void wu_sgemm_bf16_emulated(int M, int N, int K, const float *A, long sa_m, long sa_k,
                            const float *B, long sb_k, long sb_n, float *C, long ldc, int beta);

/* The same with the builtin kernels whatever the build (for tests and benchmarks). */
void matmul_forward_builtin(float *out, const float *inp, const float *w, const float *bias,
                            int N, int C, int OC);
void matmul_backward_builtin(float *dinp, float *dw, float *dbias, const float *dout,
                             const float *inp, const float *w, int N, int C, int OC, int acc);
/* Which product matmul_forward/backward use, in words: "openblas (Haswell kernel)" or
 * "builtin avx512 (...)". Chosen once per process: WU_MATMUL=openblas|builtin, else OpenBLAS
 * unless it would run an older kernel than the CPU supports (see matmul.c). */
const char *matmul_backend(void);

/* dbias (OC) += column sums of dout (N,OC), each over rows in order (matmul_backward's dbias) */
void bias_backward(float *dbias, const float *dout, int N, int OC);

/* ---- LayerNorm (eps 1e-5, biased variance, as PyTorch) ------------------------------------- */
/* out (N,C); mean, rstd (N) saved for backward; inp (N,C); w, b (C) */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                       const float *b, int N, int C);
/* The residual addition before a LayerNorm, fused: res (N,C) = x + y, then out = layernorm(res)
 * as layernorm_forward (same bits as residual_forward then layernorm_forward). */
void residual_layernorm_forward(float *res, float *out, float *mean, float *rstd, const float *x,
                                const float *y, const float *w, const float *b, int N, int C);
/* dinp (N,C) = (acc: +=); dw, db (C) += */
void layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, const float *mean, const float *rstd, int N, int C,
                        int acc);

/* ---- multi-head self-attention, fused ------------------------------------------------------ */
#define WU_ATT_MAX_T 4096 /* the kernels keep blocks of rows x T floats (64 KB) on the stack */
/* out (B,T,C); att (B,NH,T,T) softmax probabilities saved for backward (0 where masked);
 * qkv (B,T,3C) holding q | k | v, head h in columns [h*hs, (h+1)*hs) of each; causal: mask
 * t2 > t. stats (2*B*NH) or NULL: per (b,h) the largest pre-softmax logit and the mean row
 * entropy, for attention diagnostics. */
void attention_forward(float *out, float *att, float *stats, const float *qkv, int B, int T, int C,
                       int NH, int causal);
/* dqkv (B,T,3C) = ; dout (B,T,C) */
void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att, int B,
                        int T, int C, int NH, int causal);

/* ---- GELU, tanh approximation (GPT-2; PyTorch's approximate='tanh') ------------------------- */
void gelu_forward(float *out, const float *inp, size_t n);
/* dinp = dout * gelu'(inp) */
void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);
/* The MLP's first layer, fused: pre (N,OC) = inp (N,C) @ w^T + bias (bias (OC) or NULL), out
 * (N,OC) = gelu(pre). With the builtin float32 sgemm, the bias and GELU run in its epilogue
 * (wu_sgemm_ep); otherwise as matmul_forward without its bias, then gelu_bias_forward. The same
 * bits as matmul_forward then gelu_forward, for each backend. */
void matmul_gelu_forward(float *pre, float *out, const float *inp, const float *w,
                         const float *bias, int N, int C, int OC, wu_precision prec);
/* Fused with the bias of the matmul before it (that matmul called without its bias): inp (N,OC)
 * += bias (OC, not NULL) in place, out = gelu(inp). Same bits as matmul_forward's bias then
 * gelu_forward. */
void gelu_bias_forward(float *out, float *inp, const float *bias, int N, int OC);
/* dinp (N,OC) = dout * gelu'(inp); dbias (OC) += column sums of dinp (in row order, as
 * bias_backward) */
void gelu_bias_backward(float *dinp, float *dbias, const float *inp, const float *dout, int N,
                        int OC);

/* ---- ReLU and tanh (MLPs) ------------------------------------------------------------------ */
void relu_forward(float *out, const float *inp, size_t n);
void relu_backward(float *dinp, const float *inp, const float *dout, size_t n);
void tanh_forward(float *out, const float *inp, size_t n);
/* from the forward's output `out` */
void tanh_backward(float *dinp, const float *out, const float *dout, size_t n);

/* ---- residual: out = a + b; acc_add: y += x ----------------------------------------------- */
void residual_forward(float *out, const float *a, const float *b, size_t n);
void add_inplace(float *y, const float *x, size_t n);

/* ---- softmax cross-entropy, fused ---------------------------------------------------------- */
/* logits (N,V) in, overwritten with dlogits = (softmax - onehot) * dscale when dscale != 0,
 * else with the softmax. losses (N) = -log p[target]. Returns the mean loss. Diagnostics, each
 * optional (NULL): logz (N) the log-partition log(sum exp(logits)) of each row, maxlogit the
 * largest logit. */
float crossentropy_forward_backward(float *logits, float *losses, float *logz, float *maxlogit,
                                    const int *targets, int N, int V, float dscale);

#endif
