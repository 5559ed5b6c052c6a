/* registry.c - the registries a run was made from, as meta.json carries them ("registries"): the
 * order qtopo lists topologies, queue kinds, wait strategies and placements in, and the family of
 * each queue kind. A report reads them back instead of knowing names, so results of a queue kind
 * or a wait strategy added later are drawn in their place and colour. */
#include "commands.h"
#include "placement.h"
#include "qtp_deploy.h"
#include "qtp_topo.h"
#include "qtp_wait.h"

/* The families in their order; per_edge: a queue per edge with events copied (the others share
 * one ring); over: the families whose queues the report divides this family's throughput by (the
 * speed-up chart): the shared ring over every queue per edge, lock-free over locks. */
#define FAM(f) (1u << (f))
static const struct {
    const char *name;
    bool per_edge;
    unsigned over; /* FAM() bits */
} families[] = {
    [QTP_FAMILY_RING] = {"ring", false, FAM(QTP_FAMILY_LOCKFREE) | FAM(QTP_FAMILY_MUTEX)},
    [QTP_FAMILY_LOCKFREE] = {"lockfree", true, FAM(QTP_FAMILY_MUTEX)},
    [QTP_FAMILY_MUTEX] = {"mutex", true, 0},
};
#define NFAMILIES (sizeof families / sizeof families[0])

json_t *qtp_registries_json(void)
{
    json_t *topologies = json_array(), *fams = json_array(), *queues = json_array();
    json_t *waits = json_array(), *placements = json_array();
    for (const struct qtp_topology_def *t = qtp_topologies; t->name; t++)
        json_array_append_new(topologies, json_string(t->name));
    for (size_t f = 0; f < NFAMILIES; f++) {
        json_t *over = json_array();
        for (size_t o = 0; o < NFAMILIES; o++)
            if (families[f].over & FAM(o))
                json_array_append_new(over, json_string(families[o].name));
        json_array_append_new(fams, json_pack("{s:s,s:b,s:o}", "name", families[f].name, "per_edge",
                                              (int)families[f].per_edge, "over", over));
    }
    for (const struct qtp_queue_kind *q = qtp_queue_kinds; q->name; q++)
        json_array_append_new(queues,
                              json_pack("{s:s,s:s,s:b}", "name", q->name, "family",
                                        families[q->family].name, "uses_wait", (int)q->uses_wait));
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++)
        json_array_append_new(waits,
                              json_pack("{s:s,s:b}", "name", w->name, "spins", (int)w->spins));
    for (const struct qtp_placement_policy *p = qtp_placement_policies; p->name; p++)
        json_array_append_new(placements, json_string(p->name));
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "topologies", topologies, "families", fams, "queues",
                     queues, "waits", waits, "placements", placements);
}
