/* bench_gdn.c: one Gated DeltaNet layer against one attention layer of the
 * same width (d_model 512) at contexts 512, 4096 and 16384 on the cpu
 * backend, f32 random weights, 1 and 2 threads. Prefill runs ctx - DECODE
 * tokens in calls of up to PREFILL_BATCH, then DECODE single-token steps;
 * tokens/s of both (best of REPEATS). The attention layer is the MLA of
 * SPEC section 1 (H 8, G 4, Dh = Dv 64, Dr 32, Lkv 128, no query latent) run
 * as a one-block model whose feed-forward part is 8 wide (under 1% of the
 * layer); the GDN layers are the mixer alone (core/gdn.c): 8 heads of
 * 64 x 64 (Hk = Hv, Kc 4, silu, gated norm: the defaults) and golf-1.0785's
 * GDN blocks (Hk 2, Hv 4, Kc 2, elu1, gate only). A GDN layer's decode cost
 * does not depend on the context (its state has a fixed size); attention's
 * grows with it (every step reads the whole cache).
 *
 * Beside the runs, this machine's limits (measured before each repeat):
 * prefill GFLOP/s of the layer's matrix products (2 flops per weight per
 * token; the heads' own work is not counted) over peak FMA, and decode
 * bytes per token (the weights, plus the cache rows attention reads or the
 * state GDN reads and writes) times tokens/s over read bandwidth.
 * Usage: bench_gdn [CTX]   (one context) */
#include "core/gdn.h"
#include "tools/bench/common/cpus.h"
#include "tools/bench/common/limits.h"
#include "tools/cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PREFILL_BATCH = 512, DECODE = 32, REPEATS = 2, D = 512 };

static uint64_t rng = 0x2545f4914f6cdd1dull;
static float uniform(void) { /* [-1, 1) */
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return (float)((rng * 2685821657736338717ull) >> 40) * 0x1p-23f - 1.0f;
}

/* The shared shape: one block, width D; section-8 fields set by the caller. */
static titan_config base_config(int ctx) {
    titan_config c;
    titan_config_defaults(&c);
    c.vocab_size = 512, c.d_model = D, c.n_heads = 8, c.n_kv_heads = 4;
    c.head_dim = 64, c.v_head_dim = 64, c.rope_dim = 32, c.q_latent = 0;
    c.kv_latent = 128, c.mlp_hidden = 8, c.conv_kernel = 0;
    c.n_unique_blocks = 1, c.n_recurrences = 1, c.max_seq_len = ctx;
    c.rope_base = 10000, c.yarn_factor = 1, c.yarn_orig_ctx = ctx;
    c.yarn_beta_fast = 32, c.yarn_beta_slow = 1, c.mtp_heads = 1;
    c.mtp_weights[0] = 1, c.norm_eps = 1e-5, c.bos_id = 0;
    return c;
}

typedef struct {
    int n;
    titan_tensor t[TITAN_MAX_TENSORS];
    titan_tensor_spec spec[TITAN_MAX_TENSORS];
    double matrix_weights; /* values of the block's matrices */
} weights;

/* f32: matrices ~ U(-1,1)/sqrt(cols), norms and the rest ~ 1 +- 0.1. */
static titan_status make_weights(const titan_config *c, weights *w) {
    w->n = titan_config_tensors(c, w->spec, TITAN_MAX_TENSORS);
    w->matrix_weights = 0;
    for (int i = 0; i < w->n; i++) {
        const titan_tensor_spec *s = &w->spec[i];
        size_t count = (size_t)(s->rows * s->cols);
        float *f = malloc(count * sizeof *f);
        if (!f) return TITAN_E_NOMEM;
        bool matrix = s->role == TITAN_ROLE_MATRIX;
        for (size_t k = 0; k < count; k++)
            f[k] = matrix ? uniform() / sqrtf((float)s->cols) : 1.0f + 0.1f * uniform();
        if (matrix) w->matrix_weights += (double)count;
        w->t[i] = (titan_tensor){.dtype = TITAN_DT_F32,
                                 .ndim = s->ndim,
                                 .rows = s->rows,
                                 .cols = s->cols,
                                 .data = f};
        memcpy(w->t[i].name, s->name, TITAN_NAME_MAX);
    }
    return TITAN_OK;
}

