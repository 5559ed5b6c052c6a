/* lang_util.c - compare two compiled topologies field by field. */
#include <stdio.h>
#include <string.h>

#include "lang_util.h"
#include "qtp_lang.h"
#include "qtp_topo_internal.h"
#include "topo_util.h"

#define DIFF(cond, ...)                                                                            \
    do {                                                                                           \
        if (cond) {                                                                                \
            snprintf(why, len, __VA_ARGS__);                                                       \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

bool lang_graph_equal(const struct qtp_topology *a, const struct qtp_topology *b, char *why,
                      size_t len)
{
    DIFF(a->producers != b->producers, "producers %u vs %u", a->producers, b->producers);
    DIFF(a->pingpong != b->pingpong, "pingpong %d vs %d", a->pingpong, b->pingpong);
    DIFF(a->payload != b->payload, "payload %zu vs %zu", a->payload, b->payload);
    DIFF(a->event_size != b->event_size, "event size %zu vs %zu", a->event_size, b->event_size);
    DIFF(a->nthreads != b->nthreads, "threads %u vs %u", a->nthreads, b->nthreads);
    DIFF(a->nterminals != b->nterminals, "terminals %u vs %u", a->nterminals, b->nterminals);
    const struct qtp_graph *g = a->graph, *h = b->graph;
    DIFF(g->nfields != h->nfields, "fields %u vs %u", g->nfields, h->nfields);
    DIFF(g->ninst != h->ninst, "instances %u vs %u", g->ninst, h->ninst);
    DIFF(g->nterms != h->nterms || g->nroots != h->nroots, "terminals/roots differ");
    for (unsigned f = 0; f < g->nfields; f++) {
        const struct qtp_gstage *s = &g->stage[f], *t = &h->stage[f];
        DIFF(strcmp(s->name, t->name) != 0, "stage %u name %s vs %s", f, s->name, t->name);
        DIFF(s->work_ns != t->work_ns || s->sleep_ns != t->sleep_ns, "stage %u work/sleep", f);
        DIFF(s->up != t->up, "stage %u reads %#llx vs %#llx", f, (unsigned long long)s->up,
             (unsigned long long)t->up);
    }
    for (unsigned i = 0; i < g->ninst; i++) {
        const struct qtp_ginst *x = &g->inst[i], *y = &h->inst[i];
        DIFF(strcmp(x->role, y->role) != 0, "instance %u role %s vs %s", i, x->role, y->role);
        DIFF(x->field != y->field, "%s: field %u vs %u", x->role, x->field, y->field);
        DIFF(x->mod != y->mod || x->res != y->res, "%s: owns p%%%u==%u vs p%%%u==%u", x->role,
             x->mod, x->res, y->mod, y->res);
        DIFF(x->ndeps != y->ndeps || memcmp(x->deps, y->deps, x->ndeps) != 0, "%s: deps differ",
             x->role);
        DIFF(x->nouts != y->nouts || memcmp(x->outs, y->outs, x->nouts) != 0, "%s: outs differ",
             x->role);
        DIFF(x->vis != y->vis, "%s: visible fields differ", x->role);
        DIFF(x->terminal != y->terminal, "%s: terminal %d vs %d", x->role, x->terminal,
             y->terminal);
    }
    DIFF(memcmp(g->terms, h->terms, g->nterms) != 0, "terminal order differs");
    DIFF(memcmp(g->roots, h->roots, g->nroots) != 0, "root order differs");
    return true;
}

static unsigned pick(uint64_t *rs, unsigned n)
{
    return (unsigned)(topo_rand(rs) % n);
}

/* Durations in every unit, some exact in a larger one. */
static uint64_t random_time(uint64_t *rs)
{
    static const uint64_t unit[] = {1, 1000, 1000000, 1000000000};
    switch (pick(rs, 6)) {
    case 0:
        return 0;
    case 1:
        return QTP_STAGE_TIME_MAX_NS;
    default: {
        uint64_t u = unit[pick(rs, 3)], v = (1 + pick(rs, 1000)) * u;
        return v > QTP_STAGE_TIME_MAX_NS ? QTP_STAGE_TIME_MAX_NS : v;
    }
    }
}

static struct qtp_node *gen(uint64_t *rs, unsigned depth, bool shards, unsigned *names)
{
    if (depth == 0 || pick(rs, 100) < 30) {
        char name[QTP_NAME_MAX];
        struct qtp_stage_params p = {NULL, 0, 0};
        switch (pick(rs, 4)) {
        case 0: /* a name that may be some stage's default */
            snprintf(name, sizeof(name), "s%u", 1 + pick(rs, 12));
            p.name = name;
            break;
        case 1:
            snprintf(name, sizeof(name), "%s%u", pick(rs, 2) ? "g" : "Stage_x-", ++*names);
            p.name = name;
            break;
        }
        if (pick(rs, 3) == 0)
            p.work_ns = random_time(rs);
        if (pick(rs, 5) == 0)
            p.sleep_ns = random_time(rs);
        return qtp_stage(&p);
    }
    struct qtp_node *v[5];
    switch (pick(rs, shards ? 3 : 2)) {
    case 0: {
        unsigned n = 1 + pick(rs, 4);
        for (unsigned i = 0; i < n; i++)
            v[i] = gen(rs, depth - 1, shards, names);
        return qtp_seqv(n, v);
    }
    case 1: {
        unsigned n = 1 + pick(rs, 4);
        for (unsigned i = 0; i < n; i++)
            v[i] = gen(rs, depth - 1, shards, names);
        return qtp_fanout(n, v);
    }
    default:
        return qtp_shard(gen(rs, depth - 1, shards, names), 1u << pick(rs, 4));
    }
}

/* Stage names are unique (the language refuses duplicates; the constructors do not check). */
static bool names_unique(const struct qtp_topology *t)
{
    const struct qtp_graph *g = t->graph;
    for (unsigned i = 0; i < g->nfields; i++)
        for (unsigned j = 0; j < i; j++)
            if (strcmp(g->stage[i].name, g->stage[j].name) == 0)
                return false;
    return true;
}

static unsigned count_nodes(const struct qtp_node *x)
{
    unsigned n = 1, kids = x->kind == QTP_NODE_STAGE ? 0 : x->kind == QTP_NODE_SHARD ? 1 : x->n;
    for (unsigned i = 0; i < kids; i++)
        n += count_nodes(x->kids[i]);
    return n;
}

void lang_random_topology(uint64_t *rs, unsigned max_inst, struct qtp_topology *t)
{
    static const size_t payloads[] = {0, 0, 0, 0, 8, 16, 100, 4096};
    for (;;) {
        unsigned names = 0, producers = 1;
        bool pingpong = false;
        struct qtp_node *root;
        switch (pick(rs, 8)) {
        case 0: /* several producers: one first stage, no shard */
            producers = 2 + pick(rs, QTP_TOPO_MAX_PRODUCERS - 1);
            root = qtp_seq(gen(rs, 0, false, &names), gen(rs, 3, false, &names));
            break;
        case 1:
            pingpong = true;
            root = gen(rs, 0, false, &names);
            break;
        default:
            root = gen(rs, 1 + pick(rs, 5), true, &names);
        }
        if (qtp_topology_init(t, NULL, root, producers, payloads[pick(rs, 8)]) != 0)
            continue;
        if (t->ninstances <= max_inst && names_unique(t) &&
            count_nodes(t->root) <= QTP_TOPO_MAX_NODES &&
            (!pingpong || qtp_topology_set_pingpong(t) == 0))
            return;
        qtp_topology_fini(t);
    }
}
