/* test_lang_named: the named topologies, now registry rows whose definition is an expression,
 * compile to exactly the graphs of the C builders they replaced (kept here, verbatim, as the
 * reference), over every shape parameter and with work, sleep and payload. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lang_util.h"
#include "qtp_lang.h"
#include "qtp_topo_internal.h"

/* ---- the C builders the registry had before it held expressions ---- */

static struct qtp_node *named_stage(const struct qtp_topo_params *p, const char *fmt, unsigned i)
{
    char name[QTP_NAME_MAX];
    snprintf(name, sizeof(name), fmt, i);
    struct qtp_stage_params sp = {name, p->work_ns, p->sleep_ns};
    return qtp_stage(&sp);
}

static int finish(struct qtp_topology *out, const char *name, struct qtp_node *root,
                  unsigned producers, const struct qtp_topo_params *p)
{
    if (!root)
        return ENOMEM;
    return qtp_topology_init(out, name, root, producers, p->payload);
}

static int build_unicast(const struct qtp_topo_params *p, struct qtp_topology *out)
{
    if (qtp_topo_params_check(p, NULL, 0))
        return EINVAL;
    return finish(out, "unicast", named_stage(p, "c%u", 1), 1, p);
}

static int build_pipeline(const struct qtp_topo_params *p, struct qtp_topology *out)
{
    if (qtp_topo_params_check(p, NULL, 0))
        return EINVAL;
    unsigned n = p->stages ? p->stages : 3;
    struct qtp_node *v[32];
    for (unsigned i = 0; i < n; i++)
        v[i] = named_stage(p, "s%u", i + 1);
    return finish(out, "pipeline", qtp_seqv(n, v), 1, p);
}

static int build_fanout(const struct qtp_topo_params *p, struct qtp_topology *out)
{
    if (qtp_topo_params_check(p, NULL, 0))
        return EINVAL;
    unsigned n = p->fanout ? p->fanout : 3;
    struct qtp_node *v[16];
    for (unsigned i = 0; i < n; i++)
        v[i] = named_stage(p, "c%u", i + 1);
    return finish(out, "fanout", qtp_fanout(n, v), 1, p);
}

static int build_diamond(const struct qtp_topo_params *p, struct qtp_topology *out)
{
    if (qtp_topo_params_check(p, NULL, 0))
        return EINVAL;
    struct qtp_node *br[2] = {named_stage(p, "c%u", 1), named_stage(p, "c%u", 2)};
    return finish(out, "diamond", qtp_seq(qtp_fanout(2, br), named_stage(p, "c%u", 3)), 1, p);
}

static int build_shard(const struct qtp_topo_params *p, struct qtp_topology *out)
{
    if (qtp_topo_params_check(p, NULL, 0))
        return EINVAL;
    unsigned n = p->shards ? p->shards : 2;
    struct qtp_node *w = qtp_shard(named_stage(p, "w", 0), n);
    struct qtp_stage_params mp = {"merge", p->work_ns, p->sleep_ns};
    return finish(out, "shard", qtp_seq(w, qtp_stage(&mp)), 1, p);
}

static int build_sequencer(const struct qtp_topo_params *p, struct qtp_topology *out)
{
    if (qtp_topo_params_check(p, NULL, 0))
        return EINVAL;
    return finish(out, "sequencer", named_stage(p, "c%u", 1), 3, p);
}

static int build_pingpong(const struct qtp_topo_params *p, struct qtp_topology *out)
{
    if (qtp_topo_params_check(p, NULL, 0))
        return EINVAL;
    struct qtp_stage_params sp = {"echo", p->work_ns, p->sleep_ns};
    int rc = finish(out, "pingpong", qtp_stage(&sp), 1, p);
    if (rc)
        return rc;
    return qtp_topology_set_pingpong(out);
}

static const struct reference {
    const char *name;
    int (*build)(const struct qtp_topo_params *p, struct qtp_topology *out);
} reference[] = {
    {"unicast", build_unicast},   {"pipeline", build_pipeline}, {"fanout", build_fanout},
    {"diamond", build_diamond},   {"shard", build_shard},       {"sequencer", build_sequencer},
    {"pingpong", build_pingpong},
};
#define NREF (sizeof(reference) / sizeof(reference[0]))

static void same(const struct reference *r, const struct qtp_topo_params *p)
{
    const struct qtp_topology_def *d = qtp_topology_find(r->name);
    assert_non_null(d);
    struct qtp_topology a, b, c;
    int ra = r->build(p, &a), rb = qtp_topology_build(d, p, &b);
    assert_int_equal(ra, rb);
    if (ra)
        return;
    char why[256];
    if (!lang_graph_equal(&a, &b, why, sizeof(why)))
        fail_msg("%s (fanout %u shards %u stages %u work %llu sleep %llu payload %zu): %s", r->name,
                 p->fanout, p->shards, p->stages, (unsigned long long)p->work_ns,
                 (unsigned long long)p->sleep_ns, p->payload, why);
    assert_string_equal(a.name, b.name);
    /* The function-pointer face builds the same. */
    assert_int_equal(d->build(p, &c), 0);
    assert_true(lang_graph_equal(&b, &c, why, sizeof(why)));
    qtp_topology_fini(&a);
    qtp_topology_fini(&b);
    qtp_topology_fini(&c);
}

