/* hist.c - HDR log-linear histogram (qtp_hist.h), HdrHistogram's layout and semantics.
 *
 * Layout for lowest 1, highest 1 h, 3 significant digits, exactly as HdrHistogram computes it:
 * sub_bucket_count 2048 (2 * 10^3 rounded up to a power of two), unit magnitude 0, 32 buckets,
 * counts_len (32 + 1) * 1024. Bucket b holds values [1024 << b, 2048 << b) in 1024 slots of width
 * 1 << b (bucket 0 also holds 0..1023 at width 1), so a value's slot is within 1/1024 < 0.1%.
 */
#include "qtp_hist.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

/* The layout constants, the struct and the record path are in qtp_hist.h (inline: the
 * terminals record every event inside the measured window). */
#define SUB_BUCKET_COUNT_MAG QTP__HIST_SUB_MAG
#define SUB_BUCKET_HALF_COUNT_MAG (SUB_BUCKET_COUNT_MAG - 1)
#define SUB_BUCKET_COUNT (1 << SUB_BUCKET_COUNT_MAG)
#define SUB_BUCKET_HALF_COUNT (1 << SUB_BUCKET_HALF_COUNT_MAG)
#define SUB_BUCKET_MASK ((uint64_t)SUB_BUCKET_COUNT - 1)
#define BUCKET_COUNT QTP__HIST_BUCKETS
#define COUNTS_LEN QTP__HIST_COUNTS_LEN

/* HdrHistogram's buckets_needed_to_cover_value: the smallest b with 2048 << (b-1) > highest. */
_Static_assert((uint64_t)SUB_BUCKET_COUNT << (BUCKET_COUNT - 1) > QTP_HIST_HIGHEST,
               "BUCKET_COUNT too small for QTP_HIST_HIGHEST");
_Static_assert((uint64_t)SUB_BUCKET_COUNT << (BUCKET_COUNT - 2) <= QTP_HIST_HIGHEST,
               "BUCKET_COUNT larger than HdrHistogram would choose");

_Static_assert(COUNTS_LEN % QTP__HIST_GROUP == 0, "the groups must tile the counts");

#define bucket_index qtp__hist_bucket_index
#define counts_index qtp__hist_counts_index

static uint64_t value_at_index(uint32_t idx)
{
    int b = (int)(idx >> SUB_BUCKET_HALF_COUNT_MAG) - 1;
    uint64_t sub = (idx & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if (b < 0) {
        sub -= SUB_BUCKET_HALF_COUNT;
        b = 0;
    }
    return sub << b;
}

static uint64_t size_of_equivalent_range(uint64_t v)
{
    int b = bucket_index(v);
    uint64_t sub = v >> b;
    return 1ULL << (b + (sub >= SUB_BUCKET_COUNT));
}

static uint64_t lowest_equivalent(uint64_t v)
{
    int b = bucket_index(v);
    return (v >> b) << b;
}

static uint64_t highest_equivalent(uint64_t v)
{
    return lowest_equivalent(v) + size_of_equivalent_range(v) - 1;
}

static uint64_t median_equivalent(uint64_t v)
{
    return lowest_equivalent(v) + (size_of_equivalent_range(v) >> 1);
}

int qtp_hist_create(struct qtp_hist **out)
{
    *out = calloc(1, sizeof(struct qtp_hist));
    return *out ? 0 : ENOMEM;
}

void qtp_hist_destroy(struct qtp_hist *h)
{
    free(h);
}

void qtp_hist_reset(struct qtp_hist *h)
{
    for (size_t i = 0; i < COUNTS_LEN; i++)
        h->counts[i] = 0;
    for (size_t g = 0; g < QTP__HIST_GROUPS; g++)
        h->groups[g] = 0;
    h->total = 0;
    h->clamped = 0;
}

void qtp_hist_merge(struct qtp_hist *dst, const struct qtp_hist *src)
{
    for (size_t i = 0; i < COUNTS_LEN; i++)
        dst->counts[i] += src->counts[i];
    for (size_t g = 0; g < QTP__HIST_GROUPS; g++)
        dst->groups[g] += src->groups[g];
    dst->total += src->total;
    dst->clamped += src->clamped;
}

uint64_t qtp_hist_count(const struct qtp_hist *h)
{
    return h->total;
}

uint64_t qtp_hist_clamped(const struct qtp_hist *h)
{
    return h->clamped;
}

uint64_t qtp_hist_min(const struct qtp_hist *h)
{
    for (uint32_t i = 0; i < COUNTS_LEN; i++)
        if (h->counts[i])
            return lowest_equivalent(value_at_index(i));
    return 0;
}

uint64_t qtp_hist_max(const struct qtp_hist *h)
{
    for (uint32_t i = COUNTS_LEN; i-- > 0;)
        if (h->counts[i])
            return highest_equivalent(value_at_index(i));
    return 0;
}

double qtp_hist_mean(const struct qtp_hist *h)
{
    if (h->total == 0)
        return 0;
    double sum = 0;
    for (uint32_t i = 0; i < COUNTS_LEN; i++)
        if (h->counts[i])
            sum += (double)median_equivalent(value_at_index(i)) * (double)h->counts[i];
    return sum / (double)h->total;
}

double qtp_hist_stddev(const struct qtp_hist *h)
{
    if (h->total == 0)
        return 0;
    double mean = qtp_hist_mean(h), dev2 = 0;
    for (uint32_t i = 0; i < COUNTS_LEN; i++) {
        if (h->counts[i]) {
            double d = (double)median_equivalent(value_at_index(i)) - mean;
            dev2 += d * d * (double)h->counts[i];
        }
    }
    return sqrt(dev2 / (double)h->total);
}

void qtp_hist_sample_live(struct qtp_hist *prev, const struct qtp_hist *const *live, size_t n,
                          void (*grew)(void *ctx, uint32_t slot, uint64_t by), void *ctx)
{
    for (uint32_t g = 0; g < QTP__HIST_GROUPS; g++) {
        /* Acquire: pairs with the recorder's release of the group after its slot. A group whose
         * new sum is not visible yet is scanned by a later call, which sees the slots grown. */
        uint64_t gsum = 0;
        for (size_t k = 0; k < n; k++)
            gsum += __atomic_load_n(&live[k]->groups[g], __ATOMIC_ACQUIRE);
        if (gsum == prev->groups[g])
            continue;
        prev->groups[g] = gsum;
        for (uint32_t i = g * QTP__HIST_GROUP; i < (g + 1) * QTP__HIST_GROUP; i++) {
            uint64_t sum = 0;
            for (size_t k = 0; k < n; k++)
                sum += __atomic_load_n(&live[k]->counts[i], __ATOMIC_RELAXED);
            if (sum > prev->counts[i]) {
                grew(ctx, i, sum - prev->counts[i]);
                prev->total += sum - prev->counts[i];
                prev->counts[i] = sum;
            }
        }
    }
}

void qtp_hist_add_slot(struct qtp_hist *h, uint32_t slot, uint64_t n)
{
    if (slot < COUNTS_LEN) {
        h->counts[slot] += n;
        h->groups[slot / QTP__HIST_GROUP] += n;
        h->total += n;
    }
}

uint64_t qtp_hist_percentile(const struct qtp_hist *h, double p)
{
    if (h->total == 0)
        return 0;
    if (p > 100.0)
        p = 100.0;
    if (!(p > 0.0))
        p = 0.0; /* also NaN */
    /* Java HdrHistogram's getValueAtPercentile (the reference every reader of our .hlog files
     * uses): rank ceil(p * n / 100) with p less one ulp, so that p99.9 of 1000 values is the
     * 999th, at least 1. (HdrHistogram_c rounds the rank to nearest instead; in a sparse tail the
     * two name different values.) */
    double rank = ceil(nextafter(p, -INFINITY) * (double)h->total / 100.0);
    uint64_t want = rank < 1.0 ? 1 : (uint64_t)rank;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < COUNTS_LEN; i++) {
        seen += h->counts[i];
        if (seen >= want) {
            uint64_t v = value_at_index(i);
            return p == 0.0 ? lowest_equivalent(v) : highest_equivalent(v);
        }
    }
    return qtp_hist_max(h);
}

