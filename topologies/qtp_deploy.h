/* qtp_deploy.h - a topology turned into running threads over one queue kind.
 *
 * Threads are identical in every deployment: one per producer and one per stage instance (a shard
 * copy is an instance); no distributor or merger threads. Only what sits between them differs,
 * and each queue family is one backend (a table of operations the queue kind's row points at):
 *   ring      one ring (multi-producer for the sequencer; two rings for pingpong). Each instance
 *             is a qtp_processor whose barrier names its upstream instances' sequences (none: the
 *             cursor); fan-out branches have the same barrier; a join waits on several sequences;
 *             a shard copy advances over every position but handles only those it owns; the
 *             producer is gated on the terminals. Each stage handles a whole batch in one call
 *             (walking the slots with qtp_ring_span). Events are never copied (pingpong's echo
 *             copies each event from ping to pong: the round trip needs it).
 *   per edge  one queue per edge u -> d (per-edge capacity = ring_size), whatever the queue: the
 *             mutex/condvar queues (always blocking), or Concurrency Kit's lock-free ck_ring
 *             (SPSC; MPMC for the sequencer's edge), waiting by the wait strategy. An instance
 *             handles the positions of its partition in order; for each it pops one event from
 *             every in-edge whose source owns the position (one queue; a join of K branches,
 *             checked to carry the same seq, merging the fields each branch wrote; or, after a
 *             shard, the one copy that owns it: an in-order merge) and pushes a copy into every
 *             out-edge whose destination owns it (fan-out copies; shard dealing).
 * The same stage functions, event layout, producer loop and check run in every backend.
 *
 * Verification (every run): each terminal checks every event inline - the expected next seq
 * (order and count; per producer for the sequencer), input == qtp_input_value(seed, producer,
 * seq), every field it can see == the stage functions recomputed for that event, the payload
 * (its head, tail and middle byte) - and keeps the first mismatch; it also folds every event it
 * sees into an order-sensitive hash (qtp_topo_internal.h). After the join run() compares counts
 * and hashes with the sequential model: computed once per cell by the caller
 * (qtp_deploy_model_create, cfg.model) or, without one, by run() itself after the threads joined.
 * It also checks the window: every terminal saw its first measured event after the window opened
 * and its last one before it closed. Before the run, qtp_deploy_check_wiring compares what the
 * deployment built (read back from its barriers, gating set and queues) with the compiled graph:
 * wiring that leaves the outputs as the model's (fan-out branches chained, shard copies owning
 * the wrong residues) is invisible to every value check.
 *
 * Measured window: opens on the producer just before it claims the first measured event (batches
 * never straddle the warm-up boundary: the last warm-up batch is cut short), closes when the last
 * terminal has finished its last measured event.
 *
 * Latency (record_latency): end to end, from the producer's stamp to the moment the terminal
 * releases the event (a ring stage releases a whole batch at once: the terminal reads the clock
 * once per batch, after its last event; a per-edge terminal once per event; pingpong's producer
 * once per returned batch: the round trip). Saturated, the ring producer reads the clock once per
 * stamp group: up to QTP_STAMP_GROUP events claimed back to back without waiting (one claim of
 * `batch` events when batch >= QTP_STAMP_GROUP); a claim that has to look at the gating sequences
 * ends the group and starts a new one after it returns. Every event of a group carries the
 * group's stamp, taken before its first event was claimed, so an event's latency is overstated -
 * never understated - by at most the time from that stamp to its own publish; res->stamp reports
 * that bound as measured (each group's span, read when the next group starts). The per-edge
 * producer and pingpong read the clock once per batch. Paced (rate > 0): each event's intended
 * send time on a fixed schedule, so coordinated omission does not hide stalls; no group error.
 * Per-terminal histograms are merged into res->latency after the join.
 *
 * Shutdown (seed 002's two modes): after its last event the producer halts the ring GRACEFUL
 * (the last of several producers does), or closes its queues GRACEFUL and each thread closes its
 * own out-queues when its input is drained: every thread drains and exits; run() joins
 * (res->drain_ns measures it). qtp_deploy_halt (forced, any thread, any time) makes every wait
 * return, waking sleepers of block, sleep and phased at once: run() returns ECANCELED soon after.
 *
 * Lifecycle (one thread drives it; halt and progress may come from any thread):
 *   qtp_deploy_create -> qtp_deploy_run (once) -> qtp_deploy_destroy
 * A model (qtp_deploy_model_create) may serve any number of deployments of its topology, seed and
 * event count, one after the other or at once; it must outlive them.
 */
