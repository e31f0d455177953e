/* warmup.h - libwarmup, learning-rate schedules you can trust to match PyTorch and Hugging Face.
 *
 * libwarmup is embeddable and dependency-free (C11 + libm). This header is its manual.
 *
 * QUICK START
 *
 *     #include "warmup.h"
 *
 *     wu_sched_opts o = { .lr = 3e-4, .total_steps = 10000 };
 *     wu_error err;
 *     wu_schedule *s;
 *     if (wu_sched_parse(&s, "warmup(5%) > cosine(to=0.1)", &o, &err) != WU_OK) {
 *         fprintf(stderr, "warmup: %s\n", err.msg);        // "spec:1:17: expected ..."
 *         return 2;
 *     }
 *     for (int64_t k = 0; k < 10000; k++) {
 *         float lr = (float)wu_sched_lr(s, k);   // the LR for update k
 *         ... forward, backward, optimizer update with lr ...
 *     }
 *     wu_sched_destroy(s);
 *
 * THE STEP CONVENTION
 *   wu_sched_lr(s, k) is the learning rate the optimizer uses for its k-th update (k = 0, 1, ...),
 *   exactly as in a PyTorch or Hugging Face loop that calls optimizer.step() then scheduler.step().
 *   Row k of `warmup schedule` is this value.
 *
 * THREE SPEC FORMS (full grammar: docs/SPEC.md)
 *   native  warmup(10%) > cosine(to=0.1)                   our own, short form
 *   hf:     hf:cosine(num_warmup_steps=100, num_training_steps=1000)
 *   torch:  torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=10),
 *                               CosineAnnealingLR(T_max=40)], milestones=[10])
 *   torch: and hf: specs reproduce PyTorch 1.13 and transformers' schedulers, quirks included, to
 *   1e-12 relative (tests/fixtures/ holds the reference sequences).
 *
 * PROPERTIES
 *   - Closed form: every evaluation is O(1) in the step (O(number of phases) at most), allocates
 *     nothing and reads only immutable data, so any number of threads may evaluate one schedule.
 *   - A schedule's only state is the step, which the caller owns; saving and restoring is exact.
 *     The one exception is reduce-on-plateau, whose small state is explicit (wu_sched_observe,
 *     wu_sched_state_save/load).
 *
 * ERRORS
 *   Functions that can fail return a wu_status: WU_OK (0) or a negative WU_E* code, and fill a
 *   caller-provided wu_error with a one-line message that says what was wrong, where, and how to
 *   fix it. The library never prints and never exits. Functions that cannot fail return void or
 *   the value they compute.
 *
 * CONVENTIONS
 *   - One prefix per module: wu_sched_* (schedules), wu_optim_* (optimizers), wu_suggest_*
 *     (warmup suggestions). Types are wu_<noun>, constants WU_*; every enum is a named type.
 *   - Argument order: the object a function acts on (wu_schedule *, wu_optim *), then what it
 *     writes (out-pointers and output arrays), then what it reads, each size right after its
 *     array; optional diagnostics (stats, may be NULL) and wu_error *err come last. Functions
 *     that create an object (wu_sched_parse, wu_optim_create) take its out-pointer first.
 *   - libwarmup exports exactly the functions declared here (each marked WU_API); everything
 *     else in the library is hidden (tests/test_abi.sh checks it).
 *
 * LIMITATIONS
 *   - PyTorch's LambdaLR / MultiplicativeLR take Python callables and have no spec form.
 *   - CyclicLR and OneCycleLR momentum cycling is not modelled (only the LR).
 *   - Per-group lists (max_lr=[...]) are not accepted inside specs: build one schedule per group
 *     and combine them with wu_sched_lrs().
 */
#ifndef WARMUP_H
#define WARMUP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, the one place it is written (the Makefile reads it from here for the
 * shared library's file name and warmup.pc). The API may change between 0.x minor versions;
 * CHANGELOG.md lists every change. Before 1.0 the soname carries major.minor
 * (libwarmup.so.0.3): 0.3.0 grew the structs wu_sched_opts and wu_suggest_in, which callers
 * pass by pointer, so a program built against 0.2 must be rebuilt, not run against 0.3. */
#define WU_VERSION "0.3.0"

/* Marks the functions libwarmup exports; the library is built with -fvisibility=hidden, so
 * nothing else is visible from libwarmup.so. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define WU_API __attribute__((visibility("default")))
#else
#define WU_API
#endif

/* ---- status codes ------------------------------------------------------------------------ */
typedef enum wu_status {
    WU_OK = 0,
    WU_EINVAL = -1, /* an argument or spec value is out of its documented range */
    WU_EPARSE = -2, /* a spec does not follow the grammar */
    WU_ENOMEM = -3, /* an allocation failed */
    WU_ERANGE = -4, /* a fixed capacity (phases, list items, plateau nodes) was exceeded */
    WU_EIO = -5,    /* a state buffer is truncated or corrupt */
    WU_ERUN = -6    /* a run of a sweep or study stopped on an error (the training engine's
                       grids; libwarmup's own functions never return it) */
} wu_status;

