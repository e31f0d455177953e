/* config.c - the run configuration's field table, and everything derived from it: defaults,
 * checks, summary.json's "config" (both ways), the checkpoint's record, the rerun line. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../model/model.h"
#include "../nn/nn.h"
#include "../optim/optim_names.h"
#include "../util/fail.h"
#include "config.h"

#define BIG ((double)((int64_t)1 << 40))
#define EXACT 9007199254740992.0 /* 2^53: a whole number that a JSON reader reads back exactly */
#define BELOW1 0.999999999
#define S(m) offsetof(wu_train_config, m), sizeof(((wu_train_config *)0)->m)
#define ALL WU_CFG_ANY_MODEL, WU_CFG_ANY_OPT
#define TR (WU_CFG_GPT | WU_CFG_VIT)

/* The names a choice field takes come from their owners' tables (model.h, optim_names.h);
 * on_nonfinite's two are the train layer's own (step.c). */
static const char *model_name(int i)
{
    const wu_model_ops *m = wu_model_nth(i);
    return m ? m->name : NULL;
}

/* bias_correction's two values (issue 18) */
static const char *on_off_name(int i)
{
    static const char *const names[] = {"on", "off"};
    return i >= 0 && i < 2 ? names[i] : NULL;
}

static const char *nonfinite_name(int i)
{
    static const char *const names[] = {"stop", "skip"};
    return i >= 0 && i < (int)(sizeof names / sizeof *names) ? names[i] : NULL;
}

