/* test_config.c - the run configuration's field table (src/train/config.h) walked field by
 * field: a non-default value of each goes through the command line, summary.json's writer and
 * reader, the checkpoint's record and the rerun line (split as a shell would, parsed again), and
 * must come back the same. Also: the table covers the struct, the rerun line lists only what
 * applies, the checkpoint refuses what it cannot read, messages name fields and the CLI says
 * flags, docs/TRAINING.md lists every option. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "cli/cli.h"
#include "train/config.h"
#include "train/run.h"
#include "lab/sweep.h"
#include "model/model.h"
#include "optim/optim_names.h"


/* How many fields differ between a and b (LOCAL ones only when with_local); *compared gets
 * how many were compared. Names the differing fields. */
static int diff(const wu_train_config *a, const wu_train_config *b, int with_local, const char *what,
                int *compared)
{
    int n = 0;
    *compared = 0;
    for (int i = 0; i < wu_cfg_nfields; i++) {
        const wu_cfg_field *f = &wu_cfg_fields[i];
        if ((f->flags & WU_CFG_LOCAL) && !with_local) continue;
        (*compared)++;
        if (!wu_cfg_same(f, a, b)) {
            char x[600], y[600];
            wu_cfg_format(f, a, x, sizeof x), wu_cfg_format(f, b, y, sizeof y);
            printf("  %s: %s differs: '%s' vs '%s'\n", what, f->name, x, y);
            n++;
        }
    }
    return n;
}

#define SAME(a, b, local, what, ...)                                                         \
    do {                                                                                     \
        int cmp_, d_ = diff(a, b, local, what, &cmp_);                                       \
        CHECK(d_ == 0 && cmp_ > 0, __VA_ARGS__);                                             \
    } while (0)

/* Parse argv (argv[0] the command name) with the training options into c (from defaults). */
static int parse_argv(int argc, char **argv, wu_train_config *c)
{
    struct option opts[70];
    static const struct option none[] = {{0, 0, 0, 0}};
    cli_options_merge(opts, 70, cli_train_options(), none);
    char shortopts[64];
    snprintf(shortopts, sizeof shortopts, ":%s", cli_train_shortopts());
    wu_train_defaults(c);
    opterr = 0;
    optind = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1)
        if (cli_train_option(ch, optarg, c) != 0) return -1;
    return optind == argc ? 0 : -1;
}

/* Split a command line as sh does for single-quoted and bare words (what the rerun line uses):
 * '...' literal, '\'' a quote, spaces separate. Returns the word count; words point into buf. */
static int shell_split(const char *line, char *buf, char **words, int max)
{
    int n = 0;
    const char *p = line;
    char *o = buf;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        if (n == max) return -1;
        words[n++] = o;
        while (*p && *p != ' ') {
            if (*p == '\'') {
                for (p++; *p && *p != '\''; p++) *o++ = *p;
                if (*p != '\'') return -1; /* unterminated */
                p++;
            } else if (*p == '\\' && p[1]) {
                *o++ = p[1];
                p += 2;
            } else if (strchr("<>|&;$`\"", *p)) {
                return -1; /* a bare shell character: the line is not quoted */
            } else {
                *o++ = *p++;
            }
        }
        *o++ = '\0';
    }
    return n;
}

/* A non-default value for f, valid for it, as text. */
static void other_value(const wu_cfg_field *f, const wu_train_config *d, char *out, size_t n)
{
    char def[600];
    wu_cfg_format(f, d, def, sizeof def);
    if (f->type == WU_CFG_BOOL) snprintf(out, n, "1");
    else if (f->type == WU_CFG_STR && f->choice) { /* the first choice that is not the default */
        for (int i = 0; f->choice(i); i++) {
            snprintf(out, n, "%s", f->choice(i));
            if (strcmp(out, def)) return;
        }
    } else if (f->type == WU_CFG_STR) {
        snprintf(out, n, "%s", !strcmp(f->name, "schedule") ? "warmup(5) > cosine(to=0.25)"
                                                            : "/tmp/it's a \"dir\" > with $HOME");
    } else {
        static const double cand[] = {0.30000000000000004, 1.3000000000000003, 3, 7, 5000};
        for (size_t k = 0; k < sizeof cand / sizeof *cand; k++) {
            double v = cand[k];
            if (f->type != WU_CFG_DOUBLE && v != (double)(long long)v) continue;
            if (v < f->lo || v > f->hi) continue;
            if (f->type == WU_CFG_DOUBLE) snprintf(out, n, "%.17g", v);
            else snprintf(out, n, "%lld", (long long)v);
            if (strcmp(out, def)) return;
        }
        snprintf(out, n, "?");
    }
}

