/* commands.h - the qtopo subcommands, each a main(argc, argv) whose argv[0] is its name and whose
 * return value is the exit status; main.c's table dispatches to them. Internal to runners/ (the
 * command layer, on top of every library).
 */
#ifndef QTP_COMMANDS_H
#define QTP_COMMANDS_H

#include <stdbool.h>

#include <jansson.h>

#define QTP_EXIT_OK 0
#define QTP_EXIT_FAILED 1 /* run: a rep failed; compare: a regression; anything else went wrong */
#define QTP_EXIT_BAD 2    /* bad input: one line on stderr, nothing written */
#define QTP_EXIT_INTERRUPTED 130

/* qtopo run [OPTIONS]: the matrix (cmd_run.c). */
int qtp_run_main(int argc, char **argv);
/* qtopo report DIR [-o OUT] [-q]: prints the absolute path of OUT/index.html; 0 done, 2 bad
 * arguments, a missing/damaged/empty results directory, gnuplot absent or OUT not a report, 1
 * anything else (cmd_report.c). */
int qtp_report_main(int argc, char **argv);
/* qtopo compare BASE NEW: 0 no regression, 1 a significant one, 2 bad input (cmd_compare.c). */
int qtp_compare_main(int argc, char **argv);
/* qtopo merge (cmd_merge.c). */
int qtp_merge_main(int argc, char **argv);
/* qtopo list [--grammar], qtopo info [--json] (cmd_list.c, cmd_info.c). */
int qtp_list_main(int argc, char **argv);
/* qtopo describe [--dot] EXPR|NAME: 0, 2 bad input (cmd_describe.c). */
int qtp_describe_main(int argc, char **argv);
int qtp_info_main(int argc, char **argv);

/* The registries as meta.json carries them: topologies, families, queue kinds (with their family
 * and whether the wait axis applies), wait strategies and placements, each in its display order
 * (registry.c). New reference, NULL on ENOMEM. */
json_t *qtp_registries_json(void);

/* True when argv has -h/--help (the command prints its manual and exits 0). */
bool qtp_wants_help(int argc, char **argv);
/* "qtopo CMD: message" on stderr as one printable line (bytes that are not are written \xHH);
 * every message of a command goes through it, since messages quote user values. */
void qtp_message(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* qtp_message, and returns QTP_EXIT_BAD. */
int qtp_bad_input(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Facts of the build, recorded in meta.json and printed by --version (set by CMake). */
const char *qtp_build_version(void);
const char *qtp_build_git_commit(void);
const char *qtp_build_compiler(void);
const char *qtp_build_flags(void);
const char *qtp_build_type(void);

#endif
