/* Halt while threads wait, in each wait strategy: a consumer waiting on an empty ring (forced and
 * graceful), graceful drain of a pipeline, forced stop mid-stream, a dependent consumer and a
 * producer on a full ring really sleeping under block, a producer blocked on a full ring. Every
 * stop must come within 1 s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest_ring.h"

#define PROMPT_S 1.0 /* a halted waiter returns within this */

/* Every row of the wait table, with its defaults. */
#define WAIT(i) (qtp_wait_strategies[i].name)
static int nwaits(void)
{
    int n = 0;
    while (WAIT(n))
        n++;
    return n;
}
#define NWAITS nwaits()

static struct qtp_ring *make_ring(uint32_t cap, enum qtp_producer_kind k, const char *wait)
{
    struct qtp_ring_config cfg = {cap, sizeof(uint64_t), k, qtp_wait_find(wait)};
    struct qtp_ring *r = NULL;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    return r;
}

/* Wait (up to 5 s) until n threads sleep (block, phased: in the cond wait; sleep: napping);
 * spin/yield have no sleepers, so give the thread a moment to reach its wait. */
static void wait_sleepers(struct qtp_ring *r, const char *wait, int n)
{
    if (strcmp(wait, "spin") == 0 || strcmp(wait, "yield") == 0) {
        qt_sleep_ms(30);
        return;
    }
    double t0 = qt_now();
    while (atomic_load(&qtp_ring_waiter(r)->sleepers) < n) {
        if (qt_now() - t0 > 5.0)
            fail_msg("expected %d sleeper(s), have %d", n,
                     atomic_load(&qtp_ring_waiter(r)->sleepers));
        qt_sleep_ms(1);
    }
}

struct consumer {
    struct qtp_processor p;
    int rc;
    atomic_int in_handler; /* set on entering the handler (test sync) */
    atomic_int handled;
    atomic_int hold;   /* handler waits while set (test controls progress) */
    unsigned delay_ms; /* per event */
    atomic_int bad;    /* events out of order or wrong */
};

static int consumer_handler(void *ctx, void *slot, int64_t seq, bool eob)
{
    (void)eob;
    struct consumer *c = ctx;
    atomic_store(&c->in_handler, 1);
    while (atomic_load(&c->hold))
        qt_sleep_ms(1);
    if (c->delay_ms)
        qt_sleep_ms(c->delay_ms);
    if (*(uint64_t *)slot != qt_mix((uint64_t)seq) || seq != atomic_load(&c->handled))
        atomic_fetch_add(&c->bad, 1);
    atomic_fetch_add(&c->handled, 1);
    return 0;
}

static void *consumer_main(void *arg)
{
    struct consumer *c = arg;
    c->rc = qtp_processor_run(&c->p);
    return NULL;
}

static void consumer_init(struct consumer *c, struct qtp_ring *r, const struct qtp_seq *const *deps,
                          size_t ndeps, uint32_t max_batch)
{
    memset(c, 0, sizeof(*c));
    struct qtp_barrier b;
    assert_int_equal(qtp_barrier_init(&b, r, deps, ndeps), 0);
    qtp_processor_init(&c->p, &b, consumer_handler, c, max_batch);
    c->rc = -1;
}

/* Poll (up to 5 s, the machine may be busy) until *v reaches n. */
static void wait_count(atomic_int *v, int n, const char *what)
{
    double t0 = qt_now();
    while (atomic_load(v) < n) {
        if (qt_now() - t0 > 5.0)
            fail_msg("%s: %d after 5 s, expected %d", what, atomic_load(v), n);
        qt_sleep_ms(1);
    }
}

static void join_prompt(pthread_t t, double since, const char *what, const char *wait)
{
    if (qt_join_within(t, 5.0, NULL) != 0)
        fail_msg("%s (%s) did not stop within 5 s of the halt", what, wait);
    double dt = qt_now() - since;
    if (dt > PROMPT_S)
        fail_msg("%s (%s) stopped %.3f s after the halt (limit %.1f s)", what, wait, dt, PROMPT_S);
}

