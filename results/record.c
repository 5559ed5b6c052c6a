/* record.c - the schema of a row (qtp_record.h): its tables, the cell id and the labels. */
#include "qtp_record.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qtp_text.h"

/* ---- the tables ---- */

#define PARAM_DEF(n, ct, t, id, label, unit, shape, flags)                                         \
    {#n, t, offsetof(struct qtp_cell_params, n), id, label, unit, shape, flags},
const struct qtp_param_def qtp_params[QTP_NPARAMS] = {QTP_CELL_PARAMS(PARAM_DEF)};

#define FIELD_OF(type_, n, t, f) {.name = #n, .type = t, .offset = offsetof(type_, n), .flags = f},
/* A late parameter is optional on read: rows from before it existed did not use it. */
#define PARAM_FIELD(n, ct, t, id, label, unit, shape, flags)                                       \
    FIELD_OF(struct qtp_cell_params, n, t, (flags)&QTP_PARAM_LATE ? QTP_FIELD_OPTIONAL : 0)
#define LATENCY_FIELD(n, ct, t, f) FIELD_OF(struct qtp_latency, n, t, f)
#define ALLOC_FIELD(n, ct, t, f) FIELD_OF(struct qtp_alloc_stats, n, t, f)
#define CPU_FIELD(n, ct, t, f) FIELD_OF(struct qtp_cpu_stats, n, t, f)
#define BATCHING_FIELD(n, ct, t, f) FIELD_OF(struct qtp_stage_batching_record, n, t, f)
#define SHUTDOWN_FIELD(n, ct, t, f) FIELD_OF(struct qtp_shutdown, n, t, f)

static const struct qtp_field param_fields[] = {QTP_CELL_PARAMS(PARAM_FIELD){NULL}};
static const struct qtp_field latency_fields[] = {QTP_LATENCY_FIELDS(LATENCY_FIELD){NULL}};
static const struct qtp_field alloc_fields[] = {QTP_ALLOC_FIELDS(ALLOC_FIELD){NULL}};
static const struct qtp_field cpu_fields[] = {QTP_CPU_FIELDS(CPU_FIELD){NULL}};
static const struct qtp_field shutdown_fields[] = {QTP_SHUTDOWN_FIELDS(SHUTDOWN_FIELD){NULL}};
#define LOAD_FIELD(n, ct, t, f) FIELD_OF(struct qtp_load_stats, n, t, f)
#define COUNTER_FIELD(n, ct, t, f) FIELD_OF(struct qtp_counter_stat, n, t, f)
#define SERIES_FIELD(n, ct, t, f) FIELD_OF(struct qtp_series_stats, n, t, f)
#define NULL_EMPTY_STR(type_, n, member)                                                           \
    {                                                                                              \
        .name = n, .type = QTP_T_STR, .offset = offsetof(type_, member),                           \
        .size = sizeof(((type_ *)0)->member), .flags = QTP_FIELD_NULL_EMPTY                        \
    }
static const struct qtp_field load_fields[] = {
    QTP_LOAD_FIELDS(LOAD_FIELD) NULL_EMPTY_STR(struct qtp_load_stats, "unknown", unknown), {NULL}};
static const struct qtp_field counter_fields[] = {
    QTP_COUNTER_FIELDS(COUNTER_FIELD)
        NULL_EMPTY_STR(struct qtp_counter_stat, "unavailable", unavailable),
    {NULL}};
#define COUNTER_NAME(n) #n,
const char *const qtp_counter_event_names[QTP_NCOUNTER_EVENTS] = {QTP_COUNTER_EVENTS(COUNTER_NAME)};
#define COUNTER_EVENT_FIELD(n)                                                                     \
    {.name = #n,                                                                                   \
     .type = QTP_T_OBJECT,                                                                         \
     .offset = offsetof(struct qtp_counter_stats, ev[QTP_COUNTER_##n]),                            \
     .fields = counter_fields,                                                                     \
     .flags = QTP_FIELD_OPTIONAL},
static const struct qtp_field counters_fields[] = {
    {.name = "mode",
     .type = QTP_T_STR,
     .offset = offsetof(struct qtp_counter_stats, mode),
     .size = sizeof(((struct qtp_counter_stats *)0)->mode)},
    QTP_COUNTER_EVENTS(COUNTER_EVENT_FIELD){NULL}};
static const struct qtp_field series_fields[] = {
    QTP_SERIES_FIELDS(SERIES_FIELD)
        NULL_EMPTY_STR(struct qtp_series_stats, "bottleneck", bottleneck),
    NULL_EMPTY_STR(struct qtp_series_stats, "file", file),
    {NULL}};

#define STR_FIELD(type_, n, member)                                                                \
    {                                                                                              \
        .name = n, .type = QTP_T_STR, .offset = offsetof(type_, member),                           \
        .size = sizeof(((type_ *)0)->member)                                                       \
    }
#define OBJ_FIELD(type_, n, member, sub)                                                           \
    {                                                                                              \
        .name = n, .type = QTP_T_OBJECT, .offset = offsetof(type_, member), .fields = sub          \
    }
#define ARRAY_FIELD_F(type_, n, member, count, elem, f)                                            \
    {                                                                                              \
        .name = n, .type = QTP_T_ARRAY, .offset = offsetof(type_, member),                         \
        .size = sizeof(((type_ *)0)->member[0]), .fields = elem,                                   \
        .count_offset = offsetof(type_, count),                                                    \
        .max = sizeof(((type_ *)0)->member) / sizeof(((type_ *)0)->member[0]), .flags = f          \
    }
#define ARRAY_FIELD(type_, n, member, count, elem) ARRAY_FIELD_F(type_, n, member, count, elem, 0)

static const struct qtp_field int_elem[] = {{.name = "", .type = QTP_T_INT}};
static const struct qtp_field aux_elem[] = {
    {.name = "", .type = QTP_T_STR, .size = sizeof(((struct qtp_rep_record *)0)->aux_shared[0])}};

#define THREAD struct qtp_thread_record
static const struct qtp_field thread_fields[] = {
    STR_FIELD(THREAD, "role", role),
    {.name = "cpu_wanted", .type = QTP_T_INT, .offset = offsetof(THREAD, cpu_wanted)},
    ARRAY_FIELD(THREAD, "cpus_seen", cpus_seen, ncpus_seen, int_elem),
    {.name = "node", .type = QTP_T_INT, .offset = offsetof(THREAD, node)},
    {NULL},
};
static const struct qtp_field thread_elem[] = {
    {.name = "", .type = QTP_T_OBJECT, .fields = thread_fields}};

#define STAGE_BATCHING struct qtp_stage_batching_record
static const struct qtp_field stage_batching_fields[] = {STR_FIELD(STAGE_BATCHING, "role", role),
                                                         QTP_BATCHING_FIELDS(BATCHING_FIELD){NULL}};
static const struct qtp_field stage_batching_elem[] = {
    {.name = "", .type = QTP_T_OBJECT, .fields = stage_batching_fields}};

#define ROW struct qtp_rep_record
#define ROW_FIELD(n, t)                                                                            \
    {                                                                                              \
        .name = #n, .type = t, .offset = offsetof(ROW, n)                                          \
    }
const struct qtp_field qtp_row_fields[] = {
    STR_FIELD(ROW, "cell", cell),
    STR_FIELD(ROW, "topology", topology),
    {.name = "topology_expr",
     .type = QTP_T_STR,
     .offset = offsetof(ROW, topology_expr),
     .size = sizeof(((ROW *)0)->topology_expr),
     .flags = QTP_FIELD_OPTIONAL},
    STR_FIELD(ROW, "queue", queue),
    STR_FIELD(ROW, "wait", wait),
    STR_FIELD(ROW, "placement", placement),
    STR_FIELD(ROW, "memory", memory),
    OBJ_FIELD(ROW, "params", params, param_fields),
    ROW_FIELD(rep, QTP_T_INT),
    ROW_FIELD(status, QTP_T_STATUS),
    STR_FIELD(ROW, "reason", reason),
    ROW_FIELD(verified, QTP_T_BOOL),
    ROW_FIELD(oversubscribed, QTP_T_BOOL),
    ROW_FIELD(throughput_eps, QTP_T_REAL),
    ROW_FIELD(elapsed_s, QTP_T_REAL),
    OBJ_FIELD(ROW, "latency_ns", latency_ns, latency_fields),
    OBJ_FIELD(ROW, "alloc", alloc, alloc_fields),
    OBJ_FIELD(ROW, "cpu", cpu, cpu_fields),
    {.name = "shutdown_ns",
     .type = QTP_T_OBJECT,
     .offset = offsetof(ROW, shutdown_ns),
     .fields = shutdown_fields,
     .flags = QTP_FIELD_OPTIONAL},
    ROW_FIELD(rss_peak_kb, QTP_T_U64),
    ARRAY_FIELD(ROW, "threads", threads, nthreads, thread_elem),
    ARRAY_FIELD_F(ROW, "stages", stages, nstages, stage_batching_elem, QTP_FIELD_OPTIONAL),
    ARRAY_FIELD_F(ROW, "aux_shared", aux_shared, naux_shared, aux_elem, QTP_FIELD_OPTIONAL),
    ARRAY_FIELD(ROW, "buffer_nodes", buffer_nodes, nbuffer_nodes, int_elem),
    {.name = "hist",
     .type = QTP_T_STR,
     .offset = offsetof(ROW, hist_file),
     .size = sizeof(((ROW *)0)->hist_file),
     .flags = QTP_FIELD_NULL_EMPTY},
    {.name = "opt_out",
     .type = QTP_T_STR,
     .offset = offsetof(ROW, opt_out),
     .size = sizeof(((ROW *)0)->opt_out),
     .flags = QTP_FIELD_NULL_EMPTY | QTP_FIELD_OPTIONAL},
    /* Added with the machine state, counters and the sampler: older rows lack them. */
    {.name = "hlog",
     .type = QTP_T_STR,
     .offset = offsetof(ROW, hlog_file),
     .size = sizeof(((ROW *)0)->hlog_file),
     .flags = QTP_FIELD_NULL_EMPTY | QTP_FIELD_OPTIONAL},
    {.name = "hiccup",
     .type = QTP_T_STR,
     .offset = offsetof(ROW, hiccup_file),
     .size = sizeof(((ROW *)0)->hiccup_file),
     .flags = QTP_FIELD_NULL_EMPTY | QTP_FIELD_OPTIONAL},
    {.name = "load",
     .type = QTP_T_OBJECT,
     .offset = offsetof(ROW, load),
     .fields = load_fields,
     .flags = QTP_FIELD_OPTIONAL},
    {.name = "counters",
     .type = QTP_T_OBJECT,
     .offset = offsetof(ROW, counters),
     .fields = counters_fields,
     .flags = QTP_FIELD_OPTIONAL},
    {.name = "series",
     .type = QTP_T_OBJECT,
     .offset = offsetof(ROW, series),
     .fields = series_fields,
     .flags = QTP_FIELD_OPTIONAL},
    {NULL},
};

const struct qtp_cell_name qtp_cell_names[QTP_NCELL_NAMES] = {
    [QTP_NAME_TOPOLOGY] = {"topology", offsetof(ROW, topology)},
    [QTP_NAME_QUEUE] = {"queue", offsetof(ROW, queue)},
    [QTP_NAME_WAIT] = {"wait", offsetof(ROW, wait)},
    [QTP_NAME_PLACEMENT] = {"placement", offsetof(ROW, placement)},
    [QTP_NAME_MEMORY] = {"memory", offsetof(ROW, memory)},
};

/* ---- parameters ---- */

uint64_t qtp_param_u64(const struct qtp_cell_params *p, const struct qtp_param_def *d)
{
    const char *at = (const char *)p + d->offset;
    if (d->type == QTP_T_U32)
        return *(const uint32_t *)at;
    if (d->type == QTP_T_U64)
        return *(const uint64_t *)at;
    double v = *(const double *)at;
    return v > 0 && v < 1.8e19 ? (uint64_t)v : 0;
}

double qtp_param_real(const struct qtp_cell_params *p, const struct qtp_param_def *d)
{
    if (d->type == QTP_T_REAL)
        return *(const double *)((const char *)p + d->offset);
    return (double)qtp_param_u64(p, d);
}

void qtp_param_set(struct qtp_cell_params *p, const struct qtp_param_def *d, uint64_t v)
{
    char *at = (char *)p + d->offset;
    if (d->type == QTP_T_U32)
        *(uint32_t *)at = (uint32_t)v;
    else if (d->type == QTP_T_U64)
        *(uint64_t *)at = v;
    else
        *(double *)at = (double)v;
}

static bool param_equal(const struct qtp_cell_params *a, const struct qtp_cell_params *b,
                        const struct qtp_param_def *d)
{
    if (d->type == QTP_T_REAL)
        return qtp_param_real(a, d) == qtp_param_real(b, d);
    return qtp_param_u64(a, d) == qtp_param_u64(b, d);
}

static bool param_zero(const struct qtp_cell_params *p, const struct qtp_param_def *d)
{
    return d->type == QTP_T_REAL ? qtp_param_real(p, d) == 0 : qtp_param_u64(p, d) == 0;
}

bool qtp_params_equal(const struct qtp_cell_params *a, const struct qtp_cell_params *b)
{
    for (size_t i = 0; i < QTP_NPARAMS; i++)
        if (!param_equal(a, b, &qtp_params[i]))
            return false;
    return true;
}

/* ---- status ---- */

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

/* ---- text into a fixed buffer ---- */

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

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_puts(b, tmp);
}

/* A count with K/M/G for whole thousands: 20000 -> 20K, 1500000 -> 1500K. */
static void sb_count(struct sbuf *b, uint64_t v)
{
    static const char suffix[] = "KMG";
    int s = -1;
    while (v != 0 && v % 1000 == 0 && s < 2) {
        v /= 1000;
        s++;
    }
    sb_printf(b, "%" PRIu64, v);
    if (s >= 0)
        sb_putc(b, suffix[s]);
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

/* A parameter's value in an id: counts with K/M/G; a fractional rate with '.' as 'p' ("12p5")
 * and '+' as 'P', kept distinct and filename-safe. */
static void sb_id_value(struct sbuf *b, const struct qtp_cell_params *p,
                        const struct qtp_param_def *d)
{
    double v = qtp_param_real(p, d);
    if (d->type != QTP_T_REAL || (v > 0 && v < 9e15 && v == floor(v))) {
        sb_count(b, qtp_param_u64(p, d));
        return;
    }
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.9g", v);
    for (char *c = tmp; *c; c++)
        sb_putc(b, *c == '.' ? 'p' : (*c == '+' ? 'P' : *c));
}

/* A topology expression in an id: its first combinator and a hash of the whole text, so that the
 * id stays short and a file name (an expression may be 2 KiB); 48 bits keep a collision between
 * the expressions of one results directory out of reach. */
static void expr_id(const char *expr, char *buf, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)expr; *c; c++)
        h = (h ^ *c) * 0x100000001b3ull;
    int word = (int)strcspn(expr, "(");
    snprintf(buf, len, "%.*s-%012" PRIx64, word < 12 ? word : 12, expr, h >> 16);
}

int qtp_cell_id(char *buf, size_t len, const char *topology, const char *queue, const char *wait,
                const char *placement, const char *memory, const struct qtp_cell_params *p)
{
    struct sbuf b = {buf, len, 0, 0};
    if (len)
        buf[0] = 0;
    char short_topology[32];
    if (topology && strchr(topology, '(')) {
        expr_id(topology, short_topology, sizeof short_topology);
        topology = short_topology;
    }
    const char *names[QTP_NCELL_NAMES] = {topology, queue, wait, placement, memory};
    for (size_t i = 0; i < QTP_NCELL_NAMES; i++) {
        if (i)
            sb_putc(&b, '.');
        sb_name(&b, names[i] ? names[i] : "");
    }
    for (size_t i = 0; i < QTP_NPARAMS; i++) {
        const struct qtp_param_def *d = &qtp_params[i];
        if (!d->id || (d->flags & QTP_PARAM_ZERO_OFF && param_zero(p, d)))
            continue;
        sb_putc(&b, '.');
        sb_puts(&b, d->id);
        sb_id_value(&b, p, d);
    }
    return b.overflow ? ENAMETOOLONG : 0;
}

int qtp_cell_id_append(char *buf, size_t len, const char *tag, const char *value)
{
    size_t used = strnlen(buf, len);
    struct sbuf b = {buf, len, used, used >= len};
    sb_putc(&b, '.');
    sb_puts(&b, tag);
    sb_name(&b, value);
    return b.overflow ? ENAMETOOLONG : 0;
}

/* ---- labels ---- */

static void sb_sep(struct sbuf *b)
{
    if (b->used)
        sb_putc(b, ' ');
}

void qtp_params_shape_label(const struct qtp_cell_params *p, char *buf, size_t len)
{
    struct sbuf b = {buf, len, 0, 0};
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < QTP_NPARAMS; i++) {
        const struct qtp_param_def *d = &qtp_params[i];
        if (!d->shape_label || param_zero(p, d))
            continue;
        sb_sep(&b);
        sb_printf(&b, d->shape_label, (unsigned)qtp_param_u64(p, d));
    }
}

