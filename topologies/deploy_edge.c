/* deploy_edge.c - the per-edge backend: one queue per edge (u -> d), events copied.
 *
 * Instance d handles the positions p of its partition in order; for p it pops one event from
 * every in-edge whose source owns p (a single queue, a join of K branches, or the one shard copy
 * that owns p: an in-order merge), merging the fields each source wrote; then it pushes a copy
 * into every out-edge whose destination owns p (fan-out copies, shard dealing). A terminal shard
 * copy is simply a terminal. The queue behind each edge is the kind's struct qtp_edge_queue_ops
 * (deploy_internal.h): the mutex queues (edge_mutex.c) or any other queue of that shape.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "deploy_internal.h"

#define NO_INST (-1)
#define PINGPONG_MAX_BATCH 64 /* the round trip keeps a batch's stamps on the stack */

struct edge { /* one queue from src to dst */
    void *q;
    int src, dst;              /* instance index, or NO_INST for the producer(s) */
    uint32_t src_mod, src_res; /* partition of src (pops: does src own this position?) */
    uint32_t dst_mod, dst_res; /* partition of dst (pushes: does dst own this position?) */
    uint64_t src_vis;          /* fields src has written or seen (merged at a join) */
};

struct edge_inst {
    /* the next position it owns: every owned position below it is done (progress) */
    alignas(QTP_CACHE_BLOCK) _Atomic int64_t pos;
    alignas(QTP_CACHE_BLOCK) struct qtp__inst *ci;
    unsigned nin, nout;
    struct edge *in[QTP_TOPO_MAX_INSTANCES + 1], *out[QTP_TOPO_MAX_INSTANCES + 1];
    struct qtp_event *buf, *tmp; /* the event being handled, a join's other input */
};

struct edge_prod {
    alignas(QTP_CACHE_BLOCK) _Atomic uint64_t sent; /* events pushed (progress, per batch) */
    struct qtp_event *buf;                          /* the event being pushed */
};

struct edge_state {
    const struct qtp_edge_queue_ops *ops;
    struct edge *edges;
    unsigned nedges;
    struct edge_inst *ei;
    struct edge_prod *prod;
};

static void close_edges(const struct qtp_edge_queue_ops *ops, struct edge *const *e, unsigned n,
                        enum qtp_close_mode mode)
{
    for (unsigned i = 0; i < n; i++)
        ops->close(e[i]->q, mode);
}

/* ---- producers ---- */

static void edge_producer(struct qtp_deploy *d, unsigned p)
{
    struct edge_state *es = d->bs;
    const struct qtp_edge_queue_ops *ops = es->ops;
    const struct qtp_graph *g = d->g;
    struct qtp_event *ev = es->prod[p].buf;
    struct qtp__pacer pc;
    qtp__pacer_init(d, &pc, p);
    /* The producers' out-edges: the roots' in-edges from NO_INST. */
    struct edge *outs[QTP_TOPO_MAX_INSTANCES];
    unsigned nout = 0;
    for (unsigned r = 0; r < g->nroots; r++)
        outs[nout++] = es->ei[g->roots[r]].in[0];
    const struct qtp__filler f = qtp__filler_of(d);
    const bool rec = d->cfg.record_latency;
    bool stop = false;
    uint32_t n;
    for (uint64_t next = 0; next < pc.stop && !stop && qtp__batch_begin(d, &pc, next, &n);) {
        uint64_t bt = rec && !pc.on ? qtp_clock_ticks() : 0;
        uint32_t k = 0;
        for (; k < n && !stop; k++) {
            uint64_t s = next + k;
            qtp__fill(&f, ev, p, (int64_t)s, qtp__stamp(rec, &pc, s, bt));
            for (unsigned j = 0; j < nout && !stop; j++) {
                if (!qtp_part_has(outs[j]->dst_mod, outs[j]->dst_res, s) ||
                    ops->push(outs[j]->q, ev) == 0)
                    continue;
                /* Closed: by a forced stop (halted first), or by a reader that opted out, whose
                 * queue this producer stops copying into. */
                if (qtp__halted(d) || !d->opting)
                    stop = true;
                else
                    outs[j--] = outs[--nout];
            }
        }
        next += stop ? k - 1 : k;
        atomic_store_explicit(&es->prod[p].sent, next, memory_order_relaxed);
    }
    if (atomic_fetch_sub(&d->producers_left, 1) == 1) {
        qtp__graceful_begin(d);
        close_edges(ops, outs, nout, QTP_CLOSE_GRACEFUL);
    }
}

