/* deploy.c - one topology turned into threads, over one ring or over mutex queues.
 *
 * Threads are the same in both deployments: one per producer, one per stage instance (index
 * order: producers, then instances depth-first). Only what sits between them differs:
 *   ring   one ring (multi-producer for several producers); instance i is a qtp_processor whose
 *          barrier names its upstream instances' sequences (none: the cursor); a shard copy's
 *          handler skips positions it does not own but its sequence advances over them; the
 *          producer is gated on the terminals. Events are never copied.
 *   mutex  one queue per edge (u -> d). Instance d handles the positions p of its partition in
 *          order; for p it pops one event from every in-edge whose source owns p (a single
 *          queue, a join of K branches, or the one shard copy that owns p: an in-order merge),
 *          merging the fields each source wrote; then it pushes a copy into every out-edge whose
 *          destination owns p (fan-out copies, shard dealing). A terminal shard copy is simply
 *          a terminal.
 * Both count positions: a thread handling position p for partition (mod, res) has handled
 * (p - res) / mod events before it; with one producer, position == event seq.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtp_deploy.h"
#include "qtp_topo.h"
#include "qtp_topo_internal.h"
#include "../queues/qtp_mqueue.h"
#include "../queues/qtp_ring.h"
#include "qtp_clock.h"
#include "qtp_hist.h"

const struct qtp_queue_kind qtp_queue_kinds[] = {
    {"ring", "one Disruptor-style ring per topology, sequence barriers, zero copies",
     QTP_FAMILY_RING, true},
    {"mutex-array", "one bounded mutex/condvar array queue per edge, events copied",
     QTP_FAMILY_MUTEX, false},
    {"mutex-linked", "one bounded mutex/condvar linked queue per edge, a node malloc'd per event",
     QTP_FAMILY_MUTEX, false},
    {NULL, NULL, QTP_FAMILY_RING, false},
};

const struct qtp_queue_kind *qtp_queue_kind_find(const char *name)
{
    if (!name)
        return NULL;
    for (const struct qtp_queue_kind *k = qtp_queue_kinds; k->name; k++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

#define NO_INST (-1)

struct edge { /* mutex deployments: one queue from src to dst */
    struct qtp_mqueue *q;
    int src, dst;              /* instance index, or NO_INST for the producer(s) */
    uint32_t src_mod, src_res; /* partition of src (pops: does src own this position?) */
    uint32_t dst_mod, dst_res; /* partition of dst (pushes: does dst own this position?) */
    uint64_t src_vis;          /* fields src has written or seen (merged at a join) */
};

/* Kept by the one thread that checks a terminal's events (in its own instance block, so
 * terminals do not share cache lines); copied into the result after the join. */
struct term_state {
    int64_t next[QTP_TOPO_MAX_PRODUCERS]; /* expected next seq per producer */
    uint64_t seen;                        /* events checked (all producers) */
    uint64_t expected;                    /* events it handles in this run */
    bool done;                            /* counted down for the window end */
    struct qtp_expect_term et;
};

struct inst_rt {
    struct qtp_processor proc; /* ring: its sequence is what dependants and the producer read */
    /* mutex: the next position it owns: every owned position below it is done (progress) */
    alignas(QTP_CACHE_BLOCK) _Atomic int64_t pos;
    alignas(QTP_CACHE_BLOCK) struct qtp_deploy *d;
    const struct qtp_ginst *gi;
    const struct qtp_gstage *gs;
    unsigned idx;
    int64_t batch_lo; /* ring: first position of the batch in progress, -1 between batches */
    uint64_t handled;
    bool stall, fault, echo;
    struct term_state *term; /* &ts when this thread checks a terminal's events, else NULL */
    struct term_state ts;
    struct qtp_hist *hist;
    /* ring terminal: publish stamps of the batch in progress, recorded at its end (a second walk
     * over the slots would miss L1 on big batches) */
    uint64_t *tp;
    uint32_t ntp;
    unsigned nin, nout;
    struct edge *in[QTP_TOPO_MAX_INSTANCES + 1], *out[QTP_TOPO_MAX_INSTANCES + 1];
    struct qtp_event *buf, *tmp; /* mutex: the event being handled, a join's other input */
};

struct prod_rt {
    alignas(QTP_CACHE_BLOCK) _Atomic uint64_t sent; /* events published (progress) */
    struct qtp_event *buf;                          /* mutex: the event being pushed */
};

struct thr {
    struct qtp_deploy *d;
    unsigned index;
    bool producer;
    unsigned which; /* producer number or instance index */
    pthread_t tid;
};

struct qtp_deploy {
    struct qtp_deploy_config cfg;
    const struct qtp_topology *t;
    const struct qtp_graph *g;
    bool ring_kind;
    const struct qtp_mqueue_ops *mq;
    uint32_t batch;
    uint64_t total; /* warmup + events, per producer */
    unsigned nthreads;

    alignas(QTP_CACHE_BLOCK) _Atomic bool halted; /* forced stop requested */
    _Atomic bool window_started;
    _Atomic unsigned producers_left;
    _Atomic unsigned terms_left;
    _Atomic uint64_t t_start, t_end;
    bool ran;

    /* ring */
    struct qtp_ring *ring, *pong;
    struct qtp_seq *pong_seq; /* pingpong: the producer's progress on pong (gates pong) */
    struct qtp_barrier pong_barrier;

    struct inst_rt *inst;
    struct prod_rt *prod;
    alignas(QTP_CACHE_BLOCK) _Atomic uint64_t back; /* pingpong: events returned */
    struct thr *thr;

    /* mutex */
    struct edge *edges;
    unsigned nedges;

    struct qtp_expect *got;
    pthread_mutex_t err_lock;
    struct qtp_hist *latency;
};

