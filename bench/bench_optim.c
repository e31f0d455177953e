/* bench_optim.c - time per optimizer step on 834,304 parameters (the reference GPT: vocab 256,
 * context 64, width 128, 4 layers), with 1 and 2 OpenMP threads, side by side with a plain
 * per-element loop in the style of llm.c's AdamW update, compiled with the same flags.
 * Median of 5 repeats of 50 steps. Run: make bench. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "warmup.h"

#define N 834304
#define STEPS 50
#define REPEATS 5

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A flat AdamW loop in the style of llm.c's gpt2_update: bias corrections computed once, then
 * one pass that divides by both per element. */
static void naive_adamw(float *p, const float *g, float *m, float *v, long n, float lr, float b1,
                        float b2, float eps, float wd, int t)
{
    float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
#ifdef _OPENMP
#pragma omp parallel for
#endif
    for (long i = 0; i < n; i++) {
        float mm = b1 * m[i] + (1.0f - b1) * g[i];
        float vv = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        float mh = mm / c1, vh = vv / c2;
        m[i] = mm;
        v[i] = vv;
        p[i] -= lr * (mh / (sqrtf(vh) + eps) + wd * p[i]);
    }
}

int main(void)
{
    float *p = malloc(N * sizeof *p), *g = malloc(N * sizeof *g);
    float *m = calloc(N, sizeof *m), *v = calloc(N, sizeof *v);
    srand(1);
    for (long i = 0; i < N; i++) {
        p[i] = (float)rand() / (float)RAND_MAX * 0.04f - 0.02f;
        g[i] = (float)rand() / (float)RAND_MAX * 2e-3f - 1e-3f;
    }
    wu_optim_config cfg;
    wu_optim_defaults(&cfg, WU_OPT_ADAMW);
    wu_optim *o;
    wu_error e;
    if (wu_optim_create(&o, &cfg, N, NULL, 0, NULL, NULL, 0, &e) != WU_OK) {
        fprintf(stderr, "bench: %s\n", e.msg);
        return 1;
    }
    printf("libwarmup %s, AdamW on %d parameters, median of %d x %d steps\n", WU_VERSION, N,
           REPEATS, STEPS);
    for (int threads = 1; threads <= 2; threads++) {
#ifdef _OPENMP
        omp_set_num_threads(threads);
#else
        if (threads > 1) break;
#endif
        for (int variant = 0; variant < 4; variant++) {
            double t[REPEATS];
            wu_optim_stats st;
            for (int r = 0; r < REPEATS; r++) {
                double t0 = now_ms();
                for (int s = 0; s < STEPS; s++) {
                    if (variant == 0) wu_optim_step(o, p, g, NULL);
                    else if (variant == 1) wu_optim_step(o, p, g, &st);
                    else if (variant == 2) wu_optim_clip_grad_norm(g, N, 1e9);
                    else naive_adamw(p, g, m, v, N, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, s + 1);
                }
                t[r] = (now_ms() - t0) / STEPS;
            }
            qsort(t, REPEATS, sizeof *t, cmp);
            static const char *const names[] = {"wu_optim_step", "wu_optim_step+stats",
                                                 "wu_optim_clip_grad_norm", "naive_flat_loop"};
            printf("c %s threads=%d %.3f ms/step\n", names[variant], threads, t[REPEATS / 2]);
        }
    }
    wu_optim_destroy(o);
    free(p); free(g); free(m); free(v);
    return 0;
}
