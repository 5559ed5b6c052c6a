/* qtopo-bench-queues - 1P -> 1C through each queue kind and wait strategy, on two pinned threads
 * (producer on CPU 0, consumer on CPU 1), events/s as the median of N runs, with a plain
 * streaming copy between the same two CPUs measured in the same run as the ceiling.
 * Ring rows: batch 1 and the large batch (the producer claims that many; the consumer batches
 * naturally, taking all that is available), with the processor calling a handler per event
 * ("event") or once per batch ("batch", walking the slots with qtp_ring_span).
 *
 * Round trips: one event bounced between the same two threads, each round trip timed with the
 * TSC as qtopo's pingpong times it: "raw-rtt" is one cache line both threads write in turn (the
 * floor any queue pays), "ring-rtt" a ping ring and a pong ring (claim 1, spin), as qtopo's
 * pingpong topology wires them; p50/p99 in ns and the ring's p50 over the raw one.
 *
 * --cpus 0,0 puts both threads on one CPU (no cache-line transfers, but time slicing: spin
 * rows then measure the scheduler, not the queue).
 *
 * This measures; it is not a test. Timings taken while other work runs on the machine are
 * noisy: read min/max next to the median. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "qtp_ckq.h"
#include "qtp_mqueue.h"
#include "qtp_ring.h"

struct opts {
    uint64_t events;
    uint32_t batch;
    uint32_t ring_size;
    uint32_t runs;
    uint32_t slot_size; /* bytes per event: ring slots (the value is the first 8), stream-copy */
    const char *only;
    bool pin;
    int cpu_prod, cpu_cons;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- a run: two threads, a start line, the producer stamps t0, the consumer stamps t1 ---- */

struct run {
    const struct opts *o;
    uint64_t n;
    uint32_t batch;
    bool batch_handler;
    _Atomic int ready;
    _Atomic bool go;
    uint64_t t0, t1;
    uint64_t sum;
    int err;
    /* kind-specific */
    struct qtp_ring *ring;
    struct qtp_mqueue *q;
    struct qtp_ckq *ck;
    int (*push)(struct run *r, const void *ev); /* per-edge kinds */
    int (*pop)(struct run *r, void *ev);
    /* stream baseline */
    uint64_t *buf;
    uint32_t chunks;
    struct qtp_seq produced; /* chunks written */
    struct qtp_seq consumed; /* chunks read */
};

static void start_line(struct run *r)
{
    atomic_fetch_add(&r->ready, 1);
    while (!atomic_load_explicit(&r->go, memory_order_acquire))
        qtp_cpu_relax();
}

/* Plain streaming copy: the producer writes chunks of `batch` events into a buffer of ring_size
 * events, the consumer reads and sums them; the handoff is one chunk counter each way. An event
 * is slot_size bytes, every word of it written and read: the bytes a ring cell's events move,
 * at the speed of plain stores and loads. */
static void *stream_producer(void *arg)
{
    struct run *r = arg;
    start_line(r);
    r->t0 = now_ns();
    const uint64_t chunk = r->batch, nchunks = r->n / chunk;
    const size_t words = r->o->slot_size / sizeof(uint64_t);
    int64_t seen_consumed = -1;
    for (uint64_t c = 0; c < nchunks; c++) {
        while ((int64_t)c - seen_consumed > (int64_t)r->chunks) {
            seen_consumed = qtp_seq_get(&r->consumed); /* A1: pairs with R1 in consumer */
            qtp_cpu_relax();
        }
        uint64_t *p = r->buf + (c % r->chunks) * chunk * words;
        uint64_t v = c * chunk;
        for (uint64_t i = 0; i < chunk; i++)
            for (size_t w = 0; w < words; w++)
                p[i * words + w] = v + i;      /* every word of event k is k */
        qtp_seq_set(&r->produced, (int64_t)c); /* R1: pairs with A1 in stream_consumer */
    }
    return NULL;
}

