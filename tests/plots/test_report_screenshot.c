/* report_screenshot: open the fixture's index.html in headless Chromium, take a screenshot and
 * check the page rendered: the expected size, many colours, and the chart colours of the
 * throughput chart's bars on screen (so the SVG charts loaded, not broken-image icons).
 * Exits 77 (skipped) without chromium or python3 (the PNG is decoded by png_check.py).
 * Set QTOPO_REPORT_SCREENSHOT=FILE to keep the screenshot.
 * Usage: test_report_screenshot DRIVER FIXTURE_DIR PNG_CHECK_PY */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report_test_util.h"

#define WIDTH 1280
#define HEIGHT 2400

static const char *driver, *fixture, *png_check, *chromium;

/* The value after "key " in png_check.py's output, or -1. */
static double value_of(const char *out, const char *key)
{
    char needle[64];
    snprintf(needle, sizeof needle, "%s ", key);
    for (const char *p = out; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (!strncmp(p, needle, strlen(needle)))
            return atof(p + strlen(needle));
    }
    return -1;
}

static void test_screenshot_not_blank(void **state)
{
    (void)state;
    char *tmp = rt_mkdtemp("report-shot");
    assert_non_null(tmp);
    char *out = rt_join(tmp, "report"), *profile = rt_join(tmp, "profile"),
         *shot = rt_join(tmp, "shot.png");
    char *argv[] = {(char *)driver, (char *)fixture, "-o", out, "-q", NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 300);
    if (r.status != 0)
        fail_msg("report: status %d: %s", r.status, r.err);
    rt_result_free(&r);

    char real[PATH_MAX], url[PATH_MAX + 32], shot_arg[PATH_MAX + 32], profile_arg[PATH_MAX + 32],
        size_arg[64];
    assert_non_null(realpath(out, real));
    snprintf(url, sizeof url, "file://%s/index.html", real);
    snprintf(shot_arg, sizeof shot_arg, "--screenshot=%s", shot);
    snprintf(profile_arg, sizeof profile_arg, "--user-data-dir=%s", profile);
    snprintf(size_arg, sizeof size_arg, "--window-size=%d,%d", WIDTH, HEIGHT);
    char *chrome[] = {(char *)chromium,
                      "--headless",
                      "--no-sandbox",
                      "--disable-gpu",
                      "--disable-quic",
                      "--no-first-run",
                      "--disable-background-networking",
                      "--disable-component-update",
                      "--disable-sync",
                      "--hide-scrollbars",
                      profile_arg,
                      shot_arg,
                      size_arg,
                      url,
                      NULL};
    r = rt_run(chrome, tmp, NULL, 180);
    if (r.status != 0 || !rt_exists(shot))
        fail_msg("chromium: status %d: %s", r.status, r.err);
    rt_result_free(&r);

    /* The throughput chart's bar colours, from its script. */
    char *gp_path = rt_join(out, "throughput.gp");
    char *gp = rt_slurp(gp_path, NULL);
    assert_non_null(gp);
    char *colours[16];
    size_t ncol = 0;
    const char *arr = strstr(gp, "array colors[");
    assert_non_null(arr);
    for (const char *p = arr; (p = strchr(p, '#')) && ncol < 16 && p < strchr(arr, '\n'); p++)
        colours[ncol++] = strndup(p, 7);
    assert_true(ncol > 0);

    char *check[4 + 16] = {"python3", (char *)png_check, shot};
    for (size_t i = 0; i < ncol; i++)
        check[3 + i] = colours[i];
    check[3 + ncol] = NULL;
    r = rt_run(check, NULL, NULL, 180);
    if (r.status != 0)
        fail_msg("png_check.py: status %d: %s%s", r.status, r.out, r.err);
    printf("# screenshot: %s", r.out);
    assert_int_equal((int)value_of(r.out, "width"), WIDTH);
    assert_int_equal((int)value_of(r.out, "height"), HEIGHT);
    /* Not blank: text, tables and charts give many colours and a fair share of non-background. */
    assert_true(value_of(r.out, "colours") > 100);
    assert_true(value_of(r.out, "foreground") > 0.03);
    /* The charts loaded: their bars' colours fill many pixels. */
    double bars = 0;
    for (size_t i = 0; i < ncol; i++)
        bars += value_of(r.out, colours[i]);
    if (bars < 2000)
        fail_msg("only %.0f pixels of the chart colours: did the SVG charts load?", bars);
    rt_result_free(&r);

    const char *keep = getenv("QTOPO_REPORT_SCREENSHOT");
    if (keep && *keep) {
        char *cp[] = {"cp", shot, (char *)keep, NULL};
        r = rt_run(cp, NULL, NULL, 30);
        assert_int_equal(r.status, 0);
        rt_result_free(&r);
    }
    for (size_t i = 0; i < ncol; i++)
        free(colours[i]);
    free(gp);
    free(gp_path);
    rt_rm_rf(tmp);
    free(tmp);
    free(out);
    free(profile);
    free(shot);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s DRIVER FIXTURE_DIR PNG_CHECK_PY\n", argv[0]);
        return 2;
    }
    driver = argv[1];
    fixture = argv[2];
    png_check = argv[3];
    if (rt_in_path("chromium"))
        chromium = "chromium";
    else if (rt_in_path("chromium-browser"))
        chromium = "chromium-browser";
    if (!chromium || !rt_in_path("python3") || !rt_in_path("gnuplot")) {
        printf("# needs chromium, python3 and gnuplot (scripts/setup installs them): skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_screenshot_not_blank)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
