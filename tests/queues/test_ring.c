/* Unit tests of the ring: claim/publish/wrap on tiny rings, try_claim, MULTI out-of-order
 * publish, barrier arithmetic, the diamond of seed 001, the processor, the registries and the
 * allocation hook. Single-threaded except where it says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest_ring.h"
#include "qtp_alloc.h"
#include "qtp_mqueue.h"

static uint64_t g_seed;

static struct qtp_ring *make_ring(uint32_t cap, size_t slot, enum qtp_producer_kind k,
                                  const char *wait)
{
    struct qtp_ring_config cfg = {cap, slot, k, wait ? qtp_wait_find(wait) : NULL};
    struct qtp_ring *r = NULL;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    assert_non_null(r);
    return r;
}

static void test_create_invalid(void **state)
{
    (void)state;
    struct qtp_ring *r = (void *)1;
    struct qtp_ring_config cfg = {0, 8, QTP_PRODUCER_SINGLE, NULL};
    assert_int_equal(qtp_ring_create(&r, &cfg), EINVAL);
    assert_null(r);
    cfg.capacity = 3;
    assert_int_equal(qtp_ring_create(&r, &cfg), EINVAL);
    cfg.capacity = 12;
    assert_int_equal(qtp_ring_create(&r, &cfg), EINVAL);
    cfg.capacity = 4;
    cfg.slot_size = 0;
    assert_int_equal(qtp_ring_create(&r, &cfg), EINVAL);
    cfg.slot_size = 8;
    cfg.producer = (enum qtp_producer_kind)7;
    assert_int_equal(qtp_ring_create(&r, &cfg), EINVAL);
    assert_int_equal(qtp_ring_create(NULL, &cfg), EINVAL);
}

static void test_layout(void **state)
{
    (void)state;
    uint32_t caps[] = {1, 2, 4, 1024};
    size_t sizes[] = {1, 8, 13, 64};
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++) {
            struct qtp_ring *r = make_ring(caps[i], sizes[j], QTP_PRODUCER_SINGLE, NULL);
            size_t stride = (sizes[j] + 7) / 8 * 8;
            assert_int_equal(qtp_ring_capacity(r), caps[i]);
            assert_int_equal(qtp_ring_slot_size(r), stride);
            size_t bytes = 0;
            unsigned char *base = qtp_ring_storage(r, &bytes);
            assert_int_equal(bytes, stride * caps[i]);
            assert_int_equal((uintptr_t)base % 64, 0);
            for (int64_t s = 0; s < 3 * (int64_t)caps[i]; s++) {
                unsigned char *p = qtp_ring_slot(r, s);
                assert_ptr_equal(p, base + (size_t)(s % caps[i]) * stride);
                assert_int_equal((uintptr_t)p % 8, 0);
            }
            /* Zeroed storage; the published and claimed cursors start at -1. */
            for (size_t b = 0; b < bytes; b++)
                assert_int_equal(base[b], 0);
            assert_int_equal(qtp_ring_published(r), -1);
            assert_int_equal(qtp_ring_claimed(r), -1);
            assert_false(qtp_ring_halted(r));
            qtp_ring_destroy(r);
        }
    }
}

/* One thread plays producer and consumer on a tiny ring: random batch sizes, try_claim and
 * claim, wrap-around and back-pressure on almost every step. */
