/* topo_batch: the ring's batch handlers and what the deployment reports about batches and the
 * window - a batch across the ring's wrap point, faults planted in a batch's first, middle and
 * last event, a batch straddling the warm-up boundary, the batching figures, a batch larger than
 * the ring, a consumer batch across the warm-up boundary, a racing writer's mismatch reported as it
 * was read, a window closed at the first terminal, out-of-range graph indexes, the payload check's
 * expected byte, and the model computed
 * once for several reps.
 *
 * Deterministic batches: with the producer claiming b events at a time and every stage taking at
 * most b (consumer_batch), availability only ever moves in steps of b, so every batch is exactly
 * [k*b, k*b + b - 1] whatever the timing. With a ring of 8 and b = 3 the batch 6..8 spans the
 * wrap (slots 6, 7, 0). */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qtp_lang.h"
#include "qtp_topo_internal.h"
#include "topo_util.h"

static void build(const char *name, struct qtp_topology *t, size_t payload)
{
    struct qtp_topo_params p = {.payload = payload};
    assert_int_equal(qtp_topology_find(name)->build(&p, t), 0);
}

static struct topo_run aligned_run(unsigned cfg)
{
    struct topo_run r = {0};
    topo_config(cfg, &r);
    r.ring_size = 8;
    r.batch = 3;
    r.consumer_batch = 3;
    r.events = 30;
    r.seed = 5;
    r.record_latency = true;
    return r;
}

/* Batches across the wrap point: every event checked, every batch exactly 3. */
static void test_wrap(void **state)
{
    (void)state;
    const char *names[] = {"unicast", "diamond", "pipeline", "shard"};
    for (unsigned n = 0; n < 4; n++) {
        struct qtp_topology t;
        build(names[n], &t, 16);
        for (unsigned cfg = 0; cfg < 3; cfg++) {
            struct topo_run r = aligned_run(cfg);
            assert_int_equal(topo_run(&t, &r), 0);
            if (!r.verified)
                print_error("%s over %s: %s\n", names[n], topo_config_name(cfg), r.reason);
            assert_true(r.verified && r.res.window_ok);
            assert_int_equal(r.latency_count, 30);
            assert_int_equal(r.res.nstages, t.ninstances);
            for (unsigned i = 0; i < r.res.nstages; i++) {
                /* Every stage (a shard copy too: it advances over every position). */
                assert_int_equal(r.res.stage[i].batches, 10);
                assert_int_equal(r.res.stage[i].events, 30);
            }
        }
        qtp_topology_fini(&t);
    }
}

/* A fault in the first, middle and last event of the batch that spans the wrap (6, 7, 8), in a
 * terminal's own field and in an upstream one: each is caught and named. */
static void test_fault_in_batch(void **state)
{
    (void)state;
    struct {
        const char *topo;
        int stage;
        const char *field;
    } cases[] = {{"unicast", 1, "field 0 (c1)"},
                 {"diamond", 1, "field 0 (c1)"},
                 {"diamond", 3, "field 2 (c3)"}};
    for (unsigned c = 0; c < 3; c++) {
        struct qtp_topology t;
        build(cases[c].topo, &t, 0);
        for (int64_t seq = 6; seq <= 8; seq++) {
            for (unsigned cfg = 0; cfg < 3; cfg++) {
                struct topo_run r = aligned_run(cfg);
                r.fault_stage = cases[c].stage;
                r.fault_seq = seq;
                assert_int_equal(topo_run(&t, &r), 0);
                char want[32];
                snprintf(want, sizeof(want), "seq %" PRId64 " ", seq);
                if (r.verified || !strstr(r.reason, want) || !strstr(r.reason, cases[c].field) ||
                    !strstr(r.reason, "(1 bad events)")) {
                    print_error("%s stage %d seq %" PRId64 " over %s: %s\n", cases[c].topo,
                                cases[c].stage, seq, topo_config_name(cfg), r.reason);
                    fail();
                }
            }
        }
        qtp_topology_fini(&t);
    }
}

/* The window opens right before the first measured event: the last warm-up batch is cut short
 * (warm-up 7 with batches of 4: 0..3, 4..6, then 7..), everything before it is published and
 * nothing measured is claimed yet. */
