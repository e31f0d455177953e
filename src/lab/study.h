/* study.h - named, reproducible studies of the claims warmup rests on: each a preset grid of
 * runs (this file), and charts with a conclusion computed from the numbers (report/study_*.c).
 *
 *   lr-range          the LR x warmup sweep on the default transformer (Wortsman et al. 2023)
 *   batch-scaling     large batches with linear / square-root LR scaling, with and without
 *                     constant and gradual warmup, SGD with momentum (Goyal et al. 2017)
 *   optimizers        SGD+momentum, Adam and AdamW, with and without warmup, each at its best LR
 *   layernorm         Pre-LN against Post-LN, with and without warmup, over LRs; per-layer
 *                     gradient norms at initialisation (Xiong et al. 2020)
 *   adam-first-steps  vanilla Adam against untuned linear and exponential warmup and RAdam
 *                     (Ma & Yarats 2021, Liu et al. 2019): update size and Adam's v early on
 *
 * quick: a small model and few steps (under a minute on 2 cores, for tests); the default size
 * finishes within 10 minutes on 2 cores (docs/STUDIES.md has the measured times). */
#ifndef WU_STUDY_H
#define WU_STUDY_H

#include "sweep.h"

#define WU_STUDY_MAX 40

typedef struct wu_study_arm {
    char label[64];     /* legend text, e.g. "Post-LN, warmup 25%" */
    int group;          /* study-specific: the optimizer, the LN kind, the batch arm ... */
    int warm;           /* 1: this arm has a warmup */
    double x;           /* study-specific: the LR of a point on an LR axis */
} wu_study_arm;

typedef struct wu_study {
    char name[32];
    int quick;
    char dir[512];
    char data[512];     /* batch-scaling: the images (default fashion-mnist) */
    int n;
    wu_lab_run runs[WU_STUDY_MAX];
    wu_study_arm arm[WU_STUDY_MAX];
    wu_sweep sweep;     /* lr-range: the grid (runs[] holds its runs) */
    int k;              /* batch-scaling: the batch factor */
    int64_t steps_per_epoch[WU_STUDY_MAX]; /* batch-scaling: per run */
    double beta2;       /* adam-first-steps */
} wu_study;

/* What DIR/study.json says: the study, its size, seed and data (what a rerun must match), and
 * the command that made it. */
typedef struct wu_study_manifest {
    char name[32], data[512], command[2048];
    int quick;
    uint64_t seed;
} wu_study_manifest;

/* Read dir/study.json. WU_EINVAL naming the file when it is not a manifest warmup study wrote;
 * the wu_json_read() errors when it cannot be read or parsed. */
int wu_study_manifest_read(const char *dir, wu_study_manifest *m, wu_error *err);

/* The studies' names, NULL-terminated, and one line about each. */
extern const char *const wu_study_names[];
extern const char *const wu_study_about[];

/* Plan study `name` into s (zeroed by the caller) with its runs under dir; seed is the base seed.
 * Errors: an unknown name (the message lists the studies), a configuration that does not check,
 * missing data (batch-scaling names the Debian package). */
int wu_study_plan(wu_study *s, const char *name, int quick, const char *dir, uint64_t seed,
                  const char *data, wu_error *err);

#endif
