/* bench_gpt.c - training speed and memory of a GPT (by default the reference one: 4 layers, 4
 * heads, width 128, context 64, batch 8, vocab 256; AdamW), where the time and the memory go,
 * and the machine's sgemm peak.
 *
 *   make build/bench_gpt && OMP_NUM_THREADS=2 build/bench_gpt [--post-ln] [--steps N]
 *       [--steps-only] [--layers L] [--heads H] [--dim C] [--seq T] [--batch B] [--vocab V]
 *       [--precision fp32|bf16]
 *
 * The size options change the engine's wu_gpt_config (the context is the sequence length).
 * Prints "c gpt tokens_per_s ...", "c gpt peak_rss_mb ...", the model's memory by part
 * (wu_gpt_memory_split, plus the optimizer's state) against the peak RSS, a per-kernel
 * breakdown of one training step (each kernel timed on its own at the step's shapes), and the
 * fraction of the sgemm peak (measured here on a 1024^3 product) that a whole step reaches.
 * --steps-only stops after the whole steps (bench/train_overhead.sh needs only their tokens/s).
 * --check FILE writes the initial parameters, one batch and the losses of CHECK_STEPS AdamW
 * steps on it to FILE and stops: bench_torch_gpt.py --check FILE, with the same size options,
 * loads them into its model and must reproduce the losses (that both time the same model).
 * --precision bf16 (issue 19) runs the model's matmuls, and the per-kernel table's, in bf16
 * (exit 2 where the CPU lacks AVX512-BF16); the peak section then also times the bf16 product. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef WU_HAVE_CBLAS
#include <cblas.h>
#endif

#include "model/gpt.h"
#include "nn/nn.h"
#include "warmup.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Median seconds of `reps` runs of a block. */
#define TIME(var, reps, block)                                               \
    do {                                                                     \
        double ts_[15];                                                      \
        for (int r_ = 0; r_ < (reps); r_++) {                                \
            double t0_ = now();                                              \
            block;                                                           \
            ts_[r_] = now() - t0_;                                           \
        }                                                                    \
        for (int a_ = 0; a_ < (reps); a_++)                                  \
            for (int b_ = a_ + 1; b_ < (reps); b_++)                         \
                if (ts_[b_] < ts_[a_]) {                                     \
                    double x_ = ts_[a_];                                     \
                    ts_[a_] = ts_[b_];                                       \
                    ts_[b_] = x_;                                            \
                }                                                            \
        (var) = ts_[(reps) / 2];                                             \
    } while (0)

enum { CHECK_STEPS = 3 };

/* --check: float32 parameters (nparams), int32 tokens and targets (B*T each), float32 losses
 * (CHECK_STEPS), native byte order. Returns the exit status. */
static int write_check(const char *path, wu_gpt *m, wu_optim *opt, const int *tok, const int *tgt,
                       int B, int T)
{
    float loss[CHECK_STEPS];
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "bench_gpt: --check %s: cannot create the file\n", path);
        return 2;
    }
    int ok = fwrite(m->params, sizeof(float), m->nparams, f) == m->nparams;
    for (int i = 0; i < CHECK_STEPS; i++) {
        wu_gpt_forward(m, tok, tgt, B, T, &loss[i]);
        wu_gpt_zero_grad(m);
        wu_gpt_backward(m);
        wu_optim_step(opt, m->params, m->grads, NULL);
    }
    const size_t N = (size_t)B * T;
    ok = ok && fwrite(tok, sizeof(int), N, f) == N && fwrite(tgt, sizeof(int), N, f) == N &&
         fwrite(loss, sizeof(float), CHECK_STEPS, f) == CHECK_STEPS;
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "bench_gpt: --check %s: write failed (disk full?)\n", path);
        remove(path);
        return 2;
    }
    for (int i = 0; i < CHECK_STEPS; i++) printf("c gpt check_loss %d %.6f\n", i, loss[i]);
    return 0;
}

