/* report_int.h - internal to plots/: the report's data model, shared by report*.c only. */
#ifndef QTP_REPORT_INT_H
#define QTP_REPORT_INT_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "qtp_record.h"
#include "qtp_summary.h"
#include "qtp_topo.h"

#define QTP_RPT_ERR 1024

/* One cell of the matrix: its summary (statistics over the ok reps only: a failed rep is never a
 * number in a chart) and where it goes on the page. */
struct qtp_rpt_cell {
    const struct qtp_cell_summary *s;   /* reps, reason, statistics (qtp_summary.h) */
    const struct qtp_rep_record *first; /* s->first: its names and parameters */
    char hist_rel[600];   /* path of its .hgrm relative to the results dir, "" if none */
    char hiccup_rel[600]; /* its platform baseline (.hiccup.hgrm), "" if none */
    int variant;          /* index into qtp_rpt.variants */
    int topo;             /* index into qtp_rpt.topologies */
    int place;            /* index into qtp_rpt.placements */
    int cfg;              /* index into qtp_rpt.cfgs: placement, memory and params */
};

/* A point of the latency distribution read from a .hgrm file. */
struct qtp_rpt_hpoint {
    double value;      /* in the file's unit (qtopo writes microseconds, see qtp_results.h) */
    double percentile; /* 0..1, below 1 (the 100% row is the max, not on a 1/(1-p) axis) */
};

/* The diagram of a topology that ran, one per distinct shape (report_diagram.c). */
struct qtp_rpt_diagram {
    char *topology; /* as its cells name it: a name or an expression */
    char *expr;     /* canonical, with the cells' shape ("" when it cannot be built) */
    char shape[64]; /* the shape parameters in words ("N=4"), "" for none */
    bool built;     /* t holds it */
    struct qtp_topology t;
    char dot_file[40];     /* "topology-1.dot" once written */
    char svg_file[40];     /* "topology-1.svg" once drawn, else "" */
    char why[QTP_RPT_ERR]; /* not drawn, dot there: why */
};

struct qtp_rpt_pub;

struct qtp_rpt {
    char dir[4096];                    /* the results directory as given */
    const volatile sig_atomic_t *stop; /* qtp_report_opts.stop */
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
    const struct qtp_rpt_inside *inside; /* the charts of the section "Inside the reps" */
    char **hgrms;                        /* every .hgrm file name in hist/, sorted */
    size_t nhgrms;
    struct qtp_rpt_diagram *diagrams; /* filled by qtp_rpt_diagrams */
    size_t ndiagrams;
    char diagrams_left_out[256];         /* why none is drawn (dot absent), "" when they are */
    const struct qtp_rpt_pub *published; /* a reproduced experiment's figures, NULL: none */
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
    const char *name;  /* file stem: throughput, speedup, latency, placement, alloc, scaling, cpu */
    const char *title; /* heading on the page */
    bool drawn;
    bool absent;        /* the results predate what it shows: not on the page at all */
    char caption[1024]; /* one sentence (drawn) */
    char why[512];      /* why it was left out (not drawn) */
    char note[512];     /* optional extra line (e.g. cells without a histogram) */
};
#define QTP_RPT_NCHARTS 7
/* Write every chart's .dat and .gp into outdir and run gnuplot on the drawn ones. EIO with
 * gnuplot's message on a failed script. */
int qtp_rpt_charts(const struct qtp_rpt *r, const char *outdir, const char *gnuplot,
                   struct qtp_rpt_chart charts[QTP_RPT_NCHARTS], char *err, size_t errlen);
/* Run gnuplot on script (a file name in dir) with dir as working directory; its stderr goes to
 * dir/<script>.log, removed when empty. 0, or EIO with the first line of the log in err. */
int qtp_rpt_run_gnuplot(const char *gnuplot, const char *dir, const char *script,
                        const volatile sig_atomic_t *stop, char *err, size_t errlen);
/* Run the program at path with argv (argv[0] its name, the last argument what it works on, both
 * for messages) in dir, stopped after timeout_s; its output goes to dir/<last argument>.log,
 * removed when empty; killed when *stop is set (stop may be NULL). 0, EINTR (stopped), or EIO
 * with the first line of the log in err. */
int qtp_rpt_run_tool(const char *path, char *const argv[], const char *dir, int timeout_s,
                     const volatile sig_atomic_t *stop, char *err, size_t errlen);
/* The path of program name found in PATH (as a shell finds it), or false. */
bool qtp_rpt_find_tool(const char *name, char *buf, size_t len);

/* report_diagram.c */
/* Every topology's diagram: its DOT into outdir, drawn as SVG when Graphviz dot is in PATH (else
 * diagrams_left_out says so). 0, or ENOMEM / a write error with err filled. */
int qtp_rpt_diagrams(struct qtp_rpt *r, const char *outdir, char *err, size_t errlen);
void qtp_rpt_diagrams_free(struct qtp_rpt *r);

/* report_html.c */
/* Write outdir/index.html. raw_rel: relative path from the report directory to the results
 * directory (for the links to the raw files). */
int qtp_rpt_html(const struct qtp_rpt *r, const char *outdir, const char *raw_rel,
                 const struct qtp_rpt_chart charts[QTP_RPT_NCHARTS]);
