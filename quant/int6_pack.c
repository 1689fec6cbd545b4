/* int6_pack.c: the INT6 bit packing of titan.h: values c..c+3 of a row (c a
 * multiple of 4) form the 24-bit word u0 | u1 << 6 | u2 << 12 | u3 << 18,
 * stored as 3 little-endian bytes at byte c / 4 * 3. */
#include "quant/quant.h"

void titan_int6_set(uint8_t *row, int64_t c, int q) {
    uint32_t bits = (uint32_t)(q & 0x3f) << (6 * (c % 4));
    uint32_t mask = (uint32_t)0x3f << (6 * (c % 4));
    uint8_t *w = row + c / 4 * 3;
    for (int i = 0; i < 3; i++)
        w[i] = (uint8_t)((w[i] & ~(mask >> (8 * i))) | (bits >> (8 * i)));
}

int titan_int6_get(const uint8_t *row, int64_t c) {
    const uint8_t *w = row + c / 4 * 3;
    uint32_t word = w[0] | (uint32_t)w[1] << 8 | (uint32_t)w[2] << 16;
    int v = (int)((word >> (6 * (c % 4))) & 0x3f);
    return v >= 32 ? v - 64 : v; /* sign-extend 6 bits */
}

void titan_quant_store(titan_dtype dt, uint8_t *row, int64_t c, int q) {
    if (dt == TITAN_DT_INT8) row[c] = (uint8_t)(int8_t)q;
    else titan_int6_set(row, c, q);
}
