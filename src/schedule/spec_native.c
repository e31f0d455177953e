/* spec_native.c - the native spec form: short, readable schedules built from phases.
 *
 *     warmup(10%) > cosine(to=0.1)            linear warmup over 10% of the run, then cosine
 *     warmup(500, exp) > constant             the guide's exponential warmup, then constant
 *     warmup(5%) > constant > sqrt(20%)       warmup-stable-decay with a 1-sqrt cooldown
 *     cosine * untuned(beta2=0.999)           pytorch_warmup-style dampening of a decay
 *
 * `a > b` runs phase a, then phase b with its clock restarted; `a * b` multiplies factors.
 * Every phase is a factor of the base LR (--lr). The full grammar is docs/SPEC.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "spec_ast.h"

typedef struct phase_def {
    const char *name;
    int kind;
    int needs_len;   /* 1: a finite curve, takes the rest of the run when no length is given */
    const char *const *params;
} phase_def;

static const char *const P_WARMUP[] = {"len", "shape", "from", "shift", "k", NULL};
static const char *const P_CONST[] = {"len", "level", NULL};
static const char *const P_CURVE[] = {"len", "to", "from", "min", NULL};
static const char *const P_COSINE[] = {"len", "to", "from", "min", "cycles", NULL};
static const char *const P_POLY[] = {"len", "power", "to", "from", "min", NULL};
static const char *const P_INVSQRT[] = {"len", "timescale", NULL};
static const char *const P_EXP[] = {"len", "gamma", "every", "from", NULL};
static const char *const P_STEP[] = {"len", "every", "gamma", "from", NULL};
static const char *const P_MULTI[] = {"len", "milestones", "gamma", "from", NULL};
static const char *const P_RESTARTS[] = {"len", "cycles", "to", "from", "min", NULL};
static const char *const P_SGDR[] = {"len", "T0", "mult", "decay", "warmup", "to", "min", NULL};
static const char *const P_CYCLIC[] = {"len", "up", "down", "low", "mode", "gamma", NULL};
static const char *const P_ONECYCLE[] = {"len", "pct", "div", "final_div", "anneal",
                                         "three_phase", NULL};
static const char *const P_EXPTAU[] = {"len", "tau", NULL};
static const char *const P_UNTUNED[] = {"len", "beta2", "shape", NULL};
static const char *const P_RADAM[] = {"len", "beta2", NULL};
static const char *const P_PLATEAU[] = {"len", "mode", "factor", "patience", "threshold",
                                        "threshold_mode", "cooldown", "min_lr", "eps", NULL};

enum { N_WARMUP, N_CONSTANT, N_LINEAR, N_COSINE, N_POLY, N_SQRT, N_INVSQRT, N_EXP, N_STEP,
       N_MULTISTEP, N_RESTARTS, N_SGDR, N_CYCLIC, N_ONECYCLE, N_EXPTAU, N_UNTUNED, N_RADAM,
       N_PLATEAU };

static const phase_def PHASES[] = {
    [N_WARMUP] = {"warmup", K_WARMUP, 1, P_WARMUP},
    [N_CONSTANT] = {"constant", K_CURVE, 0, P_CONST},
    [N_LINEAR] = {"linear", K_CURVE, 1, P_CURVE},
    [N_COSINE] = {"cosine", K_CURVE, 1, P_COSINE},
    [N_POLY] = {"poly", K_CURVE, 1, P_POLY},
    [N_SQRT] = {"sqrt", K_CURVE, 1, P_CURVE},
    [N_INVSQRT] = {"invsqrt", K_INVSQRT, 0, P_INVSQRT},
    [N_EXP] = {"exp", K_EXPDECAY, 0, P_EXP},
    [N_STEP] = {"step", K_EXPDECAY, 0, P_STEP},
    [N_MULTISTEP] = {"multistep", K_STEPS, 0, P_MULTI},
    [N_RESTARTS] = {"restarts", K_RESTARTS, 1, P_RESTARTS},
    [N_SGDR] = {"sgdr", K_SGDR, 0, P_SGDR},
    [N_CYCLIC] = {"cyclic", K_CYCLIC, 0, P_CYCLIC},
    [N_ONECYCLE] = {"onecycle", T_ONECYCLE, 1, P_ONECYCLE},
    [N_EXPTAU] = {"exptau", K_EXPTAU, 0, P_EXPTAU},
    [N_UNTUNED] = {"untuned", K_WARMUP, 0, P_UNTUNED},
    [N_RADAM] = {"radam", K_RADAM, 0, P_RADAM},
    [N_PLATEAU] = {"plateau", K_PLATEAU, 0, P_PLATEAU},
};
#define NPHASES ((int)(sizeof PHASES / sizeof PHASES[0]))

