/* progress.c - the progress bar / lines of `qtopo run`. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "qtp_clock.h"
#include "qtp_text.h"

void qtp_format_duration(double s, char *buf, size_t len)
{
    if (s < 0)
        s = 0;
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        qtp_fmt(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        qtp_fmt(buf, len, "%lu:%02lu", t / 60, t % 60);
}

void qtp_meter_init(struct qtp_meter *m, int fd, size_t total_cells, double work_total)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    m->fd = fd;
    m->tty = isatty(fd);
    m->total = total_cells;
    m->work_total = work_total;
    m->t0_ns = qtp_clock_mono_ns();
}

void qtp_meter_set_tty(struct qtp_meter *m, bool tty)
{
    pthread_mutex_lock(&m->lock);
    m->tty = tty;
    pthread_mutex_unlock(&m->lock);
}

void qtp_meter_skip_done(struct qtp_meter *m, size_t cells, double work)
{
    pthread_mutex_lock(&m->lock);
    m->done += cells;
    m->work_total -= work; /* the estimate covers only what this process runs */
    if (m->work_total < 0)
        m->work_total = 0;
    pthread_mutex_unlock(&m->lock);
}

static void put(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return; /* progress is best effort */
        s += w;
        n -= (size_t)w;
    }
}

/* Elapsed and remaining time, from the work done so far (counting the current cell's reps). */
static void times(const struct qtp_meter *m, char *el, char *left, size_t len)
{
    double elapsed = (double)(qtp_clock_mono_ns() - m->t0_ns) / 1e9;
    double done = m->work_done;
    if (m->reps > 0)
        done += m->cell_work * (double)m->rep / (double)m->reps;
    qtp_format_duration(elapsed, el, len);
    if (done > 0 && m->work_total > 0)
        qtp_format_duration(elapsed / done * (m->work_total - done), left, len);
    else
        qtp_fmt(left, len, "?");
}

static unsigned columns(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    return 80;
}

static void draw(struct qtp_meter *m)
{
    char el[32], left[32], line[512];
    times(m, el, left, sizeof el);
    unsigned cols = columns(m->fd);
    double frac = m->total ? (double)m->done / (double)m->total : 1.0;
    const unsigned barw = 16;
    char bar[barw + 1];
    unsigned fill = (unsigned)(frac * barw + 0.5);
    for (unsigned i = 0; i < barw; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[barw] = 0;
    int n = snprintf(line, sizeof line, "\r[%s] %zu/%zu  %s  ~%s left  rep %d/%d  %s", bar, m->done,
                     m->total, el, left, m->rep + 1, m->reps, m->label);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (len > cols) /* one screen line, or \r cannot take it back */
        len = cols;
    put(m->fd, line, len);
    put(m->fd, "\033[K", 3);
    m->drawn = true;
}

static void clear(struct qtp_meter *m)
{
    if (m->drawn)
        put(m->fd, "\r\033[K", 4);
    m->drawn = false;
}

void qtp_meter_begin(struct qtp_meter *m, size_t index, const char *label, double work, int reps)
{
    pthread_mutex_lock(&m->lock);
    m->index = index;
    m->cell_work = work;
    m->rep = 0;
    m->reps = reps;
    qtp_fmt(m->label, sizeof m->label, "%s", label);
    if (m->tty)
        draw(m);
    pthread_mutex_unlock(&m->lock);
}

void qtp_meter_rep(struct qtp_meter *m, int rep)
{
    pthread_mutex_lock(&m->lock);
    m->rep = rep;
    if (m->tty)
        draw(m);
    pthread_mutex_unlock(&m->lock);
}

void qtp_meter_end(struct qtp_meter *m, const char *outcome)
{
    char el[32], left[32], line[768];
    pthread_mutex_lock(&m->lock);
    m->done++;
    m->work_done += m->cell_work;
    m->cell_work = 0;
    m->reps = 0;
    times(m, el, left, sizeof el);
    if (m->tty) {
        clear(m);
        int n = snprintf(line, sizeof line, "%s  %s\n", m->label, outcome);
        if (n > 0)
            put(m->fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        draw(m);
    } else {
        int n = snprintf(line, sizeof line, "[%zu/%zu %s elapsed, ~%s left] %s  %s\n", m->done,
                         m->total, el, left, m->label, outcome);
        if (n > 0)
            put(m->fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    }
    pthread_mutex_unlock(&m->lock);
}

void qtp_meter_tick(void *meter)
{
    struct qtp_meter *m = meter;
    pthread_mutex_lock(&m->lock);
    if (m->tty && m->drawn)
        draw(m);
    pthread_mutex_unlock(&m->lock);
}

void qtp_meter_note(struct qtp_meter *m, const char *text)
{
    pthread_mutex_lock(&m->lock);
    bool was = m->drawn;
    clear(m);
    char line[4096];
    qtp_printable(line, sizeof line, text); /* it quotes paths the user gave */
    put(m->fd, line, strlen(line));
    put(m->fd, "\n", 1);
    if (was)
        draw(m);
    pthread_mutex_unlock(&m->lock);
}

void qtp_meter_finish(struct qtp_meter *m)
{
    pthread_mutex_lock(&m->lock);
    clear(m);
    pthread_mutex_unlock(&m->lock);
}

void qtp_meter_destroy(struct qtp_meter *m)
{
    pthread_mutex_destroy(&m->lock);
}
