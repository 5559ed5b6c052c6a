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
#include <time.h>
#include <sys/stat.h>

#include "alloc_count.h"
#include "cpu_sampler.h"
#include "numa_mem.h"
#include "placement.h"
#include "qtp_alloc.h"
#include "qtp_clock.h"
#include "qtp_deploy.h"
#include "qtp_text.h"
#include "run_int.h"
#include "run_obs.h"
#include "run_series.h"
#include "usage.h"
#include "watchdog.h"

struct rep_ctx {
    const struct qtp_machine *mach;
    const int *pu; /* the cell's plan: wanted PU per thread */
    struct qtp_cpu_sampler *sampler;
    struct qtp_aux aux;                /* where the sampler and the watchdog run */
    struct qtp_counters *counters;     /* NULL: --counters none */
    struct qtp_series *series;         /* the sampler's (and the latency intervals'); NULL: none */
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
    /* Before the window opens (the deployment's start gate): what this allocates is not the
     * window's. */
    if (pu >= 0 && qtp_placement_bind_self(rc->mach, pu))
        atomic_fetch_add(&rc->bind_errors, 1);
    if (rc->sampler)
        qtp_cpu_sampler_register_self(rc->sampler, index);
    if (rc->counters)
        qtp_counters_open_self(rc->counters, index);
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
        /* Every thread's counters are open: the start gate holds the roles until then. */
        if (rc->counters)
            qtp_counters_enable(rc->counters);
        if (rc->series)
            qtp_series_open(rc->series, qtp_clock_mono_ns());
    } else {
        if (rc->counters)
            qtp_counters_disable(rc->counters);
        qtp_alloc_count_snapshot(&rc->a1);
        qtp_usage_snapshot(&rc->u1);
        pthread_mutex_lock(&rc->lock); /* the sampler reads it (its allocations' accounting) */
        rc->ended = true;
        pthread_mutex_unlock(&rc->lock);
    }
}

/* The watchdog's sample: what the sampler allocates inside the window is the runner's, not the
 * deployment's (taken out of the row's allocation counts). */
static void sample(void *arg)
{
    struct rep_ctx *rc = arg;
    struct qtp_alloc_counts before, after, d;
    qtp_alloc_count_self(&before);
    qtp_series_sample(rc->series);
    qtp_alloc_count_self(&after);
    qtp_alloc_counts_diff(&before, &after, &d);
    pthread_mutex_lock(&rc->lock);
    if (rc->started && !rc->ended) {
        rc->overhead.calls += d.calls;
        rc->overhead.bytes += d.bytes;
        rc->overhead.frees += d.frees;
    }
    pthread_mutex_unlock(&rc->lock);
}

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
    qtp_fmt(r->topology, sizeof r->topology, "%s", c->topology);
    qtp_fmt(r->topology_expr, sizeof r->topology_expr, "%s", c->topology_expr);
    qtp_fmt(r->queue, sizeof r->queue, "%s", c->queue->name);
    qtp_fmt(r->wait, sizeof r->wait, "%s", c->wait_name);
    qtp_fmt(r->placement, sizeof r->placement, "%s", c->placement);
    qtp_fmt(r->memory, sizeof r->memory, "%s", c->memory);
    r->params = c->params;
    qtp_fmt(r->opt_out, sizeof r->opt_out, "%s", c->opt_out_text);
    r->rep = rep;
    r->oversubscribed = c->oversubscribed;
    r->throughput_eps = NAN; /* a failed or skipped rep has no numbers (written as null) */
    r->elapsed_s = NAN;
    r->latency_ns.mean = NAN;
    r->latency_ns.stamp_mean = r->latency_ns.stamp_max = NAN;
    r->alloc.per_event = NAN;
    r->alloc.bytes_per_event = NAN;
    r->cpu.ns_per_event = NAN;
    r->shutdown_ns = (struct qtp_shutdown){NAN, NAN};
    r->load = (struct qtp_load_stats){NAN, NAN, NAN, NAN, "not measured (no rep ran)"};
    qtp_obs_counters_none(&r->counters);
    r->series.bottleneck_depth = NAN;
    r->series.median_interval_eps = NAN;
    r->series.worst_interval_eps = NAN;
    r->series.worst_ratio = NAN;
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
        .wait_params = c->wait ? &c->wait_params : NULL,
        .ring_size = c->params.ring_size,
        .batch = c->params.batch,
        .batch_max = c->params.batch_max,
        .warmup = c->params.warmup,
        .events = c->params.events,
        .rate = c->params.rate,
        .seed = c->seed,
        .opt_out = &c->opt_out,
        .record_latency = !c->no_latency,
        .model = cr->model,
        .on_thread_start = on_thread_start,
        .on_window = on_window,
        .ctx = rc,
    };
    long long a, b;
    if (env_hook("QTOPO_TEST_STALL", c->topology, &a, &b)) {
        cfg.stall_stage = (int)a;
        cfg.stall_after = (uint64_t)b;
    }
    if (env_hook("QTOPO_TEST_FAULT", c->topology, &a, &b)) {
        cfg.fault_stage = (int)a;
        cfg.fault_seq = (int64_t)b;
    }
    if (env_hook("QTOPO_TEST_MISWIRE", c->topology, &a, &b) && a > QTP_MISWIRE_NONE &&
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
        if (res->stamp.groups) {
            r->latency_ns.stamp_mean = (double)res->stamp.mean_ns;
            r->latency_ns.stamp_max = (double)res->stamp.max_ns;
        }
        qtp_hist_merge(cr->hist, h);
    }
    r->nstages = res->nstages < QTP_MAX_THREADS ? res->nstages : QTP_MAX_THREADS;
    for (size_t i = 0; i < r->nstages; i++) {
        const struct qtp_stage_batching *sb = &res->stage[i];
        struct qtp_stage_batching_record *sr = &r->stages[i];
        qtp_fmt(sr->role, sizeof sr->role, "%s", sb->role);
        sr->batches = sb->batches;
        sr->events = sb->events;
        sr->mean_batch = sb->batches ? (double)sb->events / (double)sb->batches : NAN;
        sr->batch_percent = sb->events ? 100.0 * (double)sb->batches / (double)sb->events : NAN;
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
    r->cpu = (struct qtp_cpu_stats){cpu.user_s, cpu.sys_s, cpu.voluntary_cs, cpu.involuntary_cs,
                                    (cpu.user_s + cpu.sys_s) * 1e9 / (double)res->events};
    if (res->drain_ns)
        r->shutdown_ns.graceful = (double)res->drain_ns;
    qtp_obs_counters_fill(rc->counters, cr->cell->counters, res->events, &r->counters);
    int be = atomic_load(&rc->bind_errors);
    if (be)
        qtp_fmt(r->reason, sizeof r->reason, "%d thread(s) could not be bound", be);
}

