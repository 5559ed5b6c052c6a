/* results_compare: qtopo compare's exit codes on small synthetic results directories:
 * A/A -> 0, a 30% throughput drop -> 1 (that cell only), a p99 rise -> 1, an improvement -> 0,
 * the family-wise level (--fwer) shared out over every test, too few reps / missing / damaged /
 * disjoint / bad options -> 2 with a clear message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "qtp_compare.h"
#include "qtp_results.h"
#include "test_common.h"

#pragma GCC diagnostic ignored "-Wformat-truncation"

static char base[256];
static uint64_t seed;

struct cellspec {
    const char *topology, *queue, *wait;
    double throughput; /* median */
    double p99;
};

static const struct cellspec cells[] = {
    {"unicast", "ring", "spin", 2.0e7, 400},
    {"diamond", "ring", "yield", 8.0e6, 1500},
    {"unicast", "mutex-array", "block", 1.5e6, 9000},
};
#define NCELLS (sizeof cells / sizeof cells[0])

/* A results directory with `reps` ok reps per cell; cell `which` (or -1: none) gets its
 * throughput and p99 multiplied by tp_factor and p99_factor. Noise: uniform +-2%. */
static void make_dir(char *dir, size_t len, const char *name, int reps, int which, double tp_factor,
                     double p99_factor, uint64_t *rs)
{
    snprintf(dir, len, "%s/%s", base, name);
    assert_int_equal(qtp_results_create(dir), 0);
    json_t *meta = json_pack("{s:s}", "note", "synthetic results (compare refuses a side without)");
    assert_int_equal(qtp_results_write_meta(dir, meta), 0);
    json_decref(meta);
    static struct qtp_rep_record rows[32];
    for (size_t c = 0; c < NCELLS; c++) {
        for (int i = 0; i < reps; i++) {
            struct qtp_rep_record *r = &rows[i];
            memset(r, 0, sizeof *r);
            strcpy(r->topology, cells[c].topology);
            strcpy(r->queue, cells[c].queue);
            strcpy(r->wait, cells[c].wait);
            strcpy(r->placement, "os");
            strcpy(r->memory, "local");
            r->params = (struct qtp_cell_params){.events = 200000, .ring_size = 1024, .batch = 1};
            qtp_cell_id(r->cell, sizeof r->cell, r->topology, r->queue, r->wait, r->placement,
                        r->memory, &r->params);
            r->rep = i;
            r->status = QTP_STATUS_OK;
            r->verified = true;
            double tf = (int)c == which ? tp_factor : 1.0, pf = (int)c == which ? p99_factor : 1.0;
            r->throughput_eps = cells[c].throughput * tf * (0.98 + 0.04 * test_uniform(rs));
            r->latency_ns.count = 200000;
            r->latency_ns.p50 = 100;
            r->latency_ns.p99 = (uint64_t)(cells[c].p99 * pf * (0.98 + 0.04 * test_uniform(rs)));
            r->latency_ns.max = 100000;
        }
        assert_int_equal(qtp_results_append(dir, rows, (size_t)reps), 0);
    }
}

/* "<name>-base" with reps ok reps per cell, "<name>-new" with the diamond's throughput 30% lower,
 * and the path "<name>.json" for the comparison. */
static void make_pair(const char *name, int reps, uint64_t *rs, char a[300], char b[300],
                      char js[300])
{
    char n[64];
    snprintf(n, sizeof n, "%s-base", name);
    make_dir(a, 300, n, reps, -1, 1, 1, rs);
    snprintf(n, sizeof n, "%s-new", name);
    make_dir(b, 300, n, reps, 1, 0.7, 1, rs);
    snprintf(js, 300, "%s/%s.json", base, name);
}

/* Run qtopo compare with args, capturing stdout and stderr into out/err (static buffers). */
static char out_text[65536], err_text[8192];

static void capture(int fd, char *buf, size_t len)
{
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = 0;
    close(fd);
}

