/* cmd_sweep.c - `warmup sweep`: the LR x warmup grid, run side by side on the cores, resumable;
 * then results.csv, LR sensitivity, the charts and report.html. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include "../report/lab_report.h"
#include "../train/config.h"
#include "../util/json.h"
#include "../util/outfile.h"
#include "cli.h"
#include "lab_cli.h"

static const char HELP[] =
    "usage: warmup sweep --out DIR [--lrs LIST] [--warmups LIST] [--seeds K] [train options]\n"
    "\n"
    "Train the same model at every peak LR x warmup length (x seed), several runs at once, and\n"
    "show how the final loss depends on the LR with and without warmup: final loss against LR,\n"
    "a heatmap, LR sensitivity against warmup length (Wortsman et al. 2023), DIR/results.csv and\n"
    "DIR/report.html. Rerunning the same command skips finished runs and resumes interrupted\n"
    "ones (Ctrl-C stops every run with a checkpoint).\n"
    "\n"
    "  -o, --out DIR        where the runs and the report go (required)\n"
    "      --lrs LIST       peak LRs (default 1e-4,3e-4,1e-3,3e-3,1e-2)\n"
    "      --warmups LIST   warmup lengths: 0, percentages of the steps, or step counts\n"
    "                       (default 0,2%,10%,25%)\n"
    "      --seeds K        seeds per cell (default 1)\n"
    "  -j, --jobs N         runs at once (default: one per core)\n"
    "\n"
    "Across machines (docs/CLUSTER.md): the grid is N independent cells, one per run.\n"
    "      --cells          print N, then one line per cell: its index and directory name\n"
    "                       (--format json: {\"cells\": N, \"dir\": DIR, \"names\": [...]})\n"
    "      --cell I         run cell I (0 to N-1) alone into the shared --out DIR; writes no\n"
    "                       shared file but the plan (DIR/sweep.json, when missing)\n"
    "      --collect DIR    results.csv, the charts and report.html from the cells finished so\n"
    "                       far, listing the missing ones (as 'warmup report DIR'); exit 1 while\n"
    "                       some are missing\n"
    "      --emit-slurm     print an sbatch script: a job array over the cells, then --collect\n"
    "Under mpirun (OMPI_COMM_WORLD_RANK/SIZE or PMI_RANK/SIZE set), rank r of K runs cells\n"
    "r, r+K, ... and rank 0 collects once every rank is done.\n"
    "  -s, --schedule SPEC  what follows the warmup (default 'cosine(to=0.1)')\n"
    "      --ascii          plain ASCII charts;  -q, --quiet: no progress or charts\n"
    "  -h, --help\n"
    "Any option of 'warmup train' sets every run (--model, --steps, --batch, --optimizer, ...);\n"
    "the defaults are train's, with evaluation only at the end.\n"
    "\n"
    "Exit status: 0 done, 1 some run failed (the others are reported), 2 bad usage or input,\n"
    "130 interrupted (rerun to finish).\n";


/* The rank and the number of ranks when started by mpirun (Open MPI's, or MPICH/Hydra's PMI
 * variables): read from the environment, so that no MPI library is linked for a sweep. */
static int mpi_ranks(int *rank, int *size)
{
    static const char *const vars[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                          {"PMI_RANK", "PMI_SIZE"},
                                          {"PMIX_RANK", "OMPI_UNIVERSE_SIZE"}};
    for (int i = 0; i < 3; i++) {
        const char *r = getenv(vars[i][0]), *z = getenv(vars[i][1]);
        long long rv, zv;
        if (r && z && wu_parse_whole(r, &rv) == 0 && wu_parse_whole(z, &zv) == 0 && zv >= 1 &&
            rv >= 0 && rv < zv && zv <= 1000000) {
            *rank = (int)rv, *size = (int)zv;
            return 1;
        }
    }
    return 0;
}

/* What identifies one mpirun launch, the same in every rank and new in the next launch: the
 * markers of a launch that was killed are never taken for this one's. */