int main(int argc, char **argv)
{
    wu_gpt_config cfg = wu_gpt_default_config();
    int steps = 30, steps_only = 0, B = 8;
    const char *check = NULL;
    struct { const char *opt; int *val; } sizes[] = {{"--layers", &cfg.layers},
        {"--heads", &cfg.heads}, {"--dim", &cfg.dim}, {"--seq", &cfg.ctx}, {"--batch", &B},
        {"--vocab", &cfg.vocab}, {"--steps", &steps}};
    for (int i = 1; i < argc; i++) {
        int k = 0, nk_ = (int)(sizeof sizes / sizeof sizes[0]);
        if (!strcmp(argv[i], "--post-ln")) { cfg.post_ln = 1; continue; }
        if (!strcmp(argv[i], "--steps-only")) { steps_only = 1; continue; }
        if (!strcmp(argv[i], "--check") && i + 1 < argc) { check = argv[++i]; continue; }
        if (!strcmp(argv[i], "--precision") && i + 1 < argc &&
            (!strcmp(argv[i + 1], "fp32") || !strcmp(argv[i + 1], "bf16"))) {
            cfg.precision = !strcmp(argv[++i], "bf16") ? WU_PREC_BF16 : WU_PREC_FP32;
            continue;
        }
        while (k < nk_ && strcmp(argv[i], sizes[k].opt)) k++;
        char *end = NULL;
        long v = k < nk_ && i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
        if (k == nk_ || !end || *end || v < 1 || v > 1 << 20) {
            fprintf(stderr, "bench_gpt: argument %d: bad option or value '%s' (options: --post-ln "
                    "--steps-only --check FILE --precision fp32|bf16, and --steps --layers --heads --dim --seq --batch --vocab "
                    "followed by a positive integer)\n", i, argv[i]);
            return 2;
        }
        *sizes[k].val = (int)v;
        i++;
    }
    const int post_ln = cfg.post_ln;
    const wu_precision prec = (wu_precision)cfg.precision;
    if (prec == WU_PREC_BF16 && !wu_cpu_has_bf16()) {
        fprintf(stderr, "bench_gpt: --precision bf16 needs a CPU with AVX512-BF16\n");
        return 2;
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    const int T = cfg.ctx, N = B * T, C = cfg.dim, V = cfg.vocab;
    wu_gpt *m;
    wu_error e;
    if (wu_gpt_create(&m, &cfg, B, T, &e) != WU_OK) {
        fprintf(stderr, "bench_gpt: %s\n", e.msg);
        return 2;
    }
    wu_gpt_init(m, 1);
    wu_optim_config oc;
    wu_optim_defaults(&oc, WU_OPT_ADAMW);
    oc.lr = 3e-4;
    wu_optim *opt;
    wu_optim_create(&opt, &oc, m->nparams, NULL, 0, NULL, NULL, 0, NULL);
    int *tok = malloc(sizeof(int) * N), *tgt = malloc(sizeof(int) * N);
    unsigned s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        tok[i] = (int)(s >> 16) % V;
        s = s * 1103515245u + 12345u;
        tgt[i] = (int)(s >> 16) % V;
    }
    printf("libwarmup %s, matmul %s, %d threads, %s, L%d H%d C%d T%d V%d, %zu parameters, "
           "batch %dx%d\n", WU_VERSION, matmul_backend(), threads, post_ln ? "post_ln" : "pre_ln",
           cfg.layers, cfg.heads, C, T, V, m->nparams, B, T);
    printf("c gpt params %zu\n", m->nparams);
    if (check) {
        int rc = write_check(check, m, opt, tok, tgt, B, T);
        wu_optim_destroy(opt);
        wu_gpt_destroy(m);
        free(tok), free(tgt);
        return rc;
    }

    /* whole training steps */
    float loss = 0;
    double tf = 0, tb = 0, to = 0;
    for (int step = 0; step < steps + 5; step++) {
        double t0 = now();
        wu_gpt_forward(m, tok, tgt, B, T, &loss);
        double t1 = now();
        wu_gpt_zero_grad(m);
        wu_gpt_backward(m);
        double t2 = now();
        wu_optim_step(opt, m->params, m->grads, NULL);
        double t3 = now();
        if (step >= 5) { /* the first steps warm caches and thread pools */
            tf += t1 - t0;
            tb += t2 - t1;
            to += t3 - t2;
        }
    }
    double per_step = (tf + tb + to) / steps;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("c gpt final_loss %.4f\n", loss);
    printf("c gpt tokens_per_s %.1f\n", N / per_step);
    printf("c gpt ms_per_step %.2f (forward %.2f, backward %.2f, optimizer %.2f)\n",
           per_step * 1e3, tf / steps * 1e3, tb / steps * 1e3, to / steps * 1e3);
    printf("c gpt peak_rss_mb %.1f\n", ru.ru_maxrss / 1024.0);
    printf("c gpt model_memory_mb %.1f\n", wu_gpt_memory(m) / 1048576.0);
    /* where the memory goes: the engine's own buffers, against the peak RSS (the rest is the
       program, its libraries, OpenBLAS's and OpenMP's buffers, stacks) */
    wu_gpt_memory_parts mp;
    wu_gpt_memory_split(m, &mp);
    const double MB = 1048576.0, optst = (double)wu_optim_state_size(opt);
    const double known = (double)wu_gpt_memory(m) + optst;
    printf("c gpt memory_mb parameters %.1f gradients %.1f optimizer_state %.1f activations %.1f "
           "scratch %.1f other %.1f sum %.1f; peak_rss - sum %.1f\n", mp.params / MB,
           mp.grads / MB, optst / MB, mp.activations / MB, mp.scratch / MB, mp.other / MB,
           known / MB, ru.ru_maxrss / 1024.0 - known / MB);
    if (steps_only) {
        wu_optim_destroy(opt);
        wu_gpt_destroy(m);
        free(tok), free(tgt);
        return 0;
    }

    /* the machine's sgemm peak: the best of the builtin product and OpenBLAS (as it detects
       this CPU) on a 1024^3 product in their fastest layout (C = A @ B, both row-major) */
    int S = 1024;
    float *A = malloc(sizeof(float) * S * S), *Bm = malloc(sizeof(float) * S * S);
    float *Cm = malloc(sizeof(float) * S * S);
    for (int i = 0; i < S * S; i++) A[i] = Bm[i] = 1e-3f * (float)(i % 97);
    double tpk, tblas = 0;
    TIME(tpk, 5, wu_sgemm(S, S, S, A, S, 1, Bm, S, 1, Cm, S, 0));
    double peak = 2.0 * S * S * S / tpk;
    printf("c sgemm_builtin_gflops %.1f (%s kernel)\n", peak * 1e-9, wu_sgemm_kernel());
#ifdef WU_HAVE_CBLAS
    TIME(tblas, 5, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S, S, S, 1.0f, A, S, Bm,
                               S, 0.0f, Cm, S));
    printf("c sgemm_openblas_gflops %.1f (%s kernel)\n", 2.0 * S * S * S / tblas * 1e-9,
           openblas_get_corename());
    if (2.0 * S * S * S / tblas > peak) peak = 2.0 * S * S * S / tblas;
