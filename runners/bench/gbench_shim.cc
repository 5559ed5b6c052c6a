// gbench_shim.cc - the C API of gbench_shim.h over Google Benchmark's C++ API.
//
// Handles are the C++ objects themselves, cast: a qtp_gb_bench* is a
// benchmark::internal::Benchmark*, a qtp_gb_state* is a benchmark::State*. The C function and
// its context are captured by the lambda Google Benchmark registers.
#include "gbench_shim.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <new>
#include <string>
#include <vector>

namespace
{

benchmark::internal::Benchmark *B(qtp_gb_bench *b)
{
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}
qtp_gb_bench *C(benchmark::internal::Benchmark *b)
{
    return reinterpret_cast<qtp_gb_bench *>(b);
}
benchmark::State *S(qtp_gb_state *st)
{
    return reinterpret_cast<benchmark::State *>(st);
}
const benchmark::State *S(const qtp_gb_state *st)
{
    return reinterpret_cast<const benchmark::State *>(st);
}

// Set by qtp_gb_skip_with_error, read by qtp_gb_main for its exit status. Relaxed: benchmark
// threads are joined before RunSpecifiedBenchmarks returns.
std::atomic<bool> g_failed{false};

} // namespace

extern "C" {

qtp_gb_bench *qtp_gb_register(const char *name, qtp_gb_fn fn, void *ctx)
{
    try {
        return C(benchmark::RegisterBenchmark(name, [fn, ctx](benchmark::State &st) {
            fn(reinterpret_cast<qtp_gb_state *>(&st), ctx);
        }));
    } catch (const std::bad_alloc &) {
        return nullptr;
    }
}

qtp_gb_bench *qtp_gb_arg(qtp_gb_bench *b, int64_t x)
{
    return C(B(b)->Arg(x));
}

qtp_gb_bench *qtp_gb_args(qtp_gb_bench *b, const int64_t *xs, size_t n)
{
    return C(B(b)->Args(std::vector<int64_t>(xs, xs + n)));
}

qtp_gb_bench *qtp_gb_range_args(qtp_gb_bench *b, int64_t lo, int64_t hi)
{
    return C(B(b)->Range(lo, hi));
}

qtp_gb_bench *qtp_gb_dense_range(qtp_gb_bench *b, int64_t lo, int64_t hi, int step)
{
    return C(B(b)->DenseRange(lo, hi, step));
}

qtp_gb_bench *qtp_gb_arg_name(qtp_gb_bench *b, const char *name)
{
    return C(B(b)->ArgName(name));
}

qtp_gb_bench *qtp_gb_unit(qtp_gb_bench *b, enum qtp_gb_unit unit)
{
    static const benchmark::TimeUnit units[] = {benchmark::kNanosecond, benchmark::kMicrosecond,
                                                benchmark::kMillisecond, benchmark::kSecond};
    return C(B(b)->Unit(units[unit]));
}

qtp_gb_bench *qtp_gb_min_time(qtp_gb_bench *b, double seconds)
{
    return C(B(b)->MinTime(seconds));
}

qtp_gb_bench *qtp_gb_repetitions(qtp_gb_bench *b, int n)
{
    return C(B(b)->Repetitions(n));
}

qtp_gb_bench *qtp_gb_iterations_fixed(qtp_gb_bench *b, int64_t n)
{
    return C(B(b)->Iterations(n));
}

qtp_gb_bench *qtp_gb_use_real_time(qtp_gb_bench *b)
{
    return C(B(b)->UseRealTime());
}

qtp_gb_bench *qtp_gb_threads(qtp_gb_bench *b, int n)
{
    return C(B(b)->Threads(n));
}

bool qtp_gb_keep_running(qtp_gb_state *st)
{
    return S(st)->KeepRunning();
}

bool qtp_gb_keep_running_batch(qtp_gb_state *st, int64_t n)
{
    return S(st)->KeepRunningBatch(n);
}

int64_t qtp_gb_range(const qtp_gb_state *st, size_t i)
{
    return S(st)->range(i);
}

int64_t qtp_gb_iterations(const qtp_gb_state *st)
{
    return S(st)->iterations();
}

int64_t qtp_gb_max_iterations(const qtp_gb_state *st)
{
    return S(st)->max_iterations;
}

int qtp_gb_thread_index(const qtp_gb_state *st)
{
    return S(st)->thread_index();
}

int qtp_gb_threads_count(const qtp_gb_state *st)
{
    return S(st)->threads();
}

void qtp_gb_pause_timing(qtp_gb_state *st)
{
    S(st)->PauseTiming();
}

void qtp_gb_resume_timing(qtp_gb_state *st)
{
    S(st)->ResumeTiming();
}

void qtp_gb_set_items_processed(qtp_gb_state *st, int64_t items)
{
    S(st)->SetItemsProcessed(items);
}

void qtp_gb_set_bytes_processed(qtp_gb_state *st, int64_t bytes)
{
    S(st)->SetBytesProcessed(bytes);
}

void qtp_gb_set_counter(qtp_gb_state *st, const char *name, double value, int flags)
{
    S(st)->counters[name] =
        benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(flags));
}

void qtp_gb_set_label(qtp_gb_state *st, const char *label)
{
    S(st)->SetLabel(label);
}

void qtp_gb_skip_with_error(qtp_gb_state *st, const char *msg)
{
    g_failed.store(true, std::memory_order_relaxed);
    S(st)->SkipWithError(msg);
}

bool qtp_gb_error_occurred(const qtp_gb_state *st)
{
    return S(st)->error_occurred();
}

int qtp_gb_main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    size_t ran = benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (ran == 0)
        return 2;
    return g_failed.load(std::memory_order_relaxed) ? 1 : 0;
}

} // extern "C"
