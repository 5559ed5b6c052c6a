/* report_render: `qtopo report` on the committed fixture (tests/fixtures/results-small): gnuplot
 * ran for every chart, every SVG is well-formed with plotted data in it, every PNG is a real
 * image, index.html is well-formed, every file it names exists, the scripts rerun by hand, every
 * skipped/failed reason is on the page, and data from the results is escaped.
 *
 * Data-driven: what the page must show is read from the fixture, so the fixture can be replaced
 * by a real run. Usage: test_report_render DRIVER FIXTURE_DIR */
#include <jansson.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "report_test_util.h"

static const char *const chart_names[] = {"throughput", "speedup", "latency",
                                          "placement",  "alloc",   "scaling"};
#define NCHARTS (sizeof chart_names / sizeof *chart_names)

static const char *driver, *fixture;
static char *tmp, *out, *html;
static struct rt_result first_run;

static char *path2(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 4;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s%s", dir, name, ext);
    return p;
}

static bool drawn(const char *name)
{
    char needle[128];
    snprintf(needle, sizeof needle, "<img src=\"%s.svg\"", name);
    return strstr(html, needle) != NULL;
}

/* The same escaping rules as the page. */
static char *escape(const char *s)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += 6;
    char *o = malloc(n), *q = o;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            q += sprintf(q, "&amp;");
            break;
        case '<':
            q += sprintf(q, "&lt;");
            break;
        case '>':
            q += sprintf(q, "&gt;");
            break;
        case '"':
            q += sprintf(q, "&quot;");
            break;
        case '\'':
            q += sprintf(q, "&#39;");
            break;
        default:
            *q++ = *p;
        }
    }
    *q = '\0';
    return o;
}

