/* topo.c - descriptions: constructors, events, finalizing into the compiled graph. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_topo.h"
#include "qtp_topo_internal.h"

/* ---- constructors ---- */

static struct qtp_node *node_new(enum qtp_node_kind kind, unsigned n)
{
    struct qtp_node *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->kind = kind;
    x->n = n;
    x->field = -1;
    return x;
}

struct qtp_node *qtp_stage(const struct qtp_stage_params *p)
{
    struct qtp_node *x = node_new(QTP_NODE_STAGE, 0);
    if (!x)
        return NULL;
    if (p) {
        if (p->name)
            snprintf(x->name, sizeof(x->name), "%s", p->name);
        x->work_ns = p->work_ns;
        x->sleep_ns = p->sleep_ns;
    }
    return x;
}

void qtp_node_free(struct qtp_node *n)
{
    if (!n)
        return;
    size_t kids = n->kind == QTP_NODE_SHARD ? 1 : n->kind == QTP_NODE_STAGE ? 0 : n->n;
    for (size_t i = 0; i < kids; i++)
        qtp_node_free(n->kids[i]);
    free(n->kids);
    free(n);
}

static void free_all(size_t n, struct qtp_node *const *v)
{
    for (size_t i = 0; i < n; i++)
        qtp_node_free(v[i]);
}

/* seq and fanout nodes over n children. Both are associative, so a seq in a seq and a fanout in
 * a fanout are flattened, and one child is the node itself: the compiled graph is the same (fields
 * and instances are numbered depth-first either way) and there is one tree per graph. */
static struct qtp_node *nary(enum qtp_node_kind kind, size_t n, struct qtp_node *const *v)
{
    if (n == 0 || !v)
        return NULL;
    bool ok = true;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i])
            ok = false;
        else
            total += v[i]->kind == kind ? v[i]->n : 1;
    }
    if (!ok || total > 4096) {
        free_all(n, v);
        return NULL;
    }
    if (n == 1)
        return v[0];
    struct qtp_node *x = node_new(kind, (unsigned)total);
    struct qtp_node **kids = calloc(total, sizeof(*kids));
    if (!x || !kids) {
        free(x);
        free(kids);
        free_all(n, v);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i]->kind == kind) {
            for (unsigned j = 0; j < v[i]->n; j++)
                kids[k++] = v[i]->kids[j];
            free(v[i]->kids);
            free(v[i]);
        } else {
            kids[k++] = v[i];
        }
    }
    x->kids = kids;
    return x;
}

struct qtp_node *qtp_seq(struct qtp_node *a, struct qtp_node *b)
{
    struct qtp_node *v[2] = {a, b};
    return nary(QTP_NODE_SEQ, 2, v);
}

struct qtp_node *qtp_seqv(size_t n, struct qtp_node *const *parts)
{
    return nary(QTP_NODE_SEQ, n, parts);
}

struct qtp_node *qtp_fanout(size_t n, struct qtp_node *const *branches)
{
    return nary(QTP_NODE_FANOUT, n, branches);
}

struct qtp_node *qtp_shard(struct qtp_node *a, unsigned n)
{
    if (!a || n == 0 || (n & (n - 1)) != 0 || n > 1024) {
        qtp_node_free(a);
        return NULL;
    }
    struct qtp_node *x = node_new(QTP_NODE_SHARD, n);
    struct qtp_node **kids = calloc(1, sizeof(*kids));
    if (!x || !kids) {
        free(x);
        free(kids);
        qtp_node_free(a);
        return NULL;
    }
    kids[0] = a;
    x->kids = kids;
    return x;
}

/* ---- events ---- */

size_t qtp_event_size(unsigned nfields, size_t payload)
{
    size_t s = sizeof(struct qtp_event) + (size_t)nfields * sizeof(uint64_t) + payload;
    return (s + 7) & ~(size_t)7;
}

