/* qtp_hlog.h - HdrHistogram interval logs (.hlog): one histogram per time interval, in the layout
 * Java HdrHistogram's HistogramLogWriter writes (log format 1.3), which its HistogramLogReader,
 * HistogramLogProcessor and the other HdrHistogram readers accept:
 *
 *   #[Logged with qtopo 0.1.0]                      (an optional comment)
 *   #[Histogram log format version 1.3]
 *   #[StartTime: 1733097600.000 (seconds since epoch), Mon Dec 02 00:00:00 UTC 2024]
 *   #[BaseTime: 1733097600.000 (seconds since epoch)]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   Tag=rep0,0.000,0.010,0.123,HISTFAAAA...
 *
 * An interval line is [Tag=<tag>,]<start>,<length>,<max>,<histogram>: start in seconds after the
 * base time, the interval's length in seconds (not its end: HdrHistogram_c's hdr_log_write
 * writes an end time there, which readers take for a length), the interval's max divided by
 * 10^6 (values are ns, so ms, as the Java writer's default ratio), and the histogram in
 * HdrHistogram's V2 compressed encoding, base64.
 *
 * The V2 encoding: a 40-byte big-endian header (cookie 0x1c849313, payload length, normalizing
 * index offset 0, significant digits, lowest and highest trackable value, integer-to-double
 * ratio 1.0) and the counts up to the last non-zero one as ZigZag LEB128 longs, a run of n > 1
 * zero counts written as -n; all of it DEFLATE-compressed (zlib wrapper) behind an 8-byte header
 * of its own (cookie 0x1c849314, compressed length). qtp_hist's counts are HdrHistogram's counts
 * array for lowest 1, highest 1 h, 3 digits, so they are written as they are.
 *
 * Writing is not thread-safe per FILE; the functions only read the histogram.
 */
#ifndef QTP_HLOG_H
#define QTP_HLOG_H

#include <stddef.h>
#include <stdio.h>

struct qtp_hist;

/* Interval max column: value / QTP_HLOG_MAX_RATIO (ns to ms, HistogramLogWriter's default). */
#define QTP_HLOG_MAX_RATIO 1e6

struct qtp_hlog_header {
    const char *comment; /* written as "#<comment>" first, e.g. "[Logged with qtopo 0.1.0]";
                            NULL: none. Must not contain a line break. */
    double start_time_s; /* StartTime: seconds since the epoch (the run's wall-clock start) */
    double base_time_s;  /* BaseTime: seconds since the epoch that interval starts count from */
};

/* The header lines (comment, format version, StartTime, BaseTime, legend). 0, EINVAL (a line
 * break in the comment), or EIO when writing fails. */
int qtp_hlog_write_header(FILE *f, const struct qtp_hlog_header *hd);

/* One interval line. tag: NULL (no tag) or a non-empty string without ',', ' ', '\r', '\n'
 * (HistogramLogWriter refuses those); start_s: seconds after the base time; length_s >= 0.
 * 0, EINVAL (bad tag, length or start), ENOMEM, EIO (zlib or writing). */
int qtp_hlog_write_interval(FILE *f, const char *tag, double start_s, double length_s,
                            const struct qtp_hist *h);

/* The V2 compressed encoding of h (an interval line's histogram before base64).
 * 0 with *buf (free() it) and *len, or ENOMEM, or EIO (zlib failed). */
int qtp_hlog_encode(const struct qtp_hist *h, unsigned char **buf, size_t *len);

#endif
