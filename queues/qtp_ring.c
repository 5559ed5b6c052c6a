/* qtp_ring.c - ring creation, the slow paths of claim and wait, MULTI publish, halt, processor. */
#include "qtp_ring.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtp_alloc.h"

_Atomic uint64_t qtp_planted_ns;

#ifdef QTOPO_PLANTED_REGRESSION
#include <pthread.h>
static pthread_once_t planted_once = PTHREAD_ONCE_INIT;
static void planted_read_env(void)
{
    const char *s = getenv("QTOPO_PLANTED_NS");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == '\0')
            atomic_store_explicit(&qtp_planted_ns, (uint64_t)v, memory_order_relaxed);
    }
}
#endif

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void qtp__planted_delay(int64_t events)
{
    uint64_t ns = atomic_load_explicit(&qtp_planted_ns, memory_order_relaxed);
    uint64_t end = now_ns() + ns * (uint64_t)(events > 0 ? events : 0);
    while (now_ns() < end)
        qtp_cpu_relax();
}

static unsigned log2u(uint32_t v)
{
    unsigned l = 0;
    while ((1u << l) < v)
        l++;
    return l;
}

int qtp_ring_create(struct qtp_ring **out, const struct qtp_ring_config *cfg)
{
    if (!out || !cfg)
        return EINVAL;
    *out = NULL;
    uint32_t cap = cfg->capacity;
    if (cap == 0 || (cap & (cap - 1)) != 0 || cap > (1u << 31) || cfg->slot_size == 0 ||
        cfg->slot_size > SIZE_MAX / 2 / cap)
        return EINVAL;
    if (cfg->producer != QTP_PRODUCER_SINGLE && cfg->producer != QTP_PRODUCER_MULTI)
        return EINVAL;
    const struct qtp_wait_ops *ops = cfg->wait ? cfg->wait : &qtp_wait_strategies[0];
    if (!ops->wait_until || !ops->signal || !ops->init || !ops->destroy)
        return EINVAL;

#ifdef QTOPO_PLANTED_REGRESSION
    pthread_once(&planted_once, planted_read_env);
#endif

    struct qtp_ring *r = qtp_alloc(sizeof(*r), alignof(struct qtp_ring));
    if (!r)
        return ENOMEM;
    r->capacity = cap;
    r->log2cap = log2u(cap);
    r->mask = (int64_t)cap - 1;
    r->slot_size = cfg->slot_size;
    r->stride = (cfg->slot_size + 7u) & ~(size_t)7u;
    r->storage_bytes = r->stride * cap;
    r->producer = cfg->producer;
    /* Page-align big arrays so placement checks see whole pages of one ring. */
    size_t align = r->storage_bytes >= 4096 ? 4096 : QTP_CACHE_BLOCK;
    r->slots = qtp_alloc(r->storage_bytes, align);
    if (!r->slots)
        goto fail;
    if (r->producer == QTP_PRODUCER_MULTI) {
        r->available_bytes = sizeof(*r->available) * cap;
        r->available = qtp_alloc(r->available_bytes, QTP_CACHE_BLOCK);
        if (!r->available)
            goto fail;
        for (uint32_t i = 0; i < cap; i++)
            atomic_init(&r->available[i], UINT32_MAX);
    }
    atomic_init(&r->state, QTP_RING_RUNNING);
    r->ngating = 0;
    atomic_init(&r->gating_gone, 0);
    qtp_seq_init(&r->cursor, QTP_SEQ_INITIAL);
    atomic_init(&r->next, QTP_SEQ_INITIAL);
    atomic_init(&r->cached_gate, INT64_MAX); /* no gating: never gated */
    if (qtp_waiter_init(&r->waiter, ops) != 0)
        goto fail;
    r->signal_needed = qtp_wait_needs_signal(ops);
    *out = r;
    return 0;
fail:
    qtp_free(r->available, r->available_bytes);
    qtp_free(r->slots, r->storage_bytes);
    qtp_free(r, sizeof(*r));
    return ENOMEM;
}

void qtp_ring_destroy(struct qtp_ring *r)
{
    if (!r)
        return;
    qtp_waiter_destroy(&r->waiter);
    qtp_free(r->available, r->available_bytes);
    qtp_free(r->slots, r->storage_bytes);
    qtp_free(r, sizeof(*r));
}

