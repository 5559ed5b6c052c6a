/* report_html.c - index.html: one self-contained page (inline CSS, no script, no network, only
 * relative links). Written as XHTML-compatible HTML so both an HTML and an XML parser accept it;
 * everything taken from the results is escaped. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtp_format.h"
#include "qtp_stats.h"
#include "report_int.h"

static const char css[] =
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',"
    "sans-serif;color:#1d2330;background:#eef0f3}\n"
    ".page{max-width:1240px;margin:0 auto;padding:22px 30px 40px;background:#fff;"
    "box-shadow:0 0 0 1px #e0e3e8}\n"
    "h1{font-size:26px;margin:0 0 2px}\n"
    "h2{font-size:20px;margin:30px 0 10px;padding-bottom:4px;border-bottom:2px solid #e3e6ea}\n"
    "h3{font-size:16px;margin:16px 0 6px}\n"
    "a{color:#0b5cad}\n"
    ".sub{color:#556070;margin:0 0 10px}\n"
    ".toc{margin:8px 0 0;padding:8px 12px;background:#f5f7f9;border-radius:4px}\n"
    ".toc a{margin-right:16px}\n"
    ".stats span{display:inline-block;margin-right:18px}\n"
    "table{border-collapse:collapse;font-size:13px;margin:4px 0 10px}\n"
    "th,td{padding:3px 8px;border-bottom:1px solid #eceef1;text-align:left;vertical-align:top}\n"
    "th{background:#f0f2f5;font-weight:600}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "table.kv th{min-width:150px;background:none;color:#556070;font-weight:500}\n"
    "table.cells{font-size:12px}\n"
    "table.cells tr:nth-child(even) td{background:#f9fafb}\n"
    ".st-ok{color:#176f2c}\n"
    ".st-failed{color:#b42318;font-weight:600}\n"
    ".st-skipped{color:#8a5a00}\n"
    ".chart{margin:14px 0 30px}\n"
    ".chart img{display:block;width:100%;height:auto;border:1px solid #e3e6ea}\n"
    ".caption{margin:6px 0 2px;max-width:1100px}\n"
    ".note{margin:2px 0;color:#8a5a00}\n"
    ".files{font-size:12px;color:#556070;margin:2px 0}\n"
    ".omitted{color:#556070;border-left:3px solid #d0d4da;padding-left:10px}\n"
    "pre{background:#f5f7f9;padding:8px 10px;overflow:auto;font-size:12px;margin:4px 0 10px}\n"
    "pre.tree{max-height:340px}\n"
    ".reason{white-space:pre-wrap;font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
    "font-size:12px}\n"
    ".cellid{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:11px;"
    "color:#556070}\n"
    ".raw li{margin:2px 0}\n"
    ".hist a{margin-right:10px;font-size:12px}\n"
    ".foot{margin-top:30px;color:#556070;font-size:12px}\n"
    ".cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 36px}\n"
    "@media (max-width:900px){.cols{grid-template-columns:minmax(0,1fr)}}\n";

/* Text and attribute values: & < > " ' escaped, control bytes dropped, invalid UTF-8 replaced
 * by U+FFFD (so the page stays well-formed whatever the results hold). */
