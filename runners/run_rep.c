/* run_rep.c - one timed rep of a cell: a fresh deployment over its planned placement and memory,
 * run under the watchdog and the CPU sampler, checked against the model, and recorded: the
 * window's throughput, latency, allocation and CPU time, where each thread ran, where the
 * buffers' pages are. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "cpu_sampler.h"
#include "numa_mem.h"
#include "placement.h"
#include "qtp_alloc.h"
#include "qtp_deploy.h"
#include "qtp_text.h"
#include "run_int.h"
#include "usage.h"
#include "watchdog.h"

struct rep_ctx {
    const struct qtp_machine *mach;
    const int *pu; /* the cell's plan: wanted PU per thread */
    struct qtp_cpu_sampler *sampler;
    struct qtp_thread_record *threads; /* rec->threads */
    unsigned nthreads;
    _Atomic int bind_errors;
    /* Window snapshots: written by the producer (start) and a terminal (end) before they exit,
     * read after qtp_deploy_run has joined them. */
    struct qtp_usage u0, u1;
    struct qtp_alloc_counts a0, a1;
    bool started, ended;
    /* A thread may start (and bind: hwloc allocates) after the window opened, when the warm-up
     * fits in the ring. The lock orders each thread's start against the opening snapshot, so
     * what the runner itself allocated inside the window is known exactly and taken out. */
    pthread_mutex_t lock;
    struct qtp_alloc_counts overhead; /* under lock */
};

static void on_thread_start(void *arg, unsigned index, const char *role)
{
    struct rep_ctx *rc = arg;
    if (index >= rc->nthreads)
        return;
    qtp_fmt(rc->threads[index].role, sizeof rc->threads[index].role, "%s", role ? role : "");
    int pu = rc->pu[index];
    rc->threads[index].cpu_wanted = pu;
    struct qtp_alloc_counts before, after, d;
    pthread_mutex_lock(&rc->lock);
    qtp_alloc_count_self(&before);
    if (pu >= 0 && qtp_placement_bind_self(rc->mach, pu))
        atomic_fetch_add(&rc->bind_errors, 1);
    if (rc->sampler)
        qtp_cpu_sampler_register_self(rc->sampler, index);
    qtp_alloc_count_self(&after);
    if (rc->started) {
        qtp_alloc_counts_diff(&before, &after, &d);
        rc->overhead.calls += d.calls;
        rc->overhead.bytes += d.bytes;
        rc->overhead.frees += d.frees;
    }
    pthread_mutex_unlock(&rc->lock);
}

static void on_window(void *arg, bool start)
{
    struct rep_ctx *rc = arg;
    /* usage reads /proc (may allocate): outside the allocation window on both ends. */
    if (start) {
        qtp_usage_snapshot(&rc->u0);
        pthread_mutex_lock(&rc->lock);
        qtp_alloc_count_snapshot(&rc->a0);
        rc->started = true;
        pthread_mutex_unlock(&rc->lock);
    } else {
        qtp_alloc_count_snapshot(&rc->a1);
        qtp_usage_snapshot(&rc->u1);
        rc->ended = true;
    }
}

/* Test hooks: "A:B" or "A:B:TOPOLOGY" (only cells of that topology) from the environment. */
/* Test hooks: "A:B" or "A:B:TOPOLOGY" (only cells of that topology) from the environment. */
static bool env_hook(const char *name, const char *topology, long long *a, long long *b)
{
    const char *s = getenv(name);
    char only[64] = "";
    if (!s || sscanf(s, "%lld:%lld:%63s", a, b, only) < 2)
        return false;
    return !only[0] || strcmp(only, topology) == 0;
}

void qtp_run_row(const struct qtp_cell *c, struct qtp_rep_record *r, int rep)
{
    memset(r, 0, sizeof *r);
    qtp_fmt(r->cell, sizeof r->cell, "%s", c->id);
    qtp_fmt(r->topology, sizeof r->topology, "%s", c->topo->name);
    qtp_fmt(r->queue, sizeof r->queue, "%s", c->queue->name);
    qtp_fmt(r->wait, sizeof r->wait, "%s", c->wait_name);
    qtp_fmt(r->placement, sizeof r->placement, "%s", c->placement);
    qtp_fmt(r->memory, sizeof r->memory, "%s", c->memory);
    r->params = c->params;
    r->rep = rep;
    r->oversubscribed = c->oversubscribed;
    r->throughput_eps = NAN; /* a failed or skipped rep has no numbers (written as null) */
    r->elapsed_s = NAN;
    r->latency_ns.mean = NAN;
    r->alloc.per_event = NAN;
    r->alloc.bytes_per_event = NAN;
}