static void on_window_progress(struct topo_run *r)
{
    struct qtp_progress p;
    qtp_deploy_progress(r->d, &p);
    snprintf(r->progress, sizeof(r->progress), "%s", p.text);
}

static void test_warmup_boundary(void **state)
{
    (void)state;
    struct qtp_topology t;
    build("unicast", &t, 0);
    for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++) {
        struct topo_run r = {0};
        topo_config(cfg, &r);
        r.ring_size = 16;
        r.batch = 4;
        r.warmup = 7;
        r.events = 10;
        r.seed = 2;
        r.record_latency = true;
        r.on_window_start = on_window_progress;
        assert_int_equal(topo_run(&t, &r), 0);
        assert_true(r.verified && r.res.window_ok);
        assert_int_equal(r.events_done, 10);
        assert_int_equal(r.latency_count, 10);
        const char *want = topo_config_is_ring(cfg) ? "producer=7 published=6 " : "producer=7 ";
        if (strncmp(r.progress, want, strlen(want)) != 0) {
            print_error("%s: progress at the window's start: %s\n", topo_config_name(cfg),
                        r.progress);
            fail();
        }
        const struct qtp_terminal_times *tt = &r.res.terminal[0];
        assert_int_equal(r.res.nterminals, 1);
        assert_string_equal(tt->role, "c1");
        assert_true(tt->first_ns >= r.res.window_start_ns && tt->first_ns <= tt->last_ns &&
                    tt->last_ns <= r.res.window_end_ns);
        /* Batching figures count measured positions only: 7..16 in batches of at most 4. */
        assert_int_equal(r.res.stage[0].events, 10);
        assert_true(r.res.stage[0].batches >= 1 && r.res.stage[0].batches <= 10);
    }
    qtp_topology_fini(&t);
}

/* A consumer batch across the warm-up boundary (the producer cuts its claims there, a consumer
 * does not): the consumer is held at its start until the producer has published at least 10
 * warm-up and 10 measured events, so its first batch spans 9..10 whatever the timing. Only its
 * measured part
 * counts (batching figures, latency), the terminal's first measured event still lies inside the
 * window, and faults in the last warm-up and the first measured event of that batch are caught. */
