/* test_checkpoint.c: formats/checkpoint.c: a checkpoint written and parsed
 * back keeps every counter, the tokenizer and every tensor bit for bit, with
 * and without the EMA/SWA sets and a tokenizer; the writer refuses metadata
 * the reader would refuse. (Hostile files: tests/e2e/ckpt_hostile.sh and
 * tests/fuzz/fuzz_checkpoint.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "formats/checkpoint.h"

/* Every set's tensors with distinct values (set k, tensor i, index j). */
typedef struct {
    int n;
    titan_tensor_spec spec[TITAN_MAX_TENSORS];
    float *data[TITAN_CKPT_SETS][TITAN_MAX_TENSORS];
} sets_fixture;

static void sets_make(sets_fixture *f, const titan_config *c) {
    f->n = titan_config_tensors(c, f->spec, TITAN_MAX_TENSORS);
    for (int k = 0; k < TITAN_CKPT_SETS; k++)
        for (int i = 0; i < f->n; i++) {
            size_t count = (size_t)(f->spec[i].rows * f->spec[i].cols);
            f->data[k][i] = malloc(count * sizeof(float));
            for (size_t j = 0; j < count; j++)
                f->data[k][i][j] = (float)(k * 1000 + i) + (float)j * 1e-3f;
        }
}

static void sets_free(sets_fixture *f) {
    for (int k = 0; k < TITAN_CKPT_SETS; k++)
        for (int i = 0; i < f->n; i++) free(f->data[k][i]);
}

/* Write m with the sets in `keep` into a fresh *file (NULL on failure). */
static titan_status write_ckpt(const titan_ckpt_meta *m, sets_fixture *f,
                               const bool keep[TITAN_CKPT_SETS], uint8_t **file,
                               size_t *len) {
    float *const *sets[TITAN_CKPT_SETS];
    for (int k = 0; k < TITAN_CKPT_SETS; k++) sets[k] = keep[k] ? f->data[k] : NULL;
    size_t bytes = titan_ckpt_write_scratch(m->tok_len);
    void *mem = malloc(bytes);
    titan_arena scratch;
    titan_arena_init(&scratch, mem, bytes);
    titan_status st = titan_ckpt_write(&scratch, m, sets, NULL, 0, len);
    *file = st == TITAN_OK ? malloc(*len) : NULL;
    if (st == TITAN_OK) st = titan_ckpt_write(&scratch, m, sets, *file, *len, len);
    free(mem);
    return st;
}

static void check_sets(const titan_ckpt *ck, sets_fixture *f,
                       const bool keep[TITAN_CKPT_SETS]) {
    assert_int_equal(ck->n_tensors, f->n);
    for (int k = 0; k < TITAN_CKPT_SETS; k++) {
        assert_int_equal(ck->has[k], keep[k]);
        for (int i = 0; i < f->n; i++) {
            const titan_st_tensor *t = titan_ckpt_tensor(ck, (titan_ckpt_set)k, i);
            bool held = keep[k] && titan_ckpt_set_holds((titan_ckpt_set)k, &f->spec[i]);
            assert_int_equal(t != NULL, held);
            if (!t) continue;
            size_t count = (size_t)(f->spec[i].rows * f->spec[i].cols);
            float *got = malloc(count * sizeof(float));
            assert_int_equal(titan_safetensors_to_f32(t, got, count), TITAN_OK);
            assert_memory_equal(got, f->data[k][i], count * sizeof(float));
            free(got);
        }
    }
}

static void round_trip_keeps_everything(void **state) {
    (void)state;
    titan_config c;
    assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
    sets_fixture f;
    sets_make(&f, &c);
    static const uint8_t tok[] = {0x00, 0x7f, 0xff, 0x10};
    titan_ckpt_meta m = {.config = c,
                         .tok = tok,
                         .tok_len = sizeof tok,
                         .export_set = TITAN_CKPT_SWA,
                         .step = INT64_MAX,
                         .swa_count = 3,
                         .rng = UINT64_MAX,
                         .data_pos = 12345,
                         .qat_on = 1};
    bool all[TITAN_CKPT_SETS] = {true, true, true, true, true};
    bool plain[TITAN_CKPT_SETS] = {true, false, false, true, true};
    for (int pass = 0; pass < 2; pass++) {
        uint8_t *file;
        size_t len;
        titan_ckpt ck;
        if (pass) m.export_set = TITAN_CKPT_RAW, m.tok = NULL, m.tok_len = 0;
        assert_int_equal(write_ckpt(&m, &f, pass ? plain : all, &file, &len), TITAN_OK);
        void *mem = malloc(3 * len + (16u << 20));
        titan_arena a;
        titan_arena_init(&a, mem, 3 * len + (16u << 20));
        assert_int_equal(titan_ckpt_parse(&a, file, len, &ck), TITAN_OK);
        assert_int_equal(ck.meta.export_set, m.export_set);
        assert_true(ck.meta.step == m.step && ck.meta.swa_count == m.swa_count);
        assert_true(ck.meta.rng == m.rng && ck.meta.data_pos == m.data_pos);
        assert_int_equal(ck.meta.qat_on, 1);
        assert_int_equal(ck.meta.tok_len, m.tok_len);
        if (m.tok_len) assert_memory_equal(ck.meta.tok, tok, sizeof tok);
        assert_int_equal(ck.meta.config.d_model, c.d_model);
        check_sets(&ck, &f, pass ? plain : all);
        free(file);
        free(mem);
    }
    sets_free(&f);
}

static void writer_refuses_bad_metadata(void **state) {
    (void)state;
    titan_config c;
    assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
    sets_fixture f;
    sets_make(&f, &c);
    titan_ckpt_meta good = {.config = c, .export_set = TITAN_CKPT_RAW, .step = 5};
    bool keep[TITAN_CKPT_SETS] = {true, false, false, true, true};
    titan_ckpt_meta bad[6] = {good, good, good, good, good, good};
    bad[0].swa_count = 6;
    bad[1].step = -1;
    bad[2].qat_on = 2;
    bad[3].export_set = TITAN_CKPT_EMA; /* not kept */
    bad[4].export_set = TITAN_CKPT_OPT_M;
    bad[5].tok_len = 3; /* no bytes */
    bool no_optv[TITAN_CKPT_SETS] = {true, false, false, true, false};
    uint8_t *file;
    size_t len;
    for (int i = 0; i < 6; i++)
        assert_int_equal(write_ckpt(&bad[i], &f, keep, &file, &len), TITAN_E_USAGE);
    assert_int_equal(write_ckpt(&good, &f, no_optv, &file, &len), TITAN_E_USAGE);
    assert_int_equal(write_ckpt(&good, &f, keep, &file, &len), TITAN_OK);
    free(file);
    sets_free(&f);
}

static void weights_names(void **state) {
    (void)state;
    titan_ckpt_set k;
    assert_int_equal(titan_ckpt_weights_from_name("ema", &k), TITAN_OK);
    assert_int_equal(k, TITAN_CKPT_EMA);
    assert_string_equal(titan_ckpt_prefix(k), "ema/");
    assert_int_equal(titan_ckpt_weights_from_name("opt.m", &k), TITAN_E_USAGE);
    assert_int_equal(titan_ckpt_weights_from_name(NULL, &k), TITAN_E_USAGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_keeps_everything),
        cmocka_unit_test(writer_refuses_bad_metadata),
        cmocka_unit_test(weights_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
