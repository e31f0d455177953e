/* sharpness.h - the curvature probes of a run: the largest eigenvalue of the loss Hessian
 * (the sharpness) by the Lanczos iteration (a refined power iteration) over Hessian-vector
 * products, optionally preconditioned as Adam preconditions its update, and the products
 * themselves by central finite differences of gradients. Kalra & Barkeshli 2024 ("Why Warmup
 * the Learning Rate?", arXiv 2406.09405) and Cohen et al. 2021/2022 (the edge of stability)
 * read these against the stability threshold: lr * sharpness < 2 for plain SGD,
 * lr * preconditioned sharpness < 2 (1 + beta1) / (1 - beta1) for Adam (38 at beta1 = 0.9);
 * docs/TRAINING.md says which threshold applies to which column.
 *
 * The operator is any symmetric matrix given by its product with a vector, so a test drives the
 * same iteration with an exact quadratic (tests/test_sharpness.c) that a run drives with finite
 * differences of its model's gradients (probe.c):
 *
 *     wu_fd_hvp fd = {.n = n, .params = w, .grads = g, .eval = my_grad, .ctx = me,
 *                     .h = wu_sharp_fd_step(w, n)};
 *     wu_sharp_result res;
 *     double *work = malloc(4 * n * sizeof *work);
 *     float *fwork = malloc(2 * n * sizeof *fwork);
 *     fd.w0 = fwork, fd.gp = fwork + n;
 *     int rc = wu_sharp_power(n, wu_fd_hvp_apply, &fd, NULL, 7, 20, 1e-4, work, &res);
 *     // res.lambda: the largest eigenvalue; res.products: Hessian-vector products used
 *
 * Everything here is computed in a fixed order, in double precision where it accumulates, so
 * the same gradients give the same bits. Nothing here allocates. */
#ifndef WU_SHARPNESS_H
#define WU_SHARPNESS_H

#include <stddef.h>
#include <stdint.h>

/* out = A v for a symmetric A of order n; returns WU_OK or an error code (which stops the
 * iteration and is passed on). */
typedef int (*wu_linop)(void *ctx, const double *v, double *out);

typedef struct wu_sharp_result {
    double lambda;  /* the largest (algebraic) eigenvalue found; NaN when the products were not
                       finite */
    int products;   /* operator products used, both passes together */
    int converged;  /* it met the tolerance before its iteration limit */
} wu_sharp_result;

/* The largest eigenvalue of A (or, with scale s, of diag(s) A diag(s), whose eigenvalues are
 * those of diag(s^2) A: the preconditioned Hessian P H with P = diag(s^2)), by the Lanczos
 * iteration: power iteration's Krylov refinement, with the same products and three vectors of
 * memory, that converges much faster when the top eigenvalues are close and finds the largest
 * algebraic eigenvalue, not the largest in magnitude (a loss Hessian away from a minimum has
 * negative eigenvalues as large as its top one, where plain power iteration stalls). The start
 * is a normal random vector drawn from seed; at most iters products (at most
 * WU_SHARP_MAX_ITERS), stopping when the estimate changes by at most tol relative between two
 * products. The estimate is the top eigenvalue of the Lanczos tridiagonal matrix (without
 * reorthogonalisation: lost orthogonality makes copies of converged eigenvalues, it does not
 * move the top one). work: 4 n doubles. Returns WU_OK (res->lambda NaN when a product was not
 * finite), or the operator's error code. */
#define WU_SHARP_MAX_ITERS 1000
int wu_sharp_power(size_t n, wu_linop op, void *ctx, const float *scale, uint64_t seed, int iters,
                   double tol, double *work, wu_sharp_result *res);

/* A Hessian-vector product by central differences of the gradient:
 *     H v ~ |v| (g(w + h v/|v|) - g(w - h v/|v|)) / (2 h),
 * exact for a quadratic up to rounding and with an error of order h^2 otherwise. eval computes
 * the gradient at *params into *grads (the caller's model, its batch fixed); params is moved
 * to w +- h v/|v| for the two calls and restored bit for bit afterwards. h is an absolute step
 * along the unit direction (wu_sharp_fd_step gives the one a run uses). */
typedef struct wu_fd_hvp {
    size_t n;
    float *params;                /* the point w */
    const float *grads;           /* where eval leaves the gradient */
    int (*eval)(void *ctx);       /* the gradient at params into grads; WU_OK or a code */
    void *ctx;
    double h;                     /* the step along the unit direction */
    float *w0, *gp;               /* scratch: n floats each */
} wu_fd_hvp;

/* The wu_linop of a wu_fd_hvp (ctx). */
int wu_fd_hvp_apply(void *ctx, const double *v, double *out);

/* The finite-difference step for weights w (n floats): WU_SHARP_FD_REL times their L2 norm
 * (at least WU_SHARP_FD_REL): small enough that the O(h^2) error of central differences stays
 * far below 1e-3 relative, large enough that float32 rounding of the gradients does not
 * dominate (tests/test_sharpness.c checks both against torch on the small GPT). */
#define WU_SHARP_FD_REL 1e-4
double wu_sharp_fd_step(const float *w, size_t n);

#endif
