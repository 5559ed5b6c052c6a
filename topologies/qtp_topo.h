/* qtp_topo.h - topologies as values: combinators, the event layout, named topologies, the model.
 *
 * A description is a tree of stage/seq/fanout/shard nodes (seed 000's P). Both deployments
 * (qtp_deploy.h) and the sequential model are compiled from the same finalized tree, so the two
 * deployments differ only in the queue.
 *
 * Semantics (what the model computes and every deployment must agree with):
 *   stage(fn)      one thread per instance; writes only its own output field out[f]:
 *                  out[f] = mix(input, f, the fields of the stages right before it), plus optional
 *                  busy work (work_ns) or sleep (sleep_ns). A stage after a fan-out (a join) reads
 *                  every branch's last fields.
 *   seq(a, b)      a then b.
 *   fanout(a, ..)  every branch sees every event; whatever follows joins the branches.
 *   shard(a, n)    n copies of a (n a power of two); copy i owns the events at positions
 *                  p with p mod n == i. Nested: inside a region owning p mod M == r, copy i of
 *                  shard(a, n) owns p mod (M*n) == r + M*i (seed 000's addPartition). Whatever
 *                  follows the shard sees the copies' outputs merged back in position order.
 * A terminal is a stage instance with no downstream stage (a shard copy counts once per copy).
 */
#ifndef QTP_TOPO_H
#define QTP_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qtp_work.h" /* stages do calibrated busy work */

/* Limits: stage instances (threads other than producers) and therefore fields and terminals. */
#define QTP_TOPO_MAX_INSTANCES 64
#define QTP_TOPO_MAX_FIELDS 64
#define QTP_TOPO_MAX_PRODUCERS 4
#define QTP_MAX_TERMINALS QTP_TOPO_MAX_INSTANCES
#define QTP_PAYLOAD_MIN 8
#define QTP_PAYLOAD_MAX 4096
#define QTP_STAGE_TIME_MAX_NS 1000000000ull /* work or sleep per event */

enum qtp_node_kind { QTP_NODE_STAGE, QTP_NODE_SEQ, QTP_NODE_FANOUT, QTP_NODE_SHARD };

struct qtp_stage_params {
    const char *name;  /* for roles and reports; copied (up to 23 chars); NULL: "s<field+1>" */
    uint64_t work_ns;  /* calibrated busy work per event */
    uint64_t sleep_ns; /* nanosleep per event (seed 000's sleep experiment) */
};

struct qtp_node; /* opaque tree node; a node is owned by the node it is passed to */

/* Constructors return NULL on bad arguments or ENOMEM (and free what they were given). */
struct qtp_node *qtp_stage(const struct qtp_stage_params *p); /* p NULL: defaults */
/* seq flattens the seqs and fanout the fanouts it is given, and either of one part is the part
 * itself: the same graph, and the tree is already in the language's canonical form. */
struct qtp_node *qtp_seq(struct qtp_node *a, struct qtp_node *b);
struct qtp_node *qtp_seqv(size_t n, struct qtp_node *const *parts);      /* n >= 1 */
struct qtp_node *qtp_fanout(size_t n, struct qtp_node *const *branches); /* n >= 1 */
struct qtp_node *qtp_shard(struct qtp_node *a, unsigned n);              /* n a power of two */
void qtp_node_free(struct qtp_node *n);

/* ---- the event ----
 * Fixed header, then one 64-bit output field per stage (field i written only by stage i), then
 * `payload` bytes. Slot size = qtp_event_size(nfields, payload) (a multiple of 8).
 * Payload content (written by the producer, checked by every terminal): every byte is the low
 * byte of input, then the first 8 bytes are input ^ QTP_PAYLOAD_HEAD and, when payload >= 16,
 * the last 8 bytes are seq ^ QTP_PAYLOAD_TAIL.
 */
