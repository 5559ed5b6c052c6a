/* results.c - the results directory (qtp_results.h). */
#include "qtp_results.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qtp_summary.h"
#include "qtp_text.h"

static int join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= len) ? ENAMETOOLONG : 0;
}

/* ---- directories and atomic files ---- */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int rc = fsync(fd) ? errno : 0;
    close(fd);
    /* Some file systems refuse fsync on directories; the data itself is synced already. */
    return rc == EINVAL ? 0 : rc;
}

static int mkdir_parents(const char *dir)
{
    char path[PATH_MAX];
    if (strlen(dir) >= sizeof path)
        return ENAMETOOLONG;
    strcpy(path, dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    return 0;
}

int qtp_results_create(const char *dir)
{
    if (!dir || !*dir)
        return EINVAL;
    char path[PATH_MAX];
    int rc = mkdir_parents(dir);
    if (rc)
        return rc;
    /* mkdir itself is the existence check: no window between test and creation. */
    if (mkdir(dir, 0777) != 0)
        return errno;
    if ((rc = join(path, sizeof path, dir, QTP_RESULTS_HISTDIR)) || mkdir(path, 0777) != 0) {
        rc = rc ? rc : errno;
        rmdir(dir);
        return rc;
    }
    return 0;
}

int qtp_results_write_atomic(const char *path, int (*write_fn)(FILE *out, void *arg), void *arg)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return ENAMETOOLONG;
    FILE *f = fopen(tmp, "we");
    if (!f)
        return errno;
    int rc = write_fn(f, arg);
    if (!rc && fflush(f) != 0)
        rc = errno ? errno : EIO;
    if (!rc && fsync(fileno(f)) != 0)
        rc = errno;
    if (fclose(f) != 0 && !rc)
        rc = errno ? errno : EIO;
    if (!rc && rename(tmp, path) != 0)
        rc = errno;
    if (rc) {
        unlink(tmp);
        return rc;
    }
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    return fsync_dir(dir);
}

/* ---- the run's lock ---- */

static long recorded_holder(const char *dir)
{
    char path[PATH_MAX], buf[32];
    long pid = 0;
    if (join(path, sizeof path, dir, QTP_RESULTS_LOCK_PID))
        return 0;
    FILE *f = fopen(path, "re");
    if (f && fgets(buf, sizeof buf, f))
        pid = strtol(buf, NULL, 10);
    if (f)
        fclose(f);
    return pid > 0 ? pid : 0;
}

int qtp_results_lock(const char *dir, int *fd, long *holder)
{
    *holder = 0;
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return errno;
    if (flock(d, LOCK_EX | LOCK_NB) != 0) {
        int rc = errno == EINTR ? EWOULDBLOCK : errno;
        close(d);
        if (rc == EWOULDBLOCK)
            *holder = recorded_holder(dir);
        return rc;
    }
    *fd = d;
    return 0;
}

static int write_pid(FILE *out, void *arg)
{
    (void)arg;
    return fprintf(out, "%ld\n", (long)getpid()) < 0 ? EIO : 0;
}

int qtp_results_lock_record(const char *dir)
{
    char path[PATH_MAX];
    int rc = join(path, sizeof path, dir, QTP_RESULTS_LOCK_PID);
    return rc ? rc : qtp_results_write_atomic(path, write_pid, NULL);
}

/* ---- meta.json ---- */

static int write_json(FILE *out, void *arg)
{
    if (json_dumpf((const json_t *)arg, out, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0)
        return EIO;
    return fputc('\n', out) == EOF ? EIO : 0;
}

int qtp_results_write_meta(const char *dir, const json_t *meta)
{
    char path[PATH_MAX];
    if (!json_is_object(meta))
        return EINVAL;
    int rc = join(path, sizeof path, dir, QTP_RESULTS_META);
    return rc ? rc : qtp_results_write_atomic(path, write_json, (void *)meta);
}

int qtp_results_read_meta(const char *dir, json_t **out, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int rc = join(path, sizeof path, dir, QTP_RESULTS_META);
    if (rc)
        return rc;
    *out = NULL;
    if (access(path, R_OK) != 0) {
        rc = errno;
        qtp_set_err(err, errlen, "%s: %s", path, strerror(rc));
        return rc;
    }
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        qtp_set_err(err, errlen, "meta.json line %d column %d: %s", je.line, je.column, je.text);
        return EINVAL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        qtp_set_err(err, errlen, "meta.json: not a JSON object");
        return EINVAL;
    }
    *out = j;
    return 0;
}

/* ---- results.jsonl ---- */

