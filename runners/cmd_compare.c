/* cmd_compare.c - qtopo compare BASE NEW: the comparison (results/qtp_compare.h) as a table,
 * Markdown and JSON, and its exit status. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "fleet.h"
#include "qtp_compare.h"
#include "qtp_results.h"
#include "qtp_stats.h"
#include "qtp_text.h"

struct report {
    const char *base, *new_dir;
    const struct qtp_compare_opts *o;
    double fwer; /* 0: each test at o->alpha as given */
    size_t tests;
    const struct qtp_summary *sb, *sn;
    const struct qtp_compare_row *rows;
    size_t n, matched;
    size_t count[4];
};

/* ---- one row in words ---- */

struct row_text {
    char mb[32], mn[32], change[32], ci[80], p[32];
};

static void fmt_num(char *buf, size_t len, double v)
{
    if (isnan(v))
        qtp_fmt(buf, len, "-");
    else
        qtp_fmt(buf, len, "%.4g", v);
}

static void fmt_change(char *buf, size_t len, double ratio)
{
    if (isnan(ratio))
        qtp_fmt(buf, len, "-");
    else if (isinf(ratio))
        qtp_fmt(buf, len, "%s", ratio > 0 ? "+inf%" : "-inf%");
    else
        qtp_fmt(buf, len, "%+.1f%%", (ratio - 1) * 100);
}

static void row_text(const struct qtp_compare_row *r, struct row_text *t)
{
    fmt_num(t->mb, sizeof t->mb, r->median_base);
    fmt_num(t->mn, sizeof t->mn, r->median_new);
    fmt_change(t->change, sizeof t->change, r->ratio);
    if (isnan(r->ratio_lo) || isnan(r->ratio_hi)) {
        qtp_fmt(t->ci, sizeof t->ci, "-");
    } else {
        char a[32], b[32];
        fmt_change(a, sizeof a, r->ratio_lo);
        fmt_change(b, sizeof b, r->ratio_hi);
        qtp_fmt(t->ci, sizeof t->ci, "[%s, %s]", a, b);
    }
    if (isnan(r->p))
        qtp_fmt(t->p, sizeof t->p, "-");
    else if (r->p < 0.0001)
        qtp_fmt(t->p, sizeof t->p, "%.1e", r->p);
    else
        qtp_fmt(t->p, sizeof t->p, "%.4f", r->p);
}

/* "alpha 0.05", or how the family-wise level was shared out. */
static void alpha_text(const struct report *rp, char *buf, size_t len)
{
    if (rp->fwer > 0)
        qtp_fmt(buf, len, "alpha %g (family-wise %g over %zu tests, Bonferroni)", rp->o->alpha,
                rp->fwer, rp->tests);
    else
        qtp_fmt(buf, len, "alpha %g", rp->o->alpha);
}

static void print_table(FILE *out, const struct report *rp)
{
    int cw = 4;
    for (size_t i = 0; i < rp->n; i++) {
        int l = (int)strlen(rp->rows[i].cell);
        cw = l > cw ? l : cw;
    }
    char ci_head[32], alpha[128];
    qtp_fmt(ci_head, sizeof ci_head, "%g%% CI", (1 - rp->o->alpha) * 100);
    fprintf(out, "%-*s  %-10s  %10s  %10s  %8s  %-20s  %9s  %5s  %s\n", cw, "cell", "metric",
            "base", "new", "change", ci_head, "p", "reps", "verdict");
    for (size_t i = 0; i < rp->n; i++) {
        const struct qtp_compare_row *r = &rp->rows[i];
        struct row_text t;
        char reps[32];
        row_text(r, &t);
        qtp_fmt(reps, sizeof reps, "%zu/%zu", r->n_base, r->n_new);
        fprintf(out, "%-*s  %-10s  %10s  %10s  %8s  %-20s  %9s  %5s  %s%s%s\n", cw, r->cell,
                r->metric, t.mb, t.mn, t.change, t.ci, t.p, reps,
                r->verdict == QTP_VERDICT_REGRESSED ? "REGRESSED" : qtp_verdict_name(r->verdict),
                r->reason[0] ? ": " : "", r->reason);
    }
    alpha_text(rp, alpha, sizeof alpha);
    fprintf(out,
            "\n%zu regressed, %zu improved, %zu unchanged, %zu not comparable "
            "(%zu cells on both sides; two-sided Mann-Whitney U, %s, threshold %g%%; change "
            "= Hodges-Lehmann NEW/BASE - 1)\n",
            rp->count[QTP_VERDICT_REGRESSED], rp->count[QTP_VERDICT_IMPROVED],
            rp->count[QTP_VERDICT_UNCHANGED], rp->count[QTP_VERDICT_NOT_COMPARABLE], rp->matched,
            alpha, rp->o->threshold * 100);
}

