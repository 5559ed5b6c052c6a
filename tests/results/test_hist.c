/* results_hist: histogram accuracy against exact sorted values, merge, clamping, hgrm format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "qtp_hist.h"
#include "test_common.h"

static uint64_t seed;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static const double pcts[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.5, 99.9, 99.99, 99.999, 100};

/* The exact value Java HdrHistogram's percentile refers to: rank ceil(p * n / 100) (p less one
 * ulp), at least 1. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
    double r = ceil(nextafter(p, -INFINITY) * (double)n / 100.0);
    size_t rank = r < 1.0 ? 1 : (size_t)r;
    return sorted[rank - 1];
}

static void check_against_sorted(struct qtp_hist *h, uint64_t *v, size_t n)
{
    qsort(v, n, sizeof v[0], cmp_u64);
    assert_int_equal(qtp_hist_count(h), n);
    for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++) {
        uint64_t want = exact_percentile(v, n, pcts[i]);
        uint64_t got = qtp_hist_percentile(h, pcts[i]);
        double err = fabs((double)got - (double)want) / (double)want;
        if (err > 0.001)
            fail_msg("p%g: histogram %" PRIu64 ", exact %" PRIu64 " (error %.5f%%)", pcts[i], got,
                     want, err * 100);
        /* Highest-equivalent: never below the value it stands for (lowest for p0). */
        if (pcts[i] > 0)
            assert_true(got >= want);
        else
            assert_true(got <= want);
    }
    assert_true(qtp_hist_max(h) >= v[n - 1]);
    assert_true((double)qtp_hist_max(h) <= (double)v[n - 1] * 1.001);
    assert_true(qtp_hist_min(h) <= v[0]);
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += (double)v[i];
    mean /= (double)n;
    assert_true(fabs(qtp_hist_mean(h) - mean) <= mean * 0.001);
}

static void test_accuracy_log_uniform(void **state)
{
    (void)state;
    uint64_t rs = seed;
    size_t n = 200000;
    uint64_t *v = malloc(n * sizeof *v);
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    for (size_t i = 0; i < n; i++) {
        /* 1 ns .. ~1000 s, log-uniform: every bucket gets traffic. */
        v[i] = (uint64_t)exp(test_uniform(&rs) * log(1e12));
        if (v[i] == 0)
            v[i] = 1;
        qtp_hist_record(h, v[i]);
    }
    check_against_sorted(h, v, n);
    assert_int_equal(qtp_hist_clamped(h), 0);
    qtp_hist_destroy(h);
    free(v);
}

static void test_accuracy_latency_like(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 0x5555;
    size_t n = 100000;
    uint64_t *v = malloc(n * sizeof *v);
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    for (size_t i = 0; i < n; i++) {
        /* A body around 200 ns and a long tail of rare stalls. */
        double u = test_uniform(&rs);
        v[i] = 150 + (uint64_t)(100 * test_uniform(&rs));
        if (u > 0.999)
            v[i] = 10000 + (uint64_t)(5e6 * test_uniform(&rs));
        qtp_hist_record(h, v[i]);
    }
    check_against_sorted(h, v, n);
    qtp_hist_destroy(h);
    free(v);
}

static void test_small_values_exact(void **state)
{
    (void)state;
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    for (uint64_t v = 1; v <= 2047; v++)
        qtp_hist_record(h, v);
    /* Below 2048 every value has its own slot: percentiles are exact. */
    assert_int_equal(qtp_hist_percentile(h, 50), 1024);
    assert_int_equal(qtp_hist_percentile(h, 100), 2047);
    assert_int_equal(qtp_hist_min(h), 1);
    assert_int_equal(qtp_hist_max(h), 2047);
    assert_true(fabs(qtp_hist_mean(h) - 1024.0) < 1e-9);
    qtp_hist_record(h, 2049); /* slot width 2 from 2048 on: [2048, 2049] */
    assert_int_equal(qtp_hist_max(h), 2049);
    qtp_hist_record(h, 1000000007ULL);
    uint64_t mx = qtp_hist_max(h);
    assert_true(mx >= 1000000007ULL && mx - 1000000007ULL < 1000000007ULL / 1024);
    qtp_hist_destroy(h);
}