static void *stream_consumer(void *arg)
{
    struct run *r = arg;
    start_line(r);
    const uint64_t chunk = r->batch, nchunks = r->n / chunk;
    const size_t words = r->o->slot_size / sizeof(uint64_t);
    int64_t seen = -1;
    uint64_t sum = 0;
    for (uint64_t c = 0; c < nchunks; c++) {
        while ((int64_t)c > seen) {
            seen = qtp_seq_get(&r->produced); /* A1: pairs with R1 in stream_producer */
            if ((int64_t)c > seen)
                qtp_cpu_relax();
        }
        const uint64_t *p = r->buf + (c % r->chunks) * chunk * words;
        for (uint64_t i = 0; i < chunk * words; i++)
            sum += p[i];
        qtp_seq_set(&r->consumed, (int64_t)c); /* R1: pairs with A1 in stream_producer */
    }
    r->t1 = now_ns();
    r->sum = sum;
    return NULL;
}

/* Ring: claim `batch`, write 8-byte values, publish; the consumer is a qtp_processor. */
static void *ring_producer(void *arg)
{
    struct run *r = arg;
    start_line(r);
    r->t0 = now_ns();
    uint64_t i = 0;
    while (i < r->n) {
        uint32_t b = r->n - i < r->batch ? (uint32_t)(r->n - i) : r->batch;
        int64_t hi;
        if (qtp_ring_claim(r->ring, b, &hi) != 0) {
            r->err = 1;
            return NULL;
        }
        int64_t lo = hi - b + 1;
        for (int64_t s = lo; s <= hi; s++)
            *(uint64_t *)qtp_ring_slot(r->ring, s) = i++;
        qtp_ring_publish(r->ring, lo, hi);
    }
    qtp_ring_halt(r->ring, QTP_HALT_GRACEFUL); /* the consumer drains, then returns */
    return NULL;
}

struct sum_ctx {
    struct run *r;
    uint64_t sum;
    int64_t last;
};

static int sum_handler(void *ctx, void *slot, int64_t seq, bool eob)
{
    (void)eob;
    struct sum_ctx *c = ctx;
    c->sum += *(const uint64_t *)slot;
    if (seq == c->last)
        c->r->t1 = now_ns();
    return 0;
}

static int sum_batch_handler(void *ctx, struct qtp_ring *ring, int64_t lo, int64_t hi)
{
    struct sum_ctx *c = ctx;
    uint64_t sum = c->sum;
    const size_t words = c->r->o->slot_size / sizeof(uint64_t);
    for (int64_t s = lo; s <= hi;) {
        size_t n;
        const uint64_t *v = qtp_ring_span(ring, s, hi, &n);
        if (words == 1)
            for (size_t i = 0; i < n; i++)
                sum += v[i];
        else
            for (size_t i = 0; i < n; i++)
                sum += v[i * words];
        s += (int64_t)n;
    }
    c->sum = sum;
    if (hi == c->last)
        c->r->t1 = now_ns();
    return 0;
}

static void *ring_consumer(void *arg)
{
    struct run *r = arg;
    struct qtp_processor *p = malloc(sizeof(*p));
    if (!p) {
        r->err = 1;
        return NULL;
    }
    struct sum_ctx ctx = {r, 0, (int64_t)r->n - 1};
    struct qtp_barrier b;
    qtp_barrier_init(&b, r->ring, NULL, 0);
    if (r->batch_handler)
        qtp_processor_init_batch(p, &b, sum_batch_handler, &ctx, 0);
    else
        qtp_processor_init(p, &b, sum_handler, &ctx, 0);
    const struct qtp_seq *g[] = {&p->seq};
    qtp_ring_set_gating(r->ring, g, 1); /* before the start line: before any claim */
    start_line(r);
    if (qtp_processor_run(p) != 0)
        r->err = 1;
    r->sum = ctx.sum;
    free(p);
    return NULL;
}

