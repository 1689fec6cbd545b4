/* quant.h: storage-type helpers shared by the quantizers, the runtime and the
 * backends (dequantizing a stretch of one row). */
#ifndef TITAN_QUANT_QUANT_H
#define TITAN_QUANT_QUANT_H

#include "titan.h"

/* Value c of a packed INT6 row (layout in titan.h): write q in [-32, 31], read. */
void titan_int6_set(uint8_t *row, int64_t c, int q);
int titan_int6_get(const uint8_t *row, int64_t c);

/* Bytes of one row of `cols` values of a valid dtype (INT6: ceil(cols/4)*3). */
size_t titan_dtype_row_bytes(titan_dtype dt, int64_t cols);

/* Half-precision bit patterns to float. */
float titan_f16_to_f32(uint16_t h);
float titan_bf16_to_f32(uint16_t h);

#endif
