/* cmd_check.c - `warmup check LOG`: a run's logged LRs against the spec it meant to follow, and
 * `warmup diff A B`: two specs against each other. The comparison and the diagnoses are
 * libwarmup's (wu_check_*, src/schedule/check.c); the log is read by lrlog.c; this file maps
 * options, prints the verdict (text or JSON) and draws the chart (src/report/chart.h). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../report/chart.h"
#include "../schedule/segments.h"
#include "../util/json.h"
#include "../util/outfile.h"
#include "cli.h"
#include "lrlog.h"
#include "warmup.h"
#include "warmup_plot.h"

static const char HELP[] =
    "usage: warmup check LOG --spec SPEC --lr LR [options]\n"
    "\n"
    "Compare the LRs a run logged with the schedule it meant to follow, and name the bug when\n"
    "the differences fit a known pattern: shifted by one, a jump or a restart at a resume,\n"
    "stretched by gradient accumulation or workers, LR 0 at step 0, another total length, or\n"
    "float32 rounding only (docs/CHECK.md).\n"
    "\n"
    "LOG is warmup's metrics.csv, a PyTorch Lightning CSVLogger metrics.csv (lr-AdamW), any CSV\n"
    "with a step and an LR column, JSON lines, or Hugging Face's trainer_state.json. Steps may\n"
    "skip (logging every k steps) and start anywhere; step s holds the LR of update s (0-based).\n"
    "\n"
    "  -s, --spec SPEC        the schedule the run meant to follow (docs/SPEC.md)\n"
    "  -l, --lr LR            its base / peak LR\n"
    "  -n, --steps N          the run's total updates (resolves 10% and hf: defaults; default:\n"
    "                         trainer_state.json's max_steps, else the last logged step + 1)\n"
    "  -e, --steps-per-epoch K  resolves durations in epochs (2ep)\n"
    CLI_UNITS_HELP
    "      --segments LIST    the run's lengths when a resume changed them, as its summary.json's\n"
    "                         config.segments says (0:400,200:600); --steps defaults to the last\n"
    "      --step-column NAME the step column or key (default: step, global_step, ...)\n"
    "      --lr-column NAME   the LR column or key (default: lr, learning_rate, lr-*)\n"
    "      --json             the verdict as one JSON object\n"
    "      --plot FILE        an SVG chart: expected and logged LRs, the first difference marked\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 the log matches (to 1e-12, or at float32 precision), 1 it differs, 2 bad\n"
    "usage or input.\n"
    "\n"
    "examples:\n"
    "  warmup check run/metrics.csv --spec 'warmup(5%) > cosine' --lr 3e-4 --steps 10000\n"
    "  warmup check trainer_state.json --spec 'hf:linear(num_warmup_steps=100)' --lr 5e-5 -n 1000\n";

static const char DIFF_HELP[] =
    "usage: warmup diff SPEC_A SPEC_B --lr LR --steps N [options]\n"
    "\n"
    "Compare two schedules step by step: the first step where they differ (beyond 1e-12\n"
    "relative), the largest relative difference and where, and how B relates to A when it fits\n"
    "a known pattern (shifted, stretched, another total length; docs/CHECK.md).\n"
    "\n"
    "  -l, --lr LR            base / peak LR (default 1)\n"
    "  -n, --steps N          updates to compare (also resolves 10% and hf: defaults)\n"
    "  -e, --steps-per-epoch K  resolves durations in epochs (2ep)\n"
    CLI_UNITS_HELP
    "      --json             the result as one JSON object\n"
    "      --plot FILE        an SVG chart of both schedules\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 the schedules agree to 1e-12, 1 they differ, 2 bad usage or input.\n"
    "\n"
    "example:\n"
    "  warmup diff 'warmup(100) > cosine' 'hf:cosine(num_warmup_steps=100)' --lr 1e-3 -n 1000\n";

#define PLOT_CAP 4096 /* points of the log kept for the chart (decimated: constant memory) */

typedef struct check_ctx {
    wu_check *c;
    int64_t last;
    int plot;
    int64_t ss[PLOT_CAP];
    double sl[PLOT_CAP];
    int ns;
    int64_t stride, seen;
} check_ctx;

