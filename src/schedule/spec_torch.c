/* spec_torch.c - torch:Class(...) specs: PyTorch 1.13's lr_scheduler classes, by their own
 * argument names and defaults.
 *
 * Each class becomes one node whose closed form equals what PyTorch's recursive step() produces
 * (sched.c). Configurations on which PyTorch 1.13 crashes (a ZeroDivisionError at some later
 * step) or silently does something else than its documentation are rejected here with the
 * reason, instead of being reproduced. docs/SPEC.md lists each one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spec_ast.h"

enum { CTX_ROOT, CTX_SEQUENTIAL, CTX_CHAINED };

static int bind_class(wu_schedule *s, const wu_ast_tree *t, int call, int ctx, wu_error *err,
                      int *out);

/* Arguments every class accepts: last_epoch must stay -1 (resuming is the caller's step
 * counter), verbose only prints in PyTorch. */
static int check_common(const wu_bind *b)
{
    int64_t le;
    int verbose, rc;
    if ((rc = wu__get_int(b, "last_epoch", -1, INT64_MIN, INT64_MAX, &le)) != WU_OK) return rc;
    if (le != -1)
        return wu__spec_err(b->err, WU_EINVAL, b->t, wu__arg(b, "last_epoch"),
                            "%s: last_epoch must be -1; to resume, evaluate the schedule at the "
                            "step you resume from", b->t->n[b->call].text);
    return wu__get_bool(b, "verbose", 0, &verbose);
}

/* The children of SequentialLR / ChainedScheduler: a list of calls. */
static int bind_children(wu_schedule *s, const wu_bind *b, int ctx, wu_node **nd, int self)
{
    int a = wu__arg(b, "schedulers");
    const char *cls = b->t->n[b->call].text;
    if (a < 0)
        return wu__spec_err(b->err, WU_EINVAL, b->t, b->call,
                            "%s: missing argument 'schedulers' (a list like [LinearLR(...), "
                            "CosineAnnealingLR(...)])", cls);
    const wu_ast *l = &b->t->n[a];
    if (l->type != A_LIST || l->nargs == 0)
        return wu__spec_err(b->err, WU_EINVAL, b->t, a,
                            "%s: 'schedulers' must be a non-empty list of schedulers", cls);
    if (l->nargs > WU_MAX_KIDS)
        return wu__spec_err(b->err, WU_ERANGE, b->t, a, "%s: at most %d schedulers", cls,
                            WU_MAX_KIDS);
    for (int i = 0; i < l->nargs; i++) {
        int kid, rc;
        if (b->t->n[l->args[i]].type != A_CALL)
            return wu__spec_err(b->err, WU_EINVAL, b->t, l->args[i],
                                "%s: item %d of 'schedulers' must be a scheduler like "
                                "LinearLR(total_iters=10)", cls, i + 1);
        if ((rc = bind_class(s, b->t, l->args[i], ctx, b->err, &kid)) != WU_OK) return rc;
        *nd = &s->nodes[self]; /* nodes may not move, but keep the pointer fresh */
        (*nd)->kid[(*nd)->nkids++] = kid;
    }
    return WU_OK;
}

static const char *const P_STEP[] = {"step_size", "gamma", "last_epoch", "verbose", NULL};
static const char *const P_MULTI[] = {"milestones", "gamma", "last_epoch", "verbose", NULL};
static const char *const P_CONST[] = {"factor", "total_iters", "last_epoch", "verbose", NULL};
static const char *const P_LINEAR[] = {"start_factor", "end_factor", "total_iters", "last_epoch",
                                       "verbose", NULL};
static const char *const P_EXP[] = {"gamma", "last_epoch", "verbose", NULL};
static const char *const P_POLY[] = {"total_iters", "power", "last_epoch", "verbose", NULL};
static const char *const P_COS[] = {"T_max", "eta_min", "last_epoch", "verbose", NULL};
static const char *const P_WARM[] = {"T_0", "T_mult", "eta_min", "last_epoch", "verbose", NULL};
static const char *const P_CYC[] = {"base_lr", "max_lr", "step_size_up", "step_size_down",
                                    "mode", "gamma", "scale_fn", "scale_mode", "cycle_momentum",
                                    "base_momentum", "max_momentum", "last_epoch", "verbose",
                                    NULL};
static const char *const P_ONE[] = {"max_lr", "total_steps", "epochs", "steps_per_epoch",
                                    "pct_start", "anneal_strategy", "cycle_momentum",
                                    "base_momentum", "max_momentum", "div_factor",
                                    "final_div_factor", "three_phase", "last_epoch", "verbose",
                                    NULL};
