/* chart.c - what the report's charts share (chart.h): their files, colours, the cells they draw,
 * the two skeletons (bars, lines in panels), the table of charts and gnuplot. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chart.h"
#include "qtp_text.h"

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
 * Output files. */

FILE *qtp_chart_open(struct qtp_chart_ctx *x, const char *name, const char *ext)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.%s", x->outdir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f)
        qtp_set_err(x->err, x->errlen, "%s: %s", path, strerror(errno));
    return f;
}

int qtp_chart_close(struct qtp_chart_ctx *x, FILE *f, const char *name, const char *ext)
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
void qtp_gp_quote(FILE *f, const char *s)
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

void qtp_gp_strs(FILE *f, const char *name, const char *const *v, size_t n)
{
    fprintf(f, "array %s[%zu] = [", name, n);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        qtp_gp_quote(f, v[i]);
    }
    fputs("]\n", f);
}

void qtp_gp_nums(FILE *f, const char *name, const double *v, size_t n)
{
    fprintf(f, "array %s[%zu] = [", name, n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%.9g", i ? ", " : "", v[i]);
    fputs("]\n", f);
}

void qtp_gp_begin(FILE *f, const struct qtp_rpt_chart *c, int width, int height, const char *title)
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
    qtp_gp_quote(f, title);
    fputc('\n', f);
}

void qtp_gp_end(FILE *f, const char *name)
{
    fprintf(f, "\n# ---- plots/common.gp\n%s\n# ---- plots/%s.gp\n%s", qtp_rpt_template("common"),
            name, qtp_rpt_template(name));
}

/* A quoted string column of a .dat file. */
void qtp_dat_label(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : ((unsigned char)*s < 0x20 ? ' ' : *s), f);
    fputc('"', f);
}

void qtp_dat_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.9g", v);
    else
        fputs(" ?", f);
}

/* ---------------------------------------------------------------------------------------------
 * Colours: one per queue/wait (Okabe-Ito, readable by the colour-blind), the same on every
 * chart: a palette per family, in the registries' order of families (the shared ring's blues,
 * the lock-free queues', the mutex queues' oranges), and within it the rank of the kind and its
 * wait strategy; what the registries do not know gets the extra colours; placements their own. */

static const char *const family_colors[][6] = {
    {"#0072B2", "#56B4E9", "#009E73", "#44AA99", "#88CCEE", "#117733"},
    {"#CC79A7", "#AA4499", "#882255", "#DDAACC", "#EE99AA", "#994455"},
    {"#E69F00", "#D55E00", "#F0E442", "#999933", "#DDCC77", "#AA7744"},
};
static const char *const extra_colors[] = {"#CC79A7", "#999999", "#8C564B",
                                           "#F0E442", "#000000", "#7F7FFF"};
static const char *const placement_colors[] = {"#4C72B0", "#DD8452", "#55A868", "#C44E52",
                                               "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"};
#define NFAMILY_COLORS (sizeof family_colors / sizeof family_colors[0])
#define NSHADES (sizeof family_colors[0] / sizeof family_colors[0][0])
#define NEXTRA (sizeof extra_colors / sizeof extra_colors[0])

static const char *style_color(int family, int rank, size_t idx)
{
    if (family < 0 || rank < 0)
        return extra_colors[idx % NEXTRA];
    return family_colors[(size_t)family % NFAMILY_COLORS][(size_t)rank % NSHADES];
}

const char *qtp_chart_variant_color(const struct qtp_rpt *r, size_t v)
{
    return style_color(r->variant_family[v], r->variant_rank[v], v);
}

const char *qtp_chart_kind_color(const struct qtp_rpt *r, const char *queue, size_t idx)
{
    int family, rank = qtp_rpt_kind_style(r, queue, NULL, &family);
    return style_color(family, rank, idx);
}

const char *qtp_chart_placement_color(size_t p)
{
    return placement_colors[p % (sizeof placement_colors / sizeof *placement_colors)];
}

bool qtp_chart_shared_ring(const struct qtp_rpt *r, size_t v)
{
    return r->variant_family[v] >= 0 && !qtp_rpt_family_per_edge(r, r->variant_family[v]);
}

bool qtp_chart_per_edge(const struct qtp_rpt *r, size_t v)
{
    return r->variant_family[v] >= 0 && qtp_rpt_family_per_edge(r, r->variant_family[v]);
}

bool qtp_chart_over(const struct qtp_rpt *r, size_t w, size_t m)
{
    return qtp_rpt_family_over(r, r->variant_family[w], r->variant_family[m]);
}

