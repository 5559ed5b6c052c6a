/* run.c - `qtopo run`: validate, create the results directory, run the cells, summarize. */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "qtp_alloc.h"
#include "qtp_clock.h"
#include "qtp_hist.h"
#include "qtp_format.h"
#include "qtp_results.h"
#include "qtp_summary.h"
#include "qtp_deploy.h"
#include "qtp_topo.h"
#include "alloc_count.h"
#include "qtp_cli.h"
#include "qtp_text.h"
#include "cpu_sampler.h"
#include "machine.h"
#include "numa_mem.h"
#include "placement.h"
#include "progress.h"
#include "usage.h"
#include "watchdog.h"

#ifndef QTOPO_GIT_COMMIT
#define QTOPO_GIT_COMMIT "unknown"
#endif
#ifndef QTOPO_COMPILER
#define QTOPO_COMPILER "unknown"
#endif
#ifndef QTOPO_C_FLAGS
#define QTOPO_C_FLAGS ""
#endif
#ifndef QTOPO_BUILD_TYPE
#define QTOPO_BUILD_TYPE ""
#endif

const char *qtp_build_git_commit(void)
{
    return QTOPO_GIT_COMMIT;
}
const char *qtp_build_compiler(void)
{
    return QTOPO_COMPILER;
}
const char *qtp_build_flags(void)
{
    return QTOPO_C_FLAGS;
}
const char *qtp_build_type(void)
{
    return QTOPO_BUILD_TYPE;
}

/* SIGINT/SIGTERM count: 1 = stop after the rep in flight, 2 = halt it now (the watchdog polls). */
static _Atomic int interrupted;
static _Atomic int last_signal;

static void on_signal(int sig)
{
    atomic_store(&last_signal, sig);
    atomic_fetch_add(&interrupted, 1);
}

/* Per-rep cost units for the ETA: events plus a fixed cost (threads, model, allocation). */
static double cell_work(const struct qtp_cell *c, int reps)
{
    if (c->skip)
        return 0;
    double per = (double)(c->params.events + c->params.warmup) + 20000.0;
    if (c->params.work_ns)
        per *= 1.0 + (double)c->params.work_ns / 100.0;
    return per * reps;
}

/* ---------------------------------------------------------------- one rep */

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
static bool env_hook(const char *name, const char *topology, long long *a, long long *b)
{
    const char *s = getenv(name);
    char only[64] = "";
    if (!s || sscanf(s, "%lld:%lld:%63s", a, b, only) < 2)
        return false;
    return !only[0] || strcmp(only, topology) == 0;
}

struct cell_run {
    const struct qtp_machine *mach;
    const struct qtp_cell *cell;
    struct qtp_topology topo;
    struct qtp_hist *hist; /* merged over this session's ok reps */
    struct qtp_meter *meter;
    const char *rss_source;
};

static void fill_common(const struct qtp_cell *c, struct qtp_rep_record *r, int rep)
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

