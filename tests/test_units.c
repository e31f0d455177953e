/* test_units.c - issue 17: durations in tokens and samples, and re-planning a run.
 *
 *   1. `375M tok`, `2M samples`, magnitudes (k, M, B/G, T) resolve through tokens_per_step
 *      and samples_per_step, in every dialect, rounded down like `10%`; an unknown quantity
 *      is an error that names it (tokens_per_step, samples_per_step);
 *   2. wu_sched_replan: for every decay family, extending and shortening at 20 points gives
 *      the old LR at the re-plan step (relative jump < 1e-12), the same LRs before it, and an
 *      end where the new run length says; WSD moves its cooldown; a warmup stays; a re-planned
 *      schedule re-plans again; hf:/torch: and bad arguments are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "warmup.h"

static wu_schedule *parse(const char *spec, wu_sched_opts o, wu_error *e)
{
    wu_schedule *s = NULL;
    if (wu_sched_parse(&s, spec, &o, e) != WU_OK) return NULL;
    return s;
}

static int64_t warm(const char *spec, wu_sched_opts o)
{
    wu_error e;
    wu_schedule *s = parse(spec, o, &e);
    CHECK(s != NULL, "%s: %s", spec, e.msg);
    int64_t w = s ? wu_sched_warmup_steps(s) : -1;
    wu_sched_destroy(s);
    return w;
}

static void expect_err(const char *spec, wu_sched_opts o, const char *words)
{
    wu_error e;
    wu_schedule *s = parse(spec, o, &e);
    CHECK(!s && strstr(e.msg, words), "%s: want an error with '%s', got %s", spec, words,
          s ? "success" : e.msg);
    wu_sched_destroy(s);
}

static void test_units(void)
{
    /* GPT-3 small: 375M tokens of warmup at 0.5M tokens (2^19) per step: 715 steps */
    wu_sched_opts o = {.lr = 6e-4, .total_steps = 600000, .tokens_per_step = 524288,
                       .samples_per_step = 256};
    CHECK(warm("warmup(375M tok) > cosine(to=0.1)", o) == 375000000 / 524288, "375M tok");
    CHECK(warm("warmup(375M tokens) > cosine", o) == 715, "tokens, spelled out");
    CHECK(warm("warmup(375Mtok) > cosine", o) == 715, "no space");
    CHECK(warm("warmup(2M samples) > cosine", o) == 2000000 / 256, "2M samples: %lld",
          (long long)warm("warmup(2M samples) > cosine", o));
    CHECK(warm("warmup(25600 sample) > cosine", o) == 100, "samples, whole");
    CHECK(warm("warmup(1.5k) > cosine", o) == 1500, "a magnitude on steps");
    CHECK(warm("warmup(0.001B tok) > cosine", o) == 1000000 / 524288, "B is a billion");
    /* rounded down, like 10%: 1000 samples at 256 per step is 3 steps */
    CHECK(warm("warmup(1000 samples) > cosine", o) == 3, "rounded down");
    /* a decay length in tokens, in the other dialects too */
    wu_sched_opts p = {.lr = 1.0, .total_steps = 1000, .tokens_per_step = 1000,
                       .samples_per_step = 10};
    wu_error e;
    wu_schedule *a = parse("warmup(100) > constant > linear(200k tok)", p, &e);
    wu_schedule *b = parse("warmup(100) > constant > linear(200)", p, &e);
    wu_schedule *h = parse("hf:linear(num_warmup_steps=1k samples, num_training_steps=1M tok)", p,
                           &e);
    wu_schedule *h2 = parse("hf:linear(num_warmup_steps=100, num_training_steps=1000)", p, &e);
    wu_schedule *t = parse("torch:LinearLR(start_factor=0.1, total_iters=50k tok)", p, &e);
    wu_schedule *t2 = parse("torch:LinearLR(start_factor=0.1, total_iters=50)", p, &e);
    CHECK(a && b && h && h2 && t && t2, "units in every dialect: %s", e.msg);
    int64_t bad = -1;
    for (int64_t k = 0; a && b && h && h2 && t && t2 && k < 1000 && bad < 0; k++)
        if (wu_sched_lr(a, k) != wu_sched_lr(b, k) || wu_sched_lr(h, k) != wu_sched_lr(h2, k) ||
            wu_sched_lr(t, k) != wu_sched_lr(t2, k))
            bad = k;
    CHECK(bad < 0, "tokens and samples equal their steps (first difference at %lld)",
          (long long)bad);
    wu_sched_destroy(a), wu_sched_destroy(b), wu_sched_destroy(h), wu_sched_destroy(h2);
    wu_sched_destroy(t), wu_sched_destroy(t2);
    /* an unknown quantity is named */
    wu_sched_opts none = {.lr = 1.0, .total_steps = 1000};
    expect_err("warmup(375M tok) > cosine", none, "(tokens_per_step)");
    expect_err("warmup(2M samples) > cosine", none, "(samples_per_step)");
    expect_err("hf:linear(num_warmup_steps=5 tok)", none, "tokens per step are unknown");
    /* grammar: an exponent and a magnitude, a unit that is not one */
    expect_err("warmup(1e3k) > cosine", p, "cannot also take a magnitude");
    expect_err("warmup(10 toks) > cosine", p, "got 'toks'");
    expect_err("warmup(10x)", p, "units are %, ep, tok and samples");
    wu_sched_opts neg = {.lr = 1.0, .total_steps = 10, .tokens_per_step = -1};
    expect_err("constant", neg, "must not be negative");
    /* a unit where a plain number belongs */
    expect_err("cosine(to=0.1 tok)", p, "without a unit");
}