static void launch_id(char *out, size_t n)
{
    static const char *const vars[] = {"PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid",
                                       "OMPI_MCA_orte_ess_jobid", "PMI_KVSNAME", "PMI_JOBID",
                                       "SLURM_JOB_ID", NULL};
    const char *v = NULL;
    for (int i = 0; vars[i] && !v; i++) v = getenv(vars[i]);
    size_t u = 0;
    for (; v && *v && u + 1 < n; v++)
        out[u++] = (char)(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
                                 *v) ? *v : '_');
    if (!u) u = (size_t)snprintf(out, n, "mpirun");
    out[u < n ? u : n - 1] = '\0';
}

static volatile sig_atomic_t wait_stop;
static void on_wait_signal(int sig)
{
    (void)sig;
    wait_stop = 1;
}

/* Rank 0's wait for the other ranks: each writes DIR/.ranks/<launch>-<rank> (atomically, its
 * exit status inside) when its cells are done. Returns the worst status, or 130 when stopped. */
static int wait_ranks(const char *dir, const char *launch, int size, int own)
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
        FILE *f;
        while (!(f = fopen(path, "r")) && !wait_stop) {
            struct timespec ts = {0, 200000000};
            nanosleep(&ts, NULL);
        }
        if (!f) break;
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

/* List the cells not finished, by index and directory name, on stdout. Returns how many. */
static int list_missing(const wu_lab_run *runs, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        m += runs[i].s.status != WU_RUN_COMPLETED && runs[i].s.status != WU_RUN_DIVERGED;
    if (!m) return 0;
    printf("%d of %d cells not finished (run one with warmup sweep ... --cell I):\n", m, n);
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

/* `warmup sweep --collect DIR`: the report from the cells finished so far. */
static int collect(const char *dir, int quiet, int ascii)
{
    wu_sweep *s = calloc(1, sizeof *s);
    wu_lab_run *runs = NULL;
    int n = 0, rc;
    char command[2048];
    wu_error err;
    if (!s) return cli_error("out of memory");
    char plan[1100];
    snprintf(plan, sizeof plan, "%s/sweep.json", dir);
    if (access(plan, F_OK) != 0) {
        free(s);
        return cli_error("--collect: %s holds no sweep (no sweep.json): give the --out DIR of "
                         "'warmup sweep ... --cell I'", dir);
    }
    rc = wu_sweep_load(s, dir, command, sizeof command, &err);
    if (rc == WU_OK) rc = wu_sweep_runs(s, &runs, &n, &err);
    for (int i = 0; rc == WU_OK && i < n; i++)
        if (wu_run_summary_read(runs[i].c.out, &runs[i].s, &err) != WU_OK) runs[i].s.status = WU_RUN_MISSING;
    int cols = cli_term_cols() < 100 ? cli_term_cols() : 100;
    wu_term t = {quiet ? NULL : stdout, cols, ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE, cli_use_color()};
    if (rc == WU_OK) rc = wu_report_sweep(s, runs, command, &t, &err);
    if (rc != WU_OK) {
        rc = cli_engine_error(NULL, err.msg);
    } else {
        int missing = list_missing(runs, n);
        if (!quiet) printf("results: %s/results.csv  report: %s/report.html\n", dir, dir);
        rc = missing ? WU_EXIT_FAIL : WU_EXIT_OK;
    }
    free(runs);
    free(s);
    return rc;
}

/* A shell word: plain, or single-quoted. */
static void shell_word(FILE *f, const char *a)
{
    if (*a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/%+:@") ==
                  strlen(a)) {
        fputs(a, f);
        return;
    }
    fputc('\'', f);
    for (; *a; a++)
        if (*a == '\'') fputs("'\\''", f);
        else fputc(*a, f);
    fputc('\'', f);
}

/* `--emit-slurm`: an sbatch script whose array tasks run one cell each; started with sh, it
 * submits itself as the array and a collect step that waits for it (afterany). */
static void emit_slurm(int n, const char *dir, int argc, char **argv)
{
    char exe[1024], cwd[1024];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) snprintf(exe, sizeof exe, "warmup");
    else exe[len] = '\0';
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    printf("#!/bin/sh\n"
           "# An LR x warmup sweep of %d cells as a Slurm job array (warmup sweep --emit-slurm).\n"
           "#   sh THIS_FILE       submits the array and a collect step that runs after it\n"
           "#   sbatch THIS_FILE   submits the array alone (then: warmup sweep --collect DIR)\n"
           "# Each task runs one cell into the shared directory; a rerun skips finished cells.\n"
           "#SBATCH --job-name=warmup-sweep\n"
           "#SBATCH --array=0-%d\n"
           "#SBATCH --cpus-per-task=1\n"
           "#SBATCH --chdir=", n, n - 1);
    shell_word(stdout, cwd);
    printf("\n#SBATCH --output=slurm-%%A_%%a.out\n"
           "WARMUP=");
    shell_word(stdout, exe);
    printf("\nDIR=");
    shell_word(stdout, dir);
    printf("\nif [ -z \"$SLURM_ARRAY_TASK_ID\" ]; then\n"
           "    jid=$(sbatch --parsable \"$0\") || exit 1\n"
           "    jid=${jid%%%%;*}\n"
           "    sbatch --dependency=afterany:\"$jid\" --job-name=warmup-collect --chdir=");
    shell_word(stdout, cwd);
    printf(" \\\n        --output=slurm-collect-%%j.out --wrap \"\\\"$WARMUP\\\" sweep --collect \\\"$DIR\\\" -q\"\n"
           "    echo \"submitted: job array $jid (%d cells), then the collect step\"\n"
           "    exit\n"
           "fi\n"
           "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}\n"
           "exec \"$WARMUP\" sweep", n);
    for (int i = 0; i < argc; i++) {
        fputc(' ', stdout);
        shell_word(stdout, argv[i]);
    }
    printf(" --cell \"$SLURM_ARRAY_TASK_ID\" -q\n");
}

