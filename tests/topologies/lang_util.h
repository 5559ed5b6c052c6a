/* lang_util.h - shared helpers of the language tests: compare two compiled topologies. */
#ifndef LANG_UTIL_H
#define LANG_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "qtp_topo.h"

/* True when a and b compile to the same graph: producers, pingpong, payload, event size, every
 * stage (name, work, sleep, fields read) and every instance (field, partition, role, upstream and
 * downstream instances, visible fields, terminal index). Otherwise the first difference is
 * written to why. */
bool lang_graph_equal(const struct qtp_topology *a, const struct qtp_topology *b, char *why,
                      size_t len);

#endif
