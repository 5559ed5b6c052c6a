/* report_diagram.c - a diagram of each topology that ran: its DOT (qtp_topology_dot: the ring
 * wiring and the per-edge wiring side by side) beside the page, drawn as SVG by Graphviz dot
 * when dot is in PATH (looked up at run time, as gnuplot is). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_lang.h"
#include "qtp_text.h"
#include "qtp_topo.h"
#include "report_int.h"

/* dot draws these in well under a second; longer is stuck. */
#define DOT_TIMEOUT_S 60

/* The shape a cell's row ran with: its shape parameters (0: the default); an expression has its
 * shape written out and ignores them. Work, sleep and payload are left out: one diagram per
 * shape, whatever the stages did. */
static void shape_of(const struct qtp_rep_record *row, struct qtp_topo_params *p)
{
    memset(p, 0, sizeof *p);
    p->fanout = row->params.fanout;
    p->shards = row->params.shards;
    p->stages = row->params.stages;
}

static struct qtp_rpt_diagram *diagram_push(struct qtp_rpt *r)
{
    struct qtp_rpt_diagram *v = realloc(r->diagrams, (r->ndiagrams + 1) * sizeof *v);
    if (!v)
        return NULL;
    r->diagrams = v;
    struct qtp_rpt_diagram *d = &v[r->ndiagrams++];
    memset(d, 0, sizeof *d);
    return d;
}

/* The diagram of cell c's shape, unless an earlier cell had it. 0 or ENOMEM. */
static int add_cell(struct qtp_rpt *r, const struct qtp_rpt_cell *c)
{
    const struct qtp_rep_record *row = c->first;
    struct qtp_topo_params p;
    shape_of(row, &p);
    struct qtp_topology t;
    struct qtp_parse_error pe;
    int rc = qtp_topology_resolve(row->topology, &p, &t, &pe);
    if (rc == ENOMEM)
        return ENOMEM;
    char *expr = malloc(QTP_TOPO_EXPR_MAX);
    if (!expr) {
        if (!rc)
            qtp_topology_fini(&t);
        return ENOMEM;
    }
    if (rc || qtp_topo_print(&t, expr, QTP_TOPO_EXPR_MAX))
        expr[0] = 0;
    for (size_t i = 0; i < r->ndiagrams; i++)
        if (!strcmp(r->diagrams[i].topology, row->topology) && !strcmp(r->diagrams[i].expr, expr)) {
            free(expr);
            if (!rc)
                qtp_topology_fini(&t);
            return 0;
        }
    struct qtp_rpt_diagram *d = diagram_push(r);
    char *name = strdup(row->topology);
    if (!d || !name) {
        free(name);
        free(expr);
        if (!rc)
            qtp_topology_fini(&t);
        return ENOMEM;
    }
    d->topology = name;
    d->expr = expr;
    qtp_params_shape_label(&row->params, d->shape, sizeof d->shape);
    if (rc) {
        qtp_fmt(d->why, sizeof d->why, "this qtopo cannot build it: %s", pe.msg);
        return 0;
    }
    d->built = true;
    d->t = t;
    return 0;
}

/* Write diagram i's DOT into outdir; draw it with dot (NULL: not found). A failure to draw is
 * said on the page, not an error of the report. 0 or an errno value writing the DOT. */
static int draw(struct qtp_rpt *r, size_t i, const char *outdir, const char *dot)
{
    struct qtp_rpt_diagram *d = &r->diagrams[i];
    int rc;
    char path[4400];
    snprintf(d->dot_file, sizeof d->dot_file, "topology-%zu.dot", i + 1);
    snprintf(path, sizeof path, "%s/%s", outdir, d->dot_file);
    FILE *f = fopen(path, "w");
    if (!f)
        return errno ? errno : EIO;
    rc = qtp_topology_dot_write(&d->t, f);
    if (fclose(f) != 0 && !rc)
        rc = EIO;
    if (rc)
        return rc;
    if (!dot)
        return 0;
    char svg[40], out_opt[48], err[QTP_RPT_ERR];
    snprintf(svg, sizeof svg, "topology-%zu.svg", i + 1);
    snprintf(out_opt, sizeof out_opt, "-o%s", svg);
    char *const argv[] = {"dot", "-Tsvg", out_opt, d->dot_file, NULL};
    if (qtp_rpt_run_tool(dot, argv, outdir, DOT_TIMEOUT_S, r->stop, err, sizeof err) == 0)
        snprintf(d->svg_file, sizeof d->svg_file, "%s", svg);
    else
        qtp_fmt(d->why, sizeof d->why, "%s", err);
    return 0;
}

int qtp_rpt_diagrams(struct qtp_rpt *r, const char *outdir, char *err, size_t errlen)
{
    for (size_t t = 0; t < r->ntopologies; t++)
        for (size_t k = 0; k < r->ncells; k++)
            if (r->cells[k].topo == (int)t && add_cell(r, &r->cells[k])) {
                qtp_set_err(err, errlen, "out of memory for the topology diagrams");
                return ENOMEM;
            }
    char dot[4096];
    bool have_dot = qtp_rpt_find_tool("dot", dot, sizeof dot);
    if (!have_dot)
        qtp_fmt(r->diagrams_left_out, sizeof r->diagrams_left_out,
                "Diagrams left out: Graphviz dot is not in PATH (install the Debian package "
                "graphviz; scripts/setup does). Each topology's DOT is beside this page.");
    for (size_t i = 0; i < r->ndiagrams; i++) {
        if (!r->diagrams[i].built)
            continue;
        int rc = draw(r, i, outdir, have_dot ? dot : NULL);
        if (rc) {
            qtp_set_err(err, errlen, "writing the diagram of %.200s in %s: %s",
                        r->diagrams[i].topology, outdir, strerror(rc));
            return rc;
        }
    }
    return 0;
}

void qtp_rpt_diagrams_free(struct qtp_rpt *r)
{
    for (size_t i = 0; i < r->ndiagrams; i++) {
        free(r->diagrams[i].topology);
        free(r->diagrams[i].expr);
        if (r->diagrams[i].built)
            qtp_topology_fini(&r->diagrams[i].t);
    }
    free(r->diagrams);
    r->diagrams = NULL;
    r->ndiagrams = 0;
}