#endif
    (void)tblas;
    if (prec == WU_PREC_BF16) { /* the peak stays float32's: the figure the goal uses */
        double tbf;
        TIME(tbf, 5, wu_sgemm_bf16(S, S, S, A, S, 1, Bm, S, 1, Cm, S, 0));
        printf("c sgemm_bf16_gflops %.1f\n", 2.0 * S * S * S / tbf * 1e-9);
    }
    free(A); free(Bm); free(Cm);
    double step_flops = wu_gpt_flops(&cfg, B, T);
    printf("c sgemm_peak_gflops %.1f\n", peak * 1e-9);
    printf("c gpt step_gflop %.3f achieved_gflops %.1f fraction_of_peak %.2f\n", step_flops * 1e-9,
           step_flops / per_step * 1e-9, step_flops / per_step / peak);

    /* where the time goes: each kernel of one step, timed alone at the step's shapes */
    float *x = calloc((size_t)N * 4 * C, sizeof(float)), *y = calloc((size_t)N * 4 * C, sizeof(float));
    float *h = calloc((size_t)N * 4 * C, sizeof(float));
    float *w = calloc((size_t)V * C > (size_t)16 * C * C ? (size_t)V * C : (size_t)16 * C * C, sizeof(float));
    float *dw = calloc((size_t)V * C > (size_t)16 * C * C ? (size_t)V * C : (size_t)16 * C * C, sizeof(float));
    float *qkv = calloc((size_t)N * 3 * C, sizeof(float)), *att = calloc((size_t)B * cfg.heads * T * T, sizeof(float));
    float *dq = calloc((size_t)N * 3 * C, sizeof(float)), *mean = calloc(N, sizeof(float)), *rstd = calloc(N, sizeof(float));
    float *lg = calloc((size_t)N * V, sizeof(float)), *ls = calloc(N, sizeof(float));
    float *bias = calloc((size_t)4 * C, sizeof(float)), *dbias = calloc((size_t)4 * C, sizeof(float));
    for (int i = 0; i < N * 3 * C; i++) qkv[i] = 1e-2f * (float)(i % 13);
    for (int i = 0; i < N * 4 * C; i++) x[i] = 1e-2f * (float)(i % 17);
    const int L = cfg.layers;
    struct { const char *name; double t; int per_step; } k[13];
    int nk = 0;
