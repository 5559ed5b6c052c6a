/* report.c - `qtopo report DIR [-o OUT]`: load, draw, write the page, and put the report in place
 * in one rename, so a failure at any step leaves no half-written report behind. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "qtp_text.h"
#include "report_int.h"

/* A report directory holds this file; only such a directory is ever replaced. */
#define MARKER ".qtopo-report"

/* snprintf that says whether it fitted (paths here come from the user). */
static bool fits(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fits(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < len;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool qtp_rpt_find_tool(const char *name, char *buf, size_t len)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return false;
    const char *p = path;
    while (*p) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0) {
            snprintf(buf, len, "./%s", name); /* an empty PATH entry is the current directory */
        } else {
            snprintf(buf, len, "%.*s/%s", (int)n, p, name);
        }
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
            return true;
        p = end ? end + 1 : p + n;
    }
    return false;
}

/* Relative path from directory `from` to directory `to` (both absolute, canonical). */
static void relpath(const char *from, const char *to, char *buf, size_t len)
{
    /* Length of the common prefix, on a component boundary. */
    size_t i = 0, common = 0;
    while (from[i] && to[i] && from[i] == to[i]) {
        i++;
        if (from[i] == '/' || from[i] == '\0')
            if (to[i] == '/' || to[i] == '\0')
                common = i;
    }
    if (!strcmp(from, "/") || !strcmp(to, "/"))
        common = 0;
    buf[0] = '\0';
    size_t n = 0;
    for (const char *p = from + common; *p; p++)
        if (*p == '/' && n + 4 < len) {
            strcpy(buf + n, n ? "/.." : "..");
            n = strlen(buf);
        }
    const char *rest = to + common;
    while (*rest == '/')
        rest++;
    if (*rest)
        fits(buf + n, len - n, "%s%s", n ? "/" : "", rest);
    if (!buf[0])
        snprintf(buf, len, ".");
}

