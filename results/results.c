/* results.c - the results directory (qtp_results.h). */
#include "qtp_results.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qtp_stats.h"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= len) ? ENAMETOOLONG : 0;
}

/* ---- directories and atomic files ---- */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int rc = fsync(fd) ? errno : 0;
    close(fd);
    /* Some file systems refuse fsync on directories; the data itself is synced already. */
    return rc == EINVAL ? 0 : rc;
}

static int mkdir_parents(const char *dir)
{
    char path[PATH_MAX];
    if (strlen(dir) >= sizeof path)
        return ENAMETOOLONG;
    strcpy(path, dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    return 0;
}

int qtp_results_create(const char *dir)
{
    if (!dir || !*dir)
        return EINVAL;
    char path[PATH_MAX];
    int rc = mkdir_parents(dir);
    if (rc)
        return rc;
    /* mkdir itself is the existence check: no window between test and creation. */
    if (mkdir(dir, 0777) != 0)
        return errno;
    if ((rc = join(path, sizeof path, dir, QTP_RESULTS_HISTDIR)) || mkdir(path, 0777) != 0) {
        rc = rc ? rc : errno;
        rmdir(dir);
        return rc;
    }
    return 0;
}

int qtp_results_write_atomic(const char *path, int (*write_fn)(FILE *out, void *arg), void *arg)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return ENAMETOOLONG;
    FILE *f = fopen(tmp, "we");
    if (!f)
        return errno;
    int rc = write_fn(f, arg);
    if (!rc && fflush(f) != 0)
        rc = errno ? errno : EIO;
    if (!rc && fsync(fileno(f)) != 0)
        rc = errno;
    if (fclose(f) != 0 && !rc)
        rc = errno ? errno : EIO;
    if (!rc && rename(tmp, path) != 0)
        rc = errno;
    if (rc) {
        unlink(tmp);
        return rc;
    }
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    return fsync_dir(dir);
}

/* ---- meta.json ---- */

static int write_json(FILE *out, void *arg)
{
    if (json_dumpf((const json_t *)arg, out, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0)
        return EIO;
    return fputc('\n', out) == EOF ? EIO : 0;
}

int qtp_results_write_meta(const char *dir, const json_t *meta)
{
    char path[PATH_MAX];
    if (!json_is_object(meta))
        return EINVAL;
    int rc = join(path, sizeof path, dir, QTP_RESULTS_META);
    return rc ? rc : qtp_results_write_atomic(path, write_json, (void *)meta);
}

int qtp_results_read_meta(const char *dir, json_t **out, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int rc = join(path, sizeof path, dir, QTP_RESULTS_META);
    if (rc)
        return rc;
    *out = NULL;
    if (access(path, R_OK) != 0) {
        rc = errno;
        set_err(err, errlen, "%s: %s", path, strerror(rc));
        return rc;
    }
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        set_err(err, errlen, "meta.json line %d column %d: %s", je.line, je.column, je.text);
        return EINVAL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        set_err(err, errlen, "meta.json: not a JSON object");
        return EINVAL;
    }
    *out = j;
    return 0;
}

/* ---- names and cell ids ---- */

static const char *const status_names[] = {
    [QTP_STATUS_OK] = "ok", [QTP_STATUS_FAILED] = "failed", [QTP_STATUS_SKIPPED] = "skipped"};

const char *qtp_status_name(enum qtp_status s)
{
    return (unsigned)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "?";
}

int qtp_status_parse(const char *name, enum qtp_status *out)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
        if (strcmp(name, status_names[i]) == 0) {
            *out = (enum qtp_status)i;
            return 0;
        }
    }
    return EINVAL;
}

struct sbuf {
    char *p;
    size_t len, used;
    int overflow;
};

static void sb_putc(struct sbuf *b, char c)
{
    if (b->used + 1 < b->len)
        b->p[b->used++] = c;
    else
        b->overflow = 1;
    if (b->len)
        b->p[b->used < b->len ? b->used : b->len - 1] = 0;
}

static void sb_puts(struct sbuf *b, const char *s)
{
    while (*s)
        sb_putc(b, *s++);
}

static void sb_name(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!*s)
        sb_puts(b, "~");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')
            sb_putc(b, (char)c);
        else if (c == ':')
            sb_putc(b, '_');
        else if (c == ',')
            sb_putc(b, '+');
        else {
            sb_putc(b, '~');
            sb_putc(b, hex[c >> 4]);
            sb_putc(b, hex[c & 15]);
        }
    }
}

