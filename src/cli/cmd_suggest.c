/* cmd_suggest.c - `warmup suggest`: a warmup length, a peak LR and a ready-to-use spec, each
 * explained by the rule it came from (the rules live in src/schedule/suggest.c). */
#include <getopt.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "../optim/optim_names.h"
#include "../report/chart.h"
#include "../train/train.h"
#include "cli.h"
#include "plot.h"
#include "warmup.h"

static const char HELP[] =
    "usage: warmup suggest --steps N [options]\n"
    "\n"
    "Recommend a warmup length, a peak LR and a spec, and say which rule each comes from.\n"
    "\n"
    "the run (one of):\n"
    "  -n, --steps N             total optimizer updates\n"
    "      --epochs E --steps-per-epoch S\n"
    "      --epochs E --dataset-size D --batch B   (steps per epoch = ceil(D / B))\n"
    "the optimizer:\n"
    "      --optimizer NAME      sgd, adam, adamw or radam (default adamw)\n"
    "      --beta2 B             Adam's beta2 (default 0.999)\n"
    "what you know:\n"
    "      --batch B             the batch size you will train with (all workers together;\n"
    "                            per micro-batch with --accumulation)\n"
    "      --accumulation A      micro-batches accumulated per optimizer update: a step is one\n"
    "                            update, its batch B x A (docs/SPEC.md, \"What a step is\")\n"
    "      --base-batch B0       a reference batch size with a known-good LR and warmup ...\n"
    "      --base-lr LR0         ... its LR (scaled: linear for SGD, square root for Adam)\n"
    "      --base-warmup W0      ... its warmup in steps (scaled by B / B0)\n"
    "      --lr LR               a peak LR to keep as it is\n"
    "      --scenario NAME       small-dataset, bert-finetune, vit, large-model, large-batch\n"
    "output:\n"
    "      --decay NAME          what follows the warmup: cosine (default), linear (default for\n"
    "                            bert-finetune), constant, wsd\n"
    "  -f, --format FMT          text (default) or json\n"
    "      --plot                draw the suggested schedule in the terminal (--ascii: ASCII)\n"
    "  -o, --out FILE            draw it as SVG into FILE (also --output)\n"
    "  -h, --help                this help\n"
    "\n"
    "example (the guide's large-batch case):\n"
    "  warmup suggest --optimizer sgd --base-lr 1e-4 --base-batch 256 --base-warmup 1000 \\\n"
    "                 --batch 8192 --steps 100000\n";

static const char *const SCENARIOS[] = {"none", "small-dataset", "bert-finetune", "vit",
                                        "large-model", "large-batch", NULL};
static const char *const DECAYS[] = {"cosine", "linear", "constant", "wsd", NULL};
static const char *scenario_name(int i) { return SCENARIOS[i]; }
static const char *decay_name(int i) { return DECAYS[i]; }

/* v among name(0), name(1), ... (NULL after the last): its index in *out, or a message. */
static int choice(const char *opt, const char *v, const char *(*name)(int), int *out)
{
    for (int i = 0; name(i); i++)
        if (!strcmp(v, name(i))) {
            *out = i;
            return 0;
        }
    char list[160] = "";
    for (int i = 0; name(i); i++) {
        if (i) strcat(list, ", ");
        strcat(list, name(i));
    }
    return cli_error("%s must be one of %s, got '%s'", opt, list, v);
}

static void print_json(const wu_suggest_in *in, const wu_suggestion *s)
{
    printf("{\"total_steps\": %lld, \"steps_per_epoch\": %lld, \"optimizer\": \"%s\", "
           "\"accumulation\": %lld, \"warmup_steps\": %lld, \"lr\": ",
           (long long)s->total_steps, (long long)s->steps_per_epoch, wu_optim_kind_name(in->optimizer),
           (long long)(in->accumulation > 1 ? in->accumulation : 1), (long long)s->warmup_steps);
    if (s->lr > 0 && isfinite(s->lr)) printf("%.17g", s->lr);
    else fputs("null", stdout); /* JSON has no inf or nan (cmd_suggest refuses them first) */
    fputs(", \"lr_rule\": ", stdout);
    wu_json_string(stdout, s->lr_rule);
    fputs(", \"spec\": ", stdout);
    wu_json_string(stdout, s->spec);
    fputs(", \"hf_spec\": ", stdout);
    wu_json_string(stdout, s->hf_spec);
    fputs(", \"picked\": ", stdout);
    wu_json_string(stdout, s->rules[s->picked].name);
    fputs(", \"why\": ", stdout);
    wu_json_string(stdout, s->why);
    fputs(", \"conflicts\": ", stdout);
    wu_json_string(stdout, s->conflicts);
    fputs(", \"rules\": [", stdout);
    for (int i = 0; i < s->nrules; i++) {
        const wu_suggest_rule *r = &s->rules[i];
        printf("%s{\"rule\": ", i ? ", " : "");
        wu_json_string(stdout, r->name);
        fputs(", \"source\": ", stdout);
        wu_json_string(stdout, r->source);
        printf(", \"low\": %lld, \"high\": %lld, \"steps\": %lld, \"note\": ", (long long)r->low,
               (long long)r->high, (long long)r->steps);
        wu_json_string(stdout, r->note);
        fputc('}', stdout);
    }
    fputs("]}\n", stdout);
}

