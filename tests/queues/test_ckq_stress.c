/* Stress of the ck_ring queues under one wait strategy (argv[1]: a row of the wait registry):
 *   spsc       1P -> 1C (the spsc variant)
 *   sequencer  3P -> 1C (mpmc)
 *   mpmc       2P -> 2C sharing one queue (mpmc)
 * each at capacity 64 and, with fewer events, at capacity 2 (full and empty all the time).
 * Checks: nothing lost and nothing duplicated (every producer's every event seen exactly once
 * over all consumers), per-producer order at each consumer (contiguous with one consumer), each
 * value, a checksum. Producers mix try_push with push; the last producer to finish closes the
 * queue gracefully, as the deployments do, so the drain is checked too. Options: --long (10x),
 * --seed N. Counts shrink 10x in sanitizer builds, and 200x (in every build) when threads that
 * never give their CPU away outnumber the CPUs: that case is slow, not hung. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest.h"
#include "qtp_ckq.h"

#define MAXP 3
#define MAXC 2

struct sev {
    uint64_t value;
    uint64_t pseq;
    uint32_t producer;
    uint32_t pad;
    uint64_t tail; /* ~value: a torn copy shows */
};

static const struct qtp_wait_ops *g_wait;
static uint64_t g_seed;
static uint64_t g_events;

static uint64_t ev_value(uint32_t producer, uint64_t pseq)
{
    return qt_mix(g_seed ^ ((uint64_t)producer << 48) ^ pseq);
}

struct run;

struct prod {
    struct run *run;
    uint32_t id;
    uint64_t rng;
    uint64_t sum;
    uint64_t done;
    int rc;
};

struct cons {
    struct run *run;
    int64_t last[MAXP];
    uint8_t *seen[MAXP]; /* this consumer's sightings, per producer sequence */
    uint64_t count;
    uint64_t sum;
    uint64_t errors;
    char first_error[160];
    int rc;
};

struct run {
    struct qtp_ckq *q;
    uint32_t nprod, ncons;
    uint64_t per;
    _Atomic uint32_t producers_left;
    struct prod prods[MAXP];
    struct cons conss[MAXC];
};

static void *prod_main(void *arg)
{
    struct prod *p = arg;
    struct run *r = p->run;
    for (uint64_t i = 0; i < r->per; i++) {
        uint64_t v = ev_value(p->id, i);
        struct sev e = {v, i, p->id, 0, ~v};
        int rc;
        if (qt_rand(&p->rng) % 4 == 0) {
            rc = qtp_ckq_try_push(r->q, &e);
            if (rc == EAGAIN)
                rc = qtp_ckq_push(r->q, &e);
        } else {
            rc = qtp_ckq_push(r->q, &e);
        }
        if (rc) {
            p->rc = rc;
            break;
        }
        p->sum += v;
        p->done = i + 1;
    }
    /* The last producer closes: every push of the others returned before (acq_rel). */
    if (atomic_fetch_sub(&r->producers_left, 1) == 1)
        qtp_ckq_close(r->q, QTP_CLOSE_GRACEFUL);
    return NULL;
}

static void bad(struct cons *c, const char *what, const struct sev *e)
{
    if (c->errors++ == 0)
        snprintf(c->first_error, sizeof c->first_error,
                 "%s (producer %u, sequence %" PRIu64 ", after %" PRIu64 " events)", what,
                 e->producer, e->pseq, c->count);
}

static void *cons_main(void *arg)
{
    struct cons *c = arg;
    struct run *r = c->run;
    for (uint32_t i = 0; i < MAXP; i++)
        c->last[i] = -1;
    struct sev e;
    int rc;
    while ((rc = qtp_ckq_pop(r->q, &e)) == 0) {
        if (e.producer >= r->nprod || e.pseq >= r->per) {
            bad(c, "bad producer or sequence", &e);
            continue;
        }
        if (e.value != ev_value(e.producer, e.pseq) || e.tail != ~e.value)
            bad(c, "wrong value", &e);
        else if ((int64_t)e.pseq <= c->last[e.producer])
            bad(c, "out of order", &e);
        else if (r->ncons == 1 && (int64_t)e.pseq != c->last[e.producer] + 1)
            bad(c, "gap", &e);
        c->last[e.producer] = (int64_t)e.pseq;
        c->seen[e.producer][e.pseq]++;
        c->count++;
        c->sum += e.value;
    }
    c->rc = rc;
    return NULL;
}

