/* bench_schedule.c - nanoseconds per schedule evaluation, for every family and a 3-phase
 * composition. The first five names match bench/bench_torch_sched.py, which times PyTorch's
 * scheduler.step() for the same configurations; bench/compare_sched.sh runs both and prints the
 * ratios. Each figure is the median of 5 repeats of 20 passes over 20,000 steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "warmup.h"

#define STEPS 20000
#define PASSES 20
#define REPEATS 5

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static const struct { const char *name, *spec; } fam[] = {
        /* the same configurations as bench_torch_sched.py */
        {"linear", "torch:LinearLR(start_factor=0.01, total_iters=20000)"},
        {"cosine", "torch:CosineAnnealingLR(T_max=20000, eta_min=1e-5)"},
        {"onecycle", "torch:OneCycleLR(max_lr=1e-3, total_steps=20001)"},
        {"hf_cosine_warmup", "hf:cosine(num_warmup_steps=2000, num_training_steps=20000)"},
        {"sequential3", "torch:SequentialLR([LinearLR(start_factor=0.01, total_iters=2000), "
                        "ConstantLR(factor=1.0, total_iters=4000), CosineAnnealingLR(T_max=14000)], "
                        "milestones=[2000, 6000])"},
        /* every other family */
        {"native_warmup_linear", "warmup(10%)"},
        {"native_warmup_exp", "warmup(10%, exp)"},
        {"native_warmup_sigmoid", "warmup(10%, sigmoid)"},
        {"native_warmup_cosine", "warmup(10%) > cosine(to=0.1)"},
        {"native_wsd_3phase", "warmup(5%) > constant > sqrt(20%)"},
        {"native_invsqrt", "warmup(1000) > invsqrt"},
        {"native_sgdr", "sgdr(T0=1000, mult=2, decay=0.8, warmup=50)"},
        {"native_radam_product", "cosine * radam(beta2=0.999)"},
        {"native_onecycle", "onecycle(three_phase=true)"},
        {"native_cyclic", "cyclic(up=500, mode=triangular2)"},
        {"torch_step", "torch:StepLR(step_size=1000, gamma=0.5)"},
        {"torch_multistep", "torch:MultiStepLR(milestones=[5000, 10000, 15000], gamma=0.1)"},
        {"torch_exponential", "torch:ExponentialLR(gamma=0.9999)"},
        {"torch_poly", "torch:PolynomialLR(total_iters=20000, power=2.0)"},
        {"torch_warmrestarts", "torch:CosineAnnealingWarmRestarts(T_0=1000, T_mult=2)"},
        {"torch_cyclic", "torch:CyclicLR(base_lr=1e-4, max_lr=1e-3, step_size_up=500, mode='exp_range', gamma=0.9999)"},
        {"torch_chained", "torch:ChainedScheduler([ConstantLR(factor=0.5, total_iters=100), ExponentialLR(gamma=0.9999)])"},
        {"hf_linear", "hf:linear(num_warmup_steps=2000)"},
        {"hf_polynomial", "hf:polynomial(num_warmup_steps=2000, power=2.0)"},
        {"hf_wsd", "hf:warmup_stable_decay(num_warmup_steps=1000, num_decay_steps=4000, decay_type='1-sqrt')"},
    };
    double sink = 0;
    printf("libwarmup %s, 1 thread, %d evaluations per repeat\n", WU_VERSION, STEPS * PASSES);
    for (size_t f = 0; f < sizeof fam / sizeof *fam; f++) {
        wu_sched_opts o = {.lr = 1e-3, .total_steps = STEPS};
        wu_schedule *s;
        wu_error e;
        if (wu_sched_parse(&s, fam[f].spec, &o, &e) != WU_OK) {
            fprintf(stderr, "bench: %s: %s\n", fam[f].name, e.msg);
            return 1;
        }
        double t[REPEATS];
        for (int r = 0; r < REPEATS; r++) {
            double t0 = now_ns();
            for (int p = 0; p < PASSES; p++)
                for (int64_t k = 0; k < STEPS; k++) sink += wu_sched_lr(s, k);
            t[r] = (now_ns() - t0) / (double)(STEPS * PASSES);
        }
        qsort(t, REPEATS, sizeof *t, cmp);
        printf("c %s %.1f ns/eval\n", fam[f].name, t[REPEATS / 2]);
        wu_sched_destroy(s);
    }
    /* the floor: one libm call in the same loop, which cos/pow-based schedules cannot avoid
       while matching PyTorch's glibc results */
    static const char *const floors[] = {"libm_cos", "libm_pow", "libm_exp"};
    for (int f = 0; f < 3; f++) {
        double t[REPEATS];
        volatile double g = 0.9999;
        for (int r = 0; r < REPEATS; r++) {
            double t0 = now_ns();
            for (int p = 0; p < PASSES; p++)
                for (int64_t k = 0; k < STEPS; k++) {
                    double x = (double)k / STEPS;
                    sink += f == 0 ? cos(3.141592653589793 * x) : f == 1 ? pow(g, x * 100) : exp(-x);
                }
            t[r] = (now_ns() - t0) / (double)(STEPS * PASSES);
        }
        qsort(t, REPEATS, sizeof *t, cmp);
        printf("c %s %.1f ns/eval\n", floors[f], t[REPEATS / 2]);
    }
    fprintf(stderr, "(checksum %g)\n", sink);
    return 0;
}
