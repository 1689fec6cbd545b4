/* test_config_xenith.c: SPEC section 9's config: its field set (anything
 * else refused by name), the JSON types field by field, every refusal rule,
 * the defaults that follow other fields, the tensor list with its adapters,
 * and the parameter and cache counts of both presets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_fields.h"
#include "titan.h"

static _Alignas(64) uint8_t arena_buf[1 << 16];

/* A small valid xenith config (E, S and r on), one key per entry. */
typedef struct {
    const char *key, *value;
} kv;
static const kv base[] = {
    {"family", "\"xenith\""},   {"vocab_size", "300"},    {"d_model", "16"},
    {"n_heads", "2"},           {"n_kv_heads", "1"},      {"head_dim", "8"},
    {"mlp_hidden", "32"},       {"max_seq_len", "64"},    {"n_layers", "2"},
    {"attn_windows", "[4, 0]"}, {"n_global_tokens", "2"}, {"moe_experts", "4"},
    {"moe_dense_layers", "1"},  {"moe_hidden", "8"},      {"lora_rank", "2"},
    {"stm_tokens", "8"},        {"mem_slots", "2"},       {"ltm_size", "4"},
    {"sum_layers", "1"},        {"sum_heads", "2"},
};
enum { N_BASE = sizeof base / sizeof *base };

/* The base config with key set to value (NULL: left out), then up to two more
 * such edits, read from JSON. */
static titan_status read_edited(titan_config *c, const char *const *edits, int n) {
    char text[4096];
    int at = snprintf(text, sizeof text, "{");
    bool used[8] = {false};
    for (int i = 0; i < N_BASE; i++) {
        const char *v = base[i].value;
        for (int e = 0; e < n; e++)
            if (!strcmp(edits[2 * e], base[i].key)) v = edits[2 * e + 1], used[e] = true;
        if (v)
            at += snprintf(text + at, sizeof text - (size_t)at, "%s\"%s\": %s",
                           at > 1 ? ", " : "", base[i].key, v);
    }
    for (int e = 0; e < n; e++)
        if (!used[e] && edits[2 * e + 1])
            at += snprintf(text + at, sizeof text - (size_t)at, ", \"%s\": %s",
                           edits[2 * e], edits[2 * e + 1]);
    at += snprintf(text + at, sizeof text - (size_t)at, "}");
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    return titan_config_from_json(&a, text, (size_t)at, c);
}

static titan_status with1(titan_config *c, const char *k, const char *v) {
    const char *e[] = {k, v};
    return read_edited(c, e, 1);
}

static titan_status with2(titan_config *c, const char *k1, const char *v1, const char *k2,
                          const char *v2) {
    const char *e[] = {k1, v1, k2, v2};
    return read_edited(c, e, 2);
}

/* Refused with TITAN_E_DATA and a message holding `word`. */
#define REFUSED(st, word)                                                                \
    do {                                                                                 \
        titan_status st_ = (st);                                                         \
        if (st_ != TITAN_E_DATA || !strstr(titan_last_error(), word))                    \
            fail_msg("line %d: status %d, '%s' (wanted '%s')", __LINE__, st_,            \
                     titan_last_error(), word);                                          \
    } while (0)
#define ACCEPTED(st)                                                                     \
    do {                                                                                 \
        titan_status st_ = (st);                                                         \
        if (st_ != TITAN_OK) fail_msg("line %d: '%s'", __LINE__, titan_last_error());    \
    } while (0)

