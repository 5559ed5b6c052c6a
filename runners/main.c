/* main.c - the qtopo command: a table of subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "qtp_wait.h"
#include "qtp_deploy.h"
#include "qtp_topo.h"
#include "machine.h"
#include "numa_mem.h"
#include "placement.h"
#include "qtp_cli.h"
#include "qtp_text.h"
#include "commands.h"
#include "report.h"
#include "run.h"

struct subcommand {
    const char *name;
    const char *synopsis;
    const char *summary;
    int (*main)(int argc, char **argv); /* argv[0] is the subcommand's name */
};

static int cmd_help(int argc, char **argv);
static int cmd_list(int argc, char **argv);
static int cmd_info(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct subcommand commands[] = {
    {"list", "qtopo list", "topologies, queue kinds, wait strategies, placements possible here",
     cmd_list},
    {"info", "qtopo info [--json]",
     "this machine as hwloc sees it; NUMA nodes; which placements are possible", cmd_info},
    {"run", "qtopo run [OPTIONS]", "run a matrix; prints where the results went", qtp_run_main},
    {"report", "qtopo report DIR", "charts and index.html from a results directory",
     qtp_report_main},
    {"compare", "qtopo compare BASE NEW",
     "compare two results directories; exit 1 on a "
     "significant regression",
     qtp_compare_main},
    {"help", "qtopo help [COMMAND]", "this text, or a command's manual", cmd_help},
    {"version", "qtopo --version", "version, git commit and compiler", cmd_version},
    {NULL, NULL, NULL, NULL},
};

static const struct subcommand *find_command(const char *name)
{
    for (const struct subcommand *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static void command_names(char *buf, size_t len)
{
    size_t at = 0;
    for (const struct subcommand *c = commands; c->name && at < len; c++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", c->name);
}

static void usage(FILE *out)
{
    fprintf(out, "NAME\n"
                 "    qtopo - what an inter-thread queue costs a topology of threads, and where\n"
                 "    the threads and their memory should sit\n"
                 "\n"
                 "SYNOPSIS\n");
    for (const struct subcommand *c = commands; c->name; c++)
        fprintf(out, "    %s\n", c->synopsis);
    fprintf(out, "\nCOMMANDS\n");
    for (const struct subcommand *c = commands; c->name; c++)
        fprintf(out, "    %-9s %s\n", c->name, c->summary);
    fprintf(out,
            "\n"
            "DESCRIPTION\n"
            "    qtopo builds the same thread topologies over mutex/condvar queues and over a\n"
            "    Disruptor-style ring, runs them as a matrix over wait strategies and CPU/NUMA\n"
            "    placements, checks every run against a sequential model, and records\n"
            "    throughput, latency histograms and allocation per cell.\n"
            "    `qtopo COMMAND --help` shows a command's manual.\n"
            "\n"
            "EXIT STATUS\n"
            "    0 success, 1 failure (run: a failed rep; compare: a regression), 2 bad input\n"
            "    (one line on stderr names it; nothing is written), 130 interrupted.\n"
            "\n"
            "EXAMPLES\n"
            "    qtopo list\n"
            "    qtopo run --quick\n"
            "    qtopo report results/runs/<dir>\n"
            "    qtopo compare results/runs/<base> results/runs/<new>\n");
}

/* True when argv has -h/--help (the subcommand's manual is printed and it exits 0). */
static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

static int bad(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "qtopo %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return QTP_EXIT_BAD;
}

/* ---------------------------------------------------------------- list */

static void list_usage(FILE *out)
{
    fprintf(out, "NAME\n"
                 "    qtopo list - what a matrix can be made of\n"
                 "\n"
                 "SYNOPSIS\n"
                 "    qtopo list\n"
                 "\n"
                 "DESCRIPTION\n"
                 "    Prints the registries `qtopo run` accepts: topologies (with how each is\n"
                 "    wired), queue kinds, wait strategies, placement policies and memory\n"
                 "    policies, and for the last two whether this machine can give them.\n"
                 "\n"
                 "EXIT STATUS\n"
                 "    0 success, 2 bad arguments.\n"
                 "\n"
                 "EXAMPLES\n"
                 "    qtopo list\n");
}

static int cmd_list(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        list_usage(stdout);
        return 0;
    }
    if (argc > 1)
        return bad("list", "unexpected argument '%s' (qtopo list takes none)", argv[1]);
    struct qtp_machine *mach = NULL;
    char err[512];
    if (qtp_machine_load_env(&mach, err, sizeof err))
        mach = NULL; /* still list the names; possibility is then unknown */

    printf("TOPOLOGIES (-t)\n");
    for (const struct qtp_topology_def *t = qtp_topologies; t->name; t++)
        printf("    %-12s %s\n", t->name, t->summary);
    printf("\nQUEUE KINDS (-q)\n");
    for (const struct qtp_queue_kind *q = qtp_queue_kinds; q->name; q++)
        printf("    %-12s %s%s\n", q->name, q->summary,
               q->uses_wait ? "" : " (always blocks: one \"block\" cell)");
    printf("\nWAIT STRATEGIES (-w; ring only)\n");
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

/* ---------------------------------------------------------------- info */

static void info_usage(FILE *out)
{
    fprintf(out, "NAME\n"
                 "    qtopo info - this machine as hwloc sees it\n"
                 "\n"
                 "SYNOPSIS\n"
                 "    qtopo info [--json]\n"
                 "\n"
                 "DESCRIPTION\n"
                 "    Packages, cores, PUs and SMT siblings, NUMA nodes and their distances,\n"
                 "    caches, and which placement and memory policies are possible here (and\n"
                 "    why not). Only the PUs this process may use count (taskset, cgroups).\n"
                 "    The environment variables QTOPO_HWLOC_SYNTHETIC (an hwloc synthetic\n"
                 "    description) or QTOPO_HWLOC_XML (an lstopo XML file) describe another\n"
                 "    machine instead.\n"
                 "\n"
                 "OPTIONS\n"
                 "    --json    one JSON object (the same as meta.json's \"machine\", without\n"
                 "              the hwloc XML)\n"
                 "\n"
                 "EXIT STATUS\n"
                 "    0 success, 1 the topology could not be read, 2 bad arguments.\n"
                 "\n"
                 "EXAMPLES\n"
                 "    qtopo info\n"
                 "    qtopo info --json | python3 -m json.tool\n"
                 "    QTOPO_HWLOC_SYNTHETIC='pack:2 numa:2 core:8 pu:2' qtopo info\n");
}

static int cmd_info(int argc, char **argv)
{
    bool json = false;
    if (wants_help(argc, argv)) {
        info_usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return bad("info", "unknown argument '%s' (accepted: --json, --help)", argv[i]);
    }
    struct qtp_machine *mach = NULL;
    char err[512];
    if (qtp_machine_load_env(&mach, err, sizeof err)) {
        fprintf(stderr, "qtopo info: %s\n", err);
        return QTP_EXIT_FAILED;
    }
    int rc = 0;
    if (json) {
        json_t *j = qtp_machine_to_json(mach, QTP_MACHINE_JSON_PUS | QTP_MACHINE_JSON_PLACEMENTS);
        rc = !j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0;
        printf("\n");
        json_decref(j);
    } else {
        rc = qtp_machine_print(mach, stdout) != 0;
    }
    qtp_machine_free(mach);
    return rc ? QTP_EXIT_FAILED : 0;
}

/* ---------------------------------------------------------------- help, version */

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("qtopo %s\ngit %s\ncompiler %s\nbuild %s\nflags %s\n", QTOPO_VERSION,
           qtp_build_git_commit(), qtp_build_compiler(), qtp_build_type(), qtp_build_flags());
    return 0;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    const struct subcommand *c = find_command(argv[1]);
    if (!c) {
        char names[256];
        command_names(names, sizeof names);
        fprintf(stderr, "qtopo help: unknown command '%s' (accepted: %s)\n", argv[1], names);
        return QTP_EXIT_BAD;
    }
    if (c->main == cmd_help) {
        usage(stdout);
        return 0;
    }
    char *args[] = {(char *)c->name, "--help", NULL};
    return c->main(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return QTP_EXIT_BAD;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        name = "help";
    else if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
        name = "version";
    const struct subcommand *c = find_command(name);
    if (!c) {
        char names[256];
        command_names(names, sizeof names);
        fprintf(stderr, "qtopo: unknown command '%s' (accepted: %s; see `qtopo --help`)\n", argv[1],
                names);
        return QTP_EXIT_BAD;
    }
    if (c->main == cmd_help && argc == 2)
        return cmd_help(1, argv + 1);
    return c->main(argc - 1, argv + 1);
}