static void fail(struct qtp_rep_record *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(struct qtp_rep_record *r, const char *fmt, ...)
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

static void run_rep(struct cell_run *cr, int rep, struct qtp_rep_record *r)
{
    const struct qtp_cell *c = cr->cell;
    fill_common(c, r, rep);
    r->nthreads = c->nthreads < QTP_MAX_THREADS ? c->nthreads : QTP_MAX_THREADS;

    struct rep_ctx rc = {.lock = PTHREAD_MUTEX_INITIALIZER,
                         .mach = cr->mach,
                         .pu = c->pu,
                         .threads = r->threads,
                         .nthreads = (unsigned)r->nthreads};
    for (size_t i = 0; i < r->nthreads; i++) {
        r->threads[i].cpu_wanted = c->pu[i];
        r->threads[i].node = -1;
    }
    if (cr->mach->this_system &&
        qtp_cpu_sampler_create(&rc.sampler, cr->mach, (unsigned)r->nthreads,
                               QTP_SAMPLER_DEFAULT_PERIOD_US))
        rc.sampler = NULL;

    struct qtp_numa_hook hook;
    char msg[QTP_REASON_MAX];
    if (qtp_numa_hook_init(&hook, &c->mem, msg, sizeof msg)) {
        fail(r, "memory %s: %s", c->memory, msg);
        goto out_sampler;
    }
    qtp_alloc_set_hook(&hook.hook);

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
        .ctx = &rc,
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

    /* "local" memory means the producer's node: build while standing on the producer's PU, so
     * pages the deployment touches while it builds land there (numa_mem.h). */
    if (c->pu[0] >= 0)
        qtp_placement_bind_self(cr->mach, c->pu[0]);
    struct qtp_deploy *d = NULL;
    char err[512] = "";
    int rc_create = qtp_deploy_create(&d, &cfg, err, sizeof err);
    if (c->pu[0] >= 0)
        qtp_placement_unbind_self(cr->mach);
    if (rc_create) {
        fail(r, "cannot build the deployment: %s", err[0] ? err : strerror(rc_create));
        goto out_hook;
    }

    bool was_reset = qtp_usage_peak_reset() == 0;
    struct qtp_watchdog *wd = NULL;
    struct qtp_watchdog_config wc = {.deploy = d,
                                     .timeout_ms = (uint64_t)c->timeout_s * 1000,
                                     .period_ms = 100,
                                     .interrupt = &interrupted,
                                     .tick = qtp_meter_tick,
                                     .tick_ctx = cr->meter,
                                     .tick_ms = 500};
    if (rc.sampler)
        qtp_cpu_sampler_start(rc.sampler);
    int wrc = qtp_watchdog_start(&wd, &wc);
    struct qtp_deploy_result res;
    memset(&res, 0, sizeof res);
    int run_rc = qtp_deploy_run(d, &res);
    char why[1200] = "";
    bool fired = wrc == 0 && qtp_watchdog_stop(wd, why, sizeof why);
    if (rc.sampler)
        qtp_cpu_sampler_stop(rc.sampler);

    struct qtp_usage after;
    qtp_usage_snapshot(&after);
    r->rss_peak_kb = qtp_usage_peak_kb(&after, was_reset, &cr->rss_source);
    for (size_t i = 0; rc.sampler && i < r->nthreads; i++) {
        struct qtp_thread_record *t = &r->threads[i];
        size_t n = qtp_cpu_sampler_result(rc.sampler, (unsigned)i, t->cpus_seen, QTP_MAX_CPUS_SEEN,
                                          &t->node);
        t->ncpus_seen = n < QTP_MAX_CPUS_SEEN ? n : QTP_MAX_CPUS_SEEN;
    }

    /* Where the buffers' pages are, asked after the run, once they have been written. */
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

    /* A halt that came after the threads finished (the model check, which runs inside
     * qtp_deploy_run, can take a while for huge counts) stopped nothing: the result stands. */
    if (fired && run_rc == ECANCELED) {
        fail(r, "%s", why);
    } else if (run_rc == ECANCELED) {
        fail(r, "halted: %s", res.reason[0] ? res.reason : "cancelled");
    } else if (run_rc) {
        fail(r, "run failed: %s%s%s", strerror(run_rc), res.reason[0] ? ": " : "", res.reason);
    } else if (!res.verified) {
        fail(r, "model check failed: %s", res.reason[0] ? res.reason : "(no reason given)");
    } else if (!rc.started || !rc.ended || res.window_ns == 0 || res.events == 0) {
        fail(r, "no measured window (events %" PRIu64 ", window %" PRIu64 " ns)", res.events,
             res.window_ns);
    } else {
        r->status = QTP_STATUS_OK;
        r->verified = true;
        r->elapsed_s = (double)res.window_ns / 1e9;
        r->throughput_eps = (double)res.events / r->elapsed_s;
        if (res.latency && qtp_hist_count(res.latency)) {
            const struct qtp_hist *h = res.latency;
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
        qtp_alloc_counts_diff(&rc.a0, &rc.a1, &ad);
        if (ad.available) {
            ad.calls -= rc.overhead.calls < ad.calls ? rc.overhead.calls : ad.calls;
            ad.bytes -= rc.overhead.bytes < ad.bytes ? rc.overhead.bytes : ad.bytes;
            ad.frees -= rc.overhead.frees < ad.frees ? rc.overhead.frees : ad.frees;
            r->alloc.calls = ad.calls;
            r->alloc.bytes = ad.bytes;
            r->alloc.frees = ad.frees;
            r->alloc.per_event = (double)ad.calls / (double)res.events;
            r->alloc.bytes_per_event = (double)ad.bytes / (double)res.events;
        }
        struct qtp_usage cpu;
        qtp_usage_cpu_diff(&rc.u0, &rc.u1, &cpu);
        r->cpu =
            (struct qtp_cpu_stats){cpu.user_s, cpu.sys_s, cpu.voluntary_cs, cpu.involuntary_cs};
        int be = atomic_load(&rc.bind_errors);
        if (be)
            qtp_fmt(r->reason, sizeof r->reason, "%d thread(s) could not be bound", be);
    }
    qtp_deploy_destroy(d);
out_hook:
    qtp_alloc_set_hook(NULL);
out_sampler:
    if (rc.sampler)
        qtp_cpu_sampler_destroy(rc.sampler);
    pthread_mutex_destroy(&rc.lock);
}

/* ---------------------------------------------------------------- resume bookkeeping */

/* Reps already in results.jsonl (a resume): linear scans, a matrix has at most thousands. */
static bool rep_done(const struct qtp_rows *rows, const char *cell, int rep)
{
    for (size_t i = 0; rows && i < rows->n; i++)
        if (rows->v[i].rep == rep && strcmp(rows->v[i].cell, cell) == 0)
            return true;
    return false;
}

static bool cell_has_rows(const struct qtp_rows *rows, const char *cell)
{
    for (size_t i = 0; rows && i < rows->n; i++)
        if (strcmp(rows->v[i].cell, cell) == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------- the summary table */

/* The compact table at the end: one line per cell that ran; skipped cells counted by reason. */
static int print_summary(FILE *out, const struct qtp_rows *rows)
{
    struct qtp_summary s;
    if (qtp_summary_build(&s, rows->v, rows->n))
        return ENOMEM;
    bool vary[QTP_NPARAMS];
    qtp_params_varying(rows->v, rows->n, vary);
    fprintf(out, "%-10s %-12s %-5s %-10s %-7s %-16s %-8s %9s %9s %8s\n", "topology", "queue",
            "wait", "placement", "memory", "params", "status", "events/s", "p99", "alloc/ev");
    size_t nskipped = 0;
    struct {
        char reason[160];
        size_t n;
    } reasons[16];
    size_t nreasons = 0;
    for (size_t c = 0; c < s.ncells; c++) {
        const struct qtp_cell_summary *cs = &s.cells[c];
        const struct qtp_rep_record *r = cs->first;
        if (cs->status == QTP_STATUS_SKIPPED) {
            nskipped++;
            size_t k;
            for (k = 0; k < nreasons; k++)
                if (strncmp(reasons[k].reason, cs->reason, sizeof reasons[k].reason - 1) == 0)
                    break;
            if (k == nreasons && nreasons < 16) {
                qtp_fmt(reasons[k].reason, sizeof reasons[k].reason, "%s", cs->reason);
                reasons[k].n = 0;
                nreasons++;
            }
            if (k < nreasons)
                reasons[k].n++;
            continue;
        }
        char status[32], t[32], l[32], a[32], params[64];
        if (cs->failed)
            qtp_fmt(status, sizeof status, "FAIL %zu/%zu", cs->failed, cs->reps);
        else
            qtp_fmt(status, sizeof status, "ok %zu", cs->reps);
        qtp_format_rate(cs->stat[QTP_METRIC_THROUGHPUT].median, QTP_STYLE_TERMINAL, t, sizeof t);
        qtp_format_ns(cs->stat[QTP_METRIC_P99].median, QTP_STYLE_TERMINAL, l, sizeof l);
        qtp_format_num(cs->stat[QTP_METRIC_ALLOC].median, QTP_STYLE_TERMINAL, a, sizeof a);
        qtp_params_short_label(&r->params, vary, params, sizeof params);
        fprintf(out, "%-10s %-12s %-5s %-10s %-7s %-16s %-8s %9s %9s %8s%s\n", r->topology,
                r->queue, r->wait, r->placement, r->memory, params[0] ? params : "-", status, t, l,
                a, cs->oversubscribed ? "  (oversubscribed)" : "");
    }
    if (nskipped) {
        fprintf(out, "skipped cells: %zu\n", nskipped);
        for (size_t k = 0; k < nreasons; k++)
            fprintf(out, "  %4zu  %s\n", reasons[k].n, reasons[k].reason);
    }
    qtp_summary_free(&s);
    return 0;
}

/* ---------------------------------------------------------------- meta.json */

static void utc_now(char *buf, size_t len, bool compact)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *argv_json(int argc, char **argv)
{
    json_t *a = json_array();
    json_array_append_new(a, json_string("qtopo"));
    for (int i = 0; i < argc; i++)
        json_array_append_new(a, json_string(argv[i]));
    return a;
}

static json_t *cells_json(const struct qtp_cell *cells, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct qtp_cell *c = &cells[i];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:b, s:b, s:s}", "cell", c->id,
                         "topology", c->topo->name, "queue", c->queue->name, "wait", c->wait_name,
                         "placement", c->placement, "memory", c->memory, "threads",
                         (int)c->nthreads, "reps", (int)c->reps, "skipped", c->skip,
                         "oversubscribed", c->oversubscribed, "reason", c->reason));
    }
    return a;
}

