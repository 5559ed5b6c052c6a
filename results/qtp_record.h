/* qtp_record.h - one rep of one cell: the row of results.jsonl, and the one schema that describes
 * it.
 *
 * A row is a cell (its coordinates: five names and the parameters) and what one rep of it
 * measured. Everything that handles rows walks the tables declared here instead of naming fields:
 * the cell id, the JSON row (written and read back, errors naming the field), summary.csv's
 * columns, parameter equality, the labels in tables, and the matrix keys of `qtopo run`.
 *
 * Adding to the schema:
 *   a cell parameter   one line in QTP_CELL_PARAMS, and the option that sets it (its range,
 *                      default and help) in runners/cli/options.c;
 *   a scalar measured  one line in the X-list of its group (QTP_LATENCY_FIELDS, QTP_ALLOC_FIELDS,
 *                      QTP_CPU_FIELDS, QTP_SHUTDOWN_FIELDS), or a new group: an X-list, a member of
 * qtp_rep_record and a row of the row table (record.c); any other field    a member of
 * qtp_rep_record and a row of the row table (nested objects and arrays of them are rows too, see
 * struct qtp_field). A field added after results were first written gets QTP_FIELD_OPTIONAL, so
 * older rows still load.
 */
#ifndef QTP_RECORD_H
#define QTP_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qtp_limits.h"

#define QTP_CELL_ID_MAX 512
/* The largest real a row may hold: above any rate (events/s), time (s) or per-event count a rep
 * can measure, far below where sums and medians of them lose their meaning (1e308 + 1e308). */
#define QTP_REAL_MAX 1e15
#define QTP_MAX_AUX 4 /* auxiliary threads a row names */

enum qtp_status { QTP_STATUS_OK, QTP_STATUS_FAILED, QTP_STATUS_SKIPPED };

/* The types a schema field can have. */
enum qtp_type {
    QTP_T_STR,    /* char[size], NUL-terminated */
    QTP_T_U32,    /* uint32_t */
    QTP_T_U64,    /* uint64_t; written as a real past INT64_MAX */
    QTP_T_INT,    /* int */
    QTP_T_REAL,   /* double; non-finite written as null, null read as NAN; otherwise read back
                     only in 0..QTP_REAL_MAX (every real of a row is a non-negative measure) */
    QTP_T_BOOL,   /* bool */
    QTP_T_STATUS, /* enum qtp_status, as its name */
    QTP_T_OBJECT, /* a struct: fields[] */
    QTP_T_ARRAY,  /* elem[max] with a size_t count: fields[0] describes one element (offset 0) */
};

/* ---- the cell parameters ----
 * X(name, ctype, type, id, label, unit, shape_label, flags)
 *   name         member of qtp_cell_params, JSON key in "params", summary.csv column
 *   id           tag in the cell id (".n1M"); NULL: not part of what a cell is (how it is run)
 *   label        word in the tables ("ring=1024"), unit after the value on the report's page
 *   shape_label  set for a parameter that shapes the topology it applies to ("N=%u" of a fan-out);
 *                it is 0 in the cells of every topology it does not shape (see the expansion)
 *   flags        QTP_PARAM_ZERO_OFF: 0 means "not used", and the id leaves it out then;
 *                QTP_PARAM_LATE (with ZERO_OFF): added after results were first written, so a
 *                row without it reads as 0, and summary.csv has its column only when some cell
 *                uses it (the summary of older results keeps its layout);
 *                QTP_PARAM_SHORT_ID: the run's table shows it by its id tag (n=20K)
 * Counts take K/M/G suffixes in the id and in the run's table (n1M, n=20K). */