static void wrap_case(uint32_t cap, enum qtp_producer_kind kind)
{
    struct qtp_ring *r = make_ring(cap, sizeof(uint64_t), kind, NULL);
    struct qtp_seq gate;
    qtp_seq_init(&gate, QTP_SEQ_INITIAL);
    const struct qtp_seq *gs[] = {&gate};
    assert_int_equal(qtp_ring_set_gating(r, gs, 1), 0);
    struct qtp_barrier b;
    assert_int_equal(qtp_barrier_init(&b, r, NULL, 0), 0);

    uint64_t rng = g_seed ^ cap ^ ((uint64_t)kind << 32);
    int64_t next = -1, consumed = -1;
    unsigned fulls = 0, wraps = 0;
    for (int it = 0; it < 5000; it++) {
        uint32_t n = 1 + (uint32_t)(qt_rand(&rng) % cap);
        int64_t hi;
        if (next + (int64_t)n - (int64_t)cap > consumed) {
            /* No room: back-pressure. */
            assert_false(qtp_ring_try_claim(r, n, &hi));
            assert_int_equal(qtp_ring_claimed(r), next);
            fulls++;
            /* Consume some of what is published, checking the values, then release slots. */
            int64_t avail = qtp_barrier_available(&b, consumed + 1);
            assert_int_equal(avail, next);
            int64_t upto = consumed + 1 + (int64_t)(qt_rand(&rng) % (uint64_t)(avail - consumed));
            for (int64_t s = consumed + 1; s <= upto; s++)
                assert_int_equal(*(uint64_t *)qtp_ring_slot(r, s), qt_mix((uint64_t)s));
            consumed = upto;
            qtp_seq_set(&gate, consumed);
            continue;
        }
        if (it & 1)
            assert_true(qtp_ring_try_claim(r, n, &hi));
        else
            assert_int_equal(qtp_ring_claim(r, n, &hi), 0);
        assert_int_equal(hi, next + (int64_t)n);
        assert_int_equal(qtp_ring_claimed(r), hi);
        for (int64_t s = next + 1; s <= hi; s++) {
            if (s >= (int64_t)cap)
                wraps++;
            *(uint64_t *)qtp_ring_slot(r, s) = qt_mix((uint64_t)s);
        }
        /* Not visible before publish. */
        assert_int_equal(qtp_barrier_available(&b, next + 1), next);
        qtp_ring_publish(r, next + 1, hi);
        assert_int_equal(qtp_ring_published(r), hi);
        int64_t avail;
        assert_int_equal(qtp_barrier_wait_for(&b, next + 1, &avail), 0);
        assert_int_equal(avail, hi);
        next = hi;
    }
    assert_true(fulls > 100);
    assert_true(wraps > 100);
    qtp_ring_destroy(r);
}

static void test_wrap_cap1(void **state)
{
    (void)state;
    wrap_case(1, QTP_PRODUCER_SINGLE);
    wrap_case(1, QTP_PRODUCER_MULTI);
}

static void test_wrap_cap2(void **state)
{
    (void)state;
    wrap_case(2, QTP_PRODUCER_SINGLE);
    wrap_case(2, QTP_PRODUCER_MULTI);
}

static void test_wrap_cap4(void **state)
{
    (void)state;
    wrap_case(4, QTP_PRODUCER_SINGLE);
    wrap_case(4, QTP_PRODUCER_MULTI);
}

static void test_try_claim_full(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        struct qtp_ring *r = make_ring(4, 8, k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, NULL);
        struct qtp_seq gate;
        qtp_seq_init(&gate, QTP_SEQ_INITIAL);
        const struct qtp_seq *gs[] = {&gate};
        assert_int_equal(qtp_ring_set_gating(r, gs, 1), 0);
        int64_t hi = 99;
        assert_true(qtp_ring_try_claim(r, 4, &hi));
        assert_int_equal(hi, 3);
        qtp_ring_publish(r, 0, 3);
        assert_false(qtp_ring_try_claim(r, 1, &hi));
        assert_int_equal(hi, 3);
        assert_int_equal(qtp_ring_claimed(r), 3);
        qtp_seq_set(&gate, 0); /* slot of 0 is free: exactly one more */
        assert_false(qtp_ring_try_claim(r, 2, &hi));
        assert_true(qtp_ring_try_claim(r, 1, &hi));
        assert_int_equal(hi, 4);
        assert_false(qtp_ring_try_claim(r, 1, &hi));
        qtp_ring_publish(r, 4, 4);
        qtp_seq_set(&gate, 4);
        assert_int_equal(qtp_ring_claim(r, 4, &hi), 0);
        assert_int_equal(hi, 8);
        qtp_ring_destroy(r);
    }
}

