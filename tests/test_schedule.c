/* test_schedule.c - schedules against their references, their properties, and their errors.
 *
 *   1. reference sequences: ../shared/golden/schedules.jsonl (PyTorch 1.13 and HF) and
 *      tests/fixtures/schedules_{torch,hf}.jsonl (tools/gen_schedule_fixtures.py), to 1e-12
 *      relative;
 *   2. the guide's strategies written natively equal the guide's own formulas;
 *   3. properties: monotone warmups, values within [floor, peak], continuity where the math is
 *      continuous, exact resume (plateau state included), per-group LRs;
 *   4. every validation rule: its error code, its message and its column. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "warmup.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define TOL 1e-12

static wu_schedule *mk(const char *spec, double lr, int64_t steps)
{
    wu_sched_opts o = {.lr = lr, .total_steps = steps};
    wu_schedule *s = NULL;
    wu_error e;
    if (wu_sched_parse(&s, spec, &o, &e) != WU_OK) printf("  parse failed: %s\n", e.msg);
    return s;
}

/* Fixture configurations that PyTorch 1.13 accepts but libwarmup rejects on purpose, each with
 * the words its error must contain (docs/SPEC.md, "Deliberate differences"). */
static const struct { const char *prefix, *why; } REJECTED[] = {
    {"torch:ConstantLR(factor=0.5, total_iters=0)", "empty phase"},
    {"torch:LinearLR(start_factor=0.5, total_iters=0)", "empty phase"},
    {"torch:PolynomialLR(total_iters=0)", "at least 1 step"},
    {"torch:CosineAnnealingLR(T_max=20, eta_min=0.2)", "above the base LR"},
    {"torch:OneCycleLR(max_lr=[", "per-group lists"},
    {"torch:CyclicLR(base_lr=[", "per-group lists"},
};

static int deliberately_rejected(const char *spec, double lr, int64_t steps)
{
    for (size_t i = 0; i < sizeof REJECTED / sizeof *REJECTED; i++) {
        if (strncmp(spec, REJECTED[i].prefix, strlen(REJECTED[i].prefix)) != 0) continue;
        wu_sched_opts o = {.lr = lr, .total_steps = steps};
        wu_schedule *s;
        wu_error e;
        int rc = wu_sched_parse(&s, spec, &o, &e);
        CHECK(rc != WU_OK && strstr(e.msg, REJECTED[i].why), "%s should be rejected (%s): %s",
              spec, REJECTED[i].why, rc == WU_OK ? "accepted" : e.msg);
        if (rc == WU_OK) wu_sched_destroy(s);
        return 1;
    }
    return 0;
}

/* Check one JSON line of a reference file, adding its largest relative difference to *file.
 * The bound is 1e-12 relative; for runs longer than 10,000 steps it is n * 1e-16, because
 * PyTorch steps recursively (lr_k = lr_{k-1} * ratio_k) and so accumulates up to one rounding
 * per step, which a closed form does not. */
static void check_case(const char *file, int lineno, cJSON *j, th_max *filemax)
{
    cJSON *spec = cJSON_GetObjectItem(j, "spec"), *lr = cJSON_GetObjectItem(j, "lr");
    cJSON *steps = cJSON_GetObjectItem(j, "steps"), *vals = cJSON_GetObjectItem(j, "lr_values");
    cJSON *at = cJSON_GetObjectItem(j, "at"), *metrics = cJSON_GetObjectItem(j, "metrics");
    cJSON *glrs = cJSON_GetObjectItem(j, "group_lrs");
    cJSON *gvals = cJSON_GetObjectItem(j, "lr_values_groups");
    if (!cJSON_IsString(spec) || !cJSON_IsNumber(lr) || !cJSON_IsNumber(steps) ||
        !cJSON_IsArray(vals)) {
        CHECK(0, "%s:%d: malformed fixture line", file, lineno);
        return;
    }
    int64_t nsteps = (int64_t)steps->valuedouble;
    if (deliberately_rejected(spec->valuestring, lr->valuedouble, nsteps)) return;
    double tol = nsteps > 10000 ? (double)nsteps * 1e-16 : TOL;
    wu_schedule *s = mk(spec->valuestring, lr->valuedouble, nsteps);
    CHECK(s != NULL, "%s:%d: %s does not parse", file, lineno, spec->valuestring);
    if (!s) return;
    th_max m = TH_MAX_INIT;
    int n = cJSON_GetArraySize(vals);
    if (metrics) {
        /* a plateau schedule: evaluate every step in order, feeding the metric after each */
        for (int k = 0; k < n; k++) {
            double want = cJSON_GetArrayItem(vals, k)->valuedouble;
            th_max_add(&m, th_rel(wu_sched_lr(s, k), want), k);
            wu_sched_observe(s, cJSON_GetArrayItem(metrics, k)->valuedouble);
        }
    } else {
        for (int k = 0; k < n; k++) {
            int64_t step = at ? (int64_t)cJSON_GetArrayItem(at, k)->valuedouble : k;
            double want = cJSON_GetArrayItem(vals, k)->valuedouble;
            th_max_add(&m, th_rel(wu_sched_lr(s, step), want), (long)step);
        }
    }
    if (glrs && gvals && !metrics) {
        for (int g = 0; g < cJSON_GetArraySize(glrs); g++) {
            double base = cJSON_GetArrayItem(glrs, g)->valuedouble;
            cJSON *gv = cJSON_GetArrayItem(gvals, g);
            for (int k = 0; k < cJSON_GetArraySize(gv); k++) {
                th_max_add(&m, th_rel(wu_sched_lr_at(s, k, base),
                                      cJSON_GetArrayItem(gv, k)->valuedouble), k);
            }
        }
    }
    CHECK_MAX(&m, tol, "%s:%d: %s: relative difference (index = step)", file, lineno,
              spec->valuestring);
    th_max_merge(filemax, &m);
    wu_sched_destroy(s);
}

typedef struct file_check {
    const char *path;
    th_max worst; /* largest relative difference over the file's cases */
} file_check;

static void check_line(cJSON *j, int lineno, void *ctx)
{
    file_check *fc = ctx;
    check_case(fc->path, lineno, j, &fc->worst);
}

