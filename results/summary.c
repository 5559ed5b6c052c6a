/* summary.c - rows into cells, the metrics, and summary.csv (qtp_summary.h). */
#include "qtp_summary.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_stats.h"
#include "qtp_text.h"

#define METRIC_DEF(id, name, field, type, higher, latency)                                         \
    [QTP_METRIC_##id] = {#name, higher, latency, type, offsetof(struct qtp_rep_record, field)},
const struct qtp_metric qtp_metrics[QTP_NMETRICS] = {QTP_METRICS(METRIC_DEF)};

const struct qtp_metric *qtp_metric_find(const char *name)
{
    for (size_t i = 0; name && i < QTP_NMETRICS; i++)
        if (strcmp(qtp_metrics[i].name, name) == 0)
            return &qtp_metrics[i];
    return NULL;
}

void qtp_metric_names(char *buf, size_t len)
{
    size_t at = 0;
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < QTP_NMETRICS && at < len; i++)
        at += (size_t)qtp_fmt(buf + at, len - at, "%s%s", i ? ", " : "", qtp_metrics[i].name);
}

double qtp_metric_value(const struct qtp_metric *m, const struct qtp_rep_record *r)
{
    if (m->latency && r->latency_ns.count == 0)
        return NAN;
    const char *at = (const char *)r + m->offset;
    return m->type == QTP_T_U64 ? (double)*(const uint64_t *)at : *(const double *)at;
}

/* ---- cells ---- */

size_t qtp_cell_values(const struct qtp_summary *s, const struct qtp_cell_summary *c,
                       enum qtp_metric_id m, double *out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->reps; i++) {
        const struct qtp_rep_record *r = &s->rows[c->rows[i]];
        if (r->status != QTP_STATUS_OK)
            continue;
        double v = qtp_metric_value(&qtp_metrics[m], r);
        if (!isnan(v))
            out[n++] = v;
    }
    return n;
}

static void summarize_cell(const struct qtp_summary *s, struct qtp_cell_summary *c, double *tmp)
{
    bool verified = true;
    c->reason = c->hist = "";
    for (size_t i = 0; i < c->reps; i++) {
        const struct qtp_rep_record *r = &s->rows[c->rows[i]];
        c->oversubscribed = c->oversubscribed || r->oversubscribed;
        switch (r->status) {
        case QTP_STATUS_FAILED:
            if (!c->failed++)
                c->reason = r->reason;
            break;
        case QTP_STATUS_SKIPPED:
            if (!c->failed && !c->reason[0])
                c->reason = r->reason;
            c->skipped++;
            break;
        case QTP_STATUS_OK:
            c->ok++;
            verified = verified && r->verified;
            if (!c->hist[0])
                c->hist = r->hist_file;
            break;
        }
    }
    c->status = c->failed ? QTP_STATUS_FAILED : (c->ok ? QTP_STATUS_OK : QTP_STATUS_SKIPPED);
    c->verified = c->ok && verified;
    for (size_t m = 0; m < QTP_NMETRICS; m++) {
        size_t n = qtp_cell_values(s, c, (enum qtp_metric_id)m, tmp);
        c->stat[m] = (struct qtp_stat){n, qtp_stats_median(tmp, n), qtp_stats_min(tmp, n),
                                       qtp_stats_max(tmp, n)};
    }
}

int qtp_summary_build(struct qtp_summary *s, const struct qtp_rep_record *rows, size_t n)
{
    memset(s, 0, sizeof *s);
    s->rows = rows;
    s->nrows = n;
    size_t *cell_of = malloc((n ? n : 1) * sizeof *cell_of);
    double *tmp = malloc((n ? n : 1) * sizeof *tmp);
    s->cells = calloc(n ? n : 1, sizeof *s->cells);
    s->index = malloc((n ? n : 1) * sizeof *s->index);
    if (!cell_of || !tmp || !s->cells || !s->index) {
        free(cell_of);
        free(tmp);
        qtp_summary_free(s);
        return ENOMEM;
    }
    /* Cells in order of first appearance; a matrix has at most thousands, so a linear search. */
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        while (c < s->ncells && strcmp(s->cells[c].first->cell, rows[i].cell) != 0)
            c++;
        if (c == s->ncells)
            s->cells[s->ncells++] = (struct qtp_cell_summary){.first = &rows[i], .first_row = i};
        s->cells[c].reps++;
        cell_of[i] = c;
    }
    size_t at = 0;
    for (size_t c = 0; c < s->ncells; c++) {
        s->cells[c].rows = s->index + at;
        at += s->cells[c].reps;
        s->cells[c].reps = 0;
    }
    for (size_t i = 0; i < n; i++) {
        struct qtp_cell_summary *c = &s->cells[cell_of[i]];
        s->index[(size_t)(c->rows - s->index) + c->reps++] = i;
    }
    for (size_t c = 0; c < s->ncells; c++)
        summarize_cell(s, &s->cells[c], tmp);
    free(cell_of);
    free(tmp);
    return 0;
}

void qtp_summary_free(struct qtp_summary *s)
{
    free(s->cells);
    free(s->index);
    memset(s, 0, sizeof *s);
}

const struct qtp_cell_summary *qtp_summary_find(const struct qtp_summary *s, const char *cell)
{
    for (size_t c = 0; c < s->ncells; c++)
        if (strcmp(s->cells[c].first->cell, cell) == 0)
            return &s->cells[c];
    return NULL;
}