void qtp_run_fail(struct qtp_rep_record *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    r->status = QTP_STATUS_FAILED;
    r->verified = false;
    r->throughput_eps = NAN;
    r->elapsed_s = NAN;
}

/* The deployment of cell c for this rep, with the test hooks from the environment. */
static struct qtp_deploy_config deploy_config(const struct qtp_cell_run *cr, struct rep_ctx *rc)
{
    const struct qtp_cell *c = cr->cell;
    struct qtp_deploy_config cfg = {
        .topo = &cr->topo,
        .queue = c->queue->name,
        .wait = c->wait,
        .ring_size = c->params.ring_size,
        .batch = c->params.batch,
        .warmup = c->params.warmup,
        .events = c->params.events,
        .rate = c->params.rate,
        .seed = c->seed,
        .record_latency = !c->no_latency,
        .on_thread_start = on_thread_start,
        .on_window = on_window,
        .ctx = rc,
    };
    long long a, b;
    if (env_hook("QTOPO_TEST_STALL", c->topo->name, &a, &b)) {
        cfg.stall_stage = (int)a;
        cfg.stall_after = (uint64_t)b;
    }
    if (env_hook("QTOPO_TEST_FAULT", c->topo->name, &a, &b)) {
        cfg.fault_stage = (int)a;
        cfg.fault_seq = (int64_t)b;
    }
    if (env_hook("QTOPO_TEST_MISWIRE", c->topo->name, &a, &b) && a > QTP_MISWIRE_NONE &&
        a <= QTP_MISWIRE_SHARD_RESIDUES)
        cfg.test_miswire = (enum qtp_miswire)a;
    return cfg;
}

/* Where each thread ran, and where the buffers' pages are (asked after the run, once they have
 * been written). */
static void record_placement(const struct rep_ctx *rc, struct qtp_deploy *d,
                             struct qtp_rep_record *r)
{
    for (size_t i = 0; rc->sampler && i < r->nthreads; i++) {
        struct qtp_thread_record *t = &r->threads[i];
        size_t n = qtp_cpu_sampler_result(rc->sampler, (unsigned)i, t->cpus_seen, QTP_MAX_CPUS_SEEN,
                                          &t->node);
        t->ncpus_seen = n < QTP_MAX_CPUS_SEEN ? n : QTP_MAX_CPUS_SEEN;
    }
    void *addr[64];
    size_t bytes[64];
    size_t nb = qtp_deploy_buffers(d, addr, bytes, 64);
    for (size_t i = 0; i < nb; i++) {
        int nodes[QTP_MAX_NODES];
        size_t k = qtp_numa_pages_nodes(addr[i], bytes[i], nodes, QTP_MAX_NODES);
        for (size_t j = 0; j < k && j < QTP_MAX_NODES; j++) {
            bool have = false;
            for (size_t x = 0; x < r->nbuffer_nodes; x++)
                have |= r->buffer_nodes[x] == nodes[j];
            if (!have && r->nbuffer_nodes < QTP_MAX_NODES)
                r->buffer_nodes[r->nbuffer_nodes++] = nodes[j];
        }
    }
}

/* A verified rep's numbers: the window, latency (merged into the cell's histogram), allocation
 * (less what the runner itself allocated inside the window), CPU time. */
