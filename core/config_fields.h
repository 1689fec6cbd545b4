/* config_fields.h: the config field list of titan.h (TITAN_CONFIG_FIELDS) as
 * a table, for code that walks every field: the JSON reader and writer, the
 * artifact's config record and `titan inspect`. */
#ifndef TITAN_CORE_CONFIG_FIELDS_H
#define TITAN_CORE_CONFIG_FIELDS_H

#include "titan.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    TITAN_FIELD_INT,
    TITAN_FIELD_REAL,
    TITAN_FIELD_BOOL,
    TITAN_FIELD_ENUM,
    TITAN_FIELD_INTS,
    TITAN_FIELD_ENUMS,
    TITAN_FIELD_HEAD_REALS,
    TITAN_FIELD_OBJECT,
} titan_field_kind;

typedef enum {
    TITAN_PRESENCE_REQUIRED,
    TITAN_PRESENCE_OPTIONAL,
    TITAN_PRESENCE_EXTRA,
    TITAN_PRESENCE_MEMBER,
    TITAN_PRESENCE_COMMON,
    TITAN_PRESENCE_COMMON_DEFAULT,
    TITAN_PRESENCE_FAMILY,
    TITAN_PRESENCE_XENITH,
    TITAN_PRESENCE_XENITH_REQUIRED,
} titan_field_presence;

typedef struct {
    const char *name; /* the member of titan_config */
    titan_field_kind kind;
    titan_field_presence presence;
    size_t offset;            /* in titan_config */
    size_t len_offset;        /* INTS, ENUMS: of name_len */
    const char *const *names; /* ENUM, ENUMS: its strings, NULL-terminated */
    const char *doc;
} titan_config_field;

#define TITAN_CONFIG_FIELD_INDEX(kind, name, ...) TITAN_FIELD_##name,
enum { TITAN_CONFIG_FIELDS(TITAN_CONFIG_FIELD_INDEX) TITAN_CONFIG_N_FIELDS };

extern const titan_config_field titan_config_fields[TITAN_CONFIG_N_FIELDS];

/* The OBJECT a MEMBER belongs to (the nearest one before it), else NULL. */
const titan_config_field *titan_config_field_parent(const titan_config_field *f);

/* Its JSON key: the name, a MEMBER's without "<object>_". */
const char *titan_config_field_key(const titan_config_field *f);

/* The member of `object` (NULL: the top-level field) whose JSON key is
 * key[0..len), or NULL. */
const titan_config_field *titan_config_field_find(const titan_config_field *object,
                                                  const char *key, size_t len);

/* Values the field holds in c: INTS and ENUMS their length, HEAD_REALS mtp_heads
 * (both clamped to their storage, so an unchecked config is walked safely),
 * every other kind 1. */
int titan_config_field_values(const titan_config_field *f, const titan_config *c);

/* Value k of the field as a double (ints and bools exactly). */
double titan_config_field_get(const titan_config *c, const titan_config_field *f, int k);

/* Set value k (INTS, ENUMS: k < TITAN_MAX_LIST, the length becomes at least k + 1);
 * ints take v converted (the caller checked it is an int32). */
void titan_config_field_set(titan_config *c, const titan_config_field *f, int k,
                            double v);

/* The family (TITAN_FAMILY_*) takes the field (titan.h, PRESENCE). */
bool titan_config_field_in_family(const titan_config_field *f, int family);

/* Config JSON of the family must give the field (a MEMBER: when its object
 * is set). */
bool titan_config_field_required(const titan_config_field *f, int family);

/* The field takes part in c: a field of c's family, but not a MEMBER of an
 * unset OBJECT. */
bool titan_config_field_active(const titan_config *c, const titan_config_field *f);

/* The field holds the same values in a and b. */
bool titan_config_field_equal(const titan_config *a, const titan_config *b,
                              const titan_config_field *f);

/* The string of an ENUM value, or "?" outside its names. */
const char *titan_config_field_name_of(const titan_config_field *f, int value);

/* The ENUM value named s[0..len), or -1. */
int titan_config_field_lookup(const titan_config_field *f, const char *s, size_t len);

/* Every active field inside its min..max of TITAN_CONFIG_FIELDS, ENUMs
 * inside their names (an ENUMS list's names are checked by its family) (TITAN_E_DATA naming the field otherwise); rules across
 * fields are not checked here. */
TITAN_NODISCARD titan_status titan_config_check_ranges(const titan_config *c);

#endif
