/* spec_bind.c - from syntax to schedule: the parse entry point and typed argument binding.
 *
 * Each dialect binder declares a function's parameters in positional order; wu__bind() maps
 * positional and keyword arguments onto them the way Python does, and the getters check types
 * and ranges, so every dialect reports mistakes in the same words and with a column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_ast.h"

int wu__new_node(wu_schedule *s, int kind, const wu_ast_tree *t, int at, wu_error *err)
{
    if (s->nnodes >= WU_MAX_NODES)
        return wu__spec_err(err, WU_ERANGE, t, at, "schedule has too many parts (at most %d)",
                            WU_MAX_NODES);
    wu_node *nd = &s->nodes[s->nnodes];
    memset(nd, 0, sizeof *nd);
    nd->kind = kind;
    nd->len = WU_FOREVER;
    return s->nnodes++;
}

static void list_params(const char *const *params, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; params[i] && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", params[i]);
}

/* A Python identifier standing for a variable (the optimizer), not a literal. */
static int is_variable(const wu_ast *a)
{
    static const char *const lit[] = {"True", "False", "None", "true", "false", NULL};
    if (a->type != A_NAME) return 0;
    for (int i = 0; lit[i]; i++)
        if (!a->qual[0] && strcmp(a->text, lit[i]) == 0) return 0;
    return 1;
}

static int bind_args(wu_bind *b, const wu_ast_tree *t, int call, const char *const *params,
                     const wu_sched_opts *opts, wu_error *err, int py);

int wu__bind(wu_bind *b, const wu_ast_tree *t, int call, const char *const *params,
             const wu_sched_opts *opts, wu_error *err)
{
    return bind_args(b, t, call, params, opts, err, 0);
}

int wu__bind_py(wu_bind *b, const wu_ast_tree *t, int call, const char *const *params,
                const wu_sched_opts *opts, wu_error *err)
{
    return bind_args(b, t, call, params, opts, err, 1);
}

static int bind_args(wu_bind *b, const wu_ast_tree *t, int call, const char *const *params,
                     const wu_sched_opts *opts, wu_error *err, int py)
{
    const wu_ast *c = &t->n[call];
    char names[200];
    int np = 0;
    while (params[np]) np++;
    b->t = t;
    b->call = call;
    b->params = params;
    b->opts = opts;
    b->err = err;
    for (int i = 0; i < WU_AST_ARGS; i++) b->slot[i] = -1;
    int pos = 0, optimizer = 0;
    for (int j = 0; j < c->nargs; j++) {
        const wu_ast *a = &t->n[c->args[j]];
        /* PyTorch's and HF's first argument, the optimizer, as pasted: a name (optimizer, opt,
           self.optimizer) first or as optimizer=NAME; there is no optimizer here to pass */
        if (py && ((j == 0 && is_variable(a)) ||
                   (a->type == A_KW && !strcmp(a->text, "optimizer")))) {
            if (a->type == A_KW && !is_variable(&t->n[a->args[0]]))
                return wu__spec_err(err, WU_EINVAL, t, a->args[0],
                                    "%s: optimizer= takes the optimizer's variable name (it is "
                                    "ignored: the base LR is the run's lr), e.g. optimizer=opt",
                                    c->text);
            if (optimizer)
                return wu__spec_err(err, WU_EINVAL, t, c->args[j],
                                    "%s got two values for 'optimizer' (positional and keyword)",
                                    c->text);
            optimizer = 1;
            continue;
        }
        if (py) {
            const wu_ast *v = a->type == A_KW ? &t->n[a->args[0]] : a;
            if (v->type == A_NAME && v->qual[0])
                return wu__spec_err(err, WU_EINVAL, t, a->type == A_KW ? a->args[0] : c->args[j],
                                    "%s: '%s.%s' is a Python variable; only the optimizer may "
                                    "be one (write the value itself)", c->text, v->qual, v->text);
        }
        if (a->type != A_KW) {
            if (pos >= np) {
                list_params(params, names, sizeof names);
                return wu__spec_err(err, WU_EINVAL, t, c->args[j],
                                    "%s takes at most %d positional argument%s%s (%s)", c->text,
                                    np, np == 1 ? "" : "s", optimizer ? " after the optimizer" : "",
                                    names);
            }
            b->slot[pos++] = c->args[j];
            continue;
        }
        int k = 0;
        while (params[k] && strcmp(params[k], a->text) != 0) k++;
        if (!params[k]) {
            list_params(params, names, sizeof names);
            return wu__spec_err(err, WU_EINVAL, t, c->args[j],
                                "%s has no argument '%s'; it takes: %s", c->text, a->text, names);
        }
        if (b->slot[k] >= 0)
            return wu__spec_err(err, WU_EINVAL, t, c->args[j],
                                "%s got two values for '%s' (positional and keyword)", c->text,
                                a->text);
        b->slot[k] = a->args[0];
    }
    return WU_OK;
}

