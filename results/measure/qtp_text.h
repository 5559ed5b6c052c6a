/* qtp_text.h - messages and names: the small text helpers every layer above the queues shares.
 *
 * Library functions report a problem as one line in a caller's buffer (err, errlen) and return an
 * errno value; only the command line prints. These are the one way to fill such a buffer, to
 * format into a fixed one where cutting a long value short is intended, and to look a name up in
 * a registry table.
 */
#ifndef QTP_TEXT_H
#define QTP_TEXT_H

#include <stddef.h>

/* snprintf for messages and labels, where cutting a long value short is intended (GCC's
 * -Wformat-truncation does not look into it). Returns like snprintf. */
int qtp_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* src as one printable line into dst[len]: every byte outside ' '..'~' (a newline, a terminal
 * escape, a byte of UTF-8) is written \xHH, so text quoting a user's value cannot break a
 * message in two or drive the terminal. Cut short to fit. */
void qtp_printable(char *dst, size_t len, const char *src);

/* One line into err[errlen] (nothing when err is NULL or errlen 0). */
void qtp_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
