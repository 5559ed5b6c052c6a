/* report_int.h - internal to plots/: the report's data model, shared by report*.c only. */
#ifndef QTP_REPORT_INT_H
#define QTP_REPORT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "qtp_record.h"
#include "qtp_summary.h"

#define QTP_RPT_ERR 1024

/* One cell of the matrix: its summary (statistics over the ok reps only: a failed rep is never a
 * number in a chart) and where it goes on the page. */
struct qtp_rpt_cell {
    const struct qtp_cell_summary *s;   /* reps, reason, statistics (qtp_summary.h) */
    const struct qtp_rep_record *first; /* s->first: its names and parameters */
    char hist_rel[600]; /* path of its .hgrm relative to the results dir, "" if none */
    int variant;        /* index into qtp_rpt.variants */
    int topo;           /* index into qtp_rpt.topologies */
    int place;          /* index into qtp_rpt.placements */
    int cfg;            /* index into qtp_rpt.cfgs: placement, memory and params */
};

/* A point of the latency distribution read from a .hgrm file. */
struct qtp_rpt_hpoint {
    double value;      /* in the file's unit (qtopo writes microseconds, see qtp_results.h) */
    double percentile; /* 0..1, below 1 (the 100% row is the max, not on a 1/(1-p) axis) */
};

struct qtp_rpt {
    char dir[4096]; /* the results directory as given */
    json_t *meta;
    struct qtp_rep_record *rows;
    size_t nrows;
    size_t truncated_line; /* unterminated last line of results.jsonl that was ignored; 0 none */
    struct qtp_summary summary;
    struct qtp_rpt_cell *cells; /* one per summary cell, in the same order */
    size_t ncells;
    const json_t *registries; /* display order and families (borrowed) */
    /* Names in display order (the registries' first, in their order, then as they appear). */
    char **variants; /* "ring/spin", "mutex-array", ... */
    size_t nvariants;
    int *variant_family, *variant_rank; /* per variant (qtp_rpt_kind_style), -1 unknown */
    char **topologies;
    size_t ntopologies;
    char **placements; /* "os", or "os/interleave" when more than one memory policy ran */
    size_t nplacements;
    char **cfgs; /* one key per distinct (placement, memory, params) */
    size_t ncfgs;
    bool have_summary;
    char **hgrms; /* every .hgrm file name in hist/, sorted */
    size_t nhgrms;
};

/* report_data.c */
/* Load and aggregate DIR, in the display order of meta.json's registries (else of registries,
 * which may be NULL). EINVAL (damaged/missing/empty) or ENOMEM, with err filled. */
int qtp_rpt_load(struct qtp_rpt *r, const char *dir, const json_t *registries, char *err,
                 size_t errlen);
/* How to draw a queue kind (wait: its wait strategy, or NULL): *family gets its family's index in
 * the registries (-1 unknown); returns its rank among the family's kinds and waits, for its colour
 * (-1 unknown). */
int qtp_rpt_kind_style(const struct qtp_rpt *r, const char *queue, const char *wait, int *family);
/* True for a family of queues per edge (events copied), false for the one shared ring. */
bool qtp_rpt_family_per_edge(const struct qtp_rpt *r, int family);
/* True when the report divides family fw's throughput by family fm's (the registries' "over":
 * the ring over each per-edge family, lock-free over mutex; older results: the ring over the
 * per-edge ones). */
bool qtp_rpt_family_over(const struct qtp_rpt *r, int fw, int fm);
void qtp_rpt_free(struct qtp_rpt *r);
/* Parse a HdrHistogram percentile text file (either the C or the Java column layout; values in
 * the file's unit). *pts is malloc'd. EINVAL with "FILE line N: why" in err, ENOENT, ENOMEM. */
int qtp_rpt_read_hgrm(const char *path, struct qtp_rpt_hpoint **pts, size_t *npts, char *err,
                      size_t errlen);
/* Parse text (NUL-terminated) in that format; name is used in messages. */
int qtp_rpt_parse_hgrm(const char *text, const char *name, struct qtp_rpt_hpoint **pts,
                       size_t *npts, char *err, size_t errlen);
/* Find the value of key in meta: at the top level, else in any object member one level down. */
const json_t *qtp_rpt_meta_find(const json_t *meta, const char *key);

/* chart.c (the charts themselves: chart.h) */
struct qtp_rpt_chart {
    const char *name;  /* file stem: throughput, speedup, latency, placement, alloc, scaling */
    const char *title; /* heading on the page */
    bool drawn;
    char caption[1024]; /* one sentence (drawn) */
    char why[512];      /* why it was left out (not drawn) */
    char note[512];     /* optional extra line (e.g. cells without a histogram) */
};
#define QTP_RPT_NCHARTS 6
/* Write every chart's .dat and .gp into outdir and run gnuplot on the drawn ones. EIO with
 * gnuplot's message on a failed script. */
int qtp_rpt_charts(const struct qtp_rpt *r, const char *outdir, const char *gnuplot,
                   struct qtp_rpt_chart charts[QTP_RPT_NCHARTS], char *err, size_t errlen);
/* Run gnuplot on script (a file name in dir) with dir as working directory; its stderr goes to
 * dir/<script>.log, removed when empty. 0, or EIO with the first line of the log in err. */
int qtp_rpt_run_gnuplot(const char *gnuplot, const char *dir, const char *script, char *err,
                        size_t errlen);

/* report_html.c */
/* Write outdir/index.html. raw_rel: relative path from the report directory to the results
 * directory (for the links to the raw files). */
int qtp_rpt_html(const struct qtp_rpt *r, const char *outdir, const char *raw_rel,
                 const struct qtp_rpt_chart charts[QTP_RPT_NCHARTS]);
/* Escape s for HTML text and attribute values. */
void qtp_rpt_html_escape(FILE *f, const char *s);

/* report_meta.c */
/* The first of keys present in meta (top level or one object down); *which gets its key. */
const json_t *qtp_rpt_meta_any(const json_t *meta, const char *const *keys, const char **which);
/* Its value as text (malloc'd), NULL if absent. */
char *qtp_rpt_meta_text(const json_t *meta, const char *const *keys);
/* The command line as the user typed it (quoted where the shell would need it). */
void qtp_rpt_command_text(FILE *f, const json_t *cmd);
/* The "Machine" and "Run and matrix" sections. */
void qtp_rpt_machine_section(FILE *f, const json_t *meta);
void qtp_rpt_run_section(FILE *f, const struct qtp_rpt *r);

/* report_hwloc.c */
/* The machine's topology from hwloc XML as HTML (counts, caches, NUMA nodes, a short tree).
 * 0, or -1 if hwloc cannot read the XML (nothing written then). */
int qtp_rpt_hwloc_html(FILE *f, const char *xml);

/* The gnuplot templates (plots/<name>.gp), compiled in by plots/embed_gp.cmake. */
struct qtp_rpt_template {
    const char *name; /* "common", "throughput", ... */
    const char *text;
};
extern const struct qtp_rpt_template qtp_rpt_templates[];
extern const size_t qtp_rpt_ntemplates;
const char *qtp_rpt_template(const char *name);

#endif
