/* run_meta.c - meta.json of a run: the machine, the clock, the build, the command line, the
 * matrix and its cells; and the facts of the build (set by CMake). */
#include <limits.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "alloc_count.h"
#include "commands.h"
#include "counters.h"
#include "machine_state.h"
#include "qtp_clock.h"
#include "qtp_deploy.h"
#include "run_int.h"

void qtp_utc_now(char *buf, size_t len, bool compact)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *argv_json(int argc, char **argv)
{
    json_t *a = json_array();
    json_array_append_new(a, json_string("qtopo"));
    for (int i = 0; i < argc; i++)
        json_array_append_new(a, json_string(argv[i]));
    return a;
}

static json_t *cells_json(const struct qtp_cell *cells, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct qtp_cell *c = &cells[i];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:b, s:b, s:s}", "cell",
                         c->id, "topology", c->topology, "topology_expr", c->topology_expr, "queue",
                         c->queue->name, "wait", c->wait_name, "placement", c->placement, "memory",
                         c->memory, "threads", (int)c->nthreads, "reps", (int)c->reps, "skipped",
                         c->skip, "oversubscribed", c->oversubscribed, "reason", c->reason));
    }
    return a;
}

/* What makes numbers move (machine_state.h), read for the CPUs the cells are planned on: every
 * PU of the machine when some thread of a cell is left to the OS. load_warn is the 1-minute
 * load the report warns about at a cell's start or end (the rows carry those loads). */
static json_t *machine_state_json(const struct qtp_machine *mach, const struct qtp_cell *cells,
                                  size_t n)
{
    int top = 0;
    bool any_os = false;
    for (unsigned i = 0; i < mach->npus; i++)
        top = mach->pus[i].os > top ? mach->pus[i].os : top;
    for (size_t i = 0; i < n; i++)
        for (unsigned t = 0; !cells[i].skip && t < cells[i].nthreads && t < QTP_MAX_THREADS; t++)
            top = cells[i].pu[t] > top ? cells[i].pu[t] : top;
    bool *used = calloc((size_t)top + 1, sizeof *used);
    int *cpus = calloc((size_t)top + 1, sizeof *cpus);
    if (!used || !cpus) {
        free(used);
        free(cpus);
        return json_pack("{s:s}", "unknown", "out of memory reading the machine state");
    }
    for (size_t i = 0; i < n; i++)
        for (unsigned t = 0; !cells[i].skip && t < cells[i].nthreads && t < QTP_MAX_THREADS; t++) {
            int pu = cells[i].pu[t];
            any_os |= pu < 0;
            if (pu >= 0)
                used[pu] = true;
        }
    for (unsigned i = 0; any_os && i < mach->npus; i++)
        if (mach->pus[i].os >= 0)
            used[mach->pus[i].os] = true;
    size_t ncpus = 0;
    for (int c = 0; c <= top; c++)
        if (used[c])
            cpus[ncpus++] = c;
    free(used);
    struct qtp_machine_state *st = NULL;
    struct qtp_machine_state_source src = {NULL, NULL};
    int rc = qtp_machine_state_read(&st, &src, cpus, ncpus);
    free(cpus);
    if (rc)
        return json_pack("{s:s}", "unknown", "out of memory reading the machine state");
    json_t *j = qtp_machine_state_to_json(st);
    qtp_machine_state_free(st);
    if (j)
        json_object_set_new(j, "load_warn", json_real(QTP_MS_LOAD_WARN));
    return j;
}

/* Which events this machine lets the run count (probed once, for the whole --counters all):
 * {"<event>": true | {"unavailable": "<why>"}}. */
static json_t *counters_here_json(void)
{
    struct qtp_counter_value v[QTP_CTR_COUNT];
    qtp_counters_probe(QTP_COUNTERS_ALL, v);
    json_t *o = json_object();
    for (int i = 0; o && i < QTP_CTR_COUNT; i++)
        json_object_set_new(o, qtp_counter_events[i].name,
                            v[i].available ? json_true()
                                           : json_pack("{s:s}", "unavailable", v[i].reason));
    return o;
}

json_t *qtp_run_meta(const struct qtp_machine *mach, const struct qtp_matrix *parts, size_t nparts,
                     const struct qtp_cell *cells, size_t n, int argc, char **argv)
{
    char now[64];
    qtp_utc_now(now, sizeof now, false);
    json_t *meta = json_object();
    json_object_set_new(meta, "qtopo_version", json_string(qtp_build_version()));
    json_object_set_new(meta, "start_time", json_string(now));
    json_object_set_new(meta, "command_line", argv_json(argc, argv));
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd))
        json_object_set_new(meta, "cwd", json_string(cwd));
    json_object_set_new(meta, "machine",
                        qtp_machine_to_json(mach, QTP_MACHINE_JSON_XML | QTP_MACHINE_JSON_PUS |
                                                      QTP_MACHINE_JSON_PLACEMENTS));
    json_object_set_new(meta, "machine_state", machine_state_json(mach, cells, n));
    json_object_set_new(meta, "counters_here", counters_here_json());
    json_object_set_new(
        meta, "clock",
        json_pack("{s:s, s:f}", "source", qtp_clock_source(), "tsc_ghz", qtp_clock_tsc_ghz()));
    json_object_set_new(meta, "build",
                        json_pack("{s:s, s:s, s:s, s:s}", "compiler", qtp_build_compiler(), "flags",
                                  qtp_build_flags(), "build_type", qtp_build_type(), "git_commit",
                                  qtp_build_git_commit()));
    /* Readers look for these at the top level too. */
    json_object_set_new(meta, "compiler", json_string(qtp_build_compiler()));
    json_object_set_new(meta, "compiler_flags", json_string(qtp_build_flags()));
    json_object_set_new(meta, "git_commit", json_string(qtp_build_git_commit()));
    struct qtp_alloc_counts ac;
    qtp_alloc_count_snapshot(&ac);
    json_object_set_new(meta, "alloc_counting", json_boolean(ac.available));
    bool latency = true;
    for (size_t i = 0; i < nparts; i++)
        latency &= !parts[i].no_latency;
    json_object_set_new(meta, "latency_recording", json_boolean(latency));
    json_object_set_new(meta, "matrix", qtp_matrix_parts_to_json(parts, nparts));
    json_object_set_new(meta, "registries", qtp_registries_json());
    json_object_set_new(meta, "cells", cells_json(cells, n));
    json_object_set_new(meta, "resumes", json_array());
    return meta;
}

void qtp_run_meta_resumed(json_t *meta, int argc, char **argv)
{
    char now[64];
    qtp_utc_now(now, sizeof now, false);
    json_t *res = json_object_get(meta, "resumes");
    if (!json_is_array(res)) {
        res = json_array();
        json_object_set_new(meta, "resumes", res);
    }
    json_array_append_new(
        res, json_pack("{s:s, s:o}", "time", now, "command_line", argv_json(argc, argv)));
}
