/* qtp_ckq.h - bounded lock-free queues of event copies over Concurrency Kit's ck_ring, one per
 * edge (the per-edge lock-free family, next to the mutex queues of qtp_mqueue.h).
 *
 * ck_ring is a ring of pointers. Each queue preallocates its event buffers (through qtp_alloc)
 * and ck_ring carries pointers to them; push copies the event into a buffer, pop copies it out.
 * Nothing is allocated per event. The variant is chosen at create from the edge's shape:
 *
 *   spsc  one producer and one consumer: one ck_ring (ck_ring_*_spsc). capacity + 1 buffers,
 *         used round-robin by the producer; the consumer copies out of the buffer ck_ring hands
 *         it. The producer stops at `capacity` queued events, so the buffer the consumer is
 *         still copying out of is never the one being refilled.
 *   mpmc  several producers or consumers: two ck_rings (ck_ring_*_mpmc), a free list of the
 *         `capacity` buffers and the queue of full ones; push takes a buffer from the free list,
 *         pop gives it back after copying out (the DPDK mempool + rte_ring pattern).
 *
 * Capacity is exact in both (ck_ring itself holds one less than its power-of-two size, so its
 * rings are sized above capacity). ck_ring's MPMC enqueue waits, spinning, for earlier
 * producers to finish theirs (in-order commit): a producer preempted there stalls the others,
 * as in any ring of that design.
 *
 * Waiting goes through the wait strategy (qtp_wait.h): a consumer that finds its queue empty
 * waits on the queue's not-empty waiter, a producer that finds it full on the not-full waiter;
 * a push signals not-empty, a pop not-full (skipped when the strategy polls); a close alerts
 * both, so no wait outlives it.
 *
 * Concurrency contract:
 *   create/destroy       single thread, before the users start / after they have all stopped
 *   push/try_push        spsc: one thread; mpmc: any number
 *   pop                  spsc: one thread; mpmc: any number
 *   close FORCED         any thread, any time (also from a watchdog or on halt); every current
 *                        and later push and pop returns EPIPE promptly (a call that already
 *                        passed its check may still complete: it is ordered before the close)
 *   close GRACEFUL       after the last push that must be delivered has returned (the deployments
 *                        close from the last producer); pushes then fail, pops drain then fail.
 *                        A push racing with it may succeed without being delivered.
 *   depth/sleepers       any thread, any time (watchdogs)
 *   capacity/storage     any thread
 */
#ifndef QTP_CKQ_H
#define QTP_CKQ_H

#include <stdbool.h>
#include <stddef.h>

#include "qtp_mqueue.h" /* enum qtp_close_mode: one close vocabulary for every per-edge queue */
#include "qtp_wait.h"

struct qtp_ckq;

struct qtp_ckq_ops {
    const char *name;
    const char *summary;
    bool allocates_per_event;
    /* producers/consumers: threads that will push/pop (>= 1 each); spsc when both are 1, mpmc
     * otherwise. wait: the strategy's row (NULL: spin). 0, EINVAL (capacity 0 or > 2^30,
     * event_size 0, no producers or consumers, wait not a row of qtp_wait_strategies) or ENOMEM.
     * Storage via qtp_alloc. */
    int (*create)(struct qtp_ckq **out, size_t capacity, size_t event_size, unsigned producers,
                  unsigned consumers, const struct qtp_wait_ops *wait);
};

/* The registry: ck-ring, then a {NULL} row. */
extern const struct qtp_ckq_ops qtp_ckq_kinds[];
const struct qtp_ckq_ops *qtp_ckq_find(const char *name);

void qtp_ckq_destroy(struct qtp_ckq *q);
/* Copy ev in, waiting (wait strategy) while full. 0, or EPIPE when closed. */
int qtp_ckq_push(struct qtp_ckq *q, const void *ev);
/* Non-blocking push: 0, EAGAIN when full, EPIPE when closed. */
int qtp_ckq_try_push(struct qtp_ckq *q, const void *ev);
/* Copy the oldest event out, waiting while empty. 0, or EPIPE when closed (graceful: once
 * drained; forced: at once). */
int qtp_ckq_pop(struct qtp_ckq *q, void *ev);
void qtp_ckq_close(struct qtp_ckq *q, enum qtp_close_mode mode);
/* Events queued now (0 after a forced close: they are dropped). */
size_t qtp_ckq_depth(const struct qtp_ckq *q);
size_t qtp_ckq_capacity(const struct qtp_ckq *q);
/* The event buffers and their size in bytes (placement checks). */
void *qtp_ckq_storage(const struct qtp_ckq *q, size_t *bytes);
/* "spsc" or "mpmc": the variant create chose. */
const char *qtp_ckq_variant(const struct qtp_ckq *q);
/* Threads asleep in the queue's waiters now (block; 0 for strategies that poll). */
int qtp_ckq_sleepers(const struct qtp_ckq *q);
/* The wait strategy's constants (qtp_wait_parse's spec.params) for both of its waiters; after
 * create, before any push or pop. Without this call the strategy runs with its defaults. 0, or
 * EINVAL when a value is out of its range. */
int qtp_ckq_set_wait_params(struct qtp_ckq *q, const struct qtp_wait_params *p);

#endif