int qtp_report_write(const struct qtp_report_opts *opts, char *index_path, size_t index_len,
                     char *err, size_t errlen)
{
    struct qtp_rpt r;
    char gnuplot[PATH_MAX], out[PATH_MAX], parent[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX];
    char real_dir[PATH_MAX], real_parent[PATH_MAX], final[PATH_MAX + 8], raw_rel[PATH_MAX];
    bool have_tmp = false;
    int rc;

    if (!opts || !opts->results_dir || !opts->results_dir[0]) {
        qtp_set_err(err, errlen, "no results directory given");
        return EINVAL;
    }
    if ((rc = qtp_rpt_load(&r, opts->results_dir, opts->registries, err, errlen)))
        return rc;
    r.stop = opts->stop;
    /* A reproduced experiment's figures (large: a table of rows, so on the heap). */
    struct qtp_rpt_pub *pub = calloc(1, sizeof *pub);
    if (!pub) {
        qtp_set_err(err, errlen, "out of memory");
        rc = ENOMEM;
        goto done;
    }
    if ((rc = qtp_rpt_published_load(pub, &r, err, errlen)))
        goto done;
    if (!qtp_rpt_find_tool("gnuplot", gnuplot, sizeof gnuplot)) {
        qtp_set_err(err, errlen,
                    "gnuplot not found in PATH: install the Debian package gnuplot-nox "
                    "(scripts/setup does)");
        rc = ENOEXEC;
        goto done;
    }

    /* Where the report goes: OUT, or DIR/report. */
    if (opts->out_dir && opts->out_dir[0])
        snprintf(out, sizeof out, "%s", opts->out_dir);
    else
        snprintf(out, sizeof out, "%s/report", opts->results_dir);
    for (size_t n = strlen(out); n > 1 && out[n - 1] == '/'; n--)
        out[n - 1] = '\0';
    const char *slash = strrchr(out, '/');
    if (slash) {
        snprintf(parent, sizeof parent, "%.*s", (int)(slash == out ? 1 : slash - out), out);
        snprintf(base, sizeof base, "%s", slash + 1);
    } else {
        snprintf(parent, sizeof parent, ".");
        snprintf(base, sizeof base, "%s", out);
    }
    if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..")) {
        qtp_set_err(err, errlen, "%s: not a usable report directory name (give -o a new directory)",
                    out);
        rc = ENOTDIR;
        goto done;
    }
    if (!is_dir(parent) || !realpath(parent, real_parent)) {
        qtp_set_err(err, errlen, "%s: the directory %s does not exist", out, parent);
        rc = ENOTDIR;
        goto done;
    }
    struct stat st;
    bool replace = false;
    if (lstat(out, &st) == 0) {
        char marker[PATH_MAX + 32];
        snprintf(marker, sizeof marker, "%s/" MARKER, out);
        if (!S_ISDIR(st.st_mode) || access(marker, F_OK) != 0) {
            qtp_set_err(err, errlen,
                        "%s exists and is not a qtopo report: give -o a new directory (an earlier "
                        "report there would be replaced)",
                        out);
            rc = EEXIST;
            goto done;
        }
        replace = true;
    }
    if (!realpath(opts->results_dir, real_dir)) {
        qtp_set_err(err, errlen, "%s: %s", opts->results_dir, strerror(errno));
        rc = EINVAL;
        goto done;
    }
    /* Build it beside OUT (same file system, so the final rename is atomic). */
    if (!fits(final, sizeof final, "%s%s%s", real_parent, strcmp(real_parent, "/") ? "/" : "",
              base) ||
        !fits(tmp, sizeof tmp, "%s/.%s.tmp-XXXXXX", parent, base)) {
        qtp_set_err(err, errlen, "%s: path too long", out);
        rc = ENOTDIR;
        goto done;
    }
    relpath(final, real_dir, raw_rel, sizeof raw_rel);
    if (!mkdtemp(tmp)) {
        rc = errno;
        qtp_set_err(err, errlen, "cannot create a directory in %s: %s", parent, strerror(rc));
        goto done;
    }
    have_tmp = true;
    /* mkdtemp makes it private; a report is as readable as any directory the user creates. */
    mode_t um = umask(022);
    umask(um);
    chmod(tmp, 0777 & ~um);
    struct qtp_rpt_chart charts[QTP_RPT_NCHARTS];
    if ((rc = qtp_rpt_charts(&r, tmp, gnuplot, charts, err, errlen)) ||
        (rc = qtp_rpt_diagrams(&r, tmp, err, errlen)))
        goto done;
    struct qtp_rpt_inside inside;
    if ((rc = qtp_rpt_inside_charts(&r, tmp, gnuplot, &inside, err, errlen)))
        goto done;
    r.inside = &inside;
    if (pub->present) {
        if ((rc = qtp_rpt_published_chart(pub, &r, tmp, gnuplot, err, errlen)))
            goto done;
        r.published = pub;
    }
    if ((rc = qtp_rpt_html(&r, tmp, raw_rel, charts))) {
        qtp_set_err(err, errlen, "writing index.html in %s: %s", tmp, strerror(rc));
        goto done;
    }
    char marker[PATH_MAX + 32];
    snprintf(marker, sizeof marker, "%s/" MARKER, tmp);
    FILE *m = fopen(marker, "w");
    if (!m || fprintf(m, "qtopo report %s of %s\n", QTOPO_REPORT_VERSION, real_dir) < 0 ||
        fclose(m) != 0) {
        rc = EIO;
        qtp_set_err(err, errlen, "%s: cannot write", marker);
        goto done;
    }

    if (opts->stop && *opts->stop) {
        qtp_set_err(err, errlen, "interrupted");
        rc = EINTR;
        goto done;
    }
    if (replace) {
        /* Swap the new report in; the old one ends up at tmp and goes. */
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) != 0) {
            char old[PATH_MAX + 8];
            snprintf(old, sizeof old, "%s.old", tmp);
            if (rename(out, old) != 0 || rename(tmp, out) != 0) {
                rc = errno;
                qtp_set_err(err, errlen, "cannot replace %s: %s", out, strerror(rc));
                rename(old, out);
                goto done;
            }
            rm_rf(old);
            have_tmp = false;
        }
    } else if (rename(tmp, out) != 0) {
        rc = errno;
        qtp_set_err(err, errlen, "cannot create %s: %s", out, strerror(rc));
        goto done;
    } else {
        have_tmp = false;
    }
    if (index_path)
        snprintf(index_path, index_len, "%s/index.html", final);
done:
    /* A terminal's SIGINT reaches gnuplot too: its failure is then the interruption. */
    if (rc && opts->stop && *opts->stop)
        rc = EINTR;
    if (have_tmp)
        rm_rf(tmp);
    free(pub);
    qtp_rpt_free(&r);
    return rc;
}
