/* deploy_internal.h - internal to topologies/: what the deployment backends share.
 *
 * deploy.c holds what every backend has in common (the queue-kind registry, create/run/destroy,
 * the window, progress, the comparison with the model); a backend (deploy_ring.c, deploy_edge.c)
 * builds its queues and runs the threads' loops; the per-edge backend talks to the queue of each
 * edge through struct qtp_edge_queue_ops (edge_mutex.c adapts the mutex queues, edge_ck.c the
 * Concurrency Kit rings). The per-event
 * work - the stage function, the terminals' check and fold - is inline here, so that each
 * backend's loop compiles it in place: no call per event.
 */
#ifndef QTP_DEPLOY_INTERNAL_H
#define QTP_DEPLOY_INTERNAL_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "qtp_deploy.h"
#include "qtp_topo.h"
#include "qtp_topo_internal.h"
#include "../queues/qtp_mqueue.h"
#include "../queues/qtp_seq.h"
#include "qtp_clock.h"
#include "qtp_hist.h"

/* n zeroed objects of size bytes on cache blocks of their own (QTP_CACHE_BLOCK), or NULL. */
void *qtp__calloc_blocks(size_t n, size_t size);

/* A bounded text buffer (progress lines). */
struct qtp__sb {
    char *s;
    size_t len, used;
};
__attribute__((format(printf, 2, 3))) void qtp__sb_printf(struct qtp__sb *b, const char *fmt, ...);

/* ---- how a queue family is deployed ---- */
struct qtp_deploy_backend {
    const char *name;
    /* Limits of this backend on top of the common ones: 0 or EINVAL with a reason. NULL: none. */
    int (*check)(const struct qtp_deploy_config *cfg, char *err, size_t len);
    /* Build the queues (the common state is ready; threads are not started). 0 or an errno. */
    int (*create)(struct qtp_deploy *d);
    void (*destroy)(struct qtp_deploy *d); /* also after a failed create */
    void (*producer)(struct qtp_deploy *d, unsigned p);
    void (*pingpong)(struct qtp_deploy *d); /* the producer of a round-trip topology */
    void (*stage)(struct qtp_deploy *d, unsigned inst);
    void (*halt)(struct qtp_deploy *d); /* forced: every wait returns */
    /* Positions instance inst has finished: every one it owns below this is done. */
    uint64_t (*done)(struct qtp_deploy *d, unsigned inst);
    void (*progress)(struct qtp_deploy *d, struct qtp__sb *b);
    /* Positions the producers have handed on (ring: published; per edge: pushed), all of them. */
    uint64_t (*produced)(struct qtp_deploy *d);
    /* Events waiting in front of instance inst: its in-edge queues' lengths. NULL: the
     * positions it is behind what it waits on (a ring stage's lag). */
    uint64_t (*in_depth)(struct qtp_deploy *d, unsigned inst);
    size_t (*buffers)(const struct qtp_deploy *d, void **addr, size_t *bytes, size_t max);
    void (*wiring)(const struct qtp_deploy *d, struct qtp_wiring *w); /* qtp_deploy_wiring */
};
extern const struct qtp_deploy_backend qtp__ring_backend, qtp__edge_backend;

/* ---- the queue of one edge (per-edge backends) ----
 * A bounded FIFO of event copies with one consumer thread and `producers` producer threads.
 * push and pop wait (by the queue's own means: condition variables, or the wait strategy) and
 * must return promptly once the queue is closed FORCED, from any thread; GRACEFUL: pushes fail,
 * pops drain what is queued, then fail. depth and storage may be called from any thread at any
 * time (the watchdog). */
struct qtp_edge_queue_ops {
    /* kind: the queue kind's name (an adapter may serve several kinds); wait and its constants
     * (params NULL: its defaults) for the queues that wait through a strategy. 0 or an errno. */
    int (*create)(void **q, const char *kind, size_t capacity, size_t event_size,
                  unsigned producers, const struct qtp_wait_ops *wait,
                  const struct qtp_wait_params *params);
    void (*destroy)(void *q);
    int (*push)(void *q, const void *ev); /* copy in: 0, or EPIPE once closed */
    int (*pop)(void *q, void *ev);        /* copy out: 0, or EPIPE once closed (and drained) */
    void (*close)(void *q, enum qtp_close_mode mode);
    size_t (*depth)(void *q);
    void *(*storage)(const void *q, size_t *bytes); /* NULL when it has no fixed buffer */
};
extern const struct qtp_edge_queue_ops qtp__edgeq_mutex, qtp__edgeq_ck;