static void sb_count(struct sbuf *b, uint64_t v)
{
    static const char suffix[] = "KMG";
    char tmp[32];
    int s = -1;
    while (v != 0 && v % 1000 == 0 && s < 2) {
        v /= 1000;
        s++;
    }
    snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    sb_puts(b, tmp);
    if (s >= 0)
        sb_putc(b, suffix[s]);
}

int qtp_cell_id(char *buf, size_t len, const char *topology, const char *queue, const char *wait,
                const char *placement, const char *memory, const struct qtp_cell_params *p)
{
    struct sbuf b = {buf, len, 0, 0};
    if (len)
        buf[0] = 0;
    const char *names[] = {topology, queue, wait, placement, memory};
    for (size_t i = 0; i < 5; i++) {
        if (i)
            sb_putc(&b, '.');
        sb_name(&b, names[i] ? names[i] : "");
    }
    sb_puts(&b, ".n");
    sb_count(&b, p->events);
    sb_puts(&b, ".r");
    sb_count(&b, p->ring_size);
    sb_puts(&b, ".b");
    sb_count(&b, p->batch);
    sb_puts(&b, ".p");
    sb_count(&b, p->payload);
    sb_puts(&b, ".w");
    sb_count(&b, p->work_ns);
    if (p->fanout) {
        sb_puts(&b, ".f");
        sb_count(&b, p->fanout);
    }
    if (p->shards) {
        sb_puts(&b, ".s");
        sb_count(&b, p->shards);
    }
    if (p->stages) {
        sb_puts(&b, ".l");
        sb_count(&b, p->stages);
    }
    if (p->rate != 0) {
        sb_puts(&b, ".rate");
        if (p->rate > 0 && p->rate < 9e15 && p->rate == floor(p->rate)) {
            sb_count(&b, (uint64_t)p->rate);
        } else {
            /* Fractional rates: %.9g with '.' as 'p' ("12p5"), kept distinct and filename-safe. */
            char tmp[48];
            snprintf(tmp, sizeof tmp, "%.9g", p->rate);
            for (char *c = tmp; *c; c++)
                sb_putc(&b, *c == '.' ? 'p' : (*c == '+' ? 'P' : *c));
        }
    }
    return b.overflow ? ENAMETOOLONG : 0;
}

/* ---- one row <-> JSON ---- */

