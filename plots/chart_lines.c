/* chart_lines.c - the report's line charts, panels of lines: the latency percentile distribution
 * (a panel per topology, a line per queue/wait from its .hgrm) and the scaling with a parameter
 * that shapes a topology (fan-out, shard count). Each fills a struct qtp_lines (chart.c). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chart.h"
#include "qtp_text.h"

#define TPUT(cell) ((cell)->s->stat[QTP_METRIC_THROUGHPUT])

/* ---------------------------------------------------------------------------------------------
 * 5. Latency percentile distribution from the .hgrm files. */

/* Unit of a histogram's values in ns. qtopo writes microseconds (qtp_results.h); a file written
 * in another unit is recognised by comparing its median with the rows' p50 (in ns). */
static double hgrm_unit_ns(const struct qtp_rpt_hpoint *p, size_t n, double p50_ns)
{
    double v50 = NAN;
    for (size_t i = 0; i < n; i++)
        if (p[i].percentile >= 0.5) {
            v50 = p[i].value;
            break;
        }
    if (!(p50_ns > 0) || !(v50 > 0))
        return 1000.0;
    static const double units[] = {1.0, 1e3, 1e6, 1e9};
    double best = 1000.0, bestd = INFINITY;
    for (size_t i = 0; i < 4; i++) {
        double d = fabs(log10(v50 * units[i] / p50_ns));
        if (d < bestd) {
            bestd = d;
            best = units[i];
        }
    }
    return best;
}

/* Cells without a histogram (or with an empty one), named up to four. */
struct missing {
    char text[400];
    size_t n;
};

static void note_missing(struct missing *m, const struct qtp_rpt *r, size_t t, size_t v)
{
    size_t at = strlen(m->text);
    if (m->n++ < 4)
        snprintf(m->text + at, sizeof m->text - at, "%s%s %s", at ? ", " : "", r->topologies[t],
                 r->variants[v]);
}

/* The line of cell (topology t, variant v) from its .hgrm: 0, or EINVAL/ENOMEM (err says). */
static int latency_line(struct qtp_chart_ctx *x, struct qtp_lines *l, size_t t, size_t v,
                        const struct qtp_rpt_cell *cell, struct missing *m, double *xmax)
{
    const struct qtp_rpt *r = x->r;
    char path[4800];
    snprintf(path, sizeof path, "%s/%s", r->dir, cell->hist_rel);
    struct stat st;
    if (!cell->hist_rel[0] || stat(path, &st) != 0) {
        note_missing(m, r, t, v);
        return 0;
    }
    struct qtp_rpt_hpoint *pts;
    size_t npts, valid = 0;
    int rc = qtp_rpt_read_hgrm(path, &pts, &npts, x->err, x->errlen);
    if (rc)
        return rc == ENOMEM ? ENOMEM : EINVAL; /* a damaged results directory */
    for (size_t i = 0; i < npts; i++)
        valid += pts[i].value > 0;
    if (!valid) { /* an empty histogram: no line */
        free(pts);
        note_missing(m, r, t, v);
        return 0;
    }
    double unit = hgrm_unit_ns(pts, npts, cell->s->stat[QTP_METRIC_P50].median);
    char note[700];
    snprintf(note, sizeof note, "%s, %s", r->topologies[t], cell->hist_rel);
    qtp_lines_add(l, r->variants[v], qtp_chart_variant_color(r, v), note);
    for (size_t i = 0; i < npts; i++) {
        if (!(pts[i].value > 0))
            continue; /* a log axis has no 0 */
        double inv = 1.0 / (1.0 - pts[i].percentile);
        *xmax = inv > *xmax ? inv : *xmax;
        fprintf(l->dat, "%.9g %.9g %.12g\n", pts[i].value * unit * 1e-9, inv, pts[i].percentile);
    }
    free(pts);
    return 0;
}

/* The platform's own lateness (a cell's .hiccup.hgrm, qtopo's microseconds) as a grey line
 * under the queues' lines of its panel: what of a tail is the machine. 0, EINVAL or ENOMEM. */
