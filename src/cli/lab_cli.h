/* lab_cli.h - the parts of `warmup sweep` and `warmup study` that face the terminal. */
#ifndef WU_LAB_CLI_H
#define WU_LAB_CLI_H

#include "../lab/lab.h"

/* Run the grid (skipping finished runs) with a progress bar on a terminal (none when quiet or
 * no_bar: a rank > 0 of an mpirun launch, whose terminal is rank 0's); Ctrl-C stops every run
 * with a checkpoint and sets *interrupted. jobs 0: the default plan; threads per run 0: the
 * cores shared among the jobs. Returns 0;
 * WU_EXIT_FAIL when some run failed (said; the others ran: report them); WU_EXIT_USAGE after
 * printing why the grid could not run at all. */
int cli_run_grid(wu_lab_run *runs, int n, int jobs, int threads, int quiet, int no_bar,
                 int *interrupted);

/* After a grid's report: 130 when it was interrupted (said), WU_EXIT_FAIL when runs failed
 * (said), else WU_EXIT_OK. */
int cli_grid_end(int interrupted, int failed);

/* Print "warmup: run DIR: why" on stderr for each run that failed (wu_lab_exec's r.msg). */
void cli_run_errors(const wu_lab_run *runs, int n);

/* cmd ("warmup sweep") and argv as one shell-quoted line (each word as wu_shell_word), for
 * "how to rerun" (the words that fit in n). */
void cli_command_line(const char *cmd, int argc, char **argv, char *out, size_t n);

/* This program's absolute path (/proc/self/exe) into buf, or "warmup" (then found on PATH)
 * when it cannot be read or does not fit; returns buf. */
const char *cli_self_exe(char *buf, size_t n);

/* argv less the options that say which part of a grid runs here (--cell I, --cells,
 * --emit-slurm, --collect DIR) into out (room for argc): the command a plan records, the same
 * for every cell of one grid. Returns how many. */
int cli_plain_args(int argc, char **argv, char **out);

/* Threads per run for a cell or a rank, which shares its node with others: OMP_NUM_THREADS
 * when set, else dflt (0: the lab's default, every core among the jobs). */
int cli_env_threads(int dflt);

/* launch.c: runs of a grid on several ranks. The MPI launcher's name ($WU_MPIRUN's first word,
 * else mpirun) into name; returns 1 when it can be run (a path, or found on PATH). */
int cli_launcher(char *name, size_t n);
/* wu_lab_launch: exec `LAUNCHER -np K THIS-PROGRAM train <c as options> --force -q` (or
 * `train --resume DIR -q`) with OMP_NUM_THREADS=threads; returns 2 (said on stderr) when it
 * cannot. */
struct wu_train_config;
int cli_launch_train(const struct wu_train_config *c, int ranks, int resume, int threads, void *ctx);

#endif
