/* cli.h - shared helpers of the `warmup` command: strict argument parsing and error reports.
 * Only src/cli/ prints to the terminal or exits; the library reports errors as values. */
#ifndef WU_CLI_H
#define WU_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#define WU_EXIT_OK 0
#define WU_EXIT_FAIL 1  /* a run failed */
#define WU_EXIT_USAGE 2 /* bad usage or input */

/* Set by the fuzzer (fuzz/fuzz_cli.c): every command returns 0 once its arguments are parsed
 * and checked, before it reads data, trains or writes anything. 0 in the warmup command. */
extern int cli_parse_only;

/* Print "warmup: <message>" to stderr. Returns WU_EXIT_USAGE for convenience. */
int cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The message of the last cli_error (without "warmup: "), "" before any: what a rank of an
 * MPI run that stopped tells rank 0, which alone prints (cmd_train.c). */
const char *cli_last_error(void);

/* Parse a finite double / an integer in [lo, hi] from the value of option `opt`. On error
 * print what was wrong and how to fix it, and return WU_EXIT_USAGE; 0 on success. */
int cli_double(const char *opt, const char *text, double lo, double hi, double *out);
int cli_int64(const char *opt, const char *text, int64_t lo, int64_t hi, int64_t *out);

/* Parse a comma-separated list of finite positive doubles (at most max). */
int cli_double_list(const char *opt, const char *text, double *out, int max, int *n);


/* Parse a schedule spec for a run of o->total_steps steps: on error print the message with a
 * caret under the column, and return WU_EXIT_USAGE; checks that the schedule is defined for
 * every step (PyTorch's OneCycleLR is not, past total_steps). 0 on success. */
struct wu_schedule;
struct wu_sched_opts;
int cli_parse_spec(const char *spec, const struct wu_sched_opts *o, struct wu_schedule **out);

/* ---- issue 17: durations in tokens and samples (wu_sched_opts.tokens_per_step and
 * samples_per_step), the same two options on every command that takes a spec ---- */
#define CLI_O_TOKENS_PER_STEP 1700
#define CLI_O_SAMPLES_PER_STEP 1701
#define CLI_O_AUTO_WARMUP 1702 /* issue 18: the length warmup(auto) takes */
#define CLI_UNIT_OPTIONS                                                              \
    {"tokens-per-step", required_argument, 0, CLI_O_TOKENS_PER_STEP},                 \
    {"samples-per-step", required_argument, 0, CLI_O_SAMPLES_PER_STEP},               \
    {"auto-warmup", required_argument, 0, CLI_O_AUTO_WARMUP}
#define CLI_UNITS_HELP                                                                \
    "      --tokens-per-step T   tokens per optimizer update (all micro-batches and\n" \
    "                        workers): resolves durations in tokens, warmup(375M tok)\n" \
    "      --samples-per-step S  samples per optimizer update: resolves durations in\n"  \
    "                        samples, warmup(2M samples)\n"                          \
    "      --auto-warmup D   the length warmup(auto) takes (what `warmup tune` chose):\n" \
    "                        a duration, 500, 5%, 1ep, 2M samples, 0 for none\n"
/* Apply option ch (CLI_O_TOKENS_PER_STEP / CLI_O_SAMPLES_PER_STEP / CLI_O_AUTO_WARMUP) to o: 0
 * done, WU_EXIT_USAGE on a bad value (printed), -1 when ch is none of them. --auto-warmup's
 * duration may depend on options that come after it (--steps for 5%), so it is kept as text
 * until cli_units_resolve. */
int cli_units_option(int ch, const char *arg, struct wu_sched_opts *o);
/* Once every option is read (o->total_steps and the units known): --auto-warmup's duration
 * into o->auto_warmup_steps (WU_AUTO_WARMUP_NONE for 0), read as the length of a native
 * warmup phase is. 0 (also when it was not given), or WU_EXIT_USAGE (printed). */
int cli_units_resolve(struct wu_sched_opts *o);
/* Forget an unresolved --auto-warmup (cli_main, before each command). */
void cli_units_reset(void);

/* The terminal's width in columns: stdout's window size, else $COLUMNS, else 80. */
int cli_term_cols(void);

/* Colours on a terminal unless NO_COLOR is set. */
int cli_use_color(void);

/* The options of a training run (train_opts.c), shared by train and sweep, derived from the
 * field table of src/train/config.h: the long options (terminated by a zero entry) and their
 * short letters. */
struct wu_train_config;
const struct option *cli_train_options(void);
const char *cli_train_shortopts(void);
/* Apply option `ch` with value arg to c: 0 done, WU_EXIT_USAGE on a bad value (printed), -1 when
 * ch is not a training option. */
int cli_train_option(int ch, const char *arg, struct wu_train_config *c);
/* The --help lines of the training options, with the defaults of `defaults`. */
void cli_train_help(FILE *out, const struct wu_train_config *defaults);
/* A library message about field `field` (an index into wu_cfg_fields; -1: none) with the
 * field's name replaced by its option: "lr must be positive" -> "--lr must be positive". */
void cli_field_message(int field, const char *msg, char *out, size_t n);
/* ... printed by cli_engine_error; returns WU_EXIT_USAGE. */
int cli_config_error(int field, const char *msg);
/* A message of the library with the settings it names turned into the options that set them:
 * the lower layers name a setting by its name (a field of the training run, of wu_sched_opts,
 * wu_suggest_in or a sweep), as the message's head before a colon ("steps: 10 is fewer than
 * ..." -> "--steps: 10 is fewer than ...") or in parentheses that hold only names ("(total_steps)"
 * -> "(--steps)", "(base_batch, base_warmup)" -> "(--base-batch, --base-warmup)"). Every command
 * prints the library's messages through it. */
void cli_engine_message(const char *msg, char *out, size_t n);
/* ... printed by cli_error, after "context: " unless context is NULL; returns WU_EXIT_USAGE. */
int cli_engine_error(const char *context, const char *msg);
/* Concatenate two option tables into dst (cap entries, zero-terminated); returns the count. */
int cli_options_merge(struct option *dst, int cap, const struct option *a, const struct option *b);

/* The whole command: argv[1] is the subcommand (main.c; the fuzzer calls it too). */
int cli_main(int argc, char **argv);

/* Subcommands. argv[0] is the subcommand name. */
int cmd_schedule(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_suggest(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_study(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* issue 17: a run's LR log against a spec, and two specs against each other (cmd_check.c) */
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
/* issue 18: the length of warmup(auto), by a probe of the model (cmd_tune.c) */
int cmd_tune(int argc, char **argv);

#endif
