/* report_charts.c - the report's six charts: for each, a gnuplot data file and a script (the
 * chart's parameters + plots/common.gp + plots/<chart>.gp), then gnuplot on the script. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qtp_format.h"
#include "qtp_stats.h"
#include "qtp_text.h"
#include "report_int.h"

/* A gnuplot run that takes longer than this is stuck (the charts take well under a second). */
#define GNUPLOT_TIMEOUT_S 120

const char *qtp_rpt_template(const char *name)
{
    for (size_t i = 0; i < qtp_rpt_ntemplates; i++)
        if (!strcmp(qtp_rpt_templates[i].name, name))
            return qtp_rpt_templates[i].text;
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Colours: one per queue/wait (Okabe-Ito, readable by the colour-blind), the same on every
 * chart; placements get their own set. */

static const struct {
    const char *name, *color;
} known_colors[] = {
    {"ring/spin", "#0072B2"}, {"ring/yield", "#56B4E9"},  {"ring/block", "#009E73"},
    {"ring", "#0072B2"},      {"mutex-array", "#E69F00"}, {"mutex-linked", "#D55E00"},
};
static const char *const extra_colors[] = {"#CC79A7", "#999999", "#8C564B",
                                           "#F0E442", "#000000", "#7F7FFF"};
static const char *const placement_colors[] = {"#4C72B0", "#DD8452", "#55A868", "#C44E52",
                                               "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"};

static const char *color_of(const char *name, size_t idx)
{
    for (size_t i = 0; i < sizeof known_colors / sizeof *known_colors; i++)
        if (!strcmp(known_colors[i].name, name))
            return known_colors[i].color;
    return extra_colors[idx % (sizeof extra_colors / sizeof *extra_colors)];
}

/* ---------------------------------------------------------------------------------------------
 * Output files. */

struct ctx {
    const struct qtp_rpt *r;
    const char *outdir;
    int *base_cfg;  /* per topology: the configuration its bars are drawn from, -1: none ran */
    int base_place; /* the placement most ok cells ran under */
    char *err;
    size_t errlen;
};

static FILE *open_out(struct ctx *x, const char *name, const char *ext)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.%s", x->outdir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f)
        qtp_set_err(x->err, x->errlen, "%s: %s", path, strerror(errno));
    return f;
}

static int close_out(struct ctx *x, FILE *f, const char *name, const char *ext)
{
    int bad = ferror(f);
    if (fclose(f) != 0)
        bad = 1;
    if (bad) {
        qtp_set_err(x->err, x->errlen, "%s/%s.%s: write failed", x->outdir, name, ext);
        return EIO;
    }
    return 0;
}

/* A gnuplot double-quoted string: backslash and quote escaped, a newline kept as \n (two-line
 * tic labels), other control bytes dropped. Data reaches gnuplot only through these strings and
 * the .dat files, never as commands. */
static void gp_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c >= 0x20 && c != 0x7f)
            fputc(c, f);
    }
    fputc('"', f);
}

static void gp_strs(FILE *f, const char *name, char *const *v, size_t n)
{
    fprintf(f, "array %s[%zu] = [", name, n);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        gp_quote(f, v[i]);
    }
    fputs("]\n", f);
}

static void gp_cstrs(FILE *f, const char *name, const char *const *v, size_t n)
{
    gp_strs(f, name, (char *const *)v, n);
}

static void gp_nums(FILE *f, const char *name, const double *v, size_t n)
{
    fprintf(f, "array %s[%zu] = [", name, n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%.9g", i ? ", " : "", v[i]);
    fputs("]\n", f);
}

static void gp_begin(FILE *f, const struct qtp_rpt_chart *c, int width, int height,
                     const char *title)
{
    fprintf(
        f,
        "# %s: %s.\n"
        "# Written by `qtopo report` from plots/common.gp and plots/%s.gp. Rerun it by hand in\n"
        "# this directory (gnuplot %s.gp) after changing a setting: it reads %s.dat and\n"
        "# writes %s.svg and %s.png.\n\n",
        c->name, c->title, c->name, c->name, c->name, c->name, c->name);
    fprintf(f, "datafile = \"%s.dat\"\nsvgfile = \"%s.svg\"\npngfile = \"%s.png\"\n", c->name,
            c->name, c->name);
    fprintf(f, "width = %d\nheight = %d\nchart_title = ", width, height);
    gp_quote(f, title);
    fputc('\n', f);
}

static void gp_end(FILE *f, const char *name)
{
    fprintf(f, "\n# ---- plots/common.gp\n%s\n# ---- plots/%s.gp\n%s", qtp_rpt_template("common"),
            name, qtp_rpt_template(name));
}

/* A quoted string column of a .dat file. */
static void dat_label(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : ((unsigned char)*s < 0x20 ? ' ' : *s), f);
    fputc('"', f);
}

static void dat_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.9g", v);
    else
        fputs(" ?", f);
}

/* ---------------------------------------------------------------------------------------------
 * Which cells a chart draws. Every topology is drawn from one configuration (placement, memory
 * and parameters): the one with the most ok cells under the placement most cells ran with; the
 * placement and scaling charts then vary one thing away from it. */

static bool is_ring(const char *variant)
{
    return !strncmp(variant, "ring", 4);
}

static bool is_mutex(const char *variant)
{
    return !strncmp(variant, "mutex", 5);
}

static void choose_base(struct ctx *x)
{
    const struct qtp_rpt *r = x->r;
    size_t *n = calloc(r->nplacements + r->ncfgs + 1, sizeof *n);
    x->base_place = 0;
    if (!n)
        return; /* cannot happen in practice; base_cfg stays computable below */
    for (size_t c = 0; c < r->ncells; c++)
        if (r->cells[c].s->ok)
            n[r->cells[c].place]++;
    for (size_t p = 1; p < r->nplacements; p++)
        if (n[p] > n[x->base_place])
            x->base_place = (int)p;
    for (size_t t = 0; t < r->ntopologies; t++) {
        x->base_cfg[t] = -1;
        for (int pass = 0; pass < 2 && x->base_cfg[t] < 0; pass++) {
            size_t best = 0;
            for (size_t k = 0; k < r->ncfgs; k++) {
                size_t cnt = 0;
                for (size_t c = 0; c < r->ncells; c++) {
                    const struct qtp_rpt_cell *cell = &r->cells[c];
                    if (cell->s->ok && cell->topo == (int)t && cell->cfg == (int)k &&
                        (pass == 1 || cell->place == x->base_place))
                        cnt++;
                }
                if (cnt > best) {
                    best = cnt;
                    x->base_cfg[t] = (int)k;
                }
            }
        }
    }
    free(n);
}