#ifndef QTP_DEPLOY_H
#define QTP_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qtp_topo.h"
#include "../queues/qtp_wait.h"

struct qtp_hist;
struct qtp_deploy;         /* opaque */
struct qtp_deploy_model;   /* opaque: the sequential model's result for one cell */
struct qtp_deploy_backend; /* internal (deploy_internal.h): how a queue family is deployed */
struct qtp_edge_queue_ops; /* internal (deploy_internal.h): the queue behind each edge */

/* Queue families: what a kind shares with others of its family, and what the report compares
 * (the ring over each per-edge family; a lock-free per-edge family over the mutex one). */
enum qtp_queue_family {
    QTP_FAMILY_RING,     /* one ring per topology, sequence barriers, zero copies */
    QTP_FAMILY_LOCKFREE, /* a lock-free queue per edge, events copied */
    QTP_FAMILY_MUTEX,    /* a mutex/condvar queue per edge, events copied */
};

/* The queue kinds, in display order: ring, mutex-array, mutex-linked, ck-ring. A new kind is a
 * row: its backend (the ring's, or the per-edge one with the kind's edge queue operations). */
struct qtp_queue_kind {
    const char *name;
    const char *summary;
    enum qtp_queue_family family;
    bool uses_wait; /* the wait axis applies (ring, ck-ring); mutex queues always block */
    const struct qtp_deploy_backend *backend;
    const struct qtp_edge_queue_ops *edge; /* per-edge backends: the queue of each edge */
    /* The wait strategies the default matrix (no -q, no -w) runs this kind with, comma-separated;
     * NULL: every one. Keeps the default matrix near its time as kinds are added. */
    const char *default_waits;
};
extern const struct qtp_queue_kind qtp_queue_kinds[]; /* {NULL}-terminated */
const struct qtp_queue_kind *qtp_queue_kind_find(const char *name);

/* Called on each deployment thread before it does anything else (the runner binds it to its
 * CPU there); no thread's role begins until every thread has returned from it, so nothing it
 * does falls in the measured window. index 0..nthreads-1 in a fixed order: producers first,
 * then stages depth-first. */
typedef void (*qtp_thread_start_fn)(void *ctx, unsigned index, const char *role);
/* Called once on the producer thread when the first measured event is about to be claimed,
 * and once when the last measured event has left its last stage (any thread). */
typedef void (*qtp_window_fn)(void *ctx, bool start);

/* Opt-outs (seed 002: "readers and publishers can opt out at any time, without affecting the
 * ones that stay"), as text "reader:2@30%,producer:1@50%" ("none" or "": nobody):
 *   reader:K@X%    terminal K (1-based, in qtp_topology_describe's order: a broker's rK) leaves
 *                  once it has handled X% of warmup + events of every producer. Over the ring it
 *                  is removed from the producers' gating at run time (qtp_ring_remove_gating), so
 *                  they go on without waiting for it; over per-edge queues it closes its queue
 *                  and the producers stop copying into it.
 *   producer:J@Y%  producer J (1-based) stops publishing after Y% of its warmup + events.
 * The check knows the plan: a reader that stays receives every event each producer published
 * (an opted-out producer's up to where it stopped), exactly once, in per-producer order; a reader
 * that left received exactly its share, a prefix of each producer's stream; the model computes
 * the same. Only terminals may leave (nothing waits on them), and not in pingpong. */
#define QTP_OPT_OUT_MAX (QTP_MAX_TERMINALS + QTP_TOPO_MAX_PRODUCERS)
struct qtp_opt_out {
    unsigned n;
    struct qtp_opt_out_item {
        bool producer;  /* else a reader */
        unsigned index; /* 1-based */
        unsigned pct;   /* 0..100 */
    } item[QTP_OPT_OUT_MAX];
};
/* Parse text into *out, checked against t (NULL: only the syntax and the percentages). 0, or
 * EINVAL with one line in err naming the bad part and what is accepted. */
