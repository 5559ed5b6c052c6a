/* report_obs.c - the page's "Machine state" section: what makes numbers move, read from
 * meta.json's machine_state (written by `qtopo run`) and the load around each cell from the rows.
 * Every fact is shown as recorded: a value, or "unknown" with the reason the run gave. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"

/* A fact of machine_state: its value, or {"unknown": why}. */
static void fact_td(FILE *f, const json_t *v)
{
    const json_t *why = json_object_get(v, "unknown");
    if (json_is_string(why)) {
        fputs("<td><i>unknown</i>: ", f);
        qtp_rpt_html_escape(f, json_string_value(why));
    } else if (json_is_string(v)) {
        fputs("<td>", f);
        qtp_rpt_html_escape(f, json_string_length(v) ? json_string_value(v) : "(none)");
    } else if (json_is_boolean(v)) {
        fputs(json_is_true(v) ? "<td>yes" : "<td>no", f);
    } else if (json_is_number(v)) {
        fprintf(f, "<td>%.6g", json_number_value(v));
    } else {
        fputs("<td><i>not recorded</i>", f);
    }
    fputs("</td>", f);
}

/* What meta.json's machine_state warns about and the cells whose load reached its load_warn:
 * as list items into f when f is not NULL; returns how many. */
static size_t warnings_list(FILE *f, const struct qtp_rpt *r, const json_t *st)
{
    const json_t *w = json_object_get(st, "warnings"), *e;
    double load_warn = json_number_value(json_object_get(st, "load_warn"));
    size_t i, n = 0;
    json_array_foreach(w, i, e)
    {
        n++;
        if (!f)
            continue;
        fputs("<li>", f);
        qtp_rpt_html_escape(f, json_string_value(json_object_get(e, "text")));
        fputs("</li>\n", f);
    }
    /* The load around each cell (the same in each of its rows): one line for them all. */
    size_t loaded = 0, ran = 0;
    double top = 0;
    const char *top_cell = "";
    for (size_t c = 0; c < r->ncells; c++) {
        const struct qtp_rep_record *row = r->cells[c].first;
        if (row->status == QTP_STATUS_SKIPPED)
            continue;
        ran++;
        double worst = fmax(isnan(row->load.start_1m) ? 0 : row->load.start_1m,
                            isnan(row->load.end_1m) ? 0 : row->load.end_1m);
        loaded += load_warn > 0 && worst >= load_warn;
        if (worst > top) {
            top = worst;
            top_cell = row->cell;
        }
    }
    if (loaded) {
        n++;
        if (f) {
            fprintf(f,
                    "<li>1-minute load at or above %.2g at the start or end of %zu of %zu cells "
                    "(highest %.2f, around ",
                    load_warn, loaded, ran, top);
            qtp_rpt_html_escape(f, top_cell);
            fputs("): other work shared the CPUs</li>\n", f);
        }
    }
    return n;
}

static void warnings(FILE *f, const struct qtp_rpt *r, const json_t *st)
{
    fputs("<ul class=\"note\">\n", f);
    if (!warnings_list(f, r, st))
        fputs("<li>none</li>\n", f);
    fputs("</ul>\n", f);
}

void qtp_rpt_state_toc(FILE *f, const struct qtp_rpt *r)
{
    if (json_is_object(json_object_get(r->meta, "machine_state")))
        fputs("<a href=\"#state\">Machine state</a>", f);
}

void qtp_rpt_state_glance(FILE *f, const struct qtp_rpt *r)
{
    const json_t *st = json_object_get(r->meta, "machine_state");
    size_t n = json_is_object(st) ? warnings_list(NULL, r, st) : 0;
    if (n)
        fprintf(f,
                "<p class=\"note\">%zu machine-state warning%s (numbers may move): see "
                "<a href=\"#state\">Machine state</a>.</p>\n",
                n, n == 1 ? "" : "s");
}