static json_t *jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *ju64(uint64_t v)
{
    /* jansson integers are signed 64-bit; counts never get near that, but stay exact-or-close. */
    return v <= (uint64_t)INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

static json_t *jstr(const char *s, size_t cap)
{
    /* Fixed buffers are always terminated by the runner; strnlen guards against one that is not. */
    return json_stringn(s, strnlen(s, cap));
}

json_t *qtp_rep_to_json(const struct qtp_rep_record *r)
{
    const struct qtp_cell_params *p = &r->params;
    const struct qtp_latency *l = &r->latency_ns;
    json_t *threads = json_array(), *bufnodes = json_array();
    if (!threads || !bufnodes)
        goto fail;
    for (size_t i = 0; i < r->nthreads && i < QTP_MAX_THREADS; i++) {
        const struct qtp_thread_record *t = &r->threads[i];
        json_t *seen = json_array();
        if (!seen)
            goto fail;
        for (size_t k = 0; k < t->ncpus_seen && k < QTP_MAX_CPUS_SEEN; k++)
            json_array_append_new(seen, json_integer(t->cpus_seen[k]));
        if (json_array_append_new(threads, json_pack("{s:o,s:i,s:o,s:i}", "role",
                                                     jstr(t->role, sizeof t->role), "cpu_wanted",
                                                     t->cpu_wanted, "cpus_seen", seen, "node",
                                                     t->node)) != 0)
            goto fail;
    }
    for (size_t i = 0; i < r->nbuffer_nodes && i < QTP_MAX_NODES; i++)
        if (json_array_append_new(bufnodes, json_integer(r->buffer_nodes[i])) != 0)
            goto fail;

    json_t *params =
        json_pack("{s:o,s:o,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:o}", "events", ju64(p->events), "warmup",
                  ju64(p->warmup), "ring_size", (json_int_t)p->ring_size, "batch",
                  (json_int_t)p->batch, "payload", (json_int_t)p->payload, "work_ns",
                  ju64(p->work_ns), "fanout", (json_int_t)p->fanout, "shards",
                  (json_int_t)p->shards, "stages", (json_int_t)p->stages, "rate", jreal(p->rate));
    json_t *lat = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "count", ju64(l->count),
                            "mean", jreal(l->mean), "p50", ju64(l->p50), "p90", ju64(l->p90), "p99",
                            ju64(l->p99), "p999", ju64(l->p999), "p9999", ju64(l->p9999), "max",
                            ju64(l->max), "clamped", ju64(l->clamped));
    json_t *alloc =
        json_pack("{s:o,s:o,s:o,s:o,s:o}", "calls", ju64(r->alloc.calls), "bytes",
                  ju64(r->alloc.bytes), "frees", ju64(r->alloc.frees), "per_event",
                  jreal(r->alloc.per_event), "bytes_per_event", jreal(r->alloc.bytes_per_event));
    json_t *cpu = json_pack("{s:o,s:o,s:o,s:o}", "user_s", jreal(r->cpu.user_s), "sys_s",
                            jreal(r->cpu.sys_s), "voluntary_cs", ju64(r->cpu.voluntary_cs),
                            "involuntary_cs", ju64(r->cpu.involuntary_cs));
    json_t *hist = r->hist_file[0] ? jstr(r->hist_file, sizeof r->hist_file) : json_null();
    /* json_pack steals the o references even when it fails, so nothing leaks on ENOMEM. */
    json_t *row = json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:s,s:o,s:b,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
        "cell", jstr(r->cell, sizeof r->cell), "topology", jstr(r->topology, sizeof r->topology),
        "queue", jstr(r->queue, sizeof r->queue), "wait", jstr(r->wait, sizeof r->wait),
        "placement", jstr(r->placement, sizeof r->placement), "memory",
        jstr(r->memory, sizeof r->memory), "params", params, "rep", r->rep, "status",
        qtp_status_name(r->status), "reason", jstr(r->reason, sizeof r->reason), "verified",
        (int)r->verified, "oversubscribed", (int)r->oversubscribed, "throughput_eps",
        jreal(r->throughput_eps), "elapsed_s", jreal(r->elapsed_s), "latency_ns", lat, "alloc",
        alloc, "cpu", cpu, "rss_peak_kb", ju64(r->rss_peak_kb), "threads", threads, "buffer_nodes",
        bufnodes, "hist", hist);
    return row;
fail:
    json_decref(threads);
    json_decref(bufnodes);
    return NULL;
}

