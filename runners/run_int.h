/* run_int.h - internal to `qtopo run` (cmd_run.c and the run_*.c it is made of): the cell loop,
 * one rep, meta.json and the table at the end. */
#ifndef QTP_RUN_INT_H
#define QTP_RUN_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "machine.h"
#include "progress.h"
#include "qtp_cli.h"
#include "qtp_results.h"
#include "qtp_topo.h"

/* One run of the matrix: what every cell needs from it. */
struct qtp_run {
    const struct qtp_machine *mach;
    const char *dir;             /* the results directory */
    const struct qtp_rows *done; /* rows it held before (a resume), never run again */
    struct qtp_meter *meter;     /* progress on stderr */
    _Atomic int *interrupted;    /* SIGINT/SIGTERM so far: 1 stop after the rep in flight, 2 halt
                                    it now (the watchdog polls) */
    struct qtp_rep_record *recs; /* room for one cell's reps */
    const char *rss_source;      /* how peak RSS was measured (meta.json) */
    bool any_failed;
    /* The cell's child process (run_cell.c): the rep's last progress goes here (NULL: none), for
     * the reason of a crash. */
    char *last_progress;
    size_t last_progress_len;
};

/* One cell: a skipped row, or its missing reps, then its rows appended (fsync), summary.csv
 * rewritten and its histogram written. 0, or QTP_EXIT_FAILED when the results could not be
 * written (the run stops). */
int qtp_run_cell(struct qtp_run *run, const struct qtp_cell *c, size_t index);
/* Cost units of a cell for the ETA (events plus a fixed cost per rep). */
double qtp_run_cell_work(const struct qtp_cell *c);

/* What one rep needs of its cell. */
struct qtp_cell_run {
    const struct qtp_run *run;
    const struct qtp_cell *cell;
    struct qtp_topology topo; /* built once for the cell */
    struct qtp_hist *hist;    /* merged over this session's ok reps */
    const char *rss_source;
};
/* A row for rep of cell c with its names and parameters, and no numbers yet. */
void qtp_run_row(const struct qtp_cell *c, struct qtp_rep_record *r, int rep);
/* Mark r failed with the reason (its numbers are dropped). */
void qtp_run_fail(struct qtp_rep_record *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One timed rep: a fresh deployment, under the watchdog, checked against the model. */
void qtp_run_rep(struct qtp_cell_run *cr, int rep, struct qtp_rep_record *r);

/* meta.json of a new run, and the entry a resume adds to it. */
json_t *qtp_run_meta(const struct qtp_machine *mach, const struct qtp_matrix *parts, size_t nparts,
                     const struct qtp_cell *cells, size_t n, int argc, char **argv);
void qtp_run_meta_resumed(json_t *meta, int argc, char **argv);
/* Now in UTC: "2024-01-01T12:00:00Z", or compact "20240101T120000Z". */
void qtp_utc_now(char *buf, size_t len, bool compact);

/* The compact table at the end: one line per cell that ran, skipped cells counted by reason.
 * 0 or ENOMEM. */
int qtp_run_print_table(FILE *out, const struct qtp_rows *rows);

#endif
