/* spec_ast.h - the syntax tree shared by the three spec dialects, and the helpers that bind a
 * call's arguments to named parameters with clear, positioned error messages. */
#ifndef WU_SPEC_AST_H
#define WU_SPEC_AST_H

#include "sched_impl.h"

#define WU_AST_MAX 384      /* syntax nodes per spec */
#define WU_AST_ARGS 64      /* arguments of one call, items of one list */
#define WU_NAME_MAX 64      /* get_cosine_with_min_lr_schedule_with_warmup_lr_rate has 51 */

enum wu_ast_type {
    A_NUM,  /* number, optionally with a unit: '%' (of total steps), 'e' (epochs), 't' (tokens)
               or 's' (samples) */
    A_STR,  /* 'quoted' or "quoted" string */
    A_NAME, /* identifier, including True / False / None */
    A_CALL, /* NAME(args) */
    A_LIST, /* [items] */
    A_KW,   /* keyword argument NAME=value: text is the key, args[0] the value */
    A_SEQ,  /* native: a > b > c */
    A_PROD  /* native: a * b */
};

typedef struct wu_ast {
    int type;
    int line, col;          /* 1-based start position in the spec */
    double num;
    int is_int;             /* A_NUM written without '.' or exponent */
    int unit;               /* A_NUM: 0, '%' or 'e' */
    char text[WU_NAME_MAX]; /* A_NAME, A_STR, A_CALL callee, A_KW key */
    char qual[WU_NAME_MAX]; /* torch: and hf: A_NAME / A_CALL: the module path before the last
                               '.' ("torch.optim.lr_scheduler"), or "" */
    int nargs;
    int args[WU_AST_ARGS];  /* children (indices into the tree) */
} wu_ast;

typedef struct wu_ast_tree {
    wu_ast n[WU_AST_MAX];
    int count;
    int root;
} wu_ast_tree;

/* Parse `src` starting at byte `start` (after any dialect prefix). native != 0 allows the
 * operators '>' and '*' and parentheses for grouping. Returns WU_OK or an error with position. */
int wu__ast_parse(const char *src, size_t start, int native, wu_ast_tree *t, wu_error *err);

/* printf-style error with the position of AST node `at` (or none when at < 0). */
int wu__spec_err(wu_error *err, int code, const wu_ast_tree *t, int at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* ---- argument binding -------------------------------------------------------------------- */
typedef struct wu_bind {
    const wu_ast_tree *t;
    int call;                      /* the A_CALL node */
    const char *const *params;     /* accepted parameter names, positional order, NULL-ended */
    int slot[WU_AST_ARGS];         /* value node bound to params[i], or -1 */
    const wu_sched_opts *opts;
    wu_error *err;
} wu_bind;

/* Bind call `call`'s arguments to `params`. Rejects too many positional arguments, unknown or
 * repeated keywords, and a parameter given both ways. */
int wu__bind(wu_bind *b, const wu_ast_tree *t, int call, const char *const *params,
             const wu_sched_opts *opts, wu_error *err);

/* The same for torch: and hf: calls, pasted from Python: a leading positional name
 * (optimizer, opt, self.optimizer) or optimizer=NAME is the optimizer, accepted and ignored. */
int wu__bind_py(wu_bind *b, const wu_ast_tree *t, int call, const char *const *params,
                const wu_sched_opts *opts, wu_error *err);

/* Was `name` given? */
int wu__has(const wu_bind *b, const char *name);
/* The value node bound to `name`, or -1. */
int wu__arg(const wu_bind *b, const char *name);

/* Typed getters: each leaves *out = def when the argument is absent, and reports a positioned
 * error when it has the wrong type or is out of [lo, hi] (for numbers). */
int wu__get_num(const wu_bind *b, const char *name, double def, double lo, double hi,
                double *out);
int wu__get_int(const wu_bind *b, const char *name, int64_t def, int64_t lo, int64_t hi,
                int64_t *out);
/* A duration: an integer step count, `P%` of opts->total_steps, or `Eep` epochs. */
int wu__get_steps(const wu_bind *b, const char *name, int64_t def, int64_t lo, int64_t *out);
int wu__get_bool(const wu_bind *b, const char *name, int def, int *out);
/* A string (or bare name) that must be one of `choices` (NULL-ended); *out is its index. */
int wu__get_choice(const wu_bind *b, const char *name, const char *const *choices, int def,
                   int *out);
/* A list of durations (milestones), sorted ascending into s->ints; nd->list_off/len set. */
int wu__get_list_steps(wu_schedule *s, const wu_bind *b, const char *name, int min_items,
                       wu_node *nd);
/* ReduceLROnPlateau's arguments (PyTorch names and defaults) into a new plateau state. */
int wu__plateau_bind(wu_schedule *s, const wu_bind *b, wu_node *nd);
/* Steps PyTorch's OneCycleLR can produce before dividing by an empty phase: 0 (the first phase
 * is empty), total_steps, or total_steps + 1. */
int64_t wu__onecycle_horizon(const wu_node *nd);
/* Resolve a duration node (number with optional unit) to steps. */
int wu__node_steps(const wu_ast_tree *t, int node, const wu_sched_opts *o, wu_error *err,
                   const char *what, int64_t *out);

/* Shorthands for binders: fetch argument `name` of the wu_bind `b` in scope into `out`, or
 * return the error code (kept in `rc`) from the enclosing function. */
#define NUM(name, def, lo, hi, out) \
    if ((rc = wu__get_num(&b, name, def, lo, hi, out)) != WU_OK) return rc
#define INT(name, def, lo, out) \
    if ((rc = wu__get_int(&b, name, def, lo, INT64_MAX, out)) != WU_OK) return rc
#define STEPS(name, def, lo, out) \
    if ((rc = wu__get_steps(&b, name, def, lo, out)) != WU_OK) return rc

/* Entry points of the three dialects; each fills s (nodes, horizon, warmup_end, root). */
int wu__bind_native(wu_schedule *s, const wu_ast_tree *t, wu_error *err);
int wu__bind_torch(wu_schedule *s, const wu_ast_tree *t, wu_error *err);
int wu__bind_hf(wu_schedule *s, const wu_ast_tree *t, wu_error *err);

/* Node allocation inside a schedule; returns the index or a WU_ERANGE error. */
int wu__new_node(wu_schedule *s, int kind, const wu_ast_tree *t, int at, wu_error *err);

#endif
