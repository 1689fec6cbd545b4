/* storage.c: each tensor's storage type (policy + overrides) and its
 * conversion from float32. */
#include "quant/dtype.h"
#include "quant/half.h"
#include "quant/quant.h"
#include "tools/titan/storage.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

/* A xenith model's LoRA adapter (SPEC section 9): a low-rank pair whose
 * product is what matters, so it is stored as the small tensors are
 * (QLoRA's layout: the base quantized, the adapters in float). */
static int is_adapter(const char *name) {
    size_t n = strlen(name);
    return n > 7 &&
           (!strcmp(name + n - 7, ".lora_A") || !strcmp(name + n - 7, ".lora_B"));
}

static titan_dtype policy_type(const char *quant, const titan_tensor_spec *spec) {
    titan_role role = spec->role;
    int small =
        role == TITAN_ROLE_NORM || role == TITAN_ROLE_CONV || is_adapter(spec->name);
    if (!strcmp(quant, "mixed"))
        return small                       ? TITAN_DT_F16
               : role == TITAN_ROLE_MATRIX ? TITAN_DT_INT6
                                           : TITAN_DT_INT8;
    titan_dtype dt;
    if (titan_dtype_from_name(quant, &dt) != TITAN_OK)
        dt = TITAN_DT_F32; /* checked by the caller */
    return titan_dtype_get(dt)->quantized && small ? TITAN_DT_F32 : dt;
}

/* Apply one "GLOB=TYPE" entry of length len. */
static titan_status apply_override(const char *entry, size_t len,
                                   const titan_tensor_spec *specs, int n,
                                   titan_dtype *types) {
    char buf[160];
    const char *eq = memchr(entry, '=', len);
    if (!eq || len >= sizeof buf || eq == entry)
        return titan_fail(TITAN_E_USAGE, "--tensor-quant entry '%.*s': GLOB=TYPE",
                          (int)len, entry);
    memcpy(buf, entry, len);
    buf[len] = 0;
    buf[eq - entry] = 0;
    titan_dtype dt;
    if (titan_dtype_from_name(buf + (eq - entry) + 1, &dt) != TITAN_OK)
        return titan_fail(TITAN_E_USAGE, "--tensor-quant %s: unknown type '%s'", buf,
                          buf + (eq - entry) + 1);
    int hits = 0;
    for (int i = 0; i < n; i++)
        if (fnmatch(buf, specs[i].name, 0) == 0) types[i] = dt, hits++;
    if (!hits)
        return titan_fail(TITAN_E_USAGE, "--tensor-quant %s matches no tensor", buf);
    return TITAN_OK;
}

titan_status storage_choose_types(const char *quant, const char *overrides,
                                  const titan_tensor_spec *specs, int n,
                                  titan_dtype *types) {
    titan_dtype dt;
    if (strcmp(quant, "mixed") && titan_dtype_from_name(quant, &dt) != TITAN_OK)
        return titan_fail(TITAN_E_USAGE,
                          "--quant %s: f32, f16, bf16, int8, int6, "
                          "int6b or mixed",
                          quant);
    for (int i = 0; i < n; i++) types[i] = policy_type(quant, &specs[i]);
    for (const char *p = overrides; p && *p;) {
        size_t len = strcspn(p, ",");
        TITAN_TRY(apply_override(p, len, specs, n, types));
        p += len + (p[len] == ',');
    }
    return TITAN_OK;
}

titan_status storage_quantize(titan_arena *a, float *f, int clip_steps, titan_tensor *t) {
    titan_tensor_layout_t l;
    TITAN_TRY(titan_tensor_layout(t->dtype, t->rows, t->cols, t->group_size, &l));
    size_t n = (size_t)(t->rows * t->cols);
    switch (t->dtype) {
    case TITAN_DT_F32: t->data = f; return TITAN_OK;
    case TITAN_DT_F16:
    case TITAN_DT_BF16: { /* in place: half types need half the room */
        uint16_t *h = (uint16_t *)f;
        for (size_t k = 0; k < n; k++)
            h[k] = t->dtype == TITAN_DT_F16 ? titan_f32_to_f16(f[k])
                                            : titan_f32_to_bf16(f[k]);
        t->data = h;
        return TITAN_OK;
    }
    case TITAN_DT_INT8:
    case TITAN_DT_INT6:
    case TITAN_DT_INT6_BYTE: {
        void *q;
        float *s;
        TITAN_TRY(titan_arena_alloc(a, l.value_bytes, TITAN_ALIGN, &q));
        TITAN_TRY(titan_arena_alloc(a, l.scale_bytes, TITAN_ALIGN, (void **)&s));
        TITAN_TRY(titan_quant_rtn_clip(f, t->rows, t->cols, t->dtype, t->group_size,
                                       clip_steps, q, s));
        t->data = q, t->scales = s;
        return TITAN_OK;
    }
    }
    return titan_fail(TITAN_E_USAGE, "storage: unknown type %d", (int)t->dtype);
}

titan_status storage_int6_as_bytes(titan_arena *a, titan_tensor *t, int n) {
    for (int i = 0; i < n; i++) {
        if (t[i].dtype != TITAN_DT_INT6) continue;
        size_t row_bytes = titan_dtype_row_bytes(TITAN_DT_INT6, t[i].cols);
        int8_t *b;
        TITAN_TRY(titan_arena_alloc(a, (size_t)(t[i].rows * t[i].cols), TITAN_ALIGN,
                                    (void **)&b));
        for (int64_t r = 0; r < t[i].rows; r++)
            for (int64_t c = 0; c < t[i].cols; c++)
                b[r * t[i].cols + c] = (int8_t)titan_int6_get(
                    (const uint8_t *)t[i].data + (size_t)r * row_bytes, c);
        t[i].dtype = TITAN_DT_INT6_BYTE, t[i].data = b;
    }
    return TITAN_OK;
}