/* Cut an unterminated tail (a write cut short by a crash) so appends stay line-aligned. */
static int cut_partial_tail(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return errno;
    off_t end = st.st_size;
    char buf[4096];
    while (end > 0) {
        size_t chunk = end > (off_t)sizeof buf ? sizeof buf : (size_t)end;
        ssize_t got = pread(fd, buf, chunk, end - (off_t)chunk);
        if (got != (ssize_t)chunk)
            return got < 0 ? errno : EIO;
        for (size_t k = chunk; k-- > 0;) {
            if (buf[k] == '\n') {
                off_t keep = end - (off_t)chunk + (off_t)k + 1;
                if (keep == st.st_size)
                    return 0;
                return ftruncate(fd, keep) ? errno : 0;
            }
        }
        end -= (off_t)chunk;
    }
    return st.st_size ? (ftruncate(fd, 0) ? errno : 0) : 0;
}

int qtp_results_append(const char *dir, const struct qtp_rep_record *rows, size_t n)
{
    char path[PATH_MAX];
    int rc = join(path, sizeof path, dir, QTP_RESULTS_ROWS);
    if (rc)
        return rc;
    /* The whole cell goes out in one buffer and one write. */
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *j = qtp_rep_to_json(&rows[i]);
        char *line = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(j);
        if (!line) {
            free(buf);
            return ENOMEM;
        }
        size_t ll = strlen(line);
        if (len + ll + 1 > cap) {
            size_t ncap = (len + ll + 1) * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(line);
                free(buf);
                return ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + len, line, ll);
        buf[len + ll] = '\n';
        len += ll + 1;
        free(line);
    }
    int created = access(path, F_OK) != 0;
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) {
        rc = errno;
        free(buf);
        return rc;
    }
    rc = cut_partial_tail(fd);
    /* Where this cell's rows start: a write that fails part way (a full disk, a file size limit)
     * is cut back to it, so the file never holds a partial line for other readers. */
    off_t start = rc ? 0 : lseek(fd, 0, SEEK_END);
    if (start < 0)
        rc = errno;
    for (size_t off = 0; !rc && off < len;) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = w < 0 ? errno : EIO;
        else
            off += (size_t)w;
    }
    if (!rc && fsync(fd) != 0)
        rc = errno;
    if (rc && start >= 0 && ftruncate(fd, start) == 0)
        fsync(fd);
    if (close(fd) != 0 && !rc)
        rc = errno;
    free(buf);
    if (!rc && created)
        rc = fsync_dir(dir);
    return rc;
}

void qtp_rows_free(struct qtp_rows *rows)
{
    free(rows->v);
    rows->v = NULL;
    rows->n = rows->cap = 0;
}