static int param_index(const wu_bind *b, const char *name)
{
    for (int i = 0; b->params[i]; i++)
        if (strcmp(b->params[i], name) == 0) return i;
    return -1;
}

int wu__arg(const wu_bind *b, const char *name)
{
    int i = param_index(b, name);
    return i < 0 ? -1 : b->slot[i];
}

int wu__has(const wu_bind *b, const char *name)
{
    int a = wu__arg(b, name);
    return a >= 0 && !(b->t->n[a].type == A_NAME && strcmp(b->t->n[a].text, "None") == 0);
}

static const char *callee(const wu_bind *b) { return b->t->n[b->call].text; }

int wu__get_num(const wu_bind *b, const char *name, double def, double lo, double hi,
                double *out)
{
    int a = wu__arg(b, name);
    *out = def;
    if (a < 0 || !wu__has(b, name)) return WU_OK;
    const wu_ast *v = &b->t->n[a];
    if (v->type == A_LIST)
        return wu__spec_err(b->err, WU_EINVAL, b->t, a,
                            "%s: '%s' must be a number; per-group lists are not supported in "
                            "specs: build one schedule per parameter group", callee(b), name);
    if (v->type != A_NUM || v->unit)
        return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s: '%s' must be a number%s",
                            callee(b), name, v->unit ? " without a unit" : "");
    if (!(v->num >= lo && v->num <= hi)) {
        if (hi == HUGE_VAL)
            return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s: '%s' must be >= %g, got %g",
                                callee(b), name, lo, v->num);
        return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s: '%s' must be in [%g, %g], got %g",
                            callee(b), name, lo, hi, v->num);
    }
    *out = v->num;
    return WU_OK;
}

int wu__get_int(const wu_bind *b, const char *name, int64_t def, int64_t lo, int64_t hi,
                int64_t *out)
{
    int a = wu__arg(b, name);
    *out = def;
    if (a < 0 || !wu__has(b, name)) return WU_OK;
    const wu_ast *v = &b->t->n[a];
    if (v->type != A_NUM || v->unit || !v->is_int || fabs(v->num) > 9e15)
        return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s: '%s' must be an integer",
                            callee(b), name);
    int64_t x = (int64_t)v->num;
    if (x < lo || x > hi) {
        if (hi == INT64_MAX)
            return wu__spec_err(b->err, WU_EINVAL, b->t, a,
                                "%s: '%s' must be >= %lld, got %lld", callee(b), name,
                                (long long)lo, (long long)x);
        return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s: '%s' must be in [%lld, %lld], got %lld",
                            callee(b), name, (long long)lo, (long long)hi, (long long)x);
    }
    *out = x;
    return WU_OK;
}

