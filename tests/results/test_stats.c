/* results_stats: median/min/max, Mann-Whitney U and Hodges-Lehmann against known values.
 *
 * Expected p-values come from scipy 1.10 (scipy.stats.mannwhitneyu, two-sided, use_continuity
 * True, method "exact" where our test is exact and "asymptotic" where it is not); Hodges-Lehmann
 * intervals from a brute-force Python enumeration of every arrangement of the pooled ranks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>

#include "qtp_stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void near(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want) + 1e-15))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void test_median_min_max(void **state)
{
    (void)state;
    double a[] = {5, 1, 4, 2, 3};
    double b[] = {4, NAN, 1, 3, 2};
    double c[] = {NAN};
    assert_true(qtp_stats_median(a, 5) == 3);
    assert_true(qtp_stats_median(a, 4) == 3); /* {5,1,4,2}: (2+4)/2 */
    assert_true(qtp_stats_median(b, 5) == 2.5);
    assert_true(qtp_stats_min(b, 5) == 1 && qtp_stats_max(b, 5) == 4);
    assert_true(isnan(qtp_stats_median(c, 1)) && isnan(qtp_stats_median(a, 0)));
    assert_true(isnan(qtp_stats_min(c, 1)) && isnan(qtp_stats_max(a, 0)));
    assert_true(a[0] == 5); /* not sorted in place */
}

static void test_mwu_small_exact(void **state)
{
    (void)state;
    double x[] = {19, 22, 16, 29, 24}, y[] = {20, 11, 17, 12};
    struct qtp_mwu m;
    assert_int_equal(qtp_stats_mwu(x, N(x), y, N(y), &m), 0);
    assert_true(m.exact && !m.ties);
    assert_true(m.u == 17);
    near(m.p, 0.1111111111111111, 1e-12);
    /* Swapping the samples: U becomes n1 n2 - U, p stays. */
    assert_int_equal(qtp_stats_mwu(y, N(y), x, N(x), &m), 0);
    assert_true(m.u == 3);
    near(m.p, 0.1111111111111111, 1e-12);
}

static void test_mwu_ties_asymptotic(void **state)
{
    (void)state;
    /* R's wilcox.test example (depression scores); 1.06 and 1.29 tie. */
    double x[] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    double y[] = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
    struct qtp_mwu m;
    assert_int_equal(qtp_stats_mwu(x, N(x), y, N(y), &m), 0);
    assert_true(!m.exact && m.ties);
    assert_true(m.u == 58);
    near(m.p, 0.13291945818531892, 1e-9);
}

static void test_mwu_drop30(void **state)
{
    (void)state;
    double x[] = {100.5, 98.2, 103.1, 99.9, 101.7, 97.4, 102.2, 100.1};
    double y[] = {70.3, 72.9, 68.8, 71.5, 69.9, 73.4, 70.8, 67.6};
    struct qtp_mwu m;
    assert_int_equal(qtp_stats_mwu(x, N(x), y, N(y), &m), 0);
    assert_true(m.exact && m.u == 64);
    near(m.p, 0.0001554001554001554, 1e-10);
    struct qtp_hl h;
    assert_int_equal(qtp_stats_hl_shift(x, N(x), y, N(y), 0.95, &h), 0);
    near(h.estimate, -29.75, 1e-12);
    near(h.lo, -31.900000000000006, 1e-12);
    near(h.hi, -27.400000000000006, 1e-12);
    assert_int_equal(qtp_stats_hl_shift(x, N(x), y, N(y), 0.90, &h), 0);
    near(h.lo, -31.700000000000003, 1e-12);
    near(h.hi, -27.599999999999994, 1e-12);
    assert_int_equal(qtp_stats_hl_ratio(x, N(x), y, N(y), 0.95, &h), 0);
    near(h.estimate, 0.70337586594833645, 1e-12);
    near(h.lo, 0.68671193016488818, 1e-12);
    near(h.hi, 0.72176591375770038, 1e-12);
}

static void test_mwu_separated_4x4(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4}, y[] = {5, 6, 7, 8};
    struct qtp_mwu m;
    assert_int_equal(qtp_stats_mwu(x, 4, y, 4, &m), 0);
    assert_true(m.u == 0);
    near(m.p, 0.028571428571428571, 1e-12); /* 2 / C(8,4) */
    near(qtp_stats_mwu_min_p(4, 4), 2.0 / 70, 1e-12);
    near(qtp_stats_mwu_min_p(3, 3), 0.1, 1e-12);
    near(qtp_stats_mwu_min_p(2, 9), 2.0 / 55, 1e-12);
    assert_int_equal(qtp_stats_mwu_min_reps(0.05), 4);
    assert_int_equal(qtp_stats_mwu_min_reps(0.1), 4);   /* 3 gives exactly 0.1: not below */
    assert_int_equal(qtp_stats_mwu_min_reps(0.01), 5);  /* 2/252 */
    assert_int_equal(qtp_stats_mwu_min_reps(0.001), 7); /* 2/3432 */
    assert_int_equal(qtp_stats_mwu_min_reps(0), 0);
    struct qtp_hl h;
    assert_int_equal(qtp_stats_hl_shift(x, 4, y, 4, 0.95, &h), 0);
    assert_true(h.estimate == 4 && h.lo == 1 && h.hi == 7);
    assert_int_equal(qtp_stats_hl_shift(x, 4, y, 4, 0.90, &h), 0);
    assert_true(h.lo == 2 && h.hi == 6);
    assert_int_equal(qtp_stats_hl_ratio(x, 4, y, 4, 0.95, &h), 0);
    near(h.estimate, 2.5819888974716108, 1e-12);
    near(h.lo, 1.25, 1e-12);
    near(h.hi, 8, 1e-12);
    /* 3 vs 3 cannot reach 95%: the interval is unbounded. */
    assert_int_equal(qtp_stats_hl_shift(x, 3, y, 3, 0.95, &h), 0);
    assert_true(isinf(h.lo) && h.lo < 0 && isinf(h.hi) && h.hi > 0);
}