static int hiccup_line(struct qtp_chart_ctx *x, struct qtp_lines *l, const char *rel, double *xmax)
{
    char path[4800];
    snprintf(path, sizeof path, "%s/%s", x->r->dir, rel);
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    struct qtp_rpt_hpoint *pts;
    size_t npts;
    int rc = qtp_rpt_read_hgrm(path, &pts, &npts, x->err, x->errlen);
    if (rc)
        return rc == ENOMEM ? ENOMEM : EINVAL;
    qtp_lines_add(l, "platform (no queue)", "#9a9a9a", rel);
    for (size_t i = 0; i < npts; i++) {
        if (!(pts[i].value > 0))
            continue;
        double inv = 1.0 / (1.0 - pts[i].percentile);
        *xmax = inv > *xmax ? inv : *xmax;
        fprintf(l->dat, "%.9g %.9g %.12g\n", pts[i].value * 1e3 * 1e-9, inv, pts[i].percentile);
    }
    free(pts);
    return 0;
}

int qtp_chart_latency(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    struct qtp_lines l;
    struct missing m = {"", 0};
    double xmax = 100;
    int rc =
        qtp_lines_open(x, &l, c->name, r->ntopologies * (r->nvariants + 1) + 1, r->ntopologies + 1,
                       "# latency.dat - one block per line (gnuplot index = line - 1), from "
                       "the cells'\n# .hgrm files (HdrHistogram percentile distribution, reps "
                       "merged).\n# columns: latency_seconds 1/(1-percentile) percentile\n");
    for (size_t t = 0; !rc && t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        const char *hiccup = NULL;
        for (size_t v = 0; !rc && v < r->nvariants; v++) {
            const struct qtp_rpt_cell *cell = qtp_chart_find(x, t, x->base_cfg[t], v);
            if (cell)
                rc = latency_line(x, &l, t, v, cell, &m, &xmax);
            if (cell && !hiccup && cell->hiccup_rel[0])
                hiccup = cell->hiccup_rel;
        }
        /* One baseline per panel: its first cell's (the panel's cells share placement). */
        if (!rc && hiccup && l.nl > l.panel_from)
            rc = hiccup_line(x, &l, hiccup, &xmax);
        char lab[256];
        qtp_chart_topo_label(x, t, " ", lab, sizeof lab);
        if (!rc)
            qtp_lines_panel(&l, lab, &rc);
    }
    if (rc || (rc = qtp_lines_close_dat(x, &l, c->name)))
        goto done;
    if (m.n)
        snprintf(c->note, sizeof c->note,
                 "No histogram (.hgrm) or an empty one for %zu cell%s: %s%s.", m.n,
                 m.n == 1 ? "" : "s", m.text, m.n > 4 ? ", ..." : "");
    if (l.np == 0) {
        snprintf(c->why, sizeof c->why,
                 "none of the cells that ran has a histogram file (hist/*.hgrm).");
        goto done;
    }
    size_t ncols = l.np == 1 ? 1 : 2, nrows = (l.np + ncols - 1) / ncols;
    FILE *f = qtp_chart_open(x, c->name, "gp");
    if (!f) {
        rc = EIO;
        goto done;
    }
    qtp_gp_begin(f, c, ncols == 1 ? 900 : 1200, (int)(60 + 380 * nrows),
                 "Latency by percentile (HdrHistogram distribution, publish to last stage)");
    qtp_lines_params(f, &l);
    fprintf(f, "nrows = %zu\nncols = %zu\n", nrows, ncols);
    fprintf(f, "xmax = %.6g\n", pow(10.0, ceil(log10(xmax * 1.0001))));
    qtp_gp_end(f, c->name);
    if ((rc = qtp_chart_close(x, f, c->name, "gp")))
        goto done;
    snprintf(c->caption, sizeof c->caption,
             "Latency from publish to the last stage at each percentile, one panel per topology "
             "and one line per queue and wait strategy (HdrHistogram percentile distribution of "
             "the merged reps, log-log): lower lines are faster, and the further right a line "
             "stays flat, the shorter its tail.");
    c->drawn = true;
done:
    qtp_lines_free(&l);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * 6. Scaling with a parameter that shapes the topology. */

/* The shape parameters a sweep of is drawn, with the words for its axis. */
static const struct {
    enum qtp_param_id param;
    const char *axis, *what;
} sweeps[] = {
    {QTP_PARAM_fanout, "fan-out N (consumers, each sees every event)", "fan-out"},
    {QTP_PARAM_shards, "shard count N (workers, events dealt out by sequence)", "shard"},
};

static uint32_t sweep_value(const struct qtp_rpt_cell *cell, enum qtp_param_id param)
{
    return (uint32_t)qtp_param_u64(&cell->first->params, &qtp_params[param]);
}

struct sweep {
    size_t t;            /* the topology */
    enum qtp_param_id k; /* the parameter */
    char base_key[512];  /* its cells: the drawn configuration, but for k */
    uint32_t nmin, nmax; /* the values swept */
};

static bool in_sweep(const struct sweep *sw, const struct qtp_rpt_cell *cell)
{
    char key[512];
    if (!cell->s->ok || cell->topo != (int)sw->t)
        return false;
    qtp_chart_key(cell->first, false, sw->k, key, sizeof key);
    return !strcmp(key, sw->base_key);
}

/* Variant v's line of the sweep (at least two points), sorted by N; false when it has none. */
static bool sweep_line(struct qtp_chart_ctx *x, struct qtp_lines *l, struct sweep *sw, size_t v,
                       const struct qtp_rpt_cell **pts, const char *what)
{
    const struct qtp_rpt *r = x->r;
    size_t n = 0;
    for (size_t ci = 0; ci < r->ncells; ci++) {
        const struct qtp_rpt_cell *cell = &r->cells[ci];
        if (cell->variant != (int)v || !in_sweep(sw, cell) || !(TPUT(cell).median > 0))
            continue;
        uint32_t nv = sweep_value(cell, sw->k);
        size_t i = n++; /* insert sorted by N */
        for (; i > 0 && sweep_value(pts[i - 1], sw->k) > nv; i--)
            pts[i] = pts[i - 1];
        pts[i] = cell;
    }
    if (n < 2)
        return false;
    qtp_lines_add(l, r->variants[v], qtp_chart_variant_color(r, v), what);
    for (size_t i = 0; i < n; i++) {
        uint32_t nv = sweep_value(pts[i], sw->k);
        sw->nmin = nv < sw->nmin ? nv : sw->nmin;
        sw->nmax = nv > sw->nmax ? nv : sw->nmax;
        fprintf(l->dat, "%u", nv);
        qtp_dat_num(l->dat, TPUT(pts[i]).median);
        qtp_dat_num(l->dat, TPUT(pts[i]).min);
        qtp_dat_num(l->dat, TPUT(pts[i]).max);
        fputc('\n', l->dat);
    }
    return true;
}

/* The shared ring's lead over the best queue per edge at both ends of the sweep, for the
 * caption ("" when either end lacks one of them). */
static void sweep_gap(const struct qtp_chart_ctx *x, const struct sweep *sw, const char *what,
                      char *gaps, size_t len)
{
    double ends[2][2] = {{0, 0}, {0, 0}}; /* [end][ring?] best median */
    for (size_t ci = 0; ci < x->r->ncells; ci++) {
        const struct qtp_rpt_cell *cell = &x->r->cells[ci];
        uint32_t nv = in_sweep(sw, cell) ? sweep_value(cell, sw->k) : 0;
        if (!nv || (nv != sw->nmin && nv != sw->nmax))
            continue;
        bool ring = qtp_chart_shared_ring(x->r, (size_t)cell->variant);
        if (!ring && !qtp_chart_per_edge(x->r, (size_t)cell->variant))
            continue;
        double *e = &ends[nv == sw->nmax][ring];
        *e = TPUT(cell).median > *e ? TPUT(cell).median : *e;
    }
    if (!(ends[0][0] > 0 && ends[0][1] > 0 && ends[1][0] > 0 && ends[1][1] > 0))
        return;
    char r0[32], r1[32];
    qtp_chart_ratio_text(ends[0][1] / ends[0][0], r0, sizeof r0);
    qtp_chart_ratio_text(ends[1][1] / ends[1][0], r1, sizeof r1);
    size_t n = strlen(gaps);
    snprintf(gaps + n, len - n, "%sfrom %s at %s N=%u to %s at N=%u",
             n ? ", and " : "; the ring's lead over the best mutex queue goes ", r0, what, sw->nmin,
             r1, sw->nmax);
}

int qtp_chart_scaling(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    enum { NSWEEPS = sizeof sweeps / sizeof sweeps[0] };
    size_t maxp = NSWEEPS * (r->ntopologies + 1);
    const struct qtp_rpt_cell **pts = calloc(r->ncells + 1, sizeof *pts);
    const char **xlabel = calloc(maxp, sizeof *xlabel);
    double *pxmin = calloc(maxp, sizeof *pxmin), *pxmax = calloc(maxp, sizeof *pxmax);
    char gaps[600] = "";
    struct qtp_lines l;
    int rc = qtp_lines_open(x, &l, c->name, NSWEEPS * r->nvariants * (r->ntopologies + 1) + 1, maxp,
                            "# scaling.dat - one block per line (gnuplot index = line - 1).\n"
                            "# columns: N throughput_median throughput_min throughput_max\n");
    if (!rc && (!pts || !xlabel || !pxmin || !pxmax))
        rc = ENOMEM;
    /* A sweep: a topology the parameter shapes (not 0 in its cells), in its drawn configuration. */
    for (size_t s = 0; !rc && s < NSWEEPS; s++)
        for (size_t t = 0; !rc && t < r->ntopologies; t++) {
            const struct qtp_rpt_cell *base =
                x->base_cfg[t] >= 0 ? qtp_chart_base_cell(x, t) : NULL;
            if (!base || !sweep_value(base, sweeps[s].param))
                continue;
            struct sweep sw = {.t = t, .k = sweeps[s].param, .nmin = UINT32_MAX, .nmax = 0};
            qtp_chart_key(base->first, false, sw.k, sw.base_key, sizeof sw.base_key);
            size_t first = l.nl;
            for (size_t v = 0; v < r->nvariants; v++)
                sweep_line(x, &l, &sw, v, pts, sweeps[s].what);
            if (l.nl == first || sw.nmin == sw.nmax) {
                l.panel_from = l.nl; /* lines kept in the data, no panel for them */
                continue;
            }
            char title[128];
            snprintf(title, sizeof title, "%s (placement %s)", r->topologies[t],
                     r->placements[base->place]);
            xlabel[l.np] = sweeps[s].axis;
            pxmin[l.np] = sw.nmin / 1.5;
            pxmax[l.np] = sw.nmax * 1.5;
            if (qtp_lines_panel(&l, title, &rc))
                sweep_gap(x, &sw, sweeps[s].what, gaps, sizeof gaps);
        }
    if (rc || (rc = qtp_lines_close_dat(x, &l, c->name)))
        goto done;
    if (l.np == 0) {
        snprintf(c->why, sizeof c->why,
                 "the results hold no fan-out or shard sweep (no queue ran the fanout or shard "
                 "topology at two or more N with everything else equal).");
        goto done;
    }
    FILE *f = qtp_chart_open(x, c->name, "gp");
    if (!f) {
        rc = EIO;
        goto done;
    }
    qtp_gp_begin(f, c, l.np == 1 ? 800 : 1200, 520, "Scaling with fan-out N and shard count N");
    qtp_lines_params(f, &l);
    qtp_gp_strs(f, "panel_xlabel", xlabel, l.np);
    qtp_gp_nums(f, "pxmin", pxmin, l.np);
    qtp_gp_nums(f, "pxmax", pxmax, l.np);
    qtp_gp_end(f, c->name);
    if ((rc = qtp_chart_close(x, f, c->name, "gp")))
        goto done;
    snprintf(c->caption, sizeof c->caption,
             "Throughput against the fan-out N and the shard count N, one line per queue and "
             "wait strategy (median with min–max whiskers)%s.",
             gaps);
    c->drawn = true;
done:
    if (rc == ENOMEM)
        qtp_set_err(x->err, x->errlen, "out of memory");
    qtp_lines_free(&l);
    free(pts);
    free(xlabel);
    free(pxmin);
    free(pxmax);
    return rc;
}
