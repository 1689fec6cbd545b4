/* config_json.c: titan_config <-> JSON, keys and order as TITAN_CONFIG_FIELDS.
 * Unknown keys are refused so that a typo never silently keeps a default. */
#include "formats/config_json.h"

#include "core/config_fields.h"
#include "core/config_xenith.h"
#include "platform/file.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static void write_value(json_writer *w, const titan_config *c,
                        const titan_config_field *f, int k) {
    double v = titan_config_field_get(c, f, k);
    switch (f->kind) {
    case TITAN_FIELD_INT:
    case TITAN_FIELD_INTS: json_int(w, (int32_t)v); return;
    case TITAN_FIELD_BOOL: json_bool(w, v != 0); return;
    case TITAN_FIELD_ENUM:
    case TITAN_FIELD_ENUMS: {
        const char *s = titan_config_field_name_of(f, (int)v);
        json_string(w, s, strlen(s));
        return;
    }
    default: json_double(w, v);
    }
}

/* An OBJECT field: null, or its MEMBER fields as an object. */
static void write_object(json_writer *w, const titan_config *c,
                         const titan_config_field *f) {
    if (!titan_config_field_get(c, f, 0)) {
        json_null(w);
        return;
    }
    json_begin_object(w);
    for (const titan_config_field *m = f + 1;
         m < titan_config_fields + TITAN_CONFIG_N_FIELDS &&
         titan_config_field_parent(m) == f;
         m++) {
        json_key(w, titan_config_field_key(m));
        if (m->kind == TITAN_FIELD_INTS) json_begin_array(w);
        for (int k = 0; k < titan_config_field_values(m, c); k++) write_value(w, c, m, k);
        if (m->kind == TITAN_FIELD_INTS) json_end_array(w);
    }
    json_end_object(w);
}

void config_json_write_value(json_writer *w, const titan_config *c,
                             const titan_config_field *f) {
    if (f->kind == TITAN_FIELD_OBJECT) {
        write_object(w, c, f);
    } else if (f->kind == TITAN_FIELD_INTS || f->kind == TITAN_FIELD_ENUMS ||
               f->kind == TITAN_FIELD_HEAD_REALS) {
        json_begin_array(w);
        for (int k = 0; k < titan_config_field_values(f, c); k++) write_value(w, c, f, k);
        json_end_array(w);
    } else {
        write_value(w, c, f, 0);
    }
}

bool config_json_lists(const titan_config *c, const titan_config_field *f) {
    if (f->presence == TITAN_PRESENCE_MEMBER) return false; /* inside its object */
    if (!titan_config_field_in_family(f, c->family)) return false;
    if (f->presence != TITAN_PRESENCE_EXTRA && f->presence != TITAN_PRESENCE_FAMILY)
        return true;
    titan_config dflt; /* a set object differs from null whatever it holds */
    titan_config_defaults(&dflt);
    return !titan_config_field_equal(c, &dflt, f);
}

static void write_fields(json_writer *w, const titan_config *c, bool extra_only) {
    json_begin_object(w);
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (!config_json_lists(c, f) ||
            (extra_only && f->presence != TITAN_PRESENCE_EXTRA))
            continue;
        json_key(w, f->name);
        config_json_write_value(w, c, f);
    }
    json_end_object(w);
}

void config_json_write(json_writer *w, const titan_config *c) {
    write_fields(w, c, false);
}

void config_json_write_extra(json_writer *w, const titan_config *c) {
    write_fields(w, c, true);
}

bool config_json_has_extra(const titan_config *c) {
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (f->presence == TITAN_PRESENCE_EXTRA && config_json_lists(c, f)) return true;
    }
    return false;
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

/* One scalar JSON value as value k of field f, by the field's kind. Xenith
 * configs (SPEC section 9) take an int only as an integer literal: 2.0 is a
 * float there. */
