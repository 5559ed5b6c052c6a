/* lockcost.c - qtopo-bench-locks: the Disruptor paper's table of what a lock costs, scaled down.
 *
 * A 64-bit counter is incremented N times (the paper: 500 million) in six ways, and each way's
 * time is printed (and written as JSON with -o) in milliseconds, the median of R runs:
 *   single     one thread, a plain increment (kept in a register, as a JIT keeps a local)
 *   lock       one thread, each increment under a pthread mutex nobody else takes
 *   lock2      two threads, N/2 increments each under one shared mutex
 *   cas        one thread, each increment a compare-and-swap loop on the shared counter
 *   cas2       two threads, N/2 each, CAS on the one counter
 *   volatile   one thread, each increment a sequentially consistent store (Java's volatile write:
 *              on x86 a locked instruction / full fence per store)
 * Every way ends with the counter equal to N, checked (a miscount is exit 1): the table measures
 * correct increments only. Ratios to `single` are what travel between machines.
 *
 *   qtopo-bench-locks [-n N] [-r R] [-o FILE]     N default 50M (K/M/G = 1000s), R default 3
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPS 50

struct shared {
    pthread_mutex_t lock;
    uint64_t counter;          /* under lock */
    _Atomic uint64_t acounter; /* CAS and volatile cases */
    uint64_t n;                /* increments by this thread */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *inc_lock(void *arg)
{
    struct shared *s = arg;
    for (uint64_t i = 0; i < s->n; i++) {
        pthread_mutex_lock(&s->lock);
        s->counter++;
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

static void *inc_cas(void *arg)
{
    struct shared *s = arg;
    for (uint64_t i = 0; i < s->n; i++) {
        uint64_t old = atomic_load_explicit(&s->acounter, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&s->acounter, &old, old + 1,
                                                      memory_order_seq_cst, memory_order_relaxed))
            ;
    }
    return NULL;
}

/* One run of a way: its time in ms, and whether the count came out right. */
static double run_way(const char *way, uint64_t n, int *ok)
{
    struct shared s = {.lock = PTHREAD_MUTEX_INITIALIZER, .n = n};
    double t0 = now_ms();
    uint64_t result = 0;
    if (strcmp(way, "single") == 0) {
        uint64_t x = 0;
        for (uint64_t i = 0; i < n; i++) {
            x++;
            __asm__ volatile("" : "+r"(x)); /* one increment per iteration, not folded away */
        }
        result = x;
    } else if (strcmp(way, "lock") == 0 || strcmp(way, "cas") == 0) {
        (way[0] == 'l' ? inc_lock : inc_cas)(&s);
        result = way[0] == 'l' ? s.counter : atomic_load(&s.acounter);
    } else if (strcmp(way, "lock2") == 0 || strcmp(way, "cas2") == 0) {
        void *(*fn)(void *) = way[0] == 'l' ? inc_lock : inc_cas;
        s.n = n / 2;
        pthread_t other;
        if (pthread_create(&other, NULL, fn, &s) != 0) {
            *ok = 0;
            return 0;
        }
        fn(&s);
        pthread_join(other, NULL);
        result = way[0] == 'l' ? s.counter : atomic_load(&s.acounter);
        n = 2 * (n / 2);
    } else { /* volatile */
        for (uint64_t i = 0; i < n; i++)
            atomic_store_explicit(&s.acounter, i + 1, memory_order_seq_cst);
        result = atomic_load(&s.acounter);
    }
    double ms = now_ms() - t0;
    *ok = result == n;
    return ms;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bad(const char *what, const char *value)
{
    fprintf(stderr,
            "qtopo-bench-locks: %s '%s' (usage: qtopo-bench-locks [-n N] [-r R] [-o FILE];"
            " N 1000 to 10G with K/M/G = 1000s, R 1 to %d)\n",
            what, value, MAX_REPS);
    return 2;
}

/* A count with an optional K/M/G suffix (1000s), 1000 to 10G. */
static int parse_n(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 1;
    if (*end == 'K')
        mul = 1000, end++;
    else if (*end == 'M')
        mul = 1000000, end++;
    else if (*end == 'G')
        mul = 1000000000, end++;
    if (errno || *end || v > 10000000000ULL / mul || v * mul < 1000)
        return -1;
    *out = v * mul;
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const ways[] = {"single", "lock", "lock2", "cas", "cas2", "volatile"};
    enum { NWAYS = sizeof ways / sizeof ways[0] };
    uint64_t n = 50000000;
    int reps = 3;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "-n") == 0 && v) {
            if (parse_n(v, &n))
                return bad("-n: not a count in range", v);
        } else if (strcmp(argv[i], "-r") == 0 && v) {
            char *end;
            long r = strtol(v, &end, 10);
            if (*v < '0' || *v > '9' || *end || r < 1 || r > MAX_REPS)
                return bad("-r: out of range", v);
            reps = (int)r;
        } else if (strcmp(argv[i], "-o") == 0 && v && *v) {
            out = v;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("qtopo-bench-locks [-n N] [-r R] [-o FILE]: the cost of a lock, six ways\n");
            return 0;
        } else {
            return bad("bad argument", argv[i]);
        }
        i++;
    }
    FILE *f = NULL;
    if (out && !(f = fopen(out, "wx"))) {
        fprintf(stderr, "qtopo-bench-locks: -o %s: %s\n", out, strerror(errno));
        return 2;
    }

    double ms[NWAYS];
    int status = 0;
    for (int w = 0; w < NWAYS; w++) {
        double t[MAX_REPS];
        for (int r = 0; r < reps; r++) {
            int ok;
            t[r] = run_way(ways[w], n, &ok);
            if (!ok) {
                fprintf(stderr, "qtopo-bench-locks: %s miscounted: gave a wrong total\n", ways[w]);
                status = 1;
            }
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp_double);
        ms[w] = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
        printf("%-9s %12.1f ms  %6.1fx single\n", ways[w], ms[w], ms[w] / ms[0]);
    }
    if (f) {
        fprintf(f, "{\"n\": %" PRIu64 ", \"reps\": %d, \"unit\": \"ms\", \"cases\": {", n, reps);
        for (int w = 0; w < NWAYS; w++)
            fprintf(f, "%s\"%s\": %.6g", w ? ", " : "", ways[w], ms[w]);
        fprintf(f, "}}\n");
        if (fclose(f) != 0) {
            fprintf(stderr, "qtopo-bench-locks: -o %s: write failed\n", out);
            return 1;
        }
    }
    return status;
}
