/* test_optim.c - optimizers against PyTorch 1.13 trajectories, exact resume, thread-count
 * independence, clipping, diagnostics and argument checks.
 *
 * Parity bound (tests/fixtures/optim_torch.jsonl, from tools/gen_optim_fixtures.py):
 *   - without clipping, every parameter after every step is bitwise equal to PyTorch's: both
 *     compute in float32 with the same operations, fused multiply-adds where PyTorch's CPU
 *     kernels fuse them (add_ with alpha, addcmul_), and the same scalars rounded to float32;
 *   - with clipping, within 1e-6 absolute + 1e-5 relative: PyTorch sums per-tensor float32
 *     norms, libwarmup one double sum, so the norm (hence the clip factor) may differ in its last
 *     float32 bit, which moves a clipped parameter by about an ulp per step.
 * The printed maxima show how far inside the bounds the results are.
 * GI-Adam and bias correction off (tests/fixtures/optim_gi_torch.jsonl, from
 * tools/gen_optim_gi_fixtures.py, on top of PyTorch 1.13's Adam, AdamW and RAdam math) are held
 * to the same bounds by the same code. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "harness.h"
#include "warmup.h"

static double num(cJSON *o, const char *k) { return cJSON_GetObjectItem(o, k)->valuedouble; }

static void floats(cJSON *arr, float *out, int n)
{
    for (int i = 0; i < n; i++) out[i] = (float)cJSON_GetArrayItem(arr, i)->valuedouble;
}

static int kind_of(const char *s)
{
    return !strcmp(s, "sgd") ? WU_OPT_SGD : !strcmp(s, "adam") ? WU_OPT_ADAM
         : !strcmp(s, "adamw") ? WU_OPT_ADAMW : WU_OPT_RADAM;
}

static double worst_abs, worst_lr, worst_norm;
static int bitwise_cases;

static void check_case(cJSON *c)
{
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    int kind = kind_of(cJSON_GetObjectItem(c, "optimizer")->valuestring);
    int n = (int)num(c, "nparams"), steps = (int)num(c, "steps");
    cJSON *jv = cJSON_GetObjectItem(c, "views"), *jvg = cJSON_GetObjectItem(c, "view_group");
    cJSON *jg = cJSON_GetObjectItem(c, "groups");
    int nv = cJSON_GetArraySize(jv), ng = cJSON_GetArraySize(jg);
    wu_param_view *views = calloc((size_t)nv, sizeof *views);
    int *vg = calloc((size_t)nv, sizeof *vg);
    for (int i = 0; i < nv; i++) {
        cJSON *v = cJSON_GetArrayItem(jv, i);
        views[i].offset = (size_t)cJSON_GetArrayItem(v, 0)->valuedouble;
        views[i].numel = (size_t)cJSON_GetArrayItem(v, 1)->valuedouble;
        vg[i] = cJSON_GetArrayItem(jvg, i)->valueint;
    }
    wu_optim_config g[WU_OPTIM_MAX_GROUPS];
    for (int i = 0; i < ng; i++) {
        cJSON *o = cJSON_GetArrayItem(jg, i);
        wu_optim_defaults(&g[i], kind);
        g[i].lr = num(o, "lr");
        g[i].weight_decay = num(o, "weight_decay");
        g[i].beta1 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "betas"), 0)->valuedouble;
        g[i].beta2 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "betas"), 1)->valuedouble;
        g[i].eps = num(o, "eps");
        g[i].amsgrad = cJSON_IsTrue(cJSON_GetObjectItem(o, "amsgrad"));
        g[i].momentum = num(o, "momentum");
        g[i].dampening = num(o, "dampening");
        g[i].nesterov = cJSON_IsTrue(cJSON_GetObjectItem(o, "nesterov"));
        /* optim_gi_torch.jsonl's two keys (absent in optim_torch.jsonl: PyTorch's Adam) */
        cJSON *vi = cJSON_GetObjectItem(o, "v_init"), *bc = cJSON_GetObjectItem(o, "bias_correction");
        if (cJSON_IsString(vi) && !strcmp(vi->valuestring, "grad")) g[i].v_init = WU_ADAM_INIT_GRAD;
        if (cJSON_IsFalse(bc)) g[i].no_bias_correction = 1;
    }
    wu_optim *opt;
    wu_error e;
    int rc = wu_optim_create(&opt, &g[0], (size_t)n, views, nv, vg, g, ng, &e);
    CHECK(rc == WU_OK, "%s: create: %s", name, e.msg);
    if (rc != WU_OK) goto out;
    wu_schedule *sched = NULL;
    cJSON *js = cJSON_GetObjectItem(c, "schedule");
    if (cJSON_IsString(js)) {
        wu_sched_opts so = {.lr = g[0].lr, .total_steps = steps};
        CHECK(wu_sched_parse(&sched, js->valuestring, &so, &e) == WU_OK, "%s: %s", name, e.msg);
        wu_optim_set_schedule(opt, sched);
    }
    cJSON *jclip = cJSON_GetObjectItem(c, "clip");
    double clip = cJSON_IsNumber(jclip) ? jclip->valuedouble : 0;
    float *p = malloc(sizeof *p * (size_t)n), *gr = malloc(sizeof *gr * (size_t)n);
    float *want = malloc(sizeof *want * (size_t)n);
    floats(cJSON_GetObjectItem(c, "init"), p, n);
    double case_worst = 0;
    long compared = 0;
    int bad_t = -1, bad_i = -1;
    for (int t = 0; t < steps && bad_t < 0; t++) {
        floats(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "grads"), t), gr, n);
        for (int k = 0; k < ng; k++) {
            double want_lr = cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "lrs"), t), k)->valuedouble;
            double d = th_rel(wu_optim_lr(opt, k), want_lr);
            if (d > worst_lr) worst_lr = d;
            CHECK(d < 1e-12, "%s step %d group %d: LR %.17g, PyTorch %.17g", name, t, k,
                  wu_optim_lr(opt, k), want_lr);
        }
        if (clip > 0) {
            double norm = wu_optim_clip_grad_norm(gr, (size_t)n, clip);
            double want_norm = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "norms"), t)->valuedouble;
            double d = th_rel(norm, want_norm);
            if (d > worst_norm) worst_norm = d;
            CHECK(d < 1e-6, "%s step %d: clip norm %.9g, PyTorch %.9g", name, t, norm, want_norm);
        }
        wu_optim_step(opt, p, gr, NULL);
        floats(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "params"), t), want, n);
        for (int i = 0; i < n; i++, compared++) {
            double d = fabs((double)p[i] - want[i]);
            if (d > case_worst) case_worst = d;
            /* written so that a NaN on either side is a mismatch */
            if (clip > 0 ? !(d <= 1e-6 + 1e-5 * fabs(want[i])) : !(p[i] == want[i])) {
                bad_t = t, bad_i = i;
                break;
            }
        }
    }
    /* one check per trajectory: every parameter after every step, and at least one compared */
    if (compared == 0)
        CHECK(0, "%s: no parameter compared", name);
    else
        CHECK(bad_t < 0, "%s step %d param %d: %.9g, PyTorch %.9g", name, bad_t, bad_i,
              bad_i >= 0 ? p[bad_i] : 0.0f, bad_i >= 0 ? want[bad_i] : 0.0f);
    if (case_worst > worst_abs) worst_abs = case_worst;
    bitwise_cases += case_worst == 0 && bad_t < 0;
    free(p); free(gr); free(want);
    wu_sched_destroy(sched);
    wu_optim_destroy(opt);