int qtp_opt_out_parse(const char *text, const struct qtp_topology *t, struct qtp_opt_out *out,
                      char *err, size_t len);

/* Saturated ring producers read the clock once per group of this many events at most. */
#define QTP_STAMP_GROUP 16

struct qtp_deploy_config {
    const struct qtp_topology *topo;
    const char *queue;                         /* a qtp_queue_kinds name */
    const struct qtp_wait_ops *wait;           /* kinds that use the wait axis; NULL: spin */
    const struct qtp_wait_params *wait_params; /* its constants; NULL: its defaults */
    uint32_t ring_size;      /* slots (ring) or per-edge capacity (per-edge queues) */
    uint32_t batch;          /* producer claim size (ring) / events per push burst;
                                1..ring_size, 0: 1; pingpong: events in flight (per-edge
                                queues: at most 64) */
    uint32_t batch_max;      /* not 0: each claim's size is drawn from batch..batch_max
                                (seeded by seed and the producer: reproducible) */
    uint32_t consumer_batch; /* ring: most events a stage handles before it publishes its
                                sequence (qtp_processor max_batch); 0: all available */
    uint64_t warmup;         /* events before the measured window (per producer) */
    uint64_t events;         /* measured events (per producer for the sequencer) */
    double rate;             /* paced: events/s per producer; 0 = saturated */
    uint64_t seed;           /* input values */
    bool record_latency;     /* false: no timestamps read (to measure the cost of it) */
    /* The model to compare with, computed once for this topology, seed and warmup + events
     * (qtp_deploy_model_create); NULL: run() computes it after the threads joined. */
    const struct qtp_deploy_model *model;
    qtp_thread_start_fn on_thread_start;
    qtp_window_fn on_window;
    void *ctx;
    /* Test-only: stage number stall_stage (1 = field 0, as in qtp_topology_describe; 0: none)
     * stops making progress after it has handled stall_after events (every instance of it):
     * it waits in a stoppable loop until qtp_deploy_halt. */
    int stall_stage;
    uint64_t stall_after;
    /* Test-only fault injection: stage number fault_stage (1-based, 0: none) writes a wrong
     * value (xor 1) into its field for the event with seq == fault_seq (every producer);
     * fault_payload (1-based byte, 0: none) makes the producer write payload byte
     * fault_payload - 1 of that event wrong (xor 0x20). */
    int fault_stage;
    int64_t fault_seq;
    unsigned fault_payload;
    /* Who opts out (NULL or n == 0: nobody); copied at create. */
    const struct qtp_opt_out *opt_out;
    /* Test-only: called on each thread after every thread has started (the start gate), just
     * before its role begins: a test may hold one thread there while the others run. */
    qtp_thread_start_fn test_on_role;
    /* Test-only: the ring producer is not gated on the terminals (a broken ring, which the
     * deployment must report, not survive by luck). */
    bool test_ungated;
    /* Test-only: the window closes when the first terminal has finished, not the last (a wrong
     * window, which the window check must catch). */
    bool test_window_first;
    /* Test-only: build from a miswired copy of the compiled graph (wiring that leaves every
     * output as the model's, which only the wiring check can see). */
    enum qtp_miswire {
        QTP_MISWIRE_NONE,
        QTP_MISWIRE_CHAIN_FANOUT,   /* the second of two fan-out branches waits on the first */
        QTP_MISWIRE_SHARD_RESIDUES, /* every shard copy owns the next copy's residue */
    } test_miswire;
};

/* A snapshot of where every thread is (the watchdog's report). */
struct qtp_progress {
    uint64_t done; /* positions (events of all producers, warmup included) that every terminal
                      has finished */
    /* ring:     "producer=<claimed> published=<cursor> s1=<seq> s2=<seq> ..." (pingpong adds
     *           "pong.published=.. producer.pong=..");
     * per edge: "producer=<sent> s1=<last position handled> ... q[p->s1]=<depth> q[s1->s2]=..".
     * Truncated with "..." when long. */
    char text[1024];
};

