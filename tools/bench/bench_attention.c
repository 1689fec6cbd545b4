/* bench_attention.c: CPU time of zenyx-v2-base prefill and decode at a long
 * context, where attention dominates. CPU time (whole process, and the
 * calling thread alone) rather than wall time, so runs on a shared machine
 * still compare; f32 random weights, LAYERS effective layers (the preset's
 * 32 by default; attention and matmul cost are the same in every layer, so
 * fewer layers scale down a run). Prefill is ctx - DECODE_TOKENS tokens in
 * batches of PREFILL_BATCH, then DECODE_TOKENS single-token steps.
 * Usage: bench_attention [LAYERS [CTX [THREADS]]]   (defaults 32 2048 1) */
#include "platform/backend_cpu.h"
#include "platform/threads.h"
#include "tools/cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PREFILL_BATCH = 512, DECODE_TOKENS = 32 };

static uint64_t rng = 0x2545f4914f6cdd1dull;
static float uniform(void) { /* [-1, 1) */
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return (float)((rng * 2685821657736338717ull) >> 40) * 0x1p-23f - 1.0f;
}

static double cpu_seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    double wall, process, caller;
} stamp;

static stamp now(void) {
    return (stamp){cli_now(), cpu_seconds(CLOCK_PROCESS_CPUTIME_ID),
                   cpu_seconds(CLOCK_THREAD_CPUTIME_ID)};
}

static void report(const char *what, int tokens, stamp a, stamp b) {
    printf("%-8s %5d tokens: cpu %8.3f s (caller %8.3f s, wall %8.3f s) = "
           "%8.3f ms cpu/token\n",
           what, tokens, b.process - a.process, b.caller - a.caller, b.wall - a.wall,
           1e3 * (b.process - a.process) / tokens);
}

/* Random f32 weights (matrices ~ U(-1,1)/sqrt(cols), norms ~1). */
static titan_status make_weights(const titan_config *c, titan_tensor *t, int *n) {
    titan_tensor_spec spec[TITAN_MAX_TENSORS];
    *n = titan_config_tensors(c, spec, TITAN_MAX_TENSORS);
    for (int i = 0; i < *n; i++) {
        size_t count = (size_t)(spec[i].rows * spec[i].cols);
        float *f = malloc(count * sizeof *f);
        if (!f) return TITAN_E_NOMEM;
        float gain =
            spec[i].role == TITAN_ROLE_MATRIX ? 1 / sqrtf((float)spec[i].cols) : 1;
        for (size_t k = 0; k < count; k++)
            f[k] =
                spec[i].role == TITAN_ROLE_NORM ? 1 + 0.1f * uniform() : gain * uniform();
        t[i] = (titan_tensor){.dtype = TITAN_DT_F32,
                              .ndim = spec[i].ndim,
                              .rows = spec[i].rows,
                              .cols = spec[i].cols,
                              .data = f};
        memcpy(t[i].name, spec[i].name, TITAN_NAME_MAX);
    }
    return TITAN_OK;
}

static titan_status run(const titan_config *c, const titan_tensor *t, int n, int ctx,
                        titan_backend *be) {
    int batch = ctx - DECODE_TOKENS < PREFILL_BATCH ? ctx - DECODE_TOKENS : PREFILL_BATCH;
    size_t bytes;
    titan_arena a;
    TITAN_TRY(titan_model_plan(c, ctx, batch, &bytes));
    TITAN_TRY(cli_arena_create(&a, bytes));
    titan_model *m;
    titan_seq *s;
    titan_status st = titan_model_create(&a, c, t, n, ctx, batch, be, &m);
    if (!st) st = titan_seq_create(&a, m, &s);
    int32_t *ids = malloc(sizeof *ids * (size_t)ctx);
    if (!ids) st = TITAN_E_NOMEM;
    for (int i = 0; !st && i < ctx; i++)
        ids[i] = (int32_t)((uniform() + 1) * 0.5f * (float)(c->vocab_size - 1));
    int prefill = ctx - DECODE_TOKENS;
    stamp t0 = now();
    for (int p = 0; !st && p < prefill; p += batch)
        st =
            titan_model_forward(m, s, ids + p, prefill - p < batch ? prefill - p : batch);
    stamp t1 = now();
    for (int i = 0; !st && i < DECODE_TOKENS; i++)
        st = titan_model_forward(m, s, ids + prefill + i, 1);
    stamp t2 = now();
    if (!st) report("prefill", prefill, t0, t1), report("decode", DECODE_TOKENS, t1, t2);
    free(ids);
    cli_arena_destroy(&a);
    return st;
}

int main(int argc, char **argv) {
    int64_t layers = 32, ctx = 2048, threads = 1;
    if ((argc > 1 && !cli_parse_int(argv[1], 1, TITAN_MAX_BLOCKS, &layers)) ||
        (argc > 2 && !cli_parse_int(argv[2], DECODE_TOKENS + 1, 1 << 20, &ctx)) ||
        (argc > 3 && !cli_parse_int(argv[3], 1, TITAN_POOL_MAX_THREADS, &threads)))
        return cli_usage("bench_attention",
                         "LAYERS in [1, %d], CTX > %d, THREADS in [1, %d]",
                         TITAN_MAX_BLOCKS, DECODE_TOKENS, TITAN_POOL_MAX_THREADS);
    titan_config c;
    if (titan_config_preset("zenyx-v2-base", &c) != TITAN_OK)
        return cli_fail("bench_attention", TITAN_E_USAGE);
    c.bos_id = TITAN_TOK_BOS;
    c.n_unique_blocks = (int)layers, c.n_recurrences = 1;
    if (ctx > c.max_seq_len) c.max_seq_len = (int)ctx;
    titan_tensor t[TITAN_MAX_TENSORS] = {0};
    int n = 0;
    titan_arena arena = {0};
    titan_backend *be = NULL;
    titan_status st = make_weights(&c, t, &n);
    if (!st)
        st = cli_arena_create(&arena, titan_backend_cpu_arena_bytes((int)threads) + 8192);
    if (!st) st = titan_backend_cpu_create(&arena, (int)threads, &be);
    if (!st) {
        printf("zenyx-v2-base f32, %d layers, ctx %d, %d thread(s), %s kernels\n",
               (int)layers, (int)ctx, (int)threads,
               titan_isa_name(titan_backend_cpu_isa(be)));
        st = run(&c, t, n, (int)ctx, be);
    }
    titan_backend_destroy(be);
    cli_arena_destroy(&arena);
    for (int i = 0; i < n; i++) free((void *)t[i].data);
    return st ? cli_fail("bench_attention", st) : CLI_EXIT_OK;
}
