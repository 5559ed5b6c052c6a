/* report_bad_input: a missing, damaged or empty results directory, bad arguments, an OUT that
 * is not a report and a machine without gnuplot each get one clear line on stderr, exit status 2
 * and nothing written: no report directory, no temporary directory.
 * Usage: test_report_bad_input DRIVER FIXTURE_DIR */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report_test_util.h"

static const char *driver, *fixture;

/* A fresh copy of the fixture in a new temporary directory: returns the copy's path; *parent
 * gets the temporary directory. */
static char *fixture_copy(char **parent)
{
    *parent = rt_mkdtemp("report-bad");
    assert_non_null(*parent);
    char *dir = rt_join(*parent, "results");
    assert_int_equal(rt_copy_tree(fixture, dir), 0);
    /* A stale report from the fixture's own directory must not come along. */
    char *rep = rt_join(dir, "report");
    rt_rm_rf(rep);
    free(rep);
    return dir;
}

/* Run the report on dir (default OUT: dir/report); expect status 2, a one-line message holding
 * `expect`, and dir left with exactly its `entries` names. */
static void expect_refused(const char *dir, const char *expect, const char *entries,
                           const char *env_path)
{
    char before[8192] = "";
    rt_dir_entries(dir, before, sizeof before);
    char *argv[] = {(char *)driver, (char *)dir, NULL};
    struct rt_result r = rt_run(argv, NULL, env_path, 120);
    if (r.status != 2)
        fail_msg("status %d (want 2); stderr: %s", r.status, r.err);
    if (!strstr(r.err, expect))
        fail_msg("stderr does not say '%s': %s", expect, r.err);
    assert_true(!strncmp(r.err, "qtopo report: ", 14));
    /* One line. */
    const char *nl = strchr(r.err, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');
    assert_string_equal(r.out, "");
    rt_result_free(&r);
    char after[8192] = "";
    rt_dir_entries(dir, after, sizeof after);
    assert_string_equal(after, entries ? entries : before);
    assert_null(strstr(after, "report"));
}

static void test_missing_dir(void **state)
{
    (void)state;
    char *parent = rt_mkdtemp("report-bad");
    char *dir = rt_join(parent, "no-such-run");
    char *argv[] = {(char *)driver, dir, NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 60);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no-such-run"));
    rt_result_free(&r);
    assert_int_equal(rt_dir_entries(parent, NULL, 0), 0);
    rt_rm_rf(parent);
    free(dir);
    free(parent);
}

static void test_empty_dir(void **state)
{
    (void)state;
    char *parent = rt_mkdtemp("report-bad");
    expect_refused(parent, "meta.json: missing", "", NULL);
    rt_rm_rf(parent);
    free(parent);
}

static void test_meta_not_json(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    char *meta = rt_join(dir, "meta.json");
    assert_int_equal(rt_write_file(meta, "{\"machine\": {\"cpu_model\": \"x\",\n  oops}\n"), 0);
    expect_refused(dir, "meta.json line 2", NULL, NULL);
    rt_rm_rf(parent);
    free(meta);
    free(dir);
    free(parent);
}

static void test_rows_missing(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    char *rows = rt_join(dir, "results.jsonl");
    remove(rows);
    expect_refused(dir, "results.jsonl: missing", NULL, NULL);
    rt_rm_rf(parent);
    free(rows);
    free(dir);
    free(parent);
}

static void test_rows_empty(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    char *rows = rt_join(dir, "results.jsonl");
    assert_int_equal(rt_write_file(rows, "\n\n"), 0);
    expect_refused(dir, "no rows", NULL, NULL);
    rt_rm_rf(parent);
    free(rows);
    free(dir);
    free(parent);
}

/* Replace line `lineno` (1-based) of dir/results.jsonl with `text`. */
static void replace_row(const char *dir, int lineno, const char *text)
{
    char *rows = rt_join(dir, "results.jsonl");
    char *old = rt_slurp(rows, NULL);
    assert_non_null(old);
    FILE *f = fopen(rows, "w");
    assert_non_null(f);
    int n = 0;
    for (char *save = NULL, *l = strtok_r(old, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        fprintf(f, "%s\n", ++n == lineno ? text : l);
    fclose(f);
    free(old);
    free(rows);
}

static void test_row_not_json(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    replace_row(dir, 3, "{\"cell\": \"x\", \"status\": ");
    expect_refused(dir, "results.jsonl line 3: column", NULL, NULL);
    rt_rm_rf(parent);
    free(dir);
    free(parent);
}

static void test_row_without_cell(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    replace_row(dir, 2, "{\"topology\": \"unicast\", \"queue\": \"ring\", \"status\": \"ok\"}");
    expect_refused(dir, "results.jsonl line 2: field 'cell'", NULL, NULL);
    rt_rm_rf(parent);
    free(dir);
    free(parent);
}

/* Line `lineno` of dir/results.jsonl with its first `from` replaced by `to`. */
static void edit_row(const char *dir, int lineno, const char *from, const char *to)
{
    char *rows = rt_join(dir, "results.jsonl");
    char *old = rt_slurp(rows, NULL);
    assert_non_null(old);
    int n = 0;
    char line[1 << 16] = "";
    for (char *save = NULL, *l = strtok_r(old, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (++n == lineno)
            snprintf(line, sizeof line, "%s", l);
    free(old);
    char *at = strstr(line, from);
    assert_non_null(at);
    char edited[(1 << 16) + 256];
    snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - line), line, to, at + strlen(from));
    free(rows);
    replace_row(dir, lineno, edited);
}

static void test_row_bad_status(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    edit_row(dir, 1, "\"status\":\"", "\"status\":\"fine-");
    expect_refused(dir, "results.jsonl line 1:", NULL, NULL);
    rt_rm_rf(parent);
    free(dir);
    free(parent);
}

static void test_damaged_hgrm(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    char *hist = rt_join(dir, "hist");
    char names[16384];
    if (rt_dir_entries(hist, names, sizeof names) <= 0) {
        rt_rm_rf(parent);
        skip(); /* a fixture without histograms */
    }
    /* Damage every histogram: whichever the latency chart reads first is refused. */
    for (char *save = NULL, *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
        char *p = rt_join(hist, n);
        assert_int_equal(rt_write_file(p, "       Value     Percentile TotalCount 1/(1-Percentile)"
                                          "\n\n       1.000 zero 5 1.00\n"),
                         0);
        free(p);
    }
    expect_refused(dir, ".hgrm line 3", NULL, NULL);
    rt_rm_rf(parent);
    free(hist);
    free(dir);
    free(parent);
}

static void test_no_gnuplot(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    /* PATH holds a directory without gnuplot; the driver is started by its full path. */
    char *empty = rt_join(parent, "bin");
    char *argv[] = {"mkdir", empty, NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 30);
    rt_result_free(&r);
    expect_refused(dir, "gnuplot-nox", NULL, empty);
    rt_rm_rf(parent);
    free(empty);
    free(dir);
    free(parent);
}

static void test_out_not_a_report(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    char *other = rt_join(parent, "precious");
    char *argv_mk[] = {"mkdir", other, NULL};
    struct rt_result r = rt_run(argv_mk, NULL, NULL, 30);
    rt_result_free(&r);
    char *keep = rt_join(other, "keep.txt");
    assert_int_equal(rt_write_file(keep, "mine"), 0);
    char *argv[] = {(char *)driver, dir, "-o", other, NULL};
    r = rt_run(argv, NULL, NULL, 60);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "is not a qtopo report"));
    rt_result_free(&r);
    char names[256];
    assert_int_equal(rt_dir_entries(other, names, sizeof names), 1);
    assert_string_equal(names, "keep.txt");
    /* No temporary directory beside it. */
    assert_int_equal(rt_dir_entries(parent, names, sizeof names), 2);
    rt_rm_rf(parent);
    free(keep);
    free(other);
    free(dir);
    free(parent);
}

static void test_out_parent_missing(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    char *out = rt_join(parent, "no/such/place");
    char *argv[] = {(char *)driver, dir, "-o", out, NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 60);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "does not exist"));
    rt_result_free(&r);
    rt_rm_rf(parent);
    free(out);
    free(dir);
    free(parent);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    static const struct {
        const char *args[4];
        const char *expect;
    } cases[] = {
        {{NULL}, "missing the results directory"},
        {{"--frobnicate", NULL}, "unknown option '--frobnicate'"},
        {{"a", "b", NULL}, "one results directory expected"},
        {{"a", "-o", NULL}, "-o needs a directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *argv[6] = {(char *)driver};
        for (size_t k = 0; k < 4 && cases[i].args[k]; k++)
            argv[k + 1] = (char *)cases[i].args[k];
        struct rt_result r = rt_run(argv, NULL, NULL, 30);
        assert_int_equal(r.status, 2);
        if (!strstr(r.err, cases[i].expect))
            fail_msg("case %zu: stderr does not say '%s': %s", i, cases[i].expect, r.err);
        rt_result_free(&r);
    }
    char *argv[] = {(char *)driver, "--help", NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 30);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: qtopo report DIR"));
    rt_result_free(&r);
}

