/* train.c - one training run: building it from a configuration, the step loop, metrics,
 * evaluation, divergence and spikes, and the summary.
 *
 * A step k: the LR for update k from the schedule; a batch (text: random windows drawn with the
 * run's data RNG; images: the loader's shuffled order); forward with diagnostics; backward;
 * gradient norm (and clipping); the optimizer update with its statistics; one metrics row.
 * Everything a step consumes is a function of the seed and the step count, so a resumed run
 * repeats an uninterrupted one exactly (tests/test_train.sh checks it bit for bit). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/outfile.h"
#include "run.h"
#include "../util/fail.h"

#define METRICS_HEADER                                                                         \
    "step,lr,loss,grad_norm,update_ratio,update_rms,v_mean,v_min,v_max,v_frac_below_eps,radam_rect,"     \
    "attn_max_logit,out_max_logit,logz_mean,acc,val_loss,val_acc,time_s\n"

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

/* ---- building a run ------------------------------------------------------------------------ */

static void run_free(wu_run *r)
{
    wu_net_destroy(&r->net);
    wu_optim_destroy(r->opt);
    wu_schedule_destroy(r->sched);
    wu_corpus_free(&r->corpus);
    wu_images_free(&r->train);
    wu_images_free(&r->test);
    wu_loader_free(&r->loader);
    free(r->tok), free(r->tgt), free(r->idx), free(r->labels), free(r->x);
}

static int run_build(wu_run *r, wu_error *err)
{
    const wu_train_config *c = &r->c;
    int rc = wu_train_check(c, err);
    if (rc != WU_OK) return rc;
    int kind = kind_of(c->model);
    r->text = kind == WU_NET_GPT;
    /* data */
    if (r->text) {
        rc = !strcmp(c->data, "builtin")
                 ? wu_corpus_builtin(&r->corpus, (size_t)c->builtin_bytes, c->seed, 0.1, err)
                 : wu_corpus_load(&r->corpus, c->data, 0.1, err);
        if (rc == WU_OK) rc = wu_corpus_check(&r->corpus, c->seq, err);
        if (rc != WU_OK) return rc;
        wu_rng_seed(&r->data_rng, c->seed * 0x51ed2701ull + 17);
    } else {
        rc = wu_fashion_load(&r->train, &r->test, strcmp(c->data, "fashion-mnist") ? c->data : NULL, err);
        if (rc == WU_OK) rc = wu_loader_init(&r->loader, r->train.n, c->batch, c->seed, err);
        if (rc != WU_OK) return rc;
    }
    /* model */
    wu_net_config nc = {.kind = kind, .B = c->batch, .T = r->text ? c->seq : 1, .layers = c->layers,
                        .heads = c->heads, .dim = c->dim, .post_ln = c->post_ln,
                        .depth = c->depth, .width = c->width,
                        .act = !strcmp(c->act, "gelu") ? WU_ACT_GELU : !strcmp(c->act, "tanh") ? WU_ACT_TANH : WU_ACT_RELU,
                        .pool = strcmp(c->pool, "mean") ? WU_POOL_CLS : WU_POOL_MEAN, .vocab = 256};
    if ((rc = wu_net_create(&r->net, &nc, err)) != WU_OK) return rc;
    wu_net_init(&r->net, c->seed);
    wu_net_set_diag(&r->net, 1);
    /* schedule and optimizer: no weight decay on biases and norm gains, as usual */
    wu_sched_opts so = {.lr = c->lr, .total_steps = c->steps,
                        .steps_per_epoch = r->text ? 0 : r->loader.steps_per_epoch};
    if ((rc = wu_schedule_parse(c->schedule, &so, &r->sched, err)) != WU_OK) return rc;
    if (c->steps > wu_sched_horizon(r->sched))
        return wu_fail(err, WU_EINVAL, "the schedule is defined for %lld steps, fewer than --steps %lld",
                       (long long)wu_sched_horizon(r->sched), (long long)c->steps);
    wu_optim_config oc;
    wu_optim_defaults(&oc, opt_of(c->optimizer));
    oc.lr = c->lr, oc.beta1 = c->beta1, oc.beta2 = c->beta2, oc.eps = c->eps;
    oc.momentum = c->momentum, oc.weight_decay = c->weight_decay;
    int *vg = malloc(sizeof(int) * (size_t)r->net.nviews);
    if (!vg) return wu_fail(err, WU_ENOMEM, "out of memory");
    wu_optim_decay_groups(r->net.views, r->net.nviews, vg);
    wu_optim_config groups[2] = {oc, oc};
    groups[1].weight_decay = 0.0;
    rc = wu_optim_create(&r->opt, &oc, r->net.nparams, r->net.views, r->net.nviews, vg, groups, 2, err);
    free(vg);
    if (rc != WU_OK) return rc;
    wu_optim_set_schedule(r->opt, r->sched);
    /* batch buffers */
    size_t N = (size_t)c->batch * (r->text ? (size_t)c->seq : 1);
    r->tok = malloc(sizeof(int) * N), r->tgt = malloc(sizeof(int) * N);
    r->idx = malloc(sizeof(int) * (size_t)c->batch), r->labels = malloc(sizeof(int) * (size_t)c->batch);
    r->x = malloc(sizeof(float) * (size_t)c->batch * 784);
    if (!r->tok || !r->tgt || !r->idx || !r->labels || !r->x) return wu_fail(err, WU_ENOMEM, "out of memory");
    r->tr.best_loss = INFINITY;
    r->tr.diverged_at = -1;
    r->tr.last_val_loss = r->tr.last_val_acc = NAN; /* null in the summary until an evaluation */
    r->tr.first_nonfinite = -1;
    return WU_OK;
}

