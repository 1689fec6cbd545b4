/* test_quant_rtn.c: clip-search round-to-nearest on hand-worked rows, the
 * packing of every storage value at every position of odd-length rows, and
 * the int6 one-value-per-byte layout (int6b) with its range check, fake
 * quantization (QAT) equal to dequantized RTN bit for bit, scale checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "assert_close.h"
#include "quant/quant.h"

/* Dequantize one row of a single-row tensor. */
static void dequant(titan_dtype dt, int64_t cols, int32_t group, const void *data,
                    const float *scales, float *out) {
    titan_tensor t = {.dtype = dt,
                      .rows = 1,
                      .cols = cols,
                      .group_size = group,
                      .data = data,
                      .scales = scales};
    assert_int_equal(titan_tensor_row_f32(&t, 0, out), TITAN_OK);
}

/* {31, 15.5}, int6: clip 1.00 (scale 1) gives q = {31, 16}, error 0 + 0.25;
 * clip 0.99 (scale 0.99) the same q, error 0.31^2 + 0.34^2 = 0.2117; clip
 * 0.98 error 0.62^2 + 0.18^2 = 0.4168, and lower clips only grow it. */
static void clip_099_beats_absmax(void **state) {
    (void)state;
    float x[2] = {31, 15.5f}, s, back[2];
    uint8_t q[3];
    assert_int_equal(titan_quant_rtn_clip(x, 1, 2, TITAN_DT_INT6, 0, 21, q, &s),
                     TITAN_OK);
    assert_float_equal(s, 0.99f, 1e-6);
    assert_int_equal(titan_int6_get(q, 0), 31);
    assert_int_equal(titan_int6_get(q, 1), 16);
    dequant(TITAN_DT_INT6, 2, 0, q, &s, back);
    assert_float_equal(back[1], 15.84f, 1e-5);
    /* one step is plain absmax */
    assert_int_equal(titan_quant_rtn_clip(x, 1, 2, TITAN_DT_INT6, 0, 1, q, &s), TITAN_OK);
    assert_float_equal(s, 1.0f, 0);
}

/* {-1, 0.5, 0.1}, int6: clip 0.97 (scale 0.97/31 = 0.031290) puts -1 at
 * -31.96 -> -32 (the extra negative code), 0.5 at 15.98 -> 16, 0.1 at 3.196 ->
 * 3: error 1.7e-6 + 4.2e-7 + 3.8e-5 = 4.0e-5, below absmax's 2.6e-4 (0.5 ->
 * 15.5 -> 16 -> 0.516) and every other clip in 1.00..0.80. */
static void negative_end_uses_minus_32(void **state) {
    (void)state;
    float x[3] = {-1, 0.5f, 0.1f}, s;
    uint8_t q[3];
    assert_int_equal(titan_quant_rtn_clip(x, 1, 3, TITAN_DT_INT6, 0, 21, q, &s),
                     TITAN_OK);
    assert_float_equal(s, 0.97f / 31, 1e-8);
    assert_int_equal(titan_int6_get(q, 0), -32);
    assert_int_equal(titan_int6_get(q, 1), 16);
    assert_int_equal(titan_int6_get(q, 2), 3);
}

/* int8 {1, -0.01, 0.5, 0.25, 0.125}: the powers of two sit exactly on
 * absmax's grid (1/127 steps give 127, 64, 32, 16 with error only from
 * 0.5 = 63.5 steps), so every smaller clip does worse. Groups
 * of 2 choose per group: {31, 15.5} -> 0.99, {2, 1} (the same row scaled by
 * 2/31) -> 0.99 * 2/31, and an all-zero group keeps scale 1. */
static void int8_absmax_and_groups(void **state) {
    (void)state;
    float x[5] = {1, -0.01f, 0.5f, 0.25f, 0.125f}, s;
    int8_t q[5];
    assert_int_equal(titan_quant_rtn_clip(x, 1, 5, TITAN_DT_INT8, 0, 21, q, &s),
                     TITAN_OK);
    assert_float_equal(s, 1.0f / 127, 1e-9);
    int8_t want[5] = {127, -1, 64, 32, 16};
    assert_memory_equal(q, want, 5);
    float g[6] = {31, 15.5f, 2, 1, 0, 0}, gs[3];
    uint8_t q6[6];
    assert_int_equal(titan_quant_rtn_clip(g, 1, 6, TITAN_DT_INT6, 2, 21, q6, gs),
                     TITAN_OK);
    assert_float_equal(gs[0], 0.99f, 1e-6);
    assert_float_equal(gs[1], 0.99f * 2 / 31, 1e-7);
    assert_float_equal(gs[2], 1.0f, 0);
}

