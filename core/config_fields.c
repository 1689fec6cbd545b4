/* config_fields.c: the table, defaults and range checks made from
 * TITAN_CONFIG_FIELDS (titan.h). */
#include "core/config_fields.h"

#include <math.h>
#include <string.h>

#define PRESENCE_REQUIRED true
#define PRESENCE_OPTIONAL false
#define FIELD_ENTRY(kind, name, presence, dflt, lo, hi, doc)                   \
    {#name, TITAN_FIELD_##kind, offsetof(titan_config, name),                  \
     PRESENCE_##presence, doc},

const titan_config_field titan_config_fields[TITAN_CONFIG_N_FIELDS] = {
    TITAN_CONFIG_FIELDS(FIELD_ENTRY)};

#define DEFAULT_REQUIRED(name, dflt)
#define DEFAULT_OPTIONAL(name, dflt) c->name = (dflt);
#define SET_DEFAULT(kind, name, presence, dflt, lo, hi, doc)                   \
    DEFAULT_##presence(name, dflt)

void titan_config_defaults(titan_config *c) {
    memset(c, 0, sizeof *c); /* padding too: configs compare bytewise */
    TITAN_CONFIG_FIELDS(SET_DEFAULT)
}

const titan_config_field *titan_config_field_find(const char *name,
                                                  size_t len) {
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const char *f = titan_config_fields[i].name;
        if (strlen(f) == len && !memcmp(f, name, len))
            return &titan_config_fields[i];
    }
    return NULL;
}

int titan_config_field_values(const titan_config_field *f,
                              const titan_config *c) {
    if (f->kind != TITAN_FIELD_HEAD_REALS) return 1;
    int n = c->mtp_heads;
    return n < 0 ? 0 : n > TITAN_MAX_MTP ? TITAN_MAX_MTP : n;
}

double titan_config_field_get(const titan_config *c,
                              const titan_config_field *f, int k) {
    const char *p = (const char *)c + f->offset;
    if (f->kind == TITAN_FIELD_INT) return *(const int32_t *)p;
    return ((const double *)p)[k];
}

void titan_config_field_set(titan_config *c, const titan_config_field *f,
                            int k, double v) {
    char *p = (char *)c + f->offset;
    if (f->kind == TITAN_FIELD_INT) *(int32_t *)p = (int32_t)v;
    else ((double *)p)[k] = v;
}

static titan_status check_INT(const char *name, const int32_t *v, int64_t lo,
                              int64_t hi, const titan_config *c) {
    (void)c;
    if (*v < lo || *v > hi)
        return titan_fail(TITAN_E_DATA, "config: %s = %d outside [%lld, %lld]",
                          name, *v, (long long)lo, (long long)hi);
    return TITAN_OK;
}

static titan_status check_real(const char *name, double v, double lo,
                               double hi) {
    if (!isfinite(v) || v < lo || v > hi)
        return titan_fail(TITAN_E_DATA, "config: %s = %g outside [%g, %g]",
                          name, v, lo, hi);
    return TITAN_OK;
}

static titan_status check_REAL(const char *name, const double *v, double lo,
                               double hi, const titan_config *c) {
    (void)c;
    return check_real(name, *v, lo, hi);
}

/* One per prediction head; mtp_heads is checked before (field order). */
static titan_status check_HEAD_REALS(const char *name,
                                     const double (*v)[TITAN_MAX_MTP],
                                     double lo, double hi,
                                     const titan_config *c) {
    for (int k = 0; k < c->mtp_heads; k++)
        TITAN_TRY(check_real(name, (*v)[k], lo, hi));
    return TITAN_OK;
}

#define CHECK_RANGE(kind, name, presence, dflt, lo, hi, doc)                   \
    TITAN_TRY(check_##kind(#name, &c->name, lo, hi, c));

titan_status titan_config_check_ranges(const titan_config *c) {
    TITAN_CONFIG_FIELDS(CHECK_RANGE)
    return TITAN_OK;
}
