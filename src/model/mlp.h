/* mlp.h - a multi-layer perceptron classifier: fc0 (in -> W), act, ..., fc_depth (W -> K).
 *
 *     wu_mlp_config cfg = {.in = 784, .depth = 2, .width = 256, .classes = 10,
 *                          .act = WU_ACT_RELU};
 *     wu_mlp *m;
 *     wu_mlp_create(&m, &cfg, B, &err);
 *     wu_mlp_init(m, seed);
 *     wu_mlp_forward(m, x, labels, B, &loss, &correct);   // x (B, in) floats
 *     wu_mlp_zero_grad(m); wu_mlp_backward(m);
 *
 * Parameters in one buffer with views fc<i>.weight (out, in) and fc<i>.bias, PyTorch's order. */
#ifndef WU_MLP_H
#define WU_MLP_H

#include "classify.h"
#include "warmup.h"

enum { WU_ACT_RELU, WU_ACT_GELU, WU_ACT_TANH };
/* WU_MLP_INIT_STANDARD: PyTorch's nn.Linear default, U(-1/sqrt(in), 1/sqrt(in)) for weights and
 * biases; WU_MLP_INIT_SMALL_OUTPUT: the same, with the output layer's weights scaled by 0.01 and
 * its bias zero, so the first predictions are near uniform. */
enum { WU_MLP_INIT_STANDARD, WU_MLP_INIT_SMALL_OUTPUT };

typedef struct wu_mlp_config {
    int in;        /* input features (784 for 28x28 images) */
    int depth;     /* hidden layers, 1..31 */
    int width;     /* hidden units */
    int classes;
    int act;       /* WU_ACT_* */
    int init;      /* WU_MLP_INIT_* */
    int precision; /* the matmuls': WU_PREC_FP32 (0, the default) or WU_PREC_BF16 (nn.h) */
} wu_mlp_config;

typedef struct wu_mlp {
    wu_mlp_config cfg;
    int B;                  /* batch capacity */
    size_t nparams;
    float *params, *grads;
    wu_param_view *views;
    int nviews;
    float *logits;          /* (B, classes): after forward, d(loss)/d(logits) */
    int diag;               /* WU_DIAG_* bits (diag.h) */
    wu_class_diag d;
    struct wu_mlp_impl *impl;
} wu_mlp;

int wu_mlp_create(wu_mlp **out, const wu_mlp_config *cfg, int B, wu_error *err);
void wu_mlp_destroy(wu_mlp *m);
void wu_mlp_init(wu_mlp *m, uint64_t seed);
/* x (B, in); labels (B) in [0, classes). Returns WU_OK or WU_EINVAL (bad label, B too big). */
int wu_mlp_forward(wu_mlp *m, const float *x, const int *labels, int B, float *loss, int *correct);
void wu_mlp_zero_grad(wu_mlp *m);
void wu_mlp_backward(wu_mlp *m);

#endif
