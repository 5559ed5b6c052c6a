/* topo_util.c - run one deployment under a watchdog thread. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "topo_util.h"
#include "qtp_hist.h"
#include "qtp_wait.h"

double topo_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t topo_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t topo_seed(int argc, char **argv)
{
    const char *s = getenv("QTOPO_SEED");
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--seed") == 0)
            s = argv[i + 1];
    uint64_t seed;
    if (s && *s) {
        seed = strtoull(s, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000003ULL ^ (uint64_t)ts.tv_nsec;
    }
    printf("seed %llu (reproduce with QTOPO_SEED=%llu)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    fflush(stdout);
    return seed;
}

static const char *const config_names[TOPO_NCONFIGS] = {
    "ring/spin",  "ring/yield",  "ring/block",   "mutex-array",   "mutex-linked",
    "ring/sleep", "ring/phased", "ck-ring/spin", "ck-ring/yield", "ck-ring/block"};

const char *topo_config_name(unsigned i)
{
    return config_names[i];
}

void topo_config(unsigned i, struct topo_run *r)
{
    static const char *const q[TOPO_NCONFIGS] = {"ring",         "ring",   "ring", "mutex-array",
                                                 "mutex-linked", "ring",   "ring", "ck-ring",
                                                 "ck-ring",      "ck-ring"};
    static const char *const w[TOPO_NCONFIGS] = {"spin",  "yield",  "block", NULL,    NULL,
                                                 "sleep", "phased", "spin",  "yield", "block"};
    r->queue = q[i];
    r->wait = w[i];
}

bool topo_config_is_ring(unsigned i)
{
    struct topo_run r = {0};
    topo_config(i, &r);
    return qtp_queue_kind_find(r.queue)->family == QTP_FAMILY_RING;
}

bool topo_config_spins_over(unsigned i, unsigned nthreads)
{
    struct topo_run r = {0};
    topo_config(i, &r);
    return r.wait && qtp_wait_find(r.wait)->spins && (long)nthreads > sysconf(_SC_NPROCESSORS_ONLN);
}

struct watch {
    struct qtp_deploy *d;
    struct topo_run *r;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool finished;
    double halted_at;
};

static void *watchdog(void *arg)
{
    struct watch *w = arg;
    double limit = w->r->timeout_s > 0 ? w->r->timeout_s : 60;
    double halt_after = w->r->halt_after_s;
    double start = topo_now();
    pthread_mutex_lock(&w->lock);
    while (!w->finished) {
        double now = topo_now();
        double until = halt_after > 0 ? halt_after : limit;
        if (now - start >= until) {
            pthread_mutex_unlock(&w->lock);
            struct qtp_progress p;
            qtp_deploy_progress(w->d, &p);
            snprintf(w->r->progress, sizeof(w->r->progress), "%s", p.text);
            if (halt_after <= 0)
                w->r->watchdog_fired = true;
            w->halted_at = topo_now();
            qtp_deploy_halt(w->d);
            pthread_mutex_lock(&w->lock);
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 5000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void on_thread(void *ctx, unsigned index, const char *role)
{
    (void)index;
    (void)role;
    struct topo_run *r = ctx;
    __atomic_add_fetch(&r->threads_started, 1, __ATOMIC_RELAXED);
}

static void on_role(void *ctx, unsigned index, const char *role)
{
    struct topo_run *r = ctx;
    if (r->on_start)
        r->on_start(r, index, role);
}

static void on_window(void *ctx, bool start)
{
    struct topo_run *r = ctx;
    if (start) {
        __atomic_store_n(&r->window_start_seen, true, __ATOMIC_RELAXED);
        if (r->on_window_start)
            r->on_window_start(r);
    } else {
        __atomic_store_n(&r->window_end_seen, true, __ATOMIC_RELAXED);
        if (r->on_window_end)
            r->on_window_end(r);
    }
}

int topo_run(const struct qtp_topology *t, struct topo_run *r)
{
    struct qtp_deploy_config cfg = {
        .topo = t,
        .queue = r->queue,
        .wait = r->wait ? qtp_wait_find(r->wait) : NULL,
        .ring_size = r->ring_size,
        .batch = r->batch,
        .batch_max = r->batch_max,
        .opt_out = r->opt_out,
        .consumer_batch = r->consumer_batch,
        .warmup = r->warmup,
        .events = r->events,
        .rate = r->rate,
        .seed = r->seed,
        .record_latency = r->record_latency,
        .on_thread_start = on_thread,
        .test_on_role = on_role,
        .on_window = on_window,
        .ctx = r,
        .stall_stage = r->stall_stage,
        .stall_after = r->stall_after,
        .fault_stage = r->fault_stage,
        .fault_seq = r->fault_seq,
        .fault_payload = r->fault_payload,
        .test_ungated = r->ungated,
        .test_window_first = r->window_first,
        .test_miswire = r->miswire,
        .model = r->model,
    };
    r->verified = false;
    r->watchdog_fired = false;
    r->reason[0] = r->progress[0] = 0;
    r->threads_started = 0;
    r->window_start_seen = r->window_end_seen = false;
    struct qtp_deploy *d;
    double t0 = topo_now();
    r->rc = qtp_deploy_create(&d, &cfg, r->reason, sizeof(r->reason));
    if (r->rc)
        return r->rc;
    r->d = d;
    r->wired = qtp_deploy_check_wiring(d, r->wiring, sizeof(r->wiring));
    struct watch w = {.d = d, .r = r};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    pthread_t wt;
    if (r->halt_before_run)
        qtp_deploy_halt(d);
    pthread_create(&wt, NULL, watchdog, &w);
    struct qtp_deploy_result *res = &r->res;
    r->rc = qtp_deploy_run(d, res);
    double t1 = topo_now();
    pthread_mutex_lock(&w.lock);
    w.finished = true;
    pthread_cond_signal(&w.cond);
    pthread_mutex_unlock(&w.lock);
    pthread_join(wt, NULL);
    r->elapsed_s = t1 - t0;
    r->halt_to_return_s = w.halted_at > 0 ? t1 - w.halted_at : 0;
    r->verified = res->verified;
    snprintf(r->reason, sizeof(r->reason), "%s", res->reason);
    /* Every test's deployment is checked as the runner checks it; the planted ones (ungated,
     * miswired) are left to the tests that plant them. */
    if (!r->wired && !r->ungated && !r->miswire) {
        r->verified = false;
        snprintf(r->reason, sizeof(r->reason), "wiring: %.400s", r->wiring);
    }
    r->events_done = res->events;
    r->window_ns = res->window_ns;
    r->latency_count = res->latency ? qtp_hist_count(res->latency) : 0;
    res->latency = NULL;
    qtp_deploy_destroy(d);
    r->d = NULL;
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    return r->rc;
}
