/* test_artifact.c: the artifact container. A tiny model is written with
 * every codec and read back bit-exactly from memory and from a file; the
 * plan is exact; every flipped bit and every truncation is refused; hostile
 * but correctly checksummed files (absurd sizes, wrong shapes, bad scales,
 * misplaced tensors, a codec yielding more than declared) are refused with
 * TITAN_E_DATA; int8/int6 rows dequantize to hand-worked values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/le.h"
#include "formats/artifact_format.h"

enum { ARENA = 64 << 20, FILE_CAP = 1 << 20 };
static uint8_t *arena_buf, *file_buf;
static const char *path = "/tmp/titan_test_artifact.tart";

/* V=257 (the byte tokenizer), D=4: small enough to flip every bit. */
static titan_config tiny(void) {
    titan_config c;
    titan_config_defaults(&c); /* zero is not every default */
    c.vocab_size = 257, c.d_model = 4, c.n_heads = 2, c.n_kv_heads = 1;
    c.head_dim = 2, c.v_head_dim = 2, c.rope_dim = 2, c.q_latent = 0;
    c.kv_latent = 2, c.mlp_hidden = 4, c.conv_kernel = 2, c.n_unique_blocks = 1;
    c.n_recurrences = 2, c.max_seq_len = 16, c.rope_base = 10000;
    c.yarn_factor = 1, c.yarn_orig_ctx = 16, c.yarn_beta_fast = 32;
    c.yarn_beta_slow = 1, c.mtp_heads = 2, c.mtp_weights[0] = 1;
    c.mtp_weights[1] = 0.5, c.norm_eps = 1e-5, c.bos_id = TITAN_TOK_BOS;
    return c;
}

static titan_tensor tensors[TITAN_MAX_TENSORS];
static float values[8192];
static float scales[1024];
static uint8_t qbytes[8192];
static int n_tensors;
static uint8_t tok[64];
static size_t tok_len;

/* f32 tensors with distinct values; with `quant`, tok_emb is int8, wkv_a
 * int6 and w_up int6b (one scale per row), so every layout goes through the
 * file. */
static void make_tensors(int quant) {
    titan_config c = tiny();
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    n_tensors = titan_config_tensors(&c, specs, TITAN_MAX_TENSORS);
    size_t at = 0, q = 0, sc = 0;
    for (int i = 0; i < n_tensors; i++) {
        titan_tensor *t = &tensors[i];
        *t = (titan_tensor){.dtype = TITAN_DT_F32,
                            .ndim = specs[i].ndim,
                            .rows = specs[i].rows,
                            .cols = specs[i].cols};
        memcpy(t->name, specs[i].name, sizeof t->name);
        size_t n = (size_t)(t->rows * t->cols);
        int int8 = quant && !strcmp(t->name, "tok_emb");
        int int6 = quant && !strcmp(t->name, "blocks.0.wkv_a");
        int int6b = quant && !strcmp(t->name, "blocks.0.w_up");
        if (int8 || int6 || int6b) {
            titan_tensor_layout_t l;
            t->dtype = int8 ? TITAN_DT_INT8 : int6 ? TITAN_DT_INT6 : TITAN_DT_INT6_BYTE;
            assert_int_equal(titan_tensor_layout(t->dtype, t->rows, t->cols, 0, &l),
                             TITAN_OK);
            for (uint64_t k = 0; k < l.value_bytes; k++)
                qbytes[q + k] =
                    int6b ? (uint8_t)((k * 37 + 11) % 64 - 32) : (uint8_t)(k * 37 + 11);
            for (int64_t r = 0; r < t->rows; r++) scales[sc + r] = 0.5f + (float)r;
            t->data = qbytes + q;
            t->scales = scales + sc;
            q += l.value_bytes;
            sc += (size_t)t->rows;
            continue;
        }
        for (size_t k = 0; k < n; k++) values[at + k] = (float)(at + k) * 0.25f - 7;
        t->data = values + at;
        at += n;
    }
    assert_true(at <= 8192 && q <= 8192 && sc <= 1024);
}

