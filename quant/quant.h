/* quant.h: storage-type helpers shared by the quantizers, the runtime and the
 * backends (dequantizing a stretch of one row). */
#ifndef TITAN_QUANT_QUANT_H
#define TITAN_QUANT_QUANT_H

#include "quant/half.h"
#include "titan.h"

/* Clip candidates `titan pack` tries per row by default (clips 1.00 ..
 * 0.80, titan_quant_rtn_clip); QAT rounds with the same. */
#define TITAN_QUANT_CLIP_STEPS 21

/* Fake quantization (QAT): dst[rows][cols] = the values titan_quant_rtn_clip
 * with the same arguments stores, dequantized (q * scale as titan_dequant_row
 * forms it), bit for bit. Same errors as titan_quant_rtn_clip. */
TITAN_NODISCARD titan_status titan_quant_fake(const float *src, int64_t rows,
                                              int64_t cols, titan_dtype dt,
                                              int32_t group_size, int clip_steps,
                                              float *dst);

/* Value c of a packed INT6 row (layout in titan.h): write q in [-32, 31], read. */
void titan_int6_set(uint8_t *row, int64_t c, int q);
int titan_int6_get(const uint8_t *row, int64_t c);
/* Value c of a row of quantized type dt (INT8, INT6 or INT6_BYTE): write q
 * in the type's range; read. */
void titan_quant_store(titan_dtype dt, uint8_t *row, int64_t c, int q);
int titan_quant_get(titan_dtype dt, const uint8_t *row, int64_t c);
/* The idle bits of a valid-shaped tensor t are zero: INT6 row padding holds
 * zeros and INT6_BYTE values lie in [-32, 31] (TITAN_E_DATA naming the row
 * and column otherwise); other types have none. */
TITAN_NODISCARD titan_status titan_quant_check_slack(const titan_tensor *t);
/* Every one of scales[0..n) is finite and > 0 (a quantized value is q *
 * scale); otherwise `code` with "WHAT: scale K is X". */
TITAN_NODISCARD titan_status titan_quant_check_scales(const float *scales, int64_t n,
                                                      titan_status code,
                                                      const char *what);

#endif
