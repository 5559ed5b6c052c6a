/* placement.c - placement policies: parse, plan, bind, and the CPU sampler. */
#include "placement.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <hwloc.h>

#include "qtp_text.h"

const struct qtp_placement_policy qtp_placement_policies[] = {
    {"os", "os", "no binding: the scheduler places threads", QTP_PLACE_OS},
    {"compact", "compact", "fill PUs in order: a core's SMT siblings, then the next core",
     QTP_PLACE_COMPACT},
    {"spread", "spread",
     "one PU per core first, round-robin over packages, then NUMA nodes, then cores",
     QTP_PLACE_SPREAD},
    {"smt", "smt", "producer and first consumer on SMT siblings of one core, the rest compact",
     QTP_PLACE_SMT},
    {"cross-numa", "cross-numa",
     "producers on the first NUMA node, consumers round-robin over the other nodes",
     QTP_PLACE_CROSS_NUMA},
    {"cpus", "cpus:LIST", "thread i on the i-th CPU of LIST (e.g. 0-3,8,10-11), cycling",
     QTP_PLACE_CPUS},
    {NULL, NULL, NULL, 0},
};

#define LIST_EXAMPLE "LIST is like 0-3,8,10-11"

static void accepted_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const struct qtp_placement_policy *p = qtp_placement_policies; p->name; p++) {
        int k = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", p->syntax);
        if (k < 0 || (size_t)k >= len - used)
            break;
        used += (size_t)k;
    }
}

/* Parse one CPU number at *pp; advances *pp. false if there is no number there. */
static bool parse_cpu(const char **pp, long *out)
{
    const char *p = *pp;
    if (*p < '0' || *p > '9')
        return false;
    long v = 0;
    while (*p >= '0' && *p <= '9') {
        if (v <= QTP_PLACEMENT_MAX_CPU_ID)
            v = v * 10 + (*p - '0');
        p++;
    }
    *out = v;
    *pp = p;
    return true;
}

/* The offending token starting at p: up to the next ',' or '-' (at least one character). */
static void token_at(const char *p, char *buf, size_t len)
{
    size_t n = strcspn(p + (*p ? 1 : 0), ",-") + (*p ? 1 : 0);
    if (n >= len)
        n = len - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
}

static int parse_cpus(const char *text, const char *list, struct qtp_placement_spec *out, char *err,
                      size_t errlen)
{
    const char *p = list;
    char tok[64];
    if (!*p) {
        qtp_set_err(err, errlen, "%s: cpus: needs a list of CPUs (" LIST_EXAMPLE ")", text);
        return EINVAL;
    }
    for (;;) {
        long a, b;
        const char *start = p;
        if (!parse_cpu(&p, &a)) {
            token_at(p, tok, sizeof(tok));
            if (tok[0])
                qtp_set_err(err, errlen, "%s: '%s' is not a CPU number (" LIST_EXAMPLE ")", text,
                            tok);
            else
                qtp_set_err(err, errlen,
                            "%s: a CPU number is missing at the end (" LIST_EXAMPLE ")", text);
            return EINVAL;
        }
        b = a;
        if (*p == '-') {
            p++;
            if (!parse_cpu(&p, &b)) {
                token_at(p, tok, sizeof(tok));
                if (tok[0])
                    qtp_set_err(err, errlen, "%s: '%s' is not a CPU number (" LIST_EXAMPLE ")",
                                text, tok);
                else
                    qtp_set_err(err, errlen, "%s: range '%.*s' has no end (" LIST_EXAMPLE ")", text,
                                (int)(p - start), start);
                return EINVAL;
            }
        }
        if (a > QTP_PLACEMENT_MAX_CPU_ID || b > QTP_PLACEMENT_MAX_CPU_ID) {
            qtp_set_err(err, errlen, "%s: CPU number '%.*s' is too large (at most %d)", text,
                        (int)(p - start), start, QTP_PLACEMENT_MAX_CPU_ID);
            return EINVAL;
        }
        if (b < a) {
            qtp_set_err(err, errlen,
                        "%s: range '%.*s' is reversed (write %ld-%ld; " LIST_EXAMPLE ")", text,
                        (int)(p - start), start, b, a);
            return EINVAL;
        }
        for (long c = a; c <= b; c++) {
            if (out->ncpus >= QTP_PLACEMENT_MAX_CPUS) {
                qtp_set_err(err, errlen, "%s: more than %d CPUs in the list", text,
                            QTP_PLACEMENT_MAX_CPUS);
                return EINVAL;
            }
            out->cpus[out->ncpus++] = (int)c;
        }
        if (*p == '\0')
            return 0;
        if (*p != ',') {
            token_at(p, tok, sizeof(tok));
            qtp_set_err(err, errlen, "%s: unexpected '%s' (" LIST_EXAMPLE ")", text, tok);
            return EINVAL;
        }
        p++;
    }
}

