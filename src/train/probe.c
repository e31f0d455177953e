/* probe.c - a run's optional diagnostics beyond the metrics row's fixed cost:
 *   - the sharpness probe (c.sharpness_every K): every K steps, before the update, the largest
 *     eigenvalue of the loss Hessian on a fixed batch (sharpness.h), and for the Adam family the
 *     largest eigenvalue of P H with P = diag(1/(sqrt(v_hat) + eps)) from the optimizer's
 *     current second moment; four metrics.csv columns;
 *   - per-layer update statistics (c.layer_stats_every K): every K steps, for every parameter
 *     tensor, |dw| / |w| of this update and the angle between it and the previous update, in
 *     DIR/layers.csv (long form: step,layer,name,update_ratio,angle_deg).
 * With both at 0 (the default) nothing is allocated and a step does exactly what it did before.
 * The probe draws its batch from its own RNG, and it leaves the weights bit for bit as it found
 * them, so the training trajectory (every other column) is the same with or without it. On K
 * ranks each rank takes its share of the fixed batch and the gradients are averaged, as in
 * training, so every rank computes the same products and the same eigenvalues, and makes the
 * same number of collective calls. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../optim/optim_impl.h" /* the second moment, for Adam's preconditioner */
#include "../util/fail.h"
#include "../util/outfile.h"
#include "dist.h"
#include "probe.h"
#include "run.h"
#include "sharpness.h"

void wu_probe_free(wu_run *r)
{
    wu_probe *p = &r->probe;
    free(p->tok), free(p->tgt), free(p->x), free(p->labels), free(p->work), free(p->fwork);
    free(p->scale), free(p->before), free(p->prev), free(p->ratio), free(p->angle);
    if (p->layers) fclose(p->layers);
    memset(p, 0, sizeof *p);
}

int wu_probe_init(wu_run *r, wu_error *err)
{
    wu_probe *p = &r->probe;
    const wu_train_config *c = &r->c;
    const size_t n = r->net.nparams;
    if (c->sharpness_every > 0) {
        const size_t N = (size_t)c->batch * (r->text ? (size_t)c->seq : 1);
        p->tok = malloc(sizeof(int) * N), p->tgt = malloc(sizeof(int) * N);
        p->labels = malloc(sizeof(int) * (size_t)c->batch);
        p->x = malloc(sizeof(float) * (size_t)c->batch * (r->pixels > 0 ? r->pixels : 1));
        p->work = malloc(sizeof(double) * 4 * n);
        p->fwork = malloc(sizeof(float) * 2 * n);
        p->scale = malloc(sizeof(float) * n);
        if (!p->tok || !p->tgt || !p->labels || !p->x || !p->work || !p->fwork || !p->scale)
            return wu_fail(err, WU_ENOMEM, "out of memory (the sharpness probe)");
        if (r->text) { /* a fixed training batch from the probe's own RNG */
            wu_rng pr;
            wu_rng_seed(&pr, c->seed ^ 0x5ba77e55ull);
            wu_corpus_batch(&r->corpus, WU_SPLIT_TRAIN, &pr, c->batch, c->seq, p->tok, p->tgt);
        } else { /* the first batch of training images, in file order */
            for (int b = 0; b < c->batch; b++) {
                int i = b % r->train.n;
                memcpy(p->x + (size_t)b * r->pixels, r->train.x + (size_t)i * r->pixels,
                       sizeof(float) * r->pixels);
                p->labels[b] = r->train.y[i];
            }
        }
    }
    if (c->layer_stats_every > 0) {
        p->before = malloc(sizeof(float) * n), p->prev = malloc(sizeof(float) * n);
        p->ratio = malloc(sizeof(double) * (size_t)r->net.nviews);
        p->angle = malloc(sizeof(double) * (size_t)r->net.nviews);
        if (!p->before || !p->prev || !p->ratio || !p->angle)
            return wu_fail(err, WU_ENOMEM, "out of memory (the layer statistics)");
        p->prev_step = -1;
    }
    return WU_OK;
}

