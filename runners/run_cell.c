/* run_cell.c - one cell of the matrix: its skipped row, or the reps a resume has not got yet, then
 * its rows appended to results.jsonl (fsync), summary.csv rewritten, its histogram written, and
 * one line of progress. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "qtp_deploy.h"
#include "qtp_format.h"
#include "qtp_summary.h"
#include "qtp_text.h"
#include "run_int.h"
#include "run_obs.h"

double qtp_run_cell_work(const struct qtp_cell *c)
{
    if (c->skip)
        return 0;
    double per = (double)(c->params.events + c->params.warmup) + 20000.0;
    if (c->params.work_ns)
        per *= 1.0 + (double)c->params.work_ns / 100.0;
    return per * c->reps;
}

/* Reps already in results.jsonl (a resume): linear scans, a matrix has at most thousands. */
static bool rep_done(const struct qtp_rows *rows, const char *cell, int rep)
{
    for (size_t i = 0; rows && i < rows->n; i++)
        if (rows->v[i].rep == rep && strcmp(rows->v[i].cell, cell) == 0)
            return true;
    return false;
}

static bool cell_has_rows(const struct qtp_rows *rows, const char *cell)
{
    for (size_t i = 0; rows && i < rows->n; i++)
        if (strcmp(rows->v[i].cell, cell) == 0)
            return true;
    return false;
}

/* The rows to results.jsonl, and (after reps that ran) summary.csv rewritten from it. */
static int append(const struct qtp_run *run, const struct qtp_rep_record *rows, size_t n,
                  bool summary)
{
    int rc = qtp_results_append(run->dir, rows, n);
    if (rc) {
        qtp_message("run", "cannot append to %s/results.jsonl: %s", run->dir, strerror(rc));
        return QTP_EXIT_FAILED;
    }
    char err[1024];
    if (summary && (rc = qtp_results_update_summary(run->dir, err, sizeof err)))
        qtp_message("run", "cannot write summary.csv: %s", err);
    return 0;
}

static int skipped_cell(struct qtp_run *run, const struct qtp_cell *c, size_t index,
                        const char *label)
{
    if (cell_has_rows(run->done, c->id)) {
        qtp_meter_skip_done(run->meter, 1, 0);
        return 0;
    }
    char outcome[256];
    qtp_meter_begin(run->meter, index, label, 0, 0);
    qtp_run_row(c, &run->recs[0], 0);
    run->recs[0].status = QTP_STATUS_SKIPPED;
    qtp_fmt(run->recs[0].reason, sizeof run->recs[0].reason, "%s", c->reason);
    int rc = append(run, run->recs, 1, false);
    if (rc)
        return rc;
    qtp_fmt(outcome, sizeof outcome, "skipped: %.200s", c->reason);
    qtp_meter_end(run->meter, outcome);
    return 0;
}

/* The name of the cell's histogram files: its id, and ".from<rep>" after a resume. */
static void hist_name(const struct qtp_cell *c, int first_rep, char *name, size_t len)
{
    if (first_rep == 0)
        qtp_fmt(name, len, "%s", c->id);
    else
        qtp_fmt(name, len, "%s.from%d", c->id, first_rep);
}

/* The cell's histogram: reps run in one session merge into one file; reps added by a resume go
 * to a file of their own (histograms cannot be read back from .hgrm). rel gets its path. */
static void write_hist(const struct qtp_run *run, const struct qtp_cell_run *cr, int first_rep,
                       char *rel, size_t len)
{
    rel[0] = 0;
    if (!cr->hist || !qtp_hist_count(cr->hist))
        return;
    char name[QTP_CELL_ID_MAX + 16];
    hist_name(cr->cell, first_rep, name, sizeof name);
    int rc = qtp_results_write_hgrm(run->dir, name, cr->hist, rel, len);
    if (rc)
        qtp_message("run", "cannot write the histogram of %s: %s", cr->cell->id, strerror(rc));
}

/* "ok 5/5  12.34M events/s  p99 1.2us", or the first failure. */
static void outcome_line(const struct qtp_cell *c, const struct qtp_rep_record *recs, int nrec,
                         int todo, char *buf, size_t len)
{
    struct qtp_summary now;
    buf[0] = 0;
    if (!nrec || qtp_summary_build(&now, recs, (size_t)nrec))
        return;
    const struct qtp_cell_summary *cs = &now.cells[0];
    if (cs->ok == (size_t)nrec) {
        char t[32], l[32];
        qtp_format_rate(cs->stat[QTP_METRIC_THROUGHPUT].median, QTP_STYLE_TERMINAL, t, sizeof t);
        qtp_format_ns(cs->stat[QTP_METRIC_P99].median, QTP_STYLE_TERMINAL, l, sizeof l);
        qtp_fmt(buf, len, "ok %d/%d  %s events/s  p99 %s%s", nrec, todo, t, l,
                c->oversubscribed ? "  (oversubscribed)" : "");
    } else {
        for (int i = 0; i < nrec; i++)
            if (recs[i].status != QTP_STATUS_OK) {
                qtp_fmt(buf, len, "FAILED %zu/%d: %.200s", (size_t)nrec - cs->ok, nrec,
                        recs[i].reason);
                break;
            }
    }
    qtp_summary_free(&now);
}