static void check_file(const char *path, int required)
{
    file_check fc = {path, TH_MAX_INIT};
    int cases = th_jsonl(path, check_line, &fc);
    if (cases < 0) {
        CHECK(!required, "reference file %s is missing", path);
        return;
    }
    printf("  %s: %d sequences, max relative difference %.3g\n", path, cases,
           th_max_val(&fc.worst));
    CHECK(cases > 0, "%s holds no case", path);
}

/* ---- 2. the guide's strategies ------------------------------------------------------------ */
static void test_guide(void)
{
    const double peak = 1e-4;
    const int64_t n = 1000, w = 100;
    wu_schedule *lin = mk("warmup(100)", peak, n), *ex = mk("warmup(100, exp)", peak, n);
    wu_schedule *wc = mk("warmup(10%) > cosine", peak, n);
    wu_schedule *wsd = mk("warmup(10%) > constant > linear(20%)", peak, n);
    wu_schedule *llmc = mk("warmup(100, shift=1) > cosine", peak, n);
    th_max worst = TH_MAX_INIT;
    for (int64_t k = 0; k < n; k++) {
        /* linear_warmup() and exponential_warmup() of the guide */
        double gl = k < w ? peak * ((double)k / (double)w) : peak;
        double ge = k < w ? peak * (1 - exp(-5.0 * (double)k / (double)w)) : peak;
        /* get_lr(): linear warmup then cosine decay */
        double progress = (double)(k - w) / (double)(n - w);
        double gc = k < w ? peak * (double)k / (double)w : peak * 0.5 * (1 + cos(M_PI * progress));
        double gw = k < w ? peak * (double)k / (double)w
                  : k < 800 ? peak : peak * (1.0 - (double)(k - 800) / 200.0);
        double gm = k < w ? peak * (double)(k + 1) / (double)w
                  : peak * 0.5 * (1 + cos(M_PI * progress));
        double d[5] = {th_rel(wu_sched_lr(lin, k), gl), th_rel(wu_sched_lr(ex, k), ge),
                       th_rel(wu_sched_lr(wc, k), gc), th_rel(wu_sched_lr(wsd, k), gw),
                       th_rel(wu_sched_lr(llmc, k), gm)};
        for (int i = 0; i < 5; i++) th_max_add(&worst, d[i], (long)k);
    }
    CHECK_MAX(&worst, 1e-13, "guide strategies against the guide's formulas (index = step)");
    CHECK(wu_sched_warmup_steps(wc) == 100, "10%% of 1000 steps is a 100-step warmup, got %lld",
          (long long)wu_sched_warmup_steps(wc));
    wu_sched_destroy(lin); wu_sched_destroy(ex); wu_sched_destroy(wc);
    wu_sched_destroy(wsd); wu_sched_destroy(llmc);

    /* untuned warmup (Ma & Yarats 2019) as pytorch_warmup computes it: tau = int(2/(1-b2)) =
       1999 for linear with (t+1)/tau, int(1/(1-b2)) = 999 for exponential */
    wu_schedule *ul = mk("untuned(beta2=0.999)", 1.0, 5000);
    wu_schedule *ue = mk("untuned(beta2=0.999, shape=exp)", 1.0, 5000);
    int ok = 1;
    for (int64_t k = 0; k < 5000; k++) {
        double l = (double)(k + 1) / 1999.0;
        if (l > 1) l = 1;
        if (!(th_rel(wu_sched_lr(ul, k), l) <= 1e-15)) ok = 0; /* NaN fails too */
        if (!(th_rel(wu_sched_lr(ue, k), 1.0 - exp(-(double)(k + 1) / 999.0)) <= 1e-15)) ok = 0;
    }
    CHECK(ok, "untuned warmups differ from pytorch_warmup's formulas");
    wu_sched_destroy(ul); wu_sched_destroy(ue);

    /* RAdam factor: reference values computed with pytorch_warmup's formulas in Python
       (offset 5 for beta2 = 0.999) */
    wu_schedule *ra = mk("radam(beta2=0.999)", 1.0, 2000);
    static const int64_t ks[] = {0, 1, 10, 100, 1000};
    static const double want[] = {0.017311503166315034, 0.02582111280185855, 0.0690313372730536,
                                  0.22088568475181272, 0.6466392616577122};
    for (int i = 0; i < 5; i++)
        CHECK(th_rel(wu_sched_lr(ra, ks[i]), want[i]) < 1e-13, "radam factor at %lld: %.17g",
              (long long)ks[i], wu_sched_lr(ra, ks[i]));
    wu_sched_destroy(ra);
}

