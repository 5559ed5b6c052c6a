/* qtp_mqueue.c - mutex-array and mutex-linked: one mutex, not-empty/not-full conditions.
 *
 * Both kinds share the locking protocol below and differ only in where an event copy lives
 * (a small internal vtable). Waiter counts under the mutex let push/pop skip the condition
 * signal when nobody waits, as exactly as ArrayBlockingQueue's signal-on-every-operation but
 * without the call. */
#include "qtp_mqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_alloc.h"
#include "qtp_table.h"

/* What differs between the kinds. make/unmake/finish run outside the lock (mutex-linked's
 * malloc and free happen there, as LinkedBlockingQueue allocates its node before locking). */
#define QTP_MQ_BLOCK 128 /* as QTP_CACHE_BLOCK: adjacent-line prefetchers pull pairs of lines */

struct mq_vtable {
    void *(*make)(struct qtp_mqueue *q, const void *ev);         /* the item to put; NULL: ENOMEM */
    void (*unmake)(void *item);                                  /* an item that was not queued */
    void (*put)(struct qtp_mqueue *q, void *item);               /* locked, count < capacity */
    void *(*take)(struct qtp_mqueue *q, void *ev);               /* locked, count > 0 */
    void (*finish)(struct qtp_mqueue *q, void *ev, void *taken); /* after take, unlocked */
    void (*drop_all)(struct qtp_mqueue *q); /* locked (forced close, destroy) */
    void (*free_storage)(struct qtp_mqueue *q);
};

struct node {
    struct node *next;
    alignas(8) unsigned char data[];
};

enum { OPEN = 0, CLOSED_GRACEFUL = 1, CLOSED_FORCED = 2 };

/* Layout: what every push and pop touches (the mutex and the state it guards) fills exactly one
 * 64-byte line, so an operation pulls one line from the other core, not three; the read-mostly
 * fields sit on their own block and stay shared; the condition variables, touched only when
 * someone waits, on another. Counts are 32-bit to fit (capacity <= UINT32_MAX). */
struct qtp_mqueue {
    alignas(QTP_MQ_BLOCK) const struct mq_vtable *vt;
    size_t capacity;
    size_t event_size;
    unsigned char *buf; /* mutex-array */
    size_t buf_bytes;
    /* Hot, under lock. */
    alignas(QTP_MQ_BLOCK) pthread_mutex_t lock;
    uint32_t count;
    uint32_t head;         /* mutex-array: next to take */
    uint32_t tail;         /* mutex-array: next to put */
    uint32_t waiting_pop;  /* threads in cond_wait(not_empty) */
    uint32_t waiting_push; /* threads in cond_wait(not_full) */
    uint32_t closed;
    struct node *first; /* mutex-linked (the next line: linked pays for its nodes anyway) */
    struct node *last;
    alignas(QTP_MQ_BLOCK) pthread_cond_t not_empty;
    pthread_cond_t not_full;
};
_Static_assert(offsetof(struct qtp_mqueue, closed) + sizeof(uint32_t) -
                       offsetof(struct qtp_mqueue, lock) <=
                   64,
               "the lock and the state it guards share one line");

/* ---- mutex-array ---- */

static void *array_make(struct qtp_mqueue *q, const void *ev)
{
    (void)q;
    return (void *)ev;
}

static void array_unmake(void *item)
{
    (void)item;
}

static void array_put(struct qtp_mqueue *q, void *item)
{
    memcpy(q->buf + q->tail * q->event_size, item, q->event_size);
    q->tail = q->tail + 1 == q->capacity ? 0 : q->tail + 1;
}

static void *array_take(struct qtp_mqueue *q, void *ev)
{
    memcpy(ev, q->buf + q->head * q->event_size, q->event_size);
    q->head = q->head + 1 == q->capacity ? 0 : q->head + 1;
    return NULL;
}

