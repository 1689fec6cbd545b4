/* freelist.h: a small first-fit free-list allocator over one arena block, for
 * libraries that free and reallocate while they run (the Brotli and liblzma
 * decoders). The block is carved up front, so the arena carving stays a fixed,
 * plannable sequence whatever the library does inside it. */
#ifndef TITAN_CORE_BASE_FREELIST_H
#define TITAN_CORE_BASE_FREELIST_H

#include "titan.h"

typedef struct titan_freelist {
    uint8_t *base; /* the block, aligned to TITAN_FREELIST_ALIGN */
    size_t cap;    /* bytes in the block */
    void *free;    /* free chunks, sorted by address */
} titan_freelist;

#define TITAN_FREELIST_ALIGN 16 /* every pointer handed out: max_align_t */

/* Bytes a block needs so that allocations of these sizes, all live at once,
 * fit (chunk headers and alignment included). */
size_t titan_freelist_bound(size_t payload, size_t n_allocs);

/* Carve a block of `bytes` from the arena (in measuring mode only counted). */
TITAN_NODISCARD titan_status titan_freelist_init(titan_freelist *p, titan_arena *a,
                                                 size_t bytes);

/* NULL when no free chunk is large enough (or n == 0). */
void *titan_freelist_alloc(titan_freelist *p, size_t n);

/* Return a chunk from titan_freelist_alloc; NULL is ignored. */
void titan_freelist_free(titan_freelist *p, void *ptr);

#endif
