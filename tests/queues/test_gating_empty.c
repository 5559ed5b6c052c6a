/* queues_gating_empty: MULTI producers once the last gating stage has left (qtp_ring_remove_gating
 * emptied the gating set). They are then gated on each other's publications only (gating_min's
 * published frontier) and must never stop with room free, nor lap a slot still being written.
 *
 * - test_stale_gate (deterministic, single-threaded): the state a producer leaves when it is
 *   delayed between its gate refresh (gating_min) and its store of the shared cached gate (R2)
 *   while the other producers go on: cached_gate more than a lap behind the claim counter. The
 *   test writes that stale value into the ring's (internal) cached_gate itself; a claim must then
 *   still go through while every slot is published, and still be refused while one is not.
 * - the stress: 2 or 3 MULTI producers over rings of 2 and 4, one reader that reads a few events
 *   and leaves; rounds for a while per wait strategy. A round whose producers make no progress
 *   for STALL_S seconds fails (the ring is then force-halted so the test ends).
 *
 * Without arguments: test_stale_gate and the stress over yield and block, about a second each.
 * With a wait strategy (argv[1], with parameters if any): the stress over it alone. --long: 20x
 * as long; --seed N. Nothing here measures or asserts speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest_ring.h"

#define MAXP 3
#define LEAVE 7     /* the reader's "I am leaving" */
#define STALL_S 1.0 /* no claim for this long: stalled (a healthy round claims every few us) */

static uint64_t g_seed;
static double g_budget_s = 1.0; /* per wait strategy */
static const char *g_only;      /* argv[1]: the stress over this strategy alone */

/* Claim one event, fill it and publish it; returns its sequence. */
static int64_t pub1(struct qtp_ring *r)
{
    int64_t hi;
    assert_true(qtp_ring_try_claim(r, 1, &hi));
    *(uint64_t *)qtp_ring_slot(r, hi) = qt_mix((uint64_t)hi);
    qtp_ring_publish(r, hi, hi);
    return hi;
}

static void test_stale_gate(void **state)
{
    (void)state;
    enum { CAP = 4 };
    struct qtp_ring_config cfg = {CAP, sizeof(struct qt_event), QTP_PRODUCER_MULTI,
                                  qtp_wait_find("spin")};
    struct qtp_ring *r = NULL;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    struct qtp_seq rd;
    qtp_seq_init(&rd, QTP_SEQ_INITIAL);
    const struct qtp_seq *g[] = {&rd};
    assert_int_equal(qtp_ring_set_gating(r, g, 1), 0);
    for (int i = 0; i < CAP; i++)
        pub1(r);
    int64_t hi;
    assert_false(qtp_ring_try_claim(r, 1, &hi)); /* full against the reader */
    qtp_seq_set(&rd, 1);                         /* it reads 0..1 and leaves */
    assert_int_equal(qtp_ring_remove_gating(r, &rd), 0);
    for (int i = 0; i < 3 * CAP; i++) /* gated on the frontier only: laps on */
        pub1(r);
    int64_t c = qtp_ring_claimed(r);
    assert_int_equal(c, 4 * CAP - 1);
    assert_int_equal(qtp_ring_published(r), c);
    /* Stale gates a delayed producer can write back (how far behind the cursor): one from just
     * over a lap before (it read the frontier while the cursor was within a lap of it, and the
     * others claimed past it before its store), some laps older, and the initial -1 (a gate read
     * before the first claim). Slot (gate + 1) & mask has been reused by a later lap, so a
     * frontier scan that starts there stops at once. */
    const int64_t behind[] = {CAP + 1, 2 * CAP + 1, 3 * CAP, 0};
    for (size_t k = 0; k < sizeof behind / sizeof behind[0]; k++) {
        c = qtp_ring_claimed(r);
        int64_t gate = behind[k] ? c - behind[k] : -1;
        atomic_store_explicit(&r->cached_gate, gate, memory_order_release);
        /* Every slot is published and nobody gates: there is room. */
        if (!qtp_ring_try_claim(r, 1, &hi))
            fail_msg("cached gate %" PRId64 ", cursor %" PRId64 ", published %" PRId64
                     ", ring of %d, nobody gating: claim refused with room free",
                     gate, c, qtp_ring_published(r), CAP);
        assert_int_equal(hi, c + 1);
        qtp_ring_publish(r, hi, hi);
    }
    /* The frontier still gates: with c + 1 claimed and not published, claims stop a lap past
     * it, stale cached gate or not; publishing it lets the next one through. */
    c = qtp_ring_claimed(r);
    int64_t held;
    assert_true(qtp_ring_try_claim(r, 1, &held));
    for (int i = 1; i < CAP; i++)
        pub1(r);
    atomic_store_explicit(&r->cached_gate, c - 2 * CAP, memory_order_release);
    assert_false(qtp_ring_try_claim(r, 1, &hi)); /* would overwrite held's slot */
    assert_int_equal(qtp_ring_claimed(r), held + CAP - 1);
    qtp_ring_publish(r, held, held);
    assert_true(qtp_ring_try_claim(r, 1, &hi));
    assert_int_equal(hi, held + CAP);
    qtp_ring_publish(r, hi, hi);
    assert_int_equal(qtp_ring_published(r), hi);
    qtp_ring_destroy(r);
}

