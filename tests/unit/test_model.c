/* test_model.c: the forward pass against hand-worked values and itself:
 * rope/rmsnorm by hand, a model whose blocks are zero, prefill == decode (up to
 * 1024 tokens with YaRN), rewinds, quantized weights, exact plans, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assert_close.h"
#include "core/model.h"
#include "model_fixture.h"
#include "quant/quant.h"
#include "platform/backend.h"

/* max |a - b| over a row <= tol * max |b|, all finite. */
static void assert_rows_close(const float *a, const float *b, int n, double tol) {
    assert_close_floats(a, b, (size_t)n, "rows", 0, tol);
}

static void rope_by_hand(void **state) {
    (void)state;
    /* Dr = 4, w = (1, 0.01), p = 1: pairs (v0, v2) and (v1, v3). */
    double freq[2] = {1, 0.01};
    float cs[4], v[4] = {1, 2, 3, 4};
    titan_rope_table(cs, freq, 2, 1);
    titan_rope_rotate(v, cs, 2);
    assert_float_equal(v[0], cos(1) - 3 * sin(1), 1e-6);
    assert_float_equal(v[2], sin(1) + 3 * cos(1), 1e-6);
    assert_float_equal(v[1], 2 * cos(0.01) - 4 * sin(0.01), 1e-6);
    assert_float_equal(v[3], 2 * sin(0.01) + 4 * cos(0.01), 1e-6);
    titan_rope_table(cs, freq, 2, 0); /* position 0 is the identity */
    titan_rope_rotate(v, cs, 2);
    assert_float_equal(v[0], cos(1) - 3 * sin(1), 1e-6);
}

static void rmsnorm_by_hand(void **state) {
    (void)state;
    float x[2] = {3, 4}, g[2] = {1, 2}, y[2];
    titan_rmsnorm(y, x, g, 2, 0.5); /* mean square 12.5, + eps = 13 */
    assert_float_equal(y[0], 3 / sqrt(13), 1e-6);
    assert_float_equal(y[1], 8 / sqrt(13), 1e-6);
}

/* With wo = w_down = 0 every block adds nothing: logits_1(t) =
 * RMSNorm(e_x) . e_v for every v, worked out in double here. */
static void zero_blocks_leave_embedding_logits(void **state) {
    (void)state;
    titan_config c = fixture_small_config();
    c.logit_softcap = 2;
    fixture f;
    fixture_make(&f, &c, 7);
    for (int i = 0; i < f.n; i++)
        if (strstr(f.t[i].name, ".wo") || strstr(f.t[i].name, ".w_down"))
            memset(f.data[i], 0, (size_t)(f.t[i].rows * f.t[i].cols) * 4);
    runtime r;
    rt_open(&r, &f, 8, 4, 0);
    int32_t ids[3] = {5, 60, 0};
    assert_int_equal(titan_model_forward(r.m, r.s, ids, 3), TITAN_OK);
    float logits[3 * 61];
    assert_int_equal(titan_model_logits(r.m, 1, 0, 3, logits), TITAN_OK);
    const float *emb = f.data[0], *gain = f.data[f.n - 3]; /* final_norm */
    assert_string_equal(f.t[f.n - 3].name, "final_norm");
    for (int t = 0; t < 3; t++) {
        const float *e = emb + ids[t] * 24;
        double ss = 0;
        for (int d = 0; d < 24; d++) ss += (double)e[d] * e[d];
        double inv = 1 / sqrt(ss / 24 + c.norm_eps);
        for (int v = 0; v < 61; v++) {
            double dot = 0;
            for (int d = 0; d < 24; d++) dot += e[d] * inv * gain[d] * emb[v * 24 + d];
            assert_float_equal(logits[t * 61 + v], 2 * tanh(dot / 2), 1e-5);
        }
    }
    rt_close(&r);
    fixture_free(&f);
}

static void prefill_equals_decode_variants(void **state) {
    (void)state;
    titan_config c = fixture_small_config();
    check_prefill_equals_decode(&c, 24, 5);
    c.q_latent = 0;
    c.conv_kernel = 0;
    c.n_kv_heads = 4;
    check_prefill_equals_decode(&c, 17, 4);
    c = fixture_small_config();
    c.conv_kernel = 1;
    c.mtp_heads = 1;
    c.logit_softcap = 10;
    check_prefill_equals_decode(&c, 9, 2);
}

static void prefill_equals_decode_1024_yarn(void **state) {
    (void)state;
    titan_config c = fixture_small_config();
    c.yarn_factor = 8;
    c.yarn_orig_ctx = 128;
    c.mtp_heads = 2;
    check_prefill_equals_decode(&c, 1024, 100);
}