#define KERNEL(nm, count, block)                   \
    do {                                           \
        double t_;                                 \
        TIME(t_, 9, block);                        \
        k[nk].name = (nm);                         \
        k[nk].t = t_;                              \
        k[nk].per_step = (count);                  \
        nk++;                                      \
    } while (0)
    /* as the pre-LN block calls them: fc with its bias and GELU (the builtin sgemm's epilogue) */
    KERNEL("matmul+bias fwd (qkv, proj, fc+gelu, fcproj)", L, {
        matmul_forward(y, x, w, bias, N, C, 3 * C, prec);
        matmul_forward(y, x, w, bias, N, C, C, prec);
        matmul_gelu_forward(y, h, x, w, bias, N, C, 4 * C, prec);
        matmul_forward(y, x, w, bias, N, 4 * C, C, prec);
    });
    KERNEL("matmul+bias bwd (qkv, proj, fc, fcproj)", L, {
        matmul_backward(y, dw, dbias, x, x, w, N, C, 3 * C, 0, prec);
        matmul_backward(y, dw, dbias, x, x, w, N, C, C, 0, prec);
        matmul_backward(y, dw, NULL, x, x, w, N, C, 4 * C, 0, prec);
        matmul_backward(y, dw, dbias, x, x, w, N, 4 * C, C, 0, prec);
    });
    KERNEL("output layer fwd+bwd (tied wte)", 1, {
        matmul_forward(lg, x, w, NULL, N, C, V, prec);
        matmul_backward(y, dw, NULL, lg, x, w, N, C, V, 0, prec);
    });
    KERNEL("attention fwd", L, attention_forward(y, att, NULL, qkv, B, T, C, cfg.heads, 1));
    KERNEL("attention bwd", L, attention_backward(dq, x, qkv, att, B, T, C, cfg.heads, 1));
    KERNEL("layernorm(+residual) fwd+bwd (x2)", L, {
        layernorm_forward(y, mean, rstd, x, w, w, N, C);
        layernorm_backward(y, dw, dw + C, x, x, w, mean, rstd, N, C, 0);
        residual_layernorm_forward(y + (size_t)N * C, y, mean, rstd, x, x + (size_t)N * C, w, w,
                                   N, C);
        layernorm_backward(y, dw, dw + C, x, x, w, mean, rstd, N, C, 0);
    });
    KERNEL("bias+gelu bwd", L, gelu_bias_backward(y, dbias, x, x, N, 4 * C));
    KERNEL("cross-entropy", 1, crossentropy_forward_backward(lg, ls, NULL, NULL, tgt, N, V, 1.0f / N));
    KERNEL("embedding fwd+bwd", 1, {
        encoder_forward(y, tok, w, dw, B, T, C);
        encoder_backward(dw, w, x, tok, B, T, C);
    });
    KERNEL("residual add (1 of 2 fused)", L,
           residual_forward(y, x, x + (size_t)N * C, (size_t)N * C));
    KERNEL("zero_grad", 1, wu_gpt_zero_grad(m));
    KERNEL("AdamW update", 1, wu_optim_step(opt, m->params, m->grads, NULL));
    double sum = 0;
    for (int i = 0; i < nk; i++) sum += k[i].t * k[i].per_step;
    printf("where one step's time goes (kernels timed alone; sum %.2f ms of %.2f ms measured):\n",
           sum * 1e3, per_step * 1e3);
    for (int i = 0; i < nk; i++)
        printf("  %-44s %7.3f ms x %d = %7.3f ms  %5.1f%%\n", k[i].name, k[i].t * 1e3,
               k[i].per_step, k[i].t * k[i].per_step * 1e3, 100.0 * k[i].t * k[i].per_step / sum);
    free(x); free(y); free(h); free(w); free(dw); free(qkv); free(att); free(dq); free(mean); free(rstd);
    free(lg); free(ls); free(bias); free(dbias); free(tok); free(tgt);
    wu_optim_destroy(opt);
    wu_gpt_destroy(m);
    return 0;
}
