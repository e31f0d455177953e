/* step.c - one step of a run and its metrics row: the update, the loss tracker (spikes,
 * divergence, non-finite steps), evaluation, and writing the row and checkpoints.
 *
 * A step k: the LR for update k from the schedule; a batch (text: random windows drawn with the
 * run's data RNG; images: the loader's shuffled order); forward with diagnostics; backward;
 * gradient norm (and clipping); the optimizer update with its statistics; one metrics row,
 * kept in the run (pending) until wu_train_log writes it, so that rows, steps and checkpoints
 * cannot disagree. Everything a step consumes is a function of the seed and the step count, so
 * a resumed run repeats an uninterrupted one exactly (tests/test_train.sh checks it bit for
 * bit). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "../util/fail.h"
#include "../util/outfile.h"
#include "dist.h"
#include "run.h"

int wu_train_done(const wu_run *r)
{
    return r->step >= r->c.steps || r->tr.diverged;
}

/* Mean validation loss (and accuracy for images), from a fixed sample, without touching the
 * training RNG or loader. On K ranks each evaluation batch is split like a training batch and
 * the means are combined. Fails (the model's code) when the model refuses a batch. */
static int evaluate(wu_run *r, float *loss, float *acc)
{
    const int B = r->c.batch, Bl = r->rank_batch;
    const size_t row0 = (size_t)r->rank * (size_t)Bl;
    double sum = 0, correct = 0;
    int n = 0, total = 0, rc = WU_OK;
    if (r->text) {
        wu_rng er;
        wu_rng_seed(&er, r->c.seed ^ 0xe7a1a7e5ull);
        for (int k = 0; rc == WU_OK && k < r->c.eval_batches; k++) {
            float l;
            const size_t at = row0 * (size_t)r->c.seq;
            wu_corpus_batch(&r->corpus, WU_SPLIT_VAL, &er, B, r->c.seq, r->tok, r->tgt);
            if ((rc = wu_model_forward(&r->net, r->tok + at, r->tgt + at, Bl, &l, NULL)) == WU_OK)
                sum += l, n++;
        }
    } else {
        int limit = r->test.n < 2048 ? r->test.n : 2048;
        for (int at = 0; rc == WU_OK && at + B <= limit; at += B) {
            float l;
            int ok;
            const size_t first = (size_t)at + row0;
            for (int b = 0; b < Bl; b++) r->labels[b] = r->test.y[first + (size_t)b];
            rc = wu_model_forward(&r->net, r->test.x + first * r->pixels, r->labels, Bl, &l, &ok);
            if (rc == WU_OK) sum += l, n++, correct += ok, total += B;
        }
    }
    if (r->ranks > 1) { /* the mean of the ranks' equal shares; the accuracy's counts summed */
        double v[2] = {sum, correct};
        wu_dist_sum_d(v, 2);
        sum = v[0] / r->ranks, correct = v[1];
        rc = wu_dist_agree(rc);
    }
    *acc = r->text ? NAN : total ? (float)(correct / total) : NAN;
    *loss = n ? (float)(sum / n) : NAN;
    return rc;
}

/* The model refused a batch (wu_model_forward's WU_EINVAL: a token or label outside what it
 * was built for): the run fails here. */
