/* test_tokenizer_encode.c: pre-tokenization, BPE encoding and decoding on
 * hand-worked examples, the round trip on thousands of random byte strings,
 * training on a hand-worked text, and misuse and hostile files refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "titan.h"
#include "tools/train/bpe_train.h"

static uint8_t tok_mem[1 << 21], scratch_mem[1 << 21];

static const titan_tokenizer *load(const int32_t *l, const int32_t *r, int n) {
    static uint8_t blob[16 + 8 * 4096 + 4];
    size_t len;
    assert_true(n <= 4096);
    assert_int_equal(titan_tokenizer_serialize(l, r, n, blob, sizeof blob, &len),
                     TITAN_OK);
    titan_arena a;
    titan_arena_init(&a, tok_mem, sizeof tok_mem);
    const titan_tokenizer *t;
    assert_int_equal(titan_tokenizer_load(&a, blob, len, &t), TITAN_OK);
    assert_true(a.used <= titan_tokenizer_plan(257 + n, 256 + 256 * (size_t)n));
    return t;
}

static size_t encode(const titan_tokenizer *t, const char *s, size_t len, int32_t *ids,
                     size_t cap) {
    titan_arena a;
    titan_arena_init(&a, scratch_mem, sizeof scratch_mem);
    size_t n;
    assert_int_equal(titan_tokenizer_encode(t, &a, (const uint8_t *)s, len, ids, cap, &n),
                     TITAN_OK);
    assert_int_equal(a.used, 0); /* scratch given back */
    return n;
}

