/* artifact_read.c: verify and load an artifact (layout in
 * formats/artifact_format.h) from memory or from a file. Arena carving, in
 * order: config, tokenizer blob and tables, directory, tensor table, tensor
 * data; stored bytes and decoder pools sit above them only while a section
 * is decoded. The same code runs in measuring mode for the tensor data, which
 * is how titan_artifact_plan is exact. */
#include "formats/artifact_format.h"

#include "core/base/le.h"
#include "formats/codec.h"
#include "platform/file.h"
#include "quant/dtype.h"
#include "quant/quant.h"

#include <stdio.h>
#include <string.h>

static const char *const section_names[ART_N_SECTIONS_MAX] = {
    "config", "tokenizer", "directory", "data", "ngram"};

titan_status art_fail_in(titan_status st, const char *what) {
    return titan_fail_in(st, "artifact: %s", what);
}

/* Where stored bytes come from: a caller buffer, or a file read on demand. */
typedef struct {
    const uint8_t *mem;  /* whole artifact in memory, or NULL */
    const char *path;    /* else the file */
    uint64_t len;        /* file size */
    uint32_t n_sections; /* from the head, once parsed */
} art_source;

/* Stored bytes [off, off + n): a pointer into memory, or a fresh arena block
 * read from the file (only counted in measuring mode). */
static titan_status source_get(titan_arena *a, const art_source *src, uint64_t off,
                               size_t n, const uint8_t **out) {
    if (src->mem) {
        *out = src->mem + off;
        return TITAN_OK;
    }
    void *buf;
    TITAN_TRY(titan_arena_alloc(a, n, TITAN_ALIGN, &buf));
    *out = buf;
    return buf ? titan_file_read_at(src->path, off, buf, n) : TITAN_OK;
}

/* Largest raw size each small section may declare. */
static uint64_t raw_limit(int kind) {
    switch (kind) {
    case ART_CONFIG: return ART_CONFIG_BYTES + ART_CONFIG_EXT_MAX;
    case ART_TOKENIZER: /* a TOK file or a SentencePiece model */
        return titan_tokenizer_serialized_size(TITAN_TOK_MAX - 257) > TITAN_SPM_MAX_BYTES
                   ? titan_tokenizer_serialized_size(TITAN_TOK_MAX - 257)
                   : TITAN_SPM_MAX_BYTES;
    case ART_DIRECTORY:
        return ART_DIR_HEADER + (uint64_t)TITAN_MAX_TENSORS * ART_DIR_ENTRY;
    case ART_NGRAM: return TITAN_NGRAM_MAX_BYTES;
    default: return (uint64_t)1 << 44; /* checked exactly against the directory */
    }
}

static titan_status parse_section(const uint8_t *e, int kind, uint64_t start,
                                  art_section *s) {
    const char *name = section_names[kind];
    if (le_rd32(e) != (uint32_t)kind + 1)
        return titan_fail(TITAN_E_DATA, "artifact: section %d has kind %u", kind + 1,
                          le_rd32(e));
    uint32_t codec = le_rd32(e + 4);
    if (codec > TITAN_CODEC_AUTO || (codec == TITAN_CODEC_AUTO && kind != ART_DATA))
        return titan_fail(TITAN_E_DATA, "artifact: %s section: unknown codec %u", name,
                          codec);
    s->codec = (titan_codec)codec;
    s->offset = le_rd64(e + 8);
    s->stored_bytes = le_rd64(e + 16);
    s->raw_bytes = le_rd64(e + 24);
    s->stored_crc = le_rd32(e + 32);
    s->raw_crc = le_rd32(e + 36);
    if (s->offset != art_align(start))
        return titan_fail(TITAN_E_DATA, "artifact: %s section at %llu, expected %llu",
                          name, (unsigned long long)s->offset,
                          (unsigned long long)art_align(start));
    uint64_t most = s->codec == TITAN_CODEC_AUTO /* every group at most its raw size */
                        ? s->raw_bytes + ART_GROUP_TABLE_MAX
                        : titan_codec_bound(s->codec, (size_t)s->raw_bytes);
    if (s->codec == TITAN_CODEC_AUTO && s->raw_crc)
        return titan_fail(TITAN_E_DATA, "artifact: grouped data section with a raw CRC");
    if (s->raw_bytes > raw_limit(kind) || s->stored_bytes > most ||
        (s->codec == TITAN_CODEC_NONE &&
         (s->stored_bytes != s->raw_bytes || s->stored_crc != s->raw_crc)))
        return titan_fail(
            TITAN_E_DATA, "artifact: %s section: absurd sizes (stored %llu, raw %llu)",
            name, (unsigned long long)s->stored_bytes, (unsigned long long)s->raw_bytes);
    return TITAN_OK;
}