static int feed(void *ctx, int64_t step, double lr, wu_error *err)
{
    check_ctx *x = ctx;
    int rc = wu_check_feed(x->c, step, lr, err);
    if (rc || !x->plot) return rc;
    if (x->seen++ % x->stride == 0) {
        if (x->ns == PLOT_CAP) { /* keep every other point, sample half as often */
            for (int i = 0; i < PLOT_CAP / 2; i++) {
                x->ss[i] = x->ss[2 * i];
                x->sl[i] = x->sl[2 * i];
            }
            x->ns = PLOT_CAP / 2;
            x->stride *= 2;
            x->seen = 1;
        }
        x->ss[x->ns] = step;
        x->sl[x->ns++] = lr;
    }
    return 0;
}

static int last_step(void *ctx, int64_t step, double lr, wu_error *err)
{
    (void)lr;
    (void)err;
    ((check_ctx *)ctx)->last = step;
    return 0;
}

static const char *verdict_name(wu_check_verdict v)
{
    return v == WU_CHECK_MATCH ? "match" : v == WU_CHECK_FLOAT32 ? "float32"
         : v == WU_CHECK_DIFFERS ? "differs" : "empty";
}

static const char *pattern_name(wu_check_pattern p)
{
    static const char *const names[] = {"none", "shift", "zero_start", "jump", "restart",
                                        "stretch", "slow", "horizon"};
    return (unsigned)p < sizeof names / sizeof *names ? names[p] : "none";
}

/* The diagnosis object (or null) of the JSON output. */
static void json_diagnosis(const wu_check_result *r)
{
    if (r->pattern == WU_PAT_NONE) {
        fputs("null", stdout);
        return;
    }
    printf("{\"pattern\": \"%s\", \"param\": %lld, \"offset\": %lld, \"at\": %lld, "
           "\"at_lo\": %lld, \"exact\": %s, \"also\": %d, \"also_pattern\": \"%s\", "
           "\"also_param\": %lld, \"why\": ", pattern_name(r->pattern),
           (long long)r->param, (long long)r->offset, (long long)r->at, (long long)r->at_lo,
           r->exact ? "true" : "false", r->nalso, pattern_name(r->also), (long long)r->also_param);
    wu_json_string(stdout, r->why);
    fputc('}', stdout);
}

static void print_diagnosis(const wu_check_result *r)
{
    if (r->pattern == WU_PAT_NONE) {
        if (r->verdict == WU_CHECK_DIFFERS)
            puts("  diagnosis: none of the known patterns explains every logged step "
                 "(docs/CHECK.md lists them)");
        return;
    }
    printf("  diagnosis: %s\n", r->why);
    if (!r->exact) puts("  (the pattern fits at float32 precision, not to 1e-12)");
    if (r->nalso)
        printf("  (%d other hypothes%s fit%s too, the first: %s %lld)\n", r->nalso,
               r->nalso == 1 ? "is" : "es", r->nalso == 1 ? "s" : "", pattern_name(r->also),
               (long long)r->also_param);
}

/* The chart of --plot: the spec's LR over the logged range (2048 points at most), the log's
 * sampled pairs with the first difference among them drawn as an x. Written whole or not at
 * all. */
