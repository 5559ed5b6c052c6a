/* report_meta.c - the page's sections on the machine and the run, read from meta.json: what
 * a known key means is said in words, whatever else the machine object holds is shown as it is,
 * lists of records as tables. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* A JSON scalar as text (NULL for null or a missing value); containers as compact JSON. */
static char *json_text(const json_t *v)
{
    char buf[64];
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.10g", json_real_value(v));
        return strdup(buf);
    }
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "yes" : "no");
    if (json_is_array(v)) {
        /* A list of scalars reads better joined. */
        size_t i, len = 1;
        const json_t *e;
        bool scalars = true;
        json_array_foreach(v, i, e) scalars = scalars && !json_is_object(e) && !json_is_array(e);
        if (scalars) {
            char *out = malloc(1);
            if (!out)
                return NULL;
            out[0] = '\0';
            json_array_foreach(v, i, e)
            {
                char *t = json_text(e);
                const char *s = t ? t : "null";
                char *n = realloc(out, len + strlen(s) + 2);
                if (!n) {
                    free(t);
                    return out;
                }
                out = n;
                if (i)
                    strcat(out, ", ");
                strcat(out, s);
                len = strlen(out) + 1;
                free(t);
            }
            return out;
        }
    }
    if (json_is_object(v)) {
        /* An object of scalars: "tsc (tsc_ghz: 2.5)" when it has a source or name, else
         * "k: v, k: v". */
        const char *k;
        const json_t *e;
        bool scalars = true;
        json_object_foreach((json_t *)v, k, e) scalars =
            scalars && !json_is_object(e) && !json_is_array(e);
        const json_t *head = json_object_get(v, "source");
        if (!json_is_string(head))
            head = json_object_get(v, "name");
        if (scalars) {
            char out[1024];
            size_t n = 0;
            out[0] = '\0';
            if (json_is_string(head))
                n = (size_t)snprintf(out, sizeof out, "%s", json_string_value(head));
            bool open = false;
            json_object_foreach((json_t *)v, k, e)
            {
                if (e == head || n >= sizeof out - 8)
                    continue;
                char *t = json_text(e);
                n += (size_t)snprintf(out + n, sizeof out - n, "%s%s: %s",
                                      open ? ", " : (json_is_string(head) ? " (" : ""), k,
                                      t ? t : "null");
                open = true;
                free(t);
            }
            if (open && json_is_string(head) && n < sizeof out - 2)
                strcat(out, ")");
            return strdup(out);
        }
    }
    char *dump = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (dump && strlen(dump) > 600)
        strcpy(dump + 597, "...");
    return dump;
}

static void kv_row(FILE *f, const char *label, const char *value)
{
    fputs("<tr><th>", f);
    qtp_rpt_html_escape(f, label);
    fputs("</th><td>", f);
    qtp_rpt_html_escape(f, value);
    fputs("</td></tr>\n", f);
}

/* First of the keys present in meta (top level or one object down). */
const json_t *qtp_rpt_meta_any(const json_t *meta, const char *const *keys, const char **which)
{
    for (; *keys; keys++) {
        const json_t *v = qtp_rpt_meta_find(meta, *keys);
        if (v) {
            if (which)
                *which = *keys;
            return v;
        }
    }
    return NULL;
}

char *qtp_rpt_meta_text(const json_t *meta, const char *const *keys)
{
    return json_text(qtp_rpt_meta_any(meta, keys, NULL));
}

/* ---------------------------------------------------------------------------------------------
 * Sections. */

struct shown {
    const char *keys[64];
    size_t n;
};

static void mark(struct shown *s, const char *key)
{
    if (key && s->n < sizeof s->keys / sizeof *s->keys)
        s->keys[s->n++] = key;
}

static bool was_shown(const struct shown *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->keys[i], key))
            return true;
    return false;
}

/* A list from meta.json: records (objects) as a table with their keys as columns, scalars
 * joined; a long list is only counted (it is all in meta.json). */
