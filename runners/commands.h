/* commands.h - the qtopo subcommands, each a main(argc, argv) whose argv[0] is its name and whose
 * return value is the exit status. Internal to runners/ (the command layer).
 */
#ifndef QTP_COMMANDS_H
#define QTP_COMMANDS_H

#define QTP_EXIT_OK 0
#define QTP_EXIT_FAILED 1 /* run: a rep failed; compare: a regression */
#define QTP_EXIT_BAD 2    /* bad input: one line on stderr, nothing written */
#define QTP_EXIT_INTERRUPTED 130

int qtp_compare_main(int argc, char **argv);

#endif
