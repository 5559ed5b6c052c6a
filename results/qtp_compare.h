/* qtp_compare.h - two results, cell by cell and metric by metric, with a test.
 *
 * For each cell present on both sides and each metric, the ok reps of both sides are compared
 * with a two-sided Mann-Whitney U test (qtp_stats.h) and the Hodges-Lehmann estimate of the ratio
 * NEW / BASE with its distribution-free confidence interval at level 1 - alpha. A cell is
 * regressed on a metric only when p < alpha AND the estimated ratio is worse than the threshold
 * (throughput: lower than 1 - threshold; latency and allocation: higher than 1 + threshold);
 * improved symmetrically; unchanged otherwise; not comparable when a side has no ok reps, too
 * few to reach p < alpha at all (see qtp_stats_mwu_min_reps), or no value for the metric.
 *
 * Each cell and metric is one test. Across many, some p < alpha by chance alone: a family-wise
 * level F holds when each test runs at alpha = F / qtp_compare_tests() (Bonferroni).
 * The command (output, options) is runners/cmd_compare.c.
 */
#ifndef QTP_COMPARE_H
#define QTP_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "qtp_summary.h"

enum qtp_verdict {
    QTP_VERDICT_IMPROVED,
    QTP_VERDICT_UNCHANGED,
    QTP_VERDICT_REGRESSED,
    QTP_VERDICT_NOT_COMPARABLE,
};

struct qtp_compare_opts {
    const struct qtp_metric *metrics[QTP_NMETRICS]; /* rows of qtp_metrics */
    size_t nmetrics;
    double threshold; /* fraction: 0.05 for 5% */
    double alpha;     /* significance level of each test, in (0, 0.5] */
};

struct qtp_compare_row {
    char cell[QTP_CELL_ID_MAX];
    const char *metric;    /* static name */
    bool higher_is_better; /* throughput */
    size_t n_base, n_new;  /* ok reps with a value for the metric */
    double median_base, median_new;
    double ratio;              /* Hodges-Lehmann NEW/BASE (ratio of medians if a value is <= 0) */
    double ratio_lo, ratio_hi; /* its confidence interval at 1 - alpha; NAN if none */
    double p;                  /* two-sided Mann-Whitney p-value; NAN if not tested */
    bool exact;                /* exact null distribution */
    enum qtp_verdict verdict;
    char reason[256]; /* why not comparable */
    bool too_few_reps;
};

/* "improved", "unchanged", "regressed", "not comparable". */
const char *qtp_verdict_name(enum qtp_verdict v);

/* The tests a comparison of nmetrics metrics makes: cells with ok reps on both sides, times
 * nmetrics (at least 1). */
size_t qtp_compare_tests(const struct qtp_summary *base, const struct qtp_summary *new_cells,
                         size_t nmetrics);

/* Compare. *out (free() it) gets one row per (cell, metric): cells in BASE's order, then cells
 * only in NEW; metrics in opts' order. *matched: cells present on both sides.
 * 0, EINVAL (no metric, bad alpha/threshold), ENOMEM. */
int qtp_compare(const struct qtp_summary *base, const struct qtp_summary *new_cells,
                const struct qtp_compare_opts *opts, struct qtp_compare_row **out, size_t *nout,
                size_t *matched);

#endif
