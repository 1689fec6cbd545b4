/* freelist.c: first-fit free list with coalescing. Each chunk starts with a
 * 16-byte header holding its total size; free chunks also link to the next
 * free chunk, in address order, so neighbours merge on free. */
#include "core/base/freelist.h"

typedef struct chunk {
    size_t size;        /* whole chunk, header included, multiple of 16 */
    struct chunk *next; /* free chunks only */
} chunk;

enum { HEADER = TITAN_FREELIST_ALIGN };
_Static_assert(sizeof(chunk) <= HEADER, "chunk header fits its slot");

static size_t round_up(size_t n) {
    return (n + TITAN_FREELIST_ALIGN - 1) & ~(size_t)(TITAN_FREELIST_ALIGN - 1);
}

size_t titan_freelist_bound(size_t payload, size_t n_allocs) {
    return round_up(payload) + n_allocs * (HEADER + TITAN_FREELIST_ALIGN);
}

titan_status titan_freelist_init(titan_freelist *p, titan_arena *a, size_t bytes) {
    void *block;
    bytes &= ~(size_t)(TITAN_FREELIST_ALIGN - 1);
    TITAN_TRY(titan_arena_alloc(a, bytes, TITAN_ALIGN, &block));
    p->base = block;
    p->cap = bytes;
    p->free = NULL;
    if (block && bytes >= 2 * HEADER) {
        chunk *c = block;
        c->size = bytes;
        c->next = NULL;
        p->free = c;
    }
    return TITAN_OK;
}

void *titan_freelist_alloc(titan_freelist *p, size_t n) {
    if (n == 0 || n > p->cap) return NULL;
    size_t need = round_up(n) + HEADER;
    for (chunk **link = (chunk **)&p->free; *link; link = &(*link)->next) {
        chunk *c = *link;
        if (c->size < need) continue;
        if (c->size - need >= 2 * HEADER) { /* split: the tail stays free */
            chunk *rest = (chunk *)((uint8_t *)c + need);
            rest->size = c->size - need;
            rest->next = c->next;
            c->size = need;
            *link = rest;
        } else {
            *link = c->next;
        }
        return (uint8_t *)c + HEADER;
    }
    return NULL;
}

void titan_freelist_free(titan_freelist *p, void *ptr) {
    if (!ptr) return;
    chunk *c = (chunk *)((uint8_t *)ptr - HEADER);
    chunk *prev = NULL, *next = p->free;
    while (next && next < c) {
        prev = next;
        next = next->next;
    }
    c->next = next;
    if (next && (uint8_t *)c + c->size == (uint8_t *)next) {
        c->size += next->size;
        c->next = next->next;
    }
    if (prev && (uint8_t *)prev + prev->size == (uint8_t *)c) {
        prev->size += c->size;
        prev->next = c->next;
    } else if (prev) {
        prev->next = c;
    } else {
        p->free = c;
    }
}
