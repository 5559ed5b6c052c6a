/* qtp_clock.h - the cheap timestamp source for latency.
 *
 * TSC (rdtsc) where the CPU says it is invariant, calibrated against CLOCK_MONOTONIC at start-up;
 * otherwise CLOCK_MONOTONIC itself. The choice is recorded in meta.json.
 */
#ifndef QTP_CLOCK_H
#define QTP_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

/* Pick and calibrate the source (idempotent, thread-safe after the first call returns).
 * force_monotonic: skip the TSC (tests, or --clock monotonic). */
void qtp_clock_init(int force_monotonic);
/* "tsc" or "clock_monotonic". */
const char *qtp_clock_source(void);
/* TSC ticks per nanosecond as calibrated (0 for the monotonic clock). */
double qtp_clock_tsc_ghz(void);
/* CLOCK_MONOTONIC in ns (for elapsed times and pacing). */
uint64_t qtp_clock_mono_ns(void);

/* Internal (qtp__*): the calibration the inline readers below use, written only by
 * qtp_clock_init. Inline because a call per event is a measurable part of the cost of recording. */
enum { QTP__CLK_MONO = 0, QTP__CLK_TSC = 1, QTP__CLK_FIX_SHIFT = 32 };
extern _Atomic int qtp__clk_source;
extern _Atomic uint64_t qtp__clk_t2n; /* ns = ticks * t2n >> 32 */

/* Raw ticks: cheap; only differences, converted by qtp_clock_ticks_to_ns, mean anything. */
static inline uint64_t qtp_clock_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    /* Plain rdtsc, not rdtscp or a fence: a few tens of cycles of reordering are noise next to
     * a queue hop, and a serialising read would cost more than the hop being measured. */
    if (atomic_load_explicit(&qtp__clk_source, memory_order_relaxed) == QTP__CLK_TSC)
        return __rdtsc();
#endif
    return qtp_clock_mono_ns();
}

static inline uint64_t qtp_clock_ticks_to_ns(uint64_t ticks)
{
    uint64_t m = atomic_load_explicit(&qtp__clk_t2n, memory_order_relaxed);
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 qtp__u128;
    return (uint64_t)(((qtp__u128)ticks * m) >> QTP__CLK_FIX_SHIFT);
#else
    return (uint64_t)((long double)ticks * (long double)m / 4294967296.0L);
#endif
}
uint64_t qtp_clock_ns_to_ticks(uint64_t ns);

#endif
