/* qtp_hist.h - HDR-style log-linear latency histogram.
 *
 * Values in ns from 1 ns to 1 h with 3 significant digits: buckets are powers of two, each split
 * into 2048 linear sub-buckets (HdrHistogram's layout), so the error of any recorded value is
 * below 0.1%. One histogram per recording thread: record() takes no lock and is not thread-safe;
 * merge after the threads have stopped.
 */
#ifndef QTP_HIST_H
#define QTP_HIST_H

#include <stdint.h>
#include <stdio.h>

#define QTP_HIST_LOWEST 1ULL
#define QTP_HIST_HIGHEST 3600000000000ULL /* 1 h in ns */
#define QTP_HIST_SIGFIGS 3

struct qtp_hist;

/* 0 or ENOMEM. */
int qtp_hist_create(struct qtp_hist **out);
void qtp_hist_destroy(struct qtp_hist *h);
void qtp_hist_reset(struct qtp_hist *h);
/* Record v ns (clamped into [1 ns, 1 h]; clamped values are counted, see qtp_hist_clamped). */
void qtp_hist_record(struct qtp_hist *h, uint64_t v);
void qtp_hist_record_n(struct qtp_hist *h, uint64_t v, uint64_t n);
/* Add every count of src into dst. */
void qtp_hist_merge(struct qtp_hist *dst, const struct qtp_hist *src);

uint64_t qtp_hist_count(const struct qtp_hist *h);
uint64_t qtp_hist_clamped(const struct qtp_hist *h);
/* Lowest / highest equivalent value of the smallest / largest slot with a count (0 if empty):
 * max equals qtp_hist_percentile(h, 100), as in HdrHistogram. Scans the counts: not for hot paths.
 */
uint64_t qtp_hist_min(const struct qtp_hist *h);
uint64_t qtp_hist_max(const struct qtp_hist *h);
double qtp_hist_mean(const struct qtp_hist *h);
/* Standard deviation as HdrHistogram computes it (each slot at its median-equivalent value). */
double qtp_hist_stddev(const struct qtp_hist *h);
/* Value at percentile p in [0, 100] (the highest-equivalent value of its bucket, as HdrHistogram).
 */
uint64_t qtp_hist_percentile(const struct qtp_hist *h, double p);

/* HdrHistogram's percentile text format ("Value Percentile TotalCount 1/(1-Percentile)", then the
 * Mean/StdDeviation/Max/Total count footer), values scaled by 1/scale (1.0: ns).
 * ticks_per_half: HdrHistogram's percentile_ticks_per_half_distance (5 is its default).
 * 0 or errno of the write. */
int qtp_hist_write_hgrm(const struct qtp_hist *h, FILE *out, int ticks_per_half, double scale);

#endif
