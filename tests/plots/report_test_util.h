/* report_test_util.h - internal to tests/plots: run a program, temp dirs, files. */
#ifndef REPORT_TEST_UTIL_H
#define REPORT_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* What a run gave back. */
struct rt_result {
    int status; /* exit status; 128+N for signal N; -1 could not start; -2 timed out */
    char *out;  /* stdout (malloc'd, NUL-terminated) */
    char *err;  /* stderr */
};

/* Run argv (argv[0] looked up in PATH unless it has a slash) in cwd (NULL: ours), with env_path
 * as PATH if not NULL, for at most timeout_s seconds (the whole process group is killed then).
 * Free with rt_result_free. */
struct rt_result rt_run(char *const argv[], const char *cwd, const char *env_path, int timeout_s);
void rt_result_free(struct rt_result *r);

/* A new directory under $TMPDIR (or /tmp): malloc'd path. */
char *rt_mkdtemp(const char *tag);
void rt_rm_rf(const char *path);
/* cp -a src dst (dst must not exist). */
int rt_copy_tree(const char *src, const char *dst);
/* Whole file (malloc'd, NUL-terminated), NULL if unreadable. */
char *rt_slurp(const char *path, size_t *len);
int rt_write_file(const char *path, const char *text);
bool rt_exists(const char *path);
bool rt_in_path(const char *prog);
/* Number of entries in dir other than . and .. (-1 if unreadable); if name_out is not NULL it
 * gets the names, space separated. */
int rt_dir_entries(const char *dir, char *name_out, size_t len);
/* Count of non-overlapping occurrences of needle in hay. */
size_t rt_count(const char *hay, const char *needle);
/* malloc'd "a/b". */
char *rt_join(const char *a, const char *b);

#endif
