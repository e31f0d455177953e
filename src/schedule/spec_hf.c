/* spec_hf.c - hf:name(...) specs: the closed-form schedulers of Hugging Face transformers'
 * get_scheduler(), with HF's argument names and defaults.
 *
 * The base LR (--lr) plays the optimizer's default LR. As the HF Trainer does, a missing
 * num_warmup_steps means 0 and a missing num_training_steps means the run length (--steps).
 * Where HF would raise, or divide by zero at a later step, the spec is rejected up front. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_ast.h"

static const char *const P_CONSTANT[] = {"last_epoch", NULL};
static const char *const P_CWARM[] = {"num_warmup_steps", "last_epoch", NULL};
static const char *const P_LINEAR[] = {"num_warmup_steps", "num_training_steps", "last_epoch",
                                       NULL};
static const char *const P_COSINE[] = {"num_warmup_steps", "num_training_steps", "num_cycles",
                                       "last_epoch", NULL};
static const char *const P_POLY[] = {"num_warmup_steps", "num_training_steps", "lr_end",
                                     "power", "last_epoch", NULL};
static const char *const P_INVSQRT[] = {"num_warmup_steps", "timescale", "last_epoch", NULL};
static const char *const P_COSMIN[] = {"num_warmup_steps", "num_training_steps", "num_cycles",
                                       "last_epoch", "min_lr", "min_lr_rate", NULL};
static const char *const P_COSWMIN[] = {"num_warmup_steps", "num_training_steps", "num_cycles",
                                        "last_epoch", "min_lr", "min_lr_rate", "warmup_lr_rate",
                                        NULL};
static const char *const P_WSD[] = {"num_warmup_steps", "num_decay_steps", "num_training_steps",
                                    "num_stable_steps", "warmup_type", "decay_type",
                                    "min_lr_ratio", "num_cycles", "last_epoch", NULL};

static const struct {
    const char *name;
    int kind;
    const char *const *params;
} HF[] = {
    {"constant", H_CONSTANT, P_CONSTANT},
    {"constant_with_warmup", H_CONST_WARMUP, P_CWARM},
    {"linear", H_LINEAR, P_LINEAR},
    {"cosine", H_COSINE, P_COSINE},
    {"cosine_with_restarts", H_RESTARTS, P_COSINE},
    {"polynomial", H_POLY, P_POLY},
    {"inverse_sqrt", H_INVSQRT, P_INVSQRT},
    {"cosine_with_min_lr", H_COS_MIN, P_COSMIN},
    {"cosine_warmup_with_min_lr", H_COS_WARM_MIN, P_COSWMIN},
    {"warmup_stable_decay", H_WSD, P_WSD},
    {NULL, 0, NULL},
};

static const char *const P_PLAT[] = {"mode", "factor", "patience", "threshold", "threshold_mode",
                                     "cooldown", "min_lr", "eps", "verbose", NULL};

/* HF's functions by their own names (transformers.optimization), each the function that
 * get_scheduler(name) calls, with the same parameters; only the arguments it requires differ:
 * get_scheduler gets them from the Trainer, here from the run (0 warmup, --steps). */
enum { REQ_W = 1, REQ_N = 2, REQ_D = 4, REQ_N_OR_STABLE = 8 };
static const struct {
    const char *fn, *name;
    int required;
} FN[] = {
    {"get_constant_schedule", "constant", 0},
    {"get_constant_schedule_with_warmup", "constant_with_warmup", REQ_W},
    {"get_linear_schedule_with_warmup", "linear", REQ_W | REQ_N},
    {"get_cosine_schedule_with_warmup", "cosine", REQ_W | REQ_N},
    {"get_cosine_with_hard_restarts_schedule_with_warmup", "cosine_with_restarts", REQ_W | REQ_N},
    {"get_polynomial_decay_schedule_with_warmup", "polynomial", REQ_W | REQ_N},
    {"get_inverse_sqrt_schedule", "inverse_sqrt", REQ_W},
    {"get_cosine_with_min_lr_schedule_with_warmup", "cosine_with_min_lr", REQ_W | REQ_N},
    {"get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "cosine_warmup_with_min_lr",
     REQ_W | REQ_N},
    {"get_wsd_schedule", "warmup_stable_decay", REQ_W | REQ_D | REQ_N_OR_STABLE},
    {"get_reduce_on_plateau_schedule", "reduce_lr_on_plateau", 0},
    {NULL, NULL, 0},
};

static int require(const wu_bind *b, const char *fn, const char *name, const char *param)
{
    if (wu__has(b, param)) return WU_OK;
    return wu__spec_err(b->err, WU_EINVAL, b->t, b->call,
                        "%s: missing argument '%s' (HF's function requires it; hf:%s(...) "
                        "takes it from the run when it is left out)", fn, param, name);
}

