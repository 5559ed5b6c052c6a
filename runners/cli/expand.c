/* expand.c - defaults, machine checks, and a matrix expanded into planned cells (qtp_cli.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "machine.h"
#include "numa_mem.h"
#include "placement.h"
#include "qtp_deploy.h"
#include "qtp_lang.h"
#include "qtp_topo.h"
#include "qtp_wait.h"

/* ---------------------------------------------------------------- defaults and checks */

/* The default of a name axis: one name, or (NULL) every name its registry has. */
static const char *const default_name[QTP_NCELL_NAMES] = {[QTP_NAME_MEMORY] = "local"};

void qtp_matrix_defaults(struct qtp_matrix *m)
{
    for (int a = 0; a < QTP_NCELL_NAMES; a++) {
        const char *names[64] = {default_name[a]};
        size_t n = m->names[a].n ? 0 : default_name[a] ? 1 : qtp_cli_axis_names(a, names, 64);
        for (size_t i = 0; i < n; i++) {
            const struct qtp_topology_def *t =
                a == QTP_NAME_TOPOLOGY ? qtp_topology_find(names[i]) : NULL;
            if (!t || !t->not_default)
                qtp_cli_strlist_add(&m->names[a], names[i]);
        }
    }
    for (size_t i = 0; i < O_COUNT; i++) {
        const struct opt_def *d = &qtp_cli_opts[i];
        uint64_t v = m->quick ? d->quick : d->dflt;
        if (d->kind == K_PARAM && !(d->flags & F_SCALAR) && !m->params[d->index].n)
            qtp_cli_numlist_add(&m->params[d->index], v);
        else if (d->kind == K_U64 && !opt_given(m, d->id) && d->size == sizeof(uint32_t))
            *(uint32_t *)((char *)m + d->off) = (uint32_t)v;
        else if (d->kind == K_U64 && !opt_given(m, d->id))
            *(uint64_t *)((char *)m + d->off) = v;
    }
    if (!opt_given(m, O_COUNTERS))
        for (const struct qtp_counters_mode_row *r = qtp_counters_modes; r->name; r++)
            if (r->mode == qtp_counters_default_mode())
                qtp_fmt(m->counters, sizeof m->counters, "%s", r->name);
    if (!opt_given(m, O_WARMUP)) {
        const struct qtp_numlist *ev = &m->params[QTP_PARAM_events];
        uint64_t min = ev->v[0];
        for (unsigned i = 1; i < ev->n; i++)
            min = ev->v[i] < min ? ev->v[i] : min;
        m->params[QTP_PARAM_warmup].n = 0;
        qtp_cli_numlist_add(&m->params[QTP_PARAM_warmup], min / 10);
    }
}

