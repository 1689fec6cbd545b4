/* bench_model.c: end-to-end prefill and decode tokens/s of the cpu backend on
 * random-weight models: zenyx-v2-base (f32 and int8, 1 and 2 threads, context
 * 128, 544 and 2048), nano, and golf-1.1531 (SPEC section 8: gqa, a 17-layer
 * schedule over 11 blocks, bigram and value embeddings; packed int6). Prefill runs ctx - DECODE_TOKENS tokens in
 * batches of up to PREFILL_BATCH (context 544: one fresh 512-token prompt),
 * then DECODE_TOKENS single-token steps with head-1 logits run at the end of
 * the context. Ratios against this machine's limits, measured beside the
 * runs they judge (before each repeat, with the same threads): a shared
 * host's bandwidth drifts by half within minutes, so limits measured once
 * at start-up are no yardstick for a run minutes later. Prefill GFLOP/s
 * (2 flops per weight per token in the matrix products; attention's own
 * work is not counted) over peak FMA; decode bytes per token (every block
 * matrix once per use in the schedule, the tied head, and the cache rows each
 * layer reads) times tokens/s over read bandwidth. Each figure, limits included,
 * is the best of REPEATS runs. Int8 runs are repeated right after with
 * --act-quant q8 (activations quantized per 32 values, integer dot products:
 * platform/matmul_q8.h), printed as q8's tokens/s and its ratio to the exact
 * run just before it.
 * Usage: bench_model [PRESET [CTX [TYPE]]]   (one preset, e.g. nano; one
 * context; one storage type: f32, int8 or int6; or "compare": int8 and int6
 * decode, exact and q8, interleaved rounds and medians, bench_compare; or
 * "ratios": decode at CTX over decode at context 128, and 512-token prefill
 * q8 over exact, interleaved rounds and medians, bench_ratios, which a run
 * without arguments ends with for zenyx-v2-base at 2048) */
#include "platform/matmul_q8_pack.h"
#include "tools/bench/common/cpus.h"
#include "tools/bench/common/limits.h"
#include "tools/cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Best of REPEATS runs: on a shared VM another tenant can slow any one. */
enum { PREFILL_BATCH = 512, DECODE_TOKENS = 32, REPEATS = 3 };

typedef struct {
    int n;
    titan_tensor t[TITAN_MAX_TENSORS];
    titan_tensor_spec spec[TITAN_MAX_TENSORS];
} weights;

static uint64_t rng = 0x2545f4914f6cdd1dull;
static float uniform(void) { /* [-1, 1) */
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return (float)((rng * 2685821657736338717ull) >> 40) * 0x1p-23f - 1.0f;
}

/* Random weights (matrices ~ U(-1,1)/sqrt(cols), norms ~1); matrices,
 * embedding tables and heads stored as dt (int8, int6: per-row
 * round-to-nearest, as titan pack --method rtn). */
static titan_status make_weights(const titan_config *c, titan_dtype dt, weights *w) {
    w->n = titan_config_tensors(c, w->spec, TITAN_MAX_TENSORS);
    for (int i = 0; i < w->n; i++) {
        const titan_tensor_spec *s = &w->spec[i];
        size_t count = (size_t)(s->rows * s->cols);
        float *f = malloc(count * sizeof *f);
        if (!f) return TITAN_E_NOMEM;
        float gain = s->role == TITAN_ROLE_MATRIX ? 1.0f / sqrtf((float)s->cols) : 1.0f;
        for (size_t k = 0; k < count; k++)
            f[k] =
                s->role == TITAN_ROLE_NORM ? 1.0f + 0.1f * uniform() : gain * uniform();
        titan_tensor *t = &w->t[i];
        *t = (titan_tensor){.dtype = TITAN_DT_F32,
                            .ndim = s->ndim,
                            .rows = s->rows,
                            .cols = s->cols,
                            .data = f};
        memcpy(t->name, s->name, TITAN_NAME_MAX);
        bool big = s->role == TITAN_ROLE_MATRIX || s->role == TITAN_ROLE_EMBED ||
                   s->role == TITAN_ROLE_HEAD;
        if (dt != TITAN_DT_F32 && big) {
            uint8_t *q = malloc((size_t)s->rows * titan_dtype_row_bytes(dt, s->cols));
            float *sc = malloc((size_t)s->rows * sizeof *sc);
            if (!q || !sc) return TITAN_E_NOMEM;
            titan_status st = titan_quant_rtn(f, s->rows, s->cols, dt, 0, q, sc);
            free(f);
            if (st) return st;
            t->dtype = dt, t->data = q, t->scales = sc;
        }
    }
    return TITAN_OK;
}