#define EXPECTED_POINTS 2048
static int write_plot(const char *path, const check_ctx *x, const wu_check_result *r,
                      const char *log, const char *spec)
{
    int ne = r->last_step - r->first_step + 1 < EXPECTED_POINTS
                 ? (int)(r->last_step - r->first_step + 1) : EXPECTED_POINTS;
    int nl = x->ns + 1, rc = 0;
    double *xe = malloc(sizeof *xe * (size_t)ne), *ye = malloc(sizeof *ye * (size_t)ne);
    double *xl = malloc(sizeof *xl * (size_t)nl), *yl = malloc(sizeof *yl * (size_t)nl);
    unsigned char *flag = calloc((size_t)nl, 1);
    if (!xe || !ye || !xl || !yl || !flag) {
        rc = cli_error("out of memory for the chart");
        goto out;
    }
    for (int i = 0; i < ne; i++) {
        int64_t k = ne == 1 ? r->first_step
                            : r->first_step + (int64_t)llround((double)i *
                                  (double)(r->last_step - r->first_step) / (ne - 1));
        xe[i] = (double)k;
        ye[i] = wu_check_expected(x->c, k);
    }
    nl = 0; /* the sample, with the first difference put in its place when it is not there */
    int placed = r->diff_step < 0;
    for (int i = 0; i <= x->ns; i++) {
        if (!placed && (i == x->ns || x->ss[i] >= r->diff_step)) {
            placed = 1;
            if (i == x->ns || x->ss[i] != r->diff_step) {
                xl[nl] = (double)r->diff_step;
                yl[nl] = r->diff_logged;
                flag[nl++] = 1;
            } else {
                flag[nl] = 1;
            }
        }
        if (i == x->ns) break;
        xl[nl] = (double)x->ss[i];
        yl[nl++] = x->sl[i];
    }
    char lname[300], dname[80], title[400];
    snprintf(lname, sizeof lname, "logged: %s", log);
    snprintf(dname, sizeof dname, "first difference (step %lld)", (long long)r->diff_step);
    snprintf(title, sizeof title, "%s against %s", log, spec);
    wu_series s[2] = {
        {.name = spec, .x = xe, .y = ye, .n = ne, .mark_x = NAN},
        {.name = lname, .x = xl, .y = yl, .n = nl, .mark_x = NAN, .flag = flag,
         .style = nl <= 200 ? WU_STYLE_POINTS : WU_STYLE_LINE},
    };
    wu_chart ch = {.title = title, .xlabel = "step", .ylabel = "learning rate", .series = s,
                   .nseries = 2, .flag_label = dname, .y_include_on = 1, .y_include = 0};
    wu_error err = {0};
    wu_outfile o = {0};
    if (wu_outfile_open(&o, path, &err)) {
        rc = cli_engine_error("--plot", err.msg);
        goto out;
    }
    wu_chart_svg(o.f, &ch, 800, 390 + 18 * 3);
    if (wu_outfile_commit(&o, &err)) rc = cli_engine_error("--plot", err.msg) ? WU_EXIT_FAIL : 0;
out:
    free(xe);
    free(ye);
    free(xl);
    free(yl);
    free(flag);
    return rc;
}

/* A log that differs and sits beside a warmup run's summary.json whose config says the run was
 * resumed to other lengths: say which --segments compares it with that run's schedule. */
static void run_segments_note(const char *log)
{
    char path[1100];
    const char *slash = strrchr(log, '/');
    if (slash) snprintf(path, sizeof path, "%.*s/summary.json", (int)(slash - log), log);
    else snprintf(path, sizeof path, "summary.json");
    cJSON *j = wu_json_read(path, NULL);
    const cJSON *seg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "config"),
                                                        "segments");
    if (cJSON_IsString(seg) && strchr(seg->valuestring, ','))
        printf("  note: %s says the run was resumed to other lengths: compare with its schedule "
               "with --segments %s\n", path, seg->valuestring);
    cJSON_Delete(j);
}

