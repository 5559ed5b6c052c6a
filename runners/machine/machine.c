/* machine.c - hwloc discovery flattened into struct qtp_machine; `qtopo info` text and JSON. */
#include "machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <hwloc.h>
#include <numa.h>

#include "numa_mem.h"
#include "placement.h"
#include "qtp_text.h"

#ifndef QTP_HWLOC_VERSION
#define QTP_HWLOC_VERSION "unknown"
#endif

/* Copy the first line of a file into buf without the newline; false if unreadable/empty. */
static bool read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    buf[strcspn(buf, "\n")] = '\0';
    return buf[0] != '\0';
}

static void cpu_model_from_proc(char *buf, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(buf, len, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

static void fill_host(struct qtp_machine *m)
{
    struct utsname u;
    if (gethostname(m->hostname, sizeof(m->hostname)) != 0)
        snprintf(m->hostname, sizeof(m->hostname), "unknown");
    m->hostname[sizeof(m->hostname) - 1] = '\0';
    if (uname(&u) == 0)
        snprintf(m->kernel, sizeof(m->kernel), "%s %s %s %s", u.sysname, u.release, u.version,
                 u.machine);
    else
        snprintf(m->kernel, sizeof(m->kernel), "unknown");
    if (!read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", m->governor,
                   sizeof(m->governor)))
        m->governor[0] = '\0';
    unsigned v = hwloc_get_api_version();
    snprintf(m->hwloc_version, sizeof(m->hwloc_version), "%s (API %u.%u)", QTP_HWLOC_VERSION,
             v >> 16, (v >> 8) & 0xff);
}

static void fill_cpu_model(struct qtp_machine *m)
{
    hwloc_topology_t t = m->topo;
    m->cpu_model[0] = '\0';
    hwloc_obj_t pkg = hwloc_get_obj_by_type(t, HWLOC_OBJ_PACKAGE, 0);
    const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    if (!model)
        model = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t), "CPUModel");
    if (model)
        snprintf(m->cpu_model, sizeof(m->cpu_model), "%s", model);
    else if (m->this_system)
        cpu_model_from_proc(m->cpu_model, sizeof(m->cpu_model));
    if (!m->cpu_model[0])
        snprintf(m->cpu_model, sizeof(m->cpu_model), "%s",
                 m->this_system ? "unknown" : "unknown (not this machine)");
}

static void fill_caches(struct qtp_machine *m)
{
    static const hwloc_obj_type_t types[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE,
                                             HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE,
                                             HWLOC_OBJ_L5CACHE};
    m->ncaches = 0;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        int n = hwloc_get_nbobjs_by_type(m->topo, types[i]);
        if (n <= 0 || m->ncaches >= QTP_MACHINE_MAX_CACHES)
            continue;
        struct qtp_cache_level *c = &m->caches[m->ncaches++];
        hwloc_obj_t o = hwloc_get_obj_by_type(m->topo, types[i], 0);
        c->depth = o->attr->cache.depth;
        c->size_bytes = o->attr->cache.size;
        c->line_bytes = o->attr->cache.linesize;
        c->instances = (unsigned)n;
        c->pus_per_instance = 0;
        for (int k = 0; k < n; k++) {
            hwloc_obj_t x = hwloc_get_obj_by_type(m->topo, types[i], (unsigned)k);
            int w = x->cpuset ? hwloc_bitmap_weight(x->cpuset) : 0;
            if (w > 0 && (unsigned)w > c->pus_per_instance)
                c->pus_per_instance = (unsigned)w;
        }
        snprintf(c->name, sizeof(c->name), "L%u%s", c->depth,
                 o->attr->cache.type == HWLOC_OBJ_CACHE_DATA ? "d" : "");
    }
}

static void fill_distances(struct qtp_machine *m)
{
    unsigned nn = m->nnodes;
    m->distances = NULL;
    m->distances_source[0] = '\0';
    if (nn == 0)
        return;
    unsigned nr = 1;
    struct hwloc_distances_s *d = NULL;
    if (hwloc_distances_get_by_type(m->topo, HWLOC_OBJ_NUMANODE, &nr, &d, 0, 0) == 0 && nr >= 1 &&
        d && d->nbobjs == nn) {
        m->distances = calloc((size_t)nn * nn, sizeof(uint64_t));
        if (m->distances) {
            for (unsigned i = 0; i < nn; i++)
                for (unsigned j = 0; j < nn; j++) {
                    unsigned a = d->objs[i]->logical_index, b = d->objs[j]->logical_index;
                    if (a < nn && b < nn)
                        m->distances[(size_t)a * nn + b] = d->values[(size_t)i * nn + j];
                }
            const char *name = hwloc_distances_get_name(m->topo, d);
            snprintf(m->distances_source, sizeof(m->distances_source), "hwloc %s",
                     name ? name : "");
        }
    }
    if (d)
        hwloc_distances_release(m->topo, d);
    if (m->distances || !m->numa_api)
        return;
    /* hwloc gives no matrix for one node; ask the kernel's SLIT through libnuma. */
    m->distances = calloc((size_t)nn * nn, sizeof(uint64_t));
    if (!m->distances)
        return;
    for (unsigned i = 0; i < nn; i++)
        for (unsigned j = 0; j < nn; j++) {
            int v = numa_distance(m->nodes[i].os, m->nodes[j].os);
            m->distances[(size_t)i * nn + j] = v > 0 ? (uint64_t)v : 0;
        }
    snprintf(m->distances_source, sizeof(m->distances_source), "libnuma");
}

