/* dequant.c: one row of any storage type back to float32 (titan.h:
 * titan_tensor_row_f32). Reference code: exports and tests, not hot loops. */
#include "core/status.h"
#include "quant/dtype.h"
#include "quant/half.h"

#include <string.h>

/* Six-bit two's complement field k of a 24-bit little-endian word. */
static int int6_at(const uint8_t *row, int64_t col) {
    const uint8_t *b = row + (col / 4) * 3;
    uint32_t word = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
    int u = (int)(word >> (6 * (col % 4))) & 63;
    return u >= 32 ? u - 64 : u;
}

static float scale_of(const titan_tensor *t, uint64_t groups, int64_t row,
                      int64_t col) {
    uint64_t g = t->group_size ? (uint64_t)(col / t->group_size) : 0;
    return t->scales[(uint64_t)row * groups + g];
}

titan_status titan_tensor_row_f32(const titan_tensor *t, int64_t row,
                                  float *out) {
    titan_tensor_layout_t l;
    if (!t || !out || !t->data || row < 0 || row >= t->rows)
        return titan_fail(TITAN_E_USAGE, "dequant: bad arguments");
    TITAN_TRY(titan_tensor_layout(t->dtype, t->rows, t->cols, t->group_size, &l));
    const uint8_t *src = (const uint8_t *)t->data + (uint64_t)row * l.row_bytes;
    switch (t->dtype) {
    case TITAN_DT_F32:
        memcpy(out, src, (size_t)l.row_bytes);
        return TITAN_OK;
    case TITAN_DT_F16:
    case TITAN_DT_BF16:
        for (int64_t c = 0; c < t->cols; c++) {
            uint16_t h = (uint16_t)(src[2 * c] | src[2 * c + 1] << 8);
            out[c] = t->dtype == TITAN_DT_F16 ? titan_f16_to_f32(h) : titan_bf16_to_f32(h);
        }
        return TITAN_OK;
    case TITAN_DT_INT8:
        for (int64_t c = 0; c < t->cols; c++)
            out[c] = (float)(int8_t)src[c] * scale_of(t, l.groups, row, c);
        return TITAN_OK;
    case TITAN_DT_INT6:
        for (int64_t c = 0; c < t->cols; c++)
            out[c] = (float)int6_at(src, c) * scale_of(t, l.groups, row, c);
        return TITAN_OK;
    }
    return titan_fail(TITAN_E_USAGE, "dequant: unknown type %d", (int)t->dtype);
}
