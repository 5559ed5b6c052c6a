/* qtp_wait.c - the wait strategies (spin, yield, block, sleep, phased), the waiter they share,
 * and the NAME[:KEY=VALUE,...] text form of a strategy with its constants. */
#include "qtp_wait.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "qtp_table.h"

/* yield: tries this many times before each sched_yield round starts (LMAX's
 * YieldingWaitStrategy: SPIN_TRIES 100). A try is a look at the condition, with no pause: LMAX
 * 3.4.4's yield and sleep try back to back (only BusySpinWaitStrategy calls onSpinWait), and a
 * pause is 10-140 cycles (27 ns on the EPYC this was measured on), so 100 pausing tries are a
 * few microseconds of a PU that, where threads outnumber PUs, the thread being waited for may
 * need: the diamond (4 threads on 2 PUs) ran about 16% slower with them. yield:spins=0 gives the
 * PU away at once (there: the diamond 1.4x faster again with a 1024-slot ring, 1.9x with 8192),
 * for a stage that catches up then leaves its PU to the stage behind it instead of following the
 * producer event by event. */
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
    const uint64_t limit = w->params.spins;
    uint64_t spins = 0;
    while (!cond(arg)) {
        if (qtp_waiter_alerted(w))
            return QTP_WAIT_ALERTED;
        if (spins < limit)
            spins++;
        else
            sched_yield();
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

/* ---- sleep (LMAX SleepingWaitStrategy) ----
 *
 * LMAX counts one counter down from retries (200): above SPIN_THRESHOLD (100) it spins, down to
 * 0 it yields, then it parks for sleepTimeNs (100 ns) between checks, forever; publishers never
 * signal. Here the two phases are counted separately (spins = retries - 100, yields = 100), a
 * spin try is a look at the condition with no pause (as LMAX's and yield's), and the nap is a
 * timed futex wait: the same kernel timer as nanosleep (so Linux's timer slack, 50 us for
 * ordinary threads, stretches a 100 ns nap to 50 us or more, as it stretches LMAX's parkNanos),
 * but wake_all can cut it short, so a halt never waits out a nap.
 *
 * Why no wake-up is lost. A napper N and a thread T that changed something N's cond() reads (a
 * halt, the gating set) before calling wake_all:
 *   N: sleepers++ (N1, seq_cst RMW, once per nap phase); each nap: k = kicks (N2, seq_cst load);
 *      cond(); alerted?; futex_wait(&kicks, k, nap)
 *   T: the change; kicks++ (K1, seq_cst RMW); if sleepers (K2, seq_cst load) > 0: futex_wake
 * If N2 reads K1 (or later), K1 (a release) synchronises with N2 (an acquire): T's change happens
 * before N's cond(), which sees it, and N does not nap. Otherwise N2 precedes K1 in the seq_cst
 * order, so N1 < N2 < K1 < K2 and K2 sees N's increment (sleepers >= 1 until N leaves): T calls
 * futex_wake after K1. The kernel compares kicks with k and queues N as one step ordered against
 * wakes: either it sees K1's value and returns at once, or N is queued before T's wake finds it.
 * All four are RMWs or seq_cst loads, no fences, so the argument holds under ThreadSanitizer too.
 * Moving a sequence does not kick (signal() is a no-op, as LMAX's): nappers see it after their
 * nap, which is the strategy's point. */

#define SLEEP_SPINS 100  /* LMAX: DEFAULT_RETRIES 200 - SPIN_THRESHOLD 100 */
#define SLEEP_YIELDS 100 /* LMAX: SPIN_THRESHOLD */
#define SLEEP_NAP_NS 100 /* LMAX: DEFAULT_SLEEP (ns) */

/* Sleep up to ns unless *word != seen (then return at once) or a wake comes. */
static void nap(_Atomic uint32_t *word, uint32_t seen, uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
#if defined(__linux__)
    /* EINTR, EAGAIN (word changed), ETIMEDOUT: all mean "look again". */
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
#else
    /* Without futexes a wake cannot cut the nap short: a halt waits it out. */
    (void)word;
    (void)seen;
    nanosleep(&ts, NULL);
#endif
}

static void wake_nappers(_Atomic uint32_t *word)
{
#if defined(__linux__)
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
    (void)word;
#endif
}

static enum qtp_wait_status sleep_wait(struct qtp_waiter *w, qtp_wait_cond_fn cond, void *arg)
{
    uint64_t spins = w->params.spins, yields = w->params.yields;
    for (;;) {
        if (cond(arg))
            return QTP_WAIT_OK;
        if (qtp_waiter_alerted(w))
            return QTP_WAIT_ALERTED;
        if (spins) {
            spins--; /* no pause: as yield's tries */
        } else if (yields) {
            yields--;
            sched_yield();
        } else {
            break;
        }
    }
    enum qtp_wait_status st = QTP_WAIT_OK;
    atomic_fetch_add_explicit(&w->sleepers, 1, memory_order_seq_cst); /* N1 */
    for (;;) {
        uint32_t k = atomic_load_explicit(&w->kicks, memory_order_seq_cst); /* N2 */
        if (cond(arg))
            break;
        if (qtp_waiter_alerted(w)) {
            st = QTP_WAIT_ALERTED;
            break;
        }
        nap(&w->kicks, k, w->params.nap_ns);
    }
    atomic_fetch_sub_explicit(&w->sleepers, 1, memory_order_seq_cst);
    return st;
}

static void sleep_wake_all(struct qtp_waiter *w)
{
    atomic_fetch_add_explicit(&w->kicks, 1, memory_order_seq_cst);    /* K1 */
    if (atomic_load_explicit(&w->sleepers, memory_order_seq_cst) > 0) /* K2 */
        wake_nappers(&w->kicks);
}

/* ---- phased (LMAX PhasedBackoffWaitStrategy.withLock) ----
 *
 * LMAX spins, reading the clock once every SPIN_TRIES (10000) tries from the first such read;
 * past spinTimeout it also yields once per clock read, past spinTimeout + yieldTimeout it hands
 * the wait to its fallback, here block. Two changes: a spin try has a pause in it (as spin's),
 * which makes 10000 tries last 0.1-1 ms here, so the clock is read every PHASED_TRIES tries,
 * keeping spin and yield times of a few us honest; and past spinTimeout every try yields, as
 * the yield phase's name says. LMAX has no default timeouts (the caller must give both). Its
 * own tests use 1 ms and 1 ms, but with those, four threads on two PUs ran a multicast stress
 * here 160 times slower than yield (a waiter spins out a millisecond while the thread it waits
 * for cannot run): that is spin's collapse. The defaults are 10 us of spin, which outlasts the
 * gaps of a busy stream, so a saturated stream never blocks, then 50 us of yield, about what a
 * timed sleep costs anyway (Linux's timer slack); with them the same stress ran no slower than
 * block, so phased is not "spins" (with spin=1ms it behaves as if it were).
 *
 * Signals are block's (block_signal): the sleeper count makes one cost a fence and a load when
 * nobody sleeps. The lost-wake-up argument is block's unchanged: while a waiter spins or yields
 * it polls cond() and needs no wake; block_wait then re-checks cond() after its own sleepers++
 * and fence, before it sleeps, so a signaller whose fence comes first is seen there, and one
 * whose fence comes later sees the sleeper and takes the lock. A signal that found sleepers == 0
 * while the waiter was still spinning is the first case. */

#define PHASED_TRIES 100       /* tries between clock reads (LMAX: SPIN_TRIES 10000) */
#define PHASED_SPIN_NS 10000u  /* see above; LMAX's tests: 1 ms */
#define PHASED_YIELD_NS 50000u /* see above; LMAX's tests: 1 ms */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static enum qtp_wait_status phased_wait(struct qtp_waiter *w, qtp_wait_cond_fn cond, void *arg)
{
    const uint64_t spin_ns = w->params.spin_ns, total_ns = spin_ns + w->params.yield_ns;
    uint64_t start = 0;
    bool started = false, yielding = false;
    for (unsigned tries = 1;; tries++) {
        if (cond(arg))
            return QTP_WAIT_OK;
        if (qtp_waiter_alerted(w))
            return QTP_WAIT_ALERTED;
        /* Spinning: the clock every PHASED_TRIES tries; yielding: every try (a sched_yield
         * costs more than a clock read). */
        if (yielding || tries % PHASED_TRIES == 0) {
            uint64_t now = now_ns();
            if (!started) { /* as LMAX: the clock starts at its first read */
                start = now;
                started = true;
            } else if (now - start >= total_ns) {
                return block_wait(w, cond, arg);
            } else if (now - start >= spin_ns) {
                yielding = true;
            }
        }
        if (yielding)
            sched_yield();
        else
            qtp_cpu_relax();
    }
}

/* ---- the registry ---- */

#define PARAM(k, kind, field, dflt, min, max)                                                      \
    {                                                                                              \
        k, kind, offsetof(struct qtp_wait_params, field), dflt, min, max                           \
    }

static const struct qtp_wait_param yield_params[] = {
    PARAM("spins", QTP_WAIT_PARAM_COUNT, spins, YIELD_SPINS, 0, 1000000000u),
    {NULL, 0, 0, 0, 0, 0},
};

static const struct qtp_wait_param sleep_params[] = {
    PARAM("spins", QTP_WAIT_PARAM_COUNT, spins, SLEEP_SPINS, 0, 1000000000u),
    PARAM("yields", QTP_WAIT_PARAM_COUNT, yields, SLEEP_YIELDS, 0, 1000000000u),
    PARAM("nap", QTP_WAIT_PARAM_DURATION, nap_ns, SLEEP_NAP_NS, 1, 10000000000u),
    {NULL, 0, 0, 0, 0, 0},
};

static const struct qtp_wait_param phased_params[] = {
    PARAM("spin", QTP_WAIT_PARAM_DURATION, spin_ns, PHASED_SPIN_NS, 0, 10000000000u),
    PARAM("yield", QTP_WAIT_PARAM_DURATION, yield_ns, PHASED_YIELD_NS, 0, 10000000000u),
    {NULL, 0, 0, 0, 0, 0},
};

const struct qtp_wait_ops qtp_wait_strategies[] = {
    {.name = "spin",
     .summary = "busy-spin with a pause instruction",
     .spins = true,
     .init = nop_init,
     .destroy = nop_destroy,
     .wait_until = spin_wait,
     .signal = nop_signal,
     .wake_all = nop_signal},
    /* yield burns its PU while waiting but gives it away to any runnable thread, so it does not
     * collapse when threads outnumber PUs: not "spins" for the oversubscription rule. */
    {.name = "yield",
     .summary = "spin with pause, then sched_yield between checks (LMAX YieldingWaitStrategy; "
                "spins=100)",
     .params = yield_params,
     .init = nop_init,
     .destroy = nop_destroy,
     .wait_until = yield_wait,
     .signal = nop_signal,
     .wake_all = nop_signal},
    {.name = "block",
     .summary = "mutex + condition variable; publishers signal only when someone sleeps",
     .init = block_init,
     .destroy = block_destroy,
     .wait_until = block_wait,
     .signal = block_signal,
     .wake_all = block_signal},
    /* Spins and yields a bounded number of times, then naps: gives its PU away. */
    {.name = "sleep",
     .summary = "spin, then sched_yield, then nap between checks; publishers never signal "
                "(LMAX SleepingWaitStrategy; spins=100,yields=100,nap=100ns)",
     .params = sleep_params,
     .init = nop_init,
     .destroy = nop_destroy,
     .wait_until = sleep_wait,
     .signal = nop_signal,
     .wake_all = sleep_wake_all},
    /* Spins for a bounded time, then yields, then blocks: gives its PU away. */
    {.name = "phased",
     .summary = "spin for a time, then sched_yield for a time, then block "
                "(LMAX PhasedBackoffWaitStrategy; spin=10us,yield=50us)",
     .params = phased_params,
     .init = block_init,
     .destroy = block_destroy,
     .wait_until = phased_wait,
     .signal = block_signal,
     .wake_all = block_signal},
    {.name = NULL},
};

_Static_assert(offsetof(struct qtp_wait_ops, name) == 0,
               "qtp_table_find: the name is the first member");

const struct qtp_wait_ops *qtp_wait_find(const char *name)
{
    return QTP_FIND_NAME(qtp_wait_strategies, name);
}

bool qtp_wait_needs_signal(const struct qtp_wait_ops *ops)
{
    return ops && ops->signal != nop_signal;
}

static uint64_t *param_field(struct qtp_wait_params *p, const struct qtp_wait_param *d)
{
    return (uint64_t *)((char *)p + d->offset);
}

void qtp_wait_defaults(const struct qtp_wait_ops *ops, struct qtp_wait_params *out)
{
    memset(out, 0, sizeof *out);
    for (const struct qtp_wait_param *d = ops ? ops->params : NULL; d && d->key; d++)
        *param_field(out, d) = d->dflt;
}

/* ---- text form: NAME[:KEY=VALUE[,KEY=VALUE...]] ---- */

static const struct {
    const char *suffix;
    uint64_t ns;
} units[] = {{"s", 1000000000u}, {"ms", 1000000u}, {"us", 1000u}, {"ns", 1u}};
#define NUNITS (sizeof units / sizeof units[0])

/* v in the largest unit that divides it exactly ("10us", "0ns"). */
static int fmt_duration(char *buf, size_t len, uint64_t v)
{
    size_t u = 0;
    while (u + 1 < NUNITS && (v == 0 || v % units[u].ns != 0))
        u++;
    return snprintf(buf, len, "%" PRIu64 "%s", v / units[u].ns, units[u].suffix);
}

static int fmt_value(char *buf, size_t len, const struct qtp_wait_param *d, uint64_t v)
{
    if (d->kind == QTP_WAIT_PARAM_DURATION)
        return fmt_duration(buf, len, v);
    return snprintf(buf, len, "%" PRIu64, v);
}

/* The digits at s[0..n) as a number: false on no digit, a non-digit or overflow; *end is where
 * the digits stop. */
static bool parse_digits(const char *s, size_t n, uint64_t *v, size_t *end)
{
    uint64_t x = 0;
    size_t i = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned dig = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - dig) / 10)
            return false;
        x = x * 10 + dig;
    }
    *v = x;
    *end = i;
    return i > 0;
}

