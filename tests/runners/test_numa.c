/* test_numa.c - memory policies on the real machine (one node is enough): parsing, the hook's
 * contract (zeroed, aligned, through qtp_alloc), and the page census before and after touching.
 * What needs two nodes is in test_numa_multi.c (exit 77 here). */
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
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <numa.h>

#include "numa_mem.h"
#include "placement.h"

static struct qtp_machine *real;
static size_t ps;

static int setup(void **state)
{
    (void)state;
    ps = (size_t)sysconf(_SC_PAGESIZE);
    char err[256] = "";
    if (qtp_machine_load(&real, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "load: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    qtp_machine_free(real);
    return 0;
}

static struct qtp_memory_spec parse_ok(const char *text, const struct qtp_machine *m)
{
    struct qtp_memory_spec s;
    char err[256] = "";
    if (qtp_memory_parse(text, m, &s, err, sizeof(err)) != 0)
        fail_msg("parse '%s': %s", text, err);
    return s;
}

static void test_parse(void **state)
{
    (void)state;
    struct qtp_memory_spec s = parse_ok("local", real);
    assert_int_equal(s.kind, QTP_MEM_LOCAL);
    assert_int_equal(s.node, -1);
    s = parse_ok("interleave", real);
    assert_int_equal(s.kind, QTP_MEM_INTERLEAVE);
    s = parse_ok("node:0", real);
    assert_int_equal(s.kind, QTP_MEM_NODE);
    assert_int_equal(s.node, 0);
    assert_string_equal(s.name, "node:0");

    struct qtp_machine *big = NULL;
    struct qtp_machine_source src = {.synthetic = "pack:2 numa:2 core:2 pu:1"};
    assert_int_equal(qtp_machine_load(&big, &src, NULL, 0), 0);
    s = parse_ok("node:3", big);
    assert_int_equal(s.node, 3);
    s = parse_ok("node:7", NULL); /* syntax only */
    assert_int_equal(s.node, 7);

    static const struct {
        const char *text;
        int machine; /* 0: none, 1: synthetic 4 nodes, 2: one node */
        const char *err;
    } bad[] = {
        {"remote", 0, "unknown memory policy 'remote' (accepted: local, interleave, node:N)"},
        {"", 0, "unknown memory policy '' (accepted: local, interleave, node:N)"},
        {"Local", 0, "unknown memory policy 'Local' (accepted: local, interleave, node:N)"},
        {"node", 0, "memory policy 'node' needs a node number: node:N"},
        {"node:", 0, "node:: '' is not a NUMA node number (node:N, N like 0 or 1)"},
        {"node:x", 0, "node:x: 'x' is not a NUMA node number (node:N, N like 0 or 1)"},
        {"node:1x", 0, "node:1x: '1x' is not a NUMA node number (node:N, N like 0 or 1)"},
        {"node:-1", 0, "node:-1: '-1' is not a NUMA node number (node:N, N like 0 or 1)"},
        {"node:99999", 0, "node:99999: NUMA node number too large (at most 4095)"},
        {"node:4", 1, "node:4: NUMA node 4 does not exist (this machine has nodes 0-3)"},
        {"node:1", 2, "node:1: NUMA node 1 does not exist (this machine has node 0)"},
    };
    struct qtp_machine *one = NULL;
    struct qtp_machine_source src1 = {.synthetic = "pack:1 numa:1 core:2 pu:1"};
    assert_int_equal(qtp_machine_load(&one, &src1, NULL, 0), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        const struct qtp_machine *m = bad[i].machine == 1 ? big : bad[i].machine == 2 ? one : NULL;
        int rc = qtp_memory_parse(bad[i].text, m, &s, err, sizeof(err));
        if (rc != EINVAL || strcmp(err, bad[i].err) != 0)
            fail_msg("'%s': rc %d\n  got:  %s\n  want: %s", bad[i].text, rc, err, bad[i].err);
    }
    qtp_machine_free(one);
    qtp_machine_free(big);
}

static void test_possible(void **state)
{
    (void)state;
    char why[256];
    struct qtp_memory_spec s = parse_ok("local", real);
    assert_true(qtp_memory_possible(real, &s, why, sizeof(why)));
    s = parse_ok("node:0", real);
    assert_true(qtp_memory_possible(real, &s, why, sizeof(why)));
    s = parse_ok("interleave", real);
    assert_int_equal(qtp_memory_possible(real, &s, why, sizeof(why)), numa_available() >= 0);
    /* A node the kernel does not have (parsed without a machine) is a skip with a reason. */
    s = parse_ok("node:4000", NULL);
    assert_false(qtp_memory_possible(real, &s, why, sizeof(why)));
    assert_non_null(strstr(why, "node:4000"));
    struct qtp_numa_hook h;
    assert_int_equal(qtp_numa_hook_init(&h, &s, why, sizeof(why)), ENOTSUP);
    assert_non_null(strstr(why, "node:4000"));
}

static void expect_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            fail_msg("byte %zu is %u, not zero", i, p[i]);
}

static void touch(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += ps)
        p[i] = 1;
    p[n - 1] = 1;
}

