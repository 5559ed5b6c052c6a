/* qtp_wait.c - the three wait strategies (spin, yield, block) and the waiter they share. */
#include "qtp_wait.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

/* yield: spins this many times (with pause) before each sched_yield round starts. */
#define YIELD_SPINS 100

static int nop_init(struct qtp_waiter *w)
{
    (void)w;
    return 0;
}

static void nop_destroy(struct qtp_waiter *w)
{
    (void)w;
}

/* spin/yield waiters poll, so there is nobody to wake. */
static void nop_signal(struct qtp_waiter *w)
{
    (void)w;
}

static enum qtp_wait_status spin_wait(struct qtp_waiter *w, qtp_wait_cond_fn cond, void *arg)
{
    while (!cond(arg)) {
        if (qtp_waiter_alerted(w))
            return QTP_WAIT_ALERTED;
        qtp_cpu_relax();
    }
    return QTP_WAIT_OK;
}

static enum qtp_wait_status yield_wait(struct qtp_waiter *w, qtp_wait_cond_fn cond, void *arg)
{
    unsigned spins = 0;
    while (!cond(arg)) {
        if (qtp_waiter_alerted(w))
            return QTP_WAIT_ALERTED;
        if (spins < YIELD_SPINS) {
            spins++;
            qtp_cpu_relax();
        } else {
            sched_yield();
        }
    }
    return QTP_WAIT_OK;
}

/* ---- block ----
 *
 * The lost wake-up race and why it cannot happen here. A sleeper S and a signaller T:
 *   S: lock; sleepers++ (seq_cst RMW); FENCE; cond() reads sequences; cond_wait (unlocks) ...
 *   T: moves a sequence (release store); FENCE; reads sleepers; if > 0: lock; broadcast; unlock
 * The two seq_cst fences are ordered one way or the other (C11 7.17.4: fence/fence rule):
 *   - S's fence first: T's load of sleepers sees S's increment (or a later value), so T takes
 *     the lock. S held the lock from before the increment until cond_wait released it
 *     atomically, so T's broadcast finds S in the wait (or S saw the condition and left).
 *   - T's fence first: S's cond() sees T's sequence store and S does not sleep.
 * Flags checked inside cond() (the ring's halt state) are ordinary atomics moved before a
 * signal too, so they follow the same argument; alert is checked under the lock as well.
 * ThreadSanitizer does not model fences (GCC warns with -Wtsan), so in TSan builds T reads
 * sleepers with a seq_cst RMW instead: if T's RMW comes first in sleepers' modification order,
 * S's increment reads from it and synchronises with T, so S's cond() sees T's store; otherwise T
 * reads >= 1. Same guarantee, provable without fences; slower (T writes the line), hence only
 * there. */

#ifdef QTOPO_TSAN
#define SLEEPER_FENCE() ((void)0)
#else
#define SLEEPER_FENCE() atomic_thread_fence(memory_order_seq_cst)
#endif

static int block_init(struct qtp_waiter *w)
{
    int rc = pthread_mutex_init(&w->lock, NULL);
    if (rc)
        return rc;
    rc = pthread_cond_init(&w->cond, NULL);
    if (rc) {
        pthread_mutex_destroy(&w->lock);
        return rc;
    }
    return 0;
}

static void block_destroy(struct qtp_waiter *w)
{
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
}

static enum qtp_wait_status block_wait(struct qtp_waiter *w, qtp_wait_cond_fn cond, void *arg)
{
    if (cond(arg))
        return QTP_WAIT_OK;
    enum qtp_wait_status st = QTP_WAIT_OK;
    pthread_mutex_lock(&w->lock);
    atomic_fetch_add_explicit(&w->sleepers, 1, memory_order_seq_cst);
    SLEEPER_FENCE(); /* S's fence: see the comment above */
    for (;;) {
        if (cond(arg))
            break;
        if (qtp_waiter_alerted(w)) {
            st = QTP_WAIT_ALERTED;
            break;
        }
        pthread_cond_wait(&w->cond, &w->lock);
    }
    atomic_fetch_sub_explicit(&w->sleepers, 1, memory_order_relaxed);
    pthread_mutex_unlock(&w->lock);
    return st;
}

static void block_signal(struct qtp_waiter *w)
{
#ifdef QTOPO_TSAN
    int n = atomic_fetch_add_explicit(&w->sleepers, 0, memory_order_seq_cst);
#else
    SLEEPER_FENCE(); /* T's fence: orders the caller's sequence store before the load below */
    int n = atomic_load_explicit(&w->sleepers, memory_order_relaxed);
#endif
    if (n > 0) {
        pthread_mutex_lock(&w->lock);
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
    }
}

const struct qtp_wait_ops qtp_wait_strategies[] = {
    {"spin", "busy-spin with a pause instruction", true, nop_init, nop_destroy, spin_wait,
     nop_signal},
    /* yield burns its PU while waiting but gives it away to any runnable thread, so it does not
     * collapse when threads outnumber PUs: not "spins" for the oversubscription rule. */
    {"yield", "spin 100 times with pause, then sched_yield between checks", false, nop_init,
     nop_destroy, yield_wait, nop_signal},
    {"block", "mutex + condition variable; publishers signal only when someone sleeps", false,
     block_init, block_destroy, block_wait, block_signal},
    {NULL, NULL, false, NULL, NULL, NULL, NULL},
};

const struct qtp_wait_ops *qtp_wait_find(const char *name)
{
    if (!name)
        return NULL;
    for (const struct qtp_wait_ops *o = qtp_wait_strategies; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

bool qtp_wait_needs_signal(const struct qtp_wait_ops *ops)
{
    return ops && ops->signal != nop_signal;
}

int qtp_waiter_init(struct qtp_waiter *w, const struct qtp_wait_ops *ops)
{
    if (!w || !ops)
        return EINVAL;
    w->ops = ops;
    atomic_init(&w->alerted, false);
    atomic_init(&w->sleepers, 0);
    return ops->init(w);
}

void qtp_waiter_destroy(struct qtp_waiter *w)
{
    if (w && w->ops)
        w->ops->destroy(w);
}

void qtp_waiter_alert(struct qtp_waiter *w)
{
    atomic_store_explicit(&w->alerted, true, memory_order_seq_cst);
    /* Wakes block sleepers through the fence protocol above; spin/yield poll the flag. */
    w->ops->signal(w);
}