/* ---- 3. properties ------------------------------------------------------------------------- */
static void test_properties(void)
{
    static const char *const warmups[] = {
        "warmup(200)", "warmup(200, exp)", "warmup(200, power)", "warmup(200, cos)",
        "warmup(200, sqrt)", "warmup(200, sigmoid)", "warmup(200, const)",
        "warmup(200, from=0.1)", "warmup(200, shift=1)", "warmup(200, exp, k=3)",
        "untuned(beta2=0.99)", "exptau(tau=50)", "radam(beta2=0.99)",
        "hf:constant_with_warmup(num_warmup_steps=200)",
        "torch:LinearLR(start_factor=0.01, total_iters=200)"};
    for (size_t i = 0; i < sizeof warmups / sizeof *warmups; i++) {
        wu_schedule *s = mk(warmups[i], 2e-3, 400);
        int mono = 1, inrange = 1;
        double prev = -1;
        for (int64_t k = 0; k < 400; k++) {
            double v = wu_sched_lr(s, k);
            if (v < prev) mono = 0;
            if (!(v >= 0 && v <= 2e-3 * (1 + 1e-15))) inrange = 0;
            prev = v;
        }
        CHECK(mono, "%s is not monotone", warmups[i]);
        CHECK(inrange, "%s leaves [0, peak]", warmups[i]);
        wu_sched_destroy(s);
    }

    /* floors and continuity: decays stay in [floor, peak] and move by at most peak / length */
    static const struct { const char *spec; double floor, max_jump; } dec[] = {
        {"warmup(100) > cosine(to=0.1)", 0.1, 1.0 / 100},
        {"warmup(100) > linear(min=1e-4)", 0.1, 1.0 / 100},
        {"warmup(100, cos) > poly(power=2, to=0.05)", 0.05, 1.0 / 50},
        {"warmup(100) > constant(700) > sqrt(to=0.1)", 0.0, 1.0 / 14},
        {"warmup(100) > invsqrt", 0.0, 1.0 / 100},
        {"hf:cosine_with_min_lr(num_warmup_steps=100, num_training_steps=1000, min_lr_rate=0.1)",
         0.0, 1.0 / 100},
        {"torch:CosineAnnealingLR(T_max=1000, eta_min=1e-4)", 0.1, 1.0 / 300},
        {"onecycle", 0.0, 1.0 / 60},
    };
    for (size_t i = 0; i < sizeof dec / sizeof *dec; i++) {
        wu_schedule *s = mk(dec[i].spec, 1e-3, 1000);
        double lo = 1, hi = 0, jump = 0, prev = wu_sched_lr(s, 0);
        int64_t nonfinite = -1;
        for (int64_t k = 0; k < 1000; k++) {
            double v = wu_sched_lr(s, k) / 1e-3;
            if (!isfinite(v) && nonfinite < 0) nonfinite = k;
            if (v < lo && k >= wu_sched_warmup_steps(s)) lo = v;
            if (v > hi) hi = v;
            if (k > 0 && fabs(v - prev / 1e-3) > jump) jump = fabs(v - prev / 1e-3);
            prev = v * 1e-3;
        }
        CHECK(nonfinite < 0, "%s is not finite at step %lld", dec[i].spec, (long long)nonfinite);
        CHECK(hi <= 1 + 1e-12, "%s exceeds its peak: %g", dec[i].spec, hi);
        if (dec[i].floor > 0)
            CHECK(lo >= dec[i].floor - 1e-12, "%s goes below its floor: %g", dec[i].spec, lo);
        CHECK(jump <= dec[i].max_jump * 1.0001, "%s jumps by %g of the peak (max %g)",
              dec[i].spec, jump, dec[i].max_jump);
        wu_sched_destroy(s);
    }

    /* pure function of the step: a schedule rebuilt at step 500 continues bit for bit */
    wu_schedule *a = mk("warmup(5%) > cosine(to=0.1) * radam", 3e-4, 2000);
    double run[2000];
    for (int64_t k = 0; k < 2000; k++) run[k] = wu_sched_lr(a, k);
    wu_schedule *b = mk("warmup(5%) > cosine(to=0.1) * radam", 3e-4, 2000);
    int same = 1;
    for (int64_t k = 500; k < 2000; k++) if (wu_sched_lr(b, k) != run[k]) same = 0;
    CHECK(same, "a rebuilt schedule differs from the uninterrupted one");
    wu_sched_destroy(a); wu_sched_destroy(b);

    /* plateau state: save at step 30, restore into a fresh schedule, continue bitwise */
    const char *ps = "torch:ReduceLROnPlateau(patience=2, factor=0.5, cooldown=1)";
    wu_schedule *p1 = mk(ps, 0.1, 100), *p2 = mk(ps, 0.1, 100);
    double metric[80];
    for (int k = 0; k < 80; k++) metric[k] = k < 10 ? 1.0 / (k + 1) : 0.1 + 0.001 * (k % 3);
    double full[80];
    unsigned char state[256];
    CHECK(wu_sched_state_size(p1) > 0 && wu_sched_state_size(p1) <= sizeof state,
          "plateau state size %zu", wu_sched_state_size(p1));
    for (int k = 0; k < 80; k++) {
        full[k] = wu_sched_lr(p1, k);
        if (k == 30) CHECK(wu_sched_state_save(p1, state, sizeof state, NULL) == WU_OK, "save");
        wu_sched_observe(p1, metric[k]);
    }
    CHECK(full[79] < 0.1 * 0.2, "the plateau never reduced the LR (%g)", full[79]);
    for (int k = 0; k < 30; k++) wu_sched_observe(p2, 42.0 + k); /* diverge first */
    CHECK(wu_sched_state_load(p2, state, sizeof state, NULL) == WU_OK, "load");
    same = 1;
    for (int k = 30; k < 80; k++) {
        if (wu_sched_lr(p2, k) != full[k]) same = 0;
        wu_sched_observe(p2, metric[k]);
    }
    CHECK(same, "a restored plateau schedule differs from the uninterrupted one");
    wu_error e;
    CHECK(wu_sched_state_load(p2, state, 7, &e) == WU_EIO, "truncated state is rejected");
    state[0] ^= 0xff;
    CHECK(wu_sched_state_load(p2, state, sizeof state, &e) == WU_EIO && strstr(e.msg, "spec"),
          "corrupt state is rejected: %s", e.msg);
    wu_sched_destroy(p1); wu_sched_destroy(p2);

    /* a plateau factor inside a composition: the warmup and the cut multiply */
    wu_schedule *pc = mk("warmup(4) > constant * plateau(patience=1, factor=0.5)", 1e-3, 20);
    double before = wu_sched_lr(pc, 2);
    wu_sched_observe(pc, 1.0);
    wu_sched_observe(pc, 1.0);
    wu_sched_observe(pc, 1.0); /* two bad epochs > patience 1: halve */
    CHECK(th_rel(wu_sched_lr(pc, 2), 0.5 * before) < 1e-15 && th_rel(wu_sched_lr(pc, 10), 5e-4) < 1e-15,
          "plateau inside a product: %g then %g", wu_sched_lr(pc, 2), wu_sched_lr(pc, 10));
    wu_sched_destroy(pc);

    /* parameter groups: shared schedule with per-group base LRs and multipliers */
    wu_schedule *g = mk("torch:CosineAnnealingLR(T_max=10, eta_min=1e-5)", 1e-3, 20);
    wu_schedule *h = mk("warmup(5) > linear", 1e-3, 20);
    wu_lr_group groups[3] = {{g, 0, 0}, {g, 1e-4, 1}, {h, 2e-3, 0.5}};
    double lrs[3];
    wu_sched_lrs(lrs, groups, 3, 4);
    CHECK(lrs[0] == wu_sched_lr(g, 4), "group 0 uses the schedule's base LR");
    CHECK(th_rel(lrs[1], 1e-5 + (1e-4 - 1e-5) * (1 + cos(M_PI * 4 / 10)) / 2) < 1e-15,
          "group 1: PyTorch's per-group eta_min formula, got %.17g", lrs[1]);
    CHECK(th_rel(lrs[2], 0.5 * 2e-3 * 4.0 / 5.0) < 1e-15, "group 2: multiplier and own base");
    wu_sched_destroy(g); wu_sched_destroy(h);

    /* horizon: OneCycleLR is defined for total_steps + 1 steps and holds after */
    wu_schedule *oc = mk("torch:OneCycleLR(max_lr=0.1, total_steps=40)", 0.1, 40);
    CHECK(wu_sched_horizon(oc) == 41, "OneCycleLR horizon %lld", (long long)wu_sched_horizon(oc));
    CHECK(wu_sched_lr(oc, 1000) == wu_sched_lr(oc, 40), "held past the horizon");
    wu_sched_destroy(oc);
}

