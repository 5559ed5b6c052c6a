/* row_json.c - a row to JSON and back, by walking the schema (qtp_row_fields in qtp_record.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qtp_results.h"
#include "qtp_text.h"

/* ---- writing ---- */

static json_t *fields_to_json(const struct qtp_field *fields, const char *base);

static json_t *value_to_json(const struct qtp_field *f, const char *at)
{
    switch (f->type) {
    case QTP_T_STR: {
        /* Fixed buffers are always terminated by the runner; strnlen guards one that is not. */
        size_t n = strnlen(at, f->size);
        if (!n && f->flags & QTP_FIELD_NULL_EMPTY)
            return json_null();
        return json_stringn(at, n);
    }
    case QTP_T_U32:
        return json_integer(*(const uint32_t *)at);
    case QTP_T_U64: {
        /* jansson integers are signed 64-bit; counts never get near that, but stay exact-or-close.
         */
        uint64_t v = *(const uint64_t *)at;
        return v <= (uint64_t)INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
    }
    case QTP_T_INT:
        return json_integer(*(const int *)at);
    case QTP_T_REAL: {
        double v = *(const double *)at;
        return isfinite(v) ? json_real(v) : json_null();
    }
    case QTP_T_BOOL:
        return json_boolean(*(const bool *)at);
    case QTP_T_STATUS:
        return json_string(qtp_status_name(*(const enum qtp_status *)at));
    case QTP_T_OBJECT:
        return fields_to_json(f->fields, at);
    case QTP_T_ARRAY:
        break;
    }
    return NULL; /* arrays are written by fields_to_json, which knows their count */
}

