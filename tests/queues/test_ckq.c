/* Unit tests of the ck_ring queues (qtp_ckq.h): registry and argument checks, the variant
 * chosen per edge shape, FIFO and exact capacity across wrap-around (capacities 1..5 and 8),
 * try_push on full, graceful and forced close, destroy, storage through qtp_alloc, and close
 * while pops or pushes are blocked, in every wait strategy of the registry, and a strategy's
 * constants set on the queue. Each test runs
 * over both variants (spsc, mpmc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest.h"
#include "qtp_alloc.h"
#include "qtp_ckq.h"

#define PROMPT_S 1.0 /* a blocked call returns within this of the close */

struct ev {
    uint64_t a, b, c; /* 24 bytes: not a power of two on purpose */
};

static struct ev make_ev(uint64_t i)
{
    struct ev e = {i, qt_mix(i), ~i};
    return e;
}

static void check_ev(const struct ev *e, uint64_t i)
{
    assert_int_equal(e->a, i);
    assert_int_equal(e->b, qt_mix(i));
    assert_int_equal(e->c, ~i);
}

/* The two variants, by edge shape. */
struct shape {
    const char *variant;
    unsigned producers, consumers;
};
static const struct shape shapes[] = {{"spsc", 1, 1}, {"mpmc", 2, 2}};
#define NSHAPES 2

static struct qtp_ckq *make_q(const struct shape *s, size_t cap, const struct qtp_wait_ops *w)
{
    struct qtp_ckq *q = NULL;
    assert_int_equal(
        qtp_ckq_kinds[0].create(&q, cap, sizeof(struct ev), s->producers, s->consumers, w), 0);
    assert_non_null(q);
    assert_string_equal(qtp_ckq_variant(q), s->variant);
    return q;
}

static void test_registry(void **state)
{
    (void)state;
    int n = 0;
    for (const struct qtp_ckq_ops *o = qtp_ckq_kinds; o->name; o++, n++) {
        assert_non_null(o->summary);
        assert_ptr_equal(qtp_ckq_find(o->name), o);
        assert_false(o->allocates_per_event);
        struct qtp_ckq *q = (void *)1;
        assert_int_equal(o->create(&q, 0, 8, 1, 1, NULL), EINVAL);
        assert_null(q);
        assert_int_equal(o->create(&q, 8, 0, 1, 1, NULL), EINVAL);
        assert_int_equal(o->create(&q, 8, 8, 0, 1, NULL), EINVAL);
        assert_int_equal(o->create(&q, 8, 8, 1, 0, NULL), EINVAL);
        assert_int_equal(o->create(&q, ((size_t)1 << 30) + 1, 8, 1, 1, NULL), EINVAL);
        assert_int_equal(o->create(&q, 1024, SIZE_MAX / 64, 1, 1, NULL), EINVAL);
        assert_null(q);
    }
    assert_int_equal(n, 1);
    assert_string_equal(qtp_ckq_kinds[0].name, "ck-ring");
    assert_null(qtp_ckq_find("ring"));
    assert_null(qtp_ckq_find("mutex-array"));
    assert_null(qtp_ckq_find(NULL));
}

