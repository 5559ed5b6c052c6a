/* chart_bars.c - the report's bar charts: throughput, the speed-ups between queue families (the
 * shared ring over the queues per edge, lock-free over mutex), placement, and allocation per event.
 * Each fills a struct qtp_bars and draws it through qtp_bars_draw (chart.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "qtp_format.h"
#include "qtp_stats.h"
#include "qtp_text.h"

#define TPUT(cell) ((cell)->s->stat[QTP_METRIC_THROUGHPUT])

static int oom(struct qtp_chart_ctx *x)
{
    qtp_set_err(x->err, x->errlen, "out of memory");
    return ENOMEM;
}

/* ---------------------------------------------------------------------------------------------
 * 1. Throughput. */

int qtp_chart_throughput(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    size_t ng = qtp_chart_ntopologies(x);
    if (ng == 0) {
        snprintf(c->why, sizeof c->why,
                 "no cell has an ok rep, so there is no throughput to draw.");
        return 0;
    }
    struct qtp_bars b;
    int rc = qtp_bars_init(&b, ng, r->nvariants, 3);
    if (rc || (rc = qtp_bars_topology_groups(x, &b))) {
        qtp_bars_free(&b);
        return oom(x);
    }
    double best = -1;
    const struct qtp_rpt_cell *best_cell = NULL;
    for (size_t t = 0, g = 0; t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        for (size_t v = 0; v < r->nvariants; v++) {
            const struct qtp_rpt_cell *cell = qtp_chart_find(x, t, x->base_cfg[t], v);
            if (!cell || !(TPUT(cell).median > 0)) /* a log axis has no 0 */
                continue;
            double *p = qtp_bars_at(&b, v, g);
            p[0] = TPUT(cell).median;
            p[1] = TPUT(cell).min;
            p[2] = TPUT(cell).max;
            if (TPUT(cell).median > best) {
                best = TPUT(cell).median;
                best_cell = cell;
            }
        }
        g++;
    }
    for (size_t v = 0; v < r->nvariants; v++) {
        if (!(b.slabel[v] = strdup(r->variants[v]))) {
            qtp_bars_free(&b);
            return oom(x);
        }
        b.scolor[v] = qtp_chart_variant_color(r, v);
    }
    const struct qtp_bars_look look = {"median min max",
                                       26,
                                       900,
                                       1600,
                                       500,
                                       "Throughput by topology and queue/wait (median, min–max)",
                                       ""};
    if (!(rc = qtp_bars_draw(x, c, &b, &look))) {
        char rate[32];
        qtp_format_rate(best, QTP_STYLE_PAGE, rate, sizeof rate);
        snprintf(c->caption, sizeof c->caption,
                 "Events per second for each topology (placement %s), one bar per queue and wait "
                 "strategy: the median over the reps with whiskers from the slowest to the fastest "
                 "rep, on a log scale; the fastest is %s on %.120s at %s.",
                 r->placements[x->base_place], r->variants[best_cell->variant],
                 best_cell->first->topology, rate);
    }
    qtp_bars_free(&b);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * 2. Speed-ups between families, as the registries pair them ("over"): the shared ring over each
 * queue per edge, a lock-free queue per edge over each mutex queue. Two variants that both have a
 * wait strategy are compared at the same one (ring/yield over ck-ring/yield), so the chart says
 * what the queue is worth, not the wait. */

int qtp_chart_speedup(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    size_t nv = r->nvariants, ng = qtp_chart_ntopologies(x);
    struct qtp_bars b;
    /* Series (queue m, ring w) in order of m then w: those over the first queue drawn solid. */
    int rc = qtp_bars_init(&b, ng, nv * nv, 1);
    if (rc || (rc = qtp_bars_topology_groups(x, &b))) {
        qtp_bars_free(&b);
        return oom(x);
    }
    double lo = INFINITY, hi = 0;
    /* Any ratio beyond the ring over a mutex queue (over a lock-free queue, or of one): the
     * wider title and caption; without one, the words reports have always had. */
    bool wider = false;
    char lo_at[256] = "", hi_at[256] = "";
    for (size_t t = 0, g = 0; t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        for (size_t m = 0; m < nv; m++) {
            const struct qtp_rpt_cell *mc = qtp_chart_find(x, t, x->base_cfg[t], m);
            if (!mc || !(TPUT(mc).median > 0))
                continue;
            for (size_t w = 0; w < nv; w++) {
                const struct qtp_rpt_cell *wc = qtp_chart_find(x, t, x->base_cfg[t], w);
                if (!qtp_chart_over(r, w, m) || !wc)
                    continue;
                if (strchr(r->variants[w], '/') && strchr(r->variants[m], '/') &&
                    strcmp(wc->first->wait, mc->first->wait) != 0)
                    continue;
                double ratio = TPUT(wc).median / TPUT(mc).median;
                if (!isfinite(ratio) || ratio <= 0)
                    continue;
                qtp_bars_at(&b, m * nv + w, g)[0] = ratio;
                for (size_t o = 0; o < nv && !wider; o++)
                    wider = qtp_chart_per_edge(r, w) || qtp_chart_over(r, m, o);
                char at[256];
                snprintf(at, sizeof at, "%s over %s on %s", r->variants[w], r->variants[m],
                         r->topologies[t]);
                if (ratio < lo) {
                    lo = ratio;
                    snprintf(lo_at, sizeof lo_at, "%s", at);
                }
                if (ratio > hi) {
                    hi = ratio;
                    snprintf(hi_at, sizeof hi_at, "%s", at);
                }
            }
        }
        g++;
    }
    for (size_t m = 0; m < nv; m++)
        for (size_t w = 0; w < nv; w++) {
            char lab[256];
            snprintf(lab, sizeof lab, "%s ÷ %s", r->variants[w], r->variants[m]);
            if (!(b.slabel[m * nv + w] = strdup(lab))) {
                qtp_bars_free(&b);
                return oom(x);
            }
            b.scolor[m * nv + w] = qtp_chart_variant_color(r, w);
        }
    /* nsolid: the series over the first queue that has any (they come first). */
    size_t first_m = nv, nsolid = 0;
    for (size_t m = 0; m < nv && first_m == nv; m++)
        for (size_t w = 0; w < nv; w++)
            for (size_t gg = 0; gg < ng; gg++)
                if (!isnan(qtp_bars_at(&b, m * nv + w, gg)[0]))
                    first_m = m;
    for (size_t w = 0; first_m < nv && w < nv; w++)
        for (size_t gg = 0; gg < ng; gg++)
            if (!isnan(qtp_bars_at(&b, first_m * nv + w, gg)[0])) {
                nsolid++;
                break;
            }
    qtp_bars_compact(&b);
    if (b.ns == 0 || ng == 0) {
        snprintf(c->why, sizeof c->why,
                 "no topology has ok cells over two queue families the report compares (the "
                 "ring and a queue per edge, or a lock-free and a mutex queue) in the same "
                 "configuration, so there is no ratio to draw.");
        qtp_bars_free(&b);
        return 0;
    }
    char extra[256];
    double ymin = lo / 1.8 < 0.5 ? lo / 1.8 : 0.5, ymax = hi * 1.8 > 2 ? hi * 1.8 : 2;
    snprintf(extra, sizeof extra, "nsolid = %zu\nymin = %.6g\nymax = %.6g\n", nsolid, ymin, ymax);
    const struct qtp_bars_look look = {
        "ratio",
        24,
        900,
        1600,
        500,
        wider ? "Speed-up: ring over the queues per edge, lock-free over mutex (median ratio)"
              : "Ring speed-up over the mutex queues (median throughput ratio)",
        extra};
    if (wider)
        c->title = "Speed-up: the ring over the queues per edge, lock-free over mutex";
    if (!(rc = qtp_bars_draw(x, c, &b, &look))) {
        char lo_s[32], hi_s[32], others[256] = "";
        qtp_chart_ratio_text(lo, lo_s, sizeof lo_s);
        qtp_chart_ratio_text(hi, hi_s, sizeof hi_s);
        for (size_t m = first_m + 1; m < nv; m++)
            for (size_t w = 0; w < nv; w++)
                if (qtp_chart_over(r, w, m)) {
                    size_t n = strlen(others);
                    snprintf(others + n, sizeof others - n, "%s%s", n ? ", " : "", r->variants[m]);
                    break;
                }
        if (wider && others[0])
            snprintf(
                c->caption, sizeof c->caption,
                "Median throughput divided, per topology: the ring's by each queue per edge's, "
                "and a lock-free queue's by each mutex queue's (at the same wait strategy "
                "where both have one; solid: over %s, hatched: over %s); above the dashed 1× "
                "line the first is faster: from %s (%s) to %s (%s).",
                r->variants[first_m], others, lo_s, lo_at, hi_s, hi_at);
        else if (wider)
            snprintf(c->caption, sizeof c->caption,
                     "Median throughput divided by %s's, per topology and wait strategy, above "
                     "the dashed 1× line the first is faster: from %s (%s) to %s (%s).",
                     r->variants[first_m], lo_s, lo_at, hi_s, hi_at);
        else if (others[0])
            snprintf(c->caption, sizeof c->caption,
                     "The ring's median throughput divided by each mutex queue's, per topology "
                     "and ring wait strategy (solid: over %s, hatched: over %s), above the dashed "
                     "1× line the ring is faster: from %s (%s) to %s (%s).",
                     r->variants[first_m], others, lo_s, lo_at, hi_s, hi_at);
        else
            snprintf(c->caption, sizeof c->caption,
                     "The ring's median throughput divided by %s's, per topology and ring wait "
                     "strategy, above the dashed 1× line the ring is faster: from %s (%s) to %s "
                     "(%s).",
                     r->variants[first_m], lo_s, lo_at, hi_s, hi_at);
    }
    qtp_bars_free(&b);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * 3. Placement. */

struct pgroup {
    size_t t, v;
    char key[512];
    const struct qtp_rpt_cell *first;
};

/* Groups: topology x queue/wait, everything but the placement as in the topology's drawn
 * configuration (the sweeps have their own chart). */
static size_t placement_groups(const struct qtp_chart_ctx *x, struct pgroup *gs)
{
    const struct qtp_rpt *r = x->r;
    size_t ng = 0;
    for (size_t t = 0; t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        char base_key[512];
        qtp_chart_key(qtp_chart_base_cell(x, t)->first, true, -1, base_key, sizeof base_key);
        for (size_t v = 0; v < r->nvariants; v++)
            for (size_t ci = 0; ci < r->ncells; ci++) {
                const struct qtp_rpt_cell *cell = &r->cells[ci];
                char key[512];
                if (!cell->s->ok || cell->topo != (int)t || cell->variant != (int)v)
                    continue;
                qtp_chart_key(cell->first, true, -1, key, sizeof key);
                if (strcmp(key, base_key))
                    continue;
                size_t g = 0;
                while (g < ng && !(gs[g].t == t && gs[g].v == v && !strcmp(gs[g].key, key)))
                    g++;
                if (g == ng) {
                    gs[ng] = (struct pgroup){.t = t, .v = v, .first = cell};
                    snprintf(gs[ng].key, sizeof gs[ng].key, "%s", key);
                    ng++;
                }
            }
    }
    return ng;
}

/* Group g's bar for each placement it ran under; how many. */
static size_t placement_bars(const struct qtp_rpt *r, const struct pgroup *g, struct qtp_bars *b,
                             size_t at, bool *have_p99)
{
    size_t nplaces = 0;
    for (size_t p = 0; p < r->nplacements; p++)
        for (size_t ci = 0; ci < r->ncells; ci++) {
            const struct qtp_rpt_cell *cell = &r->cells[ci];
            char key[512];
            if (!cell->s->ok || cell->topo != (int)g->t || cell->variant != (int)g->v ||
                cell->place != (int)p)
                continue;
            qtp_chart_key(cell->first, true, -1, key, sizeof key);
            if (strcmp(key, g->key))
                continue;
            if (!(TPUT(cell).median > 0))
                break;
            double *v = qtp_bars_at(b, p, at), p99 = cell->s->stat[QTP_METRIC_P99].median;
            v[0] = TPUT(cell).median;
            v[1] = TPUT(cell).min;
            v[2] = TPUT(cell).max;
            v[3] = p99 > 0 ? p99 * 1e-9 : NAN;
            *have_p99 = *have_p99 || !isnan(v[3]);
            nplaces++;
            break;
        }
    return nplaces;
}

/* Why there is no placement chart: the placements with ok cells. */
static void placement_why(const struct qtp_rpt *r, struct qtp_rpt_chart *c)
{
    char ran[256] = "";
    for (size_t p = 0; p < r->nplacements; p++) {
        bool any = false;
        for (size_t ci = 0; ci < r->ncells; ci++)
            any = any || (r->cells[ci].s->ok && r->cells[ci].place == (int)p);
        size_t n = strlen(ran);
        if (any)
            snprintf(ran + n, sizeof ran - n, "%s%s", n ? ", " : "", r->placements[p]);
    }
    snprintf(c->why, sizeof c->why,
             "no topology and queue ran under more than one placement (placements with ok "
             "cells: %s), so there is nothing to compare.",
             ran[0] ? ran : "none");
}

static void placement_caption(struct qtp_rpt_chart *c, const struct qtp_bars *b, bool have_p99)
{
    char names[256] = "";
    for (size_t s = 0; s < b->ns; s++) {
        size_t n = strlen(names);
        snprintf(names + n, sizeof names - n, "%s%s", s ? ", " : "", b->slabel[s]);
    }
    snprintf(c->caption, sizeof c->caption,
             "Throughput (%s median with min–max whiskers)%s of each topology and queue that ran "
             "under more than one placement, one bar per placement policy that ran (%s).",
             have_p99 ? "top," : "", have_p99 ? " and p99 latency (bottom)" : "", names);
}

int qtp_chart_placement(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    struct pgroup *gs = calloc(r->ncells + 1, sizeof *gs);
    bool have_p99 = false; /* no latency recorded: the p99 panel is left out */
    struct qtp_bars b = {0};
    int rc = 0;
    size_t ng = gs ? placement_groups(x, gs) : 0, kept = 0;
    if (!gs || (rc = qtp_bars_init(&b, ng, r->nplacements, 4)))
        goto fail;
    /* Only the groups that ran under >= 2 placements are kept, at the front. */
    for (size_t g = 0; g < ng; g++) {
        if (placement_bars(r, &gs[g], &b, kept, &have_p99) < 2) {
            for (size_t p = 0; p < r->nplacements; p++)
                qtp_bars_at(&b, p, kept)[0] = NAN;
            continue;
        }
        char pl[64] = "", lab[256];
        qtp_params_shape_label(&gs[g].first->first->params, pl, sizeof pl);
        snprintf(lab, sizeof lab, "%s%s%s\n%s", r->topologies[gs[g].t], pl[0] ? " " : "", pl,
                 r->variants[gs[g].v]);
        if (!(b.glabel[kept++] = strdup(lab)))
            goto fail;
    }
    if (kept == 0) {
        placement_why(r, c);
        goto done;
    }
    size_t ng_old = b.ng;
    b.ng = kept;
    for (size_t s = 0; s < b.ns; s++)
        memmove(&b.v[s * kept * b.nv], &b.v[s * ng_old * b.nv], kept * b.nv * sizeof *b.v);
    for (size_t p = 0; p < r->nplacements; p++) {
        if (!(b.slabel[p] = strdup(r->placements[p])))
            goto fail;
        b.scolor[p] = qtp_chart_placement_color(p);
    }
    char extra[32];
    snprintf(extra, sizeof extra, "have_p99 = %d\n", have_p99);
    const struct qtp_bars_look look = {
        "tput_median tput_min tput_max p99_seconds",
        30,
        900,
        1800,
        (have_p99 ? 780 : 440) + (b.ng > QTP_ROTATE_GROUPS ? 140 : 0),
        have_p99 ? "Placement: throughput and p99 latency per placement policy"
                 : "Placement: throughput per placement policy",
        extra};
    if (!(rc = qtp_bars_draw(x, c, &b, &look)))
        placement_caption(c, &b, have_p99);
    goto done;
fail:
    rc = oom(x);
done:
    qtp_bars_free(&b);
    free(gs);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * 4. Allocation per event. */

/* The median allocation calls and bytes per event of topology t's cells of queue kind `kind`;
 * false when it has none. */
static bool alloc_of(const struct qtp_chart_ctx *x, size_t t, const char *kind, double *tmp,
                     double *tmpb, double out[2])
{
    size_t n = 0;
    for (size_t ci = 0; ci < x->r->ncells; ci++) {
        const struct qtp_rpt_cell *cell = &x->r->cells[ci];
        if (cell->s->ok && cell->topo == (int)t && cell->cfg == x->base_cfg[t] &&
            !strcmp(cell->first->queue, kind)) {
            tmp[n] = cell->s->stat[QTP_METRIC_ALLOC].median;
            tmpb[n++] = cell->s->stat[QTP_METRIC_BYTES].median;
        }
    }
    out[0] = qtp_stats_median(tmp, n);
    out[1] = qtp_stats_median(tmpb, n);
    return n > 0;
}

/* The caption, which says in words which kinds never allocate. */
static void alloc_caption(struct qtp_rpt_chart *c, struct qtp_bars *b)
{
    char zero[256] = "";
    for (size_t k = 0; k < b->ns; k++) {
        bool all0 = true;
        for (size_t gg = 0; gg < b->ng; gg++) {
            double v = qtp_bars_at(b, k, gg)[0];
            all0 = all0 && (isnan(v) || v == 0);
        }
        size_t n = strlen(zero);
        if (all0)
            snprintf(zero + n, sizeof zero - n, "%s%s", n ? ", " : "", b->slabel[k]);
    }
    snprintf(c->caption, sizeof c->caption,
             "Allocator calls (top) and bytes (bottom) per event during the measured window, per "
             "topology and queue kind (median over its cells and reps), every bar labelled with "
             "its value so that a queue that allocates nothing shows a 0 on the axis%s%s%s.",
             zero[0] ? " (here: " : "", zero, zero[0] ? ")" : "");
}

int qtp_chart_alloc(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    /* Queue kinds in variant order (ring first). */
    const char **kinds = calloc(r->nvariants + 1, sizeof *kinds);
    double *tmp = calloc(2 * (r->ncells + 1), sizeof *tmp), *tmpb = tmp + r->ncells + 1;
    struct qtp_bars b = {0};
    size_t nk = 0, ng = qtp_chart_ntopologies(x);
    int rc = 0;
    if (!kinds || !tmp)
        goto fail;
    for (size_t v = 0; v < r->nvariants; v++)
        for (size_t ci = 0; ci < r->ncells; ci++) {
            const struct qtp_rpt_cell *cell = &r->cells[ci];
            if (cell->variant != (int)v)
                continue;
            size_t k = 0;
            while (k < nk && strcmp(kinds[k], cell->first->queue))
                k++;
            if (k == nk)
                kinds[nk++] = cell->first->queue;
            break;
        }
    if (ng == 0) {
        snprintf(c->why, sizeof c->why, "no cell has an ok rep, so no allocation was measured.");
        goto done;
    }
    if (qtp_bars_init(&b, ng, nk, 2) || qtp_bars_topology_groups(x, &b))
        goto fail;
    double maxc = 0, maxb = 0;
    bool measured = false;
    for (size_t t = 0, g = 0; t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        for (size_t k = 0; k < nk; k++) {
            double *v = qtp_bars_at(&b, k, g), m[2];
            if (!alloc_of(x, t, kinds[k], tmp, tmpb, m))
                continue;
            v[0] = m[0];
            v[1] = m[1];
            measured |= isfinite(m[0]) != 0;
            maxc = v[0] > maxc ? v[0] : maxc;
            maxb = v[1] > maxb ? v[1] : maxb;
        }
        g++;
    }
    if (!measured) { /* a build without the allocation counter (a sanitizer's) records none */
        snprintf(c->why, sizeof c->why,
                 "no cell measured its allocations (the run's qtopo was built without the "
                 "allocation counter, as sanitizer builds are).");
        goto done;
    }
    for (size_t k = 0; k < nk; k++) {
        if (!(b.slabel[k] = strdup(kinds[k])))
            goto fail;
        b.scolor[k] = qtp_chart_kind_color(r, kinds[k], k);
    }
    char extra[128];
    snprintf(extra, sizeof extra, "ymax_calls = %.6g\nymax_bytes = %.6g\n",
             maxc > 0 ? maxc * 1.3 : 1.0, maxb > 0 ? maxb * 1.3 : 1.0);
    const struct qtp_bars_look look = {
        "calls_per_event bytes_per_event",        34,   900, 1600, 760,
        "Allocation per event (measured window)", extra};
    if (!(rc = qtp_bars_draw(x, c, &b, &look)))
        alloc_caption(c, &b);
done:
    qtp_bars_free(&b);
    free(kinds);
    free(tmp);
    return rc;
fail:
    rc = oom(x);
    goto done;
}
