/* qtp_format.h - numbers for people: rates, durations and small values, in the two styles qtopo
 * prints them (the terminal's compact ASCII, the report page's with units and spaces). */
#ifndef QTP_FORMAT_H
#define QTP_FORMAT_H

#include <stddef.h>

enum qtp_style {
    QTP_STYLE_TERMINAL, /* "52.68M", "12.3us", "-" for none */
    QTP_STYLE_PAGE,     /* "52.7 M/s", "12.3 µs", "–" for none */
};

/* Events per second. */
void qtp_format_rate(double eps, enum qtp_style style, char *buf, size_t len);
/* A duration in nanoseconds. */
void qtp_format_ns(double ns, enum qtp_style style, char *buf, size_t len);
/* A small number such as allocations per event: terminal "0.25", page "0", "0.25", "12.5", "96". */
void qtp_format_num(double v, enum qtp_style style, char *buf, size_t len);

#endif