/* spsc only where an edge has exactly one producer and one consumer. */
static void test_variant_per_shape(void **state)
{
    (void)state;
    static const struct {
        unsigned p, c;
        const char *variant;
    } cases[] = {{1, 1, "spsc"}, {3, 1, "mpmc"}, {1, 2, "mpmc"}, {2, 2, "mpmc"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct qtp_ckq *q;
        assert_int_equal(qtp_ckq_kinds[0].create(&q, 4, 8, cases[i].p, cases[i].c, NULL), 0);
        assert_string_equal(qtp_ckq_variant(q), cases[i].variant);
        qtp_ckq_destroy(q);
    }
}

static void test_fifo_capacity(void **state)
{
    (void)state;
    static const size_t caps[] = {1, 2, 3, 4, 5, 8};
    for (int s = 0; s < NSHAPES; s++) {
        for (size_t ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
            size_t cap = caps[ci];
            struct qtp_ckq *q = make_q(&shapes[s], cap, NULL);
            assert_int_equal(qtp_ckq_capacity(q), cap);
            assert_int_equal(qtp_ckq_depth(q), 0);
            uint64_t pushed = 0, popped = 0;
            /* Fill, overflow, drain partly; repeat so the rings and buffers wrap many times
             * (ck's counters too: 200 rounds of up to 8 is far past every ring size here). */
            for (int round = 0; round < 200; round++) {
                while (qtp_ckq_depth(q) < cap) {
                    struct ev e = make_ev(pushed++);
                    assert_int_equal(round & 1 ? qtp_ckq_try_push(q, &e) : qtp_ckq_push(q, &e), 0);
                }
                struct ev e = make_ev(999);
                assert_int_equal(qtp_ckq_try_push(q, &e), EAGAIN);
                assert_int_equal(qtp_ckq_try_push(q, &e), EAGAIN);
                assert_int_equal(qtp_ckq_depth(q), cap);
                size_t take = 1 + (size_t)round % cap;
                for (size_t i = 0; i < take; i++) {
                    struct ev out;
                    assert_int_equal(qtp_ckq_pop(q, &out), 0);
                    check_ev(&out, popped++);
                }
                assert_int_equal(qtp_ckq_depth(q), cap - take);
            }
            while (popped < pushed) {
                struct ev out;
                assert_int_equal(qtp_ckq_pop(q, &out), 0);
                check_ev(&out, popped++);
            }
            assert_int_equal(qtp_ckq_depth(q), 0);
            qtp_ckq_destroy(q);
        }
    }
}

static void test_close_graceful(void **state)
{
    (void)state;
    for (int s = 0; s < NSHAPES; s++) {
        struct qtp_ckq *q = make_q(&shapes[s], 4, NULL);
        for (uint64_t i = 0; i < 3; i++) {
            struct ev e = make_ev(i);
            assert_int_equal(qtp_ckq_push(q, &e), 0);
        }
        qtp_ckq_close(q, QTP_CLOSE_GRACEFUL);
        qtp_ckq_close(q, QTP_CLOSE_GRACEFUL);
        struct ev e = make_ev(7);
        assert_int_equal(qtp_ckq_push(q, &e), EPIPE);
        assert_int_equal(qtp_ckq_try_push(q, &e), EPIPE);
        assert_int_equal(qtp_ckq_depth(q), 3);
        for (uint64_t i = 0; i < 3; i++) {
            assert_int_equal(qtp_ckq_pop(q, &e), 0);
            check_ev(&e, i);
        }
        assert_int_equal(qtp_ckq_pop(q, &e), EPIPE);
        assert_int_equal(qtp_ckq_pop(q, &e), EPIPE);
        assert_int_equal(qtp_ckq_depth(q), 0);
        qtp_ckq_destroy(q);
    }
}

static void test_close_forced(void **state)
{
    (void)state;
    for (int s = 0; s < NSHAPES; s++) {
        for (int upgrade = 0; upgrade < 2; upgrade++) {
            struct qtp_ckq *q = make_q(&shapes[s], 4, NULL);
            for (uint64_t i = 0; i < 4; i++) {
                struct ev e = make_ev(i);
                assert_int_equal(qtp_ckq_push(q, &e), 0);
            }
            if (upgrade)
                qtp_ckq_close(q, QTP_CLOSE_GRACEFUL);
            qtp_ckq_close(q, QTP_CLOSE_FORCED);
            qtp_ckq_close(q, QTP_CLOSE_GRACEFUL); /* does not undo the forced close */
            struct ev e;
            assert_int_equal(qtp_ckq_pop(q, &e), EPIPE);
            assert_int_equal(qtp_ckq_depth(q), 0);
            e = make_ev(5);
            assert_int_equal(qtp_ckq_push(q, &e), EPIPE);
            assert_int_equal(qtp_ckq_try_push(q, &e), EPIPE);
            qtp_ckq_destroy(q);
        }
    }
}

static void test_destroy_nonempty(void **state)
{
    (void)state;
    for (int s = 0; s < NSHAPES; s++) {
        struct qtp_ckq *q = make_q(&shapes[s], 8, NULL);
        for (uint64_t i = 0; i < 5; i++) {
            struct ev e = make_ev(i);
            assert_int_equal(qtp_ckq_push(q, &e), 0);
        }
        qtp_ckq_destroy(q);
    }
    qtp_ckq_destroy(NULL);
}

/* A qtp_alloc hook that records what it hands out. */
#define MAXA 16
struct rec {
    void *p[MAXA];
    size_t size[MAXA];
    int live;
    int total;
};

static void *rec_alloc(void *ctx, size_t size, size_t align)
{
    struct rec *r = ctx;
    void *p = NULL;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1))
        return NULL;
    memset(p, 0, size);
    if (r->total < MAXA) {
        r->p[r->total] = p;
        r->size[r->total] = size;
    }
    r->total++;
    r->live++;
    return p;
}

static void rec_free(void *ctx, void *p, size_t size)
{
    (void)size;
    struct rec *r = ctx;
    r->live--;
    free(p);
}

