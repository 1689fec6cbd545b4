/* artifact_groups_write.c: the writer's side of the grouped data section
 * (layout in formats/artifact_format.h): each group's raw stream encoded with
 * none, lzma, xz and brotli, as is and (where its elements are wider than a
 * byte) byte-shuffled, keeping the smallest; ties keep the earlier of that
 * order, so a group is stored raw unless a codec makes it smaller. Then the
 * whole section under each codec: a smaller one replaces the grouped form. */
#include "formats/artifact_format.h"

#include "core/base/le.h"
#include "formats/byte_shuffle.h"
#include "formats/codec.h"
#include "quant/dtype.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    art_group_table tab;
    art_piece values[TITAN_MAX_TENSORS], scales[TITAN_MAX_TENSORS];
    size_t width[ART_GROUPS_MAX];     /* shuffle width tried (1: none) */
    uint64_t biggest[ART_GROUPS_MAX]; /* bytes of the piece that set it */
    double done, total;               /* progress over every trial's input */
    titan_arena *arena;
} plan;

static void add_piece(plan *p, uint8_t g, uint64_t bytes, size_t width) {
    p->tab.g[g].raw_bytes += bytes;
    if (bytes > p->biggest[g]) p->biggest[g] = bytes, p->width[g] = width;
}

/* Groups in kind order, only those with tensors, and each tensor's pair. */
static titan_status plan_groups(const titan_config *c, const titan_tensor *t, int n,
                                plan *p) {
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    if (titan_config_tensors(c, specs, TITAN_MAX_TENSORS) != n)
        return titan_fail(TITAN_E_USAGE, "artifact: tensors differ from the config");
    TITAN_TRY(art_data_pieces(t, n, p->values, p->scales));
    int kind[TITAN_MAX_TENSORS], used[ART_GROUP_KINDS] = {0}, id[ART_GROUP_KINDS];
    for (int i = 0; i < n; i++) {
        kind[i] = art_group_kind_of(&specs[i]);
        used[kind[i]] = 1;
        if (p->scales[i].bytes) used[ART_KIND_SCALES] = 1;
    }
    p->tab.n_groups = 0;
    for (int k = 0; k < ART_GROUP_KINDS; k++)
        if (used[k]) {
            id[k] = (int)p->tab.n_groups;
            p->tab.g[p->tab.n_groups++] = (art_group){.kind = (uint32_t)k};
        }
    for (int i = 0; i < n; i++) {
        p->tab.values[i] = (uint8_t)id[kind[i]];
        p->tab.scales[i] =
            p->scales[i].bytes ? (uint8_t)id[ART_KIND_SCALES] : ART_NO_GROUP;
        add_piece(p, p->tab.values[i], p->values[i].bytes, art_value_width(t[i].dtype));
        if (p->scales[i].bytes) add_piece(p, p->tab.scales[i], p->scales[i].bytes, 4);
    }
    p->tab.table_bytes =
        ART_GROUP_TABLE_HEAD + p->tab.n_groups * ART_GROUP_ENTRY + 2 * (size_t)n;
    return TITAN_OK;
}

/* Group g's raw stream: its pieces in directory order, values before scales. */
static void gather(const plan *p, uint32_t g, const uint8_t *data, int n, uint8_t *dst) {
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (p->tab.values[i] == g) {
            memcpy(dst + at, data + p->values[i].off, (size_t)p->values[i].bytes);
            at += (size_t)p->values[i].bytes;
        }
        if (p->tab.scales[i] == g) {
            memcpy(dst + at, data + p->scales[i].off, (size_t)p->scales[i].bytes);
            at += (size_t)p->scales[i].bytes;
        }
    }
}

/* Scratch for the trials: the raw stream, its shuffle, an encoder output. */
typedef struct {
    uint8_t *raw, *shuffled, *trial;
    size_t cap;
} buffers;

static titan_status trial(plan *p, const titan_progress *progress, titan_codec codec,
                          const uint8_t *src, size_t len, const buffers *b, size_t *out) {
    TITAN_TRY(titan_codec_encode(codec, src, len, b->trial, b->cap, out));
    p->done += (double)len;
    if (progress && progress->fn) progress->fn(progress->user, p->done, p->total);
    return TITAN_OK;
}

/* Encode group g into dst (room: its raw size), the smallest of the trials. */
static titan_status encode_group(plan *p, uint32_t g, const uint8_t *data, int n,
                                 const buffers *b, const titan_progress *progress,
                                 uint8_t *dst, titan_codec_choice *ch) {
    art_group *e = &p->tab.g[g];
    size_t len = (size_t)e->raw_bytes, w = p->width[g], best = len;
    gather(p, g, data, n, b->raw);
    e->raw_crc = titan_crc32(0, b->raw, len);
    e->codec = TITAN_CODEC_NONE, e->width = 1;
    memcpy(dst, b->raw, len);
    ch->plain[TITAN_CODEC_NONE] = len;
    if (w > 1) byte_shuffle(b->shuffled, b->raw, len, w);
    for (int c = TITAN_CODEC_LZMA; c <= TITAN_CODEC_BROTLI; c++)
        for (int s = 0; s < (w > 1 ? 2 : 1); s++) {
            size_t got;
            TITAN_TRY(trial(p, progress, (titan_codec)c, s ? b->shuffled : b->raw, len, b,
                            &got));
            (s ? ch->shuffled : ch->plain)[c] = got;
            if (got >= best) continue;
            best = got, e->codec = (uint32_t)c, e->width = s ? (uint32_t)w : 1;
            memcpy(dst, b->trial, got);
        }
    e->stored_bytes = best;
    snprintf(ch->name, sizeof ch->name, "%s", art_group_names[e->kind]);
    ch->codec = (titan_codec)e->codec, ch->shuffle = (int)e->width;
    ch->raw_bytes = len, ch->stored_bytes = best;
    return TITAN_OK;
}

