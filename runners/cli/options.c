/* options.c - `qtopo run`'s options: flags, lists, counts and --help (qtp_cli.h); the table of
 * them is opt_table.c. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "machine.h"
#include "numa_mem.h"
#include "placement.h"
#include "qtp_deploy.h"
#include "qtp_lang.h"
#include "qtp_topo.h"
#include "qtp_wait.h"

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
    const char *suffix = strchr("kKmMgG", *end);
    if (*end && suffix) {
        int power = (int)(suffix - "kKmMgG") / 2 + 1;
        for (int i = 0; i < power; i++)
            mul *= k;
        end++;
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
    else if (d->flags & F_AUTO)
        qtp_fmt(buf, len, "auto, or %s to %s%s", lo, hi, unit);
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
    if (d->flags & F_AUTO && strcmp(s, "auto") == 0) {
        *v = UINT32_MAX;
        return 0;
    }
    if (d->flags & F_RATE && n > 2 && n < sizeof buf && strcmp(s + n - 2, "/s") == 0) {
        memcpy(buf, s, n - 2);
        buf[n - 2] = 0;
        s = buf;
    }
    if (qtp_parse_count(s, d->flags & F_BINARY, v))
        return CLI_BAD(err, len, "%s: '%s' is not a count (accepted: %s)", where, s,
                       range_text(d, acc, sizeof acc));
    bool ok = *v >= d->min && *v <= d->max;
    if (d->flags & F_PAYLOAD && *v == 0)
        ok = true;
    if (!ok)
        return CLI_BAD(err, len, "%s: %s is %s (accepted: %s)", where, s,
                       *v == 0 ? "zero" : (*v < d->min ? "too small" : "too large"),
                       range_text(d, acc, sizeof acc));
    if (d->flags & F_POW2 && (*v & (*v - 1)))
        return CLI_BAD(err, len, "%s: %s is not a power of two (accepted: %s)", where, s,
                       range_text(d, acc, sizeof acc));
    return 0;
}

/* ---------------------------------------------------------------- names */

/* How messages call each name axis, and what it accepts beyond its registry's names. */
static const struct {
    const char *word, *more;
} axis_text[QTP_NCELL_NAMES] = {
    [QTP_NAME_TOPOLOGY] = {"topology", ""},
    [QTP_NAME_QUEUE] = {"queue kind", ""},
    [QTP_NAME_WAIT] = {"wait strategy", ""},
    [QTP_NAME_PLACEMENT] = {"placement", ", cpus:LIST"},
    [QTP_NAME_MEMORY] = {"memory policy", ", node:N"},
};

size_t qtp_cli_axis_names(enum qtp_cell_name_id axis, const char **names, size_t max)
{
    size_t n = 0;
    switch (axis) {
    case QTP_NAME_TOPOLOGY:
        for (const struct qtp_topology_def *t = qtp_topologies; t->name && n < max; t++)
            names[n++] = t->name;
        break;
    case QTP_NAME_QUEUE:
        for (const struct qtp_queue_kind *q = qtp_queue_kinds; q->name && n < max; q++)
            names[n++] = q->name;
        break;
    case QTP_NAME_WAIT:
        for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name && n < max; w++)
            names[n++] = w->name;
        break;
    case QTP_NAME_PLACEMENT: /* "all" is every policy but cpus:LIST, which needs its list */
        for (const struct qtp_placement_policy *p = qtp_placement_policies; p->name && n < max; p++)
            if (p->kind != QTP_PLACE_CPUS)
                names[n++] = p->name;
        break;
    case QTP_NAME_MEMORY:
        for (const struct qtp_memory_policy *p = qtp_memory_policies; p->name && n < max; p++)
            if (p->kind != QTP_MEM_NODE)
                names[n++] = p->name;
        break;
    case QTP_NCELL_NAMES:
        break;
    }
    return n;
}

static const char *accepted_names(enum qtp_cell_name_id axis, char *buf, size_t len)
{
    const char *names[64];
    size_t n = qtp_cli_axis_names(axis, names, 64), at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && at < len; i++)
        at += (size_t)qtp_fmt(buf + at, len - at, "%s%s", i ? ", " : "", names[i]);
    if (at < len)
        qtp_fmt(buf + at, len - at, "%s, all", axis_text[axis].more);
    return buf;
}