/* Every buffer comes through qtp_alloc (so NUMA placement applies) and goes back at destroy;
 * storage() is the event buffers, one of those allocations. */
static void test_storage_through_qtp_alloc(void **state)
{
    (void)state;
    for (int s = 0; s < NSHAPES; s++) {
        struct rec r = {0};
        struct qtp_alloc_hook h = {rec_alloc, rec_free, &r};
        qtp_alloc_set_hook(&h);
        struct qtp_ckq *q = make_q(&shapes[s], 100, NULL);
        /* The queue, its events, one ring of pointers (spsc) or two (mpmc). */
        assert_int_equal(r.total, s == 0 ? 3 : 4);
        size_t bytes = 0;
        void *st = qtp_ckq_storage(q, &bytes);
        bool found = false;
        for (int i = 0; i < r.total && i < MAXA; i++)
            found |= r.p[i] == st && r.size[i] == bytes;
        assert_true(found);
        assert_true(bytes >= 100 * sizeof(struct ev));
        for (uint64_t i = 0; i < 300; i++) {
            struct ev e = make_ev(i);
            assert_int_equal(qtp_ckq_push(q, &e), 0);
            assert_int_equal(qtp_ckq_pop(q, &e), 0);
            check_ev(&e, i);
        }
        assert_int_equal(r.total, s == 0 ? 3 : 4); /* nothing per event */
        qtp_ckq_destroy(q);
        assert_int_equal(r.live, 0);
        qtp_alloc_set_hook(NULL);
    }
}

/* ---- close while blocked, in every wait strategy ---- */

struct blocked {
    struct qtp_ckq *q;
    bool is_push;
    int rc;
    struct ev e;
};

static void *blocked_main(void *arg)
{
    struct blocked *b = arg;
    b->rc = b->is_push ? qtp_ckq_push(b->q, &b->e) : qtp_ckq_pop(b->q, &b->e);
    return NULL;
}

/* Until n threads sleep in the queue (strategies that sleep), or a moment to reach the wait
 * (strategies that poll: spin and yield have no sleepers). */
static void wait_blocked(struct qtp_ckq *q, const struct qtp_wait_ops *w, int n)
{
    if (!qtp_wait_needs_signal(w)) {
        qt_sleep_ms(30);
        return;
    }
    double t0 = qt_now();
    while (qtp_ckq_sleepers(q) < n) {
        if (qt_now() - t0 > 5.0)
            fail_msg("%s: expected %d sleeper(s), have %d", w->name, n, qtp_ckq_sleepers(q));
        qt_sleep_ms(1);
    }
}

static void join_prompt(pthread_t t, double since, const char *what, const char *wait)
{
    if (qt_join_within(t, 5.0, NULL) != 0)
        fail_msg("%s (%s) not woken within 5 s", what, wait);
    double dt = qt_now() - since;
    if (dt > PROMPT_S)
        fail_msg("%s (%s) woke %.3f s after (limit %.1f s)", what, wait, dt, PROMPT_S);
}

/* A pop blocked on an empty queue and a push blocked on a full one: return EPIPE promptly on a
 * graceful and on a forced close; without a close, the other side's operation unblocks them. */
static void test_close_while_blocked(void **state)
{
    (void)state;
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++) {
        for (int s = 0; s < NSHAPES; s++) {
            for (int is_push = 0; is_push < 2; is_push++) {
                for (int mode = 0; mode < 3; mode++) {
                    struct qtp_ckq *q = make_q(&shapes[s], 2, w);
                    if (is_push) {
                        for (uint64_t i = 0; i < 2; i++) {
                            struct ev e = make_ev(i);
                            assert_int_equal(qtp_ckq_push(q, &e), 0);
                        }
                    }
                    struct blocked b = {q, is_push, -1, make_ev(2)};
                    pthread_t t;
                    assert_int_equal(pthread_create(&t, NULL, blocked_main, &b), 0);
                    wait_blocked(q, w, 1);
                    double t0 = qt_now();
                    struct ev e;
                    if (mode == 2) {
                        if (is_push) {
                            assert_int_equal(qtp_ckq_pop(q, &e), 0);
                            check_ev(&e, 0);
                        } else {
                            e = make_ev(42);
                            assert_int_equal(qtp_ckq_push(q, &e), 0);
                        }
                    } else {
                        qtp_ckq_close(q, mode ? QTP_CLOSE_FORCED : QTP_CLOSE_GRACEFUL);
                    }
                    join_prompt(t, t0, is_push ? "blocked push" : "blocked pop", w->name);
                    if (mode == 2) {
                        assert_int_equal(b.rc, 0);
                        if (is_push) {
                            assert_int_equal(qtp_ckq_pop(q, &e), 0);
                            check_ev(&e, 1);
                            assert_int_equal(qtp_ckq_pop(q, &e), 0);
                            check_ev(&e, 2);
                        } else {
                            check_ev(&b.e, 42);
                        }
                    } else {
                        assert_int_equal(b.rc, EPIPE);
                    }
                    qtp_ckq_destroy(q);
                }
            }
        }
    }
}

