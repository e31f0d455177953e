/* test_run.c - a training run driven a step at a time (wu_train_open / _step / _log /
 * _checkpoint / _close) on a tiny GPT, and on a tiny MLP and ViT over a tiny IDX image set
 * written here (14x14 pixels, so the models' input shapes must come from the data); the
 * metrics.csv header against the column table (and docs/TRAINING.md); the lr column read back
 * exactly as the schedule gave it; the model ops table. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "report/metrics.h"
#include "train/run.h"
#include "util/mem.h"
#include "util/rng.h"

static char tmp[256];

static const char *in_tmp(const char *name)
{
    static char p[2][512];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", tmp, name);
    return p[k];
}

/* ---- a tiny IDX image set ------------------------------------------------------------------ */

static void be32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* n images of rows x cols with labels 0..classes-1, into dir/<prefix>-images-idx3-ubyte and
 * -labels- */
static void write_set(const char *dir, const char *prefix, int n, int rows, int cols, int classes,
                      uint64_t seed)
{
    char p[600];
    wu_rng r;
    wu_rng_seed(&r, seed);
    size_t len = 16 + (size_t)n * rows * cols;
    unsigned char *b = malloc(len);
    be32(b, 0x803), be32(b + 4, (unsigned)n), be32(b + 8, (unsigned)rows), be32(b + 12, (unsigned)cols);
    for (size_t i = 16; i < len; i++) b[i] = (unsigned char)(wu_rng_u64(&r) >> 56);
    snprintf(p, sizeof p, "%s/%s-images-idx3-ubyte", dir, prefix);
    FILE *f = fopen(p, "wb");
    fwrite(b, 1, len, f);
    fclose(f);
    be32(b, 0x801), be32(b + 4, (unsigned)n);
    for (int i = 0; i < n; i++) b[8 + i] = (unsigned char)(wu_rng_u64(&r) % (unsigned)classes);
    snprintf(p, sizeof p, "%s/%s-labels-idx1-ubyte", dir, prefix);
    f = fopen(p, "wb");
    fwrite(b, 1, 8 + (size_t)n, f);
    fclose(f);
    free(b);
}

static void make_images(const char *name, int rows, int cols, int classes)
{
    const char *dir = in_tmp(name);
    mkdir(dir, 0755);
    write_set(dir, "train", 48, rows, cols, classes, 1);
    write_set(dir, "t10k", 32, rows, cols, classes, 2);
}

/* ---- configurations ------------------------------------------------------------------------ */

static wu_train_config tiny(const char *model, const char *out)
{
    wu_train_config c;
    wu_train_defaults(&c);
    snprintf(c.model, sizeof c.model, "%s", model);
    c.steps = 16, c.eval_every = 5, c.batch = 4;
    c.layers = 1, c.heads = 2, c.dim = 16, c.seq = 8;
    c.depth = 2, c.width = 16;
    c.eval_batches = 2;
    c.builtin_bytes = 20000;
    if (strcmp(model, "gpt")) snprintf(c.data, sizeof c.data, "%s", in_tmp("img14"));
    snprintf(c.out, sizeof c.out, "%s", in_tmp(out));
    return c;
}

/* metrics.csv without its time_s column (the last): what a resumed run must repeat exactly */
static char *metrics_sans_time(const char *dir)
{
    char p[600];
    snprintf(p, sizeof p, "%s/metrics.csv", dir);
    char *s = th_slurp(p, NULL);
    if (!s) return NULL;
    char *w = s;
    for (char *line = s; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char *comma = line + n;
        while (comma > line && *comma != ',') comma--;
        memmove(w, line, (size_t)(comma - line));
        w += comma - line;
        *w++ = '\n';
        line += n + (nl ? 1 : 0);
    }
    *w = '\0';
    return s;
}

/* Run c to the end a step at a time, checking the rows as they come. */
static int run_steps(wu_train_config *c, int resume, int64_t stop_after, wu_train_result *res,
                     wu_error *e)
{
    wu_run *r;
    int rc = wu_train_open(&r, c, resume, e);
    if (rc != WU_OK) return rc;
    int64_t n = 0, last = -1;
    int rows_ok = 1;
    wu_train_row row;
    while (!wu_train_done(r) && (stop_after == 0 || n < stop_after) && rc == WU_OK) {
        rc = wu_train_step(r, &row, e);
        int64_t k = (int64_t)row.col[WU_METRIC_STEP];
        rows_ok &= rc == WU_OK && k == r->step - 1 && (last < 0 || k == last + 1);
        last = k;
        if (rc == WU_OK) rc = wu_train_log(r, e);
        n++;
    }
    CHECK(rows_ok, "%s: each row is the next step", c->model);
    int crc = wu_train_close(r, res, e);
    return rc != WU_OK ? rc : crc;
}

/* ---- the metrics table --------------------------------------------------------------------- */

