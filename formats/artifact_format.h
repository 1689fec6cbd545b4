/* artifact_format.h: the Titan artifact container, versions 1 to 3, byte
 * by byte (they differ only in the config section).
 * All integers little-endian; f64 fields are IEEE 754 binary64 bit patterns.
 *
 * Head (196 bytes, at offset 0):
 *    0  u8[8]  magic "TITANART"
 *    8  u32    version: 1, or 2 when a SPEC section-8 field is not at its
 *              default (writers pick 1 whenever they can)
 *   12  u32    n_sections: 4, or 5 when the file holds an n-gram table
 *   16  u64    file_bytes: the whole file; must equal its real size
 *   24  u32    flags = 0
 *   28  u32    reserved = 0
 *   32  section table, n_sections entries of 40 bytes, in the order
 *       1 config, 2 tokenizer, 3 directory, 4 data, 5 ngram (optional):
 *        +0  u32 kind (= index + 1)
 *        +4  u32 codec (titan_codec: 0 none, 1 raw LZMA2, 2 .xz, 3 Brotli;
 *                  4 grouped, the data section only, below)
 *        +8  u64 offset of the stored bytes in the file
 *       +16  u64 stored_bytes (after the codec)
 *       +24  u64 raw_bytes (before the codec)
 *       +32  u32 stored_crc: CRC-32 of the stored bytes
 *       +36  u32 raw_crc: CRC-32 of the raw bytes
 *  32 + 40 n_sections  u32  head_crc: CRC-32 of the bytes before it (at 192
 *              for 4 sections, 232 for 5)
 *
 * Sections follow the head in table order, each at the first 64-byte aligned
 * offset after the previous one ends (the head ends at 196 or 236); the
 * padding bytes are zero and the last section ends the file. With the head CRC, the
 * stored CRCs and the zero padding, every byte is covered, so any flipped bit
 * is caught before a codec sees the stored bytes.
 *
 * Config section: a 180-byte record of the titan_config fields vocab_size ..
 * bos_id in TITAN_CONFIG_FIELDS order, ints as i32, reals as f64
 * (formats/artifact_config.c):
 *   vocab_size d_model n_heads n_kv_heads head_dim v_head_dim rope_dim
 *   q_latent kv_latent mlp_hidden conv_kernel n_unique_blocks n_recurrences
 *   max_seq_len (i32 x 14), rope_base f64, yarn_factor f64, yarn_orig_ctx i32,
 *   yarn_beta_fast f64, yarn_beta_slow f64, mtp_heads i32,
 *   mtp_weights f64 x 8 (entries past mtp_heads are 0), norm_eps f64,
 *   logit_softcap f64, bos_id i32 (= TITAN_TOK_BOS).
 * Version 1: exactly these 180 bytes. Version 2: then a JSON object (UTF-8,
 * at most 64 KiB) of the section-8 fields that differ from their defaults,
 * keys and values as config JSON; at least one, no other key.
 *
 * Tokenizer section: the serialized tokenizer (titan.h), verbatim. Its token
 * count is at most vocab_size.
 *
 * Directory section (raw 8 + 96 * n bytes):
 *    0  u32 n_tensors (= the count titan_config_tensors gives)
 *    4  u32 reserved = 0
 *    8  n entries of 96 bytes, in titan_config_tensors order:
 *        +0  u8[48] name, NUL-padded (at least one NUL)
 *       +48  u32 dtype (titan_dtype)
 *       +52  u32 ndim (1 or 2, as the spec says)
 *       +56  i64 rows
 *       +64  i64 cols (1 for 1-D tensors)
 *       +72  i32 group_size (quantized: 0 = one scale per row, else values
 *                per scale; float types: 0)
 *       +76  u32 reserved = 0
 *       +80  u64 offset in the raw data section
 *       +88  u64 bytes (titan_tensor_layout total_bytes)
 *
 * Ngram section (optional): the n-gram hint table of titan eval --tilt,
 * serialized as titan.h lays it out (titan_ngram_parse checks it against the
 * config's vocab_size). Files without it are the 4-section files of before.
 *
 * Data section: tensor i at its offset, which is the first 64-byte aligned
 * offset after tensor i-1 ends (0 for the first); values row-major in the
 * dtype's layout, then (quantized types) rows x groups f32 scales at
 * offset + scale_offset. Padding is zero; the section ends with the last
 * tensor. Scales are finite and > 0.
 *
 * Grouped data section (codec 4, written by pack --codec auto): the raw
 * section is as above; it is stored as tensor groups, each with its own
 * codec and byte shuffle. The groups, by tensor role (art_group_kind_of;
 * titan budget predicts per the same groups):
 *   0 embeddings     tok_emb, bigram and value-embedding tensors
 *   1 attention      block matrices other than the MLP's
 *   2 mlp            w_up, w_down, w_gate
 *   3 norms/scalars  norms, gains, scales, conv kernels (float vectors)
 *   4 heads          MTP heads
 *   5 scales         the per-row (per-group) f32 scales of every quantized tensor
 * A tensor's values go to its role's group, its scales (if quantized) to
 * the scales group; a group's raw stream is its pieces (a tensor's values,
 * or its scales) in directory order, values before scales. Padding between
 * pieces is in no group: it is zero. Stored form:
 *    0  u32 n_groups (1..16)
 *    4  u32 n_tensors (= the directory's)
 *    8  n_groups entries of 32 bytes:
 *        +0  u32 kind (0..5 above; names the group)
 *        +4  u32 codec (0..3)
 *        +8  u32 shuffle width w (1..8; 1 none, byte_shuffle.h)
 *       +12  u32 raw_crc: CRC-32 of the group's raw stream (unshuffled)
 *       +16  u64 raw_bytes (> 0; the sum of its pieces)
 *       +24  u64 stored_bytes (<= raw_bytes; = raw_bytes for codec 0)
 *    8 + 32 n_groups: n_tensors pairs of u8: the group of tensor i's values,
 *        and of its scales (255 for float tensors, which have none)
 *   then each group's stored stream, in group order, back to back: the codec
 *   applied to the shuffled raw stream. The section ends with the last.
 * The section entry's raw_crc is 0 (each group carries its own) and its
 * stored_crc covers the table and the streams. Older readers refuse such a
 * file with "data section: unknown codec 4".
 */
