/* test_placement.c - the placement planner on hwloc synthetic topologies (independent of the
 * machine the test runs on): which PUs each policy picks for every thread count, skipped
 * verdicts and their reasons, cpus:LIST parsing and validation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "placement.h"

#define BIG "pack:2 numa:2 core:8 pu:2"   /* 64 PUs: P#(32p + 16n' + 2c' + s) */
#define SMALL "pack:1 numa:1 core:2 pu:1" /* like the 2-core CI machine */
#define SMT4 "pack:1 core:4 pu:2"         /* one node, SMT */
/* Intel-style numbering: siblings are P#i and P#i+4, so logical order != OS order. */
#define SMT4_INTEL "pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)"
#define TWOPKG "pack:2 core:2 pu:2" /* two packages, one NUMA node */

static struct qtp_machine *load(const char *desc)
{
    struct qtp_machine *m = NULL;
    char err[256] = "";
    struct qtp_machine_source src = {.synthetic = desc};
    int rc = qtp_machine_load(&m, &src, err, sizeof(err));
    if (rc)
        fail_msg("load '%s': %s", desc, err);
    assert_non_null(m);
    assert_false(m->this_system);
    return m;
}

static struct qtp_placement_spec spec; /* large: keep off the stack */
static struct qtp_plan plan;

static const struct qtp_plan *plan_for(const struct qtp_machine *m, const char *policy, unsigned n,
                                       unsigned producers, bool spin, bool over)
{
    char err[256] = "";
    if (qtp_placement_parse(policy, m, &spec, err, sizeof(err)) != 0)
        fail_msg("parse '%s': %s", policy, err);
    struct qtp_plan_request req = {
        .nthreads = n, .producers = producers, .spin = spin, .oversubscribe = over};
    assert_int_equal(qtp_placement_plan(m, &spec, &req, &plan), 0);
    assert_int_equal(plan.nthreads, n);
    return &plan;
}

static void expect_ok(const struct qtp_plan *p)
{
    if (p->verdict != QTP_PLAN_OK)
        fail_msg("expected OK, got skipped: %s", p->reason);
    assert_string_equal(p->reason, "");
}

static void expect_skip(const struct qtp_plan *p, const char *reason)
{
    assert_int_equal(p->verdict, QTP_PLAN_SKIPPED);
    if (strcmp(p->reason, reason) != 0)
        fail_msg("reason\n  got:  %s\n  want: %s", p->reason, reason);
}

/* ---- the flattened view ---- */

static void test_flatten_big(void **state)
{
    (void)state;
    struct qtp_machine *m = load(BIG);
    assert_int_equal(m->npus, 64);
    assert_int_equal(m->ncores, 32);
    assert_int_equal(m->npackages, 2);
    assert_int_equal(m->nnodes, 4);
    assert_int_equal(m->nnodes_with_cpus, 4);
    assert_int_equal(m->smt_max, 2);
    for (int i = 0; i < 64; i++) {
        assert_int_equal(m->pus[i].os, i);
        assert_int_equal(m->pus[i].core, i / 2);
        assert_int_equal(m->pus[i].smt_rank, i % 2);
        assert_int_equal(m->pus[i].node, i / 16);
        assert_int_equal(m->pus[i].package, i / 32);
        assert_int_equal(qtp_machine_pu_node(m, i), i / 16);
    }
    assert_int_equal(qtp_machine_pu_index(m, 64), -1);
    qtp_machine_free(m);
}

static void test_flatten_intel(void **state)
{
    (void)state;
    struct qtp_machine *m = load(SMT4_INTEL);
    static const int os[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    assert_int_equal(m->npus, 8);
    assert_int_equal(m->ncores, 4);
    assert_int_equal(m->nnodes, 1);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(m->pus[i].os, os[i]);
        assert_int_equal(m->pus[i].core, i / 2);
        assert_int_equal(m->pus[i].smt_rank, i % 2);
    }
    qtp_machine_free(m);
}

/* ---- 2 packages x 2 nodes x 8 cores x 2 PUs ---- */

static int big_spread(unsigned i)
{
    static const int node_seq[4] = {0, 2, 1, 3}; /* package 0, package 1, then second nodes */
    unsigned s = (i % 64) / 32, j = i % 32;
    return 16 * node_seq[j % 4] + 2 * (int)(j / 4) + (int)s;
}

