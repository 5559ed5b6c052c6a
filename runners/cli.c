/* cli.c - `qtopo run`'s options, the JSON matrix file, defaults and expansion into cells. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../queues/qtp_wait.h"
#include "../results/qtp_results.h"
#include "../topologies/qtp_deploy.h"
#include "../topologies/qtp_topo.h"
#include "machine.h"
#include "numa_mem.h"
#include "placement.h"

/* The topology builders' defaults (qtp_topo.h), used for parameters a topology does not take. */
#define DEFAULT_FANOUT 3
#define DEFAULT_SHARDS 2
#define DEFAULT_STAGES 3

/* The default matrix. Sized so that `qtopo run` takes about 3 minutes on a 2-core machine and
 * `--quick` under one (see the report of issue 4 for the measured times). */
#define DEFAULT_EVENTS 400000
#define DEFAULT_REPS 5
#define QUICK_EVENTS 20000
#define QUICK_REPS 3
#define DEFAULT_RT_EVENTS 40000 /* round trips (pingpong) in the default matrix */
#define QUICK_RT_EVENTS 4000
#define DEFAULT_RING_SIZE 1024
#define DEFAULT_BATCH 1
#define DEFAULT_TIMEOUT_S 30
#define QTP_XSTR(x) #x
#define QTP_STR(x) QTP_XSTR(x)

enum opt_kind {
    K_TOPOLOGY, /* name lists checked against a registry */
    K_QUEUE,
    K_WAIT,
    K_PLACEMENT,
    K_MEMORY,
    K_LIST, /* list of counts */
    K_U64,  /* one count */
    K_FLAG,
    K_PATH, /* command line only */
};

enum {
    F_POW2 = 1u << 0,    /* powers of two only */
    F_BINARY = 1u << 1,  /* K/M/G are 1024s */
    F_RATE = 1u << 2,    /* may end in "/s" */
    F_PAYLOAD = 1u << 3, /* 0 or min..max */
    F_PLAIN = 1u << 4    /* small numbers: no suffix note in messages */
};

enum opt_id {
    O_TOPOLOGY,
    O_QUEUE,
    O_WAIT,
    O_PLACEMENT,
    O_MEMORY,
    O_EVENTS,
    O_REPS,
    O_WARMUP,
    O_RING_SIZE,
    O_BATCH,
    O_PAYLOAD,
    O_WORK,
    O_FANOUT,
    O_SHARDS,
    O_STAGES,
    O_RATE,
    O_TIMEOUT,
    O_OVERSUBSCRIBE,
    O_QUICK,
    O_NO_LATENCY,
    O_SEED,
    O_MATRIX,
    O_OUT,
    O_RESUME,
    O_HELP,
    O_COUNT
};

struct opt_def {
    enum opt_id id;
    const char *name;  /* long option and JSON key */
    const char *alias; /* JSON key as in results.jsonl's params, or NULL */
    int short_name;    /* 0: none */
    const char *arg;   /* NULL: a flag */
    enum opt_kind kind;
    unsigned flags;
    uint64_t min, max;
    size_t off; /* of the qtp_numlist / scalar in struct qtp_matrix */
    const char *help;
};

#define M_OFF(f) offsetof(struct qtp_matrix, f)

