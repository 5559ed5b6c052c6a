/* qtp_mqueue.h - bounded mutex/condition-variable queues of event copies (the SEDA baseline).
 *
 * mutex-array: a ring array of copies, one mutex, not-empty/not-full conditions; no allocation
 *              per event (java.util.concurrent.ArrayBlockingQueue).
 * mutex-linked: a node malloc'd per push and freed per pop (LinkedBlockingQueue, Haskell's
 *              TQueue), so allocation cost is real and visible.
 * Both always block on their condition variables; push copies the event in, pop copies it out.
 *
 * Concurrency contract: push, pop, close and depth may all run at once from any threads.
 */
#ifndef QTP_MQUEUE_H
#define QTP_MQUEUE_H

#include <stdbool.h>
#include <stddef.h>

enum qtp_close_mode {
    QTP_CLOSE_GRACEFUL, /* pushes fail; pops drain what is queued, then fail */
    QTP_CLOSE_FORCED,   /* pushes and pops fail at once; queued events are dropped (and freed) */
};

struct qtp_mqueue;

struct qtp_mqueue_ops {
    const char *name;
    const char *summary;
    bool allocates_per_event;
    /* 0, EINVAL (capacity 0 or > UINT32_MAX, event_size 0) or ENOMEM. Buffers via qtp_alloc. */
    int (*create)(struct qtp_mqueue **out, size_t capacity, size_t event_size);
};

/* The registry: mutex-array, mutex-linked, then a {NULL} row. */
extern const struct qtp_mqueue_ops qtp_mqueue_kinds[];
const struct qtp_mqueue_ops *qtp_mqueue_find(const char *name);

void qtp_mqueue_destroy(struct qtp_mqueue *q);
/* Copy ev in, waiting while full. 0, EPIPE when closed, ENOMEM (mutex-linked: no node). */
int qtp_mqueue_push(struct qtp_mqueue *q, const void *ev);
/* Non-blocking push: 0, EAGAIN when full, EPIPE when closed, ENOMEM as push. */
int qtp_mqueue_try_push(struct qtp_mqueue *q, const void *ev);
/* Copy the oldest event out, waiting while empty. 0, or EPIPE when closed (and, graceful, drained).
 */
int qtp_mqueue_pop(struct qtp_mqueue *q, void *ev);
void qtp_mqueue_close(struct qtp_mqueue *q, enum qtp_close_mode mode);
/* Events queued now (for the watchdog's report). */
size_t qtp_mqueue_depth(struct qtp_mqueue *q);
size_t qtp_mqueue_capacity(const struct qtp_mqueue *q);
/* Buffer storage for placement checks (mutex-array: the array; mutex-linked: NULL, 0). */
void *qtp_mqueue_storage(const struct qtp_mqueue *q, size_t *bytes);

#endif
