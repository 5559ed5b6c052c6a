/* qtp_ckq.c - the ck_ring queues: spsc (one ring, capacity + 1 buffers) and mpmc (a free list
 * and a full list of capacity buffers), waits through the wait strategies.
 *
 * ---- Why no wake-up is lost ----
 * A queue has two conditions to wait for, so it has two waiters: consumers wait on not_empty and
 * every push signals it; producers wait on not_full and every pop signals it; a close (either
 * mode) alerts both, since after it no call has anything left to wait for. One waiter would also be
 * correct (block broadcasts, and every woken thread re-checks its own condition), but then a push
 * would take the lock and wake the producers sleeping on a full queue whenever any sleep, for
 * nothing; with two, each operation only ever pays for the other side's sleepers. For one waiter,
 * the argument is qtp_wait.c's: a sleeper S counts itself in `sleepers`, then (seq_cst fence)
 * re-checks its condition, which reads ck's counters (c_head, p_tail) and the queue state; a thread
 * T that moves a counter (ck's store inside enqueue/dequeue) or the state calls signal, which
 * (seq_cst fence) then reads `sleepers`. Whichever fence comes first, S sees T's move or T sees S
 * counted and broadcasts under the lock S holds until it sleeps. ck's counter accesses are inline
 * asm with "memory" clobbers, so the compiler keeps them on their side of the fences, and the
 * fences (mfence / a locked RMW on x86-64) order them in hardware. The condition a thread waits for
 * is only ever made true by a move that is followed by a signal on that waiter: not-empty by a
 * push's commit (signal not_empty), not-full (spsc: ck's c_head; mpmc: the free list's p_tail) by a
 * pop (signal not_full). A close stores the state, then alerts, which every strategy's wait checks
 * (under block's lock too, after the alert's signal), so a close is never slept through either.
 *
 * ---- ThreadSanitizer ----
 * ck_pr_* on x86-64 are inline asm: TSan sees neither the counters' synchronisation nor, as a
 * consequence, any order between ck's plain copies of the pointer slots, and would report both
 * ck's slots and our event buffers as races. So in TSan builds (QTOPO_TSAN):
 *   - ck's own memory is not checked: every ck_ring call runs between CK_BEGIN and CK_END
 *     (TSan's ignore-reads/writes annotations). No event copy runs inside them.
 *   - the event buffers are checked, with the happens-before ck really provides written out on
 *     the buffer's address: the filler releases after its copy in (H1) and the consumer acquires
 *     before its copy out (H2); the consumer releases after its copy out (H3) and the next filler
 *     of that buffer acquires before it writes (H4). Each acquire runs after the thread saw, in
 *     a ck counter, the move that followed the matching release, so TSan's order is the real one.
 * The queues_ckq_tsan_control tests build this file with QTP_CKQ_WEAKEN set to drop H2 or H4,
 * or to move H1 before the copy, and pass only if TSan then reports the race on the event
 * buffer; and with ck's memory checked, passing only if TSan reports inside ck_ring.
 */
#include "qtp_ckq.h"

#include <errno.h>
#include <sched.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_alloc.h"
#include "qtp_table.h"

/* ck pads its counters to CK_MD_CACHELINE (64 by default): make it our 128-byte block, as
 * adjacent-line prefetchers pull pairs of lines. ck_ring is all inline, so this changes only
 * our copy of its layout. */
#define CK_MD_CACHELINE QTP_CACHE_BLOCK
#include <ck_pr.h>
#include <ck_ring.h>

_Static_assert(offsetof(struct ck_ring, p_tail) - offsetof(struct ck_ring, c_head) >=
                   QTP_CACHE_BLOCK,
               "ck_ring's consumer and producer counters are a block apart");
_Static_assert(offsetof(struct ck_ring, size) - offsetof(struct ck_ring, p_head) >=
                   QTP_CACHE_BLOCK - sizeof(unsigned int),
               "ck_ring's read-mostly size/mask do not share the producer counters' block");

#ifndef QTP_CKQ_WEAKEN
/* Test only: 1 drops H2, 2 releases H1 before the copy in, 3 lets TSan check ck's memory,
 * 4 drops H4. */
#define QTP_CKQ_WEAKEN 0
#endif

#if defined(QTOPO_TSAN) && QTP_CKQ_WEAKEN != 3
/* TSan's dynamic annotations (exported by the GCC and Clang runtimes; no header declares them). */
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define CK_BEGIN()                                                                                 \
    (AnnotateIgnoreReadsBegin(__FILE__, __LINE__), AnnotateIgnoreWritesBegin(__FILE__, __LINE__))