static size_t write_artifact(titan_codec codec, int quant) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, ARENA);
    titan_config c = tiny();
    make_tensors(quant);
    assert_int_equal(titan_tokenizer_serialize(NULL, NULL, 0, tok, sizeof tok, &tok_len),
                     TITAN_OK);
    uint64_t bytes;
    titan_write_options o = {.codec = codec, .grouped_only = true}; /* auto: grouped */
    assert_int_equal(titan_artifact_write_with(&a, &c, tok, tok_len, tensors, n_tensors,
                                               &o, path, &bytes),
                     TITAN_OK);
    FILE *f = fopen(path, "rb");
    size_t len = fread(file_buf, 1, FILE_CAP, f);
    fclose(f);
    assert_int_equal(len, bytes);
    return len;
}

static titan_status parse(const uint8_t *buf, size_t len, titan_artifact *art) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, ARENA);
    return titan_artifact_parse(&a, buf, len, art);
}

static void check_equal(const titan_artifact *art) {
    titan_config c = tiny();
    assert_memory_equal(&art->config, &c, sizeof c);
    assert_int_equal(art->n_tensors, n_tensors);
    assert_int_equal(titan_tokenizer_size(art->tokenizer), 257);
    for (int i = 0; i < n_tensors; i++) {
        const titan_tensor *t = &art->tensors[i], *w = &tensors[i];
        titan_tensor_layout_t l;
        assert_int_equal(titan_tensor_layout(w->dtype, w->rows, w->cols, 0, &l),
                         TITAN_OK);
        assert_string_equal(t->name, w->name);
        assert_int_equal(t->dtype, w->dtype);
        assert_int_equal((uintptr_t)t->data % TITAN_ALIGN, 0);
        assert_memory_equal(t->data, w->data, l.value_bytes);
        if (l.groups) assert_memory_equal(t->scales, w->scales, l.scale_bytes);
        assert_ptr_equal(titan_artifact_find(art, w->name), t);
    }
}

static void round_trip_every_codec(void **state) {
    (void)state;
    for (int quant = 0; quant < 2; quant++)
        for (int c = TITAN_CODEC_NONE; c <= TITAN_CODEC_AUTO; c++) {
            size_t len = write_artifact(c, quant);
            titan_artifact art;
            assert_int_equal(parse(file_buf, len, &art), TITAN_OK);
            check_equal(&art);
            assert_int_equal(art.codec, c);
            assert_int_equal(art.file_bytes, len);
            titan_arena a;
            titan_arena_init(&a, arena_buf, ARENA);
            assert_int_equal(titan_artifact_load(&a, path, &art), TITAN_OK);
            check_equal(&art);
        }
}

/* Load succeeds with exactly the planned bytes, and they are all used. */
static void plan_is_exact(void **state) {
    (void)state;
    for (int c = TITAN_CODEC_NONE; c <= TITAN_CODEC_AUTO; c++) {
        write_artifact(c, 1);
        titan_arena scratch, a;
        size_t plan;
        titan_arena_init(&scratch, arena_buf + ARENA / 2, ARENA / 2);
        assert_int_equal(titan_artifact_plan(&scratch, path, &plan), TITAN_OK);
        assert_int_equal(scratch.used, 0);
        titan_artifact art;
        titan_arena_init(&a, arena_buf, plan);
        assert_int_equal(titan_artifact_load(&a, path, &art), TITAN_OK);
        check_equal(&art);
        assert_int_equal(a.high, plan);
        titan_arena_init(&a, arena_buf, plan - 1);
        assert_int_equal(titan_artifact_load(&a, path, &art), TITAN_E_NOMEM);
    }
}

