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
#include "gpt.h"
#include "rng.h"

/* What one block keeps for its backward pass. Pre-LN: ln1 = ln_1(in), res2 = in + attn,
 * mid = ln_2(res2). Post-LN: res2 = in + attn, ln1 = ln_1(res2), mid = ln1 + mlp. */
typedef struct block_acts {
    float *ln1, *ln1_mean, *ln1_rstd; /* (B,T,C), (B,T), (B,T) */
    float *qkv;                       /* (B,T,3C) */
    float *att;                       /* (B,NH,T,T) */
    float *atty;                      /* (B,T,C) */
    float *res2;                      /* (B,T,C) */
    float *mid, *ln2_mean, *ln2_rstd; /* (B,T,C), (B,T), (B,T) */
    float *fch, *fchg;                /* (B,T,4C) */
} block_acts;

typedef struct block_params {
    float *ln1w, *ln1b, *qkvw, *qkvb, *projw, *projb, *ln2w, *ln2b, *fcw, *fcb, *fcpw, *fcpb;
} block_params;

struct wu_gpt_impl {
    float *arena;            /* every activation and scratch buffer */
    size_t arena_len;
    float **stream;          /* L+1 residual-stream buffers (B,T,C) */
    block_acts *acts;
    float *lnf, *lnf_mean, *lnf_rstd;
    float *logz;             /* (B,T) */
    float *attn_stats;       /* (L, B*NH*2) */
    /* backward scratch, one block's worth */
    float *d_stream, *d_tmp, *d_tmp2, *d_qkv, *d_h, *d_h2;
    int *tokens, *targets;   /* copies of the last forward's batch */
    int curB, curT, have_targets;
};

wu_gpt_config wu_gpt_default_config(void)
{
    wu_gpt_config c = {.vocab = 256, .ctx = 64, .layers = 4, .heads = 4, .dim = 128,
                       .post_ln = 0, .init = WU_INIT_GPT2, .init_std = 0.02};
    return c;
}

static int gerr(wu_error *err, int code, const char *msg)
{
    if (err) {
        err->code = code;
        err->line = err->col = 0;
        snprintf(err->msg, sizeof err->msg, "model: %s", msg);
    }
    return code;
}

/* Parameter views in state_dict order; with views == NULL only counts. */
static size_t layout(const wu_gpt_config *c, wu_param_view *views, int *nviews, size_t *layer_off)
{
    static const char *const names[12] = {
        "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
        "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
        "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"};
    size_t C = (size_t)c->dim, V = (size_t)c->vocab, T = (size_t)c->ctx;
    size_t sizes[12] = {C, C, 3 * C * C, 3 * C, C * C, C, C, C, 4 * C * C, 4 * C, 4 * C * C, C};
    int dims[12] = {1, 1, 2, 1, 2, 1, 1, 1, 2, 1, 2, 1};
    size_t off = 0;
    int n = 0;
#define VIEW(nm, sz, nd)                                                       \
    do {                                                                       \
        if (views) views[n] = (wu_param_view){(nm), off, (sz), (nd)};          \
        n++;                                                                   \
        off += (sz);                                                           \
    } while (0)
    VIEW("wte", V * C, 2);
    VIEW("wpe", T * C, 2);
    for (int l = 0; l < c->layers; l++) {
        if (layer_off) layer_off[l] = off;
        for (int k = 0; k < 12; k++) VIEW(names[k], sizes[k], dims[k]);
    }
    if (layer_off) layer_off[c->layers] = off;
    if (!c->post_ln) {
        VIEW("ln_f.weight", C, 1);
        VIEW("ln_f.bias", C, 1);
    }
#undef VIEW
    if (nviews) *nviews = n;
    return off;
}

