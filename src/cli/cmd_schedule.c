/* cmd_schedule.c - `warmup schedule`: print the LR of every update of a schedule.
 *
 * Row k is the LR the optimizer uses for its k-th update, with the scheduler stepped after each
 * update as in PyTorch / Hugging Face training loops. CSV prints 17 significant digits, enough
 * to round-trip a double, so the output can be diffed against PyTorch's. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../schedule/segments.h"
#include "../train/train.h"
#include "cli.h"
#include "warmup.h"

#define MAX_GROUPS 16
/* more rows than this is a mistake far more often than a wish: 1e12 rows stream for hours and
 * tens of terabytes; --force prints them anyway */
#define MAX_ROWS 100000000LL

static const char HELP[] =
    "usage: warmup schedule SPEC --steps N [options]\n"
    "\n"
    "Print the learning rate for each of N optimizer updates (row k = the LR of update k).\n"
    "\n"
    "  SPEC                  native 'warmup(10%) > cosine', 'hf:linear(num_warmup_steps=10)'\n"
    "                        or 'torch:OneCycleLR(max_lr=0.1, total_steps=100)' (docs/SPEC.md)\n"
    "  -n, --steps N         number of updates to print (also resolves 10% and HF's default\n"
    "                        num_training_steps)\n"
    "  -l, --lr LR           base / peak LR (torch's initial_lr, HF's optimizer lr); default 1,\n"
    "                        which prints the factor of the peak\n"
    "  -e, --steps-per-epoch K   resolves durations written in epochs (2ep)\n"
    CLI_UNITS_HELP
    "      --segments LIST   the LRs of a run whose length changed on a resume, as its\n"
    "                        summary.json's config.segments says (0:400,200:600: re-planned at\n"
    "                        step 200 to 600 steps; --steps defaults to the last length)\n"
    "  -f, --format FMT      table (default on a terminal), csv (default otherwise) or json\n"
    "  -g, --group-lr LIST   extra parameter groups' base LRs, e.g. 1e-4,1e-5: one more column\n"
    "                        each (PyTorch's per-group initial_lr)\n"
    "  -m, --metrics FILE    one metric per line, fed to reduce-on-plateau after each update\n"
    "      --force           print more than 100M rows (refused otherwise: gigabytes of output)\n"
    "  -h, --help            this help\n"
    "\n"
    "examples:\n"
    "  warmup schedule 'warmup(10%) > cosine(to=0.1)' --lr 3e-4 --steps 1000 --format csv\n"
    "  warmup schedule 'hf:linear(num_warmup_steps=10, num_training_steps=40)' --lr 1e-3 -n 40\n";

#define METRICS_LINE_MAX 255 /* one number per line needs far less; longer is not a metrics file */

/* Read one finite metric per line; errors name file:line (a NUL byte or a line longer than
 * METRICS_LINE_MAX bytes is one, not silently cut). Returns 0 or an exit code. */
