/* qtp_ring_remove_gating. Without arguments: its bookkeeping and errors (single-threaded), and
 * that a departed reader un-gates the producers: they finish although the reader never moves
 * again, whether it stalls, then leaves itself (from its own thread), or never runs and another
 * thread removes it; every wait strategy, one producer and two, rings of 2 and 4 (every claim
 * wraps).
 * With a wait strategy (argv[1], with parameters if any): the stress, readers leaving while
 * producers claim. Each round: 1 producer (SP) or 3 (MP) with random claim sizes; a reader that
 * stays to the end; three readers that each leave at a random sequence, removing themselves;
 * and a stage the main thread moves for a random while, then removes (it reads nothing). Rings
 * of 2, 4 and 64. The reader that stays must see every event exactly once in per-producer order,
 * a leaver exactly the prefix before its leave point. Options: --long (10x events), --seed N.
 * Counts shrink 10x in sanitizer builds, and 200x when pure spinners outnumber the CPUs (slow,
 * not hung: spinners burn their time slices). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "qtest_ring.h"

#define MAXP 3
#define NLEAVERS 3
#define MAX_BATCH 16
#define LEAVE 7 /* a handler's "I am leaving" */

static struct qtp_wait_spec g_spec;
static uint64_t g_seed;
static uint64_t g_events;

static struct qtp_ring *make_ring(uint32_t cap, enum qtp_producer_kind k, const char *wait)
{
    struct qtp_ring_config cfg = {cap, sizeof(struct qt_event), k, qtp_wait_find(wait)};
    struct qtp_ring *r = NULL;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    return r;
}

static void test_remove_bookkeeping(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        enum qtp_producer_kind pk = k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE;
        struct qtp_ring *r = make_ring(4, pk, "spin");
        struct qtp_seq a, b, c;
        qtp_seq_init(&a, QTP_SEQ_INITIAL);
        qtp_seq_init(&b, QTP_SEQ_INITIAL);
        qtp_seq_init(&c, QTP_SEQ_INITIAL);
        const struct qtp_seq *g[] = {&a, &b};
        assert_int_equal(qtp_ring_set_gating(r, g, 2), 0);
        assert_int_equal(qtp_ring_remove_gating(r, NULL), EINVAL);
        assert_int_equal(qtp_ring_remove_gating(NULL, &a), EINVAL);
        assert_int_equal(qtp_ring_remove_gating(r, &c), ENOENT);
        qt_publish_n(r, 4);
        int64_t hi;
        assert_false(qtp_ring_try_claim(r, 1, &hi)); /* full: a and b at -1 */
        assert_int_equal(qtp_ring_remove_gating(r, &a), 0);
        assert_int_equal(qtp_ring_remove_gating(r, &a), ENOENT);
        assert_false(qtp_ring_try_claim(r, 1, &hi)); /* b still gates */
        qtp_seq_set(&b, 1);
        assert_true(qtp_ring_try_claim(r, 2, &hi)); /* b's room, whatever a says */
        assert_int_equal(hi, 5);
        qtp_ring_publish(r, 4, 5);
        assert_false(qtp_ring_try_claim(r, 1, &hi));
        /* Without gating sequences left, nothing gates: far past a capacity. */
        assert_int_equal(qtp_ring_remove_gating(r, &b), 0);
        qt_publish_n(r, 100);
        assert_int_equal(qtp_ring_claimed(r), 105);
        /* set_gating starts a new set, with nothing removed. */
        qtp_seq_set(&a, 105);
        assert_int_equal(qtp_ring_set_gating(r, g, 1), 0);
        qt_publish_n(r, 4);
        assert_false(qtp_ring_try_claim(r, 1, &hi));
        /* A sequence named twice leaves at once. */
        const struct qtp_seq *twice[] = {&a, &c, &a};
        assert_int_equal(qtp_ring_set_gating(r, twice, 3), 0);
        qtp_seq_set(&c, INT64_MAX / 2);
        assert_false(qtp_ring_try_claim(r, 1, &hi));
        assert_int_equal(qtp_ring_remove_gating(r, &a), 0);
        assert_true(qtp_ring_try_claim(r, 1, &hi));
        assert_int_equal(qtp_ring_remove_gating(r, &a), ENOENT);
        qtp_ring_destroy(r);
    }
}

/* True once the producers wait for room the reader owning s does not give: the ring is full
 * against s and stays so (s does not move meanwhile). False after 5 s. */
