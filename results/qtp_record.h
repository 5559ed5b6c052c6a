/* qtp_record.h - one rep of one cell, as written to results.jsonl (the row DESIGN.md fixes).
 *
 * The runner fills a qtp_rep_record; qtp_results.h turns it into JSON (jansson), appends it,
 * and reads it back (resume, report, compare). Field names are the contract of DESIGN.md.
 */
#ifndef QTP_RECORD_H
#define QTP_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QTP_NAME_MAX 64
#define QTP_REASON_MAX 1024
#define QTP_MAX_THREADS 80
#define QTP_MAX_CPUS_SEEN 16
#define QTP_MAX_NODES 16

enum qtp_status { QTP_STATUS_OK, QTP_STATUS_FAILED, QTP_STATUS_SKIPPED };

struct qtp_cell_params {
    uint64_t events;
    uint64_t warmup;
    uint32_t ring_size;
    uint32_t batch;
    uint32_t payload;
    uint64_t work_ns;
    uint32_t fanout;
    uint32_t shards;
    uint32_t stages;
    double rate; /* events/s offered; 0: saturated */
};

struct qtp_latency {
    uint64_t count;
    double mean;
    uint64_t p50, p90, p99, p999, p9999, max;
    uint64_t clamped; /* values outside 1 ns..1 h (e.g. <= 0 from clock skew between CPUs) */
};

struct qtp_alloc_stats {
    uint64_t calls; /* malloc + calloc + realloc */
    uint64_t bytes;
    uint64_t frees;
    double per_event;
    double bytes_per_event;
};

struct qtp_cpu_stats {
    double user_s, sys_s;
    uint64_t voluntary_cs, involuntary_cs;
};

struct qtp_thread_record {
    char role[QTP_NAME_MAX]; /* "producer", "producer1", "stage:s2", "shard:w[1]", ... */
    int cpu_wanted;          /* -1: not bound */
    int cpus_seen[QTP_MAX_CPUS_SEEN];
    size_t ncpus_seen;
    int node; /* NUMA node of the CPU it ran on most, -1 unknown */
};

struct qtp_rep_record {
    char cell[2 * QTP_NAME_MAX * 4]; /* stable cell id, see qtp_cell_id() in qtp_results.h */
    char topology[QTP_NAME_MAX];
    char queue[QTP_NAME_MAX];
    char wait[QTP_NAME_MAX]; /* "block" for mutex queues: they always block */
    char placement[QTP_NAME_MAX];
    char memory[QTP_NAME_MAX];
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
    uint64_t rss_peak_kb;
    struct qtp_thread_record threads[QTP_MAX_THREADS];
    size_t nthreads;
    int buffer_nodes[QTP_MAX_NODES]; /* nodes holding the buffers' pages */
    size_t nbuffer_nodes;
    char hist_file[256]; /* relative path of the cell's .hgrm, empty if none */
};

#endif
