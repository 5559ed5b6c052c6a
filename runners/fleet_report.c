/* fleet_report.c - the report of a merge of several machines (fleet_report.h): each machine's own
 * report, and one page with the machine axis side by side.
 *
 * Every number on the page is a cell summary's median over its ok reps (qtp_summary.h), the same
 * as each machine's own report shows; a cell with no ok rep is no number. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet_report.h"
#include "qtp_deploy.h"
#include "qtp_format.h"
#include "qtp_results.h"
#include "qtp_summary.h"
#include "qtp_text.h"
#include "report.h"

struct machine {
    const json_t *entry; /* meta.json's "machines" row */
    char dir[PATH_MAX];
    struct qtp_rows rows;
    struct qtp_summary sum;
    char report[PATH_MAX + 32]; /* its own report's index.html, "" if it has none */
    char why[512];              /* why not */
};

/* A point of the matrix but for what varies in a table's columns or cells: key and a row. */
struct kind {
    char key[1024];
    const struct qtp_rep_record *first;
};

struct kinds {
    struct kind *v;
    size_t n;
};

static const bool skip_placement[QTP_NCELL_NAMES] = {[QTP_NAME_PLACEMENT] = true};
static const bool skip_variant[QTP_NCELL_NAMES] = {
    [QTP_NAME_PLACEMENT] = true, [QTP_NAME_QUEUE] = true, [QTP_NAME_WAIT] = true};

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
}

static int collect(struct kinds *k, struct machine *m, size_t nm, const bool *skip)
{
    for (size_t i = 0; i < nm; i++)
        for (size_t c = 0; c < m[i].sum.ncells; c++) {
            char key[1024];
            const struct qtp_rep_record *r = m[i].sum.cells[c].first;
            qtp_cell_key(r, skip, NULL, key, sizeof key);
            size_t j = 0;
            while (j < k->n && strcmp(k->v[j].key, key))
                j++;
            if (j < k->n)
                continue;
            struct kind *nv = realloc(k->v, (k->n + 1) * sizeof *nv);
            if (!nv)
                return ENOMEM;
            k->v = nv;
            qtp_fmt(k->v[k->n].key, sizeof k->v[k->n].key, "%s", key);
            k->v[k->n++].first = r;
        }
    return 0;
}

/* The ok cell of machine m with the highest median throughput among those whose key (with
 * skip) is key, and that pass keep (NULL: all); NULL if none. */
static const struct qtp_cell_summary *best(const struct machine *m, const char *key,
                                           const bool *skip, int family)
{
    const struct qtp_cell_summary *b = NULL;
    for (size_t c = 0; c < m->sum.ncells; c++) {
        const struct qtp_cell_summary *cs = &m->sum.cells[c];
        char k[1024];
        qtp_cell_key(cs->first, skip, NULL, k, sizeof k);
        double t = qtp_cell_stat(cs, QTP_METRIC_THROUGHPUT, QTP_STAT_MEDIAN);
        if (strcmp(k, key) || !(t > 0))
            continue;
        if (family >= 0) {
            const struct qtp_queue_kind *q = qtp_queue_kind_find(cs->first->queue);
            bool ring = q && q->family == QTP_FAMILY_RING;
            if (!q || ring != (family == QTP_FAMILY_RING))
                continue;
        }
        if (!b || t > qtp_cell_stat(b, QTP_METRIC_THROUGHPUT, QTP_STAT_MEDIAN))
            b = cs;
    }
    return b;
}

static void kind_label(FILE *f, const struct qtp_rep_record *r, const struct qtp_rep_record *ref,
                       bool variant)
{
    char params[512];
    qtp_params_text(&r->params, &ref->params, params, sizeof params);
    fputs("<td>", f);
    esc(f, r->topology);
    if (params[0]) {
        fputs(" <small>", f);
        esc(f, params);
        fputs("</small>", f);
    }
    if (strcmp(r->memory, ref->memory)) {
        fputs(" <small>memory ", f);
        esc(f, r->memory);
        fputs("</small>", f);
    }
    fputs("</td>", f);
    if (variant) {
        fputs("<td>", f);
        esc(f, r->queue);
        fputs("/", f);
        esc(f, r->wait);
        fputs("</td>", f);
    }
}

