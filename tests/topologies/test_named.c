/* topo_named: every named topology over every queue configuration agrees with the model for
 * small and odd sizes (0, 1, 2, ring-1, ring+1 events; rings of 2 and 4; payloads 8 and 1024). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "topo_util.h"

static uint64_t seed;

static void run_named(const struct qtp_topology_def *def, unsigned config)
{
    static const uint32_t rings[] = {2, 4};
    static const size_t payloads[] = {8, 1024};
    unsigned runs = 0;
    double t0 = topo_now();
    for (unsigned p = 0; p < 2; p++) {
        struct qtp_topo_params tp = {.payload = payloads[p]};
        struct qtp_topology t;
        assert_int_equal(def->build(&tp, &t), 0);
        assert_int_equal(t.payload, payloads[p]);
        for (unsigned ri = 0; ri < 2; ri++) {
            uint32_t ring = rings[ri];
            const uint64_t counts[] = {0, 1, 2, ring - 1, ring + 1};
            for (unsigned ci = 0; ci < 5; ci++) {
                if (ci >= 3 && counts[ci] <= 2)
                    continue; /* ring - 1 == 1 with a ring of 2: done already */
                struct topo_run r = {0};
                topo_config(config, &r);
                r.ring_size = ring;
                r.batch = 1 + (uint32_t)(counts[ci] % ring); /* 1..ring */
                r.warmup = ci % 2;
                r.events = counts[ci];
                r.seed = seed + runs;
                r.record_latency = true;
                r.timeout_s = 60;
                int rc = topo_run(&t, &r);
                if (rc != 0 || !r.verified) {
                    char desc[2048];
                    qtp_topology_describe(&t, desc, sizeof(desc));
                    print_error("%s over %s: ring %u batch %u warmup %llu events %llu payload "
                                "%zu: rc %d verified %d: %s\n%s\nprogress: %s\n",
                                def->name, topo_config_name(config), ring, r.batch,
                                (unsigned long long)r.warmup, (unsigned long long)r.events,
                                payloads[p], rc, r.verified, r.reason, desc, r.progress);
                    fail();
                }
                assert_int_equal(r.threads_started, t.nthreads);
                uint64_t measured = r.events * t.producers;
                assert_int_equal(r.events_done, measured);
                /* Every measured event is timed at every terminal that handles it (pingpong: at
                 * the producer, once). */
                if (measured && !t.pingpong)
                    assert_true(r.latency_count >= measured);
                if (t.pingpong)
                    assert_int_equal(r.latency_count, measured);
                assert_int_equal(r.window_start_seen, measured > 0);
                assert_int_equal(r.window_end_seen, measured > 0);
                runs++;
            }
        }
        qtp_topology_fini(&t);
    }
    printf("  %-10s %-12s %u runs in %.2f s\n", def->name, topo_config_name(config), runs,
           topo_now() - t0);
}

#define NAMED_TEST(cfg)                                                                            \
    static void test_named_##cfg(void **state)                                                     \
    {                                                                                              \
        (void)state;                                                                               \
        for (const struct qtp_topology_def *d = qtp_topologies; d->name; d++)                      \
            run_named(d, cfg);                                                                     \
    }
NAMED_TEST(0)
NAMED_TEST(1)
NAMED_TEST(2)
NAMED_TEST(3)
NAMED_TEST(4)

/* Non-default shapes and many laps of a small ring (every configuration but busy-spin: 10 to 18
 * threads would make it crawl on 2 cores). */
static void test_named_params(void **state)
{
    (void)state;
    const struct {
        const char *name;
        struct qtp_topo_params p;
    } shapes[] = {
        {"pipeline", {.stages = 8, .payload = 64}},
        {"fanout", {.fanout = 16}},
        {"fanout", {.fanout = 1, .payload = 4096}},
        {"shard", {.shards = 8, .payload = 8}},
        {"shard", {.shards = 1}},
        {"diamond", {.work_ns = 200}},
        {"sequencer", {.payload = 256}},
        {"pingpong", {.payload = 4096}},
    };
    const uint64_t events = TOPO_SANITIZED ? 2000 : 20000;
    for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        struct qtp_topology t;
        assert_int_equal(qtp_topology_find(shapes[i].name)->build(&shapes[i].p, &t), 0);
        for (unsigned cfg = 1; cfg < TOPO_NCONFIGS; cfg++) {
            struct topo_run r = {0};
            topo_config(cfg, &r);
            if (r.wait && qtp_wait_find(r.wait)->spins)
                continue; /* busy-spin (ring/spin is cfg 0, ck-ring/spin later): see above */
            r.ring_size = 8;
            r.batch = 1 + (i + cfg) % 8;
            r.consumer_batch = cfg == 2 ? 3 : 0;
            r.warmup = 100;
            r.events = events;
            r.seed = seed + i;
            r.record_latency = true;
            r.timeout_s = 120;
            double t0 = topo_now();
            int rc = topo_run(&t, &r);
            if (rc != 0 || !r.verified || r.events_done != events * t.producers) {
                print_error("%s (%u threads) over %s: rc %d: %s\nprogress: %s\n", shapes[i].name,
                            t.nthreads, topo_config_name(cfg), rc, r.reason, r.progress);
                fail();
            }
            printf("  %-9s %2u threads %-12s %llu events in %.2f s\n", shapes[i].name, t.nthreads,
                   topo_config_name(cfg), (unsigned long long)events, topo_now() - t0);
        }
        qtp_topology_fini(&t);
    }
}

int main(int argc, char **argv)
{
    seed = topo_seed(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_0), cmocka_unit_test(test_named_1),
        cmocka_unit_test(test_named_2), cmocka_unit_test(test_named_3),
        cmocka_unit_test(test_named_4), cmocka_unit_test(test_named_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
