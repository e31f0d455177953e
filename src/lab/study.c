/* study.c - the preset grids of the named studies. Sizes are chosen so that the default run of
 * each finishes within 10 minutes on 2 cores, and --quick within a minute (docs/STUDIES.md). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../data/data.h"
#include "../util/fail.h"
#include "study.h"

const char *const wu_study_names[] = {"lr-range", "batch-scaling", "optimizers", "layernorm",
                                      "adam-first-steps", NULL};
const char *const wu_study_about[] = {
    "final loss over LR x warmup length, and LR sensitivity (Wortsman et al. 2023)",
    "k-times larger batches: LR scaling rules, constant and gradual warmup (Goyal et al. 2017)",
    "SGD+momentum, Adam and AdamW, with and without warmup, each at its best LR",
    "Pre-LN against Post-LN over LRs, with and without warmup; gradient norms at init (Xiong et al. 2020)",
    "vanilla Adam, untuned linear/exponential warmup and RAdam over the first steps (Ma & Yarats 2021)",
};

/* The transformer of the studies: the reference GPT, or a small one for --quick. */
static void gpt_base(wu_train_config *c, int quick, uint64_t seed)
{
    wu_train_defaults(c);
    c->seed = seed;
    c->eval_every = 0;
    if (quick) {
        c->layers = 2, c->heads = 2, c->dim = 32, c->seq = 16, c->batch = 8;
        c->steps = 80;
        c->builtin_bytes = 1 << 17;
    } else {
        c->steps = 300;
    }
}

/* Add a run: its config, label and tags; out = dir/<name>. */
static int add(wu_study *s, const wu_train_config *c, const char *name, const char *label,
               int group, int warm, double x, wu_error *err)
{
    if (s->n == WU_STUDY_MAX) return wu_fail(err, WU_ERANGE, "a study holds at most %d runs", WU_STUDY_MAX);
    wu_lab_run *r = &s->runs[s->n];
    r->c = *c;
    if (snprintf(r->c.out, sizeof r->c.out, "%s/%s", s->dir, name) >= (int)sizeof r->c.out)
        return wu_fail(err, WU_EINVAL, "--out %s is too long", s->dir);
    wu_study_arm *a = &s->arm[s->n++];
    snprintf(a->label, sizeof a->label, "%s", label);
    a->group = group, a->warm = warm, a->x = x;
    return WU_OK;
}

static int plan_lr_range(wu_study *s, int quick, uint64_t seed, wu_error *err)
{
    wu_sweep *w = &s->sweep;
    gpt_base(&w->base, quick, seed);
    snprintf(w->base.schedule, sizeof w->base.schedule, "cosine(to=0.1)");
    snprintf(w->dir, sizeof w->dir, "%s", s->dir);
    static const double full[] = {1e-4, 3e-4, 1e-3, 3e-3, 1e-2}, small[] = {1e-3, 1e-2, 1e-1};
    const double *l = quick ? small : full;
    w->nlr = quick ? 3 : 5;
    for (int i = 0; i < w->nlr; i++) w->lrs[i] = l[i];
    w->seeds = 1;
    int rc = wu_sweep_set_warmups(w, quick ? "0,25%" : "0,2%,10%,25%", err);
    wu_lab_run *runs;
    int n;
    if (rc == WU_OK) rc = wu_sweep_runs(w, &runs, &n, err);
    if (rc != WU_OK) return rc;
    if (n > WU_STUDY_MAX) {
        free(runs);
        return wu_fail(err, WU_ERANGE, "the lr-range grid is too large");
    }
    memcpy(s->runs, runs, sizeof *runs * (size_t)n);
    s->n = n;
    free(runs);
    for (int i = 0; i < n; i++) {
        int wi = i / w->nlr; /* one seed: run i = w * nlr + l */
        snprintf(s->arm[i].label, sizeof s->arm[i].label, "LR %g, warmup %s", w->lrs[i % w->nlr],
                 w->warmups[wi]);
        s->arm[i].group = wi, s->arm[i].warm = wi > 0, s->arm[i].x = w->lrs[i % w->nlr];
    }
    return WU_OK;
}