static void print_text(const wu_suggest_in *in, const wu_suggestion *s, const char *beta2_text)
{
    const wu_suggest_rule *p = &s->rules[s->picked];
    static const char *const names[] = {"SGD", "Adam", "AdamW", "RAdam"};
    printf("Suggested warmup for %s", names[in->optimizer]);
    /* beta2 as given: %g would round 0.9999999 to "1" */
    if (in->optimizer != WU_OPT_SGD) printf(" (beta2 %s)", beta2_text ? beta2_text : "0.999");
    printf(", a run of %lld steps", (long long)s->total_steps);
    if (s->steps_per_epoch > 0) printf(" (%lld per epoch)", (long long)s->steps_per_epoch);
    if (in->accumulation > 1)
        printf(", batch %lld x %lld accumulated = %lld per update", (long long)in->batch,
               (long long)in->accumulation, (long long)(in->batch * in->accumulation));
    printf(":\n\n");
    printf("  warmup   %lld steps (%.1f%% of the run)   from: %s (%s)\n",
           (long long)s->warmup_steps, 100.0 * (double)s->warmup_steps / (double)s->total_steps,
           p->name, p->source);
    if (s->lr > 0) printf("  peak LR  %.3g   from: %s\n", s->lr, s->lr_rule);
    else printf("  peak LR  -   %s\n", s->lr_rule);
    printf("  spec     %s\n  hf       %s\n\n", s->spec, s->hf_spec);
    printf("Why: %s.\n", s->why);
    if (s->conflicts[0]) printf("Where the rules disagree: %s\n", s->conflicts);
    printf("\nRules considered:\n");
    for (int i = 0; i < s->nrules; i++) {
        const wu_suggest_rule *r = &s->rules[i];
        char range[64];
        if (r->low == r->high) snprintf(range, sizeof range, "%lld", (long long)r->steps);
        else snprintf(range, sizeof range, "%lld-%lld -> %lld", (long long)r->low,
                      (long long)r->high, (long long)r->steps);
        printf("  %s %-38s %-22s %s\n      %s\n", i == s->picked ? "*" : " ", r->name, range,
               r->source, r->note);
    }
}