/* Per-edge queues (mutex-array, mutex-linked, ck-ring): one producer and one consumer loop
 * for all, each kind's push and pop behind the run's pair of calls. */
static int mq_push(struct run *r, const void *ev)
{
    return qtp_mqueue_push(r->q, ev);
}
static int mq_pop(struct run *r, void *ev)
{
    return qtp_mqueue_pop(r->q, ev);
}
static int ck_push(struct run *r, const void *ev)
{
    return qtp_ckq_push(r->ck, ev);
}
static int ck_pop(struct run *r, void *ev)
{
    return qtp_ckq_pop(r->ck, ev);
}

static void *edge_producer(void *arg)
{
    struct run *r = arg;
    start_line(r);
    r->t0 = now_ns();
    for (uint64_t i = 0; i < r->n; i++)
        if (r->push(r, &i) != 0) {
            r->err = 1;
            break;
        }
    return NULL;
}

static void *edge_consumer(void *arg)
{
    struct run *r = arg;
    start_line(r);
    uint64_t sum = 0, v;
    for (uint64_t i = 0; i < r->n; i++) {
        if (r->pop(r, &v) != 0) {
            r->err = 1;
            break;
        }
        sum += v;
    }
    r->t1 = now_ns();
    r->sum = sum;
    return NULL;
}

/* ---- configurations ---- */

enum kind { STREAM, RING, MQUEUE, CKQ };

struct config {
    const char *name;
    enum kind kind;
    const char *what;   /* wait strategy or queue kind */
    bool big_batch;     /* batch = --batch, else 1 */
    bool batch_handler; /* ring consumer: one handler call per batch, else per event */
    unsigned slow;      /* events divided by this (blocking kinds are 10-100x slower) */
};

static const struct config configs[] = {
    {"stream-copy", STREAM, NULL, true, true, 1},
    {"ring-spin", RING, "spin", false, false, 1},
    {"ring-spin", RING, "spin", true, false, 1},
    {"ring-spin", RING, "spin", true, true, 1},
    {"ring-yield", RING, "yield", false, false, 1},
    {"ring-yield", RING, "yield", true, false, 1},
    {"ring-yield", RING, "yield", true, true, 1},
    {"ring-block", RING, "block", false, false, 10},
    {"ring-block", RING, "block", true, false, 1},
    {"ring-block", RING, "block", true, true, 1},
    {"mutex-array", MQUEUE, "mutex-array", false, false, 10},
    {"mutex-linked", MQUEUE, "mutex-linked", false, false, 10},
    {"ck-ring", CKQ, "spin", false, false, 1},
    {"ck-ring", CKQ, "yield", false, false, 1},
    {"ck-ring", CKQ, "block", false, false, 10},
    {NULL, STREAM, NULL, false, false, 0},
};

static int spawn(pthread_t *t, void *(*fn)(void *), void *arg, int cpu, bool pin)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    if (pin) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        pthread_attr_setaffinity_np(&a, sizeof set, &set);
    }
    int rc = pthread_create(t, &a, fn, arg);
    pthread_attr_destroy(&a);
    return rc;
}

