/* test_common.h - small helpers shared by the results_ tests (test-only, internal). */
#ifndef QTP_TEST_RESULTS_COMMON_H
#define QTP_TEST_RESULTS_COMMON_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Seed from QTOPO_SEED or --seed N, else from the clock; printed so a failure can be replayed. */
static inline uint64_t test_seed(int argc, char **argv)
{
    const char *s = getenv("QTOPO_SEED");
    for (int i = 1; i + 1 < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2] == 's')
            s = argv[i + 1];
    uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
    fprintf(stderr, "seed %" PRIu64 " (replay: QTOPO_SEED=%" PRIu64 ")\n", seed, seed);
    return seed;
}

/* splitmix64: small, good enough for test data. */
static inline uint64_t test_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline double test_uniform(uint64_t *state)
{
    return (double)(test_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
