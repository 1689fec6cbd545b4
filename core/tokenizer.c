/* tokenizer.c: loading and validating the serialized byte-level BPE tokenizer
 * (format in titan.h) or a SentencePiece model, the exact byte string of
 * every token, and decoding. */
#include "core/tokenizer.h"

#include "core/base/le.h"

#include <string.h>

enum { TOK_HEADER = 16, TOK_VERSION = 1 };

size_t titan_tokenizer_serialized_size(int32_t n_merges) {
    return TOK_HEADER + 8 * (size_t)n_merges + 4;
}

titan_status titan_tokenizer_serialize(const int32_t *left, const int32_t *right,
                                       int32_t n_merges, uint8_t *buf, size_t cap,
                                       size_t *len) {
    if (n_merges < 0 || n_merges > TITAN_TOK_MAX - 257 || !buf || !len ||
        (n_merges && (!left || !right)))
        return titan_fail(TITAN_E_USAGE, "tokenizer: bad serialize arguments");
    size_t need = titan_tokenizer_serialized_size(n_merges);
    if (cap < need)
        return titan_fail(TITAN_E_USAGE, "tokenizer: buffer of %zu < %zu bytes", cap,
                          need);
    memcpy(buf, "TTOK", 4);
    le_wr32(buf + 4, TOK_VERSION);
    le_wr32(buf + 8, (uint32_t)n_merges);
    le_wr32(buf + 12, 0);
    for (int32_t i = 0; i < n_merges; i++) {
        if (left[i] < 0 || right[i] < 0 || left[i] >= 257 + i || right[i] >= 257 + i ||
            left[i] == TITAN_TOK_BOS || right[i] == TITAN_TOK_BOS)
            return titan_fail(TITAN_E_USAGE, "tokenizer: merge %d invalid", i);
        le_wr32(buf + TOK_HEADER + 8 * (size_t)i, (uint32_t)left[i]);
        le_wr32(buf + TOK_HEADER + 8 * (size_t)i + 4, (uint32_t)right[i]);
    }
    le_wr32(buf + need - 4, titan_crc32(0, buf, need - 4));
    *len = need;
    return TITAN_OK;
}

/* The pair table holds at least twice as many slots as merges, so probes
 * stay short and always reach a free slot. */
static int pair_bits(size_t n_merges) {
    int bits = 4;
    while (((size_t)1 << bits) < 2 * n_merges) bits++;
    return bits;
}

/* Token strings total at most 256 + n_merges * TITAN_TOK_CHUNK_MAX bytes by
 * the checks below (under 2^24). A BESE file of the same size has fewer
 * tokens (tok_bese_load), so this bound covers it with its tables. */
size_t titan_tokenizer_plan(int32_t n_tokens, size_t total_bytes) {
    size_t m = n_tokens > 257 ? (size_t)n_tokens - 257 : 0;
    size_t bese = sizeof(tok_bese) + 2 * ((size_t)n_tokens + TITAN_ALIGN);
    return bese + sizeof(titan_tokenizer) + TITAN_ALIGN + 2 * (m * 4 + TITAN_ALIGN) +
           ((size_t)n_tokens + 1) * 4 + TITAN_ALIGN + total_bytes + TITAN_ALIGN +
           ((size_t)1 << pair_bits(m)) * sizeof(tok_pair_slot) + TITAN_ALIGN;
}

static titan_status parse_header(const uint8_t *data, size_t len, int32_t *n_merges) {
    if (!data || len < TOK_HEADER + 4)
        return titan_fail(TITAN_E_DATA, "tokenizer: truncated (%zu bytes)", len);
    if (memcmp(data, "TTOK", 4)) return titan_fail(TITAN_E_DATA, "tokenizer: bad magic");
    if (le_rd32(data + 4) != TOK_VERSION)
        return titan_fail(TITAN_E_DATA, "tokenizer: unsupported version %u",
                          le_rd32(data + 4));
    uint32_t m = le_rd32(data + 8);
    if (m > TITAN_TOK_MAX - 257)
        return titan_fail(TITAN_E_DATA, "tokenizer: %u merges, at most %d", m,
                          TITAN_TOK_MAX - 257);
    if (le_rd32(data + 12) != 0)
        return titan_fail(TITAN_E_DATA, "tokenizer: unknown flags %#x",
                          le_rd32(data + 12));
    if (len != titan_tokenizer_serialized_size((int32_t)m))
        return titan_fail(TITAN_E_DATA,
                          "tokenizer: %zu bytes, expected %zu for %u merges", len,
                          titan_tokenizer_serialized_size((int32_t)m), m);
    if (titan_crc32(0, data, len - 4) != le_rd32(data + len - 4))
        return titan_fail(TITAN_E_DATA, "tokenizer: checksum mismatch");
    *n_merges = (int32_t)m;
    return TITAN_OK;
}

