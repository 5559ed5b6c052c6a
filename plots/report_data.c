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
#include "qtp_text.h"
#include "report_int.h"

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

/* ---------------------------------------------------------------------------------------------
 * results.jsonl, through the results module's reader (qtp_results_load): blank lines skipped, an
 * unterminated last line (a crash while appending) left out and reported, any other line that
 * is not a row an error naming it. */

static int load_rows(struct qtp_rpt *r, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" QTP_RESULTS_ROWS, r->dir);
    if (!file_exists(path)) {
        qtp_set_err(err, errlen,
                    "%s: missing (a results directory holds meta.json and results.jsonl)", path);
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
        qtp_set_err(err, errlen, "%s: no rows (an empty results directory: did the run start?)",
                    path);
        return EINVAL;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Names in display order, from the registries the run was made from. */

/* The registries' list under key ("topologies", "queues", ...), or NULL. */
static const json_t *reg_list(const struct qtp_rpt *r, const char *key)
{
    const json_t *l = json_object_get(r->registries, key);
    return json_is_array(l) ? l : NULL;
}

/* An entry's name: the string itself, or an object's "name". */
static const char *reg_name(const json_t *e)
{
    return json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "name"));
}

static int reg_index(const json_t *list, const char *name)
{
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *n = reg_name(e);
        if (n && !strcmp(n, name))
            return (int)i;
    }
    return -1;
}

/* The queue kind's entry, or NULL if the registries do not know it. */
static const json_t *reg_queue(const struct qtp_rpt *r, const char *name)
{
    const json_t *q = reg_list(r, "queues");
    int i = q ? reg_index(q, name) : -1;
    return i >= 0 ? json_array_get(q, (size_t)i) : NULL;
}

static bool uses_wait(const json_t *kind, const struct qtp_rep_record *row)
{
    return kind ? json_is_true(json_object_get(kind, "uses_wait")) : row->wait[0] != 0;
}

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

/* Stable sort of names: those in known first, in its order; the others as they came. */
static void names_order(struct names *s, const struct names *known)
{
    for (size_t i = 1; i < s->n; i++) {
        char *x = s->v[i];
        int rx = names_index(known, x);
        rx = rx < 0 ? (int)known->n : rx;
        size_t j = i;
        for (; j > 0; j--) {
            int rj = names_index(known, s->v[j - 1]);
            if ((rj < 0 ? (int)known->n : rj) <= rx)
                break;
            s->v[j] = s->v[j - 1];
        }
        s->v[j] = x;
    }
}

/* The names of a registry list, in order. */
static int known_names(const struct qtp_rpt *r, const char *key, struct names *out)
{
    const json_t *l = reg_list(r, key);
    int rc = 0;
    for (size_t i = 0; !rc && i < json_array_size(l); i++)
        if (reg_name(json_array_get(l, i)))
            rc = names_add(out, reg_name(json_array_get(l, i)));
    return rc;
}

/* Every queue/wait variant the registries know, in order: the wait strategies of each queue kind
 * with a wait axis, the kind alone for the others. */
static int known_variants(const struct qtp_rpt *r, struct names *out)
{
    size_t i, k;
    const json_t *q, *w;
    char buf[256];
    int rc = 0;
    json_array_foreach(reg_list(r, "queues"), i, q)
    {
        if (!json_is_true(json_object_get(q, "uses_wait"))) {
            rc = rc ? rc : names_add(out, reg_name(q));
            continue;
        }
        json_array_foreach(reg_list(r, "waits"), k, w)
        {
            snprintf(buf, sizeof buf, "%s/%s", reg_name(q), reg_name(w));
            rc = rc ? rc : names_add(out, buf);
        }
    }
    return rc;
}

static void variant_of(const struct qtp_rpt *r, const struct qtp_rep_record *row, char *buf,
                       size_t len)
{
    /* Queues without a wait axis always block: the variant is the queue alone. */
    if (uses_wait(reg_queue(r, row->queue), row))
        snprintf(buf, len, "%s/%s", row->queue, row->wait);
    else
        snprintf(buf, len, "%s", row->queue);
}

