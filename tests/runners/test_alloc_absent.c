/* test_alloc_absent.c - an executable that links qtp_machine but not the interposer: malloc is
 * glibc's and the counters say they are unavailable (the weak symbol is absent). */
#include <stdio.h>
#include <stdlib.h>

#include "alloc_count.h"

int main(void)
{
    void *(*volatile m)(size_t) = malloc;
    free(m(10));
    struct qtp_alloc_counts c;
    qtp_alloc_count_snapshot(&c);
    if (c.available || c.calls || c.bytes || c.frees) {
        fprintf(stderr, "expected no counts without the interposer\n");
        return 1;
    }
    qtp_alloc_count_self(&c);
    if (c.available) {
        fprintf(stderr, "expected unavailable without the interposer\n");
        return 1;
    }
    printf("no interposer linked: available = false\n");
    return 0;
}
