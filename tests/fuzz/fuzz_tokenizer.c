/* fuzz_tokenizer.c: libFuzzer target for the tokenizer. The first byte picks
 *  0: the input as a TOK file, as is (header, size and checksum checks);
 *  1: the input as merge pairs under a valid header and checksum, so the
 *     merge checks are reached; a tokenizer that loads then encodes its own
 *     merge bytes as text, which must round-trip;
 *  2+: the input as text for a fixed small tokenizer: encode, check the ids
 *     and decode back to the same bytes. */
#include "titan.h"

#include <stdlib.h>
#include <string.h>

static uint8_t tok_mem[1 << 22], scratch_mem[1 << 21], blob[1 << 16];
static int32_t ids[1 << 16];
static uint8_t back[1 << 16];

static void check_round_trip(const titan_tokenizer *t, const uint8_t *text, size_t len) {
    titan_arena a;
    titan_arena_init(&a, scratch_mem, sizeof scratch_mem);
    size_t n, blen;
    if (len > sizeof back ||
        titan_tokenizer_encode(t, &a, text, len, ids, len, &n) != TITAN_OK)
        abort();
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= titan_tokenizer_size(t) || ids[i] == TITAN_TOK_BOS)
            abort();
    if (titan_tokenizer_decode(t, ids, n, back, sizeof back, &blen) != TITAN_OK ||
        blen != len || memcmp(back, text, len))
        abort();
}

static const titan_tokenizer *fixed_tokenizer(void) {
    static const titan_tokenizer *t;
    static uint8_t mem[1 << 16];
    /* " t", "he", " the", "in", " a", "an", "aa", "aaaa", "\xc3\xa9", "00" */
    static const int32_t l[] = {' ', 'h', 257, 'i', ' ', 'a', 'a', 263, 0xc3, '0'};
    static const int32_t r[] = {'t', 'e', 258, 'n', 'a', 'n', 'a', 263, 0xa9, '0'};
    if (!t) {
        size_t len;
        titan_arena a;
        titan_arena_init(&a, mem, sizeof mem);
        if (titan_tokenizer_serialize(l, r, 10, blob, sizeof blob, &len) ||
            titan_tokenizer_load(&a, blob, len, &t))
            abort();
    }
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    titan_arena a;
    titan_arena_init(&a, tok_mem, sizeof tok_mem);
    const titan_tokenizer *t;
    if (mode == 0) {
        if (titan_tokenizer_load(&a, data, size, &t) == TITAN_OK)
            check_round_trip(t, data, size);
    } else if (mode == 1) {
        size_t m = size / 8, len;
        if (16 + 8 * m + 4 > sizeof blob) return 0;
        memcpy(blob, "TTOK\1\0\0\0", 8);
        for (int i = 0; i < 4; i++) blob[8 + i] = (uint8_t)(m >> 8 * i);
        memset(blob + 12, 0, 4);
        memcpy(blob + 16, data, 8 * m);
        len = 16 + 8 * m + 4;
        uint32_t crc = titan_crc32(0, blob, len - 4);
        for (int i = 0; i < 4; i++) blob[len - 4 + i] = (uint8_t)(crc >> 8 * i);
        if (titan_tokenizer_load(&a, blob, len, &t) == TITAN_OK)
            check_round_trip(t, data, size);
    } else {
        check_round_trip(fixed_tokenizer(), data, size);
    }
    return 0;
}
