/* run_aux.c - where the harness's own threads of a rep run (the CPU sampler, the watchdog): off
 * the cell's measured PUs when the process has PUs the cell leaves free, else cheap.
 *
 * Both are started by the thread that runs the rep, and a new thread inherits its creator's CPU
 * affinity and scheduling policy; so that thread takes the auxiliary threads' affinity and
 * policy just while it starts them, and returns to its own before the deployment's threads are
 * created. Off the measured PUs, nothing else changes. With no spare PU the auxiliary threads
 * run SCHED_BATCH, whose wake-ups never preempt a running thread of the default policy (the
 * scheduler runs them when a measured thread yields, blocks or ends its slice), and the samplers
 * wake less often: the CPU sampler always, the series sampler in a paced rep under
 * --sample-ms auto (qtp_cli.h says why only there). */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "cpu_sampler.h"
#include "qtp_text.h"
#include "run_int.h"

/* The sampler's period when it shares the measured PUs: a tenth of the wake-ups. Where threads
 * ran is still known: each thread's registration and the last sample see it too. */
#define AUX_SHARED_SAMPLER_PERIOD_US 100000

/* The plan's PUs the cell leaves free into *spare; false when there are none, or when they
 * cannot be known. */
static bool spare_pus(const struct qtp_cell *c, bool this_system, cpu_set_t *spare)
{
    /* A plan for another machine (a synthetic topology) says nothing of this one's PUs. */
    if (!this_system || sched_getaffinity(0, sizeof *spare, spare))
        return false;
    for (unsigned i = 0; i < c->nthreads && i < QTP_MAX_THREADS; i++) {
        if (c->pu[i] < 0)
            return false; /* an unbound thread may run on any of them */
        if (c->pu[i] < CPU_SETSIZE)
            CPU_CLR(c->pu[i], spare);
    }
    return CPU_COUNT(spare) > 0;
}

void qtp_aux_plan(const struct qtp_cell *c, bool this_system, struct qtp_aux *a)
{
    memset(a, 0, sizeof *a);
    a->spare = spare_pus(c, this_system, &a->mask);
    a->sampler_period_us = a->spare ? QTP_SAMPLER_DEFAULT_PERIOD_US : AUX_SHARED_SAMPLER_PERIOD_US;
    a->sample_ms = c->sample_ms;
    if (c->sample_ms == QTP_SAMPLE_MS_AUTO)
        a->sample_ms =
            !a->spare && c->params.rate > 0 ? QTP_SAMPLE_MS_SHARED : QTP_SAMPLE_MS_OFF_PUS;
}

void qtp_aux_enter(struct qtp_aux *a)
{
    a->restore_mask = a->restore_policy = false;
    memset(a->started, 0, sizeof a->started);
    if (a->spare) {
        a->restore_mask =
            pthread_getaffinity_np(pthread_self(), sizeof a->saved_mask, &a->saved_mask) == 0 &&
            pthread_setaffinity_np(pthread_self(), sizeof a->mask, &a->mask) == 0;
        if (a->restore_mask)
            return;
    }
    struct sched_param batch = {.sched_priority = 0};
    a->restore_policy =
        pthread_getschedparam(pthread_self(), &a->saved_policy, &a->saved_param) == 0 &&
        pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch) == 0;
}

void qtp_aux_leave(struct qtp_aux *a)
{
    if (a->restore_mask)
        pthread_setaffinity_np(pthread_self(), sizeof a->saved_mask, &a->saved_mask);
    if (a->restore_policy)
        pthread_setschedparam(pthread_self(), a->saved_policy, &a->saved_param);
}

/* The names a row gives them (results.jsonl's "aux_shared"). */
static const char *const aux_names[QTP_NAUX] = {
    [QTP_AUX_SAMPLER] = "sampler",
    [QTP_AUX_WATCHDOG] = "watchdog",
};

void qtp_aux_record(const struct qtp_aux *a, struct qtp_rep_record *r)
{
    r->naux_shared = 0;
    if (a->restore_mask)
        return; /* they ran on the spare PUs */
    for (size_t i = 0; i < QTP_NAUX && r->naux_shared < QTP_MAX_AUX; i++)
        if (a->started[i])
            qtp_fmt(r->aux_shared[r->naux_shared++], sizeof r->aux_shared[0], "%s", aux_names[i]);
}