static titan_status read_scalar(const json_value *v, const titan_config_field *f, int k,
                                titan_config *c) {
    bool number = v->type == JSON_NUMBER;
    bool integral = f->kind == TITAN_FIELD_INT || f->kind == TITAN_FIELD_INTS;
    bool literal = !TITAN_XENITH(c) || (number && v->is_int);
    if (integral && (!number || !literal || v->number != floor(v->number) ||
                     fabs(v->number) > INT32_MAX))
        return titan_fail(TITAN_E_DATA, "config: %s must be an integer in int32 range",
                          f->name);
    if (f->kind == TITAN_FIELD_BOOL) {
        if (v->type != JSON_TRUE && v->type != JSON_FALSE)
            return titan_fail(TITAN_E_DATA, "config: %s must be true or false, not %s",
                              f->name, json_type_name(v->type));
        titan_config_field_set(c, f, k, v->type == JSON_TRUE);
        return TITAN_OK;
    }
    if (f->kind == TITAN_FIELD_ENUMS && v->type == JSON_STRING) {
        /* a list's names are checked with the rest of the config, which may
         * not look at them (lora_targets when lora_rank is 0) */
        titan_config_field_set(c, f, k, titan_config_field_lookup(f, v->str, v->len));
        return TITAN_OK;
    }
    if (f->kind == TITAN_FIELD_ENUM || f->kind == TITAN_FIELD_ENUMS) {
        int e =
            v->type == JSON_STRING ? titan_config_field_lookup(f, v->str, v->len) : -1;
        if (e < 0)
            return titan_fail(TITAN_E_DATA,
                              "config: %s must be one of the strings "
                              "of its values (\"%s\", ...)",
                              f->name, f->names[0]);
        titan_config_field_set(c, f, k, e);
        return TITAN_OK;
    }
    if (!number)
        return titan_fail(TITAN_E_DATA, "config: %s must be a number, not %s", f->name,
                          json_type_name(v->type));
    titan_config_field_set(c, f, k, v->number);
    return TITAN_OK;
}

/* A list field: an array of at most `cap` values (*n of them). */
static titan_status read_list(const json_value *v, const titan_config_field *f, int cap,
                              titan_config *c, size_t *n) {
    if (v->type != JSON_ARRAY)
        return titan_fail(TITAN_E_DATA, "config: %s must be an array", f->name);
    if (v->len > (size_t)cap)
        return titan_fail(TITAN_E_DATA, "config: %s has %zu > %d entries", f->name,
                          v->len, cap);
    int k = 0;
    for (const json_value *e = v->child; e; e = e->next)
        TITAN_TRY(read_scalar(e, f, k++, c));
    *n = v->len;
    return TITAN_OK;
}

typedef struct {
    titan_config *c;
    bool seen[TITAN_CONFIG_N_FIELDS];
    size_t values[TITAN_CONFIG_N_FIELDS]; /* of list fields */
    bool extra_only; /* the artifact's extension: EXTRA fields only */
} config_reader;

static titan_status read_members(config_reader *r, const json_value *obj,
                                 const titan_config_field *object);

static titan_status read_field(config_reader *r, const json_value *m,
                               const titan_config_field *f) {
    size_t i = (size_t)(f - titan_config_fields);
    if (!titan_config_field_in_family(f, r->c->family))
        return titan_fail(TITAN_E_DATA, "config: \"%s\" is not a field of family %s",
                          f->name, TITAN_XENITH(r->c) ? "xenith" : "titan");
    /* section 8's and 9's optional fields take null as absent; in section 9
     * a null required field is missing */
    bool nullable = f->presence == TITAN_PRESENCE_EXTRA ||
                    f->presence == TITAN_PRESENCE_FAMILY || TITAN_XENITH(r->c);
    if (nullable && m->type == JSON_NULL) return TITAN_OK;
    r->seen[i] = true;
    switch (f->kind) {
    case TITAN_FIELD_INTS:
    case TITAN_FIELD_ENUMS:
        *(int32_t *)((char *)r->c + f->len_offset) = 0; /* from empty */
        return read_list(m, f, TITAN_MAX_LIST, r->c, &r->values[i]);
    case TITAN_FIELD_HEAD_REALS:
        return read_list(m, f, TITAN_MAX_MTP, r->c, &r->values[i]);
    case TITAN_FIELD_OBJECT:
        if (m->type != JSON_OBJECT)
            return titan_fail(TITAN_E_DATA,
                              "config: %s must be an object or null, "
                              "not %s",
                              f->name, json_type_name(m->type));
        titan_config_field_set(r->c, f, 0, 1);
        return read_members(r, m, f);
    default: return read_scalar(m, f, 0, r->c);
    }
}

/* The members of a JSON object: top-level fields (object NULL) or the
 * MEMBER fields of an OBJECT field. */
static titan_status read_members(config_reader *r, const json_value *obj,
                                 const titan_config_field *object) {
    for (const json_value *m = obj->child; m; m = m->next) {
        const titan_config_field *f = titan_config_field_find(object, m->key, m->key_len);
        if (!f || (r->extra_only && !object && f->presence != TITAN_PRESENCE_EXTRA))
            return titan_fail(TITAN_E_DATA, "config: unknown key \"%.*s\"%s%s",
                              (int)(m->key_len < 64 ? m->key_len : 64), m->key,
                              object ? " in " : "", object ? object->name : "");
        TITAN_TRY(read_field(r, m, f));
    }
    return TITAN_OK;
}

