/* clock.c - the cheap timestamp source (qtp_clock.h).
 *
 * rdtsc where the CPU says the TSC is invariant (constant rate, runs in deep C-states: CPUID
 * 0x80000007 EDX bit 8), calibrated once against CLOCK_MONOTONIC; CLOCK_MONOTONIC otherwise and on
 * every other architecture. Conversions are one 64x64->128 multiply and a shift by a fixed-point
 * factor computed at init, so the hot path has no division and no floating point.
 */
#include "qtp_clock.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#define QTP_HAVE_TSC 1
#else
#define QTP_HAVE_TSC 0
#endif

#define FIX_SHIFT QTP__CLK_FIX_SHIFT

enum { SRC_MONO = QTP__CLK_MONO, SRC_TSC = QTP__CLK_TSC };

/* Written under init_lock, read lock-free with relaxed loads: values only change in
 * qtp_clock_init, which callers must not race with a timed section (the header's contract). */
_Atomic int qtp__clk_source = QTP__CLK_MONO;
_Atomic uint64_t qtp__clk_t2n = 1ULL << FIX_SHIFT; /* ns = ticks * t2n >> 32 */
#define clk_source qtp__clk_source
#define clk_t2n qtp__clk_t2n
static _Atomic uint64_t clk_n2t = 1ULL << FIX_SHIFT; /* ticks = ns * n2t >> 32 */
static _Atomic double clk_ghz = 0.0;
static _Atomic int clk_ready = -1; /* -1: never initialised; else the force_monotonic it used */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t qtp_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t mul_shift(uint64_t v, uint64_t mult)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    return (uint64_t)(((u128)v * mult) >> FIX_SHIFT);
#else
    /* 32-bit targets only: not the hot path that matters. */
    return (uint64_t)((long double)v * (long double)mult / 4294967296.0L);
#endif
}

#if QTP_HAVE_TSC
static int tsc_invariant(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return 0;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    return (d >> 8) & 1;
}

/* One (monotonic ns, tsc) pair read as close together as we can: the tightest of a few
 * bracketed reads, so a preemption between the two reads does not skew the calibration. */
static void paired_read(uint64_t *ns, uint64_t *tsc)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 7; i++) {
        uint64_t a = qtp_clock_mono_ns();
        uint64_t t = __rdtsc();
        uint64_t b = qtp_clock_mono_ns();
        if (b - a < best) {
            best = b - a;
            *ns = a + (b - a) / 2;
            *tsc = t;
        }
    }
}

/* Ticks per ns over a ~25 ms window, or 0 if the result is not believable. */
static double calibrate_tsc(void)
{
    uint64_t n0 = 0, t0 = 0, n1 = 0, t1 = 0;
    paired_read(&n0, &t0);
    struct timespec req = {0, 25 * 1000 * 1000};
    while (nanosleep(&req, &req) != 0 && errno == EINTR) {
    }
    paired_read(&n1, &t1);
    if (n1 <= n0 || t1 <= t0)
        return 0;
    double ghz = (double)(t1 - t0) / (double)(n1 - n0);
    /* Anything outside 50 MHz .. 20 GHz is a broken TSC (or a VM lying about it). */
    return (ghz > 0.05 && ghz < 20.0) ? ghz : 0;
}
#endif

void qtp_clock_init(int force_monotonic)
{
    force_monotonic = force_monotonic != 0;
    /* A1: see the calibration of an earlier call; pairs with R1 below. */
    if (atomic_load_explicit(&clk_ready, memory_order_acquire) == force_monotonic)
        return;
    pthread_mutex_lock(&init_lock);
    if (atomic_load_explicit(&clk_ready, memory_order_relaxed) != force_monotonic) {
        int src = SRC_MONO;
        double ghz = 0;
#if QTP_HAVE_TSC
        if (!force_monotonic && tsc_invariant()) {
            ghz = calibrate_tsc();
            if (ghz > 0)
                src = SRC_TSC;
        }
#endif
        uint64_t t2n = 1ULL << FIX_SHIFT, n2t = 1ULL << FIX_SHIFT;
        if (src == SRC_TSC) {
            t2n = (uint64_t)llround(ldexp(1.0 / ghz, FIX_SHIFT));
            n2t = (uint64_t)llround(ldexp(ghz, FIX_SHIFT));
        } else {
            ghz = 0;
        }
        atomic_store_explicit(&clk_t2n, t2n, memory_order_relaxed);
        atomic_store_explicit(&clk_n2t, n2t, memory_order_relaxed);
        atomic_store_explicit(&clk_ghz, ghz, memory_order_relaxed);
        atomic_store_explicit(&clk_source, src, memory_order_relaxed);
        /* R1: publish the calibration; pairs with A1 at the top of this function. */
        atomic_store_explicit(&clk_ready, force_monotonic, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
}

const char *qtp_clock_source(void)
{
    return atomic_load_explicit(&clk_source, memory_order_relaxed) == SRC_TSC ? "tsc"
                                                                              : "clock_monotonic";
}

double qtp_clock_tsc_ghz(void)
{
    return atomic_load_explicit(&clk_ghz, memory_order_relaxed);
}

uint64_t qtp_clock_ns_to_ticks(uint64_t ns)
{
    return mul_shift(ns, atomic_load_explicit(&clk_n2t, memory_order_relaxed));
}