static const struct opt_def opts[] = {
    {O_TOPOLOGY, "topology", NULL, 't', "LIST", K_TOPOLOGY, 0, 0, 0, M_OFF(topology),
     "topologies: unicast, pipeline, fanout, diamond, shard, sequencer, pingpong, or all (default "
     "all; see `qtopo list`)"},
    {O_QUEUE, "queue", NULL, 'q', "LIST", K_QUEUE, 0, 0, 0, M_OFF(queue),
     "queue kinds: ring, mutex-array, mutex-linked, or all (default all)"},
    {O_WAIT, "wait", NULL, 'w', "LIST", K_WAIT, 0, 0, 0, M_OFF(wait),
     "ring wait strategies: spin, yield, block, or all (default all; mutex queues always block)"},
    {O_PLACEMENT, "placement", NULL, 'p', "LIST", K_PLACEMENT, 0, 0, 0, M_OFF(placement),
     "thread placements: os, compact, spread, smt, cross-numa, cpus:LIST (e.g. cpus:0-3,6), or all "
     "(default all: those this machine cannot give become skipped cells, and so do those that "
     "would repeat an earlier placement's PUs)"},
    {O_MEMORY, "memory", NULL, 'm', "LIST", K_MEMORY, 0, 0, 0, M_OFF(memory),
     "where ring/queue storage goes: local, interleave, node:N, or all (default local)"},
    {O_EVENTS, "events", NULL, 'n', "N", K_LIST, 0, 1, 10000000000ULL, M_OFF(events),
     "measured events per rep, per producer for the sequencer (default " QTP_STR(
         DEFAULT_EVENTS) "; --quick " QTP_STR(QUICK_EVENTS) ")"},
    {O_REPS, "reps", NULL, 'r', "N", K_U64, F_PLAIN, 1, 1000, M_OFF(reps),
     "timed runs per cell, each a fresh deployment (default " QTP_STR(
         DEFAULT_REPS) "; --quick " QTP_STR(QUICK_REPS) ")"},
    {O_WARMUP, "warmup", NULL, 0, "N", K_U64, 0, 0, 10000000000ULL, M_OFF(warmup),
     "events before the measured window (default: events/10)"},
    {O_RING_SIZE, "ring-size", "ring_size", 0, "N", K_LIST, F_POW2 | F_BINARY, 2, 1u << 24,
     M_OFF(ring_size),
     "ring slots, or per-edge capacity of the mutex queues (default " QTP_STR(
         DEFAULT_RING_SIZE) ")"},
    {O_BATCH, "batch", NULL, 0, "N", K_LIST, F_BINARY, 1, 65536, M_OFF(batch),
     "producer claim size (ring) or events per push burst, at most --ring-size (default " QTP_STR(
         DEFAULT_BATCH) ")"},
    {O_PAYLOAD, "payload", NULL, 0, "BYTES", K_LIST, F_BINARY | F_PAYLOAD, 8, 4096, M_OFF(payload),
     "payload bytes per event (default 0)"},
    {O_WORK, "work", "work_ns", 0, "NS", K_LIST, 0, 0, 10000000, M_OFF(work_ns),
     "calibrated busy work per event in every stage, in ns (default 0)"},
    {O_FANOUT, "fanout", NULL, 0, "N", K_LIST, F_PLAIN, 1, 16, M_OFF(fanout),
     "branches of the fanout topology (default " QTP_STR(DEFAULT_FANOUT) ")"},
    {O_SHARDS, "shards", NULL, 0, "N", K_LIST, F_POW2 | F_PLAIN, 1, 32, M_OFF(shards),
     "workers of the shard topology (default " QTP_STR(DEFAULT_SHARDS) ")"},
    {O_STAGES, "stages", NULL, 0, "N", K_LIST, F_PLAIN, 1, 32, M_OFF(stages),
     "length of the pipeline topology (default " QTP_STR(DEFAULT_STAGES) ")"},
    {O_RATE, "rate", NULL, 0, "N/s", K_LIST, F_RATE, 0, 1000000000, M_OFF(rate),
     "paced mode: events offered per second; latency is taken from each event's intended send time "
     "(default 0: saturated)"},
    {O_TIMEOUT, "timeout", "timeout_s", 0, "SEC", K_U64, F_PLAIN, 1, 86400, M_OFF(timeout_s),
     "watchdog: a rep with no progress for SEC seconds is stopped and recorded failed with every "
     "sequence and queue depth (default " QTP_STR(DEFAULT_TIMEOUT_S) ")"},
    {O_OVERSUBSCRIBE, "oversubscribe", NULL, 0, NULL, K_FLAG, 0, 0, 0, M_OFF(oversubscribe),
     "run busy-spin cells with more spinning threads than PUs (marked oversubscribed)"},
    {O_QUICK, "quick", NULL, 0, NULL, K_FLAG, 0, 0, 0, M_OFF(quick),
     "smaller default events and reps (the default matrix in under a minute)"},
    {O_NO_LATENCY, "no-latency", "no_latency", 0, NULL, K_FLAG, 0, 0, 0, M_OFF(no_latency),
     "do not read timestamps (measures the cost of latency recording)"},
    {O_SEED, "seed", NULL, 0, "N", K_U64, 0, 0, UINT64_MAX, M_OFF(seed),
     "seed of the input values (default 1)"},
    {O_MATRIX, "matrix", NULL, 0, "FILE", K_PATH, 0, 0, 0, 0,
     "read the matrix from a JSON object with the keys above; flags override it"},
    {O_OUT, "out", NULL, 'o', "DIR", K_PATH, 0, 0, 0, 0,
     "new results directory (default results/runs/<UTC time>-<host>); must not exist"},
    {O_RESUME, "resume", NULL, 0, "DIR", K_PATH, 0, 0, 0, 0,
     "finish an interrupted run in DIR (its matrix is read back from DIR/meta.json)"},
    {O_HELP, "help", NULL, 'h', NULL, K_PATH, 0, 0, 0, 0, "this text"},
};

#define NOPTS (sizeof opts / sizeof opts[0])
_Static_assert(NOPTS == O_COUNT, "one row per option id");
_Static_assert(O_COUNT <= 64, "given is a 64-bit mask");

static int bad(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return QTP_CLI_BAD;
}

/* ---------------------------------------------------------------- numbers */

int qtp_parse_count(const char *s, bool binary, uint64_t *v)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return EINVAL;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno)
        return EINVAL;
    uint64_t mul = 1, k = binary ? 1024 : 1000;
    switch (*end) {
    case 'k':
    case 'K':
        mul = k;
        end++;
        break;
    case 'm':
    case 'M':
        mul = k * k;
        end++;
        break;
    case 'g':
    case 'G':
        mul = k * k * k;
        end++;
        break;
    default:
        break;
    }
    if (*end)
        return EINVAL;
    if (mul > 1 && x > UINT64_MAX / mul)
        return EINVAL;
    *v = x * mul;
    return 0;
}

static const char *range_text(const struct opt_def *d, char *buf, size_t len)
{
    char lo[32], hi[32];
    const char *unit = d->flags & F_PLAIN    ? ""
                       : d->flags & F_BINARY ? "; K/M/G = 1024s"
                                             : "; K/M/G = 1000s";
    qtp_fmt(lo, sizeof lo, "%" PRIu64, d->min);
    if (d->max == UINT64_MAX)
        qtp_fmt(hi, sizeof hi, "2^64-1");
    else
        qtp_fmt(hi, sizeof hi, "%" PRIu64, d->max);
    if (d->flags & F_POW2)
        qtp_fmt(buf, len, "a power of two from %s to %s%s", lo, hi, unit);
    else if (d->flags & F_PAYLOAD)
        qtp_fmt(buf, len, "0, or %s to %s%s", lo, hi, unit);
    else
        qtp_fmt(buf, len, "%s to %s%s", lo, hi, unit);
    return buf;
}

/* One number of option d; where says where it came from ("--events" or "FILE:3:7: \"events\""). */
static int parse_value(const struct opt_def *d, const char *where, const char *s, uint64_t *v,
                       char *err, size_t len)
{
    char buf[64], acc[160];
    size_t n = strlen(s);
    if (d->flags & F_RATE && n > 2 && n < sizeof buf && strcmp(s + n - 2, "/s") == 0) {
        memcpy(buf, s, n - 2);
        buf[n - 2] = 0;
        s = buf;
    }
    if (qtp_parse_count(s, d->flags & F_BINARY, v))
        return bad(err, len, "%s: '%s' is not a count (accepted: %s)", where, s,
                   range_text(d, acc, sizeof acc));
    bool ok = *v >= d->min && *v <= d->max;
    if (d->flags & F_PAYLOAD && *v == 0)
        ok = true;
    if (!ok)
        return bad(err, len, "%s: %s is %s (accepted: %s)", where, s,
                   *v == 0 ? "zero" : (*v < d->min ? "too small" : "too large"),
                   range_text(d, acc, sizeof acc));
    if (d->flags & F_POW2 && (*v & (*v - 1)))
        return bad(err, len, "%s: %s is not a power of two (accepted: %s)", where, s,
                   range_text(d, acc, sizeof acc));
    return 0;
}

