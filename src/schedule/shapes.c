/* shapes.c - the curves every schedule is made of, as pure functions of progress x in [0, 1].
 *
 * A warmup "rises" from 0 to 1 and a decay "falls" from 1 to 0; the caller maps the result onto
 * its own start and end levels. Each formula keeps the operation order of the reference it
 * follows (cited per case), so that hf: and native results agree with Python to the last bit. */
#include <math.h>

#include "sched_impl.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Logistic function; used by the sigmoid warmup. */
static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

double wu__rise(int shape, double x, double k)
{
    switch (shape) {
    case S_LINEAR: return x;
    /* HF warmup_stable_decay, warmup_type="cosine": 0.5 * (1 - cos(pi * progress)) */
    case S_COS: return 0.5 * (1.0 - cos(M_PI * x));
    /* HF warmup_stable_decay, warmup_type="1-sqrt" */
    case S_SQRT: return 1.0 - sqrt(1.0 - x);
    /* darknet's burn_in: lr * (batch / burn_in)^power, power 4 by default */
    case S_POLY: return pow(x, k);
    /* the guide's exponential warmup: 1 - exp(-5 t / W); k = 5 by default */
    case S_EXP: return 1.0 - exp(-k * x);
    /* a logistic curve rescaled so that it starts at exactly 0 and ends at exactly 1;
       k is the steepness (10 by default) */
    case S_SIGMOID: {
        double lo = sigm(-0.5 * k), hi = sigm(0.5 * k);
        return (sigm(k * (x - 0.5)) - lo) / (hi - lo);
    }
    case S_CONST: return 0.0; /* hold the start level until the phase ends, then jump */
    default: return x;
    }
}

double wu__fall(int shape, double x, double k)
{
    switch (shape) {
    case S_LINEAR: return 1.0 - x;
    /* HF cosine: 0.5 * (1 + cos(pi * num_cycles * 2 * progress)); k = num_cycles, 0.5 is a
       half wave from 1 down to 0 */
    case S_COS: return 0.5 * (1.0 + cos(M_PI * k * 2.0 * x));
    /* the 1-sqrt cooldown of warmup-stable-decay (Hagele et al. 2024, HF decay_type="1-sqrt") */
    case S_SQRT: return 1.0 - sqrt(x);
    /* polynomial decay (1 - x)^power */
    case S_POLY: return pow(1.0 - x, k);
    case S_EXP: return exp(-k * x);
    case S_SIGMOID: return 1.0 - wu__rise(S_SIGMOID, x, k);
    case S_CONST: return 1.0;
    default: return 1.0 - x;
    }
}

/* RAdam's variance rectification, as a warmup multiplier (Liu et al. 2019; the form used by
 * pytorch_warmup's RAdamWarmup): rho_inf = 2/(1-b2) - 1, rho_t = rho_inf - 2 t b2^t / (1 - b2^t),
 * factor = sqrt((rho-4)(rho-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho)), evaluated at t + offset
 * where offset is the first t >= 1 with rho_t > 4. The factor itself is evaluated in sched.c
 * (K_RADAM) with precomputed constants; this finds the offset. */
static double radam_rho(double beta2, double rho_inf, int64_t t)
{
    double b2t = pow(beta2, (double)t);
    return rho_inf - 2.0 * (double)t * b2t / (1.0 - b2t);
}

int64_t wu__radam_offset(double beta2)
{
    double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
    int64_t off = 1;
    /* bounded: for beta2 > 0.6, rho_t > 4 within a handful of steps (Ma & Yarats, Fact 3.1) */
    while (radam_rho(beta2, rho_inf, off) <= 4.0 && off < 1000)
        off++;
    return off;
}