static void hold_until_user_published(struct topo_run *r, unsigned index, const char *role)
{
    (void)role;
    if (index == 0)
        return;
    double t0 = topo_now();
    while (topo_now() - t0 < 10) {
        struct qtp_progress p;
        qtp_deploy_progress(r->d, &p);
        const char *at = strstr(p.text, "published=");
        if (at && strtoull(at + strlen("published="), NULL, 10) >= *(const uint64_t *)r->user)
            return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static void test_consumer_straddles_warmup(void **state)
{
    (void)state;
    struct qtp_topology t;
    build("unicast", &t, 8);
    uint64_t published = 19;
    for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++) {
        if (!topo_config_is_ring(cfg))
            continue;
        for (int64_t fault = -1; fault <= 10; fault += fault < 0 ? 10 : 1) {
            struct topo_run r = {0};
            topo_config(cfg, &r);
            r.ring_size = 64;
            r.batch = 1;
            r.warmup = 10;
            r.events = 30;
            r.seed = 9;
            r.record_latency = true;
            r.on_start = hold_until_user_published;
            r.user = &published;
            r.fault_stage = fault < 0 ? 0 : 1;
            r.fault_seq = fault;
            assert_int_equal(topo_run(&t, &r), 0);
            if (fault >= 0) {
                char want[32];
                snprintf(want, sizeof(want), "seq %" PRId64 " ", fault);
                if (r.verified || !strstr(r.reason, want)) {
                    print_error("%s, fault at %" PRId64 ": %s\n", topo_config_name(cfg), fault,
                                r.reason);
                    fail();
                }
                continue;
            }
            if (!r.verified)
                print_error("%s: %s\n", topo_config_name(cfg), r.reason);
            assert_true(r.verified && r.res.window_ok);
            assert_int_equal(r.latency_count, 30);
            assert_int_equal(r.res.stage[0].events, 30);
            /* The first batch counts once, for its measured events only. */
            assert_true(r.res.stage[0].batches >= 1 && r.res.stage[0].batches <= 21);
            const struct qtp_terminal_times *tt = &r.res.terminal[0];
            assert_true(tt->first_ns >= r.res.window_start_ns && tt->first_ns <= tt->last_ns &&
                        tt->last_ns <= r.res.window_end_ns);
        }
    }
    qtp_topology_fini(&t);
}

/* A consumer that is always behind (50 us of busy work per event, a small ring the producer keeps
 * full: it has 3 ms per ring to get a CPU once) sees large batches; a per-edge stage pops one
 * event per batch. (The opposite case, a consumer always ahead, depends on the scheduler keeping
 * a pacing producer on time: not a test.) */
static void test_batching_figures(void **state)
{
    (void)state;
    struct qtp_topology slow;
    struct qtp_topo_params p = {.work_ns = 50000};
    assert_int_equal(qtp_topology_find("unicast")->build(&p, &slow), 0);
    for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++) {
        struct topo_run r = {0};
        topo_config(cfg, &r);
        r.ring_size = 64;
        r.batch = 1;
        r.events = TOPO_SANITIZED ? 300 : 1000;
        r.seed = 3;
        assert_int_equal(topo_run(&slow, &r), 0);
        assert_true(r.verified);
        assert_int_equal(r.res.stage[0].events, r.events);
        double mean = (double)r.res.stage[0].events / (double)r.res.stage[0].batches;
        printf("  %-12s consumer behind: %" PRIu64 " batches, mean %.1f events\n",
               topo_config_name(cfg), r.res.stage[0].batches, mean);
        if (topo_config_is_ring(cfg))
            assert_true(mean >= 8);
        else
            assert_true(mean == 1.0);
    }
    qtp_topology_fini(&slow);
}

/* A ring whose producer is not gated overruns its consumer: the consumer's next batch is larger
 * than the ring, and the rep fails with that reason instead of reading past its arrays. The
 * consumer is held at its start until the producer has published everything. */