int qtp_matrix_check(const struct qtp_matrix *m, const struct qtp_machine *mach, char *err,
                     size_t errlen)
{
    const struct qtp_numlist *batch = &m->params[QTP_PARAM_batch];
    const struct qtp_numlist *ring = &m->params[QTP_PARAM_ring_size];
    for (unsigned i = 0; i < batch->n; i++)
        for (unsigned j = 0; j < ring->n; j++)
            if (batch->v[i] > ring->v[j])
                return CLI_BAD(err, errlen,
                               "--batch %" PRIu64 " is larger than --ring-size %" PRIu64
                               " (accepted: a batch of 1 to the ring size)",
                               batch->v[i], ring->v[j]);
    const struct qtp_numlist *bmax = &m->params[QTP_PARAM_batch_max];
    for (unsigned i = 0; i < bmax->n; i++) {
        for (unsigned j = 0; bmax->v[i] && j < ring->n; j++)
            if (bmax->v[i] > ring->v[j])
                return CLI_BAD(err, errlen,
                               "--batch range up to %" PRIu64 " is larger than --ring-size %" PRIu64
                               " (accepted: claims of 1 to the ring size)",
                               bmax->v[i], ring->v[j]);
        for (unsigned j = 0; bmax->v[i] && j < batch->n; j++)
            if (bmax->v[i] <= batch->v[j])
                return CLI_BAD(err, errlen,
                               "--batch-max %" PRIu64 " is not above --batch %" PRIu64
                               " (accepted: 0, or above every --batch)",
                               bmax->v[i], batch->v[j]);
    }
    static const struct {
        enum qtp_cell_name_id axis;
        const char *flag;
    } on_machine[] = {{QTP_NAME_PLACEMENT, "-p/--placement"}, {QTP_NAME_MEMORY, "-m/--memory"}};
    for (size_t k = 0; mach && k < sizeof on_machine / sizeof on_machine[0]; k++) {
        const struct qtp_strlist *l = &m->names[on_machine[k].axis];
        for (unsigned i = 0; i < l->n; i++) {
            int rc = qtp_cli_check_name(on_machine[k].axis, on_machine[k].flag, l->v[i], mach, err,
                                        errlen);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- topology parameters */

/* What the topology builders take of a cell's parameters (0: the builder's default). */
static void topo_params_of(const struct qtp_cell_params *c, struct qtp_topo_params *p)
{
    memset(p, 0, sizeof *p);
    p->fanout = c->fanout;
    p->shards = c->shards;
    p->stages = c->stages;
    p->producers = c->producers;
    p->readers = c->readers;
    p->work_ns = c->work_ns;
    p->payload = c->payload;
}

void qtp_cell_topo_params(const struct qtp_cell *c, struct qtp_topo_params *p)
{
    topo_params_of(&c->params, p);
}

int qtp_cell_topology(const struct qtp_cell *c, struct qtp_topology *out)
{
    struct qtp_topo_params tp;
    topo_params_of(&c->params, &tp);
    return qtp_topology_resolve(c->topology, &tp, out, NULL);
}

/* Does parameter k (one with a shape label) change topology t's shape? Asked of the builder
 * itself, with the defaults and with k doubled (or halved), so a new topology in the registry needs
 * no table here. */
static bool param_shapes(const struct qtp_topology_def *t, enum qtp_param_id k)
{
    struct qtp_cell_params ca = {0};
    for (size_t i = 0; i < O_COUNT; i++)
        if (qtp_cli_opts[i].kind == K_PARAM && qtp_params[qtp_cli_opts[i].index].shape_label)
            qtp_param_set(&ca, &qtp_params[qtp_cli_opts[i].index], qtp_cli_opts[i].dflt);
    struct qtp_cell_params cb = ca;
    uint64_t dflt = qtp_param_u64(&ca, &qtp_params[k]);
    qtp_param_set(&cb, &qtp_params[k], 2 * dflt);
    struct qtp_topo_params a, b;
    topo_params_of(&ca, &a);
    topo_params_of(&cb, &b);
    struct qtp_topology ta, tb;
    if (t->build(&a, &ta))
        return false;
    if (t->build(&b, &tb)) {
        /* The default is the largest value (the broker's 4 producers): ask with half of it. */
        qtp_param_set(&cb, &qtp_params[k], dflt / 2);
        topo_params_of(&cb, &b);
        if (dflt < 2 || t->build(&b, &tb)) {
            qtp_topology_fini(&ta);
            return false;
        }
    }
    enum { DESCRIBE_MAX = 16384 };
    char *da = malloc(DESCRIBE_MAX), *db = malloc(DESCRIBE_MAX);
    bool differ = ta.nthreads != tb.nthreads;
    if (!differ && da && db && qtp_topology_describe(&ta, da, DESCRIBE_MAX) == 0 &&
        qtp_topology_describe(&tb, db, DESCRIBE_MAX) == 0)
        differ = strcmp(da, db) != 0;
    free(da);
    free(db);
    qtp_topology_fini(&ta);
    qtp_topology_fini(&tb);
    return differ;
}

/* ---------------------------------------------------------------- one cell */

/* Where a cell sits on every axis: an index into each list of the matrix. */
struct position {
    unsigned name[QTP_NCELL_NAMES]; /* placement and memory (the others are the outer loops) */
    unsigned param[QTP_NPARAMS];
};

/* What a cell is made of, besides its position. */
struct cell_kind {
    const char *topology;                /* a name or a canonical expression */
    const struct qtp_topology_def *topo; /* the named one, NULL for an expression */
    const struct qtp_queue_kind *queue;
    const struct qtp_wait_ops *wait;
    struct qtp_wait_spec wait_spec; /* wait with its constants */
    bool shapes[QTP_NPARAMS];       /* a shape parameter that changes this topology */
};

/* The placement plan (and whether this machine can give it), the memory policy. */
static void plan_cell(struct qtp_cell *cell, const struct qtp_matrix *m,
                      const struct qtp_machine *mach, unsigned producers)
{
    char msg[QTP_REASON_MAX];
    struct qtp_placement_spec *ps = malloc(sizeof *ps);
    struct qtp_plan *plan = malloc(sizeof *plan);
    struct qtp_plan_request req = {.nthreads = cell->nthreads,
                                   .producers = producers,
                                   .spin = cell->nspinning > 0,
                                   .oversubscribe = m->oversubscribe};
    if (!ps || !plan) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason, "out of memory planning the placement");
    } else if (qtp_placement_parse(cell->placement, mach, ps, msg, sizeof msg)) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason, "%s", msg);
    } else if (qtp_placement_plan(mach, ps, &req, plan)) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason, "cannot plan %u threads", cell->nthreads);
    } else if (plan->verdict == QTP_PLAN_SKIPPED) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason, "%s", plan->reason);
    } else {
        cell->oversubscribed = plan->oversubscribed;
        memcpy(cell->pu, plan->pu, sizeof cell->pu);
        if (qtp_memory_parse(cell->memory, mach, &cell->mem, msg, sizeof msg) ||
            !qtp_memory_possible(mach, &cell->mem, msg, sizeof msg)) {
            cell->skip = true;
            qtp_fmt(cell->reason, sizeof cell->reason, "%s", msg);
        }
    }
    free(ps);
    free(plan);
}

