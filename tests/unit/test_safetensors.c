/* test_safetensors.c: the writer's files parse back exactly; every hostile
 * header (sizes, offsets, shapes, dtypes, keys), every truncation and every
 * flipped bit of a small file is refused with a clear status, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "quant/half.h"
#include "titan.h"

static _Alignas(64) uint8_t arena_buf[1 << 16];
static uint8_t file_buf[1 << 12];

static titan_status parse(const uint8_t *file, size_t len, titan_safetensors *st) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    return titan_safetensors_parse(&a, file, len, st);
}

/* A file with this header text (length prefix = its length) and data_len
 * data bytes 0, 1, 2, ... */
static size_t make_file(const char *header, size_t data_len) {
    size_t n = strlen(header);
    assert_true(8 + n + data_len <= sizeof file_buf);
    for (int b = 0; b < 8; b++) file_buf[b] = (uint8_t)((uint64_t)n >> 8 * b);
    memcpy(file_buf + 8, header, n);
    for (size_t i = 0; i < data_len; i++) file_buf[8 + n + i] = (uint8_t)i;
    return 8 + n + data_len;
}

static const float vals[6] = {1.0f, -2.5f, 0.1f, 65504.0f, 1e-7f, -0.0f};

/* f32 [2,3], f16 [3], bf16 [1,2] (offsets 0, 24, 30; 34 bytes of data). */
static size_t write_sample(uint8_t *buf, size_t cap) {
    const titan_st_source src[] = {
        {"a.weight", TITAN_DT_F32, 2, {2, 3}, vals},
        {"b", TITAN_DT_F16, 1, {3}, vals + 3},
        {"c", TITAN_DT_BF16, 2, {1, 2}, vals + 1},
    };
    const titan_st_meta meta[] = {{"format", "pt"}};
    size_t len, measured;
    assert_int_equal(titan_safetensors_write(src, 3, meta, 1, NULL, 0, &measured),
                     TITAN_OK);
    assert_int_equal(titan_safetensors_write(src, 3, meta, 1, buf, cap, &len), TITAN_OK);
    assert_int_equal(len, measured);
    return len;
}

static void write_then_read(void **state) {
    (void)state;
    size_t len = write_sample(file_buf, sizeof file_buf);
    uint64_t n = 0;
    for (int b = 7; b >= 0; b--) n = n << 8 | file_buf[b];
    assert_int_equal((8 + n) % 8, 0); /* data 8-byte aligned */
    assert_int_equal(len, 8 + n + 24 + 6 + 4);
    size_t end = 8 + n; /* the JSON ends at '}', then spaces pad it */
    while (file_buf[end - 1] == ' ') end--;
    assert_true(8 + n - end < 8);
    assert_int_equal(file_buf[end - 1], '}');
    titan_safetensors st;
    assert_int_equal(parse(file_buf, len, &st), TITAN_OK);
    assert_int_equal(st.n_tensors, 3);
    assert_int_equal(st.n_meta, 1);
    assert_string_equal(st.meta[0].value, "pt");
    assert_string_equal(st.tensors[0].name, "a.weight"); /* header order */
    assert_ptr_equal(st.tensors[0].data, file_buf + 8 + n);
    assert_ptr_equal(st.tensors[1].data, file_buf + 8 + n + 24);
    assert_ptr_equal(st.tensors[2].data, file_buf + 8 + n + 30);
    const titan_st_tensor *a = titan_safetensors_find(&st, "a.weight");
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->shape[1], 3);
    assert_int_equal(a->n_elems, 6);
    float out[6];
    assert_int_equal(titan_safetensors_to_f32(a, out, 6), TITAN_OK);
    assert_memory_equal(out, vals, sizeof vals);
    assert_int_equal(titan_safetensors_to_f32(a, out, 5), TITAN_E_USAGE);
    /* 65504, 1e-7 (a half subnormal), -0 */
    assert_int_equal(titan_safetensors_to_f32(titan_safetensors_find(&st, "b"), out, 6),
                     TITAN_OK);
    assert_true(out[0] == 65504.0f);
    assert_true(out[1] == titan_f16_to_f32(titan_f32_to_f16(1e-7f)));
    assert_true(out[1] > 0 && out[1] != 1e-7f);
    /* bf16 of -2.5 and 0.1: bytes cd 3d for 0.1 (0x3dcd) */
    const titan_st_tensor *c = titan_safetensors_find(&st, "c");
    assert_int_equal(c->data[2], 0xcd);
    assert_int_equal(c->data[3], 0x3d);
    assert_int_equal(titan_safetensors_to_f32(c, out, 6), TITAN_OK);
    assert_true(out[0] == -2.5f);
    assert_null(titan_safetensors_find(&st, "a"));
}

