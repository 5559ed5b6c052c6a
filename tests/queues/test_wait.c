/* Unit tests of the wait table's text form: qtp_wait_parse (good forms, defaults, and bad forms
 * with their exact one-line messages), qtp_wait_format (canonical, read back to the same spec),
 * the rows' parameter tables, and qtp_waiter_set_params / qtp_ring_set_wait_params range checks.
 * Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest.h"
#include "qtp_ring.h"

static struct qtp_wait_spec parse_ok(const char *text)
{
    struct qtp_wait_spec s;
    char err[256] = "";
    if (qtp_wait_parse(text, &s, err, sizeof err) != 0)
        fail_msg("'%s' refused: %s", text, err);
    assert_string_equal(err, "");
    return s;
}

struct good {
    const char *text;
    const char *name;
    uint64_t spins, yields, nap_ns, spin_ns, yield_ns;
    const char *canonical;
};

static void test_parse_good(void **state)
{
    (void)state;
    static const struct good g[] = {
        {"spin", "spin", 0, 0, 0, 0, 0, "spin"},
        {"yield", "yield", 100, 0, 0, 0, 0, "yield"},
        {"yield:spins=0", "yield", 0, 0, 0, 0, 0, "yield:spins=0"},
        {"yield:spins=100", "yield", 100, 0, 0, 0, 0, "yield"},
        {"block", "block", 0, 0, 0, 0, 0, "block"},
        /* LMAX's defaults: SleepingWaitStrategy(200 retries, 100 ns); phased has none in LMAX */
        {"sleep", "sleep", 100, 100, 100, 0, 0, "sleep"},
        {"phased", "phased", 0, 0, 0, 10000, 50000, "phased"},
        {"sleep:spins=5", "sleep", 5, 100, 100, 0, 0, "sleep:spins=5"},
        {"sleep:nap=1000ns,spins=0,yields=7", "sleep", 0, 7, 1000, 0, 0,
         "sleep:spins=0,yields=7,nap=1us"},
        {"sleep:nap=10s", "sleep", 100, 100, 10000000000u, 0, 0, "sleep:nap=10s"},
        {"sleep:nap=1ns", "sleep", 100, 100, 1, 0, 0, "sleep:nap=1ns"},
        {"sleep:spins=100,yields=100,nap=100ns", "sleep", 100, 100, 100, 0, 0, "sleep"},
        {"sleep:spins=1000000000", "sleep", 1000000000u, 100, 100, 0, 0, "sleep:spins=1000000000"},
        {"phased:spin=1ms,yield=1ms", "phased", 0, 0, 0, 1000000, 1000000,
         "phased:spin=1ms,yield=1ms"},
        {"phased:yield=0ns,spin=3ms", "phased", 0, 0, 0, 3000000, 0, "phased:spin=3ms,yield=0ns"},
        {"phased:spin=1500us", "phased", 0, 0, 0, 1500000, 50000, "phased:spin=1500us"},
        {"phased:spin=10s", "phased", 0, 0, 0, 10000000000u, 50000, "phased:spin=10s"},
        {"phased:spin=10us,yield=50us", "phased", 0, 0, 0, 10000, 50000, "phased"},
    };
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        struct qtp_wait_spec s = parse_ok(g[i].text);
        assert_ptr_equal(s.ops, qtp_wait_find(g[i].name));
        assert_int_equal(s.params.spins, g[i].spins);
        assert_int_equal(s.params.yields, g[i].yields);
        assert_int_equal(s.params.nap_ns, g[i].nap_ns);
        assert_int_equal(s.params.spin_ns, g[i].spin_ns);
        assert_int_equal(s.params.yield_ns, g[i].yield_ns);
        char buf[128];
        int n = qtp_wait_format(&s, buf, sizeof buf);
        assert_int_equal(n, (int)strlen(g[i].canonical));
        assert_string_equal(buf, g[i].canonical);
        struct qtp_wait_spec back = parse_ok(buf);
        assert_ptr_equal(back.ops, s.ops);
        assert_memory_equal(&back.params, &s.params, sizeof s.params);
        /* Truncation reports the full length, as snprintf. */
        char small[4];
        assert_int_equal(qtp_wait_format(&s, small, sizeof small), n);
        assert_int_equal(strlen(small), n < 3 ? n : 3);
    }
}

struct bad {
    const char *text;
    const char *message;
};

#define NAMES "spin, yield, block, sleep, phased"
#define SLEEP_KEYS "spins=N, yields=N, nap=DURATION"
#define COUNT_RANGE "a whole number 0..1000000000"
#define NAP_RANGE "a duration 1ns..10s, a whole number with ns, us, ms or s"
#define PHASE_RANGE "a duration 0ns..10s, a whole number with ns, us, ms or s"

