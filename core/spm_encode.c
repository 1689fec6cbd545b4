/* spm_encode.c: SentencePiece BPE encoding (bpe_model.cc) and decoding of
 * plain text. The normalized text is merged in segments of at most
 * SPM_SEGMENT bytes cut where no piece can cross (the pair filter): the
 * merges of one side never see the other, so the result is the one-pass
 * result. A run of SPM_SEGMENT bytes without such a place is cut anyway. */
#include "core/spm.h"

#include <string.h>

static uint32_t fnv(const uint8_t *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

static int index_bits(int32_t n) {
    int bits = 4;
    while (((size_t)1 << bits) < 2 * (size_t)n) bits++;
    return bits;
}

static size_t piece_len(const titan_spm *m, int32_t id) {
    return m->piece_offset[id + 1] - m->piece_offset[id];
}

int32_t spm_lookup(const spm_coder *c, const uint8_t *s, size_t len) {
    uint32_t mask = (1u << c->index_bits) - 1;
    const titan_spm *m = c->spm;
    for (uint32_t i = (fnv(s, len) * 0x9E3779B1u) >> (32 - c->index_bits);;
         i = (i + 1) & mask) {
        int32_t id = c->index[i];
        if (id < 0) return -1;
        if (piece_len(m, id) == len && !memcmp(m->piece + m->piece_offset[id], s, len))
            return id;
    }
}

size_t spm_user_match(const spm_coder *c, const uint8_t *s, size_t len) {
    size_t k = c->spm->max_user_len < len ? c->spm->max_user_len : len;
    for (; k > 0; k--) {
        int32_t id = spm_lookup(c, s, k);
        if (id >= 0 && c->spm->type[id] == TITAN_SPM_USER_DEFINED) return k;
    }
    return 0;
}

/* Pieces merging may make: normal, user-defined and unused (pieces_). */
static bool mergeable(uint8_t type) {
    return type == TITAN_SPM_NORMAL || type == TITAN_SPM_USER_DEFINED ||
           type == TITAN_SPM_UNUSED;
}

static uint32_t pair_bit(const uint8_t *s, size_t n) {
    return fnv(s, n) & (SPM_PAIR_BYTES * 8u - 1);
}
static bool pair_set(const spm_coder *c, const uint8_t *s, size_t n) {
    uint32_t b = pair_bit(s, n);
    return c->pairs[b >> 3] >> (b & 7) & 1;
}

size_t spm_coder_plan(int32_t n_pieces, size_t piece_bytes) {
    return sizeof(spm_coder) + ((size_t)1 << index_bits(n_pieces)) * 4 + SPM_PAIR_BYTES +
           ((size_t)n_pieces + 1) * 4 + piece_bytes + 5 * TITAN_ALIGN;
}

/* The hash index; a piece written twice is refused, as SentencePiece does. */
static titan_status fill_index(const titan_spm *m, int32_t *index, int bits) {
    uint32_t mask = (1u << bits) - 1;
    for (uint32_t i = 0; i <= mask; i++) index[i] = -1;
    for (int32_t id = 0; id < m->n_pieces; id++) {
        const uint8_t *s = m->piece + m->piece_offset[id];
        size_t len = piece_len(m, id);
        uint32_t i = (fnv(s, len) * 0x9E3779B1u) >> (32 - bits);
        for (; index[i] >= 0; i = (i + 1) & mask)
            if (piece_len(m, index[i]) == len &&
                !memcmp(m->piece + m->piece_offset[index[i]], s, len))
                return titan_fail(TITAN_E_DATA, "spm: piece %d repeats piece %d", id,
                                  index[i]);
        index[i] = id;
    }
    return TITAN_OK;
}

static void fill_pairs(const titan_spm *m, uint8_t *pairs) {
    memset(pairs, 0, SPM_PAIR_BYTES);
    for (int32_t id = 0; id < m->n_pieces; id++) {
        if (!mergeable(m->type[id])) continue;
        const uint8_t *s = m->piece + m->piece_offset[id];
        size_t len = piece_len(m, id), a = 0, k = spm_char_len(s, len);
        while (a + k < len) {
            size_t k2 = spm_char_len(s + a + k, len - a - k);
            uint32_t b = pair_bit(s + a, k + k2);
            pairs[b >> 3] |= (uint8_t)(1u << (b & 7));
            a += k;
            k = k2;
        }
    }
}

/* What decoding writes for each piece (unknown pieces: unk_surface apart). */
static size_t fill_surface(const titan_spm *m, uint32_t *off, uint8_t *out) {
    size_t n = 0;
    for (int32_t id = 0; id < m->n_pieces; id++) {
        const uint8_t *s = m->piece + m->piece_offset[id];
        size_t len = piece_len(m, id);
        off[id] = (uint32_t)n;
        if (m->type[id] == TITAN_SPM_BYTE) {
            if (out) out[n] = m->text[m->offset[id]];
            n++;
        } else if (mergeable(m->type[id])) {
            for (size_t i = 0; i < len; i++) {
                bool sp = i + 3 <= len && !memcmp(s + i, "\xe2\x96\x81", 3);
                if (out) out[n] = sp ? ' ' : s[i];
                n++;
                i += sp ? 2 : 0;
            }
        }
    }
    off[m->n_pieces] = (uint32_t)n;
    return n;
}

/* What SentencePiece would refuse or Titan does not do. */
static titan_status check_model(const titan_spm *m) {
    if (m->model_type != 2)
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "spm: model type %u (only BPE, type 2, is supported)",
                          m->model_type);
    if (m->n_unknown != 1)
        return titan_fail(TITAN_E_DATA, "spm: %d unknown pieces, SentencePiece needs one",
                          m->n_unknown);
    if (m->bos_id < 0)
        return titan_fail(TITAN_E_UNSUPPORTED, "spm: no BOS (control) piece");
    if (m->whitespace_suffix || m->has_denormalizer)
        return titan_fail(TITAN_E_UNSUPPORTED, "spm: %s is not supported",
                          m->whitespace_suffix ? "treat_whitespace_as_suffix"
                                               : "a denormalizer");
    return TITAN_OK;
}