static json_t *build_meta(const struct qtp_machine *mach, const struct qtp_matrix *parts,
                          size_t nparts, const struct qtp_cell *cells, size_t n, int argc,
                          char **argv)
{
    char now[64];
    utc_now(now, sizeof now, false);
    json_t *meta = json_object();
    json_object_set_new(meta, "qtopo_version", json_string(QTOPO_VERSION));
    json_object_set_new(meta, "start_time", json_string(now));
    json_object_set_new(meta, "command_line", argv_json(argc, argv));
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd))
        json_object_set_new(meta, "cwd", json_string(cwd));
    json_object_set_new(meta, "machine",
                        qtp_machine_to_json(mach, QTP_MACHINE_JSON_XML | QTP_MACHINE_JSON_PUS |
                                                      QTP_MACHINE_JSON_PLACEMENTS));
    json_object_set_new(
        meta, "clock",
        json_pack("{s:s, s:f}", "source", qtp_clock_source(), "tsc_ghz", qtp_clock_tsc_ghz()));
    json_object_set_new(meta, "build",
                        json_pack("{s:s, s:s, s:s, s:s}", "compiler", qtp_build_compiler(), "flags",
                                  qtp_build_flags(), "build_type", qtp_build_type(), "git_commit",
                                  qtp_build_git_commit()));
    /* DESIGN.md names these at the top level too. */
    json_object_set_new(meta, "compiler", json_string(qtp_build_compiler()));
    json_object_set_new(meta, "compiler_flags", json_string(qtp_build_flags()));
    json_object_set_new(meta, "git_commit", json_string(qtp_build_git_commit()));
    struct qtp_alloc_counts ac;
    qtp_alloc_count_snapshot(&ac);
    json_object_set_new(meta, "alloc_counting", json_boolean(ac.available));
    bool latency = true;
    for (size_t i = 0; i < nparts; i++)
        latency &= !parts[i].no_latency;
    json_object_set_new(meta, "latency_recording", json_boolean(latency));
    json_object_set_new(meta, "matrix", qtp_matrix_parts_to_json(parts, nparts));
    json_object_set_new(meta, "cells", cells_json(cells, n));
    json_object_set_new(meta, "resumes", json_array());
    return meta;
}