static int run_compare(int argc, const char **args)
{
    char *argv[16];
    argv[0] = "compare";
    for (int i = 0; i < argc; i++)
        argv[i + 1] = (char *)args[i];
    argv[argc + 1] = NULL;
    char po[300], pe[300];
    snprintf(po, sizeof po, "%s/stdout-XXXXXX", base);
    snprintf(pe, sizeof pe, "%s/stderr-XXXXXX", base);
    int fo = mkstemp(po), fe = mkstemp(pe);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    dup2(fo, 1);
    dup2(fe, 2);
    int rc = qtp_compare_main(argc + 1, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    capture(fo, out_text, sizeof out_text);
    capture(fe, err_text, sizeof err_text);
    unlink(po);
    unlink(pe);
    fprintf(stderr, "exit %d\n--- stdout\n%s--- stderr\n%s", rc, out_text, err_text);
    return rc;
}

/* The verdict column of the table row for (cell prefix, metric). */
static const char *verdict_of(const char *cell_prefix, const char *metric)
{
    static char v[64];
    for (char *line = out_text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char cell[256], m[32];
        if (sscanf(line, "%255s %31s", cell, m) != 2)
            continue;
        if (strncmp(cell, cell_prefix, strlen(cell_prefix)) == 0 && strcmp(m, metric) == 0) {
            const char *end = strchr(line, '\n');
            const char *p = end;
            while (p > line && p[-1] != ' ')
                p--;
            snprintf(v, sizeof v, "%.*s", (int)(end - p), p);
            return v;
        }
    }
    return "(no row)";
}

static void test_aa(void **state)
{
    (void)state;
    uint64_t rs = seed;
    char a[300], b[300];
    make_dir(a, sizeof a, "aa-base", 8, -1, 1, 1, &rs);
    make_dir(b, sizeof b, "aa-new", 8, -1, 1, 1, &rs);
    const char *args[] = {a, b};
    assert_int_equal(run_compare(2, args), 0);
    assert_string_equal(verdict_of("unicast.ring", "throughput"), "unchanged");
    assert_string_equal(verdict_of("diamond.ring", "p99"), "unchanged");
    assert_non_null(strstr(out_text, "0 regressed, 0 improved, 6 unchanged, 0 not comparable"));
    /* The very same directory on both sides. */
    const char *same[] = {a, a, "--metric", "throughput,p50,p99,max,alloc"};
    assert_int_equal(run_compare(4, same), 0);
    assert_non_null(strstr(out_text, "0 regressed"));
}

static void test_throughput_drop(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 1;
    char a[300], b[300], js[300], md[300];
    make_dir(a, sizeof a, "drop-base", 8, -1, 1, 1, &rs);
    make_dir(b, sizeof b, "drop-new", 8, 1, 0.7, 1, &rs);
    snprintf(js, sizeof js, "%s/drop.json", base);
    snprintf(md, sizeof md, "%s/drop.md", base);
    const char *args[] = {a, b, "--json", js, "--markdown", md};
    assert_int_equal(run_compare(6, args), 1);
    assert_string_equal(verdict_of("diamond.ring.yield", "throughput"), "REGRESSED");
    assert_string_equal(verdict_of("diamond.ring.yield", "p99"), "unchanged");
    assert_string_equal(verdict_of("unicast.ring", "throughput"), "unchanged");
    assert_string_equal(verdict_of("unicast.mutex-array", "throughput"), "unchanged");
    assert_non_null(strstr(out_text, "1 regressed, 0 improved, 5 unchanged"));

    json_error_t je;
    json_t *j = json_load_file(js, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "exit")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "summary"), "regressed")), 1);
    size_t i;
    json_t *row;
    int seen = 0;
    json_array_foreach(json_object_get(j, "rows"), i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "verdict")), "regressed") != 0)
            continue;
        seen++;
        double ratio = json_real_value(json_object_get(row, "ratio"));
        double lo = json_real_value(json_object_get(row, "ratio_lo"));
        double hi = json_real_value(json_object_get(row, "ratio_hi"));
        double p = json_real_value(json_object_get(row, "p"));
        assert_true(ratio > 0.66 && ratio < 0.74 && lo <= ratio && ratio <= hi && hi < 0.8);
        assert_true(p < 0.001); /* 8 vs 8 completely separated: exact p = 2/C(16,8) */
        assert_true(json_is_true(json_object_get(row, "exact")));
        assert_string_equal(json_string_value(json_object_get(row, "metric")), "throughput");
    }
    assert_int_equal(seen, 1);
    json_decref(j);
    FILE *f = fopen(md, "r");
    assert_non_null(f);
    char line[1024];
    int regressed_rows = 0;
    while (fgets(line, sizeof line, f))
        regressed_rows += strstr(line, "| **regressed** | `diamond.ring.yield") != NULL;
    fclose(f);
    assert_int_equal(regressed_rows, 1);

    /* A threshold above the drop turns it into "unchanged". */
    const char *loose[] = {a, b, "--threshold", "40"};
    assert_int_equal(run_compare(4, loose), 0);
}