static void writer_refuses_misuse(void **state) {
    (void)state;
    size_t len;
    titan_st_source src[2] = {{"x", TITAN_DT_F32, 1, {1}, vals},
                              {"x", TITAN_DT_F32, 1, {1}, vals}};
    assert_int_equal(titan_safetensors_write(src, 2, NULL, 0, NULL, 0, &len),
                     TITAN_E_USAGE);
    src[1].name = "__metadata__";
    assert_int_equal(titan_safetensors_write(src, 2, NULL, 0, NULL, 0, &len),
                     TITAN_E_USAGE);
    src[1].name = "y";
    src[1].dtype = TITAN_DT_INT8;
    assert_int_equal(titan_safetensors_write(src, 2, NULL, 0, NULL, 0, &len),
                     TITAN_E_USAGE);
    src[1].dtype = TITAN_DT_F16;
    src[1].shape[0] = -1;
    assert_int_equal(titan_safetensors_write(src, 2, NULL, 0, NULL, 0, &len),
                     TITAN_E_USAGE);
    src[1].ndim = 3;
    src[1].shape[0] = src[1].shape[1] = src[1].shape[2] = INT64_C(1) << 40;
    assert_int_equal(titan_safetensors_write(src, 2, NULL, 0, NULL, 0, &len),
                     TITAN_E_USAGE);
    src[1].ndim = 0;
    assert_int_equal(titan_safetensors_write(src, 2, NULL, 0, NULL, 0, &len), TITAN_OK);
    const titan_st_meta twice[] = {{"k", "a"}, {"k", "b"}};
    assert_int_equal(titan_safetensors_write(src, 2, twice, 2, NULL, 0, &len),
                     TITAN_E_USAGE);
    uint8_t small[16];
    assert_int_equal(titan_safetensors_write(src, 2, NULL, 0, small, sizeof small, &len),
                     TITAN_E_USAGE);
    assert_int_equal(titan_safetensors_write(NULL, 0, NULL, 0, small, sizeof small, &len),
                     TITAN_OK); /* "{}" padded: an empty file is valid */
    titan_safetensors st;
    assert_int_equal(parse(small, len, &st), TITAN_OK);
    assert_int_equal(st.n_tensors, 0);
}

#define T(name, dt, shape, b, e)                                                         \
    "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":[" #b       \
    "," #e "]}"

