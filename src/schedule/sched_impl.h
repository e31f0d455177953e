/* sched_impl.h - the inside of a wu_schedule: a small tree of nodes in one fixed-size block.
 *
 * A parsed spec becomes an array of nodes. Every node is a closed-form function of the step
 * (and of the base LR), so evaluation walks the tree without allocating or mutating anything.
 * The three dialects (native, torch:, hf:) share this representation; each node kind documents
 * whose semantics it follows. */
#ifndef WU_SCHED_IMPL_H
#define WU_SCHED_IMPL_H

#include "warmup.h"

#define WU_MAX_NODES 48   /* nodes per schedule: phases, children, factors */
#define WU_MAX_KIDS 16    /* children per composite node */
#define WU_MAX_INTS 256   /* milestone list items per schedule */
#define WU_MAX_PLATEAU 4  /* reduce-on-plateau nodes per schedule */
#define WU_FOREVER INT64_MAX

/* Parameter layout per kind: u is the node's local step, x[] reals, n[] integers. */
enum wu_node_kind {
    /* native form: factors of the base LR (spec_native.c) */
    K_SEQ,       /* kids run one after another, clocks restart at each boundary; kid lengths */
    K_PROD,      /* product of the kids' factors */
    K_WARMUP,    /* rise x0 -> 1 along `shape` over len; x1 shape parameter, n0 shift (0/1) */
    K_CURVE,     /* go x0 -> x1 along `shape` (decay curve) over len; x2 shape parameter;
                    x3 the progress it starts from (0; a re-planned remainder: replan.c) */
    K_INVSQRT,   /* sqrt(x0 / (u + x0)); x0 timescale */
    K_EXPDECAY,  /* x0 * x1^floor(u / n0); x2 = log x1 */
    K_STEPS,     /* x0 * x1^(milestones <= u); x2 = log x1; milestones in ints[] */
    K_SGDR,      /* warm restarts: n0 T0, n1 mult, n2 per-cycle warmup, x0 floor, x1 peak decay
                    per cycle, x3 = log x1 */
    K_RESTARTS,  /* cosine with hard restarts: x0 -> x1, x2 cycles over len; x3 as K_CURVE */
    K_CYCLIC,    /* CyclicLR between x0 (ratio) and 1; as T_CYCLIC otherwise */
    K_EXPTAU,    /* pytorch_warmup exponential: 1 - exp(-(u+1)/x0) */
    K_RADAM,     /* RAdam rectification: x0 beta2, n0 offset, x1 = log x0, x2 = rho_inf */
    K_PLATEAU,   /* reduce-on-plateau: state plat[n0] */
    /* torch: PyTorch 1.13 lr_scheduler classes, absolute LRs (spec_torch.c) */
    T_STEP,          /* x0 gamma, n0 step_size, x1 = log x0 */
    T_MULTISTEP,     /* x0 gamma, milestones in ints[], x1 = log x0 */
    T_CONSTANT,      /* x0 factor, n0 total_iters */
    T_LINEAR,        /* x0 start_factor, x1 end_factor, n0 total_iters */
    T_EXPONENTIAL,   /* x0 gamma, x1 = log x0 */
    T_POLY,          /* x0 power, n0 total_iters */
    T_COSINE,        /* x0 eta_min, n0 T_max */
    T_WARMRESTARTS,  /* n0 T_0, n1 T_mult, x0 eta_min */
    T_CYCLIC,        /* x0 base_lr, x1 max_lr, x2 gamma, x3 up, x4 down, shape mode, x5 = log x2 */
    T_ONECYCLE,      /* x0 max_lr (0: the base LR), x1 pct_start, x2 div, x3 final_div,
                        n0 total_steps, n1 three_phase, shape 0 cos / 1 linear */
    T_SEQUENTIAL,    /* kids, milestones in ints[] */
    T_CHAINED,       /* product of the kids' factors */
    /* hf: transformers lr_lambdas, base * lambda (spec_hf.c); n0 warmup, n1 training steps */
    H_CONSTANT, H_CONST_WARMUP, H_LINEAR,
    H_COSINE,        /* x0 num_cycles */
    H_RESTARTS,      /* x0 num_cycles */
    H_POLY,          /* x0 lr_end, x1 power, x2 lr_init */
    H_INVSQRT,       /* n1 timescale */
    H_COS_MIN,       /* x0 num_cycles, x1 min_lr_rate */
    H_COS_WARM_MIN,  /* as H_COS_MIN; n2 = warmup_lr_rate given, x2 warmup_lr_rate */
    H_WSD            /* n0 warmup, n1 stable, n2 decay, shape warmup type, n3 decay type,
                        x0 min_lr_ratio, x1 num_cycles */
};

