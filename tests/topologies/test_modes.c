/* topo_modes: paced mode, latency off, warmup only, the thread-start callback, buffers, progress
 * before run, run once, the queue-kind registry. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qtp_hist.h"
#include "qtp_wait.h"
#include "topo_util.h"

static void build(const char *name, struct qtp_topology *t)
{
    assert_int_equal(qtp_topology_find(name)->build(&(struct qtp_topo_params){0}, t), 0);
}

static void test_paced(void **state)
{
    (void)state;
    struct qtp_topology t;
    build("pipeline", &t);
    for (unsigned cfg = 1; cfg < TOPO_NCONFIGS; cfg++) {
        struct topo_run r = {0};
        topo_config(cfg, &r);
        r.ring_size = 8;
        r.batch = 2;
        r.events = 50;
        r.warmup = 2;
        r.rate = 5000;
        r.record_latency = true;
        assert_int_equal(topo_run(&t, &r), 0);
        assert_true(r.verified);
        assert_int_equal(r.latency_count, 50);
        /* The pacer never sends early: a batch goes when its last event is due, event k
         * being due k periods of 200 us after the producer starts. So the run lasts at least
         * 51 periods (a lower bound, not a speed; a late producer catches up in a burst, so
         * the measured window itself may be shorter). */
        if (r.elapsed_s < 51 * 200e-6 * 0.99)
            print_error("%s: run took %.3f ms\n", topo_config_name(cfg), r.elapsed_s * 1e3);
        assert_true(r.elapsed_s >= 51 * 200e-6 * 0.99);
    }
    qtp_topology_fini(&t);
}

static void test_latency_off_and_warmup_only(void **state)
{
    (void)state;
    struct qtp_topology t;
    build("diamond", &t);
    for (unsigned cfg = 1; cfg < TOPO_NCONFIGS; cfg++) {
        struct topo_run r = {0};
        topo_config(cfg, &r);
        r.ring_size = 4;
        r.batch = 4;
        r.events = 100;
        r.record_latency = false;
        assert_int_equal(topo_run(&t, &r), 0);
        assert_true(r.verified);
        assert_int_equal(r.latency_count, 0);
        assert_true(r.window_start_seen && r.window_end_seen);

        r.events = 0;
        r.warmup = 7;
        r.record_latency = true;
        assert_int_equal(topo_run(&t, &r), 0);
        assert_true(r.verified);
        assert_int_equal(r.latency_count, 0); /* warmup events are not measured */
        assert_int_equal(r.events_done, 0);
        assert_false(r.window_start_seen || r.window_end_seen);
        assert_int_equal(r.window_ns, 0);
    }
    qtp_topology_fini(&t);
}

struct seen {
    unsigned count[64];
    char role[64][64];
};

static void on_start(void *ctx, unsigned index, const char *role)
{
    struct seen *s = ctx;
    __atomic_add_fetch(&s->count[index], 1, __ATOMIC_RELAXED);
    snprintf(s->role[index], sizeof(s->role[index]), "%s", role); /* one writer per index */
}

static void test_threads_and_lifecycle(void **state)
{
    (void)state;
    const char *names[] = {"sequencer", "shard", "pingpong"};
    const char *want[3][4] = {{"producer0", "producer1", "producer2", "c1"},
                              {"producer", "w#0", "w#1", "merge"},
                              {"producer", "echo", NULL, NULL}};
    for (unsigned n = 0; n < 3; n++) {
        struct qtp_topology t;
        build(names[n], &t);
        for (unsigned cfg = 1; cfg < TOPO_NCONFIGS; cfg++) {
            struct topo_run tr = {0};
            topo_config(cfg, &tr);
            static struct seen s;
            memset(&s, 0, sizeof(s));
            struct qtp_deploy_config c = {
                .topo = &t,
                .queue = tr.queue,
                .wait = tr.wait ? qtp_wait_find(tr.wait) : NULL,
                .ring_size = 4,
                .batch = 1,
                .events = 10,
                .seed = 3,
                .record_latency = true,
                .on_thread_start = on_start,
                .ctx = &s,
            };
            struct qtp_deploy *d;
            char err[256];
            assert_int_equal(qtp_deploy_create(&d, &c, err, sizeof(err)), 0);
            struct qtp_progress p;
            qtp_deploy_progress(d, &p); /* before run: safe */
            assert_non_null(strstr(p.text, "producer=0"));
            assert_int_equal(p.done, 0);
            void *addr[8];
            size_t bytes[8];
            size_t nb = qtp_deploy_buffers(d, addr, bytes, 8);
            if (strcmp(tr.queue, "ring") == 0)
                assert_int_equal(nb, t.pingpong ? 2 : 1);
            else if (strcmp(tr.queue, "mutex-linked") == 0) /* a node per event: no buffer */
                assert_int_equal(nb, 0);
            else
                assert_true(nb >= 1);
            for (size_t i = 0; i < nb; i++)
                assert_true(addr[i] != NULL && bytes[i] >= 4 * t.event_size);
            struct qtp_deploy_result res;
            assert_int_equal(qtp_deploy_run(d, &res), 0);
            assert_true(res.verified);
            assert_int_equal(res.events, 10 * t.producers);
            assert_int_equal(qtp_hist_count(res.latency) >= 10 * t.producers, 1);
            assert_true(qtp_hist_percentile(res.latency, 50) > 0);
            qtp_deploy_progress(d, &p);
            assert_int_equal(p.done, 10 * t.producers);
            for (unsigned i = 0; i < t.nthreads; i++) {
                assert_int_equal(s.count[i], 1);
                if (i < 4 && want[n][i])
                    assert_string_equal(s.role[i], want[n][i]);
            }
            assert_int_equal(qtp_deploy_run(d, &res), EINVAL); /* once */
            qtp_deploy_destroy(d);
        }
        qtp_topology_fini(&t);
    }
}

static void test_queue_kinds(void **state)
{
    (void)state;
    unsigned n = 0;
    for (const struct qtp_queue_kind *k = qtp_queue_kinds; k->name; k++, n++)
        assert_ptr_equal(qtp_queue_kind_find(k->name), k);
    assert_int_equal(n, 4);
    assert_true(qtp_queue_kind_find("ring")->uses_wait);
    assert_false(qtp_queue_kind_find("mutex-array")->uses_wait);
    /* The lock-free family: per edge (the edge backend with its own queue ops), with a wait axis.
     */
    const struct qtp_queue_kind *ck = qtp_queue_kind_find("ck-ring");
    assert_non_null(ck);
    assert_int_equal(ck->family, QTP_FAMILY_LOCKFREE);
    assert_true(ck->uses_wait);
    assert_non_null(ck->edge);
    assert_ptr_equal(ck->backend, qtp_queue_kind_find("mutex-array")->backend);
    assert_ptr_not_equal(ck->edge, qtp_queue_kind_find("mutex-array")->edge);
    assert_null(qtp_queue_kind_find("disruptor"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paced),
        cmocka_unit_test(test_latency_off_and_warmup_only),
        cmocka_unit_test(test_threads_and_lifecycle),
        cmocka_unit_test(test_queue_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
