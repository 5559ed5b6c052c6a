/* test_lang_parse: the topology language's table - every construct and its canonical form,
 * whitespace, the limits, and bad expressions with their exact message and caret column. */
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

/* ---- good expressions: input -> canonical form, and the graph's size ---- */

static const struct good {
    const char *in, *canon;
    unsigned ninst, producers;
} good[] = {
    {"stage", "stage", 1, 1},
    {"  stage\t", "stage", 1, 1},
    {"stage(name=s1)", "stage", 1, 1}, /* the default name is left out */
    {"stage(name=parse, work=200ns)", "stage(name=parse, work=200ns)", 1, 1},
    {"stage(sleep=20ms, name=x)", "stage(name=x, sleep=20ms)", 1, 1},
    {"stage(sleep=20ms,work=3us)", "stage(work=3us, sleep=20ms)", 1, 1},
    {"stage(work=1000ns)", "stage(work=1us)", 1, 1},
    {"stage(work=1000000000ns)", "stage(work=1s)", 1, 1},
    {"stage(work=1500us)", "stage(work=1500us)", 1, 1},
    {"stage(work=1s)", "stage(work=1s)", 1, 1},
    {"stage(work=0ns)", "stage", 1, 1},
    {"stage(work=007us)", "stage(work=7us)", 1, 1},
    {"stage(name=parse-req_2)", "stage(name=parse-req_2)", 1, 1},
    {"stage(name=_x)", "stage(name=_x)", 1, 1},
    {"stage(name=seq)", "stage(name=seq)", 1, 1}, /* a keyword is a name where a name goes */
    {"stage(name=abcdefghijklmnopqrstuvw)", "stage(name=abcdefghijklmnopqrstuvw)", 1, 1},
    {"seq(stage)", "stage", 1, 1},
    {"seq(stage,stage)", "seq(stage, stage)", 2, 1},
    {"seq(seq(stage, stage), stage)", "seq(stage, stage, stage)", 3, 1},
    {"seq(stage, seq(stage, seq(stage)))", "seq(stage, stage, stage)", 3, 1},
    {"fanout(fanout(stage, stage), stage)", "fanout(stage, stage, stage)", 3, 1},
    {"fanout(seq(stage))", "stage", 1, 1},
    {"fanout(seq(stage, stage), stage)", "fanout(seq(stage, stage), stage)", 3, 1},
    {"shard(stage, 1)", "shard(stage, 1)", 1, 1},
    {"shard(stage,4)", "shard(stage, 4)", 4, 1},
    {"shard(shard(stage, 2), 2)", "shard(shard(stage, 2), 2)", 4, 1},
    {"shard(stage, 64)", "shard(stage, 64)", 64, 1},
    {"\tseq(\n  stage,\r\n  shard( stage , 4 )\n)\n", "seq(stage, shard(stage, 4))", 5, 1},
    {"seq(stage, fanout(seq(stage, stage), stage), shard(stage, 4), stage)",
     "seq(stage, fanout(seq(stage, stage), stage), shard(stage, 4), stage)", 9, 1},
    {"seq(stage(name=parse, work=200ns), shard(stage(sleep=20ms), 2), stage(name=merge))",
     "seq(stage(name=parse, work=200ns), shard(stage(sleep=20ms), 2), stage(name=merge))", 4, 1},
    {"seq(stage(name=b), stage(name=a))", "seq(stage(name=b), stage(name=a))", 2, 1},
    {"seq(stage(name=s2), stage(name=s1))", "seq(stage(name=s2), stage(name=s1))", 2, 1},
    {"topo(stage, producers=1)", "stage", 1, 1},
    {"topo(stage, payload=0)", "stage", 1, 1},
    {"topo(stage, producers=4)", "topo(stage, producers=4)", 1, 4},
    {"topo(stage, pingpong, payload=256)", "topo(stage, payload=256, pingpong)", 1, 1},
    {"topo(seq(stage, stage), payload=256, producers=3)",
     "topo(seq(stage, stage), producers=3, payload=256)", 2, 3},
    {"topo(seq(stage, fanout(stage, stage)), producers=2)",
     "topo(seq(stage, fanout(stage, stage)), producers=2)", 3, 2},
    {"topo(shard(stage, 1), pingpong)", "topo(shard(stage, 1), pingpong)", 1, 1},
    {"topo ( stage ( name = echo ) , pingpong )", "topo(stage(name=echo), pingpong)", 1, 1},
    {"topo(stage, payload=8)", "topo(stage, payload=8)", 1, 1},
    {"topo(stage, payload=4096)", "topo(stage, payload=4096)", 1, 1},
};