int qtp_cli_check_name(enum qtp_cell_name_id axis, const char *where, const char *v,
                       const struct qtp_machine *mach, char *err, size_t len)
{
    char msg[QTP_REASON_MAX], acc[512];
    if (axis == QTP_NAME_PLACEMENT) {
        struct qtp_placement_spec *spec = malloc(sizeof *spec); /* 4 KiB: not on the stack */
        int rc = spec ? qtp_placement_parse(v, mach, spec, msg, sizeof msg) : ENOMEM;
        free(spec);
        return rc == ENOMEM ? ENOMEM : rc ? CLI_BAD(err, len, "%s: %s", where, msg) : 0;
    }
    if (axis == QTP_NAME_MEMORY) {
        struct qtp_memory_spec spec;
        if (qtp_memory_parse(v, mach, &spec, msg, sizeof msg))
            return CLI_BAD(err, len, "%s: %s", where, msg);
        return 0;
    }
    if (axis == QTP_NAME_WAIT) {
        struct qtp_wait_spec spec;
        if (qtp_wait_parse(v, &spec, msg, sizeof msg))
            return CLI_BAD(err, len, "%s: %s", where, msg);
        return 0;
    }
    const char *names[64];
    size_t n = qtp_cli_axis_names(axis, names, 64);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], v) == 0)
            return 0;
    return CLI_BAD(err, len, "%s: unknown %s '%s' (accepted: %s)", where, axis_text[axis].word, v,
                   accepted_names(axis, acc, sizeof acc));
}

void qtp_cli_strlist_add(struct qtp_strlist *l, const char *v)
{
    for (unsigned i = 0; i < l->n; i++)
        if (strcmp(l->v[i], v) == 0)
            return; /* a duplicate would make two cells with one id */
    qtp_fmt(l->v[l->n++], sizeof l->v[0], "%s", v);
}

void qtp_cli_numlist_add(struct qtp_numlist *l, uint64_t v)
{
    for (unsigned i = 0; i < l->n; i++)
        if (l->v[i] == v)
            return;
    l->v[l->n++] = v;
}

/* The next comma-separated item of s at *p into tok. A cpus:LIST's own commas stay with it: an
 * item of digits and ranges after a cpus: item continues that item. 0 or QTP_CLI_BAD. */
static int next_item(const struct opt_def *d, const char **p, const char *where, const char *s,
                     char *tok, size_t cap, char *err, size_t len)
{
    char acc[512];
    /* A topology expression's own commas stay with it: its items split at top-level commas. */
    bool topology = d->kind == K_NAMES && d->index == QTP_NAME_TOPOLOGY;
    size_t n = topology ? qtp_topo_list_item(*p) : strcspn(*p, ",");
    /* An empty item anywhere (",a", "a,,b", "a,") is refused alike. */
    if (n == 0 || n >= cap || ((*p)[n] == ',' && !(*p)[n + 1]))
        return d->kind == K_NAMES
                   ? CLI_BAD(err, len, "%s: bad list '%s' (accepted: comma-separated %s names: %s)",
                             where, s, axis_text[d->index].word,
                             accepted_names(d->index, acc, sizeof acc))
                   : CLI_BAD(err, len, "%s: bad list '%s' (accepted: comma-separated counts)",
                             where, s);
    memcpy(tok, *p, n);
    tok[n] = 0;
    *p += n + ((*p)[n] == ',');
    if (d->kind == K_NAMES && d->index == QTP_NAME_PLACEMENT && strncmp(tok, "cpus:", 5) == 0)
        while (**p && isdigit((unsigned char)**p)) {
            size_t m = strcspn(*p, ","), have = strlen(tok);
            if (have + 1 + m >= cap)
                return CLI_BAD(err, len, "%s: cpu list too long in '%s'", where, s);
            tok[have] = ',';
            memcpy(tok + have + 1, *p, m);
            tok[have + 1 + m] = 0;
            *p += m + ((*p)[m] == ',');
        }
    /* So do a wait strategy's parameters: KEY=VALUE items after a NAME:KEY=VALUE item. */
    if (d->kind == K_NAMES && d->index == QTP_NAME_WAIT && strchr(tok, ':'))
        while (**p && (size_t)(strchr(*p, '=') - *p) < strcspn(*p, ",:")) {
            size_t m = strcspn(*p, ","), have = strlen(tok);
            if (have + 1 + m >= cap)
                return CLI_BAD(err, len, "%s: wait parameters too long in '%s'", where, s);
            tok[have] = ',';
            memcpy(tok + have + 1, *p, m);
            tok[have + 1 + m] = 0;
            *p += m + ((*p)[m] == ',');
        }
    return 0;
}