static void array_finish(struct qtp_mqueue *q, void *ev, void *taken)
{
    (void)q;
    (void)ev;
    (void)taken;
}

static void array_drop_all(struct qtp_mqueue *q)
{
    q->head = q->tail = 0;
}

static void array_free_storage(struct qtp_mqueue *q)
{
    qtp_free(q->buf, q->buf_bytes);
}

static const struct mq_vtable array_vt = {array_make,        array_unmake, array_put,
                                          array_take,        array_finish, array_drop_all,
                                          array_free_storage};

/* ---- mutex-linked ---- */

/* Deliberately plain malloc per event: that allocation is what this kind measures
 * (qtp_alloc.h). */
static void *linked_make(struct qtp_mqueue *q, const void *ev)
{
    struct node *n = malloc(sizeof(*n) + q->event_size);
    if (n) {
        n->next = NULL;
        memcpy(n->data, ev, q->event_size);
    }
    return n;
}

static void linked_unmake(void *item)
{
    free(item);
}

static void linked_put(struct qtp_mqueue *q, void *item)
{
    struct node *n = item;
    if (q->last)
        q->last->next = n;
    else
        q->first = n;
    q->last = n;
}

static void *linked_take(struct qtp_mqueue *q, void *ev)
{
    (void)ev;
    struct node *n = q->first;
    q->first = n->next;
    if (!q->first)
        q->last = NULL;
    return n;
}

static void linked_finish(struct qtp_mqueue *q, void *ev, void *taken)
{
    struct node *n = taken;
    memcpy(ev, n->data, q->event_size);
    free(n);
}

static void linked_drop_all(struct qtp_mqueue *q)
{
    struct node *n = q->first;
    while (n) {
        struct node *next = n->next;
        free(n);
        n = next;
    }
    q->first = q->last = NULL;
}

static void linked_free_storage(struct qtp_mqueue *q)
{
    (void)q;
}

static const struct mq_vtable linked_vt = {linked_make,        linked_unmake, linked_put,
                                           linked_take,        linked_finish, linked_drop_all,
                                           linked_free_storage};

/* ---- common ---- */

