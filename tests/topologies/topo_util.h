/* topo_util.h - shared helpers of the topology tests: run one deployment under a watchdog. */
#ifndef TOPO_UTIL_H
#define TOPO_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "qtp_deploy.h"
#include "qtp_topo.h"

#if defined(QTOPO_TSAN) || defined(QTOPO_ASAN)
#define TOPO_SANITIZED 1
#else
#define TOPO_SANITIZED 0
#endif

struct topo_run {
    /* in */
    const char *queue; /* a queue kind's name: "ring", "mutex-array", "ck-ring", ... */
    const char *wait;  /* kinds with a wait axis: a wait strategy's name */
    uint32_t ring_size, batch, consumer_batch;
    uint32_t batch_max;                /* random claims batch..batch_max (0: fixed) */
    const struct qtp_opt_out *opt_out; /* NULL: nobody opts out */
    uint64_t warmup, events, seed;
    bool record_latency;
    double rate;
    int stall_stage;
    uint64_t stall_after;
    int fault_stage;
    int64_t fault_seq;
    unsigned fault_payload;
    bool ungated;
    bool window_first; /* test_window_first */
    enum qtp_miswire miswire;
    const struct qtp_deploy_model *model;
    /* Hooks, called as qtp_deploy_config's test_on_role (on each thread after the start gate,
     * before its role) / on_window(start) / on_window(end). */
    void (*on_start)(struct topo_run *r, unsigned index, const char *role);
    void (*on_window_start)(struct topo_run *r);
    void (*on_window_end)(struct topo_run *r);
    void *user;
    double timeout_s;    /* watchdog: halt after this long (0: 60 s) */
    double halt_after_s; /* > 0: halt (forced) after this long, as a test of halting */
    bool halt_before_run;
    /* out */
    int rc;
    bool verified, watchdog_fired;
    bool wired;       /* qtp_deploy_check_wiring passed (before the run) */
    char wiring[512]; /* else the first difference */
    char reason[512];
    char progress[1024];
    uint64_t events_done, window_ns, latency_count;
    double elapsed_s, halt_to_return_s;
    unsigned threads_started;
    bool window_start_seen, window_end_seen;
    struct qtp_deploy *d;         /* while it runs (for the hooks) */
    struct qtp_deploy_result res; /* as run() left it (res.latency: NULL, see latency_count) */
};

/* Run t as r says; returns r->rc. Never hangs: the watchdog halts the run. */
int topo_run(const struct qtp_topology *t, struct topo_run *r);
/* A queue configuration by index 0..9: ring spin, ring yield, ring block, mutex-array,
 * mutex-linked, ring sleep, ring phased, ck-ring spin, ck-ring yield, ck-ring block. */
void topo_config(unsigned i, struct topo_run *r);
const char *topo_config_name(unsigned i);
/* Whether configuration i is a ring (by the queue-kind registry's family). */
bool topo_config_is_ring(unsigned i);
/* Whether configuration i busy-spins with more threads than this machine's CPUs: such runs crawl
 * (a time slice per hand-off) and on a loaded machine pass any time limit, so tests skip them. */
bool topo_config_spins_over(unsigned i, unsigned nthreads);
#define TOPO_NCONFIGS 10 /* configurations added later come last: indices stay put */

/* Seed from QTOPO_SEED or --seed N, else from the clock; printed. */
uint64_t topo_seed(int argc, char **argv);
uint64_t topo_rand(uint64_t *s);
double topo_now(void);

#endif
