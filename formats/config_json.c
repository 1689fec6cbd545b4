/* config_json.c: titan_config <-> JSON, keys exactly as SPEC section 1.
 * Unknown keys are refused so that a typo never silently keeps a default. */
#include "formats/config_json.h"


#include <math.h>
#include <stddef.h>
#include <string.h>

typedef enum { FIELD_INT, FIELD_REAL, FIELD_WEIGHTS } field_kind;

typedef struct {
    const char *name;
    field_kind kind;
    size_t offset;
    bool optional; /* default applies when absent */
} config_field;

#define INT_FIELD(f) {#f, FIELD_INT, offsetof(titan_config, f), false}
#define REAL_FIELD(f) {#f, FIELD_REAL, offsetof(titan_config, f), false}

/* SPEC section 1 order; also the order config_json_write uses. */
static const config_field fields[] = {
    INT_FIELD(vocab_size),
    INT_FIELD(d_model),
    INT_FIELD(n_heads),
    INT_FIELD(n_kv_heads),
    INT_FIELD(head_dim),
    INT_FIELD(v_head_dim),
    INT_FIELD(rope_dim),
    INT_FIELD(q_latent),
    INT_FIELD(kv_latent),
    INT_FIELD(mlp_hidden),
    INT_FIELD(conv_kernel),
    INT_FIELD(n_unique_blocks),
    INT_FIELD(n_recurrences),
    INT_FIELD(max_seq_len),
    REAL_FIELD(rope_base),
    REAL_FIELD(yarn_factor),
    INT_FIELD(yarn_orig_ctx),
    REAL_FIELD(yarn_beta_fast),
    REAL_FIELD(yarn_beta_slow),
    INT_FIELD(mtp_heads),
    {"mtp_weights", FIELD_WEIGHTS, offsetof(titan_config, mtp_weights), false},
    REAL_FIELD(norm_eps),
    {"logit_softcap", FIELD_REAL, offsetof(titan_config, logit_softcap), true},
    {"bos_id", FIELD_INT, offsetof(titan_config, bos_id), true},
};
#define N_FIELDS (sizeof fields / sizeof *fields)

/* Defaults of the optional fields: no softcap; the byte-level BOS (the
 * tokenizer's own replaces it at pack time). */
#define DEFAULT_BOS_ID TITAN_TOK_BOS

void config_json_write(json_writer *w, const titan_config *c) {
    json_begin_object(w);
    for (size_t i = 0; i < N_FIELDS; i++) {
        const void *p = (const char *)c + fields[i].offset;
        json_key(w, fields[i].name);
        if (fields[i].kind == FIELD_INT) {
            json_int(w, *(const int32_t *)p);
        } else if (fields[i].kind == FIELD_REAL) {
            json_double(w, *(const double *)p);
        } else {
            json_begin_array(w);
            for (int k = 0; k < c->mtp_heads && k < TITAN_MAX_MTP; k++)
                json_double(w, c->mtp_weights[k]);
            json_end_array(w);
        }
    }
    json_end_object(w);
}

titan_status titan_config_to_json(const titan_config *c, char *buf, size_t cap,
                                  size_t *len) {
    if (!c || !len) return titan_fail(TITAN_E_USAGE, "config: NULL argument");
    json_writer w;
    json_writer_init(&w, buf, cap);
    config_json_write(&w, c);
    json_raw(&w, "\n", 1);
    return json_writer_finish(&w, len);
}

static titan_status read_int(const json_value *v, const char *name,
                             int32_t *out) {
    if (v->type != JSON_NUMBER || v->number != floor(v->number) ||
        fabs(v->number) > INT32_MAX)
        return titan_fail(TITAN_E_DATA,
                          "config: %s must be an integer in int32 range", name);
    *out = (int32_t)v->number;
    return TITAN_OK;
}

static titan_status read_real(const json_value *v, const char *name,
                              double *out) {
    if (v->type != JSON_NUMBER)
        return titan_fail(TITAN_E_DATA, "config: %s must be a number, not %s",
                          name, json_type_name(v->type));
    *out = v->number;
    return TITAN_OK;
}

static titan_status read_weights(const json_value *v, titan_config *c) {
    if (v->type != JSON_ARRAY)
        return titan_fail(TITAN_E_DATA, "config: mtp_weights must be an array");
    if (v->len > TITAN_MAX_MTP)
        return titan_fail(TITAN_E_DATA, "config: mtp_weights has %zu > %d entries",
                          v->len, TITAN_MAX_MTP);
    int k = 0;
    for (const json_value *e = v->child; e; e = e->next)
        TITAN_TRY(read_real(e, "mtp_weights[]", &c->mtp_weights[k++]));
    return TITAN_OK;
}

static const config_field *find_field(const json_value *member) {
    for (size_t i = 0; i < N_FIELDS; i++)
        if (json_key_is(member, fields[i].name)) return &fields[i];
    return NULL;
}

titan_status config_json_read(const json_value *obj, titan_config *out) {
    if (obj->type != JSON_OBJECT)
        return titan_fail(TITAN_E_DATA, "config: expected a JSON object, not %s",
                          json_type_name(obj->type));
    titan_config c;
    memset(&c, 0, sizeof c);
    c.bos_id = DEFAULT_BOS_ID;
    bool seen[N_FIELDS] = {false};
    size_t n_weights = 0;
    for (const json_value *m = obj->child; m; m = m->next) {
        const config_field *f = find_field(m);
        if (!f)
            return titan_fail(TITAN_E_DATA, "config: unknown key \"%.*s\"",
                              (int)(m->key_len < 64 ? m->key_len : 64), m->key);
        void *p = (char *)&c + f->offset;
        if (f->kind == FIELD_INT) {
            TITAN_TRY(read_int(m, f->name, p));
        } else if (f->kind == FIELD_REAL) {
            TITAN_TRY(read_real(m, f->name, p));
        } else {
            TITAN_TRY(read_weights(m, &c));
            n_weights = m->len;
        }
        seen[f - fields] = true;
    }
    for (size_t i = 0; i < N_FIELDS; i++)
        if (!seen[i] && !fields[i].optional)
            return titan_fail(TITAN_E_DATA, "config: missing key \"%s\"",
                              fields[i].name);
    if (n_weights != (size_t)c.mtp_heads)
        return titan_fail(TITAN_E_DATA,
                          "config: mtp_weights has %zu entries, mtp_heads is %d",
                          n_weights, c.mtp_heads);
    TITAN_TRY(titan_config_validate(&c));
    memcpy(out, &c, sizeof c); /* padding included: configs compare bytewise */
    return TITAN_OK;
}

titan_status titan_config_from_json(titan_arena *scratch, const char *text,
                                    size_t len, titan_config *out) {
    if (!scratch || !out) return titan_fail(TITAN_E_USAGE, "config: NULL argument");
    size_t mark = titan_arena_mark(scratch);
    const json_limits limits = {.max_depth = 8, .unique_keys = true};
    const json_value *root;
    titan_status st = json_parse(scratch, text, len, &limits, &root);
    if (st == TITAN_OK) st = config_json_read(root, out);
    titan_arena_reset(scratch, mark);
    return st;
}
