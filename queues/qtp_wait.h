/* qtp_wait.h - wait strategies: one ops table, one row per strategy.
 *
 * A ring owns one qtp_waiter. Every thread that waits on the ring (a consumer on its barrier, a
 * producer on its gating sequences) goes through wait_until(); every thread that moves a sequence
 * someone may wait on (producer publish, consumer batch end) calls signal(), which must cost
 * (close to) nothing when no thread sleeps: block keeps a sleeper count and only takes the lock
 * when it is non-zero.
 *
 * Concurrency contract:
 *   wait_until   any number of threads at once
 *   signal       any number of threads at once, concurrently with wait_until
 *   alert        any thread, any time; after it every current and future wait_until returns
 *                promptly with QTP_WAIT_ALERTED (until the ring is destroyed)
 */
#ifndef QTP_WAIT_H
#define QTP_WAIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qtp_seq.h"

enum qtp_wait_status {
    QTP_WAIT_OK = 0,      /* condition met */
    QTP_WAIT_ALERTED = 1, /* halted: stop waiting */
};

/* State shared by a ring's waiters. Fields used by block only are ignored by spin/yield. */
struct qtp_waiter {
    const struct qtp_wait_ops *ops;
    alignas(QTP_CACHE_BLOCK) _Atomic bool alerted;
    alignas(QTP_CACHE_BLOCK) _Atomic int sleepers; /* block: threads inside the cond wait */
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

/* The condition a waiter waits for: returns true when it holds. Called often; must be cheap. */
typedef bool (*qtp_wait_cond_fn)(void *arg);

struct qtp_wait_ops {
    const char *name;
    const char *summary;
    bool spins; /* never gives its CPU away while waiting: collapses when threads outnumber PUs
                   (the runner's oversubscription rule) */
    int (*init)(struct qtp_waiter *w);
    void (*destroy)(struct qtp_waiter *w);
    /* Wait until cond(arg) is true (QTP_WAIT_OK) or the waiter is alerted (QTP_WAIT_ALERTED). */
    enum qtp_wait_status (*wait_until)(struct qtp_waiter *w, qtp_wait_cond_fn cond, void *arg);
    /* Some sequence moved: wake sleepers, if any. */
    void (*signal)(struct qtp_waiter *w);
};

/* The registry: spin, yield, block, then a {NULL} row. */
extern const struct qtp_wait_ops qtp_wait_strategies[];
/* Row by name, or NULL. */
const struct qtp_wait_ops *qtp_wait_find(const char *name);
/* False when signal() is a no-op for ops (its waiters poll): hot paths skip the call. */
bool qtp_wait_needs_signal(const struct qtp_wait_ops *ops);

int qtp_waiter_init(struct qtp_waiter *w, const struct qtp_wait_ops *ops);
void qtp_waiter_destroy(struct qtp_waiter *w);
/* Some sequence moved: wake sleepers if any (block), nothing otherwise. Call it after moving a
 * sequence another thread may wait on (qtp_ring_publish and qtp_processor_run do). */
static inline void qtp_waiter_signal(struct qtp_waiter *w)
{
    w->ops->signal(w);
}
/* Set the alert and wake every sleeper. */
void qtp_waiter_alert(struct qtp_waiter *w);
static inline bool qtp_waiter_alerted(const struct qtp_waiter *w)
{
    return atomic_load_explicit(&((struct qtp_waiter *)w)->alerted, memory_order_acquire);
}

/* CPU hint for spin loops (pause on x86, yield on arm). */
static inline void qtp_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

#endif