int cmd_suggest(int argc, char **argv)
{
    enum { O_EPOCHS = 256, O_DATASET, O_OPT, O_BETA2, O_BATCH, O_BBATCH, O_BLR, O_BWARM, O_LR, O_ACC,
           O_SCN, O_DECAY, O_PLOT, O_ASCII };
    static const struct option opts[] = {
        {"steps", required_argument, 0, 'n'},
        {"epochs", required_argument, 0, O_EPOCHS},
        {"steps-per-epoch", required_argument, 0, 'e'},
        {"dataset-size", required_argument, 0, O_DATASET},
        {"optimizer", required_argument, 0, O_OPT},
        {"beta2", required_argument, 0, O_BETA2},
        {"batch", required_argument, 0, O_BATCH},
        {"base-batch", required_argument, 0, O_BBATCH},
        {"base-lr", required_argument, 0, O_BLR},
        {"base-warmup", required_argument, 0, O_BWARM},
        {"accumulation", required_argument, 0, O_ACC},
        {"lr", required_argument, 0, O_LR},
        {"scenario", required_argument, 0, O_SCN},
        {"decay", required_argument, 0, O_DECAY},
        {"format", required_argument, 0, 'f'},
        {"plot", no_argument, 0, O_PLOT},
        {"ascii", no_argument, 0, O_ASCII},
        {"output", required_argument, 0, 'o'},
        {"out", required_argument, 0, 'o'}, /* -o is --out in every command */
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    wu_suggest_in in = {.optimizer = WU_OPT_ADAMW};
    const char *format = "text", *output = NULL, *beta2_text = NULL;
    int plot = 0, ascii = 0, decay = -1, c;
    const int64_t BIG = (int64_t)1 << 40;
    opterr = 0;
    optind = 0; /* 0: a full reset of getopt, also after a scan that stopped early */
    while ((c = getopt_long(argc, argv, ":n:e:f:o:h", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'n': bad = cli_int64("--steps", optarg, 1, BIG, &in.total_steps); break;
        case O_EPOCHS: bad = cli_double("--epochs", optarg, 1e-9, 1e9, &in.epochs); break;
        case 'e': bad = cli_int64("--steps-per-epoch", optarg, 1, BIG, &in.steps_per_epoch); break;
        case O_DATASET: bad = cli_int64("--dataset-size", optarg, 1, BIG, &in.dataset_size); break;
        case O_OPT: {
            int pick = 0;
            bad = choice("--optimizer", optarg, wu_optim_kind_name, &pick);
            in.optimizer = pick;
            break;
        }
        case O_BETA2:
            bad = cli_double("--beta2", optarg, 0.0, 0.999999999, &in.beta2);
            if (bad) cli_error("(beta2 must be below 1: Adam divides by 1 - beta2)");
            beta2_text = optarg;
            break;
        case O_BATCH: bad = cli_int64("--batch", optarg, 1, BIG, &in.batch); break;
        case O_BBATCH: bad = cli_int64("--base-batch", optarg, 1, BIG, &in.base_batch); break;
        case O_BLR: bad = cli_double("--base-lr", optarg, 1e-300, HUGE_VAL, &in.base_lr); break;
        case O_BWARM: bad = cli_int64("--base-warmup", optarg, 1, BIG, &in.base_warmup); break;
        case O_ACC: bad = cli_int64("--accumulation", optarg, 1, 1 << 20, &in.accumulation); break;
        case O_LR: bad = cli_double("--lr", optarg, 1e-300, HUGE_VAL, &in.lr); break;
        case O_SCN: {
            int pick = 0;
            bad = choice("--scenario", optarg, scenario_name, &pick);
            in.scenario = pick;
            break;
        }
        case O_DECAY: bad = choice("--decay", optarg, decay_name, &decay); break;
        case 'f':
            if (strcmp(optarg, "text") && strcmp(optarg, "json"))
                return cli_error("--format must be text or json, got '%s'", optarg);
            format = optarg;
            break;
        case O_PLOT: plot = 1; break;
        case O_ASCII: plot = ascii = 1; break;
        case 'o': output = optarg; break;
        case 'h': fputs(HELP, stdout); return WU_EXIT_OK;
        case ':': return cli_error("%s needs a value (see 'warmup suggest --help')", argv[optind - 1]);
        default:
            return cli_error("suggest: unknown option '%s' (see 'warmup suggest --help')",
                             argv[optind - 1]);
        }
        if (bad) return WU_EXIT_USAGE;
    }
    if (optind < argc)
        return cli_error("suggest: unexpected argument '%s' (all inputs are options)", argv[optind]);
    in.decay = decay >= 0 ? decay
             : in.scenario == WU_SCN_BERT_FINETUNE ? WU_DECAY_LINEAR : WU_DECAY_COSINE;
    wu_suggestion s;
    wu_error err;
    if (wu_suggest_warmup(&s, &in, &err) != WU_OK) return cli_engine_error("suggest", err.msg);
    /* a peak LR that overflowed (a huge --lr or --base-lr scaled up by --batch / --base-batch) is
     * no suggestion: say so rather than print "inf" (and JSON has no inf) */
    if (!isfinite(s.lr))
        return cli_error("suggest: the suggested peak LR is not finite (%s); give a smaller "
                         "--base-lr or --lr", s.lr_rule);
    if (cli_parse_only) return WU_EXIT_OK;
    char mapped[sizeof s.why]; /* the settings that the prose names, as options */
    cli_engine_message(s.why, mapped, sizeof mapped), memcpy(s.why, mapped, sizeof s.why);
    cli_engine_message(s.lr_rule, mapped, sizeof s.lr_rule), memcpy(s.lr_rule, mapped, sizeof s.lr_rule);
    if (!strcmp(format, "json")) print_json(&in, &s);
    else print_text(&in, &s, beta2_text);
    if (plot || output) {
        plot_request rq = {.nspecs = 1, .opts = {.lr = s.lr > 0 ? s.lr : 1.0,
                                                 .total_steps = s.total_steps,
                                                 .steps_per_epoch = s.steps_per_epoch},
                           .output = output, .tty = plot, .rows = 12, .width = 800, .mode = ascii ? WU_TTY_ASCII : WU_TTY_BRAILLE,
                           .color = cli_use_color()};
        rq.specs[0] = s.spec;
        fputc('\n', stdout);
        return cli_plot_specs(&rq);
    }
    return fflush(stdout) == 0 ? WU_EXIT_OK : WU_EXIT_FAIL;
}
