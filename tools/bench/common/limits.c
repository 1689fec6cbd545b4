/* limits.c: read bandwidth and peak FMA throughput (see limits.h). Loops are
 * written per ISA with target attributes and picked at run time, like the
 * kernels they are the yardstick for. */
#include "tools/bench/common/limits.h"

#include "platform/cpu_features.h"
#include "tools/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

/* Keeps the FMA chains in registers. */
#define UNROLL _Pragma("GCC unroll 16")

/* LIMIT_ROUNDS spreads the measurement over a few seconds: on a shared VM
 * a vCPU can be busy elsewhere for a moment, which one short run mistakes
 * for the machine's limit. */
enum { BW_PASSES = 6, FMA_RUNS = 3, FMA_ITERS = 4000000, CHAINS = 12, LIMIT_ROUNDS = 4 };

static volatile uint64_t sink[TITAN_POOL_MAX_THREADS]; /* keeps results alive */

/* ---- read loops: xor every 64-bit word, 4 independent accumulators ---- */

#ifdef HAVE_X86
__attribute__((target("avx512f"))) static uint64_t read_avx512(const uint8_t *p,
                                                               size_t n) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 256 <= n; i += 256) {
        a0 = _mm512_xor_si512(a0, _mm512_load_si512(p + i));
        a1 = _mm512_xor_si512(a1, _mm512_load_si512(p + i + 64));
        a2 = _mm512_xor_si512(a2, _mm512_load_si512(p + i + 128));
        a3 = _mm512_xor_si512(a3, _mm512_load_si512(p + i + 192));
    }
    __m512i a = _mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3));
    return (uint64_t)_mm512_reduce_or_epi64(a);
}

__attribute__((target("avx2"))) static uint64_t read_avx2(const uint8_t *p, size_t n) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 128 <= n; i += 128) {
        a0 = _mm256_xor_si256(a0, _mm256_load_si256((const __m256i *)(p + i)));
        a1 = _mm256_xor_si256(a1, _mm256_load_si256((const __m256i *)(p + i + 32)));
        a2 = _mm256_xor_si256(a2, _mm256_load_si256((const __m256i *)(p + i + 64)));
        a3 = _mm256_xor_si256(a3, _mm256_load_si256((const __m256i *)(p + i + 96)));
    }
    __m256i a = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
    return (uint64_t)_mm256_extract_epi64(a, 0) ^ (uint64_t)_mm256_extract_epi64(a, 3);
}
#endif

static uint64_t read_scalar(const uint8_t *p, size_t n) {
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, v[4];
    for (size_t i = 0; i + 32 <= n; i += 32) {
        memcpy(v, p + i, 32);
        a0 ^= v[0], a1 ^= v[1], a2 ^= v[2], a3 ^= v[3];
    }
    return a0 ^ a1 ^ a2 ^ a3;
}

static uint64_t read_all(const uint8_t *p, size_t n) {
#ifdef HAVE_X86
    switch (titan_cpu_best_isa()) {
    case TITAN_ISA_AVX512: return read_avx512(p, n);
    case TITAN_ISA_AVX2: return read_avx2(p, n);
    case TITAN_ISA_SCALAR: break;
    }
#endif
    return read_scalar(p, n);
}

static void read_share(void *ctx, int64_t begin, int64_t end, int thread) {
    const uint8_t *buf = ctx;
    sink[thread] ^= read_all(buf + begin * 4096, (size_t)(end - begin) * 4096);
}

/* The buffer is allocated and faulted in once per process: a benchmark
 * measures bandwidth again beside each of its runs. */
double bench_read_bandwidth(titan_thread_pool *pool) {
    static uint8_t *buf;
    if (!buf) {
        buf = aligned_alloc(4096, BENCH_BW_BYTES);
        if (!buf) return 0;
        memset(buf, 1, BENCH_BW_BYTES); /* fault every page in before timing */
    }
    double best = 0;
    for (int pass = 0; pass < BW_PASSES; pass++) {
        double t0 = cli_now();
        titan_thread_pool_for(pool, BENCH_BW_BYTES / 4096, 1, read_share, buf);
        double gbs = BENCH_BW_BYTES / (cli_now() - t0) * 1e-9;
        if (gbs > best) best = gbs;
    }
    return best;
}