/* The first model / optimizer that f applies to. */
static const char *first_of(unsigned mask, const char *names)
{
    static char buf[16];
    int i = 0;
    for (const char *p = names; *p; i++) {
        size_t len = strcspn(p, ",");
        if (mask >> i & 1) {
            snprintf(buf, sizeof buf, "%.*s", (int)len, p);
            return buf;
        }
        p += len + (p[len] == ',');
    }
    return "?";
}

static void walk_every_field(void)
{
    wu_train_config d;
    wu_train_defaults(&d);
    for (int i = 0; i < wu_cfg_nfields; i++) {
        const wu_cfg_field *f = &wu_cfg_fields[i];
        wu_train_config want = d;
        char model[16], opt[16], val[600];
        snprintf(model, sizeof model, "%s", first_of(f->models, "gpt,mlp,vit"));
        snprintf(opt, sizeof opt, "%s", first_of(f->optims, "sgd,adam,adamw,radam"));
        CHECK(wu_cfg_set(wu_cfg_find("model"), &want, model, NULL) == WU_OK &&
              wu_cfg_set(wu_cfg_find("optimizer"), &want, opt, NULL) == WU_OK, "%s: model/optimizer", f->name);
        other_value(f, &d, val, sizeof val);
        wu_error err;
        int rc = wu_cfg_set(f, &want, val, &err);
        CHECK(rc == WU_OK, "%s: set '%s': %s", f->name, val, rc ? err.msg : "");
        CHECK(!wu_cfg_same(f, &want, &d), "%s: '%s' is not a non-default value", f->name, val);
        if (strcmp(f->name, "out")) snprintf(want.out, sizeof want.out, "/tmp/run dir>x");
        /* 1. the command line */
        char flag[64], outflag[] = "--out", outval[] = "/tmp/run dir>x", mflag[] = "--model",
             oflag[] = "--optimizer", name[] = "warmup";
        snprintf(flag, sizeof flag, "--%s", f->flag);
        char *argv[12] = {name, mflag, model, oflag, opt, outflag, outval, flag};
        int argc = 8;
        if (f->type != WU_CFG_BOOL) argv[argc++] = val;
        wu_train_config got;
        CHECK(parse_argv(argc, argv, &got) == 0, "%s: the command line %s %s is refused", f->name, flag, val);
        SAME(&want, &got, 1, f->name, "%s: command line -> config", f->name);
        /* 2. summary.json's "config", written and read back */
        char *js = NULL;
        size_t jn = 0;
        FILE *m = open_memstream(&js, &jn);
        fputs("{\"config\": ", m);
        wu_train_config_json(m, &got);
        fputs("}", m);
        fclose(m);
        cJSON *j = cJSON_Parse(js);
        CHECK(j != NULL, "%s: summary config is JSON: %s", f->name, js);
        wu_train_config back;
        rc = wu_train_config_from_json(cJSON_GetObjectItemCaseSensitive(j, "config"), &back, &err);
        CHECK(rc == WU_OK, "%s: read back: %s", f->name, rc ? err.msg : "");
        snprintf(back.out, sizeof back.out, "%s", got.out);
        SAME(&want, &back, 1, f->name, "%s: config -> summary.json -> config", f->name);
        cJSON_Delete(j);
        free(js);
        /* 3. the checkpoint's record */
        size_t rn = 0;
        char *rec = wu_cfg_record(&back, &rn);
        wu_train_config fromrec;
        rc = rec ? wu_cfg_from_record(rec, rn, &fromrec, &err) : -1;
        CHECK(rc == WU_OK, "%s: the record reads back: %s", f->name, rc ? err.msg : "");
        SAME(&want, &fromrec, 0, f->name, "%s: config -> checkpoint record -> config", f->name);
        free(rec);
        /* 4. the rerun line, split as the shell does, parsed again */
        char line[4096], buf[4096], *words[128];
        CHECK(wu_train_config_command(&back, line, sizeof line) == 0, "%s: rerun line fits", f->name);
        int nw = shell_split(line, buf, words, 128);
        CHECK(nw > 2 && !strcmp(words[0], "warmup") && !strcmp(words[1], "train"),
              "%s: the rerun line is a quoted warmup command: %s", f->name, line);
        wu_train_config rerun;
        if (nw > 2) {
            CHECK(parse_argv(nw - 1, words + 1, &rerun) == 0, "%s: the rerun line parses: %s", f->name, line);
            SAME(&want, &rerun, 1, f->name, "%s: rerun line -> config: %s", f->name, line);
        }
    }
}

