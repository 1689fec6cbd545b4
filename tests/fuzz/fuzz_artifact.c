/* fuzz_artifact.c: libFuzzer target for the artifact reader. Any input must
 * load or be refused without a sanitizer report; what loads must have the
 * config's tensors, in place and aligned, and every row must dequantize.
 * Each input is parsed as given and once more "resealed" (all CRCs made
 * right, as a hostile writer would), so mutations reach the checks that sit
 * behind the checksums instead of stopping at the first CRC (a grouped data
 * section's group CRCs too). An n-gram table
 * that loads must answer a hint for every context of a few ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/le.h"
#include "formats/artifact_format.h"
#include "formats/byte_shuffle.h"
#include "formats/codec.h"

#define ROW_MAX 4096 /* widest row checked; larger tensors are loaded only */

static _Alignas(4096) uint8_t arena_buf[64 << 20];
static float row[ROW_MAX];
static uint8_t sealed[1 << 20], decoded[1 << 20], unshuffled[1 << 20];

/* A grouped data section (codec auto) at p[0..stored): each group's raw CRC
 * made right where its stream decodes, so mutations reach the scatter. */
static void reseal_groups(uint8_t *p, uint64_t stored) {
    if (stored < ART_GROUP_TABLE_HEAD) return;
    uint32_t n = le_rd32(p);
    uint64_t at =
        ART_GROUP_TABLE_HEAD + (uint64_t)n * ART_GROUP_ENTRY + 2 * le_rd32(p + 4);
    if (n > ART_GROUPS_MAX || at > stored) return;
    for (uint32_t g = 0; g < n; g++) {
        uint8_t *e = p + ART_GROUP_TABLE_HEAD + g * ART_GROUP_ENTRY;
        uint32_t codec = le_rd32(e + 4), w = le_rd32(e + 8);
        uint64_t raw = le_rd64(e + 16), len = le_rd64(e + 24);
        if (len > stored - at) return;
        titan_arena a;
        titan_arena_init(&a, arena_buf, sizeof arena_buf);
        if (codec <= TITAN_CODEC_BROTLI && w >= 1 && w <= ART_SHUFFLE_MAX &&
            raw <= sizeof decoded &&
            titan_codec_decode(&a, codec, p + at, len, decoded, raw) == TITAN_OK) {
            byte_unshuffle_range(unshuffled, decoded, raw, w, 0, raw);
            le_wr32(e + 12, titan_crc32(0, unshuffled, raw));
        }
        at += len;
    }
}

/* Recompute every CRC the reader checks, where the entry allows it. */
static void reseal(uint8_t *f, size_t size) {
    uint32_t n = le_rd32(f + 12) == ART_N_SECTIONS_MAX && size >= ART_HEAD_MAX
                     ? ART_N_SECTIONS_MAX
                     : ART_N_SECTIONS;
    for (int k = 0; k < (int)n; k++) {
        uint8_t *e = f + 32 + k * ART_SECTION_ENTRY;
        uint64_t off = le_rd64(e + 8), stored = le_rd64(e + 16), raw = le_rd64(e + 24);
        if (off > size || stored > size - off) continue;
        uint32_t codec = le_rd32(e + 4);
        if (codec == TITAN_CODEC_AUTO) reseal_groups(f + off, stored);
        le_wr32(e + 32, titan_crc32(0, f + off, stored));
        titan_arena a;
        titan_arena_init(&a, arena_buf, sizeof arena_buf);
        if (codec == TITAN_CODEC_NONE)
            le_wr32(e + 36, titan_crc32(0, f + off, stored));
        else if (codec <= TITAN_CODEC_BROTLI && raw <= sizeof decoded &&
                 titan_codec_decode(&a, codec, f + off, stored, decoded, raw) == TITAN_OK)
            le_wr32(e + 36, titan_crc32(0, decoded, raw));
    }
    le_wr32(f + art_head_crc_at(n), titan_crc32(0, f, art_head_crc_at(n)));
}

/* Every hint of a loaded table is a token of the vocabulary. */
static void check_ngram(const titan_ngram *g, int32_t vocab) {
    int32_t ids[] = {-1, 0, 1, 2, 3, 5, vocab / 2, vocab - 1};
    int n = (int)(sizeof ids / sizeof *ids);
    for (int i = 0; g->blob && i < n; i++)
        for (int j = 1; j < n; j++) {
            int32_t h = titan_ngram_hint(g, ids[i], ids[j]);
            if (h < -1 || h >= vocab) abort();
        }
}

static void check(const titan_artifact *art) {
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    if (titan_config_tensors(&art->config, specs, TITAN_MAX_TENSORS) != art->n_tensors)
        abort();
    for (int i = 0; i < art->n_tensors; i++) {
        const titan_tensor *t = &art->tensors[i];
        if (strcmp(t->name, specs[i].name) || t->rows != specs[i].rows ||
            t->cols != specs[i].cols || (uintptr_t)t->data % TITAN_ALIGN)
            abort();
        if (t->cols > ROW_MAX) continue;
        for (int64_t r = 0; r < t->rows; r++)
            if (titan_tensor_row_f32(t, r, row) != TITAN_OK) abort();
    }
    const uint8_t *bytes;
    for (int32_t id = 0; id < titan_tokenizer_size(art->tokenizer); id++)
        titan_tokenizer_token(art->tokenizer, id, &bytes);
    check_ngram(&art->ngram, art->config.vocab_size);
}

static void parse(const uint8_t *data, size_t size) {
    titan_arena a;
    titan_artifact art;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    titan_status st = titan_artifact_parse(&a, data, size, &art);
    if (st == TITAN_OK)
        check(&art);
    else if (st != TITAN_E_DATA && st != TITAN_E_NOMEM)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    parse(data, size);
    if (size < ART_HEAD_BYTES || size > sizeof sealed) return 0;
    memcpy(sealed, data, size);
    reseal(sealed, size);
    parse(sealed, size);
    return 0;
}