/* Filled by any function that fails. msg is NUL-terminated and never empty on failure. */
typedef struct wu_error {
    wu_status code; /* the WU_E* code also returned */
    int line, col;  /* 1-based position in the spec text, 0 when not about a spec */
    char msg[320];  /* "spec:1:17: expected ')' after argument list", or a plain message */
} wu_error;

/* ---- schedules --------------------------------------------------------------------------- */
typedef struct wu_schedule wu_schedule;

/* What a spec needs to know about the run it will drive. */
typedef struct wu_sched_opts {
    double lr;               /* base (peak) LR: torch's initial_lr, HF's optimizer default lr.
                                Must be finite and > 0. */
    int64_t total_steps;     /* total optimizer updates; resolves `10%` durations, HF's default
                                num_training_steps and a native phase without a length.
                                0 = unknown (then those forms are an error). */
    int64_t steps_per_epoch; /* resolves `2ep` durations; 0 = unknown */
    /* since 0.3.0 (issue 17: units): durations in tokens and samples, `warmup(375M tok)`,
       `warmup(2M samples)`, resolve to floor(amount / per_step) steps. One step is one
       optimizer update, so with gradient accumulation A over K workers of micro-batch b,
       samples_per_step = A * K * b (and tokens_per_step that times the context). */
    int64_t tokens_per_step;  /* tokens per optimizer update; 0 = unknown */
    int64_t samples_per_step; /* samples (sequences, images) per optimizer update; 0 = unknown */
    /* issue 18, appended (part of 0.3.0's unreleased ABI break): the length `warmup(auto)`
       takes. libwarmup stays pure math, so it does not choose it: `warmup tune` (or `warmup
       train`, which runs the same probe first) measures the model and data and gives it here.
       0 = not chosen (warmup(auto) is then an error that says how to choose it), the zero a
       `{.lr = ..., .total_steps = ...}` initializer leaves; N > 0 = N steps;
       WU_AUTO_WARMUP_NONE = chosen: no warmup at all (as warmup(0)). */
    int64_t auto_warmup_steps;
} wu_sched_opts;

/* wu_sched_opts.auto_warmup_steps for "the chosen length is 0 steps" (0 itself means "not
 * chosen"). */
#define WU_AUTO_WARMUP_NONE (-1)

/* Parse `spec` into a new schedule.
 *   out:   receives the schedule on success (owned by the caller: wu_sched_destroy), NULL on
 *          failure.
 *   spec:  NUL-terminated text in any of the three forms (see docs/SPEC.md).
 *   opts:  must not be NULL; copied.
 *   err:   may be NULL; on failure it holds the message, e.g.
 *          "spec:1:17: expected ')' after argument list".
 * Returns WU_OK, WU_EPARSE (grammar), WU_EINVAL (a value out of range, an unknown name, a missing
 * argument, a zero-length phase, a warmup longer than the run, min LR above the peak, ...),
 * WU_ERANGE (too many phases or list items) or WU_ENOMEM. */
WU_API wu_status wu_sched_parse(wu_schedule **out, const char *spec, const wu_sched_opts *opts,
                                wu_error *err);

/* Free a schedule. NULL is a no-op. */
WU_API void wu_sched_destroy(wu_schedule *s);

/* The LR for update `step` (>= 0) with the schedule's own base LR (opts.lr). Pure, O(1),
 * thread-safe. A negative step is treated as 0. Past wu_sched_horizon() the value is held at the
 * last defined step. */
WU_API double wu_sched_lr(const wu_schedule *s, int64_t step);

/* The same with another base LR, for parameter groups that share a schedule but not a base LR
 * (PyTorch's per-group initial_lr). Schedules that fix their own LR range (OneCycleLR, CyclicLR)
 * ignore base_lr, as PyTorch does. hf:polynomial keeps using opts.lr as lr_init, as HF does. */
WU_API double wu_sched_lr_at(const wu_schedule *s, int64_t step, double base_lr);

/* Fill out[i] with wu_sched_lr(s, start + i) for i in [0, n): a whole preview (a plot, a
 * table, a binding such as the Python package's Schedule.lrs()) in one call. start < 0 is
 * treated as wu_sched_lr treats it (as 0); a step past INT64_MAX is evaluated at INT64_MAX
 * (every schedule holds its value there). out must hold n doubles. */
WU_API void wu_sched_fill(const wu_schedule *s, double *out, size_t n, int64_t start);