static void test_big_compact_spread(void **state)
{
    (void)state;
    struct qtp_machine *m = load(BIG);
    for (unsigned n = 2; n <= QTP_MAX_THREADS; n++) {
        const struct qtp_plan *p = plan_for(m, "compact", n, 1, true, false);
        if (n <= 64) {
            expect_ok(p);
            assert_false(p->shares_pus);
            assert_int_equal(p->npus_used, n);
        } else {
            char want[QTP_REASON_MAX];
            snprintf(want, sizeof(want),
                     "spin with %u threads on 64 PUs (compact): busy-spin oversubscription "
                     "collapses; pass --oversubscribe to run it",
                     n);
            expect_skip(p, want);
            continue;
        }
        for (unsigned i = 0; i < n; i++) {
            assert_int_equal(p->pu[i], (int)i); /* siblings first: 0,1 are core 0 */
            assert_int_equal(p->node[i], (int)i / 16);
        }
        p = plan_for(m, "spread", n, 1, true, false);
        expect_ok(p);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(p->pu[i], big_spread(i));
    }
    /* The start of spread, spelled out: packages alternate, then nodes, then cores. */
    const struct qtp_plan *p = plan_for(m, "spread", 8, 1, false, false);
    static const int want[8] = {0, 32, 16, 48, 2, 34, 18, 50};
    for (int i = 0; i < 8; i++)
        assert_int_equal(p->pu[i], want[i]);
    /* One PU per core before any second sibling. */
    p = plan_for(m, "spread", 32, 1, false, false);
    for (int i = 0; i < 32; i++)
        assert_int_equal(p->pu[i] % 2, 0);
    qtp_machine_free(m);
}

static void test_big_smt(void **state)
{
    (void)state;
    struct qtp_machine *m = load(BIG);
    for (unsigned n = 2; n <= 20; n++) {
        const struct qtp_plan *p = plan_for(m, "smt", n, 1, true, false);
        expect_ok(p);
        /* Producer and first consumer on the two siblings of core 0; the rest compact. */
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(p->pu[i], (int)i);
    }
    /* The sequencer: 3 producers, then the consumer (thread 3) shares core 0 with producer 0. */
    const struct qtp_plan *p = plan_for(m, "smt", 4, 3, true, false);
    expect_ok(p);
    assert_int_equal(p->pu[0], 0);
    assert_int_equal(p->pu[3], 1);
    assert_int_equal(p->pu[1], 2);
    assert_int_equal(p->pu[2], 3);
    assert_int_equal(m->pus[qtp_machine_pu_index(m, p->pu[0])].core,
                     m->pus[qtp_machine_pu_index(m, p->pu[3])].core);
    qtp_machine_free(m);
}

static void test_big_cross_numa(void **state)
{
    (void)state;
    struct qtp_machine *m = load(BIG);
    for (unsigned n = 2; n <= 20; n++) {
        const struct qtp_plan *p = plan_for(m, "cross-numa", n, 1, true, false);
        expect_ok(p);
        assert_int_equal(p->pu[0], 0);
        assert_int_equal(p->node[0], 0);
        for (unsigned j = 0; j + 1 < n; j++) {
            int want_node = 1 + (int)(j % 3);
            assert_int_equal(p->node[1 + j], want_node);
            assert_true(p->pu[1 + j] >= 16); /* never on node 0's PUs */
            assert_int_equal(p->pu[1 + j], 16 * want_node + 2 * (int)(j / 3));
        }
        assert_false(p->shares_pus);
    }
    /* Sequencer: all three producers on node 0 (one PU per core), the consumer on node 1. */
    const struct qtp_plan *p = plan_for(m, "cross-numa", 4, 3, true, false);
    expect_ok(p);
    assert_int_equal(p->pu[0], 0);
    assert_int_equal(p->pu[1], 2);
    assert_int_equal(p->pu[2], 4);
    assert_int_equal(p->pu[3], 16);
    qtp_machine_free(m);
}

