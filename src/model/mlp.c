/* mlp.c - the MLP classifier: forward, backward, initialisation, diagnostics. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/nn.h"
#include "mlp.h"
#include "model.h"
#include "../util/rng.h"
#include "../util/fail.h"
#include "../util/mem.h"

struct wu_mlp_impl {
    float *arena;
    float *x;                 /* (B, in) copy of the input */
    float **z, **a;           /* per hidden layer: pre-activation and activation (B, W) */
    float *losses, *logz;     /* (B) */
    float *d1, *d2;           /* (B, W) gradient scratch */
    int *labels;
    int curB, have_labels;
    char (*names)[24];
    size_t *layer_off;        /* depth + 2 offsets: linear layer i is [off[i], off[i+1]) */
};

static int merr(wu_error *err, int code, const char *msg)
{
    return wu_fail(err, code, "mlp: %s", msg);
}

int wu_mlp_create(wu_mlp **out, const wu_mlp_config *c, int B, wu_error *err)
{
    *out = NULL;
    if (c->in < 1 || c->depth < 1 || c->depth >= WU_MAX_LAYERS || c->width < 1 ||
        c->classes < 2 || c->act < WU_ACT_RELU || c->act > WU_ACT_TANH || B < 1 ||
        !wu_model_precision_name(c->precision))
        return merr(err, WU_EINVAL, "invalid configuration: need inputs >= 1, depth 1..31, "
                                    "width >= 1, classes >= 2, a known activation, batch >= 1, a "
                                    "known precision");
    wu_mlp *m = calloc(1, sizeof *m);
    struct wu_mlp_impl *im = calloc(1, sizeof *im);
    if (!m || !im) {
        free(m);
        free(im);
        return merr(err, WU_ENOMEM, "out of memory");
    }
    m->impl = im;
    m->cfg = *c;
    m->B = B;
    const int L = c->depth + 1, W = c->width;
    m->nviews = 2 * L;
    m->views = calloc((size_t)m->nviews, sizeof *m->views);
    im->names = calloc((size_t)m->nviews, sizeof *im->names);
    im->layer_off = calloc((size_t)L + 1, sizeof *im->layer_off);
    im->z = calloc((size_t)c->depth, sizeof(float *));
    im->a = calloc((size_t)c->depth, sizeof(float *));
    im->labels = calloc((size_t)B, sizeof(int));
    if (!m->views || !im->names || !im->layer_off || !im->z || !im->a || !im->labels) {
        wu_mlp_destroy(m);
        return merr(err, WU_ENOMEM, "out of memory");
    }
    size_t off = 0;
    for (int i = 0; i < L; i++) {
        size_t fin = i == 0 ? (size_t)c->in : (size_t)W, fout = i == L - 1 ? (size_t)c->classes : (size_t)W;
        im->layer_off[i] = off;
        snprintf(im->names[2 * i], 24, "fc%d.weight", i);
        snprintf(im->names[2 * i + 1], 24, "fc%d.bias", i);
        m->views[2 * i] = (wu_param_view){im->names[2 * i], off, fout * fin, 2};
        off += fout * fin;
        m->views[2 * i + 1] = (wu_param_view){im->names[2 * i + 1], off, fout, 1};
        off += fout;
    }
    im->layer_off[L] = off;
    m->nparams = off;
    m->params = calloc(off, sizeof(float));
    m->grads = wu_calloc_mapped(off, sizeof(float)); /* mapped now: mem.h */
    size_t nb = (size_t)B, arena = nb * c->in + 2 * (size_t)c->depth * nb * W + nb * c->classes +
                                   2 * nb + 2 * nb * (W > c->classes ? W : c->classes);
    im->arena = wu_calloc_mapped(arena, sizeof(float));
    if (!m->params || !m->grads || !im->arena) {
        wu_mlp_destroy(m);
        return merr(err, WU_ENOMEM, "out of memory");
    }
    float *ar = im->arena;
    im->x = ar, ar += nb * c->in;
    for (int i = 0; i < c->depth; i++) {
        im->z[i] = ar, ar += nb * W;
        im->a[i] = ar, ar += nb * W;
    }
    m->logits = ar, ar += nb * c->classes;
    im->losses = ar, ar += nb;
    im->logz = ar, ar += nb;
    im->d1 = ar, ar += nb * (W > c->classes ? W : c->classes);
    im->d2 = ar;
    *out = m;
    return WU_OK;
}

