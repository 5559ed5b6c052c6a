/* qtp_ring_remove_gating: its errors and bookkeeping (single-threaded), and that a departed
 * reader un-gates the producers: the producers finish although the reader never moves again,
 * whether it stalls, then leaves itself (from its own thread) or never runs and is removed by
 * another thread. Every wait strategy, single producer and two producers, rings of 2 and 4
 * (every claim wraps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest.h"
#include "qtp_ring.h"

#define LEAVE 7 /* a handler's "I am leaving" */
#define NPROD_MP 2
#define PER_PRODUCER 3000

static struct qtp_ring *make_ring(uint32_t cap, enum qtp_producer_kind k, const char *wait)
{
    struct qtp_ring_config cfg = {cap, sizeof(uint64_t), k, qtp_wait_find(wait)};
    struct qtp_ring *r = NULL;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    return r;
}

static void claim_publish(struct qtp_ring *r, int n)
{
    for (int i = 0; i < n; i++) {
        int64_t hi;
        assert_int_equal(qtp_ring_claim(r, 1, &hi), 0);
        qtp_ring_publish(r, hi, hi);
    }
}

static void test_remove_bookkeeping(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        enum qtp_producer_kind pk = k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE;
        struct qtp_ring *r = make_ring(4, pk, "spin");
        struct qtp_seq a, b, c;
        qtp_seq_init(&a, QTP_SEQ_INITIAL);
        qtp_seq_init(&b, QTP_SEQ_INITIAL);
        qtp_seq_init(&c, QTP_SEQ_INITIAL);
        const struct qtp_seq *g[] = {&a, &b};
        assert_int_equal(qtp_ring_set_gating(r, g, 2), 0);
        assert_int_equal(qtp_ring_remove_gating(r, NULL), EINVAL);
        assert_int_equal(qtp_ring_remove_gating(NULL, &a), EINVAL);
        assert_int_equal(qtp_ring_remove_gating(r, &c), ENOENT);
        claim_publish(r, 4);
        int64_t hi;
        assert_false(qtp_ring_try_claim(r, 1, &hi)); /* full: a and b at -1 */
        assert_int_equal(qtp_ring_remove_gating(r, &a), 0);
        assert_int_equal(qtp_ring_remove_gating(r, &a), ENOENT);
        assert_false(qtp_ring_try_claim(r, 1, &hi)); /* b still gates */
        qtp_seq_set(&b, 1);
        assert_true(qtp_ring_try_claim(r, 2, &hi)); /* b's room, whatever a says */
        assert_int_equal(hi, 5);
        qtp_ring_publish(r, 4, 5);
        assert_false(qtp_ring_try_claim(r, 1, &hi));
        /* Without gating sequences left, nothing gates: far past a capacity. */
        assert_int_equal(qtp_ring_remove_gating(r, &b), 0);
        claim_publish(r, 100);
        assert_int_equal(qtp_ring_claimed(r), 105);
        /* set_gating starts a new set, with nothing removed. */
        qtp_seq_set(&a, 105);
        assert_int_equal(qtp_ring_set_gating(r, g, 1), 0);
        claim_publish(r, 4);
        assert_false(qtp_ring_try_claim(r, 1, &hi));
        /* A sequence named twice leaves at once. */
        const struct qtp_seq *twice[] = {&a, &c, &a};
        assert_int_equal(qtp_ring_set_gating(r, twice, 3), 0);
        qtp_seq_set(&c, INT64_MAX / 2);
        assert_false(qtp_ring_try_claim(r, 1, &hi));
        assert_int_equal(qtp_ring_remove_gating(r, &a), 0);
        assert_true(qtp_ring_try_claim(r, 1, &hi));
        assert_int_equal(qtp_ring_remove_gating(r, &a), ENOENT);
        qtp_ring_destroy(r);
    }
}

struct reader {
    struct qtp_processor p;
    struct qtp_ring *r;
    uint32_t nprod;
    int64_t leave_at; /* leave on reaching this sequence (-1: stay to the end) */
    uint64_t next[NPROD_MP];
    uint64_t count;
    uint64_t errors;
    bool gated;    /* the leaver saw the producers wait for it before it left */
    int remove_rc; /* what its qtp_ring_remove_gating returned */
    int rc;
};

/* True once the producers wait for room the reader owning s does not give: the ring is full
 * against s and stays so (s does not move meanwhile). False after 5 s. */
static bool wait_gated(struct qtp_ring *r, const struct qtp_seq *s)
{
    double t0 = qt_now();
    int64_t want = qtp_seq_get(s) + (int64_t)qtp_ring_capacity(r);
    while (qtp_ring_claimed(r) != want) {
        if (qt_now() - t0 > 5.0)
            return false;
        qt_sleep_ms(1);
    }
    qt_sleep_ms(10);
    return qtp_ring_claimed(r) == want;
}