static void test_big_os(void **state)
{
    (void)state;
    struct qtp_machine *m = load(BIG);
    for (unsigned n = 2; n <= 20; n++) {
        const struct qtp_plan *p = plan_for(m, "os", n, 1, true, false);
        expect_ok(p);
        for (unsigned i = 0; i < n; i++) {
            assert_int_equal(p->pu[i], -1);
            assert_int_equal(p->node[i], -1);
        }
        assert_int_equal(p->npus_used, 64);
    }
    char buf[64];
    qtp_plan_format(plan_for(m, "os", 3, 1, false, false), buf, sizeof(buf));
    assert_string_equal(buf, "unbound");
    qtp_plan_format(plan_for(m, "spread", 3, 1, false, false), buf, sizeof(buf));
    assert_string_equal(buf, "0:P0 1:P32 2:P16");
    qtp_machine_free(m);
}

/* ---- the 2-core, 1-node machine (the CI machine) ---- */

static void test_small(void **state)
{
    (void)state;
    struct qtp_machine *m = load(SMALL);
    assert_int_equal(m->npus, 2);
    assert_int_equal(m->smt_max, 1);
    assert_int_equal(m->nnodes, 1);
    for (unsigned n = 2; n <= 20; n++) {
        for (int spin = 0; spin <= 1; spin++) {
            for (int over = 0; over <= 1; over++) {
                static const char *const pol[] = {"os", "compact", "spread", "cpus:0-1",
                                                  "cpus:1,0"};
                for (size_t k = 0; k < sizeof(pol) / sizeof(pol[0]); k++) {
                    const struct qtp_plan *p = plan_for(m, pol[k], n, 1, spin, over);
                    bool shares = n > 2;
                    assert_int_equal(p->shares_pus, shares);
                    if (shares && spin && !over) {
                        char want[QTP_REASON_MAX];
                        snprintf(want, sizeof(want),
                                 "spin with %u threads on 2 PUs (%s): busy-spin oversubscription "
                                 "collapses; pass --oversubscribe to run it",
                                 n, pol[k]);
                        expect_skip(p, want);
                        continue;
                    }
                    expect_ok(p);
                    assert_int_equal(p->oversubscribed, shares && spin);
                    for (unsigned i = 0; i < n; i++) {
                        int want = k == 0 ? -1 : k == 4 ? (int)((i + 1) % 2) : (int)(i % 2);
                        assert_int_equal(p->pu[i], want);
                        assert_int_equal(p->node[i], k == 0 ? -1 : 0);
                    }
                }
                expect_skip(plan_for(m, "smt", n, 1, spin, over),
                            "smt needs SMT siblings: cores have 1 PU each");
                expect_skip(plan_for(m, "cross-numa", n, 1, spin, over),
                            "cross-numa needs 2 NUMA nodes, this machine has 1");
            }
        }
    }
    qtp_machine_free(m);
}

/* The named topologies' thread counts on the CI machine: spin runs only where threads <= PUs. */
static void test_small_topology_counts(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        unsigned threads, producers;
    } topo[] = {{"unicast", 2, 1}, {"pipeline", 4, 1},  {"fanout", 4, 1},   {"diamond", 4, 1},
                {"shard", 4, 1},   {"sequencer", 4, 3}, {"pingpong", 2, 1}, {"fanout16", 17, 1}};
    struct qtp_machine *m = load(SMALL);
    for (size_t t = 0; t < sizeof(topo) / sizeof(topo[0]); t++) {
        const struct qtp_plan *p =
            plan_for(m, "compact", topo[t].threads, topo[t].producers, true, false);
        if (topo[t].threads <= 2)
            expect_ok(p);
        else
            assert_int_equal(p->verdict, QTP_PLAN_SKIPPED);
        p = plan_for(m, "compact", topo[t].threads, topo[t].producers, false, false);
        expect_ok(p);
        assert_false(p->oversubscribed);
    }
    const struct qtp_plan *p = plan_for(m, "compact", 5, 1, true, false);
    expect_skip(p, "spin with 5 threads on 2 PUs (compact): busy-spin oversubscription collapses; "
                   "pass --oversubscribe to run it");
    p = plan_for(m, "os", 5, 1, true, true);
    expect_ok(p);
    assert_true(p->oversubscribed);
    qtp_machine_free(m);
}