/* ---- 4. validation ------------------------------------------------------------------------- */
static void test_errors(void)
{
    static const struct { const char *spec; int code, col; const char *msg; } bad[] = {
        /* grammar */
        {"torch:SequentialLR([LinearLR(total_iters=10), CosineAnnealingLR(T_max=40)], milestones=[10]",
         WU_EPARSE, 92, "expected ')' after the argument list of SequentialLR"},
        {"warmup(10%", WU_EPARSE, 11, "expected ')'"},
        {"torch:MultiStepLR(milestones=[3, 5)", WU_EPARSE, 0, "expected ',' or ']'"},
        {"warmup(10%) >", WU_EPARSE, 14, "expected a value"},
        {"", WU_EPARSE, 1, "empty spec"},
        {"warmup(10%) $", WU_EPARSE, 13, "unexpected character '$'"},
        {"torch:LinearLR(start_factor='0.1)", WU_EPARSE, 29, "unterminated string"},
        {"hf:linear(num_warmup_steps=1, num_warmup_steps=2)", WU_EPARSE, 31, "repeated"},
        {"torch:StepLR(step_size=3, 0.5)", WU_EPARSE, 27, "positional argument follows keyword"},
        {"tf:cosine()", WU_EPARSE, 1, "unknown dialect 'tf:'"},
        {"warmup(10x)", WU_EPARSE, 8, "after a number"},
        {"torch:StepLR(3) > cosine", WU_EPARSE, 17, "composes native specs only"},
        /* too long for the run: each message describes the spec as written (issue 14: a
           product was described as a sequence, "the phases add up to 1999 steps") */
        {"cosine * untuned(beta2=0.999)", WU_EINVAL, 10,
         "the product's factor 2, 'untuned', lasts 1999 steps (2/(1-beta2)), more than the run"},
        {"untuned(beta2=0.999)", WU_EINVAL, 1, "'untuned' lasts 1999 steps (2/(1-beta2))"},
        {"warmup(600) > constant(600)", WU_EINVAL, 1, "the phases of the sequence add up to 1200"},
        {"(warmup(600) > constant(600)) * cosine", WU_EINVAL, 2,
         "the phases of the product's factor 1 add up to 1200"},
        {"constant(2000)", WU_EINVAL, 1, "'constant' lasts 2000 steps, more than the run (1000"},
        {"cosine * warmup(0)", WU_EINVAL, 10, "the product's factor 2 has no phase left"},
        {"warmup(10) > (cosine * untuned)", WU_EINVAL, 15, "a product inside a sequence"},
        {"warmup(10) > (cosine > constant)", WU_EINVAL, 15, "a group inside a sequence"},
        /* unknown names and wrong types */
        {"torch:CosineLR(T_max=10)", WU_EINVAL, 7, "unknown PyTorch scheduler 'CosineLR'"},
        {"hf:cosin(num_warmup_steps=1)", WU_EINVAL, 4, "unknown Hugging Face scheduler"},
        {"warmpu(10)", WU_EINVAL, 1, "unknown phase 'warmpu'"},
        {"torch:StepLR(step_size=3, gama=0.5)", WU_EINVAL, 27, "has no argument 'gama'"},
        {"torch:StepLR(3, step_size=3)", WU_EINVAL, 17, "two values for 'step_size'"},
        {"torch:ExponentialLR(gamma='fast')", WU_EINVAL, 27, "'gamma' must be a number"},
        {"torch:StepLR(step_size=2.5)", WU_EINVAL, 24, "whole number of steps"},
        {"warmup(100, wobble)", WU_EINVAL, 13, "must be one of: linear, exp"},
        {"torch:OneCycleLR(max_lr=0.1, total_steps=10, three_phase=maybe)", WU_EINVAL, 58,
         "True or False"},
        {"torch:LambdaLR(lr_lambda=f)", WU_EINVAL, 7, "Python function"},
        /* zero-length phases, W > N, negative durations */
        {"warmup(10) > constant(0) > cosine", WU_EINVAL, 23, "0 steps does nothing"},
        {"torch:LinearLR(total_iters=0)", WU_EINVAL, 28, "empty phase"},
        {"torch:ConstantLR(total_iters=0)", WU_EINVAL, 30, "empty phase"},
        {"hf:linear(num_warmup_steps=2000, num_training_steps=1000)", WU_EINVAL, 28,
         "longer than num_training_steps"},
        {"warmup(2000) > cosine", WU_EINVAL, 1, "more than the run"},
        {"warmup(100%) > cosine", WU_EINVAL, 16, "gets no steps"},
        {"warmup(-10) > cosine", WU_EINVAL, 8, "must not be negative"},
        {"hf:warmup_stable_decay(num_warmup_steps=600, num_decay_steps=600)", WU_EINVAL, 4,
         "exceed num_training_steps"},
        {"warmup(10%) > linear > cosine", WU_EINVAL, 24, "only one phase may leave out"},
        {"warmup > cosine", WU_EINVAL, 1, "warmup needs a length"},
        {"hf:polynomial(num_warmup_steps=1000, num_training_steps=1000)", WU_EINVAL, 4,
         "no decay steps"},
        {"torch:OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0.1)", WU_EINVAL, 7,
         "first phase empty"},
        /* PyTorch #180187's degenerate OneCycleLR cases */
        {"torch:OneCycleLR(max_lr=0.1, total_steps=2, pct_start=0.5)", WU_EINVAL, 7,
         "first phase empty"},
        {"torch:OneCycleLR(max_lr=0.1, total_steps=1, pct_start=1.0, three_phase=True)",
         WU_EINVAL, 7, "first phase empty"},
        {"torch:StepLR(step_size=0)", WU_EINVAL, 24, "at least 1 step"},
        {"torch:CosineAnnealingLR(T_max=0)", WU_EINVAL, 31, "at least 1 step"},
        {"torch:CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=0)", WU_EINVAL, 55,
         "at least 1 step"},
        {"torch:SequentialLR([ConstantLR(), ExponentialLR(gamma=0.9)], milestones=[0])",
         WU_EINVAL, 74, "increasing and >= 1"},
        {"torch:SequentialLR([ConstantLR(), ExponentialLR(gamma=0.9)], milestones=[2, 4])",
         WU_EINVAL, 73, "need 1 milestone"},
        /* factors that PyTorch later divides by */
        {"torch:ConstantLR(factor=0, total_iters=4)", WU_EINVAL, 25, "divide by zero"},
        {"torch:LinearLR(start_factor=0, total_iters=4)", WU_EINVAL, 29, "divide by zero"},
        /* negative / NaN-like values, min above peak */
        {"torch:ExponentialLR(gamma=-0.5)", WU_EINVAL, 27, "must be >= 0"},
        {"torch:CosineAnnealingLR(T_max=10, eta_min=-1)", WU_EINVAL, 43, "must be >= 0"},
        {"torch:CosineAnnealingLR(T_max=10, eta_min=0.5)", WU_EINVAL, 43, "above the base LR"},
        {"hf:cosine_with_min_lr(num_warmup_steps=10, num_training_steps=100, min_lr=0.5)",
         WU_EINVAL, 75, "above the peak LR"},
        {"hf:cosine_with_min_lr(num_warmup_steps=10, num_training_steps=100)", WU_EINVAL, 4,
         "exactly one of min_lr and min_lr_rate"},
        {"warmup(10) > cosine(min=0.5)", WU_EINVAL, 25, "above the peak LR"},
        {"warmup(10) > cosine(to=1.5)", WU_EINVAL, 24, "must be in [0, 1]"},
        {"hf:polynomial(num_warmup_steps=10, num_training_steps=100, lr_end=0.2)", WU_EINVAL,
         67, "must be smaller than the initial LR"},
        {"torch:ReduceLROnPlateau(factor=1.0)", WU_EINVAL, 32, "must be < 1.0"},
        {"torch:StepLR(step_size=5, last_epoch=3)", WU_EINVAL, 38, "last_epoch must be -1"},
        /* composition limits */
        {"torch:ChainedScheduler([CosineAnnealingLR(T_max=10, eta_min=0.01), ExponentialLR(gamma=0.9)])",
         WU_EINVAL, 61, "not a factor"},
        {"torch:SequentialLR([OneCycleLR(max_lr=0.1, total_steps=10), ConstantLR()], milestones=[5])",
         WU_EINVAL, 21, "rewrites the optimizer's base LR"},
        {"exp(gamma=0.99) > cosine", WU_EINVAL, 1, "runs forever here"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wu_sched_opts o = {.lr = 0.1, .total_steps = 1000};
        wu_schedule *s = (wu_schedule *)1;
        wu_error e;
        int rc = wu_sched_parse(&s, bad[i].spec, &o, &e);
        CHECK(rc == bad[i].code && e.code == rc, "%s: code %d, want %d (%s)", bad[i].spec, rc,
              bad[i].code, e.msg);
        CHECK(s == NULL, "%s: no schedule on failure", bad[i].spec);
        CHECK(strstr(e.msg, bad[i].msg) != NULL, "%s: message '%s' lacks '%s'", bad[i].spec,
              e.msg, bad[i].msg);
        if (bad[i].col)
            CHECK(e.col == bad[i].col, "%s: column %d, want %d (%s)", bad[i].spec, e.col,
                  bad[i].col, e.msg);
        CHECK(strncmp(e.msg, "spec:", 5) == 0, "%s: message starts with spec:", bad[i].spec);
    }
    /* run-level inputs */
    wu_schedule *s;
    wu_error e;
    wu_sched_opts nan_lr = {.lr = NAN, .total_steps = 10};
    CHECK(wu_sched_parse(&s, "constant", &nan_lr, &e) == WU_EINVAL && strstr(e.msg, "base LR"),
          "NaN base LR is rejected: %s", e.msg);
    wu_sched_opts no_total = {.lr = 1e-3};
    CHECK(wu_sched_parse(&s, "warmup(10%) > cosine", &no_total, &e) == WU_EINVAL &&
              strstr(e.msg, "(total_steps)"), "percent without a run length: %s", e.msg);
    CHECK(wu_sched_parse(&s, "warmup(1ep) > cosine", &no_total, &e) == WU_EINVAL &&
              strstr(e.msg, "(steps_per_epoch)"), "epochs without an epoch length: %s", e.msg);
    wu_sched_opts ep = {.lr = 1e-3, .total_steps = 1000, .steps_per_epoch = 50};
    CHECK(wu_sched_parse(&s, "warmup(2ep) > cosine", &ep, &e) == WU_OK &&
              wu_sched_warmup_steps(s) == 100, "2 epochs of 50 steps is a 100-step warmup");
    wu_sched_destroy(s);
}

/* ---- specs pasted from Python (issue 14) ------------------------------------------------- */

/* Evaluate a and b over `steps` steps (feeding `metrics` after each when given); they must be
 * equal bit for bit. */
static void same_numbers(const char *a, const char *b, double lr, int64_t steps,
                         const cJSON *metrics, const char *where)
{
    wu_schedule *sa = mk(a, lr, steps), *sb = mk(b, lr, steps);
    CHECK(sa && sb, "%s: %s or %s does not parse", where, a, b);
    if (sa && sb) {
        int64_t bad = -1;
        for (int64_t k = 0; k < steps && bad < 0; k++) {
            if (wu_sched_lr(sa, k) != wu_sched_lr(sb, k)) bad = k;
            if (metrics) {
                double m = cJSON_GetArrayItem(metrics, (int)k)->valuedouble;
                wu_sched_observe(sa, m);
                wu_sched_observe(sb, m);
            }
        }
        CHECK(bad < 0, "%s: %s and %s differ at step %lld", where, a, b, (long long)bad);
    }
    wu_sched_destroy(sa);
    wu_sched_destroy(sb);
}

/* get_scheduler's name -> HF's function, and the arguments the function requires */
static const struct { const char *name, *fn; int warm, train, decay; } HF_FN[] = {
    {"constant", "get_constant_schedule", 0, 0, 0},
    {"constant_with_warmup", "get_constant_schedule_with_warmup", 1, 0, 0},
    {"linear", "get_linear_schedule_with_warmup", 1, 1, 0},
    {"cosine", "get_cosine_schedule_with_warmup", 1, 1, 0},
    {"cosine_with_restarts", "get_cosine_with_hard_restarts_schedule_with_warmup", 1, 1, 0},
    {"polynomial", "get_polynomial_decay_schedule_with_warmup", 1, 1, 0},
    {"inverse_sqrt", "get_inverse_sqrt_schedule", 1, 0, 0},
    {"cosine_with_min_lr", "get_cosine_with_min_lr_schedule_with_warmup", 1, 1, 0},
    {"cosine_warmup_with_min_lr", "get_cosine_with_min_lr_schedule_with_warmup_lr_rate", 1, 1, 0},
    {"warmup_stable_decay", "get_wsd_schedule", 1, 0, 1},
};

/* One line of schedules_hf.jsonl, "hf:NAME(ARGS)": its spec, lr and steps, and NAME and ARGS
 * (without the parentheses) copied out. */
typedef struct hf_case {
    const char *spec;
    double lr;
    int64_t steps;
    char name[64], args[512];
} hf_case;

static hf_case hf_case_of(cJSON *j)
{
    hf_case c;
    c.spec = cJSON_GetObjectItem(j, "spec")->valuestring;
    c.lr = cJSON_GetObjectItem(j, "lr")->valuedouble;
    c.steps = (int64_t)cJSON_GetObjectItem(j, "steps")->valuedouble;
    const char *open = strchr(c.spec, '(');
    snprintf(c.name, sizeof c.name, "%.*s",
             (int)(open ? (size_t)(open - c.spec - 3) : strlen(c.spec) - 3), c.spec + 3);
    c.args[0] = '\0';
    if (open) snprintf(c.args, sizeof c.args, "%.*s", (int)(strlen(open) - 2), open + 1);
    return c;
}

/* hf:NAME(args) of the fixtures, written as HF's function with a leading optimizer, gives the
 * same numbers (arguments the function requires and the get_scheduler form takes from the run
 * are written out: 0 warmup steps, the run length). */
static void hf_function_line(cJSON *j, int lineno, void *ctx)
{
    int *count = ctx;
    hf_case c = hf_case_of(j);
    const char *spec = c.spec, *args = c.args;
    double lr = c.lr;
    int64_t steps = c.steps;
    size_t i = 0;
    while (i < sizeof HF_FN / sizeof *HF_FN && strcmp(HF_FN[i].name, c.name) != 0) i++;
    CHECK(i < sizeof HF_FN / sizeof *HF_FN, "schedules_hf.jsonl:%d: no function for %s", lineno, spec);
    if (i == sizeof HF_FN / sizeof *HF_FN) return;
    char fn[1024], where[64];
    char extra[128] = "";
    if (HF_FN[i].warm && !strstr(args, "num_warmup_steps")) strcat(extra, ", num_warmup_steps=0");
    if ((HF_FN[i].train || HF_FN[i].decay) && !strstr(args, "num_training_steps") &&
        !strstr(args, "num_stable_steps"))
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", num_training_steps=%lld",
                 (long long)steps);
    snprintf(fn, sizeof fn, "hf:%s%s(optimizer%s%s%s)", (lineno % 2) ? "" : "transformers.",
             HF_FN[i].fn, args[0] ? ", " : "", args, extra);
    snprintf(where, sizeof where, "schedules_hf.jsonl:%d", lineno);
    same_numbers(spec, fn, lr, steps, NULL, where);
    (*count)++;
}

