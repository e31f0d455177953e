/* net.h - one interface over the three models (GPT, MLP, ViT), so that a training run, a sweep
 * and the demo treat them alike: create from a run's configuration, forward a batch, backward,
 * and read the diagnostics. */
#ifndef WU_NET_H
#define WU_NET_H

#include "../model/gpt.h"
#include "../model/mlp.h"
#include "../model/vit.h"

enum { WU_NET_GPT, WU_NET_MLP, WU_NET_VIT };

typedef struct wu_net {
    int kind;
    int B, T;                /* batch; T = sequence length for the GPT, 1 for images */
    size_t nparams;
    float *params, *grads;
    const wu_param_view *views;
    int nviews;
    wu_gpt *gpt;
    wu_mlp *mlp;
    wu_vit *vit;
} wu_net;

typedef struct wu_net_config {
    int kind;
    int B, T;
    int layers, heads, dim, post_ln;   /* transformers */
    int depth, width, act;             /* MLP */
    int pool;                          /* ViT */
    int vocab;                         /* GPT: 256 */
} wu_net_config;

int wu_net_create(wu_net *n, const wu_net_config *c, wu_error *err);
void wu_net_destroy(wu_net *n);
void wu_net_init(wu_net *n, uint64_t seed);
void wu_net_set_diag(wu_net *n, int on);
/* text: x = tokens (B*T ints), y = targets (B*T); images: x = pixels (B*784 floats), y = labels.
 * *correct is set for classifiers (else 0). */
int wu_net_forward(wu_net *n, const void *x, const int *y, int B, float *loss, int *correct);
void wu_net_backward(wu_net *n);   /* zeroes the gradients first */

/* Diagnostics of the last forward (NAN where a model has none). */
float wu_net_attn_max_logit(const wu_net *n);  /* over layers */
float wu_net_out_max_logit(const wu_net *n);
float wu_net_logz_mean(const wu_net *n);
/* The gradient norm of each layer's parameters after the last backward with diagnostics on
 * (GPT and ViT: per block; MLP: per linear layer). Returns the number written (at most max). */
int wu_net_grad_norm_layers(const wu_net *n, double *out, int max);

#endif