/* Per stage instance and rep, LMAX's batching figures: how many batches it handled and how
 * many events (positions: a shard copy counts those it skips too) they held, counting the
 * batches that held measured positions and only their measured positions (for several
 * producers: positions past warmup x producers). Mean batch size = events / batches; the
 * Disruptor's BatchPercent = batches / events. A per-edge stage handles one event per pop:
 * its batches equal its events. */
struct qtp_stage_batching {
    char role[48];
    uint64_t batches;
    uint64_t events;
};

/* When a terminal saw its first and its last measured event (CLOCK_MONOTONIC ns; 0: it saw
 * none). The window is right when every first >= window_start_ns and every last <=
 * window_end_ns. */
struct qtp_terminal_times {
    char role[48];
    uint64_t first_ns, last_ns;
};

/* The producers' stamp groups (saturated ring, record_latency): each event's stamp precedes its
 * publish by at most its group's span. */
struct qtp_stamp_error {
    uint64_t groups;  /* groups whose span was measured */
    uint64_t mean_ns; /* mean span over groups */
    uint64_t max_ns;  /* largest span: the bound on any event's stamp error */
};

struct qtp_deploy_result {
    uint64_t events;    /* measured events finished (by the slowest terminal; all producers) */
    uint64_t window_ns; /* measured window, CLOCK_MONOTONIC */
    uint64_t window_start_ns, window_end_ns; /* CLOCK_MONOTONIC; 0 when the window never opened */
    bool verified;                           /* agreed with the model, and window_ok */
    bool window_ok;   /* every terminal's first/last measured event lies inside the window */
    char reason[512]; /* why not verified, or why the run failed */
    struct qtp_hist *latency; /* merged terminal histograms (owned by the deployment) */
    unsigned nstages;         /* = topology's ninstances */
    struct qtp_stage_batching stage[QTP_TOPO_MAX_INSTANCES];
    unsigned nterminals;
    struct qtp_terminal_times terminal[QTP_MAX_TERMINALS];
    struct qtp_stamp_error stamp;
    /* The graceful shutdown: from the last producer's stop (ring halt or queue close) until
     * every thread had drained and been joined. 0 when the run was halted. */
    uint64_t drain_ns;
};

/* The wiring a deployment built, read back from its queues and loops rather than from the graph
 * it was built from: per instance, the partition its loop handles, what it waits on (ring: its
 * barrier's sequences; per edge: the sources of its in-edges) and where its out-edges go; each
 * per-edge queue's two ends with their partitions; the ring's gating set. */
#define QTP_WIRE_PRODUCER 0xffu /* an end that is the producer(s) (ring: the cursor) */
#define QTP_WIRE_UNKNOWN 0xfeu  /* a sequence or queue that belongs to no instance */
#define QTP_WIRE_MAX_ENDS (QTP_TOPO_MAX_INSTANCES + 1)
struct qtp_wire_end {
    uint8_t src, dst; /* instance indexes, or QTP_WIRE_PRODUCER / QTP_WIRE_UNKNOWN */
    uint32_t src_mod, src_res, dst_mod, dst_res;
};
struct qtp_wire_inst {
    uint32_t mod, res;
    unsigned nin, nout; /* nout: per-edge backends only */
    struct qtp_wire_end in[QTP_WIRE_MAX_ENDS], out[QTP_WIRE_MAX_ENDS];
};
struct qtp_wiring {
    bool edges; /* per-edge queues (in and out are queues); else the ring (in: the barrier) */
    unsigned ninst;
    struct qtp_wire_inst inst[QTP_TOPO_MAX_INSTANCES];
    unsigned ngating; /* ring */
    uint8_t gating[QTP_TOPO_MAX_INSTANCES];
};

/* The sequential model of t for (seed, count events per producer: warmup + events), to give
 * every rep of a cell (cfg.model) instead of recomputing it per rep. 0, ENOMEM, or ECANCELED
 * once *stop is nonzero (NULL: never; checked every 64K events: a signal count such as the
 * runner's can be given as is). t must outlive the model. */
