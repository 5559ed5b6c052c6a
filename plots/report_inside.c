/* report_inside.c - the page's "Inside the reps" section: the kernel's event counters per event
 * (a table and a chart) and, per topology, the sampler's view of one representative rep of each
 * queue/wait (events waiting per stage and throughput over time, the bottleneck named). Drawn
 * only from rows that carry them: results written before are reported as they were. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chart.h"
#include "qtp_text.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool ok_row_of(const struct qtp_rep_record *row, const struct qtp_rpt_cell *cell)
{
    return row->status == QTP_STATUS_OK && !strcmp(row->cell, cell->first->cell);
}

/* The median per_event of event e over the cell's ok reps that counted it (NAN: none did); *why
 * gets a reason it was not counted (the first rep's). */
static double counter_median(const struct qtp_rpt *r, const struct qtp_rpt_cell *cell, int e,
                             const char **why)
{
    double *v = malloc((r->nrows + 1) * sizeof *v), med = NAN;
    size_t n = 0;
    *why = NULL;
    for (size_t i = 0; v && i < r->nrows; i++) {
        const struct qtp_counter_stat *s = &r->rows[i].counters.ev[e];
        if (!ok_row_of(&r->rows[i], cell))
            continue;
        if (isfinite(s->per_event))
            v[n++] = s->per_event;
        else if (!*why && s->unavailable[0])
            *why = s->unavailable;
    }
    if (n) {
        qsort(v, n, sizeof *v, cmp_double);
        med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
    free(v);
    return med;
}

bool qtp_rpt_counted(const struct qtp_rpt *r)
{
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].status == QTP_STATUS_OK && r->rows[i].counters.mode[0] &&
            strcmp(r->rows[i].counters.mode, "none"))
            return true;
    return false;
}

/* Events some ok rep counted. */
static size_t counted_events(const struct qtp_rpt *r, int *ev)
{
    size_t n = 0;
    for (int e = 0; e < QTP_NCOUNTER_EVENTS; e++)
        for (size_t i = 0; i < r->nrows; i++)
            if (r->rows[i].status == QTP_STATUS_OK &&
                isfinite(r->rows[i].counters.ev[e].per_event)) {
                ev[n++] = e;
                break;
            }
    return n;
}

static int hex_color(const char *c)
{
    return c && c[0] == '#' ? (int)strtol(c + 1, NULL, 16) : 0x555555;
}

static int draw_counters(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c, const char *gnuplot)
{
    const struct qtp_rpt *r = x->r;
    int ev[QTP_NCOUNTER_EVENTS];
    size_t ne = qtp_rpt_counted(r) ? counted_events(r, ev) : 0;
    if (!ne) {
        qtp_fmt(c->why, sizeof c->why, "no rep counted any kernel event (--counters none).");
        return 0;
    }
    FILE *dat = qtp_chart_open(x, c->name, "dat");
    if (!dat)
        return EIO;
    fprintf(dat, "# counters.dat - per cell: x label colour, then per event the median over the "
                 "ok reps of its count per event (? not counted)\n");
    size_t nc = 0;
    for (size_t k = 0; k < r->ncells; k++) {
        const struct qtp_rpt_cell *cell = &r->cells[k];
        if (!cell->s->ok)
            continue;
        char label[300];
        qtp_fmt(label, sizeof label, "%s %s", cell->first->topology, r->variants[cell->variant]);
        fprintf(dat, "%zu ", ++nc);
        qtp_dat_label(dat, label);
        fprintf(dat, " %d", hex_color(qtp_chart_variant_color(r, (size_t)cell->variant)));
        for (size_t j = 0; j < ne; j++) {
            const char *why;
            qtp_dat_num(dat, counter_median(r, cell, ev[j], &why));
        }
        fputc('\n', dat);
    }
    int rc = qtp_chart_close(x, dat, c->name, "dat");
    FILE *f = rc ? NULL : qtp_chart_open(x, c->name, "gp");
    if (!f)
        return rc ? rc : EIO;
    qtp_gp_begin(f, c, 1100, (int)(80 + 300 * ne), "Kernel events per event (median over reps)");
    const char *titles[QTP_NCOUNTER_EVENTS];
    double cols[QTP_NCOUNTER_EVENTS];
    for (size_t j = 0; j < ne; j++) {
        titles[j] = qtp_counter_event_names[ev[j]];
        cols[j] = (double)(j + 4);
    }
    fprintf(f, "npanels = %zu\nncells = %zu\n", ne, nc);
    qtp_gp_strs(f, "panel_title", titles, ne);
    qtp_gp_nums(f, "panel_col", cols, ne);
    qtp_gp_end(f, "counters");
    if ((rc = qtp_chart_close(x, f, c->name, "gp")))
        return rc;
    char script[64];
    qtp_fmt(script, sizeof script, "%s.gp", c->name);
    if ((rc = qtp_rpt_run_gnuplot(gnuplot, x->outdir, script, x->r->stop, x->err, x->errlen)))
        return rc;
    c->drawn = true;
    size_t at = (size_t)qtp_fmt(c->caption, sizeof c->caption,
                                "Kernel events per measured event, summed over each rep's threads "
                                "over its window (median over the ok reps): ");
    for (size_t j = 0; j < ne && at < sizeof c->caption; j++)
        at += (size_t)qtp_fmt(c->caption + at, sizeof c->caption - at, "%s%s", j ? ", " : "",
                              titles[j]);
    if (at < sizeof c->caption)
        qtp_fmt(c->caption + at, sizeof c->caption - at, ".");
    return 0;
}

