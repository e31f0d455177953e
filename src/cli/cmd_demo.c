/* cmd_demo.c - `warmup demo`: the same model at the same peak LR, trained with no warmup, a
 * linear warmup and an exponential warmup before the same cosine decay, side by side on the
 * cores; then the loss curves, the schedules, a table and a conclusion computed from the
 * numbers, in the terminal and in DIR/report.html. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../report/chart.h"
#include "../report/html.h"
#include "../report/lab_report.h"
#include "../report/metrics.h"
#include "../lab/lab.h"
#include "../util/outfile.h"
#include "../train/train.h"
#include "cli.h"

#define ARMS 3

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
    "  -h, --help\n";

typedef struct arm {
    const char *name, *label;
    char spec[160];
    double final_loss, best_loss, val_loss, gmax;
    int diverged, spikes;
    long diverged_at;
} arm;

/* The three arms' progress on one line, over all their steps. */
static void progress(const wu_lab_progress *p, void *ctx)
{
    if (!*(const int *)ctx) return;
    printf("\r  %3.0f%% of the steps, %d of %d arms finished ", 100 * p->frac, p->finished, p->total);
    fflush(stdout);
}

/* The conclusion, from the numbers. */
static void conclude(char *out, size_t n, const arm *a, int steps, const char *warm)
{
    const arm *none = &a[0], *lin = &a[1], *ex = &a[2];
    size_t u = 0;
#define SAY(...) u += (size_t)snprintf(out + u, u < n ? n - u : 0, __VA_ARGS__)
    if (none->diverged)
        SAY("Without warmup the run diverged at step %ld. ", none->diverged_at);
    else
        SAY("Without warmup the loss ended at %.3f nats after %d steps. ", none->final_loss, steps);
    for (int i = 1; i < ARMS && u < n; i++) {
        const arm *w = &a[i];
        if (w->diverged) {
            SAY("With %s it diverged at step %ld. ", w->label, w->diverged_at);
            continue;
        }
        double d = none->diverged ? NAN : none->final_loss - w->final_loss;
        if (isnan(d)) SAY("With %s it trained to %.3f. ", w->label, w->final_loss);
        else if (d > 0.05)
            SAY("With %s (%s of the steps) it ended at %.3f, %.2f nats lower (%.0f%% less). ",
                w->label, warm, w->final_loss, d, 100.0 * d / none->final_loss);
        else if (d < -0.05)
            SAY("With %s it ended at %.3f, %.2f nats higher than without warmup. ", w->label,
                w->final_loss, -d);
        else
            SAY("With %s it ended at %.3f, no different from no warmup at this setting. ",
                w->label, w->final_loss);
    }
    if (!none->diverged && !lin->diverged && isfinite(none->gmax) && isfinite(lin->gmax))
        SAY("In the first 10%% of the steps the gradient norm reached %.1f without warmup and "
            "%.1f with the linear warmup%s. ", none->gmax, lin->gmax,
            none->gmax > 1.5 * lin->gmax ? ": the unstable start the guide describes" : "");
    if (!lin->diverged && !ex->diverged && !none->diverged) {
        double dl = none->final_loss - lin->final_loss, de = none->final_loss - ex->final_loss;
        if (dl > 0.05 && de < 0.5 * dl)
            SAY("The exponential warmup recovered less of the gap: 1 - exp(-5t/W) reaches 99%% "
                "of the peak LR within the first fifth of its warmup, so it behaves more like no "
                "warmup.");
        else if (dl > 0.05 && de >= 0.5 * dl)
            SAY("Both warmup shapes helped.");
    }
#undef SAY
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

    arm a[ARMS] = {{.name = "none", .label = "no warmup", .diverged_at = -1},
                   {.name = "linear", .label = "linear warmup", .diverged_at = -1},
                   {.name = "exp", .label = "exponential warmup", .diverged_at = -1}};
    snprintf(a[0].spec, sizeof a[0].spec, "cosine(to=0.1)");
    snprintf(a[1].spec, sizeof a[1].spec, "warmup(%s) > cosine(to=0.1)", warm);
    snprintf(a[2].spec, sizeof a[2].spec, "warmup(%s, exp) > cosine(to=0.1)", warm);
    wu_train_config c[ARMS];
    wu_error err;
    for (int i = 0; i < ARMS; i++) {
        wu_train_defaults(&c[i]);
        if (strlen(model) >= sizeof c[i].model || strlen(data) >= sizeof c[i].data ||
            strlen(out) + 16 >= sizeof c[i].out)
            return cli_error("demo: an argument is too long");
        strcpy(c[i].model, model);
        strcpy(c[i].data, data);
        strcpy(c[i].schedule, a[i].spec);
        snprintf(c[i].out, sizeof c[i].out, "%s/%s", out, a[i].name);
        c[i].lr = lr;
        c[i].steps = steps;
        c[i].batch = (int)batch;
        c[i].seed = (uint64_t)seed;
        c[i].eval_every = (int)(steps / 8 > 0 ? steps / 8 : 1);
        if (wu_train_check(&c[i], &err) != WU_OK) return cli_error("%s", err.msg);
        wu_schedule *s;
        wu_sched_opts so = {.lr = lr, .total_steps = steps};
        if (wu_sched_parse(&s, a[i].spec, &so, &err) != WU_OK)
            return cli_error("--warmup %s: %s", warm, err.msg);
        wu_sched_destroy(s);
    }
    if (cli_parse_only) return WU_EXIT_OK;
    struct stat sb;
    if (stat(out, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return cli_error("--out %s exists and is not a directory", out);
    if (mkdir(out, 0755) != 0 && errno != EEXIST)
        return cli_error("cannot create --out %s: %s", out, strerror(errno));

    /* the arms, one process each, sharing the cores */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cores > ARMS ? (int)(cores / ARMS) : 1;
    int tty = isatty(STDOUT_FILENO);
    printf("warmup demo: %s, peak LR %g, %lld steps, batch %lld, %d arms side by side\n", model, lr,
           (long long)steps, (long long)batch, ARMS);
    for (int i = 0; i < ARMS; i++) printf("  %-8s %s\n", a[i].name, a[i].spec);
    fflush(stdout);
    /* a fresh start for every arm: a finished arm of an earlier demo is not skipped */
    wu_lab_run runs[ARMS];
    memset(runs, 0, sizeof runs);
    for (int i = 0; i < ARMS; i++) {
        char old[700];
        runs[i].c = c[i];
        snprintf(old, sizeof old, "%s/summary.json", c[i].out);
        unlink(old);
        snprintf(old, sizeof old, "%s/checkpoint.bin", c[i].out);
        unlink(old);
    }
    wu_lab_opts lo = {.jobs = ARMS, .threads = threads, .cb = progress, .ctx = &tty};
    if (wu_lab_exec(runs, ARMS, &lo, &err) != WU_OK) return cli_error("demo: %s", err.msg);
    if (tty) printf("\n");
    for (int i = 0; i < ARMS; i++) {
        const wu_run_summary *u = &runs[i].s;
        if (u->status != WU_RUN_COMPLETED && u->status != WU_RUN_DIVERGED)
            return cli_error("demo: arm %s did not finish (see %s)", a[i].name, c[i].out);
        a[i].final_loss = u->final_loss, a[i].best_loss = u->best_loss;
        a[i].val_loss = u->final_val_loss, a[i].gmax = u->max_grad_norm_early;
        a[i].spikes = u->spikes, a[i].diverged = u->status == WU_RUN_DIVERGED;
        a[i].diverged_at = u->diverged_at;
    }

    /* charts: smoothed loss, and the schedules */
    wu_series_data loss[ARMS] = {{0}}, lrs[ARMS] = {{0}};
    int ret = WU_EXIT_OK;
    wu_series sl[ARMS], sr[ARMS];
    for (int i = 0; i < ARMS; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s/metrics.csv", out, a[i].name);
        if (wu_metrics_column(path, WU_METRIC_LOSS, &loss[i], &err) ||
            wu_metrics_column(path, WU_METRIC_LR, &lrs[i], &err)) {
            ret = cli_error("%s", err.msg);
            goto done;
        }
        wu_series_ema(&loss[i], 0.1);
        sl[i] = (wu_series){.name = a[i].label, .x = loss[i].x, .y = loss[i].y, .n = loss[i].n, .mark_x = NAN};
        sr[i] = (wu_series){.name = a[i].label, .x = lrs[i].x, .y = lrs[i].y, .n = lrs[i].n, .mark_x = NAN};
    }
    wu_chart lc = {.title = "Training loss (moving average), nats", .xlabel = "step", .ylabel = "loss",
                   .series = sl, .nseries = ARMS};
    wu_chart rc_ = {.title = "Learning rate", .xlabel = "step", .ylabel = "lr", .series = sr, .nseries = ARMS};
    int cols = cli_term_cols() < 100 ? cli_term_cols() : 100, color = cli_use_color();
    printf("\n");
    wu_chart_tty(stdout, &lc, cols, 14, ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE, color);
    printf("\n");
    wu_chart_tty(stdout, &rc_, cols, 8, ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE, color);

    /* the table */
    static const char *const head[6] = {"arm", "final loss", "best loss", "spikes", "diverged",
                                        "max grad norm, first 10%"};
    char cellbuf[ARMS][6][64];
    const char *cells[ARMS * 6];
    printf("\n%-20s %10s %10s %7s %9s %12s\n", "arm", "final", "best", "spikes", "diverged", "max |g| 10%");
    for (int i = 0; i < ARMS; i++) {
        snprintf(cellbuf[i][0], 64, "%s", a[i].label);
        snprintf(cellbuf[i][1], 64, "%.3f", a[i].final_loss);
        snprintf(cellbuf[i][2], 64, "%.3f", a[i].best_loss);
        snprintf(cellbuf[i][3], 64, "%d", a[i].spikes);
        snprintf(cellbuf[i][4], 64, a[i].diverged ? "at step %ld" : "no", a[i].diverged_at);
        snprintf(cellbuf[i][5], 64, "%.2f", a[i].gmax);
        for (int j = 0; j < 6; j++) cells[i * 6 + j] = cellbuf[i][j];
        printf("%-20s %10s %10s %7s %9s %12s\n", cellbuf[i][0], cellbuf[i][1], cellbuf[i][2],
               cellbuf[i][3], cellbuf[i][4], cellbuf[i][5]);
    }
    char conclusion[1200];
    conclude(conclusion, sizeof conclusion, a, (int)steps, warm);
    printf("\n%s\n", conclusion);

    /* files: charts, the demo summary, the report */
    char path[700];
    wu_outfile o;
    if (wu_report_svg(out, "loss.svg", &lc, NULL, 800, 450, &err) ||
        wu_report_svg(out, "lr.svg", &rc_, NULL, 800, 450, &err)) {
        ret = cli_error("%s", err.msg);
        goto done;
    }
    snprintf(path, sizeof path, "%s/summary.json", out);
    if (wu_outfile_open(&o, path, &err)) {
        ret = cli_error("%s", err.msg);
        goto done;
    }
    fprintf(o.f, "{\"model\": \"%s\", \"lr\": %.17g, \"steps\": %lld, \"batch\": %lld, \"seed\": %lld, "
                 "\"arms\": [", model, lr, (long long)steps, (long long)batch, (long long)seed);
    for (int i = 0; i < ARMS; i++) {
        fprintf(o.f, "%s\n  {\"name\": \"%s\", \"schedule\": ", i ? "," : "", a[i].name);
        wu_json_string(o.f, a[i].spec);
        fprintf(o.f, ", \"final_loss\": %.9g, \"best_loss\": %.9g, \"diverged\": %s, \"spikes\": %d, "
                     "\"max_grad_norm_first_10pct\": %.9g}",
                a[i].final_loss, a[i].best_loss, a[i].diverged ? "true" : "false", a[i].spikes, a[i].gmax);
    }
    fputs("\n], \"conclusion\": ", o.f);
    wu_json_string(o.f, conclusion);
    fputs("}\n", o.f);
    if (wu_outfile_commit(&o, &err)) {
        ret = cli_error("%s", err.msg);
        goto done;
    }
    snprintf(path, sizeof path, "%s/report.html", out);
    if (wu_outfile_open(&o, path, &err)) {
        ret = cli_error("%s", err.msg);
        goto done;
    }
    wu_html_begin(o.f, "What warmup does: the warmup demo");
    char intro[600];
    snprintf(intro, sizeof intro, "The same %s, the same data, the same seed and the same peak "
             "learning rate (%g), trained for %lld steps three times: without warmup, with a "
             "linear warmup and with an exponential warmup over %s of the steps, each followed "
             "by the same cosine decay to a tenth of the peak.", model, lr, (long long)steps, warm);
    wu_html_paragraph(o.f, intro);
    wu_html_heading(o.f, 2, "What happened");
    wu_html_paragraph(o.f, conclusion);
    wu_html_chart(o.f, &lc, 800, 450);
    wu_html_chart(o.f, &rc_, 800, 420);
    wu_html_heading(o.f, 2, "The numbers");
    wu_html_table(o.f, head, 6, cells, ARMS);
    wu_html_paragraph(o.f, "A spike is a loss more than three standard deviations and 0.1 nats "
                           "above the mean of the 20 steps before it. Each arm's metrics.csv and "
                           "summary.json are in its own directory next to this page.");
    wu_html_end(o.f);
    if (wu_outfile_commit(&o, &err)) {
        ret = cli_error("%s", err.msg);
        goto done;
    }
    printf("\nreport: %s/report.html  (charts: loss.svg, lr.svg; runs: none/, linear/, exp/)\n", out);
done:
    for (int i = 0; i < ARMS; i++) {
        wu_series_data_free(&loss[i]);
        wu_series_data_free(&lrs[i]);
    }
    return ret;
}
