/* qtp_topo_internal.h - internal to topologies/: the compiled form of a description.
 *
 * Field sets are 64-bit masks (QTP_TOPO_MAX_FIELDS == 64); fields are numbered in depth-first
 * order, so ascending field order is a topological order (every upstream field has a lower index).
 * A partition (mod, res) is the set of positions p with p % mod == res; mod is a power of two.
 */
#ifndef QTP_TOPO_INTERNAL_H
#define QTP_TOPO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "qtp_topo.h"

#define QTP_NAME_MAX 24
#define QTP_ROLE_MAX 48

struct qtp_node {
    enum qtp_node_kind kind;
    char name[QTP_NAME_MAX]; /* stage */
    uint64_t work_ns, sleep_ns;
    unsigned n;             /* children (seq, fanout) or copies (shard) */
    struct qtp_node **kids; /* seq/fanout: n children; shard: 1 */
    int field;              /* stage: assigned by qtp_topology_init */
};

struct qtp_gstage { /* a stage node: one field, one function */
    char name[QTP_NAME_MAX];
    uint64_t work_ns, sleep_ns;
    uint64_t up; /* fields it reads (the stages right before it) */
};

struct qtp_ginst { /* a stage instance: one thread */
    unsigned field;
    uint32_t mod, res;
    char role[QTP_ROLE_MAX];
    unsigned ndeps; /* upstream instances; 0: fed by the producer(s) */
    uint8_t deps[QTP_TOPO_MAX_INSTANCES];
    unsigned nouts; /* downstream instances */
    uint8_t outs[QTP_TOPO_MAX_INSTANCES];
    uint64_t vis; /* fields visible in its events: its own and every ancestor's */
    int terminal; /* index among terminals, or -1 */
};

struct qtp_graph {
    unsigned nfields, ninst, nterms, nroots;
    struct qtp_gstage stage[QTP_TOPO_MAX_FIELDS];
    struct qtp_ginst inst[QTP_TOPO_MAX_INSTANCES];
    uint8_t terms[QTP_TOPO_MAX_INSTANCES]; /* instance index of terminal i */
    uint8_t roots[QTP_TOPO_MAX_INSTANCES]; /* instances fed by the producer(s) */
};

static inline bool qtp_part_has(uint32_t mod, uint32_t res, uint64_t pos)
{
    return (pos & (uint64_t)(mod - 1)) == res;
}

static inline uint64_t qtp_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* The stage function of field f: a pure function of the input and the fields it reads. */
static inline uint64_t qtp_stage_value(const struct qtp_graph *g, unsigned f, uint64_t input,
                                       const uint64_t *out)
{
    uint64_t v = qtp_mix64(input + 0x9e3779b97f4a7c15ULL * (f + 1));
    for (uint64_t m = g->stage[f].up; m; m &= m - 1)
        v = qtp_mix64(v ^ out[__builtin_ctzll(m)]);
    return v;
}

/* Order-sensitive fold of one value into a terminal's hash: FNV-1a over 64-bit words (one
 * multiply). It only has to catch accidents, not adversaries, and it runs on every event of every
 * terminal inside the measured window, so a full mix per value (about 4 ns each, a dependent
 * chain) would make the harness measure its own check. */
static inline uint64_t qtp_fold(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ULL;
}

/* Fold one event as terminal with visible fields vis sees it. */
static inline uint64_t qtp_fold_event(uint64_t h, int64_t seq, unsigned producer, uint64_t input,
                                      uint64_t vis, const uint64_t *out)
{
    h = qtp_fold(h, (uint64_t)seq);
    h = qtp_fold(h, producer);
    h = qtp_fold(h, input);
    for (uint64_t m = vis; m; m &= m - 1)
        h = qtp_fold(h, out[__builtin_ctzll(m)]);
    return h;
}

/* Sleep ns in slices, returning early once *stop is set (NULL: never). */
void qtp_topo_sleep(uint64_t ns, const _Atomic bool *stop);

#endif
