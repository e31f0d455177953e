/* lab_cli.c - what `warmup sweep` and `warmup study` share: running a grid with a progress bar
 * over the whole grid and a clean stop on Ctrl-C, and the command line that made a directory. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lab/lab.h"
#include "../train/config.h"
#include "cli.h"
#include "lab_cli.h"

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct bar {
    double t0, frac0;   /* when and where this session started: finished runs do not count */
    int tty;
} bar;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void progress(const wu_lab_progress *p, void *ctx)
{
    const bar *b = ctx;
    if (!b->tty) return;
    int width = 30, done = (int)(width * p->frac);
    char line[40];
    for (int i = 0; i < width; i++) line[i] = i < done ? '=' : (i == done ? '>' : ' ');
    line[width] = '\0';
    if (b->frac0 < 0) ((bar *)ctx)->frac0 = p->frac;
    double el = now() - b->t0, gained = p->frac - b->frac0;
    double eta = gained > 0.005 ? el * (1 - p->frac) / gained : 0;
    printf("\r[%s] %3.0f%%  %d/%d runs done, %d running%s%s  ETA %ld:%02ld ", line, 100 * p->frac,
           p->finished + p->skipped, p->total, p->running, p->failed ? ", failed " : "",
           p->failed ? "!" : "", (long)eta / 60, (long)eta % 60);
    fflush(stdout);
}

void cli_run_errors(const wu_lab_run *runs, int n)
{
    fflush(stdout);
    for (int i = 0; i < n; i++)
        if (runs[i].failed && runs[i].msg[0]) {
            char ctx[sizeof runs[i].c.out + 8], msg[sizeof runs[i].msg];
            snprintf(ctx, sizeof ctx, "run %s", runs[i].c.out);
            /* a run on ranks says it as `warmup train` under mpirun does: its first line that
               is not mpirun's rule of dashes, less the "warmup: " */
            const char *m = runs[i].msg;
            while (runs[i].ranks > 1 && (*m == '\n' || *m == '-' || *m == ' '))
                m = *m == '-' ? m + strcspn(m, "\n") : m + 1;
            if (runs[i].ranks > 1 && !strncmp(m, "warmup: ", 8)) m += 8;
            snprintf(msg, sizeof msg, "%.*s", runs[i].ranks > 1 ? (int)strcspn(m, "\n") : (int)strlen(m), m);
            cli_engine_error(ctx, msg[0] ? msg : runs[i].msg);
        }
}

int cli_grid_end(int interrupted, int failed)
{
    if (interrupted) {
        printf("\ninterrupted: the finished runs are kept; rerun the same command to finish\n");
        return 130;
    }
    if (failed) {
        cli_error("some runs failed (see above); the report covers the others: rerun to retry");
        return WU_EXIT_FAIL;
    }
    return WU_EXIT_OK;
}

int cli_run_grid(wu_lab_run *runs, int n, int jobs, int threads, int quiet, int no_bar,
                 int *interrupted)
{
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    stop_flag = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int j, t;
    wu_lab_plan(n, &j, &t);
    if (jobs > 0) j = jobs;
    bar b = {now(), -1, isatty(STDOUT_FILENO) && !quiet && !no_bar};
    int todo = 0;
    for (int i = 0; i < n; i++) {
        wu_run_summary s;
        wu_error e;
        if (wu_run_summary_read(runs[i].c.out, &s, &e) != WU_OK || (s.status != WU_RUN_COMPLETED &&
                                                                   s.status != WU_RUN_DIVERGED))
            todo++;
    }
    if (!quiet)
        printf("%d runs (%d to run, %d already finished), %d at a time\n", n, todo, n - todo, j);
    fflush(stdout);
    wu_lab_opts o = {.jobs = j, .threads = threads, .stop = &stop_flag, .cb = progress, .ctx = &b,
                     .launch = cli_launch_train};
    wu_error err;
    int rc = wu_lab_exec(runs, n, &o, &err);
    if (b.tty) printf("\n");
    cli_run_errors(runs, n);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    *interrupted = stop_flag != 0;
    if (rc == WU_ERUN) { /* the others finished: they are reported, the status says it */
        cli_engine_error(NULL, err.msg);
        return WU_EXIT_FAIL;
    }
    if (rc != WU_OK) return cli_engine_error(NULL, err.msg);
    return 0;
}

void cli_command_line(const char *cmd, int argc, char **argv, char *out, size_t n)
{
    snprintf(out, n, "%s", cmd);
    for (int i = 0; i < argc; i++) {
        size_t u = strlen(out);
        if (u + 1 >= n) break;
        out[u] = ' ', out[u + 1] = '\0';
        if (wu_shell_word(out, n, argv[i])) {
            out[u] = '\0'; /* the words that fit */
            break;
        }
    }
}

const char *cli_self_exe(char *buf, size_t n)
{
    ssize_t len = n > 1 ? readlink("/proc/self/exe", buf, n - 1) : -1;
    if (len <= 0 || (size_t)len >= n - 1) snprintf(buf, n, "warmup"); /* then from PATH */
    else buf[len] = '\0';
    return buf;
}

/* The command line without the options that only say which part of the grid to run here
 * (--cell I, --cells, --emit-slurm, --collect): what sweep.json or study.json records and every
 * cell of one grid writes alike, so that the plan file is the same whoever writes it first. */
int cli_plain_args(int argc, char **argv, char **out)
{
    int m = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--cells") || !strcmp(a, "--emit-slurm") || !strncmp(a, "--cell=", 7) ||
            !strncmp(a, "--collect=", 10))
            continue;
        if (!strcmp(a, "--cell") || !strcmp(a, "--collect")) {
            i++;
            continue;
        }
        out[m++] = argv[i];
    }
    return m;
}

/* OMP_NUM_THREADS when set, else `dflt`: a cell or a rank shares its node with others. */
int cli_env_threads(int dflt)
{
    const char *t = getenv("OMP_NUM_THREADS");
    long long v;
    if (t && wu_parse_whole(t, &v) == 0 && v >= 1 && v <= 1024) return (int)v;
    return dflt;
}
