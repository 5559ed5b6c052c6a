/* lang_util.h - shared helpers of the language tests: compare two compiled topologies. */
#ifndef LANG_UTIL_H
#define LANG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qtp_topo.h"

/* True when a and b compile to the same graph: producers, pingpong, payload, event size, every
 * stage (name, work, sleep, fields read) and every instance (field, partition, role, upstream and
 * downstream instances, visible fields, terminal index). Otherwise the first difference is
 * written to why. */
bool lang_graph_equal(const struct qtp_topology *a, const struct qtp_topology *b, char *why,
                      size_t len);

/* A random finalized topology within the language's limits (and up to max_inst instances): random
 * nests of every combinator, stage names (default or unique), work and sleep in every unit,
 * payloads, several producers and pingpong where they are allowed. rs: the random state for
 * topo_rand. */
void lang_random_topology(uint64_t *rs, unsigned max_inst, struct qtp_topology *t);

#endif
