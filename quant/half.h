/* half.h: float32 <-> float16 (IEEE binary16) and bfloat16 conversions.
 * float -> half rounds to nearest, ties to even; overflow gives infinity,
 * subnormal halves are produced and read exactly; NaN stays NaN (quieted,
 * sign kept). Halves travel as their raw uint16_t bit patterns. */
#ifndef TITAN_QUANT_HALF_H
#define TITAN_QUANT_HALF_H

#include <stddef.h>
#include <stdint.h>

uint16_t titan_f32_to_f16(float f);
float titan_f16_to_f32(uint16_t h);
uint16_t titan_f32_to_bf16(float f);
float titan_bf16_to_f32(uint16_t h);

#endif
