/* sample_cost.c - qtopo-sample-cost: what the sampler (runners/run_series.h) costs the machine.
 * A deployment runs (block wait, 3M events) while a thread samples it every 10 ms as the
 * watchdog does; the CPU time of each sample call (CLOCK_THREAD_CPUTIME_ID) is the sampler's
 * share of a CPU, for unicast and a 3-stage pipeline over the ring and the mutex queue. It
 * measures; it checks nothing (the runner's tests do). Usage: qtopo-sample-cost [ROUNDS] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtp_clock.h"
#include "qtp_deploy.h"
#include "qtp_lang.h"
#include "qtp_wait.h"
#include "run_series.h"

#define PERIOD_MS 10

struct sampler {
    struct qtp_series *s;
    _Atomic int stop;
    double cpu_s;
    long calls;
};

static void on_window(void *ctx, bool start)
{
    if (start)
        qtp_series_open(((struct sampler *)ctx)->s, qtp_clock_mono_ns());
}

static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *sample_loop(void *p)
{
    struct sampler *a = p;
    while (!atomic_load(&a->stop)) {
        struct timespec ts = {0, PERIOD_MS * 1000000L};
        nanosleep(&ts, NULL);
        double c0 = thread_cpu_s();
        qtp_series_sample(a->s);
        a->cpu_s += thread_cpu_s() - c0;
        a->calls++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    qtp_clock_init(0);
    static const char *const topo[] = {"stage", "seq(stage, stage, stage)"};
    static const char *const queue[] = {"ring", "mutex-array"};
    for (int r = 0; r < rounds; r++)
        for (int t = 0; t < 2; t++)
            for (int q = 0; q < 2; q++) {
                struct qtp_topology tp;
                struct qtp_parse_error pe;
                if (qtp_topo_parse(topo[t], NULL, NULL, &tp, &pe))
                    return 1;
                struct sampler a = {.s = NULL};
                struct qtp_deploy_config cfg = {.topo = &tp,
                                                .queue = queue[q],
                                                .wait = qtp_wait_find("block"),
                                                .ring_size = 1024,
                                                .batch = 1,
                                                .warmup = 100000,
                                                .events = 3000000,
                                                .seed = 1,
                                                .record_latency = true,
                                                .on_window = on_window,
                                                .ctx = &a};
                struct qtp_deploy *d;
                char err[256];
                if (qtp_deploy_create(&d, &cfg, err, sizeof err) ||
                    qtp_series_create(&a.s, d, PERIOD_MS, true)) {
                    fprintf(stderr, "qtopo-sample-cost: %s\n", err);
                    return 1;
                }
                pthread_t th;
                pthread_create(&th, NULL, sample_loop, &a);
                struct qtp_deploy_result res;
                memset(&res, 0, sizeof res);
                qtp_deploy_run(d, &res);
                atomic_store(&a.stop, 1);
                pthread_join(th, NULL);
                long n = a.calls ? a.calls : 1;
                printf("%-26s %-12s %ld samples, %.1f us CPU per sample, %.2f%% of one CPU at "
                       "%d ms\n",
                       topo[t], queue[q], a.calls, 1e6 * a.cpu_s / (double)n,
                       100 * a.cpu_s / ((double)n * PERIOD_MS / 1000.0), PERIOD_MS);
                qtp_series_destroy(a.s);
                qtp_deploy_destroy(d);
                qtp_topology_fini(&tp);
            }
    return 0;
}