void qtp_rpt_html_escape(FILE *f, const char *s)
{
    static const char *const entity[0x80] = {
        ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;"};
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned char c = *p;
        if (c < 0x80) {
            if (entity[c])
                fputs(entity[c], f);
            else if (c >= 0x20 || c == '\n' || c == '\t')
                fputc(c, f);
            p++;
            continue;
        }
        size_t n = (c >= 0xC2 && c <= 0xDF)   ? 2
                   : (c >= 0xE0 && c <= 0xEF) ? 3
                   : (c >= 0xF0 && c <= 0xF4) ? 4
                                              : 0;
        bool ok = n > 0;
        for (size_t i = 1; ok && i < n; i++)
            ok = (p[i] & 0xC0) == 0x80;
        /* Overlong forms, surrogates, beyond U+10FFFF. */
        if (ok && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) ||
                   (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
            ok = false;
        if (ok) {
            fwrite(p, 1, n, f);
            p += n;
        } else {
            fputs("\xEF\xBF\xBD", f);
            p++;
        }
    }
}

/* A relative URL: every byte outside [A-Za-z0-9-._~/] percent-encoded. */
static void url(FILE *f, const char *prefix, const char *path)
{
    const char *parts[2] = {prefix, path};
    for (int k = 0; k < 2; k++) {
        if (!parts[k] || !parts[k][0])
            continue;
        if (k == 1 && prefix && prefix[0])
            fputc('/', f);
        for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
            if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                strchr("-._~/", *p))
                fputc(*p, f);
            else
                fprintf(f, "%%%02X", *p);
        }
    }
}

static void html_link(FILE *f, const char *prefix, const char *path, const char *text)
{
    fputs("<a href=\"", f);
    url(f, prefix, path);
    fputs("\">", f);
    qtp_rpt_html_escape(f, text);
    fputs("</a>", f);
}

/* <p class="cls">text</p>, nothing when text is empty. */
static void paragraph(FILE *f, const char *cls, const char *text)
{
    if (!text[0])
        return;
    fprintf(f, "<p class=\"%s\">", cls);
    qtp_rpt_html_escape(f, text);
    fputs("</p>\n", f);
}

void qtp_rpt_chart_figure(FILE *f, const struct qtp_rpt_chart *c)
{
    static const struct {
        const char *ext, *text;
    } files[] = {{"png", "PNG"}, {"dat", "data"}, {"gp", "gnuplot script"}};
    char file[64];
    snprintf(file, sizeof file, "%s.svg", c->name);
    fputs("<img src=\"", f);
    url(f, NULL, file);
    fputs("\" alt=\"", f);
    qtp_rpt_html_escape(f, c->title);
    fputs("\"/>\n", f);
    paragraph(f, "caption", c->caption);
    paragraph(f, "note", c->note);
    fputs("<p class=\"files\">", f);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(file, sizeof file, "%s.%s", c->name, files[i].ext);
        if (i)
            fputs(" · ", f);
        html_link(f, NULL, file, files[i].text);
    }
    fputs("</p>\n", f);
}

static void charts_section(FILE *f, const struct qtp_rpt_chart *charts)
{
    fputs("<h2 id=\"charts\">Charts</h2>\n", f);
    for (size_t i = 0; i < QTP_RPT_NCHARTS; i++) {
        const struct qtp_rpt_chart *c = &charts[i];
        fprintf(f, "<div class=\"chart%s\" id=\"chart-%s\">\n<h3>%zu. ", c->drawn ? "" : " omitted",
                c->name, i + 1);
        qtp_rpt_html_escape(f, c->title);
        fputs("</h3>\n", f);
        if (c->drawn) {
            qtp_rpt_chart_figure(f, c);
        } else {
            fputs("<p>Left out: ", f);
            qtp_rpt_html_escape(f, c->why);
            fputs("</p>\n", f);
            paragraph(f, "note", c->note);
        }
        fputs("</div>\n", f);
    }
}

/* Each topology that ran: its diagram (ring wiring and per-edge wiring side by side), or why it
 * was left out, with the expression it is. */