int qtp_rpt_kind_style(const struct qtp_rpt *r, const char *queue, const char *wait, int *family)
{
    const json_t *kind = reg_queue(r, queue), *fams = reg_list(r, "families");
    *family =
        kind && fams ? reg_index(fams, json_string_value(json_object_get(kind, "family"))) : -1;
    if (*family < 0)
        return -1;
    /* Its rank among the kinds of its family, times the waits when it has a wait axis. */
    size_t i, rank = 0;
    const json_t *q;
    json_array_foreach(reg_list(r, "queues"), i, q)
    {
        if (q == kind)
            break;
        rank += json_equal(json_object_get(q, "family"), json_object_get(kind, "family"));
    }
    if (!json_is_true(json_object_get(kind, "uses_wait")))
        return (int)rank;
    const json_t *waits = reg_list(r, "waits");
    int w = wait && waits ? reg_index(waits, wait) : 0;
    return w < 0 ? -1 : (int)(rank * json_array_size(waits)) + w;
}

bool qtp_rpt_family_per_edge(const struct qtp_rpt *r, int family)
{
    const json_t *f = json_array_get(reg_list(r, "families"), (size_t)family);
    return json_is_true(json_object_get(f, "per_edge"));
}

bool qtp_rpt_family_over(const struct qtp_rpt *r, int fw, int fm)
{
    const json_t *fams = reg_list(r, "families");
    const json_t *over = json_object_get(json_array_get(fams, (size_t)fw), "over");
    const char *m = reg_name(json_array_get(fams, (size_t)fm));
    if (fw < 0 || fm < 0 || !m)
        return false;
    if (!json_is_array(over)) /* written before families said: the shared ring over the rest */
        return !qtp_rpt_family_per_edge(r, fw) && qtp_rpt_family_per_edge(r, fm);
    size_t i;
    const json_t *o;
    json_array_foreach(over, i, o)
    {
        if (json_is_string(o) && strcmp(json_string_value(o), m) == 0)
            return true;
    }
    return false;
}

static void placement_of(const struct qtp_rep_record *row, bool with_memory, char *buf, size_t len)
{
    if (with_memory)
        snprintf(buf, len, "%s/%s", row->placement, row->memory);
    else
        snprintf(buf, len, "%s", row->placement);
}

