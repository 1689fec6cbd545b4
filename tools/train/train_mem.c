/* train_mem.c: the trainer's slabs from the heap or from an arena. */
#include "tools/train/train_mem.h"

#include <stdint.h>
#include <stdlib.h>

int train_mem_get(titan_arena *a, size_t n, size_t size, void **out) {
    *out = NULL;
    if (size && n > SIZE_MAX / size) return -1;
    size_t bytes = n * size;
    if (!bytes) bytes = 1;
    if (!a) return (*out = calloc(1, bytes)) ? 0 : -1;
    return titan_arena_calloc(a, bytes, TITAN_ALIGN, out) == TITAN_OK ? 0 : -1;
}

void train_mem_put(titan_arena *a, void *p) {
    if (!a) free(p);
}