/* ---- the stress ---- */

struct leaver {
    struct qtp_processor p;
    struct qtp_ring *r;
    int64_t leave_at;
    int rc;
    int remove_rc;
};

static int leaver_handler(void *ctx, void *slot, int64_t seq, bool eob)
{
    (void)slot;
    (void)eob;
    const struct leaver *l = ctx;
    return seq == l->leave_at ? LEAVE : 0;
}

static void *leaver_main(void *arg)
{
    struct leaver *l = arg;
    l->rc = qtp_processor_run(&l->p);
    if (l->rc == LEAVE) /* from its own thread, after its last read */
        l->remove_rc = qtp_ring_remove_gating(l->r, &l->p.seq);
    return NULL;
}

/* One round; false (with *why set) when the producers stalled. */
static bool round_ok(const struct qtp_wait_spec *spec, uint64_t seed, char *why, size_t len)
{
    uint64_t rng = seed;
    uint32_t cap = qt_rand(&rng) % 2 ? 4 : 2;
    uint32_t nprod = 2 + (uint32_t)(qt_rand(&rng) % (MAXP - 1));
    uint32_t max_batch = qt_rand(&rng) % 2 ? cap : 1;
    uint64_t per = qt_scale(2000);
    struct qtp_ring_config cfg = {cap, sizeof(struct qt_event), QTP_PRODUCER_MULTI, spec->ops};
    struct qtp_ring *r = NULL;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    assert_int_equal(qtp_ring_set_wait_params(r, &spec->params), 0);
    static struct leaver l;
    memset(&l, 0, sizeof l);
    l.r = r;
    l.leave_at = (int64_t)(qt_rand(&rng) % (4 * cap)); /* early: a few laps in at most */
    struct qtp_barrier b;
    assert_int_equal(qtp_barrier_init(&b, r, NULL, 0), 0);
    qtp_processor_init(&l.p, &b, leaver_handler, &l, 0);
    const struct qtp_seq *g[] = {&l.p.seq};
    assert_int_equal(qtp_ring_set_gating(r, g, 1), 0);

    pthread_t tl, tp[MAXP];
    struct qt_producer prods[MAXP];
    assert_int_equal(pthread_create(&tl, NULL, leaver_main, &l), 0);
    for (uint32_t i = 0; i < nprod; i++) {
        prods[i] = (struct qt_producer){r, i, max_batch, g_seed, per, seed + i, 0, 0, 0};
        assert_int_equal(pthread_create(&tp[i], NULL, qt_producer_main, &prods[i]), 0);
    }
    bool joined[MAXP] = {false};
    uint32_t left = nprod;
    int64_t last = qtp_ring_claimed(r);
    double t_last = qt_now();
    bool stalled = false;
    while (left) {
        for (uint32_t i = 0; i < nprod; i++)
            if (!joined[i] && qt_join_within(tp[i], 0.002, NULL) == 0)
                joined[i] = true, left--;
        int64_t c = qtp_ring_claimed(r);
        if (c != last) {
            last = c;
            t_last = qt_now();
        } else if (left && qt_now() - t_last > STALL_S) {
            int64_t gate = atomic_load_explicit(&r->cached_gate, memory_order_acquire);
            snprintf(why, len,
                     "%s: %u MULTI producers, ring of %u, claims 1-%u, reader left at %" PRId64
                     ": stalled %.1f s with claimed %" PRId64 ", published %" PRId64
                     ", cached gate %" PRId64 " (%" PRId64 " behind)",
                     spec->ops->name, nprod, cap, max_batch, l.leave_at, STALL_S, c,
                     qtp_ring_published(r), gate, c - gate);
            stalled = true;
            qtp_ring_halt(r, QTP_HALT_FORCED); /* every wait returns: the round ends */
            for (uint32_t i = 0; i < nprod; i++)
                if (!joined[i])
                    assert_int_equal(qt_join_within(tp[i], 5.0, NULL), 0);
            break;
        }
    }
    qtp_ring_halt(r, QTP_HALT_GRACEFUL);
    assert_int_equal(qt_join_within(tl, 5.0, NULL), 0);
    if (!stalled) {
        for (uint32_t i = 0; i < nprod; i++) {
            assert_int_equal(prods[i].rc, 0);
            assert_int_equal(prods[i].done, per);
        }
        assert_int_equal(l.rc, LEAVE);
        assert_int_equal(l.remove_rc, 0);
        assert_int_equal(qtp_ring_claimed(r), (int64_t)(nprod * per) - 1);
        assert_int_equal(qtp_ring_published(r), (int64_t)(nprod * per) - 1);
    }
    qtp_ring_destroy(r);
    return !stalled;
}

