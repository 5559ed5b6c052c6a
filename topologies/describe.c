/* describe.c - a compiled topology in words (qtopo describe) and in Graphviz DOT (the report's
 * diagrams): its threads, what each stage owns, how it is wired over the ring and over per-edge
 * queues.
 *
 * Both read only the compiled graph and the wiring rules the deployments follow (qtp_deploy.h):
 * ring: an instance's barrier names its upstream instances' sequences (none: the cursor) and the
 * producer is gated on the terminals; per edge: one queue per edge u -> d, in the order the
 * deployment creates them (the roots' queues, then each instance's in-edges in its deps' order),
 * named q[u->d] as the deployment's progress text names them ("p" the producers), and carrying the
 * positions both ends own. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_deploy.h"
#include "qtp_lang.h"
#include "qtp_topo.h"
#include "qtp_topo_internal.h"

/* ---- a growing text ---- */

struct sb {
    char *p;
    size_t len, used;
    bool oom;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sb *b, const char *fmt, ...)
{
    for (;;) {
        if (b->oom)
            return;
        size_t room = b->len - b->used;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->used : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < room) {
            b->used += (size_t)n;
            return;
        }
        size_t len = b->len ? b->len : 1024;
        while (len - b->used <= (size_t)n)
            len *= 2;
        char *p = realloc(b->p, len);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->len = len;
    }
}

/* Hand the text over: into buf (ENOSPC when cut) or f (EIO). */
static int sb_done(struct sb *b, char *buf, size_t len, FILE *f)
{
    int rc = b->oom ? ENOMEM : 0;
    if (!rc && f && b->used && fwrite(b->p, 1, b->used, f) != b->used)
        rc = EIO;
    if (!f && len) {
        size_t n = b->used < len ? b->used : len - 1;
        if (n)
            memcpy(buf, b->p, n);
        buf[n] = 0;
        if (!rc && b->used >= len)
            rc = ENOSPC;
    }
    free(b->p);
    return rc;
}

/* ---- partitions and edges ---- */

struct part {
    uint32_t mod, res;
};

static const char *part_str(struct part p, char *buf, size_t len)
{
    if (p.mod == 1)
        snprintf(buf, len, "all");
    else
        snprintf(buf, len, "p%%%u==%u", p.mod, p.res);
    return buf;
}

/* The positions both own (moduli are powers of two: one contains the other, or they are apart). */
static bool part_meet(struct part a, struct part b, struct part *out)
{
    if (a.mod < b.mod) {
        struct part t = a;
        a = b;
        b = t;
    }
    if (a.res % b.mod != b.res)
        return false;
    *out = a;
    return true;
}

#define PRODUCER (-1)

struct dedge {
    int src, dst; /* instance, or PRODUCER */
    struct part carries;
    bool used; /* the ends share positions */
};

struct wiring {
    const struct qtp_topology *t;
    const struct qtp_graph *g;
    unsigned n;
    struct dedge *e;
};

static struct part inst_part(const struct qtp_graph *g, int i)
{
    return i == PRODUCER ? (struct part){1, 0} : (struct part){g->inst[i].mod, g->inst[i].res};
}

static const char *end_name(const struct wiring *w, int i)
{
    return i == PRODUCER ? "p" : w->g->inst[i].role;
}

static void add_edge(struct wiring *w, int src, int dst)
{
    struct dedge *e = &w->e[w->n++];
    e->src = src;
    e->dst = dst;
    e->used = part_meet(inst_part(w->g, src), inst_part(w->g, dst), &e->carries);
}

static int wiring_init(struct wiring *w, const struct qtp_topology *t)
{
    const struct qtp_graph *g = t->graph;
    *w = (struct wiring){t, g, 0, NULL};
    unsigned max = g->nroots + 1;
    for (unsigned i = 0; i < g->ninst; i++)
        max += g->inst[i].ndeps;
    w->e = calloc(max, sizeof(*w->e));
    if (!w->e)
        return ENOMEM;
    for (unsigned r = 0; r < g->nroots; r++)
        add_edge(w, PRODUCER, g->roots[r]);
    for (unsigned i = 0; i < g->ninst; i++)
        for (unsigned k = 0; k < g->inst[i].ndeps; k++)
            add_edge(w, g->inst[i].deps[k], (int)i);
    if (t->pingpong)
        add_edge(w, 0, PRODUCER);
    return 0;
}

