/* qtp_ring.h - a Disruptor-style ring: preallocated slots, sequencers, barriers, event processors.
 *
 * Sequences (qtp_seq.h) start at -1 and grow. The producer claims a range lo..hi, writes the slots
 * in place and publishes the range; a consumer waits on a barrier (the ring's published cursor
 * plus the sequences of the stages it depends on) and gets back the highest sequence available,
 * so it handles a batch, then sets its own sequence once per batch. The producer never claims a
 * slot whose previous occupant the gating sequences (the last stages) have not finished.
 *
 * Concurrency contract:
 *   create/set_gating/          single thread, before start / after every user has stopped
 *   set_wait_params/destroy
 *   claim/try_claim/publish     QTP_PRODUCER_SINGLE: one thread; QTP_PRODUCER_MULTI: any number
 *   remove_gating               any thread, any time, concurrently with claims (once the removed
 *                               stage reads no more slots: see its comment)
 *   barrier_wait_for            any number of consumer threads
 *   processor_run               one thread per processor
 *   halt                        any thread, any time (also from a signal-free watchdog thread)
 *   published/claimed/halted    any thread, any time (watchdogs)
 *
 * Memory order: publish is a release of the slots' contents, barrier_wait_for an acquire; a
 * processor's sequence store is a release of what its handler wrote into the slots, so a stage
 * whose barrier names it sees those writes (seed 001: one writer per field). Whoever moves, by
 * hand, a sequence another thread may wait on calls qtp_ring_signal afterwards (publish and
 * processor_run do it themselves).
 *
 * Every wait (a consumer on its barrier, a producer on its gating sequences) goes through the
 * ring's wait strategy (qtp_wait.h), so under block both really sleep, and every wait ends
 * promptly on halt.
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
    size_t slot_size; /* bytes per slot; slots are 8-byte aligned (rounded up to a multiple of 8) */
    enum qtp_producer_kind producer;
    const struct qtp_wait_ops *wait; /* NULL: spin */
};

/* The ring. Its fields are INTERNAL: they are in this header only so that the hot paths below
 * (slot, claim, try_claim, publish, barrier) can be static inline; use the functions.
 *
 * Invariants (S = capacity):
 *   SP: cursor = highest published; next = highest claimed (producer-private); cursor <= next.
 *   MP: cursor = highest claimed (CAS); sequence s is published iff
 *       available[s & mask] == (uint32_t)(s >> log2cap), its round; consumers see the
 *       contiguous published prefix.
 *   Both: claimed - S <= min(gating) (the producer never overwrites a slot a gating stage has not
 *   finished); cached_gate <= min(gating) at all times (sequences only grow).
 *   state: 0 running, 1 graceful halt (draining), 2 forced halt; only ever grows. */
struct qtp_ring {
    /* Read-mostly after create: every thread reads this block, nobody writes it while running
     * (state changes once or twice, at halt). */
    alignas(QTP_CACHE_BLOCK) unsigned char *slots;
    int64_t mask;
    uint32_t capacity;
    uint32_t log2cap;
    size_t stride;               /* slot_size rounded up to a multiple of 8 */
    size_t slot_size;            /* as configured */
    size_t storage_bytes;        /* capacity * stride */
    _Atomic uint32_t *available; /* MP: round per slot (UINT32_MAX: never); SP: NULL */
    size_t available_bytes;
    enum qtp_producer_kind producer;
    bool signal_needed; /* the wait strategy's signal() is not a no-op */
    _Atomic int state;
    size_t ngating;
    const struct qtp_seq *gating[QTP_RING_MAX_GATING];
    _Atomic uint64_t gating_gone; /* bit i: gating[i] removed at run time (remove_gating) */
    /* SP: published cursor; MP: claim counter. Written by producers, read by consumers. */
    struct qtp_seq cursor;
    /* SP: producer-private (atomic only so watchdogs may read `next`); MP: gate cache shared by
     * the producers. */
    alignas(QTP_CACHE_BLOCK) _Atomic int64_t next;
    _Atomic int64_t cached_gate;
    /* The wait strategy's state (its hot fields are on their own blocks). */
    alignas(QTP_CACHE_BLOCK) struct qtp_waiter waiter;
};
_Static_assert(offsetof(struct qtp_ring, cursor) % QTP_CACHE_BLOCK == 0, "cursor owns a block");
_Static_assert(offsetof(struct qtp_ring, next) >=
                   offsetof(struct qtp_ring, cursor) + sizeof(struct qtp_seq),
               "producer-local fields do not share the cursor's block");
