/* compare.c - qtopo compare (qtp_compare.h). */
#include "qtp_compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_stats.h"

/* ---- metrics: a table, walked by the parser, the help text and the comparison ---- */

struct metric {
    const char *name;
    const char *summary;
    bool higher_is_better;
    bool latency;                                    /* needs latency_ns.count > 0 */
    double (*value)(const struct qtp_rep_record *r); /* NAN: no value */
};

static double m_throughput(const struct qtp_rep_record *r)
{
    return r->throughput_eps;
}
static double m_mean(const struct qtp_rep_record *r)
{
    return r->latency_ns.mean;
}
static double m_p50(const struct qtp_rep_record *r)
{
    return (double)r->latency_ns.p50;
}
static double m_p90(const struct qtp_rep_record *r)
{
    return (double)r->latency_ns.p90;
}
static double m_p99(const struct qtp_rep_record *r)
{
    return (double)r->latency_ns.p99;
}
static double m_p999(const struct qtp_rep_record *r)
{
    return (double)r->latency_ns.p999;
}
static double m_p9999(const struct qtp_rep_record *r)
{
    return (double)r->latency_ns.p9999;
}
static double m_max(const struct qtp_rep_record *r)
{
    return (double)r->latency_ns.max;
}
static double m_alloc(const struct qtp_rep_record *r)
{
    return r->alloc.per_event;
}

static const struct metric metrics[] = {
    {"throughput", "events/s over the measured window", true, false, m_throughput},
    {"mean", "mean latency, ns", false, true, m_mean},
    {"p50", "median latency, ns", false, true, m_p50},
    {"p90", "90th percentile latency, ns", false, true, m_p90},
    {"p99", "99th percentile latency, ns", false, true, m_p99},
    {"p999", "99.9th percentile latency, ns", false, true, m_p999},
    {"p9999", "99.99th percentile latency, ns", false, true, m_p9999},
    {"max", "maximum latency, ns", false, true, m_max},
    {"alloc", "allocation calls per event", false, false, m_alloc},
};
#define NMETRICS (sizeof metrics / sizeof metrics[0])

static const struct metric *find_metric(const char *name)
{
    for (size_t i = 0; i < NMETRICS; i++)
        if (strcmp(metrics[i].name, name) == 0)
            return &metrics[i];
    return NULL;
}

const char *qtp_compare_metric_names(void)
{
    static char names[256];
    if (!names[0]) {
        for (size_t i = 0; i < NMETRICS; i++) {
            if (i)
                strcat(names, ", ");
            strcat(names, metrics[i].name);
        }
    }
    return names;
}

int qtp_compare_metric_check(const char *name)
{
    return find_metric(name) ? 0 : EINVAL;
}

static const char *const verdict_names[] = {"improved", "unchanged", "regressed", "not comparable"};

const char *qtp_verdict_name(enum qtp_verdict v)
{
    return (unsigned)v < 4 ? verdict_names[v] : "?";
}

/* ---- the comparison ---- */

/* Distinct cell ids of a row set in order of first appearance (pointers into the rows). */
static const char **cells_of(const struct qtp_rows *rows, size_t *n)
{
    const char **ids = malloc((rows->n ? rows->n : 1) * sizeof *ids);
    *n = 0;
    if (!ids)
        return NULL;
    for (size_t i = 0; i < rows->n; i++) {
        size_t k = 0;
        while (k < *n && strcmp(ids[k], rows->v[i].cell) != 0)
            k++;
        if (k == *n)
            ids[(*n)++] = rows->v[i].cell;
    }
    return ids;
}

/* Values of metric m over the ok reps of cell; *any: how many rows the cell has at all. */
static size_t sample(const struct qtp_rows *rows, const char *cell, const struct metric *m,
                     double *out, size_t *any, size_t *ok, const char **skip_reason)
{
    size_t n = 0;
    *any = *ok = 0;
    *skip_reason = NULL;
    for (size_t i = 0; i < rows->n; i++) {
        const struct qtp_rep_record *r = &rows->v[i];
        if (strcmp(r->cell, cell) != 0)
            continue;
        (*any)++;
        if (r->status != QTP_STATUS_OK) {
            if (!*skip_reason && r->reason[0])
                *skip_reason = r->reason;
            continue;
        }
        (*ok)++;
        if (m->latency && r->latency_ns.count == 0)
            continue;
        double v = m->value(r);
        if (!isnan(v))
            out[n++] = v;
    }
    return n;
}