/* The value text s[0..n) of d: false when it is not of d's kind or out of d's range. */
static bool parse_value(const struct qtp_wait_param *d, const char *s, size_t n, uint64_t *out)
{
    uint64_t v;
    size_t end;
    if (!parse_digits(s, n, &v, &end))
        return false;
    if (d->kind == QTP_WAIT_PARAM_DURATION) {
        size_t u = 0;
        while (u < NUNITS && !(strlen(units[u].suffix) == n - end &&
                               memcmp(s + end, units[u].suffix, n - end) == 0))
            u++;
        if (u == NUNITS || v > UINT64_MAX / units[u].ns)
            return false;
        v *= units[u].ns;
    } else if (end != n) {
        return false;
    }
    if (v < d->min || v > d->max)
        return false;
    *out = v;
    return true;
}

/* "a whole number 0..1000000000" or "a duration 1ns..1s (a whole number with ns, us, ms or s)" */
static void describe(char *buf, size_t len, const struct qtp_wait_param *d)
{
    char lo[32], hi[32];
    fmt_value(lo, sizeof lo, d, d->min);
    fmt_value(hi, sizeof hi, d, d->max);
    if (d->kind == QTP_WAIT_PARAM_DURATION)
        snprintf(buf, len, "a duration %s..%s, a whole number with ns, us, ms or s", lo, hi);
    else
        snprintf(buf, len, "a whole number %s..%s", lo, hi);
}

