/* spm_model.c: the pieces of a SentencePiece .model file (a protobuf
 * ModelProto), the bytes each stands for, and the TrainerSpec and
 * NormalizerSpec settings encoding needs, without libsentencepiece.
 * Wire format: a key varint (field << 3 | wire type), then a varint (type 0),
 * 8 bytes (1), a varint length and that many bytes (2) or 4 bytes (5). */
#include "titan.h"

#include "core/base/le.h"

#include <stdbool.h>
#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };
enum {
    MODEL_PIECES = 1,
    MODEL_TRAINER = 2,
    MODEL_NORMALIZER = 3,
    MODEL_DENORMALIZER = 5
};
enum { PIECE_TEXT = 1, PIECE_SCORE = 2, PIECE_TYPE = 3 };
enum { TS_MODEL_TYPE = 3, TS_SUFFIX = 24, TS_BYTE_FALLBACK = 35, TS_BOS = 41 };
enum { TS_UNK_SURFACE = 44, NS_CHARSMAP = 2, NS_DUMMY = 3, NS_EXTRA = 4, NS_ESCAPE = 5 };

typedef struct {
    const uint8_t *p, *end;
} reader;

static titan_status read_varint(reader *r, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p == r->end) return titan_fail(TITAN_E_DATA, "spm: truncated varint");
        uint8_t b = *r->p++;
        if (shift == 63 && b > 1)
            return titan_fail(TITAN_E_DATA, "spm: varint overflows 64 bits");
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return TITAN_OK;
    }
    return titan_fail(TITAN_E_DATA, "spm: varint longer than 10 bytes");
}

static titan_status read_key(reader *r, uint32_t *field, uint32_t *wt) {
    uint64_t key;
    TITAN_TRY(read_varint(r, &key));
    if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
        return titan_fail(TITAN_E_DATA, "spm: bad field number");
    *field = (uint32_t)(key >> 3);
    *wt = (uint32_t)(key & 7);
    return TITAN_OK;
}

/* A length-delimited payload as a sub-reader. */
static titan_status read_bytes(reader *r, reader *sub) {
    uint64_t n;
    TITAN_TRY(read_varint(r, &n));
    if (n > (uint64_t)(r->end - r->p))
        return titan_fail(TITAN_E_DATA, "spm: length %llu past the end",
                          (unsigned long long)n);
    *sub = (reader){r->p, r->p + n};
    r->p += n;
    return TITAN_OK;
}

static titan_status skip_field(reader *r, uint32_t wt) {
    uint64_t v;
    reader sub;
    size_t fixed = wt == WT_I64 ? 8 : 4;
    switch (wt) {
    case WT_VARINT: return read_varint(r, &v);
    case WT_LEN: return read_bytes(r, &sub);
    case WT_I64:
    case WT_I32:
        if ((size_t)(r->end - r->p) < fixed)
            return titan_fail(TITAN_E_DATA, "spm: truncated fixed field");
        r->p += fixed;
        return TITAN_OK;
    }
    return titan_fail(TITAN_E_DATA, "spm: unsupported wire type %u", wt);
}

static titan_status read_float(reader *r, float *v) {
    if (r->end - r->p < 4) return titan_fail(TITAN_E_DATA, "spm: truncated float");
    uint32_t u = le_rd32(r->p);
    memcpy(v, &u, 4);
    r->p += 4;
    return TITAN_OK;
}

typedef struct {
    reader text;
    uint64_t type;
    float score;
} piece;