static int setup(void **state)
{
    (void)state;
    tmp = rt_mkdtemp("report-render");
    if (!tmp)
        return -1;
    out = rt_join(tmp, "report");
    char *argv[] = {(char *)driver, (char *)fixture, "-o", out, NULL};
    first_run = rt_run(argv, NULL, NULL, 300);
    char *index = rt_join(out, "index.html");
    html = rt_slurp(index, NULL);
    free(index);
    if (first_run.status != 0)
        fprintf(stderr, "report failed (%d): %s\n", first_run.status, first_run.err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rt_rm_rf(tmp);
    free(tmp);
    free(out);
    free(html);
    rt_result_free(&first_run);
    return 0;
}

static void test_exit_ok_prints_index(void **state)
{
    (void)state;
    assert_int_equal(first_run.status, 0);
    assert_non_null(html);
    char real[PATH_MAX], want[PATH_MAX + 16];
    assert_non_null(realpath(out, real));
    snprintf(want, sizeof want, "%s/index.html\n", real);
    assert_string_equal(first_run.out, want);
    assert_string_equal(first_run.err, "");
}

static void test_every_chart_drawn_or_explained(void **state)
{
    (void)state;
    assert_non_null(html);
    size_t ndrawn = 0;
    for (size_t i = 0; i < NCHARTS; i++) {
        char id[64];
        snprintf(id, sizeof id, "id=\"chart-%s\"", chart_names[i]);
        const char *div = strstr(html, id);
        assert_non_null(div);
        const char *next = strstr(div + 1, "<div class=\"chart");
        char *svg = path2(out, chart_names[i], ".svg");
        if (drawn(chart_names[i])) {
            ndrawn++;
            static const char *const exts[] = {".svg", ".png", ".dat", ".gp"};
            for (size_t k = 0; k < 4; k++) {
                char *p = path2(out, chart_names[i], exts[k]);
                if (!rt_exists(p))
                    fail_msg("%s is named by the page but missing", p);
                free(p);
            }
        } else {
            /* Left out with a line saying why, and nothing drawn for it. */
            const char *why = strstr(div, "Left out: ");
            assert_non_null(why);
            assert_true(!next || why < next);
            assert_false(rt_exists(svg));
        }
        free(svg);
    }
    /* The fixture has ok cells: at least the throughput chart is there. */
    assert_true(drawn("throughput"));
    printf("# %zu of %zu charts drawn\n", ndrawn, NCHARTS);
}

/* Legend titles a chart's data file declares: `# series N: "title"` / `# line N: "title"`. */
static size_t dat_titles(const char *dat, char titles[][128], size_t max)
{
    size_t n = 0;
    for (const char *p = dat; (p = strstr(p, "\n# ")) && n < max; p++) {
        const char *q = p + 3;
        if (strncmp(q, "series ", 7) && strncmp(q, "line ", 5))
            continue;
        const char *a = strstr(q, ": \""), *nl = strchr(q, '\n');
        if (!a || (nl && a > nl))
            continue;
        a += 3;
        const char *b = strchr(a, '"');
        if (!b || (size_t)(b - a) >= 128)
            continue;
        memcpy(titles[n], a, (size_t)(b - a));
        titles[n][b - a] = '\0';
        n++;
    }
    return n;
}

static void test_svgs_wellformed_with_data(void **state)
{
    (void)state;
    if (!rt_in_path("xmllint"))
        skip();
    for (size_t i = 0; i < NCHARTS; i++) {
        if (!drawn(chart_names[i]))
            continue;
        char *p = path2(out, chart_names[i], ".svg");
        char *argv[] = {"xmllint", "--noout", p, NULL};
        struct rt_result r = rt_run(argv, NULL, NULL, 60);
        if (r.status != 0)
            fail_msg("%s is not well-formed XML: %s", p, r.err);
        rt_result_free(&r);
        char *svg = rt_slurp(p, NULL);
        assert_non_null(svg);
        assert_non_null(strstr(svg, "<svg"));
        /* Plotted data: bars are polygons, lines are paths of L segments. */
        size_t marks = rt_count(svg, "<polygon") + rt_count(svg, " L");
        if (marks < 20)
            fail_msg("%s: only %zu plotted elements", p, marks);
        /* Every series the data file declares is in the legend. */
        char *datp = path2(out, chart_names[i], ".dat");
        char *dat = rt_slurp(datp, NULL);
        assert_non_null(dat);
        char titles[64][128];
        size_t nt = dat_titles(dat, titles, 64);
        assert_true(nt > 0);
        for (size_t k = 0; k < nt; k++) {
            char needle[160];
            snprintf(needle, sizeof needle, "<text>%s</text>", titles[k]);
            if (!strstr(svg, needle))
                fail_msg("%s: legend entry '%s' missing", p, titles[k]);
        }
        free(dat);
        free(datp);
        free(svg);
        free(p);
    }
}

static void test_pngs_are_images(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCHARTS; i++) {
        if (!drawn(chart_names[i]))
            continue;
        char *p = path2(out, chart_names[i], ".png");
        size_t len = 0;
        char *png = rt_slurp(p, &len);
        assert_non_null(png);
        assert_true(len > 1000);
        assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
        /* IHDR: width and height, big-endian, at bytes 16..23. */
        const unsigned char *u = (const unsigned char *)png;
        uint32_t w = (uint32_t)u[16] << 24 | (uint32_t)u[17] << 16 | (uint32_t)u[18] << 8 | u[19];
        uint32_t h = (uint32_t)u[20] << 24 | (uint32_t)u[21] << 16 | (uint32_t)u[22] << 8 | u[23];
        assert_true(w >= 400 && h >= 300);
        free(png);
        if (rt_in_path("file")) {
            char *argv[] = {"file", "-b", p, NULL};
            struct rt_result r = rt_run(argv, NULL, NULL, 60);
            assert_int_equal(r.status, 0);
            if (!strstr(r.out, "PNG image data"))
                fail_msg("file says %s: %s", p, r.out);
            rt_result_free(&r);
        }
        free(p);
    }
}

