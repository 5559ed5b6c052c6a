/* alloc_count.h - allocation calls and bytes, counted by interposing malloc and friends.
 *
 * The interposer (alloc_count.c, CMake object library qtp_alloc_count) defines malloc, calloc,
 * realloc, free, posix_memalign, aligned_alloc, memalign, valloc and pvalloc in the executable
 * that links it and forwards each to glibc's __libc_* entry point (no dlsym, so no recursion at
 * start-up). Each thread counts into its own block (a TLS pointer and three plain increments: no
 * lock, no atomic read-modify-write); a snapshot sums every block, including the blocks of
 * threads that have exited (their counts stay; a block is reused by a later thread, which keeps
 * counting on top, so sums only grow).
 *
 * Only executables that link qtp_alloc_count count (the qtopo binary and tests that ask for it);
 * everything else, and every ASan/TSan build (whose runtimes interpose malloc themselves), sees
 * available = false. The functions below are inline and reach the interposer through a weak
 * symbol, so code in static libraries can call them whether or not the interposer is linked.
 *
 * What counts: calls = malloc + calloc + realloc + the aligned allocators (one each); bytes = the
 * sizes asked for (calloc: n * size); frees = free(p) with p != NULL, and realloc(p, 0) which
 * frees. Allocations glibc makes through its internal aliases (none in the paths qtopo
 * measures; e.g. reallocarray) are not seen.
 *
 * Concurrency: snapshot from any thread at any time; a block being written concurrently gives a
 * value between its before and after counts (each counter is read atomically).
 */
#ifndef QTP_ALLOC_COUNT_H
#define QTP_ALLOC_COUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct qtp_alloc_counts {
    bool available; /* false: no interposer in this executable, or a sanitizer build */
    uint64_t calls;
    uint64_t bytes;
    uint64_t frees;
};

/* Provided by the interposer object only: sums into *all (every thread) and/or *self (the calling
 * thread; may be NULL). Returns false in sanitizer builds. */
#ifdef QTP_ALLOC_COUNT_IMPL
bool qtp_alloc_count_read(struct qtp_alloc_counts *all, struct qtp_alloc_counts *self);
#else
bool qtp_alloc_count_read(struct qtp_alloc_counts *all, struct qtp_alloc_counts *self)
    __attribute__((weak));

/* Counts summed over all threads since the process started. */
static inline void qtp_alloc_count_snapshot(struct qtp_alloc_counts *out)
{
    memset(out, 0, sizeof(*out));
    if (qtp_alloc_count_read)
        out->available = qtp_alloc_count_read(out, NULL);
}

/* Counts of the calling thread only. Only the difference of two calls on the same thread
 * means something: a thread's block may carry the counts of an exited thread that had it. */
static inline void qtp_alloc_count_self(struct qtp_alloc_counts *out)
{
    memset(out, 0, sizeof(*out));
    if (qtp_alloc_count_read)
        out->available = qtp_alloc_count_read(NULL, out);
}

#endif /* !QTP_ALLOC_COUNT_IMPL */

/* after - before (a measured window). */
static inline void qtp_alloc_counts_diff(const struct qtp_alloc_counts *before,
                                         const struct qtp_alloc_counts *after,
                                         struct qtp_alloc_counts *out)
{
    out->available = before->available && after->available;
    out->calls = after->calls - before->calls;
    out->bytes = after->bytes - before->bytes;
    out->frees = after->frees - before->frees;
}

#endif