static int write_markdown(FILE *out, void *arg)
{
    const struct report *rp = arg;
    char alpha[128];
    alpha_text(rp, alpha, sizeof alpha);
    fprintf(out,
            "**qtopo compare**: %zu regressed, %zu improved, %zu unchanged, %zu not comparable "
            "(two-sided Mann-Whitney U, %s, threshold %g%%)\n\n",
            rp->count[QTP_VERDICT_REGRESSED], rp->count[QTP_VERDICT_IMPROVED],
            rp->count[QTP_VERDICT_UNCHANGED], rp->count[QTP_VERDICT_NOT_COMPARABLE], alpha,
            rp->o->threshold * 100);
    fprintf(out,
            "| verdict | cell | metric | base median | new median | change | %g%% CI | p | "
            "reps |\n|---|---|---|---:|---:|---:|---|---:|---:|\n",
            (1 - rp->o->alpha) * 100);
    for (size_t i = 0; i < rp->n; i++) {
        const struct qtp_compare_row *r = &rp->rows[i];
        struct row_text t;
        row_text(r, &t);
        const char *bold = r->verdict == QTP_VERDICT_REGRESSED ? "**" : "";
        fprintf(out, "| %s%s%s%s%s | `%s` | %s | %s | %s | %s | %s | %s | %zu/%zu |\n", bold,
                qtp_verdict_name(r->verdict), bold, r->reason[0] ? ": " : "", r->reason, r->cell,
                r->metric, t.mb, t.mn, t.change, t.ci, t.p, r->n_base, r->n_new);
    }
    return ferror(out) ? EIO : 0;
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* Every cell of either side with what each side's summary says of it (ci-regress's history
 * reads these medians instead of computing its own). */
static json_t *cells_json(const struct report *rp)
{
    json_t *a = json_array();
    for (int side = 0; a && side < 2; side++) {
        const struct qtp_summary *s = side ? rp->sn : rp->sb, *other = side ? rp->sb : rp->sn;
        for (size_t c = 0; c < s->ncells; c++) {
            const struct qtp_cell_summary *cs = &s->cells[c];
            const struct qtp_cell_summary *os = qtp_summary_find(other, cs->first->cell);
            if (side && os)
                continue; /* already listed with BASE */
            const struct qtp_cell_summary *b = side ? os : cs, *n = side ? cs : os;
            json_array_append_new(a, json_pack("{s:s,s:o,s:o}", "cell", cs->first->cell, "base",
                                               b ? qtp_cell_summary_to_json(b) : json_null(), "new",
                                               n ? qtp_cell_summary_to_json(n) : json_null()));
        }
    }
    return a;
}