void wu_mlp_destroy(wu_mlp *m)
{
    if (!m) return;
    if (m->impl) {
        free(m->impl->arena);
        free(m->impl->z);
        free(m->impl->a);
        free(m->impl->labels);
        free(m->impl->names);
        free(m->impl->layer_off);
        free(m->impl);
    }
    free(m->views);
    free(m->params);
    free(m->grads);
    free(m);
}

void wu_mlp_init(wu_mlp *m, uint64_t seed)
{
    wu_rng r;
    wu_rng_seed(&r, seed);
    const int L = m->cfg.depth + 1;
    for (int i = 0; i < L; i++) {
        const wu_param_view *w = &m->views[2 * i], *b = &m->views[2 * i + 1];
        size_t fin = w->numel / b->numel;
        double bound = 1.0 / sqrt((double)fin);
        int small = i == L - 1 && m->cfg.init == WU_MLP_INIT_SMALL_OUTPUT;
        for (size_t k = 0; k < w->numel; k++)
            m->params[w->offset + k] = (float)((2.0 * wu_rng_uniform(&r) - 1.0) * bound * (small ? 0.01 : 1.0));
        for (size_t k = 0; k < b->numel; k++)
            m->params[b->offset + k] = small ? 0.0f : (float)((2.0 * wu_rng_uniform(&r) - 1.0) * bound);
    }
}

void wu_mlp_zero_grad(wu_mlp *m) { memset(m->grads, 0, m->nparams * sizeof(float)); }

static void act_forward(int act, float *out, const float *in, size_t n)
{
    if (act == WU_ACT_RELU) relu_forward(out, in, n);
    else if (act == WU_ACT_GELU) gelu_forward(out, in, n);
    else tanh_forward(out, in, n);
}

static void act_backward(int act, float *dz, const float *z, const float *a, const float *da,
                         size_t n)
{
    if (act == WU_ACT_RELU) relu_backward(dz, z, da, n);
    else if (act == WU_ACT_GELU) gelu_backward(dz, z, da, n);
    else tanh_backward(dz, a, da, n);
}

int wu_mlp_forward(wu_mlp *m, const float *x, const int *labels, int B, float *loss, int *correct)
{
    const wu_mlp_config *c = &m->cfg;
    struct wu_mlp_impl *im = m->impl;
    if (B < 1 || B > m->B) return WU_EINVAL;
    for (int b = 0; labels && b < B; b++)
        if (labels[b] < 0 || labels[b] >= c->classes) return WU_EINVAL;
    memcpy(im->x, x, sizeof(float) * (size_t)B * c->in);
    const float *h = im->x;
    int fin = c->in;
    for (int i = 0; i < c->depth; i++) {
        const float *w = m->params + m->views[2 * i].offset, *bias = m->params + m->views[2 * i + 1].offset;
        matmul_forward(im->z[i], h, w, bias, B, fin, c->width, (wu_precision)c->precision);
        act_forward(c->act, im->a[i], im->z[i], (size_t)B * c->width);
        h = im->a[i];
        fin = c->width;
    }
    const int L = c->depth;
    matmul_forward(m->logits, h, m->params + m->views[2 * L].offset,
                   m->params + m->views[2 * L + 1].offset, B, fin, c->classes,
                   (wu_precision)c->precision);
    im->curB = B;
    im->have_labels = labels != NULL;
    if (!labels) return WU_OK;
    memcpy(im->labels, labels, sizeof(int) * (size_t)B);
    float l = wu_classify(m->logits, im->losses, im->logz, labels, B, c->classes, correct,
                          m->diag & WU_DIAG_FORWARD ? &m->d : NULL);
    if (loss) *loss = l;
    return WU_OK;
}