static void edge_pingpong(struct qtp_deploy *d)
{
    struct edge_state *es = d->bs;
    const struct qtp_edge_queue_ops *ops = es->ops;
    struct qtp__inst *echo = &d->inst[0];
    struct qtp__term *ts = &echo->ts;
    struct qtp__chk c = echo->chk;
    c.own = -1;
    c.anc = echo->gi->vis;
    void *ping = es->ei[0].in[0]->q, *pong = es->ei[0].out[0]->q;
    struct qtp_event *ev = es->prod[0].buf;
    struct qtp__pacer pc;
    qtp__pacer_init(d, &pc, 0);
    const int64_t warm = (int64_t)d->cfg.warmup;
    const struct qtp__filler f = qtp__filler_of(d);
    const bool rec = d->cfg.record_latency;
    bool stop = false;
    uint32_t n;
    for (uint64_t next = 0; next < d->total && !stop && qtp__batch_begin(d, &pc, next, &n);) {
        uint64_t bt = rec && !pc.on ? qtp_clock_ticks() : 0;
        for (uint32_t k = 0; k < n && !stop; k++) {
            qtp__fill(&f, ev, 0, (int64_t)(next + k), qtp__stamp(rec, &pc, next + k, bt));
            stop = ops->push(ping, ev) != 0;
        }
        atomic_store_explicit(&es->prod[0].sent, next + n, memory_order_relaxed);
        /* The round trip: take the whole batch back, then one clock read. */
        uint64_t tp[PINGPONG_MAX_BATCH];
        bool meas[PINGPONG_MAX_BATCH];
        for (uint32_t k = 0; k < n && !stop; k++) {
            stop = ops->pop(pong, ev) != 0;
            if (stop)
                break;
            int64_t seq = qtp__term_event(&c, ts, &ts->acc, ev, &tp[k], false, QTP__PLAN_NONE);
            meas[k] = seq >= warm;
        }
        if (stop)
            break;
        if (d->cfg.record_latency) {
            uint64_t now = qtp_clock_ticks();
            for (uint32_t k = 0; k < n; k++)
                if (meas[k])
                    qtp__record_latency(echo->hist, now, tp[k], 1);
        }
        ts->seen += n;
        next += n;
        if (!ts->first_ns && next > d->cfg.warmup)
            qtp__term_first(ts);
        atomic_store_explicit(&d->back, next, memory_order_relaxed);
        qtp__term_countdown(d, ts);
    }
    qtp__graceful_begin(d);
    ops->close(ping, QTP_CLOSE_GRACEFUL);
}

/* ---- stages ---- */

/* Pop position pos's inputs into ei->buf (a join merges its branches' fields). 0, or non-zero
 * when the input ended (closed: drained, or forced). */
static int edge_inputs(struct qtp_deploy *d, struct edge_inst *ei, uint64_t pos)
{
    const struct qtp_edge_queue_ops *ops = ((struct edge_state *)d->bs)->ops;
    const struct qtp_ginst *gi = ei->ci->gi;
    bool have = false;
    for (unsigned j = 0; j < ei->nin; j++) {
        struct edge *e = ei->in[j];
        if (!qtp_part_has(e->src_mod, e->src_res, pos))
            continue;
        if (!have) {
            if (ops->pop(e->q, ei->buf))
                return EPIPE;
            have = true;
            continue;
        }
        /* A join: the other branches' copies of the same event; take what they wrote. */
        if (ops->pop(e->q, ei->tmp)) {
            if (!qtp__halted(d))
                qtp__deploy_error(
                    d, "%s: input from %s ended in the middle of a join at seq %" PRId64, gi->role,
                    e->src >= 0 ? d->g->inst[e->src].role : "producer", qtp_event_seq(ei->buf->id));
            return EPIPE;
        }
        if (ei->tmp->id != ei->buf->id)
            qtp__deploy_error(d, "%s: join got seq %" PRId64 " and %" PRId64, gi->role,
                              qtp_event_seq(ei->buf->id), qtp_event_seq(ei->tmp->id));
        for (uint64_t m = e->src_vis; m; m &= m - 1) {
            unsigned f = (unsigned)__builtin_ctzll(m);
            ei->buf->out[f] = ei->tmp->out[f];
        }
    }
    return have ? 0 : EPIPE;
}

