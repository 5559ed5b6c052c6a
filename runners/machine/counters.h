/* counters.h - per-thread kernel event counters (perf_event_open) over a measured window.
 *
 * Each deployment thread opens its own counters (qtp_counters_open_self, e.g. from the
 * deployment's on_thread_start), disabled. Any thread enables them all at the window's start and
 * disables them at its end (ioctl works on another thread's counters); after the join they are
 * read (a counter outlives its thread and keeps its final count). Values are per thread and
 * summed.
 *
 * An event that cannot be counted is unavailable with the reason, never a zero: on a machine
 * without a PMU (most VMs) perf_event_open answers ENOENT for the hardware events; with
 * perf_event_paranoid >= 2 and no CAP_PERFMON the kernel side cannot be counted, so hardware
 * events and page faults fall back to user mode only (marked user_only) and context switches and
 * CPU migrations, which happen in the kernel, are unavailable. A counter the PMU could not keep
 * on for the whole window (multiplexed) is scaled by enabled/running time; `running` says how
 * much of the window it really counted.
 *
 * Concurrency:
 *   open_self           each slot from its own thread, concurrently with each other and with
 *                       enable/disable (a slot not open when enable runs is not counted, and
 *                       read says so)
 *   enable, disable     any thread, one at a time
 *   read, sum, to_json  after the threads were joined and disable returned
 *   create, destroy     one thread
 */
#ifndef QTP_COUNTERS_H
#define QTP_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/* What to count: the --counters registry ({NULL}-terminated). */
enum qtp_counters_mode {
    QTP_COUNTERS_NONE, /* nothing */
    QTP_COUNTERS_SW,   /* the software events only */
    QTP_COUNTERS_ALL,  /* hardware and software events */
};
struct qtp_counters_mode_row {
    const char *name; /* "none", "sw", "all" */
    const char *summary;
    enum qtp_counters_mode mode;
};
extern const struct qtp_counters_mode_row qtp_counters_modes[];

/* The events, in the order of qtp_counter_events[]. */
enum qtp_counter_id {
    QTP_CTR_CYCLES,
    QTP_CTR_INSTRUCTIONS,
    QTP_CTR_CACHE_REFERENCES,
    QTP_CTR_CACHE_MISSES,
    QTP_CTR_LLC_MISSES, /* last-level cache read misses */
    QTP_CTR_BRANCH_MISSES,
    QTP_CTR_CONTEXT_SWITCHES,
    QTP_CTR_CPU_MIGRATIONS,
    QTP_CTR_PAGE_FAULTS,
    QTP_CTR_COUNT
};
struct qtp_counter_event {
    const char *name; /* JSON key: "cycles", "llc_misses", "context_switches", ... */
    const char *summary;
    bool hardware;    /* counted by the PMU (mode all) */
    bool kernel_only; /* happens in the kernel: not countable in user mode only */
    uint32_t type;    /* perf_event_attr.type */
    uint64_t config;  /* perf_event_attr.config */
};
extern const struct qtp_counter_event qtp_counter_events[QTP_CTR_COUNT];

#define QTP_CTR_REASON_MAX 160

struct qtp_counter_value {
    bool available;
    bool user_only; /* counted in user mode only (the kernel side was not allowed) */
    uint64_t value; /* over the window, scaled when multiplexed; 0 when unavailable */
    double running; /* fraction of the window it was on the PMU (1: the whole window) */
    char reason[QTP_CTR_REASON_MAX]; /* unavailable: why (errno and what it means here) */
};

struct qtp_counters;

/* Counters for up to nslots threads (slot = deployment thread index), none open yet.
 * 0, EINVAL (nslots 0 or above QTP_MAX_THREADS, or a bad mode), ENOMEM. */
int qtp_counters_create(struct qtp_counters **out, unsigned nslots, enum qtp_counters_mode mode);
/* From the thread to count: open the mode's events for the calling thread, disabled. 0 even
 * when events are unavailable (they are marked); EINVAL (bad slot), EBUSY (slot already open). */
int qtp_counters_open_self(struct qtp_counters *c, unsigned slot);
/* Reset and enable every open slot's events / disable them. 0, or the first ioctl errno (the
 * events of that slot are then marked unavailable with it). */
int qtp_counters_enable(struct qtp_counters *c);
int qtp_counters_disable(struct qtp_counters *c);
/* The values of one slot over the window (out[QTP_CTR_COUNT]). 0 or EINVAL (bad slot). */
int qtp_counters_read(struct qtp_counters *c, unsigned slot, struct qtp_counter_value *out);
/* Summed over the slots that were open: available only where every such slot has it (else the
 * first slot's reason); user_only if any slot is; running is the lowest. out[QTP_CTR_COUNT]. */
void qtp_counters_sum(struct qtp_counters *c, struct qtp_counter_value *out);
void qtp_counters_destroy(struct qtp_counters *c);

/* Which events this machine can count for the calling thread in mode (opens and closes each
 * once): out[QTP_CTR_COUNT], available / user_only / reason (no value: value is 0 and means
 * nothing). For meta.json and for choosing the default mode. */
void qtp_counters_probe(enum qtp_counters_mode mode, struct qtp_counter_value *out);
/* The default mode: all when a hardware event can be counted here, else sw when a software one
 * can, else none. */
enum qtp_counters_mode qtp_counters_default_mode(void);

/* {"mode": "sw", "events": {"<name>": {"sum": N, "per_thread": [N|null, ...], "user_only",
 * "running"} or {"unavailable": "<why>"}}} (a new reference; NULL on ENOMEM). After read is
 * allowed (see the table above). */
json_t *qtp_counters_to_json(struct qtp_counters *c);

#endif