static void write_table(const art_group_table *tab, int n, uint8_t *out) {
    le_wr32(out, tab->n_groups);
    le_wr32(out + 4, (uint32_t)n);
    for (uint32_t g = 0; g < tab->n_groups; g++) {
        uint8_t *e = out + ART_GROUP_TABLE_HEAD + g * ART_GROUP_ENTRY;
        le_wr32(e, tab->g[g].kind);
        le_wr32(e + 4, tab->g[g].codec);
        le_wr32(e + 8, tab->g[g].width);
        le_wr32(e + 12, tab->g[g].raw_crc);
        le_wr64(e + 16, tab->g[g].raw_bytes);
        le_wr64(e + 24, tab->g[g].stored_bytes);
    }
    uint8_t *pairs = out + tab->table_bytes - 2 * (size_t)n;
    for (int i = 0; i < n; i++)
        pairs[2 * i] = tab->values[i], pairs[2 * i + 1] = tab->scales[i];
}

static titan_status alloc_buffers(titan_arena *a, const plan *p, buffers *b) {
    size_t most = 0;
    for (uint32_t g = 0; g < p->tab.n_groups; g++)
        if (p->tab.g[g].raw_bytes > most) most = (size_t)p->tab.g[g].raw_bytes;
    b->cap = titan_codec_bound(TITAN_CODEC_XZ, most);
    size_t br = titan_codec_bound(TITAN_CODEC_BROTLI, most);
    b->cap = br > b->cap ? br : b->cap;
    if (!b->cap) return titan_fail(TITAN_E_NOMEM, "artifact: too large");
    TITAN_TRY(titan_arena_alloc(a, most, TITAN_ALIGN, (void **)&b->raw));
    TITAN_TRY(titan_arena_alloc(a, most, TITAN_ALIGN, (void **)&b->shuffled));
    return titan_arena_alloc(a, b->cap, TITAN_ALIGN, (void **)&b->trial);
}

static void add_choice(titan_codec_report *r, const titan_codec_choice *ch) {
    if (r && r->n < TITAN_CODEC_CHOICES_MAX) r->c[r->n++] = *ch;
}

/* The whole section under each codec, as --codec C stores it: kept when
 * smaller than the grouped form, so auto is never larger than any codec. */
static titan_status try_whole(plan *p, const uint8_t *data, size_t len,
                              const titan_progress *progress, uint8_t **out,
                              size_t *out_len, titan_codec *form,
                              titan_codec_choice *ch) {
    size_t cap = titan_codec_bound(TITAN_CODEC_XZ, len);
    size_t br = titan_codec_bound(TITAN_CODEC_BROTLI, len);
    cap = br > cap ? br : cap;
    if (!cap) return titan_fail(TITAN_E_NOMEM, "artifact: too large");
    buffers b = {.cap = cap};
    ch->plain[TITAN_CODEC_NONE] = len;
    for (int c = TITAN_CODEC_LZMA; c <= TITAN_CODEC_BROTLI; c++) {
        uint8_t *dst;
        TITAN_TRY(titan_arena_alloc(p->arena, cap, TITAN_ALIGN, (void **)&dst));
        b.trial = dst;
        size_t got;
        TITAN_TRY(trial(p, progress, (titan_codec)c, data, len, &b, &got));
        ch->plain[c] = got;
        if (got < *out_len)
            *out = dst, *out_len = got, *form = (titan_codec)c; /* kept in the arena */
    }
    return TITAN_OK;
}

titan_status art_groups_encode(titan_arena *a, const titan_config *c,
                               const titan_tensor *t, int n, const uint8_t *data,
                               size_t len, const titan_progress *progress, uint8_t **out,
                               size_t *out_len, bool grouped_only, titan_codec *form,
                               titan_codec_report *report) {
    plan *p;
    TITAN_TRY(titan_arena_calloc(a, sizeof *p, TITAN_ALIGN, (void **)&p));
    p->arena = a;
    TITAN_TRY(plan_groups(c, t, n, p));
    uint8_t *f;
    TITAN_TRY(titan_arena_alloc(a, p->tab.table_bytes + len, TITAN_ALIGN, (void **)&f));
    size_t mark = titan_arena_mark(a), at = p->tab.table_bytes;
    buffers b;
    TITAN_TRY(alloc_buffers(a, p, &b));
    p->total = grouped_only ? 0 : 3 * (double)len;
    for (uint32_t g = 0; g < p->tab.n_groups; g++)
        p->total += (double)p->tab.g[g].raw_bytes * (p->width[g] > 1 ? 6 : 3);
    for (uint32_t g = 0; g < p->tab.n_groups; g++) {
        titan_codec_choice ch = {0};
        TITAN_TRY(encode_group(p, g, data, n, &b, progress, f + at, &ch));
        at += (size_t)p->tab.g[g].stored_bytes;
        add_choice(report, &ch);
    }
    titan_arena_reset(a, mark);
    write_table(&p->tab, n, f);
    *out = f, *out_len = at, *form = TITAN_CODEC_AUTO;
    if (grouped_only) return TITAN_OK;
    titan_codec_choice whole = {.name = "data", .shuffle = 1, .raw_bytes = len};
    TITAN_TRY(try_whole(p, data, len, progress, out, out_len, form, &whole));
    whole.codec = *form, whole.stored_bytes = *out_len;
    add_choice(report, &whole);
    return TITAN_OK;
}
