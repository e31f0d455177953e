/* model.c - the model interface: the registry of models and the handle over their ops. */
#include <math.h>
#include <string.h>

#include "../nn/nn.h"
#include "mlp.h"
#include "model.h"
#include "vit.h"

static const wu_model_ops *const all[] = {&wu_gpt_ops, &wu_mlp_ops, &wu_vit_ops};
static const char *const acts[] = {[WU_ACT_RELU] = "relu", [WU_ACT_GELU] = "gelu",
                                   [WU_ACT_TANH] = "tanh"};
static const char *const pools[] = {[WU_POOL_CLS] = "cls", [WU_POOL_MEAN] = "mean"};
static const char *const inits[] = {[WU_INIT_GPT2] = "gpt2", [WU_INIT_XAVIER] = "xavier"};
static const char *const precisions[] = {[WU_PREC_FP32] = "fp32", [WU_PREC_BF16] = "bf16"};
#define COUNT(a) ((int)(sizeof a / sizeof a[0]))

const wu_model_ops *wu_model_find(const char *name)
{
    for (int i = 0; name && i < COUNT(all); i++)
        if (!strcmp(all[i]->name, name)) return all[i];
    return NULL;
}

const wu_model_ops *wu_model_nth(int i)
{
    return i >= 0 && i < COUNT(all) ? all[i] : NULL;
}

static int lookup(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

int wu_model_act_from_name(const char *name) { return lookup(acts, COUNT(acts), name); }
const char *wu_model_act_name(int act) { return act >= 0 && act < COUNT(acts) ? acts[act] : NULL; }
int wu_model_pool_from_name(const char *name) { return lookup(pools, COUNT(pools), name); }
const char *wu_model_pool_name(int pool) { return pool >= 0 && pool < COUNT(pools) ? pools[pool] : NULL; }
int wu_model_init_from_name(const char *name) { return lookup(inits, COUNT(inits), name); }
const char *wu_model_init_name(int init) { return init >= 0 && init < COUNT(inits) ? inits[init] : NULL; }
int wu_model_precision_from_name(const char *name) { return lookup(precisions, COUNT(precisions), name); }
const char *wu_model_precision_name(int p)
{
    return p >= 0 && p < COUNT(precisions) ? precisions[p] : NULL;
}

void wu_model_diag_set(wu_model_diag *d, const float *attn, int L, float out_max_logit,
                       float logz_mean, const double *grad_norm_layer)
{
    float mx = attn ? -INFINITY : NAN;
    for (int l = 0; attn && l < L; l++) mx = attn[l] > mx ? attn[l] : mx;
    d->attn_max_logit = mx;
    d->out_max_logit = out_max_logit;
    d->logz_mean = logz_mean;
    d->nlayers = L;
    for (int l = 0; l < L; l++) d->grad_norm_layer[l] = grad_norm_layer[l];
}

wu_model_config wu_model_default_config(void)
{
    wu_model_config c = {.layers = 4, .heads = 4, .dim = 128, .depth = 2, .width = 256,
                         .act = WU_ACT_RELU, .pool = WU_POOL_CLS, .init = WU_INIT_GPT2,
                         .embed_scale = 1, .seed = 1};
    return c;
}

int wu_model_create(wu_model *m, const wu_model_ops *ops, const wu_model_config *c, wu_error *err)
{
    memset(m, 0, sizeof *m);
    int rc = ops->create(&m->impl, c, err);
    if (rc != WU_OK) {
        m->impl = NULL;
        return rc;
    }
    m->ops = ops;
    wu_model_params p;
    ops->parameters(m->impl, &p);
    m->nparams = p.n, m->params = p.params, m->grads = p.grads;
    m->views = p.views, m->nviews = p.nviews;
    return WU_OK;
}

void wu_model_destroy(wu_model *m)
{
    if (m->ops) m->ops->destroy(m->impl);
    memset(m, 0, sizeof *m);
}

int wu_model_forward(wu_model *m, const void *x, const int *y, int B, float *loss, int *correct)
{
    return m->ops->forward(m->impl, x, y, B, loss, correct);
}

void wu_model_backward(wu_model *m)
{
    memset(m->grads, 0, m->nparams * sizeof(float));
    m->ops->backward(m->impl);
}

void wu_model_diagnostics(const wu_model *m, wu_model_diag *d)
{
    m->ops->diagnostics(m->impl, d);
}