/* A terminal's check of one event, instantiated as the ring's are (deploy_ring.c's
 * pick_handler): by producers and by its plan's length, so both backends run the same check. */
_Static_assert(QTP__PLAN_MAX == 3, "edge_term instantiates plans of 0..3 fields");
static inline __attribute__((always_inline)) int64_t
edge_term(struct qtp__inst *ir, struct qtp_event *ev, uint64_t *tp, bool multi)
{
    const struct qtp__chk *c = &ir->chk;
    struct qtp__tacc *a = &ir->term->acc;
#define EDGE_TERM(m)                                                                               \
    switch (c->nvis) {                                                                             \
    case 0:                                                                                        \
        return qtp__term_event(c, ir->term, a, ev, tp, m, 0);                                      \
    case 1:                                                                                        \
        return qtp__term_event(c, ir->term, a, ev, tp, m, 1);                                      \
    case 2:                                                                                        \
        return qtp__term_event(c, ir->term, a, ev, tp, m, 2);                                      \
    case 3:                                                                                        \
        return qtp__term_event(c, ir->term, a, ev, tp, m, 3);                                      \
    default:                                                                                       \
        return qtp__term_event(c, ir->term, a, ev, tp, m, QTP__PLAN_NONE);                         \
    }
    if (multi)
        EDGE_TERM(true)
    EDGE_TERM(false)
#undef EDGE_TERM
}

static void edge_stage(struct qtp_deploy *d, unsigned i)
{
    struct edge_state *es = d->bs;
    const struct qtp_edge_queue_ops *ops = es->ops;
    struct edge_inst *ei = &es->ei[i];
    struct qtp__inst *ir = ei->ci;
    const struct qtp_ginst *gi = ir->gi;
    const bool one_producer = d->t->producers == 1, multi = !one_producer;
    const uint64_t mpos = d->cfg.warmup * d->t->producers;
    for (uint64_t k = 0;; k++) {
        uint64_t pos = gi->res + (uint64_t)gi->mod * k;
        /* Opt-out: its share is done; closing its input (below) tells the producers. */
        if (ir->leaves && ir->handled == ir->leave_after)
            break;
        if (edge_inputs(d, ei, pos))
            break;
        struct qtp_event *ev = ei->buf;
        if (one_producer && ev->id != pos)
            qtp__deploy_error(
                d, "%s: expected seq %" PRIu64 " from its input, got %" PRId64 " (producer %u)",
                gi->role, pos, qtp_event_seq(ev->id), qtp_event_producer(ev->id));
        if (ir->stall && ir->handled >= d->cfg.stall_after) {
            qtp__stall(d);
            break;
        }
        if (ir->term) {
            uint64_t tp;
            int64_t seq = edge_term(ir, ev, &tp, multi);
            ir->term->seen++;
            if (seq >= (int64_t)d->cfg.warmup) {
                if (ir->hist && d->cfg.record_latency)
                    qtp__record_latency(ir->hist, qtp_clock_ticks(), tp, 1);
                if (!ir->term->first_ns)
                    qtp__term_first(ir->term);
            }
        } else {
            qtp__stage_event(&ir->chk, ev);
        }
        ir->handled++;
        if (ir->slow && !qtp__stage_work(ir))
            break;
        if (pos >= mpos) {
            ir->batches++;
            ir->batch_events++;
        }
        if (ir->term)
            qtp__term_countdown(d, ir->term);
        int rc = 0;
        for (unsigned j = 0; j < ei->nout && rc == 0; j++) {
            struct edge *e = ei->out[j];
            if (qtp_part_has(e->dst_mod, e->dst_res, pos))
                rc = ops->push(e->q, ev);
        }
        if (rc)
            break;
        atomic_store_explicit(&ei->pos, (int64_t)(pos + gi->mod), memory_order_relaxed);
    }
    /* Done (input drained and closed) or stopped: nothing more goes out, and whoever still
     * pushes to us must not block. */
    close_edges(ops, ei->out, ei->nout, QTP_CLOSE_GRACEFUL);
    close_edges(ops, ei->in, ei->nin, QTP_CLOSE_FORCED);
}

/* ---- build / tear down / watch ---- */

