/* test_cli.c - `qtopo run`'s options: counts, lists, the JSON matrix, defaults, expansion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "machine.h"
#include "qtp_cli.h"
#include "qtp_deploy.h"
#include "qtp_topo.h"
#include "qtp_wait.h"

static struct qtp_machine *synthetic(const char *desc)
{
    struct qtp_machine *m = NULL;
    char err[256];
    struct qtp_machine_source src = {.synthetic = desc};
    assert_int_equal(qtp_machine_load(&m, &src, err, sizeof err), 0);
    return m;
}

/* Parse "run ARGS..." (space-separated; no quoting needed in these tests). */
static int parse(const char *line, struct qtp_run_opts *o, const struct qtp_machine *m, char *err,
                 size_t len)
{
    static char buf[1024];
    char *argv[64];
    qtp_run_opts_free(o); /* from the previous parse */
    int argc = 0;
    snprintf(buf, sizeof buf, "run %s", line);
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    return qtp_cli_parse_run(argc, argv, o, m, err, len);
}

static void test_counts(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(qtp_parse_count("1M", false, &v), 0);
    assert_int_equal(v, 1000000);
    assert_int_equal(qtp_parse_count("64K", true, &v), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(qtp_parse_count("2g", false, &v), 0);
    assert_int_equal(v, 2000000000ULL);
    assert_int_equal(qtp_parse_count("12", false, &v), 0);
    assert_int_equal(v, 12);
    assert_int_not_equal(qtp_parse_count("1.5M", false, &v), 0);
    assert_int_not_equal(qtp_parse_count("-1", false, &v), 0);
    assert_int_not_equal(qtp_parse_count("", false, &v), 0);
    assert_int_not_equal(qtp_parse_count("10KB", false, &v), 0);
    assert_int_not_equal(qtp_parse_count("99999999999999G", false, &v), 0);
}

static void test_defaults(void **state)
{
    (void)state;
    struct qtp_run_opts *o = calloc(1, sizeof *o);
    char err[1024];
    assert_int_equal(parse("", o, NULL, err, sizeof err), 0);
    /* Three thirds: pingpong (round trips) gets fewer events than the rest, and runs again with a
     * batch in flight and a payload (the copies no other default cell makes); each third split
     * again, a queue kind with default waits in a part of its own with only those waits. Parts in
     * order: the rest's (every other kind, then each limited kind), then pingpong's, then the
     * copies'. */
    size_t ntopo = 0, nq = 0, nw = 0, nlim = 0;
    for (const struct qtp_topology_def *t = qtp_topologies; t->name; t++)
        ntopo += !t->not_default; /* the default matrix leaves these out */
    for (; qtp_queue_kinds[nq].name; nq++)
        nlim += qtp_queue_kinds[nq].default_waits != NULL;
    while (qtp_wait_strategies[nw].name)
        nw++;
    const size_t rt = 1 + nlim; /* pingpong's first part */
    assert_int_equal(o->nparts, 3 * rt);
    assert_string_equal(o->parts[2 * rt].names[QTP_NAME_TOPOLOGY].v[0], "pingpong");
    assert_true(o->parts[2 * rt].params[QTP_PARAM_batch].v[0] > 1);
    assert_true(o->parts[2 * rt].params[QTP_PARAM_payload].v[0] > 0);
    assert_int_equal(o->parts[rt].names[QTP_NAME_TOPOLOGY].n, 1);
    assert_string_equal(o->parts[rt].names[QTP_NAME_TOPOLOGY].v[0], "pingpong");
    assert_true(o->parts[rt].params[QTP_PARAM_events].v[0] <
                o->parts[0].params[QTP_PARAM_events].v[0]);
    assert_int_equal(o->parts[rt].names[QTP_NAME_WAIT].n, o->parts[0].names[QTP_NAME_WAIT].n);
    assert_int_equal(
        o->parts[0].names[QTP_NAME_TOPOLOGY].n + o->parts[rt].names[QTP_NAME_TOPOLOGY].n, ntopo);
    assert_int_equal(o->parts[0].names[QTP_NAME_QUEUE].n, nq - nlim);
    assert_int_equal(o->parts[0].names[QTP_NAME_WAIT].n, nw);
    for (size_t p = 1, k = 0; p < rt; p++, k++) {
        while (!qtp_queue_kinds[k].default_waits)
            k++;
        for (size_t half = 0; half < 3; half++) {
            const struct qtp_matrix *own = &o->parts[p + half * rt];
            assert_int_equal(own->names[QTP_NAME_QUEUE].n, 1);
            assert_string_equal(own->names[QTP_NAME_QUEUE].v[0], qtp_queue_kinds[k].name);
            assert_true(own->names[QTP_NAME_WAIT].n >= 1 && own->names[QTP_NAME_WAIT].n < nw);
            for (unsigned w = 0; w < own->names[QTP_NAME_WAIT].n; w++)
                assert_non_null(
                    strstr(qtp_queue_kinds[k].default_waits, own->names[QTP_NAME_WAIT].v[w]));
            assert_int_equal(own->params[QTP_PARAM_events].v[0],
                             o->parts[half * rt].params[QTP_PARAM_events].v[0]);
        }
    }
    assert_true(o->parts[0].names[QTP_NAME_PLACEMENT].n >= 5); /* every policy but cpus:LIST */
    assert_string_equal(o->parts[0].names[QTP_NAME_MEMORY].v[0], "local");
    assert_int_equal(o->parts[0].params[QTP_PARAM_events].n, 1);
    uint64_t full = o->parts[0].params[QTP_PARAM_events].v[0];
    uint32_t reps = o->parts[0].reps;
    assert_int_equal(o->parts[0].params[QTP_PARAM_warmup].v[0], full / 10);

    assert_int_equal(parse("--quick", o, NULL, err, sizeof err), 0);
    assert_true(o->parts[0].params[QTP_PARAM_events].v[0] < full);
    assert_true(o->parts[0].reps <= reps);
    /* Explicit values win over --quick's. */
    assert_int_equal(parse("--quick -n 7K -r 4", o, NULL, err, sizeof err), 0);
    /* An explicit count: no pingpong half, the same count in every part. */
    assert_int_equal(o->nparts, 1 + nlim);
    for (size_t p = 0; p < o->nparts; p++) {
        assert_int_equal(o->parts[p].params[QTP_PARAM_events].v[0], 7000);
        assert_int_equal(o->parts[p].reps, 4);
    }
    /* An explicit queue or wait list: not split by waits (pingpong and its copies still are). */
    assert_int_equal(parse("-q all", o, NULL, err, sizeof err), 0);
    assert_int_equal(o->nparts, 3);
    assert_int_equal(parse("-w yield -n 1K", o, NULL, err, sizeof err), 0);
    assert_int_equal(o->nparts, 1);
    assert_int_equal(o->parts[0].names[QTP_NAME_QUEUE].n, nq);
    qtp_run_opts_free(o);
    free(o);
}

static void test_lists(void **state)
{
    (void)state;
    struct qtp_run_opts *o = calloc(1, sizeof *o);
    char err[1024];
    assert_int_equal(parse("-t unicast,diamond,unicast -p os,cpus:0,1,compact --fanout 3,6,12", o,
                           NULL, err, sizeof err),
                     0);
    assert_int_equal(o->parts[0].names[QTP_NAME_TOPOLOGY].n, 2); /* duplicates dropped */
    assert_int_equal(o->parts[0].names[QTP_NAME_PLACEMENT].n, 3);
    assert_string_equal(o->parts[0].names[QTP_NAME_PLACEMENT].v[1],
                        "cpus:0,1"); /* the list keeps its commas */
    assert_int_equal(o->parts[0].params[QTP_PARAM_fanout].n, 3);
    assert_int_equal(o->parts[0].params[QTP_PARAM_fanout].v[2], 12);
    /* Aliases of one placement or memory policy are one value, in one spelling. */
    assert_int_equal(parse("-p cpus:0,cpus:0-0,cpus:00,cpus:0-1,cpus:0,1,cpus:2-5 "
                           "-m node:0,node:00,local",
                           o, NULL, err, sizeof err),
                     0);
    const struct qtp_strlist *pl = &o->parts[0].names[QTP_NAME_PLACEMENT];
    const struct qtp_strlist *ml = &o->parts[0].names[QTP_NAME_MEMORY];
    assert_int_equal(ml->n, 2);
    assert_string_equal(ml->v[0], "node:0");
    assert_string_equal(pl->v[0], "cpus:0");
    assert_int_equal(pl->n, 3);
    assert_string_equal(pl->v[1], "cpus:0,1");
    assert_string_equal(pl->v[2], "cpus:2-5");

    assert_int_equal(parse("-q all -w all", o, NULL, err, sizeof err), 0);
    size_t nw = 0;
    while (qtp_wait_strategies[nw].name)
        nw++;
    assert_int_equal(o->parts[0].names[QTP_NAME_WAIT].n, nw);
    assert_int_equal(parse("--ring-size 64K --rate 100K/s,0", o, NULL, err, sizeof err), 0);
    assert_int_equal(o->parts[0].params[QTP_PARAM_ring_size].v[0], 65536);
    assert_int_equal(o->parts[0].params[QTP_PARAM_rate].v[0], 100000);
    assert_int_equal(o->parts[0].params[QTP_PARAM_rate].v[1], 0);

    assert_int_equal(parse("-t diamnd", o, NULL, err, sizeof err), QTP_CLI_BAD);
    assert_non_null(strstr(err, "'diamnd'"));
    assert_non_null(strstr(err, "accepted: unicast"));
    assert_int_equal(parse("--ring-size 1000", o, NULL, err, sizeof err), QTP_CLI_BAD);
    assert_non_null(strstr(err, "power of two"));
    qtp_run_opts_free(o);
    free(o);
}

static void test_matrix_file(void **state)
{
    (void)state;
    struct qtp_run_opts *o = calloc(1, sizeof *o);
    char err[1024];
    char path[] = "/tmp/qtopo-test-matrix-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "{\"topology\": [\"diamond\"], \"queue\": \"all\", \"events\": \"1M\",\n"
                       " \"fanout\": [3, 6], \"ring_size\": 4096, \"oversubscribe\": true}\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char line[256];
    snprintf(line, sizeof line, "--matrix %s -n 5K", path);
    assert_int_equal(parse(line, o, NULL, err, sizeof err), 0);
    assert_int_equal(o->parts[0].names[QTP_NAME_TOPOLOGY].n, 1);
    size_t nq = 0;
    while (qtp_queue_kinds[nq].name)
        nq++;
    assert_int_equal(o->parts[0].names[QTP_NAME_QUEUE].n, nq); /* a file's matrix is not split */
    assert_int_equal(o->parts[0].params[QTP_PARAM_events].v[0],
                     5000); /* the flag overrides the file */
    assert_int_equal(o->parts[0].params[QTP_PARAM_fanout].n, 2);
    assert_int_equal(o->parts[0].params[QTP_PARAM_ring_size].v[0], 4096);
    assert_true(o->parts[0].oversubscribe);
    unlink(path);

    /* Errors name line and column. */
    struct qtp_matrix m;
    memset(&m, 0, sizeof m);
    assert_int_equal(qtp_matrix_from_json_text(&m, "{\n  \"events\": 1,\n  \"evnets\": 2}",
                                               "f.json", err, sizeof err),
                     QTP_CLI_BAD);
    assert_non_null(strstr(err, "f.json:3:3: unknown key \"evnets\""));
    memset(&m, 0, sizeof m);
    assert_int_equal(
        qtp_matrix_from_json_text(&m, "{\"events\": 1,\n\"x\"}", "f.json", err, sizeof err),
        QTP_CLI_BAD);
    assert_non_null(strstr(err, "f.json:2:"));
    qtp_run_opts_free(o);
    free(o);
}

static void test_matrix_parts(void **state)
{
    (void)state;
    char err[1024];
    struct qtp_matrix *parts = NULL;
    size_t n = 0;
    const char *text = "[{\"topology\": \"diamond\", \"events\": \"1M\"},\n"
                       " {\"topology\": \"pingpong\", \"events\": 5000, \"reps\": 2}]";
    assert_int_equal(qtp_matrix_parts_from_json_text(text, "p.json", &parts, &n, err, sizeof err),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(parts[0].params[QTP_PARAM_events].v[0], 1000000);
    assert_int_equal(parts[1].reps, 2);
    for (size_t i = 0; i < n; i++)
        qtp_matrix_defaults(&parts[i]);
    json_t *j = qtp_matrix_parts_to_json(parts, n);
    assert_true(json_is_array(j));
    struct qtp_matrix *back = NULL;
    size_t nb = 0;
    assert_int_equal(qtp_matrix_parts_from_json(j, "meta", &back, &nb, err, sizeof err), 0);
    assert_int_equal(nb, 2);
    assert_string_equal(back[1].names[QTP_NAME_TOPOLOGY].v[0], "pingpong");
    assert_int_equal(back[1].params[QTP_PARAM_events].v[0], 5000);

    /* The union: cells of both parts, each measured as its part says. */
    struct qtp_cell *cells;
    size_t nc;
    assert_int_equal(qtp_matrix_expand_parts(back, nb, NULL, &cells, &nc, err, sizeof err), 0);
    size_t pp = 0;
    for (size_t i = 0; i < nc; i++)
        if (strcmp(cells[i].topology, "pingpong") == 0) {
            pp++;
            assert_int_equal(cells[i].reps, 2);
            assert_int_equal(cells[i].params.events, 5000);
        }
    assert_true(pp > 0 && pp < nc);
    /* Overlapping parts: a cell both give runs once. */
    struct qtp_matrix twice[2] = {back[0], back[0]};
    struct qtp_cell *c2;
    size_t n2;
    assert_int_equal(qtp_matrix_expand_parts(twice, 2, NULL, &c2, &n2, err, sizeof err), 0);
    assert_int_equal(n2, nc - pp);
    free(c2);
    free(cells);
    json_decref(j);
    free(back);
    free(parts);

    /* An element that is not an object names the problem. */
    assert_int_equal(
        qtp_matrix_parts_from_json_text("[{}, 3]", "p.json", &parts, &n, err, sizeof err),
        QTP_CLI_BAD);
    assert_non_null(strstr(err, "JSON object"));
}

static void test_json_roundtrip(void **state)
{
    (void)state;
    struct qtp_run_opts *o = calloc(1, sizeof *o);
    char err[1024];
    assert_int_equal(parse("-t shard,fanout -q ring -w yield,block -p os,cpus:0 --shards 2,4 "
                           "-n 3K -r 2 --seed 18446744073709551615 --no-latency",
                           o, NULL, err, sizeof err),
                     0);
    json_t *j = qtp_matrix_to_json(&o->parts[0]);
    assert_non_null(j);
    char *s = json_dumps(j, 0);
    struct qtp_matrix *back = calloc(1, sizeof *back);
    json_t *j2 = json_loads(s, 0, NULL);
    assert_int_equal(qtp_matrix_from_json(back, j2, "meta", err, sizeof err), 0);
    qtp_matrix_defaults(back);
    assert_int_equal(back->names[QTP_NAME_TOPOLOGY].n, 2);
    assert_string_equal(back->names[QTP_NAME_PLACEMENT].v[1], "cpus:0");
    assert_int_equal(back->params[QTP_PARAM_shards].n, 2);
    assert_int_equal(back->seed, UINT64_MAX);
    assert_true(back->no_latency);
    assert_int_equal(back->reps, 2);
    assert_int_equal(back->params[QTP_PARAM_events].v[0], 3000);
    assert_int_equal(back->params[QTP_PARAM_warmup].v[0],
                     o->parts[0].params[QTP_PARAM_warmup].v[0]);
    free(s);
    json_decref(j);
    json_decref(j2);
    free(back);
    qtp_run_opts_free(o);
    free(o);
}

/* --sample-ms: auto by default (the period is chosen per rep), a number, or bad input; the
 * matrix JSON keeps "auto" as the word, so a resumed run chooses again. */
static void test_sample_ms(void **state)
{
    (void)state;
    struct qtp_run_opts *o = calloc(1, sizeof *o);
    char err[1024];
    const struct {
        const char *line;
        uint32_t want;
    } ok[] = {{"", QTP_SAMPLE_MS_AUTO},
              {"--sample-ms auto", QTP_SAMPLE_MS_AUTO},
              {"--sample-ms 25", 25},
              {"--sample-ms 0", 0},
              {"--quick", QTP_SAMPLE_MS_AUTO}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(parse(ok[i].line, o, NULL, err, sizeof err), 0);
        assert_int_equal(o->parts[0].sample_ms, ok[i].want);
        json_t *j = qtp_matrix_to_json(&o->parts[0]);
        json_t *v = json_object_get(j, "sample-ms");
        if (ok[i].want == QTP_SAMPLE_MS_AUTO)
            assert_string_equal(json_string_value(v), "auto");
        else
            assert_int_equal(json_integer_value(v), ok[i].want);
        struct qtp_matrix *back = calloc(1, sizeof *back);
        assert_int_equal(qtp_matrix_from_json(back, j, "meta", err, sizeof err), 0);
        qtp_matrix_defaults(back);
        assert_int_equal(back->sample_ms, ok[i].want);
        free(back);
        json_decref(j);
    }
    const char *bad[] = {"--sample-ms automatic", "--sample-ms 10001", "--sample-ms -1",
                         "--sample-ms 4294967295"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(parse(bad[i], o, NULL, err, sizeof err), QTP_CLI_BAD);
        assert_non_null(strstr(err, "auto, or 0 to 10000"));
    }
    qtp_run_opts_free(o);
    free(o);
}

static const struct qtp_cell *find_cell(const struct qtp_cell *c, size_t n, const char *topo,
                                        const char *queue, const char *wait, const char *place)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].topology, topo) == 0 && strcmp(c[i].queue->name, queue) == 0 &&
            strcmp(c[i].wait_name, wait) == 0 && strcmp(c[i].placement, place) == 0)
            return &c[i];
    return NULL;
}

