/* qtp_results.h - the results directory: meta.json, results.jsonl, summary.csv and
 * hist/<cell>.hgrm, written and read with jansson (the row's schema: qtp_record.h).
 *
 * Durability: every file but results.jsonl is replaced atomically (write a temporary file in the
 * same directory, fsync, rename, fsync the directory). results.jsonl is only appended to, one
 * cell's rows per write, fsync'd before qtp_results_append returns, so a crash loses at most the
 * cell in flight; its reader ignores (and reports) an unterminated last line.
 *
 * All functions return 0 or an errno value. Those that can fail on bad content (EINVAL, EIO)
 * also fill err[errlen] with one line naming the file, the line and the problem; err may be NULL.
 * None of them prints. Not thread-safe on the same directory: the runner writes from one thread.
 */
#ifndef QTP_RESULTS_H
#define QTP_RESULTS_H

#include <jansson.h>
#include <stddef.h>

#include "qtp_hist.h"
#include "qtp_record.h"

#define QTP_RESULTS_META "meta.json"
#define QTP_RESULTS_ROWS "results.jsonl"
#define QTP_RESULTS_SUMMARY "summary.csv"
#define QTP_RESULTS_HISTDIR "hist"

/* Create a NEW results directory (its parents as needed) and its hist/ subdirectory.
 * EEXIST if dir exists already, whatever it holds: a run never writes into an old directory. */
int qtp_results_create(const char *dir);

/* One run at a time per results directory: an exclusive flock(2) on the directory itself, held
 * through *fd until the process ends (or close(*fd)). Locking the directory, not a file in it,
 * lets a run that then finds bad input leave the directory exactly as it was. EWOULDBLOCK if
 * another process holds it: *holder is its pid as it recorded it (0 if not yet recorded). */
int qtp_results_lock(const char *dir, int *fd, long *holder);
/* Record this process as the lock's holder (dir/QTP_RESULTS_LOCK_PID), for the message of the
 * next run refused; called once the run is going to write anyway. */
int qtp_results_lock_record(const char *dir);
#define QTP_RESULTS_LOCK_PID ".qtopo-run.pid"

/* Replace dir/meta.json atomically with meta (built by the runner), indented. */
int qtp_results_write_meta(const char *dir, const json_t *meta);
/* Read dir/meta.json. *out is a new reference (json_decref it). ENOENT if absent,
 * EINVAL if damaged ("meta.json line L column C: why" in err). */
int qtp_results_read_meta(const char *dir, json_t **out, char *err, size_t errlen);

/* One row as its JSON object, fields in schema order (new reference; NULL on ENOMEM).
 * Non-finite reals (not representable in JSON) are written as null. */
json_t *qtp_rep_to_json(const struct qtp_rep_record *r);
/* Fill *r from such an object: every field of the schema must be there with its type, but those
 * marked optional (null is read back as NAN for reals and "" for hist); unknown fields are
 * ignored; lists longer than the record holds are cut to fit. EINVAL with "field 'x.y': why" in
 * err. */
int qtp_rep_from_json(const json_t *j, struct qtp_rep_record *r, char *err, size_t errlen);

/* Append the rows of one cell to dir/results.jsonl (created if absent), one line each, in a
 * single write, then fsync. An unterminated tail left by a crash is cut off first, and a write
 * that fails part way (ENOSPC, EFBIG) is cut back off, so the file stays line-aligned. */
int qtp_results_append(const char *dir, const struct qtp_rep_record *rows, size_t n);

/* What a load saw beyond the rows. */
struct qtp_results_load_info {
    size_t lines;          /* complete lines read */
    size_t truncated_line; /* line number of an unterminated, ignored last line; 0: none */
};

/* Rows loaded from a results directory (a growable array). */
struct qtp_rows {
    struct qtp_rep_record *v;
    size_t n, cap;
};
void qtp_rows_free(struct qtp_rows *rows);
/* Add a copy of *r (ENOMEM). */
int qtp_rows_push(struct qtp_rows *rows, const struct qtp_rep_record *r);

/* Load dir/results.jsonl into *out (initialise it to {0}; rows are appended). ENOENT if the
 * directory or the file is missing, EINVAL if a line other than an unterminated last one is not
 * a valid row: err gets "results.jsonl line N: why". Blank lines are skipped. info may be NULL. */
int qtp_results_load(const char *dir, struct qtp_rows *out, struct qtp_results_load_info *info,
                     char *err, size_t errlen);
/* The same on any file path; errors name the file by its base name. */
int qtp_results_load_file(const char *path, struct qtp_rows *out,
                          struct qtp_results_load_info *info, char *err, size_t errlen);

/* Replace dir/summary.csv atomically with one row per cell (qtp_summary.h, in order of first
 * appearance):
 *   cell,topology,queue,wait,placement,memory,events,warmup,ring_size,batch,payload,work_ns,
 *   fanout,shards,stages,rate,status,reps,reps_ok,throughput_median,throughput_min,
 *   throughput_max,p50_median,p90_median,p99_median,p99_min,p99_max,p999_median,p9999_median,
 *   max_median,alloc_per_event,bytes_per_event,verified,oversubscribed,reason
 * Statistics are over the ok reps; empty fields where there are none (gnuplot: missing).
 * status: ok (every rep ok), failed (any rep failed; reason is the first failure's), skipped
 * (every rep skipped). verified/oversubscribed are 1/0. No field is quoted (gnuplot does not
 * honour quotes around separators): in text fields ',' becomes ';', '"' becomes '\'' and line
 * breaks and tabs become spaces (placement cpus:0,1 reads cpus:0;1). The reason is last. */
int qtp_results_write_summary(const char *dir, const struct qtp_rep_record *rows, size_t n);
/* Load dir/results.jsonl and rewrite dir/summary.csv from it (what the runner calls after
 * each cell). */
int qtp_results_update_summary(const char *dir, char *err, size_t errlen);

/* Replace dir/hist/<cell>.hgrm atomically with h in HdrHistogram's percentile format, values in
 * microseconds (scale 1000, as HdrHistogram's plotters expect for latency in µs) with 5 ticks
 * per half distance. If rel is not NULL it gets "hist/<cell>.hgrm" (the row's hist field). */
int qtp_results_write_hgrm(const char *dir, const char *cell, const struct qtp_hist *h, char *rel,
                           size_t rellen);

/* Write a whole file atomically (temp file in the same directory + fsync + rename + fsync of
 * the directory): write_fn is called with the open stream and returns 0 or an errno value. */
int qtp_results_write_atomic(const char *path, int (*write_fn)(FILE *out, void *arg), void *arg);

#endif