void qtp_payload_fill(unsigned char *p, size_t len, int64_t seq, uint64_t input)
{
    if (len == 0)
        return;
    memset(p, (unsigned char)input, len);
    uint64_t head = input ^ QTP_PAYLOAD_HEAD;
    memcpy(p, &head, len < 8 ? len : 8);
    if (len >= 16) {
        uint64_t tail = (uint64_t)seq ^ QTP_PAYLOAD_TAIL;
        memcpy(p + len - 8, &tail, 8);
    }
}

size_t qtp_payload_check(const unsigned char *p, size_t len, int64_t seq, uint64_t input)
{
    if (len == 0)
        return 0;
    uint64_t head = input ^ QTP_PAYLOAD_HEAD, tail = (uint64_t)seq ^ QTP_PAYLOAD_TAIL;
    unsigned char h[8], t[8];
    memcpy(h, &head, 8);
    memcpy(t, &tail, 8);
    size_t hn = len < 8 ? len : 8;
    for (size_t i = 0; i < hn; i++)
        if (p[i] != h[i])
            return i + 1;
    if (len >= 16)
        for (size_t i = 0; i < 8; i++)
            if (p[len - 8 + i] != t[i])
                return len - 8 + i + 1;
    /* One byte of the middle: enough to see a slot that was not copied. */
    if (len >= 24 && p[len / 2] != (unsigned char)input)
        return len / 2 + 1;
    return 0;
}

/* ---- finalizing ---- */

struct frontier {
    unsigned n;
    uint8_t v[QTP_TOPO_MAX_INSTANCES];
};

static int number_fields(struct qtp_node *x, struct qtp_graph *g)
{
    if (x->kind == QTP_NODE_STAGE) {
        if (g->nfields >= QTP_TOPO_MAX_FIELDS)
            return EINVAL;
        unsigned f = g->nfields++;
        x->field = (int)f;
        struct qtp_gstage *s = &g->stage[f];
        if (x->name[0])
            snprintf(s->name, sizeof(s->name), "%s", x->name);
        else
            snprintf(s->name, sizeof(s->name), "s%u", f + 1);
        s->work_ns = x->work_ns;
        s->sleep_ns = x->sleep_ns;
        return 0;
    }
    unsigned kids = x->kind == QTP_NODE_SHARD ? 1 : x->n;
    for (unsigned i = 0; i < kids; i++) {
        int rc = number_fields(x->kids[i], g);
        if (rc)
            return rc;
    }
    return 0;
}

static void frontier_add(struct frontier *f, const struct frontier *more)
{
    for (unsigned i = 0; i < more->n; i++)
        f->v[f->n++] = more->v[i]; /* instances are unique per branch: no duplicates */
}

static int build(struct qtp_graph *g, const struct qtp_node *x, const struct frontier *up,
                 uint32_t mod, uint32_t res, const char *suffix, struct frontier *out)
{
    out->n = 0;
    switch (x->kind) {
    case QTP_NODE_STAGE: {
        if (g->ninst >= QTP_TOPO_MAX_INSTANCES)
            return EINVAL;
        unsigned i = g->ninst++;
        struct qtp_ginst *in = &g->inst[i];
        unsigned f = (unsigned)x->field;
        in->field = f;
        in->mod = mod;
        in->res = res;
        char role[QTP_ROLE_MAX];
        snprintf(role, sizeof(role), "%s%s", x->name[0] ? x->name : g->stage[f].name, suffix);
        memcpy(in->role, role, sizeof(role));
        in->ndeps = up->n;
        uint64_t upf = 0, vis = 1ULL << f;
        for (unsigned k = 0; k < up->n; k++) {
            struct qtp_ginst *d = &g->inst[up->v[k]];
            in->deps[k] = up->v[k];
            d->outs[d->nouts++] = (uint8_t)i;
            upf |= 1ULL << d->field;
            vis |= d->vis;
        }
        /* Every copy of a stage reads the same fields (copies are built from one subtree). */
        g->stage[f].up = upf;
        in->vis = vis;
        in->terminal = -1;
        out->n = 1;
        out->v[0] = (uint8_t)i;
        return 0;
    }
    case QTP_NODE_SEQ: {
        struct frontier cur = *up, next;
        for (unsigned k = 0; k < x->n; k++) {
            int rc = build(g, x->kids[k], &cur, mod, res, suffix, &next);
            if (rc)
                return rc;
            cur = next;
        }
        *out = cur;
        return 0;
    }
    case QTP_NODE_FANOUT: {
        struct frontier br;
        for (unsigned k = 0; k < x->n; k++) {
            int rc = build(g, x->kids[k], up, mod, res, suffix, &br);
            if (rc)
                return rc;
            frontier_add(out, &br);
        }
        return 0;
    }
    case QTP_NODE_SHARD: {
        if ((uint64_t)mod * x->n > (1u << 30))
            return EINVAL;
        struct frontier br;
        for (unsigned c = 0; c < x->n; c++) {
            char sfx[QTP_ROLE_MAX];
            snprintf(sfx, sizeof(sfx), "%s%c%u", suffix, suffix[0] ? '.' : '#', c);
            /* Copy c of a shard inside a region owning p % mod == res. */
            int rc = build(g, x->kids[0], up, mod * x->n, res + mod * c, sfx, &br);
            if (rc)
                return rc;
            frontier_add(out, &br);
        }
        return 0;
    }
    }
    return EINVAL;
}

