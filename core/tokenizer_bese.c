/* tokenizer_bese.c: the BESE two-layer tokenizer (format and rules in
 * titan.h): a 40-symbol base layer that spells every byte, BPE merges over
 * it. A literal symbol is one byte wherever it stands (after a prefix it is
 * the escaped byte's second half), a prefix is none, so every token's byte
 * count is fixed; only an escaped byte's value depends on the token before. */
#include "core/tokenizer.h"

#include "core/base/le.h"

#include <string.h>

enum { BESE_HEAD = 16, BESE_FIXED = BESE_HEAD + BESE_LITERALS + 4, BESE_VERSION = 1 };

size_t titan_tokenizer_bese_serialized_size(int32_t n_merges) {
    return BESE_FIXED + 8 * (size_t)n_merges;
}

bool tok_bese_is(const uint8_t *data, size_t len) {
    return data && len >= 4 && !memcmp(data, "TBSE", 4);
}

/* Non-literal bytes in increasing order are escaped 0..223: prefix r / 32,
 * then literal r % 32. */
void tok_bese_alphabet(tok_bese *b, const uint8_t literal[BESE_LITERALS]) {
    int lit_of[256];
    for (int i = 0; i < 256; i++) lit_of[i] = -1;
    for (int i = 0; i < BESE_LITERALS; i++) {
        b->literal[i] = literal[i];
        lit_of[literal[i]] = i;
    }
    for (int c = 0, r = 0; c < 256; c++) {
        if (lit_of[c] >= 0) {
            b->spell[c][0] = (uint8_t)lit_of[c];
            b->nspell[c] = 1;
            continue;
        }
        b->escaped[r] = (uint8_t)c;
        b->spell[c][0] = (uint8_t)(BESE_LITERALS + r / BESE_LITERALS);
        b->spell[c][1] = (uint8_t)(r % BESE_LITERALS);
        b->nspell[c] = 2;
        r++;
    }
}

size_t tok_bese_chunk(const tok_bese *b, const uint8_t *text, size_t len) {
    size_t n = titan_tokenizer_chunk(text, len), i = 0, syms = 0;
    for (; i < n && syms + b->nspell[text[i]] <= TITAN_TOK_CHUNK_MAX; i++)
        syms += b->nspell[text[i]];
    return i;
}

titan_status titan_tokenizer_bese_serialize(const uint8_t literal[32],
                                            const int32_t *left, const int32_t *right,
                                            int32_t n_merges, uint8_t *buf, size_t cap,
                                            size_t *len) {
    if (n_merges < 0 || n_merges > TITAN_BESE_MAX_MERGES || !literal || !buf || !len ||
        (n_merges && (!left || !right)))
        return titan_fail(TITAN_E_USAGE, "tokenizer: bad BESE serialize arguments");
    size_t need = titan_tokenizer_bese_serialized_size(n_merges);
    if (cap < need)
        return titan_fail(TITAN_E_USAGE, "tokenizer: buffer of %zu < %zu bytes", cap,
                          need);
    memcpy(buf, "TBSE", 4);
    le_wr32(buf + 4, BESE_VERSION);
    le_wr32(buf + 8, (uint32_t)n_merges);
    le_wr32(buf + 12, 0);
    memcpy(buf + BESE_HEAD, literal, BESE_LITERALS);
    uint8_t *m = buf + BESE_HEAD + BESE_LITERALS;
    for (int32_t i = 0; i < n_merges; i++) {
        le_wr32(m + 8 * (size_t)i, (uint32_t)left[i]);
        le_wr32(m + 8 * (size_t)i + 4, (uint32_t)right[i]);
    }
    le_wr32(buf + need - 4, titan_crc32(0, buf, need - 4));
    *len = need; /* the merges are checked by loading, as a reader would */
    return TITAN_OK;
}