int qtp_ring_set_gating(struct qtp_ring *r, const struct qtp_seq *const *seqs, size_t n)
{
    if (!r || n > QTP_RING_MAX_GATING || (n > 0 && !seqs))
        return EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!seqs[i])
            return EINVAL;
        r->gating[i] = seqs[i];
    }
    r->ngating = n;
    atomic_store_explicit(&r->gating_gone, 0, memory_order_relaxed);
    /* -1 is a safe lower bound for any stage's sequence; refreshed on the first full check. */
    atomic_store_explicit(&r->cached_gate, n ? QTP_SEQ_INITIAL : INT64_MAX, memory_order_relaxed);
    return 0;
}

size_t qtp_ring_gating(const struct qtp_ring *r, const struct qtp_seq **seqs, size_t max)
{
    uint64_t gone =
        atomic_load_explicit(&((struct qtp_ring *)r)->gating_gone, memory_order_relaxed);
    size_t n = 0;
    for (size_t i = 0; i < r->ngating && n < max; i++)
        if (!(gone >> i & 1))
            seqs[n++] = r->gating[i];
    return n;
}

/* ---- claim ---- */

/* A4: pairs with R4 in qtp_ring_halt: once a waiter sees the halt, it also sees every claim
 * the halting thread knew of (its own, or a joined producer's), so the drain below never stops
 * short of them. */
static int ring_state(const struct qtp_ring *r)
{
    return atomic_load_explicit(&((struct qtp_ring *)r)->state, memory_order_acquire);
}

/* Minimum of the gating sequences still in the set; A1 (qtp_seq_get) pairs with the stages' R1:
 * their reads of the slots we are about to overwrite happen before our writes. */
static int64_t gating_min(const struct qtp_ring *r)
{
    /* A6: pairs with R6 in qtp_ring_remove_gating. */
    uint64_t gone =
        atomic_load_explicit(&((struct qtp_ring *)r)->gating_gone, memory_order_acquire);
    if (!gone)
        return qtp_seq_min(r->gating, r->ngating, INT64_MAX);
    int64_t m = INT64_MAX;
    for (size_t i = 0; i < r->ngating; i++) {
        if (gone & (UINT64_C(1) << i))
            continue;
        int64_t v = qtp_seq_get(r->gating[i]);
        if (v < m)
            m = v;
    }
    if (m == INT64_MAX && r->producer == QTP_PRODUCER_MULTI) {
        /* Every gating stage has left. Producers must still not lap each other: a slot is free
         * again only once its last occupant has been published, or two producers a lap apart
         * write one slot at once. The published frontier from the last gate on is that bound
         * (A3 in qtp__ring_mp_highest orders the earlier writer's stores before our writes).
         *
         * The scan must not start more than a lap before the cursor c. cached_gate can be that
         * far behind: R2 in claim_mp is a plain store, so a producer delayed between its
         * gating_min and its R2 writes back an old gate after the others have stored newer ones
         * and claimed up to a lap past those. Slot (g + 1) & mask then holds a later lap's
         * round, the scan stops at once and returns g, and since every producer waits on this
         * same scan nobody raises cached_gate again: they stop with the ring empty (the
         * broker's opt-out stall). Everything up to c - capacity is published (claiming c
         * needed a gate of c - capacity), so the scan starts at c - capacity + 1 at the
         * latest; its A3 covers every slot a claim from c may overwrite (seqs c - capacity +
         * 1.. on), and g, when it is ahead of that, still covers what it skips through A2. */
        int64_t g =
            atomic_load_explicit(&((struct qtp_ring *)r)->cached_gate, memory_order_acquire);
        int64_t c = qtp_seq_get(&r->cursor);
        int64_t lo = g + 1 > c - (int64_t)r->capacity + 1 ? g + 1 : c - (int64_t)r->capacity + 1;
        m = qtp__ring_mp_highest(r, lo < 0 ? 0 : lo, c);
    }
    return m;
}