/* The order is the order of --help, summary.json and the rerun line. */
const wu_cfg_field wu_cfg_fields[] = {
    {"model", "model", 'm', WU_CFG_STR, S(model), "gpt", 0, 0, model_name, "NAME",
     "the model: {}", ALL, WU_CFG_SHOWN},
    {"data", "data", 'd', WU_CFG_STR, S(data), "builtin", 0, 0, NULL, "WHAT",
     "builtin (the built-in language) or a text file or directory (gpt); fashion-mnist or a "
     "directory of its IDX files (mlp, vit)", ALL, WU_CFG_SHOWN},
    {"schedule", "schedule", 's', WU_CFG_STR, S(schedule), "warmup(10%) > cosine(to=0.1)", 0, 0,
     NULL, "SPEC", "the LR schedule (docs/SPEC.md)", ALL, WU_CFG_SHOWN},
    {"lr", "lr", 'l', WU_CFG_DOUBLE, S(lr), "1e-3", 1e-300, HUGE_VAL, NULL, "LR", "the peak LR",
     ALL, WU_CFG_SHOWN},
    /* no short letter: -o is --out in every command (the output: a file for plot and suggest, a
     * directory for train, sweep, demo and study) */
    {"optimizer", "optimizer", 0, WU_CFG_STR, S(optimizer), "adamw", 0, 0, wu_optim_kind_name,
     "NAME", "{}", ALL, WU_CFG_SHOWN},
    {"beta1", "beta1", 0, WU_CFG_DOUBLE, S(beta1), "0.9", 0, BELOW1, NULL, "B",
     "Adam's first-moment decay", WU_CFG_ANY_MODEL, WU_CFG_ADAMS, 0},
    {"beta2", "beta2", 0, WU_CFG_DOUBLE, S(beta2), "0.999", 0, BELOW1, NULL, "B",
     "Adam's second-moment decay", WU_CFG_ANY_MODEL, WU_CFG_ADAMS, 0},
    {"eps", "eps", 0, WU_CFG_DOUBLE, S(eps), "1e-8", 1e-300, 1, NULL, "E",
     "Adam's epsilon", WU_CFG_ANY_MODEL, WU_CFG_ADAMS, 0},
    /* issue 18: GI-Adam and bias correction (docs/OPTIMIZERS.md) */
    {"adam_init", "adam-init", 0, WU_CFG_STR, S(adam_init), "zero", 0, 0, wu_adam_init_name,
     "HOW", "Adam's second moment before the first update: {} (GI-Adam: the first gradient "
     "squared)", WU_CFG_ANY_MODEL, WU_CFG_ADAMS, 0},
    {"bias_correction", "bias-correction", 0, WU_CFG_STR, S(bias_correction), "on", 0, 0,
     on_off_name, "ON", "Adam's bias corrections of both moments: {}", WU_CFG_ANY_MODEL,
     WU_CFG_ADAMS, 0},
    {"momentum", "momentum", 0, WU_CFG_DOUBLE, S(momentum), "0", 0, BELOW1, NULL, "M",
     "SGD's momentum", WU_CFG_ANY_MODEL, WU_CFG_SGD, 0},
    {"weight_decay", "weight-decay", 0, WU_CFG_DOUBLE, S(weight_decay), "0.01", 0, 10, NULL, "W",
     "weight decay (decoupled for adamw)", ALL, 0},
    {"clip", "clip", 0, WU_CFG_DOUBLE, S(clip), "0", 0, HUGE_VAL, NULL, "C",
     "clip the gradient norm at C (0: no clipping)", ALL, 0},
    {"steps", "steps", 'n', WU_CFG_I64, S(steps), "400", 1, BIG, NULL, "N", "optimizer updates",
     ALL, WU_CFG_SHOWN},
    {"batch", "batch", 'b', WU_CFG_INT, S(batch), "16", 1, 65536, NULL, "B", "the batch size",
     ALL, WU_CFG_SHOWN},
    {"seed", "seed", 0, WU_CFG_U64, S(seed), "1", 0, EXACT, NULL, "S",
     "the seed of the weights and the data", ALL, WU_CFG_SHOWN},
    {"layers", "layers", 0, WU_CFG_INT, S(layers), NULL, 1, 32, NULL, "L", "transformer blocks",
     TR, WU_CFG_ANY_OPT, WU_CFG_ARCH},
    {"heads", "heads", 0, WU_CFG_INT, S(heads), NULL, 1, 64, NULL, "H", "attention heads", TR,
     WU_CFG_ANY_OPT, WU_CFG_ARCH},
    {"dim", "dim", 0, WU_CFG_INT, S(dim), NULL, 1, 4096, NULL, "C", "the model width", TR,
     WU_CFG_ANY_OPT, WU_CFG_ARCH},
    {"seq", "seq", 0, WU_CFG_INT, S(seq), "64", 1, 4096, NULL, "T", "the context length in bytes",
     WU_CFG_GPT, WU_CFG_ANY_OPT, WU_CFG_ARCH},
    {"post_ln", "post-ln", 0, WU_CFG_BOOL, S(post_ln), NULL, 0, 1, NULL, NULL,
     "Post-LN blocks instead of Pre-LN", TR, WU_CFG_ANY_OPT, WU_CFG_ARCH},
    {"depth", "depth", 0, WU_CFG_INT, S(depth), NULL, 1, 31, NULL, "D", "hidden layers",
     WU_CFG_MLP, WU_CFG_ANY_OPT, WU_CFG_ARCH},
    {"width", "width", 0, WU_CFG_INT, S(width), NULL, 1, 65536, NULL, "W", "hidden units per layer",
     WU_CFG_MLP, WU_CFG_ANY_OPT, WU_CFG_ARCH},
    {"act", "act", 0, WU_CFG_STR, S(act), NULL, 0, 0, wu_model_act_name, "NAME",
     "the activation: {}", WU_CFG_MLP, WU_CFG_ANY_OPT, WU_CFG_ARCH},
    {"pool", "pool", 0, WU_CFG_STR, S(pool), NULL, 0, 0, wu_model_pool_name, "HOW",
     "the pooling: {}", WU_CFG_VIT, WU_CFG_ANY_OPT, WU_CFG_ARCH},
    /* issue 18: the setting of Xiong et al. 2020, where Post-LN needs warmup (docs/STUDIES.md) */
    {"init", "init", 0, WU_CFG_STR, S(init), NULL, 0, 0, wu_model_init_name, "HOW",
     "the weights' initialisation: {} (gpt2: N(0, 0.02), residual projections / sqrt(2 layers); "
     "xavier: Glorot-uniform linear weights)", WU_CFG_GPT, WU_CFG_ANY_OPT, WU_CFG_ARCH},
    {"embed_scale", "embed-scale", 0, WU_CFG_DOUBLE, S(embed_scale), NULL, 1e-6, 1e6, NULL, "S",
     "multiply the input embeddings by S (35: a unit-scale residual stream; the tied output "
     "layer is unscaled)", WU_CFG_GPT, WU_CFG_ANY_OPT, WU_CFG_ARCH},
    /* issue 19: reduced precision where the CPU has it; float32 keeps PyTorch's bits */
    {"precision", "precision", 0, WU_CFG_STR, S(precision), "fp32", 0, 0,
     wu_model_precision_name, "P", "the matmuls' arithmetic: {} (bf16: bfloat16 operands "
     "summed in float32, on CPUs with AVX512-BF16; weights, gradients and the optimizer stay "
     "float32)", ALL, 0},
    {"eval_every", "eval-every", 0, WU_CFG_INT, S(eval_every), "50", 0, 1 << 30, NULL, "K",
     "evaluate on held-out data every K steps (0: only at the end)", ALL, 0},
    {"eval_batches", "eval-batches", 0, WU_CFG_INT, S(eval_batches), "8", 1, 1 << 20, NULL, "K",
     "validation batches per evaluation", WU_CFG_GPT, WU_CFG_ANY_OPT, 0},
    {"checkpoint_every", "checkpoint-every", 0, WU_CFG_INT, S(checkpoint_every), "0", 0, 1 << 30,
     NULL, "K", "write DIR/checkpoint.bin every K steps (0: only when stopped)", ALL, 0},
    {"builtin_bytes", "builtin-bytes", 0, WU_CFG_I64, S(builtin_bytes), "1048576", 4096,
     1 << 30, NULL, "N", "the size of the built-in corpus", WU_CFG_GPT, WU_CFG_ANY_OPT, 0},
    {"diverge_factor", "diverge-factor", 0, WU_CFG_DOUBLE, S(diverge_factor), "2", 1, 1e6, NULL,
     "F", "a loss above F x the first loss is divergence", ALL, 0},
    {"on_nonfinite", "on-nonfinite", 0, WU_CFG_STR, S(on_nonfinite), "stop", 0, 0, nonfinite_name,
     "WHAT", "a NaN/Inf loss or gradient: stop (the run ends as diverged) or skip (no update that "
     "step; 20 in a row end the run)", ALL, 0},
    {"inject_nonfinite", "inject-nonfinite", 0, WU_CFG_I64, S(inject_nonfinite), "-1", -1, BIG,
     NULL, "K[:N]", "fault injection for tests: a NaN in the gradients at step K and the N-1 steps "
     "after it (-1: never)", ALL, 0},
    {"inject_count", "inject-count", 0, WU_CFG_I64, S(inject_count), "1", 1, BIG, NULL, "N",
     "how many steps, from the injected step on, get a NaN", ALL, 0},
    {"inject_rank_drift", "inject-rank-drift", 0, WU_CFG_I64, S(inject_rank_drift), "-1", -1, BIG,
     NULL, "K", "fault injection for tests: on K ranks, the last rank changes one weight after "
     "step K, which the ranks' agreement check must catch (-1: never)", ALL, 0},
    /* issue 17: written by a resume that changes --steps; given by hand, it reruns such a run */
    {"segments", "segments", 0, WU_CFG_STR, S(segments), "", 0, 0, NULL, "LIST",
     "the run's lengths when a resume changed them: FROM:STEPS[:restart],... (a resume to "
     "another length writes it; the rerun line repeats it)", ALL, 0},
    /* diagnostics (probe.c, issue 18) */
    {"sharpness_every", "sharpness-every", 0, WU_CFG_INT, S(sharpness_every), "0", 0, 1 << 30,
     NULL, "K", "every K steps, the largest eigenvalue of the loss Hessian on a fixed batch, and "
     "for the Adam family of the preconditioned Hessian, into metrics.csv (0: never; costs about "
     "2 x sharpness-iters forward/backward passes per probe, twice for Adam)", ALL, 0},
    {"sharpness_iters", "sharpness-iters", 0, WU_CFG_INT, S(sharpness_iters), "20", 2, 1000,
     NULL, "N", "Hessian-vector products per eigenvalue, at most (Lanczos, stops earlier when "
     "converged)", ALL, 0},
    {"layer_stats_every", "layer-stats-every", 0, WU_CFG_INT, S(layer_stats_every), "0", 0,
     1 << 30, NULL, "K", "every K steps, each parameter tensor's |update|/|weights| and the angle "
     "between successive updates, into DIR/layers.csv (0: never)", ALL, 0},
    /* issue 18: warmup(auto) (tune.c); a fresh run that probes writes its choice here */
    {"auto_warmup", "auto-warmup", 0, WU_CFG_I64, S(auto_warmup), "-1", -1, BIG, NULL, "N",
     "the length warmup(auto) takes, in steps (-1: probe the model first, as `warmup tune` "
     "does; 0: no warmup)", ALL, 0},
    {"out", "out", 'o', WU_CFG_STR, S(out), "", 0, 0, NULL, "DIR",
     "the run directory (created; required)", ALL, WU_CFG_LOCAL},
};
const int wu_cfg_nfields = (int)(sizeof wu_cfg_fields / sizeof *wu_cfg_fields);