/* A part of the grid on this process: cell `cell` alone (--cell I), or under mpirun the cells
 * rank, rank + size, ...; rank 0 then waits for the other ranks and collects. Nothing shared
 * is written here but by rank 0's collect. */
static int run_cells(wu_sweep *s, wu_lab_run *runs, int n, int cell, int rank, int size, int jobs,
                     int quiet, int ascii)
{
    int m = 0;
    wu_lab_run *mine = calloc((size_t)n, sizeof *mine);
    int *idx = calloc((size_t)n, sizeof *idx);
    if (!mine || !idx) {
        free(mine), free(idx);
        return cli_error("out of memory");
    }
    for (int i = 0; i < n; i++)
        if (cell >= 0 ? i == cell : i % size == rank) idx[m] = i, mine[m++] = runs[i];
    if (!quiet) {
        if (cell >= 0)
            printf("warmup sweep: cell %d of %d (%s) -> %s\n", cell, n,
                   strrchr(runs[cell].c.out, '/') + 1, s->dir);
        else
            printf("warmup sweep: rank %d of %d: %d of the %d cells -> %s\n", rank, size, m, n, s->dir);
    }
    int interrupted = 0, rc = WU_EXIT_OK;
    if (m) {
        rc = cli_run_grid(mine, m, jobs > 0 ? jobs : 1, cli_env_threads(cell >= 0 ? 0 : 1), quiet,
                          &interrupted);
        for (int k = 0; k < m; k++) runs[idx[k]] = mine[k];
    }
    free(mine), free(idx);
    if (rc != WU_EXIT_USAGE && interrupted) rc = 130;
    if (cell >= 0) {
        if (rc == WU_EXIT_OK && !quiet) {
            const wu_run_summary *u = &runs[cell].s;
            printf("cell %d: %s, final loss %.6g; 'warmup sweep --collect %s' assembles the "
                   "results\n", cell, u->status == WU_RUN_DIVERGED ? "diverged" : "completed",
                   wu_run_score(u), s->dir);
        }
        return rc == 130 ? cli_grid_end(1, 0) : rc;
    }
    char launch[128];
    launch_id(launch, sizeof launch);
    wu_error err;
    if (rank != 0) {
        /* the status goes in the marker; a rank that exits non-zero would make mpirun stop rank
           0 before it collects, so a rank whose marker is written exits 0 */
        if (mark_rank(s->dir, launch, rank, rc, &err)) return cli_engine_error(NULL, err.msg);
        return rc == 130 ? 130 : WU_EXIT_OK;
    }
    if (rc == 130) return cli_grid_end(1, 0);
    if (!quiet) printf("rank 0: waiting for the other %d ranks\n", size - 1);
    fflush(stdout);
    int worst = wait_ranks(s->dir, launch, size, rc);
    char marks[700];
    snprintf(marks, sizeof marks, "%s/.ranks", s->dir);
    rmdir(marks); /* when no other launch's markers are left in it */
    if (worst == 130) return cli_grid_end(1, 0);
    int c = collect(s->dir, quiet, ascii);
    if (worst != WU_EXIT_OK) {
        cli_error("some cells failed (see above); rerun the same command to retry them");
        return WU_EXIT_FAIL;
    }
    return c;
}

