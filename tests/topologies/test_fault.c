/* topo_fault: a stage that writes one wrong value is caught by the check, with the right seq and
 * field in the reason, in every named topology over every queue configuration. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qtp_lang.h"
#include "topo_util.h"

struct fault_case {
    const char *topo;
    int stage;              /* 1-based */
    const char *field_text; /* what the reason must name */
};

static const struct fault_case cases[] = {
    {"unicast", 1, "field 0 (c1)"},    {"pipeline", 2, "field 1 (s2)"},
    {"fanout", 2, "field 1 (c2)"},     {"diamond", 1, "field 0 (c1)"},
    {"diamond", 3, "field 2 (c3)"},    {"shard", 1, "field 0 (w)"},
    {"shard", 2, "field 1 (merge)"},   {"sequencer", 1, "field 0 (c1)"},
    {"pingpong", 1, "field 0 (echo)"},
};

static void test_faults(void **state)
{
    (void)state;
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct qtp_topology t;
        struct qtp_topo_params p = {.payload = 8};
        assert_int_equal(qtp_topology_find(cases[c].topo)->build(&p, &t), 0);
        for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++) {
            struct topo_run r = {0};
            topo_config(cfg, &r);
            r.ring_size = 4;
            r.batch = 2;
            r.events = 12;
            r.seed = 99;
            r.fault_stage = cases[c].stage;
            r.fault_seq = 5;
            r.timeout_s = 60;
            assert_int_equal(topo_run(&t, &r), 0);
            if (r.verified || !strstr(r.reason, "seq 5 ") ||
                !strstr(r.reason, cases[c].field_text)) {
                print_error("%s stage %d over %s: verified %d, reason: %s\n", cases[c].topo,
                            cases[c].stage, topo_config_name(cfg), r.verified, r.reason);
                fail();
            }
            if (cfg == 0)
                printf("  %-9s stage %d: %s\n", cases[c].topo, cases[c].stage, r.reason);
        }
        qtp_topology_fini(&t);
    }
}

/* The same runs without the fault pass: the failure above is the fault's doing. */
static void test_no_fault(void **state)
{
    (void)state;
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct qtp_topology t;
        struct qtp_topo_params p = {.payload = 8};
        assert_int_equal(qtp_topology_find(cases[c].topo)->build(&p, &t), 0);
        struct topo_run r = {0};
        topo_config(2, &r);
        r.ring_size = 4;
        r.batch = 2;
        r.events = 12;
        r.seed = 99;
        r.fault_stage = cases[c].stage;
        r.fault_seq = 12; /* past the end: never hit */
        assert_int_equal(topo_run(&t, &r), 0);
        assert_true(r.verified);
        qtp_topology_fini(&t);
    }
}

/* A terminal's check has a plan for the first few fields it sees besides its own (unrolled)
 * and mask loops beyond: a fault in any field upstream of it is caught and named by either, over
 * every configuration. Chains of 2..7 stages (the terminal sees 1..6 fields, each stage reading
 * the one before), a fan-in of 4 and a fan-in behind a stage (fields read by two). */
static void test_check_plans(void **state)
{
    (void)state;
    static const char *const exprs[] = {
        "seq(stage, stage)",
        "seq(stage, stage, stage)",
        "seq(stage, stage, stage, stage)",
        "seq(stage, stage, stage, stage, stage)",
        "seq(stage, stage, stage, stage, stage, stage, stage)",
        "seq(fanout(stage, stage, stage, stage), stage)",
        "seq(stage, fanout(stage, stage), stage)",
    };
    for (unsigned e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
        struct qtp_topology t;
        struct qtp_parse_error pe;
        assert_int_equal(
            qtp_topo_parse(exprs[e], NULL, &(struct qtp_topo_params){.payload = 8}, &t, &pe), 0);
        for (unsigned stage = 1; stage < t.nfields; stage++)
            for (unsigned cfg = 0; cfg < TOPO_NCONFIGS; cfg++) {
                struct topo_run r = {0};
                topo_config(cfg, &r);
                r.ring_size = 8;
                r.batch = 2;
                r.events = 12;
                r.seed = 7;
                r.fault_stage = (int)stage;
                r.fault_seq = 6;
                r.timeout_s = 60;
                assert_int_equal(topo_run(&t, &r), 0);
                char want[32];
                snprintf(want, sizeof(want), "field %u ", stage - 1);
                if (r.verified || !strstr(r.reason, "seq 6 ") || !strstr(r.reason, want)) {
                    print_error("%s stage %u over %s: verified %d, reason: %s\n", exprs[e], stage,
                                topo_config_name(cfg), r.verified, r.reason);
                    fail();
                }
            }
        qtp_topology_fini(&t);
    }
}

/* Bad configurations are refused with a reason. */
static void test_bad_config(void **state)
{
    (void)state;
    struct qtp_topology t;
    assert_int_equal(qtp_topology_find("diamond")->build(&(struct qtp_topo_params){0}, &t), 0);
    struct topo_run r = {.queue = "ring", .ring_size = 3, .events = 1};
    assert_int_equal(topo_run(&t, &r), EINVAL);
    assert_non_null(strstr(r.reason, "ring size 3"));
    r = (struct topo_run){.queue = "ring", .ring_size = 4, .batch = 8, .events = 1};
    assert_int_equal(topo_run(&t, &r), EINVAL);
    assert_non_null(strstr(r.reason, "batch 8"));
    r = (struct topo_run){.queue = "tqueue", .ring_size = 4, .events = 1};
    assert_int_equal(topo_run(&t, &r), EINVAL);
    assert_non_null(strstr(r.reason, "unknown queue 'tqueue'"));
    r = (struct topo_run){.queue = "ring", .ring_size = 4, .events = 1, .stall_stage = 4};
    assert_int_equal(topo_run(&t, &r), EINVAL);
    qtp_topology_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_no_fault),
        cmocka_unit_test(test_check_plans),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
