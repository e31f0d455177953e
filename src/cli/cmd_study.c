/* cmd_study.c - `warmup study NAME`: a named, reproducible study: its preset grid run side by
 * side on the cores (resumable), then charts and a conclusion computed from the numbers. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../report/study_page.h"
#include "../train/config.h"
#include "../train/dist.h"
#include "cells.h"
#include "cli.h"
#include "lab_cli.h"

static void help(void)
{
    fputs("usage: warmup study NAME [--out DIR] [--quick] [options]\n"
          "       warmup study --list\n"
          "\n"
          "Run one of the named studies of what warmup does, with its charts, the literature's\n"
          "expectation and what was measured, in the terminal and in DIR/report.html.\n"
          "\n", stdout);
    for (const wu_study_kind *k = wu_studies; k->name; k++)
        if (k->plan) printf("  %-18s %s\n", k->name, k->claim);
    fputs("\n"
          "      --list         print the studies, one a line: NAME, a tab, what it measures\n"
          "  -o, --out DIR      where the runs and the report go (default study-NAME)\n"
          "      --quick        a small model and few steps (under a minute)\n"
          "      --seed S       base seed (default 1)\n"
          "  -d, --data DIR     batch-scaling: Fashion-MNIST IDX files (default: Debian's)\n"
          "  -j, --jobs N       runs at once (default: one per core; with --ranks K, cores / K)\n"
          "      --ranks K      batch-scaling: run the large-batch arms data parallel as K MPI\n"
          "                     workers of batch B/K each, as Goyal et al. (launcher: mpirun,\n"
          "                     or $WU_MPIRUN; the baseline runs on one process)\n"
          "      --cells        print the number of runs N, then one line per run: its index\n"
          "                     and directory name\n"
          "      --cell I       run run I (0 to N-1) alone into the shared --out DIR (writes\n"
          "                     DIR/study.json only when missing); then 'warmup report DIR'\n"
          "      --emit-slurm   print an sbatch script: a job array over the runs, then\n"
          "                     'warmup report DIR' (docs/CLUSTER.md)\n"
          "                     (not stable-lr: each round's runs depend on the last round's)\n"
          "Under mpirun (OMPI_COMM_WORLD_RANK/SIZE or PMI_RANK/SIZE set), rank r of K runs\n"
          "the runs r, r+K, ... and rank 0 draws the report once every rank is done.\n"
          "      --ascii        plain ASCII charts;  -q, --quiet: no progress or charts\n"
          "  -h, --help\n"
          "Each default study finishes within 10 minutes on 2 cores (docs/STUDIES.md). Rerunning\n"
          "the same command skips finished runs; Ctrl-C stops with checkpoints.\n"
          "Exit status: 0 done, 1 some run failed (the others are reported), 2 bad usage or input,\n"
    "130 interrupted (rerun to finish).\n", stdout);
}

/* The study a directory already holds must be the one asked for: same name, size, seed and
 * data; else its finished runs would be taken for this study's. */
static int same_study(const wu_study *s, const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/study.json", dir);
    if (access(path, F_OK) != 0) return 1; /* a new directory */
    wu_study_manifest m;
    wu_error err;
    return wu_study_manifest_read(dir, &m, &err) == WU_OK && !strcmp(m.name, s->name) &&
           m.quick == (s->quick != 0) && m.seed == s->seed && !strcmp(m.data, s->data);
}

/* plain: the arguments as given (cli_plain_args), nplain of them: the command study.json and
 * the --emit-slurm script record. */