/* HF's min_lr / min_lr_rate pair: exactly one must be given; min_lr becomes a rate of --lr. */
static int min_rate(const wu_bind *b, double lr, double *rate)
{
    int rc;
    double min_lr;
    int has_lr = wu__has(b, "min_lr"), has_rate = wu__has(b, "min_lr_rate");
    if (has_lr == has_rate)
        return wu__spec_err(b->err, WU_EINVAL, b->t, b->call,
                            "%s: give exactly one of min_lr and min_lr_rate",
                            b->t->n[b->call].text);
    if (has_rate) return wu__get_num(b, "min_lr_rate", 0.0, 0.0, 1.0, rate);
    if ((rc = wu__get_num(b, "min_lr", 0.0, 0.0, HUGE_VAL, &min_lr)) != WU_OK) return rc;
    if (min_lr > lr)
        return wu__spec_err(b->err, WU_EINVAL, b->t, wu__arg(b, "min_lr"),
                            "%s: min_lr=%g is above the peak LR %g", b->t->n[b->call].text,
                            min_lr, lr);
    *rate = min_lr / lr;
    return WU_OK;
}

/* ---- get_scheduler(name, optimizer, num_warmup_steps, num_training_steps,
 *                    scheduler_specific_kwargs) ------------------------------------------------
 * HF's dispatcher, as pasted: rewritten into the call it makes, hf:NAME(...), with the
 * arguments it passes. Like HF: constant gets none, reduce_lr_on_plateau only the specific
 * kwargs, every other name needs num_warmup_steps, constant_with_warmup and inverse_sqrt get
 * only that, warmup_stable_decay gets num_training_steps when given, the rest need it. */

static int is_none(const wu_ast *a) { return a->type == A_NAME && !strcmp(a->text, "None"); }

/* Append the keyword argument key=value to the root call of tree c (a new node at the end of
 * the tree). WU_OK, or a WU_ERANGE error when the tree or the call is full. */
static int append_kw(wu_ast_tree *c, const char *key, int value, wu_error *err)
{
    wu_ast *call = &c->n[c->root];
    if (c->count >= WU_AST_MAX || call->nargs >= WU_AST_ARGS)
        return wu__spec_err(err, WU_ERANGE, c, value, "spec is too complex (more than %d parts)",
                            WU_AST_MAX);
    wu_ast *k = &c->n[c->count];
    memset(k, 0, sizeof *k);
    k->type = A_KW;
    k->line = c->n[value].line;
    k->col = c->n[value].col;
    snprintf(k->text, sizeof k->text, "%s", key);
    k->args[0] = value;
    k->nargs = 1;
    call->args[call->nargs++] = c->count++;
    return WU_OK;
}