/* Required fields present (members of a set object too), lists of the right
 * length. */
static titan_status check_present(const config_reader *r) {
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        bool needed = f->presence == TITAN_PRESENCE_MEMBER
                          ? titan_config_field_active(r->c, f)
                          : titan_config_field_required(f, r->c->family);
        if (!r->seen[i] && needed && !r->extra_only)
            return titan_fail(TITAN_E_DATA, "config: missing key \"%s\"", f->name);
        if (!r->seen[i] && needed && f->presence == TITAN_PRESENCE_MEMBER)
            return titan_fail(TITAN_E_DATA, "config: %s needs \"%s\"",
                              titan_config_field_parent(f)->name,
                              titan_config_field_key(f));
        if (r->seen[i] && f->kind == TITAN_FIELD_HEAD_REALS &&
            r->values[i] != (size_t)r->c->mtp_heads)
            return titan_fail(TITAN_E_DATA, "config: %s has %zu entries, mtp_heads is %d",
                              f->name, r->values[i], r->c->mtp_heads);
    }
    return TITAN_OK;
}

/* "family" first: it decides which keys the object may have. */
static titan_status read_family(config_reader *r, const json_value *obj) {
    const titan_config_field *f = &titan_config_fields[TITAN_FIELD_family];
    for (const json_value *m = obj->child; m; m = m->next)
        if (m->key_len == strlen(f->name) && !memcmp(m->key, f->name, m->key_len) &&
            !r->extra_only)
            return m->type == JSON_NULL ? TITAN_OK : read_scalar(m, f, 0, r->c);
    return TITAN_OK;
}

static titan_status read_config(const json_value *obj, titan_config *c, bool extra_only) {
    if (obj->type != JSON_OBJECT)
        return titan_fail(TITAN_E_DATA, "config: expected a JSON object, not %s",
                          json_type_name(obj->type));
    config_reader r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.extra_only = extra_only;
    TITAN_TRY(read_family(&r, obj));
    TITAN_TRY(read_members(&r, obj, NULL));
    TITAN_TRY(check_present(&r));
    if (TITAN_XENITH(c)) titan_config_xenith_fill(c, r.seen);
    return titan_config_validate(c);
}

titan_status config_json_read(const json_value *obj, titan_config *out) {
    titan_config c;
    titan_config_defaults(&c);
    TITAN_TRY(read_config(obj, &c, false));
    memcpy(out, &c, sizeof c); /* padding included: configs compare bytewise */
    return TITAN_OK;
}

titan_status config_json_read_extra(const json_value *obj, titan_config *c) {
    return read_config(obj, c, true);
}

static titan_status parse_with(titan_arena *scratch, const char *text, size_t len,
                               titan_config *c, bool extra_only) {
    size_t mark = titan_arena_mark(scratch);
    const json_limits limits = {.max_depth = 8, .unique_keys = true};
    const json_value *root;
    titan_status st = json_parse(scratch, text, len, &limits, &root);
    if (st == TITAN_OK)
        st = extra_only ? config_json_read_extra(root, c) : config_json_read(root, c);
    titan_arena_reset(scratch, mark);
    return st;
}

titan_status titan_config_from_json(titan_arena *scratch, const char *text, size_t len,
                                    titan_config *out) {
    if (!scratch || !out) return titan_fail(TITAN_E_USAGE, "config: NULL argument");
    return parse_with(scratch, text, len, out, false);
}

titan_status titan_config_file_load(titan_arena *scratch, const char *path,
                                    titan_config *out) {
    if (!scratch || !path || !out)
        return titan_fail(TITAN_E_USAGE, "config: NULL argument");
    size_t mark = titan_arena_mark(scratch);
    uint8_t *text;
    size_t len;
    titan_status st = titan_file_read(scratch, path, TITAN_CONFIG_FILE_MAX, &text, &len);
    if (st == TITAN_OK) st = parse_with(scratch, (const char *)text, len, out, false);
    titan_arena_reset(scratch, mark);
    return st == TITAN_OK ? st : titan_fail_in(st, "%s", path);
}

titan_status config_json_parse_extra(titan_arena *scratch, const char *text, size_t len,
                                     titan_config *c) {
    return parse_with(scratch, text, len, c, true);
}