#define CK_END()                                                                                   \
    (AnnotateIgnoreWritesEnd(__FILE__, __LINE__), AnnotateIgnoreReadsEnd(__FILE__, __LINE__))
#else
#define CK_BEGIN() ((void)0)
#define CK_END() ((void)0)
#endif
#ifdef QTOPO_TSAN
#include <sanitizer/tsan_interface.h>
#define HB_RELEASE(p) __tsan_release(p)
#define HB_ACQUIRE(p) __tsan_acquire(p)
#else
#define HB_RELEASE(p) ((void)(p))
#define HB_ACQUIRE(p) ((void)(p))
#endif

#define MAX_CAPACITY ((size_t)1 << 30) /* ck's counters are 32-bit; rings up to 2^31 slots */

enum { OPEN = 0, DRAINING = 1, FORCED = 2 };

struct variant {
    const char *name;
    bool (*put)(struct qtp_ckq *q, const void *ev); /* copy in if there is room */
    bool (*take)(struct qtp_ckq *q, void *ev);      /* copy out if there is an event */
    bool (*has_room)(const struct qtp_ckq *q);      /* a put would find room now */
};

/* Layout: what both sides read on every operation and nobody writes while running (state
 * changes once or twice, at close) shares one block; the spsc producer's private index has its
 * own; each ck_ring starts a block (ck pads between its counters, not before its first); each
 * waiter keeps its hot fields on blocks of their own.
 *
 * Invariants (C = capacity; ck counters are free-running 32-bit, masked on access):
 *   spsc: queued = p_tail - c_head <= C; the producer fills events[next_buf] for position
 *         p_tail, next_buf = p_tail mod (C + 1); so the buffer the consumer copies out of
 *         (position c_head - 1, already dequeued) is refilled only at position c_head + C,
 *         which needs c_head to move on, i.e. that copy to be over.
 *   mpmc: each of the C buffers is in exactly one place: the free ring, the full ring, or the
 *         hands of one thread between its dequeue and its enqueue; both rings hold >= C.
 *   state: OPEN -> DRAINING -> FORCED, or OPEN -> FORCED; it only grows. */
struct qtp_ckq {
    alignas(QTP_CACHE_BLOCK) const struct variant *v;
    unsigned char *events;
    ck_ring_buffer_t *slots;      /* the full ring's pointer slots */
    ck_ring_buffer_t *free_slots; /* mpmc: the free ring's */
    size_t events_bytes;
    size_t slots_bytes; /* each ring's */
    size_t event_size;
    size_t stride; /* event_size rounded up to a multiple of 8 */
    uint32_t capacity;
    uint32_t nbufs;
    bool signal_needed; /* the wait strategy's signal() is not a no-op */
    _Atomic int state;
    alignas(QTP_CACHE_BLOCK) uint32_t next_buf; /* spsc: producer-private */
    alignas(QTP_CACHE_BLOCK) struct ck_ring ring;
    alignas(QTP_CACHE_BLOCK) struct ck_ring free_ring; /* mpmc */
    alignas(QTP_CACHE_BLOCK) struct qtp_waiter not_empty;
    alignas(QTP_CACHE_BLOCK) struct qtp_waiter not_full;
};
_Static_assert(offsetof(struct qtp_ckq, next_buf) - offsetof(struct qtp_ckq, state) >=
                       sizeof(int) &&
                   offsetof(struct qtp_ckq, next_buf) % QTP_CACHE_BLOCK == 0,
               "the producer's index is off the read-mostly block");
_Static_assert(offsetof(struct qtp_ckq, ring) % QTP_CACHE_BLOCK == 0 &&
                   offsetof(struct qtp_ckq, ring) >=
                       offsetof(struct qtp_ckq, next_buf) + QTP_CACHE_BLOCK,
               "the ring's consumer counter owns its block");
_Static_assert(offsetof(struct qtp_ckq, free_ring) % QTP_CACHE_BLOCK == 0 &&
                   offsetof(struct qtp_ckq, free_ring) >=
                       offsetof(struct qtp_ckq, ring) + sizeof(struct ck_ring),
               "the free ring does not share the ring's last block");
_Static_assert(offsetof(struct qtp_ckq, not_empty) >=
                   offsetof(struct qtp_ckq, free_ring) + sizeof(struct ck_ring),
               "the waiters do not share the free ring's last block");

static unsigned char *buffer(const struct qtp_ckq *q, uint32_t i)
{
    return q->events + (size_t)i * q->stride;
}