static void record_ok(struct qtp_cell_run *cr, const struct rep_ctx *rc,
                      const struct qtp_deploy_result *res, struct qtp_rep_record *r)
{
    r->status = QTP_STATUS_OK;
    r->verified = true;
    r->elapsed_s = (double)res->window_ns / 1e9;
    r->throughput_eps = (double)res->events / r->elapsed_s;
    if (res->latency && qtp_hist_count(res->latency)) {
        const struct qtp_hist *h = res->latency;
        r->latency_ns.count = qtp_hist_count(h);
        r->latency_ns.mean = qtp_hist_mean(h);
        r->latency_ns.p50 = qtp_hist_percentile(h, 50.0);
        r->latency_ns.p90 = qtp_hist_percentile(h, 90.0);
        r->latency_ns.p99 = qtp_hist_percentile(h, 99.0);
        r->latency_ns.p999 = qtp_hist_percentile(h, 99.9);
        r->latency_ns.p9999 = qtp_hist_percentile(h, 99.99);
        r->latency_ns.max = qtp_hist_max(h);
        r->latency_ns.clamped = qtp_hist_clamped(h);
        qtp_hist_merge(cr->hist, h);
    }
    struct qtp_alloc_counts ad;
    qtp_alloc_counts_diff(&rc->a0, &rc->a1, &ad);
    if (ad.available) {
        ad.calls -= rc->overhead.calls < ad.calls ? rc->overhead.calls : ad.calls;
        ad.bytes -= rc->overhead.bytes < ad.bytes ? rc->overhead.bytes : ad.bytes;
        ad.frees -= rc->overhead.frees < ad.frees ? rc->overhead.frees : ad.frees;
        r->alloc.calls = ad.calls;
        r->alloc.bytes = ad.bytes;
        r->alloc.frees = ad.frees;
        r->alloc.per_event = (double)ad.calls / (double)res->events;
        r->alloc.bytes_per_event = (double)ad.bytes / (double)res->events;
    }
    struct qtp_usage cpu;
    qtp_usage_cpu_diff(&rc->u0, &rc->u1, &cpu);
    r->cpu = (struct qtp_cpu_stats){cpu.user_s, cpu.sys_s, cpu.voluntary_cs, cpu.involuntary_cs};
    int be = atomic_load(&rc->bind_errors);
    if (be)
        qtp_fmt(r->reason, sizeof r->reason, "%d thread(s) could not be bound", be);
}

/* The watchdog's tick: the progress display, and (in a cell's child process) the deployment's
 * progress kept for the reason of a crash. Test hook QTOPO_TEST_CRASH=SIGNAL:REP[:TOPOLOGY]: the
 * rep dies of that signal at its first tick, mid-run (what the isolation must survive). */
struct rep_tick {
    struct qtp_cell_run *cr;
    struct qtp_deploy *d;
    int crash;
};

static void rep_tick(void *arg)
{
    struct rep_tick *t = arg;
    const struct qtp_run *run = t->cr->run;
    qtp_meter_tick(run->meter);
    if (run->last_progress) {
        struct qtp_progress p;
        qtp_deploy_progress(t->d, &p);
        qtp_fmt(run->last_progress, run->last_progress_len, "%s", p.text);
    }
    if (t->crash)
        raise(t->crash);
}

/* Run the built deployment d under the watchdog and record how it went. */
static void run_deployment(struct qtp_cell_run *cr, struct rep_ctx *rc, struct qtp_deploy *d,
                           struct qtp_rep_record *r)
{
    const struct qtp_cell *c = cr->cell;
    struct rep_tick tick = {cr, d, 0};
    long long a, b;
    if (env_hook("QTOPO_TEST_CRASH", c->topo->name, &a, &b) && b == r->rep && a > 0 && a < 32)
        tick.crash = (int)a;
    if (cr->run->last_progress)
        qtp_fmt(cr->run->last_progress, cr->run->last_progress_len, "rep %d started", r->rep);
    bool was_reset = qtp_usage_peak_reset() == 0;
    struct qtp_watchdog *wd = NULL;
    struct qtp_watchdog_config wc = {.deploy = d,
                                     .timeout_ms = (uint64_t)c->timeout_s * 1000,
                                     .period_ms = 100,
                                     .interrupt = cr->run->interrupted,
                                     .tick = rep_tick,
                                     .tick_ctx = &tick,
                                     .tick_ms = 500};
    if (rc->sampler)
        qtp_cpu_sampler_start(rc->sampler);
    int wrc = qtp_watchdog_start(&wd, &wc);
    struct qtp_deploy_result res;
    memset(&res, 0, sizeof res);
    int run_rc = qtp_deploy_run(d, &res);
    char why[1200] = "";
    bool fired = wrc == 0 && qtp_watchdog_stop(wd, why, sizeof why);
    if (rc->sampler)
        qtp_cpu_sampler_stop(rc->sampler);