static void machine_heads(FILE *f, const struct machine *m, size_t nm, const char *first)
{
    fputs("<tr>", f);
    fputs(first, f);
    for (size_t i = 0; i < nm; i++) {
        fputs("<th>", f);
        esc(f, json_string_value(json_object_get(m[i].entry, "key")));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
}

static void desc_cell(FILE *f, const json_t *d, const char *key)
{
    const json_t *v = json_object_get(d, key);
    fputs("<td>", f);
    if (json_is_string(v))
        esc(f, json_string_value(v));
    else if (json_is_integer(v))
        fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_array(v) && json_is_string(json_array_get(v, 0))) {
        size_t i;
        const json_t *c;
        json_array_foreach((json_t *)v, i, c)
        {
            fputs(i ? ", " : "", f);
            esc(f, json_string_value(c));
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *c;
        json_array_foreach((json_t *)v, i, c)
        {
            double kb = (double)json_integer_value(json_object_get(c, "size_bytes")) / 1024;
            fprintf(f, "%s", i ? ", " : "");
            esc(f, json_string_value(json_object_get(c, "name")));
            fprintf(f, " %g%s &times; %lld", kb >= 1024 ? kb / 1024 : kb,
                    kb >= 1024 ? " MiB" : " KiB",
                    (long long)json_integer_value(json_object_get(c, "instances")));
        }
        if (!json_array_size(v))
            fputs("unknown", f);
    } else
        fputs("–", f);
    fputs("</td>", f);
}

static void machines_section(FILE *f, const struct machine *m, size_t nm, const json_t *meta)
{
    static const struct {
        const char *label, *key;
    } rows[] = {{"Host", "hostname"},         {"CPU", "cpu_model"}, {"Packages", "packages"},
                {"Cores", "cores"},           {"PUs", "pus"},       {"SMT (PUs per core)", "smt"},
                {"NUMA nodes", "numa_nodes"}, {"Caches", "caches"}, {"Kernel", "kernel"}};
    fputs("<h2 id=\"machines\">Machines</h2>\n<table>\n", f);
    machine_heads(f, m, nm, "<th></th>");
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        fprintf(f, "<tr><th>%s</th>", rows[r].label);
        for (size_t i = 0; i < nm; i++)
            desc_cell(f, json_object_get(m[i].entry, "description"), rows[r].key);
        fputs("</tr>\n", f);
    }
    fputs("<tr><th>Hosts its slices ran on</th>", f);
    for (size_t i = 0; i < nm; i++)
        desc_cell(f, m[i].entry, "hosts");
    fputs("</tr>\n<tr><th>Cells ok / run</th>", f);
    for (size_t i = 0; i < nm; i++) {
        size_t ok = 0, ran = 0;
        for (size_t c = 0; c < m[i].sum.ncells; c++) {
            ok += m[i].sum.cells[c].status == QTP_STATUS_OK;
            ran += m[i].sum.cells[c].status != QTP_STATUS_SKIPPED;
        }
        fprintf(f, "<td>%zu / %zu</td>", ok, ran);
    }
    fputs("</tr>\n<tr><th>Its own report</th>", f);
    for (size_t i = 0; i < nm; i++) {
        fputs("<td>", f);
        if (m[i].report[0]) {
            fputs("<a href=\"", f);
            esc(f, m[i].report);
            fputs("\">all its charts</a>", f);
        } else {
            esc(f, m[i].why);
        }
        fputs("</td>", f);
    }
    fputs("</tr>\n</table>\n", f);

    fputs("<h2 id=\"missing\">Missing slices</h2>\n", f);
    size_t nmiss = 0;
    const json_t *reported = json_object_get(meta, "reported_missing");
    fputs("<table><tr><th>machine</th><th>slice</th><th>why</th><th>log</th></tr>\n", f);
    for (size_t i = 0; i < nm; i++) {
        size_t j;
        const json_t *x;
        json_array_foreach(json_object_get(m[i].entry, "missing"), j, x)
        {
            fputs("<tr><td>", f);
            esc(f, json_string_value(json_object_get(m[i].entry, "key")));
            fputs("</td><td>", f);
            esc(f, json_string_value(json_object_get(x, "slice")));
            fputs("</td><td>", f);
            esc(f, json_string_value(json_object_get(x, "reason")));
            fputs("</td><td></td></tr>\n", f);
            nmiss++;
        }
    }
    size_t j;
    const json_t *x;
    json_array_foreach((json_t *)reported, j, x)
    {
        static const char *const keys[] = {"machine", "slice", "reason", "log"};
        fputs("<tr>", f);
        for (size_t k = 0; k < 4; k++) {
            fputs("<td>", f);
            esc(f, json_string_value(json_object_get(x, keys[k])));
            fputs(k == 0 ? " <small>(machine type, as the scheduler ran it)</small></td>" : "</td>",
                  f);
        }
        fputs("</tr>\n", f);
        nmiss++;
    }
    fputs("</table>\n", f);
    if (!nmiss)
        fputs("<p>None: every slice of every machine is here.</p>\n", f);
}