static void free_weights(weights *w) {
    for (int i = 0; i < w->n; i++) free((void *)w->t[i].data);
}

/* One layer at one context: prefill and decode, both timed. */
typedef struct {
    const titan_config *c;
    const weights *w;
    titan_backend *be;
    int ctx;
    /* attention: a one-block model */
    titan_model *m;
    titan_seq *s;
    int32_t *ids;
    /* gdn: the mixer alone */
    titan_gdn g;
    titan_gdn_block b;
    float *state, *u, *y;
} layer;

static titan_status layer_open(layer *l, titan_arena *a) {
    const titan_config *c = l->c;
    int batch = PREFILL_BATCH;
    if (!c->gdn_layers_len) {
        TITAN_TRY(
            titan_model_create(a, c, l->w->t, l->w->n, l->ctx, batch, l->be, &l->m));
        TITAN_TRY(titan_seq_create(a, l->m, &l->s));
        TITAN_TRY(titan_arena_alloc(a, sizeof(int32_t) * l->ctx, TITAN_ALIGN,
                                    (void **)&l->ids));
        for (int i = 0; i < l->ctx; i++) l->ids[i] = i % c->vocab_size;
        return TITAN_OK;
    }
    const titan_tensor *w[8];
    int first = 0;
    while (strncmp(l->w->t[first].name, "blocks.0.gdn_", 13)) first++;
    for (int i = 0; i < 8 && first + i < l->w->n; i++) w[i] = &l->w->t[first + i];
    TITAN_TRY(titan_gdn_carve(a, c, batch, &l->g));
    TITAN_TRY(titan_gdn_block_carve(a, c, &l->b));
    titan_gdn_block_bind(&l->b, &l->g, w);
    TITAN_TRY(titan_arena_alloc(a, sizeof(float) * titan_gdn_state_floats(c), TITAN_ALIGN,
                                (void **)&l->state));
    TITAN_TRY(titan_arena_alloc(a, sizeof(float) * (size_t)batch * D, TITAN_ALIGN,
                                (void **)&l->u));
    TITAN_TRY(titan_arena_alloc(a, sizeof(float) * (size_t)batch * D, TITAN_ALIGN,
                                (void **)&l->y));
    for (int i = 0; i < batch * D; i++) l->u[i] = uniform();
    return TITAN_OK;
}

/* Tokens [pos, pos + n) of the layer. */
static titan_status layer_step(layer *l, int pos, int n) {
    if (l->m) return titan_model_forward(l->m, l->s, l->ids + pos, n);
    titan_gdn_forward(&l->g, l->be, &l->b, l->state, pos, l->u, l->y, n);
    return TITAN_OK;
}

static titan_status prefill(layer *l) {
    int n = l->ctx - DECODE;
    if (l->s) titan_seq_reset(l->s);
    for (int p = 0; p < n; p += PREFILL_BATCH)
        TITAN_TRY(layer_step(l, p, n - p < PREFILL_BATCH ? n - p : PREFILL_BATCH));
    return TITAN_OK;
}

typedef struct {
    double prefill_tps, decode_tps, fma_gflops, bw_gbs;
} result;

static titan_status measure(layer *l, titan_thread_pool *pool, result *r) {
    *r = (result){0, 0, 0, 0};
    TITAN_TRY(prefill(l)); /* untimed: first touches of the arena */
    for (int rep = 0; rep < REPEATS; rep++) {
        r->fma_gflops = fmax(r->fma_gflops, bench_peak_fma(pool));
        r->bw_gbs = fmax(r->bw_gbs, bench_read_bandwidth(pool));
        double t0 = cli_now();
        TITAN_TRY(prefill(l));
        double t1 = cli_now();
        for (int i = 0; i < DECODE; i++) TITAN_TRY(layer_step(l, l->ctx - DECODE + i, 1));
        double t2 = cli_now();
        r->prefill_tps = fmax(r->prefill_tps, (l->ctx - DECODE) / (t1 - t0));
        r->decode_tps = fmax(r->decode_tps, DECODE / (t2 - t1));
    }
    return TITAN_OK;
}

/* Bytes one decode step moves besides the weights: the cache rows
 * attention reads (positions ctx - DECODE/2 on average), or the state GDN
 * reads and writes (S of every head, the conv rows). */
