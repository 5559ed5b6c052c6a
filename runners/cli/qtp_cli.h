/* qtp_cli.h - what `qtopo run` is asked to run: its options, parsed from flags or a JSON matrix
 * file, validated, and expanded into cells. These functions print nothing; they return 0 or
 * QTP_CLI_BAD (exit status 2) with one line in err naming the bad value and the accepted ones.
 *
 * One table of options (options.c) serves getopt, the JSON matrix keys, --help and meta.json, so
 * the flag and the file spellings cannot drift apart; the cell parameters among them come from
 * the row's schema (qtp_record.h), which also names the matrix keys.
 *   options.c      the option table, flags, lists and counts, --help
 *   matrix_json.c  matrix files and meta.json's "matrix"
 *   expand.c       defaults, machine checks, and the expansion into cells (with their plans)
 *   topology.c     topology names and expressions in a matrix, and their errors
 */
#ifndef QTP_CLI_H
#define QTP_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "counters.h"
#include "numa_mem.h"
#include "qtp_record.h"
#include "qtp_deploy.h"
#include "qtp_wait.h"

struct json_t;
struct qtp_machine;
struct qtp_topology_def;
struct qtp_queue_kind;
struct qtp_wait_ops;
struct qtp_topo_params;

#define QTP_CLI_BAD 2   /* bad user input: exit status 2 */
#define QTP_AXIS_MAX 32 /* values per axis */
/* A matrix's size: its cells cost ~1 KB each and a part (an object of a matrix file) ~45 KB, so
 * these keep a run's set-up in tens of megabytes whatever file it is given. */
#define QTP_MATRIX_MAX_CELLS 10000
#define QTP_MATRIX_MAX_PARTS 1000
#define QTP_PLACE_MAX 256
#define QTP_SLICE_MAX 1000 /* --slice K/N: N at most */
/* --sample-ms auto (the default): the sampler wakes every QTP_SAMPLE_MS_OFF_PUS ms, or every
 * QTP_SAMPLE_MS_SHARED ms in a paced rep whose watchdog thread shares the measured PUs (no spare
 * PU on the machine): there each wake-up is a switch on a measured PU, and at 10 ms they about
 * doubled a paced p99 on 2 vCPUs, while saturated throughput showed no cost (issue 9's notes).
 * The row's series.period_ms says which ran. */
#define QTP_SAMPLE_MS_AUTO UINT32_MAX
#define QTP_SAMPLE_MS_OFF_PUS 10
#define QTP_SAMPLE_MS_SHARED 100

/* Names as written (a topology may be an expression, kept in its canonical form). */
struct qtp_strlist {
    unsigned n;
    char v[QTP_AXIS_MAX][QTP_TOPOLOGY_MAX];
};

struct qtp_numlist {
    unsigned n;
    uint64_t v[QTP_AXIS_MAX];
};

/* A matrix before expansion: every coordinate a list (the warm-up has one value); the scalars
 * apply to every cell. */