static void bad_arguments_refused(void **state) {
    (void)state;
    float x[2] = {1, NAN}, s[2];
    uint8_t q[3];
    assert_int_equal(titan_quant_rtn_clip(x, 1, 1, TITAN_DT_INT6, 0, 0, q, s),
                     TITAN_E_USAGE);
    assert_int_equal(titan_quant_rtn_clip(x, 1, 1, TITAN_DT_INT6, 0, 101, q, s),
                     TITAN_E_USAGE);
    assert_int_equal(titan_quant_rtn_clip(x, 1, 1, TITAN_DT_F16, 0, 1, q, s),
                     TITAN_E_USAGE);
    assert_int_equal(titan_quant_rtn_clip(x, 1, 2, TITAN_DT_INT6, 0, 5, q, s),
                     TITAN_E_DATA);
}

/* Every int6 value at every position of rows of 1..9 values (all four slots
 * of a group, partial last groups): stored, read back, dequantized, with the
 * other positions and the row padding untouched (zero). */
static void int6_every_value_every_position(void **state) {
    (void)state;
    for (int64_t cols = 1; cols <= 9; cols++) {
        size_t rb = titan_dtype_row_bytes(TITAN_DT_INT6, cols);
        assert_int_equal(rb, (size_t)((cols + 3) / 4 * 3));
        for (int64_t pos = 0; pos < cols; pos++)
            for (int v = -32; v <= 31; v++) {
                uint8_t row[9] = {0};
                titan_quant_store(TITAN_DT_INT6, row, pos, v);
                float scale = 0.5f, back[9];
                dequant(TITAN_DT_INT6, cols, 0, row, &scale, back);
                for (int64_t c = 0; c < cols; c++) {
                    assert_int_equal(titan_int6_get(row, c), c == pos ? v : 0);
                    assert_float_equal(back[c], c == pos ? 0.5f * v : 0, 0);
                }
                for (int64_t c = cols; c < (cols + 3) / 4 * 4; c++)
                    assert_int_equal(titan_int6_get(row, c), 0); /* padding */
                /* overwrite in place: neighbours keep their values */
                titan_quant_store(TITAN_DT_INT6, row, pos, -1);
                titan_quant_store(TITAN_DT_INT6, row, pos, v);
                assert_int_equal(titan_int6_get(row, pos), v);
            }
    }
}

static void int8_every_value(void **state) {
    (void)state;
    uint8_t row[3] = {0};
    for (int v = -128; v <= 127; v++)
        for (int pos = 0; pos < 3; pos++) {
            titan_quant_store(TITAN_DT_INT8, row, pos, v);
            float scale = 0.25f, back[3];
            dequant(TITAN_DT_INT8, 3, 0, row, &scale, back);
            assert_float_equal(back[pos], 0.25f * v, 0);
        }
}

/* Every int6 value in an int6b row of 3: the stored byte is the value's
 * two's complement (-32 -> 0xe0, 31 -> 0x1f), read back and dequantized
 * with two groups (scales 0.5 for values 0-1, 0.25 for value 2). */
