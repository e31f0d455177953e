/* cmd_tune.c - `warmup tune`: choose the length of warmup(auto) for a run, by the probe of
 * src/train/tune.h, and say why and at what cost. It takes the options of `warmup train` (the
 * same field table), so the run it measures is the run `warmup train` would make. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../train/config.h"
#include "../train/tune.h"
#include "cli.h"

static void help(void)
{
    wu_train_config d;
    wu_train_defaults(&d);
    fputs("usage: warmup tune [train options] [--json]\n"
          "\n"
          "Choose the length of warmup(auto) for the run these options describe, from a short\n"
          "probe of the actual model, data, optimizer and peak LR (docs/TUNE.md): the peak LR\n"
          "from the first step, and if the loss catapults, a linear ramp from 0 that halves the\n"
          "LR at each catapult until the peak holds. It costs at most 10% of the run's\n"
          "forward/backward passes (building its copies of the data and model takes extra\n"
          "time); the cost is printed. Nothing is written; --out and\n"
          "--schedule are not needed (the chosen length fits any warmup(auto) spec).\n"
          "Then: warmup train --schedule 'warmup(auto) > cosine' --auto-warmup N (the same\n"
          "options), or let warmup train probe by itself.\n"
          "\n", stdout);
    cli_train_help(stdout, &d);
    fputs("output:\n"
          "      --json                one JSON object: steps, reason, passes, budget_passes,\n"
          "                            run_steps, pct_of_run, wall_s, peak_lr, catapults\n"
          "  -h, --help\n"
          "\n"
          "Exit status: 0 chosen, 2 bad usage or input (a run under 50 steps is too short to\n"
          "probe within 10% of it), 1 the model refused a batch.\n", stdout);
}

int cmd_tune(int argc, char **argv)
{
    enum { O_JSON = 300 };
    static const struct option own[] = {
        {"json", no_argument, 0, O_JSON}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    struct option opts[64];
    cli_options_merge(opts, 64, cli_train_options(), own);
    char shortopts[32];
    snprintf(shortopts, sizeof shortopts, ":%sh", cli_train_shortopts());
    wu_train_config c;
    wu_train_defaults(&c);
    int json = 0, ch, rc;
    opterr = 0;
    optind = 0; /* 0: a full reset of getopt, also after a scan that stopped early */
    while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        switch (ch) {
        case O_JSON: json = 1; break;
        case 'h': help(); return WU_EXIT_OK;
        case ':': return cli_error("%s needs a value (see 'warmup tune --help')", argv[optind - 1]);
        default:
            if ((rc = cli_train_option(ch, optarg, &c)) > 0) return rc;
            if (rc < 0)
                return cli_error("tune: unknown option '%s' (see 'warmup tune --help')",
                                 argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_error("tune: unexpected argument '%s' (every input is an option)", argv[optind]);
    if (c.auto_warmup >= 0)
        return cli_error("tune: --auto-warmup gives the length the probe would choose; leave it "
                         "out to measure one");
    if (!c.out[0]) snprintf(c.out, sizeof c.out, "."); /* nothing is written */
    wu_error err;
    int field;
    if (wu_cfg_check(&c, &field, &err) != WU_OK) return cli_config_error(field, err.msg);
    /* the schedule is not used, but one given must be one that the chosen length fits: with a
       length chosen (a stand-in; unit sizes too, so that epochs and tokens parse) it parses */
    wu_sched_opts so = {.lr = c.lr, .total_steps = c.steps, .steps_per_epoch = 1,
                        .tokens_per_step = 1, .samples_per_step = 1, .auto_warmup_steps = 1};
    wu_schedule *sch = NULL;
    if (wu_sched_parse(&sch, c.schedule, &so, &err) != WU_OK)
        return cli_error("tune: --schedule '%s': %s", c.schedule, err.msg);
    wu_sched_destroy(sch);
    if (cli_parse_only) return WU_EXIT_OK;
    wu_tune_result *t = malloc(sizeof *t);
    if (!t) return cli_error("out of memory");
    if ((rc = wu_tune(&c, t, &err)) != WU_OK) {
        free(t);
        cli_engine_error("tune", err.msg);
        return rc == WU_EINVAL || rc == WU_EIO ? WU_EXIT_USAGE : WU_EXIT_FAIL;
    }
    if (json) {
        wu_tune_json(stdout, t);
        fputc('\n', stdout);
    } else {
        printf("warmup(auto): %lld steps (%.1f%% of the %lld-step run)\n",
               (long long)t->warmup_steps, 100.0 * (double)t->warmup_steps / (double)c.steps,
               (long long)c.steps);
        printf("why: %s\n", t->reason);
        printf("cost: %lld forward/backward passes, %.1f%% of the run's %lld (the budget is "
               "%lld, 10%%), %.1f s\n", (long long)t->passes, t->pct_of_run, (long long)c.steps,
               (long long)t->budget, t->wall_s);
        printf("use: warmup train --schedule 'warmup(auto) > cosine' --auto-warmup %lld (with "
               "the same options)\n", (long long)t->warmup_steps);
    }
    free(t);
    return WU_EXIT_OK;
}
