/* test_tokenizer_bese.c: the BESE tokenizer (titan.h): its alphabet and a
 * hand-worked encoding with exact per-token byte counts, the property over
 * random byte strings (sum of counts == length, decode(encode(x)) == x) at
 * several vocabulary sizes, deterministic training, and hostile files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/base/le.h"
#include "titan.h"
#include "tools/train/bpe_train.h"

static uint8_t tok_mem[1 << 22], scratch_mem[1 << 21];
static uint8_t blob[52 + 8 * 4096];
static size_t blob_len;

/* 32 literals: index 0 is ' ', 1 'e', 2 't', 5 'i', 9 'h'. */
static const uint8_t LIT[33] = " etaoinsrhldcumfpgwybvkxjqz\n.,'-";

static titan_status try_load(const uint8_t *b, size_t len, const titan_tokenizer **t) {
    titan_arena a;
    titan_arena_init(&a, tok_mem, sizeof tok_mem);
    titan_status st = titan_tokenizer_load(&a, b, len, t);
    /* The plan by file size (as a TOK file of that size) covers it. */
    size_t n = 257 + (len - 20) / 8;
    if (st == TITAN_OK)
        assert_true(a.used <= titan_tokenizer_plan(
                                  (int32_t)n, 256 + (n - 257) * TITAN_TOK_CHUNK_MAX));
    return st;
}

static const titan_tokenizer *load(const uint8_t *lit, const int32_t *l, const int32_t *r,
                                   int n) {
    assert_true(n <= 4096);
    assert_int_equal(
        titan_tokenizer_bese_serialize(lit, l, r, n, blob, sizeof blob, &blob_len),
        TITAN_OK);
    const titan_tokenizer *t;
    assert_int_equal(try_load(blob, blob_len, &t), TITAN_OK);
    assert_string_equal(titan_tokenizer_kind(t), "bese");
    assert_int_equal(titan_tokenizer_size(t), 40 + n);
    assert_int_equal(titan_tokenizer_bos(t), 39);
    return t;
}

static size_t encode(const titan_tokenizer *t, const uint8_t *s, size_t len, int32_t *ids,
                     size_t cap) {
    titan_arena a;
    titan_arena_init(&a, scratch_mem, sizeof scratch_mem);
    size_t n;
    assert_int_equal(titan_tokenizer_encode(t, &a, s, len, ids, cap, &n), TITAN_OK);
    assert_true(n <= titan_tokenizer_max_ids(t, len));
    return n;
}

static size_t count(const titan_tokenizer *t, int32_t id) {
    const uint8_t *b;
    return titan_tokenizer_token(t, id, &b);
}

/* "Hi!" is the chunks "Hi" and "!". 'H' is non-literal 66: prefix 2 (id 34)
 * then literal 2; '!' is non-literal 31: prefix 0 (id 32) then literal 31.
 * Without merges: 34 2 5 32 31, bytes 0 1 1 0 1. With merges 40 = (34, 2),
 * 41 = (40, 5), 42 = (32, 31): 41 42, bytes 2 1. */
static void hand_worked_encoding(void **state) {
    (void)state;
    int32_t ids[16], l[3] = {34, 40, 32}, r[3] = {2, 5, 31};
    const titan_tokenizer *t = load(LIT, l, r, 0);
    size_t n = encode(t, (const uint8_t *)"Hi!", 3, ids, 16);
    const int32_t want0[] = {34, 2, 5, 32, 31};
    const size_t bytes0[] = {0, 1, 1, 0, 1};
    assert_int_equal(n, 5);
    assert_memory_equal(ids, want0, sizeof want0);
    for (size_t i = 0; i < n; i++) assert_int_equal(count(t, ids[i]), bytes0[i]);
    t = load(LIT, l, r, 3);
    n = encode(t, (const uint8_t *)"Hi!", 3, ids, 16);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 41);
    assert_int_equal(ids[1], 42);
    assert_int_equal(count(t, 41), 2);
    assert_int_equal(count(t, 42), 1);
    const uint8_t *b;
    assert_int_equal(titan_tokenizer_token(t, 41, &b), 2);
    assert_memory_equal(b, "Hi", 2);
    assert_int_equal(titan_tokenizer_token(t, 39, &b), 0); /* BOS */
}

/* "i\xc9" is one chunk: 5, then 0xc9 = prefix 5 (id 37), literal 9 ('h').
 * The merge 40 = (5, 37) ends on a pending prefix: "i\xc9" is 40 9, bytes
 * 1 1; token 9 alone is "h", after 40 it is 0xc9; BOS clears the prefix. */