static const char *const WARM_SHAPES[] = {"linear", "exp", "power", "cos", "sqrt", "sigmoid",
                                          "const", NULL};
static const int WARM_MAP[] = {S_LINEAR, S_EXP, S_POLY, S_COS, S_SQRT, S_SIGMOID, S_CONST};
static const double WARM_K[] = {0, 5.0, 4.0, 0, 0, 10.0, 0};

/* End level of a decay: to= as a ratio of the peak, or min= as an absolute LR. */
static int end_level(const wu_bind *bp, double lr, double *to)
{
    wu_bind b = *bp;
    int rc;
    if (wu__has(&b, "to") && wu__has(&b, "min"))
        return wu__spec_err(b.err, WU_EINVAL, b.t, wu__arg(&b, "min"),
                            "%s: give to= (a ratio of the peak) or min= (an LR), not both",
                            b.t->n[b.call].text);
    if (wu__has(&b, "min")) {
        double m;
        NUM("min", 0.0, 0.0, HUGE_VAL, &m);
        if (m > lr)
            return wu__spec_err(b.err, WU_EINVAL, b.t, wu__arg(&b, "min"),
                                "%s: min=%g is above the peak LR %g", b.t->n[b.call].text, m, lr);
        *to = m / lr;
        return WU_OK;
    }
    NUM("to", 0.0, 0.0, 1.0, to);
    return WU_OK;
}

/* Index of the phase named `name` in PHASES, or -1. */
static int find_phase(const char *name)
{
    for (int i = 0; i < NPHASES; i++)
        if (strcmp(PHASES[i].name, name) == 0) return i;
    return -1;
}