static bool wait_gated(struct qtp_ring *r, const struct qtp_seq *s)
{
    double t0 = qt_now();
    int64_t want = qtp_seq_get(s) + (int64_t)qtp_ring_capacity(r);
    while (qtp_ring_claimed(r) != want) {
        if (qt_now() - t0 > 5.0)
            return false;
        qt_sleep_ms(1);
    }
    qt_sleep_ms(10);
    return qtp_ring_claimed(r) == want;
}

struct reader {
    struct qtp_processor p;
    struct qtp_ring *r;
    uint32_t nprod;
    int64_t leave_at; /* leave on reaching this sequence; INT64_MAX: stay */
    bool stall;       /* at leave_at, first wait until the producers wait for us */
    uint64_t next[MAXP];
    uint64_t count;
    uint64_t errors;
    char first_error[128];
    bool gated;    /* stall: the producers did wait for us */
    int remove_rc; /* what our qtp_ring_remove_gating returned */
    int rc;
};

/* Per-producer order, nothing lost or duplicated, each value. */
static int handler(void *ctx, void *slot, int64_t seq, bool eob)
{
    (void)eob;
    struct reader *rd = ctx;
    if (seq == rd->leave_at) {
        if (rd->stall)
            rd->gated = wait_gated(rd->r, &rd->p.seq);
        return LEAVE;
    }
    const struct qt_event *e = slot;
    const char *bad = NULL;
    if (e->producer >= rd->nprod)
        bad = "bad producer";
    else if (e->pseq != rd->next[e->producer])
        bad = e->pseq < rd->next[e->producer] ? "duplicate or reordered" : "lost event";
    else if (e->value != qt_event_value(g_seed, e->producer, e->pseq))
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
    /* Leaving: from our own thread, after our last read. */
    if (rd->rc == LEAVE)
        rd->remove_rc = qtp_ring_remove_gating(rd->r, &rd->p.seq);
    return NULL;
}

static void reader_init(struct reader *rd, struct qtp_ring *r, uint32_t nprod, int64_t leave_at,
                        uint32_t max_batch)
{
    memset(rd, 0, sizeof *rd);
    rd->r = r;
    rd->nprod = nprod;
    rd->leave_at = leave_at;
    struct qtp_barrier b;
    assert_int_equal(qtp_barrier_init(&b, r, NULL, 0), 0);
    qtp_processor_init(&rd->p, &b, handler, rd, max_batch);
}

static void check_reader(const struct reader *rd, const char *what, uint64_t total, uint64_t per)
{
    if (rd->errors)
        fail_msg("%s: %" PRIu64 " errors, first: %s", what, rd->errors, rd->first_error);
    bool left = rd->leave_at < (int64_t)total;
    uint64_t want = left ? (uint64_t)rd->leave_at : total;
    assert_int_equal(rd->count, want);
    assert_int_equal(qtp_seq_get(&rd->p.seq), (int64_t)want - 1);
    assert_int_equal(rd->rc, left ? LEAVE : 0);
    assert_int_equal(rd->remove_rc, 0);
    if (!left)
        for (uint32_t i = 0; i < rd->nprod; i++)
            assert_int_equal(rd->next[i], per);
}

#define PER_PRODUCER 3000

/* ghost: the departed reader never runs at all and the main thread removes it; else it reads
 * up to sequence 5, stalls there until the producers wait for it, and removes itself. */