static void test_html_wellformed(void **state)
{
    (void)state;
    if (!rt_in_path("xmllint"))
        skip();
    char *index = rt_join(out, "index.html");
    char *as_html[] = {"xmllint", "--html", "--noout", index, NULL};
    struct rt_result r = rt_run(as_html, NULL, NULL, 60);
    if (r.status != 0 || r.err[0])
        fail_msg("xmllint --html: status %d: %s", r.status, r.err);
    rt_result_free(&r);
    /* It is XHTML-compatible too: an XML parser takes it. */
    char *as_xml[] = {"xmllint", "--noout", index, NULL};
    r = rt_run(as_xml, NULL, NULL, 60);
    if (r.status != 0)
        fail_msg("xmllint (XML): status %d: %s", r.status, r.err);
    rt_result_free(&r);
    free(index);
}

static int unhex(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void test_links_exist_and_are_local(void **state)
{
    (void)state;
    assert_non_null(html);
    static const char *const attrs[] = {"href=\"", "src=\""};
    size_t nlinks = 0;
    for (size_t a = 0; a < 2; a++)
        for (const char *p = html; (p = strstr(p, attrs[a])); p++) {
            p += strlen(attrs[a]);
            const char *e = strchr(p, '"');
            assert_non_null(e);
            char link[4096];
            size_t n = (size_t)(e - p);
            assert_true(n < sizeof link);
            memcpy(link, p, n);
            link[n] = '\0';
            if (link[0] == '#')
                continue;
            /* No network: no scheme, no absolute path. */
            if (strstr(link, "://") || link[0] == '/' || !strncmp(link, "data:", 5))
                fail_msg("non-relative link %s", link);
            char dec[4096], *d = dec;
            for (const char *s = link; *s; s++) {
                if (*s == '%' && s[1] && s[2]) {
                    *d++ = (char)(unhex(s[1]) * 16 + unhex(s[2]));
                    s += 2;
                } else {
                    *d++ = *s;
                }
            }
            *d = '\0';
            char *target = rt_join(out, dec);
            if (!rt_exists(target))
                fail_msg("index.html names %s (%s), which does not exist", link, target);
            free(target);
            nlinks++;
        }
    /* The raw files at least: meta.json, results.jsonl. */
    assert_non_null(strstr(html, "meta.json\""));
    assert_non_null(strstr(html, "results.jsonl\""));
    printf("# %zu links and images checked\n", nlinks);
}

static void test_no_leftovers(void **state)
{
    (void)state;
    char names[4096];
    /* Only the report in the parent: no temporary directory left. */
    assert_int_equal(rt_dir_entries(tmp, names, sizeof names), 1);
    assert_string_equal(names, "report");
    /* gnuplot said nothing (its messages would be in NAME.gp.log). */
    assert_true(rt_dir_entries(out, names, sizeof names) > 0);
    if (strstr(names, ".log"))
        fail_msg("gnuplot left messages: %s", names);
}

/* Every cell is in the table and every skipped or failed rep's reason is on the page. */
static void test_cells_and_reasons(void **state)
{
    (void)state;
    char *rows = rt_join(fixture, "results.jsonl");
    FILE *f = fopen(rows, "r");
    assert_non_null(f);
    char line[1 << 16];
    size_t nproblems = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        assert_non_null(j);
        const char *cell = json_string_value(json_object_get(j, "cell"));
        const char *status = json_string_value(json_object_get(j, "status"));
        const char *reason = json_string_value(json_object_get(j, "reason"));
        assert_non_null(cell);
        char *e = escape(cell);
        if (!strstr(html, e))
            fail_msg("cell %s is not on the page", cell);
        free(e);
        if (strcmp(status, "ok")) {
            nproblems++;
            assert_non_null(reason);
            e = escape(reason);
            if (!strstr(html, e))
                fail_msg("the reason of %s rep of %s is not on the page: %s", status, cell, reason);
            free(e);
        }
        json_decref(j);
    }
    fclose(f);
    free(rows);
    if (nproblems)
        assert_non_null(strstr(html, "class=\"st-"));
    printf("# %zu skipped/failed reps found on the page\n", nproblems);
}

