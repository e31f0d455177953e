/* bench_allreduce.c - the cost of averaging the reference GPT's gradient over the ranks: the
 * mean (wu_dist_mean_f: MPI_Allreduce, then a scale) of N floats (default 834,304, the
 * reference GPT's parameters, 3.3 MB), timed over R repetitions after 10 untimed ones; rank 0
 * prints the median and best milliseconds. Run under mpirun (bench/mpi_train.sh does):
 *   mpirun -np 2 build/bench_allreduce [N] [R] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "train/dist.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (wu_dist_init(&argc, &argv) != 0) return 2;
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 834304;
    int reps = argc > 2 ? atoi(argv[2]) : 200;
    if (n < 1 || reps < 1) return 2;
    float *g = malloc(n * sizeof *g);
    double *t = malloc((size_t)reps * sizeof *t);
    if (!g || !t) return 1;
    for (size_t i = 0; i < n; i++) g[i] = (float)(i % 97) * 1e-3f;
    for (int k = 0; k < 10; k++) wu_dist_mean_f(g, n);
    for (int k = 0; k < reps; k++) {
        wu_dist_barrier();
        double t0 = now();
        wu_dist_mean_f(g, n);
        t[k] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp);
    if (wu_dist_rank() == 0)
        printf("allreduce-mean of %zu floats (%.1f MB) on %d ranks: median %.3f ms, best %.3f ms\n",
               n, (double)n * 4 / 1e6, wu_dist_size(), t[reps / 2] * 1e3, t[0] * 1e3);
    free(g);
    free(t);
    wu_dist_finalize();
    return 0;
}