static void hold_until_published(struct topo_run *r, unsigned index, const char *role)
{
    (void)role;
    if (index == 0)
        return;
    char want[64];
    snprintf(want, sizeof(want), "published=%" PRIu64 " ", r->events - 1);
    double t0 = topo_now();
    while (topo_now() - t0 < 10) {
        struct qtp_progress p;
        qtp_deploy_progress(r->d, &p);
        if (strstr(p.text, want))
            return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static void test_batch_larger_than_ring(void **state)
{
    (void)state;
    struct qtp_topology t;
    build("unicast", &t, 0);
    for (unsigned cfg = 0; cfg < 3; cfg++) {
        struct topo_run r = {0};
        topo_config(cfg, &r);
        r.ring_size = 8;
        r.batch = 4;
        r.events = 200;
        r.record_latency = true;
        r.ungated = true;
        r.on_start = hold_until_published;
        assert_int_equal(topo_run(&t, &r), 0);
        assert_false(r.verified);
        if (!strstr(r.reason, "c1: batch 0..199 (200 events) larger than the ring (8): gating "
                              "broken")) {
            print_error("%s: %s\n", topo_config_name(cfg), r.reason);
            fail();
        }
    }
    qtp_topology_fini(&t);
}

/* An ungated producer left to race its consumer overwrites slots while the terminal checks
 * them: whatever the rep reports (a batch larger than the ring, a wrong field, input, order or
 * payload byte), a mismatch names two different values - the terminal reads each value once, so
 * the value it compared is the value it reports. */
static void test_racing_reason(void **state)
{
    (void)state;
#ifdef QTOPO_TSAN
    skip(); /* the race is the point: ThreadSanitizer would report it */
#endif
    struct qtp_topology t;
    build("pipeline", &t, 32);
    unsigned failed = 0, mismatches = 0, runs = 0;
    for (unsigned trial = 0; trial < (TOPO_SANITIZED ? 3u : 20u); trial++)
        for (unsigned cfg = 0; cfg < 3; cfg++) {
            struct topo_run r = {0};
            topo_config(cfg, &r);
            r.ring_size = 8;
            r.batch = 1 + trial % 4;
            r.consumer_batch = 1 + trial % 3; /* never more than the ring: it reads on */
            r.events = TOPO_SANITIZED ? 5000 : 50000;
            r.seed = trial;
            r.ungated = true;
            assert_int_equal(topo_run(&t, &r), 0);
            runs++;
            failed += !r.verified;
            const char *e = strstr(r.reason, ": expected 0x");
            if (!e)
                continue;
            unsigned long long want, got;
            assert_int_equal(sscanf(e, ": expected 0x%llx, got 0x%llx", &want, &got), 2);
            mismatches++;
            if (want == got) {
                print_error("%s: %s\n", topo_config_name(cfg), r.reason);
                fail();
            }
        }
    printf("  %u ungated runs: %u failed, %u named a mismatch\n", runs, failed, mismatches);
    qtp_topology_fini(&t);
}

/* A window that closes when the first terminal finishes instead of the last (planted) makes the
 * throughput too high; the window check fails the rep naming the terminal that finished after
 * it closed. The slow branch sleeps, so it finishes well after the fast one (on a loaded machine
 * the fast one may yet be the later: either is named). */
static void test_window_first_terminal(void **state)
{
    (void)state;
    struct qtp_topology t;
    struct qtp_parse_error pe;
    assert_int_equal(qtp_topo_parse("fanout(stage(name=fast), stage(name=slow, sleep=20us))", NULL,
                                    NULL, &t, &pe),
                     0);
    for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++)
        for (unsigned plant = 0; plant < 2; plant++) {
            struct topo_run r = {0};
            topo_config(cfg, &r);
            r.ring_size = 512; /* more than the events: the fast branch is never held back */
            r.batch = 4;
            r.warmup = 10;
            r.events = 300;
            r.seed = 9;
            r.window_first = plant;
            assert_int_equal(topo_run(&t, &r), 0);
            if (r.verified == (bool)plant || r.res.window_ok == (bool)plant ||
                (plant && !strstr(r.reason, "window: it closed before terminal "))) {
                print_error("%s, planted %u: %s\n", topo_config_name(cfg), plant, r.reason);
                fail();
            }
        }
    qtp_topology_fini(&t);
}

/* A compiled graph whose indexes point past the event's fields or the instances is refused. */
static void test_graph_bounds(void **state)
{
    (void)state;
    struct qtp_topology t;
    build("diamond", &t, 0);
    struct qtp_graph *g = t.graph;
    struct {
        unsigned *field;
        unsigned bad;
        const char *why;
    } cases[] = {
        {&g->inst[1].field, 3, "stage c2: field index 3 out of range 0..2"},
        {&g->inst[2].field, 70, "stage c3: field index 70 out of range 0..2"},
    };
    for (unsigned c = 0; c < 2; c++) {
        unsigned keep = *cases[c].field;
        *cases[c].field = cases[c].bad;
        struct topo_run r = {.queue = "ring", .ring_size = 4, .events = 1};
        assert_int_equal(topo_run(&t, &r), EINVAL);
        if (!strstr(r.reason, cases[c].why)) {
            print_error("%s\n", r.reason);
            fail();
        }
        *cases[c].field = keep;
    }
    g->inst[2].deps[1] = 9;
    struct topo_run r = {.queue = "mutex-array", .ring_size = 4, .events = 1};
    assert_int_equal(topo_run(&t, &r), EINVAL);
    assert_non_null(strstr(r.reason, "upstream instance 9 out of range"));
    g->inst[2].deps[1] = 1;
    g->stage[0].up = 4; /* c1 reading c3, a field after it */
    assert_int_equal(topo_run(&t, &r), EINVAL);
    assert_non_null(strstr(r.reason, "reads a field not before it"));
    g->stage[0].up = 0;
    /* A seq must fit the event id's QTP_EVENT_SEQ_BITS (the producer is in the bits above). */
    for (unsigned c = 0; c < 2; c++) {
        r = (struct topo_run){.queue = c ? "ring" : "mutex-array",
                              .ring_size = 4,
                              .warmup = 1,
                              .events = (1ULL << QTP_EVENT_SEQ_BITS) - 1};
        assert_int_equal(topo_run(&t, &r), EINVAL);
        assert_non_null(strstr(r.reason, "event count too large"));
    }
    r = (struct topo_run){.queue = "mutex-array", .ring_size = 4, .events = 1};
    assert_int_equal(topo_run(&t, &r), 0);
    assert_true(r.verified);
    qtp_topology_fini(&t);
}

/* A wrong payload byte is reported with the byte the model expects and the one seen. */
static void test_payload_expected_byte(void **state)
{
    (void)state;
    struct qtp_topology t;
    build("pipeline", &t, 64);
    const uint64_t seed = 11;
    struct {
        unsigned byte; /* 1-based */
        unsigned char want;
    } cases[] = {
        {3, (unsigned char)((qtp_input_value(seed, 0, 5) ^ QTP_PAYLOAD_HEAD) >> 16)},
        {64, (unsigned char)((5 ^ QTP_PAYLOAD_TAIL) >> 56)},
        {33, (unsigned char)qtp_input_value(seed, 0, 5)},
    };
    for (unsigned c = 0; c < 3; c++)
        for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++) {
            struct topo_run r = {0};
            topo_config(cfg, &r);
            r.ring_size = 4;
            r.batch = 2;
            r.events = 10;
            r.seed = seed;
            r.fault_seq = 5;
            r.fault_payload = cases[c].byte;
            assert_int_equal(topo_run(&t, &r), 0);
            char want[128];
            snprintf(want, sizeof(want),
                     "seq 5 producer 0 payload byte %u: expected 0x%x, got 0x%x", cases[c].byte - 1,
                     cases[c].want, cases[c].want ^ 0x20);
            if (r.verified || !strstr(r.reason, want)) {
                print_error("%s: want '%s' in '%s'\n", topo_config_name(cfg), want, r.reason);
                fail();
            }
        }
    qtp_topology_fini(&t);
}

