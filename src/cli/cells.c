/* cells.c - a grid's runs as independent cells across processes (cells.h), shared by `warmup
 * sweep` and `warmup study`. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../train/config.h"
#include "../train/dist.h"
#include "../util/outfile.h"
#include "cells.h"
#include "cli.h"
#include "lab_cli.h"

void cli_ranks_begin(cli_ranks *r)
{
    r->saved_err = -1;
    r->t0 = time(NULL);
    wu_dist_launched(&r->rank, &r->size);
    if (r->size == 1 || r->rank == 0) return;
    int nul = open("/dev/null", O_WRONLY);
    fflush(stderr);
    if (nul >= 0 && (r->saved_err = dup(STDERR_FILENO)) >= 0) dup2(nul, STDERR_FILENO);
    if (nul >= 0) close(nul);
}

void cli_ranks_speak(cli_ranks *r)
{
    if (r->saved_err < 0) return;
    fflush(stderr);
    dup2(r->saved_err, STDERR_FILENO);
    close(r->saved_err);
    r->saved_err = -1;
}

int cli_ranks_check(const cli_ranks *r, int cell)
{
    if (r->size == 0)
        return cli_error("started by an MPI launcher that gives rank %d but not the number of ranks "
                         "(OMPI_COMM_WORLD_SIZE, PMI_SIZE or OMPI_UNIVERSE_SIZE): run the cells "
                         "with --cell I instead (docs/CLUSTER.md)", r->rank);
    if (cell >= 0 && r->size > 1)
        return cli_error("--cell under mpirun: all %d ranks would run cell %d at once; give either "
                         "--cell I or mpirun (ranks take the cells round-robin)", r->size, cell);
    return WU_EXIT_OK;
}

int cli_cells_run(const char *what, const char *dir, wu_lab_run *runs, int n, int cell,
                  const cli_ranks *r, int jobs, int quiet)
{
    int m = 0;
    wu_lab_run *mine = calloc((size_t)n + 1, sizeof *mine);
    int *idx = calloc((size_t)n + 1, sizeof *idx);
    if (!mine || !idx) {
        free(mine), free(idx);
        return cli_error("out of memory");
    }
    for (int i = 0; i < n; i++)
        if (cell >= 0 ? i == cell : i % r->size == r->rank) idx[m] = i, mine[m++] = runs[i];
    if (!quiet && cell < 0)
        printf("warmup %s: rank %d of %d: %d of the %d cells -> %s\n", what, r->rank, r->size, m, n, dir);
    fflush(stdout);
    int interrupted = 0, rc = WU_EXIT_OK;
    if (m) {
        rc = cli_run_grid(mine, m, jobs > 0 ? jobs : 1, cli_env_threads(cell >= 0 ? 0 : 1), quiet,
                          r->rank > 0, &interrupted);
        for (int k = 0; k < m; k++) runs[idx[k]] = mine[k];
    }
    free(mine), free(idx);
    return rc != WU_EXIT_USAGE && interrupted ? 130 : rc;
}

/* What identifies one mpirun launch, the same in every rank and new in the next launch (a
 * Slurm job's id with its step's: every srun of one allocation shares the job's), its
 * characters made safe for a file name. Returns 0 when the environment holds none of them: the
 * id is then "mpirun", shared by every such launch (wait_ranks then goes by the markers' age). */
static int launch_id(char *out, size_t n)
{
    static const char *const vars[] = {"PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid",
                                       "OMPI_MCA_orte_ess_jobid", "PMI_KVSNAME", "PMI_JOBID",
                                       "SLURM_JOB_ID", NULL};
    const char *v = NULL;
    int i = 0;
    for (; vars[i] && !(v = getenv(vars[i])); i++) {}
    const char *step = getenv("SLURM_STEP_ID");
    if (v && *v && !strcmp(vars[i], "SLURM_JOB_ID") && step && *step)
        snprintf(out, n, "%s.%s", v, step);
    else
        snprintf(out, n, "%s", v && *v ? v : "mpirun");
    wu_name_safe(out);
    return v && *v;
}

static volatile sig_atomic_t wait_stop;
static void on_wait_signal(int sig)
{
    (void)sig;
    wait_stop = 1;
}

