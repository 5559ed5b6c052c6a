/* The planted regression hook (qtp_ring.h): with QTOPO_PLANTED_REGRESSION=ON, QTOPO_PLANTED_NS
 * is read at the first ring creation and every published event busy-waits that long; with the
 * option OFF the variable is ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest.h"
#include "qtp_ring.h"

static void test_planted(void **state)
{
    (void)state;
    struct qtp_ring_config cfg = {64, 8, QTP_PRODUCER_SINGLE, NULL};
    struct qtp_ring *r;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
#ifdef QTOPO_PLANTED_REGRESSION
    assert_int_equal(atomic_load(&qtp_planted_ns), 20000);
    double t0 = qt_now();
    for (int i = 0; i < 50; i++) {
        int64_t hi;
        assert_int_equal(qtp_ring_claim(r, 1, &hi), 0);
        qtp_ring_publish(r, hi, hi);
    }
    /* 50 events x 20 us: at least 1 ms (a lower bound only; never an upper one). */
    assert_true(qt_now() - t0 >= 0.001);
#else
    assert_int_equal(atomic_load(&qtp_planted_ns), 0);
#endif
    qtp_ring_destroy(r);
}

int main(void)
{
    setenv("QTOPO_PLANTED_NS", "20000", 1);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_planted)};
    return cmocka_run_group_tests_name("queues_planted", tests, NULL, NULL);
}