/* The table covers the struct: every byte of wu_train_config belongs to a field, but padding
 * (a gap before a field, shorter than its alignment and ending at an aligned offset). */
static void table_covers_struct(void)
{
    static unsigned char owner[sizeof(wu_train_config)];
    memset(owner, 0, sizeof owner);
    int overlap = 0;
    for (int i = 0; i < wu_cfg_nfields; i++) {
        const wu_cfg_field *f = &wu_cfg_fields[i];
        for (size_t b = f->offset; b < f->offset + f->size; b++) overlap += owner[b]++ != 0;
        for (int k = 0; k < i; k++) {
            CHECK(strcmp(f->name, wu_cfg_fields[k].name) && strcmp(f->flag, wu_cfg_fields[k].flag) &&
                  (!f->shortopt || f->shortopt != wu_cfg_fields[k].shortopt),
                  "fields %s and %s share a name, flag or letter", f->name, wu_cfg_fields[k].name);
        }
    }
    CHECK(overlap == 0, "fields overlap (%d bytes)", overlap);
    size_t gap = 0, worst = 0, at = 0;
    for (size_t b = 0; b < sizeof owner; b++) {
        gap = owner[b] ? 0 : gap + 1;
        if (gap > worst) worst = gap, at = b + 1 - gap;
    }
    CHECK(worst < 8, "bytes %zu..%zu of wu_train_config are in no field of the table (a member "
          "without a row?)", at, at + worst - 1);
    wu_train_config d;
    wu_error err;
    wu_train_defaults(&d);
    int field = 7;
    CHECK(wu_cfg_check(&d, &field, &err) == WU_OK && field == -1, "the defaults pass the checks");
    CHECK(wu_cfg_nfields >= 32, "the table has every field (%d)", wu_cfg_nfields);
}