/* How much older than rank 0's start a marker of a launch without an id may be and still be
 * this launch's: the ranks start at about the same time, and the file system's clock may be
 * another machine's. */
#define MARK_SKEW_S 60

/* Rank 0's wait for the other ranks: each writes DIR/.ranks/<launch>-<rank> (atomically, its
 * exit status inside) when its cells are done. Without a launch id (by_age), a marker older
 * than rank 0's start t0 less MARK_SKEW_S is an earlier launch's: removed, not counted. Returns
 * the worst status, or 130 when stopped. */
static int wait_ranks(const char *dir, const char *launch, int size, int own, int by_age, time_t t0)
{
    struct sigaction sa, oi, ot;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wait_signal;
    wait_stop = 0;
    sigaction(SIGINT, &sa, &oi);
    sigaction(SIGTERM, &sa, &ot);
    int worst = own;
    for (int r = 1; r < size && !wait_stop; r++) {
        char path[700];
        snprintf(path, sizeof path, "%s/.ranks/%s-%d", dir, launch, r);
        FILE *f = NULL;
        struct stat st_;
        while (!wait_stop) {
            if ((f = fopen(path, "r")) && !(by_age && fstat(fileno(f), &st_) == 0 &&
                                            st_.st_mtime < t0 - MARK_SKEW_S))
                break;
            if (f) fclose(f), f = NULL, unlink(path); /* stale */
            struct timespec ts = {0, 200000000};
            nanosleep(&ts, NULL);
        }
        if (wait_stop) {
            if (f) fclose(f);
            break;
        }
        int st = 1;
        if (fscanf(f, "%d", &st) != 1) st = 1;
        fclose(f);
        unlink(path);
        if (st > worst) worst = st;
    }
    sigaction(SIGINT, &oi, NULL);
    sigaction(SIGTERM, &ot, NULL);
    return wait_stop ? 130 : worst;
}

static int mark_rank(const char *dir, const char *launch, int rank, int status, wu_error *err)
{
    char path[700];
    snprintf(path, sizeof path, "%s/.ranks", dir);
    if (wu_mkdirs(path, err)) return err->code;
    snprintf(path, sizeof path, "%s/.ranks/%s-%d", dir, launch, rank);
    wu_outfile o;
    if (wu_outfile_open(&o, path, err)) return err->code;
    fprintf(o.f, "%d\n", status);
    return wu_outfile_commit(&o, err);
}

int cli_ranks_join(const char *dir, const cli_ranks *r, int rc, int quiet, int *report)
{
    char launch[128];
    int by_id = launch_id(launch, sizeof launch);
    wu_error err;
    *report = 0;
    if (r->rank != 0) {
        /* the status goes in the marker; a rank that exits non-zero would make mpirun stop rank
           0 before it reports, so a rank whose marker is written exits 0 */
        if (mark_rank(dir, launch, r->rank, rc, &err)) return cli_engine_error(NULL, err.msg);
        return rc == 130 ? 130 : WU_EXIT_OK;
    }
    if (rc == 130) return cli_grid_end(1, 0);
    if (!quiet) printf("rank 0: waiting for the other %d ranks\n", r->size - 1);
    fflush(stdout);
    int worst = wait_ranks(dir, launch, r->size, rc, !by_id, r->t0);
    char marks[700];
    snprintf(marks, sizeof marks, "%s/.ranks", dir);
    rmdir(marks); /* when no other launch's markers are left in it */
    if (worst == 130) return cli_grid_end(1, 0);
    *report = 1;
    return worst;
}

void cli_cells_read(wu_lab_run *runs, int n)
{
    wu_error err;
    for (int i = 0; i < n; i++)
        if (wu_run_summary_read(runs[i].c.out, &runs[i].s, &err) != WU_OK) runs[i].s.status = WU_RUN_MISSING;
}

