/* cpu_sampler.h - where threads actually ran, sampled from /proc while they run.
 *
 * A sampler thread reads field 39 ("processor", the CPU it last ran on) of
 * /proc/self/task/<tid>/stat for every registered thread every period, so the measured threads
 * run no extra code. Registering also notes sched_getcpu() once, so even a run shorter than a
 * period has one sample. A thread that exited is simply no longer sampled. Costs one small file
 * read per thread per period on some CPU (the sampler does not bind itself: it
 * runs where the affinity and policy of the thread that starts it say).
 *
 * Concurrency: register_self may be called from any threads while it runs; create, start, stop,
 * result and destroy from one thread.
 */
#ifndef QTP_CPU_SAMPLER_H
#define QTP_CPU_SAMPLER_H

#include <stddef.h>

#include "machine.h"

struct qtp_cpu_sampler;

#define QTP_SAMPLER_DEFAULT_PERIOD_US 10000

/* A sampler for up to nslots threads (slot = deployment thread index), not yet running.
 * 0, EINVAL (nslots 0 or > QTP_MAX_THREADS), ENOMEM. */
int qtp_cpu_sampler_create(struct qtp_cpu_sampler **out, const struct qtp_machine *m,
                           unsigned nslots, unsigned period_us);
/* From the thread to watch (e.g. in qtp_deploy's on_thread_start). 0 or EINVAL (bad slot). */
int qtp_cpu_sampler_register_self(struct qtp_cpu_sampler *s, unsigned slot);
/* Start / stop the sampling thread (stop takes a last sample, then joins). 0 or an errno. */
int qtp_cpu_sampler_start(struct qtp_cpu_sampler *s);
void qtp_cpu_sampler_stop(struct qtp_cpu_sampler *s);
/* Distinct CPUs seen for slot (ascending, up to max), *node = NUMA node of the CPU seen most
 * often (-1 unknown). Returns how many CPUs were seen in all (may exceed max). After stop. */
size_t qtp_cpu_sampler_result(const struct qtp_cpu_sampler *s, unsigned slot, int *cpus, size_t max,
                              int *node);
/* Samples taken (ticks of the sampling thread), for tests. */
unsigned long qtp_cpu_sampler_ticks(const struct qtp_cpu_sampler *s);
void qtp_cpu_sampler_destroy(struct qtp_cpu_sampler *s);

#endif