titan_status spm_coder_load(titan_arena *a, const titan_spm *m, const spm_coder **out) {
    spm_coder *c;
    int32_t *index;
    uint8_t *pairs, *surface;
    uint32_t *off;
    size_t raw = m ? m->piece_offset[m->n_pieces] : 0;
    if (!m) return titan_fail(TITAN_E_USAGE, "spm: no model");
    TITAN_TRY(check_model(m));
    int bits = index_bits(m->n_pieces);
    TITAN_TRY(titan_arena_alloc(a, sizeof *c, TITAN_ALIGN, (void **)&c));
    TITAN_TRY(
        titan_arena_alloc(a, ((size_t)1 << bits) * 4, TITAN_ALIGN, (void **)&index));
    TITAN_TRY(titan_arena_alloc(a, SPM_PAIR_BYTES, TITAN_ALIGN, (void **)&pairs));
    TITAN_TRY(
        titan_arena_alloc(a, ((size_t)m->n_pieces + 1) * 4, TITAN_ALIGN, (void **)&off));
    size_t surface_len = fill_surface(m, off, NULL);
    TITAN_TRY(titan_arena_alloc(a, surface_len <= raw ? surface_len : raw, TITAN_ALIGN,
                                (void **)&surface));
    *c = (spm_coder){m, index, bits, pairs, off, surface, 0, 0, false};
    TITAN_TRY(fill_index(m, index, bits));
    fill_pairs(m, pairs);
    fill_surface(m, off, surface);
    for (int32_t id = 0; id < m->n_pieces; id++)
        c->has_unused = c->has_unused || m->type[id] == TITAN_SPM_UNUSED;
    TITAN_TRY(spm_norm_measure(m, &c->unit_max, &c->ids_per_byte));
    *out = c;
    return TITAN_OK;
}

/* One symbol of a segment: nb[start..start+len); len 0 once merged away. */
typedef struct {
    uint32_t start, len;
    int32_t prev, next;
    bool freeze; /* a user-defined piece: never merged */
} spm_sym;

typedef struct {
    float score;
    int32_t left, right;
    uint32_t size;
} spm_pair;

typedef struct {
    uint8_t nb[SPM_SEGMENT];
    spm_sym sym[SPM_SEGMENT];
    spm_pair heap[3 * SPM_SEGMENT]; /* n-1 pairs, then at most 2 per merge */
    uint16_t rev[TITAN_TOK_MAX];    /* unused piece: its left part's length */
    int nheap;
} spm_work;

typedef struct {
    int32_t *ids;
    size_t cap, count;
    bool prev_unk; /* the last id is the unknown piece (no byte_fallback) */
} id_sink;

size_t spm_encode_plan(void) { return sizeof(spm_work) + TITAN_ALIGN; }

