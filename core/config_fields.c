/* config_fields.c: the table, defaults, accessors and range checks made from
 * TITAN_CONFIG_FIELDS (titan.h). */
#include "core/config_fields.h"

#include <math.h>
#include <string.h>

#define ENUM_STRING(prefix, value, string) #string,
#define NAMES_DECL_ENUM(name)                                                            \
    static const char *const names_##name[] = {TITAN_VALUES_##name(ENUM_STRING) NULL};
#define NAMES_DECL_ENUMS(name) NAMES_DECL_ENUM(name)
#define NAMES_DECL_INT(name)
#define NAMES_DECL_REAL(name)
#define NAMES_DECL_BOOL(name)
#define NAMES_DECL_INTS(name)
#define NAMES_DECL_HEAD_REALS(name)
#define NAMES_DECL_OBJECT(name)
#define NAMES_DECL(kind, name, ...) NAMES_DECL_##kind(name)
TITAN_CONFIG_FIELDS(NAMES_DECL)

#define NAMES_OF_ENUM(name)         names_##name
#define NAMES_OF_ENUMS(name)        names_##name
#define NAMES_OF_INT(name)          NULL
#define NAMES_OF_REAL(name)         NULL
#define NAMES_OF_BOOL(name)         NULL
#define NAMES_OF_INTS(name)         NULL
#define NAMES_OF_HEAD_REALS(name)   NULL
#define NAMES_OF_OBJECT(name)       NULL
#define LEN_OFFSET_INTS(name)       offsetof(titan_config, name##_len)
#define LEN_OFFSET_ENUMS(name)      LEN_OFFSET_INTS(name)
#define LEN_OFFSET_INT(name)        0
#define LEN_OFFSET_REAL(name)       0
#define LEN_OFFSET_BOOL(name)       0
#define LEN_OFFSET_ENUM(name)       0
#define LEN_OFFSET_HEAD_REALS(name) 0
#define LEN_OFFSET_OBJECT(name)     0
#define FIELD_ENTRY(kind, name, presence, dflt, lo, hi, doc)                             \
    {#name,                                                                              \
     TITAN_FIELD_##kind,                                                                 \
     TITAN_PRESENCE_##presence,                                                          \
     offsetof(titan_config, name),                                                       \
     LEN_OFFSET_##kind(name),                                                            \
     NAMES_OF_##kind(name),                                                              \
     doc},

const titan_config_field titan_config_fields[TITAN_CONFIG_N_FIELDS] = {
    TITAN_CONFIG_FIELDS(FIELD_ENTRY)};

/* Defaults: a scalar takes its value, a list is empty, an object null. */
#define DEFAULT_INT(name, dflt)    c->name = (dflt);
#define DEFAULT_REAL(name, dflt)   c->name = (dflt);
#define DEFAULT_BOOL(name, dflt)   c->name = (dflt);
#define DEFAULT_ENUM(name, dflt)   c->name = (dflt);
#define DEFAULT_OBJECT(name, dflt) c->name = (dflt);
#define DEFAULT_INTS(name, dflt)
#define DEFAULT_ENUMS(name, dflt)
#define DEFAULT_HEAD_REALS(name, dflt)
#define SET_DEFAULT(kind, name, presence, dflt, lo, hi, doc) DEFAULT_##kind(name, dflt)

void titan_config_defaults(titan_config *c) {
    memset(c, 0, sizeof *c); /* padding too: configs compare bytewise */
    TITAN_CONFIG_FIELDS(SET_DEFAULT)
}

const titan_config_field *titan_config_field_parent(const titan_config_field *f) {
    if (f->presence != TITAN_PRESENCE_MEMBER) return NULL;
    while (f > titan_config_fields && f->kind != TITAN_FIELD_OBJECT) f--;
    return f->kind == TITAN_FIELD_OBJECT ? f : NULL;
}

const char *titan_config_field_key(const titan_config_field *f) {
    const titan_config_field *p = titan_config_field_parent(f);
    return p ? f->name + strlen(p->name) + 1 : f->name;
}