static void escape_spans_tokens(void **state) {
    (void)state;
    int32_t ids[8], l[1] = {5}, r[1] = {37};
    const titan_tokenizer *t = load(LIT, l, r, 1);
    size_t n = encode(t, (const uint8_t *)"i\xc9", 2, ids, 8), len;
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 40);
    assert_int_equal(ids[1], 9);
    assert_int_equal(count(t, 40) + count(t, 9), 2);
    uint8_t out[8], buf[TITAN_TOK_CHUNK_MAX];
    const uint8_t *b;
    uint32_t st = 0;
    assert_int_equal(titan_tokenizer_piece(t, &st, 40, buf, &b), 1);
    assert_int_equal(b[0], 'i');
    assert_int_equal(titan_tokenizer_piece(t, &st, 9, buf, &b), 1);
    assert_int_equal(b[0], 0xc9);
    assert_int_equal(titan_tokenizer_decode(t, ids, 2, out, sizeof out, &len), TITAN_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "i\xc9", 2);
    const int32_t cut[] = {40, 39, 9}, swap[] = {37, 32, 31}, tail[] = {9, 37};
    assert_int_equal(titan_tokenizer_decode(t, cut, 3, out, sizeof out, &len), TITAN_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "ih", 2);
    /* A prefix replaces a pending one; a pending one at the end is dropped. */
    assert_int_equal(titan_tokenizer_decode(t, swap, 3, out, sizeof out, &len), TITAN_OK);
    assert_int_equal(len, 1);
    assert_int_equal(out[0], '!');
    assert_int_equal(titan_tokenizer_decode(t, tail, 2, out, sizeof out, &len), TITAN_OK);
    assert_int_equal(len, 1);
}

static uint32_t rng_state = 777;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Mostly text-like bytes, a quarter any of the 256 values (NUL, invalid
 * UTF-8), and now and then a long run of one byte. */
static void random_bytes(uint8_t *s, size_t n) {
    static const char alpha[] = "the quick brown fox\n, 01\xc3\xa9.";
    for (size_t i = 0; i < n; i++) {
        if (rnd() % 200 == 0) {
            size_t run = rnd() % 700, c = rnd() % 256;
            for (; run && i < n; run--, i++) s[i] = (uint8_t)c;
            if (i == n) break;
        }
        s[i] = rnd() % 4 ? (uint8_t)alpha[rnd() % (sizeof alpha - 1)] : (uint8_t)rnd();
    }
}

/* Encode x, check counts and every way of decoding. */
static void check_round_trip(const titan_tokenizer *t, const uint8_t *x, size_t len) {
    static int32_t ids[8192];
    static uint8_t out[4096];
    size_t n = encode(t, x, len, ids, 8192), sum = 0, at = 0, back;
    uint32_t st = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(ids[i] >= 0 && ids[i] < titan_tokenizer_size(t));
        assert_int_not_equal(ids[i], 39);
        uint8_t buf[TITAN_TOK_CHUNK_MAX];
        const uint8_t *b;
        size_t k = titan_tokenizer_piece(t, &st, ids[i], buf, &b);
        assert_int_equal(k, count(t, ids[i])); /* exact per position */
        assert_memory_equal(b, x + at, k);
        at += k;
        sum += count(t, ids[i]);
    }
    assert_int_equal(sum, len);
    assert_int_equal(st, 0);
    assert_int_equal(titan_tokenizer_decode(t, ids, n, out, sizeof out, &back), TITAN_OK);
    assert_int_equal(back, len);
    if (len) assert_memory_equal(out, x, len);
    /* val_bpb's count over BOS + the stream is the length, too. */
    uint32_t *lens = malloc((size_t)titan_tokenizer_size(t) * 4);
    for (int32_t i = 0; i < titan_tokenizer_size(t); i++) lens[i] = (uint32_t)count(t, i);
    titan_byte_table tb = {titan_tokenizer_size(t), lens, NULL};
    memmove(ids + 1, ids, n * sizeof *ids);
    ids[0] = 39;
    uint64_t bytes;
    assert_int_equal(titan_eval_count_bytes(ids, (int64_t)n, &tb, &bytes), TITAN_OK);
    assert_int_equal(bytes, len);
    free(lens);
}