_Static_assert(offsetof(struct qtp_ring, next) % QTP_CACHE_BLOCK == 0, "next starts a block");
_Static_assert(offsetof(struct qtp_ring, waiter) >=
                   offsetof(struct qtp_ring, next) + QTP_CACHE_BLOCK,
               "the waiter does not share the producer's block");

_Static_assert(QTP_RING_MAX_GATING <= 64, "gating_gone has a bit per gating sequence");

enum { QTP_RING_RUNNING = 0, QTP_RING_DRAINING = 1, QTP_RING_FORCED = 2 };

/* Test-only planted regression (issue 6's detector check). Always compiled; it costs one
 * predictable branch per publish. It stays 0 unless the library is built with the CMake option
 * QTOPO_PLANTED_REGRESSION=ON, in which case the first qtp_ring_create reads the environment
 * variable QTOPO_PLANTED_NS once (a whole number of ns), and every published event then
 * busy-waits at least that long in qtp_ring_publish (a batch lo..hi waits hi - lo + 1 times as
 * long, in one clock-checked spin). */
extern _Atomic uint64_t qtp_planted_ns;

/* Internal (qtp__*): out-of-line slow paths of the inline functions below. */
int qtp__ring_claim_slow(struct qtp_ring *r, uint32_t n, int64_t *hi, bool wait);
void qtp__ring_publish_mp(struct qtp_ring *r, int64_t lo, int64_t hi);
int64_t qtp__ring_mp_highest(const struct qtp_ring *r, int64_t lo, int64_t hi);
void qtp__planted_delay(int64_t events);

/* 0, EINVAL (capacity not a power of two, slot_size 0, wait ops without a row) or ENOMEM.
 * The ring and its storage come through qtp_alloc. */
int qtp_ring_create(struct qtp_ring **out, const struct qtp_ring_config *cfg);
void qtp_ring_destroy(struct qtp_ring *r);

/* The sequences the producer must not pass by more than capacity (the last stages). Call before
 * any claim; n <= QTP_RING_MAX_GATING. With none, the producer is never gated. 0 or EINVAL. */
int qtp_ring_set_gating(struct qtp_ring *r, const struct qtp_seq *const *seqs, size_t n);
/* The gating sequences in force (set, less those removed): up to max into seqs; how many. For
 * the deployment's wiring check, which reads back what the ring actually waits on. */
size_t qtp_ring_gating(const struct qtp_ring *r, const struct qtp_seq **seqs, size_t max);

/* Take seq out of the gating set while producers run (LMAX's removeGatingSequence): producers
 * stop waiting for it, and those waiting for room only because of it go on at once. Call it once
 * the stage owning seq reads no more slots: from that stage's thread after its last read (after
 * its qtp_processor_run returned), or from any thread after something that orders the stage's
 * reads before the call (joining it). Barriers that name seq still wait for it, so only a stage
 * no other stage depends on may leave. Safe against concurrent claims (SP and MP) and concurrent
 * removals. 0; ENOENT when seq is not in the set (or was removed already); EINVAL on NULL. */
int qtp_ring_remove_gating(struct qtp_ring *r, const struct qtp_seq *seq);

/* The wait strategy's constants (qtp_wait_parse's spec.params); before start, as set_gating.
 * Without this call the strategy runs with its defaults. 0, or EINVAL when a value is out of
 * its range. */
int qtp_ring_set_wait_params(struct qtp_ring *r, const struct qtp_wait_params *p);

/* The claim's fast path alone (QTP_PRODUCER_SINGLE): n (1..capacity) sequences if there is room
 * under the cached gating minimum and the ring runs; false, with nothing claimed, when the claim
 * would have to read the gating sequences (and perhaps wait), and always for MULTI. Lets a
 * producer tell a claim that went straight through from one that may have waited. */
