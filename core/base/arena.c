/* arena.c: one caller-provided buffer, carved with alignment; measuring mode
 * (base == NULL) counts bytes without touching memory so plans are exact. */
#include "titan.h"

#include <string.h>

void titan_arena_init(titan_arena *a, void *buf, size_t cap) {
    a->base = buf;
    a->cap = buf ? cap : SIZE_MAX;
    a->used = 0;
    a->high = 0;
}

titan_status titan_arena_alloc(titan_arena *a, size_t bytes, size_t align, void **out) {
    if (!a || !out || align == 0 || (align & (align - 1)) || align > 4096)
        return titan_fail(TITAN_E_USAGE, "arena: bad allocation request");
    *out = NULL;
    /* Align the address, not just the offset, so any caller buffer works. */
    uintptr_t origin = (uintptr_t)a->base;
    size_t pad = (size_t)(-(origin + a->used) & (align - 1));
    if (pad > a->cap - a->used || bytes > a->cap - a->used - pad)
        return titan_fail(TITAN_E_NOMEM, "arena: need %zu more bytes, %zu of %zu left",
                          bytes, a->cap - a->used, a->cap);
    size_t start = a->used + pad;
    a->used = start + bytes;
    if (a->used > a->high) a->high = a->used;
    if (a->base) *out = a->base + start;
    return TITAN_OK;
}

titan_status titan_arena_calloc(titan_arena *a, size_t bytes, size_t align, void **out) {
    TITAN_TRY(titan_arena_alloc(a, bytes, align, out));
    if (*out) memset(*out, 0, bytes);
    return TITAN_OK;
}

size_t titan_arena_mark(const titan_arena *a) { return a->used; }

void titan_arena_reset(titan_arena *a, size_t mark) {
    if (mark < a->used) a->used = mark;
}