static void test_hl_known(void **state)
{
    (void)state;
    double x[] = {19, 22, 16, 29, 24}, y[] = {20, 11, 17, 12};
    struct qtp_hl h;
    assert_int_equal(qtp_stats_hl_shift(x, N(x), y, N(y), 0.95, &h), 0);
    assert_true(h.estimate == -7 && h.lo == -17 && h.hi == 1 && h.conf == 0.95);
    assert_int_equal(qtp_stats_hl_shift(x, N(x), y, N(y), 0.90, &h), 0);
    assert_true(h.lo == -13 && h.hi == 1);
    assert_int_equal(qtp_stats_hl_ratio(x, N(x), y, N(y), 0.95, &h), 0);
    near(h.estimate, 0.68857674302468475, 1e-12);
    near(h.lo, 0.41379310344827586, 1e-12);
    near(h.hi, 1.0625000000000002, 1e-12);

    double a[] = {3.1, 4.5, 2.2}, b[] = {1.0, 5.5, 6.1, 7.2, 8.3, 0.4, 9.9};
    struct qtp_mwu m;
    assert_int_equal(qtp_stats_mwu(a, N(a), b, N(b), &m), 0);
    assert_true(m.exact && m.u == 6);
    near(m.p, 0.3833333333333333, 1e-12);
    assert_int_equal(qtp_stats_hl_shift(a, N(a), b, N(b), 0.95, &h), 0);
    near(h.estimate, 3, 1e-12);
    near(h.lo, -3.5, 1e-12);
    near(h.hi, 6.8000000000000007, 1e-12);

    double r1[] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    double r2[] = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
    assert_int_equal(qtp_stats_hl_shift(r1, 9, r2, 9, 0.95, &h), 0);
    near(h.estimate, -0.56000000000000005, 1e-12);
    near(h.lo, -1.1830000000000001, 1e-12);
    near(h.hi, 0.36999999999999988, 1e-12);
    assert_int_equal(qtp_stats_hl_ratio(r1, 9, r2, 9, 0.95, &h), 0);
    near(h.estimate, 0.67538461538461536, 1e-12);
    near(h.lo, 0.41741935483870968, 1e-12);
    near(h.hi, 1.2654320987654319, 1e-12);
}

#include "stats_big60.h"

static void test_mwu_large_asymptotic(void **state)
{
    (void)state;
    struct qtp_mwu m;
    assert_int_equal(qtp_stats_mwu(big_x, 60, big_y, 60, &m), 0);
    assert_true(!m.exact && !m.ties && m.u == 2356);
    near(m.p, 0.0035498386349135575, 1e-9);
    struct qtp_hl h;
    assert_int_equal(qtp_stats_hl_shift(big_x, 60, big_y, 60, 0.95, &h), 0);
    assert_true(h.lo < h.estimate && h.estimate < h.hi && h.hi < 0);
    assert_true(h.estimate > -6 && h.estimate < -1);
}

static void test_degenerate(void **state)
{
    (void)state;
    double same[] = {5, 5, 5, 5, 5};
    struct qtp_mwu m;
    assert_int_equal(qtp_stats_mwu(same, 5, same, 5, &m), 0);
    assert_true(m.p == 1.0 && m.ties);
    double nanv[] = {1, NAN};
    assert_int_equal(qtp_stats_mwu(nanv, 2, same, 5, &m), EINVAL);
    assert_int_equal(qtp_stats_mwu(same, 0, same, 5, &m), EINVAL);
    struct qtp_hl h;
    double neg[] = {1, -1};
    assert_int_equal(qtp_stats_hl_ratio(neg, 2, same, 5, 0.95, &h), EDOM);
    assert_int_equal(qtp_stats_hl_shift(same, 5, same, 5, 1.5, &h), EINVAL);
    near(qtp_stats_norm_isf(0.025), 1.959963984540054, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median_min_max),       cmocka_unit_test(test_mwu_small_exact),
        cmocka_unit_test(test_mwu_ties_asymptotic),  cmocka_unit_test(test_mwu_drop30),
        cmocka_unit_test(test_mwu_separated_4x4),    cmocka_unit_test(test_hl_known),
        cmocka_unit_test(test_mwu_large_asymptotic), cmocka_unit_test(test_degenerate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