static void copy_in(unsigned char *buf, const void *ev, size_t n)
{
#if QTP_CKQ_WEAKEN != 4
    HB_ACQUIRE(buf); /* H4: the last copy out of buf (H3) */
#endif
#if QTP_CKQ_WEAKEN == 2
    HB_RELEASE(buf); /* weakened H1: before the copy, so the copy is unordered */
    memcpy(buf, ev, n);
#else
    memcpy(buf, ev, n);
    HB_RELEASE(buf); /* H1: the copy in, for H2 */
#endif
}

static void copy_out(void *ev, const unsigned char *buf, size_t n)
{
#if QTP_CKQ_WEAKEN != 1
    HB_ACQUIRE((void *)buf); /* H2: the copy in (H1) */
#endif
    memcpy(ev, buf, n);
    HB_RELEASE((void *)buf); /* H3: done with buf, for the next filler's H4 */
}

/* ---- spsc ---- */

static bool spsc_put(struct qtp_ckq *q, const void *ev)
{
    unsigned int queued;
    CK_BEGIN();
    /* Reserve has no side effect: it only tells where position p_tail's pointer goes. */
    ck_ring_buffer_t *slot = ck_ring_enqueue_reserve_spsc_size(&q->ring, q->slots, &queued);
    CK_END();
    if (!slot || queued >= q->capacity)
        return false;
    /* A1: orders ck's load of c_head above before our writes to the buffer (see the invariant:
     * that c_head is what frees it); pairs with the fence_store before ck's c_head store in
     * the consumer's dequeue. A compiler barrier on x86-64. */
    ck_pr_fence_acquire();
    unsigned char *buf = buffer(q, q->next_buf);
    copy_in(buf, ev, q->event_size);
    CK_BEGIN();
    slot->value = buf;
    /* R1 (ck's fence_store + p_tail store): the buffer and the slot; pairs with ck's p_tail
     * load + fence_load in the consumer's dequeue. */
    ck_ring_enqueue_commit_spsc(&q->ring);
    CK_END();
    q->next_buf = q->next_buf + 1 == q->nbufs ? 0 : q->next_buf + 1;
    return true;
}

static bool spsc_take(struct qtp_ckq *q, void *ev)
{
    void *buf;
    CK_BEGIN();
    bool ok = ck_ring_dequeue_spsc(&q->ring, q->slots, &buf); /* A2: pairs with R1 */
    CK_END();
    if (!ok)
        return false;
    copy_out(ev, buf, q->event_size);
    return true;
}

static bool spsc_has_room(const struct qtp_ckq *q)
{
    return ck_ring_size(&q->ring) < q->capacity;
}

/* ---- mpmc ---- */

/* Spins before a producer waiting for an earlier one's commit starts yielding its CPU. */
#define COMMIT_SPINS 64

/* Neither enqueue below can fail: only `capacity` buffers exist and each ring holds that many,
 * so a failure means the invariant is broken; stop rather than lose an event.
 * ck_ring_enqueue_mpmc commits in ticket order, spinning until every earlier producer has
 * committed. A producer preempted between its reservation and its commit then holds all later
 * ones, and when they share its CPU (more threads than CPUs, or pinned together) a pure spin
 * burns their whole time slice per event while it cannot run: a sequencer cell ran minutes
 * instead of a second. So the enqueue is ck's reserve and commit, with the wait for our turn
 * done here first: a short spin, then sched_yield between checks; ck's own wait inside the
 * commit then finds p_tail at our ticket at once. */
static void enqueue_mpmc(struct ck_ring *r, ck_ring_buffer_t *slots, void *buf)
{
    unsigned int ticket;
    CK_BEGIN();
    ck_ring_buffer_t *slot = ck_ring_enqueue_reserve_mpmc(r, slots, &ticket);
    if (slot)
        slot->value = buf;
    for (unsigned spins = 0; slot && ck_pr_load_uint(&r->p_tail) != ticket; spins++) {
        if (spins < COMMIT_SPINS)
            ck_pr_stall();
        else
            sched_yield();
    }
    if (slot)
        ck_ring_enqueue_commit_mpmc(r, ticket); /* fence_store, then p_tail = ticket + 1 */
    CK_END();
    if (!slot)
        abort();
}

static bool mpmc_put(struct qtp_ckq *q, const void *ev)
{
    void *buf;
    CK_BEGIN();
    /* A3: ck's CAS on the free ring's c_head (a full barrier on x86-64) follows the slot read
     * that gave us buf, so our writes come after the last copy out of it; pairs with R3. */
    bool ok = ck_ring_dequeue_mpmc(&q->free_ring, q->free_slots, &buf);
    CK_END();
    if (!ok)
        return false;
    copy_in(buf, ev, q->event_size);
    enqueue_mpmc(&q->ring, q->slots, buf); /* R1 (fence_store + p_tail store), as spsc */
    return true;
}

