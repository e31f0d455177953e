/* vit.c - the Vision Transformer: patches -> embedding (+ CLS) + positions -> blocks -> pool ->
 * head. The blocks are block.c's, with non-causal attention. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/nn.h"
#include "block.h"
#include "../util/rng.h"
#include "vit.h"
#include "model.h"
#include "../util/fail.h"
#include "../util/mem.h"

struct wu_vit_impl {
    float *arena;
    size_t arena_len;
    float *patches;          /* (B*NP, P*P) */
    float *emb;              /* (B*NP, C) patch embeddings, reused as their gradient */
    float **stream;          /* L+1 buffers (B,S,C) */
    wu_block_acts *acts;
    float *lnf, *lnf_mean, *lnf_rstd;
    float *pooled, *dpooled; /* (B,C) */
    float *losses, *logz;
    float *attn_stats;
    float *ds;               /* (B,S,C) */
    wu_block_scratch sc;
    int *labels;
    int curB, have_labels, np;
    size_t off_patch_w, off_patch_b, off_cls, off_pos, off_lnf, off_head_w, off_head_b;
    size_t layer_off[WU_MAX_LAYERS + 1];
    char (*names)[WU_VIEW_NAME];
};

wu_vit_config wu_vit_default_config(void)
{
    wu_vit_config c = {.image = 28, .patch = 7, .dim = 64, .heads = 4, .layers = 4,
                       .classes = 10, .post_ln = 0, .pool = WU_POOL_CLS, .init_std = 0.02};
    return c;
}

static int verr(wu_error *err, int code, const char *msg)
{
    return wu_fail(err, code, "vit: %s", msg);
}

int wu_vit_create(wu_vit **out, const wu_vit_config *c, int B, wu_error *err)
{
    *out = NULL;
    if (c->image >= 1 && c->patch >= 1 && c->image % c->patch != 0)
        return wu_fail(err, WU_EINVAL, "vit: the images are %dx%d pixels, which %dx%d patches do "
                       "not tile (the ViT needs an image side divisible by %d, e.g. %d)", c->image,
                       c->image, c->patch, c->patch, c->patch, 4 * c->patch);
    if (c->image < 1 || c->patch < 1 || c->dim < 1 || c->heads < 1 ||
        c->dim % c->heads != 0 || c->layers < 1 || c->layers > WU_MAX_LAYERS || c->classes < 2 ||
        B < 1 || !(c->init_std > 0) || !wu_model_precision_name(c->precision))
        return verr(err, WU_EINVAL, "invalid configuration: need a patch size dividing the image, "
                                    "a width divisible by the heads, 1..32 layers, classes >= 2, "
                                    "batch >= 1, a known precision");
    wu_vit *m = calloc(1, sizeof *m);
    struct wu_vit_impl *im = calloc(1, sizeof *im);
    if (!m || !im) {
        free(m);
        free(im);
        return verr(err, WU_ENOMEM, "out of memory");
    }
    m->impl = im;
    m->cfg = *c;
    m->B = B;
    const int g = c->image / c->patch, NP = g * g, PP = c->patch * c->patch, C = c->dim;
    const int L = c->layers, cls = c->pool == WU_POOL_CLS;
    im->np = NP;
    m->S = NP + cls;
    /* views */
    m->nviews = 2 + cls + 1 + 12 * L + (c->post_ln ? 0 : 2) + 2;
    m->views = calloc((size_t)m->nviews, sizeof *m->views);
    im->names = calloc((size_t)L * 12, sizeof *im->names);
    im->stream = calloc((size_t)L + 1, sizeof(float *));
    im->acts = calloc((size_t)L, sizeof *im->acts);
    im->labels = calloc((size_t)B, sizeof(int));
    if (!m->views || !im->names || !im->stream || !im->acts || !im->labels) {
        wu_vit_destroy(m);
        return verr(err, WU_ENOMEM, "out of memory");
    }
    size_t off = 0;
    int n = 0;
#define VIEW(nm, sz, nd, where) do { (where) = off; m->views[n++] = (wu_param_view){(nm), off, (sz), (nd)}; off += (sz); } while (0)
    VIEW("patch.weight", (size_t)C * PP, 2, im->off_patch_w);
    VIEW("patch.bias", (size_t)C, 1, im->off_patch_b);
    if (cls) VIEW("cls", (size_t)C, 1, im->off_cls);
    VIEW("pos", (size_t)m->S * C, 2, im->off_pos);
    for (int l = 0; l < L; l++) {
        im->layer_off[l] = off;
        n += wu_block_views(m->views + n, im->names + 12 * l, l, off, C);
        off += wu_block_nparams(C);
    }
    im->layer_off[L] = off;
    size_t dummy;
    if (!c->post_ln) {
        VIEW("ln_f.weight", (size_t)C, 1, im->off_lnf);
        VIEW("ln_f.bias", (size_t)C, 1, dummy);
    }
    VIEW("head.weight", (size_t)c->classes * C, 2, im->off_head_w);
    VIEW("head.bias", (size_t)c->classes, 1, im->off_head_b);
#undef VIEW
    (void)dummy;
    m->nparams = off;
    m->params = calloc(off, sizeof(float));
    m->grads = wu_calloc_mapped(off, sizeof(float)); /* mapped now: mem.h */
    /* activations */
    const size_t S = (size_t)m->S, N = (size_t)B * S, Cs = (size_t)C;
    im->arena_len = (size_t)B * NP * PP + (size_t)B * NP * Cs + (L + 1) * N * Cs +
                    L * wu_block_acts_floats(B, m->S, C, c->heads) + N * Cs + 2 * N +
                    2 * (size_t)B * Cs + (size_t)B * c->classes + 2 * (size_t)B +
                    L * (size_t)B * c->heads * 2 + N * Cs + wu_block_scratch_floats((int)N, C);
    im->arena = wu_calloc_mapped(im->arena_len, sizeof(float));
    if (!m->params || !m->grads || !im->arena) {
        wu_vit_destroy(m);
        return verr(err, WU_ENOMEM, "out of memory");
    }
    float *ar = im->arena;
#define TAKE(ptr, k) do { (ptr) = ar; ar += (k); } while (0)
    TAKE(im->patches, (size_t)B * NP * PP);
    TAKE(im->emb, (size_t)B * NP * Cs);
    for (int l = 0; l <= L; l++) TAKE(im->stream[l], N * Cs);
    for (int l = 0; l < L; l++) wu_block_acts_take(&im->acts[l], &ar, B, m->S, C, c->heads);
    TAKE(im->lnf, N * Cs);
    TAKE(im->lnf_mean, N);
    TAKE(im->lnf_rstd, N);
    TAKE(im->pooled, (size_t)B * Cs);
    TAKE(im->dpooled, (size_t)B * Cs);
    TAKE(m->logits, (size_t)B * c->classes);
    TAKE(im->losses, (size_t)B);
    TAKE(im->logz, (size_t)B);
    TAKE(im->attn_stats, (size_t)L * B * c->heads * 2);
    TAKE(im->ds, N * Cs);
#undef TAKE
    wu_block_scratch_take(&im->sc, &ar, (int)N, C);
    *out = m;
    return WU_OK;
}

