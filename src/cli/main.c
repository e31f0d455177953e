/* main.c - the `warmup` command: dispatch to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "warmup.h"

static const char USAGE[] =
    "usage: warmup <command> [options]\n"
    "\n"
    "Learning-rate warmup, made visible. Commands:\n"
    "  schedule SPEC --steps N [--lr LR] [--format table|csv|json]\n"
    "                 print the LR for every update of a schedule\n"
    "  plot SPEC [SPEC...] --steps N [-o out.svg] [--log-y] [--ascii]\n"
    "                 draw schedules on one chart: SVG, or in the terminal\n"
    "  suggest --steps N [--optimizer adamw] [--batch B --base-batch B0 --base-lr LR]\n"
    "                 recommend a warmup length, a peak LR and a spec, with the rules used\n"
    "  train --out DIR [--model gpt|mlp|vit] [--data ...] [--schedule SPEC] [--lr LR] ...\n"
    "                 one training run, logged to DIR/metrics.csv and DIR/summary.json\n"
    "  demo [--out demo-out]\n"
    "                 no warmup against linear and exponential warmup, side by side\n"
    "  sweep --out DIR [--lrs 1e-4,...] [--warmups 0,2%,10%,25%] [train options]\n"
    "                 the LR x warmup grid: final loss, heatmap, LR sensitivity, report\n"
    "  tune [train options] [--json]\n"
    "                 choose the length of warmup(auto) by a probe of the model (<= 10% cost)\n"
    "  study NAME [--quick]\n"
    "                 one of the studies that 'warmup study --list' prints\n"
    "  report DIR     one self-contained HTML page from a run, sweep or study directory\n"
    "  check LOG --spec SPEC --lr LR [--steps N] [--json] [--plot out.svg]\n"
    "                 a run's logged LRs against the spec it meant to follow; names the bug\n"
    "  diff SPEC_A SPEC_B --lr LR --steps N [--plot out.svg]\n"
    "                 where two schedules differ, and by how much\n"
    "\n"
    "SPEC is a schedule in one of three forms (docs/SPEC.md):\n"
    "  native   'warmup(10%) > cosine(to=0.1)'\n"
    "  hf:      'hf:cosine(num_warmup_steps=100, num_training_steps=1000)'\n"
    "  torch:   'torch:LinearLR(start_factor=0.1, total_iters=10)'\n"
    "\n"
    "Run 'warmup <command> --help' (or 'warmup help <command>') for a command's options.\n"
    "-o is --out in every command: the output file (plot, suggest) or directory (train, sweep,\n"
    "demo, study).\n"
    "Exit status: 0 success; 1 a run failed while running (a full disk, a failed run of a\n"
    "grid); 2 bad usage or input; 130 interrupted (rerun the same command to continue).\n";

static int dispatch(const char *cmd, int argc, char **argv);

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return WU_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    cli_units_reset(); /* an earlier command's --auto-warmup text (the fuzzer runs many) */
    if (!strcmp(cmd, "help") && argc > 2) { /* `warmup help CMD` is `warmup CMD --help` */
        if (argc > 3) return cli_error("help: one command expected, got also '%s'", argv[3]);
        char help_flag[] = "--help";
        char *hargv[] = {argv[2], help_flag, NULL};
        return dispatch(argv[2], 2, hargv);
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(USAGE, stdout);
        return WU_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("warmup %s\n", WU_VERSION);
        return WU_EXIT_OK;
    }
    return dispatch(cmd, argc - 1, argv + 1);
}

/* Run command cmd with argv[0] = its name; an unknown one is a usage error. */
static int dispatch(const char *cmd, int argc, char **argv)
{
    if (!strcmp(cmd, "schedule")) return cmd_schedule(argc, argv);
    if (!strcmp(cmd, "plot")) return cmd_plot(argc, argv);
    if (!strcmp(cmd, "suggest")) return cmd_suggest(argc, argv);
    if (!strcmp(cmd, "train")) return cmd_train(argc, argv);
    if (!strcmp(cmd, "demo")) return cmd_demo(argc, argv);
    if (!strcmp(cmd, "sweep")) return cmd_sweep(argc, argv);
    if (!strcmp(cmd, "study")) return cmd_study(argc, argv);
    if (!strcmp(cmd, "report")) return cmd_report(argc, argv);
    if (!strcmp(cmd, "check")) return cmd_check(argc, argv);
    if (!strcmp(cmd, "diff")) return cmd_diff(argc, argv);
    if (!strcmp(cmd, "tune")) return cmd_tune(argc, argv);
    cli_error("unknown command '%s'; commands: schedule, plot, suggest, train, demo, sweep, study, report, check, diff, tune (run 'warmup "
              "--help')", cmd);
    return WU_EXIT_USAGE;
}

#ifndef WU_NO_MAIN
int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
#endif