const titan_config_field *titan_config_field_find(const titan_config_field *object,
                                                  const char *key, size_t len) {
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        const char *k = titan_config_field_key(f);
        if (titan_config_field_parent(f) == object && strlen(k) == len &&
            !memcmp(k, key, len))
            return f;
    }
    return NULL;
}

static const int32_t *len_of(const titan_config *c, const titan_config_field *f) {
    return (const int32_t *)((const char *)c + f->len_offset);
}

int titan_config_field_values(const titan_config_field *f, const titan_config *c) {
    int n = 1, cap = 1;
    if (f->kind == TITAN_FIELD_INTS || f->kind == TITAN_FIELD_ENUMS)
        n = *len_of(c, f), cap = TITAN_MAX_LIST;
    if (f->kind == TITAN_FIELD_HEAD_REALS) n = c->mtp_heads, cap = TITAN_MAX_MTP;
    return n < 0 ? 0 : n > cap ? cap : n;
}

double titan_config_field_get(const titan_config *c, const titan_config_field *f, int k) {
    const char *p = (const char *)c + f->offset;
    switch (f->kind) {
    case TITAN_FIELD_INT:
    case TITAN_FIELD_ENUM: return *(const int32_t *)p;
    case TITAN_FIELD_INTS:
    case TITAN_FIELD_ENUMS: return ((const int32_t *)p)[k];
    case TITAN_FIELD_BOOL:
    case TITAN_FIELD_OBJECT: return *(const bool *)p;
    case TITAN_FIELD_REAL: return *(const double *)p;
    case TITAN_FIELD_HEAD_REALS: break;
    }
    return ((const double *)p)[k];
}

void titan_config_field_set(titan_config *c, const titan_config_field *f, int k,
                            double v) {
    char *p = (char *)c + f->offset;
    switch (f->kind) {
    case TITAN_FIELD_INT:
    case TITAN_FIELD_ENUM: *(int32_t *)p = (int32_t)v; return;
    case TITAN_FIELD_INTS:
    case TITAN_FIELD_ENUMS:
        ((int32_t *)p)[k] = (int32_t)v;
        if (*len_of(c, f) < k + 1) *(int32_t *)((char *)c + f->len_offset) = k + 1;
        return;
    case TITAN_FIELD_BOOL:
    case TITAN_FIELD_OBJECT: *(bool *)p = v != 0; return;
    case TITAN_FIELD_REAL: *(double *)p = v; return;
    case TITAN_FIELD_HEAD_REALS: break;
    }
    ((double *)p)[k] = v;
}

bool titan_config_field_in_family(const titan_config_field *f, int family) {
    switch (f->presence) {
    case TITAN_PRESENCE_REQUIRED:
    case TITAN_PRESENCE_EXTRA:
    case TITAN_PRESENCE_MEMBER: return family == TITAN_FAMILY_TITAN;
    case TITAN_PRESENCE_XENITH:
    case TITAN_PRESENCE_XENITH_REQUIRED: return family == TITAN_FAMILY_XENITH;
    default: return true;
    }
}

bool titan_config_field_required(const titan_config_field *f, int family) {
    switch (f->presence) {
    case TITAN_PRESENCE_REQUIRED:
    case TITAN_PRESENCE_MEMBER:
    case TITAN_PRESENCE_COMMON_DEFAULT: return family == TITAN_FAMILY_TITAN;
    case TITAN_PRESENCE_XENITH_REQUIRED: return family == TITAN_FAMILY_XENITH;
    case TITAN_PRESENCE_COMMON: return true;
    default: return false;
    }
}

bool titan_config_field_active(const titan_config *c, const titan_config_field *f) {
    if (!titan_config_field_in_family(f, c->family)) return false;
    const titan_config_field *p = titan_config_field_parent(f);
    return !p || titan_config_field_get(c, p, 0) != 0;
}

bool titan_config_field_equal(const titan_config *a, const titan_config *b,
                              const titan_config_field *f) {
    int n = titan_config_field_values(f, a);
    if (n != titan_config_field_values(f, b)) return false;
    for (int k = 0; k < n; k++) /* doubles compare by value, so NaN never equals */
        if (titan_config_field_get(a, f, k) != titan_config_field_get(b, f, k))
            return false;
    return true;
}

