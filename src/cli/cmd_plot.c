/* cmd_plot.c - `warmup plot`: one or several schedules on one chart, as SVG or in the terminal.
 * The chart itself is src/report/ (chart.h); this file turns specs into series. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../report/chart.h"
#include "../report/plot_data.h"
#include "../util/outfile.h"
#include "cli.h"
#include "plot.h"
#include "warmup.h"
#include "warmup_plot.h"

#define MAX_SPECS WU_PLOT_MAX_SPECS

static const char HELP[] =
    "usage: warmup plot SPEC [SPEC...] --steps N [options]\n"
    "\n"
    "Draw one or several schedules on one chart, with a dashed marker where each warmup ends.\n"
    "Without -o the chart goes to the terminal when stdout is one, else SVG goes to stdout.\n"
    "\n"
    "  -n, --steps N          updates to plot (also resolves 10% and HF's num_training_steps)\n"
    "  -l, --lr LR            base / peak LR (default 1: the y axis is the factor of the peak)\n"
    "  -e, --steps-per-epoch K  resolves durations in epochs (2ep)\n"
    CLI_UNITS_HELP
    "  -o, --out FILE         write an SVG file (written whole or not at all; also --output)\n"
    "      --tty              draw in the terminal (also with -o)\n"
    "      --ascii            terminal chart in plain ASCII; --block: half blocks; default braille\n"
    "      --log-y            logarithmic LR axis\n"
    "  -t, --title TEXT       chart title\n"
    "      --labels A,B,...   legend names, one per SPEC (default: the spec text)\n"
    "      --cols N --rows N  terminal chart size (default: the terminal's width, 16 rows)\n"
    "      --width W --height H  SVG size in pixels (default 800 wide, height to fit the legend)\n"
    "      --no-color         no ANSI colours in the terminal (NO_COLOR is honoured too)\n"
    "  -h, --help             this help\n"
    "\n"
    "example:\n"
    "  warmup plot cosine 'warmup(10%) > cosine' 'warmup(10%, exp) > cosine' -n 1000 -o lr.svg\n";

/* Write the SVG document of len bytes to the output file (whole or not at all) or stdout. */
static int write_svg(const char *path, const char *svg, size_t len)
{
    wu_error err = {0};
    if (!path) return fwrite(svg, 1, len, stdout) == len ? 0 : -1;
    wu_outfile out = {0};
    if (wu_outfile_open(&out, path, &err)) {
        cli_engine_error(NULL, err.msg);
        return WU_EXIT_USAGE;
    }
    fwrite(svg, 1, len, out.f);
    if (wu_outfile_commit(&out, &err)) {
        cli_engine_error(NULL, err.msg);
        return WU_EXIT_FAIL;
    }
    return 0;
}

/* The chart is drawn by src/report/plot_svg.c (include/warmup_plot.h), the code the Python
 * package's warmup.plot() calls: both write the same bytes. This checks the specs first so that
 * a bad one is reported with the CLI's caret under the column. */
int cli_plot_specs(const plot_request *rq)
{
    wu_error err = {0};
    if (rq->nspecs > MAX_SPECS) return cli_error("plot: at most %d specs on one chart", MAX_SPECS);
    if (rq->opts.total_steps > WU_PLOT_MAX_STEPS)
        return cli_error("plot: --steps %lld is too many points to draw (at most %d)",
                         (long long)rq->opts.total_steps, WU_PLOT_MAX_STEPS);
    for (int i = 0; i < rq->nspecs; i++) {
        wu_schedule *s;
        if (cli_parse_spec(rq->specs[i], &rq->opts, &s)) return WU_EXIT_USAGE;
        wu_sched_destroy(s);
    }
    int height = rq->height, rc;
    if (rq->output || !rq->tty) {
        char *svg;
        size_t len;
        if (wu_plot_svg(&svg, &len, rq->specs, rq->labels, rq->nspecs, &rq->opts, rq->log_y,
                        rq->title, rq->width, height, &err) != WU_OK)
            return cli_engine_error(NULL, err.msg);
        rc = write_svg(rq->output, svg, len);
        wu_plot_free(svg);
        if (rc > 0) return rc;
        if (rc < 0) return cli_error("could not write the chart");
    }
    if (rq->tty) {
        wu_plot_data d;
        if (wu_plot_build(&d, rq->specs, rq->labels, rq->nspecs, &rq->opts, rq->log_y,
                          rq->title, &err) != WU_OK)
            return cli_engine_error(NULL, err.msg);
        int cols = rq->cols > 0 ? rq->cols : cli_term_cols();
        rc = wu_chart_tty(stdout, &d.chart, cols, rq->rows, rq->mode, rq->color);
        wu_plot_data_free(&d);
        if (rc) return cli_error("plot: a terminal chart needs at least 30 columns and 3 rows");
    }
    return fflush(stdout) == 0 ? WU_EXIT_OK : cli_error("could not write the chart");
}

