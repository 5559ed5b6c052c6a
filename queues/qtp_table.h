/* qtp_table.h - the one lookup every registry uses (queue kinds, wait strategies, topologies).
 *
 * A registry is an array of rows whose first member is `const char *name`, ended by a row whose
 * name is NULL. Each table asserts the first-member rule next to its definition
 * (_Static_assert(offsetof(struct row, name) == 0, ...)), which is what makes the cast below valid. */
#ifndef QTP_TABLE_H
#define QTP_TABLE_H

#include <stddef.h>
#include <string.h>

/* The row named `name` (NULL: none, or name is NULL). */
static inline const void *qtp_table_find(const void *rows, size_t row_size, const char *name)
{
    if (!name)
        return NULL;
    for (const char *r = rows; *(const char *const *)(const void *)r; r += row_size)
        if (strcmp(*(const char *const *)(const void *)r, name) == 0)
            return r;
    return NULL;
}

#endif
