/* fuzz_tokenizer.c: libFuzzer target for the tokenizer. The first byte picks
 *  0: the input as a TOK or BESE file, as is (header, size and checksum
 *     checks);
 *  1: the input as merge pairs under a valid header and checksum, so the
 *     merge checks are reached; a tokenizer that loads then encodes its own
 *     merge bytes as text, which must round-trip;
 *  2: the same for a BESE file: 32 literal bytes, then merge pairs;
 *  3: the input as text for a fixed small BESE tokenizer;
 *  4+: the input as text for a fixed small BPE tokenizer: encode, check the
 *     ids and their byte counts, and decode back to the same bytes. */
#include "titan.h"

#include <stdlib.h>
#include <string.h>

static uint8_t tok_mem[1 << 22], scratch_mem[1 << 21], blob[1 << 16];
static int32_t ids[1 << 16];
static uint8_t back[1 << 16];

static void check_round_trip(const titan_tokenizer *t, const uint8_t *text, size_t len) {
    titan_arena a;
    titan_arena_init(&a, scratch_mem, sizeof scratch_mem);
    size_t n, blen, cap = titan_tokenizer_max_ids(t, len), sum = 0;
    if (len > sizeof back || cap > sizeof ids / sizeof *ids) return;
    if (titan_tokenizer_encode(t, &a, text, len, ids, cap, &n) != TITAN_OK) abort();
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b;
        if (ids[i] < 0 || ids[i] >= titan_tokenizer_size(t) ||
            ids[i] == titan_tokenizer_bos(t))
            abort();
        sum += titan_tokenizer_token(t, ids[i], &b);
    }
    if (sum != len) abort(); /* every token's count is exact */
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

/* 32 literals, merges " t", "he", "Hi" (H = prefix 2, literal 2), and one
 * that ends on a prefix ("i" then prefix 5). */
static const titan_tokenizer *fixed_bese(void) {
    static const titan_tokenizer *t;
    static uint8_t mem[1 << 16], b[1024];
    static const uint8_t lit[33] = " etaoinsrhldcumfpgwybvkxjqz\n.,'-";
    static const int32_t l[] = {0, 9, 34, 42, 5}, r[] = {2, 1, 2, 5, 37};
    if (!t) {
        size_t len;
        titan_arena a;
        titan_arena_init(&a, mem, sizeof mem);
        if (titan_tokenizer_bese_serialize(lit, l, r, 5, b, sizeof b, &len) ||
            titan_tokenizer_load(&a, b, len, &t))
            abort();
    }
    return t;
}

/* head + body + a valid CRC into blob; returns the length. */
static size_t seal(const char *magic, size_t m, const uint8_t *body, size_t n) {
    memcpy(blob, magic, 4);
    memcpy(blob + 4, "\1\0\0\0", 4);
    for (int i = 0; i < 4; i++) blob[8 + i] = (uint8_t)(m >> 8 * i);
    memset(blob + 12, 0, 4);
    memcpy(blob + 16, body, n);
    size_t len = 16 + n + 4;
    uint32_t crc = titan_crc32(0, blob, len - 4);
    for (int i = 0; i < 4; i++) blob[len - 4 + i] = (uint8_t)(crc >> 8 * i);
    return len;
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
    } else if (mode == 1 || mode == 2) {
        size_t lit = mode == 2 ? 32 : 0;
        if (size < lit) return 0;
        size_t m = (size - lit) / 8;
        if (16 + lit + 8 * m + 4 > sizeof blob) return 0;
        size_t len = seal(mode == 2 ? "TBSE" : "TTOK", m, data, lit + 8 * m);
        if (titan_tokenizer_load(&a, blob, len, &t) == TITAN_OK)
            check_round_trip(t, data, size);
    } else if (mode == 3) {
        check_round_trip(fixed_bese(), data, size);
    } else {
        check_round_trip(fixed_tokenizer(), data, size);
    }
    return 0;
}
