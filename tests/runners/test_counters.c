/* runners_counters: per-thread perf_event_open counters. The unavailable path (the hardware
 * events on a machine without a PMU: a reason, never a zero; modes sw and none), software events'
 * values (context switches of two threads taking turns on one CPU; page faults of fresh memory),
 * counting only inside the window (faults before enable and after disable are not counted), a
 * thread that opens late, bad calls, and many threads opening while the window opens (TSan).
 * runners_counters_unprivileged runs it without privileges (nobody, no capabilities): the kernel
 * side is then refused under perf_event_paranoid >= 2, and the fallbacks are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "counters.h"
#include "qtp_record.h"
#include "machine.h"
#include "placement.h"

static struct qtp_counter_value probe[QTP_CTR_COUNT];
static bool kernel_side; /* context switches and migrations countable here */

static void print_values(const char *what, const struct qtp_counter_value *v)
{
    for (int e = 0; e < QTP_CTR_COUNT; e++) {
        if (v[e].available)
            print_message("%s %-16s %llu%s (running %.2f)\n", what, qtp_counter_events[e].name,
                          (unsigned long long)v[e].value, v[e].user_only ? " user only" : "",
                          v[e].running);
        else
            print_message("%s %-16s unavailable: %s\n", what, qtp_counter_events[e].name,
                          v[e].reason);
    }
}

/* Unavailable is unavailable: no value, a reason; available: a real count. */
static void check_consistent(const struct qtp_counter_value *v)
{
    for (int e = 0; e < QTP_CTR_COUNT; e++) {
        if (!v[e].available) {
            assert_int_equal(v[e].value, 0);
            assert_true(v[e].reason[0] != '\0');
        } else {
            assert_true(v[e].running > 0 && v[e].running <= 1.0);
        }
    }
}

static void test_registry_and_probe(void **state)
{
    (void)state;
    const char *names[] = {"none", "sw", "all"};
    size_t n = 0;
    for (const struct qtp_counters_mode_row *r = qtp_counters_modes; r->name; r++, n++)
        assert_string_equal(r->name, names[n]);
    assert_int_equal(n, 3);
    print_values("probe", probe);
    check_consistent(probe);
    bool hw = false;
    for (int e = 0; e < QTP_CTR_COUNT; e++) {
        if (qtp_counter_events[e].hardware && probe[e].available)
            hw = true;
        /* No PMU (this VM): cycles is ENOENT, and said so. */
        if (qtp_counter_events[e].hardware && !probe[e].available)
            assert_true(probe[e].reason[0] == 'E'); /* "ENOENT: no such event here ..." */
    }
    enum qtp_counters_mode def = qtp_counters_default_mode();
    print_message("default mode: %s\n", qtp_counters_modes[def].name);
    assert_int_equal(def, hw                                     ? QTP_COUNTERS_ALL
                          : probe[QTP_CTR_PAGE_FAULTS].available ? QTP_COUNTERS_SW
                                                                 : QTP_COUNTERS_NONE);
    struct qtp_counter_value sw[QTP_CTR_COUNT];
    qtp_counters_probe(QTP_COUNTERS_SW, sw);
    assert_false(sw[QTP_CTR_CYCLES].available);
    assert_string_equal(sw[QTP_CTR_CYCLES].reason, "not counted (--counters sw)");
}

/* ---- the window: page faults before, inside and after it ---- */

struct window_run {
    struct qtp_counters *c;
    pthread_barrier_t b;
    int open_rc;
};

static void touch_fresh(size_t pages)
{
    size_t sz = pages * (size_t)sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    madvise(p, sz, MADV_NOHUGEPAGE); /* one fault per page, not one per huge page */
    for (size_t i = 0; i < sz; i += (size_t)sysconf(_SC_PAGESIZE))
        ((volatile char *)p)[i] = 1;
    munmap(p, sz);
}

enum { BEFORE = 4096, INSIDE = 256, AFTER = 4096 };
/* What touching INSIDE fresh pages may cost on top of INSIDE faults: a few for the stack or the
 * barrier, and the sanitizers' shadow pages (1/8 of them under ASan; under TSan several per
 * page). Far below BEFORE or AFTER, so a window that leaked either would fail. */
#ifdef QTOPO_TSAN
#define FAULT_SLACK (5 * INSIDE)
#else
#define FAULT_SLACK (INSIDE / 8 + 32)
#endif
_Static_assert(FAULT_SLACK < BEFORE && FAULT_SLACK < AFTER, "the slack must not hide a leak");

