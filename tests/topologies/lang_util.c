/* lang_util.c - compare two compiled topologies field by field. */
#include <stdio.h>
#include <string.h>

#include "lang_util.h"
#include "qtp_topo_internal.h"

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
