/* test_model_golf.c: the SPEC section 8 options in the runtime against
 * itself (golf_ref.py checks the values: tests/e2e/golf_logits.sh): prefill
 * == decode == odd chunks for every option alone and all together on gqa and
 * mla attention (decode splits the cache into chunks, so sinks meet the
 * chunk merge); rewinds with the smear/bigram ring; exact plans; the cpu
 * backend equal to ref, and bit for bit across thread counts; Gated DeltaNet
 * blocks with each gdn_* option (the cpu backend's chunked prefill against
 * the ref backend's recurrence), rewinds through their state, and a GDN
 * layer's state the same size at every context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "core/model.h"
#include "model_fixture.h"

#include <stdio.h>

enum { T_LONG = TITAN_ATT_PCHUNK + 17 }; /* decode reads the cache in two chunks */

static void set_list(int32_t *dst, int32_t *len, const int32_t *v, int n) {
    memcpy(dst, v, sizeof *v * (size_t)n);
    *len = n;
}
#define SET_LIST(c, field, ...)                                                          \
    do {                                                                                 \
        const int32_t v_[] = {__VA_ARGS__};                                              \
        set_list((c)->field, &(c)->field##_len, v_, (int)(sizeof v_ / sizeof *v_));      \
    } while (0)

/* fixture_small_config with four blocks applied twice; gqa or mla. */
static titan_config golf_base(bool gqa) {
    titan_config c = fixture_small_config();
    c.n_unique_blocks = 4;
    c.n_recurrences = 2;
    if (gqa) c.attention = TITAN_ATTENTION_GQA, c.rope_dim = 4;
    return c;
}

static void o_rope_whole(titan_config *c) { c->rope_dim = c->head_dim; }
static void o_rope_none(titan_config *c) { c->rope_dim = 0, c->yarn_factor = 4; }
static void o_qk_norm(titan_config *c) { c->qk_norm = true; }
static void o_q_gain(titan_config *c) { c->q_gain = true; }
static void o_relu2(titan_config *c) { c->mlp_act = TITAN_MLP_RELU2; }
static void o_leaky(titan_config *c) { c->mlp_act = TITAN_MLP_LEAKY_RELU2; }
static void o_parallel(titan_config *c) { c->parallel_residual_from = 2; }
static void o_ln_scale(titan_config *c) { c->ln_scale = true; }
static void o_xsa(titan_config *c) { SET_LIST(c, xsa_layers, 1, 3); }
static void o_bigram(titan_config *c) {
    c->bigram_hash = true, c->bigram_hash_buckets = 37, c->bigram_hash_dim = 5;
}
static void o_bigram_d(titan_config *c) {
    c->bigram_hash = true, c->bigram_hash_buckets = 64, c->bigram_hash_dim = c->d_model;
}
static void o_value_embed(titan_config *c) {
    c->value_embed = true, c->value_embed_dim = 7;
    SET_LIST(c, value_embed_layers, 0, 2);
}
static void o_value_embed_gdv(titan_config *c) {
    c->value_embed = true, c->value_embed_dim = c->n_kv_heads * c->v_head_dim;
    SET_LIST(c, value_embed_layers, 1);
}
static void o_sink_key(titan_config *c) { c->attn_sink = TITAN_SINK_KEY; }
static void o_sink_logit(titan_config *c) { c->attn_sink = TITAN_SINK_LOGIT; }
static void o_smear(titan_config *c) { c->smear_gate = true; }
static void o_emb_norm(titan_config *c) { c->emb_norm = true; }
static void o_resid_mix(titan_config *c) { c->resid_mix = true; }
static void o_branch_scale(titan_config *c) { c->branch_scale = true; }
static void o_schedule(titan_config *c) {
    SET_LIST(c, layer_schedule, 0, 1, 2, 1, 2, 3, 3);
}
static void o_mirror(titan_config *c) { c->unet_skips = TITAN_SKIPS_MIRROR; }
static void o_mirror_gated(titan_config *c) { o_mirror(c), c->skip_gates = true; }
static void o_mirror_blocks(titan_config *c) {
    c->unet_skips = TITAN_SKIPS_MIRROR_BLOCKS;
    SET_LIST(c, layer_schedule, 0, 1, 0, 1, 2, 3, 2);
}
static void o_mirror_blocks_gated(titan_config *c) {
    o_mirror_blocks(c), c->skip_gates = true;
}

/* Gated DeltaNet in block 1: SPEC's defaults (Hk = H, Kc 4, SiLU, gated
 * RMSNorm), and each other gdn_* option. */
static void o_gdn(titan_config *c) { SET_LIST(c, gdn_layers, 1); }
static void o_gdn_record(titan_config *c) { /* golf-1.0785's GDN options */
    o_gdn(c);
    c->gdn_heads = 2, c->gdn_v_heads = 4, c->gdn_conv_kernel = 2;
    c->gdn_qk_act = TITAN_GDN_ACT_ELU1, c->gdn_out_norm = false;
}
static void o_gdn_conv0(titan_config *c) { o_gdn(c), c->gdn_conv_kernel = 0; }
static void o_gdn_conv1_elu1(titan_config *c) {
    o_gdn(c), c->gdn_conv_kernel = 1, c->gdn_qk_act = TITAN_GDN_ACT_ELU1;
}
static void o_gdn_widths(titan_config *c) { /* Hv = 3 Hk, Dk != Dw, blocks 0 and 3 */
    SET_LIST(c, gdn_layers, 0, 3);
    c->gdn_heads = 1, c->gdn_v_heads = 3, c->gdn_head_dim = 5, c->gdn_v_head_dim = 7;
    c->gdn_conv_kernel = 3, c->gdn_out_norm = false;
}

/* Every option at once (the sink, skips and gates as the caller sets). */
static void o_all(titan_config *c) {
    SET_LIST(c, layer_schedule, 0, 1, 2, 1, 2, 3, 2, 3);
    c->qk_norm = c->q_gain = c->ln_scale = true;
    c->mlp_act = TITAN_MLP_LEAKY_RELU2, c->leaky_slope = 0.4;
    c->parallel_residual_from = 2;
    SET_LIST(c, xsa_layers, 2, 3);
    o_bigram(c), o_value_embed(c);
    c->smear_gate = c->emb_norm = c->resid_mix = c->branch_scale = true;
    c->yarn_factor = 2, c->logit_softcap = 12;
}
static void o_all_key_gated(titan_config *c) {
    o_all(c), o_sink_key(c), o_mirror_gated(c), o_gdn_record(c);
}
static void o_all_logit_additive(titan_config *c) {
    o_all(c), o_sink_logit(c), c->unet_skips = TITAN_SKIPS_MIRROR_BLOCKS, o_gdn(c);
}

typedef struct {
    const char *name;
    void (*set)(titan_config *c);
    bool gqa_only;
} option;

static const option options[] = {
    {"rope whole head", o_rope_whole, true},
    {"rope none, yarn", o_rope_none, true},
    {"qk_norm", o_qk_norm, false},
    {"q_gain", o_q_gain, false},
    {"relu2", o_relu2, false},
    {"leaky_relu2", o_leaky, false},
    {"parallel residual", o_parallel, false},
    {"ln_scale", o_ln_scale, false},
    {"xsa", o_xsa, false},
    {"bigram", o_bigram, false},
    {"bigram d == D", o_bigram_d, false},
    {"value_embed", o_value_embed, false},
    {"value_embed d == G*Dv", o_value_embed_gdv, false},
    {"sink key", o_sink_key, false},
    {"sink logit", o_sink_logit, false},
    {"smear_gate", o_smear, false},
    {"emb_norm", o_emb_norm, false},
    {"resid_mix", o_resid_mix, false},
    {"branch_scale", o_branch_scale, false},
    {"layer_schedule", o_schedule, false},
    {"mirror", o_mirror, false},
    {"mirror gated", o_mirror_gated, false},
    {"mirror_blocks", o_mirror_blocks, false},
    {"mirror_blocks gated", o_mirror_blocks_gated, false},
    {"gdn", o_gdn, false},
    {"gdn as in golf-1.0785", o_gdn_record, false},
    {"gdn conv 0", o_gdn_conv0, false},
    {"gdn conv 1, elu1", o_gdn_conv1_elu1, false},
    {"gdn Hv = 3 Hk, Dk != Dw, gate only", o_gdn_widths, false},
    {"all, sink key, gated mirror, gdn", o_all_key_gated, false},
    {"all, sink logit, additive mirror_blocks, gdn", o_all_logit_additive, false},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };

static titan_config with_option(bool gqa, const option *o) {
    titan_config c = golf_base(gqa);
    o->set(&c);
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    return c;
}

/* Config k < 4 of the all-options ones: gqa or mla, sink key or logit. */
static titan_config all_options(int k) {
    return with_option(k / 2, &options[N_OPTIONS - 2 + k % 2]);
}

static void prefill_equals_decode_each_option(void **state) {
    (void)state;
    for (int gqa = 0; gqa < 2; gqa++) {
        titan_config c = golf_base(gqa);
        check_prefill_equals_decode(&c, T_LONG, 7);
        for (int i = 0; i < N_OPTIONS; i++) {
            if (options[i].gqa_only && !gqa) continue;
            printf("  %s %s\n", gqa ? "gqa" : "mla", options[i].name);
            c = with_option(gqa, &options[i]);
            check_prefill_equals_decode(&c, T_LONG, 7);
        }
    }
}

/* got (head 1 at the last of ids[0..n), after rewinds) equals the logits of
 * ids[0..n) fed at once from a reset s. */
static void check_as_fed_once(titan_model *m, titan_seq *s, const int32_t *ids, int n,
                              const float *got) {
    int V = m->cfg.vocab_size;
    float *want = malloc(sizeof(float) * V);
    titan_seq_reset(s);
    assert_int_equal(titan_model_forward(m, s, ids, n), TITAN_OK);
    assert_int_equal(titan_model_logits(m, 1, n - 1, 1, want), TITAN_OK);
    assert_close_floats(got, want, (size_t)V, "rewound", 0, 1e-5);
    free(want);
}

/* Rewinding dropped tokens leaves the same state as never feeding them: the
 * smear and bigram ring gives back the token before the rewound ones. */
static void rewind_with_smear_and_bigram(void **state) {
    (void)state;
    for (int gqa = 0; gqa < 2; gqa++) {
        titan_config c = all_options(2 * gqa + 1);
        fixture f;
        fixture_make(&f, &c, 5);
        runtime r;
        rt_open(&r, &f, 16, 8, 0);
        int V = c.vocab_size;
        int32_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[3] = {9, 10, 11};
        float *got = malloc(sizeof(float) * V);
        assert_int_equal(titan_model_forward(r.m, r.s, a, 5), TITAN_OK);
        assert_int_equal(titan_model_forward(r.m, r.s, b, 3), TITAN_OK);
        assert_int_equal(titan_seq_rewind(r.s, 3), TITAN_OK); /* back to position 5 */
        assert_int_equal(titan_model_forward(r.m, r.s, a + 5, 3), TITAN_OK);
        assert_int_equal(titan_model_logits(r.m, 1, 2, 1, got), TITAN_OK);
        check_as_fed_once(r.m, r.s, a, 8, got);
        free(got);
        rt_close(&r);
        fixture_free(&f);
    }
}

/* Exact plans, and one more sequence costs exactly titan_seq_plan. */
static void plans_are_exact(void **state) {
    (void)state;
    for (int k = 0; k < 4; k++) {
        titan_config c = all_options(k);
        check_plan_exact(&c, 1);
        fixture f;
        fixture_make(&f, &c, 1);
        size_t one;
        assert_int_equal(titan_seq_plan(&c, 64, &one), TITAN_OK);
        runtime r;
        rt_open(&r, &f, 64, 16, one);
        size_t start = (r.a.used + TITAN_ALIGN - 1) & ~(size_t)(TITAN_ALIGN - 1);
        titan_seq *s;
        assert_int_equal(titan_seq_create(&r.a, r.m, &s), TITAN_OK);
        assert_int_equal(r.a.high - start, one);
        rt_close(&r);
        fixture_free(&f);
    }
}

/* The cache per token: 8 layers of k and v (gqa, or mla with an option),
 * of c and kr (plain mla). */
static void cache_floats_per_layer_kind(void **state) {
    (void)state;
    titan_config c = golf_base(true);
    int G = c.n_kv_heads, Dh = c.head_dim, Dv = c.v_head_dim, Dr = c.rope_dim;
    assert_int_equal(titan_model_cache_floats(&c), 8 * G * (Dh + Dv));
    c = golf_base(false);
    Dr = c.rope_dim;
    assert_int_equal(titan_model_cache_floats(&c), 8 * (c.kv_latent + Dr));
    SET_LIST(&c, xsa_layers, 1); /* block 1, two of the 8 layers, explicit */
    assert_int_equal(titan_model_cache_floats(&c),
                     6 * (c.kv_latent + Dr) + 2 * G * (Dh + Dr + Dv));
}

/* A GDN layer's state is the same size at any context: with every block
 * GDN (and no gate ring), a sequence is the titan_seq and 8 states of
 * (M+1) Hv Dk Dw + (Kc-1+M) C floats (rounded up to 16), at ctx 16 and 2048;
 * no cache grows per token. */
static void gdn_state_is_constant(void **state) {
    (void)state;
    titan_config c = golf_base(true);
    o_gdn_widths(&c);
    SET_LIST(&c, gdn_layers, 0, 1, 2, 3);
    c.mlp_act = TITAN_MLP_RELU2;
    int M = c.mtp_heads, C = 2 * 1 * 5 + 3 * 7;
    size_t floats = (size_t)(M + 1) * 3 * 5 * 7 + (size_t)(3 - 1 + M) * C;
    floats = (floats + 15) / 16 * 16;
    assert_int_equal(titan_gdn_state_floats(&c), floats);
    size_t head = (sizeof(titan_seq) + TITAN_ALIGN - 1) & ~(size_t)(TITAN_ALIGN - 1);
    size_t small, big;
    assert_int_equal(titan_seq_plan(&c, 16, &small), TITAN_OK);
    assert_int_equal(titan_seq_plan(&c, 2048, &big), TITAN_OK);
    assert_int_equal(small, head + 8 * 4 * floats);
    assert_int_equal(big, small);
    assert_int_equal(titan_model_cache_floats(&c), 0);
}

/* Rewinds through a GDN layer's state slots on the cpu backend: after a
 * chunked prefill (the last M states kept by the recurrence), and after a
 * decode, dropping M tokens leaves what never feeding them leaves. */
static void rewind_through_gdn_on_cpu(void **state) {
    (void)state;
    titan_config c = with_option(true, &options[N_OPTIONS - 2]);
    fixture f;
    fixture_make(&f, &c, 6);
    cpu_runtime r;
    cpu_open(&r, &f, 2, 64);
    int V = c.vocab_size, M = c.mtp_heads;
    int32_t a[48], b[8] = {9, 10, 11, 12, 13, 14, 15, 16};
    for (int t = 0; t < 48; t++) a[t] = (t * 29 + 5) % V;
    float *got = malloc(sizeof(float) * V);
    assert_int_equal(titan_model_forward(r.m, r.s, a, 40), TITAN_OK);
    assert_int_equal(titan_seq_rewind(r.s, M), TITAN_OK); /* into the prefill */
    assert_int_equal(titan_model_forward(r.m, r.s, a + 40 - M, M), TITAN_OK);
    assert_int_equal(titan_model_forward(r.m, r.s, b, 1), TITAN_OK);
    assert_int_equal(titan_seq_rewind(r.s, 1), TITAN_OK); /* a decode step */
    assert_int_equal(titan_model_forward(r.m, r.s, b + 1, M), TITAN_OK);
    assert_int_equal(titan_seq_rewind(r.s, M), TITAN_OK); /* a draft of M */
    assert_int_equal(titan_model_forward(r.m, r.s, a + 40, 8), TITAN_OK);
    assert_int_equal(titan_model_logits(r.m, 1, 7, 1, got), TITAN_OK);
    check_as_fed_once(r.m, r.s, a, 48, got);
    free(got);
    cpu_close(&r);
    fixture_free(&f);
}

/* cpu equals ref within 1e-4, and 1 and 2 threads give the same bits, for
 * prefill, odd chunks and decode. */
static void cpu_matches_ref_and_threads(void **state) {
    (void)state;
    for (int k = 0; k < 4; k++) {
        titan_config c = all_options(k);
        fixture f;
        fixture_make(&f, &c, 9);
        int V = c.vocab_size, M = c.mtp_heads;
        int32_t ids[T_LONG];
        for (int t = 0; t < T_LONG; t++) ids[t] = (t * 53 + 7) % V;
        size_t count = (size_t)M * T_LONG * V;
        float *want = malloc(sizeof(float) * count), *one = malloc(sizeof(float) * count);
        float *two = malloc(sizeof(float) * count);
        runtime ref;
        rt_open(&ref, &f, T_LONG, T_LONG, 0);
        cpu_runtime c1, c2;
        cpu_open(&c1, &f, 1, T_LONG);
        cpu_open(&c2, &f, 2, T_LONG);
        run_chunks(ref.m, ref.s, ids, T_LONG, T_LONG, want);
        static const int chunks[] = {T_LONG, 37, 16, 1};
        for (int i = 0; i < 4; i++) {
            run_chunks(c1.m, c1.s, ids, T_LONG, chunks[i], one);
            run_chunks(c2.m, c2.s, ids, T_LONG, chunks[i], two);
            assert_memory_equal(one, two, sizeof(float) * count);
            for (int row = 0; row < M * T_LONG; row++)
                assert_close_floats(one + (size_t)row * V, want + (size_t)row * V,
                                    (size_t)V, "cpu vs ref", 0, 1e-4);
        }
        cpu_close(&c1);
        cpu_close(&c2);
        rt_close(&ref);
        free(want);
        free(one);
        free(two);
        fixture_free(&f);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefill_equals_decode_each_option),
        cmocka_unit_test(rewind_with_smear_and_bigram),
        cmocka_unit_test(plans_are_exact),
        cmocka_unit_test(cache_floats_per_layer_kind),
        cmocka_unit_test(gdn_state_is_constant),
        cmocka_unit_test(rewind_through_gdn_on_cpu),
        cmocka_unit_test(cpu_matches_ref_and_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