/* Goyal et al. 2017: a small-batch baseline; k-times the batch with the LR unscaled, scaled by
 * sqrt(k), and scaled by k without warmup, with a constant warmup (the base LR for the first
 * quarter, then k times it) and with a gradual warmup from the base LR to k times it. The same
 * number of epochs for every arm, so the large batches make k-times fewer updates. */
static int plan_batch(wu_study *s, int quick, uint64_t seed, const char *data, wu_error *err)
{
    wu_images tr, te;
    memset(&tr, 0, sizeof tr), memset(&te, 0, sizeof te);
    if (data && strlen(data) >= sizeof s->data)
        return wu_fail(err, WU_EINVAL, "--data: the path is too long (at most %zu characters)",
                       sizeof s->data - 1);
    const char *dir = !data || !*data || !strcmp(data, "fashion-mnist") ? WU_FASHION_DIR : data;
    if (wu_fashion_load(&tr, &te, dir, err) != WU_OK) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return wu_fail(err, WU_EINVAL, "batch-scaling trains an MLP on Fashion-MNIST: %s (install "
                       "Debian's dataset-fashion-mnist, or pass --data DIR of its IDX files)", msg);
    }
    int ntrain = tr.n;
    wu_images_free(&tr), wu_images_free(&te);
    snprintf(s->data, sizeof s->data, "%s", data && *data ? data : "fashion-mnist");
    const int b = 32, k = quick ? 4 : 8;
    const double eta = 0.05, epochs = quick ? 0.4 : 5.0;
    s->k = k;
    wu_train_config c;
    wu_train_defaults(&c);
    snprintf(c.model, sizeof c.model, "mlp");
    snprintf(c.data, sizeof c.data, "%s", s->data);
    snprintf(c.optimizer, sizeof c.optimizer, "sgd");
    c.momentum = 0.9, c.weight_decay = 0, c.seed = seed;
    c.eval_every = 0;
    c.depth = 2, c.width = quick ? 64 : 256;
    typedef struct { const char *name, *label; int batch; double lr; const char *spec; int warm; } batch_arm;
    batch_arm arm[6];
    char sp[3][96];
    snprintf(sp[0], sizeof sp[0], "cosine(to=0.1)");
    snprintf(sp[1], sizeof sp[1], "warmup(25%%, const, from=%.6g) > cosine(to=0.1)", 1.0 / k);
    snprintf(sp[2], sizeof sp[2], "warmup(25%%, from=%.6g) > cosine(to=0.1)", 1.0 / k);
    char lab[6][64];
    snprintf(lab[0], 64, "batch %d, LR %g (baseline)", b, eta);
    snprintf(lab[1], 64, "batch %d, LR %g (no scaling)", k * b, eta);
    snprintf(lab[2], 64, "batch %d, LR %.3g (sqrt scaling)", k * b, eta * sqrt(k));
    snprintf(lab[3], 64, "batch %d, LR %.3g, no warmup", k * b, eta * k);
    snprintf(lab[4], 64, "batch %d, LR %.3g, constant warmup", k * b, eta * k);
    snprintf(lab[5], 64, "batch %d, LR %.3g, gradual warmup", k * b, eta * k);
    arm[0] = (batch_arm){"small", lab[0], b, eta, sp[0], 0};
    arm[1] = (batch_arm){"large-unscaled", lab[1], k * b, eta, sp[0], 0};
    arm[2] = (batch_arm){"large-sqrt", lab[2], k * b, eta * sqrt(k), sp[0], 0};
    arm[3] = (batch_arm){"large-linear", lab[3], k * b, eta * k, sp[0], 0};
    arm[4] = (batch_arm){"large-constant-warmup", lab[4], k * b, eta * k, sp[1], 1};
    arm[5] = (batch_arm){"large-gradual-warmup", lab[5], k * b, eta * k, sp[2], 1};
    for (int i = 0; i < 6; i++) {
        c.batch = arm[i].batch;
        c.lr = arm[i].lr;
        s->steps_per_epoch[i] = ntrain / c.batch;
        c.steps = (int64_t)(epochs * (double)s->steps_per_epoch[i] + 0.5);
        snprintf(c.schedule, sizeof c.schedule, "%s", arm[i].spec);
        int rc = add(s, &c, arm[i].name, arm[i].label, i, arm[i].warm, arm[i].lr, err);
        if (rc != WU_OK) return rc;
    }
    return WU_OK;
}