/* hf:NAME(args) of the fixtures, written as HF's dispatcher get_scheduler("NAME", optimizer,
 * num_warmup_steps=, num_training_steps=, scheduler_specific_kwargs={...the rest}), gives the
 * same numbers. Cases where get_scheduler would drop an argument (constant takes none;
 * constant_with_warmup and inverse_sqrt only the warmup) are not its calls and are skipped. */
static void hf_get_scheduler_line(cJSON *j, int lineno, void *ctx)
{
    int *count = ctx;
    hf_case c = hf_case_of(j);
    const char *spec = c.spec, *name = c.name;
    char *args = c.args; /* split in place below */
    double lr = c.lr;
    int64_t steps = c.steps;
    char w[64] = "0", n[64] = "", rest[512] = "", fn[1200], where[64];
    int constant = !strcmp(name, "constant"), plateau = !strcmp(name, "reduce_lr_on_plateau");
    int warmup_only = !strcmp(name, "constant_with_warmup") || !strcmp(name, "inverse_sqrt");
    int stable = 0;
    char *save = NULL;
    for (char *a = strtok_r(args, ",", &save); a; a = strtok_r(NULL, ",", &save)) { /* key=value, no nesting */
        while (*a == ' ') a++;
        char *eq = strchr(a, '=');
        if (!eq) return;
        *eq = '\0';
        if (!strcmp(a, "num_warmup_steps")) snprintf(w, sizeof w, "%s", eq + 1);
        else if (!strcmp(a, "num_training_steps")) snprintf(n, sizeof n, "%s", eq + 1);
        else if (constant || warmup_only) return; /* get_scheduler would drop it */
        else {
            stable |= !strcmp(a, "num_stable_steps");
            snprintf(rest + strlen(rest), sizeof rest - strlen(rest), "%s'%s': %s",
                     rest[0] ? ", " : "", a, eq + 1);
        }
    }
    if (!n[0] && !stable) snprintf(n, sizeof n, "%lld", (long long)steps);
    if (constant || plateau)
        snprintf(fn, sizeof fn, "hf:get_scheduler('%s', optimizer%s%s%s)", name,
                 rest[0] ? ", scheduler_specific_kwargs={" : "", rest, rest[0] ? "}" : "");
    else
        snprintf(fn, sizeof fn, "hf:get_scheduler(%s%s%s, optimizer, num_warmup_steps=%s%s%s%s%s%s)",
                 lineno % 2 ? "\"" : "SchedulerType.", name, lineno % 2 ? "\"" : "", w,
                 n[0] && !warmup_only ? ", num_training_steps=" : "", warmup_only ? "" : n,
                 rest[0] ? ", scheduler_specific_kwargs={" : "", rest, rest[0] ? "}" : "");
    char *en = strstr(fn, "SchedulerType."); /* SchedulerType.NAME in capitals, as written */
    for (char *u = en ? en + 14 : fn + strlen(fn); *u && *u != ','; u++)
        *u = (char)toupper((unsigned char)*u);
    snprintf(where, sizeof where, "schedules_hf.jsonl:%d", lineno);
    same_numbers(spec, fn, lr, steps, NULL, where);
    (*count)++;
}

