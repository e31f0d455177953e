/* study.c - the plans of the named studies and of the demo, written to and read back from
 * study.json. Sizes are chosen so that the default run of each study finishes within 10 minutes
 * on 2 cores, and --quick within a minute (docs/STUDIES.md). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../data/data.h"
#include "../util/fail.h"
#include "../util/outfile.h"
#include "../train/config.h"
#include "../train/tune.h"
#include "study.h"

/* ---- the plan as data ----------------------------------------------------------------------- */

int wu_study_init(wu_study *s, const char *name, int quick, const char *dir, uint64_t seed,
                  const char *data, wu_error *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->quick = quick;
    s->seed = seed;
    if (snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int)sizeof s->dir)
        return wu_fail(err, WU_EINVAL, "the output directory %s is too long", dir);
    if (data && snprintf(s->data, sizeof s->data, "%s", data) >= (int)sizeof s->data)
        return wu_fail(err, WU_EINVAL, "the data path is too long (at most %zu characters)",
                       sizeof s->data - 1);
    return WU_OK;
}

int wu_study_add(wu_study *s, const wu_train_config *c, const char *name, const char *label,
                 int group, int warm, double x, wu_error *err)
{
    if (s->n == WU_STUDY_MAX) return wu_fail(err, WU_ERANGE, "a study holds at most %d runs", WU_STUDY_MAX);
    wu_lab_run *r = &s->runs[s->n];
    memset(r, 0, sizeof *r);
    r->c = *c;
    if (snprintf(r->c.out, sizeof r->c.out, "%s/%s", s->dir, name) >= (int)sizeof r->c.out)
        return wu_fail(err, WU_EINVAL, "the output directory %s is too long", s->dir);
    wu_study_arm *a = &s->arm[s->n++];
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->label, sizeof a->label, "%s", label);
    a->group = group, a->warm = warm, a->x = x;
    return WU_OK;
}

int wu_study_group(wu_study *s, const char *name)
{
    for (int g = 0; g < s->ngroups; g++)
        if (!strcmp(s->group[g], name)) return g;
    if (s->ngroups == WU_STUDY_GROUPS) return -1;
    snprintf(s->group[s->ngroups], sizeof s->group[0], "%s", name);
    return s->ngroups++;
}

static wu_study_const *find_const(const wu_study *s, const char *name)
{
    for (int i = 0; i < s->nconst; i++)
        if (!strcmp(s->cst[i].name, name)) return (wu_study_const *)&s->cst[i];
    return NULL;
}

void wu_study_set(wu_study *s, const char *name, double v, const char *text)
{
    wu_study_const *k = find_const(s, name);
    if (!k) {
        if (s->nconst == WU_STUDY_CONSTS) return;
        k = &s->cst[s->nconst++];
    }
    snprintf(k->name, sizeof k->name, "%s", name);
    k->v = text ? NAN : v;
    snprintf(k->text, sizeof k->text, "%s", text ? text : "");
}

double wu_study_num(const wu_study *s, const char *name)
{
    const wu_study_const *k = find_const(s, name);
    return k && !k->text[0] ? k->v : NAN;
}

const char *wu_study_text(const wu_study *s, const char *name)
{
    const wu_study_const *k = find_const(s, name);
    return k ? k->text : "";
}

const wu_study_vec *wu_study_measured(const wu_study *s, const char *name, int g)
{
    for (int i = 0; i < s->nvec; i++)
        if (s->vec[i].group == g && !strcmp(s->vec[i].name, name)) return &s->vec[i];
    return NULL;
}

int wu_study_arm_index(const wu_study *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->arm[i].name, name)) return i;
    return -1;
}

int wu_study_spread(wu_study *s, int ranks, wu_error *err)
{
    int small = 0, n = 0;
    for (int i = 0; i < s->n; i++) {
        /* the warmup probe runs in one process (the engine refuses warmup(auto) on several
           ranks), so a plan with such runs does not spread, whatever its batch sizes */
        if (wu_tune_needed(&s->runs[i].c)) {
            wu_fail(err, WU_EINVAL, "study %s has runs that choose their warmup with the probe "
                    "(run %s: warmup(auto)), which runs in one process; only batch-scaling runs "
                    "on several ranks: run it in one process", s->name, s->arm[i].name);
            return -1;
        }
        if (!small || s->runs[i].c.batch < small) small = s->runs[i].c.batch;
    }
    for (int i = 0; i < s->n; i++) {
        int b = s->runs[i].c.batch;
        if (b == small) continue;
        if (wu_lab_ranks_fit(b, ranks, err)) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            wu_fail(err, WU_EINVAL, "run %s: %s", s->arm[i].name, msg);
            return -1;
        }
        s->runs[i].ranks = ranks > 1 ? ranks : 0;
        n++;
    }
    return n;
}