int cmd_check(int argc, char **argv)
{
    enum { O_STEPCOL = 256, O_LRCOL, O_JSON, O_PLOT, O_SEGMENTS };
    static const struct option opts[] = {
        {"spec", required_argument, 0, 's'},
        {"lr", required_argument, 0, 'l'},
        {"steps", required_argument, 0, 'n'},
        {"steps-per-epoch", required_argument, 0, 'e'}, CLI_UNIT_OPTIONS,
        {"segments", required_argument, 0, O_SEGMENTS}, {"step-column", required_argument, 0, O_STEPCOL},
        {"lr-column", required_argument, 0, O_LRCOL},
        {"json", no_argument, 0, O_JSON},
        {"plot", required_argument, 0, O_PLOT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    wu_sched_opts so = {0};
    const char *spec = NULL, *step_col = NULL, *lr_col = NULL, *plot = NULL, *segments = NULL;
    int json = 0, from_log = 0, c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":s:l:n:e:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': spec = optarg; break;
        case 'l':
            if (cli_double("--lr", optarg, 1e-300, HUGE_VAL, &so.lr)) return WU_EXIT_USAGE;
            break;
        case 'n':
            if (cli_int64("--steps", optarg, 1, (int64_t)1 << 50, &so.total_steps))
                return WU_EXIT_USAGE;
            break;
        case 'e':
            if (cli_int64("--steps-per-epoch", optarg, 1, (int64_t)1 << 40, &so.steps_per_epoch))
                return WU_EXIT_USAGE;
            break;
        case CLI_O_TOKENS_PER_STEP: case CLI_O_SAMPLES_PER_STEP: case CLI_O_AUTO_WARMUP:
            if (cli_units_option(c, optarg, &so)) return WU_EXIT_USAGE;
            break;
        case O_SEGMENTS: segments = optarg; break;
        case O_STEPCOL: step_col = optarg; break;
        case O_LRCOL: lr_col = optarg; break;
        case O_JSON: json = 1; break;
        case O_PLOT: plot = optarg; break;
        case 'h': fputs(HELP, stdout); return WU_EXIT_OK;
        case ':': return cli_error("%s needs a value (see 'warmup check --help')", argv[optind - 1]);
        default:
            return cli_error("check: unknown option '%s' (see 'warmup check --help')",
                             argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_error("check: missing LOG, e.g. warmup check run/metrics.csv --spec "
                         "'warmup(5%%) > cosine' --lr 3e-4 --steps 1000");
    if (optind + 1 < argc)
        return cli_error("check: one LOG expected, got also '%s'", argv[optind + 1]);
    if (!spec) return cli_error("check: --spec SPEC is required (the schedule the run meant to follow)");
    if (so.lr <= 0) return cli_error("check: --lr LR is required (the base / peak LR of the spec)");
    if (cli_units_resolve(&so)) return WU_EXIT_USAGE;
    const char *log = argv[optind];
    check_ctx *x = calloc(1, sizeof *x);
    if (!x) return cli_error("out of memory");
    x->stride = 1;
    x->plot = plot != NULL;
    lrlog_info info;
    wu_error err;
    int rc;
    /* the run's segments (a resume changed its length): the spec over them, their last length
       the run's */
    if (segments) {
        wu_schedule *seg;
        if (wu_sched_parse_segments(&seg, spec, segments, &so, &err) != WU_OK) {
            rc = cli_engine_error(NULL, err.msg);
            goto done;
        }
        wu_sched_destroy(seg);
        if (so.total_steps == 0) so.total_steps = wu_segments_total(segments);
    }
    /* a spec that needs the run's length without --steps: take it from the log (a first pass) */
    if (so.total_steps == 0 && wu_check_create(&x->c, spec, &so, &err) != WU_OK) {
        if (strstr(err.msg, "total_steps") && !cli_parse_only) {
            if ((rc = lrlog_read(log, step_col, lr_col, last_step, x, &info))) goto done;
            so.total_steps = info.max_steps > 0 ? info.max_steps : x->last + 1;
            from_log = info.max_steps > 0 ? 2 : 1;
        }
    }
    wu_check_destroy(x->c);
    x->c = NULL;
    wu_schedule *s;
    if (cli_parse_spec(spec, &so, &s)) {
        rc = WU_EXIT_USAGE;
        goto done;
    }
    wu_sched_destroy(s);
    if (cli_parse_only) {
        rc = WU_EXIT_OK;
        goto done;
    }
    if (wu_check_create(&x->c, spec, &so, &err) != WU_OK ||
        (segments && wu_check_segments(x->c, segments, &err) != WU_OK)) {
        rc = cli_engine_error(NULL, err.msg);
        goto done;
    }
    if ((rc = lrlog_read(log, step_col, lr_col, feed, x, &info))) goto done;
    wu_check_result r;
    wu_check_finish(x->c, &r);
    if (plot && (rc = write_plot(plot, x, &r, log, spec))) goto done;
    if (json) {
        fputs("{\"log\": ", stdout);
        wu_json_string(stdout, log);
        printf(", \"format\": \"%s\", \"step_column\": ", info.format);
        wu_json_string(stdout, info.step_col);
        fputs(", \"lr_column\": ", stdout);
        wu_json_string(stdout, info.lr_col);
        fputs(", \"spec\": ", stdout);
        wu_json_string(stdout, spec);
        fputs(", \"segments\": ", stdout);
        if (segments) wu_json_string(stdout, segments);
        else fputs("null", stdout);
        printf(", \"lr\": %.17g, \"steps\": %lld, \"verdict\": \"%s\", \"n\": %lld, "
               "\"first_step\": %lld, \"last_step\": %lld, \"ndiff\": %lld, \"first_difference\": ",
               so.lr, (long long)so.total_steps, verdict_name(r.verdict), (long long)r.n,
               (long long)r.first_step, (long long)r.last_step, (long long)r.ndiff);
        if (r.diff_step >= 0)
            printf("{\"step\": %lld, \"expected\": %.17g, \"logged\": %.17g}",
                   (long long)r.diff_step, r.diff_expected, r.diff_logged);
        else
            fputs("null", stdout);
        printf(", \"max_rel_diff\": %.6g, \"max_rel_step\": %lld, \"zero_first\": %s, "
               "\"diagnosis\": ", r.max_rel, (long long)r.max_rel_step,
               r.zero_first ? "true" : "false");
        json_diagnosis(&r);
        fputs("}\n", stdout);
    } else if (r.verdict == WU_CHECK_MATCH) {
        printf("%s: matches to 1e-12 over %lld logged steps (%lld to %lld)\n", log,
               (long long)r.n, (long long)r.first_step, (long long)r.last_step);
    } else if (r.verdict == WU_CHECK_FLOAT32) {
        printf("%s: matches at float32 precision over %lld logged steps (%lld to %lld): the "
               "largest relative difference is %.2g, at step %lld\n", log, (long long)r.n,
               (long long)r.first_step, (long long)r.last_step, r.max_rel,
               (long long)r.max_rel_step);
    } else {
        printf("%s: differs from the spec at step %lld: expected %.17g, logged %.17g\n", log,
               (long long)r.diff_step, r.diff_expected, r.diff_logged);
        printf("  %lld of %lld logged steps (%lld to %lld) differ; the largest relative "
               "difference is %.3g, at step %lld\n", (long long)r.ndiff, (long long)r.n,
               (long long)r.first_step, (long long)r.last_step, r.max_rel,
               (long long)r.max_rel_step);
        print_diagnosis(&r);
    }
    if (!json && r.zero_first && r.verdict != WU_CHECK_DIFFERS)
        puts("  note: the LR is 0 at step 0, so the first update is wasted (docs/CHECK.md, "
             "\"LR 0 at step 0\")");
    if (!json && !segments && r.verdict == WU_CHECK_DIFFERS) run_segments_note(log);
    if (!json && from_log)
        printf("  note: the spec's total length is %s (%lld)%s\n",
               from_log == 2 ? "the log's max_steps" : "the last logged step + 1",
               (long long)so.total_steps, from_log == 2 ? "" : "; give --steps N if the run was longer");
    rc = r.verdict == WU_CHECK_DIFFERS ? WU_EXIT_FAIL : WU_EXIT_OK;
    if (fflush(stdout) != 0) rc = cli_error("could not write the output");
done:
    wu_check_destroy(x->c);
    free(x);
    return rc;
}

int cmd_diff(int argc, char **argv)
{
    enum { O_JSON = 256, O_PLOT };
    static const struct option opts[] = {
        {"lr", required_argument, 0, 'l'},
        {"steps", required_argument, 0, 'n'},
        {"steps-per-epoch", required_argument, 0, 'e'}, CLI_UNIT_OPTIONS,
        {"json", no_argument, 0, O_JSON},
        {"plot", required_argument, 0, O_PLOT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    wu_sched_opts so = {.lr = 1.0};
    const char *plot = NULL;
    int json = 0, c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":l:n:e:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (cli_double("--lr", optarg, 1e-300, HUGE_VAL, &so.lr)) return WU_EXIT_USAGE;
            break;
        case 'n':
            if (cli_int64("--steps", optarg, 1, WU_PLOT_MAX_STEPS, &so.total_steps))
                return WU_EXIT_USAGE;
            break;
        case 'e':
            if (cli_int64("--steps-per-epoch", optarg, 1, (int64_t)1 << 40, &so.steps_per_epoch))
                return WU_EXIT_USAGE;
            break;
        case O_JSON: json = 1; break;
        case O_PLOT: plot = optarg; break;
        case CLI_O_TOKENS_PER_STEP: case CLI_O_SAMPLES_PER_STEP: case CLI_O_AUTO_WARMUP:
            if (cli_units_option(c, optarg, &so)) return WU_EXIT_USAGE;
            break;
        case 'h': fputs(DIFF_HELP, stdout); return WU_EXIT_OK;
        case ':': return cli_error("%s needs a value (see 'warmup diff --help')", argv[optind - 1]);
        default:
            return cli_error("diff: unknown option '%s' (see 'warmup diff --help')",
                             argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_error("diff: give two specs, e.g. warmup diff 'warmup(100) > cosine' "
                         "'hf:cosine(num_warmup_steps=100)' --steps 1000 (got %d)", argc - optind);
    if (so.total_steps <= 0) return cli_error("diff: --steps N is required (the updates to compare)");
    if (cli_units_resolve(&so)) return WU_EXIT_USAGE;
    const char *sa = argv[optind], *sb = argv[optind + 1];
    wu_schedule *a, *b;
    if (cli_parse_spec(sa, &so, &a)) return WU_EXIT_USAGE;
    if (cli_parse_spec(sb, &so, &b)) {
        wu_sched_destroy(a);
        return WU_EXIT_USAGE;
    }
    wu_check *ck;
    wu_error err;
    if (cli_parse_only || wu_check_create(&ck, sa, &so, &err) != WU_OK) {
        wu_sched_destroy(a);
        wu_sched_destroy(b);
        return cli_parse_only ? WU_EXIT_OK : cli_engine_error(NULL, err.msg);
    }
    int64_t first = -1, maxat = -1;
    double fa = 0, fb = 0, maxrel = 0;
    for (int64_t k = 0; k < so.total_steps; k++) {
        double va = wu_sched_lr(a, k), vb = wu_sched_lr(b, k), m = fmax(fabs(va), fabs(vb));
        double rel = m > 0 ? fabs(va - vb) / m : 0;
        if (rel > maxrel || maxat < 0) {
            maxrel = rel;
            maxat = k;
        }
        if (first < 0 && fabs(va - vb) > WU_CHECK_TOL * m + 1e-12 * so.lr) {
            first = k;
            fa = va;
            fb = vb;
        }
        wu_check_feed(ck, k, vb, NULL);
    }
    wu_check_result r;
    wu_check_finish(ck, &r);
    wu_check_destroy(ck);
    wu_sched_destroy(a);
    wu_sched_destroy(b);
    int rc = first < 0 ? WU_EXIT_OK : WU_EXIT_FAIL;
    if (plot) {
        const char *specs[2] = {sa, sb};
        char *svg;
        size_t len;
        char title[300];
        snprintf(title, sizeof title, "%s against %s (base LR %g)", sa, sb, so.lr);
        if (wu_plot_svg(&svg, &len, specs, NULL, 2, &so, 0, title, 0, 0, &err) != WU_OK)
            return cli_engine_error("--plot", err.msg);
        wu_outfile o = {0};
        if (wu_outfile_open(&o, plot, &err)) {
            wu_plot_free(svg);
            return cli_engine_error("--plot", err.msg);
        }
        fwrite(svg, 1, len, o.f);
        wu_plot_free(svg);
        if (wu_outfile_commit(&o, &err)) return cli_engine_error("--plot", err.msg) ? WU_EXIT_FAIL : 0;
    }
    if (json) {
        fputs("{\"a\": ", stdout);
        wu_json_string(stdout, sa);
        fputs(", \"b\": ", stdout);
        wu_json_string(stdout, sb);
        printf(", \"lr\": %.17g, \"steps\": %lld, \"same\": %s, \"first_difference\": ", so.lr,
               (long long)so.total_steps, first < 0 ? "true" : "false");
        if (first >= 0)
            printf("{\"step\": %lld, \"a\": %.17g, \"b\": %.17g}", (long long)first, fa, fb);
        else
            fputs("null", stdout);
        printf(", \"max_rel_diff\": %.6g, \"max_rel_step\": %lld, \"diagnosis\": ", maxrel,
               (long long)maxat);
        json_diagnosis(&r);
        fputs("}\n", stdout);
    } else if (first < 0) {
        printf("the schedules agree to 1e-12 over %lld steps (the largest relative difference is "
               "%.2g)\n", (long long)so.total_steps, maxrel);
    } else {
        printf("the schedules differ from step %lld: A %.17g, B %.17g\n", (long long)first, fa, fb);
        printf("  the largest relative difference is %.3g, at step %lld\n", maxrel, (long long)maxat);
        if (r.verdict == WU_CHECK_FLOAT32)
            puts("  B matches A at float32 precision");
        else if (r.pattern != WU_PAT_NONE)
            printf("  B against A: %s\n", r.why);
    }
    if (fflush(stdout) != 0) rc = cli_error("could not write the output");
    return rc;
}