static void test_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const struct good *c = &good[i];
        struct qtp_topology t, u;
        struct qtp_parse_error e;
        int rc = qtp_topo_parse(c->in, NULL, NULL, &t, &e);
        if (rc)
            print_error("'%s': %s (column %zu)\n", c->in, e.msg, e.column);
        assert_int_equal(rc, 0);
        char out[QTP_TOPO_EXPR_MAX], again[QTP_TOPO_EXPR_MAX];
        assert_int_equal(qtp_topo_print(&t, out, sizeof(out)), 0);
        if (strcmp(out, c->canon) != 0)
            print_error("'%s' printed as '%s', expected '%s'\n", c->in, out, c->canon);
        assert_string_equal(out, c->canon);
        assert_int_equal(t.ninstances, c->ninst);
        assert_int_equal(t.producers, c->producers);
        /* The canonical form means the same and prints the same. */
        assert_int_equal(qtp_topo_parse(out, NULL, NULL, &u, &e), 0);
        assert_int_equal(qtp_topo_print(&u, again, sizeof(again)), 0);
        assert_string_equal(again, out);
        char why[256];
        if (!lang_graph_equal(&t, &u, why, sizeof(why)))
            fail_msg("'%s': %s", c->in, why);
        qtp_topology_fini(&t);
        qtp_topology_fini(&u);
    }
}

/* ---- expressions at the limits, and one past them ---- */

struct text {
    char s[QTP_TOPO_EXPR_MAX * 2];
    size_t n;
};

__attribute__((format(printf, 2, 3))) static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    t->n += (size_t)vsnprintf(t->s + t->n, sizeof(t->s) - t->n, fmt, ap);
    va_end(ap);
    assert_true(t->n < sizeof(t->s));
}

/* fanout of n stages; *col: the column of the last stage. */
static const char *wide(struct text *t, unsigned n, size_t *col)
{
    t->n = 0;
    add(t, "fanout(");
    for (unsigned i = 0; i < n; i++) {
        *col = t->n + (i ? 3 : 1);
        add(t, "%sstage", i ? ", " : "");
    }
    add(t, ")");
    return t->s;
}

/* n nested seqs around two stages; *col: the column of the innermost seq. */
static const char *deep(struct text *t, unsigned n, size_t *col)
{
    t->n = 0;
    for (unsigned i = 0; i < n; i++) {
        *col = t->n + 1;
        add(t, "seq(");
    }
    add(t, "stage, stage");
    for (unsigned i = 0; i < n; i++)
        add(t, ")");
    return t->s;
}

/* seq of n shard(stage, 1) and a last stage: 2n + 2 nodes; *col: the column of the stage in the
 * last shard. */
static const char *many(struct text *t, unsigned n, size_t *col)
{
    t->n = 0;
    add(t, "seq(");
    for (unsigned i = 0; i < n; i++) {
        *col = t->n + 1 + strlen("shard(");
        add(t, "shard(stage, 1), ");
    }
    add(t, "stage)");
    return t->s;
}

static void expect_error(const char *in, const char *msg, size_t col)
{
    struct qtp_topology t;
    struct qtp_parse_error e;
    memset(&t, 0x5a, sizeof(t));
    int rc = qtp_topo_parse(in, NULL, NULL, &t, &e);
    if (rc != EINVAL || strcmp(e.msg, msg) != 0 || e.column != col)
        fail_msg("'%.80s': rc %d, '%s' at column %zu; expected '%s' at column %zu", in, rc, e.msg,
                 e.column, msg, col);
    assert_null(t.root);
    assert_null(t.graph);
    assert_true(e.length >= 1);
}

