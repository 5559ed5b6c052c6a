/* qtp_summary.h - the one aggregation of rows into cells, and the metrics it is made of.
 *
 * A cell's summary groups its rows (by cell id, cells in order of first appearance) and gives,
 * for every metric, the median, minimum and maximum over its ok reps: a failed or skipped rep is
 * never a number. summary.csv, the run's table, the report and `qtopo compare` all read these.
 *
 * A metric is a number of a row that is compared and charted (throughput, a latency percentile,
 * allocation per event). Adding one is a line in QTP_METRICS; summary.csv has its own list of
 * columns (which statistic of which metric, under which header: summary.c).
 */
#ifndef QTP_SUMMARY_H
#define QTP_SUMMARY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "qtp_record.h"

/* X(ID, name, field of qtp_rep_record, type, higher, latency): higher, when a higher value is
 * better; latency, when only the reps that recorded latency have it. */
#define QTP_METRICS(X)                                                                             \
    X(THROUGHPUT, throughput, throughput_eps, QTP_T_REAL, true, false) /* events/s, the window */  \
    X(MEAN, mean, latency_ns.mean, QTP_T_REAL, false, true)            /* latency, ns */           \
    X(P50, p50, latency_ns.p50, QTP_T_U64, false, true)                                            \
    X(P90, p90, latency_ns.p90, QTP_T_U64, false, true)                                            \
    X(P99, p99, latency_ns.p99, QTP_T_U64, false, true)                                            \
    X(P999, p999, latency_ns.p999, QTP_T_U64, false, true)                                         \
    X(P9999, p9999, latency_ns.p9999, QTP_T_U64, false, true)                                      \
    X(MAX, max, latency_ns.max, QTP_T_U64, false, true)                                            \
    X(ALLOC, alloc, alloc.per_event, QTP_T_REAL, false, false) /* allocation calls / event */      \
    X(BYTES, bytes, alloc.bytes_per_event, QTP_T_REAL, false, false) /* bytes allocated / event */ \
    X(CPU, cpu, cpu.ns_per_event, QTP_T_REAL, false,                                               \
      false) /* CPU time (user + sys) / event, ns */                                               \
    X(DRAIN, drain, shutdown_ns.graceful, QTP_T_REAL, false, false) /* graceful shutdown, ns */    \
    X(FORCED, forced, shutdown_ns.forced, QTP_T_REAL, false, false) /* forced stop, ns */

#define QTP_X_METRIC_ID(id, ...) QTP_METRIC_##id,
enum qtp_metric_id { QTP_METRICS(QTP_X_METRIC_ID) QTP_NMETRICS };

struct qtp_metric {
    const char *name; /* as `qtopo compare --metric` takes it */
    bool higher_is_better;
    bool latency;
    enum qtp_type type; /* QTP_T_REAL or QTP_T_U64, at offset in qtp_rep_record */
    size_t offset;
};
extern const struct qtp_metric qtp_metrics[QTP_NMETRICS];
/* By name, or NULL. */
const struct qtp_metric *qtp_metric_find(const char *name);
/* "throughput, mean, p50, ..." into buf. */
void qtp_metric_names(char *buf, size_t len);
/* The metric's value in an ok row; NAN when the row has none (latency not recorded). */
double qtp_metric_value(const struct qtp_metric *m, const struct qtp_rep_record *r);

struct qtp_stat {
    size_t n;                /* ok reps with a value */
    double median, min, max; /* NAN when n == 0 */
};

struct qtp_cell_summary {
    const struct qtp_rep_record *first; /* its first row: the names and the parameters */
    size_t first_row;                   /* that row's index */
    const size_t *rows;                 /* indexes of all its rows, in order */
    size_t reps, ok, failed, skipped;
    enum qtp_status status; /* failed if any rep failed, else ok if any rep is, else skipped */
    bool verified;          /* it has ok reps and every one was verified */
    bool oversubscribed;    /* some rep ran oversubscribed */
    const char *reason;     /* the first failed rep's reason, else the first skip's, else "" */
    const char *hist;       /* the first ok rep's histogram file, "" if none */
    struct qtp_stat stat[QTP_NMETRICS];
};

struct qtp_summary {
    const struct qtp_rep_record *rows; /* not owned: must outlive the summary */
    size_t nrows;
    struct qtp_cell_summary *cells;
    size_t ncells;
    size_t *index; /* every cell's rows, back to back */
};

enum qtp_stat_kind { QTP_STAT_MEDIAN, QTP_STAT_MIN, QTP_STAT_MAX };
/* One statistic of one metric of a cell (NAN when it has no value). */
double qtp_cell_stat(const struct qtp_cell_summary *c, enum qtp_metric_id m, enum qtp_stat_kind k);

/* Summarize rows[0..n) into *s. 0 or ENOMEM. */
int qtp_summary_build(struct qtp_summary *s, const struct qtp_rep_record *rows, size_t n);
void qtp_summary_free(struct qtp_summary *s);
/* The cell with that id, or NULL. */
const struct qtp_cell_summary *qtp_summary_find(const struct qtp_summary *s, const char *cell);
/* The metric's values over the cell's ok reps that have one, in row order, into out (room for
 * c->reps values). Returns how many. */
size_t qtp_cell_values(const struct qtp_summary *s, const struct qtp_cell_summary *c,
                       enum qtp_metric_id m, double *out);

/* The cell as JSON: status, counts, reason and every metric's {n, median, min, max} (null where
 * there is no value). New reference, NULL on ENOMEM. */
json_t *qtp_cell_summary_to_json(const struct qtp_cell_summary *c);

/* summary.csv: one row per cell, gnuplot-ready (see qtp_results_write_summary). */
int qtp_summary_write_csv(const struct qtp_summary *s, FILE *out);

#endif
