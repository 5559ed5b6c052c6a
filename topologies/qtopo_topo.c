/* qtopo-topo - run one topology over one queue kind, check it against the model, print the
 * numbers. A developer's tool until `qtopo run` exists; the runner owns the real command line.
 *
 *   qtopo-topo --list
 *   qtopo-topo -t diamond -q ring -w yield -n 1M --ring-size 1024 --batch 64 [--describe]
 *
 * Exit: 0 verified, 1 failed or not verified, 2 bad input.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtp_deploy.h"
#include "qtp_topo.h"
#include "../queues/qtp_wait.h"
#include "../results/qtp_clock.h"
#include "../results/qtp_hist.h"

static int bad(const char *fmt, const char *v, const char *accepted)
{
    fprintf(stderr, "qtopo-topo: ");
    fprintf(stderr, fmt, v);
    fprintf(stderr, " (accepted: %s)\n", accepted);
    return 2;
}

/* N with an optional K/M/G suffix (powers of ten). */
static int parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1000, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1000000, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1000000000, end++;
    if (*end || v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static void list(void)
{
    printf("topologies:\n");
    for (const struct qtp_topology_def *d = qtp_topologies; d->name; d++)
        printf("  %-10s %s\n             %s\n", d->name, d->summary, d->wiring);
    printf("queues:\n");
    for (const struct qtp_queue_kind *k = qtp_queue_kinds; k->name; k++)
        printf("  %-13s %s\n", k->name, k->summary);
    printf("wait strategies (ring):\n");
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++)
        printf("  %-6s %s\n", w->name, w->summary);
}

struct watch {
    struct qtp_deploy *d;
    double timeout;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done, fired;
    struct qtp_progress at;
};