static titan_status parse_head(const uint8_t *h, art_source *src, art_section *sec,
                               uint32_t *version) {
    uint64_t file_len = src->len;
    if (file_len < ART_HEAD_BYTES)
        return titan_fail(TITAN_E_DATA, "artifact: truncated (%llu bytes)",
                          (unsigned long long)file_len);
    if (memcmp(h, ART_MAGIC, 8))
        return titan_fail(TITAN_E_DATA, "artifact: bad magic (not a Titan artifact)");
    *version = le_rd32(h + 8);
    if (*version < ART_VERSION_1 || *version > ART_VERSION_3)
        return titan_fail(TITAN_E_DATA, "artifact: unsupported version %u", *version);
    uint32_t n = le_rd32(h + 12);
    if (n != ART_N_SECTIONS && n != ART_N_SECTIONS_MAX)
        return titan_fail(TITAN_E_DATA, "artifact: %u sections (4 or 5)", n);
    if (file_len < art_head_bytes(n))
        return titan_fail(TITAN_E_DATA, "artifact: truncated (%llu bytes)",
                          (unsigned long long)file_len);
    if (titan_crc32(0, h, art_head_crc_at(n)) != le_rd32(h + art_head_crc_at(n)))
        return titan_fail(TITAN_E_DATA, "artifact: header checksum mismatch");
    if (le_rd32(h + 24) || le_rd32(h + 28))
        return titan_fail(TITAN_E_DATA, "artifact: unsupported header fields");
    if (le_rd64(h + 16) != file_len)
        return titan_fail(TITAN_E_DATA,
                          "artifact: %llu bytes, header says %llu "
                          "(truncated or extended)",
                          (unsigned long long)file_len,
                          (unsigned long long)le_rd64(h + 16));
    src->n_sections = n;
    uint64_t end = art_head_bytes(n);
    for (int k = 0; k < (int)n; k++) {
        TITAN_TRY(parse_section(h + 32 + k * ART_SECTION_ENTRY, k, end, &sec[k]));
        if (sec[k].stored_bytes > file_len ||
            sec[k].offset > file_len - sec[k].stored_bytes)
            return titan_fail(TITAN_E_DATA, "artifact: %s section runs past the end",
                              section_names[k]);
        end = sec[k].offset + sec[k].stored_bytes;
    }
    if (end != file_len)
        return titan_fail(TITAN_E_DATA, "artifact: %llu bytes after the %s section",
                          (unsigned long long)(file_len - end), section_names[n - 1]);
    return TITAN_OK;
}

/* The padding before section k is zero, so no byte of the file goes unchecked. */
static titan_status check_padding(const art_source *src, const art_section *sec, int k) {
    uint64_t from =
        k ? sec[k - 1].offset + sec[k - 1].stored_bytes : art_head_bytes(src->n_sections);
    uint8_t pad[TITAN_ALIGN];
    size_t n = (size_t)(sec[k].offset - from);
    const uint8_t *p = pad;
    if (src->mem)
        p = src->mem + from;
    else if (n)
        TITAN_TRY(titan_file_read_at(src->path, from, pad, n));
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return titan_fail(TITAN_E_DATA,
                              "artifact: padding byte %llu is "
                              "not zero",
                              (unsigned long long)(from + i));
    return TITAN_OK;
}

/* A fresh block of section k's raw size (*raw), then its stored bytes,
 * their CRC checked, in scratch above *mark (uncoded from a file: read
 * straight into the block). */