/* ---- errors found while running (a failed rep, never a crash) ---- */

__attribute__((format(printf, 2, 3))) static void run_error(struct qtp_deploy *d, const char *fmt,
                                                            ...)
{
    pthread_mutex_lock(&d->err_lock);
    if (d->got->errors++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->got->error, sizeof(d->got->error), fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&d->err_lock);
}

static bool halted(const struct qtp_deploy *d)
{
    return atomic_load_explicit(&((struct qtp_deploy *)d)->halted, memory_order_acquire);
}

/* ---- the window ---- */

static void window_start(struct qtp_deploy *d)
{
    if (atomic_exchange(&d->window_started, true))
        return;
    atomic_store(&d->t_start, qtp_clock_mono_ns());
    if (d->cfg.on_window)
        d->cfg.on_window(d->cfg.ctx, true);
}

static void term_countdown(struct qtp_deploy *d, struct term_state *ts)
{
    if (ts->done || ts->seen < ts->expected)
        return;
    ts->done = true;
    if (atomic_fetch_sub(&d->terms_left, 1) == 1 && atomic_load(&d->window_started)) {
        atomic_store(&d->t_end, qtp_clock_mono_ns());
        if (d->cfg.on_window)
            d->cfg.on_window(d->cfg.ctx, false);
    }
}

/* ---- the check every terminal makes on every event ---- */

static void term_bad(struct term_state *ts, const struct qtp_event *ev, const char *what,
                     uint64_t want, uint64_t got)
{
    struct qtp_expect_term *et = &ts->et;
    if (et->bad++ == 0) {
        et->bad_seq = ev->seq;
        et->bad_producer = ev->producer;
        snprintf(et->bad_what, sizeof(et->bad_what), "%s", what);
        et->bad_want = want;
        et->bad_got = got;
    }
}

static void term_check(struct qtp_deploy *d, const struct qtp_ginst *gi, struct term_state *ts,
                       const struct qtp_event *ev)
{
    const struct qtp_graph *g = d->g;
    unsigned p = ev->producer;
    ts->seen++;
    if (p >= d->t->producers) {
        term_bad(ts, ev, "producer", d->t->producers - 1, p);
        return;
    }
    struct qtp_expect_term *et = &ts->et;
    et->hash[p] = qtp_fold_event(et->hash[p], ev->seq, p, ev->input, gi->vis, ev->out);
    et->count[p]++;
    /* Order and count: this terminal owns every mod-th seq of each producer, in order. */
    if (ev->seq != ts->next[p]) {
        term_bad(ts, ev, "order (seq expected)", (uint64_t)ts->next[p], (uint64_t)ev->seq);
        ts->next[p] = ev->seq + gi->mod;
        return;
    }
    ts->next[p] += gi->mod;
    uint64_t in = qtp_input_value(d->cfg.seed, p, ev->seq);
    if (ev->input != in) {
        term_bad(ts, ev, "input", in, ev->input);
        return;
    }
    /* Recompute every visible field from the input (pure functions), in topological order. */
    uint64_t want[QTP_TOPO_MAX_FIELDS];
    for (uint64_t m = gi->vis; m; m &= m - 1) {
        unsigned f = (unsigned)__builtin_ctzll(m);
        want[f] = qtp_stage_value(g, f, in, want);
        if (ev->out[f] != want[f]) {
            char what[48];
            snprintf(what, sizeof(what), "field %u (%s)", f, g->stage[f].name);
            term_bad(ts, ev, what, want[f], ev->out[f]);
            return;
        }
    }
    if (d->t->payload) {
        const unsigned char *pl = (const unsigned char *)(ev->out + d->t->nfields);
        size_t bad = qtp_payload_check(pl, d->t->payload, ev->seq, ev->input);
        if (bad) {
            char what[48];
            snprintf(what, sizeof(what), "payload byte %zu", bad - 1);
            term_bad(ts, ev, what, 0, pl[bad - 1]);
        }
    }
}

/* ---- the stage function, as both deployments run it ---- */

static int handle(struct inst_rt *ir, struct qtp_event *ev)
{
    struct qtp_deploy *d = ir->d;
    if (ir->stall && ir->handled >= d->cfg.stall_after) {
        /* Test-only: stop making progress, but stay stoppable. */
        while (!halted(d))
            qtp_topo_sleep(1000000, NULL);
        return ECANCELED;
    }
    unsigned f = ir->gi->field;
    uint64_t v = qtp_stage_value(d->g, f, ev->input, ev->out);
    if (ir->fault && ev->seq == d->cfg.fault_seq)
        v ^= 1;
    ev->out[f] = v;
    if (ir->gs->work_ns)
        qtp_work_busy(ir->gs->work_ns);
    if (ir->gs->sleep_ns)
        qtp_topo_sleep(ir->gs->sleep_ns, &d->halted);
    ir->handled++;
    if (ir->term)
        term_check(d, ir->gi, ir->term, ev);
    return 0;
}

static bool measured(const struct qtp_deploy *d, const struct qtp_event *ev)
{
    return ev->seq >= (int64_t)d->cfg.warmup;
}

static void record_latency(struct qtp_hist *h, uint64_t now, uint64_t t_publish)
{
    qtp_hist_record(h, now > t_publish ? qtp_clock_ticks_to_ns(now - t_publish) : 0);
}

/* ---- producers: the same loop over both queue kinds ---- */

static void fill(struct qtp_deploy *d, struct qtp_event *ev, unsigned p, int64_t seq, uint64_t t)
{
    ev->seq = seq;
    ev->producer = p;
    ev->flags = 0;
    ev->input = qtp_input_value(d->cfg.seed, p, seq);
    ev->t_publish = t;
    if (d->t->payload)
        qtp_payload_fill((unsigned char *)(ev->out + d->t->nfields), d->t->payload, seq, ev->input);
}

