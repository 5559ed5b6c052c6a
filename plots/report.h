/* report.h - the report of a results directory: gnuplot charts and a self-contained index.html
 * (the command that writes it is runners/cmd_report.c).
 *
 * The report is built in a temporary directory next to OUT and renamed into place at the end, so
 * a failure leaves nothing half-written. OUT (default DIR/report) may be an earlier report (it is
 * replaced), but nothing else that exists. gnuplot is looked up in PATH at run time, and so is
 * Graphviz dot for the topology diagrams (without it the page says they were left out).
 */
#ifndef QTP_REPORT_H
#define QTP_REPORT_H

#include <signal.h>
#include <stddef.h>

#include <jansson.h>

struct qtp_report_opts {
    const char *results_dir; /* required */
    const char *out_dir;     /* NULL: results_dir/report */
    /* The registries (display order, queue families) for results whose meta.json does not carry
     * them ("registries", see runners/registry.c); NULL: none, every name in order of
     * appearance. */
    const json_t *registries;
    /* Set (by a signal handler) to stop: gnuplot is killed, the temporary directory removed and
     * EINTR returned. NULL: never. */
    const volatile sig_atomic_t *stop;
};

/* Write the report. Returns 0, or:
 *   EINVAL  the results directory is missing, damaged or holds no rows (err says which file,
 *           which line, what is wrong);
 *   ENOEXEC gnuplot is not in PATH;
 *   EEXIST  out_dir exists and is not a qtopo report;
 *   EIO     a gnuplot script failed (err names it and quotes gnuplot's message);
 *   EINTR   *stop was set: nothing is left behind, not even the temporary directory;
 *   or another errno value (ENOMEM, write errors).
 * err[errlen] gets one line (no trailing newline) on failure. If index_path is not NULL it gets
 * the absolute path of the written index.html. */
int qtp_report_write(const struct qtp_report_opts *opts, char *index_path, size_t index_len,
                     char *err, size_t errlen);

#endif