static const char *const P_SEQ[] = {"schedulers", "milestones", "last_epoch", "verbose", NULL};
static const char *const P_CHAIN[] = {"schedulers", NULL};
static const char *const P_PLAT[] = {"mode", "factor", "patience", "threshold", "threshold_mode",
                                     "cooldown", "min_lr", "eps", "verbose", NULL};

static const char *const CLASSES[] = {
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
    "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau", NULL};
static const int KINDS[] = {T_STEP, T_MULTISTEP, T_CONSTANT, T_LINEAR, T_EXPONENTIAL, T_POLY,
                            T_COSINE, T_WARMRESTARTS, T_CYCLIC, T_ONECYCLE, T_SEQUENTIAL,
                            T_CHAINED, K_PLATEAU};
static const char *const *const PARAMS[] = {P_STEP, P_MULTI, P_CONST, P_LINEAR, P_EXP, P_POLY,
                                            P_COS, P_WARM, P_CYC, P_ONE, P_SEQ, P_CHAIN, P_PLAT};

/* PyTorch divides by each OneCycleLR phase's length. An empty first phase fails at step 0; an
 * empty middle phase is never entered; an empty last phase is entered only at step total_steps
 * (pct_start = 1). Returns the number of steps PyTorch can produce: 0, total_steps or
 * total_steps + 1. */
int64_t wu__onecycle_horizon(const wu_node *nd)
{
    double total = (double)nd->n[0], pct = nd->x[1];
    int three = (int)nd->n[1];
    double first = pct * total - 1.0;
    double before_last = three ? 2.0 * pct * total - 2.0 : first;
    if (first == 0.0) return 0;
    if (total - 1.0 - before_last == 0.0) return nd->n[0];
    return nd->n[0] + 1;
}

static int bind_onecycle(wu_schedule *s, wu_bind *bp, wu_node *nd, int idx)
{
    wu_bind b = *bp;
    int rc, three, anneal, dummy;
    double dm;
    static const char *const anneals[] = {"cos", "linear", NULL};
    if (!wu__has(&b, "max_lr"))
        return wu__spec_err(b.err, WU_EINVAL, b.t, b.call, "OneCycleLR: missing argument 'max_lr'");
    NUM("max_lr", 0, 1e-300, HUGE_VAL, &nd->x[0]);
    if (wu__has(&b, "total_steps")) {
        INT("total_steps", 0, 1, &nd->n[0]);
    } else if (wu__has(&b, "epochs") && wu__has(&b, "steps_per_epoch")) {
        int64_t ep, spe;
        INT("epochs", 0, 1, &ep);
        INT("steps_per_epoch", 0, 1, &spe);
        nd->n[0] = ep * spe;
    } else {
        return wu__spec_err(b.err, WU_EINVAL, b.t, b.call,
                            "OneCycleLR: give total_steps, or epochs and steps_per_epoch");
    }
    NUM("pct_start", 0.3, 0.0, 1.0, &nd->x[1]);
    NUM("div_factor", 25.0, 1e-300, HUGE_VAL, &nd->x[2]);
    NUM("final_div_factor", 1e4, 1e-300, HUGE_VAL, &nd->x[3]);
    NUM("base_momentum", 0.85, 0.0, 1.0, &dm);
    NUM("max_momentum", 0.95, 0.0, 1.0, &dm);
    if ((rc = wu__get_bool(&b, "cycle_momentum", 1, &dummy)) != WU_OK) return rc;
    if ((rc = wu__get_bool(&b, "three_phase", 0, &three)) != WU_OK) return rc;
    if ((rc = wu__get_choice(&b, "anneal_strategy", anneals, 0, &anneal)) != WU_OK) return rc;
    nd->n[1] = three;
    nd->shape = anneal;
    int64_t horizon = wu__onecycle_horizon(nd);
    if (horizon == 0)
        return wu__spec_err(b.err, WU_EINVAL, b.t, b.call,
                            "OneCycleLR: pct_start=%g with total_steps=%lld makes the first "
                            "phase empty (PyTorch 1.13 divides by zero at step 0); change "
                            "pct_start", nd->x[1], (long long)nd->n[0]);
    double total = (double)nd->n[0], pct = nd->x[1];
    s->horizon = horizon; /* PyTorch raises "Tried to step ..." past total_steps */
    s->warmup_end = (int64_t)ceil(pct * total);
    (void)idx;
    return WU_OK;
}

