/* topo_broker: seed 002's n-m broker. Every queue configuration but busy spin (its threads
 * outnumber the PUs), rings of 2 and 4 (they wrap all the time), fixed and random claim sizes,
 * with and without opt-outs, each run checked against the model that knows the plan; a reader
 * that opts out un-gates the producers (they finish although it never moves again); a graceful
 * shutdown while the readers sleep (the forced one is topo_halt's); the plan's text and its bad
 * input. Under TSan and ASan with fewer events. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "deploy_internal.h" /* the producers' claim sizes (qtp__batch_at) */
#include "topo_util.h"

static const uint64_t EVENTS = TOPO_SANITIZED ? 300 : 3000;

static void build(unsigned producers, unsigned readers, struct qtp_topology *t)
{
    struct qtp_topo_params p = {.producers = producers, .readers = readers, .payload = 16};
    assert_int_equal(qtp_topology_find("broker")->build(&p, t), 0);
}

static void plan(const char *text, const struct qtp_topology *t, struct qtp_opt_out *out)
{
    char err[200] = "";
    if (qtp_opt_out_parse(text, t, out, err, sizeof err))
        fail_msg("%s: %s", text, err);
}

/* One run that must verify; what went wrong otherwise. */
static void run_ok(const struct qtp_topology *t, unsigned cfg, uint32_t ring, uint32_t batch,
                   uint32_t batch_max, const struct qtp_opt_out *oo, const char *what)
{
    struct topo_run r = {0};
    topo_config(cfg, &r);
    r.ring_size = ring;
    r.batch = batch;
    r.batch_max = batch_max;
    r.opt_out = oo;
    r.warmup = EVENTS / 10;
    r.events = EVENTS;
    r.seed = 7;
    r.record_latency = true;
    r.timeout_s = 120;
    int rc = topo_run(t, &r);
    if (rc || !r.verified)
        fail_msg("broker P=%u M=%u over %s, ring %u, claims %u-%u, %s: rc %d, %s (%s)",
                 t->producers, t->nterminals, topo_config_name(cfg), ring, batch,
                 batch_max ? batch_max : batch, what, rc, r.reason, r.progress);
}

static void test_matrix(void **state)
{
    (void)state;
    static const char *const plans[] = {"none", "reader:2@30%,producer:1@50%",
                                        "reader:1@0%,reader:3@100%,producer:2@0%"};
    struct qtp_topology t;
    build(2, 3, &t);
    unsigned runs = 0;
    for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++)
        for (uint32_t ring = 2; ring <= 4 && !topo_config_spins_over(cfg, t.nthreads); ring *= 2)
            for (int random = 0; random < 2; random++)
                for (size_t k = 0; k < sizeof plans / sizeof plans[0]; k++) {
                    struct qtp_opt_out oo;
                    plan(plans[k], &t, &oo);
                    run_ok(&t, cfg, ring, 1, random ? ring : 0, &oo, plans[k]);
                    runs++;
                }
    printf("  %u broker runs verified\n", runs);
    qtp_topology_fini(&t);
}

/* The default shape (4 publishers, 6 readers) with random claims up to 64, every reader's and
 * producer's opt-out at once somewhere in its stream. */
static void test_default_shape(void **state)
{
    (void)state;
    struct qtp_topology t;
    build(0, 0, &t);
    assert_int_equal(t.producers, 4);
    assert_int_equal(t.nterminals, 6);
    struct qtp_opt_out oo;
    plan("reader:1@5%,reader:4@60%,reader:6@99%,producer:3@20%,producer:4@75%", &t, &oo);
    for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++) {
        if (topo_config_spins_over(cfg, t.nthreads))
            continue;
        run_ok(&t, cfg, 256, 1, 64, NULL, "no opt-out");
        run_ok(&t, cfg, 256, 1, 64, &oo, "five opt-outs");
    }
    qtp_topology_fini(&t);
}

/* The only reader leaves early and never reads again: over a ring of 4 the producers would wait
 * for it forever if it still gated them; they must publish everything and the run verify. */
static void test_opt_out_ungates(void **state)
{
    (void)state;
    struct qtp_topology t;
    build(2, 1, &t);
    struct qtp_opt_out oo;
    plan("reader:1@10%", &t, &oo);
    for (unsigned cfg = 1; cfg < TOPO_NCONFIGS; cfg++) {
        struct topo_run r = {0};
        topo_config(cfg, &r);
        r.ring_size = 4;
        r.batch = 1;
        r.opt_out = &oo;
        r.warmup = 0;
        r.events = EVENTS * 4;
        r.seed = 3;
        r.timeout_s = 60;
        int rc = topo_run(&t, &r);
        if (rc || !r.verified || r.watchdog_fired)
            fail_msg("%s: rc %d, %s (%s)", topo_config_name(cfg), rc, r.reason, r.progress);
        /* Every event of both producers was published, past the 4 slots the reader left. */
        assert_int_equal(r.events_done, 2 * r.events);
        printf("  %-12s the producers published %" PRIu64 " events after the reader left\n",
               topo_config_name(cfg), r.events_done - 2 * r.events / 10);
    }
    qtp_topology_fini(&t);
}