/* A consumer waiting on an empty ring stops at once, forced or graceful. */
static void test_consumer_waiting_halt(void **state)
{
    (void)state;
    for (int w = 0; w < NWAITS; w++) {
        for (int mode = 0; mode < 2; mode++) {
            for (int k = 0; k < 2; k++) {
                struct qtp_ring *r =
                    make_ring(8, k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, WAIT(w));
                struct consumer c;
                consumer_init(&c, r, NULL, 0, 0);
                const struct qtp_seq *g[] = {&c.p.seq};
                qtp_ring_set_gating(r, g, 1);
                pthread_t t;
                assert_int_equal(pthread_create(&t, NULL, consumer_main, &c), 0);
                qt_publish_n(r, 3);
                wait_count(&c.handled, 3, "events handled");
                wait_sleepers(r, WAIT(w), 1);
                double t0 = qt_now();
                qtp_ring_halt(r, mode ? QTP_HALT_FORCED : QTP_HALT_GRACEFUL);
                join_prompt(t, t0, "waiting consumer", WAIT(w));
                assert_int_equal(c.rc, 0);
                assert_int_equal(atomic_load(&c.bad), 0);
                assert_int_equal(qtp_seq_get(&c.p.seq), 2);
                qtp_ring_destroy(r);
            }
        }
    }
}

/* Graceful: a slow pipeline C1 -> C2 on a small ring drains everything published before it
 * stops, although the halt comes while most events are still queued. */
static void test_graceful_drains(void **state)
{
    (void)state;
    for (int w = 0; w < NWAITS; w++) {
        for (int k = 0; k < 2; k++) {
            struct qtp_ring *r =
                make_ring(4, k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, WAIT(w));
            struct consumer c1, c2;
            consumer_init(&c1, r, NULL, 0, 0);
            const struct qtp_seq *d[] = {&c1.p.seq};
            consumer_init(&c2, r, d, 1, 1);
            c1.delay_ms = 1;
            const struct qtp_seq *g[] = {&c2.p.seq};
            qtp_ring_set_gating(r, g, 1);
            pthread_t t1, t2;
            assert_int_equal(pthread_create(&t1, NULL, consumer_main, &c1), 0);
            assert_int_equal(pthread_create(&t2, NULL, consumer_main, &c2), 0);
            qt_publish_n(r, 12); /* three times the ring: the producer waits for room */
            qtp_ring_halt(r, QTP_HALT_GRACEFUL);
            assert_int_not_equal(qt_join_within(t1, 10.0, NULL), ETIMEDOUT);
            assert_int_not_equal(qt_join_within(t2, 10.0, NULL), ETIMEDOUT);
            assert_int_equal(c1.rc, 0);
            assert_int_equal(c2.rc, 0);
            assert_int_equal(atomic_load(&c1.handled), 12);
            assert_int_equal(atomic_load(&c2.handled), 12);
            assert_int_equal(atomic_load(&c1.bad) + atomic_load(&c2.bad), 0);
            assert_int_equal(qtp_seq_get(&c2.p.seq), 11);
            qtp_ring_destroy(r);
        }
    }
}

/* Forced: a consumer stops at its batch boundary although events remain. */
static void test_forced_stops_at_once(void **state)
{
    (void)state;
    for (int w = 0; w < NWAITS; w++) {
        struct qtp_ring *r = make_ring(8, QTP_PRODUCER_SINGLE, WAIT(w));
        struct consumer c;
        consumer_init(&c, r, NULL, 0, 1);
        atomic_store(&c.hold, 1);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, consumer_main, &c), 0);
        qt_publish_n(r, 8);
        qt_sleep_ms(10); /* the consumer is inside the handler of event 0 */
        double t0 = qt_now();
        qtp_ring_halt(r, QTP_HALT_FORCED);
        atomic_store(&c.hold, 0);
        join_prompt(t, t0, "consumer with events left", WAIT(w));
        assert_int_equal(c.rc, 0);
        assert_true(atomic_load(&c.handled) <= 1);
        qtp_ring_destroy(r);
    }
}

/* Block really sleeps: a dependent consumer (C2 on C1 held in its handler) and C1 on an empty
 * ring; then everything moves on when C1 is released, and graceful halt ends both. */
