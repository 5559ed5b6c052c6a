/* parse.c - the topology language (qtp_lang.h): lexer, recursive-descent parser, canonical
 * printer, grammar text.
 *
 * The parser checks every limit itself, at the token that crosses it, so that the constructors
 * and qtp_topology_init below it never see input they would refuse for a reason the user cannot
 * be pointed at; the one check left to qtp_topology_init (several producers need one unsharded
 * first stage) is reported at the producers option. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_lang.h"
#include "qtp_topo.h"
#include "qtp_topo_internal.h"

_Static_assert(QTP_TOPO_NAME_LEN + 1 == QTP_NAME_MAX, "a stage name fills a node's name");
_Static_assert(QTP_TOPO_MAX_SHARD <= QTP_TOPO_MAX_INSTANCES, "a shard count fits the instances");

/* ---- units: one table for the parser and the printer (largest first) ---- */

static const struct unit {
    const char *name;
    uint64_t ns;
} units[] = {{"s", 1000000000ull}, {"ms", 1000000ull}, {"us", 1000ull}, {"ns", 1ull}};
#define NUNITS (sizeof(units) / sizeof(units[0]))

/* ---- the canonical form's size: the longest text each construct can print ---- */
#define LONGEST_DURATION 11 /* "999999999ns": the limit is 1s, so anything longer is shorter */
#define LONGEST_STAGE                                                                              \
    (sizeof("stage(name=, work=, sleep=)") - 1 + QTP_TOPO_NAME_LEN + 2 * LONGEST_DURATION)
#define LONGEST_COMBINATOR (sizeof("shard(, 64)") - 1 + sizeof(", ") - 1)
#define LONGEST_TOPO (sizeof("topo(, producers=4, payload=4096, pingpong)") - 1)
_Static_assert(QTP_TOPO_MAX_FIELDS *(LONGEST_STAGE + 2) + QTP_TOPO_MAX_NODES * LONGEST_COMBINATOR +
                       LONGEST_TOPO <
                   QTP_TOPO_EXPR_MAX,
               "QTP_TOPO_EXPR_MAX holds the canonical form of any topology within the limits");

/* ---- text into a caller's array ---- */

