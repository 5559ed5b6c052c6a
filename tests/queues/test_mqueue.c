/* Unit tests of the mutex/condvar queues: registry, FIFO and capacity across wrap-around,
 * graceful and forced close, close while a pop or a push is blocked, storage. Each test runs
 * over both kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest.h"
#include "qtp_mqueue.h"

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

static struct qtp_mqueue *make_q(const struct qtp_mqueue_ops *o, size_t cap)
{
    struct qtp_mqueue *q = NULL;
    assert_int_equal(o->create(&q, cap, sizeof(struct ev)), 0);
    assert_non_null(q);
    return q;
}

static void test_registry(void **state)
{
    (void)state;
    const char *names[] = {"mutex-array", "mutex-linked"};
    int n = 0;
    for (const struct qtp_mqueue_ops *o = qtp_mqueue_kinds; o->name; o++, n++) {
        assert_string_equal(o->name, names[n]);
        assert_non_null(o->summary);
        assert_ptr_equal(qtp_mqueue_find(o->name), o);
        assert_int_equal(o->allocates_per_event, n == 1);
        struct qtp_mqueue *q = (void *)1;
        assert_int_equal(o->create(&q, 0, 8), EINVAL);
        assert_null(q);
        assert_int_equal(o->create(&q, 8, 0), EINVAL);
        assert_int_equal(o->create(&q, SIZE_MAX / 4, 64), EINVAL);
    }
    assert_int_equal(n, 2);
    assert_null(qtp_mqueue_find("ring"));
    assert_null(qtp_mqueue_find(NULL));
}

static void test_fifo_capacity(void **state)
{
    (void)state;
    for (const struct qtp_mqueue_ops *o = qtp_mqueue_kinds; o->name; o++) {
        for (size_t cap = 1; cap <= 5; cap++) {
            struct qtp_mqueue *q = make_q(o, cap);
            assert_int_equal(qtp_mqueue_capacity(q), cap);
            uint64_t pushed = 0, popped = 0;
            /* Fill, overflow, drain partly; repeat so the array wraps many times. */
            for (int round = 0; round < 50; round++) {
                while (qtp_mqueue_depth(q) < cap) {
                    struct ev e = make_ev(pushed++);
                    assert_int_equal(
                        round & 1 ? qtp_mqueue_try_push(q, &e) : qtp_mqueue_push(q, &e), 0);
                }
                struct ev e = make_ev(999);
                assert_int_equal(qtp_mqueue_try_push(q, &e), EAGAIN);
                assert_int_equal(qtp_mqueue_depth(q), cap);
                size_t take = 1 + (size_t)round % cap;
                for (size_t i = 0; i < take; i++) {
                    struct ev out;
                    assert_int_equal(qtp_mqueue_pop(q, &out), 0);
                    check_ev(&out, popped++);
                }
                assert_int_equal(qtp_mqueue_depth(q), cap - take);
            }
            while (popped < pushed) {
                struct ev out;
                assert_int_equal(qtp_mqueue_pop(q, &out), 0);
                check_ev(&out, popped++);
            }
            assert_int_equal(qtp_mqueue_depth(q), 0);
            qtp_mqueue_destroy(q);
        }
    }
}

static void test_close_graceful(void **state)
{
    (void)state;
    for (const struct qtp_mqueue_ops *o = qtp_mqueue_kinds; o->name; o++) {
        struct qtp_mqueue *q = make_q(o, 4);
        for (uint64_t i = 0; i < 3; i++) {
            struct ev e = make_ev(i);
            assert_int_equal(qtp_mqueue_push(q, &e), 0);
        }
        qtp_mqueue_close(q, QTP_CLOSE_GRACEFUL);
        qtp_mqueue_close(q, QTP_CLOSE_GRACEFUL);
        struct ev e = make_ev(7);
        assert_int_equal(qtp_mqueue_push(q, &e), EPIPE);
        assert_int_equal(qtp_mqueue_try_push(q, &e), EPIPE);
        assert_int_equal(qtp_mqueue_depth(q), 3);
        for (uint64_t i = 0; i < 3; i++) {
            assert_int_equal(qtp_mqueue_pop(q, &e), 0);
            check_ev(&e, i);
        }
        assert_int_equal(qtp_mqueue_pop(q, &e), EPIPE);
        assert_int_equal(qtp_mqueue_pop(q, &e), EPIPE);
        qtp_mqueue_destroy(q);
    }
}

