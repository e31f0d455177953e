/* study.h - named, reproducible studies of the claims warmup rests on, and the demo: each a plan
 * (this file: the runs, their labels and the constants the page quotes), written as data to
 * DIR/study.json before anything runs, with what the study measures outside its runs (such as
 * gradient norms at initialisation). Reports read that file and the runs' own files, nothing
 * else (report/study_report.c, report/demo_report.c), so an old study directory renders the
 * same after a plan in this file changes.
 *
 * The registry of the studies (name, claim, plan, measure, render) is in report/study_report.c:
 * the plans are here and the renderers in the report layer above, and only a layer that sees
 * both can hold one table of them (docs/ARCHITECTURE.md: lab is below report).
 *
 * quick: a small model and few steps (under a minute on 2 cores, for tests); the default size
 * finishes within 10 minutes on 2 cores (docs/STUDIES.md has the measured times). */
#ifndef WU_STUDY_H
#define WU_STUDY_H

#include "sweep.h"

/* stable-lr's plan grows by rounds to 74 runs of 10 groups (stable.h); a wu_study is on the heap */
#define WU_STUDY_MAX 96
#define WU_STUDY_GROUPS 12
#define WU_STUDY_CONSTS 16
#define WU_STUDY_VECS 12

typedef struct wu_study_arm {
    char name[64];      /* the run's directory under the study's */
    char label[64];     /* legend text, e.g. "Post-LN, LR 0.001, warmup 25%" */
    int group;          /* index into wu_study.group: the optimizer, the LN kind, the warmup ... */
    int warm;           /* 1: this arm has a warmup */
    double x;           /* the run's place on the study's x axis (its peak LR) */
} wu_study_arm;

/* A constant of the plan that the page quotes: a number, or a text when text[0]. */
typedef struct wu_study_const {
    char name[24];
    double v;
    char text[64];
} wu_study_const;

/* Something the study measured outside its runs, e.g. "grad_norm_init" of group 0. */
typedef struct wu_study_vec {
    char name[32];
    int group;
    int n;
    double v[64];
} wu_study_vec;

typedef struct wu_study {
    char name[32];
    int quick;
    uint64_t seed;
    char dir[512];
    char data[512];     /* the data the study was asked for (--data), "" for its default */
    char command[2048]; /* the command that made it (filled by wu_study_read) */
    int n;
    wu_lab_run runs[WU_STUDY_MAX]; /* runs[i].c.out = dir/arm[i].name */
    wu_study_arm arm[WU_STUDY_MAX];
    int ngroups;
    char group[WU_STUDY_GROUPS][48]; /* the groups' names: "SGD+momentum", "Pre-LN", "25%" */
    int nconst;
    wu_study_const cst[WU_STUDY_CONSTS];
    int nvec;
    wu_study_vec vec[WU_STUDY_VECS];
} wu_study;

/* Start a plan: s zeroed, its name, size, seed, data and directory. WU_EINVAL when dir is too
 * long. */
int wu_study_init(wu_study *s, const char *name, int quick, const char *dir, uint64_t seed,
                  const char *data, wu_error *err);

/* WU_OK when the study was given no --data (s->data ""); else WU_EINVAL, naming the study and
 * its fixed data (what, e.g. "the built-in language"): only batch-scaling takes --data. */
int wu_study_fixed_data(const wu_study *s, const char *what, wu_error *err);

/* The plans of the studies: each fills s (after wu_study_init) with its runs, groups and
 * constants, and checks every configuration and schedule. Errors: a configuration that does not
 * check, missing data (batch-scaling names the Debian package). */
int wu_plan_lr_range(wu_study *s, wu_error *err);
int wu_plan_batch_scaling(wu_study *s, wu_error *err);
int wu_plan_optimizers(wu_study *s, wu_error *err);
int wu_plan_layernorm(wu_study *s, wu_error *err);
int wu_plan_adam_first_steps(wu_study *s, wu_error *err);
/* issue 18 (study_auto.c): warmup(auto) against the grid 0, 2%, 10%, 25% at one peak LR, on
 * the GPT (built-in language; the licence texts of /usr/share/common-licenses) and the ViT
 * (Fashion-MNIST: the Debian package dataset-fashion-mnist), three seeds each. The automatic
 * arms have x = -1 (their length is in their summary.json). */
