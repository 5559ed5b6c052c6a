/* results_clock: the timestamp source is monotonic, converts both ways, and agrees with
 * CLOCK_MONOTONIC over a sleep (loosely: the machine is shared, so no tight timing asserts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "qtp_clock.h"

static void check_source(int force_monotonic)
{
    qtp_clock_init(force_monotonic);
    const char *src = qtp_clock_source();
    assert_true(strcmp(src, "tsc") == 0 || strcmp(src, "clock_monotonic") == 0);
    if (force_monotonic) {
        assert_string_equal(src, "clock_monotonic");
        assert_true(qtp_clock_tsc_ghz() == 0.0);
        assert_int_equal(qtp_clock_ticks_to_ns(123456789), 123456789);
    } else if (strcmp(src, "tsc") == 0) {
        assert_true(qtp_clock_tsc_ghz() > 0.05 && qtp_clock_tsc_ghz() < 20);
    }
    print_message("source %s, %.4f ticks/ns\n", src, qtp_clock_tsc_ghz());

    uint64_t prev = qtp_clock_ticks();
    for (int i = 0; i < 100000; i++) {
        uint64_t t = qtp_clock_ticks();
        assert_true(t >= prev);
        prev = t;
    }
    /* Round trip of the fixed-point conversion, including values near 2^63 ticks. */
    uint64_t samples[] = {0, 1, 1000, 1000000007ULL, 3600000000000ULL, 1ULL << 62};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        uint64_t ns = samples[i];
        uint64_t back = qtp_clock_ticks_to_ns(qtp_clock_ns_to_ticks(ns));
        uint64_t diff = back > ns ? back - ns : ns - back;
        assert_true(diff <= 2 + ns / 1000000);
    }

    uint64_t m0 = qtp_clock_mono_ns(), t0 = qtp_clock_ticks();
    struct timespec req = {0, 30 * 1000 * 1000};
    nanosleep(&req, NULL);
    uint64_t t1 = qtp_clock_ticks(), m1 = qtp_clock_mono_ns();
    uint64_t dns = qtp_clock_ticks_to_ns(t1 - t0), dm = m1 - m0;
    assert_true(dns <= dm);
    /* Generous: another thread may be preempted between the reads on a busy machine, but a
     * calibration off by more than 5% would be a bug. */
    assert_true((double)dns >= 0.95 * (double)dm - 2e6);
}

static void test_default(void **state)
{
    (void)state;
    check_source(0);
    check_source(0); /* idempotent */
}

static void test_forced_monotonic(void **state)
{
    (void)state;
    check_source(1);
    check_source(0); /* and back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_forced_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
