/* counters.c - per-thread perf_event_open counters (counters.h). */
#include "counters.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "qtp_limits.h"
#include "qtp_text.h"

const struct qtp_counters_mode_row qtp_counters_modes[] = {
    {"none", "no counters", QTP_COUNTERS_NONE},
    {"sw", "software events: context switches, CPU migrations, page faults", QTP_COUNTERS_SW},
    {"all", "hardware events (cycles, instructions, cache, branches) and the software ones",
     QTP_COUNTERS_ALL},
    {NULL, NULL, QTP_COUNTERS_NONE},
};

#define HW_CACHE(cache, op, result)                                                                \
    ((uint64_t)(cache) | (uint64_t)(op) << 8 | (uint64_t)(result) << 16)

const struct qtp_counter_event qtp_counter_events[QTP_CTR_COUNT] = {
    [QTP_CTR_CYCLES] = {"cycles", "CPU cycles", true, false, PERF_TYPE_HARDWARE,
                        PERF_COUNT_HW_CPU_CYCLES},
    [QTP_CTR_INSTRUCTIONS] = {"instructions", "instructions retired", true, false,
                              PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    [QTP_CTR_CACHE_REFERENCES] = {"cache_references", "cache references", true, false,
                                  PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
    [QTP_CTR_CACHE_MISSES] = {"cache_misses", "cache misses", true, false, PERF_TYPE_HARDWARE,
                              PERF_COUNT_HW_CACHE_MISSES},
    [QTP_CTR_LLC_MISSES] = {"llc_misses", "last-level cache read misses", true, false,
                            PERF_TYPE_HW_CACHE,
                            HW_CACHE(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_OP_READ,
                                     PERF_COUNT_HW_CACHE_RESULT_MISS)},
    [QTP_CTR_BRANCH_MISSES] = {"branch_misses", "branch mispredictions", true, false,
                               PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
    [QTP_CTR_CONTEXT_SWITCHES] = {"context_switches", "context switches", false, true,
                                  PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    [QTP_CTR_CPU_MIGRATIONS] = {"cpu_migrations", "CPU migrations", false, true, PERF_TYPE_SOFTWARE,
                                PERF_COUNT_SW_CPU_MIGRATIONS},
    [QTP_CTR_PAGE_FAULTS] = {"page_faults", "page faults", false, false, PERF_TYPE_SOFTWARE,
                             PERF_COUNT_SW_PAGE_FAULTS},
};

enum { SLOT_EMPTY, SLOT_OPENING, SLOT_OPEN };

struct slot {
    _Atomic int state;
    _Atomic bool windowed; /* open when the window opened: its counts cover the window */
    /* Written by the slot's thread before state = SLOT_OPEN (R1), read after A1/A2. */
    int fd[QTP_CTR_COUNT]; /* -1: not counted, reason says why */
    bool user_only[QTP_CTR_COUNT];
    char reason[QTP_CTR_COUNT][QTP_CTR_REASON_MAX];
};

struct qtp_counters {
    enum qtp_counters_mode mode;
    unsigned nslots;
    _Atomic bool enabled_once;
    struct slot *slots;
};

static int perf_paranoid(void)
{
    int v = -100;
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -100;
        fclose(f);
    }
    return v;
}

/* What an errno from perf_event_open means, one row per errno. */
static const struct {
    int err;
    const char *name, *hardware, *software;
} open_errors[] = {
    {ENOENT, "ENOENT", "no such event here (no PMU: usual in VMs)", "not supported by this kernel"},
    {EOPNOTSUPP, "EOPNOTSUPP", "the PMU cannot count it (no sampling interrupt or not supported)",
     "not supported by this kernel"},
    {ENODEV, "ENODEV", "no PMU for this CPU", "not supported by this kernel"},
    {ENOSYS, "ENOSYS", "kernel without perf events", "kernel without perf events"},
    {EINVAL, "EINVAL", "this kernel rejects the event", "this kernel rejects the event"},
    {EMFILE, "EMFILE", "out of file descriptors", "out of file descriptors"},
};

static void open_reason(char *buf, size_t len, const struct qtp_counter_event *ev, int err,
                        bool tried_user)
{
    if (err == EACCES || err == EPERM) {
        int p = perf_paranoid();
        if (ev->kernel_only)
            qtp_fmt(buf, len,
                    "%s: counted in the kernel, which perf_event_paranoid=%d allows only with "
                    "CAP_PERFMON (or paranoid <= 1)",
                    err == EACCES ? "EACCES" : "EPERM", p);
        else
            qtp_fmt(buf, len, "%s%s: perf_event_paranoid=%d or a seccomp filter forbids it",
                    err == EACCES ? "EACCES" : "EPERM", tried_user ? " (user mode too)" : "", p);
        return;
    }
    for (size_t i = 0; i < sizeof open_errors / sizeof open_errors[0]; i++)
        if (open_errors[i].err == err) {
            qtp_fmt(buf, len, "%s: %s", open_errors[i].name,
                    ev->hardware ? open_errors[i].hardware : open_errors[i].software);
            return;
        }
    qtp_fmt(buf, len, "perf_event_open: %s", strerror(err));
}

/* Open ev for the calling thread, disabled: user and kernel side, else (when the kernel side
 * is refused and the event happens in user mode too) user mode only. fd, or -1 with reason. */
static int open_event(const struct qtp_counter_event *ev, bool *user_only, char *reason, size_t len)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = ev->type;
    a.config = ev->config;
    a.disabled = 1;
    a.exclude_hv = 1;
    a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    *user_only = false;
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    int err = fd < 0 ? errno : 0;
    bool tried_user = false;
    if (fd < 0 && (err == EACCES || err == EPERM) && !ev->kernel_only) {
        a.exclude_kernel = 1;
        tried_user = true;
        fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        err = fd < 0 ? errno : 0;
        *user_only = fd >= 0;
    }
    if (fd < 0)
        open_reason(reason, len, ev, err, tried_user);
    return (int)fd;
}

static bool counted_in(enum qtp_counters_mode mode, const struct qtp_counter_event *ev)
{
    return mode == QTP_COUNTERS_ALL || (mode == QTP_COUNTERS_SW && !ev->hardware);
}

static const char *mode_name(enum qtp_counters_mode mode)
{
    for (const struct qtp_counters_mode_row *r = qtp_counters_modes; r->name; r++)
        if (r->mode == mode)
            return r->name;
    return "?";
}

int qtp_counters_create(struct qtp_counters **out, unsigned nslots, enum qtp_counters_mode mode)
{
    *out = NULL;
    if (nslots == 0 || nslots > QTP_MAX_THREADS || (unsigned)mode > QTP_COUNTERS_ALL)
        return EINVAL;
    struct qtp_counters *c = calloc(1, sizeof *c);
    if (!c)
        return ENOMEM;
    c->slots = calloc(nslots, sizeof c->slots[0]);
    if (!c->slots) {
        free(c);
        return ENOMEM;
    }
    c->mode = mode;
    c->nslots = nslots;
    for (unsigned s = 0; s < nslots; s++)
        for (int e = 0; e < QTP_CTR_COUNT; e++)
            c->slots[s].fd[e] = -1;
    *out = c;
    return 0;
}

int qtp_counters_open_self(struct qtp_counters *c, unsigned slot)
{
    if (slot >= c->nslots)
        return EINVAL;
    struct slot *s = &c->slots[slot];
    int expect = SLOT_EMPTY;
    if (!atomic_compare_exchange_strong_explicit(&s->state, &expect, SLOT_OPENING,
                                                 memory_order_relaxed, memory_order_relaxed))
        return EBUSY;
    for (int e = 0; e < QTP_CTR_COUNT; e++) {
        const struct qtp_counter_event *ev = &qtp_counter_events[e];
        if (!counted_in(c->mode, ev)) {
            qtp_fmt(s->reason[e], sizeof s->reason[e], "not counted (--counters %s)",
                    mode_name(c->mode));
            continue;
        }
        s->fd[e] = open_event(ev, &s->user_only[e], s->reason[e], sizeof s->reason[e]);
    }
    /* R1: the fds are ready; pairs with A1 in qtp_counters_enable and A2 in read/sum. */
    atomic_store_explicit(&s->state, SLOT_OPEN, memory_order_release);
    return 0;
}

/* Run request on every counter of every slot open now (marks them windowed when enabling). */
static int for_open_counters(struct qtp_counters *c, unsigned long request, bool enabling)
{
    int first_err = 0;
    for (unsigned i = 0; i < c->nslots; i++) {
        struct slot *s = &c->slots[i];
        /* A1: pairs with R1 in qtp_counters_open_self. */
        if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_OPEN)
            continue;
        if (!enabling && !atomic_load_explicit(&s->windowed, memory_order_relaxed))
            continue;
        for (int e = 0; e < QTP_CTR_COUNT; e++) {
            if (s->fd[e] < 0)
                continue;
            if (ioctl(s->fd[e], request, 0) != 0) {
                int err = errno;
                if (!first_err)
                    first_err = err;
                qtp_fmt(s->reason[e], sizeof s->reason[e], "ioctl %s: %s",
                        enabling ? "enable" : "disable", strerror(err));
                close(s->fd[e]);
                s->fd[e] = -1;
            }
        }
        if (enabling)
            atomic_store_explicit(&s->windowed, true, memory_order_relaxed);
    }
    return first_err;
}

int qtp_counters_enable(struct qtp_counters *c)
{
    /* One window per counters object: the kernel's enabled/running times, which scale a
     * multiplexed count, cannot be reset. */
    if (atomic_exchange_explicit(&c->enabled_once, true, memory_order_relaxed))
        return EALREADY;
    return for_open_counters(c, PERF_EVENT_IOC_ENABLE, true);
}

int qtp_counters_disable(struct qtp_counters *c)
{
    return for_open_counters(c, PERF_EVENT_IOC_DISABLE, false);
}

static void unavailable(struct qtp_counter_value *v, const char *reason)
{
    memset(v, 0, sizeof *v);
    qtp_fmt(v->reason, sizeof v->reason, "%s", reason);
}

int qtp_counters_read(struct qtp_counters *c, unsigned slot, struct qtp_counter_value *out)
{
    if (slot >= c->nslots)
        return EINVAL;
    struct slot *s = &c->slots[slot];
    /* A2: pairs with R1 in qtp_counters_open_self. */
    int st = atomic_load_explicit(&s->state, memory_order_acquire);
    bool windowed = atomic_load_explicit(&s->windowed, memory_order_relaxed);
    for (int e = 0; e < QTP_CTR_COUNT; e++) {
        struct qtp_counter_value *v = &out[e];
        if (st != SLOT_OPEN) {
            unavailable(v, "this thread opened no counters");
            continue;
        }
        if (s->fd[e] < 0) {
            unavailable(v, s->reason[e]);
            continue;
        }
        if (!windowed) {
            unavailable(v, atomic_load_explicit(&c->enabled_once, memory_order_relaxed)
                               ? "opened after the window opened"
                               : "the window was never opened (not enabled)");
            continue;
        }
        uint64_t r[3]; /* value, time enabled, time running */
        if (read(s->fd[e], r, sizeof r) != (ssize_t)sizeof r) {
            char why[QTP_CTR_REASON_MAX];
            qtp_fmt(why, sizeof why, "read: %s", strerror(errno));
            unavailable(v, why);
            continue;
        }
        memset(v, 0, sizeof *v);
        v->available = true;
        v->user_only = s->user_only[e];
        v->value = r[0];
        v->running = 1.0;
        if (r[1] > 0 && r[2] < r[1]) {
            if (r[2] == 0) {
                unavailable(v, "never on the PMU during the window (more events than counters)");
                continue;
            }
            v->running = (double)r[2] / (double)r[1];
            v->value = (uint64_t)((double)r[0] / v->running + 0.5);
        }
    }
    return 0;
}

void qtp_counters_sum(struct qtp_counters *c, struct qtp_counter_value *out)
{
    struct qtp_counter_value v[QTP_CTR_COUNT];
    bool any = false;
    for (int e = 0; e < QTP_CTR_COUNT; e++) {
        memset(&out[e], 0, sizeof out[e]);
        out[e].available = true;
        out[e].running = 1.0;
    }
    for (unsigned i = 0; i < c->nslots; i++) {
        if (atomic_load_explicit(&c->slots[i].state, memory_order_acquire) != SLOT_OPEN)
            continue;
        any = true;
        qtp_counters_read(c, i, v);
        for (int e = 0; e < QTP_CTR_COUNT; e++) {
            struct qtp_counter_value *o = &out[e];
            if (!o->available)
                continue;
            if (!v[e].available) {
                char why[QTP_CTR_REASON_MAX];
                qtp_fmt(why, sizeof why, "thread %u: %s", i, v[e].reason);
                unavailable(o, why);
                continue;
            }
            o->value += v[e].value;
            o->user_only |= v[e].user_only;
            if (v[e].running < o->running)
                o->running = v[e].running;
        }
    }
    if (!any)
        for (int e = 0; e < QTP_CTR_COUNT; e++)
            unavailable(&out[e], "no thread opened counters");
}

void qtp_counters_destroy(struct qtp_counters *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->nslots; i++)
        for (int e = 0; e < QTP_CTR_COUNT; e++)
            if (c->slots[i].fd[e] >= 0)
                close(c->slots[i].fd[e]);
    free(c->slots);
    free(c);
}

