/* fuzz_util.h - shared by the libFuzzer targets: the input as a C string or a file, and what
 * every parser owes its caller on any input (a crash, a leak or a hang is libFuzzer's to see). */
#ifndef QTP_FUZZ_UTIL_H
#define QTP_FUZZ_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The input, NUL-terminated (the parsers take text); NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = 0;
    }
    return s;
}

/* Replace path with the input (the readers that only take files). */
static inline void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
        perror(path);
        abort();
    }
}

/* A parser's answer: 0, or one of the errors it documents with a reason in err. Anything else
 * is a finding: abort, so libFuzzer keeps the input. */
static inline void fuzz_expect(const char *what, int rc, const int *allowed, size_t nallowed,
                               const char *err)
{
    if (rc == 0)
        return;
    for (size_t i = 0; i < nallowed; i++)
        if (rc == allowed[i]) {
            if (!err[0]) {
                fprintf(stderr, "%s: error %d with an empty reason\n", what, rc);
                abort();
            }
            /* QTP_FUZZ_PRINTABLE=1: the reason must also be one printable line (the commands
             * print it as it is). Not in the default runs: escaping is the commands' job today. */
            static int printable = -1;
            if (printable < 0)
                printable = getenv("QTP_FUZZ_PRINTABLE") && atoi(getenv("QTP_FUZZ_PRINTABLE"));
            for (const unsigned char *c = (const unsigned char *)err; printable && *c; c++)
                if (*c < 0x20 || *c == 0x7f) {
                    fprintf(stderr, "%s: reason with byte 0x%02x: %s\n", what, *c, err);
                    abort();
                }
            return;
        }
    fprintf(stderr, "%s: undocumented result %d (%s)\n", what, rc, err);
    abort();
}

/* A directory of its own for the file-reading targets, removed at exit. */
static char fuzz_dir[64];
static void fuzz_dir_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", fuzz_dir);
}
static inline const char *fuzz_workdir(void)
{
    if (!fuzz_dir[0]) {
        snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/qtopo-fuzz.XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(fuzz_dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(fuzz_dir_remove);
    }
    return fuzz_dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
