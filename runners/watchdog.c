/* watchdog.c - a polling thread that halts a deployment that stopped moving. */
#include "watchdog.h"

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtp_clock.h"
#include "qtp_text.h"
#include "qtp_deploy.h"

struct qtp_watchdog {
    struct qtp_watchdog_config cfg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* signalled by stop */
    bool stopping;       /* under lock */
    bool fired;          /* written by the thread, read after join */
    char reason[1200];   /* prefix + the progress text */
    struct qtp_progress last, now;
};

static void deadline_at(struct timespec *ts, uint64_t mono_ns)
{
    ts->tv_sec = (time_t)(mono_ns / 1000000000ull);
    ts->tv_nsec = (long)(mono_ns % 1000000000ull);
}

static bool same_progress(const struct qtp_progress *a, const struct qtp_progress *b)
{
    return a->done == b->done && strcmp(a->text, b->text) == 0;
}

static void *watch(void *arg)
{
    struct qtp_watchdog *w = arg;
    uint64_t still_since = qtp_clock_mono_ns(), last_tick = still_since;
    const uint64_t poll_ns = w->cfg.period_ms * 1000000ull;
    const uint64_t sample_ns = w->cfg.sample ? w->cfg.sample_ms * 1000000ull : 0;
    uint64_t next_poll = still_since + poll_ns, next_sample = still_since + sample_ns;
    qtp_deploy_progress(w->cfg.deploy, &w->last);

    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        struct timespec ts;
        deadline_at(&ts, sample_ns && next_sample < next_poll ? next_sample : next_poll);
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
        if (w->stopping)
            break;
        pthread_mutex_unlock(&w->lock);

        uint64_t now = qtp_clock_mono_ns();
        /* No samples after a halt: they would show the teardown (queues drained, threads
         * joined), not the stall the series is there to show. */
        if (sample_ns && !w->fired && now >= next_sample) {
            w->cfg.sample(w->cfg.sample_ctx);
            while (next_sample <= now)
                next_sample += sample_ns;
        }
        if (now < next_poll) {
            pthread_mutex_lock(&w->lock);
            continue;
        }
        next_poll = now + poll_ns;
        if (w->cfg.tick && now - last_tick >= w->cfg.tick_ms * 1000000ull) {
            w->cfg.tick(w->cfg.tick_ctx);
            last_tick = now;
        }
        if (!w->fired && w->cfg.interrupt && atomic_load(w->cfg.interrupt) >= 2) {
            w->fired = true;
            qtp_fmt(w->reason, sizeof w->reason, "interrupted (second signal): halted");
            qtp_deploy_halt(w->cfg.deploy);
        }
        if (!w->fired) {
            qtp_deploy_progress(w->cfg.deploy, &w->now);
            if (!same_progress(&w->now, &w->last)) {
                w->last = w->now;
                still_since = now;
            } else if (now - still_since >= w->cfg.timeout_ms * 1000000ull) {
                w->fired = true;
                qtp_fmt(w->reason, sizeof w->reason, "watchdog: no progress for %.1f s: %s",
                        (double)(now - still_since) / 1e9, w->now.text);
                qtp_deploy_halt(w->cfg.deploy);
            }
        }
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int qtp_watchdog_start(struct qtp_watchdog **out, const struct qtp_watchdog_config *cfg)
{
    struct qtp_watchdog *w = calloc(1, sizeof *w);
    if (!w)
        return ENOMEM;
    w->cfg = *cfg;
    if (!w->cfg.period_ms)
        w->cfg.period_ms = 100;
    if (!w->cfg.tick_ms)
        w->cfg.tick_ms = 500;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->lock, NULL);
    int rc = pthread_create(&w->thread, NULL, watch, w);
    if (rc) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

bool qtp_watchdog_stop(struct qtp_watchdog *w, char *reason, size_t len)
{
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    bool fired = w->fired;
    if (fired && reason)
        qtp_fmt(reason, len, "%s", w->reason);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return fired;
}
