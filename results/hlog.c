/* hlog.c - HdrHistogram interval logs and the V2 compressed histogram encoding (qtp_hlog.h).
 *
 * Byte for byte what Java HdrHistogram's AbstractHistogram.encodeIntoCompressedByteBuffer and
 * HistogramLogWriter produce; zlib does the DEFLATE, glibc's b64_ntop (libresolv) the base64.
 */
#include "qtp_hlog.h"

#include <errno.h>
#include <math.h>
#include <resolv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "qtp_hist.h"

/* The V2 encoding reads qtp_hist's counts array directly: it must be HdrHistogram's array for
 * the parameters the header names. If qtp_hist's layout changes, these fail to compile; then
 * encode through a value iteration instead. */
_Static_assert(QTP_HIST_LOWEST == 1 && QTP_HIST_SIGFIGS == 3,
               "the V2 header below names lowest 1, 3 significant digits");
_Static_assert(QTP__HIST_SUB_MAG == 11 && QTP__HIST_COUNTS_LEN == (QTP__HIST_BUCKETS + 1) * 1024,
               "qtp_hist's counts are no longer HdrHistogram's array for lowest 1, 3 digits");

enum {
    V2_COOKIE = 0x1c849303 | 0x10,            /* V2EncodingCookieBase | TLZE word-size flag */
    V2_COMPRESSED_COOKIE = 0x1c849304 | 0x10, /* V2CompressedEncodingCookieBase | flag */
    V2_HEADER = 40,
    V2_MAX_WORD = 9, /* ZigZag LEB128, 64 bits in at most 9 bytes */
    COMPRESSED_HEADER = 8,
};

static unsigned char *put_be32(unsigned char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

static unsigned char *put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

/* ZigZagEncoding.putLong: LEB128 of the zigzagged value; the 9th byte carries 8 bits. */
static unsigned char *put_zigzag(unsigned char *p, int64_t value)
{
    uint64_t v = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
    for (int i = 0; i < 8; i++) {
        if (v >> 7 == 0) {
            *p++ = (unsigned char)v;
            return p;
        }
        *p++ = (unsigned char)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* The uncompressed V2 encoding into buf (room for V2_HEADER + V2_MAX_WORD * counts); returns its
 * length. Counts up to the last non-zero one, as fillBufferFromCountsArray writes them. */
static size_t encode_v2(const struct qtp_hist *h, unsigned char *buf)
{
    size_t limit = QTP__HIST_COUNTS_LEN;
    while (limit > 1 && h->counts[limit - 1] == 0)
        limit--; /* an empty histogram still writes count[0], as Java does */
    unsigned char *p = buf + V2_HEADER;
    for (size_t i = 0; i < limit;) {
        uint64_t count = h->counts[i++];
        int64_t zeros = 0;
        if (count == 0) {
            zeros = 1;
            while (i < limit && h->counts[i] == 0) {
                zeros++;
                i++;
            }
        }
        p = put_zigzag(p, zeros > 1 ? -zeros : (int64_t)count);
    }
    size_t payload = (size_t)(p - (buf + V2_HEADER));
    double ratio = 1.0; /* integerToDoubleValueConversionRatio: an integer histogram */
    uint64_t ratio_bits;
    memcpy(&ratio_bits, &ratio, sizeof ratio_bits);
    unsigned char *q = put_be32(buf, V2_COOKIE);
    q = put_be32(q, (uint32_t)payload);
    q = put_be32(q, 0); /* normalizingIndexOffset */
    q = put_be32(q, QTP_HIST_SIGFIGS);
    q = put_be64(q, QTP_HIST_LOWEST);
    q = put_be64(q, QTP_HIST_HIGHEST);
    put_be64(q, ratio_bits);
    return V2_HEADER + payload;
}

int qtp_hlog_encode(const struct qtp_hist *h, unsigned char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    unsigned char *raw = malloc(V2_HEADER + (size_t)V2_MAX_WORD * QTP__HIST_COUNTS_LEN);
    if (!raw)
        return ENOMEM;
    size_t raw_len = encode_v2(h, raw);
    uLongf zlen = compressBound((uLong)raw_len);
    unsigned char *out = malloc(COMPRESSED_HEADER + zlen);
    if (!out) {
        free(raw);
        return ENOMEM;
    }
    /* Level 9: HistogramLogWriter's Deflater.BEST_COMPRESSION. */
    int zrc = compress2(out + COMPRESSED_HEADER, &zlen, raw, (uLong)raw_len, Z_BEST_COMPRESSION);
    free(raw);
    if (zrc != Z_OK) {
        free(out);
        return zrc == Z_MEM_ERROR ? ENOMEM : EIO;
    }
    put_be32(put_be32(out, V2_COMPRESSED_COOKIE), (uint32_t)zlen);
    *buf = out;
    *len = COMPRESSED_HEADER + zlen;
    return 0;
}

int qtp_hlog_write_header(FILE *f, const struct qtp_hlog_header *hd)
{
    if (hd->comment && strpbrk(hd->comment, "\r\n"))
        return EINVAL;
    /* Java's Date.toString() form, for people; readers parse only the number before it. */
    time_t t = (time_t)hd->start_time_s;
    struct tm tm;
    char date[64] = "";
    if (localtime_r(&t, &tm))
        strftime(date, sizeof date, "%a %b %d %H:%M:%S %Z %Y", &tm);
    if ((hd->comment && fprintf(f, "#%s\n", hd->comment) < 0) ||
        fprintf(f, "#[Histogram log format version 1.3]\n") < 0 ||
        fprintf(f, "#[StartTime: %.3f (seconds since epoch), %s]\n", hd->start_time_s, date) < 0 ||
        fprintf(f, "#[BaseTime: %.3f (seconds since epoch)]\n", hd->base_time_s) < 0 ||
        fprintf(f, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
                   "\"Interval_Compressed_Histogram\"\n") < 0)
        return EIO;
    return ferror(f) ? EIO : 0;
}

int qtp_hlog_write_interval(FILE *f, const char *tag, double start_s, double length_s,
                            const struct qtp_hist *h)
{
    if (tag && (!tag[0] || strpbrk(tag, ", \r\n")))
        return EINVAL;
    if (!isfinite(start_s) || !isfinite(length_s) || length_s < 0)
        return EINVAL;
    unsigned char *enc;
    size_t len;
    int rc = qtp_hlog_encode(h, &enc, &len);
    if (rc)
        return rc;
    size_t b64_len = (len + 2) / 3 * 4 + 1;
    char *b64 = malloc(b64_len);
    if (!b64) {
        free(enc);
        return ENOMEM;
    }
    int n = b64_ntop(enc, len, b64, b64_len);
    free(enc);
    if (n < 0) {
        free(b64);
        return EIO;
    }
    double max = (double)qtp_hist_max(h) / QTP_HLOG_MAX_RATIO;
    int w = tag ? fprintf(f, "Tag=%s,%.3f,%.3f,%.3f,%s\n", tag, start_s, length_s, max, b64)
                : fprintf(f, "%.3f,%.3f,%.3f,%s\n", start_s, length_s, max, b64);
    free(b64);
    return w < 0 || ferror(f) ? EIO : 0;
}
