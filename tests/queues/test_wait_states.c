/* Wake from every wait state: each phase of each wait strategy (sleep's spin, yield and nap,
 * phased's spin, yield and block, with parameters that hold a waiter in one phase), for a
 * consumer on an empty ring, a dependent consumer whose upstream never moves, and a producer on
 * a full ring; forced and graceful halt, and (for the producer) removing the gating sequence it
 * waits for; single and multi producer. Every waiter must return within PROMPT_S, also from a
 * 10 s nap: a halt or a removal cuts a nap short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest_ring.h"

#define PROMPT_S 1.0

struct state {
    const char *spec;
    bool sleeps; /* the waiter is counted in sleepers once it is there */
};

/* Parameters pin the phase: 10^9 spins or yields, 10 s of spin or yield, outlast the test. */
static const struct state states[] = {
    {"spin", false},
    {"yield", false},
    {"yield:spins=0", false},
    {"yield:spins=1000000000", false},
    {"block", true},
    {"sleep:spins=1000000000,yields=0", false},
    {"sleep:spins=0,yields=1000000000", false},
    {"sleep:spins=0,yields=0,nap=10s", true},
    {"sleep", true},
    {"phased:spin=10s,yield=0ns", false},
    {"phased:spin=0ns,yield=10s", false},
    {"phased:spin=0ns,yield=0ns", true},
    {"phased", true},
};
#define NSTATES (sizeof states / sizeof states[0])

enum waiter { CONSUMER, DEPENDENT, PRODUCER };
static const char *const waiter_names[] = {
    "consumer on an empty ring", "consumer on a stalled upstream", "producer on a full ring"};

struct waiting {
    struct qtp_ring *r;
    enum waiter kind;
    struct qtp_processor p;
    atomic_int handled;
    int64_t hi; /* the producer's claim */
    int rc;
};

static int count_handler(void *ctx, void *slot, int64_t seq, bool eob)
{
    (void)slot;
    (void)seq;
    (void)eob;
    atomic_fetch_add(&((struct waiting *)ctx)->handled, 1);
    return 0;
}

static void *waiter_main(void *arg)
{
    struct waiting *w = arg;
    if (w->kind == PRODUCER) {
        w->rc = qtp_ring_claim(w->r, 1, &w->hi);
    } else {
        w->rc = qtp_processor_run(&w->p);
    }
    return NULL;
}

/* Until the waiter is in its wait: counted as a sleeper, or (when it never sleeps) a moment
 * after its last event. */
static void until_waiting(struct waiting *w, const struct state *st)
{
    double t0 = qt_now();
    if (w->kind == CONSUMER)
        while (atomic_load(&w->handled) < 3) {
            if (qt_now() - t0 > 5.0)
                fail_msg("%s: consumer handled %d of 3 events", st->spec, atomic_load(&w->handled));
            qt_sleep_ms(1);
        }
    if (!st->sleeps) {
        qt_sleep_ms(30);
        return;
    }
    while (atomic_load(&qtp_ring_waiter(w->r)->sleepers) < 1) {
        if (qt_now() - t0 > 5.0)
            fail_msg("%s, %s: not asleep after 5 s", st->spec, waiter_names[w->kind]);
        qt_sleep_ms(1);
    }
}

enum action { GRACEFUL, FORCED, REMOVE };
static const char *const action_names[] = {"graceful halt", "forced halt", "gating removed"};

static void wake_one(const struct state *st, enum waiter kind, enum action act,
                     enum qtp_producer_kind pk)
{
    struct qtp_wait_spec spec;
    char err[256];
    assert_int_equal(qtp_wait_parse(st->spec, &spec, err, sizeof err), 0);
    struct qtp_ring_config cfg = {4, sizeof(uint64_t), pk, spec.ops};
    static struct waiting w;
    memset(&w, 0, sizeof w);
    w.kind = kind;
    w.rc = -1;
    assert_int_equal(qtp_ring_create(&w.r, &cfg), 0);
    assert_int_equal(qtp_ring_set_wait_params(w.r, &spec.params), 0);
    struct qtp_seq upstream; /* never moves */
    qtp_seq_init(&upstream, QTP_SEQ_INITIAL);
    const struct qtp_seq *dep[] = {&upstream};
    struct qtp_barrier b;
    assert_int_equal(qtp_barrier_init(&b, w.r, dep, kind == DEPENDENT ? 1 : 0), 0);
    qtp_processor_init(&w.p, &b, count_handler, &w, 0);
    const struct qtp_seq *gate[] = {kind == PRODUCER ? &upstream : &w.p.seq};
    assert_int_equal(qtp_ring_set_gating(w.r, gate, 1), 0);
    /* Published before the waiter starts: sleep's publishers do not wake a napper, so a
     * consumer already napping would see the events only after its (10 s) nap. */
    qt_publish_n(w.r, kind == PRODUCER ? 4 : kind == CONSUMER ? 3 : 0); /* PRODUCER: full */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
    until_waiting(&w, st);
    assert_int_equal(w.rc, -1); /* still waiting */
    double t0 = qt_now();
    if (act == REMOVE)
        assert_int_equal(qtp_ring_remove_gating(w.r, gate[0]), 0);
    else
        qtp_ring_halt(w.r, act == FORCED ? QTP_HALT_FORCED : QTP_HALT_GRACEFUL);
    const char *how = action_names[act];
    if (qt_join_within(t, 10.0, NULL) != 0)
        fail_msg("%s, %s, %s: no return within 10 s", st->spec, waiter_names[kind], how);
    double dt = qt_now() - t0;
    if (dt > PROMPT_S)
        fail_msg("%s, %s, %s: returned after %.3f s (limit %.1f s)", st->spec, waiter_names[kind],
                 how, dt, PROMPT_S);
    assert_int_equal(w.rc, kind != PRODUCER ? 0 : act == REMOVE ? 0 : ECANCELED);
    if (kind == CONSUMER)
        assert_int_equal(qtp_seq_get(&w.p.seq), 2);
    if (act == REMOVE)
        assert_int_equal(w.hi, 4);
    qtp_ring_destroy(w.r);
}

static void test_halt_every_state(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSTATES; s++)
        for (int kind = CONSUMER; kind <= PRODUCER; kind++)
            for (int act = GRACEFUL; act <= FORCED; act++)
                for (int pk = 0; pk < 2; pk++)
                    wake_one(&states[s], (enum waiter)kind, (enum action)act,
                             pk ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE);
}

/* A producer waiting for room only because of a gating sequence that never moves goes on as
 * soon as that sequence is removed, from every wait state. */
static void test_remove_wakes_every_state(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSTATES; s++)
        for (int pk = 0; pk < 2; pk++)
            wake_one(&states[s], PRODUCER, REMOVE, pk ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halt_every_state),
        cmocka_unit_test(test_remove_wakes_every_state),
    };
    return cmocka_run_group_tests_name("queues_wait_states", tests, NULL, NULL);
}
