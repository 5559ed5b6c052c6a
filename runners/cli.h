/* cli.h - `qtopo run`'s options: parsed from flags or a JSON matrix file, validated, expanded
 * into cells. Internal to runners/ (the command-line layer): these functions print nothing; they
 * return 0 or QTP_CLI_BAD (exit status 2) with one line in err naming the bad value and the
 * accepted ones.
 *
 * One table of options (cli.c) serves getopt, the JSON matrix keys, --help and meta.json, so the
 * flag and the file spellings cannot drift apart.
 */
#ifndef QTP_CLI_H
#define QTP_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qtp_record.h"
#include "qtp_text.h"

struct json_t;
struct qtp_machine;
struct qtp_topology_def;
struct qtp_queue_kind;
struct qtp_wait_ops;

#define QTP_CLI_BAD 2   /* bad user input: exit status 2 */
#define QTP_AXIS_MAX 32 /* values per axis */
#define QTP_PLACE_MAX 256

struct qtp_strlist {
    unsigned n;
    char v[QTP_AXIS_MAX][QTP_PLACE_MAX];
};

struct qtp_numlist {
    unsigned n;
    uint64_t v[QTP_AXIS_MAX];
};

/* A matrix before expansion: every axis a list; the scalars apply to every cell. */
struct qtp_matrix {
    struct qtp_strlist topology, queue, wait, placement, memory;
    struct qtp_numlist events, ring_size, batch, payload, work_ns, fanout, shards, stages, rate;
    uint64_t warmup;
    uint32_t reps;
    uint32_t timeout_s;
    bool oversubscribe;
    bool quick;
    bool no_latency;
    uint64_t seed;
    uint64_t given; /* bit i: option i of the table was set (by a flag or the file) */
};

/* A run is the union of one or more matrices ("parts"): a matrix file may hold an array of
 * matrix objects, and the default matrix is two parts (round-trip topologies such as pingpong
 * get fewer events: each is a full wake-up both ways). Flags apply to every part. */
struct qtp_run_opts {
    struct qtp_matrix *parts; /* nparts >= 1 after a successful parse without --resume */
    size_t nparts;
    char out[PATH_MAX];         /* empty: results/runs/<UTC time>-<host> */
    char resume[PATH_MAX];      /* --resume DIR */
    char matrix_file[PATH_MAX]; /* --matrix FILE */
    bool help;
};
void qtp_run_opts_free(struct qtp_run_opts *o);

/* Parse `qtopo run` arguments (argv[0] is "run") into o (zeroed first; free it with
 * qtp_run_opts_free, also after an error). The matrix file, if any, is read first, then flags
 * override its keys in every part; unset keys take the defaults (the default matrix, smaller
 * with --quick). Names are checked against the registries, numbers against their ranges, CPUs
 * and NUMA nodes against mach (may be NULL: then by qtp_matrix_check later). */
int qtp_cli_parse_run(int argc, char **argv, struct qtp_run_opts *o, const struct qtp_machine *mach,
                      char *err, size_t errlen);

/* A matrix file's text or meta.json's "matrix": one object, or an array of them (the parts).
 * *parts is malloc'd. origin names the source in messages ("FILE:LINE:COLUMN: ..."). */
int qtp_matrix_parts_from_json_text(const char *text, const char *origin, struct qtp_matrix **parts,
                                    size_t *nparts, char *err, size_t errlen);
int qtp_matrix_parts_from_json(struct json_t *j, const char *origin, struct qtp_matrix **parts,
                               size_t *nparts, char *err, size_t errlen);
/* The parts as written to meta.json: one object, or an array when there are several. */
struct json_t *qtp_matrix_parts_to_json(const struct qtp_matrix *parts, size_t nparts);

/* Load a JSON matrix (object with the option keys) from text into m, over what m holds.
 * `origin` names the source in messages ("FILE:LINE:COLUMN: ..."). */
int qtp_matrix_from_json_text(struct qtp_matrix *m, const char *text, const char *origin, char *err,
                              size_t errlen);
/* The matrix as a JSON object with the same keys (meta.json, read back by --resume). */
struct json_t *qtp_matrix_to_json(const struct qtp_matrix *m);
/* The inverse of qtp_matrix_to_json (resume). */
int qtp_matrix_from_json(struct qtp_matrix *m, struct json_t *obj, const char *origin, char *err,
                         size_t errlen);

/* Fill every axis and scalar the user did not give with the default matrix's values. */
void qtp_matrix_defaults(struct qtp_matrix *m);
/* Check values that depend on the machine (cpus:LIST, node:N). */
int qtp_matrix_check(const struct qtp_matrix *m, const struct qtp_machine *mach, char *err,
                     size_t errlen);

/* One point of the matrix. */
struct qtp_cell {
    char id[sizeof(((struct qtp_rep_record *)0)->cell)];
    const struct qtp_topology_def *topo;
    const struct qtp_queue_kind *queue;
    const struct qtp_wait_ops *wait; /* NULL for the mutex queues: they always block */
    char wait_name[QTP_CELL_NAME_MAX];
    char placement[QTP_PLACE_MAX];
    char memory[QTP_CELL_NAME_MAX];
    struct qtp_cell_params params;
    unsigned nthreads;   /* threads of the deployment */
    unsigned nspinning;  /* of them, busy-spinning while they wait */
    bool skip;           /* not run: reason says why */
    bool oversubscribed; /* more spinning threads than PUs, run because of --oversubscribe */
    /* How it is measured, from its part of the matrix. */
    uint32_t reps;
    uint32_t timeout_s;
    uint64_t seed;
    bool no_latency;
    int pu[QTP_MAX_THREADS]; /* the placement plan: wanted PU per thread, -1 unbound */
    char reason[QTP_REASON_MAX];
};

/* Expand every part and concatenate; a cell two parts both produce runs once. */
int qtp_matrix_expand_parts(const struct qtp_matrix *parts, size_t nparts,
                            const struct qtp_machine *mach, struct qtp_cell **cells, size_t *ncells,
                            char *err, size_t errlen);

/* Expand into cells in a stable order (topology, queue, wait, placement, memory, parameters).
 * The wait axis collapses to one "block" cell for queues that always block; fanout, shards and
 * stages sweep only topologies whose shape they change (elsewhere they are recorded as 0).
 * Spinning cells with more spinning threads than the machine's PUs are marked skipped (or
 * oversubscribed with --oversubscribe). Placement feasibility is decided by the caller.
 * 0, QTP_CLI_BAD (err says why) or ENOMEM. */
int qtp_matrix_expand(const struct qtp_matrix *m, const struct qtp_machine *mach,
                      struct qtp_cell **cells, size_t *ncells, char *err, size_t errlen);

/* Topology parameters for building cell c's topology (n/a parameters get the builders' defaults).
 */
struct qtp_topo_params;
void qtp_cell_topo_params(const struct qtp_cell *c, struct qtp_topo_params *p);

/* Parse a count with K/M/G suffixes (1000s, or 1024s when binary) into *v. 0 or EINVAL. */
int qtp_parse_count(const char *s, bool binary, uint64_t *v);

/* The option reference (for --help): one line per option. */
void qtp_cli_print_options(FILE *out);

#endif