static void test_merge(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 0xabc;
    struct qtp_hist *a, *b, *all;
    assert_int_equal(qtp_hist_create(&a), 0);
    assert_int_equal(qtp_hist_create(&b), 0);
    assert_int_equal(qtp_hist_create(&all), 0);
    for (int i = 0; i < 50000; i++) {
        uint64_t v = 1 + test_rand(&rs) % 10000000;
        qtp_hist_record(i % 3 ? a : b, v);
        qtp_hist_record(all, v);
    }
    qtp_hist_record(b, 0);
    qtp_hist_record(all, 0);
    qtp_hist_merge(a, b);
    assert_int_equal(qtp_hist_count(a), qtp_hist_count(all));
    assert_int_equal(qtp_hist_clamped(a), 1);
    for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++)
        assert_int_equal(qtp_hist_percentile(a, pcts[i]), qtp_hist_percentile(all, pcts[i]));
    assert_true(qtp_hist_mean(a) == qtp_hist_mean(all));
    assert_true(qtp_hist_stddev(a) == qtp_hist_stddev(all));
    qtp_hist_reset(b);
    assert_int_equal(qtp_hist_count(b), 0);
    assert_int_equal(qtp_hist_percentile(b, 99), 0);
    assert_int_equal(qtp_hist_max(b), 0);
    qtp_hist_destroy(a);
    qtp_hist_destroy(b);
    qtp_hist_destroy(all);
}

static void test_clamping(void **state)
{
    (void)state;
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    qtp_hist_record(h, 0);
    qtp_hist_record(h, QTP_HIST_HIGHEST + 1);
    qtp_hist_record(h, UINT64_MAX);
    qtp_hist_record_n(h, 5, 10);
    qtp_hist_record(h, QTP_HIST_HIGHEST); /* in range: not clamped */
    assert_int_equal(qtp_hist_count(h), 14);
    assert_int_equal(qtp_hist_clamped(h), 3);
    assert_int_equal(qtp_hist_min(h), 1);
    uint64_t mx = qtp_hist_max(h);
    assert_true(mx >= QTP_HIST_HIGHEST && mx < QTP_HIST_HIGHEST + QTP_HIST_HIGHEST / 1000);
    assert_int_equal(qtp_hist_percentile(h, 0), 1);
    assert_int_equal(qtp_hist_percentile(h, 50), 5);
    qtp_hist_destroy(h);
}

static char *hgrm_text(struct qtp_hist *h, double scale)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(qtp_hist_write_hgrm(h, f, 5, scale), 0);
    long len = ftell(f);
    char *buf = malloc((size_t)len + 1);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = 0;
    fclose(f);
    return buf;
}

static void test_hgrm_format(void **state)
{
    (void)state;
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    for (uint64_t i = 1; i <= 10000; i++)
        qtp_hist_record(h, 1000 + i * 7);
    char *text = hgrm_text(h, 1000.0); /* µs, as HdrHistogram's examples */
    const char *head = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n";
    assert_memory_equal(text, head, strlen(head));

    char *save = NULL;
    int rows = 0, saw_last = 0, footer = 0;
    double prev_v = 0, prev_p = -1;
    long prev_c = 0;
    for (char *line = strtok_r(text + strlen(head), "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            footer++;
            continue;
        }
        assert_false(saw_last);
        double v, p, inv;
        long c;
        int k = sscanf(line, "%lf %lf %ld %lf", &v, &p, &c, &inv);
        if (k == 3) {
            /* The 100% row has no 1/(1-p) column, as in Java HdrHistogram. */
            assert_true(p == 1.0);
            assert_int_equal(c, 10000);
            saw_last = 1;
        } else {
            assert_int_equal(k, 4);
            assert_true(fabs(inv - 1.0 / (1.0 - p)) <= 0.006 * inv);
        }
        assert_true(v >= prev_v && p > prev_p && c >= prev_c);
        /* Fixed columns: %12.3f %2.12f %10d %14.2f */
        assert_true(strlen(line) >= 12 + 1 + 14 + 1 + 10);
        assert_int_equal(line[12], ' ');
        prev_v = v;
        prev_p = p;
        prev_c = c;
        rows++;
    }
    assert_true(saw_last);
    assert_true(rows > 50);
    assert_int_equal(footer, 3);
    free(text);

    text = hgrm_text(h, 1000.0);
    assert_non_null(strstr(text, "\n#[Mean    = "));
    assert_non_null(strstr(text, ", StdDeviation   = "));
    assert_non_null(strstr(text, "\n#[Max     = "));
    assert_non_null(strstr(text, ", Total count    =        10000]\n"));
    assert_non_null(strstr(text, "\n#[Buckets =           32, SubBuckets     =         2048]\n"));
    /* First row: the minimum at percentile 0. */
    assert_non_null(strstr(text, "\n\n       1.007 0.000000000000          1           1.00\n"));
    /* Max = 1000 + 70000 ns = 71 µs, highest equivalent of its slot (width 32 ns). */
    double mx;
    assert_int_equal(sscanf(strstr(text, "#[Max     = ") + 12, "%lf", &mx), 1);
    assert_true(mx >= 71.0 && mx < 71.04);
    free(text);

    qtp_hist_reset(h);
    text = hgrm_text(h, 1.0);
    assert_string_equal(text, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
                              "#[Mean    =        0.000, StdDeviation   =        0.000]\n"
                              "#[Max     =        0.000, Total count    =            0]\n"
                              "#[Buckets =           32, SubBuckets     =         2048]\n");
    free(text);
    qtp_hist_destroy(h);
}