static int edge_check(const struct qtp_deploy_config *cfg, char *err, size_t len)
{
    uint32_t most = cfg->batch_max > cfg->batch ? cfg->batch_max : cfg->batch;
    if (cfg->topo->pingpong && most > PINGPONG_MAX_BATCH) {
        snprintf(err, len, "pingpong over per-edge queues keeps at most %d in flight (batch %u)",
                 PINGPONG_MAX_BATCH, most);
        return EINVAL;
    }
    return 0;
}

static struct edge *add_edge(struct qtp_deploy *d, int src, int dst)
{
    struct edge_state *es = d->bs;
    const struct qtp_graph *g = d->g;
    struct edge *e = &es->edges[es->nedges];
    unsigned producers = src == NO_INST ? d->t->producers : 1;
    int err = es->ops->create(&e->q, d->kind->name, d->cfg.ring_size, d->t->event_size, producers,
                              d->cfg.wait, d->cfg.wait_params);
    if (err) {
        errno = err;
        return NULL;
    }
    es->nedges++;
    e->src = src;
    e->dst = dst;
    e->src_mod = src >= 0 ? g->inst[src].mod : 1;
    e->src_res = src >= 0 ? g->inst[src].res : 0;
    e->dst_mod = dst >= 0 ? g->inst[dst].mod : 1;
    e->dst_res = dst >= 0 ? g->inst[dst].res : 0;
    e->src_vis = src >= 0 ? g->inst[src].vis : 0;
    return e;
}

static void edge_destroy(struct qtp_deploy *d)
{
    struct edge_state *es = d->bs;
    if (!es)
        return;
    if (es->ei)
        for (unsigned i = 0; i < d->g->ninst; i++) {
            free(es->ei[i].buf);
            free(es->ei[i].tmp);
        }
    if (es->prod)
        for (unsigned p = 0; p < d->t->producers; p++)
            free(es->prod[p].buf);
    for (unsigned i = 0; i < es->nedges; i++)
        es->ops->destroy(es->edges[i].q);
    free(es->edges);
    free(es->ei);
    free(es->prod);
    free(es);
    d->bs = NULL;
}

static int edge_create(struct qtp_deploy *d)
{
    const struct qtp_graph *g = d->g;
    struct edge_state *es = calloc(1, sizeof(*es));
    if (!es)
        return ENOMEM;
    d->bs = es;
    es->ops = d->kind->edge;
    es->ei = qtp__calloc_blocks(g->ninst, sizeof(*es->ei));
    es->prod = qtp__calloc_blocks(d->t->producers, sizeof(*es->prod));
    if (!es->ei || !es->prod)
        return ENOMEM;
    unsigned max = g->nroots + 1;
    for (unsigned i = 0; i < g->ninst; i++) {
        max += g->inst[i].nouts;
        es->ei[i].ci = &d->inst[i];
        atomic_init(&es->ei[i].pos, g->inst[i].res);
    }
    es->edges = calloc(max, sizeof(*es->edges));
    if (!es->edges)
        return ENOMEM;
    /* Edges in instance order; each instance's in-edges end up in its deps' order. */
    for (unsigned r = 0; r < g->nroots; r++) {
        struct edge_inst *ei = &es->ei[g->roots[r]];
        struct edge *e = add_edge(d, NO_INST, (int)g->roots[r]);
        if (!e)
            return errno;
        ei->in[ei->nin++] = e;
    }
    for (unsigned i = 0; i < g->ninst; i++) {
        struct edge_inst *ei = &es->ei[i];
        for (unsigned k = 0; k < g->inst[i].ndeps; k++) {
            unsigned u = g->inst[i].deps[k];
            struct edge *e = add_edge(d, (int)u, (int)i);
            if (!e)
                return errno;
            ei->in[ei->nin++] = e;
            es->ei[u].out[es->ei[u].nout++] = e;
        }
    }
    if (d->t->pingpong) {
        struct edge *e = add_edge(d, 0, NO_INST);
        if (!e)
            return errno;
        es->ei[0].out[es->ei[0].nout++] = e;
    }
    size_t sz = d->t->event_size;
    for (unsigned i = 0; i < g->ninst; i++) {
        es->ei[i].buf = calloc(1, sz);
        es->ei[i].tmp = calloc(1, sz);
        if (!es->ei[i].buf || !es->ei[i].tmp)
            return ENOMEM;
    }
    for (unsigned p = 0; p < d->t->producers; p++)
        if (!(es->prod[p].buf = calloc(1, sz)))
            return ENOMEM;
    return 0;
}