static void record_table(FILE *f, const char *title, const json_t *list)
{
    enum { MAX_ROWS = 24 };
    const json_t *first = json_array_get(list, 0);
    fputs("<h3>", f);
    qtp_rpt_html_escape(f, title);
    fputs("</h3>\n", f);
    if (!json_is_object(first) || json_array_size(list) > MAX_ROWS) {
        char *t = json_is_object(first) ? NULL : json_text(list);
        fputs("<p>", f);
        if (t)
            qtp_rpt_html_escape(f, t);
        else
            fprintf(f, "%zu entries (see meta.json)", json_array_size(list));
        fputs("</p>\n", f);
        free(t);
        return;
    }
    const char *k;
    const json_t *v;
    fputs("<table class=\"records\"><tr>", f);
    json_object_foreach((json_t *)first, k, v)
    {
        fputs("<th>", f);
        qtp_rpt_html_escape(f, k);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    size_t i;
    const json_t *rec;
    json_array_foreach(list, i, rec)
    {
        fputs("<tr>", f);
        json_object_foreach((json_t *)first, k, v)
        {
            char *t = json_text(json_object_get(rec, k));
            fputs("<td>", f);
            qtp_rpt_html_escape(f, t ? t : "");
            fputs("</td>", f);
            free(t);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static const char *record_title(const char *key)
{
    static const struct {
        const char *key, *title;
    } titles[] = {{"caches", "Caches"},
                  {"pu_table", "PUs"},
                  {"placements", "Placements possible here"},
                  {"memory", "Memory policies possible here"}};
    for (size_t i = 0; i < sizeof titles / sizeof *titles; i++)
        if (!strcmp(titles[i].key, key))
            return titles[i].title;
    return key;
}

void qtp_rpt_machine_section(FILE *f, const json_t *meta)
{
    static const struct {
        const char *label;
        const char *keys[4];
        const char *absent; /* shown when missing; NULL: row left out */
    } rows[] = {
        {"Host", {"hostname", "host", NULL}, NULL},
        {"CPU", {"cpu_model", "cpu", "model", NULL}, NULL},
        {"Packages", {"packages", "sockets", NULL}, NULL},
        {"Cores", {"cores", NULL}, NULL},
        {"PUs (hardware threads)", {"pus", "cpus", "threads", NULL}, NULL},
        {"SMT", {"smt", NULL}, NULL},
        {"Kernel", {"kernel", "os", NULL}, NULL},
        {"CPU frequency governor", {"governor", NULL}, "not readable"},
        {"Clock source", {"clock_source", "clock", NULL}, NULL},
        {"Compiler", {"compiler", NULL}, NULL},
        {"Compiler flags", {"flags", "cflags", "c_flags", NULL}, NULL},
        {"Build type", {"build_type", NULL}, NULL},
    };
    struct shown shown = {{0}, 0};
    fputs("<h2 id=\"machine\">Machine</h2>\n<div class=\"cols\"><div>\n<table class=\"kv\">\n", f);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const char *which = NULL;
        const json_t *v = qtp_rpt_meta_any(meta, rows[i].keys, &which);
        mark(&shown, which);
        char *t = json_text(v);
        if (t || rows[i].absent)
            kv_row(f, rows[i].label, t ? t : rows[i].absent);
        free(t);
    }
    /* NUMA nodes: count, and the distance matrix when recorded. */
    static const char *const numa_keys[] = {"numa_nodes", "numa", NULL};
    static const char *const list_keys[] = {"nodes", "numa_nodes", NULL};
    static const char *const dist_keys[] = {"numa_distances", "distances", NULL};
    static const char *const xml_keys[] = {"hwloc_xml", "hwloc", NULL};
    const char *which = NULL;
    const json_t *numa = qtp_rpt_meta_any(meta, numa_keys, &which);
    mark(&shown, which);
    const json_t *nodes = qtp_rpt_meta_any(meta, list_keys, NULL);
    if (json_is_array(numa) || json_is_integer(numa)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld",
                 json_is_array(numa) ? (long long)json_array_size(numa)
                                     : (long long)json_integer_value(numa));
        kv_row(f, "NUMA nodes", buf);
    }
    const json_t *xml = qtp_rpt_meta_any(meta, xml_keys, NULL);
    const json_t *dist = qtp_rpt_meta_any(meta, dist_keys, &which);
    mark(&shown, which);
    mark(&shown, "hwloc_xml");
    mark(&shown, "hwloc");
    /* The run's own list of NUMA nodes only when there is no hwloc topology to show them. */
    if (json_is_string(xml)) {
        mark(&shown, "nodes");
        mark(&shown, "numa_nodes");
    }
    /* Whatever else the machine object holds: scalars here, lists of records as tables. */
    const json_t *machine = json_object_get(meta, "machine");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)machine, k, v)
    {
        if (was_shown(&shown, k) || json_is_array(v))
            continue;
        char *t = json_text(v);
        if (t)
            kv_row(f, k, t);
        free(t);
    }
    fputs("</table>\n</div><div>\n", f);

    /* Distances: a matrix, or an object holding one ({"source": ..., "matrix": [[...]]}). */
    const char *dist_source = NULL;
    if (json_is_object(dist)) {
        dist_source = json_string_value(json_object_get(dist, "source"));
        dist = json_object_get(dist, "matrix");
    }
    if (json_is_array(dist) && json_array_size(dist)) {
        fputs("<h3>NUMA distances", f);
        if (dist_source) {
            fputs(" (", f);
            qtp_rpt_html_escape(f, dist_source);
            fputs(")", f);
        }
        fputs("</h3>\n<table class=\"dist\"><tr><th>from \\ to</th>", f);
        for (size_t j = 0; j < json_array_size(dist); j++)
            fprintf(f, "<th>%zu</th>", j);
        fputs("</tr>\n", f);
        size_t i;
        const json_t *row;
        json_array_foreach(dist, i, row)
        {
            fprintf(f, "<tr><th>%zu</th>", i);
            size_t j;
            const json_t *d;
            if (json_is_array(row))
                json_array_foreach(row, j, d)
                {
                    char *t = json_text(d);
                    fputs("<td class=\"n\">", f);
                    qtp_rpt_html_escape(f, t ? t : "");
                    fputs("</td>", f);
                    free(t);
                }
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
    }

    fputs("<h3>Topology (hwloc)</h3>\n", f);
    if (!json_is_string(xml))
        fputs("<p>The run recorded no hwloc topology.</p>\n", f);
    else if (qtp_rpt_hwloc_html(f, json_string_value(xml)) != 0)
        fputs("<p>hwloc could not read the topology XML recorded in meta.json.</p>\n", f);
    if (!json_is_string(xml) && json_is_array(nodes))
        record_table(f, "NUMA nodes (as recorded by the run)", nodes);
    json_object_foreach((json_t *)machine, k, v)
    {
        if (!was_shown(&shown, k) && json_is_array(v))
            record_table(f, record_title(k), v);
    }
    fputs("</div></div>\n", f);
}

/* A command line: a JSON array of arguments (quoted for a shell where needed) or a string. */
void qtp_rpt_command_text(FILE *f, const json_t *cmd)
{
    if (!json_is_array(cmd)) {
        char *t = json_text(cmd);
        qtp_rpt_html_escape(f, t ? t : "(not recorded)");
        free(t);
        return;
    }
    size_t i;
    const json_t *a;
    json_array_foreach(cmd, i, a)
    {
        const char *s = json_is_string(a) ? json_string_value(a) : "?";
        if (i)
            fputc(' ', f);
        if (s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                              "-_./=:,+@%") == strlen(s)) {
            qtp_rpt_html_escape(f, s);
            continue;
        }
        fputc('\'', f);
        for (const char *p = s; *p; p++) {
            char one[2] = {*p, 0};
            qtp_rpt_html_escape(f, *p == '\'' ? "'\\''" : one);
        }
        fputc('\'', f);
    }
}

