/* gpt.c - the GPT model: parameter layout, initialisation, forward and backward.
 *
 * Pre-LN block (GPT-2):          x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)); final ln_f
 * Post-LN block (Vaswani 2017):  x = ln_1(x + attn(x)); x = ln_2(x + mlp(x)); no ln_f
 * Post-LN is the variant that needs warmup to train at all (Xiong et al. 2020).
 *
 * Memory: the residual stream at every layer boundary, the activations each block's backward
 * reads (below), one block's worth of gradient scratch reused by every block, and the logits.
 * Backward kernels assign their input gradients, so nothing but the parameter gradients is ever
 * zeroed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/nn.h"
#include "block.h"
#include "gpt.h"
#include "model.h"
#include "../util/rng.h"
#include "../util/fail.h"
#include "../util/mem.h"

struct wu_gpt_impl {
    float *arena;            /* every activation and scratch buffer */
    size_t arena_len;
    float **stream;          /* L+1 residual-stream buffers (B,T,C) */
    wu_block_acts *acts;
    float *lnf, *lnf_mean, *lnf_rstd;
    float *logz;             /* (B,T) */
    float *attn_stats;       /* (L, B*NH*2) */
    float *d_stream;         /* (B,T,C) gradient of the residual stream */
    wu_block_scratch sc;     /* one block's gradient scratch */
    int *tokens, *targets;   /* copies of the last forward's batch */
    char (*names)[WU_VIEW_NAME];
    int curB, curT, have_targets;
};

wu_gpt_config wu_gpt_default_config(void)
{
    wu_gpt_config c = {.vocab = 256, .ctx = 64, .layers = 4, .heads = 4, .dim = 128,
                       .post_ln = 0, .init = WU_INIT_GPT2, .init_std = 0.02, .embed_scale = 1};
    return c;
}

static int gerr(wu_error *err, int code, const char *msg)
{
    return wu_fail(err, code, "gpt: %s", msg);
}

/* Parameter views in state_dict order; with views == NULL only counts. */
static size_t layout(const wu_gpt_config *c, wu_param_view *views, char (*names)[WU_VIEW_NAME],
                     int *nviews, size_t *layer_off)
{
    size_t C = (size_t)c->dim, off = 0;
    int n = 0;
    if (views) views[n] = (wu_param_view){"wte", off, (size_t)c->vocab * C, 2};
    n++, off += (size_t)c->vocab * C;
    if (views) views[n] = (wu_param_view){"wpe", off, (size_t)c->ctx * C, 2};
    n++, off += (size_t)c->ctx * C;
    for (int l = 0; l < c->layers; l++) {
        if (layer_off) layer_off[l] = off;
        if (views) wu_block_views(views + n, names + 12 * l, l, off, c->dim);
        n += 12;
        off += wu_block_nparams(c->dim);
    }
    if (layer_off) layer_off[c->layers] = off;
    if (!c->post_ln) {
        if (views) views[n] = (wu_param_view){"ln_f.weight", off, C, 1};
        n++, off += C;
        if (views) views[n] = (wu_param_view){"ln_f.bias", off, C, 1};
        n++, off += C;
    }
    if (nviews) *nviews = n;
    return off;
}

