/* cmd_demo.c - `warmup demo`: the same model at the same peak LR, trained with no warmup, a
 * linear warmup and an exponential warmup before the same cosine decay, side by side on the
 * cores; then the loss curves, the schedules, a table and a conclusion computed from the
 * numbers, and why (the gradient norm and the update size over the first steps), in the terminal
 * and in DIR/report.html. The plan is the lab's (wu_plan_demo, written to DIR/study.json), the
 * page the report's (report/demo_report.c): this file parses the options, checks that DIR holds
 * no other plan (a rerun continues, keeping finished arms), runs the plan with sweep's and
 * study's grid runner (Ctrl-C: checkpoints, exit 130) and calls the renderer. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../report/study_page.h"
#include "../train/config.h"
#include "cli.h"
#include "lab_cli.h"

static const char HELP[] =
    "usage: warmup demo [--out DIR] [options]\n"
    "\n"
    "Train the same model three times at the same peak LR, with no warmup, a linear warmup and\n"
    "an exponential warmup, each followed by the same cosine decay, side by side on the cores.\n"
    "Shows the loss curves, the schedules, a table and a conclusion; writes DIR/report.html.\n"
    "\n"
    "  -o, --out DIR      where the runs and the report go (default demo-out)\n"
    "  -n, --steps N      optimizer updates per arm (default 400)\n"
    "  -l, --lr LR        the peak LR of every arm (default 3e-3)\n"
    "  -w, --warmup D     warmup length of the warmup arms (default 25%)\n"
    "      --seed S       the same seed for every arm (default 1)\n"
    "  -m, --model NAME   gpt (default), mlp or vit\n"
    "  -d, --data WHAT    builtin (default), a text file or directory (gpt), fashion-mnist (mlp, vit)\n"
    "  -b, --batch B      batch size (default 16)\n"
    "      --ascii        plain ASCII charts in the terminal\n"
    "  -h, --help\n"
    "\n"
    "Rerunning the same command keeps the finished arms and resumes interrupted ones; a DIR that\n"
    "holds another plan is refused. Ctrl-C stops every arm with a checkpoint.\n"
    "Exit status: 0 done, 1 an arm failed, 2 bad usage or input, 130 interrupted (rerun to finish).\n";

/* Does `what` exist under dir? */
static int has(const char *dir, const char *what)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, what);
    return access(path, F_OK) == 0;
}

/* A directory is continued only when it holds this very plan (the same arms, each with the same
 * configuration); one that holds another demo, a study, a sweep or a run is refused, so that no
 * finished run is ever replaced or taken for an arm of this demo. Says why when it returns 0. */
static int same_plan(const wu_study *st, const char *dir)
{
    static const char *const other[] = {"summary.json", "metrics.csv", "checkpoint.bin",
                                        "results.csv", "none", "linear", "exp"};
    if (!has(dir, "study.json")) {
        for (size_t i = 0; i < sizeof other / sizeof *other; i++)
            if (has(dir, other[i])) {
                cli_error("demo: %s holds %s but no study.json: it is not a demo's directory, "
                          "and its runs are kept; choose another --out", dir, other[i]);
                return 0;
            }
        return 1; /* a new or an unrelated directory: the demo adds its own files */
    }
    wu_study *old = calloc(1, sizeof *old);
    wu_error err;
    if (!old) return cli_error("out of memory"), 0;
    int same = 0;
    char why[400] = "";
    if (wu_study_read(dir, old, &err) != WU_OK) snprintf(why, sizeof why, "%.300s", err.msg);
    else if (strcmp(old->name, "demo") || old->n != st->n)
        snprintf(why, sizeof why, "it holds the study '%s'", old->name);
    else {
        same = 1;
        for (int i = 0; i < st->n && same; i++) {
            if (strcmp(old->arm[i].name, st->arm[i].name)) same = 0;
            for (int f = 0; f < wu_cfg_nfields && same; f++)
                if (!(wu_cfg_fields[f].flags & WU_CFG_LOCAL) &&
                    !wu_cfg_same(&wu_cfg_fields[f], &old->runs[i].c, &st->runs[i].c)) {
                    char was[64], now[64];
                    wu_cfg_format(&wu_cfg_fields[f], &old->runs[i].c, was, sizeof was);
                    wu_cfg_format(&wu_cfg_fields[f], &st->runs[i].c, now, sizeof now);
                    snprintf(why, sizeof why, "its %.20s arm has %.40s %.63s, this one %.63s", old->arm[i].name,
                             wu_cfg_fields[f].name, was, now);
                    same = 0;
                }
        }
        if (!same && !why[0]) snprintf(why, sizeof why, "its arms differ");
    }
    if (!same)
        cli_error("demo: %s holds another plan (%s); its runs are kept: rerun the command that made "
                  "it to continue it (see %s/study.json), or choose another --out", dir, why, dir);
    free(old);
    return same;
}

