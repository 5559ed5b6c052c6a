/* wiring.c - the structural check: what a deployment built, read back from its queues, compared
 * with the compiled graph; and the test-only miswirings it must catch.
 *
 * Wiring that leaves every output as the model's passes every value check: fan-out branches
 * chained one after the other compute the same fields (they just never run in parallel), and
 * shard copies that own each other's residues hand the same events downstream. Only comparing
 * the structure itself - each instance's partition, what it waits on, where its queues go, what
 * gates the producer - shows that the topology measured is not the one named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy_internal.h"

void qtp_deploy_wiring(const struct qtp_deploy *d, struct qtp_wiring *w)
{
    memset(w, 0, sizeof(*w));
    w->ninst = d->g->ninst;
    d->be->wiring(d, w);
}

/* ---- what the compiled graph says ---- */

static uint32_t mod_of(const struct qtp_graph *g, unsigned i)
{
    return i == QTP_WIRE_PRODUCER ? 1 : g->inst[i].mod;
}

static uint32_t res_of(const struct qtp_graph *g, unsigned i)
{
    return i == QTP_WIRE_PRODUCER ? 0 : g->inst[i].res;
}

static const char *name_of(const struct qtp_graph *g, unsigned i)
{
    return i == QTP_WIRE_PRODUCER  ? "the producer"
           : i == QTP_WIRE_UNKNOWN ? "nothing of this topology"
           : i < g->ninst          ? g->inst[i].role
                                   : "an instance out of range";
}

static int cmp_u8(const void *a, const void *b)
{
    return (int)*(const uint8_t *)a - (int)*(const uint8_t *)b;
}

/* The ends as sorted sets: order does not matter, duplicates do. */
static unsigned sorted(const struct qtp_wire_end *e, unsigned n, bool src, uint8_t *out)
{
    for (unsigned k = 0; k < n; k++)
        out[k] = src ? e[k].src : e[k].dst;
    qsort(out, n, 1, cmp_u8);
    return n;
}

static unsigned sorted_list(const uint8_t *v, unsigned n, uint8_t *out)
{
    memcpy(out, v, n);
    qsort(out, n, 1, cmp_u8);
    return n;
}

static void list_text(const struct qtp_graph *g, const uint8_t *v, unsigned n, char *buf,
                      size_t len)
{
    struct qtp__sb b = {buf, len, 0};
    buf[0] = 0;
    for (unsigned k = 0; k < n; k++)
        qtp__sb_printf(&b, "%s%s", k ? ", " : "", name_of(g, v[k]));
    if (!n)
        qtp__sb_printf(&b, "nothing");
}

/* Two sets of instances: true when equal, else the difference in why. */
static bool same_set(const struct qtp_graph *g, const char *what, const uint8_t *got, unsigned ngot,
                     const uint8_t *want, unsigned nwant, char *why, size_t len)
{
    if (ngot == nwant && memcmp(got, want, ngot) == 0)
        return true;
    char a[256], b[256];
    list_text(g, got, ngot, a, sizeof(a));
    list_text(g, want, nwant, b, sizeof(b));
    snprintf(why, len, "%s %s; the topology says %s", what, a, b);
    return false;
}

/* One queue end: it connects the instances it should and carries their partitions. */
static bool end_ok(const struct qtp_graph *g, const struct qtp_wire_end *e, unsigned self, bool in,
                   char *why, size_t len)
{
    unsigned mine = in ? e->dst : e->src, other = in ? e->src : e->dst;
    if (mine != self) {
        snprintf(why, len, "a queue %s %s ends at %s", in ? "into" : "out of", name_of(g, self),
                 name_of(g, mine));
        return false;
    }
    if (other == QTP_WIRE_UNKNOWN || (other != QTP_WIRE_PRODUCER && other >= g->ninst))
        return true; /* named by the set comparison */
    if (e->src_mod != mod_of(g, e->src) || e->src_res != res_of(g, e->src) ||
        e->dst_mod != mod_of(g, e->dst) || e->dst_res != res_of(g, e->dst)) {
        snprintf(why, len,
                 "the queue %s -> %s deals positions %u mod %u -> %u mod %u; the topology says "
                 "%u mod %u -> %u mod %u",
                 name_of(g, e->src), name_of(g, e->dst), e->src_res, e->src_mod, e->dst_res,
                 e->dst_mod, res_of(g, e->src), mod_of(g, e->src), res_of(g, e->dst),
                 mod_of(g, e->dst));
        return false;
    }
    return true;
}