struct pacer {
    bool on;
    uint64_t t0; /* ticks at start */
    double ns_per_event;
};

static void pacer_init(struct qtp_deploy *d, struct pacer *pc)
{
    pc->on = d->cfg.rate > 0;
    pc->t0 = 0;
    pc->ns_per_event = 0;
    if (pc->on) {
        pc->t0 = qtp_clock_ticks();
        pc->ns_per_event = 1e9 / d->cfg.rate;
    }
}

/* Intended send time of the k-th event of this producer (paced mode). */
static uint64_t pacer_at(const struct pacer *pc, uint64_t k)
{
    return pc->t0 + qtp_clock_ns_to_ticks((uint64_t)((double)k * pc->ns_per_event));
}

/* Wait until the intended time of event k; false when halted. */
static bool pacer_wait(struct qtp_deploy *d, const struct pacer *pc, uint64_t k)
{
    uint64_t target = pacer_at(pc, k);
    for (;;) {
        if (halted(d))
            return false;
        uint64_t now = qtp_clock_ticks();
        if (now >= target)
            return true;
        uint64_t left = qtp_clock_ticks_to_ns(target - now);
        if (left > 2000000)
            qtp_topo_sleep(left - 1000000 < 10000000 ? left - 1000000 : 10000000, NULL);
        else if (left > 50000)
            sched_yield();
        else
            qtp_cpu_relax();
    }
}

/* Timestamp of event k of a batch starting at k0 (stamped once per batch when saturated). */
static uint64_t stamp(struct qtp_deploy *d, const struct pacer *pc, uint64_t k, uint64_t batch_t)
{
    if (!d->cfg.record_latency)
        return 0;
    return pc->on ? pacer_at(pc, k) : batch_t;
}

/* One batch of the ring producers' loop (shared by producer_ring and pingpong_ring): pace, claim
 * n events, stamp and fill them in place, open the measured window, publish. false when halted. */
static bool ring_publish_batch(struct qtp_deploy *d, unsigned p, struct pacer *pc, uint64_t next,
                               uint32_t n)
{
    if (pc->on && !pacer_wait(d, pc, next + n - 1))
        return false;
    int64_t hi;
    if (qtp_ring_claim(d->ring, n, &hi) != 0)
        return false;
    int64_t lo = hi - n + 1;
    uint64_t bt = d->cfg.record_latency && !pc->on ? qtp_clock_ticks() : 0;
    for (uint32_t k = 0; k < n; k++)
        fill(d, qtp_ring_slot(d->ring, lo + k), p, (int64_t)(next + k), stamp(d, pc, next + k, bt));
    if (d->cfg.events && next <= d->cfg.warmup && d->cfg.warmup < next + n)
        window_start(d);
    qtp_ring_publish(d->ring, lo, hi);
    atomic_store_explicit(&d->prod[p].sent, next + n, memory_order_relaxed);
    return true;
}

static uint32_t batch_at(const struct qtp_deploy *d, uint64_t next)
{
    return (uint32_t)(d->total - next < d->batch ? d->total - next : d->batch);
}

static void producer_ring(struct qtp_deploy *d, unsigned p)
{
    struct pacer pc;
    pacer_init(d, &pc);
    for (uint64_t next = 0; next < d->total; next += batch_at(d, next))
        if (!ring_publish_batch(d, p, &pc, next, batch_at(d, next)))
            break;
    if (atomic_fetch_sub(&d->producers_left, 1) == 1 && !halted(d))
        qtp_ring_halt(d->ring, QTP_HALT_GRACEFUL);
}

static void close_edges(struct edge *const *e, unsigned n, enum qtp_close_mode mode)
{
    for (unsigned i = 0; i < n; i++)
        qtp_mqueue_close(e[i]->q, mode);
}

static void producer_mutex(struct qtp_deploy *d, unsigned p)
{
    const struct qtp_graph *g = d->g;
    struct qtp_event *ev = d->prod[p].buf;
    struct pacer pc;
    pacer_init(d, &pc);
    /* The producers' out-edges: the roots' in-edges from NO_INST. */
    struct edge *outs[QTP_TOPO_MAX_INSTANCES];
    unsigned nout = 0;
    for (unsigned r = 0; r < g->nroots; r++)
        outs[nout++] = d->inst[g->roots[r]].in[0];
    uint64_t next = 0, bt = 0;
    bool stop = false;
    while (next < d->total && !stop) {
        uint32_t n = batch_at(d, next);
        if (pc.on && !pacer_wait(d, &pc, next + n - 1))
            break;
        bt = d->cfg.record_latency && !pc.on ? qtp_clock_ticks() : 0;
        if (d->cfg.events && next <= d->cfg.warmup && d->cfg.warmup < next + n)
            window_start(d);
        for (uint32_t k = 0; k < n && !stop; k++) {
            uint64_t s = next + k;
            fill(d, ev, p, (int64_t)s, stamp(d, &pc, s, bt));
            for (unsigned j = 0; j < nout; j++)
                if (qtp_part_has(outs[j]->dst_mod, outs[j]->dst_res, s) &&
                    qtp_mqueue_push(outs[j]->q, ev) != 0) {
                    stop = true;
                    break;
                }
            if (!stop)
                atomic_store_explicit(&d->prod[p].sent, s + 1, memory_order_relaxed);
        }
        next += n;
    }
    if (atomic_fetch_sub(&d->producers_left, 1) == 1)
        close_edges(outs, nout, QTP_CLOSE_GRACEFUL);
}

/* ---- ring stage threads ---- */