int cmd_demo(int argc, char **argv)
{
    enum { O_SEED = 256, O_ASCII };
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"steps", required_argument, 0, 'n'},
        {"lr", required_argument, 0, 'l'}, {"warmup", required_argument, 0, 'w'},
        {"seed", required_argument, 0, O_SEED}, {"model", required_argument, 0, 'm'},
        {"data", required_argument, 0, 'd'}, {"batch", required_argument, 0, 'b'},
        {"ascii", no_argument, 0, O_ASCII}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *out = "demo-out", *warm = "25%", *model = "gpt", *data = "builtin";
    int64_t steps = 400, batch = 16, seed = 1;
    double lr = 3e-3;
    int ascii = 0, ch;
    opterr = 0;
    optind = 0; /* 0: a full reset of getopt, also after a scan that stopped early */
    while ((ch = getopt_long(argc, argv, ":o:n:l:w:m:d:b:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'n': if (cli_int64("--steps", optarg, 10, 1000000, &steps)) return WU_EXIT_USAGE; break;
        case 'l': if (cli_double("--lr", optarg, 1e-300, HUGE_VAL, &lr)) return WU_EXIT_USAGE; break;
        case 'w': warm = optarg; break;
        case O_SEED: if (cli_int64("--seed", optarg, 0, INT64_MAX, &seed)) return WU_EXIT_USAGE; break;
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'b': if (cli_int64("--batch", optarg, 1, 65536, &batch)) return WU_EXIT_USAGE; break;
        case O_ASCII: ascii = 1; break;
        case 'h': fputs(HELP, stdout); return WU_EXIT_OK;
        case ':': return cli_error("%s needs a value (see 'warmup demo --help')", argv[optind - 1]);
        default: return cli_error("demo: unknown option '%s' (see 'warmup demo --help')", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_error("demo: unexpected argument '%s'", argv[optind]);

    wu_train_config base;
    wu_train_defaults(&base);
    if (strlen(model) >= sizeof base.model || strlen(data) >= sizeof base.data ||
        strlen(out) + 16 >= sizeof base.out)
        return cli_error("demo: an argument is too long");
    strcpy(base.model, model);
    strcpy(base.data, data);
    base.lr = lr;
    base.steps = steps;
    base.batch = (int)batch;
    base.seed = (uint64_t)seed;
    wu_study *st = calloc(1, sizeof *st);
    if (!st) return cli_error("out of memory");
    wu_error err;
    int ret = WU_EXIT_USAGE;
    if (wu_study_init(st, "demo", 0, out, (uint64_t)seed, "", &err) != WU_OK ||
        wu_plan_demo(st, &base, warm, &err) != WU_OK) {
        cli_engine_error("demo", err.msg);
        goto done;
    }
    for (int i = 0; i < st->n; i++) {
        const wu_train_config *c = &st->runs[i].c;
        int field;
        if (wu_cfg_check(c, &field, &err) != WU_OK) {
            cli_config_error(field, err.msg);
            goto done;
        }
        wu_schedule *sch;
        wu_sched_opts so = {.lr = c->lr, .total_steps = c->steps};
        if (wu_sched_parse(&sch, c->schedule, &so, &err) != WU_OK) {
            char ctx[64];
            snprintf(ctx, sizeof ctx, "--warmup %s", warm);
            cli_engine_error(ctx, err.msg);
            goto done;
        }
        wu_sched_destroy(sch);
    }
    ret = WU_EXIT_OK;
    if (cli_parse_only) goto done;
    ret = WU_EXIT_USAGE;
    if (!same_plan(st, out)) goto done; /* said */
    {
        wu_error e = {0};
        if (wu_mkdirs(out, &e) != WU_OK) { /* like train and sweep: parents too */
            cli_engine_error("demo", e.msg);
            goto done;
        }
    }
    char command[2048];
    cli_command_line("warmup demo", argc - 1, argv + 1, command, sizeof command);
    if (wu_study_write(st, command, &err) != WU_OK) {
        cli_engine_error(NULL, err.msg);
        goto done;
    }

    /* the arms, one process each, sharing the cores; finished arms of an earlier session of the
     * same plan are kept (skipped), interrupted ones resume from their checkpoints */
    printf("warmup demo: %s, peak LR %g, %lld steps, batch %lld, %d arms side by side\n", model, lr,
           (long long)steps, (long long)batch, st->n);
    for (int i = 0; i < st->n; i++) printf("  %-8s %s\n", st->arm[i].name, st->runs[i].c.schedule);
    fflush(stdout);
    int interrupted = 0, failed;
    if ((ret = cli_run_grid(st->runs, st->n, st->n, 0, 0, 0, &interrupted)) == WU_EXIT_USAGE) goto done;
    failed = ret == WU_EXIT_FAIL;
    if (interrupted) { /* "interrupted: ... rerun the same command to finish", 130, as sweep and study */
        ret = cli_grid_end(interrupted, 0);
        goto done;
    }
    if (failed) { /* said, run by run; no page without its three arms */
        cli_error("demo: an arm failed (see above), so there is no page; the finished arms are "
                  "kept: rerun the same command to retry");
        ret = WU_EXIT_FAIL;
        goto done;
    }
    /* the page: read back from what was written, as `warmup report` does */
    int cols = cli_term_cols() < 100 ? cli_term_cols() : 100;
    wu_term t = {stdout, cols, ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE, cli_use_color()};
    if (wu_report_study_dir(out, &t, &err) != WU_OK) {
        cli_engine_error(NULL, err.msg);
        goto done;
    }
    printf("\nreport: %s/report.html  (charts: loss.svg, lr.svg, grad_norm.svg, update.svg; runs: "
           "none/, linear/, exp/)\n", out);
    ret = WU_EXIT_OK;
done:
    free(st);
    return ret;
}