/* The representative rep of a cell: the ok rep with a series whose throughput is the median of
 * those; else any rep with a series (a failed one shows its stall). NULL: none. */
static const struct qtp_rep_record *representative(const struct qtp_rpt *r,
                                                   const struct qtp_rpt_cell *cell)
{
    const struct qtp_rep_record *any = NULL, *pick[1024];
    size_t n = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        const struct qtp_rep_record *row = &r->rows[i];
        if (strcmp(row->cell, cell->first->cell) || !row->series.file[0])
            continue;
        if (!any)
            any = row;
        if (row->status == QTP_STATUS_OK && n < 1024)
            pick[n++] = row;
    }
    if (!n)
        return any;
    /* insertion sort by throughput: a cell has few reps */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && pick[j]->throughput_eps < pick[j - 1]->throughput_eps; j--) {
            const struct qtp_rep_record *t = pick[j];
            pick[j] = pick[j - 1];
            pick[j - 1] = t;
        }
    return pick[n / 2];
}

/* The series CSV of row as a block of the .dat (t_ms eps depth...). Its stage names into
 * stages[] (the first block's); returns the number of stages, 0 when unreadable or too short
 * (nothing written then). */
static size_t copy_series(const struct qtp_rpt *r, const struct qtp_rep_record *row, FILE *dat,
                          char stages[][48], size_t maxs)
{
    char path[4800];
    qtp_fmt(path, sizeof path, "%s/%s", r->dir, row->series.file);
    FILE *in = fopen(path, "r");
    if (!in)
        return 0;
    char line[8192];
    size_t ns = 0, cols = 0, nrows = 0;
    /* Fewer than two samples (a rep shorter than the period) make no line: left out. */
    while (fgets(line, sizeof line, in))
        nrows++;
    rewind(in);
    if (nrows < 3) {
        fclose(in);
        return 0;
    }
    if (fgets(line, sizeof line, in)) {
        /* t_ms,produced,finished,done_<role>...,depth_<role>...,eps */
        for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n")) {
            cols++;
            if (!strncmp(tok, "depth_", 6) && ns < maxs)
                qtp_fmt(stages[ns++], 48, "%s", tok + 6);
        }
    }
    size_t first_depth = 3 + ns;
    while (ns && fgets(line, sizeof line, in)) {
        size_t k = 0;
        char *p = line;
        double t = NAN, eps = NAN;
        double depth[QTP_RPT_MAX_STAGES];
        for (size_t c = 0; c < cols; c++) {
            char *end;
            double x = strtod(p, &end);
            bool have = end != p;
            if (c == 0)
                t = x;
            else if (c == cols - 1)
                eps = have ? x : NAN;
            else if (c >= first_depth && c < first_depth + ns && k < QTP_RPT_MAX_STAGES)
                depth[k++] = x;
            p = strchr(end, ',');
            if (!p)
                break;
            p++;
        }
        fprintf(dat, "%.3f", t);
        qtp_dat_num(dat, eps);
        for (size_t j = 0; j < k; j++)
            qtp_dat_num(dat, depth[j]);
        fputc('\n', dat);
    }
    fclose(in);
    fputs("\n\n", dat);
    return ns;
}

