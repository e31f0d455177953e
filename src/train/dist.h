/* dist.h - data-parallel training over MPI: the ranks of one run, the average of the gradient
 * buffer, the agreement on errors. Built with MPI where the Makefile finds it (WU_HAVE_MPI);
 * otherwise, and in a process not started by mpirun, there is one rank and every call is a
 * no-op. Only the training engine (src/train/) and the CLI's train command use it; libwarmup
 * knows nothing of it.
 *
 * A run on K ranks: --batch stays the global batch B, every rank draws the same global batch
 * (the data order is a function of the seed and the step, not of K) and takes rows
 * [rank*B/K, (rank+1)*B/K); the gradients are averaged over the ranks before clipping, so every
 * rank holds the same weights and optimizer state; rank 0 alone writes files. */
#ifndef WU_DIST_H
#define WU_DIST_H

#include <stddef.h>
#include <stdint.h>

struct wu_error;

/* Start MPI when this process was started by mpirun (Open MPI, MPICH or PMIx variables in the
 * environment) and the build has MPI; else one rank. Idempotent. Returns 0, or -1 when MPI
 * would not start, or when mpirun started this process on several ranks and the build has no
 * MPI (one rank then; wu_dist_rank says which rank mpirun meant, so that one rank reports it). */
int wu_dist_init(int *argc, char ***argv);
/* Whether an MPI launcher (mpirun, mpiexec) started this process, read from the environment
 * alone (no MPI call, in every build): Open MPI's OMPI_COMM_WORLD_RANK/SIZE, MPICH and Intel
 * MPI Hydra's PMI_RANK/PMI_SIZE, PMIx's PMIX_RANK/OMPI_UNIVERSE_SIZE. Returns 1 and sets *rank
 * and *size (0 when the launcher gave a rank but no valid size), else 0 (*rank 0, *size 1).
 * The one test of "rank r of K" for `warmup train` (MPI_Init) and for sweeps and studies, whose
 * ranks take cells without MPI. */
int wu_dist_launched(int *rank, int *size);
void wu_dist_finalize(void);   /* MPI_Finalize when wu_dist_init started it */
int wu_dist_rank(void);        /* 0 .. size-1 (0 without MPI) */
int wu_dist_size(void);        /* the ranks of the run (1 without MPI) */
int wu_dist_built(void);       /* 1 when this build has MPI */
/* Whether a training run (wu_train_open) spreads its batch over the ranks: off by default, so
 * that a command that gives each rank its own runs (a sweep's cells) trains each alone; `warmup
 * train` turns it on. */
void wu_dist_set_data_parallel(int on);
int wu_dist_data_parallel(void);
/* buf[0..n) := the mean of buf over the ranks (every rank gets the same bits) */
void wu_dist_mean_f(float *buf, size_t n);
void wu_dist_sum_d(double *buf, size_t n);   /* buf := the sum over the ranks */
void wu_dist_max_d(double *buf, size_t n);   /* buf := the maximum over the ranks */
int wu_dist_max_i(int v);                    /* the largest v over the ranks */
int wu_dist_same_u64(uint64_t v);            /* 1 when every rank passed the same v */
/* The agreement that keeps ranks in step: every rank passes its status (WU_OK or a negative
 * WU_E* code) and gets any failing rank's (the lowest code), so all take the same branch. */
int wu_dist_agree(int rc);
/* The same, and a rank that did not fail itself gets the message of the lowest failing rank in
 * err, prefixed "rank R: " (rank 0 prints; the others' output goes nowhere). */
int wu_dist_agree_err(int rc, struct wu_error *err);
void wu_dist_barrier(void);
void wu_dist_abort(int code);  /* end every rank now (MPI_Abort); a no-op with one rank */

#endif