const char *titan_config_field_name_of(const titan_config_field *f, int value) {
    for (int i = 0; f->names && f->names[i]; i++)
        if (i == value) return f->names[i];
    return "?";
}

int titan_config_field_lookup(const titan_config_field *f, const char *s, size_t len) {
    for (int i = 0; f->names && f->names[i]; i++)
        if (strlen(f->names[i]) == len && !memcmp(f->names[i], s, len)) return i;
    return -1;
}

static titan_status check_int(const char *name, int32_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi)
        return titan_fail(TITAN_E_DATA, "config: %s = %d outside [%lld, %lld]", name, v,
                          (long long)lo, (long long)hi);
    return TITAN_OK;
}

static titan_status check_real(const char *name, double v, double lo, double hi) {
    if (!isfinite(v) || v < lo || v > hi)
        return titan_fail(TITAN_E_DATA, "config: %s = %g outside [%g, %g]", name, v, lo,
                          hi);
    return TITAN_OK;
}

static titan_status check_INT(const char *name, const int32_t *v, int64_t lo, int64_t hi,
                              const titan_config *c) {
    (void)c;
    return check_int(name, *v, lo, hi);
}

static titan_status check_REAL(const char *name, const double *v, double lo, double hi,
                               const titan_config *c) {
    (void)c;
    return check_real(name, *v, lo, hi);
}

static titan_status check_INTS(const titan_config_field *f, int64_t lo, int64_t hi,
                               const titan_config *c) {
    for (int k = 0; k < titan_config_field_values(f, c); k++)
        TITAN_TRY(check_int(f->name, (int32_t)titan_config_field_get(c, f, k), lo, hi));
    return TITAN_OK;
}

/* One per prediction head; mtp_heads is checked before (field order). */
static titan_status check_HEAD_REALS(const char *name, const double (*v)[TITAN_MAX_MTP],
                                     double lo, double hi, const titan_config *c) {
    for (int k = 0; k < c->mtp_heads; k++) TITAN_TRY(check_real(name, (*v)[k], lo, hi));
    return TITAN_OK;
}

#define CHECK_RANGE_INT(name, lo, hi)  check_INT(#name, &c->name, lo, hi, c)
#define CHECK_RANGE_REAL(name, lo, hi) check_REAL(#name, &c->name, lo, hi, c)
#define CHECK_RANGE_INTS(name, lo, hi)                                                   \
    check_INTS(&titan_config_fields[TITAN_FIELD_##name], lo, hi, c)
#define CHECK_RANGE_HEAD_REALS(name, lo, hi) check_HEAD_REALS(#name, &c->name, lo, hi, c)
#define CHECK_RANGE_ENUMS(name, lo, hi)      TITAN_OK /* names: titan_config_validate */
#define CHECK_RANGE_BOOL(name, lo, hi)       TITAN_OK
#define CHECK_RANGE_OBJECT(name, lo, hi)     TITAN_OK
#define CHECK_RANGE_ENUM(name, lo, hi)                                                   \
    check_enum(&titan_config_fields[TITAN_FIELD_##name], c)
#define CHECK_RANGE(kind, name, presence, dflt, lo, hi, doc)                             \
    if (titan_config_field_active(c, &titan_config_fields[TITAN_FIELD_##name]))          \
        TITAN_TRY(CHECK_RANGE_##kind(name, lo, hi));

static titan_status check_enum(const titan_config_field *f, const titan_config *c) {
    int v = (int)titan_config_field_get(c, f, 0), n = 0;
    while (f->names[n]) n++;
    if (v < 0 || v >= n)
        return titan_fail(TITAN_E_DATA, "config: %s = %d is none of its values", f->name,
                          v);
    return TITAN_OK;
}

titan_status titan_config_check_ranges(const titan_config *c) {
    TITAN_CONFIG_FIELDS(CHECK_RANGE)
    return TITAN_OK;
}