/* ---------------------------------------------------------------- names */

static void join_names(char *buf, size_t len, const char *const *names, size_t n)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && at < len; i++)
        at += snprintf(buf + at, len - at, "%s%s", i ? ", " : "", names[i]);
}

/* The names of axis kind k (without "all"), from the registries. */
static size_t axis_names(enum opt_kind k, const char **names, size_t max)
{
    size_t n = 0;
    switch (k) {
    case K_TOPOLOGY:
        for (const struct qtp_topology_def *t = qtp_topologies; t->name && n < max; t++)
            names[n++] = t->name;
        break;
    case K_QUEUE:
        for (const struct qtp_queue_kind *q = qtp_queue_kinds; q->name && n < max; q++)
            names[n++] = q->name;
        break;
    case K_WAIT:
        for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name && n < max; w++)
            names[n++] = w->name;
        break;
    case K_PLACEMENT: /* "all" is every policy but cpus:LIST, which needs its list */
        for (const struct qtp_placement_policy *p = qtp_placement_policies; p->name && n < max; p++)
            if (p->kind != QTP_PLACE_CPUS)
                names[n++] = p->name;
        break;
    case K_MEMORY:
        for (const struct qtp_memory_policy *p = qtp_memory_policies; p->name && n < max; p++)
            if (p->kind != QTP_MEM_NODE)
                names[n++] = p->name;
        break;
    default:
        break;
    }
    return n;
}

static const char *axis_word(enum opt_kind k)
{
    static const char *const w[] = {"topology", "queue kind", "wait strategy", "placement",
                                    "memory policy"};
    return w[k];
}

static const char *accepted_names(enum opt_kind k, char *buf, size_t len)
{
    const char *names[64];
    size_t n = axis_names(k, names, 64);
    join_names(buf, len, names, n);
    size_t at = strlen(buf);
    if (k == K_PLACEMENT)
        qtp_fmt(buf + at, len - at, ", cpus:LIST, all");
    else if (k == K_MEMORY)
        qtp_fmt(buf + at, len - at, ", node:N, all");
    else
        qtp_fmt(buf + at, len - at, ", all");
    return buf;
}

/* 0, or QTP_CLI_BAD with the placement / memory module's own message (which names the accepted
 * values). Without a machine only the syntax is checked; qtp_matrix_check does the rest. */
static int check_name(enum opt_kind k, const char *where, const char *v,
                      const struct qtp_machine *mach, char *err, size_t len)
{
    char msg[QTP_REASON_MAX], acc[512];
    if (k == K_PLACEMENT) {
        static struct qtp_placement_spec spec; /* 4 KiB: not on the stack; one thread parses */
        if (qtp_placement_parse(v, mach, &spec, msg, sizeof msg))
            return bad(err, len, "%s: %s", where, msg);
        return 0;
    }
    if (k == K_MEMORY) {
        struct qtp_memory_spec spec;
        if (qtp_memory_parse(v, mach, &spec, msg, sizeof msg))
            return bad(err, len, "%s: %s", where, msg);
        return 0;
    }
    const char *names[64];
    size_t n = axis_names(k, names, 64);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], v) == 0)
            return 0;
    return bad(err, len, "%s: unknown %s '%s' (accepted: %s)", where, axis_word(k), v,
               accepted_names(k, acc, sizeof acc));
}

static void strlist_add(struct qtp_strlist *l, const char *v)
{
    for (unsigned i = 0; i < l->n; i++)
        if (strcmp(l->v[i], v) == 0)
            return; /* a duplicate would make two cells with one id */
    qtp_fmt(l->v[l->n++], sizeof l->v[0], "%s", v);
}

static void numlist_add(struct qtp_numlist *l, uint64_t v)
{
    for (unsigned i = 0; i < l->n; i++)
        if (l->v[i] == v)
            return;
    l->v[l->n++] = v;
}

/* Add the comma-separated names in s to list l. A cpus:LIST's own commas stay with it: a token
 * of digits and ranges after a cpus: token continues that token. */
static int add_names(const struct opt_def *d, struct qtp_strlist *l, const char *where,
                     const char *s, char *err, size_t len)
{
    char acc[512];
    char tok[QTP_PLACE_MAX];
    const char *p = s;
    if (!*s)
        return bad(err, len, "%s: empty list (accepted: %s)", where,
                   accepted_names(d->kind, acc, sizeof acc));
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof tok)
            return bad(err, len, "%s: bad list '%s' (accepted: comma-separated %s names: %s)",
                       where, s, axis_word(d->kind), accepted_names(d->kind, acc, sizeof acc));
        memcpy(tok, p, n);
        tok[n] = 0;
        p += n;
        if (*p == ',')
            p++;
        if (d->kind == K_PLACEMENT && strncmp(tok, "cpus:", 5) == 0) {
            /* Swallow following "3", "5-7" tokens into this cpus: list. */
            while (*p && (isdigit((unsigned char)*p))) {
                size_t m = strcspn(p, ",");
                size_t have = strlen(tok);
                if (have + 1 + m >= sizeof tok)
                    return bad(err, len, "%s: cpu list too long in '%s'", where, s);
                tok[have] = ',';
                memcpy(tok + have + 1, p, m);
                tok[have + 1 + m] = 0;
                p += m;
                if (*p == ',')
                    p++;
            }
        }
        if (strcmp(tok, "all") == 0) {
            const char *names[64];
            size_t k = axis_names(d->kind, names, 64);
            for (size_t i = 0; i < k; i++) {
                if (l->n == QTP_AXIS_MAX)
                    return bad(err, len, "%s: more than %d values", where, QTP_AXIS_MAX);
                strlist_add(l, names[i]);
            }
            continue;
        }
        int rc = check_name(d->kind, where, tok, NULL, err, len);
        if (rc)
            return rc;
        if (l->n == QTP_AXIS_MAX)
            return bad(err, len, "%s: more than %d values", where, QTP_AXIS_MAX);
        strlist_add(l, tok);
    }
    return 0;
}