static void test_latency_and_improvement(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 2;
    char a[300], b[300], c[300];
    make_dir(a, sizeof a, "lat-base", 6, -1, 1, 1, &rs);
    make_dir(b, sizeof b, "lat-new", 6, 0, 1, 1.5, &rs);
    const char *args[] = {a, b};
    assert_int_equal(run_compare(2, args), 1);
    assert_string_equal(verdict_of("unicast.ring", "p99"), "REGRESSED");
    assert_string_equal(verdict_of("unicast.ring", "throughput"), "unchanged");
    const char *tp_only[] = {a, b, "--metric=throughput"};
    assert_int_equal(run_compare(3, tp_only), 0);

    make_dir(c, sizeof c, "faster", 6, 2, 1.3, 1, &rs);
    const char *faster[] = {a, c};
    assert_int_equal(run_compare(2, faster), 0);
    assert_string_equal(verdict_of("unicast.mutex-array", "throughput"), "improved");
}

static void test_too_few_reps(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 3;
    char a[300], b[300], js[300];
    make_pair("few", 2, &rs, a, b, js);
    const char *args[] = {a, b, "--json", js};
    assert_int_equal(run_compare(4, args), 2);
    assert_non_null(strstr(err_text, "too few reps to test"));
    assert_non_null(strstr(err_text, "has 2 ok reps in BASE and 2 in NEW"));
    assert_non_null(strstr(err_text, "needs at least 4 ok reps per side"));
    assert_int_equal(access(js, F_OK), -1); /* nothing half-written */
    /* A stricter alpha needs more. */
    const char *strict[] = {a, b, "--alpha", "0.01"};
    assert_int_equal(run_compare(4, strict), 2);
    assert_non_null(strstr(err_text, "needs at least 5 ok reps per side"));
}

/* --fwer F: each of the cells x metrics tests runs at F / tests, and the JSON says so. */
static void test_fwer(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 5;
    char a[300], b[300], js[300];
    make_pair("fwer", 8, &rs, a, b, js);
    const char *args[] = {a, b, "--fwer", "0.05", "--json", js};
    assert_int_equal(run_compare(6, args), 1); /* 8 vs 8 apart: p = 1.6e-4 < 0.05 / 6 */
    assert_string_equal(verdict_of("diamond.ring.yield", "throughput"), "REGRESSED");
    assert_non_null(
        strstr(out_text, "alpha 0.00833333 (family-wise 0.05 over 6 tests, Bonferroni)"));
    json_error_t je;
    json_t *j = json_load_file(js, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "tests")), 6);
    assert_true(json_real_value(json_object_get(j, "fwer")) == 0.05);
    assert_true(fabs(json_real_value(json_object_get(j, "alpha")) - 0.05 / 6) < 1e-15);
    /* Each cell's summary rides along: the medians ci-regress keeps in its history. */
    json_t *summaries = json_object_get(j, "cells");
    assert_int_equal(json_array_size(summaries), 3);
    json_t *c1 = json_array_get(summaries, 1);
    assert_non_null(strstr(json_string_value(json_object_get(c1, "cell")), "diamond.ring.yield"));
    json_t *tp =
        json_object_get(json_object_get(json_object_get(c1, "new"), "metrics"), "throughput");
    assert_int_equal(json_integer_value(json_object_get(tp, "n")), 8);
    double med = json_real_value(json_object_get(tp, "median"));
    assert_true(med > 0.7 * 8.0e6 * 0.97 && med < 0.7 * 8.0e6 * 1.03);
    json_decref(j);

    const char *both[] = {a, b, "--fwer", "0.05", "--alpha", "0.01"};
    assert_int_equal(run_compare(6, both), 2);
    assert_non_null(strstr(err_text, "--alpha and --fwer go separately"));
    const char *bad[] = {a, b, "--fwer", "0.9"};
    assert_int_equal(run_compare(4, bad), 2);
    assert_non_null(strstr(err_text, "bad --fwer '0.9'"));
}