static int mq_create(struct qtp_mqueue **out, size_t capacity, size_t event_size,
                     const struct mq_vtable *vt)
{
    if (!out)
        return EINVAL;
    *out = NULL;
    if (capacity == 0 || capacity > UINT32_MAX || event_size == 0 ||
        event_size > SIZE_MAX / 2 / capacity)
        return EINVAL;
    struct qtp_mqueue *q = qtp_alloc(sizeof(*q), alignof(struct qtp_mqueue));
    if (!q)
        return ENOMEM;
    q->vt = vt;
    q->capacity = capacity;
    q->event_size = event_size;
    if (vt == &array_vt) {
        q->buf_bytes = capacity * event_size;
        size_t align = q->buf_bytes >= 4096 ? 4096 : 64;
        q->buf = qtp_alloc(q->buf_bytes, align);
        if (!q->buf)
            goto fail_buf;
    }
    /* Adaptive: a contended lock spins briefly before sleeping in the kernel; critical
     * sections here are a few dozen ns, much shorter than a futex round trip. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    int mrc = pthread_mutex_init(&q->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    if (mrc)
        goto fail_mutex;
    if (pthread_cond_init(&q->not_empty, NULL))
        goto fail_ne;
    if (pthread_cond_init(&q->not_full, NULL))
        goto fail_nf;
    *out = q;
    return 0;
fail_nf:
    pthread_cond_destroy(&q->not_empty);
fail_ne:
    pthread_mutex_destroy(&q->lock);
fail_mutex:
    vt->free_storage(q);
fail_buf:
    qtp_free(q, sizeof(*q));
    return ENOMEM;
}

static int array_create(struct qtp_mqueue **out, size_t capacity, size_t event_size)
{
    return mq_create(out, capacity, event_size, &array_vt);
}

static int linked_create(struct qtp_mqueue **out, size_t capacity, size_t event_size)
{
    return mq_create(out, capacity, event_size, &linked_vt);
}

const struct qtp_mqueue_ops qtp_mqueue_kinds[] = {
    {"mutex-array", "bounded array of copies, one mutex, two condition variables", false,
     array_create},
    {"mutex-linked", "bounded, malloc a node per push and free it per pop", true, linked_create},
    {NULL, NULL, false, NULL},
};

_Static_assert(offsetof(struct qtp_mqueue_ops, name) == 0,
               "qtp_table_find: the name is the first member");

const struct qtp_mqueue_ops *qtp_mqueue_find(const char *name)
{
    return QTP_FIND_NAME(qtp_mqueue_kinds, name);
}

void qtp_mqueue_destroy(struct qtp_mqueue *q)
{
    if (!q)
        return;
    q->vt->drop_all(q);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
    q->vt->free_storage(q);
    qtp_free(q, sizeof(*q));
}

static int push(struct qtp_mqueue *q, const void *ev, bool wait)
{
    void *item = q->vt->make(q, ev);
    if (!item)
        return ENOMEM;
    int rc = 0;
    bool wake = false;
    pthread_mutex_lock(&q->lock);
    while (q->count == q->capacity && q->closed == OPEN) {
        if (!wait) {
            rc = EAGAIN;
            goto out;
        }
        q->waiting_push++;
        pthread_cond_wait(&q->not_full, &q->lock);
        q->waiting_push--;
    }
    if (q->closed != OPEN) {
        rc = EPIPE;
        goto out;
    }
    q->vt->put(q, item);
    q->count++;
    wake = q->waiting_pop != 0;
out:
    pthread_mutex_unlock(&q->lock);
    /* Signal after unlocking, so the woken popper does not run straight into our lock. It is
     * safe: a waiter counted under the lock is already inside cond_wait, and pops re-check
     * the count in a loop. */
    if (wake)
        pthread_cond_signal(&q->not_empty);
    if (rc)
        q->vt->unmake(item);
    return rc;
}

int qtp_mqueue_push(struct qtp_mqueue *q, const void *ev)
{
    return push(q, ev, true);
}

int qtp_mqueue_try_push(struct qtp_mqueue *q, const void *ev)
{
    return push(q, ev, false);
}

int qtp_mqueue_pop(struct qtp_mqueue *q, void *ev)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && q->closed == OPEN) {
        q->waiting_pop++;
        pthread_cond_wait(&q->not_empty, &q->lock);
        q->waiting_pop--;
    }
    /* Graceful close still hands out what is queued; forced close dropped it already. */
    if (q->count == 0 || q->closed == CLOSED_FORCED) {
        pthread_mutex_unlock(&q->lock);
        return EPIPE;
    }
    void *taken = q->vt->take(q, ev);
    q->count--;
    bool wake = q->waiting_push != 0;
    pthread_mutex_unlock(&q->lock);
    if (wake) /* after unlocking: see push */
        pthread_cond_signal(&q->not_full);
    q->vt->finish(q, ev, taken);
    return 0;
}

void qtp_mqueue_close(struct qtp_mqueue *q, enum qtp_close_mode mode)
{
    pthread_mutex_lock(&q->lock);
    if (mode == QTP_CLOSE_FORCED) {
        q->closed = CLOSED_FORCED;
        q->vt->drop_all(q);
        q->count = 0;
    } else if (q->closed == OPEN) {
        q->closed = CLOSED_GRACEFUL;
    }
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

size_t qtp_mqueue_depth(struct qtp_mqueue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t qtp_mqueue_capacity(const struct qtp_mqueue *q)
{
    return q->capacity;
}

void *qtp_mqueue_storage(const struct qtp_mqueue *q, size_t *bytes)
{
    if (bytes)
        *bytes = q->buf ? q->buf_bytes : 0;
    return q->buf;
}
