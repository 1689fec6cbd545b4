/* int6_pack.c: the INT6 bit packing of titan.h: values c..c+3 of a row (c a
 * multiple of 4) form the 24-bit word u0 | u1 << 6 | u2 << 12 | u3 << 18,
 * stored as 3 little-endian bytes at byte c / 4 * 3. INT8 and INT6_BYTE keep
 * one int8 per value. Also the checks of stored quantized values: idle bits
 * and scales. */
#include "core/base/le.h"
#include "quant/quant.h"

#include <math.h>

void titan_int6_set(uint8_t *row, int64_t c, int q) {
    uint32_t bits = (uint32_t)(q & 0x3f) << (6 * (c % 4));
    uint32_t mask = (uint32_t)0x3f << (6 * (c % 4));
    uint8_t *w = row + c / 4 * 3;
    for (int i = 0; i < 3; i++)
        w[i] = (uint8_t)((w[i] & ~(mask >> (8 * i))) | (bits >> (8 * i)));
}

int titan_int6_get(const uint8_t *row, int64_t c) {
    uint32_t word = le_rd24(row + c / 4 * 3);
    int v = (int)((word >> (6 * (c % 4))) & 0x3f);
    return v >= 32 ? v - 64 : v; /* sign-extend 6 bits */
}

void titan_quant_store(titan_dtype dt, uint8_t *row, int64_t c, int q) {
    if (dt == TITAN_DT_INT6)
        titan_int6_set(row, c, q);
    else
        row[c] = (uint8_t)(int8_t)q;
}

int titan_quant_get(titan_dtype dt, const uint8_t *row, int64_t c) {
    return dt == TITAN_DT_INT6 ? titan_int6_get(row, c) : (int8_t)row[c];
}

titan_status titan_quant_check_scales(const float *scales, int64_t n, titan_status code,
                                      const char *what) {
    for (int64_t k = 0; k < n; k++)
        if (!isfinite(scales[k]) || !(scales[k] > 0))
            return titan_fail(code, "%s: scale %lld is %g", what, (long long)k,
                              (double)scales[k]);
    return TITAN_OK;
}

titan_status titan_quant_check_slack(const titan_tensor *t) {
    size_t row_bytes = titan_dtype_row_bytes(t->dtype, t->cols);
    for (int64_t r = 0; r < t->rows; r++) {
        const uint8_t *row = (const uint8_t *)t->data + (size_t)r * row_bytes;
        if (t->dtype == TITAN_DT_INT6)
            for (int64_t c = t->cols; c % 4; c++)
                if (titan_int6_get(row, c))
                    return titan_fail(TITAN_E_DATA,
                                      "row %lld has a value in its "
                                      "int6 padding",
                                      (long long)r);
        if (t->dtype == TITAN_DT_INT6_BYTE)
            for (int64_t c = 0; c < t->cols; c++)
                if ((int8_t)row[c] < -32 || (int8_t)row[c] > 31)
                    return titan_fail(TITAN_E_DATA,
                                      "value [%lld, %lld] is %d, "
                                      "outside int6 [-32, 31]",
                                      (long long)r, (long long)c, (int8_t)row[c]);
    }
    return TITAN_OK;
}