static void test_parse_bad(void **state)
{
    (void)state;
    static const struct bad b[] = {
        {"", "wait strategy '': unknown name '' (accepted: " NAMES ")"},
        {"sleeping", "wait strategy 'sleeping': unknown name 'sleeping' (accepted: " NAMES ")"},
        {"Sleep", "wait strategy 'Sleep': unknown name 'Sleep' (accepted: " NAMES ")"},
        {"foo:spins=1", "wait strategy 'foo:spins=1': unknown name 'foo' (accepted: " NAMES ")"},
        {"spin:x=1", "wait strategy 'spin:x=1': spin takes no parameters (accepted: spin)"},
        {"block:", "wait strategy 'block:': block takes no parameters (accepted: block)"},
        {"sleep:", "wait strategy 'sleep:': empty parameter (accepted: " SLEEP_KEYS ")"},
        {"sleep:spins=1,",
         "wait strategy 'sleep:spins=1,': empty parameter (accepted: " SLEEP_KEYS ")"},
        {"sleep:spins=1,,nap=1us",
         "wait strategy 'sleep:spins=1,,nap=1us': empty parameter (accepted: " SLEEP_KEYS ")"},
        {"sleep:naps=1us",
         "wait strategy 'sleep:naps=1us': unknown parameter 'naps' (accepted: " SLEEP_KEYS ")"},
        {"sleep:=5", "wait strategy 'sleep:=5': unknown parameter '' (accepted: " SLEEP_KEYS ")"},
        {"sleep: spins=1",
         "wait strategy 'sleep: spins=1': unknown parameter ' spins' (accepted: " SLEEP_KEYS ")"},
        {"sleep:spins", "wait strategy 'sleep:spins': no value for 'spins' (accepted: "
                        "spins=VALUE with VALUE " COUNT_RANGE ")"},
        {"sleep:spins=", "wait strategy 'sleep:spins=': bad value '' for 'spins' (accepted: "
                         "" COUNT_RANGE ")"},
        {"sleep:spins=-1", "wait strategy 'sleep:spins=-1': bad value '-1' for 'spins' (accepted: "
                           "" COUNT_RANGE ")"},
        {"sleep:spins=1000000001", "wait strategy 'sleep:spins=1000000001': bad value "
                                   "'1000000001' for 'spins' (accepted: " COUNT_RANGE ")"},
        {"sleep:yields=12abc", "wait strategy 'sleep:yields=12abc': bad value '12abc' for "
                               "'yields' (accepted: " COUNT_RANGE ")"},
        {"sleep:spins=1 ", "wait strategy 'sleep:spins=1 ': bad value '1 ' for 'spins' "
                           "(accepted: " COUNT_RANGE ")"},
        {"sleep:spins=99999999999999999999", "wait strategy 'sleep:spins=99999999999999999999': "
                                             "bad value '99999999999999999999' for 'spins' "
                                             "(accepted: " COUNT_RANGE ")"},
        {"sleep:nap=100", "wait strategy 'sleep:nap=100': bad value '100' for 'nap' (accepted: "
                          "" NAP_RANGE ")"},
        {"sleep:nap=0ns", "wait strategy 'sleep:nap=0ns': bad value '0ns' for 'nap' (accepted: "
                          "" NAP_RANGE ")"},
        {"sleep:nap=11s", "wait strategy 'sleep:nap=11s': bad value '11s' for 'nap' (accepted: "
                          "" NAP_RANGE ")"},
        {"phased:spin=1.5us", "wait strategy 'phased:spin=1.5us': bad value '1.5us' for 'spin' "
                              "(accepted: " PHASE_RANGE ")"},
        {"phased:spin=10min", "wait strategy 'phased:spin=10min': bad value '10min' for 'spin' "
                              "(accepted: " PHASE_RANGE ")"},
        {"phased:spin=10US", "wait strategy 'phased:spin=10US': bad value '10US' for 'spin' "
                             "(accepted: " PHASE_RANGE ")"},
        {"phased:yield=us", "wait strategy 'phased:yield=us': bad value 'us' for 'yield' "
                            "(accepted: " PHASE_RANGE ")"},
        {"phased:spin=18446744073709551s", "wait strategy 'phased:spin=18446744073709551s': bad "
                                           "value '18446744073709551s' for 'spin' (accepted: "
                                           "" PHASE_RANGE ")"},
        {"phased:spin=10001ms", "wait strategy 'phased:spin=10001ms': bad value '10001ms' for "
                                "'spin' (accepted: " PHASE_RANGE ")"},
        {"phased:spin=1us,spin=2us",
         "wait strategy 'phased:spin=1us,spin=2us': 'spin' given twice (accepted: each of "
         "spin=DURATION, yield=DURATION at most once)"},
        {"phased:spin=1us:yield=1us", "wait strategy 'phased:spin=1us:yield=1us': bad value "
                                      "'1us:yield=1us' for 'spin' (accepted: " PHASE_RANGE ")"},
        {"phased:nap=1us", "wait strategy 'phased:nap=1us': unknown parameter 'nap' (accepted: "
                           "spin=DURATION, yield=DURATION)"},
    };
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        struct qtp_wait_spec s = {&qtp_wait_strategies[0], {1, 2, 3, 4, 5}};
        const struct qtp_wait_spec before = s;
        char err[512] = "";
        if (qtp_wait_parse(b[i].text, &s, err, sizeof err) != EINVAL)
            fail_msg("'%s' accepted", b[i].text);
        assert_string_equal(err, b[i].message);
        assert_null(strchr(err, '\n'));
        /* Nothing half-written. */
        assert_memory_equal(&s, &before, sizeof s);
    }
    /* NULL text reads as ""; a short or absent err buffer is not overrun. */
    struct qtp_wait_spec s;
    char err[16];
    assert_int_equal(qtp_wait_parse(NULL, &s, err, sizeof err), EINVAL);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_int_equal(qtp_wait_parse("nope", &s, NULL, 0), EINVAL);
    assert_int_equal(qtp_wait_parse("sleep:x", &s, err, 1), EINVAL);
    assert_string_equal(err, "");
}