static void random_strings_round_trip(void **state) {
    (void)state;
    static int32_t ids[4096];
    enum { TEXT = 1 << 16 };
    uint8_t *text = malloc(TEXT), lit[32];
    int32_t *l = malloc(2 * 4096 * sizeof *l), *r = l + 4096;
    random_bytes(text, TEXT);
    bese_pick_literals(text, TEXT, lit);
    tok_bese alpha;
    tok_bese_alphabet(&alpha, lit);
    static const int32_t vocab[] = {40, 41, 288, 1000};
    for (int v = 0; v < 4; v++) {
        int32_t m = bpe_train_over(text, TEXT, &alpha, vocab[v] - 40, l, r, NULL, NULL);
        assert_int_equal(m, vocab[v] - 40);
        const titan_tokenizer *t = load(lit, l, r, m);
        size_t total = 0, ids_out = 0; /* symbols, ids */
        uint8_t x[4096];
        check_round_trip(t, x, 0);
        for (int c = 0; c < 256; c++) x[c] = (uint8_t)c; /* every byte value */
        check_round_trip(t, x, 256);
        memset(x, 0, 3000); /* a long NUL run */
        check_round_trip(t, x, 3000);
        for (int k = 0; k < 400; k++) {
            size_t len = rnd() % 2000;
            random_bytes(x, len);
            check_round_trip(t, x, len);
            for (size_t i = 0; i < len; i++) total += alpha.nspell[x[i]];
            ids_out += encode(t, x, len, ids, 4096);
        }
        /* The base layer gives one id per symbol; merges shorten that. */
        if (vocab[v] == 40) assert_int_equal(ids_out, total);
        if (vocab[v] == 288) assert_true(ids_out < total * 3 / 4);
    }
    free(text);
    free(l);
}

static void training_is_deterministic(void **state) {
    (void)state;
    enum { TEXT = 1 << 15, M = 248 };
    uint8_t *text = malloc(TEXT), lit[32], lit2[32];
    int32_t l[2 * M], l2[2 * M];
    random_bytes(text, TEXT);
    bese_pick_literals(text, TEXT, lit);
    bese_pick_literals(text, TEXT, lit2);
    assert_memory_equal(lit, lit2, 32);
    tok_bese alpha;
    tok_bese_alphabet(&alpha, lit);
    assert_int_equal(bpe_train_over(text, TEXT, &alpha, M, l, l + M, NULL, NULL), M);
    assert_int_equal(bpe_train_over(text, TEXT, &alpha, M, l2, l2 + M, NULL, NULL), M);
    assert_memory_equal(l, l2, sizeof l);
    /* Literals: by count, ties to the smaller byte ('a' before 'b'). */
    bese_pick_literals((const uint8_t *)"bbba", 4, lit);
    assert_int_equal(lit[0], 'b');
    assert_int_equal(lit[1], 'a');
    assert_int_equal(lit[2], 0);
    assert_int_equal(lit[3], 1);
    free(text);
}

/* Rewrite the CRC after editing the blob. */
static void reseal(uint8_t *b, size_t len) {
    le_wr32(b + len - 4, titan_crc32(0, b, len - 4));
}

static void hostile_files_are_refused(void **state) {
    (void)state;
    int32_t l[2] = {5, 40}, r[2] = {37, 9};
    load(LIT, l, r, 2);
    uint8_t b[sizeof blob];
    const titan_tokenizer *t;
    size_t len = blob_len;
    static const struct {
        size_t at;
        uint8_t v;
    } edits[] = {
        {4, 2},    /* version */
        {8, 3},    /* merge count against the size */
        {12, 1},   /* flags */
        {17, ' '}, /* a repeated literal */
        {48, 39},  /* merge 0 refers to BOS */
        {56, 41},  /* merge 1 refers to itself */
        {60, 200}, /* and to a token past the end */
    };
    for (size_t e = 0; e < sizeof edits / sizeof *edits; e++) {
        memcpy(b, blob, len);
        b[edits[e].at] = edits[e].v;
        reseal(b, len);
        assert_int_equal(try_load(b, len, &t), TITAN_E_DATA);
    }
    memcpy(b, blob, len);
    b[20] ^= 1; /* no reseal */
    assert_int_equal(try_load(b, len, &t), TITAN_E_DATA);
    for (size_t cut = 4; cut < len; cut += 7)
        assert_int_equal(try_load(blob, cut, &t), TITAN_E_DATA);
    assert_int_equal(try_load(blob, len, &t), TITAN_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_worked_encoding),
        cmocka_unit_test(escape_spans_tokens),
        cmocka_unit_test(random_strings_round_trip),
        cmocka_unit_test(training_is_deterministic),
        cmocka_unit_test(hostile_files_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