static void rate_ns(FILE *f, const struct qtp_cell_summary *c, bool p99)
{
    char t[64], l[64];
    if (!c) {
        fputs("<td>–</td>", f);
        return;
    }
    qtp_format_rate(qtp_cell_stat(c, QTP_METRIC_THROUGHPUT, QTP_STAT_MEDIAN), QTP_STYLE_PAGE, t,
                    sizeof t);
    qtp_format_ns(qtp_cell_stat(c, QTP_METRIC_P99, QTP_STAT_MEDIAN), QTP_STYLE_PAGE, l, sizeof l);
    fprintf(f, "<td>%s", t);
    if (p99)
        fprintf(f, "<br><small>p99 %s</small>", l);
    fputs("</td>", f);
}

static int write_page(FILE *f, const char *dir, const json_t *meta, struct machine *m, size_t nm)
{
    struct kinds kinds = {0}, configs = {0};
    int rc = collect(&kinds, m, nm, skip_placement);
    if (!rc)
        rc = collect(&configs, m, nm, skip_variant);
    if (rc || !kinds.n) {
        free(kinds.v);
        free(configs.v);
        return rc ? rc : EINVAL;
    }
    const struct qtp_rep_record *ref = kinds.v[0].first;
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>qtopo: ", f);
    esc(f, dir);
    fputs(" — machines side by side</title>\n<style>body{font-family:sans-serif;margin:2em}"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px "
          "8px;text-align:left;vertical-align:top}th{background:#f3f3f3}small{color:#555}"
          "</style></head><body>\n<h1>qtopo: one matrix on several machines</h1>\n<p>",
          f);
    esc(f, dir);
    fprintf(f,
            " — matrix %s, %zu machines. Numbers are medians over each cell's ok reps "
            "(every rep checked against the sequential model); \"–\": no ok rep.</p>\n",
            json_string_value(json_object_get(meta, "matrix_hash")), nm);
    fputs("<p><a href=\"#machines\">Machines</a> · <a href=\"#missing\">Missing slices</a> · <a "
          "href=\"#throughput\">Throughput and p99</a> · <a href=\"#speedup\">Ring speed-up</a> · "
          "<a href=\"#placement\">Best placement</a></p>\n",
          f);
    machines_section(f, m, nm, meta);

    fputs("<h2 id=\"throughput\">Throughput and p99 per topology × queue/wait</h2>\n<p>Each "
          "machine's best placement for the cell (by median throughput; which one is in <a "
          "href=\"#placement\">Best placement</a>), its median throughput and median p99 "
          "latency.</p>\n<table>\n",
          f);
    machine_heads(f, m, nm, "<th>topology</th><th>queue/wait</th>");
    for (size_t k = 0; k < kinds.n; k++) {
        fputs("<tr>", f);
        kind_label(f, kinds.v[k].first, ref, true);
        for (size_t i = 0; i < nm; i++)
            rate_ns(f, best(&m[i], kinds.v[k].key, skip_placement, -1), true);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);

    fputs("<h2 id=\"speedup\">Ring speed-up per machine</h2>\n<p>The best shared-ring cell's "
          "median throughput over the best per-edge-queue cell's (any wait, any placement) of the "
          "same topology and parameters; above 1, the ring is faster on that machine.</p>\n"
          "<table>\n",
          f);
    machine_heads(f, m, nm, "<th>topology</th>");
    for (size_t k = 0; k < configs.n; k++) {
        fputs("<tr>", f);
        kind_label(f, configs.v[k].first, ref, false);
        for (size_t i = 0; i < nm; i++) {
            const struct qtp_cell_summary *r = best(&m[i], configs.v[k].key, skip_variant,
                                                    QTP_FAMILY_RING),
                                          *q = best(&m[i], configs.v[k].key, skip_variant,
                                                    QTP_FAMILY_MUTEX);
            if (!r || !q) {
                fputs("<td>–</td>", f);
                continue;
            }
            double ratio = qtp_cell_stat(r, QTP_METRIC_THROUGHPUT, QTP_STAT_MEDIAN) /
                           qtp_cell_stat(q, QTP_METRIC_THROUGHPUT, QTP_STAT_MEDIAN);
            fprintf(f, "<td>%.2f&times;<br><small>", ratio);
            esc(f, r->first->queue);
            fputs("/", f);
            esc(f, r->first->wait);
            fputs(" ", f);
            esc(f, r->first->placement);
            fputs(" ÷ ", f);
            esc(f, q->first->queue);
            fputs("/", f);
            esc(f, q->first->wait);
            fputs(" ", f);
            esc(f, q->first->placement);
            fputs("</small></td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);

    fputs("<h2 id=\"placement\">Best placement per machine</h2>\n<p>The placement with the "
          "highest median throughput for each topology × queue/wait, with that throughput.</p>\n"
          "<table>\n",
          f);
    machine_heads(f, m, nm, "<th>topology</th><th>queue/wait</th>");
    for (size_t k = 0; k < kinds.n; k++) {
        fputs("<tr>", f);
        kind_label(f, kinds.v[k].first, ref, true);
        for (size_t i = 0; i < nm; i++) {
            const struct qtp_cell_summary *b = best(&m[i], kinds.v[k].key, skip_placement, -1);
            char t[64];
            if (!b) {
                fputs("<td>–</td>", f);
                continue;
            }
            qtp_format_rate(qtp_cell_stat(b, QTP_METRIC_THROUGHPUT, QTP_STAT_MEDIAN),
                            QTP_STYLE_PAGE, t, sizeof t);
            fputs("<td><b>", f);
            esc(f, b->first->placement);
            fprintf(f, "</b> <small>%s</small></td>", t);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n</body></html>\n", f);
    free(kinds.v);
    free(configs.v);
    return ferror(f) ? EIO : 0;
}

struct page_args {
    const char *dir;
    const json_t *meta;
    struct machine *m;
    size_t nm;
};

static int page_fn(FILE *f, void *arg)
{
    struct page_args *a = arg;
    return write_page(f, a->dir, a->meta, a->m, a->nm);
}

int qtp_fleet_report(const char *dir, const json_t *meta, const char *out_dir,
                     const json_t *registries, char *index, size_t index_len, char *err,
                     size_t errlen)
{
    const json_t *entries = json_object_get(meta, "machines");
    size_t nm = json_array_size(entries);
    struct machine *m = calloc(nm ? nm : 1, sizeof *m);
    if (!m)
        return ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < nm && !rc; i++) {
        m[i].entry = json_array_get(entries, i);
        qtp_fmt(m[i].dir, sizeof m[i].dir, "%s/%s", dir,
                json_string_value(json_object_get(m[i].entry, "dir")));
        char e[1024];
        rc = qtp_results_load(m[i].dir, &m[i].rows, NULL, e, sizeof e);
        if (rc == ENOENT) /* every slice of it missing: no rows, still a column */
            rc = 0;
        else if (rc)
            qtp_set_err(err, errlen, "%s: %s", m[i].dir, e);
        if (!rc)
            rc = qtp_summary_build(&m[i].sum, m[i].rows.v, m[i].rows.n);
        /* Its own report, where it always is; a machine without one is said so on the page. */
        struct qtp_report_opts o = {m[i].dir, NULL, registries, NULL};
        char own[PATH_MAX + 32];
        if (!rc && qtp_report_write(&o, own, sizeof own, e, sizeof e) == 0) {
            /* Relative when the page is DIR/report, so that DIR can be moved whole. */
            if (out_dir)
                qtp_fmt(m[i].report, sizeof m[i].report, "%s", own);
            else
                qtp_fmt(m[i].report, sizeof m[i].report, "../%s/report/index.html",
                        json_string_value(json_object_get(m[i].entry, "dir")));
        } else if (!rc)
            qtp_fmt(m[i].why, sizeof m[i].why, "none: %s", e);
    }
    char out[PATH_MAX], tmp[PATH_MAX + 32], page[PATH_MAX + 64];
    qtp_fmt(out, sizeof out, "%s", out_dir ? out_dir : "");
    if (!out_dir)
        qtp_fmt(out, sizeof out, "%s/report", dir);
    qtp_fmt(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    qtp_fmt(page, sizeof page, "%s/index.html", out);
    struct stat st;
    if (!rc && stat(out, &st) == 0 && (access(page, F_OK) != 0 || !S_ISDIR(st.st_mode))) {
        qtp_set_err(err, errlen, "%s exists and is not a qtopo report (accepted: a new directory)",
                    out);
        rc = EEXIST;
    }
    if (!rc && mkdir(tmp, 0777) != 0) {
        rc = errno;
        qtp_set_err(err, errlen, "cannot create %s: %s", tmp, strerror(rc));
    }
    struct page_args a = {dir, meta, m, nm};
    char tpage[PATH_MAX + 64];
    qtp_fmt(tpage, sizeof tpage, "%s/index.html", tmp);
    if (!rc && (rc = qtp_results_write_atomic(tpage, page_fn, &a)))
        qtp_set_err(err, errlen, "%s: %s", dir,
                    rc == EINVAL ? "no machine has any rows" : strerror(rc));
    if (!rc && access(page, F_OK) == 0) {
        /* An earlier report: replaced by this one. */
        unlink(page);
        rmdir(out);
    }
    if (!rc && rename(tmp, out) != 0) {
        rc = errno;
        qtp_set_err(err, errlen, "cannot move the report to %s: %s", out, strerror(rc));
    }
    if (rc) {
        unlink(tpage);
        rmdir(tmp);
    } else if (index && !realpath(page, index)) {
        qtp_fmt(index, index_len, "%s", page);
    }
    for (size_t i = 0; i < nm; i++) {
        qtp_summary_free(&m[i].sum);
        qtp_rows_free(&m[i].rows);
    }
    free(m);
    return rc;
}