/* Every configuration and schedule of a plan checks. */
static int check_runs(const wu_study *s, wu_error *err)
{
    int rc = WU_OK;
    for (int i = 0; rc == WU_OK && i < s->n; i++) {
        if ((rc = wu_train_check(&s->runs[i].c, err)) != WU_OK) break;
        wu_schedule *sch;
        wu_sched_opts so = {.lr = s->runs[i].c.lr, .total_steps = s->runs[i].c.steps};
        if ((rc = wu_sched_parse(&sch, s->runs[i].c.schedule, &so, err)) == WU_OK)
            wu_sched_destroy(sch);
    }
    return rc;
}

/* ---- the studies ---------------------------------------------------------------------------- */

int wu_study_fixed_data(const wu_study *s, const char *what, wu_error *err)
{
    if (!*s->data) return WU_OK;
    return wu_fail(err, WU_EINVAL, "data: the data of study %s are fixed (%s), so that its "
                   "numbers compare across machines; give it no data (only batch-scaling takes them)",
                   s->name, what);
}

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

void wu_study_gpt(wu_train_config *c, int quick, uint64_t seed) { gpt_base(c, quick, seed); }

int wu_study_check(const wu_study *s, wu_error *err) { return check_runs(s, err); }

/* The warmup and the decay the studies share, written down as constants of the plan. */
#define WARM_PCT 25
#define DECAY "cosine(to=0.1)"
static void shared_constants(wu_study *s)
{
    wu_study_set(s, "warmup_frac", WARM_PCT / 100.0, NULL);
    wu_study_set(s, "decay_to", 0.1, NULL);
    wu_study_set(s, "decay", 0, DECAY);
}

/* The grid at and above the best LR, where warmup acts (Wortsman et al.'s sensitivity over the
 * whole grid is dominated by the undertrained low LRs: docs/STUDIES.md), no warmup against a
 * 25% warmup, over three seeds so that the difference can be weighed against the seeds' spread;
 * one LR below the best keeps the best inside the grid. */
int wu_plan_lr_range(wu_study *s, wu_error *err)
{
    if (wu_study_fixed_data(s, "the built-in language", err) != WU_OK) return err->code;
    wu_sweep *w = calloc(1, sizeof *w);
    if (!w) return wu_fail(err, WU_ENOMEM, "out of memory");
    gpt_base(&w->base, s->quick, s->seed);
    snprintf(w->base.schedule, sizeof w->base.schedule, DECAY);
    snprintf(w->dir, sizeof w->dir, "%s", s->dir);
    static const double full[] = {3e-4, 1e-3, 3e-3, 1e-2}, small[] = {1e-3, 1e-2, 1e-1};
    const double *l = s->quick ? small : full;
    w->nlr = s->quick ? 3 : 4;
    for (int i = 0; i < w->nlr; i++) w->lrs[i] = l[i];
    w->seeds = s->quick ? 2 : 3;
    wu_study_set(s, "seeds", w->seeds, NULL);
    int rc = wu_sweep_set_warmups(w, "0,25%", err);
    wu_lab_run *runs = NULL;
    int n = 0;
    if (rc == WU_OK) rc = wu_sweep_runs(w, &runs, &n, err);
    if (rc == WU_OK && n > WU_STUDY_MAX) rc = wu_fail(err, WU_ERANGE, "the lr-range grid is too large");
    wu_study_set(s, "decay", 0, w->base.schedule);
    for (int i = 0; rc == WU_OK && i < n; i++) {
        int cell = i / w->seeds, wi = cell / w->nlr; /* run i = (w * nlr + l) * seeds + k */
        double lr = w->lrs[cell % w->nlr];
        const char *d = strrchr(runs[i].c.out, '/');
        char label[64];
        snprintf(label, sizeof label, "LR %g, warmup %s, seed %llu", lr, w->warmups[wi],
                 (unsigned long long)runs[i].c.seed);
        int g = wu_study_group(s, w->warmups[wi]);
        rc = wu_study_add(s, &runs[i].c, d ? d + 1 : runs[i].c.out, label, g, wi > 0, lr, err);
    }
    free(runs);
    free(w);
    return rc == WU_OK ? check_runs(s, err) : rc;
}