static bool inst_ok(const struct qtp_deploy *d, const struct qtp_wiring *w, unsigned i, char *why,
                    size_t len)
{
    const struct qtp_graph *g = d->t->graph;
    const struct qtp_ginst *gi = &g->inst[i];
    const struct qtp_wire_inst *wi = &w->inst[i];
    if (wi->mod != gi->mod || wi->res != gi->res) {
        snprintf(why, len, "%s handles positions %u mod %u; the topology says %u mod %u", gi->role,
                 wi->res, wi->mod, gi->res, gi->mod);
        return false;
    }
    uint8_t got[QTP_WIRE_MAX_ENDS], want[QTP_WIRE_MAX_ENDS];
    char what[96];
    /* Upstream: its deps, or the producer (the cursor) for a root. */
    unsigned nwant = gi->ndeps ? sorted_list(gi->deps, gi->ndeps, want) : 1;
    if (!gi->ndeps)
        want[0] = QTP_WIRE_PRODUCER;
    unsigned ngot = sorted(wi->in, wi->nin, true, got);
    snprintf(what, sizeof(what), "%s %s", gi->role, w->edges ? "pops from" : "waits on");
    if (!same_set(g, what, got, ngot, want, nwant, why, len))
        return false;
    if (!w->edges)
        return true;
    for (unsigned k = 0; k < wi->nin; k++)
        if (!end_ok(g, &wi->in[k], i, true, why, len))
            return false;
    /* Downstream: its outs, and the producer for pingpong's echo (the pong queue). */
    nwant = sorted_list(gi->outs, gi->nouts, want);
    if (d->t->pingpong && i == 0)
        want[nwant++] = QTP_WIRE_PRODUCER;
    ngot = sorted(wi->out, wi->nout, false, got);
    snprintf(what, sizeof(what), "%s pushes to", gi->role);
    if (!same_set(g, what, got, ngot, want, nwant, why, len))
        return false;
    for (unsigned k = 0; k < wi->nout; k++)
        if (!end_ok(g, &wi->out[k], i, false, why, len))
            return false;
    return true;
}

bool qtp_deploy_check_wiring(const struct qtp_deploy *d, char *why, size_t len)
{
    const struct qtp_graph *g = d->t->graph;
    struct qtp_wiring *w = malloc(sizeof(*w));
    if (!w) {
        snprintf(why, len, "out of memory for the wiring check");
        return false;
    }
    qtp_deploy_wiring(d, w);
    bool ok = true;
    if (w->ninst != g->ninst) {
        snprintf(why, len, "%u instances built; the topology has %u", w->ninst, g->ninst);
        ok = false;
    }
    for (unsigned i = 0; ok && i < g->ninst; i++)
        ok = inst_ok(d, w, i, why, len);
    if (ok && !w->edges) {
        uint8_t got[QTP_TOPO_MAX_INSTANCES], want[QTP_TOPO_MAX_INSTANCES];
        unsigned ngot = sorted_list(w->gating, w->ngating, got);
        unsigned nwant = sorted_list(g->terms, g->nterms, want);
        ok = same_set(g, "the producer is gated on", got, ngot, want, nwant, why, len);
    }
    free(w);
    return ok;
}

/* ---- test-only miswirings ---- */

static void remove_u8(uint8_t *v, unsigned *n, unsigned x)
{
    for (unsigned k = 0; k < *n; k++)
        if (v[k] == x) {
            memmove(v + k, v + k + 1, *n - k - 1);
            (*n)--;
            return;
        }
}

/* Chain b after a, two fan-out branches (same partition) of parent (QTP_WIRE_PRODUCER: roots). */
static void chain(struct qtp_graph *g, unsigned parent, unsigned a, unsigned b)
{
    struct qtp_ginst *ib = &g->inst[b];
    if (parent == QTP_WIRE_PRODUCER) {
        unsigned n = g->nroots;
        remove_u8(g->roots, &n, b);
        g->nroots = n;
        ib->ndeps = 1;
        ib->deps[0] = (uint8_t)a;
    } else {
        remove_u8(g->inst[parent].outs, &g->inst[parent].nouts, b);
        for (unsigned k = 0; k < ib->ndeps; k++)
            if (ib->deps[k] == parent)
                ib->deps[k] = (uint8_t)a;
    }
    g->inst[a].outs[g->inst[a].nouts++] = (uint8_t)b;
}

static bool branches(const struct qtp_graph *g, const uint8_t *v, unsigned n, unsigned *a,
                     unsigned *b)
{
    for (unsigned x = 0; x < n; x++)
        for (unsigned y = x + 1; y < n; y++) {
            const struct qtp_ginst *ia = &g->inst[v[x]], *ib = &g->inst[v[y]];
            if (ia->mod == ib->mod && ia->res == ib->res && ib->ndeps <= 1) {
                *a = v[x];
                *b = v[y];
                return true;
            }
        }
    return false;
}

struct qtp_graph *qtp__miswire(const struct qtp_graph *g, enum qtp_miswire how)
{
    struct qtp_graph *m = malloc(sizeof(*m));
    if (!m)
        return NULL;
    *m = *g;
    unsigned a, b;
    if (how == QTP_MISWIRE_CHAIN_FANOUT) {
        if (branches(m, m->roots, m->nroots, &a, &b)) {
            chain(m, QTP_WIRE_PRODUCER, a, b);
        } else {
            for (unsigned u = 0; u < m->ninst; u++)
                if (branches(m, m->inst[u].outs, m->inst[u].nouts, &a, &b)) {
                    chain(m, u, a, b);
                    break;
                }
        }
    } else if (how == QTP_MISWIRE_SHARD_RESIDUES) {
        for (unsigned i = 0; i < m->ninst; i++)
            m->inst[i].res = (m->inst[i].res + 1) & (m->inst[i].mod - 1);
    }
    return m;
}