static block_params params_of(const wu_gpt *m, float *base, int l)
{
    const size_t C = (size_t)m->cfg.dim;
    float *p = base + m->layer_off[l];
    block_params b;
    b.ln1w = p; p += C;
    b.ln1b = p; p += C;
    b.qkvw = p; p += 3 * C * C;
    b.qkvb = p; p += 3 * C;
    b.projw = p; p += C * C;
    b.projb = p; p += C;
    b.ln2w = p; p += C;
    b.ln2b = p; p += C;
    b.fcw = p; p += 4 * C * C;
    b.fcb = p; p += 4 * C;
    b.fcpw = p; p += 4 * C * C;
    b.fcpb = p;
    return b;
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
    if (!(c->init_std > 0) || (c->init != WU_INIT_GPT2 && c->init != WU_INIT_XAVIER))
        return gerr(err, WU_EINVAL, "invalid initialisation (init_std must be > 0)");
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
    m->nparams = layout(c, NULL, &m->nviews, m->layer_off);
    m->views = malloc(sizeof *m->views * (size_t)m->nviews);
    m->params = calloc(m->nparams, sizeof(float));
    m->grads = calloc(m->nparams, sizeof(float));
    im->stream = malloc(sizeof(float *) * (size_t)(c->layers + 1));
    im->acts = malloc(sizeof(block_acts) * (size_t)c->layers);
    im->tokens = malloc(sizeof(int) * (size_t)B * T);
    im->targets = malloc(sizeof(int) * (size_t)B * T);
    m->losses = malloc(sizeof(float) * (size_t)B * T);
    if (!m->views || !m->params || !m->grads || !im->stream || !im->acts || !im->tokens ||
        !im->targets || !m->losses) {
        wu_gpt_destroy(m);
        return gerr(err, WU_ENOMEM, "out of memory");
    }
    layout(c, m->views, NULL, NULL);

    /* one arena for every activation; two passes: size it, then hand out pointers */
    const size_t N = (size_t)B * T, C = (size_t)c->dim, L = (size_t)c->layers;
    const size_t NH = (size_t)c->heads, V = (size_t)c->vocab;
    for (int pass = 0; pass < 2; pass++) {
        size_t off = 0;
#define TAKE(ptr, n)                                              \
    do {                                                          \
        if (pass) (ptr) = im->arena + off;                        \
        off += (n);                                               \
    } while (0)
        for (size_t l = 0; l <= L; l++) TAKE(im->stream[l], N * C);
        for (size_t l = 0; l < L; l++) {
            block_acts *a = &im->acts[l];
            TAKE(a->ln1, N * C);
            TAKE(a->ln1_mean, N);
            TAKE(a->ln1_rstd, N);
            TAKE(a->qkv, N * 3 * C);
            TAKE(a->att, (size_t)B * NH * T * T);
            TAKE(a->atty, N * C);
            TAKE(a->res2, N * C);
            TAKE(a->mid, N * C);
            TAKE(a->ln2_mean, N);
            TAKE(a->ln2_rstd, N);
            TAKE(a->fch, N * 4 * C);
            TAKE(a->fchg, N * 4 * C);
        }
        TAKE(im->lnf, N * C);
        TAKE(im->lnf_mean, N);
        TAKE(im->lnf_rstd, N);
        TAKE(m->logits, N * V);
        TAKE(im->logz, N);
        TAKE(im->attn_stats, L * (size_t)B * NH * 2);
        TAKE(im->d_stream, N * C);
        TAKE(im->d_tmp, N * C);
        TAKE(im->d_tmp2, N * C);
        TAKE(im->d_qkv, N * 3 * C);
        TAKE(im->d_h, N * 4 * C);
        TAKE(im->d_h2, N * 4 * C);
#undef TAKE
        if (!pass) {
            im->arena_len = off;
            im->arena = calloc(off, sizeof(float));
            if (!im->arena) {
                wu_gpt_destroy(m);
                return gerr(err, WU_ENOMEM, "out of memory for the activations");
            }
        }
    }
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
        free(im);
    }
    free(m->views);
    free(m->params);
    free(m->grads);
    free(m->losses);
    free(m);
}