static titan_status get_stored(titan_arena *a, const art_source *src,
                               const art_section *sec, int k, uint8_t **raw, size_t *mark,
                               const uint8_t **stored) {
    const art_section *s = &sec[k];
    size_t raw_len = (size_t)s->raw_bytes, stored_len = (size_t)s->stored_bytes;
    void *out;
    TITAN_TRY(titan_arena_alloc(a, raw_len, TITAN_ALIGN, &out));
    *raw = out;
    *mark = titan_arena_mark(a);
    TITAN_TRY(check_padding(src, sec, k));
    if (s->codec == TITAN_CODEC_NONE && !src->mem) { /* straight into place */
        *stored = out;
        if (out) TITAN_TRY(titan_file_read_at(src->path, s->offset, out, raw_len));
    } else {
        TITAN_TRY(source_get(a, src, s->offset, stored_len, stored));
    }
    if (a->base && titan_crc32(0, *stored, stored_len) != s->stored_crc)
        return titan_fail(TITAN_E_DATA, "artifact: %s section checksum mismatch",
                          section_names[k]);
    return TITAN_OK;
}

/* Decode section k into a fresh block of its raw size, checking both CRCs. */
static titan_status decode_section(titan_arena *a, const art_source *src,
                                   const art_section *sec, int k, uint8_t **raw) {
    const art_section *s = &sec[k];
    size_t raw_len = (size_t)s->raw_bytes, stored_len = (size_t)s->stored_bytes, mark;
    const uint8_t *stored;
    TITAN_TRY(get_stored(a, src, sec, k, raw, &mark, &stored));
    uint8_t *out = *raw;
    if (s->codec == TITAN_CODEC_NONE) { /* stored is raw: one CRC covers both */
        if (stored != out && a->base) memcpy(out, stored, raw_len);
        titan_arena_reset(a, mark);
        return TITAN_OK;
    }
    titan_status st = titan_codec_decode(a, s->codec, stored, stored_len, out, raw_len);
    if (st != TITAN_OK) return art_fail_in(st, section_names[k]);
    if (a->base && titan_crc32(0, out, raw_len) != s->raw_crc)
        return titan_fail(TITAN_E_DATA,
                          "artifact: %s section decodes to wrong "
                          "bytes (raw checksum)",
                          section_names[k]);
    titan_arena_reset(a, mark);
    return TITAN_OK;
}

/* What titan inspect shows of a grouped section. */
static void report_groups(const art_group_table *tab, titan_codec_report *r) {
    r->n = (int)tab->n_groups;
    for (uint32_t g = 0; g < tab->n_groups; g++) {
        const art_group *e = &tab->g[g];
        r->c[g] = (titan_codec_choice){.codec = (titan_codec)e->codec,
                                       .shuffle = (int)e->width,
                                       .raw_bytes = e->raw_bytes,
                                       .stored_bytes = e->stored_bytes};
        snprintf(r->c[g].name, sizeof r->c[g].name, "%s", art_group_names[e->kind]);
    }
}

/* The grouped data section (codec auto): the group table is read even in
 * measuring mode (it sizes each group's scratch), checked, then each group
 * decoded into place. */
static titan_status decode_grouped(titan_arena *a, const art_source *src,
                                   const art_section *sec, titan_artifact *art,
                                   uint8_t **raw) {
    const art_section *s = &sec[ART_DATA];
    size_t raw_len = (size_t)s->raw_bytes, stored_len = (size_t)s->stored_bytes, mark;
    const uint8_t *stored;
    TITAN_TRY(get_stored(a, src, sec, ART_DATA, raw, &mark, &stored));
    uint8_t *out = *raw, head[ART_GROUP_TABLE_MAX];
    size_t avail = stored_len < sizeof head ? stored_len : sizeof head;
    const uint8_t *table = stored;
    if (!table && src->mem) table = src->mem + s->offset;
    if (!table) {
        TITAN_TRY(titan_file_read_at(src->path, s->offset, head, avail));
        table = head;
    }
    art_group_table tab;
    TITAN_TRY(
        art_groups_parse(table, avail, stored_len, art->tensors, art->n_tensors, &tab));
    if (a->base) memset(out, 0, raw_len);
    TITAN_TRY(art_groups_decode(a, &tab, stored, art->tensors, art->n_tensors, out));
    report_groups(&tab, &art->groups);
    titan_arena_reset(a, mark);
    return TITAN_OK;
}