enum { QTP_PARAM_ZERO_OFF = 1u << 0, QTP_PARAM_SHORT_ID = 1u << 1, QTP_PARAM_LATE = 1u << 2 };
#define QTP_PARAM_NEW (QTP_PARAM_ZERO_OFF | QTP_PARAM_LATE)
#define QTP_CELL_PARAMS(X)                                                                         \
    X(events, uint64_t, QTP_T_U64, "n", "events", "", NULL, QTP_PARAM_SHORT_ID)                    \
    X(warmup, uint64_t, QTP_T_U64, NULL, "warmup", "", NULL, 0)                                    \
    X(ring_size, uint32_t, QTP_T_U32, "r", "ring", "", NULL, 0)                                    \
    X(batch, uint32_t, QTP_T_U32, "b", "batch", "", NULL, 0)                                       \
    X(payload, uint32_t, QTP_T_U32, "p", "payload", "", NULL, 0)                                   \
    X(work_ns, uint64_t, QTP_T_U64, "w", "work", "ns", NULL, 0)                                    \
    X(fanout, uint32_t, QTP_T_U32, "f", "fanout", "", "N=%u", QTP_PARAM_ZERO_OFF)                  \
    X(shards, uint32_t, QTP_T_U32, "s", "shards", "", "N=%u", QTP_PARAM_ZERO_OFF)                  \
    X(stages, uint32_t, QTP_T_U32, "l", "stages", "", "%u stages", QTP_PARAM_ZERO_OFF)             \
    X(rate, double, QTP_T_REAL, "rate", "rate", "/s", NULL, QTP_PARAM_ZERO_OFF) /* 0: saturated */ \
    X(producers, uint32_t, QTP_T_U32, "P", "producers", "", "P=%u", QTP_PARAM_NEW)                 \
    X(readers, uint32_t, QTP_T_U32, "M", "readers", "", "M=%u", QTP_PARAM_NEW)                     \
    X(batch_max, uint32_t, QTP_T_U32, "bmax", "batch max", "", NULL,                               \
      QTP_PARAM_NEW) /* not 0: each claim's size drawn from batch..batch_max (seeded) */

#define QTP_X_MEMBER(name, ctype, ...) ctype name;
#define QTP_X_ENUM(name, ...) QTP_PARAM_##name,
struct qtp_cell_params {
    QTP_CELL_PARAMS(QTP_X_MEMBER)
};
enum qtp_param_id { QTP_CELL_PARAMS(QTP_X_ENUM) QTP_NPARAMS };

struct qtp_param_def {
    const char *name;
    enum qtp_type type; /* QTP_T_U32, QTP_T_U64 or QTP_T_REAL */
    size_t offset;      /* in struct qtp_cell_params */
    const char *id, *label, *unit, *shape_label;
    unsigned flags;
};
extern const struct qtp_param_def qtp_params[QTP_NPARAMS];

/* A parameter's value; integers exactly, the rate as it is. */
uint64_t qtp_param_u64(const struct qtp_cell_params *p, const struct qtp_param_def *d);
double qtp_param_real(const struct qtp_cell_params *p, const struct qtp_param_def *d);
void qtp_param_set(struct qtp_cell_params *p, const struct qtp_param_def *d, uint64_t v);
/* Every parameter equal (the warm-up too). */
bool qtp_params_equal(const struct qtp_cell_params *a, const struct qtp_cell_params *b);

/* Flags of a schema field. */
enum {
    QTP_FIELD_OPTIONAL = 1u << 0,   /* may be absent on read (added after rows were first written);
                                       an absent real reads as NAN: not measured, never zero */
    QTP_FIELD_NULL_EMPTY = 1u << 1, /* a string written as null when empty, and read back so */
};

/* ---- what a rep measured: flat groups of scalars, X(name, ctype, type, flags) ---- */
#define QTP_LATENCY_FIELDS(X)                                                                      \
    X(count, uint64_t, QTP_T_U64, 0)                                                               \
    X(mean, double, QTP_T_REAL, 0)                                                                 \
    X(p50, uint64_t, QTP_T_U64, 0)                                                                 \
    X(p90, uint64_t, QTP_T_U64, 0)                                                                 \
    X(p99, uint64_t, QTP_T_U64, 0)                                                                 \
    X(p999, uint64_t, QTP_T_U64, 0)                                                                \
    X(p9999, uint64_t, QTP_T_U64, 0)                                                               \
    X(max, uint64_t, QTP_T_U64, 0)                                                                 \
    X(clamped, uint64_t, QTP_T_U64, QTP_FIELD_OPTIONAL) /* outside 1 ns..1 h (clock skew) */       \
    /* A saturated single-producer ring stamps groups of events with one clock read: each          \
     * latency is overstated by at most its group's span. Mean and largest span, ns; null where    \
     * nothing was grouped (paced, per-edge queues, several producers, pingpong). */               \
    X(stamp_mean, double, QTP_T_REAL, QTP_FIELD_OPTIONAL)                                          \
    X(stamp_max, double, QTP_T_REAL, QTP_FIELD_OPTIONAL)