/* SymbolPairComparator: the higher score first, then the leftmost. */
static bool before(const spm_pair *a, const spm_pair *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(spm_work *w, spm_pair p) {
    int i = w->nheap++;
    while (i > 0 && before(&p, &w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = p;
}

static spm_pair heap_pop(spm_work *w) {
    spm_pair top = w->heap[0], v = w->heap[--w->nheap];
    int i = 0;
    for (int c = 1; c < w->nheap; c = 2 * i + 1) {
        if (c + 1 < w->nheap && before(&w->heap[c + 1], &w->heap[c])) c++;
        if (!before(&w->heap[c], &v)) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    w->heap[i] = v;
    return top;
}

/* MaybeAddNewSymbolPair. */
static void add_pair(const spm_coder *c, spm_work *w, int32_t left, int32_t right) {
    if (left < 0 || right < 0 || w->sym[left].freeze || w->sym[right].freeze) return;
    uint32_t size = w->sym[left].len + w->sym[right].len;
    int32_t id = spm_lookup(c, w->nb + w->sym[left].start, size);
    if (id < 0 || !mergeable(c->spm->type[id])) return;
    heap_push(w, (spm_pair){c->spm->score[id], left, right, size});
    if (c->spm->type[id] == TITAN_SPM_UNUSED) w->rev[id] = (uint16_t)w->sym[left].len;
}

static void emit(id_sink *o, int32_t id) {
    if (o->count < o->cap) o->ids[o->count] = id;
    o->count++;
}

/* A final piece: unused ones split back as they were made; a piece not in
 * the vocabulary is unknown, or its bytes with byte_fallback; a run of
 * unknown pieces is one (PopulateSentencePieceText). */
static void emit_piece(const spm_coder *c, spm_work *w, uint32_t start, uint32_t len,
                       id_sink *o) {
    const titan_spm *m = c->spm;
    int32_t id = spm_lookup(c, w->nb + start, len);
    if (id >= 0 && m->type[id] == TITAN_SPM_UNUSED && w->rev[id] && w->rev[id] < len) {
        uint32_t left = w->rev[id];
        emit_piece(c, w, start, left, o);
        emit_piece(c, w, start + left, len - left, o);
        return;
    }
    if (id < 0) id = m->unk_id;
    bool unk = m->type[id] == TITAN_SPM_UNKNOWN;
    if (!unk || !m->byte_fallback) {
        if (!(unk && o->prev_unk)) emit(o, id);
        o->prev_unk = unk;
        return;
    }
    for (uint32_t i = 0; i < len; i++) {
        int32_t b = m->byte_id[w->nb[start + i]];
        emit(o, b >= 0 ? b : m->unk_id);
    }
}

/* Split nb[0..len) into characters (user-defined pieces whole). */
static int32_t split(const spm_coder *c, spm_work *w, size_t len) {
    int32_t n = 0;
    for (size_t at = 0; at < len; n++) {
        size_t k = spm_user_match(c, w->nb + at, len - at);
        bool freeze = k > 0;
        if (!k) k = spm_char_len(w->nb + at, len - at);
        w->sym[n] = (spm_sym){(uint32_t)at, (uint32_t)k, n - 1, n + 1, freeze};
        at += k;
    }
    if (n) w->sym[n - 1].next = -1;
    return n;
}

/* BPE over nb[0..len) (bpe::Model::SampleEncode without dropout). */
static void merge_segment(const spm_coder *c, spm_work *w, size_t len, id_sink *o) {
    if (c->has_unused) memset(w->rev, 0, (size_t)c->spm->n_pieces * sizeof *w->rev);
    int32_t n = split(c, w, len);
    w->nheap = 0;
    for (int32_t i = 1; i < n; i++) add_pair(c, w, i - 1, i);
    while (w->nheap) {
        spm_pair top = heap_pop(w);
        spm_sym *l = &w->sym[top.left], *r = &w->sym[top.right];
        if (!l->len || !r->len || l->len + r->len != top.size) continue; /* stale */
        l->len += r->len;
        l->next = r->next;
        if (r->next >= 0) w->sym[r->next].prev = top.left;
        r->len = 0;
        add_pair(c, w, l->prev, top.left);
        add_pair(c, w, top.left, l->next);
    }
    for (int32_t i = 0; n && i != -1; i = w->sym[i].next)
        emit_piece(c, w, w->sym[i].start, w->sym[i].len, o);
}

/* Where to cut nb[0..len): after the last pair of whole characters that no
 * piece holds and whose first is not a space (the trailing ones are removed
 * at the end); with none, before the last character. */
static size_t cut_at(const spm_coder *c, const uint8_t *nb, size_t len) {
    const titan_spm_normalizer *nm = &c->spm->norm;
    const uint8_t *sp =
        nm->escape_whitespaces ? (const uint8_t *)"\xe2\x96\x81" : (const uint8_t *)" ";
    size_t sp_len = nm->escape_whitespaces ? 3 : 1, safe = 0, last = 0;
    size_t a = 0, k = spm_char_len(nb, len);
    while (a + k < len) {
        size_t b = a + k, k2 = spm_char_len(nb + b, SIZE_MAX);
        if (b + k2 > len) break; /* the last character may still grow */
        bool space =
            nm->remove_extra_whitespaces && k == sp_len && !memcmp(nb + a, sp, k);
        if (!space && !pair_set(c, nb + a, k + k2)) safe = b;
        last = b;
        a = b;
        k = k2;
    }
    return safe ? safe : last;
}

titan_status spm_encode(const spm_coder *c, titan_arena *scratch, const uint8_t *text,
                        size_t len, int32_t *ids, size_t cap, size_t *n) {
    size_t mark = titan_arena_mark(scratch), nlen = 0;
    spm_work *w;
    titan_status st = titan_arena_alloc(scratch, sizeof *w, TITAN_ALIGN, (void **)&w);
    if (st == TITAN_OK && !w)
        st = titan_fail(TITAN_E_USAGE, "tokenizer: encode needs a real arena");
    spm_norm_state s = {text, len, 0, false, false};
    id_sink o = {ids, ids ? cap : 0, 0, false};
    for (bool done = false; st == TITAN_OK && !done;) {
        st = spm_norm_fill(c, &s, w->nb, SPM_SEGMENT, &nlen, &done);
        size_t cut = done ? nlen : cut_at(c, w->nb, nlen);
        if (st == TITAN_OK) merge_segment(c, w, cut, &o);
        if (st == TITAN_OK) memmove(w->nb, w->nb + cut, nlen - cut);
        nlen -= cut;
    }
    titan_arena_reset(scratch, mark);
    *n = o.count;
    if (st == TITAN_OK && ids && o.count > cap)
        return titan_fail(TITAN_E_USAGE, "tokenizer: %zu ids do not fit in %zu", o.count,
                          cap);
    return st;
}

size_t spm_token(const spm_coder *c, int32_t id, const uint8_t **bytes) {
    const titan_spm *m = c->spm;
    if (id < 0 || id >= m->n_pieces) {
        *bytes = NULL;
        return 0;
    }
    if (m->type[id] == TITAN_SPM_UNKNOWN) {
        *bytes = m->unk_surface;
        return m->unk_surface_len;
    }
    *bytes = c->surface + c->surface_offset[id];
    return c->surface_offset[id + 1] - c->surface_offset[id];
}

/* Whether the piece drops its leading U+2581 (SentencePieceProcessor::
 * Decode): only at the start of the text, after nothing but whitespace
 * (remove_extra_whitespaces) or only the first one (add_dummy_prefix). */
static bool strip_space(const spm_coder *c, int32_t id, size_t total, bool *bos,
                        bool *seen) {
    const titan_spm *m = c->spm;
    if (m->type[id] == TITAN_SPM_BYTE) return false;
    if (*seen || total) *bos = false;
    bool extra = m->norm.remove_extra_whitespaces;
    bool has = *bos && mergeable(m->type[id]) && (m->norm.add_dummy_prefix || extra) &&
               piece_len(m, id) >= 3 &&
               !memcmp(m->piece + m->piece_offset[id], "\xe2\x96\x81", 3);
    *seen = has && !extra;
    return has;
}

/* Each piece's surface, in order, less the leading spaces above. */
titan_status spm_decode(const spm_coder *c, const int32_t *ids, size_t n, uint8_t *out,
                        size_t cap, size_t *len) {
    size_t total = 0;
    bool bos = true, seen = false;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *s;
        size_t k = spm_token(c, ids[i], &s);
        if (!s)
            return titan_fail(TITAN_E_DATA,
                              "tokenizer: id %d at position %zu is outside [0, %d)",
                              ids[i], i, c->spm->n_pieces);
        if (strip_space(c, ids[i], total, &bos, &seen)) s++, k--;
        if (k && total + k <= cap) memcpy(out + total, s, k);
        total += k;
    }
    *len = total;
    if (out && total > cap)
        return titan_fail(TITAN_E_USAGE, "tokenizer: %zu bytes do not fit in %zu", total,
                          cap);
    return TITAN_OK;
}