int qtp_placement_parse(const char *text, const struct qtp_machine *m,
                        struct qtp_placement_spec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!text)
        text = "";
    snprintf(out->name, sizeof(out->name), "%s", text);
    const struct qtp_placement_policy *found = NULL;
    const char *arg = NULL;
    for (const struct qtp_placement_policy *p = qtp_placement_policies; p->name; p++) {
        size_t n = strlen(p->name);
        if (p->kind == QTP_PLACE_CPUS) {
            if (strncmp(text, p->name, n) == 0 && text[n] == ':') {
                found = p;
                arg = text + n + 1;
                break;
            }
        } else if (strcmp(text, p->name) == 0) {
            found = p;
            break;
        }
    }
    if (!found) {
        char names[256];
        accepted_names(names, sizeof(names));
        if (strcmp(text, "cpus") == 0)
            qtp_set_err(err, errlen, "placement 'cpus' needs a list: cpus:LIST (" LIST_EXAMPLE ")");
        else
            qtp_set_err(err, errlen, "unknown placement '%s' (accepted: %s)", text, names);
        return EINVAL;
    }
    out->kind = found->kind;
    if (found->kind == QTP_PLACE_CPUS) {
        int rc = parse_cpus(text, arg, out, err, errlen);
        if (rc)
            return rc;
    }
    return m ? qtp_placement_validate(out, m, err, errlen) : 0;
}

/* The first CPU of s the machine lacks, or -1. */
static int missing_cpu(const struct qtp_placement_spec *s, const struct qtp_machine *m)
{
    for (size_t i = 0; i < s->ncpus; i++)
        if (qtp_machine_pu_index(m, s->cpus[i]) < 0)
            return s->cpus[i];
    return -1;
}

static void missing_cpu_text(const struct qtp_placement_spec *s, const struct qtp_machine *m,
                             int cpu, char *buf, size_t len)
{
    char have[512];
    qtp_machine_cpus_text(m, have, sizeof(have));
    qtp_set_err(buf, len, "%s: CPU %d does not exist (this machine has CPUs %s)", s->name, cpu,
                have);
}

int qtp_placement_validate(const struct qtp_placement_spec *s, const struct qtp_machine *m,
                           char *err, size_t errlen)
{
    if (s->kind != QTP_PLACE_CPUS)
        return 0;
    int cpu = missing_cpu(s, m);
    if (cpu >= 0) {
        missing_cpu_text(s, m, cpu, err, errlen);
        return EINVAL;
    }
    return 0;
}

