/* stable.h - the stable-lr study (issue 18; Kalra & Barkeshli 2024): for each warmup length and
 * for AdamW and GI-Adam (AdamW with its second moment started from the first gradient squared),
 * the largest peak LR that trains, found by bisection on a log scale.
 *
 * The study is adaptive. Its plan (wu_plan_stable_lr) holds the two ends of every bracket (one
 * per optimizer and warmup length: a group of the study) and a few runs with the sharpness
 * probe; once those ran, wu_next_stable_lr appends one run per bracket at the log-midpoint of
 * its bracket, which the caller writes to study.json and runs, and so on for the plan's
 * "rounds". The brackets are always recomputed from the finished runs' summaries, so the study
 * directory is a valid plan after every round and a rerun continues where it stopped.
 *
 * What the words mean (the page says the same):
 *   - diverged: what the engine reports (summary.json "status": "diverged"): a NaN or infinite
 *     loss or gradient, or a training loss above diverge_factor x the first step's loss, with
 *     the factor raised from the engine's 2 to 10 for these runs: at 2 the engine stops
 *     catapults (spikes to 2-2.6x that come back down), which Kalra & Barkeshli count as
 *     training;
 *   - trains: finished without diverging, with a final loss (the validation loss after the last
 *     step) at most train_frac (0.9) x the first step's loss. A run stalled on a plateau below
 *     that counts as training: the study asks about stability, not the quality of the result.
 *
 *     double lr[3] = {1e-3, 1, 0.0316};  int ok[3] = {1, 0, 1};
 *     wu_bracket b;  wu_stable_bracket(lr, ok, 3, &b);   // b.lo 0.0316, b.hi 1
 *     double next = wu_stable_next(&b, 31.6);             // 0.178, sqrt(lo hi)
 */
#ifndef WU_STABLE_H
#define WU_STABLE_H

#include "study.h"

/* A finished run's outcome: 1 it trains, 0 it does not (diverged, or a final loss above frac x
 * its first loss, or no final loss), -1 unknown (not run, or interrupted). */
int wu_stable_outcome(const wu_run_summary *r, double frac);

typedef struct wu_bracket {
    double lo;      /* the largest LR that trained below hi; 0 when none did */
    double hi;      /* the smallest LR that did not train; INFINITY when none failed */
    int n;          /* outcomes counted (runs with a known outcome) */
    int unknown;    /* runs whose outcome is not known yet */
    int nonmono;    /* runs that trained at an LR above hi: the outcome is not monotone in the
                       LR there, and the bracket is the lowest failure's */
} wu_bracket;

/* The bracket of n outcomes ok[i] (wu_stable_outcome: 1, 0, or -1, not counted) at LRs lr[i]
 * (> 0, any order). */
void wu_stable_bracket(const double *lr, const int *ok, int n, wu_bracket *b);

/* The next LR to try in b: the log-midpoint sqrt(lo hi) of a closed bracket; lo x step when
 * nothing failed (the top is open: the study looks for the largest LR that trains, so it goes
 * up until a run fails; step <= 1 turns that off); 0 when nothing trained (the page reports an
 * upper bound: below the low end a run fails for learning too little, not for instability) or
 * the bracket is closed to within a factor 1 + 1e-9. */
double wu_stable_next(const wu_bracket *b, double step);

/* The bracket of group g of a stable-lr study from its runs' summaries (s->runs[i].s, read by
 * the caller): every run of the group counts, the sharpness runs too (the probe leaves the
 * training trajectory as it is: docs/TRAINING.md). */
void wu_stable_group(const wu_study *s, int g, wu_bracket *b);

/* The plan: for AdamW and GI-Adam and each warmup length (0, 1%, 5%, 10%, 25%), a run at the
 * low end and at the high end of the initial bracket (quick: warmup 0 and 25% only); four runs with the sharpness probe (both
 * optimizers, no warmup and the longest warmup) at the plan's probe LR. Constants: lr_lo,
 * lr_hi, rounds, train_frac, probe_lr, nwarm, warmup0..warmup4 (fractions), decay, decay_to.
 * Errors: a configuration that does not check. */
int wu_plan_stable_lr(wu_study *s, wu_error *err);

/* The next round: one run per bracket that has a next LR (wu_stable_group_next: closed, or open
 * at the top), has fewer bisection runs than the plan's rounds and whose runs have all
 * finished, appended to s.
 * Returns how many were added (0: the study is done), or a negative WU_E* code with err set
 * (WU_ERANGE past WU_STUDY_MAX runs, WU_EINVAL for a plan that is not stable-lr's). */
int wu_next_stable_lr(wu_study *s, wu_error *err);

/* The LR of group g's next round (wu_stable_next, an open top moving up by sqrt(lr_hi/lr_lo)),
 * or 0 when the group has had its rounds, has a run whose outcome is not known yet, or has no
 * next LR. The bisection and the page's "brackets have rounds left" both ask this. */
double wu_stable_group_next(const wu_study *s, int g);

#endif
