/* test_gemm_f32.c: the float GEMM (platform/matmul.h) of every kernel family
 * this CPU runs against a double-precision loop: random shapes 1..67 (edges
 * of every register tile), K beyond one cache block, more rows than one
 * token block, A and B each as stored or transposed, strides wider than the
 * shapes, overwrite and accumulate; cells outside C stay untouched. Also:
 * the runtime's f32 matmul and the GEMM give the same bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "platform/backend_cpu.h"
#include "platform/matmul.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_u32(void) { /* xorshift64* */
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}
static float uniform(void) { return (float)next_u32() * 0x1p-31f - 1.0f; }
static int size_in(int lo, int hi) {
    return lo + (int)(next_u32() % (uint32_t)(hi - lo + 1));
}

enum { PAD = 3, SENTINEL = 12345 };

/* |got - want| within float rounding of a k-term sum whose terms have
 * magnitudes summing to mag; false on NaN (no `<=` holds for it). */
static bool close_enough(double got, double want, double mag, int k) {
    return fabs(got - want) <= (k + 2) * FLT_EPSILON * mag + 1e-30;
}

static float *floats(size_t n) {
    float *p = malloc(n * sizeof *p + sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = uniform();
    return p;
}

/* A[i][p] and B[p][j] as g stores them. */
static float a_at(const titan_gemm_f32 *g, int i, int p) {
    return g->a_trans ? g->a[(size_t)p * g->lda + i] : g->a[(size_t)i * g->lda + p];
}
static float b_at(const titan_gemm_f32 *g, int p, int j) {
    return g->b_trans ? g->b[(size_t)j * g->ldb + p] : g->b[(size_t)p * g->ldb + j];
}

static void check_cell(const titan_gemm_f32 *g, const float *c0, int i, int j) {
    size_t at = (size_t)i * g->ldc + (size_t)j;
    if (j >= g->n) { /* padding */
        assert_true(g->c[at] == SENTINEL);
        return;
    }
    double want = g->accumulate ? c0[at] : 0, mag = fabs(want);
    for (int p = 0; p < g->k; p++) {
        double t = (double)a_at(g, i, p) * b_at(g, p, j);
        want += t, mag += fabs(t);
    }
    assert_true(close_enough(g->c[at], want, mag, g->k));
}

static void check_shape(const titan_vector_family *f, int m, int n, int k, bool a_trans,
                        bool b_trans, bool accumulate, float *scratch) {
    size_t lda = (size_t)(a_trans ? m : k) + PAD, ldb = (size_t)(b_trans ? k : n) + PAD;
    size_t ldc = (size_t)n + PAD;
    float *a = floats((size_t)(a_trans ? k : m) * lda);
    float *b = floats((size_t)(b_trans ? n : k) * ldb);
    float *c = floats((size_t)m * ldc), *c0 = malloc(sizeof(float) * (size_t)m * ldc + 4);
    for (size_t i = 0; i < (size_t)m * ldc; i++) {
        if (i % ldc >= (size_t)n) c[i] = SENTINEL;
        c0[i] = c[i];
    }
    titan_gemm_f32 g = {m, n, k, a, lda, a_trans, b, ldb, b_trans, c, ldc, accumulate};
    titan_gemm_f32_run(f, &g, scratch);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < (int)ldc; j++) check_cell(&g, c0, i, j);
    free(a), free(b), free(c), free(c0);
}

/* Every layout of A and B, overwrite and accumulate, for one shape. */
static void check_layouts(const titan_vector_family *f, int m, int n, int k,
                          float *scratch) {
    for (int layout = 0; layout < 8; layout++)
        check_shape(f, m, n, k, layout & 1, layout & 2, layout & 4, scratch);
}

static void check_family(const titan_vector_family *f) {
    float *scratch = aligned_alloc(64, sizeof(float) * MATMUL_SCRATCH_FLOATS);
    for (int i = 0; i < 40; i++)
        check_layouts(f, size_in(1, 67), size_in(1, 67), size_in(1, 67), scratch);
    check_layouts(f, 13, 37, 0, scratch); /* no terms: c = 0 or kept */
    check_layouts(f, 0, 5, 7, scratch);   /* empty C */
    check_layouts(f, 5, 0, 7, scratch);
    check_layouts(f, 12, 32, 600, scratch); /* whole tiles, three K blocks */
    check_layouts(f, 5, 33, 257, scratch);  /* K just past one block */
    check_layouts(f, 600, 17, 40, scratch); /* two token blocks */
    free(scratch);
}

static void scalar_family(void **state) {
    (void)state;
    check_family(NULL);
}

static void vector_families(void **state) {
    (void)state;
    titan_isa best = titan_cpu_best_isa();
    if (best >= TITAN_ISA_AVX2) check_family(&titan_matmul_avx2);
    if (best >= TITAN_ISA_AVX512) check_family(&titan_matmul_avx512);
    if (best < TITAN_ISA_AVX2) skip();
}

static void comparison_fails_on_nan(void **state) {
    (void)state;
    assert_false(close_enough(NAN, 1.0, 1.0, 4));
    assert_false(close_enough(1.0, NAN, 1.0, 4));
    assert_true(close_enough(1.0, 1.0, 1.0, 4));
}

/* y = x W^T of an f32 weight tensor, through the cpu backend on one thread
 * with a vector family, is the GEMM with B = W^T: one code path, the same
 * bits (the scalar family sums the runtime's blocks its own way). */
static void runtime_matmul_is_the_gemm(void **state) {
    (void)state;
    enum { T = 40, N = 70, K = 300 };
    if (titan_cpu_best_isa() == TITAN_ISA_SCALAR) skip();
    size_t bytes = titan_backend_cpu_arena_bytes(1) + 4096;
    void *mem = malloc(bytes);
    titan_arena arena;
    titan_arena_init(&arena, mem, bytes);
    titan_backend *be;
    assert_int_equal(titan_backend_cpu_create(&arena, 1, &be), TITAN_OK);
    float *x = floats((size_t)T * K), *w = floats((size_t)N * K);
    float *y = floats((size_t)T * N), *c = floats((size_t)T * N);
    float *scratch = aligned_alloc(64, sizeof(float) * MATMUL_SCRATCH_FLOATS);
    titan_tensor wt = {.dtype = TITAN_DT_F32, .ndim = 2, .rows = N, .cols = K, .data = w};
    be->matmul(be, &wt, x, y, T);
    titan_gemm_f32 g = {T, N, K, x, K, false, w, K, true, c, N, false};
    titan_gemm_f32_run(titan_matmul_family(titan_backend_cpu_isa(be)), &g, scratch);
    assert_memory_equal(y, c, sizeof(float) * T * N);
    titan_backend_destroy(be);
    free(x), free(w), free(y), free(c), free(scratch), free(mem);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalar_family),
        cmocka_unit_test(vector_families),
        cmocka_unit_test(comparison_fails_on_nan),
        cmocka_unit_test(runtime_matmul_is_the_gemm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