bool qtp_placement_possible(const struct qtp_machine *m, const struct qtp_placement_spec *s,
                            char *reason, size_t len)
{
    if (reason && len)
        reason[0] = '\0';
    switch (s->kind) {
    case QTP_PLACE_SMT:
        if (m->smt_max < 2) {
            qtp_set_err(reason, len, "smt needs SMT siblings: cores have 1 PU each");
            return false;
        }
        return true;
    case QTP_PLACE_CROSS_NUMA:
        if (m->nnodes_with_cpus < 2) {
            if (m->nnodes_with_cpus == m->nnodes)
                qtp_set_err(reason, len, "cross-numa needs 2 NUMA nodes, this machine has %u",
                            m->nnodes);
            else
                qtp_set_err(reason, len,
                            "cross-numa needs 2 NUMA nodes with CPUs, this machine has %u (of %u "
                            "nodes)",
                            m->nnodes_with_cpus, m->nnodes);
            return false;
        }
        return true;
    case QTP_PLACE_CPUS: {
        int cpu = missing_cpu(s, m);
        if (s->ncpus == 0) {
            qtp_set_err(reason, len, "%s: no CPUs given", s->name);
            return false;
        }
        if (cpu >= 0) {
            missing_cpu_text(s, m, cpu, reason, len);
            return false;
        }
        return true;
    }
    case QTP_PLACE_OS:
    case QTP_PLACE_COMPACT:
    case QTP_PLACE_SPREAD:
        return true;
    }
    return false;
}

/* ---- PU orders (indices into m->pus) ---- */

struct spread_key {
    int smt_rank, core_rank, node_rank, package, index;
};

static int cmp_spread(const void *a, const void *b)
{
    const struct spread_key *x = a, *y = b;
    if (x->smt_rank != y->smt_rank)
        return x->smt_rank - y->smt_rank;
    if (x->core_rank != y->core_rank)
        return x->core_rank - y->core_rank;
    if (x->node_rank != y->node_rank)
        return x->node_rank - y->node_rank;
    if (x->package != y->package)
        return x->package - y->package;
    return x->index - y->index;
}

/* spread: sort by (smt rank, core rank inside its (package, node) group, node rank inside its
 * package, package): that is round-robin over packages, then over a package's nodes, then over
 * a node's cores, and only then the second PU of each core. Ranks are by first appearance in
 * logical order, so sparse indices (a cpuset leaving out a package) stay dense. */
static int order_spread(const struct qtp_machine *m, int *order, unsigned *n)
{
    unsigned np = m->npus;
    int maxcore = 0;
    for (unsigned i = 0; i < np; i++)
        if (m->pus[i].core > maxcore)
            maxcore = m->pus[i].core;
    struct spread_key *k = calloc(np, sizeof(*k));
    int *grp_pkg = calloc(np, sizeof(int)); /* group g = (package, node) */
    int *grp_node = calloc(np, sizeof(int));
    int *grp_noderank = calloc(np, sizeof(int));
    int *grp_ncores = calloc(np, sizeof(int));
    int *pkgs = calloc(np, sizeof(int));
    int *core_rank = malloc(((size_t)maxcore + 1) * sizeof(int));
    int rc = ENOMEM;
    if (!k || !grp_pkg || !grp_node || !grp_noderank || !grp_ncores || !pkgs || !core_rank)
        goto out;
    for (int c = 0; c <= maxcore; c++)
        core_rank[c] = -1;
    unsigned ngroups = 0, npkgs = 0;
    for (unsigned i = 0; i < np; i++) {
        const struct qtp_pu *p = &m->pus[i];
        unsigned pk;
        for (pk = 0; pk < npkgs && pkgs[pk] != p->package; pk++)
            ;
        if (pk == npkgs)
            pkgs[npkgs++] = p->package;
        unsigned g;
        int noderank = 0;
        for (g = 0; g < ngroups; g++) {
            if (grp_pkg[g] != (int)pk)
                continue;
            if (grp_node[g] == p->node)
                break;
            noderank++;
        }
        if (g == ngroups) {
            grp_pkg[g] = (int)pk;
            grp_node[g] = p->node;
            grp_noderank[g] = noderank;
            ngroups++;
        }
        if (core_rank[p->core] < 0)
            core_rank[p->core] = grp_ncores[g]++;
        k[i].smt_rank = p->smt_rank;
        k[i].core_rank = core_rank[p->core];
        k[i].node_rank = grp_noderank[g];
        k[i].package = (int)pk;
        k[i].index = (int)i;
    }
    qsort(k, np, sizeof(*k), cmp_spread);
    for (unsigned i = 0; i < np; i++)
        order[i] = k[i].index;
    *n = np;
    rc = 0;
out:
    free(k);
    free(grp_pkg);
    free(grp_node);
    free(grp_noderank);
    free(grp_ncores);
    free(pkgs);
    free(core_rank);
    return rc;
}

