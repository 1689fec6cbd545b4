/* backend_cpu.c: the "cpu" backend: runtime kernel dispatch plus the pool.
 * Work is split over output rows in units of MATMUL_NR_MAX rows; never over
 * the reduction, so no partial sums cross threads. */
#include "platform/backend_cpu.h"

#include "platform/matmul.h"
#include "platform/matmul_q8.h"
#include "platform/threads.h"
#include "quant/dtype.h"

#include <math.h>

typedef struct {
    titan_thread_pool *pool;
    titan_isa isa;
    const titan_vector_family *vec;      /* NULL: the scalar family */
    float *scratch;                      /* [threads][MATMUL_SCRATCH_FLOATS] */
    titan_matmul_args jobs[2];           /* rows of jobs[0], then of jobs[1] */
    bool q8_job[2];                      /* job i runs on the q8 kernels */
    const titan_q8_packed *q8_packed[2]; /* job i's interleaved weights, or NULL */
    titan_task_fn task;                  /* the current parallel_for */
    void *task_ctx;
    /* --act-quant q8: x quantized once per product, read by every thread */
    titan_q8_rows_fn q8; /* NULL: exact products only */
    titan_q8_quant_fn q8_quantize;
    titan_q8_acts q8x; /* buffers for max_tokens x max_cols */
    titan_q8_pack_cache packs;
    const float *q8x_source; /* the x being quantized */
    int max_tokens;
    int64_t max_cols;
} cpu_state;

static void rows_of(const cpu_state *st, int j, int64_t begin, int64_t end,
                    float *scratch) {
    const titan_matmul_args *job = &st->jobs[j];
    if (st->q8_job[j]) {
        titan_q8_args q = {job->w, &st->q8x, job->y, st->q8_packed[j]};
        st->q8(&q, begin, end, scratch);
    } else if (st->vec)
        titan_matmul_rows_vector(st->vec, job, begin, end, scratch);
    else
        titan_matmul_rows_scalar(job, begin, end, scratch);
}

static void matmul_share(void *ctx, int64_t begin, int64_t end, int thread) {
    cpu_state *st = ctx;
    float *scratch = st->scratch + (size_t)thread * MATMUL_SCRATCH_FLOATS;
    int64_t n0 = st->jobs[0].w->rows;
    if (begin < n0) rows_of(st, 0, begin, end < n0 ? end : n0, scratch);
    if (end > n0) rows_of(st, 1, begin > n0 ? begin - n0 : 0, end - n0, scratch);
}

static void quantize_share(void *ctx, int64_t begin, int64_t end, int thread) {
    cpu_state *st = ctx;
    (void)thread;
    st->q8_quantize(&st->q8x, st->q8x_source, (int)begin, (int)end);
}

/* Whether w's product with T tokens fits the q8 buffers. */
static bool q8_fits(const cpu_state *st, const titan_tensor *w, int T) {
    return st->q8 && T <= st->max_tokens && w->cols <= st->max_cols;
}

/* x quantized into st->q8x (one quantization serves both products of matmul2). */
static void q8_quantize(cpu_state *st, const float *x, int T, int64_t K) {
    titan_q8_acts *a = &st->q8x;
    a->T = T, a->K = K, a->blocks = (K + TITAN_Q8_BLOCK - 1) / TITAN_Q8_BLOCK;
    a->ld = (size_t)(K + TITAN_Q8_PAD - 1) / TITAN_Q8_PAD * TITAN_Q8_PAD;
    st->q8x_source = x;
    if (T < 4)
        st->q8_quantize(a, x, 0, T);
    else
        titan_thread_pool_for(st->pool, T, 1, quantize_share, st);
}

/* Plan the products of jobs[0 .. n): which run on q8, and quantize x once. */
static void q8_prepare(cpu_state *st, int n, const float *x, int T) {
    bool any = false;
    for (int j = 0; j < 2; j++) {
        const titan_tensor *w = st->jobs[j].w;
        bool fits = j < n && q8_fits(st, w, T);
        st->q8_packed[j] =
            fits && titan_q8_packs(w) ? titan_q8_pack_get(&st->packs, w) : NULL;
        st->q8_job[j] = fits && (st->q8_packed[j] || titan_q8_takes(w));
        any = any || st->q8_job[j];
    }
    if (any) q8_quantize(st, x, T, st->jobs[0].w->cols);
}

