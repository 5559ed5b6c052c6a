/* qtest_ring.h - helpers of the ring tests (internal to tests/queues; include after cmocka.h). */
#ifndef QTEST_RING_H
#define QTEST_RING_H

#include "qtest.h"
#include "qtp_ring.h"

/* An event: its producer, its index in that producer's stream, and a value both (and the seed)
 * determine, so a reader can check each event alone. c1/c2: fields the diamond's stages write. */
struct qt_event {
    uint64_t value;
    uint32_t producer;
    uint32_t pad;
    uint64_t pseq;
    uint64_t c1;
    uint64_t c2;
};

static inline uint64_t qt_event_value(uint64_t seed, uint32_t producer, uint64_t pseq)
{
    return qt_mix(seed ^ ((uint64_t)producer << 48) ^ pseq);
}

/* Publishes n events in claims of random size 1..max_batch; a quarter of the claims try first
 * (the back-pressure path), then wait. */
struct qt_producer {
    struct qtp_ring *r;
    uint32_t id;
    uint32_t max_batch;
    uint64_t seed; /* of the event values */
    uint64_t n;
    uint64_t rng;  /* claim sizes */
    uint64_t sum;  /* out: of the values published */
    uint64_t done; /* out: events published */
    int rc;        /* out: the claim that failed, or 0 */
};

static inline void *qt_producer_main(void *arg)
{
    struct qt_producer *p = arg;
    uint64_t i = 0;
    while (i < p->n) {
        uint64_t x = qt_rand(&p->rng);
        uint32_t n = 1 + (uint32_t)(x % p->max_batch);
        if (n > p->n - i)
            n = (uint32_t)(p->n - i);
        int64_t hi;
        if (!((x >> 32) % 4 == 0 && qtp_ring_try_claim(p->r, n, &hi)) &&
            (p->rc = qtp_ring_claim(p->r, n, &hi)) != 0)
            return NULL;
        int64_t lo = hi - n + 1;
        for (int64_t s = lo; s <= hi; s++, i++) {
            struct qt_event *e = qtp_ring_slot(p->r, s);
            e->value = qt_event_value(p->seed, p->id, i);
            e->producer = p->id;
            e->pseq = i;
            p->sum += e->value;
        }
        qtp_ring_publish(p->r, lo, hi);
        p->done = i;
    }
    return NULL;
}

/* Publish n events one claim each from this thread; an event's first 8 bytes are
 * qt_mix(its sequence). */
static inline void qt_publish_n(struct qtp_ring *r, int n)
{
    for (int i = 0; i < n; i++) {
        int64_t hi;
        assert_int_equal(qtp_ring_claim(r, 1, &hi), 0);
        *(uint64_t *)qtp_ring_slot(r, hi) = qt_mix((uint64_t)hi);
        qtp_ring_publish(r, hi, hi);
    }
}

#endif
