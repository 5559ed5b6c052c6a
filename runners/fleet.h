/* fleet.h - results of one matrix from several machines: what tells machines apart, what
 * describes one, and finding one in a merged directory (qtopo merge writes it: OUT/meta.json's
 * "machines", each machine's results directory under OUT/machines/KEY/). */
#ifndef QTP_FLEET_H
#define QTP_FLEET_H

#include <stddef.h>

#include <jansson.h>

#define QTP_FLEET_KEY_MAX 96

/* The machine key of meta.json's "machine": its host name (characters other than letters,
 * digits, '-', '.' and '_' as '_') and 8 hex digits of a fingerprint of what results depend on
 * (CPU model, packages, cores, PUs, NUMA nodes, caches, kernel): "node7-3fa2c01b". With a
 * machine type's name instead of the host (type not NULL), the alike nodes of a partition are one
 * machine: "epyc-3fa2c01b". */
void qtp_fleet_machine_key(const json_t *machine, const char *type, char *key, size_t len);

/* What the report shows of a machine: host, CPU model, packages, cores, PUs, SMT, NUMA nodes,
 * caches and kernel, from meta.json's "machine" (new reference). */
json_t *qtp_fleet_machine_description(const json_t *machine);

/* The entry of "machines" in a merged directory's meta.json that name names: its key, or its
 * host name when one machine has it, or a prefix of one key. NULL when none or several do
 * (err says which, with the keys there). */
const json_t *qtp_fleet_find(const json_t *meta, const char *name, char *err, size_t errlen);

#endif
