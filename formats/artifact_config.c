/* artifact_config.c: the fixed binary config record of the artifact
 * container: the fields in SPEC section 1 order, one table. */
#include "formats/artifact_format.h"

#include "core/base/le.h"

#include <stdbool.h>
#include <stddef.h>

/* Each field: int32_t or double at offset, count values (mtp_weights: 8). */
typedef struct {
    bool real;
    size_t offset;
    int count;
} record_field;

#define INT_FIELD(f) {false, offsetof(titan_config, f), 1}
#define REAL_FIELD(f) {true, offsetof(titan_config, f), 1}

static const record_field fields[] = {
    INT_FIELD(vocab_size),      INT_FIELD(d_model),
    INT_FIELD(n_heads),         INT_FIELD(n_kv_heads),
    INT_FIELD(head_dim),        INT_FIELD(v_head_dim),
    INT_FIELD(rope_dim),        INT_FIELD(q_latent),
    INT_FIELD(kv_latent),       INT_FIELD(mlp_hidden),
    INT_FIELD(conv_kernel),     INT_FIELD(n_unique_blocks),
    INT_FIELD(n_recurrences),   INT_FIELD(max_seq_len),
    REAL_FIELD(rope_base),      REAL_FIELD(yarn_factor),
    INT_FIELD(yarn_orig_ctx),   REAL_FIELD(yarn_beta_fast),
    REAL_FIELD(yarn_beta_slow), INT_FIELD(mtp_heads),
    {true, offsetof(titan_config, mtp_weights), TITAN_MAX_MTP},
    REAL_FIELD(norm_eps),       REAL_FIELD(logit_softcap),
    INT_FIELD(bos_id),
};
enum { N_FIELDS = sizeof fields / sizeof fields[0] };

/* Walk the record: ints take 4 bytes, reals 8; `write` picks the direction. */
static size_t walk(titan_config *c, uint8_t *rec, int write) {
    size_t at = 0;
    for (int i = 0; i < N_FIELDS; i++) {
        uint8_t *field = (uint8_t *)c + fields[i].offset;
        for (int k = 0; k < fields[i].count; k++) {
            if (!fields[i].real) {
                int32_t *v = (int32_t *)field + k;
                if (write) le_wr32(rec + at, (uint32_t)*v);
                else *v = (int32_t)le_rd32(rec + at);
                at += 4;
            } else {
                double *v = (double *)field + k;
                if (write) le_wrf64(rec + at, *v);
                else *v = le_rdf64(rec + at);
                at += 8;
            }
        }
    }
    return at;
}

_Static_assert(14 * 4 + 2 * 8 + 4 + 2 * 8 + 4 + TITAN_MAX_MTP * 8 + 2 * 8 + 4 ==
                   ART_CONFIG_BYTES,
               "config record layout");

void art_config_encode(const titan_config *c, uint8_t out[ART_CONFIG_BYTES]) {
    titan_config copy = *c;
    walk(&copy, out, 1);
}

titan_status art_config_decode(const uint8_t in[ART_CONFIG_BYTES],
                               titan_config *c) {
    *c = (titan_config){0};
    walk(c, (uint8_t *)in, 0);
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
