/* report_units: the report's pieces in-process - the .hgrm reader (both column layouts), the
 * median, HTML escaping, the compiled-in templates, and the aggregation of the fixture's rows
 * into cells checked against an independent reading of results.jsonl.
 * Usage: test_report_units FIXTURE_DIR */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "commands.h"
#include "qtp_deploy.h"
#include "qtp_stats.h"
#include "report_int.h"

static const char *fixture;

/* HdrHistogram_c's hdr_percentiles_print (CLASSIC): 4 columns, "inf" on the last row. */
static const char hgrm_c[] = "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"
                             "       1.000     0.000000            1         1.00\n"
                             "      10.000     0.500000           50         2.00\n"
                             "     100.000     0.990000           99       100.00\n"
                             "    1000.000     1.000000          100          inf\n"
                             "#[Mean    =       25.000, StdDeviation   =       10.000]\n"
                             "#[Max     =     1000.000, Total count    =          100]\n"
                             "#[Buckets =           32, SubBuckets     =         2048]\n";
/* Java's outputPercentileDistribution (and qtp_hist_write_hgrm): no 4th column at 100%. */
static const char hgrm_java[] = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
                                "       2.000 0.000000000000          1           1.00\n"
                                "       4.000 0.900000000000         90          10.00\n"
                                "       8.000 1.000000000000        100\n"
                                "#[Mean    =        3.000, StdDeviation   =        1.000]\n";

