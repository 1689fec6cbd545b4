/* bench_eval.c: eval throughput (scored tokens per second, and tokens fed
 * through the model per second) for a preset with random float32 weights, at
 * stride 64 and at stride == ctx, on the cpu backend as `titan eval` runs it
 * by default (one single-thread backend per worker).
 *   bench_eval [--preset NAME] [--ctx L] [--targets N] [--threads T]
 * Without --preset: nano and zenyx-v2-base. Run alone on a quiet machine. */
#include "platform/backend_cpu.h"
#include "tools/cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int n;
    titan_tensor t[TITAN_MAX_TENSORS];
    float *data[TITAN_MAX_TENSORS];
} weights;

static uint64_t rng = 88172645463325252ull;
static float uniform(void) { /* xorshift64, in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) * 0x1.0p-23 - 1);
}

static bool make_weights(const titan_config *c, weights *w) {
    titan_tensor_spec s[TITAN_MAX_TENSORS];
    memset(w, 0, sizeof *w);
    w->n = titan_config_tensors(c, s, TITAN_MAX_TENSORS);
    for (int i = 0; i < w->n; i++) {
        size_t count = (size_t)(s[i].rows * s[i].cols);
        if (!(w->data[i] = malloc(count * sizeof(float)))) return false;
        float scale = s[i].role == TITAN_ROLE_NORM ? 0 : 1 / sqrtf((float)s[i].cols);
        for (size_t k = 0; k < count; k++)
            w->data[i][k] = s[i].role == TITAN_ROLE_NORM ? 1 : uniform() * scale;
        w->t[i] = (titan_tensor){.dtype = TITAN_DT_F32,
                                 .ndim = s[i].ndim,
                                 .rows = s[i].rows,
                                 .cols = s[i].cols,
                                 .data = w->data[i]};
        memcpy(w->t[i].name, s[i].name, TITAN_NAME_MAX);
    }
    return true;
}

static void free_weights(weights *w) {
    for (int i = 0; i < w->n; i++) free(w->data[i]);
}

/* One timed eval; prints a line and returns 0, or the exit code. */
static int bench_one(const char *preset, const titan_config *c, const weights *w,
                     const int32_t *seq, int64_t targets, int ctx, int stride,
                     int threads) {
    titan_backend *bes[TITAN_EVAL_MAX_THREADS] = {0};
    titan_eval_options o = {.ctx = ctx, .stride = stride, .batch = 1, .threads = threads};
    size_t need, per_backend = titan_backend_cpu_arena_bytes(1) + TITAN_ALIGN;
    titan_status st = titan_eval_model_plan(c, ctx, ctx, threads, &need);
    if (st) return cli_fail("bench_eval", st);
    titan_arena a;
    if ((st = cli_arena_create(&a, need + titan_eval_plan(targets, &o) +
                                       (size_t)threads * per_backend)))
        return cli_fail("bench_eval", st);
    for (int i = 0; !st && i < threads; i++)
        st = titan_backend_cpu_create(&a, 1, &bes[i]);
    uint32_t *ones = malloc((size_t)c->vocab_size * sizeof *ones);
    for (int32_t v = 0; ones && v < c->vocab_size; v++) ones[v] = 1;
    titan_byte_table bt = {c->vocab_size, ones, NULL};
    titan_eval_model *em;
    titan_eval_result r;
    double t0 = cli_now();
    if (!st && !ones) st = TITAN_E_NOMEM;
    if (!st) st = titan_eval_model_create(&a, c, w->t, w->n, ctx, ctx, threads, bes, &em);
    double t1 = cli_now();
    if (!st)
        st = titan_eval_run(&a, seq, targets, &bt, &o, titan_eval_model_score, em, &r);
    double t2 = cli_now();
    free(ones);
    for (int i = 0; i < threads; i++) titan_backend_destroy(bes[i]);
    cli_arena_destroy(&a);
    if (st) return cli_fail("bench_eval", st);
    int64_t fed = 0; /* tokens run through the model: every window's length */
    for (int64_t k = 0; k < r.windows; k++) {
        titan_eval_window win;
        if ((st = titan_eval_window_get(targets, ctx, stride, k, &win)))
            return cli_fail("bench_eval", st);
        fed += win.len;
    }
    printf("%-14s ctx %5d stride %5d threads %d: %7lld targets %6lld windows "
           "%8.2f s  %9.1f scored tok/s  %9.1f fed tok/s  (setup %.2f s, "
           "arena %.1f MB)\n",
           preset, ctx, stride, threads, (long long)targets, (long long)r.windows,
           t2 - t1, targets / (t2 - t1), fed / (t2 - t1), t1 - t0, (double)a.cap / 1e6);
    return 0;
}

static int bench_preset(const char *preset, int64_t ctx_flag, int64_t targets,
                        int threads) {
    titan_config c;
    titan_status st = titan_config_preset(preset, &c);
    if (st) return cli_fail("bench_eval", st);
    int ctx = ctx_flag ? (int)ctx_flag : c.max_seq_len < 1024 ? c.max_seq_len : 1024;
    if (ctx > c.max_seq_len) return cli_usage("bench_eval", "--ctx too large");
    int64_t n = targets ? targets : 2 * (int64_t)ctx;
    weights w;
    int32_t *seq = malloc((size_t)(n + 1) * sizeof *seq);
    int rc = seq && make_weights(&c, &w) ? 0 : CLI_EXIT_FAIL;
    for (int64_t i = 0; !rc && i <= n; i++)
        seq[i] = (int32_t)((uniform() + 1) / 2 * (float)c.vocab_size) % c.vocab_size;
    const int strides[2] = {ctx < 64 ? ctx : 64, ctx};
    for (int k = 0; k < 2 && !rc; k++)
        rc = bench_one(preset, &c, &w, seq, n, ctx, strides[k], threads);
    free_weights(&w);
    free(seq);
    return rc;
}

int main(int argc, char **argv) {
    const char *preset = NULL;
    int64_t ctx = 0, targets = 0, threads = 1;
    const cli_flag flags[] = {
        {"--preset", FLAG_STR, &preset, 0, 0,
         "one preset (default: nano, zenyx-v2-base)"},
        {"--ctx", FLAG_INT, &ctx, 1, 1 << 16, "context (default min(max_seq_len, 1024))"},
        {"--targets", FLAG_INT, &targets, 1, 1e9, "scored targets (default 2 * ctx)"},
        {"--threads", FLAG_INT, &threads, 1, TITAN_EVAL_MAX_THREADS, "eval workers"},
    };
    int npos;
    argv[0] = "bench_eval";
    int rc = cli_parse(argc, argv,
                       "bench_eval [--preset NAME] [--ctx L] [--targets N] [--threads T]",
                       flags, NULL, 0, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (preset) return bench_preset(preset, ctx, targets, (int)threads);
    rc = bench_preset("nano", ctx, targets, (int)threads);
    return rc ? rc : bench_preset("zenyx-v2-base", ctx, targets, (int)threads);
}
