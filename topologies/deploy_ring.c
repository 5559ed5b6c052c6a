/* deploy_ring.c - the ring backend: one ring per topology, every stage a batch processor.
 *
 * Instance i is a qtp_processor whose barrier names its upstream instances' sequences (none:
 * the cursor); a shard copy advances over every position but handles only those it owns; the
 * producer is gated on the terminals. Events are never copied, except by pingpong's echo, which
 * copies each batch from the ping ring to the pong ring.
 *
 * The hot loops: a stage handles its whole batch in one call (qtp_processor_init_batch), walking
 * the slots span by span (qtp_ring_span); the stage function, a terminal's check and fold and its
 * latency bookkeeping are compiled into that loop (ring_batch is instantiated per kind of stage,
 * so the compiler drops what a stage does not do and keeps a terminal's running check in
 * registers). The producer's per-event work is the fill; it reads the clock once per stamp group
 * (qtp_deploy.h), and the watchdog reads its progress from the ring's own claim counter.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "deploy_internal.h"
#include "../queues/qtp_ring.h"

/* A run of events that carry the same publish stamp (a stamp group): recorded with one
 * histogram update at the end of the batch. */
struct lat_run {
    uint64_t tp, n;
};

struct ring_inst {
    struct qtp_processor proc; /* its sequence is what dependants and the producer read */
    struct qtp__inst *ci;
    struct qtp_ring *ring;
    uint32_t capacity;
    size_t stride;
    int64_t measured_pos; /* first measured position (batching figures) */
    struct lat_run *runs; /* terminals recording latency: one batch's runs (<= capacity) */
};

struct ring_state {
    struct qtp_ring *ring, *pong;
    struct qtp_seq *pong_seq; /* pingpong: the producer's progress on pong (gates pong) */
    struct qtp_barrier pong_barrier;
    struct ring_inst *ri;
    size_t stride;
};

/* ---- stages ---- */

/* What one batch call accumulates, scalarised by the compiler once ring_batch is inlined. */
struct batch_acc {
    struct qtp__tacc a;
    uint64_t handled;
    uint64_t run_tp, run_n;
    uint32_t nruns;
};

/* What one batch call reads: copied out of the instance first, so that the stores into the
 * slots cannot alias it and the compiler keeps it in registers. */
struct batch_ctx {
    struct qtp__chk c;
    struct qtp__term *ts;
    struct lat_run *runs;
    int64_t warm;
};

/* One owned event of a batch. 0, or non-zero to stop the processor. */
static inline __attribute__((always_inline)) int
ring_one(struct ring_inst *ri, const struct batch_ctx *x, struct qtp_event *ev, int64_t pos,
         struct batch_acc *b, const bool term, const bool lat, const bool multi, const int nv,
         const bool slow)
{
    struct qtp__inst *ir = ri->ci;
    if (slow && ir->stall && ir->handled >= ir->d->cfg.stall_after) {
        /* Test-only: what it handled of this batch is done; then stop making progress. */
        if (pos > 0) {
            /* R1 (qtp_seq_set): positions before pos; pairs with A1 in dependants. */
            qtp_seq_set(&ri->proc.seq, pos - 1);
            qtp_ring_signal(ri->ring);
        }
        qtp__stall(ir->d);
        return ECANCELED;
    }
    if (term) {
        uint64_t tp;
        int64_t seq = qtp__term_event(&x->c, x->ts, &b->a, ev, &tp, multi, nv);
        if (lat && seq >= x->warm) {
            if (tp != b->run_tp) {
                if (b->run_n)
                    x->runs[b->nruns++] = (struct lat_run){b->run_tp, b->run_n};
                b->run_tp = tp;
                b->run_n = 0;
            }
            b->run_n++;
        }
    } else {
        qtp__stage_event(&x->c, ev);
    }
    b->handled++;
    if (slow) {
        ir->handled++;
        if (!qtp__stage_work(ir))
            return ECANCELED;
        if (ir->leaves && ir->handled == ir->leave_after) {
            /* Opt-out: its share is done (its terminal counts down when the batch ends, seen ==
             * expected); the producers stop waiting for it. R1 (qtp_seq_set) before the
             * removal: nothing depends on a terminal, this only keeps its progress honest. */
            qtp_seq_set(&ri->proc.seq, pos);
            qtp_ring_remove_gating(ri->ring, &ri->proc.seq);
            return ECANCELED;
        }
    }
    return 0;
}

