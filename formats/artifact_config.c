/* artifact_config.c: the fixed binary config record of the artifact
 * container: the fields of TITAN_CONFIG_FIELDS in order. */
#include "formats/artifact_format.h"

#include "core/base/le.h"
#include "core/config_fields.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The record's layout, made from the field list: ints i32, reals f64,
 * HEAD_REALS all TITAN_MAX_MTP slots (unused ones 0). Version 1 holds the
 * section-1 fields, vocab_size .. bos_id; fields added after bos_id are not
 * in it and must keep their defaults in a version-1 artifact. */
#define RECORD_MEMBER_INT(name) uint8_t name[4];
#define RECORD_MEMBER_REAL(name) uint8_t name[8];
#define RECORD_MEMBER_HEAD_REALS(name) uint8_t name[8 * TITAN_MAX_MTP];
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
        int slots = f->kind == TITAN_FIELD_HEAD_REALS ? TITAN_MAX_MTP : 1;
        for (int k = 0; k < slots; k++) {
            if (f->kind == TITAN_FIELD_INT) {
                if (write) le_wr32(rec + at, (uint32_t)titan_config_field_get(c, f, k));
                else titan_config_field_set(c, f, k, (int32_t)le_rd32(rec + at));
                at += 4;
            } else {
                if (write) le_wrf64(rec + at, titan_config_field_get(c, f, k));
                else titan_config_field_set(c, f, k, le_rdf64(rec + at));
                at += 8;
            }
        }
    }
}

titan_status art_config_check_v1(const titan_config *c) {
    titan_config d;
    titan_config_defaults(&d);
    for (int i = V1_FIELDS; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        for (int k = 0; k < titan_config_field_values(f, c); k++)
            if (titan_config_field_get(c, f, k) != titan_config_field_get(&d, f, k))
                return titan_fail(TITAN_E_UNSUPPORTED,
                                  "artifact: config field %s differs from its "
                                  "default; container version %d cannot hold it",
                                  f->name, ART_VERSION);
    }
    return TITAN_OK;
}

void art_config_encode(const titan_config *c, uint8_t out[ART_CONFIG_BYTES]) {
    titan_config copy = *c;
    walk(&copy, out, true);
}

titan_status art_config_decode(const uint8_t in[ART_CONFIG_BYTES],
                               titan_config *c) {
    titan_config_defaults(c);
    walk(c, (uint8_t *)in, false);
    TITAN_TRY(titan_config_validate(c));
    for (int k = c->mtp_heads; k < TITAN_MAX_MTP; k++)
        if (c->mtp_weights[k] != 0)
            return titan_fail(TITAN_E_DATA, "config: mtp_weights[%d] set past "
                                            "mtp_heads", k);
    if (c->bos_id != TITAN_TOK_BOS)
        return titan_fail(TITAN_E_DATA, "config: bos_id %d, the tokenizer's "
                                        "BOS is %d", c->bos_id, TITAN_TOK_BOS);
    return TITAN_OK;
}