static titan_status read_piece(reader r, piece *pc) {
    bool has_text = false;
    pc->type = TITAN_SPM_NORMAL; /* the proto defaults */
    pc->score = 0;
    while (r.p < r.end) {
        uint32_t field = 0, wt = 0;
        TITAN_TRY(read_key(&r, &field, &wt));
        if (field == PIECE_TEXT && wt == WT_LEN) {
            TITAN_TRY(read_bytes(&r, &pc->text));
            has_text = true;
        } else if (field == PIECE_TYPE && wt == WT_VARINT) {
            TITAN_TRY(read_varint(&r, &pc->type));
        } else if (field == PIECE_SCORE && wt == WT_I32) {
            TITAN_TRY(read_float(&r, &pc->score));
        } else if (field == PIECE_TEXT || field == PIECE_SCORE || field == PIECE_TYPE) {
            return titan_fail(TITAN_E_DATA, "spm: piece field %u has wire type %u", field,
                              wt);
        } else {
            TITAN_TRY(skip_field(&r, wt));
        }
    }
    if (!has_text) return titan_fail(TITAN_E_DATA, "spm: piece without text");
    if (pc->type < TITAN_SPM_NORMAL || pc->type > TITAN_SPM_BYTE)
        return titan_fail(TITAN_E_DATA, "spm: unknown piece type %llu",
                          (unsigned long long)pc->type);
    return TITAN_OK;
}

/* "<0xHH>" -> the byte; false if the text is not of that form. */
static bool parse_byte_piece(const reader *t, uint8_t *byte) {
    const uint8_t *p = t->p;
    if (t->end - p != 6 || memcmp(p, "<0x", 3) || p[5] != '>') return false;
    unsigned v = 0;
    for (int i = 3; i < 5; i++) {
        uint8_t c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? c - (unsigned)'0'
                     : c >= 'A' && c <= 'F' ? c - 'A' + 10u
                     : c >= 'a' && c <= 'f' ? c - 'a' + 10u
                                            : 16u;
        if (d == 16) return false;
        v = v * 16 + d;
    }
    *byte = (uint8_t)v;
    return true;
}

/* SPEC section 3: the bytes one piece stands for as a target, written to
 * text (when not NULL; *n receives their count), and its flags. */
static titan_status piece_bytes(const piece *pc, uint8_t *text, uint32_t *n,
                                uint8_t *flags) {
    static const uint8_t space[3] = {0xe2, 0x96, 0x81}; /* U+2581 */
    reader t = pc->text;
    *n = 0;
    *flags = 0;
    switch ((titan_spm_type)pc->type) {
    case TITAN_SPM_CONTROL:
    case TITAN_SPM_UNKNOWN: *flags = TITAN_BYTES_BOUNDARY; return TITAN_OK;
    case TITAN_SPM_UNUSED: return TITAN_OK;
    case TITAN_SPM_BYTE: {
        uint8_t b;
        if (!parse_byte_piece(&t, &b))
            return titan_fail(TITAN_E_DATA, "spm: byte piece '%.*s'", (int)(t.end - t.p),
                              (const char *)t.p);
        if (text) text[0] = b;
        *n = 1;
        return TITAN_OK;
    }
    case TITAN_SPM_NORMAL:
    case TITAN_SPM_USER_DEFINED: break;
    }
    if (t.end - t.p >= 3 && !memcmp(t.p, space, 3)) {
        *flags = TITAN_BYTES_SPACE;
        t.p += 3;
    }
    *n = (uint32_t)(t.end - t.p);
    if (text && *n) memcpy(text, t.p, *n);
    return TITAN_OK;
}

/* The settings of TrainerSpec and NormalizerSpec, as read (proto defaults
 * first); charsmap and unk_surface point into the file. */
typedef struct {
    uint64_t model_type, bos_id;
    bool byte_fallback, suffix, dummy, extra, escape, denorm;
    reader charsmap, unk_surface;
} spm_meta;

static titan_status read_bool(reader *r, uint32_t wt, bool *b) {
    uint64_t v;
    if (wt != WT_VARINT) return titan_fail(TITAN_E_DATA, "spm: flag of wire type %u", wt);
    TITAN_TRY(read_varint(r, &v));
    *b = v != 0;
    return TITAN_OK;
}