int wu__node_steps(const wu_ast_tree *t, int a, const wu_sched_opts *o, wu_error *err,
                   const char *what, int64_t *out)
{
    const wu_ast *v = &t->n[a];
    if (v->type != A_NUM)
        return wu__spec_err(err, WU_EINVAL, t, a,
                            "%s must be a duration: steps (500), a percentage of the run (10%%), "
                            "epochs (2ep), tokens (375M tok) or samples (2M samples)", what);
    if (!isfinite(v->num) || v->num < 0)
        return wu__spec_err(err, WU_EINVAL, t, a, "%s must not be negative, got %g", what,
                            v->num);
    double steps;
    if (v->unit == '%') {
        if (o->total_steps <= 0)
            return wu__spec_err(err, WU_EINVAL, t, a,
                                "%s is %g%% of the run, but the run length is unknown: give the "
                                "total number of steps (total_steps)", what, v->num);
        if (v->num > 100)
            return wu__spec_err(err, WU_EINVAL, t, a, "%s is %g%%, more than the whole run",
                                what, v->num);
        /* as the guide's int(0.1 * total_steps): round down */
        steps = floor((double)o->total_steps * v->num / 100.0);
    } else if (v->unit == 'e') {
        if (o->steps_per_epoch <= 0)
            return wu__spec_err(err, WU_EINVAL, t, a,
                                "%s is %g epochs, but the epoch length is unknown: give "
                                "it (steps_per_epoch)", what, v->num);
        steps = floor(v->num * (double)o->steps_per_epoch);
    } else if (v->unit == 't' || v->unit == 's') {
        /* one step is one optimizer update: the tokens or samples it consumes over every
           micro-batch of its accumulation and every worker (docs/SPEC.md, "What a step is") */
        int tok = v->unit == 't';
        int64_t per = tok ? o->tokens_per_step : o->samples_per_step;
        if (per <= 0)
            return wu__spec_err(err, WU_EINVAL, t, a,
                                "%s is %.15g %s, but the %s per step are unknown: give them "
                                "(%s)", what, v->num, tok ? "tokens" : "samples",
                                tok ? "tokens" : "samples",
                                tok ? "tokens_per_step" : "samples_per_step");
        if (v->num > 9e18)
            return wu__spec_err(err, WU_EINVAL, t, a, "%s is too large", what);
        /* rounded down, as 10% is: whole amounts divide exactly in integers */
        steps = v->num == floor(v->num) ? (double)((int64_t)v->num / per)
                                        : floor(v->num / (double)per);
    } else {
        if (!v->is_int)
            return wu__spec_err(err, WU_EINVAL, t, a,
                                "%s must be a whole number of steps, got %g (use %% or ep for "
                                "fractions)", what, v->num);
        steps = v->num;
    }
    if (steps > 9e15)
        return wu__spec_err(err, WU_EINVAL, t, a, "%s is too large", what);
    *out = (int64_t)steps;
    return WU_OK;
}

int wu__get_steps(const wu_bind *b, const char *name, int64_t def, int64_t lo, int64_t *out)
{
    int a = wu__arg(b, name);
    char what[96];
    *out = def;
    if (a < 0 || !wu__has(b, name)) return WU_OK;
    snprintf(what, sizeof what, "%s: '%s'", callee(b), name);
    int rc = wu__node_steps(b->t, a, b->opts, b->err, what, out);
    if (rc != WU_OK) return rc;
    if (*out < lo)
        return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s must be at least %lld step%s, got %lld",
                            what, (long long)lo, lo == 1 ? "" : "s", (long long)*out);
    return WU_OK;
}

int wu__get_bool(const wu_bind *b, const char *name, int def, int *out)
{
    int a = wu__arg(b, name);
    *out = def;
    if (a < 0) return WU_OK;
    const wu_ast *v = &b->t->n[a];
    if (v->type == A_NAME && (!strcmp(v->text, "True") || !strcmp(v->text, "true"))) *out = 1;
    else if (v->type == A_NAME && (!strcmp(v->text, "False") || !strcmp(v->text, "false"))) *out = 0;
    else if (v->type == A_NUM && v->is_int && !v->unit && (v->num == 0 || v->num == 1))
        *out = v->num != 0;
    else
        return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s: '%s' must be True or False",
                            callee(b), name);
    return WU_OK;
}

int wu__get_choice(const wu_bind *b, const char *name, const char *const *choices, int def,
                   int *out)
{
    int a = wu__arg(b, name);
    char names[200];
    *out = def;
    if (a < 0) return WU_OK;
    const wu_ast *v = &b->t->n[a];
    if (v->type == A_STR || v->type == A_NAME)
        for (int i = 0; choices[i]; i++)
            if (strcmp(choices[i], v->text) == 0) {
                *out = i;
                return WU_OK;
            }
    list_params(choices, names, sizeof names);
    return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s: '%s' must be one of: %s", callee(b),
                        name, names);
}

