/* artifact_groups.c: the grouped data section (layout in
 * formats/artifact_format.h): which group a tensor belongs to, and the
 * reader's side: the table checked before any stream is decoded, then each
 * group decoded in scratch and scattered into place, unshuffled. */
#include "formats/artifact_format.h"

#include "core/base/le.h"
#include "formats/byte_shuffle.h"
#include "formats/codec.h"
#include "quant/dtype.h"

#include <string.h>

const char *const art_group_names[ART_GROUP_KINDS] = {
    "embeddings", "attention", "mlp", "norms/scalars", "heads", "scales"};

art_group_kind art_group_kind_of(const titan_tensor_spec *s) {
    switch (s->role) {
    case TITAN_ROLE_EMBED: return ART_KIND_EMBED;
    case TITAN_ROLE_HEAD: return ART_KIND_HEAD;
    case TITAN_ROLE_NORM:
    case TITAN_ROLE_CONV: return ART_KIND_VECTORS;
    case TITAN_ROLE_MATRIX: break;
    }
    if (strncmp(s->name, "blocks.", 7)) return ART_KIND_EMBED; /* bigram, value_embed */
    bool mlp = strstr(s->name, ".w_up") || strstr(s->name, ".w_down") ||
               strstr(s->name, ".w_gate");
    return mlp ? ART_KIND_MLP : ART_KIND_ATTN;
}

size_t art_value_width(titan_dtype dt) {
    switch (dt) {
    case TITAN_DT_F32: return 4;
    case TITAN_DT_F16:
    case TITAN_DT_BF16: return 2;
    case TITAN_DT_INT6: return 3;
    case TITAN_DT_INT8:
    case TITAN_DT_INT6_BYTE: break;
    }
    return 1;
}

titan_status art_data_pieces(const titan_tensor *t, int n, art_piece *values,
                             art_piece *scales) {
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        titan_tensor_layout_t l;
        TITAN_TRY(
            titan_tensor_layout(t[i].dtype, t[i].rows, t[i].cols, t[i].group_size, &l));
        off = art_align(off);
        values[i] = (art_piece){off, l.value_bytes};
        scales[i] = (art_piece){off + l.scale_offset, l.scale_bytes};
        off += l.total_bytes;
    }
    return TITAN_OK;
}

static titan_status parse_group(const uint8_t *e, uint32_t g, art_group *out) {
    *out = (art_group){.kind = le_rd32(e),
                       .codec = le_rd32(e + 4),
                       .width = le_rd32(e + 8),
                       .raw_crc = le_rd32(e + 12),
                       .raw_bytes = le_rd64(e + 16),
                       .stored_bytes = le_rd64(e + 24)};
    if (out->kind >= ART_GROUP_KINDS)
        return titan_fail(TITAN_E_DATA, "artifact: data group %u: unknown kind %u", g,
                          out->kind);
    const char *name = art_group_names[out->kind];
    if (out->codec > TITAN_CODEC_BROTLI)
        return titan_fail(TITAN_E_DATA, "artifact: data group %u (%s): unknown codec %u",
                          g, name, out->codec);
    if (out->width < 1 || out->width > ART_SHUFFLE_MAX)
        return titan_fail(TITAN_E_DATA,
                          "artifact: data group %u (%s): shuffle width %u (1 to %d)", g,
                          name, out->width, ART_SHUFFLE_MAX);
    if (!out->raw_bytes || out->stored_bytes > out->raw_bytes ||
        (out->codec == TITAN_CODEC_NONE && out->stored_bytes != out->raw_bytes))
        return titan_fail(TITAN_E_DATA,
                          "artifact: data group %u (%s): absurd sizes (stored %llu, "
                          "raw %llu)",
                          g, name, (unsigned long long)out->stored_bytes,
                          (unsigned long long)out->raw_bytes);
    return TITAN_OK;
}

/* Each tensor's pair of group ids, and the raw bytes they add to each group. */
static titan_status parse_members(const uint8_t *p, const titan_tensor *t, int n,
                                  art_group_table *tab, uint64_t *raw) {
    art_piece values[TITAN_MAX_TENSORS], scales[TITAN_MAX_TENSORS];
    TITAN_TRY(art_data_pieces(t, n, values, scales));
    for (int i = 0; i < n; i++) {
        uint8_t v = p[2 * i], s = p[2 * i + 1];
        bool quantized = scales[i].bytes > 0;
        if (v >= tab->n_groups || (quantized ? s >= tab->n_groups : s != ART_NO_GROUP))
            return titan_fail(TITAN_E_DATA,
                              "artifact: data group table: tensor %s in groups %u and "
                              "%u (of %u)",
                              t[i].name, v, s, tab->n_groups);
        tab->values[i] = v, tab->scales[i] = s;
        raw[v] += values[i].bytes;
        if (quantized) raw[s] += scales[i].bytes;
    }
    return TITAN_OK;
}

