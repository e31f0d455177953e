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

/* n images of rows x cols with labels 0..9, into dir/<prefix>-images-idx3-ubyte and -labels- */
static void write_set(const char *dir, const char *prefix, int n, int rows, int cols, uint64_t seed)
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
    for (int i = 0; i < n; i++) b[8 + i] = (unsigned char)(wu_rng_u64(&r) % 10);
    snprintf(p, sizeof p, "%s/%s-labels-idx1-ubyte", dir, prefix);
    f = fopen(p, "wb");
    fwrite(b, 1, 8 + (size_t)n, f);
    fclose(f);
    free(b);
}

static void make_images(const char *name, int rows, int cols)
{
    const char *dir = in_tmp(name);
    mkdir(dir, 0755);
    write_set(dir, "train", 48, rows, cols, 1);
    write_set(dir, "t10k", 32, rows, cols, 2);
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
        wu_train_step(r, &row);
        rows_ok &= row.col[WU_METRIC_STEP] == (double)row.step && (last < 0 || row.step == last + 1);
        last = row.step;
        rc = wu_train_log(r, &row, e);
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
    CHECK(!strcmp(buf, "7,0.33333333333333331,2.5,,,,,,,,,,,,,,,1.250\n"), "a row: %s", buf);
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

/* metrics.csv cannot be written: the run fails, and close writes no summary. */
static void test_failed_log(void)
{
    if (access("/dev/full", W_OK) != 0) {
        printf("  note: no /dev/full, the failed-write check is skipped\n");
        return;
    }
    wu_error e = {0};
    wu_train_config c = tiny("gpt", "full");
    mkdir(c.out, 0755);
    char p[600];
    snprintf(p, sizeof p, "%s/metrics.csv", c.out);
    CHECK(symlink("/dev/full", p) == 0, "a metrics.csv that cannot be written");
    wu_run *r;
    int rc = wu_train_open(&r, &c, 0, &e);
    CHECK(rc == WU_OK, "open: %s", e.msg);
    if (rc != WU_OK) return;
    wu_train_row row;
    wu_train_step(r, &row);
    rc = wu_train_log(r, &row, &e);
    CHECK(rc == WU_EIO && strstr(e.msg, "cannot write"), "the row cannot be written: %d %s", rc, e.msg);
    CHECK(wu_train_checkpoint(r, &e) == WU_EIO, "a failed run takes no checkpoint");
    wu_train_result res;
    rc = wu_train_close(r, &res, &e);
    snprintf(p, sizeof p, "%s/summary.json", c.out);
    CHECK(rc == WU_EIO && access(p, F_OK) != 0, "close reports the failure and writes no summary");
    CHECK(wu_train_close(NULL, NULL, &e) == WU_OK, "closing NULL is a no-op");
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
        mc.layers = 2, mc.heads = 2, mc.dim = 8, mc.depth = 2, mc.width = 12, mc.diag = 1;
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

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/wu_test_run_XXXXXX");
    if (!mkdtemp(tmp)) {
        printf("FAIL: cannot make a temporary directory: %s\n", strerror(errno));
        return 1;
    }
    make_images("img14", 14, 14);
    test_columns();
    test_ops();
    test_model("gpt");
    test_model("mlp");
    test_model("vit");
    test_lr_exact();
    test_failed_log();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) printf("  note: %s was not removed\n", tmp);
    return th_done("test_run");
}