static void test_close_forced(void **state)
{
    (void)state;
    for (const struct qtp_mqueue_ops *o = qtp_mqueue_kinds; o->name; o++) {
        for (int upgrade = 0; upgrade < 2; upgrade++) {
            struct qtp_mqueue *q = make_q(o, 4);
            for (uint64_t i = 0; i < 4; i++) {
                struct ev e = make_ev(i);
                assert_int_equal(qtp_mqueue_push(q, &e), 0);
            }
            if (upgrade)
                qtp_mqueue_close(q, QTP_CLOSE_GRACEFUL);
            /* The queued nodes are freed here (LeakSanitizer checks mutex-linked). */
            qtp_mqueue_close(q, QTP_CLOSE_FORCED);
            struct ev e;
            assert_int_equal(qtp_mqueue_pop(q, &e), EPIPE);
            assert_int_equal(qtp_mqueue_depth(q), 0);
            e = make_ev(5);
            assert_int_equal(qtp_mqueue_push(q, &e), EPIPE);
            qtp_mqueue_destroy(q);
        }
    }
}

static void test_destroy_nonempty(void **state)
{
    (void)state;
    for (const struct qtp_mqueue_ops *o = qtp_mqueue_kinds; o->name; o++) {
        struct qtp_mqueue *q = make_q(o, 8);
        for (uint64_t i = 0; i < 5; i++) {
            struct ev e = make_ev(i);
            assert_int_equal(qtp_mqueue_push(q, &e), 0);
        }
        qtp_mqueue_destroy(q); /* frees the queued nodes */
    }
    qtp_mqueue_destroy(NULL);
}

static void test_storage(void **state)
{
    (void)state;
    size_t bytes = 1;
    struct qtp_mqueue *q = make_q(qtp_mqueue_find("mutex-array"), 100);
    assert_non_null(qtp_mqueue_storage(q, &bytes));
    assert_int_equal(bytes, 100 * sizeof(struct ev));
    qtp_mqueue_destroy(q);
    q = make_q(qtp_mqueue_find("mutex-linked"), 100);
    assert_null(qtp_mqueue_storage(q, &bytes));
    assert_int_equal(bytes, 0);
    qtp_mqueue_destroy(q);
}

struct blocked {
    struct qtp_mqueue *q;
    bool is_push;
    int rc;
    struct ev e;
};

static void *blocked_main(void *arg)
{
    struct blocked *b = arg;
    b->rc = b->is_push ? qtp_mqueue_push(b->q, &b->e) : qtp_mqueue_pop(b->q, &b->e);
    return NULL;
}

/* A pop blocked on an empty queue and a push blocked on a full one return EPIPE within 1 s of
 * a close, in both modes; without a close, the other side's operation unblocks them. */
static void test_close_while_blocked(void **state)
{
    (void)state;
    for (const struct qtp_mqueue_ops *o = qtp_mqueue_kinds; o->name; o++) {
        for (int is_push = 0; is_push < 2; is_push++) {
            for (int mode = 0; mode < 3; mode++) {
                struct qtp_mqueue *q = make_q(o, 2);
                if (is_push) {
                    for (uint64_t i = 0; i < 2; i++) {
                        struct ev e = make_ev(i);
                        assert_int_equal(qtp_mqueue_push(q, &e), 0);
                    }
                }
                struct blocked b = {q, is_push, -1, make_ev(2)};
                pthread_t t;
                assert_int_equal(pthread_create(&t, NULL, blocked_main, &b), 0);
                qt_sleep_ms(20);
                assert_int_equal(b.rc, -1);
                double t0 = qt_now();
                struct ev e;
                if (mode == 2) {
                    if (is_push) {
                        assert_int_equal(qtp_mqueue_pop(q, &e), 0);
                        check_ev(&e, 0);
                    } else {
                        e = make_ev(42);
                        assert_int_equal(qtp_mqueue_push(q, &e), 0);
                    }
                } else {
                    qtp_mqueue_close(q, mode ? QTP_CLOSE_FORCED : QTP_CLOSE_GRACEFUL);
                }
                if (qt_join_within(t, 5.0, NULL) != 0)
                    fail_msg("%s %s not woken within 5 s", o->name, is_push ? "push" : "pop");
                assert_true(qt_now() - t0 < 1.0);
                if (mode == 2) {
                    assert_int_equal(b.rc, 0);
                    if (is_push) {
                        assert_int_equal(qtp_mqueue_pop(q, &e), 0);
                        check_ev(&e, 1);
                        assert_int_equal(qtp_mqueue_pop(q, &e), 0);
                        check_ev(&e, 2);
                    } else {
                        check_ev(&b.e, 42);
                    }
                } else {
                    assert_int_equal(b.rc, EPIPE);
                }
                qtp_mqueue_destroy(q);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_fifo_capacity),
        cmocka_unit_test(test_close_graceful),
        cmocka_unit_test(test_close_forced),
        cmocka_unit_test(test_destroy_nonempty),
        cmocka_unit_test(test_storage),
        cmocka_unit_test(test_close_while_blocked),
    };
    return cmocka_run_group_tests_name("queues_mqueue_unit", tests, NULL, NULL);
}
