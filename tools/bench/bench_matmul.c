/* bench_matmul.c: the cpu backend's matmul on zenyx-v2-base shapes, f32 and
 * int8, 1 and 2 threads. GEMV (T = 1, decode) cycles through enough copies of
 * the matrix that every call reads its weights from memory, and is reported as
 * GB/s of weights (and scales) read against the measured read bandwidth; GEMM
 * (T = 512, prefill) as GFLOP/s against the measured peak FMA throughput.
 * Then the trainer's three float products (forward, dx, dW) on the shapes of
 * the nano preset and of bench_train.sh's config, one thread, as GFLOP/s.
 * Usage: bench_matmul [ROLE]   (one shape, e.g. lm_head; "train": the
 * trainer's rows only) */
#include "platform/backend_cpu.h"
#include "tools/bench/common/limits.h"
#include "tools/cli/cli.h"
#include "tools/train/train_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLD_BYTES    ((size_t)256 << 20) /* GEMV copies span 8x the L3 */
#define MIN_SECONDS   0.3
#define SWEEP_SECONDS 0.02

typedef struct {
    const char *role;
    int64_t N, K;
} shape;

static const shape shapes[] = {
    {"q_down", 384, 576},  {"q_up", 864, 384},      {"attn_out", 576, 576},
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

/* Seconds per call(ctx, i) for calls i = 0, 1, ...: the best sweep of at
 * least SWEEP_SECONDS and min_calls calls, so that other processes on a
 * shared machine inflate the numbers as little as possible. */
static double time_calls(void (*call)(void *ctx, long i), void *ctx, long min_calls) {
    call(ctx, 0); /* warm-up */
    double best = 1e30, start = cli_now();
    for (int sweep = 0; sweep < 3 || cli_now() - start < MIN_SECONDS; sweep++) {
        long calls = 0;
        double t0 = cli_now(), dt;
        do {
            call(ctx, calls++);
            dt = cli_now() - t0;
        } while (dt < SWEEP_SECONDS || calls < min_calls);
        if (dt / (double)calls < best) best = dt / (double)calls;
    }
    return best;
}

typedef struct {
    titan_backend *be;
    titan_tensor *w; /* [copies], cycled */
    int copies, T;
    const float *x;
    float *y;
} matmul_call;

static void call_matmul(void *ctx, long i) {
    matmul_call *c = ctx;
    c->be->matmul(c->be, &c->w[i % c->copies], c->x, c->y, c->T);
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
        matmul_call c = {bes[th - 1], w, copies, 1, x, y};
        double sec = time_calls(call_matmul, &c, copies);
        double gbs = (double)bytes / sec * 1e-9;
        printf("%-9s %5lldx%-5lld %-4s T=1   threads %d  %8.1f us  %6.1f GB/s  "
               "%5.1f%% of bandwidth\n",
               s->role, (long long)s->N, (long long)s->K, dname, th, sec * 1e6, gbs,
               100 * gbs / lim->bw_gbs[th - 1]);
    }
    for (int th = 1; th <= 2; th++) {
        matmul_call c = {bes[th - 1], w, 1, Tmax, x, y};
        double sec = time_calls(call_matmul, &c, 1);
        double gf = 2.0 * (double)(s->N * s->K) * Tmax / sec * 1e-9;
        printf("%-9s %5lldx%-5lld %-4s T=%-3d threads %d  %8.1f us  %6.1f GFLOP/s"
               "  %5.1f%% of peak FMA\n",
               s->role, (long long)s->N, (long long)s->K, dname, Tmax, th, sec * 1e6, gf,
               100 * gf / lim->fma_gflops[th - 1]);
    }
    for (int c = 0; c < copies; c++) free_tensor(&w[c]);
    free(w), free(x), free(y);
}

/* The trainer's weights [O][I] (and attention's scores, [T][qk] by [T][qk]
 * as x and W): the nano preset and bench_train.sh's config (d_model 256). */
typedef struct {
    const char *role;
    int O, I;
} train_shape;

static const train_shape train_shapes[] = {
    {"nano mlp_up", 384, 128},   {"nano mlp_down", 128, 384}, {"nano lm_head", 1024, 128},
    {"d256 q_down", 128, 256},   {"d256 mlp_up", 768, 256},   {"d256 mlp_down", 256, 768},
    {"d256 lm_head", 1024, 256}, {"d256 scores", 256, 48},
};

/* One of the trainer's products on random operands. */
typedef struct {
    int op, T, I, O; /* op: 0 forward, 1 dx, 2 dW */
    float *x, *W, *dy, *y, *dx, *dW;
} train_call;

static const char *const train_op_names[] = {"forward", "dx", "dW"};

static void call_train(void *ctx, long i) {
    train_call *c = ctx;
    (void)i;
    switch (c->op) {
    case 0: train_matmul_forward(c->y, c->x, c->W, c->T, c->I, c->O); break;
    case 1: train_matmul_acc_dx(c->dx, c->dy, c->W, c->T, c->I, c->O); break;
    default: train_matmul_acc_dw(c->dW, c->dy, c->x, c->T, c->I, c->O); break;
    }
}

static float *random_floats(size_t n) {
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; p && i < n; i++) p[i] = (float)next_u32() * 0x1p-31f - 1.0f;
    return p;
}

/* One thread, as the trainer runs each sequence: T = 256 (bench_train.sh's
 * --seq) and T = 2048 (its whole batch of 8, as one product). */
static void bench_train_shape(const bench_limits *lim, const train_shape *s) {
    for (int T = 256; T <= 2048; T *= 8) {
        size_t TI = (size_t)T * s->I, TO = (size_t)T * s->O, OI = (size_t)s->O * s->I;
        train_call c = {0,
                        T,
                        s->I,
                        s->O,
                        random_floats(TI),
                        random_floats(OI),
                        random_floats(TO),
                        random_floats(TO),
                        random_floats(TI),
                        random_floats(OI)};
        for (c.op = 0; c.op < 3; c.op++) {
            double sec = time_calls(call_train, &c, 1);
            double gf = 2.0 * (double)TI * s->O / sec * 1e-9;
            printf("train %-13s %4dx%-4d T=%-4d %-7s threads 1  %8.1f us  %6.1f "
                   "GFLOP/s  %5.1f%% of peak FMA\n",
                   s->role, s->O, s->I, T, train_op_names[c.op], sec * 1e6, gf,
                   100 * gf / lim->fma_gflops[0]);
        }
        free(c.x), free(c.W), free(c.dy), free(c.y), free(c.dx), free(c.dW);
    }
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
    for (size_t i = 0; i < sizeof train_shapes / sizeof train_shapes[0]; i++)
        if (!only || !strcmp(only, "train")) bench_train_shape(&lim, &train_shapes[i]);
    for (int th = 0; th < 2; th++) {
        titan_thread_pool_destroy(pools[th]);
        titan_backend_destroy(bes[th]);
    }
    cli_arena_destroy(&arena);
    return CLI_EXIT_OK;
}
