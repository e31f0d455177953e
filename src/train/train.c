/* train.c - a training run's configuration (defaults, checks, its JSON form) and the loop
 * wu_train over the step API: wu_train_open / _step / _log / _checkpoint / _close (run.c,
 * step.c). */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "../util/fail.h"
#include "run.h"

void wu_train_defaults(wu_train_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->model, sizeof c->model, "gpt");
    snprintf(c->data, sizeof c->data, "builtin");
    snprintf(c->schedule, sizeof c->schedule, "warmup(10%%) > cosine(to=0.1)");
    snprintf(c->optimizer, sizeof c->optimizer, "adamw");
    snprintf(c->act, sizeof c->act, "relu");
    snprintf(c->pool, sizeof c->pool, "cls");
    c->lr = 1e-3;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->weight_decay = 0.01;
    c->steps = 400;
    c->batch = 16;
    c->seed = 1;
    c->layers = 4, c->heads = 4, c->dim = 128, c->seq = 64;
    c->depth = 2, c->width = 256;
    c->eval_every = 50;
    c->eval_batches = 8;
    c->builtin_bytes = 1 << 20;
    c->diverge_factor = 2.0;
    snprintf(c->on_nonfinite, sizeof c->on_nonfinite, "stop");
    c->inject_nonfinite = -1;
    c->inject_count = 1;
}

static int kind_of(const char *m)
{
    return !strcmp(m, "gpt") ? WU_NET_GPT : !strcmp(m, "mlp") ? WU_NET_MLP
         : !strcmp(m, "vit") ? WU_NET_VIT : -1;
}

static int opt_of(const char *o)
{
    return !strcmp(o, "sgd") ? WU_OPT_SGD : !strcmp(o, "adam") ? WU_OPT_ADAM
         : !strcmp(o, "adamw") ? WU_OPT_ADAMW : !strcmp(o, "radam") ? WU_OPT_RADAM : -1;
}

/* Is `path` a directory holding IDX image files? */
static int is_idx_dir(const char *path)
{
    char p[600];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", path);
    if (access(p, R_OK) == 0) return 1;
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", path);
    return access(p, R_OK) == 0;
}

int wu_train_check(const wu_train_config *c, wu_error *err)
{
    int kind = kind_of(c->model);
    if (kind < 0) return wu_fail(err, WU_EINVAL, "unknown model '%s': use gpt, mlp or vit", c->model);
    if (opt_of(c->optimizer) < 0)
        return wu_fail(err, WU_EINVAL, "unknown optimizer '%s': use sgd, adam, adamw or radam",
                       c->optimizer);
    if (!(c->lr > 0) || !isfinite(c->lr)) return wu_fail(err, WU_EINVAL, "--lr must be a positive number");
    if (c->steps < 1 || c->batch < 1) return wu_fail(err, WU_EINVAL, "--steps and --batch must be at least 1");
    if (!(c->clip >= 0)) return wu_fail(err, WU_EINVAL, "--clip must be >= 0 (0: no clipping)");
    if (strcmp(c->on_nonfinite, "stop") && strcmp(c->on_nonfinite, "skip"))
        return wu_fail(err, WU_EINVAL, "--on-nonfinite '%s': use stop (end the run as diverged) or "
                       "skip (skip that update and go on)", c->on_nonfinite);
    if (c->eval_every < 0 || c->checkpoint_every < 0)
        return wu_fail(err, WU_EINVAL, "--eval-every and --checkpoint-every must be >= 0");
    int images = !strcmp(c->data, "fashion-mnist") || is_idx_dir(c->data);
    if (!images && strcmp(c->data, "builtin") && access(c->data, R_OK) != 0)
        return wu_fail(err, WU_EINVAL, "cannot read --data '%s': %s (use builtin, fashion-mnist, a "
                       "text file or a directory)", c->data, strerror(errno));
    if (kind == WU_NET_GPT && images)
        return wu_fail(err, WU_EINVAL, "the GPT reads text: --data builtin or a text file or "
                       "directory, not images");
    if (kind != WU_NET_GPT && !images)
        return wu_fail(err, WU_EINVAL, "the %s classifies images: --data fashion-mnist or a directory "
                       "of Fashion-MNIST IDX files, not '%s'", c->model, c->data);
    if (kind == WU_NET_MLP && strcmp(c->act, "relu") && strcmp(c->act, "gelu") && strcmp(c->act, "tanh"))
        return wu_fail(err, WU_EINVAL, "unknown activation '%s': use relu, gelu or tanh", c->act);
    if (kind == WU_NET_VIT && strcmp(c->pool, "cls") && strcmp(c->pool, "mean"))
        return wu_fail(err, WU_EINVAL, "unknown pooling '%s': use cls or mean", c->pool);
    wu_optim_config oc;
    wu_optim_defaults(&oc, opt_of(c->optimizer));
    oc.lr = c->lr, oc.beta1 = c->beta1, oc.beta2 = c->beta2, oc.eps = c->eps;
    oc.momentum = c->momentum, oc.weight_decay = c->weight_decay;
    return wu_optim_check(&oc, err);
}

