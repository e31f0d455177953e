/* cpuload.h - how much of this process's cores other processes are using, so that a training
 * run can use fewer threads while the machine is busy and all of them once it is not.
 *
 * Why: OpenMP threads that wait at a barrier spin on their core for a while before they sleep.
 * Two runs on two cores, each with two spinning threads, then take turns on every barrier and
 * fall to a fraction of their speed; a run beside a build does the same. A run that notices the
 * other work and drops to the cores left free never waits on a descheduled thread of its own
 * (docs/BENCHMARKS.md, "A busy machine"). Linux only: elsewhere, or where /proc/stat cannot be
 * read, nothing is known and nothing changes. */
#ifndef WU_CPULOAD_H
#define WU_CPULOAD_H

/* One sample: the busy time of the cores this process may run on (its CPU affinity), this
 * process's own CPU time, and the wall clock. */
typedef struct wu_cpuload {
    int ncpu;        /* the cores this process may run on (0: nothing is known) */
    double busy;     /* seconds those cores were busy, all processes, since boot */
    double own;      /* seconds of CPU this process used, all its threads */
    double wall;     /* monotonic seconds */
} wu_cpuload;

/* Take the first sample. Returns the number of cores (>= 1), or 0 when the load cannot be known
 * (no /proc/stat); then wu_cpuload_others always says -1. */
int wu_cpuload_start(wu_cpuload *s);

/* Cores' worth of work that other processes did on this process's cores since the last sample
 * (0 .. ncpu; 1.0: one core kept busy), and take a new sample. -1 when nothing is known, or
 * when less than min_s seconds have passed (the sample is then kept). */
double wu_cpuload_others(wu_cpuload *s, double min_s);

/* The thread count to use next: the cores that other processes leave free, within 1 .. max.
 * cur is the count in use; the answer moves away from it only when the load is clearly past a
 * core boundary (a core counts as taken once others use half of it, and as freed once they use
 * less than a quarter), so a load that wavers around one boundary does not flip the count at
 * every sample. others < 0 (unknown) keeps cur. Pure: tests/test_util.c walks its table. */
int wu_cpuload_threads(int max, int ncpu, double others, int cur);

#endif
