/* artifact_write.c: build an artifact (layout in formats/artifact_format.h)
 * in a scratch arena and write it atomically. Everything the reader checks
 * is checked here first, so a file this writes always loads. */
#include "formats/artifact_format.h"

#include "core/base/le.h"
#include "formats/codec.h"
#include "platform/file.h"
#include "quant/dtype.h"
#include "quant/quant.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const uint8_t *raw; /* section bytes before the codec */
    size_t raw_len;
    const uint8_t *coded; /* codec auto, data: the stored form, already encoded */
    size_t coded_len;
    titan_codec coded_as; /* its codec (TITAN_CODEC_AUTO: grouped) */
} raw_section;

static const char *const section_names[ART_N_SECTIONS_MAX] = {
    "config", "tokenizer", "directory", "data", "ngram"};

/* Codec auto on a section: each codec in turn into dst, the smallest kept
 * (ties: the earlier codec), then re-encoded if it was not the last tried. */
static titan_status encode_smallest(const raw_section *r, uint8_t *dst, size_t cap,
                                    size_t *stored, titan_codec *pick,
                                    titan_codec_choice *ch) {
    size_t best = SIZE_MAX;
    for (int c = TITAN_CODEC_NONE; c <= TITAN_CODEC_BROTLI; c++) {
        size_t len;
        TITAN_TRY(titan_codec_encode((titan_codec)c, r->raw, r->raw_len, dst, cap, &len));
        ch->plain[c] = len;
        if (len < best) best = len, *pick = (titan_codec)c;
    }
    *stored = best;
    if (*pick == TITAN_CODEC_BROTLI) return TITAN_OK;
    return titan_codec_encode(*pick, r->raw, r->raw_len, dst, cap, stored);
}

/* Section k into dst: its codec, the grouped form, or the smallest. */
static titan_status encode_section(const raw_section *r, int k, titan_codec codec,
                                   uint8_t *dst, size_t cap, size_t *stored,
                                   titan_codec *used, const titan_progress *progress,
                                   titan_codec_report *report) {
    *used = codec;
    if (r->coded) { /* already encoded */
        *used = r->coded_as;
        memcpy(dst, r->coded, r->coded_len);
        *stored = r->coded_len;
        return TITAN_OK;
    }
    if (codec != TITAN_CODEC_AUTO)
        return titan_codec_encode_progress(codec, r->raw, r->raw_len, dst, cap, stored,
                                           progress);
    titan_codec_choice ch = {.shuffle = 1, .raw_bytes = r->raw_len};
    TITAN_TRY(encode_smallest(r, dst, cap, stored, used, &ch));
    snprintf(ch.name, sizeof ch.name, "%s", section_names[k]);
    ch.codec = *used, ch.stored_bytes = *stored;
    if (report && report->n < TITAN_CODEC_CHOICES_MAX) report->c[report->n++] = ch;
    return TITAN_OK;
}

/* Room a section may take: its codec's bound, or the largest of them. */
static size_t section_bound(const raw_section *r, titan_codec codec) {
    if (r->coded) return r->coded_len;
    if (codec != TITAN_CODEC_AUTO) return titan_codec_bound(codec, r->raw_len);
    size_t most = 0;
    for (int c = TITAN_CODEC_NONE; c <= TITAN_CODEC_BROTLI; c++) {
        size_t b = titan_codec_bound((titan_codec)c, r->raw_len);
        if (!b && r->raw_len) return 0;
        most = b > most ? b : most;
    }
    return most;
}

static titan_status check_tensor(const titan_tensor *t, const titan_tensor_spec *spec,
                                 titan_tensor_layout_t *l) {
    if (strcmp(t->name, spec->name) || t->rows != spec->rows || t->cols != spec->cols ||
        t->ndim != spec->ndim)
        return titan_fail(TITAN_E_USAGE,
                          "artifact: tensor '%.47s' [%lld, %lld] "
                          "where the config has %s [%lld, %lld]",
                          t->name, (long long)t->rows, (long long)t->cols, spec->name,
                          (long long)spec->rows, (long long)spec->cols);
    titan_status st = titan_tensor_layout(t->dtype, t->rows, t->cols, t->group_size, l);
    if (st != TITAN_OK) return art_fail_in(TITAN_E_USAGE, t->name);
    if (!t->data || (l->groups && !t->scales))
        return titan_fail(TITAN_E_USAGE, "artifact: %s: no data", t->name);
    TITAN_TRY(titan_quant_check_scales(t->scales, (int64_t)l->groups * t->rows,
                                       TITAN_E_USAGE, t->name));
    if (titan_quant_check_slack(t) != TITAN_OK)
        return art_fail_in(TITAN_E_USAGE, t->name);
    return TITAN_OK;
}

