/* microbench.c - qtopo-microbench: single-thread costs of the primitives, on Google Benchmark.
 *
 * Written in C through gbench_shim.h; takes Google Benchmark's flags, e.g.
 *   qtopo-microbench --benchmark_format=json --benchmark_out=mb.json --benchmark_repetitions=5
 * and its JSON goes straight into Google Benchmark's compare.py.
 *
 * One iteration is one event (one push+pop, one signal, one record, one malloc+free), so the
 * reported time is ns per event and rows compare across batch sizes. Bodies run in batches of
 * iterations (qtp_gb_keep_running_batch) so the call through the shim is amortised.
 *
 * What each benchmark measures, single-threaded (nobody else waits or contends):
 *   ring_sp_cycle/batch:N   claim N on a single-producer ring, write the N slots, publish,
 *                           then one inlined consumer pass: barrier wait_for, read the slots,
 *                           set the consumer's sequence (the loop qtp_processor_run runs)
 *   mqueue_push_pop/<kind>  push one event copy and pop it back (mutex-array, mutex-linked)
 *   ckq_push_pop/<kind>/<variant>/<wait>  the same on a Concurrency Kit queue (ck-ring): spsc
 *                           (what a per-edge deployment uses for one producer) and mpmc (several
 *                           producers: the sequencer's edge), waiting by spin (no signal) or
 *                           block (a signal that finds nobody asleep)
 *   wait_signal/<strategy>  the signal path (qtp_waiter_signal) when no thread waits
 *   hist_record             qtp_hist_record of a spread of latencies
 *   malloc_free/counted     malloc+free of 64 bytes through the allocation counter's interposer
 *                           (alloc_count.h), which qtopo-microbench links as qtopo does
 *   malloc_free/libc        the same through glibc's own entry points: the cost with no
 *                           interposer; the difference is the counter's overhead
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbench_shim.h"
#include "qtp_ckq.h"
#include "qtp_hist.h"
#include "qtp_mqueue.h"
#include "qtp_ring.h"
#include "qtp_seq.h"
#include "qtp_wait.h"
#include "alloc_count.h"

#define EVENT_BYTES 64
#define RING_CAPACITY 1024
#define QUEUE_CAPACITY 1024

/* An event-sized slot: the fields the microbenchmarks write and read. */
struct mb_event {
    int64_t seq;
    uint64_t input;
    uint64_t out[6];
};
_Static_assert(sizeof(struct mb_event) == EVENT_BYTES, "one event is 64 bytes");

/* ---- ring: claim + write + publish + consume ---- */

static void bm_ring_sp_cycle(qtp_gb_state *st, void *ctx)
{
    (void)ctx;
    uint32_t batch = (uint32_t)qtp_gb_range(st, 0);
    struct qtp_ring_config cfg = {
        .capacity = RING_CAPACITY,
        .slot_size = sizeof(struct mb_event),
        .producer = QTP_PRODUCER_SINGLE,
        .wait = qtp_wait_find("spin"),
    };
    struct qtp_ring *ring = NULL;
    int rc = qtp_ring_create(&ring, &cfg);
    if (rc != 0) {
        qtp_gb_skip_with_error(st, strerror(rc));
        while (qtp_gb_keep_running(st))
            ;
        return;
    }
    /* The consumer's sequence gates the producer, as the last stage of a topology does. */
    static struct qtp_seq consumer;
    qtp_seq_init(&consumer, QTP_SEQ_INITIAL);
    const struct qtp_seq *gating[] = {&consumer};
    struct qtp_barrier barrier;
    if (qtp_ring_set_gating(ring, gating, 1) != 0 || qtp_barrier_init(&barrier, ring, NULL, 0)) {
        qtp_gb_skip_with_error(st, "ring set-up failed");
        while (qtp_gb_keep_running(st))
            ;
        qtp_ring_destroy(ring);
        return;
    }

    uint64_t sum = 0;
    int64_t next = 0;
    while (qtp_gb_keep_running_batch(st, batch)) {
        int64_t hi;
        if (qtp_ring_claim(ring, batch, &hi) != 0)
            break;
        int64_t lo = hi - (int64_t)batch + 1;
        for (int64_t s = lo; s <= hi; s++) {
            struct mb_event *ev = qtp_ring_slot(ring, s);
            ev->seq = s;
            ev->input = (uint64_t)s * 0x9E3779B97F4A7C15u;
        }
        qtp_ring_publish(ring, lo, hi);

        /* The consumer loop of qtp_processor_run, inlined: one batch per wait_for. */
        while (next <= hi) {
            int64_t avail;
            if (qtp_barrier_wait_for(&barrier, next, &avail) != 0)
                break;
            for (int64_t s = next; s <= avail; s++) {
                struct mb_event *ev = qtp_ring_slot(ring, s);
                ev->out[0] = ev->input ^ (uint64_t)ev->seq;
                sum += ev->out[0];
            }
            qtp_seq_set(&consumer, avail);
            qtp_ring_signal(ring); /* as qtp_processor_run does after each batch */
            next = avail + 1;
        }
    }
    qtp_gb_use_u64(sum);
    qtp_gb_set_items_processed(st, qtp_gb_iterations(st));
    qtp_ring_destroy(ring);
}

