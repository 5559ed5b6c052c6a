/* runners_series: the sampler of a rep (run_series.h) on real deployments, under the watchdog's
 * thread as `qtopo run` drives it: a pipeline whose middle stage has busy work names that stage
 * as the bottleneck; a stage that stalls is named and the stall shows (an interval with no
 * progress); the latency intervals are written. Over the ring and over the
 * per-edge mutex queues. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qtp_clock.h"
#include "qtp_deploy.h"
#include "qtp_hist.h"
#include "qtp_lang.h"
#include "qtp_wait.h"
#include "run_series.h"
#include "watchdog.h"

struct win {
    struct qtp_series *s;
};

static void on_window(void *ctx, bool start)
{
    struct win *w = ctx;
    if (start)
        qtp_series_open(w->s, qtp_clock_mono_ns());
}

/* Run expr over queue with the sampler every 5 ms; stall: stage that stops after 2000 events (the
 * watchdog halts the rep after 0.5 s without progress). Returns run()'s status; *st the
 * summary, the middle stage's role, the rep's latency count, and the bytes of its .hlog lines
 * (their agreement with the rows is runner_e2e_hlog's, through HdrHistogram's own reader). */
static int sampled_run(const char *expr, const char *queue, int stall, struct qtp_series_stats *st,
                       char *bottleneck_want, size_t len, uint64_t *latency_total, long *hlog_bytes)
{
    struct qtp_topology t;
    struct qtp_parse_error pe;
    assert_int_equal(qtp_topo_parse(expr, NULL, NULL, &t, &pe), 0);
    struct win w = {NULL};
    struct qtp_deploy_config cfg = {.topo = &t,
                                    .queue = queue,
                                    .wait = qtp_wait_find("block"),
                                    .ring_size = 256,
                                    .batch = 1,
                                    .warmup = 1000,
                                    .events = 20000,
                                    .seed = 3,
                                    .record_latency = true,
                                    .on_window = on_window,
                                    .ctx = &w,
                                    .stall_stage = stall,
                                    .stall_after = 2000};
    struct qtp_deploy *d;
    char err[256];
    assert_int_equal(qtp_deploy_create(&d, &cfg, err, sizeof err), 0);
    assert_int_equal(qtp_series_create(&w.s, d, 5, true), 0);
    struct qtp_watchdog *wd;
    struct qtp_watchdog_config wc = {.deploy = d,
                                     /* only a stall should trip it, also on a loaded machine */
                                     .timeout_ms = stall ? 500 : 20000,
                                     .period_ms = 50,
                                     .sample = qtp_series_sample,
                                     .sample_ctx = w.s,
                                     .sample_ms = 5};
    assert_int_equal(qtp_watchdog_start(&wd, &wc), 0);
    struct qtp_deploy_result res;
    memset(&res, 0, sizeof res);
    int rc = qtp_deploy_run(d, &res);
    qtp_watchdog_stop(wd, NULL, 0);
    qtp_series_finish(w.s, res.verified ? res.window_end_ns : 0);
    qtp_series_summary(w.s, st);
    /* The middle stage (instance 1) in both cases. */
    snprintf(bottleneck_want, len, "%s", qtp_deploy_stage_role(d, 1));
    *latency_total = res.latency ? qtp_hist_count(res.latency) : 0;
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(qtp_series_write_hlog(w.s, f, "rep0", 0), 0);
    *hlog_bytes = ftell(f);
    fclose(f);
    qtp_series_destroy(w.s);
    qtp_deploy_destroy(d);
    qtp_topology_fini(&t);
    return rc;
}

static void check_work(const char *queue)
{
    struct qtp_series_stats st;
    char want[64];
    uint64_t lat;
    long bytes;
    int rc = sampled_run("seq(stage, stage(work=20us), stage)", queue, 0, &st, want, sizeof want,
                         &lat, &bytes);
    assert_int_equal(rc, 0);
    print_message("%s: %llu samples, bottleneck %s (mean depth %.1f), median %.0f/s worst %.0f/s\n",
                  queue, (unsigned long long)st.samples, st.bottleneck, st.bottleneck_depth,
                  st.median_interval_eps, st.worst_interval_eps);
    assert_true(st.samples >= 10); /* 20000 x 20 us = 0.4 s: 80 at 5 ms, fewer when loaded */
    assert_string_equal(st.bottleneck, want);
    /* No claim on the periods' throughput: a ring stage publishes its sequence once per batch,
     * so behind a slow stage the terminal's progress comes in steps that can be longer than a
     * period (seen under ASan: a median period with none). */
    assert_int_equal(lat, 20000);
    assert_true(bytes > 0);
}

static void check_stall(const char *queue)
{
    struct qtp_series_stats st;
    char want[64];
    uint64_t lat;
    long bytes;
    int rc =
        sampled_run("seq(stage, stage, stage)", queue, 2, &st, want, sizeof want, &lat, &bytes);
    assert_int_equal(rc, ECANCELED); /* the watchdog halted it */
    print_message("%s stalled: %llu samples, bottleneck %s (mean depth %.1f), worst %.0f/s\n",
                  queue, (unsigned long long)st.samples, st.bottleneck, st.bottleneck_depth,
                  st.worst_interval_eps);
    /* 0.5 s without progress at 5 ms is 100 samples; a loaded machine starves the sampler */
    assert_true(st.samples >= 10);
    assert_string_equal(st.bottleneck, want);
    assert_true(st.worst_interval_eps == 0.0);
}

static void test_work_ring(void **state)
{
    (void)state;
    check_work("ring");
}
static void test_work_mutex(void **state)
{
    (void)state;
    check_work("mutex-array");
}
static void test_stall_ring(void **state)
{
    (void)state;
    check_stall("ring");
}
static void test_stall_mutex(void **state)
{
    (void)state;
    check_stall("mutex-array");
}

int main(void)
{
    qtp_clock_init(0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_ring),
        cmocka_unit_test(test_work_mutex),
        cmocka_unit_test(test_stall_ring),
        cmocka_unit_test(test_stall_mutex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
