/* deploy.c - what every deployment backend shares: the queue-kind registry, create/run/destroy,
 * the measured window and its check, progress, the comparison with the model.
 *
 * Threads are the same in every backend: one per producer, one per stage instance (index order:
 * producers, then instances depth-first); the backend (deploy_internal.h) runs their loops.
 * Backends count positions: a thread handling position p for partition (mod, res) has handled
 * (p - res) / mod events before it; with one producer, position == event seq.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "deploy_internal.h"
#include "qtp_table.h"

const struct qtp_queue_kind qtp_queue_kinds[] = {
    {"ring", "one Disruptor-style ring per topology, sequence barriers, zero copies",
     QTP_FAMILY_RING, true, &qtp__ring_backend, NULL, NULL},
    {"mutex-array", "one bounded mutex/condvar array queue per edge, events copied",
     QTP_FAMILY_MUTEX, false, &qtp__edge_backend, &qtp__edgeq_mutex, NULL},
    {"mutex-linked", "one bounded mutex/condvar linked queue per edge, a node malloc'd per event",
     QTP_FAMILY_MUTEX, false, &qtp__edge_backend, &qtp__edgeq_mutex, NULL},
    {"ck-ring",
     "one lock-free Concurrency Kit ck_ring per edge, events copied: SPSC, MPMC where an edge has "
     "several producers (sequencer); waits by the wait strategy",
     QTP_FAMILY_LOCKFREE, true, &qtp__edge_backend, &qtp__edgeq_ck, "yield"},
    {NULL, NULL, QTP_FAMILY_RING, false, NULL, NULL, NULL},
};

_Static_assert(offsetof(struct qtp_queue_kind, name) == 0,
               "qtp_table_find: the name is the first member");

const struct qtp_queue_kind *qtp_queue_kind_find(const char *name)
{
    return QTP_FIND_NAME(qtp_queue_kinds, name);
}

void *qtp__calloc_blocks(size_t n, size_t size)
{
    void *p;
    if (n > SIZE_MAX / size || posix_memalign(&p, QTP_CACHE_BLOCK, n * size))
        return NULL;
    return memset(p, 0, n * size);
}

void qtp__sb_printf(struct qtp__sb *b, const char *fmt, ...)
{
    if (b->used >= b->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s + b->used, b->len - b->used, fmt, ap);
    va_end(ap);
    b->used = n < 0 ? b->len : b->used + (size_t)n;
}

/* ---- the model, once per cell ---- */

struct qtp_deploy_model {
    const struct qtp_topology *t;
    uint64_t seed, count;
    struct qtp_expect e;
};

