/* half.c: float32 <-> float16 / bfloat16 by bit manipulation, so results do
 * not depend on the compiler's or CPU's half support. */
#include "quant/half.h"

#include <string.h>

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float f32_from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Shift `mant` right by `shift` (1..31) rounding to nearest, ties to even. */
static uint32_t shift_round_even(uint32_t mant, unsigned shift) {
    uint32_t q = mant >> shift, rem = mant & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return q;
}

uint16_t titan_f32_to_f16(float f) {
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t exp = (u >> 23) & 0xff, mant = u & 0x7fffff;
    if (exp == 0xff) /* Inf, or NaN kept quiet with its top payload bits */
        return sign | (mant ? 0x7e00 | (uint16_t)(mant >> 13) : 0x7c00);
    if (exp > 142) return sign | 0x7c00; /* >= 2^16: beyond the largest half */
    if (exp >= 113) {                    /* normal half; a carry may reach Inf */
        uint32_t h = ((exp - 112) << 10) | (mant >> 13);
        uint32_t rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
        return sign | (uint16_t)h;
    }
    if (exp < 102) return sign; /* below 2^-25: rounds to zero */
    /* Subnormal half: units of 2^-24; value = (mant|1<<23) * 2^(exp-150).
     * A carry to 0x400 is exactly the smallest normal. */
    return sign | (uint16_t)shift_round_even(mant | 0x800000, 126 - exp);
}

float titan_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0) { /* zero or subnormal: mant * 2^-24 is exact in float */
        float v = (float)mant * 0x1p-24f;
        return f32_from_bits(f32_bits(v) | sign);
    }
    if (exp == 31) return f32_from_bits(sign | 0x7f800000 | (mant << 13));
    return f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t titan_f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffff) > 0x7f800000) /* NaN: keep sign, force quiet */
        return (uint16_t)((u >> 16) | 0x40);
    /* bf16 is the top half of f32; rounding may carry into Inf, as it should. */
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

float titan_bf16_to_f32(uint16_t h) { return f32_from_bits((uint32_t)h << 16); }
