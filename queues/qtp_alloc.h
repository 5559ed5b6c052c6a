/* qtp_alloc.h - the one allocation hook every ring and queue buffer goes through.
 *
 * The runner installs a hook that places storage on a NUMA node (local, node:N, interleave);
 * the default hook is an aligned allocator. Per-event allocations of mutex-linked are NOT
 * buffers and use plain malloc on purpose (that cost is what the queue kind measures).
 */
#ifndef QTP_ALLOC_H
#define QTP_ALLOC_H

#include <stddef.h>

struct qtp_alloc_hook {
    /* Returns size bytes aligned to align (a power of two >= sizeof(void *)), zeroed, or NULL. */
    void *(*alloc)(void *ctx, size_t size, size_t align);
    void (*free)(void *ctx, void *p, size_t size);
    void *ctx;
};

/* The default: aligned, zeroed heap storage (a hook that only watches can forward to it). */
extern const struct qtp_alloc_hook qtp_alloc_default_hook;

/* Install hook (NULL restores the default). Not thread-safe: call between cells. */
void qtp_alloc_set_hook(const struct qtp_alloc_hook *hook);
/* Zeroed storage through the current hook; NULL on failure. */
void *qtp_alloc(size_t size, size_t align);
void qtp_free(void *p, size_t size);

#endif
