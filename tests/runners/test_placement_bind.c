/* test_placement_bind.c - binding on the real machine and the CPU sampler: a thread bound to a
 * PU runs there (sched_getcpu), and the sampler sees exactly that PU. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cpu_sampler.h"
#include "placement.h"

static struct qtp_machine *real;

static int setup(void **state)
{
    (void)state;
    char err[256] = "";
    if (qtp_machine_load(&real, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "load: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    qtp_machine_free(real);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bind_arg {
    int os;
    int rc;
    int bad_cpu; /* a CPU seen that was not os, or -1 */
};

static void *bind_thread(void *p)
{
    struct bind_arg *a = p;
    a->bad_cpu = -1;
    a->rc = qtp_placement_bind_self(real, a->os);
    if (a->rc)
        return NULL;
    for (int i = 0; i < 200; i++) {
        int cpu = sched_getcpu();
        if (cpu != a->os)
            a->bad_cpu = cpu;
        sched_yield();
    }
    return NULL;
}

/* Bind self to each PU in turn (on fresh threads, so the test's own affinity stays as is). */
static void test_bind_each_pu(void **state)
{
    (void)state;
    for (unsigned i = 0; i < real->npus; i++) {
        struct bind_arg a = {.os = real->pus[i].os};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, bind_thread, &a), 0);
        pthread_join(t, NULL);
        assert_int_equal(a.rc, 0);
        if (a.bad_cpu >= 0)
            fail_msg("bound to CPU %d, ran on CPU %d", a.os, a.bad_cpu);
    }
}

static void *cpu0_thread(void *p)
{
    int *seen = p;
    int rc = qtp_placement_bind_self(real, 0);
    *seen = rc ? -100 - rc : sched_getcpu();
    if (rc == 0) {
        /* Undo: back to every allowed PU. */
        cpu_set_t set;
        qtp_placement_unbind_self(real);
        pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
        if ((unsigned)CPU_COUNT(&set) != real->npus)
            *seen = -1;
    }
    return NULL;
}

static void test_bind_cpu0_and_unbind(void **state)
{
    (void)state;
    if (qtp_machine_pu_index(real, 0) < 0) {
        print_message("CPU 0 is not ours here (affinity); skipped\n");
        skip();
    }
    int seen = -2;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cpu0_thread, &seen), 0);
    pthread_join(t, NULL);
    assert_int_equal(seen, 0);
}

static void test_bind_errors(void **state)
{
    (void)state;
    assert_int_equal(qtp_placement_bind_self(real, -1), 0); /* "os": nothing to do */
    assert_int_equal(qtp_placement_bind_self(real, QTP_PLACEMENT_MAX_CPU_ID), ENOENT);
    struct qtp_machine *syn = NULL;
    struct qtp_machine_source src = {.synthetic = "pack:1 core:2 pu:1"};
    assert_int_equal(qtp_machine_load(&syn, &src, NULL, 0), 0);
    assert_int_equal(qtp_placement_bind_self(syn, 0), ENOTSUP);
    assert_int_equal(qtp_placement_unbind_self(syn), ENOTSUP);
    qtp_machine_free(syn);
}

/* ---- the sampler ---- */

struct worker {
    struct qtp_cpu_sampler *s;
    unsigned slot;
    int os;
    _Atomic bool *stop;
    double run_s; /* how long to stay if stop never comes */
};

