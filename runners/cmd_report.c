/* cmd_report.c - qtopo report DIR [-o OUT]: the report (plots/report.h) as a command. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fleet_report.h"
#include "qtp_results.h"
#include "report.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = sig;
}

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
                qtp_message("report", "%s needs a directory (the report's location)", a);
                return QTP_EXIT_BAD;
            }
            out = argv[++i];
        } else if (options && !strncmp(a, "--out=", 6)) {
            if (!a[6]) {
                qtp_message("report", "--out needs a directory (the report's location)");
                return QTP_EXIT_BAD;
            }
            out = a + 6;
        } else if (options && a[0] == '-' && a[1]) {
            qtp_message("report",
                        "unknown option '%s' (accepted: -o/--out OUT, -q/--quiet, -h/--help)", a);
            return QTP_EXIT_BAD;
        } else if (!dir) {
            dir = a;
        } else {
            qtp_message("report",
                        "one results directory expected, got '%s' and '%s' (usage: qtopo report "
                        "DIR [-o OUT])",
                        dir, a);
            return QTP_EXIT_BAD;
        }
    }
    if (!dir || !dir[0]) {
        qtp_message("report", "missing the results directory (usage: qtopo report DIR [-o OUT])");
        return QTP_EXIT_BAD;
    }
    /* Results written before meta.json carried the registries are read with this qtopo's. */
    json_t *registries = qtp_registries_json();
    /* SIGINT/SIGTERM stop the report: gnuplot is killed and the half-built report removed
     * (the default action would leave its temporary directory behind). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct qtp_report_opts opts = {dir, out, registries, &stop};
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
    if (rc == EINTR) {
        qtp_message("report", "interrupted by %s; nothing was written",
                    stop == SIGTERM ? "SIGTERM" : "SIGINT");
        return QTP_EXIT_INTERRUPTED;
    }
    if (rc) {
        qtp_message("report", "%s", err[0] ? err : strerror(rc));
        /* An -o the user cannot have (read-only, too long) is bad input like an existing one. */
        bool bad = rc == EINVAL || rc == ENOEXEC || rc == EEXIST || rc == ENOTDIR || rc == EACCES ||
                   rc == EPERM || rc == EROFS || rc == ENAMETOOLONG;
        return bad ? QTP_EXIT_BAD : QTP_EXIT_FAILED;
    }
    if (!quiet)
        printf("%s\n", index);
    return 0;
}