/* Census of a fresh mapping: nothing there; after touching: every page, all on `node`. */
static void check_census(unsigned char *p, size_t size, int node)
{
    size_t pages = (size + ps - 1) / ps;
    struct qtp_page_census c;
    assert_int_equal(qtp_numa_pages_census(p, size, &c), 0);
    assert_int_equal(c.pages, pages);
    assert_int_equal(c.not_present, pages); /* untouched: -ENOENT, not a node */
    assert_int_equal(c.nnodes, 0);
    int nodes[4];
    assert_int_equal(qtp_numa_pages_nodes(p, size, nodes, 4), 0);
    touch(p, size);
    assert_int_equal(qtp_numa_pages_census(p, size, &c), 0);
    assert_int_equal(c.not_present, 0);
    assert_int_equal(c.errors, 0);
    assert_int_equal(c.nnodes, 1);
    assert_int_equal(c.node[0], node);
    assert_int_equal(c.on_node[0], pages);
    assert_int_equal(qtp_numa_pages_nodes(p, size, nodes, 4), 1);
    assert_int_equal(nodes[0], node);
}

static void test_node0(void **state)
{
    (void)state;
    struct qtp_memory_spec s = parse_ok("node:0", real);
    size_t size = 3 * ps + 1;
    unsigned char *p = qtp_numa_alloc(&s, size, 64);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % ps, 0);
    expect_zero(p, size);
    /* Reading zeroes maps the shared zero page, which move_pages does not count as ours. */
    qtp_numa_free(p, size);
    p = qtp_numa_alloc(&s, size, 64);
    check_census(p, size, 0);
    qtp_numa_free(p, size);
}

static void test_big_alignment(void **state)
{
    (void)state;
    struct qtp_memory_spec s = parse_ok("local", real);
    size_t align = 2u << 20;
    for (int i = 0; i < 4; i++) {
        size_t size = 5 * ps + (size_t)i * 777;
        unsigned char *p = qtp_numa_alloc(&s, size, align);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % align, 0);
        touch(p, size);
        qtp_numa_free(p, size);
    }
    errno = 0;
    assert_null(qtp_numa_alloc(&s, ps, 3 * 64)); /* not a power of two */
    assert_int_equal(errno, EINVAL);
}

static void test_interleave(void **state)
{
    (void)state;
    if (numa_available() < 0) {
        print_message("no NUMA support: interleave is a skip\n");
        skip();
    }
    struct qtp_memory_spec s = parse_ok("interleave", real);
    size_t size = 16 * ps;
    unsigned char *p = qtp_numa_alloc(&s, size, 128);
    assert_non_null(p);
    if (numa_num_configured_nodes() == 1) {
        check_census(p, size, real->nodes[0].os);
    } else {
        touch(p, size);
        struct qtp_page_census c;
        assert_int_equal(qtp_numa_pages_census(p, size, &c), 0);
        assert_true(c.nnodes >= 2);
    }
    qtp_numa_free(p, size);
}

