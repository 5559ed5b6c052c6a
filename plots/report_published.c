/* report_published.c - the "published vs measured" section of a reproduced experiment.
 *
 * `scripts/reproduce NAME` runs an experiment's matrix (runners/experiments/NAME.json) and copies
 * the experiment file into the results directory as experiment.json; `qtopo report` then finds it
 * and adds this section. Each row of an experiment compares a ratio num / den of one metric: the
 * published one (one figure per machine the source measured on) with the one measured here, from
 * the medians of two cells of this run (or a constant, such as the sequential model's time).
 * Ratios first, because they travel between machines; the absolute figures are shown for context.
 * A row is "reproduced" when the measured ratio lies within the experiment's factor ("within") of
 * the range of the published ratios; the rule is printed above the table.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chart.h"
#include "qtp_format.h"
#include "qtp_text.h"
#include "report_int.h"

#define EXPERIMENT_FILE "experiment.json"
/* What a benchmark experiment measured ({"cases": {NAME: value}}), written by scripts/reproduce. */
#define BENCH_FILE "bench.json"

/* A metric a row may compare besides qtopo compare's: a cell's window length, a benchmark's. */
static bool extra_metric(const char *m)
{
    return strcmp(m, "elapsed") == 0 || strcmp(m, "ms") == 0;
}

/* ---- reading experiment.json ---- */

static int bad(char *err, size_t errlen, const char *dir, const char *what)
{
    qtp_set_err(err, errlen, "%s/" EXPERIMENT_FILE ": %s", dir, what);
    return EINVAL;
}