static void test_claim_n(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        struct qtp_ring *r = make_ring(8, 8, k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, NULL);
        int64_t hi = 42;
        assert_int_equal(qtp_ring_claim(r, 0, &hi), EINVAL);
        assert_int_equal(qtp_ring_claim(r, 9, &hi), EINVAL);
        assert_false(qtp_ring_try_claim(r, 0, &hi));
        assert_false(qtp_ring_try_claim(r, 9, &hi));
        assert_int_equal(hi, 42);
        assert_int_equal(qtp_ring_claim(r, 3, &hi), 0);
        assert_int_equal(hi, 2);
        assert_int_equal(qtp_ring_claim(r, 8, &hi), 0); /* no gating: never gated */
        assert_int_equal(hi, 10);
        qtp_ring_publish(r, 0, 2);
        qtp_ring_publish(r, 3, 10);
        assert_int_equal(qtp_ring_published(r), 10);
        /* Gating with no stages (n = 0) is allowed; too many is not. */
        assert_int_equal(qtp_ring_set_gating(r, NULL, 0), 0);
        assert_int_equal(qtp_ring_set_gating(r, NULL, QTP_RING_MAX_GATING + 1), EINVAL);
        qtp_ring_destroy(r);
    }
}

static void test_halted_claims(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        for (int mode = 0; mode < 2; mode++) {
            struct qtp_ring *r =
                make_ring(8, 8, k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, NULL);
            int64_t hi;
            assert_int_equal(qtp_ring_claim(r, 1, &hi), 0);
            qtp_ring_publish(r, 0, 0);
            qtp_ring_halt(r, mode ? QTP_HALT_FORCED : QTP_HALT_GRACEFUL);
            qtp_ring_halt(r, mode ? QTP_HALT_FORCED : QTP_HALT_GRACEFUL); /* idempotent */
            assert_true(qtp_ring_halted(r));
            assert_int_equal(qtp_ring_claim(r, 1, &hi), ECANCELED);
            assert_false(qtp_ring_try_claim(r, 1, &hi));
            assert_int_equal(qtp_ring_claimed(r), 0);
            struct qtp_barrier b;
            qtp_barrier_init(&b, r, NULL, 0);
            int64_t avail = -5;
            if (mode == 0) {
                /* Graceful: what is published is still handed out, then drained. */
                assert_int_equal(qtp_barrier_wait_for(&b, 0, &avail), 0);
                assert_int_equal(avail, 0);
                assert_int_equal(qtp_barrier_wait_for(&b, 1, &avail), ECANCELED);
                /* Upgrade to forced. */
                qtp_ring_halt(r, QTP_HALT_FORCED);
                assert_true(qtp_waiter_alerted(qtp_ring_waiter(r)));
            }
            assert_int_equal(qtp_barrier_wait_for(&b, 1, &avail), ECANCELED);
            qtp_ring_destroy(r);
        }
    }
}

/* MULTI: claim A then B, publish B first: consumers must not see B until A is published. */
static void test_mp_out_of_order(void **state)
{
    (void)state;
    struct qtp_ring *r = make_ring(8, 8, QTP_PRODUCER_MULTI, NULL);
    struct qtp_barrier b;
    qtp_barrier_init(&b, r, NULL, 0);
    int64_t a, bb, c;
    assert_int_equal(qtp_ring_claim(r, 1, &a), 0);
    assert_int_equal(qtp_ring_claim(r, 2, &bb), 0);
    assert_int_equal(qtp_ring_claim(r, 1, &c), 0);
    assert_int_equal(a, 0);
    assert_int_equal(bb, 2);
    assert_int_equal(c, 3);
    assert_int_equal(qtp_ring_claimed(r), 3);
    qtp_ring_publish(r, 1, 2); /* B */
    assert_int_equal(qtp_ring_published(r), -1);
    assert_int_equal(qtp_barrier_available(&b, 0), -1);
    qtp_ring_publish(r, 3, 3); /* C */
    assert_int_equal(qtp_barrier_available(&b, 0), -1);
    /* A consumer already past A (asking from 1) sees B and C. */
    assert_int_equal(qtp_barrier_available(&b, 1), 3);
    qtp_ring_publish(r, 0, 0); /* A */
    assert_int_equal(qtp_ring_published(r), 3);
    int64_t avail;
    assert_int_equal(qtp_barrier_wait_for(&b, 0, &avail), 0);
    assert_int_equal(avail, 3);

    /* Second round over the same slots: markers of round 0 must not count for round 1. */
    int64_t d, e;
    assert_int_equal(qtp_ring_claim(r, 4, &d), 0); /* 4..7 */
    assert_int_equal(qtp_ring_claim(r, 2, &e), 0); /* 8..9: slots 0, 1 again */
    assert_int_equal(e, 9);
    qtp_ring_publish(r, 8, 9);
    assert_int_equal(qtp_barrier_available(&b, 4), 3);
    assert_int_equal(qtp_ring_published(r), 3);
    qtp_ring_publish(r, 4, 7);
    assert_int_equal(qtp_barrier_available(&b, 4), 9);
    assert_int_equal(qtp_ring_published(r), 9);
    qtp_ring_destroy(r);
}

