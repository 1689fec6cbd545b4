/* artifact_config.c: the config section of the artifact container: the
 * fixed binary record of the section-1 fields (TITAN_CONFIG_FIELDS order),
 * then in version 2 the JSON object of the section-8 fields that differ from
 * their defaults; in version 3 (SPEC section 9) the whole config JSON. */
#include "formats/artifact_format.h"

#include "core/base/le.h"
#include "core/config_fields.h"
#include "formats/config_json.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The record's layout, made from the field list: ints i32, reals f64,
 * HEAD_REALS all TITAN_MAX_MTP slots (unused ones 0). It holds the
 * section-1 fields, vocab_size .. bos_id; the fields after bos_id travel in
 * version 2's JSON extension. */
#define RECORD_MEMBER_INT(name)        uint8_t name[4];
#define RECORD_MEMBER_REAL(name)       uint8_t name[8];
#define RECORD_MEMBER_HEAD_REALS(name) uint8_t name[8 * TITAN_MAX_MTP];
#define RECORD_MEMBER_BOOL(name)       /* the kinds below come after bos_id */
#define RECORD_MEMBER_ENUM(name)
#define RECORD_MEMBER_INTS(name)
#define RECORD_MEMBER_ENUMS(name)
#define RECORD_MEMBER_OBJECT(name)
#define RECORD_MEMBER(kind, name, ...) RECORD_MEMBER_##kind(name)
typedef struct {
    TITAN_CONFIG_FIELDS(RECORD_MEMBER)
} record_layout;
#define FIELD_INDEX(kind, name, ...) FIELD_##name,
enum { TITAN_CONFIG_FIELDS(FIELD_INDEX) V1_FIELDS = FIELD_bos_id + 1 };
_Static_assert(offsetof(record_layout, bos_id) + 4 == ART_CONFIG_BYTES,
               "the version-1 config record is the section-1 fields");

/* Walk the version-1 record in field order; `write` picks the direction. */
static void walk(titan_config *c, uint8_t *rec, bool write) {
    size_t at = 0;
    for (int i = 0; i < V1_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (f->kind == TITAN_FIELD_ENUM) continue; /* family: titan in a record */
        int slots = f->kind == TITAN_FIELD_HEAD_REALS ? TITAN_MAX_MTP : 1;
        for (int k = 0; k < slots; k++) {
            if (f->kind == TITAN_FIELD_INT) {
                if (write)
                    le_wr32(rec + at, (uint32_t)titan_config_field_get(c, f, k));
                else
                    titan_config_field_set(c, f, k, (int32_t)le_rd32(rec + at));
                at += 4;
            } else {
                if (write)
                    le_wrf64(rec + at, titan_config_field_get(c, f, k));
                else
                    titan_config_field_set(c, f, k, le_rdf64(rec + at));
                at += 8;
            }
        }
    }
}

uint32_t art_config_version(const titan_config *c) {
    if (TITAN_XENITH(c)) return ART_VERSION_3;
    return config_json_has_extra(c) ? ART_VERSION_2 : ART_VERSION_1;
}

/* Version 3: the section is the config JSON, every field of the family. */
static titan_status encode_json(titan_arena *a, const titan_config *c, uint8_t **out,
                                size_t *len) {
    json_writer w;
    json_writer_init(&w, NULL, 0);
    config_json_write(&w, c);
    TITAN_TRY(json_writer_finish(&w, len));
    TITAN_TRY(titan_arena_alloc(a, *len + 1, TITAN_ALIGN, (void **)out));
    json_writer_init(&w, (char *)*out, *len + 1);
    config_json_write(&w, c);
    return json_writer_finish(&w, len);
}

static titan_status decode_json(titan_arena *scratch, const uint8_t *in, size_t len,
                                titan_config *c) {
    if (len > ART_CONFIG_EXT_MAX)
        return titan_fail(TITAN_E_DATA, "config: %zu bytes of JSON, at most %d", len,
                          ART_CONFIG_EXT_MAX);
    TITAN_TRY(titan_config_from_json(scratch, (const char *)in, len, c));
    if (!TITAN_XENITH(c))
        return titan_fail(TITAN_E_DATA, "config: a version-3 artifact whose family is "
                                        "not xenith");
    return TITAN_OK; /* bos_id is checked against the tokenizer (artifact_read.c) */
}

titan_status art_config_encode(titan_arena *a, const titan_config *c, uint8_t **out,
                               size_t *len) {
    if (TITAN_XENITH(c)) return encode_json(a, c, out, len);
    bool extra = art_config_version(c) == ART_VERSION_2;
    json_writer w;
    size_t json_len = 0;
    json_writer_init(&w, NULL, 0);
    if (extra) config_json_write_extra(&w, c);
    TITAN_TRY(json_writer_finish(&w, &json_len));
    *len = ART_CONFIG_BYTES + json_len;
    TITAN_TRY(titan_arena_alloc(a, *len + 1, TITAN_ALIGN, (void **)out));
    titan_config copy = *c;
    walk(&copy, *out, true);
    if (!extra) return TITAN_OK;
    json_writer_init(&w, (char *)*out + ART_CONFIG_BYTES, json_len + 1);
    config_json_write_extra(&w, c);
    return json_writer_finish(&w, &json_len);
}

/* Version 2's extension: the section-8 fields, at least one not default. */
static titan_status decode_extension(titan_arena *scratch, const uint8_t *json,
                                     size_t len, titan_config *c) {
    TITAN_TRY(config_json_parse_extra(scratch, (const char *)json, len, c));
    if (!config_json_has_extra(c))
        return titan_fail(TITAN_E_DATA, "config: a version-2 extension that "
                                        "changes no field");
    return TITAN_OK;
}

titan_status art_config_decode(titan_arena *scratch, const uint8_t *in, size_t len,
                               uint32_t version, titan_config *c) {
    if (version == ART_VERSION_3) return decode_json(scratch, in, len, c);
    bool v2 = version == ART_VERSION_2;
    if (v2 ? len <= ART_CONFIG_BYTES || len - ART_CONFIG_BYTES > ART_CONFIG_EXT_MAX
           : len != ART_CONFIG_BYTES)
        return titan_fail(TITAN_E_DATA, "config: %zu bytes, version %u needs %s", len,
                          version, v2 ? "a record and an extension" : "180");
    titan_config_defaults(c);
    walk(c, (uint8_t *)in, false);
    TITAN_TRY(
        v2 ? decode_extension(scratch, in + ART_CONFIG_BYTES, len - ART_CONFIG_BYTES, c)
           : titan_config_validate(c));
    for (int k = c->mtp_heads; k < TITAN_MAX_MTP; k++)
        if (c->mtp_weights[k] != 0)
            return titan_fail(TITAN_E_DATA,
                              "config: mtp_weights[%d] set past "
                              "mtp_heads",
                              k);
    return TITAN_OK; /* bos_id is checked against the tokenizer (artifact_read.c) */
}