static void every_flipped_bit_and_truncation_is_refused(void **state) {
    (void)state;
    titan_artifact art;
    for (int c = TITAN_CODEC_NONE; c <= TITAN_CODEC_AUTO; c++) {
        size_t len = write_artifact(c, 1);
        for (size_t bit = 0; bit < len * 8; bit++) {
            file_buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_equal(parse(file_buf, len, &art), TITAN_E_DATA);
            file_buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t n = 0; n < len; n++)
            assert_int_equal(parse(file_buf, n, &art), TITAN_E_DATA);
        /* One byte more at the end is refused too. */
        file_buf[len] = 0;
        assert_int_equal(parse(file_buf, len + 1, &art), TITAN_E_DATA);
    }
}

/* Recompute every CRC of a codec-none artifact after an edit, as a hostile
 * writer would, so the checks behind the checksums are what is tested. */
static void reseal(uint8_t *f) {
    for (int k = 0; k < ART_N_SECTIONS; k++) {
        uint8_t *e = f + 32 + k * ART_SECTION_ENTRY;
        if (le_rd64(e + 8) > FILE_CAP || le_rd64(e + 16) > FILE_CAP - le_rd64(e + 8))
            continue; /* an edit moved it out of the file */
        uint32_t crc = titan_crc32(0, f + le_rd64(e + 8), le_rd64(e + 16));
        if (le_rd32(e + 4) == TITAN_CODEC_NONE) le_wr32(e + 36, crc);
        le_wr32(e + 32, crc);
    }
    le_wr32(f + ART_HEAD_CRC_AT, titan_crc32(0, f, ART_HEAD_CRC_AT));
}

static uint8_t *section(uint8_t *f, int k) {
    return f + le_rd64(f + 32 + k * ART_SECTION_ENTRY + 8);
}

static uint8_t *entry(uint8_t *f, int i) {
    return section(f, ART_DIRECTORY) + ART_DIR_HEADER + (size_t)i * ART_DIR_ENTRY;
}

typedef void (*edit_fn)(uint8_t *f);
static void huge_data_raw(uint8_t *f) {
    le_wr64(f + 32 + 3 * 40 + 24, (uint64_t)1 << 62);
}
static void huge_tok_raw(uint8_t *f) { le_wr64(f + 32 + 1 * 40 + 24, 1u << 30); }
static void huge_offset(uint8_t *f) { le_wr64(f + 32 + 2 * 40 + 8, UINT64_MAX - 8); }
static void wrong_magic(uint8_t *f) { f[0] = 'X'; }
static void wrong_version(uint8_t *f) { le_wr32(f + 8, 3); }
/* Version 2 needs an extension after the record. */
static void version_2_without_extension(uint8_t *f) { le_wr32(f + 8, 2); }
static void bad_codec(uint8_t *f) { le_wr32(f + 32 + 4, 9); }
static void many_tensors(uint8_t *f) { le_wr32(section(f, ART_DIRECTORY), 1u << 30); }
static void wrong_rows(uint8_t *f) { le_wr64(entry(f, 0) + 56, 258); }
static void wrong_name(uint8_t *f) { entry(f, 1)[0] = 'x'; }
static void misaligned(uint8_t *f) {
    le_wr64(entry(f, 1) + 80, le_rd64(entry(f, 1) + 80) + 4);
}
static void bad_dtype(uint8_t *f) { le_wr32(entry(f, 2) + 48, 7); }
static void bad_group(uint8_t *f) { le_wr32(entry(f, 0) + 72, 1000); }
static void zero_scale(uint8_t *f) {
    /* tok_emb is int8: its first scale sits at scale_offset in the data. */
    titan_tensor_layout_t l;
    assert_int_equal(titan_tensor_layout(TITAN_DT_INT8, 257, 4, 0, &l), TITAN_OK);
    memset(section(f, ART_DATA) + l.scale_offset, 0, 4);
}
static void nan_scale(uint8_t *f) {
    titan_tensor_layout_t l;
    assert_int_equal(titan_tensor_layout(TITAN_DT_INT8, 257, 4, 0, &l), TITAN_OK);
    memset(section(f, ART_DATA) + l.scale_offset + 8, 0xff, 4);
}
static void int6b_out_of_range(uint8_t *f) {
    for (int i = 0;; i++)
        if (!strcmp((const char *)entry(f, i), "blocks.0.w_up")) {
            section(f, ART_DATA)[le_rd64(entry(f, i) + 80) + 5] = 32;
            return;
        }
}
static void bad_config(uint8_t *f) {
    le_wr32(section(f, ART_CONFIG) + 8, 3);
} /* H=3, G=1 ok; */
static void odd_heads(uint8_t *f) {
    le_wr32(section(f, ART_CONFIG) + 12, 2);
    le_wr32(section(f, ART_CONFIG) + 8, 3);
}
static void bad_bos(uint8_t *f) { le_wr32(section(f, ART_CONFIG) + 176, 5); }
static void small_vocab(uint8_t *f) { le_wr32(section(f, ART_CONFIG), 200); }

