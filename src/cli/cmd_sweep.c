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
    "  -s, --schedule SPEC  what follows the warmup (default 'cosine(to=0.1)')\n"
    "      --ascii          plain ASCII charts;  -q, --quiet: no progress or charts\n"
    "  -h, --help\n"
    "Any option of 'warmup train' sets every run (--model, --steps, --batch, --optimizer, ...);\n"
    "the defaults are train's, with evaluation only at the end.\n"
    "\n"
    "Exit status: 0 done, 1 some run failed (the others are reported), 2 bad usage or input,\n"
    "130 interrupted (rerun to finish).\n";

int cmd_sweep(int argc, char **argv)
{
    enum { O_LRS = 400, O_WARMUPS, O_SEEDS, O_ASCII };
    static const struct option own[] = {
        {"lrs", required_argument, 0, O_LRS}, {"warmups", required_argument, 0, O_WARMUPS},
        {"seeds", required_argument, 0, O_SEEDS}, {"jobs", required_argument, 0, 'j'},
        {"ascii", no_argument, 0, O_ASCII}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    struct option opts[64];
    cli_options_merge(opts, 64, cli_train_options(), own);
    char shortopts[32];
    snprintf(shortopts, sizeof shortopts, ":%sj:qh", cli_train_shortopts());
    wu_sweep *s = calloc(1, sizeof *s);
    if (!s) return cli_error("out of memory");
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
        case O_LRS: lrs = optarg; break;
        case O_WARMUPS: warm = optarg; break;
        case O_SEEDS:
            if (cli_int64("--seeds", optarg, 1, 100, &v)) goto out;
            s->seeds = (int)v;
            break;
        case 'j': if (cli_int64("--jobs", optarg, 1, 256, &jobs)) goto out; break;
        case O_ASCII: ascii = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(HELP, stdout); rc = WU_EXIT_OK; goto out;
        case ':': cli_error("%s needs a value (see 'warmup sweep --help')", argv[optind - 1]); goto out;
        default: {
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
    if (cli_parse_only) {
        rc = WU_EXIT_OK;
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
    cli_command_line("warmup sweep", argc - 1, argv + 1, command, sizeof command);
    if (wu_mkdirs(s->dir, &err) || wu_sweep_manifest(s, command, &err)) {
        cli_engine_error(NULL, err.msg);
        goto out;
    }
    if (!quiet)
        printf("warmup sweep: %s, %lld steps, %d LRs x %d warmups x %d seed%s -> %s\n",
               s->base.model, (long long)s->base.steps, s->nlr, s->nwarm, s->seeds,
               s->seeds > 1 ? "s" : "", s->dir);
    int interrupted = 0;
    int failed = 0;
    if ((rc = cli_run_grid(runs, n, (int)jobs, quiet, &interrupted)) == WU_EXIT_USAGE) goto out;
    failed = rc == WU_EXIT_FAIL;
    int cols = cli_term_cols() < 100 ? cli_term_cols() : 100;
    wu_term t = {quiet ? NULL : stdout, cols, ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE, cli_use_color()};
    if (wu_report_sweep(s, runs, command, &t, &err) != WU_OK) {
        rc = cli_engine_error(NULL, err.msg);
        goto out;
    }
    if ((rc = cli_grid_end(interrupted, failed)) != WU_EXIT_OK) goto out;
    if (!quiet) printf("\nresults: %s/results.csv  report: %s/report.html\n", s->dir, s->dir);
out:
    free(runs);
    free(s);
    return rc;
}