/* Inside one node: one PU per core first, i.e. (smt rank, logical order). */
static unsigned order_node(const struct qtp_machine *m, int node, int *order)
{
    unsigned n = 0;
    for (int r = 0; r < (int)m->smt_max; r++)
        for (unsigned i = 0; i < m->npus; i++)
            if (m->pus[i].node == node && m->pus[i].smt_rank == r)
                order[n++] = (int)i;
    return n;
}

static void finish(const struct qtp_machine *m, const struct qtp_placement_spec *s,
                   const struct qtp_plan_request *req, struct qtp_plan *out)
{
    unsigned n = req->nthreads;
    if (s->kind == QTP_PLACE_OS) {
        out->npus_used = m->npus;
        out->shares_pus = n > m->npus;
    } else {
        unsigned distinct = 0;
        out->shares_pus = false;
        for (unsigned i = 0; i < n; i++) {
            bool first = true;
            for (unsigned j = 0; j < i; j++)
                if (out->pu[j] == out->pu[i]) {
                    first = false;
                    out->shares_pus = true;
                    break;
                }
            distinct += first;
        }
        out->npus_used = distinct;
    }
    for (unsigned i = 0; i < n; i++)
        out->node[i] = out->pu[i] >= 0 ? qtp_machine_pu_node(m, out->pu[i]) : -1;
    if (out->shares_pus && req->spin) {
        if (req->oversubscribe) {
            out->oversubscribed = true;
        } else {
            out->verdict = QTP_PLAN_SKIPPED;
            qtp_set_err(
                out->reason, sizeof(out->reason),
                "spin with %u threads on %u PU%s (%s): busy-spin oversubscription collapses; "
                "pass --oversubscribe to run it",
                n, out->npus_used, out->npus_used == 1 ? "" : "s", s->name[0] ? s->name : "?");
        }
    }
}

