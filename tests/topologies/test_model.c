/* topo_model: descriptions, finalizing, the registry, the sequential model and the check. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qtp_topo.h"
#include "qtp_topo_internal.h"

static struct qtp_node *st(const char *name)
{
    struct qtp_stage_params p = {name, 0, 0};
    return qtp_stage(&p);
}

static void test_constructors(void **state)
{
    (void)state;
    assert_null(qtp_seq(st("a"), NULL));
    assert_null(qtp_shard(st("a"), 3));
    assert_null(qtp_shard(st("a"), 0));
    assert_null(qtp_fanout(0, NULL));
    struct qtp_node *v[2] = {st("a"), NULL};
    assert_null(qtp_fanout(2, v)); /* frees a */
    struct qtp_node *s = qtp_seq(qtp_seq(st("a"), st("b")), st("c"));
    assert_non_null(s);
    qtp_node_free(s);
    qtp_node_free(NULL);
}

static void test_finalize_diamond(void **state)
{
    (void)state;
    struct qtp_topology t;
    struct qtp_topo_params p = {0};
    assert_int_equal(qtp_topology_find("diamond")->build(&p, &t), 0);
    assert_int_equal(t.nfields, 3);
    assert_int_equal(t.ninstances, 3);
    assert_int_equal(t.nterminals, 1);
    assert_int_equal(t.nthreads, 4);
    assert_int_equal(t.event_size, sizeof(struct qtp_event) + 3 * 8);
    const struct qtp_graph *g = t.graph;
    assert_int_equal(g->nroots, 2);
    assert_int_equal(g->stage[2].up, 3); /* c3 reads c1 and c2 */
    assert_int_equal(g->inst[2].vis, 7);
    assert_int_equal(g->inst[2].ndeps, 2);
    qtp_topology_fini(&t);
}

static void test_nested_shards(void **state)
{
    (void)state;
    /* shard(seq(a, shard(b, 2)), 2), then m */
    struct qtp_node *inner = qtp_seq(st("a"), qtp_shard(st("b"), 2));
    struct qtp_topology t;
    assert_int_equal(qtp_topology_init(&t, "nested", qtp_seq(qtp_shard(inner, 2), st("m")), 1, 0),
                     0);
    const struct qtp_graph *g = t.graph;
    assert_int_equal(t.ninstances, 7);
    assert_int_equal(t.nfields, 3);
    /* a#0 b#0.0 b#0.1 a#1 b#1.0 b#1.1 m */
    struct {
        const char *role;
        uint32_t mod, res;
    } want[] = {{"a#0", 2, 0},   {"b#0.0", 4, 0}, {"b#0.1", 4, 2}, {"a#1", 2, 1},
                {"b#1.0", 4, 1}, {"b#1.1", 4, 3}, {"m", 1, 0}};
    for (unsigned i = 0; i < 7; i++) {
        assert_string_equal(g->inst[i].role, want[i].role);
        assert_int_equal(g->inst[i].mod, want[i].mod);
        assert_int_equal(g->inst[i].res, want[i].res);
    }
    /* b#1.0 follows a#1; m follows every b copy. */
    assert_int_equal(g->inst[4].ndeps, 1);
    assert_int_equal(g->inst[4].deps[0], 3);
    assert_int_equal(g->inst[6].ndeps, 4);
    assert_int_equal(t.nterminals, 1);
    /* Every position is owned by exactly one b copy, and its a copy owns it too. */
    for (uint64_t pos = 0; pos < 64; pos++) {
        unsigned owners = 0;
        for (unsigned i = 0; i < 7; i++) {
            if (g->inst[i].field != 1 || !qtp_part_has(g->inst[i].mod, g->inst[i].res, pos))
                continue;
            owners++;
            const struct qtp_ginst *a = &g->inst[g->inst[i].deps[0]];
            assert_true(qtp_part_has(a->mod, a->res, pos));
        }
        assert_int_equal(owners, 1);
    }
    char buf[4096];
    assert_int_equal(qtp_topology_describe(&t, buf, sizeof(buf)), 0);
    assert_non_null(strstr(buf, "b#0.1: field 1, owns p%4==2, after a#0"));
    assert_non_null(strstr(buf, "shard 2"));
    assert_int_equal(qtp_topology_describe(&t, buf, 40), ENOSPC);
    assert_true(strlen(buf) < 40);
    qtp_topology_fini(&t);
}