/* Directory and data sections from the tensors, checked against the config. */
static titan_status build_tensors(titan_arena *a, const titan_config *c,
                                  const titan_tensor *tensors, int n, raw_section *dir,
                                  raw_section *data) {
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    titan_tensor_layout_t l[TITAN_MAX_TENSORS];
    int want = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    if (n != want)
        return titan_fail(TITAN_E_USAGE, "artifact: %d tensors, the config has %d", n,
                          want);
    uint64_t end = 0;
    for (int i = 0; i < n; i++) {
        TITAN_TRY(check_tensor(&tensors[i], &specs[i], &l[i]));
        end = art_align(end) + l[i].total_bytes;
    }
    if (end > SIZE_MAX / 2) return titan_fail(TITAN_E_NOMEM, "artifact: too large");
    uint8_t *d, *e;
    dir->raw_len = ART_DIR_HEADER + (size_t)n * ART_DIR_ENTRY;
    TITAN_TRY(titan_arena_calloc(a, dir->raw_len, TITAN_ALIGN, (void **)&d));
    TITAN_TRY(titan_arena_calloc(a, (size_t)end, TITAN_ALIGN, (void **)&e));
    le_wr32(d, (uint32_t)n);
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        const titan_tensor *t = &tensors[i];
        uint8_t *entry = d + ART_DIR_HEADER + (size_t)i * ART_DIR_ENTRY;
        off = art_align(off);
        memcpy(entry, t->name, strlen(t->name));
        le_wr32(entry + 48, (uint32_t)t->dtype);
        le_wr32(entry + 52, (uint32_t)t->ndim);
        le_wr64(entry + 56, (uint64_t)t->rows);
        le_wr64(entry + 64, (uint64_t)t->cols);
        le_wr32(entry + 72, (uint32_t)t->group_size);
        le_wr64(entry + 80, off);
        le_wr64(entry + 88, l[i].total_bytes);
        memcpy(e + off, t->data, (size_t)l[i].value_bytes);
        if (l[i].groups)
            memcpy(e + off + l[i].scale_offset, t->scales, (size_t)l[i].scale_bytes);
        off += l[i].total_bytes;
    }
    dir->raw = d;
    data->raw = e;
    data->raw_len = (size_t)end;
    return TITAN_OK;
}

/* Encode every section after the head, fill the head, return the file
 * (progress: over the tensor data section, the one that takes time). */
static titan_status assemble(titan_arena *a, const raw_section *raw, uint32_t n,
                             uint32_t version, const titan_write_options *o,
                             uint8_t **file, size_t *len) {
    size_t cap = art_head_bytes(n);
    for (int k = 0; k < (int)n; k++) {
        size_t b = section_bound(&raw[k], o->codec);
        if (!b && raw[k].raw_len) return titan_fail(TITAN_E_NOMEM, "artifact: too large");
        cap += TITAN_ALIGN + b;
    }
    uint8_t *f;
    TITAN_TRY(titan_arena_alloc(a, cap, TITAN_ALIGN, (void **)&f));
    memset(f, 0, art_head_bytes(n));
    memcpy(f, ART_MAGIC, 8);
    le_wr32(f + 8, version);
    le_wr32(f + 12, n);
    size_t at = art_head_bytes(n);
    for (int k = 0; k < (int)n; k++) {
        size_t start = (size_t)art_align(at), stored;
        titan_codec used;
        memset(f + at, 0, start - at);
        TITAN_TRY(encode_section(&raw[k], k, o->codec, f + start, cap - start, &stored,
                                 &used, k == ART_DATA ? o->progress : NULL, o->report));
        uint8_t *e = f + 32 + k * ART_SECTION_ENTRY;
        le_wr32(e, (uint32_t)k + 1);
        le_wr32(e + 4, (uint32_t)used);
        le_wr64(e + 8, start);
        le_wr64(e + 16, stored);
        le_wr64(e + 24, raw[k].raw_len);
        le_wr32(e + 32, titan_crc32(0, f + start, stored));
        bool grouped = used == TITAN_CODEC_AUTO; /* the groups carry the raw CRCs */
        le_wr32(e + 36, grouped ? 0 : titan_crc32(0, raw[k].raw, raw[k].raw_len));
        at = start + stored;
    }
    le_wr64(f + 16, at);
    le_wr32(f + art_head_crc_at(n), titan_crc32(0, f, art_head_crc_at(n)));
    *file = f;
    *len = at;
    return TITAN_OK;
}

