/* run_obs.c - the load around a cell and the counters of a rep, into its row (run_obs.h). */
#include "run_obs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "hiccup.h"
#include "machine_state.h"
#include "qtp_clock.h"
#include "qtp_hlog.h"
#include "qtp_results.h"
#include "qtp_text.h"
#include "qtp_wait.h"
#include "run_int.h"

void qtp_obs_load(struct qtp_load_stats *l, bool end)
{
    double load[3];
    char why[128] = "";
    bool ok = qtp_machine_state_load(NULL, load, why, sizeof why) == 0;
    double *one = end ? &l->end_1m : &l->start_1m, *five = end ? &l->end_5m : &l->start_5m;
    *one = ok ? load[0] : NAN;
    *five = ok ? load[1] : NAN;
    if (!ok && !l->unknown[0])
        qtp_fmt(l->unknown, sizeof l->unknown, "%s", why[0] ? why : "/proc/loadavg unreadable");
}

_Static_assert((int)QTP_CTR_COUNT == (int)QTP_NCOUNTER_EVENTS,
               "the row's counter keys and the counters' registry list the same events");

void qtp_obs_counters_none(struct qtp_counter_stats *cs)
{
    memset(cs, 0, sizeof *cs);
    qtp_fmt(cs->mode, sizeof cs->mode, "none");
    for (int i = 0; i < QTP_NCOUNTER_EVENTS; i++) {
        cs->ev[i].value = NAN;
        cs->ev[i].per_event = NAN;
        qtp_fmt(cs->ev[i].unavailable, sizeof cs->ev[i].unavailable, "not counted");
    }
}

void qtp_obs_counters_fill(struct qtp_counters *c, enum qtp_counters_mode mode, uint64_t events,
                           struct qtp_counter_stats *cs)
{
    qtp_obs_counters_none(cs);
    for (const struct qtp_counters_mode_row *m = qtp_counters_modes; m->name; m++)
        if (m->mode == mode)
            qtp_fmt(cs->mode, sizeof cs->mode, "%s", m->name);
    if (!c)
        return;
    struct qtp_counter_value v[QTP_CTR_COUNT];
    qtp_counters_sum(c, v);
    for (int i = 0; i < QTP_CTR_COUNT; i++) {
        /* The row's keys and the counters' registry name the same events in the same order
         * (checked by runners_counters). */
        struct qtp_counter_stat *s = &cs->ev[i];
        if (!v[i].available) {
            qtp_fmt(s->unavailable, sizeof s->unavailable, "%s",
                    v[i].reason[0] ? v[i].reason : "not counted");
            continue;
        }
        s->unavailable[0] = 0;
        s->value = (double)v[i].value;
        s->per_event = events ? (double)v[i].value / (double)events : NAN;
        s->user_only = v[i].user_only;
    }
}

void qtp_obs_hlog_open(struct qtp_cell_run *cr, const char *dir, const char *name)
{
    char path[4200];
    qtp_fmt(cr->hlog_rel, sizeof cr->hlog_rel, "%s/%s.hlog", QTP_RESULTS_HISTDIR, name);
    qtp_fmt(path, sizeof path, "%s/%s", dir, cr->hlog_rel);
    cr->hlog_lines = 0;
    cr->hlog = fopen(path, "w");
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    cr->hlog_base_ns = qtp_clock_mono_ns();
    double now = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9;
    char comment[160];
    qtp_fmt(comment, sizeof comment, "[Logged with qtopo %s: one tag per rep, values in ns]",
            qtp_build_version());
    struct qtp_hlog_header hd = {comment, now, now};
    int rc = cr->hlog ? qtp_hlog_write_header(cr->hlog, &hd) : errno;
    if (rc) {
        fprintf(stderr, "qtopo run: cannot write %s: %s\n", path, strerror(rc));
        if (cr->hlog)
            fclose(cr->hlog);
        cr->hlog = NULL;
        cr->hlog_rel[0] = 0;
    }
}

void qtp_obs_hlog_close(struct qtp_cell_run *cr, const char *dir)
{
    if (!cr->hlog)
        return;
    char path[4200];
    qtp_fmt(path, sizeof path, "%s/%s", dir, cr->hlog_rel);
    bool bad = fclose(cr->hlog) != 0;
    cr->hlog = NULL;
    if (bad)
        fprintf(stderr, "qtopo run: cannot write %s\n", path);
    if (bad || !cr->hlog_lines) {
        unlink(path);
        cr->hlog_rel[0] = 0;
    }
}

void qtp_obs_hiccup(struct qtp_cell_run *cr, const char *dir, const char *name, char *rel,
                    size_t len)
{
    const struct qtp_cell *c = cr->cell;
    const struct qtp_machine *m = cr->run->mach;
    rel[0] = 0;
    /* One pacing thread per distinct PU of the plan; threads the OS places: as many unbound
     * ones as the machine has PUs to give them (more would measure their own contention). */
    int pus[QTP_MAX_THREADS];
    size_t n = 0, unbound = 0;
    for (unsigned t = 0; t < c->nthreads && t < QTP_MAX_THREADS; t++) {
        int pu = m->this_system ? c->pu[t] : -1;
        bool seen = false;
        for (size_t k = 0; pu >= 0 && k < n; k++)
            seen |= pus[k] == pu;
        if (pu < 0 && unbound < m->npus) {
            unbound++;
            pus[n++] = -1;
        } else if (pu >= 0 && !seen) {
            pus[n++] = pu;
        }
    }
    if (!n)
        return;
    const struct qtp_wait_ops *wait = c->wait ? c->wait : qtp_wait_find("block");
    uint64_t period = c->params.rate > 0 ? (uint64_t)(1e9 / c->params.rate) : 0;
    struct qtp_hiccup_config hc = {.m = m,
                                   .pus = pus,
                                   .npus = n,
                                   .period_ns = period ? period : QTP_HICCUP_DEFAULT_PERIOD_NS,
                                   .duration_ns = QTP_OBS_HICCUP_MS * 1000000ull,
                                   .wait = wait};
    if (period) {
        double window = (double)c->params.events * (double)period;
        if (window > (double)QTP_OBS_HICCUP_PACED_MAX_MS * 1e6)
            window = (double)QTP_OBS_HICCUP_PACED_MAX_MS * 1e6;
        if (window > (double)hc.duration_ns)
            hc.duration_ns = (uint64_t)window;
    }
    if (hc.duration_ns < hc.period_ns)
        hc.duration_ns = hc.period_ns;
    struct qtp_hiccup *h;
    char err[256] = "";
    struct qtp_hiccup_result res;
    int rc = qtp_hiccup_create(&h, &hc, err, sizeof err);
    if (rc) {
        fprintf(stderr, "qtopo run: %s: no hiccup baseline: %s\n", c->id,
                err[0] ? err : strerror(rc));
        return;
    }
    rc = qtp_hiccup_run(h, &res);
    char hname[QTP_CELL_ID_MAX + 32];
    qtp_fmt(hname, sizeof hname, "%s.hiccup", name);
    if (rc)
        fprintf(stderr, "qtopo run: %s: no hiccup baseline: %s\n", c->id, res.reason);
    else if (res.samples && (rc = qtp_results_write_hgrm(dir, hname, res.lateness, rel, len)))
        fprintf(stderr, "qtopo run: cannot write the hiccup baseline of %s: %s\n", c->id,
                strerror(rc));
    if (rc)
        rel[0] = 0;
    qtp_hiccup_destroy(h);
}