/* ReduceLROnPlateau's arguments and initial state, shared by torch: and the native plateau(). */
int wu__plateau_bind(wu_schedule *s, const wu_bind *bp, wu_node *nd)
{
    wu_bind b = *bp;
    const wu_ast_tree *t = b.t;
    wu_error *err = b.err;
    int call = b.call, rc;
    double lr = s->opts.lr;
    static const char *const modes[] = {"min", "max", NULL};
    static const char *const tmodes[] = {"rel", "abs", NULL};
    wu_plateau *p;
    int dummy;
    if (s->nplat >= WU_MAX_PLATEAU)
        return wu__spec_err(err, WU_ERANGE, t, call, "too many plateau nodes (at most %d)",
                            WU_MAX_PLATEAU);
    p = &s->plat[s->nplat];
    nd->n[0] = s->nplat++;
    if ((rc = wu__get_choice(&b, "mode", modes, 0, &p->mode_max)) != WU_OK) return rc;
    if ((rc = wu__get_choice(&b, "threshold_mode", tmodes, 0, &p->thr_abs)) != WU_OK)
        return rc;
    if ((rc = wu__get_bool(&b, "verbose", 0, &dummy)) != WU_OK) return rc;
    NUM("factor", 0.1, 0.0, 1.0, &p->factor);
    if (p->factor >= 1.0)
        return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "factor"),
                            "ReduceLROnPlateau: factor must be < 1.0");
    INT("patience", 10, 0, &p->patience);
    NUM("threshold", 1e-4, 0.0, HUGE_VAL, &p->threshold);
    INT("cooldown", 0, 0, &p->cooldown);
    NUM("min_lr", 0.0, 0.0, HUGE_VAL, &p->min_lr);
    NUM("eps", 1e-8, 0.0, HUGE_VAL, &p->eps);
    p->lr = lr;
    p->best = p->mode_max ? -HUGE_VAL : HUGE_VAL;
    return WU_OK;
}

