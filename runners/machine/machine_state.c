/* machine_state.c - the machine's state from sysfs, procfs and systemd-detect-virt
 * (machine_state.h). One registry row per fact: its key, how to read it, and what a missing
 * file usually means. */
#include "machine_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"
#include "qtp_text.h"

extern char **environ;

#define CPU_SYS "sys/devices/system/cpu/"
#define NO_CPUFREQ "no cpufreq driver for this CPU: usual in VMs and containers"

struct reader {
    char root[256];   /* "" for this machine, else the root without a trailing '/' */
    const char *tool; /* systemd-detect-virt to run, or NULL with why_no_tool */
    const char *why_no_tool;
    struct qtp_machine_state *st;
};

struct fact_def;
typedef void (*read_fn)(struct reader *r, const struct fact_def *d, const char *rel,
                        struct qtp_ms_fact *f);

struct fact_def {
    struct qtp_ms_fact_info info;
    read_fn read;
    const char *path;    /* under the root; per CPU: a format with %d */
    const char *arg;     /* reader-specific: the cmdline parameter, the tool's option */
    int index;           /* reader-specific: the loadavg field */
    const char *missing; /* what a missing file means, for the reason */
};

static void set_known(struct qtp_ms_fact *f, const char *text, double number)
{
    f->known = true;
    f->number = number;
    qtp_fmt(f->text, sizeof f->text, "%s", text);
}

static void set_unknown(struct qtp_ms_fact *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_unknown(struct qtp_ms_fact *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    f->known = false;
    f->number = 0;
    vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
}

static void full_path(const struct reader *r, const char *rel, char *buf, size_t len)
{
    qtp_fmt(buf, len, "%s/%s", r->root, rel);
}

/* A small file's content with trailing white space dropped. 0 or an errno (EISDIR too). */
static int read_small(const struct reader *r, const char *rel, char *buf, size_t len)
{
    char path[512];
    full_path(r, rel, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    size_t n = 0;
    for (;;) {
        ssize_t k = read(fd, buf + n, len - 1 - n);
        if (k < 0) {
            int e = errno;
            close(fd);
            return e;
        }
        if (k == 0 || (n += (size_t)k) == len - 1)
            break;
    }
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    buf[n] = '\0';
    return 0;
}

/* The reason a file could not be read. */
static void set_unreadable(struct qtp_ms_fact *f, const struct reader *r, const char *rel, int err,
                           const char *missing)
{
    char path[512];
    full_path(r, rel, path, sizeof path);
    if (err == ENOENT)
        set_unknown(f, "no %s%s%s", path, missing ? ": " : "", missing ? missing : "");
    else if (err == EACCES || err == EPERM)
        set_unknown(f, "%s: permission denied", path);
    else
        set_unknown(f, "%s: %s", path, strerror(err));
}

/* Read rel into buf, or mark f unknown and return false. */
static bool read_or_unknown(const struct reader *r, const struct fact_def *d, const char *rel,
                            struct qtp_ms_fact *f, char *buf, size_t len)
{
    int err = read_small(r, rel, buf, len);
    if (err) {
        set_unreadable(f, r, rel, err, d->missing);
        return false;
    }
    return true;
}

static void rd_line(struct reader *r, const struct fact_def *d, const char *rel,
                    struct qtp_ms_fact *f)
{
    char buf[QTP_MS_TEXT_MAX];
    if (read_or_unknown(r, d, rel, f, buf, sizeof buf))
        set_known(f, buf, 0);
}

static void unexpected(struct qtp_ms_fact *f, const struct reader *r, const char *rel,
                       const char *content)
{
    char path[512];
    full_path(r, rel, path, sizeof path);
    set_unknown(f, "%s: unexpected content '%.40s'", path, content);
}

static void rd_number(struct reader *r, const struct fact_def *d, const char *rel,
                      struct qtp_ms_fact *f)
{
    char buf[QTP_MS_TEXT_MAX], *end;
    if (!read_or_unknown(r, d, rel, f, buf, sizeof buf))
        return;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end || errno)
        unexpected(f, r, rel, buf);
    else
        set_known(f, buf, v);
}

/* "0" / "1" files. */
static bool parse_bool01(const char *s, bool *v)
{
    if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0)
        return false;
    *v = s[0] == '1';
    return true;
}