static void free_weights(weights *w) {
    for (int i = 0; i < w->n; i++)
        free((void *)w->t[i].data), free((void *)w->t[i].scales);
}

static double matrix_bytes(const titan_tensor *t) {
    return (double)t->rows * (double)titan_dtype_row_bytes(t->dtype, t->cols) +
           (t->scales ? 4.0 * (double)t->rows : 0);
}

/* Per token: flops of the matrices (prefill computes head-1 logits for its
 * last token only, so the head is not counted), and the bytes a decode step
 * reads for them and for the tied head 1 (the other tables: one row each). */
static void per_token_cost(const titan_config *c, const weights *w, double *flops,
                           double *bytes) {
    *flops = *bytes = 0;
    for (int i = 0; i < w->n; i++) {
        const titan_tensor *t = &w->t[i];
        if (w->spec[i].role == TITAN_ROLE_MATRIX) {
            int k = titan_config_tensor_uses(c, t->name);
            *flops += 2.0 * (double)(t->rows * t->cols) * k;
            *bytes += matrix_bytes(t) * k;
        } else if (!strcmp(t->name, "tok_emb")) {
            *bytes += matrix_bytes(t);
        }
    }
}

/* Cache bytes one decode step reads, averaged over the decode steps that
 * end a context of ctx: every effective layer's rows (latent and rotary key,
 * or keys and values). */
static double cache_bytes(const titan_config *c, int ctx) {
    double positions = ctx - DECODE_TOKENS / 2.0;
    return positions * (double)titan_model_cache_floats(c) * sizeof(float);
}

typedef struct {
    double prefill_tps, decode_tps;
    double fma_gflops, bw_gbs; /* the limits, measured beside the runs */
} run_result;

/* Forward ids[0, n) in calls of at most `batch` tokens. */
static titan_status prefill_ids(titan_model *m, titan_seq *s, const int32_t *ids, int n,
                                int batch) {
    titan_status st = TITAN_OK;
    for (int p = 0; !st && p < n; p += batch)
        st = titan_model_forward(m, s, ids + p, n - p < batch ? n - p : batch);
    return st;
}

/* A model of config c on weights w and backend be for context ctx, with
 * ctx random ids: prefill the first ctx - DECODE_TOKENS, decode the rest. */
typedef struct {
    titan_arena a;
    titan_model *m;
    titan_seq *s;
    int32_t *ids;
    float *logits;
    int batch, prefill;
} model_run;

static titan_status run_open(const titan_config *c, const weights *w, int ctx,
                             titan_backend *be, model_run *r) {
    *r = (model_run){.prefill = ctx - DECODE_TOKENS};
    r->batch = r->prefill < PREFILL_BATCH ? r->prefill : PREFILL_BATCH;
    size_t bytes;
    TITAN_TRY(titan_model_plan(c, ctx, r->batch, &bytes));
    TITAN_TRY(cli_arena_create(&r->a, bytes));
    titan_status st = titan_model_create(&r->a, c, w->t, w->n, ctx, r->batch, be, &r->m);
    if (!st) st = titan_seq_create(&r->a, r->m, &r->s);
    r->ids = malloc(sizeof *r->ids * (size_t)ctx);
    r->logits = malloc(sizeof *r->logits * (size_t)c->vocab_size);
    if (!st && (!r->ids || !r->logits)) st = TITAN_E_NOMEM;
    for (int i = 0; !st && i < ctx; i++)
        r->ids[i] = (int32_t)((uniform() + 1.0f) * 0.5f * (float)(c->vocab_size - 1));
    return st;
}

static void run_close(model_run *r) {
    free(r->ids), free(r->logits);
    cli_arena_destroy(&r->a);
}

/* The DECODE_TOKENS single-token steps after the prefill, head-1 logits each. */
static titan_status run_decode(model_run *r) {
    titan_status st = TITAN_OK;
    for (int i = 0; !st && i < DECODE_TOKENS; i++) {
        st = titan_model_forward(r->m, r->s, r->ids + r->prefill + i, 1);
        if (!st) st = titan_model_logits(r->m, 1, 0, 1, r->logits);
    }
    return st;
}

