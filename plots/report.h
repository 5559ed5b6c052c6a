/* report.h - `qtopo report DIR [-o OUT]`: gnuplot charts and a self-contained index.html from a
 * results directory (DESIGN.md, Reports).
 *
 * The report is built in a temporary directory next to OUT and renamed into place at the end, so
 * a failure leaves nothing half-written. OUT (default DIR/report) may be an earlier report (it is
 * replaced), but nothing else that exists. gnuplot is looked up in PATH at run time.
 */
#ifndef QTP_REPORT_H
#define QTP_REPORT_H

#include <stddef.h>

/* The command: argv[0] is the command's name ("report"), then DIR and options:
 *   -o, --out OUT   where to write the report (default DIR/report)
 *   -q, --quiet     do not print the path of index.html
 *   -h, --help
 * Prints the absolute path of OUT/index.html on stdout (the demo script shows it).
 * Returns the exit status: 0 done; 2 bad arguments, a missing/damaged/empty results directory,
 * gnuplot absent, OUT exists and is not a report (one line on stderr); 1 anything else (a gnuplot
 * script failed, out of memory, I/O error). */
int qtp_report_main(int argc, char **argv);

struct qtp_report_opts {
    const char *results_dir; /* required */
    const char *out_dir;     /* NULL: results_dir/report */
};

/* Write the report. Returns 0, or:
 *   EINVAL  the results directory is missing, damaged or holds no rows (err says which file,
 *           which line, what is wrong);
 *   ENOEXEC gnuplot is not in PATH;
 *   EEXIST  out_dir exists and is not a qtopo report;
 *   EIO     a gnuplot script failed (err names it and quotes gnuplot's message);
 *   or another errno value (ENOMEM, write errors).
 * err[errlen] gets one line (no trailing newline) on failure. If index_path is not NULL it gets
 * the absolute path of the written index.html. */
int qtp_report_write(const struct qtp_report_opts *opts, char *index_path, size_t index_len,
                     char *err, size_t errlen);

#endif
