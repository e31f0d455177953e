/* classify.h - what every classifier in src/model/ shares: the loss and accuracy of a batch of
 * logits, its diagnostics, and gradient norms of parameter ranges. */
#ifndef WU_CLASSIFY_H
#define WU_CLASSIFY_H

#include <stddef.h>

#include "diag.h"

#define WU_MAX_LAYERS 32

/* Diagnostics of a classifier's last forward / backward (as its `diag` bits ask: diag.h). */
typedef struct wu_class_diag {
    float attn_max_logit[WU_MAX_LAYERS]; /* transformers: largest attention score per layer */
    float attn_entropy[WU_MAX_LAYERS];   /* transformers: mean attention-row entropy per layer */
    float out_max_logit;                 /* largest output logit */
    float logz_mean;                     /* mean log-partition of the outputs */
    double grad_norm_layer[WU_MAX_LAYERS]; /* per layer (MLP: per linear layer) */
    int nlayers;
} wu_class_diag;

/* Cross-entropy of logits (B,K) against labels, its gradient written into logits (scaled by
 * 1/B, the mean), and the number of correct argmax predictions. losses (B) and logz (B) are
 * scratch; d (may be NULL) receives out_max_logit and logz_mean. Returns the mean loss. */
float wu_classify(float *logits, float *losses, float *logz, const int *labels, int B, int K,
                  int *correct, wu_class_diag *d);

/* L2 norm of x[0..n), summed in double. */
double wu_norm(const float *x, size_t n);

#endif
