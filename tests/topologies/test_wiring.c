/* topo_wiring: the structural check. Wiring that leaves every output as the model's - fan-out
 * branches chained one after the other, shard copies owning each other's residues - is planted
 * (a test-only miswired copy of the graph), runs to the model's outputs over every queue
 * configuration (the value check cannot see it), and is caught by qtp_deploy_check_wiring
 * before the run with the first difference named. Correct deployments pass it (every other
 * topology test checks it too, through topo_run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qtp_lang.h"
#include "topo_util.h"

struct plant {
    const char *expr;
    enum qtp_miswire how;
    const char *ring, *edge; /* the difference named over the ring / per-edge queues */
};

static const struct plant plants[] = {
    {"seq(fanout(stage(name=c1), stage(name=c2)), stage(name=c3))", QTP_MISWIRE_CHAIN_FANOUT,
     "c2 waits on c1; the topology says the producer", "c1 pushes to c2, c3; the topology says c3"},
    {"seq(stage(name=a), fanout(stage(name=b), stage(name=c)), stage(name=d))",
     QTP_MISWIRE_CHAIN_FANOUT, "c waits on b; the topology says a",
     "a pushes to b; the topology says b, c"},
    {"seq(stage(name=a), shard(stage(name=s), 2), stage(name=m))", QTP_MISWIRE_SHARD_RESIDUES,
     "s#0 handles positions 1 mod 2; the topology says 0 mod 2",
     "the queue a -> s#0 deals positions 0 mod 1 -> 1 mod 2; the topology says 0 mod 1 -> 0 mod 2"},
    {"seq(shard(stage(name=s), 4), stage(name=m))", QTP_MISWIRE_SHARD_RESIDUES,
     "s#0 handles positions 1 mod 4; the topology says 0 mod 4",
     "s#0 handles positions 1 mod 4; the topology says 0 mod 4"},
};

static void test_plants_caught(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(plants) / sizeof(plants[0]); k++) {
        struct qtp_topology t;
        struct qtp_parse_error pe;
        assert_int_equal(qtp_topo_parse(plants[k].expr, NULL, NULL, &t, &pe), 0);
        /* Not the spinning ring (config 0): up to five spinning threads on a loaded 2-core
         * machine take seconds per run, and the wiring is the same as with the other waits. */
        for (unsigned cfg = 1; cfg < TOPO_NCONFIGS; cfg++)
            for (unsigned plant = 0; plant < 2; plant++) {
                struct topo_run r = {0};
                topo_config(cfg, &r);
                r.ring_size = 16;
                r.batch = 2;
                r.warmup = 8;
                r.events = 400;
                r.seed = 7 + k;
                r.record_latency = true;
                r.miswire = plant ? plants[k].how : QTP_MISWIRE_NONE;
                assert_int_equal(topo_run(&t, &r), 0);
                const char *want = topo_config_is_ring(cfg) ? plants[k].ring : plants[k].edge;
                /* The outputs are the model's either way: only the wiring check tells. */
                bool ok = r.verified && r.wired == !plant && (!plant || strstr(r.wiring, want));
                if (!ok) {
                    print_error("%s over %s, planted %u: verified %d, wiring '%s' (want '%s'), "
                                "reason '%s'\n",
                                plants[k].expr, topo_config_name(cfg), plant, r.verified,
                                r.wired ? "ok" : r.wiring, want, r.reason);
                    fail();
                }
            }
        qtp_topology_fini(&t);
    }
}

/* An ungated ring is a wiring difference too (its producer may overrun every stage). */
static void test_ungated_named(void **state)
{
    (void)state;
    struct qtp_topology t;
    struct qtp_parse_error pe;
    assert_int_equal(qtp_topo_parse("stage(name=c1)", NULL, NULL, &t, &pe), 0);
    struct topo_run r = {.queue = "ring", .ring_size = 1024, .events = 10, .ungated = true};
    assert_int_equal(topo_run(&t, &r), 0);
    assert_false(r.wired);
    assert_string_equal(r.wiring, "the producer is gated on nothing; the topology says c1");
    qtp_topology_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plants_caught),
        cmocka_unit_test(test_ungated_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
