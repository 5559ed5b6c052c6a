/* qtp_clock.h - the cheap timestamp source for latency.
 *
 * TSC (rdtsc) where the CPU says it is invariant, calibrated against CLOCK_MONOTONIC at start-up;
 * otherwise CLOCK_MONOTONIC itself. The choice is recorded in meta.json.
 */
#ifndef QTP_CLOCK_H
#define QTP_CLOCK_H

#include <stdint.h>

/* Pick and calibrate the source (idempotent, thread-safe after the first call returns).
 * force_monotonic: skip the TSC (tests, or --clock monotonic). */
void qtp_clock_init(int force_monotonic);
/* "tsc" or "clock_monotonic". */
const char *qtp_clock_source(void);
/* TSC ticks per nanosecond as calibrated (0 for the monotonic clock). */
double qtp_clock_tsc_ghz(void);
/* Raw ticks: cheap; only differences, converted by qtp_clock_ticks_to_ns, mean anything. */
uint64_t qtp_clock_ticks(void);
uint64_t qtp_clock_ticks_to_ns(uint64_t ticks);
uint64_t qtp_clock_ns_to_ticks(uint64_t ns);
/* CLOCK_MONOTONIC in ns (for elapsed times and pacing). */
uint64_t qtp_clock_mono_ns(void);

#endif
