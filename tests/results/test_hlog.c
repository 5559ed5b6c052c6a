/* results_hlog: the V2 encoding's bytes (decompressed here with zlib), the log layout, bad tags.
 * results_hlog_reference (--reference JAR JAVA_DIR): the same logs read by HdrHistogram's own
 * Java HistogramLogReader and HistogramLogProcessor, compared with what qtp_hist says; exit 77
 * when java, javac or the jar is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <resolv.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "qtp_hist.h"
#include "qtp_hlog.h"
#include "test_common.h"

static uint64_t seed;
static const char *jar, *java_dir;
static char tmpdir[256];

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Encode h and inflate it back: the uncompressed V2 bytes. */
static unsigned char *encode_raw(const struct qtp_hist *h, size_t *raw_len)
{
    unsigned char *enc;
    size_t len;
    assert_int_equal(qtp_hlog_encode(h, &enc, &len), 0);
    assert_true(len > 8);
    assert_int_equal(be32(enc), 0x1c849314);
    assert_int_equal(be32(enc + 4), len - 8);
    uLongf cap = 40 + 9 * (uLongf)QTP__HIST_COUNTS_LEN;
    unsigned char *raw = malloc(cap);
    assert_non_null(raw);
    assert_int_equal(uncompress(raw, &cap, enc + 8, (uLong)(len - 8)), Z_OK);
    free(enc);
    assert_true(cap >= 40);
    assert_int_equal(be32(raw), 0x1c849313);
    assert_int_equal(be32(raw + 4), cap - 40); /* payload length */
    assert_int_equal(be32(raw + 8), 0);        /* normalizing index offset */
    assert_int_equal(be32(raw + 12), 3);       /* significant digits */
    assert_int_equal(be64(raw + 16), 1);       /* lowest trackable */
    assert_int_equal(be64(raw + 24), 3600000000000ULL);
    double ratio;
    uint64_t bits = be64(raw + 32);
    memcpy(&ratio, &bits, sizeof ratio);
    assert_true(ratio == 1.0);
    *raw_len = cap;
    return raw;
}

/* Values 1 (once) and 3 (twice), 5000 (once): counts[1] = 1, counts[3] = 2, a run of zeros up to
 * 5000's slot, then 1. ZigZag: 0 -> 00, 1 -> 02, 2 -> 04, -n -> 2n-1. */
static void test_payload_bytes(void **state)
{
    (void)state;
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    qtp_hist_record(h, 1);
    qtp_hist_record_n(h, 3, 2);
    qtp_hist_record(h, 5000);
    size_t n;
    unsigned char *raw = encode_raw(h, &n);
    /* 5000 is in bucket 2 (4096..8191, width 4): index (3 << 10) + (5000 >> 2) - 1024 = 3298. */
    uint32_t idx5000 = qtp__hist_counts_index(5000);
    assert_int_equal(idx5000, 3298);
    int64_t zeros = idx5000 - 4; /* indices 4 .. 3297 */
    uint64_t zz = (uint64_t)(2 * zeros - 1);
    unsigned char want[16] = {0x00, 0x02, 0x00, 0x04};
    size_t w = 4;
    while (zz >> 7) {
        want[w++] = (unsigned char)((zz & 0x7f) | 0x80);
        zz >>= 7;
    }
    want[w++] = (unsigned char)zz;
    want[w++] = 0x02;
    assert_int_equal(n - 40, w);
    assert_memory_equal(raw + 40, want, w);
    free(raw);
    qtp_hist_destroy(h);
}

/* A count above 2^56 takes LEB128's 9th byte, which carries 8 bits; an empty histogram still
 * writes count[0]. */