static void hostile_but_sealed_files_are_refused(void **state) {
    (void)state;
    static const edit_fn edits[] = {
        huge_data_raw, huge_tok_raw,
        huge_offset,   wrong_magic,
        wrong_version, version_2_without_extension,
        bad_codec,     many_tensors,
        wrong_rows,    wrong_name,
        misaligned,    bad_dtype,
        bad_group,     zero_scale,
        nan_scale,     int6b_out_of_range,
        bad_config,    odd_heads,
        bad_bos,       small_vocab,
    };
    titan_artifact art;
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        size_t len = write_artifact(TITAN_CODEC_NONE, 1);
        edits[i](file_buf);
        reseal(file_buf);
        if (parse(file_buf, len, &art) != TITAN_E_DATA)
            fail_msg("hostile edit %zu accepted", i);
        assert_true(strlen(titan_last_error()) > 10);
    }
    size_t len = write_artifact(TITAN_CODEC_NONE, 1); /* byte 5 of 4 columns */
    int6b_out_of_range(file_buf);
    reseal(file_buf);
    assert_int_equal(parse(file_buf, len, &art), TITAN_E_DATA);
    assert_non_null(strstr(titan_last_error(), "blocks.0.w_up: value [1, 1] is 32"));
}

/* A compressed section that decodes to more than its declared raw size. */
static void codec_output_larger_than_declared(void **state) {
    (void)state;
    titan_artifact art;
    for (int c = TITAN_CODEC_LZMA; c <= TITAN_CODEC_BROTLI; c++) {
        size_t len = write_artifact(c, 0);
        uint8_t *e = file_buf + 32 + ART_TOKENIZER * ART_SECTION_ENTRY;
        le_wr64(e + 24, le_rd64(e + 24) - 1);
        le_wr32(file_buf + ART_HEAD_CRC_AT, titan_crc32(0, file_buf, ART_HEAD_CRC_AT));
        assert_int_equal(parse(file_buf, len, &art), TITAN_E_DATA);
        assert_non_null(strstr(titan_last_error(), "declared"));
    }
}

/* Codec auto's group table (formats/artifact_format.h), edited and resealed
 * (the data section's stored CRC and the head CRC made right): each bad
 * field is refused with a message naming it. */