out:
    free(views);
    free(vg);
}

static void check_line(cJSON *c, int lineno, void *ctx)
{
    (void)lineno, (void)ctx;
    check_case(c);
}

static void test_fixtures(void)
{
    int cases = th_jsonl("tests/fixtures/optim_torch.jsonl", check_line, NULL);
    CHECK(cases >= 0, "tests/fixtures/optim_torch.jsonl is missing");
    printf("  optim_torch.jsonl: %d trajectories, %d bitwise equal to PyTorch; max |param - "
           "PyTorch| %.3g, max LR difference %.3g, max clip-norm difference %.3g (relative)\n",
           cases, bitwise_cases, worst_abs, worst_lr, worst_norm);
    CHECK(cases >= 40, "only %d optimizer cases", cases);
    worst_abs = worst_lr = worst_norm = 0;
    bitwise_cases = 0;
    cases = th_jsonl("tests/fixtures/optim_gi_torch.jsonl", check_line, NULL);
    CHECK(cases >= 0, "tests/fixtures/optim_gi_torch.jsonl is missing");
    printf("  optim_gi_torch.jsonl (GI-Adam, no bias correction): %d trajectories, %d bitwise "
           "equal to the reference; max |param - reference| %.3g, max LR difference %.3g, max "
           "clip-norm difference %.3g (relative)\n", cases, bitwise_cases, worst_abs, worst_lr,
           worst_norm);
    CHECK(cases >= 20, "only %d GI-Adam / bias-correction cases", cases);
}