static void ring_end_batch(struct inst_rt *ir)
{
    if (ir->ntp) {
        /* Released at the end of the batch: one clock read for all of it. */
        uint64_t now = qtp_clock_ticks();
        for (uint32_t k = 0; k < ir->ntp; k++)
            record_latency(ir->hist, now, ir->tp[k]);
        ir->ntp = 0;
    }
    term_countdown(ir->d, ir->term);
}

static int ring_handler(void *ctx, void *slot, int64_t seq, bool end_of_batch)
{
    struct inst_rt *ir = ctx;
    if (ir->batch_lo < 0)
        ir->batch_lo = seq;
    if (qtp_part_has(ir->gi->mod, ir->gi->res, (uint64_t)seq)) {
        int rc = handle(ir, slot);
        if (rc)
            return rc;
        if (ir->tp && measured(ir->d, slot))
            ir->tp[ir->ntp++] = ((const struct qtp_event *)slot)->t_publish;
    }
    if (end_of_batch) {
        if (ir->term)
            ring_end_batch(ir);
        ir->batch_lo = -1;
    }
    return 0;
}

/* Pingpong's echo: handle on ping, then copy the batch into pong. */
static int echo_handler(void *ctx, void *slot, int64_t seq, bool end_of_batch)
{
    struct inst_rt *ir = ctx;
    struct qtp_deploy *d = ir->d;
    if (ir->batch_lo < 0)
        ir->batch_lo = seq;
    int rc = handle(ir, slot);
    if (rc)
        return rc;
    if (end_of_batch) {
        uint32_t n = (uint32_t)(seq - ir->batch_lo + 1);
        int64_t hi;
        rc = qtp_ring_claim(d->pong, n, &hi);
        if (rc)
            return rc;
        int64_t lo = hi - n + 1;
        for (uint32_t k = 0; k < n; k++)
            memcpy(qtp_ring_slot(d->pong, lo + k), qtp_ring_slot(d->ring, ir->batch_lo + k),
                   d->t->event_size);
        qtp_ring_publish(d->pong, lo, hi);
        ir->batch_lo = -1;
    }
    return 0;
}

static void pingpong_ring(struct qtp_deploy *d)
{
    struct inst_rt *echo = &d->inst[0];
    struct pacer pc;
    pacer_init(d, &pc);
    uint64_t next = 0;
    int64_t pong_next = 0;
    while (next < d->total) {
        uint32_t n = batch_at(d, next);
        if (!ring_publish_batch(d, 0, &pc, next, n))
            break;
        /* Wait for the whole batch to come back: the round trip. */
        int64_t want = pong_next + n - 1, avail = pong_next - 1;
        bool ok = true;
        while (avail < want) {
            if (qtp_barrier_wait_for(&d->pong_barrier, avail + 1, &avail) != 0) {
                ok = false;
                break;
            }
        }
        if (!ok)
            break;
        uint64_t now = d->cfg.record_latency ? qtp_clock_ticks() : 0;
        for (int64_t s = pong_next; s <= want; s++) {
            const struct qtp_event *ev = qtp_ring_slot(d->pong, s);
            term_check(d, echo->gi, &echo->ts, ev);
            if (now && measured(d, ev))
                record_latency(echo->hist, now, ev->t_publish);
        }
        /* R1 (qtp_seq_set): the pong slots are free again; pairs with A1 in the echo's claim
         * (the ring reads gating sequences with qtp_seq_get). */
        qtp_seq_set(d->pong_seq, want);
        qtp_ring_signal(d->pong);
        pong_next = want + 1;
        next += n;
        atomic_store_explicit(&d->back, next, memory_order_relaxed);
        term_countdown(d, &echo->ts);
    }
    if (!halted(d)) {
        qtp_ring_halt(d->ring, QTP_HALT_GRACEFUL);
        qtp_ring_halt(d->pong, QTP_HALT_GRACEFUL);
    }
}

/* ---- mutex stage threads ---- */

static void inst_mutex(struct inst_rt *ir)
{
    struct qtp_deploy *d = ir->d;
    const struct qtp_ginst *gi = ir->gi;
    const bool one_producer = d->t->producers == 1;
    for (uint64_t k = 0;; k++) {
        uint64_t pos = gi->res + (uint64_t)gi->mod * k;
        bool have = false;
        int rc = 0;
        for (unsigned j = 0; j < ir->nin && rc == 0; j++) {
            struct edge *e = ir->in[j];
            if (!qtp_part_has(e->src_mod, e->src_res, pos))
                continue;
            if (!have) {
                rc = qtp_mqueue_pop(e->q, ir->buf);
                have = rc == 0;
                continue;
            }
            /* A join: the other branches' copies of the same event; take what they wrote. */
            rc = qtp_mqueue_pop(e->q, ir->tmp);
            if (rc) {
                if (!halted(d))
                    run_error(d, "%s: input from %s ended in the middle of a join at seq %" PRId64,
                              gi->role, e->src >= 0 ? d->g->inst[e->src].role : "producer",
                              ir->buf->seq);
                break;
            }
            if (ir->tmp->seq != ir->buf->seq || ir->tmp->producer != ir->buf->producer)
                run_error(d, "%s: join got seq %" PRId64 " and %" PRId64, gi->role, ir->buf->seq,
                          ir->tmp->seq);
            for (uint64_t m = e->src_vis; m; m &= m - 1) {
                unsigned f = (unsigned)__builtin_ctzll(m);
                ir->buf->out[f] = ir->tmp->out[f];
            }
        }
        if (rc || !have)
            break;
        if (one_producer && ir->buf->seq != (int64_t)pos)
            run_error(d, "%s: expected seq %" PRIu64 " from its input, got %" PRId64, gi->role, pos,
                      ir->buf->seq);
        if (handle(ir, ir->buf) != 0)
            break;
        if (ir->term) {
            if (d->cfg.record_latency && measured(d, ir->buf))
                record_latency(ir->hist, qtp_clock_ticks(), ir->buf->t_publish);
            term_countdown(d, ir->term);
        }
        for (unsigned j = 0; j < ir->nout && rc == 0; j++) {
            struct edge *e = ir->out[j];
            if (qtp_part_has(e->dst_mod, e->dst_res, pos))
                rc = qtp_mqueue_push(e->q, ir->buf);
        }
        if (rc)
            break;
        atomic_store_explicit(&ir->pos, (int64_t)(pos + gi->mod), memory_order_relaxed);
    }
    /* Done (input drained and closed) or stopped: nothing more goes out, and whoever still
     * pushes to us must not block. */
    close_edges(ir->out, ir->nout, QTP_CLOSE_GRACEFUL);
    close_edges(ir->in, ir->nin, QTP_CLOSE_FORCED);
}