void wu_vit_destroy(wu_vit *m)
{
    if (!m) return;
    if (m->impl) {
        free(m->impl->arena);
        free(m->impl->stream);
        free(m->impl->acts);
        free(m->impl->labels);
        free(m->impl->names);
        free(m->impl);
    }
    free(m->views);
    free(m->params);
    free(m->grads);
    free(m);
}

void wu_vit_init(wu_vit *m, uint64_t seed)
{
    wu_rng r;
    wu_rng_seed(&r, seed);
    double std = m->cfg.init_std, resid = std / sqrt(2.0 * m->cfg.layers);
    memset(m->params, 0, m->nparams * sizeof(float));
    for (int v = 0; v < m->nviews; v++) {
        const wu_param_view *pv = &m->views[v];
        float *p = m->params + pv->offset;
        if (strstr(pv->name, "ln_") && strstr(pv->name, ".weight")) {
            for (size_t i = 0; i < pv->numel; i++) p[i] = 1.0f;
        } else if (!strstr(pv->name, ".bias")) {
            double s = strstr(pv->name, "c_proj.weight") ? resid : std;
            for (size_t i = 0; i < pv->numel; i++) p[i] = (float)(wu_rng_normal(&r) * s);
        }
    }
}

void wu_vit_zero_grad(wu_vit *m) { memset(m->grads, 0, m->nparams * sizeof(float)); }