#ifndef TITAN_FORMATS_ARTIFACT_FORMAT_H
#define TITAN_FORMATS_ARTIFACT_FORMAT_H

#include "titan.h"

#define ART_MAGIC "TITANART"
enum {
    ART_VERSION_1 = 1,      /* section-1 configs */
    ART_VERSION_2 = 2,      /* the config section adds its section-8 extension */
    ART_VERSION_3 = 3,      /* SPEC section 9: the config section is config JSON */
    ART_N_SECTIONS = 4,     /* sections every file has */
    ART_N_SECTIONS_MAX = 5, /* with the optional ngram section */
    ART_SECTION_ENTRY = 40,
    ART_HEAD_CRC_AT = 32 + ART_N_SECTIONS * ART_SECTION_ENTRY, /* 192 */
    ART_HEAD_BYTES = ART_HEAD_CRC_AT + 4,                      /* 196 */
    ART_HEAD_MAX = ART_HEAD_BYTES + ART_SECTION_ENTRY,         /* 236: 5 sections */
    ART_CONFIG_BYTES = 180,                                    /* the record */
    ART_CONFIG_EXT_MAX = 1 << 16, /* most bytes of version 2's JSON extension */
    ART_DIR_HEADER = 8,
    ART_DIR_ENTRY = 96,
};

enum { ART_CONFIG, ART_TOKENIZER, ART_DIRECTORY, ART_DATA, ART_NGRAM };

/* Tensor groups of a grouped data section (layout above). */
typedef enum {
    ART_KIND_EMBED,
    ART_KIND_ATTN,
    ART_KIND_MLP,
    ART_KIND_VECTORS,
    ART_KIND_HEAD,
    ART_KIND_SCALES,
    ART_GROUP_KINDS
} art_group_kind;

enum {
    ART_GROUPS_MAX = 16,
    ART_GROUP_TABLE_HEAD = 8,
    ART_GROUP_ENTRY = 32,
    ART_SHUFFLE_MAX = 8,
    ART_NO_GROUP = 255,
    ART_GROUP_TABLE_MAX =
        ART_GROUP_TABLE_HEAD + ART_GROUPS_MAX * ART_GROUP_ENTRY + 2 * TITAN_MAX_TENSORS,
};

