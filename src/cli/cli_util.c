/* cli_util.c - strict parsing of command-line values, with messages that say how to fix them. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include "../train/config.h"
#include "cli.h"
#include "warmup.h"

int cli_parse_only;

static char last_error[512];

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    fputs("warmup: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return WU_EXIT_USAGE;
}

const char *cli_last_error(void) { return last_error; }

int cli_double(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    if (!text || !*text)
        return cli_error("%s needs a value, e.g. %s 3e-4", opt, opt);
    errno = 0;
    double v = strtod(text, &end);
    if (*end != '\0' || end == text)
        return cli_error("%s: '%s' is not a number (write e.g. 0.001 or 1e-3)", opt, text);
    if (!isfinite(v) || errno == ERANGE)
        return cli_error("%s: '%s' is not a finite number", opt, text);
    if (v < lo || v > hi) {
        if (hi == HUGE_VAL && lo > 0)
            return cli_error("%s must be positive, got %s", opt, text);
        if (hi == HUGE_VAL)
            return cli_error("%s must be at least %g, got %s", opt, lo, text);
        return cli_error("%s must be between %g and %g, got %s", opt, lo, hi, text);
    }
    *out = v;
    return 0;
}

int cli_int64(const char *opt, const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    if (!text || !*text)
        return cli_error("%s needs a value, e.g. %s 1000", opt, opt);
    long long v;
    int why = wu_parse_whole(text, &v);
    if (why == 1)
        return cli_error("%s: '%s' is not a whole number (write e.g. %s 1000 or %s 1e3)", opt, text,
                         opt, opt);
    if (why == 2)
        return cli_error("%s: '%s' is not a whole number (its exponent leaves a fraction; write "
                         "e.g. %s 1000 or %s 1e3)", opt, text, opt, opt);
    if (why == 3 || v < lo || v > hi) {
        if (hi == INT64_MAX)
            return cli_error("%s must be at least %lld, got %s", opt, (long long)lo, text);
        return cli_error("%s must be between %lld and %lld, got %s", opt, (long long)lo,
                         (long long)hi, text);
    }
    *out = v;
    return 0;
}

int cli_double_list(const char *opt, const char *text, double *out, int max, int *n)
{
    char buf[1024];
    if (strlen(text) >= sizeof buf) return cli_error("%s: the list is too long", opt);
    strcpy(buf, text);
    *n = 0;
    if (!*buf) return cli_error("%s needs a comma-separated list, e.g. %s 1e-3,1e-4", opt, opt);
    /* split by hand: strtok would silently drop the empty entry of "1e-3,,3e-3" */
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next) *next++ = '\0';
        if (!*tok)
            return cli_error("%s: an empty entry in '%s' (two commas in a row, or one at an end); "
                             "remove it or put the value in", opt, text);
        if (*n >= max) return cli_error("%s: at most %d values", opt, max);
        if (cli_double(opt, tok, 1e-300, HUGE_VAL, &out[*n])) return WU_EXIT_USAGE;
        (*n)++;
    }
    return 0;
}

int cli_parse_spec(const char *spec, const wu_sched_opts *o, wu_schedule **out)
{
    wu_error err;
    if (wu_sched_parse(out, spec, o, &err) != WU_OK) {
        cli_engine_error(NULL, err.msg);
        if (err.col > 0 && err.line == 1) fprintf(stderr, "  %s\n  %*s^\n", spec, err.col - 1, "");
        return WU_EXIT_USAGE;
    }
    if (o->total_steps > wu_sched_horizon(*out)) {
        cli_error("'%s' is defined for %lld steps (PyTorch raises past them); got --steps %lld",
                  spec, (long long)wu_sched_horizon(*out), (long long)o->total_steps);
        wu_sched_destroy(*out);
        *out = NULL;
        return WU_EXIT_USAGE;
    }
    return 0;
}

/* --auto-warmup's text, until cli_units_resolve reads it (one command per process, and the
 * fuzzer's commands each resolve or fail before the next: cli_main clears it) */
static const char *auto_warmup_text;

void cli_units_reset(void)
{
    auto_warmup_text = NULL;
}

int cli_units_resolve(wu_sched_opts *o)
{
    const char *text = auto_warmup_text;
    auto_warmup_text = NULL;
    if (!text) return 0;
    /* the same reading as warmup(D)'s length: steps, %, ep, tok, samples */
    char spec[160];
    if (strpbrk(text, "()<>*,=\"'") || !*text ||
        snprintf(spec, sizeof spec, "warmup(%s) > constant", text) >= (int)sizeof spec)
        return cli_error("--auto-warmup: '%s' is not a duration; give steps (500), a percentage "
                         "of the run (5%%), epochs (1ep), tokens (375M tok) or samples (2M "
                         "samples)", text);
    wu_sched_opts so = *o;
    so.auto_warmup_steps = 0;
    wu_schedule *s;
    wu_error err;
    if (wu_sched_parse(&s, spec, &so, &err) != WU_OK) {
        const char *m = strstr(err.msg, ": ") ? strstr(err.msg, ": ") + 2 : err.msg;
        if (!strncmp(m, "warmup: 'len' ", 14)) m += 14; /* "warmup: 'len' is 1 epochs..." */
        char msg[400];
        cli_engine_message(m, msg, sizeof msg);
        return cli_error("--auto-warmup '%s': %s", text, msg);
    }
    int64_t w = wu_sched_warmup_steps(s);
    wu_sched_destroy(s);
    o->auto_warmup_steps = w > 0 ? w : WU_AUTO_WARMUP_NONE;
    return 0;
}

int cli_units_option(int ch, const char *arg, wu_sched_opts *o)
{
    if (ch == CLI_O_AUTO_WARMUP) {
        auto_warmup_text = arg;
        return 0;
    }
    if (ch == CLI_O_TOKENS_PER_STEP)
        return cli_int64("--tokens-per-step", arg, 1, (int64_t)1 << 50, &o->tokens_per_step)
                   ? WU_EXIT_USAGE : 0;
    if (ch == CLI_O_SAMPLES_PER_STEP)
        return cli_int64("--samples-per-step", arg, 1, (int64_t)1 << 50, &o->samples_per_step)
                   ? WU_EXIT_USAGE : 0;
    return -1;
}

int cli_term_cols(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 30) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    if (c && atoi(c) >= 30) return atoi(c);
    return 80;
}

int cli_use_color(void)
{
    const char *nc = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(nc && *nc);
}
