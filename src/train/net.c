/* net.c - the model interface: a switch over the three models. */
#include <math.h>
#include <string.h>

#include "net.h"

int wu_net_create(wu_net *n, const wu_net_config *c, wu_error *err)
{
    memset(n, 0, sizeof *n);
    n->kind = c->kind;
    n->B = c->B;
    n->T = c->kind == WU_NET_GPT ? c->T : 1;
    int rc;
    if (c->kind == WU_NET_GPT) {
        wu_gpt_config g = wu_gpt_default_config();
        g.vocab = c->vocab;
        g.ctx = c->T;
        g.layers = c->layers;
        g.heads = c->heads;
        g.dim = c->dim;
        g.post_ln = c->post_ln;
        if ((rc = wu_gpt_create(&n->gpt, &g, c->B, c->T, err)) != WU_OK) return rc;
        n->nparams = n->gpt->nparams, n->params = n->gpt->params, n->grads = n->gpt->grads;
        n->views = n->gpt->views, n->nviews = n->gpt->nviews;
    } else if (c->kind == WU_NET_MLP) {
        wu_mlp_config m = {.in = 784, .depth = c->depth, .width = c->width, .classes = 10,
                           .act = c->act, .init = WU_MLP_INIT_STANDARD};
        if ((rc = wu_mlp_create(&n->mlp, &m, c->B, err)) != WU_OK) return rc;
        n->nparams = n->mlp->nparams, n->params = n->mlp->params, n->grads = n->mlp->grads;
        n->views = n->mlp->views, n->nviews = n->mlp->nviews;
    } else {
        wu_vit_config v = wu_vit_default_config();
        v.dim = c->dim;
        v.heads = c->heads;
        v.layers = c->layers;
        v.post_ln = c->post_ln;
        v.pool = c->pool;
        if ((rc = wu_vit_create(&n->vit, &v, c->B, err)) != WU_OK) return rc;
        n->nparams = n->vit->nparams, n->params = n->vit->params, n->grads = n->vit->grads;
        n->views = n->vit->views, n->nviews = n->vit->nviews;
    }
    return WU_OK;
}

void wu_net_destroy(wu_net *n)
{
    wu_gpt_destroy(n->gpt);
    wu_mlp_destroy(n->mlp);
    wu_vit_destroy(n->vit);
    memset(n, 0, sizeof *n);
}

void wu_net_init(wu_net *n, uint64_t seed)
{
    if (n->gpt) wu_gpt_init(n->gpt, seed);
    if (n->mlp) wu_mlp_init(n->mlp, seed);
    if (n->vit) wu_vit_init(n->vit, seed);
}

void wu_net_set_diag(wu_net *n, int on)
{
    if (n->gpt) n->gpt->diag = on;
    if (n->mlp) n->mlp->diag = on;
    if (n->vit) n->vit->diag = on;
}

int wu_net_forward(wu_net *n, const void *x, const int *y, int B, float *loss, int *correct)
{
    if (correct) *correct = 0;
    if (n->gpt) return wu_gpt_forward(n->gpt, x, y, B, n->T, loss);
    if (n->mlp) return wu_mlp_forward(n->mlp, x, y, B, loss, correct);
    return wu_vit_forward(n->vit, x, y, B, loss, correct);
}

void wu_net_backward(wu_net *n)
{
    memset(n->grads, 0, n->nparams * sizeof(float));
    if (n->gpt) wu_gpt_backward(n->gpt);
    if (n->mlp) wu_mlp_backward(n->mlp);
    if (n->vit) wu_vit_backward(n->vit);
}

float wu_net_attn_max_logit(const wu_net *n)
{
    const float *v = n->gpt ? n->gpt->d.attn_max_logit : n->vit ? n->vit->d.attn_max_logit : NULL;
    int L = n->gpt ? n->gpt->cfg.layers : n->vit ? n->vit->cfg.layers : 0;
    if (!v) return NAN;
    float mx = -INFINITY;
    for (int l = 0; l < L; l++) mx = v[l] > mx ? v[l] : mx;
    return mx;
}

float wu_net_out_max_logit(const wu_net *n)
{
    return n->gpt ? n->gpt->d.out_max_logit : n->mlp ? n->mlp->d.out_max_logit : n->vit->d.out_max_logit;
}

float wu_net_logz_mean(const wu_net *n)
{
    return n->gpt ? n->gpt->d.logz_mean : n->mlp ? n->mlp->d.logz_mean : n->vit->d.logz_mean;
}

int wu_net_grad_norm_layers(const wu_net *n, double *out, int max)
{
    const double *v = n->gpt ? n->gpt->d.grad_norm_layer
                    : n->mlp ? n->mlp->d.grad_norm_layer : n->vit->d.grad_norm_layer;
    int L = n->gpt ? n->gpt->cfg.layers : n->mlp ? n->mlp->cfg.depth + 1 : n->vit->cfg.layers;
    if (L > max) L = max;
    for (int l = 0; l < L; l++) out[l] = v[l];
    return L;
}
