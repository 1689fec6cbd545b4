/* test_config_json.c: config JSON round-trips every preset exactly, applies
 * the defaults of the field list, and refuses unknown, missing, mistyped and
 * out-of-range fields, truncations and flipped bits with TITAN_E_DATA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/config_fields.h"
#include "formats/config_json.h"
#include "titan.h"

static _Alignas(64) uint8_t arena_buf[1 << 16];

static titan_status from_text(const char *text, size_t len, titan_config *c) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    titan_status st = titan_config_from_json(&a, text, len, c);
    assert_int_equal(a.used, 0); /* the scratch is given back */
    return st;
}

/* The nano preset, written by hand (not by the code under test). */
static const char nano_json[] =
    "{\"vocab_size\": 1024, \"d_model\": 128, \"n_heads\": 2, \"n_kv_heads\": 1,\n"
    " \"head_dim\": 32, \"v_head_dim\": 32, \"rope_dim\": 16, \"q_latent\": 64,\n"
    " \"kv_latent\": 32, \"mlp_hidden\": 384, \"conv_kernel\": 3,\n"
    " \"n_unique_blocks\": 2, \"n_recurrences\": 2, \"max_seq_len\": 256,\n"
    " \"rope_base\": 10000, \"yarn_factor\": 1, \"yarn_orig_ctx\": 256,\n"
    " \"yarn_beta_fast\": 32, \"yarn_beta_slow\": 1, \"mtp_heads\": 2,\n"
    " \"mtp_weights\": [1.0, 0.3], \"norm_eps\": 1e-5}\n";

static void hand_written_nano_with_defaults(void **state) {
    (void)state;
    titan_config c, ref;
    assert_int_equal(from_text(nano_json, strlen(nano_json), &c), TITAN_OK);
    assert_int_equal(titan_config_preset("nano", &ref), TITAN_OK);
    ref.bos_id = 256;
    assert_memory_equal(&c, &ref, sizeof c);
}

static void presets_round_trip_exactly(void **state) {
    (void)state;
    for (const char *const *name = titan_config_preset_names(); *name; name++) {
        titan_config c, back;
        assert_int_equal(titan_config_preset(*name, &c), TITAN_OK);
        c.bos_id = 7;
        c.logit_softcap = 30.000000000000004;
        if (c.mtp_heads) c.mtp_weights[c.mtp_heads - 1] = 0.1 + 0.2; /* xenith: none */
        char buf[2048];
        size_t len, measured;
        assert_int_equal(titan_config_to_json(&c, NULL, 0, &measured), TITAN_OK);
        assert_int_equal(titan_config_to_json(&c, buf, sizeof buf, &len), TITAN_OK);
        assert_int_equal(len, measured);
        assert_int_equal(buf[len - 1], '\n');
        assert_int_equal(from_text(buf, len, &back), TITAN_OK);
        assert_memory_equal(&c, &back, sizeof c);
        assert_int_equal(titan_config_to_json(&c, buf, len, &len),
                         TITAN_E_USAGE); /* no room for the NUL */
    }
}

/* Replace the first occurrence of `from` in nano_json by `to`. */
static titan_status edited(const char *from, const char *to) {
    char text[2048];
    const char *at = strstr(nano_json, from);
    assert_non_null(at);
    int n = snprintf(text, sizeof text, "%.*s%s%s", (int)(at - nano_json), nano_json, to,
                     at + strlen(from));
    titan_config c;
    return from_text(text, (size_t)n, &c);
}

