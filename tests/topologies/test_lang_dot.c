/* test_lang_dot: qtp_topology_dot's output is drawn by the real Graphviz dot without a warning,
 * and the SVG shows every stage instance in both clusters (ring and per-edge wiring). Exits 77
 * when dot is not installed (Debian package graphviz). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lang_util.h"
#include "qtp_lang.h"
#include "qtp_topo_internal.h"
#include "topo_util.h"

static uint64_t seed;
static char dir[] = "/tmp/qtopo-dot-XXXXXX";

static bool dot_installed(void)
{
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
    for (char *d = strtok(buf, ":"); d; d = strtok(NULL, ":")) {
        char exe[4200];
        snprintf(exe, sizeof(exe), "%s/dot", d);
        if (access(exe, X_OK) == 0)
            return true;
    }
    return false;
}

static char *slurp(const char *file)
{
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static unsigned count(const char *s, const char *what)
{
    unsigned n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

static void draw(const struct qtp_topology *t)
{
    char dotf[64], svgf[64], errf[64], cmd[256];
    snprintf(dotf, sizeof(dotf), "%s/t.dot", dir);
    snprintf(svgf, sizeof(svgf), "%s/t.svg", dir);
    snprintf(errf, sizeof(errf), "%s/t.err", dir);
    FILE *f = fopen(dotf, "w");
    assert_non_null(f);
    assert_int_equal(qtp_topology_dot_write(t, f), 0);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd), "dot -Tsvg -o '%s' '%s' 2>'%s'", svgf, dotf, errf);
    int st = system(cmd);
    char expr[QTP_TOPO_EXPR_MAX];
    qtp_topo_print(t, expr, sizeof(expr));
    const char *err = slurp(errf);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || err[0])
        fail_msg("dot on '%s': status %d: %s\n%s", expr, st, err, slurp(dotf));
    const char *svg = slurp(svgf);
    assert_non_null(strstr(svg, "<svg"));
    assert_int_equal(count(svg, "<title>cluster_ring</title>"), 1);
    assert_int_equal(count(svg, "<title>cluster_edges</title>"), 1);
    const struct qtp_graph *g = t->graph;
    for (unsigned i = 0; i < g->ninst; i++) {
        char text[8 * QTP_ROLE_MAX];
        size_t n = (size_t)snprintf(text, sizeof(text), ">");
        for (const char *r = g->inst[i].role; *r; r++) /* dot writes '-' as &#45; */
            n += (size_t)snprintf(text + n, sizeof(text) - n, *r == '-' ? "&#45;" : "%c", *r);
        snprintf(text + n, sizeof(text) - n, "</text>");
        if (count(svg, text) != 2)
            fail_msg("'%s': %s drawn %u times, expected twice", expr, g->inst[i].role,
                     count(svg, text));
    }
    /* One arrow per queue in the per-edge cluster: the nodes' titles name the ends. */
    unsigned edges = g->nroots + (t->pingpong ? 1 : 0);
    for (unsigned i = 0; i < g->ninst; i++)
        edges += g->inst[i].ndeps;
    assert_int_equal(count(svg, "<title>e_"), g->ninst + 1 + edges);
}

static void test_named(void **state)
{
    (void)state;
    for (const struct qtp_topology_def *d = qtp_topologies; d->name; d++) {
        struct qtp_topology t;
        assert_int_equal(qtp_topology_build(d, NULL, &t), 0);
        draw(&t);
        qtp_topology_fini(&t);
    }
}

static void test_random(void **state)
{
    (void)state;
    uint64_t rs = seed;
    for (unsigned c = 0; c < 40; c++) {
        struct qtp_topology t;
        lang_random_topology(&rs, 24, &t);
        draw(&t);
        qtp_topology_fini(&t);
    }
}

int main(int argc, char **argv)
{
    if (!dot_installed()) {
        printf("dot (Graphviz) is not installed: skipped (Debian: apt-get install graphviz)\n");
        return 77;
    }
    seed = topo_seed(argc, argv);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named),
        cmocka_unit_test(test_random),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