static const struct qtp_rpt_cell *find_cell(const struct ctx *x, size_t t, int cfg, size_t v)
{
    for (size_t c = 0; c < x->r->ncells; c++) {
        const struct qtp_rpt_cell *cell = &x->r->cells[c];
        if (cell->s->ok && cell->topo == (int)t && cell->cfg == cfg && cell->variant == (int)v)
            return cell;
    }
    return NULL;
}

static const struct qtp_rpt_cell *any_base_cell(const struct ctx *x, size_t t)
{
    for (size_t c = 0; c < x->r->ncells; c++) {
        const struct qtp_rpt_cell *cell = &x->r->cells[c];
        if (cell->s->ok && cell->topo == (int)t && cell->cfg == x->base_cfg[t])
            return cell;
    }
    return NULL;
}

/* "fanout\nN=3", plus the placement when it is not the usual one. sep: "\n" or " ". */
static void topo_label(const struct ctx *x, size_t t, const char *sep, char *buf, size_t len)
{
    const struct qtp_rpt_cell *cell = any_base_cell(x, t);
    char pl[64] = "";
    if (cell)
        qtp_params_shape_label(&cell->first->params, pl, sizeof pl);
    int n = snprintf(buf, len, "%s%s%s", x->r->topologies[t], pl[0] ? sep : "", pl);
    if (cell && cell->place != x->base_place && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (%s)", x->r->placements[cell->place]);
}

/* The configuration key of a row without one parameter ("placement", "fanout" or "shards"). */
static void cfg_without(const struct qtp_rep_record *row, const char *skip, char *buf, size_t len)
{
    const struct qtp_cell_params *p = &row->params;
    bool sp = !strcmp(skip, "placement");
    snprintf(buf, len, "%s|%s|%s|%llu|%u|%u|%u|%llu|%u|%u|%u|%.9g", row->topology,
             sp ? "" : row->placement, row->memory, (unsigned long long)p->events, p->ring_size,
             p->batch, p->payload, (unsigned long long)p->work_ns,
             strcmp(skip, "fanout") ? p->fanout : 0, strcmp(skip, "shards") ? p->shards : 0,
             p->stages, p->rate);
}

/* ---------------------------------------------------------------------------------------------
 * Grouped bars (throughput, speed-up, placement, allocation): groups on the x axis, one bar per
 * series in each group, nv values per bar. */

struct bars {
    size_t ng, ns, nv;
    char **glabel;       /* [ng] */
    char **slabel;       /* [ns] */
    const char **scolor; /* [ns] */
    double *v;           /* [ns][ng][nv], NAN: no bar */
};

static int bars_init(struct bars *b, size_t ng, size_t ns, size_t nv)
{
    memset(b, 0, sizeof *b);
    b->ng = ng;
    b->ns = ns;
    b->nv = nv;
    b->glabel = calloc(ng ? ng : 1, sizeof *b->glabel);
    b->slabel = calloc(ns ? ns : 1, sizeof *b->slabel);
    b->scolor = calloc(ns ? ns : 1, sizeof *b->scolor);
    b->v = malloc((ns * ng * nv != 0 ? ns * ng * nv : 1) * sizeof *b->v);
    if (!b->glabel || !b->slabel || !b->scolor || !b->v)
        return ENOMEM;
    for (size_t i = 0; i < ns * ng * nv; i++)
        b->v[i] = NAN;
    return 0;
}

static void bars_free(struct bars *b)
{
    for (size_t i = 0; b->glabel && i < b->ng; i++)
        free(b->glabel[i]);
    for (size_t i = 0; b->slabel && i < b->ns; i++)
        free(b->slabel[i]);
    free(b->glabel);
    free(b->slabel);
    free(b->scolor);
    free(b->v);
}

static double *bar(struct bars *b, size_t s, size_t g)
{
    return &b->v[(s * b->ng + g) * b->nv];
}

/* Bars present in group g, and the rank of series s among them. */
static size_t group_count(const struct bars *b, size_t g, size_t upto)
{
    size_t n = 0;
    for (size_t s = 0; s < upto && s < b->ns; s++)
        n += !isnan(b->v[(s * b->ng + g) * b->nv]);
    return n;
}

/* Every bar has the same width: the widest group fills 0.8 of its slot. */
static double bar_width(const struct bars *b)
{
    size_t most = 1;
    for (size_t g = 0; g < b->ng; g++) {
        size_t n = group_count(b, g, b->ns);
        if (n > most)
            most = n;
    }
    return 0.8 / (double)most;
}

/* A group's bars sit side by side around its tick, without gaps for the series it lacks. */
static double bar_x(const struct bars *b, size_t s, size_t g)
{
    double n = (double)group_count(b, g, b->ns), rank = (double)group_count(b, g, s);
    return (double)(g + 1) + (rank - (n - 1) / 2.0) * bar_width(b);
}

/* Drop the series without a single bar (gnuplot's `index` needs every block to exist). */
static void bars_compact(struct bars *b)
{
    size_t out = 0;
    for (size_t s = 0; s < b->ns; s++) {
        bool any = false;
        for (size_t g = 0; g < b->ng; g++)
            any = any || !isnan(bar(b, s, g)[0]);
        if (!any) {
            free(b->slabel[s]);
            continue;
        }
        if (out != s) {
            memmove(bar(b, out, 0), bar(b, s, 0), b->ng * b->nv * sizeof *b->v);
            b->slabel[out] = b->slabel[s];
            b->scolor[out] = b->scolor[s];
        }
        out++;
    }
    b->ns = out;
}

static int bars_write_dat(struct ctx *x, const struct bars *b, const char *name,
                          const char *columns)
{
    FILE *f = open_out(x, name, "dat");
    if (!f)
        return EIO;
    fprintf(f, "# %s.dat - one block per series (gnuplot index = series - 1).\n", name);
    fprintf(f, "# columns: x %s group\n", columns);
    for (size_t s = 0; s < b->ns; s++) {
        fprintf(f, "%s# series %zu: ", s ? "\n\n" : "", s + 1);
        dat_label(f, b->slabel[s]);
        fputc('\n', f);
        for (size_t g = 0; g < b->ng; g++) {
            const double *v = bar((struct bars *)b, s, g);
            if (isnan(v[0]))
                continue;
            fprintf(f, "%.6g", bar_x(b, s, g));
            for (size_t k = 0; k < b->nv; k++)
                dat_num(f, v[k]);
            fputc(' ', f);
            char lab[256];
            snprintf(lab, sizeof lab, "%s", b->glabel[g]);
            for (char *p = lab; *p; p++)
                if (*p == '\n')
                    *p = ' ';
            dat_label(f, lab);
            fputc('\n', f);
        }
    }
    return close_out(x, f, name, "dat");
}

/* Beyond this many groups the tic labels go on one slanted line each. */
#define ROTATE_GROUPS 8

static void bars_write_params(FILE *f, const struct bars *b)
{
    fprintf(f, "ngroups = %zu\n", b->ng);
    if (b->ng > ROTATE_GROUPS)
        for (size_t g = 0; g < b->ng; g++)
            for (char *p = b->glabel[g]; *p; p++)
                if (*p == '\n')
                    *p = ' ';
    fprintf(f, "xtic_rotate = %d\n", b->ng > ROTATE_GROUPS);
    gp_strs(f, "groups", b->glabel, b->ng);
    fprintf(f, "nseries = %zu\n", b->ns);
    gp_strs(f, "series", b->slabel, b->ns);
    gp_cstrs(f, "colors", b->scolor, b->ns);
    fprintf(f, "barwidth = %.6g\n", bar_width(b));
}

static int bars_width(const struct bars *b, int per_bar, int min, int max)
{
    size_t bars = 0;
    for (size_t g = 0; g < b->ng; g++)
        bars += group_count(b, g, b->ns);
    long w = 300 + (long)bars * per_bar;
    return (int)(w < min ? min : (w > max ? max : w));
}

/* ---------------------------------------------------------------------------------------------
 * 1. Throughput. */

static int chart_throughput(struct ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    struct bars b;
    size_t ng = 0;
    for (size_t t = 0; t < r->ntopologies; t++)
        ng += x->base_cfg[t] >= 0;
    if (ng == 0) {
        snprintf(c->why, sizeof c->why,
                 "no cell has an ok rep, so there is no throughput to draw.");
        return 0;
    }
    int rc = bars_init(&b, ng, r->nvariants, 3);
    if (rc)
        goto done;
    size_t g = 0;
    double best = -1;
    const struct qtp_rpt_cell *best_cell = NULL;
    for (size_t t = 0; t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        char lab[256];
        topo_label(x, t, "\n", lab, sizeof lab);
        if (!(b.glabel[g] = strdup(lab)))
            goto oom;
        for (size_t v = 0; v < r->nvariants; v++) {
            const struct qtp_rpt_cell *cell = find_cell(x, t, x->base_cfg[t], v);
            if (!cell ||
                !(cell->s->stat[QTP_METRIC_THROUGHPUT].median > 0)) /* a log axis has no 0 */
                continue;
            double *p = bar(&b, v, g);
            p[0] = cell->s->stat[QTP_METRIC_THROUGHPUT].median;
            p[1] = cell->s->stat[QTP_METRIC_THROUGHPUT].min;
            p[2] = cell->s->stat[QTP_METRIC_THROUGHPUT].max;
            if (cell->s->stat[QTP_METRIC_THROUGHPUT].median > best) {
                best = cell->s->stat[QTP_METRIC_THROUGHPUT].median;
                best_cell = cell;
            }
        }
        g++;
    }
    for (size_t v = 0; v < r->nvariants; v++) {
        if (!(b.slabel[v] = strdup(r->variants[v])))
            goto oom;
        b.scolor[v] = color_of(r->variants[v], v);
    }
    bars_compact(&b);
    if ((rc = bars_write_dat(x, &b, c->name, "median min max")))
        goto done;
    FILE *f = open_out(x, c->name, "gp");
    if (!f) {
        rc = EIO;
        goto done;
    }
    gp_begin(f, c, bars_width(&b, 26, 900, 1600), 500,
             "Throughput by topology and queue/wait (median, min–max)");
    bars_write_params(f, &b);
    gp_end(f, c->name);
    if ((rc = close_out(x, f, c->name, "gp")))
        goto done;
    char rate[32];
    qtp_format_rate(best, QTP_STYLE_PAGE, rate, sizeof rate);
    snprintf(c->caption, sizeof c->caption,
             "Events per second for each topology (placement %s), one bar per queue and wait "
             "strategy: the median over the reps with whiskers from the slowest to the fastest "
             "rep, on a log scale; the fastest is %s on %s at %s.",
             r->placements[x->base_place], r->variants[best_cell->variant],
             best_cell->first->topology, rate);
    c->drawn = true;
    goto done;
oom:
    rc = ENOMEM;
    qtp_set_err(x->err, x->errlen, "out of memory");
done:
    bars_free(&b);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * 2. Ring speed-up over each mutex queue. */

/* As qtp_ratio in common.gp: "12×", "3.4×", "0.045×". */
static void fmt_ratio(double v, char *buf, size_t len)
{
    if (v >= 10)
        snprintf(buf, len, "%.0f×", v);
    else if (v >= 1)
        snprintf(buf, len, "%.1f×", v);
    else
        snprintf(buf, len, "%.2g×", v);
}

static int chart_speedup(struct ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    size_t nv = r->nvariants, ng = 0;
    for (size_t t = 0; t < r->ntopologies; t++)
        ng += x->base_cfg[t] >= 0;
    struct bars b;
    /* Series (mutex m, ring w) in order of m then w: the first mutex queue's drawn solid. */
    int rc = bars_init(&b, ng, nv * nv, 1);
    if (rc) {
        bars_free(&b);
        return rc;
    }
    size_t g = 0;
    double lo = INFINITY, hi = 0;
    char lo_at[256] = "", hi_at[256] = "";
    for (size_t t = 0; t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        char lab[256];
        topo_label(x, t, "\n", lab, sizeof lab);
        if (!(b.glabel[g] = strdup(lab)))
            goto oom;
        for (size_t m = 0; m < nv; m++) {
            const struct qtp_rpt_cell *mc;
            if (!is_mutex(r->variants[m]) || !(mc = find_cell(x, t, x->base_cfg[t], m)) ||
                !(mc->s->stat[QTP_METRIC_THROUGHPUT].median > 0))
                continue;
            for (size_t w = 0; w < nv; w++) {
                const struct qtp_rpt_cell *wc;
                if (!is_ring(r->variants[w]) || !(wc = find_cell(x, t, x->base_cfg[t], w)))
                    continue;
                double ratio = wc->s->stat[QTP_METRIC_THROUGHPUT].median /
                               mc->s->stat[QTP_METRIC_THROUGHPUT].median;
                if (!isfinite(ratio) || ratio <= 0)
                    continue;
                bar(&b, m * nv + w, g)[0] = ratio;
                char at[256];
                snprintf(at, sizeof at, "%s over %s on %s", r->variants[w], r->variants[m],
                         r->topologies[t]);
                if (ratio < lo) {
                    lo = ratio;
                    snprintf(lo_at, sizeof lo_at, "%s", at);
                }
                if (ratio > hi) {
                    hi = ratio;
                    snprintf(hi_at, sizeof hi_at, "%s", at);
                }
            }
        }
        g++;
    }
    for (size_t m = 0; m < nv; m++)
        for (size_t w = 0; w < nv; w++) {
            char lab[256];
            snprintf(lab, sizeof lab, "%s ÷ %s", r->variants[w], r->variants[m]);
            if (!(b.slabel[m * nv + w] = strdup(lab)))
                goto oom;
            b.scolor[m * nv + w] = color_of(r->variants[w], w);
        }
    /* nsolid: the series over the first mutex queue that has any (they come first). */
    size_t first_m = nv, nsolid = 0;
    for (size_t m = 0; m < nv && first_m == nv; m++)
        for (size_t w = 0; w < nv; w++)
            for (size_t gg = 0; gg < ng; gg++)
                if (!isnan(bar(&b, m * nv + w, gg)[0]))
                    first_m = m;
    for (size_t w = 0; first_m < nv && w < nv; w++)
        for (size_t gg = 0; gg < ng; gg++)
            if (!isnan(bar(&b, first_m * nv + w, gg)[0])) {
                nsolid++;
                break;
            }
    bars_compact(&b);
    if (b.ns == 0 || ng == 0) {
        snprintf(c->why, sizeof c->why,
                 "no topology has ok cells over both the ring and a mutex queue in the same "
                 "configuration, so there is no ratio to draw.");
        bars_free(&b);
        return 0;
    }
    if ((rc = bars_write_dat(x, &b, c->name, "ratio")))
        goto done;
    FILE *f = open_out(x, c->name, "gp");
    if (!f) {
        rc = EIO;
        goto done;
    }
    gp_begin(f, c, bars_width(&b, 24, 900, 1600), 500,
             "Ring speed-up over the mutex queues (median throughput ratio)");
    bars_write_params(f, &b);
    fprintf(f, "nsolid = %zu\n", nsolid);
    double ymin = lo / 1.8 < 0.5 ? lo / 1.8 : 0.5, ymax = hi * 1.8 > 2 ? hi * 1.8 : 2;
    fprintf(f, "ymin = %.6g\nymax = %.6g\n", ymin, ymax);
    gp_end(f, c->name);
    if ((rc = close_out(x, f, c->name, "gp")))
        goto done;
    char lo_s[32], hi_s[32];
    fmt_ratio(lo, lo_s, sizeof lo_s);
    fmt_ratio(hi, hi_s, sizeof hi_s);
    char others[256] = "";
    for (size_t m = first_m + 1; m < nv; m++)
        if (is_mutex(r->variants[m])) {
            size_t n = strlen(others);
            snprintf(others + n, sizeof others - n, "%s%s", n ? ", " : "", r->variants[m]);
        }
    if (others[0])
        snprintf(c->caption, sizeof c->caption,
                 "The ring's median throughput divided by each mutex queue's, per topology and "
                 "ring wait strategy (solid: over %s, hatched: over %s), above the dashed 1× line "
                 "the ring is faster: from %s (%s) to %s (%s).",
                 r->variants[first_m], others, lo_s, lo_at, hi_s, hi_at);
    else
        snprintf(c->caption, sizeof c->caption,
                 "The ring's median throughput divided by %s's, per topology and ring wait "
                 "strategy, above the dashed 1× line the ring is faster: from %s (%s) to %s (%s).",
                 r->variants[first_m], lo_s, lo_at, hi_s, hi_at);
    c->drawn = true;
    goto done;
oom:
    rc = ENOMEM;
    qtp_set_err(x->err, x->errlen, "out of memory");
done:
    bars_free(&b);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * 3. Latency percentile distribution from the .hgrm files. */

/* Unit of a histogram's values in ns. qtopo writes microseconds (qtp_results.h); a file written
 * in another unit is recognised by comparing its median with the rows' p50 (in ns). */
static double hgrm_unit_ns(const struct qtp_rpt_hpoint *p, size_t n, double p50_ns)
{
    double v50 = NAN;
    for (size_t i = 0; i < n; i++)
        if (p[i].percentile >= 0.5) {
            v50 = p[i].value;
            break;
        }
    if (!(p50_ns > 0) || !(v50 > 0))
        return 1000.0;
    static const double units[] = {1.0, 1e3, 1e6, 1e9};
    double best = 1000.0, bestd = INFINITY;
    for (size_t i = 0; i < 4; i++) {
        double d = fabs(log10(v50 * units[i] / p50_ns));
        if (d < bestd) {
            bestd = d;
            best = units[i];
        }
    }
    return best;
}

static int chart_latency(struct ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    size_t maxlines = r->ntopologies * r->nvariants + 1;
    char **ptitle = calloc(r->ntopologies + 1, sizeof *ptitle);
    double *pfirst = calloc(r->ntopologies + 1, sizeof *pfirst);
    double *plast = calloc(r->ntopologies + 1, sizeof *plast);
    const char **ltitle = calloc(maxlines, sizeof *ltitle);
    const char **lcolor = calloc(maxlines, sizeof *lcolor);
    size_t np = 0, nl = 0;
    double xmax = 100;
    char missing[400] = "";
    size_t nmissing = 0;
    int rc = 0;
    FILE *dat = NULL;
    if (!ptitle || !pfirst || !plast || !ltitle || !lcolor) {
        rc = ENOMEM;
        qtp_set_err(x->err, x->errlen, "out of memory");
        goto done;
    }
    if (!(dat = open_out(x, c->name, "dat"))) {
        rc = EIO;
        goto done;
    }
    fprintf(dat, "# latency.dat - one block per line (gnuplot index = line - 1), from the cells'\n"
                 "# .hgrm files (HdrHistogram percentile distribution, reps merged).\n"
                 "# columns: latency_seconds 1/(1-percentile) percentile\n");
    for (size_t t = 0; t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        size_t first = nl;
        for (size_t v = 0; v < r->nvariants; v++) {
            const struct qtp_rpt_cell *cell = find_cell(x, t, x->base_cfg[t], v);
            if (!cell)
                continue;
            char path[4800];
            snprintf(path, sizeof path, "%s/%s", r->dir, cell->hist_rel);
            struct stat st;
            if (!cell->hist_rel[0] || stat(path, &st) != 0) {
                size_t n = strlen(missing);
                if (nmissing++ < 4)
                    snprintf(missing + n, sizeof missing - n, "%s%s %s", n ? ", " : "",
                             r->topologies[t], r->variants[v]);
                continue;
            }
            struct qtp_rpt_hpoint *pts;
            size_t npts;
            if ((rc = qtp_rpt_read_hgrm(path, &pts, &npts, x->err, x->errlen))) {
                if (rc != ENOMEM)
                    rc = EINVAL; /* a damaged results directory */
                goto done;
            }
            size_t valid = 0;
            for (size_t i = 0; i < npts; i++)
                valid += pts[i].value > 0;
            if (!valid) { /* an empty histogram: no line */
                free(pts);
                size_t n = strlen(missing);
                if (nmissing++ < 4)
                    snprintf(missing + n, sizeof missing - n, "%s%s %s", n ? ", " : "",
                             r->topologies[t], r->variants[v]);
                continue;
            }
            double unit = hgrm_unit_ns(pts, npts, cell->s->stat[QTP_METRIC_P50].median);
            fprintf(dat, "%s# line %zu: ", nl ? "\n\n" : "", nl + 1);
            dat_label(dat, r->variants[v]);
            fprintf(dat, " (%s, %s)\n", r->topologies[t], cell->hist_rel);
            for (size_t i = 0; i < npts; i++) {
                if (!(pts[i].value > 0))
                    continue; /* a log axis has no 0 */
                double inv = 1.0 / (1.0 - pts[i].percentile);
                if (inv > xmax)
                    xmax = inv;
                fprintf(dat, "%.9g %.9g %.12g\n", pts[i].value * unit * 1e-9, inv,
                        pts[i].percentile);
            }
            free(pts);
            ltitle[nl] = r->variants[v];
            lcolor[nl] = color_of(r->variants[v], v);
            nl++;
        }
        if (nl > first) {
            char lab[256];
            topo_label(x, t, " ", lab, sizeof lab);
            if (!(ptitle[np] = strdup(lab))) {
                rc = ENOMEM;
                goto done;
            }
            pfirst[np] = (double)first + 1;
            plast[np] = (double)nl;
            np++;
        }
    }
    if ((rc = close_out(x, dat, c->name, "dat"))) {
        dat = NULL;
        goto done;
    }
    dat = NULL;
    if (nmissing)
        snprintf(c->note, sizeof c->note,
                 "No histogram (.hgrm) or an empty one for %zu cell%s: %s%s.", nmissing,
                 nmissing == 1 ? "" : "s", missing, nmissing > 4 ? ", ..." : "");
    if (np == 0) {
        snprintf(c->why, sizeof c->why,
                 "none of the cells that ran has a histogram file (hist/*.hgrm).");
        goto done;
    }
    size_t ncols = np == 1 ? 1 : 2, nrows = (np + ncols - 1) / ncols;
    FILE *f = open_out(x, c->name, "gp");
    if (!f) {
        rc = EIO;
        goto done;
    }
    gp_begin(f, c, ncols == 1 ? 900 : 1200, (int)(60 + 380 * nrows),
             "Latency by percentile (HdrHistogram distribution, publish to last stage)");
    fprintf(f, "npanels = %zu\nnrows = %zu\nncols = %zu\n", np, nrows, ncols);
    gp_strs(f, "panel_title", ptitle, np);
    gp_nums(f, "pfirst", pfirst, np);
    gp_nums(f, "plast", plast, np);
    gp_cstrs(f, "line_title", ltitle, nl);
    gp_cstrs(f, "line_color", lcolor, nl);
    fprintf(f, "xmax = %.6g\n", pow(10.0, ceil(log10(xmax * 1.0001))));
    gp_end(f, c->name);
    if ((rc = close_out(x, f, c->name, "gp")))
        goto done;
    snprintf(c->caption, sizeof c->caption,
             "Latency from publish to the last stage at each percentile, one panel per topology "
             "and one line per queue and wait strategy (HdrHistogram percentile distribution of "
             "the merged reps, log-log): lower lines are faster, and the further right a line "
             "stays flat, the shorter its tail.");
    c->drawn = true;
done:
    if (dat)
        fclose(dat);
    for (size_t i = 0; ptitle && i < np; i++)
        free(ptitle[i]);
    free(ptitle);
    free(pfirst);
    free(plast);
    free(ltitle);
    free(lcolor);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * 4. Placement. */

struct pgroup {
    size_t t, v;
    char key[512];
    const struct qtp_rpt_cell *first;
};

static int chart_placement(struct ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    struct pgroup *gs = calloc(r->ncells + 1, sizeof *gs);
    size_t ng = 0;
    bool have_p99 = false; /* no latency recorded: the p99 panel is left out */
    struct bars b = {0};
    int rc = 0;
    if (!gs)
        goto oom;
    /* Groups: topology x queue/wait, everything but the placement as in the topology's drawn
     * configuration (the sweeps have their own chart), with >= 2 placements. */
    for (size_t t = 0; t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        char base_key[512];
        cfg_without(any_base_cell(x, t)->first, "placement", base_key, sizeof base_key);
        for (size_t v = 0; v < r->nvariants; v++)
            for (size_t ci = 0; ci < r->ncells; ci++) {
                const struct qtp_rpt_cell *cell = &r->cells[ci];
                if (!cell->s->ok || cell->topo != (int)t || cell->variant != (int)v)
                    continue;
                char key[512];
                cfg_without(cell->first, "placement", key, sizeof key);
                if (strcmp(key, base_key))
                    continue;
                size_t g;
                for (g = 0; g < ng; g++)
                    if (gs[g].t == t && gs[g].v == v && !strcmp(gs[g].key, key))
                        break;
                if (g == ng) {
                    gs[ng].t = t;
                    gs[ng].v = v;
                    gs[ng].first = cell;
                    snprintf(gs[ng].key, sizeof gs[ng].key, "%s", key);
                    ng++;
                }
            }
    }
    if ((rc = bars_init(&b, ng, r->nplacements, 4)))
        goto oom;
    size_t kept = 0;
    for (size_t g = 0; g < ng; g++) {
        size_t nplaces = 0;
        for (size_t p = 0; p < r->nplacements; p++) {
            for (size_t ci = 0; ci < r->ncells; ci++) {
                const struct qtp_rpt_cell *cell = &r->cells[ci];
                char key[512];
                if (!cell->s->ok || cell->topo != (int)gs[g].t || cell->variant != (int)gs[g].v ||
                    cell->place != (int)p)
                    continue;
                cfg_without(cell->first, "placement", key, sizeof key);
                if (strcmp(key, gs[g].key))
                    continue;
                if (!(cell->s->stat[QTP_METRIC_THROUGHPUT].median > 0))
                    break;
                double *v = bar(&b, p, kept);
                v[0] = cell->s->stat[QTP_METRIC_THROUGHPUT].median;
                v[1] = cell->s->stat[QTP_METRIC_THROUGHPUT].min;
                v[2] = cell->s->stat[QTP_METRIC_THROUGHPUT].max;
                v[3] = cell->s->stat[QTP_METRIC_P99].median > 0
                           ? cell->s->stat[QTP_METRIC_P99].median * 1e-9
                           : NAN;
                have_p99 = have_p99 || !isnan(v[3]);
                nplaces++;
                break;
            }
        }
        if (nplaces < 2) {
            for (size_t p = 0; p < r->nplacements; p++)
                bar(&b, p, kept)[0] = NAN;
            continue;
        }
        char pl[64] = "", lab[256];
        qtp_params_shape_label(&gs[g].first->first->params, pl, sizeof pl);
        snprintf(lab, sizeof lab, "%s%s%s\n%s", r->topologies[gs[g].t], pl[0] ? " " : "", pl,
                 r->variants[gs[g].v]);
        if (!(b.glabel[kept] = strdup(lab)))
            goto oom;
        kept++;
    }
    if (kept == 0) {
        char ran[256] = "";
        for (size_t p = 0; p < r->nplacements; p++) {
            bool any = false;
            for (size_t ci = 0; ci < r->ncells; ci++)
                any = any || (r->cells[ci].s->ok && r->cells[ci].place == (int)p);
            size_t n = strlen(ran);
            if (any)
                snprintf(ran + n, sizeof ran - n, "%s%s", n ? ", " : "", r->placements[p]);
        }
        snprintf(c->why, sizeof c->why,
                 "no topology and queue ran under more than one placement (placements with ok "
                 "cells: %s), so there is nothing to compare.",
                 ran[0] ? ran : "none");
        goto done;
    }
    /* Keep the group rows that were filled: move them to the front. */
    {
        size_t ng_old = b.ng;
        b.ng = kept;
        for (size_t s = 0; s < b.ns; s++)
            memmove(&b.v[s * kept * b.nv], &b.v[s * ng_old * b.nv], kept * b.nv * sizeof *b.v);
    }
    for (size_t p = 0; p < r->nplacements; p++) {
        if (!(b.slabel[p] = strdup(r->placements[p])))
            goto oom;
        b.scolor[p] = placement_colors[p % (sizeof placement_colors / sizeof *placement_colors)];
    }
    bars_compact(&b);
    if ((rc = bars_write_dat(x, &b, c->name, "tput_median tput_min tput_max p99_seconds")))
        goto done;
    FILE *f = open_out(x, c->name, "gp");
    if (!f) {
        rc = EIO;
        goto done;
    }
    gp_begin(f, c, bars_width(&b, 30, 900, 1800),
             (have_p99 ? 780 : 440) + (b.ng > ROTATE_GROUPS ? 140 : 0),
             have_p99 ? "Placement: throughput and p99 latency per placement policy"
                      : "Placement: throughput per placement policy");
    bars_write_params(f, &b);
    fprintf(f, "have_p99 = %d\n", have_p99);
    gp_end(f, c->name);
    if ((rc = close_out(x, f, c->name, "gp")))
        goto done;
    char names[256] = "";
    for (size_t s = 0; s < b.ns; s++) {
        size_t n = strlen(names);
        snprintf(names + n, sizeof names - n, "%s%s", s ? ", " : "", b.slabel[s]);
    }
    snprintf(c->caption, sizeof c->caption,
             "Throughput (%s median with min–max whiskers)%s of each topology and queue that ran "
             "under more than one placement, one bar per placement policy that ran (%s).",
             have_p99 ? "top," : "", have_p99 ? " and p99 latency (bottom)" : "", names);
    c->drawn = true;
    goto done;
oom:
    rc = ENOMEM;
    qtp_set_err(x->err, x->errlen, "out of memory");
done:
    bars_free(&b);
    free(gs);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * 5. Allocation per event. */

static int chart_alloc(struct ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    /* Queue kinds in variant order (ring first). */
    const char **kinds = calloc(r->nvariants + 1, sizeof *kinds);
    double *tmp = calloc(r->ncells + 1, sizeof *tmp);
    double *tmpb = calloc(r->ncells + 1, sizeof *tmpb);
    struct bars b = {0};
    size_t nk = 0, ng = 0;
    int rc = 0;
    if (!kinds || !tmp || !tmpb)
        goto oom;
    for (size_t v = 0; v < r->nvariants; v++)
        for (size_t ci = 0; ci < r->ncells; ci++) {
            const struct qtp_rpt_cell *cell = &r->cells[ci];
            if (cell->variant != (int)v)
                continue;
            size_t k;
            for (k = 0; k < nk; k++)
                if (!strcmp(kinds[k], cell->first->queue))
                    break;
            if (k == nk)
                kinds[nk++] = cell->first->queue;
            break;
        }
    for (size_t t = 0; t < r->ntopologies; t++)
        ng += x->base_cfg[t] >= 0;
    if (ng == 0) {
        snprintf(c->why, sizeof c->why, "no cell has an ok rep, so no allocation was measured.");
        goto done;
    }
    if ((rc = bars_init(&b, ng, nk, 2)))
        goto oom;
    double maxc = 0, maxb = 0;
    size_t g = 0;
    for (size_t t = 0; t < r->ntopologies; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        char lab[256];
        topo_label(x, t, "\n", lab, sizeof lab);
        if (!(b.glabel[g] = strdup(lab)))
            goto oom;
        for (size_t k = 0; k < nk; k++) {
            size_t n = 0;
            for (size_t ci = 0; ci < r->ncells; ci++) {
                const struct qtp_rpt_cell *cell = &r->cells[ci];
                if (cell->s->ok && cell->topo == (int)t && cell->cfg == x->base_cfg[t] &&
                    !strcmp(cell->first->queue, kinds[k])) {
                    tmp[n] = cell->s->stat[QTP_METRIC_ALLOC].median;
                    tmpb[n] = cell->s->stat[QTP_METRIC_BYTES].median;
                    n++;
                }
            }
            if (!n)
                continue;
            double *v = bar(&b, k, g);
            v[0] = qtp_stats_median(tmp, n);
            v[1] = qtp_stats_median(tmpb, n);
            if (v[0] > maxc)
                maxc = v[0];
            if (v[1] > maxb)
                maxb = v[1];
        }
        g++;
    }
    for (size_t k = 0; k < nk; k++) {
        if (!(b.slabel[k] = strdup(kinds[k])))
            goto oom;
        b.scolor[k] = color_of(kinds[k], k);
    }
    bars_compact(&b);
    if ((rc = bars_write_dat(x, &b, c->name, "calls_per_event bytes_per_event")))
        goto done;
    FILE *f = open_out(x, c->name, "gp");
    if (!f) {
        rc = EIO;
        goto done;
    }
    gp_begin(f, c, bars_width(&b, 34, 900, 1600), 760, "Allocation per event (measured window)");
    bars_write_params(f, &b);
    fprintf(f, "ymax_calls = %.6g\nymax_bytes = %.6g\n", maxc > 0 ? maxc * 1.3 : 1.0,
            maxb > 0 ? maxb * 1.3 : 1.0);
    gp_end(f, c->name);
    if ((rc = close_out(x, f, c->name, "gp")))
        goto done;
    /* Which kinds never allocate: said in words too. */
    char zero[256] = "";
    for (size_t k = 0; k < b.ns; k++) {
        bool all0 = true;
        for (size_t gg = 0; gg < b.ng; gg++) {
            double v = bar(&b, k, gg)[0];
            if (!isnan(v) && v != 0)
                all0 = false;
        }
        size_t n = strlen(zero);
        if (all0)
            snprintf(zero + n, sizeof zero - n, "%s%s", n ? ", " : "", b.slabel[k]);
    }
    snprintf(c->caption, sizeof c->caption,
             "Allocator calls (top) and bytes (bottom) per event during the measured window, per "
             "topology and queue kind (median over its cells and reps), every bar labelled with "
             "its value so that a queue that allocates nothing shows a 0 on the axis%s%s%s.",
             zero[0] ? " (here: " : "", zero, zero[0] ? ")" : "");
    c->drawn = true;
    goto done;
oom:
    rc = ENOMEM;
    qtp_set_err(x->err, x->errlen, "out of memory");
done:
    bars_free(&b);
    free(kinds);
    free(tmp);
    free(tmpb);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * 6. Scaling with the fan-out and the shard count. */

static const struct {
    const char *topology, *param, *axis, *what;
} sweeps[] = {
    {"fanout", "fanout", "fan-out N (consumers, each sees every event)", "fan-out"},
    {"shard", "shards", "shard count N (workers, events dealt out by sequence)", "shard"},
};

static uint32_t sweep_value(const struct qtp_rep_record *row, const char *param)
{
    return !strcmp(param, "fanout") ? row->params.fanout : row->params.shards;
}

static int chart_scaling(struct ctx *x, struct qtp_rpt_chart *c)
{
    const struct qtp_rpt *r = x->r;
    size_t maxl = 2 * r->nvariants + 1;
    const char **ltitle = calloc(maxl, sizeof *ltitle), **lcolor = calloc(maxl, sizeof *lcolor);
    char *ptitle[2], *pxlabel[2];
    double pfirst[2], plast[2], pxmin[2], pxmax[2];
    const struct qtp_rpt_cell **pts = calloc(r->ncells + 1, sizeof *pts);
    size_t np = 0, nl = 0;
    char gaps[600] = "";
    int rc = 0;
    FILE *dat = NULL;
    if (!ltitle || !lcolor || !pts) {
        rc = ENOMEM;
        qtp_set_err(x->err, x->errlen, "out of memory");
        goto done;
    }
    if (!(dat = open_out(x, c->name, "dat"))) {
        rc = EIO;
        goto done;
    }
    fprintf(dat, "# scaling.dat - one block per line (gnuplot index = line - 1).\n"
                 "# columns: N throughput_median throughput_min throughput_max\n");
    for (size_t s = 0; s < sizeof sweeps / sizeof *sweeps; s++) {
        size_t t;
        for (t = 0; t < r->ntopologies; t++)
            if (!strcmp(r->topologies[t], sweeps[s].topology))
                break;
        if (t == r->ntopologies || x->base_cfg[t] < 0)
            continue;
        char base_key[512];
        cfg_without(any_base_cell(x, t)->first, sweeps[s].param, base_key, sizeof base_key);
        size_t first = nl;
        uint32_t nmin = UINT32_MAX, nmax = 0;
        /* Best ring and best mutex median at each end of the sweep, for the caption. */
        for (size_t v = 0; v < r->nvariants; v++) {
            size_t n = 0;
            for (size_t ci = 0; ci < r->ncells; ci++) {
                const struct qtp_rpt_cell *cell = &r->cells[ci];
                char key[512];
                if (!cell->s->ok || cell->topo != (int)t || cell->variant != (int)v ||
                    !(cell->s->stat[QTP_METRIC_THROUGHPUT].median > 0))
                    continue;
                cfg_without(cell->first, sweeps[s].param, key, sizeof key);
                if (strcmp(key, base_key))
                    continue;
                /* Insert sorted by N. */
                uint32_t nv = sweep_value(cell->first, sweeps[s].param);
                size_t i = n++;
                while (i > 0 && sweep_value(pts[i - 1]->first, sweeps[s].param) > nv) {
                    pts[i] = pts[i - 1];
                    i--;
                }
                pts[i] = cell;
            }
            if (n < 2)
                continue;
            fprintf(dat, "%s# line %zu: ", nl ? "\n\n" : "", nl + 1);
            dat_label(dat, r->variants[v]);
            fprintf(dat, " (%s)\n", sweeps[s].what);
            for (size_t i = 0; i < n; i++) {
                uint32_t nv = sweep_value(pts[i]->first, sweeps[s].param);
                if (nv < nmin)
                    nmin = nv;
                if (nv > nmax)
                    nmax = nv;
                fprintf(dat, "%u", nv);
                dat_num(dat, pts[i]->s->stat[QTP_METRIC_THROUGHPUT].median);
                dat_num(dat, pts[i]->s->stat[QTP_METRIC_THROUGHPUT].min);
                dat_num(dat, pts[i]->s->stat[QTP_METRIC_THROUGHPUT].max);
                fputc('\n', dat);
            }
            ltitle[nl] = r->variants[v];
            lcolor[nl] = color_of(r->variants[v], v);
            nl++;
        }
        if (nl == first || nmin == nmax)
            continue;
        char title[128];
        snprintf(title, sizeof title, "%s (placement %s)", r->topologies[t],
                 r->placements[any_base_cell(x, t)->place]);
        ptitle[np] = strdup(title);
        pxlabel[np] = strdup(sweeps[s].axis);
        if (!ptitle[np] || !pxlabel[np]) {
            free(ptitle[np]);
            free(pxlabel[np]);
            rc = ENOMEM;
            goto done;
        }
        pfirst[np] = (double)first + 1;
        plast[np] = (double)nl;
        pxmin[np] = nmin / 1.5;
        pxmax[np] = nmax * 1.5;
        np++;
        /* The ring's lead over the best mutex queue at both ends of the sweep. */
        double ends[2][2] = {{0, 0}, {0, 0}}; /* [end][ring?] best median */
        for (size_t ci = 0; ci < r->ncells; ci++) {
            const struct qtp_rpt_cell *cell = &r->cells[ci];
            char key[512];
            if (!cell->s->ok || cell->topo != (int)t)
                continue;
            cfg_without(cell->first, sweeps[s].param, key, sizeof key);
            uint32_t nv = sweep_value(cell->first, sweeps[s].param);
            if (strcmp(key, base_key) || (nv != nmin && nv != nmax))
                continue;
            int ring = is_ring(r->variants[cell->variant]);
            if (!ring && !is_mutex(r->variants[cell->variant]))
                continue;
            double *e = &ends[nv == nmax][ring];
            if (cell->s->stat[QTP_METRIC_THROUGHPUT].median > *e)
                *e = cell->s->stat[QTP_METRIC_THROUGHPUT].median;
        }
        if (ends[0][0] > 0 && ends[0][1] > 0 && ends[1][0] > 0 && ends[1][1] > 0) {
            char r0[32], r1[32];
            fmt_ratio(ends[0][1] / ends[0][0], r0, sizeof r0);
            fmt_ratio(ends[1][1] / ends[1][0], r1, sizeof r1);
            size_t n = strlen(gaps);
            snprintf(gaps + n, sizeof gaps - n, "%sfrom %s at %s N=%u to %s at N=%u",
                     n ? ", and " : "; the ring's lead over the best mutex queue goes ", r0,
                     sweeps[s].what, nmin, r1, nmax);
        }
    }
    if ((rc = close_out(x, dat, c->name, "dat"))) {
        dat = NULL;
        goto done;
    }
    dat = NULL;
    if (np == 0) {
        snprintf(c->why, sizeof c->why,
                 "the results hold no fan-out or shard sweep (no queue ran the fanout or shard "
                 "topology at two or more N with everything else equal).");
        goto done;
    }
    FILE *f = open_out(x, c->name, "gp");
    if (!f) {
        rc = EIO;
        goto done;
    }
    gp_begin(f, c, np == 1 ? 800 : 1200, 520, "Scaling with fan-out N and shard count N");
    fprintf(f, "npanels = %zu\n", np);
    gp_strs(f, "panel_title", ptitle, np);
    gp_strs(f, "panel_xlabel", pxlabel, np);
    gp_nums(f, "pfirst", pfirst, np);
    gp_nums(f, "plast", plast, np);
    gp_nums(f, "pxmin", pxmin, np);
    gp_nums(f, "pxmax", pxmax, np);
    gp_cstrs(f, "line_title", ltitle, nl);
    gp_cstrs(f, "line_color", lcolor, nl);
    gp_end(f, c->name);
    if ((rc = close_out(x, f, c->name, "gp")))
        goto done;
    snprintf(c->caption, sizeof c->caption,
             "Throughput against the fan-out N and the shard count N, one line per queue and "
             "wait strategy (median with min–max whiskers)%s.",
             gaps);
    c->drawn = true;
done:
    if (dat)
        fclose(dat);
    for (size_t i = 0; i < np; i++) {
        free(ptitle[i]);
        free(pxlabel[i]);
    }
    free(ltitle);
    free(lcolor);
    free(pts);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * gnuplot. */

int qtp_rpt_run_gnuplot(const char *gnuplot, const char *dir, const char *script, char *err,
                        size_t errlen)
{
    char log[4400];
    snprintf(log, sizeof log, "%s/%s.log", dir, script);
    pid_t pid = fork();
    if (pid < 0) {
        qtp_set_err(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        return EIO;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || chdir(dir) != 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(out, 2) < 0)
            _exit(126);
        execl(gnuplot, "gnuplot", script, (char *)NULL);
        dprintf(2, "exec %s: %s\n", gnuplot, strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct timespec step = {0, 5 * 1000 * 1000};
    long waited_ms = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            qtp_set_err(err, errlen, "waiting for gnuplot: %s", strerror(errno));
            return EIO;
        }
        if (waited_ms >= GNUPLOT_TIMEOUT_S * 1000L) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            qtp_set_err(err, errlen, "gnuplot %s: no result after %d s, stopped", script,
                        GNUPLOT_TIMEOUT_S);
            return EIO;
        }
        nanosleep(&step, NULL);
        waited_ms += 5;
    }
    /* gnuplot's messages, if any: the first line goes into the error. */
    char first[512] = "";
    FILE *f = fopen(log, "r");
    long size = 0;
    if (f) {
        while (fgets(first, sizeof first, f) && first[strspn(first, " \t\r\n")] == '\0')
            first[0] = '\0';
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fclose(f);
    }
    first[strcspn(first, "\r\n")] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char how[64];
        if (WIFEXITED(status))
            snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
        else
            snprintf(how, sizeof how, "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        qtp_set_err(err, errlen, "gnuplot %s failed (%s)%s%s", script, how, first[0] ? ": " : "",
                    first);
        return EIO;
    }
    if (size == 0)
        unlink(log);
    return 0;
}

int qtp_rpt_charts(const struct qtp_rpt *r, const char *outdir, const char *gnuplot,
                   struct qtp_rpt_chart charts[QTP_RPT_NCHARTS], char *err, size_t errlen)
{
    static const struct {
        const char *name, *title;
        int (*fn)(struct ctx *x, struct qtp_rpt_chart *c);
    } table[QTP_RPT_NCHARTS] = {
        {"throughput", "Throughput by topology, queue and wait strategy", chart_throughput},
        {"speedup", "Ring speed-up over the mutex queues", chart_speedup},
        {"latency", "Latency percentile distribution", chart_latency},
        {"placement", "Placement", chart_placement},
        {"alloc", "Allocation per event", chart_alloc},
        {"scaling", "Scaling with fan-out and shard count", chart_scaling},
    };
    struct ctx x = {r, outdir, calloc(r->ntopologies + 1, sizeof(int)), 0, err, errlen};
    if (!x.base_cfg) {
        qtp_set_err(err, errlen, "out of memory");
        return ENOMEM;
    }
    choose_base(&x);
    int rc = 0;
    for (size_t i = 0; i < QTP_RPT_NCHARTS && !rc; i++) {
        memset(&charts[i], 0, sizeof charts[i]);
        charts[i].name = table[i].name;
        charts[i].title = table[i].title;
        rc = table[i].fn(&x, &charts[i]);
        if (!rc && !charts[i].drawn) {
            /* Nothing to draw: no script, no data file left behind. */
            char path[4400];
            snprintf(path, sizeof path, "%s/%s.dat", outdir, charts[i].name);
            unlink(path);
        }
    }
    free(x.base_cfg);
    for (size_t i = 0; i < QTP_RPT_NCHARTS && !rc; i++) {
        if (!charts[i].drawn)
            continue;
        char script[64];
        snprintf(script, sizeof script, "%s.gp", charts[i].name);
        rc = qtp_rpt_run_gnuplot(gnuplot, outdir, script, err, errlen);
    }
    return rc;
}