static void rd_bool01(struct reader *r, const struct fact_def *d, const char *rel,
                      struct qtp_ms_fact *f)
{
    char buf[QTP_MS_TEXT_MAX];
    bool v;
    if (!read_or_unknown(r, d, rel, f, buf, sizeof buf))
        return;
    if (!parse_bool01(buf, &v))
        unexpected(f, r, rel, buf);
    else
        set_known(f, v ? "true" : "false", v);
}

/* THP's "always [madvise] never": the selected mode. */
static void rd_bracket(struct reader *r, const struct fact_def *d, const char *rel,
                       struct qtp_ms_fact *f)
{
    char buf[QTP_MS_TEXT_MAX];
    if (!read_or_unknown(r, d, rel, f, buf, sizeof buf))
        return;
    char *open_b = strchr(buf, '['), *close_b = open_b ? strchr(open_b, ']') : NULL;
    if (!close_b) {
        unexpected(f, r, rel, buf);
        return;
    }
    *close_b = '\0';
    set_known(f, open_b + 1, 0);
}

/* A parameter of the kernel command line ("" when absent; arguments after "--" go to init). */
static void rd_cmdline(struct reader *r, const struct fact_def *d, const char *rel,
                       struct qtp_ms_fact *f)
{
    char buf[4096];
    if (!read_or_unknown(r, d, rel, f, buf, sizeof buf))
        return;
    size_t alen = strlen(d->arg);
    char *save = NULL;
    for (char *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
        if (strcmp(t, "--") == 0)
            break;
        if (strncmp(t, d->arg, alen) == 0 && t[alen] == '=') {
            set_known(f, t + alen + 1, 0);
            return;
        }
    }
    set_known(f, "", 0);
}

/* Turbo/boost: intel_pstate's no_turbo (inverted) first, then cpufreq's boost. Returns the
 * source's name, or NULL with f unknown. */
static const char *turbo(struct reader *r, struct qtp_ms_fact *f)
{
    static const struct {
        const char *name, *rel;
        bool inverted;
    } sources[] = {
        {"intel_pstate/no_turbo", CPU_SYS "intel_pstate/no_turbo", true},
        {"cpufreq/boost", CPU_SYS "cpufreq/boost", false},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
        int err = read_small(r, sources[i].rel, buf, sizeof buf);
        if (err == ENOENT)
            continue;
        bool v;
        if (err)
            set_unreadable(f, r, sources[i].rel, err, NULL);
        else if (!parse_bool01(buf, &v))
            unexpected(f, r, sources[i].rel, buf);
        else {
            v = v != sources[i].inverted;
            set_known(f, v ? "true" : "false", v);
        }
        return f->known ? sources[i].name : NULL;
    }
    set_unknown(f,
                "no %s/" CPU_SYS "intel_pstate/no_turbo nor cpufreq/boost: no frequency "
                "driver that exposes boost (usual in VMs)",
                r->root);
    return NULL;
}

static void rd_turbo(struct reader *r, const struct fact_def *d, const char *rel,
                     struct qtp_ms_fact *f)
{
    (void)d;
    (void)rel;
    turbo(r, f);
}

static void rd_turbo_source(struct reader *r, const struct fact_def *d, const char *rel,
                            struct qtp_ms_fact *f)
{
    (void)d;
    (void)rel;
    const char *src = turbo(r, f);
    if (src)
        set_known(f, src, 0);
}

