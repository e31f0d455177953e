/* cpuload.c - other processes' load on our cores, from /proc/stat (see cpuload.h). */
#define _GNU_SOURCE
#include "cpuload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#endif

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The busy seconds of the cores in our affinity mask, and how many they are; 0 cores when
 * /proc/stat (or the mask) cannot be read. Busy is everything but idle and iowait; steal (a
 * hypervisor running someone else) counts as busy, since we could not run either. */
static int busy_seconds(double *busy)
{
#ifdef __linux__
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof mask, &mask) != 0) return 0;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return 0;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0) hz = 100;
    char line[512];
    unsigned long long sum = 0;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        int cpu;
        unsigned long long v[8] = {0};
        if (strncmp(line, "cpu", 3) != 0) break; /* the cpu lines come first */
        if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9)
            continue; /* the "cpu " total line */
        if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &mask)) continue;
        /* user nice system idle iowait irq softirq steal */
        sum += v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
        n++;
    }
    fclose(f);
    *busy = (double)sum / (double)hz;
    return n;
#else
    (void)busy;
    return 0;
#endif
}

int wu_cpuload_start(wu_cpuload *s)
{
    memset(s, 0, sizeof *s);
    double busy = 0;
    int n = busy_seconds(&busy);
    if (n <= 0) return 0;
    s->ncpu = n;
    s->busy = busy;
    s->own = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    s->wall = clock_s(CLOCK_MONOTONIC);
    return n;
}

double wu_cpuload_others(wu_cpuload *s, double min_s)
{
    if (s->ncpu <= 0) return -1;
    double wall = clock_s(CLOCK_MONOTONIC);
    if (wall - s->wall < min_s || wall <= s->wall) return -1;
    double busy = 0;
    if (busy_seconds(&busy) != s->ncpu) return -1; /* the mask changed: start over */
    double own = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    /* the cores' busy time (10 ms ticks) less our own (exact): the ticks' rounding can make
       the difference slightly negative or above the core count, hence the clamp */
    double others = ((busy - s->busy) - (own - s->own)) / (wall - s->wall);
    s->busy = busy;
    s->own = own;
    s->wall = wall;
    if (others < 0) others = 0;
    if (others > s->ncpu) others = s->ncpu;
    return others;
}

int wu_cpuload_threads(int max, int ncpu, double others, int cur)
{
    if (max < 1) max = 1;
    if (cur < 1 || cur > max) cur = max;
    if (others < 0 || ncpu < 1) return cur;
    int down = ncpu - (int)floor(others + 0.5);  /* cores left, a half-used one taken */
    int up = ncpu - (int)floor(others + 0.75);   /* cores left, a quarter-used one taken */
    int n = up > cur ? up : down < cur ? down : cur;
    return n < 1 ? 1 : n > max ? max : n;
}
