/* hiccup.c - the platform hiccup meter (hiccup.h). */
#include "hiccup.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "placement.h"
#include "qtp_clock.h"
#include "qtp_hist.h"
#include "qtp_text.h"

/* A sleeping pacer wakes at least this often to look at the stop flag. */
#define SLEEP_SLICE_NS 10000000ULL

enum wait_how { HOW_SPIN, HOW_STRATEGY, HOW_SLEEP };

struct pacer {
    struct qtp_hiccup *h;
    int pu;
    int bind_rc;
    uint64_t samples;
    struct qtp_hist *hist;
    pthread_t thread;
    bool started;
};

struct qtp_hiccup {
    const struct qtp_machine *m;
    uint64_t period_ns, per_thread;
    const struct qtp_wait_ops *wait;
    enum wait_how how;
    struct qtp_waiter waiter; /* HOW_STRATEGY: its alert is the stop */
    bool waiter_ready;
    _Atomic bool stop;
    bool ran;
    size_t npacers;
    struct pacer *pacers;
    struct qtp_hist *merged;
};

static bool stopped(struct qtp_hiccup *h)
{
    return atomic_load_explicit(&h->stop, memory_order_relaxed);
}

struct due {
    uint64_t due, now;
};

static bool due_reached(void *arg)
{
    struct due *d = arg;
    d->now = qtp_clock_ticks();
    return d->now >= d->due;
}

/* Wait until the clock reaches due; the clock read that saw it, or 0 when stopped. */
static uint64_t wait_due(struct qtp_hiccup *h, uint64_t due, uint64_t mono0, uint64_t ticks0)
{
    uint64_t now;
    switch (h->how) {
    case HOW_SPIN:
        while ((now = qtp_clock_ticks()) < due) {
            if (stopped(h))
                return 0;
            qtp_cpu_relax();
        }
        return stopped(h) ? 0 : now;
    case HOW_STRATEGY: {
        struct due d = {due, 0};
        if (h->wait->wait_until(&h->waiter, due_reached, &d) != QTP_WAIT_OK)
            return 0;
        return stopped(h) ? 0 : d.now;
    }
    case HOW_SLEEP:
        while ((now = qtp_clock_ticks()) < due) {
            if (stopped(h))
                return 0;
            uint64_t left = qtp_clock_ticks_to_ns(due - now);
            if (left > SLEEP_SLICE_NS)
                left = SLEEP_SLICE_NS;
            /* To the due time on CLOCK_MONOTONIC (the ticks' reference). */
            uint64_t at = mono0 + qtp_clock_ticks_to_ns(now - ticks0) + left;
            struct timespec ts = {(time_t)(at / 1000000000ULL), (long)(at % 1000000000ULL)};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        }
        return stopped(h) ? 0 : now;
    }
    return 0;
}

static void *pace(void *arg)
{
    struct pacer *p = arg;
    struct qtp_hiccup *h = p->h;
    if (p->pu >= 0 && (p->bind_rc = qtp_placement_bind_self(h->m, p->pu)) != 0)
        return NULL;
    uint64_t mono0 = qtp_clock_mono_ns(), ticks0 = qtp_clock_ticks();
    uint64_t t0 = ticks0 + qtp_clock_ns_to_ticks(h->period_ns);
    for (uint64_t k = 0; k < h->per_thread; k++) {
        uint64_t due = t0 + qtp_clock_ns_to_ticks(k * h->period_ns);
        uint64_t now = wait_due(h, due, mono0, ticks0);
        if (!now)
            break;
        uint64_t late = qtp_clock_ticks_to_ns(now - due);
        qtp_hist_record(p->hist, late ? late : 1);
        p->samples++;
    }
    return NULL;
}