/* Reading: each getter names the field by its dotted path in the error. */
struct jreader {
    char *err;
    size_t errlen;
    const char *prefix; /* "" or "params." etc. */
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

static const json_t *field(struct jreader *rd, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        set_err(rd->err, rd->errlen, "field '%s%s' is missing", rd->prefix, key);
    return v;
}

static int bad(struct jreader *rd, const char *key, const char *want, const json_t *v)
{
    set_err(rd->err, rd->errlen, "field '%s%s' should be %s, not %s", rd->prefix, key, want,
            jtype(v));
    return EINVAL;
}

static int get_str(struct jreader *rd, const json_t *obj, const char *key, char *buf, size_t cap,
                   int null_ok)
{
    const json_t *v = field(rd, obj, key);
    if (!v)
        return EINVAL;
    if (null_ok && json_is_null(v)) {
        buf[0] = 0;
        return 0;
    }
    if (!json_is_string(v))
        return bad(rd, key, "a string", v);
    size_t n = json_string_length(v);
    if (n >= cap) {
        set_err(rd->err, rd->errlen, "field '%s%s' is %zu bytes long (at most %zu)", rd->prefix,
                key, n, cap - 1);
        return EINVAL;
    }
    memcpy(buf, json_string_value(v), n + 1);
    return 0;
}

static int get_u64(struct jreader *rd, const json_t *obj, const char *key, uint64_t max,
                   uint64_t *out)
{
    const json_t *v = field(rd, obj, key);
    if (!v)
        return EINVAL;
    if (json_is_integer(v) && json_integer_value(v) >= 0 &&
        (uint64_t)json_integer_value(v) <= max) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    /* Values past INT64_MAX are written as reals (see ju64). */
    if (json_is_real(v) && json_real_value(v) >= 9.2e18 && json_real_value(v) <= (double)max) {
        *out = (uint64_t)json_real_value(v);
        return 0;
    }
    char want[64];
    snprintf(want, sizeof want, "an integer in 0..%" PRIu64, max);
    return bad(rd, key, want, v);
}

static int get_u32(struct jreader *rd, const json_t *obj, const char *key, uint32_t *out)
{
    uint64_t v;
    int rc = get_u64(rd, obj, key, UINT32_MAX, &v);
    if (!rc)
        *out = (uint32_t)v;
    return rc;
}

static int get_int(struct jreader *rd, const json_t *obj, const char *key, int *out)
{
    const json_t *v = field(rd, obj, key);
    if (!v)
        return EINVAL;
    if (!json_is_integer(v) || json_integer_value(v) < INT_MIN || json_integer_value(v) > INT_MAX)
        return bad(rd, key, "an integer", v);
    *out = (int)json_integer_value(v);
    return 0;
}

static int get_real(struct jreader *rd, const json_t *obj, const char *key, double *out)
{
    const json_t *v = field(rd, obj, key);
    if (!v)
        return EINVAL;
    if (json_is_null(v)) {
        *out = NAN;
        return 0;
    }
    if (!json_is_number(v))
        return bad(rd, key, "a number", v);
    *out = json_number_value(v);
    return 0;
}

static int get_bool(struct jreader *rd, const json_t *obj, const char *key, bool *out)
{
    const json_t *v = field(rd, obj, key);
    if (!v)
        return EINVAL;
    if (!json_is_boolean(v))
        return bad(rd, key, "true or false", v);
    *out = json_is_true(v);
    return 0;
}

static int get_obj(struct jreader *rd, const json_t *obj, const char *key, const json_t **out)
{
    const json_t *v = field(rd, obj, key);
    if (!v)
        return EINVAL;
    if (!json_is_object(v))
        return bad(rd, key, "an object", v);
    *out = v;
    return 0;
}

static int get_int_list(struct jreader *rd, const json_t *arr, const char *key, int *out,
                        size_t cap, size_t *n)
{
    if (!json_is_array(arr))
        return bad(rd, key, "an array", arr);
    *n = 0;
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e)
    {
        if (!json_is_integer(e) || json_integer_value(e) < INT_MIN ||
            json_integer_value(e) > INT_MAX) {
            set_err(rd->err, rd->errlen, "field '%s%s[%zu]' should be an integer, not %s",
                    rd->prefix, key, i, jtype(e));
            return EINVAL;
        }
        if (*n < cap)
            out[(*n)++] = (int)json_integer_value(e);
    }
    return 0;
}