static void *window_thread(void *arg)
{
    struct window_run *w = arg;
    w->open_rc = qtp_counters_open_self(w->c, 0);
    touch_fresh(BEFORE);
    pthread_barrier_wait(&w->b); /* main enables */
    pthread_barrier_wait(&w->b);
    touch_fresh(INSIDE);
    pthread_barrier_wait(&w->b); /* main disables */
    pthread_barrier_wait(&w->b);
    touch_fresh(AFTER);
    return NULL;
}

static void run_window(enum qtp_counters_mode mode, struct qtp_counter_value *v)
{
    struct window_run w = {0};
    assert_int_equal(qtp_counters_create(&w.c, 1, mode), 0);
    pthread_barrier_init(&w.b, NULL, 2);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, window_thread, &w), 0);
    pthread_barrier_wait(&w.b);
    assert_int_equal(qtp_counters_enable(w.c), 0);
    pthread_barrier_wait(&w.b);
    pthread_barrier_wait(&w.b);
    assert_int_equal(qtp_counters_disable(w.c), 0);
    pthread_barrier_wait(&w.b);
    pthread_join(t, NULL); /* read after the thread is gone: its counts stay */
    assert_int_equal(w.open_rc, 0);
    assert_int_equal(qtp_counters_read(w.c, 0, v), 0);
    struct qtp_counter_value sum[QTP_CTR_COUNT];
    qtp_counters_sum(w.c, sum);
    for (int e = 0; e < QTP_CTR_COUNT; e++) {
        assert_int_equal(sum[e].available, v[e].available);
        assert_int_equal(sum[e].value, v[e].value);
    }
    pthread_barrier_destroy(&w.b);
    qtp_counters_destroy(w.c);
}

static void test_window_page_faults(void **state)
{
    (void)state;
    if (!probe[QTP_CTR_PAGE_FAULTS].available) {
        print_message("page faults not countable here: %s\n", probe[QTP_CTR_PAGE_FAULTS].reason);
        skip();
    }
    struct qtp_counter_value v[QTP_CTR_COUNT];
    run_window(QTP_COUNTERS_ALL, v);
    print_values("window", v);
    check_consistent(v);
    const struct qtp_counter_value *pf = &v[QTP_CTR_PAGE_FAULTS];
    assert_true(pf->available);
    /* The INSIDE pages fault once each; the BEFORE and AFTER ones are outside the window. */
    if (pf->value < INSIDE || pf->value > INSIDE + FAULT_SLACK)
        fail_msg("page faults %llu, want %d..%d", (unsigned long long)pf->value, INSIDE,
                 INSIDE + FAULT_SLACK);
    /* Without the kernel side (perf_event_paranoid >= 2, no CAP_PERFMON) the faults are still
     * counted, in user mode only, and say so. */
    if (!kernel_side)
        assert_true(pf->user_only);
    for (int e = 0; e < QTP_CTR_COUNT; e++)
        if (qtp_counter_events[e].hardware)
            assert_int_equal(v[e].available, probe[e].available);
    if (v[QTP_CTR_CYCLES].available)
        assert_true(v[QTP_CTR_CYCLES].value > 0 && v[QTP_CTR_INSTRUCTIONS].value > 0);
}

/* Modes sw and none: what is not counted says so. */
static void test_modes(void **state)
{
    (void)state;
    struct qtp_counter_value v[QTP_CTR_COUNT];
    run_window(QTP_COUNTERS_SW, v);
    check_consistent(v);
    for (int e = 0; e < QTP_CTR_COUNT; e++)
        if (qtp_counter_events[e].hardware)
            assert_string_equal(v[e].reason, "not counted (--counters sw)");
    assert_int_equal(v[QTP_CTR_PAGE_FAULTS].available, probe[QTP_CTR_PAGE_FAULTS].available);
    run_window(QTP_COUNTERS_NONE, v);
    check_consistent(v);
    for (int e = 0; e < QTP_CTR_COUNT; e++)
        assert_string_equal(v[e].reason, "not counted (--counters none)");
}

/* ---- context switches: two threads taking turns on one CPU ---- */

enum { ROUNDS = 200 };

struct turns {
    struct qtp_counters *c;
    const struct qtp_machine *m;
    int cpu;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int turn;  /* whose turn: 0 or 1 */
    int ready; /* threads that opened their counters */
    bool go;   /* the window is open */
    int bind_rc[2];
};

struct turn_arg {
    struct turns *t;
    int me;
};