static void queue_name(const struct wiring *w, const struct dedge *e, char *buf, size_t len)
{
    snprintf(buf, len, "q[%s->%s]", end_name(w, e->src), end_name(w, e->dst));
}

/* ---- words ---- */

static void tree(struct sb *b, const struct qtp_topology *t, const struct qtp_node *x, int depth)
{
    sb_printf(b, "%*s", depth * 2 + 2, "");
    switch (x->kind) {
    case QTP_NODE_STAGE: {
        const struct qtp_gstage *s = &t->graph->stage[x->field];
        sb_printf(b, "stage %s (stage %d, field %d", s->name, x->field + 1, x->field);
        for (uint64_t m = s->up, k = 0; m; m &= m - 1, k++)
            sb_printf(b, "%s%d",
                      k               ? ", "
                      : (m & (m - 1)) ? ", reads fields "
                                      : ", reads field ",
                      __builtin_ctzll(m));
        if (s->work_ns)
            sb_printf(b, ", work %llu ns", (unsigned long long)s->work_ns);
        if (s->sleep_ns)
            sb_printf(b, ", sleep %llu ns", (unsigned long long)s->sleep_ns);
        sb_printf(b, ")\n");
        return;
    }
    case QTP_NODE_SEQ:
        sb_printf(b, "seq\n");
        break;
    case QTP_NODE_FANOUT:
        sb_printf(b, "fanout %u\n", x->n);
        break;
    case QTP_NODE_SHARD:
        sb_printf(b, "shard %u\n", x->n);
        tree(b, t, x->kids[0], depth + 1);
        return;
    }
    for (unsigned i = 0; i < x->n; i++)
        tree(b, t, x->kids[i], depth + 1);
}

/* "pops"/"pushes" of one end over its queues (in-edges when in, else out-edges). */
static void queue_use(struct sb *b, const struct wiring *w, int who, bool in)
{
    const struct dedge *use[QTP_TOPO_MAX_INSTANCES + 1];
    unsigned n = 0;
    for (unsigned k = 0; k < w->n; k++) {
        const struct dedge *e = &w->e[k];
        if ((in ? e->dst : e->src) == who && e->used && n <= QTP_TOPO_MAX_INSTANCES)
            use[n++] = e;
    }
    if (n == 0) {
        sb_printf(b, in ? "pops nothing" : "pushes nothing (a terminal)");
        return;
    }
    struct part mine = inst_part(w->g, who);
    bool whole = true, apart = true;
    for (unsigned k = 0; k < n; k++) {
        whole &= use[k]->carries.mod == mine.mod;
        for (unsigned j = 0; j < k; j++) {
            struct part x;
            apart &= !part_meet(use[j]->carries, use[k]->carries, &x);
        }
    }
    char q[2 * QTP_ROLE_MAX + 8], ps[32];
    if (n == 1)
        sb_printf(b, in ? "pops " : "pushes into ");
    else if (whole)
        sb_printf(b, in ? "pops one event from each of " : "pushes a copy into each of ");
    else if (in)
        sb_printf(b, "pops each position from the in-queue%s whose source owns it%s: ",
                  apart ? "" : "s", apart ? " (an in-order merge)" : "");
    else
        sb_printf(b, "pushes each position into the out-queue%s whose destination owns it%s: ",
                  apart ? "" : "s", apart ? " (dealing)" : "");
    for (unsigned k = 0; k < n; k++) {
        queue_name(w, use[k], q, sizeof(q));
        sb_printf(b, "%s%s", k ? ", " : "", q);
        if (!whole)
            sb_printf(b, " (%s)", part_str(use[k]->carries, ps, sizeof(ps)));
    }
    if (in && n > 1 && whole)
        sb_printf(b, " (a join: the same seq from each, fields merged)");
}

static void terminals(struct sb *b, const struct qtp_graph *g)
{
    for (unsigned k = 0; k < g->nterms; k++)
        sb_printf(b, "%s%s", k ? ", " : "", g->inst[g->terms[k]].role);
}