static void run_case(const char *name, uint32_t nprod, uint32_t ncons, size_t capacity,
                     uint64_t events)
{
    uint32_t threads = nprod + ncons;
    uint64_t total = qt_scale(events);
    if (g_wait->spins && threads > (uint32_t)qt_ncpus())
        total = events / 200;
    static struct run r;
    memset(&r, 0, sizeof r);
    r.nprod = nprod;
    r.ncons = ncons;
    r.per = total / nprod;
    total = r.per * nprod;
    atomic_init(&r.producers_left, nprod);
    assert_int_equal(
        qtp_ckq_kinds[0].create(&r.q, capacity, sizeof(struct sev), nprod, ncons, g_wait), 0);
    for (uint32_t j = 0; j < ncons; j++) {
        r.conss[j].run = &r;
        for (uint32_t i = 0; i < nprod; i++)
            assert_non_null(r.conss[j].seen[i] = calloc(r.per, 1));
    }
    pthread_t pt[MAXP], ct[MAXC];
    double t0 = qt_now();
    for (uint32_t j = 0; j < ncons; j++)
        assert_int_equal(pthread_create(&ct[j], NULL, cons_main, &r.conss[j]), 0);
    for (uint32_t i = 0; i < nprod; i++) {
        r.prods[i] = (struct prod){&r, i, g_seed * 31 + i, 0, 0, 0};
        assert_int_equal(pthread_create(&pt[i], NULL, prod_main, &r.prods[i]), 0);
    }
    /* The ctest TIMEOUT is the last resort; this deadline reports where things stood. */
    const double deadline = 240.0;
    bool stuck = false;
    for (uint32_t i = 0; i < nprod && !stuck; i++)
        stuck = qt_join_within(pt[i], deadline - (qt_now() - t0), NULL) != 0;
    for (uint32_t j = 0; j < ncons && !stuck; j++)
        stuck = qt_join_within(ct[j], deadline - (qt_now() - t0), NULL) != 0;
    if (stuck) {
        fprintf(stderr, "%s/%s stuck: depth %zu, sleepers %d; produced", name, g_wait->name,
                qtp_ckq_depth(r.q), qtp_ckq_sleepers(r.q));
        for (uint32_t i = 0; i < nprod; i++)
            fprintf(stderr, " P%u=%" PRIu64, i, r.prods[i].done);
        for (uint32_t j = 0; j < ncons; j++)
            fprintf(stderr, " C%u=%" PRIu64, j, r.conss[j].count);
        fprintf(stderr, "\n");
        qtp_ckq_close(r.q, QTP_CLOSE_FORCED);
        fail_msg("%s/%s made no progress for %.0f s", name, g_wait->name, deadline);
    }
    double dt = qt_now() - t0;

    uint64_t want = 0, got = 0, count = 0;
    for (uint32_t i = 0; i < nprod; i++) {
        assert_int_equal(r.prods[i].rc, 0);
        assert_int_equal(r.prods[i].done, r.per);
        want += r.prods[i].sum;
    }
    for (uint32_t j = 0; j < ncons; j++) {
        struct cons *c = &r.conss[j];
        if (c->errors)
            fail_msg("%s/%s C%u: %" PRIu64 " errors, first: %s", name, g_wait->name, j, c->errors,
                     c->first_error);
        assert_int_equal(c->rc, EPIPE); /* drained, then closed */
        got += c->sum;
        count += c->count;
    }
    /* Exactly once, over all consumers. */
    for (uint32_t i = 0; i < nprod; i++)
        for (uint64_t s = 0; s < r.per; s++) {
            unsigned n = 0;
            for (uint32_t j = 0; j < ncons; j++)
                n += r.conss[j].seen[i][s];
            if (n != 1)
                fail_msg("%s/%s: producer %u's event %" PRIu64 " seen %u times", name, g_wait->name,
                         i, s, n);
        }
    assert_int_equal(count, total);
    assert_int_equal(got, want);
    assert_int_equal(qtp_ckq_depth(r.q), 0);
    printf("  %-9s %-5s cap %-3zu %9" PRIu64 " events %6.2f s (%.2g events/s, not a benchmark)\n",
           name, g_wait->name, capacity, total, dt, (double)total / dt);
    fflush(stdout);
    for (uint32_t j = 0; j < ncons; j++)
        for (uint32_t i = 0; i < nprod; i++)
            free(r.conss[j].seen[i]);
    qtp_ckq_destroy(r.q);
}

struct shape {
    const char *name;
    uint32_t nprod, ncons;
    size_t capacity;
    unsigned fewer; /* events divided by this */
};

static const struct shape shapes[] = {
    {"spsc", 1, 1, 64, 1}, {"sequencer", 3, 1, 64, 1}, {"mpmc", 2, 2, 64, 1},
    {"spsc", 1, 1, 2, 10}, {"sequencer", 3, 1, 2, 10}, {"mpmc", 2, 2, 2, 10},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

static void test_shape(void **state)
{
    const struct shape *s = *state;
    run_case(s->name, s->nprod, s->ncons, s->capacity, g_events / s->fewer);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !(g_wait = qtp_wait_find(argv[1]))) {
        fprintf(stderr, "usage: %s WAIT [--long] [--seed N] (WAIT: a wait strategy:", argv[0]);
        for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++)
            fprintf(stderr, " %s", w->name);
        fprintf(stderr, ")\n");
        return 2;
    }
    g_seed = qt_seed(argc, argv);
    g_events = 2000000;
    if (qt_has_flag(argc, argv, "--long"))
        g_events *= 10;
    struct CMUnitTest tests[NSHAPES];
    char names[NSHAPES][32];
    for (size_t i = 0; i < NSHAPES; i++) {
        snprintf(names[i], sizeof names[i], "%s_cap%zu", shapes[i].name, shapes[i].capacity);
        tests[i] = (struct CMUnitTest){names[i], test_shape, NULL, NULL, (void *)&shapes[i]};
    }
    return cmocka_run_group_tests_name("queues_ckq_stress", tests, NULL, NULL);
}