void wu_mlp_backward(wu_mlp *m)
{
    const wu_mlp_config *c = &m->cfg;
    struct wu_mlp_impl *im = m->impl;
    if (!im->have_labels) return;
    const int B = im->curB, L = c->depth, W = c->width;
    /* the output layer, then the hidden ones; d1 holds d(activation), d2 d(pre-activation) */
    const float *hin = L > 0 ? im->a[L - 1] : im->x;
    matmul_backward(im->d1, m->grads + m->views[2 * L].offset, m->grads + m->views[2 * L + 1].offset,
                    m->logits, hin, m->params + m->views[2 * L].offset, B, W, c->classes, 0,
                    (wu_precision)c->precision);
    for (int i = L - 1; i >= 0; i--) {
        act_backward(c->act, im->d2, im->z[i], im->a[i], im->d1, (size_t)B * W);
        const float *in = i > 0 ? im->a[i - 1] : im->x;
        int fin = i > 0 ? W : c->in;
        matmul_backward(i > 0 ? im->d1 : NULL, m->grads + m->views[2 * i].offset,
                        m->grads + m->views[2 * i + 1].offset, im->d2, in,
                        m->params + m->views[2 * i].offset, B, fin, W, 0,
                        (wu_precision)c->precision);
    }
    if (m->diag & WU_DIAG_GRADS) {
        m->d.nlayers = L + 1;
        for (int i = 0; i <= L; i++)
            m->d.grad_norm_layer[i] = wu_norm(m->grads + im->layer_off[i],
                                              im->layer_off[i + 1] - im->layer_off[i]);
    }
}

/* ---- the model interface (model.h) --------------------------------------------------------- */

static int mlp_create(void **impl, const wu_model_config *c, wu_error *err)
{
    if (c->rows < 1 || c->cols < 1 || (int64_t)c->rows * c->cols > INT_MAX)
        return merr(err, WU_EINVAL, "invalid input: need images of at least 1x1 pixels, and fewer "
                    "than 2^31 of them");
    wu_mlp_config mc = {.in = c->rows * c->cols, .depth = c->depth, .width = c->width,
                        .classes = c->classes, .act = c->act, .init = WU_MLP_INIT_STANDARD,
                        .precision = c->precision};
    wu_mlp *m;
    int rc = wu_mlp_create(&m, &mc, c->batch, err);
    if (rc != WU_OK) return rc;
    wu_mlp_init(m, c->seed);
    m->diag = c->diag;
    *impl = m;
    return WU_OK;
}

static int mlp_forward(void *impl, const void *x, const int *y, int B, float *loss, int *correct)
{
    int ok = 0;
    int rc = wu_mlp_forward(impl, x, y, B, loss, &ok);
    if (correct) *correct = ok;
    return rc;
}

static void mlp_backward(void *impl) { wu_mlp_backward(impl); }

static void mlp_parameters(void *impl, wu_model_params *p)
{
    wu_mlp *m = impl;
    *p = (wu_model_params){m->nparams, m->params, m->grads, m->views, m->nviews};
}

/* mlp_diagnostics copies the per-layer norms of a wu_class_diag into a wu_model_diag */
_Static_assert(sizeof(((wu_class_diag *)0)->grad_norm_layer) <=
                   sizeof(((wu_model_diag *)0)->grad_norm_layer),
               "an MLP may have more layers than wu_model_diag holds");

static void mlp_diagnostics(const void *impl, wu_model_diag *d)
{
    const wu_mlp *m = impl;
    wu_model_diag_set(d, NULL, m->cfg.depth + 1, m->d.out_max_logit, m->d.logz_mean,
                      m->d.grad_norm_layer);
}

static void mlp_destroy(void *impl) { wu_mlp_destroy(impl); }

const wu_model_ops wu_mlp_ops = {"mlp", WU_INPUT_IMAGES, mlp_create, mlp_forward, mlp_backward,
                                 mlp_parameters, mlp_diagnostics, mlp_destroy};