/* torch:Class(args) of the fixtures with the optimizer first in every call and the module path
 * written out gives the same numbers. */
static void torch_pasted_line(cJSON *j, int lineno, void *ctx)
{
    int *count = ctx;
    const char *spec = cJSON_GetObjectItem(j, "spec")->valuestring;
    double lr = cJSON_GetObjectItem(j, "lr")->valuedouble;
    int64_t steps = (int64_t)cJSON_GetObjectItem(j, "steps")->valuedouble;
    cJSON *metrics = cJSON_GetObjectItem(j, "metrics");
    if (cJSON_GetObjectItem(j, "at") || deliberately_rejected(spec, lr, steps)) return;
    char out[4096], where[64];
    size_t o = (size_t)snprintf(out, sizeof out, "torch:torch.optim.lr_scheduler.");
    for (const char *c = spec + 6; *c && o + 40 < sizeof out; c++) {
        /* a nested call: its module path */
        size_t id = strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_");
        if ((c[-1] == '[' || (c[-1] == ' ' && c[-2] == ',')) && id && c[id] == '(')
            o += (size_t)snprintf(out + o, sizeof out - o, "lr_scheduler.");
        out[o++] = *c;
        if (*c == '(') o += (size_t)snprintf(out + o, sizeof out - o, c[1] == ')' ? "opt" : "self.optimizer, ");
    }
    out[o] = '\0';
    snprintf(where, sizeof where, "schedules_torch.jsonl:%d", lineno);
    same_numbers(spec, out, lr, steps, metrics, where);
    (*count)++;
}

