/* placement.h - where a cell's threads run: parse a policy, plan it on a machine, bind threads,
 * and record where they actually ran.
 *
 * Thread numbering is the deployment's (qtp_deploy.h): producers first, then stages depth-first.
 * A plan gives thread i a wanted PU (OS index) or -1 (not bound), and a verdict:
 *   OK                     run it (oversubscribed marks a busy-spin cell run with --oversubscribe)
 *   SKIPPED + reason       this machine cannot give the placement; never silently downgraded
 * Bad input (unknown policy, malformed cpus:LIST, a CPU the machine lacks) is neither: it is an
 * error from qtp_placement_parse, and the command line exits 2 on it.
 *
 * Policies (PU orders; when a policy needs more PUs than it has, it cycles through its order
 * again, so threads share PUs; see "Sharing" below):
 *   os          no binding; the scheduler decides
 *   compact     PUs in hwloc logical order: fill a core's SMT siblings, then the next core
 *   spread      one PU per core first, round-robin over packages, then over the NUMA nodes of a
 *               package, then over the cores of a node; then the second PU of each core, ...
 *   smt         producer (thread 0) and first consumer (thread `producers`) on two SMT
 *               siblings of the first core that has them; everything else compact on the other
 *               cores (that core's remaining siblings come last). Needs SMT.
 *   cross-numa  producers on the first NUMA node with CPUs, consumers round-robin over the other
 *               nodes with CPUs; inside a node one PU per core first. Needs 2 nodes with CPUs.
 *   cpus:LIST   thread i on the i-th CPU of LIST in the order written ("0-3,8,10-11" is
 *               0,1,2,3,8,10,11; repeats allowed), cycling when LIST is shorter than the threads.
 *
 * Sharing and oversubscription: if some PU gets more than one thread (or, for os, there are more
 * threads than PUs) the plan "shares" PUs. For threads that block or yield that is allowed. For
 * busy-spinning threads it collapses throughput, so the verdict is SKIPPED unless the caller
 * passes oversubscribe, and then the plan is OK with oversubscribed = true.
 *
 * Concurrency: parse/plan are pure. bind/unbind act on the calling thread.
 */
#ifndef QTP_PLACEMENT_H
#define QTP_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "machine.h"
#include "qtp_limits.h"

enum qtp_placement_kind {
    QTP_PLACE_OS,
    QTP_PLACE_COMPACT,
    QTP_PLACE_SPREAD,
    QTP_PLACE_SMT,
    QTP_PLACE_CROSS_NUMA,
    QTP_PLACE_CPUS,
};

/* The registry `qtopo list`, the parser and `qtopo info` walk ({NULL}-terminated). */
struct qtp_placement_policy {
    const char *name;    /* "cpus" for cpus:LIST */
    const char *syntax;  /* "cpus:LIST" */
    const char *summary; /* one line */
    enum qtp_placement_kind kind;
};
extern const struct qtp_placement_policy qtp_placement_policies[];

#define QTP_PLACEMENT_MAX_CPUS 1024 /* entries in a cpus:LIST (after expanding ranges) */
#define QTP_PLACEMENT_MAX_CPU_ID 65535

struct qtp_placement_spec {
    enum qtp_placement_kind kind;
    char name[QTP_CELL_NAME_MAX]; /* as written, for results and messages (truncated if longer) */
    int cpus[QTP_PLACEMENT_MAX_CPUS]; /* cpus:LIST, expanded, in order */
    size_t ncpus;
};

/* Parse a placement. With m non-NULL the CPUs of cpus:LIST are also checked against m.
 * 0, or EINVAL with one line in err naming the bad value and the accepted ones, e.g.
 *   "unknown placement 'spred' (accepted: os, compact, spread, smt, cross-numa, cpus:LIST)"
 *   "cpus:0-x: 'x' is not a CPU number (LIST is like 0-3,8,10-11)"
 *   "cpus:7: CPU 7 does not exist (this machine has CPUs 0-1)" */
int qtp_placement_parse(const char *text, const struct qtp_machine *m,
                        struct qtp_placement_spec *out, char *err, size_t errlen);
/* The machine check alone (for a spec parsed without a machine). 0 or EINVAL + err. */
int qtp_placement_validate(const struct qtp_placement_spec *s, const struct qtp_machine *m,
                           char *err, size_t errlen);

/* Can this machine give the policy at all (any thread count, ignoring spin)? true, or false
 * with the reason (the text a skipped cell gets). */
bool qtp_placement_possible(const struct qtp_machine *m, const struct qtp_placement_spec *s,
                            char *reason, size_t len);

struct qtp_plan_request {
    unsigned nthreads;  /* 1..QTP_MAX_THREADS */
    unsigned producers; /* leading producer threads (the sequencer has 3); 0 is taken as 1 */
    bool spin;          /* threads busy-spin while waiting (wait strategy "spin") */
    bool oversubscribe; /* --oversubscribe */
};

enum qtp_plan_verdict { QTP_PLAN_OK, QTP_PLAN_SKIPPED };

struct qtp_plan {
    enum qtp_plan_verdict verdict;
    bool shares_pus;     /* some PU has more than one thread (os: more threads than PUs) */
    bool oversubscribed; /* OK only because of --oversubscribe: spinning threads share PUs */
    char reason[QTP_REASON_MAX]; /* why skipped; "" when OK */
    unsigned nthreads;
    unsigned npus_used;        /* distinct PUs in the plan (os: the machine's PUs) */
    int pu[QTP_MAX_THREADS];   /* wanted PU (OS index) or -1 */
    int node[QTP_MAX_THREADS]; /* NUMA node (OS index) of that PU, or -1 */
};

/* Plan a cell. 0 with *out filled (see verdict), or EINVAL for a request out of range
 * (nthreads 0 or > QTP_MAX_THREADS). A spec whose CPUs the machine lacks is SKIPPED (it should
 * have been rejected by parse/validate; this keeps plan total). */
int qtp_placement_plan(const struct qtp_machine *m, const struct qtp_placement_spec *s,
                       const struct qtp_plan_request *req, struct qtp_plan *out);
/* "0:P0 1:P1 2:P0" (or "unbound") for logs and messages. Returns like snprintf. */
int qtp_plan_format(const struct qtp_plan *p, char *buf, size_t len);

/* Bind the calling thread to PU os (OS index) with hwloc_set_cpubind(HWLOC_CPUBIND_THREAD).
 * os < 0: nothing to do, 0. 0, or ENOENT (no such PU here), ENOTSUP (m is not this machine:
 * synthetic or XML), or the errno hwloc reported. */
int qtp_placement_bind_self(const struct qtp_machine *m, int os);
/* Undo: bind the calling thread to all of the machine's allowed PUs. 0 or an errno. */
int qtp_placement_unbind_self(const struct qtp_machine *m);

#endif
