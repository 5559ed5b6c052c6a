/* machine_text.c - the machine as meta.json and `qtopo info --json` hold it, and as `qtopo info`
 * prints it: the counts, the PUs, NUMA nodes and distances, caches, and which placement and
 * memory policies are possible here (and why not). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "numa_mem.h"
#include "placement.h"

static void node_cpus_text(const struct qtp_machine *m, unsigned k, char *buf, size_t len)
{
    int *ids = malloc((m->npus ? m->npus : 1) * sizeof(int));
    size_t n = 0;
    if (!ids) {
        snprintf(buf, len, "?");
        return;
    }
    for (unsigned i = 0; i < m->npus; i++)
        if (m->pus[i].node == m->nodes[k].os)
            ids[n++] = m->pus[i].os;
    qtp_cpulist_format(ids, n, buf, len);
    free(ids);
}

/* ---- what is possible here (shared by JSON and text) ---- */

struct possibility {
    const char *name;
    bool possible;
    char reason[QTP_REASON_MAX];
};

/* Placement rows: one per registry entry; cpus:LIST is checked with all of the machine's CPUs. */
static size_t placement_possibilities(const struct qtp_machine *m, struct possibility *out,
                                      size_t max)
{
    size_t n = 0;
    for (const struct qtp_placement_policy *p = qtp_placement_policies; p->name && n < max; p++) {
        struct qtp_placement_spec *s = calloc(1, sizeof(*s));
        if (!s)
            break;
        s->kind = p->kind;
        snprintf(s->name, sizeof(s->name), "%s", p->syntax);
        if (p->kind == QTP_PLACE_CPUS) {
            for (unsigned i = 0; i < m->npus && i < QTP_PLACEMENT_MAX_CPUS; i++)
                s->cpus[s->ncpus++] = m->pus[i].os;
        }
        out[n].name = p->syntax;
        out[n].possible = qtp_placement_possible(m, s, out[n].reason, sizeof(out[n].reason));
        if (out[n].possible) {
            char cpus[256];
            qtp_machine_cpus_text(m, cpus, sizeof(cpus));
            if (p->kind == QTP_PLACE_CPUS)
                snprintf(out[n].reason, sizeof(out[n].reason), "CPUs %s", cpus);
            else
                out[n].reason[0] = '\0';
        }
        free(s);
        n++;
    }
    return n;
}

static size_t memory_possibilities(const struct qtp_machine *m, struct possibility *out, size_t max)
{
    size_t n = 0;
    char nodes[256];
    qtp_machine_nodes_text(m, nodes, sizeof(nodes));
    for (const struct qtp_memory_policy *p = qtp_memory_policies; p->name && n < max; p++) {
        struct qtp_memory_spec s = {.kind = p->kind, .node = -1};
        snprintf(s.name, sizeof(s.name), "%s", p->syntax);
        out[n].name = p->syntax;
        out[n].reason[0] = '\0';
        if (p->kind == QTP_MEM_NODE) {
            /* The nodes that work (the policy acts on the kernel we run on, which may have
             * fewer nodes than a synthetic or XML machine). */
            int *ok = calloc(m->nnodes ? m->nnodes : 1, sizeof(int));
            size_t nok = 0;
            char why[QTP_REASON_MAX] = "";
            for (unsigned k = 0; ok && k < m->nnodes; k++) {
                s.node = m->nodes[k].os;
                if (qtp_memory_possible(m, &s, why, sizeof(why)))
                    ok[nok++] = s.node;
            }
            out[n].possible = nok > 0;
            if (nok) {
                char list[256];
                qtp_cpulist_format(ok, nok, list, sizeof(list));
                if (nok == m->nnodes)
                    snprintf(out[n].reason, sizeof(out[n].reason), "N in %s", list);
                else
                    snprintf(
                        out[n].reason, sizeof(out[n].reason),
                        "N in %s (the topology has nodes %s; memory comes from the running kernel)",
                        list, nodes);
            } else {
                snprintf(out[n].reason, sizeof(out[n].reason), "%s", why);
            }
            free(ok);
        } else {
            out[n].possible = qtp_memory_possible(m, &s, out[n].reason, sizeof(out[n].reason));
            if (out[n].possible && p->kind == QTP_MEM_INTERLEAVE && m->nnodes < 2)
                snprintf(out[n].reason, sizeof(out[n].reason),
                         "one NUMA node: the same pages as node:%d",
                         m->nnodes ? m->nodes[0].os : 0);
            else if (out[n].possible)
                out[n].reason[0] = '\0';
        }
        n++;
    }
    return n;
}