static void pingpong_mutex(struct qtp_deploy *d)
{
    struct inst_rt *echo = &d->inst[0];
    struct qtp_mqueue *ping = echo->in[0]->q, *pong = echo->out[0]->q;
    struct qtp_event *ev = d->prod[0].buf;
    struct pacer pc;
    pacer_init(d, &pc);
    uint64_t next = 0;
    bool stop = false;
    while (next < d->total && !stop) {
        uint32_t n = batch_at(d, next);
        if (pc.on && !pacer_wait(d, &pc, next + n - 1))
            break;
        uint64_t bt = d->cfg.record_latency && !pc.on ? qtp_clock_ticks() : 0;
        if (d->cfg.events && next <= d->cfg.warmup && d->cfg.warmup < next + n)
            window_start(d);
        for (uint32_t k = 0; k < n && !stop; k++) {
            fill(d, ev, 0, (int64_t)(next + k), stamp(d, &pc, next + k, bt));
            stop = qtp_mqueue_push(ping, ev) != 0;
        }
        atomic_store_explicit(&d->prod[0].sent, next + n, memory_order_relaxed);
        /* The round trip: take the whole batch back, then one clock read. */
        uint64_t tp[64];
        bool meas[64];
        for (uint32_t k = 0; k < n && !stop; k++) {
            stop = qtp_mqueue_pop(pong, ev) != 0;
            if (stop)
                break;
            term_check(d, echo->gi, &echo->ts, ev);
            tp[k] = ev->t_publish;
            meas[k] = measured(d, ev);
        }
        if (stop)
            break;
        if (d->cfg.record_latency) {
            uint64_t now = qtp_clock_ticks();
            for (uint32_t k = 0; k < n; k++)
                if (meas[k])
                    record_latency(echo->hist, now, tp[k]);
        }
        next += n;
        atomic_store_explicit(&d->back, next, memory_order_relaxed);
        term_countdown(d, &echo->ts);
    }
    qtp_mqueue_close(ping, QTP_CLOSE_GRACEFUL);
}

/* ---- threads ---- */

static void *thread_main(void *arg)
{
    struct thr *th = arg;
    struct qtp_deploy *d = th->d;
    if (d->cfg.on_thread_start) {
        char role[QTP_ROLE_MAX + 8];
        if (th->producer) {
            if (d->t->producers == 1)
                snprintf(role, sizeof(role), "producer");
            else
                snprintf(role, sizeof(role), "producer%u", th->which);
        } else {
            snprintf(role, sizeof(role), "%s", d->g->inst[th->which].role);
        }
        d->cfg.on_thread_start(d->cfg.ctx, th->index, role);
    }
    if (th->producer) {
        if (d->t->pingpong)
            d->ring_kind ? pingpong_ring(d) : pingpong_mutex(d);
        else
            d->ring_kind ? producer_ring(d, th->which) : producer_mutex(d, th->which);
    } else {
        struct inst_rt *ir = &d->inst[th->which];
        if (d->ring_kind)
            (void)qtp_processor_run(&ir->proc);
        else
            inst_mutex(ir);
    }
    return NULL;
}

/* ---- create / destroy ---- */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return EINVAL;
}

static int check_config(const struct qtp_deploy_config *cfg, char *err, size_t len)
{
    const struct qtp_topology *t = cfg->topo;
    if (!t || !t->graph)
        return fail(err, len, "no topology");
    if (!qtp_queue_kind_find(cfg->queue))
        return fail(err, len, "unknown queue '%s' (accepted: ring, mutex-array, mutex-linked)",
                    cfg->queue ? cfg->queue : "(null)");
    if (cfg->ring_size == 0 || (cfg->ring_size & (cfg->ring_size - 1)) != 0 ||
        cfg->ring_size > (1u << 30))
        return fail(err, len, "ring size %u is not a power of two in 1..2^30", cfg->ring_size);
    if (cfg->batch > cfg->ring_size)
        return fail(err, len, "batch %u exceeds the ring size %u (accepted: 1..ring size)",
                    cfg->batch, cfg->ring_size);
    if (t->pingpong && cfg->batch > 64 && strcmp(cfg->queue, "ring") != 0)
        return fail(err, len, "pingpong over mutex queues keeps at most 64 in flight (batch %u)",
                    cfg->batch);
    if (cfg->warmup > (1ULL << 60) || cfg->events > (1ULL << 60))
        return fail(err, len, "event count too large (accepted: up to 2^60)");
    if (!(cfg->rate >= 0) || cfg->rate > 1e12)
        return fail(err, len, "rate %g out of range (accepted: 0 or up to 1e12 events/s)",
                    cfg->rate);
    if (cfg->stall_stage < 0 || (unsigned)cfg->stall_stage > t->nfields)
        return fail(err, len, "stall stage %d out of range 0..%u", cfg->stall_stage, t->nfields);
    if (cfg->fault_stage < 0 || (unsigned)cfg->fault_stage > t->nfields)
        return fail(err, len, "fault stage %d out of range 0..%u", cfg->fault_stage, t->nfields);
    return 0;
}