int cmd_sweep(int argc, char **argv)
{
    enum { O_LRS = 400, O_WARMUPS, O_SEEDS, O_ASCII, O_CELLS, O_CELL, O_COLLECT, O_SLURM, O_FORMAT };
    static const struct option own[] = {
        {"lrs", required_argument, 0, O_LRS}, {"warmups", required_argument, 0, O_WARMUPS},
        {"seeds", required_argument, 0, O_SEEDS}, {"jobs", required_argument, 0, 'j'},
        {"ascii", no_argument, 0, O_ASCII}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {"cells", no_argument, 0, O_CELLS},
        {"cell", required_argument, 0, O_CELL}, {"collect", required_argument, 0, O_COLLECT},
        {"emit-slurm", no_argument, 0, O_SLURM}, {"format", required_argument, 0, O_FORMAT},
        {0, 0, 0, 0},
    };
    /* the arguments as given, before getopt permutes them: the plan's command line */
    char **plain = calloc((size_t)argc + 1, sizeof *plain);
    if (!plain) return cli_error("out of memory");
    int nplain = cli_plain_args(argc - 1, argv + 1, plain);
    const char *cell_arg = NULL, *collect_dir = NULL, *format = NULL;
    int list_cells = 0, slurm = 0, nother = 0;
    /* under mpirun every rank checks the same input: only rank 0 says what is wrong with it */
    int quiet_fd = -1, mr = 0, ms = 1;
    if (mpi_ranks(&mr, &ms) && ms > 1 && mr > 0) {
        int nul = open("/dev/null", O_WRONLY);
        fflush(stderr);
        if (nul >= 0 && (quiet_fd = dup(STDERR_FILENO)) >= 0) dup2(nul, STDERR_FILENO);
        if (nul >= 0) close(nul);
    }
    struct option opts[64];
    cli_options_merge(opts, 64, cli_train_options(), own);
    char shortopts[32];
    snprintf(shortopts, sizeof shortopts, ":%sj:qh", cli_train_shortopts());
    wu_sweep *s = calloc(1, sizeof *s);
    if (!s) {
        free(plain);
        return cli_error("out of memory");
    }
    wu_train_defaults(&s->base);
    snprintf(s->base.schedule, sizeof s->base.schedule, "cosine(to=0.1)");
    s->base.eval_every = 0;
    s->seeds = 1;
    const char *lrs = "1e-4,3e-4,1e-3,3e-3,1e-2", *warm = "0,2%,10%,25%";
    int64_t v, jobs = 0;
    int ascii = 0, quiet = 0, ch, rc = WU_EXIT_USAGE;
    wu_lab_run *runs = NULL;
    int n = 0;
    opterr = 0;
    optind = 0; /* 0: a full reset of getopt, also after a scan that stopped early */
    while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        switch (ch) {
        case O_LRS: nother++; lrs = optarg; break;
        case O_WARMUPS: nother++; warm = optarg; break;
        case O_SEEDS:
            nother++;
            if (cli_int64("--seeds", optarg, 1, 100, &v)) goto out;
            s->seeds = (int)v;
            break;
        case 'j': nother++; if (cli_int64("--jobs", optarg, 1, 256, &jobs)) goto out; break;
        case O_ASCII: ascii = 1; break;
        case 'q': quiet = 1; break;
        case O_CELLS: list_cells = 1; break;
        case O_CELL: cell_arg = optarg; break;
        case O_COLLECT: collect_dir = optarg; break;
        case O_SLURM: slurm = 1; break;
        case O_FORMAT: format = optarg; break;
        case 'h': fputs(HELP, stdout); rc = WU_EXIT_OK; goto out;
        case ':': cli_error("%s needs a value (see 'warmup sweep --help')", argv[optind - 1]); goto out;
        default: {
            nother++;
            int r = cli_train_option(ch, optarg, &s->base);
            if (r > 0) goto out;
            if (r < 0) {
                cli_error("sweep: unknown option '%s' (see 'warmup sweep --help')", argv[optind - 1]);
                goto out;
            }
        }
        }
    }
    if (optind < argc) {
        cli_error("sweep: unexpected argument '%s' (every input is an option)", argv[optind]);
        goto out;
    }
    if (collect_dir) {
        if (nother || list_cells || cell_arg || slurm) {
            cli_error("sweep: --collect DIR takes the grid from DIR/sweep.json: give it alone "
                      "(with -q or --ascii)");
            goto out;
        }
        if (cli_parse_only) {
            rc = WU_EXIT_OK;
            goto out;
        }
        rc = collect(collect_dir, quiet, ascii);
        goto out;
    }
    if (format && (!list_cells || (strcmp(format, "text") && strcmp(format, "json")))) {
        cli_error("--format: '%s': use --format text or --format json, with --cells", format);
        goto out;
    }
    if ((list_cells != 0) + (cell_arg != NULL) + (slurm != 0) > 1) {
        cli_error("sweep: use one of --cells, --cell I and --emit-slurm at a time");
        goto out;
    }
    if (!s->base.out[0]) {
        cli_error("sweep: --out DIR is required (where the runs, results.csv and report.html go)");
        goto out;
    }
    snprintf(s->dir, sizeof s->dir, "%s", s->base.out);
    s->base.out[0] = '\0';
    if (cli_double_list("--lrs", lrs, s->lrs, WU_SWEEP_MAX, &s->nlr)) goto out;
    for (int i = 0; i < s->nlr; i++)
        for (int j = 0; j < i; j++)
            if (s->lrs[i] == s->lrs[j]) {
                cli_error("--lrs: %g is listed twice", s->lrs[i]);
                goto out;
            }
    wu_error err;
    if (wu_sweep_set_warmups(s, warm, &err) || wu_sweep_runs(s, &runs, &n, &err)) {
        cli_engine_error(NULL, err.msg);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        int field;
        if (wu_cfg_check(&runs[i].c, &field, &err) != WU_OK) {
            cli_config_error(field, err.msg);
            goto out;
        }
    }
    int cell = -1;
    if (cell_arg) {
        long long v_;
        int why = wu_parse_whole(cell_arg, &v_);
        if (why || v_ < 0 || v_ >= n) {
            cli_error("--cell: '%s' is not a cell of this sweep: it has %d cells, numbered 0 to "
                      "%d (see --cells)", cell_arg, n, n - 1);
            goto out;
        }
        cell = (int)v_;
    }
    if (cli_parse_only) {
        rc = WU_EXIT_OK;
        goto out;
    }
    if (list_cells && format && !strcmp(format, "json")) {
        printf("{\"cells\": %d, \"dir\": ", n);
        wu_json_string(stdout, s->dir);
        printf(", \"names\": [");
        for (int i = 0; i < n; i++) {
            if (i) printf(", ");
            wu_json_string(stdout, strrchr(runs[i].c.out, '/') + 1);
        }
        printf("]}\n");
        rc = WU_EXIT_OK;
        goto out;
    }
    if (list_cells) {
        printf("%d\n", n);
        for (int i = 0; i < n; i++) printf("%d %s\n", i, strrchr(runs[i].c.out, '/') + 1);
        rc = WU_EXIT_OK;
        goto out;
    }
    if (slurm) {
        emit_slurm(n, s->dir, nplain, plain);
        rc = WU_EXIT_OK;
        goto out;
    }
    int rank = 0, size = 1;
    mpi_ranks(&rank, &size);
    if (cell >= 0 && size > 1) {
        cli_error("--cell under mpirun: all %d ranks would run cell %d at once; give either "
                      "--cell I or mpirun (ranks take the cells round-robin)", size, cell);
        goto out;
    }
    /* a directory of another kind is never taken over: a study's or the demo's (study.json),
       or a training run's own files */
    char held[160], sj[600];
    snprintf(sj, sizeof sj, "%s/study.json", s->dir);
    if (access(sj, F_OK) == 0) {
        cli_error("--out: %s holds a study or the demo (study.json), not a sweep: choose another --out",
                  s->dir);
        goto out;
    }
    if (wu_run_dir_holds(s->dir, held, sizeof held)) {
        cli_error("--out: %s holds %s of 'warmup train', not a sweep: choose another --out", s->dir, held);
        goto out;
    }
    char command[2048];
    cli_command_line("warmup sweep", nplain, plain, command, sizeof command);
    /* a cell or a rank writes the plan only when it is missing (atomically: all write the same),
       a whole sweep on one machine as before */
    if (wu_mkdirs(s->dir, &err) ||
        wu_sweep_manifest(s, command, cell >= 0 || size > 1, &err)) {
        cli_engine_error(NULL, err.msg);
        goto out;
    }
    if (quiet_fd >= 0) { /* from here on a rank's own runs speak for themselves */
        fflush(stderr);
        dup2(quiet_fd, STDERR_FILENO);
        close(quiet_fd);
        quiet_fd = -1;
    }
    if (cell >= 0 || size > 1) {
        rc = run_cells(s, runs, n, cell, rank, size, (int)jobs, quiet, ascii);
        goto out;
    }
    if (!quiet)
        printf("warmup sweep: %s, %lld steps, %d LRs x %d warmups x %d seed%s -> %s\n",
               s->base.model, (long long)s->base.steps, s->nlr, s->nwarm, s->seeds,
               s->seeds > 1 ? "s" : "", s->dir);
    int interrupted = 0;
    int failed = 0;
    if ((rc = cli_run_grid(runs, n, (int)jobs, 0, quiet, &interrupted)) == WU_EXIT_USAGE) goto out;
    failed = rc == WU_EXIT_FAIL;
    int cols = cli_term_cols() < 100 ? cli_term_cols() : 100;
    wu_term t = {quiet ? NULL : stdout, cols, ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE, cli_use_color()};
    if (wu_report_sweep(s, runs, command, &t, &err) != WU_OK) {
        rc = cli_engine_error(NULL, err.msg);
        goto out;
    }
    if (!quiet && (interrupted || failed)) list_missing(runs, n);
    if ((rc = cli_grid_end(interrupted, failed)) != WU_EXIT_OK) goto out;
    if (!quiet) printf("\nresults: %s/results.csv  report: %s/report.html\n", s->dir, s->dir);
out:
    if (quiet_fd >= 0) {
        fflush(stderr);
        dup2(quiet_fd, STDERR_FILENO);
        close(quiet_fd);
    }
    free(runs);
    free(s);
    free(plain);
    return rc;
}