/* ---- a terminal's check ---- */

/* Fields a check's plan holds: the diamond's terminal sees 2 besides its own, a 4-stage
 * pipeline's 3. */
#define QTP__PLAN_MAX 3
#define QTP__PLAN_NONE (-1)

/* What one instance computes and checks, flattened out of the graph for the hot loops. */
struct qtp__chk {
    const struct qtp_graph *g;
    uint64_t seed;
    int own;      /* the field this instance writes; -1: check only (pingpong's producer) */
    uint64_t anc; /* visible fields other than own (checked against the model's functions) */
    uint32_t mod; /* partition step: a terminal sees every mod-th seq of each producer */
    unsigned producers;
    size_t payload; /* bytes, 0: none */
    unsigned nfields;
    int64_t fault_seq; /* test-only: own field written wrong at this seq; INT64_MIN: never */
    /* The plan of the check (deploy.c's chk_plan): anc as a list, ascending (topological), each
     * field's inputs as bits over the list's indexes. A check instantiated with nvis as a
     * constant unrolls its field loops and keeps every field in a register; the mask loops
     * over anc (nvis > QTP__PLAN_MAX) keep them in arrays indexed by field. */
    unsigned nvis;
    uint8_t vis_f[QTP__PLAN_MAX];  /* field of list entry k */
    uint8_t vis_up[QTP__PLAN_MAX]; /* bit j: entry k reads entry j (j < k) */
    uint8_t own_up;                /* bit j: own reads entry j */
};

/* The running part of a terminal's check: kept in registers over a ring batch. */
struct qtp__tacc {
    int64_t next[QTP_TOPO_MAX_PRODUCERS];   /* expected next seq per producer */
    uint64_t count[QTP_TOPO_MAX_PRODUCERS]; /* events seen per producer (the fold's rank) */
    uint64_t hash[QTP_TOPO_MAX_PRODUCERS];
};

/* Copy a running check in or out of a hot loop: every producer's when multi, else only
 * producer 0's, the one it uses. A whole-array copy would keep the loop's copy on the stack; a
 * copy of element 0 lets the compiler hold it in registers. */
static inline void qtp__tacc_copy(struct qtp__tacc *to, const struct qtp__tacc *from,
                                  const bool multi)
{
    if (multi) {
        *to = *from;
        return;
    }
    to->next[0] = from->next[0];
    to->count[0] = from->count[0];
    to->hash[0] = from->hash[0];
}

/* Kept by the one thread that checks a terminal's events (inside its instance, so terminals do
 * not share cache lines); copied into the result after the join. */
struct qtp__term {
    struct qtp__tacc acc;
    uint64_t seen;              /* events checked (all producers) */
    uint64_t expected;          /* events it handles in this run */
    bool live;                  /* owns measured positions: it closes the window */
    bool done;                  /* counted down for the window end (or not live) */
    uint64_t first_ns, last_ns; /* first / last measured event seen (CLOCK_MONOTONIC) */
    struct qtp_expect_term et;  /* the first mismatch (count and hash filled at the end) */
};

enum qtp__bad {
    QTP__BAD_PRODUCER,
    QTP__BAD_ORDER,
    QTP__BAD_INPUT,
    QTP__BAD_FIELD,
    QTP__BAD_PAYLOAD
};
/* Keep the first mismatch (only a broken run gets here: every call is under __builtin_expect).
 * Not __attribute__((cold)): GCC 12 then estimates the loops that call it as never run (a
 * "precise" count of 0), moves them into .text.unlikely and gives their values the registers
 * last. g names the fields. */
void qtp__term_bad(struct qtp__term *ts, const struct qtp_graph *g, int64_t seq, unsigned producer,
                   enum qtp__bad what, size_t index, uint64_t want, uint64_t got);

/* Slot values a terminal checks are read exactly once, so the value compared is the value
 * reported even when something (a gating bug) overwrites the slot meanwhile. Plain loads on
 * x86 and arm; relaxed atomics only so the compiler may not read twice. */
