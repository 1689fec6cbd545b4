/* dtype.c: one traits table for every storage type, and the byte layout of a
 * tensor built from it (titan.h: titan_tensor_layout). */
#include "quant/dtype.h"

#include <string.h>

static const titan_dtype_traits traits[] = {
    [TITAN_DT_F32] = {"f32", 1, 4, false, 0},
    [TITAN_DT_F16] = {"f16", 1, 2, false, 0},
    [TITAN_DT_BF16] = {"bf16", 1, 2, false, 0},
    [TITAN_DT_INT8] = {"int8", 1, 1, true, 127},
    [TITAN_DT_INT6] = {"int6", 4, 3, true, 31},       /* 4 values in 24 bits */
    [TITAN_DT_INT6_BYTE] = {"int6b", 1, 1, true, 31}, /* INT8 layout */
};
enum { N_DTYPES = sizeof traits / sizeof traits[0] };

const titan_dtype_traits *titan_dtype_get(titan_dtype dt) {
    return (unsigned)dt < N_DTYPES ? &traits[dt] : NULL;
}

const char *titan_dtype_name(titan_dtype dt) {
    const titan_dtype_traits *t = titan_dtype_get(dt);
    return t ? t->name : "unknown";
}

titan_status titan_dtype_from_name(const char *name, titan_dtype *dt) {
    for (int i = 0; name && i < N_DTYPES; i++)
        if (!strcmp(name, traits[i].name)) {
            *dt = (titan_dtype)i;
            return TITAN_OK;
        }
    return titan_fail(TITAN_E_USAGE, "unknown type '%s'", name ? name : "");
}

/* Shapes are bounded (rows, cols <= 2^40) so no product below overflows. */
enum { DIM_BITS = 40 };

titan_status titan_tensor_layout(titan_dtype dt, int64_t rows, int64_t cols,
                                 int32_t group_size, titan_tensor_layout_t *l) {
    const titan_dtype_traits *t = titan_dtype_get(dt);
    if (!t) return titan_fail(TITAN_E_DATA, "unknown type %d", (int)dt);
    if (rows < 1 || cols < 1 || rows >= (int64_t)1 << DIM_BITS ||
        cols >= (int64_t)1 << DIM_BITS || rows * cols >= (int64_t)1 << DIM_BITS)
        return titan_fail(TITAN_E_DATA, "shape [%lld, %lld] out of range",
                          (long long)rows, (long long)cols);
    if (t->quantized ? group_size < 0 || group_size > cols : group_size != 0)
        return titan_fail(TITAN_E_DATA, "%s: group size %d invalid for %lld columns",
                          t->name, group_size, (long long)cols);
    uint64_t blocks =
        ((uint64_t)cols + (uint64_t)t->block_values - 1) / (uint64_t)t->block_values;
    l->row_bytes = blocks * (uint64_t)t->block_bytes;
    l->value_bytes = l->row_bytes * (uint64_t)rows;
    l->groups = t->quantized && group_size
                    ? ((uint64_t)cols + (uint64_t)group_size - 1) / (uint64_t)group_size
                    : (uint64_t)t->quantized;
    l->scale_offset = (l->value_bytes + TITAN_ALIGN - 1) & ~(uint64_t)(TITAN_ALIGN - 1);
    l->scale_bytes = l->groups * (uint64_t)rows * sizeof(float);
    l->total_bytes = t->quantized ? l->scale_offset + l->scale_bytes : l->value_bytes;
    return TITAN_OK;
}
