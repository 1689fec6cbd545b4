/* limits.h: this machine's limits, measured in the same run as a benchmark so
 * its numbers can be given as ratios: sustained read bandwidth from memory and
 * peak FMA throughput, with the widest vector ISA the CPU has. */
#ifndef TITAN_BENCH_LIMITS_H
#define TITAN_BENCH_LIMITS_H

#include "platform/threads.h"

/* Bytes of the bandwidth buffer: far larger than any last-level cache. */
#define BENCH_BW_BYTES ((size_t)512 << 20)

/* Best read bandwidth in GB/s (1e9 bytes/s) over several passes of a
 * BENCH_BW_BYTES buffer, every thread of the pool reading its own share.
 * Returns 0 if the buffer cannot be allocated. Cheap after the first call
 * (the buffer stays), so a benchmark can measure it beside every run: on a
 * shared host the bandwidth left to us drifts by half within minutes. */
double bench_read_bandwidth(titan_thread_pool *pool);

/* Peak single-precision FMA throughput in GFLOP/s (an FMA = 2 flops): every
 * thread runs independent FMA chains with the widest ISA; best of a few runs. */
double bench_peak_fma(titan_thread_pool *pool);

/* The limits for 1..2 threads, with the ISA used, printed on one block. */
typedef struct {
    double bw_gbs[2];     /* [threads - 1] */
    double fma_gflops[2]; /* [threads - 1] */
} bench_limits;

/* Measure both limits with pools[0] (1 thread) and pools[1] (2 threads),
 * the best of a few rounds, and print them to stdout. */
void bench_limits_measure(titan_thread_pool *const pools[2], bench_limits *out);

#endif