static void rerun_lines(void)
{
    wu_train_config c;
    wu_train_defaults(&c);
    snprintf(c.out, sizeof c.out, "runs/it's a b>c");
    char line[4096];
    CHECK(wu_train_config_command(&c, line, sizeof line) == 0, "gpt line");
    CHECK(!strstr(line, "--depth") && !strstr(line, "--width") && !strstr(line, "--act") &&
          !strstr(line, "--pool") && !strstr(line, "--momentum"),
          "a GPT/AdamW run's line has no MLP, ViT or SGD option: %s", line);
    CHECK(strstr(line, "warmup train --out 'runs/it'\\''s a b>c' ") == line,
          "--out is quoted for the shell: %s", line);
    CHECK(strstr(line, "--schedule 'warmup(10%) > cosine(to=0.1)'") != NULL, "the schedule is quoted: %s", line);
    CHECK(!strstr(line, "--eps"), "a default eps is left off: %s", line);
    c.eps = 1e-6, c.eval_every = 2;
    wu_train_config_command(&c, line, sizeof line);
    CHECK(strstr(line, "--eps '1e-06'") && strstr(line, "--eval-every '2'"),
          "a non-default eps and eval-every are on the line: %s", line);
    wu_train_defaults(&c);
    snprintf(c.model, sizeof c.model, "mlp"), snprintf(c.optimizer, sizeof c.optimizer, "sgd");
    wu_train_config_command(&c, line, sizeof line);
    CHECK(!strstr(line, "--act") && !strstr(line, "--layers") && !strstr(line, "--beta1"),
          "an MLP/SGD run at the defaults: no --act, --layers, --beta1: %s", line);
    snprintf(c.act, sizeof c.act, "gelu");
    c.momentum = 0.9, c.post_ln = 1;
    wu_train_config_command(&c, line, sizeof line);
    CHECK(strstr(line, "--act 'gelu'") && strstr(line, "--momentum '0.9'") && !strstr(line, "--post-ln"),
          "an MLP with gelu and momentum: --act, --momentum, no --post-ln: %s", line);
    char small[40] = "";
    CHECK(wu_train_config_command(&c, small, sizeof small) == -1, "a line that does not fit says so");
    char q[16] = "x ";
    CHECK(wu_shell_quote(q, sizeof q, "a'b") == 0 && !strcmp(q, "x 'a'\\''b'"), "quote: %s", q);    /* the argument vector (study --ranks execs `warmup train` with it): the same settings as the
       line, as words, unquoted; a bool flag alone */
    snprintf(c.out, sizeof c.out, "runs/it's a b");
    c.post_ln = 0;
    snprintf(c.schedule, sizeof c.schedule, "warmup(10%%) > cosine");
    char *argv[128], buf[4096], joined[4096] = "warmup train";
    int m = wu_train_config_argv(&c, argv, 128, buf, sizeof buf);
    CHECK(m >= 4 && !strcmp(argv[0], "--out") && !strcmp(argv[1], "runs/it's a b"), "argv starts with --out DIR");
    for (int i = 0; i < m; i++) {
        size_t u = strlen(joined);
        snprintf(joined + u, sizeof joined - u, " ");
        if (argv[i][0] == '-' && argv[i][1] == '-') strncat(joined, argv[i], sizeof joined - u - 2);
        else wu_shell_quote(joined, sizeof joined, argv[i]);
    }
    wu_train_config_command(&c, line, sizeof line);
    CHECK(!strcmp(joined, line), "argv, quoted, is the rerun line:\n  %s\n  %s", joined, line);
    c.post_ln = 1, snprintf(c.model, sizeof c.model, "gpt");
    m = wu_train_config_argv(&c, argv, 128, buf, sizeof buf);
    int alone = 0;
    for (int i = 0; i < m; i++) alone |= !strcmp(argv[i], "--post-ln") && (i + 1 == m || argv[i + 1][0] == '-');
    CHECK(alone, "a bool is a flag alone");
    CHECK(wu_train_config_argv(&c, argv, 3, buf, sizeof buf) == -1, "too few words: -1");
    CHECK(wu_train_config_argv(&c, argv, 128, buf, 20) == -1, "too small a buffer: -1");
}

static void messages(void)
{
    wu_train_config c;
    wu_error err;
    int field;
    wu_train_defaults(&c);
    c.lr = 0;
    CHECK(wu_cfg_check(&c, &field, &err) != WU_OK && field >= 0 && !strcmp(wu_cfg_fields[field].name, "lr"),
          "lr 0 is refused, naming the field");
    CHECK(!strstr(err.msg, "--"), "the library's message names no flag: %s", err.msg);
    char m[400];
    cli_field_message(field, err.msg, m, sizeof m);
    CHECK(strstr(m, "--lr must be positive") == m, "the CLI says --lr: %s", m);
    wu_train_defaults(&c);
    c.eval_every = -1;
    wu_cfg_check(&c, &field, &err);
    cli_field_message(field, err.msg, m, sizeof m);
    CHECK(strstr(m, "--eval-every must be") == m, "eval_every -> --eval-every: %s", m);
    wu_train_defaults(&c);
    snprintf(c.data, sizeof c.data, "/nonexistent/data here");
    CHECK(wu_cfg_check(&c, &field, &err) != WU_OK && !strstr(err.msg, "--"), "data: %s", err.msg);
    cli_field_message(field, err.msg, m, sizeof m);
    CHECK(strstr(m, "cannot read --data '/nonexistent/data here'") != NULL, "data -> --data: %s", m);
    /* whole numbers are compared as whole numbers: 2^53 + 1 rounds to 2^53 as a double */
    CHECK(wu_cfg_set(wu_cfg_find("seed"), &c, "9007199254740993", &err) != WU_OK &&
          wu_cfg_set(wu_cfg_find("seed"), &c, "9007199254740992", &err) == WU_OK &&
          c.seed == 9007199254740992ULL, "seed's range is exact at 2^53");
    CHECK(wu_cfg_set(wu_cfg_find("batch"), &c, "65537", &err) != WU_OK && strstr(err.msg, "batch must be between 1 and 65536"),
          "batch above its range: %s", err.msg);
    /* a name inside another word or after a dash is not the field */
    int steps = (int)(wu_cfg_find("steps") - wu_cfg_fields);
    cli_field_message(steps, "substeps and non-steps; steps must be", m, sizeof m);
    CHECK(!strcmp(m, "substeps and non-steps; --steps must be"), "whole words only: %s", m);
}