/* The owned events lo..hi of a non-strided stage, span by span. */
static inline __attribute__((always_inline)) int
ring_walk(struct ring_inst *ri, struct qtp_ring *r, size_t stride, const struct batch_ctx *x,
          struct batch_acc *b, int64_t lo, int64_t hi, const bool term, const bool lat,
          const bool multi, const int nv, const bool slow)
{
    int rc = 0;
    for (int64_t s = lo; s <= hi && !rc;) {
        size_t m;
        unsigned char *base = qtp_ring_span(r, s, hi, &m);
        for (size_t i = 0; i < m && !rc; i++)
            rc = ring_one(ri, x, (struct qtp_event *)(base + i * stride), s + (int64_t)i, b, term,
                          lat, multi, nv, slow);
        s += (int64_t)m;
    }
    return rc;
}

static inline __attribute__((always_inline)) int
ring_batch(struct ring_inst *ri, struct qtp_ring *r, int64_t lo, int64_t hi, const bool term,
           const bool lat, const bool multi, const bool strided, const int nv, const bool slow)
{
    struct qtp__inst *ir = ri->ci;
    uint64_t n = (uint64_t)(hi - lo) + 1;
    if (__builtin_expect(n > ri->capacity, 0)) {
        qtp__deploy_abort(ir->d,
                          "%s: batch %" PRId64 "..%" PRId64 " (%" PRIu64
                          " events) larger than the ring (%u): gating broken",
                          ir->gi->role, lo, hi, n, ri->capacity);
        return ECANCELED;
    }
    if (hi >= ri->measured_pos) {
        ir->batches++;
        ir->batch_events += (uint64_t)(hi - (lo > ri->measured_pos ? lo : ri->measured_pos)) + 1;
    }
    struct qtp__chk chk = ir->chk;
    if (term && chk.own < 0)
        __builtin_unreachable(); /* a ring terminal is a stage: its field (pingpong checks apart) */
    if (!slow)
        chk.fault_seq = INT64_MIN; /* a planted fault makes its instance slow (deploy.c) */
    if (!strided)
        chk.mod = 1; /* what gi->mod is then, as a constant */
    const struct batch_ctx x = {chk, ir->term, ri->runs, (int64_t)ir->d->cfg.warmup};
    const size_t stride = ri->stride;
    /* Field by field, not = {0}: a whole-aggregate store would keep b on the stack. */
    struct batch_acc b;
    b.handled = b.run_tp = b.run_n = 0;
    b.nruns = 0;
    if (term)
        qtp__tacc_copy(&b.a, &x.ts->acc, multi);
    int rc = 0;
    if (!strided && term && !x.c.payload) {
        /* No payload (the default): a copy whose payload is the constant 0, so the loop has no
         * payload test and one register more. */
        struct batch_ctx x0 = x;
        x0.c.payload = 0;
        rc = ring_walk(ri, r, stride, &x0, &b, lo, hi, term, lat, multi, nv, slow);
    } else if (!strided) {
        rc = ring_walk(ri, r, stride, &x, &b, lo, hi, term, lat, multi, nv, slow);
    } else {
        const int64_t mod = x.c.mod;
        for (int64_t s = lo + (((int64_t)ir->gi->res - lo) & (mod - 1)); s <= hi && !rc; s += mod)
            rc = ring_one(ri, &x, qtp_ring_slot(r, s), s, &b, term, lat, multi, nv, slow);
    }
    if (!term)
        return rc;
    struct qtp__term *ts = x.ts;
    qtp__tacc_copy(&ts->acc, &b.a, multi);
    ts->seen += b.handled;
    if (lat) {
        if (b.run_n)
            x.runs[b.nruns++] = (struct lat_run){b.run_tp, b.run_n};
        if (b.nruns) {
            /* Released at the end of the batch: one clock read for all of it. */
            uint64_t now = qtp_clock_ticks();
            for (uint32_t k = 0; k < b.nruns; k++)
                qtp__record_latency(ir->hist, now, x.runs[k].tp, x.runs[k].n);
        }
    }
    if (!ts->first_ns)
        for (unsigned p = 0; p < (multi ? x.c.producers : 1); p++)
            if (b.a.next[p] - (int64_t)x.c.mod >= x.warm)
                qtp__term_first(ts);
    qtp__term_countdown(ir->d, ts);
    return rc;
}

