/* cmd_train.c - `warmup train`: one training run, logged to DIR/metrics.csv and
 * DIR/summary.json, with checkpoints, resume, and a progress line on a terminal. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../train/config.h"
#include "../train/dist.h"
#include "../train/tune.h"
#include "cli.h"

/* --help: the training options come from the field table (src/train/config.h). */
static void help(void)
{
    wu_train_config d;
    wu_train_defaults(&d);
    fputs("usage: warmup train --out DIR [options]\n"
          "\n"
          "Train one model and log every step to DIR/metrics.csv, the run to DIR/summary.json.\n"
          "The options of another model or optimizer are ignored (and left off the rerun line).\n"
          "\n", stdout);
    cli_train_help(stdout, &d);
    fputs("runs:\n"
          "      --resume DIR          continue the run in DIR from its checkpoint, with its saved\n"
          "                            settings; only --steps (another length), --extend,\n"
          "                            --stop-after, -q and --json may go with it\n"
          "      --extend HOW          with --resume and another --steps: replan (default) moves\n"
          "                            the schedule's end without a jump in the LR (and may\n"
          "                            shorten the run); restart evaluates the spec over the new\n"
          "                            length (the LR jumps; only longer). summary.json and the\n"
          "                            checkpoint record it as \"segments\" (docs/TRAINING.md)\n"
          "      --stop-after K        stop after K steps of this invocation, with a checkpoint\n"
          "      --force               replace the run that --out DIR already holds (without it, a\n"
          "                            directory with a metrics.csv, summary.json or checkpoint.bin\n"
          "                            is refused); its files go once the new run has started\n"
          "  -q, --quiet               no progress line;  --json: one JSON object per step on stdout\n"
          "  -h, --help\n"
          "\n"
          "Exit status: 0 completed, 1 diverged or failed while running (a full disk: metrics.csv\n"
          "keeps its whole rows, the last checkpoint stays, no summary.json), 2 bad usage or input\n"
          "(nothing run), 130 interrupted (SIGINT or SIGTERM; a checkpoint and the summary are\n"
          "written first).\n", stdout);
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct view {
    int tty, json;
    const char *unit;
} view;

/* v with fmt, or null where it is not finite (JSON has no NaN or Inf) */
static void json_number(double v, const char *fmt)
{
    if (isfinite(v)) printf(fmt, v);
    else fputs("null", stdout);
}

static void progress(const wu_train_progress *p, void *ctx)
{
    const view *v = ctx;
    if (p->nonfinite) /* said at the step it happens, whatever the output mode */
        fprintf(stderr, "%swarmup: step %lld: the %s is not finite (NaN or Inf): %s\n",
                v->tty ? "\n" : "", (long long)p->step - 1, p->nonfinite == 1 ? "loss" : "gradient",
                p->skipped ? "update skipped (--on-nonfinite skip)"
                : p->gave_up ? "the run stops here: 20 non-finite steps in a row (the weights are "
                               "no longer finite)"
                             : "the run stops here (--on-nonfinite stop; 'skip' skips such updates)");
    if (v->json) {
        /* "step" is 0-based, the metrics.csv row of the update just done (p->step counts them) */
        printf("{\"step\": %lld, \"steps\": %lld, \"loss\": ", (long long)p->step - 1,
               (long long)p->steps);
        json_number(p->loss, "%.9g"); /* JSON has no NaN or Inf: null (a skipped step's loss) */
        fputs(", \"lr\": ", stdout);
        json_number(p->lr, "%.9g");
        if (isfinite(p->val_loss)) printf(", \"val_loss\": %.9g", p->val_loss);
        printf(", \"%s_per_s\": ", v->unit);
        json_number(p->items_per_s, "%.1f");
        fputs("}\n", stdout);
        fflush(stdout);
        return;
    }
    if (!v->tty) return;
    int width = 24, done = (int)(width * p->step / (p->steps ? p->steps : 1));
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < done ? '=' : (i == done ? '>' : ' ');
    bar[width] = '\0';
    long eta = (long)p->eta_s;
    printf("\r%6lld/%lld [%s] loss %.4f  lr %.3g  %.0f %s/s  ETA %ld:%02ld ", (long long)p->step,
           (long long)p->steps, bar, p->loss, p->lr, p->items_per_s, v->unit, eta / 60, eta % 60);
    fflush(stdout);
}

/* set when train_main reached the ranks' agreement to start (dist.h; a no-op on one rank) */
static int agreed;

/* On K ranks, before training: every rank's exit status so far (0 when it may train); all take
 * the first failing rank's, and rank 0, which alone prints, says what that rank found. */
static int agree_exit(int rc)
{
    wu_error e;
    snprintf(e.msg, sizeof e.msg, "%s", rc != WU_EXIT_OK ? cli_last_error() : "");
    int any = -wu_dist_agree_err(-rc, &e);
    if (any != WU_EXIT_OK && rc == WU_EXIT_OK)
        cli_error("%s (the run does not start)", e.msg);
    return any;
}

static int train_main(int argc, char **argv)
{
    enum { O_RESUME = 300, O_STOP, O_JSON, O_FORCE, O_EXTEND };
    static const struct option own[] = {
        {"resume", required_argument, 0, O_RESUME}, {"stop-after", required_argument, 0, O_STOP},
        {"quiet", no_argument, 0, 'q'}, {"json", no_argument, 0, O_JSON},
        {"force", no_argument, 0, O_FORCE}, {"extend", required_argument, 0, O_EXTEND},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    struct option opts[64];
    cli_options_merge(opts, 64, cli_train_options(), own);
    char shortopts[32];
    snprintf(shortopts, sizeof shortopts, ":%sqh", cli_train_shortopts());
    wu_train_config c;
    wu_train_defaults(&c);
    const char *resume = NULL;
    int quiet = 0, json = 0, force = 0, ch, steps_given = 0, rc;
    const char *extend = NULL; /* issue 17: --extend replan|restart */
    int64_t stop_after = 0;
    opterr = 0;
    optind = 0; /* 0: a full reset of getopt, also after a scan that stopped early */
    char fixed[64] = ""; /* the first option that changes the configuration, for --resume */
    while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        if (!fixed[0] && ch != 'n' && ch != O_RESUME && ch != O_STOP && ch != 'q' && ch != O_JSON &&
            ch != O_FORCE && ch != O_EXTEND &&
            ch != 'h' && ch != ':' && ch != '?') {
            const char *name = optarg && argv[optind - 1] == optarg ? argv[optind - 2] : argv[optind - 1];
            snprintf(fixed, sizeof fixed, "%.*s", (int)strcspn(name, "="), name);
        }
        steps_given |= ch == 'n';
        switch (ch) {
        case O_RESUME: resume = optarg; break;
        case O_STOP:
            if (cli_int64("--stop-after", optarg, 1, (int64_t)1 << 40, &stop_after)) return WU_EXIT_USAGE;
            break;
        case 'q': quiet = 1; break;
        case O_JSON: json = 1; break;
        case O_FORCE: force = 1; break;
        case O_EXTEND:
            if (strcmp(optarg, "replan") && strcmp(optarg, "restart"))
                return cli_error("--extend must be replan (move the schedule's end without a jump) "
                                 "or restart (evaluate the spec over the new length), got '%s'",
                                 optarg);
            extend = optarg;
            break;
        case 'h': help(); return WU_EXIT_OK;
        case ':': return cli_error("%s needs a value (see 'warmup train --help')", argv[optind - 1]);
        default:
            if ((rc = cli_train_option(ch, optarg, &c)) > 0) return rc;
            if (rc < 0) return cli_error("train: unknown option '%s' (see 'warmup train --help')", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_error("train: unexpected argument '%s' (every input is an option)", argv[optind]);
    if (resume) {
        if (force)
            return cli_error("--force cannot be given with --resume: --resume continues the run in "
                             "%s, --force (with --out) replaces it", resume);
        if (fixed[0])
            return cli_error("%s cannot be given with --resume: a resumed run keeps the configuration "
                             "it was started with (only --steps, --stop-after, --quiet and --json "
                             "apply); start a new run with --out to change it", fixed);
        if (strlen(resume) >= sizeof c.out) return cli_error("--resume: the path is too long");
        strcpy(c.out, resume);
        if (!steps_given) c.steps = 0;
    } else if (!c.out[0]) {
        return cli_error("train: --out DIR is required (where metrics.csv and summary.json go)");
    }
    if (extend && !(resume && steps_given))
        return cli_error("--extend applies to a resumed run given another length: warmup train "
                         "--resume DIR --steps N --extend %s", extend);
    wu_error err;
    int field;
    if (!resume && wu_cfg_check(&c, &field, &err) != WU_OK) return cli_config_error(field, err.msg);

    if (cli_parse_only) return WU_EXIT_OK;
    /* a directory that holds a run is never replaced unasked (nor half replaced: see
       wu_train_open) */
    char held[160];
    for (int k = 0; !resume && k < 2; k++) { /* nor a sweep or study (or demo): not even --force */
        static const char *const manifest[] = {"sweep.json", "study.json"};
        char path[sizeof c.out + 16];
        snprintf(path, sizeof path, "%s/%s", c.out, manifest[k]);
        if (access(path, F_OK) == 0)
            return cli_error("--out: %s holds a %s (%s), whose runs are in its subdirectories: "
                             "choose another --out", c.out, k ? "study or the demo" : "sweep",
                             manifest[k]);
    }
    int holds = resume || force ? 0 : wu_run_dir_holds(c.out, held, sizeof held);
    if (holds & 1)
        return cli_error("--out: %s already holds %s: 'warmup train --resume %s' continues it, "
                         "--force replaces it, or choose another --out", c.out, held, c.out);
    if (holds)
        return cli_error("--out: %s already holds %s: --force replaces it, or choose another --out "
                         "('warmup train --resume %s' continues a run only from its checkpoint.bin, "
                         "which this one lacks)", c.out, held, c.out);
    /* on K ranks (mpirun): each rank checked the same things; none starts unless all may, and
       no rank waits for one that stopped (cmd_train joins for the ones that returned early) */
    agreed = 1;
    int stopped = agree_exit(WU_EXIT_OK);
    if (stopped != WU_EXIT_OK) return stopped;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    view vw = {isatty(STDOUT_FILENO) && !quiet && !json, json, strcmp(c.model, "gpt") ? "images" : "tokens"};
    wu_train_result r;
    const int probes = !resume && wu_tune_needed(&c); /* issue 18: warmup(auto) */
    rc = wu_train(&c, !resume ? 0 : extend && !strcmp(extend, "restart") ? WU_RESUME_RESTART
                                                                          : WU_RESUME_REPLAN,
                  stop_after, &stop_flag, progress, &vw, &r, &err);
    if (vw.tty) fputc('\n', stdout);
    if (rc != WU_OK) { /* exit 2 for what was given, 1 for a run that failed while running */
        cli_engine_error(NULL, err.msg);
        return r.failed ? WU_EXIT_FAIL : WU_EXIT_USAGE;
    }
    const char *status = r.diverged ? "diverged" : r.interrupted ? "stopped" : "done";
    if (json) {
        printf("{\"status\": \"%s\", \"steps_done\": %lld, \"final_loss\": ", status,
               (long long)r.steps_done);
        json_number(r.final_loss, "%.9g");
        fputs(", \"best_loss\": ", stdout);
        json_number(r.best_loss, "%.9g");
        printf(", \"spikes\": %d, \"summary\": ", r.spikes);
        wu_json_string(stdout, c.out);
        fputs("}\n", stdout);
    } else if (!quiet) {
        printf("%s: %lld steps, final loss %.4f, best %.4f", status, (long long)r.steps_done,
               r.final_loss, r.best_loss);
        if (isfinite(r.final_val_loss)) printf(", validation %.4f", r.final_val_loss);
        if (r.diverged) printf(" (diverged at step %lld)", (long long)r.diverged_at);
        if (r.nonfinite_steps)
            printf(" (%lld non-finite step%s, the first at step %lld)", (long long)r.nonfinite_steps,
                   r.nonfinite_steps > 1 ? "s" : "", (long long)r.first_nonfinite_step);
        printf("; %s/summary.json\n", c.out);
        if (probes)
            printf("warmup(auto): %lld steps, chosen by the probe (why and at what cost: "
                   "auto_warmup in %s/summary.json)\n", (long long)c.auto_warmup, c.out);
        if (r.threads_min < r.threads_max) /* the governor stepped in: say why it was slower */
            printf("the machine was busy: %d thread%s of %d at times, leaving the cores other "
                   "processes used (OMP_NUM_THREADS fixes the count)\n", r.threads_min,
                   r.threads_min > 1 ? "s" : "", r.threads_max);
    }
    if (r.interrupted && r.stopped) return 130;
    return r.diverged ? WU_EXIT_FAIL : WU_EXIT_OK;
}

/* `warmup train`, also as one of K ranks under mpirun (src/train/dist.h): rank 0 alone prints
 * (the others' stdout and stderr go to /dev/null), every rank exits with the same status. */
int cmd_train(int argc, char **argv)
{
    if (wu_dist_init(&argc, &argv) != 0) {
        if (wu_dist_rank() > 0) return WU_EXIT_USAGE; /* rank 0 says why */
        return cli_error(wu_dist_built()
                             ? "train: MPI would not start (mpirun started this process): check "
                               "the MPI installation, or run without mpirun"
                             : "train: mpirun started this process on several ranks, but this "
                               "warmup was built without MPI: install libopenmpi-dev and rebuild "
                               "(make MPI=1), or run without mpirun");
    }
    if (wu_dist_rank() > 0) { /* rank 0 speaks for the run; a rank that cannot silence itself
                                 still takes its part (returning would leave the others waiting) */
        FILE *o = freopen("/dev/null", "w", stdout), *e = freopen("/dev/null", "w", stderr);
        (void)o, (void)e;
    }
    wu_dist_set_data_parallel(1);
    agreed = 0;
    int rc = train_main(argc, argv);
    wu_dist_set_data_parallel(0);
    if (!agreed) agree_exit(rc); /* the agreement the others wait for: this rank stopped */
    wu_dist_finalize();
    return rc;
}