/* One directory entry against the tensor the config says comes next. */
static titan_status read_entry(const uint8_t *e, const titan_tensor_spec *spec,
                               uint64_t expect_offset, titan_tensor *t) {
    char name[TITAN_NAME_MAX] = {0};
    memcpy(name, spec->name, strnlen(spec->name, sizeof name - 1));
    if (memcmp(e, name, TITAN_NAME_MAX))
        return titan_fail(TITAN_E_DATA,
                          "artifact: directory entry '%.47s' where "
                          "the config has %s",
                          (const char *)e, spec->name);
    memcpy(t->name, name, sizeof name);
    t->dtype = (titan_dtype)le_rd32(e + 48);
    t->ndim = (int)le_rd32(e + 52);
    t->rows = (int64_t)le_rd64(e + 56);
    t->cols = (int64_t)le_rd64(e + 64);
    t->group_size = (int32_t)le_rd32(e + 72);
    if (t->ndim != spec->ndim || t->rows != spec->rows || t->cols != spec->cols ||
        le_rd32(e + 76))
        return titan_fail(TITAN_E_DATA,
                          "artifact: %s: shape [%lld, %lld] (%d-D), "
                          "config says [%lld, %lld]",
                          name, (long long)t->rows, (long long)t->cols, t->ndim,
                          (long long)spec->rows, (long long)spec->cols);
    titan_tensor_layout_t l;
    titan_status st = titan_tensor_layout(t->dtype, t->rows, t->cols, t->group_size, &l);
    if (st != TITAN_OK) return art_fail_in(st, name);
    if (le_rd64(e + 80) != expect_offset || le_rd64(e + 88) != l.total_bytes)
        return titan_fail(TITAN_E_DATA,
                          "artifact: %s: offset %llu size %llu, "
                          "expected %llu and %llu",
                          name, (unsigned long long)le_rd64(e + 80),
                          (unsigned long long)le_rd64(e + 88),
                          (unsigned long long)expect_offset,
                          (unsigned long long)l.total_bytes);
    t->stored_bytes = l.total_bytes;
    return TITAN_OK;
}

/* Fill the tensor table from the directory; *data_bytes gets the exact size
 * the data section must decode to. */
static titan_status read_directory(titan_arena *a, const uint8_t *dir, size_t len,
                                   titan_artifact *art, uint64_t *data_bytes) {
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(&art->config, specs, TITAN_MAX_TENSORS);
    if (len < ART_DIR_HEADER || le_rd32(dir) != (uint32_t)n || le_rd32(dir + 4) ||
        len != ART_DIR_HEADER + (size_t)n * ART_DIR_ENTRY)
        return titan_fail(TITAN_E_DATA,
                          "artifact: directory lists %u tensors in "
                          "%zu bytes, the config has %d",
                          len >= 4 ? le_rd32(dir) : 0, len, n);
    titan_tensor *t;
    TITAN_TRY(titan_arena_calloc(a, (size_t)n * sizeof *t, TITAN_ALIGN, (void **)&t));
    uint64_t end = 0;
    for (int i = 0; i < n; i++) {
        const uint8_t *e = dir + ART_DIR_HEADER + (size_t)i * ART_DIR_ENTRY;
        TITAN_TRY(read_entry(e, &specs[i], art_align(end), &t[i]));
        end = art_align(end) + t[i].stored_bytes;
    }
    art->n_tensors = n;
    art->tensors = t;
    *data_bytes = end;
    return TITAN_OK;
}

/* Point each tensor into the data and check its scales (and int6 slack). */
static titan_status bind_tensors(const uint8_t *dir, const uint8_t *data,
                                 titan_artifact *art) {
    titan_tensor *t = (titan_tensor *)art->tensors;
    for (int i = 0; i < art->n_tensors; i++) {
        const uint8_t *p =
            data + le_rd64(dir + ART_DIR_HEADER + (size_t)i * ART_DIR_ENTRY + 80);
        t[i].data = p;
        if (!titan_dtype_get(t[i].dtype)->quantized) continue;
        titan_tensor_layout_t l;
        TITAN_TRY(
            titan_tensor_layout(t[i].dtype, t[i].rows, t[i].cols, t[i].group_size, &l));
        t[i].scales = (const float *)(p + l.scale_offset);
        TITAN_TRY(titan_quant_check_scales(t[i].scales, (int64_t)l.groups * t[i].rows,
                                           TITAN_E_DATA, t[i].name));
        titan_status st = titan_quant_check_slack(&t[i]);
        if (st != TITAN_OK) return art_fail_in(st, t[i].name);
    }
    return TITAN_OK;
}