/* ---- one package, 4 cores x 2 SMT ---- */

static void test_smt4(void **state)
{
    (void)state;
    struct qtp_machine *m = load(SMT4);
    static const int spread[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    for (unsigned n = 2; n <= 20; n++) {
        const struct qtp_plan *p = plan_for(m, "compact", n, 1, false, false);
        expect_ok(p);
        assert_int_equal(p->shares_pus, n > 8);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(p->pu[i], (int)(i % 8));
        p = plan_for(m, "spread", n, 1, false, false);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(p->pu[i], spread[i % 8]);
        p = plan_for(m, "smt", n, 1, false, false);
        expect_ok(p);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(p->pu[i], (int)(i % 8));
        expect_skip(plan_for(m, "cross-numa", n, 1, false, false),
                    "cross-numa needs 2 NUMA nodes, this machine has 1");
    }
    /* pipeline (4 threads) with smt: producer + s1 on core 0, s2 s3 on core 1. */
    const struct qtp_plan *p = plan_for(m, "smt", 4, 1, true, false);
    expect_ok(p);
    assert_int_equal(p->pu[0], 0);
    assert_int_equal(p->pu[1], 1);
    assert_int_equal(p->pu[2], 2);
    assert_int_equal(p->pu[3], 3);
    /* 9 spinning threads on 8 PUs. */
    expect_skip(plan_for(m, "smt", 9, 1, true, false),
                "spin with 9 threads on 8 PUs (smt): busy-spin oversubscription collapses; pass "
                "--oversubscribe to run it");
    qtp_machine_free(m);
}

/* Logical order is what counts: siblings are P#i and P#i+4. */
static void test_smt4_intel_numbering(void **state)
{
    (void)state;
    struct qtp_machine *m = load(SMT4_INTEL);
    static const int compact[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    static const int spread[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (unsigned n = 2; n <= 20; n++) {
        const struct qtp_plan *p = plan_for(m, "compact", n, 1, false, false);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(p->pu[i], compact[i % 8]);
        p = plan_for(m, "spread", n, 1, false, false);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(p->pu[i], spread[i % 8]);
        p = plan_for(m, "smt", n, 1, false, false);
        assert_int_equal(p->pu[0], 0);
        assert_int_equal(p->pu[1], 4); /* sibling of P#0 */
    }
    /* Sequencer with smt: consumer (thread 3) is P#0's sibling. */
    const struct qtp_plan *p = plan_for(m, "smt", 4, 3, false, false);
    assert_int_equal(p->pu[0], 0);
    assert_int_equal(p->pu[3], 4);
    assert_int_equal(p->pu[1], 1);
    assert_int_equal(p->pu[2], 5);
    qtp_machine_free(m);
}

static void test_two_packages_one_node(void **state)
{
    (void)state;
    struct qtp_machine *m = load(TWOPKG);
    static const int spread[8] = {0, 4, 2, 6, 1, 5, 3, 7};
    const struct qtp_plan *p = plan_for(m, "spread", 8, 1, false, false);
    for (int i = 0; i < 8; i++)
        assert_int_equal(p->pu[i], spread[i]);
    expect_skip(plan_for(m, "cross-numa", 2, 1, false, false),
                "cross-numa needs 2 NUMA nodes, this machine has 1");
    qtp_machine_free(m);
}

/* ---- cpus:LIST ---- */

static void test_cpus_list(void **state)
{
    (void)state;
    struct qtp_machine *m = load(BIG);
    char err[256];
    assert_int_equal(qtp_placement_parse("cpus:0-3,8,10-11", m, &spec, err, sizeof(err)), 0);
    assert_int_equal(spec.kind, QTP_PLACE_CPUS);
    static const int want[7] = {0, 1, 2, 3, 8, 10, 11};
    assert_int_equal(spec.ncpus, 7);
    for (int i = 0; i < 7; i++)
        assert_int_equal(spec.cpus[i], want[i]);
    assert_string_equal(spec.name, "cpus:0-3,8,10-11");
    /* Order as written, repeats allowed, cycling when shorter than the threads. */
    const struct qtp_plan *p = plan_for(m, "cpus:40,3,3", 5, 1, false, false);
    expect_ok(p);
    static const int cyc[5] = {40, 3, 3, 40, 3};
    for (int i = 0; i < 5; i++)
        assert_int_equal(p->pu[i], cyc[i]);
    assert_int_equal(p->node[0], 2);
    assert_int_equal(p->npus_used, 2);
    assert_true(p->shares_pus);
    expect_skip(plan_for(m, "cpus:40,3,3", 3, 1, true, false),
                "spin with 3 threads on 2 PUs (cpus:40,3,3): busy-spin oversubscription "
                "collapses; pass --oversubscribe to run it");
    p = plan_for(m, "cpus:40,3,3", 3, 1, true, true);
    expect_ok(p);
    assert_true(p->oversubscribed);
    /* Without a machine parse checks syntax only; plan then skips a CPU that is not there. */
    assert_int_equal(qtp_placement_parse("cpus:7", NULL, &spec, err, sizeof(err)), 0);
    struct qtp_machine *small = load(SMALL);
    struct qtp_plan_request req = {.nthreads = 2, .producers = 1};
    assert_int_equal(qtp_placement_plan(small, &spec, &req, &plan), 0);
    expect_skip(&plan, "cpus:7: CPU 7 does not exist (this machine has CPUs 0-1)");
    assert_int_equal(qtp_placement_validate(&spec, small, err, sizeof(err)), EINVAL);
    assert_string_equal(err, "cpus:7: CPU 7 does not exist (this machine has CPUs 0-1)");
    qtp_machine_free(small);
    qtp_machine_free(m);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *err;
    } bad[] = {
        {"spred", "unknown placement 'spred' (accepted: os, compact, spread, smt, cross-numa, "
                  "cpus:LIST)"},
        {"", "unknown placement '' (accepted: os, compact, spread, smt, cross-numa, cpus:LIST)"},
        {"Compact", "unknown placement 'Compact' (accepted: os, compact, spread, smt, "
                    "cross-numa, cpus:LIST)"},
        {"compact:2", "unknown placement 'compact:2' (accepted: os, compact, spread, smt, "
                      "cross-numa, cpus:LIST)"},
        {"cpus", "placement 'cpus' needs a list: cpus:LIST (LIST is like 0-3,8,10-11)"},
        {"cpus:", "cpus:: cpus: needs a list of CPUs (LIST is like 0-3,8,10-11)"},
        {"cpus:a", "cpus:a: 'a' is not a CPU number (LIST is like 0-3,8,10-11)"},
        {"cpus:0-x", "cpus:0-x: 'x' is not a CPU number (LIST is like 0-3,8,10-11)"},
        {"cpus:1-", "cpus:1-: range '1-' has no end (LIST is like 0-3,8,10-11)"},
        {"cpus:3-1", "cpus:3-1: range '3-1' is reversed (write 1-3; LIST is like 0-3,8,10-11)"},
        {"cpus:1,,2", "cpus:1,,2: ',2' is not a CPU number (LIST is like 0-3,8,10-11)"},
        {"cpus:1,", "cpus:1,: a CPU number is missing at the end (LIST is like 0-3,8,10-11)"},
        {"cpus:1-2-3", "cpus:1-2-3: unexpected '-3' (LIST is like 0-3,8,10-11)"},
        {"cpus:-1", "cpus:-1: '-1' is not a CPU number (LIST is like 0-3,8,10-11)"},
        {"cpus:1 2", "cpus:1 2: unexpected ' 2' (LIST is like 0-3,8,10-11)"},
        {"cpus:99999999", "cpus:99999999: CPU number '99999999' is too large (at most 65535)"},
        {"cpus:0-65535", "cpus:0-65535: more than 1024 CPUs in the list"},
        {"cpus:7", "cpus:7: CPU 7 does not exist (this machine has CPUs 0-1)"},
        {"cpus:0,1,2-3", "cpus:0,1,2-3: CPU 2 does not exist (this machine has CPUs 0-1)"},
    };
    struct qtp_machine *m = load(SMALL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        int rc = qtp_placement_parse(bad[i].text, m, &spec, err, sizeof(err));
        if (rc != EINVAL || strcmp(err, bad[i].err) != 0)
            fail_msg("'%s': rc %d\n  got:  %s\n  want: %s", bad[i].text, rc, err, bad[i].err);
    }
    char err[256];
    static const char *const good[] = {"os",         "compact", "spread",   "smt",
                                       "cross-numa", "cpus:0",  "cpus:1,0", "cpus:0-1,1,0"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(qtp_placement_parse(good[i], m, &spec, err, sizeof(err)), 0);
    qtp_machine_free(m);
}

/* ---- every policy x thread count x spin x oversubscribe on every test topology ---- */

static void test_invariants(void **state)
{
    (void)state;
    static const char *const topos[] = {BIG, SMALL, SMT4, SMT4_INTEL, TWOPKG};
    static const char *const pols[] = {"os", "compact", "spread", "smt", "cross-numa", "cpus:0,1"};
    for (size_t t = 0; t < sizeof(topos) / sizeof(topos[0]); t++) {
        struct qtp_machine *m = load(topos[t]);
        for (size_t k = 0; k < sizeof(pols) / sizeof(pols[0]); k++) {
            char err[256];
            assert_int_equal(qtp_placement_parse(pols[k], m, &spec, err, sizeof(err)), 0);
            char why[QTP_REASON_MAX];
            bool possible = qtp_placement_possible(m, &spec, why, sizeof(why));
            unsigned capacity = spec.kind == QTP_PLACE_CPUS ? 2 : m->npus;
            for (unsigned n = 1; n <= QTP_MAX_THREADS; n++)
                for (int spin = 0; spin <= 1; spin++)
                    for (int over = 0; over <= 1; over++)
                        for (unsigned prod = 1; prod <= 3 && prod <= n; prod += 2) {
                            struct qtp_plan_request req = {n, prod, spin, over};
                            assert_int_equal(qtp_placement_plan(m, &spec, &req, &plan), 0);
                            if (!possible) {
                                expect_skip(&plan, why);
                                continue;
                            }
                            /* cross-numa may pile producers on node 0's PUs early. */
                            bool shares = plan.shares_pus;
                            if (spec.kind != QTP_PLACE_CROSS_NUMA)
                                assert_int_equal(shares, n > capacity);
                            if (shares && spin && !over) {
                                assert_int_equal(plan.verdict, QTP_PLAN_SKIPPED);
                                assert_non_null(strstr(plan.reason, "--oversubscribe"));
                                continue;
                            }
                            expect_ok(&plan);
                            assert_int_equal(plan.oversubscribed, shares && spin);
                            for (unsigned i = 0; i < n; i++) {
                                if (spec.kind == QTP_PLACE_OS) {
                                    assert_int_equal(plan.pu[i], -1);
                                    continue;
                                }
                                assert_true(qtp_machine_pu_index(m, plan.pu[i]) >= 0);
                                assert_int_equal(plan.node[i], qtp_machine_pu_node(m, plan.pu[i]));
                            }
                            for (unsigned i = n; i < QTP_MAX_THREADS; i++)
                                assert_int_equal(plan.pu[i], -1);
                        }
        }
        qtp_machine_free(m);
    }
    /* Requests out of range. */
    struct qtp_machine *m = load(SMALL);
    char err[256];
    assert_int_equal(qtp_placement_parse("compact", m, &spec, err, sizeof(err)), 0);
    struct qtp_plan_request req = {.nthreads = 0};
    assert_int_equal(qtp_placement_plan(m, &spec, &req, &plan), EINVAL);
    req.nthreads = QTP_MAX_THREADS + 1;
    assert_int_equal(qtp_placement_plan(m, &spec, &req, &plan), EINVAL);
    qtp_machine_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flatten_big),
        cmocka_unit_test(test_flatten_intel),
        cmocka_unit_test(test_big_compact_spread),
        cmocka_unit_test(test_big_smt),
        cmocka_unit_test(test_big_cross_numa),
        cmocka_unit_test(test_big_os),
        cmocka_unit_test(test_small),
        cmocka_unit_test(test_small_topology_counts),
        cmocka_unit_test(test_smt4),
        cmocka_unit_test(test_smt4_intel_numbering),
        cmocka_unit_test(test_two_packages_one_node),
        cmocka_unit_test(test_cpus_list),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