int qtp_run_cell(struct qtp_run *run, const struct qtp_cell *c, size_t index)
{
    char label[192], outcome[256];
    qtp_fmt(label, sizeof label, "%.80s %s/%s %s %s", c->topology, c->queue->name, c->wait_name,
            c->placement, c->memory);
    if (c->skip)
        return skipped_cell(run, c, index, label);
    int first_rep = 0, todo = 0;
    for (int rep = 0; rep < (int)c->reps; rep++)
        if (!rep_done(run->done, c->id, rep) && !todo++)
            first_rep = rep;
    double cw = qtp_run_cell_work(c);
    if (!todo) {
        qtp_meter_skip_done(run->meter, 1, cw);
        return 0;
    }

    /* The placement was planned at expansion; the topology is built once for the reps. */
    struct qtp_cell_run cr = {.run = run, .cell = c};
    bool topo_built = qtp_cell_topology(c, &cr.topo) == 0;
    bool ok_setup = topo_built && qtp_hist_create(&cr.hist) == 0;
    qtp_meter_begin(run->meter, index, label, cw, todo);
    /* The model once for every rep (each is still compared with it), outside every window; a
     * signal stops it like a rep in flight. */
    struct qtp_deploy_model *model = NULL;
    if (ok_setup) {
        int mrc = qtp_deploy_model_create(&model, &cr.topo, c->seed,
                                          c->params.warmup + c->params.events, run->interrupted);
        if (mrc == ECANCELED) {
            qtp_meter_end(run->meter, "interrupted in the model check: no rep ran");
            qtp_hist_destroy(cr.hist);
            qtp_topology_fini(&cr.topo);
            return 0;
        }
        ok_setup = mrc == 0;
        cr.model = model;
    }
    struct qtp_load_stats load = {.unknown = ""};
    qtp_obs_load(&load, false);
    char base[QTP_CELL_ID_MAX + 16];
    hist_name(c, first_rep, base, sizeof base);
    char hiccup_rel[256] = "";
    if (ok_setup && !c->no_latency) {
        qtp_obs_hiccup(&cr, run->dir, base, hiccup_rel, sizeof hiccup_rel);
        qtp_obs_hlog_open(&cr, run->dir, base);
    }
    int nrec = 0;
    for (int rep = first_rep; rep < (int)c->reps; rep++) {
        if (rep_done(run->done, c->id, rep))
            continue;
        if (nrec && atomic_load(run->interrupted))
            break; /* stop after the rep in flight; what is done gets written */
        qtp_meter_rep(run->meter, nrec);
        if (ok_setup) {
            qtp_run_rep(&cr, rep, &run->recs[nrec]);
        } else {
            qtp_run_row(c, &run->recs[nrec], rep);
            if (!topo_built)
                qtp_run_fail(&run->recs[nrec], "setup failed: cannot build topology %.200s",
                             c->topology);
            else
                qtp_run_fail(&run->recs[nrec], "setup failed: out of memory");
        }
        nrec++;
        if (atomic_load(run->interrupted) >= 2)
            break;
    }
    if (cr.rss_source)
        run->rss_source = cr.rss_source;

    qtp_obs_load(&load, true);
    qtp_obs_hlog_close(&cr, run->dir);
    char rel[256];
    write_hist(run, &cr, first_rep, rel, sizeof rel);
    for (int i = 0; i < nrec; i++) {
        run->recs[i].load = load;
        if (!cr.hlog_rel[0])
            run->recs[i].hlog_file[0] = 0;
        qtp_fmt(run->recs[i].hiccup_file, sizeof run->recs[i].hiccup_file, "%s", hiccup_rel);
        if (run->recs[i].status == QTP_STATUS_OK)
            qtp_fmt(run->recs[i].hist_file, sizeof run->recs[i].hist_file, "%s", rel);
        else
            run->any_failed = true;
    }
    int status = nrec ? append(run, run->recs, (size_t)nrec, true) : 0;
    outcome_line(c, run->recs, nrec, todo, outcome, sizeof outcome);
    qtp_meter_end(run->meter, outcome);
    qtp_deploy_model_destroy(model);
    if (cr.hist)
        qtp_hist_destroy(cr.hist);
    if (topo_built)
        qtp_topology_fini(&cr.topo);
    return status;
}
