/* plan_xenith.h: `titan plan` for a xenith config (SPEC section 9). */
#ifndef TITAN_TOOLS_PLAN_XENITH_H
#define TITAN_TOOLS_PLAN_XENITH_H

#include "titan.h"

#include <stdbool.h>

/* Print the "params" and "cache" counts of c at context ctx (with json one
 * JSON object, the config in it); returns an exit code. */
int plan_xenith_print(const char *cmd, const titan_config *c, int64_t ctx, bool json);

#endif