struct out {
    char *p;
    size_t len, used;
    bool trunc;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    if (o->trunc)
        return;
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len > o->used ? o->len - o->used : 0;
    int n = vsnprintf(room ? o->p + o->used : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        o->trunc = true;
    else
        o->used += (size_t)n;
}

/* ---- lexer ---- */

enum tok_kind { T_END, T_IDENT, T_NUM, T_LPAREN, T_RPAREN, T_COMMA, T_EQ, T_BAD };

struct tok {
    enum tok_kind kind;
    size_t pos, len;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_word(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-';
}

struct parser {
    const char *s;
    struct tok t; /* the current token */
    struct qtp_parse_error *err;
    unsigned depth, nodes, stages;
    char names[QTP_TOPO_MAX_FIELDS][QTP_NAME_MAX]; /* every stage's name so far (defaults too) */
};

static void next(struct parser *p)
{
    size_t i = p->t.pos + p->t.len;
    while (is_space(p->s[i]))
        i++;
    struct tok t = {T_BAD, i, 1};
    char c = p->s[i];
    if (c == 0) {
        t.kind = T_END;
        t.len = 0;
    } else if (is_alpha(c) || is_digit(c)) {
        /* A number keeps its unit: "200ns" is one token, and so is "1abc" (a bad name). */
        t.kind = is_digit(c) ? T_NUM : T_IDENT;
        size_t j = i;
        while (is_word(p->s[j]))
            j++;
        t.len = j - i;
    } else if (c == '(') {
        t.kind = T_LPAREN;
    } else if (c == ')') {
        t.kind = T_RPAREN;
    } else if (c == ',') {
        t.kind = T_COMMA;
    } else if (c == '=') {
        t.kind = T_EQ;
    }
    p->t = t;
}

static bool is_word_tok(const struct parser *p, const char *w)
{
    return p->t.kind == T_IDENT && strlen(w) == p->t.len &&
           memcmp(p->s + p->t.pos, w, p->t.len) == 0;
}

/* The token as a message shows it: 'foo', ')', the end, byte 0x01; unquoted (after a colon):
 * foo. Long words are cut. */
static const char *tok_show(const struct parser *p, const struct tok *t, bool quoted, char *buf,
                            size_t len)
{
    unsigned char c = (unsigned char)p->s[t->pos];
    const char *q = quoted ? "'" : "";
    if (t->kind == T_END)
        snprintf(buf, len, "the end");
    else if (t->kind == T_BAD && (c < 0x20 || c >= 0x7f))
        snprintf(buf, len, "byte 0x%02x", c);
    else if (t->len > 32)
        snprintf(buf, len, "%s%.32s...%s", q, p->s + t->pos, q);
    else
        snprintf(buf, len, "%s%.*s%s", q, (int)t->len, p->s + t->pos, q);
    return buf;
}

static const char *tok_text(const struct parser *p, const struct tok *t, char *buf, size_t len)
{
    return tok_show(p, t, true, buf, len);
}

/* The current token, unquoted. */
static const char *cur(const struct parser *p, char *buf, size_t len)
{
    return tok_show(p, &p->t, false, buf, len);
}

__attribute__((format(printf, 3, 4))) static int fail_at(struct parser *p, const struct tok *t,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
    va_end(ap);
    p->err->column = t->pos + 1;
    p->err->length = t->len ? t->len : 1;
    return EINVAL;
}

static int fail_oom(struct parser *p)
{
    fail_at(p, &p->t, "out of memory");
    return ENOMEM;
}

/* "expected X, found Y" at the current token. */
static int expected(struct parser *p, const char *what)
{
    char b[48];
    return fail_at(p, &p->t, "expected %s, found %s", what, tok_text(p, &p->t, b, sizeof(b)));
}

static int expect(struct parser *p, enum tok_kind k, const char *what)
{
    if (p->t.kind != k)
        return expected(p, what);
    next(p);
    return 0;
}

/* The digits at the start of the current number token (*digits of them), at most
 * QTP_TOPO_NUMBER_MAX. */
static int number(struct parser *p, const char *what, uint64_t *v, size_t *digits)
{
    *v = 0;
    *digits = 0;
    if (p->t.kind != T_NUM) {
        char b[48];
        return fail_at(p, &p->t, "%s must be a number: %s", what, cur(p, b, sizeof(b)));
    }
    const char *s = p->s + p->t.pos;
    uint64_t x = 0;
    size_t i = 0;
    for (; i < p->t.len && is_digit(s[i]); i++) {
        x = x * 10 + (uint64_t)(s[i] - '0');
        if (x > QTP_TOPO_NUMBER_MAX) {
            char b[48];
            return fail_at(p, &p->t, "number above the limit of %llu: %s",
                           (unsigned long long)QTP_TOPO_NUMBER_MAX, cur(p, b, sizeof(b)));
        }
    }
    *v = x;
    *digits = i;
    return 0;
}

/* A number without a unit. */
static int count(struct parser *p, const char *what, uint64_t *v)
{
    size_t digits;
    int rc = number(p, what, v, &digits);
    char b[48];
    if (!rc && digits != p->t.len)
        rc = fail_at(p, &p->t, "%s takes no unit: %s", what, cur(p, b, sizeof(b)));
    return rc;
}

static int duration(struct parser *p, const char *what, uint64_t *ns)
{
    char b[48];
    if (p->t.kind != T_NUM)
        return fail_at(p, &p->t, "%s needs a duration such as 200ns: %s", what,
                       cur(p, b, sizeof(b)));
    uint64_t v;
    size_t n;
    if (number(p, what, &v, &n))
        return EINVAL;
    const char *u = p->s + p->t.pos + n;
    size_t ulen = p->t.len - n;
    if (ulen == 0)
        return fail_at(p, &p->t, "%s needs a unit (ns, us, ms, s): %s", what, cur(p, b, sizeof(b)));
    for (size_t k = 0; k < NUNITS; k++) {
        if (strlen(units[k].name) != ulen || memcmp(units[k].name, u, ulen) != 0)
            continue;
        if (v > QTP_STAGE_TIME_MAX_NS / units[k].ns)
            return fail_at(p, &p->t, "%s above the limit of 1s: %s", what, cur(p, b, sizeof(b)));
        *ns = v * units[k].ns;
        return 0;
    }
    return fail_at(p, &p->t, "unknown unit '%.*s' in %s (accepted: ns, us, ms, s)",
                   (int)(ulen > 16 ? 16 : ulen), u, cur(p, b, sizeof(b)));
}

/* ---- the grammar's productions ---- */

static int term(struct parser *p, struct qtp_node **out, unsigned *ninst);

struct stage_opts {
    struct qtp_stage_params sp;
    char name[QTP_NAME_MAX];
    struct tok name_tok;
    unsigned seen;
};

static int opt_name(struct parser *p, struct stage_opts *o)
{
    char b[48];
    if (p->t.kind == T_NUM)
        return fail_at(p, &p->t, "stage name must start with a letter: %s", cur(p, b, sizeof(b)));
    if (p->t.kind != T_IDENT)
        return expected(p, "a stage name");
    if (p->t.len > QTP_TOPO_NAME_LEN)
        return fail_at(p, &p->t, "stage name longer than the limit of %d characters: %s",
                       QTP_TOPO_NAME_LEN, cur(p, b, sizeof(b)));
    memcpy(o->name, p->s + p->t.pos, p->t.len);
    o->name[p->t.len] = 0;
    o->sp.name = o->name;
    o->name_tok = p->t;
    return 0;
}
static int opt_work(struct parser *p, struct stage_opts *o)
{
    return duration(p, "work", &o->sp.work_ns);
}
static int opt_sleep(struct parser *p, struct stage_opts *o)
{
    return duration(p, "sleep", &o->sp.sleep_ns);
}

static const struct stage_option {
    const char *name;
    int (*value)(struct parser *p, struct stage_opts *o);
} stage_options[] = {{"name", opt_name}, {"work", opt_work}, {"sleep", opt_sleep}};
#define NSTAGE_OPTIONS (sizeof(stage_options) / sizeof(stage_options[0]))

static int stage_option(struct parser *p, struct stage_opts *o)
{
    if (p->t.kind != T_IDENT)
        return expected(p, "a stage option (name, work, sleep)");
    for (unsigned k = 0; k < NSTAGE_OPTIONS; k++) {
        if (!is_word_tok(p, stage_options[k].name))
            continue;
        if (o->seen & (1u << k))
            return fail_at(p, &p->t, "stage option %s given twice", stage_options[k].name);
        o->seen |= 1u << k;
        next(p);
        char what[32];
        snprintf(what, sizeof(what), "'=' after %s", stage_options[k].name);
        int rc = expect(p, T_EQ, what);
        if (!rc)
            rc = stage_options[k].value(p, o);
        if (!rc)
            next(p);
        return rc;
    }
    char b[48];
    return fail_at(p, &p->t, "unknown stage option %s (accepted: name, work, sleep)",
                   tok_text(p, &p->t, b, sizeof(b)));
}

static int c_stage(struct parser *p, struct qtp_node **out, unsigned *ninst)
{
    struct tok at = p->t;
    next(p);
    struct stage_opts o = {0};
    if (p->t.kind == T_LPAREN) {
        next(p);
        for (;;) {
            int rc = stage_option(p, &o);
            if (rc)
                return rc;
            if (p->t.kind == T_RPAREN)
                break;
            if (p->t.kind != T_COMMA)
                return expected(p, "',' or ')' after a stage option");
            next(p);
        }
        next(p);
    }
    if (p->stages >= QTP_TOPO_MAX_FIELDS)
        return fail_at(p, &at, "more than %d stages (the limit of fields)", QTP_TOPO_MAX_FIELDS);
    /* Names are what reports tell stages apart by: defaults ("s<stage number>") count too. */
    char *name = p->names[p->stages];
    if (o.sp.name)
        snprintf(name, QTP_NAME_MAX, "%s", o.name);
    else
        snprintf(name, QTP_NAME_MAX, "s%u", p->stages + 1);
    for (unsigned k = 0; k < p->stages; k++)
        if (strcmp(p->names[k], name) == 0)
            return fail_at(p, o.sp.name ? &o.name_tok : &at, "duplicate stage name: %s%s", name,
                           o.sp.name ? "" : " (the default name of this stage)");
    p->stages++;
    *out = qtp_stage(&o.sp);
    *ninst = 1;
    return *out ? 0 : fail_oom(p);
}

static int enter(struct parser *p, const struct tok *at, const char *what)
{
    if (++p->depth > QTP_TOPO_MAX_DEPTH)
        return fail_at(p, at, "nesting deeper than the limit of %d", QTP_TOPO_MAX_DEPTH);
    next(p);
    char b[32];
    snprintf(b, sizeof(b), "'(' after %s", what);
    return expect(p, T_LPAREN, b);
}

static int too_many(struct parser *p, const struct tok *at, unsigned n)
{
    return fail_at(p, at, "stage instances above the limit of %d: %u", QTP_TOPO_MAX_INSTANCES, n);
}

/* seq(...) and fanout(...): one or more terms. */
static int list(struct parser *p, struct qtp_node **out, unsigned *ninst, bool is_seq)
{
    const char *what = is_seq ? "seq" : "fanout";
    int rc = enter(p, &p->t, what);
    if (rc)
        return rc;
    struct qtp_node *kids[QTP_TOPO_MAX_NODES];
    size_t n = 0;
    unsigned total = 0;
    for (;;) {
        struct tok at = p->t;
        unsigned k;
        rc = term(p, &kids[n], &k);
        if (rc)
            goto fail;
        n++;
        total += k;
        if (total > QTP_TOPO_MAX_INSTANCES) {
            rc = too_many(p, &at, total);
            goto fail;
        }
        if (p->t.kind == T_RPAREN)
            break;
        if (p->t.kind != T_COMMA) {
            char b[48];
            snprintf(b, sizeof(b), "',' or ')' in %s(...)", what);
            rc = expected(p, b);
            goto fail;
        }
        next(p);
    }
    next(p);
    p->depth--;
    *out = is_seq ? qtp_seqv(n, kids) : qtp_fanout(n, kids); /* frees kids on failure */
    *ninst = total;
    return *out ? 0 : fail_oom(p);
fail:
    for (size_t i = 0; i < n; i++)
        qtp_node_free(kids[i]);
    return rc;
}

static int c_seq(struct parser *p, struct qtp_node **out, unsigned *ninst)
{
    return list(p, out, ninst, true);
}
static int c_fanout(struct parser *p, struct qtp_node **out, unsigned *ninst)
{
    return list(p, out, ninst, false);
}

static int c_shard(struct parser *p, struct qtp_node **out, unsigned *ninst)
{
    int rc = enter(p, &p->t, "shard");
    if (rc)
        return rc;
    struct qtp_node *a;
    unsigned k;
    if ((rc = term(p, &a, &k)))
        return rc;
    uint64_t n = 0;
    if (p->t.kind == T_RPAREN)
        rc = fail_at(p, &p->t, "shard needs a count: shard(a, 2)");
    else
        rc = expect(p, T_COMMA, "',' and a count in shard(...)");
    if (!rc)
        rc = count(p, "shard count", &n);
    if (!rc && (n == 0 || (n & (n - 1)) != 0))
        rc = fail_at(p, &p->t, "shard count must be a power of two: %llu", (unsigned long long)n);
    if (!rc && n > QTP_TOPO_MAX_SHARD)
        rc = fail_at(p, &p->t, "shard count above the limit of %d: %llu", QTP_TOPO_MAX_SHARD,
                     (unsigned long long)n);
    if (!rc && k * n > QTP_TOPO_MAX_INSTANCES)
        rc = too_many(p, &p->t, (unsigned)(k * n));
    if (!rc) {
        next(p);
        rc = expect(p, T_RPAREN, "')' after the shard count");
    }
    if (rc) {
        qtp_node_free(a);
        return rc;
    }
    p->depth--;
    *out = qtp_shard(a, (unsigned)n);
    *ninst = k * (unsigned)n;
    return *out ? 0 : fail_oom(p);
}

static const struct combinator {
    const char *name;
    int (*parse)(struct parser *p, struct qtp_node **out, unsigned *ninst);
} combinators[] = {{"stage", c_stage}, {"seq", c_seq}, {"fanout", c_fanout}, {"shard", c_shard}};
#define NCOMBINATORS (sizeof(combinators) / sizeof(combinators[0]))

static int term(struct parser *p, struct qtp_node **out, unsigned *ninst)
{
    *out = NULL;
    if (p->t.kind != T_IDENT)
        return expected(p, "a combinator (stage, seq, fanout, shard)");
    if (++p->nodes > QTP_TOPO_MAX_NODES)
        return fail_at(p, &p->t, "more than %d nodes (stages and combinators): the limit",
                       QTP_TOPO_MAX_NODES);
    for (unsigned k = 0; k < NCOMBINATORS; k++)
        if (is_word_tok(p, combinators[k].name))
            return combinators[k].parse(p, out, ninst);
    if (is_word_tok(p, "topo"))
        return fail_at(p, &p->t, "topo(...) goes around the whole topology, not inside it");
    char b[48];
    return fail_at(p, &p->t, "unknown combinator %s (accepted: stage, seq, fanout, shard, topo)",
                   tok_text(p, &p->t, b, sizeof(b)));
}

/* ---- the top level: a term, or topo(term, options) ---- */

struct parsed {
    struct qtp_node *root;
    unsigned producers; /* 0: not given */
    uint64_t payload;
    bool payload_given, pingpong;
    struct tok producers_tok, pingpong_tok;
};

static int t_producers(struct parser *p, struct parsed *r)
{
    uint64_t v;
    int rc = count(p, "producers", &v);
    if (!rc && (v < 1 || v > QTP_TOPO_MAX_PRODUCERS))
        rc = fail_at(p, &p->t, "producers must be 1..%d: %llu", QTP_TOPO_MAX_PRODUCERS,
                     (unsigned long long)v);
    r->producers = (unsigned)v;
    return rc;
}
static int t_payload(struct parser *p, struct parsed *r)
{
    int rc = count(p, "payload", &r->payload);
    if (!rc && r->payload != 0 && (r->payload < QTP_PAYLOAD_MIN || r->payload > QTP_PAYLOAD_MAX))
        rc = fail_at(p, &p->t, "payload must be 0 or %d..%d bytes: %llu", QTP_PAYLOAD_MIN,
                     QTP_PAYLOAD_MAX, (unsigned long long)r->payload);
    r->payload_given = true;
    return rc;
}

static const struct topo_option {
    const char *name;
    int (*value)(struct parser *p, struct parsed *r); /* NULL: a flag */
} topo_options[] = {{"producers", t_producers}, {"payload", t_payload}, {"pingpong", NULL}};
#define NTOPO_OPTIONS (sizeof(topo_options) / sizeof(topo_options[0]))

static int topo_option(struct parser *p, struct parsed *r, unsigned *seen)
{
    if (p->t.kind != T_IDENT)
        return expected(p, "a topology option (producers, payload, pingpong)");
    for (unsigned k = 0; k < NTOPO_OPTIONS; k++) {
        const struct topo_option *o = &topo_options[k];
        if (!is_word_tok(p, o->name))
            continue;
        if (*seen & (1u << k))
            return fail_at(p, &p->t, "topology option %s given twice", o->name);
        *seen |= 1u << k;
        struct tok at = p->t;
        next(p);
        if (!o->value) {
            if (p->t.kind == T_EQ)
                return fail_at(p, &p->t, "%s takes no value", o->name);
            r->pingpong = true;
            r->pingpong_tok = at;
            return 0;
        }
        char what[32];
        snprintf(what, sizeof(what), "'=' after %s", o->name);
        int rc = expect(p, T_EQ, what);
        if (!rc)
            rc = o->value(p, r);
        if (!rc) {
            if (o->value == t_producers)
                r->producers_tok = (struct tok){T_IDENT, at.pos, p->t.pos + p->t.len - at.pos};
            next(p);
        }
        return rc;
    }
    char b[48];
    return fail_at(p, &p->t, "unknown topology option %s (accepted: producers, payload, pingpong)",
                   tok_text(p, &p->t, b, sizeof(b)));
}

static int parse(const char *expr, struct parsed *r, struct qtp_parse_error *err)
{
    struct parser *p = calloc(1, sizeof(*p));
    memset(r, 0, sizeof(*r));
    memset(err, 0, sizeof(*err));
    if (!p) {
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return ENOMEM;
    }
    p->s = expr;
    p->err = err;
    p->t = (struct tok){T_END, 0, 0};
    next(p);
    int rc;
    unsigned ninst;
    if (p->t.kind == T_END) {
        rc = fail_at(p, &p->t, "empty expression: write a topology such as seq(stage, stage)");
    } else if (is_word_tok(p, "topo")) {
        rc = enter(p, &p->t, "topo");
        if (!rc)
            rc = term(p, &r->root, &ninst);
        if (!rc && p->t.kind == T_RPAREN)
            rc = fail_at(p, &p->t,
                         "topo(...) needs an option after the topology: producers, payload or "
                         "pingpong");
        unsigned seen = 0;
        while (!rc && p->t.kind == T_COMMA) {
            next(p);
            rc = topo_option(p, r, &seen);
        }
        if (!rc)
            rc = expect(p, T_RPAREN, "',' or ')' in topo(...)");
    } else {
        rc = term(p, &r->root, &ninst);
    }
    if (!rc && p->t.kind != T_END) {
        char b[48];
        rc = fail_at(p, &p->t, "unexpected %s after the end of the topology",
                     tok_text(p, &p->t, b, sizeof(b)));
    }
    if (rc) {
        qtp_node_free(r->root);
        r->root = NULL;
    }
    free(p);
    return rc;
}

static void set_defaults(struct qtp_node *x, const struct qtp_topo_params *d)
{
    if (x->kind == QTP_NODE_STAGE) {
        if (!x->work_ns)
            x->work_ns = d->work_ns;
        if (!x->sleep_ns)
            x->sleep_ns = d->sleep_ns;
        return;
    }
    unsigned kids = x->kind == QTP_NODE_SHARD ? 1 : x->n;
    for (unsigned i = 0; i < kids; i++)
        set_defaults(x->kids[i], d);
}

/* Finalize what parse() gave; takes r->root. */
static int finish(const char *expr, struct parsed *r, const char *name,
                  const struct qtp_topo_params *defaults, struct qtp_topology *out,
                  struct qtp_parse_error *err)
{
    if (defaults) {
        set_defaults(r->root, defaults);
        if (!r->payload_given)
            r->payload = defaults->payload;
    }
    unsigned producers = r->producers ? r->producers : 1;
    struct parser p = {.s = expr, .err = err};
    int rc = qtp_topology_init(out, name, r->root, producers, (size_t)r->payload);
    if (rc == EINVAL && producers > 1)
        return fail_at(&p, &r->producers_tok,
                       "producers=%u needs no shard, and one first stage or branches that never "
                       "join",
                       producers);
    if (rc) {
        snprintf(err->msg, sizeof(err->msg), "%s",
                 rc == ENOMEM ? "out of memory" : "qtp_topology_init refused the topology");
        return rc;
    }
    if (r->pingpong && (rc = qtp_topology_set_pingpong(out)) != 0) {
        unsigned n = out->ninstances;
        qtp_topology_fini(out);
        if (producers > 1)
            return fail_at(&p, &r->pingpong_tok, "pingpong needs one producer: producers=%u",
                           producers);
        return fail_at(&p, &r->pingpong_tok,
                       "pingpong needs a topology of one stage instance: this one has %u", n);
    }
    return 0;
}

int qtp_topo_parse(const char *expr, const char *name, const struct qtp_topo_params *defaults,
                   struct qtp_topology *out, struct qtp_parse_error *err)
{
    struct qtp_parse_error local;
    if (!err)
        err = &local;
    memset(out, 0, sizeof(*out));
    struct parsed r;
    int rc = parse(expr, &r, err);
    return rc ? rc : finish(expr, &r, name, defaults, out, err);
}

/* ---- the canonical printer ---- */

static void print_duration(struct out *o, const char *sep, const char *what, uint64_t ns)
{
    for (size_t k = 0; k < NUNITS; k++)
        if (ns % units[k].ns == 0) {
            put(o, "%s%s=%llu%s", sep, what, (unsigned long long)(ns / units[k].ns), units[k].name);
            return;
        }
}

static void print_node(struct out *o, const struct qtp_node *x)
{
    switch (x->kind) {
    case QTP_NODE_STAGE: {
        char dflt[QTP_NAME_MAX];
        snprintf(dflt, sizeof(dflt), "s%d", x->field + 1);
        bool named = x->name[0] && strcmp(x->name, dflt) != 0;
        if (!named && !x->work_ns && !x->sleep_ns) {
            put(o, "stage");
            return;
        }
        put(o, "stage(");
        const char *sep = "";
        if (named) {
            put(o, "name=%s", x->name);
            sep = ", ";
        }
        if (x->work_ns) {
            print_duration(o, sep, "work", x->work_ns);
            sep = ", ";
        }
        if (x->sleep_ns)
            print_duration(o, sep, "sleep", x->sleep_ns);
        put(o, ")");
        return;
    }
    case QTP_NODE_SHARD:
        put(o, "shard(");
        print_node(o, x->kids[0]);
        put(o, ", %u)", x->n);
        return;
    case QTP_NODE_SEQ:
    case QTP_NODE_FANOUT:
        put(o, "%s(", x->kind == QTP_NODE_SEQ ? "seq" : "fanout");
        for (unsigned i = 0; i < x->n; i++) {
            if (i)
                put(o, ", ");
            print_node(o, x->kids[i]);
        }
        put(o, ")");
        return;
    }
}

int qtp_topo_print(const struct qtp_topology *t, char *buf, size_t len)
{
    if (len)
        buf[0] = 0;
    if (!t->graph || !t->root)
        return EINVAL;
    struct out o = {buf, len, 0, len == 0};
    bool wrap = t->producers != 1 || t->payload || t->pingpong;
    if (wrap)
        put(&o, "topo(");
    print_node(&o, t->root);
    if (wrap) {
        if (t->producers != 1)
            put(&o, ", producers=%u", t->producers);
        if (t->payload)
            put(&o, ", payload=%zu", t->payload);
        if (t->pingpong)
            put(&o, ", pingpong");
        put(&o, ")");
    }
    return o.trunc ? ENOSPC : 0; /* cut: the first len - 1 bytes */
}

/* ---- resolving a name or an expression ---- */

int qtp_topology_resolve(const char *text, const struct qtp_topo_params *p,
                         struct qtp_topology *out, struct qtp_parse_error *err)
{
    static const struct qtp_topo_params none;
    if (!p)
        p = &none;
    const struct qtp_topology_def *d = qtp_topology_find(text);
    if (d) {
        char msg[sizeof(err->msg)] = "";
        int rc = qtp_topo_params_check(p, msg, sizeof(msg));
        if (!rc)
            rc = qtp_topology_build(d, p, out);
        if (rc && err) {
            memset(err, 0, sizeof(*err));
            snprintf(err->msg, sizeof(err->msg), "%s: %.120s", d->name,
                     rc == ENOMEM ? "out of memory" : msg);
            err->length = strlen(text) ? strlen(text) : 1;
            err->column = 1;
        }
        return rc;
    }
    /* A bare word that is no combinator was meant as a name. */
    size_t n = 0;
    while (is_word(text[n]))
        n++;
    bool keyword = strcmp(text, "topo") == 0;
    for (size_t k = 0; k < NCOMBINATORS; k++)
        keyword |= strcmp(text, combinators[k].name) == 0;
    if (n && text[n] == 0 && !keyword) {
        if (err) {
            struct out o = {err->msg, sizeof(err->msg), 0, false};
            put(&o, "unknown topology '%.32s' (accepted: ", text);
            for (d = qtp_topologies; d->name; d++)
                put(&o, "%s, ", d->name);
            put(&o, "or an expression such as seq(stage, stage))");
            err->column = 1;
            err->length = n;
        }
        memset(out, 0, sizeof(*out));
        return EINVAL;
    }
    return qtp_topo_parse(text, NULL, p, out, err);
}

/* ---- messages ---- */

int qtp_parse_error_format(const char *expr, const struct qtp_parse_error *err, char *buf,
                           size_t len)
{
    enum { WINDOW = 72, BEFORE = 40 };
    struct out o = {buf, len, 0, len == 0};
    if (len)
        buf[0] = 0;
    put(&o, "%s\n", err->msg);
    size_t n = strlen(expr), col = err->column ? err->column - 1 : 0;
    if (col > n)
        col = n;
    /* Show a window of the expression around the column; control bytes as '?'. */
    size_t from = col > BEFORE ? col - BEFORE : 0, to = from + WINDOW < n ? from + WINDOW : n;
    put(&o, "  %s", from ? "..." : "");
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)expr[i];
        put(&o, "%c", is_space((char)c) ? ' ' : (c < 0x20 || c >= 0x7f) ? '?' : (char)c);
    }
    put(&o, "%s\n  %*s", to < n ? "..." : "", (int)(col - from + (from ? 3 : 0)), "");
    size_t carets = err->length ? err->length : 1;
    if (col + carets > to + 1)
        carets = to + 1 > col ? to + 1 - col : 1;
    for (size_t i = 0; i < carets; i++)
        put(&o, "^");
    put(&o, "\n");
    return o.trunc ? ENOSPC : 0;
}