/* The report's scripts are what a user reruns: gnuplot NAME.gp in a copy of the report. */
static void test_scripts_rerun_by_hand(void **state)
{
    (void)state;
    if (!rt_in_path("gnuplot"))
        skip();
    char *copy = rt_join(tmp, "rerun");
    assert_int_equal(rt_copy_tree(out, copy), 0);
    for (size_t i = 0; i < NCHARTS; i++) {
        if (!drawn(chart_names[i]))
            continue;
        char *svg = path2(copy, chart_names[i], ".svg"), *png = path2(copy, chart_names[i], ".png");
        remove(svg);
        remove(png);
        char script[64];
        snprintf(script, sizeof script, "%s.gp", chart_names[i]);
        char *argv[] = {"gnuplot", script, NULL};
        struct rt_result r = rt_run(argv, copy, NULL, 120);
        if (r.status != 0)
            fail_msg("gnuplot %s: status %d: %s", script, r.status, r.err);
        rt_result_free(&r);
        assert_true(rt_exists(svg));
        assert_true(rt_exists(png));
        free(svg);
        free(png);
    }
    rt_rm_rf(copy);
    free(copy);
}

/* Rendering again replaces the earlier report, and nothing else is left. */
static void test_rerender_replaces(void **state)
{
    (void)state;
    char *stale = rt_join(out, "stale-file");
    assert_int_equal(rt_write_file(stale, "x"), 0);
    char *argv[] = {(char *)driver, (char *)fixture, "--out", out, "-q", NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 300);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, ""); /* -q */
    rt_result_free(&r);
    assert_false(rt_exists(stale));
    char *index = rt_join(out, "index.html");
    assert_true(rt_exists(index));
    free(index);
    free(stale);
    char names[4096];
    rt_dir_entries(tmp, names, sizeof names);
    assert_string_equal(names, "report");
}

/* Names and reasons from the results are text on the page, never markup. */
static void test_data_is_escaped(void **state)
{
    (void)state;
    char *evil = rt_join(tmp, "evil");
    assert_int_equal(rt_copy_tree(fixture, evil), 0);
    char *meta_p = rt_join(evil, "meta.json"), *rows_p = rt_join(evil, "results.jsonl");
    json_t *meta = json_load_file(meta_p, 0, NULL);
    assert_non_null(meta);
    json_t *machine = json_object_get(meta, "machine");
    json_object_set_new(machine ? machine : meta, "hostname", json_string("<b>host</b> & \"co\""));
    json_object_set_new(meta, "command_line", json_string("qtopo run <script>x()</script>"));
    assert_int_equal(json_dump_file(meta, meta_p, JSON_INDENT(1)), 0);
    json_decref(meta);

    /* A reason with markup on the first non-ok row, or else a new skipped row. */
    char *text = rt_slurp(rows_p, NULL);
    assert_non_null(text);
    FILE *f = fopen(rows_p, "w");
    assert_non_null(f);
    bool done = false;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(l, 0, NULL);
        assert_non_null(j);
        if (!done && strcmp(json_string_value(json_object_get(j, "status")), "ok")) {
            json_object_set_new(j, "reason", json_string("<script>alert('x')</script> & more"));
            done = true;
        }
        char *s = json_dumps(j, JSON_COMPACT);
        fprintf(f, "%s\n", s);
        free(s);
        json_decref(j);
    }
    fclose(f);
    free(text);

    char *o = rt_join(tmp, "evil-report");
    char *argv[] = {(char *)driver, evil, "-o", o, NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 300);
    if (r.status != 0)
        fail_msg("status %d: %s", r.status, r.err);
    rt_result_free(&r);
    char *index = rt_join(o, "index.html");
    char *page = rt_slurp(index, NULL);
    assert_non_null(page);
    assert_null(strstr(page, "<script"));
    assert_null(strstr(page, "<b>host"));
    assert_non_null(strstr(page, "&lt;b&gt;host&lt;/b&gt; &amp; &quot;co&quot;"));
    assert_non_null(strstr(page, "&lt;script&gt;x()&lt;/script&gt;"));
    if (done)
        assert_non_null(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
    if (rt_in_path("xmllint")) {
        char *x[] = {"xmllint", "--noout", index, NULL};
        r = rt_run(x, NULL, NULL, 60);
        assert_int_equal(r.status, 0);
        rt_result_free(&r);
    }
    free(page);
    free(index);
    rt_rm_rf(o);
    rt_rm_rf(evil);
    free(o);
    free(evil);
    free(meta_p);
    free(rows_p);
}