/* ---- mutex queues: push + pop ---- */

static void bm_mqueue_push_pop(qtp_gb_state *st, void *ctx)
{
    const struct qtp_mqueue_ops *kind = ctx;
    struct qtp_mqueue *q = NULL;
    int rc = kind->create(&q, QUEUE_CAPACITY, sizeof(struct mb_event));
    if (rc != 0) {
        qtp_gb_skip_with_error(st, strerror(rc));
        while (qtp_gb_keep_running(st))
            ;
        return;
    }
    struct mb_event in = {0}, out;
    uint64_t sum = 0;
    while (qtp_gb_keep_running_batch(st, 16)) {
        for (int i = 0; i < 16; i++) {
            in.seq++;
            if (qtp_mqueue_push(q, &in) != 0 || qtp_mqueue_pop(q, &out) != 0) {
                qtp_gb_skip_with_error(st, "push or pop failed");
                break;
            }
            sum += (uint64_t)out.seq;
        }
        if (qtp_gb_error_occurred(st))
            break;
    }
    qtp_gb_use_u64(sum);
    qtp_gb_set_items_processed(st, qtp_gb_iterations(st));
    qtp_mqueue_destroy(q);
}

/* ---- Concurrency Kit queues: push + pop ---- */

struct ckq_case {
    const struct qtp_ckq_ops *kind;
    unsigned producers; /* 1: spsc, more: mpmc */
    const struct qtp_wait_ops *wait;
};

static void bm_ckq_push_pop(qtp_gb_state *st, void *ctx)
{
    const struct ckq_case *c = ctx;
    struct qtp_ckq *q = NULL;
    int rc = c->kind->create(&q, QUEUE_CAPACITY, sizeof(struct mb_event), c->producers, 1, c->wait);
    if (rc != 0) {
        qtp_gb_skip_with_error(st, strerror(rc));
        while (qtp_gb_keep_running(st))
            ;
        return;
    }
    struct mb_event in = {0}, out;
    uint64_t sum = 0;
    while (qtp_gb_keep_running_batch(st, 16)) {
        for (int i = 0; i < 16; i++) {
            in.seq++;
            if (qtp_ckq_push(q, &in) != 0 || qtp_ckq_pop(q, &out) != 0) {
                qtp_gb_skip_with_error(st, "push or pop failed");
                break;
            }
            sum += (uint64_t)out.seq;
        }
        if (qtp_gb_error_occurred(st))
            break;
    }
    qtp_gb_use_u64(sum);
    qtp_gb_set_items_processed(st, qtp_gb_iterations(st));
    qtp_ckq_destroy(q);
}

/* ---- wait strategies: signal with nobody waiting ---- */

static void bm_wait_signal(qtp_gb_state *st, void *ctx)
{
    const struct qtp_wait_ops *ops = ctx;
    static struct qtp_waiter w; /* static: its fields are block-aligned */
    int rc = qtp_waiter_init(&w, ops);
    if (rc != 0) {
        qtp_gb_skip_with_error(st, strerror(rc));
        while (qtp_gb_keep_running(st))
            ;
        return;
    }
    while (qtp_gb_keep_running_batch(st, 64)) {
        for (int i = 0; i < 64; i++) {
            qtp_waiter_signal(&w);
            qtp_gb_clobber_memory();
        }
    }
    qtp_gb_set_items_processed(st, qtp_gb_iterations(st));
    qtp_waiter_destroy(&w);
}

/* ---- histogram record ---- */

#define HIST_VALUES 4096