static void chunks_follow_the_rule(void **state) {
    (void)state;
    static const struct {
        const char *text;
        size_t len, chunk;
    } cases[] = {
#define CASE(text, chunk) {text, sizeof text - 1, chunk}
        CASE("", 0),
        CASE("  x", 1),
        CASE(" word!", 5),
        CASE("\n\nfoo", 2),
        CASE("\n foo", 1),
        CASE("abc123", 3),
        CASE("123abc", 3),
        CASE("..., x", 4),
        CASE("\xff\xfe"
             "ab c",
             4),
        CASE(" 12", 1),
        CASE("   \tx", 4),
        CASE("\t x", 1),
        CASE("x\0y", 1),
        CASE("\0\0\x01y", 3),
        CASE("   ", 3),
        CASE("  \n", 3),
        CASE(" \xc3\xa9t\xe9!", 5),
#undef CASE
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(
            titan_tokenizer_chunk((const uint8_t *)cases[i].text, cases[i].len),
            cases[i].chunk);
    uint8_t long_word[600];
    memset(long_word, 'a', sizeof long_word);
    assert_int_equal(titan_tokenizer_chunk(long_word, sizeof long_word), 256);
    long_word[0] = ' ';
    assert_int_equal(titan_tokenizer_chunk(long_word, sizeof long_word), 256);
}

/* merges: 257 = "ab", 258 = "ab"+"c", 259 = "cc" */
static const int32_t L[] = {'a', 257, 'c'}, R[] = {'b', 'c', 'c'};

static void hand_worked_encoding(void **state) {
    (void)state;
    const titan_tokenizer *t = load(L, R, 3);
    int32_t ids[32];
    /* "abcc": ab -> 257, then 257 c (rank 1) beats c c (rank 2) -> 258 c.
     * " abccc": ' ' 258 c c, then c c -> 259. "ccc": leftmost c c first. */
    size_t n = encode(t, "abcc abccc ccc", 14, ids, 32);
    const int32_t want[] = {258, 'c', ' ', 258, 259, ' ', 259, 'c'};
    assert_int_equal(n, 8);
    assert_memory_equal(ids, want, sizeof want);
    /* A merge never crosses chunks: "ab" + "c" across a digit boundary. */
    n = encode(t, "ab1c", 4, ids, 32);
    const int32_t want2[] = {257, '1', 'c'};
    assert_int_equal(n, 3);
    assert_memory_equal(ids, want2, sizeof want2);
    assert_int_equal(encode(t, "", 0, ids, 32), 0);
    assert_int_equal(encode(t, "abcc abccc ccc", 14, NULL, 0), 8);
}

static void repeated_pair_keeps_its_first_rank(void **state) {
    (void)state;
    /* 257 = "ab", 258 = "xy", 259 = "ab" again, 260 = 259 + "c" can never form */
    const int32_t l[] = {'a', 'x', 'a', 259}, r[] = {'b', 'y', 'b', 'c'};
    const titan_tokenizer *t = load(l, r, 4);
    int32_t ids[8];
    assert_int_equal(encode(t, "abc", 3, ids, 8), 2);
    assert_int_equal(ids[0], 257);
    assert_int_equal(ids[1], 'c');
}

static void decoding_is_exact(void **state) {
    (void)state;
    const titan_tokenizer *t = load(L, R, 3);
    const int32_t ids[] = {258, TITAN_TOK_BOS, 0, 259, 'z'};
    uint8_t out[16];
    size_t len;
    assert_int_equal(titan_tokenizer_decode(t, ids, 5, out, sizeof out, &len), TITAN_OK);
    assert_int_equal(len, 7);
    assert_memory_equal(out, "abc\0ccz", 7);
    assert_int_equal(titan_tokenizer_decode(t, ids, 5, NULL, 0, &len), TITAN_OK);
    assert_int_equal(len, 7);
    assert_int_equal(titan_tokenizer_decode(t, ids, 5, out, 6, &len), TITAN_E_USAGE);
    assert_int_equal(len, 7);
    const int32_t bad[] = {'a', 260}, neg[] = {-1};
    assert_int_equal(titan_tokenizer_decode(t, bad, 2, out, 16, &len), TITAN_E_DATA);
    assert_int_equal(titan_tokenizer_decode(t, neg, 1, out, 16, &len), TITAN_E_DATA);
}

static void misuse_is_refused(void **state) {
    (void)state;
    const titan_tokenizer *t = load(L, R, 3);
    int32_t ids[4];
    size_t n;
    titan_arena a;
    titan_arena_init(&a, scratch_mem, sizeof scratch_mem);
    assert_int_equal(
        titan_tokenizer_encode(t, &a, (const uint8_t *)"a b c d e", 9, ids, 4, &n),
        TITAN_E_USAGE);
    assert_int_equal(n, 9);                  /* a, ' ' b, ' ' c, ' ' d, ' ' e */
    titan_arena_init(&a, scratch_mem, 1024); /* far below any tokenizer's plan */
    assert_int_equal(titan_tokenizer_encode(t, &a, (const uint8_t *)"ab", 2, ids, 4, &n),
                     TITAN_E_NOMEM);
    assert_int_equal(a.used, 0);
    titan_arena_init(&a, scratch_mem + 1, titan_tokenizer_encode_plan());
    assert_int_equal(titan_tokenizer_encode(t, &a, (const uint8_t *)"ab", 2, ids, 4, &n),
                     TITAN_OK);
    titan_arena_init(&a, NULL, 0);
    assert_int_equal(titan_tokenizer_encode(t, &a, (const uint8_t *)"ab", 2, ids, 4, &n),
                     TITAN_E_USAGE);
    assert_int_equal(titan_tokenizer_encode(t, &a, NULL, 2, ids, 4, &n), TITAN_E_USAGE);
}

static void overlong_tokens_are_refused(void **state) {
    (void)state;
    /* 257 = aa, 258 = 257 257 (4 bytes), ... merge 8 is 512 bytes long */
    int32_t l[9], r[9];
    l[0] = r[0] = 'a';
    for (int i = 1; i < 9; i++) l[i] = r[i] = 256 + i;
    uint8_t blob[16 + 9 * 8 + 4];
    size_t len;
    assert_int_equal(titan_tokenizer_serialize(l, r, 9, blob, sizeof blob, &len),
                     TITAN_OK);
    titan_arena a;
    titan_arena_init(&a, tok_mem, sizeof tok_mem);
    const titan_tokenizer *t;
    assert_int_equal(titan_tokenizer_load(&a, blob, len, &t), TITAN_E_DATA);
    titan_arena_init(&a, tok_mem, sizeof tok_mem);
    assert_int_equal(titan_tokenizer_serialize(l, r, 8, blob, sizeof blob, &len),
                     TITAN_OK);
    assert_int_equal(titan_tokenizer_load(&a, blob, len, &t), TITAN_OK);
}

/* "ab ab ab cd": words ab x1, " ab" x2, " cd" x1. (a,b) has 3; then (' ',ab)
 * has 2; then (' ',c) and (c,d) tie at 1 and the smaller left id (' ') wins;
 * then (' 'c, d); then no pair is left. */
static void hand_worked_training(void **state) {
    (void)state;
    int32_t l[8], r[8];
    const char *text = "ab ab ab cd";
    assert_int_equal(bpe_train((const uint8_t *)text, 11, 8, l, r, NULL, NULL), 4);
    const int32_t want_l[] = {'a', ' ', ' ', 259}, want_r[] = {'b', 257, 'c', 'd'};
    assert_memory_equal(l, want_l, sizeof want_l);
    assert_memory_equal(r, want_r, sizeof want_r);
    assert_int_equal(bpe_train((const uint8_t *)"", 0, 8, l, r, NULL, NULL), 0);
}

static uint32_t rng_state = 12345;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Bytes drawn mostly from a small alphabet (so merges apply), with spaces,
 * digits, NUL and bytes >= 0x80 that are rarely valid UTF-8. */
static void random_bytes(uint8_t *s, size_t n) {
    static const char alpha[] = "aabbcde  \n1\x00\xc3\xa9\xff.";
    for (size_t i = 0; i < n; i++)
        s[i] = rnd() % 4 ? (uint8_t)alpha[rnd() % (sizeof alpha - 1)] : (uint8_t)rnd();
}

static void random_strings_round_trip(void **state) {
    (void)state;
    enum { TEXT = 1 << 16, MERGES = 600 };
    uint8_t *text = malloc(TEXT), out[1200];
    int32_t *l = malloc(2 * MERGES * sizeof *l), *r = l + MERGES, ids[1200];
    random_bytes(text, TEXT);
    int32_t m = bpe_train(text, TEXT, MERGES, l, r, NULL, NULL);
    assert_int_equal(m, MERGES);
    /* Training is deterministic. */
    int32_t *l2 = malloc(2 * MERGES * sizeof *l2);
    assert_int_equal(bpe_train(text, TEXT, MERGES, l2, l2 + MERGES, NULL, NULL), MERGES);
    assert_memory_equal(l, l2, 2 * MERGES * sizeof *l);
    const titan_tokenizer *t = load(l, r, m);
    size_t merged = 0, total = 0;
    for (int k = 0; k < 4000; k++) {
        size_t len = rnd() % 1200;
        random_bytes(text, len);
        size_t n = encode(t, (const char *)text, len, ids, 1200), back;
        assert_true(n <= len);
        for (size_t i = 0; i < n; i++) {
            assert_true(ids[i] >= 0 && ids[i] < 257 + m);
            assert_int_not_equal(ids[i], TITAN_TOK_BOS);
            merged += ids[i] > TITAN_TOK_BOS;
        }
        total += n;
        assert_int_equal(titan_tokenizer_decode(t, ids, n, out, sizeof out, &back),
                         TITAN_OK);
        assert_int_equal(back, len);
        assert_memory_equal(out, text, len);
    }
    assert_true(merged > total / 4); /* the merges were really exercised */
    free(text);
    free(l);
    free(l2);
}

/* A long run is cut without being read to its end (else a megabyte of one
 * letter took quadratic time): the run reaches a page that faults when read,
 * and the chunk is found from the bytes before it. */
static void long_runs_are_not_scanned(void **state) {
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *p =
        mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    assert_int_equal(mprotect(p + page, page, PROT_NONE), 0);
    uint8_t *run = p + page - (TITAN_TOK_CHUNK_MAX + 1);
    memset(run, 'a', TITAN_TOK_CHUNK_MAX + 1);
    assert_int_equal(titan_tokenizer_chunk(run, 1 << 20), TITAN_TOK_CHUNK_MAX);
    memset(run, ' ', TITAN_TOK_CHUNK_MAX + 1);
    assert_int_equal(titan_tokenizer_chunk(run, 1 << 20), TITAN_TOK_CHUNK_MAX);
    munmap(p, 2 * page);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunks_follow_the_rule),
        cmocka_unit_test(long_runs_are_not_scanned),
        cmocka_unit_test(hand_worked_encoding),
        cmocka_unit_test(repeated_pair_keeps_its_first_rank),
        cmocka_unit_test(decoding_is_exact),
        cmocka_unit_test(misuse_is_refused),
        cmocka_unit_test(overlong_tokens_are_refused),
        cmocka_unit_test(hand_worked_training),
        cmocka_unit_test(random_strings_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
