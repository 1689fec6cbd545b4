/* bench_tpu.c: simulation speed of the systolic-array emulator on one core.
 * Fast mode: simulated MACs per second (target >= 1e9) on model-sized GEMMs;
 * cycle-stepped mode: PE updates (cycles * rows * cols) per second (target
 * >= 1e8). Also reports the memory each run holds (operands + registers) and,
 * as this machine's yardstick, a plain int8 dot-product loop's MACs/s. */
#include "titan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* CPU seconds of this thread: the machine is shared, so rates per core use
 * the time this thread actually ran. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fill(int8_t *v, size_t n, uint64_t *s) {
    for (size_t i = 0; i < n; i++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (int8_t)(*s >> 56);
    }
}

/* Run one GEMM `reps` times; returns seconds per run and its counters. */
static double run(titan_tpu_config *c, int64_t M, int64_t K, int64_t N, int reps,
                  titan_tpu_counters *k, size_t *mem) {
    uint64_t seed = 7;
    size_t sb = titan_tpu_scratch_bytes(c);
    int8_t *x = malloc((size_t)(M * K)), *w = malloc((size_t)(N * K));
    int32_t *y = malloc((size_t)(M * N) * 4);
    void *scratch = malloc(sb + 64);
    titan_arena a;
    titan_arena_init(&a, scratch, sb + 64);
    fill(x, (size_t)(M * K), &seed);
    fill(w, (size_t)(N * K), &seed);
    *mem = (size_t)(M * K + N * K + M * N * 4) + sb;
    double t0 = cpu_now();
    for (int r = 0; r < reps; r++) {
        *k = (titan_tpu_counters){0};
        if (titan_tpu_gemm(c, &a, x, w, y, M, K, N, k) != TITAN_OK) {
            fprintf(stderr, "bench_tpu: %s\n", titan_last_error());
            exit(1);
        }
    }
    double dt = (cpu_now() - t0) / reps;
    free(x), free(w), free(y), free(scratch);
    return dt;
}

static double yardstick(void) {
    enum { K = 4096, REPS = 20000 };
    static int8_t a[K], b[K];
    uint64_t s = 3;
    fill(a, K, &s);
    fill(b, K, &s);
    volatile int32_t sink = 0;
    double t0 = cpu_now();
    for (int r = 0; r < REPS; r++) {
        int32_t acc = 0;
        for (int i = 0; i < K; i++) acc += a[i] * b[(i + r) & (K - 1)];
        sink += acc;
    }
    (void)sink;
    return (double)K * REPS / (cpu_now() - t0);
}

int main(void) {
    titan_tpu_config c;
    titan_tpu_counters k;
    size_t mem;
    printf("yardstick: plain int8 dot loop %.3g MACs/s\n", yardstick());
    const int64_t fast_shapes[][3] = {
        {512, 576, 1536}, {512, 1536, 576}, {1, 576, 32768}, {1024, 576, 32768}};
    for (int df = 0; df < 2; df++)
        for (size_t i = 0; i < sizeof fast_shapes / sizeof *fast_shapes; i++) {
            titan_tpu_config_default(&c);
            c.dataflow = (titan_tpu_dataflow)df;
            const int64_t *s = fast_shapes[i];
            double dt = run(&c, s[0], s[1], s[2], 2, &k, &mem);
            printf("fast  %s 128x128 %5lldx%5lldx%5lld: %.3g MACs/s "
                   "(%.3f s, %" PRIu64 " cycles, util %.1f%%, %.1f MB)\n",
                   df ? "os" : "ws", (long long)s[0], (long long)s[1], (long long)s[2],
                   (double)k.macs / dt, dt, k.cycles, 100 * titan_tpu_utilization(&c, &k),
                   mem / 1e6);
        }
    const int64_t cyc_shapes[][5] = {
        {128, 128, 256, 256, 256}, {128, 128, 64, 576, 384}, {32, 32, 128, 128, 128}};
    for (int df = 0; df < 2; df++)
        for (size_t i = 0; i < sizeof cyc_shapes / sizeof *cyc_shapes; i++) {
            titan_tpu_config_default(&c);
            const int64_t *s = cyc_shapes[i];
            c.rows = (int32_t)s[0], c.cols = (int32_t)s[1];
            c.dataflow = (titan_tpu_dataflow)df;
            c.mode = TITAN_TPU_CYCLE;
            double dt = run(&c, s[2], s[3], s[4], 1, &k, &mem);
            double upd = (double)k.cycles * c.rows * c.cols;
            printf("cycle %s %3dx%-3d %5lldx%5lldx%5lld: %.3g PE-updates/s "
                   "(%.3f s, %" PRIu64 " cycles, %.2f MB)\n",
                   df ? "os" : "ws", c.rows, c.cols, (long long)s[2], (long long)s[3],
                   (long long)s[4], upd / dt, dt, k.cycles, mem / 1e6);
        }
    return 0;
}