extern const char *const art_group_names[ART_GROUP_KINDS];

/* The group of a tensor's values, by its role and name. */
art_group_kind art_group_kind_of(const titan_tensor_spec *s);

/* The shuffle width auto tries for values of dt: the element's bytes (int6
 * packs 4 values in 3 bytes: 3; one-byte types: 1, no shuffle). Scales: 4. */
size_t art_value_width(titan_dtype dt);

/* One group's entry, and the parsed table. */
typedef struct {
    uint32_t kind, codec, width, raw_crc;
    uint64_t raw_bytes, stored_bytes;
} art_group;

typedef struct {
    uint32_t n_groups;
    art_group g[ART_GROUPS_MAX];
    uint8_t values[TITAN_MAX_TENSORS], scales[TITAN_MAX_TENSORS];
    size_t table_bytes;
} art_group_table;

/* Where tensor i's values and scales sit in the raw data section (tensors
 * with valid layouts, at the offsets the directory rule gives). */
typedef struct {
    uint64_t off, bytes;
} art_piece;
TITAN_NODISCARD titan_status art_data_pieces(const titan_tensor *t, int n,
                                             art_piece *values, art_piece *scales);

/* Parse and check the table at p[0..avail) of a grouped data section of
 * stored_len bytes holding tensors t[0..n). */
TITAN_NODISCARD titan_status art_groups_parse(const uint8_t *p, size_t avail,
                                              uint64_t stored_len, const titan_tensor *t,
                                              int n, art_group_table *tab);

/* Decode every group of stored (the whole section) into out (the raw
 * section, zeroed), each group's CRC checked; measuring mode when a->base is
 * NULL. Each group decodes in a scratch block of its raw size, released. */
TITAN_NODISCARD titan_status art_groups_decode(titan_arena *a, const art_group_table *tab,
                                               const uint8_t *stored,
                                               const titan_tensor *t, int n,
                                               uint8_t *out);

/* Writer: the stored form of data[0..len) holding tensors t[0..n) of
 * config c, in the arena: grouped (*form TITAN_CODEC_AUTO), each group's
 * codec and shuffle the smallest, or the whole section under one codec
 * (*form) when that is smaller still (unless grouped_only). Appends each group's choice, then
 * "data" (the form), to report (may be NULL). */
TITAN_NODISCARD titan_status art_groups_encode(
    titan_arena *a, const titan_config *c, const titan_tensor *t, int n,
    const uint8_t *data, size_t len, const titan_progress *progress, uint8_t **out,
    size_t *out_len, bool grouped_only, titan_codec *form, titan_codec_report *report);

/* Where the head CRC sits and where the head ends, for n sections. */
static inline uint32_t art_head_crc_at(uint32_t n) { return 32 + n * ART_SECTION_ENTRY; }
static inline uint32_t art_head_bytes(uint32_t n) { return art_head_crc_at(n) + 4; }

typedef struct {
    titan_codec codec;
    uint64_t offset, stored_bytes, raw_bytes;
    uint32_t stored_crc, raw_crc;
} art_section;

/* formats/artifact_config.c: the config section, its container version (1
 * when every section-8 field is at its default, else 2; 3 for xenith), writing and
 * reading (the extension's parse tree in scratch, reset on return). */
uint32_t art_config_version(const titan_config *c);
TITAN_NODISCARD titan_status art_config_encode(titan_arena *a, const titan_config *c,
                                               uint8_t **out, size_t *len);
TITAN_NODISCARD titan_status art_config_decode(titan_arena *scratch, const uint8_t *in,
                                               size_t len, uint32_t version,
                                               titan_config *c);

/* Fail with st, prefixing the current error message with "artifact: what: ". */
TITAN_NODISCARD titan_status art_fail_in(titan_status st, const char *what);

static inline uint64_t art_align(uint64_t n) {
    return (n + TITAN_ALIGN - 1) & ~(uint64_t)(TITAN_ALIGN - 1);
}

#endif
