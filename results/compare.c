/* compare.c - two sets of cells, compared metric by metric (qtp_compare.h). */
#include "qtp_compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_stats.h"
#include "qtp_text.h"

static const char *const verdict_names[] = {"improved", "unchanged", "regressed", "not comparable"};

const char *qtp_verdict_name(enum qtp_verdict v)
{
    return (unsigned)v < 4 ? verdict_names[v] : "?";
}

size_t qtp_compare_tests(const struct qtp_summary *base, const struct qtp_summary *new_cells,
                         size_t nmetrics)
{
    size_t cells = 0;
    for (size_t c = 0; c < base->ncells; c++) {
        const struct qtp_cell_summary *b = &base->cells[c];
        const struct qtp_cell_summary *n = qtp_summary_find(new_cells, b->first->cell);
        cells += b->ok && n && n->ok;
    }
    return cells * nmetrics > 0 ? cells * nmetrics : 1;
}

static void compare_one(struct qtp_compare_row *row, const struct qtp_metric *m, const double *b,
                        size_t nb, const double *nw, size_t nn, const struct qtp_compare_opts *o)
{
    row->median_base = qtp_stats_median(b, nb);
    row->median_new = qtp_stats_median(nw, nn);
    size_t need = qtp_stats_mwu_min_reps(o->alpha);
    if (qtp_stats_mwu_min_p(nb, nn) >= o->alpha) {
        row->verdict = QTP_VERDICT_NOT_COMPARABLE;
        row->too_few_reps = true;
        qtp_fmt(row->reason, sizeof row->reason,
                "too few reps to test: %zu in BASE, %zu in NEW; at alpha %g the test needs at "
                "least %zu per side",
                nb, nn, o->alpha, need);
        return;
    }
    struct qtp_mwu t;
    if (qtp_stats_mwu(b, nb, nw, nn, &t) != 0) {
        row->verdict = QTP_VERDICT_NOT_COMPARABLE;
        qtp_fmt(row->reason, sizeof row->reason, "values cannot be tested");
        return;
    }
    row->p = t.p;
    row->exact = t.exact;
    struct qtp_hl hl;
    if (qtp_stats_hl_ratio(b, nb, nw, nn, 1 - o->alpha, &hl) == 0) {
        row->ratio = hl.estimate;
        row->ratio_lo = hl.lo;
        row->ratio_hi = hl.hi;
    } else {
        /* A zero or negative value (e.g. no allocation at all): ratio of medians, no interval. */
        double mb = row->median_base, mn = row->median_new;
        row->ratio = mb == mn ? 1.0 : (mb != 0 ? mn / mb : (mn > 0 ? INFINITY : -INFINITY));
    }
    bool significant = t.p < o->alpha;
    bool worse =
        m->higher_is_better ? row->ratio < 1 - o->threshold : row->ratio > 1 + o->threshold;
    bool better =
        m->higher_is_better ? row->ratio > 1 + o->threshold : row->ratio < 1 - o->threshold;
    row->verdict = significant && worse    ? QTP_VERDICT_REGRESSED
                   : significant && better ? QTP_VERDICT_IMPROVED
                                           : QTP_VERDICT_UNCHANGED;
}

/* One (cell, metric): b or n is NULL when the cell is on one side only. */
static void compare_cell(struct qtp_compare_row *row, const char *cell, const struct qtp_metric *m,
                         const struct qtp_summary *base, const struct qtp_cell_summary *b,
                         const struct qtp_summary *new_cells, const struct qtp_cell_summary *n,
                         double *bv, double *nv, const struct qtp_compare_opts *o)
{
    qtp_fmt(row->cell, sizeof row->cell, "%s", cell);
    row->metric = m->name;
    row->higher_is_better = m->higher_is_better;
    row->p = row->ratio = row->ratio_lo = row->ratio_hi = NAN;
    row->median_base = row->median_new = NAN;
    row->verdict = QTP_VERDICT_NOT_COMPARABLE;
    enum qtp_metric_id id = (enum qtp_metric_id)(m - qtp_metrics);
    size_t nb = b ? qtp_cell_values(base, b, id, bv) : 0;
    size_t nn = n ? qtp_cell_values(new_cells, n, id, nv) : 0;
    row->n_base = nb;
    row->n_new = nn;
    if (!b || !n) {
        qtp_fmt(row->reason, sizeof row->reason, "only in %s", b ? "BASE" : "NEW");
    } else if (!b->ok || !n->ok) {
        const char *why = !b->ok ? b->reason : n->reason;
        qtp_fmt(row->reason, sizeof row->reason, "no ok reps in %s%s%s", !b->ok ? "BASE" : "NEW",
                why[0] ? ": " : "", why);
    } else if (!nb || !nn) {
        qtp_fmt(row->reason, sizeof row->reason, "no %s recorded in %s",
                m->latency ? "latency" : m->name, !nb ? "BASE" : "NEW");
    } else {
        compare_one(row, m, bv, nb, nv, nn, o);
    }
}

int qtp_compare(const struct qtp_summary *base, const struct qtp_summary *new_cells,
                const struct qtp_compare_opts *o, struct qtp_compare_row **out, size_t *nout,
                size_t *matched)
{
    *out = NULL;
    *nout = *matched = 0;
    if (!(o->alpha > 0 && o->alpha <= 0.5) || !(o->threshold >= 0) || o->nmetrics == 0 ||
        o->nmetrics > QTP_NMETRICS)
        return EINVAL;
    for (size_t i = 0; i < o->nmetrics; i++)
        if (!o->metrics[i])
            return EINVAL;
    size_t maxrows = (base->ncells + new_cells->ncells) * o->nmetrics;
    struct qtp_compare_row *rows = calloc(maxrows ? maxrows : 1, sizeof *rows);
    double *bv = malloc((base->nrows ? base->nrows : 1) * sizeof *bv);
    double *nv = malloc((new_cells->nrows ? new_cells->nrows : 1) * sizeof *nv);
    if (!rows || !bv || !nv) {
        free(rows);
        free(bv);
        free(nv);
        return ENOMEM;
    }
    size_t n = 0;
    /* Every BASE cell, in its order; then the cells only in NEW. */
    for (size_t c = 0; c < base->ncells; c++) {
        const struct qtp_cell_summary *b = &base->cells[c];
        const struct qtp_cell_summary *nc = qtp_summary_find(new_cells, b->first->cell);
        for (size_t mi = 0; mi < o->nmetrics; mi++)
            compare_cell(&rows[n++], b->first->cell, o->metrics[mi], base, b, new_cells, nc, bv, nv,
                         o);
        *matched += nc != NULL;
    }
    for (size_t c = 0; c < new_cells->ncells; c++) {
        const struct qtp_cell_summary *nc = &new_cells->cells[c];
        if (qtp_summary_find(base, nc->first->cell))
            continue;
        for (size_t mi = 0; mi < o->nmetrics; mi++)
            compare_cell(&rows[n++], nc->first->cell, o->metrics[mi], base, NULL, new_cells, nc, bv,
                         nv, o);
    }
    free(bv);
    free(nv);
    *out = rows;
    *nout = n;
    return 0;
}