static void ungate_one(const char *wait, enum qtp_producer_kind pk, uint32_t cap, bool ghost)
{
    char what[96];
    snprintf(what, sizeof what, "%s %s cap %u %s", wait, pk ? "MP" : "SP", cap,
             ghost ? "never-started reader" : "reader leaving at 5");
    uint32_t nprod = pk == QTP_PRODUCER_MULTI ? 2 : 1;
    uint64_t total = (uint64_t)nprod * PER_PRODUCER;
    struct qtp_ring *r = make_ring(cap, pk, wait);
    static struct reader stay, leave;
    reader_init(&stay, r, nprod, INT64_MAX, 0);
    reader_init(&leave, r, nprod, ghost ? 0 : 5, 0);
    leave.stall = true;
    const struct qtp_seq *g[] = {&stay.p.seq, &leave.p.seq};
    assert_int_equal(qtp_ring_set_gating(r, g, 2), 0);
    pthread_t ts, tl, tp[2];
    struct qt_producer prods[2];
    assert_int_equal(pthread_create(&ts, NULL, reader_main, &stay), 0);
    if (!ghost)
        assert_int_equal(pthread_create(&tl, NULL, reader_main, &leave), 0);
    for (uint32_t i = 0; i < nprod; i++) {
        /* One event per claim: the ring is then exactly full against a stalled reader. */
        prods[i] = (struct qt_producer){r, i, 1, g_seed, PER_PRODUCER, i, 0, 0, 0};
        assert_int_equal(pthread_create(&tp[i], NULL, qt_producer_main, &prods[i]), 0);
    }
    if (ghost) {
        leave.gated = wait_gated(r, &leave.p.seq);
        leave.remove_rc = qtp_ring_remove_gating(r, &leave.p.seq);
        leave.rc = LEAVE; /* it left without ever running */
    }
    for (uint32_t i = 0; i < nprod; i++)
        if (qt_join_within(tp[i], 20.0, NULL) != 0) /* the ctest timeout ends the process */
            fail_msg("%s: producer %u still gated 20 s after the reader left (claimed %" PRId64 ")",
                     what, i, qtp_ring_claimed(r));
    if (!ghost)
        assert_int_equal(qt_join_within(tl, 5.0, NULL), 0);
    qtp_ring_halt(r, QTP_HALT_GRACEFUL);
    assert_int_equal(qt_join_within(ts, 5.0, NULL), 0);
    for (uint32_t i = 0; i < nprod; i++)
        assert_int_equal(prods[i].rc, 0);
    if (!leave.gated)
        fail_msg("%s: the producers never waited for the departed reader", what);
    /* The stayer saw everything; the departed reader a prefix, then nothing. */
    check_reader(&stay, what, total, PER_PRODUCER);
    check_reader(&leave, what, total, PER_PRODUCER);
    qtp_ring_destroy(r);
}

static void test_departed_reader_ungates(void **state)
{
    (void)state;
    static const uint32_t caps[] = {2, 4};
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++)
        for (int k = 0; k < 2; k++)
            for (size_t c = 0; c < 2; c++)
                for (int ghost = 0; ghost < 2; ghost++)
                    ungate_one(w->name, k ? QTP_PRODUCER_MULTI : QTP_PRODUCER_SINGLE, caps[c],
                               ghost);
}

/* ---- the stress ---- */

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

    struct qtp_ring_config cfg = {rd->cap, sizeof(struct qt_event), rd->kind, g_spec.ops};
    struct qtp_ring *r;
    assert_int_equal(qtp_ring_create(&r, &cfg), 0);
    assert_int_equal(qtp_ring_set_wait_params(r, &g_spec.params), 0);

    static struct reader readers[1 + NLEAVERS];
    memset(readers, 0, sizeof readers);
    struct qtp_seq stage; /* the main thread's: reads nothing, moves, then leaves */
    qtp_seq_init(&stage, QTP_SEQ_INITIAL);
    const struct qtp_seq *gating[2 + NLEAVERS] = {&stage};
    for (uint32_t j = 0; j <= NLEAVERS; j++) {
        /* The stayer batches by 7; leavers take one event at a time or any batch. */
        reader_init(&readers[j], r, nprod,
                    j == 0 ? INT64_MAX : (int64_t)(qt_rand(&rng) % (total + 1)),
                    j == 0 ? 7 : (j % 2 ? 1 : 0));
        gating[1 + j] = &readers[j].p.seq;
    }
    assert_int_equal(qtp_ring_set_gating(r, gating, 2 + NLEAVERS), 0);

    pthread_t rt[1 + NLEAVERS], pt[MAXP];
    struct qt_producer prods[MAXP];
    double t0 = qt_now();
    for (uint32_t j = 0; j <= NLEAVERS; j++)
        assert_int_equal(pthread_create(&rt[j], NULL, reader_main, &readers[j]), 0);
    for (uint32_t i = 0; i < nprod; i++) {
        uint32_t mb = rd->cap < MAX_BATCH ? rd->cap : MAX_BATCH;
        prods[i] = (struct qt_producer){r, i, mb, g_seed, per, seed * 31 + i, 0, 0, 0};
        assert_int_equal(pthread_create(&pt[i], NULL, qt_producer_main, &prods[i]), 0);
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
        char what[32];
        snprintf(what, sizeof what, "cap %u R%u", rd->cap, j);
        check_reader(&readers[j], what, total, per);
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
    g_seed = qt_seed(argc, argv);
    if (argc < 2 || argv[1][0] == '-') {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_remove_bookkeeping),
            cmocka_unit_test(test_departed_reader_ungates),
        };
        return cmocka_run_group_tests_name("queues_gating", tests, NULL, NULL);
    }
    char err[256];
    if (qtp_wait_parse(argv[1], &g_spec, err, sizeof err) != 0) {
        fprintf(stderr, "usage: %s [WAIT [--long]] [--seed N]: %s\n", argv[0], err);
        return 2;
    }
    g_events = 100000;
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
