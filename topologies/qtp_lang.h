/* qtp_lang.h - the topology language: an expression for every topology, parsed into the values of
 * qtp_topo.h and printed back in one canonical form.
 *
 *   seq(stage, fanout(seq(stage, stage), stage), shard(stage, 4), stage)
 *   seq(stage(name=parse, work=200ns), shard(stage(sleep=20ms), 2), stage(name=merge))
 *   topo(stage(name=c1), producers=3)          topo(stage(name=echo), pingpong)
 *
 * The combinators read as the constructors of qtp_topo.h. Topology options (producers, payload,
 * pingpong) go in a top-level topo(...) wrapper rather than after a separator, so an expression
 * is always one balanced term: lists of expressions split at their top-level commas
 * (qtp_topo_list_item), and the shell needs nothing but single quotes around it.
 * qtp_topo_grammar is the full grammar with the canonical-form rules.
 */
#ifndef QTP_LANG_H
#define QTP_LANG_H

#include <stddef.h>

#include "qtp_topo.h"

/* Limits of the language, beyond those of qtp_topo.h (instances, fields, producers, payload). */
#define QTP_TOPO_MAX_DEPTH 16          /* nested seq/fanout/shard */
#define QTP_TOPO_MAX_NODES 128         /* stages and combinators as written */
#define QTP_TOPO_MAX_SHARD 64          /* shard count (a power of two) */
#define QTP_TOPO_NAME_LEN 23           /* characters of a stage name */
#define QTP_TOPO_NUMBER_MAX 4294967295 /* UINT32_MAX */
/* Room for the canonical form of any topology within the limits, NUL included. */
#define QTP_TOPO_EXPR_MAX 8192

/* Where and why an expression was refused. */
struct qtp_parse_error {
    size_t column; /* 1-based byte column of the offending token (past the end: strlen + 1) */
    size_t length; /* bytes of that token, at least 1 */
    char msg[160]; /* one line, e.g. "shard count must be a power of two: 3" */
};

/* Parse expr into a finalized topology named name (NULL: "custom"). defaults (NULL: none): its
 * work_ns/sleep_ns go to every stage that sets none, its payload applies when the expression sets
 * none; its fanout/shards/stages are not used. 0, EINVAL with *err filled (the message names the
 * bad token or the limit; err may be NULL), or ENOMEM. */
int qtp_topo_parse(const char *expr, const char *name, const struct qtp_topo_params *defaults,
                   struct qtp_topology *out, struct qtp_parse_error *err);

/* The canonical form of t (see qtp_topo_grammar) into buf; parsing it gives the same graph and
 * printing that gives the same text. 0, or ENOSPC when len is too small (QTP_TOPO_EXPR_MAX never
 * is), or EINVAL when t is not finalized. */
int qtp_topo_print(const struct qtp_topology *t, char *buf, size_t len);

/* A topology as a user names it: a name of the registry, built with p (qtp_topology_build), or
 * else an expression parsed with p as its defaults (qtp_topo_parse). p NULL: all defaults. 0,
 * EINVAL with *err filled (a bare word that is no name: "unknown topology 'x' (accepted: ...)"),
 * or ENOMEM. */
int qtp_topology_resolve(const char *text, const struct qtp_topo_params *p,
                         struct qtp_topology *out, struct qtp_parse_error *err);

/* The message, the expression and a caret line under the offending token ("  seq(stage, x)\n
 * ...^"), each ending in a newline; long expressions are cut around the column. 0 or ENOSPC. */
int qtp_parse_error_format(const char *expr, const struct qtp_parse_error *err, char *buf,
                           size_t len);

/* Bytes of the first item of a comma-separated list of names and expressions: up to the first
 * comma outside parentheses, or the end. */
size_t qtp_topo_list_item(const char *list);

/* The grammar (EBNF), the canonical-form rules and examples, for `qtopo help topologies`. */
extern const char qtp_topo_grammar[];

#endif