titan_status art_groups_parse(const uint8_t *p, size_t avail, uint64_t stored_len,
                              const titan_tensor *t, int n, art_group_table *tab) {
    if (avail < ART_GROUP_TABLE_HEAD)
        return titan_fail(TITAN_E_DATA, "artifact: data group table truncated");
    tab->n_groups = le_rd32(p);
    if (tab->n_groups < 1 || tab->n_groups > ART_GROUPS_MAX ||
        le_rd32(p + 4) != (uint32_t)n)
        return titan_fail(TITAN_E_DATA,
                          "artifact: data group table: %u groups (1 to %d), %u tensors "
                          "(the directory has %d)",
                          tab->n_groups, ART_GROUPS_MAX, le_rd32(p + 4), n);
    tab->table_bytes =
        ART_GROUP_TABLE_HEAD + tab->n_groups * ART_GROUP_ENTRY + 2 * (size_t)n;
    if (tab->table_bytes > avail)
        return titan_fail(TITAN_E_DATA, "artifact: data group table truncated");
    uint64_t raw[ART_GROUPS_MAX] = {0}, total = tab->table_bytes;
    for (uint32_t g = 0; g < tab->n_groups; g++) {
        TITAN_TRY(
            parse_group(p + ART_GROUP_TABLE_HEAD + g * ART_GROUP_ENTRY, g, &tab->g[g]));
        total += tab->g[g].stored_bytes; /* each <= raw <= 2^44: no overflow */
    }
    TITAN_TRY(parse_members(p + tab->table_bytes - 2 * (size_t)n, t, n, tab, raw));
    for (uint32_t g = 0; g < tab->n_groups; g++)
        if (raw[g] != tab->g[g].raw_bytes)
            return titan_fail(TITAN_E_DATA,
                              "artifact: data group %u (%s): %llu raw bytes, its tensors "
                              "hold %llu",
                              g, art_group_names[tab->g[g].kind],
                              (unsigned long long)tab->g[g].raw_bytes,
                              (unsigned long long)raw[g]);
    if (total != stored_len)
        return titan_fail(TITAN_E_DATA,
                          "artifact: data groups take %llu bytes, the section holds %llu",
                          (unsigned long long)total, (unsigned long long)stored_len);
    return TITAN_OK;
}

/* Scatter group g's raw stream (src, shuffled) into its pieces in out; the
 * CRC of the unshuffled stream must match. */
static titan_status scatter(const art_group_table *tab, uint32_t g, const uint8_t *src,
                            const art_piece *values, const art_piece *scales, int n,
                            uint8_t *out) {
    const art_group *e = &tab->g[g];
    size_t at = 0, len = (size_t)e->raw_bytes;
    uint32_t crc = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            const art_piece *pc = k ? &scales[i] : &values[i];
            if ((k ? tab->scales[i] : tab->values[i]) != g || !pc->bytes) continue;
            uint8_t *dst = out + pc->off;
            byte_unshuffle_range(dst, src, len, e->width, at, (size_t)pc->bytes);
            crc = titan_crc32(crc, dst, (size_t)pc->bytes);
            at += (size_t)pc->bytes;
        }
    if (crc != e->raw_crc)
        return titan_fail(TITAN_E_DATA,
                          "artifact: data group %u (%s) decodes to wrong bytes (raw "
                          "checksum)",
                          g, art_group_names[e->kind]);
    return TITAN_OK;
}

titan_status art_groups_decode(titan_arena *a, const art_group_table *tab,
                               const uint8_t *stored, const titan_tensor *t, int n,
                               uint8_t *out) {
    art_piece values[TITAN_MAX_TENSORS], scales[TITAN_MAX_TENSORS];
    TITAN_TRY(art_data_pieces(t, n, values, scales));
    size_t at = tab->table_bytes;
    for (uint32_t g = 0; g < tab->n_groups; g++) {
        const art_group *e = &tab->g[g];
        size_t mark = titan_arena_mark(a), raw = (size_t)e->raw_bytes;
        void *buf;
        TITAN_TRY(titan_arena_alloc(a, raw, TITAN_ALIGN, &buf));
        titan_status st =
            titan_codec_decode(a, (titan_codec)e->codec, a->base ? stored + at : NULL,
                               (size_t)e->stored_bytes, buf, raw);
        if (st != TITAN_OK)
            return titan_fail_in(st, "artifact: data group %u (%s)", g,
                                 art_group_names[e->kind]);
        if (a->base) TITAN_TRY(scatter(tab, g, buf, values, scales, n, out));
        at += (size_t)e->stored_bytes;
        titan_arena_reset(a, mark);
    }
    return TITAN_OK;
}
