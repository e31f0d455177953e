/* sweep.h - the LR x warmup grid: its runs, its manifest (so that a rerun resumes the same grid
 * and `warmup report` can redraw it), results.csv, and LR sensitivity.
 *
 * Run i of the grid is (warmup w, lr l, seed k) with i = (w * nlr + l) * seeds + k; its directory
 * is DIR/lr<lr>-w<warmup>-seed<seed>, e.g. sweep/lr0.001-w10pct-seed1. */
#ifndef WU_SWEEP_H
#define WU_SWEEP_H

#include "lab.h"

#define WU_SWEEP_MAX 16 /* LRs, warmup lengths */

typedef struct wu_sweep {
    wu_train_config base;                /* every run's settings; base.schedule is what follows the
                                            warmup (the decay), base.out is unused */
    double lrs[WU_SWEEP_MAX];
    int nlr;
    char warmups[WU_SWEEP_MAX][16];      /* "0" (none), "2%" (of the steps), "100" (steps) */
    int nwarm;
    int seeds;                           /* seeds base.seed, base.seed + 1, ... */
    char dir[512];
} wu_sweep;

/* Parse "0,2%,10%,25%" into s->warmups: each 0, a percentage in (0, 100], or a step count in
 * [1, steps]. Errors name the item and say what is allowed. */
int wu_sweep_set_warmups(wu_sweep *s, const char *text, wu_error *err);

/* The warmup length of warmup w as a fraction of the run (0 for none). */
double wu_sweep_warm_frac(const wu_sweep *s, int w);

/* The schedule spec of warmup w: base.schedule alone, or "warmup(W) > base.schedule".
 * Returns -1 when it does not fit in n bytes. */
int wu_sweep_spec(const wu_sweep *s, int w, char *out, size_t n);

/* Build the grid's runs (calloc'd, *n of them; free() them). Checks every configuration and
 * schedule first; errors name the run. */
int wu_sweep_runs(const wu_sweep *s, wu_lab_run **runs, int *n, wu_error *err);

/* DIR/sweep.json: the grid and the base configuration, and the command that made it. When DIR
 * already holds a manifest of a different grid, this fails (WU_EINVAL) saying what differs, so
 * that a rerun never mixes two grids in one results.csv. keep: a manifest of the same grid is
 * left as it is (a cell of a grid run on many machines: whoever comes first writes it, by an
 * atomic rename, and the others only check it), else it is rewritten with this command. */
int wu_sweep_manifest(const wu_sweep *s, const char *command, int keep, wu_error *err);

/* Read a manifest back (for `warmup report DIR`): the grid, the seeds, the command, and the
 * whole base configuration (wu_train_config_from_json: a field the manifest lacks gets its
 * default). */
int wu_sweep_load(wu_sweep *s, const char *dir, char *command, size_t ncommand, wu_error *err);

/* One cell of the grid: the seeds of one (warmup, lr) pair. */
typedef struct wu_sweep_cell {
    double score;       /* mean over finished seeds of min(final loss, initial loss); a diverged
                           seed counts as the initial loss (Wortsman et al. 2023) */
    double first_loss;  /* mean initial loss */
    int diverged;       /* seeds that diverged */
    int finished;       /* seeds completed or diverged */
} wu_sweep_cell;

typedef struct wu_sweep_result {
    wu_sweep_cell cell[WU_SWEEP_MAX][WU_SWEEP_MAX]; /* [warmup][lr] */
    double best[WU_SWEEP_MAX];         /* per warmup: the lowest cell score over the LRs */
    int best_lr[WU_SWEEP_MAX];         /* its LR index (-1: none finished) */
    double sensitivity[WU_SWEEP_MAX];  /* per warmup: mean over LRs of (score - best); NaN until
                                          the row is complete (a row missing its high-LR cells
                                          would look robust, even "the best") */
    int lrs_done[WU_SWEEP_MAX];        /* per warmup: LRs whose every seed has finished */
    /* Per warmup, each seed on its own (issue 18), then the mean and the sample standard
       deviation over the seeds (sd NaN with one seed; all NaN until the row is complete). A
       seed's excess at an LR is its score there minus its own best over the row: sens is the
       mean excess over all LRs (the sensitivity above, per seed); high and high_max the mean and
       the largest excess over the LRs from the row's best LR (best_lr) up, where warmup is
       expected to act (the low LRs are undertrained whatever the warmup). */
    double sens_mean[WU_SWEEP_MAX], sens_sd[WU_SWEEP_MAX];
    double high_mean[WU_SWEEP_MAX], high_sd[WU_SWEEP_MAX];
    double high_max_mean[WU_SWEEP_MAX], high_max_sd[WU_SWEEP_MAX];
    int unfinished;                    /* runs not finished (missing or interrupted) */
} wu_sweep_result;

void wu_sweep_analyse(const wu_sweep *s, const wu_lab_run *runs, wu_sweep_result *r);

/* DIR/results.csv: a row per run: lr, warmup, seed, final_loss (the score's loss: validation
 * when evaluated), best_loss (best training batch), diverged (0/1), diverged_at, first_loss,
 * final_train_loss, status, dir. Written atomically. */
int wu_sweep_results_csv(const wu_sweep *s, const wu_lab_run *runs, wu_error *err);

/* DIR/sensitivity.csv: a row per warmup: warmup, warmup_frac, lr_sensitivity, best_lr,
 * best_loss, diverged (runs), finished (runs). Written atomically. */
int wu_sweep_sensitivity_csv(const wu_sweep *s, const wu_sweep_result *r, wu_error *err);

#endif