/* The number of steps for which the schedule is defined: INT64_MAX for most schedules;
 * total_steps + 1 for torch:OneCycleLR (PyTorch raises past it). */
WU_API int64_t wu_sched_horizon(const wu_schedule *s);

/* The step at which the warmup ends (the LR first reaches its peak or the warmup phase is over),
 * or 0 when the schedule has no warmup. Used by plots and reports. */
WU_API int64_t wu_sched_warmup_steps(const wu_schedule *s);

/* The base LR the schedule was built with (opts.lr). */
WU_API double wu_sched_base_lr(const wu_schedule *s);

/* The spec text the schedule was parsed from (owned by the schedule). */
WU_API const char *wu_sched_spec(const wu_schedule *s);

/* ---- re-planning: a new run length mid-run (since 0.3.0, issue 17) -------------------------
 *
 * A new schedule equal to s before step `at` and re-targeted to end at total_steps from there
 * on, without a jump at `at` (the LR there is s's, bit for bit): phases already done and a
 * warmup in progress keep their lengths; a stable phase (constant, as in WSD's
 * `warmup > constant > sqrt(20%)`) in progress or to come grows or shrinks first, so the
 * cooldown keeps its length and moves to the new end; otherwise the decay in progress (or to
 * come) continues from where it is to its own end level over the new remainder (cosine and
 * linear keep their end value). Phases that do not depend on the run length (exp, step,
 * invsqrt, cyclic, sgdr, ...) are unchanged. hf: decays (linear, cosine, the min-LR cosines,
 * polynomial, restarts, warmup_stable_decay) are re-targeted alike (the LR at `at` to an ulp:
 * HF's linear factor is its own expression). A re-planned schedule can be re-planned again
 * from a later step (a resumed run extended twice: apply the re-plans in order).
 *
 *     wu_schedule *longer;
 *     if (wu_sched_replan(&longer, s, 6000, 15000, &err) == WU_OK) ...  // was 10000 steps
 *
 *   out:   receives the new schedule (owned by the caller: wu_sched_destroy), NULL on failure.
 *   s:     a native or hf: schedule parsed with a known total_steps; it is not changed.
 * wu_sched_spec() of the result is s's spec; its opts.total_steps is total_steps. Plateau
 * state is copied. Returns WU_OK, WU_EINVAL (a torch: spec, which fixes its own lengths, or a plateau;
 * no total_steps; at < 0 or before the previous re-plan's step; total_steps <= at; an end so
 * early that a phase in progress would have no step left), WU_ERANGE (too many parts after
 * several re-plans) or WU_ENOMEM. */
WU_API wu_status wu_sched_replan(wu_schedule **out, const wu_schedule *s, int64_t at,
                                 int64_t total_steps, wu_error *err);

/* The schedule of a run whose length changed on a resume (`warmup train --resume DIR --steps N`
 * records it as the run's `segments`): `spec` over its first length, then each later entry in
 * order, re-planned without a jump (wu_sched_replan) or, marked `:restart`, the spec evaluated
 * again over the new length.
 *
 *     wu_sched_parse_segments(&s, "warmup(10%) > cosine", "0:400,200:600", &o, &err);
 *
 *   segments: "FROM:STEPS[:restart],...", the first entry 0:STEPS; each FROM after the previous
 *             entry's and within its length. NULL or "": a plain wu_sched_parse.
 *   opts:     as for wu_sched_parse; total_steps 0 takes the last entry's length, any other
 *             value must equal it.
 * Returns WU_OK, the codes of wu_sched_parse and wu_sched_replan, or WU_EINVAL with
 * "segments: ..." for a malformed list. */
WU_API wu_status wu_sched_parse_segments(wu_schedule **out, const char *spec,
                                         const char *segments, const wu_sched_opts *opts,
                                         wu_error *err);

/* ---- reduce-on-plateau: the one stateful piece --------------------------------------------- */

/* Feed one metric value (e.g. a validation loss) to every plateau node of the schedule, with
 * PyTorch's ReduceLROnPlateau.step(metric) semantics: call it where a PyTorch loop would call
 * scheduler.step(metric). Returns the number of plateau nodes that reduced their LR (0 when the
 * schedule has none). A NaN metric counts as "not better", as in PyTorch. Not thread-safe
 * against concurrent evaluation of the same schedule. */
WU_API int wu_sched_observe(wu_schedule *s, double metric);

/* Bytes needed by wu_sched_state_save (0 when the schedule has no state beyond the step). */
WU_API size_t wu_sched_state_size(const wu_schedule *s);

/* Serialise / restore the plateau state. `buf` must hold wu_sched_state_size() bytes.
 * load returns WU_EIO when the buffer does not come from a schedule of the same spec. */
