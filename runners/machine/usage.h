/* usage.h - CPU time, context switches and peak RSS of the process, as snapshots.
 *
 * getrusage(RUSAGE_SELF) covers every thread of the process (including exited ones), so the
 * difference of two snapshots taken around a measured window is the cell's CPU time and context
 * switches (plus whatever else the process did meanwhile: the runner's own threads are idle).
 *
 * Peak RSS: without a reset, VmHWM and ru_maxrss are peaks over the whole process lifetime,
 * useless per cell after the first big one. On Linux, writing "5" to /proc/self/clear_refs
 * resets the mm's high-water mark (VmHWM in /proc/self/status) to the current RSS, so
 * qtp_usage_peak_reset() before a cell and VmHWM after it give the cell's own peak
 * ("vmhwm-reset"). ru_maxrss is not used for that: the kernel reports max(that same mark, the
 * marks recorded when threads exited), so after a reset it is neither per cell nor lifetime.
 * If the reset fails (old kernel, no procfs, seccomp), the peak is VmHWM ("vmhwm", lifetime) or
 * ru_maxrss ("ru_maxrss") and the source says which.
 */
#ifndef QTP_USAGE_H
#define QTP_USAGE_H

#include <stdbool.h>
#include <stdint.h>

struct qtp_usage {
    double user_s, sys_s;
    uint64_t voluntary_cs, involuntary_cs;
    uint64_t maxrss_kb; /* ru_maxrss (see above) */
    uint64_t hwm_kb;    /* VmHWM: peak since start or since the last reset; 0 unreadable */
    uint64_t rss_kb;    /* VmRSS now; 0 unreadable */
};

/* 0 or the errno of getrusage (the /proc fields are 0 when unreadable). */
int qtp_usage_snapshot(struct qtp_usage *u);
/* CPU time and context switches between two snapshots (the other fields of out: 0). */
void qtp_usage_cpu_diff(const struct qtp_usage *before, const struct qtp_usage *after,
                        struct qtp_usage *out);

/* Reset VmHWM (write "5" to /proc/self/clear_refs). 0, or the errno of opening/writing. */
int qtp_usage_peak_reset(void);
/* The peak to record from a snapshot taken after the cell, and what it means: "vmhwm-reset"
 * (the cell's own peak: pass was_reset = the reset returned 0), "vmhwm" or "ru_maxrss" (process
 * lifetime). */
uint64_t qtp_usage_peak_kb(const struct qtp_usage *after, bool was_reset, const char **source);

#endif