static void test_limits(void **state)
{
    (void)state;
    struct text t;
    struct qtp_topology topo;
    size_t col;
    assert_int_equal(qtp_topo_parse(wide(&t, 64, &col), NULL, NULL, &topo, NULL), 0);
    assert_int_equal(topo.ninstances, 64);
    qtp_topology_fini(&topo);
    wide(&t, 65, &col);
    expect_error(t.s, "more than 64 stages (the limit of fields)", col);
    assert_int_equal(qtp_topo_parse(deep(&t, 16, &col), NULL, NULL, &topo, NULL), 0);
    qtp_topology_fini(&topo);
    deep(&t, 17, &col);
    expect_error(t.s, "nesting deeper than the limit of 16", col);
    assert_int_equal(qtp_topo_parse(many(&t, 63, &col), NULL, NULL, &topo, NULL), 0);
    assert_int_equal(topo.ninstances, 64);
    qtp_topology_fini(&topo);
    /* Node 129 is the stage in the 64th shard, before the 65th stage instance. */
    many(&t, 64, &col);
    expect_error(t.s, "more than 128 nodes (stages and combinators): the limit", col);

    /* The longest canonical form: 64 stages with every option at its longest. */
    t.n = 0;
    add(&t, "topo(fanout(");
    for (unsigned i = 0; i < 64; i++)
        add(&t, "%sstage(name=abcdefghijklmnopqrst%03u, work=999999999ns, sleep=999999999ns)",
            i ? ", " : "", i);
    add(&t, "), producers=4, payload=4096)");
    /* 4 producers into 64 branches that never join (a broker): the longest that parses. */
    assert_int_equal(qtp_topo_parse(t.s, NULL, NULL, &topo, NULL), 0);
    char longest[QTP_TOPO_EXPR_MAX];
    assert_int_equal(qtp_topo_print(&topo, longest, sizeof(longest)), 0);
    assert_string_equal(longest, t.s);
    qtp_topology_fini(&topo);
    t.s[t.n - strlen(", producers=4, payload=4096)")] = 0;
    strcat(t.s, ", payload=4096, pingpong)");
    assert_int_equal(qtp_topo_parse(t.s, NULL, NULL, &topo, NULL), EINVAL); /* pingpong */
    t.s[strlen(t.s) - strlen(", pingpong)")] = 0;
    strcat(t.s, ")");
    assert_int_equal(qtp_topo_parse(t.s, NULL, NULL, &topo, NULL), 0);
    char out[QTP_TOPO_EXPR_MAX];
    assert_int_equal(qtp_topo_print(&topo, out, sizeof(out)), 0);
    assert_string_equal(out, t.s);
    assert_int_equal(qtp_topo_print(&topo, out, 100), ENOSPC);
    assert_int_equal(strlen(out), 99);
    qtp_topology_fini(&topo);
}

/* ---- bad expressions: the exact message and the caret's column ---- */