static bool mpmc_take(struct qtp_ckq *q, void *ev)
{
    void *buf;
    CK_BEGIN();
    bool ok = ck_ring_dequeue_mpmc(&q->ring, q->slots, &buf); /* A2: pairs with R1 */
    CK_END();
    if (!ok)
        return false;
    copy_out(ev, buf, q->event_size);
    /* R3 (ck's CAS on the free ring's p_head, then its p_tail store): the copy out is over. */
    enqueue_mpmc(&q->free_ring, q->free_slots, buf);
    return true;
}

static bool mpmc_has_room(const struct qtp_ckq *q)
{
    return ck_ring_size(&q->free_ring) > 0;
}

static const struct variant spsc = {"spsc", spsc_put, spsc_take, spsc_has_room};
static const struct variant mpmc = {"mpmc", mpmc_put, mpmc_take, mpmc_has_room};

/* ---- common ---- */

/* A4: acquire; pairs with R4 in qtp_ckq_close: a pop that sees DRAINING sees every push that
 * returned before the close. */
static int state_of(const struct qtp_ckq *q)
{
    return atomic_load_explicit(&((struct qtp_ckq *)q)->state, memory_order_acquire);
}

/* Wait conditions: the queue moved, or was closed (then the caller finds out which). */
static bool can_push(void *arg)
{
    const struct qtp_ckq *q = arg;
    return q->v->has_room(q) || state_of(q) != OPEN;
}

static bool can_pop(void *arg)
{
    const struct qtp_ckq *q = arg;
    return ck_ring_size(&q->ring) > 0 || state_of(q) != OPEN;
}