static titan_status read_trainer(reader r, spm_meta *m) {
    while (r.p < r.end) {
        uint32_t field = 0, wt = 0;
        TITAN_TRY(read_key(&r, &field, &wt));
        if ((field == TS_MODEL_TYPE || field == TS_BOS) && wt == WT_VARINT)
            TITAN_TRY(read_varint(&r, field == TS_BOS ? &m->bos_id : &m->model_type));
        else if (field == TS_SUFFIX)
            TITAN_TRY(read_bool(&r, wt, &m->suffix));
        else if (field == TS_BYTE_FALLBACK)
            TITAN_TRY(read_bool(&r, wt, &m->byte_fallback));
        else if (field == TS_UNK_SURFACE && wt == WT_LEN)
            TITAN_TRY(read_bytes(&r, &m->unk_surface));
        else
            TITAN_TRY(skip_field(&r, wt));
    }
    return TITAN_OK;
}

/* NormalizerSpec; for the denormalizer only whether it has rules. */
static titan_status read_normalizer(reader r, spm_meta *m, bool denorm) {
    while (r.p < r.end) {
        uint32_t field = 0, wt = 0;
        reader sub;
        TITAN_TRY(read_key(&r, &field, &wt));
        if (field == NS_CHARSMAP && wt == WT_LEN) {
            TITAN_TRY(read_bytes(&r, &sub));
            if (denorm)
                m->denorm = m->denorm || sub.p != sub.end;
            else
                m->charsmap = sub;
        } else if (!denorm && field >= NS_DUMMY && field <= NS_ESCAPE) {
            bool *b = field == NS_DUMMY   ? &m->dummy
                      : field == NS_EXTRA ? &m->extra
                                          : &m->escape;
            TITAN_TRY(read_bool(&r, wt, b));
        } else {
            TITAN_TRY(skip_field(&r, wt));
        }
    }
    return TITAN_OK;
}

/* Where walk_model writes each piece (all NULL when only counting). */
typedef struct {
    uint8_t *type;
    uint32_t *offset;
    uint8_t *text;
    uint32_t *base;
    uint8_t *flags;
    float *score;
    uint32_t *piece_offset;
    uint8_t *piece;
} piece_sink;

static void sink_piece(const piece_sink *sink, int32_t i, const piece *pc, size_t text_at,
                       uint32_t n, uint8_t flags, size_t raw_at) {
    size_t raw = (size_t)(pc->text.end - pc->text.p);
    sink->type[i] = (uint8_t)pc->type;
    sink->offset[i] = (uint32_t)text_at;
    sink->base[i] = n;
    sink->flags[i] = flags;
    sink->offset[i + 1] = (uint32_t)(text_at + n);
    sink->score[i] = pc->score;
    sink->piece_offset[i] = (uint32_t)raw_at;
    sink->piece_offset[i + 1] = (uint32_t)(raw_at + raw);
    memcpy(sink->piece + raw_at, pc->text.p, raw);
}

/* Running totals of a walk. */
typedef struct {
    int32_t count;
    size_t text_bytes, raw_bytes;
} walk_count;

static titan_status walk_piece(reader *r, const piece_sink *sink, walk_count *c) {
    if (c->count == TITAN_TOK_MAX)
        return titan_fail(TITAN_E_DATA, "spm: more than %d pieces", TITAN_TOK_MAX);
    reader sub;
    piece pc;
    uint32_t n;
    uint8_t flags;
    TITAN_TRY(read_bytes(r, &sub));
    TITAN_TRY(read_piece(sub, &pc));
    TITAN_TRY(piece_bytes(&pc, sink ? sink->text + c->text_bytes : NULL, &n, &flags));
    if (sink) sink_piece(sink, c->count, &pc, c->text_bytes, n, flags, c->raw_bytes);
    c->text_bytes += n; /* <= len: every text byte comes from the file */
    c->raw_bytes += (size_t)(pc.text.end - pc.text.p);
    ++c->count;
    return TITAN_OK;
}

/* Walk ModelProto: validate, count the pieces and their text bytes, read the
 * specs, and fill the sink's arrays when it has them. */