static void test_limits(void **state)
{
    (void)state;
    struct qtp_topology t;
    struct qtp_node *v[65];
    for (unsigned i = 0; i < 65; i++)
        v[i] = st(NULL);
    assert_int_equal(qtp_topology_init(&t, "big", qtp_fanout(65, v), 1, 0), EINVAL);
    /* Several producers: no shards; several first stages only when nothing joins them. */
    assert_int_equal(qtp_topology_init(&t, "x", qtp_seq(st("a"), qtp_shard(st("b"), 2)), 3, 0),
                     EINVAL);
    struct qtp_node *f[2] = {st("a"), st("b")};
    assert_int_equal(qtp_topology_init(&t, "x", qtp_fanout(2, f), 3, 0), 0);
    qtp_topology_fini(&t);
    struct qtp_node *j[2] = {st("a"), st("b")};
    assert_int_equal(qtp_topology_init(&t, "x", qtp_seq(qtp_fanout(2, j), st("c")), 3, 0), EINVAL);
    struct qtp_node *g2[2] = {st("b"), st("c")};
    assert_int_equal(qtp_topology_init(&t, "x", qtp_seq(st("a"), qtp_fanout(2, g2)), 3, 0), 0);
    qtp_topology_fini(&t);
    assert_int_equal(qtp_topology_init(&t, "x", st("a"), 1, 7), EINVAL);
    assert_int_equal(qtp_topology_init(&t, "x", st("a"), 1, 4097), EINVAL);
    assert_int_equal(qtp_topology_init(&t, "x", st("a"), 0, 0), EINVAL);
    assert_int_equal(qtp_topology_init(&t, "x", NULL, 1, 0), EINVAL);
    assert_int_equal(qtp_topology_init(&t, "x", qtp_seq(st("a"), st("b")), 1, 0), 0);
    assert_int_equal(qtp_topology_set_pingpong(&t), EINVAL);
    qtp_topology_fini(&t);
}

static void test_registry(void **state)
{
    (void)state;
    const char *names[] = {"unicast", "pipeline",  "fanout",   "diamond",
                           "shard",   "sequencer", "pingpong", "broker"};
    unsigned n = 0;
    for (const struct qtp_topology_def *d = qtp_topologies; d->name; d++, n++) {
        assert_string_equal(d->name, names[n]);
        assert_true(strlen(d->summary) > 10 && strlen(d->wiring) > 10);
        assert_ptr_equal(qtp_topology_find(d->name), d);
        struct qtp_topology t;
        struct qtp_topo_params p = {0};
        assert_int_equal(d->build(&p, &t), 0);
        assert_string_equal(t.name, d->name);
        qtp_topology_fini(&t);
    }
    assert_int_equal(n, 8);
    assert_null(qtp_topology_find("nope"));
    struct qtp_topology t;
    struct qtp_topo_params p = {.stages = 5};
    assert_int_equal(qtp_topology_find("pipeline")->build(&p, &t), 0);
    assert_int_equal(t.nthreads, 6);
    qtp_topology_fini(&t);
    p = (struct qtp_topo_params){.fanout = 16};
    assert_int_equal(qtp_topology_find("fanout")->build(&p, &t), 0);
    assert_int_equal(t.nterminals, 16);
    qtp_topology_fini(&t);
    p = (struct qtp_topo_params){.shards = 8};
    assert_int_equal(qtp_topology_find("shard")->build(&p, &t), 0);
    assert_int_equal(t.nthreads, 10);
    qtp_topology_fini(&t);
    assert_int_equal(qtp_topology_find("sequencer")->build(&(struct qtp_topo_params){0}, &t), 0);
    assert_int_equal(t.producers, 3);
    qtp_topology_fini(&t);
    assert_int_equal(qtp_topology_find("pingpong")->build(&(struct qtp_topo_params){0}, &t), 0);
    assert_true(t.pingpong);
    qtp_topology_fini(&t);
    /* Seed 002's broker: 4 publishers, 6 readers by default; every reader a terminal. */
    assert_int_equal(qtp_topology_find("broker")->build(&(struct qtp_topo_params){0}, &t), 0);
    assert_int_equal(t.producers, 4);
    assert_int_equal(t.nterminals, 6);
    assert_int_equal(t.nthreads, 10);
    qtp_topology_fini(&t);
    p = (struct qtp_topo_params){.producers = 1, .readers = 16};
    assert_int_equal(qtp_topology_find("broker")->build(&p, &t), 0);
    assert_int_equal(t.producers, 1);
    assert_int_equal(t.nterminals, 16);
    qtp_topology_fini(&t);

    char err[160];
    p = (struct qtp_topo_params){.fanout = 17};
    assert_int_equal(qtp_topo_params_check(&p, err, sizeof(err)), EINVAL);
    assert_non_null(strstr(err, "fanout 17"));
    assert_int_equal(qtp_topology_find("fanout")->build(&p, &t), EINVAL);
    p = (struct qtp_topo_params){.shards = 3};
    assert_int_equal(qtp_topo_params_check(&p, err, sizeof(err)), EINVAL);
    assert_non_null(strstr(err, "shards 3"));
    p = (struct qtp_topo_params){.payload = 5};
    assert_int_equal(qtp_topo_params_check(&p, err, sizeof(err)), EINVAL);
    assert_non_null(strstr(err, "payload 5"));
}

