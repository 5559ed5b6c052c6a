/* cmd_report.c - qtopo report DIR [-o OUT]: the report (plots/report.h) as a command. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fleet_report.h"
#include "qtp_results.h"
#include "report.h"

static void usage(FILE *f)
{
    fputs("usage: qtopo report DIR [-o OUT] [-q]\n"
          "  Charts (SVG and PNG, drawn by gnuplot) and a self-contained index.html from the\n"
          "  results directory DIR written by qtopo run. For a directory qtopo merge made\n"
          "  from several machines: each machine's report in DIR/machines/KEY/report, and a\n"
          "  page with the machines side by side (throughput and p99, the ring's speed-up\n"
          "  and the best placement per machine; the machines; the missing slices).\n"
          "  -o, --out OUT   write the report to OUT (default DIR/report; an earlier report\n"
          "                  there is replaced, anything else is left alone)\n"
          "  -q, --quiet     do not print the path of index.html\n"
          "  -h, --help      this help\n",
          f);
}

int qtp_report_main(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    bool quiet = false, options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            usage(stdout);
            return 0;
        } else if (options && !strcmp(a, "--")) {
            options = false;
        } else if (options && (!strcmp(a, "-q") || !strcmp(a, "--quiet"))) {
            quiet = true;
        } else if (options && (!strcmp(a, "-o") || !strcmp(a, "--out"))) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                fprintf(stderr, "qtopo report: %s needs a directory (the report's location)\n", a);
                return QTP_EXIT_BAD;
            }
            out = argv[++i];
        } else if (options && !strncmp(a, "--out=", 6)) {
            out = a + 6;
        } else if (options && a[0] == '-' && a[1]) {
            fprintf(stderr,
                    "qtopo report: unknown option '%s' (accepted: -o/--out OUT, -q/--quiet, "
                    "-h/--help)\n",
                    a);
            return QTP_EXIT_BAD;
        } else if (!dir) {
            dir = a;
        } else {
            fprintf(stderr,
                    "qtopo report: one results directory expected, got '%s' and '%s' (usage: "
                    "qtopo report DIR [-o OUT])\n",
                    dir, a);
            return QTP_EXIT_BAD;
        }
    }
    if (!dir || !dir[0]) {
        fprintf(stderr, "qtopo report: missing the results directory (usage: qtopo report DIR "
                        "[-o OUT])\n");
        return QTP_EXIT_BAD;
    }
    /* Results written before meta.json carried the registries are read with this qtopo's. */
    json_t *registries = qtp_registries_json();
    struct qtp_report_opts opts = {dir, out, registries};
    char index[PATH_MAX + 32], err[1024];
    err[0] = '\0';
    /* A merge of several machines: their reports, and the machine axis on one page. */
    json_t *meta = NULL;
    int rc;
    if (qtp_results_read_meta(dir, &meta, NULL, 0) == 0 && json_object_get(meta, "machines"))
        rc = qtp_fleet_report(dir, meta, out, registries, index, sizeof index, err, sizeof err);
    else
        rc = qtp_report_write(&opts, index, sizeof index, err, sizeof err);
    json_decref(meta);
    json_decref(registries);
    if (rc) {
        fprintf(stderr, "qtopo report: %s\n", err[0] ? err : strerror(rc));
        return rc == EINVAL || rc == ENOEXEC || rc == EEXIST || rc == ENOTDIR ? QTP_EXIT_BAD
                                                                              : QTP_EXIT_FAILED;
    }
    if (!quiet)
        printf("%s\n", index);
    return 0;
}