size_t qtp_topo_list_item(const char *list)
{
    size_t i = 0;
    int depth = 0;
    for (; list[i]; i++) {
        if (list[i] == '(')
            depth++;
        else if (list[i] == ')' && depth > 0)
            depth--;
        else if (list[i] == ',' && depth == 0)
            break;
    }
    return i;
}

/* ---- the grammar ---- */

#define STR(x) #x
#define XSTR(x) STR(x)

const char qtp_topo_grammar[] =
    "TOPOLOGY EXPRESSIONS\n"
    "  A topology is a name (qtopo list) or an expression built from four combinators:\n"
    "    stage                 one thread per instance; writes its own output field\n"
    "    seq(a, b, ...)        a, then b, ...\n"
    "    fanout(a, b, ...)     every branch sees every event; what follows joins them\n"
    "    shard(a, N)           N copies of a (a power of two); copy i owns the positions\n"
    "                          p with p % N == i; what follows merges them in order\n"
    "\n"
    "GRAMMAR (EBNF; spaces, tabs and newlines may go between any two tokens)\n"
    "  topology     = term | \"topo\" \"(\" term \",\" topo-option { \",\" topo-option } "
    "\")\" ;\n"
    "  term         = stage | seq | fanout | shard ;\n"
    "  stage        = \"stage\" [ \"(\" stage-option { \",\" stage-option } \")\" ] ;\n"
    "  seq          = \"seq\" \"(\" term { \",\" term } \")\" ;\n"
    "  fanout       = \"fanout\" \"(\" term { \",\" term } \")\" ;\n"
    "  shard        = \"shard\" \"(\" term \",\" integer \")\" ;\n"
    "  stage-option = \"name\" \"=\" name | \"work\" \"=\" duration | \"sleep\" \"=\" "
    "duration ;\n"
    "  topo-option  = \"producers\" \"=\" integer | \"payload\" \"=\" integer | "
    "\"pingpong\" ;\n"
    "  duration     = integer ( \"ns\" | \"us\" | \"ms\" | \"s\" ) ;\n"
    "  name         = ( letter | \"_\" ) { letter | digit | \"_\" | \"-\" } ;\n"
    "  integer      = digit { digit } ;\n"
    "  Each option at most once, in any order.\n"
    "\n"
    "MEANING OF THE OPTIONS\n"
    "  name=NAME     the stage's name in roles and reports (default s<stage number>, "
    "counted\n"
    "                depth-first from 1); names must differ\n"
    "  work=DUR      calibrated busy work per event; sleep=DUR: a sleep per event (0..1s "
    "each)\n"
    "  producers=N   1.." XSTR(
        QTP_TOPO_MAX_PRODUCERS) " producers sharing the first queue (per-producer order "
                                "only); needs one\n"
                                "                first stage and no shard\n"
                                "  payload=N     bytes carried after the fields: 0 "
                                "or " XSTR(QTP_PAYLOAD_MIN) ".." XSTR(
                                    QTP_PAYLOAD_MAX) "\n"
                                                     "  pingpong      round trip: the "
                                                     "producer takes each batch back (a "
                                                     "single stage)\n"
                                                     "\n"
                                                     "LIMITS\n"
                                                     "  " XSTR(
                                                         QTP_TOPO_MAX_INSTANCES) " stage "
                                                                                 "instance"
                                                                                 "s (a "
                                                                                 "shard "
                                                                                 "copy "
                                                                                 "counts "
                                                                                 "once "
                                                                                 "per "
                                                                                 "copy),"
                                                                                 " " XSTR(
                                                                                     QTP_TOPO_MAX_FIELDS) " stages (one field each),\n"
                                                                                                          "  nesting depth " XSTR(QTP_TOPO_MAX_DEPTH) ", " XSTR(
                                                                                                              QTP_TOPO_MAX_NODES) " nodes as written, "
                                                                                                                                  "shard count " XSTR(QTP_TOPO_MAX_SHARD) ", stage names " XSTR(
                                                                                                                                      QTP_TOPO_NAME_LEN) " characters,\n"
                                                                                                                                                         "  integers up to " XSTR(
                                                                                                                                                             QTP_TOPO_NUMBER_MAX) ". Breaking one is an error naming it.\n"
                                                                                                                                                                                  "\n"
                                                                                                                                                                                  "CANONICAL FORM (what results, reports and qtopo describe print)\n"
                                                                                                                                                                                  "  One space after each comma, none elsewhere; seq inside seq and fanout inside fanout\n"
                                                                                                                                                                                  "  flattened, seq and fanout of one part replaced by the part; stage options in the order\n"
                                                                                                                                                                                  "  name, work, sleep, a name left out when it is the default, durations in the largest unit\n"
                                                                                                                                                                                  "  that divides them exactly, zero values left out, stage without options written bare;\n"
                                                                                                                                                                                  "  topo(...) only when an option differs from its default (producers=1, payload=0), its\n"
                                                                                                                                                                                  "  options in the order producers, payload, pingpong. Printing a parsed canonical form gives\n"
                                                                                                                                                                                  "  it back unchanged.\n"
                                                                                                                                                                                  "\n"
                                                                                                                                                                                  "EXAMPLES (single quotes keep the shell away)\n"
                                                                                                                                                                                  "  qtopo run -t 'seq(stage, fanout(seq(stage, stage), stage), shard(stage, 4), stage)'\n"
                                                                                                                                                                                  "  qtopo run -t 'seq(stage(name=parse, work=200ns), shard(stage(sleep=20ms), 2), stage)'\n"
                                                                                                                                                                                  "  qtopo run -t 'topo(seq(stage, stage), producers=3, payload=256)'\n";