static titan_status parse_header(const uint8_t *data, size_t len, int32_t *n_merges) {
    if (len < BESE_FIXED)
        return titan_fail(TITAN_E_DATA, "tokenizer: BESE file truncated (%zu bytes)",
                          len);
    if (le_rd32(data + 4) != BESE_VERSION)
        return titan_fail(TITAN_E_DATA, "tokenizer: unsupported BESE version %u",
                          le_rd32(data + 4));
    uint32_t m = le_rd32(data + 8);
    if (m > TITAN_BESE_MAX_MERGES)
        return titan_fail(TITAN_E_DATA, "tokenizer: %u BESE merges, at most %d", m,
                          TITAN_BESE_MAX_MERGES);
    if (le_rd32(data + 12) != 0)
        return titan_fail(TITAN_E_DATA, "tokenizer: unknown flags %#x",
                          le_rd32(data + 12));
    if (len != titan_tokenizer_bese_serialized_size((int32_t)m))
        return titan_fail(TITAN_E_DATA,
                          "tokenizer: %zu bytes, expected %zu for %u BESE merges", len,
                          titan_tokenizer_bese_serialized_size((int32_t)m), m);
    if (titan_crc32(0, data, len - 4) != le_rd32(data + len - 4))
        return titan_fail(TITAN_E_DATA, "tokenizer: checksum mismatch");
    bool seen[256] = {false};
    for (int i = 0; i < BESE_LITERALS; i++) {
        uint8_t c = data[BESE_HEAD + i];
        if (seen[c])
            return titan_fail(TITAN_E_DATA, "tokenizer: BESE literal byte %u repeated",
                              c);
        seen[c] = true;
    }
    *n_merges = (int32_t)m;
    return TITAN_OK;
}

/* Token r's bytes after a token that left prefix k pending (k < 0: none):
 * its first literal then completes the escaped byte; the length is the same. */
static void put_piece(const titan_tokenizer *t, int k, int32_t r, uint8_t *out) {
    const tok_bese *b = t->bese;
    uint32_t n = t->offset[r + 1] - t->offset[r];
    memcpy(out, t->bytes + t->offset[r], n);
    if (k >= 0 && b->first[r] >= 0) out[0] = b->escaped[k * BESE_LITERALS + b->first[r]];
}

/* Each token's bytes when nothing is pending, its first literal and the
 * prefix it leaves, from the two earlier tokens it merges. */
static void fill_tables(titan_tokenizer *t, tok_bese *b, int8_t *first, int8_t *tail,
                        uint8_t *bytes) {
    const uint32_t *off = t->offset;
    for (int32_t i = 0; i < BESE_BASE; i++) {
        first[i] = (int8_t)(i < BESE_LITERALS ? i : -1);
        tail[i] = (int8_t)(i >= BESE_LITERALS && i < BESE_BOS ? i - BESE_LITERALS : -1);
        if (i < BESE_LITERALS) bytes[off[i]] = b->literal[i];
    }
    b->first = first;
    b->tail = tail;
    t->bytes = bytes;
    for (int32_t i = 0; i < t->n_merges; i++) {
        int32_t l = t->left[i], r = t->right[i], m = BESE_BASE + i;
        memcpy(bytes + off[m], bytes + off[l], off[l + 1] - off[l]);
        put_piece(t, tail[l], r, bytes + off[m] + (off[l + 1] - off[l]));
        first[m] = first[l];
        tail[m] = tail[r];
    }
}

titan_status tok_bese_load(titan_arena *a, const uint8_t *data, size_t len,
                           const titan_tokenizer **out) {
    int32_t m = 0;
    TITAN_TRY(parse_header(data, len, &m));
    titan_tokenizer *t;
    tok_bese *b;
    int8_t *first, *tail;
    size_t n = (size_t)m + BESE_BASE;
    TITAN_TRY(titan_arena_alloc(a, sizeof *t, TITAN_ALIGN, (void **)&t));
    TITAN_TRY(titan_arena_alloc(a, sizeof *b, TITAN_ALIGN, (void **)&b));
    TITAN_TRY(titan_arena_alloc(a, n, TITAN_ALIGN, (void **)&first));
    TITAN_TRY(titan_arena_alloc(a, n, TITAN_ALIGN, (void **)&tail));
    if (t)
        *t = (titan_tokenizer){
            .n_merges = m, .first_merge = BESE_BASE, .bos = BESE_BOS, .bese = b};
    uint8_t *bytes;
    TITAN_TRY(
        tok_merges_load(a, t, BESE_LITERALS, data + BESE_HEAD + BESE_LITERALS, &bytes));
    if (!t) return TITAN_OK; /* measuring */
    tok_bese_alphabet(b, data + BESE_HEAD);
    fill_tables(t, b, first, tail, bytes);
    *out = t;
    return TITAN_OK;
}

size_t tok_bese_piece(const titan_tokenizer *t, uint32_t *state, int32_t id,
                      uint8_t *buf) {
    if (id == BESE_BOS) {
        *state = 0;
        return 0;
    }
    put_piece(t, (int)*state - 1, id, buf);
    *state = (uint32_t)(t->bese->tail[id] + 1);
    return t->offset[id + 1] - t->offset[id];
}
