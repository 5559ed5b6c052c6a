/* report_diagram: the report's diagram of each topology that ran, drawn by a real Graphviz dot.
 * With dot in PATH: every topology of the fixture has its section, its DOT and a well-formed SVG
 * with both wirings (ring and per-edge) in it; a run of a topology expression gets the
 * expression's diagram too. With dot hidden from PATH (a PATH holding gnuplot alone): the page
 * says the diagrams were left out, no SVG is written, the DOT files still are, and the report
 * still succeeds. Exits 77 without gnuplot or without dot.
 * Usage: test_report_diagram DRIVER FIXTURE_DIR QTOPO */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "report_test_util.h"

static const char *driver, *fixture, *qtopo;

/* Report dir into tmp/report with PATH env_path (NULL: ours); the page, malloc'd. */
static char *report(const char *tmp, const char *dir, const char *env_path, char **out)
{
    *out = rt_join(tmp, "report");
    char *argv[] = {(char *)driver, (char *)dir, "-o", *out, NULL};
    struct rt_result r = rt_run(argv, NULL, env_path, 300);
    if (r.status != 0)
        fail_msg("report of %s failed (%d): %s", dir, r.status, r.err);
    rt_result_free(&r);
    char *index = rt_join(*out, "index.html");
    char *html = rt_slurp(index, NULL);
    free(index);
    assert_non_null(html);
    return html;
}

/* Diagram n (from 1) exists as DOT; as a drawn SVG with both clusters when drawn. */
static void check_diagram(const char *out, size_t n, bool drawn)
{
    char name[64];
    snprintf(name, sizeof name, "topology-%zu.dot", n);
    char *dot = rt_join(out, name);
    if (!rt_exists(dot))
        fail_msg("%s missing", dot);
    free(dot);
    snprintf(name, sizeof name, "topology-%zu.svg", n);
    char *svg_path = rt_join(out, name);
    char *svg = rt_slurp(svg_path, NULL);
    if (!drawn) {
        if (svg)
            fail_msg("%s drawn without dot", svg_path);
        free(svg_path);
        return;
    }
    if (!svg)
        fail_msg("%s missing", svg_path);
    assert_non_null(strstr(svg, "<svg"));
    assert_int_equal(rt_count(svg, "<title>cluster_ring</title>"), 1);
    assert_int_equal(rt_count(svg, "<title>cluster_edges</title>"), 1);
    if (rt_in_path("xmllint")) {
        char *argv[] = {"xmllint", "--noout", svg_path, NULL};
        struct rt_result r = rt_run(argv, NULL, NULL, 60);
        if (r.status != 0)
            fail_msg("%s is not well-formed XML: %s", svg_path, r.err);
        rt_result_free(&r);
    }
    free(svg);
    free(svg_path);
}

/* The fixture's topologies, one diagram per shape it ran (fanout and shard sweep theirs). */
static const char *const fixture_headings[] = {
    "<h3>unicast</h3>", "<h3>fanout (N=3)</h3>", "<h3>fanout (N=6)</h3>",
    "<h3>diamond</h3>", "<h3>shard (N=2)</h3>",  "<h3>shard (N=4)</h3>",
};
#define NFIXTURE (sizeof fixture_headings / sizeof *fixture_headings)

static size_t sections(const char *html)
{
    return rt_count(html, "id=\"topology-");
}

static void test_drawn(void **state)
{
    (void)state;
    char *tmp = rt_mkdtemp("report-diagram"), *out;
    char *html = report(tmp, fixture, NULL, &out);
    assert_non_null(strstr(html, "<h2 id=\"topologies\">"));
    assert_null(strstr(html, "Diagrams left out"));
    assert_int_equal(sections(html), NFIXTURE);
    for (size_t i = 0; i < NFIXTURE; i++) {
        const char *at = strstr(html, fixture_headings[i]);
        if (!at)
            fail_msg("no diagram headed %s", fixture_headings[i]);
        char img[64];
        snprintf(img, sizeof img, "<img src=\"topology-%zu.svg\"", i + 1);
        assert_non_null(strstr(at, img));
        check_diagram(out, i + 1, true);
    }
    free(html);
    free(out);
    rt_rm_rf(tmp);
    free(tmp);
}

static void test_left_out_without_dot(void **state)
{
    (void)state;
    char *tmp = rt_mkdtemp("report-nodot"), *out;
    /* A PATH with gnuplot and nothing else: dot is not found. */
    char *bin = rt_join(tmp, "bin");
    assert_int_equal(mkdir(bin, 0755), 0);
    char *link = rt_join(bin, "gnuplot");
    assert_int_equal(symlink("/usr/bin/gnuplot", link), 0);
    char *html = report(tmp, fixture, bin, &out);
    assert_non_null(strstr(html, "Diagrams left out: Graphviz dot is not in PATH"));
    assert_int_equal(sections(html), NFIXTURE);
    for (size_t i = 1; i <= NFIXTURE; i++)
        check_diagram(out, i, false);
    assert_null(strstr(html, "<img src=\"topology-"));
    free(html);
    free(out);
    free(link);
    free(bin);
    rt_rm_rf(tmp);
    free(tmp);
}

/* A run of an expression: its cells' topology is the canonical expression, and its diagram is
 * on the page under it. */
static void test_expression_run(void **state)
{
    (void)state;
    char *tmp = rt_mkdtemp("report-expr"), *out;
    char *dir = rt_join(tmp, "run");
    const char *expr = "seq(stage, fanout(seq(stage, stage), shard(stage, 2)))";
    char *argv[] = {(char *)qtopo, "run",
                    "-t",          "unicast,seq(stage,fanout(seq(stage,stage),shard(stage,2)))",
                    "-q",          "ring,mutex-array,mutex-linked",
                    "-w",          "block",
                    "-p",          "os",
                    "-n",          "2K",
                    "-r",          "3",
                    "-o",          dir,
                    NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 120);
    if (r.status != 0)
        fail_msg("qtopo run failed (%d): %s", r.status, r.err);
    rt_result_free(&r);
    char *html = report(tmp, dir, NULL, &out);
    char heading[128];
    snprintf(heading, sizeof heading, "<h3>%s</h3>", expr);
    const char *at = strstr(html, heading);
    if (!at)
        fail_msg("no diagram headed %s", expr);
    assert_int_equal(sections(html), 2);
    const char *img = strstr(at, "<img src=\"topology-2.svg\"");
    assert_non_null(img);
    check_diagram(out, 1, true);
    check_diagram(out, 2, true);
    free(html);
    free(out);
    free(dir);
    rt_rm_rf(tmp);
    free(tmp);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s DRIVER FIXTURE_DIR QTOPO\n", argv[0]);
        return 2;
    }
    driver = argv[1];
    fixture = argv[2];
    qtopo = argv[3];
    if (!rt_in_path("gnuplot") || access("/usr/bin/gnuplot", X_OK) != 0) {
        printf("# gnuplot is not installed (Debian package gnuplot-nox): skipped\n");
        return 77;
    }
    if (!rt_in_path("dot")) {
        printf("# Graphviz dot is not installed (Debian package graphviz): skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drawn),
        cmocka_unit_test(test_left_out_without_dot),
        cmocka_unit_test(test_expression_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
