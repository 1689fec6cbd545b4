/* config_fields.h: the config field list of titan.h (TITAN_CONFIG_FIELDS) as
 * a table, for code that walks every field: the JSON reader and writer, the
 * artifact's config record and `titan inspect`. */
#ifndef TITAN_CORE_CONFIG_FIELDS_H
#define TITAN_CORE_CONFIG_FIELDS_H

#include "titan.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    TITAN_FIELD_INT,        /* int32_t */
    TITAN_FIELD_REAL,       /* double */
    TITAN_FIELD_HEAD_REALS, /* double[TITAN_MAX_MTP], mtp_heads of them used */
} titan_field_kind;

typedef struct {
    const char *name; /* the JSON key */
    titan_field_kind kind;
    size_t offset; /* in titan_config */
    bool required; /* in config JSON */
    const char *doc;
} titan_config_field;

#define TITAN_CONFIG_COUNT_FIELD(...) +1
enum { TITAN_CONFIG_N_FIELDS = 0 TITAN_CONFIG_FIELDS(TITAN_CONFIG_COUNT_FIELD) };

extern const titan_config_field titan_config_fields[TITAN_CONFIG_N_FIELDS];

/* The field called name[0..len), or NULL. */
const titan_config_field *titan_config_field_find(const char *name, size_t len);

/* Values the field holds in c: 1, or c->mtp_heads for HEAD_REALS (clamped to
 * 0..TITAN_MAX_MTP, so a config not yet validated is walked safely). */
int titan_config_field_values(const titan_config_field *f,
                              const titan_config *c);

/* Value k (< TITAN_MAX_MTP for HEAD_REALS, else 0) of the field, as a
 * double (ints exactly). */
double titan_config_field_get(const titan_config *c,
                              const titan_config_field *f, int k);

/* Set value k; ints take v converted (the caller checked it is an int32). */
void titan_config_field_set(titan_config *c, const titan_config_field *f,
                            int k, double v);

/* Every field inside its min..max of TITAN_CONFIG_FIELDS (TITAN_E_DATA
 * naming the field otherwise); rules across fields are not checked here. */
titan_status titan_config_check_ranges(const titan_config *c);

#endif
