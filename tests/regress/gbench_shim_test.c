/* gbench_shim_test.c - the C shim over Google Benchmark: arguments reach the function, the loop
 * runs the iterations it reports, pause/resume and counters work, and the JSON it writes is
 * Google Benchmark's (what compare.py reads). Checks behaviour only, never speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "gbench_shim.h"

/* What the benchmark functions saw, checked after qtp_gb_main. Single-threaded runs. */
static int64_t seen_args[2][8];
static size_t nseen;
static int64_t loop_count_ok = 1;

static void bm_args(qtp_gb_state *st, void *ctx)
{
    int64_t *tag = ctx;
    int64_t a = qtp_gb_range(st, 0), b = qtp_gb_range(st, 1);
    int64_t counted = 0;
    while (qtp_gb_keep_running(st))
        counted++;
    if (counted != qtp_gb_iterations(st))
        loop_count_ok = 0;
    if (nseen < 8) {
        seen_args[0][nseen] = a;
        seen_args[1][nseen] = b;
        nseen++;
    }
    qtp_gb_set_items_processed(st, counted * 2);
    qtp_gb_set_counter(st, "tag", (double)*tag, QTP_GB_COUNTER_DEFAULT);
    qtp_gb_set_counter(st, "per_iter", (double)counted, QTP_GB_COUNTER_AVG_ITERATIONS);
}

static void bm_batch(qtp_gb_state *st, void *ctx)
{
    (void)ctx;
    int64_t counted = 0;
    while (qtp_gb_keep_running_batch(st, 32)) {
        qtp_gb_pause_timing(st);
        qtp_gb_resume_timing(st);
        counted += 32;
    }
    /* The batch loop may overshoot, and iterations() counts what ran. */
    if (counted != qtp_gb_iterations(st))
        loop_count_ok = 0;
    qtp_gb_set_label(st, "batched");
}

static void bm_error(qtp_gb_state *st, void *ctx)
{
    (void)ctx;
    qtp_gb_skip_with_error(st, "planned failure");
    while (qtp_gb_keep_running(st))
        ;
}

static json_t *find_bench(json_t *benchmarks, const char *name)
{
    size_t i;
    json_t *b;
    json_array_foreach(benchmarks, i, b)
    {
        if (strcmp(json_string_value(json_object_get(b, "name")), name) == 0)
            return b;
    }
    return NULL;
}

static void test_shim_json(void **state)
{
    (void)state;
    static int64_t tag = 42;
    int64_t args[] = {3, 7};
    qtp_gb_bench *b = qtp_gb_register("args", bm_args, &tag);
    assert_non_null(b);
    qtp_gb_iterations_fixed(qtp_gb_args(b, args, 2), 1000);
    qtp_gb_min_time(qtp_gb_register("batch", bm_batch, NULL), 0.01);
    qtp_gb_register("error", bm_error, NULL);

    char out[] = "/tmp/qtp_gbench_shim_XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    char outflag[64];
    snprintf(outflag, sizeof outflag, "--benchmark_out=%s", out);
    char *argv[] = {"gbench_shim_test", outflag, "--benchmark_out_format=json",
                    "--benchmark_repetitions=2", NULL};
    int rc = qtp_gb_main(4, argv);
    assert_int_equal(rc, 1); /* bm_error reported an error */

    assert_int_equal(nseen >= 2, 1);
    assert_int_equal(seen_args[0][0], 3);
    assert_int_equal(seen_args[1][0], 7);
    assert_true(loop_count_ok);

    json_error_t err;
    json_t *root = json_load_file(out, 0, &err);
    unlink(out);
    assert_non_null(root);
    assert_non_null(json_object_get(root, "context"));
    json_t *benchmarks = json_object_get(root, "benchmarks");
    assert_true(json_is_array(benchmarks));

    json_t *a = find_bench(benchmarks, "args/3/7/iterations:1000");
    assert_non_null(a);
    assert_int_equal(json_integer_value(json_object_get(a, "iterations")), 1000);
    assert_true(json_real_value(json_object_get(a, "tag")) == 42.0);
    assert_true(json_real_value(json_object_get(a, "per_iter")) == 1.0);
    assert_non_null(json_object_get(a, "items_per_second"));
    assert_string_equal(json_string_value(json_object_get(a, "run_type")), "iteration");
    /* Repetitions give compare.py's U test its samples, and the aggregates. */
    assert_non_null(find_bench(benchmarks, "args/3/7/iterations:1000_median"));

    json_t *bb = find_bench(benchmarks, "batch/min_time:0.010");
    assert_non_null(bb);
    assert_true(json_integer_value(json_object_get(bb, "iterations")) % 32 == 0);
    assert_string_equal(json_string_value(json_object_get(bb, "label")), "batched");

    json_t *e = find_bench(benchmarks, "error");
    assert_non_null(e);
    assert_true(json_is_true(json_object_get(e, "error_occurred")));
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_shim_json)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
