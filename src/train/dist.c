/* dist.c - the ranks of a data-parallel run (dist.h): MPI where the build has it
 * (WU_HAVE_MPI) and mpirun started the process; one rank otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "config.h"
#include "dist.h"

static int data_parallel;

void wu_dist_set_data_parallel(int on) { data_parallel = on; }
int wu_dist_data_parallel(void) { return data_parallel; }

int wu_dist_launched(int *rank, int *size)
{
    static const char *const vars[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                          {"PMI_RANK", "PMI_SIZE"},
                                          {"PMIX_RANK", "OMPI_UNIVERSE_SIZE"}};
    int found = 0;
    *rank = 0, *size = 1;
    for (int i = 0; i < 3; i++) {
        const char *r = getenv(vars[i][0]), *z = getenv(vars[i][1]);
        long long rv, zv;
        if (!r && !z) continue;
        if (r && z && wu_parse_whole(r, &rv) == 0 && wu_parse_whole(z, &zv) == 0 && zv >= 1 &&
            rv >= 0 && rv < zv && zv <= 1000000) {
            *rank = (int)rv, *size = (int)zv;
            return 1;
        }
        if (!found && r && wu_parse_whole(r, &rv) == 0 && rv >= 0 && rv < 1000000) *rank = (int)rv;
        found = 1;
    }
    if (found) *size = 0; /* a launcher's rank (or size) without the other */
    return found;
}

#ifdef WU_HAVE_MPI
#include <mpi.h>

static int started, rank_, size_ = 1;

int wu_dist_init(int *argc, char ***argv)
{
    int have, r, z;
    MPI_Initialized(&have);
    if (have || !wu_dist_launched(&r, &z)) return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) return -1;
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    return 0;
}

void wu_dist_finalize(void)
{
    if (started) MPI_Finalize();
    started = 0;
    rank_ = 0;
    size_ = 1;
}

int wu_dist_rank(void) { return rank_; }
int wu_dist_size(void) { return size_; }
int wu_dist_built(void) { return 1; }

void wu_dist_mean_f(float *buf, size_t n)
{
    if (size_ <= 1) return;
    /* in chunks that fit an int count */
    for (size_t at = 0; at < n;) {
        int m = n - at > (1u << 30) ? 1 << 30 : (int)(n - at);
        MPI_Allreduce(MPI_IN_PLACE, buf + at, m, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        at += (size_t)m;
    }
    const float inv = 1.0f / (float)size_;
    for (size_t i = 0; i < n; i++) buf[i] *= inv;
}

void wu_dist_sum_d(double *buf, size_t n)
{
    if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void wu_dist_max_d(double *buf, size_t n)
{
    if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
}

int wu_dist_max_i(int v)
{
    if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return v;
}

int wu_dist_same_u64(uint64_t v)
{
    if (size_ <= 1) return 1;
    uint64_t lo = v, hi = v;
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    return lo == hi;
}

int wu_dist_agree(int rc) { return -wu_dist_max_i(-rc); }

int wu_dist_agree_err(int rc, wu_error *err)
{
    int any = wu_dist_agree(rc);
    if (any == WU_OK || size_ <= 1) return any;
    /* the lowest rank that failed sends its message to every other rank */
    int who = rc != WU_OK ? rank_ : size_;
    MPI_Allreduce(MPI_IN_PLACE, &who, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err && rc != WU_OK ? err->msg : "");
    MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, who, MPI_COMM_WORLD);
    if (rc == WU_OK) wu_fail(err, any, "rank %d: %s", who, msg);
    return any;
}

void wu_dist_barrier(void)
{
    if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
}

void wu_dist_abort(int code)
{
    if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

#else /* one rank */

static int rank_; /* the rank mpirun gave a process of this build (wu_dist_init fails then) */

int wu_dist_init(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* started by mpirun on several ranks: they would each train alone into one directory */
    int r, z;
    if (wu_dist_launched(&r, &z) && z > 1) {
        rank_ = r;
        return -1;
    }
    return 0;
}
void wu_dist_finalize(void) {}
int wu_dist_rank(void) { return rank_; }
int wu_dist_size(void) { return 1; }
int wu_dist_built(void) { return 0; }
void wu_dist_mean_f(float *buf, size_t n) { (void)buf, (void)n; }
void wu_dist_sum_d(double *buf, size_t n) { (void)buf, (void)n; }
void wu_dist_max_d(double *buf, size_t n) { (void)buf, (void)n; }
int wu_dist_max_i(int v) { return v; }
int wu_dist_same_u64(uint64_t v) { (void)v; return 1; }
int wu_dist_agree(int rc) { return rc; }
int wu_dist_agree_err(int rc, wu_error *err) { (void)err; return rc; }
void wu_dist_barrier(void) {}
void wu_dist_abort(int code) { (void)code; }

#endif
