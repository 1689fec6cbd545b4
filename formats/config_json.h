/* config_json.h: titan_config as a JSON object inside a larger document
 * (e.g. `titan inspect --json` under "config"), and the artifact's config
 * extension (the SPEC section 8 fields that differ from their defaults). */
#ifndef TITAN_FORMATS_CONFIG_JSON_H
#define TITAN_FORMATS_CONFIG_JSON_H

#include "core/config_fields.h"
#include "formats/json.h"

/* Write the config as one object value: every section-1 field, and each
 * section-8 field that differs from its default, in field order. */
void config_json_write(json_writer *w, const titan_config *c);

/* Whether config_json_write lists field f of c (section-1 fields always,
 * section-8 ones when not at their default, members inside their object),
 * and its value as JSON. */
bool config_json_lists(const titan_config *c, const titan_config_field *f);
void config_json_write_value(json_writer *w, const titan_config *c,
                             const titan_config_field *f);

/* Read a config from a parsed object (same rules as titan_config_from_json). */
TITAN_NODISCARD titan_status config_json_read(const json_value *obj, titan_config *out);

/* The section-8 (EXTRA) fields that differ from their defaults, as one
 * object; config_json_has_extra says whether there is any. */
void config_json_write_extra(json_writer *w, const titan_config *c);
bool config_json_has_extra(const titan_config *c);

/* Read such an object onto c (its other fields already set): only EXTRA keys
 * are taken; the result is validated whole. */
TITAN_NODISCARD titan_status config_json_read_extra(const json_value *obj,
                                                    titan_config *c);

/* The same from text, the parse tree in scratch (reset on return). */
TITAN_NODISCARD titan_status config_json_parse_extra(titan_arena *scratch,
                                                     const char *text, size_t len,
                                                     titan_config *c);

#endif
