/* run_cell.c - one cell of the matrix: its skipped row, or the reps a resume has not got yet (in a
 * child process, so that a crash is a failed row and not the end of the matrix), then its rows
 * appended to results.jsonl (fsync), summary.csv rewritten, its histogram written, and one line
 * of progress. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The reps of cell c not done yet (from first_rep) into recs, and the cell's histogram; rel gets
 * its path. Returns how many reps ran (*nrec also counts up as each one ends). */
static int cell_reps(struct qtp_run *run, const struct qtp_cell *c, int first_rep,
                     struct qtp_rep_record *recs, _Atomic int *nrec, _Atomic int *in_flight,
                     char *rel, size_t rel_len)
{
    /* The placement was planned at expansion; the topology is built once for the reps. */
    struct qtp_cell_run cr = {.run = run, .cell = c};
    bool topo_built = qtp_cell_topology(c, &cr.topo) == 0;
    bool ok_setup = topo_built && qtp_hist_create(&cr.hist) == 0;
    /* The model once for every rep (each is still compared with it), outside every window; a
     * signal stops it like a rep in flight. */
    struct qtp_deploy_model *model = NULL;
    int n = 0;
    if (ok_setup) {
        int mrc = qtp_deploy_model_create(&model, &cr.topo, c->seed,
                                          c->params.warmup + c->params.events, run->interrupted);
        if (mrc == ECANCELED) {
            qtp_meter_note(run->meter, "qtopo run: interrupted in the model check: no rep ran");
            goto done;
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
    for (int rep = first_rep; rep < (int)c->reps; rep++) {
        if (rep_done(run->done, c->id, rep))
            continue;
        if (n && atomic_load(run->interrupted))
            break; /* stop after the rep in flight; what is done gets written */
        qtp_meter_rep(run->meter, n);
        atomic_store(in_flight, rep);
        if (ok_setup) {
            qtp_run_rep(&cr, rep, &recs[n]);
        } else {
            qtp_run_row(c, &recs[n], rep);
            if (!topo_built)
                qtp_run_fail(&recs[n], "setup failed: cannot build topology %.200s", c->topology);
            else
                qtp_run_fail(&recs[n], "setup failed: out of memory");
        }
        atomic_store(nrec, ++n);
        if (atomic_load(run->interrupted) >= 2)
            break;
    }
    atomic_store(in_flight, -1);
    if (cr.rss_source)
        run->rss_source = cr.rss_source;
    qtp_obs_load(&load, true);
    qtp_obs_hlog_close(&cr, run->dir);
    write_hist(run, &cr, first_rep, rel, rel_len);
    for (int i = 0; i < n; i++) {
        recs[i].load = load;
        if (!cr.hlog_rel[0])
            recs[i].hlog_file[0] = 0;
        qtp_fmt(recs[i].hiccup_file, sizeof recs[i].hiccup_file, "%s", hiccup_rel);
    }
done:
    qtp_deploy_model_destroy(model);
    if (cr.hist)
        qtp_hist_destroy(cr.hist);
    if (topo_built)
        qtp_topology_fini(&cr.topo);
    return n;
}

/* ---- isolation: the cell's reps in a child process ----
 * A deployment that crashes (a wiring or memory mistake) takes only its child down: the parent
 * turns the crash into a failed row with the signal and the last progress and goes on with the
 * matrix, as the watchdog does for a hang. The child writes its rows and state into memory shared
 * with the parent; the parent alone writes results.jsonl and summary.csv, so a crash can never
 * leave a torn row. Signals reach the parent (and, from a terminal, the child too): the parent
 * forwards its count, and the child acts on the parent's count only. QTOPO_ISOLATE=0 runs cells
 * in-process (to measure what the isolation costs). */
struct cell_shared {
    _Atomic int interrupted; /* the parent's signal count, forwarded */
    _Atomic int nrec;        /* reps finished */
    _Atomic int in_flight;   /* the rep running, -1: none */
    char progress[QTP_REASON_MAX];
    char rel[256];
    const char *rss_source; /* a static string: the same address in both processes */
    bool drawn;
    struct qtp_rep_record recs[];
};

static bool isolate(void)
{
    const char *s = getenv("QTOPO_ISOLATE");
    return !s || strcmp(s, "0") != 0;
}

/* "SIGSEGV (signal 11)". */
static void signal_text(int sig, char *buf, size_t len)
{
    const char *n = sigabbrev_np(sig);
    qtp_fmt(buf, len, "%s%s (signal %d)", n ? "SIG" : "an unknown signal", n ? n : "", sig);
}

/* Wait for the child, forwarding the parent's signal count to it. The pipe's other end closes
 * when the child ends, and a signal ends the poll early (EINTR): both are seen at once. */
static int wait_child(struct qtp_run *run, pid_t pid, int done_fd, struct cell_shared *sh)
{
    int st = 0;
    for (;;) {
        atomic_store(&sh->interrupted, atomic_load(run->interrupted));
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return st;
        if (w < 0 && errno != EINTR)
            return -1;
        struct pollfd pf = {.fd = done_fd, .events = POLLIN};
        if (poll(&pf, 1, 100) > 0 && (pf.revents & POLLHUP))
            while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
                ;
        if (w == pid)
            return st;
    }
}

static int isolated_reps(struct qtp_run *run, const struct qtp_cell *c, int first_rep, int todo,
                         char *rel, size_t rel_len)
{
    size_t bytes = sizeof(struct cell_shared) + (size_t)todo * sizeof(struct qtp_rep_record);
    struct cell_shared *sh =
        mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int pfd[2] = {-1, -1};
    if (sh == MAP_FAILED || pipe(pfd)) {
        if (sh != MAP_FAILED)
            munmap(sh, bytes);
        return -1;
    }
    atomic_store(&sh->in_flight, -1);
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* The child dies with the parent (kill -9 included) and never holds the results
         * directory's lock: a resume started once the parent is gone finds the directory free
         * and no orphan still running a cell into it. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(1);
        if (run->lock_fd >= 0)
            close(run->lock_fd);
        close(pfd[0]);
        struct qtp_run mine = *run;
        mine.interrupted = &sh->interrupted;
        mine.last_progress = sh->progress;
        mine.last_progress_len = sizeof sh->progress;
        cell_reps(&mine, c, first_rep, sh->recs, &sh->nrec, &sh->in_flight, sh->rel,
                  sizeof sh->rel);
        sh->rss_source = mine.rss_source;
        sh->drawn = run->meter->drawn;
        _exit(0); /* no atexit handlers, no stdio buffers flushed twice */
    }
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        munmap(sh, bytes);
        return -1;
    }
    int st = wait_child(run, pid, pfd[0], sh);
    close(pfd[0]);
    int n = atomic_load(&sh->nrec);
    memcpy(run->recs, sh->recs, (size_t)n * sizeof *run->recs);
    qtp_fmt(rel, rel_len, "%s", sh->rel);
    run->meter->drawn = sh->drawn;
    if (sh->rss_source && sh->rss_source[0])
        run->rss_source = sh->rss_source;
    if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        /* The rep in flight died with the child; the reps after it are left for a resume. */
        int rep = atomic_load(&sh->in_flight);
        char how[96], sig[48];
        if (st >= 0 && WIFSIGNALED(st)) {
            signal_text(WTERMSIG(st), sig, sizeof sig);
            qtp_fmt(how, sizeof how, "crashed: %s", sig);
        } else
            qtp_fmt(how, sizeof how, "the cell's process ended with status %d",
                    st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        if (rep >= 0 && n < todo) {
            qtp_run_row(c, &run->recs[n], rep);
            qtp_run_fail(&run->recs[n], "%s in rep %d; last progress: %.700s", how, rep,
                         sh->progress[0] ? sh->progress : "none yet (the rep had just started)");
            n++;
        }
        char line[256];
        qtp_fmt(line, sizeof line, "qtopo run: %s: %s in rep %d", c->id, how, rep);
        qtp_meter_note(run->meter, line);
    }
    munmap(sh, bytes);
    return n;
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
    qtp_meter_begin(run->meter, index, label, cw, todo);
    char rel[256] = "";
    int nrec = isolate() ? isolated_reps(run, c, first_rep, todo, rel, sizeof rel) : -1;
    if (nrec < 0) {
        _Atomic int n = 0, in_flight = -1;
        nrec = cell_reps(run, c, first_rep, run->recs, &n, &in_flight, rel, sizeof rel);
    }
    for (int i = 0; i < nrec; i++) {
        if (run->recs[i].status == QTP_STATUS_OK)
            qtp_fmt(run->recs[i].hist_file, sizeof run->recs[i].hist_file, "%s", rel);
        else
            run->any_failed = true;
    }
    int status = nrec ? append(run, run->recs, (size_t)nrec, true) : 0;
    outcome_line(c, run->recs, nrec, todo, outcome, sizeof outcome);
    qtp_meter_end(run->meter, outcome);
    return status;
}
