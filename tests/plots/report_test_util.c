/* report_test_util.c - see report_test_util.h. */
#include "report_test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *rt_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

char *rt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (cap - n < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

int rt_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return errno;
    fputs(text, f);
    return fclose(f) == 0 ? 0 : EIO;
}

bool rt_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool rt_in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char *copy = strdup(path);
    bool found = false;
    for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char *p = rt_join(d, prog);
        found = p && access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}

int rt_dir_entries(const char *dir, char *name_out, size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    if (name_out && len)
        name_out[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        if (name_out) {
            size_t k = strlen(name_out);
            snprintf(name_out + k, len - k, "%s%s", k ? " " : "", e->d_name);
        }
    }
    closedir(d);
    return n;
}

size_t rt_count(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = hay; len && (p = strstr(p, needle)); p += len)
        n++;
    return n;
}

char *rt_mkdtemp(const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    size_t n = strlen(base) + strlen(tag) + 32;
    char *p = malloc(n);
    if (!p)
        return NULL;
    snprintf(p, n, "%s/qtopo-%s-XXXXXX", base, tag);
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void rt_rm_rf(const char *path)
{
    if (path)
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int rt_copy_tree(const char *src, const char *dst)
{
    char *argv[] = {"cp", "-a", (char *)src, (char *)dst, NULL};
    struct rt_result r = rt_run(argv, NULL, NULL, 60);
    int st = r.status;
    rt_result_free(&r);
    return st;
}

struct rt_result rt_run(char *const argv[], const char *cwd, const char *env_path, int timeout_s)
{
    struct rt_result res = {-1, NULL, NULL};
    char *dir = rt_mkdtemp("run");
    if (!dir)
        return res;
    char *outp = rt_join(dir, "out"), *errp = rt_join(dir, "err");
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0); /* its own group: a timeout stops everything it started */
        int in = open("/dev/null", O_RDONLY);
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        if (env_path)
            setenv("PATH", env_path, 1);
        execvp(argv[0], argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid > 0) {
        int status = 0;
        struct timespec step = {0, 10 * 1000 * 1000};
        long waited = 0;
        for (;;) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                res.status = WIFEXITED(status) ? WEXITSTATUS(status)
                                               : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
                break;
            }
            if (w < 0 && errno != EINTR)
                break;
            if (waited >= timeout_s * 1000L) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                res.status = -2;
                break;
            }
            nanosleep(&step, NULL);
            waited += 10;
        }
    }
    res.out = rt_slurp(outp, NULL);
    res.err = rt_slurp(errp, NULL);
    if (!res.out)
        res.out = strdup("");
    if (!res.err)
        res.err = strdup("");
    rt_rm_rf(dir);
    free(dir);
    free(outp);
    free(errp);
    return res;
}

void rt_result_free(struct rt_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