/* ---- FMA chains: a = a * m + c in CHAINS independent registers ---- */

#ifdef HAVE_X86
__attribute__((target("avx512f"))) static float fma_avx512(long iters) {
    __m512 a[CHAINS], m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
    for (int j = 0; j < CHAINS; j++) a[j] = _mm512_set1_ps((float)j);
    for (long i = 0; i < iters; i++) UNROLL
    for (int j = 0; j < CHAINS; j++) a[j] = _mm512_fmadd_ps(a[j], m, c);
    for (int j = 1; j < CHAINS; j++) a[0] = _mm512_add_ps(a[0], a[j]);
    return _mm512_reduce_add_ps(a[0]);
}

__attribute__((target("avx2,fma"))) static float fma_avx2(long iters) {
    __m256 a[CHAINS], m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
    for (int j = 0; j < CHAINS; j++) a[j] = _mm256_set1_ps((float)j);
    for (long i = 0; i < iters; i++) UNROLL
    for (int j = 0; j < CHAINS; j++) a[j] = _mm256_fmadd_ps(a[j], m, c);
    float out[8];
    for (int j = 1; j < CHAINS; j++) a[0] = _mm256_add_ps(a[0], a[j]);
    _mm256_storeu_ps(out, a[0]);
    return out[0] + out[7];
}
#endif

static float fma_scalar(long iters) {
    float a[CHAINS];
    for (int j = 0; j < CHAINS; j++) a[j] = (float)j;
    for (long i = 0; i < iters; i++) UNROLL
    for (int j = 0; j < CHAINS; j++) a[j] = a[j] * 0.999999f + 1e-6f;
    return a[0] + a[CHAINS - 1];
}

static int fma_lanes(void) {
    switch (titan_cpu_best_isa()) {
    case TITAN_ISA_AVX512: return 16;
    case TITAN_ISA_AVX2: return 8;
    case TITAN_ISA_SCALAR: break;
    }
    return 1;
}

static void fma_share(void *ctx, int64_t begin, int64_t end, int thread) {
    (void)ctx, (void)begin, (void)end;
    float r;
#ifdef HAVE_X86
    switch (titan_cpu_best_isa()) {
    case TITAN_ISA_AVX512: r = fma_avx512(FMA_ITERS); break;
    case TITAN_ISA_AVX2: r = fma_avx2(FMA_ITERS); break;
    default: r = fma_scalar(FMA_ITERS); break;
    }
#else
    r = fma_scalar(FMA_ITERS);
#endif
    sink[thread] ^= (uint64_t)r;
}

double bench_peak_fma(titan_thread_pool *pool) {
    int threads = titan_thread_pool_threads(pool);
    double flops = 2.0 * CHAINS * fma_lanes() * (double)FMA_ITERS * threads;
    double best = 0;
    for (int run = 0; run < FMA_RUNS; run++) {
        double t0 = cli_now();
        titan_thread_pool_for(pool, threads, 1, fma_share, NULL);
        double gf = flops / (cli_now() - t0) * 1e-9;
        if (gf > best) best = gf;
    }
    return best;
}

static double max2(double a, double b) { return a > b ? a : b; }

void bench_limits_measure(titan_thread_pool *const pools[2], bench_limits *out) {
    *out = (bench_limits){{0, 0}, {0, 0}};
    for (int round = 0; round < LIMIT_ROUNDS; round++)
        for (int i = 0; i < 2; i++) {
            out->bw_gbs[i] = max2(out->bw_gbs[i], bench_read_bandwidth(pools[i]));
            out->fma_gflops[i] = max2(out->fma_gflops[i], bench_peak_fma(pools[i]));
        }
    printf("machine limits (%s): read bandwidth %.1f GB/s (1 thread), "
           "%.1f GB/s (2 threads); peak FMA %.1f GFLOP/s (1 thread), "
           "%.1f GFLOP/s (2 threads)\n",
           titan_isa_name(titan_cpu_best_isa()), out->bw_gbs[0], out->bw_gbs[1],
           out->fma_gflops[0], out->fma_gflops[1]);
}
