/* model.c - the sequential model, the check, calibrated busy work. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "qtp_topo.h"
#include "qtp_topo_internal.h"
#include "qtp_clock.h"

uint64_t qtp_input_value(uint64_t seed, unsigned producer, int64_t seq)
{
    return qtp_input_inline(seed, producer, seq);
}

static int model(const struct qtp_topology *t, uint64_t seed, uint64_t n, bool work,
                 const _Atomic int *stop, struct qtp_expect *e)
{
    memset(e, 0, sizeof(*e));
    const struct qtp_graph *g = t->graph;
    if (!g)
        return EINVAL;
    e->nterminals = g->nterms;
    e->producers = t->producers;
    uint64_t out[QTP_TOPO_MAX_FIELDS];
    for (unsigned p = 0; p < t->producers; p++) {
        for (uint64_t s = 0; s < n; s++) {
            /* Stoppable: a signal must not wait for a long model to finish. */
            if (stop && (s & 0xffff) == 0 && atomic_load_explicit(stop, memory_order_relaxed))
                return ECANCELED;
            uint64_t in = qtp_input_inline(seed, p, (int64_t)s);
            /* Ascending field order is topological: every field read is already computed. */
            for (unsigned f = 0; f < g->nfields; f++) {
                out[f] = qtp_stage_value(g, f, in, out);
                if (work) {
                    /* Each instance owning s does the stage's work; with shards exactly one. */
                    if (g->stage[f].work_ns)
                        qtp_work_busy(g->stage[f].work_ns);
                    if (g->stage[f].sleep_ns)
                        qtp_topo_sleep(g->stage[f].sleep_ns, NULL);
                }
            }
            for (unsigned k = 0; k < g->nterms; k++) {
                const struct qtp_ginst *in_ = &g->inst[g->terms[k]];
                if (!qtp_part_has(in_->mod, in_->res, s))
                    continue;
                struct qtp_expect_term *et = &e->term[k];
                et->hash[p] +=
                    qtp_fold_term(et->count[p]++, qtp_fold_event((int64_t)s, p, in, in_->vis, out));
            }
        }
    }
    return 0;
}

int qtp_model_run(const struct qtp_topology *t, uint64_t seed, uint64_t n, struct qtp_expect *e)
{
    return model(t, seed, n, false, NULL, e);
}

int qtp_model_run_stoppable(const struct qtp_topology *t, uint64_t seed, uint64_t n,
                            const _Atomic int *stop, struct qtp_expect *e)
{
    return model(t, seed, n, false, stop, e);
}

int qtp_model_run_work(const struct qtp_topology *t, uint64_t seed, uint64_t n,
                       struct qtp_expect *e)
{
    return model(t, seed, n, true, NULL, e);
}

bool qtp_expect_check(const struct qtp_topology *t, const struct qtp_expect *want,
                      const struct qtp_expect *got, char *reason, size_t len)
{
    const struct qtp_graph *g = t->graph;
    if (len)
        reason[0] = 0;
    if (got->errors) {
        snprintf(reason, len, "%s (%" PRIu64 " such errors)", got->error, got->errors);
        return false;
    }
    if (want->nterminals != got->nterminals || want->producers != got->producers) {
        snprintf(reason, len, "terminals/producers %u/%u, expected %u/%u", got->nterminals,
                 got->producers, want->nterminals, want->producers);
        return false;
    }
    /* The inline check pinpoints the first bad event; report the earliest over terminals. */
    int first = -1;
    uint64_t bad = 0;
    for (unsigned k = 0; k < got->nterminals; k++) {
        const struct qtp_expect_term *x = &got->term[k];
        if (!x->bad)
            continue;
        bad += x->bad;
        if (first < 0 || x->bad_seq < got->term[first].bad_seq)
            first = (int)k;
    }
    if (first >= 0) {
        const struct qtp_expect_term *x = &got->term[first];
        snprintf(reason, len,
                 "terminal %s: seq %" PRId64 " producer %u %s: expected 0x%" PRIx64
                 ", got 0x%" PRIx64 " (%" PRIu64 " bad events)",
                 g->inst[g->terms[first]].role, x->bad_seq, x->bad_producer, x->bad_what,
                 x->bad_want, x->bad_got, bad);
        return false;
    }
    for (unsigned k = 0; k < got->nterminals; k++)
        for (unsigned p = 0; p < got->producers; p++)
            if (want->term[k].count[p] != got->term[k].count[p]) {
                snprintf(
                    reason, len, "terminal %s producer %u: count %" PRIu64 ", expected %" PRIu64,
                    g->inst[g->terms[k]].role, p, got->term[k].count[p], want->term[k].count[p]);
                return false;
            }
    for (unsigned k = 0; k < got->nterminals; k++)
        for (unsigned p = 0; p < got->producers; p++)
            if (want->term[k].hash[p] != got->term[k].hash[p]) {
                snprintf(reason, len,
                         "terminal %s producer %u: hash 0x%" PRIx64 " differs from the "
                         "model's 0x%" PRIx64 " (order or fields)",
                         g->inst[g->terms[k]].role, p, got->term[k].hash[p], want->term[k].hash[p]);
                return false;
            }
    return true;
}

void qtp_topo_sleep(uint64_t ns, const _Atomic bool *stop)
{
    const uint64_t slice = 10000000ULL; /* a halt waits at most one slice */
    while (ns > 0) {
        if (stop && atomic_load_explicit(stop, memory_order_acquire))
            return;
        uint64_t d = ns < slice ? ns : slice;
        struct timespec ts = {(time_t)(d / 1000000000ULL), (long)(d % 1000000000ULL)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        ns -= d;
    }
}