/* Curve shapes shared by native warmups/decays and HF's warmup_stable_decay. */
enum wu_shape {
    S_LINEAR, S_COS, S_SQRT, S_POLY, S_EXP, S_SIGMOID, S_CONST
};

typedef struct wu_node {
    int kind;          /* enum wu_node_kind */
    int shape;         /* enum wu_shape, or a dialect-specific mode */
    int nkids;
    int kid[WU_MAX_KIDS];
    int64_t len;       /* native phase length in steps (WU_FOREVER = unbounded) */
    int64_t span;      /* steps the phase occupies in its sequence when a re-plan cut it short
                          (replan.c); 0: len */
    /* hf: decays re-planned (replan.c): from step rp_at on, the decay's progress is
       rp_p0 + (1 - rp_p0) * (t - rp_at) / rp_len; rp_len 0: never re-planned */
    int64_t rp_at, rp_len;
    double rp_p0;
    int64_t n[4];      /* integer parameters, meaning per kind */
    double x[8];       /* real parameters, meaning per kind */
    int list_off;      /* milestones: ints[list_off .. list_off+list_len) */
    int list_len;
} wu_node;

/* PyTorch ReduceLROnPlateau state and configuration. */
typedef struct wu_plateau {
    /* configuration */
    int mode_max;        /* 0: lower is better ('min'), 1: 'max' */
    int thr_abs;         /* 0: threshold_mode 'rel', 1: 'abs' */
    double factor, threshold, min_lr, eps;
    int64_t patience, cooldown;
    /* state */
    double lr;           /* current LR for base opts.lr (starts at opts.lr) */
    double best;
    int64_t num_bad, cooldown_counter, last_epoch;
} wu_plateau;

struct wu_schedule {
    wu_sched_opts opts;
    int64_t horizon;       /* steps for which the schedule is defined */
    int64_t warmup_end;    /* step where the warmup ends, 0 if none */
    int root;
    int nnodes;
    wu_node nodes[WU_MAX_NODES];
    int nints;
    int64_t ints[WU_MAX_INTS];
    int nplat;
    wu_plateau plat[WU_MAX_PLATEAU];
    char *spec;            /* owned copy of the spec text */
    int64_t replanned_at;  /* the step of the last wu_sched_replan (0: never re-planned) */
};

/* Evaluate node i at local step t with base LR `base`; returns an absolute LR. */
double wu__eval(const wu_schedule *s, int i, int64_t t, double base);

/* The progress in [0, 1] of a K_CURVE or K_RESTARTS node at local step t (its x3 start
 * included). */
double wu__progress(const wu_node *nd, int64_t t);

/* The decay progress of an hf: node at step t >= its decay's start, as its evaluation uses it
 * (HF's own expression, or the re-planned one); H_LINEAR's is 1 - its factor. */
double wu__hf_progress(const wu_node *nd, int64_t t);

/* Fill derived constants (logarithms, RAdam's rho_inf) once a schedule is bound. */
void wu__prepare(wu_schedule *s);

/* Shape functions on progress x in [0, 1] (shapes.c). */
double wu__rise(int shape, double x, double k);      /* 0 -> 1 */
double wu__fall(int shape, double x, double k);      /* 1 -> 0 */
int64_t wu__radam_offset(double beta2);

#endif