static void records(void)
{
    wu_train_config c;
    wu_error err;
    const char *old = "model=mlp\nlr=0.5\n"; /* an older record: the rest gets defaults */
    CHECK(wu_cfg_from_record(old, strlen(old), &c, &err) == WU_OK && !strcmp(c.model, "mlp") &&
          c.lr == 0.5 && c.beta2 == 0.999 && c.eval_batches == 8, "a record without fields gets defaults");
    const char *newer = "model=gpt\nwarp_drive=1\n";
    CHECK(wu_cfg_from_record(newer, strlen(newer), &c, &err) != WU_OK && strstr(err.msg, "'warp_drive'"),
          "an unknown field is refused, by name: %s", err.msg);
    const char *badv = "batch=0\n";
    CHECK(wu_cfg_from_record(badv, strlen(badv), &c, &err) != WU_OK && strstr(err.msg, "batch must be"),
          "a bad value is refused: %s", err.msg);
    const char *nl = "data=a\\nb\\\\c\n";
    CHECK(wu_cfg_from_record(nl, strlen(nl), &c, &err) == WU_OK && !strcmp(c.data, "a\nb\\c"),
          "escapes in a record: '%s'", c.data);
    const char *cut = "model=gpt";
    CHECK(wu_cfg_from_record(cut, strlen(cut), &c, &err) != WU_OK, "a record without its newline is refused");
}

/* A real checkpoint: written by a tiny run, read back with its field record. */
static void checkpoint(void)
{
    char dir[] = "/tmp/wu-test-config-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    wu_train_config c;
    wu_train_defaults(&c);
    c.layers = 1, c.heads = 1, c.dim = 8, c.seq = 4, c.batch = 2, c.steps = 6, c.builtin_bytes = 8192;
    c.eps = 1e-6, c.clip = 0.75, c.seed = 9007199254740991ULL, c.eval_every = 0;
    snprintf(c.act, sizeof c.act, "gelu");
    snprintf(c.out, sizeof c.out, "%s/run", dir);
    wu_train_result r;
    wu_error err;
    int rc = wu_train(&c, 0, 3, NULL, NULL, NULL, &r, &err);
    CHECK(rc == WU_OK && r.steps_done == 3, "a tiny run stops after 3 steps: %s", rc ? err.msg : "");
    wu_train_config got;
    unsigned char *blob = NULL;
    size_t len = 0;
    rc = wu_ckpt_read(c.out, &got, &blob, &len, &err);
    CHECK(rc == WU_OK, "its checkpoint reads: %s", rc ? err.msg : "");
    if (rc == WU_OK) SAME(&c, &got, 0, "checkpoint", "the checkpoint's configuration is the run's");
    char path[700];
    snprintf(path, sizeof path, "%s/checkpoint.bin", c.out);
    if (blob) { /* the same bytes from an older format: refused, saying which */
        blob[7] = '2';
        FILE *f = fopen(path, "wb");
        fwrite(blob, 1, len, f);
        fclose(f);
        free(blob);
        blob = NULL;
        rc = wu_ckpt_read(c.out, &got, &blob, &len, &err);
        CHECK(rc != WU_OK && strstr(err.msg, "format 02") && strstr(err.msg, "another version"),
              "an older checkpoint format is refused, naming it: %s", err.msg);
        free(blob);
    }
    unlink(path);
    static const char *const files[] = {"metrics.csv", "summary.json"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", c.out, files[i]);
        unlink(path);
    }
    rmdir(c.out);
    rmdir(dir);
}

/* A sweep manifest written before fields were added (its config lacks them, its doubles have 17
 * digits) still matches the same grid, is told apart from another one, and loads whole. */