/* Each optimizer over three LRs around its usual good value, with and without a 25% warmup;
 * the report compares each at its own best LR. */
static int plan_optimizers(wu_study *s, int quick, uint64_t seed, wu_error *err)
{
    static const char *const opt[3] = {"sgd", "adam", "adamw"};
    static const double lrs[3][3] = {{0.01, 0.03, 0.1}, {3e-4, 1e-3, 3e-3}, {3e-4, 1e-3, 3e-3}};
    wu_train_config c;
    gpt_base(&c, quick, seed);
    int nl = quick ? 2 : 3;
    for (int o = 0; o < 3; o++)
        for (int w = 0; w < 2; w++)
            for (int l = 3 - nl; l < 3; l++) {
                snprintf(c.optimizer, sizeof c.optimizer, "%s", opt[o]);
                c.momentum = o == 0 ? 0.9 : 0;
                c.weight_decay = o == 2 ? 0.01 : 0;
                c.lr = lrs[o][l];
                snprintf(c.schedule, sizeof c.schedule, "%s", w ? "warmup(25%) > cosine(to=0.1)"
                                                                : "cosine(to=0.1)");
                char name[64], label[64];
                snprintf(name, sizeof name, "%s-lr%g-%s", opt[o], c.lr, w ? "warmup" : "nowarmup");
                snprintf(label, sizeof label, "%s, LR %g, %s", o == 0 ? "SGD+momentum" : o == 1 ? "Adam" : "AdamW",
                         c.lr, w ? "warmup 25%" : "no warmup");
                int rc = add(s, &c, name, label, o, w, c.lr, err);
                if (rc != WU_OK) return rc;
            }
    return WU_OK;
}

/* Pre-LN and Post-LN, with and without a 25% warmup, at three LRs (Post-LN needs small ones at
 * this size: docs/STUDIES.md). */
static int plan_layernorm(wu_study *s, int quick, uint64_t seed, wu_error *err)
{
    static const double full[3] = {1e-4, 3e-4, 1e-3}, small[2] = {1e-3, 1e-2};
    wu_train_config c;
    gpt_base(&c, quick, seed);
    int nl = quick ? 2 : 3;
    for (int post = 0; post < 2; post++)
        for (int w = 0; w < 2; w++)
            for (int l = 0; l < nl; l++) {
                c.post_ln = post;
                c.lr = quick ? small[l] : full[l];
                snprintf(c.schedule, sizeof c.schedule, "%s", w ? "warmup(25%) > cosine(to=0.1)"
                                                                : "cosine(to=0.1)");
                char name[64], label[64];
                snprintf(name, sizeof name, "%s-lr%g-%s", post ? "postln" : "preln", c.lr,
                         w ? "warmup" : "nowarmup");
                snprintf(label, sizeof label, "%s, LR %g, %s", post ? "Post-LN" : "Pre-LN", c.lr,
                         w ? "warmup 25%" : "no warmup");
                int rc = add(s, &c, name, label, post, w, c.lr, err);
                if (rc != WU_OK) return rc;
            }
    return WU_OK;
}

/* Adam with beta2 = 0.99 (so that the untuned warmup, 2/(1-beta2) = 200 steps, fits the run)
 * at a high LR: without warmup, with the untuned linear and exponential warmups, and RAdam. */
