/* numa_mem.c - memory policies as an allocation hook, and the page census. */
#include "numa_mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <numa.h>
#include <numaif.h>

#include "qtp_text.h"

const struct qtp_memory_policy qtp_memory_policies[] = {
    {"local", "local",
     "first touch: pages on the node of the thread that writes them first (the producer)",
     QTP_MEM_LOCAL},
    {"interleave", "interleave", "pages round-robin over every node with memory",
     QTP_MEM_INTERLEAVE},
    {"node", "node:N", "every page on NUMA node N (mbind MPOL_BIND, strict)", QTP_MEM_NODE},
    {NULL, NULL, NULL, 0},
};

int qtp_memory_parse(const char *text, const struct qtp_machine *m, struct qtp_memory_spec *out,
                     char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->node = -1;
    if (!text)
        text = "";
    snprintf(out->name, sizeof(out->name), "%s", text);
    if (strcmp(text, "local") == 0) {
        out->kind = QTP_MEM_LOCAL;
        return 0;
    }
    if (strcmp(text, "interleave") == 0) {
        out->kind = QTP_MEM_INTERLEAVE;
        return 0;
    }
    if (strncmp(text, "node:", 5) != 0) {
        if (strcmp(text, "node") == 0)
            qtp_set_err(err, errlen, "memory policy 'node' needs a node number: node:N");
        else
            qtp_set_err(err, errlen,
                        "unknown memory policy '%s' (accepted: local, interleave, node:N)", text);
        return EINVAL;
    }
    const char *p = text + 5;
    long v = 0;
    if (*p < '0' || *p > '9') {
        qtp_set_err(err, errlen, "%s: '%s' is not a NUMA node number (node:N, N like 0 or 1)", text,
                    p);
        return EINVAL;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > 4095) {
            qtp_set_err(err, errlen, "%s: NUMA node number too large (at most 4095)", text);
            return EINVAL;
        }
    }
    if (*p) {
        qtp_set_err(err, errlen, "%s: '%s' is not a NUMA node number (node:N, N like 0 or 1)", text,
                    text + 5);
        return EINVAL;
    }
    out->kind = QTP_MEM_NODE;
    out->node = (int)v;
    if (m && qtp_machine_node_index(m, out->node) < 0) {
        char have[256];
        qtp_machine_nodes_text(m, have, sizeof(have));
        qtp_set_err(err, errlen, "%s: NUMA node %d does not exist (this machine has node%s %s)",
                    text, out->node, m->nnodes == 1 ? "" : "s", have);
        return EINVAL;
    }
    return 0;
}

static bool numa_ok(void)
{
    return numa_available() >= 0;
}

bool qtp_memory_possible(const struct qtp_machine *m, const struct qtp_memory_spec *s, char *reason,
                         size_t len)
{
    if (reason && len)
        reason[0] = '\0';
    (void)m; /* the policy acts on the kernel we run on, whatever topology m describes */
    switch (s->kind) {
    case QTP_MEM_LOCAL:
        return true;
    case QTP_MEM_INTERLEAVE:
        if (!numa_ok()) {
            qtp_set_err(reason, len, "interleave needs NUMA support: numa_available() < 0 here");
            return false;
        }
        return true;
    case QTP_MEM_NODE:
        if (!numa_ok()) {
            if (s->node == 0)
                return true; /* no NUMA: all memory is node 0 */
            qtp_set_err(reason, len, "node:%d needs NUMA support: numa_available() < 0 here",
                        s->node);
            return false;
        }
        if (s->node < 0 || s->node > numa_max_node()) {
            if (numa_max_node() == 0)
                qtp_set_err(reason, len, "node:%d: the kernel has only node 0", s->node);
            else
                qtp_set_err(reason, len, "node:%d: the kernel has nodes 0-%d", s->node,
                            numa_max_node());
            return false;
        }
        {
            struct bitmask *allowed = numa_get_mems_allowed();
            bool ok = allowed && numa_bitmask_isbitset(allowed, (unsigned)s->node);
            if (allowed)
                numa_bitmask_free(allowed);
            if (!ok) {
                qtp_set_err(reason, len,
                            "node:%d: this process may not allocate there (cpuset mems_allowed)",
                            s->node);
                return false;
            }
        }
        return true;
    }
    return false;
}

static size_t page_size(void)
{
    static size_t ps;
    if (!ps) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
    }
    return ps;
}

static size_t mapped_len(size_t size)
{
    size_t ps = page_size();
    if (size == 0)
        size = 1;
    return (size + ps - 1) / ps * ps;
}