WU_API wu_status wu_sched_state_save(const wu_schedule *s, void *buf, size_t size,
                                     wu_error *err);
WU_API wu_status wu_sched_state_load(wu_schedule *s, const void *buf, size_t size,
                                     wu_error *err);

/* The current LR of each reduce-on-plateau node, in spec order (the LR its next reduction
 * starts from: PyTorch's param_group['lr'] as ReduceLROnPlateau left it). get copies at most n
 * into out and returns how many nodes there are (0: none); set replaces them from lrs[0..n),
 * n must equal that count and every value be finite and >= 0, else WU_EINVAL and nothing
 * changes. A binding that keeps one schedule for the values and one per parameter group for
 * the plateau's decisions (PyTorch applies min_lr and eps to each group's own LR) copies the
 * group's plateau LRs across with these. Not thread-safe against evaluation of the same
 * schedule, like wu_sched_observe. */
WU_API int wu_sched_plateau_lrs(const wu_schedule *s, double *out, int n);
WU_API wu_status wu_sched_set_plateau_lrs(wu_schedule *s, const double *lrs, int n,
                                          wu_error *err);

/* ---- parameter groups -------------------------------------------------------------------- */

/* One parameter group's view of the schedule: lr = mult * wu_sched_lr_at(sched, step, base_lr).
 * Groups may share a schedule or each have their own. */
typedef struct wu_lr_group {
    const wu_schedule *sched; /* not owned */
    double base_lr;           /* the group's initial LR; <= 0 means "the schedule's own" */
    double mult;              /* multiplier, e.g. a layer-wise LR decay factor; 0 means 1 */
} wu_lr_group;

/* Fill out[i] with group i's LR for update `step`, for i in [0, n). */
WU_API void wu_sched_lrs(double *out, const wu_lr_group *groups, int n, int64_t step);

/* ---- optimizers -----------------------------------------------------------------------------
 *
 * SGD (momentum, dampening, nesterov), Adam (amsgrad), AdamW and RAdam with PyTorch 1.13's
 * defaults and update rules, over one flat float32 parameter buffer split into groups.
 *
 *     wu_optim_config cfg;
 *     wu_optim_defaults(&cfg, WU_OPT_ADAMW);                // lr 1e-3, betas (0.9, 0.999), wd 0.01
 *     int vg[NVIEWS];
 *     wu_optim_split_decay(vg, views, NVIEWS);              // 0: matrices, 1: biases and gains
 *     wu_optim_config g[2] = {cfg, cfg};
 *     g[1].weight_decay = 0;
 *     wu_optim *opt;
 *     if (wu_optim_create(&opt, &cfg, nparams, views, NVIEWS, vg, g, 2, &err) != WU_OK) ...
 *     wu_optim_set_schedule(opt, sched);                    // LR of update k = schedule at k
 *     for (...) {
 *         ... backward into grads ...
 *         double norm = wu_optim_clip_grad_norm(grads, nparams, 1.0);
 *         wu_optim_step(opt, params, grads, &stats);         // stats may be NULL
 *     }
 *     wu_optim_destroy(opt);
 *
 * Threads: the update runs with OpenMP when libwarmup is built with it (OMP_NUM_THREADS or
 * omp_set_num_threads() choose how many). Results do not depend on the thread count. */
typedef enum wu_optim_kind { WU_OPT_SGD, WU_OPT_ADAM, WU_OPT_ADAMW, WU_OPT_RADAM } wu_optim_kind;

/* The Adam family's second moment before its first update (wu_optim_config.v_init).
 *   WU_ADAM_INIT_ZERO: v_0 = 0, as Kingma & Ba and PyTorch.
 *   WU_ADAM_INIT_GRAD: GI-Adam (Kalra & Barkeshli 2024, arXiv 2406.09405): v_0 = g_1 * g_1,
 *     elementwise, where g_1 is the gradient the first update uses (after clipping and, for Adam
 *     and RAdam, after their L2 weight decay is added). Only v_0 changes: m_0 = 0, and the bias
 *     corrections stay as they are unless no_bias_correction is set. So v_1 = g_1^2 and, with
 *     bias correction, Adam's first update is lr * g / (|g| / sqrt(1 - beta2) + eps), about
 *     lr * sqrt(1 - beta2) per weight: the early updates grow as sqrt(1 - beta2^t), a warmup
 *     of their own (docs/OPTIMIZERS.md). RAdam's rho_t and rectification are unchanged. */
typedef enum wu_adam_init { WU_ADAM_INIT_ZERO = 0, WU_ADAM_INIT_GRAD = 1 } wu_adam_init;