static int add_counts(const struct opt_def *d, struct qtp_numlist *l, const char *where,
                      const char *s, char *err, size_t len)
{
    char tok[64];
    const char *p = s;
    if (!*s)
        return bad(err, len, "%s: empty value", where);
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof tok)
            return bad(err, len, "%s: bad list '%s' (accepted: comma-separated counts)", where, s);
        memcpy(tok, p, n);
        tok[n] = 0;
        p += n;
        if (*p == ',')
            p++;
        uint64_t v;
        int rc = parse_value(d, where, tok, &v, err, len);
        if (rc)
            return rc;
        if (l->n == QTP_AXIS_MAX)
            return bad(err, len, "%s: more than %d values", where, QTP_AXIS_MAX);
        numlist_add(l, v);
    }
    return 0;
}

/* Set scalar d from s. */
static int set_scalar(const struct opt_def *d, struct qtp_matrix *m, const char *where,
                      const char *s, char *err, size_t len)
{
    uint64_t v;
    int rc = parse_value(d, where, s, &v, err, len);
    if (rc)
        return rc;
    char *f = (char *)m + d->off;
    if (d->id == O_REPS)
        *(uint32_t *)f = (uint32_t)v;
    else if (d->id == O_TIMEOUT)
        *(uint32_t *)f = (uint32_t)v;
    else
        *(uint64_t *)f = v;
    return 0;
}

/* Apply one textual value of option d (a flag's argument, or a JSON string). A list option
 * given twice replaces, it does not append (flags override the file). */
static int apply_text(const struct opt_def *d, struct qtp_matrix *m, const char *where,
                      const char *s, bool append, char *err, size_t len)
{
    char *f = (char *)m + d->off;
    int rc = 0;
    switch (d->kind) {
    case K_TOPOLOGY:
    case K_QUEUE:
    case K_WAIT:
    case K_PLACEMENT:
    case K_MEMORY:
        if (!append)
            ((struct qtp_strlist *)f)->n = 0;
        rc = add_names(d, (struct qtp_strlist *)f, where, s, err, len);
        break;
    case K_LIST:
        if (!append)
            ((struct qtp_numlist *)f)->n = 0;
        rc = add_counts(d, (struct qtp_numlist *)f, where, s, err, len);
        break;
    case K_U64:
        rc = set_scalar(d, m, where, s, err, len);
        break;
    case K_FLAG:
        *(bool *)f = true;
        break;
    case K_PATH:
        break;
    }
    if (!rc)
        m->given |= 1ull << d->id;
    return rc;
}

/* ---------------------------------------------------------------- JSON matrix */

static const struct opt_def *opt_by_key(const char *key)
{
    for (size_t i = 0; i < NOPTS; i++) {
        if (opts[i].kind == K_PATH)
            continue;
        if (strcmp(opts[i].name, key) == 0 || (opts[i].alias && strcmp(opts[i].alias, key) == 0))
            return &opts[i];
    }
    return NULL;
}

static void matrix_keys(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < NOPTS && at < len; i++)
        if (opts[i].kind != K_PATH)
            at += snprintf(buf + at, len - at, "%s%s", at ? ", " : "", opts[i].name);
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
            return bad(err, len, "%s: expected true or false", where);
        *(bool *)((char *)m + d->off) = json_is_true(v);
        m->given |= 1ull << d->id;
        return 0;
    }
    if (json_is_string(v))
        return apply_text(d, m, where, json_string_value(v), false, err, len);
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return bad(err, len, "%s: %" JSON_INTEGER_FORMAT " is negative", where,
                       json_integer_value(v));
        qtp_fmt(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return apply_text(d, m, where, num, false, err, len);
    }
    if (json_is_array(v) && d->kind != K_U64) {
        size_t i;
        json_t *e;
        if (json_array_size(v) == 0)
            return bad(err, len, "%s: empty list", where);
        json_array_foreach(v, i, e)
        {
            const char *s;
            if (json_is_string(e)) {
                s = json_string_value(e);
            } else if (json_is_integer(e) && json_integer_value(e) >= 0) {
                qtp_fmt(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(e));
                s = num;
            } else {
                return bad(err, len, "%s: element %zu is not a string or a count", where, i);
            }
            int rc = apply_text(d, m, where, s, i > 0, err, len);
            if (rc)
                return rc;
        }
        return 0;
    }
    return bad(err, len, "%s: expected %s", where,
               d->kind == K_U64 ? "a count or a string such as \"1M\""
                                : "a string, a count, or an array of them");
}

static int matrix_from_object(struct qtp_matrix *m, json_t *obj, const char *text,
                              const char *origin, char *err, size_t len)
{
    const char *key;
    json_t *v;
    char where[PATH_MAX + 128], keys[512];
    if (!json_is_object(obj))
        return bad(err, len,
                   "%s:1:1: a matrix must be a JSON object, or an array of them (keys: %s)", origin,
                   (matrix_keys(keys, sizeof keys), keys));
    json_object_foreach(obj, key, v)
    {
        int line = 0, col = 0;
        if (text)
            locate_key(text, key, &line, &col);
        qtp_fmt(where, sizeof where, "%s:%d:%d: \"%s\"", origin, line, col, key);
        const struct opt_def *d = opt_by_key(key);
        if (!d) {
            matrix_keys(keys, sizeof keys);
            return bad(err, len, "%s:%d:%d: unknown key \"%s\" (accepted: %s)", origin, line, col,
                       key, keys);
        }
        int rc = apply_json_value(d, m, where, v, err, len);
        if (rc)
            return rc;
    }
    return 0;
}

int qtp_matrix_from_json_text(struct qtp_matrix *m, const char *text, const char *origin, char *err,
                              size_t errlen)
{
    json_error_t je;
    json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!obj)
        return bad(err, errlen, "%s:%d:%d: malformed matrix: %s", origin, je.line, je.column,
                   je.text);
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
        return bad(err, errlen, "%s:1:1: an empty array of matrices", origin);
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
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return bad(err, errlen, "%s:%d:%d: malformed matrix: %s", origin, je.line, je.column,
                   je.text);
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

