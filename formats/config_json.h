/* config_json.h: titan_config as a JSON object inside a larger document
 * (e.g. `titan inspect --json` under "config"). */
#ifndef TITAN_FORMATS_CONFIG_JSON_H
#define TITAN_FORMATS_CONFIG_JSON_H

#include "formats/json.h"

/* Write every SPEC section 1 field, in SPEC order, as one object value. */
void config_json_write(json_writer *w, const titan_config *c);

/* Read a config from a parsed object (same rules as titan_config_from_json). */
titan_status config_json_read(const json_value *obj, titan_config *out);

#endif
