/* test_codec.c: every codec round-trips; the xz and brotli command-line tools
 * decode what we encode and we decode what they encode; a stream that yields
 * more or less than declared, or is truncated, is refused; the free list
 * allocator reuses and merges freed chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/freelist.h"
#include "formats/codec.h"

enum { N = 200000, ARENA = 64 << 20 };
static uint8_t *arena_buf, *input, *enc, *dec;
static size_t enc_cap;

/* Compressible but not trivial: text-like runs mixed with noise. */
static void make_input(void) {
    uint64_t s = 42;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        input[i] =
            (i / 1000) % 3 ? (uint8_t)("titan artifact "[i % 15]) : (uint8_t)(s >> 56);
    }
}

static int setup(void **state) {
    (void)state;
    arena_buf = aligned_alloc(64, ARENA);
    input = malloc(N);
    dec = malloc(N + 16);
    enc_cap =
        titan_codec_bound(TITAN_CODEC_BROTLI, N) + titan_codec_bound(TITAN_CODEC_XZ, N);
    enc = malloc(enc_cap);
    make_input();
    return !arena_buf || !input || !dec || !enc;
}

static int teardown(void **state) {
    (void)state;
    free(arena_buf);
    free(input);
    free(dec);
    free(enc);
    return 0;
}

static titan_status decode(titan_codec c, const uint8_t *src, size_t len,
                           size_t raw_len) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, ARENA);
    titan_status st = titan_codec_decode(&a, c, src, len, dec, raw_len);
    titan_arena_reset(&a, 0);
    return st;
}

static void round_trip_every_codec(void **state) {
    (void)state;
    for (int c = TITAN_CODEC_NONE; c <= TITAN_CODEC_BROTLI; c++) {
        size_t len;
        assert_int_equal(titan_codec_encode(c, input, N, enc, enc_cap, &len), TITAN_OK);
        if (c != TITAN_CODEC_NONE) assert_true(len < N / 2);
        memset(dec, 0, N);
        assert_int_equal(decode(c, enc, len, N), TITAN_OK);
        assert_memory_equal(dec, input, N);
        /* Declared one byte short or long, truncated, trailing garbage. */
        assert_int_equal(decode(c, enc, len, N - 1), TITAN_E_DATA);
        assert_int_equal(decode(c, enc, len, N + 1), TITAN_E_DATA);
        assert_int_equal(decode(c, enc, len - 1, N), TITAN_E_DATA);
        enc[len] = 0x55;
        assert_int_equal(decode(c, enc, len + 1, N), TITAN_E_DATA);
        /* Empty input encodes and decodes too. */
        assert_int_equal(titan_codec_encode(c, input, 0, enc, enc_cap, &len), TITAN_OK);
        assert_int_equal(decode(c, enc, len, 0), TITAN_OK);
    }
}

/* Write buf to a temp file, run `cmd < in > out`, read out back. */
static size_t run_tool(const char *cmd, const uint8_t *buf, size_t len, uint8_t *out,
                       size_t cap) {
    char in_path[] = "/tmp/titan_codec_inXXXXXX",
         out_path[] = "/tmp/titan_codec_outXXXXXX";
    int fi = mkstemp(in_path), fo = mkstemp(out_path);
    assert_true(fi >= 0 && fo >= 0);
    FILE *f = fdopen(fi, "wb");
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    char line[512];
    snprintf(line, sizeof line, "%s < %s > %s", cmd, in_path, out_path);
    int rc = system(line);
    f = fdopen(fo, "rb");
    size_t got = fread(out, 1, cap, f);
    fclose(f);
    remove(in_path);
    remove(out_path);
    assert_int_equal(rc, 0);
    return got;
}

static int have(const char *tool) {
    char line[128];
    snprintf(line, sizeof line, "command -v %s >/dev/null 2>&1", tool);
    return system(line) == 0;
}

static void tools_decode_ours(void **state) {
    (void)state;
    static const struct {
        titan_codec c;
        const char *tool, *cmd;
    } cases[] = {
        {TITAN_CODEC_XZ, "xz", "xz -dc"},
        {TITAN_CODEC_LZMA, "xz", "xz -dc --format=raw --lzma2=dict=256KiB"},
        {TITAN_CODEC_BROTLI, "brotli", "brotli -dc"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!have(cases[i].tool)) skip();
        size_t len;
        assert_int_equal(titan_codec_encode(cases[i].c, input, N, enc, enc_cap, &len),
                         TITAN_OK);
        assert_int_equal(run_tool(cases[i].cmd, enc, len, dec, N + 16), N);
        assert_memory_equal(dec, input, N);
    }
}

static void we_decode_theirs(void **state) {
    (void)state;
    static const struct {
        titan_codec c;
        const char *tool, *cmd;
    } cases[] = {
        {TITAN_CODEC_XZ, "xz", "xz -c"},
        {TITAN_CODEC_XZ, "xz", "xz -c -9e --lzma2=preset=9e,dict=256KiB"},
        {TITAN_CODEC_XZ, "xz", "xz -0 -c --check=sha256"},
        {TITAN_CODEC_LZMA, "xz", "xz -c --format=raw --lzma2=preset=6,dict=256KiB"},
        {TITAN_CODEC_BROTLI, "brotli", "brotli -c -q 11 --lgwin=18"},
        {TITAN_CODEC_BROTLI, "brotli", "brotli -c -q 5 --lgwin=10"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!have(cases[i].tool)) skip();
        size_t len = run_tool(cases[i].cmd, input, N, enc, enc_cap);
        memset(dec, 0, N);
        assert_int_equal(decode(cases[i].c, enc, len, N), TITAN_OK);
        assert_memory_equal(dec, input, N);
    }
}

/* An .xz stream whose dictionary is far larger than its size calls for
 * needs memory we do not give it. */
static void oversized_dictionary_is_refused(void **state) {
    (void)state;
    if (!have("xz")) skip();
    size_t small = 5000;
    size_t len = run_tool("xz -c -9e", input, small, enc, enc_cap);
    assert_int_equal(decode(TITAN_CODEC_XZ, enc, len, small), TITAN_E_DATA);
}

static void freelist_reuses_and_merges(void **state) {
    (void)state;
    titan_arena a;
    titan_arena_init(&a, arena_buf, ARENA);
    titan_freelist p;
    assert_int_equal(titan_freelist_init(&p, &a, titan_freelist_bound(3000, 3)),
                     TITAN_OK);
    void *x = titan_freelist_alloc(&p, 1000), *y = titan_freelist_alloc(&p, 1000),
         *z = titan_freelist_alloc(&p, 1000);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(z);
    assert_true((uintptr_t)x % TITAN_FREELIST_ALIGN == 0);
    assert_null(titan_freelist_alloc(&p, 1000)); /* full */
    titan_freelist_free(&p, x);
    titan_freelist_free(&p, z);
    assert_null(titan_freelist_alloc(&p, 2000)); /* two holes, not adjacent */
    titan_freelist_free(&p, y);
    void *big = titan_freelist_alloc(&p, 3000); /* all merged back */
    assert_ptr_equal(big, x);
    assert_null(titan_freelist_alloc(&p, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_every_codec),
        cmocka_unit_test(tools_decode_ours),
        cmocka_unit_test(we_decode_theirs),
        cmocka_unit_test(oversized_dictionary_is_refused),
        cmocka_unit_test(freelist_reuses_and_merges),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