static void test_equivalence(void **state)
{
    (void)state;
    unsigned cases = 0;
    static const uint64_t times[] = {0, 1, 250, 1000, 1000000000};
    static const size_t payloads[] = {0, 8, 100, 4096};
    for (size_t r = 0; r < NREF; r++) {
        for (unsigned v = 0; v <= 33; v++) {
            struct qtp_topo_params p = {.fanout = v <= 17 ? v : 0, .shards = v, .stages = v};
            same(&reference[r], &p); /* out-of-range values: both refuse */
            cases++;
        }
        for (size_t w = 0; w < 5; w++)
            for (size_t s = 0; s < 5; s++)
                for (size_t y = 0; y < 4; y++) {
                    struct qtp_topo_params p = {.fanout = 2,
                                                .shards = 4,
                                                .stages = 5,
                                                .work_ns = times[w],
                                                .sleep_ns = times[s],
                                                .payload = payloads[y]};
                    same(&reference[r], &p);
                    cases++;
                }
    }
    printf("  %u cases\n", cases);
}

/* What `qtopo list` shows a user to copy, and the parameters each row takes. */
static void test_rows(void **state)
{
    (void)state;
    static const struct {
        const char *name, *expr;
        unsigned takes;
        const char *params;
    } rows[] = {
        {"unicast", "stage(name=c1)", 0, ""},
        {"pipeline", "seq(stage, stage, stage)", QTP_PARAM_STAGES,
         "--stages N: stages, 1..32, default 3"},
        {"fanout", "fanout(stage(name=c1), stage(name=c2), stage(name=c3))", QTP_PARAM_FANOUT,
         "--fanout N: branches, 1..16, default 3"},
        {"diamond", "seq(fanout(stage(name=c1), stage(name=c2)), stage(name=c3))", 0, ""},
        {"shard", "seq(shard(stage(name=w), 2), stage(name=merge))", QTP_PARAM_SHARDS,
         "--shards N: copies, a power of two in 1..32, default 2"},
        {"sequencer", "topo(stage(name=c1), producers=3)", 0, ""},
        {"pingpong", "topo(stage(name=echo), pingpong)", 0, ""},
        {"broker",
         "topo(fanout(stage(name=r1), stage(name=r2), stage(name=r3), stage(name=r4), "
         "stage(name=r5), stage(name=r6)), producers=4)",
         QTP_PARAM_PRODUCERS | QTP_PARAM_READERS,
         "--producers N: publishers, 1..4, default 4; --readers N: readers, 1..16, default 6"},
    };
    size_t n = 0;
    for (const struct qtp_topology_def *d = qtp_topologies; d->name; d++, n++) {
        assert_string_equal(d->name, rows[n].name);
        char buf[QTP_TOPO_EXPR_MAX];
        assert_int_equal(qtp_topology_def_expr(d, NULL, buf, sizeof(buf)), 0);
        assert_string_equal(buf, rows[n].expr);
        assert_int_equal(qtp_topology_takes(d), rows[n].takes);
        assert_int_equal(qtp_topology_params_text(d, buf, sizeof(buf)), 0);
        assert_string_equal(buf, rows[n].params);
        /* The expression shown builds the named topology's graph. */
        struct qtp_topology a, b;
        assert_int_equal(qtp_topology_build(d, NULL, &a), 0);
        assert_int_equal(qtp_topo_parse(rows[n].expr, d->name, NULL, &b, NULL), 0);
        char why[256];
        if (!lang_graph_equal(&a, &b, why, sizeof(why)))
            fail_msg("%s: %s", d->name, why);
        qtp_topology_fini(&a);
        qtp_topology_fini(&b);
    }
    assert_int_equal(n, 8);
    char buf[QTP_TOPO_EXPR_MAX];
    struct qtp_topo_params p = {.stages = 2, .work_ns = 1500, .payload = 64};
    assert_int_equal(qtp_topology_def_expr(qtp_topology_find("pipeline"), &p, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "topo(seq(stage(work=1500ns), stage(work=1500ns)), payload=64)");
    p = (struct qtp_topo_params){.fanout = 17};
    assert_int_equal(qtp_topology_def_expr(qtp_topology_find("fanout"), &p, buf, sizeof(buf)),
                     EINVAL);
    assert_int_equal(qtp_topology_def_expr(qtp_topology_find("fanout"), NULL, buf, 10), ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equivalence),
        cmocka_unit_test(test_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