/* ---------------------------------------------------------------- the command */

void qtp_run_usage(FILE *out)
{
    fprintf(out,
            "NAME\n"
            "    qtopo run - run a matrix of topology x queue x wait x placement x parameters\n"
            "\n"
            "SYNOPSIS\n"
            "    qtopo run [OPTIONS]\n"
            "    qtopo run --matrix FILE [OPTIONS]\n"
            "    qtopo run --resume DIR\n"
            "\n"
            "DESCRIPTION\n"
            "    Expands the matrix into cells and runs each: plans the placement, places the\n"
            "    ring/queue storage, builds the deployment, warms up, runs --reps timed reps\n"
            "    (each a fresh deployment) and checks every rep against the sequential model;\n"
            "    a rep that disagrees is recorded failed with its reason, never as a number.\n"
            "    Results go to a new directory: meta.json, results.jsonl (one row per rep,\n"
            "    appended and fsync'd per cell), summary.csv (one row per cell) and\n"
            "    hist/<cell>.hgrm (latency percentiles in HdrHistogram's format).\n"
            "\n"
            "    With no options it runs the default matrix: every topology over every queue\n"
            "    kind and wait strategy and every placement policy (those this machine cannot\n"
            "    give, those that would repeat an earlier placement's PUs, and busy-spin cells\n"
            "    with more spinning threads than PUs are recorded as skipped with the reason),\n"
            "    400K events x 5 reps per cell, round trips (pingpong) 40K, about 3 minutes on\n"
            "    a 2-core machine; --quick (20K x 3, pingpong 4K) takes well under a minute.\n"
            "\n"
            "    LIST is comma-separated; every list-valued option sweeps (--fanout 3,6,12 makes\n"
            "    three cells per fanout cell). fanout, shards and stages sweep only the\n"
            "    topologies whose shape they change. Mutex queues always block: for them the\n"
            "    wait axis is one cell, \"block\". Counts take K/M/G suffixes (1000s; 1024s for\n"
            "    --ring-size, --batch and --payload).\n"
            "\n"
            "OPTIONS\n");
    qtp_cli_print_options(out);
    fprintf(out,
            "\n"
            "MATRIX FILE\n"
            "    A JSON object whose keys are the long option names above (\"ring_size\" and\n"
            "    \"work_ns\" are accepted too), each a string, a count or an array of them:\n"
            "      {\"topology\": [\"diamond\"], \"queue\": \"all\", \"events\": \"1M\",\n"
            "       \"fanout\": [3, 6], \"oversubscribe\": false}\n"
            "    or an array of such objects, whose cells are run together (each with its own\n"
            "    counts; a cell two of them give runs once):\n"
            "      [{\"topology\": \"diamond\", \"events\": \"1M\"},\n"
            "       {\"topology\": \"pingpong\", \"events\": \"50K\"}]\n"
            "    Flags given with --matrix override its keys in every object. Unknown keys are\n"
            "    errors; errors name FILE:LINE:COLUMN.\n"
            "\n"
            "PROGRESS\n"
            "    On stderr: cells done of total, the current cell and rep, elapsed and estimated\n"
            "    remaining time; a bar redrawn in place when stderr is a terminal, one line per\n"
            "    cell otherwise. At the end, where the results went and a summary table.\n"
            "\n"
            "SIGNALS\n"
            "    SIGINT/SIGTERM: the rep in flight finishes, what is done is written, exit 130;\n"
            "    a second signal halts the rep in flight. After kill -9 at most the cell in\n"
            "    flight is lost. Either way `qtopo run --resume DIR` runs what is missing.\n"
            "\n"
            "EXIT STATUS\n"
            "    0    every rep that ran was verified (skipped cells do not count)\n"
            "    1    some rep failed (model check, watchdog, error); see results.jsonl\n"
            "    2    bad input: one line on stderr names it; nothing was written\n"
            "    130  interrupted; resume with --resume DIR\n"
            "\n"
            "EXAMPLES\n"
            "    qtopo run                          # the default matrix\n"
            "    qtopo run --quick -o /tmp/q1       # a quick one, into /tmp/q1\n"
            "    qtopo run -t diamond,shard -q ring -w yield,block -p compact -n 1M -r 7\n"
            "    qtopo run -t fanout -q all --fanout 1,2,4,8 -w block\n"
            "    qtopo run -t unicast -q ring --rate 100K,1M   # paced latency\n"
            "    qtopo run --matrix experiments/diamond.json\n"
            "    qtopo run --resume results/runs/20240101T120000Z-host\n");
}

