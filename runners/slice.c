/* slice.c - the cost model, the cut into slices, the plan and the matrix hash (slice.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_deploy.h"
#include "qtp_topo.h"
#include "qtp_wait.h"
#include "slice.h"

/* Nanoseconds per event on a machine with a PU per thread, by how events travel: medians of
 * `qtopo run --quick` on a 2-core VM (elapsed_s / events over the ok reps), rounded. A waiter
 * that spins answers in tens of ns; one that sleeps costs a wake-up per batch, and a round trip
 * (pingpong) pays a whole wake-up per event each way. */
static const struct event_cost {
    enum qtp_queue_family family;
    bool spins;      /* the wait strategy never gives the CPU away */
    bool round_trip; /* pingpong */
    double ns;
} event_costs[] = {
    {QTP_FAMILY_RING, true, false, 40},      {QTP_FAMILY_RING, false, false, 150},
    {QTP_FAMILY_RING, true, true, 250},      {QTP_FAMILY_RING, false, true, 15000},
    {QTP_FAMILY_LOCKFREE, true, false, 100}, {QTP_FAMILY_LOCKFREE, false, false, 300},
    {QTP_FAMILY_LOCKFREE, true, true, 300},  {QTP_FAMILY_LOCKFREE, false, true, 15000},
    {QTP_FAMILY_MUTEX, false, false, 600},   {QTP_FAMILY_MUTEX, false, true, 10000},
};
/* A deployment's threads started and joined, its storage placed, its check run: per rep. */
#define REP_SETUP_S 0.01

static double event_ns(enum qtp_queue_family family, bool spins, bool round_trip)
{
    for (size_t i = 0; i < sizeof event_costs / sizeof *event_costs; i++)
        if (event_costs[i].family == family && event_costs[i].spins == spins &&
            event_costs[i].round_trip == round_trip)
            return event_costs[i].ns;
    /* A queue that never spins has no spinning row: the blocking one. */
    return spins ? event_ns(family, false, round_trip) : 1000;
}

double qtp_slice_cell_seconds(const struct qtp_cell *c, unsigned npus)
{
    if (c->skip)
        return 0;
    struct qtp_topology t;
    bool round_trip = false;
    unsigned producers = 1;
    if (qtp_cell_topology(c, &t) == 0) {
        round_trip = t.pingpong;
        producers = t.producers;
        qtp_topology_fini(&t);
    }
    double over = npus && c->nthreads > npus ? (double)c->nthreads / npus : 1.0;
    double stages = c->nthreads > producers ? c->nthreads - producers : 1;
    double work = (double)c->params.work_ns * (npus && stages > npus ? stages / npus : 1.0);
    double ns = event_ns(c->queue->family, c->wait && c->wait->spins, round_trip) * over + work;
    double events = (double)(c->params.events + c->params.warmup) * producers;
    double secs = events * ns / 1e9;
    if (c->params.rate > 0 && events / c->params.rate > secs)
        secs = events / c->params.rate; /* paced: the producer waits for each send time */
    return c->reps * (secs + REP_SETUP_S);
}

struct by_cost {
    size_t i;
    double s;
    uint64_t mix; /* a hash of the cell id: the order among equal costs */
};

/* Cells the model cannot tell apart (the same kind in every placement, say) are taken in the
 * order of a hash of their ids, not in the matrix's: in matrix order the equal cells' turns
 * repeat, and each slice would get one placement (measured: every compact cell of --quick on one
 * of 4 slices, 5x the time of the slice of os cells on a loaded 2-PU VM). */
static uint64_t id_mix(const char *id)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

