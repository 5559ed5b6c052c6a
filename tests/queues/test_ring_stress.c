/* Stress of the ring under one wait strategy (argv[1]: a row of the wait table, with parameters
 * if any, e.g. sleep or phased:spin=0ns,yield=0ns):
 *   unicast    1P -> 1C
 *   multicast  1P -> C1, C2, C3 (every consumer sees every event)
 *   diamond    1P -> {C1, C2} -> C3; C3 checks C1's and C2's writes on every event
 *   sequencer  3P -> 1C on a MULTI ring, per-producer order
 *   mpmc       2P -> C1, C2 on a MULTI ring (seed 002's many-writer multicast)
 * Every consumer checks: nothing lost, nothing duplicated, per-producer order, each value, and a
 * checksum. Producers use random batch sizes and mix try_claim with claim; the run ends with a
 * graceful halt, so the drain is checked too. Options: --long (10x events), --seed N. Counts
 * shrink 10x in sanitizer builds, and 200x (in every build) when pure spinners outnumber the
 * CPUs: that case is slow, not hung, as spinners burn their time slices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest_ring.h"

#define MAXP 3
#define MAXC 3
#define RING_CAP 64
#define MAX_BATCH 16

static const struct qtp_wait_ops *g_wait;
static struct qtp_wait_spec g_spec;
static uint64_t g_seed;
static uint64_t g_events; /* per case, before the oversubscription cut */

static uint64_t ev_value(uint32_t producer, uint64_t pseq)
{
    return qt_event_value(g_seed, producer, pseq);
}
static uint64_t f1(uint64_t v)
{
    return v * 3 + 1;
}
static uint64_t f2(uint64_t v)
{
    return v ^ 0x5555aaaa5555aaaaull;
}

enum role { PLAIN, DIAMOND_C1, DIAMOND_C2, DIAMOND_C3 };

struct consumer {
    struct qtp_processor p;
    enum role role;
    uint32_t nprod;
    bool single_producer; /* seq must equal the event's index */
    uint64_t next[MAXP];
    uint64_t count;
    uint64_t sum;
    uint64_t errors;
    char first_error[160];
    int rc;
};

static void bad(struct consumer *c, const char *what, int64_t seq)
{
    if (c->errors++ == 0)
        snprintf(c->first_error, sizeof c->first_error, "%s at sequence %" PRId64, what, seq);
}

static int handler(void *ctx, void *slot, int64_t seq, bool eob)
{
    (void)eob;
    struct consumer *c = ctx;
    struct qt_event *e = slot;
    if (e->producer >= c->nprod) {
        bad(c, "bad producer id", seq);
        return 0;
    }
    if (e->pseq != c->next[e->producer])
        bad(c, e->pseq < c->next[e->producer] ? "duplicate or reordered event" : "lost event", seq);
    c->next[e->producer] = e->pseq + 1;
    if (e->value != ev_value(e->producer, e->pseq))
        bad(c, "wrong value", seq);
    if (c->single_producer && (uint64_t)seq != e->pseq)
        bad(c, "sequence does not match the event", seq);
    switch (c->role) {
    case DIAMOND_C1:
        e->c1 = f1(e->value);
        break;
    case DIAMOND_C2:
        e->c2 = f2(e->value);
        break;
    case DIAMOND_C3:
        if (e->c1 != f1(e->value) || e->c2 != f2(e->value))
            bad(c, "C3 does not see C1's and C2's writes", seq);
        break;
    default:
        break;
    }
    c->count++;
    c->sum += e->value;
    return 0;
}

/* The batch-handler form of the same checks (walks the batch span by span). */
static int batch_handler(void *ctx, struct qtp_ring *r, int64_t lo, int64_t hi)
{
    for (int64_t s = lo; s <= hi;) {
        size_t n;
        struct qt_event *e = qtp_ring_span(r, s, hi, &n);
        for (size_t i = 0; i < n; i++, s++)
            handler(ctx, &e[i], s, s == hi);
    }
    return 0;
}

static void *consumer_main(void *arg)
{
    struct consumer *c = arg;
    c->rc = qtp_processor_run(&c->p);
    return NULL;
}

struct shape {
    const char *name;
    uint32_t nprod;
    uint32_t ncons;
    bool diamond;
};

