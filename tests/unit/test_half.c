/* test_half.c: float16/bfloat16 conversions against numpy (all 65536 f16
 * patterns; ~1.6M float32 inputs including every tie) and torch.bfloat16,
 * plus a hand-worked table that needs no Python. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quant/half.h"

#define REF "/usr/bin/python3 tests/ref/half_ref.py"

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void hand_worked_table(void **state) {
    (void)state;
    static const struct {
        uint32_t f32;
        uint16_t f16, bf16;
    } t[] = {
        {0x3f800000, 0x3c00, 0x3f80}, /* 1 */
        {0xc0000000, 0xc000, 0xc000}, /* -2 */
        {0x3dcccccd, 0x2e66, 0x3dcd}, /* 0.1f: f16 rounds down, bf16 up */
        {0x477fe000, 0x7bff, 0x4780}, /* 65504, the largest half */
        {0x477ff000, 0x7c00, 0x4780}, /* 65520: tie, rounds to even = Inf */
        {0x477fefff, 0x7bff, 0x4780}, /* just below: stays finite */
        {0x33800000, 0x0001, 0x3380}, /* 2^-24, smallest subnormal half */
        {0x33000000, 0x0000, 0x3300}, /* 2^-25: tie between 0 and 1 -> 0 */
        {0x33400000, 0x0001, 0x3340}, /* 1.5 * 2^-25 -> 1 */
        {0x38800000, 0x0400, 0x3880}, /* 2^-14, smallest normal half */
        {0x387fc000, 0x03ff, 0x3880}, /* largest subnormal half; bf16 rounds up */
        {0x3f808000, 0x3c04, 0x3f80}, /* 1 + 2^-8: bf16 tie, even stays */
        {0x3f818000, 0x3c0c, 0x3f82}, /* bf16 tie, odd rounds up */
        {0x7f7fffff, 0x7c00, 0x7f80}, /* FLT_MAX: Inf in both */
        {0xff800000, 0xfc00, 0xff80}, /* -Inf */
        {0x80000000, 0x8000, 0x8000}, /* -0 */
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        float f = from_bits(t[i].f32);
        assert_int_equal(titan_f32_to_f16(f), t[i].f16);
        assert_int_equal(titan_f32_to_bf16(f), t[i].bf16);
    }
    assert_true(titan_f16_to_f32(0x0001) == 0x1p-24f);
    assert_true(titan_f16_to_f32(0x7bff) == 65504.0f);
    assert_true(isinf(titan_f16_to_f32(0xfc00)) && titan_f16_to_f32(0xfc00) < 0);
    assert_true(isnan(titan_f16_to_f32(0x7e00)));
    assert_true(titan_bf16_to_f32(0x3dcd) == from_bits(0x3dcd0000));
}

static void nan_stays_nan(void **state) {
    (void)state;
    const uint32_t nans[] = {0x7fc00000, 0x7f800001, 0xffffffff, 0x7f802000};
    for (size_t i = 0; i < 4; i++) {
        float f = from_bits(nans[i]);
        uint16_t h = titan_f32_to_f16(f), b = titan_f32_to_bf16(f);
        assert_true((h & 0x7c00) == 0x7c00 && (h & 0x3ff));
        assert_true((b & 0x7f80) == 0x7f80 && (b & 0x7f));
        assert_int_equal(h >> 15, nans[i] >> 31);
        assert_int_equal(b >> 15, nans[i] >> 31);
    }
}

/* Read exactly n bytes of the reference script's output, or skip the test. */
static FILE *open_ref(const char *mode) {
    if (access("/usr/bin/python3", X_OK)) return NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, REF " %s", mode);
    return popen(cmd, "r");
}

static void f16_to_f32_all_patterns_match_numpy(void **state) {
    (void)state;
    FILE *f = open_ref("f16");
    if (!f) skip();
    static uint32_t ref[65536];
    size_t got = fread(ref, 4, 65536, f);
    assert_int_equal(pclose(f), 0);
    assert_int_equal(got, 65536);
    for (uint32_t h = 0; h < 65536; h++) {
        float v = titan_f16_to_f32((uint16_t)h);
        if (isnan(v)) {
            assert_true(isnan(from_bits(ref[h])));
            assert_int_equal(bits(v), ref[h]); /* payload kept exactly */
        } else {
            assert_int_equal(bits(v), ref[h]);
        }
        /* and back: every half survives f16 -> f32 -> f16 */
        assert_int_equal(titan_f32_to_f16(v), isnan(v) ? (h | 0x200) : h);
    }
}

static void f32_to_half_matches_numpy_and_torch(void **state) {
    (void)state;
    FILE *f = open_ref("f32");
    if (!f) skip();
    uint32_t n = 0;
    assert_int_equal(fread(&n, 4, 1, f), 1);
    assert_true(n > 1000000 && n < 4000000);
    uint32_t *x = malloc((size_t)n * 4);
    uint16_t *h = malloc((size_t)n * 2), *b = malloc((size_t)n * 2);
    assert_non_null(x);
    assert_non_null(h);
    assert_non_null(b);
    assert_int_equal(fread(x, 4, n, f), n);
    assert_int_equal(fread(h, 2, n, f), n);
    assert_int_equal(fread(b, 2, n, f), n);
    assert_int_equal(pclose(f), 0);
    size_t ties = 0;
    for (uint32_t i = 0; i < n; i++) {
        float v = from_bits(x[i]);
        uint16_t mine = titan_f32_to_f16(v), bmine = titan_f32_to_bf16(v);
        if (isnan(v)) { /* payload rules differ by library; NaN-ness must not */
            assert_true((mine & 0x7fff) > 0x7c00);
            assert_true((bmine & 0x7fff) > 0x7f80);
            continue;
        }
        if (mine != h[i]) fail_msg("f16(%08x): %04x, numpy %04x", x[i], mine, h[i]);
        if (bmine != b[i]) fail_msg("bf16(%08x): %04x, torch %04x", x[i], bmine, b[i]);
        ties += (x[i] & 0x1fff) == 0x1000;
    }
    assert_true(ties > 30000); /* the tie inputs really were exercised */
    free(x);
    free(h);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_worked_table),
        cmocka_unit_test(nan_stays_nan),
        cmocka_unit_test(f16_to_f32_all_patterns_match_numpy),
        cmocka_unit_test(f32_to_half_matches_numpy_and_torch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
