/* train_opts.c - the options that configure a training run, shared by `warmup train` and
 * `warmup sweep`: derived from the field table of src/train/config.h (each field's long option,
 * its letter, the value's range and the --help line), so that the options, the checks, the
 * summary and the rerun line cannot disagree. The library's messages name a field ("lr must
 * be positive"); here they name its option ("--lr must be positive"). */
#include <ctype.h>
#include <getopt.h>
#include <string.h>

#include "../train/config.h"
#include "cli.h"

#define CODE0 2000 /* the getopt code of field i without a letter: CODE0 + i */
#define MAXOPT 64

const struct option *cli_train_options(void)
{
    static struct option o[MAXOPT];
    if (!o[0].name)
        for (int i = 0; i < wu_cfg_nfields && i < MAXOPT - 1; i++) {
            const wu_cfg_field *f = &wu_cfg_fields[i];
            o[i] = (struct option){f->flag, f->type == WU_CFG_BOOL ? no_argument : required_argument,
                                   0, f->shortopt ? f->shortopt : CODE0 + i};
        }
    return o;
}

const char *cli_train_shortopts(void)
{
    static char s[MAXOPT];
    if (!s[0])
        for (int i = 0, n = 0; i < wu_cfg_nfields && n < MAXOPT - 3; i++)
            if (wu_cfg_fields[i].shortopt) {
                s[n++] = wu_cfg_fields[i].shortopt;
                if (wu_cfg_fields[i].type != WU_CFG_BOOL) s[n++] = ':';
            }
    return s;
}

int cli_options_merge(struct option *dst, int cap, const struct option *a, const struct option *b)
{
    int n = 0;
    for (const struct option *t[2] = {a, b}, **p = t; p < t + 2; p++)
        for (const struct option *o = *p; o->name; o++)
            if (n < cap - 1) dst[n++] = *o;
    memset(&dst[n], 0, sizeof dst[n]);
    return n;
}

static int word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

void cli_field_message(int field, const char *msg, char *out, size_t n)
{
    snprintf(out, n, "%s", msg);
    if (field < 0 || field >= wu_cfg_nfields) return;
    const wu_cfg_field *f = &wu_cfg_fields[field];
    size_t len = strlen(f->name);
    for (const char *p = strstr(msg, f->name); p; p = strstr(p + 1, f->name))
        if ((p == msg || (!word_char(p[-1]) && p[-1] != '-')) && !word_char(p[len])) {
            snprintf(out, n, "%.*s--%s%s", (int)(p - msg), msg, f->flag, p + len);
            return;
        }
}

int cli_config_error(int field, const char *msg)
{
    char m[600];
    cli_field_message(field, msg, m, sizeof m);
    return cli_engine_error(NULL, m);
}

/* Settings of the library that are not fields of a training run, by the option that sets them
 * (wu_sched_opts, wu_suggest_in, a sweep's grid). */
static const struct { const char *name, *flag; } other_names[] = {
    {"total_steps", "steps"},       {"steps_per_epoch", "steps-per-epoch"}, {"epochs", "epochs"},
    {"dataset_size", "dataset-size"}, {"base_batch", "base-batch"},       {"base_warmup", "base-warmup"},
    {"base_lr", "base-lr"},         {"warmups", "warmups"},                 {"lrs", "lrs"},
    /* issue 17: units and accumulation */
    {"tokens_per_step", "tokens-per-step"}, {"samples_per_step", "samples-per-step"},
    {"accumulation", "accumulation"}, {"extend", "extend"},
    /* issue 18: the length warmup(auto) takes */
    {"auto_warmup_steps", "auto-warmup"},
};

/* The option that sets the setting called name[0..len) (NULL: none). */
static const char *flag_of(const char *name, size_t len)
{
    char w[40];
    if (len == 0 || len >= sizeof w) return NULL;
    memcpy(w, name, len);
    w[len] = '\0';
    const wu_cfg_field *f = wu_cfg_find(w);
    if (f) return f->flag;
    for (size_t i = 0; i < sizeof other_names / sizeof *other_names; i++)
        if (!strcmp(other_names[i].name, w)) return other_names[i].flag;
    return NULL;
}

/* Is every word of the group [p, end) a setting's name or one of the joining words? */
static int names_only(const char *p, const char *end)
{
    int names = 0;
    while (p < end) {
        if (!word_char(*p)) {
            if (*p != ' ' && *p != ',') return 0;
            p++;
            continue;
        }
        const char *q = p;
        while (q < end && word_char(*q)) q++;
        size_t len = (size_t)(q - p);
        int joint = (len == 2 && !strncmp(p, "or", 2)) || (len == 3 && !strncmp(p, "and", 3)) ||
                    (len == 4 && !strncmp(p, "with", 4));
        if (!joint && !flag_of(p, len)) return 0;
        names += !joint;
        p = q;
    }
    return names > 0;
}