/* ---- a small deterministic problem for the remaining tests -------------------------------- */
#define N 50000

static void grads_at(float *g, int t)
{
    for (int i = 0; i < N; i++) g[i] = (float)(sin(0.37 * i + 1.3 * t) * (i % 97 == 0 ? 0 : 1));
}

static wu_optim *make_gi(int kind, int ams, const wu_schedule *s, int gi, int nobc)
{
    wu_optim_config cfg;
    wu_optim_defaults(&cfg, kind);
    cfg.amsgrad = ams;
    cfg.v_init = gi ? WU_ADAM_INIT_GRAD : WU_ADAM_INIT_ZERO;
    cfg.no_bias_correction = nobc;
    if (kind == WU_OPT_SGD) cfg.momentum = 0.9, cfg.weight_decay = 1e-3;
    wu_param_view v[3] = {{"w", 0, 30000, 2}, {"b", 30000, 10000, 1}, {"ln.g", 40000, 10000, 1}};
    int vg[3];
    wu_optim_split_decay(vg, v, 3);
    wu_optim_config g[2] = {cfg, cfg};
    g[1].weight_decay = 0;
    g[1].lr = cfg.lr * 0.5;
    wu_optim *o;
    wu_error e;
    if (wu_optim_create(&o, &cfg, N, v, 3, vg, g, 2, &e) != WU_OK) {
        printf("  create: %s\n", e.msg);
        return NULL;
    }
    wu_optim_set_schedule(o, s);
    return o;
}

static wu_optim *make(int kind, int ams, const wu_schedule *s)
{
    return make_gi(kind, ams, s, 0, 0);
}

