/* runners_hiccup: the platform hiccup meter runs, records exactly duration / period samples per
 * thread (one pinned PU, every PU, each wait strategy), stops on request (also a sleeping one
 * and before it starts), and rejects bad configurations.
 *
 * It also prints what it measured. For a longer measurement of a lone pinned thread at 1 us:
 *   QTOPO_HICCUP_MS=5000 build-release/tests/runners/runners_hiccup
 * (the test only checks behaviour; the figures are for people). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hiccup.h"
#include "machine.h"
#include "qtp_clock.h"
#include "qtp_hist.h"

static struct qtp_machine *m;

static void print_result(const char *what, const struct qtp_hiccup_result *r)
{
    const struct qtp_hist *h = r->lateness;
    print_message("%s (%s): %llu samples in %.3f s; late p50 %llu ns, p99 %llu ns, p99.9 %llu ns, "
                  "max %llu ns\n",
                  what, r->how, (unsigned long long)r->samples, (double)r->elapsed_ns / 1e9,
                  (unsigned long long)qtp_hist_percentile(h, 50),
                  (unsigned long long)qtp_hist_percentile(h, 99),
                  (unsigned long long)qtp_hist_percentile(h, 99.9),
                  (unsigned long long)qtp_hist_max(h));
}

static void run_ok(const struct qtp_hiccup_config *cfg, const char *what,
                   struct qtp_hiccup_result *r, struct qtp_hiccup **hp)
{
    char err[256];
    assert_int_equal(qtp_hiccup_create(hp, cfg, err, sizeof err), 0);
    int rc = qtp_hiccup_run(*hp, r);
    if (rc)
        fail_msg("%s: %s", what, r->reason);
    print_result(what, r);
}

/* A lone pinned thread: exactly duration / period samples, all in the histogram. */
static void test_lone_pinned_thread(void **state)
{
    (void)state;
    const char *env = getenv("QTOPO_HICCUP_MS");
    uint64_t ms = env ? strtoull(env, NULL, 10) : 50;
    int pu = m->pus[0].os;
    struct qtp_hiccup_config cfg = {m, &pu, 1, 0, ms * 1000000ULL, NULL};
    struct qtp_hiccup_result r;
    struct qtp_hiccup *h;
    run_ok(&cfg, "PU 0 at 1 us", &r, &h);
    assert_int_equal(r.expected, ms * 1000);
    assert_int_equal(r.samples, r.expected);
    assert_false(r.stopped);
    assert_string_equal(r.how, "spin");
    assert_int_equal(qtp_hist_count(r.lateness), r.samples);
    assert_int_equal(qtp_hist_clamped(r.lateness), 0);
    assert_int_equal(qtp_hiccup_thread_samples(h, 0), r.samples);
    assert_int_equal(qtp_hist_count(qtp_hiccup_thread_hist(h, 0)), r.samples);
    assert_null(qtp_hiccup_thread_hist(h, 1));
    assert_true(r.elapsed_ns >= ms * 1000000ULL); /* the schedule never runs ahead */
    assert_int_equal(qtp_hiccup_run(h, &r), EALREADY);
    qtp_hiccup_destroy(h);
}

/* Every PU at once (and an unbound thread): each its own samples. */
static void test_every_pu(void **state)
{
    (void)state;
    int pus[QTP_MAX_THREADS];
    size_t n = 0;
    for (unsigned i = 0; i < m->npus && n + 1 < QTP_MAX_THREADS; i++)
        pus[n++] = m->pus[i].os;
    pus[n++] = -1;
    struct qtp_hiccup_config cfg = {m, pus, n, 2000, 20000000ULL, NULL};
    struct qtp_hiccup_result r;
    struct qtp_hiccup *h;
    run_ok(&cfg, "every PU + unbound at 2 us", &r, &h);
    assert_int_equal(r.expected, n * 10000);
    assert_int_equal(r.samples, r.expected);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(qtp_hiccup_thread_samples(h, i), 10000);
        assert_int_equal(qtp_hist_count(qtp_hiccup_thread_hist(h, i)), 10000);
    }
    qtp_hiccup_destroy(h);
}

/* Each wait strategy's way of waiting: the polling ones through the strategy, block by sleeping. */
static void test_wait_strategies(void **state)
{
    (void)state;
    int pu = m->pus[0].os;
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++) {
        struct qtp_hiccup_config cfg = {m, &pu, 1, 10000, 20000000ULL, w};
        struct qtp_hiccup_result r;
        struct qtp_hiccup *h;
        char what[64];
        snprintf(what, sizeof what, "%s at 10 us", w->name);
        run_ok(&cfg, what, &r, &h);
        assert_int_equal(r.samples, 2000);
        assert_int_equal(qtp_hist_count(r.lateness), 2000);
        const char *want = qtp_wait_needs_signal(w)       ? "sleep"
                           : strcmp(w->name, "spin") == 0 ? "spin (wait strategy)"
                                                          : w->name;
        assert_string_equal(r.how, want);
        qtp_hiccup_destroy(h);
    }
}

