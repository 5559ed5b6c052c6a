/* machine.h - this machine (or a synthetic / XML one) as hwloc sees it, for `qtopo info`,
 * meta.json and the placement planner.
 *
 * A qtp_machine is loaded once and then only read. Lookups, planning and binding
 * (placement.h) may run from any number of threads at once on the same machine (hwloc's
 * read-only calls, binding included, are thread-safe); export, JSON and print from one thread
 * at a time. The arrays are a flattened view of the hwloc tree that the planner walks, so the
 * planner never touches hwloc and is tested on synthetic topologies exactly as it runs for real.
 *
 * Numbering: PUs are named by their OS index (what sched_getcpu() returns and what cpus:LIST and
 * threads[].cpus_seen use); NUMA nodes by their OS index (what libnuma and node:N use). Packages
 * and cores are named by hwloc's logical index (0..n-1 in topology order).
 *
 * Only the PUs this process may use are listed (hwloc drops PUs outside the allowed cpuset, e.g.
 * under taskset or a cgroup), so "the machine" is what the runner can actually place threads on.
 */
#ifndef QTP_MACHINE_H
#define QTP_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct hwloc_topology; /* hwloc_topology_t, private to the machine layer */

/* One processing unit (hardware thread). */
struct qtp_pu {
    int os;       /* OS CPU number */
    int core;     /* logical index of its core (each PU its own core if there is no core level) */
    int package;  /* logical index of its package, 0 if there is no package level */
    int node;     /* OS index of its NUMA node (the first one covering it), -1 unknown */
    int smt_rank; /* position among its core's PUs, 0 for the first */
};

struct qtp_numa_node {
    int os;                /* OS index (libnuma's node number) */
    uint64_t memory_bytes; /* local memory, 0 unknown */
    unsigned npus;         /* PUs of this machine local to it (0: memory-only node) */
};

struct qtp_cache_level {
    char name[8];              /* "L1d", "L2", "L3", ... */
    unsigned depth;            /* 1, 2, 3, ... */
    uint64_t size_bytes;       /* of one instance */
    unsigned line_bytes;       /* 0 unknown */
    unsigned instances;        /* how many in the machine */
    unsigned pus_per_instance; /* PUs sharing one instance (the largest sharing seen) */
};

#define QTP_MACHINE_MAX_CACHES 6

struct qtp_machine {
    char source[512]; /* "this machine", "synthetic: pack:2 ...", "xml: /path" */
    bool this_system; /* real hardware: binding and sched_getcpu() mean something */
    char hostname[256];
    char cpu_model[256];    /* hwloc CPUModel, else /proc/cpuinfo "model name", else "unknown" */
    char kernel[512];       /* uname: "Linux 6.1.0-18-amd64 #1 SMP ... x86_64" */
    char governor[64];      /* cpu0 cpufreq scaling_governor, "" if not readable */
    char hwloc_version[32]; /* of the library in use */
    unsigned npackages, ncores, npus, nnodes;
    unsigned nnodes_with_cpus;   /* NUMA nodes having at least one of our PUs */
    unsigned smt_max;            /* most PUs in one core (1: no SMT) */
    struct qtp_pu *pus;          /* npus, in hwloc logical order: core by core, siblings adjacent */
    struct qtp_numa_node *nodes; /* nnodes, in hwloc logical order */
    uint64_t *distances;         /* nnodes x nnodes, row-major in nodes[] order; NULL unknown */
    char distances_source[32];   /* "hwloc NUMALatency", "libnuma", "" */
    struct qtp_cache_level caches[QTP_MACHINE_MAX_CACHES];
    unsigned ncaches;
    bool numa_api; /* libnuma usable here (numa_available() >= 0); false for non-real machines */
    struct hwloc_topology *topo; /* private */
};

/* Where to get the topology from. Exactly one of synthetic / xml_path may be set; neither: the
 * real machine. */
struct qtp_machine_source {
    const char *synthetic; /* hwloc synthetic description, e.g. "pack:2 numa:2 core:8 pu:2" */
    const char *xml_path;  /* an XML file written by lstopo or by qtp_machine_xml() */
};

/* Environment overrides honoured by qtp_machine_load_env(). */
#define QTP_MACHINE_ENV_SYNTHETIC "QTOPO_HWLOC_SYNTHETIC"
#define QTP_MACHINE_ENV_XML "QTOPO_HWLOC_XML"

/* Load and flatten a topology. 0, or EINVAL with a message in err (a bad synthetic description
 * or XML file names the value), or ENOMEM. *out is NULL on failure. */
int qtp_machine_load(struct qtp_machine **out, const struct qtp_machine_source *src, char *err,
                     size_t errlen);
/* As qtp_machine_load, with the source taken from QTOPO_HWLOC_SYNTHETIC or QTOPO_HWLOC_XML when
 * set (both set: EINVAL), else the real machine. */
int qtp_machine_load_env(struct qtp_machine **out, char *err, size_t errlen);
void qtp_machine_free(struct qtp_machine *m);

/* Index into m->pus of the PU with OS number os, or -1 if this machine has no such PU. */
int qtp_machine_pu_index(const struct qtp_machine *m, int os);
/* OS index of the NUMA node of PU os, -1 unknown / no such PU. */
int qtp_machine_pu_node(const struct qtp_machine *m, int os);
/* Index into m->nodes of node OS index os, or -1. */
int qtp_machine_node_index(const struct qtp_machine *m, int os);

/* Compact list text of OS numbers, e.g. "0-3,8,10-11" (sorted, duplicates dropped). Returns the
 * length it needed (like snprintf); "none" when n == 0. */
int qtp_cpulist_format(const int *ids, size_t n, char *buf, size_t len);
/* The machine's CPUs / NUMA nodes as such a list ("0-1"). */
int qtp_machine_cpus_text(const struct qtp_machine *m, char *buf, size_t len);
int qtp_machine_nodes_text(const struct qtp_machine *m, char *buf, size_t len);

/* The hwloc topology as an XML string (for meta.json). 0 and *xml (free() it), or an errno. */
int qtp_machine_xml(const struct qtp_machine *m, char **xml);

enum {
    QTP_MACHINE_JSON_XML = 1u << 0,        /* include "hwloc_xml" (meta.json) */
    QTP_MACHINE_JSON_PUS = 1u << 1,        /* include the per-PU table */
    QTP_MACHINE_JSON_PLACEMENTS = 1u << 2, /* include which placements/memory policies work here */
};
/* The machine as a JSON object (a new reference; NULL on ENOMEM). Keys: source, this_system,
 * hostname, cpu_model, kernel, governor (null when unreadable), hwloc_version, numa_available,
 * packages, cores, pus, numa_nodes, smt, cpus ("0-1"), nodes [{os_index, memory_bytes, cpus}],
 * distances {source, matrix} or null, caches [{name, level, size_bytes, line_bytes, instances,
 * pus_per_instance}], and per the flags: hwloc_xml, pu_table [{os_index, core, package, node,
 * smt_rank}], placements
 * [{name, possible, reason}], memory [{name, possible, reason}]. */
json_t *qtp_machine_to_json(const struct qtp_machine *m, unsigned flags);

/* The `qtopo info` text: summary, NUMA nodes and distances, caches, a lstopo-like tree of
 * packages / nodes / cores / PUs, and which placements and memory policies are possible here and
 * why not. 0 or an errno from writing. */
int qtp_machine_print(const struct qtp_machine *m, FILE *f);

#endif