/* ---- the configuration as JSON ------------------------------------------------------------ */

void wu_train_config_json(FILE *f, const wu_train_config *c)
{
    fputs("{\"model\": ", f);
    wu_json_string(f, c->model);
    fputs(", \"data\": ", f);
    wu_json_string(f, c->data);
    fputs(", \"schedule\": ", f);
    wu_json_string(f, c->schedule);
    fprintf(f, ", \"lr\": %.17g, \"optimizer\": ", c->lr);
    wu_json_string(f, c->optimizer);
    fprintf(f, ", \"beta1\": %.17g, \"beta2\": %.17g, \"eps\": %.17g, \"momentum\": %.17g, "
               "\"weight_decay\": %.17g, \"clip\": %.17g, \"steps\": %lld, \"batch\": %d, "
               "\"seed\": %llu, \"layers\": %d, \"heads\": %d, \"dim\": %d, \"seq\": %d, "
               "\"post_ln\": %s, \"depth\": %d, \"width\": %d, \"act\": ",
            c->beta1, c->beta2, c->eps, c->momentum, c->weight_decay, c->clip, (long long)c->steps,
            c->batch, (unsigned long long)c->seed, c->layers, c->heads, c->dim, c->seq,
            c->post_ln ? "true" : "false", c->depth, c->width);
    wu_json_string(f, c->act);
    fputs(", \"pool\": ", f);
    wu_json_string(f, c->pool);
    fprintf(f, ", \"eval_every\": %d, \"eval_batches\": %d, \"builtin_bytes\": %lld, "
               "\"on_nonfinite\": ", c->eval_every, c->eval_batches, (long long)c->builtin_bytes);
    wu_json_string(f, c->on_nonfinite);
    if (c->inject_nonfinite >= 0)
        fprintf(f, ", \"inject_nonfinite\": %lld, \"inject_count\": %lld",
                (long long)c->inject_nonfinite, (long long)c->inject_count);
    fputc('}', f);
}

/* ---- the loop ------------------------------------------------------------------------------- */

int wu_train(wu_train_config *cfg, int resume, int64_t stop_after, volatile sig_atomic_t *stop,
             wu_train_cb cb, void *cb_ctx, wu_train_result *res, wu_error *err)
{
    if (res) memset(res, 0, sizeof *res);
    wu_run *r;
    int rc = wu_train_open(&r, cfg, resume, err);
    if (rc != WU_OK) return rc;
    const wu_train_config *c = &r->c;
    while (!wu_train_done(r)) {
        if ((stop && *stop) || (stop_after > 0 && r->step - r->started >= stop_after)) break;
        wu_train_row row;
        if ((rc = wu_train_step(r, &row, err)) != WU_OK || (rc = wu_train_log(r, err)) != WU_OK) break;
        if (cb) {
            double dt = wu_run_now() - r->session_t0;
            wu_train_progress p = {
                .step = r->step, .steps = c->steps, .loss = (float)row.col[WU_METRIC_LOSS],
                .val_loss = (float)row.col[WU_METRIC_VAL_LOSS], .lr = row.col[WU_METRIC_LR],
                .items_per_s = dt > 0 ? r->session_items / dt : 0,
                .eta_s = dt > 0 ? dt / (double)(r->step - r->started) * (double)(c->steps - r->step) : 0,
                .nonfinite = row.nonfinite, .skipped = row.skipped, .gave_up = row.gave_up};
            cb(&p, cb_ctx);
        }
        if (c->checkpoint_every > 0 && r->step % c->checkpoint_every == 0 && !r->tr.diverged &&
            (rc = wu_train_checkpoint(r, err)) != WU_OK)
            break;
    }
    int crc = wu_train_close(r, res, err);
    return rc != WU_OK ? rc : crc;
}