/* The tick schedule of HdrHistogram with 5 ticks per half distance: 0, 10, 20, 30, 40, 50, 55,
 * 60, 65, 70, 75, 77.5, ... on a uniform distribution of 1..100000. */
static void test_hgrm_levels(void **state)
{
    (void)state;
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    for (uint64_t i = 1; i <= 100000; i++)
        qtp_hist_record(h, i);
    char *text = hgrm_text(h, 1.0);
    static const double want[] = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.775};
    char *line = strchr(text, '\n') + 2;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        double v, p;
        assert_int_equal(sscanf(line, "%lf %lf", &v, &p), 2);
        assert_true(fabs(p - want[i]) < 1e-12);
        line = strchr(line, '\n') + 1;
    }
    free(text);
    qtp_hist_destroy(h);
}

/* A sampler's view of histograms being recorded: the deltas of repeated sample_live calls add
 * up to the histograms' final counts, slot by slot, and rebuild the same distribution. */
struct deltas {
    struct qtp_hist *rebuilt;
    uint64_t calls;
};
static void on_grew(void *ctx, uint32_t slot, uint64_t by)
{
    struct deltas *d = ctx;
    qtp_hist_add_slot(d->rebuilt, slot, by);
    d->calls++;
}

static void test_sample_live(void **state)
{
    (void)state;
    struct qtp_hist *a, *b, *prev, *all;
    assert_int_equal(qtp_hist_create(&a), 0);
    assert_int_equal(qtp_hist_create(&b), 0);
    assert_int_equal(qtp_hist_create(&prev), 0);
    assert_int_equal(qtp_hist_create(&all), 0);
    struct deltas d = {all, 0};
    const struct qtp_hist *live[2] = {a, b};
    uint64_t x = seed | 1;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 5000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            qtp_hist_record(i % 2 ? a : b, 1 + x % 10000000);
        }
        qtp_hist_sample_live(prev, live, 2, on_grew, &d);
    }
    qtp_hist_sample_live(prev, live, 2, on_grew, &d); /* nothing new: no call */
    assert_int_equal(qtp_hist_count(all), 100000);
    struct qtp_hist *merged;
    assert_int_equal(qtp_hist_create(&merged), 0);
    qtp_hist_merge(merged, a);
    qtp_hist_merge(merged, b);
    for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++)
        assert_int_equal(qtp_hist_percentile(all, pcts[i]), qtp_hist_percentile(merged, pcts[i]));
    assert_int_equal(qtp_hist_count(prev), 100000);
    qtp_hist_destroy(a);
    qtp_hist_destroy(b);
    qtp_hist_destroy(prev);
    qtp_hist_destroy(all);
    qtp_hist_destroy(merged);
}

/* Every percentile, count and extreme of two histograms agree. */
static void assert_same_distribution(const struct qtp_hist *x, const struct qtp_hist *y)
{
    assert_int_equal(qtp_hist_count(x), qtp_hist_count(y));
    assert_int_equal(qtp_hist_min(x), qtp_hist_min(y));
    assert_int_equal(qtp_hist_max(x), qtp_hist_max(y));
    for (double p = 0; p <= 100; p += 0.25)
        assert_int_equal(qtp_hist_percentile(x, p), qtp_hist_percentile(y, p));
}