int qtp_rep_from_json(const json_t *j, struct qtp_rep_record *r, char *err, size_t errlen)
{
    struct jreader rd = {err, errlen, ""};
    const json_t *params, *lat, *alloc, *cpu, *v;
    char status[16];
    int rc;
    memset(r, 0, sizeof *r);
    if (!json_is_object(j)) {
        set_err(err, errlen, "a row should be a JSON object, not %s", jtype(j));
        return EINVAL;
    }
#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)) != 0)                                                                       \
            return rc;                                                                             \
    } while (0)
    TRY(get_str(&rd, j, "cell", r->cell, sizeof r->cell, 0));
    TRY(get_str(&rd, j, "topology", r->topology, sizeof r->topology, 0));
    TRY(get_str(&rd, j, "queue", r->queue, sizeof r->queue, 0));
    TRY(get_str(&rd, j, "wait", r->wait, sizeof r->wait, 0));
    TRY(get_str(&rd, j, "placement", r->placement, sizeof r->placement, 0));
    TRY(get_str(&rd, j, "memory", r->memory, sizeof r->memory, 0));
    TRY(get_int(&rd, j, "rep", &r->rep));
    TRY(get_str(&rd, j, "status", status, sizeof status, 0));
    if (qtp_status_parse(status, &r->status) != 0) {
        set_err(err, errlen, "field 'status' is '%s' (accepted: ok, failed, skipped)", status);
        return EINVAL;
    }
    TRY(get_str(&rd, j, "reason", r->reason, sizeof r->reason, 0));
    TRY(get_bool(&rd, j, "verified", &r->verified));
    TRY(get_bool(&rd, j, "oversubscribed", &r->oversubscribed));
    TRY(get_real(&rd, j, "throughput_eps", &r->throughput_eps));
    TRY(get_real(&rd, j, "elapsed_s", &r->elapsed_s));
    TRY(get_u64(&rd, j, "rss_peak_kb", UINT64_MAX, &r->rss_peak_kb));
    TRY(get_str(&rd, j, "hist", r->hist_file, sizeof r->hist_file, 1));

    TRY(get_obj(&rd, j, "params", &params));
    rd.prefix = "params.";
    TRY(get_u64(&rd, params, "events", UINT64_MAX, &r->params.events));
    TRY(get_u64(&rd, params, "warmup", UINT64_MAX, &r->params.warmup));
    TRY(get_u32(&rd, params, "ring_size", &r->params.ring_size));
    TRY(get_u32(&rd, params, "batch", &r->params.batch));
    TRY(get_u32(&rd, params, "payload", &r->params.payload));
    TRY(get_u64(&rd, params, "work_ns", UINT64_MAX, &r->params.work_ns));
    TRY(get_u32(&rd, params, "fanout", &r->params.fanout));
    TRY(get_u32(&rd, params, "shards", &r->params.shards));
    TRY(get_u32(&rd, params, "stages", &r->params.stages));
    TRY(get_real(&rd, params, "rate", &r->params.rate));

    rd.prefix = "";
    TRY(get_obj(&rd, j, "latency_ns", &lat));
    rd.prefix = "latency_ns.";
    TRY(get_u64(&rd, lat, "count", UINT64_MAX, &r->latency_ns.count));
    TRY(get_real(&rd, lat, "mean", &r->latency_ns.mean));
    TRY(get_u64(&rd, lat, "p50", UINT64_MAX, &r->latency_ns.p50));
    TRY(get_u64(&rd, lat, "p90", UINT64_MAX, &r->latency_ns.p90));
    TRY(get_u64(&rd, lat, "p99", UINT64_MAX, &r->latency_ns.p99));
    TRY(get_u64(&rd, lat, "p999", UINT64_MAX, &r->latency_ns.p999));
    TRY(get_u64(&rd, lat, "p9999", UINT64_MAX, &r->latency_ns.p9999));
    TRY(get_u64(&rd, lat, "max", UINT64_MAX, &r->latency_ns.max));
    /* Added after the first results were written: optional on read. */
    if (json_object_get(lat, "clamped"))
        TRY(get_u64(&rd, lat, "clamped", UINT64_MAX, &r->latency_ns.clamped));

    rd.prefix = "";
    TRY(get_obj(&rd, j, "alloc", &alloc));
    rd.prefix = "alloc.";
    TRY(get_u64(&rd, alloc, "calls", UINT64_MAX, &r->alloc.calls));
    TRY(get_u64(&rd, alloc, "bytes", UINT64_MAX, &r->alloc.bytes));
    TRY(get_u64(&rd, alloc, "frees", UINT64_MAX, &r->alloc.frees));
    TRY(get_real(&rd, alloc, "per_event", &r->alloc.per_event));
    TRY(get_real(&rd, alloc, "bytes_per_event", &r->alloc.bytes_per_event));

    rd.prefix = "";
    TRY(get_obj(&rd, j, "cpu", &cpu));
    rd.prefix = "cpu.";
    TRY(get_real(&rd, cpu, "user_s", &r->cpu.user_s));
    TRY(get_real(&rd, cpu, "sys_s", &r->cpu.sys_s));
    TRY(get_u64(&rd, cpu, "voluntary_cs", UINT64_MAX, &r->cpu.voluntary_cs));
    TRY(get_u64(&rd, cpu, "involuntary_cs", UINT64_MAX, &r->cpu.involuntary_cs));

    rd.prefix = "";
    if (!(v = field(&rd, j, "buffer_nodes")))
        return EINVAL;
    TRY(get_int_list(&rd, v, "buffer_nodes", r->buffer_nodes, QTP_MAX_NODES, &r->nbuffer_nodes));
    if (!(v = field(&rd, j, "threads")))
        return EINVAL;
    if (!json_is_array(v))
        return bad(&rd, "threads", "an array", v);
    size_t i;
    const json_t *t;
    json_array_foreach(v, i, t)
    {
        if (i >= QTP_MAX_THREADS)
            break;
        char prefix[32];
        snprintf(prefix, sizeof prefix, "threads[%zu].", i);
        struct qtp_thread_record *tr = &r->threads[i];
        if (!json_is_object(t)) {
            set_err(err, errlen, "field 'threads[%zu]' should be an object, not %s", i, jtype(t));
            return EINVAL;
        }
        rd.prefix = prefix;
        TRY(get_str(&rd, t, "role", tr->role, sizeof tr->role, 0));
        TRY(get_int(&rd, t, "cpu_wanted", &tr->cpu_wanted));
        TRY(get_int(&rd, t, "node", &tr->node));
        const json_t *seen = field(&rd, t, "cpus_seen");
        if (!seen)
            return EINVAL;
        TRY(get_int_list(&rd, seen, "cpus_seen", tr->cpus_seen, QTP_MAX_CPUS_SEEN,
                         &tr->ncpus_seen));
        r->nthreads = i + 1;
    }
