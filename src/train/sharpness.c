/* sharpness.c - power iteration for the largest Hessian eigenvalue, and Hessian-vector
 * products by central differences of gradients (sharpness.h). */
#include <math.h>
#include <string.h>

#include "../util/fail.h"
#include "../util/rng.h"
#include "sharpness.h"

static double dot(size_t n, const double *a, const double *b)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* out = diag(s) A diag(s) v (s NULL: the identity); tmp: n doubles. */
static int apply(size_t n, wu_linop op, void *ctx, const float *s, const double *v, double *out,
                 double *tmp)
{
    const double *x = v;
    if (s) {
        for (size_t i = 0; i < n; i++) tmp[i] = (double)s[i] * v[i];
        x = tmp;
    }
    int rc = op(ctx, x, out);
    if (rc != WU_OK) return rc;
    for (size_t i = 0; i < n; i++) out[i] = s ? (double)s[i] * out[i] : out[i];
    return WU_OK;
}

/* The largest eigenvalue of the symmetric tridiagonal matrix with diagonal a[0..k) and
 * off-diagonal b[0..k-1), by bisection on Sturm counts (the number of eigenvalues below x is the
 * number of negative pivots of T - x I), to double precision. */
static double tridiag_top(const double *a, const double *b, int k)
{
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (int i = 0; i < k; i++) { /* Gershgorin */
        double r = (i > 0 ? fabs(b[i - 1]) : 0) + (i + 1 < k ? fabs(b[i]) : 0);
        if (a[i] - r < lo) lo = a[i] - r;
        if (a[i] + r > hi) hi = a[i] + r;
    }
    for (int it = 0; it < 200 && hi - lo > 1e-15 * (fabs(lo) + fabs(hi)); it++) {
        double x = 0.5 * (lo + hi), d = 1;
        int below = 0;
        for (int i = 0; i < k; i++) {
            d = a[i] - x - (i > 0 ? b[i - 1] * b[i - 1] / d : 0);
            if (d == 0) d = 1e-300;
            below += d < 0;
        }
        if (below == k) hi = x; /* every eigenvalue is below x */
        else lo = x;
    }
    return 0.5 * (lo + hi);
}

int wu_sharp_power(size_t n, wu_linop op, void *ctx, const float *scale, uint64_t seed, int iters,
                   double tol, double *work, wu_sharp_result *res)
{
    double *v = work, *w = work + n, *prev_q = work + 2 * n, *tmp = work + 3 * n;
    double a[WU_SHARP_MAX_ITERS], b[WU_SHARP_MAX_ITERS];
    if (iters > WU_SHARP_MAX_ITERS) iters = WU_SHARP_MAX_ITERS;
    res->lambda = NAN;
    res->products = 0;
    res->converged = 0;
    wu_rng rng;
    wu_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) v[i] = wu_rng_normal(&rng), w[i] = 0;
    double norm = sqrt(dot(n, v, v)), prev = NAN;
    for (size_t i = 0; i < n; i++) v[i] /= norm;
    /* Lanczos: v is q_j, w holds -b_{j-1} q_{j-1} on entry and becomes the next residual */
    for (int j = 0; j < iters; j++) {
        for (size_t i = 0; i < n; i++) prev_q[i] = -w[i]; /* b_{j-1} q_{j-1} */
        int rc = apply(n, op, ctx, scale, v, w, tmp);
        res->products++;
        if (rc != WU_OK) return rc;
        a[j] = dot(n, v, w);
        if (!isfinite(a[j])) return WU_OK;
        double lam = tridiag_top(a, b, j + 1);
        res->lambda = lam;
        if (j > 0 && fabs(lam - prev) <= tol * fabs(lam)) return res->converged = 1, WU_OK;
        prev = lam;
        double bb = 0;
        for (size_t i = 0; i < n; i++) {
            w[i] -= a[j] * v[i] + prev_q[i];
            bb += w[i] * w[i];
        }
        b[j] = sqrt(bb);
        if (!isfinite(b[j])) return res->lambda = NAN, WU_OK;
        if (b[j] <= 1e-12 * fabs(lam)) return res->converged = 1, WU_OK; /* an invariant subspace */
        for (size_t i = 0; i < n; i++) {
            double q = w[i] / b[j];
            w[i] = -b[j] * v[i]; /* -b_j q_j, for the next step */
            v[i] = q;
        }
    }
    return WU_OK;
}

int wu_fd_hvp_apply(void *ctx, const double *v, double *out)
{
    wu_fd_hvp *fd = ctx;
    const size_t n = fd->n;
    double norm = sqrt(dot(n, v, v));
    if (norm == 0 || !isfinite(norm)) {
        for (size_t i = 0; i < n; i++) out[i] = norm == 0 ? 0 : NAN;
        return WU_OK;
    }
    const double step = fd->h / norm;
    memcpy(fd->w0, fd->params, n * sizeof(float));
    for (size_t i = 0; i < n; i++) fd->params[i] = (float)(fd->w0[i] + step * v[i]);
    int rc = fd->eval(fd->ctx);
    if (rc == WU_OK) {
        memcpy(fd->gp, fd->grads, n * sizeof(float));
        for (size_t i = 0; i < n; i++) fd->params[i] = (float)(fd->w0[i] - step * v[i]);
        rc = fd->eval(fd->ctx);
    }
    if (rc == WU_OK)
        for (size_t i = 0; i < n; i++)
            out[i] = ((double)fd->gp[i] - (double)fd->grads[i]) * (norm / (2 * fd->h));
    memcpy(fd->params, fd->w0, n * sizeof(float));
    return rc;
}

double wu_sharp_fd_step(const float *w, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)w[i] * w[i];
    s = sqrt(s);
    return WU_SHARP_FD_REL * (s > 1 ? s : 1);
}
