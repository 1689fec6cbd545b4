/* backend_cpu.h: the optimized CPU backend: SIMD matmul kernels chosen at run
 * time (AVX-512, AVX2+FMA, or plain C) and a thread pool splitting output
 * rows, so results are identical for any thread count. */
#ifndef TITAN_PLATFORM_BACKEND_CPU_H
#define TITAN_PLATFORM_BACKEND_CPU_H

#include "platform/backend.h"
#include "platform/cpu_features.h"

/* Create the backend with `threads` threads (1..TITAN_POOL_MAX_THREADS, the
 * caller's thread counts as one) and the widest kernels this CPU supports.
 * Everything (backend, pool, per-thread scratch) comes from the arena; in
 * measuring mode only the bytes are counted and *out is NULL. Worker threads
 * run until titan_backend_cpu_destroy. TITAN_E_USAGE for a bad thread count,
 * TITAN_E_NOMEM if the arena is too small or a thread cannot start. */
titan_status titan_backend_cpu_create(titan_arena *a, int threads,
                                      titan_backend **out);

/* Same with a chosen kernel family (tests, benchmarks); TITAN_E_UNSUPPORTED
 * if this CPU cannot run it. */
titan_status titan_backend_cpu_create_isa(titan_arena *a, int threads,
                                          titan_isa isa, titan_backend **out);

/* Arena bytes titan_backend_cpu_create needs (from a TITAN_ALIGN-aligned top). */
size_t titan_backend_cpu_arena_bytes(int threads);

/* Stop the worker threads (NULL is ignored). */
void titan_backend_cpu_destroy(titan_backend *be);

/* Kernel family of a cpu backend. */
titan_isa titan_backend_cpu_isa(const titan_backend *be);

#endif