/* Read merges, check each refers only to earlier tokens and not to BOS (the
 * last base id), and total lengths; base ids below n_lit are one byte. */
static titan_status read_merges(const uint8_t *data, titan_tokenizer *t, int32_t n_lit,
                                int32_t *left, int32_t *right, uint32_t *len,
                                uint64_t *total) {
    int32_t base = t->first_merge;
    *total = (uint64_t)n_lit;
    for (int32_t i = 0; i < base; i++) len[i] = i < n_lit;
    for (int32_t i = 0; i < t->n_merges; i++) {
        uint32_t l = le_rd32(data + 8 * (size_t)i);
        uint32_t r = le_rd32(data + 8 * (size_t)i + 4);
        uint32_t lim = (uint32_t)(base + i), bos = (uint32_t)t->bos;
        if (l >= lim || r >= lim || l == bos || r == bos)
            return titan_fail(TITAN_E_DATA, "tokenizer: merge %d refers to token %u/%u",
                              i, l, r);
        left[i] = (int32_t)l;
        right[i] = (int32_t)r;
        len[base + i] = len[l] + len[r];
        /* Merges never cross chunks, so encoding cannot make a longer token. */
        if (len[base + i] > TITAN_TOK_CHUNK_MAX)
            return titan_fail(TITAN_E_DATA,
                              "tokenizer: merge %d is %u bytes long, at most %d", i,
                              len[base + i], TITAN_TOK_CHUNK_MAX);
        *total += len[base + i];
    }
    return TITAN_OK;
}

/* Token strings, each written from the two earlier tokens it merges. */
static void fill_strings(const titan_tokenizer *t, uint8_t *bytes) {
    const uint32_t *off = t->offset;
    for (int32_t i = 0; i < 256; i++) bytes[off[i]] = (uint8_t)i;
    for (int32_t i = 0; i < t->n_merges; i++) {
        int32_t l = t->left[i], r = t->right[i];
        uint32_t ll = off[l + 1] - off[l], rl = off[r + 1] - off[r];
        memcpy(bytes + off[257 + i], bytes + off[l], ll);
        memcpy(bytes + off[257 + i] + ll, bytes + off[r], rl);
    }
}

/* Map every merge pair to its rank; a repeated pair keeps its first rank,
 * as BPE applies the lowest-ranked merge. */
static void fill_pairs(const titan_tokenizer *t, tok_pair_slot *pairs) {
    uint32_t mask = (1u << t->pair_bits) - 1;
    for (uint32_t i = 0; i <= mask; i++) pairs[i].key = TOK_PAIR_FREE;
    for (int32_t r = 0; r < t->n_merges; r++) {
        uint32_t key = (uint32_t)t->left[r] << 16 | (uint32_t)t->right[r];
        uint32_t i = tok_pair_hash(key, t->pair_bits);
        while (pairs[i].key != TOK_PAIR_FREE && pairs[i].key != key) i = (i + 1) & mask;
        if (pairs[i].key == key) continue;
        pairs[i].key = key;
        pairs[i].rank = r;
    }
}

titan_status tok_merges_load(titan_arena *a, titan_tokenizer *t, int32_t n_lit,
                             const uint8_t *data, uint8_t **strings) {
    int32_t m = t ? t->n_merges : 0, base = t ? t->first_merge : 0;
    int32_t *left, *right;
    uint32_t *offset;
    tok_pair_slot *pairs;
    int bits = pair_bits((size_t)m);
    TITAN_TRY(titan_arena_alloc(a, (size_t)m * 4, TITAN_ALIGN, (void **)&left));
    TITAN_TRY(titan_arena_alloc(a, (size_t)m * 4, TITAN_ALIGN, (void **)&right));
    TITAN_TRY(titan_arena_alloc(a, ((size_t)m + (size_t)base + 1) * 4, TITAN_ALIGN,
                                (void **)&offset));
    TITAN_TRY(titan_arena_alloc(a, ((size_t)1 << bits) * sizeof *pairs, TITAN_ALIGN,
                                (void **)&pairs));
    if (!t) return TITAN_OK; /* measuring: string bytes are planned apart */
    t->n_tokens = base + m;
    t->left = left;
    t->right = right;
    uint64_t total;
    /* Lengths go to offset[1..]; a prefix sum then turns them into offsets. */
    TITAN_TRY(read_merges(data, t, n_lit, left, right, offset + 1, &total));
    t->pair_bits = bits;
    fill_pairs(t, pairs);
    t->pairs = pairs;
    offset[0] = 0;
    for (int32_t i = 0; i < t->n_tokens; i++) offset[i + 1] += offset[i];
    t->offset = offset;
    return titan_arena_alloc(a, (size_t)total, TITAN_ALIGN, (void **)strings);
}