static void test_barrier_arithmetic(void **state)
{
    (void)state;
    struct qtp_ring *r = make_ring(16, 8, QTP_PRODUCER_SINGLE, NULL);
    struct qtp_seq s1, s2, s3;
    qtp_seq_init(&s1, 5);
    qtp_seq_init(&s2, 9);
    qtp_seq_init(&s3, 7);
    int64_t hi;
    assert_int_equal(qtp_ring_claim(r, 12, &hi), 0);
    qtp_ring_publish(r, 0, hi); /* cursor 11 */
    struct qtp_barrier b0, b1, b3;
    const struct qtp_seq *one[] = {&s2};
    const struct qtp_seq *three[] = {&s1, &s2, &s3};
    assert_int_equal(qtp_barrier_init(&b0, r, NULL, 0), 0);
    assert_int_equal(qtp_barrier_init(&b1, r, one, 1), 0);
    assert_int_equal(qtp_barrier_init(&b3, r, three, 3), 0);
    assert_int_equal(qtp_barrier_init(&b3, r, three, QTP_BARRIER_MAX_DEPS + 1), EINVAL);
    assert_int_equal(qtp_barrier_init(&b3, r, three, 3), 0);
    assert_int_equal(qtp_barrier_available(&b0, 0), 11);
    assert_int_equal(qtp_barrier_available(&b1, 0), 9);
    assert_int_equal(qtp_barrier_available(&b3, 0), 5);
    int64_t avail;
    assert_int_equal(qtp_barrier_wait_for(&b3, 5, &avail), 0);
    assert_int_equal(avail, 5);
    assert_int_equal(qtp_barrier_wait_for(&b1, 3, &avail), 0);
    assert_int_equal(avail, 9);
    /* Not yet available: available() says so by returning less than seq. */
    assert_true(qtp_barrier_available(&b3, 6) < 6);
    assert_true(qtp_barrier_available(&b0, 12) < 12);
    qtp_seq_set(&s1, 8);
    assert_int_equal(qtp_barrier_available(&b3, 6), 7);
    qtp_seq_set(&s3, 10);
    assert_int_equal(qtp_barrier_available(&b3, 6), 8);
    qtp_ring_destroy(r);
}

/* Seed 001, literally: "the producer has filled the ring buffer up to sequence number 22;
 * consumer one has read and processed everything up to 21; consumer two has processed everything
 * up to sequence 18; consumer three ... has only made it as far as 15" on a ring of 8. "The first
 * consumer barrier lets consumers one and two know they can grab anything up to sequence 22 ...
 * consumer three is told it can get anything up to sequence 18", and "the producer can't write
 * anything more ... because sequence 15 is taking up the slot where we'd want to put sequence
 * 23". A sequence here is the last event a stage FINISHED (Disruptor convention, from -1). C3
 * has "made it as far as 15" but not finished it (otherwise slot 15 & 7 == 23 & 7 would be
 * free), so its sequence is 14; once C3 finishes 15 the producer can claim 23. */
