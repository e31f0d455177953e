/* config.h - the run configuration's one field table. Every place that names a setting of a
 * training run reads it from here: the defaults, the checks, summary.json's "config" (written
 * and read back), the checkpoint's configuration record, the "how to rerun" line, and (in the
 * CLI) the options of `warmup train` / `warmup sweep` and their --help lines.
 *
 * Messages of this layer name a field by its name ("lr must be positive"); the CLI, which knows
 * that a field is set by a flag, says "--lr" instead (cli_field_message, cli_engine_message).
 * Adding a setting means a member in wu_train_config (train.h) and a row in wu_cfg_fields
 * (config.c); tests/test_config.c walks every row. */
#ifndef WU_CONFIG_H
#define WU_CONFIG_H

#include <stddef.h>

#include "train.h"

typedef enum wu_cfg_type {
    WU_CFG_STR,    /* char[size] */
    WU_CFG_DOUBLE, /* double */
    WU_CFG_INT,    /* int */
    WU_CFG_I64,    /* int64_t */
    WU_CFG_U64,    /* uint64_t */
    WU_CFG_BOOL    /* int, 0 or 1; a flag without a value */
} wu_cfg_type;

/* The models and optimizers a field applies to (bit masks: a model's bit is its place in the
 * registry, wu_model_nth; an optimizer's its wu_optim_kind; tests/test_config.c checks both). */
enum { WU_CFG_GPT = 1, WU_CFG_MLP = 2, WU_CFG_VIT = 4, WU_CFG_ANY_MODEL = 7 };
enum { WU_CFG_SGD = 1 << WU_OPT_SGD, WU_CFG_ADAM = 1 << WU_OPT_ADAM, WU_CFG_ADAMW = 1 << WU_OPT_ADAMW,
       WU_CFG_RADAM = 1 << WU_OPT_RADAM, WU_CFG_ADAMS = WU_CFG_ADAM | WU_CFG_ADAMW | WU_CFG_RADAM,
       WU_CFG_ANY_OPT = WU_CFG_SGD | WU_CFG_ADAMS };
/* Field flags. */
enum {
    WU_CFG_SHOWN = 1, /* always on the rerun line, even at its default */
    WU_CFG_LOCAL = 2, /* where the run is, not what it is (out): not in summary.json's config,
                         the checkpoint or a sweep's grid */
    WU_CFG_ARCH = 4   /* the model's architecture (its shape), as a report describes the model */
};

typedef struct wu_cfg_field {
    const char *name;   /* the member, the summary.json key and the checkpoint key */
    const char *flag;   /* the long option without its dashes: "weight-decay" */
    char shortopt;      /* its one-letter option, or 0 */
    wu_cfg_type type;
    size_t offset, size;
    const char *def;    /* the default, as text; NULL: the model layer's (wu_model_default_config) */
    double lo, hi;      /* the range of a number */
    const char *(*choice)(int i); /* a string field's i-th allowed value, NULL past the last:
                                     the owner's name table (wu_model_act_name); NULL: any text */
    const char *meta;   /* the value's name in --help: "LR" */
    const char *help;   /* one line for --help; "{}" stands for the choices (wu_cfg_help) */
    unsigned models, optims, flags;
} wu_cfg_field;

extern const wu_cfg_field wu_cfg_fields[];
extern const int wu_cfg_nfields;

/* A choice field's values as prose: "relu, gelu or tanh" (empty for a field without choices). */
void wu_cfg_choices_text(const wu_cfg_field *f, char *out, size_t n);

/* f's help line, its "{}" replaced by wu_cfg_choices_text. */
void wu_cfg_help(const wu_cfg_field *f, char *out, size_t n);

/* The field called name (NULL when there is none). */
const wu_cfg_field *wu_cfg_find(const char *name);

/* Does field f apply to c's model and optimizer? (A setting of another model is ignored.) */
int wu_cfg_applies(const wu_cfg_field *f, const wu_train_config *c);

/* Do a and b hold the same value of f? */
int wu_cfg_same(const wu_cfg_field *f, const wu_train_config *a, const wu_train_config *b);

/* f's value in c as text that wu_cfg_set reads back to the same value (a double in the fewest
 * digits that read back exactly; a bool is 0 or 1). */
void wu_cfg_format(const wu_cfg_field *f, const wu_train_config *c, char *out, size_t n);

/* Set f in c from text: the type (a number, a whole number), the range and the length are
 * checked; a string's choices are not (wu_cfg_check does, for the fields that apply). Messages
 * start with the field's name. */
/* A whole number, also in exponent form (1e6); 0 ok, 1 not a number, 2 not whole, 3 too large. */
int wu_parse_whole(const char *text, long long *out);
int wu_cfg_set(const wu_cfg_field *f, wu_train_config *c, const char *text, wu_error *err);

/* wu_train_check, also saying which field is wrong: *field receives its index into
 * wu_cfg_fields, or -1 when the message is not about one field (field may be NULL). */
int wu_cfg_check(const wu_train_config *c, int *field, wu_error *err);

/* Read a "config" object (summary.json, a sweep's grid) into c, which is first set to the
 * defaults: a missing field keeps its default (an older file), a field this table does not
 * know is ignored (a newer file), a value of the wrong type or out of range is an error naming
 * the field. */
struct cJSON;
int wu_train_config_from_json(const struct cJSON *j, wu_train_config *c, wu_error *err);

/* The configuration as "name=value" lines (newlines and backslashes in a value escaped), and
 * back: the checkpoint's record. Reading starts from the defaults, so a record without a field
 * gets its default; a field this version does not know, or a bad value, is an error. *n is the
 * length written (the record is not NUL-terminated in a checkpoint). */
char *wu_cfg_record(const wu_train_config *c, size_t *n);
int wu_cfg_from_record(const char *text, size_t n, wu_train_config *c, wu_error *err);

/* `warmup train --out DIR ...`, to paste into a shell: the fields that apply to c's model and
 * optimizer and differ from their defaults (and the WU_CFG_SHOWN ones), every value quoted for
 * the shell. Returns 0, or -1 when it did not fit in n bytes. */
int wu_train_config_command(const wu_train_config *c, char *out, size_t n);

/* The same settings as separate words, for an exec of `warmup train`: "--out", c->out, then
 * "--flag", "value" per setting (a bool flag alone), unquoted; the words point into buf (n bytes).
 * Returns how many words (at most max), or -1 when they do not fit. */
int wu_train_config_argv(const wu_train_config *c, char **argv, int max, char *buf, size_t n);

/* Append s to out (of n bytes, holding a NUL-terminated string) in single quotes, a ' written
 * as '\''. Returns -1 when it did not fit. */
int wu_shell_quote(char *out, size_t n, const char *s);
/* Append s as one shell word: bare when it holds only characters the shell takes literally
 * (letters, digits, - _ = . , / % + :), else as wu_shell_quote. Returns -1 when it did not fit. */
int wu_shell_word(char *out, size_t n, const char *s);

#endif
