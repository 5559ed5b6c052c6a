/* cmd_describe.c - qtopo describe: a topology (a name or an expression) as it is compiled, in
 * words or as Graphviz DOT. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "qtp_cli.h"
#include "qtp_lang.h"
#include "qtp_text.h"
#include "qtp_topo.h"

static void describe_usage(FILE *out)
{
    fprintf(out,
            "NAME\n"
            "    qtopo describe - a topology as it is compiled: threads, ownership, wiring\n"
            "\n"
            "SYNOPSIS\n"
            "    qtopo describe [--dot] [--fanout N] [--shards N] [--stages N] EXPR|NAME\n"
            "\n"
            "DESCRIPTION\n"
            "    EXPR is an expression of the topology language (`qtopo help topologies`),\n"
            "    NAME a named topology (`qtopo list`), built with the shape parameters given\n"
            "    (as `qtopo run` takes them; an expression has its shape written out).\n"
            "    Prints the canonical expression, the tree, the threads in start order with\n"
            "    the positions each owns, the ring wiring (what each stage waits on, who gates\n"
            "    the producer) and the per-edge wiring (every queue and what each thread pops\n"
            "    and pushes).\n"
            "\n"
            "OPTIONS\n"
            "    --dot        Graphviz DOT instead: the ring wiring and the per-edge wiring side\n"
            "                 by side (qtopo describe --dot diamond | dot -Tsvg >diamond.svg)\n"
            "    --fanout N, --shards N, --stages N\n"
            "                 the shape of a named topology (defaults as in `qtopo run`)\n"
            "\n"
            "EXIT STATUS\n"
            "    0 success; 2 bad input: an unknown name, or a bad expression (its error, the\n"
            "    expression and a caret line under the offending token).\n"
            "\n"
            "EXAMPLES\n"
            "    qtopo describe diamond\n"
            "    qtopo describe --fanout 4 fanout\n"
            "    qtopo describe 'seq(stage, shard(stage(work=200ns), 4), stage)'\n"
            "    qtopo describe --dot 'seq(stage, fanout(stage, stage))' | dot -Tsvg >t.svg\n");
}

/* The shape options: one row each, the field of qtp_topo_params they set. */
static const struct {
    const char *name;
    size_t offset;
} shape_opts[] = {
    {"fanout", offsetof(struct qtp_topo_params, fanout)},
    {"shards", offsetof(struct qtp_topo_params, shards)},
    {"stages", offsetof(struct qtp_topo_params, stages)},
};
#define NSHAPES (sizeof shape_opts / sizeof shape_opts[0])

int qtp_describe_main(int argc, char **argv)
{
    if (qtp_wants_help(argc, argv)) {
        describe_usage(stdout);
        return 0;
    }
    enum { OPT_DOT = 256, OPT_SHAPE = 257 };
    struct option longopts[NSHAPES + 2] = {{"dot", no_argument, NULL, OPT_DOT}};
    for (size_t i = 0; i < NSHAPES; i++)
        longopts[1 + i] =
            (struct option){shape_opts[i].name, required_argument, NULL, OPT_SHAPE + (int)i};
    struct qtp_topo_params p = {0};
    bool dot = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
        if (c == OPT_DOT) {
            dot = true;
        } else if (c >= OPT_SHAPE && c < OPT_SHAPE + (int)NSHAPES) {
            uint64_t v;
            const char *name = shape_opts[c - OPT_SHAPE].name;
            if (qtp_parse_count(optarg, false, &v) || v == 0 || v > 64)
                return qtp_bad_input("describe", "--%s: '%s' is not a count in 1..64", name,
                                     optarg);
            unsigned u = (unsigned)v;
            memcpy((char *)&p + shape_opts[c - OPT_SHAPE].offset, &u, sizeof u);
        } else if (c == ':') {
            return qtp_bad_input("describe", "option '%s' needs a value", argv[optind - 1]);
        } else {
            return qtp_bad_input("describe",
                                 "unknown option '%s' (accepted: --dot, --fanout, --shards, "
                                 "--stages; see `qtopo describe --help`)",
                                 argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return qtp_bad_input("describe", "%s (usage: qtopo describe [--dot] EXPR|NAME)",
                             optind >= argc ? "no topology given" : "more than one topology given");
    const char *text = argv[optind];
    struct qtp_topology t;
    struct qtp_parse_error pe;
    int rc = qtp_topology_resolve(text, &p, &t, &pe);
    if (rc == ENOMEM) {
        fprintf(stderr, "qtopo describe: out of memory\n");
        return QTP_EXIT_FAILED;
    }
    if (rc) {
        char shown[QTP_REASON_MAX];
        qtp_cli_topology_error(text, &pe, shown, sizeof shown);
        return qtp_bad_input("describe", "%s", shown);
    }
    rc = dot ? qtp_topology_dot_write(&t, stdout) : qtp_topology_describe_write(&t, stdout);
    qtp_topology_fini(&t);
    if (rc) {
        fprintf(stderr, "qtopo describe: cannot write: %s\n", strerror(rc));
        return QTP_EXIT_FAILED;
    }
    return fflush(stdout) ? QTP_EXIT_FAILED : 0;
}