/* False (y all NaN: loud, never silently plausible) for an unknown dtype. */
static bool dtype_known(const titan_tensor *w, float *y, int T) {
    if (titan_dtype_get(w->dtype)) return true;
    for (size_t i = 0; i < (size_t)T * (size_t)w->rows; i++) y[i] = NAN;
    return false;
}

static void cpu_matmul(titan_backend *be, const titan_tensor *w, const float *x, float *y,
                       int T) {
    cpu_state *st = be->state;
    if (T <= 0 || w->rows <= 0 || !dtype_known(w, y, T)) return;
    st->jobs[0] = (titan_matmul_args){w, x, y, T};
    q8_prepare(st, 1, x, T);
    titan_thread_pool_for(st->pool, w->rows, MATMUL_NR_MAX, matmul_share, st);
}

static void cpu_matmul2(titan_backend *be, const titan_tensor *w0, float *y0,
                        const titan_tensor *w1, float *y1, const float *x, int T) {
    cpu_state *st = be->state;
    if (T <= 0 || w0->rows <= 0 || w1->rows <= 0 || !dtype_known(w0, y0, T) ||
        !dtype_known(w1, y1, T)) {
        cpu_matmul(be, w0, x, y0, T);
        cpu_matmul(be, w1, x, y1, T);
        return;
    }
    st->jobs[0] = (titan_matmul_args){w0, x, y0, T};
    st->jobs[1] = (titan_matmul_args){w1, x, y1, T};
    q8_prepare(st, 2, x, T);
    titan_thread_pool_for(st->pool, w0->rows + w1->rows, MATMUL_NR_MAX, matmul_share, st);
}

static void task_share(void *ctx, int64_t begin, int64_t end, int thread) {
    cpu_state *st = ctx;
    (void)thread;
    st->task(st->task_ctx, begin, end);
}

static void cpu_parallel_for(titan_backend *be, int64_t n, titan_task_fn fn, void *ctx) {
    cpu_state *st = be->state;
    st->task = fn;
    st->task_ctx = ctx;
    titan_thread_pool_for(st->pool, n, 1, task_share, st);
}

static void cpu_destroy(titan_backend *be) {
    titan_thread_pool_destroy(((cpu_state *)be->state)->pool);
}

static titan_status check_opts(const titan_cpu_options *o) {
    if (o->threads < 1 || o->threads > TITAN_POOL_MAX_THREADS)
        return titan_fail(TITAN_E_USAGE, "backend cpu: threads must be in [1, %d]",
                          TITAN_POOL_MAX_THREADS);
    if (o->act_quant != TITAN_ACT_EXACT && o->act_quant != TITAN_ACT_Q8)
        return titan_fail(TITAN_E_USAGE, "backend cpu: unknown activation quantization");
    if (o->act_quant == TITAN_ACT_Q8 && (o->max_tokens < 1 || o->max_cols < 1))
        return titan_fail(TITAN_E_USAGE,
                          "backend cpu: q8 needs max_tokens and max_cols >= 1");
    return TITAN_OK;
}

/* The q8 activation buffers, carved after the rest (nothing when exact). */
static titan_status q8_buffers(titan_arena *a, const titan_cpu_options *o,
                               titan_q8_acts *x) {
    *x = (titan_q8_acts){0};
    if (o->act_quant != TITAN_ACT_Q8) return TITAN_OK;
    size_t T = (size_t)o->max_tokens, K = (size_t)o->max_cols;
    size_t ld = (K + TITAN_Q8_PAD - 1) / TITAN_Q8_PAD * TITAN_Q8_PAD;
    size_t blocks = (K + TITAN_Q8_BLOCK - 1) / TITAN_Q8_BLOCK;
    TITAN_TRY(titan_arena_alloc(a, T * ld, TITAN_ALIGN, (void **)&x->q));
    TITAN_TRY(titan_arena_alloc(a, T * blocks * sizeof(float), TITAN_ALIGN,
                                (void **)&x->scale));
    return titan_arena_alloc(a, T * blocks * sizeof(int32_t), TITAN_ALIGN,
                             (void **)&x->sum);
}

