/* named.c - the named topologies: a registry of expressions (templates over the shape parameters)
 * and the parameters they take. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "qtp_lang.h"
#include "qtp_table.h"
#include "qtp_topo.h"

/* ---- the shape parameters: one row each ---- */

static const struct param {
    enum qtp_topo_param id;
    const char *name; /* the placeholder {name} and the option --name */
    size_t offset;    /* of its unsigned in qtp_topo_params */
    unsigned def, max;
    bool pow2;
    const char *what;
} params[] = {
    {QTP_PARAM_FANOUT, "fanout", offsetof(struct qtp_topo_params, fanout), 3, 16, false,
     "branches"},
    {QTP_PARAM_SHARDS, "shards", offsetof(struct qtp_topo_params, shards), 2, 32, true, "copies"},
    {QTP_PARAM_STAGES, "stages", offsetof(struct qtp_topo_params, stages), 3, 32, false, "stages"},
    {QTP_PARAM_PRODUCERS, "producers", offsetof(struct qtp_topo_params, producers), 4,
     QTP_TOPO_MAX_PRODUCERS, false, "publishers"},
    {QTP_PARAM_READERS, "readers", offsetof(struct qtp_topo_params, readers), 6, 16, false,
     "readers"},
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

static unsigned param_value(const struct param *q, const struct qtp_topo_params *p)
{
    unsigned v;
    memcpy(&v, (const char *)p + q->offset, sizeof(v));
    return v ? v : q->def;
}

int qtp_topo_params_check(const struct qtp_topo_params *p, char *err, size_t len)
{
    for (size_t k = 0; k < NPARAMS; k++) {
        const struct param *q = &params[k];
        unsigned v;
        memcpy(&v, (const char *)p + q->offset, sizeof(v));
        if (q->pow2 && (v > q->max || (v & (v - 1)) != 0)) {
            snprintf(err, len, "%s %u is not a power of two in 1..%u", q->name, v, q->max);
            return EINVAL;
        }
        if (v > q->max) {
            snprintf(err, len, "%s %u out of range (accepted: 1..%u)", q->name, v, q->max);
            return EINVAL;
        }
    }
    if (p->payload != 0 && (p->payload < QTP_PAYLOAD_MIN || p->payload > QTP_PAYLOAD_MAX)) {
        snprintf(err, len, "payload %zu out of range (accepted: 0 or %d..%d bytes)", p->payload,
                 QTP_PAYLOAD_MIN, QTP_PAYLOAD_MAX);
        return EINVAL;
    }
    if (p->work_ns > QTP_STAGE_TIME_MAX_NS || p->sleep_ns > QTP_STAGE_TIME_MAX_NS) {
        snprintf(err, len, "work/sleep per event above 1 s (accepted: 0..%llu ns)",
                 QTP_STAGE_TIME_MAX_NS);
        return EINVAL;
    }
    return 0;
}

/* ---- templates ---- */

struct text {
    char *p;
    size_t len, used;
};

static int append(struct text *t, const char *s, size_t n)
{
    if (t->used + n >= t->len)
        return ENOSPC;
    memcpy(t->p + t->used, s, n);
    t->used += n;
    t->p[t->used] = 0;
    return 0;
}

static const struct param *placeholder(const char *s, size_t *len)
{
    for (size_t k = 0; k < NPARAMS; k++) {
        size_t n = strlen(params[k].name);
        if (s[0] == '{' && strncmp(s + 1, params[k].name, n) == 0 && s[n + 1] == '}') {
            *len = n + 2;
            return &params[k];
        }
    }
    return NULL;
}

/* Repeat the item that ends the output (a word and its parenthesised options) n times. */
static int repeat(struct text *t, unsigned n)
{
    size_t end = t->used, start = end;
    if (start && t->p[start - 1] == ')') {
        int depth = 0;
        do {
            start--;
            depth += t->p[start] == ')' ? 1 : t->p[start] == '(' ? -1 : 0;
        } while (start && depth);
        if (depth)
            return EINVAL;
    }
    while (start && t->p[start - 1] >= 'a' && t->p[start - 1] <= 'z')
        start--;
    char item[256];
    if (start == end || end - start >= sizeof(item))
        return EINVAL;
    memcpy(item, t->p + start, end - start);
    item[end - start] = 0;
    t->used = start;
    for (unsigned i = 1; i <= n; i++) {
        if (i > 1 && append(t, ", ", 2))
            return ENOSPC;
        for (const char *s = item; *s; s++) {
            int rc;
            if (strncmp(s, "{i}", 3) == 0) {
                char num[16];
                rc = append(t, num, (size_t)snprintf(num, sizeof(num), "%u", i));
                s += 2;
            } else {
                rc = append(t, s, 1);
            }
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* The template with p's values substituted: an expression. */
static int expand(const char *tpl, const struct qtp_topo_params *p, char *buf, size_t len)
{
    struct text t = {buf, len, 0};
    if (!len)
        return ENOSPC;
    buf[0] = 0;
    for (const char *s = tpl; *s;) {
        size_t n;
        const struct param *q = placeholder(s[0] == '*' ? s + 1 : s, &n);
        int rc;
        if (q && s[0] == '*') {
            rc = repeat(&t, param_value(q, p));
            s += n + 1;
        } else if (q) {
            char num[16];
            rc = append(&t, num, (size_t)snprintf(num, sizeof(num), "%u", param_value(q, p)));
            s += n;
        } else {
            rc = append(&t, s++, 1);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the registry ---- */

enum { UNICAST, PIPELINE, FANOUT, DIAMOND, SHARD, SEQUENCER, PINGPONG, BROKER };

/* The function-pointer face of the registry: one per row, each building its own row. */
#define BUILDER(row)                                                                               \
    static int build_##row(const struct qtp_topo_params *p, struct qtp_topology *out)              \
    {                                                                                              \
        return qtp_topology_build(&qtp_topologies[row], p, out);                                   \
    }
BUILDER(UNICAST)
BUILDER(PIPELINE)
BUILDER(FANOUT)
BUILDER(DIAMOND)
BUILDER(SHARD)
BUILDER(SEQUENCER)
BUILDER(PINGPONG)
BUILDER(BROKER)

const struct qtp_topology_def qtp_topologies[] = {
    [UNICAST] = {"unicast", "one producer, one consumer", "stage(name=c1)",
                 "ring: c1 waits on the cursor; producer gated on c1. "
                 "per-edge: producer -> q -> c1.",
                 build_UNICAST, false},
    [PIPELINE] = {"pipeline", "a pipeline of N stages (--stages N)", "seq(stage*{stages})",
                  "ring: s1 waits on the cursor, s(i+1) on s(i); producer gated on sN. "
                  "per-edge: one queue per edge, producer -> q -> s1 -> q -> s2 ... sN.",
                  build_PIPELINE, false},
    [FANOUT] = {"fanout", "multicast to N consumers (--fanout N)",
                "fanout(stage(name=c{i})*{fanout})",
                "ring: every ci waits on the cursor (one shared barrier), producer gated on all "
                "ci. per-edge: the producer copies each event into N queues, one per ci.",
                build_FANOUT, false},
    [DIAMOND] = {"diamond", "two consumers joined by a third that reads both their fields",
                 "seq(fanout(stage(name=c1), stage(name=c2)), stage(name=c3))",
                 "ring: c1, c2 wait on the cursor, c3 on min(c1, c2); producer gated on c3. "
                 "per-edge: producer copies into q1, q2; c1 -> q -> c3, c2 -> q -> c3; c3 pops "
                 "one from each and merges the fields (same seq checked).",
                 build_DIAMOND, false},
    [SHARD] = {"shard", "N shard copies merged in order (--shards N)",
               "seq(shard(stage(name=w), {shards}), stage(name=merge))",
               "ring: every w#i waits on the cursor and advances over every event but handles "
               "only seq%N==i; merge waits on min(w#*); producer gated on merge. per-edge: the "
               "producer deals round-robin into N queues; merge takes from w#(seq%N)'s queue, "
               "in order.",
               build_SHARD, false},
    [SEQUENCER] = {"sequencer", "3 producers into one consumer (per-producer order only)",
                   "topo(stage(name=c1), producers=3)",
                   "ring: multi-producer ring (CAS claim, per-slot availability), c1 waits on "
                   "the cursor; producers gated on c1. per-edge: the 3 producers push into one "
                   "queue.",
                   build_SEQUENCER, false},
    [PINGPONG] = {"pingpong", "round trip of each batch (--batch events in flight)",
                  "topo(stage(name=echo), pingpong)",
                  "ring: two rings; echo consumes ping, writes pong; the producer waits for the "
                  "batch on pong before sending the next. per-edge: two queues, same loop. "
                  "Latency is the round trip.",
                  build_PINGPONG, false},
    /* Seed 002's n-m multicast broker: publishers of disjoint streams, every reader sees all. */
    [BROKER] = {"broker",
                "P publishers into M readers, every reader sees every event of every publisher "
                "(--producers P, --readers M)",
                "topo(fanout(stage(name=r{i})*{readers}), producers={producers})",
                "ring: multi-producer ring (CAS claim, per-slot availability), every ri waits on "
                "the cursor; producers gated on every ri. per-edge: every producer copies each "
                "event into M queues, one per ri (each queue shared by the P producers).",
                build_BROKER, true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

_Static_assert(offsetof(struct qtp_topology_def, name) == 0,
               "qtp_table_find: the name is the first member");

const struct qtp_topology_def *qtp_topology_find(const char *name)
{
    return QTP_FIND_NAME(qtp_topologies, name);
}

unsigned qtp_topology_takes(const struct qtp_topology_def *d)
{
    unsigned m = 0;
    for (const char *s = strchr(d->expr, '{'); s; s = strchr(s + 1, '{')) {
        size_t n;
        const struct param *q = placeholder(s, &n);
        if (q)
            m |= q->id;
    }
    return m;
}

int qtp_topology_params_text(const struct qtp_topology_def *d, char *buf, size_t len)
{
    unsigned m = qtp_topology_takes(d);
    size_t used = 0;
    if (len)
        buf[0] = 0;
    for (size_t k = 0; k < NPARAMS; k++) {
        const struct param *q = &params[k];
        if (!(m & q->id))
            continue;
        int n =
            snprintf(buf + used, len - used, "%s--%s N: %s, %s1..%u, default %u", used ? "; " : "",
                     q->name, q->what, q->pow2 ? "a power of two in " : "", q->max, q->def);
        if (n < 0 || (size_t)n >= len - used)
            return ENOSPC;
        used += (size_t)n;
    }
    return 0;
}

int qtp_topology_build(const struct qtp_topology_def *d, const struct qtp_topo_params *p,
                       struct qtp_topology *out)
{
    static const struct qtp_topo_params none;
    memset(out, 0, sizeof(*out));
    if (!p)
        p = &none;
    if (qtp_topo_params_check(p, NULL, 0))
        return EINVAL;
    char expr[QTP_TOPO_EXPR_MAX];
    int rc = expand(d->expr, p, expr, sizeof(expr));
    if (rc)
        return EINVAL;
    /* The templates set no work, sleep or payload: p's apply everywhere. */
    return qtp_topo_parse(expr, d->name, p, out, NULL);
}

int qtp_topology_def_expr(const struct qtp_topology_def *d, const struct qtp_topo_params *p,
                          char *buf, size_t len)
{
    struct qtp_topology t;
    int rc = qtp_topology_build(d, p, &t);
    if (rc)
        return rc;
    rc = qtp_topo_print(&t, buf, len);
    qtp_topology_fini(&t);
    return rc;
}