static int bad_input(const char *msg)
{
    fprintf(stderr, "qtopo run: %s\n", msg);
    return QTP_EXIT_BAD;
}

/* Default directory: results/runs/<UTC time>-<host>, made unique if two runs start together. */
static void default_out(char *buf, size_t len, const struct qtp_machine *mach)
{
    char now[32], host[64];
    utc_now(now, sizeof now, true);
    qtp_fmt(host, sizeof host, "%s", mach->hostname[0] ? mach->hostname : "host");
    for (char *p = host; *p; p++)
        if (!(*p == '-' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            *p = '_';
    qtp_fmt(buf, len, "results/runs/%s-%s", now, host);
    struct stat st;
    for (int i = 2; stat(buf, &st) == 0 && i < 100; i++)
        qtp_fmt(buf, len, "results/runs/%s-%s-%d", now, host, i);
}

static int load_resume(const char *dir, struct qtp_run_opts *o, json_t **meta,
                       struct qtp_rows *rows, const struct qtp_machine *mach)
{
    char err[1024], msg[1400];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        qtp_fmt(msg, sizeof msg,
                "--resume %s: no such directory (accepted: a results directory written by "
                "qtopo run)",
                dir);
        return bad_input(msg);
    }
    int rc = qtp_results_read_meta(dir, meta, err, sizeof err);
    if (rc) {
        qtp_fmt(msg, sizeof msg, "--resume %s: %s (accepted: a results directory with meta.json)",
                dir, rc == ENOENT ? "no meta.json" : err);
        return bad_input(msg);
    }
    json_t *mj = json_object_get(*meta, "matrix");
    if (!(json_is_object(mj) || json_is_array(mj)) ||
        qtp_matrix_parts_from_json(mj, "meta.json \"matrix\"", &o->parts, &o->nparts, err,
                                   sizeof err)) {
        qtp_fmt(msg, sizeof msg, "--resume %s: damaged matrix in meta.json: %s", dir,
                mj ? err : "no \"matrix\"");
        return bad_input(msg);
    }
    for (size_t i = 0; i < o->nparts; i++) {
        qtp_matrix_defaults(&o->parts[i]);
        if (qtp_matrix_check(&o->parts[i], mach, err, sizeof err)) {
            qtp_fmt(msg, sizeof msg, "--resume %s: %s", dir, err);
            return bad_input(msg);
        }
    }
    struct qtp_results_load_info info = {0};
    rc = qtp_results_load(dir, rows, &info, err, sizeof err);
    if (rc && rc != ENOENT) {
        qtp_fmt(msg, sizeof msg, "--resume %s: damaged results: %s", dir, err);
        return bad_input(msg);
    }
    return 0;
}

int qtp_run_main(int argc, char **argv)
{
    char err[2048];
    struct qtp_machine *mach = NULL;
    struct qtp_run_opts *o = calloc(1, sizeof *o);
    struct qtp_cell *cells = NULL;
    size_t ncells = 0;
    struct qtp_rows done = {0};
    json_t *meta = NULL;
    int status = QTP_EXIT_OK;
    if (!o)
        return QTP_EXIT_FAILED;

    if (qtp_machine_load_env(&mach, err, sizeof err)) {
        fprintf(stderr, "qtopo run: cannot read this machine's topology: %s\n", err);
        free(o);
        return QTP_EXIT_FAILED;
    }
    int rc = qtp_cli_parse_run(argc, argv, o, mach, err, sizeof err);
    if (rc) {
        status = rc == QTP_CLI_BAD ? bad_input(err) : QTP_EXIT_FAILED;
        goto out;
    }
    if (o->help) {
        qtp_run_usage(stdout);
        goto out;
    }
    const char *dir = o->out;
    bool resuming = o->resume[0] != 0;
    if (resuming) {
        if ((status = load_resume(o->resume, o, &meta, &done, mach)))
            goto out;
        dir = o->resume;
    }
    rc = qtp_matrix_expand_parts(o->parts, o->nparts, mach, &cells, &ncells, err, sizeof err);
    if (rc) {
        status = rc == QTP_CLI_BAD ? bad_input(err) : QTP_EXIT_FAILED;
        goto out;
    }
    if (!resuming) {
        char dflt[PATH_MAX];
        if (!dir[0]) {
            default_out(dflt, sizeof dflt, mach);
            dir = dflt;
        }
        struct stat st;
        if (stat(dir, &st) == 0) {
            qtp_fmt(err, sizeof err,
                    "-o/--out %s: exists (accepted: a new directory; qtopo never writes into an "
                    "old one; use --resume DIR to finish an interrupted run)",
                    dir);
            status = bad_input(err);
            goto out;
        }
        /* Everything is valid: only now does anything get written. */
        qtp_clock_init(0);
        rc = qtp_results_create(dir);
        if (rc) {
            fprintf(stderr, "qtopo run: cannot create %s: %s\n", dir, strerror(rc));
            status = rc == EEXIST ? QTP_EXIT_BAD : QTP_EXIT_FAILED;
            goto out;
        }
        if (dir != o->out)
            qtp_fmt(o->out, sizeof o->out, "%s", dir);
        dir = o->out;
        meta = build_meta(mach, o->parts, o->nparts, cells, ncells, argc, argv);
    } else {
        qtp_clock_init(0);
        char now[64];
        utc_now(now, sizeof now, false);
        json_t *res = json_object_get(meta, "resumes");
        if (!json_is_array(res)) {
            res = json_array();
            json_object_set_new(meta, "resumes", res);
        }
        json_array_append_new(
            res, json_pack("{s:s, s:o}", "time", now, "command_line", argv_json(argc, argv)));
    }
    qtp_work_calibrate();
    if ((rc = qtp_results_write_meta(dir, meta))) {
        fprintf(stderr, "qtopo run: cannot write %s/meta.json: %s\n", dir, strerror(rc));
        status = QTP_EXIT_FAILED;
        goto out;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct qtp_meter meter;
    double work = 0;
    uint32_t max_reps = 1;
    for (size_t i = 0; i < ncells; i++)
        if (cells[i].reps > max_reps)
            max_reps = cells[i].reps;
    for (size_t i = 0; i < ncells; i++)
        work += cell_work(&cells[i], (int)cells[i].reps);
    qtp_meter_init(&meter, STDERR_FILENO, ncells, work);
    const char *tty = getenv("QTOPO_TEST_TTY");
    if (tty && *tty)
        qtp_meter_set_tty(&meter, atoi(tty) != 0);
    {
        char line[PATH_MAX + 128];
        size_t skipped = 0;
        for (size_t i = 0; i < ncells; i++)
            skipped += cells[i].skip;
        qtp_fmt(line, sizeof line, "qtopo run: %zu cells (%zu skipped), %u reps each, into %s",
                ncells, skipped, max_reps, dir);
        qtp_meter_note(&meter, line);
    }

    const char *rss_source = "";
    bool any_failed = false;
    struct qtp_rep_record *recs = calloc(max_reps, sizeof *recs);
    if (!recs) {
        status = QTP_EXIT_FAILED;
        goto out_meter;
    }
    for (size_t ci = 0; ci < ncells && !atomic_load(&interrupted); ci++) {
        const struct qtp_cell *c = &cells[ci];
        char label[192], outcome[256];
        qtp_fmt(label, sizeof label, "%s %s/%s %s %s", c->topo->name, c->queue->name, c->wait_name,
                c->placement, c->memory);
        double cw = cell_work(c, (int)c->reps);
        if (c->skip) {
            if (cell_has_rows(&done, c->id)) {
                qtp_meter_skip_done(&meter, 1, 0);
                continue;
            }
            qtp_meter_begin(&meter, ci, label, 0, 0);
            fill_common(c, &recs[0], 0);
            recs[0].status = QTP_STATUS_SKIPPED;
            qtp_fmt(recs[0].reason, sizeof recs[0].reason, "%s", c->reason);
            if ((rc = qtp_results_append(dir, recs, 1))) {
                fprintf(stderr, "qtopo run: cannot append to %s/results.jsonl: %s\n", dir,
                        strerror(rc));
                status = QTP_EXIT_FAILED;
                goto out_recs;
            }
            qtp_fmt(outcome, sizeof outcome, "skipped: %.200s", c->reason);
            qtp_meter_end(&meter, outcome);
            continue;
        }
        int first_rep = 0, todo = 0;
        for (int rep = 0; rep < (int)c->reps; rep++)
            if (!rep_done(&done, c->id, rep)) {
                if (!todo)
                    first_rep = rep;
                todo++;
            }
        if (!todo) {
            qtp_meter_skip_done(&meter, 1, cw);
            continue;
        }

        struct cell_run cr = {.mach = mach, .cell = c, .meter = &meter};
        /* The placement was planned at expansion; the topology is built again for the reps. */
        struct qtp_topo_params tp;
        qtp_cell_topo_params(c, &tp);
        bool topo_built = c->topo->build(&tp, &cr.topo) == 0;
        bool ok_setup = topo_built && qtp_hist_create(&cr.hist) == 0;
        char msg[QTP_REASON_MAX] = "";
        if (!topo_built)
            qtp_fmt(msg, sizeof msg, "cannot build topology %s", c->topo->name);
        qtp_meter_begin(&meter, ci, label, cw, todo);

        int nrec = 0;
        for (int rep = first_rep; rep < (int)c->reps; rep++) {
            if (rep_done(&done, c->id, rep))
                continue;
            if (nrec && atomic_load(&interrupted))
                break; /* stop after the rep in flight; what is done gets written */
            qtp_meter_rep(&meter, nrec);
            if (ok_setup) {
                run_rep(&cr, rep, &recs[nrec]);
            } else {
                fill_common(c, &recs[nrec], rep);
                fail(&recs[nrec], "setup failed: %s", msg[0] ? msg : "out of memory");
            }
            nrec++;
            if (atomic_load(&interrupted) >= 2)
                break;
        }
        if (cr.rss_source)
            rss_source = cr.rss_source;

        /* The cell's histogram: reps run in one session merge into one file; reps added by a
         * resume go to a file of their own (histograms cannot be read back from .hgrm). */
        char rel[256] = "";
        if (cr.hist && qtp_hist_count(cr.hist)) {
            char name[sizeof c->id + 16];
            if (first_rep == 0)
                qtp_fmt(name, sizeof name, "%s", c->id);
            else
                qtp_fmt(name, sizeof name, "%s.from%d", c->id, first_rep);
            if ((rc = qtp_results_write_hgrm(dir, name, cr.hist, rel, sizeof rel)))
                fprintf(stderr, "qtopo run: cannot write the histogram of %s: %s\n", c->id,
                        strerror(rc));
        }
        size_t nok = 0;
        for (int i = 0; i < nrec; i++) {
            if (recs[i].status == QTP_STATUS_OK) {
                qtp_fmt(recs[i].hist_file, sizeof recs[i].hist_file, "%s", rel);
                nok++;
            } else {
                any_failed = true;
            }
        }
        if (nrec && (rc = qtp_results_append(dir, recs, (size_t)nrec))) {
            fprintf(stderr, "qtopo run: cannot append to %s/results.jsonl: %s\n", dir,
                    strerror(rc));
            status = QTP_EXIT_FAILED;
        }
        if (nrec && !rc && (rc = qtp_results_update_summary(dir, err, sizeof err)))
            fprintf(stderr, "qtopo run: cannot write summary.csv: %s\n", err);
        struct qtp_summary now;
        if (nrec && nok == (size_t)nrec && qtp_summary_build(&now, recs, (size_t)nrec) == 0) {
            char t[32], l[32];
            const struct qtp_stat *st = now.cells[0].stat;
            qtp_format_rate(st[QTP_METRIC_THROUGHPUT].median, QTP_STYLE_TERMINAL, t, sizeof t);
            qtp_format_ns(st[QTP_METRIC_P99].median, QTP_STYLE_TERMINAL, l, sizeof l);
            qtp_fmt(outcome, sizeof outcome, "ok %d/%d  %s events/s  p99 %s%s", nrec, todo, t, l,
                    c->oversubscribed ? "  (oversubscribed)" : "");
            qtp_summary_free(&now);
        }
        for (int i = 0; i < nrec && nok != (size_t)nrec; i++)
            if (recs[i].status != QTP_STATUS_OK) {
                qtp_fmt(outcome, sizeof outcome, "FAILED %zu/%d: %.200s", (size_t)nrec - nok, nrec,
                        recs[i].reason);
                break;
            }
        qtp_meter_end(&meter, outcome);
        if (cr.hist)
            qtp_hist_destroy(cr.hist);
        if (topo_built)
            qtp_topology_fini(&cr.topo);
        if (status == QTP_EXIT_FAILED)
            goto out_recs;
    }
    qtp_meter_finish(&meter);
    /* Skipped cells after the last run one are in results.jsonl but not yet in summary.csv. */
    if ((rc = qtp_results_update_summary(dir, err, sizeof err)) && rc != ENOENT)
        fprintf(stderr, "qtopo run: cannot write summary.csv: %s\n", err);

    if (rss_source[0] && !json_object_get(meta, "rss_peak_source")) {
        json_object_set_new(meta, "rss_peak_source", json_string(rss_source));
        qtp_results_write_meta(dir, meta);
    }

    /* The whole results (a resumed run prints the earlier cells too). */
    struct qtp_rows all = {0};
    if (qtp_results_load(dir, &all, NULL, err, sizeof err) == 0) {
        printf("\n");
        if (print_summary(stdout, &all))
            fprintf(stderr, "qtopo run: out of memory for the summary table\n");
    }
    qtp_rows_free(&all);
    if (atomic_load(&interrupted)) {
        fprintf(stderr,
                "qtopo run: interrupted by %s; what is done is in %s\n"
                "qtopo run: finish it with: qtopo run --resume %s\n",
                atomic_load(&last_signal) == SIGTERM ? "SIGTERM" : "SIGINT", dir, dir);
        status = QTP_EXIT_INTERRUPTED;
    } else {
        if (any_failed)
            status = QTP_EXIT_FAILED;
    }
    printf("\nresults: %s\n", dir);
    printf("  %s/summary.csv  (one row per cell)\n  %s/results.jsonl  (one row per rep)\n", dir,
           dir);
    printf("  next: qtopo report %s\n", dir);
out_recs:
    free(recs);
out_meter:
    qtp_meter_destroy(&meter);
out:
    json_decref(meta);
    qtp_rows_free(&done);
    free(cells);
    qtp_run_opts_free(o);
    free(o);
    qtp_machine_free(mach);
    return status;
}
