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

enum wu_node_kind {
    /* native form (factors of the base LR; see spec_native.c) */
    K_SEQ,       /* phases one after another, clocks restart at each boundary */
    K_PROD,      /* product of the children's factors */
    K_WARMUP,    /* rise from x[0] to 1 along `shape` over len steps */
    K_CURVE,     /* go from x[0] to x[1] along `shape` over len steps */
    K_INVSQRT,   /* sqrt(x[0] / (u + x[0])), timescale x[0] */
    K_EXPDECAY,  /* x[0] * gamma^floor(u / every) */
    K_STEPS,     /* gamma^(number of milestones <= u), milestones in ints */
    K_SGDR,      /* SGDR: T0 n[0], mult n[1], peak decay x[2], per-cycle warmup n[2] */
    K_RESTARTS,  /* cosine with hard restarts, x[2] cycles over len */
    K_CYCLIC,    /* triangular cycles between x[0] and 1 */
    K_EXPTAU,    /* pytorch_warmup exponential: 1 - exp(-(u+1)/tau) */
    K_RADAM,     /* RAdam rectification factor (pytorch_warmup RAdamWarmup) */
    K_PLATEAU,   /* reduce-on-plateau factor, state in plat[] */
    /* torch: PyTorch 1.13 lr_scheduler classes (absolute LRs) */
    T_STEP, T_MULTISTEP, T_CONSTANT, T_LINEAR, T_EXPONENTIAL, T_POLY, T_COSINE, T_WARMRESTARTS,
    T_CYCLIC, T_ONECYCLE, T_SEQUENTIAL, T_CHAINED,
    /* hf: transformers.optimization lr_lambdas (absolute LRs = base * lambda) */
    H_CONSTANT, H_CONST_WARMUP, H_LINEAR, H_COSINE, H_RESTARTS, H_POLY, H_INVSQRT, H_COS_MIN,
    H_COS_WARM_MIN, H_WSD
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
};

/* Evaluate node i at local step t with base LR `base`; returns an absolute LR. */
double wu__eval(const wu_schedule *s, int i, int64_t t, double base);

/* Shape functions on progress x in [0, 1] (shapes.c). */
double wu__rise(int shape, double x, double k);      /* 0 -> 1 */
double wu__fall(int shape, double x, double k);      /* 1 -> 0 */
double wu__radam_factor(double beta2, int64_t offset, int64_t t); /* RAdamWarmup at step t */
int64_t wu__radam_offset(double beta2);

#endif