json_t *qtp_matrix_to_json(const struct qtp_matrix *m)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_def *d = &opts[i];
        const char *f = (const char *)m + d->off;
        json_t *v = NULL;
        switch (d->kind) {
        case K_TOPOLOGY:
        case K_QUEUE:
        case K_WAIT:
        case K_PLACEMENT:
        case K_MEMORY: {
            const struct qtp_strlist *l = (const struct qtp_strlist *)f;
            v = json_array();
            for (unsigned j = 0; v && j < l->n; j++)
                json_array_append_new(v, json_string(l->v[j]));
            break;
        }
        case K_LIST: {
            const struct qtp_numlist *l = (const struct qtp_numlist *)f;
            v = json_array();
            for (unsigned j = 0; v && j < l->n; j++)
                json_array_append_new(v, json_integer((json_int_t)l->v[j]));
            break;
        }
        case K_U64:
            if (d->id == O_REPS || d->id == O_TIMEOUT)
                v = json_integer(*(const uint32_t *)f);
            else if (d->id == O_SEED) /* JSON integers are signed: keep all 64 bits as text */
                v = json_sprintf("%" PRIu64, *(const uint64_t *)f);
            else
                v = json_integer((json_int_t) * (const uint64_t *)f);
            break;
        case K_FLAG:
            v = json_boolean(*(const bool *)f);
            break;
        case K_PATH:
            continue;
        }
        if (!v || json_object_set_new(o, d->name, v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* ---------------------------------------------------------------- defaults and checks */

static void default_names(struct qtp_strlist *l, enum opt_kind k)
{
    const char *names[64];
    size_t n = axis_names(k, names, 64);
    for (size_t i = 0; i < n && l->n < QTP_AXIS_MAX; i++)
        strlist_add(l, names[i]);
}

void qtp_matrix_defaults(struct qtp_matrix *m)
{
    if (!m->topology.n)
        default_names(&m->topology, K_TOPOLOGY);
    if (!m->queue.n)
        default_names(&m->queue, K_QUEUE);
    if (!m->wait.n)
        default_names(&m->wait, K_WAIT);
    if (!m->placement.n) /* every policy: those this machine cannot give show as skipped */
        default_names(&m->placement, K_PLACEMENT);
    if (!m->memory.n)
        strlist_add(&m->memory, "local");
    if (!m->events.n)
        numlist_add(&m->events, m->quick ? QUICK_EVENTS : DEFAULT_EVENTS);
    if (!m->ring_size.n)
        numlist_add(&m->ring_size, DEFAULT_RING_SIZE);
    if (!m->batch.n)
        numlist_add(&m->batch, DEFAULT_BATCH);
    if (!m->payload.n)
        numlist_add(&m->payload, 0);
    if (!m->work_ns.n)
        numlist_add(&m->work_ns, 0);
    if (!m->fanout.n)
        numlist_add(&m->fanout, DEFAULT_FANOUT);
    if (!m->shards.n)
        numlist_add(&m->shards, DEFAULT_SHARDS);
    if (!m->stages.n)
        numlist_add(&m->stages, DEFAULT_STAGES);
    if (!m->rate.n)
        numlist_add(&m->rate, 0);
    if (!(m->given & (1ull << O_REPS)))
        m->reps = m->quick ? QUICK_REPS : DEFAULT_REPS;
    if (!(m->given & (1ull << O_WARMUP))) {
        uint64_t min = m->events.v[0];
        for (unsigned i = 1; i < m->events.n; i++)
            if (m->events.v[i] < min)
                min = m->events.v[i];
        m->warmup = min / 10;
    }
    if (!(m->given & (1ull << O_TIMEOUT)))
        m->timeout_s = DEFAULT_TIMEOUT_S;
    if (!(m->given & (1ull << O_SEED)))
        m->seed = 1;
}

int qtp_matrix_check(const struct qtp_matrix *m, const struct qtp_machine *mach, char *err,
                     size_t errlen)
{
    for (unsigned i = 0; i < m->batch.n; i++)
        for (unsigned j = 0; j < m->ring_size.n; j++)
            if (m->batch.v[i] > m->ring_size.v[j])
                return bad(err, errlen,
                           "--batch %" PRIu64 " is larger than --ring-size %" PRIu64
                           " (accepted: a batch of 1 to the ring size)",
                           m->batch.v[i], m->ring_size.v[j]);
    if (!mach)
        return 0;
    for (unsigned i = 0; i < m->placement.n; i++) {
        int rc = check_name(K_PLACEMENT, "-p/--placement", m->placement.v[i], mach, err, errlen);
        if (rc)
            return rc;
    }
    for (unsigned i = 0; i < m->memory.n; i++) {
        int rc = check_name(K_MEMORY, "-m/--memory", m->memory.v[i], mach, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- command line */

static void make_longopts(struct option *lo, char *shorts)
{
    size_t s = 0;
    for (size_t i = 0; i < NOPTS; i++) {
        lo[i] = (struct option){opts[i].name, opts[i].arg ? required_argument : no_argument, NULL,
                                1000 + (int)i};
        if (opts[i].short_name) {
            shorts[s++] = (char)opts[i].short_name;
            if (opts[i].arg)
                shorts[s++] = ':';
        }
    }
    lo[NOPTS] = (struct option){0};
    shorts[s] = 0;
}

static const struct opt_def *opt_by_getopt(int c)
{
    if (c >= 1000 && c < 1000 + (int)NOPTS)
        return &opts[c - 1000];
    for (size_t i = 0; i < NOPTS; i++)
        if (opts[i].short_name == c)
            return &opts[i];
    return NULL;
}

static int read_text_file(const char *path, char **text, char *err, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bad(err, len, "--matrix %s: cannot open: %s (accepted: a readable JSON file)", path,
                   strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap)
            break;
        if (cap > (16u << 20)) {
            free(buf);
            fclose(f);
            return bad(err, len, "--matrix %s: larger than 16 MiB (accepted: a JSON object)", path);
        }
        char *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    fclose(f);
    if (!buf)
        return ENOMEM;
    buf[n] = 0;
    if (strlen(buf) != n) {
        free(buf);
        return bad(err, len, "%s:1:1: malformed matrix: contains a NUL byte (accepted: JSON text)",
                   path);
    }
    *text = buf;
    return 0;
}

static bool round_trip(const struct qtp_topology_def *td)
{
    struct qtp_topo_params p = {0};
    struct qtp_topology t;
    if (td->build(&p, &t))
        return false;
    bool rt = t.pingpong;
    qtp_topology_fini(&t);
    return rt;
}

/* The default matrix with no -t and no -n: round-trip topologies (pingpong) go to a second part
 * with fewer events, since each of their events is a full wake-up both ways; in one shared count
 * they would take most of the run. */
static int split_round_trips(struct qtp_run_opts *o)
{
    struct qtp_matrix *m = &o->parts[0];
    if (o->nparts != 1 || m->given & (1ull << O_TOPOLOGY | 1ull << O_EVENTS))
        return 0;
    struct qtp_matrix *two = calloc(2, sizeof *two);
    if (!two)
        return ENOMEM;
    two[0] = two[1] = *m;
    two[0].topology.n = two[1].topology.n = 0;
    for (const struct qtp_topology_def *t = qtp_topologies; t->name; t++)
        strlist_add(round_trip(t) ? &two[1].topology : &two[0].topology, t->name);
    if (!two[0].topology.n || !two[1].topology.n) {
        free(two);
        return 0;
    }
    numlist_add(&two[1].events, two[1].quick ? QUICK_RT_EVENTS : DEFAULT_RT_EVENTS);
    free(o->parts);
    o->parts = two;
    o->nparts = 2;
    return 0;
}

int qtp_cli_parse_run(int argc, char **argv, struct qtp_run_opts *o, const struct qtp_machine *mach,
                      char *err, size_t errlen)
{
    struct option lo[NOPTS + 1];
    char shorts[2 * NOPTS + 2];
    char where[64];
    /* Flags are applied after the matrix file, so remember them first. */
    struct {
        const struct opt_def *d;
        const char *arg;
    } given[256];
    size_t ngiven = 0;

    memset(o, 0, sizeof *o);
    make_longopts(lo, shorts + 1);
    shorts[0] = ':'; /* report a missing argument as ':' */
    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, shorts, lo, NULL);
        if (c == -1)
            break;
        if (c == '?') {
            if (optopt && optopt < 1000)
                return bad(err, errlen, "unknown option '-%c' (see `qtopo run --help`)", optopt);
            return bad(err, errlen, "unknown option '%s' (see `qtopo run --help`)",
                       argv[optind - 1]);
        }
        if (c == ':')
            return bad(err, errlen, "option '%s' needs a value (see `qtopo run --help`)",
                       argv[optind - 1]);
        const struct opt_def *d = opt_by_getopt(c);
        if (!d)
            return bad(err, errlen, "unknown option '%s'", argv[optind - 1]);
        switch (d->id) {
        case O_HELP:
            o->help = true;
            return 0;
        case O_MATRIX:
            qtp_fmt(o->matrix_file, sizeof o->matrix_file, "%s", optarg);
            break;
        case O_OUT:
            if (!*optarg)
                return bad(err, errlen, "--out: empty directory name");
            qtp_fmt(o->out, sizeof o->out, "%s", optarg);
            break;
        case O_RESUME:
            qtp_fmt(o->resume, sizeof o->resume, "%s", optarg);
            break;
        default:
            if (ngiven == sizeof given / sizeof given[0])
                return bad(err, errlen, "too many options");
            given[ngiven].d = d;
            given[ngiven++].arg = optarg;
            break;
        }
    }
    if (optind < argc)
        return bad(err, errlen,
                   "unexpected argument '%s' (qtopo run takes only options; see "
                   "`qtopo run --help`)",
                   argv[optind]);
    if (o->resume[0]) {
        if (ngiven || o->matrix_file[0] || o->out[0])
            return bad(err, errlen,
                       "--resume %s takes no other options (the matrix is read back from "
                       "%s/meta.json)",
                       o->resume, o->resume);
        return 0;
    }
    if (o->matrix_file[0]) {
        char *text = NULL;
        int rc = read_text_file(o->matrix_file, &text, err, errlen);
        if (rc)
            return rc;
        rc = qtp_matrix_parts_from_json_text(text, o->matrix_file, &o->parts, &o->nparts, err,
                                             errlen);
        free(text);
        if (rc)
            return rc;
    } else {
        if (!(o->parts = calloc(1, sizeof *o->parts)))
            return ENOMEM;
        o->nparts = 1;
    }
    for (size_t p = 0; p < o->nparts; p++)
        for (size_t i = 0; i < ngiven; i++) {
            const struct opt_def *d = given[i].d;
            if (d->short_name)
                qtp_fmt(where, sizeof where, "-%c/--%s", d->short_name, d->name);
            else
                qtp_fmt(where, sizeof where, "--%s", d->name);
            int rc = apply_text(d, &o->parts[p], where, given[i].arg ? given[i].arg : "", false,
                                err, errlen);
            if (rc)
                return rc;
        }
    if (!o->matrix_file[0]) {
        int rc = split_round_trips(o);
        if (rc)
            return rc;
    }
    for (size_t p = 0; p < o->nparts; p++) {
        qtp_matrix_defaults(&o->parts[p]);
        int rc = qtp_matrix_check(&o->parts[p], mach, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

void qtp_run_opts_free(struct qtp_run_opts *o)
{
    free(o->parts);
    o->parts = NULL;
    o->nparts = 0;
}

/* Print text from column `indent`, wrapped before column 80. */
static void wrap(FILE *out, const char *text, int indent, int col)
{
    const int width = 80;
    const char *p = text;
    while (*p) {
        size_t word = strcspn(p, " ");
        if (col > indent && col + 1 + (int)word > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", (int)word, p);
        col += (int)word;
        p += word;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

void qtp_cli_print_options(FILE *out)
{
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_def *d = &opts[i];
        char left[64], text[768], range[160] = "";
        if (d->short_name)
            qtp_fmt(left, sizeof left, "-%c, --%s%s%s", d->short_name, d->name, d->arg ? " " : "",
                    d->arg ? d->arg : "");
        else
            qtp_fmt(left, sizeof left, "    --%s%s%s", d->name, d->arg ? " " : "",
                    d->arg ? d->arg : "");
        if (d->kind == K_LIST || (d->kind == K_U64 && d->id != O_SEED)) {
            char r[160];
            qtp_fmt(range, sizeof range, " Accepted: %s.", range_text(d, r, sizeof r));
        }
        qtp_fmt(text, sizeof text, "%s%s.%s", d->help, d->kind == K_LIST ? "; a list sweeps" : "",
                range);
        int col = fprintf(out, "    %s", left);
        if (col >= 30) {
            fprintf(out, "\n%*s", 12, "");
            col = 12;
        } else {
            fprintf(out, "%*s", 30 - col, "");
            col = 30;
        }
        wrap(out, text, col == 12 ? 12 : 30, col);
    }
}

/* ---------------------------------------------------------------- expansion */

void qtp_cell_topo_params(const struct qtp_cell *c, struct qtp_topo_params *p)
{
    memset(p, 0, sizeof *p); /* 0: the builder's default (a parameter the topology ignores) */
    p->fanout = c->params.fanout;
    p->shards = c->params.shards;
    p->stages = c->params.stages;
    p->work_ns = c->params.work_ns;
    p->payload = c->params.payload;
}

/* Does changing one parameter change topology t's shape? Asked of the builder itself, so a new
 * topology in the registry needs no table here. */
static bool param_shapes(const struct qtp_topology_def *t, int which)
{
    struct qtp_topo_params a = {
        .fanout = DEFAULT_FANOUT, .shards = DEFAULT_SHARDS, .stages = DEFAULT_STAGES};
    struct qtp_topo_params b = a;
    if (which == O_FANOUT)
        b.fanout = DEFAULT_FANOUT + 1;
    else if (which == O_SHARDS)
        b.shards = DEFAULT_SHARDS * 2;
    else
        b.stages = DEFAULT_STAGES + 1;
    struct qtp_topology ta, tb;
    if (t->build(&a, &ta))
        return false;
    if (t->build(&b, &tb)) {
        qtp_topology_fini(&ta);
        return false;
    }
    static char da[16384], db[16384]; /* expansion runs on one thread */
    bool differ = ta.nthreads != tb.nthreads;
    if (!differ && qtp_topology_describe(&ta, da, sizeof da) == 0 &&
        qtp_topology_describe(&tb, db, sizeof db) == 0)
        differ = strcmp(da, db) != 0;
    qtp_topology_fini(&ta);
    qtp_topology_fini(&tb);
    return differ;
}

struct cell_vec {
    struct qtp_cell *v;
    size_t n, cap;
};

static struct qtp_cell *cell_push(struct cell_vec *cv)
{
    if (cv->n == cv->cap) {
        size_t cap = cv->cap ? 2 * cv->cap : 64;
        struct qtp_cell *nv = realloc(cv->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        cv->v = nv;
        cv->cap = cap;
    }
    struct qtp_cell *c = &cv->v[cv->n++];
    memset(c, 0, sizeof *c);
    return c;
}

/* Fill cell c of topology td, queue qk, wait w from the parameter indexes ix[] (see expand).
 * false when its id does not fit. */
static bool fill_cell(struct qtp_cell *cell, const struct qtp_matrix *m,
                      const struct qtp_machine *mach, const struct qtp_topology_def *td,
                      const struct qtp_queue_kind *qk, const struct qtp_wait_ops *w,
                      const struct qtp_numlist *const *axes, const unsigned *ix)
{
    cell->topo = td;
    cell->queue = qk;
    cell->wait = w;
    qtp_fmt(cell->wait_name, sizeof cell->wait_name, "%s", w ? w->name : "block");
    qtp_fmt(cell->placement, sizeof cell->placement, "%s", m->placement.v[ix[0]]);
    qtp_fmt(cell->memory, sizeof cell->memory, "%s", m->memory.v[ix[1]]);
    struct qtp_cell_params *pp = &cell->params;
    cell->reps = m->reps;
    cell->timeout_s = m->timeout_s;
    cell->seed = m->seed;
    cell->no_latency = m->no_latency;
    pp->events = axes[2]->v[ix[2]];
    pp->warmup = m->warmup;
    pp->ring_size = (uint32_t)axes[3]->v[ix[3]];
    pp->batch = (uint32_t)axes[4]->v[ix[4]];
    pp->payload = (uint32_t)axes[5]->v[ix[5]];
    pp->work_ns = axes[6]->v[ix[6]];
    pp->rate = (double)axes[7]->v[ix[7]];
    pp->fanout = (uint32_t)axes[8]->v[ix[8]];
    pp->shards = (uint32_t)axes[9]->v[ix[9]];
    pp->stages = (uint32_t)axes[10]->v[ix[10]];
    if (qtp_cell_id(cell->id, sizeof cell->id, td->name, qk->name, cell->wait_name, cell->placement,
                    cell->memory, pp))
        return false;

    struct qtp_topo_params tp;
    struct qtp_topology topo;
    qtp_cell_topo_params(cell, &tp);
    if (td->build(&tp, &topo)) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason,
                "topology %s cannot be built with these parameters", td->name);
        return true;
    }
    cell->nthreads = topo.nthreads;
    unsigned producers = topo.producers;
    qtp_topology_fini(&topo);
    cell->nspinning = w && w->spins ? cell->nthreads : 0;
    if (!mach)
        return true;

    /* The planner decides both "this machine cannot give it" and the oversubscription rule. */
    static struct qtp_placement_spec ps;
    static struct qtp_plan plan;
    char msg[QTP_REASON_MAX];
    if (qtp_placement_parse(cell->placement, mach, &ps, msg, sizeof msg)) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason, "%s", msg);
        return true;
    }
    struct qtp_plan_request req = {.nthreads = cell->nthreads,
                                   .producers = producers,
                                   .spin = cell->nspinning > 0,
                                   .oversubscribe = m->oversubscribe};
    if (qtp_placement_plan(mach, &ps, &req, &plan)) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason, "cannot plan %u threads", cell->nthreads);
        return true;
    }
    if (plan.verdict == QTP_PLAN_SKIPPED) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason, "%s", plan.reason);
        return true;
    }
    cell->oversubscribed = plan.oversubscribed;
    memcpy(cell->pu, plan.pu, sizeof cell->pu);
    struct qtp_memory_spec ms;
    if (qtp_memory_parse(cell->memory, mach, &ms, msg, sizeof msg) ||
        !qtp_memory_possible(mach, &ms, msg, sizeof msg)) {
        cell->skip = true;
        qtp_fmt(cell->reason, sizeof cell->reason, "%s", msg);
    }
    return true;
}

/* The default matrix lists every policy; where one gives exactly the PUs an earlier one gave
 * (spread = compact on a machine without SMT or a second node), running it again would only
 * measure noise: the cell is skipped, saying so. An explicit -p list runs what it names. */
static void skip_same_plans(struct qtp_cell *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct qtp_cell *c = &v[i];
        if (c->skip || strcmp(c->placement, "os") == 0)
            continue;
        for (size_t j = 0; j < i; j++) {
            const struct qtp_cell *e = &v[j];
            if (e->skip || e->topo != c->topo || e->queue != c->queue || e->wait != c->wait ||
                strcmp(e->memory, c->memory) != 0 || strcmp(e->placement, c->placement) == 0 ||
                !qtp_params_equal(&e->params, &c->params) || e->nthreads != c->nthreads ||
                memcmp(e->pu, c->pu, c->nthreads * sizeof c->pu[0]) != 0)
                continue;
            c->skip = true;
            qtp_fmt(c->reason, sizeof c->reason,
                    "same threads-to-PUs plan as %s on this machine (-p %s runs it anyway)",
                    e->placement, c->placement);
            break;
        }
    }
}