int wu_gpt_create(wu_gpt **out, const wu_gpt_config *c, int B, int T, wu_error *err)
{
    *out = NULL;
    if (c->vocab < 2 || c->ctx < 1 || c->layers < 1 || c->layers > WU_GPT_MAX_LAYERS ||
        c->heads < 1 || c->dim < 1 || c->dim % c->heads != 0)
        return gerr(err, WU_EINVAL, "invalid configuration: need vocab >= 2, ctx >= 1, 1..32 "
                                    "layers, and a width divisible by the number of heads");
    if (B < 1 || T < 1 || T > c->ctx || T > WU_ATT_MAX_T)
        return gerr(err, WU_EINVAL, "invalid batch shape: need B >= 1 and 1 <= T <= ctx (and "
                                    "T <= 4096)");
    if (!(c->init_std > 0) || (c->init != WU_INIT_GPT2 && c->init != WU_INIT_XAVIER) ||
        !(c->embed_scale > 0) || !isfinite(c->embed_scale))
        return gerr(err, WU_EINVAL, "invalid initialisation (init_std and embed_scale must be "
                                    "> 0 and finite)");
    if (!wu_model_precision_name(c->precision))
        return gerr(err, WU_EINVAL, "invalid precision (WU_PREC_FP32 or WU_PREC_BF16)");
    wu_gpt *m = calloc(1, sizeof *m);
    struct wu_gpt_impl *im = calloc(1, sizeof *im);
    if (!m || !im) {
        free(m);
        free(im);
        return gerr(err, WU_ENOMEM, "out of memory");
    }
    m->impl = im;
    m->cfg = *c;
    m->B = B;
    m->T = T;
    m->nparams = layout(c, NULL, NULL, &m->nviews, m->layer_off);
    m->views = malloc(sizeof *m->views * (size_t)m->nviews);
    im->names = malloc(sizeof *im->names * 12 * (size_t)c->layers);
    m->params = calloc(m->nparams, sizeof(float));
    m->grads = wu_calloc_mapped(m->nparams, sizeof(float)); /* mapped now: mem.h */
    im->stream = malloc(sizeof(float *) * (size_t)(c->layers + 1));
    im->acts = malloc(sizeof(wu_block_acts) * (size_t)c->layers);
    im->tokens = malloc(sizeof(int) * (size_t)B * T);
    im->targets = malloc(sizeof(int) * (size_t)B * T);
    m->losses = malloc(sizeof(float) * (size_t)B * T);
    if (!m->views || !im->names || !m->params || !m->grads || !im->stream || !im->acts ||
        !im->tokens || !im->targets || !m->losses) {
        wu_gpt_destroy(m);
        return gerr(err, WU_ENOMEM, "out of memory");
    }
    layout(c, m->views, im->names, NULL, NULL);

    /* one arena for every activation and scratch buffer */
    const size_t N = (size_t)B * T, C = (size_t)c->dim, L = (size_t)c->layers;
    const size_t NH = (size_t)c->heads, V = (size_t)c->vocab;
    im->arena_len = (L + 1) * N * C + L * wu_block_acts_floats(B, T, c->dim, c->heads) +
                    N * C + 2 * N + N * V + N + L * (size_t)B * NH * 2 + N * C +
                    wu_block_scratch_floats((int)N, c->dim);
    im->arena = wu_calloc_mapped(im->arena_len, sizeof(float));
    if (!im->arena) {
        wu_gpt_destroy(m);
        return gerr(err, WU_ENOMEM, "out of memory for the activations");
    }
    float *ar = im->arena;
#define TAKE(ptr, n) do { (ptr) = ar; ar += (n); } while (0)
    for (size_t l = 0; l <= L; l++) TAKE(im->stream[l], N * C);
    for (size_t l = 0; l < L; l++) wu_block_acts_take(&im->acts[l], &ar, B, T, c->dim, c->heads);
    TAKE(im->lnf, N * C);
    TAKE(im->lnf_mean, N);
    TAKE(im->lnf_rstd, N);
    TAKE(m->logits, N * V);
    TAKE(im->logz, N);
    TAKE(im->attn_stats, L * (size_t)B * NH * 2);
    TAKE(im->d_stream, N * C);
#undef TAKE
    wu_block_scratch_take(&im->sc, &ar, (int)N, c->dim);
    *out = m;
    return WU_OK;
}

void wu_gpt_destroy(wu_gpt *m)
{
    if (!m) return;
    struct wu_gpt_impl *im = m->impl;
    if (im) {
        free(im->arena);
        free(im->stream);
        free(im->acts);
        free(im->tokens);
        free(im->targets);
        free(im->names);
        free(im);
    }
    free(m->views);
    free(m->params);
    free(m->grads);
    free(m->losses);
    free(m);
}

