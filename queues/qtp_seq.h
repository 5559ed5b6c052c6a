/* qtp_seq.h - padded free-running sequence counters.
 *
 * A sequence is a signed 64-bit counter that starts at -1 (nothing published or processed) and
 * only grows; slot index = seq & mask. 2^63 events never wrap. Each sequence sits alone on a
 * 128-byte block: adjacent-line prefetchers pull 64-byte lines in pairs, so 64 is not enough.
 */
#ifndef QTP_SEQ_H
#define QTP_SEQ_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define QTP_CACHE_BLOCK 128
#define QTP_SEQ_INITIAL ((int64_t)-1)

struct qtp_seq {
    alignas(QTP_CACHE_BLOCK) _Atomic int64_t value;
};
_Static_assert(sizeof(struct qtp_seq) == QTP_CACHE_BLOCK, "a sequence owns its 128-byte block");
_Static_assert(alignof(struct qtp_seq) == QTP_CACHE_BLOCK, "sequences are block aligned");

static inline void qtp_seq_init(struct qtp_seq *s, int64_t v)
{
    atomic_init(&s->value, v);
}
/* A1: acquire; pairs with R1 in qtp_seq_set: what the writer did to slots up to v is visible. */
static inline int64_t qtp_seq_get(const struct qtp_seq *s)
{
    return atomic_load_explicit(&((struct qtp_seq *)s)->value, memory_order_acquire);
}
/* R1: release; pairs with A1 in qtp_seq_get. */
static inline void qtp_seq_set(struct qtp_seq *s, int64_t v)
{
    atomic_store_explicit(&s->value, v, memory_order_release);
}

/* Minimum over n sequences, or dflt when n == 0. */
static inline int64_t qtp_seq_min(const struct qtp_seq *const *seqs, size_t n, int64_t dflt)
{
    int64_t m = dflt;
    for (size_t i = 0; i < n; i++) {
        int64_t v = qtp_seq_get(seqs[i]);
        if (v < m)
            m = v;
    }
    return m;
}

#endif