int qtp_matrix_expand(const struct qtp_matrix *m, const struct qtp_machine *mach,
                      struct qtp_cell **cells, size_t *ncells, char *err, size_t errlen)
{
    struct cell_vec cv = {0};
    static const struct qtp_numlist none = {1, {0}};

    for (unsigned ti = 0; ti < m->topology.n; ti++) {
        const struct qtp_topology_def *td = qtp_topology_find(m->topology.v[ti]);
        if (!td)
            return bad(err, errlen, "unknown topology '%s'", m->topology.v[ti]);
        /* Axes after topology/queue/wait, outermost first; [0] and [1] are the placement and
         * memory string lists (only their sizes are used here). */
        struct qtp_numlist np = {m->placement.n, {0}}, nm = {m->memory.n, {0}};
        const struct qtp_numlist *axes[] = {
            &np,
            &nm,
            &m->events,
            &m->ring_size,
            &m->batch,
            &m->payload,
            &m->work_ns,
            &m->rate,
            param_shapes(td, O_FANOUT) ? &m->fanout : &none,
            param_shapes(td, O_SHARDS) ? &m->shards : &none,
            param_shapes(td, O_STAGES) ? &m->stages : &none,
        };
        enum { NAX = sizeof axes / sizeof axes[0] };
        for (unsigned qi = 0; qi < m->queue.n; qi++) {
            const struct qtp_queue_kind *qk = qtp_queue_kind_find(m->queue.v[qi]);
            if (!qk)
                return bad(err, errlen, "unknown queue kind '%s'", m->queue.v[qi]);
            /* Mutex queues always block: one "block" cell, whatever the wait list says. */
            unsigned nwait = qk->uses_wait ? m->wait.n : 1;
            for (unsigned wi = 0; wi < nwait; wi++) {
                const struct qtp_wait_ops *w = NULL;
                if (qk->uses_wait && !(w = qtp_wait_find(m->wait.v[wi])))
                    return bad(err, errlen, "unknown wait strategy '%s'", m->wait.v[wi]);
                unsigned ix[NAX] = {0};
                for (;;) {
                    struct qtp_cell *cell = cell_push(&cv);
                    if (!cell) {
                        free(cv.v);
                        return ENOMEM;
                    }
                    if (!fill_cell(cell, m, mach, td, qk, w, axes, ix)) {
                        bad(err, errlen,
                            "the cell id of %s/%s/%s placement %.100s is longer than %zu bytes "
                            "(accepted: shorter cpus: lists)",
                            td->name, qk->name, cell->wait_name, cell->placement,
                            sizeof cell->id - 1);
                        free(cv.v);
                        return QTP_CLI_BAD;
                    }
                    /* Odometer: the last axis turns fastest. */
                    int a = NAX - 1;
                    while (a >= 0 && ++ix[a] == axes[a]->n)
                        ix[a--] = 0;
                    if (a < 0)
                        break;
                }
            }
        }
    }
    if (!(m->given & (1ull << O_PLACEMENT)))
        skip_same_plans(cv.v, cv.n);
    *cells = cv.v;
    *ncells = cv.n;
    return 0;
}

int qtp_matrix_expand_parts(const struct qtp_matrix *parts, size_t nparts,
                            const struct qtp_machine *mach, struct qtp_cell **cells, size_t *ncells,
                            char *err, size_t errlen)
{
    struct qtp_cell *all = NULL;
    size_t n = 0;
    for (size_t p = 0; p < nparts; p++) {
        struct qtp_cell *v;
        size_t k;
        int rc = qtp_matrix_expand(&parts[p], mach, &v, &k, err, errlen);
        if (rc) {
            free(all);
            return rc;
        }
        struct qtp_cell *na = realloc(all, (n + k + 1) * sizeof *na);
        if (!na) {
            free(v);
            free(all);
            return ENOMEM;
        }
        all = na;
        for (size_t i = 0; i < k; i++) {
            bool dup = false;
            for (size_t j = 0; j < n && !dup; j++)
                dup = strcmp(all[j].id, v[i].id) == 0;
            if (!dup)
                all[n++] = v[i];
        }
        free(v);
    }
    *cells = all;
    *ncells = n;
    return 0;
}