static const struct bad {
    const char *in, *msg;
    size_t col;
} bad[] = {
    {"", "empty expression: write a topology such as seq(stage, stage)", 1},
    {"   ", "empty expression: write a topology such as seq(stage, stage)", 4},
    {"seq(", "expected a combinator (stage, seq, fanout, shard), found the end", 5},
    {"seq()", "expected a combinator (stage, seq, fanout, shard), found ')'", 5},
    {"seq(stage,)", "expected a combinator (stage, seq, fanout, shard), found ')'", 11},
    {"seq(stage stage)", "expected ',' or ')' in seq(...), found 'stage'", 11},
    {"fanout(stage; stage)", "expected ',' or ')' in fanout(...), found ';'", 13},
    {"seq stage", "expected '(' after seq, found 'stage'", 5},
    {"fanout", "expected '(' after fanout, found the end", 7},
    {"foo(stage)", "unknown combinator 'foo' (accepted: stage, seq, fanout, shard, topo)", 1},
    {"seq(stage, Stage)", "unknown combinator 'Stage' (accepted: stage, seq, fanout, shard, topo)",
     12},
    {"seq(stage,\x01stage)", "expected a combinator (stage, seq, fanout, shard), found byte 0x01",
     11},
    {"stage()", "expected a stage option (name, work, sleep), found ')'", 7},
    {"stage(wrk=1us)", "unknown stage option 'wrk' (accepted: name, work, sleep)", 7},
    {"stage(work)", "expected '=' after work, found ')'", 11},
    {"stage(work=200)", "work needs a unit (ns, us, ms, s): 200", 12},
    {"stage(work=200x)", "unknown unit 'x' in 200x (accepted: ns, us, ms, s)", 12},
    {"stage(sleep=2s)", "sleep above the limit of 1s: 2s", 13},
    {"stage(work=1000001us)", "work above the limit of 1s: 1000001us", 12},
    {"stage(work=fast)", "work needs a duration such as 200ns: fast", 12},
    {"stage(work=-1ns)", "work needs a duration such as 200ns: -", 12},
    {"stage(work=99999999999ns)", "number above the limit of 4294967295: 99999999999ns", 12},
    {"stage(name=1abc)", "stage name must start with a letter: 1abc", 12},
    {"stage(name=)", "expected a stage name, found ')'", 12},
    {"stage(name=\xc3\xa9)", "expected a stage name, found byte 0xc3", 12},
    {"stage(name=abcdefghijklmnopqrstuvwx)",
     "stage name longer than the limit of 23 characters: abcdefghijklmnopqrstuvwx", 12},
    {"stage(work=1us, work=2us)", "stage option work given twice", 17},
    {"stage(name=a b)", "expected ',' or ')' after a stage option, found 'b'", 14},
    {"seq(stage(name=a), stage(name=a))", "duplicate stage name: a", 31},
    {"seq(stage(name=s2), stage)", "duplicate stage name: s2 (the default name of this stage)", 21},
    {"shard(stage, 3)", "shard count must be a power of two: 3", 14},
    {"shard(stage, 0)", "shard count must be a power of two: 0", 14},
    {"shard(stage, 128)", "shard count above the limit of 64: 128", 14},
    {"shard(stage)", "shard needs a count: shard(a, 2)", 12},
    {"shard(stage, 2ms)", "shard count takes no unit: 2ms", 14},
    {"shard(stage, two)", "shard count must be a number: two", 14},
    {"shard(stage, 2, 3)", "expected ')' after the shard count, found ','", 15},
    {"shard(stage; 2)", "expected ',' and a count in shard(...), found ';'", 12},
    {"shard(seq(stage, stage, stage), 32)", "stage instances above the limit of 64: 96", 33},
    {"fanout(shard(stage, 64), stage)", "stage instances above the limit of 64: 65", 26},
    {"topo(stage)", "topo(...) needs an option after the topology: producers, payload or pingpong",
     11},
    {"topo(stage, producers=5)", "producers must be 1..4: 5", 23},
    {"topo(stage, producers=0)", "producers must be 1..4: 0", 23},
    {"topo(stage, producers)", "expected '=' after producers, found ')'", 22},
    {"topo(stage, payload=5)", "payload must be 0 or 8..4096 bytes: 5", 21},
    {"topo(stage, payload=4097)", "payload must be 0 or 8..4096 bytes: 4097", 21},
    {"topo(stage, payload=1k)", "payload takes no unit: 1k", 21},
    {"topo(stage, pingpong=1)", "pingpong takes no value", 21},
    {"topo(stage, speed=3)",
     "unknown topology option 'speed' (accepted: producers, payload, pingpong)", 13},
    {"topo(stage, pingpong, pingpong)", "topology option pingpong given twice", 23},
    {"topo(stage, producers=3", "expected ',' or ')' in topo(...), found the end", 24},
    {"topo(seq(stage, stage), pingpong)",
     "pingpong needs a topology of one stage instance: this one has 2", 25},
    {"topo(stage, producers=2, pingpong)", "pingpong needs one producer: producers=2", 26},
    {"topo(shard(stage, 2), producers=2)",
     "producers=2 needs no shard, and one first stage or branches that never join", 23},
    {"topo(seq(fanout(stage, stage), stage), producers=3)",
     "producers=3 needs no shard, and one first stage or branches that never join", 40},
    {"seq(topo(stage, pingpong))", "topo(...) goes around the whole topology, not inside it", 5},
    {"stage stage", "unexpected 'stage' after the end of the topology", 7},
    {"seq(stage))", "unexpected ')' after the end of the topology", 11},
    {"seq(stage), stage", "unexpected ',' after the end of the topology", 11},
};

