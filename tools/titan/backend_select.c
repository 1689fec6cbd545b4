/* backend_select.c: make the backend named by --backend (backend_select.h). */
#include "tools/titan/backend_select.h"

#include <string.h>

titan_status backend_check(const char *name) {
    if (!strcmp(name, "cpu") || !strcmp(name, "ref") || !strcmp(name, "tpu"))
        return TITAN_OK;
    return titan_fail(TITAN_E_USAGE, "unknown backend '%s' (cpu, ref, tpu)", name);
}

titan_status backend_act_quant(const char *name, const char *backend,
                               titan_act_quant *out) {
    *out = TITAN_ACT_EXACT;
    if (!name || !strcmp(name, "exact")) return TITAN_OK;
    if (strcmp(name, "q8"))
        return titan_fail(TITAN_E_USAGE, "unknown --act-quant '%s' (exact, q8)", name);
    if (backend && strcmp(backend, "cpu"))
        return titan_fail(TITAN_E_USAGE, "--act-quant q8 runs on the cpu backend only");
    *out = TITAN_ACT_Q8;
    return TITAN_OK;
}

/* Room for q8 copies of every matrix of c (platform/matmul_q8_pack.h),
 * counted at the most a copy takes (int8, a scale per 32 values): the
 * config does not say the stored types and groups. */
static size_t q8_pack_room(const titan_config *c) {
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    size_t bytes = 0;
    for (int i = 0; i < n && i < TITAN_MAX_TENSORS; i++)
        if (specs[i].ndim == 2)
            bytes += titan_q8_pack_bytes(specs[i].rows, specs[i].cols, 32, TITAN_DT_INT8);
    return bytes;
}

/* The cpu backend, sized for the model's products when q8. */
static titan_status cpu_create(titan_arena *a, const backend_choice *b,
                               const titan_config *c, int batch, titan_backend **be) {
    titan_cpu_options o = {.threads = b->threads, .act_quant = b->act_quant};
    if (b->act_quant == TITAN_ACT_Q8) {
        int64_t rows;
        TITAN_TRY(titan_config_matmul_bounds(c, &rows, &o.max_cols));
        o.max_tokens = batch;
        o.pack_bytes = q8_pack_room(c);
    }
    return titan_backend_cpu_create_opts(a, &o, be);
}

titan_status backend_create(titan_arena *a, const backend_choice *b,
                            const titan_config *c, int batch, titan_backend **be) {
    TITAN_TRY(backend_check(b->name));
    if (b->act_quant != TITAN_ACT_EXACT && strcmp(b->name, "cpu"))
        return titan_fail(TITAN_E_USAGE, "--act-quant q8 runs on the cpu backend only");
    if (!strcmp(b->name, "cpu")) return cpu_create(a, b, c, batch, be);
    if (!strcmp(b->name, "ref")) return titan_backend_ref_create(a, be);
    titan_tpu_config dflt;
    titan_tpu_config_default(&dflt);
    int64_t rows, cols;
    TITAN_TRY(titan_config_matmul_bounds(c, &rows, &cols));
    return titan_backend_tpu_create(a, b->tpu ? b->tpu : &dflt, batch, rows, cols, be);
}

titan_status backend_plan(const backend_choice *b, const titan_config *c, int batch,
                          size_t *bytes) {
    titan_arena meas;
    titan_arena_init(&meas, NULL, 0);
    titan_backend *be;
    TITAN_TRY(backend_create(&meas, b, c, batch, &be));
    *bytes = meas.high;
    return TITAN_OK;
}