static void the_base_config_and_its_defaults(void **state) {
    (void)state;
    titan_config c;
    ACCEPTED(read_edited(&c, NULL, 0));
    assert_int_equal(c.family, TITAN_FAMILY_XENITH);
    assert_true(c.rope_base == 10000 && c.norm_eps == 1e-5 && c.logit_softcap == 0);
    assert_int_equal(c.moe_top_k, 2); /* min(2, E) */
    assert_int_equal(c.sum_hidden, 32);
    assert_true(c.lora_alpha == 2 && c.tie_embeddings && c.moe_renormalize);
    assert_true(c.moe_aux_weight == 0.01 && c.moe_zloss_weight == 0);
    assert_int_equal(c.lora_targets_len, 8); /* all but lm_head */
    for (int k = 0; k < 8; k++) assert_int_equal(c.lora_targets[k], k);
    assert_int_equal(c.mem_read_layers_len, 2);
    assert_true(c.mem_read_layers[0] == 0 && c.mem_read_layers[1] == 1);
    ACCEPTED(with2(&c, "moe_experts", "1", "moe_hidden", NULL));
    assert_true(c.moe_top_k == 1 && c.moe_hidden == 32); /* min(2, 1); F */
    /* null = absent for optional fields */
    ACCEPTED(with2(&c, "rope_base", "null", "moe_top_k", "null"));
    assert_true(c.rope_base == 10000 && c.moe_top_k == 2);
    ACCEPTED(with1(&c, "attn_windows", "null"));
    assert_int_equal(c.attn_windows_len, 0);
}

static const char *const required[] = {"vocab_size",  "d_model",  "n_heads",
                                       "n_kv_heads",  "head_dim", "mlp_hidden",
                                       "max_seq_len", "n_layers"};

static void required_fields_missing_null_or_below_one(void **state) {
    (void)state;
    titan_config c;
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        REFUSED(with1(&c, required[i], NULL), required[i]);
        REFUSED(with1(&c, required[i], "null"), required[i]);
        REFUSED(with1(&c, required[i], "0"), required[i]);
    }
}

/* Every field outside the family, at top level, is refused by name. */
static void other_families_fields_are_refused(void **state) {
    (void)state;
    titan_config c;
    int refused = 0;
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (titan_config_field_in_family(f, TITAN_FAMILY_XENITH)) continue;
        REFUSED(with1(&c, f->name, "1"), f->name);
        refused++;
    }
    assert_true(refused >= 13 + 30); /* section 1's and section 8's */
    REFUSED(with1(&c, "v_head_dim", "8"), "not a field of family xenith");
    REFUSED(with1(&c, "yarn_factor", "1.0"), "yarn_factor");
    REFUSED(with1(&c, "mtp_weights", "[1.0]"), "mtp_weights");
    REFUSED(with1(&c, "bigram_hash", "null"), "bigram_hash");
    REFUSED(with1(&c, "no_such_field", "1"), "no_such_field");
    /* and a titan config refuses section 9's */
    REFUSED(with1(&c, "family", "\"titan\""), "not a field of family titan");
    REFUSED(with1(&c, "family", "\"mixtral\""), "family");
}