typedef struct wu_optim_config {
    wu_optim_kind kind;
    double lr;              /* the LR when no schedule is attached; a schedule's base LR */
    double weight_decay;    /* L2 added to the gradient (SGD, Adam, RAdam), decoupled (AdamW) */
    double momentum;        /* SGD: 0 = plain SGD */
    double dampening;       /* SGD */
    int nesterov;           /* SGD: needs momentum > 0 and dampening 0 */
    double beta1, beta2;    /* Adam family: each in [0, 1) */
    double eps;             /* Adam family: > 0 */
    int amsgrad;            /* Adam, AdamW */
    /* issue 18, appended (zero keeps PyTorch's Adam; the struct grew: rebuild its users) */
    wu_adam_init v_init;    /* Adam family: WU_ADAM_INIT_ZERO (default) or WU_ADAM_INIT_GRAD */
    int no_bias_correction; /* Adam family, 0 or 1: 1 drops both of Adam's bias corrections,
                               m/(1 - beta1^t) and v/(1 - beta2^t) become m and v (RAdam: its
                               m/(1 - beta1^t) and sqrt(1 - beta2^t) factor; rho_t unchanged) */
} wu_optim_config;

/* PyTorch 1.13's defaults for `kind`: SGD lr 1e-3 (PyTorch requires one), momentum 0; Adam lr
 * 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0; AdamW the same with weight decay 0.01;
 * RAdam the same as Adam. v_init WU_ADAM_INIT_ZERO, bias correction on. */
WU_API void wu_optim_defaults(wu_optim_config *cfg, wu_optim_kind kind);

/* Check a configuration; WU_EINVAL with a message naming the argument: negative LR, betas
 * outside [0, 1), eps <= 0, weight decay < 0, momentum < 0, nesterov without momentum or with
 * dampening, amsgrad with SGD or RAdam, an unknown kind, v_init not a wu_adam_init,
 * no_bias_correction not 0 or 1, and either of those two set for SGD. */
WU_API wu_status wu_optim_check(const wu_optim_config *cfg, wu_error *err);

/* A named slice of the flat parameter buffer (as llm.c's ParameterTensors). */
typedef struct wu_param_view {
    const char *name;       /* e.g. "h.0.attn.qkv.weight"; not copied */
    size_t offset, numel;   /* in floats */
    int ndim;               /* 2 for matrices, 1 for biases and norm gains */
} wu_param_view;

/* The usual weight-decay split of `nviews` views into two groups: view_group[i] = 0 for
 * matrices (ndim >= 2), 1 for biases, norm gains and other vectors (names containing "bias",
 * "ln" or "norm" also go to 1). Returns how many views went to group 0. */
WU_API int wu_optim_split_decay(int *view_group, const wu_param_view *views, int nviews);

typedef struct wu_optim wu_optim;

/* Create an optimizer for `nparams` floats.
 *   views/nviews/view_group: which group each view belongs to; views must not overlap and must
 *     cover every parameter that should be updated (others are left alone). NULL views: one
 *     group over [0, nparams) configured by cfg.
 *   groups/ngroups: each group's full settings (PyTorch's param_groups); kind must match cfg's.
 *     NULL: every group uses cfg. At most WU_OPTIM_MAX_GROUPS groups.
 * State (moments, buffers) is allocated here, once. Returns WU_OK, WU_EINVAL (a bad setting,
 * overlapping views, a group index out of range) or WU_ENOMEM. */
#define WU_OPTIM_MAX_GROUPS 8
WU_API wu_status wu_optim_create(wu_optim **out, const wu_optim_config *cfg, size_t nparams,
                                 const wu_param_view *views, int nviews, const int *view_group,
                                 const wu_optim_config *groups, int ngroups, wu_error *err);
WU_API void wu_optim_destroy(wu_optim *o);

/* Attach a schedule to every group (or to one): the LR of update k of group g is then
 * wu_sched_lr_at(sched, k, group g's lr), as a PyTorch scheduler scales each group's own base LR.
 * Not owned; NULL detaches. */
WU_API void wu_optim_set_schedule(wu_optim *o, const wu_schedule *sched);
WU_API void wu_optim_set_group_schedule(wu_optim *o, int group, const wu_schedule *sched);

/* What one update did, computed only when a stats pointer is passed to wu_optim_step. */
typedef struct wu_optim_stats {
    int64_t step;                          /* the update just made, 0-based */
    int ngroups;
    double lr[WU_OPTIM_MAX_GROUPS];        /* the LR each group used */
    double update_norm, weight_norm;       /* L2 over all updated parameters, before the step */
    double update_ratio;                   /* update_norm / weight_norm */
    double group_update_norm[WU_OPTIM_MAX_GROUPS], group_weight_norm[WU_OPTIM_MAX_GROUPS];
    /* Adam family: the bias-corrected second moment v/(1-beta2^t) (amsgrad: its running max;
       no_bias_correction: v itself), the quantity whose square root divides the update */
    double v_mean, v_min, v_max;
    double v_frac_below_eps;               /* fraction of entries with sqrt(v_hat) < eps */
    /* RAdam: rho_t, the rectification term, and whether the adaptive step is on (rho_t > 5),
       per group (they depend on the group's beta2), and over all groups the most conservative
       one: the smallest rho_t and rectification, adaptive only when every group is */
    double group_radam_rho[WU_OPTIM_MAX_GROUPS], group_radam_rect[WU_OPTIM_MAX_GROUPS];
    int group_radam_adaptive[WU_OPTIM_MAX_GROUPS];
    double radam_rho, radam_rect;
    int radam_adaptive;
} wu_optim_stats;

