/* matrix_json.c - a matrix as JSON: matrix files, and meta.json's "matrix" (qtp_cli.h). The keys
 * are the option table's (cli_int.h), so a file and the flags cannot disagree. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli_int.h"

static bool is_scalar(const struct opt_def *d)
{
    return d->kind == K_U64 || d->kind == K_TEXT || (d->kind == K_PARAM && d->flags & F_SCALAR);
}

/* Line and column (1-based) of "key": in text; 0/0 when not found. jansson keeps no positions
 * for values, so semantic errors point at their key. */
static void locate_key(const char *text, const char *key, int *line, int *col)
{
    size_t klen = strlen(key);
    int l = 1, c = 1;
    bool in_str = false;
    *line = *col = 0;
    for (const char *p = text; *p; p++) {
        if (!in_str && *p == '"' && strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '"') {
            const char *q = p + klen + 2;
            while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                q++;
            if (*q == ':') {
                *line = l;
                *col = c;
                return;
            }
        }
        if (*p == '"' && (p == text || p[-1] != '\\'))
            in_str = !in_str;
        if (*p == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
}

static int apply_json_value(const struct opt_def *d, struct qtp_matrix *m, const char *where,
                            json_t *v, char *err, size_t len)
{
    char num[32];
    if (d->kind == K_FLAG) {
        if (!json_is_boolean(v))
            return CLI_BAD(err, len, "%s: expected true or false", where);
        *(bool *)((char *)m + d->off) = json_is_true(v);
        m->given |= 1ull << d->id;
        return 0;
    }
    if (json_is_string(v))
        return qtp_cli_apply_text(d, m, where, json_string_value(v), false, err, len);
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return CLI_BAD(err, len, "%s: %" JSON_INTEGER_FORMAT " is negative", where,
                           json_integer_value(v));
        qtp_fmt(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return qtp_cli_apply_text(d, m, where, num, false, err, len);
    }
    if (json_is_array(v) && !is_scalar(d)) {
        size_t i;
        json_t *e;
        if (json_array_size(v) == 0)
            return CLI_BAD(err, len, "%s: empty list", where);
        json_array_foreach(v, i, e)
        {
            const char *s;
            if (json_is_string(e)) {
                s = json_string_value(e);
            } else if (json_is_integer(e) && json_integer_value(e) >= 0) {
                qtp_fmt(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(e));
                s = num;
            } else {
                return CLI_BAD(err, len, "%s: element %zu is not a string or a count", where, i);
            }
            int rc = qtp_cli_apply_text(d, m, where, s, i > 0, err, len);
            if (rc)
                return rc;
        }
        return 0;
    }
    return CLI_BAD(err, len, "%s: expected %s", where,
                   is_scalar(d) ? "a count or a string such as \"1M\""
                                : "a string, a count, or an array of them");
}

static int matrix_from_object(struct qtp_matrix *m, json_t *obj, const char *text,
                              const char *origin, char *err, size_t len)
{
    const char *key;
    json_t *v;
    char where[PATH_MAX + 128], keys[512];
    if (!json_is_object(obj))
        return CLI_BAD(err, len,
                       "%s:1:1: a matrix must be a JSON object, or an array of them (keys: %s)",
                       origin, (qtp_cli_matrix_keys(keys, sizeof keys), keys));
    json_object_foreach(obj, key, v)
    {
        int line = 0, col = 0;
        if (text)
            locate_key(text, key, &line, &col);
        qtp_fmt(where, sizeof where, "%s:%d:%d: \"%s\"", origin, line, col, key);
        const struct opt_def *d = qtp_cli_opt_by_key(key);
        if (!d) {
            qtp_cli_matrix_keys(keys, sizeof keys);
            return CLI_BAD(err, len, "%s:%d:%d: unknown key \"%s\" (accepted: %s)", origin, line,
                           col, key, keys);
        }
        int rc = apply_json_value(d, m, where, v, err, len);
        if (rc)
            return rc;
    }
    return 0;
}

static json_t *load_text(const char *text, const char *origin, char *err, size_t len)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        qtp_set_err(err, len, "%s:%d:%d: malformed matrix: %s", origin, je.line, je.column,
                    je.text);
    return j;
}

int qtp_matrix_from_json_text(struct qtp_matrix *m, const char *text, const char *origin, char *err,
                              size_t errlen)
{
    json_t *obj = load_text(text, origin, err, errlen);
    if (!obj)
        return QTP_CLI_BAD;
    int rc = matrix_from_object(m, obj, text, origin, err, errlen);
    json_decref(obj);
    return rc;
}

int qtp_matrix_from_json(struct qtp_matrix *m, json_t *obj, const char *origin, char *err,
                         size_t errlen)
{
    return matrix_from_object(m, obj, NULL, origin, err, errlen);
}

static int parts_from(json_t *j, const char *text, const char *origin, struct qtp_matrix **parts,
                      size_t *nparts, char *err, size_t errlen)
{
    size_t n = json_is_array(j) ? json_array_size(j) : 1;
    if (json_is_array(j) && n == 0)
        return CLI_BAD(err, errlen, "%s:1:1: an empty array of matrices", origin);
    if (n > QTP_MATRIX_MAX_PARTS)
        return CLI_BAD(err, errlen, "%s: an array of %zu matrices (accepted: at most %d)", origin,
                       n, QTP_MATRIX_MAX_PARTS);
    struct qtp_matrix *v = calloc(n, sizeof *v);
    if (!v)
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = matrix_from_object(&v[i], json_is_array(j) ? json_array_get(j, i) : j, text,
                                    origin, err, errlen);
        if (rc) {
            free(v);
            return rc;
        }
    }
    *parts = v;
    *nparts = n;
    return 0;
}