/* One row of the distribution, as Java HdrHistogram's outputPercentileDistribution prints it
 * (the C library differs only in column widths; the plotters split on white space). */
static int put_row(FILE *out, uint32_t idx, double level, uint64_t cum, double scale)
{
    double v = (double)highest_equivalent(value_at_index(idx)) / scale;
    double frac = level / 100.0;
    int rc;
    if (level != 100.0)
        rc = fprintf(out, "%12.3f %2.12f %10" PRIu64 " %14.2f\n", v, frac, cum, 1.0 / (1.0 - frac));
    else
        rc = fprintf(out, "%12.3f %2.12f %10" PRIu64 "\n", v, frac, cum);
    return rc < 0 ? EIO : 0;
}

int qtp_hist_write_hgrm(const struct qtp_hist *h, FILE *out, int ticks_per_half, double scale)
{
    if (ticks_per_half <= 0)
        ticks_per_half = 5;
    if (!(scale > 0))
        scale = 1.0;
    if (fprintf(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
                "1/(1-Percentile)") < 0)
        return EIO;

    /* HdrHistogram's PercentileIterator: levels advance in ticks_per_half steps per halving of the
     * distance to 100%; a slot with a count may emit several levels; after the slot that reaches
     * the total count one more row at exactly 100%. */
    uint64_t cum = 0, total = h->total;
    double level = 0.0;
    uint32_t last = 0;
    for (uint32_t i = 0; i < COUNTS_LEN && cum < total; i++) {
        if (!h->counts[i])
            continue;
        cum += h->counts[i];
        last = i;
        double pct = 100.0 * (double)cum / (double)total;
        while (pct >= level) {
            int rc = put_row(out, i, level, cum, scale);
            if (rc)
                return rc;
            int64_t halvings = (int64_t)(log(100.0 / (100.0 - level)) / log(2)) + 1;
            level += 100.0 / ((double)ticks_per_half * pow(2.0, (double)halvings));
            if (cum == total)
                break;
        }
    }
    if (total > 0) {
        int rc = put_row(out, last, 100.0, total, scale);
        if (rc)
            return rc;
    }
    if (fprintf(out, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", qtp_hist_mean(h) / scale,
                qtp_hist_stddev(h) / scale) < 0 ||
        fprintf(out, "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n",
                (double)qtp_hist_max(h) / scale, total) < 0 ||
        fprintf(out, "#[Buckets = %12d, SubBuckets     = %12d]\n", BUCKET_COUNT, SUB_BUCKET_COUNT) <
            0)
        return EIO;
    return ferror(out) ? EIO : 0;
}
