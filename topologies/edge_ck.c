/* edge_ck.c - the Concurrency Kit queues (qtp_ckq.h) as the queues of the per-edge backend.
 * Unlike the mutex queues they wait through the deployment's wait strategy, and they need the
 * edge's producer count up front: one producer (every edge but the sequencer's) gets the SPSC
 * ck_ring, several the MPMC one. Each edge has exactly one consumer thread. Event buffers are
 * preallocated by the queue (qtp_alloc, so the NUMA policy places them); push and pop copy. */
#include <errno.h>

#include "deploy_internal.h"
#include "../queues/qtp_ckq.h"

static int ck_create(void **q, const char *kind, size_t capacity, size_t event_size,
                     unsigned producers, const struct qtp_wait_ops *wait,
                     const struct qtp_wait_params *params)
{
    const struct qtp_ckq_ops *ops = qtp_ckq_find(kind);
    if (!ops)
        return EINVAL;
    int err = ops->create((struct qtp_ckq **)q, capacity, event_size, producers, 1, wait);
    if (!err && params && (err = qtp_ckq_set_wait_params(*q, params)) != 0) {
        qtp_ckq_destroy(*q);
        *q = NULL;
    }
    return err;
}

static void ck_destroy(void *q)
{
    qtp_ckq_destroy(q);
}

static int ck_push(void *q, const void *ev)
{
    return qtp_ckq_push(q, ev);
}

static int ck_pop(void *q, void *ev)
{
    return qtp_ckq_pop(q, ev);
}

static void ck_close(void *q, enum qtp_close_mode mode)
{
    qtp_ckq_close(q, mode);
}

static size_t ck_depth(void *q)
{
    return qtp_ckq_depth(q);
}

static void *ck_storage(const void *q, size_t *bytes)
{
    return qtp_ckq_storage(q, bytes);
}

const struct qtp_edge_queue_ops qtp__edgeq_ck = {
    .create = ck_create,
    .destroy = ck_destroy,
    .push = ck_push,
    .pop = ck_pop,
    .close = ck_close,
    .depth = ck_depth,
    .storage = ck_storage,
};