static inline bool qtp_ring_claim_fast(struct qtp_ring *r, uint32_t n, int64_t *hi)
{
    /* n - 1 < capacity checks 1 <= n <= capacity in one compare. */
    if (r->producer == QTP_PRODUCER_SINGLE && n - 1u < r->capacity) {
        int64_t h = atomic_load_explicit(&r->next, memory_order_relaxed) + (int64_t)n;
        if (h - (int64_t)r->capacity <=
                atomic_load_explicit(&r->cached_gate, memory_order_relaxed) &&
            atomic_load_explicit(&r->state, memory_order_relaxed) == QTP_RING_RUNNING) {
            atomic_store_explicit(&r->next, h, memory_order_relaxed);
            *hi = h;
            return true;
        }
    }
    return false;
}

/* Claim n (1..capacity) consecutive sequences, waiting for room; *hi = last, lo = *hi - n + 1.
 * 0, ECANCELED when the ring is halted (nothing claimed), EINVAL when n is out of range. */
static inline int qtp_ring_claim(struct qtp_ring *r, uint32_t n, int64_t *hi)
{
    if (qtp_ring_claim_fast(r, n, hi))
        return 0;
    return qtp__ring_claim_slow(r, n, hi, true);
}

/* Claim without waiting: false when there is no room now (back-pressure), the ring is halted,
 * or n is out of range. */
static inline bool qtp_ring_try_claim(struct qtp_ring *r, uint32_t n, int64_t *hi)
{
    return qtp_ring_claim_fast(r, n, hi) || qtp__ring_claim_slow(r, n, hi, false) == 0;
}

/* Make lo..hi visible to consumers (release) and signal the waiter. With SINGLE, ranges are
 * published in claim order; with MULTI, in any order, and consumers only ever see a contiguous
 * prefix. */
static inline void qtp_ring_publish(struct qtp_ring *r, int64_t lo, int64_t hi)
{
    if (__builtin_expect(atomic_load_explicit(&qtp_planted_ns, memory_order_relaxed) != 0, 0))
        qtp__planted_delay(hi - lo + 1);
    if (r->producer == QTP_PRODUCER_SINGLE)
        qtp_seq_set(&r->cursor, hi); /* R1 (qtp_seq_set): slots lo..hi; pairs with A1 in
                                        qtp_barrier_available (qtp_seq_get) */
    else
        qtp__ring_publish_mp(r, lo, hi);
    if (r->signal_needed)
        qtp_waiter_signal(&r->waiter);
}

/* Address of the slot for seq. */
static inline void *qtp_ring_slot(const struct qtp_ring *r, int64_t seq)
{
    return r->slots + (size_t)(seq & r->mask) * r->stride;
}
/* The part of lo..hi (lo <= hi) that is contiguous in memory from lo's slot: returns lo's slot
 * and sets *n to the number of slots (1..hi - lo + 1) before hi or the end of the array; go on
 * from lo + *n. Lets a batch handler walk plain arrays (the compiler vectorises those). */
static inline void *qtp_ring_span(const struct qtp_ring *r, int64_t lo, int64_t hi, size_t *n)
{
    uint64_t idx = (uint64_t)(lo & r->mask);
    uint64_t room = (uint64_t)r->capacity - idx, want = (uint64_t)(hi - lo) + 1;
    *n = (size_t)(want < room ? want : room);
    return r->slots + (size_t)idx * r->stride;
}
uint32_t qtp_ring_capacity(const struct qtp_ring *r);
/* The slot stride: slot_size rounded up to a multiple of 8. */
size_t qtp_ring_slot_size(const struct qtp_ring *r);
/* The slot array and its size in bytes (placement checks ask the kernel where its pages are). */
void *qtp_ring_storage(const struct qtp_ring *r, size_t *bytes);
/* Highest sequence visible to consumers (contiguously published), for watchdogs and tests.
 * MULTI: exact while gating sequences are set, and once all have been removed (the producers are
 * then gated on the published frontier, so everything a lap behind the cursor is published);
 * with none ever set, a best effort over the last capacity sequences. */
