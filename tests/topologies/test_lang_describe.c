/* test_lang_describe: qtp_topology_describe's text - the whole of it for the shard topology, the
 * facts that matter for the others (multi-producer ring, pingpong's two rings, a queue that
 * carries nothing), and, for random topologies, one line per thread and per queue. */
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
#include "topo_util.h"

static uint64_t seed;

static char *describe(const char *expr, struct qtp_topology *t)
{
    static char buf[1 << 16];
    struct qtp_parse_error e;
    if (qtp_topology_resolve(expr, NULL, t, &e))
        fail_msg("'%s': %s", expr, e.msg);
    assert_int_equal(qtp_topology_describe(t, buf, sizeof(buf)), 0);
    return buf;
}

static void has(const char *text, const char *line)
{
    if (!strstr(text, line))
        fail_msg("missing '%s' in:\n%s", line, text);
}

/* The per-edge header names the per-edge queue kinds of qtp_deploy.h's registry: not fixed here. */
static void drop_kinds_line(char *s)
{
    char *h = strstr(s, "per-edge queues (");
    assert_non_null(h);
    char *end = strchr(h, '\n');
    memmove(h, end + 1, strlen(end + 1) + 1);
}

static void test_shard(void **state)
{
    (void)state;
    struct qtp_topology t;
    char *s = describe("shard", &t);
    drop_kinds_line(s);
    assert_string_equal(
        s, "shard: seq(shard(stage(name=w), 2), stage(name=merge))\n"
           "  1 producer, 3 stage instances, 1 terminal, 4 threads; event 40 bytes (2 fields, "
           "payload 0)\n"
           "tree:\n"
           "  seq\n"
           "    shard 2\n"
           "      stage w (stage 1, field 0)\n"
           "    stage merge (stage 2, field 1, reads field 0)\n"
           "threads (in start order: producers, then stage instances depth-first):\n"
           "  0 producer\n"
           "  1 w#0: field 0, owns p%2==0, after producer\n"
           "  2 w#1: field 0, owns p%2==1, after producer\n"
           "  3 merge: field 1, after w#0+w#1 (terminal)\n"
           "ring (one ring; barriers wait on sequences, events are never copied):\n"
           "  p: claims and publishes slots (the cursor); gated on merge\n"
           "  w#0: waits on the cursor; handles p%2==0, passes over the rest\n"
           "  w#1: waits on the cursor; handles p%2==1, passes over the rest\n"
           "  merge: waits on min(w#0, w#1); a terminal (gates p)\n"
           "  q[p->w#0] carries p%2==0\n"
           "  q[p->w#1] carries p%2==1\n"
           "  q[w#0->merge] carries p%2==0\n"
           "  q[w#1->merge] carries p%2==1\n"
           "  p: pushes each position into the out-queue whose destination owns it (dealing): "
           "q[p->w#0] (p%2==0), q[p->w#1] (p%2==1)\n"
           "  w#0: pops q[p->w#0]; pushes into q[w#0->merge]\n"
           "  w#1: pops q[p->w#1]; pushes into q[w#1->merge]\n"
           "  merge: pops each position from the in-queue whose source owns it (an in-order "
           "merge): q[w#0->merge] (p%2==0), q[w#1->merge] (p%2==1); pushes nothing (a "
           "terminal)\n");
    /* The FILE writer writes the same; a short buffer is cut and says so. */
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    assert_non_null(f);
    assert_int_equal(qtp_topology_describe_write(&t, f), 0);
    fclose(f);
    char buf[1 << 16];
    assert_int_equal(qtp_topology_describe(&t, buf, sizeof(buf)), 0);
    assert_string_equal(mem, buf);
    free(mem);
    assert_int_equal(qtp_topology_describe(&t, buf, 40), ENOSPC);
    assert_int_equal(strlen(buf), 39);
    qtp_topology_fini(&t);
}

static void test_facts(void **state)
{
    (void)state;
    struct qtp_topology t;
    char *s = describe("sequencer", &t);
    has(s, "  0 producer0\n  1 producer1\n  2 producer2\n  3 c1: field 0, after producer "
           "(terminal)\n");
    has(s, "  p (3 producers): claim slots with a CAS on one multi-producer ring");
    has(s, "  p (3 producers, one queue shared): pushes into q[p->c1]\n");
    qtp_topology_fini(&t);

    s = describe("pingpong", &t);
    has(s, "1 producer (round trip)");
    has(s, "ring (two rings: ping and pong; each event copied once, into pong):\n");
    has(s, "  q[echo->p] carries all (pong: the way back)\n");
    has(s, "  p: pushes into q[p->echo], then pops the batch back: pops q[echo->p]\n");
    has(s, "  echo: pops q[p->echo]; pushes into q[echo->p]\n");
    qtp_topology_fini(&t);

    s = describe("diamond", &t);
    has(s, "  c3: waits on min(c1, c2); a terminal (gates p)\n");
    has(s, "  p: pushes a copy into each of q[p->c1], q[p->c2]\n");
    has(s, "  c3: pops one event from each of q[c1->c3], q[c2->c3] (a join: the same seq from "
           "each, fields merged); pushes nothing (a terminal)\n");
    has(s, "    stage c3 (stage 3, field 2, reads fields 0, 1)\n");
    qtp_topology_fini(&t);

    /* Shards after shards: the edges between copies that own nothing in common stay empty. */
    s = describe("seq(fanout(shard(stage, 2), stage), shard(stage(work=2us), 2), stage)", &t);
    has(s, "  q[s1#1->s3#0] carries nothing: its ends own no position in common (it stays "
           "empty)\n");
    has(s, "  s2: pops q[p->s2]; pushes each position into the out-queue whose destination owns "
           "it (dealing): q[s2->s3#0] (p%2==0), q[s2->s3#1] (p%2==1)\n");
    has(s, "  s3#0: waits on min(s1#0, s1#1, s2); handles p%2==0, passes over the rest\n");
    has(s, "      stage s3 (stage 3, field 2, reads fields 0, 1, work 2000 ns)\n");
    qtp_topology_fini(&t);

    /* A shard of shards: each copy of a copy owns its quarter. */
    s = describe("shard(shard(stage(name=a), 2), 2)", &t);
    has(s, "  2 a#0.1: field 0, owns p%4==2, after producer (terminal)\n");
    qtp_topology_fini(&t);
}

static unsigned count(const char *s, const char *what)
{
    unsigned n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

static void test_random(void **state)
{
    (void)state;
    uint64_t rs = seed;
    for (unsigned c = 0; c < 300; c++) {
        struct qtp_topology t;
        lang_random_topology(&rs, QTP_TOPO_MAX_INSTANCES, &t);
        static char buf[1 << 18];
        assert_int_equal(qtp_topology_describe(&t, buf, sizeof(buf)), 0);
        const struct qtp_graph *g = t.graph;
        unsigned edges = g->nroots + (t.pingpong ? 1 : 0);
        for (unsigned i = 0; i < g->ninst; i++) {
            edges += g->inst[i].ndeps;
            char line[QTP_ROLE_MAX + 16];
            snprintf(line, sizeof(line), "\n  %u %s: field %u", t.producers + i, g->inst[i].role,
                     g->inst[i].field);
            has(buf, line);
            snprintf(line, sizeof(line), "\n  %s: waits on ", g->inst[i].role);
            has(buf, line);
        }
        assert_int_equal(count(buf, " carries "), edges);
        qtp_topology_fini(&t);
    }
}

int main(int argc, char **argv)
{
    seed = topo_seed(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard),
        cmocka_unit_test(test_facts),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