void wu_gpt_memory_split(const wu_gpt *m, wu_gpt_memory_parts *p)
{
    const size_t N = (size_t)m->B * m->T, C = (size_t)m->cfg.dim, f = sizeof(float);
    /* the arena (wu_gpt_create) less its gradient scratch: d_stream and the block scratch */
    const size_t scratch = N * C + wu_block_scratch_floats((int)N, m->cfg.dim);
    p->params = m->nparams * f;
    p->grads = m->nparams * f;
    p->activations = (m->impl->arena_len - scratch) * f;
    p->scratch = scratch * f;
    p->other = N * 3 * f + sizeof(wu_param_view) * (size_t)m->nviews;
}

size_t wu_gpt_memory(const wu_gpt *m)
{
    wu_gpt_memory_parts p;
    wu_gpt_memory_split(m, &p);
    return p.params + p.grads + p.activations + p.scratch + p.other;
}

double wu_gpt_flops(const wu_gpt_config *c, int B, int T)
{
    double N = (double)B * T, C = c->dim, L = c->layers, V = c->vocab;
    /* per token per layer, forward: qkv 3C^2, proj C^2, fc 4C^2, fc-proj 4C^2 multiply-adds,
       attention ~T*C (scores) + T*C (weighted sum) on average over a causal row (halved) */
    double fwd = N * (L * (12.0 * C * C + T * C) + V * C) * 2.0;
    return 3.0 * fwd; /* backward costs about twice the forward */
}

void wu_gpt_init(wu_gpt *m, uint64_t seed)
{
    wu_rng r;
    wu_rng_seed(&r, seed);
    const wu_gpt_config *c = &m->cfg;
    double std = c->init_std, resid = std / sqrt(2.0 * c->layers);
    memset(m->params, 0, m->nparams * sizeof(float));
    for (int v = 0; v < m->nviews; v++) {
        const wu_param_view *pv = &m->views[v];
        float *p = m->params + pv->offset;
        const char *nm = pv->name;
        int is_ln = strstr(nm, "ln_") != NULL, is_bias = strstr(nm, ".bias") != NULL;
        if (is_ln && !is_bias) {
            for (size_t i = 0; i < pv->numel; i++) p[i] = 1.0f;
        } else if (is_bias) {
            continue; /* zeros */
        } else if (c->init == WU_INIT_XAVIER && pv->ndim == 2 && strcmp(nm, "wte") != 0 &&
                   strcmp(nm, "wpe") != 0) {
            /* Glorot & Bengio 2010: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
            size_t fan_out = strstr(nm, "c_attn") ? 3 * (size_t)c->dim
                           : strstr(nm, "c_fc") ? 4 * (size_t)c->dim : (size_t)c->dim;
            size_t fan_in = pv->numel / fan_out;
            double a = sqrt(6.0 / (double)(fan_in + fan_out));
            for (size_t i = 0; i < pv->numel; i++) p[i] = (float)((2.0 * wu_rng_uniform(&r) - 1.0) * a);
        } else {
            /* GPT-2: N(0, 0.02); the projections back into the residual stream are scaled by
               1/sqrt(2L) so the stream's variance does not grow with depth */
            double s = (c->init == WU_INIT_GPT2 && strstr(nm, "c_proj.weight")) ? resid : std;
            for (size_t i = 0; i < pv->numel; i++) p[i] = (float)(wu_rng_normal(&r) * s);
        }
    }
}

void wu_gpt_zero_grad(wu_gpt *m) { memset(m->grads, 0, m->nparams * sizeof(float)); }

/* ---- forward ------------------------------------------------------------------------------- */