/* ---- JSON ---- */

static json_t *jstr(const char *s)
{
    return json_string(s ? s : "");
}

json_t *qtp_machine_to_json(const struct qtp_machine *m, unsigned flags)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    bad |= json_object_set_new(o, "source", jstr(m->source));
    bad |= json_object_set_new(o, "this_system", json_boolean(m->this_system));
    bad |= json_object_set_new(o, "hostname", jstr(m->hostname));
    bad |= json_object_set_new(o, "cpu_model", jstr(m->cpu_model));
    bad |= json_object_set_new(o, "kernel", jstr(m->kernel));
    bad |= json_object_set_new(o, "governor", m->governor[0] ? jstr(m->governor) : json_null());
    bad |= json_object_set_new(o, "hwloc_version", jstr(m->hwloc_version));
    bad |= json_object_set_new(o, "numa_available", json_boolean(m->numa_api));
    bad |= json_object_set_new(o, "packages", json_integer(m->npackages));
    bad |= json_object_set_new(o, "cores", json_integer(m->ncores));
    bad |= json_object_set_new(o, "pus", json_integer(m->npus));
    bad |= json_object_set_new(o, "numa_nodes", json_integer(m->nnodes));
    bad |= json_object_set_new(o, "smt", json_integer(m->smt_max));
    char cpus[1024];
    qtp_machine_cpus_text(m, cpus, sizeof(cpus));
    bad |= json_object_set_new(o, "cpus", jstr(cpus));

    json_t *nodes = json_array();
    for (unsigned k = 0; nodes && k < m->nnodes; k++) {
        node_cpus_text(m, k, cpus, sizeof(cpus));
        bad |= json_array_append_new(
            nodes, json_pack("{s:i, s:I, s:s}", "os_index", m->nodes[k].os, "memory_bytes",
                             (json_int_t)m->nodes[k].memory_bytes, "cpus", cpus));
    }
    bad |= json_object_set_new(o, "nodes", nodes);

    json_t *dist = json_null();
    if (m->distances) {
        json_t *matrix = json_array();
        for (unsigned i = 0; matrix && i < m->nnodes; i++) {
            json_t *row = json_array();
            for (unsigned j = 0; row && j < m->nnodes; j++)
                bad |= json_array_append_new(
                    row, json_integer((json_int_t)m->distances[(size_t)i * m->nnodes + j]));
            bad |= json_array_append_new(matrix, row);
        }
        dist = json_pack("{s:s, s:o}", "source", m->distances_source, "matrix", matrix);
    }
    bad |= json_object_set_new(o, "distances", dist);

    json_t *caches = json_array();
    for (unsigned i = 0; caches && i < m->ncaches; i++) {
        const struct qtp_cache_level *c = &m->caches[i];
        bad |= json_array_append_new(
            caches, json_pack("{s:s, s:i, s:I, s:i, s:i, s:i}", "name", c->name, "level",
                              (int)c->depth, "size_bytes", (json_int_t)c->size_bytes, "line_bytes",
                              (int)c->line_bytes, "instances", (int)c->instances,
                              "pus_per_instance", (int)c->pus_per_instance));
    }
    bad |= json_object_set_new(o, "caches", caches);

    if (flags & QTP_MACHINE_JSON_PUS) {
        json_t *pus = json_array();
        for (unsigned i = 0; pus && i < m->npus; i++) {
            const struct qtp_pu *p = &m->pus[i];
            bad |= json_array_append_new(
                pus, json_pack("{s:i, s:i, s:i, s:i, s:i}", "os_index", p->os, "core", p->core,
                               "package", p->package, "node", p->node, "smt_rank", p->smt_rank));
        }
        bad |= json_object_set_new(o, "pu_table", pus);
    }
    if (flags & QTP_MACHINE_JSON_PLACEMENTS) {
        struct possibility *rows = calloc(32, sizeof(*rows));
        json_t *pl = json_array(), *mem = json_array();
        if (!rows) {
            bad = 1;
        } else {
            size_t n = placement_possibilities(m, rows, 32);
            for (size_t i = 0; pl && i < n; i++)
                bad |= json_array_append_new(pl, json_pack("{s:s, s:b, s:s}", "name", rows[i].name,
                                                           "possible", rows[i].possible, "reason",
                                                           rows[i].reason));
            n = memory_possibilities(m, rows, 32);
            for (size_t i = 0; mem && i < n; i++)
                bad |= json_array_append_new(mem, json_pack("{s:s, s:b, s:s}", "name", rows[i].name,
                                                            "possible", rows[i].possible, "reason",
                                                            rows[i].reason));
            free(rows);
        }
        bad |= json_object_set_new(o, "placements", pl);
        bad |= json_object_set_new(o, "memory", mem);
    }
    if (flags & QTP_MACHINE_JSON_XML) {
        char *xml = NULL;
        if (qtp_machine_xml(m, &xml) == 0) {
            bad |= json_object_set_new(o, "hwloc_xml", json_string(xml));
            free(xml);
        } else {
            bad |= json_object_set_new(o, "hwloc_xml", json_null());
        }
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- text ---- */

static void size_text(uint64_t bytes, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double v = (double)bytes;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (v == (double)(uint64_t)v)
        snprintf(buf, len, "%llu %s", (unsigned long long)v, unit[u]);
    else
        snprintf(buf, len, "%.1f %s", v, unit[u]);
}

static bool same_order(const struct qtp_machine *m, enum qtp_placement_kind a,
                       enum qtp_placement_kind b)
{
    struct qtp_placement_spec *s = calloc(2, sizeof(*s));
    struct qtp_plan *p = calloc(2, sizeof(*p));
    bool same = false;
    unsigned n = m->npus < QTP_MAX_THREADS ? m->npus : QTP_MAX_THREADS;
    struct qtp_plan_request req = {.nthreads = n, .producers = 1};
    if (s && p) {
        s[0].kind = a;
        s[1].kind = b;
        same = qtp_placement_plan(m, &s[0], &req, &p[0]) == 0 &&
               qtp_placement_plan(m, &s[1], &req, &p[1]) == 0 &&
               memcmp(p[0].pu, p[1].pu, n * sizeof(int)) == 0;
    }
    free(s);
    free(p);
    return same;
}

int qtp_machine_print(const struct qtp_machine *m, FILE *f)
{
    char buf[1024], sz[64];
    fprintf(f, "Machine: %s (%s)\n", m->hostname, m->source);
    fprintf(f, "  CPU model: %s\n", m->cpu_model);
    fprintf(f, "  Kernel:    %s\n", m->kernel);
    fprintf(f, "  Governor:  %s\n", m->governor[0] ? m->governor : "not readable");
    fprintf(f, "  hwloc:     %s\n", m->hwloc_version);
    fprintf(f, "  %u package%s, %u NUMA node%s, %u core%s, %u PU%s", m->npackages,
            m->npackages == 1 ? "" : "s", m->nnodes, m->nnodes == 1 ? "" : "s", m->ncores,
            m->ncores == 1 ? "" : "s", m->npus, m->npus == 1 ? "" : "s");
    if (m->smt_max > 1)
        fprintf(f, " (SMT: up to %u PUs per core)\n", m->smt_max);
    else
        fprintf(f, " (no SMT: 1 PU per core)\n");
    qtp_machine_cpus_text(m, buf, sizeof(buf));
    fprintf(f, "  CPUs (OS numbers) usable here: %s\n", buf);

    fprintf(f, "NUMA nodes:%s\n", m->nnodes ? "" : " none reported");
    for (unsigned k = 0; k < m->nnodes; k++) {
        node_cpus_text(m, k, buf, sizeof(buf));
        size_text(m->nodes[k].memory_bytes, sz, sizeof(sz));
        fprintf(f, "  node %d: %s, CPUs %s\n", m->nodes[k].os, sz, buf);
    }
    if (m->distances) {
        fprintf(f, "  distances (%s):\n      ", m->distances_source);
        for (unsigned j = 0; j < m->nnodes; j++)
            fprintf(f, " %5d", m->nodes[j].os);
        fprintf(f, "\n");
        for (unsigned i = 0; i < m->nnodes; i++) {
            fprintf(f, "  %4d:", m->nodes[i].os);
            for (unsigned j = 0; j < m->nnodes; j++)
                fprintf(f, " %5llu", (unsigned long long)m->distances[(size_t)i * m->nnodes + j]);
            fprintf(f, "\n");
        }
    } else if (m->nnodes) {
        fprintf(f, "  distances: unknown\n");
    }

    fprintf(f, "Caches:%s\n", m->ncaches ? "" : " none reported");
    for (unsigned i = 0; i < m->ncaches; i++) {
        const struct qtp_cache_level *c = &m->caches[i];
        size_text(c->size_bytes, sz, sizeof(sz));
        fprintf(f, "  %-4s %s x%u, each shared by %u PU%s", c->name, sz, c->instances,
                c->pus_per_instance, c->pus_per_instance == 1 ? "" : "s");
        if (c->line_bytes)
            fprintf(f, ", %u-byte lines", c->line_bytes);
        fprintf(f, "\n");
    }

    fprintf(f, "Topology (package / NUMA node / core: PUs by OS number):\n");
    int pkg = -1, node = -2, core = -1;
    bool open = false; /* a core line is being written */
    for (unsigned i = 0; i < m->npus; i++) {
        const struct qtp_pu *p = &m->pus[i];
        bool new_pkg = i == 0 || p->package != pkg;
        bool new_node = new_pkg || p->node != node;
        bool new_core = new_node || p->core != core;
        if (new_core && open)
            fprintf(f, "\n");
        if (new_pkg)
            fprintf(f, "  Package %d\n", p->package);
        if (new_node && p->node >= 0)
            fprintf(f, "    NUMA node %d\n", p->node);
        else if (new_node)
            fprintf(f, "    NUMA node ?\n");
        if (new_core)
            fprintf(f, "      Core %d: PU %d", p->core, p->os);
        else
            fprintf(f, ",%d", p->os);
        open = true;
        pkg = p->package;
        node = p->node;
        core = p->core;
    }
    if (open)
        fprintf(f, "\n");

    struct possibility *rows = calloc(32, sizeof(*rows));
    if (!rows)
        return ENOMEM;
    size_t n = placement_possibilities(m, rows, 32);
    fprintf(f, "Placements (-p):\n");
    for (size_t i = 0; i < n; i++) {
        const char *extra = rows[i].reason;
        if (rows[i].possible && strcmp(rows[i].name, "spread") == 0 &&
            same_order(m, QTP_PLACE_SPREAD, QTP_PLACE_COMPACT))
            extra = "same PU order as compact on this machine";
        fprintf(f, "  %-11s %s%s%s\n", rows[i].name, rows[i].possible ? "yes" : "no",
                extra[0] ? ": " : "", extra);
    }
    fprintf(f,
            "  busy-spin cells (-w spin) need one PU per thread: at most %u thread%s here "
            "unless --oversubscribe\n",
            m->npus, m->npus == 1 ? "" : "s");
    n = memory_possibilities(m, rows, 32);
    fprintf(f, "Memory (-m):\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-11s %s%s%s\n", rows[i].name, rows[i].possible ? "yes" : "no",
                rows[i].reason[0] ? ": " : "", rows[i].reason);
    free(rows);
    if (!m->this_system)
        fprintf(f, "Note: not this machine (%s): plans only, threads cannot be bound to it.\n",
                m->source);
    return ferror(f) ? EIO : 0;
}