static int forward_failed(wu_run *r, int rc, int64_t k, const char *what, wu_error *err)
{
    return r->failed = wu_fail(err, rc, "step %lld: the %s refused a %s batch (a target outside "
                               "its %s): the run stops", (long long)k, r->c.model, what,
                               r->text ? "vocabulary" : "classes");
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

int wu_train_step(wu_run *r, wu_train_row *out, wu_error *err)
{
    if (r->failed)
        return wu_fail(err, WU_EINVAL, "the run has failed (a row or checkpoint could not be "
                       "written, or the model refused a batch): close it");
    if (r->pending)
        return wu_fail(err, WU_EINVAL, "step %lld is not logged yet: call wu_train_log first",
                       (long long)r->step - 1);
    if (wu_train_done(r))
        return wu_fail(err, WU_EINVAL, "the run is over (%s at step %lld): there is no step to make",
                       r->tr.diverged ? "diverged" : "completed", (long long)r->step);
    wu_run_threads(r);
    const wu_train_config *c = &r->c;
    const int64_t k = r->step;
    const int64_t early = c->steps / 10 > 0 ? c->steps / 10 : 1;
    double lr = wu_optim_lr(r->opt, 0);
    /* the sharpness probe: before this step's batch, on its own fixed batch, weights restored */
    double sharp = NAN, psharp = NAN;
    if (c->sharpness_every > 0 && k % c->sharpness_every == 0) {
        double t = wu_run_now();
        wu_probe_sharpness(r, &sharp, &psharp);
        r->aside_s += wu_run_now() - t; /* not training: out of the throughput */
    }
    wu_run_next_batch(r); /* the global batch; this rank takes its rows */
    float loss;
    int correct;
    const int Bl = r->rank_batch;
    const size_t row0 = (size_t)r->rank * (size_t)Bl;
    int rc = wu_model_forward(&r->net, r->text ? (const void *)(r->tok + row0 * (size_t)c->seq)
                                               : (const void *)(r->x + row0 * r->pixels),
                              r->text ? r->tgt + row0 * (size_t)c->seq : r->labels + row0, Bl,
                              &loss, &correct);
    if (r->ranks > 1) rc = wu_dist_agree(rc);
    if (rc != WU_OK) return forward_failed(r, rc, k, "training", err);
    wu_model_diag d;
    wu_model_diagnostics(&r->net, &d); /* of the forward: read before backward */
    if (r->ranks > 1) { /* the global loss, accuracy and diagnostics */
        double sum[3] = {loss, correct, d.logz_mean}, mx[2] = {d.attn_max_logit, d.out_max_logit};
        wu_dist_sum_d(sum, 3);
        wu_dist_max_d(mx, 2);
        loss = (float)(sum[0] / r->ranks);
        correct = (int)sum[1];
        d.logz_mean = (float)(sum[2] / r->ranks);
        d.attn_max_logit = (float)mx[0];
        d.out_max_logit = (float)mx[1];
    }
    double gnorm = NAN;
    wu_optim_stats st;
    memset(&st, 0, sizeof st);
    st.update_ratio = NAN;
    int finite = isfinite(loss), nonfinite = finite ? 0 : 1, skipped = 0;
    if (finite) {
        wu_model_backward(&r->net);
        if (r->ranks > 1) wu_dist_mean_f(r->net.grads, r->net.nparams); /* the global batch's */
        if (c->inject_nonfinite >= 0 && k >= c->inject_nonfinite &&
            k - c->inject_nonfinite < c->inject_count)
            r->net.grads[r->net.nparams / 2] = NAN; /* a test's fault */
        gnorm = wu_optim_clip_grad_norm(r->net.grads, r->net.nparams, c->clip);
        finite = isfinite(gnorm);
        if (!finite) nonfinite = 2;
    }
    if (nonfinite) {
        r->tr.nonfinite++;
        if (r->tr.first_nonfinite < 0) r->tr.first_nonfinite = k;
        r->tr.nonfinite_run++;
        skipped = !strcmp(c->on_nonfinite, "skip") && r->tr.nonfinite_run < WU_MAX_NONFINITE_RUN;
    } else {
        r->tr.nonfinite_run = 0;
    }
    wu_probe_layers_before(r, k);
    if (finite) wu_optim_step(r->opt, r->net.params, r->net.grads, &st);
    wu_probe_layers_after(r, k);
    if (k == c->inject_rank_drift && r->ranks > 1 && r->rank == r->ranks - 1)
        r->net.params[0] += 1e-3f; /* a test's fault: this rank's weights leave the others' */
    r->step++;
    r->session_items += (double)c->batch * (r->text ? c->seq : 1);
    if (isfinite(loss) || !skipped) track(&r->tr, k, loss);
    if (k < early && gnorm > r->tr.max_gnorm_early) r->tr.max_gnorm_early = gnorm;
    /* divergence: a non-finite loss or gradient (unless skipped), or a loss far above the
       first one */
    if ((nonfinite && !skipped) ||
        (k > 0 && r->tr.have_first && loss > c->diverge_factor * r->tr.first_loss)) {
        r->tr.diverged = 1;
        r->tr.diverged_at = k;
    }
    float vl = NAN, va = NAN;
    if (!r->tr.diverged && ((c->eval_every > 0 && r->step % c->eval_every == 0) || r->step == c->steps)) {
        double t = wu_run_now();
        rc = evaluate(r, &vl, &va);
        r->aside_s += wu_run_now() - t; /* not training: out of the throughput */
        if (rc != WU_OK) return forward_failed(r, rc, k, "validation", err);
        r->tr.last_val_loss = vl;
        r->tr.last_val_acc = va;
    }
    int adam = st.v_max > 0 || st.v_mean > 0;
    wu_train_row *row = &r->row;
    double *v = row->col;
    v[WU_METRIC_STEP] = (double)k;
    v[WU_METRIC_LR] = lr;
    v[WU_METRIC_LOSS] = loss;
    v[WU_METRIC_GRAD_NORM] = gnorm;
    v[WU_METRIC_UPDATE_RATIO] = st.update_ratio;
    v[WU_METRIC_UPDATE_RMS] = finite ? st.update_norm / sqrt((double)r->net.nparams) : NAN;
    v[WU_METRIC_V_MEAN] = adam ? st.v_mean : NAN;
    v[WU_METRIC_V_MIN] = adam ? st.v_min : NAN;
    v[WU_METRIC_V_MAX] = adam ? st.v_max : NAN;
    v[WU_METRIC_V_FRAC_BELOW_EPS] = adam ? st.v_frac_below_eps : NAN;
    v[WU_METRIC_RADAM_RECT] = r->optim_kind == WU_OPT_RADAM ? st.radam_rect : NAN;
    v[WU_METRIC_ATTN_MAX_LOGIT] = d.attn_max_logit;
    v[WU_METRIC_OUT_MAX_LOGIT] = d.out_max_logit;
    v[WU_METRIC_LOGZ_MEAN] = d.logz_mean;
    v[WU_METRIC_ACC] = r->text ? NAN : (double)correct / c->batch;
    v[WU_METRIC_VAL_LOSS] = vl;
    v[WU_METRIC_VAL_ACC] = va;
    v[WU_METRIC_SHARPNESS] = sharp;
    v[WU_METRIC_SHARPNESS_LR] = lr * sharp;
    v[WU_METRIC_PRECOND_SHARPNESS] = psharp;
    v[WU_METRIC_PRECOND_SHARPNESS_LR] = lr * psharp;
    v[WU_METRIC_TIME_S] = r->elapsed_before + (wu_run_now() - r->t0);
    row->nonfinite = nonfinite;
    row->skipped = skipped;
    row->gave_up = nonfinite && !skipped && !strcmp(c->on_nonfinite, "skip");
    r->pending = 1;
    if (out) *out = *row;
    return WU_OK;
}

int wu_train_log(wu_run *r, wu_error *err)
{
    if (r->failed) return r->failed;
    if (!r->pending)
        return wu_fail(err, WU_EINVAL, "no row to log: no step was made since the last log (one "
                       "wu_train_step, then one wu_train_log)");
    int rc = WU_OK;
    if (r->rank == 0) { /* rank 0 alone writes */
        wu_metrics_write_row(r->metrics, r->row.col);
        long need = ftell(r->metrics) - r->metrics_off; /* the row, still in the buffer */
        errno = 0;
        long off = fflush(r->metrics) == 0 && !ferror(r->metrics) ? ftell(r->metrics) : -1;
        if (off < 0) /* a full disk says so, with the row's size (wu_train_close drops a part row) */
            rc = wu_write_fail(err, r->metrics_path, errno ? errno : EIO, need, 0);
        else
            r->metrics_off = off;
        if (rc == WU_OK) rc = wu_probe_layers_log(r, err);
    }
    /* on K ranks, a row rank 0 could not write stops every rank at this step */
    if (r->ranks > 1) rc = wu_dist_agree_err(rc, err);
    if (rc != WU_OK) return r->failed = rc;
    r->pending = 0;
    return WU_OK;
}

int wu_train_checkpoint(wu_run *r, wu_error *err)
{
    if (r->failed) return r->failed;
    if (r->pending)
        return wu_fail(err, WU_EINVAL, "step %lld is not logged yet: a checkpoint covers logged "
                       "steps only (call wu_train_log first)", (long long)r->step - 1);
    double now = wu_run_now();
    r->elapsed_before += now - r->t0;
    r->t0 = now;
    int rc = WU_OK;
    /* on K ranks a checkpoint also checks that the ranks still hold one model: a checkpoint of
       rank 0's weights is worth nothing when another rank's differ */
    if (r->ranks > 1 && !wu_run_ranks_agree(r)) rc = wu_run_drift_fail(r, err);
    if (rc == WU_OK && r->rank == 0) rc = wu_ckpt_save(r, err);
    if (r->ranks > 1) rc = wu_dist_agree_err(rc, err); /* every rank stops when rank 0's save fails */
    if (rc != WU_OK) r->failed = rc;
    r->aside_s += wu_run_now() - now; /* not training: out of the throughput */
    return rc;
}
