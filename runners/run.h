/* run.h - `qtopo run`: the cell loop. Internal to runners/ (the command-line layer).
 *
 * For each cell of the expanded matrix: plan the placement, install the NUMA allocation hook,
 * then per rep build a fresh deployment, run warm-up + measured events under a watchdog, check
 * the result against the model, and record it; append the cell's rows to results.jsonl (fsync),
 * rewrite summary.csv and write hist/<cell>.hgrm. Everything is validated before the results
 * directory is created, so bad input leaves nothing behind.
 *
 * Exit status: 0 every run rep verified; 1 some rep failed (the results are complete and say
 * why); 2 bad input, nothing written; 130 interrupted by SIGINT/SIGTERM (what was done is
 * written; `qtopo run --resume DIR` finishes it).
 *
 * Test-only environment (not in --help): QTOPO_TEST_STALL=STAGE:AFTER[:TOPOLOGY] makes stage
 * number STAGE stop after AFTER events (the watchdog test), QTOPO_TEST_FAULT=STAGE:SEQ[:TOPOLOGY]
 * corrupts one field of event SEQ (a failed model check); with TOPOLOGY only that topology's
 * cells. QTOPO_TEST_TTY=0|1 forces the progress display mode.
 */
#ifndef QTP_RUN_H
#define QTP_RUN_H

#include <stdio.h>

#include "commands.h"

/* argv[0] is "run". Returns the exit status. */
int qtp_run_main(int argc, char **argv);
void qtp_run_usage(FILE *out);

/* Build facts recorded in meta.json and printed by --version (set by CMake). */
const char *qtp_build_git_commit(void);
const char *qtp_build_compiler(void);
const char *qtp_build_flags(void);
const char *qtp_build_type(void);

#endif
