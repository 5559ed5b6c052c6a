/* numa_mem.h - where ring and queue storage lives: the memory policies (local, node:N,
 * interleave) as a qtp_alloc_hook, and the kernel's answer to "which node are these pages on".
 *
 * Every policy allocates with an anonymous mmap (page aligned, zero without being touched) and
 * frees with munmap; node:N and interleave attach a policy to the range with mbind() before any
 * page exists, so every page faulted later obeys it:
 *   local       no policy (MPOL_DEFAULT): each page lands on the node of the CPU that first
 *               touches it. The hook itself touches nothing. For "local" to mean "the producer's
 *               node", the runner binds the thread that builds the deployment to the producer's
 *               PU while it builds it (qtp_deploy_create may initialise slots), and the producer
 *               touches the rest first as it publishes. The page census after the run says what
 *               really happened; that, not this intent, is what results record.
 *   node:N      mbind(MPOL_BIND, {N}, MPOL_MF_STRICT): pages only on node N (the kernel fails the
 *               fault rather than fall back).
 *   interleave  mbind(MPOL_INTERLEAVE, every node with memory): pages round-robin over nodes.
 *               On a one-node machine that is node 0 (possible, and said so by `qtopo info`).
 * Without NUMA support (numa_available() < 0) only local and node:0 are possible (everything is
 * node 0 then); node:N>0 and interleave are skipped with the reason.
 *
 * Concurrency: a hook may be used from several threads at once (it keeps only atomic counters).
 */
#ifndef QTP_NUMA_MEM_H
#define QTP_NUMA_MEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "qtp_alloc.h"
#include "qtp_limits.h"

enum qtp_memory_kind { QTP_MEM_LOCAL, QTP_MEM_NODE, QTP_MEM_INTERLEAVE };

/* The registry ({NULL}-terminated). */
struct qtp_memory_policy {
    const char *name;   /* "node" for node:N */
    const char *syntax; /* "node:N" */
    const char *summary;
    enum qtp_memory_kind kind;
};
extern const struct qtp_memory_policy qtp_memory_policies[];

struct qtp_memory_spec {
    enum qtp_memory_kind kind;
    int node; /* node:N: N (OS index); else -1 */
    char name[QTP_CELL_NAME_MAX];
};

/* Parse "local", "interleave", "node:N". With m non-NULL, N must be one of m's nodes.
 * 0, or EINVAL and one line in err, e.g.
 *   "unknown memory policy 'remote' (accepted: local, interleave, node:N)"
 *   "node:3: NUMA node 3 does not exist (this machine has nodes 0)" */
int qtp_memory_parse(const char *text, const struct qtp_machine *m, struct qtp_memory_spec *out,
                     char *err, size_t errlen);

/* Can the real machine give it (libnuma present, node allowed)? true, or false with the reason
 * a skipped cell gets. m may be NULL (then only libnuma is asked). */
bool qtp_memory_possible(const struct qtp_machine *m, const struct qtp_memory_spec *s, char *reason,
                         size_t len);

/* A hook for qtp_alloc_set_hook(&h->hook). Keep h alive while the hook is installed. */
struct qtp_numa_hook {
    struct qtp_alloc_hook hook; /* ctx points back at this struct */
    struct qtp_memory_spec spec;
    _Atomic uint64_t allocs, bytes, failures; /* mapped bytes (page multiples) */
    int last_error;                           /* errno of the last failure, 0 none */
};

/* 0, or ENOTSUP with the reason (the same as qtp_memory_possible's) when the machine cannot
 * give the policy. */
int qtp_numa_hook_init(struct qtp_numa_hook *h, const struct qtp_memory_spec *spec, char *reason,
                       size_t len);

/* Direct use without the hook. Zeroed, aligned to align (a power of two; page alignment is
 * always given), NULL with errno set on failure. Free with qtp_numa_free(p, size). */
void *qtp_numa_alloc(const struct qtp_memory_spec *spec, size_t size, size_t align);
void qtp_numa_free(void *p, size_t size);

/* ---- where pages are ----
 * Asked with move_pages(0, n, pages, NULL, status, 0), which moves nothing. A page never touched
 * has no frame yet and is reported as not present (-ENOENT), not as a node: ask after the run,
 * when the deployment has written its buffers.
 */
struct qtp_page_census {
    size_t pages;                  /* pages in the range */
    size_t not_present;            /* never touched (or swapped out) */
    size_t errors;                 /* other per-page errors */
    size_t nnodes;                 /* distinct nodes holding pages */
    int node[QTP_MAX_NODES];       /* ascending */
    size_t on_node[QTP_MAX_NODES]; /* pages per node[] entry */
};

/* Census of the pages of [addr, addr+bytes). 0, or ENOSYS (no move_pages here), or an errno.
 * Nodes beyond QTP_MAX_NODES distinct ones are counted in errors. */
int qtp_numa_pages_census(const void *addr, size_t bytes, struct qtp_page_census *c);
/* Distinct nodes holding pages of the range, ascending, up to max written; returns how many
 * there are (0 when nothing is present or the kernel cannot tell). */
size_t qtp_numa_pages_nodes(const void *addr, size_t bytes, int *nodes_out, size_t max);

#endif
