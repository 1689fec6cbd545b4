/* fuzz_spm_model.c: libFuzzer target for SentencePiece .model files. Any
 * input is accepted or refused with TITAN_E_DATA; an accepted model keeps the
 * byte-table invariants and stays within titan_spm_plan. One that also loads
 * as a tokenizer (charsmap trie, pieces index) encodes a few texts, stays
 * within titan_tokenizer_max_ids, and decodes what it encoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "titan.h"

static _Alignas(64) uint8_t arena_buf[1 << 22];
static _Alignas(64) uint8_t tok_buf[1 << 23];
static _Alignas(64) uint8_t scratch_buf[1 << 22];

static void check_pieces(const titan_spm *spm) {
    for (int32_t i = 0; i < spm->n_pieces; i++) {
        uint8_t t = spm->type[i], f = spm->bytes.flags[i];
        int boundary = t == TITAN_SPM_CONTROL || t == TITAN_SPM_UNKNOWN;
        if (spm->bytes.base[i] != spm->offset[i + 1] - spm->offset[i] ||
            !!(f & TITAN_BYTES_BOUNDARY) != boundary ||
            (t == TITAN_SPM_BYTE && spm->bytes.base[i] != 1) ||
            ((f & TITAN_BYTES_SPACE) && t != TITAN_SPM_NORMAL &&
             t != TITAN_SPM_USER_DEFINED))
            abort();
    }
}

/* Encode text (and the model's own tail as text), then decode the ids. */
static void encode_some(const titan_tokenizer *t, const uint8_t *data, size_t size) {
    static const char *texts[] = {"", " ", "Hello  world\t12345 ",
                                  "\xef\xbc\xa1\xef\xac\x81 \xff\xc3",
                                  "\xe2\x96\x81\xe2\x96\x81x \x00y"};
    static int32_t ids[1 << 16];
    static uint8_t out[1 << 18];
    titan_arena scratch;
    titan_arena_init(&scratch, scratch_buf, sizeof scratch_buf);
    if (titan_tokenizer_encode_plan() > sizeof scratch_buf) abort();
    for (int k = 0; k <= 5; k++) {
        const uint8_t *s = k < 5 ? (const uint8_t *)texts[k] : data + size / 2;
        size_t len = k < 5 ? strlen(texts[k]) + (k == 4 ? 2 : 0) : size - size / 2;
        if (len > 4096) len = 4096;
        size_t n = 0, back = 0;
        titan_status st =
            titan_tokenizer_encode(t, &scratch, s, len, ids, sizeof ids / 4, &n);
        if (st == TITAN_E_DATA) continue; /* a broken charsmap value */
        if (st != TITAN_OK || n > titan_tokenizer_max_ids(t, len)) abort();
        st = titan_tokenizer_decode(t, ids, n, out, sizeof out, &back);
        if (st != TITAN_OK && st != TITAN_E_USAGE) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    const titan_spm *spm;
    titan_status s = titan_spm_load(&a, data, size, &spm);
    if (s == TITAN_E_DATA ||
        (s == TITAN_E_NOMEM && titan_spm_plan(size) > sizeof arena_buf))
        return 0;
    if (s != TITAN_OK || a.used > titan_spm_plan(size)) abort();
    check_pieces(spm);
    const titan_tokenizer *t;
    titan_arena_init(&a, tok_buf, sizeof tok_buf);
    s = titan_tokenizer_load(&a, data, size, &t);
    if (s == TITAN_E_DATA || s == TITAN_E_UNSUPPORTED ||
        (s == TITAN_E_NOMEM && size > sizeof tok_buf / 8))
        return 0;
    if (s != TITAN_OK) abort();
    encode_some(t, data, size);
    return 0;
}