static void topologies_section(FILE *f, const struct qtp_rpt *r)
{
    fputs("<h2 id=\"topologies\">Topologies</h2>\n", f);
    paragraph(f, "note", r->diagrams_left_out);
    for (size_t i = 0; i < r->ndiagrams; i++) {
        const struct qtp_rpt_diagram *d = &r->diagrams[i];
        fprintf(f, "<div class=\"chart%s\" id=\"topology-%zu\">\n<h3>",
                d->svg_file[0] ? "" : " omitted", i + 1);
        qtp_rpt_html_escape(f, d->topology);
        if (d->shape[0]) {
            fputs(" (", f);
            qtp_rpt_html_escape(f, d->shape);
            fputs(")", f);
        }
        fputs("</h3>\n", f);
        if (d->expr[0] && strcmp(d->expr, d->topology) != 0) {
            fputs("<p class=\"caption\"><code>", f);
            qtp_rpt_html_escape(f, d->expr);
            fputs("</code></p>\n", f);
        }
        if (d->svg_file[0]) {
            fputs("<img src=\"", f);
            url(f, NULL, d->svg_file);
            fputs("\" alt=\"the ring wiring and the per-edge wiring of ", f);
            qtp_rpt_html_escape(f, d->topology);
            fputs("\"/>\n", f);
        } else if (d->why[0]) {
            fputs("<p>Left out: ", f);
            qtp_rpt_html_escape(f, d->why);
            fputs("</p>\n", f);
        }
        if (d->dot_file[0]) {
            fputs("<p class=\"files\">", f);
            html_link(f, NULL, d->dot_file, "DOT");
            fputs("</p>\n", f);
        }
        fputs("</div>\n", f);
    }
}

static void td(FILE *f, const char *text)
{
    fputs("<td>", f);
    qtp_rpt_html_escape(f, text);
    fputs("</td>", f);
}

/* The row's names from `from` to the memory policy, a cell each. */
static void name_tds(FILE *f, const struct qtp_rep_record *row, enum qtp_cell_name_id from)
{
    for (int i = from; i < QTP_NCELL_NAMES; i++)
        td(f, (const char *)row + qtp_cell_names[i].offset);
}

static void num_td(FILE *f, const char *text)
{
    fputs("<td class=\"n\">", f);
    qtp_rpt_html_escape(f, text);
    fputs("</td>", f);
}

/* The statistics columns of the table of every cell (the median, min and max of a cell are over
 * its ok reps: NAN, shown as "–", when it has none). */
static const struct {
    const char *head;
    enum qtp_metric_id metric;
    enum qtp_stat_kind stat;
    void (*format)(double v, enum qtp_style style, char *buf, size_t len);
} cell_columns[] = {
    {"throughput median", QTP_METRIC_THROUGHPUT, QTP_STAT_MEDIAN, qtp_format_rate},
    {"min", QTP_METRIC_THROUGHPUT, QTP_STAT_MIN, qtp_format_rate},
    {"max", QTP_METRIC_THROUGHPUT, QTP_STAT_MAX, qtp_format_rate},
    {"p50", QTP_METRIC_P50, QTP_STAT_MEDIAN, qtp_format_ns},
    {"p99", QTP_METRIC_P99, QTP_STAT_MEDIAN, qtp_format_ns},
    {"p99.9", QTP_METRIC_P999, QTP_STAT_MEDIAN, qtp_format_ns},
    {"allocs / event", QTP_METRIC_ALLOC, QTP_STAT_MEDIAN, qtp_format_num},
    {"bytes / event", QTP_METRIC_BYTES, QTP_STAT_MEDIAN, qtp_format_num},
};

/* The batching figures of a cell: per stage instance, the median over its ok reps of the mean
 * batch size ("c1 12 · c2 3.4"; past four stages, the range over them). "" when its rows have
 * none (written before they were recorded). */