static int get_scheduler(wu_schedule *s, const wu_ast_tree *t, wu_error *err)
{
    static const char *const params[] = {"name", "optimizer", "num_warmup_steps",
                                         "num_training_steps", "scheduler_specific_kwargs", NULL};
    enum { P_NAME, P_OPT, P_W, P_N, P_KW, NP };
    const wu_ast *c = &t->n[t->root];
    int slot[NP] = {-1, -1, -1, -1, -1}, npos = 0;
    for (int i = 0; i < c->nargs; i++) {
        const wu_ast *a = &t->n[c->args[i]];
        if (a->type != A_KW) {
            if (npos >= NP)
                return wu__spec_err(err, WU_EINVAL, t, c->args[i], "get_scheduler takes at most "
                                    "%d positional arguments (%s, ...)", NP, params[0]);
            slot[npos++] = c->args[i];
            continue;
        }
        int j = 0;
        while (params[j] && strcmp(params[j], a->text) != 0) j++;
        if (!params[j])
            return wu__spec_err(err, WU_EINVAL, t, c->args[i], "get_scheduler got an unexpected "
                                "keyword argument '%s'; it takes name, optimizer, "
                                "num_warmup_steps, num_training_steps and "
                                "scheduler_specific_kwargs", a->text);
        if (slot[j] >= 0)
            return wu__spec_err(err, WU_EINVAL, t, c->args[i], "get_scheduler got two values for "
                                "'%s' (positional and keyword)", a->text);
        slot[j] = a->args[0];
    }
    if (slot[P_NAME] < 0)
        return wu__spec_err(err, WU_EINVAL, t, t->root, "get_scheduler: missing the scheduler's "
                            "name, as in hf:get_scheduler(\"linear\", optimizer, ...)");
    if (slot[P_OPT] >= 0 && t->n[slot[P_OPT]].type != A_NAME)
        return wu__spec_err(err, WU_EINVAL, t, slot[P_OPT], "get_scheduler: optimizer takes the "
                            "optimizer's variable name (it is ignored: the base LR is the run's "
                            "lr), e.g. optimizer");
    const wu_ast *nm = &t->n[slot[P_NAME]];
    /* "linear", or SchedulerType.LINEAR as the enum is written */
    if (!(nm->type == A_STR || (nm->type == A_NAME && !strcmp(nm->qual, "SchedulerType"))))
        return wu__spec_err(err, WU_EINVAL, t, slot[P_NAME], "get_scheduler: the name is a "
                            "string such as \"linear\" or SchedulerType.LINEAR");
    char name[WU_NAME_MAX];
    size_t len = strlen(nm->text);
    for (size_t i = 0; i <= len; i++) name[i] = (char)tolower((unsigned char)nm->text[i]);
    int w = slot[P_W] >= 0 && !is_none(&t->n[slot[P_W]]) ? slot[P_W] : -1;
    int n = slot[P_N] >= 0 && !is_none(&t->n[slot[P_N]]) ? slot[P_N] : -1;
    int kw = slot[P_KW] >= 0 && !is_none(&t->n[slot[P_KW]]) ? slot[P_KW] : -1;
    if (kw >= 0 && !(t->n[kw].type == A_CALL && !strcmp(t->n[kw].text, "dict") && !t->n[kw].qual[0]))
        return wu__spec_err(err, WU_EINVAL, t, kw, "get_scheduler: scheduler_specific_kwargs "
                            "takes a dict, as in {'num_cycles': 2} or dict(num_cycles=2)");
    int plateau = !strcmp(name, "reduce_lr_on_plateau"), i = 0;
    while (HF[i].name && strcmp(HF[i].name, name) != 0) i++;
    if (!HF[i].name && !plateau)
        return wu__spec_err(err, WU_EINVAL, t, slot[P_NAME], "get_scheduler: unknown scheduler "
                            "name '%s'; known: constant, constant_with_warmup, linear, cosine, "
                            "cosine_with_restarts, polynomial, inverse_sqrt, cosine_with_min_lr, "
                            "cosine_warmup_with_min_lr, warmup_stable_decay, "
                            "reduce_lr_on_plateau", nm->text);
    int constant = !strcmp(name, "constant");
    int warmup_only = !strcmp(name, "constant_with_warmup") || !strcmp(name, "inverse_sqrt");
    int takes_w = !constant && !plateau;            /* num_warmup_steps */
    int takes_n = takes_w && !warmup_only;          /* num_training_steps */
    int takes_kw = !constant && !warmup_only;       /* scheduler_specific_kwargs */
    if (takes_w && w < 0)
        return wu__spec_err(err, WU_EINVAL, t, t->root, "get_scheduler: %s requires "
                            "num_warmup_steps (HF raises without it)", name);
    if (takes_n && n < 0 && strcmp(name, "warmup_stable_decay") != 0)
        return wu__spec_err(err, WU_EINVAL, t, t->root, "get_scheduler: %s requires "
                            "num_training_steps (HF raises without it)", name);
    wu_ast_tree *cp = malloc(sizeof *cp);
    if (!cp) return wu__spec_err(err, WU_ENOMEM, t, -1, "out of memory");
    *cp = *t;
    wu_ast *call = &cp->n[cp->root];
    snprintf(call->text, sizeof call->text, "%s", name);
    call->qual[0] = '\0';
    call->nargs = 0;
    int rc = WU_OK;
    if (takes_w && (rc = append_kw(cp, "num_warmup_steps", w, err)) != WU_OK) goto done;
    if (takes_n && n >= 0 && (rc = append_kw(cp, "num_training_steps", n, err)) != WU_OK)
        goto done;
    if (takes_kw && kw >= 0) {
        const wu_ast *d = &t->n[kw];
        for (int j = 0; j < d->nargs; j++) {
            const char *key = t->n[d->args[j]].text;
            if (!strcmp(key, "num_warmup_steps") || !strcmp(key, "num_training_steps") ||
                !strcmp(key, "optimizer")) {
                rc = wu__spec_err(err, WU_EINVAL, t, d->args[j], "get_scheduler: '%s' is given "
                                  "by get_scheduler itself; it cannot also be in "
                                  "scheduler_specific_kwargs", key);
                goto done;
            }
            if (cp->n[cp->root].nargs >= WU_AST_ARGS) {
                rc = wu__spec_err(err, WU_ERANGE, t, d->args[j], "too many arguments");
                goto done;
            }
            cp->n[cp->root].args[cp->n[cp->root].nargs++] = d->args[j];
        }
    }
    rc = wu__bind_hf(s, cp, err);
done:
    free(cp);
    return rc;
}