#undef TRY
    return 0;
}

/* ---- results.jsonl ---- */

/* Cut an unterminated tail (a write cut short by a crash) so appends stay line-aligned. */
static int cut_partial_tail(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return errno;
    off_t end = st.st_size;
    char buf[4096];
    while (end > 0) {
        size_t chunk = end > (off_t)sizeof buf ? sizeof buf : (size_t)end;
        ssize_t got = pread(fd, buf, chunk, end - (off_t)chunk);
        if (got != (ssize_t)chunk)
            return got < 0 ? errno : EIO;
        for (size_t k = chunk; k-- > 0;) {
            if (buf[k] == '\n') {
                off_t keep = end - (off_t)chunk + (off_t)k + 1;
                if (keep == st.st_size)
                    return 0;
                return ftruncate(fd, keep) ? errno : 0;
            }
        }
        end -= (off_t)chunk;
    }
    return st.st_size ? (ftruncate(fd, 0) ? errno : 0) : 0;
}

int qtp_results_append(const char *dir, const struct qtp_rep_record *rows, size_t n)
{
    char path[PATH_MAX];
    int rc = join(path, sizeof path, dir, QTP_RESULTS_ROWS);
    if (rc)
        return rc;
    /* The whole cell goes out in one buffer and one write. */
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *j = qtp_rep_to_json(&rows[i]);
        char *line = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(j);
        if (!line) {
            free(buf);
            return ENOMEM;
        }
        size_t ll = strlen(line);
        if (len + ll + 1 > cap) {
            size_t ncap = (len + ll + 1) * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(line);
                free(buf);
                return ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + len, line, ll);
        buf[len + ll] = '\n';
        len += ll + 1;
        free(line);
    }
    int created = access(path, F_OK) != 0;
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) {
        rc = errno;
        free(buf);
        return rc;
    }
    rc = cut_partial_tail(fd);
    for (size_t off = 0; !rc && off < len;) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = w < 0 ? errno : EIO;
        else
            off += (size_t)w;
    }
    if (!rc && fsync(fd) != 0)
        rc = errno;
    if (close(fd) != 0 && !rc)
        rc = errno;
    free(buf);
    if (!rc && created)
        rc = fsync_dir(dir);
    return rc;
}

void qtp_rows_free(struct qtp_rows *rows)
{
    free(rows->v);
    rows->v = NULL;
    rows->n = rows->cap = 0;
}

