/* test_small_gemm.c: the attention's small products (backend.h) of every
 * kernel family this CPU runs against a double-precision loop: row counts
 * around the four-row tiles, column counts around the vector widths, strides
 * wider than the shapes, overwrite and accumulate, b as [k][n] or as rows
 * [n][k]; cells outside the product stay untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "platform/cpu_features.h"
#include "platform/matmul.h"

#include <math.h>
#include <stdlib.h>

static uint64_t rng = 0x2545f4914f6cdd1dull;
static float uniform(void) { /* xorshift64*, in [-1, 1) */
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return (float)((rng * 2685821657736338717ull) >> 40) * 0x1p-23f - 1.0f;
}

enum { PAD = 3, SENTINEL = 12345 };

/* B[i][j] of the product: b[i*ldb + j], or b[j*ldb + i] with b_rows. */
static float b_at(const float *b, size_t ldb, bool b_rows, int i, size_t j) {
    return b_rows ? b[j * ldb + (size_t)i] : b[(size_t)i * ldb + j];
}

static void check_shape(void (*fn)(const titan_small_gemm *), int rows, int n, int k,
                        bool accumulate, bool b_rows) {
    size_t lda = (size_t)k + PAD, ldc = (size_t)n + PAD;
    size_t ldb = (size_t)(b_rows ? k : n) + PAD, brows = (size_t)(b_rows ? n : k);
    float *a = malloc(sizeof(float) * (size_t)rows * lda + 4);
    float *b = malloc(sizeof(float) * brows * ldb + 4);
    float *c = malloc(sizeof(float) * (size_t)rows * ldc + 4);
    double *want = malloc(sizeof(double) * (size_t)rows * ldc + 8);
    for (size_t i = 0; i < (size_t)rows * lda; i++) a[i] = uniform();
    for (size_t i = 0; i < brows * ldb; i++) b[i] = uniform();
    for (int r = 0; r < rows; r++)
        for (size_t j = 0; j < ldc; j++) {
            size_t i = (size_t)r * ldc + j;
            c[i] = j < (size_t)n ? uniform() : SENTINEL;
            double s = j < (size_t)n && accumulate ? c[i] : 0;
            for (int x = 0; x < k && j < (size_t)n; x++)
                s += (double)a[(size_t)r * lda + x] * b_at(b, ldb, b_rows, x, j);
            want[i] = j < (size_t)n ? s : SENTINEL;
        }
    titan_small_gemm g = {rows, n, k, a, lda, b, ldb, c, ldc, accumulate, b_rows};
    fn(&g);
    for (size_t i = 0; i < (size_t)rows * ldc; i++)
        assert_true(fabs(c[i] - want[i]) <= 1e-5 * (1 + k));
    free(a), free(b), free(c), free(want);
}

static void check_family(void (*fn)(const titan_small_gemm *)) {
    static const int rows[] = {1, 2, 3, 4, 5, 7, 9, 16};
    static const int cols[] = {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 100, 128};
    static const int ks[] = {0, 1, 5, 32, 130};
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++)
        for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
            for (size_t k = 0; k < sizeof ks / sizeof *ks; k++)
                for (int acc = 0; acc < 2; acc++)
                    for (int b_rows = 0; b_rows < 2; b_rows++)
                        check_shape(fn, rows[r], cols[c], ks[k], acc, b_rows);
}

static void scalar_family(void **state) {
    (void)state;
    check_family(titan_small_gemm_scalar);
}

/* The reference backend's products give the same bits whichever way b is
 * stored, so its results never depend on the attention path a call takes. */
static void scalar_layouts_bit_identical(void **state) {
    (void)state;
    enum { R = 5, N = 37, K = 130 };
    static float a[R * K], b[K * N], bt[N * K], c0[R * N], c1[R * N];
    for (int i = 0; i < R * K; i++) a[i] = uniform();
    for (int i = 0; i < K; i++)
        for (int j = 0; j < N; j++) b[i * N + j] = bt[j * K + i] = uniform();
    for (int acc = 0; acc < 2; acc++) {
        for (int i = 0; i < R * N; i++) c0[i] = c1[i] = uniform();
        titan_small_gemm g0 = {R, N, K, a, K, b, N, c0, N, acc, false};
        titan_small_gemm g1 = {R, N, K, a, K, bt, K, c1, N, acc, true};
        titan_small_gemm_scalar(&g0);
        titan_small_gemm_scalar(&g1);
        assert_memory_equal(c0, c1, sizeof c0);
    }
}

static void vector_families(void **state) {
    (void)state;
    titan_isa best = titan_cpu_best_isa();
    if (best >= TITAN_ISA_AVX2) check_family(titan_matmul_avx2.small_gemm);
    if (best >= TITAN_ISA_AVX512) check_family(titan_matmul_avx512.small_gemm);
    if (best < TITAN_ISA_AVX2) skip();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalar_family),
        cmocka_unit_test(scalar_layouts_bit_identical),
        cmocka_unit_test(vector_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