/* Several threads blocked at once on an mpmc queue (three pushes on a full queue, or three pops
 * on an empty one), then a close: all return EPIPE promptly. Graceful for the pops (nothing to
 * drain), forced for the pushes (a graceful close would also do; forced is the halt). */
static void test_close_many_blocked(void **state)
{
    (void)state;
    const struct shape seq = {"mpmc", 3, 3};
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++) {
        for (int is_push = 0; is_push < 2; is_push++) {
            struct qtp_ckq *q = make_q(&seq, 1, w);
            if (is_push) {
                struct ev e = make_ev(0);
                assert_int_equal(qtp_ckq_push(q, &e), 0);
            }
            struct blocked b[3];
            pthread_t t[3];
            for (int i = 0; i < 3; i++) {
                b[i] = (struct blocked){q, is_push, -1, make_ev(10 + (uint64_t)i)};
                assert_int_equal(pthread_create(&t[i], NULL, blocked_main, &b[i]), 0);
            }
            wait_blocked(q, w, 3);
            double t0 = qt_now();
            qtp_ckq_close(q, is_push ? QTP_CLOSE_FORCED : QTP_CLOSE_GRACEFUL);
            for (int i = 0; i < 3; i++) {
                join_prompt(t[i], t0, is_push ? "one of 3 blocked pushes" : "one of 3 blocked pops",
                            w->name);
                assert_int_equal(b[i].rc, EPIPE);
            }
            assert_int_equal(qtp_ckq_sleepers(q), 0);
            qtp_ckq_destroy(q);
        }
    }
}

/* The wait strategy's constants reach both waiters: phased with 10 s of spin never sleeps on an
 * empty queue (with its defaults it sleeps after 60 us), and with no spin or yield it sleeps at
 * once; a constant out of its range is refused. */
static void test_wait_params(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        bool sleeps;
    } cases[] = {{"phased:spin=10s,yield=0ns", false}, {"phased:spin=0ns,yield=0ns", true}};
    for (size_t s = 0; s < NSHAPES; s++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct qtp_wait_spec spec;
            char err[128];
            assert_int_equal(qtp_wait_parse(cases[i].spec, &spec, err, sizeof err), 0);
            struct qtp_ckq *q = make_q(&shapes[s], 2, spec.ops);
            assert_int_equal(qtp_ckq_set_wait_params(q, &spec.params), 0);
            struct blocked b = {q, false, -1, make_ev(0)};
            pthread_t t;
            assert_int_equal(pthread_create(&t, NULL, blocked_main, &b), 0);
            double t0 = qt_now();
            while (cases[i].sleeps && qtp_ckq_sleepers(q) < 1 && qt_now() - t0 < 5.0)
                qt_sleep_ms(1);
            if (!cases[i].sleeps)
                qt_sleep_ms(100);
            assert_int_equal(qtp_ckq_sleepers(q), cases[i].sleeps ? 1 : 0);
            double tc = qt_now();
            qtp_ckq_close(q, QTP_CLOSE_FORCED);
            join_prompt(t, tc, "blocked pop", cases[i].spec);
            assert_int_equal(b.rc, EPIPE);
            qtp_ckq_destroy(q);
        }
        struct qtp_ckq *q = make_q(&shapes[s], 2, qtp_wait_find("yield"));
        struct qtp_wait_params bad = {.spins = 2000000000u};
        assert_int_equal(qtp_ckq_set_wait_params(q, &bad), EINVAL);
        qtp_ckq_destroy(q);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_variant_per_shape),
        cmocka_unit_test(test_fifo_capacity),
        cmocka_unit_test(test_close_graceful),
        cmocka_unit_test(test_close_forced),
        cmocka_unit_test(test_destroy_nonempty),
        cmocka_unit_test(test_storage_through_qtp_alloc),
        cmocka_unit_test(test_close_while_blocked),
        cmocka_unit_test(test_close_many_blocked),
        cmocka_unit_test(test_wait_params),
    };
    return cmocka_run_group_tests_name("queues_ckq_unit", tests, NULL, NULL);
}