/* ---- removing a gating sequence at run time ----
 *
 * gating[] and ngating never change while producers run: a removal sets the sequence's bit in
 * gating_gone (R6) and gating_min skips set bits (A6). Why that is safe against concurrent
 * claims, by single and multiple producers alike:
 *
 * - A producer that read the mask before R6 counts the departed stage in its minimum: it is
 *   gated as before, which is never unsafe, only late; it may wait for room the departed stage
 *   will never give. That wait re-reads the mask on every check (claim_cond calls gating_min),
 *   and remove_gating wakes every waiter after R6 (qtp_waiter_wake_all: block's and phased's
 *   sleepers, sleep's nappers; spin and yield poll). The lost-wake-up arguments in qtp_wait.c
 *   cover the mask as they cover any store made before the wake.
 * - The cached gate (SP: the producer's own; MP: shared through A2/R2) stays a lower bound of the
 *   minimum: taking a member out of a set never lowers its minimum, and sequences only grow. The
 *   fast path, which trusts it without reading a sequence, stays safe; when it runs out, the slow
 *   path refreshes it from gating_min, which sees the removal.
 * - A producer that read the mask after R6 may overwrite slots the departed stage never
 *   finished. That is the point, and it is safe by the contract: the departed stage reads no slot
 *   after it is removed. Its reads are sequenced before (or happen before) R6, R6 (a release)
 *   synchronises with A6 (an acquire) in the producer that saw the bit, and that producer writes
 *   slots only after A6, so the reads happen before the writes. A MULTI producer that took the
 *   gate from another's cached_gate (A2) inherits that order through R2. Once the stage has left
 *   it does not matter which slots are overwritten: nobody reads them on its behalf.
 * - When the last gating stage leaves, MULTI producers are gated on the published frontier
 *   instead (gating_min): with nobody to wait for they must still not lap one another onto a
 *   slot another producer is writing. SINGLE has one writer and runs free.
 * - Barriers are untouched: a stage whose barrier names the departed sequence keeps waiting for
 *   it, hence "only a stage no other stage depends on may leave".
 * The bit is set by one RMW, so concurrent removals (of the same sequence or others) are safe and
 * exactly one of two removals of the same sequence reports success. */
int qtp_ring_remove_gating(struct qtp_ring *r, const struct qtp_seq *seq)
{
    if (!r || !seq)
        return EINVAL;
    uint64_t bits = 0;
    for (size_t i = 0; i < r->ngating; i++)
        if (r->gating[i] == seq)
            bits |= UINT64_C(1) << i;
    if (!bits)
        return ENOENT;
    /* R6: the departed stage's last reads; pairs with A6 in gating_min. */
    uint64_t old = atomic_fetch_or_explicit(&r->gating_gone, bits, memory_order_seq_cst);
    if ((old & bits) == bits)
        return ENOENT;
    qtp_waiter_wake_all(&r->waiter);
    return 0;
}

int qtp_ring_set_wait_params(struct qtp_ring *r, const struct qtp_wait_params *p)
{
    if (!r)
        return EINVAL;
    return qtp_waiter_set_params(&r->waiter, p);
}

struct claim_wait {
    const struct qtp_ring *r;
    int64_t wrap; /* the slowest gating stage must have finished this sequence */
    int64_t gate; /* out: the gating minimum that satisfied it */
};

static bool claim_cond(void *arg)
{
    struct claim_wait *c = arg;
    int64_t g = gating_min(c->r);
    if (g >= c->wrap) {
        c->gate = g;
        return true;
    }
    return ring_state(c->r) != QTP_RING_RUNNING;
}

/* Wait until the gating minimum reaches wrap. 0 with *gate set, or ECANCELED when halted. */
static int wait_for_room(struct qtp_ring *r, int64_t wrap, int64_t *gate)
{
    struct claim_wait c = {r, wrap, 0};
    if (r->waiter.ops->wait_until(&r->waiter, claim_cond, &c) != QTP_WAIT_OK ||
        ring_state(r) != QTP_RING_RUNNING)
        return ECANCELED;
    *gate = c.gate;
    return 0;
}

static int claim_sp(struct qtp_ring *r, uint32_t n, int64_t *hi, bool wait)
{
    if (ring_state(r) != QTP_RING_RUNNING)
        return ECANCELED;
    int64_t h = atomic_load_explicit(&r->next, memory_order_relaxed) + (int64_t)n;
    int64_t wrap = h - (int64_t)r->capacity;
    int64_t g = gating_min(r);
    if (wrap > g) {
        if (!wait)
            return EAGAIN;
        int rc = wait_for_room(r, wrap, &g);
        if (rc)
            return rc;
    }
    atomic_store_explicit(&r->cached_gate, g, memory_order_relaxed);
    atomic_store_explicit(&r->next, h, memory_order_relaxed);
    *hi = h;
    return 0;
}

/* MULTI: wait for room first, then CAS the claim counter, so a refused claim took nothing (as
 * the Disruptor's MultiProducerSequencer.next). */