/* Goyal et al. 2017: a small-batch baseline; k-times the batch with the LR unscaled, scaled by
 * sqrt(k), and scaled by k without warmup, with a constant warmup (the base LR for the first
 * quarter, then k times it) and with a gradual warmup from the base LR to k times it. The same
 * number of epochs for every arm, so the large batches make k-times fewer updates. */
int wu_plan_batch_scaling(wu_study *s, wu_error *err)
{
    wu_images tr, te;
    memset(&tr, 0, sizeof tr), memset(&te, 0, sizeof te);
    const char *data = s->data;
    const char *dir = !*data || !strcmp(data, "fashion-mnist") ? WU_FASHION_DIR : data;
    if (wu_fashion_load(&tr, &te, dir, err) != WU_OK) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return wu_fail(err, WU_EINVAL, "batch-scaling trains an MLP on Fashion-MNIST (data): %s", msg);
    }
    int ntrain = tr.n;
    wu_images_free(&tr), wu_images_free(&te);
    if (!*s->data) snprintf(s->data, sizeof s->data, "fashion-mnist");
    const int b = 32, k = s->quick ? 4 : 8;
    const double eta = 0.05, epochs = s->quick ? 0.4 : 5.0;
    shared_constants(s);
    wu_study_set(s, "k", k, NULL);
    wu_study_set(s, "train_images", ntrain, NULL);
    wu_study_set(s, "epochs", epochs, NULL);
    wu_train_config c;
    wu_train_defaults(&c);
    snprintf(c.model, sizeof c.model, "mlp");
    snprintf(c.data, sizeof c.data, "%s", s->data);
    snprintf(c.optimizer, sizeof c.optimizer, "sgd");
    c.momentum = 0.9, c.weight_decay = 0, c.seed = s->seed;
    c.eval_every = 0;
    c.depth = 2, c.width = s->quick ? 64 : 256;
    typedef struct { const char *name, *label; int batch; double lr; const char *spec; int warm; } batch_arm;
    batch_arm arm[6];
    char sp[3][96];
    snprintf(sp[0], sizeof sp[0], DECAY);
    snprintf(sp[1], sizeof sp[1], "warmup(%d%%, const, from=%.6g) > " DECAY, WARM_PCT, 1.0 / k);
    snprintf(sp[2], sizeof sp[2], "warmup(%d%%, from=%.6g) > " DECAY, WARM_PCT, 1.0 / k);
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
        c.steps = (int64_t)(epochs * (double)(ntrain / c.batch) + 0.5);
        snprintf(c.schedule, sizeof c.schedule, "%s", arm[i].spec);
        int g = wu_study_group(s, arm[i].name);
        int rc = wu_study_add(s, &c, arm[i].name, arm[i].label, g, arm[i].warm, arm[i].lr, err);
        if (rc != WU_OK) return rc;
    }
    return check_runs(s, err);
}

/* Each optimizer over three LRs around its usual good value, with and without a 25% warmup;
 * the report compares each at its own best LR. */