int wu_plan_auto_warmup(wu_study *s, wu_error *err);

/* The transformer most studies train: the reference GPT (300 steps), or for quick a 2-layer
 * width-32 one (80 steps, batch 8, context 16); seed given, no evaluation before the end. */
void wu_study_gpt(wu_train_config *c, int quick, uint64_t seed);
/* Every configuration and schedule of the plan checks: WU_OK, or the first error. */
int wu_study_check(const wu_study *s, wu_error *err);

/* The layernorm study's measurement: the per-layer gradient norms at initialisation of the
 * first run of each group, averaged over the plan's "init_batches", into s->vec: at the run's
 * own depth ("grad_norm_init") and at a few other depths ("grad_norm_init_L2", "_L4", ...: the
 * same configuration with that many blocks). No update is made and nothing is written.
 * WU_ERANGE past WU_STUDY_VECS vectors; the errors of wu_train_init_grad_norms. */
int wu_measure_init_grad_norms(wu_study *s, wu_error *err);

/* The demo's plan: base (model, data, LR, steps, batch, seed) trained with no warmup, a linear
 * and an exponential warmup of length warm ("25%" or steps), each before the same cosine decay,
 * in s->dir/none, linear and exp. The configurations are not checked here: the caller checks
 * them (wu_train_check, wu_sched_parse) and says which of its inputs was wrong. */
int wu_plan_demo(wu_study *s, const wu_train_config *base, const char *warm, wu_error *err);

/* Run the plan's larger-batch runs (those above its smallest batch: batch-scaling's k-times
 * arms) data parallel on `ranks` processes each, as Goyal et al. did (ranks 1: one process).
 * Returns how many runs that is (0: the plan has none, as in the studies of one batch size), or
 * -1 with WU_EINVAL in err when ranks does not divide such a run's batch, or when a run of the
 * plan chooses its warmup with the probe (wu_tune_needed: the probe runs in one process). */
int wu_study_spread(wu_study *s, int ranks, wu_error *err);

/* Add a run to a plan: config c in s->dir/name. WU_ERANGE past WU_STUDY_MAX runs. */
int wu_study_add(wu_study *s, const wu_train_config *c, const char *name, const char *label,
                 int group, int warm, double x, wu_error *err);
/* The index of group `name`, added when new (-1 past WU_STUDY_GROUPS). */
int wu_study_group(wu_study *s, const char *name);
/* Set a constant of the plan: a number, or a text when text is not NULL. */
void wu_study_set(wu_study *s, const char *name, double v, const char *text);
/* A constant: its number (NaN when the plan has none), its text ("" when none). */
double wu_study_num(const wu_study *s, const char *name);
const char *wu_study_text(const wu_study *s, const char *name);
/* A measurement: the vector `name` of group g, or NULL. */
const wu_study_vec *wu_study_measured(const wu_study *s, const char *name, int g);
/* The run whose arm is named `name`, or -1. */
int wu_study_arm_index(const wu_study *s, const char *name);

/* Write dir/study.json: the study's name, size, seed and data (what a rerun must match), the
 * command, the groups, the constants, the measurements and every run (its directory, label,
 * group, warmup flag, x, the ranks it is planned on and full configuration). Atomic. */
int wu_study_write(const wu_study *s, const char *command, wu_error *err);

/* Read dir/study.json back into s (zeroed here): the plan as it was written, with the runs'
 * directories under dir (so a copied directory reads the same) and their summaries not read.
 * WU_EINVAL naming the file when it is not a plan warmup wrote; the wu_json_read() errors when
 * it cannot be read or parsed. */
int wu_study_read(const char *dir, wu_study *s, wu_error *err);

/* What DIR/study.json says about what a rerun must match: the study, its size, seed and data,
 * and the command that made it. Errors as wu_study_read. */
typedef struct wu_study_manifest {
    char name[32], data[512], command[2048];
    int quick;
    uint64_t seed;
} wu_study_manifest;
int wu_study_manifest_read(const char *dir, wu_study_manifest *m, wu_error *err);

#endif
