/* test_harness.c - the harness's own comparison (th_max in tests/harness.h), which every parity
 * check relies on: a NaN error, an infinite one and an empty comparison must fail; a merge keeps
 * the NaN and the largest error. */
#include "harness.h"

int main(void)
{
    th_max m = TH_MAX_INIT;
    CHECK(!th_max_ok(&m, 1.0), "an empty comparison fails");
    th_max_add(&m, 0.5, 0);
    th_max_add(&m, 0.25, 1);
    CHECK(th_max_ok(&m, 0.5) && !th_max_ok(&m, 0.49) && m.at == 0 && m.n == 2,
          "max %g at %ld of %ld", m.max, m.at, m.n);
    th_max_add(&m, NAN, 2);
    CHECK(!th_max_ok(&m, 1e300) && m.nans == 1 && m.nan_at == 2 && isnan(th_max_val(&m)),
          "a NaN error fails whatever the bound");
    th_max i = TH_MAX_INIT;
    th_max_add(&i, fabs(INFINITY - 1.0), 0);
    CHECK(!th_max_ok(&i, 1e300), "an infinite error fails");
    th_max r = TH_MAX_INIT; /* th_rel of an infinity against a number is NaN: a failure */
    th_max_add(&r, th_rel(INFINITY, 1.0), 0);
    th_max_add(&r, th_rel(NAN, 1.0), 1);
    th_max_add(&r, th_rel(1.0, NAN), 2);
    CHECK(!th_max_ok(&r, 1e300) && r.nans == 3, "th_rel with Inf or NaN: %ld NaN", r.nans);
    th_max a = TH_MAX_INIT, b = TH_MAX_INIT;
    th_max_add(&a, 1e-9, 5);
    th_max_add(&b, 3e-9, 7);
    th_max_merge(&a, &b);
    CHECK(th_max_ok(&a, 1e-8) && a.max == 3e-9 && a.at == 7 && a.n == 2, "merge: max %g at %ld",
          a.max, a.at);
    th_max_merge(&a, &m);
    CHECK(!th_max_ok(&a, 1e300) && a.nans == 1 && a.nan_at == 2 && a.n == 5,
          "merge keeps the NaN: %ld at %ld", a.nans, a.nan_at);
    th_max e = TH_MAX_INIT;
    th_max_merge(&e, &(th_max)TH_MAX_INIT);
    CHECK(!th_max_ok(&e, 1.0), "merging two empty comparisons is still empty");
    /* a comparison that keeps its maximum with `d > worst` misses the NaN: what th_max is for */
    double worst = 0, d[3] = {1e-9, NAN, 2e-9};
    for (int k = 0; k < 3; k++) if (d[k] > worst) worst = d[k];
    CHECK(worst == 2e-9, "d > worst skips a NaN (%g)", worst);
    return th_done("test_harness");
}