#define QTP_ALLOC_FIELDS(X)                                                                        \
    X(calls, uint64_t, QTP_T_U64, 0) /* malloc + calloc + realloc */                               \
    X(bytes, uint64_t, QTP_T_U64, 0)                                                               \
    X(frees, uint64_t, QTP_T_U64, 0)                                                               \
    X(per_event, double, QTP_T_REAL, 0)                                                            \
    X(bytes_per_event, double, QTP_T_REAL, 0)

#define QTP_CPU_FIELDS(X)                                                                          \
    X(user_s, double, QTP_T_REAL, 0)                                                               \
    X(sys_s, double, QTP_T_REAL, 0)                                                                \
    X(voluntary_cs, uint64_t, QTP_T_U64, 0)                                                        \
    X(involuntary_cs, uint64_t, QTP_T_U64, 0)                                                      \
    X(ns_per_event, double, QTP_T_REAL, QTP_FIELD_OPTIONAL) /* (user + sys) / events, in ns */

/* Seed 002's two shutdown modes, per rep (ns; null when not measured). */
#define QTP_SHUTDOWN_FIELDS(X)                                                                     \
    X(graceful, double, QTP_T_REAL, QTP_FIELD_OPTIONAL) /* the last stop -> every thread joined */ \
    X(forced, double, QTP_T_REAL, QTP_FIELD_OPTIONAL)   /* a forced halt -> run() returned */

/* Per consumer stage (instance) and rep, LMAX's batching figures over the measured positions:
 * how many batches it handled, how many events they held, and the two ratios the Disruptor's
 * perf tests print (none when it handled no batch: written as null). */
#define QTP_BATCHING_FIELDS(X)                                                                     \
    X(batches, uint64_t, QTP_T_U64, 0)                                                             \
    X(events, uint64_t, QTP_T_U64, 0)                                                              \
    X(mean_batch, double, QTP_T_REAL, 0)    /* events / batches: AverageBatchSize */               \
    X(batch_percent, double, QTP_T_REAL, 0) /* 100 * batches / events: BatchPercent */

/* The machine's load average (/proc/loadavg) around the cell: before its first rep and after
 * its last (the same in every row of a cell); null when unreadable, and unknown says why. */
#define QTP_LOAD_FIELDS(X)                                                                         \
    X(start_1m, double, QTP_T_REAL, 0)                                                             \
    X(start_5m, double, QTP_T_REAL, 0)                                                             \
    X(end_1m, double, QTP_T_REAL, 0)                                                               \
    X(end_5m, double, QTP_T_REAL, 0)

/* Kernel event counters over the measured window, summed over the rep's threads (the keys of
 * "counters"; perf_event_open's side of them is the registry in runners/machine/counters.c, in
 * this order). Each is {value, per_event, user_only} or, when it could not be counted, value
 * and per_event null and unavailable saying why: never a zero that was not counted. */
/* clang-format off: one event per line (clang-format 14 joins these unstably) */
#define QTP_COUNTER_EVENTS(X)                                                                      \
    X(cycles)                                                                                      \
    X(instructions)                                                                                \
    X(cache_references)                                                                            \
    X(cache_misses)                                                                                \
    X(llc_misses)                                                                                  \
    X(branch_misses)                                                                               \
    X(context_switches)                                                                            \
    X(cpu_migrations)                                                                              \
    X(page_faults)
/* clang-format on */
#define QTP_COUNTER_FIELDS(X)                                                                      \
    X(value, double, QTP_T_REAL, 0) /* a count; a double so that unavailable is null */            \
    X(per_event, double, QTP_T_REAL, 0)                                                            \
    X(user_only, bool, QTP_T_BOOL, 0) /* the kernel side was not allowed (perf_event_paranoid) */

/* The sampler's summary of the rep (series/<cell>.r<rep>.csv has every sample). */
#define QTP_SERIES_FIELDS(X)                                                                       \
    X(samples, uint64_t, QTP_T_U64, 0)                                                             \
    X(period_ms, uint32_t, QTP_T_U32, 0)                                                           \
    X(bottleneck_depth, double, QTP_T_REAL, 0) /* its mean input depth, events */                  \
    X(median_interval_eps, double, QTP_T_REAL, 0)                                                  \
    X(worst_interval_eps, double, QTP_T_REAL, 0)                                                   \
    X(worst_ratio, double, QTP_T_REAL, 0) /* worst / median: near 0 is a stall */

