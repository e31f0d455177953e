/* clip.c - gradient clipping by global L2 norm, PyTorch's clip_grad_norm_ semantics.
 *
 * The norm is summed in double over fixed slices (so the result does not depend on the thread
 * count; PyTorch sums float32 norms per tensor, so the two agree to about 1e-7 relative), the
 * clip coefficient is computed in float32 as PyTorch does on its float32 norm tensor:
 * coef = max_norm * (1 / (norm + 1e-6)), applied only when below 1 (PyTorch multiplies by the
 * clamped 1, which changes nothing). */
#include <math.h>

#include "optim_impl.h"

#define SLICES 64

double wu_optim_clip_grad_norm(float *g, size_t n, double max_norm)
{
    double part[SLICES] = {0};
    size_t per = (n + SLICES - 1) / SLICES;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 65536)
#endif
    for (int s = 0; s < SLICES; s++) {
        size_t lo = (size_t)s * per, hi = lo + per < n ? lo + per : n;
        double acc[8] = {0}; /* eight lanes, so the compiler can vectorise the sum */
        size_t i = lo;
        for (; i + 8 <= hi; i += 8)
            for (int j = 0; j < 8; j++) acc[j] += (double)g[i + j] * (double)g[i + j];
        for (; i < hi; i++) acc[0] += (double)g[i] * (double)g[i];
        double sum = 0;
        for (int j = 0; j < 8; j++) sum += acc[j];
        part[s] = sum;
    }
    double sum = 0;
    for (int s = 0; s < SLICES; s++) sum += part[s];
    double norm = sqrt(sum);
    if (!isfinite(norm) || max_norm <= 0) return norm; /* reported, never applied */
    /* as PyTorch on its float32 norm: max_norm * reciprocal(norm + 1e-6), clamped to 1 */
    float coef = (float)max_norm * (1.0f / ((float)norm + 1e-6f));
    if (coef < 1.0f) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 65536)
#endif
        for (size_t i = 0; i < n; i++) g[i] *= coef;
    }
    return norm;
}