static void describe_ring(struct sb *b, const struct wiring *w)
{
    const struct qtp_topology *t = w->t;
    const struct qtp_graph *g = w->g;
    char ps[32];
    if (t->pingpong) {
        const char *echo = g->inst[0].role;
        sb_printf(b, "ring (two rings: ping and pong; each event copied once, into pong):\n");
        sb_printf(b, "  p: publishes a batch on ping, then waits on pong's cursor for it\n");
        sb_printf(b,
                  "  %s: waits on ping's cursor; claims a slot on pong per event and copies "
                  "it there (ping is gated on %s, pong on p)\n",
                  echo, echo);
        return;
    }
    sb_printf(b, "ring (one ring; barriers wait on sequences, events are never copied):\n");
    if (t->producers > 1)
        sb_printf(b,
                  "  p (%u producers): claim slots with a CAS on one multi-producer ring and "
                  "mark each slot available when published; gated on ",
                  t->producers);
    else
        sb_printf(b, "  p: claims and publishes slots (the cursor); gated on ");
    terminals(b, g);
    sb_printf(b, "\n");
    for (unsigned i = 0; i < g->ninst; i++) {
        const struct qtp_ginst *in = &g->inst[i];
        sb_printf(b, "  %s: waits on ", in->role);
        if (in->ndeps == 0)
            sb_printf(b, "the cursor");
        for (unsigned k = 0; k < in->ndeps; k++)
            sb_printf(b, "%s%s", k ? ", " : in->ndeps > 1 ? "min(" : "", g->inst[in->deps[k]].role);
        if (in->ndeps > 1)
            sb_printf(b, ")");
        if (in->mod > 1)
            sb_printf(b, "; handles %s, passes over the rest",
                      part_str((struct part){in->mod, in->res}, ps, sizeof(ps)));
        if (in->terminal >= 0)
            sb_printf(b, "; a terminal (gates p)");
        sb_printf(b, "\n");
    }
}

static void describe_edges(struct sb *b, const struct wiring *w)
{
    const struct qtp_graph *g = w->g;
    sb_printf(b, "per-edge queues (");
    unsigned nk = 0;
    for (const struct qtp_queue_kind *k = qtp_queue_kinds; k->name; k++)
        if (k->family != QTP_FAMILY_RING)
            sb_printf(b, "%s%s", nk++ ? ", " : "", k->name);
    sb_printf(b, "%sone queue per edge, events copied):\n", nk ? ": " : "");
    char q[2 * QTP_ROLE_MAX + 8], ps[32];
    for (unsigned k = 0; k < w->n; k++) {
        const struct dedge *e = &w->e[k];
        queue_name(w, e, q, sizeof(q));
        if (e->used)
            sb_printf(b, "  %s carries %s%s\n", q, part_str(e->carries, ps, sizeof(ps)),
                      w->t->pingpong && e->dst == PRODUCER ? " (pong: the way back)" : "");
        else
            sb_printf(b,
                      "  %s carries nothing: its ends own no position in common (it stays "
                      "empty)\n",
                      q);
    }
    if (w->t->producers > 1)
        sb_printf(b, "  p (%u producers, one queue shared): ", w->t->producers);
    else
        sb_printf(b, "  p: ");
    queue_use(b, w, PRODUCER, false);
    if (w->t->pingpong) {
        sb_printf(b, ", then pops the batch back: ");
        queue_use(b, w, PRODUCER, true);
    }
    sb_printf(b, "\n");
    for (unsigned i = 0; i < g->ninst; i++) {
        sb_printf(b, "  %s: ", g->inst[i].role);
        queue_use(b, w, (int)i, true);
        sb_printf(b, "; ");
        queue_use(b, w, (int)i, false);
        sb_printf(b, "\n");
    }
}