int qtp_rows_push(struct qtp_rows *rows, const struct qtp_rep_record *r)
{
    if (rows->n == rows->cap) {
        size_t ncap = rows->cap ? rows->cap * 2 : 16;
        struct qtp_rep_record *nv = realloc(rows->v, ncap * sizeof *nv);
        if (!nv)
            return ENOMEM;
        rows->v = nv;
        rows->cap = ncap;
    }
    rows->v[rows->n++] = *r;
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

int qtp_results_load_file(const char *path, struct qtp_rows *out,
                          struct qtp_results_load_info *info, char *err, size_t errlen)
{
    struct qtp_results_load_info dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE *f = fopen(path, "re");
    if (!f) {
        int rc = errno;
        set_err(err, errlen, "%s: %s", path, strerror(rc));
        return rc;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    size_t lineno = 0;
    int rc = 0;
    struct qtp_rep_record *rec = malloc(sizeof *rec);
    if (!rec) {
        fclose(f);
        return ENOMEM;
    }
    while ((got = getline(&line, &cap, f)) > 0) {
        lineno++;
        size_t n = (size_t)got;
        if (line[n - 1] != '\n') {
            /* Only the last line can lack its newline: a write cut short. Drop it, say so. */
            info->truncated_line = lineno;
            break;
        }
        info->lines = lineno;
        if (blank(line, n - 1))
            continue;
        json_error_t je;
        json_t *j = json_loadb(line, n - 1, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            set_err(err, errlen, "%s line %zu: column %d: %s", name, lineno, je.column, je.text);
            rc = EINVAL;
            break;
        }
        char why[512];
        rc = qtp_rep_from_json(j, rec, why, sizeof why);
        json_decref(j);
        if (rc) {
            set_err(err, errlen, "%s line %zu: %s", name, lineno, why);
            break;
        }
        if ((rc = qtp_rows_push(out, rec)) != 0)
            break;
    }
    if (!rc && ferror(f)) {
        rc = EIO;
        set_err(err, errlen, "%s: read error", path);
    }
    free(rec);
    free(line);
    fclose(f);
    return rc;
}

int qtp_results_load(const char *dir, struct qtp_rows *out, struct qtp_results_load_info *info,
                     char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int rc = errno ? errno : ENOTDIR;
        if (stat(dir, &st) == 0)
            rc = ENOTDIR;
        set_err(err, errlen, "%s: %s", dir, rc == ENOENT ? "no such directory" : strerror(rc));
        return rc;
    }
    int rc = join(path, sizeof path, dir, QTP_RESULTS_ROWS);
    if (rc)
        return rc;
    rc = qtp_results_load_file(path, out, info, err, errlen);
    if (rc == ENOENT)
        set_err(err, errlen, "%s: no %s (not a results directory?)", dir, QTP_RESULTS_ROWS);
    return rc;
}

/* ---- summary.csv ---- */

struct summary_arg {
    const struct qtp_rep_record *rows;
    size_t n;
};

static void put_num(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, ",%.10g", v);
    else
        fputc(',', out);
}

/* Text as one unquoted CSV field (gnuplot does not honour quotes around separators). */
static void put_text(FILE *out, const char *s, int lead_comma)
{
    if (lead_comma)
        fputc(',', out);
    for (; *s; s++) {
        char c = *s;
        if (c == ',')
            c = ';';
        else if (c == '"')
            c = '\'';
        else if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        fputc(c, out);
    }
}

