/* run_meta.c - meta.json of a run: the machine, the clock, the build, the command line, the
 * matrix and its cells; and the facts of the build (set by CMake). */
#include <limits.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "alloc_count.h"
#include "commands.h"
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
