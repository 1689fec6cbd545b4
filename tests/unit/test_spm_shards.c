/* test_spm_shards.c: a hand-encoded SentencePiece ModelProto gives the piece
 * types and byte counts of SPEC section 3; malformed protobuf and shards are
 * refused. (tests/e2e/eval_shards.sh checks real spm_train models.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "titan.h"

static uint8_t arena_buf[1 << 16];

typedef struct {
    uint8_t b[512];
    size_t n;
} buf;

static void put(buf *o, const void *p, size_t n) {
    memcpy(o->b + o->n, p, n);
    o->n += n;
}
static void byte(buf *o, uint8_t v) { put(o, &v, 1); }

/* One SentencePiece message: piece text, score 0.5, optional type, and an
 * unknown varint field 9 that must be skipped. type 0 = leave the default. */
static void piece(buf *o, const char *text, uint8_t type) {
    buf m = {.n = 0};
    byte(&m, 1 << 3 | 2);
    byte(&m, (uint8_t)strlen(text));
    put(&m, text, strlen(text));
    byte(&m, 2 << 3 | 5);
    put(&m, "\x00\x00\x00\x3f", 4);
    if (type) {
        byte(&m, 3 << 3 | 0);
        byte(&m, type);
    }
    byte(&m, 9 << 3 | 0);
    put(&m, "\x96\x01", 2); /* varint 150 */
    byte(o, 1 << 3 | 2);
    byte(o, (uint8_t)m.n);
    put(o, m.b, m.n);
}

static buf model(void) {
    buf o = {.n = 0};
    piece(&o, "<unk>", 2);
    piece(&o, "<s>", 3);
    byte(&o, 2 << 3 | 2); /* a TrainerSpec between pieces: vocab_size 1024 */
    byte(&o, 3);
    put(&o, "\x20\x80\x08", 3);
    piece(&o, "<0x41>", 6);
    piece(&o, "\xe2\x96\x81the", 0);
    piece(&o, "c\xc3\xa4t", 1);
    piece(&o, "\xe2\x96\x81", 4);
    piece(&o, "\xe2\x96\x81zz", 5);
    byte(&o, 5 << 3 | 1); /* a fixed64 field at the end */
    put(&o, "12345678", 8);
    return o;
}

static titan_status load(const buf *m, const titan_spm **spm) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    titan_status st = titan_spm_load(&a, m->b, m->n, spm);
    if (st == TITAN_OK) assert_true(a.used <= titan_spm_plan(m->n));
    return st;
}

static void pieces_and_bytes(void **state) {
    (void)state;
    buf m = model();
    const titan_spm *spm;
    assert_int_equal(load(&m, &spm), TITAN_OK);
    assert_int_equal(spm->n_pieces, 7);
    const uint8_t types[7] = {2, 3, 6, 1, 1, 4, 5};
    const uint32_t base[7] = {0, 0, 1, 3, 4, 0, 0};
    const uint8_t flags[7] = {TITAN_BYTES_BOUNDARY,
                              TITAN_BYTES_BOUNDARY,
                              0,
                              TITAN_BYTES_SPACE,
                              0,
                              TITAN_BYTES_SPACE,
                              0};
    assert_memory_equal(spm->type, types, 7);
    assert_memory_equal(spm->bytes.base, base, sizeof base);
    assert_memory_equal(spm->bytes.flags, flags, 7);
    assert_int_equal(spm->bytes.n_tokens, 7);
    assert_int_equal(spm->offset[7], 8);
    assert_memory_equal(spm->text, "Athec\xc3\xa4t", 8);
    for (int i = 0; i < 7; i++)
        assert_int_equal(spm->offset[i + 1] - spm->offset[i], base[i]);
}

/* Every prefix either parses (cut between fields) or is refused as data. */
static void prefixes_and_corruptions(void **state) {
    (void)state;
    buf m = model();
    const titan_spm *spm;
    for (size_t n = 0; n < m.n; n++) {
        buf p = m;
        p.n = n;
        titan_status st = load(&p, &spm);
        assert_true(st == TITAN_OK || st == TITAN_E_DATA);
    }
    buf bad = {.n = 0};
    assert_int_equal(load(&bad, &spm), TITAN_E_DATA); /* no pieces */
    piece(&bad, "<0xZ1>", 6);
    assert_int_equal(load(&bad, &spm), TITAN_E_DATA);
    bad.n = 0;
    piece(&bad, "a", 7); /* no such type */
    assert_int_equal(load(&bad, &spm), TITAN_E_DATA);
    bad = m;
    bad.b[1] = 200; /* first piece's length past the end */
    assert_int_equal(load(&bad, &spm), TITAN_E_DATA);
    bad = m;
    bad.b[0] = 1 << 3 | 3; /* group wire type */
    assert_int_equal(load(&bad, &spm), TITAN_E_DATA);
    bad = m;
    bad.b[0] = 1 << 3 | 0; /* pieces must be length-delimited */
    assert_int_equal(load(&bad, &spm), TITAN_E_DATA);
    bad = m;
    bad.b[2] = 2 << 3 | 2; /* first piece: text missing, score as bytes */
    assert_int_equal(load(&bad, &spm), TITAN_E_DATA);
    bad.n = 0;
    put(&bad, "\x0a\x00", 2); /* an empty SentencePiece: no text */
    assert_int_equal(load(&bad, &spm), TITAN_E_DATA);
    bad.n = 0;
    put(&bad, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11);
    assert_int_equal(load(&bad, &spm), TITAN_E_DATA); /* 11-byte varint */
}

