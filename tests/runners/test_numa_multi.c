/* test_numa_multi.c - memory policies and cross-numa binding where it takes two NUMA nodes with
 * CPUs and memory. Exits 77 (skipped) on a machine with fewer. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <numa.h>

#include "numa_mem.h"
#include "placement.h"

static struct qtp_machine *real;
static size_t ps;

static void touch(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += ps)
        p[i] = 1;
}

static struct qtp_memory_spec parse_ok(const char *text)
{
    struct qtp_memory_spec s;
    char err[256] = "";
    if (qtp_memory_parse(text, real, &s, err, sizeof(err)) != 0)
        fail_msg("parse '%s': %s", text, err);
    return s;
}

static void test_node_bind(void **state)
{
    (void)state;
    for (unsigned k = 0; k < real->nnodes; k++) {
        if (real->nodes[k].memory_bytes == 0)
            continue;
        char name[32];
        snprintf(name, sizeof(name), "node:%d", real->nodes[k].os);
        struct qtp_memory_spec s = parse_ok(name);
        size_t size = 32 * ps;
        unsigned char *p = qtp_numa_alloc(&s, size, 64);
        assert_non_null(p);
        touch(p, size);
        struct qtp_page_census c;
        assert_int_equal(qtp_numa_pages_census(p, size, &c), 0);
        assert_int_equal(c.nnodes, 1);
        assert_int_equal(c.node[0], real->nodes[k].os);
        assert_int_equal(c.on_node[0], 32);
        qtp_numa_free(p, size);
    }
}

static void test_interleave_spreads(void **state)
{
    (void)state;
    struct qtp_memory_spec s = parse_ok("interleave");
    size_t size = 256 * ps;
    unsigned char *p = qtp_numa_alloc(&s, size, 64);
    assert_non_null(p);
    touch(p, size);
    struct qtp_page_census c;
    assert_int_equal(qtp_numa_pages_census(p, size, &c), 0);
    assert_true(c.nnodes >= 2);
    for (size_t i = 0; i < c.nnodes; i++)
        assert_true(c.on_node[i] >= 256 / (2 * c.nnodes)); /* round-robin: roughly even */
    qtp_numa_free(p, size);
}

struct bound {
    int os;
    int rc;
    int cpu;
    unsigned char *touch_p;
    size_t touch_n;
};

static void *bound_main(void *arg)
{
    struct bound *b = arg;
    b->rc = qtp_placement_bind_self(real, b->os);
    b->cpu = sched_getcpu();
    if (b->rc == 0 && b->touch_p)
        touch(b->touch_p, b->touch_n);
    return NULL;
}

/* cross-numa on the real machine: the producer runs on one node, consumers on others; local
 * memory first touched by a thread of node_b lands on node_b. */
static void test_cross_numa_real(void **state)
{
    (void)state;
    struct qtp_placement_spec *spec = calloc(1, sizeof(*spec));
    struct qtp_plan *plan = calloc(1, sizeof(*plan));
    char err[256];
    assert_int_equal(qtp_placement_parse("cross-numa", real, spec, err, sizeof(err)), 0);
    struct qtp_plan_request req = {.nthreads = 2, .producers = 1};
    assert_int_equal(qtp_placement_plan(real, spec, &req, plan), 0);
    assert_int_equal(plan->verdict, QTP_PLAN_OK);
    assert_int_not_equal(plan->node[0], plan->node[1]);
    struct qtp_memory_spec local = parse_ok("local");
    size_t size = 16 * ps;
    unsigned char *p = qtp_numa_alloc(&local, size, 64);
    struct bound b[2] = {{plan->pu[0], -1, -1, NULL, 0}, {plan->pu[1], -1, -1, p, size}};
    for (int i = 0; i < 2; i++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, bound_main, &b[i]), 0);
        pthread_join(t, NULL);
        assert_int_equal(b[i].rc, 0);
        assert_int_equal(b[i].cpu, plan->pu[i]);
    }
    int nodes[4];
    assert_int_equal(qtp_numa_pages_nodes(p, size, nodes, 4), 1);
    assert_int_equal(nodes[0], plan->node[1]);
    qtp_numa_free(p, size);
    free(spec);
    free(plan);
}

int main(void)
{
    ps = (size_t)sysconf(_SC_PAGESIZE);
    char err[256] = "";
    if (qtp_machine_load(&real, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "load: %s\n", err);
        return 1;
    }
    if (!real->numa_api || real->nnodes_with_cpus < 2) {
        printf("needs 2 NUMA nodes with CPUs (this machine has %u): skipped\n",
               real->nnodes_with_cpus);
        qtp_machine_free(real);
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_bind),
        cmocka_unit_test(test_interleave_spreads),
        cmocka_unit_test(test_cross_numa_real),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    qtp_machine_free(real);
    return rc;
}
