/* test_machine.c - discovery: synthetic, XML round trip, environment overrides, the real
 * machine, the JSON for meta.json / `qtopo info --json` and the `qtopo info` text. */
#include <errno.h>
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

#include "machine.h"

static struct qtp_machine *load_synth(const char *desc)
{
    struct qtp_machine *m = NULL;
    char err[256] = "";
    struct qtp_machine_source src = {.synthetic = desc};
    if (qtp_machine_load(&m, &src, err, sizeof(err)) != 0)
        fail_msg("load '%s': %s", desc, err);
    return m;
}

/* The whole `qtopo info` text of m. */
static char *info_text(const struct qtp_machine *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(qtp_machine_print(m, f), 0);
    fclose(f);
    return buf;
}

static void expect_in(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("missing \"%s\" in:\n%s", needle, text);
}

static void test_cpulist_format(void **state)
{
    (void)state;
    char buf[64];
    const int a[] = {11, 0, 3, 1, 2, 8, 10, 3};
    assert_int_equal(qtp_cpulist_format(a, 8, buf, sizeof(buf)), 11);
    assert_string_equal(buf, "0-3,8,10-11");
    const int b[] = {5};
    qtp_cpulist_format(b, 1, buf, sizeof(buf));
    assert_string_equal(buf, "5");
    qtp_cpulist_format(NULL, 0, buf, sizeof(buf));
    assert_string_equal(buf, "none");
    const int c[] = {0, 2, 4, 6};
    char small[4];
    assert_int_equal(qtp_cpulist_format(c, 4, small, sizeof(small)), 7); /* "0,2,4,6" */
    assert_true(strlen(small) < sizeof(small));
}

static void test_synthetic_json(void **state)
{
    (void)state;
    struct qtp_machine *m = load_synth("pack:2 numa:2 l3:1 core:8 l2:1 l1d:1 pu:2");
    assert_string_equal(m->source, "synthetic: pack:2 numa:2 l3:1 core:8 l2:1 l1d:1 pu:2");
    json_t *j = qtp_machine_to_json(m, QTP_MACHINE_JSON_XML | QTP_MACHINE_JSON_PUS |
                                           QTP_MACHINE_JSON_PLACEMENTS);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "pus")), 64);
    assert_int_equal(json_integer_value(json_object_get(j, "cores")), 32);
    assert_int_equal(json_integer_value(json_object_get(j, "packages")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "numa_nodes")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "smt")), 2);
    assert_false(json_boolean_value(json_object_get(j, "this_system")));
    assert_string_equal(json_string_value(json_object_get(j, "cpus")), "0-63");
    json_t *nodes = json_object_get(j, "nodes");
    assert_int_equal(json_array_size(nodes), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 2), "cpus")),
                        "32-47");
    json_t *caches = json_object_get(j, "caches");
    assert_int_equal(json_array_size(caches), 3);
    json_t *l3 = json_array_get(caches, 2);
    assert_string_equal(json_string_value(json_object_get(l3, "name")), "L3");
    assert_int_equal(json_integer_value(json_object_get(l3, "instances")), 4);
    assert_int_equal(json_integer_value(json_object_get(l3, "pus_per_instance")), 16);
    json_t *l1 = json_array_get(caches, 0);
    assert_string_equal(json_string_value(json_object_get(l1, "name")), "L1d");
    assert_int_equal(json_integer_value(json_object_get(l1, "pus_per_instance")), 2);
    assert_int_equal(json_array_size(json_object_get(j, "pu_table")), 64);
    const char *xml = json_string_value(json_object_get(j, "hwloc_xml"));
    assert_non_null(xml);
    assert_non_null(strstr(xml, "<topology"));
    /* Every placement is possible on this one. */
    json_t *pl = json_object_get(j, "placements");
    assert_int_equal(json_array_size(pl), 6);
    for (size_t i = 0; i < json_array_size(pl); i++)
        assert_true(json_boolean_value(json_object_get(json_array_get(pl, i), "possible")));
    assert_int_equal(json_array_size(json_object_get(j, "memory")), 3);
    /* Text, serialised and parsed back: all valid JSON. */
    char *s = json_dumps(j, JSON_COMPACT);
    assert_non_null(s);
    json_error_t e;
    json_t *back = json_loads(s, 0, &e);
    assert_non_null(back);
    assert_true(json_equal(j, back));
    json_decref(back);
    free(s);
    json_decref(j);
    qtp_machine_free(m);
}

static void test_synthetic_text(void **state)
{
    (void)state;
    struct qtp_machine *m = load_synth("pack:1 numa:1 core:2 pu:1");
    char *t = info_text(m);
    expect_in(t, "1 package, 1 NUMA node, 2 cores, 2 PUs (no SMT: 1 PU per core)");
    expect_in(t, "  node 0: 1 GiB, CPUs 0-1\n");
    expect_in(t, "  Package 0\n    NUMA node 0\n      Core 0: PU 0\n      Core 1: PU 1\n");
    expect_in(t, "  os          yes\n");
    expect_in(t, "  spread      yes: same PU order as compact on this machine\n");
    expect_in(t, "  smt         no: smt needs SMT siblings: cores have 1 PU each\n");
    expect_in(t, "  cross-numa  no: cross-numa needs 2 NUMA nodes, this machine has 1\n");
    expect_in(t, "  cpus:LIST   yes: CPUs 0-1\n");
    expect_in(t, "at most 2 threads here unless --oversubscribe");
    expect_in(t, "Note: not this machine");
    free(t);
    qtp_machine_free(m);

    m = load_synth("pack:2 numa:2 core:8 pu:2");
    t = info_text(m);
    expect_in(t, "2 packages, 4 NUMA nodes, 32 cores, 64 PUs (SMT: up to 2 PUs per core)");
    expect_in(t, "      Core 31: PU 62,63\n");
    expect_in(t, "    NUMA node 3\n");
    expect_in(t, "  smt         yes\n");
    expect_in(t, "  cross-numa  yes\n");
    expect_in(t, "  spread      yes\n");
    free(t);
    qtp_machine_free(m);
}

