/* train_mem.h: where the trainer's slabs come from: the heap (titan-train's
 * own runs), or one titan_arena carved front to back and never freed piece
 * by piece (titan eval --ttt, whose training state is planned up front). A
 * measuring arena (base NULL) only counts bytes: allocations succeed with
 * NULL pointers and the init functions skip what they would write, so a plan
 * is the same code path as the real carving. */
#ifndef TITAN_TRAIN_MEM_H
#define TITAN_TRAIN_MEM_H

#include "titan.h"

/* n * size zeroed bytes, TITAN_ALIGN-aligned, from arena a (NULL: calloc).
 * 0, or -1 when out of memory or n * size overflows; *out is NULL in a
 * measuring arena. */
int train_mem_get(titan_arena *a, size_t n, size_t size, void **out);

/* Give back what train_mem_get gave: free() on the heap, nothing in an arena
 * (it goes when the arena does). */
void train_mem_put(titan_arena *a, void *p);

#endif