static titan_status walk_model(const uint8_t *data, size_t len, const piece_sink *sink,
                               walk_count *c, spm_meta *m) {
    reader r = {data, data + len}, sub;
    *c = (walk_count){0, 0, 0};
    *m = (spm_meta){
        .model_type = 1, .bos_id = 1, .dummy = true, .extra = true, .escape = true};
    while (r.p < r.end) {
        uint32_t field = 0, wt = 0;
        TITAN_TRY(read_key(&r, &field, &wt));
        bool known = field == MODEL_PIECES || field == MODEL_TRAINER ||
                     field == MODEL_NORMALIZER || field == MODEL_DENORMALIZER;
        if (!known) {
            TITAN_TRY(skip_field(&r, wt));
            continue;
        }
        if (field == MODEL_PIECES && wt != WT_LEN)
            return titan_fail(TITAN_E_DATA, "spm: pieces have wire type %u", wt);
        if (wt != WT_LEN) { /* not the spec this build knows: skipped */
            TITAN_TRY(skip_field(&r, wt));
            continue;
        }
        if (field == MODEL_PIECES) {
            TITAN_TRY(walk_piece(&r, sink, c));
            continue;
        }
        TITAN_TRY(read_bytes(&r, &sub));
        TITAN_TRY(field == MODEL_TRAINER
                      ? read_trainer(sub, m)
                      : read_normalizer(sub, m, field != MODEL_NORMALIZER));
    }
    if (c->count == 0) return titan_fail(TITAN_E_DATA, "spm: no pieces");
    return TITAN_OK;
}

size_t titan_spm_plan(size_t len) {
    /* A piece takes at least 4 bytes: key, length, then its text's key and
     * length; its bytes, its text, the charsmap and unk surface are each at
     * most the file's. */
    size_t n = len / 4 < TITAN_TOK_MAX ? len / 4 : TITAN_TOK_MAX;
    return sizeof(titan_spm) + n * (1 + 4 + 4 + 1 + 4 + 4) + 8 + 4 * len +
           12 * TITAN_ALIGN;
}

static titan_status alloc_sink(titan_arena *a, const walk_count *c, piece_sink *s) {
    size_t count = (size_t)c->count;
    TITAN_TRY(titan_arena_alloc(a, count, TITAN_ALIGN, (void **)&s->type));
    TITAN_TRY(titan_arena_alloc(a, (count + 1) * 4, TITAN_ALIGN, (void **)&s->offset));
    TITAN_TRY(titan_arena_alloc(a, c->text_bytes, TITAN_ALIGN, (void **)&s->text));
    TITAN_TRY(titan_arena_alloc(a, count * 4, TITAN_ALIGN, (void **)&s->base));
    TITAN_TRY(titan_arena_alloc(a, count, TITAN_ALIGN, (void **)&s->flags));
    TITAN_TRY(titan_arena_alloc(a, count * 4, TITAN_ALIGN, (void **)&s->score));
    TITAN_TRY(
        titan_arena_alloc(a, (count + 1) * 4, TITAN_ALIGN, (void **)&s->piece_offset));
    return titan_arena_alloc(a, c->raw_bytes, TITAN_ALIGN, (void **)&s->piece);
}

/* A copy of r in the arena (NULL when measuring). */
static titan_status copy_bytes(titan_arena *a, reader r, const uint8_t **out) {
    uint8_t *p;
    TITAN_TRY(titan_arena_alloc(a, (size_t)(r.end - r.p), TITAN_ALIGN, (void **)&p));
    if (p && r.end > r.p) memcpy(p, r.p, (size_t)(r.end - r.p));
    *out = p;
    return TITAN_OK;
}

/* precompiled_charsmap: u32 trie size, the trie, then the replacement
 * strings (Normalizer::DecodePrecompiledCharsMap). Empty: no rules. */
