/* cpus.h: what the benchmarks that compare 1 and 2 threads share: a cpu
 * backend of each thread count and a thread pool of each (for the limits of
 * limits.h), carved from one arena. */
#ifndef TITAN_BENCH_CPUS_H
#define TITAN_BENCH_CPUS_H

#include "platform/backend_cpu.h"
#include "platform/threads.h"

typedef struct {
    titan_arena arena;
    titan_backend *be[2];       /* [threads - 1] */
    titan_thread_pool *pool[2]; /* [threads - 1] */
} bench_cpus;

/* Create both; on failure what was made is released. */
TITAN_NODISCARD titan_status bench_cpus_open(bench_cpus *b);
void bench_cpus_close(bench_cpus *b);

#endif