static void int6b_every_value(void **state) {
    (void)state;
    assert_string_equal(titan_dtype_name(TITAN_DT_INT6_BYTE), "int6b");
    titan_dtype dt;
    assert_int_equal(titan_dtype_from_name("int6b", &dt), TITAN_OK);
    assert_int_equal(dt, TITAN_DT_INT6_BYTE);
    assert_int_equal(titan_dtype_row_bytes(TITAN_DT_INT6_BYTE, 5), 5);
    for (int v = -32; v <= 31; v++)
        for (int pos = 0; pos < 3; pos++) {
            uint8_t row[3] = {0};
            titan_quant_store(TITAN_DT_INT6_BYTE, row, pos, v);
            assert_int_equal(row[pos], (uint8_t)(v & 0xff));
            assert_int_equal(titan_quant_get(TITAN_DT_INT6_BYTE, row, pos), v);
            float scales[2] = {0.5f, 0.25f}, back[3];
            dequant(TITAN_DT_INT6_BYTE, 3, 2, row, scales, back);
            for (int c = 0; c < 3; c++)
                assert_float_equal(back[c], c == pos ? v * scales[c / 2] : 0, 0);
        }
    /* 2 x 5 int6b: 10 value bytes, scales at the next 64-byte boundary */
    titan_tensor_layout_t l;
    assert_int_equal(titan_tensor_layout(TITAN_DT_INT6_BYTE, 2, 5, 0, &l), TITAN_OK);
    assert_int_equal(l.row_bytes, 5);
    assert_int_equal(l.value_bytes, 10);
    assert_int_equal(l.scale_offset, 64);
    assert_int_equal(l.total_bytes, 72);
}

/* RTN to int6b gives the bytes of the int6 values of
 * negative_end_uses_minus_32: {-32, 16, 3}, with the same scale. */
static void int6b_rtn_same_values(void **state) {
    (void)state;
    float x[3] = {-1, 0.5f, 0.1f}, s6, sb;
    uint8_t q6[3], qb[3];
    assert_int_equal(titan_quant_rtn_clip(x, 1, 3, TITAN_DT_INT6, 0, 21, q6, &s6),
                     TITAN_OK);
    assert_int_equal(titan_quant_rtn_clip(x, 1, 3, TITAN_DT_INT6_BYTE, 0, 21, qb, &sb),
                     TITAN_OK);
    assert_float_equal(sb, s6, 0);
    uint8_t want[3] = {0xe0, 0x10, 0x03};
    assert_memory_equal(qb, want, 3);
}

/* Slack holds nothing: int6b bytes outside [-32, 31] and int6 padding bits
 * are TITAN_E_DATA; both ends of the range and full int8 are fine. */
static void slack_is_checked(void **state) {
    (void)state;
    uint8_t row[4] = {0xe0, 0x1f, 0, 0}; /* -32, 31 */
    float s = 1;
    titan_tensor t = {
        .dtype = TITAN_DT_INT6_BYTE, .rows = 1, .cols = 4, .data = row, .scales = &s};
    assert_int_equal(titan_quant_check_slack(&t), TITAN_OK);
    static const uint8_t bad[] = {0x20, 0xdf, 0x7f, 0x80}; /* 32, -33, 127, -128 */
    for (size_t i = 0; i < sizeof bad; i++) {
        row[3] = bad[i];
        assert_int_equal(titan_quant_check_slack(&t), TITAN_E_DATA);
        t.dtype = TITAN_DT_INT8;
        assert_int_equal(titan_quant_check_slack(&t), TITAN_OK);
        t.dtype = TITAN_DT_INT6_BYTE;
    }
    uint8_t p6[3] = {0};
    titan_tensor t6 = {
        .dtype = TITAN_DT_INT6, .rows = 1, .cols = 3, .data = p6, .scales = &s};
    titan_quant_store(TITAN_DT_INT6, p6, 2, -32);
    assert_int_equal(titan_quant_check_slack(&t6), TITAN_OK);
    titan_int6_set(p6, 3, 1); /* the padding value */
    assert_int_equal(titan_quant_check_slack(&t6), TITAN_E_DATA);
}

enum { FQ_ROWS = 6, FQ_COLS = 37 };

/* Rows for fake quantization: random, all zero, halves on a scale of 1 and
 * of 0.5 (ties), six decades of magnitude, and a single nonzero value. */
static void fake_quant_rows(int qmax, float *x) {
    uint32_t rng = 12345;
    memset(x, 0, sizeof(float) * FQ_ROWS * FQ_COLS);
    for (int c = 0; c < FQ_COLS; c++) {
        rng = rng * 1664525u + 1013904223u;
        x[c] = (float)((double)rng / 4294967296.0 * 2 - 1);
        x[2 * FQ_COLS + c] = (float)(c % 9) - 4.5f;
        x[3 * FQ_COLS + c] = ((float)(c % 9) - 4.5f) * 0.5f;
        x[4 * FQ_COLS + c] = (c % 2 ? -1 : 1) * powf(10, (float)(c % 7) - 3);
    }
    x[2 * FQ_COLS] = (float)qmax; /* absmax qmax: scale 1 at clip 1.00 */
    x[3 * FQ_COLS] = (float)qmax * 0.5f;
    x[5 * FQ_COLS + 7] = -0.3f;
}

