/* progress.h - progress of a run on stderr. Internal to runners/.
 *
 * Cells done of total, the current cell and rep, elapsed time and an estimate of what is left.
 * When stderr is a terminal, one bar line redrawn in place (also from the watchdog's tick, so the
 * clock moves during a long rep); otherwise one plain line per finished cell, for logs.
 * Output goes through write(2) from a stack buffer: no allocation, so a tick inside a measured
 * window does not show up in its allocation counts.
 *
 * Concurrency: every function takes the meter's lock; tick may run on another thread.
 */
#ifndef QTP_PROGRESS_H
#define QTP_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qtp_meter {
    pthread_mutex_t lock;
    int fd;
    bool tty;
    size_t total, done;           /* cells */
    double work_total, work_done; /* estimated cost units (run_cell.c) */
    double cell_work;             /* of the current cell */
    uint64_t t0_ns;
    size_t index; /* current cell, 0-based */
    int rep, reps;
    char label[192];
    bool drawn; /* a bar is on the screen */
};

void qtp_meter_init(struct qtp_meter *m, int fd, size_t total_cells, double work_total);
/* Force the plain-line mode (tests) or the bar. */
void qtp_meter_set_tty(struct qtp_meter *m, bool tty);
/* Cells already done before this run started (resume). */
void qtp_meter_skip_done(struct qtp_meter *m, size_t cells, double work);
void qtp_meter_begin(struct qtp_meter *m, size_t index, const char *label, double work, int reps);
void qtp_meter_rep(struct qtp_meter *m, int rep);
/* The cell is over; outcome is a short text ("ok 5/5  12.3 Meps  p99 1.2 us", "skipped: ..."). */
void qtp_meter_end(struct qtp_meter *m, const char *outcome);
/* Redraw the bar (tty only). Signature fits qtp_watchdog_config.tick. */
void qtp_meter_tick(void *meter);
/* A message line above the bar. */
void qtp_meter_note(struct qtp_meter *m, const char *line);
/* Clear the bar. */
void qtp_meter_finish(struct qtp_meter *m);
void qtp_meter_destroy(struct qtp_meter *m);

/* "1:05" / "1:02:05" into buf. */
void qtp_format_duration(double s, char *buf, size_t len);

#endif
