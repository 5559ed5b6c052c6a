/* qtp_topo.h - topologies as values: combinators, the event layout, named topologies, the model.
 *
 * A description is a tree of stage/seq/fanout/shard nodes (seed 000's P). Both deployments
 * (qtp_deploy.h) and the sequential model are compiled from the same finalized tree, so the two
 * deployments differ only in the queue.
 */
#ifndef QTP_TOPO_H
#define QTP_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum qtp_node_kind { QTP_NODE_STAGE, QTP_NODE_SEQ, QTP_NODE_FANOUT, QTP_NODE_SHARD };

struct qtp_stage_params {
    const char *name; /* for roles and reports; copied; NULL: "s<field>" */
    uint64_t work_ns; /* calibrated busy work per event */
    uint64_t sleep_ns; /* nanosleep per event (seed 000's sleep experiment) */
};

struct qtp_node; /* opaque tree node; a node is owned by the node it is passed to */

/* Constructors return NULL on bad arguments or ENOMEM (and free what they were given). */
struct qtp_node *qtp_stage(const struct qtp_stage_params *p);
struct qtp_node *qtp_seq(struct qtp_node *a, struct qtp_node *b);
struct qtp_node *qtp_fanout(size_t n, struct qtp_node *const *branches); /* n >= 1 */
struct qtp_node *qtp_shard(struct qtp_node *a, unsigned n);              /* n a power of two */
void qtp_node_free(struct qtp_node *n);

/* ---- the event ----
 * Fixed header, then one 64-bit output field per stage (field i written only by stage i), then
 * `payload` bytes. Slot size = qtp_event_size(nfields, payload).
 */
struct qtp_event {
    int64_t seq;        /* position in the stream (per producer for the sequencer) */
    uint32_t producer;  /* which producer made it (sequencer), else 0 */
    uint32_t flags;
    uint64_t input;     /* the producer's value */
    uint64_t t_publish; /* qtp_clock_ticks() at publish, or the intended send time when paced */
    uint64_t out[];     /* nfields outputs, then payload */
};
size_t qtp_event_size(unsigned nfields, size_t payload);

/* Parameters of a topology and of a run (the matrix's `params`). */
struct qtp_topo_params {
    unsigned fanout;  /* fanout: branches, 1..16 (default 3) */
    unsigned shards;  /* shard: copies, power of two (default 2) */
    unsigned stages;  /* pipeline: length (default 3) */
    uint64_t work_ns; /* extra busy work per event in every stage */
    uint64_t sleep_ns;
    size_t payload;   /* 0 or 8..4096 */
};

/* A finalized topology: fields numbered, threads counted. */
struct qtp_topology {
    char name[64];
    struct qtp_node *root; /* owned */
    unsigned producers;    /* 1, or 3 for the sequencer */
    bool pingpong;         /* two rings/queues, round trip */
    unsigned nfields;      /* stages with an output field */
    unsigned nthreads;     /* producers + stage threads (identical in every deployment) */
    size_t payload;
    size_t event_size;
};

/* Finalize a description into *t (takes ownership of root). 0 or EINVAL/ENOMEM. */
int qtp_topology_init(struct qtp_topology *t, const char *name, struct qtp_node *root,
                      unsigned producers, size_t payload);
void qtp_topology_fini(struct qtp_topology *t);
/* One line per node, indented, e.g. "seq\n  fanout\n    stage c1 (field 0)..." into buf. */
int qtp_topology_describe(const struct qtp_topology *t, char *buf, size_t len);

/* ---- named topologies: the registry `qtopo list` and the runner walk ---- */
struct qtp_topology_def {
    const char *name;
    const char *summary; /* one line: shape and parameters */
    const char *wiring;  /* how it is wired on a ring and over mutex queues */
    int (*build)(const struct qtp_topo_params *p, struct qtp_topology *out);
};
extern const struct qtp_topology_def qtp_topologies[]; /* {NULL}-terminated */
const struct qtp_topology_def *qtp_topology_find(const char *name);

/* ---- the sequential model and the check ----
 * A terminal is a stage instance with no downstream stage (a shard copy counts once per copy).
 * Each terminal folds, in the order it sees them, every event it handles (seq, producer, input
 * and every output field visible to it) into an order-sensitive 64-bit hash, and counts them.
 * The sequencer's consumer keeps one fold per producer (only per-producer order is defined).
 */
#define QTP_MAX_TERMINALS 64

struct qtp_expect {
    unsigned nterminals;
    uint64_t count[QTP_MAX_TERMINALS];
    uint64_t hash[QTP_MAX_TERMINALS];
};

/* Deterministic input value of event seq from producer p. */
uint64_t qtp_input_value(uint64_t seed, unsigned producer, int64_t seq);
/* Run the description on one thread over events 0..n-1 (per producer) and fill *e. 0 or ENOMEM. */
int qtp_model_run(const struct qtp_topology *t, uint64_t seed, uint64_t n, struct qtp_expect *e);
/* Compare; true when equal. Otherwise a reason is written ("terminal 2 (stage c3): count 99,
 * expected 100" or "first bad sequence 41 field 2: expected 0x.., got 0x.."). */
bool qtp_expect_check(const struct qtp_topology *t, const struct qtp_expect *want,
                      const struct qtp_expect *got, char *reason, size_t len);

/* Calibrate busy work against the clock (call once at start-up; idempotent). */
void qtp_work_calibrate(void);

#endif
