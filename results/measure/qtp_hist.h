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
/* Internal (qtp__*): the layout, here so that recording is inline. Bucket b holds values
 * [1024 << b, 2048 << b) in 1024 slots of width 1 << b (bucket 0 also holds 0..1023 at width 1). */
enum {
    QTP__HIST_SUB_MAG = 11, /* log2(2048 sub-buckets): 3 significant digits */
    QTP__HIST_BUCKETS = 32, /* enough to cover 1 h (checked in hist.c) */
    QTP__HIST_COUNTS_LEN = (32 + 1) * 1024,
    /* Slots per group: a group's sum tells a sampler which 64 slots to scan (qtp_hist_sample_live)
     * without reading all 270 KB of counts every period. */
    QTP__HIST_GROUP = 64,
    QTP__HIST_GROUPS = QTP__HIST_COUNTS_LEN / QTP__HIST_GROUP,
};
struct qtp_hist {
    uint64_t total;
    uint64_t clamped;
    uint64_t counts[QTP__HIST_COUNTS_LEN];
    uint64_t groups[QTP__HIST_GROUPS]; /* sum of counts[g * QTP__HIST_GROUP ..][0..GROUP) */
};

static inline int qtp__hist_bucket_index(uint64_t v)
{
    /* 64 - clz(v | mask) is the bit length, at least 11; bucket 0 covers 0..2047. */
    return 64 - __builtin_clzll(v | ((1ULL << QTP__HIST_SUB_MAG) - 1)) - QTP__HIST_SUB_MAG;
}

static inline uint32_t qtp__hist_counts_index(uint64_t v)
{
    int b = qtp__hist_bucket_index(v);
    uint32_t sub = (uint32_t)(v >> b); /* in [1024, 2048) except in bucket 0 */
    return ((uint32_t)(b + 1) << (QTP__HIST_SUB_MAG - 1)) + sub - (1u << (QTP__HIST_SUB_MAG - 1));
}

/* Record v ns n times (clamped into [1 ns, 1 h]; clamped values are counted, see
 * qtp_hist_clamped). */
static inline void qtp_hist_record_n(struct qtp_hist *h, uint64_t v, uint64_t n)
{
    /* One unsigned compare catches both 0 (wraps) and values above 1 h. */
    if (__builtin_expect(v - QTP_HIST_LOWEST >= QTP_HIST_HIGHEST, 0)) {
        v = v == 0 ? QTP_HIST_LOWEST : QTP_HIST_HIGHEST;
        h->clamped += n;
    }
    /* Relaxed loads and stores (plain adds on x86 and arm64, not locked ones): the one writer
     * stays cheap, and a sampler may read the slots meanwhile (qtp_hist_sample_live). The group's
     * store is a release after the slot's, so a sampler that sees a group grown sees its slots. */
    const uint32_t i = qtp__hist_counts_index(v);
    uint64_t *slot = &h->counts[i], *group = &h->groups[i / QTP__HIST_GROUP];
    __atomic_store_n(slot, __atomic_load_n(slot, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
    __atomic_store_n(group, __atomic_load_n(group, __ATOMIC_RELAXED) + n, __ATOMIC_RELEASE);
    h->total += n;
}

static inline void qtp_hist_record(struct qtp_hist *h, uint64_t v)
{
    qtp_hist_record_n(h, v, 1);
}
/* For a sampler reading histograms that their threads are recording into (any thread, any
 * time): for every slot whose sum over live[0..n) has grown past prev's, grew(ctx, slot, by how
 * much); prev then holds that sum. Each slot is read once (relaxed): the sum is not one instant,
 * but what a call misses the next one sees, so the deltas of all calls add up to the histograms'
 * final counts. It reads every group's sum (4 KB per histogram) and scans only the slots of the
 * groups that grew since the last call: a sampler that shares a PU with a measured thread every
 * few milliseconds would otherwise take that PU for a scan of 270 KB per histogram each time
 * (and evict the thread's cache), which showed in paced latency's p99. */
void qtp_hist_sample_live(struct qtp_hist *prev, const struct qtp_hist *const *live, size_t n,
                          void (*grew)(void *ctx, uint32_t slot, uint64_t by), void *ctx);
/* Add n to counts slot `slot` (an index qtp_hist_sample_live reported), e.g. to rebuild an
 * interval's histogram from those deltas. */
void qtp_hist_add_slot(struct qtp_hist *h, uint32_t slot, uint64_t n);
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
/* Value at percentile p in [0, 100]: the highest-equivalent value of the slot holding rank
 * ceil(p * n / 100) (p less one ulp; at least 1), exactly as Java HdrHistogram's
 * getValueAtPercentile, so the .hlog readers agree with results.jsonl. */
uint64_t qtp_hist_percentile(const struct qtp_hist *h, double p);

/* HdrHistogram's percentile text format ("Value Percentile TotalCount 1/(1-Percentile)", then the
 * Mean/StdDeviation/Max/Total count footer), values scaled by 1/scale (1.0: ns).
 * ticks_per_half: HdrHistogram's percentile_ticks_per_half_distance (5 is its default).
 * 0 or errno of the write. */
int qtp_hist_write_hgrm(const struct qtp_hist *h, FILE *out, int ticks_per_half, double scale);

#endif