void qtp_chart_ratio_text(double v, char *buf, size_t len)
{
    if (v >= 10)
        snprintf(buf, len, "%.0f×", v);
    else if (v >= 1)
        snprintf(buf, len, "%.1f×", v);
    else
        snprintf(buf, len, "%.2g×", v);
}

/* ---------------------------------------------------------------------------------------------
 * Which cells a chart draws. */

static void choose_base(struct qtp_chart_ctx *x)
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

const struct qtp_rpt_cell *qtp_chart_find(const struct qtp_chart_ctx *x, size_t t, int cfg,
                                          size_t v)
{
    for (size_t c = 0; c < x->r->ncells; c++) {
        const struct qtp_rpt_cell *cell = &x->r->cells[c];
        if (cell->s->ok && cell->topo == (int)t && cell->cfg == cfg && cell->variant == (int)v)
            return cell;
    }
    return NULL;
}

const struct qtp_rpt_cell *qtp_chart_base_cell(const struct qtp_chart_ctx *x, size_t t)
{
    for (size_t c = 0; c < x->r->ncells; c++) {
        const struct qtp_rpt_cell *cell = &x->r->cells[c];
        if (cell->s->ok && cell->topo == (int)t && cell->cfg == x->base_cfg[t])
            return cell;
    }
    return NULL;
}