int qtp_placement_plan(const struct qtp_machine *m, const struct qtp_placement_spec *s,
                       const struct qtp_plan_request *req, struct qtp_plan *out)
{
    unsigned n = req->nthreads;
    if (n == 0 || n > QTP_MAX_THREADS)
        return EINVAL;
    unsigned prod = req->producers ? req->producers : 1;
    if (prod > n)
        prod = n;
    memset(out, 0, sizeof(*out));
    out->nthreads = n;
    out->verdict = QTP_PLAN_OK;
    for (unsigned i = 0; i < QTP_MAX_THREADS; i++)
        out->pu[i] = out->node[i] = -1;
    if (!qtp_placement_possible(m, s, out->reason, sizeof(out->reason))) {
        out->verdict = QTP_PLAN_SKIPPED;
        return 0;
    }
    unsigned np = m->npus;
    int *order = calloc(np + 1, sizeof(int));
    if (!order)
        return ENOMEM;
    int rc = 0;
    switch (s->kind) {
    case QTP_PLACE_OS:
        break;
    case QTP_PLACE_COMPACT:
        for (unsigned i = 0; i < n; i++)
            out->pu[i] = m->pus[i % np].os;
        break;
    case QTP_PLACE_SPREAD: {
        unsigned cnt;
        rc = order_spread(m, order, &cnt);
        for (unsigned i = 0; rc == 0 && i < n; i++)
            out->pu[i] = m->pus[order[i % cnt]].os;
        break;
    }
    case QTP_PLACE_SMT: {
        /* The first core with two PUs: its first two PUs, then the other cores compact, then
         * that core's other siblings. */
        unsigned a = 0;
        while (a < np && m->pus[a].smt_rank != 1)
            a++;
        int core = m->pus[a].core;
        unsigned cnt = 0;
        for (unsigned i = 0; i < np; i++)
            if (m->pus[i].core == core && m->pus[i].smt_rank < 2)
                order[cnt++] = (int)i;
        for (unsigned i = 0; i < np; i++)
            if (m->pus[i].core != core)
                order[cnt++] = (int)i;
        for (unsigned i = 0; i < np; i++)
            if (m->pus[i].core == core && m->pus[i].smt_rank >= 2)
                order[cnt++] = (int)i;
        /* Thread 0 and the first consumer (thread prod) take the siblings; the others follow
         * in thread order. */
        unsigned next = 0;
        out->pu[0] = m->pus[order[next++]].os;
        if (prod < n)
            out->pu[prod] = m->pus[order[next++]].os;
        for (unsigned i = 1; i < n; i++)
            if (i != prod)
                out->pu[i] = m->pus[order[next++ % cnt]].os;
        break;
    }
    case QTP_PLACE_CROSS_NUMA: {
        int first = -1;
        int *others = calloc(m->nnodes, sizeof(int));
        unsigned nothers = 0;
        if (!others) {
            rc = ENOMEM;
            break;
        }
        for (unsigned k = 0; k < m->nnodes; k++) {
            if (m->nodes[k].npus == 0)
                continue;
            if (first < 0)
                first = m->nodes[k].os;
            else
                others[nothers++] = m->nodes[k].os;
        }
        unsigned cnt = order_node(m, first, order);
        for (unsigned i = 0; i < prod; i++)
            out->pu[i] = m->pus[order[i % cnt]].os;
        for (unsigned j = 0; prod + j < n; j++) {
            unsigned c = order_node(m, others[j % nothers], order);
            out->pu[prod + j] = m->pus[order[(j / nothers) % c]].os;
        }
        free(others);
        break;
    }
    case QTP_PLACE_CPUS:
        for (unsigned i = 0; i < n; i++)
            out->pu[i] = s->cpus[i % s->ncpus];
        break;
    }
    free(order);
    if (rc)
        return rc;
    finish(m, s, req, out);
    return 0;
}

int qtp_plan_format(const struct qtp_plan *p, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    bool any = false;
    for (unsigned i = 0; i < p->nthreads; i++)
        any |= p->pu[i] >= 0;
    if (!any)
        return snprintf(buf, len, "unbound");
    for (unsigned i = 0; i < p->nthreads; i++) {
        char item[32];
        int k = snprintf(item, sizeof(item), "%s%u:P%d", i ? " " : "", i, p->pu[i]);
        if (used + (size_t)k < len)
            memcpy(buf + used, item, (size_t)k + 1);
        used += (size_t)k;
    }
    return (int)used;
}

/* ---- binding ---- */

int qtp_placement_bind_self(const struct qtp_machine *m, int os)
{
    if (os < 0)
        return 0;
    if (!m->this_system)
        return ENOTSUP;
    if (qtp_machine_pu_index(m, os) < 0)
        return ENOENT;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return ENOMEM;
    hwloc_bitmap_only(set, (unsigned)os);
    int rc = 0;
    errno = 0;
    if (hwloc_set_cpubind(m->topo, set, HWLOC_CPUBIND_THREAD) != 0)
        rc = errno ? errno : EINVAL;
    hwloc_bitmap_free(set);
    return rc;
}

int qtp_placement_unbind_self(const struct qtp_machine *m)
{
    if (!m->this_system)
        return ENOTSUP;
    errno = 0;
    if (hwloc_set_cpubind(m->topo, hwloc_topology_get_allowed_cpuset(m->topo),
                          HWLOC_CPUBIND_THREAD) != 0)
        return errno ? errno : EINVAL;
    return 0;
}