void qtp_rpt_state_section(FILE *f, const struct qtp_rpt *r)
{
    const json_t *st = json_object_get(r->meta, "machine_state");
    if (!json_is_object(st))
        return; /* written by a qtopo before it recorded the state: its page stays as it was */
    fputs("<h2 id=\"state\">Machine state</h2>\n", f);
    fputs("<h3>Warnings</h3>\n", f);
    warnings(f, r, st);
    fputs("<div class=\"cols\"><div>\n<table class=\"kv\">\n", f);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)st, k, v)
    {
        if (!strcmp(k, "cpus") || !strcmp(k, "mitigations") || !strcmp(k, "warnings") ||
            !strcmp(k, "load_warn"))
            continue;
        fputs("<tr><th>", f);
        qtp_rpt_html_escape(f, k);
        fputs("</th>", f);
        fact_td(f, v);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n</div><div>\n", f);
    const json_t *cpus = json_object_get(st, "cpus"), *cpu;
    size_t i;
    if (json_array_size(cpus)) {
        fputs("<h3>CPUs used</h3>\n<table>\n<tr><th>cpu</th><th>driver</th><th>governor</th>"
              "<th>cur kHz</th><th>min kHz</th><th>max kHz</th></tr>\n",
              f);
        static const char *const cols[] = {"driver", "governor", "cur_khz", "min_khz", "max_khz"};
        json_array_foreach(cpus, i, cpu)
        {
            fprintf(f, "<tr><td class=\"n\">%lld</td>",
                    (long long)json_integer_value(json_object_get(cpu, "cpu")));
            /* All unknown for the same reason (no cpufreq, usual in VMs): said once. */
            const json_t *why = json_object_get(json_object_get(cpu, "driver"), "unknown");
            bool same = json_is_string(why);
            for (size_t c = 1; same && c < sizeof cols / sizeof *cols; c++)
                same = json_is_object(json_object_get(cpu, cols[c]));
            if (same) {
                fputs("<td colspan=\"5\"><i>unknown</i>: ", f);
                qtp_rpt_html_escape(f, json_string_value(why));
                fputs("</td>", f);
            } else {
                for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
                    fact_td(f, json_object_get(cpu, cols[c]));
            }
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    const json_t *mit = json_object_get(st, "mitigations");
    fputs("<h3>CPU vulnerability mitigations</h3>\n<table class=\"kv\">\n", f);
    if (json_is_object(mit) && !json_is_string(json_object_get(mit, "unknown"))) {
        json_object_foreach((json_t *)mit, k, v)
        {
            fputs("<tr><th>", f);
            qtp_rpt_html_escape(f, k);
            fputs("</th>", f);
            fact_td(f, v);
            fputs("</tr>\n", f);
        }
    } else {
        fputs("<tr><th>mitigations</th>", f);
        fact_td(f, mit);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    fputs("<h3>Load average around each cell</h3>\n<table>\n<tr><th>cell</th><th>start 1m</th>"
          "<th>end 1m</th></tr>\n",
          f);
    for (size_t c = 0; c < r->ncells; c++) {
        const struct qtp_rep_record *row = r->cells[c].first;
        if (row->status == QTP_STATUS_SKIPPED)
            continue;
        fputs("<tr><td class=\"cellid\">", f);
        qtp_rpt_html_escape(f, row->cell);
        if (isnan(row->load.start_1m) || isnan(row->load.end_1m)) {
            fputs("</td><td colspan=\"2\"><i>unknown</i>: ", f);
            qtp_rpt_html_escape(f, row->load.unknown[0] ? row->load.unknown : "not recorded");
            fputs("</td></tr>\n", f);
        } else {
            fprintf(f, "</td><td class=\"n\">%.2f</td><td class=\"n\">%.2f</td></tr>\n",
                    row->load.start_1m, row->load.end_1m);
        }
    }
    fputs("</table>\n</div></div>\n", f);
}