/* The sampler skips the groups whose sums did not move: histograms filled by merge and add_slot
 * (not only by record) keep those sums, and a value recorded after a sample in a group the sample
 * already saw, or in a group far from every other, is still reported. */
static void test_sample_live_groups(void **state)
{
    (void)state;
    struct qtp_hist *a, *b, *prev, *all;
    assert_int_equal(qtp_hist_create(&a), 0);
    assert_int_equal(qtp_hist_create(&b), 0);
    assert_int_equal(qtp_hist_create(&prev), 0);
    assert_int_equal(qtp_hist_create(&all), 0);
    struct deltas d = {all, 0};
    const struct qtp_hist *live[1] = {a};
    qtp_hist_record(a, 100);
    qtp_hist_sample_live(prev, live, 1, on_grew, &d);
    assert_int_equal(d.calls, 1);
    qtp_hist_record(a, 101);                   /* the same group, another slot */
    qtp_hist_record_n(a, 3600000000000ULL, 2); /* the last group */
    qtp_hist_sample_live(prev, live, 1, on_grew, &d);
    assert_int_equal(d.calls, 3);
    qtp_hist_add_slot(b, 7, 5);
    qtp_hist_record(b, 50000);
    qtp_hist_merge(a, b);
    qtp_hist_sample_live(prev, live, 1, on_grew, &d);
    assert_int_equal(d.calls, 5);
    assert_same_distribution(all, a);
    qtp_hist_reset(a);
    qtp_hist_record(a, 100);
    struct qtp_hist *prev2;
    assert_int_equal(qtp_hist_create(&prev2), 0);
    d.calls = 0;
    qtp_hist_sample_live(prev2, live, 1, on_grew, &d); /* reset cleared the groups too */
    assert_int_equal(d.calls, 1);
    qtp_hist_destroy(a);
    qtp_hist_destroy(b);
    qtp_hist_destroy(prev);
    qtp_hist_destroy(prev2);
    qtp_hist_destroy(all);
}

/* A recording thread and a sampler at the same time (the rep's terminal and the watchdog's
 * thread): the sampler's deltas, plus one last call after the join, rebuild the histogram exactly.
 * Under ThreadSanitizer this also checks that the slots and groups are accessed atomically. */
struct recorder {
    struct qtp_hist *h;
    uint64_t seed;
    atomic_bool done;
};
static void *record_many(void *arg)
{
    struct recorder *r = arg;
    uint64_t x = r->seed | 1;
    for (int i = 0; i < 400000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        qtp_hist_record_n(r->h, 1 + x % (i % 3 ? 5000 : 100000000), 1 + x % 3);
    }
    atomic_store(&r->done, true);
    return NULL;
}
static void test_sample_live_concurrent(void **state)
{
    (void)state;
    struct qtp_hist *prev, *all;
    struct recorder r = {.seed = seed};
    assert_int_equal(qtp_hist_create(&r.h), 0);
    assert_int_equal(qtp_hist_create(&prev), 0);
    assert_int_equal(qtp_hist_create(&all), 0);
    struct deltas d = {all, 0};
    const struct qtp_hist *live[1] = {r.h};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, record_many, &r), 0);
    uint64_t samples = 0;
    while (!atomic_load(&r.done)) {
        qtp_hist_sample_live(prev, live, 1, on_grew, &d);
        samples++;
    }
    pthread_join(t, NULL);
    qtp_hist_sample_live(prev, live, 1, on_grew, &d);
    assert_true(samples > 0);
    assert_same_distribution(all, r.h);
    assert_int_equal(qtp_hist_count(prev), qtp_hist_count(r.h));
    qtp_hist_destroy(r.h);
    qtp_hist_destroy(prev);
    qtp_hist_destroy(all);
}

int main(int argc, char **argv)
{
    seed = test_seed(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy_log_uniform),
        cmocka_unit_test(test_accuracy_latency_like),
        cmocka_unit_test(test_small_values_exact),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_clamping),
        cmocka_unit_test(test_hgrm_format),
        cmocka_unit_test(test_hgrm_levels),
        cmocka_unit_test(test_sample_live),
        cmocka_unit_test(test_sample_live_groups),
        cmocka_unit_test(test_sample_live_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
