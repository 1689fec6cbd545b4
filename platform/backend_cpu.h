/* backend_cpu.h: the optimized CPU backend: SIMD matmul kernels chosen at run
 * time (AVX-512, AVX2+FMA, or plain C) and a thread pool splitting output
 * rows, so results are identical for any thread count. */
#ifndef TITAN_PLATFORM_BACKEND_CPU_H
#define TITAN_PLATFORM_BACKEND_CPU_H

#include "platform/backend.h"
#include "platform/cpu_features.h"

/* titan_backend_cpu_create and _arena_bytes are in titan.h. */

/* titan_backend_cpu_create with a chosen kernel family (tests, benchmarks);
 * TITAN_E_UNSUPPORTED if this CPU cannot run it. */
TITAN_NODISCARD titan_status titan_backend_cpu_create_isa(titan_arena *a, int threads,
                                                          titan_isa isa,
                                                          titan_backend **out);

/* titan_backend_cpu_create_opts with a chosen kernel family. */
TITAN_NODISCARD titan_status titan_backend_cpu_create_isa_opts(titan_arena *a,
                                                               const titan_cpu_options *o,
                                                               titan_isa isa,
                                                               titan_backend **out);

/* Kernel family of a cpu backend. */
titan_isa titan_backend_cpu_isa(const titan_backend *be);

#endif