static void copy_str(char *dst, size_t len, const json_t *v)
{
    snprintf(dst, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* The published figures of one side: an array of numbers or nulls, one per machine. */
static int read_published(const json_t *a, size_t nmachines, double *out, char *why, size_t len)
{
    if (!json_is_array(a) || json_array_size(a) != nmachines) {
        snprintf(why, len,
                 "\"published\" must be an array of %zu numbers or nulls (one per machine)",
                 nmachines);
        return EINVAL;
    }
    for (size_t m = 0; m < nmachines; m++) {
        const json_t *v = json_array_get(a, m);
        if (json_is_null(v)) {
            out[m] = NAN;
        } else if (json_is_number(v) && isfinite(json_number_value(v)) &&
                   json_number_value(v) > 0) {
            out[m] = json_number_value(v);
        } else {
            snprintf(why, len, "\"published\"[%zu] is not a positive number or null", m);
            return EINVAL;
        }
    }
    return 0;
}

/* Does the cell's first row have every coordinate the selector names? EINVAL for a key that is
 * neither a cell name nor a parameter. */
static int cell_matches(const json_t *sel, const struct qtp_rep_record *row, bool *yes, char *why,
                        size_t len)
{
    const char *key;
    const json_t *v;
    *yes = true;
    json_object_foreach((json_t *)sel, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < QTP_NCELL_NAMES && !known; i++)
            if (strcmp(key, qtp_cell_names[i].name) == 0) {
                known = true;
                if (!json_is_string(v)) {
                    snprintf(why, len, "cell key \"%s\" must be a string", key);
                    return EINVAL;
                }
                if (strcmp((const char *)row + qtp_cell_names[i].offset, json_string_value(v)))
                    *yes = false;
            }
        for (size_t p = 0; p < QTP_NPARAMS && !known; p++)
            if (strcmp(key, qtp_params[p].name) == 0) {
                known = true;
                if (!json_is_number(v)) {
                    snprintf(why, len, "cell key \"%s\" must be a number", key);
                    return EINVAL;
                }
                if (qtp_param_real(&row->params, &qtp_params[p]) != json_number_value(v))
                    *yes = false;
            }
        if (!known) {
            snprintf(why, len, "unknown cell key \"%s\" (a cell name or a parameter)", key);
            return EINVAL;
        }
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of a row's elapsed_s over the cell's ok reps (the window's length). */
static double median_elapsed(const struct qtp_rpt *r, const struct qtp_cell_summary *s)
{
    double v[QTP_PUB_MAX_REPS];
    size_t n = 0;
    for (size_t i = 0; i < s->reps && n < QTP_PUB_MAX_REPS; i++) {
        const struct qtp_rep_record *row = &r->rows[s->rows[i]];
        if (row->status == QTP_STATUS_OK && isfinite(row->elapsed_s))
            v[n++] = row->elapsed_s;
    }
    if (!n)
        return NAN;
    qsort(v, n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One side of a row: its name, published figures, and the measured value (a cell's median of the
 * row's metric, or a constant). */
static int read_side(const struct qtp_rpt *r, const json_t *benches, const json_t *o,
                     const char *metric, size_t nmachines, struct qtp_pub_side *s, char *why,
                     size_t len)
{
    if (!json_is_object(o) || !json_is_string(json_object_get(o, "name"))) {
        snprintf(why, len, "a side must be an object with a \"name\"");
        return EINVAL;
    }
    copy_str(s->name, sizeof s->name, json_object_get(o, "name"));
    int rc = read_published(json_object_get(o, "published"), nmachines, s->published, why, len);
    if (rc)
        return rc;
    s->measured = NAN;
    const json_t *secs = json_object_get(o, "seconds"), *sel = json_object_get(o, "cell");
    const json_t *bench = json_object_get(o, "bench");
    if (json_is_number(secs) && json_number_value(secs) > 0 && !sel) {
        s->measured = json_number_value(secs);
        snprintf(s->what, sizeof s->what, "constant");
        return 0;
    }
    if (json_is_string(bench)) { /* a case of the experiment's benchmark (BENCH_FILE) */
        const json_t *v =
            json_object_get(json_object_get(benches, "cases"), json_string_value(bench));
        if (json_is_number(v) && isfinite(json_number_value(v)) && json_number_value(v) > 0)
            s->measured = json_number_value(v);
        snprintf(s->what, sizeof s->what, "%s: %s", BENCH_FILE,
                 json_is_number(v) ? json_string_value(bench) : "no such case measured");
        return 0;
    }
    if (!json_is_object(sel)) {
        snprintf(why, len, "side \"%s\" needs a \"cell\" object (or \"seconds\" > 0, or \"bench\")",
                 s->name);
        return EINVAL;
    }
    const struct qtp_metric *m = extra_metric(metric) ? NULL : qtp_metric_find(metric);
    size_t matched = 0;
    const struct qtp_rpt_cell *hit = NULL, *first = NULL;
    for (size_t i = 0; i < r->ncells; i++) {
        bool yes;
        if ((rc = cell_matches(sel, r->cells[i].first, &yes, why, len)))
            return rc;
        if (!yes)
            continue;
        matched++;
        if (!first)
            first = &r->cells[i];
        if (!hit && r->cells[i].s->ok)
            hit = &r->cells[i];
    }
    if (!hit) {
        snprintf(s->what, sizeof s->what, "%s",
                 !first                ? "no cell of this run matches"
                 : first->s->reason[0] ? first->s->reason
                                       : "no ok rep");
        return 0;
    }
    s->measured = m ? qtp_cell_stat(hit->s, (enum qtp_metric_id)(m - qtp_metrics), QTP_STAT_MEDIAN)
                    : median_elapsed(r, hit->s) * (strcmp(metric, "ms") == 0 ? 1e3 : 1);
    s->threads = hit->first->nthreads;
    snprintf(s->what, sizeof s->what, "%s%s", hit->first->cell,
             matched > 1 ? " (first of several matching cells)" : "");
    return 0;
}

static void verdict(struct qtp_rpt_pub *p, struct qtp_pub_row *row, unsigned pus)
{
    double lo = INFINITY, hi = 0;
    for (size_t m = 0; m < p->nmachines; m++) {
        double v = row->num.published[m] / row->den.published[m];
        row->pub_ratio[m] = v; /* NAN where either side has no figure */
        if (isfinite(v)) {
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
    }
    row->ratio = row->num.measured / row->den.measured;
    char mr[32], plo[32], phi[32];
    qtp_chart_ratio_text(row->ratio, mr, sizeof mr);
    qtp_chart_ratio_text(lo, plo, sizeof plo);
    qtp_chart_ratio_text(hi, phi, sizeof phi);
    if (!isfinite(row->ratio)) {
        row->state = QTP_PUB_UNMEASURED;
        snprintf(row->verdict, sizeof row->verdict, "not measured: %s",
                 isfinite(row->num.measured) ? row->den.what : row->num.what);
    } else if (hi == 0) {
        row->state = QTP_PUB_NO_FIGURE;
        snprintf(row->verdict, sizeof row->verdict, "measured %s; no published figure to compare",
                 mr);
    } else {
        bool in = row->ratio >= lo / p->within && row->ratio <= hi * p->within;
        row->state = in ? QTP_PUB_REPRODUCED : QTP_PUB_NOT_REPRODUCED;
        snprintf(row->verdict, sizeof row->verdict, "%s: measured %s, published %s%s%s",
                 in ? "reproduced" : "not reproduced", mr, plo, lo == hi ? "" : "–",
                 lo == hi ? "" : phi);
    }
    unsigned t = row->num.threads > row->den.threads ? row->num.threads : row->den.threads;
    if (pus && t > pus)
        snprintf(row->oversub, sizeof row->oversub,
                 "%u threads on %u PUs: oversubscribed here, while the source gave every thread "
                 "its own core",
                 t, pus);
}

int qtp_rpt_published_load(struct qtp_rpt_pub *p, const struct qtp_rpt *r, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    char path[4200];
    snprintf(path, sizeof path, "%s/" EXPERIMENT_FILE, r->dir);
    FILE *probe = fopen(path, "r");
    if (!probe)
        return errno == ENOENT ? 0
                               : (qtp_set_err(err, errlen, "%s: %s", path, strerror(errno)), EIO);
    fclose(probe);
    json_error_t je;
    json_t *e = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!e) {
        qtp_set_err(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return EINVAL;
    }
    int rc = EINVAL;
    json_t *benches = NULL;
    char why[300] = "";
    const json_t *machines = json_object_get(e, "machines"), *rows = json_object_get(e, "rows");
    const json_t *within = json_object_get(e, "within"), *caveats = json_object_get(e, "caveats");
    if (!json_is_object(e) || !json_is_string(json_object_get(e, "name")) ||
        !json_is_string(json_object_get(e, "source"))) {
        rc = bad(err, errlen, r->dir, "needs \"name\" and \"source\" strings");
        goto out;
    }
    if (!json_is_array(machines) || !json_array_size(machines) ||
        json_array_size(machines) > QTP_PUB_MAX_MACHINES) {
        rc = bad(err, errlen, r->dir, "\"machines\" must list 1 to 4 machines");
        goto out;
    }
    if (!json_is_array(rows) || !json_array_size(rows) ||
        json_array_size(rows) > QTP_PUB_MAX_ROWS) {
        rc = bad(err, errlen, r->dir, "\"rows\" must hold 1 to 32 rows");
        goto out;
    }
    if (!json_is_number(within) || !(json_number_value(within) >= 1)) {
        rc = bad(err, errlen, r->dir, "\"within\" must be a factor >= 1");
        goto out;
    }
    copy_str(p->name, sizeof p->name, json_object_get(e, "name"));
    copy_str(p->title, sizeof p->title, json_object_get(e, "title"));
    copy_str(p->source, sizeof p->source, json_object_get(e, "source"));
    p->within = json_number_value(within);
    p->nmachines = json_array_size(machines);
    for (size_t m = 0; m < p->nmachines; m++)
        copy_str(p->machines[m], sizeof p->machines[m], json_array_get(machines, m));
    for (size_t c = 0; json_is_array(caveats) && c < json_array_size(caveats) &&
                       p->ncaveats < QTP_PUB_MAX_CAVEATS;
         c++)
        copy_str(p->caveats[p->ncaveats++], sizeof p->caveats[0], json_array_get(caveats, c));

    const json_t *pus = qtp_rpt_meta_find(r->meta, "pus");
    snprintf(path, sizeof path, "%s/" BENCH_FILE, r->dir);
    benches = json_load_file(path, JSON_REJECT_DUPLICATES, &je); /* NULL: none */
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *o = json_array_get(rows, i);
        struct qtp_pub_row *row = &p->rows[p->nrows++];
        const json_t *metric = json_object_get(o, "metric");
        if (!json_is_object(o) || !json_is_string(json_object_get(o, "label")) ||
            !json_is_string(metric) ||
            (!extra_metric(json_string_value(metric)) &&
             !qtp_metric_find(json_string_value(metric)))) {
            snprintf(why, sizeof why,
                     "row %zu needs a \"label\" and a \"metric\" (elapsed, ms, or a metric of "
                     "qtopo compare)",
                     i + 1);
            rc = bad(err, errlen, r->dir, why);
            goto out;
        }
        copy_str(row->label, sizeof row->label, json_object_get(o, "label"));
        copy_str(row->metric, sizeof row->metric, metric);
        copy_str(row->note, sizeof row->note, json_object_get(o, "note"));
        char side_why[256] = "";
        if (read_side(r, benches, json_object_get(o, "num"), row->metric, p->nmachines, &row->num,
                      side_why, sizeof side_why) ||
            read_side(r, benches, json_object_get(o, "den"), row->metric, p->nmachines, &row->den,
                      side_why, sizeof side_why)) {
            snprintf(why, sizeof why, "row %zu: %s", i + 1, side_why);
            rc = bad(err, errlen, r->dir, why);
            goto out;
        }
        verdict(p, row, json_is_integer(pus) ? (unsigned)json_integer_value(pus) : 0);
    }
    p->present = true;
    rc = 0;
out:
    json_decref(benches);
    json_decref(e);
    return rc;
}

/* ---- the chart: published ratios per machine and the measured one, per row, log scale ---- */

static const char *const series_colors[] = {"#9e9e9e", "#bdbdbd", "#757575", "#616161"};

int qtp_rpt_published_chart(struct qtp_rpt_pub *p, const struct qtp_rpt *r, const char *outdir,
                            const char *gnuplot, char *err, size_t errlen)
{
    struct qtp_rpt_chart *c = &p->chart;
    memset(c, 0, sizeof *c);
    c->name = "published";
    c->title = "Published vs measured ratios";
    struct qtp_chart_ctx x = {.r = r, .outdir = outdir, .err = err, .errlen = errlen};
    size_t nseries = p->nmachines + 1, drawn = 0;
    double ymin = INFINITY, ymax = 0, width = 0.8 / (double)nseries;
    FILE *f = qtp_chart_open(&x, c->name, "dat");
    if (!f)
        return EIO;
    for (size_t s = 0; s < nseries; s++) {
        for (size_t i = 0; i < p->nrows; i++) {
            const struct qtp_pub_row *row = &p->rows[i];
            double v = s < p->nmachines ? row->pub_ratio[s] : row->ratio;
            if (!isfinite(v) || v <= 0)
                continue;
            ymin = fmin(ymin, v);
            ymax = fmax(ymax, v);
            drawn++;
            fprintf(f, "%.6g ", (double)(i + 1) + ((double)s - (double)(nseries - 1) / 2) * width);
            qtp_dat_num(f, v);
            fputc(' ', f);
            qtp_dat_label(f, row->label);
            fputc('\n', f);
        }
        /* A point left of the x range, so a series with no ratio is still an index. */
        fputs("0 1 \"\"\n\n\n", f);
    }
    int rc = qtp_chart_close(&x, f, c->name, "dat");
    if (rc)
        return rc;
    if (!drawn) {
        snprintf(c->why, sizeof c->why, "no row has both a published and a measured ratio");
        return 0;
    }
    /* gnuplot reads a tic label as a format: a row named "99%" must say "99%%". */
    char tics[QTP_PUB_MAX_ROWS][2 * sizeof p->rows[0].label];
    const char *labels[QTP_PUB_MAX_ROWS], *series[QTP_PUB_MAX_MACHINES + 1];
    const char *colors[QTP_PUB_MAX_MACHINES + 1];
    for (size_t i = 0; i < p->nrows; i++) {
        char *o = tics[i];
        for (const char *ch = p->rows[i].label; *ch; ch++) {
            if (*ch == '%')
                *o++ = '%';
            *o++ = *ch;
        }
        *o = '\0';
        labels[i] = tics[i];
    }
    for (size_t s = 0; s < p->nmachines; s++) {
        series[s] = p->machines[s];
        colors[s] = series_colors[s % (sizeof series_colors / sizeof series_colors[0])];
    }
    series[p->nmachines] = "measured here";
    colors[p->nmachines] = "#1565c0";
    if (!(f = qtp_chart_open(&x, c->name, "gp")))
        return EIO;
    qtp_gp_begin(f, c, 520 + 110 * (int)p->nrows, 560, p->title[0] ? p->title : p->name);
    fprintf(f, "ngroups = %zu\nnseries = %zu\nbarwidth = %.4f\n", p->nrows, nseries, width);
    /* The 1x line always in view: above it num is the larger. */
    fprintf(f, "ymin = %.6g\nymax = %.6g\n", fmin(ymin / 2, 0.5), fmax(ymax * 2, 2));
    qtp_gp_strs(f, "groups", labels, p->nrows);
    qtp_gp_strs(f, "series", series, nseries);
    qtp_gp_strs(f, "colors", colors, nseries);
    qtp_gp_end(f, c->name);
    if ((rc = qtp_chart_close(&x, f, c->name, "gp")))
        return rc;
    if ((rc = qtp_rpt_run_gnuplot(gnuplot, outdir, "published.gp", x.r->stop, err, errlen)))
        return rc;
    c->drawn = true;
    snprintf(c->caption, sizeof c->caption,
             "Each row's ratio as the source published it on each of its machines (grey) and as "
             "measured here (blue); log scale.");
    return 0;
}

/* ---- the section ---- */

static void td_text(FILE *f, const char *cls, const char *text)
{
    fprintf(f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    qtp_rpt_html_escape(f, text);
    fputs("</td>", f);
}

static void td_ratio(FILE *f, double v)
{
    char buf[32] = "–";
    if (isfinite(v))
        qtp_chart_ratio_text(v, buf, sizeof buf);
    td_text(f, "n", buf);
}

/* An absolute figure in the row metric's unit: a rate, a duration, or a plain number. */
static void td_value(FILE *f, const char *metric, double v)
{
    char buf[48];
    if (strcmp(metric, "throughput") == 0)
        qtp_format_rate(v, QTP_STYLE_PAGE, buf, sizeof buf);
    else if (strcmp(metric, "elapsed") == 0)
        qtp_format_ns(v * 1e9, QTP_STYLE_PAGE, buf, sizeof buf);
    else if (strcmp(metric, "ms") == 0)
        qtp_format_ns(v * 1e6, QTP_STYLE_PAGE, buf, sizeof buf);
    else if (strcmp(metric, "alloc") == 0 || strcmp(metric, "bytes") == 0)
        snprintf(buf, sizeof buf, isfinite(v) ? "%.4g" : "–", v);
    else
        qtp_format_ns(v, QTP_STYLE_PAGE, buf, sizeof buf);
    td_text(f, "n", buf);
}

/* A table's header row: lead, a column per machine of the source (its name after prefix), tail. */
static void table_head(FILE *f, const struct qtp_rpt_pub *p, const char *lead, const char *prefix,
                       const char *tail)
{
    fputs(lead, f);
    for (size_t m = 0; m < p->nmachines; m++) {
        fprintf(f, "<th>%s", prefix);
        qtp_rpt_html_escape(f, p->machines[m]);
        fputs("</th>", f);
    }
    fputs(tail, f);
}

static const char *const state_class[] = {"ok", "bad", "muted", "muted"};

void qtp_rpt_published_section(FILE *f, const struct qtp_rpt_pub *p)
{
    fputs("<h2 id=\"published\">Published vs measured: ", f);
    qtp_rpt_html_escape(f, p->title[0] ? p->title : p->name);
    fputs("</h2>\n<p>Source: ", f);
    qtp_rpt_html_escape(f, p->source);
    fprintf(f,
            "</p>\n<p>A row is <b>reproduced</b> when the ratio measured here lies within a "
            "factor of %.3g of the range of the published ratios (the ratio is what travels "
            "between machines; the absolute figures below are context).</p>\n",
            p->within);
    if (p->ncaveats) {
        fputs("<ul>\n", f);
        for (size_t i = 0; i < p->ncaveats; i++) {
            fputs("<li>", f);
            qtp_rpt_html_escape(f, p->caveats[i]);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }
    if (p->chart.drawn)
        qtp_rpt_chart_figure(f, &p->chart);
    else {
        fputs("<p>Chart left out: ", f);
        qtp_rpt_html_escape(f, p->chart.why);
        fputs("</p>\n", f);
    }
    table_head(f, p, "<table>\n<tr><th>row</th><th>ratio</th>",
               "published: ", "<th>measured here</th><th>verdict</th></tr>\n");
    for (size_t i = 0; i < p->nrows; i++) {
        const struct qtp_pub_row *row = &p->rows[i];
        char ratio[256];
        snprintf(ratio, sizeof ratio, "%s ÷ %s (%s)", row->num.name, row->den.name, row->metric);
        fputs("<tr>", f);
        td_text(f, NULL, row->label);
        td_text(f, NULL, ratio);
        for (size_t m = 0; m < p->nmachines; m++)
            td_ratio(f, row->pub_ratio[m]);
        td_ratio(f, row->ratio);
        fprintf(f, "<td class=\"%s\">", state_class[row->state]);
        qtp_rpt_html_escape(f, row->verdict);
        for (int n = 0; n < 2; n++) {
            const char *text = n ? row->oversub : row->note;
            if (!text[0])
                continue;
            fputs("<br/><small>", f);
            qtp_rpt_html_escape(f, text);
            fputs("</small>", f);
        }
        fputs("</td></tr>\n", f);
    }
    table_head(f, p,
               "</table>\n<h3>The absolute figures</h3>\n<table>\n<tr><th>row</th><th>side</th>",
               "", "<th>measured here</th><th>from</th></tr>\n");
    for (size_t i = 0; i < p->nrows; i++)
        for (int s = 0; s < 2; s++) {
            const struct qtp_pub_row *row = &p->rows[i];
            const struct qtp_pub_side *side = s ? &row->den : &row->num;
            fputs("<tr>", f);
            td_text(f, NULL, s ? "" : row->label);
            td_text(f, NULL, side->name);
            for (size_t m = 0; m < p->nmachines; m++)
                td_value(f, row->metric, side->published[m]);
            td_value(f, row->metric, side->measured);
            td_text(f, NULL, side->what);
            fputs("</tr>\n", f);
        }
    fputs("</table>\n", f);
}
