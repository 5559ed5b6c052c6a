/* report_data.c - load a results directory and aggregate its rows into cells for the report. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qtp_results.h"
#include "report_int.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

/* Read a whole file into a NUL-terminated buffer. 0, ENOENT, ENOMEM or EIO. */
static int slurp(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno ? errno : EIO;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return ENOMEM;
    }
    for (;;) {
        if (cap - n < 4096) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return EIO;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

double qtp_rpt_median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    /* Insertion sort: a cell has a handful of reps. */
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

void qtp_rpt_fmt_rate(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "–");
    else if (v >= 1e9)
        snprintf(buf, len, "%.2f G/s", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, len, "%.1f M/s", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, len, "%.1f k/s", v / 1e3);
    else
        snprintf(buf, len, "%.0f /s", v);
}

void qtp_rpt_fmt_ns(double ns, char *buf, size_t len)
{
    if (isnan(ns))
        snprintf(buf, len, "–");
    else if (ns >= 1e9)
        snprintf(buf, len, "%.2f s", ns / 1e9);
    else if (ns >= 1e6)
        snprintf(buf, len, "%.3g ms", ns / 1e6);
    else if (ns >= 1e3)
        snprintf(buf, len, "%.3g µs", ns / 1e3);
    else
        snprintf(buf, len, "%.0f ns", ns);
}

void qtp_rpt_fmt_num(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "–");
    else if (v == 0)
        snprintf(buf, len, "0");
    else if (fabs(v) >= 100)
        snprintf(buf, len, "%.0f", v);
    else if (fabs(v) >= 10)
        snprintf(buf, len, "%.1f", v);
    else
        snprintf(buf, len, "%.2f", v);
}

const json_t *qtp_rpt_meta_find(const json_t *meta, const char *key)
{
    if (!json_is_object(meta))
        return NULL;
    const json_t *v = json_object_get(meta, key);
    if (v)
        return v;
    const char *k;
    const json_t *sub;
    json_object_foreach((json_t *)meta, k, sub)
    {
        if (json_is_object(sub) && (v = json_object_get(sub, key)))
            return v;
    }
    return NULL;
}

void qtp_rpt_param_label(const struct qtp_rep_record *row, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!strcmp(row->topology, "fanout") && row->params.fanout)
        snprintf(buf, len, "N=%u", row->params.fanout);
    else if (!strcmp(row->topology, "shard") && row->params.shards)
        snprintf(buf, len, "N=%u", row->params.shards);
    else if (!strcmp(row->topology, "pipeline") && row->params.stages)
        snprintf(buf, len, "%u stages", row->params.stages);
}

/* ---------------------------------------------------------------------------------------------
 * results.jsonl, through the results module's reader (qtp_results_load): blank lines skipped, an
 * unterminated last line (a crash while appending) left out and reported, any other line that
 * is not a row an error naming it. */

static int load_rows(struct qtp_rpt *r, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" QTP_RESULTS_ROWS, r->dir);
    if (!file_exists(path)) {
        seterr(err, errlen, "%s: missing (a results directory holds meta.json and results.jsonl)",
               path);
        return EINVAL;
    }
    struct qtp_rows rows = {0};
    struct qtp_results_load_info info;
    int rc = qtp_results_load(r->dir, &rows, &info, err, errlen);
    if (rc) {
        qtp_rows_free(&rows);
        return rc == ENOMEM ? ENOMEM : EINVAL;
    }
    r->rows = rows.v;
    r->nrows = rows.n;
    r->truncated_line = info.truncated_line;
    if (r->nrows == 0) {
        seterr(err, errlen, "%s: no rows (an empty results directory: did the run start?)", path);
        return EINVAL;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Names in display order. */

static const char *const known_variants[] = {"ring/spin", "ring/yield", "ring/block", "mutex-array",
                                             "mutex-linked"};
static const char *const known_topologies[] = {"unicast", "pipeline",  "fanout",  "diamond",
                                               "shard",   "sequencer", "pingpong"};
static const char *const known_placements[] = {"os", "compact", "spread", "smt", "cross-numa"};

struct names {
    char **v;
    size_t n;
};

static int names_index(const struct names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name))
            return (int)i;
    return -1;
}

static int names_add(struct names *s, const char *name)
{
    int i = names_index(s, name);
    if (i >= 0)
        return 0;
    char **nv = realloc(s->v, (s->n + 1) * sizeof *nv);
    if (!nv)
        return ENOMEM;
    s->v = nv;
    if (!(s->v[s->n] = strdup(name)))
        return ENOMEM;
    s->n++;
    return 0;
}

