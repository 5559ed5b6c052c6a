/* qtp_alloc.c - the allocation hook: default aligned allocator, swappable by the runner. */
#include "qtp_alloc.h"

#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *ctx, size_t size, size_t align)
{
    (void)ctx;
    void *p = NULL;
    if (align < sizeof(void *))
        align = sizeof(void *);
    /* posix_memalign, not aligned_alloc: it does not require size to be a multiple of align. */
    if (posix_memalign(&p, align, size ? size : 1) != 0)
        return NULL;
    memset(p, 0, size);
    return p;
}

static void default_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

const struct qtp_alloc_hook qtp_alloc_default_hook = {default_alloc, default_free, NULL};
/* Not atomic on purpose: the contract says the hook changes only between cells, when no ring or
 * queue is being created or destroyed. */
static struct qtp_alloc_hook current_hook = {default_alloc, default_free, NULL};

void qtp_alloc_set_hook(const struct qtp_alloc_hook *hook)
{
    current_hook = hook ? *hook : qtp_alloc_default_hook;
}

void *qtp_alloc(size_t size, size_t align)
{
    return current_hook.alloc(current_hook.ctx, size, align);
}

void qtp_free(void *p, size_t size)
{
    if (p)
        current_hook.free(current_hook.ctx, p, size);
}