static uint8_t *group_table(uint8_t *f) { return section(f, ART_DATA); }
static uint8_t *group_entry(uint8_t *f, int g) {
    return group_table(f) + ART_GROUP_TABLE_HEAD + g * ART_GROUP_ENTRY;
}
static void reseal_data(uint8_t *f) {
    uint8_t *e = f + 32 + ART_DATA * ART_SECTION_ENTRY;
    le_wr32(e + 32, titan_crc32(0, f + le_rd64(e + 8), le_rd64(e + 16)));
    le_wr32(f + ART_HEAD_CRC_AT, titan_crc32(0, f, ART_HEAD_CRC_AT));
}
static void no_groups(uint8_t *f) { le_wr32(group_table(f), 0); }
static void many_groups(uint8_t *f) { le_wr32(group_table(f), 17); }
static void wrong_tensor_count(uint8_t *f) { le_wr32(group_table(f) + 4, 3); }
static void bad_kind(uint8_t *f) { le_wr32(group_entry(f, 0), 6); }
static void bad_group_codec(uint8_t *f) { le_wr32(group_entry(f, 1) + 4, 4); }
static void zero_width(uint8_t *f) { le_wr32(group_entry(f, 0) + 8, 0); }
static void wide_shuffle(uint8_t *f) { le_wr32(group_entry(f, 0) + 8, 9); }
static void huge_group_raw(uint8_t *f) { le_wr64(group_entry(f, 0) + 16, UINT64_MAX); }
static void huge_group_stored(uint8_t *f) {
    le_wr64(group_entry(f, 0) + 24, UINT64_MAX - 3);
}
static void stored_over_raw(uint8_t *f) {
    le_wr64(group_entry(f, 0) + 24, le_rd64(group_entry(f, 0) + 16) + 1);
}
static void group_raw_crc(uint8_t *f) { group_entry(f, 0)[12] ^= 1; }
static void member_out_of_range(uint8_t *f) {
    group_table(f)[ART_GROUP_TABLE_HEAD + le_rd32(group_table(f)) * ART_GROUP_ENTRY] =
        200;
}
static void float_with_scales(uint8_t *f) { /* tensor 1 (attn_norm) is f32 */
    group_table(f)[ART_GROUP_TABLE_HEAD + le_rd32(group_table(f)) * ART_GROUP_ENTRY + 3] =
        0;
}
static void data_raw_crc(uint8_t *f) {
    le_wr32(f + 32 + ART_DATA * ART_SECTION_ENTRY + 36, 1);
}

static void hostile_group_tables_are_refused(void **state) {
    (void)state;
    static const struct {
        edit_fn edit;
        const char *message;
    } cases[] = {
        {no_groups, "0 groups (1 to 16)"},
        {many_groups, "17 groups (1 to 16)"},
        {wrong_tensor_count, "3 tensors (the directory has"},
        {bad_kind, "data group 0: unknown kind 6"},
        {bad_group_codec, "data group 1 (attention): unknown codec 4"},
        {zero_width, "data group 0 (embeddings): shuffle width 0 (1 to 8)"},
        {wide_shuffle, "shuffle width 9 (1 to 8)"},
        {huge_group_raw, "raw bytes, its tensors hold 1028"},
        {huge_group_stored, "absurd sizes"},
        {stored_over_raw, "absurd sizes"},
        {group_raw_crc, "data group 0 (embeddings) decodes to wrong bytes"},
        {member_out_of_range, "tensor tok_emb in groups 200"},
        {float_with_scales, "tensor blocks.0.attn_norm in groups"},
        {data_raw_crc, "grouped data section with a raw CRC"},
    };
    titan_artifact art;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = write_artifact(TITAN_CODEC_AUTO, 1);
        cases[i].edit(file_buf);
        reseal_data(file_buf);
        if (parse(file_buf, len, &art) != TITAN_E_DATA)
            fail_msg("group table edit %zu accepted", i);
        if (!strstr(titan_last_error(), cases[i].message))
            fail_msg("edit %zu: '%s' does not say '%s'", i, titan_last_error(),
                     cases[i].message);
    }
}

/* INT6 by hand: q = 1, -2, 31, -32 are u = 1, 62, 31, 32 in 6 bits; the word
 * 1 | 62 << 6 | 31 << 12 | 32 << 18 = 0x81FF81 is stored as 81 FF 81. The
 * fifth value, 5, opens the next (zero-padded) word: 05 00 00. Group size 4:
 * scales 0.5 for the first four values, 2 for the fifth. */
