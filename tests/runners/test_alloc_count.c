/* test_alloc_count.c - the malloc interposer (linked in explicitly, as in qtopo): exact counts
 * per thread, calloc/realloc/aligned accounting, and sums that keep exited threads. In ASan/TSan
 * builds the interposer is a stub and must say so (available = false). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_count.h"

/* Called through volatile pointers so the compiler cannot drop a malloc/free pair. */
static void *(*volatile do_malloc)(size_t) = malloc;
static void *(*volatile do_calloc)(size_t, size_t) = calloc;
static void *(*volatile do_realloc)(void *, size_t) = realloc;
static void (*volatile do_free)(void *) = free;
static int (*volatile do_posix_memalign)(void **, size_t, size_t) = posix_memalign;
static void *(*volatile do_aligned_alloc)(size_t, size_t) = aligned_alloc;

#if defined(QTOPO_ASAN) || defined(QTOPO_TSAN)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static struct qtp_alloc_counts delta(const struct qtp_alloc_counts *a,
                                     const struct qtp_alloc_counts *b)
{
    struct qtp_alloc_counts d;
    qtp_alloc_counts_diff(a, b, &d);
    return d;
}

static void test_mallocs_counted(void **state)
{
    (void)state;
    void *p[10];
    struct qtp_alloc_counts a, b;
    qtp_alloc_count_self(&a);
    for (int i = 0; i < 10; i++)
        p[i] = do_malloc(100);
    for (int i = 0; i < 10; i++)
        do_free(p[i]);
    do_free(NULL); /* not a free */
    qtp_alloc_count_self(&b);
    struct qtp_alloc_counts d = delta(&a, &b);
    assert_true(d.available);
    assert_int_equal(d.calls, 10);
    assert_int_equal(d.bytes, 1000);
    assert_int_equal(d.frees, 10);
}

static void test_calloc_realloc_aligned(void **state)
{
    (void)state;
    struct qtp_alloc_counts a, b, d;
    qtp_alloc_count_self(&a);
    void *c = do_calloc(3, 50);
    assert_non_null(c);
    qtp_alloc_count_self(&b);
    d = delta(&a, &b);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.bytes, 150);

    a = b;
    void *r = do_realloc(NULL, 64); /* a malloc */
    r = do_realloc(r, 128);         /* a call, 128 bytes asked */
    qtp_alloc_count_self(&b);
    d = delta(&a, &b);
    assert_int_equal(d.calls, 2);
    assert_int_equal(d.bytes, 192);
    assert_int_equal(d.frees, 0);

    a = b;
    r = do_realloc(r, 0); /* frees */
    do_free(r);           /* NULL (glibc) or a minimal block */
    do_free(c);
    qtp_alloc_count_self(&b);
    d = delta(&a, &b);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.frees, r ? 3 : 2);

    a = b;
    void *m = NULL;
    assert_int_equal(do_posix_memalign(&m, 3, 10), EINVAL); /* not counted */
    assert_int_equal(do_posix_memalign(&m, 64, 100), 0);
    assert_int_equal((uintptr_t)m % 64, 0);
    void *al = do_aligned_alloc(256, 512);
    assert_int_equal((uintptr_t)al % 256, 0);
    do_free(m);
    do_free(al);
    qtp_alloc_count_self(&b);
    d = delta(&a, &b);
    assert_int_equal(d.calls, 2);
    assert_int_equal(d.bytes, 612);
    assert_int_equal(d.frees, 2);
}

#define PER_THREAD 1000

struct worker_out {
    struct qtp_alloc_counts d;
};

static void *worker(void *arg)
{
    struct worker_out *o = arg;
    struct qtp_alloc_counts a, b;
    qtp_alloc_count_self(&a);
    for (int i = 0; i < PER_THREAD; i++)
        do_free(do_malloc((size_t)i + 1));
    qtp_alloc_count_self(&b);
    qtp_alloc_counts_diff(&a, &b, &o->d);
    return NULL;
}

/* Two threads at once: each counts exactly its own; the global sum, taken after they exited,
 * has both. */
static void test_two_threads(void **state)
{
    (void)state;
    struct qtp_alloc_counts g0, g1;
    struct worker_out out[2];
    pthread_t t[2];
    qtp_alloc_count_snapshot(&g0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &out[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    qtp_alloc_count_snapshot(&g1);
    uint64_t bytes = (uint64_t)PER_THREAD * (PER_THREAD + 1) / 2;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(out[i].d.calls, PER_THREAD);
        assert_int_equal(out[i].d.frees, PER_THREAD);
        assert_int_equal(out[i].d.bytes, bytes);
    }
    struct qtp_alloc_counts d = delta(&g0, &g1);
    assert_true(d.available);
    /* pthread_create/exit may allocate a little themselves. */
    assert_true(d.calls >= 2 * PER_THREAD && d.calls <= 2 * PER_THREAD + 64);
    assert_true(d.frees >= 2 * PER_THREAD && d.frees <= 2 * PER_THREAD + 64);
    assert_true(d.bytes >= 2 * bytes);
}

/* Many short threads in turn (blocks are handed from exited threads to new ones): nothing is
 * lost. */
static void test_many_exited_threads(void **state)
{
    (void)state;
    struct qtp_alloc_counts g0, g1;
    qtp_alloc_count_snapshot(&g0);
    for (int i = 0; i < 200; i++) {
        struct worker_out o;
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, worker, &o), 0);
        pthread_join(t, NULL);
        assert_int_equal(o.d.calls, PER_THREAD);
    }
    qtp_alloc_count_snapshot(&g1);
    struct qtp_alloc_counts d = delta(&g0, &g1);
    assert_true(d.calls >= 200 * PER_THREAD);
    assert_true(d.frees >= 200 * PER_THREAD);
}

int main(void)
{
    struct qtp_alloc_counts c;
    qtp_alloc_count_snapshot(&c);
    if (SANITIZED) {
        /* The sanitizer runtime owns malloc: the stub must report itself unavailable. */
        if (c.available) {
            fprintf(stderr, "sanitizer build but alloc counting claims to be available\n");
            return 1;
        }
        printf("sanitizer build: allocation counting unavailable, as it should be\n");
        return 0;
    }
    if (!c.available) {
        fprintf(stderr, "the interposer is linked but reports unavailable\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mallocs_counted),
        cmocka_unit_test(test_calloc_realloc_aligned),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_many_exited_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