int wu_plan_optimizers(wu_study *s, wu_error *err)
{
    static const char *const opt[3] = {"sgd", "adam", "adamw"};
    static const char *const name[3] = {"SGD+momentum", "Adam", "AdamW"};
    static const double lrs[3][3] = {{0.01, 0.03, 0.1}, {3e-4, 1e-3, 3e-3}, {3e-4, 1e-3, 3e-3}};
    if (wu_study_fixed_data(s, "the built-in language", err) != WU_OK) return err->code;
    wu_train_config c;
    gpt_base(&c, s->quick, s->seed);
    shared_constants(s);
    int nl = s->quick ? 2 : 3;
    for (int o = 0; o < 3; o++) {
        int g = wu_study_group(s, name[o]);
        for (int w = 0; w < 2; w++)
            for (int l = 3 - nl; l < 3; l++) {
                snprintf(c.optimizer, sizeof c.optimizer, "%s", opt[o]);
                c.momentum = o == 0 ? 0.9 : 0;
                c.weight_decay = o == 2 ? 0.01 : 0;
                c.lr = lrs[o][l];
                snprintf(c.schedule, sizeof c.schedule, "%s", w ? "warmup(25%) > " DECAY : DECAY);
                char dir[64], label[64];
                snprintf(dir, sizeof dir, "%s-lr%g-%s", opt[o], c.lr, w ? "warmup" : "nowarmup");
                snprintf(label, sizeof label, "%s, LR %g, %s", name[o], c.lr,
                         w ? "warmup 25%" : "no warmup");
                int rc = wu_study_add(s, &c, dir, label, g, w, c.lr, err);
                if (rc != WU_OK) return rc;
            }
    }
    return check_runs(s, err);
}

/* Pre-LN and Post-LN, with and without a 25% warmup, at three LRs, in Xiong et al. 2020's
 * setting: 6 blocks, Glorot-uniform weights (GPT-2's init scales the residual branches down
 * by 1/sqrt(2L), which hides Post-LN's problem) and a unit-scale residual stream (embed_scale
 * 35: GPT-2's 0.02-std embeddings made the first LayerNorm's Jacobian, not the depth, dominate
 * the gradients), AdamW with beta2 0.999: the setting where, at this size, warmup helps Post-LN
 * and not Pre-LN at the same LR (docs/STUDIES.md has the measurements). The gradient norms at
 * initialisation are measured at the study's depth and at the depths below, to show how the
 * last/first-layer ratio moves with depth. */
static const int ln_depths_full[] = {2, 4, 6, 8}, ln_depths_quick[] = {2, 3};

int wu_plan_layernorm(wu_study *s, wu_error *err)
{
    static const double full[3] = {3e-4, 1e-3, 3e-3}, small[2] = {1e-3, 1e-2};
    if (wu_study_fixed_data(s, "the built-in language", err) != WU_OK) return err->code;
    wu_train_config c;
    gpt_base(&c, s->quick, s->seed);
    shared_constants(s);
    wu_study_set(s, "init_batches", 8, NULL);
    if (!s->quick) c.layers = 6;
    snprintf(c.init, sizeof c.init, "xavier");
    c.embed_scale = 35;
    int nl = s->quick ? 2 : 3;
    for (int post = 0; post < 2; post++) {
        int g = wu_study_group(s, post ? "Post-LN" : "Pre-LN");
        for (int w = 0; w < 2; w++)
            for (int l = 0; l < nl; l++) {
                c.post_ln = post;
                c.lr = s->quick ? small[l] : full[l];
                snprintf(c.schedule, sizeof c.schedule, "%s", w ? "warmup(25%) > " DECAY : DECAY);
                char dir[64], label[64];
                snprintf(dir, sizeof dir, "%s-lr%g-%s", post ? "postln" : "preln", c.lr,
                         w ? "warmup" : "nowarmup");
                snprintf(label, sizeof label, "%s, LR %g, %s", post ? "Post-LN" : "Pre-LN", c.lr,
                         w ? "warmup 25%" : "no warmup");
                int rc = wu_study_add(s, &c, dir, label, g, w, c.lr, err);
                if (rc != WU_OK) return rc;
            }
    }
    return check_runs(s, err);
}

/* The gradient norms at initialisation of run i's configuration at `layers` blocks, as the
 * vector `name` of group g. */
static int measure_grad_norms(wu_study *s, int i, int layers, int g, const char *name, int batches,
                              wu_error *err)
{
    if (s->nvec == WU_STUDY_VECS) return wu_fail(err, WU_ERANGE, "a study holds at most %d "
                                                 "measurements", WU_STUDY_VECS);
    wu_study_vec *v = &s->vec[s->nvec];
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    v->group = g;
    wu_train_config c = s->runs[i].c;
    c.layers = layers;
    int rc = wu_train_init_grad_norms(&c, batches, v->v, 64, &v->n, err);
    if (rc == WU_OK) s->nvec++;
    return rc;
}

