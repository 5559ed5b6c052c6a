/* commands.c - what every command shares: help detection, the bad-input line, the build facts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "qtp_text.h"

bool qtp_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

/* A message quotes user values (names, paths, file contents), which may hold newlines or
 * terminal escapes: every byte that is not printable is written as \xHH (qtp_printable), so a
 * message cannot retitle or clear the user's terminal. A message's own continuation lines (a
 * newline followed by two spaces: an expression and its caret under the bad part) are kept;
 * any other newline is a user's byte and is escaped, so the message stays one line. */
static void vmessage(const char *cmd, const char *fmt, va_list ap)
{
    char buf[4096], line[4 * sizeof buf];
    vsnprintf(buf, sizeof buf, fmt, ap);
    fprintf(stderr, "qtopo%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    for (char *p = buf;;) {
        char *nl = strstr(p, "\n  ");
        if (nl)
            *nl = 0;
        qtp_printable(line, sizeof line, p);
        fputs(line, stderr);
        fputc('\n', stderr);
        if (!nl)
            break;
        p = nl + 1;
    }
}

void qtp_message(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, fmt, ap);
    va_end(ap);
}

int qtp_bad_input(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, fmt, ap);
    va_end(ap);
    return QTP_EXIT_BAD;
}

const char *qtp_build_version(void)
{
    return QTOPO_VERSION;
}
const char *qtp_build_git_commit(void)
{
    return QTOPO_GIT_COMMIT;
}
const char *qtp_build_compiler(void)
{
    return QTOPO_COMPILER;
}
const char *qtp_build_flags(void)
{
    return QTOPO_C_FLAGS;
}
const char *qtp_build_type(void)
{
    return QTOPO_BUILD_TYPE;
}