/* A directory `qtopo merge` made from slices: how many, and every missing one with why (the
 * merge's own finding, and the scheduler's reasons it was given), never silently absent. */
static void merged_rows(FILE *f, const json_t *meta)
{
    const json_t *merged = qtp_rpt_meta_find(meta, "merged");
    if (!json_is_object(merged))
        return;
    char buf[1024];
    snprintf(buf, sizeof buf, "%zu of %lld slices (qtopo merge), machine %s",
             json_array_size(json_object_get(merged, "from")),
             (long long)json_integer_value(json_object_get(merged, "slices")),
             json_string_value(json_object_get(merged, "machine_key")));
    kv_row(f, "Merged", buf);
    static const char *const lists[] = {"missing", "reported_missing"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        const json_t *x;
        json_array_foreach(json_object_get(merged, lists[l]), i, x)
        {
            const char *who = json_string_value(json_object_get(x, "machine"));
            const char *log = json_string_value(json_object_get(x, "log"));
            snprintf(buf, sizeof buf, "slice %s%s%s: %s%s%s",
                     json_string_value(json_object_get(x, "slice")), who ? " of " : "",
                     who ? who : "", json_string_value(json_object_get(x, "reason")),
                     log && *log ? "; log " : "", log && *log ? log : "");
            kv_row(f, "Missing", buf);
        }
    }
}