static void bad_fields_are_refused(void **state) {
    (void)state;
    static const struct {
        const char *from, *to, *message;
    } bad[] = {
        {"\"d_model\"", "\"d_modle\"", "unknown key \"d_modle\""},
        {"\"d_model\": 128, ", "", "missing key \"d_model\""},
        {"\"n_heads\": 2", "\"n_heads\": 2.5", "n_heads must be an integer"},
        {"\"n_heads\": 2", "\"n_heads\": \"2\"", "n_heads must be an integer"},
        {"\"vocab_size\": 1024", "\"vocab_size\": 4294968320",
         "vocab_size must be an integer"},
        {"\"vocab_size\": 1024", "\"vocab_size\": -1", "vocab_size"},
        {"\"n_kv_heads\": 1", "\"n_kv_heads\": 3", "n_kv_heads"},
        {"[1.0, 0.3]", "[1.0]", "mtp_weights has 1 entries"},
        {"[1.0, 0.3]", "[1.0, \"x\"]", "must be a number"},
        {"[1.0, 0.3]", "[1,1,1,1,1,1,1,1,1]", "9 > 8"},
        {"[1.0, 0.3]", "{}", "must be an array"},
        {"\"norm_eps\": 1e-5", "\"norm_eps\": 0", "norm_eps"},
        {"\"norm_eps\": 1e-5", "\"norm_eps\": 1e400", "out of range"},
        {"\"rope_base\": 10000", "\"rope_base\": null", "must be a number"},
        {"\"d_model\": 128", "\"d_model\": 128, \"d_model\": 128", "duplicate key"},
        {"{\"vocab_size\"", "[{\"vocab_size\"", "expected"},
        {"1e-5}", "1e-5, \"bos_id\": 1024}", "bos_id"},
        {"1e-5}", "1e-5, \"logit_softcap\": -1}", "logit_softcap"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (edited(bad[i].from, bad[i].to) != TITAN_E_DATA)
            fail_msg("accepted %s -> %s", bad[i].from, bad[i].to);
        if (!strstr(titan_last_error(), bad[i].message))
            fail_msg("%s: '%s' lacks '%s'", bad[i].to, titan_last_error(),
                     bad[i].message);
    }
    titan_config c;
    assert_int_equal(from_text("[]", 2, &c), TITAN_E_DATA);
    assert_non_null(strstr(titan_last_error(), "expected a JSON object"));
    /* integral spellings of an integer are fine */
    assert_int_equal(edited("\"d_model\": 128", "\"d_model\": 1.28e2"), TITAN_OK);
}

static void every_truncation_is_refused(void **state) {
    (void)state;
    titan_config c;
    size_t len = strlen(nano_json);
    /* the text ends "}\n": every shorter prefix but the one without the
     * newline is incomplete */
    for (size_t n = 0; n + 1 < len; n++)
        assert_int_equal(from_text(nano_json, n, &c), TITAN_E_DATA);
    assert_int_equal(from_text(nano_json, len - 1, &c), TITAN_OK);
}

static void flipped_bits_never_pass_silently_broken(void **state) {
    (void)state;
    char text[sizeof nano_json];
    size_t len = strlen(nano_json), refused = 0;
    titan_config ref, c;
    assert_int_equal(from_text(nano_json, len, &ref), TITAN_OK);
    for (size_t bit = 0; bit < len * 8; bit++) {
        memcpy(text, nano_json, len);
        text[bit / 8] ^= (char)(1u << (bit % 8));
        titan_status st = from_text(text, len, &c);
        assert_true(st == TITAN_OK || st == TITAN_E_DATA);
        refused += st == TITAN_E_DATA;
        /* an accepted flip changed a digit or whitespace: still a valid config */
        if (st == TITAN_OK) assert_int_equal(titan_config_validate(&c), TITAN_OK);
    }
    assert_true(refused > len * 8 * 9 / 10);
}

/* nano's JSON without top-level field `skip`, written field by field. */
static size_t json_without(const titan_config_field *skip, char *out, size_t cap) {
    titan_config nano;
    assert_int_equal(titan_config_preset("nano", &nano), TITAN_OK);
    json_writer w;
    json_writer_init(&w, out, cap);
    json_begin_object(&w);
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (f == skip || !config_json_lists(&nano, f)) continue;
        json_key(&w, f->name);
        config_json_write_value(&w, &nano, f);
    }
    json_end_object(&w);
    size_t len;
    assert_int_equal(json_writer_finish(&w, &len), TITAN_OK);
    return len;
}

/* A value of field f that its range refuses (NULL: none to try). */
static bool set_out_of_range(titan_config *c, const titan_config_field *f) {
    switch (f->kind) {
    case TITAN_FIELD_INT:
    case TITAN_FIELD_INTS: titan_config_field_set(c, f, 0, 1 << 30); return true;
    case TITAN_FIELD_ENUM: titan_config_field_set(c, f, 0, 99); return true;
    case TITAN_FIELD_REAL:
    case TITAN_FIELD_HEAD_REALS: titan_config_field_set(c, f, 0, NAN); return true;
    default: return false;
    }
}

/* Every field of the list: absent, a required one is refused by name and an
 * optional one takes its default; out of range, it is refused by name (a
 * member with its object set). */
static void every_field_is_required_or_defaulted(void **state) {
    (void)state;
    titan_config dflt, c;
    titan_config_defaults(&dflt);
    char text[8192];
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (f->presence != TITAN_PRESENCE_MEMBER) {
            titan_status st = from_text(text, json_without(f, text, sizeof text), &c);
            if (titan_config_field_required(f, TITAN_FAMILY_TITAN)) {
                assert_int_equal(st, TITAN_E_DATA);
                assert_non_null(strstr(titan_last_error(), f->name));
            } else {
                assert_int_equal(st, TITAN_OK);
                assert_true(titan_config_field_equal(&c, &dflt, f));
            }
        }
        assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
        c.bigram_hash = c.value_embed = true;
        c.bigram_hash_buckets = 64, c.bigram_hash_dim = 8, c.value_embed_dim = 8;
        assert_int_equal(titan_config_validate(&c), TITAN_OK);
        if (!set_out_of_range(&c, f)) continue;
        assert_int_equal(titan_config_validate(&c), TITAN_E_DATA);
        if (!strstr(titan_last_error(), f->name))
            fail_msg("%s out of range: '%s'", f->name, titan_last_error());
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_written_nano_with_defaults),
        cmocka_unit_test(presets_round_trip_exactly),
        cmocka_unit_test(bad_fields_are_refused),
        cmocka_unit_test(every_field_is_required_or_defaulted),
        cmocka_unit_test(every_truncation_is_refused),
        cmocka_unit_test(flipped_bits_never_pass_silently_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
