/* classify.c - classification loss, accuracy and norms shared by the MLP and the ViT. */
#include <math.h>

#include "../nn/nn.h"
#include "classify.h"

float wu_classify(float *logits, float *losses, float *logz, const int *labels, int B, int K,
                  int *correct, wu_class_diag *d)
{
    int ok = 0;
    for (int b = 0; b < B; b++) { /* accuracy first: the cross-entropy overwrites the logits */
        const float *x = logits + (size_t)b * K;
        int best = 0;
        for (int k = 1; k < K; k++)
            if (x[k] > x[best]) best = k;
        ok += best == labels[b];
    }
    if (correct) *correct = ok;
    float mx;
    float loss = crossentropy_forward_backward(logits, losses, d ? logz : NULL, d ? &mx : NULL,
                                               labels, B, K, 1.0f / (float)B);
    if (d) {
        double s = 0;
        for (int b = 0; b < B; b++) s += logz[b];
        d->out_max_logit = mx;
        d->logz_mean = (float)(s / B);
    }
    return loss;
}

double wu_norm(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s);
}