/* Config, tokenizer and directory: always decoded for real. */
static titan_status load_meta(titan_arena *a, const art_source *src,
                              const art_section *sec, uint32_t version,
                              titan_artifact *art, const uint8_t **dir,
                              uint64_t *data_bytes) {
    uint8_t *cfg, *tok, *d;
    TITAN_TRY(decode_section(a, src, sec, ART_CONFIG, &cfg));
    TITAN_TRY(art_config_decode(a, cfg, (size_t)sec[ART_CONFIG].raw_bytes, version,
                                &art->config));
    TITAN_TRY(decode_section(a, src, sec, ART_TOKENIZER, &tok));
    titan_status st = titan_tokenizer_load(a, tok, (size_t)sec[ART_TOKENIZER].raw_bytes,
                                           &art->tokenizer);
    if (st != TITAN_OK) return art_fail_in(st, "tokenizer section");
    if (titan_tokenizer_size(art->tokenizer) > art->config.vocab_size)
        return titan_fail(TITAN_E_DATA,
                          "artifact: tokenizer has %d tokens, "
                          "vocab_size is %d",
                          titan_tokenizer_size(art->tokenizer), art->config.vocab_size);
    if (art->config.bos_id != titan_tokenizer_bos(art->tokenizer))
        return titan_fail(TITAN_E_DATA, "config: bos_id %d, the tokenizer's BOS is %d",
                          art->config.bos_id, titan_tokenizer_bos(art->tokenizer));
    art->tokenizer_blob = tok;
    art->tokenizer_blob_len = (size_t)sec[ART_TOKENIZER].raw_bytes;
    TITAN_TRY(decode_section(a, src, sec, ART_DIRECTORY, &d));
    TITAN_TRY(
        read_directory(a, d, (size_t)sec[ART_DIRECTORY].raw_bytes, art, data_bytes));
    *dir = d;
    return TITAN_OK;
}

/* The optional n-gram table, kept in the arena (measuring mode: counted). */
static titan_status load_ngram(titan_arena *a, const art_source *src,
                               const art_section *sec, titan_artifact *art) {
    if (src->n_sections <= ART_NGRAM) return TITAN_OK;
    uint8_t *raw;
    TITAN_TRY(decode_section(a, src, sec, ART_NGRAM, &raw));
    art->ngram_stored_bytes = sec[ART_NGRAM].stored_bytes;
    if (!a->base) return TITAN_OK;
    titan_status st = titan_ngram_parse(raw, (size_t)sec[ART_NGRAM].raw_bytes,
                                        art->config.vocab_size, &art->ngram);
    return st == TITAN_OK ? TITAN_OK : art_fail_in(st, "ngram section");
}

/* Tensor data: decoded, or in measuring mode only counted. */
static titan_status load_data(titan_arena *a, const art_source *src,
                              const art_section *sec, titan_artifact *art,
                              const uint8_t *dir, uint64_t data_bytes) {
    if (sec[ART_DATA].raw_bytes != data_bytes)
        return titan_fail(TITAN_E_DATA,
                          "artifact: data section declares %llu "
                          "bytes, the directory needs %llu",
                          (unsigned long long)sec[ART_DATA].raw_bytes,
                          (unsigned long long)data_bytes);
    uint8_t *data;
    if (sec[ART_DATA].codec == TITAN_CODEC_AUTO)
        TITAN_TRY(decode_grouped(a, src, sec, art, &data));
    else
        TITAN_TRY(decode_section(a, src, sec, ART_DATA, &data));
    art->codec = sec[ART_DATA].codec;
    art->data_raw_bytes = sec[ART_DATA].raw_bytes;
    art->data_stored_bytes = sec[ART_DATA].stored_bytes;
    art->file_bytes = src->len;
    if (a->base) TITAN_TRY(bind_tensors(dir, data, art));
    return load_ngram(a, src, sec, art);
}

static titan_status load(titan_arena *a, art_source *src, const uint8_t *head,
                         titan_artifact *art) {
    art_section sec[ART_N_SECTIONS_MAX];
    const uint8_t *dir;
    uint64_t data_bytes;
    *art = (titan_artifact){0};
    uint32_t version;
    TITAN_TRY(parse_head(head, src, sec, &version));
    TITAN_TRY(load_meta(a, src, sec, version, art, &dir, &data_bytes));
    return load_data(a, src, sec, art, dir, data_bytes);
}