static void test_resume(void)
{
    static const struct { int kind, ams, gi, nobc, save_at; const char *name; } k[] = {
        {WU_OPT_SGD, 0, 0, 0, 9, "sgd"}, {WU_OPT_ADAM, 1, 0, 0, 9, "adam+amsgrad"},
        {WU_OPT_ADAMW, 0, 0, 0, 9, "adamw"}, {WU_OPT_RADAM, 0, 0, 0, 9, "radam"},
        /* issue 18: GI-Adam saved mid-run and before its first update (where v_0 is still to
           be set), bias correction off */
        {WU_OPT_ADAMW, 0, 1, 0, 9, "gi-adamw"}, {WU_OPT_ADAMW, 1, 1, 1, 0, "gi-adamw+amsgrad, no bc, at 0"},
        {WU_OPT_ADAM, 0, 0, 1, 9, "adam, no bc"}, {WU_OPT_RADAM, 0, 1, 1, 9, "gi-radam, no bc"}};
    const size_t nk = sizeof k / sizeof *k;
    float *p1 = malloc(N * sizeof *p1), *p2 = malloc(N * sizeof *p2), *g = malloc(N * sizeof *g);
    for (size_t i = 0; i < nk; i++) {
        wu_sched_opts so = {.lr = 1e-3, .total_steps = 20};
        wu_schedule *s1, *s2;
        wu_sched_parse(&s1, "warmup(5) > cosine * plateau(patience=1)", &so, NULL);
        wu_sched_parse(&s2, "warmup(5) > cosine * plateau(patience=1)", &so, NULL);
        wu_optim *a = make_gi(k[i].kind, k[i].ams, s1, k[i].gi, k[i].nobc);
        wu_optim *b = make_gi(k[i].kind, k[i].ams, s2, k[i].gi, k[i].nobc);
        for (int j = 0; j < N; j++) p1[j] = p2[j] = (float)cos(0.1 * j);
        unsigned char *state = NULL;
        size_t size = wu_optim_state_size(a);
        for (int t = 0; t < 20; t++) {
            if (t == k[i].save_at) {
                state = malloc(size);
                CHECK(wu_optim_state_save(a, state, size, NULL) == WU_OK, "%s: save", k[i].name);
                memcpy(p2, p1, N * sizeof *p1);
            }
            grads_at(g, t);
            wu_optim_step(a, p1, g, NULL);
            wu_sched_observe(s1, t < 5 ? 1.0 / (t + 1) : 0.2);
        }
        /* the second optimizer starts elsewhere, then loads the step-9 state */
        wu_error e;
        CHECK(wu_optim_state_load(b, state, size, &e) == WU_OK, "%s: load: %s", k[i].name, e.msg);
        for (int t = k[i].save_at; t < 20; t++) {
            grads_at(g, t);
            wu_optim_step(b, p2, g, NULL);
            wu_sched_observe(s2, t < 5 ? 1.0 / (t + 1) : 0.2);
        }
        CHECK(memcmp(p1, p2, N * sizeof *p1) == 0, "%s: resumed run differs from the "
              "uninterrupted one", k[i].name);
        CHECK(wu_optim_steps(b) == 20, "%s: step count %lld", k[i].name, (long long)wu_optim_steps(b));
        /* corrupt and foreign states are refused */
        state[size / 2] ^= 0x40;
        CHECK(wu_optim_state_load(b, state, size, &e) == WU_EIO && strstr(e.msg, "checksum"),
              "%s: corrupt state: %s", k[i].name, e.msg);
        CHECK(wu_optim_state_load(b, state, 20, &e) == WU_EIO && strstr(e.msg, "truncated"),
              "%s: truncated state: %s", k[i].name, e.msg);
        wu_optim *other = make(k[(i + 1) % 4].kind, 0, NULL);
        state[size / 2] ^= 0x40;
        CHECK(wu_optim_state_load(other, state, size, &e) == WU_EIO, "%s: a foreign state is "
              "refused", k[i].name);
        if (k[i].kind != WU_OPT_SGD) { /* the same kind with the other GI or bias setting */
            wu_optim *flip = make_gi(k[i].kind, k[i].ams, NULL, !k[i].gi, k[i].nobc);
            wu_optim *flip2 = make_gi(k[i].kind, k[i].ams, NULL, k[i].gi, !k[i].nobc);
            CHECK(wu_optim_state_load(flip, state, size, &e) == WU_EIO &&
                      strstr(e.msg, "GI-Adam") &&
                      wu_optim_state_load(flip2, state, size, &e) == WU_EIO &&
                      strstr(e.msg, "bias correction"),
                  "%s: a state of other GI / bias-correction settings is refused: %s", k[i].name,
                  e.msg);
            wu_optim_destroy(flip);
            wu_optim_destroy(flip2);
        }
        free(state);
        wu_optim_destroy(a); wu_optim_destroy(b); wu_optim_destroy(other);
        wu_sched_destroy(s1); wu_sched_destroy(s2);
    }
    free(p1); free(p2); free(g);
}