static titan_status read_charsmap(titan_arena *a, reader r, titan_spm_normalizer *n) {
    size_t len = (size_t)(r.end - r.p);
    n->trie_units = 0;
    n->values_len = 0;
    if (len == 0) return TITAN_OK;
    if (len <= 4 || le_rd32(r.p) > len - 4)
        return titan_fail(TITAN_E_DATA, "spm: charsmap of %zu bytes is broken", len);
    uint32_t trie = le_rd32(r.p);
    const uint8_t *copy;
    TITAN_TRY(copy_bytes(a, (reader){r.p + 4, r.end}, &copy));
    n->trie = copy;
    n->trie_units = trie / 4;
    n->values = copy ? copy + trie : NULL;
    n->values_len = (uint32_t)(len - 4 - trie);
    return TITAN_OK;
}

/* Ids of byte pieces and of the unknown piece, the longest user piece. */
static void index_types(titan_spm *spm) {
    for (int b = 0; b < 256; b++) spm->byte_id[b] = -1;
    spm->unk_id = -1;
    for (int32_t i = 0; i < spm->n_pieces; i++) {
        uint32_t len = spm->piece_offset[i + 1] - spm->piece_offset[i];
        if (spm->type[i] == TITAN_SPM_BYTE) spm->byte_id[spm->text[spm->offset[i]]] = i;
        if (spm->type[i] == TITAN_SPM_UNKNOWN && spm->n_unknown++ == 0) spm->unk_id = i;
        if (spm->type[i] == TITAN_SPM_USER_DEFINED && len > spm->max_user_len)
            spm->max_user_len = len;
    }
}

static titan_status fill_meta(titan_arena *a, const spm_meta *m, titan_spm *spm) {
    static const uint8_t unk[] = " \xe2\x81\x87 ";
    reader surface = m->unk_surface.p ? m->unk_surface : (reader){unk, unk + 5};
    TITAN_TRY(copy_bytes(a, surface, &spm->unk_surface));
    spm->unk_surface_len = (uint32_t)(surface.end - surface.p);
    TITAN_TRY(read_charsmap(a, m->charsmap, &spm->norm));
    spm->norm.add_dummy_prefix = m->dummy;
    spm->norm.remove_extra_whitespaces = m->extra;
    spm->norm.escape_whitespaces = m->escape;
    spm->model_type = m->model_type > 0xff ? 0xff : (uint32_t)m->model_type;
    spm->byte_fallback = m->byte_fallback;
    spm->whitespace_suffix = m->suffix;
    spm->has_denormalizer = m->denorm;
    int32_t bos = (int32_t)(uint32_t)m->bos_id; /* an int32 sent as a varint */
    spm->bos_id =
        bos >= 0 && bos < spm->n_pieces && spm->type[bos] == TITAN_SPM_CONTROL ? bos : -1;
    index_types(spm);
    return TITAN_OK;
}

titan_status titan_spm_load(titan_arena *a, const uint8_t *data, size_t len,
                            const titan_spm **out) {
    if (!a || !out || (!data && len))
        return titan_fail(TITAN_E_USAGE, "spm: NULL argument");
    if (len > UINT32_MAX)
        return titan_fail(TITAN_E_DATA, "spm: %zu bytes is too large", len);
    walk_count c;
    spm_meta m;
    TITAN_TRY(walk_model(data, len, NULL, &c, &m));
    titan_spm *spm;
    piece_sink sink;
    TITAN_TRY(titan_arena_alloc(a, sizeof *spm, TITAN_ALIGN, (void **)&spm));
    TITAN_TRY(alloc_sink(a, &c, &sink));
    *out = spm;
    if (!spm) { /* measuring */
        titan_spm dummy = {.n_pieces = 0};
        return fill_meta(a, &m, &dummy);
    }
    *spm = (titan_spm){.n_pieces = c.count,
                       .type = sink.type,
                       .offset = sink.offset,
                       .text = sink.text,
                       .bytes = {c.count, sink.base, sink.flags},
                       .score = sink.score,
                       .piece_offset = sink.piece_offset,
                       .piece = sink.piece};
    TITAN_TRY(walk_model(data, len, &sink, &c, &m));
    return fill_meta(a, &m, spm);
}