/* ---- one step and evaluation --------------------------------------------------------------- */

static void next_batch(wu_run *r)
{
    if (r->text) {
        wu_corpus_batch(&r->corpus, WU_SPLIT_TRAIN, &r->data_rng, r->c.batch, r->c.seq, r->tok, r->tgt);
        return;
    }
    wu_loader_next(&r->loader, r->idx);
    for (int b = 0; b < r->c.batch; b++) {
        memcpy(r->x + (size_t)b * 784, r->train.x + (size_t)r->idx[b] * 784, sizeof(float) * 784);
        r->labels[b] = r->train.y[r->idx[b]];
    }
}

/* Mean validation loss (and accuracy for images), from a fixed sample, without touching the
 * training RNG or loader. */
static void evaluate(wu_run *r, float *loss, float *acc)
{
    const int B = r->c.batch;
    double sum = 0;
    int n = 0, correct = 0, total = 0;
    if (r->text) {
        wu_rng er;
        wu_rng_seed(&er, r->c.seed ^ 0xe7a1a7e5ull);
        for (int k = 0; k < r->c.eval_batches; k++) {
            float l;
            wu_corpus_batch(&r->corpus, WU_SPLIT_VAL, &er, B, r->c.seq, r->tok, r->tgt);
            wu_net_forward(&r->net, r->tok, r->tgt, B, &l, NULL);
            sum += l, n++;
        }
        *acc = NAN;
    } else {
        int limit = r->test.n < 2048 ? r->test.n : 2048;
        for (int at = 0; at + B <= limit; at += B) {
            float l;
            int ok;
            for (int b = 0; b < B; b++) r->labels[b] = r->test.y[at + b];
            wu_net_forward(&r->net, r->test.x + (size_t)at * 784, r->labels, B, &l, &ok);
            sum += l, n++, correct += ok, total += B;
        }
        *acc = total ? (float)correct / (float)total : NAN;
    }
    *loss = n ? (float)(sum / n) : NAN;
}

static void put_num(FILE *f, double v, int last)
{
    if (isnan(v)) fputs(last ? "\n" : ",", f);
    else fprintf(f, last ? "%.9g\n" : "%.9g,", v);
}

/* A spike: a loss more than 3 standard deviations and 0.1 nats above the mean of the previous
 * 20 losses; a run of consecutive spiking steps counts once. */