int cli_cells_missing(const wu_lab_run *runs, int n, const char *noun, const char *cmd)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        m += runs[i].s.status != WU_RUN_COMPLETED && runs[i].s.status != WU_RUN_DIVERGED;
    if (!m) return 0;
    printf("%d of %d %s not finished (run one with warmup %s ... --cell I):\n", m, n, noun, cmd);
    for (int i = 0; i < n; i++) {
        int st = runs[i].s.status;
        if (st == WU_RUN_COMPLETED || st == WU_RUN_DIVERGED) continue;
        const char *d = strrchr(runs[i].c.out, '/');
        char mp[700];
        snprintf(mp, sizeof mp, "%s/metrics.csv", runs[i].c.out);
        printf("  %d %s%s\n", i, d ? d + 1 : runs[i].c.out,
               st == WU_RUN_INTERRUPTED ? " (interrupted)"
               : access(mp, F_OK) == 0 ? " (started: running, or stopped without a summary)" : "");
    }
    return m;
}

/* s as one shell word (wu_shell_word) on stdout. */
static void put_word(const char *s)
{
    size_t n = 4 * strlen(s) + 3; /* every character a ' at worst, and the quotes */
    char *w = malloc(n);
    if (!w) return;
    w[0] = '\0';
    if (wu_shell_word(w, n, s) == 0) fputs(w, stdout);
    free(w);
}

void cli_cells_emit_slurm(const char *cmd, const char *about, const char *report,
                          const char *tail, int n, int ntasks, const char *dir, int argc, char **argv)
{
    char exe[1024], cwd[1024];
    cli_self_exe(exe, sizeof exe);
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    printf("#!/bin/sh\n"
           "# %s of %d cells as a Slurm job array (warmup %s --emit-slurm).\n"
           "#   sh THIS_FILE       submits the array and a report step that runs after it\n"
           "#   sbatch THIS_FILE   submits the array alone (then: warmup %s DIR)\n"
           "# Each task runs one cell into the shared directory; a rerun skips finished cells.\n"
           "#SBATCH --job-name=warmup-%s\n"
           "#SBATCH --array=0-%d\n"
           "#SBATCH --cpus-per-task=1\n", about, n, cmd, report, cmd, n - 1);
    if (ntasks > 1) /* a cell's runs on K ranks: mpirun -np K inside the task needs K slots */
        printf("#SBATCH --ntasks=%d\n", ntasks);
    /* sbatch's own parser reads #SBATCH lines: a directory that needs quoting is not put there
       (the task cd's into it, and `sh THIS_FILE` passes it to sbatch as an argument) */
    char plain[sizeof cwd + 1] = "";
    if (wu_shell_word(plain, sizeof plain, cwd) == 0 && !strcmp(plain, cwd))
        printf("#SBATCH --chdir=%s\n", cwd);
    printf("#SBATCH --output=slurm-%%A_%%a.out\n"
           "WARMUP=");
    put_word(exe);
    /* the report step's command, quoted once for the shell of its job (--wrap) and once for
       this script's */
    size_t wn = 4 * (strlen(exe) + strlen(dir)) + strlen(report) + strlen(tail) + 16;
    char *wrap = malloc(wn);
    if (wrap) {
        wrap[0] = '\0';
        wu_shell_word(wrap, wn, exe);
        snprintf(wrap + strlen(wrap), wn - strlen(wrap), " %s ", report);
        wu_shell_word(wrap, wn, dir);
        snprintf(wrap + strlen(wrap), wn - strlen(wrap), "%s", tail);
    }
    printf("\nif [ -z \"$SLURM_ARRAY_TASK_ID\" ]; then\n"
           "    jid=$(sbatch --parsable --chdir=");
    put_word(cwd);
    printf(" \"$0\") || exit 1\n"
           "    jid=${jid%%%%;*}\n"
           "    sbatch --dependency=afterany:\"$jid\" --job-name=warmup-collect --chdir=");
    put_word(cwd);
    printf(" \\\n        --output=slurm-collect-%%j.out --wrap ");
    put_word(wrap ? wrap : "false");
    free(wrap);
    printf("\n    echo \"submitted: job array $jid (%d cells), then the report step\"\n"
           "    exit\n"
           "fi\n"
           "cd ", n);
    put_word(cwd);
    printf(" || exit 1\n"
           "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}\n"
           "exec \"$WARMUP\" %s", cmd);
    for (int i = 0; i < argc; i++) {
        fputc(' ', stdout);
        put_word(argv[i]);
    }
    printf(" --cell \"$SLURM_ARRAY_TASK_ID\" -q\n");
}
