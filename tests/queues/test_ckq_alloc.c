/* The ck_ring queues allocate nothing per event: over a window of pushes and pops, on a producer
 * and a consumer thread, in every wait strategy and both variants (full and empty queues
 * included, so the waits run too), the malloc interposer's per-thread counts (alloc_count.h)
 * and a counting qtp_alloc hook both read 0. The interposer is a stub in ASan/TSan builds
 * (their runtimes interpose malloc): there only the qtp_alloc half is checked, and the test
 * says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "alloc_count.h"
#include "qtest.h"
#include "qtp_alloc.h"
#include "qtest_alloc.h"
#include "qtp_ckq.h"

#define EVENTS 20000
#define CAPACITY 4

struct side {
    struct qtp_ckq *q;
    _Atomic int *go;
    uint64_t n;
    uint64_t sum;
    int rc;
    struct qtp_alloc_counts d; /* this thread's malloc calls and frees over its window */
};

static void *producer(void *arg)
{
    struct side *s = arg;
    while (!atomic_load(s->go))
        qtp_cpu_relax();
    struct qtp_alloc_counts a, b;
    qtp_alloc_count_self(&a);
    for (uint64_t i = 0; i < s->n && s->rc == 0; i++) {
        uint64_t ev[3] = {i, ~i, i * 7};
        s->rc = i % 3 == 0 && qtp_ckq_try_push(s->q, ev) == 0 ? 0 : qtp_ckq_push(s->q, ev);
        s->sum += i;
    }
    qtp_alloc_count_self(&b);
    qtp_alloc_counts_diff(&a, &b, &s->d);
    return NULL;
}

static void *consumer(void *arg)
{
    struct side *s = arg;
    while (!atomic_load(s->go))
        qtp_cpu_relax();
    struct qtp_alloc_counts a, b;
    qtp_alloc_count_self(&a);
    uint64_t ev[3];
    for (uint64_t i = 0; i < s->n && s->rc == 0; i++) {
        s->rc = qtp_ckq_pop(s->q, ev);
        s->sum += ev[0];
    }
    qtp_alloc_count_self(&b);
    qtp_alloc_counts_diff(&a, &b, &s->d);
    return NULL;
}

static void test_nothing_per_event(void **state)
{
    (void)state;
    qtp_alloc_set_hook(&qtest_counting_hook);
    bool counted = true;
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++) {
        /* spsc 1P -> 1C, mpmc 2P -> 2C. */
        for (unsigned pairs = 1; pairs <= 2; pairs++) {
            struct qtp_ckq *q;
            assert_int_equal(
                qtp_ckq_kinds[0].create(&q, CAPACITY, 3 * sizeof(uint64_t), pairs, pairs, w), 0);
            long hook_before = atomic_load(&qtest_hook_calls);
            /* Spinners outnumbering the CPUs crawl (a time slice per hand-off): fewer events. */
            uint64_t n =
                w->spins && 2 * pairs > (unsigned)qt_ncpus() ? EVENTS / 100 : qt_scale(EVENTS);
            _Atomic int go = 0;
            struct side sides[4];
            pthread_t t[4];
            for (unsigned i = 0; i < 2 * pairs; i++) {
                sides[i] = (struct side){.q = q, .go = &go, .n = n};
                assert_int_equal(
                    pthread_create(&t[i], NULL, i < pairs ? producer : consumer, &sides[i]), 0);
            }
            double t0 = qt_now();
            atomic_store(&go, 1);
            for (unsigned i = 0; i < 2 * pairs; i++)
                if (qt_join_within(t[i], 120.0, NULL) != 0)
                    fail_msg("%s/%s: thread %u stuck", w->name, qtp_ckq_variant(q), i);
            uint64_t sent = 0, got = 0;
            for (unsigned i = 0; i < 2 * pairs; i++) {
                assert_int_equal(sides[i].rc, 0);
                *(i < pairs ? &sent : &got) += sides[i].sum;
                counted &= sides[i].d.available;
                if (sides[i].d.available && (sides[i].d.calls || sides[i].d.frees))
                    fail_msg("%s/%s: %s thread %u made %" PRIu64 " allocations and %" PRIu64
                             " frees over %" PRIu64 " events",
                             w->name, qtp_ckq_variant(q), i < pairs ? "producer" : "consumer", i,
                             sides[i].d.calls, sides[i].d.frees, n);
            }
            assert_int_equal(sent, got);
            assert_int_equal(atomic_load(&qtest_hook_calls), hook_before);
            printf("  %-5s %s: %u x %" PRIu64
                   " events, 0 malloc calls%s, 0 qtp_alloc calls (%.2f s)\n",
                   w->name, qtp_ckq_variant(q), pairs, n, counted ? "" : " (not counted here)",
                   qt_now() - t0);
            qtp_ckq_destroy(q);
        }
    }
    qtp_alloc_set_hook(NULL);
    if (!counted)
        printf("  malloc counts are unavailable in sanitizer builds: only the qtp_alloc hook was "
               "checked\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_per_event),
    };
    return cmocka_run_group_tests_name("queues_ckq_alloc", tests, NULL, NULL);
}