struct toucher {
    unsigned char *p;
    size_t size;
    int os;
    int rc;
};

static void *toucher_main(void *arg)
{
    struct toucher *t = arg;
    t->rc = qtp_placement_bind_self(real, t->os);
    if (t->rc == 0)
        touch(t->p, t->size);
    return NULL;
}

/* local: the first toucher's node (here: a thread bound to the last PU). */
static void test_local_first_touch(void **state)
{
    (void)state;
    struct qtp_memory_spec s = parse_ok("local", real);
    size_t size = 8 * ps;
    unsigned char *p = qtp_numa_alloc(&s, size, 64);
    assert_non_null(p);
    struct qtp_page_census c;
    assert_int_equal(qtp_numa_pages_census(p, size, &c), 0);
    assert_int_equal(c.not_present, 8); /* the hook touched nothing */
    const struct qtp_pu *pu = &real->pus[real->npus - 1];
    struct toucher t = {p, size, pu->os, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, toucher_main, &t), 0);
    pthread_join(th, NULL);
    assert_int_equal(t.rc, 0);
    assert_int_equal(qtp_numa_pages_census(p, size, &c), 0);
    assert_int_equal(c.nnodes, 1);
    assert_int_equal(c.node[0], pu->node);
    qtp_numa_free(p, size);
}

/* Through the queues' hook: qtp_alloc gives zeroed page-aligned storage from the policy. */
static void test_hook(void **state)
{
    (void)state;
    struct qtp_memory_spec s = parse_ok("node:0", real);
    struct qtp_numa_hook h;
    char why[256] = "";
    assert_int_equal(qtp_numa_hook_init(&h, &s, why, sizeof(why)), 0);
    qtp_alloc_set_hook(&h.hook);
    size_t size = 10000;
    unsigned char *p = qtp_alloc(size, 128);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % ps, 0);
    expect_zero(p, size);
    memset(p, 0xab, size);
    struct qtp_page_census c;
    assert_int_equal(qtp_numa_pages_census(p, size, &c), 0);
    assert_int_equal(c.nnodes, 1);
    assert_int_equal(c.node[0], 0);
    qtp_free(p, size);
    assert_int_equal(h.allocs, 1);
    assert_int_equal(h.bytes, (size + ps - 1) / ps * ps);
    assert_int_equal(h.failures, 0);
    /* A fresh allocation after a free is zeroed again (a new mapping). */
    p = qtp_alloc(size, 128);
    assert_non_null(p);
    expect_zero(p, size);
    qtp_free(p, size);
    qtp_alloc_set_hook(NULL);
}

/* Addresses that are not mapped: errors, not nodes. */
static void test_census_unmapped(void **state)
{
    (void)state;
    unsigned char *p =
        mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    munmap(p, 2 * ps);
    struct qtp_page_census c;
    int rc = qtp_numa_pages_census(p, 2 * ps, &c);
    if (rc == 0) {
        assert_int_equal(c.pages, 2);
        assert_int_equal(c.nnodes, 0);
        assert_int_equal(c.errors + c.not_present, 2);
    } else {
        assert_true(rc == EFAULT || rc == ENOENT);
    }
    assert_int_equal(qtp_numa_pages_census(NULL, 0, &c), 0);
    assert_int_equal(c.pages, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),      cmocka_unit_test(test_possible),
        cmocka_unit_test(test_node0),      cmocka_unit_test(test_big_alignment),
        cmocka_unit_test(test_interleave), cmocka_unit_test(test_local_first_touch),
        cmocka_unit_test(test_hook),       cmocka_unit_test(test_census_unmapped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
