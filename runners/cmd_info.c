/* cmd_info.c - qtopo info: this machine as hwloc sees it. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "machine.h"

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

int qtp_info_main(int argc, char **argv)
{
    bool json = false;
    if (qtp_wants_help(argc, argv)) {
        info_usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return qtp_bad_input("info", "unknown argument '%s' (accepted: --json, --help)",
                                 argv[i]);
    }
    struct qtp_machine *mach = NULL;
    char err[512];
    if (qtp_machine_load_env(&mach, err, sizeof err)) {
        qtp_message("info", "%s", err);
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