static void run_shape(const struct shape *sh)
{
    uint32_t threads = sh->nprod + sh->ncons;
    uint64_t total = qt_scale(g_events);
    /* More pure spinners than CPUs: a full ring's producer (or a starved consumer) spins out
     * its whole time slice, so the run crawls at about one ring per scheduler tick, whatever
     * the build (so no sanitizer cut there). */
    if (g_wait->spins && threads > (uint32_t)qt_ncpus())
        total = g_events / 200;
    uint64_t per = total / sh->nprod;
    total = per * sh->nprod;

    struct qtp_ring_config cfg = {RING_CAP, sizeof(struct qt_event),
                                  sh->nprod > 1 ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, g_wait};
    struct qtp_ring *r;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    assert_int_equal(qtp_ring_set_wait_params(r, &g_spec.params), 0);

    static struct consumer cons[MAXC];
    memset(cons, 0, sizeof cons);
    const struct qtp_seq *gating[MAXC];
    size_t ngating = 0;
    for (uint32_t j = 0; j < sh->ncons; j++) {
        struct consumer *c = &cons[j];
        c->nprod = sh->nprod;
        c->single_producer = sh->nprod == 1;
        struct qtp_barrier b;
        if (sh->diamond && j == 2) {
            const struct qtp_seq *deps[] = {&cons[0].p.seq, &cons[1].p.seq};
            assert_int_equal(qtp_barrier_init(&b, r, deps, 2), 0);
            c->role = DIAMOND_C3;
        } else {
            assert_int_equal(qtp_barrier_init(&b, r, NULL, 0), 0);
            c->role = sh->diamond ? (j == 0 ? DIAMOND_C1 : DIAMOND_C2) : PLAIN;
        }
        /* Vary the consumers' batching: unlimited, 1, 7. */
        uint32_t max_batch = j == 0 ? 0 : (j == 1 ? 1 : 7);
        /* The multicast's third consumer uses a batch handler. */
        if (!sh->diamond && sh->ncons == 3 && j == 2)
            qtp_processor_init_batch(&c->p, &b, batch_handler, c, max_batch);
        else
            qtp_processor_init(&c->p, &b, handler, c, max_batch);
        if (!sh->diamond || j == 2)
            gating[ngating++] = &c->p.seq;
    }
    assert_int_equal(qtp_ring_set_gating(r, gating, ngating), 0);

    pthread_t ct[MAXC], pt[MAXP];
    struct qt_producer prods[MAXP];
    double t0 = qt_now();
    for (uint32_t j = 0; j < sh->ncons; j++)
        assert_int_equal(pthread_create(&ct[j], NULL, consumer_main, &cons[j]), 0);
    for (uint32_t i = 0; i < sh->nprod; i++) {
        prods[i] = (struct qt_producer){r, i, MAX_BATCH, g_seed, per, g_seed * 31 + i, 0, 0, 0};
        assert_int_equal(pthread_create(&pt[i], NULL, qt_producer_main, &prods[i]), 0);
    }
    /* The ctest TIMEOUT is the last resort; this deadline reports where things stood. */
    const double deadline = 240.0;
    bool stuck = false;
    for (uint32_t i = 0; i < sh->nprod; i++)
        if (qt_join_within(pt[i], deadline - (qt_now() - t0), NULL) != 0)
            stuck = true;
    if (!stuck)
        qtp_ring_halt(r, QTP_HALT_GRACEFUL);
    for (uint32_t j = 0; j < sh->ncons && !stuck; j++)
        if (qt_join_within(ct[j], deadline - (qt_now() - t0), NULL) != 0)
            stuck = true;
    if (stuck) {
        fprintf(stderr, "%s/%s stuck: claimed %" PRId64 " published %" PRId64, sh->name,
                g_wait->name, qtp_ring_claimed(r), qtp_ring_published(r));
        for (uint32_t j = 0; j < sh->ncons; j++)
            fprintf(stderr, " C%u=%" PRId64, j + 1, qtp_seq_get(&cons[j].p.seq));
        fprintf(stderr, "\n");
        qtp_ring_halt(r, QTP_HALT_FORCED);
        fail_msg("%s/%s made no progress for %.0f s", sh->name, g_wait->name, deadline);
    }
    double dt = qt_now() - t0;

    uint64_t want_sum = 0;
    for (uint32_t i = 0; i < sh->nprod; i++) {
        assert_int_equal(prods[i].rc, 0);
        assert_int_equal(prods[i].done, per);
        want_sum += prods[i].sum;
    }
    for (uint32_t j = 0; j < sh->ncons; j++) {
        struct consumer *c = &cons[j];
        if (c->errors)
            fail_msg("%s/%s C%u: %" PRIu64 " errors, first: %s", sh->name, g_wait->name, j + 1,
                     c->errors, c->first_error);
        assert_int_equal(c->rc, 0);
        assert_int_equal(c->count, total);
        assert_int_equal(c->sum, want_sum);
        for (uint32_t i = 0; i < sh->nprod; i++)
            assert_int_equal(c->next[i], per);
        assert_int_equal(qtp_seq_get(&c->p.seq), (int64_t)total - 1);
    }
    assert_int_equal(qtp_ring_published(r), (int64_t)total - 1);
    printf("  %-9s %-5s %9" PRIu64 " events %6.2f s (%.2g events/s, not a benchmark)\n", sh->name,
           g_wait->name, total, dt, (double)total / dt);
    fflush(stdout);
    qtp_ring_destroy(r);
}

static const struct shape shapes[] = {
    {"unicast", 1, 1, false},   {"multicast", 1, 3, false}, {"diamond", 1, 3, true},
    {"sequencer", 3, 1, false}, {"mpmc", 2, 2, false},
};

static void test_shape(void **state)
{
    run_shape(*state);
}

int main(int argc, char **argv)
{
    char err[256];
    if (argc < 2 || qtp_wait_parse(argv[1], &g_spec, err, sizeof err) != 0) {
        fprintf(stderr, "usage: %s WAIT [--long] [--seed N]%s%s\n", argv[0], argc < 2 ? "" : ": ",
                argc < 2 ? "" : err);
        return 2;
    }
    g_wait = g_spec.ops;
    g_seed = qt_seed(argc, argv);
    g_events = 2000000;
    if (qt_has_flag(argc, argv, "--long"))
        g_events *= 10;
    struct CMUnitTest tests[5];
    for (int i = 0; i < 5; i++)
        tests[i] = (struct CMUnitTest){shapes[i].name, test_shape, NULL, NULL, (void *)&shapes[i]};
    return cmocka_run_group_tests_name("queues_ring_stress", tests, NULL, NULL);
}
