/* machine.c - hwloc discovery flattened into struct qtp_machine (its JSON and text are
 * machine_text.c). */
#include "machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <hwloc.h>
#include <numa.h>

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