void qtp_rpt_run_section(FILE *f, const struct qtp_rpt *r)
{
    static const char *const cmd_keys[] = {"command_line", "command", "argv", NULL};
    static const char *const start_keys[] = {"start_time", "started", "start", NULL};
    static const char *const end_keys[] = {"end_time", "finished", "end", NULL};
    static const char *const git_keys[] = {"git_commit", "commit", NULL};
    static const char *const seed_keys[] = {"seed", NULL};
    static const char *const ver_keys[] = {"qtopo_version", "version", NULL};
    fputs("<h2 id=\"run\">Run and matrix</h2>\n<pre class=\"cmd\">", f);
    qtp_rpt_command_text(f, qtp_rpt_meta_any(r->meta, cmd_keys, NULL));
    fputs("</pre>\n<div class=\"cols\"><div>\n<h3>Run</h3>\n<table class=\"kv\">\n", f);
    struct {
        const char *label;
        const char *const *keys;
    } rows[] = {{"Started", start_keys},
                {"Finished", end_keys},
                {"Git commit", git_keys},
                {"qtopo version", ver_keys},
                {"Seed", seed_keys}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char *t = qtp_rpt_meta_text(r->meta, rows[i].keys);
        if (t && i == 2 && json_is_true(qtp_rpt_meta_find(r->meta, "git_dirty"))) {
            char *n = malloc(strlen(t) + 32);
            if (n) {
                sprintf(n, "%s (uncommitted changes)", t);
                free(t);
                t = n;
            }
        }
        if (t)
            kv_row(f, rows[i].label, t);
        free(t);
    }
    size_t ok = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        ok += r->rows[i].status == QTP_STATUS_OK;
        failed += r->rows[i].status == QTP_STATUS_FAILED;
        skipped += r->rows[i].status == QTP_STATUS_SKIPPED;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%zu cells, %zu reps: %zu ok, %zu failed, %zu skipped", r->ncells,
             r->nrows, ok, failed, skipped);
    kv_row(f, "Results", buf);
    merged_rows(f, r->meta);
    if (r->truncated_line) {
        snprintf(buf, sizeof buf,
                 "results.jsonl line %zu is unterminated (the run stopped while writing it) and "
                 "was left out",
                 r->truncated_line);
        kv_row(f, "Note", buf);
    }
    fputs("</table>\n</div><div>\n", f);

    const json_t *matrix = qtp_rpt_meta_find(r->meta, "matrix");
    size_t nparts = json_is_array(matrix) ? json_array_size(matrix) : 1;
    /* One matrix, or a union of several (an array of them). */
    for (size_t i = 0; i < nparts; i++) {
        const json_t *part = json_is_array(matrix) ? json_array_get(matrix, i) : matrix;
        if (nparts > 1)
            fprintf(f, "<h3>Matrix, part %zu of %zu</h3>\n", i + 1, nparts);
        else
            fputs("<h3>Matrix</h3>\n", f);
        if (json_is_object(part)) {
            fputs("<table class=\"kv\">\n", f);
            const char *k;
            const json_t *v;
            json_object_foreach((json_t *)part, k, v)
            {
                char *t = json_text(v);
                kv_row(f, k, t ? t : "null");
                free(t);
            }
            fputs("</table>\n", f);
        } else if (part) {
            char *t = json_text(part);
            fputs("<pre>", f);
            qtp_rpt_html_escape(f, t ? t : "");
            fputs("</pre>\n", f);
            free(t);
        } else {
            fputs("<p>meta.json holds no matrix; the cells below are what ran.</p>\n", f);
        }
    }
    fputs("</div></div>\n", f);
}
