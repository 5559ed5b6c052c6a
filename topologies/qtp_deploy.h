/* qtp_deploy.h - a topology turned into running threads over one queue kind.
 *
 * Threads are identical in both deployments: one per producer and one per stage instance (a shard
 * copy is an instance); no distributor or merger threads. Only what sits between them differs:
 *   ring   one ring (multi-producer for the sequencer; two rings for pingpong). Each instance is a
 *          qtp_processor whose barrier names its upstream instances' sequences (none: the
 *          cursor); fan-out branches have the same barrier; a join waits on several sequences;
 *          a shard copy advances over every position but handles only those it owns; the
 *          producer is gated on the terminals. Events are never copied (pingpong's echo copies
 *          each event from ping to pong: the round trip needs it).
 *   mutex  one queue per edge u -> d (per-edge capacity = ring_size). An instance handles the
 *          positions of its partition in order; for each it pops one event from every in-edge
 *          whose source owns the position (one queue; a join of K branches, checked to carry the
 *          same seq, merging the fields each branch wrote; or, after a shard, the one copy that
 *          owns it: an in-order merge) and pushes a copy into every out-edge whose destination
 *          owns it (fan-out copies; shard dealing). A terminal shard copy is simply a terminal.
 * The same stage function, event layout and producer loop run in both.
 *
 * Verification (every run): each terminal checks every event inline - the expected next seq
 * (order and count; per producer for the sequencer), input == qtp_input_value(seed, producer,
 * seq), every field it can see == the stage functions recomputed for that event, the payload -
 * and keeps the first mismatch; it also folds what it sees into an order-sensitive hash. After
 * the join run() compares with qtp_model_run (count and hash per terminal and producer).
 *
 * Latency (record_latency): the producer stamps t_publish once per claimed batch (paced: each
 * event's intended send time on a fixed schedule, so coordinated omission does not hide stalls);
 * a ring terminal reads the clock once per batch, when it releases the batch; a mutex terminal
 * once per event (its batch is one pop); pingpong's producer once per returned batch (the round
 * trip). Per-terminal histograms are merged into res->latency after the join.
 *
 * Shutdown: after its last event the producer halts the ring GRACEFUL (the last of several
 * producers does), or closes its queues GRACEFUL and each thread closes its own out-queues when
 * its input is drained: every thread drains and exits; run() joins. qtp_deploy_halt (forced, any
 * thread, any time) makes every wait return: run() returns ECANCELED soon after.
 *
 * Lifecycle (one thread drives it; halt and progress may come from any thread):
 *   qtp_deploy_create -> qtp_deploy_run (once) -> qtp_deploy_destroy
 */
#ifndef QTP_DEPLOY_H
#define QTP_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qtp_topo.h"
#include "../queues/qtp_wait.h"

struct qtp_hist;
struct qtp_deploy; /* opaque */

/* Queue families: what a kind shares with others of its family, and what the report compares
 * (the ring over each per-edge family; a lock-free per-edge family over the mutex one). */
enum qtp_queue_family {
    QTP_FAMILY_RING,     /* one ring per topology, sequence barriers, zero copies */
    QTP_FAMILY_LOCKFREE, /* a lock-free queue per edge, events copied */
    QTP_FAMILY_MUTEX,    /* a mutex/condvar queue per edge, events copied */
};

/* The queue kinds, in display order: ring, mutex-array, mutex-linked. */
struct qtp_queue_kind {
    const char *name;
    const char *summary;
    enum qtp_queue_family family;
    bool uses_wait; /* the wait axis applies (ring); mutex queues always block */
};
extern const struct qtp_queue_kind qtp_queue_kinds[]; /* {NULL}-terminated */
const struct qtp_queue_kind *qtp_queue_kind_find(const char *name);

/* Called on each deployment thread before it does anything else (the runner binds it to its
 * CPU there). index 0..nthreads-1 in a fixed order: producers first, then stages depth-first. */
