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

/* The mixer of the values every event carries (input, stage fields, the terminals' fold): one
 * multiply between two xor-shifts. Terminals recompute several of these per event inside the
 * measured window, so a full 64-bit finaliser (qtp_mix64: two multiplies in a dependent chain)
 * would make the harness measure its own check; this one only has to make accidents (a slot not
 * written, copied from the wrong event, read too early) visible, not resist an adversary. */
static inline uint64_t qtp_mix_fast(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

/* Deterministic input value of event seq from producer p (qtp_input_value, inline for the
 * producers and terminals that compute it per event). */
static inline uint64_t qtp_input_inline(uint64_t seed, unsigned producer, int64_t seq)
{
    return qtp_mix_fast(seed ^ ((uint64_t)producer << 56) ^
                        ((uint64_t)seq * 0x2545f4914f6cdd1dULL + 0x9e3779b97f4a7c15ULL));
}

/* The stage function of field f when it reads no field (a first stage): of the input alone. */
static inline uint64_t qtp_stage_root(unsigned f, uint64_t input)
{
    return qtp_mix_fast(input + 0x9e3779b97f4a7c15ULL * (f + 1));
}

/* The stage function's step over one field it reads (in ascending field order). */
static inline uint64_t qtp_stage_step(uint64_t v, uint64_t field)
{
    return qtp_mix_fast(v ^ field);
}

/* The stage function of field f: a pure function of the input and the fields it reads. */
static inline uint64_t qtp_stage_value(const struct qtp_graph *g, unsigned f, uint64_t input,
                                       const uint64_t *out)
{
    uint64_t v = qtp_stage_root(f, input);
    for (uint64_t m = g->stage[f].up; m; m &= m - 1)
        v = qtp_stage_step(v, out[__builtin_ctzll(m)]);
    return v;
}

/* ---- the fold: what a terminal's hash is made of ----
 * A terminal's hash per producer is the sum (mod 2^64) over the events it sees from that producer
 * of qtp_fold_term(k, x): k the event's rank (0, 1, ...) in what this terminal saw from that
 * producer, x the event's seq, producer, input and visible fields combined. Each term is tied to
 * its rank, so the hash is order-sensitive, yet no term depends on the previous one: a chain of
 * dependent multiplies per event (an FNV-style fold) would cap a terminal at a few ns per event
 * however many events a batch holds. The inline check already compares every field; the fold
 * is the second, independent comparison with the model. */
static inline uint64_t qtp_fold_start(int64_t seq, unsigned producer, uint64_t input)
{
    uint64_t s = (uint64_t)seq;
    return input ^ (s << 17 | s >> 47) ^ ((uint64_t)producer << 56);
}

static inline uint64_t qtp_fold_field(uint64_t x, unsigned f, uint64_t v)
{
    unsigned r = (2 * f + 1) & 63; /* odd, never 0: equal field values do not cancel out */
    return x ^ (v << r | v >> (64 - r));
}

static inline uint64_t qtp_fold_term(uint64_t k, uint64_t x)
{
    return qtp_mix_fast(x ^ k * 0x9e3779b97f4a7c15ULL);
}

/* x for one event as terminal with visible fields vis sees it. */
static inline uint64_t qtp_fold_event(int64_t seq, unsigned producer, uint64_t input, uint64_t vis,
                                      const uint64_t *out)
{
    uint64_t x = qtp_fold_start(seq, producer, input);
    for (uint64_t m = vis; m; m &= m - 1) {
        unsigned f = (unsigned)__builtin_ctzll(m);
        x = qtp_fold_field(x, f, out[f]);
    }
    return x;
}

/* qtp_model_run that returns ECANCELED soon after *stop becomes nonzero (NULL: never). */
int qtp_model_run_stoppable(const struct qtp_topology *t, uint64_t seed, uint64_t n,
                            const _Atomic int *stop, struct qtp_expect *e);

/* Sleep ns in slices, returning early once *stop is set (NULL: never). */
void qtp_topo_sleep(uint64_t ns, const _Atomic bool *stop);

#endif