int qtp_matrix_parts_from_json_text(const char *text, const char *origin, struct qtp_matrix **parts,
                                    size_t *nparts, char *err, size_t errlen)
{
    json_t *j = load_text(text, origin, err, errlen);
    if (!j)
        return QTP_CLI_BAD;
    int rc = parts_from(j, text, origin, parts, nparts, err, errlen);
    json_decref(j);
    return rc;
}

int qtp_matrix_parts_from_json(json_t *j, const char *origin, struct qtp_matrix **parts,
                               size_t *nparts, char *err, size_t errlen)
{
    return parts_from(j, NULL, origin, parts, nparts, err, errlen);
}

json_t *qtp_matrix_parts_to_json(const struct qtp_matrix *parts, size_t nparts)
{
    if (nparts == 1)
        return qtp_matrix_to_json(&parts[0]);
    json_t *a = json_array();
    for (size_t i = 0; a && i < nparts; i++)
        if (json_array_append_new(a, qtp_matrix_to_json(&parts[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *option_json(const struct opt_def *d, const struct qtp_matrix *m)
{
    const char *f = (const char *)m + d->off;
    json_t *v = NULL;
    switch (d->kind) {
    case K_NAMES: {
        const struct qtp_strlist *l = &m->names[d->index];
        v = json_array();
        for (unsigned j = 0; v && j < l->n; j++)
            json_array_append_new(v, json_string(l->v[j]));
        break;
    }
    case K_PARAM: {
        const struct qtp_numlist *l = &m->params[d->index];
        if (d->flags & F_SCALAR)
            return json_integer((json_int_t)(l->n ? l->v[0] : 0));
        v = json_array();
        for (unsigned j = 0; v && j < l->n; j++)
            json_array_append_new(v, json_integer((json_int_t)l->v[j]));
        break;
    }
    case K_U64:
        if (d->flags & F_AUTO && *(const uint32_t *)f == UINT32_MAX)
            v = json_string("auto");
        else if (d->size == sizeof(uint32_t))
            v = json_integer(*(const uint32_t *)f);
        else if (d->max > INT64_MAX) /* JSON integers are signed: keep all 64 bits as text */
            v = json_sprintf("%" PRIu64, *(const uint64_t *)f);
        else
            v = json_integer((json_int_t) * (const uint64_t *)f);
        break;
    case K_FLAG:
        v = json_boolean(*(const bool *)f);
        break;
    case K_TEXT:
        v = json_string(f);
        break;
    case K_CHOICE:
        v = json_string((const char *)f);
        break;
    case K_PATH:
        break;
    }
    return v;
}

json_t *qtp_matrix_to_json(const struct qtp_matrix *m)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < O_COUNT; i++) {
        const struct opt_def *d = &qtp_cli_opts[i];
        if (d->kind == K_PATH)
            continue;
        json_t *v = option_json(d, m);
        if (!v || json_object_set_new(o, d->name, v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}