void qtp_counters_probe(enum qtp_counters_mode mode, struct qtp_counter_value *out)
{
    for (int e = 0; e < QTP_CTR_COUNT; e++) {
        const struct qtp_counter_event *ev = &qtp_counter_events[e];
        struct qtp_counter_value *v = &out[e];
        memset(v, 0, sizeof *v);
        if (!counted_in(mode, ev)) {
            qtp_fmt(v->reason, sizeof v->reason, "not counted (--counters %s)", mode_name(mode));
            continue;
        }
        int fd = open_event(ev, &v->user_only, v->reason, sizeof v->reason);
        if (fd >= 0) {
            v->available = true;
            v->running = 1.0;
            close(fd);
        }
    }
}

enum qtp_counters_mode qtp_counters_default_mode(void)
{
    struct qtp_counter_value v[QTP_CTR_COUNT];
    qtp_counters_probe(QTP_COUNTERS_ALL, v);
    bool hw = false, sw = false;
    for (int e = 0; e < QTP_CTR_COUNT; e++)
        if (v[e].available)
            *(qtp_counter_events[e].hardware ? &hw : &sw) = true;
    return hw ? QTP_COUNTERS_ALL : sw ? QTP_COUNTERS_SW : QTP_COUNTERS_NONE;
}

/* jansson's *_set_new / *_append_new take the value even when they fail (and fail on a NULL
 * container): fill each container, then hand it over; one flag collects failures. */