int qtp_hiccup_create(struct qtp_hiccup **out, const struct qtp_hiccup_config *cfg, char *err,
                      size_t errlen)
{
    *out = NULL;
    uint64_t period = cfg->period_ns ? cfg->period_ns : QTP_HICCUP_DEFAULT_PERIOD_NS;
    if (cfg->npus == 0 || cfg->npus > QTP_MAX_THREADS) {
        qtp_set_err(err, errlen, "hiccup: %zu PUs (accepted: 1..%d)", cfg->npus, QTP_MAX_THREADS);
        return EINVAL;
    }
    if (cfg->duration_ns < period) {
        qtp_set_err(err, errlen, "hiccup: duration %llu ns is shorter than the period %llu ns",
                    (unsigned long long)cfg->duration_ns, (unsigned long long)period);
        return EINVAL;
    }
    for (size_t i = 0; i < cfg->npus; i++) {
        if (cfg->pus[i] < 0)
            continue;
        if (!cfg->m || qtp_machine_pu_index(cfg->m, cfg->pus[i]) < 0) {
            char cpus[128] = "none: no machine given";
            if (cfg->m)
                qtp_machine_cpus_text(cfg->m, cpus, sizeof cpus);
            qtp_set_err(err, errlen, "hiccup: PU %d does not exist (this machine has CPUs %s)",
                        cfg->pus[i], cpus);
            return EINVAL;
        }
    }
    qtp_clock_init(0);
    struct qtp_hiccup *h = calloc(1, sizeof *h);
    if (!h)
        return ENOMEM;
    h->m = cfg->m;
    h->period_ns = period;
    h->per_thread = cfg->duration_ns / period;
    h->wait = cfg->wait;
    h->how = !cfg->wait ? HOW_SPIN : qtp_wait_needs_signal(cfg->wait) ? HOW_SLEEP : HOW_STRATEGY;
    atomic_init(&h->stop, false);
    h->npacers = cfg->npus;
    h->pacers = calloc(cfg->npus, sizeof h->pacers[0]);
    int rc = h->pacers ? qtp_hist_create(&h->merged) : ENOMEM;
    for (size_t i = 0; !rc && i < cfg->npus; i++) {
        h->pacers[i].h = h;
        h->pacers[i].pu = cfg->pus[i];
        rc = qtp_hist_create(&h->pacers[i].hist);
    }
    if (!rc && h->how == HOW_STRATEGY) {
        rc = qtp_waiter_init(&h->waiter, cfg->wait);
        h->waiter_ready = rc == 0;
    }
    if (rc) {
        qtp_hiccup_destroy(h);
        return rc;
    }
    *out = h;
    return 0;
}

void qtp_hiccup_stop(struct qtp_hiccup *h)
{
    atomic_store_explicit(&h->stop, true, memory_order_relaxed);
    if (h->waiter_ready)
        qtp_waiter_alert(&h->waiter); /* wakes a strategy's waits */
}

static const char *how_name(const struct qtp_hiccup *h)
{
    switch (h->how) {
    case HOW_SPIN:
        return "spin";
    case HOW_SLEEP:
        return "sleep";
    case HOW_STRATEGY:
        break;
    }
    return strcmp(h->wait->name, "spin") == 0 ? "spin (wait strategy)" : h->wait->name;
}

int qtp_hiccup_run(struct qtp_hiccup *h, struct qtp_hiccup_result *res)
{
    memset(res, 0, sizeof *res);
    res->how = how_name(h);
    res->lateness = h->merged;
    if (h->ran)
        return EALREADY;
    h->ran = true;
    uint64_t t0 = qtp_clock_mono_ns();
    int rc = 0;
    for (size_t i = 0; i < h->npacers; i++) {
        struct pacer *p = &h->pacers[i];
        rc = pthread_create(&p->thread, NULL, pace, p);
        if (rc) {
            qtp_fmt(res->reason, sizeof res->reason, "hiccup thread %zu: pthread_create: %s", i,
                    strerror(rc));
            qtp_hiccup_stop(h);
            break;
        }
        p->started = true;
    }
    for (size_t i = 0; i < h->npacers; i++) {
        struct pacer *p = &h->pacers[i];
        if (!p->started)
            continue;
        pthread_join(p->thread, NULL);
        if (p->bind_rc && !rc) {
            rc = p->bind_rc;
            qtp_fmt(res->reason, sizeof res->reason, "hiccup thread %zu: binding to PU %d: %s", i,
                    p->pu, strerror(rc));
        }
        qtp_hist_merge(h->merged, p->hist);
        res->samples += p->samples;
    }
    res->elapsed_ns = qtp_clock_mono_ns() - t0;
    res->expected = h->per_thread * h->npacers;
    res->stopped = !rc && res->samples < res->expected; /* only a stop cuts a run short */
    return rc;
}

const struct qtp_hist *qtp_hiccup_thread_hist(const struct qtp_hiccup *h, size_t i)
{
    return i < h->npacers ? h->pacers[i].hist : NULL;
}

uint64_t qtp_hiccup_thread_samples(const struct qtp_hiccup *h, size_t i)
{
    return i < h->npacers ? h->pacers[i].samples : 0;
}

void qtp_hiccup_destroy(struct qtp_hiccup *h)
{
    if (!h)
        return;
    for (size_t i = 0; h->pacers && i < h->npacers; i++)
        qtp_hist_destroy(h->pacers[i].hist);
    if (h->waiter_ready)
        qtp_waiter_destroy(&h->waiter);
    qtp_hist_destroy(h->merged);
    free(h->pacers);
    free(h);
}
