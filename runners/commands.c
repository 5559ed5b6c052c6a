/* commands.c - what every command shares: help detection, the bad-input line, the build facts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

bool qtp_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

int qtp_bad_input(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "qtopo %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
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