/* ---- the forced stop, measured on a second deployment of the cell ----
 * A rep ends gracefully (it must be checked whole), so its forced stop is measured apart: the
 * same configuration is built again and run, and halted the moment its stream flows: when its
 * producer opens the window (the warm-up is published and every thread is in its loop). The time
 * from that qtp_deploy_halt to run()'s return - every thread woken and joined - is the rep's
 * forced stop. Halting from the window's own callback, not from a poll, makes what the probe moves
 * the warm-up and what is in flight, not as much as a sleep lets through (which no count of a
 * run could then subtract: bench-harness --instructions). The probe's threads are not bound and
 * nothing of it is checked or recorded but that. */
struct probe {
    struct qtp_deploy *d;
    struct qtp_deploy_result res;
    _Atomic uint64_t t_halt;   /* when the window opened and the probe was halted; 0: not yet */
    _Atomic uint64_t t_return; /* when run() returned; 0: not yet */
};

static void probe_window(void *arg, bool start)
{
    struct probe *p = arg;
    if (start && !atomic_load(&p->t_halt)) {
        atomic_store(&p->t_halt, qtp_clock_mono_ns());
        qtp_deploy_halt(p->d);
    }
}

static void *probe_main(void *arg)
{
    struct probe *p = arg;
    (void)qtp_deploy_run(p->d, &p->res);
    atomic_store(&p->t_return, qtp_clock_mono_ns());
    return NULL;
}