static uint64_t part_count(uint32_t mod, uint32_t res, uint64_t total)
{
    return total > res ? (total - res + mod - 1) / mod : 0;
}

static int create_ring(struct qtp_deploy *d)
{
    const struct qtp_graph *g = d->g;
    struct qtp_ring_config rc = {
        .capacity = d->cfg.ring_size,
        .slot_size = d->t->event_size,
        .producer = d->t->producers > 1 ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE,
        .wait = d->cfg.wait,
    };
    int err = qtp_ring_create(&d->ring, &rc);
    if (err)
        return err;
    for (unsigned i = 0; i < g->ninst; i++) {
        struct inst_rt *ir = &d->inst[i];
        const struct qtp_seq *deps[QTP_TOPO_MAX_INSTANCES];
        for (unsigned k = 0; k < ir->gi->ndeps; k++)
            deps[k] = &d->inst[ir->gi->deps[k]].proc.seq;
        struct qtp_barrier b;
        err = qtp_barrier_init(&b, d->ring, deps, ir->gi->ndeps);
        if (err)
            return err;
        qtp_processor_init(&ir->proc, &b, ir->echo ? echo_handler : ring_handler, ir,
                           d->cfg.consumer_batch);
    }
    const struct qtp_seq *gating[QTP_TOPO_MAX_INSTANCES];
    for (unsigned k = 0; k < g->nterms; k++)
        gating[k] = &d->inst[g->terms[k]].proc.seq;
    err = qtp_ring_set_gating(d->ring, gating, g->nterms);
    if (err)
        return err;
    if (d->t->pingpong) {
        rc.producer = QTP_PRODUCER_SINGLE;
        err = qtp_ring_create(&d->pong, &rc);
        if (err)
            return err;
        if (posix_memalign((void **)&d->pong_seq, QTP_CACHE_BLOCK, sizeof(*d->pong_seq)))
            return ENOMEM;
        qtp_seq_init(d->pong_seq, QTP_SEQ_INITIAL);
        const struct qtp_seq *ps = d->pong_seq;
        err = qtp_ring_set_gating(d->pong, &ps, 1);
        if (!err)
            err = qtp_barrier_init(&d->pong_barrier, d->pong, NULL, 0);
        if (err)
            return err;
    }
    return 0;
}

static struct edge *add_edge(struct qtp_deploy *d, int src, int dst)
{
    const struct qtp_graph *g = d->g;
    struct edge *e = &d->edges[d->nedges];
    int err = d->mq->create(&e->q, d->cfg.ring_size, d->t->event_size);
    if (err) {
        errno = err;
        return NULL;
    }
    d->nedges++;
    e->src = src;
    e->dst = dst;
    e->src_mod = src >= 0 ? g->inst[src].mod : 1;
    e->src_res = src >= 0 ? g->inst[src].res : 0;
    e->dst_mod = dst >= 0 ? g->inst[dst].mod : 1;
    e->dst_res = dst >= 0 ? g->inst[dst].res : 0;
    e->src_vis = src >= 0 ? g->inst[src].vis : 0;
    return e;
}

static int create_mutex(struct qtp_deploy *d)
{
    const struct qtp_graph *g = d->g;
    unsigned max = g->nroots + 1;
    for (unsigned i = 0; i < g->ninst; i++)
        max += g->inst[i].nouts;
    d->edges = calloc(max, sizeof(*d->edges));
    if (!d->edges)
        return ENOMEM;
    /* Edges in instance order; each instance's in-edges end up in its deps' order. */
    for (unsigned r = 0; r < g->nroots; r++) {
        struct inst_rt *ir = &d->inst[g->roots[r]];
        struct edge *e = add_edge(d, NO_INST, (int)g->roots[r]);
        if (!e)
            return errno;
        ir->in[ir->nin++] = e;
    }
    for (unsigned i = 0; i < g->ninst; i++) {
        struct inst_rt *ir = &d->inst[i];
        for (unsigned k = 0; k < ir->gi->ndeps; k++) {
            unsigned u = ir->gi->deps[k];
            struct edge *e = add_edge(d, (int)u, (int)i);
            if (!e)
                return errno;
            ir->in[ir->nin++] = e;
            d->inst[u].out[d->inst[u].nout++] = e;
        }
    }
    if (d->t->pingpong) {
        struct edge *e = add_edge(d, 0, NO_INST);
        if (!e)
            return errno;
        d->inst[0].out[d->inst[0].nout++] = e;
    }
    size_t es = d->t->event_size;
    for (unsigned i = 0; i < g->ninst; i++) {
        d->inst[i].buf = calloc(1, es);
        d->inst[i].tmp = calloc(1, es);
        if (!d->inst[i].buf || !d->inst[i].tmp)
            return ENOMEM;
    }
    for (unsigned p = 0; p < d->t->producers; p++) {
        d->prod[p].buf = calloc(1, es);
        if (!d->prod[p].buf)
            return ENOMEM;
    }
    return 0;
}