static void compare_one(struct qtp_compare_row *row, const struct metric *m, const double *b,
                        size_t nb, const double *nw, size_t nn, const struct qtp_compare_opts *o)
{
    row->median_base = qtp_stats_median(b, nb);
    row->median_new = qtp_stats_median(nw, nn);
    size_t need = qtp_stats_mwu_min_reps(o->alpha);
    if (qtp_stats_mwu_min_p(nb, nn) >= o->alpha) {
        row->verdict = QTP_VERDICT_NOT_COMPARABLE;
        row->too_few_reps = true;
        snprintf(row->reason, sizeof row->reason,
                 "too few reps to test: %zu in BASE, %zu in NEW; at alpha %g the test needs at "
                 "least %zu per side",
                 nb, nn, o->alpha, need);
        return;
    }
    struct qtp_mwu t;
    if (qtp_stats_mwu(b, nb, nw, nn, &t) != 0) {
        row->verdict = QTP_VERDICT_NOT_COMPARABLE;
        snprintf(row->reason, sizeof row->reason, "values cannot be tested");
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

int qtp_compare_rows(const struct qtp_rows *base, const struct qtp_rows *new_rows,
                     const struct qtp_compare_opts *o, struct qtp_compare_row **out, size_t *nout,
                     size_t *matched)
{
    *out = NULL;
    *nout = *matched = 0;
    if (!(o->alpha > 0 && o->alpha <= 0.5) || !(o->threshold >= 0) || o->nmetrics == 0 ||
        o->nmetrics > QTP_COMPARE_MAX_METRICS)
        return EINVAL;
    const struct metric *ms[QTP_COMPARE_MAX_METRICS];
    for (size_t i = 0; i < o->nmetrics; i++)
        if (!(ms[i] = find_metric(o->metrics[i])))
            return EINVAL;

    size_t nbc, nnc;
    const char **bc = cells_of(base, &nbc), **nc = cells_of(new_rows, &nnc);
    size_t maxrows = (nbc + nnc) * o->nmetrics;
    struct qtp_compare_row *rows = calloc(maxrows ? maxrows : 1, sizeof *rows);
    double *bv = malloc((base->n ? base->n : 1) * sizeof *bv);
    double *nv = malloc((new_rows->n ? new_rows->n : 1) * sizeof *nv);
    if (!bc || !nc || !rows || !bv || !nv) {
        free(bc);
        free(nc);
        free(rows);
        free(bv);
        free(nv);
        return ENOMEM;
    }
    size_t n = 0;
    for (size_t side = 0; side < 2; side++) {
        /* Pass 0: every BASE cell; pass 1: cells only in NEW. */
        const char **cells = side ? nc : bc;
        size_t ncells = side ? nnc : nbc;
        for (size_t c = 0; c < ncells; c++) {
            const char *cell = cells[c];
            if (side) {
                size_t k = 0;
                while (k < nbc && strcmp(bc[k], cell) != 0)
                    k++;
                if (k < nbc)
                    continue;
            }
            bool both = false;
            for (size_t mi = 0; mi < o->nmetrics; mi++) {
                struct qtp_compare_row *row = &rows[n++];
                snprintf(row->cell, sizeof row->cell, "%s", cell);
                row->metric = ms[mi]->name;
                row->higher_is_better = ms[mi]->higher_is_better;
                row->p = row->ratio = row->ratio_lo = row->ratio_hi = NAN;
                row->median_base = row->median_new = NAN;
                size_t b_any, b_ok, n_any, n_ok;
                const char *b_why, *n_why;
                size_t nb = sample(base, cell, ms[mi], bv, &b_any, &b_ok, &b_why);
                size_t nn = sample(new_rows, cell, ms[mi], nv, &n_any, &n_ok, &n_why);
                row->n_base = nb;
                row->n_new = nn;
                both = b_any && n_any;
                row->verdict = QTP_VERDICT_NOT_COMPARABLE;
                if (!b_any || !n_any)
                    snprintf(row->reason, sizeof row->reason, "only in %s", b_any ? "BASE" : "NEW");
                else if (!b_ok || !n_ok)
                    snprintf(row->reason, sizeof row->reason, "no ok reps in %s%s%s",
                             !b_ok ? "BASE" : "NEW", (!b_ok ? b_why : n_why) ? ": " : "",
                             (!b_ok ? b_why : n_why) ? (!b_ok ? b_why : n_why) : "");
                else if (!nb || !nn)
                    snprintf(row->reason, sizeof row->reason, "no %s recorded in %s",
                             ms[mi]->latency ? "latency" : ms[mi]->name, !nb ? "BASE" : "NEW");
                else
                    compare_one(row, ms[mi], bv, nb, nv, nn, o);
            }
            if (both)
                (*matched)++;
        }
    }
    free(bc);
    free(nc);
    free(bv);
    free(nv);
    *out = rows;
    *nout = n;
    return 0;
}

/* ---- output ---- */

static void fmt_num(char *buf, size_t len, double v)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.4g", v);
}

static void fmt_change(char *buf, size_t len, double ratio)
{
    if (isnan(ratio))
        snprintf(buf, len, "-");
    else if (isinf(ratio))
        snprintf(buf, len, "%s", ratio > 0 ? "+inf%" : "-inf%");
    else
        snprintf(buf, len, "%+.1f%%", (ratio - 1) * 100);
}

static void fmt_ci(char *buf, size_t len, double lo, double hi)
{
    char a[32], b[32];
    if (isnan(lo) || isnan(hi)) {
        snprintf(buf, len, "-");
        return;
    }
    fmt_change(a, sizeof a, lo);
    fmt_change(b, sizeof b, hi);
    snprintf(buf, len, "[%s, %s]", a, b);
}

static void fmt_p(char *buf, size_t len, double p)
{
    if (isnan(p))
        snprintf(buf, len, "-");
    else if (p < 0.0001)
        snprintf(buf, len, "%.1e", p);
    else
        snprintf(buf, len, "%.4f", p);
}

struct report {
    const char *base, *new_dir;
    const struct qtp_compare_opts *o;
    const struct qtp_compare_row *rows;
    size_t n, matched;
    size_t count[4];
};

static void print_table(FILE *out, const struct report *rp)
{
    int cw = 4;
    for (size_t i = 0; i < rp->n; i++) {
        int l = (int)strlen(rp->rows[i].cell);
        cw = l > cw ? l : cw;
    }
    char ci_head[32];
    snprintf(ci_head, sizeof ci_head, "%g%% CI", (1 - rp->o->alpha) * 100);
    fprintf(out, "%-*s  %-10s  %10s  %10s  %8s  %-20s  %9s  %5s  %s\n", cw, "cell", "metric",
            "base", "new", "change", ci_head, "p", "reps", "verdict");
    for (size_t i = 0; i < rp->n; i++) {
        const struct qtp_compare_row *r = &rp->rows[i];
        char mb[32], mn[32], ch[32], ci[80], p[32], reps[32];
        fmt_num(mb, sizeof mb, r->median_base);
        fmt_num(mn, sizeof mn, r->median_new);
        fmt_change(ch, sizeof ch, r->ratio);
        fmt_ci(ci, sizeof ci, r->ratio_lo, r->ratio_hi);
        fmt_p(p, sizeof p, r->p);
        snprintf(reps, sizeof reps, "%zu/%zu", r->n_base, r->n_new);
        fprintf(out, "%-*s  %-10s  %10s  %10s  %8s  %-20s  %9s  %5s  %s%s%s\n", cw, r->cell,
                r->metric, mb, mn, ch, ci, p, reps,
                r->verdict == QTP_VERDICT_REGRESSED ? "REGRESSED" : qtp_verdict_name(r->verdict),
                r->reason[0] ? ": " : "", r->reason);
    }
    fprintf(out,
            "\n%zu regressed, %zu improved, %zu unchanged, %zu not comparable "
            "(%zu cells on both sides; two-sided Mann-Whitney U, alpha %g, threshold %g%%; change "
            "= Hodges-Lehmann NEW/BASE - 1)\n",
            rp->count[QTP_VERDICT_REGRESSED], rp->count[QTP_VERDICT_IMPROVED],
            rp->count[QTP_VERDICT_UNCHANGED], rp->count[QTP_VERDICT_NOT_COMPARABLE], rp->matched,
            rp->o->alpha, rp->o->threshold * 100);
}

static int write_markdown(FILE *out, void *arg)
{
    const struct report *rp = arg;
    fprintf(out,
            "**qtopo compare**: %zu regressed, %zu improved, %zu unchanged, %zu not comparable "
            "(two-sided Mann-Whitney U, alpha %g, threshold %g%%)\n\n",
            rp->count[QTP_VERDICT_REGRESSED], rp->count[QTP_VERDICT_IMPROVED],
            rp->count[QTP_VERDICT_UNCHANGED], rp->count[QTP_VERDICT_NOT_COMPARABLE], rp->o->alpha,
            rp->o->threshold * 100);
    fprintf(out,
            "| verdict | cell | metric | base median | new median | change | %g%% CI | p | "
            "reps |\n|---|---|---|---:|---:|---:|---|---:|---:|\n",
            (1 - rp->o->alpha) * 100);
    for (size_t i = 0; i < rp->n; i++) {
        const struct qtp_compare_row *r = &rp->rows[i];
        char mb[32], mn[32], ch[32], ci[80], p[32];
        fmt_num(mb, sizeof mb, r->median_base);
        fmt_num(mn, sizeof mn, r->median_new);
        fmt_change(ch, sizeof ch, r->ratio);
        fmt_ci(ci, sizeof ci, r->ratio_lo, r->ratio_hi);
        fmt_p(p, sizeof p, r->p);
        const char *v = qtp_verdict_name(r->verdict);
        fprintf(out, "| %s%s%s%s%s | `%s` | %s | %s | %s | %s | %s | %s | %zu/%zu |\n",
                r->verdict == QTP_VERDICT_REGRESSED ? "**" : "", v,
                r->verdict == QTP_VERDICT_REGRESSED ? "**" : "", r->reason[0] ? ": " : "",
                r->reason, r->cell, r->metric, mb, mn, ch, ci, p, r->n_base, r->n_new);
    }
    return ferror(out) ? EIO : 0;
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int write_json(FILE *out, void *arg)
{
    const struct report *rp = arg;
    json_t *rows = json_array(), *ms = json_array();
    for (size_t i = 0; i < rp->o->nmetrics; i++)
        json_array_append_new(ms, json_string(rp->o->metrics[i]));
    for (size_t i = 0; i < rp->n; i++) {
        const struct qtp_compare_row *r = &rp->rows[i];
        json_array_append_new(
            rows,
            json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:s,s:s}", "cell",
                      r->cell, "metric", r->metric, "better",
                      r->higher_is_better ? "higher" : "lower", "n_base", (json_int_t)r->n_base,
                      "n_new", (json_int_t)r->n_new, "median_base", jnum(r->median_base),
                      "median_new", jnum(r->median_new), "ratio", jnum(r->ratio), "ratio_lo",
                      jnum(r->ratio_lo), "ratio_hi", jnum(r->ratio_hi), "change_pct",
                      jnum((r->ratio - 1) * 100), "p", jnum(r->p), "exact", (int)r->exact,
                      "verdict", qtp_verdict_name(r->verdict), "reason", r->reason));
    }
    json_t *doc = json_pack("{s:s,s:s,s:o,s:f,s:f,s:f,s:s,s:I,s:{s:I,s:I,s:I,s:I},s:o,s:i}", "base",
                            rp->base, "new", rp->new_dir, "metrics", ms, "alpha", rp->o->alpha,
                            "threshold_pct", rp->o->threshold * 100, "confidence", 1 - rp->o->alpha,
                            "test", "two-sided Mann-Whitney U; ratio: Hodges-Lehmann NEW/BASE",
                            "cells_matched", (json_int_t)rp->matched, "summary", "regressed",
                            (json_int_t)rp->count[QTP_VERDICT_REGRESSED], "improved",
                            (json_int_t)rp->count[QTP_VERDICT_IMPROVED], "unchanged",
                            (json_int_t)rp->count[QTP_VERDICT_UNCHANGED], "not_comparable",
                            (json_int_t)rp->count[QTP_VERDICT_NOT_COMPARABLE], "rows", rows, "exit",
                            rp->count[QTP_VERDICT_REGRESSED] ? 1 : 0);
    if (!doc)
        return ENOMEM;
    int rc = json_dumpf(doc, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF ? 0 : EIO;
    json_decref(doc);
    return rc;
}

/* ---- command line ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: qtopo compare BASE NEW [--metric LIST] [--threshold PCT] [--alpha A]\n"
            "                     [--json FILE] [--markdown FILE]\n"
            "\n"
            "Compare two results directories cell by cell. For each cell on both sides and each\n"
            "metric, the ok reps of both sides go through a two-sided Mann-Whitney U test; the\n"
            "change is the Hodges-Lehmann estimate of NEW/BASE with its confidence interval at\n"
            "1 - alpha. A cell is regressed when p < alpha and the change is worse than the\n"
            "threshold (throughput lower, latency or allocation higher).\n"
            "\n"
            "  --metric LIST     comma-separated, default throughput,p99; accepted: %s\n"
            "  --threshold PCT   smallest change that counts, in percent (default 5)\n"
            "  --alpha A         significance level in (0, 0.5] (default 0.05); at 0.05 each side\n"
            "                    needs at least %zu ok reps\n"
            "  --json FILE       also write the comparison as JSON\n"
            "  --markdown FILE   also write it as a Markdown table\n"
            "\n"
            "Exit status: 0 no regression, 1 a significant regression, 2 bad input (usage, a\n"
            "missing or damaged results directory, no matching cells, too few reps to test).\n",
            qtp_compare_metric_names(), qtp_stats_mwu_min_reps(0.05));
}

static int bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_input(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("qtopo compare: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* "--name VALUE" or "--name=VALUE": the value, advancing *i; NULL if argv[*i] is not --name. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != 0)
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || (*end && strcmp(end, "%") != 0) || !isfinite(v))
        return EINVAL;
    *out = v;
    return 0;
}

static int load_side(const char *label, const char *dir, struct qtp_rows *rows)
{
    char err[600];
    struct qtp_results_load_info info;
    int rc = qtp_results_load(dir, rows, &info, err, sizeof err);
    if (rc) {
        if (rc == EINVAL)
            return bad_input("%s %s: damaged results: %s", label, dir, err);
        return bad_input("%s: %s", label, err);
    }
    if (info.truncated_line)
        fprintf(stderr,
                "qtopo compare: warning: %s %s: results.jsonl line %zu is cut short (an "
                "interrupted run?): ignored\n",
                label, dir, info.truncated_line);
    return 0;
}

int qtp_compare_main(int argc, char **argv)
{
    struct qtp_compare_opts o = {.threshold = 0.05, .alpha = 0.05};
    const char *pos[2] = {NULL, NULL}, *json_path = NULL, *md_path = NULL;
    char metric_buf[256] = "throughput,p99";
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int missing = 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--metric", &missing))) {
            if (strlen(v) >= sizeof metric_buf)
                return bad_input("--metric list too long");
            strcpy(metric_buf, v);
        } else if ((v = opt_value(argc, argv, &i, "--threshold", &missing))) {
            if (parse_double(v, &o.threshold) || o.threshold < 0 || o.threshold >= 100)
                return bad_input(
                    "bad --threshold '%s' (accepted: a percentage in [0, 100), e.g. 5)", v);
            o.threshold /= 100;
        } else if ((v = opt_value(argc, argv, &i, "--alpha", &missing))) {
            if (parse_double(v, &o.alpha) || strchr(v, '%') || !(o.alpha > 0 && o.alpha <= 0.5))
                return bad_input("bad --alpha '%s' (accepted: a number in (0, 0.5], e.g. 0.05)", v);
        } else if ((v = opt_value(argc, argv, &i, "--json", &missing))) {
            json_path = v;
        } else if ((v = opt_value(argc, argv, &i, "--markdown", &missing))) {
            md_path = v;
        } else if (missing) {
            return bad_input("%s needs a value (see qtopo compare --help)", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != 0) {
            return bad_input("unknown option '%s' (accepted: --metric, --threshold, --alpha, "
                             "--json, --markdown, --help)",
                             argv[i]);
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            return bad_input("too many arguments: '%s' (usage: qtopo compare BASE NEW [options])",
                             argv[i]);
        }
        if (missing)
            return bad_input("%s needs a value (see qtopo compare --help)", argv[i]);
    }
    if (npos != 2)
        return bad_input("needs two results directories (usage: qtopo compare BASE NEW "
                         "[options]; see --help)");
    char *save = NULL;
    for (char *m = strtok_r(metric_buf, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
        const struct metric *mt = find_metric(m);
        if (!mt)
            return bad_input("unknown metric '%s' (accepted: %s)", m, qtp_compare_metric_names());
        size_t k = 0;
        while (k < o.nmetrics && strcmp(o.metrics[k], mt->name) != 0)
            k++;
        if (k == o.nmetrics && o.nmetrics < QTP_COMPARE_MAX_METRICS)
            o.metrics[o.nmetrics++] = mt->name;
    }
    if (o.nmetrics == 0)
        return bad_input("--metric is empty (accepted: %s)", qtp_compare_metric_names());

    struct qtp_rows base = {0}, nw = {0};
    struct qtp_compare_row *rows = NULL;
    size_t n = 0, matched = 0;
    int status = load_side("BASE", pos[0], &base);
    if (!status)
        status = load_side("NEW", pos[1], &nw);
    if (!status && qtp_compare_rows(&base, &nw, &o, &rows, &n, &matched) != 0)
        status = bad_input("out of memory");
    if (status)
        goto out;

    struct report rp = {pos[0], pos[1], &o, rows, n, matched, {0}};
    const struct qtp_compare_row *short_row = NULL;
    for (size_t i = 0; i < n; i++) {
        rp.count[rows[i].verdict]++;
        if (rows[i].too_few_reps && !short_row)
            short_row = &rows[i];
    }
    if (matched == 0) {
        status = bad_input("no matching cells: BASE %s and NEW %s have no cell in common (compare "
                           "results of the same matrix)",
                           pos[0], pos[1]);
        goto out;
    }
    if (rp.count[QTP_VERDICT_NOT_COMPARABLE] == n) {
        if (short_row)
            status = bad_input("too few reps to test: cell %s has %zu ok reps in BASE and %zu in "
                               "NEW; the two-sided Mann-Whitney test at alpha %g needs at least "
                               "%zu ok reps per side (run with -r %zu or more)",
                               short_row->cell, short_row->n_base, short_row->n_new, o.alpha,
                               qtp_stats_mwu_min_reps(o.alpha), qtp_stats_mwu_min_reps(o.alpha));
        else
            status = bad_input("nothing to compare: no cell has ok reps with the metrics on both "
                               "sides (%s: %s)",
                               rows[0].cell, rows[0].reason);
        goto out;
    }
    if (short_row)
        fprintf(stderr, "qtopo compare: warning: %s: %s\n", short_row->cell, short_row->reason);

    print_table(stdout, &rp);
    fflush(stdout);
    int rc = 0;
    if (json_path && (rc = qtp_results_write_atomic(json_path, write_json, &rp)) != 0) {
        status = bad_input("cannot write %s: %s", json_path, strerror(rc));
        goto out;
    }
    if (md_path && (rc = qtp_results_write_atomic(md_path, write_markdown, &rp)) != 0) {
        status = bad_input("cannot write %s: %s", md_path, strerror(rc));
        goto out;
    }
    status = rp.count[QTP_VERDICT_REGRESSED] ? 1 : 0;
out:
    free(rows);
    qtp_rows_free(&base);
    qtp_rows_free(&nw);
    return status;
}