static void edge_halt(struct qtp_deploy *d)
{
    struct edge_state *es = d->bs;
    for (unsigned i = 0; i < es->nedges; i++)
        es->ops->close(es->edges[i].q, QTP_CLOSE_FORCED);
}

static uint64_t edge_done(struct qtp_deploy *d, unsigned i)
{
    struct edge_state *es = d->bs;
    return (uint64_t)atomic_load_explicit(&es->ei[i].pos, memory_order_relaxed);
}

static void edge_progress(struct qtp_deploy *d, struct qtp__sb *b)
{
    struct edge_state *es = d->bs;
    const struct qtp_graph *g = d->g;
    uint64_t sent = 0;
    for (unsigned i = 0; i < d->t->producers; i++)
        sent += atomic_load_explicit(&es->prod[i].sent, memory_order_relaxed);
    qtp__sb_printf(b, "producer=%" PRIu64, sent);
    qtp__progress_stages(d, b);
    for (unsigned i = 0; i < es->nedges; i++) {
        const struct edge *e = &es->edges[i];
        qtp__sb_printf(b, " q[%s->%s]=%zu", e->src >= 0 ? g->inst[e->src].role : "p",
                       e->dst >= 0 ? g->inst[e->dst].role : "p", es->ops->depth(e->q));
    }
}

static uint64_t edge_produced(struct qtp_deploy *d)
{
    struct edge_state *es = d->bs;
    uint64_t sent = 0;
    for (unsigned i = 0; i < d->t->producers; i++)
        sent += atomic_load_explicit(&es->prod[i].sent, memory_order_relaxed);
    return sent;
}

static uint64_t edge_in_depth(struct qtp_deploy *d, unsigned inst)
{
    struct edge_state *es = d->bs;
    uint64_t n = 0;
    for (unsigned i = 0; i < es->nedges; i++)
        if (es->edges[i].dst == (int)inst)
            n += es->ops->depth(es->edges[i].q);
    return n;
}

static size_t edge_buffers(const struct qtp_deploy *d, void **addr, size_t *bytes, size_t max)
{
    const struct edge_state *es = d->bs;
    size_t n = 0;
    for (unsigned i = 0; i < es->nedges && n < max; i++) {
        size_t sz = 0;
        void *a = es->ops->storage(es->edges[i].q, &sz);
        if (a)
            addr[n] = a, bytes[n] = sz, n++;
    }
    return n;
}

static struct qtp_wire_end wire_end(const struct edge *e)
{
    return (struct qtp_wire_end){
        .src = e->src == NO_INST ? QTP_WIRE_PRODUCER : (uint8_t)e->src,
        .dst = e->dst == NO_INST ? QTP_WIRE_PRODUCER : (uint8_t)e->dst,
        .src_mod = e->src_mod,
        .src_res = e->src_res,
        .dst_mod = e->dst_mod,
        .dst_res = e->dst_res,
    };
}

static void edge_wiring(const struct qtp_deploy *d, struct qtp_wiring *w)
{
    const struct edge_state *es = d->bs;
    w->edges = true;
    for (unsigned i = 0; i < d->g->ninst; i++) {
        const struct edge_inst *ei = &es->ei[i];
        struct qtp_wire_inst *wi = &w->inst[i];
        /* The partition edge_stage walks. */
        wi->mod = ei->ci->gi->mod;
        wi->res = ei->ci->gi->res;
        for (unsigned j = 0; j < ei->nin && wi->nin < QTP_WIRE_MAX_ENDS; j++)
            wi->in[wi->nin++] = wire_end(ei->in[j]);
        for (unsigned j = 0; j < ei->nout && wi->nout < QTP_WIRE_MAX_ENDS; j++)
            wi->out[wi->nout++] = wire_end(ei->out[j]);
    }
}

const struct qtp_deploy_backend qtp__edge_backend = {
    .name = "per-edge",
    .check = edge_check,
    .create = edge_create,
    .destroy = edge_destroy,
    .producer = edge_producer,
    .pingpong = edge_pingpong,
    .stage = edge_stage,
    .halt = edge_halt,
    .done = edge_done,
    .progress = edge_progress,
    .produced = edge_produced,
    .in_depth = edge_in_depth,
    .buffers = edge_buffers,
    .wiring = edge_wiring,
};