/* The instances of ring_batch: what a stage is decides which one it runs (pick_handler). A
 * terminal's come in sets, one per length of its check's plan: [0] the mask loops, [1 + n] a
 * plan of n fields. */
#define RING_BATCH(name, term, lat, multi, strided, nv)                                            \
    static int name(void *ctx, struct qtp_ring *r, int64_t lo, int64_t hi)                         \
    {                                                                                              \
        return ring_batch(ctx, r, lo, hi, term, lat, multi, strided, nv, false);                   \
    }
_Static_assert(QTP__PLAN_MAX == 3, "RING_BATCH_TERM instantiates plans of 0..3 fields");
#define RING_BATCH_TERM(name, lat, multi, strided)                                                 \
    RING_BATCH(name##_g, true, lat, multi, strided, QTP__PLAN_NONE)                                \
    RING_BATCH(name##_0, true, lat, multi, strided, 0)                                             \
    RING_BATCH(name##_1, true, lat, multi, strided, 1)                                             \
    RING_BATCH(name##_2, true, lat, multi, strided, 2)                                             \
    RING_BATCH(name##_3, true, lat, multi, strided, 3)                                             \
    static const qtp_batch_handler_fn name[QTP__PLAN_MAX + 2] = {name##_g, name##_0, name##_1,     \
                                                                 name##_2, name##_3};
RING_BATCH(batch_stage, false, false, false, false, QTP__PLAN_NONE)
RING_BATCH(batch_stage_strided, false, false, false, true, QTP__PLAN_NONE)
RING_BATCH_TERM(batch_term, false, false, false)
RING_BATCH_TERM(batch_term_lat, true, false, false)
RING_BATCH_TERM(batch_term_strided, false, false, true)
RING_BATCH_TERM(batch_term_strided_lat, true, false, true)
RING_BATCH_TERM(batch_term_multi, false, true, false)
RING_BATCH_TERM(batch_term_multi_lat, true, true, false)
#undef RING_BATCH_TERM
#undef RING_BATCH

/* Stages with test hooks, busy work or sleeps: everything decided per event. */
static int batch_generic(void *ctx, struct qtp_ring *r, int64_t lo, int64_t hi)
{
    struct ring_inst *ri = ctx;
    const struct qtp__inst *ir = ri->ci;
    return ring_batch(ri, r, lo, hi, ir->term != NULL, ir->term && ri->runs != NULL,
                      ir->chk.producers > 1, ir->gi->mod > 1, QTP__PLAN_NONE, true);
}

static qtp_batch_handler_fn pick_handler(const struct ring_inst *ri)
{
    const struct qtp__inst *ir = ri->ci;
    bool strided = ir->gi->mod > 1, multi = ir->chk.producers > 1, lat = ri->runs != NULL;
    if (ir->slow || (multi && strided))
        return batch_generic;
    if (!ir->term)
        return strided ? batch_stage_strided : batch_stage;
    const unsigned plan = ir->chk.nvis <= QTP__PLAN_MAX ? 1 + ir->chk.nvis : 0;
    if (multi)
        return (lat ? batch_term_multi_lat : batch_term_multi)[plan];
    if (strided)
        return (lat ? batch_term_strided_lat : batch_term_strided)[plan];
    return (lat ? batch_term_lat : batch_term)[plan];
}

/* Pingpong's echo: handle the batch on ping, then copy it into pong. */
static int echo_batch(void *ctx, struct qtp_ring *r, int64_t lo, int64_t hi)
{
    struct ring_inst *ri = ctx;
    struct qtp_deploy *d = ri->ci->d;
    struct ring_state *rs = d->bs;
    /* Its own stage function: the fast instance, unless a test hook needs the per-event one. */
    int rc = ri->ci->slow
                 ? ring_batch(ri, r, lo, hi, false, false, false, false, QTP__PLAN_NONE, true)
                 : ring_batch(ri, r, lo, hi, false, false, false, false, QTP__PLAN_NONE, false);
    if (rc)
        return rc;
    uint32_t n = (uint32_t)(hi - lo + 1);
    int64_t phi;
    rc = qtp_ring_claim(rs->pong, n, &phi);
    if (rc)
        return rc;
    int64_t plo = phi - n + 1;
    /* Word by word: slots are whole 8-byte words, and a call to memcpy per event of a few words
     * would be a good part of the echo's share of the round trip. */
    const size_t words = rs->stride / sizeof(uint64_t);
    for (uint32_t k = 0; k < n; k++) {
        uint64_t *dst = qtp_ring_slot(rs->pong, plo + k);
        const uint64_t *src = qtp_ring_slot(r, lo + k);
        for (size_t w = 0; w < words; w++)
            dst[w] = src[w];
    }
    qtp_ring_publish(rs->pong, plo, phi);
    return 0;
}

static void ring_stage(struct qtp_deploy *d, unsigned i)
{
    struct ring_state *rs = d->bs;
    struct ring_inst *ri = &rs->ri[i];
    if (ri->ci->leaves && ri->ci->leave_after == 0) {
        /* Opt-out at 0%: it leaves before it reads a slot. */
        qtp_ring_remove_gating(ri->ring, &ri->proc.seq);
        return;
    }
    /* Its end: drained after a graceful halt, stopped by a forced one, or its opt-out. */
    (void)qtp_processor_run(&ri->proc);
}

/* ---- producers ---- */

/* The saturated producer's stamp groups and their measured spans (ticks). */
struct stamper {
    bool open;
    uint64_t t;    /* the current group's stamp */
    uint64_t left; /* events it may still take */
    uint64_t groups, sum, max;
};

static void stamp_close(struct stamper *st, uint64_t now)
{
    if (!st->open)
        return;
    uint64_t span = now > st->t ? now - st->t : 0;
    st->open = false;
    st->groups++;
    st->sum += span;
    if (span > st->max)
        st->max = span;
}

static void stamp_open(struct stamper *st, uint64_t now, uint32_t n)
{
    st->open = true;
    st->t = now;
    st->left = n > QTP_STAMP_GROUP ? n : QTP_STAMP_GROUP;
}

/* A claim that went straight through: it joins the open group, or opens the next one. */
static inline void stamp_take(struct stamper *st, uint32_t n)
{
    if (st->left < n) {
        uint64_t now = qtp_clock_ticks();
        stamp_close(st, now);
        stamp_open(st, now, n);
    }
    st->left -= n;
}

static void stamp_merge(struct qtp_deploy *d, const struct stamper *st)
{
    if (!st->groups)
        return;
    pthread_mutex_lock(&d->err_lock);
    struct qtp_stamp_error *e = &d->stamp;
    uint64_t sum = e->mean_ns * e->groups + qtp_clock_ticks_to_ns(st->sum);
    e->groups += st->groups;
    e->mean_ns = sum / e->groups;
    uint64_t mx = qtp_clock_ticks_to_ns(st->max);
    if (mx > e->max_ns)
        e->max_ns = mx;
    pthread_mutex_unlock(&d->err_lock);
}

/* Stamp and fill the claimed events lo..hi (positions first..) in place. */
static inline void fill_batch(const struct qtp__filler *f, bool rec, size_t stride,
                              struct qtp_ring *ring, unsigned p, int64_t lo, int64_t hi,
                              uint64_t first, const struct qtp__pacer *pc, uint64_t bt)
{
    if (lo == hi) {
        /* One event (pingpong, several producers, pacing): no span walk to set up. */
        qtp__fill(f, qtp_ring_slot(ring, lo), p, (int64_t)first, qtp__stamp(rec, pc, first, bt));
        return;
    }
    for (int64_t s = lo; s <= hi;) {
        size_t m;
        unsigned char *base = qtp_ring_span(ring, s, hi, &m);
        uint64_t k0 = first + (uint64_t)(s - lo);
        for (size_t i = 0; i < m; i++)
            qtp__fill(f, (struct qtp_event *)(base + i * stride), p, (int64_t)(k0 + i),
                      qtp__stamp(rec, pc, k0 + i, bt));
        s += (int64_t)m;
    }
}

/* A phase's claims that went straight through: fill and publish the claimed batch ending at
 * hi, and claim the next one while there is room under the cached gate and in the phase (up to
 * end). Returns the next position. */
static inline __attribute__((always_inline)) uint64_t
produce_phase(const struct qtp__filler *f, bool rec, size_t stride, struct qtp_ring *ring,
              unsigned p, int64_t hi, uint64_t next, uint64_t end, const uint32_t n,
              const struct qtp__pacer *pc, struct stamper *st, bool group)
{
    for (;;) {
        fill_batch(f, rec, stride, ring, p, hi - n + 1, hi, next, pc, st->t);
        qtp_ring_publish(ring, hi - n + 1, hi);
        next += n;
        if (next + n > end || !qtp_ring_claim_fast(ring, n, &hi))
            return next;
        if (group)
            stamp_take(st, n);
    }
}

static void ring_producer(struct qtp_deploy *d, unsigned p)
{
    struct ring_state *rs = d->bs;
    struct qtp_ring *ring = rs->ring;
    struct qtp__pacer pc;
    qtp__pacer_init(d, &pc, p);
    /* Saturated and recording: stamp groups (one producer: claims that went straight through
     * share a clock read; several producers claim by CAS, so each claim reads the clock). */
    const bool rec = d->cfg.record_latency, stamps = rec && !pc.on;
    const bool group = stamps && d->t->producers == 1;
    const bool fixed = !pc.on && d->t->producers == 1 && !d->batch_span;
    const struct qtp__filler f = qtp__filler_of(d);
    const size_t stride = rs->stride;
    struct stamper st = {0};
    uint32_t n;
    for (uint64_t next = 0; next < pc.stop && qtp__batch_begin(d, &pc, next, &n);) {
        int64_t hi;
        if (!group) {
            if (qtp_ring_claim(ring, n, &hi))
                break;
            if (stamps)
                st.t = qtp_clock_ticks();
        } else if (!qtp_ring_claim_fast(ring, n, &hi)) {
            /* May wait for room: that ends the group (its span read before the wait). */
            stamp_close(&st, qtp_clock_ticks());
            if (qtp_ring_claim(ring, n, &hi))
                break;
            stamp_open(&st, qtp_clock_ticks(), n);
            st.left -= n;
        } else {
            stamp_take(&st, n);
        }
        /* Saturated, one producer, a fixed claim size: up to the end of this batch's phase (the
         * warm-up's end, where batch_begin opens the window; the stop) every batch is n events,
         * so while claims go straight through the loop is only claim, stamp, fill, publish.
         * Otherwise the phase ends with this batch. */
        uint64_t end = !fixed ? next + n : next < d->cfg.warmup ? d->cfg.warmup : pc.stop;
        if (end > pc.stop)
            end = pc.stop; /* a producer that opts out stops early, perhaps in the warm-up */
        /* Batch 1 (the default) in a fixed phase: instances with n, the stamping (rec is group
         * there) and the pacing (off: unpaced is a constant the compiler reads) as constants, so
         * each fills one event per claim without fill_batch's span walk and decides nothing per
         * event but the claim (callgrind: 146 instructions per event before n, 72 with it, 61 with
         * all three). */
        static const struct qtp__pacer unpaced = {.on = false};
        if (n == 1 && fixed)
            next = group ? produce_phase(&f, true, stride, ring, p, hi, next, end, 1, &unpaced, &st,
                                         true)
                         : produce_phase(&f, false, stride, ring, p, hi, next, end, 1, &unpaced,
                                         &st, false);
        else
            next = produce_phase(&f, rec, stride, ring, p, hi, next, end, n, &pc, &st, group);
    }
    if (group) {
        stamp_close(&st, qtp_clock_ticks());
        stamp_merge(d, &st);
    }
    if (atomic_fetch_sub(&d->producers_left, 1) == 1 && !qtp__halted(d)) {
        qtp__graceful_begin(d);
        qtp_ring_halt(ring, QTP_HALT_GRACEFUL);
    }
}

static void ring_pingpong(struct qtp_deploy *d)
{
    struct ring_state *rs = d->bs;
    struct qtp__inst *echo = &d->inst[0];
    struct qtp__term *ts = &echo->ts;
    /* The producer checks what comes back: every field the echo could see, its own included. */
    struct qtp__chk c = echo->chk;
    c.own = -1;
    c.anc = echo->gi->vis;
    struct qtp__pacer pc;
    qtp__pacer_init(d, &pc, 0);
    const bool lat = d->cfg.record_latency;
    const int64_t warm = (int64_t)d->cfg.warmup;
    const struct qtp__filler f = qtp__filler_of(d);
    int64_t pong_next = 0;
    uint32_t n;
    for (uint64_t next = 0; next < d->total && qtp__batch_begin(d, &pc, next, &n);) {
        int64_t hi;
        if (qtp_ring_claim(rs->ring, n, &hi))
            break;
        fill_batch(&f, lat, rs->stride, rs->ring, 0, hi - n + 1, hi, next, &pc,
                   lat && !pc.on ? qtp_clock_ticks() : 0);
        qtp_ring_publish(rs->ring, hi - n + 1, hi);
        /* Wait for the whole batch to come back: the round trip. */
        int64_t want = pong_next + n - 1, avail = pong_next - 1;
        while (avail < want)
            if (qtp_barrier_wait_for(&rs->pong_barrier, avail + 1, &avail) != 0)
                goto out;
        uint64_t now = lat ? qtp_clock_ticks() : 0;
        struct qtp__tacc a;
        qtp__tacc_copy(&a, &ts->acc, false);
        for (int64_t s = pong_next; s <= want; s++) {
            uint64_t tp;
            int64_t seq =
                qtp__term_event(&c, ts, &a, qtp_ring_slot(rs->pong, s), &tp, false, QTP__PLAN_NONE);
            if (lat && seq >= warm)
                qtp__record_latency(echo->hist, now, tp, 1);
        }
        qtp__tacc_copy(&ts->acc, &a, false);
        ts->seen += n;
        /* R1 (qtp_seq_set): the pong slots are free again; pairs with A1 in the echo's claim
         * (the ring reads gating sequences with qtp_seq_get). */
        qtp_seq_set(rs->pong_seq, want);
        qtp_ring_signal(rs->pong);
        pong_next = want + 1;
        next += n;
        if (!ts->first_ns && next > d->cfg.warmup)
            qtp__term_first(ts);
        atomic_store_explicit(&d->back, next, memory_order_relaxed);
        qtp__term_countdown(d, ts);
    }
out:
    if (!qtp__halted(d)) {
        qtp__graceful_begin(d);
        qtp_ring_halt(rs->ring, QTP_HALT_GRACEFUL);
        qtp_ring_halt(rs->pong, QTP_HALT_GRACEFUL);
    }
}

/* ---- build / tear down / watch ---- */

static void ring_destroy(struct qtp_deploy *d)
{
    struct ring_state *rs = d->bs;
    if (!rs)
        return;
    if (rs->ri)
        for (unsigned i = 0; i < d->g->ninst; i++)
            free(rs->ri[i].runs);
    free(rs->ri);
    if (rs->ring)
        qtp_ring_destroy(rs->ring);
    if (rs->pong)
        qtp_ring_destroy(rs->pong);
    free(rs->pong_seq);
    free(rs);
    d->bs = NULL;
}

static int ring_create(struct qtp_deploy *d)
{
    const struct qtp_graph *g = d->g;
    struct ring_state *rs = calloc(1, sizeof(*rs));
    if (!rs)
        return ENOMEM;
    d->bs = rs;
    if (!(rs->ri = qtp__calloc_blocks(g->ninst, sizeof(*rs->ri))))
        return ENOMEM;
    struct qtp_ring_config rc = {
        .capacity = d->cfg.ring_size,
        .slot_size = d->t->event_size,
        .producer = d->t->producers > 1 ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE,
        .wait = d->cfg.wait,
    };
    int err = qtp_ring_create(&rs->ring, &rc);
    if (!err && d->cfg.wait_params)
        err = qtp_ring_set_wait_params(rs->ring, d->cfg.wait_params);
    if (err)
        return err;
    rs->stride = qtp_ring_slot_size(rs->ring);
    for (unsigned i = 0; i < g->ninst; i++) {
        struct ring_inst *ri = &rs->ri[i];
        ri->ci = &d->inst[i];
        ri->ring = rs->ring;
        ri->capacity = d->cfg.ring_size;
        ri->stride = rs->stride;
        ri->measured_pos = (int64_t)(d->cfg.warmup * d->t->producers);
        /* A batch is at most the ring's capacity (checked per batch), so are its runs. */
        if (ri->ci->term && d->cfg.record_latency &&
            !(ri->runs = calloc(d->cfg.ring_size, sizeof(*ri->runs))))
            return ENOMEM;
        const struct qtp_seq *deps[QTP_TOPO_MAX_INSTANCES];
        for (unsigned k = 0; k < ri->ci->gi->ndeps; k++)
            deps[k] = &rs->ri[ri->ci->gi->deps[k]].proc.seq;
        struct qtp_barrier b;
        err = qtp_barrier_init(&b, rs->ring, deps, ri->ci->gi->ndeps);
        if (err)
            return err;
        qtp_processor_init_batch(&ri->proc, &b, d->t->pingpong ? echo_batch : pick_handler(ri), ri,
                                 d->cfg.consumer_batch);
    }
    const struct qtp_seq *gating[QTP_TOPO_MAX_INSTANCES];
    for (unsigned k = 0; k < g->nterms; k++)
        gating[k] = &rs->ri[g->terms[k]].proc.seq;
    err = qtp_ring_set_gating(rs->ring, gating, d->cfg.test_ungated ? 0 : g->nterms);
    if (err)
        return err;
    if (d->t->pingpong) {
        rc.producer = QTP_PRODUCER_SINGLE;
        err = qtp_ring_create(&rs->pong, &rc);
        if (!err && d->cfg.wait_params)
            err = qtp_ring_set_wait_params(rs->pong, d->cfg.wait_params);
        if (err)
            return err;
        if (!(rs->pong_seq = qtp__calloc_blocks(1, sizeof(*rs->pong_seq))))
            return ENOMEM;
        qtp_seq_init(rs->pong_seq, QTP_SEQ_INITIAL);
        const struct qtp_seq *ps = rs->pong_seq;
        err = qtp_ring_set_gating(rs->pong, &ps, 1);
        if (!err)
            err = qtp_barrier_init(&rs->pong_barrier, rs->pong, NULL, 0);
        if (err)
            return err;
    }
    return 0;
}

static void ring_halt(struct qtp_deploy *d)
{
    struct ring_state *rs = d->bs;
    if (rs->ring)
        qtp_ring_halt(rs->ring, QTP_HALT_FORCED);
    if (rs->pong)
        qtp_ring_halt(rs->pong, QTP_HALT_FORCED);
}

static uint64_t ring_done(struct qtp_deploy *d, unsigned i)
{
    struct ring_state *rs = d->bs;
    return (uint64_t)(qtp_seq_get(&rs->ri[i].proc.seq) + 1);
}

static void ring_progress(struct qtp_deploy *d, struct qtp__sb *b)
{
    struct ring_state *rs = d->bs;
    qtp__sb_printf(b, "producer=%" PRId64 " published=%" PRId64, qtp_ring_claimed(rs->ring) + 1,
                   qtp_ring_published(rs->ring));
    qtp__progress_stages(d, b);
    if (rs->pong)
        qtp__sb_printf(b, " pong.published=%" PRId64 " producer.pong=%" PRId64,
                       qtp_ring_published(rs->pong), qtp_seq_get(rs->pong_seq));
}

static uint64_t ring_produced(struct qtp_deploy *d)
{
    struct ring_state *rs = d->bs;
    return (uint64_t)(qtp_ring_published(rs->ring) + 1);
}

static size_t ring_buffers(const struct qtp_deploy *d, void **addr, size_t *bytes, size_t max)
{
    const struct ring_state *rs = d->bs;
    size_t n = 0;
    if (rs->ring && n < max)
        addr[n] = qtp_ring_storage(rs->ring, &bytes[n]), n++;
    if (rs->pong && n < max)
        addr[n] = qtp_ring_storage(rs->pong, &bytes[n]), n++;
    return n;
}

/* Which instance a sequence belongs to. */
static uint8_t seq_owner(const struct ring_state *rs, unsigned n, const struct qtp_seq *s)
{
    for (unsigned j = 0; j < n; j++)
        if (&rs->ri[j].proc.seq == s)
            return (uint8_t)j;
    return QTP_WIRE_UNKNOWN;
}

static void ring_wiring(const struct qtp_deploy *d, struct qtp_wiring *w)
{
    const struct ring_state *rs = d->bs;
    const unsigned n = d->g->ninst;
    for (unsigned i = 0; i < n; i++) {
        const struct ring_inst *ri = &rs->ri[i];
        const struct qtp_barrier *b = &ri->proc.barrier;
        struct qtp_wire_inst *wi = &w->inst[i];
        /* The partition the strided loop and the terminal's check walk. */
        wi->mod = ri->ci->chk.mod;
        wi->res = ri->ci->gi->res;
        if (!b->ndeps)
            wi->in[wi->nin++] = (struct qtp_wire_end){.src = b->ring == rs->ring ? QTP_WIRE_PRODUCER
                                                                                 : QTP_WIRE_UNKNOWN,
                                                      .dst = (uint8_t)i};
        for (size_t k = 0; k < b->ndeps && wi->nin < QTP_WIRE_MAX_ENDS; k++)
            wi->in[wi->nin++] =
                (struct qtp_wire_end){.src = seq_owner(rs, n, b->deps[k]), .dst = (uint8_t)i};
    }
    const struct qtp_seq *gating[QTP_TOPO_MAX_INSTANCES];
    size_t ng = qtp_ring_gating(rs->ring, gating, QTP_TOPO_MAX_INSTANCES);
    for (size_t k = 0; k < ng; k++)
        w->gating[w->ngating++] = seq_owner(rs, n, gating[k]);
}

const struct qtp_deploy_backend qtp__ring_backend = {
    .name = "ring",
    .check = NULL,
    .create = ring_create,
    .destroy = ring_destroy,
    .producer = ring_producer,
    .pingpong = ring_pingpong,
    .stage = ring_stage,
    .halt = ring_halt,
    .done = ring_done,
    .progress = ring_progress,
    .produced = ring_produced,
    .in_depth = NULL,
    .buffers = ring_buffers,
    .wiring = ring_wiring,
};