/* The table and region of interleaved weights (nothing without pack_bytes). */
static titan_status q8_packs(titan_arena *a, const titan_cpu_options *o,
                             titan_q8_pack_cache *c) {
    *c = (titan_q8_pack_cache){0};
    if (o->act_quant != TITAN_ACT_Q8 || !o->pack_bytes) return TITAN_OK;
    TITAN_TRY(titan_arena_calloc(a, TITAN_Q8_PACK_SLOTS * sizeof *c->slots, TITAN_ALIGN,
                                 (void **)&c->slots));
    c->cap = o->pack_bytes;
    return titan_arena_alloc(a, c->cap, TITAN_ALIGN, (void **)&c->base);
}

titan_status titan_backend_cpu_create_isa_opts(titan_arena *a, const titan_cpu_options *o,
                                               titan_isa isa, titan_backend **out) {
    if (!a || !o || !out) return titan_fail(TITAN_E_USAGE, "backend cpu: NULL argument");
    *out = NULL;
    if (isa > titan_cpu_best_isa())
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "backend cpu: this CPU cannot run %s kernels",
                          titan_isa_name(isa));
    TITAN_TRY(check_opts(o));
    int threads = o->threads;
    titan_backend *be;
    cpu_state *st;
    float *scratch;
    titan_q8_acts q8x;
    TITAN_TRY(titan_arena_calloc(a, sizeof *be, TITAN_ALIGN, (void **)&be));
    TITAN_TRY(titan_arena_calloc(a, sizeof *st, TITAN_ALIGN, (void **)&st));
    TITAN_TRY(titan_arena_alloc(a,
                                sizeof(float) * MATMUL_SCRATCH_FLOATS * (size_t)threads,
                                TITAN_ALIGN, (void **)&scratch));
    TITAN_TRY(q8_buffers(a, o, &q8x));
    titan_q8_pack_cache packs;
    TITAN_TRY(q8_packs(a, o, &packs));
    titan_thread_pool *pool;
    TITAN_TRY(titan_thread_pool_create(a, threads, &pool));
    if (!be) return TITAN_OK; /* measuring */
    const titan_vector_family *vec = titan_matmul_family(isa);
    bool q8 = o->act_quant == TITAN_ACT_Q8;
    *st = (cpu_state){.pool = pool,
                      .isa = isa,
                      .vec = vec,
                      .scratch = scratch,
                      .q8 = q8 ? titan_q8_kernel(isa) : NULL,
                      .q8_quantize = titan_q8_quantizer(isa),
                      .q8x = q8x,
                      .packs = packs,
                      .max_tokens = q8 ? o->max_tokens : 0,
                      .max_cols = q8 ? o->max_cols : 0};
    *be = (titan_backend){.name = "cpu",
                          .matmul = cpu_matmul,
                          .matmul2 = cpu_matmul2,
                          .parallel_for = cpu_parallel_for,
                          .small_gemm = vec ? vec->small_gemm : titan_small_gemm_scalar,
                          .attend = vec ? vec->attend : titan_attend_scalar,
                          .destroy = cpu_destroy,
                          .state = st};
    *out = be;
    return TITAN_OK;
}

titan_status titan_backend_cpu_create_isa(titan_arena *a, int threads, titan_isa isa,
                                          titan_backend **out) {
    titan_cpu_options o = {.threads = threads};
    return titan_backend_cpu_create_isa_opts(a, &o, isa, out);
}

titan_status titan_backend_cpu_create_opts(titan_arena *a, const titan_cpu_options *o,
                                           titan_backend **out) {
    return titan_backend_cpu_create_isa_opts(a, o, titan_cpu_best_isa(), out);
}

titan_status titan_backend_cpu_create(titan_arena *a, int threads, titan_backend **out) {
    return titan_backend_cpu_create_isa(a, threads, titan_cpu_best_isa(), out);
}

size_t titan_backend_cpu_opts_arena_bytes(const titan_cpu_options *o) {
    titan_arena m;
    titan_arena_init(&m, NULL, 0);
    titan_backend *be;
    if (!o || titan_backend_cpu_create_isa_opts(&m, o, TITAN_ISA_SCALAR, &be)) return 0;
    return m.high;
}

size_t titan_backend_cpu_arena_bytes(int threads) {
    titan_cpu_options o = {.threads = threads};
    return titan_backend_cpu_opts_arena_bytes(&o);
}

titan_isa titan_backend_cpu_isa(const titan_backend *be) {
    return ((const cpu_state *)be->state)->isa;
}
