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
 * terminal escapes: every byte that is not printable is written as \xHH, so a message is always
 * one printable line and cannot retitle or clear the user's terminal. */
static void vmessage(const char *cmd, const char *fmt, va_list ap)
{
    char buf[4096], line[4 * sizeof buf];
    vsnprintf(buf, sizeof buf, fmt, ap);
    qtp_printable(line, sizeof line, buf);
    fprintf(stderr, "qtopo%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", line);
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