static void test_diamond_literal(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        struct qtp_ring *r = make_ring(8, 8, k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, NULL);
        struct qtp_seq c1, c2, c3;
        qtp_seq_init(&c1, QTP_SEQ_INITIAL);
        qtp_seq_init(&c2, QTP_SEQ_INITIAL);
        qtp_seq_init(&c3, QTP_SEQ_INITIAL);
        const struct qtp_seq *gating[] = {&c3}; /* the producer watches only the last stage */
        assert_int_equal(qtp_ring_set_gating(r, gating, 1), 0);
        const struct qtp_seq *c12[] = {&c1, &c2};
        struct qtp_barrier b12, b3;
        assert_int_equal(qtp_barrier_init(&b12, r, NULL, 0), 0);
        assert_int_equal(qtp_barrier_init(&b3, r, c12, 2), 0);

        /* Fill up to 22 with the stages following along. */
        int64_t hi = -1;
        while (hi < 22) {
            int64_t lo = hi + 1;
            uint32_t n = (uint32_t)(22 - hi < 4 ? 22 - hi : 4);
            assert_true(qtp_ring_try_claim(r, n, &hi));
            qtp_ring_publish(r, lo, hi);
            qtp_seq_set(&c3, hi < 14 ? hi : 14);
        }
        qtp_seq_set(&c1, 21);
        qtp_seq_set(&c2, 18);
        qtp_seq_set(&c3, 14);
        assert_int_equal(qtp_ring_published(r), 22);

        int64_t avail;
        assert_int_equal(qtp_barrier_wait_for(&b12, 22, &avail), 0); /* C1 asks for 22 */
        assert_int_equal(avail, 22);
        assert_int_equal(qtp_barrier_wait_for(&b12, 19, &avail), 0); /* C2 asks for 19 */
        assert_int_equal(avail, 22);
        assert_int_equal(qtp_barrier_wait_for(&b3, 15, &avail), 0); /* C3 asks for 15 */
        assert_int_equal(avail, 18);

        assert_ptr_equal(qtp_ring_slot(r, 23), qtp_ring_slot(r, 15));
        assert_false(qtp_ring_try_claim(r, 1, &hi));
        assert_int_equal(qtp_ring_claimed(r), 22);
        qtp_seq_set(&c3, 15); /* C3 moves */
        assert_true(qtp_ring_try_claim(r, 1, &hi));
        assert_int_equal(hi, 23);
        assert_false(qtp_ring_try_claim(r, 1, &hi)); /* 24 needs C3 past 16 */
        qtp_ring_destroy(r);
    }
}

struct rec {
    int64_t seqs[64];
    bool eob[64];
    int n;
    int64_t fail_at;
};

static int record_handler(void *ctx, void *slot, int64_t seq, bool end_of_batch)
{
    struct rec *rc = ctx;
    if (seq == rc->fail_at)
        return 7;
    assert_int_equal(*(uint64_t *)slot, qt_mix((uint64_t)seq));
    rc->seqs[rc->n] = seq;
    rc->eob[rc->n] = end_of_batch;
    rc->n++;
    return 0;
}

/* The processor hands batches with the end-of-batch flag and sets its sequence per batch. Events
 * are published and the ring gracefully halted before run, so run drains and returns. */
static void test_processor_batches(void **state)
{
    (void)state;
    for (uint32_t maxb = 0; maxb < 4; maxb++) {
        struct qtp_ring *r = make_ring(8, 8, QTP_PRODUCER_SINGLE, NULL);
        qt_publish_n(r, 5);
        qtp_ring_halt(r, QTP_HALT_GRACEFUL);
        struct qtp_barrier b;
        qtp_barrier_init(&b, r, NULL, 0);
        struct qtp_processor p;
        struct rec rc = {.fail_at = -100};
        qtp_processor_init(&p, &b, record_handler, &rc, maxb);
        assert_int_equal(qtp_seq_get(&p.seq), -1);
        assert_int_equal(qtp_processor_run(&p), 0);
        assert_int_equal(rc.n, 5);
        assert_int_equal(qtp_seq_get(&p.seq), 4);
        for (int i = 0; i < 5; i++) {
            assert_int_equal(rc.seqs[i], i);
            bool want = maxb == 0 ? i == 4 : ((i + 1) % (int)maxb == 0 || i == 4);
            assert_int_equal(rc.eob[i], want);
        }
        qtp_ring_destroy(r);
    }
}