static void test_columns(void)
{
    char want[1024] = "";
    for (int i = 0; i < WU_METRIC_COUNT; i++) {
        strcat(want, wu_metric_cols[i].name);
        strcat(want, i + 1 < WU_METRIC_COUNT ? "," : "\n");
        CHECK(!strcmp(wu_metric_name((wu_metric)i), wu_metric_cols[i].name) &&
                  wu_metric_cols[i].format[0] == '%' && strlen(wu_metric_cols[i].help) > 5,
              "column %d is complete", i);
    }
    CHECK(!strcmp(wu_metric_name(WU_METRIC_STEP), "step") && !strcmp(wu_metric_name(WU_METRIC_LR), "lr") &&
              !strcmp(wu_metric_name(WU_METRIC_TIME_S), "time_s"),
          "the first, second and last columns");
    char buf[1024] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    wu_metrics_write_header(f);
    fclose(f);
    CHECK(!strcmp(buf, want), "the header is the table: %s", buf);
    /* docs/TRAINING.md explains every column */
    char *doc = th_slurp("docs/TRAINING.md", NULL);
    CHECK(doc != NULL, "docs/TRAINING.md is readable");
    for (int i = 0; doc && i < WU_METRIC_COUNT; i++) {
        char q[64];
        snprintf(q, sizeof q, "`%s`", wu_metric_cols[i].name);
        CHECK(strstr(doc, q) != NULL, "docs/TRAINING.md explains column %s", q);
    }
    free(doc);
    /* a row: NaN is an empty cell, the lr keeps 17 digits */
    double v[WU_METRIC_COUNT];
    for (int i = 0; i < WU_METRIC_COUNT; i++) v[i] = NAN;
    v[WU_METRIC_STEP] = 7, v[WU_METRIC_LR] = 1.0 / 3.0, v[WU_METRIC_LOSS] = 2.5, v[WU_METRIC_TIME_S] = 1.25;
    f = fmemopen(buf, sizeof buf, "w");
    wu_metrics_write_row(f, v);
    fclose(f);
    CHECK(!strcmp(buf, "7,0.33333333333333331,2.5,,,,,,,,,,,,,,,,,,,1.250\n"), "a row: %s", buf);
}

/* ---- a run a step at a time ---------------------------------------------------------------- */

static void test_model(const char *model)
{
    wu_error e = {0};
    wu_train_result a, b, w;
    char name[3][32];
    snprintf(name[0], 32, "%s-steps", model);
    snprintf(name[1], 32, "%s-resumed", model);
    snprintf(name[2], 32, "%s-loop", model);
    wu_train_config c = tiny(model, name[0]);
    int rc = run_steps(&c, 0, 0, &a, &e);
    CHECK(rc == WU_OK && a.steps_done == 16 && !a.interrupted && !a.diverged && isfinite(a.final_loss) &&
              isfinite(a.final_val_loss),
          "%s: 16 steps through open/step/log/close (rc %d: %s)", model, rc, e.msg);
    char p[600];
    snprintf(p, sizeof p, "%s/summary.json", c.out);
    char *sum = th_slurp(p, NULL);
    CHECK(sum && strstr(sum, "\"status\": \"completed\""), "%s: summary.json written", model);
    free(sum);
    snprintf(p, sizeof p, "%s/checkpoint.bin", c.out);
    CHECK(access(p, F_OK) != 0, "%s: a completed run leaves no checkpoint", model);

    /* wu_train is that loop: the same rows */
    wu_train_config cw = tiny(model, name[2]);
    rc = wu_train(&cw, 0, 0, NULL, NULL, NULL, &w, &e);
    char *ms = metrics_sans_time(c.out), *mw = metrics_sans_time(cw.out);
    CHECK(rc == WU_OK && ms && mw && !strcmp(ms, mw) && w.final_loss == a.final_loss,
          "%s: wu_train writes what open/step/log/close wrote (rc %d)", model, rc);
    int lines = 0;
    for (char *s = ms; s && *s; s++) lines += *s == '\n';
    /* the file's header is the table's */
    snprintf(p, sizeof p, "%s/metrics.csv", c.out);
    char *text = th_slurp(p, NULL);
    size_t hl = 0;
    int same = text != NULL;
    for (int i = 0; same && i < WU_METRIC_COUNT; i++) {
        size_t n = strlen(wu_metric_cols[i].name);
        same = !strncmp(text + hl, wu_metric_cols[i].name, n) &&
               text[hl + n] == (i + 1 < WU_METRIC_COUNT ? ',' : '\n');
        hl += n + 1;
    }
    CHECK(same, "%s: metrics.csv's header is the column table", model);
    free(text);
    CHECK(lines == 17, "%s: a header and 16 rows (%d lines)", model, lines);

    /* stop after 7 steps: close checkpoints it; resume: the same run, bit for bit */
    wu_train_config cr = tiny(model, name[1]);
    rc = run_steps(&cr, 0, 7, &b, &e);
    CHECK(rc == WU_OK && b.interrupted && b.steps_done == 7, "%s: stopped after 7 steps (rc %d: %s)",
          model, rc, e.msg);
    snprintf(p, sizeof p, "%s/checkpoint.bin", cr.out);
    CHECK(access(p, F_OK) == 0, "%s: closing an unfinished run writes a checkpoint", model);
    wu_train_config again;
    memset(&again, 0, sizeof again);
    snprintf(again.out, sizeof again.out, "%s", cr.out);
    rc = run_steps(&again, 1, 0, &b, &e);
    char *mr = metrics_sans_time(cr.out);
    CHECK(rc == WU_OK && !b.interrupted && b.steps_done == 16 && again.steps == 16 &&
              !strcmp(again.model, model),
          "%s: resumed to the end, its configuration read back (rc %d: %s)", model, rc, e.msg);
    CHECK(ms && mr && !strcmp(ms, mr) && b.final_loss == a.final_loss && b.best_loss == a.best_loss &&
              b.spikes == a.spikes,
          "%s: the resumed run equals the uninterrupted one", model);
    free(ms), free(mw), free(mr);
}

