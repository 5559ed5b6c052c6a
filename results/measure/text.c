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
