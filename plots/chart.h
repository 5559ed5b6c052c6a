/* chart.h - internal to plots/: what the chart files share. A chart is a gnuplot data file and a
 * script (its parameters + plots/common.gp + plots/<chart>.gp) that gnuplot draws; the two
 * families are grouped bars (chart_bars.c) and lines in panels (chart_lines.c), each drawn
 * through one skeleton below. */
#ifndef QTP_CHART_H
#define QTP_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report_int.h"

/* What every chart of one report sees. Every topology is drawn from one configuration (placement,
 * memory and parameters): the one with the most ok cells under the placement most cells ran
 * with; the placement and scaling charts then vary one thing away from it. */
struct qtp_chart_ctx {
    const struct qtp_rpt *r;
    const char *outdir;
    int *base_cfg;  /* per topology: the configuration its bars are drawn from, -1: none ran */
    int base_place; /* the placement most ok cells ran under */
    char *err;
    size_t errlen;
};

/* ---- output files ---- */
FILE *qtp_chart_open(struct qtp_chart_ctx *x, const char *name, const char *ext);
/* Close, and EIO naming the file if anything failed to be written. */
int qtp_chart_close(struct qtp_chart_ctx *x, FILE *f, const char *name, const char *ext);
/* A gnuplot string, string array, number array. Data reaches gnuplot only through these and the
 * .dat files, never as commands. */
void qtp_gp_quote(FILE *f, const char *s);
void qtp_gp_strs(FILE *f, const char *name, const char *const *v, size_t n);
void qtp_gp_nums(FILE *f, const char *name, const double *v, size_t n);
/* The script's head (its files, size and title) and tail (the two templates). */
void qtp_gp_begin(FILE *f, const struct qtp_rpt_chart *c, int width, int height, const char *title);
void qtp_gp_end(FILE *f, const char *name);
/* A quoted label and a number ("?" for none) in a .dat file. */
void qtp_dat_label(FILE *f, const char *s);
void qtp_dat_num(FILE *f, double v);

/* ---- colours: one per queue/wait, the same on every chart, from its family ---- */
const char *qtp_chart_variant_color(const struct qtp_rpt *r, size_t v);
const char *qtp_chart_kind_color(const struct qtp_rpt *r, const char *queue, size_t idx);
const char *qtp_chart_placement_color(size_t p);
/* The variant shares one ring (no copies), or has a queue per edge (events copied). */
bool qtp_chart_shared_ring(const struct qtp_rpt *r, size_t v);
bool qtp_chart_per_edge(const struct qtp_rpt *r, size_t v);
/* Whether the speed-up chart divides variant w's throughput by variant m's (by their families). */
bool qtp_chart_over(const struct qtp_rpt *r, size_t w, size_t m);
/* "12×", "3.4×", "0.045×" (as qtp_ratio in common.gp). */
void qtp_chart_ratio_text(double v, char *buf, size_t len);

/* ---- which cells ---- */
/* The ok cell of topology t, configuration cfg and variant v, or NULL. */
const struct qtp_rpt_cell *qtp_chart_find(const struct qtp_chart_ctx *x, size_t t, int cfg,
                                          size_t v);
/* Any ok cell of topology t in its drawn configuration, or NULL. */
const struct qtp_rpt_cell *qtp_chart_base_cell(const struct qtp_chart_ctx *x, size_t t);
/* "fanout\nN=3", plus the placement when it is not the usual one. sep: "\n" or " ". */
void qtp_chart_topo_label(const struct qtp_chart_ctx *x, size_t t, const char *sep, char *buf,
                          size_t len);
/* A key equal for cells that differ only in their queue/wait and in what is left out: the
 * placement (without_placement) and parameter `param` (QTP_NPARAMS: none). */
void qtp_chart_key(const struct qtp_rep_record *row, bool without_placement, int param, char *buf,
                   size_t len);

/* Beyond this many groups the tic labels go on one slanted line each. */
#define QTP_ROTATE_GROUPS 8

/* ---- grouped bars: groups on the x axis, one bar per series in each group, nv values each ---- */
struct qtp_bars {
    size_t ng, ns, nv;
    char **glabel;       /* [ng] */
    char **slabel;       /* [ns] */
    const char **scolor; /* [ns] */
    double *v;           /* [ns][ng][nv], NAN: no bar */
};
/* How the bar chart looks: .dat column names, px per bar and bounds of the width, height, title,
 * and extra gnuplot parameters (a line each; "" for none). */
struct qtp_bars_look {
    const char *columns;
    int per_bar, min_width, max_width, height;
    const char *title;
    const char *extra;
};
int qtp_bars_init(struct qtp_bars *b, size_t ng, size_t ns, size_t nv);
void qtp_bars_free(struct qtp_bars *b);
double *qtp_bars_at(struct qtp_bars *b, size_t s, size_t g);
/* Label the groups with the topologies that have a drawn configuration, in order; their count
 * (they are the groups' indexes, in the same order). 0 or ENOMEM. */
int qtp_bars_topology_groups(const struct qtp_chart_ctx *x, struct qtp_bars *b);
/* The number of topologies that have a drawn configuration. */
size_t qtp_chart_ntopologies(const struct qtp_chart_ctx *x);
/* Drop the series without a single bar (gnuplot's `index` needs every block to exist). */
void qtp_bars_compact(struct qtp_bars *b);
/* The skeleton of every bar chart: its .dat, its script, c->drawn. 0 or EIO/ENOMEM. */
int qtp_bars_draw(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c, struct qtp_bars *b,
                  const struct qtp_bars_look *look);

/* ---- lines in panels: one .dat block per line, panels made of consecutive lines ---- */
struct qtp_lines {
    FILE *dat;
    size_t nl, np, maxl, maxp;
    const char **ltitle, **lcolor; /* [maxl] */
    char **ptitle;                 /* [maxp] */
    double *pfirst, *plast;        /* gnuplot's 1-based line numbers of each panel */
    size_t panel_from;             /* the first line of the panel being made */
    void *block;                   /* where the arrays are */
};
/* Open name.dat with its header; room for maxl lines in maxp panels. 0, EIO or ENOMEM. */
int qtp_lines_open(struct qtp_chart_ctx *x, struct qtp_lines *l, const char *name, size_t maxl,
                   size_t maxp, const char *header);
/* Start a line (its block header: its title and a note); write its points to l->dat after it. */
void qtp_lines_add(struct qtp_lines *l, const char *title, const char *color, const char *note);
/* Close the panel over the lines added since the last one; false when it would be empty.
 * ENOMEM in *rc. */
bool qtp_lines_panel(struct qtp_lines *l, const char *title, int *rc);
/* npanels, panel_title, pfirst, plast, line_title and line_color into a script. */
void qtp_lines_params(FILE *f, const struct qtp_lines *l);
int qtp_lines_close_dat(struct qtp_chart_ctx *x, struct qtp_lines *l, const char *name);
void qtp_lines_free(struct qtp_lines *l);

/* ---- the charts ---- */
int qtp_chart_throughput(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c);
int qtp_chart_speedup(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c);
int qtp_chart_placement(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c);
int qtp_chart_alloc(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c);
int qtp_chart_latency(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c);
int qtp_chart_scaling(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c);
int qtp_chart_cpu(struct qtp_chart_ctx *x, struct qtp_rpt_chart *c);

#endif