/* ---- sharpness ------------------------------------------------------------------------------ */

/* The gradient of the probe batch at the current weights (this rank's share, averaged). */
static int probe_grad(void *ctx)
{
    wu_run *r = ctx;
    const int Bl = r->rank_batch;
    const size_t row0 = (size_t)r->rank * (size_t)Bl;
    float loss;
    int rc = wu_model_forward(&r->net,
                              r->text ? (const void *)(r->probe.tok + row0 * (size_t)r->c.seq)
                                      : (const void *)(r->probe.x + row0 * r->pixels),
                              r->text ? r->probe.tgt + row0 * (size_t)r->c.seq
                                      : r->probe.labels + row0,
                              Bl, &loss, NULL);
    if (r->ranks > 1) rc = wu_dist_agree(rc);
    if (rc != WU_OK) return rc;
    wu_model_backward(&r->net);
    if (r->ranks > 1) wu_dist_mean_f(r->net.grads, r->net.nparams);
    return WU_OK;
}

/* s = sqrt(P), P = diag(1/(sqrt(v_hat) + eps)): Adam's and AdamW's denominator with the
 * bias-corrected second moment (its running maximum under amsgrad; v itself when the group turned
 * bias correction off), each chunk with its group's beta2 and eps. RAdam divides by sqrt(v) + eps before the correction, i.e. by
 * sqrt(v_hat) + eps / sqrt(1 - beta2^t): the same up to eps's scale, taken as Adam's here.
 * Returns 0 when there is no second moment yet (no update made) or the optimizer has none. */
int wu_probe_precond(const wu_optim *o, float *s)
{
    const float *v = o->vmax ? o->vmax : o->v;
    if (!v || o->step < 1) return 0;
    for (int k = 0; k < o->nchunks; k++) {
        const wu_chunk *ch = &o->chunks[k];
        const wu_optim_config *hp = &o->groups[ch->group].hp;
        const double bc2 = hp->no_bias_correction ? 1.0 : 1.0 - pow(hp->beta2, (double)o->step);
        for (size_t i = ch->off; i < ch->off + ch->len; i++)
            s[i] = (float)sqrt(1.0 / (sqrt((double)v[i] / bc2) + hp->eps));
    }
    return 1;
}

void wu_probe_sharpness(wu_run *r, double *lambda, double *lambda_precond)
{
    wu_probe *p = &r->probe;
    const size_t n = r->net.nparams;
    *lambda = *lambda_precond = NAN;
    wu_fd_hvp fd = {.n = n, .params = r->net.params, .grads = r->net.grads, .eval = probe_grad,
                    .ctx = r, .h = wu_sharp_fd_step(r->net.params, n), .w0 = p->fwork,
                    .gp = p->fwork + n};
    const uint64_t seed = r->c.seed ^ 0x70e1ull;
    wu_sharp_result res;
    if (wu_sharp_power(n, wu_fd_hvp_apply, &fd, NULL, seed, r->c.sharpness_iters,
                       WU_PROBE_TOL, p->work, &res) == WU_OK)
        *lambda = res.lambda;
    memset(p->scale, 0, sizeof(float) * n); /* parameters no group updates: not preconditioned */
    if (wu_probe_precond(r->opt, p->scale) &&
        wu_sharp_power(n, wu_fd_hvp_apply, &fd, p->scale, seed + 1, r->c.sharpness_iters,
                       WU_PROBE_TOL, p->work, &res) == WU_OK)
        *lambda_precond = res.lambda;
}

/* ---- layer statistics ----------------------------------------------------------------------- */

void wu_probe_layers_before(wu_run *r, int64_t k)
{
    const int64_t K = r->c.layer_stats_every;
    if (K > 0 && (k % K == 0 || (k + 1) % K == 0))
        memcpy(r->probe.before, r->net.params, sizeof(float) * r->net.nparams);
}