/* The one spelling of a placement or memory policy that has several (cpus:0-0 is cpus:0, node:00
 * is node:0), so aliases merge into one cell instead of two with the same meaning. v is valid. */
static int canonical_name(enum qtp_cell_name_id axis, char *v, size_t cap)
{
    if (axis == QTP_NAME_MEMORY) {
        struct qtp_memory_spec spec;
        char msg[QTP_REASON_MAX];
        if (qtp_memory_parse(v, NULL, &spec, msg, sizeof msg) == 0 && spec.kind == QTP_MEM_NODE)
            qtp_fmt(v, cap, "node:%d", spec.node);
        return 0;
    }
    if (axis != QTP_NAME_PLACEMENT || strncmp(v, "cpus:", 5) != 0)
        return 0;
    struct qtp_placement_spec *spec = malloc(sizeof *spec);
    char msg[QTP_REASON_MAX];
    if (!spec)
        return ENOMEM;
    if (qtp_placement_parse(v, NULL, spec, msg, sizeof msg) == 0 && spec->kind == QTP_PLACE_CPUS) {
        /* In the list's order (it is the threads' order): runs of three or more consecutive
         * CPUs as ranges, shorter ones one by one (cpus:0,1, cpus:0-3). */
        size_t at = (size_t)qtp_fmt(v, cap, "cpus:");
        for (size_t i = 0; i < spec->ncpus && at < cap;) {
            size_t j = i;
            while (j + 1 < spec->ncpus && spec->cpus[j + 1] == spec->cpus[j] + 1)
                j++;
            if (j < i + 2)
                j = i;
            if (j > i)
                at += (size_t)qtp_fmt(v + at, cap - at, "%s%d-%d", i ? "," : "", spec->cpus[i],
                                      spec->cpus[j]);
            else
                at += (size_t)qtp_fmt(v + at, cap - at, "%s%d", i ? "," : "", spec->cpus[i]);
            i = j + 1;
        }
    }
    free(spec);
    return 0;
}