static int by_cost_desc(const void *a, const void *b)
{
    const struct by_cost *x = a, *y = b;
    if (x->s != y->s)
        return x->s > y->s ? -1 : 1;
    if (x->mix != y->mix)
        return x->mix < y->mix ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int qtp_slice_assign(const struct qtp_cell *cells, size_t n, unsigned npus, unsigned nslices,
                     unsigned *slice_of, double *secs, size_t *ncells)
{
    struct by_cost *v = calloc(n ? n : 1, sizeof *v);
    double *load = calloc(nslices, sizeof *load);
    size_t *count = calloc(nslices, sizeof *count);
    if (!v || !load || !count) {
        free(v);
        free(load);
        free(count);
        return ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (struct by_cost){i, qtp_slice_cell_seconds(&cells[i], npus), id_mix(cells[i].id)};
    qsort(v, n, sizeof *v, by_cost_desc);
    for (size_t j = 0; j < n; j++) {
        /* Least loaded, then fewer cells, then the lower slice; a cell that costs nothing (a
         * skipped one) goes where there are fewest, so that they do not all pile onto one. */
        unsigned best = 0;
        for (unsigned k = 1; k < nslices; k++) {
            bool fewer = count[k] < count[best];
            if (v[j].s > 0 ? load[k] < load[best] || (load[k] == load[best] && fewer) : fewer)
                best = k;
        }
        load[best] += v[j].s;
        count[best]++;
        slice_of[v[j].i] = best + 1;
    }
    for (unsigned k = 0; k < nslices; k++) {
        if (secs)
            secs[k] = load[k];
        if (ncells)
            ncells[k] = count[k];
    }
    free(v);
    free(load);
    free(count);
    return 0;
}

void qtp_matrix_hash(const json_t *matrix, char out[QTP_MATRIX_HASH_LEN])
{
    char *text = json_dumps(matrix, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = text ? text : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    free(text);
    snprintf(out, QTP_MATRIX_HASH_LEN, "%016" PRIx64, h);
}

static const char *secs_text(char *buf, size_t len, double s)
{
    if (s < 120)
        snprintf(buf, len, "%.1f s", s);
    else if (s < 7200)
        snprintf(buf, len, "%.1f min", s / 60);
    else
        snprintf(buf, len, "%.1f h", s / 3600);
    return buf;
}

int qtp_slice_print_plan(FILE *out, const struct qtp_cell *cells, size_t n, unsigned npus,
                         unsigned nslices, const char *hash)
{
    unsigned *slice_of = calloc(n ? n : 1, sizeof *slice_of);
    double *secs = calloc(nslices, sizeof *secs);
    size_t *count = calloc(nslices, sizeof *count);
    int rc = slice_of && secs && count ? 0 : ENOMEM;
    if (!rc)
        rc = qtp_slice_assign(cells, n, npus, nslices, slice_of, secs, count);
    if (!rc) {
        double total = 0, most = 0;
        size_t skipped = 0;
        char t[32];
        for (unsigned k = 0; k < nslices; k++) {
            total += secs[k];
            most = secs[k] > most ? secs[k] : most;
        }
        for (size_t i = 0; i < n; i++)
            skipped += cells[i].skip;
        fprintf(out, "matrix %s: %zu cells (%zu skipped) in %u slices, for a machine with %u PUs\n",
                hash, n, skipped, nslices, npus);
        fprintf(out, "%-9s %6s %12s\n", "slice", "cells", "estimated");
        for (unsigned k = 0; k < nslices; k++) {
            char name[32];
            snprintf(name, sizeof name, "%u/%u", k + 1, nslices);
            fprintf(out, "%-9s %6zu %12s\n", name, count[k], secs_text(t, sizeof t, secs[k]));
        }
        fprintf(out, "%-9s %6zu %12s\n", "all", n, secs_text(t, sizeof t, total));
        /* Whole seconds first, for scripts (slurm-run sizes its time limits from it). */
        fprintf(out, "longest slice: %.0f s (%s", ceil(most), secs_text(t, sizeof t, most));
        fprintf(out, "; the cost model's estimate for this machine: a cost per event by queue "
                     "family, wait and round trip, not a measurement)\n");
    }
    free(slice_of);
    free(secs);
    free(count);
    return rc;
}

int qtp_slice_select(struct qtp_cell *cells, size_t *n, unsigned npus, unsigned k, unsigned nslices,
                     size_t *index)
{
    unsigned *slice_of = calloc(*n ? *n : 1, sizeof *slice_of);
    if (!slice_of)
        return ENOMEM;
    int rc = qtp_slice_assign(cells, *n, npus, nslices, slice_of, NULL, NULL);
    if (!rc) {
        size_t kept = 0;
        for (size_t i = 0; i < *n; i++)
            if (slice_of[i] == k) {
                index[kept] = i;
                cells[kept++] = cells[i];
            }
        *n = kept;
    }
    free(slice_of);
    return rc;
}

json_t *qtp_slice_meta(const struct qtp_matrix *parts, size_t nparts, unsigned k, unsigned nslices,
                       const struct qtp_cell *kept, size_t nkept, const size_t *index,
                       size_t ntotal, unsigned npus)
{
    char hash[QTP_MATRIX_HASH_LEN];
    json_t *matrix = qtp_matrix_parts_to_json(parts, nparts);
    qtp_matrix_hash(matrix, hash);
    json_decref(matrix);
    json_t *idx = json_array();
    double secs = 0;
    for (size_t i = 0; i < nkept; i++) {
        json_array_append_new(idx, json_integer((json_int_t)index[i]));
        secs += qtp_slice_cell_seconds(&kept[i], npus);
    }
    return json_pack("{s:i, s:i, s:s, s:i, s:o, s:f}", "k", (int)k, "n", (int)nslices,
                     "matrix_hash", hash, "matrix_cells", (json_int_t)ntotal, "cell_index", idx,
                     "estimated_s", secs);
}
