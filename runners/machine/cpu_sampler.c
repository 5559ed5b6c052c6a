/* cpu_sampler.c - where threads actually ran (cpu_sampler.h). */
#include "cpu_sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "qtp_limits.h"

#define TRACK_MAX 64 /* distinct CPUs remembered per thread */

struct sampler_slot {
    _Atomic int tid; /* 0: not registered */
    bool gone;       /* its stat file vanished: the thread exited */
    unsigned ncpus;  /* distinct CPUs remembered */
    unsigned more;   /* distinct CPUs beyond TRACK_MAX */
    int cpu[TRACK_MAX];
    unsigned long hits[TRACK_MAX];
};

struct qtp_cpu_sampler {
    const struct qtp_machine *m;
    unsigned nslots;
    unsigned period_us;
    pthread_mutex_t lock; /* guards the slots' seen sets, stop, ticks */
    pthread_cond_t cond;  /* CLOCK_MONOTONIC: wakes the sampler early on stop */
    bool stop;
    bool running;
    unsigned long ticks;
    pthread_t thread;
    struct sampler_slot slots[];
};

int qtp_cpu_sampler_create(struct qtp_cpu_sampler **out, const struct qtp_machine *m,
                           unsigned nslots, unsigned period_us)
{
    *out = NULL;
    if (nslots == 0 || nslots > QTP_MAX_THREADS)
        return EINVAL;
    struct qtp_cpu_sampler *s = calloc(1, sizeof(*s) + nslots * sizeof(s->slots[0]));
    if (!s)
        return ENOMEM;
    s->m = m;
    s->nslots = nslots;
    s->period_us = period_us ? period_us : QTP_SAMPLER_DEFAULT_PERIOD_US;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rc) {
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return 0;
}

/* Caller holds s->lock. */
static void note_cpu(struct sampler_slot *sl, int cpu)
{
    if (cpu < 0)
        return;
    for (unsigned i = 0; i < sl->ncpus; i++)
        if (sl->cpu[i] == cpu) {
            sl->hits[i]++;
            return;
        }
    if (sl->ncpus < TRACK_MAX) {
        sl->cpu[sl->ncpus] = cpu;
        sl->hits[sl->ncpus++] = 1;
    } else {
        sl->more++; /* may count one CPU several times; only says "more than TRACK_MAX" */
    }
}

int qtp_cpu_sampler_register_self(struct qtp_cpu_sampler *s, unsigned slot)
{
    if (slot >= s->nslots)
        return EINVAL;
    int tid = (int)syscall(SYS_gettid);
    int cpu = sched_getcpu();
    pthread_mutex_lock(&s->lock);
    struct sampler_slot *sl = &s->slots[slot];
    atomic_store_explicit(&sl->tid, tid, memory_order_relaxed); /* read under the lock too */
    sl->gone = false;
    note_cpu(sl, cpu);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Field 39 (processor) of /proc/self/task/<tid>/stat, or -1 (thread gone: *gone = true). */
static int read_task_cpu(int tid, bool *gone)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *gone = errno == ENOENT || errno == ESRCH;
        return -1;
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        *gone = n < 0 && errno == ESRCH;
        return -1;
    }
    buf[n] = '\0';
    /* comm (field 2) may hold spaces and parentheses: count from the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++; /* now " S ..." : field 3 starts after this space */
    for (int field = 2; field < 39; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    char *end;
    long cpu = strtol(p, &end, 10);
    return end == p ? -1 : (int)cpu;
}

static void sample_all(struct qtp_cpu_sampler *s)
{
    int cpus[QTP_MAX_THREADS];
    bool gone[QTP_MAX_THREADS];
    /* File reads outside the lock, so register_self never waits for them. */
    for (unsigned i = 0; i < s->nslots; i++) {
        int tid = atomic_load_explicit(&s->slots[i].tid, memory_order_relaxed);
        gone[i] = false;
        cpus[i] = tid > 0 ? read_task_cpu(tid, &gone[i]) : -1;
    }
    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i < s->nslots; i++) {
        struct sampler_slot *sl = &s->slots[i];
        if (gone[i])
            sl->gone = true;
        note_cpu(sl, cpus[i]);
    }
    s->ticks++;
    pthread_mutex_unlock(&s->lock);
}

static void *sampler_main(void *arg)
{
    struct qtp_cpu_sampler *s = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        pthread_mutex_unlock(&s->lock);
        sample_all(s);
        next.tv_nsec += (long)s->period_us * 1000;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        pthread_mutex_lock(&s->lock);
        while (!s->stop && pthread_cond_timedwait(&s->cond, &s->lock, &next) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int qtp_cpu_sampler_start(struct qtp_cpu_sampler *s)
{
    if (s->running)
        return EBUSY;
    s->stop = false;
    int rc = pthread_create(&s->thread, NULL, sampler_main, s);
    if (rc == 0)
        s->running = true;
    return rc;
}

void qtp_cpu_sampler_stop(struct qtp_cpu_sampler *s)
{
    if (!s->running)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    s->running = false;
    sample_all(s); /* threads still alive get one last look */
}

size_t qtp_cpu_sampler_result(const struct qtp_cpu_sampler *s, unsigned slot, int *cpus, size_t max,
                              int *node)
{
    if (node)
        *node = -1;
    if (slot >= s->nslots)
        return 0;
    struct qtp_cpu_sampler *ms = (struct qtp_cpu_sampler *)s; /* the lock only */
    pthread_mutex_lock(&ms->lock);
    const struct sampler_slot *sl = &s->slots[slot];
    int sorted[TRACK_MAX];
    unsigned n = sl->ncpus;
    memcpy(sorted, sl->cpu, n * sizeof(int));
    for (unsigned i = 1; i < n; i++) /* insertion sort: n is tiny */
        for (unsigned j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (unsigned i = 0; i < n && i < max; i++)
        cpus[i] = sorted[i];
    unsigned best = 0;
    for (unsigned i = 1; i < n; i++)
        if (sl->hits[i] > sl->hits[best])
            best = i;
    if (node && n)
        *node = qtp_machine_pu_node(s->m, sl->cpu[best]);
    size_t total = n + sl->more;
    pthread_mutex_unlock(&ms->lock);
    return total;
}

unsigned long qtp_cpu_sampler_ticks(const struct qtp_cpu_sampler *s)
{
    struct qtp_cpu_sampler *ms = (struct qtp_cpu_sampler *)s;
    pthread_mutex_lock(&ms->lock);
    unsigned long t = s->ticks;
    pthread_mutex_unlock(&ms->lock);
    return t;
}

void qtp_cpu_sampler_destroy(struct qtp_cpu_sampler *s)
{
    if (!s)
        return;
    qtp_cpu_sampler_stop(s);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