static int claim_mp(struct qtp_ring *r, uint32_t n, int64_t *hi, bool wait)
{
    for (;;) {
        if (ring_state(r) != QTP_RING_RUNNING)
            return ECANCELED;
        int64_t cur = atomic_load_explicit(&r->cursor.value, memory_order_relaxed);
        int64_t h = cur + (int64_t)n;
        int64_t wrap = h - (int64_t)r->capacity;
        /* A2: pairs with R2 below: a gate value another producer read (with A1) carries the
         * stages' happens-before to us, so our slot writes do not race with their reads. */
        int64_t g = atomic_load_explicit(&r->cached_gate, memory_order_acquire);
        if (wrap > g) {
            g = gating_min(r);
            if (wrap > g) {
                if (!wait)
                    return EAGAIN;
                int rc = wait_for_room(r, wrap, &g);
                if (rc)
                    return rc;
                continue; /* the counter may have moved meanwhile */
            }
            /* R2: pairs with A2 above (in other producers). */
            atomic_store_explicit(&r->cached_gate, g, memory_order_release);
        }
        if (atomic_compare_exchange_weak_explicit(&r->cursor.value, &cur, h, memory_order_acq_rel,
                                                  memory_order_relaxed)) {
            *hi = h;
            return 0;
        }
    }
}

int qtp__ring_claim_slow(struct qtp_ring *r, uint32_t n, int64_t *hi, bool wait)
{
    if (n == 0 || n > r->capacity)
        return EINVAL;
    return r->producer == QTP_PRODUCER_SINGLE ? claim_sp(r, n, hi, wait) : claim_mp(r, n, hi, wait);
}

/* ---- MULTI availability ---- */

void qtp__ring_publish_mp(struct qtp_ring *r, int64_t lo, int64_t hi)
{
    for (int64_t s = lo; s <= hi; s++)
        /* R3: slot s is written; pairs with A3 in qtp__ring_mp_highest. */
        atomic_store_explicit(&r->available[s & r->mask], (uint32_t)(s >> r->log2cap),
                              memory_order_release);
}

int64_t qtp__ring_mp_highest(const struct qtp_ring *r, int64_t lo, int64_t hi)
{
    for (int64_t s = lo; s <= hi; s++) {
        /* A3: pairs with R3 in qtp__ring_publish_mp. */
        uint32_t round = atomic_load_explicit(&r->available[s & r->mask], memory_order_acquire);
        if (round != (uint32_t)(s >> r->log2cap))
            return s - 1;
    }
    return hi;
}

/* ---- accessors ---- */

uint32_t qtp_ring_capacity(const struct qtp_ring *r)
{
    return r->capacity;
}

size_t qtp_ring_slot_size(const struct qtp_ring *r)
{
    return r->stride;
}

void *qtp_ring_storage(const struct qtp_ring *r, size_t *bytes)
{
    if (bytes)
        *bytes = r->storage_bytes;
    return r->slots;
}

int64_t qtp_ring_claimed(const struct qtp_ring *r)
{
    if (r->producer == QTP_PRODUCER_SINGLE)
        return atomic_load_explicit(&((struct qtp_ring *)r)->next, memory_order_relaxed);
    return atomic_load_explicit(&((struct qtp_ring *)r)->cursor.value, memory_order_acquire);
}

int64_t qtp_ring_published(const struct qtp_ring *r)
{
    int64_t c = qtp_seq_get(&r->cursor);
    if (r->producer == QTP_PRODUCER_SINGLE)
        return c;
    /* Every sequence <= c - capacity is published: claiming c needed the gating stages past
     * it. */
    int64_t lo = c - (int64_t)r->capacity + 1;
    if (lo < 0)
        lo = 0;
    return qtp__ring_mp_highest(r, lo, c);
}

struct qtp_waiter *qtp_ring_waiter(struct qtp_ring *r)
{
    return &r->waiter;
}

/* ---- halt ---- */

void qtp_ring_halt(struct qtp_ring *r, enum qtp_halt_mode mode)
{
    /* R4 (both stores are seq_cst, so releases): pairs with A4 in ring_state. */
    if (mode == QTP_HALT_FORCED) {
        atomic_store_explicit(&r->state, QTP_RING_FORCED, memory_order_seq_cst);
        qtp_waiter_alert(&r->waiter);
    } else {
        int expected = QTP_RING_RUNNING;
        atomic_compare_exchange_strong_explicit(&r->state, &expected, QTP_RING_DRAINING,
                                                memory_order_seq_cst, memory_order_seq_cst);
        /* The state is part of every wait condition; wake_all() wakes block's and phased's
         * sleepers and sleep's nappers (see the lost-wake-up arguments in qtp_wait.c),
         * spin/yield poll it. */
        qtp_waiter_wake_all(&r->waiter);
    }
}