static void test_threads(void)
{
#ifdef _OPENMP
    int threads = omp_get_max_threads();
    float *p1 = malloc(N * sizeof *p1), *p2 = malloc(N * sizeof *p2), *g = malloc(N * sizeof *g);
    for (int kind = WU_OPT_SGD; kind <= WU_OPT_RADAM; kind++) {
        wu_optim_stats s1, s2;
        for (int run = 0; run < 2; run++) {
            omp_set_num_threads(run + 1);
            wu_optim *o = make(kind, 0, NULL);
            float *p = run ? p2 : p1;
            for (int j = 0; j < N; j++) p[j] = (float)cos(0.1 * j);
            for (int t = 0; t < 8; t++) {
                grads_at(g, t);
                wu_optim_clip_grad_norm(g, N, 50.0);
                wu_optim_step(o, p, g, run ? &s2 : &s1);
            }
            wu_optim_destroy(o);
        }
        CHECK(memcmp(p1, p2, N * sizeof *p1) == 0, "kind %d: 1 and 2 threads differ", kind);
        CHECK(s1.update_norm == s2.update_norm && s1.v_mean == s2.v_mean,
              "kind %d: statistics depend on the thread count", kind);
    }
    omp_set_num_threads(threads);
    free(p1); free(p2); free(g);
#else
    th_skip("thread-count independence: built without OpenMP");
#endif
}

static void test_clip_and_stats(void)
{
    float g[4] = {3, 4, 0, 0};
    double norm = wu_optim_clip_grad_norm(g, 4, 1.0);
    CHECK(norm == 5.0 && fabsf(g[0] - 0.6f) < 1e-6f && fabsf(g[1] - 0.8f) < 1e-6f,
          "clip 3-4-5: norm %g, g %g %g", norm, g[0], g[1]);
    float h[3] = {0.1f, 0.2f, 0.2f};
    norm = wu_optim_clip_grad_norm(h, 3, 1.0);
    CHECK(fabs(norm - 0.3) < 1e-7 && h[0] == 0.1f, "below the threshold nothing changes");
    float bad[3] = {1.0f, NAN, 2.0f};
    norm = wu_optim_clip_grad_norm(bad, 3, 1.0);
    CHECK(isnan(norm) && bad[0] == 1.0f && bad[2] == 2.0f, "a NaN norm is returned, the "
          "gradients left alone");
    float inf[2] = {INFINITY, 1.0f};
    CHECK(isinf(wu_optim_clip_grad_norm(inf, 2, 1.0)) && inf[1] == 1.0f,
          "an infinite norm likewise");

    /* Adam at step 1: v_hat = g^2 exactly, zero gradients fall below eps */
    wu_optim_config cfg;
    wu_optim_defaults(&cfg, WU_OPT_ADAM);
    wu_optim *o;
    wu_optim_create(&o, &cfg, 4, NULL, 0, NULL, NULL, 0, NULL);
    float p[4] = {1, 1, 1, 1}, gr[4] = {0.5f, -0.5f, 0, 0};
    wu_optim_stats st;
    wu_optim_step(o, p, gr, &st);
    CHECK(fabs(st.v_mean - 0.125) < 1e-7 && fabs(st.v_max - 0.25) < 1e-7 && st.v_min == 0,
          "v stats %g %g %g", st.v_mean, st.v_min, st.v_max);
    CHECK(st.v_frac_below_eps == 0.5, "half the entries below eps: %g", st.v_frac_below_eps);
    /* Adam's first step moves each weight with a gradient by lr: update norm lr*sqrt(2), as
       far as float32 weights near 1 can show it (their ulp is 6e-8) */
    CHECK(fabs(st.update_norm - 1e-3 * sqrt(2.0)) < 1e-7 && fabs(st.weight_norm - 2.0) < 1e-12 &&
              fabs(st.update_ratio - st.update_norm / 2.0) < 1e-15,
          "update %g, weight %g", st.update_norm, st.weight_norm);
    CHECK(st.lr[0] == 1e-3 && st.step == 0, "lr %g step %lld", st.lr[0], (long long)st.step);
    wu_optim_destroy(o);

    /* RAdam: rho_t <= 5 for the first steps (plain momentum step), then rectified */
    wu_optim_defaults(&cfg, WU_OPT_RADAM);
    wu_optim_create(&o, &cfg, 4, NULL, 0, NULL, NULL, 0, NULL);
    int first_adaptive = -1;
    for (int t = 0; t < 10; t++) {
        wu_optim_step(o, p, gr, &st);
        if (st.radam_adaptive && first_adaptive < 0) first_adaptive = t;
    }
    CHECK(first_adaptive == 5, "RAdam's adaptive step starts at update %d (rho_6 > 5)",
          first_adaptive);
    CHECK(st.radam_rect > 0 && st.radam_rect < 1 && st.radam_rho > 5, "rect %g rho %g",
          st.radam_rect, st.radam_rho);
    wu_optim_destroy(o);
}