/* Rewinding dropped tokens leaves the same state as never feeding them. */
static void rewind_then_continue(void **state) {
    (void)state;
    titan_config c = fixture_small_config();
    fixture f;
    fixture_make(&f, &c, 5);
    runtime r;
    rt_open(&r, &f, 16, 8, 0);
    int32_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[3] = {9, 10, 11};
    float want[61], got[61];
    assert_int_equal(titan_model_forward(r.m, r.s, a, 5), TITAN_OK);
    assert_int_equal(titan_model_forward(r.m, r.s, b, 3), TITAN_OK);
    assert_int_equal(titan_seq_rewind(r.s, 4), TITAN_E_USAGE); /* > M */
    assert_int_equal(titan_seq_rewind(r.s, 2), TITAN_OK);
    assert_int_equal(titan_model_forward(r.m, r.s, a + 6, 2), TITAN_OK);
    assert_int_equal(titan_model_logits(r.m, 1, 1, 1, got), TITAN_OK);
    int32_t flat[8] = {1, 2, 3, 4, 5, 9, 7, 8};
    titan_seq_reset(r.s);
    assert_int_equal(titan_model_forward(r.m, r.s, flat, 8), TITAN_OK);
    assert_int_equal(titan_model_logits(r.m, 1, 7, 1, want), TITAN_OK);
    assert_rows_close(got, want, 61, 1e-5);
    rt_close(&r);
    fixture_free(&f);
}

/* Logits of an int8/int6 model equal those of the f32 model holding the
 * dequantized values: the kernels dequantize exactly q * scale. */
static void check_quantized(titan_dtype dt, int32_t group) {
    titan_config c = fixture_small_config();
    fixture f, g;
    fixture_make(&f, &c, 9);
    fixture_make(&g, &c, 9);
    uint8_t *q[TITAN_MAX_TENSORS] = {0};
    float *sc[TITAN_MAX_TENSORS] = {0};
    for (int i = 0; i < f.n; i++) {
        titan_tensor *t = &f.t[i];
        if (t->ndim != 2) continue;
        int64_t groups = group ? (t->cols + group - 1) / group : 1;
        q[i] = malloc(t->rows * titan_dtype_row_bytes(dt, t->cols));
        sc[i] = malloc(sizeof(float) * t->rows * groups);
        assert_int_equal(
            titan_quant_rtn(f.data[i], t->rows, t->cols, dt, group, q[i], sc[i]),
            TITAN_OK);
        t->dtype = dt;
        t->group_size = group;
        t->data = q[i];
        t->scales = sc[i];
        for (int64_t row = 0; row < t->rows; row++)
            titan_dequant_row(t, row, 0, t->cols, g.data[i] + row * t->cols);
    }
    runtime rq, rf;
    rt_open(&rq, &f, 8, 8, 0);
    rt_open(&rf, &g, 8, 8, 0);
    int32_t ids[6] = {3, 1, 4, 1, 5, 9};
    float lq[6 * 61], lf[6 * 61];
    for (int k = 1; k <= 3; k++) {
        titan_seq_reset(rq.s);
        titan_seq_reset(rf.s);
        assert_int_equal(titan_model_forward(rq.m, rq.s, ids, 6), TITAN_OK);
        assert_int_equal(titan_model_forward(rf.m, rf.s, ids, 6), TITAN_OK);
        assert_int_equal(titan_model_logits(rq.m, k, 0, 6, lq), TITAN_OK);
        assert_int_equal(titan_model_logits(rf.m, k, 0, 6, lf), TITAN_OK);
        for (int t = 0; t < 6; t++) assert_rows_close(lq + t * 61, lf + t * 61, 61, 1e-5);
    }
    for (int i = 0; i < f.n; i++) {
        free(q[i]);
        free(sc[i]);
    }
    rt_close(&rq);
    rt_close(&rf);
    fixture_free(&f);
    fixture_free(&g);
}

static void quantized_weights(void **state) {
    (void)state;
    check_quantized(TITAN_DT_INT8, 0);
    check_quantized(TITAN_DT_INT6, 0);
    check_quantized(TITAN_DT_INT6, 8);
    check_quantized(TITAN_DT_INT6_BYTE, 0);
}

