/* qtp_stats.h - the statistics of qtopo compare and summary.csv.
 *
 * Mann-Whitney U (two-sided), Hodges-Lehmann shift and ratio with distribution-free confidence
 * intervals. Choice of null distribution: the EXACT distribution of U (a recurrence over
 * arrangements, in doubles) when there are no ties and both samples have at most
 * QTP_STATS_EXACT_MAX values; otherwise the normal approximation with the tie correction of the
 * variance and a continuity correction of 0.5, as scipy.stats.mannwhitneyu(method="asymptotic").
 * The exact distribution is the true one for continuous data (throughput), at any size where it
 * is cheap; ties (latency percentiles quantised by the histogram) make it wrong, and there the
 * corrected normal approximation is the standard choice.
 *
 * Only median/min/max skip NaN entries; the test and the estimates return EINVAL on an empty
 * sample or a NaN.
 */
#ifndef QTP_STATS_H
#define QTP_STATS_H

#include <stdbool.h>
#include <stddef.h>

#define QTP_STATS_EXACT_MAX 50

/* Median (mean of the two middle values for an even count), minimum, maximum of the non-NaN
 * values of x; NAN if there are none. x is not modified. */
double qtp_stats_median(const double *x, size_t n);
double qtp_stats_min(const double *x, size_t n);
double qtp_stats_max(const double *x, size_t n);

struct qtp_mwu {
    double u;   /* U of the first sample: pairs with x > y, ties counting 1/2 (scipy's U1) */
    double z;   /* standardised statistic of the normal approximation (0 when exact) */
    double p;   /* two-sided p-value, at most 1 */
    bool exact; /* exact null distribution used */
    bool ties;  /* the pooled sample has ties */
};

/* Two-sided Mann-Whitney U test of x against y. 0, or EINVAL (empty sample, NaN), ENOMEM. */
int qtp_stats_mwu(const double *x, size_t nx, const double *y, size_t ny, struct qtp_mwu *out);

/* The smallest two-sided p-value samples of sizes n1, n2 can give (no ties): 2 / C(n1+n2, n1). */
double qtp_stats_mwu_min_p(size_t n1, size_t n2);
/* The smallest n such that n values per side can reach p < alpha (4 for alpha 0.05: 2/70 =
 * 0.029; 3 gives only 2/20 = 0.1). 0 if alpha is not in (0, 1). */
size_t qtp_stats_mwu_min_reps(double alpha);

struct qtp_hl {
    double estimate; /* median of the pairwise differences y - x (or ratios y / x) */
    double lo, hi;   /* confidence interval; -inf / +inf when the samples are too small for it */
    double conf;     /* its level, e.g. 0.95 */
};

/* Hodges-Lehmann estimate of the shift y - x with the distribution-free confidence interval at
 * level conf from the critical values of U: [D(k), D(N+1-k)] over the N sorted differences, k
 * the largest with P(U < k) <= (1 - conf) / 2 (exact distribution up to QTP_STATS_EXACT_MAX per
 * side, the normal approximation beyond). 0, EINVAL, ENOMEM. */
int qtp_stats_hl_shift(const double *x, size_t nx, const double *y, size_t ny, double conf,
                       struct qtp_hl *out);
/* The same on log values, exponentiated back: the ratio y / x. EDOM if a value is <= 0. */
int qtp_stats_hl_ratio(const double *x, size_t nx, const double *y, size_t ny, double conf,
                       struct qtp_hl *out);

/* Upper-tail quantile of the standard normal: z with P(Z > z) = q, q in (0, 1). */
double qtp_stats_norm_isf(double q);

#endif
