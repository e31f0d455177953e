/* tune.h - warmup chosen automatically (issue 18): the probe behind `warmup(auto)`,
 * `warmup tune` and `warmup train --schedule 'warmup(auto) > ...'`.
 *
 * libwarmup is pure math: `warmup(auto)` only takes a length someone chose
 * (wu_sched_opts.auto_warmup_steps). This module chooses it by measuring the actual model on the
 * actual data with the actual optimizer and peak LR, on a copy of the run (its own model,
 * optimizer and data stream, built from the same configuration, so the run it plans starts
 * exactly as it would with that length given by hand):
 *
 *   1. no warmup: a few steps at the peak LR from initialisation. The loss "catapults" when it
 *      rises above its running minimum by more than WU_TUNE_CATAPULT (relative, on a short
 *      moving average, so that batch noise is not taken for one) or stops being finite: the
 *      peak LR is not stable yet (Kalra & Barkeshli 2024, arXiv 2406.09405: the catapult marks
 *      an LR above the stability threshold of the current sharpness). No catapult: no warmup.
 *   2. otherwise, from initialisation again: the LR rises linearly from 0 (the shape of the
 *      linear warmup it plans), and each catapult halves it (the ramp then climbs on from
 *      there at the same slope), until the LR has been at the peak for as many steps as
 *      stage 1 took without a catapult. The chosen warmup is the step at which that last
 *      stretch reached the peak: the time this model and data needed before the peak LR was
 *      stable. When the budget runs out first, the longest warmup it plans (WU_TUNE_CEIL of
 *      the run) is chosen, and the reason says so.
 *
 * Cost: every probe step is one forward/backward pass, as a training step is, and the probe
 * makes at most WU_TUNE_BUDGET (10%) of the planned run's steps' passes; with its wall time it is
 * reported. A run shorter than WU_TUNE_MIN_PASSES / WU_TUNE_BUDGET steps is refused (the probe
 * could measure nothing): give the length by hand.
 *
 *     wu_tune_result t;
 *     if (wu_tune_needed(&c) && wu_tune(&c, &t, &err) == WU_OK) c.auto_warmup = t.warmup_steps;
 */
#ifndef WU_TUNE_H
#define WU_TUNE_H

#include <stdint.h>

#include "train.h"

#define WU_TUNE_BUDGET 0.10    /* the probe's passes, at most, as a fraction of the run's */
#define WU_TUNE_CATAPULT 0.15  /* a rise of the smoothed loss above its running minimum that
                                  counts as a catapult (relative) */
#define WU_TUNE_CEIL 0.25      /* the longest warmup it plans, as a fraction of the run */
#define WU_TUNE_MIN_PASSES 5   /* the fewest passes that can tell anything */
#define WU_TUNE_MAX_TRACE 4096 /* probe steps kept in the trace (a report's chart) */

typedef struct wu_tune_result {
    int64_t warmup_steps;   /* the chosen length in steps; 0: no warmup */
    int64_t run_steps;      /* the run it plans (c->steps) */
    int64_t passes;         /* forward/backward passes the probe made (<= budget) */
    int64_t budget;         /* floor(WU_TUNE_BUDGET x run_steps): one pass per training step */
    double pct_of_run;      /* 100 x passes / run_steps */
    double wall_s;          /* the probe's wall time, building its copy of the run included */
    double peak_lr;         /* c->lr */
    int catapults;          /* catapults met, both stages */
    int stable_at_once;     /* stage 1 found the peak LR stable: no warmup */
    int exhausted;          /* the budget ran out before the peak was stable: the ceiling */
    char reason[600];       /* in words: what it measured and why this length */
    int ntrace;             /* the probe's steps, both stages in order (at most MAX_TRACE) */
    int trace_stage[WU_TUNE_MAX_TRACE]; /* 1 or 2 */
    double trace_lr[WU_TUNE_MAX_TRACE];
    float trace_loss[WU_TUNE_MAX_TRACE];
} wu_tune_result;

/* Does c's schedule use warmup(auto) without a chosen length (c->auto_warmup < 0)? 0 also for
 * a spec that does not parse for another reason (the run reports that error itself). */
int wu_tune_needed(const wu_train_config *c);

/* wu_sched_opts.auto_warmup_steps for c (c->auto_warmup: -1 not chosen -> 0, 0 ->
 * WU_AUTO_WARMUP_NONE, N -> N). */
int64_t wu_tune_sched_steps(const wu_train_config *c);

/* Run the probe for the run c plans (c->steps, c->lr, model, data, optimizer, batch, seed;
 * c->schedule is not used) and fill *res. Nothing is written to disk and c is not changed.
 * Returns WU_OK; WU_EINVAL for a bad configuration or data (as wu_train_open) or a run too short
 * for the probe ("steps: ..."); WU_ENOMEM; or the model's code when it refuses a batch. */
int wu_tune(const wu_train_config *c, wu_tune_result *res, wu_error *err);

/* res as a JSON object (no trailing newline): steps, reason, passes, budget_passes,
 * pct_of_run, wall_s, peak_lr, catapults, probed (true). summary.json's "auto_warmup" and
 * `warmup tune --json`. */
void wu_tune_json(FILE *f, const wu_tune_result *res);

/* The file in a run's directory that keeps its probe's result, so that a resumed run (which does
 * not probe again) still reports what the probe chose and cost in summary.json. */
#define WU_TUNE_FILE "auto_warmup.json"

/* Write res (wu_tune_json) to dir/WU_TUNE_FILE atomically (wu_outfile). WU_OK, or WU_EIO with
 * the path and reason in err. */
int wu_tune_save(const char *dir, const wu_tune_result *res, wu_error *err);

/* The saved probe of the run in dir as compact JSON text (the caller frees it), or NULL when
 * there is none, it does not parse, or it chose another length than steps (a stale file). */
char *wu_tune_load_json(const char *dir, int64_t steps);

#endif