static size_t shard(uint8_t *out, uint32_t magic, uint32_t version, uint32_t count,
                    const uint16_t *tok, size_t n) {
    memset(out, 0, TITAN_SHARD_HEADER_BYTES);
    const uint32_t h[3] = {magic, version, count};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) out[4 * i + k] = (uint8_t)(h[i] >> 8 * k);
    for (size_t i = 0; i < n; i++) {
        out[TITAN_SHARD_HEADER_BYTES + 2 * i] = (uint8_t)tok[i];
        out[TITAN_SHARD_HEADER_BYTES + 2 * i + 1] = (uint8_t)(tok[i] >> 8);
    }
    return TITAN_SHARD_HEADER_BYTES + 2 * n;
}

static void shards(void **state) {
    (void)state;
    static uint8_t s[2048];
    const uint16_t tok[4] = {1, 300, 65535, 7};
    int32_t dst[8];
    size_t n;
    uint64_t count;
    size_t len = shard(s, 20240520, 1, 4, tok, 4);
    assert_int_equal(titan_shard_count(s, len, &count), TITAN_OK);
    assert_int_equal(count, 4);
    assert_int_equal(titan_shard_decode(s, len, 65536, dst, 8, &n), TITAN_OK);
    assert_int_equal(n, 4);
    assert_int_equal(dst[1], 300);
    assert_int_equal(dst[2], 65535);
    assert_int_equal(titan_shard_decode(s, len, 65535, dst, 8, &n),
                     TITAN_E_DATA); /* token >= vocab */
    assert_int_equal(titan_shard_decode(s, len, 65536, dst, 3, &n), TITAN_E_USAGE);
    assert_int_equal(titan_shard_count(s, len - 1, &count), TITAN_E_DATA);
    assert_int_equal(titan_shard_count(s, len + 1, &count), TITAN_E_DATA);
    assert_int_equal(titan_shard_count(s, 1000, &count), TITAN_E_DATA);
    len = shard(s, 20240521, 1, 4, tok, 4);
    assert_int_equal(titan_shard_count(s, len, &count), TITAN_E_DATA);
    len = shard(s, 20240520, 2, 4, tok, 4);
    assert_int_equal(titan_shard_count(s, len, &count), TITAN_E_DATA);
    len = shard(s, 20240520, 1, 0x80000002u, tok, 4);
    assert_int_equal(titan_shard_count(s, len, &count), TITAN_E_DATA);
    len = shard(s, 20240520, 1, 0, tok, 0); /* an empty shard is valid */
    assert_int_equal(titan_shard_count(s, len, &count), TITAN_OK);
    assert_int_equal(count, 0);
}

/* The encoder writes what the hand-built shard above holds, byte for byte. */
static void shard_encode(void **state) {
    (void)state;
    static uint8_t want[2048], got[2048];
    const uint16_t tok[4] = {1, 300, 65535, 7};
    const int32_t ids[4] = {1, 300, 65535, 7};
    size_t len = shard(want, 20240520, 1, 4, tok, 4);
    memset(got, 0xAB, sizeof got);
    assert_int_equal(titan_shard_encode(ids, 4, 65536, got, len), TITAN_OK);
    assert_memory_equal(got, want, len);
    assert_int_equal(titan_shard_encode(ids, 4, 65536, got, len - 1), TITAN_E_USAGE);
    assert_int_equal(titan_shard_encode(ids, 4, 65535, got, len), TITAN_E_DATA);
    const int32_t negative[1] = {-1};
    assert_int_equal(titan_shard_encode(negative, 1, 10, got, len), TITAN_E_DATA);
    assert_int_equal(titan_shard_encode(ids, 4, 65537, got, len), TITAN_E_USAGE);
    assert_int_equal(titan_shard_encode(NULL, 0, 10, got, 1024), TITAN_OK);
    uint64_t count = 1;
    assert_int_equal(titan_shard_count(got, 1024, &count), TITAN_OK);
    assert_int_equal(count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pieces_and_bytes),
        cmocka_unit_test(prefixes_and_corruptions),
        cmocka_unit_test(shards),
        cmocka_unit_test(shard_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