/* The configuration of a cell: everything but its topology, queue and wait. */
static void cfg_of(const struct qtp_rep_record *row, char *buf, size_t len)
{
    static const bool skip[QTP_NCELL_NAMES] = {true, true, true, false, false};
    qtp_cell_key(row, skip, NULL, buf, len);
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

static int aggregate(struct qtp_rpt *r)
{
    struct names var = {0}, topo = {0}, place = {0}, cfg = {0};
    char buf[1024];
    if (qtp_summary_build(&r->summary, r->rows, r->nrows) ||
        !(r->cells = calloc(r->summary.ncells + 1, sizeof *r->cells)))
        return ENOMEM;
    r->ncells = r->summary.ncells;

    bool many_memory = false;
    for (size_t i = 1; i < r->nrows; i++)
        if (strcmp(r->rows[i].memory, r->rows[0].memory))
            many_memory = true;

    for (size_t c = 0; c < r->ncells; c++) {
        const struct qtp_rep_record *row = r->summary.cells[c].first;
        variant_of(r, row, buf, sizeof buf);
        if (names_add(&var, buf) || names_add(&topo, row->topology))
            goto fail;
        placement_of(row, many_memory, buf, sizeof buf);
        if (names_add(&place, buf))
            goto fail;
        cfg_of(row, buf, sizeof buf);
        if (names_add(&cfg, buf))
            goto fail;
    }
    struct names kv = {0}, kt = {0}, kp = {0};
    if (known_variants(r, &kv) || known_names(r, "topologies", &kt) ||
        known_names(r, "placements", &kp)) {
        names_free(kv.v, kv.n);
        names_free(kt.v, kt.n);
        names_free(kp.v, kp.n);
        goto fail;
    }
    names_order(&var, &kv);
    names_order(&topo, &kt);
    names_order(&place, &kp);
    names_free(kv.v, kv.n);
    names_free(kt.v, kt.n);
    names_free(kp.v, kp.n);
    if (!(r->variant_family = calloc(var.n + 1, sizeof *r->variant_family)) ||
        !(r->variant_rank = calloc(var.n + 1, sizeof *r->variant_rank)))
        goto fail;
    for (size_t v = 0; v < var.n; v++)
        r->variant_rank[v] = -1;

    for (size_t c = 0; c < r->ncells; c++) {
        struct qtp_rpt_cell *cell = &r->cells[c];
        cell->s = &r->summary.cells[c];
        const struct qtp_rep_record *row = cell->first = cell->s->first;
        variant_of(r, row, buf, sizeof buf);
        cell->variant = names_index(&var, buf);
        r->variant_rank[cell->variant] = qtp_rpt_kind_style(
            r, row->queue, uses_wait(reg_queue(r, row->queue), row) ? row->wait : NULL,
            &r->variant_family[cell->variant]);
        cell->topo = names_index(&topo, row->topology);
        placement_of(row, many_memory, buf, sizeof buf);
        cell->place = names_index(&place, buf);
        cfg_of(row, buf, sizeof buf);
        cell->cfg = names_index(&cfg, buf);
        copy_str(cell->hiccup_rel, sizeof cell->hiccup_rel, row->hiccup_file);
        /* Its histogram: the rows' hist field, else hist/<cell>.hgrm if it is there. */
        copy_str(cell->hist_rel, sizeof cell->hist_rel, cell->s->hist);
        if (cell->s->ok && !cell->hist_rel[0]) {
            char path[4800];
            snprintf(path, sizeof path, "%s/hist/%s.hgrm", r->dir, row->cell);
            if (file_exists(path))
                snprintf(cell->hist_rel, sizeof cell->hist_rel, "hist/%s.hgrm", row->cell);
        }
    }
    r->variants = var.v;
    r->nvariants = var.n;
    r->topologies = topo.v;
    r->ntopologies = topo.n;
    r->placements = place.v;
    r->nplacements = place.n;
    r->cfgs = cfg.v;
    r->ncfgs = cfg.n;
    return 0;

fail:
    names_free(var.v, var.n);
    names_free(topo.v, topo.n);
    names_free(place.v, place.n);
    names_free(cfg.v, cfg.n);
    return ENOMEM;
}

int qtp_rpt_load(struct qtp_rpt *r, const char *dir, const json_t *registries, char *err,
                 size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (strlen(dir) >= sizeof r->dir - 64) {
        qtp_set_err(err, errlen, "%.80s...: path too long", dir);
        return EINVAL;
    }
    copy_str(r->dir, sizeof r->dir, dir);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        qtp_set_err(err, errlen,
                    "%s: not a directory (give a results directory written by qtopo run)", dir);
        return EINVAL;
    }

    char path[4200];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    if (!file_exists(path)) {
        qtp_set_err(err, errlen,
                    "%s: missing (a results directory holds meta.json and results.jsonl)", path);
        return EINVAL;
    }
    json_error_t je;
    r->meta = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!r->meta) {
        qtp_set_err(err, errlen, "meta.json line %d column %d: %s", je.line, je.column, je.text);
        return EINVAL;
    }
    if (!json_is_object(r->meta)) {
        qtp_set_err(err, errlen, "meta.json: not a JSON object");
        qtp_rpt_free(r);
        return EINVAL;
    }
    r->registries = json_object_get(r->meta, "registries");
    if (!json_is_object(r->registries))
        r->registries = registries;
    int rc = load_rows(r, err, errlen);
    if (!rc && (rc = aggregate(r)))
        qtp_set_err(err, errlen, "out of memory aggregating %zu rows", r->nrows);
    if (!rc && (rc = list_hgrms(r)))
        qtp_set_err(err, errlen, "out of memory listing hist/");
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
    qtp_rpt_diagrams_free(r);
    json_decref(r->meta);
    qtp_summary_free(&r->summary);
    free(r->variant_family);
    free(r->variant_rank);
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
            qtp_set_err(err, errlen, "%s line %zu: line too long for a percentile row", name, line);
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
            qtp_set_err(err, errlen,
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
        qtp_set_err(err, errlen, "%s: %s", path, strerror(rc));
        return rc;
    }
    const char *base = strrchr(path, '/');
    char name[300];
    snprintf(name, sizeof name, "hist/%s", base ? base + 1 : path);
    rc = qtp_rpt_parse_hgrm(text, name, pts, npts, err, errlen);
    free(text);
    return rc;
}
