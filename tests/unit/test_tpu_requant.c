/* test_tpu_requant.c: int8 activation quantization and gemmlowp-style
 * requantization against hand-worked values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "titan.h"

static void quantize_row_by_hand(void **state) {
    (void)state;
    /* amax 2: scale 2/127, q = round(x * 63.5) with ties away from zero. */
    const float x[5] = {1.0f, -2.0f, 0.5f, 0.0f, -1.0f};
    int8_t q[5];
    float s;
    titan_tpu_quantize_row(x, 5, q, &s);
    assert_true(s == 2.0f / 127.0f);
    assert_int_equal(q[0], 64);
    assert_int_equal(q[1], -127);
    assert_int_equal(q[2], 32);
    assert_int_equal(q[3], 0);
    assert_int_equal(q[4], -64);
    const float z[3] = {0, 0, 0};
    titan_tpu_quantize_row(z, 3, q, &s);
    assert_true(s == 0.0f);
    assert_int_equal(q[0] | q[1] | q[2], 0);
    const float bad[2] = {1.0f, NAN};
    titan_tpu_quantize_row(bad, 2, q, &s);
    assert_true(isnan(s));
}

static void multiplier_by_hand(void **state) {
    (void)state;
    int32_t m, sh;
    assert_int_equal(titan_tpu_quantize_multiplier(0.5, &m, &sh), TITAN_OK);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(sh, 0);
    assert_int_equal(titan_tpu_quantize_multiplier(1.0, &m, &sh), TITAN_OK);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(sh, 1);
    assert_int_equal(titan_tpu_quantize_multiplier(0.75, &m, &sh), TITAN_OK);
    assert_int_equal(m, 1610612736);
    assert_int_equal(sh, 0);
    /* 1/3 = 0.666.. * 2^-1; round(0.666.. * 2^31) = 1431655765. */
    assert_int_equal(titan_tpu_quantize_multiplier(1.0 / 3, &m, &sh), TITAN_OK);
    assert_int_equal(m, 1431655765);
    assert_int_equal(sh, -1);
    assert_int_equal(titan_tpu_quantize_multiplier(0, &m, &sh), TITAN_E_USAGE);
    assert_int_equal(titan_tpu_quantize_multiplier(-1, &m, &sh), TITAN_E_USAGE);
    assert_int_equal(titan_tpu_quantize_multiplier(NAN, &m, &sh), TITAN_E_USAGE);
}

static void requantize_rounding_by_hand(void **state) {
    (void)state;
    const int32_t half = 1 << 30; /* 0.5 in Q31 */
    /* Doubling high multiply: nearest, ties toward +infinity. */
    assert_int_equal(titan_tpu_requantize(5, half, 0), 3);   /* 2.5 */
    assert_int_equal(titan_tpu_requantize(-5, half, 0), -2); /* -2.5 */
    assert_int_equal(titan_tpu_requantize(-7, half, 0), -3); /* -3.5 */
    assert_int_equal(titan_tpu_requantize(4, half, 0), 2);
    /* Then the rounding right shift: ties away from zero. 0.25 * 10 = 2.5. */
    assert_int_equal(titan_tpu_requantize(10, half, -1), 3);
    assert_int_equal(titan_tpu_requantize(-10, half, -1), -3);
    assert_int_equal(titan_tpu_requantize(6, half, -1), 2);   /* 1.5 */
    assert_int_equal(titan_tpu_requantize(-6, half, -1), -2); /* -1.5 */
    assert_int_equal(titan_tpu_requantize(-9, half, -1), -2); /* -2.25 */
    /* Left shift (real 2): exact; saturates at the int32 range. */
    assert_int_equal(titan_tpu_requantize(7, half, 2), 14);
    assert_int_equal(titan_tpu_requantize(INT32_MAX, half, 2), 1073741824);
    assert_int_equal(titan_tpu_requantize(INT32_MIN, INT32_MIN, 0), INT32_MAX);
    /* int8 output with a zero point, clamped. */
    assert_int_equal(titan_tpu_requantize_i8(10, half, -1, 5), 8);
    assert_int_equal(titan_tpu_requantize_i8(100000, half, -1, 0), 127);
    assert_int_equal(titan_tpu_requantize_i8(-100000, half, -1, 0), -128);
}

/* Over many accumulators and multipliers the two roundings stay within one
 * unit of the exact real product. */
static void requantize_close_to_real(void **state) {
    (void)state;
    uint64_t s = 12345;
    for (int i = 0; i < 100000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int32_t acc = (int32_t)(s >> 33) - (1 << 30);
        double real = ldexp((double)((s >> 8) & 0xffffff) + 1, -24 - (int)(s % 20));
        int32_t m, sh;
        assert_int_equal(titan_tpu_quantize_multiplier(real, &m, &sh), TITAN_OK);
        double exact = (double)acc * real;
        double got = titan_tpu_requantize(acc, m, sh);
        assert_true(fabs(got - exact) <= 1.0 + fabs(exact) * 1e-9);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quantize_row_by_hand),
        cmocka_unit_test(multiplier_by_hand),
        cmocka_unit_test(requantize_rounding_by_hand),
        cmocka_unit_test(requantize_close_to_real),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