static void test_processor_handler_error(void **state)
{
    (void)state;
    struct qtp_ring *r = make_ring(8, 8, QTP_PRODUCER_SINGLE, NULL);
    qt_publish_n(r, 5);
    struct qtp_barrier b;
    qtp_barrier_init(&b, r, NULL, 0);
    struct qtp_processor p;
    struct rec rc = {.fail_at = 2};
    qtp_processor_init(&p, &b, record_handler, &rc, 0);
    assert_int_equal(qtp_processor_run(&p), 7);
    assert_int_equal(rc.n, 2);
    assert_int_equal(qtp_seq_get(&p.seq), 1); /* 0 and 1 finished */
    qtp_ring_destroy(r);
}

struct batch_rec {
    int64_t lo[16], hi[16];
    int n;
    uint64_t sum, want;
    int fail_on_call;
};

static int batch_handler(void *ctx, struct qtp_ring *r, int64_t lo, int64_t hi)
{
    struct batch_rec *b = ctx;
    if (b->n == b->fail_on_call)
        return 9;
    b->lo[b->n] = lo;
    b->hi[b->n] = hi;
    b->n++;
    for (int64_t s = lo; s <= hi;) {
        size_t n;
        uint64_t *v = qtp_ring_span(r, s, hi, &n);
        assert_true(n >= 1 && (int64_t)n <= hi - s + 1);
        assert_ptr_equal(v, qtp_ring_slot(r, s));
        /* A span never runs past the end of the slot array. */
        assert_true((s & (qtp_ring_capacity(r) - 1)) + n <= qtp_ring_capacity(r));
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(v[i], qt_mix((uint64_t)(s + (int64_t)i)));
            b->sum += v[i];
        }
        s += (int64_t)n;
    }
    return 0;
}

/* Batch handler: one call per batch, spans split exactly at the end of the array. */
static void test_processor_batch_handler(void **state)
{
    (void)state;
    struct qtp_ring *r = make_ring(8, 8, QTP_PRODUCER_SINGLE, NULL);
    struct qtp_barrier b;
    qtp_barrier_init(&b, r, NULL, 0);
    struct qtp_processor p;
    struct batch_rec rec = {.fail_on_call = -1};
    qtp_processor_init_batch(&p, &b, batch_handler, &rec, 5);
    const struct qtp_seq *g[] = {&p.seq};
    qtp_ring_set_gating(r, g, 1);
    qt_publish_n(r, 6); /* 0..5, handed out as 0..4 (max_batch 5) and 5 */
    qtp_ring_halt(r, QTP_HALT_GRACEFUL);
    assert_int_equal(qtp_processor_run(&p), 0);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.lo[0], 0);
    assert_int_equal(rec.hi[0], 4);
    assert_int_equal(rec.lo[1], 5);
    assert_int_equal(rec.hi[1], 5);
    assert_int_equal(qtp_seq_get(&p.seq), 5);
    qtp_ring_destroy(r);

    /* Wrap inside one batch, and a failing batch leaves the sequence before it. */
    r = make_ring(8, 8, QTP_PRODUCER_SINGLE, NULL);
    assert_int_equal(qtp_barrier_init(&b, r, NULL, 0), 0);
    struct batch_rec rec2 = {.fail_on_call = 0};
    qtp_processor_init_batch(&p, &b, batch_handler, &rec2, 0);
    size_t n;
    qt_publish_n(r, 6);
    qtp_seq_set(&p.seq, 5); /* as if 0..5 were handled */
    qt_publish_n(r, 6);     /* 6..11 sit in slots 6, 7, 0, 1, 2, 3 */
    assert_ptr_equal(qtp_ring_span(r, 6, 11, &n), qtp_ring_slot(r, 6));
    assert_int_equal(n, 2);
    assert_ptr_equal(qtp_ring_span(r, 8, 11, &n), qtp_ring_slot(r, 0));
    assert_int_equal(n, 4);
    assert_ptr_equal(qtp_ring_span(r, 9, 9, &n), qtp_ring_slot(r, 1));
    assert_int_equal(n, 1);
    assert_int_equal(qtp_processor_run(&p), 9);
    assert_int_equal(qtp_seq_get(&p.seq), 5);
    rec2.fail_on_call = -1;
    qtp_ring_halt(r, QTP_HALT_GRACEFUL);
    assert_int_equal(qtp_processor_run(&p), 0);
    assert_int_equal(rec2.n, 1);
    assert_int_equal(rec2.lo[0], 6);
    assert_int_equal(rec2.hi[0], 11);
    assert_int_equal(qtp_seq_get(&p.seq), 11);
    qtp_ring_destroy(r);
}