static int draw_series(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c, size_t t,
                       const char *gnuplot)
{
    const struct qtp_rpt *r = x->r;
    FILE *dat = qtp_chart_open(x, c->name, "dat");
    if (!dat)
        return EIO;
    fprintf(dat,
            "# %s.dat - one block per queue/wait (a representative rep's sampler series): "
            "t_ms events_per_s depth per stage\n",
            c->name);
    const char *vt[64], *vc[64];
    char titles[64][256], stages[QTP_RPT_MAX_STAGES][48];
    size_t nv = 0, ns = 0, at = 0;
    at += (size_t)qtp_fmt(c->caption, sizeof c->caption,
                          "%s: inside one representative rep of each queue/wait (the median "
                          "throughput of its ok reps): events waiting in front of each stage and "
                          "the throughput of each sample period; bottleneck (the stage whose "
                          "input was fullest on average beyond the inputs it feeds): ",
                          r->topologies[t]);
    for (size_t k = 0; k < r->ncells && nv < 64; k++) {
        const struct qtp_rpt_cell *cell = &r->cells[k];
        if ((size_t)cell->topo != t)
            continue;
        bool dup = false; /* one rep per queue/wait: the first cell of it */
        for (size_t j = 0; j < k; j++)
            dup |= (size_t)r->cells[j].topo == t && r->cells[j].variant == cell->variant &&
                   representative(r, &r->cells[j]);
        const struct qtp_rep_record *row = dup ? NULL : representative(r, cell);
        if (!row)
            continue;
        char st[QTP_RPT_MAX_STAGES][48];
        size_t n = copy_series(r, row, dat, st, QTP_RPT_MAX_STAGES);
        if (!n)
            continue;
        if (!ns) {
            ns = n;
            memcpy(stages, st, sizeof st);
        }
        qtp_fmt(titles[nv], sizeof titles[nv], "%s rep %d%s", r->variants[cell->variant], row->rep,
                row->status == QTP_STATUS_OK ? "" : " (failed)");
        vt[nv] = titles[nv];
        vc[nv] = qtp_chart_variant_color(r, (size_t)cell->variant);
        if (at < sizeof c->caption)
            at += (size_t)qtp_fmt(c->caption + at, sizeof c->caption - at, "%s%s %s",
                                  nv ? "; " : "", r->variants[cell->variant],
                                  row->series.bottleneck[0] ? row->series.bottleneck : "none");
        if (at < sizeof c->caption && isfinite(row->series.worst_ratio) &&
            row->series.worst_ratio < 0.1)
            at += (size_t)qtp_fmt(c->caption + at, sizeof c->caption - at,
                                  " (a stall: its worst period ran at %.0f%% of the median)",
                                  100 * row->series.worst_ratio);
        nv++;
    }
    int rc = qtp_chart_close(x, dat, c->name, "dat");
    if (!rc && !nv) { /* nothing sampled for this topology: no file left behind */
        char path[4400];
        qtp_fmt(path, sizeof path, "%s/%s.dat", x->outdir, c->name);
        unlink(path);
    }
    if (rc || !nv)
        return rc;
    if (at < sizeof c->caption)
        qtp_fmt(c->caption + at, sizeof c->caption - at, ".");
    FILE *f = qtp_chart_open(x, c->name, "gp");
    if (!f)
        return EIO;
    char title[300];
    qtp_fmt(title, sizeof title, "Inside a rep: %s", r->topologies[t]);
    qtp_gp_begin(f, c, 1200, (int)(60 + 260 * nv), title);
    const char *stp[QTP_RPT_MAX_STAGES];
    for (size_t s = 0; s < ns; s++)
        stp[s] = stages[s];
    fprintf(f, "nvar = %zu\nnstage = %zu\n", nv, ns);
    qtp_gp_strs(f, "var_title", vt, nv);
    qtp_gp_strs(f, "var_color", vc, nv);
    qtp_gp_strs(f, "stage_title", stp, ns);
    fprintf(f, "\n# ---- plots/common.gp\n%s\n# ---- plots/series.gp\n%s",
            qtp_rpt_template("common"), qtp_rpt_template("series"));
    if ((rc = qtp_chart_close(x, f, c->name, "gp")))
        return rc;
    char script[96];
    qtp_fmt(script, sizeof script, "%s.gp", c->name);
    if ((rc = qtp_rpt_run_gnuplot(gnuplot, x->outdir, script, x->r->stop, x->err, x->errlen)))
        return rc;
    c->drawn = true;
    return 0;
}

int qtp_rpt_inside_charts(const struct qtp_rpt *r, const char *outdir, const char *gnuplot,
                          struct qtp_rpt_inside *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    struct qtp_chart_ctx x = {r, outdir, NULL, 0, err, errlen};
    in->counters.name = "counters";
    in->counters.title = "Kernel events per event";
    int rc = draw_counters(&x, &in->counters, gnuplot);
    for (size_t t = 0; !rc && t < r->ntopologies && in->nseries < QTP_RPT_MAX_SERIES; t++) {
        struct qtp_rpt_chart *c = &in->series[in->nseries];
        qtp_fmt(in->series_name[in->nseries], sizeof in->series_name[0], "series-%zu", t + 1);
        c->name = in->series_name[in->nseries];
        c->title = r->topologies[t];
        rc = draw_series(&x, c, t, gnuplot);
        if (!rc && c->drawn)
            in->nseries++;
    }
    return rc;
}