/* The lr column reads back as the very double the schedule gave for each step. */
static void test_lr_exact(void)
{
    wu_error e = {0};
    wu_train_config c = tiny("gpt", "lr");
    c.steps = 40;
    snprintf(c.schedule, sizeof c.schedule, "warmup(7) > cosine(to=0.1)");
    c.lr = 3e-3;
    wu_train_result res;
    int rc = run_steps(&c, 0, 0, &res, &e);
    CHECK(rc == WU_OK, "the lr run: %s", e.msg);
    wu_sched_opts so = {.lr = c.lr, .total_steps = c.steps};
    wu_schedule *s = NULL;
    CHECK(wu_sched_parse(&s, c.schedule, &so, &e) == WU_OK, "the schedule parses: %s", e.msg);
    char p[600];
    snprintf(p, sizeof p, "%s/metrics.csv", c.out);
    wu_series_data d;
    rc = wu_metrics_column(p, WU_METRIC_LR, &d, &e);
    int n = 0, bad = 0, inexact = 0;
    for (int i = 0; rc == WU_OK && s && i < d.n; i++, n++) {
        double want = wu_sched_lr(s, (int64_t)d.x[i]);
        if (d.y[i] != want) bad++;
        char nine[40];
        snprintf(nine, sizeof nine, "%.9g", want);
        inexact += strtod(nine, NULL) != want; /* 9 digits would not have been enough */
    }
    CHECK(rc == WU_OK && n == 40 && bad == 0, "the lr column equals the schedule exactly (%d of %d differ)",
          bad, n);
    CHECK(inexact > 10, "the check could fail: %d of the LRs need more than 9 digits", inexact);
    wu_series_data_free(&d);
    wu_sched_destroy(s);
    /* a name that is not a column */
    CHECK(wu_metrics_column(p, WU_METRIC_COUNT, &d, &e) != WU_OK, "no column past the table");
}

/* metrics.csv cannot be written: a row fails the run (/dev/full: "no space left on device"),
 * and close writes no summary and says the run failed. A fresh start writes its header beside
 * and renames it into place, so a metrics.csv link to /dev/full is replaced, not written
 * through (a full disk at open: tests/test_runs.sh). */
static void test_failed_log(void)
{
    if (access("/dev/full", W_OK) != 0) {
        th_skip("the failed-write check: no /dev/full");
        return;
    }
    wu_error e = {0};
    wu_train_config c = tiny("gpt", "full");
    mkdir(c.out, 0755);
    char p[600];
    snprintf(p, sizeof p, "%s/metrics.csv", c.out);
    CHECK(symlink("/dev/full", p) == 0, "a metrics.csv that cannot be written");
    wu_run *r = (wu_run *)&e;
    int rc = wu_train_open(&r, &c, 0, &e);
    struct stat sb;
    CHECK(rc == WU_OK && lstat(p, &sb) == 0 && S_ISREG(sb.st_mode),
          "a fresh start replaces a metrics.csv link with the file it wrote (%d: %s)", rc, e.msg);
    if (rc == WU_OK) wu_train_close(r, NULL, &e);
    unlink(p);
    snprintf(p, sizeof p, "%s/summary.json", c.out);
    unlink(p);
    snprintf(p, sizeof p, "%s/metrics.csv", c.out);
    /* a row cannot be written: metrics.csv replaced by /dev/full after open */
    rc = wu_train_open(&r, &c, 0, &e);
    CHECK(rc == WU_OK, "open: %s", e.msg);
    if (rc != WU_OK) return;
    fclose(r->metrics);
    r->metrics = fopen("/dev/full", "w");
    CHECK(wu_train_step(r, NULL, &e) == WU_OK, "a step: %s", e.msg);
    rc = wu_train_log(r, &e);
    CHECK(rc == WU_EIO && strstr(e.msg, "cannot write") && strstr(e.msg, "no space left on device"),
          "the row cannot be written, and the disk is named: %d %s", rc, e.msg);
    CHECK(wu_train_log(r, &e) == WU_EIO && wu_train_checkpoint(r, &e) == WU_EIO,
          "a failed run logs nothing more and takes no checkpoint");
    CHECK(wu_train_step(r, NULL, &e) == WU_EINVAL && strstr(e.msg, "failed"), "nor steps: %s", e.msg);
    wu_train_result res;
    rc = wu_train_close(r, &res, &e);
    snprintf(p, sizeof p, "%s/summary.json", c.out);
    CHECK(rc == WU_EIO && access(p, F_OK) != 0 && res.failed,
          "close reports the failure (res.failed) and writes no summary");
    CHECK(wu_train_close(NULL, NULL, &e) == WU_OK, "closing NULL is a no-op");
}