static void test_wait_registry(void **state)
{
    (void)state;
    const char *names[] = {"spin", "yield", "block", "sleep", "phased"};
    int n = 0;
    for (const struct qtp_wait_ops *o = qtp_wait_strategies; o->name; o++, n++) {
        assert_string_equal(o->name, names[n]);
        assert_non_null(o->summary);
        assert_ptr_equal(qtp_wait_find(o->name), o);
    }
    assert_int_equal(n, 5);
    assert_null(qtp_wait_find("sleep:spins=1")); /* names only: parameters go to qtp_wait_parse */
    assert_null(qtp_wait_find(NULL));
    assert_true(qtp_wait_find("spin")->spins);
    assert_false(qtp_wait_find("yield")->spins); /* gives its PU away: no collapse */
    assert_false(qtp_wait_find("block")->spins);
    assert_false(qtp_wait_needs_signal(qtp_wait_find("spin")));
    assert_true(qtp_wait_needs_signal(qtp_wait_find("block")));
    assert_int_equal(atomic_load(&qtp_planted_ns), 0); /* nothing planted in this build */
}

/* ---- allocation hook ---- */
struct counting {
    int allocs, frees;
    size_t live;
};

static void *count_alloc(void *ctx, size_t size, size_t align)
{
    struct counting *c = ctx;
    void *p = NULL;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size))
        return NULL;
    memset(p, 0, size);
    c->allocs++;
    c->live += size;
    return p;
}

static void count_free(void *ctx, void *p, size_t size)
{
    struct counting *c = ctx;
    c->frees++;
    c->live -= size;
    free(p);
}

static void test_alloc_hook(void **state)
{
    (void)state;
    struct counting c = {0, 0, 0};
    struct qtp_alloc_hook h = {count_alloc, count_free, &c};
    qtp_alloc_set_hook(&h);
    void *p = qtp_alloc(100, 256);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 256, 0);
    qtp_free(p, 100);
    assert_int_equal(c.live, 0);
    struct qtp_ring *r = make_ring(64, 24, QTP_PRODUCER_MULTI, "block");
    assert_true(c.allocs >= 3); /* the ring, its slots, its availability markers */
    assert_true(c.live >= 64 * 24);
    qtp_ring_destroy(r);
    assert_int_equal(c.live, 0);
    for (const struct qtp_mqueue_ops *o = qtp_mqueue_kinds; o->name; o++) {
        struct qtp_mqueue *q;
        int before = c.allocs;
        assert_int_equal(o->create(&q, 16, 40), 0);
        assert_true(c.allocs > before);
        qtp_mqueue_destroy(q);
        assert_int_equal(c.live, 0);
    }
    assert_int_equal(c.allocs, c.frees);
    qtp_alloc_set_hook(NULL);
    /* Default hook: aligned and zeroed. */
    unsigned char *d = qtp_alloc(4096 + 3, 4096);
    assert_non_null(d);
    assert_int_equal((uintptr_t)d % 4096, 0);
    for (int i = 0; i < 4099; i++)
        assert_int_equal(d[i], 0);
    qtp_free(d, 4099);
    qtp_free(NULL, 0);
}

int main(int argc, char **argv)
{
    g_seed = qt_seed(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_invalid),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_wrap_cap1),
        cmocka_unit_test(test_wrap_cap2),
        cmocka_unit_test(test_wrap_cap4),
        cmocka_unit_test(test_try_claim_full),
        cmocka_unit_test(test_claim_n),
        cmocka_unit_test(test_halted_claims),
        cmocka_unit_test(test_mp_out_of_order),
        cmocka_unit_test(test_barrier_arithmetic),
        cmocka_unit_test(test_diamond_literal),
        cmocka_unit_test(test_processor_batches),
        cmocka_unit_test(test_processor_handler_error),
        cmocka_unit_test(test_processor_batch_handler),
        cmocka_unit_test(test_wait_registry),
        cmocka_unit_test(test_alloc_hook),
    };
    return cmocka_run_group_tests_name("queues_ring_unit", tests, NULL, NULL);
}
