/* test_tokenizer_format.c: the serialized tokenizer round-trips, token strings
 * are exact, and every malformed variant is refused with TITAN_E_DATA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "titan.h"

static uint8_t arena_buf[1 << 16];

/* merges: 257 = "ab", 258 = "ab"+"c" = "abc", 259 = "c"+"c" */
static const int32_t L[] = {'a', 257, 'c'}, R[] = {'b', 'c', 'c'};

static size_t build(uint8_t *buf) {
    size_t len;
    assert_int_equal(titan_tokenizer_serialize(L, R, 3, buf, 256, &len), TITAN_OK);
    assert_int_equal(len, 16 + 3 * 8 + 4);
    return len;
}

static void round_trip_and_strings(void **state) {
    (void)state;
    uint8_t buf[256];
    size_t len = build(buf);
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    const titan_tokenizer *t;
    assert_int_equal(titan_tokenizer_load(&a, buf, len, &t), TITAN_OK);
    assert_int_equal(titan_tokenizer_size(t), 260);
    const uint8_t *s;
    assert_int_equal(titan_tokenizer_token(t, 258, &s), 3);
    assert_memory_equal(s, "abc", 3);
    assert_int_equal(titan_tokenizer_token(t, 259, &s), 2);
    assert_memory_equal(s, "cc", 2);
    assert_int_equal(titan_tokenizer_token(t, 0, &s), 1);
    assert_int_equal(s[0], 0);
    assert_int_equal(titan_tokenizer_token(t, TITAN_TOK_BOS, &s), 0);
    assert_int_equal(titan_tokenizer_token(t, 260, &s), 0);
    assert_null(s);
    assert_true(a.used <= titan_tokenizer_plan(260, 256 + 2 + 3 + 2));
}

static void every_flipped_bit_and_truncation_is_refused(void **state) {
    (void)state;
    uint8_t buf[256];
    size_t len = build(buf);
    titan_arena a;
    const titan_tokenizer *t;
    for (size_t bit = 0; bit < len * 8; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        titan_arena_init(&a, arena_buf, sizeof arena_buf);
        assert_int_equal(titan_tokenizer_load(&a, buf, len, &t), TITAN_E_DATA);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t n = 0; n < len; n++) {
        titan_arena_init(&a, arena_buf, sizeof arena_buf);
        assert_int_equal(titan_tokenizer_load(&a, buf, n, &t), TITAN_E_DATA);
    }
}

static void forward_references_are_refused(void **state) {
    (void)state;
    uint8_t buf[256];
    size_t len;
    const int32_t bad_l[] = {257}, bad_r[] = {'a'};
    assert_int_equal(titan_tokenizer_serialize(bad_l, bad_r, 1, buf, 256, &len),
                     TITAN_E_USAGE);
    const int32_t bos_l[] = {TITAN_TOK_BOS};
    assert_int_equal(titan_tokenizer_serialize(bos_l, bad_r, 1, buf, 256, &len),
                     TITAN_E_USAGE);
}

static void crc32_known_value(void **state) {
    (void)state;
    /* The standard check value of CRC-32/ISO-HDLC. */
    assert_int_equal(titan_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(titan_crc32(titan_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_and_strings),
        cmocka_unit_test(every_flipped_bit_and_truncation_is_refused),
        cmocka_unit_test(forward_references_are_refused),
        cmocka_unit_test(crc32_known_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
