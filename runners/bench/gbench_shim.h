/* gbench_shim.h - a C API over Google Benchmark, so microbenchmarks can be written in C.
 *
 * Register a C function, give it arguments, then run qtp_gb_main(), which takes Google
 * Benchmark's usual flags (--benchmark_filter, --benchmark_format=json, --benchmark_out=FILE,
 * --benchmark_repetitions, --benchmark_min_time, ...). Its JSON output is Google Benchmark's own,
 * so tools/compare.py reads it unchanged.
 *
 *     static void bm_push(qtp_gb_state *st, void *ctx)
 *     {
 *         int64_t n = qtp_gb_range(st, 0);
 *         while (qtp_gb_keep_running_batch(st, 64))
 *             for (int i = 0; i < 64; i++)
 *                 work(n);
 *         qtp_gb_set_items_processed(st, qtp_gb_iterations(st));
 *     }
 *     ...
 *     qtp_gb_arg(qtp_gb_register("push", bm_push, NULL), 16);
 *     return qtp_gb_main(argc, argv);
 *
 * Every qtp_gb_bench call returns its argument, so calls chain like Google Benchmark's
 * Benchmark* methods. A C function runs only through the loop calls (keep_running or
 * keep_running_batch); like the C++ loop, it must run until they return false.
 *
 * Concurrency contract: register and configure from one thread before qtp_gb_main; the state
 * calls are made by the thread running the benchmark (one state per thread).
 */
#ifndef QTP_GBENCH_SHIM_H
#define QTP_GBENCH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qtp_gb_state qtp_gb_state; /* a benchmark::State */
typedef struct qtp_gb_bench qtp_gb_bench; /* a benchmark::internal::Benchmark */

typedef void (*qtp_gb_fn)(qtp_gb_state *st, void *ctx);

enum qtp_gb_unit { QTP_GB_NS, QTP_GB_US, QTP_GB_MS, QTP_GB_S };

/* benchmark::Counter::Flags, same bits. */
enum qtp_gb_counter_flags {
    QTP_GB_COUNTER_DEFAULT = 0,
    QTP_GB_COUNTER_RATE = 1 << 0,          /* divided by the measured time */
    QTP_GB_COUNTER_AVG_THREADS = 1 << 1,   /* divided by the number of threads */
    QTP_GB_COUNTER_AVG_ITERATIONS = 1 << 3 /* divided by the iteration count */
};

/* ---- registration ---- */

/* Register fn(state, ctx) under name (copied). NULL only when out of memory. */
qtp_gb_bench *qtp_gb_register(const char *name, qtp_gb_fn fn, void *ctx);
/* One run with range(0) = x; call again for more runs. */
qtp_gb_bench *qtp_gb_arg(qtp_gb_bench *b, int64_t x);
/* One run with range(0..n-1) = xs. */
qtp_gb_bench *qtp_gb_args(qtp_gb_bench *b, const int64_t *xs, size_t n);
/* Runs for lo, lo*8, ..., hi (Google Benchmark's Range). */
qtp_gb_bench *qtp_gb_range_args(qtp_gb_bench *b, int64_t lo, int64_t hi);
/* Runs for lo, lo+step, ..., hi. */
qtp_gb_bench *qtp_gb_dense_range(qtp_gb_bench *b, int64_t lo, int64_t hi, int step);
/* Name of range(0) in the benchmark's name ("batch:16" instead of "16"). */
qtp_gb_bench *qtp_gb_arg_name(qtp_gb_bench *b, const char *name);
qtp_gb_bench *qtp_gb_unit(qtp_gb_bench *b, enum qtp_gb_unit unit);
qtp_gb_bench *qtp_gb_min_time(qtp_gb_bench *b, double seconds);
qtp_gb_bench *qtp_gb_repetitions(qtp_gb_bench *b, int n);
qtp_gb_bench *qtp_gb_iterations_fixed(qtp_gb_bench *b, int64_t n);
qtp_gb_bench *qtp_gb_use_real_time(qtp_gb_bench *b);
qtp_gb_bench *qtp_gb_threads(qtp_gb_bench *b, int n);

/* ---- inside a benchmark ---- */

/* The C++ `for (auto _ : state)` / KeepRunning(): true while one more iteration should run. */
bool qtp_gb_keep_running(qtp_gb_state *st);
/* KeepRunningBatch(n): true while n more iterations should run (may overshoot by < n). Use it
 * for nanosecond-scale bodies, so the call through the shim is paid once per n iterations. */
bool qtp_gb_keep_running_batch(qtp_gb_state *st, int64_t n);
/* range(i); i must be below the number of arguments registered. */
int64_t qtp_gb_range(const qtp_gb_state *st, size_t i);
/* Iterations run so far (after the loop: all of them). */
int64_t qtp_gb_iterations(const qtp_gb_state *st);
/* Iterations this run was asked for (known before the loop starts). */
int64_t qtp_gb_max_iterations(const qtp_gb_state *st);
int qtp_gb_thread_index(const qtp_gb_state *st);
int qtp_gb_threads_count(const qtp_gb_state *st);
void qtp_gb_pause_timing(qtp_gb_state *st);
void qtp_gb_resume_timing(qtp_gb_state *st);
/* After the loop: items (bytes) handled over the whole run; reported per second. */
void qtp_gb_set_items_processed(qtp_gb_state *st, int64_t items);
void qtp_gb_set_bytes_processed(qtp_gb_state *st, int64_t bytes);
/* A user counter (name copied), flags from enum qtp_gb_counter_flags. */
void qtp_gb_set_counter(qtp_gb_state *st, const char *name, double value, int flags);
void qtp_gb_set_label(qtp_gb_state *st, const char *label);
/* Mark the run failed with msg; the function should then finish its loop and return. */
void qtp_gb_skip_with_error(qtp_gb_state *st, const char *msg);
bool qtp_gb_error_occurred(const qtp_gb_state *st);

/* ---- running ---- */

/* Initialize with argv (Google Benchmark's flags), run the benchmarks the filter selects,
 * shut down. 0; 2 on an unrecognized argument (after printing it) or when no benchmark matched
 * the filter; 1 when a benchmark reported an error. */
int qtp_gb_main(int argc, char **argv);

/* ---- compiler barriers (benchmark::DoNotOptimize / ClobberMemory for C) ---- */

/* The compiler must assume *p is read and written here: keeps a result alive. */
static inline void qtp_gb_do_not_optimize(void *p)
{
    __asm__ __volatile__("" : : "r"(p) : "memory");
}
static inline void qtp_gb_use_u64(uint64_t v)
{
    __asm__ __volatile__("" : : "r"(v) : "memory");
}
static inline void qtp_gb_clobber_memory(void)
{
    __asm__ __volatile__("" : : : "memory");
}

#ifdef __cplusplus
}
#endif

#endif