int wu_measure_init_grad_norms(wu_study *s, wu_error *err)
{
    double nb = wu_study_num(s, "init_batches");
    int batches = isfinite(nb) && nb >= 1 ? (int)nb : 8;
    const int *depth = s->quick ? ln_depths_quick : ln_depths_full;
    int nd = s->quick ? 2 : 4;
    s->nvec = 0;
    for (int g = 0; g < s->ngroups; g++) {
        int i = 0;
        while (i < s->n && s->arm[i].group != g) i++;
        if (i == s->n) continue;
        int rc = measure_grad_norms(s, i, s->runs[i].c.layers, g, "grad_norm_init", batches, err);
        for (int d = 0; rc == WU_OK && d < nd; d++) {
            char name[32];
            snprintf(name, sizeof name, "grad_norm_init_L%d", depth[d]);
            rc = measure_grad_norms(s, i, depth[d], g, name, batches, err);
        }
        if (rc != WU_OK) return rc;
    }
    return WU_OK;
}

/* Adam with beta2 = 0.99 (so that the untuned warmup, 2/(1-beta2) = 200 steps, fits the run)
 * at a high LR: without warmup, with the untuned linear and exponential warmups, and RAdam. */
int wu_plan_adam_first_steps(wu_study *s, wu_error *err)
{
    if (wu_study_fixed_data(s, "the built-in language", err) != WU_OK) return err->code;
    wu_train_config c;
    gpt_base(&c, s->quick, s->seed);
    double beta2 = s->quick ? 0.9 : 0.99;
    shared_constants(s);
    wu_study_set(s, "beta2", beta2, NULL);
    c.steps = s->quick ? 80 : 500;
    c.lr = s->quick ? 1e-2 : 3e-3;
    c.beta2 = beta2;
    c.weight_decay = 0;
    struct { const char *name, *label, *opt, *spec; int warm; } arm[4] = {
        {"adam", "Adam, no warmup", "adam", DECAY, 0},
        {"untuned-linear", "Adam, untuned linear warmup", "adam", "untuned(beta2=%g) * " DECAY, 1},
        {"untuned-exp", "Adam, untuned exponential warmup", "adam",
         "untuned(beta2=%g, shape=exp) * " DECAY, 1},
        {"radam", "RAdam, no warmup", "radam", DECAY, 0},
    };
    for (int i = 0; i < 4; i++) {
        snprintf(c.optimizer, sizeof c.optimizer, "%s", arm[i].opt);
        snprintf(c.schedule, sizeof c.schedule, arm[i].spec, beta2);
        int g = wu_study_group(s, arm[i].name);
        int rc = wu_study_add(s, &c, arm[i].name, arm[i].label, g, arm[i].warm, c.lr, err);
        if (rc != WU_OK) return rc;
    }
    return check_runs(s, err);
}

int wu_plan_demo(wu_study *s, const wu_train_config *base, const char *warm, wu_error *err)
{
    static const char *const name[3] = {"none", "linear", "exp"};
    static const char *const label[3] = {"no warmup", "linear warmup", "exponential warmup"};
    wu_study_set(s, "warmup", 0, warm);
    wu_study_set(s, "decay", 0, DECAY);
    for (int i = 0; i < 3; i++) {
        wu_train_config c = *base;
        int n = i == 0 ? snprintf(c.schedule, sizeof c.schedule, DECAY)
              : snprintf(c.schedule, sizeof c.schedule, "warmup(%s%s) > " DECAY, warm,
                         i == 2 ? ", exp" : "");
        if (n >= (int)sizeof c.schedule) return wu_fail(err, WU_EINVAL, "the warmup length is too long");
        c.eval_every = (int)(c.steps / 8 > 0 ? c.steps / 8 : 1);
        int rc = wu_study_add(s, &c, name[i], label[i], wu_study_group(s, label[i]), i > 0, c.lr, err);
        if (rc != WU_OK) return rc;
    }
    return WU_OK;
}

/* ---- study.json ----------------------------------------------------------------------------- */

