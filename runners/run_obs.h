/* run_obs.h - internal to `qtopo run`: what a cell and its reps record besides their numbers
 * (the load around the cell, the kernel's event counters over each rep's window). */
#ifndef QTP_RUN_OBS_H
#define QTP_RUN_OBS_H

#include <stdbool.h>

#include "counters.h"
#include "qtp_record.h"

/* The load average now into the start (end false) or end half of l; unreadable: null, and
 * l->unknown says why. */
void qtp_obs_load(struct qtp_load_stats *l, bool end);

/* A row's counters before its rep ran: mode "none", every event null and not counted. */
void qtp_obs_counters_none(struct qtp_counter_stats *cs);
/* The rep's counters, summed over its threads, per event of the window (events > 0). */
void qtp_obs_counters_fill(struct qtp_counters *c, enum qtp_counters_mode mode, uint64_t events,
                           struct qtp_counter_stats *cs);

struct qtp_cell_run;
/* How long the platform's hiccups are measured before a cell's reps, per pacing thread: 50 ms,
 * or for a paced cell as long as one rep's measured window (events / rate), up to 2 s. A paced
 * cell's p99 is read against this baseline's, and the rare stalls of a shared machine (a VM's
 * steal, milliseconds long, a few times a second) fall into a window of seconds but mostly miss
 * one of 50 ms: a short baseline would make the platform look quieter than it was for the cell. */
#define QTP_OBS_HICCUP_MS 50
#define QTP_OBS_HICCUP_PACED_MAX_MS 2000
/* The platform's own hiccups on the cell's PUs (hiccup.h), paced at the cell's rate or 1 us,
 * waiting as the cell's wait strategy waits, into hist/<name>.hiccup.hgrm; rel gets its path
 * ("" when not measured: a line on stderr says why). */
void qtp_obs_hiccup(struct qtp_cell_run *cr, const char *dir, const char *name, char *rel,
                    size_t len);
/* Open the cell's interval log hist/<name>.hlog (name: as its .hgrm) and write its header, with
 * the BaseTime now; on failure cr->hlog stays NULL (said on stderr). */
void qtp_obs_hlog_open(struct qtp_cell_run *cr, const char *dir, const char *name);
/* Close it; removed when no interval went in (cr->hlog_rel is then ""). */
void qtp_obs_hlog_close(struct qtp_cell_run *cr, const char *dir);

#endif