/* One model for several reps: every rep is still compared with it; a model of another seed or
 * count is refused; computing it can be stopped. */
static void test_model_once(void **state)
{
    (void)state;
    struct qtp_topology t;
    build("diamond", &t, 0);
    struct qtp_deploy_model *m;
    assert_int_equal(qtp_deploy_model_create(&m, &t, 4, 110, NULL), 0);
    for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++)
        for (unsigned rep = 0; rep < 2; rep++) {
            struct topo_run r = {0};
            topo_config(cfg, &r);
            r.ring_size = 16;
            r.batch = 2;
            r.warmup = 10;
            r.events = 100;
            r.seed = 4;
            r.model = m;
            r.fault_stage = rep ? 2 : 0;
            r.fault_seq = 50;
            assert_int_equal(topo_run(&t, &r), 0);
            assert_true(r.verified == (rep == 0));
            if (rep)
                assert_non_null(strstr(r.reason, "seq 50 producer 0 field 1 (c2)"));
        }
    struct topo_run r = {
        .queue = "ring", .ring_size = 16, .warmup = 10, .events = 100, .seed = 5, .model = m};
    assert_int_equal(topo_run(&t, &r), EINVAL);
    assert_non_null(strstr(r.reason, "the model was computed for diamond, seed 4, 110 events; "
                                     "this run is diamond, seed 5, 110 events"));
    qtp_deploy_model_destroy(m);
    _Atomic int stop = 1;
    assert_int_equal(qtp_deploy_model_create(&m, &t, 4, 1000000, &stop), ECANCELED);
    assert_null(m);
    qtp_topology_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_fault_in_batch),
        cmocka_unit_test(test_warmup_boundary),
        cmocka_unit_test(test_consumer_straddles_warmup),
        cmocka_unit_test(test_batching_figures),
        cmocka_unit_test(test_batch_larger_than_ring),
        cmocka_unit_test(test_racing_reason),
        cmocka_unit_test(test_window_first_terminal),
        cmocka_unit_test(test_graph_bounds),
        cmocka_unit_test(test_payload_expected_byte),
        cmocka_unit_test(test_model_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