    struct qtp_usage after;
    qtp_usage_snapshot(&after);
    r->rss_peak_kb = qtp_usage_peak_kb(&after, was_reset, &cr->rss_source);
    record_placement(rc, d, r);

    /* A halt that came after the threads finished (the model check, which runs inside
     * qtp_deploy_run, can take a while for huge counts) stopped nothing: the result stands. */
    if (fired && run_rc == ECANCELED)
        qtp_run_fail(r, "%s", why);
    else if (run_rc == ECANCELED)
        qtp_run_fail(r, "halted: %s", res.reason[0] ? res.reason : "cancelled");
    else if (run_rc)
        qtp_run_fail(r, "run failed: %s%s%s", strerror(run_rc), res.reason[0] ? ": " : "",
                     res.reason);
    else if (!res.verified)
        qtp_run_fail(r, "model check failed: %s", res.reason[0] ? res.reason : "(no reason given)");
    else if (!rc->started || !rc->ended || res.window_ns == 0 || res.events == 0)
        qtp_run_fail(r, "no measured window (events %" PRIu64 ", window %" PRIu64 " ns)",
                     res.events, res.window_ns);
    else
        record_ok(cr, rc, &res, r);
}

void qtp_run_rep(struct qtp_cell_run *cr, int rep, struct qtp_rep_record *r)
{
    const struct qtp_cell *c = cr->cell;
    const struct qtp_machine *mach = cr->run->mach;
    qtp_run_row(c, r, rep);
    r->nthreads = c->nthreads < QTP_MAX_THREADS ? c->nthreads : QTP_MAX_THREADS;

    struct rep_ctx rc = {.lock = PTHREAD_MUTEX_INITIALIZER,
                         .mach = mach,
                         .pu = c->pu,
                         .threads = r->threads,
                         .nthreads = (unsigned)r->nthreads};
    for (size_t i = 0; i < r->nthreads; i++) {
        r->threads[i].cpu_wanted = c->pu[i];
        r->threads[i].node = -1;
    }
    if (mach->this_system && qtp_cpu_sampler_create(&rc.sampler, mach, (unsigned)r->nthreads,
                                                    QTP_SAMPLER_DEFAULT_PERIOD_US))
        rc.sampler = NULL;

    struct qtp_numa_hook hook;
    char msg[QTP_REASON_MAX];
    if (qtp_numa_hook_init(&hook, &c->mem, msg, sizeof msg)) {
        qtp_run_fail(r, "memory %s: %s", c->memory, msg);
    } else {
        qtp_alloc_set_hook(&hook.hook);
        struct qtp_deploy_config cfg = deploy_config(cr, &rc);
        /* "local" memory means the producer's node: build while standing on the producer's PU,
         * so pages the deployment touches while it builds land there (numa_mem.h). */
        if (c->pu[0] >= 0)
            qtp_placement_bind_self(mach, c->pu[0]);
        struct qtp_deploy *d = NULL;
        char err[512] = "";
        int rc_create = qtp_deploy_create(&d, &cfg, err, sizeof err);
        if (c->pu[0] >= 0)
            qtp_placement_unbind_self(mach);
        if (rc_create) {
            qtp_run_fail(r, "cannot build the deployment: %s", err[0] ? err : strerror(rc_create));
        } else if (!qtp_deploy_check_wiring(d, err, sizeof err)) {
            /* Outputs cannot show it: the topology measured would not be the one named. */
            qtp_run_fail(r, "wiring differs from the topology: %s", err);
            qtp_deploy_destroy(d);
        } else {
            run_deployment(cr, &rc, d, r);
            qtp_deploy_destroy(d);
        }
        qtp_alloc_set_hook(NULL);
    }
    if (rc.sampler)
        qtp_cpu_sampler_destroy(rc.sampler);
    pthread_mutex_destroy(&rc.lock);
}