/* RAdam's rho_t and rectification depend on each group's beta2, so its diagnostics must cover
 * every group, not only group 0: here group 0 (beta2 0.999) is rectified from update 5 on while
 * group 1 (beta2 0.5, rho_inf 3) never is. */
static double radam_rho(double beta2, int t)
{
    double rho_inf = 2.0 / (1.0 - beta2) - 1.0, bt = pow(beta2, t);
    return rho_inf - 2.0 * t * bt / (1.0 - bt);
}

static void test_radam_groups(void)
{
    wu_optim_config cfg, g[2];
    wu_optim_defaults(&cfg, WU_OPT_RADAM);
    g[0] = g[1] = cfg;
    g[1].lr = 1e-2;
    g[1].beta2 = 0.5;
    wu_param_view views[2] = {{"a.weight", 0, 2, 2}, {"b.weight", 2, 2, 2}};
    int vg[2] = {0, 1};
    wu_optim *o;
    wu_error e;
    CHECK(wu_optim_create(&o, &cfg, 4, views, 2, vg, g, 2, &e) == WU_OK, "create: %s", e.msg);
    float p[4] = {1, 1, 1, 1}, gr[4] = {0.5f, -0.5f, 0.25f, -0.25f};
    wu_optim_stats st;
    for (int t = 0; t < 10; t++) wu_optim_step(o, p, gr, &st);
    double rho0 = radam_rho(0.999, 10), rho1 = radam_rho(0.5, 10);
    CHECK(fabs(st.radam_rho - rho1) < 1e-9, "rho over all groups is the smallest: %.6g, want "
          "group 1's %.6g (group 0's is %.6g)", st.radam_rho, rho1, rho0);
    CHECK(st.radam_adaptive == 0 && st.radam_rect == 0,
          "not adaptive while group 1 is not: adaptive %d, rect %g", st.radam_adaptive,
          st.radam_rect);
    CHECK(fabs(st.group_radam_rho[0] - rho0) < 1e-9 && fabs(st.group_radam_rho[1] - rho1) < 1e-9,
          "per-group rho %.6g %.6g, want %.6g %.6g", st.group_radam_rho[0], st.group_radam_rho[1],
          rho0, rho1);
    CHECK(st.group_radam_adaptive[0] == 1 && st.group_radam_rect[0] > 0 &&
              st.group_radam_rect[0] < 1 && st.group_radam_adaptive[1] == 0 &&
              st.group_radam_rect[1] == 0,
          "per group: adaptive %d %d, rect %g %g", st.group_radam_adaptive[0],
          st.group_radam_adaptive[1], st.group_radam_rect[0], st.group_radam_rect[1]);
    wu_optim_destroy(o);
}

/* GI-Adam's first update in closed form: v_1 = g^2, so with bias correction the update is
 * lr * g / (|g| / sqrt(1 - beta2) + eps) and the diagnostics' v_hat is g^2 / (1 - beta2);
 * without it, lr * (1 - beta1) * g / (|g| + eps) and v itself. */
