/* topo_halt: a forced halt stops every thread promptly from every wait state (producer waiting
 * for room, consumers waiting for events, a join holding one branch, the round trip, a stalled
 * stage, a sleeping stage, several producers), run() returns ECANCELED, nothing leaks (ASan). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "topo_util.h"

/* Generous: "promptly" on a loaded 2-core machine under a sanitizer. */
#define PROMPT_S 5.0

struct halt_case {
    const char *name;
    const char *topo;
    uint32_t ring;
    double rate; /* paced: consumers wait for events */
    int stall;   /* stage that stops (1-based) */
    uint64_t stall_after;
    uint64_t sleep_ns;
    const char *progress_has; /* in the progress snapshot taken at the halt */
};

static const struct halt_case cases[] = {
    {"producer waits for room", "unicast", 2, 0, 1, 0, 0, "c1="},
    {"consumers wait for events", "pipeline", 4, 2, 0, 0, 0, "s3="},
    {"dependant waits on a stalled branch", "diamond", 2, 0, 2, 1, 0, "c3="},
    {"shard merge waits on a stalled copy", "shard", 2, 0, 1, 3, 0, "merge="},
    {"round trip waits for the echo", "pingpong", 2, 0, 1, 1, 0, "producer="},
    {"echo waits for the next ping", "pingpong", 2, 2, 0, 0, 0, "producer="},
    {"three producers wait for room", "sequencer", 2, 0, 1, 2, 0, "c1="},
    {"stage asleep", "pipeline", 4, 0, 0, 0, 1000000000ULL, "s1="},
    /* Seed 002's forced shutdown: six readers asleep in their wait (paced producers). */
    {"broker readers wait for events", "broker", 4, 2, 0, 0, 0, "r6="},
};

static void run_case(const struct halt_case *hc, unsigned cfg)
{
    struct qtp_topology t;
    struct qtp_topo_params p = {.payload = 16, .sleep_ns = hc->sleep_ns};
    assert_int_equal(qtp_topology_find(hc->topo)->build(&p, &t), 0);
    struct topo_run r = {0};
    topo_config(cfg, &r);
    r.ring_size = hc->ring;
    r.batch = 1;
    r.events = 1000;
    r.seed = 5;
    r.rate = hc->rate;
    r.stall_stage = hc->stall;
    r.stall_after = hc->stall_after;
    r.record_latency = true;
    r.halt_after_s = 0.15;
    r.timeout_s = 60;
    int rc = topo_run(&t, &r);
    if (rc != ECANCELED || r.halt_to_return_s > PROMPT_S || !strstr(r.progress, hc->progress_has) ||
        !strstr(r.reason, "halted")) {
        print_error("%s (%s over %s): rc %d, %.3f s from halt to return, progress '%s', "
                    "reason '%s'\n",
                    hc->name, hc->topo, topo_config_name(cfg), rc, r.halt_to_return_s, r.progress,
                    r.reason);
        fail();
    }
    assert_false(r.verified);
    assert_int_equal(r.threads_started, t.nthreads);
    printf("  %-36s %-12s returned %.1f ms after the halt; %s\n", hc->name, topo_config_name(cfg),
           r.halt_to_return_s * 1e3, r.progress);
    qtp_topology_fini(&t);
}

/* Every configuration whose queue kind is of family fam (by the queue-kind registry). */
static void run_cases(enum qtp_queue_family fam)
{
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
        for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++) {
            struct topo_run r = {0};
            topo_config(cfg, &r);
            if (qtp_queue_kind_find(r.queue)->family == fam)
                run_case(&cases[c], cfg);
        }
}

static void test_halt_ring(void **state)
{
    (void)state;
    run_cases(QTP_FAMILY_RING);
}

static void test_halt_mutex(void **state)
{
    (void)state;
    run_cases(QTP_FAMILY_MUTEX);
}

/* The lock-free queues per edge, halted while their threads wait in every strategy tested. */
static void test_halt_lockfree(void **state)
{
    (void)state;
    run_cases(QTP_FAMILY_LOCKFREE);
}

/* Halted before run(): the threads start, see the halt, and run() returns at once. */
static void test_halt_before_run(void **state)
{
    (void)state;
    for (const struct qtp_topology_def *d = qtp_topologies; d->name; d++) {
        struct qtp_topology t;
        assert_int_equal(d->build(&(struct qtp_topo_params){0}, &t), 0);
        for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++) {
            struct topo_run r = {0};
            topo_config(cfg, &r);
            r.ring_size = 4;
            r.events = 1000000;
            r.halt_before_run = true;
            r.timeout_s = 30;
            assert_int_equal(topo_run(&t, &r), ECANCELED);
            assert_false(r.watchdog_fired);
        }
        qtp_topology_fini(&t);
    }
}

/* The watchdog sees a stalled stage in the progress snapshot: the sequences stop moving. */
static void test_progress_shows_stall(void **state)
{
    (void)state;
    struct qtp_topology t;
    assert_int_equal(qtp_topology_find("pipeline")->build(&(struct qtp_topo_params){0}, &t), 0);
    for (unsigned cfg = 1; cfg < TOPO_NCONFIGS; cfg++) {
        struct topo_run r = {0};
        topo_config(cfg, &r);
        r.ring_size = 4;
        r.batch = 1;
        r.consumer_batch = 1; /* a ring stage publishes its sequence per batch */
        r.events = 100;
        r.stall_stage = 2;
        r.stall_after = 10;
        r.halt_after_s = 0.5; /* 10 events through s1, s2 and s3 even on a loaded machine */
        assert_int_equal(topo_run(&t, &r), ECANCELED);
        /* s2 handled events 0..9 and stopped; s3 cannot pass it. */
        if (!strstr(r.progress, "s2=9 ") || !strstr(r.progress, "s3=9")) {
            print_error("%s: %s\n", topo_config_name(cfg), r.progress);
            fail();
        }
    }
    qtp_topology_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halt_ring),
        cmocka_unit_test(test_halt_mutex),
        cmocka_unit_test(test_halt_lockfree),
        cmocka_unit_test(test_halt_before_run),
        cmocka_unit_test(test_progress_shows_stall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