int qtp_deploy_create(struct qtp_deploy **out, const struct qtp_deploy_config *cfg, char *err,
                      size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = 0;
    int rc = check_config(cfg, err, errlen);
    if (rc)
        return rc;
    qtp_clock_init(0);
    qtp_work_calibrate();

    struct qtp_deploy *d;
    if (posix_memalign((void **)&d, QTP_CACHE_BLOCK, sizeof(*d)))
        return ENOMEM;
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->err_lock, NULL);
    d->cfg = *cfg;
    d->t = cfg->topo;
    d->g = cfg->topo->graph;
    d->ring_kind = strcmp(cfg->queue, "ring") == 0;
    d->batch = cfg->batch ? cfg->batch : 1;
    d->total = cfg->warmup + cfg->events;
    d->nthreads = d->t->nthreads;
    atomic_init(&d->halted, false);
    atomic_init(&d->window_started, false);
    atomic_init(&d->producers_left, d->t->producers);
    atomic_init(&d->t_start, 0);
    atomic_init(&d->t_end, 0);
    const struct qtp_graph *g = d->g;

    rc = ENOMEM;
    d->got = calloc(1, sizeof(*d->got));
    d->thr = calloc(d->nthreads, sizeof(*d->thr));
    if (posix_memalign((void **)&d->inst, QTP_CACHE_BLOCK, g->ninst * sizeof(*d->inst)))
        d->inst = NULL;
    else
        memset(d->inst, 0, g->ninst * sizeof(*d->inst));
    if (posix_memalign((void **)&d->prod, QTP_CACHE_BLOCK, d->t->producers * sizeof(*d->prod)))
        d->prod = NULL;
    else
        memset(d->prod, 0, d->t->producers * sizeof(*d->prod));
    if (!d->got || !d->thr || !d->inst || !d->prod || qtp_hist_create(&d->latency))
        goto fail;
    d->got->nterminals = g->nterms;
    d->got->producers = d->t->producers;

    unsigned live_terms = 0;
    for (unsigned i = 0; i < g->ninst; i++) {
        struct inst_rt *ir = &d->inst[i];
        ir->d = d;
        ir->gi = &g->inst[i];
        ir->gs = &g->stage[ir->gi->field];
        ir->idx = i;
        ir->batch_lo = -1;
        ir->stall = cfg->stall_stage && (unsigned)cfg->stall_stage == ir->gi->field + 1;
        ir->fault = cfg->fault_stage && (unsigned)cfg->fault_stage == ir->gi->field + 1;
        ir->echo = d->t->pingpong;
        atomic_init(&ir->pos, ir->gi->res);
        if (ir->gi->terminal >= 0) {
            struct term_state *ts = &ir->ts;
            for (unsigned p = 0; p < QTP_TOPO_MAX_PRODUCERS; p++)
                ts->next[p] = ir->gi->res;
            ts->expected = part_count(ir->gi->mod, ir->gi->res, d->total) * d->t->producers;
            if (ts->expected)
                live_terms++;
            else
                ts->done = true;
            /* Pingpong's producer checks the echo's events when they come back. */
            ir->term = d->t->pingpong ? NULL : ts;
            if (qtp_hist_create(&ir->hist))
                goto fail;
            /* A batch is at most the ring's capacity. */
            if (d->ring_kind && ir->term && cfg->record_latency &&
                !(ir->tp = calloc(cfg->ring_size, sizeof(*ir->tp))))
                goto fail;
        }
    }
    atomic_init(&d->terms_left, live_terms);

    if (d->ring_kind) {
        rc = create_ring(d);
    } else {
        d->mq = qtp_mqueue_find(cfg->queue);
        rc = d->mq ? create_mutex(d) : EINVAL;
    }
    if (rc) {
        if (err && errlen && !err[0])
            snprintf(err, errlen, "cannot build %s over %s: %s", d->t->name, cfg->queue,
                     strerror(rc));
        goto fail;
    }
    *out = d;
    return 0;
fail:
    qtp_deploy_destroy(d);
    return rc ? rc : ENOMEM;
}

void qtp_deploy_destroy(struct qtp_deploy *d)
{
    if (!d)
        return;
    if (d->inst) {
        for (unsigned i = 0; i < d->g->ninst; i++) {
            qtp_hist_destroy(d->inst[i].hist);
            free(d->inst[i].tp);
            free(d->inst[i].buf);
            free(d->inst[i].tmp);
        }
    }
    if (d->prod)
        for (unsigned p = 0; p < d->t->producers; p++)
            free(d->prod[p].buf);
    for (unsigned i = 0; i < d->nedges; i++)
        qtp_mqueue_destroy(d->edges[i].q);
    free(d->edges);
    if (d->ring)
        qtp_ring_destroy(d->ring);
    if (d->pong)
        qtp_ring_destroy(d->pong);
    free(d->pong_seq);
    free(d->inst);
    free(d->prod);
    free(d->thr);
    free(d->got);
    if (d->latency)
        qtp_hist_destroy(d->latency);
    pthread_mutex_destroy(&d->err_lock);
    free(d);
}

/* ---- run / halt / progress ---- */

void qtp_deploy_halt(struct qtp_deploy *d)
{
    atomic_store_explicit(&d->halted, true, memory_order_release);
    if (d->ring)
        qtp_ring_halt(d->ring, QTP_HALT_FORCED);
    if (d->pong)
        qtp_ring_halt(d->pong, QTP_HALT_FORCED);
    for (unsigned i = 0; i < d->nedges; i++)
        qtp_mqueue_close(d->edges[i].q, QTP_CLOSE_FORCED);
}

/* Positions every terminal has passed (the slowest terminal's progress). */
static uint64_t done_positions(struct qtp_deploy *d)
{
    const struct qtp_graph *g = d->g;
    uint64_t done = UINT64_MAX;
    for (unsigned k = 0; k < g->nterms; k++) {
        struct inst_rt *ir = &d->inst[g->terms[k]];
        uint64_t v;
        if (d->t->pingpong)
            v = atomic_load_explicit(&d->back, memory_order_relaxed);
        else if (d->ring_kind)
            v = (uint64_t)(qtp_seq_get(&ir->proc.seq) + 1);
        else
            v = (uint64_t)atomic_load_explicit(&ir->pos, memory_order_relaxed);
        if (v < done)
            done = v;
    }
    /* A terminal's next owned position may lie past the end. */
    return done > d->total * d->t->producers ? d->total * d->t->producers : done;
}

