/* main.c - the qtopo command: a table of subcommands. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "qtp_lang.h"
#include "qtp_table.h"
#include "qtp_text.h"

struct subcommand {
    const char *name;
    const char *synopsis;
    const char *summary;
    int (*main)(int argc, char **argv); /* argv[0] is the subcommand's name */
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct subcommand commands[] = {
    {"list", "qtopo list", "topologies, queue kinds, wait strategies, placements possible here",
     qtp_list_main},
    {"info", "qtopo info [--json]",
     "this machine as hwloc sees it; NUMA nodes; which placements are possible", qtp_info_main},
    {"describe", "qtopo describe [--dot] EXPR|NAME",
     "a topology as compiled: threads, ownership, ring and per-edge wiring; or Graphviz DOT",
     qtp_describe_main},
    {"run", "qtopo run [OPTIONS]", "run a matrix; prints where the results went", qtp_run_main},
    {"report", "qtopo report DIR", "charts and index.html from a results directory",
     qtp_report_main},
    {"compare", "qtopo compare BASE NEW | --machine A --against B DIR",
     "compare two results directories; exit 1 on a "
     "significant regression",
     qtp_compare_main},
    {"merge", "qtopo merge OUT DIR...",
     "join slices (run --slice K/N) and machines of one matrix into one directory", qtp_merge_main},
    {"help", "qtopo help [COMMAND|topologies]",
     "this text, a command's manual, or the topology language", cmd_help},
    {"version", "qtopo --version", "version, git commit and compiler", cmd_version},
    {NULL, NULL, NULL, NULL},
};

_Static_assert(offsetof(struct subcommand, name) == 0,
               "QTP_FIND_NAME: the name is the first member");

/* Help that is no command's manual: `qtopo help TOPIC`. */
static const struct help_topic {
    const char *name;
    const char *text;
} topics[] = {
    {"topologies", qtp_topo_grammar},
    {NULL, NULL},
};
_Static_assert(offsetof(struct help_topic, name) == 0,
               "QTP_FIND_NAME: the name is the first member");

static const struct subcommand *find_command(const char *name)
{
    return QTP_FIND_NAME(commands, name);
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

/* ---------------------------------------------------------------- help, version */

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("qtopo %s\ngit %s\ncompiler %s\nbuild %s\nflags %s\n", qtp_build_version(),
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
    const struct help_topic *topic = QTP_FIND_NAME(topics, argv[1]);
    if (!c && topic) {
        fputs(topic->text, stdout);
        return 0;
    }
    if (!c) {
        char names[256];
        command_names(names, sizeof names);
        char topic_names[128] = "";
        for (topic = topics; topic->name; topic++)
            snprintf(topic_names + strlen(topic_names), sizeof topic_names - strlen(topic_names),
                     " %s", topic->name);
        qtp_message("help", "unknown command '%s' (accepted: %s; topics:%s)", argv[1], names,
                    topic_names);
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
        qtp_message(NULL, "unknown command '%s' (accepted: %s; see `qtopo --help`)", argv[1],
                    names);
        return QTP_EXIT_BAD;
    }
    if (c->main == cmd_help && argc == 2)
        return cmd_help(1, argv + 1);
    return c->main(argc - 1, argv + 1);
}