static int read_metrics(const char *path, double **out, int64_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return cli_error("--metrics: cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    int64_t cap = 0, cnt = 0, lineno = 0;
    double *v = NULL;
    while ((len = getline(&line, &linecap, f)) > 0) {
        lineno++;
        const char *bad = NULL;
        if (strlen(line) != (size_t)len) bad = "a NUL byte in the line (is it a text file?)";
        else if (len > METRICS_LINE_MAX + (line[len - 1] == '\n'))
            bad = "a line longer than 255 bytes (one number per line)";
        char *s = line, *end = line;
        double x = 0;
        if (!bad) {
            while (*s == ' ' || *s == '\t') s++;
            if (*s == '\n' || *s == '\r' || *s == '\0' || *s == '#') continue;
            x = strtod(s, &end);
            while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
            if (end == s || *end != '\0' || !isfinite(x)) bad = "expected one finite number per line";
        }
        if (bad) {
            free(v);
            free(line);
            fclose(f);
            return cli_error("%s:%lld: %s", path, (long long)lineno, bad);
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            double *nv = realloc(v, (size_t)cap * sizeof *v);
            if (!nv) {
                free(v);
                free(line);
                fclose(f);
                return cli_error("out of memory reading %s", path);
            }
            v = nv;
        }
        v[cnt++] = x;
    }
    free(line);
    if (ferror(f)) { /* e.g. a directory: fopen succeeds, reading does not */
        int e = errno;
        free(v);
        fclose(f);
        return cli_error("--metrics: cannot read '%s': %s", path, strerror(e));
    }
    fclose(f);
    *out = v;
    *n = cnt;
    return 0;
}

/* The spec's schedule, over its segments when given (issue 17: a run resumed to another
 * length, src/train/segments.c); 0 or an exit code, the error printed. */
static int parse(const char *spec, const wu_sched_opts *so, const char *segments,
                 wu_schedule **out)
{
    if (!segments) return cli_parse_spec(spec, so, out);
    wu_error err;
    if (wu_sched_parse_segments(out, spec, segments, so, &err) != WU_OK)
        return cli_engine_error(NULL, err.msg);
    if (so->total_steps > wu_sched_horizon(*out)) {
        wu_sched_destroy(*out);
        *out = NULL;
        return cli_error("'%s' is defined for fewer than --steps %lld steps", spec,
                         (long long)so->total_steps);
    }
    return 0;
}

int cmd_schedule(int argc, char **argv)
{
    static const struct option opts[] = {
        {"steps", required_argument, 0, 'n'},
        {"lr", required_argument, 0, 'l'},
        {"steps-per-epoch", required_argument, 0, 'e'},
        {"format", required_argument, 0, 'f'},
        {"group-lr", required_argument, 0, 'g'},
        {"metrics", required_argument, 0, 'm'},
        {"force", no_argument, 0, 300},
        CLI_UNIT_OPTIONS,
        {"segments", required_argument, 0, 301},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int force = 0;
    wu_sched_opts so = {.lr = 1.0};
    const char *format = NULL, *metrics_path = NULL, *segments = NULL;
    double glr[MAX_GROUPS];
    int ngroups = 0, c;
    opterr = 0;
    optind = 0; /* 0: a full reset of getopt, also after a scan that stopped early */
    while ((c = getopt_long(argc, argv, ":n:l:e:f:g:m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (cli_int64("--steps", optarg, 1, (int64_t)1 << 40, &so.total_steps))
                return WU_EXIT_USAGE;
            break;
        case 'l':
            if (cli_double("--lr", optarg, 1e-300, HUGE_VAL, &so.lr)) return WU_EXIT_USAGE;
            break;
        case 'e':
            if (cli_int64("--steps-per-epoch", optarg, 1, (int64_t)1 << 40, &so.steps_per_epoch))
                return WU_EXIT_USAGE;
            break;
        case 'f':
            if (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
                return cli_error("--format must be table, csv or json, got '%s'", optarg);
            format = optarg;
            break;
        case 'g':
            if (cli_double_list("--group-lr", optarg, glr, MAX_GROUPS, &ngroups))
                return WU_EXIT_USAGE;
            break;
        case 'm': metrics_path = optarg; break;
        case 300: force = 1; break; /* long only */
        case 301: segments = optarg; break;
        case CLI_O_TOKENS_PER_STEP: case CLI_O_SAMPLES_PER_STEP: case CLI_O_AUTO_WARMUP:
            if (cli_units_option(c, optarg, &so)) return WU_EXIT_USAGE;
            break;
        case 'h': fputs(HELP, stdout); return WU_EXIT_OK;
        case ':': return cli_error("%s needs a value (see 'warmup schedule --help')", argv[optind - 1]);
        default:
            return cli_error("schedule: unknown option '%s' (see 'warmup schedule --help')",
                             argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_error("schedule: missing SPEC, e.g. warmup schedule 'warmup(10%%) > cosine' "
                         "--steps 100");
    if (optind + 1 < argc)
        return cli_error("schedule: one SPEC expected, got also '%s' (quote the spec)",
                         argv[optind + 1]);
    if (so.total_steps <= 0 && segments) so.total_steps = wu_segments_total(segments);
    if (cli_units_resolve(&so)) return WU_EXIT_USAGE;
    if (so.total_steps <= 0)
        return cli_error("schedule: --steps N is required (the number of updates to print)");
    if (so.total_steps > MAX_ROWS && !force)
        return cli_error("schedule: --steps %lld prints %lld rows (about %.0f GB of output, hours "
                         "of streaming); the limit is 100M rows: lower --steps, or add --force",
                         (long long)so.total_steps, (long long)so.total_steps,
                         (double)so.total_steps * 25e-9);
    const char *spec = argv[optind];
    if (!format) format = isatty(fileno(stdout)) ? "table" : "csv";

    wu_schedule *s;
    if (parse(spec, &so, segments, &s)) return WU_EXIT_USAGE;
    if (cli_parse_only) {
        wu_sched_destroy(s);
        return WU_EXIT_OK;
    }
    double *metrics = NULL;
    int64_t nmetrics = 0;
    if (metrics_path && read_metrics(metrics_path, &metrics, &nmetrics)) {
        wu_sched_destroy(s);
        return WU_EXIT_USAGE;
    }

    wu_lr_group groups[1 + MAX_GROUPS];
    double lrs[1 + MAX_GROUPS];
    int ncol = 1 + ngroups;
    /* a first pass finds an LR that overflows before anything is printed (no half table, and
     * JSON has no inf); the schedule is parsed again after it, since the metrics change a
     * plateau schedule's state. Computing an LR costs far less than printing it. Past
     * MAX_ROWS (--force) the rows are checked as they stream instead. */
    for (int pass = so.total_steps > MAX_ROWS; pass < 2; pass++) {
        groups[0] = (wu_lr_group){s, so.lr, 1.0};
        for (int g = 0; g < ngroups; g++) groups[1 + g] = (wu_lr_group){s, glr[g], 1.0};
        if (pass) break;
        for (int64_t k = 0; k < so.total_steps; k++) {
            wu_sched_lrs(lrs, groups, ncol, k);
            for (int g = 0; g < ncol; g++)
                if (!isfinite(lrs[g])) {
                    cli_error("schedule: the LR of update %lld%s is not finite (%g); lower "
                              "--lr%s or the schedule's growth", (long long)k,
                              g ? " (a --group-lr column)" : "", lrs[g], g ? " or --group-lr" : "");
                    free(metrics);
                    wu_sched_destroy(s);
                    return WU_EXIT_USAGE;
                }
            if (k < nmetrics) wu_sched_observe(s, metrics[k]);
        }
        wu_sched_destroy(s);
        if (parse(spec, &so, segments, &s)) {
            free(metrics);
            return WU_EXIT_USAGE;
        }
    }
    int csv = !strcmp(format, "csv"), json = !strcmp(format, "json");

    if (csv) {
        fputs("step,lr", stdout);
        for (int g = 0; g < ngroups; g++) printf(",lr_group%d", g + 1);
        fputc('\n', stdout);
    } else if (json) {
        fputs("{\"spec\": ", stdout);
        wu_json_string(stdout, spec);
        printf(", \"lr\": %.17g, \"steps\": %lld, \"warmup_steps\": %lld, \"lr_values\": [",
               so.lr, (long long)so.total_steps, (long long)wu_sched_warmup_steps(s));
    } else {
        printf("# %s  (base LR %g, warmup ends at step %lld)\n", spec, so.lr,
               (long long)wu_sched_warmup_steps(s));
        printf("%8s  %-14s", "step", "lr");
        for (int g = 0; g < ngroups; g++) printf("  lr_group%-5d", g + 1);
        printf("  %s\n", "of peak");
    }
    for (int64_t k = 0; k < so.total_steps; k++) {
        wu_sched_lrs(lrs, groups, ncol, k);
        for (int g = 0; g < ncol; g++)
            if (!isfinite(lrs[g])) { /* only past MAX_ROWS: the first pass caught it otherwise */
                fflush(stdout);
                cli_error("schedule: the LR of update %lld is not finite (%g)", (long long)k, lrs[g]);
                free(metrics);
                wu_sched_destroy(s);
                return WU_EXIT_USAGE;
            }
        if (csv) {
            printf("%lld", (long long)k);
            for (int g = 0; g < ncol; g++) printf(",%.17g", lrs[g]);
            fputc('\n', stdout);
        } else if (json) {
            printf("%s%.17g", k ? ", " : "", lrs[0]);
        } else {
            printf("%8lld  %-14.6g", (long long)k, lrs[0]);
            for (int g = 1; g < ncol; g++) printf("  %-14.6g", lrs[g]);
            printf("  %6.2f%%\n", 100.0 * lrs[0] / so.lr);
        }
        if (k < nmetrics) wu_sched_observe(s, metrics[k]);
    }
    if (json) fputs("]}\n", stdout);
    free(metrics);
    wu_sched_destroy(s);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_error("could not write the output: %s", strerror(errno));
    return WU_EXIT_OK;
}