/* ---- re-planning ---------------------------------------------------------------------------- */

static double rel(double a, double b)
{
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return m > 0 ? d / m : d;
}

static void replan_family_as(const char *spec, int64_t total, double end, int holds);

/* Re-plan `spec` (over `total` steps) at 20 points to `longer` and `shorter` ends: the same LRs
 * before the point, the old LR at it (relative jump < 1e-12), and `end` (a factor of the peak)
 * from the new end on (holds: and after it; HF's cosine oscillates past its end, as HF's). */
static void replan_family(const char *spec, int64_t total, double end)
{
    replan_family_as(spec, total, end, 1);
}

static void replan_family_as(const char *spec, int64_t total, double end, int holds)
{
    wu_sched_opts o = {.lr = 3e-4, .total_steps = total};
    wu_error e;
    wu_schedule *s = parse(spec, o, &e);
    CHECK(s != NULL, "%s: %s", spec, e.msg);
    if (!s) return;
    double worst = 0;
    int fails = 0;
    for (int i = 1; i <= 20; i++) {
        int64_t at = total * i / 21;
        int64_t ends[2] = {total + total / 2, at + (total - at) / 2 + 1};
        for (int k = 0; k < 2; k++) {
            wu_schedule *r = NULL;
            if (wu_sched_replan(&r, s, at, ends[k], &e) != WU_OK) {
                CHECK(0, "%s: replan at %lld to %lld: %s", spec, (long long)at,
                      (long long)ends[k], e.msg);
                continue;
            }
            double j = rel(wu_sched_lr(r, at), wu_sched_lr(s, at));
            if (j > worst) worst = j;
            for (int64_t t = 0; t < at && fails < 3; t += 1 + at / 50)
                if (wu_sched_lr(r, t) != wu_sched_lr(s, t)) {
                    CHECK(0, "%s: replan at %lld changed step %lld", spec, (long long)at,
                          (long long)t);
                    fails++;
                }
            double want = 3e-4 * end;
            double got = wu_sched_lr(r, ends[k]), after = wu_sched_lr(r, ends[k] + 100);
            if ((rel(got, want) > 1e-12 && fabs(got - want) > 1e-18) || (holds && got != after)) {
                CHECK(0, "%s: replan at %lld to %lld ends at %.17g (then %.17g), want %.17g",
                      spec, (long long)at, (long long)ends[k], got, after, want);
                fails++;
            }
            /* still decaying until the new end: not at the end level a step before it */
            double before = wu_sched_lr(r, ends[k] - 1);
            if (end < 1 && !(before > want) && fails < 3) {
                CHECK(0, "%s: replan at %lld to %lld reaches the end early (%.17g at %lld)",
                      spec, (long long)at, (long long)ends[k], before, (long long)ends[k] - 1);
                fails++;
            }
            wu_sched_destroy(r);
        }
    }
    CHECK(worst < 1e-12, "%s: the largest relative jump at a re-plan step is %.3g", spec, worst);
    printf("  replan %-40s largest jump %.3g over 40 re-plans\n", spec, worst);
    wu_sched_destroy(s);
}