const wu_cfg_field *wu_cfg_find(const char *name)
{
    for (int i = 0; i < wu_cfg_nfields; i++)
        if (!strcmp(wu_cfg_fields[i].name, name)) return &wu_cfg_fields[i];
    return NULL;
}

/* The index of s among the names choice(0), choice(1), ... (-1: none). */
static int choice_index(const char *(*choice)(int), const char *s)
{
    for (int i = 0; choice(i); i++)
        if (!strcmp(choice(i), s)) return i;
    return -1;
}

int wu_cfg_applies(const wu_cfg_field *f, const wu_train_config *c)
{
    int m = choice_index(model_name, c->model), o = wu_optim_kind_from_name(c->optimizer);
    return (m < 0 || (f->models >> m & 1)) && (o < 0 || (f->optims >> o & 1));
}

#define AT(c, f) ((char *)(c) + (f)->offset)
#define CAT(c, f) ((const char *)(c) + (f)->offset)

int wu_cfg_same(const wu_cfg_field *f, const wu_train_config *a, const wu_train_config *b)
{
    if (f->type == WU_CFG_STR) return !strncmp(CAT(a, f), CAT(b, f), f->size);
    if (f->type == WU_CFG_DOUBLE) {
        double x, y;
        memcpy(&x, CAT(a, f), sizeof x), memcpy(&y, CAT(b, f), sizeof y);
        return x == y || (isnan(x) && isnan(y));
    }
    return !memcmp(CAT(a, f), CAT(b, f), f->size);
}

