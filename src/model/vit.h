/* vit.h - a Vision Transformer for small grayscale images (Dosovitskiy et al. 2021): patches,
 * a learned position embedding, a CLS token or mean pooling, Pre-LN or Post-LN blocks with
 * non-causal attention (block.c, shared with the GPT), and a linear head.
 *
 *     wu_vit_config cfg = wu_vit_default_config();   // 28x28, 7x7 patches, width 64, 4 layers
 *     wu_vit *m;
 *     wu_vit_create(&m, &cfg, B, &err);
 *     wu_vit_init(m, seed);
 *     wu_vit_forward(m, images, labels, B, &loss, &correct);  // images (B, 784) in [0, 1]
 *     wu_vit_zero_grad(m); wu_vit_backward(m);
 *
 * Parameters, in order: patch.weight (C, P*P), patch.bias, cls (C; CLS pooling only),
 * pos (S, C), h.<l>.* per block, ln_f.* (Pre-LN only), head.weight (K, C), head.bias. */
#ifndef WU_VIT_H
#define WU_VIT_H

#include "classify.h"
#include "warmup.h"

enum { WU_POOL_CLS, WU_POOL_MEAN };

typedef struct wu_vit_config {
    int image;      /* side of the square image in pixels (28) */
    int patch;      /* side of a patch; divides image (7: 16 patches) */
    int dim, heads, layers;
    int classes;
    int post_ln;    /* 0: Pre-LN, 1: Post-LN (no ln_f) */
    int pool;       /* WU_POOL_CLS or WU_POOL_MEAN */
    double init_std; /* N(0, std) for weights and embeddings, c_proj scaled by 1/sqrt(2L) */
    int precision;  /* the matmuls': WU_PREC_FP32 (0, the default) or WU_PREC_BF16 (nn.h) */
} wu_vit_config;

typedef struct wu_vit {
    wu_vit_config cfg;
    int B, S;               /* batch capacity; sequence length (patches, + 1 with CLS) */
    size_t nparams;
    float *params, *grads;
    wu_param_view *views;
    int nviews;
    float *logits;          /* (B, classes): after forward, d(loss)/d(logits) */
    int diag;               /* WU_DIAG_* bits (diag.h) */
    wu_class_diag d;
    struct wu_vit_impl *impl;
} wu_vit;

/* 28x28 images, 7x7 patches, width 64, 4 heads, 4 layers, 10 classes, Pre-LN, CLS, std 0.02. */
wu_vit_config wu_vit_default_config(void);

int wu_vit_create(wu_vit **out, const wu_vit_config *cfg, int B, wu_error *err);
void wu_vit_destroy(wu_vit *m);
void wu_vit_init(wu_vit *m, uint64_t seed);
int wu_vit_forward(wu_vit *m, const float *images, const int *labels, int B, float *loss,
                   int *correct);
void wu_vit_zero_grad(wu_vit *m);
void wu_vit_backward(wu_vit *m);

#endif