static void test_replan(void)
{
    replan_family("warmup(10%) > linear", 10000, 0.0);
    replan_family("warmup(10%) > cosine(to=0.1)", 10000, 0.1);
    replan_family("warmup(5%) > cosine(min=3e-5)", 10000, 0.1);
    replan_family("warmup(500) > poly(power=2, to=0.05)", 10000, 0.05);
    replan_family("warmup(500) > sqrt(to=0.01)", 10000, 0.01);
    replan_family("warmup(500) > restarts(cycles=3, to=0.2)", 10000, 0.2);
    replan_family("warmup(2%) > constant > sqrt(20%)", 10000, 0.0);
    replan_family("warmup(2%) > constant > linear(20%, to=0.1)", 10000, 0.1);
    replan_family("cosine(to=0.1) * untuned(beta2=0.99)", 10000, 0.1);
    replan_family("warmup(3%, shift=1) > cosine", 9973, 0.0);
    /* Hugging Face's decays: the same LR at the re-plan step to an ulp (their own operation
       order differs from the re-planned one), the old LRs before it bit for bit */
    replan_family("hf:linear(num_warmup_steps=100)", 10000, 0.0);
    replan_family_as("hf:cosine(num_warmup_steps=5%)", 10000, 0.0, 0);
    replan_family_as("hf:cosine_with_min_lr(num_warmup_steps=100, min_lr_rate=0.1)", 10000, 0.1, 0);
    replan_family_as("hf:cosine_warmup_with_min_lr(num_warmup_steps=100, min_lr_rate=0.1)", 10000,
                     0.1, 0);
    replan_family("hf:polynomial(num_warmup_steps=100, lr_end=3e-5, power=2)", 10000, 0.1);
    replan_family("hf:cosine_with_restarts(num_warmup_steps=100, num_cycles=3)", 10000, 0.0);
    replan_family("hf:warmup_stable_decay(num_warmup_steps=100, num_decay_steps=2000, "
                  "min_lr_ratio=0.1)", 10000, 0.1);
    replan_family("hf:warmup_stable_decay(num_warmup_steps=100, num_decay_steps=2000, "
                  "decay_type='1-sqrt')", 10000, 0.0);

    wu_sched_opts o = {.lr = 1.0, .total_steps = 10000};
    wu_error e;
    /* WSD: extended in its stable phase, the cooldown keeps its 2000 steps */
    wu_schedule *s = parse("warmup(2%) > constant > sqrt(20%)", o, &e), *r = NULL;
    CHECK(s && wu_sched_replan(&r, s, 5000, 20000, &e) == WU_OK, "wsd replan: %s", e.msg);
    if (r) {
        CHECK(wu_sched_lr(r, 17999) == 1.0 && wu_sched_lr(r, 18001) < 1.0,
              "wsd: the cooldown starts at 18000 (%.17g, %.17g)", wu_sched_lr(r, 17999),
              wu_sched_lr(r, 18001));
        CHECK(wu_sched_lr(r, 19000) == wu_sched_lr(s, 9000), "wsd: the same cooldown, moved");
        /* a further re-plan from a later step, in its cooldown: continuous again */
        wu_schedule *r2 = NULL;
        CHECK(wu_sched_replan(&r2, r, 19000, 25000, &e) == WU_OK, "replan twice: %s", e.msg);
        if (r2) {
            CHECK(wu_sched_lr(r2, 19000) == wu_sched_lr(r, 19000) &&
                      wu_sched_lr(r2, 18500) == wu_sched_lr(r, 18500) && wu_sched_lr(r2, 25000) == 0,
                  "twice: %.17g vs %.17g, end %.17g", wu_sched_lr(r2, 19000),
                  wu_sched_lr(r, 19000), wu_sched_lr(r2, 25000));
            wu_schedule *r3 = NULL;
            CHECK(wu_sched_replan(&r3, r2, 18000, 30000, &e) == WU_EINVAL &&
                      strstr(e.msg, "before the last re-plan"), "the past is kept: %s", e.msg);
            wu_sched_destroy(r3);
        }
        wu_sched_destroy(r2);
    }
    wu_sched_destroy(r);
    r = NULL;
    /* a warmup in progress stays as it was: 200 steps */
    if (s && wu_sched_replan(&r, s, 50, 4000, &e) == WU_OK) {
        CHECK(wu_sched_warmup_steps(r) == 200 && wu_sched_lr(r, 100) == wu_sched_lr(s, 100) &&
                  wu_sched_lr(r, 200) == 1.0, "warmup kept: %lld", (long long)wu_sched_warmup_steps(r));
        /* shortened: the stable phase shrinks (3200 - 200 - 800 = ... the cooldown keeps 2000) */
        CHECK(wu_sched_lr(r, 1999) == 1.0 && wu_sched_lr(r, 2001) < 1.0 && wu_sched_lr(r, 4000) == 0,
              "shortened wsd: %.17g %.17g", wu_sched_lr(r, 1999), wu_sched_lr(r, 2001));
    } else {
        CHECK(0, "wsd shorten: %s", e.msg);
    }
    wu_sched_destroy(r);
    r = NULL;
    /* a finished run extended: the LR stays at its end level */
    if (s && wu_sched_replan(&r, s, 10000, 12000, &e) == WU_OK)
        CHECK(wu_sched_lr(r, 11000) == 0 && wu_sched_lr(r, 9000) == wu_sched_lr(s, 9000),
              "finished run extended: %.17g", wu_sched_lr(r, 11000));
    else
        CHECK(0, "finished run: %s", e.msg);
    wu_sched_destroy(r);
    r = NULL;
    /* refusals */
    CHECK(s && wu_sched_replan(&r, s, 500, 500, &e) == WU_EINVAL && strstr(e.msg, "greater than"),
          "end at the step: %s", e.msg);
    CHECK(s && wu_sched_replan(&r, s, 9500, 9600, &e) == WU_OK && wu_sched_lr(r, 9600) == 0 &&
              wu_sched_lr(r, 9500) == wu_sched_lr(s, 9500),
          "a cooldown in progress squeezed into 100 steps: %s", e.msg);
    wu_sched_destroy(r);
    r = NULL;
    wu_sched_destroy(s);
    s = parse("warmup(500) > cosine", o, &e);
    CHECK(s && wu_sched_replan(&r, s, 100, 400, &e) == WU_EINVAL &&
              strstr(e.msg, "cannot end by step 400"), "an end inside the warmup: %s", e.msg);
    wu_sched_destroy(s);
    s = parse("torch:CosineAnnealingLR(T_max=100)", o, &e);
    CHECK(s && wu_sched_replan(&r, s, 50, 200, &e) == WU_EINVAL && strstr(e.msg, "torch:"),
          "torch: is refused: %s", e.msg);
    wu_sched_destroy(s);
    /* hf: WSD extended in its stable phase keeps its 2000-step decay, moved to the new end */
    s = parse("hf:warmup_stable_decay(num_warmup_steps=100, num_decay_steps=2000)", o, &e);
    CHECK(s && wu_sched_replan(&r, s, 5000, 20000, &e) == WU_OK && wu_sched_lr(r, 17999) == 1.0 &&
              wu_sched_lr(r, 18001) < 1.0 && wu_sched_lr(r, 19000) == wu_sched_lr(s, 9000),
          "hf wsd: the decay moved: %s", e.msg);
    wu_sched_destroy(r);
    r = NULL;
    wu_sched_destroy(s);
    /* hf: constant_with_warmup does not depend on the run length: kept */
    s = parse("hf:constant_with_warmup(num_warmup_steps=100)", o, &e);
    CHECK(s && wu_sched_replan(&r, s, 50, 20000, &e) == WU_OK && wu_sched_lr(r, 70) == wu_sched_lr(s, 70),
          "hf constant kept: %s", e.msg);
    wu_sched_destroy(r);
    r = NULL;
    wu_sched_destroy(s);
    wu_sched_opts nototal = {.lr = 1.0};
    s = parse("warmup(10) > exp(gamma=0.99)", nototal, &e);
    CHECK(s && wu_sched_replan(&r, s, 50, 200, &e) == WU_EINVAL && strstr(e.msg, "total_steps"),
          "no run length: %s", e.msg);
    wu_sched_destroy(s);
    /* a phase that does not depend on the run length is kept */
    s = parse("warmup(100) > exp(gamma=0.999)", o, &e);
    CHECK(s && wu_sched_replan(&r, s, 500, 20000, &e) == WU_OK &&
              wu_sched_lr(r, 15000) == wu_sched_lr(s, 15000), "exp kept: %s", e.msg);
    wu_sched_destroy(r);
    wu_sched_destroy(s);
}

int main(void)
{
    test_units();
    test_replan();
    return th_done("test_units");
}