static int count_lines(const char *dir, const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *s = th_slurp(p, NULL);
    int n = 0;
    for (char *q = s; q && *q; q++) n += *q == '\n';
    free(s);
    return s ? n : -1;
}

static int exists(const char *dir, const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* step, log, checkpoint and close only in their order: a row per step, each written once. */
static void test_order(void)
{
    wu_error e = {0};
    wu_train_config c = tiny("gpt", "order");
    c.steps = 4;
    wu_run *r;
    int rc = wu_train_open(&r, &c, 0, &e);
    CHECK(rc == WU_OK, "open: %s", e.msg);
    if (rc != WU_OK) return;
    CHECK(wu_train_log(r, &e) == WU_EINVAL && strstr(e.msg, "no row"), "no log before a step: %s", e.msg);
    wu_train_row a, b;
    CHECK(wu_train_step(r, &a, &e) == WU_OK && a.col[WU_METRIC_STEP] == 0, "step 0");
    CHECK(wu_train_step(r, &b, &e) == WU_EINVAL && strstr(e.msg, "not logged") && r->step == 1,
          "a second step before the log is refused and makes no update: %s", e.msg);
    CHECK(wu_train_checkpoint(r, &e) == WU_EINVAL && !exists(c.out, "checkpoint.bin"),
          "no checkpoint while a row is pending: %s", e.msg);
    CHECK(wu_train_log(r, &e) == WU_OK, "its log: %s", e.msg);
    CHECK(wu_train_log(r, &e) == WU_EINVAL && strstr(e.msg, "no step was made"),
          "the same row is not logged twice: %s", e.msg);
    CHECK(count_lines(c.out, "metrics.csv") == 2, "metrics.csv: the header and one row (%d lines)",
          count_lines(c.out, "metrics.csv"));
    CHECK(wu_train_checkpoint(r, &e) == WU_OK && exists(c.out, "checkpoint.bin"),
          "a checkpoint after the log: %s", e.msg);
    /* an unlogged row at close: neither checkpoint nor summary, an error */
    CHECK(wu_train_step(r, NULL, &e) == WU_OK, "step 1");
    char ck[600];
    snprintf(ck, sizeof ck, "%s/checkpoint.bin", c.out);
    long before = 0;
    free(th_slurp(ck, &before));
    wu_train_result res;
    rc = wu_train_close(r, &res, &e);
    long after = 0;
    free(th_slurp(ck, &after));
    CHECK(rc == WU_EINVAL && strstr(e.msg, "not logged") && !exists(c.out, "summary.json") &&
              res.steps_done == 2 && res.interrupted,
          "close refuses a run whose last step is not logged (rc %d: %s)", rc, e.msg);
    /* the checkpoint is still the one of step 1: it resumes to a run with a row per step */
    wu_train_config again;
    memset(&again, 0, sizeof again);
    snprintf(again.out, sizeof again.out, "%s", c.out);
    rc = run_steps(&again, 1, 0, &res, &e);
    CHECK(rc == WU_OK && res.steps_done == 4 && count_lines(c.out, "metrics.csv") == 5,
          "resumed from the last logged step: a row per step (rc %d: %s)", rc, e.msg);
    /* a finished run takes no more steps; wu_train takes a NULL result, as close does */
    c = tiny("gpt", "order2");
    c.steps = 2;
    rc = wu_train_open(&r, &c, 0, &e);
    for (int k = 0; rc == WU_OK && k < 2; k++) {
        rc = wu_train_step(r, NULL, &e);
        if (rc == WU_OK) rc = wu_train_log(r, &e);
    }
    CHECK(rc == WU_OK && wu_train_done(r), "two steps: %s", e.msg);
    if (rc == WU_OK) {
        CHECK(wu_train_step(r, NULL, &e) == WU_EINVAL && strstr(e.msg, "over") && r->step == 2,
              "a finished run takes no step: %s", e.msg);
        CHECK(wu_train_close(r, NULL, &e) == WU_OK && exists(c.out, "summary.json"), "closed: %s",
              e.msg);
    }
    c = tiny("gpt", "nores");
    c.steps = 3;
    CHECK(wu_train(&c, 0, 0, NULL, NULL, NULL, NULL, &e) == WU_OK && exists(c.out, "summary.json"),
          "wu_train without a result: %s", e.msg);
}

/* A batch the model refuses (a label outside its classes) fails the run with a message, in
 * training and in evaluation; nothing more is written. */
static void test_forward_fails(void)
{
    for (int eval = 0; eval < 2; eval++) {
        wu_error e = {0};
        wu_train_config c = tiny("mlp", eval ? "refused-eval" : "refused");
        c.eval_every = 1;
        wu_run *r;
        int rc = wu_train_open(&r, &c, 0, &e);
        CHECK(rc == WU_OK, "open: %s", e.msg);
        if (rc != WU_OK) continue;
        wu_images *im = eval ? &r->test : &r->train;
        for (int i = 0; i < im->n; i++) im->y[i] = 200; /* the MLP has 10 outputs */
        wu_train_row row;
        for (int i = 0; i < WU_METRIC_COUNT; i++) row.col[i] = -7;
        rc = wu_train_step(r, &row, &e);
        CHECK(rc == WU_EINVAL && strstr(e.msg, "step 0") && strstr(e.msg, "refused") &&
                  strstr(e.msg, eval ? "validation" : "training") && row.col[WU_METRIC_LOSS] == -7,
              "%s: the refused batch fails the step (rc %d: %s)", eval ? "evaluation" : "training",
              rc, e.msg);
        CHECK(wu_train_log(r, &e) == WU_EINVAL && wu_train_step(r, NULL, &e) == WU_EINVAL,
              "the run is failed");
        wu_train_result res;
        rc = wu_train_close(r, &res, &e);
        CHECK(rc == WU_EINVAL && !exists(c.out, "summary.json") && !exists(c.out, "checkpoint.bin") &&
                  count_lines(c.out, "metrics.csv") == 1,
              "close writes nothing more (rc %d)", rc);
    }
    /* the same through wu_train: its error, not a summary from an uninitialised loss */
    wu_train_config c = tiny("mlp", "refused-loop");
    make_images("img-bad", 14, 14, 10);
    snprintf(c.data, sizeof c.data, "%s", in_tmp("img-bad"));
    wu_error e = {0};
    wu_run *r;
    int rc = wu_train_open(&r, &c, 0, &e);
    if (rc == WU_OK) {
        r->train.y[r->train.n - 1] = 255;
        rc = WU_OK;
        while (rc == WU_OK && !wu_train_done(r))
            if ((rc = wu_train_step(r, NULL, &e)) == WU_OK) rc = wu_train_log(r, &e);
        int crc = wu_train_close(r, NULL, &e);
        CHECK(rc == WU_EINVAL && crc == WU_EINVAL && strstr(e.msg, "refused"),
              "the step that draws the bad label fails (rc %d: %s)", rc, e.msg);
    }
}

/* The shapes come from the data: classes from the labels (14 here), the vocabulary from the
 * corpus. */
static void test_shapes(void)
{
    make_images("img14c", 14, 14, 14);
    wu_error e = {0};
    wu_train_config c = tiny("mlp", "classes14");
    snprintf(c.data, sizeof c.data, "%s", in_tmp("img14c"));
    wu_run *r;
    int rc = wu_train_open(&r, &c, 0, &e);
    CHECK(rc == WU_OK, "open an MLP over labels 0..13: %s", e.msg);
    if (rc == WU_OK) {
        const wu_param_view *last = &r->net.views[r->net.nviews - 1];
        CHECK(r->train.classes == 14 && last->numel == 14 && r->pixels == 196,
              "14 classes from the labels: the output bias has %zu entries", (size_t)last->numel);
        rc = wu_train_step(r, NULL, &e);
        if (rc == WU_OK) rc = wu_train_log(r, &e);
        CHECK(rc == WU_OK, "a step over labels above 9: %s", e.msg);
        wu_train_close(r, NULL, &e);
    }
    c = tiny("gpt", "vocab");
    rc = wu_train_open(&r, &c, 0, &e);
    CHECK(rc == WU_OK && r->corpus.vocab == 256 && r->net.views[0].numel == (size_t)256 * c.dim,
          "the GPT's vocabulary is the corpus's: %s", e.msg);
    if (rc == WU_OK) wu_train_close(r, NULL, &e);
}

/* Messages of the engine name settings by field, never by a CLI flag; a failed resume leaves
 * the caller's configuration alone. */
static void test_messages(void)
{
    wu_error e = {0};
    wu_train_config c = tiny("gpt", "msg");
    c.steps = 10;
    snprintf(c.schedule, sizeof c.schedule, "torch:OneCycleLR(max_lr=0.001, total_steps=12)");
    wu_train_result res;
    int rc = run_steps(&c, 0, 4, &res, &e);
    CHECK(rc == WU_OK && res.interrupted, "a run stopped at 4 of 10: %s", e.msg);
    wu_train_config again;
    memset(&again, 0, sizeof again);
    snprintf(again.out, sizeof again.out, "%s", c.out);
    again.steps = 5;
    wu_run *r;
    /* issue 17: a torch: spec cannot be re-planned (the default), and the message names the
       restart policy by its field ... */
    again.steps = 20;
    rc = wu_train_open(&r, &again, WU_RESUME_REPLAN, &e);
    CHECK(rc == WU_EINVAL && !strncmp(e.msg, "steps: the schedule cannot be re-planned", 40) &&
              strstr(e.msg, "(extend)") && !strstr(e.msg, "--") && again.model[0] == 0,
          "a torch: spec resumed to another length: %s", e.msg);
    /* ... so these resumes restart it, as before */
    again.steps = 5;
    rc = wu_train_open(&r, &again, WU_RESUME_RESTART, &e);
    CHECK(rc == WU_EINVAL && !strncmp(e.msg, "steps: 5 is fewer than the 10 steps", 35) &&
              !strstr(e.msg, "--"),
          "a resume that would shorten the run: %s", e.msg);
    /* a resume that fails after reading the checkpoint: *cfg is not the checkpoint's */
    again.steps = 20;
    rc = wu_train_open(&r, &again, WU_RESUME_RESTART, &e);
    CHECK(rc == WU_EINVAL && !strncmp(e.msg, "steps: 20 is more than the 13 steps", 35) &&
              again.model[0] == 0 && again.steps == 20 && again.schedule[0] == 0,
          "the schedule's horizon, the caller's configuration untouched: %s", e.msg);
    if (rc == WU_OK) wu_train_close(r, NULL, &e);
    again.steps = 12;
    rc = wu_train_open(&r, &again, WU_RESUME_RESTART, &e);
    CHECK(rc == WU_OK && again.steps == 12 && !strcmp(again.model, "gpt") && again.batch == 4,
          "a resume that opens: the configuration read back: %s", e.msg);
    if (rc == WU_OK) wu_train_close(r, NULL, &e);
    c = tiny("gpt", "msg/metrics.csv");
    rc = wu_train_open(&r, &c, 0, &e);
    CHECK(rc == WU_EINVAL && !strncmp(e.msg, "out: ", 5) && strstr(e.msg, "is not a directory") &&
              !strstr(e.msg, "--"),
          "an out that is a file: %s", e.msg);
    c = tiny("gpt", "msg/metrics.csv/sub");
    rc = wu_train_open(&r, &c, 0, &e);
    CHECK(rc == WU_EIO && !strncmp(e.msg, "out: ", 5) && strstr(e.msg, "cannot be created") &&
              !strstr(e.msg, "--"),
          "an out that cannot be made: %s", e.msg);
}

/* One name table per kind. */
static void test_names(void)
{
    int ok = 1, n = 0;
    for (int k = 0; wu_optim_kind_name(k); k++, n++)
        ok &= wu_optim_kind_from_name(wu_optim_kind_name(k)) == k;
    CHECK(ok && n == 4 && wu_optim_kind_from_name("adamw") == WU_OPT_ADAMW &&
              !strcmp(wu_optim_kind_name(WU_OPT_RADAM), "radam") && wu_optim_kind_from_name("lion") < 0 &&
              wu_optim_kind_from_name(NULL) < 0 && !wu_optim_kind_name(-1),
          "optimizers by name (%d)", n);
    ok = 1, n = 0;
    for (int k = 0; wu_model_act_name(k); k++, n++) ok &= wu_model_act_from_name(wu_model_act_name(k)) == k;
    CHECK(ok && n == 3 && wu_model_act_from_name("gelu") == WU_ACT_GELU && wu_model_act_from_name("elu") < 0,
          "activations by name (%d)", n);
    ok = 1, n = 0;
    for (int k = 0; wu_model_pool_name(k); k++, n++) ok &= wu_model_pool_from_name(wu_model_pool_name(k)) == k;
    CHECK(ok && n == 2 && wu_model_pool_from_name("mean") == WU_POOL_MEAN && wu_model_pool_from_name("") < 0,
          "poolings by name (%d)", n);
    ok = 1, n = 0;
    for (int k = 0; wu_model_nth(k); k++, n++) ok &= wu_model_find(wu_model_nth(k)->name) == wu_model_nth(k);
    CHECK(ok && n == 3 && !wu_model_nth(-1), "models by name (%d)", n);
}

/* ---- the model interface ------------------------------------------------------------------- */

static void test_ops(void)
{
    CHECK(wu_model_find("gpt") == &wu_gpt_ops && wu_model_find("mlp") == &wu_mlp_ops &&
              wu_model_find("vit") == &wu_vit_ops && !wu_model_find("cnn") && !wu_model_find(NULL),
          "models by name");
    CHECK(wu_gpt_ops.input == WU_INPUT_TOKENS && wu_mlp_ops.input == WU_INPUT_IMAGES &&
              wu_vit_ops.input == WU_INPUT_IMAGES,
          "what each model reads");
    const wu_model_ops *all[3] = {&wu_gpt_ops, &wu_mlp_ops, &wu_vit_ops};
    for (int k = 0; k < 3; k++) {
        const wu_model_ops *ops = all[k];
        CHECK(ops->create && ops->forward && ops->backward && ops->parameters && ops->diagnostics &&
                  ops->destroy,
              "%s fills every op", ops->name);
        wu_model_config mc = wu_model_default_config();
        mc.batch = 3, mc.seq = 6, mc.vocab = 32, mc.rows = 14, mc.cols = 14, mc.classes = 5;
        mc.layers = 2, mc.heads = 2, mc.dim = 8, mc.depth = 2, mc.width = 12, mc.diag = WU_DIAG_ALL;
        wu_model m;
        wu_error e = {0};
        int rc = wu_model_create(&m, ops, &mc, &e);
        CHECK(rc == WU_OK && m.nparams > 0 && m.params && m.grads && m.nviews > 0, "%s: created: %s",
              ops->name, e.msg);
        if (rc != WU_OK) continue;
        int tok[18], y[18];
        float x[3 * 196];
        for (int i = 0; i < 18; i++) tok[i] = (i * 7) % 32, y[i] = (i * 5) % 5;
        for (int i = 0; i < 3 * 196; i++) x[i] = (float)((i * 37) % 101) / 100.0f;
        float loss = NAN;
        int correct = -1;
        rc = wu_model_forward(&m, ops->input == WU_INPUT_TOKENS ? (const void *)tok : (const void *)x, y,
                              3, &loss, &correct);
        wu_model_backward(&m);
        wu_model_diag d;
        wu_model_diagnostics(&m, &d);
        double g = 0;
        for (size_t i = 0; i < m.nparams; i++) g += (double)m.grads[i] * m.grads[i];
        int want_layers = k == 1 ? 3 : 2;
        CHECK(rc == WU_OK && isfinite(loss) && correct >= 0 && correct <= 3 && g > 0 &&
                  d.nlayers == want_layers && d.grad_norm_layer[0] > 0 && isfinite(d.out_max_logit),
              "%s: forward, backward and diagnostics (loss %g, %d layers)", ops->name, loss, d.nlayers);
        CHECK(k == 1 ? isnan(d.attn_max_logit) : isfinite(d.attn_max_logit),
              "%s: the attention diagnostic", ops->name);
        if (k == 1) /* the MLP's first layer takes the data's 14x14 pixels, its last its 5 classes */
            CHECK(m.views[0].numel == 196 * 12 && m.views[2 * 2 + 1].numel == 5, "the MLP's shapes come "
                  "from the data");
        int bad[18];
        memcpy(bad, y, sizeof bad);
        bad[2] = k == 0 ? 32 : 5;
        CHECK(wu_model_forward(&m, k == 0 ? (const void *)tok : (const void *)x, bad, 3, &loss, NULL) ==
                  WU_EINVAL,
              "%s: a target out of range is refused", ops->name);
        wu_model_destroy(&m);
        CHECK(m.ops == NULL && m.params == NULL, "%s: destroyed", ops->name);
    }
    wu_model zero;
    memset(&zero, 0, sizeof zero);
    wu_model_destroy(&zero); /* a no-op */
    /* a ViT over non-square images: a clear error */
    wu_model_config mc = wu_model_default_config();
    mc.batch = 2, mc.rows = 14, mc.cols = 21, mc.classes = 10, mc.dim = 8, mc.heads = 2, mc.layers = 1;
    wu_model m;
    wu_error e = {0};
    CHECK(wu_model_create(&m, &wu_vit_ops, &mc, &e) == WU_EINVAL && strstr(e.msg, "square"),
          "a ViT over 14x21 images: %s", e.msg);
}

/* Issue 19: the diagnostics as the WU_DIAG_* bits ask (a training step asks for the forward's
 * alone: no pass over the gradients for per-layer norms), the same forward statistics and the
 * same gradients either way; and wu_calloc_mapped's buffers are calloc's. */
static void test_diag_bits(void)
{
    const wu_model_ops *all[3] = {&wu_gpt_ops, &wu_mlp_ops, &wu_vit_ops};
    for (int k = 0; k < 3; k++) {
        wu_model m[2];
        wu_model_diag d[2];
        float loss[2];
        int ok = 1;
        for (int j = 0; j < 2; j++) {
            wu_model_config mc = wu_model_default_config();
            mc.batch = 3, mc.seq = 6, mc.vocab = 32, mc.rows = 14, mc.cols = 14, mc.classes = 5;
            mc.layers = 2, mc.heads = 2, mc.dim = 8, mc.depth = 2, mc.width = 12;
            mc.diag = j ? WU_DIAG_ALL : WU_DIAG_FORWARD;
            wu_error e = {0};
            if (wu_model_create(&m[j], all[k], &mc, &e) != WU_OK) {
                CHECK(0, "%s: created: %s", all[k]->name, e.msg);
                return;
            }
            int tok[18], y[18];
            float x[3 * 196];
            for (int i = 0; i < 18; i++) tok[i] = (i * 7) % 32, y[i] = (i * 5) % 5;
            for (int i = 0; i < 3 * 196; i++) x[i] = (float)((i * 37) % 101) / 100.0f;
            ok &= wu_model_forward(&m[j], k == 0 ? (const void *)tok : (const void *)x, y, 3,
                                   &loss[j], NULL) == WU_OK;
            wu_model_backward(&m[j]);
            wu_model_diagnostics(&m[j], &d[j]);
        }
        int nonzero = 0;
        for (int l = 0; l < d[0].nlayers; l++) nonzero += d[0].grad_norm_layer[l] != 0;
        CHECK(ok && loss[0] == loss[1] && d[0].out_max_logit == d[1].out_max_logit &&
                  d[0].logz_mean == d[1].logz_mean && isfinite(d[0].out_max_logit) &&
                  !memcmp(m[0].grads, m[1].grads, m[0].nparams * sizeof(float)),
              "%s: the same loss, forward statistics and gradients with or without WU_DIAG_GRADS",
              all[k]->name);
        CHECK(nonzero == 0 && d[1].grad_norm_layer[0] > 0,
              "%s: per-layer gradient norms only with WU_DIAG_GRADS (%d non-zero without, %g with)",
              all[k]->name, nonzero, d[1].grad_norm_layer[0]);
        wu_model_destroy(&m[0]);
        wu_model_destroy(&m[1]);
    }
    unsigned char *b = wu_calloc_mapped(3 * 4096 + 5, 1);
    int zero = b != NULL;
    for (size_t i = 0; b && i < 3 * 4096 + 5; i++) zero &= b[i] == 0;
    CHECK(zero, "wu_calloc_mapped: a zeroed buffer");
    free(b);
    CHECK(wu_calloc_mapped(SIZE_MAX / 2, 4) == NULL, "wu_calloc_mapped: NULL when n * size overflows");
}

/* The thread governor's choice (src/util/cpuload.c): the cores other processes leave free,
 * with a dead band so that a load wavering near one core's boundary does not flip the count. */
static void test_threads_pick(void)
{
    static const struct { int max, ncpu; double others; int cur, want; } t[] = {
        {2, 2, 0.00, 2, 2},  {2, 2, 0.40, 2, 2},  {2, 2, 0.55, 2, 1}, /* a half-used core: taken */
        {2, 2, 1.00, 2, 1},  {2, 2, 2.00, 2, 1},  {2, 2, 1.00, 1, 1}, /* never below one */
        {2, 2, 0.30, 1, 1},  {2, 2, 0.20, 1, 2},  {2, 2, 0.00, 1, 2}, /* freed below a quarter */
        {8, 8, 2.60, 8, 5},  {8, 8, 2.60, 5, 5},  {8, 8, 2.30, 5, 5}, /* 8 cores, two busy */
        {8, 8, 2.20, 5, 6},  {4, 8, 0.00, 4, 4},  {4, 8, 5.00, 4, 3}, /* max bounds it */
        {2, 2, -1.0, 1, 1},  {2, 2, -1.0, 2, 2},  {1, 2, 1.50, 1, 1}, /* unknown load: as is */
        {2, 2, 0.00, 0, 2},  {2, 2, 1.00, 9, 1},                      /* cur out of range */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int n = wu_cpuload_threads(t[i].max, t[i].ncpu, t[i].others, t[i].cur);
        CHECK(n == t[i].want, "threads(max %d, %d cores, others %.2f, now %d) = %d, want %d",
              t[i].max, t[i].ncpu, t[i].others, t[i].cur, n, t[i].want);
    }
    /* the sampler: a first sample where /proc/stat exists, and nothing before min_s passed */
    wu_cpuload s;
    int n = wu_cpuload_start(&s);
    CHECK(n >= 0, "cores: %d", n);
    if (n > 0) {
        CHECK(wu_cpuload_others(&s, 3600) == -1, "a sample inside min_s says nothing");
        double o = wu_cpuload_others(&s, 0);
        CHECK(o == -1 || (o >= 0 && o <= n), "others: %g of %d cores", o, n);
    }
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/wu_test_run_XXXXXX");
    if (!mkdtemp(tmp)) {
        printf("FAIL: cannot make a temporary directory: %s\n", strerror(errno));
        return 1;
    }
    make_images("img14", 14, 14, 10);
    test_columns();
    test_ops();
    test_diag_bits();
    test_model("gpt");
    test_model("mlp");
    test_model("vit");
    test_lr_exact();
    test_failed_log();
    test_order();
    test_forward_fails();
    test_shapes();
    test_messages();
    test_names();
    test_threads_pick();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) printf("  note: %s was not removed\n", tmp);
    return th_done("test_run");
}
