/* qtp_work.h - calibrated busy work: the --work NS a stage spends on every event.
 *
 * A loop of dependent multiply-adds whose iterations per nanosecond are measured once against
 * CLOCK_MONOTONIC, so that "work 200 ns" costs about 200 ns on any machine and the pipelining and
 * sharding speed-ups show. Calibrate before any thread does work: the calibration is a relaxed
 * global read by every worker.
 */
#ifndef QTP_WORK_H
#define QTP_WORK_H

#include <stdint.h>

/* Calibrate busy work against the clock (call once at start-up; idempotent, thread-safe). */
void qtp_work_calibrate(void);
/* Busy work of about ns nanoseconds (calibrated; uncalibrated: a rough default). */
void qtp_work_busy(uint64_t ns);

#endif