static int add_names(const struct opt_def *d, struct qtp_strlist *l, const char *where,
                     const char *s, char *err, size_t len)
{
    char acc[512], tok[QTP_TOPOLOGY_MAX];
    bool topology = d->index == QTP_NAME_TOPOLOGY;
    if (!*s)
        return CLI_BAD(err, len, "%s: empty list (accepted: %s)", where,
                       accepted_names(d->index, acc, sizeof acc));
    for (const char *p = s; *p;) {
        int rc = next_item(d, &p, where, s, tok, topology ? sizeof tok : QTP_PLACE_MAX, err, len);
        if (!rc && topology)
            rc = qtp_cli_topology_item(where, tok, sizeof tok, err, len);
        const char *names[64];
        size_t k = 1;
        names[0] = tok;
        if (!rc && strcmp(tok, "all") == 0)
            k = qtp_cli_axis_names(d->index, names, 64);
        else if (!rc && !topology &&
                 !(rc = qtp_cli_check_name(d->index, where, tok, NULL, err, len)))
            rc = canonical_name(d->index, tok, sizeof tok);
        char canon[QTP_CELL_NAME_MAX];
        struct qtp_wait_spec spec;
        if (!rc && k == 1 && d->index == QTP_NAME_WAIT && !qtp_wait_parse(tok, &spec, NULL, 0)) {
            /* One spelling per strategy and constants: "phased:spin=5000ns" is "phased:spin=5us".
             */
            qtp_wait_format(&spec, canon, sizeof canon);
            names[0] = canon;
        }
        for (size_t i = 0; !rc && i < k; i++) {
            if (l->n == QTP_AXIS_MAX)
                return CLI_BAD(err, len, "%s: more than %d values", where, QTP_AXIS_MAX);
            qtp_cli_strlist_add(l, names[i]);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int add_counts(const struct opt_def *d, struct qtp_numlist *l, const char *where,
                      const char *s, char *err, size_t len)
{
    char tok[64];
    if (!*s)
        return CLI_BAD(err, len, "%s: empty value", where);
    for (const char *p = s; *p;) {
        uint64_t v;
        int rc = next_item(d, &p, where, s, tok, sizeof tok, err, len);
        if (!rc)
            rc = parse_value(d, where, tok, &v, err, len);
        if (rc)
            return rc;
        if (l->n == QTP_AXIS_MAX)
            return CLI_BAD(err, len, "%s: more than %d values", where, QTP_AXIS_MAX);
        qtp_cli_numlist_add(l, v);
    }
    return 0;
}

/* --batch A-B: claims of A..B events (batch A, batch_max B), the one value of --batch then. */
static int batch_range(struct qtp_matrix *m, const char *where, const char *s, char *err,
                       size_t len)
{
    const struct opt_def *lo_def = &qtp_cli_opts[O_BATCH], *hi_def = &qtp_cli_opts[O_BATCH_MAX];
    const char *dash = strchr(s, '-');
    char lo_text[32];
    size_t n = (size_t)(dash - s);
    uint64_t lo, hi;
    if (n == 0 || n >= sizeof lo_text || strchr(s, ','))
        return CLI_BAD(err, len,
                       "%s: bad range '%s' (accepted: a list of counts, or one range A-B with "
                       "1 <= A < B <= %" PRIu64 ")",
                       where, s, hi_def->max);
    memcpy(lo_text, s, n);
    lo_text[n] = 0;
    int rc = parse_value(lo_def, where, lo_text, &lo, err, len);
    if (!rc)
        rc = parse_value(lo_def, where, dash + 1, &hi, err, len);
    if (rc)
        return rc;
    if (hi <= lo)
        return CLI_BAD(err, len,
                       "%s: range %s is empty or backwards (accepted: A-B with 1 <= A < B <= "
                       "%" PRIu64 ")",
                       where, s, hi_def->max);
    m->params[QTP_PARAM_batch].n = 0;
    qtp_cli_numlist_add(&m->params[QTP_PARAM_batch], lo);
    m->params[QTP_PARAM_batch_max].n = 0;
    qtp_cli_numlist_add(&m->params[QTP_PARAM_batch_max], hi);
    m->given |= 1ull << O_BATCH_MAX;
    return 0;
}

int qtp_cli_apply_text(const struct opt_def *d, struct qtp_matrix *m, const char *where,
                       const char *s, bool append, char *err, size_t len)
{
    char *f = (char *)m + d->off;
    uint64_t v;
    int rc = 0;
    switch (d->kind) {
    case K_NAMES:
        if (!append)
            m->names[d->index].n = 0;
        rc = add_names(d, &m->names[d->index], where, s, err, len);
        break;
    case K_PARAM:
        if (!append || d->flags & F_SCALAR)
            m->params[d->index].n = 0;
        if (d->id == O_BATCH && strchr(s, '-'))
            rc = batch_range(m, where, s, err, len);
        else if (d->flags & F_SCALAR && !(rc = parse_value(d, where, s, &v, err, len)))
            qtp_cli_numlist_add(&m->params[d->index], v);
        else if (!(d->flags & F_SCALAR))
            rc = add_counts(d, &m->params[d->index], where, s, err, len);
        break;
    case K_U64:
        if ((rc = parse_value(d, where, s, &v, err, len)))
            break;
        if (d->size == sizeof(uint32_t))
            *(uint32_t *)f = (uint32_t)v;
        else
            *(uint64_t *)f = v;
        break;
    case K_FLAG:
        *(bool *)f = true;
        break;
    case K_TEXT: {
        struct qtp_opt_out plan;
        char msg[QTP_REASON_MAX];
        if (strlen(s) >= d->size)
            rc = CLI_BAD(err, len, "%s: longer than %zu bytes", where, d->size - 1);
        else if (qtp_opt_out_parse(s, NULL, &plan, msg, sizeof msg))
            rc = CLI_BAD(err, len, "%s: %s", where, msg);
        else
            qtp_fmt(f, d->size, "%s", strcmp(s, "none") ? s : "");
        break;
    }
    case K_CHOICE: {
        char acc[160] = "";
        size_t i = 0, at = 0;
        for (; d->choice(i) && strcmp(d->choice(i), s); i++)
            at += (size_t)qtp_fmt(acc + at, sizeof acc - at, "%s%s", i ? ", " : "", d->choice(i));
        if (!d->choice(i))
            return CLI_BAD(err, len, "%s: '%s' is not one of %s", where, s, acc);
        qtp_fmt(f, d->size, "%s", s);
        break;
    }
    case K_PATH:
        break;
    }
    if (!rc)
        m->given |= 1ull << d->id;
    return rc;
}

const struct opt_def *qtp_cli_opt_by_key(const char *key)
{
    for (size_t i = 0; i < O_COUNT; i++) {
        const struct opt_def *d = &qtp_cli_opts[i];
        const char *alias = d->kind == K_PARAM ? qtp_params[d->index].name : d->alias;
        if (d->kind != K_PATH && (strcmp(d->name, key) == 0 || (alias && !strcmp(alias, key))))
            return d;
    }
    return NULL;
}

void qtp_cli_matrix_keys(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < O_COUNT && at < len; i++)
        if (qtp_cli_opts[i].kind != K_PATH)
            at += (size_t)qtp_fmt(buf + at, len - at, "%s%s", at ? ", " : "", qtp_cli_opts[i].name);
}

/* ---------------------------------------------------------------- the command line */

static void make_longopts(struct option *lo, char *shorts)
{
    size_t s = 0;
    for (size_t i = 0; i < O_COUNT; i++) {
        const struct opt_def *d = &qtp_cli_opts[i];
        lo[i] =
            (struct option){d->name, d->arg ? required_argument : no_argument, NULL, 1000 + (int)i};
        if (d->short_name) {
            shorts[s++] = (char)d->short_name;
            if (d->arg)
                shorts[s++] = ':';
        }
    }
    lo[O_COUNT] = (struct option){0};
    shorts[s] = 0;
}

static const struct opt_def *opt_by_getopt(int c)
{
    if (c >= 1000 && c < 1000 + (int)O_COUNT)
        return &qtp_cli_opts[c - 1000];
    for (size_t i = 0; i < O_COUNT; i++)
        if (qtp_cli_opts[i].short_name == c)
            return &qtp_cli_opts[i];
    return NULL;
}

static int read_text_file(const char *path, char **text, char *err, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return CLI_BAD(err, len, "--matrix %s: cannot open: %s (accepted: a readable JSON file)",
                       path, strerror(errno));
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
            return CLI_BAD(err, len, "--matrix %s: larger than 16 MiB (accepted: a JSON object)",
                           path);
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
        return CLI_BAD(err, len,
                       "%s:1:1: malformed matrix: contains a NUL byte (accepted: JSON text)", path);
    }
    *text = buf;
    return 0;
}

/* A flag's own options (--matrix, --out, --resume, --slice, --slice-plan, --help) into o; 0 or
 * QTP_CLI_BAD. */
static int take_path(const struct opt_def *d, struct qtp_run_opts *o, char *err, size_t len)
{
    uint64_t v;
    switch (d->id) {
    case O_HELP:
        o->help = true;
        break;
    case O_MATRIX:
        qtp_fmt(o->matrix_file, sizeof o->matrix_file, "%s", optarg);
        break;
    case O_OUT:
        qtp_fmt(o->out, sizeof o->out, "%s", optarg);
        break;
    case O_SLICE:
        return qtp_cli_parse_slice(optarg, &o->slice_k, &o->slice_n, err, len);
    case O_SLICE_PLAN:
        if (qtp_parse_count(optarg, false, &v) || v < 1 || v > QTP_SLICE_MAX)
            return CLI_BAD(err, len, "--slice-plan '%s': not a count of slices (accepted: 1..%d)",
                           optarg, QTP_SLICE_MAX);
        o->slice_plan = (unsigned)v;
        break;
    default:
        qtp_fmt(o->resume, sizeof o->resume, "%s", optarg);
        break;
    }
    return 0;
}

/* The parts to apply the flags to: the matrix file's, or one empty part. */
static int load_parts(struct qtp_run_opts *o, char *err, size_t len)
{
    if (!o->matrix_file[0]) {
        o->nparts = 1;
        return (o->parts = calloc(1, sizeof *o->parts)) ? 0 : ENOMEM;
    }
    char *text = NULL;
    int rc = read_text_file(o->matrix_file, &text, err, len);
    if (!rc)
        rc = qtp_matrix_parts_from_json_text(text, o->matrix_file, &o->parts, &o->nparts, err, len);
    free(text);
    return rc;
}

int qtp_cli_parse_run(int argc, char **argv, struct qtp_run_opts *o, const struct qtp_machine *mach,
                      char *err, size_t errlen)
{
    struct option lo[O_COUNT + 1];
    char shorts[2 * O_COUNT + 2], where[64];
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
    for (int c; (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1;) {
        if (c == '?' && optopt && optopt < 1000)
            return CLI_BAD(err, errlen, "unknown option '-%c' (see `qtopo run --help`)", optopt);
        if (c == '?')
            return CLI_BAD(err, errlen, "unknown option '%s' (see `qtopo run --help`)",
                           argv[optind - 1]);
        if (c == ':')
            return CLI_BAD(err, errlen, "option '%s' needs a value (see `qtopo run --help`)",
                           argv[optind - 1]);
        const struct opt_def *d = opt_by_getopt(c);
        if (!d)
            return CLI_BAD(err, errlen, "unknown option '%s'", argv[optind - 1]);
        /* One rule for every option: an empty value is bad input, never "use the default". */
        if (d->arg && optarg && !*optarg)
            return CLI_BAD(err, errlen, "option --%s: empty value (accepted: %s)", d->name, d->arg);
        if (d->kind == K_PATH) {
            int rc = take_path(d, o, err, errlen);
            if (rc || o->help)
                return rc;
            continue;
        }
        if (ngiven == sizeof given / sizeof given[0])
            return CLI_BAD(err, errlen, "too many options");
        given[ngiven].d = d;
        given[ngiven++].arg = optarg;
    }
    if (optind < argc)
        return CLI_BAD(err, errlen,
                       "unexpected argument '%s' (qtopo run takes only options; see "
                       "`qtopo run --help`)",
                       argv[optind]);
    if (o->resume[0]) {
        if (ngiven || o->matrix_file[0] || o->out[0] || o->slice_n || o->slice_plan)
            return CLI_BAD(err, errlen,
                           "--resume %s takes no other options (the matrix is read back from "
                           "%s/meta.json)",
                           o->resume, o->resume);
        return 0;
    }
    if (o->slice_n && o->slice_plan)
        return CLI_BAD(err, errlen,
                       "--slice and --slice-plan: one or the other (a plan runs "
                       "nothing)");
    int rc = load_parts(o, err, errlen);
    for (size_t p = 0; !rc && p < o->nparts; p++)
        for (size_t i = 0; !rc && i < ngiven; i++) {
            const struct opt_def *d = given[i].d;
            if (d->short_name)
                qtp_fmt(where, sizeof where, "-%c/--%s", d->short_name, d->name);
            else
                qtp_fmt(where, sizeof where, "--%s", d->name);
            rc = qtp_cli_apply_text(d, &o->parts[p], where, given[i].arg ? given[i].arg : "", false,
                                    err, errlen);
        }
    if (!rc && !o->matrix_file[0])
        rc = qtp_cli_default_parts(o);
    for (size_t p = 0; !rc && p < o->nparts; p++) {
        qtp_matrix_defaults(&o->parts[p]);
        rc = qtp_matrix_check(&o->parts[p], mach, err, errlen);
    }
    return rc;
}

void qtp_run_opts_free(struct qtp_run_opts *o)
{
    free(o->parts);
    o->parts = NULL;
    o->nparts = 0;
}

/* ---------------------------------------------------------------- --help */

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
    for (size_t i = 0; i < O_COUNT; i++) {
        const struct opt_def *d = &qtp_cli_opts[i];
        char left[64], text[768], range[160] = "";
        bool list = d->kind == K_PARAM && !(d->flags & F_SCALAR);
        if (d->short_name)
            qtp_fmt(left, sizeof left, "-%c, --%s%s%s", d->short_name, d->name, d->arg ? " " : "",
                    d->arg ? d->arg : "");
        else
            qtp_fmt(left, sizeof left, "    --%s%s%s", d->name, d->arg ? " " : "",
                    d->arg ? d->arg : "");
        if (d->kind == K_PARAM || (d->kind == K_U64 && d->id != O_SEED)) {
            char r[160];
            qtp_fmt(range, sizeof range, " Accepted: %s.", range_text(d, r, sizeof r));
        }
        qtp_fmt(text, sizeof text, "%s%s.%s", d->help, list ? "; a list sweeps" : "", range);
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