static void *watchdog(void *arg)
{
    struct watch *w = arg;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)w->timeout;
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
            break;
    if (!w->done) {
        w->fired = true;
        qtp_deploy_progress(w->d, &w->at);
        qtp_deploy_halt(w->d);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *topo = "unicast", *queue = "ring", *wait = "yield";
    uint64_t events = 1000000, warmup = 10000, ring = 1024, batch = 1, cbatch = 0, seed = 1;
    uint64_t payload = 0, timeout = 60;
    struct qtp_topo_params tp = {0};
    double rate = 0;
    bool latency = true, describe = false;
    enum {
        O_WARMUP = 256,
        O_RING,
        O_BATCH,
        O_CBATCH,
        O_PAYLOAD,
        O_WORK,
        O_SLEEP,
        O_FANOUT,
        O_SHARDS,
        O_STAGES,
        O_RATE,
        O_SEED,
        O_NOLAT,
        O_DESCRIBE,
        O_LIST,
        O_TIMEOUT
    };
    static const struct option opts[] = {
        {"topology", required_argument, NULL, 't'},
        {"queue", required_argument, NULL, 'q'},
        {"wait", required_argument, NULL, 'w'},
        {"events", required_argument, NULL, 'n'},
        {"warmup", required_argument, NULL, O_WARMUP},
        {"ring-size", required_argument, NULL, O_RING},
        {"batch", required_argument, NULL, O_BATCH},
        {"consumer-batch", required_argument, NULL, O_CBATCH},
        {"payload", required_argument, NULL, O_PAYLOAD},
        {"work", required_argument, NULL, O_WORK},
        {"sleep", required_argument, NULL, O_SLEEP},
        {"fanout", required_argument, NULL, O_FANOUT},
        {"shards", required_argument, NULL, O_SHARDS},
        {"stages", required_argument, NULL, O_STAGES},
        {"rate", required_argument, NULL, O_RATE},
        {"seed", required_argument, NULL, O_SEED},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"no-latency", no_argument, NULL, O_NOLAT},
        {"describe", no_argument, NULL, O_DESCRIBE},
        {"list", no_argument, NULL, O_LIST},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "t:q:w:n:h", opts, NULL)) != -1) {
        uint64_t v = 0;
        bool num = c == 'n' || (c >= O_WARMUP && c <= O_STAGES) || c == O_SEED || c == O_TIMEOUT;
        if (num && parse_count(optarg, &v) != 0)
            return bad("'%s' is not a count", optarg, "N with an optional K/M/G suffix");
        switch (c) {
        case 't':
            topo = optarg;
            break;
        case 'q':
            queue = optarg;
            break;
        case 'w':
            wait = optarg;
            break;
        case 'n':
            events = v;
            break;
        case O_WARMUP:
            warmup = v;
            break;
        case O_RING:
            ring = v;
            break;
        case O_BATCH:
            batch = v;
            break;
        case O_CBATCH:
            cbatch = v;
            break;
        case O_PAYLOAD:
            payload = v;
            break;
        case O_WORK:
            tp.work_ns = v;
            break;
        case O_SLEEP:
            tp.sleep_ns = v;
            break;
        case O_FANOUT:
            tp.fanout = v > 1000 ? 1000 : (unsigned)v;
            break;
        case O_SHARDS:
            tp.shards = v > 1000 ? 1000 : (unsigned)v;
            break;
        case O_STAGES:
            tp.stages = v > 1000 ? 1000 : (unsigned)v;
            break;
        case O_RATE: {
            char *end;
            rate = strtod(optarg, &end);
            if (*end || !(rate >= 0))
                return bad("rate '%s' is not a number", optarg, "events/s >= 0");
            break;
        }
        case O_SEED:
            seed = v;
            break;
        case O_TIMEOUT:
            timeout = v;
            break;
        case O_NOLAT:
            latency = false;
            break;
        case O_DESCRIBE:
            describe = true;
            break;
        case O_LIST:
            list();
            return 0;
        case 'h':
            printf("usage: qtopo-topo [--list] [-t TOPOLOGY] [-q QUEUE] [-w WAIT] [-n EVENTS] "
                   "[--warmup N] [--ring-size N] [--batch N] [--consumer-batch N] "
                   "[--payload BYTES] [--work NS] [--sleep NS] [--fanout N] [--shards N] "
                   "[--stages N] [--rate N] [--seed N] [--timeout SEC] [--no-latency] "
                   "[--describe]\n");
            return 0;
        default:
            return 2;
        }
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind], "options only; see --help");
    const struct qtp_topology_def *def = qtp_topology_find(topo);
    if (!def)
        return bad("unknown topology '%s'", topo,
                   "unicast, pipeline, fanout, diamond, shard, sequencer, pingpong");
    const struct qtp_wait_ops *wops = qtp_wait_find(wait);
    if (!wops)
        return bad("unknown wait strategy '%s'", wait, "spin, yield, block");
    tp.payload = payload > 100000 ? 100000 : payload;
    char err[256];
    if (qtp_topo_params_check(&tp, err, sizeof(err)) != 0) {
        fprintf(stderr, "qtopo-topo: %s\n", err);
        return 2;
    }
    if (ring > UINT32_MAX || batch > UINT32_MAX || cbatch > UINT32_MAX) {
        fprintf(stderr, "qtopo-topo: sizes above 2^32 (accepted: ring size up to 2^30)\n");
        return 2;
    }
    struct qtp_topology t;
    if (def->build(&tp, &t) != 0) {
        fprintf(stderr, "qtopo-topo: cannot build %s with these parameters\n", topo);
        return 2;
    }
    if (describe) {
        char buf[8192];
        qtp_topology_describe(&t, buf, sizeof(buf));
        fputs(buf, stdout);
    }
    struct qtp_deploy_config cfg = {
        .topo = &t,
        .queue = queue,
        .wait = wops,
        .ring_size = (uint32_t)ring,
        .batch = (uint32_t)batch,
        .consumer_batch = (uint32_t)cbatch,
        .warmup = warmup,
        .events = events,
        .rate = rate,
        .seed = seed,
        .record_latency = latency,
    };
    struct qtp_deploy *d;
    int rc = qtp_deploy_create(&d, &cfg, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "qtopo-topo: %s\n", err);
        qtp_topology_fini(&t);
        return rc == EINVAL ? 2 : 1;
    }
    struct watch w = {.d = d, .timeout = (double)timeout};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    pthread_t wt;
    pthread_create(&wt, NULL, watchdog, &w);
    struct qtp_deploy_result res;
    rc = qtp_deploy_run(d, &res);
    pthread_mutex_lock(&w.lock);
    w.done = true;
    pthread_cond_signal(&w.cond);
    pthread_mutex_unlock(&w.lock);
    pthread_join(wt, NULL);

    const char *qname = strcmp(queue, "ring") == 0 ? wait : "";
    printf("%s over %s%s%s: ", t.name, queue, *qname ? "/" : "", qname);
    if (rc) {
        printf("FAILED (%s)%s%s\n", res.reason, w.fired ? "; stalled at: " : "",
               w.fired ? w.at.text : "");
    } else {
        double secs = (double)res.window_ns * 1e-9;
        printf("%" PRIu64 " events in %.3f s = %.3f M events/s; ", res.events, secs,
               secs > 0 ? (double)res.events / secs * 1e-6 : 0.0);
        if (latency && qtp_hist_count(res.latency))
            printf("latency ns p50 %" PRIu64 " p99 %" PRIu64 " p99.9 %" PRIu64 " max %" PRIu64 "; ",
                   qtp_hist_percentile(res.latency, 50), qtp_hist_percentile(res.latency, 99),
                   qtp_hist_percentile(res.latency, 99.9), qtp_hist_max(res.latency));
        printf("%s%s\n",
               res.verified ? "verified" : "NOT VERIFIED: ", res.verified ? "" : res.reason);
    }
    int status = rc == 0 && res.verified ? 0 : 1;
    qtp_deploy_destroy(d);
    qtp_topology_fini(&t);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    return status;
}