int wu_study_write(const wu_study *s, const char *command, wu_error *err)
{
    char path[700];
    wu_outfile o;
    snprintf(path, sizeof path, "%s/study.json", s->dir);
    if (wu_outfile_open(&o, path, err)) return err->code;
    fputs("{\"kind\": \"study\", \"name\": ", o.f);
    wu_json_string(o.f, s->name);
    fprintf(o.f, ", \"quick\": %s, \"seed\": %llu, \"data\": ", s->quick ? "true" : "false",
            (unsigned long long)s->seed);
    wu_json_string(o.f, s->data);
    fputs(",\n \"command\": ", o.f);
    wu_json_string(o.f, command);
    fputs(",\n \"groups\": [", o.f);
    for (int g = 0; g < s->ngroups; g++) {
        fputs(g ? ", " : "", o.f);
        wu_json_string(o.f, s->group[g]);
    }
    fputs("],\n \"constants\": {", o.f);
    for (int i = 0; i < s->nconst; i++) {
        fputs(i ? ", " : "", o.f);
        wu_json_string(o.f, s->cst[i].name);
        fputs(": ", o.f);
        if (s->cst[i].text[0]) wu_json_string(o.f, s->cst[i].text);
        else fprintf(o.f, "%.17g", s->cst[i].v);
    }
    fputs("},\n \"measured\": [", o.f);
    for (int i = 0; i < s->nvec; i++) {
        fputs(i ? ",\n  " : "\n  ", o.f);
        fputs("{\"name\": ", o.f);
        wu_json_string(o.f, s->vec[i].name);
        fprintf(o.f, ", \"group\": %d, \"values\": [", s->vec[i].group);
        for (int k = 0; k < s->vec[i].n; k++) fprintf(o.f, "%s%.17g", k ? ", " : "", s->vec[i].v[k]);
        fputs("]}", o.f);
    }
    fputs("],\n \"runs\": [", o.f);
    for (int i = 0; i < s->n; i++) {
        const wu_study_arm *a = &s->arm[i];
        fputs(i ? ",\n  " : "\n  ", o.f);
        fputs("{\"dir\": ", o.f);
        wu_json_string(o.f, a->name);
        fputs(", \"label\": ", o.f);
        wu_json_string(o.f, a->label);
        fprintf(o.f, ", \"group\": %d, \"warm\": %d, \"x\": %.17g, \"ranks\": %d,\n   \"config\": ",
                a->group, a->warm, a->x, s->runs[i].ranks > 1 ? s->runs[i].ranks : 1);
        wu_train_config_json(o.f, &s->runs[i].c);
        fputs("}", o.f);
    }
    fputs("]}\n", o.f);
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}

static const cJSON *item(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static int get_str(const cJSON *o, const char *k, char *out, size_t n)
{
    const cJSON *v = item(o, k);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= n) return 0;
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 1;
}

/* A run's configuration, read through the field table (src/train/config.c): the same reader as
 * summary.json's, so a field added there is read here too. 1: read; 0: no config object; -1: a
 * bad field (the message, naming the run and the field, in err). */
static int read_config(const cJSON *j, const char *run, wu_train_config *c, wu_error *err)
{
    if (!cJSON_IsObject(j)) return 0;
    if (wu_train_config_from_json(j, c, err) != WU_OK) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        wu_fail(err, WU_EINVAL, "run '%s': %s", run, msg);
        return -1;
    }
    return c->batch >= 1;
}

/* The header every plan has: name, size, seed, data, command. */
static int read_head(const cJSON *j, char *name, size_t nname, int *quick, uint64_t *seed,
                     char *data, size_t ndata, char *command, size_t ncommand)
{
    const cJSON *q = item(j, "quick"), *sd = item(j, "seed"), *cmd = item(j, "command");
    if (!get_str(j, "name", name, nname) || !cJSON_IsBool(q) || !cJSON_IsNumber(sd) ||
        sd->valuedouble < 0 || sd->valuedouble > 9e15 || !get_str(j, "data", data, ndata) ||
        !cJSON_IsString(cmd))
        return 0;
    snprintf(command, ncommand, "%s", cmd->valuestring);
    *quick = cJSON_IsTrue(q);
    *seed = (uint64_t)sd->valuedouble;
    return 1;
}