/* Every row: a summary, a name qtp_wait_parse takes alone, parameter tables whose defaults are
 * inside their ranges and whose keys are unique. */
static void test_rows(void **state)
{
    (void)state;
    for (const struct qtp_wait_ops *o = qtp_wait_strategies; o->name; o++) {
        assert_non_null(o->summary);
        assert_non_null(o->wait_until);
        assert_non_null(o->signal);
        assert_non_null(o->wake_all);
        struct qtp_wait_spec s = parse_ok(o->name);
        assert_ptr_equal(s.ops, o);
        struct qtp_wait_params d;
        qtp_wait_defaults(o, &d);
        assert_memory_equal(&d, &s.params, sizeof d);
        for (const struct qtp_wait_param *p = o->params; p && p->key; p++) {
            assert_true(p->min <= p->dflt && p->dflt <= p->max);
            assert_true(p->offset + sizeof(uint64_t) <= sizeof(struct qtp_wait_params));
            for (const struct qtp_wait_param *q = o->params; q != p; q++)
                assert_string_not_equal(q->key, p->key);
        }
    }
    /* Only spin never gives its PU away; sleep and phased signal as their fallbacks do. */
    assert_false(qtp_wait_find("sleep")->spins);
    assert_false(qtp_wait_find("phased")->spins);
    assert_false(qtp_wait_needs_signal(qtp_wait_find("sleep")));
    assert_true(qtp_wait_needs_signal(qtp_wait_find("phased")));
}

static void test_set_params(void **state)
{
    (void)state;
    struct qtp_ring_config cfg = {8, 8, QTP_PRODUCER_SINGLE, qtp_wait_find("sleep")};
    struct qtp_ring *r;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    struct qtp_waiter *w = qtp_ring_waiter(r);
    assert_int_equal(w->params.spins, 100);
    assert_int_equal(w->params.nap_ns, 100);
    struct qtp_wait_spec s = parse_ok("sleep:spins=3,nap=2us");
    assert_int_equal(qtp_ring_set_wait_params(r, &s.params), 0);
    assert_int_equal(w->params.spins, 3);
    assert_int_equal(w->params.nap_ns, 2000);
    struct qtp_wait_params p = s.params;
    p.nap_ns = 0; /* below nap's range */
    assert_int_equal(qtp_ring_set_wait_params(r, &p), EINVAL);
    assert_int_equal(w->params.nap_ns, 2000);
    p = s.params;
    p.spin_ns = UINT64_MAX; /* not sleep's: ignored */
    assert_int_equal(qtp_ring_set_wait_params(r, &p), 0);
    assert_int_equal(qtp_ring_set_wait_params(r, NULL), EINVAL);
    assert_int_equal(qtp_ring_set_wait_params(NULL, &p), EINVAL);
    qtp_ring_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_set_params),
    };
    return cmocka_run_group_tests_name("queues_wait", tests, NULL, NULL);
}