void qtp_deploy_progress(struct qtp_deploy *d, struct qtp_progress *p)
{
    struct sb {
        char *s;
        size_t len, used;
    } b = {p->text, sizeof(p->text), 0};
#define SB(...)                                                                                    \
    do {                                                                                           \
        if (b.used < b.len) {                                                                      \
            int n_ = snprintf(b.s + b.used, b.len - b.used, __VA_ARGS__);                          \
            b.used = n_ < 0 ? b.len : b.used + (size_t)n_;                                         \
        }                                                                                          \
    } while (0)
    p->text[0] = 0;
    const struct qtp_graph *g = d->g;
    uint64_t sent = 0;
    for (unsigned i = 0; i < d->t->producers; i++)
        sent += atomic_load_explicit(&d->prod[i].sent, memory_order_relaxed);
    if (d->ring_kind) {
        SB("producer=%" PRIu64 " published=%" PRId64, sent, qtp_ring_published(d->ring));
        for (unsigned i = 0; i < g->ninst; i++)
            SB(" %s=%" PRId64, g->inst[i].role, qtp_seq_get(&d->inst[i].proc.seq));
        if (d->pong)
            SB(" pong.published=%" PRId64 " producer.pong=%" PRId64, qtp_ring_published(d->pong),
               qtp_seq_get(d->pong_seq));
    } else {
        SB("producer=%" PRIu64, sent);
        for (unsigned i = 0; i < g->ninst; i++) {
            /* The last position it handled, as a ring stage's sequence reads. */
            int64_t next = atomic_load_explicit(&d->inst[i].pos, memory_order_relaxed);
            int64_t mod = g->inst[i].mod;
            SB(" %s=%" PRId64, g->inst[i].role, next >= mod ? next - mod : -1);
        }
        for (unsigned i = 0; i < d->nedges; i++) {
            const struct edge *e = &d->edges[i];
            SB(" q[%s->%s]=%zu", e->src >= 0 ? g->inst[e->src].role : "p",
               e->dst >= 0 ? g->inst[e->dst].role : "p", qtp_mqueue_depth(e->q));
        }
    }
#undef SB
    if (b.used >= b.len && b.len > 4)
        memcpy(p->text + b.len - 4, "...", 4);
    p->done = done_positions(d);
}

size_t qtp_deploy_buffers(const struct qtp_deploy *d, void **addr, size_t *bytes, size_t max)
{
    size_t n = 0;
    if (d->ring && n < max)
        addr[n] = qtp_ring_storage(d->ring, &bytes[n]), n++;
    if (d->pong && n < max)
        addr[n] = qtp_ring_storage(d->pong, &bytes[n]), n++;
    for (unsigned i = 0; i < d->nedges && n < max; i++) {
        size_t sz = 0;
        void *a = qtp_mqueue_storage(d->edges[i].q, &sz);
        if (a)
            addr[n] = a, bytes[n] = sz, n++;
    }
    return n;
}

int qtp_deploy_run(struct qtp_deploy *d, struct qtp_deploy_result *res)
{
    memset(res, 0, sizeof(*res));
    res->latency = d->latency;
    if (d->ran) {
        snprintf(res->reason, sizeof(res->reason), "a deployment runs once");
        return EINVAL;
    }
    d->ran = true;
    const struct qtp_graph *g = d->g;
    unsigned P = d->t->producers;
    for (unsigned i = 0; i < d->nthreads; i++) {
        struct thr *th = &d->thr[i];
        th->d = d;
        th->index = i;
        th->producer = i < P;
        th->which = i < P ? i : i - P;
    }
    /* Stages first, so they wait when the first events arrive; indexes stay producers-first. */
    unsigned started = 0;
    int rc = 0;
    for (unsigned k = 0; k < d->nthreads; k++) {
        unsigned i = (k + P) % d->nthreads;
        rc = pthread_create(&d->thr[i].tid, NULL, thread_main, &d->thr[i]);
        if (rc) {
            qtp_deploy_halt(d);
            break;
        }
        started++;
    }
    for (unsigned k = 0; k < started; k++)
        pthread_join(d->thr[(k + P) % d->nthreads].tid, NULL);
    if (rc) {
        snprintf(res->reason, sizeof(res->reason), "cannot start thread: %s", strerror(rc));
        return rc;
    }

    for (unsigned i = 0; i < g->ninst; i++) {
        if (d->inst[i].hist)
            qtp_hist_merge(d->latency, d->inst[i].hist);
        if (d->inst[i].gi->terminal >= 0)
            d->got->term[d->inst[i].gi->terminal] = d->inst[i].ts.et;
    }
    uint64_t done = done_positions(d), warm = d->cfg.warmup * P;
    res->events = done > warm ? done - warm : 0;
    if (res->events > d->cfg.events * P)
        res->events = d->cfg.events * P;
    uint64_t t0 = atomic_load(&d->t_start), t1 = atomic_load(&d->t_end);
    if (t0 && t1 >= t0)
        res->window_ns = t1 - t0;

    if (halted(d)) {
        struct qtp_progress pr;
        qtp_deploy_progress(d, &pr);
        snprintf(res->reason, sizeof(res->reason), "halted (forced stop) at %.400s", pr.text);
        return ECANCELED;
    }
    struct qtp_expect *want = malloc(sizeof(*want));
    if (!want) {
        snprintf(res->reason, sizeof(res->reason), "out of memory for the model");
        return ENOMEM;
    }
    qtp_model_run(d->t, d->cfg.seed, d->total, want);
    res->verified = qtp_expect_check(d->t, want, d->got, res->reason, sizeof(res->reason));
    free(want);
    return 0;
}