static const struct {
    const char *header;
    size_t data_len;
    titan_status status;
    const char *message;
} hostile[] = {
    {"{" T("a", "F32", "[2]", 0, 8) "}", 8, TITAN_OK, ""},
    {"{" T("a", "F32", "[2]", 0, 8) "}  ", 8, TITAN_OK, ""},
    {"{" T("a", "F32", "[2]", 0, 8) "}", 12, TITAN_E_DATA, "cover 8 of 12"},
    {"{" T("a", "F32", "[2]", 0, 4) "}", 4, TITAN_E_DATA, "4 data bytes for 2"},
    {"{" T("a", "F32", "[2]", 4, 12) "}", 12, TITAN_E_DATA, "hole"},
    {"{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 4, 12) "}", 12, TITAN_E_DATA,
     "overlap"},
    {"{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 12, 20) "}", 20,
     TITAN_E_DATA, "hole"},
    {"{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 0, 8) "}", 8, TITAN_E_DATA,
     "overlap"},
    {"{" T("a", "F32", "[2]", 0, 8) "}", 4, TITAN_E_DATA, "outside"},
    {"{" T("a", "F32", "[2]", 8, 0) "}", 8, TITAN_E_DATA, "outside"},
    {"{" T("a", "F32", "[2]", 18446744073709551608, 18446744073709551615) "}", 8,
     TITAN_E_DATA, "non-negative integers"},
    {"{" T("a", "F32", "[2]", 9223372036854775800, 9223372036854775807) "}", 8,
     TITAN_E_DATA, "outside"},
    {"{" T("a", "F32", "[-2]", 0, 8) "}", 8, TITAN_E_DATA, "dimension 0"},
    {"{" T("a", "F32", "[2.0]", 0, 8) "}", 8, TITAN_E_DATA, "dimension 0"},
    {"{" T("a", "F32", "[\"2\"]", 0, 8) "}", 8, TITAN_E_DATA, "dimension 0"},
    {"{" T("a", "F32", "2", 0, 8) "}", 8, TITAN_E_DATA, "shape must be an array"},
    {"{" T("a", "F32", "[4294967296,4294967296,4294967296]", 0, 8) "}", 8, TITAN_E_DATA,
     "shape product overflows"},
    {"{" T("a", "F32", "[4611686018427387904]", 0, 8) "}", 8, TITAN_E_DATA,
     "byte size overflows"},
    {"{" T("a", "F32", "[1,1,1,1,1,1,1,1,2]", 0, 8) "}", 8, TITAN_E_UNSUPPORTED,
     "9 dimensions"},
    {"{" T("a", "F31", "[2]", 0, 8) "}", 8, TITAN_E_DATA, "unknown dtype"},
    {"{" T("a", "f32", "[2]", 0, 8) "}", 8, TITAN_E_DATA, "unknown dtype"},
    {"{" T("a", "I64", "[1]", 0, 8) "}", 8, TITAN_E_UNSUPPORTED, "I64"},
    {"{\"a\":{\"dtype\":5,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, TITAN_E_DATA,
     "dtype must be a string"},
    {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, TITAN_E_DATA,
     "dtype must be a string"},
    {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, TITAN_E_DATA,
     "shape must be an array"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, TITAN_E_DATA,
     "data_offsets must be"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, TITAN_E_DATA,
     "data_offsets must be"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8,
     TITAN_E_DATA, "data_offsets must be"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,7]}}", 8, TITAN_E_DATA,
     "data_offsets must be"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",\"8\"]}}", 8,
     TITAN_E_DATA, "data_offsets must be"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8,
     TITAN_E_DATA, "unknown key \"x\""},
    {"{" T("a", "F32", "[2]", 0, 8) "," T("a", "F32", "[0]", 8, 8) "}", 8, TITAN_E_DATA,
     "duplicate key \"a\""},
    {"{" T("a\\u0000b", "F32", "[2]", 0, 8) "}", 8, TITAN_E_DATA, "NUL"},
    {"{\"a\":[]}", 0, TITAN_E_DATA, "must be an object"},
    {"{\"__metadata__\":{\"k\":1}}", 0, TITAN_E_DATA, "must be a string"},
    {"{\"__metadata__\":[]}", 0, TITAN_E_DATA, "must be an object"},
    {"{\"__metadata__\":{\"k\":\"v\\u0000\"}}", 0, TITAN_E_DATA, "NUL"},
    {"[]", 0, TITAN_E_DATA, "start with '{'"},
    {" {}", 0, TITAN_E_DATA, "start with '{'"},
    {"{", 0, TITAN_E_DATA, "start with '{'"},
    {"{\"a\":", 0, TITAN_E_DATA, "safetensors header: json: line 1 column 6"},
    {"{} x", 0, TITAN_E_DATA, "unexpected text"},
    {"{\"a\":{\"dtype\":[[[[1]]]]}}", 0, TITAN_E_DATA, "nesting too deep"},
    {"{\"a\":{\"dtype\":\"\xff\"}}", 0, TITAN_E_DATA, "invalid UTF-8"},
};

static void hostile_headers_are_refused(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        size_t len = make_file(hostile[i].header, hostile[i].data_len);
        titan_safetensors st;
        titan_status got = parse(file_buf, len, &st);
        if (got != hostile[i].status)
            fail_msg("case %zu %s: status %d (%s)", i, hostile[i].header, got,
                     titan_last_error());
        if (got != TITAN_OK && !strstr(titan_last_error(), hostile[i].message))
            fail_msg("case %zu: '%s' lacks '%s'", i, titan_last_error(),
                     hostile[i].message);
    }
}