static void types_bool_int_float_and_lists(void **state) {
    (void)state;
    titan_config c;
    REFUSED(with1(&c, "n_layers", "true"), "n_layers"); /* a bool is not an int */
    REFUSED(with1(&c, "n_layers", "2.0"), "n_layers");  /* a float is not an int */
    REFUSED(with1(&c, "n_layers", "2.5"), "n_layers");
    REFUSED(with1(&c, "n_layers", "\"2\""), "n_layers");
    REFUSED(with1(&c, "tie_embeddings", "1"), "tie_embeddings"); /* 0/1 are not bools */
    REFUSED(with1(&c, "tie_embeddings", "0"), "tie_embeddings");
    REFUSED(with1(&c, "tie_embeddings", "\"true\""), "tie_embeddings");
    REFUSED(with1(&c, "moe_renormalize", "1"), "moe_renormalize");
    REFUSED(with1(&c, "rope_base", "true"), "rope_base"); /* a float takes no bool */
    REFUSED(with1(&c, "moe_aux_weight", "false"), "moe_aux_weight");
    REFUSED(with1(&c, "lora_alpha", "\"2\""), "lora_alpha");
    ACCEPTED(with1(&c, "rope_base", "500000")); /* but takes an integer */
    assert_true(c.rope_base == 500000);
    ACCEPTED(with1(&c, "lora_alpha", "3"));
    /* lists, entry by entry */
    REFUSED(with1(&c, "attn_windows", "[4, 1.5]"), "attn_windows");
    REFUSED(with1(&c, "attn_windows", "[4, true]"), "attn_windows");
    REFUSED(with1(&c, "attn_windows", "4"), "attn_windows");
    REFUSED(with1(&c, "mem_read_layers", "[0, 1.0]"), "mem_read_layers");
    REFUSED(with1(&c, "lora_targets", "[\"wq\", 3]"), "lora_targets");
    REFUSED(with1(&c, "lora_targets", "\"wq\""), "lora_targets");
    /* types are checked whatever E, S and r are */
    REFUSED(with2(&c, "moe_experts", "0", "moe_top_k", "true"), "moe_top_k");
    REFUSED(with2(&c, "moe_experts", "0", "moe_hidden", "8.5"), "moe_hidden");
    REFUSED(with2(&c, "stm_tokens", "0", "mem_slots", "1.5"), "mem_slots");
    REFUSED(with2(&c, "stm_tokens", "0", "sum_hidden", "false"), "sum_hidden");
    REFUSED(with2(&c, "lora_rank", "0", "lora_alpha", "true"), "lora_alpha");
    REFUSED(with2(&c, "lora_rank", "0", "lora_targets", "[1]"), "lora_targets");
}

static void ranges_and_shapes(void **state) {
    (void)state;
    titan_config c;
    REFUSED(with1(&c, "n_global_tokens", "-1"), "n_global_tokens");
    REFUSED(with1(&c, "moe_experts", "-1"), "moe_experts");
    REFUSED(with1(&c, "lora_rank", "-1"), "lora_rank");
    REFUSED(with1(&c, "stm_tokens", "-1"), "stm_tokens");
    REFUSED(with1(&c, "attn_windows", "[4, -1]"), "attn_windows");
    ACCEPTED(with1(&c, "attn_windows", "[]"));
    REFUSED(with2(&c, "n_heads", "3", "n_kv_heads", "2"), "n_heads");
    REFUSED(with1(&c, "head_dim", "7"), "head_dim");
    REFUSED(with1(&c, "rope_base", "1"), "rope_base");
    REFUSED(with1(&c, "rope_base", "0.5"), "rope_base");
    ACCEPTED(with1(&c, "rope_base", "1.000001"));
    REFUSED(with1(&c, "norm_eps", "0"), "norm_eps");
    REFUSED(with1(&c, "norm_eps", "-1e-5"), "norm_eps");
    ACCEPTED(with1(&c, "norm_eps", "1e-35"));
    REFUSED(with1(&c, "logit_softcap", "-1"), "logit_softcap");
    ACCEPTED(with1(&c, "logit_softcap", "0"));
    REFUSED(with1(&c, "moe_aux_weight", "-0.01"), "moe_aux_weight");
    REFUSED(with1(&c, "moe_zloss_weight", "-0.001"), "moe_zloss_weight");
    ACCEPTED(with2(&c, "moe_aux_weight", "0", "moe_zloss_weight", "0"));
}

static void moe_rules_only_with_experts(void **state) {
    (void)state;
    titan_config c;
    REFUSED(with1(&c, "moe_top_k", "0"), "moe_top_k");
    REFUSED(with1(&c, "moe_top_k", "5"), "moe_top_k"); /* > E = 4 */
    ACCEPTED(with1(&c, "moe_top_k", "4"));
    REFUSED(with1(&c, "moe_hidden", "0"), "moe_hidden");
    REFUSED(with1(&c, "moe_dense_layers", "-1"), "moe_dense_layers");
    REFUSED(with1(&c, "moe_dense_layers", "3"), "moe_dense_layers"); /* > L = 2 */
    ACCEPTED(with1(&c, "moe_dense_layers", "2"));
    ACCEPTED(with1(&c, "moe_dense_layers", "0"));
    const char *e0 = "0";
    ACCEPTED(with2(&c, "moe_experts", e0, "moe_top_k", "0"));
    ACCEPTED(with2(&c, "moe_experts", e0, "moe_top_k", "99"));
    ACCEPTED(with2(&c, "moe_experts", e0, "moe_hidden", "0"));
    ACCEPTED(with2(&c, "moe_experts", e0, "moe_dense_layers", "-7"));
    ACCEPTED(with2(&c, "moe_experts", e0, "moe_hidden", "-3"));
}