void qtp_chart_topo_label(const struct qtp_chart_ctx *x, size_t t, const char *sep, char *buf,
                          size_t len)
{
    const struct qtp_rpt_cell *cell = qtp_chart_base_cell(x, t);
    char pl[64] = "";
    if (cell)
        qtp_params_shape_label(&cell->first->params, pl, sizeof pl);
    int n = snprintf(buf, len, "%s%s%s", x->r->topologies[t], pl[0] ? sep : "", pl);
    if (cell && cell->place != x->base_place && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (%s)", x->r->placements[cell->place]);
}

void qtp_chart_key(const struct qtp_rep_record *row, bool without_placement, int param, char *buf,
                   size_t len)
{
    bool skip_name[QTP_NCELL_NAMES] = {[QTP_NAME_QUEUE] = true, [QTP_NAME_WAIT] = true};
    bool skip_param[QTP_NPARAMS] = {false};
    skip_name[QTP_NAME_PLACEMENT] = without_placement;
    if (param >= 0 && param < QTP_NPARAMS)
        skip_param[param] = true;
    qtp_cell_key(row, skip_name, skip_param, buf, len);
}

/* ---------------------------------------------------------------------------------------------
 * Grouped bars. */

int qtp_bars_init(struct qtp_bars *b, size_t ng, size_t ns, size_t nv)
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

void qtp_bars_free(struct qtp_bars *b)
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

double *qtp_bars_at(struct qtp_bars *b, size_t s, size_t g)
{
    return &b->v[(s * b->ng + g) * b->nv];
}

/* Bars present in group g, and the rank of series s among them. */
static size_t group_count(const struct qtp_bars *b, size_t g, size_t upto)
{
    size_t n = 0;
    for (size_t s = 0; s < upto && s < b->ns; s++)
        n += !isnan(b->v[(s * b->ng + g) * b->nv]);
    return n;
}

/* Every bar has the same width: the widest group fills 0.8 of its slot. */
static double bar_width(const struct qtp_bars *b)
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
static double bar_x(const struct qtp_bars *b, size_t s, size_t g)
{
    double n = (double)group_count(b, g, b->ns), rank = (double)group_count(b, g, s);
    return (double)(g + 1) + (rank - (n - 1) / 2.0) * bar_width(b);
}

/* Drop the series without a single bar (gnuplot's `index` needs every block to exist). */
void qtp_bars_compact(struct qtp_bars *b)
{
    size_t out = 0;
    for (size_t s = 0; s < b->ns; s++) {
        bool any = false;
        for (size_t g = 0; g < b->ng; g++)
            any = any || !isnan(qtp_bars_at(b, s, g)[0]);
        if (!any) {
            free(b->slabel[s]);
            continue;
        }
        if (out != s) {
            memmove(qtp_bars_at(b, out, 0), qtp_bars_at(b, s, 0), b->ng * b->nv * sizeof *b->v);
            b->slabel[out] = b->slabel[s];
            b->scolor[out] = b->scolor[s];
        }
        out++;
    }
    b->ns = out;
}

static int bars_write_dat(struct qtp_chart_ctx *x, const struct qtp_bars *b, const char *name,
                          const char *columns)
{
    FILE *f = qtp_chart_open(x, name, "dat");
    if (!f)
        return EIO;
    fprintf(f, "# %s.dat - one block per series (gnuplot index = series - 1).\n", name);
    fprintf(f, "# columns: x %s group\n", columns);
    for (size_t s = 0; s < b->ns; s++) {
        fprintf(f, "%s# series %zu: ", s ? "\n\n" : "", s + 1);
        qtp_dat_label(f, b->slabel[s]);
        fputc('\n', f);
        for (size_t g = 0; g < b->ng; g++) {
            const double *v = qtp_bars_at((struct qtp_bars *)b, s, g);
            if (isnan(v[0]))
                continue;
            fprintf(f, "%.6g", bar_x(b, s, g));
            for (size_t k = 0; k < b->nv; k++)
                qtp_dat_num(f, v[k]);
            fputc(' ', f);
            char lab[256];
            snprintf(lab, sizeof lab, "%s", b->glabel[g]);
            for (char *p = lab; *p; p++)
                if (*p == '\n')
                    *p = ' ';
            qtp_dat_label(f, lab);
            fputc('\n', f);
        }
    }
    return qtp_chart_close(x, f, name, "dat");
}

static void bars_write_params(FILE *f, const struct qtp_bars *b)
{
    fprintf(f, "ngroups = %zu\n", b->ng);
    if (b->ng > QTP_ROTATE_GROUPS)
        for (size_t g = 0; g < b->ng; g++)
            for (char *p = b->glabel[g]; *p; p++)
                if (*p == '\n')
                    *p = ' ';
    fprintf(f, "xtic_rotate = %d\n", b->ng > QTP_ROTATE_GROUPS);
    qtp_gp_strs(f, "groups", (const char *const *)b->glabel, b->ng);
    fprintf(f, "nseries = %zu\n", b->ns);
    qtp_gp_strs(f, "series", (const char *const *)b->slabel, b->ns);
    qtp_gp_strs(f, "colors", b->scolor, b->ns);
    fprintf(f, "barwidth = %.6g\n", bar_width(b));
}

static int bars_width(const struct qtp_bars *b, int per_bar, int min, int max)
{
    size_t bars = 0;
    for (size_t g = 0; g < b->ng; g++)
        bars += group_count(b, g, b->ns);
    long w = 300 + (long)bars * per_bar;
    return (int)(w < min ? min : (w > max ? max : w));
}

size_t qtp_chart_ntopologies(const struct qtp_chart_ctx *x)
{
    size_t n = 0;
    for (size_t t = 0; t < x->r->ntopologies; t++)
        n += x->base_cfg[t] >= 0;
    return n;
}

int qtp_bars_topology_groups(const struct qtp_chart_ctx *x, struct qtp_bars *b)
{
    size_t g = 0;
    for (size_t t = 0; t < x->r->ntopologies && g < b->ng; t++) {
        if (x->base_cfg[t] < 0)
            continue;
        char lab[256];
        qtp_chart_topo_label(x, t, "\n", lab, sizeof lab);
        if (!(b->glabel[g++] = strdup(lab)))
            return ENOMEM;
    }
    return 0;
}

int qtp_bars_draw(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c, struct qtp_bars *b,
                  const struct qtp_bars_look *look)
{
    qtp_bars_compact(b);
    int rc = bars_write_dat(x, b, c->name, look->columns);
    if (rc)
        return rc;
    FILE *f = qtp_chart_open(x, c->name, "gp");
    if (!f)
        return EIO;
    qtp_gp_begin(f, c, bars_width(b, look->per_bar, look->min_width, look->max_width), look->height,
                 look->title);
    bars_write_params(f, b);
    fputs(look->extra, f);
    qtp_gp_end(f, c->name);
    if ((rc = qtp_chart_close(x, f, c->name, "gp")))
        return rc;
    c->drawn = true;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Lines in panels. */

int qtp_lines_open(struct qtp_chart_ctx *x, struct qtp_lines *l, const char *name, size_t maxl,
                   size_t maxp, const char *header)
{
    memset(l, 0, sizeof *l);
    l->maxl = maxl;
    l->maxp = maxp;
    /* One block: the line titles and colours, the panel titles, the panels' first and last. */
    size_t strs = 2 * (maxl + 1) + maxp + 1;
    char *block = calloc(1, strs * sizeof(char *) + 2 * (maxp + 1) * sizeof(double));
    if (!(l->block = block)) {
        qtp_set_err(x->err, x->errlen, "out of memory");
        return ENOMEM;
    }
    l->ltitle = (const char **)(void *)block;
    l->lcolor = l->ltitle + maxl + 1;
    l->ptitle = (char **)(l->lcolor + maxl + 1);
    l->pfirst = (double *)(void *)(block + strs * sizeof(char *));
    l->plast = l->pfirst + maxp + 1;
    if (!(l->dat = qtp_chart_open(x, name, "dat")))
        return EIO;
    fputs(header, l->dat);
    return 0;
}

void qtp_lines_add(struct qtp_lines *l, const char *title, const char *color, const char *note)
{
    fprintf(l->dat, "%s# line %zu: ", l->nl ? "\n\n" : "", l->nl + 1);
    qtp_dat_label(l->dat, title);
    fprintf(l->dat, " (%s)\n", note);
    l->ltitle[l->nl] = title;
    l->lcolor[l->nl] = color;
    l->nl++;
}

bool qtp_lines_panel(struct qtp_lines *l, const char *title, int *rc)
{
    if (l->nl == l->panel_from)
        return false;
    if (!(l->ptitle[l->np] = strdup(title))) {
        *rc = ENOMEM;
        return false;
    }
    l->pfirst[l->np] = (double)l->panel_from + 1;
    l->plast[l->np] = (double)l->nl;
    l->np++;
    l->panel_from = l->nl;
    return true;
}

void qtp_lines_params(FILE *f, const struct qtp_lines *l)
{
    fprintf(f, "npanels = %zu\n", l->np);
    qtp_gp_strs(f, "panel_title", (const char *const *)l->ptitle, l->np);
    qtp_gp_nums(f, "pfirst", l->pfirst, l->np);
    qtp_gp_nums(f, "plast", l->plast, l->np);
    qtp_gp_strs(f, "line_title", l->ltitle, l->nl);
    qtp_gp_strs(f, "line_color", l->lcolor, l->nl);
}

int qtp_lines_close_dat(struct qtp_chart_ctx *x, struct qtp_lines *l, const char *name)
{
    FILE *f = l->dat;
    l->dat = NULL;
    return qtp_chart_close(x, f, name, "dat");
}

void qtp_lines_free(struct qtp_lines *l)
{
    if (l->dat)
        fclose(l->dat);
    for (size_t i = 0; i < l->np; i++)
        free(l->ptitle[i]);
    free(l->block);
    memset(l, 0, sizeof *l);
}

/* ---------------------------------------------------------------------------------------------
 * gnuplot (and the other tools the report runs). */

int qtp_rpt_run_gnuplot(const char *gnuplot, const char *dir, const char *script,
                        const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    char *const argv[] = {"gnuplot", (char *)script, NULL};
    return qtp_rpt_run_tool(gnuplot, argv, dir, GNUPLOT_TIMEOUT_S, stop, err, errlen);
}

int qtp_rpt_run_tool(const char *path, char *const argv[], const char *dir, int timeout_s,
                     const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    const char *tool = argv[0], *subject = argv[0];
    for (size_t i = 1; argv[i]; i++)
        subject = argv[i];
    char log[4400];
    snprintf(log, sizeof log, "%s/%s.log", dir, subject);
    pid_t pid = fork();
    if (pid < 0) {
        qtp_set_err(err, errlen, "cannot start %s: %s", tool, strerror(errno));
        return EIO;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || chdir(dir) != 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(out, 2) < 0)
            _exit(126);
        execv(path, argv);
        dprintf(2, "exec %s: %s\n", path, strerror(errno));
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
            qtp_set_err(err, errlen, "waiting for %s: %s", tool, strerror(errno));
            return EIO;
        }
        if (stop && *stop) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            qtp_set_err(err, errlen, "interrupted");
            return EINTR;
        }
        if (waited_ms >= timeout_s * 1000L) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            qtp_set_err(err, errlen, "%s %s: no result after %d s, stopped", tool, subject,
                        timeout_s);
            return EIO;
        }
        nanosleep(&step, NULL);
        waited_ms += 5;
    }
    /* The tool's messages, if any: the first line goes into the error. */
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
        qtp_set_err(err, errlen, "%s %s failed (%s)%s%s", tool, subject, how, first[0] ? ": " : "",
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
        int (*fn)(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c);
    } table[QTP_RPT_NCHARTS] = {
        {"throughput", "Throughput by topology, queue and wait strategy", qtp_chart_throughput},
        {"speedup", "Ring speed-up over the mutex queues", qtp_chart_speedup},
        {"latency", "Latency percentile distribution", qtp_chart_latency},
        {"placement", "Placement", qtp_chart_placement},
        {"alloc", "Allocation per event", qtp_chart_alloc},
        {"scaling", "Scaling with fan-out and shard count", qtp_chart_scaling},
        {"cpu", "CPU time per event: what each wait strategy costs", qtp_chart_cpu},
    };
    struct qtp_chart_ctx x = {r, outdir, calloc(r->ntopologies + 1, sizeof(int)), 0, err, errlen};
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
        rc = qtp_rpt_run_gnuplot(gnuplot, outdir, script, r->stop, err, errlen);
    }
    return rc;
}