static void names_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int rank_of(const char *name, const char *const *known, size_t nknown)
{
    for (size_t i = 0; i < nknown; i++)
        if (!strcmp(known[i], name))
            return (int)i;
    return (int)nknown;
}

/* Stable sort of names: the known ones first in their order, the others as they came. */
static void names_order(struct names *s, const char *const *known, size_t nknown)
{
    for (size_t i = 1; i < s->n; i++) {
        char *x = s->v[i];
        int rx = rank_of(x, known, nknown);
        size_t j = i;
        while (j > 0 && rank_of(s->v[j - 1], known, nknown) > rx) {
            s->v[j] = s->v[j - 1];
            j--;
        }
        s->v[j] = x;
    }
}

static void variant_of(const struct qtp_rep_record *row, char *buf, size_t len)
{
    /* Mutex queues always block on their condition variables: the wait axis is the ring's. */
    if (!strncmp(row->queue, "mutex", 5) || !row->wait[0])
        snprintf(buf, len, "%s", row->queue);
    else
        snprintf(buf, len, "%s/%s", row->queue, row->wait);
}

static void placement_of(const struct qtp_rep_record *row, bool with_memory, char *buf, size_t len)
{
    if (with_memory)
        snprintf(buf, len, "%s/%s", row->placement, row->memory);
    else
        snprintf(buf, len, "%s", row->placement);
}

static void cfg_of(const struct qtp_rep_record *row, char *buf, size_t len)
{
    const struct qtp_cell_params *p = &row->params;
    snprintf(buf, len, "%s|%s|%llu|%u|%u|%u|%llu|%u|%u|%u|%.9g", row->placement, row->memory,
             (unsigned long long)p->events, p->ring_size, p->batch, p->payload,
             (unsigned long long)p->work_ns, p->fanout, p->shards, p->stages, p->rate);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_hgrms(struct qtp_rpt *r)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/hist", r->dir);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct names s = {0};
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 5 && !strcmp(e->d_name + n - 5, ".hgrm") && (rc = names_add(&s, e->d_name)))
            break;
    }
    closedir(d);
    if (s.n)
        qsort(s.v, s.n, sizeof *s.v, cmp_str);
    r->hgrms = s.v;
    r->nhgrms = s.n;
    return rc;
}

typedef double (*row_field)(const struct qtp_rep_record *x);
static double f_p50(const struct qtp_rep_record *x)
{
    return (double)x->latency_ns.p50;
}
static double f_p90(const struct qtp_rep_record *x)
{
    return (double)x->latency_ns.p90;
}
static double f_p99(const struct qtp_rep_record *x)
{
    return (double)x->latency_ns.p99;
}
static double f_p999(const struct qtp_rep_record *x)
{
    return (double)x->latency_ns.p999;
}
static double f_p9999(const struct qtp_rep_record *x)
{
    return (double)x->latency_ns.p9999;
}
static double f_max(const struct qtp_rep_record *x)
{
    return (double)x->latency_ns.max;
}
static double f_alloc(const struct qtp_rep_record *x)
{
    return x->alloc.per_event;
}
static double f_bytes(const struct qtp_rep_record *x)
{
    return x->alloc.bytes_per_event;
}

/* Median of f over the ok rows of cell c (with latency: over those that recorded latency, so a
 * run without latency recording shows none rather than zeros). NAN values are left out. */
static double ok_median(const struct qtp_rpt *r, const size_t *cell_of, size_t c, double *tmp,
                        row_field f, bool latency)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        const struct qtp_rep_record *x = &r->rows[i];
        if (cell_of[i] != c || x->status != QTP_STATUS_OK || (latency && !x->latency_ns.count))
            continue;
        double v = f(x);
        if (!isnan(v))
            tmp[n++] = v;
    }
    return qtp_rpt_median(tmp, n);
}

