/* backend.h: the operations a compute backend provides, as a table of function
 * pointers with the same names in every backend (TFLite Micro style):
 * "ref" (plain C, platform/backend_ref.c), "cpu" (SIMD + threads,
 * platform/backend_cpu.c), "tpu" (systolic-array emulator, platform/tpu_*.c).
 * The model (core/) calls only these for its matrix products and for running
 * independent tasks (attention heads x query blocks) in parallel. */
#ifndef TITAN_PLATFORM_BACKEND_H
#define TITAN_PLATFORM_BACKEND_H

#include "titan.h"

#include <stdbool.h>

typedef struct titan_backend titan_backend;

/* Run tasks [begin, end) of a parallel_for; tasks must be independent. */
typedef void (*titan_task_fn)(void *ctx, int64_t begin, int64_t end);

/* A small float product of attention: for r < rows,
 * c[r*ldc + j] (+)= sum_{i<k} a[r*lda + i] * B[i][j] for j < n, where
 * B[i][j] = b[i*ldb + j], or b[j*ldb + i] when b_rows (b holds B's columns
 * as rows: dot products with cache rows as they are stored). */
typedef struct {
    int rows, n, k;
    const float *a;
    size_t lda; /* [rows][k] */
    const float *b;
    size_t ldb; /* [k][n], or [n][k] when b_rows */
    float *c;
    size_t ldc;      /* [rows][n], not aliasing a or b */
    bool accumulate; /* add to c instead of overwriting it */
    bool b_rows;
} titan_small_gemm;

/* attend's scratch row stride (positions per online-softmax step at most)
 * and its most rows. */
#define TITAN_ATTEND_BLOCK 64
#define TITAN_ATTEND_ROWS  64

/* Attention of a few query rows over n cached positions, streamed once:
 * score s_rj = q1_r . k1_j + q2_r . k2_j (queries pre-scaled), then the
 * online softmax: run_r = (max, sum) and acc_r = sum_j exp(s_rj - max) k1_j
 * (the values are the key's first part: an absorbed latent) are updated in
 * place, block by block. Row r sees positions j < seen + r / per only; a
 * row that sees none keeps its state. Start state: max -inf, sum 0, acc 0. */
typedef struct {
    int rows, n;          /* rows <= TITAN_ATTEND_ROWS */
    int w1, w2;           /* widths of the two key parts */
    const float *q1, *q2; /* [rows][w1], [rows][w2] */
    const float *k1, *k2; /* [n][w1], [n][w2] */
    int seen, per;        /* causal limit, see above (per > 0) */
    float *run;           /* [rows][2] */
    float *acc;           /* [rows][w1] */
    float *scratch;       /* [rows][TITAN_ATTEND_BLOCK] */
} titan_attend;

struct titan_backend {
    const char *name;
    /* y[t][n] = sum_k W[n][k] * x[t][k] for t < T, n < W->rows, k < W->cols.
     * W may be any titan_dtype: quantized and half types are dequantized inside
     * the kernel (value = q * scale), never expanded whole. x is [T][W->cols],
     * y is [T][W->rows], both float32, not aliased. Sums in float32 with any
     * order (results may differ from ref by rounding only). */
    void (*matmul)(titan_backend *be, const titan_tensor *w, const float *x, float *y,
                   int T);
    /* Two products of one x as one job (fewer thread hand-offs): y0 = W0 x,
     * y1 = W1 x, W0->cols == W1->cols, results as from two matmul calls.
     * NULL: the model makes the two calls. */
    void (*matmul2)(titan_backend *be, const titan_tensor *w0, float *y0,
                    const titan_tensor *w1, float *y1, const float *x, int T);
    /* Run fn over tasks [0, n), each exactly once, possibly on several
     * threads; returns when all are done. NULL (and the ref backend): one
     * call fn(ctx, 0, n) on the caller. Results must not depend on which
     * thread ran a task. */
    void (*parallel_for)(titan_backend *be, int64_t n, titan_task_fn fn, void *ctx);
    /* The attention's own products (scores, latent sums, absorption) on
     * activations; safe to call from parallel_for tasks. Float sums in any
     * order, but the same order for the same shape every time. */
    void (*small_gemm)(const titan_small_gemm *g);
    /* One titan_attend (float sums, fixed order per shape); safe to call
     * from parallel_for tasks. */
    void (*attend)(const titan_attend *a);
    /* Release what the arena cannot (threads, a mutex); NULL: nothing. */
    void (*destroy)(titan_backend *be);
    void *state; /* backend-owned (thread pool, counters), carved from the arena */
};

/* Fill *be with the plain C reference backend (no state, no arena): the
 * table titan_backend_ref_create carves, for wrappers that keep it inline. */
void titan_backend_ref(titan_backend *be);

/* Fill *be with a tpu backend (what titan_backend_tpu_create carves). */
TITAN_NODISCARD titan_status titan_tpu_backend_init(titan_backend *be, titan_arena *a,
                                                    const titan_tpu_config *c, int max_T,
                                                    int64_t max_rows, int64_t max_cols);

#endif