titan_status titan_artifact_write(titan_arena *scratch, const titan_config *c,
                                  const uint8_t *tok, size_t tok_len,
                                  const titan_tensor *tensors, int n, titan_codec codec,
                                  const char *path, uint64_t *file_bytes) {
    titan_write_options o = {.codec = codec};
    return titan_artifact_write_with(scratch, c, tok, tok_len, tensors, n, &o, path,
                                     file_bytes);
}

titan_status titan_artifact_write_with(titan_arena *scratch, const titan_config *c,
                                       const uint8_t *tok, size_t tok_len,
                                       const titan_tensor *tensors, int n,
                                       const titan_write_options *o, const char *path,
                                       uint64_t *file_bytes) {
    if (!scratch || !scratch->base || !c || !tok || !tensors || !o ||
        (unsigned)o->codec > TITAN_CODEC_AUTO)
        return titan_fail(TITAN_E_USAGE, "artifact: bad write arguments");
    titan_config cfg = *c;
    if (o->report) o->report->n = 0;
    size_t mark = titan_arena_mark(scratch);
    const titan_tokenizer *t;
    TITAN_TRY(titan_tokenizer_load(scratch, tok, tok_len, &t));
    cfg.bos_id = titan_tokenizer_bos(t);
    for (int k = cfg.mtp_heads; k >= 0 && k < TITAN_MAX_MTP; k++) cfg.mtp_weights[k] = 0;
    TITAN_TRY(titan_config_validate(&cfg));
    if (titan_tokenizer_size(t) > cfg.vocab_size)
        return titan_fail(TITAN_E_USAGE,
                          "artifact: tokenizer has %d tokens, "
                          "vocab_size is %d",
                          titan_tokenizer_size(t), cfg.vocab_size);
    titan_arena_reset(scratch, mark);
    titan_ngram ngram;
    if (o->ngram && titan_ngram_parse(o->ngram, o->ngram_len, cfg.vocab_size, &ngram))
        return art_fail_in(TITAN_E_USAGE, "ngram table");
    uint32_t n_sec = o->ngram ? ART_N_SECTIONS_MAX : ART_N_SECTIONS;
    uint8_t *cfg_sec;
    size_t cfg_len;
    titan_status st = art_config_encode(scratch, &cfg, &cfg_sec, &cfg_len);
    raw_section raw[ART_N_SECTIONS_MAX] = {{cfg_sec, cfg_len, NULL, 0, 0},
                                           {tok, tok_len, NULL, 0, 0},
                                           {0},
                                           {0},
                                           {o->ngram, o->ngram_len, NULL, 0, 0}};
    uint8_t *file = NULL;
    size_t len = 0;
    if (st == TITAN_OK)
        st =
            build_tensors(scratch, &cfg, tensors, n, &raw[ART_DIRECTORY], &raw[ART_DATA]);
    uint8_t *coded = NULL;
    if (st == TITAN_OK && o->codec == TITAN_CODEC_AUTO)
        st = art_groups_encode(scratch, &cfg, tensors, n, raw[ART_DATA].raw,
                               raw[ART_DATA].raw_len, o->progress, &coded,
                               &raw[ART_DATA].coded_len, o->grouped_only,
                               &raw[ART_DATA].coded_as, o->report);
    raw[ART_DATA].coded = coded;
    if (st == TITAN_OK)
        st = assemble(scratch, raw, n_sec, art_config_version(&cfg), o, &file, &len);
    bool fits = !o->max_bytes || len <= o->max_bytes;
    if (st == TITAN_OK && path && fits) st = titan_file_write_atomic(path, file, len);
    if (st == TITAN_OK && file_bytes) *file_bytes = len;
    titan_arena_reset(scratch, mark);
    return st;
}
