/* alloc_count.c - the malloc interposer (see alloc_count.h). Linked only into executables that
 * ask for it (CMake object library qtp_alloc_count); a stub in sanitizer builds. */
#define QTP_ALLOC_COUNT_IMPL
#include "alloc_count.h"

#if defined(QTOPO_ASAN) || defined(QTOPO_TSAN) || defined(__SANITIZE_ADDRESS__) ||                 \
    defined(__SANITIZE_THREAD__)

/* ASan and TSan interpose malloc themselves: counting here would fight them. */
bool qtp_alloc_count_read(struct qtp_alloc_counts *all, struct qtp_alloc_counts *self)
{
    if (all)
        memset(all, 0, sizeof(*all));
    if (self)
        memset(self, 0, sizeof(*self));
    return false;
}

#else

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

/* glibc's own entry points: exported, and never routed back through these definitions. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

/* One thread's counters. Only the owning thread writes them (relaxed load + store: a plain
 * increment, no lock prefix); snapshots read them with relaxed loads. A block is owned by at
 * most one thread at a time: in_use hands it over (R1/A1 below), and the counters continue from
 * where the previous owner left them, so the sum over blocks only grows. */
struct block {
    alignas(128) _Atomic uint64_t calls;
    _Atomic uint64_t bytes;
    _Atomic uint64_t frees;
    _Atomic int in_use;
    struct block *next; /* immutable once the block is on the list */
};
_Static_assert(sizeof(struct block) == 128, "one block per 128-byte pair of lines");

#define BLOCKS_PER_CHUNK 32 /* 4 KiB of blocks per mmap */

/* Push-only list of every block ever made (never popped, so no ABA). */
static struct block *_Atomic all_blocks;
/* Counts of a thread that has no block: before its block is ready, after its key destructor
 * ran (glibc may still free on that thread), or if mmap failed. Updated with atomic adds. */
static struct block shared_sink;

static __thread struct block *my_block __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void block_release(void *arg)
{
    struct block *b = arg;
    my_block = &shared_sink; /* later frees on this exiting thread go to the sink */
    /* R1: hand the block over, counters final; pairs with A1 in attach(). */
    atomic_store_explicit(&b->in_use, 0, memory_order_release);
}

static void make_key(void)
{
    /* pthread_key_create does not allocate; if it fails, blocks are simply never reused. */
    if (pthread_key_create(&exit_key, block_release) != 0)
        exit_key = (pthread_key_t)-1;
}

static struct block *grab_free_block(void)
{
    for (struct block *b = atomic_load_explicit(&all_blocks, memory_order_acquire); b;
         b = b->next) {
        int expect = 0;
        /* A1: take a released block and see its final counters; pairs with R1. */
        if (atomic_load_explicit(&b->in_use, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong_explicit(&b->in_use, &expect, 1, memory_order_acquire,
                                                    memory_order_relaxed))
            return b;
    }
    return NULL;
}

static struct block *new_chunk(void)
{
    struct block *c = mmap(NULL, BLOCKS_PER_CHUNK * sizeof(struct block), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return NULL;
    atomic_store_explicit(&c[0].in_use, 1, memory_order_relaxed);
    for (int i = 0; i + 1 < BLOCKS_PER_CHUNK; i++)
        c[i].next = &c[i + 1];
    struct block *head = atomic_load_explicit(&all_blocks, memory_order_relaxed);
    do {
        c[BLOCKS_PER_CHUNK - 1].next = head;
        /* R2: publish the chunk's links; pairs with the acquire loads of all_blocks. */
    } while (!atomic_compare_exchange_weak_explicit(&all_blocks, &head, &c[0], memory_order_release,
                                                    memory_order_relaxed));
    return &c[0];
}

/* First allocation call of a thread: find it a block. Allocation calls made meanwhile (by
 * pthread_setspecific) land in the sink, because my_block is set to it first. */
static struct block *attach(void)
{
    my_block = &shared_sink;
    struct block *b = grab_free_block();
    if (!b)
        b = new_chunk();
    if (!b)
        return &shared_sink;
    pthread_once(&exit_once, make_key);
    my_block = b;
    if (exit_key != (pthread_key_t)-1)
        pthread_setspecific(exit_key, b);
    return b;
}

static inline void bump(_Atomic uint64_t *c, uint64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                          memory_order_relaxed);
}

static inline void note(uint64_t calls, uint64_t bytes, uint64_t frees)
{
    struct block *b = my_block;
    if (__builtin_expect(b == NULL, 0))
        b = attach();
    if (__builtin_expect(b == &shared_sink, 0)) {
        atomic_fetch_add_explicit(&b->calls, calls, memory_order_relaxed);
        atomic_fetch_add_explicit(&b->bytes, bytes, memory_order_relaxed);
        atomic_fetch_add_explicit(&b->frees, frees, memory_order_relaxed);
        return;
    }
    if (calls)
        bump(&b->calls, calls);
    if (bytes)
        bump(&b->bytes, bytes);
    if (frees)
        bump(&b->frees, frees);
}

static void add_block(struct qtp_alloc_counts *to, struct block *b)
{
    to->calls += atomic_load_explicit(&b->calls, memory_order_relaxed);
    to->bytes += atomic_load_explicit(&b->bytes, memory_order_relaxed);
    to->frees += atomic_load_explicit(&b->frees, memory_order_relaxed);
}

bool qtp_alloc_count_read(struct qtp_alloc_counts *all, struct qtp_alloc_counts *self)
{
    if (all) {
        memset(all, 0, sizeof(*all));
        all->available = true;
        add_block(all, &shared_sink);
        for (struct block *b = atomic_load_explicit(&all_blocks, memory_order_acquire); b;
             b = b->next)
            add_block(all, b);
    }
    if (self) {
        memset(self, 0, sizeof(*self));
        self->available = true;
        /* Attach now: a block handed over from an exited thread carries its counts, so a
         * thread's "before" must already be read from the block its "after" will use. */
        struct block *b = my_block ? my_block : attach();
        if (b != &shared_sink)
            add_block(self, b);
    }
    return true;
}

void *malloc(size_t size)
{
    note(1, size, 0);
    return __libc_malloc(size);
}

void free(void *p)
{
    if (p)
        note(0, 0, 1);
    __libc_free(p);
}

void *calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        total = SIZE_MAX;
    note(1, total, 0);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    note(1, size, p && size == 0); /* glibc's realloc(p, 0) frees p */
    return __libc_realloc(p, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    note(1, size, 0);
    void *p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
    note(1, size, 0);
    return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
    note(1, size, 0);
    return __libc_memalign(align, size);
}

void *valloc(size_t size)
{
    note(1, size, 0);
    return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
    note(1, size, 0);
    return __libc_pvalloc(size);
}

#endif