/* A crash while appending leaves an unterminated last line: that is not damage; the report is
 * written from the complete rows and says what it left out. */
static void test_unterminated_last_line_is_noted(void **state)
{
    (void)state;
    char *parent, *dir = fixture_copy(&parent);
    char *rows = rt_join(dir, "results.jsonl");
    FILE *f = fopen(rows, "a");
    assert_non_null(f);
    fputs("{\"cell\":\"unicast.ring.spin.os", f);
    fclose(f);
    char *out = rt_join(parent, "rep");
    char *argv[] = {(char *)driver, dir, "-o", out, NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 300);
    if (r.status != 0)
        fail_msg("status %d: %s", r.status, r.err);
    rt_result_free(&r);
    char *index = rt_join(out, "index.html");
    char *page = rt_slurp(index, NULL);
    assert_non_null(page);
    assert_non_null(strstr(page, "unterminated"));
    free(page);
    free(index);
    rt_rm_rf(parent);
    free(out);
    free(rows);
    free(dir);
    free(parent);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DRIVER FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    driver = argv[1];
    fixture = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_dir),
        cmocka_unit_test(test_empty_dir),
        cmocka_unit_test(test_meta_not_json),
        cmocka_unit_test(test_rows_missing),
        cmocka_unit_test(test_rows_empty),
        cmocka_unit_test(test_row_not_json),
        cmocka_unit_test(test_row_without_cell),
        cmocka_unit_test(test_row_bad_status),
        cmocka_unit_test(test_damaged_hgrm),
        cmocka_unit_test(test_no_gnuplot),
        cmocka_unit_test(test_out_not_a_report),
        cmocka_unit_test(test_out_parent_missing),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_unterminated_last_line_is_noted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
