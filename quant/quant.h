/* quant.h: storage-type helpers shared by the quantizers, the runtime and the
 * backends (dequantizing a stretch of one row). */
#ifndef TITAN_QUANT_QUANT_H
#define TITAN_QUANT_QUANT_H

#include "quant/half.h"
#include "titan.h"

/* Value c of a packed INT6 row (layout in titan.h): write q in [-32, 31], read. */
void titan_int6_set(uint8_t *row, int64_t c, int q);
int titan_int6_get(const uint8_t *row, int64_t c);
/* Value c of a row of dt (INT8 or INT6): write q in the type's range. */
void titan_quant_store(titan_dtype dt, uint8_t *row, int64_t c, int q);

#endif