static void batching_text(const struct qtp_rpt *r, const struct qtp_cell_summary *s, char *buf,
                          size_t len)
{
    buf[0] = 0;
    const struct qtp_rep_record *ref = NULL;
    for (size_t i = 0; i < s->reps && !ref; i++) {
        const struct qtp_rep_record *row = &r->rows[s->rows[i]];
        if (row->status == QTP_STATUS_OK && row->nstages)
            ref = row;
    }
    double med[QTP_MAX_THREADS], *v = ref ? malloc(s->reps * sizeof *v) : NULL;
    if (!v)
        return;
    for (size_t k = 0; k < ref->nstages; k++) {
        size_t n = 0;
        for (size_t i = 0; i < s->reps; i++) {
            const struct qtp_rep_record *row = &r->rows[s->rows[i]];
            if (row->status == QTP_STATUS_OK && row->nstages == ref->nstages)
                v[n++] = row->stages[k].mean_batch;
        }
        med[k] = qtp_stats_median(v, n);
    }
    free(v);
    char a[32], b[32];
    if (ref->nstages > 4) {
        qtp_format_num(qtp_stats_min(med, ref->nstages), QTP_STYLE_PAGE, a, sizeof a);
        qtp_format_num(qtp_stats_max(med, ref->nstages), QTP_STYLE_PAGE, b, sizeof b);
        snprintf(buf, len, "%s–%s over %zu stages", a, b, ref->nstages);
        return;
    }
    size_t used = 0;
    for (size_t k = 0; k < ref->nstages && used < len; k++) {
        qtp_format_num(med[k], QTP_STYLE_PAGE, a, sizeof a);
        int w = snprintf(buf + used, len - used, "%s%s %s", k ? " · " : "", ref->stages[k].role, a);
        used += w > 0 ? (size_t)w : 0;
    }
}