static int write_json(FILE *out, void *arg)
{
    const struct report *rp = arg;
    json_t *rows = json_array(), *ms = json_array();
    for (size_t i = 0; i < rp->o->nmetrics; i++)
        json_array_append_new(ms, json_string(rp->o->metrics[i]->name));
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
    json_t *doc = json_pack(
        "{s:s,s:s,s:o,s:f,s:o,s:I,s:f,s:f,s:s,s:I,s:{s:I,s:I,s:I,s:I},s:o,s:o,s:i}", "base",
        rp->base, "new", rp->new_dir, "metrics", ms, "alpha", rp->o->alpha, "fwer",
        rp->fwer > 0 ? json_real(rp->fwer) : json_null(), "tests", (json_int_t)rp->tests,
        "threshold_pct", rp->o->threshold * 100, "confidence", 1 - rp->o->alpha, "test",
        "two-sided Mann-Whitney U; ratio: Hodges-Lehmann NEW/BASE", "cells_matched",
        (json_int_t)rp->matched, "summary", "regressed",
        (json_int_t)rp->count[QTP_VERDICT_REGRESSED], "improved",
        (json_int_t)rp->count[QTP_VERDICT_IMPROVED], "unchanged",
        (json_int_t)rp->count[QTP_VERDICT_UNCHANGED], "not_comparable",
        (json_int_t)rp->count[QTP_VERDICT_NOT_COMPARABLE], "rows", rows, "cells", cells_json(rp),
        "exit", rp->count[QTP_VERDICT_REGRESSED] ? 1 : 0);
    if (!doc)
        return ENOMEM;
    int rc = json_dumpf(doc, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF ? 0 : EIO;
    json_decref(doc);
    return rc;
}

/* ---- command line ---- */

static void usage(FILE *out)
{
    char names[256];
    qtp_metric_names(names, sizeof names);
    fprintf(out,
            "usage: qtopo compare BASE NEW [--metric LIST] [--threshold PCT]\n"
            "                     [--alpha A | --fwer F] [--json FILE] [--markdown FILE]\n"
            "       qtopo compare --machine A --against B DIR [options]\n"
            "\n"
            "Compare two results directories cell by cell. For each cell on both sides and each\n"
            "metric, the ok reps of both sides go through a two-sided Mann-Whitney U test; the\n"
            "change is the Hodges-Lehmann estimate of NEW/BASE with its confidence interval at\n"
            "1 - alpha. A cell is regressed when p < alpha and the change is worse than the\n"
            "threshold (throughput lower, latency or allocation higher).\n"
            "\n"
            "  --metric LIST     comma-separated, default throughput,p99; accepted: %s\n"
            "  --threshold PCT   smallest change that counts, in percent (default 5)\n"
            "  --alpha A         significance level of each test in (0, 0.5] (default 0.05); at\n"
            "                    0.05 each side needs at least %zu ok reps\n"
            "  --fwer F          family-wise level in (0, 0.5] instead: every cell x metric is a\n"
            "                    test, run at alpha = F / tests (Bonferroni), so an unchanged NEW\n"
            "                    is flagged at most F of the time however large the matrix\n"
            "  --json FILE       also write the comparison as JSON (with each cell's summary)\n"
            "  --markdown FILE   also write it as a Markdown table\n"
            "  --machine A --against B DIR\n"
            "                    two machines of a directory qtopo merge made from several:\n"
            "                    machine A (NEW) against machine B (BASE) on the cells both ran;\n"
            "                    each named by its key, its host name or a prefix of its key\n"
            "\n"
            "Exit status: 0 no regression, 1 a significant regression, 2 bad input (usage, a\n"
            "missing or damaged results directory, no matching cells, too few reps to test).\n",
            names, qtp_stats_mwu_min_reps(0.05));
}

#define bad_input(...) qtp_bad_input("compare", __VA_ARGS__)

/* "--name VALUE" or "--name=VALUE": the value, advancing *i; NULL if argv[*i] is not --name. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    const char *v;
    if (a[n] == '=')
        v = a + n + 1;
    else if (a[n] != 0)
        return NULL;
    else if (*i + 1 >= argc)
        v = NULL;
    else
        v = argv[++*i];
    /* An empty value is a missing one, never "the default". */
    if (!v || !*v) {
        *missing = 1;
        return NULL;
    }
    return v;
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
    json_t *meta = NULL;
    /* A results directory is meta.json and results.jsonl, as for report: rows alone could be
     * any file of JSON lines. */
    struct stat st;
    int found = stat(dir, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (found)
        return bad_input("%s: %s: %s", label, dir,
                         found == ENOENT ? "no such directory" : strerror(found));
    int rc = qtp_results_read_meta(dir, &meta, err, sizeof err);
    json_decref(meta);
    if (rc == ENOENT)
        return bad_input("%s %s: no meta.json (accepted: a results directory written by qtopo "
                         "run)",
                         label, dir);
    if (rc)
        return bad_input("%s %s: damaged results: %s", label, dir, err);
    rc = qtp_results_load(dir, rows, &info, err, sizeof err);
    if (rc) {
        if (rc == EINVAL)
            return bad_input("%s %s: damaged results: %s", label, dir, err);
        return bad_input("%s: %s", label, err);
    }
    if (info.truncated_line)
        qtp_message(
            "compare",
            "warning: %s %s: results.jsonl line %zu is cut short (an interrupted run?): ignored",
            label, dir, info.truncated_line);
    return 0;
}

struct compare_args {
    struct qtp_compare_opts o;
    double fwer;
    bool alpha_given;
    const char *pos[2], *json_path, *md_path;
    const char *machine, *against; /* --machine A --against B DIR: two machines of a merge */
    char side[2][PATH_MAX];
    char metrics[256];
};

/* --machine A --against B DIR: BASE is B's results directory in the merged DIR, NEW is A's. */
static int machine_sides(struct compare_args *a, int npos)
{
    if (!a->machine || !a->against || npos != 1)
        return bad_input("--machine A --against B take one merged directory, and each other "
                         "(usage: qtopo compare --machine A --against B DIR)");
    const char *dir = a->pos[0], *names[2] = {a->against, a->machine};
    char err[1200];
    json_t *meta = NULL;
    int rc = qtp_results_read_meta(dir, &meta, err, sizeof err);
    if (rc || !json_object_get(meta, "machines")) {
        json_decref(meta);
        return bad_input("%s: not a merge of several machines (accepted: a directory written by "
                         "qtopo merge from several machines' results)",
                         dir);
    }
    for (int i = 0; i < 2 && !rc; i++) {
        const json_t *m = qtp_fleet_find(meta, names[i], err, sizeof err);
        if (!m)
            rc = bad_input("%s: %s", dir, err);
        else
            qtp_fmt(a->side[i], sizeof a->side[i], "%s/%s", dir,
                    json_string_value(json_object_get(m, "dir")));
        a->pos[i] = a->side[i];
    }
    json_decref(meta);
    return rc;
}

/* 0, QTP_EXIT_BAD (said why), or -1 for --help (printed). */
static int parse_args(int argc, char **argv, struct compare_args *a)
{
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int missing = 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return -1;
        } else if ((v = opt_value(argc, argv, &i, "--metric", &missing))) {
            if (strlen(v) >= sizeof a->metrics)
                return bad_input("--metric list too long");
            strcpy(a->metrics, v);
        } else if ((v = opt_value(argc, argv, &i, "--threshold", &missing))) {
            if (parse_double(v, &a->o.threshold) || a->o.threshold < 0 || a->o.threshold >= 100)
                return bad_input(
                    "bad --threshold '%s' (accepted: a percentage in [0, 100), e.g. 5)", v);
            a->o.threshold /= 100;
        } else if ((v = opt_value(argc, argv, &i, "--alpha", &missing))) {
            if (parse_double(v, &a->o.alpha) || strchr(v, '%') ||
                !(a->o.alpha > 0 && a->o.alpha <= 0.5))
                return bad_input("bad --alpha '%s' (accepted: a number in (0, 0.5], e.g. 0.05)", v);
            a->alpha_given = true;
        } else if ((v = opt_value(argc, argv, &i, "--fwer", &missing))) {
            if (parse_double(v, &a->fwer) || strchr(v, '%') || !(a->fwer > 0 && a->fwer <= 0.5))
                return bad_input("bad --fwer '%s' (accepted: a number in (0, 0.5], e.g. 0.05)", v);
        } else if ((v = opt_value(argc, argv, &i, "--json", &missing))) {
            a->json_path = v;
        } else if ((v = opt_value(argc, argv, &i, "--markdown", &missing))) {
            a->md_path = v;
        } else if ((v = opt_value(argc, argv, &i, "--machine", &missing))) {
            a->machine = v;
        } else if ((v = opt_value(argc, argv, &i, "--against", &missing))) {
            a->against = v;
        } else if (missing) {
            return bad_input("%s needs a value (see qtopo compare --help)", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != 0) {
            return bad_input("unknown option '%s' (accepted: --metric, --threshold, --alpha, "
                             "--fwer, --json, --markdown, --machine, --against, --help)",
                             argv[i]);
        } else if (npos < 2) {
            a->pos[npos++] = argv[i];
        } else {
            return bad_input("too many arguments: '%s' (usage: qtopo compare BASE NEW [options])",
                             argv[i]);
        }
    }
    if (a->machine || a->against) {
        int rc = machine_sides(a, npos);
        if (rc)
            return rc;
    } else if (npos != 2)
        return bad_input("needs two results directories (usage: qtopo compare BASE NEW "
                         "[options]; see --help)");
    /* The written files are new files only, as report -o is: a path that exists may be a
     * results directory's own file (meta.json), which the comparison must never replace. */
    const char *outs[2][2] = {{"--json", a->json_path}, {"--markdown", a->md_path}};
    struct stat st;
    for (int k = 0; k < 2; k++) {
        if (!outs[k][1])
            continue;
        int found = lstat(outs[k][1], &st) == 0 ? EEXIST : errno;
        if (found != ENOENT)
            return bad_input("%s %s: %s (accepted: a new file)", outs[k][0], outs[k][1],
                             found == EEXIST ? "exists" : strerror(found));
    }
    if (a->json_path && a->md_path && strcmp(a->json_path, a->md_path) == 0)
        return bad_input("--json and --markdown are both %s (accepted: two new files)",
                         a->json_path);
    if (a->alpha_given && a->fwer > 0)
        return bad_input("--alpha and --fwer go separately (accepted: one of them: the level of "
                         "each test, or of all of them together)");
    char names[256], *save = NULL;
    qtp_metric_names(names, sizeof names);
    for (char *m = strtok_r(a->metrics, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
        const struct qtp_metric *mt = qtp_metric_find(m);
        if (!mt)
            return bad_input("unknown metric '%s' (accepted: %s)", m, names);
        size_t k = 0;
        while (k < a->o.nmetrics && a->o.metrics[k] != mt)
            k++;
        if (k == a->o.nmetrics)
            a->o.metrics[a->o.nmetrics++] = mt;
    }
    if (a->o.nmetrics == 0)
        return bad_input("--metric is empty (accepted: %s)", names);
    return 0;
}

/* Why nothing could be compared (every row not comparable), or 0. */
static int nothing_to_compare(const struct report *rp, const struct qtp_compare_row *short_row)
{
    if (rp->matched == 0)
        return bad_input("no matching cells: BASE %s and NEW %s have no cell in common (compare "
                         "results of the same matrix)",
                         rp->base, rp->new_dir);
    if (rp->count[QTP_VERDICT_NOT_COMPARABLE] != rp->n)
        return 0;
    double alpha = rp->o->alpha;
    if (short_row)
        return bad_input("too few reps to test: cell %s has %zu ok reps in BASE and %zu in "
                         "NEW; the two-sided Mann-Whitney test at alpha %g needs at least "
                         "%zu ok reps per side (run with -r %zu or more)",
                         short_row->cell, short_row->n_base, short_row->n_new, alpha,
                         qtp_stats_mwu_min_reps(alpha), qtp_stats_mwu_min_reps(alpha));
    return bad_input("nothing to compare: no cell has ok reps with the metrics on both "
                     "sides (%s: %s)",
                     rp->rows[0].cell, rp->rows[0].reason);
}

int qtp_compare_main(int argc, char **argv)
{
    struct compare_args a = {.o = {.threshold = 0.05, .alpha = 0.05}, .metrics = "throughput,p99"};
    int status = parse_args(argc, argv, &a);
    if (status)
        return status < 0 ? QTP_EXIT_OK : status;

    struct qtp_rows base = {0}, nw = {0};
    struct qtp_summary sb = {0}, sn = {0};
    struct qtp_compare_row *rows = NULL;
    size_t n = 0, matched = 0;
    status = load_side("BASE", a.pos[0], &base);
    if (!status)
        status = load_side("NEW", a.pos[1], &nw);
    if (!status && (qtp_summary_build(&sb, base.v, base.n) || qtp_summary_build(&sn, nw.v, nw.n)))
        status = bad_input("out of memory");
    size_t tests = qtp_compare_tests(&sb, &sn, a.o.nmetrics);
    if (!status && a.fwer > 0)
        a.o.alpha = a.fwer / (double)tests;
    if (!status && qtp_compare(&sb, &sn, &a.o, &rows, &n, &matched) != 0)
        status = bad_input("out of memory");
    if (status)
        goto out;

    struct report rp = {a.pos[0], a.pos[1], &a.o, a.fwer, tests, &sb, &sn, rows, n, matched, {0}};
    const struct qtp_compare_row *short_row = NULL;
    for (size_t i = 0; i < n; i++) {
        rp.count[rows[i].verdict]++;
        if (rows[i].too_few_reps && !short_row)
            short_row = &rows[i];
    }
    if ((status = nothing_to_compare(&rp, short_row)))
        goto out;
    if (short_row)
        qtp_message("compare", "warning: %s: %s", short_row->cell, short_row->reason);

    print_table(stdout, &rp);
    fflush(stdout);
    int rc = 0;
    if (a.json_path && (rc = qtp_results_write_atomic(a.json_path, write_json, &rp)) != 0) {
        status = bad_input("cannot write %s: %s", a.json_path, strerror(rc));
        goto out;
    }
    if (a.md_path && (rc = qtp_results_write_atomic(a.md_path, write_markdown, &rp)) != 0) {
        status = bad_input("cannot write %s: %s", a.md_path, strerror(rc));
        goto out;
    }
    status = rp.count[QTP_VERDICT_REGRESSED] ? QTP_EXIT_FAILED : QTP_EXIT_OK;
out:
    free(rows);
    qtp_summary_free(&sb);
    qtp_summary_free(&sn);
    qtp_rows_free(&base);
    qtp_rows_free(&nw);
    return status;
}