static void rtn_by_hand(void **state) {
    (void)state;
    /* absmax 3.1 -> scale 0.1 (int6, qmax 31): q = round(x / 0.1) */
    float x[5] = {3.1f, -1.04f, 0.26f, 0, -3.1f}, s;
    uint8_t packed[6];
    assert_int_equal(titan_quant_rtn(x, 1, 5, TITAN_DT_INT6, 0, packed, &s), TITAN_OK);
    assert_float_equal(s, 0.1f, 1e-7);
    /* q = 31, -10, 3, 0, -31: 24-bit words */
    uint32_t w0 = 31 | (uint32_t)(-10 & 63) << 6 | 3u << 12 | 0u << 18;
    assert_int_equal(packed[0] | packed[1] << 8 | packed[2] << 16, w0);
    assert_int_equal(packed[3] | packed[4] << 8 | packed[5] << 16, -31 & 63);
    titan_tensor t = {
        .dtype = TITAN_DT_INT6, .rows = 1, .cols = 5, .data = packed, .scales = &s};
    float back[5];
    titan_dequant_row(&t, 0, 0, 5, back);
    assert_float_equal(back[1], -1.0f, 1e-6);
    assert_float_equal(back[4], -3.1f, 1e-6);
    int8_t q8[2];
    float y[2] = {-2, 0.9f}, s8;
    assert_int_equal(titan_quant_rtn(y, 1, 2, TITAN_DT_INT8, 0, q8, &s8), TITAN_OK);
    assert_int_equal(q8[0], -127);
    assert_int_equal(q8[1], 57); /* 0.9 * 63.5 = 57.15 */
    float nan_row[1] = {NAN};
    assert_int_equal(titan_quant_rtn(nan_row, 1, 1, TITAN_DT_INT8, 0, q8, &s8),
                     TITAN_E_DATA);
}

static void plan_is_exact_and_one_byte_less_fails(void **state) {
    (void)state;
    titan_config c = fixture_small_config();
    check_plan_exact(&c, 1);
}

static void bad_inputs_are_refused(void **state) {
    (void)state;
    titan_config c = fixture_small_config();
    fixture f;
    fixture_make(&f, &c, 2);
    runtime r;
    rt_open(&r, &f, 8, 4, 0);
    int32_t ids[5] = {1, 2, 61, 3, 4};
    assert_int_equal(titan_model_forward(r.m, r.s, ids, 5), TITAN_E_USAGE);
    assert_int_equal(titan_model_forward(r.m, r.s, ids, 3), TITAN_E_DATA);
    assert_int_equal(titan_model_forward(r.m, r.s, ids, 2), TITAN_OK);
    assert_int_equal(titan_model_logits(r.m, 4, 0, 1, NULL), TITAN_E_USAGE);
    float out[61];
    assert_int_equal(titan_model_logits(r.m, 1, 1, 2, out), TITAN_E_USAGE);
    int32_t more[4] = {1, 1, 1, 1};
    assert_int_equal(titan_model_forward(r.m, r.s, more, 4), TITAN_OK);
    assert_int_equal(titan_model_forward(r.m, r.s, more, 3), TITAN_E_USAGE); /* > ctx */
    titan_arena a;
    titan_model *m;
    titan_arena_init(&a, r.buf, r.plan);
    f.t[3].cols++; /* misshapen */
    assert_int_equal(titan_model_create(&a, &c, f.t, f.n, 8, 4, &r.be, &m), TITAN_E_DATA);
    f.t[3].cols--;
    titan_arena_init(&a, r.buf, r.plan);
    assert_int_equal(titan_model_create(&a, &c, f.t, f.n - 1, 8, 4, &r.be, &m),
                     TITAN_E_DATA);
    titan_arena_init(&a, r.buf, r.plan);
    assert_int_equal(titan_model_create(&a, &c, f.t, f.n, 9000, 4, &r.be, &m),
                     TITAN_E_USAGE);
    float bad_scale = -1;
    int8_t q[24 * 12] = {0};
    f.t[2].dtype = TITAN_DT_INT8; /* blocks.0.wq_a [12, 24] */
    f.t[2].data = q;
    f.t[2].scales = &bad_scale;
    f.t[2].rows = 1; /* shape check comes first */
    titan_arena_init(&a, r.buf, r.plan);
    assert_int_equal(titan_model_create(&a, &c, f.t, f.n, 8, 4, &r.be, &m), TITAN_E_DATA);
    rt_close(&r);
    fixture_free(&f);
}

static void mla_cache_is_smaller(void **state) {
    (void)state;
    titan_config c;
    assert_int_equal(titan_config_preset("zenyx-v2-base", &c), TITAN_OK);
    /* 128 + 32 floats per token in each of 32 layers versus 3 * (64 + 64) = 384. */
    assert_int_equal(titan_model_cache_floats(&c), 32 * 160);
    size_t small, big;
    assert_int_equal(titan_seq_plan(&c, 1024, &small), TITAN_OK);
    assert_int_equal(titan_seq_plan(&c, 2048, &big), TITAN_OK);
    assert_int_equal(big - small, (size_t)1024 * 32 * 160 * 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rope_by_hand),
        cmocka_unit_test(rmsnorm_by_hand),
        cmocka_unit_test(rtn_by_hand),
        cmocka_unit_test(zero_blocks_leave_embedding_logits),
        cmocka_unit_test(prefill_equals_decode_variants),
        cmocka_unit_test(prefill_equals_decode_1024_yarn),
        cmocka_unit_test(rewind_then_continue),
        cmocka_unit_test(quantized_weights),
        cmocka_unit_test(plan_is_exact_and_one_byte_less_fails),
        cmocka_unit_test(bad_inputs_are_refused),
        cmocka_unit_test(mla_cache_is_smaller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
