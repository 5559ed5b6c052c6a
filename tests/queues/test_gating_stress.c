/* Stress of qtp_ring_remove_gating under one wait strategy (argv[1]: a row of the wait table,
 * with parameters if any): readers leave while producers claim. Each round: 1 producer (SP) or
 * 3 (MP) with random claim sizes, mixing try_claim with claim; a reader that stays to the end;
 * three readers that each leave at a random sequence, removing themselves from their own thread;
 * and a stage the main thread moves for a random while, then removes (it reads nothing). Rings
 * of 2, 4 and 64. The reader that stays must see every event exactly once in per-producer order;
 * a leaver exactly the prefix before its leave point. Options: --long (10x events), --seed N.
 * Counts shrink 10x in sanitizer builds, and 200x when pure spinners outnumber the CPUs (slow,
 * not hung: spinners burn their time slices). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest.h"
#include "qtp_ring.h"

#define MAXP 3
#define NLEAVERS 3
#define MAX_BATCH 16
#define LEAVE 7

static struct qtp_wait_spec g_spec;
static uint64_t g_seed;
static uint64_t g_events;

static uint64_t ev_value(uint32_t producer, uint64_t i)
{
    return qt_mix(g_seed ^ ((uint64_t)producer << 48) ^ i);
}

struct ev {
    uint64_t value;
    uint32_t producer;
    uint32_t pad;
    uint64_t index; /* in its producer's stream */
};

struct reader {
    struct qtp_processor p;
    struct qtp_ring *r;
    uint32_t nprod;
    int64_t leave_at; /* INT64_MAX: stays */
    uint64_t next[MAXP];
    uint64_t count;
    uint64_t errors;
    char first_error[128];
    int remove_rc;
    int rc;
};

static int handler(void *ctx, void *slot, int64_t seq, bool eob)
{
    (void)eob;
    struct reader *rd = ctx;
    if (seq == rd->leave_at)
        return LEAVE;
    const struct ev *e = slot;
    const char *bad = NULL;
    if (e->producer >= rd->nprod)
        bad = "bad producer";
    else if (e->index != rd->next[e->producer])
        bad = e->index < rd->next[e->producer] ? "duplicate or reordered" : "lost event";
    else if (e->value != ev_value(e->producer, e->index))
        bad = "wrong value (overwritten while read?)";
    if (bad && rd->errors++ == 0)
        snprintf(rd->first_error, sizeof rd->first_error, "%s at sequence %" PRId64, bad, seq);
    if (!bad)
        rd->next[e->producer]++;
    rd->count++;
    return 0;
}

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    rd->rc = qtp_processor_run(&rd->p);
    if (rd->rc == LEAVE)
        rd->remove_rc = qtp_ring_remove_gating(rd->r, &rd->p.seq);
    return NULL;
}

struct producer {
    struct qtp_ring *r;
    uint32_t id;
    uint32_t max_batch;
    uint64_t n;
    uint64_t rng;
    uint64_t done;
    int rc;
};

static void *producer_main(void *arg)
{
    struct producer *p = arg;
    uint64_t i = 0;
    while (i < p->n) {
        uint64_t x = qt_rand(&p->rng);
        uint32_t n = 1 + (uint32_t)(x % p->max_batch);
        if (n > p->n - i)
            n = (uint32_t)(p->n - i);
        int64_t hi;
        if (!((x >> 32) % 4 == 0 && qtp_ring_try_claim(p->r, n, &hi)) &&
            (p->rc = qtp_ring_claim(p->r, n, &hi)) != 0)
            return NULL;
        int64_t lo = hi - n + 1;
        for (int64_t s = lo; s <= hi; s++, i++) {
            struct ev *e = qtp_ring_slot(p->r, s);
            *e = (struct ev){ev_value(p->id, i), p->id, 0, i};
        }
        qtp_ring_publish(p->r, lo, hi);
        p->done = i;
    }
    return NULL;
}