static void stress(const char *wait)
{
    struct qtp_wait_spec spec;
    char err[256];
    if (qtp_wait_parse(wait, &spec, err, sizeof err) != 0)
        fail_msg("%s: %s", wait, err);
    double t0 = qt_now();
    unsigned rounds = 0, stalls = 0;
    char first[512] = "";
    while (qt_now() - t0 < g_budget_s) {
        char why[512];
        if (!round_ok(&spec, qt_mix(g_seed + rounds), why, sizeof why) && stalls++ == 0)
            snprintf(first, sizeof first, "%s", why);
        rounds++;
    }
    printf("  %-8s %u rounds, %u stalled\n", wait, rounds, stalls);
    fflush(stdout);
    if (stalls)
        fail_msg("%u of %u rounds stalled with room free; first: %s", stalls, rounds, first);
}

static void test_stress(void **state)
{
    stress(*state);
}

int main(int argc, char **argv)
{
    g_seed = qt_seed(argc, argv);
    if (qt_has_flag(argc, argv, "--long"))
        g_budget_s *= 20;
    if (argc >= 2 && argv[1][0] != '-')
        g_only = argv[1];
    if (g_only) {
        const struct CMUnitTest tests[] = {
            {"stress", test_stress, NULL, NULL, (void *)g_only},
        };
        return cmocka_run_group_tests_name("queues_gating_empty_stress", tests, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stale_gate),
        {"stress_yield", test_stress, NULL, NULL, (void *)"yield"},
        {"stress_block", test_stress, NULL, NULL, (void *)"block"},
    };
    return cmocka_run_group_tests_name("queues_gating_empty", tests, NULL, NULL);
}