struct qtp_event {
    /* QTP_EVENT_ID(seq, producer): the position in the stream (per producer for the sequencer)
     * in the low 56 bits, the producer that made it (0 but for several producers) in the top 8.
     * One word, so that a unicast event is 32 bytes, two to a cache line: the header is what
     * the harness adds to every event a queue moves, and a line shared by two events that a
     * producer and a consumer touch at once is paid for in transfers, not in instructions. */
    uint64_t id;
    uint64_t input;     /* the producer's value */
    uint64_t t_publish; /* qtp_clock_ticks() at publish, or the intended send time when paced */
    uint64_t out[];     /* nfields outputs, then payload */
};
#define QTP_EVENT_SEQ_BITS 56
#define QTP_EVENT_ID(seq, producer) ((uint64_t)(seq) | (uint64_t)(producer) << QTP_EVENT_SEQ_BITS)
static inline int64_t qtp_event_seq(uint64_t id)
{
    return (int64_t)(id & ((UINT64_C(1) << QTP_EVENT_SEQ_BITS) - 1));
}
static inline unsigned qtp_event_producer(uint64_t id)
{
    return (unsigned)(id >> QTP_EVENT_SEQ_BITS);
}
#define QTP_PAYLOAD_HEAD 0x5151aa55c3c3e7e7ULL
#define QTP_PAYLOAD_TAIL 0x7e7e3c3c55aa1515ULL
size_t qtp_event_size(unsigned nfields, size_t payload);
static inline unsigned char *qtp_event_payload(struct qtp_event *ev, unsigned nfields)
{
    return (unsigned char *)(ev->out + nfields);
}
/* Write the payload for (seq, input) / check it (0, or 1 + the index of the first bad byte). */
void qtp_payload_fill(unsigned char *p, size_t len, int64_t seq, uint64_t input);
size_t qtp_payload_check(const unsigned char *p, size_t len, int64_t seq, uint64_t input);

/* Parameters of a topology (the matrix's `params`). Zero means the default. */
struct qtp_topo_params {
    unsigned fanout;    /* fanout: branches, 1..16 (default 3) */
    unsigned shards;    /* shard: copies, power of two 1..32 (default 2) */
    unsigned stages;    /* pipeline: length 1..32 (default 3) */
    unsigned producers; /* broker: publishers, 1..4 (default 4) */
    unsigned readers;   /* broker: readers, 1..16 (default 6) */
    uint64_t work_ns;   /* extra busy work per event in every stage */
    uint64_t sleep_ns;
    size_t payload; /* 0 or 8..4096 */
};
/* 0, or EINVAL with one line in err naming the bad value and the accepted ones. */
int qtp_topo_params_check(const struct qtp_topo_params *p, char *err, size_t len);

struct qtp_graph; /* the compiled form (internal, qtp_topo_internal.h) */

/* A finalized topology: fields numbered, instances and threads counted. */
struct qtp_topology {
    char name[64];
    struct qtp_node *root; /* owned */
    unsigned producers;    /* 1, or 3 for the sequencer (at most QTP_TOPO_MAX_PRODUCERS) */
    bool pingpong;         /* two rings/queues, round trip */
    unsigned nfields;      /* stages with an output field */
    unsigned ninstances;   /* stage threads (a shard copy counts per copy) */
    unsigned nterminals;
    unsigned nthreads; /* producers + stage threads (identical in every deployment) */
    size_t payload;
    size_t event_size;
    struct qtp_graph *graph; /* owned */
};

/* Finalize a description into *t (takes ownership of root, also on failure). 0 or EINVAL
 * (too many instances/fields, several producers with a shard, or with several first stages whose
 * branches join, bad payload) or ENOMEM. */
int qtp_topology_init(struct qtp_topology *t, const char *name, struct qtp_node *root,
                      unsigned producers, size_t payload);
/* Make t a round trip: the producer sends to the single stage and takes the events back. EINVAL
 * unless the description is one stage and there is one producer. */
int qtp_topology_set_pingpong(struct qtp_topology *t);
void qtp_topology_fini(struct qtp_topology *t);
/* What `qtopo describe` prints: the canonical expression, the tree (one line per node), the
 * threads in start order with what each instance owns ("1 w#1: field 0, owns p%2==1, after
 * producer"), the ring wiring (what each waits on, who gates the producer) and the per-edge
 * wiring (every queue q[src->dst] with the positions it carries, what each thread pops and
 * pushes). Into buf: 0, ENOSPC when cut, ENOMEM; to f: 0, EIO or ENOMEM. */
int qtp_topology_describe(const struct qtp_topology *t, char *buf, size_t len);
int qtp_topology_describe_write(const struct qtp_topology *t, FILE *f);
/* The same as Graphviz DOT: one digraph, the ring wiring and the per-edge wiring as two clusters
 * side by side (`dot -Tsvg`). Same returns. */
int qtp_topology_dot(const struct qtp_topology *t, char *buf, size_t len);
int qtp_topology_dot_write(const struct qtp_topology *t, FILE *f);

/* ---- named topologies: the registry `qtopo list` and the runner walk ----
 * A named topology is defined by an expression of the language (qtp_lang.h), written as a
 * template over the shape parameters: {fanout}, {shards}, {stages}, {producers} and {readers}
 * stand for the parameter's
 * value (default when 0), and X*{param} for X repeated that many times, comma-separated, with
 * {i} in X the copy's number from 1. So the parameters a topology takes are the ones its template
 * names (qtp_topology_takes). work_ns/sleep_ns go to every stage, payload to the topology. */