/* One update: params -= f(grads) with the LR of update wu_optim_steps(o). grads are read only
 * (weight decay is added to a private copy, as PyTorch does). stats may be NULL (cheapest).
 * No allocation, and nothing can fail: every setting was checked by wu_optim_create. A
 * non-finite gradient is applied as it is (check wu_optim_clip_grad_norm's result first). */
WU_API void wu_optim_step(wu_optim *o, float *params, const float *grads, wu_optim_stats *stats);

/* The same with the caller's LR for group 0; other groups keep their LR ratio to group 0. */
WU_API void wu_optim_step_lr(wu_optim *o, float *params, const float *grads, double lr,
                             wu_optim_stats *stats);

/* Updates made so far (the schedule step of the next update). */
WU_API int64_t wu_optim_steps(const wu_optim *o);

/* The LR group g will use for the next update. */
WU_API double wu_optim_lr(const wu_optim *o, int group);

/* Save / restore everything an update depends on: step count, moments, momentum buffers, and
 * the attached schedule's state (reduce-on-plateau). A restored optimizer continues bit for bit.
 * load returns WU_EIO when the bytes are truncated, corrupt (a checksum covers them) or come
 * from an optimizer of another kind or size, or with another v_init or no_bias_correction in
 * some group (states saved before these options existed load into an optimizer without them). */
WU_API size_t wu_optim_state_size(const wu_optim *o);
WU_API wu_status wu_optim_state_save(const wu_optim *o, void *buf, size_t size, wu_error *err);
WU_API wu_status wu_optim_state_load(wu_optim *o, const void *buf, size_t size, wu_error *err);

/* PyTorch's clip_grad_norm_(max_norm, norm_type=2): scale grads by
 * min(1, max_norm / (norm + 1e-6)) and return the global L2 norm before clipping. A non-finite
 * norm is returned as it is and the gradients are left untouched (PyTorch would multiply them
 * by NaN): the caller decides whether to skip the update. max_norm <= 0 only measures. */
WU_API double wu_optim_clip_grad_norm(float *grads, size_t n, double max_norm);

/* ---- suggest: how long to warm up, and at what peak LR --------------------------------------
 *
 *     wu_suggest_in in = {.total_steps = 100000, .optimizer = WU_OPT_SGD, .batch = 8192,
 *                         .base_batch = 256, .base_lr = 1e-4, .base_warmup = 1000};
 *     wu_suggestion s;
 *     if (wu_suggest_warmup(&s, &in, &err) == WU_OK)
 *         printf("%s at %g: %s\n", s.spec, s.lr, s.why);  // warmup(32000) > cosine at 0.0032
 *
 * Every rule that applies is evaluated and reported (s.rules); one is picked (s.picked) and
 * s.why says why; s.conflicts says where rules disagree. docs/SUGGEST.md lists the rules. */
typedef enum wu_suggest_scenario {
    WU_SCN_NONE, WU_SCN_SMALL_DATASET, WU_SCN_BERT_FINETUNE, WU_SCN_VIT, WU_SCN_LARGE_MODEL,
    WU_SCN_LARGE_BATCH
} wu_suggest_scenario;
typedef enum wu_suggest_decay {
    WU_DECAY_COSINE, WU_DECAY_LINEAR, WU_DECAY_CONSTANT, WU_DECAY_WSD
} wu_suggest_decay;

typedef struct wu_suggest_in {
    int64_t total_steps;     /* optimizer updates in the run; 0: epochs x steps_per_epoch */
    double epochs;           /* used when total_steps is 0 (> 0) */
    int64_t steps_per_epoch; /* 0: ceil(dataset_size / batch) when both are known */
    int64_t dataset_size;    /* examples; 0 = unknown */
    wu_optim_kind optimizer;
    double beta2;            /* Adam's beta2 in [0, 1); 0 = 0.999 */
    int64_t batch;           /* the batch size to train with (per micro-batch when
                                accumulation > 1; all workers together); 0 = unknown */
    int64_t base_batch;      /* a reference batch size with a known-good LR / warmup; 0 = none */
    double base_lr;          /* the known-good LR at base_batch; 0 = none */
    int64_t base_warmup;     /* the known-good warmup at base_batch, in steps; 0 = none */
    double lr;               /* a peak LR to use as is (no scaling); 0 = none */
    wu_suggest_scenario scenario;
    wu_suggest_decay decay;  /* what follows the warmup in the suggested spec */
    /* since 0.3.0 (issue 17): gradient accumulation. One step is one optimizer update, so the
       batch of a step is batch x accumulation (and steps per epoch count updates). */
    int64_t accumulation;    /* micro-batches per optimizer update; 0 or 1 = none */
} wu_suggest_in;

