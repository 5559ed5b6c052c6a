/* default_parts.c - the default matrix's parts (cli_int.h): with no matrix file, the one part
 * the flags made is split where one shared count or wait axis would waste the run's minutes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "qtp_deploy.h"
#include "qtp_topo.h"

static bool round_trip(const struct qtp_topology_def *td)
{
    struct qtp_topo_params p = {0};
    struct qtp_topology t;
    if (td->build(&p, &t))
        return false;
    bool rt = t.pingpong;
    qtp_topology_fini(&t);
    return rt;
}

/* The default matrix with no -t and no -n: round-trip topologies (pingpong) go to a second part
 * with fewer events, since each of their events is a full wake-up both ways; in one shared count
 * they would take most of the run. Unless --batch or --payload is given, a third part runs them
 * again with several events in flight and a small payload: the echo's copies of a batch and of
 * a payload are paths no other default cell takes. */
static int split_round_trips(struct qtp_run_opts *o)
{
    struct qtp_matrix *m = &o->parts[0];
    if (o->nparts != 1 || opt_given(m, O_TOPOLOGY) || opt_given(m, O_EVENTS))
        return 0;
    const bool copies = !opt_given(m, O_BATCH) && !opt_given(m, O_PAYLOAD);
    struct qtp_matrix *two = calloc(3, sizeof *two);
    if (!two)
        return ENOMEM;
    two[0] = two[1] = *m;
    two[0].names[QTP_NAME_TOPOLOGY].n = two[1].names[QTP_NAME_TOPOLOGY].n = 0;
    for (const struct qtp_topology_def *t = qtp_topologies; t->name; t++)
        if (!t->not_default)
            qtp_cli_strlist_add(&two[round_trip(t)].names[QTP_NAME_TOPOLOGY], t->name);
    if (!two[0].names[QTP_NAME_TOPOLOGY].n || !two[1].names[QTP_NAME_TOPOLOGY].n) {
        free(two);
        return 0;
    }
    qtp_cli_numlist_add(&two[1].params[QTP_PARAM_events],
                        two[1].quick ? QUICK_RT_EVENTS : DEFAULT_RT_EVENTS);
    if (copies) {
        two[2] = two[1];
        qtp_cli_numlist_add(&two[2].params[QTP_PARAM_batch], DEFAULT_RT_COPY_BATCH);
        qtp_cli_numlist_add(&two[2].params[QTP_PARAM_payload], DEFAULT_RT_COPY_PAYLOAD);
    }
    free(o->parts);
    o->parts = two;
    o->nparts = copies ? 3 : 2;
    return 0;
}

/* The default matrix with no -q and no -w: a queue kind whose row names default_waits goes to a
 * part of its own with only those waits (every part split so), so that a kind added to the
 * registry does not multiply the default run's time by the whole wait axis. The parts name their
 * queues and waits, so meta.json's matrix (and --resume) give the same cells. */
static int split_default_waits(struct qtp_run_opts *o)
{
    const struct qtp_matrix *m0 = &o->parts[0];
    if (opt_given(m0, O_QUEUE) || opt_given(m0, O_WAIT))
        return 0;
    size_t nkinds = 0, nlimited = 0;
    for (const struct qtp_queue_kind *k = qtp_queue_kinds; k->name; k++, nkinds++)
        nlimited += k->default_waits != NULL;
    if (!nlimited || nlimited == nkinds)
        return 0;
    size_t n = o->nparts * (1 + nlimited), at = 0;
    struct qtp_matrix *parts = calloc(n, sizeof *parts);
    if (!parts)
        return ENOMEM;
    for (size_t p = 0; p < o->nparts; p++) {
        struct qtp_matrix *all = &parts[at++];
        *all = o->parts[p];
        all->names[QTP_NAME_QUEUE].n = 0;
        for (const struct qtp_queue_kind *k = qtp_queue_kinds; k->name; k++) {
            if (!k->default_waits) {
                qtp_cli_strlist_add(&all->names[QTP_NAME_QUEUE], k->name);
                continue;
            }
            struct qtp_matrix *own = &parts[at++];
            *own = o->parts[p];
            own->names[QTP_NAME_QUEUE].n = own->names[QTP_NAME_WAIT].n = 0;
            qtp_cli_strlist_add(&own->names[QTP_NAME_QUEUE], k->name);
            char w[256];
            qtp_fmt(w, sizeof w, "%s", k->default_waits);
            for (char *save = NULL, *tok = strtok_r(w, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save))
                qtp_cli_strlist_add(&own->names[QTP_NAME_WAIT], tok);
        }
    }
    free(o->parts);
    o->parts = parts;
    o->nparts = n;
    return 0;
}

int qtp_cli_default_parts(struct qtp_run_opts *o)
{
    int rc = split_round_trips(o);
    return rc ? rc : split_default_waits(o);
}