enum qtp_topo_param {
    QTP_PARAM_FANOUT = 1,
    QTP_PARAM_SHARDS = 2,
    QTP_PARAM_STAGES = 4,
    QTP_PARAM_PRODUCERS = 8,
    QTP_PARAM_READERS = 16,
};

struct qtp_topology_def {
    const char *name;
    const char *summary; /* one line: shape and parameters */
    const char *expr;    /* the definition: a template of an expression */
    const char *wiring;  /* how it is wired on a ring and over per-edge queues */
    /* d->build(p, out) is qtp_topology_build(d, p, out). */
    int (*build)(const struct qtp_topo_params *p, struct qtp_topology *out);
    /* Left out of `qtopo run`'s default matrix (too long for its ~3 minutes on 2 cores); -t NAME
     * or -t all runs it. */
    bool not_default;
};
extern const struct qtp_topology_def qtp_topologies[]; /* {NULL}-terminated */
const struct qtp_topology_def *qtp_topology_find(const char *name);
/* Build d with p (checked: EINVAL on bad parameters), named d->name. 0, EINVAL or ENOMEM. */
int qtp_topology_build(const struct qtp_topology_def *d, const struct qtp_topo_params *p,
                       struct qtp_topology *out);
/* d's expression with p substituted (p NULL: defaults), in canonical form, as `qtopo list`
 * shows it for a user to copy. 0, EINVAL (bad p) or ENOSPC. */
int qtp_topology_def_expr(const struct qtp_topology_def *d, const struct qtp_topo_params *p,
                          char *buf, size_t len);
/* The QTP_PARAM_* d's template takes. */
unsigned qtp_topology_takes(const struct qtp_topology_def *d);
/* Those parameters for help text: "--fanout N: branches, 1..16, default 3" ("" when none),
 * "; "-separated. 0 or ENOSPC. */
int qtp_topology_params_text(const struct qtp_topology_def *d, char *buf, size_t len);

/* ---- the sequential model and the check ----
 * Each terminal folds, in the order it sees them, every event it handles (seq, producer, input
 * and every output field visible to it, i.e. its own and its ancestors') into an order-sensitive
 * 64-bit hash per producer, and counts them. Deployments also check every event inline against
 * the stage functions (they are pure functions of the input) and keep the first mismatch.
 */
struct qtp_expect_term {
    uint64_t count[QTP_TOPO_MAX_PRODUCERS];
    uint64_t hash[QTP_TOPO_MAX_PRODUCERS];
    /* Inline check (deployments only; the model leaves these 0). */
    uint64_t bad;    /* events that disagreed with the stage functions or the order */
    int64_t bad_seq; /* first bad event */
    unsigned bad_producer;
    char bad_what[48]; /* "order", "input", "field 2 (c3)", "payload byte 17", ... */
    uint64_t bad_want, bad_got;
};
struct qtp_expect {
    unsigned nterminals;
    unsigned producers;
    uint64_t errors; /* deployment-level inconsistencies (e.g. a join saw two sequences) */
    char error[160]; /* the first of them */
    struct qtp_expect_term term[QTP_MAX_TERMINALS];
};

/* Deterministic input value of event seq from producer p. */
uint64_t qtp_input_value(uint64_t seed, unsigned producer, int64_t seq);
/* Run the description on one thread over events 0..n-1 (per producer) and fill *e. 0. */
int qtp_model_run(const struct qtp_topology *t, uint64_t seed, uint64_t n, struct qtp_expect *e);
/* The same with producer p making events 0..counts[p]-1 (producers that stop early). 0. */
int qtp_model_run_counts(const struct qtp_topology *t, uint64_t seed, const uint64_t *counts,
                         struct qtp_expect *e);
/* The same, but doing every stage's work and sleep too (the sequential timing of seed 000). */
int qtp_model_run_work(const struct qtp_topology *t, uint64_t seed, uint64_t n,
                       struct qtp_expect *e);
/* Compare; true when equal and got saw no inline mismatch. Otherwise a reason is written, the
 * first problem first: "terminal c3: seq 41 producer 0 field 1 (c2): expected 0x.., got 0x..
 * (3 bad events)", "terminal c3 producer 0: count 99, expected 100", "... hash differs". */
bool qtp_expect_check(const struct qtp_topology *t, const struct qtp_expect *want,
                      const struct qtp_expect *got, char *reason, size_t len);

#endif