static void fake_equals_dequantized_rtn(void **state) {
    (void)state;
    static const titan_dtype types[] = {TITAN_DT_INT8, TITAN_DT_INT6, TITAN_DT_INT6_BYTE};
    static const int32_t groups[] = {0, 8, FQ_COLS};
    static const int clips[] = {1, TITAN_QUANT_CLIP_STEPS, 100};
    float x[FQ_ROWS * FQ_COLS], fake[FQ_ROWS * FQ_COLS], deq[FQ_ROWS * FQ_COLS];
    float scales[FQ_ROWS * FQ_COLS];
    uint8_t data[FQ_ROWS * FQ_COLS];
    for (int d = 0; d < 3; d++)
        for (int g = 0; g < 3; g++)
            for (int k = 0; k < 3; k++) {
                fake_quant_rows(types[d] == TITAN_DT_INT8 ? 127 : 31, x);
                assert_int_equal(titan_quant_rtn_clip(x, FQ_ROWS, FQ_COLS, types[d],
                                                      groups[g], clips[k], data, scales),
                                 TITAN_OK);
                assert_int_equal(titan_quant_fake(x, FQ_ROWS, FQ_COLS, types[d],
                                                  groups[g], clips[k], fake),
                                 TITAN_OK);
                titan_tensor t = {.dtype = types[d],
                                  .rows = FQ_ROWS,
                                  .cols = FQ_COLS,
                                  .group_size = groups[g],
                                  .data = data,
                                  .scales = scales};
                for (int r = 0; r < FQ_ROWS; r++)
                    titan_dequant_row(&t, r, 0, FQ_COLS, deq + r * FQ_COLS);
                assert_memory_equal(fake, deq, sizeof fake);
            }
    /* The zero row stays zero, and the halves are ties (to even). */
    fake_quant_rows(127, x);
    assert_int_equal(titan_quant_fake(x, FQ_ROWS, FQ_COLS, TITAN_DT_INT8, 0, 1, fake),
                     TITAN_OK);
    for (int c = 0; c < FQ_COLS; c++) assert_true(fake[FQ_COLS + c] == 0);
    assert_true(fake[2 * FQ_COLS + 1] == -4 && fake[2 * FQ_COLS + 2] == -2);
    x[7] = NAN;
    assert_int_equal(titan_quant_fake(x, FQ_ROWS, FQ_COLS, TITAN_DT_INT8, 0, 1, fake),
                     TITAN_E_DATA);
    assert_int_equal(titan_quant_fake(x, FQ_ROWS, FQ_COLS, TITAN_DT_F32, 0, 1, fake),
                     TITAN_E_USAGE);
}

/* Scales must be finite and positive; the message names what holds them. */
static void scales_are_checked(void **state) {
    (void)state;
    float s[3] = {0.5f, 1, 2};
    assert_int_equal(titan_quant_check_scales(s, 3, TITAN_E_DATA, "w"), TITAN_OK);
    static const float bad[] = {0, -1, INFINITY, NAN};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s[2] = bad[i];
        assert_int_equal(titan_quant_check_scales(s, 3, TITAN_E_USAGE, "blocks.0.wo"),
                         TITAN_E_USAGE);
        assert_non_null(strstr(titan_last_error(), "blocks.0.wo: scale 2"));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clip_099_beats_absmax),
        cmocka_unit_test(negative_end_uses_minus_32),
        cmocka_unit_test(int8_absmax_and_groups),
        cmocka_unit_test(bad_arguments_refused),
        cmocka_unit_test(int6_every_value_every_position),
        cmocka_unit_test(int8_every_value),
        cmocka_unit_test(int6b_every_value),
        cmocka_unit_test(int6b_rtn_same_values),
        cmocka_unit_test(slack_is_checked),
        cmocka_unit_test(fake_equals_dequantized_rtn),
        cmocka_unit_test(scales_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