int wu_vit_forward(wu_vit *m, const float *img, const int *labels, int B, float *loss,
                   int *correct)
{
    const wu_vit_config *c = &m->cfg;
    struct wu_vit_impl *im = m->impl;
    if (B < 1 || B > m->B) return WU_EINVAL;
    for (int b = 0; labels && b < B; b++)
        if (labels[b] < 0 || labels[b] >= c->classes) return WU_EINVAL;
    const int P = c->patch, PP = P * P, g = c->image / P, NP = im->np, C = c->dim;
    const int S = m->S, cls = c->pool == WU_POOL_CLS, L = c->layers, NH = c->heads;
    /* patches (B*NP, P*P): patch (pr, pc) holds pixels (pr*P + py, pc*P + px) at py*P + px */
    for (int b = 0; b < B; b++)
        for (int pr = 0; pr < g; pr++)
            for (int pc = 0; pc < g; pc++) {
                float *dst = im->patches + ((size_t)b * NP + pr * g + pc) * PP;
                for (int py = 0; py < P; py++)
                    memcpy(dst + py * P, img + (size_t)b * c->image * c->image +
                                             (size_t)(pr * P + py) * c->image + pc * P,
                           sizeof(float) * (size_t)P);
            }
    matmul_forward(im->emb, im->patches, m->params + im->off_patch_w, m->params + im->off_patch_b,
                   B * NP, PP, C, (wu_precision)c->precision);
    /* the token sequence: [cls,] patches, plus positions */
    const float *pos = m->params + im->off_pos;
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++) {
            float *t = im->stream[0] + ((size_t)b * S + s) * C;
            const float *src = cls && s == 0 ? m->params + im->off_cls
                                             : im->emb + ((size_t)b * NP + s - cls) * C;
            for (int i = 0; i < C; i++) t[i] = src[i] + pos[(size_t)s * C + i];
        }
    const wu_block_shape shape = {B, S, C, NH, c->post_ln, 0, c->precision};
    for (int l = 0; l < L; l++) {
        wu_block_params p = wu_block_params_at(m->params + im->layer_off[l], C);
        float *stats = m->diag & WU_DIAG_FORWARD ? im->attn_stats + (size_t)l * B * NH * 2 : NULL;
        wu_block_forward(&shape, &p, &im->acts[l], im->stream[l], im->stream[l + 1], im->sc.tmp,
                         stats);
        if (stats) {
            float mx = -INFINITY, ent = 0;
            for (int i = 0; i < B * NH; i++) {
                mx = stats[2 * i] > mx ? stats[2 * i] : mx;
                ent += stats[2 * i + 1];
            }
            m->d.attn_max_logit[l] = mx;
            m->d.attn_entropy[l] = ent / (float)(B * NH);
        }
    }
    const float *fin = im->stream[L];
    if (!c->post_ln) {
        const float *w = m->params + im->off_lnf;
        layernorm_forward(im->lnf, im->lnf_mean, im->lnf_rstd, fin, w, w + C, B * S, C);
        fin = im->lnf;
    }
    for (int b = 0; b < B; b++) { /* pooling */
        float *o = im->pooled + (size_t)b * C;
        if (cls) {
            memcpy(o, fin + (size_t)b * S * C, sizeof(float) * (size_t)C);
        } else {
            for (int i = 0; i < C; i++) o[i] = 0.0f;
            for (int s = 0; s < S; s++)
                for (int i = 0; i < C; i++) o[i] += fin[((size_t)b * S + s) * C + i];
            for (int i = 0; i < C; i++) o[i] /= (float)S;
        }
    }
    matmul_forward(m->logits, im->pooled, m->params + im->off_head_w, m->params + im->off_head_b,
                   B, C, c->classes, (wu_precision)c->precision);
    im->curB = B;
    im->have_labels = labels != NULL;
    if (!labels) return WU_OK;
    memcpy(im->labels, labels, sizeof(int) * (size_t)B);
    float l = wu_classify(m->logits, im->losses, im->logz, labels, B, c->classes, correct,
                          m->diag & WU_DIAG_FORWARD ? &m->d : NULL);
    if (loss) *loss = l;
    return WU_OK;
}