static int phase(wu_schedule *s, const wu_ast_tree *t, int at, int64_t prev_len, wu_error *err,
                 int *out, int *fill)
{
    const wu_ast *c = &t->n[at];
    int rc, pi;
    double lr = s->opts.lr;
    if (c->type != A_CALL && c->type != A_NAME)
        return wu__spec_err(err, WU_EPARSE, t, at,
                            "expected a phase such as warmup(10%%) or cosine, got %s",
                            c->type == A_NUM ? "a number" : "something else");
    if ((pi = find_phase(c->text)) < 0)
        return wu__spec_err(err, WU_EINVAL, t, at,
                            "unknown phase '%s'; known: warmup, constant, linear, cosine, poly, "
                            "sqrt, invsqrt, exp, step, multistep, restarts, sgdr, cyclic, "
                            "onecycle, exptau, untuned, radam, plateau", c->text);
    wu_bind b;
    if ((rc = wu__bind(&b, t, at, PHASES[pi].params, &s->opts, err)) != WU_OK) return rc;
    int idx = wu__new_node(s, PHASES[pi].kind, t, at, err);
    if (idx < 0) return idx;
    wu_node *nd = &s->nodes[idx];
    *out = idx;
    *fill = 0;
    const int len_at = wu__arg(&b, "len");
    if (pi == N_WARMUP && len_at >= 0 && t->n[len_at].type == A_NAME &&
        !strcmp(t->n[len_at].text, "auto")) {
        /* warmup(auto): the length a probe of the model chose (wu_sched_opts) */
        int64_t a = s->opts.auto_warmup_steps;
        if (a == 0)
            return wu__spec_err(err, WU_EINVAL, t, len_at,
                                "warmup(auto): no length has been chosen: run `warmup tune` "
                                "to measure one (`warmup train` probes by itself), or give it "
                                "(auto_warmup_steps)");
        if (a < WU_AUTO_WARMUP_NONE)
            return wu__spec_err(err, WU_EINVAL, t, len_at,
                                "warmup(auto): auto_warmup_steps is %lld; it must be > 0, or "
                                "WU_AUTO_WARMUP_NONE (-1) for no warmup", (long long)a);
        nd->len = a == WU_AUTO_WARMUP_NONE ? 0 : a;
    } else if (wu__has(&b, "len")) {
        STEPS("len", 0, 0, &nd->len);
        if (nd->len == 0 && pi != N_WARMUP)
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "len"),
                                "%s: a phase of 0 steps does nothing; remove it", c->text);
    } else if (pi == N_WARMUP) {
        return wu__spec_err(err, WU_EINVAL, t, at,
                            "warmup needs a length: warmup(500), warmup(10%%), warmup(1ep) or "
                            "warmup(auto)");
    } else if (PHASES[pi].needs_len || PHASES[pi].kind == K_CURVE) {
        *fill = 1; /* the caller assigns the rest of the run */
    }

    switch (pi) {
    case N_WARMUP: {
        int sh;
        if ((rc = wu__get_choice(&b, "shape", WARM_SHAPES, 0, &sh)) != WU_OK) return rc;
        nd->shape = WARM_MAP[sh];
        NUM("from", sh == 6 ? 0.1 : 0.0, 0.0, 1.0, &nd->x[0]);
        INT("shift", 0, 0, &nd->n[0]);
        if (nd->n[0] > 1)
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "shift"),
                                "warmup: shift must be 0 (t/W, as HF) or 1 ((t+1)/W, as llm.c)");
        NUM("k", WARM_K[sh], 1e-9, HUGE_VAL, &nd->x[1]);
        return WU_OK;
    }
    case N_CONSTANT:
        NUM("level", 1.0, 0.0, 1.0, &nd->x[0]);
        nd->shape = S_CONST;
        return WU_OK;
    case N_LINEAR: case N_COSINE: case N_POLY: case N_SQRT:
        nd->shape = pi == N_LINEAR ? S_LINEAR : pi == N_COSINE ? S_COS
                  : pi == N_POLY ? S_POLY : S_SQRT;
        NUM("from", 1.0, 0.0, 1.0, &nd->x[0]);
        if ((rc = end_level(&b, lr, &nd->x[1])) != WU_OK) return rc;
        if (pi == N_COSINE) NUM("cycles", 0.5, 0.0, HUGE_VAL, &nd->x[2]);
        if (pi == N_POLY) NUM("power", 1.0, 0.0, HUGE_VAL, &nd->x[2]);
        return WU_OK;
    case N_INVSQRT: {
        int64_t ts;
        /* as HF's inverse_sqrt: the timescale defaults to the warmup before it */
        STEPS("timescale", prev_len > 0 ? prev_len : 10000, 1, &ts);
        nd->x[0] = (double)ts;
        return WU_OK;
    }
    case N_EXP: case N_STEP:
        if (pi == N_EXP && !wu__has(&b, "gamma"))
            return wu__spec_err(err, WU_EINVAL, t, at,
                                "exp: missing argument 'gamma' (the factor per step, e.g. 0.999)");
        if (pi == N_STEP && !wu__has(&b, "every"))
            return wu__spec_err(err, WU_EINVAL, t, at,
                                "step: missing argument 'every' (steps between drops)");
        NUM("from", 1.0, 0.0, 1.0, &nd->x[0]);
        NUM("gamma", pi == N_STEP ? 0.1 : 1.0, 0.0, HUGE_VAL, &nd->x[1]);
        STEPS("every", 1, 1, &nd->n[0]);
        return WU_OK;
    case N_MULTISTEP:
        if ((rc = wu__get_list_steps(s, &b, "milestones", 1, nd)) != WU_OK) return rc;
        NUM("from", 1.0, 0.0, 1.0, &nd->x[0]);
        NUM("gamma", 0.1, 0.0, HUGE_VAL, &nd->x[1]);
        return WU_OK;
    case N_RESTARTS:
        NUM("from", 1.0, 0.0, 1.0, &nd->x[0]);
        if ((rc = end_level(&b, lr, &nd->x[1])) != WU_OK) return rc;
        NUM("cycles", 1.0, 0.0, HUGE_VAL, &nd->x[2]);
        return WU_OK;
    case N_SGDR:
        if (!wu__has(&b, "T0"))
            return wu__spec_err(err, WU_EINVAL, t, at, "sgdr: missing argument 'T0' (the first "
                                "cycle's length)");
        STEPS("T0", 0, 1, &nd->n[0]);
        INT("mult", 1, 1, &nd->n[1]);
        NUM("decay", 1.0, 0.0, 1.0, &nd->x[1]);
        STEPS("warmup", 0, 0, &nd->n[2]);
        if (nd->n[2] >= nd->n[0])
            return wu__spec_err(err, WU_EINVAL, t, wu__arg(&b, "warmup"),
                                "sgdr: the per-cycle warmup (%lld) must be shorter than T0 (%lld)",
                                (long long)nd->n[2], (long long)nd->n[0]);
        return end_level(&b, lr, &nd->x[0]);
    case N_CYCLIC: {
        static const char *const modes[] = {"triangular", "triangular2", "exp_range", NULL};
        int64_t up, down;
        if (!wu__has(&b, "up"))
            return wu__spec_err(err, WU_EINVAL, t, at, "cyclic: missing argument 'up' (steps "
                                "from low to peak)");
        STEPS("up", 0, 1, &up);
        STEPS("down", up, 1, &down);
        NUM("low", 0.1, 0.0, 1.0, &nd->x[0]);
        NUM("gamma", 1.0, 0.0, HUGE_VAL, &nd->x[2]);
        if ((rc = wu__get_choice(&b, "mode", modes, 0, &nd->shape)) != WU_OK) return rc;
        nd->x[3] = (double)up;
        nd->x[4] = (double)down;
        return WU_OK;
    }
    case N_ONECYCLE: {
        static const char *const anneals[] = {"cos", "linear", NULL};
        int three;
        NUM("pct", 0.3, 0.01, 0.99, &nd->x[1]);
        NUM("div", 25.0, 1.0, HUGE_VAL, &nd->x[2]);
        NUM("final_div", 1e4, 1.0, HUGE_VAL, &nd->x[3]);
        if ((rc = wu__get_choice(&b, "anneal", anneals, 0, &nd->shape)) != WU_OK) return rc;
        if ((rc = wu__get_bool(&b, "three_phase", 0, &three)) != WU_OK) return rc;
        nd->n[1] = three;
        nd->x[0] = 0.0; /* the peak is the base LR; n[0] (length) is set with the length */
        return WU_OK;
    }
    case N_EXPTAU: {
        if (!wu__has(&b, "tau"))
            return wu__spec_err(err, WU_EINVAL, t, at,
                                "exptau: missing argument 'tau' (the time constant in steps)");
        int64_t tau;
        STEPS("tau", 0, 1, &tau);
        nd->x[0] = (double)tau;
        return WU_OK;
    }
    case N_UNTUNED: {
        static const char *const shapes[] = {"linear", "exp", NULL};
        double b2;
        int sh;
        NUM("beta2", 0.999, 0.0, 0.999999, &b2);
        if ((rc = wu__get_choice(&b, "shape", shapes, 0, &sh)) != WU_OK) return rc;
        /* Ma & Yarats 2019, as pytorch_warmup computes it: int(2/(1-b2)) or int(1/(1-b2)) */
        int64_t w = (int64_t)((sh ? 1.0 : 2.0) / (1.0 - b2));
        if (w < 1) w = 1;
        if (sh) {
            nd->kind = K_EXPTAU;
            nd->x[0] = (double)w;
        } else {
            nd->shape = S_LINEAR;
            nd->n[0] = 1; /* pytorch_warmup counts (t+1)/W */
            nd->len = w;
        }
        *fill = 0;
        return WU_OK;
    }
    case N_RADAM:
        NUM("beta2", 0.999, 0.6000001, 0.999999, &nd->x[0]);
        nd->n[0] = wu__radam_offset(nd->x[0]);
        return WU_OK;
    case N_PLATEAU: return wu__plateau_bind(s, &b, nd);
    default: return WU_OK;
    }
}

