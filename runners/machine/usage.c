/* usage.c - getrusage and /proc/self/status snapshots. */
#include "usage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* VmHWM and VmRSS in kB from /proc/self/status (0 when unreadable). */
static void read_status(uint64_t *hwm, uint64_t *rss)
{
    *hwm = *rss = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    char line[256];
    unsigned long long v;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmHWM: %llu kB", &v) == 1)
            *hwm = v;
        else if (sscanf(line, "VmRSS: %llu kB", &v) == 1)
            *rss = v;
    }
    fclose(f);
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int qtp_usage_snapshot(struct qtp_usage *u)
{
    struct rusage ru;
    memset(u, 0, sizeof(*u));
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return errno;
    u->user_s = tv_s(ru.ru_utime);
    u->sys_s = tv_s(ru.ru_stime);
    u->voluntary_cs = (uint64_t)ru.ru_nvcsw;
    u->involuntary_cs = (uint64_t)ru.ru_nivcsw;
    u->maxrss_kb = (uint64_t)ru.ru_maxrss; /* Linux: kilobytes */
    read_status(&u->hwm_kb, &u->rss_kb);
    return 0;
}

void qtp_usage_cpu_diff(const struct qtp_usage *before, const struct qtp_usage *after,
                        struct qtp_usage *out)
{
    *out = (struct qtp_usage){0};
    out->user_s = after->user_s - before->user_s;
    out->sys_s = after->sys_s - before->sys_s;
    out->voluntary_cs = after->voluntary_cs - before->voluntary_cs;
    out->involuntary_cs = after->involuntary_cs - before->involuntary_cs;
}

int qtp_usage_peak_reset(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    /* "5": reset the peak RSS (VmHWM) to the current RSS (Linux >= 4.0). */
    int rc = write(fd, "5", 1) == 1 ? 0 : errno;
    close(fd);
    return rc;
}

uint64_t qtp_usage_peak_kb(const struct qtp_usage *after, bool was_reset, const char **source)
{
    const char *src;
    uint64_t kb;
    if (after->hwm_kb && was_reset) {
        src = "vmhwm-reset";
        kb = after->hwm_kb;
    } else if (after->hwm_kb) {
        src = "vmhwm";
        kb = after->hwm_kb;
    } else {
        src = "ru_maxrss";
        kb = after->maxrss_kb;
    }
    if (source)
        *source = src;
    return kb;
}
