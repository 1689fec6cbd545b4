/* dequant.c: any storage type back to float32, one stretch of a row at a time
 * (value = q * scale of its group), so kernels never expand a whole tensor;
 * titan_tensor_row_f32 is the checked whole-row form for exports and tests. */
#include "core/base/le.h"
#include "quant/dtype.h"
#include "quant/half.h"
#include "quant/quant.h"

#include <string.h>

size_t titan_dtype_row_bytes(titan_dtype dt, int64_t cols) {
    const titan_dtype_traits *t = titan_dtype_get(dt);
    return (size_t)((cols + t->block_values - 1) / t->block_values) *
           (size_t)t->block_bytes;
}

static float scale_of(const titan_tensor *w, int64_t row, int64_t col) {
    if (!w->group_size) return w->scales[row];
    int64_t groups = (w->cols + w->group_size - 1) / w->group_size;
    return w->scales[row * groups + col / w->group_size];
}

void titan_dequant_row(const titan_tensor *w, int64_t row, int64_t col0, int64_t n,
                       float *out) {
    const uint8_t *r =
        (const uint8_t *)w->data + (size_t)row * titan_dtype_row_bytes(w->dtype, w->cols);
    switch (w->dtype) {
    case TITAN_DT_F32: memcpy(out, r + col0 * 4, (size_t)n * 4); return;
    case TITAN_DT_F16:
    case TITAN_DT_BF16:
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = le_rd16(r + 2 * (col0 + i));
            out[i] =
                w->dtype == TITAN_DT_F16 ? titan_f16_to_f32(h) : titan_bf16_to_f32(h);
        }
        return;
    case TITAN_DT_INT8:
    case TITAN_DT_INT6_BYTE:
        for (int64_t i = 0; i < n; i++)
            out[i] = (float)(int8_t)r[col0 + i] * scale_of(w, row, col0 + i);
        return;
    case TITAN_DT_INT6:
        for (int64_t i = 0; i < n; i++) {
            int64_t c = col0 + i;
            out[i] = (float)titan_int6_get(r, c) * scale_of(w, row, c);
        }
        return;
    }
}

titan_status titan_tensor_row_f32(const titan_tensor *t, int64_t row, float *out) {
    titan_tensor_layout_t l;
    if (!t || !out || !t->data || row < 0 || row >= t->rows ||
        (titan_dtype_get(t->dtype) && titan_dtype_get(t->dtype)->quantized && !t->scales))
        return titan_fail(TITAN_E_USAGE, "dequant: bad arguments");
    TITAN_TRY(titan_tensor_layout(t->dtype, t->rows, t->cols, t->group_size, &l));
    titan_dequant_row(t, row, 0, t->cols, out);
    return TITAN_OK;
}