int wu_probe_layers_after(wu_run *r, int64_t k)
{
    wu_probe *p = &r->probe;
    const int64_t K = r->c.layer_stats_every;
    p->have_row = 0;
    if (K <= 0) return 0;
    const float *w = r->net.params, *b = p->before;
    if (k % K == 0) {
        for (int l = 0; l < r->net.nviews; l++) {
            const wu_param_view *vw = &r->net.views[l];
            double d2 = 0, w2 = 0, dp = 0, p2 = 0;
            for (size_t i = vw->offset; i < vw->offset + vw->numel; i++) {
                double d = (double)w[i] - (double)b[i];
                d2 += d * d, w2 += (double)b[i] * b[i];
                if (p->prev_step == k - 1) dp += d * p->prev[i], p2 += (double)p->prev[i] * p->prev[i];
            }
            p->ratio[l] = w2 > 0 ? sqrt(d2 / w2) : NAN;
            double cosv = p->prev_step == k - 1 && d2 > 0 && p2 > 0 ? dp / sqrt(d2 * p2) : NAN;
            if (cosv > 1) cosv = 1;
            if (cosv < -1) cosv = -1;
            p->angle[l] = acos(cosv) * (180.0 / 3.14159265358979323846);
        }
        p->have_row = 1;
        p->row_step = k;
    }
    if ((k + 1) % K == 0) {
        for (size_t i = 0; i < r->net.nparams; i++) p->prev[i] = w[i] - b[i];
        p->prev_step = k;
    }
    return p->have_row;
}

static void num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.9g", v);
}

int wu_probe_layers_log(wu_run *r, wu_error *err)
{
    wu_probe *p = &r->probe;
    if (!p->have_row || r->rank != 0 || !p->layers) return WU_OK;
    for (int l = 0; l < r->net.nviews; l++) {
        fprintf(p->layers, "%lld,%d,%s,", (long long)p->row_step, l, r->net.views[l].name);
        num(p->layers, p->ratio[l]);
        fputc(',', p->layers);
        num(p->layers, p->angle[l]);
        fputc('\n', p->layers);
    }
    p->have_row = 0;
    errno = 0;
    if (fflush(p->layers) != 0 || ferror(p->layers))
        return wu_write_fail(err, p->path, errno ? errno : EIO, 0, 0);
    return WU_OK;
}

/* layers.csv: a fresh one with its header, or a resumed one cut back to the steps before the
 * checkpoint's (rows the next steps write again), written whole and renamed into place. */
int wu_probe_layers_open(wu_run *r, int resume, wu_error *err)
{
    wu_probe *p = &r->probe;
    snprintf(p->path, sizeof p->path, "%s/layers.csv", r->c.out);
    if (r->c.layer_stats_every <= 0 || r->rank != 0) {
        if (!resume && r->rank == 0) unlink(p->path); /* an old run's */
        return WU_OK;
    }
    char *old = NULL;
    size_t len = 0;
    if (resume) {
        FILE *f = fopen(p->path, "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            long m = ftell(f);
            fseek(f, 0, SEEK_SET);
            old = m > 0 ? malloc((size_t)m + 1) : NULL;
            if (old) len = fread(old, 1, (size_t)m, f), old[len] = '\0';
            fclose(f);
        }
    }
    wu_outfile o;
    int rc = wu_outfile_open(&o, p->path, err);
    if (rc != WU_OK) {
        free(old);
        return rc;
    }
    fputs(WU_LAYERS_HEADER "\n", o.f);
    for (char *line = old ? strchr(old, '\n') : NULL; line && line[1];) {
        char *start = line + 1, *end = strchr(start, '\n');
        if (!end) break; /* a part row */
        if (strtoll(start, NULL, 10) < r->step) fwrite(start, 1, (size_t)(end - start + 1), o.f);
        line = end;
    }
    free(old);
    if ((rc = wu_outfile_commit(&o, err)) != WU_OK) return rc;
    if (!(p->layers = fopen(p->path, "a")))
        return wu_fail(err, WU_EIO, "cannot write %s: %s", p->path, strerror(errno));
    return WU_OK;
}