static void test_dependent_sleeps(void **state)
{
    (void)state;
    for (int w = 0; w < NWAITS; w++) {
        struct qtp_ring *r = make_ring(8, QTP_PRODUCER_SINGLE, WAIT(w));
        struct consumer c1, c2;
        consumer_init(&c1, r, NULL, 0, 0);
        const struct qtp_seq *d[] = {&c1.p.seq};
        consumer_init(&c2, r, d, 1, 0);
        atomic_store(&c1.hold, 1);
        pthread_t t1, t2;
        assert_int_equal(pthread_create(&t1, NULL, consumer_main, &c1), 0);
        assert_int_equal(pthread_create(&t2, NULL, consumer_main, &c2), 0);
        qt_publish_n(r, 2);
        wait_count(&c1.in_handler, 1, "C1 in its handler");
        wait_sleepers(r, WAIT(w), 1); /* C2: C1 is in its handler, not waiting */
        assert_int_equal(atomic_load(&c2.handled), 0);
        atomic_store(&c1.hold, 0);
        wait_count(&c2.handled, 2, "C2 woken by C1's progress");
        wait_sleepers(r, WAIT(w), 2); /* both now wait for the producer */
        double t0 = qt_now();
        qtp_ring_halt(r, QTP_HALT_GRACEFUL);
        join_prompt(t1, t0, "C1", WAIT(w));
        join_prompt(t2, t0, "C2", WAIT(w));
        assert_int_equal(atomic_load(&c1.bad) + atomic_load(&c2.bad), 0);
        qtp_ring_destroy(r);
    }
}

struct claimer {
    struct qtp_ring *r;
    uint32_t n;
    int rc;
    int64_t hi;
};

static void *claimer_main(void *arg)
{
    struct claimer *c = arg;
    c->rc = qtp_ring_claim(c->r, c->n, &c->hi);
    return NULL;
}

/* A producer blocked on a full ring: halting (either mode) returns ECANCELED at once, nothing
 * claimed; without a halt, the gating stage moving (and signalling) lets it through. */
static void test_producer_blocked_full(void **state)
{
    (void)state;
    for (int w = 0; w < NWAITS; w++) {
        for (int k = 0; k < 2; k++) {
            for (int mode = 0; mode < 3; mode++) {
                struct qtp_ring *r =
                    make_ring(4, k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, WAIT(w));
                struct qtp_seq gate;
                qtp_seq_init(&gate, QTP_SEQ_INITIAL);
                const struct qtp_seq *g[] = {&gate};
                qtp_ring_set_gating(r, g, 1);
                qt_publish_n(r, 4);
                struct claimer c = {r, 2, -1, -7};
                pthread_t t;
                assert_int_equal(pthread_create(&t, NULL, claimer_main, &c), 0);
                wait_sleepers(r, WAIT(w), 1);
                assert_int_equal(c.rc, -1);
                double t0 = qt_now();
                if (mode == 2) {
                    qtp_seq_set(&gate, 0);
                    qtp_ring_signal(r); /* room for one: still blocked (wants two) */
                    qt_sleep_ms(20);
                    assert_int_equal(c.rc, -1);
                    t0 = qt_now();
                    qtp_seq_set(&gate, 1);
                    qtp_ring_signal(r);
                } else {
                    qtp_ring_halt(r, mode ? QTP_HALT_FORCED : QTP_HALT_GRACEFUL);
                }
                join_prompt(t, t0, "blocked producer", WAIT(w));
                if (mode == 2) {
                    assert_int_equal(c.rc, 0);
                    assert_int_equal(c.hi, 5);
                } else {
                    assert_int_equal(c.rc, ECANCELED);
                    assert_int_equal(c.hi, -7);
                    assert_int_equal(qtp_ring_claimed(r), 3);
                }
                qtp_ring_destroy(r);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumer_waiting_halt), cmocka_unit_test(test_graceful_drains),
        cmocka_unit_test(test_forced_stops_at_once),  cmocka_unit_test(test_dependent_sleeps),
        cmocka_unit_test(test_producer_blocked_full),
    };
    return cmocka_run_group_tests_name("queues_halt", tests, NULL, NULL);
}
