/* qtp_ring.h - a Disruptor-style ring: preallocated slots, sequencers, barriers, event processors.
 *
 * Sequences (qtp_seq.h) start at -1 and grow. The producer claims a range lo..hi, writes the slots
 * in place and publishes the range; a consumer waits on a barrier (the ring's published cursor
 * plus the sequences of the stages it depends on) and gets back the highest sequence available,
 * so it handles a batch, then sets its own sequence once per batch. The producer never claims a
 * slot whose previous occupant the gating sequences (the last stages) have not finished.
 *
 * Concurrency contract:
 *   create/set_gating/destroy   single thread, before start / after every user has stopped
 *   claim/try_claim/publish     QTP_PRODUCER_SINGLE: one thread; QTP_PRODUCER_MULTI: any number
 *   barrier_wait_for            any number of consumer threads
 *   halt                        any thread, any time (also from a signal-free watchdog thread)
 */
#ifndef QTP_RING_H
#define QTP_RING_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qtp_seq.h"
#include "qtp_wait.h"

#define QTP_BARRIER_MAX_DEPS 64
#define QTP_RING_MAX_GATING 64

enum qtp_producer_kind {
    QTP_PRODUCER_SINGLE, /* one producer thread: plain counter, cached gating minimum */
    QTP_PRODUCER_MULTI,  /* CAS on the claim counter, per-slot availability markers */
};

enum qtp_halt_mode {
    QTP_HALT_GRACEFUL, /* no more claims; consumers drain everything published, then stop */
    QTP_HALT_FORCED,   /* every wait returns now; consumers stop at the end of their batch */
};

struct qtp_ring_config {
    uint32_t capacity; /* power of two >= 1 */
    size_t slot_size;  /* bytes per slot; slots are 8-byte aligned (rounded up to a multiple of 8) */
    enum qtp_producer_kind producer;
    const struct qtp_wait_ops *wait; /* NULL: spin */
};

struct qtp_ring; /* opaque; see qtp_ring_slot for the one inline accessor */

/* 0, EINVAL (capacity not a power of two, slot_size 0) or ENOMEM. Storage via qtp_alloc. */
int qtp_ring_create(struct qtp_ring **out, const struct qtp_ring_config *cfg);
void qtp_ring_destroy(struct qtp_ring *r);

/* The sequences the producer must not pass by more than capacity (the last stages). Call before
 * any claim; n <= QTP_RING_MAX_GATING. With none, the producer is never gated. 0 or EINVAL. */
int qtp_ring_set_gating(struct qtp_ring *r, const struct qtp_seq *const *seqs, size_t n);

/* Claim n (1..capacity) consecutive sequences, waiting for room; *hi = last, lo = *hi - n + 1.
 * 0, or ECANCELED when the ring is halted (nothing claimed). */
int qtp_ring_claim(struct qtp_ring *r, uint32_t n, int64_t *hi);
/* Claim without waiting: false when there is no room now (back-pressure) or the ring is halted. */
bool qtp_ring_try_claim(struct qtp_ring *r, uint32_t n, int64_t *hi);
/* Make lo..hi visible to consumers (release). With MULTI, ranges may be published in any order;
 * consumers only ever see a contiguous prefix. */
void qtp_ring_publish(struct qtp_ring *r, int64_t lo, int64_t hi);

/* Address of the slot for seq. */
void *qtp_ring_slot(const struct qtp_ring *r, int64_t seq);
uint32_t qtp_ring_capacity(const struct qtp_ring *r);
size_t qtp_ring_slot_size(const struct qtp_ring *r);
/* The slot array and its size in bytes (placement checks ask the kernel where its pages are). */
void *qtp_ring_storage(const struct qtp_ring *r, size_t *bytes);
/* Highest sequence visible to consumers (contiguously published), for watchdogs and tests. */
int64_t qtp_ring_published(const struct qtp_ring *r);
/* Highest sequence claimed by any producer. */
int64_t qtp_ring_claimed(const struct qtp_ring *r);
struct qtp_waiter *qtp_ring_waiter(struct qtp_ring *r);

/* Stop the ring (see enum qtp_halt_mode). Idempotent; FORCED after GRACEFUL upgrades. */
void qtp_ring_halt(struct qtp_ring *r, enum qtp_halt_mode mode);
bool qtp_ring_halted(const struct qtp_ring *r);

/* ---- barriers ---- */
struct qtp_barrier {
    struct qtp_ring *ring;
    const struct qtp_seq *deps[QTP_BARRIER_MAX_DEPS]; /* upstream stages; none: the cursor */
    size_t ndeps;
};

/* 0 or EINVAL (n > QTP_BARRIER_MAX_DEPS). */
int qtp_barrier_init(struct qtp_barrier *b, struct qtp_ring *r, const struct qtp_seq *const *deps,
                     size_t n);
/* Wait until seq is available; *avail = highest available sequence (>= seq): the minimum of the
 * published cursor and the dependencies. 0, or ECANCELED when forced-halted, or when
 * graceful-halted and every published sequence before seq has been handed out (drained). */
int qtp_barrier_wait_for(const struct qtp_barrier *b, int64_t seq, int64_t *avail);
/* What wait_for would return now, without waiting (tests, watchdog). */
int64_t qtp_barrier_available(const struct qtp_barrier *b, int64_t seq);

/* ---- event processor (a consumer loop) ---- */

/* Handle one event. end_of_batch is true on the last event of the batch wait_for returned.
 * Return 0 to go on; non-zero stops the processor, which returns that value. */
typedef int (*qtp_handler_fn)(void *ctx, void *slot, int64_t seq, bool end_of_batch);

struct qtp_processor {
    struct qtp_seq seq; /* highest sequence this consumer has finished (own block) */
    struct qtp_barrier barrier;
    qtp_handler_fn handler;
    void *ctx;
    uint32_t max_batch; /* 0: as much as is available */
};

void qtp_processor_init(struct qtp_processor *p, const struct qtp_barrier *b, qtp_handler_fn fn,
                        void *ctx, uint32_t max_batch);
/* Run until halted (0) or the handler fails (its value). Sets p->seq once per batch and signals
 * the ring's waiter so dependants and the producer move on. */
int qtp_processor_run(struct qtp_processor *p);

#endif