int wu__bind_hf(wu_schedule *s, const wu_ast_tree *t, wu_error *err)
{
    int call = t->root, rc, i = 0;
    const wu_ast *c = &t->n[call];
    if (c->type != A_CALL && c->type != A_NAME)
        return wu__spec_err(err, WU_EPARSE, t, call,
                            "expected a Hugging Face scheduler such as hf:cosine(num_warmup_steps=100)");
    if (c->type == A_CALL && !strcmp(c->text, "get_scheduler") &&
        (!c->qual[0] || !strcmp(c->qual, "transformers") ||
         !strcmp(c->qual, "transformers.optimization") || !strcmp(c->qual, "optimization")))
        return get_scheduler(s, t, err);
    int f = 0;
    const char *name = c->text;
    while (FN[f].fn && strcmp(FN[f].fn, c->text) != 0) f++;
    if (FN[f].fn) {
        name = FN[f].name;
        if (c->qual[0] && strcmp(c->qual, "transformers") != 0 &&
            strcmp(c->qual, "transformers.optimization") != 0 &&
            strcmp(c->qual, "optimization") != 0)
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "'%s.%s': HF's schedule functions live in transformers "
                                "(transformers.optimization); write %s or transformers.%s",
                                c->qual, c->text, c->text, c->text);
    } else if (c->qual[0]) {
        return wu__spec_err(err, WU_EINVAL, t, call,
                            "'%s.%s' is not a Hugging Face schedule function; write "
                            "hf:get_linear_schedule_with_warmup(...) or the get_scheduler name "
                            "alone, as in hf:linear(...)", c->qual, c->text);
    }
    while (HF[i].name && strcmp(HF[i].name, name) != 0) i++;
    if (!HF[i].name && strcmp(name, "reduce_lr_on_plateau") != 0)
        return wu__spec_err(err, WU_EINVAL, t, call,
                            "unknown Hugging Face scheduler '%s'; known: constant, "
                            "constant_with_warmup, linear, cosine, cosine_with_restarts, "
                            "polynomial, inverse_sqrt, cosine_with_min_lr, "
                            "cosine_warmup_with_min_lr, warmup_stable_decay, "
                            "reduce_lr_on_plateau, or their functions "
                            "get_linear_schedule_with_warmup(...) and the like", c->text);
    wu_bind b;
    if (!HF[i].name) { /* reduce_lr_on_plateau: ReduceLROnPlateau's keyword arguments */
        if ((rc = wu__bind_py(&b, t, call, P_PLAT, &s->opts, err)) != WU_OK) return rc;
        int idx = wu__new_node(s, K_PLATEAU, t, call, err);
        if (idx < 0) return idx;
        s->root = idx;
        return wu__plateau_bind(s, &b, &s->nodes[idx]);
    }
    if ((rc = wu__bind_py(&b, t, call, HF[i].params, &s->opts, err)) != WU_OK) return rc;
    if (FN[f].fn) {
        const char *fn = FN[f].fn;
        int req = FN[f].required;
        if ((req & REQ_W) && (rc = require(&b, fn, name, "num_warmup_steps")) != WU_OK) return rc;
        if ((req & REQ_D) && (rc = require(&b, fn, name, "num_decay_steps")) != WU_OK) return rc;
        if ((req & REQ_N) && (rc = require(&b, fn, name, "num_training_steps")) != WU_OK) return rc;
        if ((req & REQ_N_OR_STABLE) && !wu__has(&b, "num_training_steps") &&
            !wu__has(&b, "num_stable_steps"))
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "%s: give num_training_steps or num_stable_steps (HF raises "
                                "without either)", fn);
    }
    int64_t le;
    if ((rc = wu__get_int(&b, "last_epoch", -1, INT64_MIN, INT64_MAX, &le)) != WU_OK) return rc;
    if (le != -1)
        return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "last_epoch"),
                            "%s: last_epoch must be -1; to resume, evaluate the schedule at the "
                            "step you resume from", c->text);
    int idx = wu__new_node(s, HF[i].kind, t, call, err);
    if (idx < 0) return idx;
    s->root = idx;
    wu_node *nd = &s->nodes[idx];
    double lr = s->opts.lr;
    int64_t w, n;
    if ((rc = wu__get_steps(&b, "num_warmup_steps", 0, 0, &w)) != WU_OK) return rc;
    nd->n[0] = w;
    s->warmup_end = w;
    if (nd->kind == H_CONSTANT || nd->kind == H_CONST_WARMUP) return WU_OK;
    if (nd->kind == H_INVSQRT) {
        if ((rc = wu__get_steps(&b, "timescale", w ? w : 10000, 1, &nd->n[1])) != WU_OK) return rc;
        return WU_OK;
    }

    /* the rest need the run length */
    if ((rc = wu__get_steps(&b, "num_training_steps", s->opts.total_steps, 0, &n)) != WU_OK)
        return rc;
    if (n <= 0 && nd->kind != H_WSD)
        return wu__spec_err(err, WU_EINVAL, t, call,
                            "%s: num_training_steps is needed: give it, or the run length "
                            "(total_steps)", c->text);
    if (w > n && nd->kind != H_WSD)
        return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "num_warmup_steps"),
                            "%s: num_warmup_steps=%lld is longer than num_training_steps=%lld",
                            c->text, (long long)w, (long long)n);
    nd->n[1] = n;
    switch (nd->kind) {
    case H_LINEAR: return WU_OK;
    case H_COSINE: return wu__get_num(&b, "num_cycles", 0.5, 0.0, HUGE_VAL, &nd->x[0]);
    case H_RESTARTS: return wu__get_num(&b, "num_cycles", 1.0, 0.0, HUGE_VAL, &nd->x[0]);
    case H_POLY:
        if ((rc = wu__get_num(&b, "lr_end", 1e-7, 0.0, HUGE_VAL, &nd->x[0])) != WU_OK) return rc;
        if ((rc = wu__get_num(&b, "power", 1.0, 0.0, HUGE_VAL, &nd->x[1])) != WU_OK) return rc;
        nd->x[2] = lr;
        if (!(lr > nd->x[0]))
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "lr_end"),
                                "%s: lr_end (%g) must be smaller than the initial LR (%g)",
                                c->text, nd->x[0], lr);
        if (n == w)
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "%s: num_training_steps equals num_warmup_steps, leaving no "
                                "decay steps (HF divides by zero there)", c->text);
        return WU_OK;
    case H_COS_MIN:
    case H_COS_WARM_MIN:
        if ((rc = wu__get_num(&b, "num_cycles", 0.5, 0.0, HUGE_VAL, &nd->x[0])) != WU_OK) return rc;
        if ((rc = min_rate(&b, lr, &nd->x[1])) != WU_OK) return rc;
        if (nd->kind == H_COS_WARM_MIN && wu__has(&b, "warmup_lr_rate")) {
            nd->n[2] = 1;
            return wu__get_num(&b, "warmup_lr_rate", 0.0, 0.0, 1.0, &nd->x[2]);
        }
        return WU_OK;
    case H_WSD: {
        static const char *const shapes[] = {"linear", "cosine", "1-sqrt", NULL};
        static const int map[] = {S_LINEAR, S_COS, S_SQRT};
        int wt, dt;
        int64_t d, st;
        if (!wu__has(&b, "num_decay_steps"))
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "%s: missing argument 'num_decay_steps'", c->text);
        if ((rc = wu__get_steps(&b, "num_decay_steps", 0, 0, &d)) != WU_OK) return rc;
        if (wu__has(&b, "num_stable_steps")) {
            if ((rc = wu__get_steps(&b, "num_stable_steps", 0, 0, &st)) != WU_OK) return rc;
        } else {
            if (n <= 0)
                return wu__spec_err(err, WU_EINVAL, t, call,
                                    "%s: give num_training_steps, num_stable_steps or "
                                    "the run length (total_steps)", c->text);
            st = n - w - d;
            if (st < 0)
                return wu__spec_err(err, WU_EINVAL, t, call,
                                    "%s: num_warmup_steps + num_decay_steps (%lld) "
                                    "exceed num_training_steps (%lld)", c->text,
                                    (long long)(w + d), (long long)n);
        }
        if ((rc = wu__get_choice(&b, "warmup_type", shapes, 0, &wt)) != WU_OK) return rc;
        if ((rc = wu__get_choice(&b, "decay_type", shapes, 1, &dt)) != WU_OK) return rc;
        if ((rc = wu__get_num(&b, "min_lr_ratio", 0.0, 0.0, 1.0, &nd->x[0])) != WU_OK) return rc;
        if ((rc = wu__get_num(&b, "num_cycles", 0.5, 0.0, HUGE_VAL, &nd->x[1])) != WU_OK) return rc;
        nd->n[1] = st;
        nd->n[2] = d;
        nd->shape = map[wt];
        nd->n[3] = map[dt];
        return WU_OK;
    }
    default: return WU_OK;
    }
}
