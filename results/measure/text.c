/* text.c - messages and names (qtp_text.h). */
#include "qtp_text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int qtp_fmt(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n;
}

void qtp_printable(char *dst, size_t len, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    if (!len)
        return;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        bool plain = *p >= 0x20 && *p < 0x7f;
        if (at + (plain ? 1 : 4) >= len)
            break;
        if (plain) {
            dst[at++] = (char)*p;
        } else {
            dst[at++] = '\\';
            dst[at++] = 'x';
            dst[at++] = hex[*p >> 4];
            dst[at++] = hex[*p & 15];
        }
    }
    dst[at] = 0;
}

void qtp_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const void *qtp_find_name(const void *table, size_t row_size, const char *name)
{
    if (!name)
        return NULL;
    /* Every row starts with its name: reading it through a pointer to the first member is what
     * C guarantees for a struct (its address is its first member's). */
    for (const char *row = table; *(const char *const *)row; row += row_size)
        if (strcmp(*(const char *const *)row, name) == 0)
            return row;
    return NULL;
}
