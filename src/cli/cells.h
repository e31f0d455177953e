/* cells.h - a grid's runs as independent cells across processes, for `warmup sweep` and
 * `warmup study` alike (docs/CLUSTER.md): one cell alone (--cell I), the ranks of an mpirun
 * launch taking cells round-robin (no MPI linked: wu_dist_launched reads the environment; rank
 * 0 waits for the others' markers, then the command assembles its report), the cells not
 * finished, and the sbatch script of --emit-slurm. */
#ifndef WU_CELLS_H
#define WU_CELLS_H

#include <time.h>

#include "../lab/lab.h"

/* Where this process stands in an mpirun launch: rank r of size (0 of 1 without mpirun). */
typedef struct {
    int rank, size;
    int saved_err; /* stderr while a rank > 0 is hushed, else -1 */
    time_t t0;     /* when this process began (cli_ranks_begin) */
} cli_ranks;

/* Read the ranks. Every rank checks the same input: a rank > 0 of a launch of several sends
 * stderr to /dev/null until cli_ranks_speak, so that a bad input is said once (by rank 0). */
void cli_ranks_begin(cli_ranks *r);
void cli_ranks_speak(cli_ranks *r); /* stderr back; idempotent */

/* Whether this process may run `cell` (-1: none asked) under these ranks: --cell under mpirun
 * would run one cell on every rank at once, and a launcher that gives no number of ranks
 * cannot share the cells. Returns 0, or WU_EXIT_USAGE after saying why. */
int cli_ranks_check(const cli_ranks *r, int cell);

/* Run this process's part of the grid: cell `cell` alone (cell >= 0), else the cells rank,
 * rank + size, ... one at a time with OMP_NUM_THREADS threads (1 when unset); the progress bar
 * on rank 0 alone. `what` names the command ("sweep", "study") in a rank's progress line (DIR:
 * where the cells go). The runs' results go back into runs[]. Returns WU_EXIT_OK,
 * WU_EXIT_FAIL (some run failed), WU_EXIT_USAGE, or 130 (interrupted). */
int cli_cells_run(const char *what, const char *dir, wu_lab_run *runs, int n, int cell,
                  const cli_ranks *r, int jobs, int quiet);

/* After a rank's part (status rc from cli_cells_run), under mpirun with size > 1: a rank > 0
 * writes its marker DIR/.ranks/<launch>-<rank> and returns its exit status (0 once the marker
 * is written: a non-zero exit would make mpirun stop rank 0 before it reports; 130 when
 * interrupted); rank 0 waits for every other rank's marker of this launch and returns the
 * worst status, 130 when stopped. <launch> is the launch's id from the environment (a Slurm
 * job's with its step); with none, "mpirun", and markers older than rank 0's start (less a
 * minute) are an earlier launch's: removed, not counted. It waits with no limit: a rank that
 * dies without its marker must end the job (mpirun does; srun needs --kill-on-bad-exit=1).
 * *report: 1 when the caller (rank 0) now assembles the report. */
int cli_ranks_join(const char *dir, const cli_ranks *r, int rc, int quiet, int *report);

/* Read each run's summary into runs[i].s (WU_RUN_MISSING when it has none). */
void cli_cells_read(wu_lab_run *runs, int n);

/* List the cells not finished (runs[i].s read) on stdout: "M of N <noun> not finished (run one
 * with warmup <cmd> ... --cell I):", then index and directory name, and whether it started.
 * Returns M. */
int cli_cells_missing(const wu_lab_run *runs, int n, const char *noun, const char *cmd);

/* Print the --emit-slurm script: a job array 0..n-1 whose tasks run `warmup <cmd> ARGV --cell
 * $SLURM_ARRAY_TASK_ID -q` (ntasks > 1: each task is given ntasks slots, for a cell's runs on
 * that many ranks); started with sh (outside a job) it submits itself and an afterany step
 * `warmup <report> DIR<tail>` (report: "sweep --collect" or "report"; tail: "" or " -q").
 * Every path is quoted for each shell that reads it. about: the first comment line ("An LR x
 * warmup sweep"). */
void cli_cells_emit_slurm(const char *cmd, const char *about, const char *report,
                          const char *tail, int n, int ntasks, const char *dir, int argc,
                          char **argv);

#endif