static void test_model_counts(void **state)
{
    (void)state;
    static struct qtp_expect a, b;
    struct qtp_topology t;
    struct qtp_topo_params p = {.shards = 4};
    assert_int_equal(qtp_topology_find("shard")->build(&p, &t), 0);
    assert_int_equal(qtp_model_run(&t, 1, 10, &a), 0);
    assert_int_equal(a.nterminals, 1);
    assert_int_equal(a.term[0].count[0], 10);
    qtp_topology_fini(&t);

    /* A terminal shard (no merge): copy i sees the positions it owns. */
    struct qtp_node *x = qtp_shard(st("w"), 4);
    assert_int_equal(qtp_topology_init(&t, "tshard", x, 1, 0), 0);
    assert_int_equal(qtp_model_run(&t, 1, 10, &a), 0);
    assert_int_equal(a.nterminals, 4);
    assert_int_equal(a.term[0].count[0], 3);
    assert_int_equal(a.term[1].count[0], 3);
    assert_int_equal(a.term[2].count[0], 2);
    assert_int_equal(a.term[3].count[0], 2);
    qtp_topology_fini(&t);

    assert_int_equal(qtp_topology_find("sequencer")->build(&(struct qtp_topo_params){0}, &t), 0);
    assert_int_equal(qtp_model_run(&t, 1, 5, &a), 0);
    for (unsigned q = 0; q < 3; q++)
        assert_int_equal(a.term[0].count[q], 5);
    assert_true(a.term[0].hash[0] != a.term[0].hash[1]);
    qtp_topology_fini(&t);

    /* Deterministic, and sensitive to the seed. */
    assert_int_equal(qtp_topology_find("diamond")->build(&(struct qtp_topo_params){0}, &t), 0);
    qtp_model_run(&t, 7, 100, &a);
    qtp_model_run(&t, 7, 100, &b);
    assert_memory_equal(&a, &b, sizeof(a));
    char reason[512];
    assert_true(qtp_expect_check(&t, &a, &b, reason, sizeof(reason)));
    qtp_model_run(&t, 8, 100, &b);
    assert_true(a.term[0].hash[0] != b.term[0].hash[0]);
    assert_false(qtp_expect_check(&t, &a, &b, reason, sizeof(reason)));
    assert_non_null(strstr(reason, "hash"));
    qtp_model_run(&t, 7, 99, &b);
    assert_false(qtp_expect_check(&t, &a, &b, reason, sizeof(reason)));
    assert_non_null(strstr(reason, "terminal c3 producer 0: count 99, expected 100"));
    /* An inline mismatch comes first, with seq and field. */
    qtp_model_run(&t, 7, 100, &b);
    b.term[0].bad = 2;
    b.term[0].bad_seq = 41;
    snprintf(b.term[0].bad_what, sizeof(b.term[0].bad_what), "field 1 (c2)");
    b.term[0].bad_want = 0x10;
    b.term[0].bad_got = 0x11;
    assert_false(qtp_expect_check(&t, &a, &b, reason, sizeof(reason)));
    assert_string_equal(reason, "terminal c3: seq 41 producer 0 field 1 (c2): expected 0x10, "
                                "got 0x11 (2 bad events)");
    b.term[0].bad = 0;
    b.errors = 1;
    snprintf(b.error, sizeof(b.error), "c3: join got seq 4 and 5");
    assert_false(qtp_expect_check(&t, &a, &b, reason, sizeof(reason)));
    assert_non_null(strstr(reason, "join got seq 4 and 5"));
    qtp_topology_fini(&t);
}