static titan_status run_one(const titan_config *c, const weights *w, int ctx,
                            titan_backend *be, titan_thread_pool *pool, run_result *res) {
    model_run r;
    titan_status st = run_open(c, w, ctx, be, &r);
    /* Untimed warm-up: first touches of the arena's pages are not prefill. */
    if (!st) st = prefill_ids(r.m, r.s, r.ids, r.prefill, r.batch);
    *res = (run_result){0, 0, 0, 0};
    for (int rep = 0; !st && rep < REPEATS; rep++) {
        res->fma_gflops = fmax(res->fma_gflops, bench_peak_fma(pool));
        res->bw_gbs = fmax(res->bw_gbs, bench_read_bandwidth(pool));
        titan_seq_reset(r.s);
        double t0 = cli_now();
        st = prefill_ids(r.m, r.s, r.ids, r.prefill, r.batch);
        if (!st) st = titan_model_logits(r.m, 1, 0, 1, r.logits);
        double t1 = cli_now();
        if (!st) st = run_decode(&r);
        double t2 = cli_now();
        res->prefill_tps = fmax(res->prefill_tps, r.prefill / (t1 - t0));
        res->decode_tps = fmax(res->decode_tps, DECODE_TOKENS / (t2 - t1));
    }
    run_close(&r);
    return st;
}

/* A preset and the storage types it is measured in. */
typedef struct {
    const char *name;
    titan_dtype dts[2];
    int n_dts;
} bench_case;

static const char *dtype_label(titan_dtype dt) {
    return dt == TITAN_DT_F32 ? "f32" : dt == TITAN_DT_INT8 ? "int8" : "int6";
}

/* q8 cpu backends of 1 and 2 threads for config c, in their own arena. */
typedef struct {
    titan_arena arena;
    titan_backend *be[2];
} q8_cpus;

/* Room for interleaved copies of every int8-laned tensor of w. */
static size_t pack_bytes(const weights *w) {
    size_t b = 0;
    for (int i = 0; i < w->n; i++)
        if (titan_q8_packs(&w->t[i]))
            b += titan_q8_pack_bytes(w->t[i].rows, w->t[i].cols, w->t[i].group_size,
                                     w->t[i].dtype);
    return b;
}

static titan_status q8_open(const titan_config *c, size_t packs, q8_cpus *q) {
    titan_cpu_options o[2];
    size_t bytes = 0;
    for (int th = 1; th <= 2; th++) {
        o[th - 1] = (titan_cpu_options){th, TITAN_ACT_Q8, PREFILL_BATCH, 0, packs};
        TITAN_TRY(titan_config_matmul_bounds(c, &(int64_t){0}, &o[th - 1].max_cols));
        bytes += titan_backend_cpu_opts_arena_bytes(&o[th - 1]) + TITAN_ALIGN;
    }
    *q = (q8_cpus){0};
    TITAN_TRY(cli_arena_create(&q->arena, bytes));
    titan_status st = TITAN_OK;
    for (int th = 1; !st && th <= 2; th++)
        st = titan_backend_cpu_create_opts(&q->arena, &o[th - 1], &q->be[th - 1]);
    return st;
}

static void q8_close(q8_cpus *q) {
    for (int th = 0; th < 2; th++) titan_backend_destroy(q->be[th]);
    cli_arena_destroy(&q->arena);
}

/* The q8 run beside exact run e (same weights, context and threads). */
static titan_status bench_q8(const char *preset, const char *label, const titan_config *c,
                             const weights *w, int ctx, int th, const q8_cpus *q,
                             titan_thread_pool *pool, const run_result *e) {
    run_result r;
    TITAN_TRY(run_one(c, w, ctx, q->be[th - 1], pool, &r));
    printf("%-13s %-4s ctx %4d threads %d  prefill %8.1f tok/s (%.2fx exact)"
           "                          decode %6.1f tok/s (%.2fx exact)\n",
           preset, label, ctx, th, r.prefill_tps, r.prefill_tps / e->prefill_tps,
           r.decode_tps, r.decode_tps / e->decode_tps);
    fflush(stdout);
    return TITAN_OK;
}

/* ---- compare: decode variants interleaved, medians ---- */

enum { ROUNDS = 9, VARIANTS = 5 };

/* Seconds of CPU the process has used: on a host busier than its cores,
 * wall time counts the turns other tenants took; one thread's CPU time
 * does not. */