static const char *const memory[] = {"mem_slots", "ltm_size", "sum_layers", "sum_heads"};

static void memory_rules_only_with_segments(void **state) {
    (void)state;
    titan_config c;
    for (size_t i = 0; i < sizeof memory / sizeof *memory; i++) {
        REFUSED(with1(&c, memory[i], NULL), memory[i]); /* missing when S > 0 */
        REFUSED(with1(&c, memory[i], "null"), memory[i]);
        REFUSED(with1(&c, memory[i], "0"), memory[i]);
        ACCEPTED(with2(&c, "stm_tokens", "0", memory[i], NULL));
        ACCEPTED(with2(&c, "stm_tokens", "0", memory[i], "0"));
    }
    REFUSED(with1(&c, "sum_hidden", "0"), "sum_hidden");
    ACCEPTED(with2(&c, "stm_tokens", "0", "sum_hidden", "0"));
    REFUSED(with1(&c, "sum_heads", "3"), "sum_heads"); /* D = 16 */
    ACCEPTED(with2(&c, "stm_tokens", "0", "sum_heads", "3"));
    ACCEPTED(with1(&c, "sum_heads", "4"));
    /* mem_read_layers whatever S is */
    const char *bad[] = {"[0, 0]", "[2]", "[-1]", "[1, 0, 1]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        REFUSED(with1(&c, "mem_read_layers", bad[i]), "mem_read_layers");
        REFUSED(with2(&c, "stm_tokens", "0", "mem_read_layers", bad[i]),
                "mem_read_layers");
    }
    ACCEPTED(with1(&c, "mem_read_layers", "[1, 0]"));
    ACCEPTED(with1(&c, "mem_read_layers", "[]"));
}

static void lora_rules_only_with_a_rank(void **state) {
    (void)state;
    titan_config c;
    REFUSED(with1(&c, "lora_targets", "[\"wq\", \"w_in\"]"), "lora_targets");
    REFUSED(with1(&c, "lora_targets", "[\"lm_head\"]"), "tie_embeddings");
    ACCEPTED(with2(&c, "lora_targets", "[\"lm_head\"]", "tie_embeddings", "false"));
    REFUSED(with1(&c, "lora_alpha", "0"), "lora_alpha");
    REFUSED(with1(&c, "lora_alpha", "-2"), "lora_alpha");
    ACCEPTED(with1(&c, "lora_alpha", "0.5"));
    ACCEPTED(with2(&c, "lora_rank", "0", "lora_targets", "[\"wq\", \"w_in\"]"));
    ACCEPTED(with2(&c, "lora_rank", "0", "lora_targets", "[\"lm_head\"]"));
    ACCEPTED(with2(&c, "lora_rank", "0", "lora_alpha", "0"));
    ACCEPTED(with2(&c, "lora_rank", "0", "lora_alpha", "-1"));
    ACCEPTED(with1(&c, "lora_targets", "[]"));        /* no adapters */
    assert_int_equal(titan_config_params(&c), 12208); /* counted by hand */
    titan_config twice;
    ACCEPTED(with1(&twice, "lora_targets", "[\"wq\", \"wq\"]")); /* counts once */
    ACCEPTED(with1(&c, "lora_targets", "[\"wq\"]"));
    assert_int_equal(titan_config_tensors(&twice, NULL, 0),
                     titan_config_tensors(&c, NULL, 0));
    assert_int_equal(titan_config_params(&twice), titan_config_params(&c));
}

