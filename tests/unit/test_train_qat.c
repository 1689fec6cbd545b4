/* test_train_qat.c: the QAT copy rounds as `titan pack` does (titan_quant_fake
 * with the packer's defaults, per tensor type), the switch-on rule (fraction of
 * steps or LR threshold), and proof that the forward the model sees changes
 * once QAT is on; plus the WSD schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assert_close.h"
#include "quant/quant.h"
#include "platform/threads.h"
#include "tools/train/train_state.h"

static titan_config small(void) {
    titan_config c;
    titan_config_defaults(&c); /* zero is not every default */
    c.vocab_size = 40, c.d_model = 16, c.n_heads = 2, c.n_kv_heads = 1;
    c.head_dim = 8, c.v_head_dim = 8, c.rope_dim = 4, c.q_latent = 8;
    c.kv_latent = 8, c.mlp_hidden = 24, c.conv_kernel = 2;
    c.n_unique_blocks = 1, c.n_recurrences = 2, c.max_seq_len = 32;
    c.rope_base = 10000, c.yarn_factor = 1, c.yarn_orig_ctx = 32;
    c.yarn_beta_fast = 32, c.yarn_beta_slow = 1, c.mtp_heads = 1;
    c.mtp_weights[0] = 1, c.norm_eps = 1e-5;
    return c;
}

static void forward_changes_once_on(void **state) {
    (void)state;
    titan_config c = small();
    train_hparams h = {.steps = 10, .seed = 3, .qat = TRAIN_QAT_INT6, .qat_start = 0.5};
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
    assert_ptr_equal(train_forward_weights(&s, &h, 1.0, NULL), &s.w);
    assert_int_equal(s.qat_on, 0);
    double raw = train_loss(&m, &s.w, &a, ids, 12, false, NULL);
    s.step = 5;
    const train_params *q = train_forward_weights(&s, &h, 1.0, NULL);
    assert_ptr_equal(q, &s.qat);
    assert_int_equal(s.qat_on, 1);
    double quant = train_loss(&m, q, &a, ids, 12, false, NULL);
    assert_true(fabs(quant - raw) > 1e-5);
    /* Matrices int6, tok_emb and heads int8 as packed, the rest as is. */
    float *want = malloc(sizeof(float) * s.w.count);
    assert_non_null(want);
    for (int i = 0; i < s.w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s.w.spec[i];
        size_t n = (size_t)(sp->rows * sp->cols);
        titan_dtype dt = train_qat_dtype(TRAIN_QAT_INT6, sp->role);
        assert_int_equal(dt, sp->role == TITAN_ROLE_MATRIX ? TITAN_DT_INT6
                             : sp->role == TITAN_ROLE_EMBED || sp->role == TITAN_ROLE_HEAD
                                 ? TITAN_DT_INT8
                                 : TITAN_DT_F32);
        if (dt == TITAN_DT_F32)
            memcpy(want, s.w.tensor[i], sizeof(float) * n);
        else
            assert_int_equal(titan_quant_fake(s.w.tensor[i], sp->rows, sp->cols, dt, 0,
                                              TITAN_QUANT_CLIP_STEPS, want),
                             TITAN_OK);
        assert_memory_equal(s.qat.tensor[i], want, sizeof(float) * n);
    }
    free(want);
    /* Stays on; a run with the LR rule switches on by the multiplier. */
    s.step = 0;
    assert_ptr_equal(train_forward_weights(&s, &h, 1.0, NULL), &s.qat);
    s.qat_on = 0;
    h.qat_start = 1;
    h.qat_below = 0.2;
    assert_ptr_equal(train_forward_weights(&s, &h, 0.5, NULL), &s.w);
    assert_ptr_equal(train_forward_weights(&s, &h, 0.1, NULL), &s.qat);
    train_acts_free(&a);
    train_model_free(&m);
    train_state_free(&s);
}

/* Weights with every matrix nonzero (output projections start at 0). */
static void busy_weights(train_state *s) {
    train_init_weights(&s->w, 3);
    for (int i = 0; i < s->w.n_tensors; i++)
        for (int64_t j = 0; j < s->w.spec[i].rows * s->w.spec[i].cols; j++)
            s->w.tensor[i][j] += 0.01f * (float)((j * 7) % 11 - 5);
}

static int tensor_index(const train_state *s, const char *name) {
    for (int i = 0; i < s->w.n_tensors; i++)
        if (!strcmp(s->w.spec[i].name, name)) return i;
    fail_msg("no tensor %s", name);
    return -1;
}

