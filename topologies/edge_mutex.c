/* edge_mutex.c - the mutex/condvar queues (qtp_mqueue.h) as the queues of the per-edge backend.
 * They always block on their own condition variables (the wait strategy does not apply), and any
 * number of threads may push and pop, so the producer count is not needed either. */
#include <errno.h>

#include "deploy_internal.h"

static int mq_create(void **q, const char *kind, size_t capacity, size_t event_size,
                     unsigned producers, const struct qtp_wait_ops *wait,
                     const struct qtp_wait_params *params)
{
    (void)producers;
    (void)wait;
    (void)params;
    const struct qtp_mqueue_ops *ops = qtp_mqueue_find(kind);
    return ops ? ops->create((struct qtp_mqueue **)q, capacity, event_size) : EINVAL;
}

static void mq_destroy(void *q)
{
    qtp_mqueue_destroy(q);
}

static int mq_push(void *q, const void *ev)
{
    return qtp_mqueue_push(q, ev);
}

static int mq_pop(void *q, void *ev)
{
    return qtp_mqueue_pop(q, ev);
}

static void mq_close(void *q, enum qtp_close_mode mode)
{
    qtp_mqueue_close(q, mode);
}

static size_t mq_depth(void *q)
{
    return qtp_mqueue_depth(q);
}

static void *mq_storage(const void *q, size_t *bytes)
{
    return qtp_mqueue_storage(q, bytes);
}

const struct qtp_edge_queue_ops qtp__edgeq_mutex = {
    .create = mq_create,
    .destroy = mq_destroy,
    .push = mq_push,
    .pop = mq_pop,
    .close = mq_close,
    .depth = mq_depth,
    .storage = mq_storage,
};