void qtp_params_text(const struct qtp_cell_params *p, const struct qtp_cell_params *ref, char *buf,
                     size_t len)
{
    qtp_params_shape_label(p, buf, len);
    struct sbuf b = {buf, len, strlen(buf), 0};
    for (size_t i = 0; i < QTP_NPARAMS; i++) {
        const struct qtp_param_def *d = &qtp_params[i];
        if (!d->id || d->shape_label || param_equal(p, ref, d))
            continue;
        sb_sep(&b);
        if (d->type == QTP_T_REAL)
            sb_printf(&b, "%s=%g%s", d->label, qtp_param_real(p, d), d->unit);
        else
            sb_printf(&b, "%s=%" PRIu64 "%s", d->label, qtp_param_u64(p, d), d->unit);
    }
}

void qtp_params_varying(const struct qtp_rep_record *rows, size_t n, bool vary[QTP_NPARAMS])
{
    for (size_t k = 0; k < QTP_NPARAMS; k++) {
        const struct qtp_param_def *d = &qtp_params[k];
        vary[k] = false;
        for (size_t i = 1; i < n && !vary[k]; i++) {
            const struct qtp_cell_params *p = &rows[i].params;
            /* A shape parameter is 0 where it does not apply: that is no variation. */
            vary[k] = !(d->shape_label && param_zero(p, d)) && !param_equal(p, &rows[0].params, d);
        }
    }
}