double qtp_cell_stat(const struct qtp_cell_summary *c, enum qtp_metric_id m, enum qtp_stat_kind k)
{
    const struct qtp_stat *st = &c->stat[m];
    return k == QTP_STAT_MEDIAN ? st->median : k == QTP_STAT_MIN ? st->min : st->max;
}

/* ---- summary.csv ---- */

/* The statistics summary.csv has of each metric, in this order, each a column named
 * <metric>_<statistic> unless the metric names its one column. */
static const char *const stat_names[] = {"median", "min", "max"};
static const struct {
    unsigned stats; /* bit k: statistic k (enum qtp_stat_kind) */
    const char *column;
} csv_columns[QTP_NMETRICS] = {
    [QTP_METRIC_THROUGHPUT] = {7, NULL},
    [QTP_METRIC_P50] = {1, NULL},
    [QTP_METRIC_P90] = {1, NULL},
    [QTP_METRIC_P99] = {7, NULL},
    [QTP_METRIC_P999] = {1, NULL},
    [QTP_METRIC_P9999] = {1, NULL},
    [QTP_METRIC_MAX] = {1, NULL},
    [QTP_METRIC_ALLOC] = {1, "alloc_per_event"},
    [QTP_METRIC_BYTES] = {1, "bytes_per_event"},
    [QTP_METRIC_CPU] = {0, NULL}, /* not columns: summary.csv's layout predates them */
    [QTP_METRIC_DRAIN] = {0, NULL},
    [QTP_METRIC_FORCED] = {0, NULL},
};

static void put_num(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, ",%.10g", v);
    else
        fputc(',', out);
}

/* Text as one unquoted CSV field (gnuplot does not honour quotes around separators). */
static void put_text(FILE *out, const char *s, bool lead_comma)
{
    if (lead_comma)
        fputc(',', out);
    for (; *s; s++) {
        char c = *s;
        if (c == ',')
            c = ';';
        else if (c == '"')
            c = '\'';
        else if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        fputc(c, out);
    }
}

int qtp_summary_write_csv(const struct qtp_summary *s, FILE *out)
{
    bool col[QTP_NPARAMS];
    for (size_t i = 0; i < QTP_NPARAMS; i++) {
        col[i] = !(qtp_params[i].flags & QTP_PARAM_LATE);
        for (size_t c = 0; !col[i] && c < s->ncells; c++)
            col[i] = qtp_param_u64(&s->cells[c].first->params, &qtp_params[i]) != 0;
    }
    fputs("cell", out);
    for (size_t i = 0; i < QTP_NCELL_NAMES; i++)
        fprintf(out, ",%s", qtp_cell_names[i].name);
    for (size_t i = 0; i < QTP_NPARAMS; i++)
        if (col[i])
            fprintf(out, ",%s", qtp_params[i].name);
    fputs(",status,reps,reps_ok", out);
    for (size_t m = 0; m < QTP_NMETRICS; m++)
        for (unsigned k = 0; k < 3; k++)
            if (csv_columns[m].stats & 1u << k && csv_columns[m].column)
                fprintf(out, ",%s", csv_columns[m].column);
            else if (csv_columns[m].stats & 1u << k)
                fprintf(out, ",%s_%s", qtp_metrics[m].name, stat_names[k]);
    fputs(",verified,oversubscribed,reason\n", out);
    for (size_t c = 0; c < s->ncells; c++) {
        const struct qtp_cell_summary *cs = &s->cells[c];
        put_text(out, cs->first->cell, false);
        for (size_t i = 0; i < QTP_NCELL_NAMES; i++)
            put_text(out, (const char *)cs->first + qtp_cell_names[i].offset, true);
        for (size_t i = 0; i < QTP_NPARAMS; i++) {
            const struct qtp_param_def *d = &qtp_params[i];
            if (!col[i])
                continue;
            if (d->type == QTP_T_REAL)
                put_num(out, qtp_param_real(&cs->first->params, d));
            else
                fprintf(out, ",%" PRIu64, qtp_param_u64(&cs->first->params, d));
        }
        fprintf(out, ",%s,%zu,%zu", qtp_status_name(cs->status), cs->reps, cs->ok);
        for (size_t m = 0; m < QTP_NMETRICS; m++)
            for (unsigned k = 0; k < 3; k++)
                if (csv_columns[m].stats & 1u << k)
                    put_num(out, qtp_cell_stat(cs, (enum qtp_metric_id)m, (enum qtp_stat_kind)k));
        fprintf(out, ",%d,%d", cs->verified, cs->oversubscribed);
        put_text(out, cs->reason, true);
        fputc('\n', out);
    }
    return ferror(out) ? EIO : 0;
}

/* ---- as JSON ---- */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *qtp_cell_summary_to_json(const struct qtp_cell_summary *c)
{
    json_t *metrics = json_object();
    for (size_t m = 0; metrics && m < QTP_NMETRICS; m++) {
        const struct qtp_stat *st = &c->stat[m];
        if (json_object_set_new(metrics, qtp_metrics[m].name,
                                json_pack("{s:I,s:o,s:o,s:o}", "n", (json_int_t)st->n, "median",
                                          jnum(st->median), "min", jnum(st->min), "max",
                                          jnum(st->max)))) {
            json_decref(metrics);
            return NULL;
        }
    }
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:b,s:b,s:s,s:o}", "status", qtp_status_name(c->status),
                     "reps", (json_int_t)c->reps, "reps_ok", (json_int_t)c->ok, "reps_failed",
                     (json_int_t)c->failed, "reps_skipped", (json_int_t)c->skipped, "verified",
                     (int)c->verified, "oversubscribed", (int)c->oversubscribed, "reason",
                     c->reason, "metrics", metrics);
}
