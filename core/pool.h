/* pool.h: a small first-fit free-list allocator over one arena block, for
 * libraries that free and reallocate while they run (the Brotli and liblzma
 * decoders). The block is carved up front, so the arena carving stays a fixed,
 * plannable sequence whatever the library does inside it. */
#ifndef TITAN_CORE_POOL_H
#define TITAN_CORE_POOL_H

#include "titan.h"

typedef struct titan_pool {
    uint8_t *base; /* the block, aligned to TITAN_POOL_ALIGN */
    size_t cap;    /* bytes in the block */
    void *free;    /* free chunks, sorted by address */
} titan_pool;

#define TITAN_POOL_ALIGN 16 /* every pointer handed out: max_align_t */

/* Bytes a block needs so that allocations of these sizes, all live at once,
 * fit (chunk headers and alignment included). */
size_t titan_pool_bound(size_t payload, size_t n_allocs);

/* Carve a block of `bytes` from the arena (in measuring mode only counted). */
titan_status titan_pool_init(titan_pool *p, titan_arena *a, size_t bytes);

/* NULL when no free chunk is large enough (or n == 0). */
void *titan_pool_alloc(titan_pool *p, size_t n);

/* Return a chunk from titan_pool_alloc; NULL is ignored. */
void titan_pool_free(titan_pool *p, void *ptr);

#endif