static void track(wu_tracker *t, int64_t step, float loss)
{
    if (!t->have_first) { /* step 0, or the first step after skipped ones */
        t->first_loss = loss;
        t->have_first = 1;
    }
    if (loss < t->best_loss) {
        t->best_loss = loss;
        t->best_step = step;
    }
    t->last_loss = loss;
    if (t->nwin >= WU_SPIKE_WINDOW) {
        double m = 0, v = 0;
        for (int i = 0; i < WU_SPIKE_WINDOW; i++) m += t->window[i];
        m /= WU_SPIKE_WINDOW;
        for (int i = 0; i < WU_SPIKE_WINDOW; i++) v += (t->window[i] - m) * (t->window[i] - m);
        double sd = sqrt(v / (WU_SPIKE_WINDOW - 1));
        int spike = loss > m + 3 * sd && loss > m + 0.1;
        if (spike && !t->in_spike) t->spikes++;
        t->in_spike = spike;
    }
    t->window[t->nwin % WU_SPIKE_WINDOW] = loss;
    t->nwin++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the summary ----------------------------------------------------------------------------- */

static void json_num(FILE *f, const char *key, double v, int comma)
{
    fprintf(f, "  \"%s\": ", key);
    if (isfinite(v)) fprintf(f, "%.9g", v);
    else fputs("null", f);
    fputs(comma ? ",\n" : "\n", f);
}

static int write_summary(const wu_run *r, const wu_train_result *res, wu_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", r->c.out);
    wu_outfile o;
    if (wu_outfile_open(&o, path, err)) return err->code;
    FILE *f = o.f;
    fputs("{\n  \"config\": ", f);
    wu_train_config_json(f, &r->c);
    fprintf(f, ",\n  \"parameters\": %zu,\n", r->net.nparams);
    fprintf(f, "  \"status\": \"%s\",\n", res->diverged ? "diverged"
                                          : res->interrupted ? "interrupted" : "completed");
    fprintf(f, "  \"steps_done\": %lld,\n", (long long)res->steps_done);
    json_num(f, "first_loss", res->first_loss, 1);
    json_num(f, "final_loss", res->final_loss, 1);
    json_num(f, "best_loss", res->best_loss, 1);
    fprintf(f, "  \"best_step\": %lld,\n", (long long)res->best_step);
    json_num(f, "final_val_loss", res->final_val_loss, 1);
    json_num(f, "final_val_acc", res->final_val_acc, 1);
    fprintf(f, "  \"diverged\": %s,\n", res->diverged ? "true" : "false");
    if (res->diverged_at >= 0) fprintf(f, "  \"diverged_at\": %lld,\n", (long long)res->diverged_at);
    else fputs("  \"diverged_at\": null,\n", f);
    fprintf(f, "  \"spikes\": %d,\n", res->spikes);
    fprintf(f, "  \"nonfinite_steps\": %lld,\n", (long long)res->nonfinite_steps);
    if (res->first_nonfinite_step >= 0)
        fprintf(f, "  \"first_nonfinite_step\": %lld,\n", (long long)res->first_nonfinite_step);
    else fputs("  \"first_nonfinite_step\": null,\n", f);
    json_num(f, "max_grad_norm_first_10pct", res->max_grad_norm_early, 1);
    json_num(f, r->text ? "tokens_per_s" : "images_per_s", res->items_per_s, 1);
    json_num(f, "wall_time_s", res->wall_s, 0);
    fputs("}\n", f);
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}

int wu_train_init_grad_norms(const wu_train_config *cfg, int batches, double *norms, int max,
                             int *n, wu_error *err)
{
    wu_run r;
    memset(&r, 0, sizeof r);
    r.c = *cfg;
    *n = 0;
    int rc = run_build(&r, err);
    if (rc == WU_OK) {
        double sum[64] = {0};
        int L = 0;
        for (int b = 0; b < batches; b++) {
            float loss;
            int correct;
            next_batch(&r);
            wu_net_forward(&r.net, r.text ? (const void *)r.tok : (const void *)r.x,
                           r.text ? r.tgt : r.labels, r.c.batch, &loss, &correct);
            wu_net_backward(&r.net);
            double g[64];
            L = wu_net_grad_norm_layers(&r.net, g, max < 64 ? max : 64);
            for (int l = 0; l < L; l++) sum[l] += g[l];
        }
        for (int l = 0; l < L; l++) norms[l] = batches > 0 ? sum[l] / batches : NAN;
        *n = L;
    }
    run_free(&r);
    return rc;
}

/* ---- the loop ------------------------------------------------------------------------------- */

int wu_train(wu_train_config *cfg, int resume, int64_t stop_after, volatile sig_atomic_t *stop,
             wu_train_cb cb, void *cb_ctx, wu_train_result *res, wu_error *err)
{
    wu_run r;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    unsigned char *blob = NULL;
    size_t blen = 0;
    int rc;
    r.c = *cfg;
    if (resume) {
        wu_train_config saved;
        if ((rc = wu_ckpt_read(cfg->out, &saved, &blob, &blen, err)) != WU_OK) return rc;
        if (cfg->steps > 0 && cfg->steps < saved.steps) {
            free(blob);
            return wu_fail(err, WU_EINVAL, "--steps %lld is fewer than the %lld steps of the run in %s: "
                           "a resumed run can only be extended", (long long)cfg->steps,
                           (long long)saved.steps, cfg->out);
        }
        int64_t steps = cfg->steps > saved.steps ? cfg->steps : saved.steps;
        snprintf(saved.out, sizeof saved.out, "%s", cfg->out);
        saved.steps = steps;
        r.c = saved;
        *cfg = saved;
    }
    /* the run directory: created if missing; an existing non-directory is an error */
    struct stat sb;
    if (stat(r.c.out, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        free(blob);
        return wu_fail(err, WU_EINVAL, "--out %s exists and is not a directory", r.c.out);
    }
    if ((rc = run_build(&r, err)) != WU_OK) {
        free(blob);
        run_free(&r);
        return rc;
    }
    if (!resume && mkdir(r.c.out, 0755) != 0 && errno != EEXIST) {
        rc = wu_fail(err, WU_EIO, "cannot create --out %s: %s", r.c.out, strerror(errno));
        run_free(&r);
        return rc;
    }
    if (resume && (rc = wu_ckpt_apply(&r, blob, blen, err)) != WU_OK) {
        free(blob);
        run_free(&r);
        return rc;
    }
    free(blob);
    /* metrics.csv: new, or cut back to the rows the checkpoint covers */
    char mpath[600];
    snprintf(mpath, sizeof mpath, "%s/metrics.csv", r.c.out);
    FILE *mf = NULL;
    if (resume) {
        /* truncate() would pad a file shorter than the checkpoint's offset with zero bytes */
        if (stat(mpath, &sb) == 0 && sb.st_size < r.metrics_off) {
            rc = wu_fail(err, WU_EIO, "%s holds %lld bytes but the checkpoint covers %lld: it was "
                         "changed after the checkpoint was written; start the run again",
                         mpath, (long long)sb.st_size, (long long)r.metrics_off);
            run_free(&r);
            return rc;
        }
        if (truncate(mpath, r.metrics_off) == 0) mf = fopen(mpath, "a");
    } else {
        /* a fresh run in a used directory: the old checkpoint and summary are not about it */
        char old[600];
        snprintf(old, sizeof old, "%s/checkpoint.bin", r.c.out);
        unlink(old);
        snprintf(old, sizeof old, "%s/summary.json", r.c.out);
        unlink(old);
        mf = fopen(mpath, "w");
        if (mf) {
            fputs(METRICS_HEADER, mf);
            r.metrics_off = ftell(mf);
        }
    }
    if (!mf) {
        rc = wu_fail(err, WU_EIO, "cannot write %s: %s", mpath, strerror(errno));
        run_free(&r);
        return rc;
    }

    const wu_train_config *c = &r.c;
    const double items = (double)c->batch * (r.text ? c->seq : 1);
    const int64_t early = c->steps / 10 > 0 ? c->steps / 10 : 1;
    double t0 = now_s(), session_t0 = t0, session_items = 0;
    int64_t started = r.step;
    int stopped = 0;
    while (r.step < c->steps && !r.tr.diverged) {
        const int64_t k = r.step;
        if ((stop && *stop) || (stop_after > 0 && k - started >= stop_after)) {
            stopped = 1;
            break;
        }
        double lr = wu_optim_lr(r.opt, 0);
        next_batch(&r);
        float loss;
        int correct;
        wu_net_forward(&r.net, r.text ? (const void *)r.tok : (const void *)r.x,
                       r.text ? r.tgt : r.labels, c->batch, &loss, &correct);
        float attn = wu_net_attn_max_logit(&r.net), outmax = wu_net_out_max_logit(&r.net);
        float logz = wu_net_logz_mean(&r.net);
        double gnorm = NAN;
        wu_optim_stats st;
        memset(&st, 0, sizeof st);
        st.update_ratio = NAN;
        int finite = isfinite(loss), nonfinite = finite ? 0 : 1, skipped = 0;
        if (finite) {
            wu_net_backward(&r.net);
            if (c->inject_nonfinite >= 0 && k >= c->inject_nonfinite &&
                k - c->inject_nonfinite < c->inject_count)
                r.net.grads[r.net.nparams / 2] = NAN; /* a test's fault */
            gnorm = wu_clip_grad_norm(r.net.grads, r.net.nparams, c->clip);
            finite = isfinite(gnorm);
            if (!finite) nonfinite = 2;
        }
        if (nonfinite) {
            r.tr.nonfinite++;
            if (r.tr.first_nonfinite < 0) r.tr.first_nonfinite = k;
            r.tr.nonfinite_run++;
            skipped = !strcmp(c->on_nonfinite, "skip") && r.tr.nonfinite_run < WU_MAX_NONFINITE_RUN;
        } else {
            r.tr.nonfinite_run = 0;
        }
        if (finite) wu_optim_step(r.opt, r.net.params, r.net.grads, &st);
        r.step++;
        session_items += items;
        if (isfinite(loss) || !skipped) track(&r.tr, k, loss);
        if (k < early && gnorm > r.tr.max_gnorm_early) r.tr.max_gnorm_early = gnorm;
        /* divergence: a non-finite loss or gradient (unless skipped), or a loss far above the
           first one */
        if ((nonfinite && !skipped) ||
            (k > 0 && r.tr.have_first && loss > c->diverge_factor * r.tr.first_loss)) {
            r.tr.diverged = 1;
            r.tr.diverged_at = k;
        }
        float vl = NAN, va = NAN;
        int last = r.step == c->steps;
        if (!r.tr.diverged && ((c->eval_every > 0 && r.step % c->eval_every == 0) || last)) {
            evaluate(&r, &vl, &va);
            r.tr.last_val_loss = vl;
            r.tr.last_val_acc = va;
        }
        int adam = st.v_max > 0 || st.v_mean > 0;
        double elapsed = r.elapsed_before + (now_s() - t0);
        fprintf(mf, "%lld,", (long long)k);
        put_num(mf, lr, 0);
        put_num(mf, loss, 0);
        put_num(mf, gnorm, 0);
        put_num(mf, st.update_ratio, 0);
        put_num(mf, finite ? st.update_norm / sqrt((double)r.net.nparams) : NAN, 0);
        put_num(mf, adam ? st.v_mean : NAN, 0);
        put_num(mf, adam ? st.v_min : NAN, 0);
        put_num(mf, adam ? st.v_max : NAN, 0);
        put_num(mf, adam ? st.v_frac_below_eps : NAN, 0);
        put_num(mf, opt_of(c->optimizer) == WU_OPT_RADAM ? st.radam_rect : NAN, 0);
        put_num(mf, attn, 0);
        put_num(mf, outmax, 0);
        put_num(mf, logz, 0);
        put_num(mf, r.text ? NAN : (double)correct / c->batch, 0);
        put_num(mf, vl, 0);
        put_num(mf, va, 0);
        fprintf(mf, "%.3f\n", elapsed);
        long off = fflush(mf) == 0 && !ferror(mf) ? ftell(mf) : -1;
        if (off < 0) {
            rc = wu_fail(err, WU_EIO, "cannot write %s: %s", mpath, strerror(errno));
            break;
        }
        r.metrics_off = off;
        if (cb) {
            double dt = now_s() - session_t0;
            wu_train_progress p = {.step = r.step, .steps = c->steps, .loss = loss, .val_loss = vl,
                                   .lr = lr, .items_per_s = dt > 0 ? session_items / dt : 0,
                                   .eta_s = dt > 0 ? dt / (double)(r.step - started) *
                                                         (double)(c->steps - r.step) : 0,
                                   .nonfinite = nonfinite, .skipped = skipped,
                                   .gave_up = nonfinite && !skipped && !strcmp(c->on_nonfinite, "skip")};
            cb(&p, cb_ctx);
        }
        if (c->checkpoint_every > 0 && r.step % c->checkpoint_every == 0 && !r.tr.diverged) {
            r.elapsed_before = elapsed;
            t0 = now_s();
            if ((rc = wu_ckpt_save(&r, err)) != WU_OK) break;
        }
    }
    if (fclose(mf) != 0 && rc == WU_OK)
        rc = wu_fail(err, WU_EIO, "cannot write %s: %s", mpath, strerror(errno));
    double wall = r.elapsed_before + (now_s() - t0);
    res->steps_done = r.step;
    res->first_loss = r.tr.first_loss;
    res->final_loss = r.tr.last_loss;
    res->best_loss = r.tr.best_loss;
    res->best_step = r.tr.best_step;
    res->final_val_loss = r.tr.last_val_loss;
    res->final_val_acc = r.tr.last_val_acc;
    res->diverged = r.tr.diverged;
    res->diverged_at = r.tr.diverged_at;
    res->spikes = r.tr.spikes;
    res->nonfinite_steps = r.tr.nonfinite;
    res->first_nonfinite_step = r.tr.first_nonfinite;
    res->max_grad_norm_early = r.tr.max_gnorm_early;
    res->wall_s = wall;
    double sdt = now_s() - session_t0;
    res->items_per_s = sdt > 0 ? session_items / sdt : 0;
    res->interrupted = stopped;
    if (rc == WU_OK && stopped) {
        r.elapsed_before = wall;
        rc = wu_ckpt_save(&r, err);
    }
    if (rc == WU_OK) rc = write_summary(&r, res, err);
    run_free(&r);
    return rc;
}
