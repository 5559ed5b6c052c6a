/* cli_int.h - internal to runners/cli/: the option table and the helpers its three files share. */
#ifndef QTP_CLI_INT_H
#define QTP_CLI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qtp_cli.h"
#include "qtp_text.h"

/* The default matrix. Sized so that `qtopo run` takes about 3 minutes on a 2-core machine and
 * `--quick` under one. */
#define DEFAULT_EVENTS 400000
#define DEFAULT_REPS 5
#define QUICK_EVENTS 20000
#define QUICK_REPS 3
#define DEFAULT_RT_EVENTS 40000 /* round trips (pingpong) in the default matrix */
#define QUICK_RT_EVENTS 4000
/* The default matrix's round trips again with copies to check: a batch in flight, a payload. */
#define DEFAULT_RT_COPY_BATCH 8
#define DEFAULT_RT_COPY_PAYLOAD 32
#define DEFAULT_RING_SIZE 1024
#define DEFAULT_BATCH 1
#define DEFAULT_FANOUT 3 /* the topology builders' defaults (qtp_topo.h) */
#define DEFAULT_SHARDS 2
#define DEFAULT_STAGES 3
#define DEFAULT_PRODUCERS 4 /* the broker's: seed 002's 4 publishers and 6 readers */
#define DEFAULT_READERS 6
#define DEFAULT_TIMEOUT_S 30

/* One line into err, and the exit status of bad input. */
#define CLI_BAD(err, len, ...) (qtp_set_err((err), (len), __VA_ARGS__), QTP_CLI_BAD)

enum opt_kind {
    K_NAMES,  /* a list of names checked against a registry (qtp_matrix.names[axis]) */
    K_PARAM,  /* a cell parameter: a list of counts, or one (F_SCALAR) */
    K_U64,    /* one count, a scalar member of qtp_matrix */
    K_FLAG,   /* a bool member of qtp_matrix */
    K_TEXT,   /* a char[] member of qtp_matrix, checked by its parser (the opt-out plan) */
    K_CHOICE, /* one name of a registry (opt_def.choice), a char[] member of qtp_matrix */
    K_PATH,   /* command line only */
};

enum {
    F_POW2 = 1u << 0,    /* powers of two only */
    F_BINARY = 1u << 1,  /* K/M/G are 1024s */
    F_RATE = 1u << 2,    /* may end in "/s" */
    F_PAYLOAD = 1u << 3, /* 0 or min..max */
    F_PLAIN = 1u << 4,   /* small numbers: no suffix note in messages */
    F_SCALAR = 1u << 5,  /* K_PARAM: one value, not a sweep */
    F_AUTO = 1u << 6,    /* K_U64 (32-bit): also "auto", stored as UINT32_MAX, decided per rep */
};

enum opt_id {
    O_TOPOLOGY,
    O_QUEUE,
    O_WAIT,
    O_PLACEMENT,
    O_MEMORY,
    O_EVENTS,
    O_REPS,
    O_WARMUP,
    O_RING_SIZE,
    O_BATCH,
    O_BATCH_MAX,
    O_PAYLOAD,
    O_WORK,
    O_FANOUT,
    O_SHARDS,
    O_STAGES,
    O_PRODUCERS,
    O_READERS,
    O_OPT_OUT,
    O_RATE,
    O_TIMEOUT,
    O_OVERSUBSCRIBE,
    O_QUICK,
    O_NO_LATENCY,
    O_SAMPLE_MS,
    O_COUNTERS,
    O_SEED,
    O_MATRIX,
    O_OUT,
    O_RESUME,
    O_SLICE,
    O_SLICE_PLAN,
    O_HELP,
    O_COUNT
};

struct opt_def {
    enum opt_id id;
    const char *name;  /* long option and JSON key */
    const char *alias; /* another JSON key, or NULL (a parameter's is its schema name) */
    int short_name;    /* 0: none */
    const char *arg;   /* NULL: a flag */
    enum opt_kind kind;
    unsigned flags;
    uint64_t min, max;
    int index;            /* K_NAMES: qtp_cell_name_id; K_PARAM: qtp_param_id */
    size_t off, size;     /* K_U64, K_FLAG: the member of struct qtp_matrix */
    uint64_t dflt, quick; /* K_PARAM, K_U64: the default matrix's value (and with --quick) */
    /* K_CHOICE: the i-th name of its registry, NULL past the last (the registry's own table). */
    const char *(*choice)(size_t i);
    const char *help;
};
extern const struct opt_def qtp_cli_opts[O_COUNT];

static inline bool opt_given(const struct qtp_matrix *m, enum opt_id id)
{
    return m->given & (1ull << id);
}

/* The option a matrix key names (its name or its alias), or NULL. */
const struct opt_def *qtp_cli_opt_by_key(const char *key);
/* Apply one textual value of option d (a flag's argument, or a JSON string); where says where it
 * came from. A list given twice replaces unless append (the elements of a JSON array). */
int qtp_cli_apply_text(const struct opt_def *d, struct qtp_matrix *m, const char *where,
                       const char *s, bool append, char *err, size_t len);
/* "topology, queue, ..., seed": the matrix keys. */
void qtp_cli_matrix_keys(char *buf, size_t len);
/* The names of a name axis (without "all"), from its registry. */
size_t qtp_cli_axis_names(enum qtp_cell_name_id axis, const char **names, size_t max);
/* 0, or QTP_CLI_BAD naming the value and the accepted ones. */
int qtp_cli_check_name(enum qtp_cell_name_id axis, const char *where, const char *v,
                       const struct qtp_machine *mach, char *err, size_t len);
/* --slice K/N: 1 <= K <= N <= QTP_SLICE_MAX. 0 or QTP_CLI_BAD. */
int qtp_cli_parse_slice(const char *s, unsigned *k, unsigned *n, char *err, size_t len);
void qtp_cli_strlist_add(struct qtp_strlist *l, const char *v);
/* A topology item of a list (topology.c): a name of the registry (or "all") stays as it is, an
 * expression is checked by parsing it and rewritten into tok (cap bytes) in its canonical form,
 * so that two spellings make one cell. 0, QTP_CLI_BAD (err: qtp_cli_topology_error's text after
 * where) or ENOMEM. */
int qtp_cli_topology_item(const char *where, char *tok, size_t cap, char *err, size_t len);
void qtp_cli_numlist_add(struct qtp_numlist *l, uint64_t v);

/* default_parts.c: the default matrix (no matrix file) split into parts: round trips with
 * fewer events (and again with a batch in flight and a payload), and each queue kind with
 * default waits in a part of its own. 0 or ENOMEM. */
int qtp_cli_default_parts(struct qtp_run_opts *o);

#endif