static int read_plan(const cJSON *j, const char *dir, wu_study *s, wu_error *err)
{
    if (!read_head(j, s->name, sizeof s->name, &s->quick, &s->seed, s->data, sizeof s->data,
                   s->command, sizeof s->command))
        return 0;
    const cJSON *groups = item(j, "groups"), *consts = item(j, "constants");
    const cJSON *measured = item(j, "measured"), *runs = item(j, "runs"), *e;
    if (!cJSON_IsArray(groups) || !cJSON_IsObject(consts) || !cJSON_IsArray(measured) ||
        !cJSON_IsArray(runs))
        return 0;
    cJSON_ArrayForEach(e, groups) {
        if (!cJSON_IsString(e) || s->ngroups == WU_STUDY_GROUPS) return 0;
        snprintf(s->group[s->ngroups++], sizeof s->group[0], "%s", e->valuestring);
    }
    cJSON_ArrayForEach(e, consts) {
        if (s->nconst == WU_STUDY_CONSTS || strlen(e->string) >= sizeof s->cst[0].name) return 0;
        if (cJSON_IsString(e)) wu_study_set(s, e->string, 0, e->valuestring);
        else if (cJSON_IsNumber(e)) wu_study_set(s, e->string, e->valuedouble, NULL);
        else return 0;
    }
    cJSON_ArrayForEach(e, measured) {
        if (s->nvec == WU_STUDY_VECS) return 0;
        wu_study_vec *v = &s->vec[s->nvec++];
        const cJSON *g = item(e, "group"), *vals = item(e, "values"), *x;
        if (!get_str(e, "name", v->name, sizeof v->name) || !cJSON_IsNumber(g) || !cJSON_IsArray(vals))
            return 0;
        v->group = (int)g->valuedouble;
        cJSON_ArrayForEach(x, vals) {
            if (!cJSON_IsNumber(x) || v->n == 64) return 0;
            v->v[v->n++] = x->valuedouble;
        }
    }
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    cJSON_ArrayForEach(e, runs) {
        char name[64], label[64];
        const cJSON *g = item(e, "group"), *w = item(e, "warm"), *x = item(e, "x");
        wu_train_config c;
        if (!get_str(e, "dir", name, sizeof name) || !get_str(e, "label", label, sizeof label) ||
            !cJSON_IsNumber(g) || g->valuedouble < 0 || g->valuedouble >= s->ngroups ||
            !cJSON_IsNumber(w) || !cJSON_IsNumber(x) || strchr(name, '/') ||
            !strcmp(name, "..") || !name[0])
            return 0;
        int rc = read_config(item(e, "config"), name, &c, err);
        if (rc <= 0) return rc;
        if (wu_study_add(s, &c, name, label, (int)g->valuedouble, w->valuedouble != 0,
                         x->valuedouble, err) != WU_OK)
            return -1;
        const cJSON *rk = item(e, "ranks"); /* absent in an older plan: one process */
        if (cJSON_IsNumber(rk) && rk->valuedouble > 1 && rk->valuedouble <= 1 << 20)
            s->runs[s->n - 1].ranks = (int)rk->valuedouble;
    }
    return s->n > 0;
}

int wu_study_read(const char *dir, wu_study *s, wu_error *err)
{
    memset(s, 0, sizeof *s);
    char path[600];
    snprintf(path, sizeof path, "%s/study.json", dir);
    cJSON *j = wu_json_read(path, err);
    if (!j) return err->code;
    int ok = read_plan(j, dir, s, err);
    cJSON_Delete(j);
    if (ok < 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return wu_fail(err, WU_EINVAL, "%s: %s", path, msg);
    }
    if (!ok) return wu_fail(err, WU_EINVAL, "%s is not a study manifest written by warmup study "
                            "or warmup demo (or one by an older warmup: rerun its command)", path);
    return WU_OK;
}

int wu_study_manifest_read(const char *dir, wu_study_manifest *m, wu_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/study.json", dir);
    cJSON *j = wu_json_read(path, err);
    if (!j) return err->code;
    int ok = read_head(j, m->name, sizeof m->name, &m->quick, &m->seed, m->data, sizeof m->data,
                       m->command, sizeof m->command);
    cJSON_Delete(j);
    if (!ok) return wu_fail(err, WU_EINVAL, "%s is not a study manifest written by warmup study", path);
    return WU_OK;
}