void qtp_params_short_label(const struct qtp_cell_params *p, const bool vary[QTP_NPARAMS],
                            char *buf, size_t len)
{
    struct sbuf b = {buf, len, 0, 0};
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < QTP_NPARAMS; i++) {
        const struct qtp_param_def *d = &qtp_params[i];
        if (!d->id || !vary[i] || (d->shape_label && param_zero(p, d)))
            continue;
        sb_sep(&b);
        if (d->flags & QTP_PARAM_SHORT_ID) {
            sb_printf(&b, "%s=", d->id);
            sb_count(&b, qtp_param_u64(p, d));
        } else if (d->type == QTP_T_REAL) {
            sb_printf(&b, "%s=%.0f", d->label, qtp_param_real(p, d));
        } else {
            sb_printf(&b, "%s=%" PRIu64, d->label, qtp_param_u64(p, d));
        }
    }
}

void qtp_cell_key(const struct qtp_rep_record *r, const bool skip_name[QTP_NCELL_NAMES],
                  const bool skip_param[QTP_NPARAMS], char *buf, size_t len)
{
    struct sbuf b = {buf, len, 0, 0};
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < QTP_NCELL_NAMES; i++)
        if (!skip_name || !skip_name[i])
            sb_printf(&b, "%s|", (const char *)r + qtp_cell_names[i].offset);
    for (size_t i = 0; i < QTP_NPARAMS; i++) {
        const struct qtp_param_def *d = &qtp_params[i];
        if (!d->id || (skip_param && skip_param[i]))
            continue;
        if (d->type == QTP_T_REAL)
            sb_printf(&b, "%.9g|", qtp_param_real(&r->params, d));
        else
            sb_printf(&b, "%" PRIu64 "|", qtp_param_u64(&r->params, d));
    }
    if (r->opt_out[0]) /* left out when none: the keys of older rows stay what they were */
        sb_printf(&b, "o=%s|", r->opt_out);
}