json_t *qtp_counters_to_json(struct qtp_counters *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = json_object_set_new(o, "mode", json_string(mode_name(c->mode)));
    struct qtp_counter_value sum[QTP_CTR_COUNT];
    qtp_counters_sum(c, sum);
    struct qtp_counter_value *per = calloc((size_t)c->nslots * QTP_CTR_COUNT, sizeof *per);
    if (!per) {
        json_decref(o);
        return NULL;
    }
    for (unsigned i = 0; i < c->nslots; i++)
        qtp_counters_read(c, i, per + (size_t)i * QTP_CTR_COUNT);
    json_t *events = json_object();
    for (int e = 0; e < QTP_CTR_COUNT; e++) {
        json_t *ev;
        if (!sum[e].available) {
            ev = json_pack("{s:s}", "unavailable", sum[e].reason);
        } else {
            json_t *threads = json_array();
            for (unsigned i = 0; i < c->nslots; i++) {
                const struct qtp_counter_value *v = &per[(size_t)i * QTP_CTR_COUNT + e];
                bad |= json_array_append_new(
                    threads, v->available ? json_integer((json_int_t)v->value) : json_null());
            }
            ev = json_pack("{s:I,s:o,s:b,s:f}", "sum", (json_int_t)sum[e].value, "per_thread",
                           threads, "user_only", sum[e].user_only, "running", sum[e].running);
        }
        bad |= json_object_set_new(events, qtp_counter_events[e].name, ev);
    }
    free(per);
    bad |= json_object_set_new(o, "events", events);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