static void *worker_main(void *p)
{
    struct worker *w = p;
    if (w->os >= 0 && qtp_placement_bind_self(real, w->os) != 0)
        return NULL;
    qtp_cpu_sampler_register_self(w->s, w->slot);
    double end = now_s() + w->run_s;
    /* Mostly asleep (the machine is shared), awake often enough to be seen running. */
    while (!atomic_load(w->stop) && now_s() < end) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void test_sampler_sees_bound_threads(void **state)
{
    (void)state;
    unsigned n = real->npus < 8 ? real->npus : 8;
    struct qtp_cpu_sampler *s = NULL;
    assert_int_equal(qtp_cpu_sampler_create(&s, real, n + 1, 5000), 0);
    assert_int_equal(qtp_cpu_sampler_start(s), 0);
    _Atomic bool stop = false;
    struct worker w[9];
    pthread_t t[9];
    for (unsigned i = 0; i < n; i++) {
        w[i] = (struct worker){s, i, real->pus[i].os, &stop, 10.0};
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    /* Until the sampler has looked a few times at everyone. */
    double deadline = now_s() + 10.0;
    unsigned long t0 = qtp_cpu_sampler_ticks(s);
    while (qtp_cpu_sampler_ticks(s) < t0 + 5 && now_s() < deadline) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&stop, true);
    for (unsigned i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    qtp_cpu_sampler_stop(s);
    assert_true(qtp_cpu_sampler_ticks(s) >= 1);
    for (unsigned i = 0; i < n; i++) {
        int cpus[QTP_MAX_CPUS_SEEN], node;
        size_t k = qtp_cpu_sampler_result(s, i, cpus, QTP_MAX_CPUS_SEEN, &node);
        assert_int_equal(k, 1);
        assert_int_equal(cpus[0], real->pus[i].os);
        assert_int_equal(node, real->pus[i].node);
    }
    /* A slot nobody registered: nothing seen. */
    int cpus[4], node = 7;
    assert_int_equal(qtp_cpu_sampler_result(s, n, cpus, 4, &node), 0);
    assert_int_equal(node, -1);
    assert_int_equal(qtp_cpu_sampler_register_self(s, n + 1), EINVAL);
    qtp_cpu_sampler_destroy(s);
}

struct mover {
    struct qtp_cpu_sampler *s;
    int a, b;
    int rc;
};

static void *mover_main(void *p)
{
    struct mover *mv = p;
    mv->rc = qtp_placement_bind_self(real, mv->a);
    if (mv->rc)
        return NULL;
    qtp_cpu_sampler_register_self(mv->s, 0); /* notes a via sched_getcpu */
    mv->rc = qtp_placement_bind_self(real, mv->b);
    if (mv->rc)
        return NULL;
    /* Only the sampler's reads of /proc/self/task/<tid>/stat can see b. */
    unsigned long t0 = qtp_cpu_sampler_ticks(mv->s);
    double deadline = now_s() + 10.0;
    while (qtp_cpu_sampler_ticks(mv->s) < t0 + 3 && now_s() < deadline) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void test_sampler_reads_proc(void **state)
{
    (void)state;
    if (real->npus < 2) {
        print_message("needs 2 PUs; skipped\n");
        skip();
    }
    struct qtp_cpu_sampler *s = NULL;
    assert_int_equal(qtp_cpu_sampler_create(&s, real, 1, 2000), 0);
    assert_int_equal(qtp_cpu_sampler_start(s), 0);
    struct mover mv = {s, real->pus[0].os, real->pus[real->npus - 1].os, -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, mover_main, &mv), 0);
    pthread_join(t, NULL);
    qtp_cpu_sampler_stop(s);
    assert_int_equal(mv.rc, 0);
    int cpus[4], node;
    assert_int_equal(qtp_cpu_sampler_result(s, 0, cpus, 4, &node), 2);
    assert_int_equal(cpus[0], mv.a < mv.b ? mv.a : mv.b);
    assert_int_equal(cpus[1], mv.a < mv.b ? mv.b : mv.a);
    qtp_cpu_sampler_destroy(s);
}

/* Stop wakes the sampler at once even with a long period; exited threads are fine. */
static void test_sampler_stop_is_prompt(void **state)
{
    (void)state;
    struct qtp_cpu_sampler *s = NULL;
    assert_int_equal(qtp_cpu_sampler_create(&s, real, 2, 30u * 1000 * 1000), 0);
    _Atomic bool stop = true;
    struct worker w = {s, 0, -1, &stop, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker_main, &w), 0);
    pthread_join(t, NULL); /* registered, then exited before sampling starts */
    assert_int_equal(qtp_cpu_sampler_start(s), 0);
    double t0 = now_s();
    qtp_cpu_sampler_stop(s);
    assert_true(now_s() - t0 < 10.0); /* not the 30 s period */
    int cpus[4], node;
    assert_int_equal(qtp_cpu_sampler_result(s, 0, cpus, 4, &node), 1); /* the registration */
    assert_true(qtp_machine_pu_index(real, cpus[0]) >= 0);
    qtp_cpu_sampler_destroy(s);
    assert_int_equal(qtp_cpu_sampler_create(&s, real, 0, 0), EINVAL);
    assert_int_equal(qtp_cpu_sampler_create(&s, real, QTP_MAX_THREADS + 1, 0), EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_each_pu),
        cmocka_unit_test(test_bind_cpu0_and_unbind),
        cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_sampler_sees_bound_threads),
        cmocka_unit_test(test_sampler_reads_proc),
        cmocka_unit_test(test_sampler_stop_is_prompt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