static int write_summary(FILE *out, void *varg)
{
    const struct summary_arg *a = varg;
    const struct qtp_rep_record *rows = a->rows;
    size_t n = a->n;
    fputs("cell,topology,queue,wait,placement,memory,events,warmup,ring_size,batch,payload,"
          "work_ns,fanout,shards,stages,rate,status,reps,reps_ok,throughput_median,"
          "throughput_min,throughput_max,p50_median,p90_median,p99_median,p99_min,p99_max,"
          "p999_median,p9999_median,max_median,alloc_per_event,bytes_per_event,verified,"
          "oversubscribed,reason\n",
          out);
    char *done = calloc(n ? n : 1, 1);
    double *tp = malloc((n ? n : 1) * sizeof(double) * 10);
    if (!done || !tp) {
        free(done);
        free(tp);
        return ENOMEM;
    }
    enum { TP, P50, P90, P99, P999, P9999, MAX, ALLOC, BYTES, NCOL };
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        const struct qtp_rep_record *first = &rows[i];
        double *col[NCOL];
        for (int c = 0; c < NCOL; c++)
            col[c] = tp + (size_t)c * n;
        size_t reps = 0, ok = 0, failed = 0, skipped = 0;
        bool verified = true, over = false;
        const char *reason = "";
        for (size_t k = i; k < n; k++) {
            const struct qtp_rep_record *r = &rows[k];
            if (done[k] || strcmp(r->cell, first->cell) != 0)
                continue;
            done[k] = 1;
            reps++;
            over = over || r->oversubscribed;
            if (r->status == QTP_STATUS_FAILED) {
                if (!failed)
                    reason = r->reason;
                failed++;
            } else if (r->status == QTP_STATUS_SKIPPED) {
                if (!*reason && !failed)
                    reason = r->reason;
                skipped++;
            } else {
                verified = verified && r->verified;
                col[TP][ok] = r->throughput_eps;
                const struct qtp_latency *l = &r->latency_ns;
                bool has_lat = l->count > 0;
                col[P50][ok] = has_lat ? (double)l->p50 : NAN;
                col[P90][ok] = has_lat ? (double)l->p90 : NAN;
                col[P99][ok] = has_lat ? (double)l->p99 : NAN;
                col[P999][ok] = has_lat ? (double)l->p999 : NAN;
                col[P9999][ok] = has_lat ? (double)l->p9999 : NAN;
                col[MAX][ok] = has_lat ? (double)l->max : NAN;
                col[ALLOC][ok] = r->alloc.per_event;
                col[BYTES][ok] = r->alloc.bytes_per_event;
                ok++;
            }
        }
        const char *status = failed ? "failed" : (ok ? "ok" : "skipped");
        const struct qtp_cell_params *p = &first->params;
        put_text(out, first->cell, 0);
        put_text(out, first->topology, 1);
        put_text(out, first->queue, 1);
        put_text(out, first->wait, 1);
        put_text(out, first->placement, 1);
        put_text(out, first->memory, 1);
        fprintf(out,
                ",%" PRIu64 ",%" PRIu64 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%" PRIu32
                ",%" PRIu32 ",%" PRIu32,
                p->events, p->warmup, p->ring_size, p->batch, p->payload, p->work_ns, p->fanout,
                p->shards, p->stages);
        put_num(out, p->rate);
        fprintf(out, ",%s,%zu,%zu", status, reps, ok);
        put_num(out, qtp_stats_median(col[TP], ok));
        put_num(out, qtp_stats_min(col[TP], ok));
        put_num(out, qtp_stats_max(col[TP], ok));
        put_num(out, qtp_stats_median(col[P50], ok));
        put_num(out, qtp_stats_median(col[P90], ok));
        put_num(out, qtp_stats_median(col[P99], ok));
        put_num(out, qtp_stats_min(col[P99], ok));
        put_num(out, qtp_stats_max(col[P99], ok));
        put_num(out, qtp_stats_median(col[P999], ok));
        put_num(out, qtp_stats_median(col[P9999], ok));
        put_num(out, qtp_stats_median(col[MAX], ok));
        put_num(out, qtp_stats_median(col[ALLOC], ok));
        put_num(out, qtp_stats_median(col[BYTES], ok));
        fprintf(out, ",%d,%d", ok && verified, over);
        put_text(out, reason, 1);
        fputc('\n', out);
    }
    free(done);
    free(tp);
    return ferror(out) ? EIO : 0;
}

int qtp_results_write_summary(const char *dir, const struct qtp_rep_record *rows, size_t n)
{
    char path[PATH_MAX];
    int rc = join(path, sizeof path, dir, QTP_RESULTS_SUMMARY);
    struct summary_arg a = {rows, n};
    return rc ? rc : qtp_results_write_atomic(path, write_summary, &a);
}

int qtp_results_update_summary(const char *dir, char *err, size_t errlen)
{
    struct qtp_rows rows = {0};
    int rc = qtp_results_load(dir, &rows, NULL, err, errlen);
    if (rc == ENOENT && access(dir, F_OK) == 0)
        rc = 0; /* no rows yet: an empty summary */
    if (!rc) {
        rc = qtp_results_write_summary(dir, rows.v, rows.n);
        if (rc)
            set_err(err, errlen, "%s/%s: %s", dir, QTP_RESULTS_SUMMARY, strerror(rc));
    }
    qtp_rows_free(&rows);
    return rc;
}

/* ---- hist/<cell>.hgrm ---- */

static int write_hgrm(FILE *out, void *arg)
{
    return qtp_hist_write_hgrm((const struct qtp_hist *)arg, out, 5, 1000.0);
}

int qtp_results_write_hgrm(const char *dir, const char *cell, const struct qtp_hist *h, char *rel,
                           size_t rellen)
{
    char name[PATH_MAX], path[PATH_MAX];
    if (!cell || !*cell || strchr(cell, '/'))
        return EINVAL;
    int n = snprintf(name, sizeof name, "%s/%s.hgrm", QTP_RESULTS_HISTDIR, cell);
    if (n < 0 || (size_t)n >= sizeof name)
        return ENAMETOOLONG;
    int rc = join(path, sizeof path, dir, name);
    if (rc)
        return rc;
    if (rel) {
        if ((size_t)n >= rellen)
            return ENAMETOOLONG;
        memcpy(rel, name, (size_t)n + 1);
    }
    return qtp_results_write_atomic(path, write_hgrm, (void *)h);
}