static size_t round_pow2(size_t v)
{
    size_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

static int ckq_create(struct qtp_ckq **out, size_t capacity, size_t event_size, unsigned producers,
                      unsigned consumers, const struct qtp_wait_ops *wait)
{
    if (!out)
        return EINVAL;
    *out = NULL;
    if (capacity == 0 || capacity > MAX_CAPACITY || event_size == 0 ||
        event_size > SIZE_MAX / 4 / (capacity + 1) || producers == 0 || consumers == 0)
        return EINVAL;
    const struct qtp_wait_ops *ops = wait ? wait : &qtp_wait_strategies[0];
    if (!ops->wait_until || !ops->signal || !ops->init || !ops->destroy)
        return EINVAL;
    struct qtp_ckq *q = qtp_alloc(sizeof(*q), alignof(struct qtp_ckq));
    if (!q)
        return ENOMEM;
    q->v = producers == 1 && consumers == 1 ? &spsc : &mpmc;
    q->capacity = (uint32_t)capacity;
    q->nbufs = (uint32_t)(q->v == &spsc ? capacity + 1 : capacity);
    q->event_size = event_size;
    q->stride = (event_size + 7u) & ~(size_t)7u;
    q->events_bytes = q->stride * q->nbufs;
    /* Page-align big arrays so placement checks see whole pages of one queue. */
    q->events = qtp_alloc(q->events_bytes, q->events_bytes >= 4096 ? 4096 : QTP_CACHE_BLOCK);
    /* ck_ring holds size - 1: the smallest power of two above capacity. */
    unsigned int ring_size = (unsigned int)round_pow2(capacity + 1);
    q->slots_bytes = sizeof(ck_ring_buffer_t) * ring_size;
    q->slots = qtp_alloc(q->slots_bytes, QTP_CACHE_BLOCK);
    if (q->v == &mpmc)
        q->free_slots = qtp_alloc(q->slots_bytes, QTP_CACHE_BLOCK);
    if (!q->events || !q->slots || (q->v == &mpmc && !q->free_slots))
        goto fail;
    ck_ring_init(&q->ring, ring_size);
    ck_ring_init(&q->free_ring, ring_size);
    if (q->v == &mpmc)
        for (uint32_t i = 0; i < q->nbufs; i++)
            enqueue_mpmc(&q->free_ring, q->free_slots, buffer(q, i));
    q->next_buf = 0;
    atomic_init(&q->state, OPEN);
    if (qtp_waiter_init(&q->not_empty, ops) != 0)
        goto fail;
    if (qtp_waiter_init(&q->not_full, ops) != 0) {
        qtp_waiter_destroy(&q->not_empty);
        goto fail;
    }
    q->signal_needed = qtp_wait_needs_signal(ops);
    *out = q;
    return 0;
fail:
    qtp_free(q->free_slots, q->slots_bytes);
    qtp_free(q->slots, q->slots_bytes);
    qtp_free(q->events, q->events_bytes);
    qtp_free(q, sizeof(*q));
    return ENOMEM;
}

const struct qtp_ckq_ops qtp_ckq_kinds[] = {
    {"ck-ring",
     "lock-free ck_ring per edge, events copied: SPSC where an edge has one producer and one "
     "consumer, MPMC (ring + free list) where it has more",
     false, ckq_create},
    {NULL, NULL, false, NULL},
};

_Static_assert(offsetof(struct qtp_ckq_ops, name) == 0,
               "qtp_table_find: the name is the first member");

const struct qtp_ckq_ops *qtp_ckq_find(const char *name)
{
    return QTP_FIND_NAME(qtp_ckq_kinds, name);
}

void qtp_ckq_destroy(struct qtp_ckq *q)
{
    if (!q)
        return;
    qtp_waiter_destroy(&q->not_full);
    qtp_waiter_destroy(&q->not_empty);
    qtp_free(q->free_slots, q->slots_bytes);
    qtp_free(q->slots, q->slots_bytes);
    qtp_free(q->events, q->events_bytes);
    qtp_free(q, sizeof(*q));
}

static int push(struct qtp_ckq *q, const void *ev, bool wait)
{
    for (;;) {
        if (atomic_load_explicit(&q->state, memory_order_relaxed) != OPEN)
            return EPIPE;
        if (q->v->put(q, ev)) {
            if (q->signal_needed)
                qtp_waiter_signal(&q->not_empty);
            return 0;
        }
        if (!wait)
            return EAGAIN;
        /* OK or ALERTED (closed): either way the loop re-checks. */
        q->not_full.ops->wait_until(&q->not_full, can_push, q);
    }
}

int qtp_ckq_push(struct qtp_ckq *q, const void *ev)
{
    return push(q, ev, true);
}

int qtp_ckq_try_push(struct qtp_ckq *q, const void *ev)
{
    return push(q, ev, false);
}

int qtp_ckq_pop(struct qtp_ckq *q, void *ev)
{
    for (;;) {
        int st = state_of(q); /* A4 */
        if (st == FORCED)
            return EPIPE;
        if (q->v->take(q, ev)) {
            if (q->signal_needed)
                qtp_waiter_signal(&q->not_full);
            return 0;
        }
        if (st == DRAINING)
            return EPIPE; /* closed before we looked, and nothing left */
        q->not_empty.ops->wait_until(&q->not_empty, can_pop, q);
    }
}

void qtp_ckq_close(struct qtp_ckq *q, enum qtp_close_mode mode)
{
    /* R4: release (seq_cst); pairs with A4. A forced close is not undone. */
    if (mode == QTP_CLOSE_FORCED) {
        atomic_store_explicit(&q->state, FORCED, memory_order_seq_cst);
    } else {
        int open = OPEN;
        atomic_compare_exchange_strong(&q->state, &open, DRAINING);
    }
    /* Closed either way, nothing will wait again: pushes fail, pops take what is queued or
     * fail. So the alert (every current and later wait returns at once), not just a signal:
     * it also reaches waiters that do not sleep on the condition variable. */
    qtp_waiter_alert(&q->not_empty);
    qtp_waiter_alert(&q->not_full);
}

size_t qtp_ckq_depth(const struct qtp_ckq *q)
{
    return state_of(q) == FORCED ? 0 : ck_ring_size(&q->ring);
}

size_t qtp_ckq_capacity(const struct qtp_ckq *q)
{
    return q->capacity;
}

void *qtp_ckq_storage(const struct qtp_ckq *q, size_t *bytes)
{
    if (bytes)
        *bytes = q->events_bytes;
    return q->events;
}

const char *qtp_ckq_variant(const struct qtp_ckq *q)
{
    return q->v->name;
}

int qtp_ckq_set_wait_params(struct qtp_ckq *q, const struct qtp_wait_params *p)
{
    if (!q)
        return EINVAL;
    int rc = qtp_waiter_set_params(&q->not_empty, p);
    return rc ? rc : qtp_waiter_set_params(&q->not_full, p);
}

int qtp_ckq_sleepers(const struct qtp_ckq *q)
{
    struct qtp_ckq *m = (struct qtp_ckq *)q;
    return atomic_load_explicit(&m->not_empty.sleepers, memory_order_relaxed) +
           atomic_load_explicit(&m->not_full.sleepers, memory_order_relaxed);
}