/* A SentencePiece .model: its pieces are the tokens. */
static titan_status load_spm(titan_arena *a, const uint8_t *data, size_t len,
                             const titan_tokenizer **out) {
    titan_tokenizer *t;
    const titan_spm *m;
    const spm_coder *c;
    TITAN_TRY(titan_arena_alloc(a, sizeof *t, TITAN_ALIGN, (void **)&t));
    TITAN_TRY(titan_spm_load(a, data, len, &m));
    if (!t) return TITAN_OK; /* measuring */
    TITAN_TRY(spm_coder_load(a, m, &c));
    *t = (titan_tokenizer){.n_tokens = m->n_pieces, .spm = c};
    *out = t;
    return TITAN_OK;
}

titan_status titan_tokenizer_load(titan_arena *a, const uint8_t *data, size_t len,
                                  const titan_tokenizer **out) {
    if (!a || !out) return titan_fail(TITAN_E_USAGE, "tokenizer: NULL argument");
    if (data && len > 0 && data[0] == TITAN_SPM_FIRST_BYTE)
        return load_spm(a, data, len, out);
    if (tok_bese_is(data, len)) return tok_bese_load(a, data, len, out);
    int32_t m = 0;
    TITAN_TRY(parse_header(data, len, &m));
    titan_tokenizer *t;
    TITAN_TRY(titan_arena_alloc(a, sizeof *t, TITAN_ALIGN, (void **)&t));
    if (t)
        *t = (titan_tokenizer){.n_merges = m, .first_merge = 257, .bos = TITAN_TOK_BOS};
    uint8_t *bytes;
    TITAN_TRY(tok_merges_load(a, t, 256, data + TOK_HEADER, &bytes));
    if (!t) return TITAN_OK;
    fill_strings(t, bytes);
    t->bytes = bytes;
    *out = t;
    return TITAN_OK;
}

int32_t titan_tokenizer_size(const titan_tokenizer *t) { return t->n_tokens; }

int32_t titan_tokenizer_bos(const titan_tokenizer *t) {
    return t->spm ? t->spm->spm->bos_id : t->bos;
}

const titan_spm *titan_tokenizer_spm(const titan_tokenizer *t) {
    return t->spm ? t->spm->spm : NULL;
}

const char *titan_tokenizer_kind(const titan_tokenizer *t) {
    return t->spm ? "sentencepiece" : t->bese ? "bese" : "byte_bpe";
}

size_t titan_tokenizer_max_ids(const titan_tokenizer *t, size_t len) {
    return t->spm ? len * t->spm->ids_per_byte + 3 : t->bese ? 2 * len : len;
}

size_t titan_tokenizer_token(const titan_tokenizer *t, int32_t id,
                             const uint8_t **bytes) {
    if (t->spm) return spm_token(t->spm, id, bytes);
    if (id < 0 || id >= t->n_tokens) {
        *bytes = NULL;
        return 0;
    }
    *bytes = t->bytes + t->offset[id];
    return t->offset[id + 1] - t->offset[id];
}

size_t titan_tokenizer_piece(const titan_tokenizer *t, uint32_t *state, int32_t id,
                             uint8_t *buf, const uint8_t **bytes) {
    size_t n = titan_tokenizer_token(t, id, bytes);
    if (!t->bese || !*bytes) return n;
    *bytes = buf;
    return tok_bese_piece(t, state, id, buf);
}

titan_status titan_tokenizer_decode(const titan_tokenizer *t, const int32_t *ids,
                                    size_t n, uint8_t *out, size_t cap, size_t *len) {
    if (!t || !len || (n && !ids) || (cap && !out))
        return titan_fail(TITAN_E_USAGE, "tokenizer: bad decode arguments");
    if (t->spm) return spm_decode(t->spm, ids, n, out, cap, len);
    size_t total = 0;
    uint32_t state = 0;
    uint8_t buf[TITAN_TOK_CHUNK_MAX];
    for (size_t i = 0; i < n; i++) {
        const uint8_t *s;
        size_t k = titan_tokenizer_piece(t, &state, ids[i], buf, &s);
        if (!s)
            return titan_fail(TITAN_E_DATA,
                              "tokenizer: id %d at position %zu is outside "
                              "[0, %d)",
                              ids[i], i, t->n_tokens);
        if (k && total + k <= cap) memcpy(out + total, s, k); /* out may be NULL */
        total += k;
    }
    *len = total;
    if (out && total > cap)
        return titan_fail(TITAN_E_USAGE, "tokenizer: %zu bytes do not fit in %zu", total,
                          cap);
    return TITAN_OK;
}