typedef void (*qtp_thread_start_fn)(void *ctx, unsigned index, const char *role);
/* Called once on the producer thread when the first measured event is about to be published,
 * and once when the last measured event has left its last stage (any thread). */
typedef void (*qtp_window_fn)(void *ctx, bool start);

struct qtp_deploy_config {
    const struct qtp_topology *topo;
    const char *queue;               /* a qtp_queue_kinds name */
    const struct qtp_wait_ops *wait; /* ring only; NULL: spin */
    uint32_t ring_size;              /* slots (ring) or per-edge capacity (mutex queues) */
    uint32_t batch;                  /* producer claim size (ring) / events per push burst;
                                        1..ring_size, 0: 1; pingpong: events in flight (mutex
                                        queues: at most 64) */
    uint32_t consumer_batch;         /* ring: most events a stage handles before it publishes its
                                        sequence (qtp_processor max_batch); 0: all available */
    uint64_t warmup;                 /* events before the measured window (per producer) */
    uint64_t events;                 /* measured events (per producer for the sequencer) */
    double rate;                     /* paced: events/s per producer; 0 = saturated */
    uint64_t seed;                   /* input values */
    bool record_latency;             /* false: no timestamps read (to measure the cost of it) */
    qtp_thread_start_fn on_thread_start;
    qtp_window_fn on_window;
    void *ctx;
    /* Test-only: stage number stall_stage (1 = field 0, as in qtp_topology_describe; 0: none)
     * stops making progress after it has handled stall_after events (every instance of it):
     * it waits in a stoppable loop until qtp_deploy_halt. */
    int stall_stage;
    uint64_t stall_after;
    /* Test-only fault injection: stage number fault_stage (1-based, 0: none) writes a wrong
     * value (xor 1) into its field for the event with seq == fault_seq (every producer). */
    int fault_stage;
    int64_t fault_seq;
};

/* A snapshot of where every thread is (the watchdog's report). */
struct qtp_progress {
    uint64_t done; /* positions (events of all producers, warmup included) that every terminal
                      has finished */
    /* ring:  "producer=<sent> published=<cursor> s1=<seq> s2=<seq> ..." (pingpong adds
     *        "pong.published=.. producer.pong=..");
     * mutex: "producer=<sent> s1=<last position handled> ... q[p->s1]=<depth> q[s1->s2]=..".
     * Truncated with "..." when long. */
    char text[1024];
};

struct qtp_deploy_result {
    uint64_t events;    /* measured events finished (by the slowest terminal; all producers) */
    uint64_t window_ns; /* measured window, CLOCK_MONOTONIC */
    bool verified;      /* agreed with the model */
    char reason[512];   /* why not verified, or why the run failed */
    struct qtp_hist *latency; /* merged terminal histograms (owned by the deployment) */
};

/* Build everything (storage through qtp_alloc, threads not yet started). 0, or EINVAL with a
 * reason in err (bad sizes for this topology), or ENOMEM. cfg->topo must outlive d. */
int qtp_deploy_create(struct qtp_deploy **out, const struct qtp_deploy_config *cfg, char *err,
                      size_t errlen);
/* Start the threads, push warmup + events through, drain gracefully, join, check against the
 * model. 0 (see res->verified), ECANCELED when halted (res->reason says by what), or an error. */
int qtp_deploy_run(struct qtp_deploy *d, struct qtp_deploy_result *res);
/* Forced stop from any thread: every wait returns, run() returns ECANCELED soon after. */
void qtp_deploy_halt(struct qtp_deploy *d);
/* Safe from any thread between create and destroy (before, during and after run()). */
void qtp_deploy_progress(struct qtp_deploy *d, struct qtp_progress *p);
/* Buffers for placement checks: up to max (addr, bytes) pairs; returns how many. */
size_t qtp_deploy_buffers(const struct qtp_deploy *d, void **addr, size_t *bytes, size_t max);
void qtp_deploy_destroy(struct qtp_deploy *d);

#endif