static void test_pasted(void)
{
    int n = 0;
    CHECK(th_jsonl("tests/fixtures/schedules_hf.jsonl", hf_function_line, &n) > 0 && n > 60,
          "HF's functions: %d fixture cases", n);
    printf("  HF's function names: %d fixture cases equal the get_scheduler names\n", n);
    n = 0;
    CHECK(th_jsonl("tests/fixtures/schedules_hf.jsonl", hf_get_scheduler_line, &n) > 0 && n > 50,
          "HF's get_scheduler: %d fixture cases", n);
    printf("  HF's get_scheduler(name, optimizer, ...): %d fixture cases\n", n);
    n = 0;
    CHECK(th_jsonl("tests/fixtures/schedules_torch.jsonl", torch_pasted_line, &n) > 0 && n > 100,
          "torch with an optimizer: %d fixture cases", n);
    printf("  torch with a leading optimizer and module paths: %d fixture cases\n", n);
    /* the examples of the issue, as written */
    same_numbers("torch:LinearLR(start_factor=0.1, total_iters=10)",
                 "torch:LinearLR(optimizer, start_factor=0.1, total_iters=10)", 0.1, 100, NULL, "LinearLR");
    same_numbers("torch:SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=10), "
                 "CosineAnnealingLR(T_max=90)], milestones=[10])",
                 "torch:SequentialLR(opt, schedulers=[LinearLR(opt, start_factor=0.1, total_iters=10), "
                 "CosineAnnealingLR(opt, T_max=90)], milestones=[10])", 0.1, 100, NULL, "SequentialLR");
    same_numbers("torch:LinearLR(start_factor=0.1, total_iters=10)",
                 "torch:optim.lr_scheduler.LinearLR(optimizer=self.optimizer, start_factor=0.1, total_iters=10)",
                 0.1, 100, NULL, "optimizer=");
    same_numbers("torch:LinearLR(start_factor=0.1, total_iters=10)",
                 "torch:lr_scheduler.LinearLR(optim, 0.1, 1.0, 10)", 0.1, 100, NULL, "positional");
    same_numbers("hf:linear(num_warmup_steps=10, num_training_steps=100)",
                 "hf:transformers.optimization.get_linear_schedule_with_warmup(optimizer, 10, 100)",
                 1e-3, 100, NULL, "HF positional");
    cJSON *m = cJSON_CreateArray();
    for (int k = 0; k < 60; k++) cJSON_AddItemToArray(m, cJSON_CreateNumber(k < 5 ? 1.0 - 0.1 * k : 0.6));
    same_numbers("torch:ReduceLROnPlateau(patience=2, factor=0.5)",
                 "hf:get_reduce_on_plateau_schedule(optimizer, patience=2, factor=0.5)", 0.1, 60, m,
                 "HF plateau function");
    same_numbers("torch:ReduceLROnPlateau(patience=2, factor=0.5)",
                 "hf:reduce_lr_on_plateau(patience=2, factor=0.5)", 0.1, 60, m, "HF plateau name");
    cJSON_Delete(m);

    static const struct { const char *spec, *msg; } bad[] = {
        {"torch:foo.LinearLR(opt)", "PyTorch's schedulers live in torch.optim.lr_scheduler"},
        {"torch:LinearLR(opt, optimizer=opt)", "two values for 'optimizer'"},
        {"torch:LinearLR(optimizer=3)", "optimizer= takes the optimizer's variable name"},
        {"torch:LinearLR(opt, start_factor=cfg.f)", "'cfg.f' is a Python variable"},
        {"torch:LinearLR(opt, 0.1, 1.0, 10, -1, False, 3)", "5 positional arguments after the optimizer"},
        {"torch:LinearLR(o.p=3)", "a keyword is a plain name"},
        {"warmup(10).cosine", "unexpected character '.'"},
        {"hf:get_linear_schedule_with_warmup(optimizer, num_warmup_steps=10)",
         "get_linear_schedule_with_warmup: missing argument 'num_training_steps'"},
        {"hf:get_cosine_schedule_with_warmup(optimizer, num_training_steps=10)",
         "get_cosine_schedule_with_warmup: missing argument 'num_warmup_steps'"},
        {"hf:get_wsd_schedule(opt, num_warmup_steps=1, num_decay_steps=2)",
         "give num_training_steps or num_stable_steps"},
        {"hf:get_polynomial_decay_schedule_with_warmup(opt, 1, 10, lr_end=1)",
         "get_polynomial_decay_schedule_with_warmup: lr_end (1)"},
        {"hf:torch.get_linear_schedule_with_warmup(opt, 1, 10)", "live in transformers"},
        {"hf:transformers.linear(num_warmup_steps=1)", "not a Hugging Face schedule function"},
        {"hf:get_scheduler('linear', optimizer, num_warmup_steps=2)",
         "get_scheduler: linear requires num_training_steps"},
        {"hf:get_scheduler('cosine', optimizer, num_training_steps=20)",
         "get_scheduler: cosine requires num_warmup_steps"},
        {"hf:get_scheduler('lin', optimizer, 2, 10)", "unknown scheduler name 'lin'"},
        {"hf:get_scheduler(optimizer=opt, num_warmup_steps=2)", "missing the scheduler's name"},
        {"hf:get_scheduler(linear, opt, 2, 10)", "the name is a string"},
        {"hf:get_scheduler('linear', opt, 2, 10, 5)", "scheduler_specific_kwargs takes a dict"},
        {"hf:get_scheduler('linear', opt, 2, 10, {'num_cycles': 2})", "no argument 'num_cycles'"},
        {"hf:get_scheduler('cosine', opt, 2, 10, {'num_warmup_steps': 2})",
         "given by get_scheduler itself"},
        {"hf:get_scheduler('cosine', opt, 2, 10, {'num_cycles': 2, 'num_cycles': 3})",
         "dict key 'num_cycles' repeated"},
        {"hf:get_scheduler('cosine', opt, 2, 10, {num_cycles: 2})", "a quoted argument name"},
        {"hf:get_scheduler('cosine', opt, 2, 10, {'num_cycles' 2})", "expected ':' after"},
        {"hf:get_scheduler('cosine', opt, 2, 10, {'num_cycles': 2)", "expected ',' or '}'"},
        {"hf:get_scheduler('cosine', opt, 2, 10, warmup=3)", "unexpected keyword argument 'warmup'"},
        {"hf:get_scheduler('cosine', 3, 2, 10)", "the optimizer's variable name"},
        {"warmup(10) > {'a': 1}", "expected a value, got '{'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wu_sched_opts o = {.lr = 0.1, .total_steps = 100};
        wu_schedule *s = NULL;
        wu_error e;
        int rc = wu_sched_parse(&s, bad[i].spec, &o, &e);
        CHECK(rc != WU_OK && strstr(e.msg, bad[i].msg), "%s: want '%s', got %s", bad[i].spec,
              bad[i].msg, rc == WU_OK ? "accepted" : e.msg);
        if (rc == WU_OK) wu_sched_destroy(s);
    }
}

/* wu_sched_plateau_lrs / wu_sched_set_plateau_lrs: what a binding uses to move a plateau
 * between parameter groups' LR scales */
static void test_plateau_lrs(void)
{
    wu_sched_opts o = {.lr = 0.1, .total_steps = 100};
    wu_schedule *s = NULL, *plain = NULL;
    wu_error e;
    double v[4] = {0};
    CHECK(wu_sched_parse(&s, "torch:ReduceLROnPlateau(patience=0, factor=0.5)", &o, &e) == WU_OK,
          "parse: %s", e.msg);
    CHECK(wu_sched_plateau_lrs(s, v, 4) == 1 && v[0] == 0.1, "one node at 0.1: %g", v[0]);
    wu_sched_observe(s, 1.0);
    wu_sched_observe(s, 2.0); /* worse: halves */
    CHECK(wu_sched_plateau_lrs(s, v, 4) == 1 && v[0] == 0.05 && wu_sched_lr(s, 5) == 0.05,
          "after a reduction: %g, lr %g", v[0], wu_sched_lr(s, 5));
    double set = 0.2;
    CHECK(wu_sched_set_plateau_lrs(s, &set, 1, &e) == WU_OK && wu_sched_lr(s, 5) == 0.2,
          "set 0.2: lr %g", wu_sched_lr(s, 5));
    wu_sched_observe(s, 3.0); /* the next reduction starts from the LR that was set */
    CHECK(wu_sched_lr(s, 6) == 0.1, "reduced from 0.2: %g", wu_sched_lr(s, 6));
    double bad[2] = {NAN, 0.1};
    CHECK(wu_sched_set_plateau_lrs(s, bad, 1, &e) == WU_EINVAL && strstr(e.msg, "finite") &&
          wu_sched_lr(s, 6) == 0.1, "NaN refused, nothing changed: %s", e.msg);
    CHECK(wu_sched_set_plateau_lrs(s, bad + 1, 2, &e) == WU_EINVAL && strstr(e.msg, "2 plateau LRs"),
          "wrong count: %s", e.msg);
    CHECK(wu_sched_plateau_lrs(s, NULL, 0) == 1, "count only");
    CHECK(wu_sched_parse(&plain, "warmup(10) > cosine", &o, &e) == WU_OK &&
          wu_sched_plateau_lrs(plain, v, 4) == 0 && wu_sched_set_plateau_lrs(plain, NULL, 0, &e) == WU_OK,
          "no plateau: 0 nodes");
    wu_sched_destroy(s);
    wu_sched_destroy(plain);
}

int main(void)
{
    const char *golden = getenv("WU_GOLDEN");
    if (!golden) {
        FILE *f = fopen("../shared/golden/schedules.jsonl", "r");
        golden = f ? "../shared/golden/schedules.jsonl" : "tests/fixtures/golden_schedules.jsonl";
        if (f) fclose(f);
    }
    check_file(golden, 1);
    check_file("tests/fixtures/schedules_torch.jsonl", 1);
    check_file("tests/fixtures/schedules_hf.jsonl", 1);
    test_guide();
    test_properties();
    test_errors();
    test_pasted();
    test_plateau_lrs();
    return th_done("test_schedule");
}
