/* test_byte_shuffle.c: the byte-plane transposition of codec auto, by hand
 * (elements 0x11223344 and 0x55667788 little-endian, width 4, plus a tail),
 * and round trips of every width over every piece boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "formats/byte_shuffle.h"

static void shuffles_by_hand(void **state) {
    (void)state;
    /* Two f32-sized elements 44 33 22 11 | 88 77 66 55, then tail AA BB. */
    const uint8_t in[10] = {0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55, 0xAA, 0xBB};
    const uint8_t want4[10] = {0x44, 0x88, 0x33, 0x77, 0x22,
                               0x66, 0x11, 0x55, 0xAA, 0xBB};
    /* Width 3: elements 44 33 22 | 11 88 77 | 66 55 AA, tail BB. */
    const uint8_t want3[10] = {0x44, 0x11, 0x66, 0x33, 0x88,
                               0x55, 0x22, 0x77, 0xAA, 0xBB};
    uint8_t out[10], back[10];
    byte_shuffle(out, in, 10, 4);
    assert_memory_equal(out, want4, 10);
    byte_unshuffle_range(back, out, 10, 4, 0, 10);
    assert_memory_equal(back, in, 10);
    byte_shuffle(out, in, 10, 3);
    assert_memory_equal(out, want3, 10);
    byte_shuffle(out, in, 10, 1);
    assert_memory_equal(out, in, 10);
    /* Bytes 5..8 of the width-4 stream, read from its shuffle: 77 66 55 AA. */
    byte_unshuffle_range(back, want4, 10, 4, 5, 4);
    const uint8_t piece[4] = {0x77, 0x66, 0x55, 0xAA};
    assert_memory_equal(back, piece, 4);
}

/* Every width 1..8, lengths 0..40, every split into two pieces. */
static void round_trips_in_pieces(void **state) {
    (void)state;
    uint8_t in[40], sh[40], back[40];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)(i * 37 + 5);
    for (size_t w = 1; w <= 8; w++)
        for (size_t n = 0; n <= sizeof in; n++) {
            byte_shuffle(sh, in, n, w);
            for (size_t cut = 0; cut <= n; cut++) {
                memset(back, 0, sizeof back);
                byte_unshuffle_range(back, sh, n, w, 0, cut);
                byte_unshuffle_range(back + cut, sh, n, w, cut, n - cut);
                if (n) assert_memory_equal(back, in, n);
            }
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shuffles_by_hand),
        cmocka_unit_test(round_trips_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