/* Seed 002's graceful shutdown while the readers sleep: paced publishers leave every reader in
 * its wait (block's condition variable, sleep's nap, phased's fallback) between events, so the
 * last producer's graceful stop must wake them (a lost wake-up would hang until the watchdog);
 * they drain what was published, the run verifies, and the drain is measured. */
static void test_graceful_while_asleep(void **state)
{
    (void)state;
    struct qtp_topology t;
    build(2, 3, &t);
    for (unsigned cfg = 2; cfg < TOPO_NCONFIGS;
         cfg++) { /* block, the mutex queues, sleep, phased */
        struct topo_run r = {0};
        topo_config(cfg, &r);
        r.ring_size = 64;
        r.batch = 1;
        r.warmup = 10;
        r.events = 200;
        r.rate = 2000;
        r.seed = 11;
        r.timeout_s = 60;
        int rc = topo_run(&t, &r);
        if (rc || !r.verified || r.watchdog_fired || r.res.drain_ns == 0 ||
            r.res.drain_ns > 5000000000ull)
            fail_msg("%s: rc %d, drain %" PRIu64 " ns, %s (%s)", topo_config_name(cfg), rc,
                     r.res.drain_ns, r.reason, r.progress);
        printf("  %-12s readers asleep: drained and joined %.1f us after the last stop\n",
               topo_config_name(cfg), (double)r.res.drain_ns / 1e3);
    }
    qtp_topology_fini(&t);
}

/* --batch A-B: each claim's size is in A..B, every size of the range comes up, the sizes are
 * the same for the same seed and producer (a rep is reproducible) and differ between producers
 * and seeds; claims are cut at the warm-up boundary and at the producer's end. */
static void claims(uint64_t seed, unsigned producer, uint32_t *out, size_t n)
{
    struct qtp_deploy d;
    memset(&d, 0, sizeof d);
    d.cfg.seed = seed;
    d.cfg.warmup = 100;
    d.total = 1u << 30;
    d.batch = 1;
    d.batch_span = 64;
    for (unsigned p = 0; p < QTP_TOPO_MAX_PRODUCERS; p++)
        d.stop_after[p] = d.total;
    struct qtp__pacer pc;
    qtp__pacer_init(&d, &pc, producer);
    uint64_t next = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = qtp__batch_at(&d, &pc, next);
        if (next < 100)
            assert_true(next + out[i] <= 100); /* never straddles the warm-up boundary */
        next += out[i];
    }
}

static void test_random_claims(void **state)
{
    (void)state;
    enum { N = 4000 };
    static uint32_t a[N], b[N], c[N], e[N];
    claims(1, 0, a, N);
    claims(1, 0, b, N);
    claims(1, 1, c, N);
    claims(2, 0, e, N);
    assert_memory_equal(a, b, sizeof a);
    assert_true(memcmp(a, c, sizeof a) != 0);
    assert_true(memcmp(a, e, sizeof a) != 0);
    bool seen[65] = {false};
    for (size_t i = 10; i < N; i++) { /* past the warm-up's cut claims */
        assert_true(a[i] >= 1 && a[i] <= 64);
        seen[a[i]] = true;
    }
    for (unsigned s = 1; s <= 64; s++)
        assert_true(seen[s]);
}

static void test_plan_text(void **state)
{
    (void)state;
    struct qtp_topology t;
    build(4, 6, &t);
    struct qtp_opt_out oo;
    char err[200];
    assert_int_equal(qtp_opt_out_parse("reader:2@30%,producer:1@50%", &t, &oo, err, sizeof err), 0);
    assert_int_equal(oo.n, 2);
    assert_false(oo.item[0].producer);
    assert_int_equal(oo.item[0].index, 2);
    assert_int_equal(oo.item[0].pct, 30);
    assert_true(oo.item[1].producer);
    assert_int_equal(qtp_opt_out_parse("none", &t, &oo, err, sizeof err), 0);
    assert_int_equal(oo.n, 0);
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"reader:7@30%", "opt-out item 'reader:7@30%': index 7 out of range (accepted: 1..6)"},
        {"producer:0@30%", "opt-out item 'producer:0@30%': index 0 out of range (accepted: 1..4)"},
        {"reader:2@101%", "opt-out item 'reader:2@101%': 101% is over 100% (accepted: 0..100)"},
        {"reader:2@30", "opt-out item 'reader:2@30' is not WHO:INDEX@PERCENT% (accepted: none, "
                        "or reader:K@X% and producer:J@Y% items, comma-separated)"},
        {"reader:2@30%,reader:2@40%",
         "opt-out item 'reader:2@40%' repeats who it names (accepted: each reader and producer "
         "once)"},
        {"reader:2@30%,", "opt-out 'reader:2@30%,': empty or overlong item (accepted: none, or "
                          "reader:K@X% and producer:J@Y% items, comma-separated)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(qtp_opt_out_parse(bad[i].text, &t, &oo, err, sizeof err), EINVAL);
        assert_string_equal(err, bad[i].msg);
    }
    qtp_topology_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_text),       cmocka_unit_test(test_random_claims),
        cmocka_unit_test(test_opt_out_ungates), cmocka_unit_test(test_graceful_while_asleep),
        cmocka_unit_test(test_matrix),          cmocka_unit_test(test_default_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
