/* hiccup.h - the platform's own hiccups: a jHiccup-style baseline for latency charts.
 *
 * One thread per given PU, bound there, paces itself on a fixed schedule (sample k is due at
 * start + k * period) and records its own lateness (when it got to look at the clock after the
 * due time, minus the due time) into a qtp_hist. No queue, no other thread: what is left is the
 * machine (interrupts, the hypervisor, other work, frequency changes). The schedule never
 * slips: after a stall the thread records every sample it missed, each as late as it really was
 * (as the paced producers do), so a 1 ms stall at 1 us weighs as 1000 late samples, not one;
 * every run records exactly duration / period samples per thread unless stopped.
 *
 * How a thread waits for the next due time:
 *   NULL wait    spin on the clock with a pause instruction (the busy-spin baseline)
 *   a strategy   that polls (spin, yield): through its wait_until, so yield gives its PU away
 *                between checks as a yielding consumer does
 *   a strategy   that needs a signal (block): nothing signals the meter, so it sleeps to the due
 *                time (clock_nanosleep): the wake-up latency a sleeping thread sees
 * Values are ns; a lateness of 0 (the clock read exactly at the due tick) is recorded as 1 ns,
 * the histogram's lowest value.
 *
 * Concurrency: create, run (once), the accessors and destroy from one thread; stop from any
 * thread at any time (run then returns promptly, with stopped set).
 */
#ifndef QTP_HICCUP_H
#define QTP_HICCUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "qtp_limits.h"
#include "qtp_wait.h"

struct qtp_hist;
struct qtp_hiccup;

#define QTP_HICCUP_DEFAULT_PERIOD_NS 1000ULL

struct qtp_hiccup_config {
    const struct qtp_machine *m;     /* for binding (placement.h); needed when a PU is given */
    const int *pus;                  /* one pacing thread per entry: OS PU number, or -1 unbound */
    size_t npus;                     /* 1..QTP_MAX_THREADS */
    uint64_t period_ns;              /* between due times; 0: QTP_HICCUP_DEFAULT_PERIOD_NS */
    uint64_t duration_ns;            /* per thread; at least one period */
    const struct qtp_wait_ops *wait; /* how to wait (above); NULL: spin */
};

struct qtp_hiccup_result {
    uint64_t samples;  /* recorded, all threads */
    uint64_t expected; /* npus * (duration / period) */
    bool stopped;      /* qtp_hiccup_stop ended it early */
    uint64_t elapsed_ns;
    const char *how;                 /* "spin", "spin (wait strategy)", "yield", "sleep" */
    const struct qtp_hist *lateness; /* all threads merged, ns (owned by the meter) */
    char reason[QTP_REASON_MAX];     /* why run failed */
};

/* 0, or EINVAL with one line in err (npus, duration, a PU the machine lacks, a PU without a
 * machine), or ENOMEM. Calls qtp_clock_init(0) (idempotent). */
int qtp_hiccup_create(struct qtp_hiccup **out, const struct qtp_hiccup_config *cfg, char *err,
                      size_t errlen);
/* Start the threads, pace for the duration (or until stopped), join, merge. 0 with *res filled;
 * EALREADY (run twice); or the errno of a thread that could not be created or bound (ENOTSUP
 * for a synthetic machine), res->reason saying which. */
int qtp_hiccup_run(struct qtp_hiccup *h, struct qtp_hiccup_result *res);
/* Any thread, any time, also before run: every pacing thread stops within about a period (a
 * sleeping one within 10 ms). */
void qtp_hiccup_stop(struct qtp_hiccup *h);
/* Thread i's own lateness histogram and sample count, after run. */
const struct qtp_hist *qtp_hiccup_thread_hist(const struct qtp_hiccup *h, size_t i);
uint64_t qtp_hiccup_thread_samples(const struct qtp_hiccup *h, size_t i);
void qtp_hiccup_destroy(struct qtp_hiccup *h);

#endif
