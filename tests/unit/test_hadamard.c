/* test_hadamard.c: quant/hadamard.c on hand-worked values: Sylvester's
 * matrix entries (-1)^popcount(i & j) / sqrt(n) on rows and on columns, its
 * own inverse, and the power-of-two sizes. */
#include "tests/unit/assert_close.h"

#include "quant/hadamard.h"

static void rows_of_identity(void **state) {
    (void)state;
    /* W = first two columns of I4: H W holds columns 0 and 1 of H4 / 2. */
    float W[4 * 2] = {1, 0, 0, 1, 0, 0, 0, 0};
    const float want[4 * 2] = {0.5f, 0.5f, 0.5f, -0.5f, 0.5f, 0.5f, 0.5f, -0.5f};
    double tmp[4];
    titan_hadamard_rows(W, 2, 0, 4, tmp);
    for (int i = 0; i < 8; i++) assert_float_equal(W[i], want[i], 1e-7);
}

static void cols_of_unit_vector(void **state) {
    (void)state;
    /* e_3 W: row 3 of H8, sign (-1)^popcount(3 & j), in columns 2..9 of 12. */
    float W[12] = {7, 7, 0, 0, 0, 1, 0, 0, 0, 0, 7, 7};
    const int sign[8] = {1, -1, -1, 1, 1, -1, -1, 1};
    double tmp[8];
    titan_hadamard_cols(W, 1, 12, 2, 8, tmp);
    for (int j = 0; j < 8; j++) assert_float_equal(W[2 + j], sign[j] / sqrt(8.0), 1e-7);
    assert_true(W[0] == 7 && W[1] == 7 && W[10] == 7 && W[11] == 7);
}

static void own_inverse(void **state) {
    (void)state;
    float W[3 * 16], orig[3 * 16];
    for (int i = 0; i < 48; i++) orig[i] = W[i] = (float)((i * 37 % 11) - 5) / 3.0f;
    double tmp[16];
    titan_hadamard_cols(W, 3, 16, 0, 16, tmp);
    titan_hadamard_cols(W, 3, 16, 0, 16, tmp);
    for (int i = 0; i < 48; i++) assert_float_equal(W[i], orig[i], 1e-6);
    titan_hadamard_rows(W, 16, 1, 2, tmp); /* rows 1 and 2: (a+b, a-b) / sqrt 2 */
    assert_float_equal(W[16], (orig[16] + orig[32]) / sqrt(2.0), 1e-6);
    assert_float_equal(W[32], (orig[16] - orig[32]) / sqrt(2.0), 1e-6);
}

static void sizes(void **state) {
    (void)state;
    assert_true(titan_hadamard_size_ok(1) && titan_hadamard_size_ok(64));
    assert_false(titan_hadamard_size_ok(0) || titan_hadamard_size_ok(6) ||
                 titan_hadamard_size_ok(-4));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_of_identity),
        cmocka_unit_test(cols_of_unit_vector),
        cmocka_unit_test(own_inverse),
        cmocka_unit_test(sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