int cmd_plot(int argc, char **argv)
{
    enum { O_TTY = 256, O_ASCII, O_BLOCK, O_LOGY, O_LABELS, O_COLS, O_ROWS, O_WIDTH, O_HEIGHT,
           O_NOCOLOR };
    static const struct option opts[] = {
        {"steps", required_argument, 0, 'n'},
        {"lr", required_argument, 0, 'l'},
        {"steps-per-epoch", required_argument, 0, 'e'},
        {"output", required_argument, 0, 'o'},
        {"out", required_argument, 0, 'o'}, /* -o is --out in every command */
        {"title", required_argument, 0, 't'},
        {"tty", no_argument, 0, O_TTY},
        {"ascii", no_argument, 0, O_ASCII},
        {"block", no_argument, 0, O_BLOCK},
        {"log-y", no_argument, 0, O_LOGY},
        {"labels", required_argument, 0, O_LABELS},
        {"cols", required_argument, 0, O_COLS},
        {"rows", required_argument, 0, O_ROWS},
        {"width", required_argument, 0, O_WIDTH},
        {"height", required_argument, 0, O_HEIGHT},
        {"no-color", no_argument, 0, O_NOCOLOR},
        CLI_UNIT_OPTIONS,
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    plot_request rq = {.opts = {.lr = 1.0}, .rows = 16, .width = 800, .height = 0,
                       .mode = WU_TTY_BRAILLE, .color = cli_use_color()};
    int want_tty = 0, c;
    char *labels = NULL;
    int64_t v;
    opterr = 0;
    optind = 0; /* 0: a full reset of getopt, also after a scan that stopped early */
    while ((c = getopt_long(argc, argv, ":n:l:e:o:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (cli_int64("--steps", optarg, 1, (int64_t)1 << 40, &rq.opts.total_steps))
                return WU_EXIT_USAGE;
            break;
        case 'l':
            if (cli_double("--lr", optarg, 1e-300, HUGE_VAL, &rq.opts.lr)) return WU_EXIT_USAGE;
            break;
        case 'e':
            if (cli_int64("--steps-per-epoch", optarg, 1, (int64_t)1 << 40,
                          &rq.opts.steps_per_epoch))
                return WU_EXIT_USAGE;
            break;
        case 'o': rq.output = optarg; break;
        case 't': rq.title = optarg; break;
        case O_TTY: want_tty = 1; break;
        case O_ASCII: rq.mode = WU_TTY_ASCII; want_tty = 1; break;
        case O_BLOCK: rq.mode = WU_TTY_BLOCK; want_tty = 1; break;
        case O_LOGY: rq.log_y = 1; break;
        case O_LABELS: labels = optarg; break;
        case O_NOCOLOR: rq.color = 0; break;
        case O_COLS: case O_ROWS: case O_WIDTH: case O_HEIGHT: {
            const char *name = c == O_COLS ? "--cols" : c == O_ROWS ? "--rows"
                             : c == O_WIDTH ? "--width" : "--height";
            int64_t lo = c == O_COLS ? 30 : c == O_ROWS ? 3 : 200, hi = c <= O_ROWS ? 1000 : 10000;
            if (cli_int64(name, optarg, lo, hi, &v)) return WU_EXIT_USAGE;
            *(c == O_COLS ? &rq.cols : c == O_ROWS ? &rq.rows : c == O_WIDTH ? &rq.width
                                                                            : &rq.height) = (int)v;
            break;
        }
        case CLI_O_TOKENS_PER_STEP: case CLI_O_SAMPLES_PER_STEP: case CLI_O_AUTO_WARMUP:
            if (cli_units_option(c, optarg, &rq.opts)) return WU_EXIT_USAGE;
            break;
        case 'h': fputs(HELP, stdout); return WU_EXIT_OK;
        case ':': return cli_error("%s needs a value (see 'warmup plot --help')", argv[optind - 1]);
        default:
            return cli_error("plot: unknown option '%s' (see 'warmup plot --help')",
                             argv[optind - 1]);
        }
    }
    rq.nspecs = argc - optind;
    if (rq.nspecs < 1)
        return cli_error("plot: give at least one SPEC, e.g. warmup plot 'warmup(10%%) > cosine' "
                         "--steps 1000");
    if (rq.nspecs > MAX_SPECS) return cli_error("plot: at most %d specs on one chart", MAX_SPECS);
    if (rq.opts.total_steps <= 0)
        return cli_error("plot: --steps N is required (the number of updates to draw)");
    for (int i = 0; i < rq.nspecs; i++) rq.specs[i] = argv[optind + i];
    if (cli_units_resolve(&rq.opts)) return WU_EXIT_USAGE;
    char lbuf[1024];
    if (labels) {
        if (strlen(labels) >= sizeof lbuf) return cli_error("--labels is too long");
        strcpy(lbuf, labels);
        int k = 0;
        char *save = NULL;
        for (char *t = strtok_r(lbuf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (k >= rq.nspecs)
                return cli_error("--labels has more names than there are specs (%d)", rq.nspecs);
            rq.labels[k++] = t;
        }
        if (k != rq.nspecs)
            return cli_error("--labels has %d name%s for %d specs: give one per spec", k,
                             k == 1 ? "" : "s", rq.nspecs);
    }
    rq.tty = want_tty || (!rq.output && isatty(STDOUT_FILENO));
    for (int i = 0; cli_parse_only && i < rq.nspecs; i++) {
        wu_schedule *s;
        if (cli_parse_spec(rq.specs[i], &rq.opts, &s)) return WU_EXIT_USAGE;
        wu_sched_destroy(s);
    }
    if (cli_parse_only) return WU_EXIT_OK;
    return cli_plot_specs(&rq);
}