static void test_gi_first_step(void)
{
    for (int nobc = 0; nobc < 2; nobc++) {
        wu_optim_config c;
        wu_optim_defaults(&c, WU_OPT_ADAM);
        c.lr = 0.1;
        c.v_init = WU_ADAM_INIT_GRAD;
        c.no_bias_correction = nobc;
        wu_optim *o;
        CHECK(wu_optim_create(&o, &c, 2, NULL, 0, NULL, NULL, 0, NULL) == WU_OK, "create");
        float p[2] = {1, -1}, g[2] = {2, -0.5f};
        wu_optim_stats st;
        wu_optim_step(o, p, g, &st);
        double worst = 0;
        for (int i = 0; i < 2; i++) {
            double gi = g[i], a = fabs(gi);
            double want = (i ? -1 : 1) - (nobc ? 0.1 * 0.1 * gi / (a + 1e-8)
                                               : 0.1 * gi / (a / sqrt(1 - 0.999) + 1e-8));
            if (fabs(p[i] - want) > worst) worst = fabs(p[i] - want);
        }
        double vmean = (4 + 0.25) / 2 / (nobc ? 1 : 1 - 0.999);
        CHECK(worst < 1e-6 && fabs(st.v_mean / vmean - 1) < 1e-6,
              "GI-Adam's first step (bias correction %s): |param - closed form| %.3g, v_mean %g "
              "want %g", nobc ? "off" : "on", worst, st.v_mean, vmean);
        wu_optim_destroy(o);
    }
}