struct round {
    uint32_t cap;
    enum qtp_producer_kind kind;
};

static void run_round(const struct round *rd, uint64_t seed)
{
    uint32_t nprod = rd->kind == QTP_PRODUCER_MULTI ? MAXP : 1;
    uint32_t threads = nprod + 1 + NLEAVERS + 1; /* and the main thread's stage */
    /* Rings of 2 and 4 hand over on nearly every event: a quarter of the events. */
    uint64_t events = rd->cap < 64 ? g_events / 4 : g_events;
    uint64_t total = qt_scale(events);
    if (g_spec.ops->spins && threads > (uint32_t)qt_ncpus())
        total = events / 200;
    uint64_t per = total / nprod;
    total = per * nprod;
    uint64_t rng = seed;

    struct qtp_ring_config cfg = {rd->cap, sizeof(struct ev), rd->kind, g_spec.ops};
    struct qtp_ring *r;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    assert_int_equal(qtp_ring_set_wait_params(r, &g_spec.params), 0);

    static struct reader readers[1 + NLEAVERS];
    memset(readers, 0, sizeof readers);
    struct qtp_seq stage; /* the main thread's: reads nothing, moves, then leaves */
    qtp_seq_init(&stage, QTP_SEQ_INITIAL);
    const struct qtp_seq *gating[2 + NLEAVERS] = {&stage};
    for (uint32_t j = 0; j <= NLEAVERS; j++) {
        struct reader *x = &readers[j];
        x->r = r;
        x->nprod = nprod;
        x->leave_at = j == 0 ? INT64_MAX : (int64_t)(qt_rand(&rng) % (total + 1));
        struct qtp_barrier b;
        assert_int_equal(qtp_barrier_init(&b, r, NULL, 0), 0);
        /* Leavers take one event at a time or any batch; the stayer batches by 7. */
        qtp_processor_init(&x->p, &b, handler, x, j == 0 ? 7 : (j % 2 ? 1 : 0));
        gating[1 + j] = &x->p.seq;
    }
    assert_int_equal(qtp_ring_set_gating(r, gating, 2 + NLEAVERS), 0);

    pthread_t rt[1 + NLEAVERS], pt[MAXP];
    struct producer prods[MAXP];
    double t0 = qt_now();
    for (uint32_t j = 0; j <= NLEAVERS; j++)
        assert_int_equal(pthread_create(&rt[j], NULL, reader_main, &readers[j]), 0);
    for (uint32_t i = 0; i < nprod; i++) {
        uint32_t mb = rd->cap < MAX_BATCH ? rd->cap : MAX_BATCH;
        prods[i] = (struct producer){r, i, mb, per, seed * 31 + i, 0, 0};
        assert_int_equal(pthread_create(&pt[i], NULL, producer_main, &prods[i]), 0);
    }
    /* The main thread's stage follows the published cursor until a random point, then leaves
     * while the producers claim. */
    int64_t stage_until = (int64_t)(qt_rand(&rng) % (total + 1)) - 1;
    while (qtp_seq_get(&stage) < stage_until && qt_now() - t0 < 60.0) {
        int64_t p = qtp_ring_published(r);
        if (p > stage_until)
            p = stage_until;
        if (p > qtp_seq_get(&stage)) {
            qtp_seq_set(&stage, p);
            qtp_ring_signal(r);
        } else {
            sched_yield();
        }
    }
    assert_int_equal(qtp_ring_remove_gating(r, &stage), 0);

    const double deadline = 240.0;
    bool stuck = false;
    for (uint32_t i = 0; i < nprod; i++)
        if (qt_join_within(pt[i], deadline - (qt_now() - t0), NULL) != 0)
            stuck = true;
    if (!stuck)
        qtp_ring_halt(r, QTP_HALT_GRACEFUL);
    for (uint32_t j = 0; j <= NLEAVERS && !stuck; j++)
        if (qt_join_within(rt[j], deadline - (qt_now() - t0), NULL) != 0)
            stuck = true;
    if (stuck) {
        fprintf(stderr, "cap %u %s stuck: claimed %" PRId64 " published %" PRId64, rd->cap,
                nprod > 1 ? "MP" : "SP", qtp_ring_claimed(r), qtp_ring_published(r));
        for (uint32_t j = 0; j <= NLEAVERS; j++)
            fprintf(stderr, " R%u=%" PRId64 "/leave %" PRId64, j, qtp_seq_get(&readers[j].p.seq),
                    readers[j].leave_at);
        fprintf(stderr, "\n");
        qtp_ring_halt(r, QTP_HALT_FORCED);
        fail_msg("no progress for %.0f s", deadline);
    }
    double dt = qt_now() - t0;

    for (uint32_t i = 0; i < nprod; i++) {
        assert_int_equal(prods[i].rc, 0);
        assert_int_equal(prods[i].done, per);
    }
    for (uint32_t j = 0; j <= NLEAVERS; j++) {
        struct reader *x = &readers[j];
        if (x->errors)
            fail_msg("cap %u R%u: %" PRIu64 " errors, first: %s", rd->cap, j, x->errors,
                     x->first_error);
        bool left = x->leave_at < (int64_t)total;
        uint64_t want = left ? (uint64_t)x->leave_at : total;
        assert_int_equal(x->count, want);
        assert_int_equal(qtp_seq_get(&x->p.seq), (int64_t)want - 1);
        assert_int_equal(x->rc, left ? LEAVE : 0);
        assert_int_equal(x->remove_rc, 0);
        if (!left)
            for (uint32_t i = 0; i < nprod; i++)
                assert_int_equal(x->next[i], per);
    }
    printf("  cap %-3u %s %-7s %8" PRIu64 " events %6.2f s, leave at %" PRId64 " %" PRId64
           " %" PRId64 ", stage until %" PRId64 "\n",
           rd->cap, nprod > 1 ? "MP" : "SP", g_spec.ops->name, total, dt, readers[1].leave_at,
           readers[2].leave_at, readers[3].leave_at, stage_until);
    fflush(stdout);
    qtp_ring_destroy(r);
}