static double forced_stop_ns(const struct qtp_deploy_config *base)
{
    struct probe p = {0};
    struct qtp_deploy_config cfg = *base;
    cfg.on_thread_start = NULL;
    cfg.on_window = probe_window;
    cfg.ctx = &p;
    /* Flowing soon (a short warm-up), and long before it would run out. */
    cfg.warmup = cfg.warmup < 1024 ? cfg.warmup : 1024;
    cfg.events = cfg.events < 1000000 ? 1000000 : cfg.events;
    cfg.model = NULL;
    char err[256];
    pthread_t tid;
    if (qtp_deploy_create(&p.d, &cfg, err, sizeof err))
        return NAN;
    if (pthread_create(&tid, NULL, probe_main, &p)) {
        qtp_deploy_destroy(p.d);
        return NAN;
    }
    /* Up to 5 s for the window to open (the warm-up passes); halted here if it has not. */
    for (int i = 0; i < 5000 && !atomic_load(&p.t_halt) && !atomic_load(&p.t_return); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    uint64_t t0 = atomic_load(&p.t_halt);
    if (!t0)
        qtp_deploy_halt(p.d);
    pthread_join(tid, NULL);
    qtp_deploy_destroy(p.d);
    /* No window: it failed or ran out first. */
    return t0 ? (double)(atomic_load(&p.t_return) - t0) : NAN;
}

/* The sampler's summary into the row, series/<cell>.r<rep>.csv, the rep's latency intervals
 * into the cell's .hlog (tag rep<rep>). */
static void record_series(struct qtp_cell_run *cr, const struct rep_ctx *rc,
                          const struct qtp_deploy_result *res, struct qtp_rep_record *r)
{
    const char *dir = cr->run->dir;
    qtp_series_finish(rc->series, res->window_ok || res->verified ? res->window_end_ns : 0);
    qtp_series_summary(rc->series, &r->series);
    char rel[sizeof r->series.file], path[4400];
    if (r->series.samples) {
        qtp_fmt(path, sizeof path, "%s/series", dir);
        if (mkdir(path, 0777) && errno != EEXIST)
            fprintf(stderr, "qtopo run: cannot create %s: %s\n", path, strerror(errno));
        qtp_fmt(rel, sizeof rel, "series/%s.r%d.csv", r->cell, r->rep);
        qtp_fmt(path, sizeof path, "%s/%s", dir, rel);
        int rcw = qtp_series_write_csv(rc->series, path);
        if (rcw)
            fprintf(stderr, "qtopo run: cannot write %s: %s\n", path, strerror(rcw));
        else
            qtp_fmt(r->series.file, sizeof r->series.file, "%s", rel);
    }
    if (cr->hlog && r->status == QTP_STATUS_OK) {
        char tag[32];
        qtp_fmt(tag, sizeof tag, "rep%d", r->rep);
        int rcw = qtp_series_write_hlog(rc->series, cr->hlog, tag, cr->hlog_base_ns);
        if (rcw)
            fprintf(stderr, "qtopo run: cannot write %s: %s\n", cr->hlog_rel, strerror(rcw));
        else {
            cr->hlog_lines += qtp_series_intervals(rc->series);
            qtp_fmt(r->hlog_file, sizeof r->hlog_file, "%s", cr->hlog_rel);
        }
    }
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
    if (env_hook("QTOPO_TEST_CRASH", c->topology, &a, &b) && b == r->rep && a > 0 && a < 32)
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
                                     .tick_ms = 500,
                                     .sample = rc->series && rc->aux.sample_ms ? sample : NULL,
                                     .sample_ctx = rc,
                                     .sample_ms = rc->aux.sample_ms};
    qtp_aux_enter(&rc->aux);
    rc->aux.started[QTP_AUX_SAMPLER] = rc->sampler && qtp_cpu_sampler_start(rc->sampler) == 0;
    int wrc = qtp_watchdog_start(&wd, &wc);
    rc->aux.started[QTP_AUX_WATCHDOG] = wrc == 0;
    qtp_aux_leave(&rc->aux);
    qtp_aux_record(&rc->aux, r);
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

    /* A halt that came after the threads finished (the comparison with the model, inside
     * qtp_deploy_run) stopped nothing: the result stands. */
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
    /* The series of a failed rep too: a stall is what it shows. */
    if (rc->series)
        record_series(cr, rc, &res, r);
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
    qtp_aux_plan(c, mach->this_system, &rc.aux);
    if (c->counters != QTP_COUNTERS_NONE &&
        qtp_counters_create(&rc.counters, (unsigned)r->nthreads, c->counters))
        rc.counters = NULL; /* out of memory: the row says not counted */
    if (mach->this_system &&
        qtp_cpu_sampler_create(&rc.sampler, mach, (unsigned)r->nthreads, rc.aux.sampler_period_us))
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
            if ((rc.aux.sample_ms || cr->hlog) &&
                qtp_series_create(&rc.series, d, rc.aux.sample_ms, cr->hlog != NULL))
                rc.series = NULL; /* out of memory: the row has no series */
            run_deployment(cr, &rc, d, r);
            qtp_series_destroy(rc.series);
            rc.series = NULL;
            qtp_deploy_destroy(d);
            if (r->status == QTP_STATUS_OK)
                r->shutdown_ns.forced = forced_stop_ns(&cfg);
        }
        qtp_alloc_set_hook(NULL);
    }
    if (rc.sampler)
        qtp_cpu_sampler_destroy(rc.sampler);
    if (rc.counters)
        qtp_counters_destroy(rc.counters);
    pthread_mutex_destroy(&rc.lock);
}
