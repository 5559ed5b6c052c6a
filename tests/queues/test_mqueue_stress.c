/* Stress of the mutex queues, each kind: 1P -> 1C, and 2P -> 2C sharing one queue (each
 * consumer must see each producer's events in increasing order; together exactly once).
 * Checks nothing lost, nothing duplicated, per-producer order, checksum; the run ends with a
 * graceful close, so the drain is checked too. Options: --long (10x), --seed N. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest.h"
#include "qtp_mqueue.h"

#define MAXT 2
#define CAPACITY 64

struct mev {
    uint64_t value;
    uint64_t pseq;
    uint32_t producer;
    uint32_t pad;
};

static uint64_t g_seed;
static uint64_t g_events;

static uint64_t ev_value(uint32_t producer, uint64_t pseq)
{
    return qt_mix(g_seed ^ ((uint64_t)producer << 48) ^ pseq);
}

struct prod {
    struct qtp_mqueue *q;
    uint32_t id;
    uint64_t n;
    uint64_t rng;
    uint64_t sum;
    int rc;
};

static void *prod_main(void *arg)
{
    struct prod *p = arg;
    for (uint64_t i = 0; i < p->n; i++) {
        struct mev e = {ev_value(p->id, i), i, p->id, 0};
        int rc;
        if (qt_rand(&p->rng) % 4 == 0) {
            rc = qtp_mqueue_try_push(p->q, &e);
            if (rc == EAGAIN)
                rc = qtp_mqueue_push(p->q, &e);
        } else {
            rc = qtp_mqueue_push(p->q, &e);
        }
        if (rc) {
            p->rc = rc;
            return NULL;
        }
        p->sum += e.value;
    }
    return NULL;
}

struct cons {
    struct qtp_mqueue *q;
    uint32_t nprod;
    bool contiguous; /* one consumer: per-producer sequences are exactly 0, 1, 2, ... */
    int64_t last[MAXT];
    uint64_t count[MAXT];
    uint64_t sum;
    uint64_t errors;
    int rc;
};

static void *cons_main(void *arg)
{
    struct cons *c = arg;
    for (uint32_t i = 0; i < MAXT; i++)
        c->last[i] = -1;
    struct mev e;
    int rc;
    while ((rc = qtp_mqueue_pop(c->q, &e)) == 0) {
        if (e.producer >= c->nprod || e.value != ev_value(e.producer, e.pseq) ||
            (int64_t)e.pseq <= c->last[e.producer] ||
            (c->contiguous && (int64_t)e.pseq != c->last[e.producer] + 1)) {
            c->errors++;
            continue;
        }
        c->last[e.producer] = (int64_t)e.pseq;
        c->count[e.producer]++;
        c->sum += e.value;
    }
    c->rc = rc;
    return NULL;
}

static void run(const struct qtp_mqueue_ops *o, uint32_t nthreads)
{
    uint64_t per = qt_scale(g_events) / nthreads;
    struct qtp_mqueue *q;
    assert_int_equal(o->create(&q, CAPACITY, sizeof(struct mev)), 0);
    struct prod prods[MAXT];
    struct cons conss[MAXT];
    pthread_t pt[MAXT], ct[MAXT];
    double t0 = qt_now();
    for (uint32_t j = 0; j < nthreads; j++) {
        conss[j] = (struct cons){.q = q, .nprod = nthreads, .contiguous = nthreads == 1};
        assert_int_equal(pthread_create(&ct[j], NULL, cons_main, &conss[j]), 0);
    }
    for (uint32_t i = 0; i < nthreads; i++) {
        prods[i] = (struct prod){q, i, per, g_seed * 17 + i, 0, 0};
        assert_int_equal(pthread_create(&pt[i], NULL, prod_main, &prods[i]), 0);
    }
    for (uint32_t i = 0; i < nthreads; i++)
        if (qt_join_within(pt[i], 240.0, NULL) != 0) {
            qtp_mqueue_close(q, QTP_CLOSE_FORCED);
            fail_msg("%s: producer %u stuck (depth %zu)", o->name, i, qtp_mqueue_depth(q));
        }
    qtp_mqueue_close(q, QTP_CLOSE_GRACEFUL);
    for (uint32_t j = 0; j < nthreads; j++)
        if (qt_join_within(ct[j], 60.0, NULL) != 0)
            fail_msg("%s: consumer %u did not drain", o->name, j);
    double dt = qt_now() - t0;
    uint64_t want = 0, got = 0;
    for (uint32_t i = 0; i < nthreads; i++) {
        assert_int_equal(prods[i].rc, 0);
        want += prods[i].sum;
    }
    for (uint32_t i = 0; i < nthreads; i++) {
        uint64_t n = 0;
        for (uint32_t j = 0; j < nthreads; j++)
            n += conss[j].count[i];
        assert_int_equal(n, per); /* producer i: none lost, none duplicated */
    }
    for (uint32_t j = 0; j < nthreads; j++) {
        assert_int_equal(conss[j].errors, 0);
        assert_int_equal(conss[j].rc, EPIPE);
        got += conss[j].sum;
    }
    assert_int_equal(got, want);
    assert_int_equal(qtp_mqueue_depth(q), 0);
    printf("  %-12s %uP->%uC %8" PRIu64 " events %6.2f s (%.2g events/s, not a benchmark)\n",
           o->name, nthreads, nthreads, per * nthreads, dt, (double)(per * nthreads) / dt);
    fflush(stdout);
    qtp_mqueue_destroy(q);
}

static void test_array_1p1c(void **state)
{
    (void)state;
    run(qtp_mqueue_find("mutex-array"), 1);
}
static void test_linked_1p1c(void **state)
{
    (void)state;
    run(qtp_mqueue_find("mutex-linked"), 1);
}
static void test_array_2p2c(void **state)
{
    (void)state;
    run(qtp_mqueue_find("mutex-array"), 2);
}
static void test_linked_2p2c(void **state)
{
    (void)state;
    run(qtp_mqueue_find("mutex-linked"), 2);
}

int main(int argc, char **argv)
{
    g_seed = qt_seed(argc, argv);
    g_events = 1000000;
    if (qt_has_flag(argc, argv, "--long"))
        g_events *= 10;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_1p1c),
        cmocka_unit_test(test_linked_1p1c),
        cmocka_unit_test(test_array_2p2c),
        cmocka_unit_test(test_linked_2p2c),
    };
    return cmocka_run_group_tests_name("queues_mqueue_stress", tests, NULL, NULL);
}
