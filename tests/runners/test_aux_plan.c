/* test_aux_plan.c - where a rep's auxiliary threads run and how often the samplers wake
 * (run_aux.c): spare PUs when the cell leaves some, else the measured ones with longer periods;
 * --sample-ms auto picks the series period from that, an explicit value is kept as given. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu_sampler.h"
#include "run_int.h"

/* A two-thread cell: both threads on pu (-1: unbound), paced at rate, sampling every ms. */
static struct qtp_cell cell(int pu, uint64_t rate, uint32_t ms)
{
    struct qtp_cell c;
    memset(&c, 0, sizeof c);
    c.nthreads = 2;
    for (size_t i = 0; i < QTP_MAX_THREADS; i++)
        c.pu[i] = -1;
    c.pu[0] = c.pu[1] = pu;
    c.params.rate = rate;
    c.sample_ms = ms;
    return c;
}

static void expect(const struct qtp_cell *c, bool this_system, bool spare, uint32_t sample_ms)
{
    struct qtp_aux a;
    qtp_aux_plan(c, this_system, &a);
    assert_int_equal(a.spare, spare);
    assert_int_equal(a.sample_ms, sample_ms);
    assert_true(a.sampler_period_us > QTP_SAMPLER_DEFAULT_PERIOD_US || spare);
}

/* No spare PU: an unbound thread may run on any, and a plan for another machine knows none. */
static void test_shared(void **state)
{
    (void)state;
    struct qtp_cell c = cell(-1, 1000000, QTP_SAMPLE_MS_AUTO);
    expect(&c, true, false, QTP_SAMPLE_MS_SHARED);
    expect(&c, false, false, QTP_SAMPLE_MS_SHARED);
    c.params.rate = 0; /* saturated: the wake-ups cost no measurable throughput */
    expect(&c, true, false, QTP_SAMPLE_MS_OFF_PUS);
    c = cell(-1, 1000000, 25); /* explicit values are kept, 0 (off) too */
    expect(&c, true, false, 25);
    c.sample_ms = 0;
    expect(&c, true, false, 0);
}

/* Both threads on the first PU of this process: with a second PU, that one is spare. */
static void test_spare(void **state)
{
    (void)state;
    cpu_set_t s;
    assert_int_equal(sched_getaffinity(0, sizeof s, &s), 0);
    if (CPU_COUNT(&s) < 2)
        skip(); /* one PU: nothing can be spare */
    int first = 0;
    while (!CPU_ISSET(first, &s))
        first++;
    struct qtp_cell c = cell(first, 1000000, QTP_SAMPLE_MS_AUTO);
    expect(&c, true, true, QTP_SAMPLE_MS_OFF_PUS);
    c.sample_ms = 250;
    expect(&c, true, true, 250);
    /* Bound to every PU of the process: none is spare. */
    c = cell(first, 1000000, QTP_SAMPLE_MS_AUTO);
    c.nthreads = (unsigned)CPU_COUNT(&s) < QTP_MAX_THREADS ? (unsigned)CPU_COUNT(&s) : 0;
    if (!c.nthreads)
        return;
    for (int cpu = 0, i = 0; cpu < CPU_SETSIZE && i < (int)c.nthreads; cpu++)
        if (CPU_ISSET(cpu, &s))
            c.pu[i++] = cpu;
    expect(&c, true, false, QTP_SAMPLE_MS_SHARED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared),
        cmocka_unit_test(test_spare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