static int graph_compile(struct qtp_graph *g, struct qtp_node *root)
{
    int rc = number_fields(root, g);
    if (rc)
        return rc;
    struct frontier none = {0}, out;
    rc = build(g, root, &none, 1, 0, "", &out);
    if (rc)
        return rc;
    for (unsigned i = 0; i < g->ninst; i++) {
        struct qtp_ginst *in = &g->inst[i];
        if (in->nouts == 0) {
            in->terminal = (int)g->nterms;
            g->terms[g->nterms++] = (uint8_t)i;
        }
        if (in->ndeps == 0)
            g->roots[g->nroots++] = (uint8_t)i;
    }
    return 0;
}

int qtp_topology_init(struct qtp_topology *t, const char *name, struct qtp_node *root,
                      unsigned producers, size_t payload)
{
    memset(t, 0, sizeof(*t));
    if (!root)
        return EINVAL;
    t->root = root;
    snprintf(t->name, sizeof(t->name), "%s", name ? name : "custom");
    if (producers < 1 || producers > QTP_TOPO_MAX_PRODUCERS ||
        (payload != 0 && (payload < QTP_PAYLOAD_MIN || payload > QTP_PAYLOAD_MAX))) {
        qtp_topology_fini(t);
        return EINVAL;
    }
    struct qtp_graph *g = calloc(1, sizeof(*g));
    if (!g) {
        qtp_topology_fini(t);
        return ENOMEM;
    }
    t->graph = g;
    int rc = graph_compile(g, root);
    if (!rc && producers > 1) {
        /* Several producers share the first queues; only per-producer order exists, so there
         * are no positions to shard on. With several first stages each one's queue interleaves
         * the producers its own way (per edge), so nothing may join their branches again. */
        for (unsigned i = 0; i < g->ninst; i++)
            if (g->inst[i].mod != 1 || (g->nroots != 1 && g->inst[i].ndeps > 1))
                rc = EINVAL;
    }
    if (rc) {
        qtp_topology_fini(t);
        return rc;
    }
    t->producers = producers;
    t->nfields = g->nfields;
    t->ninstances = g->ninst;
    t->nterminals = g->nterms;
    t->nthreads = producers + g->ninst;
    t->payload = payload;
    t->event_size = qtp_event_size(g->nfields, payload);
    return 0;
}

int qtp_topology_set_pingpong(struct qtp_topology *t)
{
    if (!t->graph || t->producers != 1 || t->graph->ninst != 1)
        return EINVAL;
    t->pingpong = true;
    return 0;
}

void qtp_topology_fini(struct qtp_topology *t)
{
    qtp_node_free(t->root);
    free(t->graph);
    memset(t, 0, sizeof(*t));
}