/* A drawn chart: the SVG, its caption and note, and links to its PNG, data and script. */
void qtp_rpt_chart_figure(FILE *f, const struct qtp_rpt_chart *c);
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

/* report_obs.c */
/* The "Machine state" section: warnings, the facts of meta.json's machine_state (unknown ones with
 * their reason), the CPUs used, the mitigations, the load around each cell. */
void qtp_rpt_state_section(FILE *f, const struct qtp_rpt *r);
/* One line under the page's summary when there are warnings, linking to that section. */
void qtp_rpt_state_glance(FILE *f, const struct qtp_rpt *r);
/* Its link in the table of contents (none without a machine state). */
void qtp_rpt_state_toc(FILE *f, const struct qtp_rpt *r);

/* report_inside.c */
#define QTP_RPT_MAX_SERIES 32 /* topologies drawn from the sampler's series */
#define QTP_RPT_MAX_STAGES 64 /* stages of one series chart */
struct qtp_rpt_inside {
    struct qtp_rpt_chart counters;                   /* kernel events per event */
    struct qtp_rpt_chart series[QTP_RPT_MAX_SERIES]; /* one per topology with series */
    char series_name[QTP_RPT_MAX_SERIES][32];
    size_t nseries;
};
/* Draw the charts of the rows' counters and series into outdir (none when the rows have none).
 * 0, or EIO with gnuplot's message. */
int qtp_rpt_inside_charts(const struct qtp_rpt *r, const char *outdir, const char *gnuplot,
                          struct qtp_rpt_inside *in, char *err, size_t errlen);
/* The "Inside the reps" section: counters per event (a table, reasons for what was not counted,
 * the chart) and the series charts. Nothing when the rows carry neither. */
void qtp_rpt_inside_html(FILE *f, const struct qtp_rpt *r, const struct qtp_rpt_inside *in);
/* Some ok rep counted kernel events (rows written before counters never did). */
bool qtp_rpt_counted(const struct qtp_rpt *r);
/* The cell table's cell of counts per event: each counted event's median over the ok reps. */
void qtp_rpt_counters_td(FILE *f, const struct qtp_rpt *r, const struct qtp_rpt_cell *cell);

/* report_hwloc.c */
/* The machine's topology from hwloc XML as HTML (counts, caches, NUMA nodes, a short tree).
 * 0, or -1 if hwloc cannot read the XML (nothing written then). */
int qtp_rpt_hwloc_html(FILE *f, const char *xml);

/* report_published.c: a reproduced experiment (scripts/reproduce) beside its published figures. */
#define QTP_PUB_MAX_MACHINES 4
#define QTP_PUB_MAX_ROWS 32
#define QTP_PUB_MAX_CAVEATS 8
#define QTP_PUB_MAX_REPS 1000
struct qtp_pub_side {
    char name[64];                          /* "Disruptor", "ArrayBlockingQueue", ... */
    double published[QTP_PUB_MAX_MACHINES]; /* per machine of the source, NAN: none */
    double measured;                        /* median here (or the constant), NAN: none */
    char what[QTP_CELL_ID_MAX + 64];        /* the cell measured, or why there is none */
    unsigned threads;                       /* the measured cell's threads */
};
enum qtp_pub_state {
    QTP_PUB_REPRODUCED,
    QTP_PUB_NOT_REPRODUCED,
    QTP_PUB_NO_FIGURE,
    QTP_PUB_UNMEASURED
};
struct qtp_pub_row {
    char label[96], metric[32];
    struct qtp_pub_side num, den;
    double pub_ratio[QTP_PUB_MAX_MACHINES]; /* num / den as published, per machine */
    double ratio;                           /* num / den measured here */
    enum qtp_pub_state state;
    char verdict[256];
    char note[512];    /* the experiment's own note on the row */
    char oversub[256]; /* what this machine cannot give the row, e.g. a core per thread */
};
struct qtp_rpt_pub {
    bool present;
    char name[64], title[256], source[1024];
    double within; /* reproduced: the measured ratio within this factor of the published range */
    char machines[QTP_PUB_MAX_MACHINES][96];
    size_t nmachines;
    char caveats[QTP_PUB_MAX_CAVEATS][512];
    size_t ncaveats;
    struct qtp_pub_row rows[QTP_PUB_MAX_ROWS];
    size_t nrows;
    struct qtp_rpt_chart chart;
};
/* Read DIR/experiment.json if there is one (p->present), and measure its rows from r's cells.
 * 0 (also when absent), EINVAL naming what is wrong with the file, EIO. */
int qtp_rpt_published_load(struct qtp_rpt_pub *p, const struct qtp_rpt *r, char *err,
                           size_t errlen);
/* Draw its chart (published.svg/png) into outdir. */
int qtp_rpt_published_chart(struct qtp_rpt_pub *p, const struct qtp_rpt *r, const char *outdir,
                            const char *gnuplot, char *err, size_t errlen);
void qtp_rpt_published_section(FILE *f, const struct qtp_rpt_pub *p);

/* The gnuplot templates (plots/<name>.gp), compiled in by plots/embed_gp.cmake. */
struct qtp_rpt_template {
    const char *name; /* "common", "throughput", ... */
    const char *text;
};
extern const struct qtp_rpt_template qtp_rpt_templates[];
extern const size_t qtp_rpt_ntemplates;
const char *qtp_rpt_template(const char *name);

#endif