static void test_hgrm_c_layout(void **state)
{
    (void)state;
    struct qtp_rpt_hpoint *p;
    size_t n;
    char err[256];
    assert_int_equal(qtp_rpt_parse_hgrm(hgrm_c, "c.hgrm", &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 3); /* the 100% row is not on a 1/(1-p) axis */
    assert_true(p[1].value == 10.0 && p[1].percentile == 0.5);
    assert_true(p[2].value == 100.0 && p[2].percentile == 0.99);
    free(p);
}

static void test_hgrm_java_layout(void **state)
{
    (void)state;
    struct qtp_rpt_hpoint *p;
    size_t n;
    char err[256];
    assert_int_equal(qtp_rpt_parse_hgrm(hgrm_java, "j.hgrm", &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_true(p[1].value == 4.0 && p[1].percentile == 0.9);
    free(p);
}

static void test_hgrm_damaged(void **state)
{
    (void)state;
    struct qtp_rpt_hpoint *p = NULL;
    size_t n = 0;
    char err[256];
    /* An empty histogram (header and footer only) is not damage: no rows. */
    assert_int_equal(
        qtp_rpt_parse_hgrm("       Value     Percentile TotalCount 1/(1-Percentile)\n"
                           "\n#[Mean    =        0.000, StdDeviation   =        0.000]\n",
                           "e.hgrm", &p, &n, err, sizeof err),
        0);
    assert_int_equal(n, 0);
    free(p);
    assert_int_equal(qtp_rpt_parse_hgrm("Value Percentile\n\n1.0 0.5 3 2.0\nbanana\n", "b.hgrm", &p,
                                        &n, err, sizeof err),
                     EINVAL);
    assert_non_null(strstr(err, "b.hgrm line 4"));
    /* A percentile is a fraction. */
    assert_int_equal(qtp_rpt_parse_hgrm("1.0 50 3 2.0\n", "p.hgrm", &p, &n, err, sizeof err),
                     EINVAL);
    assert_non_null(strstr(err, "p.hgrm line 1"));
}

static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    qtp_rpt_html_escape(f, s);
    fclose(f);
    return buf;
}

static void test_html_escape(void **state)
{
    (void)state;
    char *e = escaped("<a href=\"x\">&'</a>");
    assert_string_equal(e, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    free(e);
    /* Valid UTF-8 stays, invalid bytes and control characters do not break the page. */
    e = escaped("µs ÷ \xff\x01ok\xc3");
    assert_string_equal(e, "µs ÷ \xEF\xBF\xBDok\xEF\xBF\xBD");
    free(e);
    e = escaped("\xed\xa0\x80"); /* a UTF-16 surrogate encoded in UTF-8 is not text */
    assert_null(strstr(e, "\xed"));
    free(e);
}

static void test_templates_compiled_in(void **state)
{
    (void)state;
    static const char *const names[] = {"common",    "throughput", "speedup", "latency",
                                        "placement", "alloc",      "scaling"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *t = qtp_rpt_template(names[i]);
        assert_non_null(t);
        assert_true(strlen(t) > 200);
    }
    /* Every chart template draws both outputs through common.gp's qtp_output. */
    for (size_t i = 1; i < sizeof names / sizeof *names; i++)
        assert_non_null(strstr(qtp_rpt_template(names[i]), "eval qtp_output(qtp_i)"));
    assert_null(qtp_rpt_template("nope"));
}

/* The cells and their medians, recomputed here from results.jsonl with jansson. */
static void test_fixture_aggregation(void **state)
{
    (void)state;
    struct qtp_rpt r;
    char err[QTP_RPT_ERR];
    json_t *registries = qtp_registries_json(); /* the fixture predates them in meta.json */
    int rc = qtp_rpt_load(&r, fixture, registries, err, sizeof err);
    if (rc)
        fail_msg("load: %s", err);
    assert_true(r.nrows > 0 && r.ncells > 0);

    char path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", fixture);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    json_t *rows = json_array();
    char line[1 << 16];
    while (fgets(line, sizeof line, f))
        json_array_append_new(rows, json_loads(line, 0, NULL));
    fclose(f);
    assert_int_equal(json_array_size(rows), r.nrows);

    size_t ncells = 0;
    for (size_t c = 0; c < r.ncells; c++) {
        const struct qtp_rpt_cell *cell = &r.cells[c];
        double tp[256];
        size_t n = 0, reps = 0;
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row)
        {
            if (strcmp(json_string_value(json_object_get(row, "cell")), cell->first->cell))
                continue;
            reps++;
            if (!strcmp(json_string_value(json_object_get(row, "status")), "ok") && n < 256)
                tp[n++] = json_number_value(json_object_get(row, "throughput_eps"));
        }
        assert_int_equal(reps, cell->s->reps);
        assert_int_equal(n, cell->s->ok);
        if (n) {
            double lo = tp[0], hi = tp[0];
            for (size_t k = 1; k < n; k++) {
                lo = tp[k] < lo ? tp[k] : lo;
                hi = tp[k] > hi ? tp[k] : hi;
            }
            const struct qtp_stat *st = &cell->s->stat[QTP_METRIC_THROUGHPUT];
            double med = qtp_stats_median(tp, n);
            assert_true(fabs(med - st->median) <= 1e-9 * med);
            assert_true(lo == st->min && hi == st->max);
            assert_true(st->min <= st->median && st->median <= st->max);
        }
        /* Variant names: queue/wait where the wait axis applies, the queue alone elsewhere. */
        const char *v = r.variants[cell->variant];
        const struct qtp_queue_kind *k = qtp_queue_kind_find(cell->first->queue);
        assert_non_null(k);
        if (!k->uses_wait)
            assert_string_equal(v, cell->first->queue);
        else
            assert_true(!strncmp(v, cell->first->queue, strlen(cell->first->queue)));
        /* Its family is the kind's, by the registries. */
        assert_true(r.variant_family[cell->variant] == (int)k->family);
        ncells++;
    }
    /* Every distinct cell id once. */
    for (size_t a = 0; a < r.ncells; a++)
        for (size_t b = a + 1; b < r.ncells; b++)
            assert_true(strcmp(r.cells[a].first->cell, r.cells[b].first->cell));
    /* The registries' order: the shared ring's variants before those with a queue per edge. */
    for (size_t a = 0; a + 1 < r.nvariants; a++)
        assert_false(r.variant_family[a] == QTP_FAMILY_MUTEX &&
                     r.variant_family[a + 1] == QTP_FAMILY_RING);
    printf("# %zu rows, %zu cells, %zu variants, %zu topologies, %zu placements\n", r.nrows, ncells,
           r.nvariants, r.ntopologies, r.nplacements);
    json_decref(rows);
    qtp_rpt_free(&r);
    json_decref(registries);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    fixture = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hgrm_c_layout),         cmocka_unit_test(test_hgrm_java_layout),
        cmocka_unit_test(test_hgrm_damaged),          cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_templates_compiled_in), cmocka_unit_test(test_fixture_aggregation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