titan_status titan_artifact_parse(titan_arena *a, const uint8_t *bytes, size_t len,
                                  titan_artifact *art) {
    if (!a || !a->base || !art || (!bytes && len))
        return titan_fail(TITAN_E_USAGE, "artifact: bad parse arguments");
    art_source src = {bytes, NULL, len, 0};
    if (len < ART_HEAD_BYTES)
        return titan_fail(TITAN_E_DATA, "artifact: truncated (%zu bytes)", len);
    return load(a, &src, bytes, art);
}

/* Open a file source and read its head. */
static titan_status open_file(const char *path, art_source *src,
                              uint8_t head[ART_HEAD_MAX]) {
    size_t size;
    TITAN_TRY(titan_file_size(path, &size));
    *src = (art_source){NULL, path, size, 0};
    if (size < ART_HEAD_BYTES)
        return titan_fail(TITAN_E_DATA, "%s: truncated artifact (%zu bytes)", path, size);
    memset(head, 0, ART_HEAD_MAX);
    return titan_file_read_at(path, 0, head, size < ART_HEAD_MAX ? size : ART_HEAD_MAX);
}

titan_status titan_artifact_load(titan_arena *a, const char *path, titan_artifact *art) {
    if (!a || !a->base || !path || !art)
        return titan_fail(TITAN_E_USAGE, "artifact: bad load arguments");
    art_source src;
    uint8_t head[ART_HEAD_MAX];
    TITAN_TRY(open_file(path, &src, head));
    return load(a, &src, head, art);
}

titan_status titan_artifact_load_meta(titan_arena *a, const char *path,
                                      titan_artifact *art) {
    if (!a || !a->base || !path || !art)
        return titan_fail(TITAN_E_USAGE, "artifact: bad load arguments");
    art_source src;
    uint8_t head[ART_HEAD_MAX];
    art_section sec[ART_N_SECTIONS_MAX];
    uint32_t version;
    const uint8_t *dir;
    uint64_t data_bytes;
    TITAN_TRY(open_file(path, &src, head));
    TITAN_TRY(parse_head(head, &src, sec, &version));
    *art = (titan_artifact){0};
    return load_meta(a, &src, sec, version, art, &dir, &data_bytes);
}

titan_status titan_artifact_plan_runtime(titan_arena *scratch, const char *path,
                                         titan_config *c, size_t *high, size_t *kept) {
    if (!scratch || !scratch->base || !path || !c || !high || !kept)
        return titan_fail(TITAN_E_USAGE, "artifact: bad plan arguments");
    art_source src;
    uint8_t head[ART_HEAD_MAX];
    TITAN_TRY(open_file(path, &src, head));
    art_section sec[ART_N_SECTIONS_MAX];
    uint32_t version;
    TITAN_TRY(parse_head(head, &src, sec, &version));
    /* A 64-aligned sub-arena carves the metadata exactly as a fresh one would. */
    size_t mark = titan_arena_mark(scratch);
    void *block;
    size_t room = scratch->cap - scratch->used;
    room = room > TITAN_ALIGN ? room - TITAN_ALIGN : 0;
    TITAN_TRY(titan_arena_alloc(scratch, room, TITAN_ALIGN, &block));
    titan_arena meta, measure;
    titan_arena_init(&meta, block, room);
    titan_artifact art = {0};
    const uint8_t *dir;
    uint64_t data_bytes;
    titan_status st = load_meta(&meta, &src, sec, version, &art, &dir, &data_bytes);
    titan_arena_init(&measure, NULL, 0);
    measure.used = meta.used;
    measure.high = meta.high;
    if (st == TITAN_OK) st = load_data(&measure, &src, sec, &art, dir, data_bytes);
    titan_arena_reset(scratch, mark);
    *c = art.config;
    *high = measure.high;
    *kept = measure.used;
    return st;
}

titan_status titan_artifact_plan(titan_arena *scratch, const char *path, size_t *bytes) {
    titan_config c;
    size_t kept;
    return titan_artifact_plan_runtime(scratch, path, &c, bytes, &kept);
}

const titan_tensor *titan_artifact_find(const titan_artifact *art, const char *name) {
    for (int i = 0; art && name && i < art->n_tensors; i++)
        if (!strcmp(art->tensors[i].name, name)) return &art->tensors[i];
    return NULL;
}