int qtp_rows_push(struct qtp_rows *rows, const struct qtp_rep_record *r)
{
    if (rows->n == rows->cap) {
        size_t ncap = rows->cap ? rows->cap * 2 : 16;
        struct qtp_rep_record *nv = realloc(rows->v, ncap * sizeof *nv);
        if (!nv)
            return ENOMEM;
        rows->v = nv;
        rows->cap = ncap;
    }
    rows->v[rows->n++] = *r;
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* A (cell, rep) and the line it came from, to find one given twice. */
struct rep_at {
    const char *cell;
    int rep;
    size_t line;
};

static int rep_at_cmp(const void *a, const void *b)
{
    const struct rep_at *x = a, *y = b;
    int c = strcmp(x->cell, y->cell);
    if (c)
        return c;
    if (x->rep != y->rep)
        return x->rep < y->rep ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* A rep is one row: a (cell, rep) given twice would be counted twice by every summary, so the
 * file is damaged (runs hold the directory's lock, and append whole cells). EINVAL naming the
 * later line and the first. */
static int check_unique(const char *name, const struct qtp_rows *rows, size_t from,
                        const size_t *lines, char *err, size_t errlen)
{
    size_t n = rows->n - from;
    if (n < 2)
        return 0;
    struct rep_at *v = malloc(n * sizeof *v);
    if (!v)
        return ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = (struct rep_at){rows->v[from + i].cell, rows->v[from + i].rep, lines[i]};
    qsort(v, n, sizeof *v, rep_at_cmp);
    int rc = 0;
    for (size_t i = 1; i < n && !rc; i++)
        if (v[i].rep == v[i - 1].rep && strcmp(v[i].cell, v[i - 1].cell) == 0) {
            qtp_set_err(err, errlen, "%s line %zu: rep %d of cell %s again (first at line %zu)",
                        name, v[i].line, v[i].rep, v[i].cell, v[i - 1].line);
            rc = EINVAL;
        }
    free(v);
    return rc;
}

int qtp_results_load_file(const char *path, struct qtp_rows *out,
                          struct qtp_results_load_info *info, char *err, size_t errlen)
{
    struct qtp_results_load_info dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE *f = fopen(path, "re");
    if (!f) {
        int rc = errno;
        qtp_set_err(err, errlen, "%s: %s", path, strerror(rc));
        return rc;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    size_t lineno = 0;
    int rc = 0;
    struct qtp_rep_record *rec = malloc(sizeof *rec);
    size_t from = out->n, *lines = NULL, nlines = 0, lcap = 0;
    if (!rec) {
        fclose(f);
        return ENOMEM;
    }
    while ((got = getline(&line, &cap, f)) > 0) {
        lineno++;
        size_t n = (size_t)got;
        if (line[n - 1] != '\n') {
            /* Only the last line can lack its newline: a write cut short. Drop it, say so. */
            info->truncated_line = lineno;
            break;
        }
        info->lines = lineno;
        if (blank(line, n - 1))
            continue;
        json_error_t je;
        json_t *j = json_loadb(line, n - 1, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            qtp_set_err(err, errlen, "%s line %zu: column %d: %s", name, lineno, je.column,
                        je.text);
            rc = EINVAL;
            break;
        }
        char why[512];
        rc = qtp_rep_from_json(j, rec, why, sizeof why);
        json_decref(j);
        if (rc) {
            qtp_set_err(err, errlen, "%s line %zu: %s", name, lineno, why);
            break;
        }
        if (nlines == lcap) {
            size_t *nl = realloc(lines, (lcap = lcap ? 2 * lcap : 64) * sizeof *nl);
            if (!nl) {
                rc = ENOMEM;
                break;
            }
            lines = nl;
        }
        lines[nlines++] = lineno;
        if ((rc = qtp_rows_push(out, rec)) != 0)
            break;
    }
    if (!rc && ferror(f)) {
        rc = EIO;
        qtp_set_err(err, errlen, "%s: read error", path);
    }
    if (!rc)
        rc = check_unique(name, out, from, lines, err, errlen);
    free(lines);
    free(rec);
    free(line);
    fclose(f);
    return rc;
}

int qtp_results_load(const char *dir, struct qtp_rows *out, struct qtp_results_load_info *info,
                     char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int rc = errno ? errno : ENOTDIR;
        if (stat(dir, &st) == 0)
            rc = ENOTDIR;
        qtp_set_err(err, errlen, "%s: %s", dir, rc == ENOENT ? "no such directory" : strerror(rc));
        return rc;
    }
    int rc = join(path, sizeof path, dir, QTP_RESULTS_ROWS);
    if (rc)
        return rc;
    rc = qtp_results_load_file(path, out, info, err, errlen);
    if (rc == ENOENT)
        qtp_set_err(err, errlen, "%s: no %s (not a results directory?)", dir, QTP_RESULTS_ROWS);
    return rc;
}

/* ---- summary.csv ---- */

static int write_summary(FILE *out, void *arg)
{
    return qtp_summary_write_csv(arg, out);
}

int qtp_results_write_summary(const char *dir, const struct qtp_rep_record *rows, size_t n)
{
    char path[PATH_MAX];
    struct qtp_summary s;
    int rc = join(path, sizeof path, dir, QTP_RESULTS_SUMMARY);
    if (rc || (rc = qtp_summary_build(&s, rows, n)))
        return rc;
    rc = qtp_results_write_atomic(path, write_summary, &s);
    qtp_summary_free(&s);
    return rc;
}

int qtp_results_update_summary(const char *dir, char *err, size_t errlen)
{
    struct qtp_rows rows = {0};
    int rc = qtp_results_load(dir, &rows, NULL, err, errlen);
    if (rc == ENOENT && access(dir, F_OK) == 0)
        rc = 0; /* no rows yet: an empty summary */
    if (!rc) {
        rc = qtp_results_write_summary(dir, rows.v, rows.n);
        if (rc)
            qtp_set_err(err, errlen, "%s/%s: %s", dir, QTP_RESULTS_SUMMARY, strerror(rc));
    }
    qtp_rows_free(&rows);
    return rc;
}

/* ---- hist/<cell>.hgrm ---- */

static int write_hgrm(FILE *out, void *arg)
{
    return qtp_hist_write_hgrm((const struct qtp_hist *)arg, out, 5, 1000.0);
}

int qtp_results_write_hgrm(const char *dir, const char *cell, const struct qtp_hist *h, char *rel,
                           size_t rellen)
{
    char name[PATH_MAX], path[PATH_MAX];
    if (!cell || !*cell || strchr(cell, '/'))
        return EINVAL;
    int n = snprintf(name, sizeof name, "%s/%s.hgrm", QTP_RESULTS_HISTDIR, cell);
    if (n < 0 || (size_t)n >= sizeof name)
        return ENAMETOOLONG;
    int rc = join(path, sizeof path, dir, name);
    if (rc)
        return rc;
    if (rel) {
        if ((size_t)n >= rellen)
            return ENAMETOOLONG;
        memcpy(rel, name, (size_t)n + 1);
    }
    return qtp_results_write_atomic(path, write_hgrm, (void *)h);
}