bool qtp_ring_halted(const struct qtp_ring *r)
{
    return ring_state(r) != QTP_RING_RUNNING;
}

/* ---- barriers ---- */

int qtp_barrier_init(struct qtp_barrier *b, struct qtp_ring *r, const struct qtp_seq *const *deps,
                     size_t n)
{
    if (!b || !r || n > QTP_BARRIER_MAX_DEPS || (n > 0 && !deps))
        return EINVAL;
    b->ring = r;
    for (size_t i = 0; i < n; i++) {
        if (!deps[i])
            return EINVAL;
        b->deps[i] = deps[i];
    }
    b->ndeps = n;
    return 0;
}

struct barrier_wait {
    const struct qtp_barrier *b;
    int64_t seq;
    int64_t avail;
    bool drained;
};

static bool barrier_cond(void *arg)
{
    struct barrier_wait *c = arg;
    c->avail = qtp_barrier_available(c->b, c->seq);
    if (c->avail >= c->seq)
        return true;
    /* Graceful halt: claims are refused now, so once seq is past the highest claimed sequence
     * nothing more will come; below it, upstream stages (or a producer finishing its publish)
     * still move and we keep waiting for them. */
    if (ring_state(c->b->ring) != QTP_RING_RUNNING && c->seq > qtp_ring_claimed(c->b->ring)) {
        c->drained = true;
        return true;
    }
    return false;
}

int qtp__barrier_wait_slow(const struct qtp_barrier *b, int64_t seq, int64_t *avail)
{
    struct qtp_waiter *w = &b->ring->waiter;
    struct barrier_wait c = {b, seq, 0, false};
    if (w->ops->wait_until(w, barrier_cond, &c) != QTP_WAIT_OK || c.drained)
        return ECANCELED;
    *avail = c.avail;
    return 0;
}

/* ---- event processor ---- */

void qtp_processor_init(struct qtp_processor *p, const struct qtp_barrier *b, qtp_handler_fn fn,
                        void *ctx, uint32_t max_batch)
{
    qtp_seq_init(&p->seq, QTP_SEQ_INITIAL);
    p->barrier = *b;
    p->handler = fn;
    p->batch_handler = NULL;
    p->ctx = ctx;
    p->max_batch = max_batch;
}

void qtp_processor_init_batch(struct qtp_processor *p, const struct qtp_barrier *b,
                              qtp_batch_handler_fn fn, void *ctx, uint32_t max_batch)
{
    qtp_processor_init(p, b, NULL, ctx, max_batch);
    p->batch_handler = fn;
}

int qtp_processor_run(struct qtp_processor *p)
{
    struct qtp_ring *r = p->barrier.ring;
    const bool signal = r->signal_needed;
    int64_t next = atomic_load_explicit(&p->seq.value, memory_order_relaxed) + 1;
    for (;;) {
        /* Forced halt stops at a batch boundary even while events are available. */
        if (qtp_waiter_alerted(&r->waiter))
            return 0;
        int64_t avail;
        if (qtp_barrier_wait_for(&p->barrier, next, &avail) != 0)
            return 0;
        if (p->max_batch && avail - next >= (int64_t)p->max_batch)
            avail = next + (int64_t)p->max_batch - 1;
        if (p->batch_handler) {
            int rc = p->batch_handler(p->ctx, r, next, avail);
            if (rc)
                return rc;
        } else {
            for (int64_t s = next; s <= avail; s++) {
                int rc = p->handler(p->ctx, qtp_ring_slot(r, s), s, s == avail);
                if (rc) {
                    if (s > next) {
                        qtp_seq_set(&p->seq, s - 1);
                        if (signal)
                            qtp_waiter_signal(&r->waiter);
                    }
                    return rc;
                }
            }
        }
        /* R1 (qtp_seq_set): our work on next..avail; pairs with A1 in dependants' barriers and
         * in the producer's gating check. */
        qtp_seq_set(&p->seq, avail);
        if (signal)
            qtp_waiter_signal(&r->waiter);
        next = avail + 1;
    }
}