void wu_cfg_format(const wu_cfg_field *f, const wu_train_config *c, char *out, size_t n)
{
    const char *p = CAT(c, f);
    int iv;
    int64_t lv;
    uint64_t uv;
    double d;
    switch (f->type) {
    case WU_CFG_STR: snprintf(out, n, "%.*s", (int)strnlen(p, f->size), p); break;
    case WU_CFG_DOUBLE: /* the shortest text that reads back to the same double */
        memcpy(&d, p, sizeof d);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(out, n, "%.*g", prec, d);
            if (strtod(out, NULL) == d) break;
        }
        break;
    case WU_CFG_INT: memcpy(&iv, p, sizeof iv), snprintf(out, n, "%d", iv); break;
    case WU_CFG_BOOL: memcpy(&iv, p, sizeof iv), snprintf(out, n, "%d", iv != 0); break;
    case WU_CFG_I64: memcpy(&lv, p, sizeof lv), snprintf(out, n, "%lld", (long long)lv); break;
    case WU_CFG_U64: memcpy(&uv, p, sizeof uv), snprintf(out, n, "%llu", (unsigned long long)uv); break;
    }
}

static int range_error(const wu_cfg_field *f, const char *text, wu_error *err)
{
    if (f->hi == HUGE_VAL && f->lo > 0 && f->lo < 1e-100)
        return wu_fail(err, WU_ERANGE, "%s must be positive, got %s", f->name, text);
    if (f->lo > 0 && f->lo < 1e-100)
        return wu_fail(err, WU_ERANGE, "%s must be positive and at most %g, got %s", f->name, f->hi, text);
    if (f->hi == HUGE_VAL) return wu_fail(err, WU_ERANGE, "%s must be at least %g, got %s", f->name, f->lo, text);
    if (f->type == WU_CFG_DOUBLE)
        return wu_fail(err, WU_ERANGE, "%s must be between %g and %g, got %s", f->name, f->lo, f->hi, text);
    return wu_fail(err, WU_ERANGE, "%s must be between %.0f and %.0f, got %s", f->name, f->lo, f->hi, text);
}

/* A whole number as people write it: 1000, -3, or in exponent form (1e6, 2.5e3, 10E+2), exactly
 * (no rounding through a double). Returns 0 with *out set, 1 when text is not a number, 2 when it
 * is a number but not whole (1.5e0, 1e-3), 3 when it does not fit in a long long. */
