/* run_series.h - internal to `qtopo run`: the sampler of one rep. Every period (from the
 * watchdog's thread, never the deployment's) it reads where every stage is and how many events
 * wait in front of it (qtp_deploy_positions) and the latency recorded since the last sample (one
 * HdrHistogram interval); after the rep it summarises them into the row, writes
 * series/<cell>.r<rep>.csv and the rep's intervals into the cell's .hlog.
 *
 * Only samples inside the measured window count: none before it opens, and those after it closed
 * are dropped (a drained deployment would look stalled). A rep whose window never closed (halted)
 * keeps every sample: that is the stall to see.
 *
 * Concurrency: create, finish, the writers and destroy on the rep's thread; open from the
 * producer's (on_window); sample from one other thread at a time, until finish.
 */
#ifndef QTP_RUN_SERIES_H
#define QTP_RUN_SERIES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qtp_record.h"

struct qtp_deploy;
struct qtp_series;

/* For deployment d; latency: also the intervals of the terminals' latency histograms.
 * 0 or ENOMEM. */
int qtp_series_create(struct qtp_series **out, struct qtp_deploy *d, uint32_t period_ms,
                      bool latency);
/* The window opened at mono_ns (CLOCK_MONOTONIC). */
void qtp_series_open(struct qtp_series *s, uint64_t mono_ns);
/* One sample now (the watchdog's sample callback; ctx is the series). */
void qtp_series_sample(void *s);
/* After the deployment's run returned and the sampler stopped: the window's end (0: it never
 * closed), a last sample there and the last latency interval. */
void qtp_series_finish(struct qtp_series *s, uint64_t window_end_ns);
/* The row's summary: samples, the bottleneck (the stage whose input was fullest on average
 * beyond the fullest input it feeds: under backpressure every queue in front of a bottleneck
 * fills too, the one after it does not) and its mean input depth, the median and the worst
 * interval's throughput (of what every terminal finished) and their ratio. */
void qtp_series_summary(const struct qtp_series *s, struct qtp_series_stats *out);
/* The samples as CSV: t_ms (since the window opened), produced, finished, done_<role> per stage,
 * depth_<role> per stage, eps (the interval ending there). 0 or an errno. */
int qtp_series_write_csv(const struct qtp_series *s, const char *path);
/* The latency intervals as lines of an .hlog (qtp_hlog.h) tagged tag, starts counted from
 * base_mono_ns. Empty intervals are left out. 0 or an errno. */
int qtp_series_write_hlog(const struct qtp_series *s, FILE *f, const char *tag,
                          uint64_t base_mono_ns);
/* Latency intervals so far. */
size_t qtp_series_intervals(const struct qtp_series *s);
void qtp_series_destroy(struct qtp_series *s);

#endif
