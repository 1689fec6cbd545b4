/* test_config.c: presets, parameter counts, validation and YaRN constants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "assert_close.h"
#include "titan.h"

static void zenyx_base_has_86m_params(void **state) {
    (void)state;
    titan_config c;
    assert_int_equal(titan_config_preset("zenyx-v2-base", &c), TITAN_OK);
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    /* Hand count, SPEC section 1 shapes:
     * per block: 576*2 + 384*576 + 384 + 9*96*384 + 160*576 + 128 + 384*128
     *            + 576*576 + 3*1536*576 + 1536*3 = 3,686,528
     * total: 3*32768*576 + 8*3,686,528 + 576 = 86,115,904 */
    int64_t block = 576 * 2 + 384 * 576 + 384 + 9 * 96 * 384 + 160 * 576 + 128 +
                    384 * 128 + 576 * 576 + 3 * 1536 * 576 + 1536 * 3;
    assert_int_equal(block, 3686528);
    assert_int_equal(titan_config_params(&c), 86115904);
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(&c, specs, TITAN_MAX_TENSORS);
    assert_int_equal(n, 1 + 8 * 13 + 1 + 2);
    assert_string_equal(specs[0].name, "tok_emb");
    assert_string_equal(specs[4].name, "blocks.0.wq_b");
    assert_int_equal(specs[4].rows, 9 * 96);
    assert_string_equal(specs[n - 1].name, "mtp.3.head");
}

/* Hand count: zenyx-v2-base's block matrices (the products of the count
 * above) 384*576 + 9*96*384 + 160*576 + 384*128 + 576*576 + 3*1536*576 =
 * 3,680,256, applied R = 4 times over 8 blocks, and three heads of
 * 32768 x 576 (tok_emb tied, mtp.2, mtp.3): 174,391,296. A schedule that
 * applies blocks 0, 1, 1, 7 counts four block uses. */
static void matmul_weights_count_every_use(void **state) {
    (void)state;
    titan_config c;
    assert_int_equal(titan_config_preset("zenyx-v2-base", &c), TITAN_OK);
    int64_t block =
        384 * 576 + 9 * 96 * 384 + 160 * 576 + 384 * 128 + 576 * 576 + 3 * 1536 * 576;
    int64_t heads = 3 * (int64_t)32768 * 576;
    assert_int_equal(block, 3680256);
    assert_int_equal(c.n_recurrences, 4);
    assert_int_equal(titan_config_matmul_weights(&c), 32 * block + heads);
    assert_int_equal(titan_config_matmul_weights(&c), 174391296);
    static const int32_t S[] = {0, 1, 1, 7};
    memcpy(c.layer_schedule, S, sizeof S);
    c.layer_schedule_len = 4;
    assert_int_equal(titan_config_block_uses(&c, 1), 2);
    assert_int_equal(titan_config_block_uses(&c, 2), 0);
    assert_int_equal(titan_config_matmul_weights(&c), 4 * block + heads);
}

static void pretrain_preset_differs_in_context(void **state) {
    (void)state;
    titan_config c;
    assert_int_equal(titan_config_preset("zenyx-v2-pretrain", &c), TITAN_OK);
    assert_int_equal(c.max_seq_len, 16384);
    assert_int_equal(c.yarn_orig_ctx, 512);
    assert_int_equal(titan_config_preset("nope", &c), TITAN_E_USAGE);
}

static void no_query_latent_uses_wq(void **state) {
    (void)state;
    titan_config c;
    assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
    c.q_latent = 0;
    c.conv_kernel = 0;
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(&c, specs, TITAN_MAX_TENSORS);
    assert_int_equal(n, 1 + c.n_unique_blocks * 10 + 1 + (c.mtp_heads - 1));
    assert_string_equal(specs[2].name, "blocks.0.wq");
    assert_int_equal(specs[2].cols, c.d_model);
}

static void validation_names_the_field(void **state) {
    (void)state;
    titan_config c;
    assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
    c.n_kv_heads = 3; /* 4 % 3 != 0 */
    assert_int_equal(titan_config_validate(&c), TITAN_E_DATA);
    assert_non_null(strstr(titan_last_error(), "n_kv_heads"));
    assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
    c.rope_dim = 15;
    assert_int_equal(titan_config_validate(&c), TITAN_E_DATA);
    assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
    c.norm_eps = NAN;
    assert_int_equal(titan_config_validate(&c), TITAN_E_DATA);
    assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
    c.bos_id = c.vocab_size;
    assert_int_equal(titan_config_validate(&c), TITAN_E_DATA);
}

/* Worked by hand for Dr=32, base 1e4, orig 256, s=32, beta 32/1:
 * fcd(32) = 32 ln(256/(64 pi)) / (2 ln 1e4) = 0.3917.. -> lo = 0
 * fcd(1)  = 32 ln(256/(2 pi)) / (2 ln 1e4)  = 6.4128.. -> hi = 7
 * ramp_i = i/7 for i <= 7, then 1. */
static void yarn_frequencies(void **state) {
    (void)state;
    titan_config c;
    assert_int_equal(titan_config_preset("zenyx-v2-base", &c), TITAN_OK);
    double f[16], mscale;
    assert_int_equal(titan_config_rope(&c, f, 15, &mscale), TITAN_E_USAGE);
    assert_int_equal(titan_config_rope(&c, f, 16, &mscale), TITAN_OK);
    assert_float_equal(mscale, 0.1 * log(32.0) + 1, 1e-15);
    assert_float_equal(f[0], 1.0, 1e-15); /* ramp 0: unscaled */
    double w3 = pow(1e4, -6.0 / 32), r3 = 3.0 / 7;
    assert_float_equal(f[3], w3 / 32 * r3 + w3 * (1 - r3), 1e-15);
    double w10 = pow(1e4, -20.0 / 32);
    assert_float_equal(f[10], w10 / 32, 1e-18);
    c.yarn_factor = 1;
    assert_int_equal(titan_config_rope(&c, f, 16, &mscale), TITAN_OK);
    assert_float_equal(mscale, 1, 0);
    assert_float_equal(f[10], w10, 1e-18);
}

/* SPEC section 8 "Presets": the record shapes' parameter and tensor counts
 * (also the independent reference's, tests/ref/golf_ref.py), and golf-cpu's
 * (tools/data/golf/README.md). */
static void golf_presets_have_the_records_shapes(void **state) {
    (void)state;
    static const struct {
        const char *name;
        int64_t params;
        int tensors;
    } want[] = {{"golf-1.1531", 27005532, 144},
                {"golf-1.0785", 35908184, 150},
                {"golf-cpu", 863764, 59}};
    for (int i = 0; i < 3; i++) {
        titan_config c;
        assert_int_equal(titan_config_preset(want[i].name, &c), TITAN_OK);
        assert_int_equal(titan_config_validate(&c), TITAN_OK);
        assert_int_equal(titan_config_params(&c), want[i].params);
        assert_int_equal(titan_config_tensors(&c, NULL, 0), want[i].tensors);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zenyx_base_has_86m_params),
        cmocka_unit_test(matmul_weights_count_every_use),
        cmocka_unit_test(pretrain_preset_differs_in_context),
        cmocka_unit_test(no_query_latent_uses_wq),
        cmocka_unit_test(validation_names_the_field),
        cmocka_unit_test(yarn_frequencies),
        cmocka_unit_test(golf_presets_have_the_records_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