int wu_parse_whole(const char *text, long long *out)
{
    char *end;
    const char *s = text;
    if (!s || !*s) return 1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end != s && *end == '\0') {
        if (errno == ERANGE) return 3;
        *out = v;
        return 0;
    }
    /* [+-] digits [. digits] (e|E) [+-] digits */
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    char dig[64];
    size_t nd = 0, nfrac = 0, nall = 0;
    int seen_dot = 0;
    for (; (*s >= '0' && *s <= '9') || (*s == '.' && !seen_dot); s++) {
        if (*s == '.') { seen_dot = 1; continue; }
        nall++;
        if (seen_dot) nfrac++;
        if (nd == 0 && *s == '0') continue; /* leading zeros */
        if (nd >= sizeof dig) return 3;
        dig[nd++] = *s;
    }
    if (nall == 0 || (*s != 'e' && *s != 'E')) return 1;
    s++;
    int eneg = 0;
    if (*s == '+' || *s == '-') eneg = *s++ == '-';
    if (!(*s >= '0' && *s <= '9')) return 1;
    long e = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        if (e < 100000) e = e * 10 + (*s - '0');
    if (*s) return 1;
    if (nd == 0) { *out = 0; return 0; } /* 0e5, 0.0e-3 */
    long k = (eneg ? -e : e) - (long)nfrac; /* value = dig * 10^k */
    while (k < 0 && nd > 0 && dig[nd - 1] == '0') { nd--; k++; }
    if (k < 0) return 2;
    unsigned long long u = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    for (size_t i = 0; i < nd; i++) {
        if (u > (lim - (unsigned long long)(dig[i] - '0')) / 10) return 3;
        u = u * 10 + (unsigned long long)(dig[i] - '0');
    }
    for (long i = 0; i < k; i++) {
        if (u > lim / 10) return 3;
        u *= 10;
    }
    *out = neg ? (long long)(0 - u) : (long long)u;
    return 0;
}

int wu_cfg_set(const wu_cfg_field *f, wu_train_config *c, const char *text, wu_error *err)
{
    char *p = AT(c, f), *end;
    errno = 0;
    if (f->type == WU_CFG_STR) {
        if (strlen(text) >= f->size)
            return wu_fail(err, WU_ERANGE, "%s is too long (at most %zu characters)", f->name, f->size - 1);
        memset(p, 0, f->size);
        memcpy(p, text, strlen(text));
        return WU_OK;
    }
    if (f->type == WU_CFG_BOOL) {
        int v = !strcmp(text, "1") || !strcmp(text, "true") ? 1
              : !strcmp(text, "0") || !strcmp(text, "false") ? 0 : -1;
        if (v < 0) return wu_fail(err, WU_EINVAL, "%s: '%s' is not 0 or 1", f->name, text);
        memcpy(p, &v, sizeof v);
        return WU_OK;
    }
    if (f->type == WU_CFG_DOUBLE) {
        double d = strtod(text, &end);
        if (!*text || *end || end == text)
            return wu_fail(err, WU_EINVAL, "%s: '%s' is not a number (write e.g. 0.001 or 1e-3)", f->name, text);
        if (!isfinite(d) || errno == ERANGE)
            return wu_fail(err, WU_EINVAL, "%s: '%s' is not a finite number", f->name, text);
        if (d < f->lo || d > f->hi) return range_error(f, text, err);
        memcpy(p, &d, sizeof d);
        return WU_OK;
    }
    long long v;
    int why = wu_parse_whole(text, &v);
    if (why == 1)
        return wu_fail(err, WU_EINVAL, "%s: '%s' is not a whole number (write e.g. 1000 or 1e3)", f->name, text);
    if (why == 2)
        return wu_fail(err, WU_EINVAL, "%s: '%s' is not a whole number (its exponent leaves a fraction)", f->name, text);
    /* compared as whole numbers: 2^53 + 1 is not 2^53 (the ranges of integer fields are whole) */
    if (why == 3 || v < (long long)f->lo || v > (long long)f->hi) return range_error(f, text, err);
    if (f->type == WU_CFG_INT) {
        int iv = (int)v;
        memcpy(p, &iv, sizeof iv);
    } else if (f->type == WU_CFG_I64) {
        int64_t lv = v;
        memcpy(p, &lv, sizeof lv);
    } else {
        uint64_t uv = (uint64_t)v;
        memcpy(p, &uv, sizeof uv);
    }
    return WU_OK;
}

void wu_train_defaults(wu_train_config *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < wu_cfg_nfields; i++)
        if (wu_cfg_fields[i].def) wu_cfg_set(&wu_cfg_fields[i], c, wu_cfg_fields[i].def, NULL);
    /* the architecture's defaults are the model layer's */
    wu_model_config m = wu_model_default_config();
    c->layers = m.layers, c->heads = m.heads, c->dim = m.dim, c->post_ln = m.post_ln;
    c->depth = m.depth, c->width = m.width;
    snprintf(c->act, sizeof c->act, "%s", wu_model_act_name(m.act));
    snprintf(c->pool, sizeof c->pool, "%s", wu_model_pool_name(m.pool));
    snprintf(c->init, sizeof c->init, "%s", wu_model_init_name(m.init));
    c->embed_scale = m.embed_scale;
}

void wu_cfg_choices_text(const wu_cfg_field *f, char *out, size_t n)
{
    size_t u = 0;
    int total = 0;
    if (n) out[0] = '\0';
    while (f->choice && f->choice(total)) total++;
    for (int k = 0; k < total && u < n; k++)
        u += (size_t)snprintf(out + u, n - u, "%s%s", k == 0 ? "" : k == total - 1 ? " or " : ", ",
                              f->choice(k));
}