static void figure(FILE *f, const struct qtp_rpt_chart *c)
{
    fprintf(f, "<div class=\"chart\" id=\"chart-%s\"><h3>", c->name);
    qtp_rpt_html_escape(f, c->title);
    fprintf(f, "</h3>\n<img src=\"%s.svg\" alt=\"", c->name);
    qtp_rpt_html_escape(f, c->title);
    fputs("\"/>\n<p class=\"caption\">", f);
    qtp_rpt_html_escape(f, c->caption);
    fprintf(f,
            "</p>\n<p class=\"files\"><a href=\"%s.dat\">%s.dat</a> · <a href=\"%s.gp\">%s.gp"
            "</a> · <a href=\"%s.png\">%s.png</a></p></div>\n",
            c->name, c->name, c->name, c->name, c->name, c->name);
}

void qtp_rpt_inside_html(FILE *f, const struct qtp_rpt *r, const struct qtp_rpt_inside *in)
{
    if (!in || (!qtp_rpt_counted(r) && !in->nseries))
        return;
    fputs("<h2 id=\"inside\">Inside the reps</h2>\n", f);
    if (qtp_rpt_counted(r)) {
        fputs("<h3>Kernel events per event</h3>\n<table class=\"cells\">\n<tr><th>topology</th>"
              "<th>queue/wait</th>",
              f);
        for (int e = 0; e < QTP_NCOUNTER_EVENTS; e++)
            fprintf(f, "<th>%s</th>", qtp_counter_event_names[e]);
        fputs("</tr>\n", f);
        const char *why_first[QTP_NCOUNTER_EVENTS] = {NULL};
        for (size_t k = 0; k < r->ncells; k++) {
            const struct qtp_rpt_cell *cell = &r->cells[k];
            if (!cell->s->ok)
                continue;
            fputs("<tr><td>", f);
            qtp_rpt_html_escape(f, cell->first->topology);
            fputs("</td><td>", f);
            qtp_rpt_html_escape(f, r->variants[cell->variant]);
            fputs("</td>", f);
            for (int e = 0; e < QTP_NCOUNTER_EVENTS; e++) {
                const char *why;
                double v = counter_median(r, cell, e, &why);
                if (isfinite(v)) {
                    fprintf(f, "<td class=\"n\">%.4g</td>", v);
                } else {
                    if (!why_first[e])
                        why_first[e] = why ? why : "not counted";
                    fputs("<td class=\"n\" title=\"", f);
                    qtp_rpt_html_escape(f, why ? why : "not counted");
                    fputs("\"><i>unavailable</i></td>", f);
                }
            }
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
        for (int e = 0; e < QTP_NCOUNTER_EVENTS; e++)
            if (why_first[e]) {
                fprintf(f, "<p class=\"note\">%s: not counted: ", qtp_counter_event_names[e]);
                qtp_rpt_html_escape(f, why_first[e]);
                /* and what the machine itself allows, as the run probed it */
                const json_t *here =
                    json_object_get(json_object_get(json_object_get(r->meta, "counters_here"),
                                                    qtp_counter_event_names[e]),
                                    "unavailable");
                if (json_is_string(here)) {
                    fputs("; this machine: ", f);
                    qtp_rpt_html_escape(f, json_string_value(here));
                }
                fputs("</p>\n", f);
            }
        if (in->counters.drawn)
            figure(f, &in->counters);
    }
    for (size_t i = 0; i < in->nseries; i++)
        figure(f, &in->series[i]);
}

void qtp_rpt_counters_td(FILE *f, const struct qtp_rpt *r, const struct qtp_rpt_cell *cell)
{
    fputs("<td class=\"n\">", f);
    bool any = false;
    for (int e = 0; cell->s->ok && e < QTP_NCOUNTER_EVENTS; e++) {
        const char *why;
        double v = counter_median(r, cell, e, &why);
        if (!isfinite(v))
            continue; /* not counted: the reasons are under "Inside the reps" */
        fprintf(f, "%s%s %.3g", any ? "<br/>" : "", qtp_counter_event_names[e], v);
        any = true;
    }
    fputs(any ? "</td>" : "-</td>", f);
}