static void describe(struct sb *b, const struct qtp_topology *t, const struct wiring *w)
{
    const struct qtp_graph *g = t->graph;
    char expr[QTP_TOPO_EXPR_MAX];
    qtp_topo_print(t, expr, sizeof(expr));
    sb_printf(b, "%s: %s\n", t->name, expr);
    sb_printf(b,
              "  %u producer%s%s, %u stage instance%s, %u terminal%s, %u threads; event %zu "
              "bytes (%u field%s, payload %zu)\n",
              t->producers, t->producers == 1 ? "" : "s", t->pingpong ? " (round trip)" : "",
              g->ninst, g->ninst == 1 ? "" : "s", g->nterms, g->nterms == 1 ? "" : "s", t->nthreads,
              t->event_size, g->nfields, g->nfields == 1 ? "" : "s", t->payload);
    sb_printf(b, "tree:\n");
    tree(b, t, t->root, 0);
    sb_printf(b, "threads (in start order: producers, then stage instances depth-first):\n");
    for (unsigned p = 0; p < t->producers; p++)
        if (t->producers > 1)
            sb_printf(b, "  %u producer%u\n", p, p);
        else
            sb_printf(b, "  %u producer\n", p);
    char ps[32];
    for (unsigned i = 0; i < g->ninst; i++) {
        const struct qtp_ginst *in = &g->inst[i];
        sb_printf(b, "  %u %s: field %u", t->producers + i, in->role, in->field);
        if (in->mod > 1)
            sb_printf(b, ", owns %s", part_str((struct part){in->mod, in->res}, ps, sizeof(ps)));
        sb_printf(b, ", after ");
        if (in->ndeps == 0)
            sb_printf(b, "producer");
        for (unsigned k = 0; k < in->ndeps; k++)
            sb_printf(b, "%s%s", k ? "+" : "", g->inst[in->deps[k]].role);
        sb_printf(b, "%s\n", in->terminal >= 0 ? " (terminal)" : "");
    }
    describe_ring(b, w);
    describe_edges(b, w);
}

/* ---- DOT ---- */

/* A double-quoted DOT string. */
static void dot_str(struct sb *b, const char *s)
{
    sb_printf(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_printf(b, "\\%c", *s);
        else if (*s == '\n')
            sb_printf(b, "\\n");
        else
            sb_printf(b, "%c", *s);
    }
    sb_printf(b, "\"");
}

static void dot_inst(struct sb *b, const struct qtp_graph *g, char side, unsigned i)
{
    const struct qtp_ginst *in = &g->inst[i];
    char label[QTP_ROLE_MAX + 64], ps[32];
    snprintf(label, sizeof(label), "%s%s%s", in->role, in->mod > 1 ? "\n" : "",
             in->mod > 1 ? part_str((struct part){in->mod, in->res}, ps, sizeof(ps)) : "");
    sb_printf(b, "    %c_i%u [label=", side, i);
    dot_str(b, label);
    sb_printf(b, "%s];\n", in->terminal >= 0 ? ", peripheries=2" : "");
}

static void dot_producer(struct sb *b, const struct qtp_topology *t, char side)
{
    if (t->producers > 1)
        sb_printf(b, "    %c_p [label=\"%u producers\\n%s\", shape=ellipse];\n", side, t->producers,
                  side == 'r' ? "(multi-producer ring)" : "(one shared queue)");
    else
        sb_printf(b, "    %c_p [label=\"producer\", shape=ellipse];\n", side);
}

static void dot_ring(struct sb *b, const struct wiring *w)
{
    const struct qtp_topology *t = w->t;
    const struct qtp_graph *g = w->g;
    sb_printf(b, "  subgraph cluster_ring {\n"
                 "    label=\"ring: barriers wait on sequences (solid), producer gated on "
                 "terminals (dashed)\";\n");
    dot_producer(b, t, 'r');
    for (unsigned i = 0; i < g->ninst; i++)
        dot_inst(b, g, 'r', i);
    if (t->pingpong) {
        sb_printf(b, "    r_ping [label=\"ping ring\", shape=cylinder];\n"
                     "    r_pong [label=\"pong ring\", shape=cylinder];\n"
                     "    r_p -> r_ping [label=\"publish\"];\n"
                     "    r_ping -> r_i0 [label=\"waits on\"];\n"
                     "    r_i0 -> r_pong [label=\"copy\"];\n"
                     "    r_pong -> r_p [label=\"waits on\"];\n"
                     "    r_i0 -> r_p [style=dashed, color=red, constraint=false, "
                     "label=\"gates\"];\n  }\n");
        return;
    }
    sb_printf(b, "    r_cursor [label=\"cursor\", shape=cylinder];\n"
                 "    r_p -> r_cursor [label=\"publish\"];\n");
    for (unsigned i = 0; i < g->ninst; i++) {
        const struct qtp_ginst *in = &g->inst[i];
        if (in->ndeps == 0)
            sb_printf(b, "    r_cursor -> r_i%u;\n", i);
        for (unsigned k = 0; k < in->ndeps; k++)
            sb_printf(b, "    r_i%u -> r_i%u;\n", in->deps[k], i);
    }
    for (unsigned k = 0; k < g->nterms; k++)
        sb_printf(b, "    r_i%u -> r_p [style=dashed, color=red, constraint=false];\n",
                  g->terms[k]);
    sb_printf(b, "  }\n");
}