/* "spins=N, yields=N, nap=DURATION" */
static void list_keys(char *buf, size_t len, const struct qtp_wait_param *params)
{
    size_t at = 0;
    buf[0] = '\0';
    for (const struct qtp_wait_param *d = params; d->key && at < len; d++) {
        int n = snprintf(buf + at, len - at, "%s%s=%s", d == params ? "" : ", ", d->key,
                         d->kind == QTP_WAIT_PARAM_DURATION ? "DURATION" : "N");
        if (n < 0)
            break;
        at += (size_t)n;
    }
}

static void list_names(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (const struct qtp_wait_ops *o = qtp_wait_strategies; o->name && at < len; o++) {
        int n = snprintf(buf + at, len - at, "%s%s", o == qtp_wait_strategies ? "" : ", ", o->name);
        if (n < 0)
            break;
        at += (size_t)n;
    }
}

#define BAD(...)                                                                                   \
    do {                                                                                           \
        if (err && errlen) {                                                                       \
            int n_ = snprintf(err, errlen, "wait strategy '%s': ", text);                          \
            if (n_ >= 0 && (size_t)n_ < errlen)                                                    \
                snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);                              \
        }                                                                                          \
        return EINVAL;                                                                             \
    } while (0)

int qtp_wait_parse(const char *text, struct qtp_wait_spec *out, char *err, size_t errlen)
{
    char acc[256];
    if (!text)
        text = "";
    const char *colon = strchr(text, ':');
    size_t nlen = colon ? (size_t)(colon - text) : strlen(text);
    const struct qtp_wait_ops *ops = qtp_wait_strategies;
    while (ops->name && !(strlen(ops->name) == nlen && memcmp(ops->name, text, nlen) == 0))
        ops++;
    if (!ops->name) {
        list_names(acc, sizeof acc);
        BAD("unknown name '%.*s' (accepted: %s)", (int)nlen, text, acc);
    }
    struct qtp_wait_spec spec = {ops, {0}};
    qtp_wait_defaults(ops, &spec.params);
    if (colon) {
        if (!ops->params)
            BAD("%s takes no parameters (accepted: %s)", ops->name, ops->name);
        list_keys(acc, sizeof acc, ops->params);
        uint64_t given = 0; /* bit i: params[i] seen */
        for (const char *item = colon + 1;;) {
            const char *comma = strchr(item, ',');
            size_t ilen = comma ? (size_t)(comma - item) : strlen(item);
            if (ilen == 0)
                BAD("empty parameter (accepted: %s)", acc);
            const char *eq = memchr(item, '=', ilen);
            size_t klen = eq ? (size_t)(eq - item) : ilen;
            size_t i = 0;
            const struct qtp_wait_param *d = ops->params;
            while (d->key && !(strlen(d->key) == klen && memcmp(d->key, item, klen) == 0))
                d++, i++;
            if (!d->key)
                BAD("unknown parameter '%.*s' (accepted: %s)", (int)klen, item, acc);
            char what[128];
            describe(what, sizeof what, d);
            if (!eq)
                BAD("no value for '%s' (accepted: %s=VALUE with VALUE %s)", d->key, d->key, what);
            if (given & (UINT64_C(1) << i))
                BAD("'%s' given twice (accepted: each of %s at most once)", d->key, acc);
            given |= UINT64_C(1) << i;
            const char *val = eq + 1;
            size_t vlen = ilen - klen - 1;
            if (!parse_value(d, val, vlen, param_field(&spec.params, d)))
                BAD("bad value '%.*s' for '%s' (accepted: %s)", (int)vlen, val, d->key, what);
            if (!comma)
                break;
            item = comma + 1;
        }
    }
    *out = spec;
    return 0;
}