enum fill { FILLED, ID_TOO_LONG, BAD_PLAN };

/* Fill cell from its kind and position. BAD_PLAN (cell->reason says why) when the opt-out plan
 * does not fit its topology. */
static enum fill fill_cell(struct qtp_cell *cell, const struct qtp_matrix *m,
                           const struct qtp_machine *mach, const struct cell_kind *k,
                           const struct position *pos)
{
    cell->topo = k->topo;
    qtp_fmt(cell->topology, sizeof cell->topology, "%s", k->topology);
    cell->queue = k->queue;
    cell->wait = k->wait;
    cell->wait_params = k->wait_spec.params;
    if (k->wait)
        qtp_wait_format(&k->wait_spec, cell->wait_name, sizeof cell->wait_name);
    else
        qtp_fmt(cell->wait_name, sizeof cell->wait_name, "block");
    qtp_fmt(cell->placement, sizeof cell->placement, "%s",
            m->names[QTP_NAME_PLACEMENT].v[pos->name[QTP_NAME_PLACEMENT]]);
    qtp_fmt(cell->memory, sizeof cell->memory, "%s",
            m->names[QTP_NAME_MEMORY].v[pos->name[QTP_NAME_MEMORY]]);
    for (size_t i = 0; i < QTP_NPARAMS; i++) {
        bool applies = !qtp_params[i].shape_label || k->shapes[i];
        qtp_param_set(&cell->params, &qtp_params[i], applies ? m->params[i].v[pos->param[i]] : 0);
    }
    cell->reps = m->reps;
    cell->timeout_s = m->timeout_s;
    cell->seed = m->seed;
    cell->no_latency = m->no_latency;
    cell->sample_ms = m->sample_ms;
    cell->counters = QTP_COUNTERS_NONE;
    for (const struct qtp_counters_mode_row *r = qtp_counters_modes; r->name; r++)
        if (!strcmp(r->name, m->counters))
            cell->counters = r->mode;
    for (size_t i = 0; i < QTP_MAX_THREADS; i++)
        cell->pu[i] = -1;
    if (qtp_cell_id(cell->id, sizeof cell->id, k->topology, k->queue->name, cell->wait_name,
                    cell->placement, cell->memory, &cell->params))
        return ID_TOO_LONG;
    /* The plan is part of what a cell is: its id carries it (.o<plan>, made filename-safe). */
    qtp_fmt(cell->opt_out_text, sizeof cell->opt_out_text, "%s", m->opt_out);
    if (m->opt_out[0] && qtp_cell_id_append(cell->id, sizeof cell->id, "o", m->opt_out))
        return ID_TOO_LONG;

    struct qtp_topology topo;
    if (qtp_cell_topology(cell, &topo)) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason,
                "topology %.200s cannot be built with these parameters", k->topology);
        return FILLED;
    }
    char msg[QTP_REASON_MAX];
    if (qtp_opt_out_parse(m->opt_out, &topo, &cell->opt_out, msg, sizeof msg)) {
        qtp_fmt(cell->reason, sizeof cell->reason, "%s (topology %.200s)", msg, k->topology);
        qtp_topology_fini(&topo);
        return BAD_PLAN;
    }
    if (qtp_topo_print(&topo, cell->topology_expr, sizeof cell->topology_expr))
        qtp_fmt(cell->topology_expr, sizeof cell->topology_expr, "%s", cell->topology);
    cell->nthreads = topo.nthreads;
    unsigned producers = topo.producers;
    qtp_topology_fini(&topo);
    cell->nspinning = k->wait && k->wait->spins ? cell->nthreads : 0;
    if (mach) /* the planner decides both "this machine cannot give it" and oversubscription */
        plan_cell(cell, m, mach, producers);
    return FILLED;
}

