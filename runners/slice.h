/* slice.h - a matrix cut into N slices of about equal expected time, so that a fleet (a Slurm
 * job array) can run them side by side: the cost model, the assignment, and the hash that ties
 * the slices of one matrix together.
 *
 * The assignment depends only on the cells (their order and their expected cost), so every
 * slice of one matrix on one kind of machine computes the same one; the cells themselves depend
 * on the machine (what it cannot give is skipped), so slices are merged per machine.
 */
#ifndef QTP_SLICE_H
#define QTP_SLICE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "qtp_cli.h"

#define QTP_MATRIX_HASH_LEN 17

/* Expected seconds to run cell c (every rep, with its warm-up and set-up) on a machine with
 * npus PUs; 0 for a skipped cell. A coarse model (a cost per event by queue family, wait
 * strategy and whether events go round trips, slowed down when threads outnumber PUs): it
 * balances slices and sizes time limits; it is not a measurement. */
double qtp_slice_cell_seconds(const struct qtp_cell *c, unsigned npus);

/* Put each of cells[0..n) into a slice 1..nslices (slice_of[i]), balancing expected seconds:
 * the most expensive cell first (equal costs in the order of a hash of their ids), each onto the
 * least loaded slice (then the one with fewer cells, then the lower one), so the cut is
 * deterministic. secs[k-1] and ncells[k-1] get slice k's
 * expected seconds and cell count (either may be NULL). 0 or ENOMEM. */
int qtp_slice_assign(const struct qtp_cell *cells, size_t n, unsigned npus, unsigned nslices,
                     unsigned *slice_of, double *secs, size_t *ncells);

/* The matrix's hash: FNV-1a 64 of meta.json's "matrix" as canonical JSON (sorted keys, compact),
 * 16 hex digits. */
void qtp_matrix_hash(const json_t *matrix, char out[QTP_MATRIX_HASH_LEN]);

/* --slice-plan N: each slice's cells and expected time, on out. 0 or ENOMEM. */
int qtp_slice_print_plan(FILE *out, const struct qtp_cell *cells, size_t n, unsigned npus,
                         unsigned nslices, const char *hash);

/* Keep only slice k of nslices of *cells (in their order); *n becomes its count, and index[]
 * (room for the old *n) each kept cell's index in the whole matrix. 0 or ENOMEM. */
int qtp_slice_select(struct qtp_cell *cells, size_t *n, unsigned npus, unsigned k, unsigned nslices,
                     size_t *index);

/* meta.json's "slice" of a slice run: k, n, matrix_hash, matrix_cells (cells of the whole
 * matrix), cell_index (each kept cell's index in it) and estimated_s (the model's seconds). */
json_t *qtp_slice_meta(const struct qtp_matrix *parts, size_t nparts, unsigned k, unsigned nslices,
                       const struct qtp_cell *kept, size_t nkept, const size_t *index,
                       size_t ntotal, unsigned npus);

#endif
