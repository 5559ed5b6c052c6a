/* qtest.h - small helpers shared by the queue tests (internal to tests/queues). */
#ifndef QTEST_H
#define QTEST_H

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline double qt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void qt_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Join t if it ends within seconds: 0, or ETIMEDOUT (the thread is left running; the test fails
 * and the process exits soon after). */
static inline int qt_join_within(pthread_t t, double seconds, void **ret)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double s = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 + seconds;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    return pthread_timedjoin_np(t, ret, &ts);
}

static inline long qt_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

/* splitmix64: the test's deterministic pseudo-random stream and event values. */
static inline uint64_t qt_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static inline uint64_t qt_rand(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ull;
    return qt_mix(*state);
}

/* The run's seed: --seed N, else env QTOPO_SEED, else the clock. Printed so a failure can be
 * reproduced. */
static inline uint64_t qt_seed(int argc, char **argv)
{
    const char *s = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--seed") == 0)
            s = argv[i + 1];
    if (!s)
        s = getenv("QTOPO_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
    printf("seed %" PRIu64 " (reproduce with --seed %" PRIu64 " or QTOPO_SEED=%" PRIu64 ")\n", seed,
           seed, seed);
    fflush(stdout);
    return seed;
}

static inline int qt_has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return 1;
    return 0;
}

/* Sanitizer builds run 10x fewer events (they are 5-20x slower). */
static inline uint64_t qt_scale(uint64_t n)
{
#if defined(QTOPO_TSAN) || defined(QTOPO_ASAN)
    n /= 10;
#endif
    return n ? n : 1;
}

#endif
