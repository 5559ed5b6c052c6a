/* topo_property: random nested descriptions (depth <= 3, fan-out <= 4, shards <= 4), random ring
 * sizes, batches and event counts; both deployments must agree with the model.
 * Options: --seed N (or QTOPO_SEED), --cases N (or QTOPO_PROPERTY_CASES; default 200). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "topo_util.h"

static uint64_t seed;
static unsigned ncases = 200;
static unsigned stage_names;

#if TOPO_SANITIZED
#define MAX_INST 12
#define MAX_EVENTS 120
#else
#define MAX_INST 20
#define MAX_EVENTS 400
#endif

static unsigned pick(uint64_t *rs, unsigned n)
{
    return (unsigned)(topo_rand(rs) % n);
}

static struct qtp_node *gen(uint64_t *rs, unsigned depth, bool shards)
{
    if (depth == 0 || pick(rs, 100) < 30) {
        char name[16];
        snprintf(name, sizeof(name), "g%u", ++stage_names);
        struct qtp_stage_params p = {name, pick(rs, 10) == 0 ? pick(rs, 2000) : 0, 0};
        return qtp_stage(&p);
    }
    switch (pick(rs, shards ? 3 : 2)) {
    case 0: {
        unsigned n = 2 + pick(rs, 2);
        struct qtp_node *v[3];
        for (unsigned i = 0; i < n; i++)
            v[i] = gen(rs, depth - 1, shards);
        return qtp_seqv(n, v);
    }
    case 1: {
        unsigned n = 1 + pick(rs, 4);
        struct qtp_node *v[4];
        for (unsigned i = 0; i < n; i++)
            v[i] = gen(rs, depth - 1, shards);
        return qtp_fanout(n, v);
    }
    default:
        return qtp_shard(gen(rs, depth - 1, shards), 1u << pick(rs, 3));
    }
}

/* A random description that fits the limits of this build. */
static void gen_topology(uint64_t *rs, struct qtp_topology *t)
{
    for (;;) {
        stage_names = 0;
        bool multi = pick(rs, 10) == 0;
        struct qtp_node *root;
        if (multi) {
            struct qtp_stage_params p = {"first", 0, 0};
            root = qtp_seq(qtp_stage(&p), gen(rs, 3, false));
        } else {
            root = gen(rs, 3, true);
            if (pick(rs, 2)) {
                struct qtp_stage_params p = {"last", 0, 0};
                root = qtp_seq(root, qtp_stage(&p));
            }
        }
        static const size_t payloads[] = {0, 8, 16, 24, 100, 1024};
        if (qtp_topology_init(t, "random", root, multi ? 3 : 1, payloads[pick(rs, 6)]) != 0)
            continue;
        if (t->ninstances <= MAX_INST)
            return;
        qtp_topology_fini(t);
    }
}

static void test_property(void **state)
{
    (void)state;
    uint64_t rs = seed;
    unsigned runs = 0, max_threads = 0;
    uint64_t events = 0;
    double t0 = topo_now();
    for (unsigned c = 0; c < ncases; c++) {
        struct qtp_topology t;
        gen_topology(&rs, &t);
        if (t.nthreads > max_threads)
            max_threads = t.nthreads;
        uint32_t ring = 1u << pick(&rs, 7);
        struct topo_run base = {0};
        base.ring_size = ring;
        base.batch = 1 + pick(&rs, ring);
        base.consumer_batch = pick(&rs, 4) == 0 ? 1 + pick(&rs, 3) : 0;
        base.warmup = pick(&rs, 4);
        base.events = pick(&rs, 5) == 0 ? pick(&rs, 6) : pick(&rs, MAX_EVENTS);
        base.seed = topo_rand(&rs);
        base.record_latency = pick(&rs, 2);
        base.timeout_s = 60;
        /* Busy-spinning more threads than cores is slow, not wrong: only with small counts. */
        bool spin_ok = t.nthreads <= 3 && base.warmup + base.events <= 50;
        unsigned ring_cfg = spin_ok ? pick(&rs, 3) : 1 + pick(&rs, 2);
        unsigned mutex_cfg = 3 + pick(&rs, 2);
        unsigned ck_cfg = spin_ok ? 7 + pick(&rs, 3) : 8 + pick(&rs, 2);
        unsigned cfgs[3] = {ring_cfg, mutex_cfg, ck_cfg};
        for (unsigned k = 0; k < 3; k++) {
            struct topo_run r = base;
            topo_config(cfgs[k], &r);
            int rc = topo_run(&t, &r);
            if (rc != 0 || !r.verified || r.events_done != r.events * t.producers) {
                char desc[4096];
                qtp_topology_describe(&t, desc, sizeof(desc));
                print_error("case %u (seed %llu) over %s: ring %u batch %u consumer batch %u "
                            "warmup %llu events %llu (done %llu) payload %zu: rc %d: "
                            "%s\n%s\nprogress: %s\n",
                            c, (unsigned long long)seed, topo_config_name(cfgs[k]), ring, r.batch,
                            r.consumer_batch, (unsigned long long)r.warmup,
                            (unsigned long long)r.events, (unsigned long long)r.events_done,
                            t.payload, rc, r.reason, desc, r.progress);
                fail();
            }
            assert_int_equal(r.events_done, r.events * t.producers);
            runs++;
            events += (r.warmup + r.events) * t.producers;
        }
        qtp_topology_fini(&t);
    }
    printf("  %u cases, %u runs, %llu events, up to %u threads, %.2f s\n", ncases, runs,
           (unsigned long long)events, max_threads, topo_now() - t0);
}

int main(int argc, char **argv)
{
    seed = topo_seed(argc, argv);
    const char *e = getenv("QTOPO_PROPERTY_CASES");
    if (e && *e)
        ncases = (unsigned)strtoul(e, NULL, 0);
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--cases") == 0)
            ncases = (unsigned)strtoul(argv[i + 1], NULL, 0);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_property)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
