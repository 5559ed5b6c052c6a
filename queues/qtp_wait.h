/* qtp_wait.h - wait strategies: one ops table, one row per strategy.
 *
 * A ring owns one qtp_waiter. Every thread that waits on the ring (a consumer on its barrier, a
 * producer on its gating sequences) goes through wait_until(); every thread that moves a sequence
 * someone may wait on (producer publish, consumer batch end) calls signal(), which must cost
 * (close to) nothing when no thread sleeps: block and phased keep a sleeper count and only take
 * the lock when it is non-zero; sleep's signal() is a no-op (its nappers look again after each
 * nap). A rare change every waiter must see at once (a halt, a gating sequence removed) goes
 * through wake_all(), which also cuts sleep's naps short.
 *
 * Some strategies have tunable constants (struct qtp_wait_params), named by the row's parameter
 * table and given in text as NAME[:KEY=VALUE[,KEY=VALUE...]], e.g. "sleep:spins=100,nap=1us" or
 * "phased:spin=10us,yield=50us"; a key left out keeps its default (qtp_wait_parse).
 *
 * Concurrency contract:
 *   init/set_params/destroy   single thread, before any wait / after every user has stopped
 *   wait_until   any number of threads at once
 *   signal       any number of threads at once, concurrently with wait_until
 *   wake_all     any thread, any time, concurrently with wait_until and signal
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

/* A strategy's tunable constants. Only the fields its row's parameter table names are used;
 * durations are in ns. */
struct qtp_wait_params {
    uint64_t spins;    /* yield, sleep: tries (no pause, as LMAX's) before it yields */
    uint64_t yields;   /* sleep: then tries with sched_yield before it naps */
    uint64_t nap_ns;   /* sleep: then a nap of this long between tries */
    uint64_t spin_ns;  /* phased: spin this long */
    uint64_t yield_ns; /* phased: then sched_yield this long, then block */
};

enum qtp_wait_param_kind {
    QTP_WAIT_PARAM_COUNT,    /* a whole number */
    QTP_WAIT_PARAM_DURATION, /* a whole number with a unit: ns, us, ms or s */
};

/* One tunable constant of a row: KEY=VALUE in text, a uint64_t field of qtp_wait_params. */
struct qtp_wait_param {
    const char *key;
    enum qtp_wait_param_kind kind;
    size_t offset; /* of the field in struct qtp_wait_params */
    uint64_t dflt, min, max;
};

/* State shared by a ring's waiters. Fields a strategy does not use are ignored. */
struct qtp_waiter {
    const struct qtp_wait_ops *ops;
    struct qtp_wait_params params; /* read-only while waits run */
    alignas(QTP_CACHE_BLOCK) _Atomic bool alerted;
    _Atomic uint32_t kicks; /* sleep: bumped by wake_all; nappers sleep while it is unchanged */
    alignas(QTP_CACHE_BLOCK) _Atomic int sleepers; /* block, phased: threads inside the cond
                                                      wait; sleep: threads in the nap phase */
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
    const struct qtp_wait_param *params; /* its tunable constants, {NULL}-terminated; or NULL */
    int (*init)(struct qtp_waiter *w);
    void (*destroy)(struct qtp_waiter *w);
    /* Wait until cond(arg) is true (QTP_WAIT_OK) or the waiter is alerted (QTP_WAIT_ALERTED). */
    enum qtp_wait_status (*wait_until)(struct qtp_waiter *w, qtp_wait_cond_fn cond, void *arg);
    /* Some sequence moved: wake sleepers, if any (may be a no-op: see qtp_wait_needs_signal). */
    void (*signal)(struct qtp_waiter *w);
    /* Something every waiter must see now changed: wake every sleeper and napper. */
    void (*wake_all)(struct qtp_waiter *w);
};

/* A strategy with its constants: what a NAME[:KEY=VALUE,...] text names. */
struct qtp_wait_spec {
    const struct qtp_wait_ops *ops;
    struct qtp_wait_params params;
};

/* The registry: spin, yield, block, sleep, phased, then a {NULL} row. */
extern const struct qtp_wait_ops qtp_wait_strategies[];
/* Row by name (no parameters), or NULL. */
const struct qtp_wait_ops *qtp_wait_find(const char *name);
/* False when signal() is a no-op for ops (its waiters poll or nap): hot paths skip the call. */
bool qtp_wait_needs_signal(const struct qtp_wait_ops *ops);
/* The defaults of ops' parameters (fields it has none for are 0). */
void qtp_wait_defaults(const struct qtp_wait_ops *ops, struct qtp_wait_params *out);
/* Parse NAME[:KEY=VALUE[,KEY=VALUE...]] into *out (keys left out keep their defaults).
 * 0, or EINVAL with one line in err (no newline) naming the bad part and what is accepted. */
int qtp_wait_parse(const char *text, struct qtp_wait_spec *out, char *err, size_t errlen);
/* The canonical text of spec: the name, then only the parameters that differ from their
 * defaults, durations in the largest exact unit ("phased:spin=1ms"); qtp_wait_parse reads it
 * back to the same spec. Returns what snprintf returns. */
int qtp_wait_format(const struct qtp_wait_spec *spec, char *buf, size_t len);

/* With ops' default parameters. 0, EINVAL or the error of pthread_*_init. */
int qtp_waiter_init(struct qtp_waiter *w, const struct qtp_wait_ops *ops);
/* Replace the parameters (before any wait). 0, or EINVAL when a value the row's table names is
 * out of its range. */
int qtp_waiter_set_params(struct qtp_waiter *w, const struct qtp_wait_params *p);
void qtp_waiter_destroy(struct qtp_waiter *w);
/* Some sequence moved: wake sleepers if any (block, phased), nothing otherwise. Call it after
 * moving a sequence another thread may wait on (qtp_ring_publish and qtp_processor_run do). */
static inline void qtp_waiter_signal(struct qtp_waiter *w)
{
    w->ops->signal(w);
}
/* Every waiter re-checks its condition now: call it after a rare change a sleeper must not
 * sleep through (a graceful halt, a gating sequence removed). */
static inline void qtp_waiter_wake_all(struct qtp_waiter *w)
{
    w->ops->wake_all(w);
}
/* Set the alert and wake every sleeper and napper. */
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