static void test_big_counts_and_empty(void **state)
{
    (void)state;
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    size_t n;
    unsigned char *raw = encode_raw(h, &n);
    assert_int_equal(n, 41);
    assert_int_equal(raw[40], 0);
    free(raw);
    uint64_t big = (1ULL << 62) + 12345;
    qtp_hist_record_n(h, 0 + 1, big); /* slot 1 */
    raw = encode_raw(h, &n);
    assert_int_equal(n, 40 + 1 + 9);
    uint64_t zz = big << 1, got = 0;
    for (int i = 0; i < 8; i++) {
        assert_true(raw[41 + i] & 0x80);
        got |= (uint64_t)(raw[41 + i] & 0x7f) << (7 * i);
    }
    got |= (uint64_t)raw[49] << 56;
    assert_int_equal(got, zz);
    free(raw);
    qtp_hist_destroy(h);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_layout_and_bad_input(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/layout.hlog", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct qtp_hlog_header hd = {"[Logged with qtopo test]", 1733097600.0, 1733097600.25};
    assert_int_equal(qtp_hlog_write_header(f, &hd), 0);
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    qtp_hist_record(h, 1500000); /* 1.5 ms: the max column is in ms */
    assert_int_equal(qtp_hlog_write_interval(f, "rep0", 0.5, 0.01, h), 0);
    assert_int_equal(qtp_hlog_write_interval(f, NULL, 0.51, 0.01, h), 0);
    const char *bad[] = {"", "a,b", "a b", "a\nb", "a\rb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(qtp_hlog_write_interval(f, bad[i], 0, 0.01, h), EINVAL);
    assert_int_equal(qtp_hlog_write_interval(f, "t", 0, -1, h), EINVAL);
    assert_int_equal(qtp_hlog_write_interval(f, "t", NAN, 1, h), EINVAL);
    struct qtp_hlog_header bad_hd = {"two\nlines", 0, 0};
    assert_int_equal(qtp_hlog_write_header(f, &bad_hd), EINVAL);
    fclose(f);

    char *text = slurp(path);
    static const char legend[] = "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
                                 "\"Interval_Compressed_Histogram\"\n";
    const char *lines[] = {
        "#[Logged with qtopo test]\n",
        "#[Histogram log format version 1.3]\n",
        "#[StartTime: 1733097600.000 (seconds since epoch), ",
        "#[BaseTime: 1733097600.250 (seconds since epoch)]\n",
        legend,
        "Tag=rep0,0.500,0.010,1.500,HISTF",
        "0.510,0.010,1.500,HISTF",
    };
    const char *p = text;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (strncmp(p, lines[i], strlen(lines[i])) != 0)
            fail_msg("line %zu: want '%s', got '%.60s'", i, lines[i], p);
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    assert_int_equal(*p, '\0'); /* the bad calls wrote nothing */

    /* The line's histogram is the base64 of qtp_hlog_encode. */
    unsigned char *enc;
    size_t len;
    assert_int_equal(qtp_hlog_encode(h, &enc, &len), 0);
    char b64[1024];
    assert_true(b64_ntop(enc, len, b64, sizeof b64) > 0);
    assert_non_null(strstr(text, b64));
    free(enc);
    qtp_hist_destroy(h);
}

/* ---- the reference reader ---- */

#define NTAGS 3
#define NINTERVALS 4

struct interval {
    char tag[16];
    double start_s, length_s;
    struct qtp_hist *h;
};

static struct interval ivs[NTAGS * NINTERVALS];

/* Latency-like data: mostly 100 ns..10 us log-uniform, a tail to 50 ms, some huge counts, one
 * empty interval, values at the top of the range. */
static void fill(struct interval *iv, int k, uint64_t *rng)
{
    assert_int_equal(qtp_hist_create(&iv->h), 0);
    if (k == 5)
        return; /* empty */
    size_t n = 20000 + (size_t)(test_rand(rng) % 30000);
    for (size_t i = 0; i < n; i++) {
        double u = test_uniform(rng);
        double lo = 100, hi = u < 0.995 ? 1e4 : 5e7;
        qtp_hist_record(iv->h, (uint64_t)(lo * pow(hi / lo, test_uniform(rng))));
    }
    if (k == 7)
        qtp_hist_record_n(iv->h, 777, 5000000000ULL); /* > 2^32 in one slot */
    if (k == 10)
        qtp_hist_record(iv->h, QTP_HIST_HIGHEST);
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        print_message("command failed (%d): %s\n", rc, cmd);
    return rc;
}

static void write_log(const char *path, double base)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct qtp_hlog_header hd = {"[Logged with qtopo test]", base, base};
    assert_int_equal(qtp_hlog_write_header(f, &hd), 0);
    for (size_t i = 0; i < NTAGS * NINTERVALS; i++)
        assert_int_equal(
            qtp_hlog_write_interval(f, ivs[i].tag, ivs[i].start_s, ivs[i].length_s, ivs[i].h), 0);
    assert_int_equal(fclose(f), 0);
}

static void check_reader_line(const struct interval *iv, const char *line, double base)
{
    char tag[64], b64[1 << 16];
    long long start_ms, end_ms;
    unsigned long long count, p50, p99, p999, max;
    assert_int_equal(sscanf(line, "%63s %lld %lld %llu %llu %llu %llu %llu %65535s", tag, &start_ms,
                            &end_ms, &count, &p50, &p99, &p999, &max, b64),
                     9);
    assert_string_equal(tag, iv->tag);
    /* The reader keeps whole ms of base + start. */
    assert_true(llabs(start_ms - (long long)((base + iv->start_s) * 1000.0)) <= 1);
    assert_true(llabs(end_ms - start_ms - (long long)(iv->length_s * 1000.0)) <= 1);
    assert_int_equal(count, qtp_hist_count(iv->h));
    const double pct[3] = {50, 99, 99.9};
    uint64_t got[4] = {p50, p99, p999, max};
    for (int i = 0; i < 4; i++) {
        /* qtp_hist_percentile follows Java's rank rule: the values are equal, not just close. */
        uint64_t want = i < 3 ? qtp_hist_percentile(iv->h, pct[i]) : qtp_hist_max(iv->h);
        if (got[i] != want)
            fail_msg("%s @%.3f field %d: Java %" PRIu64 ", qtp_hist %" PRIu64, iv->tag, iv->start_s,
                     i, got[i], want);
    }
    /* Java re-encodes what it decoded: the same V2 bytes as ours. (Here the compressed bytes are
     * the same too; another zlib build could compress differently, so only note that.) */
    static unsigned char java_enc[1 << 16];
    int jn = b64_pton(b64, java_enc, sizeof java_enc);
    assert_true(jn > 8);
    uLongf cap = 40 + 9 * (uLongf)QTP__HIST_COUNTS_LEN;
    unsigned char *java_raw = malloc(cap);
    assert_non_null(java_raw);
    assert_int_equal(uncompress(java_raw, &cap, java_enc + 8, (uLong)jn - 8), Z_OK);
    size_t raw_len;
    unsigned char *raw = encode_raw(iv->h, &raw_len);
    assert_int_equal(cap, raw_len);
    assert_memory_equal(java_raw, raw, raw_len);
    free(raw);
    free(java_raw);
    unsigned char *enc;
    size_t len;
    assert_int_equal(qtp_hlog_encode(iv->h, &enc, &len), 0);
    if (len != (size_t)jn || memcmp(enc, java_enc, len) != 0)
        print_message("%s @%.3f: same V2 bytes as Java, compressed differently\n", iv->tag,
                      iv->start_s);
    free(enc);
}

/* Same text, number by number: Java's Formatter rounds a decimal tie up (0.9999267578125 ->
 * ...813), C's printf to even (...812), so numbers may differ by one unit in the last digit. */
static bool same_token(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return true;
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*ea || *eb || ea == a || eb == b)
        return false;
    const char *dot = strchr(a, '.');
    int decimals = dot ? (int)strlen(dot + 1) : 0;
    return fabs(x - y) <= 1.000001 * pow(10, -decimals);
}