void *qtp_numa_alloc(const struct qtp_memory_spec *spec, size_t size, size_t align)
{
    size_t ps = page_size();
    size_t len = mapped_len(size);
    if (align & (align - 1)) {
        errno = EINVAL;
        return NULL;
    }
    size_t extra = align > ps ? align : 0;
    if (len + extra < len) {
        errno = ENOMEM;
        return NULL;
    }
    char *raw = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p = raw;
    if (extra) {
        /* Over-map, then give back the unaligned head and the tail. */
        uintptr_t a = ((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1);
        p = (char *)a;
        if (p > raw)
            munmap(raw, (size_t)(p - raw));
        size_t tail = (size_t)(raw + len + extra - (p + len));
        if (tail)
            munmap(p + len, tail);
    }
    /* The policy goes on before any page exists; mmap's pages are zero without a touch. */
    int rc = 0;
    if (spec && spec->kind == QTP_MEM_NODE && numa_ok()) {
        struct bitmask *bm = numa_allocate_nodemask();
        if (!bm) {
            rc = ENOMEM;
        } else {
            numa_bitmask_setbit(bm, (unsigned)spec->node);
            /* libnuma passes size + 1 as maxnode too (the kernel drops the last bit). */
            if (mbind(p, len, MPOL_BIND, bm->maskp, bm->size + 1, MPOL_MF_STRICT) != 0)
                rc = errno;
            numa_bitmask_free(bm);
        }
    } else if (spec && spec->kind == QTP_MEM_INTERLEAVE) {
        if (!numa_ok()) {
            rc = ENOTSUP;
        } else if (mbind(p, len, MPOL_INTERLEAVE, numa_all_nodes_ptr->maskp,
                         numa_all_nodes_ptr->size + 1, 0) != 0) {
            rc = errno;
        }
    } else if (spec && spec->kind == QTP_MEM_NODE && spec->node != 0) {
        rc = ENOTSUP; /* no NUMA and a node other than 0 */
    }
    if (rc) {
        munmap(p, len);
        errno = rc;
        return NULL;
    }
    return p;
}

void qtp_numa_free(void *p, size_t size)
{
    if (p)
        munmap(p, mapped_len(size));
}

static void *hook_alloc(void *ctx, size_t size, size_t align)
{
    struct qtp_numa_hook *h = ctx;
    void *p = qtp_numa_alloc(&h->spec, size, align);
    if (!p) {
        h->last_error = errno;
        atomic_fetch_add_explicit(&h->failures, 1, memory_order_relaxed);
        return NULL;
    }
    atomic_fetch_add_explicit(&h->allocs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->bytes, mapped_len(size), memory_order_relaxed);
    return p;
}

static void hook_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    qtp_numa_free(p, size);
}

int qtp_numa_hook_init(struct qtp_numa_hook *h, const struct qtp_memory_spec *spec, char *reason,
                       size_t len)
{
    memset(h, 0, sizeof(*h));
    h->spec = *spec;
    h->hook.alloc = hook_alloc;
    h->hook.free = hook_free;
    h->hook.ctx = h;
    if (!qtp_memory_possible(NULL, spec, reason, len))
        return ENOTSUP;
    return 0;
}

/* ---- page census ---- */

static void census_add(struct qtp_page_census *c, int node)
{
    size_t i;
    for (i = 0; i < c->nnodes; i++)
        if (c->node[i] == node)
            break;
    if (i == c->nnodes) {
        if (c->nnodes == QTP_MAX_NODES) {
            c->errors++;
            return;
        }
        /* Keep node[] ascending. */
        for (i = c->nnodes; i > 0 && c->node[i - 1] > node; i--) {
            c->node[i] = c->node[i - 1];
            c->on_node[i] = c->on_node[i - 1];
        }
        c->node[i] = node;
        c->on_node[i] = 0;
        c->nnodes++;
    }
    c->on_node[i]++;
}

int qtp_numa_pages_census(const void *addr, size_t bytes, struct qtp_page_census *c)
{
    enum { CHUNK = 512 };
    memset(c, 0, sizeof(*c));
    if (!addr || bytes == 0)
        return 0;
    size_t ps = page_size();
    uintptr_t first = (uintptr_t)addr & ~(uintptr_t)(ps - 1);
    uintptr_t end = ((uintptr_t)addr + bytes + ps - 1) & ~(uintptr_t)(ps - 1);
    c->pages = (end - first) / ps;
    void *pages[CHUNK];
    int status[CHUNK];
    for (size_t done = 0; done < c->pages;) {
        size_t n = c->pages - done < CHUNK ? c->pages - done : CHUNK;
        for (size_t i = 0; i < n; i++)
            pages[i] = (void *)(first + (done + i) * ps);
        /* nodes == NULL: only report where each page is; nothing moves. */
        if (move_pages(0, (unsigned long)n, pages, NULL, status, 0) != 0) {
            int e = errno;
            memset(c, 0, sizeof(*c));
            return e ? e : EIO;
        }
        for (size_t i = 0; i < n; i++) {
            if (status[i] >= 0)
                census_add(c, status[i]);
            else if (status[i] == -ENOENT)
                c->not_present++;
            else
                c->errors++;
        }
        done += n;
    }
    return 0;
}

size_t qtp_numa_pages_nodes(const void *addr, size_t bytes, int *nodes_out, size_t max)
{
    struct qtp_page_census c;
    if (qtp_numa_pages_census(addr, bytes, &c) != 0)
        return 0;
    for (size_t i = 0; i < c.nnodes && i < max; i++)
        nodes_out[i] = c.node[i];
    return c.nnodes;
}