static void sweep_manifest(void)
{
    char dir[] = "/tmp/wu-test-sweep-XXXXXX", path[600];
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"kind\": \"sweep\", \"command\": \"warmup sweep --optimizer sgd\",\n \"grid\": "
          "{\"lrs\": [0.001, 0.01], \"warmups\": [\"0\", \"10%\"], \"seeds\": 1, \"config\": "
          "{\"model\": \"gpt\", \"data\": \"builtin\", \"schedule\": \"cosine(to=0.1)\", "
          "\"lr\": 0.001, \"optimizer\": \"sgd\", \"beta1\": 0.90000000000000002, "
          "\"beta2\": 0.999, \"eps\": 1e-08, \"momentum\": 0.90000000000000002, "
          "\"weight_decay\": 0.01, \"clip\": 0, \"steps\": 40, \"batch\": 3, \"seed\": 1, "
          "\"layers\": 1, \"heads\": 2, \"dim\": 32, \"seq\": 16, \"post_ln\": false, "
          "\"depth\": 2, \"width\": 256, \"act\": \"relu\", \"pool\": \"cls\", \"eval_every\": 0, "
          "\"eval_batches\": 8, \"builtin_bytes\": 1048576, \"on_nonfinite\": \"stop\"}}}\n", f);
    fclose(f);
    static wu_sweep s;
    char cmd[200];
    wu_error err;
    int rc = wu_sweep_load(&s, dir, cmd, sizeof cmd, &err);
    CHECK(rc == WU_OK, "an older manifest loads: %s", rc ? err.msg : "");
    CHECK(!strcmp(s.base.optimizer, "sgd") && s.base.momentum == 0.9 && s.base.batch == 3 &&
          s.base.layers == 1 && s.base.dim == 32 && s.base.steps == 40 && s.base.eval_every == 0 &&
          s.base.diverge_factor == 2 && !strcmp(s.base.schedule, "cosine(to=0.1)"),
          "the whole base configuration is read (%s, momentum %g, batch %d)", s.base.optimizer,
          s.base.momentum, s.base.batch);
    CHECK(s.nlr == 2 && s.nwarm == 2 && s.seeds == 1 && !strcmp(cmd, "warmup sweep --optimizer sgd"),
          "the grid and the command");
    /* keep (a cell of a grid on many machines): the same grid leaves the file as it is */
    struct stat st0, st1;
    CHECK(stat(path, &st0) == 0, "the manifest is there");
    rc = wu_sweep_manifest(&s, "warmup sweep --optimizer sgd --cell 3", 1, &err);
    CHECK(rc == WU_OK && stat(path, &st1) == 0 && st1.st_ino == st0.st_ino &&
              wu_sweep_load(&s, dir, cmd, sizeof cmd, &err) == WU_OK &&
              !strcmp(cmd, "warmup sweep --optimizer sgd"),
          "keep: a manifest of the same grid is not rewritten (%s)", cmd);
    rc = wu_sweep_manifest(&s, "warmup sweep --optimizer sgd", 0, &err);
    CHECK(rc == WU_OK, "the same grid matches the older manifest: %s", rc ? err.msg : "");
    s.base.momentum = 0.5;
    rc = wu_sweep_manifest(&s, "x", 0, &err);
    CHECK(rc == WU_EINVAL && strstr(err.msg, "other settings"), "another momentum is another grid");
    rc = wu_sweep_manifest(&s, "x", 1, &err);
    CHECK(rc == WU_EINVAL && strstr(err.msg, "other settings"), "keep: another grid is refused too");
    unlink(path);
    rmdir(dir);
}

/* The names and the architecture's defaults come from their owners: the model registry and
 * its act/pool tables, the optimizer kinds, wu_model_default_config. */