static void dot_edges(struct sb *b, const struct wiring *w)
{
    const struct qtp_graph *g = w->g;
    sb_printf(b, "  subgraph cluster_edges {\n"
                 "    label=\"per-edge queues: one queue per edge, events copied (dotted: never "
                 "used)\";\n");
    dot_producer(b, w->t, 'e');
    for (unsigned i = 0; i < g->ninst; i++)
        dot_inst(b, g, 'e', i);
    char ps[32];
    for (unsigned k = 0; k < w->n; k++) {
        const struct dedge *e = &w->e[k];
        if (e->src == PRODUCER)
            sb_printf(b, "    e_p -> ");
        else
            sb_printf(b, "    e_i%d -> ", e->src);
        if (e->dst == PRODUCER)
            sb_printf(b, "e_p");
        else
            sb_printf(b, "e_i%d", e->dst);
        if (!e->used)
            sb_printf(b, " [style=dotted]");
        else if (w->t->pingpong)
            sb_printf(b, e->dst == PRODUCER ? " [label=\"pong\", constraint=false]"
                                            : " [label=\"ping\"]");
        else if (e->carries.mod > 1)
            sb_printf(b, " [label=\"%s\"]", part_str(e->carries, ps, sizeof(ps)));
        sb_printf(b, ";\n");
    }
    sb_printf(b, "  }\n");
}

static void dot(struct sb *b, const struct qtp_topology *t, const struct wiring *w)
{
    char expr[QTP_TOPO_EXPR_MAX];
    qtp_topo_print(t, expr, sizeof(expr));
    char title[QTP_TOPO_EXPR_MAX + 80];
    snprintf(title, sizeof(title), "%s: %s", t->name, expr);
    sb_printf(b, "digraph topology {\n  graph [label=");
    dot_str(b, title);
    sb_printf(b, ", labelloc=t, rankdir=LR, fontname=\"Helvetica\", fontsize=12];\n"
                 "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n"
                 "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    /* Side by side: dot stacks the clusters of a left-to-right graph unless a rank orders them,
     * so an invisible edge from the ring's last rank to the per-edge producer puts the
     * per-edge wiring to the right of the ring's. */
    dot_ring(b, w);
    dot_edges(b, w);
    const struct qtp_graph *g = w->g;
    if (t->pingpong) /* the pong ring is the ring's last rank */
        sb_printf(b, "  r_pong -> e_p [style=invis];\n");
    else /* every node leads to a terminal: the deepest terminal is the last rank */
        for (unsigned k = 0; k < g->nterms; k++)
            sb_printf(b, "  r_i%u -> e_p [style=invis];\n", g->terms[k]);
    sb_printf(b, "}\n");
}

/* ---- the public face ---- */

static int render(const struct qtp_topology *t, bool as_dot, char *buf, size_t len, FILE *f)
{
    if (!f && len)
        buf[0] = 0;
    if (!t->graph)
        return EINVAL;
    struct wiring w;
    if (wiring_init(&w, t))
        return ENOMEM;
    struct sb b = {0};
    if (as_dot)
        dot(&b, t, &w);
    else
        describe(&b, t, &w);
    free(w.e);
    return sb_done(&b, buf, len, f);
}

int qtp_topology_describe(const struct qtp_topology *t, char *buf, size_t len)
{
    return render(t, false, buf, len, NULL);
}

int qtp_topology_describe_write(const struct qtp_topology *t, FILE *f)
{
    return render(t, false, NULL, 0, f);
}

int qtp_topology_dot(const struct qtp_topology *t, char *buf, size_t len)
{
    return render(t, true, buf, len, NULL);
}

int qtp_topology_dot_write(const struct qtp_topology *t, FILE *f)
{
    return render(t, true, NULL, 0, f);
}