static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Decode tokens/s of one run, per wall and per CPU second: prefill untimed,
 * then DECODE_TOKENS steps. */
static titan_status decode_tps(const titan_config *c, const weights *w, int ctx,
                               titan_backend *be, double *tps, double *cpu_tps) {
    model_run r;
    titan_status st = run_open(c, w, ctx, be, &r);
    if (!st) st = prefill_ids(r.m, r.s, r.ids, r.prefill, r.batch);
    double t0 = cli_now(), c0 = cpu_seconds();
    if (!st) st = run_decode(&r);
    *cpu_tps = DECODE_TOKENS / (cpu_seconds() - c0);
    *tps = DECODE_TOKENS / (cli_now() - t0);
    run_close(&r);
    return st;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* bench_model PRESET CTX compare: int8 and int6 decode, exact, q8 (rows as
 * stored) and q8i (interleaved copies), one thread, the variants run in
 * turn ROUNDS times with the read bandwidth measured each round; medians of
 * tokens/s and of each round's ratio to exact int8. */
static titan_status bench_compare(const char *preset, int ctx, const bench_cpus *cpus) {
    titan_config c;
    TITAN_TRY(titan_config_preset(preset, &c));
    c.bos_id = TITAN_TOK_BOS;
    weights w[2];
    TITAN_TRY(make_weights(&c, TITAN_DT_INT8, &w[0]));
    TITAN_TRY(make_weights(&c, TITAN_DT_INT6, &w[1]));
    q8_cpus q, qi[2];
    TITAN_TRY(q8_open(&c, 0, &q));
    TITAN_TRY(q8_open(&c, pack_bytes(&w[0]), &qi[0]));
    TITAN_TRY(q8_open(&c, pack_bytes(&w[1]), &qi[1]));
    static const char *const names[VARIANTS] = {"int8 exact", "int8 q8", "int8 q8i",
                                                "int6 exact", "int6 q8i"};
    const weights *vw[VARIANTS] = {&w[0], &w[0], &w[0], &w[1], &w[1]};
    titan_backend *vb[VARIANTS] = {cpus->be[0], q.be[0], qi[0].be[0], cpus->be[0],
                                   qi[1].be[0]};
    double tps[VARIANTS][ROUNDS], ratio[VARIANTS][ROUNDS], bw[ROUNDS], bytes[2], flops;
    double ctps[VARIANTS][ROUNDS], cratio[VARIANTS][ROUNDS], six[ROUNDS], csix[ROUNDS];
    per_token_cost(&c, &w[0], &flops, &bytes[0]);
    per_token_cost(&c, &w[1], &flops, &bytes[1]);
    titan_status st = TITAN_OK;
    for (int r = 0; !st && r < ROUNDS; r++) {
        bw[r] = bench_read_bandwidth(cpus->pool[0]);
        for (int v = 0; !st && v < VARIANTS; v++)
            st = decode_tps(&c, vw[v], ctx, vb[v], &tps[v][r], &ctps[v][r]);
        for (int v = 0; !st && v < VARIANTS; v++)
            ratio[v][r] = tps[v][r] / tps[0][r], cratio[v][r] = ctps[v][r] / ctps[0][r];
        six[r] = tps[4][r] / tps[2][r], csix[r] = ctps[4][r] / ctps[2][r];
    }
    double bwm = st ? 0 : median(bw, ROUNDS);
    printf("%s ctx %d, 1 thread, %d rounds interleaved, medians; read bandwidth %.1f "
           "GB/s\n",
           preset, ctx, ROUNDS, bwm);
    for (int v = 0; !st && v < VARIANTS; v++) {
        double t = median(tps[v], ROUNDS), b = bytes[v < 3 ? 0 : 1];
        printf("  %-10s decode %6.1f tok/s  %.2fx int8 exact  (per CPU second %6.1f, "
               "%.2fx)  weights %5.1f MB/token (stored), %5.1f%% of bandwidth\n",
               names[v], t, median(ratio[v], ROUNDS), median(ctps[v], ROUNDS),
               median(cratio[v], ROUNDS), b * 1e-6, 100 * t * b * 1e-9 / bwm);
    }
    if (!st)
        printf("  int6 q8i / int8 q8i: %.2fx (per CPU second %.2fx)\n",
               median(six, ROUNDS), median(csix, ROUNDS));
    q8_close(&q), q8_close(&qi[0]), q8_close(&qi[1]);
    free_weights(&w[0]), free_weights(&w[1]);
    return st;
}

/* ---- ratios: long-context decode and q8 prefill, interleaved, medians ---- */

enum { RATIO_ROUNDS = 5, RATIO_SHORT = 128, RATIO_PROMPT = 512 };

/* Seconds of one RATIO_PROMPT-token prefill (one call) and its head-1
 * logits, after an untimed one (first touches of the arena). */
static titan_status prefill_secs(const titan_config *c, const weights *w,
                                 titan_backend *be, double *secs) {
    model_run r;
    titan_status st = run_open(c, w, RATIO_PROMPT + DECODE_TOKENS, be, &r);
    if (!st) st = prefill_ids(r.m, r.s, r.ids, r.prefill, r.batch);
    titan_seq_reset(r.s);
    double t0 = cli_now();
    if (!st) st = prefill_ids(r.m, r.s, r.ids, r.prefill, r.batch);
    if (!st) st = titan_model_logits(r.m, 1, 0, 1, r.logits);
    *secs = cli_now() - t0;
    run_close(&r);
    return st;
}

/* One round at `th` threads: decode at RATIO_SHORT and at ctx, prefill
 * exact and q8 (interleaved copies); the ratios into v[0..3): decode
 * long / short (wall, per CPU second), prefill q8 / exact. */
static titan_status ratio_round(const titan_config *c, const weights *w, int ctx,
                                titan_backend *exact, titan_backend *q8, double v[3]) {
    double t[2], ct[2], p[2];
    TITAN_TRY(decode_tps(c, w, RATIO_SHORT, exact, &t[0], &ct[0]));
    TITAN_TRY(decode_tps(c, w, ctx, exact, &t[1], &ct[1]));
    TITAN_TRY(prefill_secs(c, w, exact, &p[0]));
    TITAN_TRY(prefill_secs(c, w, q8, &p[1]));
    v[0] = t[1] / t[0], v[1] = ct[1] / ct[0], v[2] = p[0] / p[1];
    return TITAN_OK;
}

/* bench_model PRESET CTX ratios: int8 weights, 1 and 2 threads, rounds
 * of ratio_round in turn; medians of each round's ratios (a shared host
 * slows whole stretches, the ratio within a round much less). */
static titan_status bench_ratios(const char *preset, int ctx, const bench_cpus *cpus) {
    titan_config c;
    TITAN_TRY(titan_config_preset(preset, &c));
    c.bos_id = TITAN_TOK_BOS;
    weights w;
    TITAN_TRY(make_weights(&c, TITAN_DT_INT8, &w));
    q8_cpus qi;
    titan_status st = q8_open(&c, pack_bytes(&w), &qi);
    double v[2][3][RATIO_ROUNDS];
    for (int r = 0; !st && r < RATIO_ROUNDS; r++)
        for (int th = 1; !st && th <= 2; th++) {
            double x[3] = {0, 0, 0};
            st = ratio_round(&c, &w, ctx, cpus->be[th - 1], qi.be[th - 1], x);
            for (int k = 0; k < 3; k++) v[th - 1][k][r] = x[k];
        }
    for (int th = 1; !st && th <= 2; th++)
        printf("%s int8 threads %d, %d rounds interleaved, medians: decode ctx %d / ctx "
               "%d %.2f (per CPU second %.2f); prefill %d tokens q8i / exact %.2fx\n",
               preset, th, RATIO_ROUNDS, ctx, RATIO_SHORT,
               median(v[th - 1][0], RATIO_ROUNDS), median(v[th - 1][1], RATIO_ROUNDS),
               RATIO_PROMPT, median(v[th - 1][2], RATIO_ROUNDS));
    q8_close(&qi);
    free_weights(&w);
    return st;
}

static const char *only_type; /* NULL: every type of a case */

static titan_status bench_preset(const bench_case *bc, int only_ctx,
                                 titan_backend *const bes[2],
                                 titan_thread_pool *const pools[2]) {
    const char *preset = bc->name;
    titan_config c;
    titan_status st = titan_config_preset(preset, &c);
    if (st) return st;
    c.bos_id = TITAN_TOK_BOS;
    int longest = c.max_seq_len < 2048 ? c.max_seq_len : 2048;
    int ctxs[3] = {128, PREFILL_BATCH + DECODE_TOKENS, longest}, nctx = 0;
    for (int i = 0; i < 3; i++) /* ascending, within the model's reach */
        if (ctxs[i] <= longest && (nctx == 0 || ctxs[i] > ctxs[nctx - 1]))
            ctxs[nctx++] = ctxs[i];
    if (only_ctx) ctxs[0] = only_ctx, nctx = 1;
    for (int d = 0; d < bc->n_dts; d++) {
        if (only_type && strcmp(only_type, dtype_label(bc->dts[d]))) continue;
        weights w;
        st = make_weights(&c, bc->dts[d], &w);
        double flops, bytes;
        per_token_cost(&c, &w, &flops, &bytes);
        q8_cpus q = {0}, qi = {0};
        bool q8 = bc->dts[d] != TITAN_DT_F32;
        if (!st && q8) st = q8_open(&c, 0, &q);
        if (!st && q8) st = q8_open(&c, pack_bytes(&w), &qi);
        for (int ci = 0; !st && ci < nctx; ci++) {
            for (int th = 1; !st && th <= 2; th++) {
                run_result r;
                st = run_one(&c, &w, ctxs[ci], bes[th - 1], pools[th - 1], &r);
                if (st) break;
                double gf = r.prefill_tps * flops * 1e-9;
                double gbs = r.decode_tps * (bytes + cache_bytes(&c, ctxs[ci])) * 1e-9;
                printf("%-13s %-4s ctx %4d threads %d  prefill %8.1f tok/s "
                       "(%5.1f GFLOP/s, %4.1f%% of peak FMA %5.1f)  decode %6.1f tok/s "
                       "(%5.1f GB/s, %5.1f%% of bandwidth %4.1f)\n",
                       preset, dtype_label(bc->dts[d]), ctxs[ci], th, r.prefill_tps, gf,
                       100 * gf / r.fma_gflops, r.fma_gflops, r.decode_tps, gbs,
                       100 * gbs / r.bw_gbs, r.bw_gbs);
                fflush(stdout);
                if (q8)
                    st = bench_q8(preset, "q8", &c, &w, ctxs[ci], th, &q, pools[th - 1],
                                  &r);
                if (q8 && !st)
                    st = bench_q8(preset, "q8i", &c, &w, ctxs[ci], th, &qi, pools[th - 1],
                                  &r);
            }
        }
        if (q8) q8_close(&q), q8_close(&qi);
        free_weights(&w);
        if (st) return st;
    }
    return TITAN_OK;
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    int64_t only_ctx = 0;
    if (argc > 2 && !cli_parse_int(argv[2], DECODE_TOKENS + 1, 1 << 20, &only_ctx))
        return cli_usage("bench_model", "CTX must be an integer > %d", DECODE_TOKENS);
    only_type = argc > 3 ? argv[3] : NULL;
    bench_cpus cpus;
    titan_status open = bench_cpus_open(&cpus);
    if (open) return cli_fail("bench_model", open);
    if (only && only_ctx && only_type && !strcmp(only_type, "ratios")) {
        titan_status st = bench_ratios(only, (int)only_ctx, &cpus);
        bench_cpus_close(&cpus);
        return st ? cli_fail("bench_model", st) : CLI_EXIT_OK;
    }
    if (only && only_ctx && only_type && !strcmp(only_type, "compare")) {
        titan_status st = bench_compare(only, (int)only_ctx, &cpus);
        bench_cpus_close(&cpus);
        return st ? cli_fail("bench_model", st) : CLI_EXIT_OK;
    }
    static const bench_case cases[] = {
        {"zenyx-v2-base", {TITAN_DT_F32, TITAN_DT_INT8}, 2},
        {"nano", {TITAN_DT_F32, TITAN_DT_INT8}, 2},
        {"golf-1.1531", {TITAN_DT_INT6}, 1},
    };
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && rc == CLI_EXIT_OK; i++) {
        if (only && strcmp(only, cases[i].name)) continue;
        titan_status st = bench_preset(&cases[i], (int)only_ctx, cpus.be, cpus.pool);
        if (st) rc = cli_fail("bench_model", st);
    }
    if (!only && rc == CLI_EXIT_OK) {
        titan_status st = bench_ratios("zenyx-v2-base", 2048, &cpus);
        if (st) rc = cli_fail("bench_model", st);
    }
    bench_cpus_close(&cpus);
    return rc;
}