static int bind_class(wu_schedule *s, const wu_ast_tree *t, int call, int ctx, wu_error *err,
                      int *out)
{
    const wu_ast *c = &t->n[call];
    int ci = 0, rc;
    /* fully qualified names as pasted: torch.optim.lr_scheduler.LinearLR and its tails */
    if (c->qual[0] && strcmp(c->qual, "torch.optim.lr_scheduler") != 0 &&
        strcmp(c->qual, "optim.lr_scheduler") != 0 && strcmp(c->qual, "lr_scheduler") != 0)
        return wu__spec_err(err, WU_EINVAL, t, call,
                            "'%s.%s': PyTorch's schedulers live in torch.optim.lr_scheduler; "
                            "write %s, lr_scheduler.%s or torch.optim.lr_scheduler.%s", c->qual,
                            c->text, c->text, c->text, c->text);
    while (CLASSES[ci] && strcmp(CLASSES[ci], c->text) != 0) ci++;
    if (!CLASSES[ci]) {
        if (!strcmp(c->text, "LambdaLR") || !strcmp(c->text, "MultiplicativeLR"))
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "%s takes a Python function and has no spec form; write the "
                                "function as a native spec instead", c->text);
        return wu__spec_err(err, WU_EINVAL, t, call,
                            "unknown PyTorch scheduler '%s'; known: StepLR, MultiStepLR, "
                            "ConstantLR, LinearLR, ExponentialLR, PolynomialLR, "
                            "CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, "
                            "OneCycleLR, SequentialLR, ChainedScheduler, ReduceLROnPlateau",
                            c->text);
    }
    int kind = KINDS[ci];
    if (ctx != CTX_ROOT) {
        const char *parent = ctx == CTX_SEQUENTIAL ? "SequentialLR" : "ChainedScheduler";
        if (kind == T_SEQUENTIAL || kind == T_CHAINED || kind == K_PLATEAU)
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "%s inside %s is not supported (PyTorch 1.13 cannot step it "
                                "there)", c->text, parent);
        if (kind == T_CYCLIC || kind == T_ONECYCLE)
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "%s inside %s is not supported: it rewrites the optimizer's "
                                "base LR, which changes its siblings in PyTorch; use it alone",
                                c->text, parent);
        if (ctx == CTX_CHAINED && kind == T_WARMRESTARTS)
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "CosineAnnealingWarmRestarts sets the LR outright and cannot be "
                                "chained as a factor; use it alone or in SequentialLR");
    }
    wu_bind b;
    if ((rc = wu__bind_py(&b, t, call, PARAMS[ci], &s->opts, err)) != WU_OK) return rc;
    if (kind != T_CHAINED && kind != K_PLATEAU && (rc = check_common(&b)) != WU_OK) return rc;
    int idx = wu__new_node(s, kind, t, call, err);
    if (idx < 0) return idx;
    wu_node *nd = &s->nodes[idx];
    double lr = s->opts.lr;
    *out = idx;

    switch (kind) {
    case T_STEP:
        if (!wu__has(&b, "step_size"))
            return wu__spec_err(err, WU_EINVAL, t, call, "StepLR: missing argument 'step_size'");
        STEPS("step_size", 0, 1, &nd->n[0]);
        NUM("gamma", 0.1, 0.0, HUGE_VAL, &nd->x[0]);
        return WU_OK;
    case T_MULTISTEP:
        if ((rc = wu__get_list_steps(s, &b, "milestones", 0, nd)) != WU_OK) return rc;
        NUM("gamma", 0.1, 0.0, HUGE_VAL, &nd->x[0]);
        return WU_OK;
    case T_CONSTANT:
        NUM("factor", 1.0 / 3.0, 0.0, 1.0, &nd->x[0]);
        STEPS("total_iters", 5, 0, &nd->n[0]);
        if (nd->x[0] == 0.0)
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "factor"),
                                "ConstantLR: factor=0 makes PyTorch 1.13 divide by zero at "
                                "total_iters; use a small factor such as 1e-8, or the native "
                                "constant(D, 0) > ...");
        if (nd->n[0] == 0)
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "total_iters"),
                                "ConstantLR: total_iters=0 is an empty phase (PyTorch 1.13 then "
                                "keeps the factor forever); use total_iters >= 1");
        if (ctx == CTX_ROOT) s->warmup_end = nd->n[0];
        return WU_OK;
    case T_LINEAR:
        NUM("start_factor", 1.0 / 3.0, 0.0, 1.0, &nd->x[0]);
        NUM("end_factor", 1.0, 0.0, 1.0, &nd->x[1]);
        STEPS("total_iters", 5, 0, &nd->n[0]);
        if (nd->x[0] == 0.0)
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "start_factor"),
                                "LinearLR: start_factor=0 makes PyTorch 1.13 divide by zero at "
                                "step 1; use a small start_factor such as 1e-8, or the native "
                                "warmup(D)");
        if (nd->n[0] == 0)
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "total_iters"),
                                "LinearLR: total_iters=0 is an empty phase (PyTorch 1.13 divides "
                                "by it); use total_iters >= 1");
        if (ctx == CTX_ROOT && nd->x[0] < nd->x[1]) s->warmup_end = nd->n[0];
        return WU_OK;
    case T_EXPONENTIAL:
        if (!wu__has(&b, "gamma"))
            return wu__spec_err(err, WU_EINVAL, t, call, "ExponentialLR: missing argument 'gamma'");
        NUM("gamma", 1.0, 0.0, HUGE_VAL, &nd->x[0]);
        return WU_OK;
    case T_POLY:
        STEPS("total_iters", 5, 1, &nd->n[0]);
        NUM("power", 1.0, 0.0, HUGE_VAL, &nd->x[0]);
        return WU_OK;
    case T_COSINE:
        if (!wu__has(&b, "T_max"))
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "CosineAnnealingLR: missing argument 'T_max'");
        STEPS("T_max", 0, 1, &nd->n[0]);
        NUM("eta_min", 0.0, 0.0, HUGE_VAL, &nd->x[0]);
        if (nd->x[0] > lr)
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "eta_min"),
                                "CosineAnnealingLR: eta_min=%g is above the base LR %g", nd->x[0],
                                lr);
        if (ctx == CTX_CHAINED) {
            if (nd->x[0] != 0.0)
                return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "eta_min"),
                                    "CosineAnnealingLR with eta_min != 0 is not a factor and "
                                    "cannot be chained; use SequentialLR or eta_min=0");
            /* past T_max PyTorch adds a term instead of multiplying: stop there */
            if (s->horizon > nd->n[0] + 1) s->horizon = nd->n[0] + 1;
        }
        return WU_OK;
    case T_WARMRESTARTS:
        if (!wu__has(&b, "T_0"))
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "CosineAnnealingWarmRestarts: missing argument 'T_0'");
        INT("T_0", 0, 1, &nd->n[0]);
        INT("T_mult", 1, 1, &nd->n[1]);
        NUM("eta_min", 0.0, 0.0, HUGE_VAL, &nd->x[0]);
        if (nd->x[0] > lr)
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "eta_min"),
                                "CosineAnnealingWarmRestarts: eta_min=%g is above the base LR %g",
                                nd->x[0], lr);
        return WU_OK;
    case T_CYCLIC: {
        static const char *const modes[] = {"triangular", "triangular2", "exp_range", NULL};
        static const char *const smodes[] = {"cycle", "iterations", NULL};
        int64_t up, down;
        int dummy;
        double dm;
        if (!wu__has(&b, "base_lr") || !wu__has(&b, "max_lr"))
            return wu__spec_err(err, WU_EINVAL, t, call,
                                "CyclicLR: missing argument '%s'",
                                wu__has(&b, "base_lr") ? "max_lr" : "base_lr");
        NUM("base_lr", 0, 0.0, HUGE_VAL, &nd->x[0]);
        NUM("max_lr", 0, 0.0, HUGE_VAL, &nd->x[1]);
        STEPS("step_size_up", 2000, 1, &up);
        STEPS("step_size_down", up, 1, &down);
        NUM("gamma", 1.0, 0.0, HUGE_VAL, &nd->x[2]);
        NUM("base_momentum", 0.8, 0.0, 1.0, &dm);
        NUM("max_momentum", 0.9, 0.0, 1.0, &dm);
        if ((rc = wu__get_bool(&b, "cycle_momentum", 1, &dummy)) != WU_OK) return rc;
        if ((rc = wu__get_choice(&b, "mode", modes, 0, &nd->shape)) != WU_OK) return rc;
        if ((rc = wu__get_choice(&b, "scale_mode", smodes, 0, &dummy)) != WU_OK) return rc;
        if (wu__has(&b, "scale_fn"))
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "scale_fn"),
                                "CyclicLR: scale_fn takes a Python function; use mode= instead");
        nd->x[3] = (double)up;
        nd->x[4] = (double)down;
        return WU_OK;
    }
    case T_ONECYCLE: return bind_onecycle(s, &b, nd, idx);
    case T_SEQUENTIAL: {
        if ((rc = bind_children(s, &b, CTX_SEQUENTIAL, &nd, idx)) != WU_OK) return rc;
        if ((rc = wu__get_list_steps(s, &b, "milestones", 0, nd)) != WU_OK) return rc;
        if (nd->list_len != nd->nkids - 1)
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "milestones"),
                                "SequentialLR: %d schedulers need %d milestone%s, got %d",
                                nd->nkids, nd->nkids - 1, nd->nkids == 2 ? "" : "s",
                                nd->list_len);
        const int64_t *m = s->ints + nd->list_off;
        /* int_list sorted them; an unsorted input changes which child PyTorch picks */
        const wu_ast *ml = &t->n[wu__arg(&b, "milestones")];
        for (int i = 0; i < nd->list_len; i++) {
            int64_t given;
            wu__node_steps(t, ml->args[i], &s->opts, err, "milestone", &given);
            if (given != m[i] || m[i] < 1)
                return wu__spec_err(err, WU_EINVAL, t, ml->args[i],
                                    "SequentialLR: milestones must be increasing and >= 1");
        }
        const wu_node *first = &s->nodes[nd->kid[0]];
        if (nd->list_len > 0 &&
            (first->kind == T_CONSTANT || (first->kind == T_LINEAR && first->x[0] < first->x[1])))
            s->warmup_end = m[0];
        return WU_OK;
    }
    case T_CHAINED: {
        if ((rc = bind_children(s, &b, CTX_CHAINED, &nd, idx)) != WU_OK) return rc;
        for (int i = 0; i < nd->nkids; i++) {
            const wu_node *k = &s->nodes[nd->kid[i]];
            if ((k->kind == T_LINEAR && k->x[0] < k->x[1]) || k->kind == T_CONSTANT)
                if (k->n[0] > s->warmup_end) s->warmup_end = k->n[0];
        }
        return WU_OK;
    }
    case K_PLATEAU: return wu__plateau_bind(s, &b, nd);
    default: return WU_OK;
    }
}

int wu__bind_torch(wu_schedule *s, const wu_ast_tree *t, wu_error *err)
{
    if (t->n[t->root].type != A_CALL)
        return wu__spec_err(err, WU_EPARSE, t, t->root,
                            "expected a scheduler call such as torch:LinearLR(total_iters=10)");
    return bind_class(s, t, t->root, CTX_ROOT, err, &s->root);
}
