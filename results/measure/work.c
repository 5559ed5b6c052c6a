/* work.c - calibrated busy work (qtp_work.h). */
#include "qtp_work.h"

#include <pthread.h>
#include <stdatomic.h>

#include "qtp_clock.h"

/* Iterations of work_loop per 1024 ns; 0 until calibrated. Relaxed: a stale read only gives the
 * default, and calibration happens before any deployment thread starts. */
static _Atomic uint64_t iters_per_1024ns;
static pthread_once_t calibrate_once = PTHREAD_ONCE_INIT;

static uint64_t work_loop(uint64_t iters, uint64_t x)
{
    for (uint64_t i = 0; i < iters; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        __asm__ __volatile__("" : "+r"(x));
    }
    return x;
}

/* Keep the result alive without a shared sink (work runs on many threads at once). */
static inline void work_keep(uint64_t x)
{
    __asm__ __volatile__("" : : "r"(x));
}

static void calibrate(void)
{
    qtp_clock_init(0);
    uint64_t best = 0; /* iterations per 1024 ns: the fastest of a few runs */
    uint64_t iters = 1 << 16;
    uint64_t start = qtp_clock_mono_ns();
    for (int run = 0; run < 40 && qtp_clock_mono_ns() - start < 20000000ULL; run++) {
        uint64_t t0 = qtp_clock_mono_ns();
        work_keep(work_loop(iters, t0));
        uint64_t dt = qtp_clock_mono_ns() - t0;
        if (dt < 200000) { /* too short to time: grow */
            iters *= 2;
            continue;
        }
        uint64_t r = iters * 1024 / dt;
        if (r > best)
            best = r;
    }
    atomic_store_explicit(&iters_per_1024ns, best ? best : 1024, memory_order_relaxed);
}

void qtp_work_calibrate(void)
{
    pthread_once(&calibrate_once, calibrate);
}

void qtp_work_busy(uint64_t ns)
{
    uint64_t r = atomic_load_explicit(&iters_per_1024ns, memory_order_relaxed);
    if (!r)
        r = 1024; /* uncalibrated: about one iteration per ns */
    work_keep(work_loop(ns * r / 1024, ns));
}