static void test_errors(void)
{
    static const struct { int kind; double lr, b1, b2, eps, wd, mom, damp; int nest, ams;
                          const char *msg; } bad[] = {
        {WU_OPT_ADAM, -1e-3, 0.9, 0.999, 1e-8, 0, 0, 0, 0, 0, "invalid learning rate -0.001"},
        {WU_OPT_ADAM, NAN, 0.9, 0.999, 1e-8, 0, 0, 0, 0, 0, "invalid learning rate"},
        {WU_OPT_ADAM, 1e-3, 1.0, 0.999, 1e-8, 0, 0, 0, 0, 0, "invalid beta1 1"},
        {WU_OPT_ADAMW, 1e-3, 0.9, -0.1, 1e-8, 0, 0, 0, 0, 0, "invalid beta2 -0.1"},
        {WU_OPT_RADAM, 1e-3, 0.9, 0.999, 0, 0, 0, 0, 0, 0, "invalid eps 0"},
        {WU_OPT_ADAMW, 1e-3, 0.9, 0.999, 1e-8, -0.01, 0, 0, 0, 0, "invalid weight_decay -0.01"},
        {WU_OPT_SGD, 0.1, 0, 0, 0, 0, 0, 0, 1, 0, "nesterov momentum requires a momentum"},
        {WU_OPT_SGD, 0.1, 0, 0, 0, 0, 0.9, 0.1, 1, 0, "zero dampening"},
        {WU_OPT_SGD, 0.1, 0, 0, 0, 0, -0.5, 0, 0, 0, "invalid momentum -0.5"},
        {WU_OPT_RADAM, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0, 0, 1, "amsgrad is for Adam and AdamW"},
        {9, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0, 0, 0, "unknown kind"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wu_optim_config c = {bad[i].kind, bad[i].lr, bad[i].wd, bad[i].mom, bad[i].damp,
                             bad[i].nest, bad[i].b1, bad[i].b2, bad[i].eps, bad[i].ams,
                             WU_ADAM_INIT_ZERO, 0};
        wu_optim *o = (wu_optim *)1;
        wu_error e;
        int rc = wu_optim_create(&o, &c, 10, NULL, 0, NULL, NULL, 0, &e);
        CHECK(rc == WU_EINVAL && o == NULL && strstr(e.msg, bad[i].msg),
              "case %zu: rc %d, '%s' lacks '%s'", i, rc, e.msg, bad[i].msg);
    }
    /* issue 18's two options: their values, and not for SGD */
    static const struct { int kind, v_init, nobc; const char *msg; } gi_bad[] = {
        {WU_OPT_ADAM, 2, 0, "invalid v_init 2"},
        {WU_OPT_ADAMW, -1, 0, "invalid v_init -1"},
        {WU_OPT_RADAM, WU_ADAM_INIT_GRAD, 2, "invalid no_bias_correction 2 (must be 0 or 1)"},
        {WU_OPT_SGD, WU_ADAM_INIT_GRAD, 0, "v_init (GI-Adam) is for Adam, AdamW and RAdam"},
        {WU_OPT_SGD, 0, 1, "no_bias_correction is for Adam, AdamW and RAdam"},
    };
    for (size_t i = 0; i < sizeof gi_bad / sizeof *gi_bad; i++) {
        wu_optim_config c;
        wu_optim_defaults(&c, gi_bad[i].kind);
        c.v_init = (wu_adam_init)gi_bad[i].v_init;
        c.no_bias_correction = gi_bad[i].nobc;
        wu_optim *o = (wu_optim *)1;
        wu_error e;
        int rc = wu_optim_create(&o, &c, 10, NULL, 0, NULL, NULL, 0, &e);
        CHECK(rc == WU_EINVAL && o == NULL && strstr(e.msg, gi_bad[i].msg),
              "GI case %zu: rc %d, '%s' lacks '%s'", i, rc, e.msg, gi_bad[i].msg);
    }
    wu_optim_config cfg;
    wu_optim_defaults(&cfg, WU_OPT_ADAMW);
    CHECK(cfg.v_init == WU_ADAM_INIT_ZERO && cfg.no_bias_correction == 0,
          "defaults: v_init %d, no_bias_correction %d", (int)cfg.v_init, cfg.no_bias_correction);
    wu_param_view ov[2] = {{"a", 0, 10, 2}, {"b", 5, 10, 1}};
    int vg[2] = {0, 0};
    wu_optim *o;
    wu_error e;
    CHECK(wu_optim_create(&o, &cfg, 20, ov, 2, vg, NULL, 1, &e) == WU_EINVAL &&
              strstr(e.msg, "overlap"), "overlapping views: %s", e.msg);
    wu_param_view out[1] = {{"big", 10, 20, 2}};
    CHECK(wu_optim_create(&o, &cfg, 20, out, 1, vg, NULL, 1, &e) == WU_EINVAL &&
              strstr(e.msg, "outside the parameter buffer"), "view outside: %s", e.msg);
    int vg2[1] = {3};
    wu_param_view one[1] = {{"w", 0, 20, 2}};
    CHECK(wu_optim_create(&o, &cfg, 20, one, 1, vg2, NULL, 2, &e) == WU_EINVAL &&
              strstr(e.msg, "group that does not exist"), "bad group index: %s", e.msg);
    wu_optim_config groups[2] = {cfg, cfg};
    groups[1].beta2 = 1.5;
    int vg3[1] = {0};
    CHECK(wu_optim_create(&o, &cfg, 20, one, 1, vg3, groups, 2, &e) == WU_EINVAL &&
              strstr(e.msg, "group 1: optimizer: invalid beta2 1.5"), "a bad group: %s", e.msg);

    /* the usual decay split */
    wu_param_view v[5] = {{"wte", 0, 10, 2}, {"h.0.ln_1.weight", 10, 4, 1},
                          {"h.0.attn.c_attn.weight", 14, 12, 2}, {"h.0.attn.c_attn.bias", 26, 3, 1},
                          {"ln_f.bias", 29, 4, 2}};
    int g[5];
    CHECK(wu_optim_split_decay(g, v, 5) == 2 && g[0] == 0 && g[1] == 1 && g[2] == 0 &&
              g[3] == 1 && g[4] == 1, "decay groups %d %d %d %d %d", g[0], g[1], g[2], g[3], g[4]);
}

int main(void)
{
    test_fixtures();
    test_resume();
    test_threads();
    test_clip_and_stats();
    test_radam_groups();
    test_gi_first_step();
    test_errors();
    return th_done("test_optim");
}
