/* test_train_qat.c: STE fake quantization against hand values, the switch-on
 * rule (fraction of steps or LR threshold), and proof that the forward the
 * model sees changes once QAT is on; plus the WSD schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "assert_close.h"
#include "tools/train/train_state.h"

/* Row max 0.62 -> scale 0.02 (int6): 0.30 -> 15 * 0.02, 0.107 -> 5 * 0.02;
 * the all-zero row stays zero. int8: scale 0.62 / 127. */
static void fake_quant_hand_values(void **state) {
    (void)state;
    float w[8] = {0.62f, -0.30f, 0.107f, -0.62f, 0, 0, 0, 0}, q[8];
    train_fake_quant(q, w, 2, 4, 31);
    float want[4] = {0.62f, -0.30f, 0.10f, -0.62f};
    for (int i = 0; i < 4; i++) assert_float_equal(q[i], want[i], 1e-6);
    for (int i = 4; i < 8; i++) assert_true(q[i] == 0);
    train_fake_quant(q, w, 1, 4, 127);
    float s = 0.62f / 127;
    assert_float_equal(q[2], roundf(0.107f / s) * s, 1e-7);
    assert_float_equal(q[2], 22 * s, 1e-7);
}

static titan_config small(void) {
    titan_config c = {
        .vocab_size = 40, .d_model = 16, .n_heads = 2, .n_kv_heads = 1,
        .head_dim = 8, .v_head_dim = 8, .rope_dim = 4, .q_latent = 8,
        .kv_latent = 8, .mlp_hidden = 24, .conv_kernel = 2,
        .n_unique_blocks = 1, .n_recurrences = 2, .max_seq_len = 32,
        .rope_base = 10000, .yarn_factor = 1, .yarn_orig_ctx = 32,
        .yarn_beta_fast = 32, .yarn_beta_slow = 1, .mtp_heads = 1,
        .mtp_weights = {1}, .norm_eps = 1e-5};
    return c;
}

static void forward_changes_once_on(void **state) {
    (void)state;
    titan_config c = small();
    train_hparams h = {.steps = 10, .seed = 3, .qat = TRAIN_QAT_INT6,
                       .qat_start = 0.5};
    train_state s;
    train_model m;
    train_acts a;
    assert_int_equal(train_state_init(&s, &c, &h), 0);
    assert_int_equal(train_model_init(&m, &c, 12), 0);
    assert_int_equal(train_acts_alloc(&a, &c, 12), 0);
    /* Give the output projections weights so every matrix is quantized. */
    train_init_weights(&s.w, 3);
    for (int i = 0; i < s.w.n_tensors; i++)
        for (int64_t j = 0; j < s.w.spec[i].rows * s.w.spec[i].cols; j++)
            s.w.tensor[i][j] += 0.01f * (float)((j * 7) % 11 - 5);
    int ids[12] = {1, 5, 9, 2, 33, 7, 7, 0, 39, 12, 4, 8};
    s.step = 4;
    assert_ptr_equal(train_forward_weights(&s, &h, 1.0), &s.w);
    assert_int_equal(s.qat_on, 0);
    double raw = train_loss(&m, &s.w, &a, ids, 12, NULL);
    s.step = 5;
    const train_params *q = train_forward_weights(&s, &h, 1.0);
    assert_ptr_equal(q, &s.qat);
    assert_int_equal(s.qat_on, 1);
    double quant = train_loss(&m, q, &a, ids, 12, NULL);
    assert_true(fabs(quant - raw) > 1e-5);
    /* Every matrix row holds at most 64 distinct levels, on a grid. */
    int wq = train_params_find(&s.qat, "blocks.0.wq_b");
    const float *row = s.qat.tensor[wq];
    float mx = 0;
    for (int j = 0; j < 8; j++) mx = fmaxf(mx, fabsf(s.w.tensor[wq][j]));
    for (int j = 0; j < 8; j++) {
        float level = row[j] / (mx / 31);
        assert_float_equal(level, roundf(level), 1e-3);
    }
    /* Stays on; a run with the LR rule switches on by the multiplier. */
    s.step = 0;
    assert_ptr_equal(train_forward_weights(&s, &h, 1.0), &s.qat);
    s.qat_on = 0;
    h.qat_start = 1;
    h.qat_below = 0.2;
    assert_ptr_equal(train_forward_weights(&s, &h, 0.5), &s.w);
    assert_ptr_equal(train_forward_weights(&s, &h, 0.1), &s.qat);
    train_acts_free(&a);
    train_model_free(&m);
    train_state_free(&s);
}

/* 100 steps, 10 warm-up, last 30% decays. */
static void wsd_schedule(void **state) {
    (void)state;
    train_hparams h = {.steps = 100, .warmup = 10, .decay_frac = 0.3};
    assert_float_equal(train_lr_mult(&h, 0), 0.1, 1e-12);
    assert_float_equal(train_lr_mult(&h, 9), 1.0, 1e-12);
    assert_float_equal(train_lr_mult(&h, 69), 1.0, 1e-12);
    assert_float_equal(train_lr_mult(&h, 70), 1.0, 1e-12);
    assert_float_equal(train_lr_mult(&h, 85), 0.5, 1e-12);
    assert_float_equal(train_lr_mult(&h, 99), 1.0 / 30, 1e-12);
    h.cosine = 1;
    assert_float_equal(train_lr_mult(&h, 85), 0.5, 1e-12);
    assert_float_equal(train_lr_mult(&h, 76), 0.5 * (1 + cos(M_PI * 0.2)), 1e-12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fake_quant_hand_values),
        cmocka_unit_test(forward_changes_once_on),
        cmocka_unit_test(wsd_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