void wu_cfg_help(const wu_cfg_field *f, char *out, size_t n)
{
    const char *at = strstr(f->help, "{}");
    char use[200];
    if (!at) {
        snprintf(out, n, "%s", f->help);
        return;
    }
    wu_cfg_choices_text(f, use, sizeof use);
    snprintf(out, n, "%.*s%s%s", (int)(at - f->help), f->help, use, at + 2);
}

/* Is `path` a directory holding IDX image files? */
static int is_idx_dir(const char *path)
{
    char p[600];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", path);
    if (access(p, R_OK) == 0) return 1;
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", path);
    return access(p, R_OK) == 0;
}

static int bad(int *field, const char *name, int code)
{
    if (field) *field = name ? (int)(wu_cfg_find(name) - wu_cfg_fields) : -1;
    return code;
}

int wu_cfg_check(const wu_train_config *c, int *field, wu_error *err)
{
    if (field) *field = -1;
    for (int i = 0; i < wu_cfg_nfields; i++) /* first: every string ends inside its member */
        if (wu_cfg_fields[i].type == WU_CFG_STR &&
            strnlen(CAT(c, &wu_cfg_fields[i]), wu_cfg_fields[i].size) == wu_cfg_fields[i].size)
            return bad(field, wu_cfg_fields[i].name, wu_fail(err, WU_EINVAL, "%s is not a terminated "
                                                             "string", wu_cfg_fields[i].name));
    /* every value in its range, every choice known (for the fields that apply) */
    for (int i = 0; i < wu_cfg_nfields; i++) {
        const wu_cfg_field *f = &wu_cfg_fields[i];
        char v[600];
        wu_cfg_format(f, c, v, sizeof v);
        if (f->type == WU_CFG_STR) {
            if (f->choice && wu_cfg_applies(f, c) && choice_index(f->choice, v) < 0) {
                char use[200];
                wu_cfg_choices_text(f, use, sizeof use);
                return bad(field, f->name, wu_fail(err, WU_EINVAL, "unknown %s '%s': use %s",
                                                   f->name, v, use));
            }
        } else {
            wu_train_config t = *c;
            if (wu_cfg_set(f, &t, v, err) != WU_OK) return bad(field, f->name, err ? err->code : WU_EINVAL);
        }
    }
    /* rules between fields: the attention heads split the width evenly */
    if (wu_cfg_applies(wu_cfg_find("heads"), c) && c->dim % c->heads != 0)
        return bad(field, "heads", wu_fail(err, WU_EINVAL, "heads: %d heads do not divide the width "
                                           "dim %d: choose a number of heads that divides it",
                                           c->heads, c->dim));
    /* bf16 runs only where the instruction is (its scalar model would be ~100x slower) */
    if (!strcmp(c->precision, "bf16") && !wu_cpu_has_bf16())
        return bad(field, "precision", wu_fail(err, WU_EINVAL, "precision: bf16 needs a CPU with "
                                               "AVX512-BF16 (the vdpbf16ps instruction)%s: use "
                                               "fp32, the default",
                                               wu_bf16_env_off()
                                                   ? ", and WU_NO_BF16 is set in the environment"
                                                   : ", which this one lacks"));
    const wu_model_ops *ops = wu_model_find(c->model); /* known: checked above */
    int text = ops && ops->input == WU_INPUT_TOKENS;
    int images = !strcmp(c->data, "fashion-mnist") || is_idx_dir(c->data);
    if (!images && strcmp(c->data, "builtin") && access(c->data, R_OK) != 0)
        return bad(field, "data", wu_fail(err, WU_EINVAL, "cannot read data '%s': %s (use builtin, "
                                          "fashion-mnist, a text file or a directory)", c->data,
                                          strerror(errno)));
    if (text && images)
        return bad(field, "data", wu_fail(err, WU_EINVAL, "the GPT reads text: data must be builtin "
                                          "or a text file or directory, not images"));
    if (!text && !images)
        return bad(field, "data", wu_fail(err, WU_EINVAL, "the %s classifies images: data must be "
                                          "fashion-mnist or a directory of Fashion-MNIST IDX files, "
                                          "not '%s'", c->model, c->data));
    wu_optim_config oc;
    wu_optim_defaults(&oc, (wu_optim_kind)wu_optim_kind_from_name(c->optimizer));
    oc.lr = c->lr, oc.beta1 = c->beta1, oc.beta2 = c->beta2, oc.eps = c->eps;
    oc.momentum = c->momentum, oc.weight_decay = c->weight_decay;
    if (oc.kind != WU_OPT_SGD) { /* issue 18's options: known names (checked above) */
        oc.v_init = wu_adam_init_from_name(c->adam_init) == WU_ADAM_INIT_GRAD ? WU_ADAM_INIT_GRAD
                                                                              : WU_ADAM_INIT_ZERO;
        oc.no_bias_correction = !strcmp(c->bias_correction, "off");
    }
    return bad(field, NULL, wu_optim_check(&oc, err));
}