static int plan_adam(wu_study *s, int quick, uint64_t seed, wu_error *err)
{
    wu_train_config c;
    gpt_base(&c, quick, seed);
    s->beta2 = quick ? 0.9 : 0.99;
    c.steps = quick ? 80 : 500;
    c.lr = quick ? 1e-2 : 3e-3;
    c.beta2 = s->beta2;
    c.weight_decay = 0;
    snprintf(c.optimizer, sizeof c.optimizer, "adam");
    struct { const char *name, *label, *opt, *spec; int warm; } arm[4] = {
        {"adam", "Adam, no warmup", "adam", "cosine(to=0.1)", 0},
        {"untuned-linear", "Adam, untuned linear warmup", "adam", "untuned(beta2=%g) * cosine(to=0.1)", 1},
        {"untuned-exp", "Adam, untuned exponential warmup", "adam",
         "untuned(beta2=%g, shape=exp) * cosine(to=0.1)", 1},
        {"radam", "RAdam, no warmup", "radam", "cosine(to=0.1)", 0},
    };
    for (int i = 0; i < 4; i++) {
        snprintf(c.optimizer, sizeof c.optimizer, "%s", arm[i].opt);
        snprintf(c.schedule, sizeof c.schedule, arm[i].spec, s->beta2);
        int rc = add(s, &c, arm[i].name, arm[i].label, i, arm[i].warm, c.lr, err);
        if (rc != WU_OK) return rc;
    }
    return WU_OK;
}

int wu_study_plan(wu_study *s, const char *name, int quick, const char *dir, uint64_t seed,
                  const char *data, wu_error *err)
{
    snprintf(s->name, sizeof s->name, "%s", name);
    s->quick = quick;
    if (snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int)sizeof s->dir)
        return wu_fail(err, WU_EINVAL, "--out %s is too long", dir);
    int rc;
    if (!strcmp(name, "lr-range")) rc = plan_lr_range(s, quick, seed, err);
    else if (!strcmp(name, "batch-scaling")) rc = plan_batch(s, quick, seed, data, err);
    else if (!strcmp(name, "optimizers")) rc = plan_optimizers(s, quick, seed, err);
    else if (!strcmp(name, "layernorm")) rc = plan_layernorm(s, quick, seed, err);
    else if (!strcmp(name, "adam-first-steps")) rc = plan_adam(s, quick, seed, err);
    else
        return wu_fail(err, WU_EINVAL, "unknown study '%s': use lr-range, batch-scaling, "
                       "optimizers, layernorm or adam-first-steps", name);
    for (int i = 0; rc == WU_OK && i < s->n; i++) {
        if ((rc = wu_train_check(&s->runs[i].c, err)) != WU_OK) break;
        wu_schedule *sch;
        wu_sched_opts so = {.lr = s->runs[i].c.lr, .total_steps = s->runs[i].c.steps};
        if ((rc = wu_sched_parse(&sch, s->runs[i].c.schedule, &so, err)) == WU_OK)
            wu_sched_destroy(sch);
    }
    return rc;
}

int wu_study_manifest_read(const char *dir, wu_study_manifest *m, wu_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/study.json", dir);
    cJSON *j = wu_json_read(path, err);
    if (!j) return err->code;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *quick = cJSON_GetObjectItemCaseSensitive(j, "quick");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "command");
    int ok = cJSON_IsString(name) && strlen(name->valuestring) < sizeof m->name &&
             cJSON_IsBool(quick) && cJSON_IsNumber(seed) && seed->valuedouble >= 0 &&
             seed->valuedouble <= 9e15 && cJSON_IsString(data) &&
             strlen(data->valuestring) < sizeof m->data && cJSON_IsString(cmd);
    if (ok) {
        snprintf(m->name, sizeof m->name, "%s", name->valuestring);
        snprintf(m->data, sizeof m->data, "%s", data->valuestring);
        snprintf(m->command, sizeof m->command, "%s", cmd->valuestring);
        m->quick = cJSON_IsTrue(quick);
        m->seed = (uint64_t)seed->valuedouble;
    }
    cJSON_Delete(j);
    if (!ok) return wu_fail(err, WU_EINVAL, "%s is not a study manifest written by warmup study", path);
    return WU_OK;
}