static const struct round rounds[] = {
    {2, QTP_PRODUCER_SINGLE}, {4, QTP_PRODUCER_SINGLE}, {64, QTP_PRODUCER_SINGLE},
    {2, QTP_PRODUCER_MULTI},  {4, QTP_PRODUCER_MULTI},  {64, QTP_PRODUCER_MULTI},
};
#define NROUNDS (sizeof rounds / sizeof rounds[0])

static void test_round(void **state)
{
    const struct round *rd = *state;
    /* Three draws of leave points per ring. */
    for (uint64_t k = 0; k < 3; k++)
        run_round(rd, qt_mix(g_seed + (uint64_t)(rd - rounds) * 3 + k));
}

int main(int argc, char **argv)
{
    char err[256];
    if (argc < 2 || qtp_wait_parse(argv[1], &g_spec, err, sizeof err) != 0) {
        fprintf(stderr, "usage: %s WAIT [--long] [--seed N]%s%s\n", argv[0], argc < 2 ? "" : ": ",
                argc < 2 ? "" : err);
        return 2;
    }
    g_seed = qt_seed(argc, argv);
    g_events = 200000;
    if (qt_has_flag(argc, argv, "--long"))
        g_events *= 10;
    static char names[NROUNDS][32];
    struct CMUnitTest tests[NROUNDS];
    for (size_t i = 0; i < NROUNDS; i++) {
        snprintf(names[i], sizeof names[i], "cap%u_%s", rounds[i].cap,
                 rounds[i].kind == QTP_PRODUCER_MULTI ? "mp" : "sp");
        tests[i] = (struct CMUnitTest){names[i], test_round, NULL, NULL, (void *)&rounds[i]};
    }
    return cmocka_run_group_tests_name("queues_gating_stress", tests, NULL, NULL);
}