int wu_gpt_forward(wu_gpt *m, const int *tokens, const int *targets, int B, int T, float *loss)
{
    const wu_gpt_config *c = &m->cfg;
    struct wu_gpt_impl *im = m->impl;
    if (B < 1 || T < 1 || B > m->B || T > m->T) return WU_EINVAL;
    const int N = B * T, C = c->dim, NH = c->heads, V = c->vocab, L = c->layers;
    for (int i = 0; i < N; i++)
        if (tokens[i] < 0 || tokens[i] >= V || (targets && (targets[i] < 0 || targets[i] >= V)))
            return WU_EINVAL;
    memcpy(im->tokens, tokens, sizeof(int) * (size_t)N);
    if (targets) memcpy(im->targets, targets, sizeof(int) * (size_t)N);
    im->curB = B;
    im->curT = T;
    im->have_targets = targets != NULL;

    const float *wte = m->params, *wpe = m->params + (size_t)V * C;
    encoder_forward(im->stream[0], tokens, wte, wpe, B, T, C);
    if (c->embed_scale != 1.0) /* Vaswani et al.'s sqrt(d): a unit-scale residual stream */
        for (size_t i = 0; i < (size_t)N * C; i++) im->stream[0][i] *= (float)c->embed_scale;
    const wu_block_shape shape = {B, T, C, NH, c->post_ln, 1, c->precision};
    for (int l = 0; l < L; l++) {
        wu_block_params p = wu_block_params_at(m->params + m->layer_off[l], C);
        float *stats = m->diag & WU_DIAG_FORWARD ? im->attn_stats + (size_t)l * B * NH * 2 : NULL;
        wu_block_forward(&shape, &p, &im->acts[l], im->stream[l], im->stream[l + 1], im->sc.tmp,
                         stats);
        if (stats) { /* reduce the per-(b,h) statistics in order */
            float mx = -INFINITY, ent = 0.0f;
            for (int i = 0; i < B * NH; i++) {
                if (stats[2 * i] > mx) mx = stats[2 * i];
                ent += stats[2 * i + 1];
            }
            m->d.attn_max_logit[l] = mx;
            m->d.attn_entropy[l] = ent / (float)(B * NH);
        }
    }
    const float *final = im->stream[L];
    if (!c->post_ln) {
        const float *lnfw = m->params + m->layer_off[L], *lnfb = lnfw + C;
        layernorm_forward(im->lnf, im->lnf_mean, im->lnf_rstd, final, lnfw, lnfb, N, C);
        final = im->lnf;
    }
    /* the tied output layer */
    matmul_forward(m->logits, final, wte, NULL, N, C, V, (wu_precision)c->precision);
    if (!targets) return WU_OK;
    float mx;
    const int fd = m->diag & WU_DIAG_FORWARD;
    float l = crossentropy_forward_backward(m->logits, m->losses, fd ? im->logz : NULL,
                                            fd ? &mx : NULL, targets, N, V, 1.0f / (float)N);
    if (fd) {
        double s = 0;
        for (int i = 0; i < N; i++) s += im->logz[i];
        m->d.out_max_logit = mx;
        m->d.logz_mean = (float)(s / N);
    }
    if (loss) *loss = l;
    return WU_OK;
}

/* ---- backward ------------------------------------------------------------------------------ */