static void int6_and_int8_rows_dequantize(void **state) {
    (void)state;
    uint32_t word = 1u | 62u << 6 | 31u << 12 | 32u << 18;
    assert_int_equal(word, 0x81FF81);
    uint8_t packed[6] = {0x81, 0xFF, 0x81, 5, 0, 0};
    float sc[2] = {0.5f, 2.0f};
    titan_tensor t = {.dtype = TITAN_DT_INT6,
                      .ndim = 2,
                      .rows = 1,
                      .cols = 5,
                      .group_size = 4,
                      .data = packed,
                      .scales = sc};
    float out[5];
    assert_int_equal(titan_tensor_row_f32(&t, 0, out), TITAN_OK);
    const float want[5] = {0.5f, -1.0f, 15.5f, -16.0f, 10.0f};
    assert_memory_equal(out, want, sizeof want);
    int8_t q[3] = {-128, 0, 127};
    float s8 = 0.25f;
    titan_tensor t8 = {.dtype = TITAN_DT_INT8,
                       .ndim = 2,
                       .rows = 1,
                       .cols = 3,
                       .data = q,
                       .scales = &s8};
    assert_int_equal(titan_tensor_row_f32(&t8, 0, out), TITAN_OK);
    assert_true(out[0] == -32.0f && out[1] == 0.0f && out[2] == 31.75f);
    titan_tensor_layout_t l;
    assert_int_equal(titan_tensor_layout(TITAN_DT_INT6, 3, 5, 0, &l), TITAN_OK);
    assert_int_equal(l.row_bytes, 6);
    assert_int_equal(l.scale_offset, 64);
    assert_int_equal(l.total_bytes, 64 + 12);
    assert_int_equal(titan_tensor_layout(TITAN_DT_F32, 1, (int64_t)1 << 40, 0, &l),
                     TITAN_E_DATA);
}

/* The writer checks what the reader checks: an int6b value of 40 is caller
 * misuse, and no file is written; measuring (path NULL) gives the size. */
static void writer_refuses_int6b_out_of_range(void **state) {
    (void)state;
    size_t len = write_artifact(TITAN_CODEC_NONE, 1);
    titan_arena a;
    titan_arena_init(&a, arena_buf, ARENA);
    titan_config c = tiny();
    uint64_t bytes = 0;
    assert_int_equal(titan_artifact_write(&a, &c, tok, tok_len, tensors, n_tensors,
                                          TITAN_CODEC_NONE, NULL, &bytes),
                     TITAN_OK);
    assert_int_equal(bytes, len);
    remove(path);
    for (int i = 0; i < n_tensors; i++)
        if (tensors[i].dtype == TITAN_DT_INT6_BYTE) ((uint8_t *)tensors[i].data)[3] = 40;
    assert_int_equal(titan_artifact_write(&a, &c, tok, tok_len, tensors, n_tensors,
                                          TITAN_CODEC_NONE, path, &bytes),
                     TITAN_E_USAGE);
    assert_non_null(strstr(titan_last_error(), "blocks.0.w_up"));
    assert_null(fopen(path, "rb"));
}

static void load_errors_name_the_problem(void **state) {
    (void)state;
    titan_arena a;
    titan_artifact art;
    titan_arena_init(&a, arena_buf, ARENA);
    assert_int_equal(titan_artifact_load(&a, "/nonexistent/x.tart", &art), TITAN_E_IO);
    size_t len = write_artifact(TITAN_CODEC_LZMA, 0);
    FILE *f = fopen(path, "wb");
    fwrite(file_buf, 1, len / 2, f);
    fclose(f);
    assert_int_equal(titan_artifact_load(&a, path, &art), TITAN_E_DATA);
    assert_non_null(strstr(titan_last_error(), "truncated"));
    remove(path);
}

static int setup(void **state) {
    (void)state;
    arena_buf = aligned_alloc(4096, ARENA);
    file_buf = malloc(FILE_CAP);
    return !arena_buf || !file_buf;
}

static int teardown(void **state) {
    (void)state;
    free(arena_buf);
    free(file_buf);
    remove(path);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_every_codec),
        cmocka_unit_test(plan_is_exact),
        cmocka_unit_test(every_flipped_bit_and_truncation_is_refused),
        cmocka_unit_test(hostile_but_sealed_files_are_refused),
        cmocka_unit_test(codec_output_larger_than_declared),
        cmocka_unit_test(hostile_group_tables_are_refused),
        cmocka_unit_test(int6_and_int8_rows_dequantize),
        cmocka_unit_test(writer_refuses_int6b_out_of_range),
        cmocka_unit_test(load_errors_name_the_problem),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
