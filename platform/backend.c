/* backend.c: what every backend shares behind titan.h: construction of the
 * stateless ones from the arena, the name, and tear-down through the table. */
#include "platform/backend.h"

titan_status titan_backend_ref_create(titan_arena *a, titan_backend **out) {
    if (!a || !out) return titan_fail(TITAN_E_USAGE, "backend ref: NULL argument");
    titan_backend *be;
    TITAN_TRY(titan_arena_alloc(a, sizeof *be, TITAN_ALIGN, (void **)&be));
    if (be) titan_backend_ref(be);
    *out = be;
    return TITAN_OK;
}

titan_status titan_backend_tpu_create(titan_arena *a, const titan_tpu_config *c,
                                      int max_T, int64_t max_rows, int64_t max_cols,
                                      titan_backend **out) {
    if (!a || !out) return titan_fail(TITAN_E_USAGE, "backend tpu: NULL argument");
    titan_backend *be, measured;
    *out = NULL;
    TITAN_TRY(titan_arena_alloc(a, sizeof *be, TITAN_ALIGN, (void **)&be));
    TITAN_TRY(
        titan_tpu_backend_init(be ? be : &measured, a, c, max_T, max_rows, max_cols));
    *out = be;
    return TITAN_OK;
}

const char *titan_backend_name(const titan_backend *be) { return be ? be->name : "none"; }

void titan_backend_destroy(titan_backend *be) {
    if (be && be->destroy) be->destroy(be);
}