static void bm_hist_record(qtp_gb_state *st, void *ctx)
{
    (void)ctx;
    /* Latencies spread log-uniformly over 64 ns .. ~4 ms, as end-to-end latencies are: every
     * bucket range the recorder sees in practice, not one hot sub-bucket. Fixed seed: the same
     * values on both sides of a comparison. */
    static uint64_t values[HIST_VALUES];
    uint64_t x = 0x2545F4914F6CDD1Du;
    for (size_t i = 0; i < HIST_VALUES; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned shift = 6 + (unsigned)(x % 16);
        values[i] = (1ull << shift) + (x >> 40) % (1ull << shift);
    }
    struct qtp_hist *h = NULL;
    int rc = qtp_hist_create(&h);
    if (rc != 0) {
        qtp_gb_skip_with_error(st, strerror(rc));
        while (qtp_gb_keep_running(st))
            ;
        return;
    }
    size_t i = 0;
    while (qtp_gb_keep_running_batch(st, 64)) {
        for (int k = 0; k < 64; k++) {
            qtp_hist_record(h, values[i]);
            i = (i + 1) & (HIST_VALUES - 1);
        }
    }
    qtp_gb_use_u64(qtp_hist_count(h));
    qtp_gb_set_items_processed(st, qtp_gb_iterations(st));
    qtp_hist_destroy(h);
}

/* ---- allocation: malloc + free, with and without the counter ---- */

/* glibc's own entry points: what malloc costs with no interposer in front of it. When this
 * binary links the allocation counter (alloc_count.h), malloc/free are the counting versions,
 * which forward to these; without it, both rows measure glibc. */
extern void *__libc_malloc(size_t size);
extern void __libc_free(void *p);

static void bm_malloc_free(qtp_gb_state *st, void *ctx)
{
    bool libc = ctx != NULL;
    size_t size = (size_t)qtp_gb_range(st, 0);
    struct qtp_alloc_counts before, after, d;
    qtp_alloc_count_self(&before);
    while (qtp_gb_keep_running_batch(st, 16)) {
        for (int i = 0; i < 16; i++) {
            void *p = libc ? __libc_malloc(size) : malloc(size);
            qtp_gb_do_not_optimize(p);
            if (libc)
                __libc_free(p);
            else
                free(p);
        }
    }
    qtp_alloc_count_self(&after);
    qtp_alloc_counts_diff(&before, &after, &d);
    /* Calls the counter saw per iteration: 1 through the interposer, 0 for glibc's entry points
     * (and 0 when no interposer is linked: the row then measures plain glibc). */
    qtp_gb_set_counter(st, "counted_per_iter", d.available ? (double)d.calls : 0.0,
                       QTP_GB_COUNTER_AVG_ITERATIONS);
    qtp_gb_set_items_processed(st, qtp_gb_iterations(st));
}

/* ---- registration ---- */

static void register_all(void)
{
    qtp_gb_bench *b = qtp_gb_register("ring_sp_cycle", bm_ring_sp_cycle, NULL);
    qtp_gb_arg_name(b, "batch");
    qtp_gb_arg(b, 1);
    qtp_gb_arg(b, 16);
    qtp_gb_arg(b, 256);

    char name[128];
    for (const struct qtp_mqueue_ops *k = qtp_mqueue_kinds; k->name; k++) {
        snprintf(name, sizeof name, "mqueue_push_pop/%s", k->name);
        qtp_gb_register(name, bm_mqueue_push_pop, (void *)k);
    }
    /* Each kind in both variants, with the wait that never signals and the one that does. */
    static struct ckq_case ckq_cases[8];
    size_t nck = 0;
    static const char *const ck_waits[] = {"spin", "block"};
    for (const struct qtp_ckq_ops *k = qtp_ckq_kinds; k->name; k++)
        for (unsigned producers = 1; producers <= 3; producers += 2)
            for (size_t w = 0; w < 2 && nck < sizeof ckq_cases / sizeof *ckq_cases; w++) {
                ckq_cases[nck] = (struct ckq_case){k, producers, qtp_wait_find(ck_waits[w])};
                snprintf(name, sizeof name, "ckq_push_pop/%s/%s/%s", k->name,
                         producers == 1 ? "spsc" : "mpmc", ck_waits[w]);
                qtp_gb_register(name, bm_ckq_push_pop, &ckq_cases[nck++]);
            }
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++) {
        snprintf(name, sizeof name, "wait_signal/%s", w->name);
        qtp_gb_register(name, bm_wait_signal, (void *)w);
    }
    qtp_gb_register("hist_record", bm_hist_record, NULL);

    static int libc = 1;
    qtp_gb_arg(qtp_gb_register("malloc_free/libc", bm_malloc_free, &libc), 64);
    qtp_gb_arg(qtp_gb_register("malloc_free/counted", bm_malloc_free, NULL), 64);
}

int main(int argc, char **argv)
{
    register_all();
    return qtp_gb_main(argc, argv);
}