static json_t *array_to_json(const struct qtp_field *f, const char *base)
{
    size_t n = *(const size_t *)(base + f->count_offset);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n && i < f->max; i++)
        if (json_array_append_new(a, value_to_json(f->fields, base + f->offset + i * f->size))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *fields_to_json(const struct qtp_field *fields, const char *base)
{
    json_t *o = json_object();
    for (const struct qtp_field *f = fields; o && f->name; f++) {
        json_t *v =
            f->type == QTP_T_ARRAY ? array_to_json(f, base) : value_to_json(f, base + f->offset);
        if (json_object_set_new(o, f->name, v)) { /* steals v, also when it fails */
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *qtp_rep_to_json(const struct qtp_rep_record *r)
{
    return fields_to_json(qtp_row_fields, (const char *)r);
}

/* ---- reading: every error names the field by its path ("params.ring_size", "threads[2].node") */

struct reader {
    char *err;
    size_t errlen;
};

static const char *jtype(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int bad(struct reader *rd, const char *path, const char *want, const json_t *v)
{
    qtp_set_err(rd->err, rd->errlen, "field '%s' should be %s, not %s", path, want, jtype(v));
    return EINVAL;
}

static int read_fields(struct reader *rd, const struct qtp_field *fields, const json_t *obj,
                       char *base, const char *prefix);

static int read_u64(struct reader *rd, const char *path, const json_t *v, uint64_t max,
                    uint64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0 &&
        (uint64_t)json_integer_value(v) <= max) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    /* Values past INT64_MAX are written as reals. */
    if (json_is_real(v) && json_real_value(v) >= 9.2e18 && json_real_value(v) <= (double)max) {
        *out = (uint64_t)json_real_value(v);
        return 0;
    }
    char want[64];
    snprintf(want, sizeof want, "an integer in 0..%" PRIu64, max);
    return bad(rd, path, want, v);
}

static int read_value(struct reader *rd, const struct qtp_field *f, const json_t *v, char *at,
                      const char *path)
{
    uint64_t u;
    int rc;
    switch (f->type) {
    case QTP_T_STR:
    case QTP_T_STATUS: {
        char status[16], *buf = f->type == QTP_T_STR ? at : status;
        size_t cap = f->type == QTP_T_STR ? f->size : sizeof status;
        if (json_is_null(v) && f->flags & QTP_FIELD_NULL_EMPTY) {
            buf[0] = 0;
            return 0;
        }
        if (!json_is_string(v))
            return bad(rd, path, "a string", v);
        size_t n = json_string_length(v);
        if (n >= cap) {
            qtp_set_err(rd->err, rd->errlen, "field '%s' is %zu bytes long (at most %zu)", path, n,
                        cap - 1);
            return EINVAL;
        }
        memcpy(buf, json_string_value(v), n + 1);
        if (f->type == QTP_T_STATUS && qtp_status_parse(status, (enum qtp_status *)at)) {
            qtp_set_err(rd->err, rd->errlen, "field '%s' is '%s' (accepted: ok, failed, skipped)",
                        path, status);
            return EINVAL;
        }
        return 0;
    }
    case QTP_T_U32:
        if (!(rc = read_u64(rd, path, v, UINT32_MAX, &u)))
            *(uint32_t *)at = (uint32_t)u;
        return rc;
    case QTP_T_U64:
        return read_u64(rd, path, v, UINT64_MAX, (uint64_t *)at);
    case QTP_T_INT:
        if (!json_is_integer(v) || json_integer_value(v) < INT_MIN ||
            json_integer_value(v) > INT_MAX)
            return bad(rd, path, "an integer", v);
        *(int *)at = (int)json_integer_value(v);
        return 0;
    case QTP_T_REAL:
        if (json_is_null(v)) {
            *(double *)at = NAN;
            return 0;
        }
        if (!json_is_number(v))
            return bad(rd, path, "a number", v);
        /* One rule for every real a row holds (rates, times, per-event counts): each is a
         * non-negative measure, so a negative or absurd value is damage, never data to chart. */
        double x = json_number_value(v);
        if (!(x >= 0 && x <= QTP_REAL_MAX)) {
            qtp_set_err(rd->err, rd->errlen, "field '%s' is %g (accepted: 0 to %g)", path, x,
                        QTP_REAL_MAX);
            return EINVAL;
        }
        *(double *)at = x;
        return 0;
    case QTP_T_BOOL:
        if (!json_is_boolean(v))
            return bad(rd, path, "true or false", v);
        *(bool *)at = json_is_true(v);
        return 0;
    case QTP_T_OBJECT: {
        if (!json_is_object(v))
            return bad(rd, path, "an object", v);
        char prefix[160];
        qtp_fmt(prefix, sizeof prefix, "%s.", path);
        return read_fields(rd, f->fields, v, at, prefix);
    }
    case QTP_T_ARRAY:
        break;
    }
    return EINVAL;
}

/* An array: lists longer than the field holds are cut to fit (the rest is not read). */
static int read_array(struct reader *rd, const struct qtp_field *f, const json_t *v, char *base,
                      const char *path)
{
    if (!json_is_array(v))
        return bad(rd, path, "an array", v);
    size_t i, *count = (size_t *)(base + f->count_offset);
    const json_t *e;
    *count = 0;
    json_array_foreach(v, i, e)
    {
        if (i >= f->max)
            break;
        char epath[192];
        qtp_fmt(epath, sizeof epath, "%s[%zu]", path, i);
        int rc = read_value(rd, f->fields, e, base + f->offset + i * f->size, epath);
        if (rc)
            return rc;
        *count = i + 1;
    }
    return 0;
}

static int read_fields(struct reader *rd, const struct qtp_field *fields, const json_t *obj,
                       char *base, const char *prefix)
{
    for (const struct qtp_field *f = fields; f->name; f++) {
        char path[192];
        qtp_fmt(path, sizeof path, "%s%s", prefix, f->name);
        const json_t *v = json_object_get(obj, f->name);
        if (!v) {
            if (f->flags & QTP_FIELD_OPTIONAL) {
                if (f->type == QTP_T_REAL)
                    *(double *)(base + f->offset) = NAN;
                for (const struct qtp_field *s = f->type == QTP_T_OBJECT ? f->fields : NULL;
                     s && s->name; s++)
                    if (s->type == QTP_T_REAL)
                        *(double *)(base + f->offset + s->offset) = NAN;
                continue;
            }
            qtp_set_err(rd->err, rd->errlen, "field '%s' is missing", path);
            return EINVAL;
        }
        int rc = f->type == QTP_T_ARRAY ? read_array(rd, f, v, base, path)
                                        : read_value(rd, f, v, base + f->offset, path);
        if (rc)
            return rc;
    }
    return 0;
}

int qtp_rep_from_json(const json_t *j, struct qtp_rep_record *r, char *err, size_t errlen)
{
    struct reader rd = {err, errlen};
    memset(r, 0, sizeof *r);
    if (!json_is_object(j)) {
        qtp_set_err(err, errlen, "a row should be a JSON object, not %s", jtype(j));
        return EINVAL;
    }
    return read_fields(&rd, qtp_row_fields, j, (char *)r, "");
}
