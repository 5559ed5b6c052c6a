/* qtp_table.h - the one lookup every registry uses (queue kinds, wait strategies, topologies,
 * commands).
 *
 * A registry is an array of rows whose first member is `const char *name`, ended by a row whose
 * name is NULL. Reading the name through a pointer to the row is what C guarantees for a struct
 * (its address is its first member's); each table asserts the first-member rule next to its
 * definition (_Static_assert(offsetof(struct row, name) == 0, ...)). Header-only, so every layer
 * from the queues up can use it. */
#ifndef QTP_TABLE_H
#define QTP_TABLE_H

#include <stddef.h>
#include <string.h>

/* The row named `name` (NULL: none, or name is NULL). Use it through QTP_FIND_NAME, which keeps
 * the row type. */
static inline const void *qtp_find_name(const void *rows, size_t row_size, const char *name)
{
    if (!name)
        return NULL;
    for (const char *r = rows; *(const char *const *)(const void *)r; r += row_size)
        if (strcmp(*(const char *const *)(const void *)r, name) == 0)
            return r;
    return NULL;
}
#define QTP_FIND_NAME(table, name)                                                                 \
    ((__typeof__(&(table)[0]))qtp_find_name((table), sizeof(table)[0], (name)))

#endif