static void test_bad_input(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 4;
    char a[300], b[300], missing[300], other[300], p[400];
    make_dir(a, sizeof a, "bad-base", 4, -1, 1, 1, &rs);
    make_dir(b, sizeof b, "bad-new", 4, -1, 1, 1, &rs);
    snprintf(missing, sizeof missing, "%s/does-not-exist", base);

    const char *m1[] = {missing, b};
    assert_int_equal(run_compare(2, m1), 2);
    assert_non_null(strstr(err_text, "BASE: "));
    assert_non_null(strstr(err_text, "no such directory"));

    const char *m2[] = {a};
    assert_int_equal(run_compare(1, m2), 2);
    const char *m3[] = {a, b, "--metric", "p95"};
    assert_int_equal(run_compare(4, m3), 2);
    assert_non_null(strstr(err_text, "unknown metric 'p95' (accepted: throughput, mean, p50"));
    const char *m4[] = {a, b, "--alpha", "2"};
    assert_int_equal(run_compare(4, m4), 2);
    const char *m5[] = {a, b, "--threshold"};
    assert_int_equal(run_compare(3, m5), 2);
    assert_non_null(strstr(err_text, "--threshold needs a value"));
    const char *m6[] = {a, b, "--frobnicate"};
    assert_int_equal(run_compare(3, m6), 2);
    const char *help[] = {"--help"};
    assert_int_equal(run_compare(1, help), 0);
    assert_non_null(strstr(out_text, "usage: qtopo compare BASE NEW"));

    /* Damaged NEW: a line in the middle. */
    snprintf(p, sizeof p, "%s/results.jsonl", b);
    FILE *f = fopen(p, "r+");
    assert_non_null(f);
    char line[16384];
    assert_non_null(fgets(line, sizeof line, f));
    fseek(f, (long)strlen(line) + 1, SEEK_SET); /* 2nd character of line 2 */
    fputc('@', f);
    fclose(f);
    const char *d[] = {a, b};
    assert_int_equal(run_compare(2, d), 2);
    assert_non_null(strstr(err_text, "NEW "));
    assert_non_null(strstr(err_text, "damaged results: results.jsonl line 2: "));

    /* No cell in common. */
    make_dir(other, sizeof other, "other", 4, -1, 1, 1, &rs);
    snprintf(p, sizeof p, "%s/results.jsonl", other);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "sed -i 's/n200K/n300K/g' '%s'", p);
    assert_int_equal(system(cmd), 0);
    const char *disjoint[] = {a, other};
    assert_int_equal(run_compare(2, disjoint), 2);
    assert_non_null(strstr(err_text, "no matching cells"));

    /* A cut-short last line is only a warning. */
    f = fopen(p, "a");
    fputs("{\"cell\":", f);
    fclose(f);
    const char *cut[] = {other, other};
    assert_int_equal(run_compare(2, cut), 0);
    assert_non_null(strstr(err_text, "line 13 is cut short"));
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(base, sizeof base, "%s/qtp-compare-test-XXXXXX", tmp);
    return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return getenv("QTOPO_KEEP") || system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    seed = test_seed(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aa),
        cmocka_unit_test(test_throughput_drop),
        cmocka_unit_test(test_latency_and_improvement),
        cmocka_unit_test(test_too_few_reps),
        cmocka_unit_test(test_fwer),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