void wu_vit_backward(wu_vit *m)
{
    const wu_vit_config *c = &m->cfg;
    struct wu_vit_impl *im = m->impl;
    if (!im->have_labels) return;
    const int B = im->curB, C = c->dim, S = m->S, NP = im->np, L = c->layers;
    const int cls = c->pool == WU_POOL_CLS, PP = c->patch * c->patch;
    float *ds = im->ds;
    matmul_backward(im->dpooled, m->grads + im->off_head_w, m->grads + im->off_head_b, m->logits,
                    im->pooled, m->params + im->off_head_w, B, C, c->classes, 0,
                    (wu_precision)c->precision);
    /* pooling backward into dfinal (kept in sc.tmp when ln_f follows, else straight in ds) */
    float *dfin = c->post_ln ? ds : im->sc.tmp;
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++) {
            float *d = dfin + ((size_t)b * S + s) * C;
            const float *dp = im->dpooled + (size_t)b * C;
            for (int i = 0; i < C; i++)
                d[i] = cls ? (s == 0 ? dp[i] : 0.0f) : dp[i] / (float)S;
        }
    if (!c->post_ln) {
        const float *w = m->params + im->off_lnf;
        float *gw = m->grads + im->off_lnf;
        layernorm_backward(ds, gw, gw + C, dfin, im->stream[L], w, im->lnf_mean, im->lnf_rstd,
                           B * S, C, 0);
    }
    const wu_block_shape shape = {B, S, C, c->heads, c->post_ln, 0, c->precision};
    for (int l = L - 1; l >= 0; l--) {
        wu_block_params p = wu_block_params_at(m->params + im->layer_off[l], C);
        wu_block_params gr = wu_block_params_at(m->grads + im->layer_off[l], C);
        wu_block_backward(&shape, &p, &gr, &im->acts[l], im->stream[l], ds, &im->sc);
    }
    /* ds = d(tokens): positions, the CLS token, then the patch embedding */
    float *gpos = m->grads + im->off_pos;
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++) {
            const float *d = ds + ((size_t)b * S + s) * C;
            for (int i = 0; i < C; i++) gpos[(size_t)s * C + i] += d[i];
            if (cls && s == 0) {
                float *gc = m->grads + im->off_cls;
                for (int i = 0; i < C; i++) gc[i] += d[i];
            } else {
                memcpy(im->emb + ((size_t)b * NP + s - cls) * C, d, sizeof(float) * (size_t)C);
            }
        }
    matmul_backward(NULL, m->grads + im->off_patch_w, m->grads + im->off_patch_b, im->emb,
                    im->patches, m->params + im->off_patch_w, B * NP, PP, C, 0,
                    (wu_precision)c->precision);
    if (m->diag & WU_DIAG_GRADS) {
        m->d.nlayers = L;
        for (int l = 0; l < L; l++)
            m->d.grad_norm_layer[l] = wu_norm(m->grads + im->layer_off[l],
                                              im->layer_off[l + 1] - im->layer_off[l]);
    }
}

/* ---- the model interface (model.h) --------------------------------------------------------- */

static int vit_create(void **impl, const wu_model_config *c, wu_error *err)
{
    if (c->rows != c->cols)
        return verr(err, WU_EINVAL, "invalid input: the ViT takes square images");
    wu_vit_config v = wu_vit_default_config();
    v.image = c->rows;
    v.classes = c->classes;
    v.dim = c->dim;
    v.heads = c->heads;
    v.layers = c->layers;
    v.post_ln = c->post_ln;
    v.pool = c->pool;
    v.precision = c->precision;
    wu_vit *m;
    int rc = wu_vit_create(&m, &v, c->batch, err);
    if (rc != WU_OK) return rc;
    wu_vit_init(m, c->seed);
    m->diag = c->diag;
    *impl = m;
    return WU_OK;
}

static int vit_forward(void *impl, const void *x, const int *y, int B, float *loss, int *correct)
{
    int ok = 0;
    int rc = wu_vit_forward(impl, x, y, B, loss, &ok);
    if (correct) *correct = ok;
    return rc;
}

static void vit_backward(void *impl) { wu_vit_backward(impl); }

static void vit_parameters(void *impl, wu_model_params *p)
{
    wu_vit *m = impl;
    *p = (wu_model_params){m->nparams, m->params, m->grads, m->views, m->nviews};
}

/* vit_diagnostics copies the per-layer norms of a wu_class_diag into a wu_model_diag */
_Static_assert(sizeof(((wu_class_diag *)0)->grad_norm_layer) <=
                   sizeof(((wu_model_diag *)0)->grad_norm_layer),
               "a ViT may have more layers than wu_model_diag holds");

static void vit_diagnostics(const void *impl, wu_model_diag *d)
{
    const wu_vit *m = impl;
    wu_model_diag_set(d, m->d.attn_max_logit, m->cfg.layers, m->d.out_max_logit, m->d.logz_mean,
                      m->d.grad_norm_layer);
}

static void vit_destroy(void *impl) { wu_vit_destroy(impl); }

const wu_model_ops wu_vit_ops = {"vit", WU_INPUT_IMAGES, vit_create, vit_forward, vit_backward,
                                 vit_parameters, vit_diagnostics, vit_destroy};
