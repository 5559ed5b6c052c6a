/* Controls of qtp_ckq.c's ThreadSanitizer annotations (TSan builds only). This program is linked
 * with a copy of qtp_ckq.c built with QTP_CKQ_WEAKEN = 0 (as shipped), 1 (the consumer's acquire
 * before its copy out dropped), 2 (the producer's release moved before its copy in), 3 (ck's
 * own memory checked too) or 4 (the producer's acquire before it refills a buffer dropped), and
 * hands events 1P -> 1C (argv[1] spsc) or 2P -> 1C (mpmc) under spin, where nothing but the
 * annotations orders the threads. ctest expects a clean run from 0, and TSan's data race report
 * from the others (on the event copy for 1, 2 and 4, inside ck_ring for 3): if that report stopped
 * coming, the annotations would be hiding races (1, 2, 4), or would no longer be needed (3). */
#include <stdio.h>

#include "qtest.h"
#include "qtp_ckq.h"

#define EVENTS 2000

struct arg {
    struct qtp_ckq *q;
    uint64_t base;
};

static void *producer(void *p)
{
    struct arg *a = p;
    for (uint64_t i = 0; i < EVENTS; i++) {
        uint64_t ev[4] = {a->base + i, 1, 2, 3};
        if (qtp_ckq_push(a->q, ev) != 0)
            break;
    }
    return NULL;
}

static int run(unsigned producers)
{
    struct qtp_ckq *q;
    if (qtp_ckq_kinds[0].create(&q, 8, 4 * sizeof(uint64_t), producers, 1, NULL) != 0)
        return 1;
    pthread_t t[2];
    struct arg a[2];
    for (unsigned i = 0; i < producers; i++) {
        a[i] = (struct arg){q, (uint64_t)i << 32};
        pthread_create(&t[i], NULL, producer, &a[i]);
    }
    uint64_t sum = 0, ev[4];
    for (unsigned n = 0; n < producers * EVENTS && qtp_ckq_pop(q, ev) == 0; n++)
        sum += ev[0];
    for (unsigned i = 0; i < producers; i++)
        pthread_join(t[i], NULL);
    printf("%s: %u producers, sum %" PRIu64 "\n", qtp_ckq_variant(q), producers, sum);
    qtp_ckq_destroy(q);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "spsc") != 0 && strcmp(argv[1], "mpmc") != 0)) {
        fprintf(stderr, "usage: %s spsc|mpmc\n", argv[0]);
        return 2;
    }
    return run(strcmp(argv[1], "spsc") == 0 ? 1 : 2);
}
