/* qtp_compare.h - qtopo compare: two results directories, cell by cell, with a test.
 *
 * For each cell present on both sides and each metric, the ok reps of both sides are compared
 * with a two-sided Mann-Whitney U test (qtp_stats.h) and the Hodges-Lehmann estimate of the ratio
 * NEW / BASE with its distribution-free confidence interval at level 1 - alpha. A cell is
 * regressed on a metric only when p < alpha AND the estimated ratio is worse than the threshold
 * (throughput: lower than 1 - threshold; latency and allocation: higher than 1 + threshold);
 * improved symmetrically; unchanged otherwise; not comparable when a side has no ok reps, too
 * few to reach p < alpha at all (see qtp_stats_mwu_min_reps), or no value for the metric.
 */
#ifndef QTP_COMPARE_H
#define QTP_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "qtp_results.h"

#define QTP_COMPARE_MAX_METRICS 16

enum qtp_verdict {
    QTP_VERDICT_IMPROVED,
    QTP_VERDICT_UNCHANGED,
    QTP_VERDICT_REGRESSED,
    QTP_VERDICT_NOT_COMPARABLE,
};

struct qtp_compare_opts {
    const char *metrics[QTP_COMPARE_MAX_METRICS]; /* names from qtp_compare_metric_names() */
    size_t nmetrics;
    double threshold; /* fraction: 0.05 for 5% */
    double alpha;     /* significance level, in (0, 0.5] */
};

struct qtp_compare_row {
    char cell[sizeof(((struct qtp_rep_record *)0)->cell)];
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
/* Accepted metric names, comma-separated: "throughput, mean, p50, ...". */
const char *qtp_compare_metric_names(void);
/* 0 if name is a metric. */
int qtp_compare_metric_check(const char *name);

/* Compare two sets of rows. *out (free() it) gets one row per (cell, metric): cells in BASE's
 * order, then cells only in NEW; metrics in opts' order. *matched: cells present on both sides.
 * 0, EINVAL (unknown metric, bad alpha/threshold), ENOMEM. */
int qtp_compare_rows(const struct qtp_rows *base, const struct qtp_rows *new_rows,
                     const struct qtp_compare_opts *opts, struct qtp_compare_row **out,
                     size_t *nout, size_t *matched);

/* qtopo compare BASE NEW [--metric LIST] [--threshold PCT] [--alpha A] [--json FILE]
 * [--markdown FILE]; argv[0] is the subcommand's name. Prints the table on stdout, problems on
 * stderr. Returns the exit status: 0 no regression, 1 a significant regression, 2 bad input
 * (usage, missing or damaged directory, no matching cells, too few reps to test anything). */
int qtp_compare_main(int argc, char **argv);

#endif