struct qtp_matrix {
    struct qtp_strlist names[QTP_NCELL_NAMES]; /* topology, queue, wait, placement, memory */
    struct qtp_numlist params[QTP_NPARAMS];    /* by qtp_param_id */
    uint32_t reps;
    uint32_t timeout_s;
    bool oversubscribe;
    bool quick;
    bool no_latency;
    uint32_t sample_ms; /* the sampler's period, 0: off, QTP_SAMPLE_MS_AUTO: per rep */
    char counters[16];  /* a qtp_counters_modes name; unset: what this machine can count */
    uint64_t seed;
    char opt_out[QTP_PLACE_MAX]; /* the opt-out plan of every cell (qtp_deploy.h), "" none */
    uint64_t given;              /* bit i: option i of the table was set (by a flag or the file) */
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
    unsigned slice_k, slice_n;  /* --slice K/N; 0/0: the whole matrix */
    unsigned slice_plan;        /* --slice-plan N; 0: run */
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

/* One point of the matrix, with what it takes to run it. */
struct qtp_cell {
    char id[QTP_CELL_ID_MAX];
    const struct qtp_topology_def *topo;  /* the named topology; NULL for an expression */
    char topology[QTP_TOPOLOGY_MAX];      /* its name, or the expression in canonical form */
    char topology_expr[QTP_TOPOLOGY_MAX]; /* what it runs: the expression, parameters applied */
    const struct qtp_queue_kind *queue;
    const struct qtp_wait_ops *wait;    /* NULL for queues without a wait axis: they always block */
    struct qtp_wait_params wait_params; /* its constants (wait_name spells those not default) */
    char wait_name[QTP_CELL_NAME_MAX];
    char placement[QTP_PLACE_MAX];
    char memory[QTP_CELL_NAME_MAX];
    struct qtp_cell_params params;
    struct qtp_opt_out opt_out; /* who opts out (checked against its topology) */
    char opt_out_text[QTP_PLACE_MAX];
    unsigned nthreads;   /* threads of the deployment */
    unsigned nspinning;  /* of them, busy-spinning while they wait */
    bool skip;           /* not run: reason says why */
    bool oversubscribed; /* more spinning threads than PUs, run because of --oversubscribe */
    /* How it is measured, from its part of the matrix. */
    uint32_t reps;
    uint32_t timeout_s;
    uint64_t seed;
    bool no_latency;
    uint32_t sample_ms;              /* 0: no sampler; QTP_SAMPLE_MS_AUTO: chosen per rep */
    enum qtp_counters_mode counters; /* what each rep counts */
    /* Where it runs, planned once at expansion (with a machine; not for skipped cells). */
    int pu[QTP_MAX_THREADS];    /* wanted PU per thread, -1 unbound */
    struct qtp_memory_spec mem; /* where its storage goes */
    char reason[QTP_REASON_MAX];
};

/* Expand every part and concatenate; a cell two parts both produce runs once. */
int qtp_matrix_expand_parts(const struct qtp_matrix *parts, size_t nparts,
                            const struct qtp_machine *mach, struct qtp_cell **cells, size_t *ncells,
                            char *err, size_t errlen);

/* Expand into cells in a stable order: topology, queue, wait, then placement, memory and the
 * parameters, those that shape the topology turning fastest. The wait axis collapses to one
 * "block" cell for queues that always block; a shape parameter (fanout, shards, stages) sweeps
 * only the topologies whose shape it changes (elsewhere it is recorded as 0). With a machine,
 * each cell's placement is planned: what it cannot give, and spinning cells with more spinning
 * threads than PUs, are marked skipped (or oversubscribed with --oversubscribe).
 * 0, QTP_CLI_BAD (err says why) or ENOMEM. */
int qtp_matrix_expand(const struct qtp_matrix *m, const struct qtp_machine *mach,
                      struct qtp_cell **cells, size_t *ncells, char *err, size_t errlen);

/* The parameters cell c's topology is built with (0: the builder's default). */
void qtp_cell_topo_params(const struct qtp_cell *c, struct qtp_topo_params *p);
struct qtp_topology;
/* Build cell c's topology (its name or expression, with its parameters). 0, EINVAL or ENOMEM. */
int qtp_cell_topology(const struct qtp_cell *c, struct qtp_topology *out);

struct qtp_parse_error;
/* A topology that did not parse, for people: a bare word (a mistyped name) as the parser's one
 * line; an expression as that line, the expression and a caret line under the offending token
 * (qtp_parse_error_format), without a final newline. */
void qtp_cli_topology_error(const char *text, const struct qtp_parse_error *pe, char *buf,
                            size_t len);

/* Parse a count with K/M/G suffixes (1000s, or 1024s when binary) into *v. 0 or EINVAL. */
int qtp_parse_count(const char *s, bool binary, uint64_t *v);

/* The option reference (for --help): one line per option. */
void qtp_cli_print_options(FILE *out);

#endif
