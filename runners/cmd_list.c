/* cmd_list.c - qtopo list: the registries a matrix can be made of, and what this machine can
 * give of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "machine.h"
#include "numa_mem.h"
#include "placement.h"
#include "qtp_deploy.h"
#include "qtp_lang.h"
#include "qtp_text.h"
#include "qtp_topo.h"
#include "qtp_wait.h"

static void list_usage(FILE *out)
{
    fprintf(out, "NAME\n"
                 "    qtopo list - what a matrix can be made of\n"
                 "\n"
                 "SYNOPSIS\n"
                 "    qtopo list [--grammar]\n"
                 "\n"
                 "DESCRIPTION\n"
                 "    Prints the registries `qtopo run` accepts: topologies (each with its\n"
                 "    definition, an expression to copy and change, and the parameters it takes),\n"
                 "    queue kinds, wait strategies, placement policies and memory policies, and\n"
                 "    for the last two whether this machine can give them.\n"
                 "\n"
                 "OPTIONS\n"
                 "    --grammar    the topology language instead (as `qtopo help topologies`)\n"
                 "\n"
                 "EXIT STATUS\n"
                 "    0 success, 2 bad arguments.\n"
                 "\n"
                 "EXAMPLES\n"
                 "    qtopo list\n"
                 "    qtopo list --grammar\n");
}

int qtp_list_main(int argc, char **argv)
{
    if (qtp_wants_help(argc, argv)) {
        list_usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--grammar") == 0) {
        fputs(qtp_topo_grammar, stdout);
        return 0;
    }
    if (argc > 1)
        return qtp_bad_input("list", "unexpected argument '%s' (accepted: --grammar)", argv[1]);
    struct qtp_machine *mach = NULL;
    char err[512];
    if (qtp_machine_load_env(&mach, err, sizeof err))
        mach = NULL; /* still list the names; possibility is then unknown */

    printf("TOPOLOGIES (-t: a name, or an expression; see `qtopo help topologies`)\n");
    for (const struct qtp_topology_def *t = qtp_topologies; t->name; t++) {
        char expr[QTP_TOPO_EXPR_MAX], takes[256];
        printf("    %-12s %s\n", t->name, t->summary);
        if (qtp_topology_def_expr(t, NULL, expr, sizeof expr) == 0)
            printf("    %-12s = %s\n", "", expr);
        if (qtp_topology_params_text(t, takes, sizeof takes) == 0 && takes[0])
            printf("    %-12s takes %s\n", "", takes);
    }
    printf("\nQUEUE KINDS (-q)\n");
    for (const struct qtp_queue_kind *q = qtp_queue_kinds; q->name; q++)
        printf("    %-12s %s%s\n", q->name, q->summary,
               q->uses_wait ? "" : " (always blocks: one \"block\" cell)");
    printf("\nWAIT STRATEGIES (-w; the queue kinds that do not always block)\n");
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name; w++)
        printf("    %-12s %s\n", w->name, w->summary);
    printf("\nPLACEMENTS (-p)%s\n", mach ? "  [here: possible, or why not]" : "");
    for (const struct qtp_placement_policy *p = qtp_placement_policies; p->name; p++) {
        char here[QTP_REASON_MAX] = "";
        if (mach && p->kind != QTP_PLACE_CPUS) {
            struct qtp_placement_spec *s = calloc(1, sizeof *s);
            char reason[QTP_REASON_MAX];
            if (s && qtp_placement_parse(p->name, mach, s, reason, sizeof reason) == 0)
                qtp_fmt(here, sizeof here, "  [%s]",
                        qtp_placement_possible(mach, s, reason, sizeof reason) ? "possible"
                                                                               : reason);
            free(s);
        }
        printf("    %-12s %s%s\n", p->syntax, p->summary, here);
    }
    printf("\nMEMORY POLICIES (-m)\n");
    for (const struct qtp_memory_policy *p = qtp_memory_policies; p->name; p++) {
        char here[QTP_REASON_MAX] = "";
        if (mach && p->kind != QTP_MEM_NODE) {
            struct qtp_memory_spec s;
            char reason[QTP_REASON_MAX];
            if (qtp_memory_parse(p->name, mach, &s, reason, sizeof reason) == 0)
                qtp_fmt(here, sizeof here, "  [%s]",
                        qtp_memory_possible(mach, &s, reason, sizeof reason) ? "possible" : reason);
        }
        printf("    %-12s %s%s\n", p->syntax, p->summary, here);
    }
    qtp_machine_free(mach);
    return 0;
}
