/* watchdog.h - stops a rep that makes no progress. Internal to runners/.
 *
 * One thread per rep polls qtp_deploy_progress every period. If neither the finished count nor
 * the progress text (every sequence and queue depth) changes for timeout, it calls
 * qtp_deploy_halt and keeps the progress text of that moment as the reason. It also halts the
 * rep when *interrupt reaches 2 (a second SIGINT/SIGTERM), calls tick (progress display)
 * about every tick_ms, and the sampler every sample_ms.
 *
 * Concurrency: start/stop from the thread that runs the deployment; the watchdog thread only
 * reads progress, calls halt (safe from any thread) and tick.
 */
#ifndef QTP_WATCHDOG_H
#define QTP_WATCHDOG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qtp_deploy;
struct qtp_watchdog;

struct qtp_watchdog_config {
    struct qtp_deploy *deploy;
    uint64_t timeout_ms;     /* no progress for this long: halt */
    uint64_t period_ms;      /* poll period (100) */
    _Atomic int *interrupt;  /* >= 2: halt now (NULL: none); set by a signal handler */
    void (*tick)(void *ctx); /* NULL: none */
    void *tick_ctx;
    uint64_t tick_ms;
    /* The sampler: called every sample_ms on a fixed schedule from the start (a late call is
     * not made up for; the next is still on time), from the watchdog's thread, never the
     * deployment's. NULL or 0 ms: none. */
    void (*sample)(void *ctx);
    void *sample_ctx;
    uint64_t sample_ms;
};

/* 0 or an errno from pthread_create / ENOMEM. */
int qtp_watchdog_start(struct qtp_watchdog **out, const struct qtp_watchdog_config *cfg);
/* Stop and join. Returns true when the watchdog halted the deployment; then reason holds why
 * ("no progress for 30 s: producer=... " or "interrupted"). Frees w. */
bool qtp_watchdog_stop(struct qtp_watchdog *w, char *reason, size_t len);

#endif