void cli_engine_message(const char *msg, char *out, size_t n)
{
    size_t u = 0;
    const char *p = msg;
    if (!n) return;
    out[0] = '\0';
    size_t lead = strcspn(msg, ": ()");
    if (msg[lead] == ':' && flag_of(msg, lead)) { /* "steps: ..." -> "--steps: ..." */
        u = (size_t)snprintf(out, n, "--%s", flag_of(msg, lead));
        p = msg + lead;
    }
    while (*p && u + 1 < n) {
        const char *close = *p == '(' ? strchr(p, ')') : NULL;
        if (!close || !names_only(p + 1, close)) {
            out[u++] = *p++;
            continue;
        }
        /* "(total_steps)" -> "(--steps)", "(base_batch, base_warmup)" -> "(--base-batch, --base-warmup)" */
        for (; p <= close && u + 1 < n; ) {
            if (!word_char(*p)) {
                out[u++] = *p++;
                continue;
            }
            const char *q = p;
            while (word_char(*q)) q++;
            const char *flag = flag_of(p, (size_t)(q - p));
            if (flag) u += (size_t)snprintf(out + u, n - u, "--%s", flag);
            else u += (size_t)snprintf(out + u, n - u, "%.*s", (int)(q - p), p);
            if (u >= n) u = n - 1;
            p = q;
        }
    }
    out[u < n ? u : n - 1] = '\0';
}

int cli_engine_error(const char *context, const char *msg)
{
    char m[800];
    cli_engine_message(msg, m, sizeof m);
    return context ? cli_error("%s: %s", context, m) : cli_error("%s", m);
}

int cli_train_option(int ch, const char *arg, wu_train_config *c)
{
    int i = ch >= CODE0 && ch < CODE0 + wu_cfg_nfields ? ch - CODE0 : -1;
    for (int k = 0; i < 0 && k < wu_cfg_nfields; k++)
        if (wu_cfg_fields[k].shortopt && wu_cfg_fields[k].shortopt == ch) i = k;
    if (i < 0) return -1;
    const wu_cfg_field *f = &wu_cfg_fields[i];
    wu_error err;
    if (f->type == WU_CFG_BOOL) arg = "1";
    const char *colon = strchr(arg, ':');
    if (!strcmp(f->name, "inject_nonfinite") && colon) { /* K:N sets inject_count too */
        char k[32];
        const wu_cfg_field *cnt = wu_cfg_find("inject_count");
        if ((size_t)(colon - arg) >= sizeof k)
            return cli_error("--%s: '%s' is not STEP or STEP:COUNT", f->flag, arg);
        memcpy(k, arg, (size_t)(colon - arg));
        k[colon - arg] = '\0';
        if (wu_cfg_set(f, c, k, &err) != WU_OK) return cli_config_error(i, err.msg);
        if (wu_cfg_set(cnt, c, colon + 1, &err) != WU_OK)
            return cli_config_error((int)(cnt - wu_cfg_fields), err.msg);
        return 0;
    }
    long long whole;
    int why = !strcmp(f->name, "auto_warmup") ? wu_parse_whole(arg, &whole) : 0;
    if (why == 1 || why == 2) /* a duration ("5%", "2ep") is for schedule/plot/check/diff */
        return cli_error("--auto-warmup: '%s' is not a length in steps: a run takes warmup(auto)'s "
                         "length in steps (a whole number; -1: probe first); `warmup tune` "
                         "measures one in steps, or give the steps your share comes to", arg);
    if (wu_cfg_set(f, c, arg, &err) != WU_OK) return cli_config_error(i, err.msg);
    return 0;
}

/* Print s from column `col` on, wrapped at 100 columns with continuation lines at `indent`. */
static void wrap(FILE *out, const char *s, int col, int indent)
{
    for (int first = 1; *s; first = 0) {
        size_t word = strcspn(s, " ");
        if (!first && col + 1 + (int)word > 100) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", (int)word, s);
        col += (int)word;
        s += word;
        while (*s == ' ') s++;
    }
    fputc('\n', out);
}

void cli_train_help(FILE *out, const wu_train_config *defaults)
{
    static const struct { unsigned models; const char *title; } group[] = {
        {WU_CFG_ANY_MODEL, NULL}, {WU_CFG_GPT | WU_CFG_VIT, "transformers (gpt, vit):"},
        {WU_CFG_GPT, "gpt:"}, {WU_CFG_MLP, "mlp:"}, {WU_CFG_VIT, "vit:"},
    };
    for (size_t g = 0; g < sizeof group / sizeof *group; g++) {
        int titled = 0;
        for (int i = 0; i < wu_cfg_nfields; i++) {
            const wu_cfg_field *f = &wu_cfg_fields[i];
            if (f->models != group[g].models) continue;
            if (group[g].title && !titled) fprintf(out, "%s\n", group[g].title), titled = 1;
            char head[64], text[700], def[300], help[300];
            snprintf(head, sizeof head, "%c%c%c --%s%s%s", f->shortopt ? '-' : ' ',
                     f->shortopt ? f->shortopt : ' ', f->shortopt ? ',' : ' ', f->flag,
                     f->meta ? " " : "", f->meta ? f->meta : "");
            wu_cfg_format(f, defaults, def, sizeof def);
            wu_cfg_help(f, help, sizeof help);
            if (f->type == WU_CFG_BOOL || !def[0]) snprintf(text, sizeof text, "%s", help);
            else if (f->type == WU_CFG_STR) snprintf(text, sizeof text, "%s (default '%s')", help, def);
            else {
                if (f->type == WU_CFG_DOUBLE) { /* 1e-08, not 1.0000000000000001e-08 */
                    double d;
                    memcpy(&d, (const char *)defaults + f->offset, sizeof d);
                    snprintf(def, sizeof def, "%g", d);
                }
                snprintf(text, sizeof text, "%s (default %s)", help, def);
            }
            fprintf(out, "  %-25s ", head);
            wrap(out, text, 28 > (int)strlen(head) + 3 ? 28 : (int)strlen(head) + 3, 28);
        }
    }
}