static void cells_section(FILE *f, const struct qtp_rpt *r, const char *raw_rel)
{
    /* The batching column only when some row has the figures: older results' pages stay. */
    bool batching = false;
    for (size_t i = 0; i < r->nrows && !batching; i++)
        batching = r->rows[i].nstages > 0;
    fputs("<h2 id=\"cells\">Every cell</h2>\n"
          "<p>Statistics over the ok reps of each cell: throughput median, min and max; latency "
          "percentiles and allocation are medians over the reps.</p>\n"
          "<table class=\"cells\">\n<tr><th>topology</th><th>params</th><th>queue</th>"
          "<th>wait</th><th>placement</th><th>memory</th><th>reps ok</th>",
          f);
    for (size_t k = 0; k < sizeof cell_columns / sizeof cell_columns[0]; k++)
        fprintf(f, "<th>%s</th>", cell_columns[k].head);
    if (batching)
        fputs("<th title=\"events per batch a stage handled (the Disruptor's AverageBatchSize), "
              "median over the ok reps\">mean batch</th>",
              f);
    fputs("<th>status</th><th>cell</th></tr>\n", f);
    for (size_t c = 0; c < r->ncells; c++) {
        const struct qtp_rpt_cell *cell = &r->cells[c];
        const struct qtp_rep_record *row = cell->first;
        char buf[256];
        fputs("<tr>", f);
        td(f, row->topology);
        qtp_params_text(&row->params, &r->rows[0].params, buf, sizeof buf);
        td(f, buf);
        name_tds(f, row, QTP_NAME_QUEUE);
        snprintf(buf, sizeof buf, "%zu/%zu", cell->s->ok, cell->s->reps);
        num_td(f, buf);
        for (size_t k = 0; k < sizeof cell_columns / sizeof cell_columns[0]; k++) {
            cell_columns[k].format(
                qtp_cell_stat(cell->s, cell_columns[k].metric, cell_columns[k].stat),
                QTP_STYLE_PAGE, buf, sizeof buf);
            num_td(f, buf);
        }
        if (batching) {
            char bt[512];
            batching_text(r, cell->s, bt, sizeof bt);
            td(f, bt);
        }
        const char *cls = cell->s->failed ? "failed" : (cell->s->ok ? "ok" : "skipped");
        if (cell->s->failed)
            snprintf(buf, sizeof buf, "failed (%zu of %zu rep%s)", cell->s->failed, cell->s->reps,
                     cell->s->reps == 1 ? "" : "s");
        else if (cell->s->ok)
            snprintf(buf, sizeof buf, "ok%s%s", cell->s->skipped ? ", some reps skipped" : "",
                     cell->s->oversubscribed ? ", oversubscribed" : "");
        else
            snprintf(buf, sizeof buf, "skipped");
        fprintf(f, "<td class=\"st-%s\">", cls);
        qtp_rpt_html_escape(f, buf);
        fputs("</td><td class=\"cellid\">", f);
        if (cell->hist_rel[0] && cell->hist_rel[0] != '/')
            html_link(f, raw_rel, cell->hist_rel, row->cell);
        else
            qtp_rpt_html_escape(f, row->cell);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void problems_section(FILE *f, const struct qtp_rpt *r)
{
    fputs("<h2 id=\"problems\">Skipped and failed cells</h2>\n", f);
    size_t n = 0;
    for (size_t i = 0; i < r->nrows; i++)
        n += r->rows[i].status != QTP_STATUS_OK;
    if (!n) {
        fputs("<p>None: every rep of every cell ran and matched the sequential model.</p>\n", f);
        return;
    }
    fputs("<table class=\"problems\">\n<tr><th>status</th><th>topology</th><th>queue</th>"
          "<th>wait</th><th>placement</th><th>memory</th><th>params</th><th>rep</th>"
          "<th>reason</th></tr>\n",
          f);
    for (size_t i = 0; i < r->nrows; i++) {
        const struct qtp_rep_record *row = &r->rows[i];
        if (row->status == QTP_STATUS_OK)
            continue;
        bool failed = row->status == QTP_STATUS_FAILED;
        char buf[256];
        fprintf(f, "<tr><td class=\"st-%s\">%s</td>", failed ? "failed" : "skipped",
                failed ? "failed" : "skipped");
        name_tds(f, row, QTP_NAME_TOPOLOGY);
        qtp_params_text(&row->params, &r->rows[0].params, buf, sizeof buf);
        td(f, buf);
        fprintf(f, "<td class=\"n\">%d</td><td class=\"reason\">", row->rep);
        qtp_rpt_html_escape(f, row->reason[0] ? row->reason : "(no reason recorded)");
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void raw_section(FILE *f, const struct qtp_rpt *r, const char *raw_rel)
{
    fputs("<h2 id=\"raw\">Raw files</h2>\n<ul class=\"raw\">\n<li>", f);
    html_link(f, raw_rel, "meta.json", "meta.json");
    fputs(" — the machine, the build and the matrix</li>\n<li>", f);
    html_link(f, raw_rel, "results.jsonl", "results.jsonl");
    fputs(" — one JSON object per rep</li>\n", f);
    if (r->have_summary) {
        fputs("<li>", f);
        html_link(f, raw_rel, "summary.csv", "summary.csv");
        fputs(" — one row per cell</li>\n", f);
    }
    if (r->nhgrms) {
        fprintf(f,
                "<li>hist/ — %zu latency histogram%s in HdrHistogram's percentile format:"
                "<div class=\"hist\">",
                r->nhgrms, r->nhgrms == 1 ? "" : "s");
        for (size_t i = 0; i < r->nhgrms; i++) {
            char rel[600];
            snprintf(rel, sizeof rel, "hist/%s", r->hgrms[i]);
            html_link(f, raw_rel, rel, r->hgrms[i]);
            fputc('\n', f);
        }
        fputs("</div></li>\n", f);
    }
    fputs("</ul>\n", f);
}

/* The page's first lines: what ran and how it went. */
static void glance(FILE *f, const struct qtp_rpt *r, const struct qtp_rpt_chart *charts)
{
    static const char *const cmd_keys[] = {"command_line", "command", "argv", NULL};
    size_t ok = 0, failed = 0, skipped = 0, drawn = 0;
    for (size_t c = 0; c < r->ncells; c++) {
        const struct qtp_rpt_cell *cell = &r->cells[c];
        failed += cell->s->failed > 0;
        ok += cell->s->failed == 0 && cell->s->ok > 0;
        skipped += cell->s->failed == 0 && cell->s->ok == 0;
    }
    for (size_t i = 0; i < QTP_RPT_NCHARTS; i++)
        drawn += charts[i].drawn;
    fputs("<pre class=\"cmd\">", f);
    qtp_rpt_command_text(f, qtp_rpt_meta_any(r->meta, cmd_keys, NULL));
    fprintf(f,
            "</pre>\n<p class=\"stats\"><span><b>%zu</b> cells</span><span><b>%zu</b> reps</span>"
            "<span class=\"st-ok\"><b>%zu</b> ok</span><span class=\"st-failed\"><b>%zu</b> "
            "failed</span><span class=\"st-skipped\"><b>%zu</b> skipped</span><span><b>%zu</b> "
            "of %d charts drawn</span></p>\n",
            r->ncells, r->nrows, ok, failed, skipped, drawn, QTP_RPT_NCHARTS);
}

/* lead and text, escaped, when there is a text. */
static void lead_escaped(FILE *f, const char *lead, const char *text)
{
    if (!text)
        return;
    fputs(lead, f);
    qtp_rpt_html_escape(f, text);
}

int qtp_rpt_html(const struct qtp_rpt *r, const char *outdir, const char *raw_rel,
                 const struct qtp_rpt_chart charts[QTP_RPT_NCHARTS])
{
    char path[4400];
    snprintf(path, sizeof path, "%s/index.html", outdir);
    FILE *f = fopen(path, "w");
    if (!f)
        return errno ? errno : EIO;
    static const char *const host_keys[] = {"hostname", "host", NULL};
    static const char *const cpu_keys[] = {"cpu_model", "cpu", NULL};
    static const char *const start_keys[] = {"start_time", "started", "start", NULL};
    char *host = qtp_rpt_meta_text(r->meta, host_keys);
    char *cpu = qtp_rpt_meta_text(r->meta, cpu_keys);
    char *start = qtp_rpt_meta_text(r->meta, start_keys);

    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
          "<title>qtopo report",
          f);
    lead_escaped(f, " — ", host);
    lead_escaped(f, ", ", start);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<div class=\"page\">\n", css);
    fputs("<h1>qtopo report</h1>\n<p class=\"sub\">", f);
    qtp_rpt_html_escape(f, host ? host : "unknown host");
    lead_escaped(f, " · ", cpu);
    lead_escaped(f, " · run started ", start);
    fputs(" · results: ", f);
    html_link(f, raw_rel, "", r->dir);
    fputs("</p>\n<div class=\"toc\">", f);
    if (r->published)
        fputs("<a href=\"#published\">Published vs measured</a>", f);
    fputs("<a href=\"#charts\">Charts</a>", f);
    for (size_t i = 0; i < QTP_RPT_NCHARTS; i++)
        if (charts[i].drawn) {
            fprintf(f, "<a href=\"#chart-%s\">", charts[i].name);
            qtp_rpt_html_escape(f, charts[i].name);
            fputs("</a>", f);
        }
    fputs("<a href=\"#topologies\">Topologies</a><a href=\"#cells\">Every cell</a><a "
          "href=\"#problems\">Skipped and failed</a>"
          "<a href=\"#machine\">Machine</a><a href=\"#run\">Run and matrix</a>"
          "<a href=\"#raw\">Raw files</a></div>\n",
          f);
    glance(f, r, charts);
    free(host);
    free(cpu);
    free(start);

    if (r->published)
        qtp_rpt_published_section(f, r->published);
    charts_section(f, charts);
    topologies_section(f, r);
    cells_section(f, r, raw_rel);
    problems_section(f, r);
    qtp_rpt_machine_section(f, r->meta);
    qtp_rpt_run_section(f, r);
    raw_section(f, r, raw_rel);

    char now[64] = "";
    time_t t = time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f,
            "<p class=\"foot\">Written by qtopo report %s at %s. Each chart is drawn by gnuplot "
            "from the .dat file beside it: run <code>gnuplot NAME.gp</code> in this directory to "
            "redraw one after changing its script; each topology diagram by Graphviz "
            "(<code>dot -Tsvg -o topology-N.svg topology-N.dot</code>).</p>\n</div>\n</body>\n"
            "</html>\n",
            QTOPO_REPORT_VERSION, now);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return EIO;
    return 0;
}
