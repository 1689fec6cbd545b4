/* bench_matmul.c: the cpu backend's matmul on zenyx-v2-base shapes, f32 and
 * int8, 1 and 2 threads. GEMV (T = 1, decode) cycles through enough copies of
 * the matrix that every call reads its weights from memory, and is reported as
 * GB/s of weights (and scales) read against the measured read bandwidth; GEMM
 * (T = 512, prefill) as GFLOP/s against the measured peak FMA throughput.
 * Usage: bench_matmul [ROLE]   (one shape, e.g. lm_head) */
#include "platform/backend_cpu.h"
#include "tools/bench/common/limits.h"
#include "tools/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLD_BYTES ((size_t)256 << 20) /* GEMV copies span 8x the L3 */
#define MIN_SECONDS 0.3
#define SWEEP_SECONDS 0.02

typedef struct {
    const char *role;
    int64_t N, K;
} shape;

static const shape shapes[] = {
    {"q_down", 384, 576},  {"q_up", 864, 384},    {"attn_out", 576, 576},
    {"mlp_up", 1536, 576}, {"mlp_down", 576, 1536}, {"lm_head", 32768, 576},
};

static uint64_t rng = 88172645463325252ull;
static uint32_t next_u32(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)rng;
}

/* A random [N][K] tensor: f32 in [-1, 1), or int8 with per-row scales. */
static titan_tensor make_tensor(titan_dtype dt, int64_t N, int64_t K) {
    size_t n = (size_t)(N * K);
    titan_tensor t = {.dtype = dt, .ndim = 2, .rows = N, .cols = K};
    if (dt == TITAN_DT_F32) {
        float *w = malloc(n * sizeof *w);
        for (size_t i = 0; w && i < n; i++) w[i] = (float)next_u32() * 0x1p-31f - 1.0f;
        t.data = w;
    } else {
        int8_t *q = malloc(n);
        float *s = malloc((size_t)N * sizeof *s);
        for (size_t i = 0; q && i < n; i++) q[i] = (int8_t)next_u32();
        for (int64_t r = 0; s && r < N; r++) s[r] = 0.01f;
        t.data = q, t.scales = s;
    }
    return t;
}

static size_t tensor_bytes(const titan_tensor *t) {
    size_t per = t->dtype == TITAN_DT_F32 ? 4 : 1;
    return (size_t)(t->rows * t->cols) * per + (t->scales ? (size_t)t->rows * 4 : 0);
}

static void free_tensor(titan_tensor *t) {
    free((void *)t->data), free((void *)t->scales);
}

/* Seconds per call, cycling through `copies` tensors: the best sweep of at
 * least SWEEP_SECONDS, so that other processes on a shared machine inflate
 * the numbers as little as possible. */
static double time_calls(titan_backend *be, titan_tensor *w, int copies,
                         const float *x, float *y, int T) {
    be->matmul(be, &w[0], x, y, T); /* warm-up */
    double best = 1e30, start = cli_now();
    for (int sweep = 0; sweep < 3 || cli_now() - start < MIN_SECONDS; sweep++) {
        long calls = 0;
        double t0 = cli_now(), dt;
        do {
            be->matmul(be, &w[calls % copies], x, y, T);
            calls++;
            dt = cli_now() - t0;
        } while (dt < SWEEP_SECONDS || calls < copies);
        if (dt / (double)calls < best) best = dt / (double)calls;
    }
    return best;
}

static void bench_shape(titan_backend *const bes[2], const bench_limits *lim,
                        const shape *s, titan_dtype dt) {
    const char *dname = dt == TITAN_DT_F32 ? "f32" : "int8";
    titan_tensor one = make_tensor(dt, s->N, s->K);
    size_t bytes = tensor_bytes(&one);
    int copies = (int)((COLD_BYTES + bytes - 1) / bytes);
    if (copies < 2) copies = 2;
    titan_tensor *w = malloc(sizeof *w * (size_t)copies);
    w[0] = one;
    for (int c = 1; c < copies; c++) w[c] = make_tensor(dt, s->N, s->K);
    int Tmax = 512;
    float *x = malloc(sizeof(float) * (size_t)(Tmax * s->K));
    float *y = malloc(sizeof(float) * (size_t)(Tmax * s->N));
    for (int64_t i = 0; i < Tmax * s->K; i++) x[i] = (float)next_u32() * 0x1p-32f;
    for (int th = 1; th <= 2; th++) {
        double sec = time_calls(bes[th - 1], w, copies, x, y, 1);
        double gbs = (double)bytes / sec * 1e-9;
        printf("%-9s %5lldx%-5lld %-4s T=1   threads %d  %8.1f us  %6.1f GB/s  "
               "%5.1f%% of bandwidth\n",
               s->role, (long long)s->N, (long long)s->K, dname, th, sec * 1e6,
               gbs, 100 * gbs / lim->bw_gbs[th - 1]);
    }
    for (int th = 1; th <= 2; th++) {
        double sec = time_calls(bes[th - 1], w, 1, x, y, Tmax);
        double gf = 2.0 * (double)(s->N * s->K) * Tmax / sec * 1e-9;
        printf("%-9s %5lldx%-5lld %-4s T=%-3d threads %d  %8.1f us  %6.1f GFLOP/s"
               "  %5.1f%% of peak FMA\n",
               s->role, (long long)s->N, (long long)s->K, dname, Tmax, th,
               sec * 1e6, gf, 100 * gf / lim->fma_gflops[th - 1]);
    }
    for (int c = 0; c < copies; c++) free_tensor(&w[c]);
    free(w), free(x), free(y);
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL; /* one shape role */
    titan_arena arena;
    size_t need = 2 * titan_backend_cpu_arena_bytes(2) + 2 * 4096;
    if (cli_arena_create(&arena, need)) return CLI_EXIT_FAIL;
    titan_backend *bes[2];
    for (int th = 1; th <= 2; th++) {
        titan_status st = titan_backend_cpu_create(&arena, th, &bes[th - 1]);
        if (st) return cli_fail("bench_matmul", st);
    }
    titan_thread_pool *pools[2];
    for (int th = 1; th <= 2; th++) {
        titan_status st = titan_thread_pool_create(&arena, th, &pools[th - 1]);
        if (st) return cli_fail("bench_matmul", st);
    }
    bench_limits lim;
    bench_limits_measure(pools, &lim);
    printf("kernels: %s\n", titan_isa_name(titan_backend_cpu_isa(bes[0])));
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (only && strcmp(only, shapes[i].role)) continue;
        bench_shape(bes, &lim, &shapes[i], TITAN_DT_F32);
        bench_shape(bes, &lim, &shapes[i], TITAN_DT_INT8);
    }
    for (int th = 0; th < 2; th++) {
        titan_thread_pool_destroy(pools[th]);
        titan_backend_destroy(bes[th]);
    }
    cli_arena_destroy(&arena);
    return CLI_EXIT_OK;
}