#define WU_SUGGEST_MAX_RULES 8

typedef struct wu_suggest_rule {
    char name[48];           /* "percentage of total steps" */
    char source[64];         /* where it comes from: "Goyal et al. 2017" */
    int64_t low, high;       /* the range the rule allows, in steps */
    int64_t steps;           /* the rule's own choice within it */
    char note[200];          /* the worked numbers: "10% of 100000 steps" */
} wu_suggest_rule;

typedef struct wu_suggestion {
    int64_t total_steps, steps_per_epoch; /* as resolved (steps_per_epoch 0 = unknown) */
    int64_t warmup_steps;                 /* the recommendation */
    double lr;                            /* the recommended peak LR; 0 when none can be said */
    char lr_rule[200];                    /* how the LR was obtained */
    int nrules;
    wu_suggest_rule rules[WU_SUGGEST_MAX_RULES];
    int picked;                           /* index of the rule that gave warmup_steps */
    char why[400];                        /* why that rule */
    char conflicts[600];                  /* where the rules disagree ("" when they agree) */
    char spec[160];                       /* native spec, e.g. "warmup(32000) > cosine" */
    char hf_spec[200];                    /* the Hugging Face equivalent */
} wu_suggestion;

/* Recommend a warmup length and peak LR. Pure: no allocation, no I/O.
 * Returns WU_OK, or WU_EINVAL with err->msg for: no run length (or a negative one), a batch or
 * base batch < 0, beta2 outside [0, 1), a negative LR, a base warmup longer than the run, or a
 * recommended warmup that would not be shorter than the run. */
WU_API wu_status wu_suggest_warmup(wu_suggestion *out, const wu_suggest_in *in, wu_error *err);

/* ---- check: a run's logged LRs against the schedule it meant to follow ---------------------
 *
 * A streaming checker: feed the (step, lr) pairs of a log in increasing step order, then ask
 * for the verdict. Memory is constant (a few kilobytes and the schedules of the hypotheses),
 * whatever the log's length. docs/CHECK.md describes every diagnosis.
 *
 *     wu_check *c;
 *     wu_sched_opts o = {.lr = 3e-4, .total_steps = 10000};
 *     if (wu_check_create(&c, "warmup(5%) > cosine", &o, &err) != WU_OK) ...
 *     while (next_row(&step, &lr))
 *         if (wu_check_feed(c, step, lr, &err) != WU_OK) ...   // steps must increase
 *     wu_check_result r;
 *     wu_check_finish(c, &r);
 *     if (r.verdict == WU_CHECK_DIFFERS) printf("step %lld: %s\n", (long long)r.diff_step, r.why);
 *     wu_check_destroy(c);
 *
 * Two values match when |logged - expected| <= tol * max(|logged|, |expected|) + 1e-12 * lr,
 * with tol = WU_CHECK_TOL (exact: double precision through a printed log) or WU_CHECK_TOL_F32
 * (the LR went through float32 somewhere). A diagnosis is a hypothesis about the whole log,
 * tested on every pair (those before the first difference through a sample of up to 256 of
 * them for the hypotheses that change the schedule from step 0): it is reported only when it
 * explains every pair at float32 precision and at least two pairs differ (or, for a zero
 * first LR, step 0 differs and later pairs exist). */
#define WU_CHECK_TOL 1e-12
#define WU_CHECK_TOL_F32 3e-7

typedef struct wu_check wu_check;

typedef enum wu_check_verdict {
    WU_CHECK_EMPTY,   /* nothing was fed */
    WU_CHECK_MATCH,   /* every pair matches to WU_CHECK_TOL */
    WU_CHECK_FLOAT32, /* every pair matches to WU_CHECK_TOL_F32, not all to WU_CHECK_TOL */
    WU_CHECK_DIFFERS  /* at least one pair differs by more than WU_CHECK_TOL_F32 */
} wu_check_verdict;