static inline uint64_t qtp__ld64(const void *p)
{
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

/* The payload check (head, tail and middle byte, as qtp_payload_check) on values read once. */
static inline void qtp__payload_check(struct qtp__term *ts, const struct qtp__chk *c,
                                      const struct qtp_event *ev, int64_t seq, unsigned p,
                                      uint64_t input)
{
    const unsigned char *pl = (const unsigned char *)(ev->out + c->nfields);
    const size_t len = c->payload;
    uint64_t head, tail, hw = input ^ QTP_PAYLOAD_HEAD, tw = (uint64_t)seq ^ QTP_PAYLOAD_TAIL;
    memcpy(&head, pl, 8);
    if (__builtin_expect(head != hw, 0)) {
        for (size_t i = 0; i < 8; i++)
            if (((unsigned char *)&head)[i] != ((unsigned char *)&hw)[i]) {
                qtp__term_bad(ts, c->g, seq, p, QTP__BAD_PAYLOAD, i, ((unsigned char *)&hw)[i],
                              ((unsigned char *)&head)[i]);
                return;
            }
    }
    if (len >= 16) {
        memcpy(&tail, pl + len - 8, 8);
        if (__builtin_expect(tail != tw, 0)) {
            for (size_t i = 0; i < 8; i++)
                if (((unsigned char *)&tail)[i] != ((unsigned char *)&tw)[i]) {
                    qtp__term_bad(ts, c->g, seq, p, QTP__BAD_PAYLOAD, len - 8 + i,
                                  ((unsigned char *)&tw)[i], ((unsigned char *)&tail)[i]);
                    return;
                }
        }
    }
    if (len >= 24) {
        unsigned char mid = __atomic_load_n(pl + len / 2, __ATOMIC_RELAXED);
        if (__builtin_expect(mid != (unsigned char)input, 0))
            qtp__term_bad(ts, c->g, seq, p, QTP__BAD_PAYLOAD, len / 2, (unsigned char)input, mid);
    }
}

/* A non-terminal stage on one event it owns: its field from the input and upstream fields. */
static inline __attribute__((always_inline)) void qtp__stage_event(const struct qtp__chk *c,
                                                                   struct qtp_event *ev)
{
    uint64_t v = qtp_stage_value(c->g, (unsigned)c->own, ev->input, ev->out);
    ev->out[c->own] = v ^ (uint64_t)(qtp_event_seq(ev->id) == c->fault_seq);
}

/* A terminal on one event it owns: (unless c->own < 0) its stage function, then the check of
 * everything it sees and the fold. multi: several producers (per-producer order), else the
 * producer must be 0 and the compiler keeps the accumulator in registers. nv: c->nvis as a
 * constant (the plan's unrolled loops), or QTP__PLAN_NONE (the mask loops over c->anc); the
 * two compute the same values (qtp_stage_value's, in the same order). Returns the seq and sets
 * *tp to the publish stamp (both as read from the slot, once). */
static inline __attribute__((always_inline)) int64_t
qtp__term_event(const struct qtp__chk *c, struct qtp__term *ts, struct qtp__tacc *a,
                struct qtp_event *ev, uint64_t *tp, const bool multi, const int nv)
{
    const bool plan = nv != QTP__PLAN_NONE;
    const uint64_t id = qtp__ld64(&ev->id);
    const int64_t seq = qtp_event_seq(id);
    const unsigned p = qtp_event_producer(id);
    const uint64_t input = qtp__ld64(&ev->input);
    *tp = qtp__ld64(&ev->t_publish);
    /* got/want: by field (mask loops) or by list entry (plan). */
    uint64_t got[QTP_TOPO_MAX_FIELDS], want[QTP_TOPO_MAX_FIELDS];
    uint64_t pg[QTP__PLAN_MAX], pw[QTP__PLAN_MAX];
    uint64_t x = qtp_fold_start(seq, p, input);
    if (plan) {
        for (int k = 0; k < nv; k++) {
            pg[k] = qtp__ld64(&ev->out[c->vis_f[k]]);
            x = qtp_fold_field(x, c->vis_f[k], pg[k]);
        }
    } else {
        for (uint64_t m = c->anc; m; m &= m - 1) {
            unsigned f = (unsigned)__builtin_ctzll(m);
            got[f] = qtp__ld64(&ev->out[f]);
            x = qtp_fold_field(x, f, got[f]);
        }
    }
    uint64_t v = 0, vw = 0;
    if (c->own >= 0) {
        /* A stage reads only fields it sees: with none visible (anc 0, nv 0) no loop is left. */
        if (plan) {
            v = qtp_stage_root((unsigned)c->own, input);
            for (int j = 0; j < nv; j++)
                if (c->own_up >> j & 1)
                    v = qtp_stage_step(v, pg[j]);
        } else {
            v = c->anc ? qtp_stage_value(c->g, (unsigned)c->own, input, got)
                       : qtp_stage_root((unsigned)c->own, input);
        }
        vw = v ^ (uint64_t)(seq == c->fault_seq);
        ev->out[c->own] = vw;
        x = qtp_fold_field(x, (unsigned)c->own, vw);
    }
    if (__builtin_expect(multi ? p >= c->producers : p != 0, 0)) {
        qtp__term_bad(ts, c->g, seq, p, QTP__BAD_PRODUCER, 0, c->producers - 1, p);
        return seq;
    }
    const unsigned i = multi ? p : 0;
    a->hash[i] += qtp_fold_term(a->count[i]++, x);
    if (__builtin_expect(seq != a->next[i], 0)) {
        qtp__term_bad(ts, c->g, seq, p, QTP__BAD_ORDER, 0, (uint64_t)a->next[i], (uint64_t)seq);
        a->next[i] = seq + c->mod;
        return seq;
    }
    a->next[i] += c->mod;
    const uint64_t in = qtp_input_inline(c->seed, i, seq);
    if (__builtin_expect(input != in, 0)) {
        qtp__term_bad(ts, c->g, seq, p, QTP__BAD_INPUT, 0, in, input);
        return seq;
    }
    /* Every field it sees, recomputed from the expected input in topological order. */
    if (plan) {
        for (int k = 0; k < nv; k++) {
            pw[k] = qtp_stage_root(c->vis_f[k], in);
            for (int j = 0; j < k; j++)
                if (c->vis_up[k] >> j & 1)
                    pw[k] = qtp_stage_step(pw[k], pw[j]);
            if (__builtin_expect(pg[k] != pw[k], 0)) {
                qtp__term_bad(ts, c->g, seq, p, QTP__BAD_FIELD, c->vis_f[k], pw[k], pg[k]);
                return seq;
            }
        }
    } else {
        for (uint64_t m = c->anc; m; m &= m - 1) {
            unsigned f = (unsigned)__builtin_ctzll(m);
            want[f] = qtp_stage_value(c->g, f, in, want);
            if (__builtin_expect(got[f] != want[f], 0)) {
                qtp__term_bad(ts, c->g, seq, p, QTP__BAD_FIELD, f, want[f], got[f]);
                return seq;
            }
        }
    }
    /* Its own field: input and upstream fields matched, so v is the model's value. */
    if (c->own >= 0 && __builtin_expect(vw != v, 0)) {
        qtp__term_bad(ts, c->g, seq, p, QTP__BAD_FIELD, (size_t)c->own, v, vw);
        return seq;
    }
    if (c->payload)
        qtp__payload_check(ts, c, ev, seq, p, input);
    return seq;
}

/* A measured terminal saw a measured event: record the first time (window check). */
void qtp__term_first(struct qtp__term *ts);
/* A terminal that has seen all it expects stamps its last time and counts down the window. */
void qtp__term_countdown(struct qtp_deploy *d, struct qtp__term *ts);

static inline void qtp__record_latency(struct qtp_hist *h, uint64_t now, uint64_t t_publish,
                                       uint64_t n)
{
    qtp_hist_record_n(h, now > t_publish ? qtp_clock_ticks_to_ns(now - t_publish) : 0, n);
}

/* ---- the common state ---- */

/* One stage instance: what every backend keeps (the backend keeps its own per-instance state,
 * e.g. the ring processor, beside it). */
struct qtp__inst {
    alignas(QTP_CACHE_BLOCK) struct qtp_deploy *d;
    const struct qtp_ginst *gi;
    const struct qtp_gstage *gs;
    struct qtp__chk chk;
    bool stall, slow;               /* slow: stall, work, sleep, leave or a fault: generic loop */
    uint64_t handled;               /* events handled (stall, leave) */
    bool leaves;                    /* opt-out: it leaves ... */
    uint64_t leave_after;           /* ... once it has handled this many events */
    uint64_t batches, batch_events; /* batching figures (measured part) */
    struct qtp__term *term;         /* &ts when this thread checks a terminal's events, else NULL */
    struct qtp__term ts;
    struct qtp_hist *hist;
};

struct qtp_deploy {
    struct qtp_deploy_config cfg;
    const struct qtp_topology *t;
    const struct qtp_graph *g;
    const struct qtp_queue_kind *kind;
    const struct qtp_deploy_backend *be;
    void *bs; /* the backend's state */
    uint32_t batch;
    uint32_t batch_span; /* random claims: batch..batch + span - 1 (cfg.batch_max); 0: fixed */
    uint64_t total;      /* warmup + events, per producer */
    uint64_t stop_after[QTP_TOPO_MAX_PRODUCERS]; /* events each producer publishes (opt-out) */
    bool opting;                                 /* the plan has opt-outs */
    struct qtp_opt_out plan;                     /* cfg.opt_out points here */
    unsigned nthreads;
    struct qtp_deploy_model *own_model; /* computed by run() when cfg.model is NULL */
    struct qtp_graph *miswired;         /* test-only: the planted copy d->g points at */

    alignas(QTP_CACHE_BLOCK) _Atomic bool halted; /* forced stop requested */
    _Atomic bool broken; /* the deployment found itself broken (see qtp__deploy_abort) */
    _Atomic bool window_started;
    _Atomic bool window_open; /* on_window(start) has returned: every producer may measure */
    _Atomic unsigned producers_left;
    _Atomic unsigned terms_left;
    unsigned close_at; /* terms_left before the countdown that closes the window: 1 */
    _Atomic uint64_t t_start, t_end;
    _Atomic uint64_t t_graceful; /* when the last producer began the graceful shutdown */
    bool ran;
    /* pingpong: events returned (the producer's progress, read by the watchdog) */
    alignas(QTP_CACHE_BLOCK) _Atomic uint64_t back;

    alignas(QTP_CACHE_BLOCK) struct qtp__inst *inst;
    struct qtp_stamp_error stamp; /* written by the one ring producer that measures it */
    struct qtp_expect *got;
    pthread_mutex_t err_lock;
    struct qtp_hist *latency;
    /* Where every thread meets (deploy.c): the start gate before the roles, the parking after
     * them. The last thread to arrive opens a meeting; so may others (the window's close, a
     * failed start). Under meet_lock. */
    pthread_mutex_t meet_lock;
    pthread_cond_t meet_cv;
    struct qtp__meeting {
        unsigned arrived;
        bool open;
    } gate, park;
};

static inline bool qtp__halted(const struct qtp_deploy *d)
{
    return atomic_load_explicit(&((struct qtp_deploy *)d)->halted, memory_order_acquire);
}

/* A deployment-level inconsistency (a failed rep, never a crash): keep the first. */
__attribute__((format(printf, 2, 3))) void qtp__deploy_error(struct qtp_deploy *d, const char *fmt,
                                                             ...);
/* The deployment is broken (e.g. a batch larger than the ring): record why and stop it all
 * (forced); run() returns 0 with verified false and this reason. */
__attribute__((format(printf, 2, 3))) void qtp__deploy_abort(struct qtp_deploy *d, const char *fmt,
                                                             ...);

/* ---- the opt-out plan (opt_out.c) ---- */

/* cfg's plan fits its topology: 0, or EINVAL with a reason in err. */
int qtp__opt_out_check(const struct qtp_deploy_config *cfg, char *err, size_t len);
/* Copy the plan into d and set each producer's stop_after (create, before the instances). */
void qtp__opt_out_producers(struct qtp_deploy *d);
/* Terminal ir (its ts.expected already counting what the producers publish): whether and when
 * it leaves. */
void qtp__opt_out_reader(struct qtp_deploy *d, struct qtp__inst *ir);
/* The check of a run with opt-outs (instead of the shared model's): true, or false with a
 * reason. */
bool qtp__opt_out_verify(struct qtp_deploy *d, char *reason, size_t len);

/* Test-only: a copy of g wired as cfg.test_miswire says (wiring.c). NULL: ENOMEM. */
struct qtp_graph *qtp__miswire(const struct qtp_graph *g, enum qtp_miswire how);

/* ---- the producers' common part ---- */

void qtp__window_start(struct qtp_deploy *d);
/* The last producer is about to stop everything gracefully: the drain starts now. */
static inline void qtp__graceful_begin(struct qtp_deploy *d)
{
    atomic_store(&d->t_graceful, qtp_clock_mono_ns());
}

/* A producer's batch loop: its pacing, and the generator of its claim sizes. */
struct qtp__pacer {
    bool on;
    uint64_t t0; /* ticks at start */
    double ns_per_event;
    uint64_t claims; /* random claims: the generator's state, from the seed and the producer */
    uint64_t stop;   /* events it publishes: warmup + events, or fewer when it opts out */
};

/* Events in the producer's next batch from position next: the batch size (or, for random
 * claims, the next size its generator draws), cut short at the end and at the warm-up boundary
 * (the window opens exactly before the first measured event). */
static inline uint32_t qtp__batch_at(const struct qtp_deploy *d, struct qtp__pacer *pc,
                                     uint64_t next)
{
    uint64_t end = next < d->cfg.warmup ? d->cfg.warmup : pc->stop, want = d->batch;
    uint64_t *rng = &pc->claims;
    if (end > pc->stop)
        end = pc->stop;
    if (d->batch_span) {
        /* xorshift64*: cheap, and the same sizes for the same seed and producer every rep. */
        uint64_t x = *rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *rng = x;
        want += ((x * 0x2545F4914F6CDD1DULL) >> 32) % d->batch_span;
    }
    return (uint32_t)(end - next < want ? end - next : want);
}

/* What a producer's fill reads, copied out of the deployment once: the slots it writes are
 * 64-bit words like these, so read through d the compiler would reload them after every store. */
struct qtp__filler {
    uint64_t seed;
    size_t payload;
    unsigned nfields;
    int64_t fault_seq;
    size_t fault_payload; /* test-only: this payload byte (1-based) of fault_seq flipped; 0: none */
};

static inline struct qtp__filler qtp__filler_of(const struct qtp_deploy *d)
{
    return (struct qtp__filler){d->cfg.seed, d->t->payload, d->t->nfields, d->cfg.fault_seq,
                                d->cfg.fault_payload <= d->t->payload ? d->cfg.fault_payload : 0};
}

static inline void qtp__fill(const struct qtp__filler *f, struct qtp_event *ev, unsigned p,
                             int64_t seq, uint64_t t)
{
    const uint64_t input = qtp_input_inline(f->seed, p, seq);
    ev->id = QTP_EVENT_ID(seq, p);
    ev->input = input;
    ev->t_publish = t;
    if (f->payload) {
        unsigned char *pl = (unsigned char *)(ev->out + f->nfields);
        qtp_payload_fill(pl, f->payload, seq, input);
        if (__builtin_expect(f->fault_payload != 0, 0) && seq == f->fault_seq)
            pl[f->fault_payload - 1] ^= 0x20;
    }
}

void qtp__pacer_init(struct qtp_deploy *d, struct qtp__pacer *pc, unsigned producer);
/* Intended send time of the k-th event of this producer (paced mode). */
static inline uint64_t qtp__pacer_at(const struct qtp__pacer *pc, uint64_t k)
{
    return pc->t0 + qtp_clock_ns_to_ticks((uint64_t)((double)k * pc->ns_per_event));
}
/* Wait until the intended time of event k; false when halted. */
bool qtp__pacer_wait(struct qtp_deploy *d, const struct qtp__pacer *pc, uint64_t k);

/* The start of every producer's batch at position next: its size (*n), paced, the window opened
 * if it holds the first measured event. false when halted while pacing. */
static inline bool qtp__batch_begin(struct qtp_deploy *d, struct qtp__pacer *pc, uint64_t next,
                                    uint32_t *n)
{
    *n = qtp__batch_at(d, pc, next);
    if (pc->on && !qtp__pacer_wait(d, pc, next + *n - 1))
        return false;
    if (__builtin_expect(next == d->cfg.warmup, 0) && d->cfg.events)
        qtp__window_start(d);
    return true;
}

/* Event k's publish stamp: 0 when not recording, its intended time when paced, else the batch's
 * (or stamp group's) clock read bt. */
static inline uint64_t qtp__stamp(bool record, const struct qtp__pacer *pc, uint64_t k, uint64_t bt)
{
    return !record ? 0 : pc->on ? qtp__pacer_at(pc, k) : bt;
}

/* ---- the common part of the stages ---- */

/* Test-only stall: wait, stoppably, until halted. */
void qtp__stall(struct qtp_deploy *d);
/* A stage's extra per-event work (work_ns busy, sleep_ns); false when halted meanwhile. */
bool qtp__stage_work(struct qtp__inst *ir);

/* Progress: " role=<last position handled>" for every instance, from the backend's done(). */
void qtp__progress_stages(struct qtp_deploy *d, struct qtp__sb *b);

#endif