size_t wu_gpt_memory(const wu_gpt *m)
{
    return (2 * m->nparams + m->impl->arena_len + (size_t)m->B * m->T * 3) * sizeof(float) +
           sizeof(wu_param_view) * (size_t)m->nviews;
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
    for (int l = 0; l < L; l++) {
        block_params p = params_of(m, m->params, l);
        block_acts *a = &im->acts[l];
        float *in = im->stream[l], *out = im->stream[l + 1];
        float *stats = m->diag ? im->attn_stats + (size_t)l * B * NH * 2 : NULL;
        if (!c->post_ln) {
            layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, in, p.ln1w, p.ln1b, N, C);
            matmul_forward(a->qkv, a->ln1, p.qkvw, p.qkvb, N, C, 3 * C);
            attention_forward(a->atty, a->att, stats, a->qkv, B, T, C, NH, 1);
            matmul_forward(im->d_tmp, a->atty, p.projw, p.projb, N, C, C); /* scratch */
            residual_forward(a->res2, in, im->d_tmp, (size_t)N * C);
            layernorm_forward(a->mid, a->ln2_mean, a->ln2_rstd, a->res2, p.ln2w, p.ln2b, N, C);
            matmul_forward(a->fch, a->mid, p.fcw, p.fcb, N, C, 4 * C);
            gelu_forward(a->fchg, a->fch, (size_t)N * 4 * C);
            matmul_forward(im->d_tmp, a->fchg, p.fcpw, p.fcpb, N, 4 * C, C);
            residual_forward(out, a->res2, im->d_tmp, (size_t)N * C);
        } else {
            matmul_forward(a->qkv, in, p.qkvw, p.qkvb, N, C, 3 * C);
            attention_forward(a->atty, a->att, stats, a->qkv, B, T, C, NH, 1);
            matmul_forward(im->d_tmp, a->atty, p.projw, p.projb, N, C, C);
            residual_forward(a->res2, in, im->d_tmp, (size_t)N * C);
            layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, a->res2, p.ln1w, p.ln1b, N, C);
            matmul_forward(a->fch, a->ln1, p.fcw, p.fcb, N, C, 4 * C);
            gelu_forward(a->fchg, a->fch, (size_t)N * 4 * C);
            matmul_forward(im->d_tmp, a->fchg, p.fcpw, p.fcpb, N, 4 * C, C);
            residual_forward(a->mid, a->ln1, im->d_tmp, (size_t)N * C);
            layernorm_forward(out, a->ln2_mean, a->ln2_rstd, a->mid, p.ln2w, p.ln2b, N, C);
        }
        if (m->diag) { /* reduce the per-(b,h) statistics in order */
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
    matmul_forward(m->logits, final, wte, NULL, N, C, V); /* tied output layer */
    if (!targets) return WU_OK;
    float mx;
    float l = crossentropy_forward_backward(m->logits, m->losses, m->diag ? im->logz : NULL,
                                            m->diag ? &mx : NULL, targets, N, V, 1.0f / (float)N);
    if (m->diag) {
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
        matmul_backward(im->d_tmp, dwte, NULL, m->logits, im->lnf, wte, N, C, V, 0);
        layernorm_backward(ds, dlnfw, dlnfw + C, im->d_tmp, im->stream[L], lnfw, im->lnf_mean,
                           im->lnf_rstd, N, C, 0);
    } else {
        matmul_backward(ds, dwte, NULL, m->logits, im->stream[L], wte, N, C, V, 0);
    }
    for (int l = L - 1; l >= 0; l--) {
        block_params p = params_of(m, m->params, l), g = params_of(m, m->grads, l);
        block_acts *a = &im->acts[l];
        const float *in = im->stream[l];
        if (!c->post_ln) {
            /* ds = d out; out = res2 + mlp(ln_2(res2)) */
            matmul_backward(im->d_h2, g.fcpw, g.fcpb, ds, a->fchg, p.fcpw, N, 4 * C, C, 0);
            gelu_backward(im->d_h, a->fch, im->d_h2, (size_t)N * 4 * C);
            matmul_backward(im->d_tmp, g.fcw, g.fcb, im->d_h, a->mid, p.fcw, N, C, 4 * C, 0);
            layernorm_backward(ds, g.ln2w, g.ln2b, im->d_tmp, a->res2, p.ln2w, a->ln2_mean,
                               a->ln2_rstd, N, C, 1);
            /* ds = d res2; res2 = in + attn(ln_1(in)) */
            matmul_backward(im->d_tmp, g.projw, g.projb, ds, a->atty, p.projw, N, C, C, 0);
            attention_backward(im->d_qkv, im->d_tmp, a->qkv, a->att, B, T, C, NH, 1);
            matmul_backward(im->d_tmp2, g.qkvw, g.qkvb, im->d_qkv, a->ln1, p.qkvw, N, C, 3 * C, 0);
            layernorm_backward(ds, g.ln1w, g.ln1b, im->d_tmp2, in, p.ln1w, a->ln1_mean,
                               a->ln1_rstd, N, C, 1);
        } else {
            /* ds = d out; out = ln_2(mid), mid = x1 + mlp(x1), x1 = ln1 */
            layernorm_backward(im->d_tmp, g.ln2w, g.ln2b, ds, a->mid, p.ln2w, a->ln2_mean,
                               a->ln2_rstd, N, C, 0);
            matmul_backward(im->d_h2, g.fcpw, g.fcpb, im->d_tmp, a->fchg, p.fcpw, N, 4 * C, C, 0);
            gelu_backward(im->d_h, a->fch, im->d_h2, (size_t)N * 4 * C);
            matmul_backward(im->d_tmp, g.fcw, g.fcb, im->d_h, a->ln1, p.fcw, N, C, 4 * C, 1);
            /* d_tmp = d x1; x1 = ln_1(res2), res2 = in + attn(in) */
            layernorm_backward(ds, g.ln1w, g.ln1b, im->d_tmp, a->res2, p.ln1w, a->ln1_mean,
                               a->ln1_rstd, N, C, 0);
            matmul_backward(im->d_tmp, g.projw, g.projb, ds, a->atty, p.projw, N, C, C, 0);
            attention_backward(im->d_qkv, im->d_tmp, a->qkv, a->att, B, T, C, NH, 1);
            matmul_backward(ds, g.qkvw, g.qkvb, im->d_qkv, in, p.qkvw, N, C, 3 * C, 1);
        }
    }
    encoder_backward(dwte, dwpe, ds, im->tokens, B, T, C);

    if (m->diag) {
        for (int l = 0; l < L; l++)
            m->d.grad_norm_layer[l] = sqrt(sumsq(m->grads + m->layer_off[l],
                                                 m->layer_off[l + 1] - m->layer_off[l]));
        m->d.grad_norm_embed = sqrt(sumsq(m->grads, m->layer_off[0]));
        m->d.grad_norm_final = c->post_ln ? 0.0 : sqrt(sumsq(m->grads + m->layer_off[L], 2 * (size_t)C));
    }
}
