/* qtest_alloc.h - an allocation hook that counts its calls and forwards to the default one: the
 * tests that prove nothing is allocated through the hook inside a measured window. */
#ifndef QTEST_ALLOC_H
#define QTEST_ALLOC_H

#include <stdatomic.h>

#include "qtp_alloc.h"

static _Atomic long qtest_hook_calls; /* allocations and frees through the hook */

static void *qtest_count_alloc(void *ctx, size_t size, size_t align)
{
    atomic_fetch_add(&qtest_hook_calls, 1);
    return qtp_alloc_default_hook.alloc(ctx, size, align);
}

static void qtest_count_free(void *ctx, void *p, size_t size)
{
    atomic_fetch_add(&qtest_hook_calls, 1);
    qtp_alloc_default_hook.free(ctx, p, size);
}

static const struct qtp_alloc_hook qtest_counting_hook = {qtest_count_alloc, qtest_count_free,
                                                          NULL};

#endif