/* ---- stopping ---- */

struct stopper {
    struct qtp_hiccup *h;
    unsigned delay_ms;
};

static void *stop_later(void *arg)
{
    struct stopper *s = arg;
    struct timespec ts = {0, (long)s->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    qtp_hiccup_stop(s->h);
    return NULL;
}

/* An hour-long run with each way of waiting ends within seconds of a stop from another thread. */
static void test_stop(void **state)
{
    (void)state;
    int pus[2] = {m->pus[0].os, -1};
    const struct qtp_wait_ops *waits[] = {NULL, qtp_wait_find("yield"), qtp_wait_find("block")};
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
        /* block sleeps: a long period shows that the sleep is cut into slices */
        uint64_t period = waits[i] && qtp_wait_needs_signal(waits[i]) ? 1000000000ULL : 1000;
        struct qtp_hiccup_config cfg = {m, pus, 2, period, 3600ULL * 1000000000ULL, waits[i]};
        char err[256];
        struct qtp_hiccup *h;
        assert_int_equal(qtp_hiccup_create(&h, &cfg, err, sizeof err), 0);
        struct stopper s = {h, 50};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, stop_later, &s), 0);
        struct qtp_hiccup_result r;
        assert_int_equal(qtp_hiccup_run(h, &r), 0);
        pthread_join(t, NULL);
        print_result("stopped after 50 ms", &r);
        assert_true(r.stopped);
        assert_true(r.samples < r.expected);
        assert_true(r.elapsed_ns < 20000000000ULL); /* not an hour: generous for a loaded box */
        assert_int_equal(qtp_hist_count(r.lateness), r.samples);
        qtp_hiccup_destroy(h);
    }
    /* Stopped before it started: nothing recorded, nothing hangs. */
    struct qtp_hiccup_config cfg = {m, pus, 1, 0, 3600ULL * 1000000000ULL, NULL};
    char err[256];
    struct qtp_hiccup *h;
    assert_int_equal(qtp_hiccup_create(&h, &cfg, err, sizeof err), 0);
    qtp_hiccup_stop(h);
    struct qtp_hiccup_result r;
    assert_int_equal(qtp_hiccup_run(h, &r), 0);
    assert_true(r.stopped);
    assert_int_equal(r.samples, 0);
    qtp_hiccup_destroy(h);
}

static void test_bad_config(void **state)
{
    (void)state;
    char err[256];
    struct qtp_hiccup *h;
    int pu = m->pus[0].os, nope = 65000;
    struct qtp_hiccup_config cfg = {m, &pu, 0, 0, 1000000, NULL};
    assert_int_equal(qtp_hiccup_create(&h, &cfg, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "0 PUs"));
    cfg.npus = 1;
    cfg.duration_ns = 999;
    assert_int_equal(qtp_hiccup_create(&h, &cfg, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "shorter than the period"));
    cfg.duration_ns = 1000000;
    cfg.pus = &nope;
    assert_int_equal(qtp_hiccup_create(&h, &cfg, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "PU 65000 does not exist"));
    cfg.pus = &pu;
    cfg.m = NULL;
    assert_int_equal(qtp_hiccup_create(&h, &cfg, err, sizeof err), EINVAL);

    /* A synthetic machine cannot bind: run says so, nothing hangs. */
    struct qtp_machine *syn;
    struct qtp_machine_source src = {"pack:1 core:2 pu:1", NULL};
    assert_int_equal(qtp_machine_load(&syn, &src, err, sizeof err), 0);
    int spu = syn->pus[1].os;
    struct qtp_hiccup_config scfg = {syn, &spu, 1, 0, 1000000, NULL};
    assert_int_equal(qtp_hiccup_create(&h, &scfg, err, sizeof err), 0);
    struct qtp_hiccup_result r;
    assert_int_equal(qtp_hiccup_run(h, &r), ENOTSUP);
    assert_non_null(strstr(r.reason, "binding to PU"));
    assert_false(r.stopped);
    qtp_hiccup_destroy(h);
    qtp_machine_free(syn);
}

int main(void)
{
    char err[256];
    if (qtp_machine_load(&m, &(struct qtp_machine_source){NULL, NULL}, err, sizeof err) != 0) {
        fprintf(stderr, "machine: %s\n", err);
        return 1;
    }
    qtp_clock_init(0);
    fprintf(stderr, "clock: %s\n", qtp_clock_source());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_pinned_thread), cmocka_unit_test(test_every_pu),
        cmocka_unit_test(test_wait_strategies),    cmocka_unit_test(test_stop),
        cmocka_unit_test(test_bad_config),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    qtp_machine_free(m);
    return rc;
}