/* A sequence of phases (or a single phase): assign lengths, build a K_SEQ node. `factor` is its
 * 1-based place in a product, or 0 at the top: messages describe the spec as written (a phase,
 * a sequence's phases, a product's factor). */
static int sequence(wu_schedule *s, const wu_ast_tree *t, int at, wu_error *err, int *out,
                    int64_t *warm, int factor)
{
    const wu_ast *a = &t->n[at];
    int items[WU_AST_ARGS], n = 1, rc;
    if (a->type == A_SEQ) {
        n = a->nargs;
        memcpy(items, a->args, sizeof(int) * (size_t)n);
    } else {
        items[0] = at;
    }
    if (n > WU_MAX_KIDS)
        return wu__spec_err(err, WU_ERANGE, t, at, "too many phases (at most %d)", WU_MAX_KIDS);
    int seq = wu__new_node(s, K_SEQ, t, at, err);
    if (seq < 0) return seq;
    int fill_at = -1, fill_node = -1;
    int64_t used = 0, prev = 0;
    for (int i = 0; i < n; i++) {
        int node = 0, fill = 0;
        if (t->n[items[i]].type == A_PROD)
            return wu__spec_err(err, WU_EINVAL, t, items[i],
                                "a product inside a sequence is not supported; multiply the "
                                "whole sequence instead, as in (warmup(10%%) > cosine) * "
                                "untuned");
        if (t->n[items[i]].type == A_SEQ)
            return wu__spec_err(err, WU_EINVAL, t, items[i],
                                "a group inside a sequence is not supported; write the phases "
                                "one after another");
        if ((rc = phase(s, t, items[i], prev, err, &node, &fill)) != WU_OK) return rc;
        wu_node *nd = &s->nodes[node];
        if (nd->kind == K_WARMUP && nd->len == 0) continue; /* warmup(0): no warmup at all */
        if (fill) {
            if (fill_at >= 0)
                return wu__spec_err(err, WU_EINVAL, t, items[i],
                                    "only one phase may leave out its length (it takes the rest "
                                    "of the run); give '%s' a length", t->n[items[i]].text);
            fill_at = items[i];
            fill_node = node;
        } else if (nd->len != WU_FOREVER) {
            used += nd->len;
        } else if (i < n - 1) {
            return wu__spec_err(err, WU_EINVAL, t, items[i],
                                "'%s' runs forever here, so the phases after it would never "
                                "start; give it a length", t->n[items[i]].text);
        }
        if (i == 0 && nd->kind == K_WARMUP) *warm = nd->len;
        prev = nd->len == WU_FOREVER ? 0 : nd->len;
        s->nodes[seq].kid[s->nodes[seq].nkids++] = node;
    }
    int64_t total = s->opts.total_steps;
    if (total > 0 && used > total) {
        char fac[48] = "";
        if (factor) snprintf(fac, sizeof fac, "the product's factor %d", factor);
        if (n > 1)
            return wu__spec_err(err, WU_EINVAL, t, at,
                                "the phases of %s add up to %lld steps, more than the run (%lld "
                                "steps)", factor ? fac : "the sequence", (long long)used,
                                (long long)total);
        const char *name = t->n[items[0]].text;
        int untuned = !strcmp(name, "untuned");
        return wu__spec_err(err, WU_EINVAL, t, at,
                            "%s%s'%s'%s lasts %lld steps%s, more than the run (%lld steps)%s",
                            fac, factor ? ", " : "", name, factor ? "," : "", (long long)used,
                            untuned ? " (2/(1-beta2))" : "", (long long)total,
                            untuned ? "; use a smaller beta2 or a longer run"
                            : factor ? "; each factor of a product spans the whole run, so "
                                       "shorten it or lengthen the run"
                                     : "; shorten it or lengthen the run");
    }
    if (fill_node >= 0) {
        wu_node *nd = &s->nodes[fill_node];
        int last = s->nodes[seq].kid[s->nodes[seq].nkids - 1] == fill_node;
        if (total <= 0) {
            if (!last || nd->kind != K_CURVE || nd->shape != S_CONST)
                return wu__spec_err(err, WU_EINVAL, t, fill_at,
                                    "'%s' has no length and the run length is unknown: give it "
                                    "a length or give the total steps (total_steps)",
                                    t->n[fill_at].text);
        } else {
            nd->len = total - used;
            if (nd->len <= 0)
                return wu__spec_err(err, WU_EINVAL, t, fill_at,
                                    "'%s' gets no steps: the other phases already fill the run "
                                    "of %lld steps", t->n[fill_at].text, (long long)total);
        }
    }
    /* a onecycle phase runs PyTorch's OneCycleLR over its own length */
    for (int i = 0; i < s->nodes[seq].nkids; i++) {
        wu_node *nd = &s->nodes[s->nodes[seq].kid[i]];
        if (nd->kind != T_ONECYCLE) continue;
        nd->n[0] = nd->len;
        if (wu__onecycle_horizon(nd) == 0)
            return wu__spec_err(err, WU_EINVAL, t, at,
                                "onecycle: pct=%g over %lld steps leaves the warmup phase "
                                "empty; use a longer phase or a larger pct", nd->x[1],
                                (long long)nd->len);
    }
    if (s->nodes[seq].nkids == 0) {
        if (factor)
            return wu__spec_err(err, WU_EINVAL, t, at, "the product's factor %d has no phase "
                                "left (only warmup(0)); leave the factor out", factor);
        return wu__spec_err(err, WU_EINVAL, t, at, "the schedule has no phase left (only "
                            "warmup(0)); add one such as constant");
    }
    *out = seq;
    return WU_OK;
}

int wu__bind_native(wu_schedule *s, const wu_ast_tree *t, wu_error *err)
{
    const wu_ast *r = &t->n[t->root];
    int rc;
    int64_t warm = 0;
    if (r->type != A_PROD) {
        rc = sequence(s, t, t->root, err, &s->root, &warm, 0);
        s->warmup_end = warm;
        return rc;
    }
    int prod = wu__new_node(s, K_PROD, t, t->root, err);
    if (prod < 0) return prod;
    if (r->nargs > WU_MAX_KIDS)
        return wu__spec_err(err, WU_ERANGE, t, t->root, "too many factors (at most %d)",
                            WU_MAX_KIDS);
    for (int i = 0; i < r->nargs; i++) {
        int seq;
        int64_t w = 0;
        if (t->n[r->args[i]].type == A_PROD)
            return wu__spec_err(err, WU_EINVAL, t, r->args[i], "nested products are not needed: "
                                "write a * b * c");
        if ((rc = sequence(s, t, r->args[i], err, &seq, &w, i + 1)) != WU_OK) return rc;
        if (w > warm) warm = w;
        s->nodes[prod].kid[s->nodes[prod].nkids++] = seq;
    }
    s->root = prod;
    s->warmup_end = warm;
    return WU_OK;
}