static void same_hgrm(const char *java_path, const char *ours_path)
{
    static char java_text[1 << 22];
    strcpy(java_text, slurp(java_path));
    char *ours = slurp(ours_path);
    /* Java's file starts with the time range comments: compare from the column header on. */
    char *theirs = strstr(java_text, "       Value");
    assert_non_null(theirs);
    char *sa = NULL, *sb = NULL;
    char *a = strtok_r(ours, " \n", &sa), *b = strtok_r(theirs, " \n", &sb);
    size_t n = 0;
    for (; a && b; a = strtok_r(NULL, " \n", &sa), b = strtok_r(NULL, " \n", &sb), n++)
        if (!same_token(a, b))
            fail_msg("hgrm token %zu: qtp_hist '%s', HistogramLogProcessor '%s'", n, a, b);
    assert_null(a);
    assert_null(b);
    assert_true(n > 100);
}

static void test_reference_reader(void **state)
{
    (void)state;
    uint64_t rng = seed;
    for (int t = 0; t < NTAGS; t++)
        for (int i = 0; i < NINTERVALS; i++) {
            struct interval *iv = &ivs[t * NINTERVALS + i];
            snprintf(iv->tag, sizeof iv->tag, "rep%d", t);
            iv->start_s = 0.010 * i + 0.001 * t;
            iv->length_s = 0.010;
            fill(iv, t * NINTERVALS + i, &rng);
        }
    double base = floor((double)time(NULL));
    char hlog[300], out[300], cmd[2048];
    snprintf(hlog, sizeof hlog, "%s/ref.hlog", tmpdir);
    snprintf(out, sizeof out, "%s/dump.txt", tmpdir);
    write_log(hlog, base);

    snprintf(cmd, sizeof cmd, "javac -nowarn -cp '%s' -d '%s' '%s/HlogDump.java'", jar, tmpdir,
             java_dir);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "java -Xshare:auto -cp '%s:%s' HlogDump '%s' > '%s'", jar, tmpdir,
             hlog, out);
    assert_int_equal(run(cmd), 0);
    char *text = slurp(out);
    char *save = NULL;
    size_t n = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        assert_true(n < NTAGS * NINTERVALS);
        check_reader_line(&ivs[n], line, base);
        n++;
    }
    assert_int_equal(n, NTAGS * NINTERVALS); /* every interval, in order */

    /* HistogramLogProcessor on one tag: its accumulated percentile distribution (ms) must be the
     * text qtp_hist_write_hgrm writes for the merge of that tag's intervals. */
    char prefix[300], ours_path[300], theirs[300];
    snprintf(prefix, sizeof prefix, "%s/proc", tmpdir);
    snprintf(cmd, sizeof cmd,
             "java -cp '%s' org.HdrHistogram.HistogramLogProcessor -i '%s' -tag rep1 -o '%s' "
             ">/dev/null",
             jar, hlog, prefix);
    assert_int_equal(run(cmd), 0);
    struct qtp_hist *m;
    assert_int_equal(qtp_hist_create(&m), 0);
    for (int i = 0; i < NINTERVALS; i++)
        qtp_hist_merge(m, ivs[NINTERVALS + i].h);
    snprintf(ours_path, sizeof ours_path, "%s/ours.hgrm", tmpdir);
    FILE *f = fopen(ours_path, "w");
    assert_non_null(f);
    assert_int_equal(qtp_hist_write_hgrm(m, f, 5, 1e6), 0);
    fclose(f);
    qtp_hist_destroy(m);
    snprintf(theirs, sizeof theirs, "%s/proc.hgrm", tmpdir);
    same_hgrm(theirs, ours_path);
    for (size_t i = 0; i < NTAGS * NINTERVALS; i++)
        qtp_hist_destroy(ivs[i].h);
}

static bool have(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

int main(int argc, char **argv)
{
    seed = test_seed(argc, argv);
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/qtp_hlog.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    int rc;
    if (argc >= 4 && strcmp(argv[1], "--reference") == 0) {
        jar = argv[2];
        java_dir = argv[3];
        const char *missing = access(jar, R_OK) != 0 ? jar
                              : !have("javac")       ? "javac (default-jdk-headless)"
                              : !have("java")        ? "java (default-jre-headless)"
                                                     : NULL;
        if (missing) {
            fprintf(stderr, "skipped: no %s (libhdrhistogram-java provides the jar)\n", missing);
            rc = 77;
        } else {
            const struct CMUnitTest ref[] = {cmocka_unit_test(test_reference_reader)};
            rc = cmocka_run_group_tests(ref, NULL, NULL);
        }
    } else {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_payload_bytes),
            cmocka_unit_test(test_big_counts_and_empty),
            cmocka_unit_test(test_layout_and_bad_input),
        };
        rc = cmocka_run_group_tests(tests, NULL, NULL);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
