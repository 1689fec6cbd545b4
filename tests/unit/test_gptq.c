/* test_gptq.c: Cholesky helpers against identities, and GPTQ against
 * round-to-nearest on synthetic correlated inputs (it must cut the output
 * error ||W X - Q X|| well below RTN's with the same scales). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assert_close.h"
#include "quant/cholesky.h"
#include "quant/gptq.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double uniform(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}
static double gauss(void) {
    return sqrt(-2 * log(uniform() + 1e-300)) * cos(6.283185307179586 * uniform());
}

static void cholesky_and_inverse(void **state) {
    (void)state;
    enum { N = 37 };
    double m[N * N], a[N * N], l[N * N];
    for (int i = 0; i < N * N; i++) m[i] = gauss();
    for (int i = 0; i < N; i++) /* a = m m^T + I */
        for (int j = 0; j < N; j++) {
            double s = i == j;
            for (int k = 0; k < N; k++) s += m[i * N + k] * m[j * N + k];
            a[i * N + j] = s;
        }
    memcpy(l, a, sizeof a);
    assert_true(titan_cholesky(l, N));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++) s += l[i * N + k] * l[j * N + k];
            assert_float_equal(s, a[i * N + j], 1e-9 * fabs(a[i * N + j]) + 1e-9);
        }
    titan_cholesky_inverse(l, N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++) s += l[i * N + k] * a[k * N + j];
            assert_float_equal(s, i == j, 1e-9);
        }
    a[0] = -1;
    assert_false(titan_cholesky(a, N));
}

/* Output error sum over samples of ||(W - Q s) x||^2 = tr(D H D^T). */
static double output_error(const float *w, const int8_t *q, const float *s,
                           const double *h, int rows, int cols) {
    double total = 0;
    double *d = malloc(sizeof(double) * cols);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) d[c] = w[r * cols + c] - q[r * cols + c] * s[r];
        for (int i = 0; i < cols; i++)
            for (int j = 0; j < cols; j++) total += d[i] * h[i * cols + j] * d[j];
    }
    free(d);
    return total;
}

static void run_case(int rows, int cols, int qmax, int act_order, int block,
                     double want_ratio) {
    int n = 4 * cols;
    float *w = malloc(sizeof(float) * rows * cols), *s = malloc(sizeof(float) * rows);
    double *x = malloc(sizeof(double) * cols * n),
           *h = calloc((size_t)cols * cols, sizeof(double));
    int8_t *q = malloc((size_t)rows * cols), *qr = malloc((size_t)rows * cols);
    /* Correlated inputs: x_j = z_j + 0.9 x_{j-1}, varied column scales. */
    for (int t = 0; t < n; t++)
        for (int j = 0; j < cols; j++)
            x[j * n + t] = gauss() * (1 + (j % 5)) + (j ? 0.9 * x[(j - 1) * n + t] : 0);
    for (int i = 0; i < cols; i++)
        for (int j = 0; j < cols; j++) {
            double acc = 0;
            for (int t = 0; t < n; t++) acc += x[i * n + t] * x[j * n + t];
            h[i * cols + j] = acc;
        }
    for (int r = 0; r < rows; r++) {
        float mx = 0;
        for (int c = 0; c < cols; c++) {
            w[r * cols + c] = (float)gauss();
            mx = fmaxf(mx, fabsf(w[r * cols + c]));
        }
        s[r] = mx / qmax;
        for (int c = 0; c < cols; c++) {
            float v = rintf(w[r * cols + c] / s[r]);
            qr[r * cols + c] = (int8_t)fmaxf(-qmax - 1, fminf(qmax, v));
        }
    }
    titan_gptq_opts o = {.damp = 0.01, .block = block, .act_order = act_order};
    size_t need = titan_gptq_plan(rows, cols, &o);
    void *buf = aligned_alloc(4096, (need + 4095) & ~(size_t)4095);
    titan_arena a;
    titan_arena_init(&a, buf, need);
    assert_int_equal(titan_gptq_quantize(&a, w, rows, cols, h, s, -qmax - 1, qmax, &o, q),
                     TITAN_OK);
    assert_int_equal(a.used, 0);
    assert_true(a.high <= need);
    double e_rtn = output_error(w, qr, s, h, rows, cols);
    double e_gptq = output_error(w, q, s, h, rows, cols);
    print_message("rows %d cols %d qmax %d act %d: gptq/rtn error %.3f\n", rows, cols,
                  qmax, act_order, e_gptq / e_rtn);
    assert_true(e_gptq < want_ratio * e_rtn);
    for (int i = 0; i < rows * cols; i++) assert_true(q[i] >= -qmax - 1 && q[i] <= qmax);
    free(w), free(s), free(x), free(h), free(q), free(qr), free(buf);
}