/* One timed run; events/s, or a negative value on failure. */
static double run_once(const struct opts *o, const struct config *c, uint64_t n)
{
    struct run *r = aligned_alloc(QTP_CACHE_BLOCK, (sizeof(struct run) + QTP_CACHE_BLOCK - 1) /
                                                       QTP_CACHE_BLOCK * QTP_CACHE_BLOCK);
    if (!r)
        return -1;
    memset(r, 0, sizeof(*r));
    r->o = o;
    r->batch = c->big_batch ? o->batch : 1;
    r->batch_handler = c->batch_handler;
    r->n = n;
    void *(*prod)(void *) = NULL, *(*cons)(void *) = NULL;
    int rc = 0;
    switch (c->kind) {
    case STREAM:
        r->n = n / r->batch * r->batch;
        r->chunks = o->ring_size / r->batch;
        r->buf = aligned_alloc(4096, (size_t)o->ring_size * o->slot_size);
        if (!r->buf)
            rc = ENOMEM;
        else
            memset(r->buf, 0, (size_t)o->ring_size * o->slot_size);
        qtp_seq_init(&r->produced, -1);
        qtp_seq_init(&r->consumed, -1);
        prod = stream_producer;
        cons = stream_consumer;
        break;
    case RING: {
        struct qtp_ring_config rc2 = {o->ring_size, o->slot_size, QTP_PRODUCER_SINGLE,
                                      qtp_wait_find(c->what)};
        rc = qtp_ring_create(&r->ring, &rc2);
        prod = ring_producer;
        cons = ring_consumer;
        break;
    }
    case MQUEUE:
        rc = qtp_mqueue_find(c->what)->create(&r->q, o->ring_size, sizeof(uint64_t));
        r->push = mq_push;
        r->pop = mq_pop;
        prod = edge_producer;
        cons = edge_consumer;
        break;
    case CKQ:
        rc = qtp_ckq_find(c->name)->create(&r->ck, o->ring_size, sizeof(uint64_t), 1, 1,
                                           qtp_wait_find(c->what));
        r->push = ck_push;
        r->pop = ck_pop;
        prod = edge_producer;
        cons = edge_consumer;
        break;
    }
    double eps = -1;
    pthread_t tp, tc;
    if (rc == 0 && spawn(&tc, cons, r, o->cpu_cons, o->pin) == 0) {
        if (spawn(&tp, prod, r, o->cpu_prod, o->pin) == 0) {
            while (atomic_load(&r->ready) < 2)
                sched_yield();
            atomic_store_explicit(&r->go, true, memory_order_release);
            pthread_join(tp, NULL);
        } else {
            r->err = 1;
            if (r->ring)
                qtp_ring_halt(r->ring, QTP_HALT_FORCED);
            if (r->q)
                qtp_mqueue_close(r->q, QTP_CLOSE_FORCED);
            if (r->ck)
                qtp_ckq_close(r->ck, QTP_CLOSE_FORCED);
        }
        pthread_join(tc, NULL);
        uint64_t want = r->n * (r->n - 1) / 2 * (c->kind == STREAM ? o->slot_size / 8 : 1);
        if (!r->err && r->sum == want && r->t1 > r->t0)
            eps = (double)r->n / ((double)(r->t1 - r->t0) * 1e-9);
        else
            fprintf(stderr, "qtopo-bench-queues: %s failed (sum %" PRIu64 ", want %" PRIu64 ")\n",
                    c->name, r->sum, want);
    }
    qtp_ring_destroy(r->ring);
    qtp_mqueue_destroy(r->q);
    qtp_ckq_destroy(r->ck);
    free(r->buf);
    free(r);
    return eps;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool selected(const char *only, const char *name)
{
    if (!only)
        return true;
    size_t len = strlen(name);
    for (const char *p = only; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == len && strncmp(p, name, l) == 0)
            return true;
        p += l + (e ? 1 : 0);
    }
    return false;
}

/* ---- round trips ---- */

static uint64_t ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return now_ns();
#endif
}

struct rtt {
    uint64_t n;
    _Atomic int ready;
    _Atomic bool go;
    alignas(QTP_CACHE_BLOCK) _Atomic uint64_t line; /* raw: the line both threads write */
    struct qtp_ring *ping, *pong;
    struct qtp_seq back; /* ring: the producer's progress on pong (gates pong) */
    uint64_t *rt;        /* ticks per round trip */
    int err;
};

static void rtt_start(struct rtt *r)
{
    atomic_fetch_add(&r->ready, 1);
    while (!atomic_load_explicit(&r->go, memory_order_acquire))
        qtp_cpu_relax();
}