/* A list argument of non-negative integers (milestones), sorted into s->ints. */
int wu__get_list_steps(wu_schedule *s, const wu_bind *b, const char *name, int min_items,
                    wu_node *nd)
{
    int a = wu__arg(b, name);
    const char *cls = b->t->n[b->call].text;
    if (a < 0)
        return wu__spec_err(b->err, WU_EINVAL, b->t, b->call, "%s: missing argument '%s'", cls,
                            name);
    const wu_ast *l = &b->t->n[a];
    if (l->type != A_LIST)
        return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s: '%s' must be a list like [30, 80]",
                            cls, name);
    if (l->nargs < min_items)
        return wu__spec_err(b->err, WU_EINVAL, b->t, a, "%s: '%s' needs at least %d item%s", cls,
                            name, min_items, min_items == 1 ? "" : "s");
    if (s->nints + l->nargs > WU_MAX_INTS)
        return wu__spec_err(b->err, WU_ERANGE, b->t, a, "too many list items (at most %d)",
                            WU_MAX_INTS);
    nd->list_off = s->nints;
    nd->list_len = l->nargs;
    for (int i = 0; i < l->nargs; i++) {
        int64_t v;
        char what[64];
        snprintf(what, sizeof what, "%s: item %d of '%s'", cls, i + 1, name);
        int rc = wu__node_steps(b->t, l->args[i], b->opts, b->err, what, &v);
        if (rc != WU_OK) return rc;
        /* insertion sort: PyTorch counts milestones as a multiset, order does not matter */
        int j = s->nints + i;
        while (j > nd->list_off && s->ints[j - 1] > v) {
            s->ints[j] = s->ints[j - 1];
            j--;
        }
        s->ints[j] = v;
    }
    s->nints += l->nargs;
    return WU_OK;
}

/* ---- entry point ------------------------------------------------------------------------- */

wu_status wu_sched_parse(wu_schedule **out, const char *spec, const wu_sched_opts *opts,
                         wu_error *err)
{
    wu_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    if (out) *out = NULL;
    if (!spec || !opts || !out)
        return wu__spec_err(err, WU_EINVAL, NULL, -1, "wu_sched_parse: NULL argument");
    if (!(isfinite(opts->lr) && opts->lr > 0))
        return wu__spec_err(err, WU_EINVAL, NULL, -1,
                            "the base LR must be a positive finite number, got %g", opts->lr);
    if (opts->total_steps < 0 || opts->steps_per_epoch < 0)
        return wu__spec_err(err, WU_EINVAL, NULL, -1,
                            "total steps and steps per epoch must not be negative");
    if (opts->tokens_per_step < 0 || opts->samples_per_step < 0)
        return wu__spec_err(err, WU_EINVAL, NULL, -1,
                            "tokens per step and samples per step must not be negative (0: "
                            "unknown)");

    size_t start = 0;
    while (spec[start] == ' ' || spec[start] == '\t') start++;
    int dialect = 0; /* 0 native, 1 torch, 2 hf */
    if (strncmp(spec + start, "torch:", 6) == 0) { dialect = 1; start += 6; }
    else if (strncmp(spec + start, "hf:", 3) == 0) { dialect = 2; start += 3; }
    else {
        size_t k = start;
        while ((spec[k] >= 'a' && spec[k] <= 'z') || (spec[k] >= 'A' && spec[k] <= 'Z')) k++;
        if (k > start && spec[k] == ':') {
            err->line = 1;
            err->col = (int)start + 1;
            snprintf(err->msg, sizeof err->msg,
                     "spec:1:%d: unknown dialect '%.*s:'; write torch:Class(...), hf:name(...) "
                     "or a native spec such as warmup(10%%) > cosine",
                     (int)start + 1, (int)(k - start), spec + start);
            err->code = WU_EPARSE;
            return WU_EPARSE;
        }
    }

    wu_schedule *s = calloc(1, sizeof *s);
    wu_ast_tree *t = malloc(sizeof *t);
    int rc = WU_ENOMEM;
    if (!s || !t || !(s->spec = malloc(strlen(spec) + 1))) {
        wu__spec_err(err, WU_ENOMEM, NULL, -1, "out of memory");
        goto fail;
    }
    strcpy(s->spec, spec);
    s->opts = *opts;
    s->horizon = WU_FOREVER;
    rc = wu__ast_parse(spec, start, dialect == 0, t, err);
    if (rc != WU_OK) goto fail;
    rc = dialect == 1 ? wu__bind_torch(s, t, err)
       : dialect == 2 ? wu__bind_hf(s, t, err)
                      : wu__bind_native(s, t, err);
    if (rc != WU_OK) goto fail;
    wu__prepare(s);
    free(t);
    *out = s;
    return WU_OK;
fail:
    free(t);
    wu_sched_destroy(s);
    if (err->code == 0) err->code = rc;
    return rc;
}
