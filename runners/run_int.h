/* run_int.h - internal to `qtopo run` (cmd_run.c and the run_*.c it is made of): the cell loop,
 * one rep, meta.json and the table at the end. */
#ifndef QTP_RUN_INT_H
#define QTP_RUN_INT_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "machine.h"
#include "progress.h"
#include "qtp_cli.h"
#include "qtp_results.h"
#include "qtp_topo.h"

struct qtp_deploy_model;

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
    int lock_fd; /* the results directory's lock (-1: none) */
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
    /* The sequential model of topo for the cell's seed and warmup + events, computed once and
     * compared with every rep. */
    const struct qtp_deploy_model *model;
    struct qtp_hist *hist; /* merged over this session's ok reps */
    const char *rss_source;
    /* The latency interval log of this session's reps (run_obs.h), NULL when not recorded. */
    FILE *hlog;
    char hlog_rel[256];
    uint64_t hlog_base_ns; /* CLOCK_MONOTONIC of its BaseTime */
    size_t hlog_lines;
};
/* A row for rep of cell c with its names and parameters, and no numbers yet. */
void qtp_run_row(const struct qtp_cell *c, struct qtp_rep_record *r, int rep);
/* Mark r failed with the reason (its numbers are dropped). */
void qtp_run_fail(struct qtp_rep_record *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One timed rep: a fresh deployment, under the watchdog, checked against the model. */
void qtp_run_rep(struct qtp_cell_run *cr, int rep, struct qtp_rep_record *r);

/* Where the rep's auxiliary threads run (run_aux.c): off the cell's measured PUs when the
 * process has spare ones, else SCHED_BATCH (no wake-up preemption) and a slower sampler. */
enum qtp_aux_thread { QTP_AUX_SAMPLER, QTP_AUX_WATCHDOG, QTP_NAUX };
struct qtp_aux {
    bool spare; /* the process has PUs the cell's plan leaves free: mask */
    cpu_set_t mask;
    unsigned sampler_period_us; /* the CPU sampler's period for this rep */
    uint32_t sample_ms;         /* the series sampler's (the cell's, or auto's choice); 0: off */
    bool started[QTP_NAUX];     /* set by the caller between enter and leave */
    /* the starting thread's own, while it starts them */
    bool restore_mask, restore_policy;
    cpu_set_t saved_mask;
    int saved_policy;
    struct sched_param saved_param;
};
/* The plan for cell c (this_system: the machine is the one we run on). */
void qtp_aux_plan(const struct qtp_cell *c, bool this_system, struct qtp_aux *a);
/* Around starting them on this thread: it takes their affinity or policy, then its own back. */
void qtp_aux_enter(struct qtp_aux *a);
void qtp_aux_leave(struct qtp_aux *a);
/* The row's aux_shared: the started ones that shared the measured PUs (none when they ran on
 * spare PUs). */
void qtp_aux_record(const struct qtp_aux *a, struct qtp_rep_record *r);

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
