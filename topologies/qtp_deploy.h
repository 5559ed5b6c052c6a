/* qtp_deploy.h - a topology turned into running threads over one queue kind.
 *
 * Ring: one ring per topology (two for pingpong); every stage a consumer whose barrier names its
 * upstream stages; nothing copied. Mutex queues: one queue per edge; fan-out copies the event into
 * each branch's queue; a join pops one event from each input and merges fields; a shard deals
 * round-robin and is merged back in order. The same stage threads exist in both (distributor and
 * merger logic is fused into the threads on either side of the shard), the same handler functions
 * and the same producer loop run in both.
 *
 * Lifecycle (one thread drives it; halt may come from any thread):
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

/* The queue kinds: ring, mutex-array, mutex-linked. */
struct qtp_queue_kind {
    const char *name;
    const char *summary;
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
                                        1..ring_size, 0: 1 */
    uint32_t consumer_batch;         /* ring: most events a stage handles before it publishes its
                                        sequence (qtp_processor max_batch); 0: all available */
    uint64_t warmup;                 /* events before the measured window */
    uint64_t events;                 /* measured events (per producer for the sequencer) */
    double rate;                     /* paced: events/s; 0 = saturated */
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
    uint64_t done;   /* events finished by the slowest terminal */
    char text[1024]; /* "producer=1023 s1=1001 s2=998 q[s1->s2]=3 ..." */
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
/* Safe from any thread while run() is in progress. */
void qtp_deploy_progress(struct qtp_deploy *d, struct qtp_progress *p);
/* Buffers for placement checks: up to max (addr, bytes) pairs; returns how many. */
size_t qtp_deploy_buffers(const struct qtp_deploy *d, void **addr, size_t *bytes, size_t max);
void qtp_deploy_destroy(struct qtp_deploy *d);

#endif