int qtp_wait_format(const struct qtp_wait_spec *spec, char *buf, size_t len)
{
    int total = snprintf(buf, len, "%s", spec->ops->name);
    char sep = ':';
    for (const struct qtp_wait_param *d = spec->ops->params; d && d->key && total >= 0; d++) {
        uint64_t v = *param_field((struct qtp_wait_params *)&spec->params, d);
        if (v == d->dflt)
            continue;
        char val[32];
        fmt_value(val, sizeof val, d, v);
        size_t at = (size_t)total < len ? (size_t)total : len;
        int n = snprintf(buf + at, len - at, "%c%s=%s", sep, d->key, val);
        if (n < 0)
            return n;
        total += n;
        sep = ',';
    }
    return total;
}

/* ---- the waiter ---- */

int qtp_waiter_init(struct qtp_waiter *w, const struct qtp_wait_ops *ops)
{
    if (!w || !ops)
        return EINVAL;
    w->ops = ops;
    qtp_wait_defaults(ops, &w->params);
    atomic_init(&w->alerted, false);
    atomic_init(&w->kicks, 0);
    atomic_init(&w->sleepers, 0);
    return ops->init(w);
}

int qtp_waiter_set_params(struct qtp_waiter *w, const struct qtp_wait_params *p)
{
    if (!w || !p)
        return EINVAL;
    for (const struct qtp_wait_param *d = w->ops->params; d && d->key; d++) {
        uint64_t v = *param_field((struct qtp_wait_params *)p, d);
        if (v < d->min || v > d->max)
            return EINVAL;
    }
    w->params = *p;
    return 0;
}

void qtp_waiter_destroy(struct qtp_waiter *w)
{
    if (w && w->ops)
        w->ops->destroy(w);
}

void qtp_waiter_alert(struct qtp_waiter *w)
{
    atomic_store_explicit(&w->alerted, true, memory_order_seq_cst);
    /* Wakes block sleepers through the fence protocol above and sleep's nappers through the
     * kick protocol; spin/yield (and phased before it blocks) poll the flag. */
    w->ops->wake_all(w);
}