int qtp_deploy_model_create(struct qtp_deploy_model **out, const struct qtp_topology *t,
                            uint64_t seed, uint64_t count, const _Atomic int *stop)
{
    *out = NULL;
    struct qtp_deploy_model *m = malloc(sizeof(*m));
    if (!m)
        return ENOMEM;
    m->t = t;
    m->seed = seed;
    m->count = count;
    int rc = qtp_model_run_stoppable(t, seed, count, stop, &m->e);
    if (rc) {
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void qtp_deploy_model_destroy(struct qtp_deploy_model *m)
{
    free(m);
}

/* ---- errors found while running (a failed rep, never a crash) ---- */

static void error_v(struct qtp_deploy *d, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&d->err_lock);
    if (d->got->errors++ == 0)
        vsnprintf(d->got->error, sizeof(d->got->error), fmt, ap);
    pthread_mutex_unlock(&d->err_lock);
}

void qtp__deploy_error(struct qtp_deploy *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(d, fmt, ap);
    va_end(ap);
}

void qtp__deploy_abort(struct qtp_deploy *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(d, fmt, ap);
    va_end(ap);
    atomic_store(&d->broken, true);
    qtp_deploy_halt(d);
}

static const char *const bad_names[] = {
    [QTP__BAD_PRODUCER] = "producer",
    [QTP__BAD_ORDER] = "order (seq expected)",
    [QTP__BAD_INPUT] = "input",
};

void qtp__term_bad(struct qtp__term *ts, const struct qtp_graph *g, int64_t seq, unsigned producer,
                   enum qtp__bad what, size_t index, uint64_t want, uint64_t got)
{
    struct qtp_expect_term *et = &ts->et;
    if (et->bad++)
        return;
    et->bad_seq = seq;
    et->bad_producer = producer;
    if (what == QTP__BAD_FIELD)
        snprintf(et->bad_what, sizeof(et->bad_what), "field %zu (%s)", index, g->stage[index].name);
    else if (what == QTP__BAD_PAYLOAD)
        snprintf(et->bad_what, sizeof(et->bad_what), "payload byte %zu", index);
    else
        snprintf(et->bad_what, sizeof(et->bad_what), "%s", bad_names[what]);
    et->bad_want = want;
    et->bad_got = got;
}

/* ---- the window ---- */

void qtp__window_start(struct qtp_deploy *d)
{
    if (atomic_exchange(&d->window_started, true)) {
        /* Another producer is opening it: its snapshots (allocations, CPU time) must be taken
         * before this producer's measured events, or what they cost is counted outside. */
        while (!atomic_load_explicit(&d->window_open, memory_order_acquire) && !qtp__halted(d))
            sched_yield();
        return;
    }
    atomic_store(&d->t_start, qtp_clock_mono_ns());
    if (d->cfg.on_window)
        d->cfg.on_window(d->cfg.ctx, true);
    atomic_store_explicit(&d->window_open, true, memory_order_release);
}

/* ---- meetings: no thread starts or exits inside the window ---- */

/* Both a thread's start and its exit may allocate, and the window's allocation counts must be its
 * events' alone. Start: pthread_create may calloc a thread's TLS (when no cached stack fits) and
 * on_thread_start runs the runner's binding and counters, so a producer running ahead could open
 * the window while later threads are still being made; no role begins until every thread has
 * met at the gate. Exit: key destructors and glibc's exit path may free, so a thread that finishes
 * while the window is open parks until it closes. The close opens the parking; so do the last
 * thread to finish (a window that never closes: a halt, no live terminal) and a failed start,
 * which opens the gate too (halted: the threads that did start stop at once). A thread that
 * finishes before the window opens (an opt-out producer stopped inside the warm-up) exits at once.
 */
static void meeting_open(struct qtp_deploy *d, struct qtp__meeting *m)
{
    pthread_mutex_lock(&d->meet_lock);
    m->open = true;
    pthread_cond_broadcast(&d->meet_cv);
    pthread_mutex_unlock(&d->meet_lock);
}

/* Arrive at m (the last of the threads opens it), then wait until it is open; when parking, only
 * while the window has started. */
static void meet(struct qtp_deploy *d, struct qtp__meeting *m, bool parking)
{
    pthread_mutex_lock(&d->meet_lock);
    if (++m->arrived == d->nthreads) {
        m->open = true;
        pthread_cond_broadcast(&d->meet_cv);
    }
    while (!m->open && (!parking || atomic_load(&d->window_started)))
        pthread_cond_wait(&d->meet_cv, &d->meet_lock);
    pthread_mutex_unlock(&d->meet_lock);
}

void qtp__term_first(struct qtp__term *ts)
{
    if (!ts->first_ns)
        ts->first_ns = qtp_clock_mono_ns();
}

void qtp__term_countdown(struct qtp_deploy *d, struct qtp__term *ts)
{
    if (ts->done || ts->seen < ts->expected)
        return;
    ts->done = true;
    ts->last_ns = qtp_clock_mono_ns();
    if (atomic_fetch_sub(&d->terms_left, 1) == d->close_at) {
        atomic_store(&d->t_end, qtp_clock_mono_ns());
        if (d->cfg.on_window)
            d->cfg.on_window(d->cfg.ctx, false);
        meeting_open(d, &d->park);
    }
}

/* ---- the producers' and stages' common parts ---- */

void qtp__pacer_init(struct qtp_deploy *d, struct qtp__pacer *pc, unsigned producer)
{
    /* splitmix64 of (seed, producer): never 0, which xorshift would keep forever. */
    uint64_t z = d->cfg.seed + 0x9E3779B97F4A7C15ULL * (producer + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    pc->claims = (z ^ (z >> 31)) | 1;
    pc->stop = producer < QTP_TOPO_MAX_PRODUCERS ? d->stop_after[producer] : d->total;
    pc->on = d->cfg.rate > 0;
    pc->t0 = 0;
    pc->ns_per_event = 0;
    if (pc->on) {
        pc->t0 = qtp_clock_ticks();
        pc->ns_per_event = 1e9 / d->cfg.rate;
    }
}

bool qtp__pacer_wait(struct qtp_deploy *d, const struct qtp__pacer *pc, uint64_t k)
{
    uint64_t target = qtp__pacer_at(pc, k);
    for (;;) {
        if (qtp__halted(d))
            return false;
        uint64_t now = qtp_clock_ticks();
        if (now >= target)
            return true;
        uint64_t left = qtp_clock_ticks_to_ns(target - now);
        if (left > 2000000)
            qtp_topo_sleep(left - 1000000 < 10000000 ? left - 1000000 : 10000000, NULL);
        else if (left > 50000)
            sched_yield();
        else
            qtp_cpu_relax();
    }
}

void qtp__stall(struct qtp_deploy *d)
{
    while (!qtp__halted(d))
        qtp_topo_sleep(1000000, NULL);
}

bool qtp__stage_work(struct qtp__inst *ir)
{
    if (ir->gs->work_ns)
        qtp_work_busy(ir->gs->work_ns);
    if (ir->gs->sleep_ns)
        qtp_topo_sleep(ir->gs->sleep_ns, &ir->d->halted);
    return !qtp__halted(ir->d);
}

void qtp__progress_stages(struct qtp_deploy *d, struct qtp__sb *b)
{
    const struct qtp_graph *g = d->g;
    for (unsigned i = 0; i < g->ninst; i++) {
        /* The last position it handled, as a ring stage's sequence reads. */
        int64_t next = (int64_t)d->be->done(d, i), mod = g->inst[i].mod;
        qtp__sb_printf(b, " %s=%" PRId64, g->inst[i].role, next >= mod ? next - mod : -1);
    }
}

/* ---- threads ---- */

struct thr {
    struct qtp_deploy *d;
    unsigned index;
    bool producer;
    unsigned which; /* producer number or instance index */
    pthread_t tid;
};

static void *thread_main(void *arg)
{
    struct thr *th = arg;
    struct qtp_deploy *d = th->d;
    char role[QTP_ROLE_MAX + 8];
    if (!th->producer)
        snprintf(role, sizeof(role), "%s", d->g->inst[th->which].role);
    else if (d->t->producers == 1)
        snprintf(role, sizeof(role), "producer");
    else
        snprintf(role, sizeof(role), "producer%u", th->which);
    if (d->cfg.on_thread_start)
        d->cfg.on_thread_start(d->cfg.ctx, th->index, role);
    meet(d, &d->gate, false);
    if (d->cfg.test_on_role)
        d->cfg.test_on_role(d->cfg.ctx, th->index, role);
    if (!th->producer)
        d->be->stage(d, th->which);
    else if (d->t->pingpong)
        d->be->pingpong(d);
    else
        d->be->producer(d, th->which);
    meet(d, &d->park, true);
    return NULL;
}

/* ---- create / destroy ---- */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return EINVAL;
}

/* The compiled graph indexes fixed arrays (fields of the event, instances): a field or an
 * instance out of range would write past them, so it is refused here, once. */
static int check_graph(const struct qtp_topology *t, char *err, size_t len)
{
    const struct qtp_graph *g = t->graph;
    if (g->nfields != t->nfields || g->nfields > QTP_TOPO_MAX_FIELDS ||
        g->ninst > QTP_TOPO_MAX_INSTANCES || g->nterms > g->ninst || g->nroots > g->ninst)
        return fail(err, len, "compiled graph broken: %u fields, %u instances", g->nfields,
                    g->ninst);
    uint64_t fields = g->nfields == 64 ? ~0ULL : (1ULL << g->nfields) - 1;
    for (unsigned f = 0; f < g->nfields; f++)
        if (g->stage[f].up & ~((1ULL << f) - 1))
            return fail(err, len, "compiled graph broken: stage %u reads a field not before it", f);
    for (unsigned i = 0; i < g->ninst; i++) {
        const struct qtp_ginst *gi = &g->inst[i];
        if (gi->field >= g->nfields)
            return fail(err, len, "stage %s: field index %u out of range 0..%u", gi->role,
                        gi->field, g->nfields - 1);
        if (gi->vis & ~fields || !(gi->vis >> gi->field & 1) || gi->vis >> gi->field >> 1)
            return fail(err, len, "stage %s: visible fields 0x%" PRIx64 " out of range", gi->role,
                        gi->vis);
        if (gi->mod == 0 || (gi->mod & (gi->mod - 1)) || gi->res >= gi->mod)
            return fail(err, len, "stage %s: partition %u/%u broken", gi->role, gi->res, gi->mod);
        for (unsigned k = 0; k < gi->ndeps; k++)
            if (gi->deps[k] >= g->ninst)
                return fail(err, len, "stage %s: upstream instance %u out of range", gi->role,
                            gi->deps[k]);
        for (unsigned k = 0; k < gi->nouts; k++)
            if (gi->outs[k] >= g->ninst)
                return fail(err, len, "stage %s: downstream instance %u out of range", gi->role,
                            gi->outs[k]);
        if (gi->terminal >= (int)g->nterms)
            return fail(err, len, "stage %s: terminal %d out of range", gi->role, gi->terminal);
    }
    for (unsigned k = 0; k < g->nterms; k++)
        if (g->terms[k] >= g->ninst)
            return fail(err, len, "terminal %u: instance out of range", k);
    for (unsigned k = 0; k < g->nroots; k++)
        if (g->roots[k] >= g->ninst)
            return fail(err, len, "root %u: instance out of range", k);
    return 0;
}

static int check_config(const struct qtp_deploy_config *cfg, char *err, size_t len)
{
    const struct qtp_topology *t = cfg->topo;
    if (!t || !t->graph)
        return fail(err, len, "no topology");
    const struct qtp_queue_kind *k = qtp_queue_kind_find(cfg->queue);
    if (!k) {
        char names[160] = "";
        struct qtp__sb b = {names, sizeof(names), 0};
        for (const struct qtp_queue_kind *q = qtp_queue_kinds; q->name; q++)
            qtp__sb_printf(&b, "%s%s", q == qtp_queue_kinds ? "" : ", ", q->name);
        return fail(err, len, "unknown queue '%s' (accepted: %s)",
                    cfg->queue ? cfg->queue : "(null)", names);
    }
    if (cfg->ring_size == 0 || (cfg->ring_size & (cfg->ring_size - 1)) != 0 ||
        cfg->ring_size > (1u << 30))
        return fail(err, len, "ring size %u is not a power of two in 1..2^30", cfg->ring_size);
    if (cfg->batch > cfg->ring_size)
        return fail(err, len, "batch %u exceeds the ring size %u (accepted: 1..ring size)",
                    cfg->batch, cfg->ring_size);
    if (cfg->batch_max && (cfg->batch_max <= cfg->batch || cfg->batch_max > cfg->ring_size))
        return fail(err, len,
                    "batch range %u-%u is backwards or exceeds the ring size %u (accepted: "
                    "batch < batch_max <= ring size, or batch_max 0)",
                    cfg->batch, cfg->batch_max, cfg->ring_size);
    /* An event's id holds its seq in QTP_EVENT_SEQ_BITS bits. */
    if (cfg->warmup >= (1ULL << QTP_EVENT_SEQ_BITS) ||
        cfg->events >= (1ULL << QTP_EVENT_SEQ_BITS) ||
        cfg->warmup + cfg->events >= (1ULL << QTP_EVENT_SEQ_BITS))
        return fail(err, len, "event count too large (accepted: warm-up + events below 2^%d)",
                    QTP_EVENT_SEQ_BITS);
    if (!(cfg->rate >= 0) || cfg->rate > 1e12)
        return fail(err, len, "rate %g out of range (accepted: 0 or up to 1e12 events/s)",
                    cfg->rate);
    if (qtp__opt_out_check(cfg, err, len))
        return EINVAL;
    if (cfg->stall_stage < 0 || (unsigned)cfg->stall_stage > t->nfields)
        return fail(err, len, "stall stage %d out of range 0..%u", cfg->stall_stage, t->nfields);
    if (cfg->fault_stage < 0 || (unsigned)cfg->fault_stage > t->nfields)
        return fail(err, len, "fault stage %d out of range 0..%u", cfg->fault_stage, t->nfields);
    const struct qtp_deploy_model *m = cfg->model;
    if (m && (m->t != t || m->seed != cfg->seed || m->count != cfg->warmup + cfg->events))
        return fail(err, len,
                    "the model was computed for %s, seed %" PRIu64 ", %" PRIu64
                    " events; this run is %s, seed %" PRIu64 ", %" PRIu64 " events",
                    m->t->name, m->seed, m->count, t->name, cfg->seed, cfg->warmup + cfg->events);
    int rc = check_graph(t, err, len);
    if (rc)
        return rc;
    return k->backend->check ? k->backend->check(cfg, err, len) : 0;
}

static uint64_t part_count(uint32_t mod, uint32_t res, uint64_t total)
{
    return total > res ? (total - res + mod - 1) / mod : 0;
}

/* The plan's bits for a stage that reads the fields up: bit idx[j] for each field j it reads,
 * each one in anc and below limit (so already listed). false when one is not: no plan. */
static bool plan_inputs(const struct qtp__chk *c, uint64_t up, const unsigned *idx, unsigned limit,
                        uint8_t *bits)
{
    *bits = 0;
    for (; up; up &= up - 1) {
        unsigned j = (unsigned)__builtin_ctzll(up);
        if (!(c->anc >> j & 1) || j >= limit)
            return false;
        *bits |= (uint8_t)(1u << idx[j]);
    }
    return true;
}

/* c's plan from c->g, c->own and c->anc (nvis > QTP__PLAN_MAX: none, the mask loops). Inputs
 * outside anc (never: a stage reads only fields it sees) leave it without a plan too. */
static void chk_plan(struct qtp__chk *c)
{
    unsigned idx[QTP_TOPO_MAX_FIELDS]; /* list entry of each field in anc */
    c->nvis = (unsigned)__builtin_popcountll(c->anc);
    c->own_up = 0;
    if (c->nvis > QTP__PLAN_MAX)
        return;
    unsigned k = 0;
    for (uint64_t m = c->anc; m; m &= m - 1, k++) {
        unsigned f = (unsigned)__builtin_ctzll(m);
        idx[f] = k;
        c->vis_f[k] = (uint8_t)f;
        if (!plan_inputs(c, c->g->stage[f].up, idx, f, &c->vis_up[k])) {
            c->nvis = QTP__PLAN_MAX + 1;
            return;
        }
    }
    if (c->own >= 0 &&
        !plan_inputs(c, c->g->stage[c->own].up, idx, QTP_TOPO_MAX_FIELDS, &c->own_up))
        c->nvis = QTP__PLAN_MAX + 1;
}

/* The flattened stage function and check of instance i. */
static void init_chk(struct qtp_deploy *d, const struct qtp_ginst *gi, struct qtp__chk *c)
{
    bool fault = d->cfg.fault_stage && (unsigned)d->cfg.fault_stage == gi->field + 1;
    c->g = d->g;
    c->seed = d->cfg.seed;
    c->own = (int)gi->field;
    c->anc = gi->vis & ~(1ULL << gi->field);
    c->mod = gi->mod;
    c->producers = d->t->producers;
    c->payload = d->t->payload;
    c->nfields = d->t->nfields;
    c->fault_seq = fault ? d->cfg.fault_seq : INT64_MIN;
    chk_plan(c);
}

int qtp_deploy_create(struct qtp_deploy **out, const struct qtp_deploy_config *cfg, char *err,
                      size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = 0;
    int rc = check_config(cfg, err, errlen);
    if (rc)
        return rc;
    qtp_clock_init(0);
    qtp_work_calibrate();

    struct qtp_deploy *d = qtp__calloc_blocks(1, sizeof(*d));
    if (!d)
        return ENOMEM;
    pthread_mutex_init(&d->err_lock, NULL);
    pthread_mutex_init(&d->meet_lock, NULL);
    pthread_cond_init(&d->meet_cv, NULL);
    d->cfg = *cfg;
    d->t = cfg->topo;
    d->g = cfg->topo->graph;
    if (cfg->test_miswire && !(d->g = d->miswired = qtp__miswire(d->g, cfg->test_miswire))) {
        qtp_deploy_destroy(d);
        return ENOMEM;
    }
    d->kind = qtp_queue_kind_find(cfg->queue);
    d->be = d->kind->backend;
    d->batch = cfg->batch ? cfg->batch : 1;
    d->batch_span = cfg->batch_max ? cfg->batch_max - d->batch + 1 : 0;
    d->total = cfg->warmup + cfg->events;
    qtp__opt_out_producers(d);
    d->nthreads = d->t->nthreads;
    atomic_init(&d->halted, false);
    atomic_init(&d->broken, false);
    atomic_init(&d->window_started, false);
    atomic_init(&d->window_open, false);
    atomic_init(&d->producers_left, d->t->producers);
    atomic_init(&d->t_start, 0);
    atomic_init(&d->t_end, 0);
    atomic_init(&d->t_graceful, 0);
    atomic_init(&d->back, 0);
    const struct qtp_graph *g = d->g;

    rc = ENOMEM;
    d->got = calloc(1, sizeof(*d->got));
    d->inst = qtp__calloc_blocks(g->ninst, sizeof(*d->inst));
    if (!d->got || !d->inst || qtp_hist_create(&d->latency))
        goto fail;
    d->got->nterminals = g->nterms;
    d->got->producers = d->t->producers;

    unsigned live_terms = 0;
    for (unsigned i = 0; i < g->ninst; i++) {
        struct qtp__inst *ir = &d->inst[i];
        ir->d = d;
        ir->gi = &g->inst[i];
        ir->gs = &g->stage[ir->gi->field];
        init_chk(d, ir->gi, &ir->chk);
        ir->stall = cfg->stall_stage && (unsigned)cfg->stall_stage == ir->gi->field + 1;
        /* A planted fault too: the fast ring instances then compile without its compare. */
        ir->slow =
            ir->stall || ir->gs->work_ns || ir->gs->sleep_ns || ir->chk.fault_seq != INT64_MIN;
        if (ir->gi->terminal < 0)
            continue;
        struct qtp__term *ts = &ir->ts;
        for (unsigned p = 0; p < QTP_TOPO_MAX_PRODUCERS; p++)
            ts->acc.next[p] = ir->gi->res;
        uint64_t warm = 0;
        ts->expected = 0;
        for (unsigned p = 0; p < d->t->producers; p++) {
            uint64_t s = d->stop_after[p];
            ts->expected += part_count(ir->gi->mod, ir->gi->res, s);
            warm += part_count(ir->gi->mod, ir->gi->res, s < cfg->warmup ? s : cfg->warmup);
        }
        qtp__opt_out_reader(d, ir);
        /* Only terminals that own measured positions close the window. */
        ts->live = ts->expected > warm;
        ts->done = !ts->live;
        live_terms += ts->live;
        /* Pingpong's producer checks the echo's events when they come back. */
        ir->term = d->t->pingpong ? NULL : ts;
        if (qtp_hist_create(&ir->hist))
            goto fail;
    }
    atomic_init(&d->terms_left, live_terms);
    d->close_at = cfg->test_window_first && live_terms ? live_terms : 1;

    rc = d->be->create(d);
    if (rc) {
        if (err && errlen && !err[0])
            snprintf(err, errlen, "cannot build %s over %s: %s", d->t->name, cfg->queue,
                     strerror(rc));
        goto fail;
    }
    *out = d;
    return 0;
fail:
    qtp_deploy_destroy(d);
    return rc ? rc : ENOMEM;
}

void qtp_deploy_destroy(struct qtp_deploy *d)
{
    if (!d)
        return;
    if (d->be)
        d->be->destroy(d);
    if (d->inst)
        for (unsigned i = 0; i < d->g->ninst; i++)
            qtp_hist_destroy(d->inst[i].hist);
    free(d->inst);
    free(d->got);
    free(d->miswired);
    qtp_deploy_model_destroy(d->own_model);
    if (d->latency)
        qtp_hist_destroy(d->latency);
    pthread_mutex_destroy(&d->err_lock);
    pthread_mutex_destroy(&d->meet_lock);
    pthread_cond_destroy(&d->meet_cv);
    free(d);
}

/* ---- run / halt / progress ---- */

void qtp_deploy_halt(struct qtp_deploy *d)
{
    atomic_store_explicit(&d->halted, true, memory_order_release);
    d->be->halt(d);
}

/* Events every producer publishes, and of them the warm-up (all producers). */
static uint64_t published(const struct qtp_deploy *d, bool warm_only)
{
    uint64_t n = 0;
    for (unsigned p = 0; p < d->t->producers; p++) {
        uint64_t s = d->stop_after[p];
        n += warm_only && s > d->cfg.warmup ? d->cfg.warmup : s;
    }
    return n;
}

/* Positions every terminal that stays has passed (the slowest one's progress). */
static uint64_t done_positions(struct qtp_deploy *d)
{
    const struct qtp_graph *g = d->g;
    uint64_t done = UINT64_MAX;
    for (unsigned k = 0; k < g->nterms; k++) {
        if (d->inst[g->terms[k]].leaves)
            continue;
        uint64_t v = d->t->pingpong ? atomic_load_explicit(&d->back, memory_order_relaxed)
                                    : d->be->done(d, g->terms[k]);
        if (v < done)
            done = v;
    }
    /* A terminal's next owned position may lie past the end. */
    uint64_t all = published(d, false);
    return done > all ? all : done;
}

void qtp_deploy_progress(struct qtp_deploy *d, struct qtp_progress *p)
{
    struct qtp__sb b = {p->text, sizeof(p->text), 0};
    p->text[0] = 0;
    d->be->progress(d, &b);
    if (b.used >= b.len && b.len > 4)
        memcpy(p->text + b.len - 4, "...", 4);
    p->done = done_positions(d);
}

void qtp_deploy_positions(struct qtp_deploy *d, struct qtp_positions *p)
{
    const struct qtp_graph *g = d->g;
    p->produced = d->be->produced(d);
    p->nstages = g->ninst;
    for (unsigned i = 0; i < g->ninst; i++)
        p->done[i] = d->be->done(d, i);
    for (unsigned i = 0; i < g->ninst; i++) {
        if (d->be->in_depth) {
            p->depth[i] = d->be->in_depth(d, i);
            continue;
        }
        const struct qtp_ginst *gi = &g->inst[i];
        uint64_t ahead = gi->ndeps ? UINT64_MAX : p->produced;
        for (unsigned k = 0; k < gi->ndeps; k++)
            ahead = p->done[gi->deps[k]] < ahead ? p->done[gi->deps[k]] : ahead;
        p->depth[i] = ahead > p->done[i] ? ahead - p->done[i] : 0;
    }
    p->finished = done_positions(d);
}

const char *qtp_deploy_stage_role(const struct qtp_deploy *d, unsigned i)
{
    return i < d->g->ninst ? d->g->inst[i].role : NULL;
}

size_t qtp_deploy_stage_outs(const struct qtp_deploy *d, unsigned i, unsigned *out, size_t max)
{
    size_t n = 0;
    for (unsigned k = 0; i < d->g->ninst && k < d->g->inst[i].nouts && n < max; k++)
        out[n++] = d->g->inst[i].outs[k];
    return n;
}

size_t qtp_deploy_latency_live(const struct qtp_deploy *d, const struct qtp_hist **out, size_t max)
{
    size_t n = 0;
    for (unsigned i = 0; i < d->g->ninst && n < max; i++)
        if (d->inst[i].hist)
            out[n++] = d->inst[i].hist;
    return n;
}

size_t qtp_deploy_buffers(const struct qtp_deploy *d, void **addr, size_t *bytes, size_t max)
{
    return d->be->buffers(d, addr, bytes, max);
}

/* Every terminal saw its measured events inside the window: 0, or a reason in why. */
static bool window_check(struct qtp_deploy *d, const struct qtp_deploy_result *res, char *why,
                         size_t len)
{
    const struct qtp_graph *g = d->g;
    if (!d->cfg.events)
        return true;
    if (!res->window_start_ns) {
        snprintf(why, len, "window: %s",
                 atomic_load(&d->window_started) ? "it never closed" : "it never opened");
        return false;
    }
    for (unsigned k = 0; k < res->nterminals; k++) {
        const struct qtp_terminal_times *tt = &res->terminal[k];
        if (!d->inst[g->terms[k]].ts.live)
            continue;
        if (!tt->first_ns || tt->first_ns < res->window_start_ns) {
            snprintf(why, len, "window: terminal %s saw its first measured event %s", tt->role,
                     tt->first_ns ? "before the window opened" : "never");
            return false;
        }
        if (!tt->last_ns || tt->last_ns > res->window_end_ns) {
            snprintf(why, len,
                     "window: it closed before terminal %s finished its last measured event",
                     tt->role);
            return false;
        }
    }
    return true;
}

static void collect(struct qtp_deploy *d, struct qtp_deploy_result *res)
{
    const struct qtp_graph *g = d->g;
    unsigned P = d->t->producers;
    res->nstages = g->ninst;
    res->nterminals = g->nterms;
    for (unsigned i = 0; i < g->ninst; i++) {
        struct qtp__inst *ir = &d->inst[i];
        struct qtp_stage_batching *sb = &res->stage[i];
        snprintf(sb->role, sizeof(sb->role), "%s", ir->gi->role);
        sb->batches = ir->batches;
        sb->events = ir->batch_events;
        if (ir->hist)
            qtp_hist_merge(d->latency, ir->hist);
        if (ir->gi->terminal < 0)
            continue;
        struct qtp_expect_term *et = &d->got->term[ir->gi->terminal];
        *et = ir->ts.et;
        memcpy(et->count, ir->ts.acc.count, sizeof(et->count));
        memcpy(et->hash, ir->ts.acc.hash, sizeof(et->hash));
        struct qtp_terminal_times *tt = &res->terminal[ir->gi->terminal];
        snprintf(tt->role, sizeof(tt->role), "%s", ir->gi->role);
        tt->first_ns = ir->ts.first_ns;
        tt->last_ns = ir->ts.last_ns;
    }
    uint64_t done = done_positions(d), warm = published(d, true);
    res->events = done > warm ? done - warm : 0;
    if (res->events > d->cfg.events * P)
        res->events = d->cfg.events * P;
    uint64_t t0 = atomic_load(&d->t_start), t1 = atomic_load(&d->t_end);
    if (t0 && t1 >= t0) {
        res->window_ns = t1 - t0;
        res->window_start_ns = t0;
        res->window_end_ns = t1;
    }
    res->stamp = d->stamp;
}

int qtp_deploy_run(struct qtp_deploy *d, struct qtp_deploy_result *res)
{
    memset(res, 0, sizeof(*res));
    res->latency = d->latency;
    if (d->ran) {
        snprintf(res->reason, sizeof(res->reason), "a deployment runs once");
        return EINVAL;
    }
    d->ran = true;
    unsigned P = d->t->producers, n = d->nthreads;
    struct thr *thr = calloc(n, sizeof(*thr));
    if (!thr) {
        snprintf(res->reason, sizeof(res->reason), "out of memory for the threads");
        return ENOMEM;
    }
    for (unsigned i = 0; i < n; i++)
        thr[i] = (struct thr){d, i, i < P, i < P ? i : i - P, 0};
    /* Every role waits at the gate until all threads have started. */
    unsigned started = 0;
    int rc = 0;
    for (unsigned i = 0; i < n; i++) {
        rc = pthread_create(&thr[i].tid, NULL, thread_main, &thr[i]);
        if (rc) {
            qtp_deploy_halt(d);
            meeting_open(d, &d->gate); /* the threads that did start never all arrive */
            meeting_open(d, &d->park); /* nor all finish */
            break;
        }
        started++;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(thr[i].tid, NULL);
    uint64_t joined = qtp_clock_mono_ns(), t_graceful = atomic_load(&d->t_graceful);
    if (t_graceful && !qtp__halted(d))
        res->drain_ns = joined > t_graceful ? joined - t_graceful : 0;
    free(thr);
    if (rc) {
        snprintf(res->reason, sizeof(res->reason), "cannot start thread: %s", strerror(rc));
        return rc;
    }
    collect(d, res);

    if (atomic_load(&d->broken)) {
        snprintf(res->reason, sizeof(res->reason), "%s", d->got->error);
        return 0;
    }
    if (qtp__halted(d)) {
        struct qtp_progress pr;
        qtp_deploy_progress(d, &pr);
        snprintf(res->reason, sizeof(res->reason), "halted (forced stop) at %.400s", pr.text);
        return ECANCELED;
    }
    if (d->opting) {
        res->verified = qtp__opt_out_verify(d, res->reason, sizeof(res->reason));
        goto window;
    }
    const struct qtp_deploy_model *m = d->cfg.model;
    if (!m) {
        rc = qtp_deploy_model_create(&d->own_model, d->t, d->cfg.seed, d->total, NULL);
        if (rc) {
            snprintf(res->reason, sizeof(res->reason), "the model: %s", strerror(rc));
            return rc;
        }
        m = d->own_model;
    }
    res->verified = qtp_expect_check(d->t, &m->e, d->got, res->reason, sizeof(res->reason));
window:;
    char why[sizeof(res->reason)] = "";
    res->window_ok = window_check(d, res, why, sizeof(why));
    if (res->verified && !res->window_ok) {
        res->verified = false;
        memcpy(res->reason, why, sizeof(why));
    }
    return 0;
}
