/* threads.h: a small pthread pool for data-parallel loops. Workers start once
 * and wait; titan_thread_pool_for cuts a job into chunks fixed by n and grain alone
 * and lets threads claim them, so results never depend on timing. */
#ifndef TITAN_PLATFORM_THREADS_H
#define TITAN_PLATFORM_THREADS_H

#include "titan.h"

#define TITAN_POOL_MAX_THREADS 64

typedef struct titan_thread_pool titan_thread_pool;

/* Work on items [begin, end); `thread` is 0 (the caller) .. threads-1. */
typedef void (*titan_thread_pool_fn)(void *ctx, int64_t begin, int64_t end, int thread);

/* Start threads-1 workers (the caller is thread 0). threads in
 * [1, TITAN_POOL_MAX_THREADS] else TITAN_E_USAGE. State comes from the arena;
 * in measuring mode only bytes are counted and *out is NULL. */
TITAN_NODISCARD titan_status titan_thread_pool_create(titan_arena *a, int threads,
                                                      titan_thread_pool **out);

/* Stop and join the workers (NULL is ignored). The arena memory stays. */
void titan_thread_pool_destroy(titan_thread_pool *p);

int titan_thread_pool_threads(const titan_thread_pool *p);

/* Run fn over [0, n): n is cut into ceil(n / grain) units of grain items,
 * grouped into at most 32 chunks of equal whole units (the last may be
 * shorter), bounds fixed by n and grain alone. Every thread, the caller
 * included, claims chunks until none is left, so a worker the OS wakes late
 * just does less. Returns when all are done. Calls must not overlap (one
 * caller thread). grain >= 1. */
void titan_thread_pool_for(titan_thread_pool *p, int64_t n, int64_t grain,
                           titan_thread_pool_fn fn, void *ctx);

#endif