static int aggregate(struct qtp_rpt *r)
{
    struct names var = {0}, topo = {0}, place = {0}, cfg = {0};
    double *tmp = NULL;
    int rc = ENOMEM;
    char buf[1024];

    if (!(r->cells = calloc(r->nrows, sizeof *r->cells)) || !(tmp = malloc(r->nrows * sizeof *tmp)))
        goto fail;

    bool many_memory = false;
    for (size_t i = 1; i < r->nrows; i++)
        if (strcmp(r->rows[i].memory, r->rows[0].memory))
            many_memory = true;

    /* Cells in order of first appearance. */
    size_t *cell_of = malloc(r->nrows * sizeof *cell_of);
    if (!cell_of)
        goto fail;
    for (size_t i = 0; i < r->nrows; i++) {
        const struct qtp_rep_record *row = &r->rows[i];
        size_t c;
        for (c = 0; c < r->ncells; c++)
            if (!strcmp(r->cells[c].first->cell, row->cell))
                break;
        if (c == r->ncells) {
            r->cells[c].first = row;
            r->cells[c].order = i;
            r->cells[c].reason = "";
            r->ncells++;
            variant_of(row, buf, sizeof buf);
            if (names_add(&var, buf) || names_add(&topo, row->topology))
                goto fail_cells;
            placement_of(row, many_memory, buf, sizeof buf);
            if (names_add(&place, buf))
                goto fail_cells;
            cfg_of(row, buf, sizeof buf);
            if (names_add(&cfg, buf))
                goto fail_cells;
        }
        cell_of[i] = c;
        struct qtp_rpt_cell *cell = &r->cells[c];
        cell->nreps++;
        if (row->oversubscribed)
            cell->oversubscribed = true;
        switch (row->status) {
        case QTP_STATUS_OK:
            cell->nok++;
            if (!cell->hist_rel[0] && row->hist_file[0])
                copy_str(cell->hist_rel, sizeof cell->hist_rel, row->hist_file);
            break;
        case QTP_STATUS_FAILED:
            if (!cell->nfailed++ && row->reason[0])
                cell->reason = row->reason;
            break;
        case QTP_STATUS_SKIPPED:
            if (!cell->nskipped++ && !cell->nfailed && row->reason[0])
                cell->reason = row->reason;
            break;
        }
    }
    names_order(&var, known_variants, sizeof known_variants / sizeof *known_variants);
    names_order(&topo, known_topologies, sizeof known_topologies / sizeof *known_topologies);
    names_order(&place, known_placements, sizeof known_placements / sizeof *known_placements);

    for (size_t c = 0; c < r->ncells; c++) {
        struct qtp_rpt_cell *cell = &r->cells[c];
        const struct qtp_rep_record *row = cell->first;
        variant_of(row, buf, sizeof buf);
        cell->variant = names_index(&var, buf);
        cell->topo = names_index(&topo, row->topology);
        placement_of(row, many_memory, buf, sizeof buf);
        cell->place = names_index(&place, buf);
        cfg_of(row, buf, sizeof buf);
        cell->cfg = names_index(&cfg, buf);

        /* Statistics over the ok reps. */
        cell->tput_med = NAN;
        cell->tput_min = NAN;
        cell->tput_max = NAN;
        size_t n = 0;
        for (size_t i = 0; i < r->nrows; i++) {
            const struct qtp_rep_record *x = &r->rows[i];
            if (cell_of[i] != c || x->status != QTP_STATUS_OK || isnan(x->throughput_eps))
                continue;
            tmp[n++] = x->throughput_eps;
            if (n == 1 || x->throughput_eps < cell->tput_min)
                cell->tput_min = x->throughput_eps;
            if (n == 1 || x->throughput_eps > cell->tput_max)
                cell->tput_max = x->throughput_eps;
        }
        cell->tput_med = qtp_rpt_median(tmp, n);
        cell->p50 = ok_median(r, cell_of, c, tmp, f_p50, true);
        cell->p90 = ok_median(r, cell_of, c, tmp, f_p90, true);
        cell->p99 = ok_median(r, cell_of, c, tmp, f_p99, true);
        cell->p999 = ok_median(r, cell_of, c, tmp, f_p999, true);
        cell->p9999 = ok_median(r, cell_of, c, tmp, f_p9999, true);
        cell->lmax = ok_median(r, cell_of, c, tmp, f_max, true);
        cell->alloc_pe = ok_median(r, cell_of, c, tmp, f_alloc, false);
        cell->bytes_pe = ok_median(r, cell_of, c, tmp, f_bytes, false);
        /* Its histogram: the row's hist field, else hist/<cell>.hgrm if it is there. */
        if (cell->nok && !cell->hist_rel[0]) {
            char path[4800];
            snprintf(path, sizeof path, "%s/hist/%s.hgrm", r->dir, row->cell);
            if (file_exists(path))
                snprintf(cell->hist_rel, sizeof cell->hist_rel, "hist/%s.hgrm", row->cell);
        }
    }
    free(cell_of);
    free(tmp);
    r->variants = var.v;
    r->nvariants = var.n;
    r->topologies = topo.v;
    r->ntopologies = topo.n;
    r->placements = place.v;
    r->nplacements = place.n;
    r->cfgs = cfg.v;
    r->ncfgs = cfg.n;
    return 0;

fail_cells:
    free(cell_of);
fail:
    free(tmp);
    names_free(var.v, var.n);
    names_free(topo.v, topo.n);
    names_free(place.v, place.n);
    names_free(cfg.v, cfg.n);
    return rc;
}

