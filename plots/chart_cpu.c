/* chart_cpu.c - what waiting costs: throughput and p99 latency against CPU time per event, one
 * point per queue/wait variant and topology. Spinning buys throughput and latency with CPU that
 * an idle consumer burns anyway; blocking gives the CPU back and pays in wake-ups. The chart puts
 * both sides of that trade on one page. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "qtp_text.h"

/* The point of topology t and variant v (its drawn configuration): CPU ns/event, throughput and
 * p99 (NAN when it has no latency); false when the cell is missing or measured no CPU time. */
static bool cpu_point(const struct qtp_chart_ctx *x, size_t t, size_t v, double out[3])
{
    if (x->base_cfg[t] < 0)
        return false;
    const struct qtp_rpt_cell *cell = qtp_chart_find(x, t, x->base_cfg[t], v);
    if (!cell)
        return false;
    out[0] = cell->s->stat[QTP_METRIC_CPU].median;
    out[1] = cell->s->stat[QTP_METRIC_THROUGHPUT].median;
    out[2] = cell->s->stat[QTP_METRIC_P99].median;
    return isfinite(out[0]) && out[0] > 0 && isfinite(out[1]) && out[1] > 0;
}

int qtp_chart_cpu(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    const char **title = calloc(r->nvariants + 1, sizeof *title);
    const char **color = calloc(r->nvariants + 1, sizeof *color);
    if (!title || !color) {
        free(title);
        free(color);
        qtp_set_err(x->err, x->errlen, "out of memory");
        return ENOMEM;
    }
    FILE *f = NULL;
    size_t ns = 0, npts = 0;
    bool have_p99 = false;
    int rc = 0;
    for (size_t v = 0; v < r->nvariants && !rc; v++) {
        double pt[3];
        bool any = false;
        for (size_t t = 0; t < r->ntopologies; t++) {
            if (!cpu_point(x, t, v, pt))
                continue;
            if (!f && !(f = qtp_chart_open(x, c->name, "dat")))
                rc = EIO;
            if (rc)
                break;
            if (!any)
                fprintf(f, "%s# %s\n# cpu_ns_per_event throughput_eps p99_ns topology\n",
                        ns ? "\n\n" : "", r->variants[v]);
            any = true;
            qtp_dat_num(f, pt[0]);
            qtp_dat_num(f, pt[1]);
            qtp_dat_num(f, pt[2] > 0 ? pt[2] : NAN);
            fputc(' ', f);
            qtp_dat_label(f, r->topologies[t]);
            fputc('\n', f);
            have_p99 |= isfinite(pt[2]) && pt[2] > 0;
            npts++;
        }
        if (any) {
            title[ns] = r->variants[v];
            color[ns++] = qtp_chart_variant_color(r, v);
        }
    }
    if (!rc && f)
        rc = qtp_chart_close(x, f, c->name, "dat");
    if (rc || !npts) {
        /* Rows written before CPU time per event was recorded have none at all (NAN): for them
         * the page is what it was before this chart existed. */
        bool any_row = false;
        for (size_t i = 0; i < r->nrows; i++)
            any_row |= !isnan(r->rows[i].cpu.ns_per_event);
        c->absent = !any_row;
        if (!rc)
            snprintf(c->why, sizeof c->why,
                     "no ok cell has its CPU time per event (rows written before it was "
                     "recorded, or no ok rep).");
        goto done;
    }
    if (!(f = qtp_chart_open(x, c->name, "gp"))) {
        rc = EIO;
        goto done;
    }
    qtp_gp_begin(f, c, have_p99 ? 1400 : 760, 560,
                 "What waiting costs: throughput and p99 latency against CPU time per event");
    fprintf(f, "nseries = %zu\nhave_p99 = %d\n", ns, have_p99);
    qtp_gp_strs(f, "series", title, ns);
    qtp_gp_strs(f, "colors", color, ns);
    qtp_gp_end(f, c->name);
    if ((rc = qtp_chart_close(x, f, c->name, "gp")))
        goto done;
    c->drawn = true;
    snprintf(c->caption, sizeof c->caption,
             "Each point is one topology over one queue kind and wait strategy (median over its "
             "reps, in the topology's drawn configuration): CPU time (user + sys of the whole "
             "process over the measured window) per event on the x axis, throughput%s on the y "
             "axis; both axes logarithmic. Down and to the left of a point is cheaper; a wait "
             "strategy that spins moves right as it buys speed.",
             have_p99 ? " (left) and p99 latency (right, lower is better)" : "");
done:
    free(title);
    free(color);
    return rc;
}