struct qtp_latency {
    QTP_LATENCY_FIELDS(QTP_X_MEMBER)
};
struct qtp_shutdown {
    QTP_SHUTDOWN_FIELDS(QTP_X_MEMBER)
};
struct qtp_load_stats {
    QTP_LOAD_FIELDS(QTP_X_MEMBER)
    char unknown[160]; /* why the load could not be read, "" when it was */
};
struct qtp_counter_stat {
    QTP_COUNTER_FIELDS(QTP_X_MEMBER)
    char unavailable[QTP_REASON_MAX / 4]; /* why it was not counted, "" when it was */
};
#define QTP_X_COUNTER_ENUM(name) QTP_COUNTER_##name,
enum qtp_counter_event_id { QTP_COUNTER_EVENTS(QTP_X_COUNTER_ENUM) QTP_NCOUNTER_EVENTS };
struct qtp_counter_stats {
    char mode[16]; /* --counters: "none" (then nothing else is set), "sw", "all" */
    struct qtp_counter_stat ev[QTP_NCOUNTER_EVENTS];
};
extern const char *const qtp_counter_event_names[QTP_NCOUNTER_EVENTS];
struct qtp_series_stats {
    QTP_SERIES_FIELDS(QTP_X_MEMBER)
    char bottleneck[QTP_CELL_NAME_MAX]; /* role of the stage whose input was fullest on average,
                                           beyond the inputs it feeds (run_series.h) */
    char file[256];                     /* series/<cell>.r<rep>.csv, "" when not sampled */
};
struct qtp_alloc_stats {
    QTP_ALLOC_FIELDS(QTP_X_MEMBER)
};
struct qtp_cpu_stats {
    QTP_CPU_FIELDS(QTP_X_MEMBER)
};

struct qtp_stage_batching_record {
    char role[QTP_CELL_NAME_MAX]; /* the stage instance: "c1", "w[1]", ... */
    QTP_BATCHING_FIELDS(QTP_X_MEMBER)
};

struct qtp_thread_record {
    char role[QTP_CELL_NAME_MAX]; /* "producer", "producer1", "stage:s2", "shard:w[1]", ... */
    int cpu_wanted;               /* -1: not bound */
    int cpus_seen[QTP_MAX_CPUS_SEEN];
    size_t ncpus_seen;
    int node; /* NUMA node of the CPU it ran on most, -1 unknown */
};

struct qtp_rep_record {
    char cell[QTP_CELL_ID_MAX];      /* stable cell id, see qtp_cell_id() */
    char topology[QTP_TOPOLOGY_MAX]; /* a name of the registry, or an expression (canonical) */
    /* The expression that ran, parameters applied (qtp_topo_print); empty in rows written before
     * topologies were expressions. */
    char topology_expr[QTP_TOPOLOGY_MAX];
    char queue[QTP_CELL_NAME_MAX];
    char wait[QTP_CELL_NAME_MAX]; /* "block" for queues without a wait axis: they always block */
    char placement[QTP_CELL_NAME_MAX];
    char memory[QTP_CELL_NAME_MAX];
    struct qtp_cell_params params;
    int rep;
    enum qtp_status status;
    char reason[QTP_REASON_MAX]; /* empty when ok */
    bool verified;
    bool oversubscribed;
    double throughput_eps;
    double elapsed_s;
    struct qtp_latency latency_ns;
    struct qtp_alloc_stats alloc;
    struct qtp_cpu_stats cpu;
    struct qtp_shutdown shutdown_ns;
    uint64_t rss_peak_kb;
    struct qtp_thread_record threads[QTP_MAX_THREADS];
    size_t nthreads;
    struct qtp_stage_batching_record stages[QTP_MAX_THREADS]; /* ok reps only */
    size_t nstages;
    /* The harness's auxiliary threads ("sampler", "watchdog") that shared the cell's measured
     * PUs during the rep (none: they ran on PUs the cell left free). */
    char aux_shared[QTP_MAX_AUX][16];
    size_t naux_shared;
    int buffer_nodes[QTP_MAX_NODES]; /* nodes holding the buffers' pages */
    size_t nbuffer_nodes;
    char hist_file[256];   /* relative path of the cell's .hgrm, empty if none */
    char opt_out[256];     /* the cell's opt-out plan ("" none; qtp_deploy.h), part of its id */
    char hlog_file[256];   /* the cell's interval log (tag rep<rep>), empty if none */
    char hiccup_file[256]; /* the cell's platform baseline (.hiccup.hgrm), empty if none */
    struct qtp_load_stats load;
    struct qtp_counter_stats counters;
    struct qtp_series_stats series;
};