static void *turn_thread(void *arg)
{
    struct turn_arg *a = arg;
    struct turns *t = a->t;
    t->bind_rc[a->me] = qtp_placement_bind_self(t->m, t->cpu);
    qtp_counters_open_self(t->c, (unsigned)a->me);
    pthread_mutex_lock(&t->lock);
    t->ready++;
    pthread_cond_broadcast(&t->cond);
    while (!t->go)
        pthread_cond_wait(&t->cond, &t->lock);
    for (int r = 0; r < ROUNDS; r++) {
        while (t->turn != a->me)
            pthread_cond_wait(&t->cond, &t->lock);
        t->turn = 1 - a->me;
        pthread_cond_broadcast(&t->cond);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static void test_context_switches_one_cpu(void **state)
{
    (void)state;
    struct qtp_machine *m;
    char err[256];
    assert_int_equal(
        qtp_machine_load(&m, &(struct qtp_machine_source){NULL, NULL}, err, sizeof err), 0);
    struct turns t = {.m = m, .cpu = m->pus[0].os};
    pthread_mutex_init(&t.lock, NULL);
    pthread_cond_init(&t.cond, NULL);
    assert_int_equal(qtp_counters_create(&t.c, 2, QTP_COUNTERS_SW), 0);
    pthread_t th[2];
    struct turn_arg args[2] = {{&t, 0}, {&t, 1}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, turn_thread, &args[i]), 0);
    pthread_mutex_lock(&t.lock);
    while (t.ready < 2)
        pthread_cond_wait(&t.cond, &t.lock);
    pthread_mutex_unlock(&t.lock);
    assert_int_equal(qtp_counters_enable(t.c), 0);
    pthread_mutex_lock(&t.lock);
    t.go = true;
    pthread_cond_broadcast(&t.cond);
    pthread_mutex_unlock(&t.lock);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(qtp_counters_disable(t.c), 0);
    assert_int_equal(t.bind_rc[0], 0);
    assert_int_equal(t.bind_rc[1], 0);

    struct qtp_counter_value v[2][QTP_CTR_COUNT], sum[QTP_CTR_COUNT];
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(qtp_counters_read(t.c, i, v[i]), 0);
        print_values(i ? "thread1" : "thread0", v[i]);
        check_consistent(v[i]);
    }
    qtp_counters_sum(t.c, sum);
    check_consistent(sum);
    if (!kernel_side) {
        /* Not allowed here: unavailable, and the reason names the setting. */
        assert_false(sum[QTP_CTR_CONTEXT_SWITCHES].available);
        assert_non_null(strstr(sum[QTP_CTR_CONTEXT_SWITCHES].reason, "perf_event_paranoid"));
    } else {
        /* On one CPU, a thread waiting for its turn must give the CPU to the other. */
        for (int i = 0; i < 2; i++) {
            assert_true(v[i][QTP_CTR_CONTEXT_SWITCHES].available);
            if (v[i][QTP_CTR_CONTEXT_SWITCHES].value < ROUNDS / 2)
                fail_msg("thread %d: %llu context switches over %d turns", i,
                         (unsigned long long)v[i][QTP_CTR_CONTEXT_SWITCHES].value, ROUNDS);
            assert_int_equal(v[i][QTP_CTR_CPU_MIGRATIONS].value, 0); /* bound: no migration */
        }
        assert_int_equal(sum[QTP_CTR_CONTEXT_SWITCHES].value,
                         v[0][QTP_CTR_CONTEXT_SWITCHES].value +
                             v[1][QTP_CTR_CONTEXT_SWITCHES].value);
    }

    json_t *j = qtp_counters_to_json(t.c);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "mode")), "sw");
    json_t *ev = json_object_get(j, "events");
    assert_true(json_is_string(json_object_get(json_object_get(ev, "cycles"), "unavailable")));
    json_t *cs = json_object_get(ev, "context_switches");
    if (kernel_side) {
        assert_int_equal(json_integer_value(json_object_get(cs, "sum")),
                         sum[QTP_CTR_CONTEXT_SWITCHES].value);
        assert_int_equal(json_array_size(json_object_get(cs, "per_thread")), 2);
    }
    json_decref(j);
    qtp_counters_destroy(t.c);
    pthread_cond_destroy(&t.cond);
    pthread_mutex_destroy(&t.lock);
    qtp_machine_free(m);
}

/* ---- a late thread and bad calls ---- */

static void *open_slot1(void *arg)
{
    assert_int_equal(qtp_counters_open_self(arg, 1), 0);
    return NULL;
}