static double sumsq(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

void wu_gpt_backward(wu_gpt *m)
{
    const wu_gpt_config *c = &m->cfg;
    struct wu_gpt_impl *im = m->impl;
    if (!im->have_targets) return; /* nothing to differentiate */
    const int B = im->curB, T = im->curT, N = B * T, C = c->dim, NH = c->heads, V = c->vocab;
    const int L = c->layers;
    const float *wte = m->params;
    float *dwte = m->grads, *dwpe = m->grads + (size_t)V * C;
    float *ds = im->d_stream;

    /* the output layer (tied to wte), then ln_f; m->logits holds d(loss)/d(logits) */
    if (!c->post_ln) {
        const float *lnfw = m->params + m->layer_off[L];
        float *dlnfw = m->grads + m->layer_off[L];
        matmul_backward(im->sc.tmp, dwte, NULL, m->logits, im->lnf, wte, N, C, V, 0,
                        (wu_precision)c->precision);
        layernorm_backward(ds, dlnfw, dlnfw + C, im->sc.tmp, im->stream[L], lnfw, im->lnf_mean,
                           im->lnf_rstd, N, C, 0);
    } else {
        matmul_backward(ds, dwte, NULL, m->logits, im->stream[L], wte, N, C, V, 0,
                        (wu_precision)c->precision);
    }
    const wu_block_shape shape = {B, T, C, NH, c->post_ln, 1, c->precision};
    for (int l = L - 1; l >= 0; l--) {
        wu_block_params p = wu_block_params_at(m->params + m->layer_off[l], C);
        wu_block_params g = wu_block_params_at(m->grads + m->layer_off[l], C);
        wu_block_backward(&shape, &p, &g, &im->acts[l], im->stream[l], ds, &im->sc);
    }
    if (c->embed_scale != 1.0) /* ds is the stream's gradient, read by nothing after this */
        for (size_t i = 0; i < (size_t)N * C; i++) ds[i] *= (float)c->embed_scale;
    encoder_backward(dwte, dwpe, ds, im->tokens, B, T, C);

    if (m->diag & WU_DIAG_GRADS) {
        for (int l = 0; l < L; l++)
            m->d.grad_norm_layer[l] = sqrt(sumsq(m->grads + m->layer_off[l],
                                                 m->layer_off[l + 1] - m->layer_off[l]));
        m->d.grad_norm_embed = sqrt(sumsq(m->grads, m->layer_off[0]));
        m->d.grad_norm_final = c->post_ln ? 0.0 : sqrt(sumsq(m->grads + m->layer_off[L], 2 * (size_t)C));
    }
}

/* ---- the model interface (model.h) --------------------------------------------------------- */

static int gpt_create(void **impl, const wu_model_config *c, wu_error *err)
{
    wu_gpt_config g = wu_gpt_default_config();
    g.vocab = c->vocab;
    g.ctx = c->seq;
    g.layers = c->layers;
    g.heads = c->heads;
    g.dim = c->dim;
    g.post_ln = c->post_ln;
    g.init = c->init;
    g.precision = c->precision;
    if (c->embed_scale > 0) g.embed_scale = c->embed_scale; /* 0: a config from before it */
    wu_gpt *m;
    int rc = wu_gpt_create(&m, &g, c->batch, c->seq, err);
    if (rc != WU_OK) return rc;
    wu_gpt_init(m, c->seed);
    m->diag = c->diag;
    *impl = m;
    return WU_OK;
}

static int gpt_forward(void *impl, const void *x, const int *y, int B, float *loss, int *correct)
{
    wu_gpt *m = impl;
    if (correct) *correct = 0;
    return wu_gpt_forward(m, x, y, B, m->T, loss);
}

static void gpt_backward(void *impl) { wu_gpt_backward(impl); }

static void gpt_parameters(void *impl, wu_model_params *p)
{
    wu_gpt *m = impl;
    *p = (wu_model_params){m->nparams, m->params, m->grads, m->views, m->nviews};
}

/* gpt_diagnostics copies a per-layer array of WU_GPT_MAX_LAYERS into one of WU_MAX_LAYERS */
_Static_assert(WU_GPT_MAX_LAYERS <= WU_MAX_LAYERS,
               "a GPT may have more layers than wu_model_diag has");

static void gpt_diagnostics(const void *impl, wu_model_diag *d)
{
    const wu_gpt *m = impl;
    wu_model_diag_set(d, m->d.attn_max_logit, m->cfg.layers, m->d.out_max_logit, m->d.logz_mean,
                      m->d.grad_norm_layer);
}

static void gpt_destroy(void *impl) { wu_gpt_destroy(impl); }

const wu_model_ops wu_gpt_ops = {"gpt", WU_INPUT_TOKENS, gpt_create, gpt_forward, gpt_backward,
                                 gpt_parameters, gpt_diagnostics, gpt_destroy};