static void test_xml_roundtrip(void **state)
{
    (void)state;
    struct qtp_machine *m = load_synth("pack:2 numa:2 core:8 pu:2(indexes=0-63:2)");
    char *xml = NULL;
    assert_int_equal(qtp_machine_xml(m, &xml), 0);
    char path[] = "/tmp/qtp_machine_xml_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(xml, f);
    fclose(f);
    free(xml);
    struct qtp_machine *x = NULL;
    char err[256] = "";
    struct qtp_machine_source src = {.xml_path = path};
    if (qtp_machine_load(&x, &src, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_false(x->this_system);
    assert_int_equal(x->npus, m->npus);
    assert_int_equal(x->nnodes, m->nnodes);
    assert_int_equal(x->ncores, m->ncores);
    for (unsigned i = 0; i < m->npus; i++) {
        assert_int_equal(x->pus[i].os, m->pus[i].os);
        assert_int_equal(x->pus[i].core, m->pus[i].core);
        assert_int_equal(x->pus[i].node, m->pus[i].node);
    }
    qtp_machine_free(x);
    qtp_machine_free(m);
}

static void test_bad_sources(void **state)
{
    (void)state;
    struct qtp_machine *m = (struct qtp_machine *)1;
    char err[256] = "";
    struct qtp_machine_source bad = {.synthetic = "pack:zz"};
    assert_int_equal(qtp_machine_load(&m, &bad, err, sizeof(err)), EINVAL);
    assert_null(m);
    assert_non_null(strstr(err, "bad synthetic topology 'pack:zz'"));
    struct qtp_machine_source nofile = {.xml_path = "/nonexistent/topo.xml"};
    assert_int_equal(qtp_machine_load(&m, &nofile, err, sizeof(err)), EINVAL);
    assert_non_null(strstr(err, "/nonexistent/topo.xml"));
    struct qtp_machine_source both = {.synthetic = "pu:2", .xml_path = "x.xml"};
    assert_int_equal(qtp_machine_load(&m, &both, err, sizeof(err)), EINVAL);
}

static void test_env_override(void **state)
{
    (void)state;
    struct qtp_machine *m = NULL;
    char err[256] = "";
    setenv(QTP_MACHINE_ENV_SYNTHETIC, "pack:1 core:4 pu:2", 1);
    assert_int_equal(qtp_machine_load_env(&m, err, sizeof(err)), 0);
    assert_int_equal(m->npus, 8);
    assert_int_equal(m->smt_max, 2);
    assert_false(m->this_system);
    qtp_machine_free(m);
    setenv(QTP_MACHINE_ENV_XML, "/tmp/x.xml", 1);
    assert_int_equal(qtp_machine_load_env(&m, err, sizeof(err)), EINVAL);
    assert_non_null(strstr(err, "both QTOPO_HWLOC_SYNTHETIC and QTOPO_HWLOC_XML are set"));
    unsetenv(QTP_MACHINE_ENV_SYNTHETIC);
    unsetenv(QTP_MACHINE_ENV_XML);
}

static void test_real_machine(void **state)
{
    (void)state;
    struct qtp_machine *m = NULL;
    char err[256] = "";
    if (qtp_machine_load(&m, NULL, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_true(m->this_system);
    assert_string_equal(m->source, "this machine");
    cpu_set_t set;
    assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
    assert_int_equal(m->npus, (unsigned)CPU_COUNT(&set)); /* exactly the CPUs we may use */
    for (unsigned i = 0; i < m->npus; i++)
        assert_true(CPU_ISSET(m->pus[i].os, &set));
    assert_true(m->nnodes >= 1);
    assert_true(m->ncores >= 1 && m->ncores <= m->npus);
    assert_true(m->kernel[0] != '\0');
    assert_true(m->cpu_model[0] != '\0');
    if (m->numa_api) {
        assert_non_null(m->distances);
        assert_int_equal(m->distances[0], 10); /* a node's distance to itself (SLIT) */
    }
    json_t *j = qtp_machine_to_json(m, QTP_MACHINE_JSON_XML | QTP_MACHINE_JSON_PLACEMENTS);
    assert_non_null(j);
    assert_true(json_boolean_value(json_object_get(j, "this_system")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "hwloc_xml")), "<?xml"));
    json_t *gov = json_object_get(j, "governor");
    assert_true(json_is_null(gov) || json_is_string(gov));
    json_decref(j);
    /* Printed for the log: what this machine looks like to qtopo. */
    char *t = info_text(m);
    printf("%s", t);
    expect_in(t, "  os          yes\n");
    free(t);
    qtp_machine_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpulist_format), cmocka_unit_test(test_synthetic_json),
        cmocka_unit_test(test_synthetic_text), cmocka_unit_test(test_xml_roundtrip),
        cmocka_unit_test(test_bad_sources),    cmocka_unit_test(test_env_override),
        cmocka_unit_test(test_real_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
