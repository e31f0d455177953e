/* lab.h - grids of training runs: many configurations run side by side on the cores, each in
 * its own directory, resumable; and their summaries read back for analysis.
 *
 *     wu_lab_run runs[2];
 *     wu_train_defaults(&runs[0].c);  snprintf(runs[0].c.out, ..., "grid/a");
 *     wu_train_defaults(&runs[1].c);  snprintf(runs[1].c.out, ..., "grid/b"); runs[1].c.lr = 3e-3;
 *     wu_lab_opts o = {0};            // jobs and threads chosen from the cores
 *     wu_lab_exec(runs, 2, &o, &err); // then runs[i].s holds each summary
 *
 * A run whose directory already holds a finished summary (completed or diverged) is skipped; an
 * interrupted one resumes from its checkpoint (bitwise the same as uninterrupted); anything else
 * starts afresh. So a grid can be stopped at any moment and rerun to finish it. */
#ifndef WU_LAB_H
#define WU_LAB_H

#include <signal.h>
#include <stdint.h>

#include "../train/train.h"
#include "../util/fs.h"
#include "../util/json.h"

/* What a run's summary.json says. */
enum { WU_RUN_MISSING, WU_RUN_COMPLETED, WU_RUN_DIVERGED, WU_RUN_INTERRUPTED };

typedef struct wu_run_summary {
    int status;                 /* WU_RUN_* */
    int64_t steps, steps_done, best_step, diverged_at; /* diverged_at: -1 when it did not */
    double first_loss, final_loss, best_loss, final_val_loss, final_val_acc;
    double max_grad_norm_early, items_per_s, wall_s;
    int spikes;
    int ranks, rank_batch;      /* how it ran: processes and each one's share of the batch
                                   (0 when the summary does not say: one process) */
} wu_run_summary;

/* Read dir/summary.json. A missing file gives WU_OK with status WU_RUN_MISSING; a file that is
 * not a run summary gives WU_EINVAL naming it. Missing numbers read as NaN. */
int wu_run_summary_read(const char *dir, wu_run_summary *s, wu_error *err);

/* The loss a grid compares runs by: the final validation loss when the run evaluated one (less
 * noisy than one batch), else the final training loss; NaN for a run that diverged or is missing. */
double wu_run_score(const wu_run_summary *s);

typedef struct wu_lab_run {
    wu_train_config c;          /* c.out is the run's directory (created when missing) */
    int ranks;                  /* processes it runs on: 0 or 1, one (a child of this process);
                                   K > 1, data parallel on K ranks through wu_lab_opts.launch */
    wu_run_summary s;           /* filled by wu_lab_exec */
    int failed;                 /* the run stopped on an error: msg says which (wu_lab_exec) */
    char msg[320];              /* why it failed ("" when it did not, or died by a signal) */
} wu_lab_run;

typedef struct wu_lab_progress {
    int total, finished, skipped, running, failed;
    double frac;                /* 0..1 over the grid, counting the steps of running runs */
} wu_lab_progress;
typedef void (*wu_lab_cb)(const wu_lab_progress *p, void *ctx);

/* Start run c on `ranks` processes, data parallel, from its checkpoint when resume (else afresh,
 * replacing what its directory holds), with `threads` OpenMP threads per rank. Called in the
 * run's child process, whose stdout is /dev/null and whose stderr becomes the run's msg; it
 * replaces that process (exec) or returns its exit status (0: the run ended). */
typedef int (*wu_lab_launch)(const wu_train_config *c, int ranks, int resume, int threads, void *ctx);

typedef struct wu_lab_opts {
    int jobs;                   /* runs at once; 0: one per core (at most the number of runs) */
    int threads;                /* OpenMP threads per run; 0: cores / jobs, at least 1 */
    volatile sig_atomic_t *stop;/* when it becomes non-zero: no new run starts, running ones stop
                                   with a checkpoint (they get SIGTERM) and can be resumed */
    wu_lab_cb cb;               /* called about three times a second (may be NULL) */
    void *ctx;
    wu_lab_launch launch;       /* how a run with ranks > 1 starts (NULL: such a run is an error) */
    void *launch_ctx;
} wu_lab_opts;

/* Can a run of global batch `batch` be shared by `ranks` processes, each an equal share?
 * WU_OK, or WU_EINVAL saying why ("batch 6 is not divisible by 4 ranks: ..."). The one check
 * of a grid's runs on ranks (wu_lab_exec, and a study spreading its runs: wu_study_spread). */
int wu_lab_ranks_fit(int batch, int ranks, wu_error *err);

/* Run every run that is not finished yet, `jobs` at a time, each in a child process. Returns
 * WU_OK when every run ended (completed, diverged, or stopped by o->stop: check each r.s.status),
 * WU_EINVAL for a bad configuration (checked before anything starts; the message names the run),
 * WU_EIO when a directory cannot be made, or WU_ERUN when some run failed (r.failed; r.msg says
 * why, for the caller to show: nothing is printed here). */
int wu_lab_exec(wu_lab_run *runs, int n, const wu_lab_opts *o, wu_error *err);

/* The default parallelism for n runs: jobs and threads per job (see docs/BENCHMARKS.md: on small
 * models, runs side by side with one thread each beat one run with every thread). */
void wu_lab_plan(int n, int *jobs, int *threads);

#endif
