/* config_json.c: titan_config <-> JSON, keys and order as TITAN_CONFIG_FIELDS.
 * Unknown keys are refused so that a typo never silently keeps a default. */
#include "formats/config_json.h"

#include "core/config_fields.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static void write_value(json_writer *w, const titan_config_field *f, double v) {
    if (f->kind == TITAN_FIELD_INT) json_int(w, (int32_t)v);
    else json_double(w, v);
}

void config_json_write(json_writer *w, const titan_config *c) {
    json_begin_object(w);
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        json_key(w, f->name);
        if (f->kind != TITAN_FIELD_HEAD_REALS) {
            write_value(w, f, titan_config_field_get(c, f, 0));
            continue;
        }
        json_begin_array(w);
        for (int k = 0; k < titan_config_field_values(f, c); k++)
            write_value(w, f, titan_config_field_get(c, f, k));
        json_end_array(w);
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

/* One JSON number as value k of field f: ints integral and in int32 range. */
static titan_status read_number(const json_value *v, const titan_config_field *f,
                                int k, titan_config *c) {
    bool number = v->type == JSON_NUMBER;
    if (f->kind == TITAN_FIELD_INT &&
        (!number || v->number != floor(v->number) || fabs(v->number) > INT32_MAX))
        return titan_fail(TITAN_E_DATA,
                          "config: %s must be an integer in int32 range", f->name);
    if (!number)
        return titan_fail(TITAN_E_DATA, "config: %s must be a number, not %s",
                          f->name, json_type_name(v->type));
    titan_config_field_set(c, f, k, v->number);
    return TITAN_OK;
}

/* A HEAD_REALS field: an array of up to TITAN_MAX_MTP numbers (*n of them). */
static titan_status read_head_reals(const json_value *v,
                                    const titan_config_field *f,
                                    titan_config *c, size_t *n) {
    if (v->type != JSON_ARRAY)
        return titan_fail(TITAN_E_DATA, "config: %s must be an array", f->name);
    if (v->len > TITAN_MAX_MTP)
        return titan_fail(TITAN_E_DATA, "config: %s has %zu > %d entries",
                          f->name, v->len, TITAN_MAX_MTP);
    int k = 0;
    for (const json_value *e = v->child; e; e = e->next)
        TITAN_TRY(read_number(e, f, k++, c));
    *n = v->len;
    return TITAN_OK;
}

titan_status config_json_read(const json_value *obj, titan_config *out) {
    if (obj->type != JSON_OBJECT)
        return titan_fail(TITAN_E_DATA, "config: expected a JSON object, not %s",
                          json_type_name(obj->type));
    titan_config c;
    titan_config_defaults(&c);
    bool seen[TITAN_CONFIG_N_FIELDS] = {false};
    size_t values[TITAN_CONFIG_N_FIELDS] = {0}; /* of HEAD_REALS fields */
    for (const json_value *m = obj->child; m; m = m->next) {
        const titan_config_field *f = titan_config_field_find(m->key, m->key_len);
        if (!f)
            return titan_fail(TITAN_E_DATA, "config: unknown key \"%.*s\"",
                              (int)(m->key_len < 64 ? m->key_len : 64), m->key);
        if (f->kind == TITAN_FIELD_HEAD_REALS)
            TITAN_TRY(read_head_reals(m, f, &c, &values[f - titan_config_fields]));
        else
            TITAN_TRY(read_number(m, f, 0, &c));
        seen[f - titan_config_fields] = true;
    }
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (!seen[i] && f->required)
            return titan_fail(TITAN_E_DATA, "config: missing key \"%s\"", f->name);
        if (seen[i] && f->kind == TITAN_FIELD_HEAD_REALS &&
            values[i] != (size_t)c.mtp_heads)
            return titan_fail(TITAN_E_DATA,
                              "config: %s has %zu entries, mtp_heads is %d",
                              f->name, values[i], c.mtp_heads);
    }
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