static void *raw_ping(void *arg)
{
    struct rtt *r = arg;
    rtt_start(r);
    for (uint64_t i = 0; i < r->n; i++) {
        uint64_t t0 = ticks();
        /* R1: pairs with A1 in raw_pong. */
        atomic_store_explicit(&r->line, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&r->line, memory_order_acquire) != 2 * i + 2) /* A2 */
            qtp_cpu_relax();
        r->rt[i] = ticks() - t0;
    }
    return NULL;
}

static void *raw_pong(void *arg)
{
    struct rtt *r = arg;
    rtt_start(r);
    for (uint64_t i = 0; i < r->n; i++) {
        while (atomic_load_explicit(&r->line, memory_order_acquire) != 2 * i + 1) /* A1 */
            qtp_cpu_relax();
        /* R2: pairs with A2 in raw_ping. */
        atomic_store_explicit(&r->line, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

static int echo_batch(void *ctx, struct qtp_ring *ping, int64_t lo, int64_t hi)
{
    struct rtt *r = ctx;
    uint32_t n = (uint32_t)(hi - lo + 1);
    int64_t phi;
    if (qtp_ring_claim(r->pong, n, &phi) != 0)
        return ECANCELED;
    for (int64_t s = lo; s <= hi; s++)
        *(uint64_t *)qtp_ring_slot(r->pong, phi - hi + s) =
            *(const uint64_t *)qtp_ring_slot(ping, s);
    qtp_ring_publish(r->pong, phi - n + 1, phi);
    return 0;
}

static void *ring_ping(void *arg)
{
    struct rtt *r = arg;
    struct qtp_barrier b;
    qtp_barrier_init(&b, r->pong, NULL, 0);
    rtt_start(r);
    for (uint64_t i = 0; i < r->n; i++) {
        uint64_t t0 = ticks();
        int64_t hi, avail = (int64_t)i - 1;
        if (qtp_ring_claim(r->ping, 1, &hi) != 0)
            break;
        *(uint64_t *)qtp_ring_slot(r->ping, hi) = i;
        qtp_ring_publish(r->ping, hi, hi);
        while (avail < (int64_t)i)
            if (qtp_barrier_wait_for(&b, (int64_t)i, &avail) != 0)
                return (r->err = 1), NULL;
        if (*(const uint64_t *)qtp_ring_slot(r->pong, (int64_t)i) != i)
            r->err = 1;
        /* R1 (qtp_seq_set): the pong slot is free again; pairs with A1 in the echo's claim. */
        qtp_seq_set(&r->back, (int64_t)i);
        r->rt[i] = ticks() - t0;
    }
    qtp_ring_halt(r->ping, QTP_HALT_GRACEFUL);
    return NULL;
}

static void *ring_echo(void *arg)
{
    struct rtt *r = arg;
    struct qtp_processor *p = aligned_alloc(QTP_CACHE_BLOCK, sizeof(*p));
    if (!p)
        return (r->err = 1), NULL;
    struct qtp_barrier b;
    qtp_barrier_init(&b, r->ping, NULL, 0);
    qtp_processor_init_batch(p, &b, echo_batch, r, 0);
    const struct qtp_seq *g[] = {&p->seq};
    qtp_ring_set_gating(r->ping, g, 1); /* before the start line: before any claim */
    rtt_start(r);
    if (qtp_processor_run(p) != 0)
        r->err = 1;
    free(p);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One timed run of n round trips: p50 and p99 in ns; false on failure. */
static bool rtt_once(const struct opts *o, bool ring, uint64_t n, double *p50, double *p99)
{
    struct rtt *r = aligned_alloc(QTP_CACHE_BLOCK, (sizeof(struct rtt) + QTP_CACHE_BLOCK - 1) /
                                                       QTP_CACHE_BLOCK * QTP_CACHE_BLOCK);
    if (!r)
        return false;
    memset(r, 0, sizeof(*r));
    r->n = n;
    r->rt = calloc(n, sizeof(*r->rt));
    qtp_seq_init(&r->back, -1);
    bool ok = r->rt != NULL;
    if (ok && ring) {
        struct qtp_ring_config rc = {o->ring_size, sizeof(uint64_t), QTP_PRODUCER_SINGLE,
                                     qtp_wait_find("spin")};
        const struct qtp_seq *g[] = {&r->back};
        ok = qtp_ring_create(&r->ping, &rc) == 0 && qtp_ring_create(&r->pong, &rc) == 0 &&
             qtp_ring_set_gating(r->pong, g, 1) == 0;
    }
    pthread_t a, b;
    if (ok && spawn(&b, ring ? ring_echo : raw_pong, r, o->cpu_cons, o->pin) == 0) {
        if (spawn(&a, ring ? ring_ping : raw_ping, r, o->cpu_prod, o->pin) == 0) {
            while (atomic_load(&r->ready) < 2)
                sched_yield();
            uint64_t t0 = ticks(), n0 = now_ns();
            atomic_store_explicit(&r->go, true, memory_order_release);
            pthread_join(a, NULL);
            uint64_t t1 = ticks(), n1 = now_ns();
            double ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
            qsort(r->rt, n, sizeof(*r->rt), cmp_u64);
            *p50 = (double)r->rt[n / 2] * ns_per_tick;
            *p99 = (double)r->rt[n - n / 100 - 1] * ns_per_tick;
        } else {
            r->err = 1;
            if (r->ping)
                qtp_ring_halt(r->ping, QTP_HALT_FORCED);
            if (!ring) /* release the pong thread */
                for (uint64_t i = 0; i < n; i++)
                    atomic_store(&r->line, 2 * i + 1);
        }
        pthread_join(b, NULL);
    } else {
        r->err = 1;
    }
    ok = ok && !r->err;
    if (!ok)
        fprintf(stderr, "qtopo-bench-queues: %s failed\n", ring ? "ring-rtt" : "raw-rtt");
    qtp_ring_destroy(r->ping);
    qtp_ring_destroy(r->pong);
    free(r->rt);
    free(r);
    return ok;
}

/* The round-trip rows: median over runs of each run's p50 and p99. */
static int round_trips(const struct opts *o)
{
    static const char *const names[] = {"raw-rtt", "ring-rtt"};
    uint64_t n = o->events / 20 < 1000 ? 1000 : o->events / 20;
    double *p50 = calloc(o->runs, sizeof(double)), *p99 = calloc(o->runs, sizeof(double));
    if (!p50 || !p99)
        return 1;
    double raw = 0;
    int status = 0;
    bool header = false;
    for (unsigned k = 0; k < 2; k++) {
        if (!selected(o->only, names[k]))
            continue;
        if (!header) {
            printf("\nround trips, one event between the two threads (%" PRIu64 " per run, the "
                   "TSC read at each end); ns, median over runs of each run's percentile:\n",
                   n);
            printf("%-13s %-6s %10s %10s %8s\n", "config", "wait", "p50", "p99", "p50/raw");
            header = true;
        }
        double x, y;
        if (!rtt_once(o, k == 1, n / 10 + 100, &x, &y)) { /* warm-up */
            status = 1;
            continue;
        }
        bool ok = true;
        for (uint32_t i = 0; i < o->runs && ok; i++)
            ok = rtt_once(o, k == 1, n, &p50[i], &p99[i]);
        if (!ok) {
            status = 1;
            continue;
        }
        qsort(p50, o->runs, sizeof(double), cmp_double);
        qsort(p99, o->runs, sizeof(double), cmp_double);
        double m50 = p50[o->runs / 2], m99 = p99[o->runs / 2];
        if (k == 0)
            raw = m50;
        char ratio[16] = "-";
        if (raw > 0)
            snprintf(ratio, sizeof ratio, "%.2f", m50 / raw);
        printf("%-13s %-6s %10.0f %10.0f %8s\n", names[k], "spin", m50, m99, ratio);
        fflush(stdout);
    }
    free(p50);
    free(p99);
    return status;
}

static uint64_t parse_count(const char *opt, const char *s, uint64_t max)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1e3, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1e6, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1e9, end++;
    v *= mul;
    if (errno || end == s || *end || v < 1 || v > (double)max || v != (double)(uint64_t)v) {
        fprintf(stderr,
                "qtopo-bench-queues: bad %s '%s' (accepted: a whole number 1..%" PRIu64
                ", K/M/G suffixes)\n",
                opt, s, max);
        exit(2);
    }
    return (uint64_t)v;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: qtopo-bench-queues [options]\n"
        "  -n, --events N      events per run (K/M/G; default 20M; blocking kinds run N/10)\n"
        "  -b, --batch N       the large batch: ring claim size and stream chunk (default "
        "256)\n"
        "  -s, --ring-size N   ring and queue capacity, a power of two (default 4096)\n"
        "  -r, --runs N        timed runs per configuration (default 5), after one warm-up\n"
        "      --slot-size N   bytes per event, a multiple of 8 (default 8; a qtopo unicast\n"
        "                      event is 32): ring rows write and read each slot's first 8\n"
        "                      bytes, stream-copy every byte\n"
        "      --only LIST     configurations by name: stream-copy, ring-spin, ring-yield,\n"
        "                      ring-block, mutex-array, mutex-linked, ck-ring, raw-rtt, ring-rtt\n"
        "                      (round trips: events/20 per run)\n"
        "      --cpus P,C      pin the producer to CPU P, the consumer to CPU C (default 0,1;\n"
        "                      0,0 puts both on one CPU)\n"
        "      --no-pin        do not pin the threads\n");
}

int main(int argc, char **argv)
{
    struct opts o = {20000000, 256, 4096, 5, 8, NULL, true, 0, 1};
    static const struct option lo[] = {
        {"events", required_argument, NULL, 'n'},
        {"batch", required_argument, NULL, 'b'},
        {"ring-size", required_argument, NULL, 's'},
        {"runs", required_argument, NULL, 'r'},
        {"slot-size", required_argument, NULL, 'S'},
        {"only", required_argument, NULL, 'o'},
        {"no-pin", no_argument, NULL, 'P'},
        {"cpus", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "n:b:s:r:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'n':
            o.events = parse_count("--events", optarg, UINT64_C(1) << 40);
            break;
        case 'b':
            o.batch = (uint32_t)parse_count("--batch", optarg, 1u << 20);
            break;
        case 's':
            o.ring_size = (uint32_t)parse_count("--ring-size", optarg, 1u << 30);
            break;
        case 'r':
            o.runs = (uint32_t)parse_count("--runs", optarg, 1000);
            break;
        case 'S':
            o.slot_size = (uint32_t)parse_count("--slot-size", optarg, 4096);
            if (o.slot_size % 8) {
                fprintf(stderr,
                        "qtopo-bench-queues: bad --slot-size '%s' (accepted: a multiple of "
                        "8 from 8 to 4096)\n",
                        optarg);
                return 2;
            }
            break;
        case 'o':
            o.only = optarg;
            break;
        case 'P':
            o.pin = false;
            break;
        case 'c': {
            char *end;
            long a = strtol(optarg, &end, 10), b = -1;
            if (*end == ',')
                b = strtol(end + 1, &end, 10);
            long n = sysconf(_SC_NPROCESSORS_ONLN);
            if (*end || a < 0 || b < 0 || a >= n || b >= n || a >= CPU_SETSIZE ||
                b >= CPU_SETSIZE) {
                fprintf(stderr,
                        "qtopo-bench-queues: bad --cpus '%s' (accepted: P,C with CPU ids 0..%ld)\n",
                        optarg, n - 1);
                return 2;
            }
            o.cpu_prod = (int)a;
            o.cpu_cons = (int)b;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "qtopo-bench-queues: unexpected argument '%s' (see --help)\n",
                argv[optind]);
        return 2;
    }
    if (o.ring_size & (o.ring_size - 1)) {
        fprintf(stderr, "qtopo-bench-queues: bad --ring-size '%u' (accepted: a power of two)\n",
                o.ring_size);
        return 2;
    }
    if (o.batch > o.ring_size || o.ring_size % o.batch) {
        fprintf(stderr,
                "qtopo-bench-queues: bad --batch '%u' (accepted: a divisor of --ring-size %u)\n",
                o.batch, o.ring_size);
        return 2;
    }
    if (o.only) {
        char *copy = strdup(o.only);
        for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
            bool known = false;
            for (const struct config *c = configs; c->name; c++)
                known |= strcmp(c->name, tok) == 0;
            known |= strcmp(tok, "raw-rtt") == 0 || strcmp(tok, "ring-rtt") == 0;
            if (!known) {
                fprintf(stderr,
                        "qtopo-bench-queues: bad --only '%s' (accepted: stream-copy, ring-spin, "
                        "ring-yield, ring-block, mutex-array, mutex-linked, ck-ring, raw-rtt, "
                        "ring-rtt)\n",
                        tok);
                free(copy);
                return 2;
            }
        }
        free(copy);
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 2 && o.pin && o.cpu_prod != o.cpu_cons) {
        printf("note: fewer than 2 CPUs online (%ld): threads not pinned; spin figures are "
               "meaningless here\n",
               ncpu);
        o.pin = false;
    }
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 0)
        load[0] = -1;
    char where[64] = "threads not pinned";
    if (o.pin)
        snprintf(where, sizeof where, "producer pinned to CPU %d, consumer to CPU %d", o.cpu_prod,
                 o.cpu_cons);
    printf("qtopo-bench-queues: 1P->1C, %s; ring/queue capacity %u x 8-byte events (ring "
           "slots and stream-copy events %u bytes); median of %u runs after a warm-up; load "
           "average %.2f\n",
           where, o.ring_size, o.slot_size, o.runs, load[0]);
    bool any = false;
    for (const struct config *c = configs; c->name; c++)
        any |= selected(o.only, c->name);
    if (any)
        printf("%-13s %-6s %6s %-7s %10s %12s %12s %12s %8s\n", "config", "wait", "batch",
               "handler", "events", "median ev/s", "min", "max", "/stream");
    double stream_median = 0;
    double *v = calloc(o.runs, sizeof(double));
    if (!v)
        return 1;
    int status = 0;
    for (const struct config *c = configs; c->name; c++) {
        if (!selected(o.only, c->name))
            continue;
        uint64_t n = o.events / c->slow;
        if (n < o.batch)
            n = o.batch;
        if (run_once(&o, c, n / 10 + o.batch) < 0) { /* warm-up */
            status = 1;
            continue;
        }
        bool ok = true;
        for (uint32_t i = 0; i < o.runs && ok; i++)
            ok = (v[i] = run_once(&o, c, n)) > 0;
        if (!ok) {
            status = 1;
            continue;
        }
        qsort(v, o.runs, sizeof(double), cmp_double);
        double med = o.runs % 2 ? v[o.runs / 2] : (v[o.runs / 2 - 1] + v[o.runs / 2]) / 2;
        if (c->kind == STREAM)
            stream_median = med;
        char ratio[16] = "-";
        if (stream_median > 0)
            snprintf(ratio, sizeof ratio, "%.3f", med / stream_median);
        const char *wait = c->kind == MQUEUE ? "block" : (c->kind == STREAM ? "spin" : c->what);
        const char *h = c->kind == RING ? (c->batch_handler ? "batch" : "event") : "-";
        printf("%-13s %-6s %6u %-7s %10" PRIu64 " %12.4g %12.4g %12.4g %8s\n", c->name, wait,
               c->big_batch ? o.batch : 1, h, n, med, v[0], v[o.runs - 1], ratio);
        fflush(stdout);
    }
    free(v);
    return round_trips(&o) | status;
}
