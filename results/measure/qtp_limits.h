/* qtp_limits.h - the sizes every layer above the queues agrees on: what a cell can have, and how
 * long a name or a reason can be. One place, so a plan, a census and a row always fit each
 * other. */
#ifndef QTP_LIMITS_H
#define QTP_LIMITS_H

#define QTP_MAX_THREADS 80   /* threads of one cell: producers and stage instances */
#define QTP_MAX_CPUS_SEEN 16 /* CPUs recorded per thread */
#define QTP_MAX_NODES 16     /* NUMA nodes a page census or a row records */
#define QTP_CELL_NAME_MAX                                                                          \
    64                      /* a name as written: topology, queue, wait, placement, memory, role   \
                             */
#define QTP_REASON_MAX 1024 /* one line saying why (a skip, a failure) */
/* A topology as results record it: a name, or an expression in its canonical form (qtp_lang.h),
 * NUL included. */
#define QTP_TOPOLOGY_MAX 2048

#endif