/* The order of SPEC section 9 with adapters after their weights. */
static void tensor_order_with_adapters(void **state) {
    (void)state;
    titan_config c;
    ACCEPTED(with2(&c, "lora_targets", "[\"wq\", \"router\", \"w_up\", \"lm_head\"]",
                   "tie_embeddings", "false"));
    static const char *const want[] = {"tok_emb",
                                       "blocks.0.attn_norm",
                                       "blocks.0.wq",
                                       "blocks.0.wq.lora_A",
                                       "blocks.0.wq.lora_B",
                                       "blocks.0.wk",
                                       "blocks.0.wv",
                                       "blocks.0.wo",
                                       "blocks.0.ffn_norm",
                                       "blocks.0.w_gate",
                                       "blocks.0.w_up",
                                       "blocks.0.w_up.lora_A",
                                       "blocks.0.w_up.lora_B",
                                       "blocks.0.w_down",
                                       "blocks.1.attn_norm",
                                       "blocks.1.wq",
                                       "blocks.1.wq.lora_A",
                                       "blocks.1.wq.lora_B",
                                       "blocks.1.wk",
                                       "blocks.1.wv",
                                       "blocks.1.wo",
                                       "blocks.1.ffn_norm",
                                       "blocks.1.router",
                                       "blocks.1.router.lora_A",
                                       "blocks.1.router.lora_B",
                                       "blocks.1.experts.0.w_gate",
                                       "blocks.1.experts.0.w_up",
                                       "blocks.1.experts.0.w_up.lora_A",
                                       "blocks.1.experts.0.w_up.lora_B",
                                       "blocks.1.experts.0.w_down"};
    titan_tensor_spec s[256];
    int n = titan_config_tensors(&c, s, 256);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_string_equal(s[i].name, want[i]);
    assert_string_equal(s[25 + 3 * 5].name, "blocks.1.experts.3.w_gate");
    int i = 25 + 4 * 5; /* after the experts */
    static const char *const tail[] = {"final_norm",
                                       "lm_head",
                                       "lm_head.lora_A",
                                       "lm_head.lora_B",
                                       "mem.slots",
                                       "mem.layers.0.attn_norm",
                                       "mem.layers.0.kv_norm",
                                       "mem.layers.0.wq",
                                       "mem.layers.0.wq.lora_A",
                                       "mem.layers.0.wq.lora_B",
                                       "mem.layers.0.wk",
                                       "mem.layers.0.wv",
                                       "mem.layers.0.wo",
                                       "mem.layers.0.ffn_norm",
                                       "mem.layers.0.w_gate",
                                       "mem.layers.0.w_up",
                                       "mem.layers.0.w_up.lora_A",
                                       "mem.layers.0.w_up.lora_B",
                                       "mem.layers.0.w_down",
                                       "mem.final_norm"};
    for (size_t k = 0; k < sizeof tail / sizeof *tail; k++)
        assert_string_equal(s[i + (int)k].name, tail[k]);
    assert_int_equal(n, i + (int)(sizeof tail / sizeof *tail));
    /* shapes: A [r, in], B [out, r] */
    assert_true(s[3].rows == 2 && s[3].cols == 16 && s[4].rows == 16 && s[4].cols == 2);
    assert_true(s[23].rows == 2 && s[23].cols == 16 && s[24].rows == 4 &&
                s[24].cols == 2);
    assert_true(s[i + 3].rows == 300 && s[i + 3].cols == 2);
    int64_t sum = 0;
    for (int k = 0; k < n; k++) sum += s[k].rows * s[k].cols;
    assert_int_equal(sum, titan_config_params(&c));
}