static void test_stage_values(void **state)
{
    (void)state;
    /* The model's fields follow the stage functions: diamond c3 = f(input, c1, c2). */
    struct qtp_topology t;
    assert_int_equal(qtp_topology_find("diamond")->build(&(struct qtp_topo_params){0}, &t), 0);
    const struct qtp_graph *g = t.graph;
    uint64_t in = qtp_input_value(3, 0, 17), out[3];
    for (unsigned f = 0; f < 3; f++)
        out[f] = qtp_stage_value(g, f, in, out);
    assert_true(out[0] != out[1] && out[1] != out[2]);
    uint64_t c3 = qtp_mix_fast(in + 0x9e3779b97f4a7c15ULL * 3);
    c3 = qtp_mix_fast(qtp_mix_fast(c3 ^ out[0]) ^ out[1]);
    assert_true(out[2] == c3);
    assert_true(qtp_input_value(3, 0, 17) != qtp_input_value(3, 1, 17));
    assert_true(qtp_input_value(3, 0, 17) != qtp_input_value(4, 0, 17));
    qtp_topology_fini(&t);
}

static void test_payload(void **state)
{
    (void)state;
    unsigned char buf[4096];
    size_t sizes[] = {8, 9, 16, 24, 100, 4096};
    for (unsigned i = 0; i < 6; i++) {
        size_t n = sizes[i];
        qtp_payload_fill(buf, n, 12, 0xabcdef);
        assert_int_equal(qtp_payload_check(buf, n, 12, 0xabcdef), 0);
        assert_true(qtp_payload_check(buf, n, 12, 0xabcdee) != 0);
        buf[3] ^= 1;
        assert_int_equal(qtp_payload_check(buf, n, 12, 0xabcdef), 4);
        buf[3] ^= 1;
        if (n >= 16) {
            assert_true(qtp_payload_check(buf, n, 13, 0xabcdef) != 0);
            buf[n - 1] ^= 1;
            assert_int_equal(qtp_payload_check(buf, n, 12, 0xabcdef), n);
            buf[n - 1] ^= 1;
        }
        if (n >= 24) {
            buf[n / 2] ^= 1;
            assert_int_equal(qtp_payload_check(buf, n, 12, 0xabcdef), n / 2 + 1);
        }
    }
    assert_int_equal(qtp_event_size(3, 0) % 8, 0);
    assert_int_equal(qtp_event_size(3, 9), sizeof(struct qtp_event) + 24 + 16);
}

static void test_work(void **state)
{
    (void)state;
    qtp_work_calibrate();
    qtp_work_calibrate();
    qtp_work_busy(1000); /* behaviour only: speed is for the benchmarks */
    qtp_work_busy(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constructors),  cmocka_unit_test(test_finalize_diamond),
        cmocka_unit_test(test_nested_shards), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_registry),      cmocka_unit_test(test_model_counts),
        cmocka_unit_test(test_stage_values),  cmocka_unit_test(test_payload),
        cmocka_unit_test(test_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
