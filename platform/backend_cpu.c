/* backend_cpu.c: the "cpu" backend: runtime kernel dispatch plus the pool.
 * Work is split over output rows in units of MATMUL_NR_MAX rows; never over
 * the reduction, so no partial sums cross threads. */
#include "platform/backend_cpu.h"

#include "platform/matmul.h"
#include "platform/threads.h"
#include "quant/dtype.h"

#include <math.h>

typedef struct {
    titan_thread_pool *pool;
    titan_isa isa;
    const titan_vector_family *vec; /* NULL: the scalar family */
    float *scratch;                 /* [threads][MATMUL_SCRATCH_FLOATS] */
    titan_matmul_args jobs[2];      /* rows of jobs[0], then of jobs[1] */
    titan_task_fn task;             /* the current parallel_for */
    void *task_ctx;
} cpu_state;

static void rows_of(const cpu_state *st, const titan_matmul_args *job, int64_t begin,
                    int64_t end, float *scratch) {
    if (st->vec)
        titan_matmul_rows_vector(st->vec, job, begin, end, scratch);
    else
        titan_matmul_rows_scalar(job, begin, end, scratch);
}

static void matmul_share(void *ctx, int64_t begin, int64_t end, int thread) {
    cpu_state *st = ctx;
    float *scratch = st->scratch + (size_t)thread * MATMUL_SCRATCH_FLOATS;
    int64_t n0 = st->jobs[0].w->rows;
    if (begin < n0) rows_of(st, &st->jobs[0], begin, end < n0 ? end : n0, scratch);
    if (end > n0)
        rows_of(st, &st->jobs[1], begin > n0 ? begin - n0 : 0, end - n0, scratch);
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

titan_status titan_backend_cpu_create_isa(titan_arena *a, int threads, titan_isa isa,
                                          titan_backend **out) {
    if (!a || !out) return titan_fail(TITAN_E_USAGE, "backend cpu: NULL argument");
    *out = NULL;
    if (isa > titan_cpu_best_isa())
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "backend cpu: this CPU cannot run %s kernels",
                          titan_isa_name(isa));
    if (threads < 1 || threads > TITAN_POOL_MAX_THREADS)
        return titan_fail(TITAN_E_USAGE, "backend cpu: threads must be in [1, %d]",
                          TITAN_POOL_MAX_THREADS);
    titan_backend *be;
    cpu_state *st;
    float *scratch;
    TITAN_TRY(titan_arena_calloc(a, sizeof *be, TITAN_ALIGN, (void **)&be));
    TITAN_TRY(titan_arena_calloc(a, sizeof *st, TITAN_ALIGN, (void **)&st));
    TITAN_TRY(titan_arena_alloc(a,
                                sizeof(float) * MATMUL_SCRATCH_FLOATS * (size_t)threads,
                                TITAN_ALIGN, (void **)&scratch));
    titan_thread_pool *pool;
    TITAN_TRY(titan_thread_pool_create(a, threads, &pool));
    if (!be) return TITAN_OK; /* measuring */
    const titan_vector_family *vec = titan_matmul_family(isa);
    *st = (cpu_state){.pool = pool, .isa = isa, .vec = vec, .scratch = scratch};
    *be = (titan_backend){.name = "cpu",
                          .matmul = cpu_matmul,
                          .matmul2 = cpu_matmul2,
                          .parallel_for = cpu_parallel_for,
                          .small_gemm = vec ? vec->small_gemm : titan_small_gemm_scalar,
                          .destroy = cpu_destroy,
                          .state = st};
    *out = be;
    return TITAN_OK;
}

titan_status titan_backend_cpu_create(titan_arena *a, int threads, titan_backend **out) {
    return titan_backend_cpu_create_isa(a, threads, titan_cpu_best_isa(), out);
}

size_t titan_backend_cpu_arena_bytes(int threads) {
    titan_arena m;
    titan_arena_init(&m, NULL, 0);
    titan_backend *be;
    if (titan_backend_cpu_create_isa(&m, threads, TITAN_ISA_SCALAR, &be)) return 0;
    return m.high;
}

titan_isa titan_backend_cpu_isa(const titan_backend *be) {
    return ((const cpu_state *)be->state)->isa;
}