/* --qat-tensors: only the named tensors round; the rest pass bit for bit. */
static void only_selected_tensors(void **state) {
    (void)state;
    titan_config c = small();
    train_hparams h = {.steps = 10,
                       .seed = 3,
                       .qat = TRAIN_QAT_INT6,
                       .qat_tensors = "blocks.*.wo,tok_emb"};
    train_state s;
    assert_int_equal(train_state_init(&s, &c, &h), 0);
    busy_weights(&s);
    assert_true(train_qat_selects(&h, "blocks.0.wo") && train_qat_selects(&h, "tok_emb"));
    assert_false(train_qat_selects(&h, "blocks.0.wkv_b") || train_qat_selects(&h, "wo"));
    char glob[64];
    assert_false(train_qat_unmatched(&h, &s.w, glob, sizeof glob));
    train_hparams bad = h;
    bad.qat_tensors = "blocks.*.wo,nothing*";
    assert_true(train_qat_unmatched(&bad, &s.w, glob, sizeof glob));
    assert_string_equal(glob, "nothing*");
    const train_params *q = train_forward_weights(&s, &h, 1.0, NULL);
    assert_ptr_equal(q, &s.qat);
    int rounded = 0;
    for (int i = 0; i < s.w.n_tensors; i++) {
        size_t bytes = sizeof(float) * (size_t)(s.w.spec[i].rows * s.w.spec[i].cols);
        bool same = !memcmp(s.qat.tensor[i], s.w.tensor[i], bytes);
        bool picked = train_qat_selects(&h, s.w.spec[i].name);
        assert_true(picked ? !same : same);
        rounded += picked;
    }
    assert_int_equal(rounded, 2);
    train_state_free(&s);
}

/* --qat-mode noise: w + u * max|row| / qmax, |u| <= 1/2, a fresh draw each
 * step, the same draw for any thread count. */
static void noise_form(void **state) {
    (void)state;
    titan_config c = small();
    train_hparams h = {.steps = 10, .seed = 3, .qat = TRAIN_QAT_INT6, .qat_noise = 1};
    train_state s;
    assert_int_equal(train_state_init(&s, &c, &h), 0);
    busy_weights(&s);
    int i = tensor_index(&s, "blocks.0.wo");
    const titan_tensor_spec *sp = &s.w.spec[i];
    size_t n = (size_t)(sp->rows * sp->cols);
    float *first = malloc(sizeof(float) * n);
    assert_non_null(first);
    assert_ptr_equal(train_forward_weights(&s, &h, 1.0, NULL), &s.qat);
    memcpy(first, s.qat.tensor[i], sizeof(float) * n);
    double sum = 0, sum_sq = 0;
    for (int64_t r = 0; r < sp->rows; r++) {
        float amax = 0;
        for (int64_t k = 0; k < sp->cols; k++)
            amax = fmaxf(amax, fabsf(s.w.tensor[i][r * sp->cols + k]));
        for (int64_t k = 0; k < sp->cols; k++) {
            double u = (first[r * sp->cols + k] - s.w.tensor[i][r * sp->cols + k]) /
                       (amax / 31.0);
            assert_true(fabs(u) <= 0.5 + 1e-5); /* fails on NaN */
            sum += u, sum_sq += u * u;
        }
    }
    /* uniform on [-1/2, 1/2): mean 0, variance 1/12 */
    assert_true(fabs(sum / (double)n) < 0.05 &&
                fabs(sum_sq / (double)n - 1.0 / 12) < 0.02);
    static _Alignas(64) uint8_t buf[1 << 16];
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    titan_thread_pool *p;
    assert_int_equal(titan_thread_pool_create(&a, 2, &p), TITAN_OK);
    assert_ptr_equal(train_forward_weights(&s, &h, 1.0, p), &s.qat);
    assert_memory_equal(s.qat.tensor[i], first, sizeof(float) * n);
    s.step = 1;
    assert_ptr_equal(train_forward_weights(&s, &h, 1.0, p), &s.qat);
    assert_true(memcmp(s.qat.tensor[i], first, sizeof(float) * n) != 0);
    titan_thread_pool_destroy(p);
    s.w.tensor[i][3] = NAN;
    assert_null(train_forward_weights(&s, &h, 1.0, NULL));
    free(first);
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
        cmocka_unit_test(forward_changes_once_on),
        cmocka_unit_test(wsd_schedule),
        cmocka_unit_test(only_selected_tensors),
        cmocka_unit_test(noise_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