/* A run without latency recording (--no-latency): no histograms, latency counts 0. The report
 * still draws what it can, leaves the latency chart out saying why, and shows no latency
 * numbers (not zeros). */
static void test_run_without_latency(void **state)
{
    (void)state;
    char *dir = rt_join(tmp, "nolat");
    assert_int_equal(rt_copy_tree(fixture, dir), 0);
    char *hist = rt_join(dir, "hist"), *stale = rt_join(dir, "report");
    rt_rm_rf(hist);
    rt_rm_rf(stale);
    char *rows_p = rt_join(dir, "results.jsonl");
    char *text = rt_slurp(rows_p, NULL);
    assert_non_null(text);
    FILE *f = fopen(rows_p, "w");
    assert_non_null(f);
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(l, 0, NULL);
        assert_non_null(j);
        json_t *lat = json_object_get(j, "latency_ns");
        const char *k;
        json_t *v;
        json_object_foreach(lat, k, v)
        {
            json_object_set_new(lat, k, json_integer(0));
        }
        json_object_set_new(j, "hist", json_null());
        char *s = json_dumps(j, JSON_COMPACT);
        fprintf(f, "%s\n", s);
        free(s);
        json_decref(j);
    }
    fclose(f);
    free(text);
    char *o = rt_join(tmp, "nolat-report");
    char *argv[] = {(char *)driver, dir, "-o", o, NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 300);
    if (r.status != 0)
        fail_msg("status %d: %s", r.status, r.err);
    rt_result_free(&r);
    char *index = rt_join(o, "index.html");
    char *page = rt_slurp(index, NULL);
    assert_non_null(page);
    const char *lat = strstr(page, "id=\"chart-latency\"");
    assert_non_null(lat);
    assert_non_null(strstr(lat, "Left out: "));
    assert_null(strstr(page, "<img src=\"latency.svg\""));
    assert_non_null(strstr(page, "<img src=\"throughput.svg\""));
    assert_null(strstr(page, ">0 ns<")); /* no latency is not zero latency */
    char names[4096];
    rt_dir_entries(o, names, sizeof names);
    if (strstr(names, ".log"))
        fail_msg("gnuplot complained: %s", names);
    free(page);
    free(index);
    rt_rm_rf(o);
    rt_rm_rf(dir);
    free(o);
    free(dir);
    free(hist);
    free(stale);
    free(rows_p);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DRIVER FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    driver = argv[1];
    fixture = argv[2];
    if (!rt_in_path("gnuplot")) {
        printf("# gnuplot is not installed (Debian package gnuplot-nox): skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_ok_prints_index),
        cmocka_unit_test(test_every_chart_drawn_or_explained),
        cmocka_unit_test(test_svgs_wellformed_with_data),
        cmocka_unit_test(test_pngs_are_images),
        cmocka_unit_test(test_html_wellformed),
        cmocka_unit_test(test_links_exist_and_are_local),
        cmocka_unit_test(test_no_leftovers),
        cmocka_unit_test(test_cells_and_reasons),
        cmocka_unit_test(test_scripts_rerun_by_hand),
        cmocka_unit_test(test_rerender_replaces),
        cmocka_unit_test(test_data_is_escaped),
        cmocka_unit_test(test_run_without_latency),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