static titan_xenith_counts preset_counts(const char *name, int64_t ctx) {
    titan_config c;
    assert_int_equal(titan_config_preset(name, &c), TITAN_OK);
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    titan_xenith_counts k;
    titan_config_xenith_counts(&c, ctx, &k);
    return k;
}

/* SPEC section 9's table, number by number. */
static void xenith_full_counts(void **state) {
    (void)state;
    titan_xenith_counts k = preset_counts("xenith-full", 262144);
    assert_int_equal(k.embedding, 262144000);
    assert_int_equal(k.lm_head, 262144000);
    assert_int_equal(k.attention, 10738466816);
    assert_int_equal(k.dense_ffn, 4831838208);
    assert_int_equal(k.moe, 135306149888);
    assert_int_equal(k.expert, 75497472);
    assert_int_equal(k.router, 262144);
    assert_int_equal(k.main, 151400751104);
    assert_int_equal(k.summarizer, 3506544640);
    assert_int_equal(k.base, 154907295744);
    assert_int_equal(k.lora_attention, 436207616);
    assert_int_equal(k.lora_dense, 100663296);
    assert_int_equal(k.lora_routers, 58949632);
    assert_int_equal(k.lora_experts, 7751073792);
    assert_int_equal(k.lora_summarizer, 83886080);
    assert_int_equal(k.lora_lm_head, 0);
    assert_int_equal(k.lora, 8430780416);
    assert_int_equal(k.total, 163338076160);
    assert_int_equal(k.active_per_token, 41476431872);
    assert_int_equal(k.active_per_token_lora, 2049146880);
    assert_int_equal(k.attn_entries, 92160);
    assert_int_equal(k.attn_values, 377487360);
    assert_int_equal(k.ltm_vectors, 32768);
    assert_int_equal(k.ltm_kv_values, 8589934592);
    assert_int_equal(k.stm_values, 134217728);
    /* windows make the cache flat: a short ctx caps each layer */
    assert_int_equal(preset_counts("xenith-full", 300).attn_entries, 22 * 300 + 42 * 300);
}

static void xenith_mini_counts(void **state) {
    (void)state;
    titan_xenith_counts k = preset_counts("xenith-mini-cpu", 4096);
    assert_int_equal(k.total, 25415168);
    assert_int_equal(k.base, 23394304);
    assert_int_equal(k.lora, 2020864);
    assert_int_equal(k.active_per_token, 6344960);
    assert_int_equal(k.active_per_token_lora, 501248);
    /* windows 64, 128, 256 over 8 layers, 16 globals */
    assert_int_equal(k.attn_entries, 3 * 80 + 3 * 144 + 2 * 272);
    assert_int_equal(k.ltm_kv_values, 64 * 2 * 2 * 32 * 8);
    titan_config c;
    assert_int_equal(titan_config_preset("xenith-mini-cpu", &c), TITAN_OK);
    assert_int_equal(titan_config_params(&c), 25415168);
    int n = titan_config_tensors(&c, NULL, 0);
    titan_tensor_spec *s = malloc(sizeof *s * (size_t)n);
    assert_non_null(s);
    assert_int_equal(titan_config_tensors(&c, s, n), n);
    int64_t sum = 0;
    for (int i = 0; i < n; i++) sum += s[i].rows * s[i].cols;
    free(s);
    assert_int_equal(sum, 25415168); /* the list agrees with the formula */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_base_config_and_its_defaults),
        cmocka_unit_test(required_fields_missing_null_or_below_one),
        cmocka_unit_test(other_families_fields_are_refused),
        cmocka_unit_test(types_bool_int_float_and_lists),
        cmocka_unit_test(ranges_and_shapes),
        cmocka_unit_test(moe_rules_only_with_experts),
        cmocka_unit_test(memory_rules_only_with_segments),
        cmocka_unit_test(lora_rules_only_with_a_rank),
        cmocka_unit_test(tensor_order_with_adapters),
        cmocka_unit_test(xenith_full_counts),
        cmocka_unit_test(xenith_mini_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