static void absurd_header_lengths(void **state) {
    (void)state;
    titan_safetensors st;
    const uint64_t lengths[] = {UINT64_C(1) << 63, UINT64_MAX, 100000001,
                                UINT64_C(1) << 32, 3};
    const char *messages[] = {"over the", "over the", "over the", "over the",
                              "past the end"};
    for (size_t i = 0; i < 5; i++) {
        size_t len = make_file("{}", 0);
        for (int b = 0; b < 8; b++) file_buf[b] = (uint8_t)(lengths[i] >> 8 * b);
        assert_int_equal(parse(file_buf, len, &st), TITAN_E_DATA);
        assert_non_null(strstr(titan_last_error(), messages[i]));
    }
    assert_int_equal(parse(file_buf, 7, &st), TITAN_E_DATA);
    assert_int_equal(parse(file_buf, 0, &st), TITAN_E_DATA);
    make_file("", 0);
    assert_int_equal(parse(file_buf, 8, &st), TITAN_E_DATA);
}

/* I8 (quantized integers from tools/golf/import_golf.py) reads as its values. */
static void int8_reads_exactly(void **state) {
    (void)state;
    size_t len = make_file("{" T("q", "I8", "[2,3]", 0, 6) "}", 6);
    file_buf[len - 5] = 0x80, file_buf[len - 1] = 0xff; /* -128, -1 */
    titan_safetensors st;
    assert_int_equal(parse(file_buf, len, &st), TITAN_OK);
    assert_int_equal(st.tensors[0].dtype, TITAN_DT_INT8);
    float f[6];
    assert_int_equal(titan_safetensors_to_f32(&st.tensors[0], f, 6), TITAN_OK);
    const float want[6] = {0, -128, 2, 3, 4, -1};
    for (int i = 0; i < 6; i++) assert_true(f[i] == want[i]);
}

static void every_truncation_is_refused(void **state) {
    (void)state;
    uint8_t buf[512];
    size_t len = write_sample(buf, sizeof buf);
    titan_safetensors st;
    for (size_t n = 0; n < len; n++)
        if (parse(buf, n, &st) != TITAN_E_DATA)
            fail_msg("prefix of %zu/%zu bytes accepted", n, len);
    assert_int_equal(parse(buf, len, &st), TITAN_OK);
}

static void every_flipped_bit_is_safe(void **state) {
    (void)state;
    uint8_t buf[512];
    size_t len = write_sample(buf, sizeof buf);
    uint64_t n = 0;
    for (int b = 7; b >= 0; b--) n = n << 8 | buf[b];
    size_t refused = 0;
    for (size_t bit = 0; bit < len * 8; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        titan_safetensors st;
        titan_status got = parse(buf, len, &st);
        assert_true(got == TITAN_OK || got == TITAN_E_DATA || got == TITAN_E_UNSUPPORTED);
        if (bit < 64) assert_int_equal(got, TITAN_E_DATA);       /* length prefix */
        if (bit >= (8 + n) * 8) assert_int_equal(got, TITAN_OK); /* data */
        refused += got != TITAN_OK;
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* Header flips that still parse changed a name or a metadata value. */
    assert_true(refused > n * 8 / 2);
}

static void small_arena_is_nomem(void **state) {
    (void)state;
    size_t len = write_sample(file_buf, sizeof file_buf);
    static _Alignas(64) uint8_t tiny[512];
    titan_arena a;
    titan_arena_init(&a, tiny, sizeof tiny);
    titan_safetensors st;
    assert_int_equal(titan_safetensors_parse(&a, file_buf, len, &st), TITAN_E_NOMEM);
    titan_arena_init(&a, NULL, 0);
    assert_int_equal(titan_safetensors_parse(&a, file_buf, len, &st), TITAN_E_USAGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_then_read),
        cmocka_unit_test(writer_refuses_misuse),
        cmocka_unit_test(hostile_headers_are_refused),
        cmocka_unit_test(absurd_header_lengths),
        cmocka_unit_test(int8_reads_exactly),
        cmocka_unit_test(every_truncation_is_refused),
        cmocka_unit_test(every_flipped_bit_is_safe),
        cmocka_unit_test(small_arena_is_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
