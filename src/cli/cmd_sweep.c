/* cmd_sweep.c - `warmup sweep`: the LR x warmup grid, run side by side on the cores, resumable;
 * then results.csv, LR sensitivity, the charts and report.html. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../report/lab_report.h"
#include "../train/config.h"
#include "../util/json.h"
#include "cells.h"
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
    if (rc == WU_OK) cli_cells_read(runs, n);
    int cols = cli_term_cols() < 100 ? cli_term_cols() : 100;
    wu_term t = {quiet ? NULL : stdout, cols, ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE, cli_use_color()};
    if (rc == WU_OK) rc = wu_report_sweep(s, runs, command, &t, &err);
    if (rc != WU_OK) {
        rc = cli_engine_error(NULL, err.msg);
    } else {
        int missing = cli_cells_missing(runs, n, "cells", "sweep");
        if (!quiet) printf("results: %s/results.csv  report: %s/report.html\n", dir, dir);
        rc = missing ? WU_EXIT_FAIL : WU_EXIT_OK;
    }
    free(runs);
    free(s);
    return rc;
}

/* A part of the grid on this process: cell `cell` alone (--cell I), or under mpirun the cells
 * rank, rank + size, ...; rank 0 then waits for the other ranks and collects. Nothing shared
 * is written here but by rank 0's collect. */
static int run_cells(wu_sweep *s, wu_lab_run *runs, int n, int cell, const cli_ranks *rk, int jobs,
                     int quiet, int ascii)
{
    if (cell >= 0 && !quiet)
        printf("warmup sweep: cell %d of %d (%s) -> %s\n", cell, n, strrchr(runs[cell].c.out, '/') + 1,
               s->dir);
    int rc = cli_cells_run("sweep", s->dir, runs, n, cell, rk, jobs, quiet);
    if (cell >= 0) {
        if (rc == WU_EXIT_OK && !quiet) {
            const wu_run_summary *u = &runs[cell].s;
            printf("cell %d: %s, final loss %.6g; 'warmup sweep --collect %s' assembles the "
                   "results\n", cell, u->status == WU_RUN_DIVERGED ? "diverged" : "completed",
                   wu_run_score(u), s->dir);
        }
        return rc == 130 ? cli_grid_end(1, 0) : rc;
    }
    int collect_now = 0;
    int worst = cli_ranks_join(s->dir, rk, rc, quiet, &collect_now);
    if (!collect_now) return worst;
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
    cli_ranks rk;
    cli_ranks_begin(&rk);
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
        cli_cells_emit_slurm("sweep", "An LR x warmup sweep", "sweep --collect", " -q", n, 1, s->dir,
                             nplain, plain);
        rc = WU_EXIT_OK;
        goto out;
    }
    if (cli_ranks_check(&rk, cell)) goto out;
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
        wu_sweep_manifest(s, command, cell >= 0 || rk.size > 1, &err)) {
        cli_engine_error(NULL, err.msg);
        goto out;
    }
    cli_ranks_speak(&rk); /* from here on a rank's own runs speak for themselves */
    if (cell >= 0 || rk.size > 1) {
        rc = run_cells(s, runs, n, cell, &rk, (int)jobs, quiet, ascii);
        goto out;
    }
    if (!quiet)
        printf("warmup sweep: %s, %lld steps, %d LRs x %d warmups x %d seed%s -> %s\n",
               s->base.model, (long long)s->base.steps, s->nlr, s->nwarm, s->seeds,
               s->seeds > 1 ? "s" : "", s->dir);
    int interrupted = 0;
    int failed = 0;
    if ((rc = cli_run_grid(runs, n, (int)jobs, 0, quiet, 0, &interrupted)) == WU_EXIT_USAGE) goto out;
    failed = rc == WU_EXIT_FAIL;
    int cols = cli_term_cols() < 100 ? cli_term_cols() : 100;
    wu_term t = {quiet ? NULL : stdout, cols, ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE, cli_use_color()};
    if (wu_report_sweep(s, runs, command, &t, &err) != WU_OK) {
        rc = cli_engine_error(NULL, err.msg);
        goto out;
    }
    if (!quiet && (interrupted || failed)) cli_cells_missing(runs, n, "cells", "sweep");
    if ((rc = cli_grid_end(interrupted, failed)) != WU_EXIT_OK) goto out;
    if (!quiet) printf("\nresults: %s/results.csv  report: %s/report.html\n", s->dir, s->dir);
out:
    cli_ranks_speak(&rk);
    free(runs);
    free(s);
    free(plain);
    return rc;
}