/* ---- the row table ---- */

struct qtp_field {
    const char *name;
    enum qtp_type type;
    size_t offset;                  /* in the containing struct */
    size_t size;                    /* QTP_T_STR: capacity; QTP_T_ARRAY: element size */
    const struct qtp_field *fields; /* QTP_T_OBJECT: {NULL}-terminated; QTP_T_ARRAY: element */
    size_t count_offset;            /* QTP_T_ARRAY: its size_t count, in the containing struct */
    size_t max;                     /* QTP_T_ARRAY: capacity (longer lists are cut on read) */
    unsigned flags;
};
/* A row of results.jsonl, in the order it is written ({NULL}-terminated). */
extern const struct qtp_field qtp_row_fields[];

/* The coordinates that name a cell besides its parameters, in id order. */
enum qtp_cell_name_id {
    QTP_NAME_TOPOLOGY,
    QTP_NAME_QUEUE,
    QTP_NAME_WAIT,
    QTP_NAME_PLACEMENT,
    QTP_NAME_MEMORY,
    QTP_NCELL_NAMES
};
struct qtp_cell_name {
    const char *name; /* the field, e.g. "topology" */
    size_t offset;    /* a char[] in qtp_rep_record (topology: QTP_TOPOLOGY_MAX, else
                       * QTP_CELL_NAME_MAX) */
};
extern const struct qtp_cell_name qtp_cell_names[QTP_NCELL_NAMES];

/* "ok", "failed", "skipped"; and back (EINVAL for any other name). */
const char *qtp_status_name(enum qtp_status s);
int qtp_status_parse(const char *name, enum qtp_status *out);

/* The stable id of a cell: topology.queue.wait.placement.memory, then each parameter's tag and
 * value (n<events>.r<ring>.b<batch>.p<payload>.w<work_ns>; .f<fanout> .s<shards> .l<stages>
 * .rate<rate> only when not 0). Counts divisible by 1000 get K/M/G suffixes (n1M). Names are
 * made filename-safe without losing uniqueness: ':' becomes '_', ',' becomes '+', any other byte
 * outside [A-Za-z0-9-] becomes ~XX (hex). A topology expression (a topology with a '(') stands
 * as its first combinator and 12 hex digits of a hash of its text: seq-1f3a0c9e27b4. The warm-up is
 * not part of the id (like --reps, it is how a cell is measured, not what). Example:
 * diamond.ring.spin.compact.local.n1M.r1024.b1.p0.w0 0, or ENAMETOOLONG if it does not fit in
 * buf[len]. */
int qtp_cell_id(char *buf, size_t len, const char *topology, const char *queue, const char *wait,
                const char *placement, const char *memory, const struct qtp_cell_params *p);

/* Append ".<tag><value>" to the id in buf, value made filename-safe as the names are: how a cell
 * coordinate that is neither a name nor a parameter (the opt-out plan, ".oreader~3A2~4030~25")
 * joins the id. 0, or ENAMETOOLONG. */
int qtp_cell_id_append(char *buf, size_t len, const char *tag, const char *value);

/* ---- labels: the parameters in words ---- */
/* The parameters that shape the row's topology: "N=3", "4 stages", "" for none. */
void qtp_params_shape_label(const struct qtp_cell_params *p, char *buf, size_t len);
/* The report's text for a cell: its shape label, then every other parameter that differs from
 * ref's, with its unit ("N=3 events=20000 work=100ns rate=1e+05/s"). The warm-up is left out. */
void qtp_params_text(const struct qtp_cell_params *p, const struct qtp_cell_params *ref, char *buf,
                     size_t len);
/* Which parameters vary over rows[0..n) (a shape parameter: among the cells it applies to). */
void qtp_params_varying(const struct qtp_rep_record *rows, size_t n, bool vary[QTP_NPARAMS]);
/* The run's table's short label of the varying parameters ("n=20K batch=4"). */
void qtp_params_short_label(const struct qtp_cell_params *p, const bool vary[QTP_NPARAMS],
                            char *buf, size_t len);
/* A key equal for two cells exactly when their names and parameters are, except the warm-up and
 * those in skip (names by index in qtp_cell_names, parameters by qtp_param_id; NULL: none). */
void qtp_cell_key(const struct qtp_rep_record *r, const bool skip_name[QTP_NCELL_NAMES],
                  const bool skip_param[QTP_NPARAMS], char *buf, size_t len);

#endif