static void test_expand(void **state)
{
    (void)state;
    struct qtp_machine *m = synthetic("pack:1 core:2 pu:1");
    struct qtp_run_opts *o = calloc(1, sizeof *o);
    char err[1024];
    struct qtp_cell *cells;
    size_t n;
    assert_int_equal(
        parse("-t unicast,fanout,diamond -q all -w all -p os --fanout 2,4", o, m, err, sizeof err),
        0);
    assert_int_equal(qtp_matrix_expand(&o->parts[0], m, &cells, &n, err, sizeof err), 0);
    /* Per topology: each kind with a wait axis x every wait + each other kind x 1 ("block");
     * fanout sweeps 2 values only for the fanout topology. */
    size_t nw = 0, per_topo = 0;
    while (qtp_wait_strategies[nw].name)
        nw++;
    for (const struct qtp_queue_kind *k = qtp_queue_kinds; k->name; k++)
        per_topo += k->uses_wait ? nw : 1;
    assert_int_equal(n, per_topo * (1 + 2 + 1));
    for (size_t i = 0; i < n; i++) {
        if (!cells[i].queue->uses_wait) {
            assert_string_equal(cells[i].wait_name, "block");
            assert_null(cells[i].wait);
        }
        if (strcmp(cells[i].topology, "fanout") != 0)
            assert_int_equal(cells[i].params.fanout, 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(cells[i].id, cells[j].id);
    }
    /* Busy-spin with more threads than the 2 PUs: skipped, with the reason; yield is not. */
    const struct qtp_cell *c = find_cell(cells, n, "diamond", "ring", "spin", "os");
    assert_non_null(c);
    assert_true(c->skip);
    assert_true(c->reason[0] != 0);
    c = find_cell(cells, n, "diamond", "ring", "yield", "os");
    assert_false(c->skip);
    c = find_cell(cells, n, "unicast", "ring", "spin", "os");
    assert_false(c->skip);
    free(cells);

    assert_int_equal(
        parse("-t diamond -q ring -w spin -p os --oversubscribe", o, m, err, sizeof err), 0);
    assert_int_equal(qtp_matrix_expand(&o->parts[0], m, &cells, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_false(cells[0].skip);
    assert_true(cells[0].oversubscribed);
    free(cells);

    /* Placements this machine cannot give are skipped cells, not errors. */
    assert_int_equal(
        parse("-t unicast -q ring -w block -p smt,cross-numa,compact", o, m, err, sizeof err), 0);
    assert_int_equal(qtp_matrix_expand(&o->parts[0], m, &cells, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_true(cells[0].skip && strstr(cells[0].reason, "smt"));
    assert_true(cells[1].skip && cells[1].reason[0]);
    assert_false(cells[2].skip);
    free(cells);

    /* The default placements: spread = compact here, so spread is skipped as a repeat. */
    assert_int_equal(parse("-t unicast -q ring -w block", o, m, err, sizeof err), 0);
    assert_int_equal(qtp_matrix_expand(&o->parts[0], m, &cells, &n, err, sizeof err), 0);
    c = find_cell(cells, n, "unicast", "ring", "block", "spread");
    assert_non_null(c);
    assert_true(c->skip);
    assert_non_null(strstr(c->reason, "compact"));
    assert_false(find_cell(cells, n, "unicast", "ring", "block", "os")->skip);
    free(cells);

    /* A CPU the machine lacks is bad input. */
    assert_int_equal(parse("-p cpus:5", o, m, err, sizeof err), QTP_CLI_BAD);
    assert_non_null(strstr(err, "5"));
    qtp_run_opts_free(o);
    free(o);
    qtp_machine_free(m);
}

/* Expressions wherever a topology name goes: a list splits at top-level commas only, two
 * spellings of one expression are one cell, a cell keeps the canonical form and the expression
 * it runs, and its id is short and a file name. */
static void test_expressions(void **state)
{
    (void)state;
    struct qtp_run_opts *o = calloc(1, sizeof *o);
    char err[1024];
    struct qtp_cell *cells;
    size_t n;
    assert_int_equal(parse("-t unicast,seq(stage,shard(stage,4)),seq(stage,\tshard(stage,4)) "
                           "-q ring -w block -p os --fanout 2,4 -w block --work 100",
                           o, NULL, err, sizeof err),
                     0);
    const struct qtp_strlist *t = &o->parts[0].names[QTP_NAME_TOPOLOGY];
    assert_int_equal(t->n, 2);
    assert_string_equal(t->v[1], "seq(stage, shard(stage, 4))");
    assert_int_equal(qtp_matrix_expand(&o->parts[0], NULL, &cells, &n, err, sizeof err), 0);
    assert_int_equal(n, 2); /* --fanout shapes neither */
    assert_non_null(cells[0].topo);
    assert_null(cells[1].topo);
    assert_string_equal(cells[1].topology, "seq(stage, shard(stage, 4))");
    assert_string_equal(cells[1].topology_expr,
                        "seq(stage(work=100ns), shard(stage(work=100ns), 4))");
    assert_string_equal(cells[0].topology_expr, "stage(name=c1, work=100ns)");
    assert_int_equal(cells[1].params.fanout, 0);
    assert_int_equal(strncmp(cells[1].id, "seq-", 4), 0);
    assert_int_equal(strcspn(cells[1].id, "(), /"), strlen(cells[1].id));
    assert_int_equal(cells[1].nthreads, 1 + 1 + 4);
    free(cells);

    /* A bad expression: the parser's line, the expression, a caret under the token. */
    assert_int_equal(parse("-t seq(stage,shard(stage,3))", o, NULL, err, sizeof err), QTP_CLI_BAD);
    assert_string_equal(err, "-t/--topology: shard count must be a power of two: 3\n"
                             "  seq(stage,shard(stage,3))\n"
                             "                        ^");
    /* The matrix file's key and its lists take them too. */
    assert_int_equal(parse("-t unicast", o, NULL, err, sizeof err), 0);
    assert_int_equal(qtp_matrix_from_json_text(&o->parts[0],
                                               "{\"topology\": [\"fanout(stage, stage)\", "
                                               "\"unicast,seq(stage, stage)\"]}",
                                               "m.json", err, sizeof err),
                     0);
    t = &o->parts[0].names[QTP_NAME_TOPOLOGY]; /* the parses above made new parts */
    assert_int_equal(t->n, 3);
    assert_string_equal(t->v[2], "seq(stage, stage)");
    qtp_run_opts_free(o);
    free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),         cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_lists),          cmocka_unit_test(test_matrix_file),
        cmocka_unit_test(test_json_roundtrip), cmocka_unit_test(test_sample_ms),
        cmocka_unit_test(test_matrix_parts),   cmocka_unit_test(test_expand),
        cmocka_unit_test(test_expressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
