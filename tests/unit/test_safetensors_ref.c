/* test_safetensors_ref.c: files written by the C writer are read by an
 * independent Python implementation (tests/ref/safetensors_ref.py) and vice
 * versa, with every value compared bit for bit. Skips without /usr/bin/python3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quant/half.h"
#include "titan.h"

#define REF "/usr/bin/python3 tests/ref/safetensors_ref.py"

static _Alignas(64) uint8_t arena_buf[1 << 16];
static uint8_t file_buf[1 << 14];

/* The fixture of safetensors_ref.py: names, dtypes, shapes, values. */
static const struct {
    const char *name;
    titan_dtype dtype;
    int ndim;
    int64_t shape[3];
} fixture[] = {
    {"emb", TITAN_DT_F32, 2, {3, 5}},     {"norm", TITAN_DT_F16, 1, {7}},
    {"w.0", TITAN_DT_BF16, 3, {2, 3, 2}}, {"scalar", TITAN_DT_F32, 0, {0}},
    {"empty", TITAN_DT_F16, 2, {0, 4}},
};
#define N_FIXTURE 5
static const titan_st_meta meta[] = {{"format", "pt"},
                                     {"note", "caf\xc3\xa9 \"quoted\" \\ line\nbreak"}};

static float fixture_value(int64_t i) {
    return (float)((double)((i * 37) % 101 - 50) / 7.0);
}

static float rounded(titan_dtype d, float v) {
    if (d == TITAN_DT_F16) return titan_f16_to_f32(titan_f32_to_f16(v));
    if (d == TITAN_DT_BF16) return titan_bf16_to_f32(titan_f32_to_bf16(v));
    return v;
}

static char *temp_path(char *buf, size_t cap) {
    snprintf(buf, cap, "/tmp/titan_st_XXXXXX");
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
    return buf;
}

static int run_ref(const char *cmd, const char *a, const char *b) {
    char line[512];
    snprintf(line, sizeof line, REF " %s %s %s", cmd, a, b ? b : "");
    return system(line);
}

static size_t read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(file_buf, 1, sizeof file_buf, f);
    fclose(f);
    return n;
}

static void check_fixture(size_t len) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    titan_safetensors st;
    assert_int_equal(titan_safetensors_parse(&a, file_buf, len, &st), TITAN_OK);
    assert_int_equal(st.n_tensors, N_FIXTURE);
    assert_int_equal(st.n_meta, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(st.meta[i].key, meta[i].key);
        assert_string_equal(st.meta[i].value, meta[i].value);
    }
    for (int i = 0; i < N_FIXTURE; i++) {
        const titan_st_tensor *t = titan_safetensors_find(&st, fixture[i].name);
        assert_non_null(t);
        assert_int_equal(t->dtype, fixture[i].dtype);
        assert_int_equal(t->ndim, fixture[i].ndim);
        for (int k = 0; k < t->ndim; k++)
            assert_int_equal(t->shape[k], fixture[i].shape[k]);
        float v[16];
        assert_true(t->n_elems <= 16);
        assert_int_equal(titan_safetensors_to_f32(t, v, 16), TITAN_OK);
        for (uint64_t j = 0; j < t->n_elems; j++) {
            float want = rounded(t->dtype, fixture_value((int64_t)j));
            assert_memory_equal(&v[j], &want, 4);
        }
    }
}

static void python_file_read_by_c(void **state) {
    (void)state;
    if (access("/usr/bin/python3", X_OK)) skip();
    char path[64];
    temp_path(path, sizeof path);
    assert_int_equal(run_ref("write", path, NULL), 0);
    check_fixture(read_file(path));
    unlink(path);
}

static void c_file_read_by_python(void **state) {
    (void)state;
    if (access("/usr/bin/python3", X_OK)) skip();
    static float values[N_FIXTURE][16];
    titan_st_source src[N_FIXTURE];
    for (int i = 0; i < N_FIXTURE; i++) {
        for (int j = 0; j < 16; j++) values[i][j] = fixture_value(j);
        src[i] = (titan_st_source){.name = fixture[i].name,
                                   .dtype = fixture[i].dtype,
                                   .ndim = fixture[i].ndim,
                                   .data = values[i]};
        memcpy(src[i].shape, fixture[i].shape, sizeof fixture[i].shape);
    }
    size_t len;
    assert_int_equal(
        titan_safetensors_write(src, N_FIXTURE, meta, 2, file_buf, sizeof file_buf, &len),
        TITAN_OK);
    char path[64], copy[64];
    FILE *f = fopen(temp_path(path, sizeof path), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(file_buf, 1, len, f), len);
    fclose(f);
    assert_int_equal(run_ref("check", path, NULL), 0);
    /* Python rewrites it in another order; C still reads the same tensors. */
    assert_int_equal(run_ref("copy", path, temp_path(copy, sizeof copy)), 0);
    check_fixture(read_file(copy));
    unlink(path);
    unlink(copy);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(python_file_read_by_c),
        cmocka_unit_test(c_file_read_by_python),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