static void gptq_beats_rtn_int6(void **state) {
    (void)state;
    run_case(48, 160, 31, 1, 64, 0.35);
    run_case(48, 160, 31, 0, 128, 0.35);
}

static void gptq_beats_rtn_int8(void **state) {
    (void)state;
    run_case(32, 96, 127, 1, 32, 0.35);
}

/* Dead inputs (zero Hessian row) quantize to zero; the rest still works. */
static void dead_columns_are_zero(void **state) {
    (void)state;
    enum { R = 4, C = 6 };
    float w[R * C], s[R];
    double h[C * C] = {0};
    int8_t q[R * C];
    for (int i = 0; i < R * C; i++) w[i] = (float)(i % 7) - 3;
    for (int r = 0; r < R; r++) s[r] = 3.0f / 31;
    for (int j = 0; j < C; j++)
        if (j != 2) h[j * C + j] = 1 + j;
    static uint8_t buf[1 << 16];
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    titan_gptq_opts o = {.damp = 0.01, .block = 4, .act_order = 1};
    assert_int_equal(titan_gptq_quantize(&a, w, R, C, h, s, -32, 31, &o, q), TITAN_OK);
    for (int r = 0; r < R; r++) {
        assert_int_equal(q[r * C + 2], 0);
        /* diagonal H: no cross terms, so GPTQ equals RTN on live columns */
        for (int c = 0; c < C; c++)
            if (c != 2) assert_int_equal(q[r * C + c], (int)rintf(w[r * C + c] / s[r]));
    }
}

/* W = [[1, 2], [0, -1]], H = [[2, 1], [1, 3]], Q as int8 with scales 1 and
 * 0.5 holding [[1, 1], [0, -2]] (= [[1, 1], [0, -1]]): the errors are
 * d0 = [0, 1], d1 = [0, 0], so tr(D H D^T) = 3; tr(W H W^T) = (2 + 4 + 12) +
 * 3 = 21; relative error 1/7. */
static void output_error_by_hand(void **state) {
    (void)state;
    float w[4] = {1, 2, 0, -1}, s[2] = {1, 0.5f};
    double h[4] = {2, 1, 1, 3}, rel = -1;
    int8_t q[4] = {1, 1, 0, -2};
    titan_tensor t = {
        .dtype = TITAN_DT_INT8, .rows = 2, .cols = 2, .data = q, .scales = s};
    static uint8_t buf[4096];
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    assert_int_equal(titan_gptq_output_error(&a, w, &t, h, &rel), TITAN_OK);
    assert_float_equal(rel, 1.0 / 7, 1e-15);
    assert_int_equal(a.used, 0); /* scratch released */
    q[1] = 2;                    /* exact */
    assert_int_equal(titan_gptq_output_error(&a, w, &t, h, &rel), TITAN_OK);
    assert_float_equal(rel, 0, 0);
}

/* The same W and H one row at a time: row 0 with Q [1, 1] at scale 1 has
 * d = [0, 1], error 3; at scale 2, d = [-1, 0], error 2; row 1 with Q
 * [0, -2] at scale 0.5 is exact. */
static void row_error_by_hand(void **state) {
    (void)state;
    float w[4] = {1, 2, 0, -1};
    double h[4] = {2, 1, 1, 3}, tmp[2];
    int8_t q[4] = {1, 1, 0, -2};
    assert_float_equal(titan_gptq_row_error(h, w, q, 1, 2, tmp), 3, 1e-15);
    assert_float_equal(titan_gptq_row_error(h, w, q, 2, 2, tmp), 2, 1e-15);
    assert_float_equal(titan_gptq_row_error(h, w + 2, q + 2, 0.5f, 2, tmp), 0, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cholesky_and_inverse), cmocka_unit_test(gptq_beats_rtn_int6),
        cmocka_unit_test(gptq_beats_rtn_int8),  cmocka_unit_test(dead_columns_are_zero),
        cmocka_unit_test(output_error_by_hand), cmocka_unit_test(row_error_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
