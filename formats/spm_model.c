/* spm_model.c: the pieces of a SentencePiece .model file (a protobuf
 * ModelProto) and the bytes each stands for, without libsentencepiece.
 * Wire format: a key varint (field << 3 | wire type), then a varint (type 0),
 * 8 bytes (1), a varint length and that many bytes (2) or 4 bytes (5). */
#include "titan.h"

#include <stdbool.h>
#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };
enum { MODEL_PIECES = 1, PIECE_TEXT = 1, PIECE_SCORE = 2, PIECE_TYPE = 3 };

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

typedef struct {
    reader text;
    uint64_t type;
} piece;

static titan_status read_piece(reader r, piece *pc) {
    bool has_text = false;
    pc->type = TITAN_SPM_NORMAL; /* the proto default */
    while (r.p < r.end) {
        uint32_t field = 0, wt = 0;
        TITAN_TRY(read_key(&r, &field, &wt));
        if (field == PIECE_TEXT && wt == WT_LEN) {
            TITAN_TRY(read_bytes(&r, &pc->text));
            has_text = true;
        } else if (field == PIECE_TYPE && wt == WT_VARINT) {
            TITAN_TRY(read_varint(&r, &pc->type));
        } else if (field == PIECE_TEXT || field == PIECE_SCORE || field == PIECE_TYPE) {
            if (field != PIECE_SCORE || wt != WT_I32)
                return titan_fail(TITAN_E_DATA, "spm: piece field %u has wire type %u",
                                  field, wt);
            TITAN_TRY(skip_field(&r, wt));
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

/* Where walk_model writes each piece (all NULL when only counting). */
typedef struct {
    uint8_t *type;
    uint32_t *offset;
    uint8_t *text;
    uint32_t *base;
    uint8_t *flags;
} piece_sink;

/* Walk ModelProto: validate, count the pieces and their text bytes, and fill
 * the sink's arrays when it has them. */
static titan_status walk_model(const uint8_t *data, size_t len, const piece_sink *sink,
                               int32_t *count, size_t *text_bytes) {
    reader r = {data, data + len};
    *count = 0;
    *text_bytes = 0;
    while (r.p < r.end) {
        uint32_t field = 0, wt = 0;
        TITAN_TRY(read_key(&r, &field, &wt));
        if (field != MODEL_PIECES) {
            TITAN_TRY(skip_field(&r, wt));
            continue;
        }
        if (wt != WT_LEN)
            return titan_fail(TITAN_E_DATA, "spm: pieces have wire type %u", wt);
        if (*count == TITAN_TOK_MAX)
            return titan_fail(TITAN_E_DATA, "spm: more than %d pieces", TITAN_TOK_MAX);
        reader sub;
        piece pc;
        uint32_t n;
        uint8_t flags;
        TITAN_TRY(read_bytes(&r, &sub));
        TITAN_TRY(read_piece(sub, &pc));
        TITAN_TRY(piece_bytes(&pc, sink ? sink->text + *text_bytes : NULL, &n, &flags));
        if (sink) {
            sink->type[*count] = (uint8_t)pc.type;
            sink->offset[*count] = (uint32_t)*text_bytes;
            sink->base[*count] = n;
            sink->flags[*count] = flags;
            sink->offset[*count + 1] = (uint32_t)(*text_bytes + n);
        }
        *text_bytes += n; /* <= len: every text byte comes from the file */
        ++*count;
    }
    if (*count == 0) return titan_fail(TITAN_E_DATA, "spm: no pieces");
    return TITAN_OK;
}

size_t titan_spm_plan(size_t len) {
    /* A piece takes at least 4 bytes: key, length, then its text's key and
     * length; its bytes are at most the file's. */
    size_t n = len / 4 < TITAN_TOK_MAX ? len / 4 : TITAN_TOK_MAX;
    return sizeof(titan_spm) + n * (1 + 4 + 4 + 1) + 4 + len + 6 * TITAN_ALIGN;
}

static titan_status alloc_sink(titan_arena *a, int32_t n, size_t text_bytes,
                               piece_sink *s) {
    size_t count = (size_t)n;
    TITAN_TRY(titan_arena_alloc(a, count, TITAN_ALIGN, (void **)&s->type));
    TITAN_TRY(titan_arena_alloc(a, (count + 1) * 4, TITAN_ALIGN, (void **)&s->offset));
    TITAN_TRY(titan_arena_alloc(a, text_bytes, TITAN_ALIGN, (void **)&s->text));
    TITAN_TRY(titan_arena_alloc(a, count * 4, TITAN_ALIGN, (void **)&s->base));
    return titan_arena_alloc(a, count, TITAN_ALIGN, (void **)&s->flags);
}

titan_status titan_spm_load(titan_arena *a, const uint8_t *data, size_t len,
                            const titan_spm **out) {
    if (!a || !out || (!data && len))
        return titan_fail(TITAN_E_USAGE, "spm: NULL argument");
    if (len > UINT32_MAX)
        return titan_fail(TITAN_E_DATA, "spm: %zu bytes is too large", len);
    int32_t n;
    size_t text_bytes;
    TITAN_TRY(walk_model(data, len, NULL, &n, &text_bytes));
    titan_spm *spm;
    piece_sink sink;
    TITAN_TRY(titan_arena_alloc(a, sizeof *spm, TITAN_ALIGN, (void **)&spm));
    TITAN_TRY(alloc_sink(a, n, text_bytes, &sink));
    *out = spm;
    if (!spm) return TITAN_OK; /* measuring */
    *spm = (titan_spm){n, sink.type, sink.offset, sink.text, {n, sink.base, sink.flags}};
    return walk_model(data, len, &sink, &n, &text_bytes);
}
