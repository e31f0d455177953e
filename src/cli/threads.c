/* threads.c - how the engine's OpenMP threads wait, chosen before libgomp starts.
 *
 * libgomp's default wait policy spins at every barrier (GOMP_SPINCOUNT 300,000 rounds) before
 * it sleeps. Alone on a machine that is the fastest choice; beside another busy process it is
 * the slowest: a thread that spins holds a core that the other process's threads need, and
 * they are what it waits for. Two `warmup train` runs at once on two cores fell to a fraction
 * of one run's speed each. The passive policy sleeps at once, so a busy machine degrades
 * gracefully (docs/BENCHMARKS.md, "A busy machine"). OpenBLAS here is built on libgomp too.
 *
 * libgomp reads OMP_WAIT_POLICY and GOMP_SPINCOUNT once, in its initialiser, which runs before
 * main: setting them in main is too late. Earlier hooks do not work either: a constructor of
 * the program runs after its libraries' ones, and a .preinit_array entry runs first but the C
 * library's initialiser then resets environ to the one the process started with, before
 * libgomp reads it (checked with gdb, glibc 2.36). So a training command that finds neither
 * variable set starts itself again, once, with OMP_WAIT_POLICY=passive and a marker
 * (WARMUP_OMP_DEFAULT=1) that stops a second restart and shows, in the process's environment,
 * that the policy is warmup's default, not the user's. If the restart fails (no /proc), the command goes on
 * with libgomp's default; under valgrind there is no restart.
 *
 * A user's OMP_WAIT_POLICY or GOMP_SPINCOUNT is left alone, whatever its value, and so is the
 * thread count (OMP_NUM_THREADS, else one per core). OMP_DISPLAY_ENV=verbose prints what libgomp
 * uses (tests/test_threads.sh checks it); with the restart it prints twice, the second is the
 * one in effect. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_POLICY "passive"
#define MARKER "WARMUP_OMP_DEFAULT"

/* the commands that train, so use many threads for long; the others keep libgomp's default
 * and start once. This holds whether our code is built with OpenMP or not: OpenBLAS's OpenMP
 * build (the one scripts/deps.sh installs) runs its sgemm on libgomp's threads too. */
static int trains(const char *cmd)
{
    static const char *const cmds[] = {"train", "demo", "sweep", "study", NULL};
    for (int i = 0; cmds[i]; i++)
        if (!strcmp(cmd, cmds[i])) return 1;
    return 0;
}

void cli_threads_setup(int argc, char **argv)
{
    if (argc < 2 || !trains(argv[1])) return;
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || getenv(MARKER)) return;
    /* under valgrind the restarted process would run outside it (valgrind follows no exec by
     * default), and valgrind runs one thread at a time anyway */
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload")) return;
    if (setenv("OMP_WAIT_POLICY", DEFAULT_POLICY, 1) || setenv(MARKER, "1", 1)) return;
    execv("/proc/self/exe", argv); /* returns only on failure */
    unsetenv("OMP_WAIT_POLICY");
    unsetenv(MARKER);
}