/* Events are (producer << 32 | index). Per-producer order, nothing lost or duplicated. */
static int reader_handler(void *ctx, void *slot, int64_t seq, bool eob)
{
    (void)eob;
    struct reader *rd = ctx;
    if (seq == rd->leave_at) {
        /* Stall until the producers wait for us, then leave. */
        rd->gated = wait_gated(rd->r, &rd->p.seq);
        return LEAVE;
    }
    uint64_t v = *(uint64_t *)slot;
    uint32_t pr = (uint32_t)(v >> 32);
    if (pr >= rd->nprod || (v & 0xffffffffu) != rd->next[pr])
        rd->errors++;
    else
        rd->next[pr]++;
    rd->count++;
    return 0;
}

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    rd->rc = qtp_processor_run(&rd->p);
    /* Leaving: from our own thread, after our last read. */
    if (rd->rc == LEAVE)
        rd->remove_rc = qtp_ring_remove_gating(rd->r, &rd->p.seq);
    return NULL;
}

struct producer {
    struct qtp_ring *r;
    uint32_t id;
    int rc;
};

static void *producer_main(void *arg)
{
    struct producer *p = arg;
    for (uint64_t i = 0; i < PER_PRODUCER; i++) {
        int64_t hi;
        if ((p->rc = qtp_ring_claim(p->r, 1, &hi)) != 0)
            return NULL;
        *(uint64_t *)qtp_ring_slot(p->r, hi) = (uint64_t)p->id << 32 | i;
        qtp_ring_publish(p->r, hi, hi);
    }
    return NULL;
}

static void reader_init(struct reader *rd, struct qtp_ring *r, uint32_t nprod, int64_t leave_at)
{
    memset(rd, 0, sizeof *rd);
    rd->r = r;
    rd->nprod = nprod;
    rd->leave_at = leave_at;
    struct qtp_barrier b;
    assert_int_equal(qtp_barrier_init(&b, r, NULL, 0), 0);
    qtp_processor_init(&rd->p, &b, reader_handler, rd, 0);
}

/* ghost: the departed reader never runs at all and the main thread removes it; else it reads
 * up to its leave point, stalls there, and removes itself. */
static void ungate_one(const char *wait, enum qtp_producer_kind pk, uint32_t cap, bool ghost)
{
    char what[96];
    snprintf(what, sizeof what, "%s %s cap %u %s", wait, pk ? "MP" : "SP", cap,
             ghost ? "never-started reader" : "reader leaving at 5");
    uint32_t nprod = pk == QTP_PRODUCER_MULTI ? NPROD_MP : 1;
    struct qtp_ring *r = make_ring(cap, pk, wait);
    static struct reader stay, leave;
    reader_init(&stay, r, nprod, -1);
    reader_init(&leave, r, nprod, 5);
    const struct qtp_seq *g[] = {&stay.p.seq, &leave.p.seq};
    assert_int_equal(qtp_ring_set_gating(r, g, 2), 0);
    pthread_t ts, tl, tp[NPROD_MP];
    struct producer prods[NPROD_MP];
    assert_int_equal(pthread_create(&ts, NULL, reader_main, &stay), 0);
    if (!ghost)
        assert_int_equal(pthread_create(&tl, NULL, reader_main, &leave), 0);
    for (uint32_t i = 0; i < nprod; i++) {
        prods[i] = (struct producer){r, i, -1};
        assert_int_equal(pthread_create(&tp[i], NULL, producer_main, &prods[i]), 0);
    }
    if (ghost) {
        leave.gated = wait_gated(r, &leave.p.seq);
        leave.remove_rc = qtp_ring_remove_gating(r, &leave.p.seq);
    }
    for (uint32_t i = 0; i < nprod; i++)
        if (qt_join_within(tp[i], 20.0, NULL) != 0) /* the ctest timeout ends the process */
            fail_msg("%s: producer %u still gated 20 s after the reader left (claimed %" PRId64 ")",
                     what, i, qtp_ring_claimed(r));
    if (!ghost)
        assert_int_equal(qt_join_within(tl, 5.0, NULL), 0);
    qtp_ring_halt(r, QTP_HALT_GRACEFUL);
    assert_int_equal(qt_join_within(ts, 5.0, NULL), 0);
    for (uint32_t i = 0; i < nprod; i++)
        assert_int_equal(prods[i].rc, 0);
    assert_int_equal(stay.rc, 0);
    assert_int_equal(stay.errors, 0);
    assert_int_equal(stay.count, (uint64_t)nprod * PER_PRODUCER);
    assert_int_equal(qtp_seq_get(&stay.p.seq), (int64_t)nprod * PER_PRODUCER - 1);
    if (!leave.gated)
        fail_msg("%s: the producers never waited for the departed reader", what);
    assert_int_equal(leave.remove_rc, 0);
    /* The departed reader never moved again: a prefix, then nothing. */
    assert_int_equal(qtp_seq_get(&leave.p.seq), ghost ? -1 : 4);
    assert_int_equal(leave.count, ghost ? 0 : 5);
    assert_int_equal(leave.errors, 0);
    if (!ghost)
        assert_int_equal(leave.rc, LEAVE);
    qtp_ring_destroy(r);
}

static void test_departed_reader_ungates(void **state)
{
    (void)state;
    static const uint32_t caps[] = {2, 4};
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++)
        for (int k = 0; k < 2; k++)
            for (size_t c = 0; c < 2; c++)
                for (int ghost = 0; ghost < 2; ghost++)
                    ungate_one(w->name, k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, caps[c],
                               ghost);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remove_bookkeeping),
        cmocka_unit_test(test_departed_reader_ungates),
    };
    return cmocka_run_group_tests_name("queues_gating", tests, NULL, NULL);
}
