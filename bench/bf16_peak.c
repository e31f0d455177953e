/* bf16_peak.c - the raw rate of the AVX512-BF16 dot product (vdpbf16ps) against the float32 FMA
 * (vfmadd231ps) on one core, for issue 19's `--precision bf16`: each loop keeps 24 independent
 * zmm accumulators busy (the micro-kernels' count), so the figure is the instruction's
 * throughput, not its latency. One vdpbf16ps is 32 multiply-adds, one 512-bit FMA 16.
 *
 *     cc -O2 bench/bf16_peak.c -o build/bf16_peak && build/bf16_peak
 *
 * Prints GFLOP/s of each (a multiply-add counted as 2) and their ratio; exits 2 without
 * AVX512-BF16. */
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define ITERS 20000000L

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* 24 accumulators, ITERS rounds each; the sum is printed so nothing is optimised away */
#define BODY(OP)                                                                                   \
    for (long it = 0; it < ITERS; it++) {                                                          \
        OP(0); OP(1); OP(2); OP(3); OP(4); OP(5); OP(6); OP(7); OP(8); OP(9); OP(10); OP(11);      \
        OP(12); OP(13); OP(14); OP(15); OP(16); OP(17); OP(18); OP(19); OP(20); OP(21); OP(22);    \
        OP(23);                                                                                    \
        __asm__ volatile("" : "+v"(a), "+v"(b));                                                   \
    }

/* Prints the accumulators' sum (so nothing is optimised away) and returns GFLOP/s for t seconds
 * of 24 x ITERS instructions of `lanes` multiply-adds each. */
__attribute__((target("avx512f"))) static double rate(const __m512 *acc, double t, int lanes)
{
    float s = 0;
    for (int i = 0; i < 24; i++) s += _mm512_reduce_add_ps(acc[i]);
    fprintf(stderr, "(%g)\n", (double)s);
    return 24.0 * ITERS * lanes * 2 / t * 1e-9;
}

__attribute__((target("avx512f"))) static double run_fma(void)
{
    __m512 acc[24], a = _mm512_set1_ps(1e-6f), b = _mm512_set1_ps(1e-6f);
    for (int i = 0; i < 24; i++) acc[i] = _mm512_setzero_ps();
    double t0 = now();
#define FMA(i) acc[i] = _mm512_fmadd_ps(a, b, acc[i])
    BODY(FMA)
    return rate(acc, now() - t0, 16);
}

__attribute__((target("avx512f,avx512bf16"))) static double run_bf16(void)
{
    __m512 acc[24];
    __m512bh a = (__m512bh)_mm512_set1_epi32(0x3f803f80), b = a;
    for (int i = 0; i < 24; i++) acc[i] = _mm512_setzero_ps();
    double t0 = now();
#define DP(i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b)
    BODY(DP)
    return rate(acc, now() - t0, 32);
}

int main(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bf16")) {
        fprintf(stderr, "bf16_peak: this CPU lacks AVX512-BF16\n");
        return 2;
    }
    double best_f = 0, best_b = 0;
    for (int r = 0; r < 3; r++) { /* alternated, best of 3 */
        double f = run_fma(), b = run_bf16();
        best_f = f > best_f ? f : best_f;
        best_b = b > best_b ? b : best_b;
    }
    printf("fma_fp32_gflops %.1f\ndpbf16_gflops %.1f\nratio_bf16_over_fp32 %.2f\n", best_f, best_b,
           best_b / best_f);
    return 0;
}
#else
int main(void)
{
    fprintf(stderr, "bf16_peak: needs x86-64 and GCC or Clang\n");
    return 2;
}
#endif