static int flatten(struct qtp_machine *m)
{
    hwloc_topology_t t = m->topo;
    int npu = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
    int ncore_hw = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
    int npkg = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE);
    int nnode = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    if (npu <= 0)
        return EINVAL;
    if (ncore_hw < 0)
        ncore_hw = 0;
    if (nnode < 0)
        nnode = 0;
    m->npus = (unsigned)npu;
    m->npackages = npkg > 0 ? (unsigned)npkg : 1;
    m->nnodes = (unsigned)nnode;
    m->pus = calloc((size_t)npu, sizeof(*m->pus));
    m->nodes = calloc(nnode > 0 ? (size_t)nnode : 1, sizeof(*m->nodes));
    unsigned *per_core = calloc((size_t)npu + (size_t)ncore_hw, sizeof(unsigned));
    if (!m->pus || !m->nodes || !per_core) {
        free(per_core);
        return ENOMEM;
    }
    for (int i = 0; i < nnode; i++) {
        hwloc_obj_t n = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, (unsigned)i);
        m->nodes[i].os = (int)n->os_index;
        m->nodes[i].memory_bytes = n->attr ? n->attr->numanode.local_memory : 0;
    }
    int next_core = ncore_hw; /* PUs with no core object get a core of their own */
    unsigned ncores_used = 0;
    m->smt_max = 1;
    for (int i = 0; i < npu; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, (unsigned)i);
        struct qtp_pu *p = &m->pus[i];
        p->os = (int)pu->os_index;
        hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu);
        p->core = core ? (int)core->logical_index : next_core++;
        hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_PACKAGE, pu);
        p->package = pkg ? (int)pkg->logical_index : 0;
        p->smt_rank = (int)per_core[p->core]++;
        if (p->smt_rank == 0)
            ncores_used++;
        if ((unsigned)p->smt_rank + 1 > m->smt_max)
            m->smt_max = (unsigned)p->smt_rank + 1;
        p->node = -1;
        for (int k = 0; k < nnode; k++) {
            hwloc_obj_t n = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, (unsigned)k);
            if (n->cpuset && hwloc_bitmap_isset(n->cpuset, pu->os_index)) {
                p->node = (int)n->os_index;
                m->nodes[k].npus++;
                break;
            }
        }
    }
    free(per_core);
    m->ncores = ncores_used;
    m->nnodes_with_cpus = 0;
    for (int k = 0; k < nnode; k++)
        if (m->nodes[k].npus > 0)
            m->nnodes_with_cpus++;
    return 0;
}

int qtp_machine_load(struct qtp_machine **out, const struct qtp_machine_source *src, char *err,
                     size_t errlen)
{
    *out = NULL;
    if (src && src->synthetic && src->xml_path) {
        qtp_set_err(err, errlen, "give either a synthetic topology or an XML file, not both");
        return EINVAL;
    }
    struct qtp_machine *m = calloc(1, sizeof(*m));
    if (!m)
        return ENOMEM;
    hwloc_topology_t t;
    if (hwloc_topology_init(&t) != 0) {
        free(m);
        return ENOMEM;
    }
    m->topo = t;
    int rc = 0;
    if (src && src->synthetic) {
        snprintf(m->source, sizeof(m->source), "synthetic: %s", src->synthetic);
        if (hwloc_topology_set_synthetic(t, src->synthetic) != 0) {
            qtp_set_err(err, errlen,
                        "bad synthetic topology '%s' (hwloc synthetic syntax, e.g. "
                        "'pack:2 numa:2 core:8 pu:2')",
                        src->synthetic);
            rc = EINVAL;
            goto fail;
        }
    } else if (src && src->xml_path) {
        snprintf(m->source, sizeof(m->source), "xml: %s", src->xml_path);
        if (hwloc_topology_set_xml(t, src->xml_path) != 0) {
            qtp_set_err(err, errlen, "cannot read topology XML '%s': %s", src->xml_path,
                        strerror(errno ? errno : EINVAL));
            rc = EINVAL;
            goto fail;
        }
    } else {
        snprintf(m->source, sizeof(m->source), "this machine");
    }
    if (hwloc_topology_load(t) != 0) {
        rc = errno ? errno : EINVAL;
        qtp_set_err(err, errlen, "hwloc cannot load the topology of %s: %s", m->source,
                    strerror(rc));
        goto fail;
    }
    m->this_system = hwloc_topology_is_thissystem(t) && !(src && (src->synthetic || src->xml_path));
    m->numa_api = m->this_system && numa_available() >= 0;
    rc = flatten(m);
    if (rc) {
        qtp_set_err(err, errlen, "topology of %s has no usable PUs", m->source);
        goto fail;
    }
    fill_host(m);
    fill_cpu_model(m);
    fill_caches(m);
    fill_distances(m);
    *out = m;
    return 0;
fail:
    qtp_machine_free(m);
    return rc;
}

