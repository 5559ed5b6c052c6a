/* report_hwloc.c - the machine's topology on the report page, from the hwloc XML in meta.json:
 * counts, caches, NUMA nodes and a short lstopo-like tree. */
#include <hwloc.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

#define TREE_MAX_LINES 48

static void fmt_bytes(uint64_t b, char *buf, size_t len)
{
    if (b >= (1ULL << 30))
        snprintf(buf, len, "%.1f GiB", (double)b / (double)(1ULL << 30));
    else if (b >= (1ULL << 20))
        snprintf(buf, len, "%.0f MiB", (double)b / (double)(1ULL << 20));
    else
        snprintf(buf, len, "%.0f KiB", (double)b / 1024.0);
}

static void describe(hwloc_obj_t o, char *buf, size_t len)
{
    char type[64], size[32];
    hwloc_obj_type_snprintf(type, sizeof type, o, 0);
    if (hwloc_obj_type_is_cache(o->type)) {
        fmt_bytes(o->attr->cache.size, size, sizeof size);
        snprintf(buf, len, "%s (%s)", type, size);
    } else if (o->type == HWLOC_OBJ_NUMANODE) {
        fmt_bytes(o->attr->numanode.local_memory, size, sizeof size);
        snprintf(buf, len, "NUMANode P#%u (%s)", o->os_index, size);
    } else if (o->type == HWLOC_OBJ_PU || o->type == HWLOC_OBJ_PACKAGE ||
               o->type == HWLOC_OBJ_CORE) {
        snprintf(buf, len, "%s P#%u", type, o->os_index);
    } else if (o->type == HWLOC_OBJ_MACHINE) {
        fmt_bytes(o->total_memory, size, sizeof size);
        snprintf(buf, len, "Machine (%s)", size);
    } else {
        snprintf(buf, len, "%s", type);
    }
}

struct tree {
    FILE *f;
    int lines, dropped;
};

static void tree_line(struct tree *t, int depth, const char *text)
{
    if (t->lines >= TREE_MAX_LINES) {
        t->dropped++;
        return;
    }
    for (int i = 0; i < depth; i++)
        fputs("  ", t->f);
    qtp_rpt_html_escape(t->f, text);
    fputc('\n', t->f);
    t->lines++;
}

/* lstopo's compact style: a chain of single children on one line ("L2 + L1d + Core + PU"). */
static void tree_walk(struct tree *t, hwloc_obj_t o, int depth)
{
    char line[1024], part[128];
    describe(o, line, sizeof line);
    while (o->arity == 1 && !o->memory_arity) {
        o = o->first_child;
        describe(o, part, sizeof part);
        size_t n = strlen(line);
        snprintf(line + n, sizeof line - n, " + %s", part);
    }
    tree_line(t, depth, line);
    for (hwloc_obj_t m = o->memory_first_child; m; m = m->next_sibling) {
        describe(m, part, sizeof part);
        tree_line(t, depth + 1, part);
    }
    for (hwloc_obj_t c = o->first_child; c; c = c->next_sibling)
        tree_walk(t, c, depth + 1);
}

int qtp_rpt_hwloc_html(FILE *f, const char *xml)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return -1;
    if (hwloc_topology_set_xmlbuffer(topo, xml, (int)strlen(xml) + 1) != 0 ||
        hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return -1;
    }
    int npkg = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
    int ncore = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    int npu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    int nnuma = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    hwloc_obj_t root = hwloc_get_root_obj(topo);
    char mem[32];
    fmt_bytes(root->total_memory, mem, sizeof mem);
    fprintf(f,
            "<p class=\"hw\">%d package%s, %d core%s, %d PU%s (%s), %d NUMA node%s, %s of "
            "memory.",
            npkg, npkg == 1 ? "" : "s", ncore, ncore == 1 ? "" : "s", npu, npu == 1 ? "" : "s",
            npu > ncore ? "SMT" : "no SMT", nnuma, nnuma == 1 ? "" : "s", mem);
    /* Caches: one entry per level, with size and count. */
    int ndepth = hwloc_topology_get_depth(topo);
    bool first = true;
    for (int d = 0; d < ndepth; d++) {
        hwloc_obj_t o = hwloc_get_obj_by_depth(topo, d, 0);
        if (!o || !hwloc_obj_type_is_cache(o->type))
            continue;
        char type[64], size[32], text[160];
        hwloc_obj_type_snprintf(type, sizeof type, o, 0);
        fmt_bytes(o->attr->cache.size, size, sizeof size);
        snprintf(text, sizeof text, "%s%s %s ×%u", first ? " Caches: " : ", ", type, size,
                 hwloc_get_nbobjs_by_depth(topo, d));
        qtp_rpt_html_escape(f, text);
        first = false;
    }
    fputs(first ? "</p>\n" : ".</p>\n", f);

    /* NUMA nodes: PUs and memory of each. */
    fputs("<table class=\"numa\"><tr><th>NUMA node</th><th>PUs (OS numbering)</th>"
          "<th>memory</th></tr>\n",
          f);
    for (int i = 0; i < nnuma; i++) {
        hwloc_obj_t n = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
        char *cpus = NULL;
        hwloc_bitmap_list_asprintf(&cpus, n->cpuset);
        fmt_bytes(n->attr->numanode.local_memory, mem, sizeof mem);
        fprintf(f, "<tr><td>%u</td><td>", n->os_index);
        qtp_rpt_html_escape(f, cpus ? cpus : "?");
        fprintf(f, "</td><td>%s</td></tr>\n", mem);
        free(cpus);
    }
    fputs("</table>\n", f);

    struct tree t = {f, 0, 0};
    fputs("<pre class=\"tree\">", f);
    tree_walk(&t, root, 0);
    if (t.dropped)
        fprintf(f, "... %d more lines: the whole topology is the hwloc XML in meta.json\n",
                t.dropped);
    fputs("</pre>\n", f);
    hwloc_topology_destroy(topo);
    return 0;
}