static void owners(void)
{
    static const struct { const char *field; const char *(*name)(int); } own[] = {
        {"optimizer", wu_optim_kind_name}, {"act", wu_model_act_name}, {"pool", wu_model_pool_name},
    };
    for (size_t k = 0; k < sizeof own / sizeof *own; k++) {
        const wu_cfg_field *f = wu_cfg_find(own[k].field);
        int i = 0;
        for (; own[k].name(i); i++)
            CHECK(f->choice(i) && !strcmp(f->choice(i), own[k].name(i)), "%s's choice %d is %s",
                  f->name, i, own[k].name(i));
        CHECK(i > 1 && f->choice(i) == NULL, "%s has exactly the owner's %d names", f->name, i);
    }
    const wu_cfg_field *m = wu_cfg_find("model");
    static const unsigned bit[] = {WU_CFG_GPT, WU_CFG_MLP, WU_CFG_VIT};
    static const char *const want[] = {"gpt", "mlp", "vit"};
    for (int i = 0; i < 3; i++) {
        CHECK(wu_model_nth(i) && !strcmp(wu_model_nth(i)->name, want[i]) &&
                  m->choice(i) && !strcmp(m->choice(i), want[i]) && bit[i] == 1u << i,
              "model %d of the registry is %s, with the bit %u", i, want[i], bit[i]);
    }
    CHECK(wu_model_nth(3) == NULL && m->choice(3) == NULL, "three models, as WU_CFG_ANY_MODEL says");
    CHECK(WU_CFG_SGD == 1u << WU_OPT_SGD && WU_CFG_RADAM == 1u << WU_OPT_RADAM,
          "an optimizer's bit is its wu_optim_kind");
    wu_train_config c;
    wu_train_defaults(&c);
    wu_model_config md = wu_model_default_config();
    CHECK(c.layers == md.layers && c.heads == md.heads && c.dim == md.dim && c.post_ln == md.post_ln &&
              c.depth == md.depth && c.width == md.width &&
              !strcmp(c.act, wu_model_act_name(md.act)) && !strcmp(c.pool, wu_model_pool_name(md.pool)),
          "the architecture's defaults are wu_model_default_config's");
    char help[300];
    wu_cfg_help(m, help, sizeof help);
    CHECK(!strcmp(help, "the model: gpt, mlp or vit"), "the model's help lists the registry: '%s'", help);
    wu_cfg_help(wu_cfg_find("optimizer"), help, sizeof help);
    CHECK(!strcmp(help, "sgd, adam, adamw or radam"), "the optimizer's help lists the kinds: '%s'", help);
    wu_error err;
    snprintf(c.act, sizeof c.act, "swish");
    snprintf(c.model, sizeof c.model, "mlp");
    snprintf(c.data, sizeof c.data, "fashion-mnist");
    CHECK(wu_train_check(&c, &err) != WU_OK && strstr(err.msg, "unknown act 'swish': use relu, gelu or tanh"),
          "an unknown activation lists the owner's names: '%s'", err.msg);
}

/* The CLI turns the settings a library message names into options (cli_engine_message). */
static void engine_messages(void)
{
    static const char *const cases[][2] = {
        {"steps: 10 is fewer than the 40 steps", "--steps: 10 is fewer than the 40 steps"},
        {"weight_decay: expected a number", "--weight-decay: expected a number"},
        {"warmups: '5' is listed twice", "--warmups: '5' is listed twice"},
        {"give the total number of steps (total_steps)", "give the total number of steps (--steps)"},
        {"give the epoch length (steps_per_epoch, or dataset_size with batch)",
         "give the epoch length (--steps-per-epoch, or --dataset-size with --batch)"},
        {"a percentage of the steps (10%) or steps (steps)", "a percentage of the steps (10%) or steps (--steps)"},
        {"the steps (percent of the steps) stay", "the steps (percent of the steps) stay"},
        {"steps must be positive", "steps must be positive"},
        {"nosuch: (lr", "nosuch: (lr"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[300];
        cli_engine_message(cases[i][0], out, sizeof out);
        CHECK(!strcmp(out, cases[i][1]), "'%s' reads '%s', not '%s'", cases[i][0], out, cases[i][1]);
    }
}

/* docs/TRAINING.md lists every option of the table. */
static void docs(void)
{
    char *doc = th_slurp("docs/TRAINING.md", NULL);
    CHECK(doc != NULL, "docs/TRAINING.md is readable (run from the repository root)");
    if (!doc) return;
    for (int i = 0; i < wu_cfg_nfields; i++) {
        char want[64];
        snprintf(want, sizeof want, "`--%s", wu_cfg_fields[i].flag);
        CHECK(strstr(doc, want) != NULL, "docs/TRAINING.md lists %s`", want);
    }
    free(doc);
}

int main(void)
{
    table_covers_struct();
    walk_every_field();
    rerun_lines();
    messages();
    records();
    checkpoint();
    sweep_manifest();
    docs();
    owners();
    engine_messages();
    return th_done("test_config");
}