int wu_train_check(const wu_train_config *c, wu_error *err)
{
    return wu_cfg_check(c, NULL, err);
}

/* ---- JSON --------------------------------------------------------------------------------- */

void wu_train_config_json(FILE *f, const wu_train_config *c)
{
    int first = 1;
    for (int i = 0; i < wu_cfg_nfields; i++) {
        const wu_cfg_field *d = &wu_cfg_fields[i];
        if (d->flags & WU_CFG_LOCAL) continue;
        fprintf(f, "%s\"%s\": ", first ? "{" : ", ", d->name);
        first = 0;
        char v[600];
        wu_cfg_format(d, c, v, sizeof v);
        if (d->type == WU_CFG_STR) wu_json_string(f, v);
        else if (d->type == WU_CFG_BOOL) fputs(v[0] == '1' ? "true" : "false", f);
        else fputs(v, f);
    }
    fputc('}', f);
}

int wu_train_config_from_json(const cJSON *j, wu_train_config *c, wu_error *err)
{
    wu_train_defaults(c);
    if (!cJSON_IsObject(j)) return wu_fail(err, WU_EINVAL, "the configuration is not a JSON object");
    for (int i = 0; i < wu_cfg_nfields; i++) {
        const wu_cfg_field *f = &wu_cfg_fields[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, f->name);
        if (!v || (f->flags & WU_CFG_LOCAL)) continue;
        char text[600];
        if (f->type == WU_CFG_STR && cJSON_IsString(v)) snprintf(text, sizeof text, "%s", v->valuestring);
        else if (f->type == WU_CFG_BOOL && cJSON_IsBool(v)) snprintf(text, sizeof text, "%d", cJSON_IsTrue(v));
        else if (f->type != WU_CFG_STR && f->type != WU_CFG_BOOL && cJSON_IsNumber(v))
            snprintf(text, sizeof text, "%.17g", v->valuedouble);
        else
            return wu_fail(err, WU_EINVAL, "%s: expected %s", f->name,
                           f->type == WU_CFG_STR ? "a string" : f->type == WU_CFG_BOOL ? "true or false"
                                                                                       : "a number");
        if (f->type == WU_CFG_STR && strlen(v->valuestring) >= sizeof text)
            return wu_fail(err, WU_EINVAL, "%s is too long", f->name);
        if (wu_cfg_set(f, c, text, err) != WU_OK) return err ? err->code : WU_EINVAL;
    }
    return WU_OK;
}

/* ---- the checkpoint's record -------------------------------------------------------------- */