/* The default matrix lists every policy; where one gives exactly the PUs an earlier one gave
 * (spread = compact on a machine without SMT or a second node), running it again would only
 * measure noise: the cell is skipped, saying so. An explicit -p list runs what it names. */
static void skip_same_plans(struct qtp_cell *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct qtp_cell *c = &v[i];
        if (c->skip || c->pu[0] < 0) /* a placement that binds nothing repeats nobody */
            continue;
        for (size_t j = 0; j < i; j++) {
            const struct qtp_cell *e = &v[j];
            if (e->skip || strcmp(e->topology, c->topology) != 0 || e->queue != c->queue ||
                e->wait != c->wait || strcmp(e->memory, c->memory) != 0 ||
                strcmp(e->placement, c->placement) == 0 ||
                !qtp_params_equal(&e->params, &c->params) || e->nthreads != c->nthreads ||
                memcmp(e->pu, c->pu, c->nthreads * sizeof c->pu[0]) != 0)
                continue;
            c->skip = true;
            qtp_fmt(c->reason, sizeof c->reason,
                    "same threads-to-PUs plan as %s on this machine (-p %s runs it anyway)",
                    e->placement, c->placement);
            break;
        }
    }
}

/* ---------------------------------------------------------------- the expansion */

struct cell_vec {
    struct qtp_cell *v;
    size_t n, cap;
};