int64_t qtp_ring_published(const struct qtp_ring *r);
/* Highest sequence claimed by any producer. */
int64_t qtp_ring_claimed(const struct qtp_ring *r);
struct qtp_waiter *qtp_ring_waiter(struct qtp_ring *r);
/* Wake sleepers after moving, by hand, a sequence someone may wait on (a stage that sets its
 * qtp_seq without qtp_processor_run). Costs nothing unless the wait strategy blocks. */
static inline void qtp_ring_signal(struct qtp_ring *r)
{
    if (r->signal_needed)
        qtp_waiter_signal(&r->waiter);
}

/* Stop the ring (see enum qtp_halt_mode). Idempotent; FORCED after GRACEFUL upgrades.
 * GRACEFUL is meant to be called once the producers have published their last events: claims
 * racing with it may be refused, and consumers then drain up to the highest claimed sequence. */
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

/* What wait_for would return now, without waiting (tests, watchdog): the highest available
 * sequence, which is < seq when seq is not available yet. With dependencies it is their minimum:
 * they are stages of this ring, so never ahead of the published cursor, and the cursor is not
 * read (its line stays with the producer). Without, the published cursor (MULTI: the highest
 * sequence published contiguously from seq). */
static inline int64_t qtp_barrier_available(const struct qtp_barrier *b, int64_t seq)
{
    if (b->ndeps)
        return qtp_seq_min(b->deps, b->ndeps, INT64_MAX);
    const struct qtp_ring *r = b->ring;
    int64_t c = qtp_seq_get(&r->cursor); /* A1: pairs with R1 in qtp_ring_publish */
    if (r->producer == QTP_PRODUCER_SINGLE || c < seq)
        return c;
    return qtp__ring_mp_highest(r, seq, c);
}

int qtp__barrier_wait_slow(const struct qtp_barrier *b, int64_t seq, int64_t *avail);

/* Wait until seq is available; *avail = highest available sequence (>= seq): see
 * qtp_barrier_available. 0, or ECANCELED when forced-halted, or when graceful-halted and seq is
 * past the highest claimed sequence (everything published has been handed out: drained). */
static inline int qtp_barrier_wait_for(const struct qtp_barrier *b, int64_t seq, int64_t *avail)
{
    int64_t a = qtp_barrier_available(b, seq);
    if (a >= seq) {
        *avail = a;
        return 0;
    }
    return qtp__barrier_wait_slow(b, seq, avail);
}

/* ---- event processor (a consumer loop) ---- */

/* Handle one event. end_of_batch is true on the last event of the batch wait_for returned.
 * Return 0 to go on; non-zero stops the processor, which returns that value. */
typedef int (*qtp_handler_fn)(void *ctx, void *slot, int64_t seq, bool end_of_batch);
/* Handle a whole batch lo..hi at once (walk it with qtp_ring_span: one call per event costs an
 * indirect call each, which caps a C consumer well below the ring's speed). Return 0 to go on;
 * non-zero stops the processor (its sequence stays at lo - 1), which returns that value. */
typedef int (*qtp_batch_handler_fn)(void *ctx, struct qtp_ring *r, int64_t lo, int64_t hi);

struct qtp_processor {
    struct qtp_seq seq; /* highest sequence this consumer has finished (own block) */
    struct qtp_barrier barrier;
    qtp_handler_fn handler;             /* per event, or NULL when batch_handler is set */
    qtp_batch_handler_fn batch_handler; /* per batch, or NULL */
    void *ctx;
    uint32_t max_batch; /* 0: as much as is available */
};

void qtp_processor_init(struct qtp_processor *p, const struct qtp_barrier *b, qtp_handler_fn fn,
                        void *ctx, uint32_t max_batch);
/* The same with a batch handler. */
void qtp_processor_init_batch(struct qtp_processor *p, const struct qtp_barrier *b,
                              qtp_batch_handler_fn fn, void *ctx, uint32_t max_batch);
/* Run until halted (0) or the handler fails (its value). Sets p->seq once per batch and signals
 * the ring's waiter so dependants and the producer move on. */
int qtp_processor_run(struct qtp_processor *p);

#endif