static int study(int argc, char **argv, cli_ranks *rk, int nplain, char **plain)
{
    enum { O_QUICK = 300, O_SEED, O_ASCII, O_LIST, O_CELLS, O_CELL, O_SLURM, O_RANKS };
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"quick", no_argument, 0, O_QUICK},
        {"seed", required_argument, 0, O_SEED}, {"data", required_argument, 0, 'd'},
        {"jobs", required_argument, 0, 'j'}, {"ascii", no_argument, 0, O_ASCII},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'},
        {"list", no_argument, 0, O_LIST}, {"cells", no_argument, 0, O_CELLS},
        {"cell", required_argument, 0, O_CELL}, {"emit-slurm", no_argument, 0, O_SLURM},
        {"ranks", required_argument, 0, O_RANKS},
        {0, 0, 0, 0},
    };
    const char *cell_arg = NULL;
    int list_cells = 0, slurm = 0;
    const char *out = NULL, *data = "";
    int64_t seed = 1, jobs = 0, ranks = 0;
    int quick = 0, ascii = 0, quiet = 0, list = 0, ch;
    opterr = 0;
    optind = 0; /* 0: a full reset of getopt, also after a scan that stopped early */
    while ((ch = getopt_long(argc, argv, ":o:d:j:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case O_QUICK: quick = 1; break;
        case O_SEED: if (cli_int64("--seed", optarg, 0, INT64_MAX / 2, &seed)) return WU_EXIT_USAGE; break;
        case 'd': data = optarg; break;
        case 'j': if (cli_int64("--jobs", optarg, 1, 256, &jobs)) return WU_EXIT_USAGE; break;
        case O_ASCII: ascii = 1; break;
        case 'q': quiet = 1; break;
        case 'h': help(); return WU_EXIT_OK;
        case O_LIST: list = 1; break;
        case O_CELLS: list_cells = 1; break;
        case O_CELL: cell_arg = optarg; break;
        case O_SLURM: slurm = 1; break;
        case O_RANKS: if (cli_int64("--ranks", optarg, 1, 4096, &ranks)) return WU_EXIT_USAGE; break;
        case ':': return cli_error("%s needs a value (see 'warmup study --help')", argv[optind - 1]);
        default: return cli_error("study: unknown option '%s' (see 'warmup study --help')", argv[optind - 1]);
        }
    }
    char names[256];
    wu_study_names(names, sizeof names);
    if (list) {
        if (optind < argc) return cli_error("study: --list takes no study name");
        if (cli_parse_only) return WU_EXIT_OK;
        for (const wu_study_kind *k = wu_studies; k->name; k++)
            if (k->plan) printf("%s\t%s\n", k->name, k->claim);
        return WU_EXIT_OK;
    }
    if (optind >= argc)
        return cli_error("study: which study? one of %s (see 'warmup study --list')", names);
    if (optind + 1 < argc) return cli_error("study: unexpected argument '%s'", argv[optind + 1]);
    const char *name = argv[optind];
    const wu_study_kind *kind = wu_study_find(name);
    if (!kind || !kind->plan)
        return cli_error("unknown study '%s': use %s%s", name, names,
                         kind ? " (the demo is 'warmup demo')" : "");
    char dirbuf[512];
    if (!out) {
        snprintf(dirbuf, sizeof dirbuf, "study-%.40s", name);
        out = dirbuf;
    }
    /* refused before planning: a plan may first look for data that this machine lacks */
    if (ranks > 0 && !kind->spreads)
        return cli_error("--ranks: study %s trains at one batch size; only batch-scaling runs its "
                         "large-batch arms on several ranks", name);
    wu_study *s = calloc(1, sizeof *s);
    if (!s) return cli_error("out of memory");
    wu_error err;
    int rc = WU_EXIT_USAGE;
    if (wu_study_init(s, name, quick, out, (uint64_t)seed, data, &err) != WU_OK ||
        kind->plan(s, &err) != WU_OK) {
        cli_engine_error(NULL, err.msg);
        goto done;
    }
    if (ranks > 0) { /* the large-batch runs on K ranks: only a plan of several batch sizes has them */
        int spread = wu_study_spread(s, (int)ranks, &err);
        if (spread < 0) {
            cli_error("--ranks: %s", err.msg);
            goto done;
        }
        if (spread == 0) {
            cli_error("--ranks: study %s has no large-batch arm to run on several ranks", name);
            goto done;
        }
        char launcher[256];
        if (ranks > 1 && !wu_dist_built()) {
            cli_error("--ranks %lld: this warmup was built without MPI: install openmpi-bin and "
                      "libopenmpi-dev (apt-get install), then rebuild (make)", (long long)ranks);
            goto done;
        }
        int lrank, lsize;
        if (ranks > 1 && wu_dist_launched(&lrank, &lsize)) {
            cli_error("--ranks %lld: this study was itself started by mpirun, and --ranks starts "
                      "mpirun for each large-batch run: run 'warmup study' without mpirun",
                      (long long)ranks);
            goto done;
        }
        if (ranks > 1 && !cli_launcher(launcher, sizeof launcher)) {
            cli_error("--ranks %lld: the MPI launcher '%s' is not found: install openmpi-bin "
                      "(apt-get install), or set WU_MPIRUN to your launcher", (long long)ranks,
                      launcher);
            goto done;
        }
        if (ranks > 1 && jobs == 0) { /* each run takes K cores */
            long c = sysconf(_SC_NPROCESSORS_ONLN);
            jobs = c / ranks > 0 ? c / ranks : 1;
        }
    }
    wu_study_next next = wu_study_next_round(name);
    if (next && (list_cells || cell_arg || slurm || rk->size > 1)) { /* rounds depend on results */
        cli_error("study %s is adaptive (each round's runs depend on the last round's results), "
                  "so it cannot be split into cells (--cells, --cell, --emit-slurm, mpirun): run "
                  "'warmup study %s' in one process", name, name);
        goto done;
    }
    int cell = -1;
    if ((list_cells != 0) + (cell_arg != NULL) + (slurm != 0) > 1) {
        cli_error("study: use one of --cells, --cell I and --emit-slurm at a time");
        goto done;
    }
    if (cell_arg) {
        long long v_;
        if (wu_parse_whole(cell_arg, &v_) || v_ < 0 || v_ >= s->n) {
            cli_error("--cell: '%s' is not a run of this study: it has %d runs, numbered 0 to %d "
                      "(see --cells)", cell_arg, s->n, s->n - 1);
            goto done;
        }
        cell = (int)v_;
    }
    if (cli_parse_only) {
        rc = WU_EXIT_OK;
        goto done;
    }
    if (list_cells) {
        printf("%d\n", s->n);
        for (int i = 0; i < s->n; i++) printf("%d %s\n", i, s->arm[i].name);
        rc = WU_EXIT_OK;
        goto done;
    }
    if (slurm) {
        char about[128];
        snprintf(about, sizeof about, "The study %s%s", name, quick ? " (quick)" : "");
        cli_cells_emit_slurm("study", about, "report", "", s->n, ranks > 1 ? (int)ranks : 1, out,
                             nplain, plain);
        rc = WU_EXIT_OK;
        goto done;
    }
    if (cli_ranks_check(rk, cell)) goto done;
    int shared = rk->size > 1; /* this process runs a share of the runs, rank 0 then reports */
    /* a directory of another kind is never taken over: a sweep's, or a training run's files */
    char held[160], sj[600];
    snprintf(sj, sizeof sj, "%s/sweep.json", out);
    if (access(sj, F_OK) == 0) {
        cli_error("--out: %s holds a sweep (sweep.json), not a study: choose another --out", out);
        goto done;
    }
    snprintf(sj, sizeof sj, "%s/study.json", out);
    if (access(sj, F_OK) != 0 && wu_run_dir_holds(out, held, sizeof held)) {
        cli_error("--out: %s holds %s of 'warmup train', not a study: choose another --out", out, held);
        goto done;
    }
    if (!same_study(s, out)) {
        cli_error("%s holds another study, size, seed or data set (see %s/study.json): rerun "
                  "its own command to finish it, or choose another --out", out, out);
        goto done;
    }
    char command[2048];
    cli_command_line("warmup study", nplain, plain, command, sizeof command);
    if (wu_mkdirs(out, &err)) {
        cli_engine_error(NULL, err.msg);
        goto done;
    }
    char on[64] = "";
    if (ranks > 1) snprintf(on, sizeof on, ", large batches on %lld ranks", (long long)ranks);
    if (!quiet && cell < 0 && rk->rank == 0)
        printf("warmup study %s%s%s -> %s\n", name, quick ? " (quick)" : "", on, out);
    if (!quiet && cell >= 0)
        printf("warmup study %s%s: run %d of %d (%s) -> %s\n", name, quick ? " (quick)" : "", cell,
               s->n, s->arm[cell].name, out);
    fflush(stdout);
    /* an adaptive study continues the rounds its directory holds (the plan above is only its
       first round) */
    if (next && access(sj, F_OK) == 0 && wu_study_read(out, s, &err) != WU_OK) {
        cli_engine_error(NULL, err.msg);
        goto done;
    }
    /* the plan as data, with what the study measures outside its runs: all the report reads.
       A cell or a rank writes it only when missing (whoever comes first, by an atomic rename:
       the same plan from every cell); the whole study rewrites it */
    if (((cell < 0 && !shared) || access(sj, F_OK) != 0) &&
        ((kind->measure && kind->measure(s, &err)) || wu_study_write(s, command, &err))) {
        cli_engine_error(NULL, err.msg);
        goto done;
    }
    cli_ranks_speak(rk); /* from here on a rank's own runs speak for themselves */
    if (cell >= 0) {
        rc = cli_cells_run("study", out, s->runs, s->n, cell, rk, 1, quiet);
        if (rc == 130) rc = cli_grid_end(1, 0);
        if (rc == WU_EXIT_OK && !quiet)
            printf("run %d done; 'warmup report %s' draws the study from the runs finished\n", cell, out);
        goto done;
    }
    int cols = cli_term_cols() < 100 ? cli_term_cols() : 100;
    wu_term t = {quiet ? NULL : stdout, cols, ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE, cli_use_color()};
    if (shared) { /* rank r runs r, r+K, ...; rank 0 waits for the others, then draws the study */
        int report = 0;
        rc = cli_cells_run("study", out, s->runs, s->n, -1, rk, (int)jobs, quiet);
        int worst = cli_ranks_join(out, rk, rc, quiet, &report);
        rc = worst;
        if (!report) goto done;
        if (wu_report_study_dir(out, &t, &err) != WU_OK) {
            rc = cli_engine_error(NULL, err.msg);
            goto done;
        }
        cli_cells_read(s->runs, s->n);
        cli_cells_missing(s->runs, s->n, "runs", "study");
        if (worst != WU_EXIT_OK) {
            cli_error("some runs failed (see above); rerun the same command to retry them");
            rc = WU_EXIT_FAIL;
        } else if (!quiet) printf("\nreport: %s/report.html\n", out);
        goto done;
    }
    int interrupted = 0;
    int failed = 0;
    if ((rc = cli_run_grid(s->runs, s->n, (int)jobs, 0, quiet, 0, &interrupted)) == WU_EXIT_USAGE) goto done;
    failed = rc == WU_EXIT_FAIL;
    while (next && !interrupted && !failed) { /* the next rounds, each written before it runs */
        int added = next(s, &err);
        if (added < 0 || (added > 0 && wu_study_write(s, command, &err) != WU_OK)) {
            rc = cli_engine_error(NULL, err.msg);
            goto done;
        }
        if (added == 0) break;
        if ((rc = cli_run_grid(s->runs, s->n, (int)jobs, 0, quiet, 0, &interrupted)) == WU_EXIT_USAGE)
            goto done;
        failed = rc == WU_EXIT_FAIL;
    }
    if (wu_report_study_dir(out, &t, &err) != WU_OK) { /* from the files alone */
        rc = cli_engine_error(NULL, err.msg);
        goto done;
    }
    if ((rc = cli_grid_end(interrupted, failed)) != WU_EXIT_OK) goto done;
    if (!quiet) printf("\nreport: %s/report.html\n", out);
done:
    free(s);
    return rc;
}

int cmd_study(int argc, char **argv)
{
    /* under mpirun every rank checks the same input: only rank 0 says what is wrong with it */
    cli_ranks rk;
    cli_ranks_begin(&rk);
    /* the arguments as given, before getopt permutes them */
    char **plain = calloc((size_t)argc + 1, sizeof *plain);
    int rc = plain ? study(argc, argv, &rk, cli_plain_args(argc - 1, argv + 1, plain), plain)
                   : cli_error("out of memory");
    free(plain);
    cli_ranks_speak(&rk);
    return rc;
}