static struct qtp_cell *cell_push(struct cell_vec *cv)
{
    if (cv->n == cv->cap) {
        size_t cap = cv->cap ? 2 * cv->cap : 64;
        struct qtp_cell *nv = realloc(cv->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        cv->v = nv;
        cv->cap = cap;
    }
    struct qtp_cell *c = &cv->v[cv->n++];
    memset(c, 0, sizeof *c);
    return c;
}

/* One axis of the odometer: a name axis or a parameter, and how many values it takes here. */
struct axis {
    unsigned *at; /* its index in the position */
    unsigned n;
};

/* Every cell of one topology, queue and wait, placement and memory outermost, then the
 * parameters in schema order, those that shape the topology last (turning fastest, so a sweep of
 * its shape comes out side by side). */
static int expand_kind(struct cell_vec *cv, const struct qtp_matrix *m,
                       const struct qtp_machine *mach, const struct cell_kind *k, char *err,
                       size_t errlen)
{
    struct position pos = {{0}, {0}};
    struct axis axes[2 + QTP_NPARAMS];
    size_t na = 0;
    axes[na++] = (struct axis){&pos.name[QTP_NAME_PLACEMENT], m->names[QTP_NAME_PLACEMENT].n};
    axes[na++] = (struct axis){&pos.name[QTP_NAME_MEMORY], m->names[QTP_NAME_MEMORY].n};
    for (int shaped = 0; shaped < 2; shaped++)
        for (size_t i = 0; i < QTP_NPARAMS; i++)
            if (!qtp_params[i].shape_label == !shaped)
                axes[na++] = (struct axis){
                    &pos.param[i], !qtp_params[i].shape_label || k->shapes[i] ? m->params[i].n : 1};
    for (;;) {
        struct qtp_cell *cell = cell_push(cv);
        if (!cell)
            return ENOMEM;
        enum fill f = fill_cell(cell, m, mach, k, &pos);
        if (f == BAD_PLAN)
            return CLI_BAD(err, errlen, "--opt-out: %s", cell->reason);
        if (f == ID_TOO_LONG)
            return CLI_BAD(err, errlen,
                           "the cell id of %.100s/%s/%s placement %.100s is longer than %zu "
                           "bytes (accepted: shorter cpus: lists)",
                           k->topology, k->queue->name, cell->wait_name, cell->placement,
                           sizeof cell->id - 1);
        size_t a = na; /* the odometer: the last axis turns fastest */
        while (a > 0 && ++*axes[a - 1].at == axes[a - 1].n)
            *axes[--a].at = 0;
        if (a == 0)
            return 0;
    }
}

int qtp_matrix_expand(const struct qtp_matrix *m, const struct qtp_machine *mach,
                      struct qtp_cell **cells, size_t *ncells, char *err, size_t errlen)
{
    struct cell_vec cv = {0};
    const struct qtp_strlist *topos = &m->names[QTP_NAME_TOPOLOGY];
    const struct qtp_strlist *queues = &m->names[QTP_NAME_QUEUE];
    const struct qtp_strlist *waits = &m->names[QTP_NAME_WAIT];
    int rc = 0;
    for (unsigned ti = 0; !rc && ti < topos->n; ti++) {
        /* An expression (checked when the matrix was read) has its shape written out: no shape
         * parameter applies to it. */
        struct cell_kind k = {.topology = topos->v[ti], .topo = qtp_topology_find(topos->v[ti])};
        for (size_t i = 0; k.topo && i < QTP_NPARAMS; i++)
            k.shapes[i] = qtp_params[i].shape_label && param_shapes(k.topo, (enum qtp_param_id)i);
        for (unsigned qi = 0; !rc && qi < queues->n; qi++) {
            if (!(k.queue = qtp_queue_kind_find(queues->v[qi]))) {
                rc = CLI_BAD(err, errlen, "unknown queue kind '%s'", queues->v[qi]);
                break;
            }
            /* Queues without a wait axis always block: one "block" cell, whatever -w says. */
            unsigned nwait = k.queue->uses_wait ? waits->n : 1;
            for (unsigned wi = 0; !rc && wi < nwait; wi++) {
                char msg[QTP_REASON_MAX];
                k.wait = NULL;
                memset(&k.wait_spec, 0, sizeof k.wait_spec);
                if (k.queue->uses_wait &&
                    qtp_wait_parse(waits->v[wi], &k.wait_spec, msg, sizeof msg)) {
                    rc = CLI_BAD(err, errlen, "%s", msg);
                    break;
                }
                k.wait = k.wait_spec.ops;
                rc = expand_kind(&cv, m, mach, &k, err, errlen);
            }
        }
    }
    if (rc) {
        free(cv.v);
        return rc;
    }
    if (!opt_given(m, O_PLACEMENT))
        skip_same_plans(cv.v, cv.n);
    *cells = cv.v;
    *ncells = cv.n;
    return 0;
}

/* The cells m expands to (before merging duplicates), counted without building them: a real,
 * since a matrix of 32-value axes can name more cells than a size_t holds. */
static double count_cells(const struct qtp_matrix *m)
{
    double total = 0;
    const struct qtp_strlist *topos = &m->names[QTP_NAME_TOPOLOGY];
    const struct qtp_strlist *queues = &m->names[QTP_NAME_QUEUE];
    for (unsigned ti = 0; ti < topos->n; ti++) {
        const struct qtp_topology_def *t = qtp_topology_find(topos->v[ti]);
        double per = (double)m->names[QTP_NAME_PLACEMENT].n * m->names[QTP_NAME_MEMORY].n;
        for (size_t i = 0; t && i < QTP_NPARAMS; i++)
            if (!qtp_params[i].shape_label || param_shapes(t, (enum qtp_param_id)i))
                per *= m->params[i].n ? m->params[i].n : 1;
        for (unsigned qi = 0; qi < queues->n; qi++) {
            const struct qtp_queue_kind *q = qtp_queue_kind_find(queues->v[qi]);
            total += per * (q && q->uses_wait ? m->names[QTP_NAME_WAIT].n : 1);
        }
    }
    return total;
}

int qtp_matrix_expand_parts(const struct qtp_matrix *parts, size_t nparts,
                            const struct qtp_machine *mach, struct qtp_cell **cells, size_t *ncells,
                            char *err, size_t errlen)
{
    struct qtp_cell *all = NULL;
    size_t n = 0;
    double total = 0;
    for (size_t p = 0; p < nparts; p++)
        total += count_cells(&parts[p]);
    if (total > QTP_MATRIX_MAX_CELLS)
        return CLI_BAD(err, errlen,
                       "the matrix expands to %.0f cells (accepted: at most %d; split it into "
                       "several runs)",
                       total, QTP_MATRIX_MAX_CELLS);
    for (size_t p = 0; p < nparts; p++) {
        struct qtp_cell *v;
        size_t k;
        int rc = qtp_matrix_expand(&parts[p], mach, &v, &k, err, errlen);
        if (rc) {
            free(all);
            return rc;
        }
        struct qtp_cell *na = realloc(all, (n + k + 1) * sizeof *na);
        if (!na) {
            free(v);
            free(all);
            return ENOMEM;
        }
        all = na;
        for (size_t i = 0; i < k; i++) {
            bool dup = false;
            for (size_t j = 0; j < n && !dup; j++)
                dup = strcmp(all[j].id, v[i].id) == 0;
            if (!dup)
                all[n++] = v[i];
        }
        free(v);
    }
    *cells = all;
    *ncells = n;
    return 0;
}

int qtp_cli_parse_slice(const char *s, unsigned *k, unsigned *n, char *err, size_t len)
{
    char ks[32] = "";
    const char *slash = strchr(s, '/');
    uint64_t kv = 0, nv = 0;
    if (slash && slash - s < (ptrdiff_t)sizeof ks)
        memcpy(ks, s, (size_t)(slash - s));
    if (!slash || qtp_parse_count(ks, false, &kv) || qtp_parse_count(slash + 1, false, &nv) ||
        nv > QTP_SLICE_MAX || kv < 1 || kv > nv)
        return CLI_BAD(err, len, "--slice '%s': not a slice (accepted: K/N, 1 <= K <= N <= %d)", s,
                       QTP_SLICE_MAX);
    *k = (unsigned)kv;
    *n = (unsigned)nv;
    return 0;
}
