/* test_crc32.c: titan_crc32 equals liblzma's independent lzma_crc32 for every
 * length and alignment around the 8-byte slicing, and for split inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lzma.h>

#include "titan.h"

static void matches_liblzma(void **state) {
    (void)state;
    uint8_t buf[4096 + 16];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 24);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len < 80; len++)
            assert_int_equal(titan_crc32(0, buf + off, len),
                             lzma_crc32(buf + off, len, 0));
    assert_int_equal(titan_crc32(0, buf, 4096), lzma_crc32(buf, 4096, 0));
    uint32_t split = titan_crc32(titan_crc32(0, buf, 1001), buf + 1001, 3095);
    assert_int_equal(split, lzma_crc32(buf, 4096, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(matches_liblzma)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