/* The diagnosis of a log that differs; E(s) is the spec's LR for update s, L(s) the log's. */
typedef enum wu_check_pattern {
    WU_PAT_NONE,       /* no known pattern explains every pair */
    WU_PAT_SHIFT,      /* L(s) = E(s + param) for every s, param = +1 (the scheduler stepped
                          before the optimizer) or -1 (the log counts from 1) */
    WU_PAT_ZERO_START, /* L(0) = 0 while E(0) > 0; then L(s) = E(s - 1) up to step `at` (a warmup
                          that starts at 0), and L(s) = E(s) from `at` on */
    WU_PAT_JUMP,       /* pairs before step `at` match; from `at` on L(s) = E(s + param): the
                          schedule jumped param steps at a resume in (at_lo, at] */
    WU_PAT_RESTART,    /* pairs before `at` match; from `at` on L(s) = E(s - param): the schedule
                          restarted at 0 at step param, a resume in (at_lo, at] */
    WU_PAT_STRETCH,    /* L(s) = E(param * s + offset): the scheduler stepped param times per
                          update (per micro-batch with accumulation param, or once per worker) */
    WU_PAT_SLOW,       /* L(s) = E((s + offset) / param), rounded down: the log counts
                          micro-batches, or the scheduler stepped once every param updates */
    WU_PAT_HORIZON     /* L(s) = the spec's LR with total_steps = param: the schedule's length was
                          set from another number of steps */
} wu_check_pattern;

typedef struct wu_check_result {
    wu_check_verdict verdict;
    int64_t n;                /* pairs fed */
    int64_t first_step, last_step;  /* the steps of the first and the last pair (-1: none) */
    int64_t ndiff;            /* pairs that differ beyond the verdict's tolerance (WU_CHECK_TOL
                                 for MATCH and FLOAT32, WU_CHECK_TOL_F32 for DIFFERS) */
    int64_t diff_step;        /* the first of them (-1: none) */
    double diff_expected, diff_logged;  /* E and L there */
    double max_rel;           /* the largest |L - E| / max(|L|, |E|) over all pairs */
    int64_t max_rel_step;     /* where (-1: none) */
    int zero_first;           /* step 0 was logged with LR 0 (a wasted first update), whatever
                                 the verdict: the spec itself may say so (shift=0 warmups) */
    wu_check_pattern pattern; /* WU_PAT_NONE unless verdict is WU_CHECK_DIFFERS */
    int64_t param, offset;    /* the pattern's numbers, as in wu_check_pattern */
    int64_t at, at_lo;        /* JUMP, RESTART: the first logged step after the resume and the
                                 last one before it (-1: none); ZERO_START: where L catches up */
    int exact;                /* the pattern explains every pair to WU_CHECK_TOL (else float32) */
    int nalso;                /* how many other hypotheses explain the log as well */
    wu_check_pattern also;    /* the next one in the order of wu_check_pattern (NONE: none) */
    int64_t also_param;       /* its param */
    char why[400];            /* one line: what the pattern means in a training loop and its fix;
                                 "" when there is no pattern */
} wu_check_result;

/* Create a checker of logs against `spec` (any form of wu_sched_parse), with opts as for
 * wu_sched_parse; opts->total_steps 0 is allowed when the spec does not need it (then the
 * horizon hypothesis is not tested). Owned by the caller: wu_check_destroy.
 * Returns WU_OK, the codes of wu_sched_parse, or WU_ENOMEM. */
WU_API wu_status wu_check_create(wu_check **out, const char *spec, const wu_sched_opts *opts,
                                 wu_error *err);

/* Compare with the spec over a run's segments (wu_sched_parse_segments: a run resumed to other
 * lengths, as summary.json's config.segments records them) instead of the spec over
 * opts->total_steps: call it before the first wu_check_feed. The run's length is then the last
 * entry's, and the horizon hypothesis is not tested (the lengths are known). Returns WU_OK,
 * the codes of wu_sched_parse_segments, or WU_EINVAL after a pair was fed. */
WU_API wu_status wu_check_segments(wu_check *c, const char *segments, wu_error *err);

/* Feed one logged pair: `lr` was the LR of update `step` (0-based) according to the log.
 * Returns WU_OK, or WU_EINVAL when step < 0, step is not greater than the previous pair's
 * (the message says "step 5 after step 7"), lr is not finite, or the check is finished;
 * a refused pair changes nothing. */
WU_API wu_status wu_check_feed(wu_check *c, int64_t step, double lr, wu_error *err);

/* The verdict over every pair fed. Finishes the check: later feeds are refused; calling it
 * again gives the same result. */
WU_API void wu_check_finish(wu_check *c, wu_check_result *out);

/* The spec's LR for update `step`: the E(s) the pairs are compared with. */
WU_API double wu_check_expected(const wu_check *c, int64_t step);

/* Free a checker. NULL is a no-op. */
WU_API void wu_check_destroy(wu_check *c);

#ifdef __cplusplus
}
#endif
#endif /* WARMUP_H */