char *wu_cfg_record(const wu_train_config *c, size_t *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    for (int i = 0; i < wu_cfg_nfields; i++) {
        const wu_cfg_field *d = &wu_cfg_fields[i];
        if (d->flags & WU_CFG_LOCAL) continue;
        char v[600];
        wu_cfg_format(d, c, v, sizeof v);
        fprintf(f, "%s=", d->name);
        for (const char *p = v; *p; p++) {
            if (*p == '\n') fputs("\\n", f);
            else if (*p == '\\') fputs("\\\\", f);
            else fputc(*p, f);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *n = len;
    return buf;
}

int wu_cfg_from_record(const char *text, size_t n, wu_train_config *c, wu_error *err)
{
    wu_train_defaults(c);
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return wu_fail(err, WU_EINVAL, "the configuration record does not end with a newline");
        const char *eq = memchr(p, '=', (size_t)(nl - p));
        char name[64], val[600];
        if (!eq || eq - p >= (long)sizeof name)
            return wu_fail(err, WU_EINVAL, "the configuration record has a line without name=value");
        memcpy(name, p, (size_t)(eq - p));
        name[eq - p] = '\0';
        const wu_cfg_field *f = wu_cfg_find(name);
        if (!f || (f->flags & WU_CFG_LOCAL))
            return wu_fail(err, WU_EINVAL, "it holds the setting '%.60s', which this version of "
                           "warmup does not know (written by a newer one?)", name);
        size_t u = 0;
        for (const char *q = eq + 1; q < nl; q++) {
            if (u + 1 >= sizeof val) return wu_fail(err, WU_EINVAL, "%s is too long", f->name);
            if (*q == '\\' && q + 1 < nl) {
                q++;
                val[u++] = *q == 'n' ? '\n' : *q;
            } else {
                val[u++] = *q;
            }
        }
        val[u] = '\0';
        if (strlen(val) != u) return wu_fail(err, WU_EINVAL, "%s holds a NUL byte", f->name);
        if (wu_cfg_set(f, c, val, err) != WU_OK) return err ? err->code : WU_EINVAL;
        p = nl + 1;
    }
    return WU_OK;
}

/* ---- the rerun line ------------------------------------------------------------------------ */

int wu_shell_quote(char *out, size_t n, const char *s)
{
    size_t u = strlen(out);
    if (u + 3 > n) return -1;
    out[u++] = '\'';
    for (const char *p = s; *p; p++) {
        const char *piece = *p == '\'' ? "'\\''" : NULL; /* close, an escaped ', reopen */
        size_t len = piece ? 4 : 1;
        if (u + len + 2 > n) return -1;
        if (piece) memcpy(out + u, piece, len);
        else out[u] = *p;
        u += len;
    }
    out[u++] = '\'';
    out[u] = '\0';
    return 0;
}

int wu_shell_word(char *out, size_t n, const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/%+:";
    if (!*s || strspn(s, plain) != strlen(s)) return wu_shell_quote(out, n, s);
    size_t u = strlen(out), len = strlen(s);
    if (u + len + 1 > n) return -1;
    memcpy(out + u, s, len + 1);
    return 0;
}

/* The settings a command line gives: the fields that apply to c's model and optimizer and differ
 * from their defaults (and the WU_CFG_SHOWN ones), in the table's order, each handed to emit as
 * its flag and its value as text (a bool set: NULL, a flag alone; a bool unset: not at all). The
 * one walk behind the rerun line and the argument vector. */
static int config_walk(const wu_train_config *c, int (*emit)(void *ctx, const char *flag, const char *v),
                       void *ctx)
{
    wu_train_config d;
    wu_train_defaults(&d);
    for (int i = 0; i < wu_cfg_nfields; i++) {
        const wu_cfg_field *f = &wu_cfg_fields[i];
        if ((f->flags & WU_CFG_LOCAL) || !wu_cfg_applies(f, c)) continue;
        if (!(f->flags & WU_CFG_SHOWN) && wu_cfg_same(f, c, &d)) continue;
        char v[600];
        wu_cfg_format(f, c, v, sizeof v);
        if (f->type == WU_CFG_BOOL && v[0] != '1') continue;
        if (emit(ctx, f->flag, f->type == WU_CFG_BOOL ? NULL : v)) return -1;
    }
    return 0;
}

typedef struct { char *out; size_t n; } line_ctx;
static int emit_quoted(void *ctx, const char *flag, const char *v)
{
    line_ctx *l = ctx;
    size_t u = strlen(l->out);
    if (snprintf(l->out + u, l->n - u, " --%s%s", flag, v ? " " : "") >= (int)(l->n - u)) return -1;
    return v ? wu_shell_quote(l->out, l->n, v) : 0;
}

int wu_train_config_command(const wu_train_config *c, char *out, size_t n)
{
    if (snprintf(out, n, "warmup train --%s ", wu_cfg_find("out")->flag) >= (int)n ||
        wu_shell_quote(out, n, c->out))
        return -1;
    line_ctx l = {out, n};
    return config_walk(c, emit_quoted, &l);
}

typedef struct { char **argv; int max, argc; char *buf; size_t n, u; } argv_ctx;
static int add_word(argv_ctx *a, const char *pre, const char *w)
{
    size_t len = strlen(pre) + strlen(w) + 1;
    if (a->argc >= a->max || a->u + len > a->n) return -1;
    a->argv[a->argc++] = a->buf + a->u;
    a->u += (size_t)snprintf(a->buf + a->u, a->n - a->u, "%s%s", pre, w) + 1;
    return 0;
}
static int emit_word(void *ctx, const char *flag, const char *v)
{
    argv_ctx *a = ctx;
    return add_word(a, "--", flag) || (v && add_word(a, "", v)) ? -1 : 0;
}

int wu_train_config_argv(const wu_train_config *c, char **argv, int max, char *buf, size_t n)
{
    argv_ctx a = {argv, max, 0, buf, n, 0};
    if (add_word(&a, "--", wu_cfg_find("out")->flag) || add_word(&a, "", c->out) ||
        config_walk(c, emit_word, &a))
        return -1;
    return a.argc;
}