int qtp_rpt_load(struct qtp_rpt *r, const char *dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (strlen(dir) >= sizeof r->dir - 64) {
        seterr(err, errlen, "%.80s...: path too long", dir);
        return EINVAL;
    }
    copy_str(r->dir, sizeof r->dir, dir);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        seterr(err, errlen, "%s: not a directory (give a results directory written by qtopo run)",
               dir);
        return EINVAL;
    }

    char path[4200];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    if (!file_exists(path)) {
        seterr(err, errlen, "%s: missing (a results directory holds meta.json and results.jsonl)",
               path);
        return EINVAL;
    }
    json_error_t je;
    r->meta = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!r->meta) {
        seterr(err, errlen, "meta.json line %d column %d: %s", je.line, je.column, je.text);
        return EINVAL;
    }
    if (!json_is_object(r->meta)) {
        seterr(err, errlen, "meta.json: not a JSON object");
        qtp_rpt_free(r);
        return EINVAL;
    }
    int rc = load_rows(r, err, errlen);
    if (!rc && (rc = aggregate(r)))
        seterr(err, errlen, "out of memory aggregating %zu rows", r->nrows);
    if (!rc && (rc = list_hgrms(r)))
        seterr(err, errlen, "out of memory listing hist/");
    if (rc) {
        qtp_rpt_free(r);
        return rc;
    }
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    r->have_summary = file_exists(path);
    return 0;
}

void qtp_rpt_free(struct qtp_rpt *r)
{
    json_decref(r->meta);
    free(r->rows);
    free(r->cells);
    names_free(r->variants, r->nvariants);
    names_free(r->topologies, r->ntopologies);
    names_free(r->placements, r->nplacements);
    names_free(r->cfgs, r->ncfgs);
    names_free(r->hgrms, r->nhgrms);
    memset(r, 0, sizeof *r);
}

/* ---------------------------------------------------------------------------------------------
 * HdrHistogram percentile text: a header line ("Value Percentile TotalCount 1/(1-Percentile)"),
 * rows "value percentile total_count [1/(1-percentile)]" (the last one, at percentile 1, has an
 * "inf" or no fourth column), a "#[...]" footer. */

int qtp_rpt_parse_hgrm(const char *text, const char *name, struct qtp_rpt_hpoint **pts,
                       size_t *npts, char *err, size_t errlen)
{
    size_t cap = 0, n = 0, line = 0;
    struct qtp_rpt_hpoint *v = NULL;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char buf[512];
        line++;
        if (len >= sizeof buf) {
            seterr(err, errlen, "%s line %zu: line too long for a percentile row", name, line);
            free(v);
            return EINVAL;
        }
        memcpy(buf, p, len);
        buf[len] = '\0';
        p = end ? end + 1 : p + len;
        char *s = buf + strspn(buf, " \t\r");
        if (!*s || *s == '#' || !strncmp(s, "Value", 5))
            continue;
        char *e1, *e2, *e3;
        errno = 0;
        double value = strtod(s, &e1);
        double pct = e1 != s ? strtod(e1, &e2) : 0;
        double count = e1 != s && e2 != e1 ? strtod(e2, &e3) : 0;
        if (e1 == s || e2 == e1 || e3 == e2 || errno || !isfinite(value) || value < 0 ||
            !(pct >= 0 && pct <= 1.0) || count < 0) {
            seterr(err, errlen,
                   "%s line %zu: expected 'Value Percentile TotalCount 1/(1-Percentile)' "
                   "(HdrHistogram percentile format)",
                   name, line);
            free(v);
            return EINVAL;
        }
        if (pct >= 1.0)
            continue; /* 1/(1-p) is infinite: the maximum is in the footer and the rows */
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            void *nv = realloc(v, ncap * sizeof *v);
            if (!nv) {
                free(v);
                return ENOMEM;
            }
            v = nv;
            cap = ncap;
        }
        v[n].value = value;
        v[n].percentile = pct;
        n++;
    }
    /* No rows (an empty histogram) is not damage: the caller draws no line for it. */
    *pts = v;
    *npts = n;
    return 0;
}

int qtp_rpt_read_hgrm(const char *path, struct qtp_rpt_hpoint **pts, size_t *npts, char *err,
                      size_t errlen)
{
    char *text;
    int rc = slurp(path, &text, NULL);
    if (rc) {
        seterr(err, errlen, "%s: %s", path, strerror(rc));
        return rc;
    }
    const char *base = strrchr(path, '/');
    char name[300];
    snprintf(name, sizeof name, "hist/%s", base ? base + 1 : path);
    rc = qtp_rpt_parse_hgrm(text, name, pts, npts, err, errlen);
    free(text);
    return rc;
}