int qtp_machine_load_env(struct qtp_machine **out, char *err, size_t errlen)
{
    struct qtp_machine_source src = {getenv(QTP_MACHINE_ENV_SYNTHETIC),
                                     getenv(QTP_MACHINE_ENV_XML)};
    if (src.synthetic && !src.synthetic[0])
        src.synthetic = NULL;
    if (src.xml_path && !src.xml_path[0])
        src.xml_path = NULL;
    if (src.synthetic && src.xml_path) {
        qtp_set_err(err, errlen, "both %s and %s are set: unset one", QTP_MACHINE_ENV_SYNTHETIC,
                    QTP_MACHINE_ENV_XML);
        *out = NULL;
        return EINVAL;
    }
    return qtp_machine_load(out, &src, err, errlen);
}

void qtp_machine_free(struct qtp_machine *m)
{
    if (!m)
        return;
    if (m->topo)
        hwloc_topology_destroy(m->topo);
    free(m->pus);
    free(m->nodes);
    free(m->distances);
    free(m);
}

int qtp_machine_pu_index(const struct qtp_machine *m, int os)
{
    for (unsigned i = 0; i < m->npus; i++)
        if (m->pus[i].os == os)
            return (int)i;
    return -1;
}

int qtp_machine_pu_node(const struct qtp_machine *m, int os)
{
    int i = qtp_machine_pu_index(m, os);
    return i < 0 ? -1 : m->pus[i].node;
}

int qtp_machine_node_index(const struct qtp_machine *m, int os)
{
    for (unsigned i = 0; i < m->nnodes; i++)
        if (m->nodes[i].os == os)
            return (int)i;
    return -1;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int qtp_cpulist_format(const int *ids, size_t n, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    if (n == 0)
        return snprintf(buf, len, "none");
    int *s = malloc(n * sizeof(int));
    if (!s)
        return snprintf(buf, len, "?");
    memcpy(s, ids, n * sizeof(int));
    qsort(s, n, sizeof(int), cmp_int);
    size_t used = 0; /* characters needed so far (may exceed len) */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && (s[j + 1] == s[j] || s[j + 1] == s[j] + 1))
            j++;
        char item[48];
        int k = s[i] == s[j] ? snprintf(item, sizeof(item), "%s%d", used ? "," : "", s[i])
                             : snprintf(item, sizeof(item), "%s%d-%d", used ? "," : "", s[i], s[j]);
        if (used + (size_t)k < len)
            memcpy(buf + used, item, (size_t)k + 1);
        else if (len)
            buf[used < len ? used : len - 1] = '\0';
        used += (size_t)k;
        i = j + 1;
    }
    free(s);
    return (int)used;
}

/* The OS numbers of n objects of `size` bytes whose first member is their int os, as a list. */
static int os_list_text(const void *objs, unsigned n, size_t size, char *buf, size_t len)
{
    int *ids = malloc((n ? n : 1) * sizeof(int));
    if (!ids)
        return snprintf(buf, len, "?");
    for (unsigned i = 0; i < n; i++)
        ids[i] = *(const int *)((const char *)objs + i * size);
    int r = qtp_cpulist_format(ids, n, buf, len);
    free(ids);
    return r;
}

int qtp_machine_cpus_text(const struct qtp_machine *m, char *buf, size_t len)
{
    _Static_assert(offsetof(struct qtp_pu, os) == 0, "os first");
    return os_list_text(m->pus, m->npus, sizeof *m->pus, buf, len);
}

int qtp_machine_nodes_text(const struct qtp_machine *m, char *buf, size_t len)
{
    _Static_assert(offsetof(struct qtp_numa_node, os) == 0, "os first");
    return os_list_text(m->nodes, m->nnodes, sizeof *m->nodes, buf, len);
}

/* CPUs of node index k as a list text. */
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

int qtp_machine_xml(const struct qtp_machine *m, char **xml)
{
    char *buf = NULL;
    int len = 0;
    *xml = NULL;
    if (hwloc_topology_export_xmlbuffer(m->topo, &buf, &len, 0) != 0)
        return errno ? errno : EIO;
    *xml = strdup(buf);
    hwloc_free_xmlbuffer(m->topo, buf);
    return *xml ? 0 : ENOMEM;
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