static void test_late_and_bad_calls(void **state)
{
    (void)state;
    struct qtp_counters *c;
    assert_int_equal(qtp_counters_create(&c, 0, QTP_COUNTERS_SW), EINVAL);
    assert_int_equal(qtp_counters_create(&c, 1000, QTP_COUNTERS_SW), EINVAL);
    assert_int_equal(qtp_counters_create(&c, 3, (enum qtp_counters_mode)7), EINVAL);
    assert_int_equal(qtp_counters_create(&c, 3, QTP_COUNTERS_SW), 0);
    struct qtp_counter_value v[QTP_CTR_COUNT];
    assert_int_equal(qtp_counters_open_self(c, 3), EINVAL);
    assert_int_equal(qtp_counters_open_self(c, 0), 0);
    assert_int_equal(qtp_counters_open_self(c, 0), EBUSY);
    assert_int_equal(qtp_counters_read(c, 0, v), 0);
    assert_non_null(strstr(v[QTP_CTR_PAGE_FAULTS].reason, "never opened"));
    assert_int_equal(qtp_counters_enable(c), 0);
    assert_int_equal(qtp_counters_enable(c), EALREADY);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, open_slot1, c), 0);
    pthread_join(t, NULL);
    assert_int_equal(qtp_counters_disable(c), 0);
    assert_int_equal(qtp_counters_read(c, 1, v), 0);
    assert_false(v[QTP_CTR_PAGE_FAULTS].available);
    assert_string_equal(v[QTP_CTR_PAGE_FAULTS].reason, "opened after the window opened");
    assert_int_equal(qtp_counters_read(c, 2, v), 0);
    assert_string_equal(v[QTP_CTR_PAGE_FAULTS].reason, "this thread opened no counters");
    struct qtp_counter_value sum[QTP_CTR_COUNT];
    qtp_counters_sum(c, sum); /* slot 1's part is missing: the sum is not a sum */
    assert_false(sum[QTP_CTR_PAGE_FAULTS].available);
    assert_non_null(strstr(sum[QTP_CTR_PAGE_FAULTS].reason, "thread 1: opened after"));
    assert_int_equal(qtp_counters_read(c, 9, v), EINVAL);
    qtp_counters_destroy(c);

    assert_int_equal(qtp_counters_create(&c, 2, QTP_COUNTERS_SW), 0);
    qtp_counters_sum(c, sum);
    assert_string_equal(sum[QTP_CTR_PAGE_FAULTS].reason, "no thread opened counters");
    qtp_counters_destroy(c);
}

/* ---- many threads open while the window opens (the R1/A1 pair, under TSan) ---- */

enum { NSTRESS = 16 };

struct stress {
    struct qtp_counters *c;
    unsigned slot;
};

static void *stress_thread(void *arg)
{
    struct stress *s = arg;
    qtp_counters_open_self(s->c, s->slot);
    touch_fresh(8);
    return NULL;
}

static void test_open_while_enabling(void **state)
{
    (void)state;
    for (int round = 0; round < 5; round++) {
        struct qtp_counters *c;
        assert_int_equal(qtp_counters_create(&c, NSTRESS, QTP_COUNTERS_SW), 0);
        pthread_t th[NSTRESS];
        struct stress s[NSTRESS];
        for (unsigned i = 0; i < NSTRESS; i++) {
            s[i] = (struct stress){c, i};
            assert_int_equal(pthread_create(&th[i], NULL, stress_thread, &s[i]), 0);
            if (i == NSTRESS / 2)
                assert_int_equal(qtp_counters_enable(c), 0);
        }
        for (unsigned i = 0; i < NSTRESS; i++)
            pthread_join(th[i], NULL);
        assert_int_equal(qtp_counters_disable(c), 0);
        for (unsigned i = 0; i < NSTRESS; i++) {
            struct qtp_counter_value v[QTP_CTR_COUNT];
            assert_int_equal(qtp_counters_read(c, i, v), 0);
            check_consistent(v);
            if (!v[QTP_CTR_PAGE_FAULTS].available && probe[QTP_CTR_PAGE_FAULTS].available)
                assert_string_equal(v[QTP_CTR_PAGE_FAULTS].reason,
                                    "opened after the window opened");
        }
        qtp_counters_destroy(c);
    }
}

/* The row's counter keys (results/qtp_record.h) and this registry name the same events in the
 * same order: the runner copies one into the other by index. */
static void test_row_keys(void **state)
{
    (void)state;
    assert_int_equal(QTP_NCOUNTER_EVENTS, QTP_CTR_COUNT);
    for (int i = 0; i < QTP_CTR_COUNT; i++)
        assert_string_equal(qtp_counter_event_names[i], qtp_counter_events[i].name);
}

int main(void)
{
    qtp_counters_probe(QTP_COUNTERS_ALL, probe);
    kernel_side = probe[QTP_CTR_CONTEXT_SWITCHES].available;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_and_probe),
        cmocka_unit_test(test_window_page_faults),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_context_switches_one_cpu),
        cmocka_unit_test(test_late_and_bad_calls),
        cmocka_unit_test(test_open_while_enabling),
        cmocka_unit_test(test_row_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