static double step_bytes(const titan_config *c, int ctx) {
    if (!c->gdn_layers_len)
        return (ctx - DECODE / 2.0) * (double)titan_model_cache_floats(c) * sizeof(float);
    titan_gdn_dims g = titan_config_gdn(c);
    return 2.0 * g.v_heads * g.head_dim * g.v_head_dim * sizeof(float);
}

static titan_status bench_one(const char *name, const titan_config *c, int ctx,
                              titan_backend *const bes[2],
                              titan_thread_pool *const pools[2]) {
    weights w;
    titan_status st = make_weights(c, &w);
    for (int th = 1; !st && th <= 2; th++) {
        layer l = {.c = c, .w = &w, .be = bes[th - 1], .ctx = ctx};
        size_t bytes = 0;
        if (!c->gdn_layers_len) st = titan_model_plan(c, ctx, PREFILL_BATCH, &bytes);
        titan_arena a;
        if (!st) st = cli_arena_create(&a, bytes + ((size_t)64 << 20));
        if (st) break;
        result r;
        st = layer_open(&l, &a);
        if (!st) st = measure(&l, pools[th - 1], &r);
        cli_arena_destroy(&a);
        if (st) break;
        /* The one-block model's matrices include its 8-wide FFN, as it runs. */
        double flops = 2 * w.matrix_weights, weight_bytes = 4 * w.matrix_weights;
        double gf = r.prefill_tps * flops * 1e-9;
        double gbs = r.decode_tps * (weight_bytes + step_bytes(c, ctx)) * 1e-9;
        printf("%-17s ctx %5d threads %d  prefill %8.0f tok/s (%5.1f GFLOP/s, %4.1f%% "
               "of peak FMA %5.1f)  decode %7.0f tok/s (%5.1f GB/s, %5.1f%% of "
               "bandwidth %4.1f)\n",
               name, ctx, th, r.prefill_tps, gf, 100 * gf / r.fma_gflops, r.fma_gflops,
               r.decode_tps, gbs, 100 * gbs / r.bw_gbs, r.bw_gbs);
        fflush(stdout);
    }
    free_weights(&w);
    return st;
}

static titan_status bench_ctx(int ctx, titan_backend *const bes[2],
                              titan_thread_pool *const pools[2]) {
    titan_config att = base_config(ctx), gdn = base_config(ctx), golf;
    gdn.gdn_layers[0] = 0, gdn.gdn_layers_len = 1; /* the defaults: 8 x 64 x 64 */
    golf = gdn;
    golf.gdn_heads = 2, golf.gdn_v_heads = 4, golf.gdn_conv_kernel = 2;
    golf.gdn_qk_act = TITAN_GDN_ACT_ELU1, golf.gdn_out_norm = false;
    TITAN_TRY(titan_config_validate(&att));
    TITAN_TRY(titan_config_validate(&gdn));
    TITAN_TRY(titan_config_validate(&golf));
    TITAN_TRY(bench_one("attention mla", &att, ctx, bes, pools));
    TITAN_TRY(bench_one("gdn 8x64", &gdn, ctx, bes, pools));
    return bench_one("gdn golf-1.0785", &golf, ctx, bes, pools);
}

int main(int argc, char **argv) {
    int64_t only = 0;
    if (argc > 1 && !cli_parse_int(argv[1], DECODE + 1, 1 << 20, &only))
        return cli_usage("bench_gdn", "CTX must be an integer > %d", DECODE);
    bench_cpus cpus;
    titan_status st = bench_cpus_open(&cpus);
    if (st) return cli_fail("bench_gdn", st);
    printf("one layer, d_model %d, f32, %s kernels; decode after a prefill of ctx - %d "
           "tokens\n",
           D, titan_isa_name(titan_backend_cpu_isa(cpus.be[0])), DECODE);
    static const int ctxs[] = {512, 4096, 16384};
    for (int i = 0; !st && i < 3; i++)
        if (!only) st = bench_ctx(ctxs[i], cpus.be, cpus.pool);
    if (only) st = bench_ctx((int)only, cpus.be, cpus.pool);
    bench_cpus_close(&cpus);
    return st ? cli_fail("bench_gdn", st) : CLI_EXIT_OK;
}