int qtp_deploy_model_create(struct qtp_deploy_model **out, const struct qtp_topology *t,
                            uint64_t seed, uint64_t count, const _Atomic int *stop);
void qtp_deploy_model_destroy(struct qtp_deploy_model *m);

/* Build everything (storage through qtp_alloc, threads not yet started). 0, or EINVAL with a
 * reason in err (bad sizes for this topology, a model of another topology, seed or count, a
 * compiled graph with a field out of range), or ENOMEM. cfg->topo and cfg->model must outlive
 * d. */
int qtp_deploy_create(struct qtp_deploy **out, const struct qtp_deploy_config *cfg, char *err,
                      size_t errlen);
/* Start the threads, push warmup + events through, drain gracefully, join, check against the
 * model and the window. 0 (see res->verified; a deployment that found itself broken, e.g. a
 * ring batch larger than the ring, stops early and reports it there), ECANCELED when halted
 * (res->reason says by what), or an error. */
int qtp_deploy_run(struct qtp_deploy *d, struct qtp_deploy_result *res);
/* Read back what d built (before run). w is large (use the heap). */
void qtp_deploy_wiring(const struct qtp_deploy *d, struct qtp_wiring *w);
/* Compare what d built with its topology's compiled graph: true, or false with the first
 * difference in why ("c2 waits on c1; the topology says on the producer"). Before run; a
 * deployment that fails it measures another topology than the one named, whatever its outputs. */
bool qtp_deploy_check_wiring(const struct qtp_deploy *d, char *why, size_t len);
/* Forced stop from any thread: every wait returns, run() returns ECANCELED soon after. */
void qtp_deploy_halt(struct qtp_deploy *d);
/* Safe from any thread between create and destroy (before, during and after run()). */
void qtp_deploy_progress(struct qtp_deploy *d, struct qtp_progress *p);
/* Where every stage is, in numbers (the sampler's view; qtp_deploy_progress says the same in
 * words). Each figure is read once, relaxed, during the call: they are not one instant, and a
 * depth may be off by the events that moved meanwhile. */
struct qtp_positions {
    uint64_t produced; /* positions the producers have handed on (ring: published; per edge:
                          pushed), all producers, warm-up included */
    uint64_t finished; /* positions every terminal has finished (qtp_progress.done) */
    unsigned nstages;  /* the topology's instances, in qtp_deploy_stage_role order */
    uint64_t done[QTP_TOPO_MAX_INSTANCES];  /* positions each has finished (a shard copy or a
                                               per-edge instance: every one it owns below this) */
    uint64_t depth[QTP_TOPO_MAX_INSTANCES]; /* events in front of it: over a ring, how far it is
                                               behind the slowest of what it waits on (the
                                               producers or its upstream stages); over queues,
                                               the length of its in-edge queues */
};
/* Safe from any thread between create and destroy (before, during and after run()). */
void qtp_deploy_positions(struct qtp_deploy *d, struct qtp_positions *p);
/* Stage instance i's role ("s1", "shard:w[1]"), as in the progress text; NULL past the last. */
const char *qtp_deploy_stage_role(const struct qtp_deploy *d, unsigned i);
/* The instances stage i hands its events to (up to max into out; returns how many, 0 for a
 * terminal). */
size_t qtp_deploy_stage_outs(const struct qtp_deploy *d, unsigned i, unsigned *out, size_t max);
/* The latency histograms the terminals are recording into (up to max, returns how many): live,
 * read-only, for a sampler that reads them while they grow (qtp_hist_sample_live). Between
 * create and destroy; after run() they hold the rep's whole latency. */
size_t qtp_deploy_latency_live(const struct qtp_deploy *d, const struct qtp_hist **out, size_t max);

/* Buffers for placement checks: up to max (addr, bytes) pairs; returns how many. */
size_t qtp_deploy_buffers(const struct qtp_deploy *d, void **addr, size_t *bytes, size_t max);
void qtp_deploy_destroy(struct qtp_deploy *d);

#endif