/* The first "flags" line of /proc/cpuinfo: does it list "hypervisor"? */
static void rd_hypervisor(struct reader *r, const struct fact_def *d, const char *rel,
                          struct qtp_ms_fact *f)
{
    char path[512];
    full_path(r, rel, path, sizeof path);
    FILE *in = fopen(path, "re");
    if (!in) {
        set_unreadable(f, r, rel, errno, d->missing);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    bool found = false, flag = false;
    while (!found && getline(&line, &cap, in) > 0) {
        if (strncmp(line, "flags", 5) != 0 || !strchr(line, ':'))
            continue;
        found = true;
        char *save = NULL;
        for (char *t = strtok_r(strchr(line, ':') + 1, " \t\n", &save); t && !flag;
             t = strtok_r(NULL, " \t\n", &save))
            flag = strcmp(t, "hypervisor") == 0;
    }
    free(line);
    fclose(in);
    if (!found)
        set_unknown(f, "no flags line in %s (not an x86 CPU)", path);
    else
        set_known(f, flag ? "true" : "false", flag);
}

/* Run tool with one option; its first output line into out. 0, or an errno with why filled. A
 * run longer than QTP_MS_TOOL_TIMEOUT_MS is killed (ETIMEDOUT). */
static int run_tool(const char *tool, const char *opt, char *out, size_t len, int *status,
                    char *why, size_t whylen)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        int e = errno;
        qtp_set_err(why, whylen, "pipe: %s", strerror(e));
        return e;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)tool, (char *)opt, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, tool, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc) {
        close(pipefd[0]);
        if (rc == ENOENT)
            qtp_set_err(why, whylen, "%s not installed", tool);
        else
            qtp_set_err(why, whylen, "%s: %s", tool, strerror(rc));
        return rc;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t n = 0;
    bool timed_out = false;
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = QTP_MS_TOOL_TIMEOUT_MS -
                    (long)((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = {pipefd[0], POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            timed_out = true;
            break;
        }
        ssize_t k = read(pipefd[0], out + n, len - 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0 || (n += (size_t)k) == len - 1)
            break;
    }
    close(pipefd[0]);
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
    /* Output closed is not exit: wait for it, still bounded. */
    for (int i = 0; !timed_out && waitpid(pid, status, WNOHANG) == 0; i++) {
        if (i >= QTP_MS_TOOL_TIMEOUT_MS) {
            timed_out = true;
            break;
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    if (timed_out) {
        kill(pid, SIGKILL);
        waitpid(pid, status, 0);
        qtp_set_err(why, whylen, "%s %s: no answer within %d ms", tool, opt,
                    QTP_MS_TOOL_TIMEOUT_MS);
        return ETIMEDOUT;
    }
    return 0;
}

/* systemd-detect-virt --vm / --container: prints the technology ("kvm", "docker") or "none"
 * (exit status 1). */
static void rd_tool(struct reader *r, const struct fact_def *d, const char *rel,
                    struct qtp_ms_fact *f)
{
    (void)rel;
    if (!r->tool) {
        set_unknown(f, "%s", r->why_no_tool);
        return;
    }
    char out[QTP_MS_TEXT_MAX], why[QTP_MS_TEXT_MAX];
    int status = 0;
    if (run_tool(r->tool, d->arg, out, sizeof out, &status, why, sizeof why) != 0) {
        set_unknown(f, "%s", why);
        return;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (out[0] && (code == 0 || (code == 1 && strcmp(out, "none") == 0)))
        set_known(f, out, 0);
    else
        set_unknown(f, "%s %s: exit status %d, output '%.40s'", r->tool, d->arg, code, out);
}

/* The verdict (machine_state.h states the rule); reads the rows above it. */
static void rd_vm(struct reader *r, const struct fact_def *d, const char *rel,
                  struct qtp_ms_fact *f)
{
    (void)d;
    (void)rel;
    const struct qtp_ms_fact *flag = &r->st->f[QTP_MS_HYPERVISOR_FLAG];
    const struct qtp_ms_fact *virt = &r->st->f[QTP_MS_VIRT_VM];
    if (virt->known && strcmp(virt->text, "none") != 0)
        set_known(f, virt->text, 0);
    else if (flag->known && flag->number)
        set_known(f, "yes", 0);
    else if ((flag->known && !flag->number) || virt->known)
        set_known(f, "none", 0);
    else
        set_unknown(f, "no hypervisor flag to read (%s) and no systemd-detect-virt (%s)",
                    flag->text, virt->text);
}

/* One field of /proc/loadavg ("0.52 0.58 0.59 2/345 12345"). */
static int parse_load(const char *buf, double load[3])
{
    return sscanf(buf, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3 ? 0 : EINVAL;
}

static void rd_load(struct reader *r, const struct fact_def *d, const char *rel,
                    struct qtp_ms_fact *f)
{
    char buf[QTP_MS_TEXT_MAX], text[32];
    double load[3];
    if (!read_or_unknown(r, d, rel, f, buf, sizeof buf))
        return;
    if (parse_load(buf, load) != 0) {
        unexpected(f, r, rel, buf);
        return;
    }
    snprintf(text, sizeof text, "%.2f", load[d->index]);
    set_known(f, text, load[d->index]);
}

/* The registry. Rows in enum order; vm after the rows it reads. */
#define NO_DMI "no DMI tables (e.g. a microVM, or not x86)"
#define NO_THP "kernel without transparent huge pages"
#define THP "sys/kernel/mm/transparent_hugepage/"
// clang-format off
static const struct fact_def facts[QTP_MS_NFACTS] = {
    [QTP_MS_CPUS_ONLINE]       = {{"cpus_online", QTP_MS_TEXT, "CPUs online"},
                                  .read = rd_line, .path = CPU_SYS "online"},
    [QTP_MS_TURBO]             = {{"turbo", QTP_MS_BOOL, "turbo/boost"}, .read = rd_turbo},
    [QTP_MS_TURBO_SOURCE]      = {{"turbo_source", QTP_MS_TEXT, "turbo/boost read from"},
                                  .read = rd_turbo_source},
    [QTP_MS_SMT_CONTROL]       = {{"smt_control", QTP_MS_TEXT, "SMT control"},
                                  .read = rd_line, .path = CPU_SYS "smt/control",
                                  .missing = "kernel without SMT control"},
    [QTP_MS_SMT_ACTIVE]        = {{"smt_active", QTP_MS_BOOL, "SMT active"},
                                  .read = rd_bool01, .path = CPU_SYS "smt/active",
                                  .missing = "kernel without SMT control"},
    [QTP_MS_ISOLATED]          = {{"isolated", QTP_MS_TEXT, "isolated CPUs"},
                                  .read = rd_line, .path = CPU_SYS "isolated",
                                  .missing = "kernel older than 4.2"},
    [QTP_MS_NOHZ_FULL]         = {{"nohz_full", QTP_MS_TEXT, "nohz_full CPUs"},
                                  .read = rd_line, .path = CPU_SYS "nohz_full",
                                  .missing = "kernel built without NO_HZ_FULL"},
    [QTP_MS_CMDLINE_ISOLCPUS]  = {{"cmdline_isolcpus", QTP_MS_TEXT, "isolcpus= (boot)"},
                                  .read = rd_cmdline, .path = "proc/cmdline", .arg = "isolcpus",
                                  .missing = "no procfs"},
    [QTP_MS_CMDLINE_NOHZ_FULL] = {{"cmdline_nohz_full", QTP_MS_TEXT, "nohz_full= (boot)"},
                                  .read = rd_cmdline, .path = "proc/cmdline", .arg = "nohz_full",
                                  .missing = "no procfs"},
    [QTP_MS_THP_ENABLED]       = {{"thp_enabled", QTP_MS_TEXT, "transparent huge pages"},
                                  .read = rd_bracket, .path = THP "enabled",
                                  .missing = NO_THP},
    [QTP_MS_THP_DEFRAG]        = {{"thp_defrag", QTP_MS_TEXT, "THP defrag"},
                                  .read = rd_bracket, .path = THP "defrag",
                                  .missing = NO_THP},
    [QTP_MS_HYPERVISOR_FLAG]   = {{"hypervisor_flag", QTP_MS_BOOL, "cpuinfo hypervisor flag"},
                                  .read = rd_hypervisor, .path = "proc/cpuinfo",
                                  .missing = "no procfs"},
    [QTP_MS_VIRT_VM]           = {{"virt_vm", QTP_MS_TEXT, "systemd-detect-virt --vm"},
                                  .read = rd_tool, .arg = "--vm"},
    [QTP_MS_VIRT_CONTAINER]    = {{"virt_container", QTP_MS_TEXT,
                                   "systemd-detect-virt --container"},
                                  .read = rd_tool, .arg = "--container"},
    [QTP_MS_DMI_VENDOR]        = {{"dmi_sys_vendor", QTP_MS_TEXT, "DMI system vendor"},
                                  .read = rd_line, .path = "sys/class/dmi/id/sys_vendor",
                                  .missing = NO_DMI},
    [QTP_MS_DMI_PRODUCT]       = {{"dmi_product_name", QTP_MS_TEXT, "DMI product"},
                                  .read = rd_line, .path = "sys/class/dmi/id/product_name",
                                  .missing = NO_DMI},
    [QTP_MS_VM]                = {{"vm", QTP_MS_TEXT, "virtual machine"}, .read = rd_vm},
    [QTP_MS_LOAD1]             = {{"load1", QTP_MS_NUMBER, "load average, 1 min"},
                                  .read = rd_load, .path = "proc/loadavg", .index = 0,
                                  .missing = "no procfs"},
    [QTP_MS_LOAD5]             = {{"load5", QTP_MS_NUMBER, "load average, 5 min"},
                                  .read = rd_load, .path = "proc/loadavg", .index = 1,
                                  .missing = "no procfs"},
    [QTP_MS_LOAD15]            = {{"load15", QTP_MS_NUMBER, "load average, 15 min"},
                                  .read = rd_load, .path = "proc/loadavg", .index = 2,
                                  .missing = "no procfs"},
};

static const struct fact_def cpu_facts[QTP_MS_CPU_NFACTS] = {
    [QTP_MS_CPU_DRIVER]   = {{"driver", QTP_MS_TEXT, "cpufreq driver"},
                             .read = rd_line, .path = CPU_SYS "cpu%d/cpufreq/scaling_driver",
                             .missing = NO_CPUFREQ},
    [QTP_MS_CPU_GOVERNOR] = {{"governor", QTP_MS_TEXT, "CPU frequency governor"},
                             .read = rd_line, .path = CPU_SYS "cpu%d/cpufreq/scaling_governor",
                             .missing = NO_CPUFREQ},
    [QTP_MS_CPU_CUR_KHZ]  = {{"cur_khz", QTP_MS_NUMBER, "current frequency (kHz)"},
                             .read = rd_number, .path = CPU_SYS "cpu%d/cpufreq/scaling_cur_freq",
                             .missing = NO_CPUFREQ},
    [QTP_MS_CPU_MIN_KHZ]  = {{"min_khz", QTP_MS_NUMBER, "minimum frequency (kHz)"},
                             .read = rd_number, .path = CPU_SYS "cpu%d/cpufreq/scaling_min_freq",
                             .missing = NO_CPUFREQ},
    [QTP_MS_CPU_MAX_KHZ]  = {{"max_khz", QTP_MS_NUMBER, "maximum frequency (kHz)"},
                             .read = rd_number, .path = CPU_SYS "cpu%d/cpufreq/scaling_max_freq",
                             .missing = NO_CPUFREQ},
};
// clang-format on

const struct qtp_ms_fact_info *qtp_ms_fact_info(enum qtp_ms_id id)
{
    return id < QTP_MS_NFACTS ? &facts[id].info : NULL;
}

const struct qtp_ms_fact_info *qtp_ms_cpu_fact_info(enum qtp_ms_cpu_id id)
{
    return id < QTP_MS_CPU_NFACTS ? &cpu_facts[id].info : NULL;
}

static int cmp_mitigation(const void *a, const void *b)
{
    return strcmp(((const struct qtp_ms_mitigation *)a)->name,
                  ((const struct qtp_ms_mitigation *)b)->name);
}

static int read_mitigations(struct reader *r)
{
    static const char rel[] = CPU_SYS "vulnerabilities";
    struct qtp_machine_state *st = r->st;
    char dir[512];
    full_path(r, rel, dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d) {
        set_unreadable(&st->mitigations, r, rel, errno, "kernel older than 4.15");
        return 0;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (st->nmitigations == cap) {
            size_t ncap = cap ? 2 * cap : 32;
            struct qtp_ms_mitigation *m = realloc(st->mitigation, ncap * sizeof *m);
            if (!m) {
                closedir(d);
                return ENOMEM;
            }
            st->mitigation = m;
            cap = ncap;
        }
        struct qtp_ms_mitigation *m = &st->mitigation[st->nmitigations++];
        qtp_fmt(m->name, sizeof m->name, "%s", e->d_name);
        char frel[512];
        qtp_fmt(frel, sizeof frel, "%s/%s", rel, e->d_name);
        static const struct fact_def file = {{"", QTP_MS_TEXT, ""}, rd_line, NULL, NULL, 0, NULL};
        rd_line(r, &file, frel, &m->state);
    }
    closedir(d);
    if (st->nmitigations)
        qsort(st->mitigation, st->nmitigations, sizeof st->mitigation[0], cmp_mitigation);
    set_known(&st->mitigations, "", 0);
    return 0;
}

static int set_root(char *out, size_t len, const char *root)
{
    if (!root || strcmp(root, "/") == 0)
        root = "";
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    if (n >= len)
        return EINVAL;
    memcpy(out, root, n);
    out[n] = '\0';
    return 0;
}

int qtp_machine_state_read(struct qtp_machine_state **out,
                           const struct qtp_machine_state_source *src, const int *cpus,
                           size_t ncpus)
{
    *out = NULL;
    static const struct qtp_machine_state_source this_machine = {NULL, NULL};
    if (!src)
        src = &this_machine;
    struct reader r = {.tool = NULL};
    if (set_root(r.root, sizeof r.root, src->root) != 0)
        return EINVAL;
    for (size_t i = 0; i < ncpus; i++)
        if (cpus[i] < 0)
            return EINVAL;
    if (src->detect_virt && !src->detect_virt[0])
        r.why_no_tool = "systemd-detect-virt not run (disabled)";
    else if (src->detect_virt)
        r.tool = src->detect_virt;
    else if (!r.root[0])
        r.tool = "systemd-detect-virt";
    else
        r.why_no_tool = "systemd-detect-virt not run: the state is read from another root";

    struct qtp_machine_state *st = calloc(1, sizeof *st);
    if (!st)
        return ENOMEM;
    qtp_fmt(st->root, sizeof st->root, "%s", r.root[0] ? r.root : "/");
    r.st = st;
    if (ncpus) {
        st->cpus = calloc(ncpus, sizeof st->cpus[0]);
        if (!st->cpus) {
            free(st);
            return ENOMEM;
        }
    }
    st->ncpus = ncpus;
    for (int id = 0; id < QTP_MS_NFACTS; id++)
        facts[id].read(&r, &facts[id], facts[id].path, &st->f[id]);
    for (size_t i = 0; i < ncpus; i++) {
        st->cpus[i].os = cpus[i];
        for (int id = 0; id < QTP_MS_CPU_NFACTS; id++) {
            char rel[256];
            qtp_fmt(rel, sizeof rel, cpu_facts[id].path, cpus[i]);
            cpu_facts[id].read(&r, &cpu_facts[id], rel, &st->cpus[i].f[id]);
        }
    }
    int rc = read_mitigations(&r);
    if (rc) {
        qtp_machine_state_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

void qtp_machine_state_free(struct qtp_machine_state *st)
{
    if (!st)
        return;
    free(st->cpus);
    free(st->mitigation);
    free(st);
}

int qtp_machine_state_load(const char *root, double load[3], char *why, size_t whylen)
{
    struct reader r = {.tool = NULL};
    if (set_root(r.root, sizeof r.root, root) != 0) {
        qtp_set_err(why, whylen, "root too long");
        return EINVAL;
    }
    struct qtp_ms_fact f;
    rd_load(&r, &facts[QTP_MS_LOAD1], facts[QTP_MS_LOAD1].path, &f);
    if (!f.known) {
        qtp_set_err(why, whylen, "%s", f.text);
        return EIO;
    }
    char buf[QTP_MS_TEXT_MAX];
    if (read_small(&r, facts[QTP_MS_LOAD1].path, buf, sizeof buf) != 0 ||
        parse_load(buf, load) != 0) {
        qtp_set_err(why, whylen, "/proc/loadavg changed while read");
        return EIO;
    }
    return 0;
}

/* ---- warnings: one rule per row ---- */

struct warn_out {
    struct qtp_ms_warning *out;
    size_t max, n;
};

static void warn(struct warn_out *w, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn(struct warn_out *w, const char *id, const char *fmt, ...)
{
    if (w->n < w->max) {
        va_list ap;
        va_start(ap, fmt);
        w->out[w->n].id = id;
        vsnprintf(w->out[w->n].text, sizeof w->out[w->n].text, fmt, ap);
        va_end(ap);
    }
    w->n++;
}

/* CPUs whose known governor is not "performance", grouped by governor. */
static void warn_governor(const struct qtp_machine_state *st, struct warn_out *w)
{
    int *ids = malloc((st->ncpus ? st->ncpus : 1) * sizeof *ids);
    if (!ids)
        return;
    for (size_t i = 0; i < st->ncpus; i++) {
        const struct qtp_ms_fact *g = &st->cpus[i].f[QTP_MS_CPU_GOVERNOR];
        if (!g->known || strcmp(g->text, "performance") == 0)
            continue;
        bool first = true; /* the first CPU with this governor reports the group */
        for (size_t j = 0; j < i && first; j++) {
            const struct qtp_ms_fact *h = &st->cpus[j].f[QTP_MS_CPU_GOVERNOR];
            first = !(h->known && strcmp(h->text, g->text) == 0);
        }
        if (!first)
            continue;
        size_t n = 0;
        for (size_t j = i; j < st->ncpus; j++) {
            const struct qtp_ms_fact *h = &st->cpus[j].f[QTP_MS_CPU_GOVERNOR];
            if (h->known && strcmp(h->text, g->text) == 0)
                ids[n++] = st->cpus[j].os;
        }
        char list[128];
        qtp_cpulist_format(ids, n, list, sizeof list);
        warn(w, "governor",
             "CPU %s: frequency governor is %s, not performance (the clock follows the load)", list,
             g->text);
    }
    free(ids);
}

static void warn_turbo(const struct qtp_machine_state *st, struct warn_out *w)
{
    if (st->f[QTP_MS_TURBO].known && st->f[QTP_MS_TURBO].number)
        warn(w, "turbo",
             "turbo/boost is on (%s): the clock depends on temperature and on how many cores "
             "are busy",
             st->f[QTP_MS_TURBO_SOURCE].text);
}

static void warn_vm(const struct qtp_machine_state *st, struct warn_out *w)
{
    const struct qtp_ms_fact *vm = &st->f[QTP_MS_VM];
    if (vm->known && strcmp(vm->text, "none") != 0)
        warn(w, "vm",
             "a VM (%s): the host can take the CPUs away (steal time) and usually hides the "
             "hardware counters",
             vm->text);
}

static void warn_load(const struct qtp_machine_state *st, struct warn_out *w)
{
    const struct qtp_ms_fact *l = &st->f[QTP_MS_LOAD1];
    if (l->known && l->number >= QTP_MS_LOAD_WARN)
        warn(w, "load",
             "load %.1f (1-minute average, CPUs online: %s): other work competes for "
             "the CPUs",
             l->number, st->f[QTP_MS_CPUS_ONLINE].known ? st->f[QTP_MS_CPUS_ONLINE].text : "?");
}

static void (*const warn_rules[])(const struct qtp_machine_state *, struct warn_out *) = {
    warn_governor,
    warn_turbo,
    warn_vm,
    warn_load,
};

size_t qtp_machine_state_warnings(const struct qtp_machine_state *st, struct qtp_ms_warning *out,
                                  size_t max)
{
    struct warn_out w = {out, out ? max : 0, 0};
    for (size_t i = 0; i < sizeof warn_rules / sizeof warn_rules[0]; i++)
        warn_rules[i](st, &w);
    return w.n;
}

/* ---- JSON ---- */

static json_t *fact_json(const struct qtp_ms_fact *f, enum qtp_ms_kind kind)
{
    if (!f->known)
        return json_pack("{s:s}", "unknown", f->text);
    switch (kind) {
    case QTP_MS_NUMBER:
        return json_real(f->number);
    case QTP_MS_BOOL:
        return json_boolean(f->number != 0);
    case QTP_MS_TEXT:
        break;
    }
    return json_string(f->text);
}

/* jansson's *_set_new / *_append_new take the value even when they fail (and fail on a NULL
 * container), so each container is filled first, then handed over; one flag collects failures. */
json_t *qtp_machine_state_to_json(const struct qtp_machine_state *st)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = json_object_set_new(o, "root", json_string(st->root));
    for (int id = 0; id < QTP_MS_NFACTS; id++)
        bad |=
            json_object_set_new(o, facts[id].info.key, fact_json(&st->f[id], facts[id].info.kind));

    json_t *cpus = json_array();
    for (size_t i = 0; i < st->ncpus; i++) {
        json_t *c = json_object();
        bad |= json_object_set_new(c, "cpu", json_integer(st->cpus[i].os));
        for (int id = 0; id < QTP_MS_CPU_NFACTS; id++)
            bad |= json_object_set_new(c, cpu_facts[id].info.key,
                                       fact_json(&st->cpus[i].f[id], cpu_facts[id].info.kind));
        bad |= json_array_append_new(cpus, c);
    }
    bad |= json_object_set_new(o, "cpus", cpus);

    json_t *mit = st->mitigations.known ? json_object() : fact_json(&st->mitigations, QTP_MS_TEXT);
    for (size_t i = 0; st->mitigations.known && i < st->nmitigations; i++)
        bad |= json_object_set_new(mit, st->mitigation[i].name,
                                   fact_json(&st->mitigation[i].state, QTP_MS_TEXT));
    bad |= json_object_set_new(o, "mitigations", mit);

    size_t nw = qtp_machine_state_warnings(st, NULL, 0);
    struct qtp_ms_warning *w = calloc(nw ? nw : 1, sizeof *w);
    json_t *warns = json_array();
    bad |= !w;
    if (w)
        qtp_machine_state_warnings(st, w, nw);
    for (size_t i = 0; w && i < nw; i++)
        bad |=
            json_array_append_new(warns, json_pack("{s:s,s:s}", "id", w[i].id, "text", w[i].text));
    free(w);
    bad |= json_object_set_new(o, "warnings", warns);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