static void test_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error(bad[i].in, bad[i].msg, bad[i].col);
    assert_true(sizeof(bad) / sizeof(bad[0]) >= 30);
}

/* ---- the caret display ---- */

static void test_format(void **state)
{
    (void)state;
    const char *in = "seq(stage, shard(stage, 3))";
    struct qtp_topology t;
    struct qtp_parse_error e;
    assert_int_equal(qtp_topo_parse(in, NULL, NULL, &t, &e), EINVAL);
    char buf[512];
    assert_int_equal(qtp_parse_error_format(in, &e, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "shard count must be a power of two: 3\n"
                             "  seq(stage, shard(stage, 3))\n"
                             "                          ^\n");
    /* A token of several characters is underlined whole; newlines show as spaces. */
    in = "seq(stage,\n    stag)";
    assert_int_equal(qtp_topo_parse(in, NULL, NULL, &t, &e), EINVAL);
    assert_int_equal(qtp_parse_error_format(in, &e, buf, sizeof(buf)), 0);
    assert_string_equal(buf,
                        "unknown combinator 'stag' (accepted: stage, seq, fanout, shard, topo)\n"
                        "  seq(stage,     stag)\n"
                        "                 ^^^^\n");
    /* At the end: the caret goes one past the last character. */
    in = "seq(stage";
    assert_int_equal(qtp_topo_parse(in, NULL, NULL, &t, &e), EINVAL);
    assert_int_equal(qtp_parse_error_format(in, &e, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "expected ',' or ')' in seq(...), found the end\n"
                             "  seq(stage\n"
                             "           ^\n");
    /* A long expression is cut around the column, and the caret still points at the token. */
    char long_in[400];
    size_t n = 0;
    n += (size_t)snprintf(long_in + n, sizeof(long_in) - n, "seq(");
    for (unsigned i = 0; i < 30; i++)
        n += (size_t)snprintf(long_in + n, sizeof(long_in) - n, "stage, ");
    n += (size_t)snprintf(long_in + n, sizeof(long_in) - n, "shard(stage, 6)");
    for (unsigned i = 0; i < 20; i++)
        n += (size_t)snprintf(long_in + n, sizeof(long_in) - n, ", stage");
    snprintf(long_in + n, sizeof(long_in) - n, ")");
    assert_int_equal(qtp_topo_parse(long_in, NULL, NULL, &t, &e), EINVAL);
    assert_int_equal(qtp_parse_error_format(long_in, &e, buf, sizeof(buf)), 0);
    char *l2 = strchr(buf, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    assert_true(strncmp(l2, "  ...", 5) == 0);
    assert_non_null(strstr(l2, "...\n"));
    size_t caret = (size_t)(strchr(l3, '^') - l3);
    assert_int_equal(l2[caret], '6');
    assert_true(l3 - l2 < 90);
    /* Too small a buffer: cut, and told so. */
    assert_int_equal(qtp_parse_error_format(long_in, &e, buf, 10), ENOSPC);
    assert_int_equal(strlen(buf), 9);
}

/* ---- names, resolving, lists, the grammar ---- */

static void test_resolve(void **state)
{
    (void)state;
    struct qtp_topology t;
    struct qtp_parse_error e;
    /* A registry name wins over the combinator of the same spelling. */
    assert_int_equal(qtp_topology_resolve("shard", NULL, &t, &e), 0);
    assert_string_equal(t.name, "shard");
    assert_int_equal(t.ninstances, 3);
    qtp_topology_fini(&t);
    struct qtp_topo_params p = {.fanout = 5, .work_ns = 300, .payload = 64};
    assert_int_equal(qtp_topology_resolve("fanout", &p, &t, &e), 0);
    assert_int_equal(t.ninstances, 5);
    assert_int_equal(t.payload, 64);
    assert_int_equal(t.graph->stage[4].work_ns, 300);
    qtp_topology_fini(&t);
    /* An expression: p's work and payload are defaults, its shape parameters are not used. */
    assert_int_equal(qtp_topology_resolve("seq(stage(work=2us), stage)", &p, &t, &e), 0);
    assert_string_equal(t.name, "custom");
    assert_int_equal(t.ninstances, 2);
    assert_int_equal(t.graph->stage[0].work_ns, 2000);
    assert_int_equal(t.graph->stage[1].work_ns, 300);
    assert_int_equal(t.payload, 64);
    qtp_topology_fini(&t);
    assert_int_equal(qtp_topology_resolve("topo(stage, payload=16)", &p, &t, &e), 0);
    assert_int_equal(t.payload, 16);
    qtp_topology_fini(&t);
    assert_int_equal(qtp_topology_resolve("stage", NULL, &t, &e), 0);
    qtp_topology_fini(&t);
    /* A bare word that is no name. */
    assert_int_equal(qtp_topology_resolve("pipelin", NULL, &t, &e), EINVAL);
    assert_string_equal(e.msg,
                        "unknown topology 'pipelin' (accepted: unicast, pipeline, fanout, "
                        "diamond, shard, sequencer, pingpong, broker, or an expression such as "
                        "seq(stage, stage))");
    assert_int_equal(e.column, 1);
    assert_int_equal(e.length, 7);
    /* A bare combinator is parsed, for the message that says what it lacks. */
    assert_int_equal(qtp_topology_resolve("seq", NULL, &t, &e), EINVAL);
    assert_string_equal(e.msg, "expected '(' after seq, found the end");
    /* Bad parameters of a named topology. */
    p = (struct qtp_topo_params){.shards = 3};
    assert_int_equal(qtp_topology_resolve("shard", &p, &t, &e), EINVAL);
    assert_string_equal(e.msg, "shard: shards 3 is not a power of two in 1..32");
    assert_int_equal(qtp_topology_resolve("seq(stage, shard(stage, 3))", NULL, &t, &e), EINVAL);
    assert_string_equal(e.msg, "shard count must be a power of two: 3");
    assert_int_equal(e.column, 25);
    /* err may be NULL. */
    assert_int_equal(qtp_topology_resolve("seq(", NULL, &t, NULL), EINVAL);
    assert_int_equal(qtp_topo_parse("seq(", NULL, NULL, &t, NULL), EINVAL);
}

static void test_list_item(void **state)
{
    (void)state;
    const char *l = "unicast,seq(stage, fanout(stage, stage)),topo(stage, pingpong)";
    size_t n = qtp_topo_list_item(l);
    assert_int_equal(n, 7);
    l += n + 1;
    n = qtp_topo_list_item(l);
    assert_int_equal(n, strlen("seq(stage, fanout(stage, stage))"));
    l += n + 1;
    assert_int_equal(qtp_topo_list_item(l), strlen(l));
    assert_int_equal(qtp_topo_list_item(""), 0);
    assert_int_equal(qtp_topo_list_item("a))),b"), 4); /* unbalanced: never below depth 0 */
}

static void test_grammar(void **state)
{
    (void)state;
    /* Every combinator, option and unit the parser knows is in the grammar text. */
    const char *words[] = {
        "\"stage\"", "\"seq\"",   "\"fanout\"",    "\"shard\"",      "\"topo\"",     "\"name\"",
        "\"work\"",  "\"sleep\"", "\"producers\"", "\"payload\"",    "\"pingpong\"", "\"ns\"",
        "\"us\"",    "\"ms\"",    "\"s\"",         "CANONICAL FORM", "LIMITS"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strstr(qtp_topo_grammar, words[i]))
            fail_msg("the grammar does not mention %s", words[i]);
    /* Its examples parse. */
    for (const char *s = strstr(qtp_topo_grammar, "-t '"); s; s = strstr(s + 1, "-t '")) {
        char ex[256];
        const char *end = strchr(s + 4, '\'');
        assert_non_null(end);
        snprintf(ex, sizeof(ex), "%.*s", (int)(end - s - 4), s + 4);
        struct qtp_topology t;
        struct qtp_parse_error e;
        if (qtp_topo_parse(ex, NULL, NULL, &t, &e))
            fail_msg("grammar example '%s': %s", ex, e.msg);
        qtp_topology_fini(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),    cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad),     cmocka_unit_test(test_format),
        cmocka_unit_test(test_resolve), cmocka_unit_test(test_list_item),
        cmocka_unit_test(test_grammar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
