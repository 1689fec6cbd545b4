/* matmul_q8_pack.h: the q8 path's row-interleaved copy of a weight tensor,
 * so one vector instruction dots several rows with one broadcast group of
 * 4 activation bytes and a block's sums land with lanes = rows (no
 * horizontal folding per row, one contiguous stream per group of rows).
 *
 * Rows are cut into groups of TITAN_Q8_IL; group g, block b (values
 * [32b, 32b + 32)) takes 512 bytes for INT8: 8 steps j of 64 bytes, for r < 16
 *
 *     u[j][4r + i] = W[16g + r][32b + 4j + i]      (0 past K and the last row)
 *
 * and 384 bytes for INT6 / INT6_BYTE, whose u = W + 32 in [0, 63] is cut in
 * a 4-bit and a 2-bit plane (matmul_q8_pack.c), expanded by a few shifts and
 * masks in registers: 3/4 of the bytes to stream. Beside the values, the
 * scales: ws[(g * sgroups + s) * 16 + r] = scale of row 16g + r, group of
 * scales s (sgroups = 1 for per-row scales; 0 past the last row). The copy
 * lives in the cpu backend's arena (titan_cpu_options.pack_bytes), made at a
 * tensor's first q8 product; the tensor as stored stays for the other paths. */
#ifndef TITAN_PLATFORM_MATMUL_Q8_PACK_H
#define TITAN_PLATFORM_MATMUL_Q8_PACK_H

#include "titan.h"

#include <stdbool.h>

#define TITAN_Q8_IL 16 /* rows per interleaved group */

typedef struct {
    const int8_t *w;
    const float *ws;
    int64_t blocks;  /* ceil(K / 32) */
    int64_t sgroups; /* groups of scales per row */
    int64_t sblocks; /* blocks per group of scales (blocks when per row) */
    int bits;        /* 8: INT8 steps; 6: INT6 planes */
} titan_q8_packed;

/* Bytes of one group's block, and where group g's values and scales start. */
static inline size_t titan_q8_block_bytes(int bits) { return bits == 8 ? 512 : 384; }
static inline const int8_t *titan_q8_group_values(const titan_q8_packed *p, int64_t g) {
    return p->w + (size_t)g * (size_t)p->blocks * titan_q8_block_bytes(p->bits);
}
static inline const float *titan_q8_group_scales(const titan_q8_packed *p, int64_t g) {
    return p->ws + (size_t)g * (size_t)p->sgroups * TITAN_Q8_IL;
}

/* Whether w can have a packed copy: INT8, INT6_BYTE or INT6 (bit-packed) with
 * scales per row or per group of a multiple of 32 values. */
bool titan_q8_packs(const titan_tensor *w);

/* Pack w (titan_q8_takes(w)) into dst (titan_q8_pack_bytes, 64-byte
 * aligned); *out points into it. */
void titan_q8_pack(const titan_tensor *w, void *dst, titan_q8_packed *out);

/* Packed copies made at first use, looked up by the tensor (its data,
 * scales, shape and type): a fixed table in an arena region. */
enum { TITAN_Q8_PACK_SLOTS = 2 * TITAN_MAX_TENSORS };
typedef struct {
    const void *data; /* NULL: a free slot */
    const float *scales;
    int64_t rows, cols;
    int32_t group_size;
    titan_dtype dtype;
    titan_q8_packed packed;
} titan_q8_pack_slot;
typedef struct {
    titan_q8_pack_slot *slots; /* [TITAN_Q8_PACK_SLOTS] */
    uint8_t *base;             /* the copies, cap bytes */
    size_t cap, used;
} titan_q8_pack_cache;

/* w's packed copy, made now if new and it fits; NULL when the region is
 * full (the row-major kernels serve it then). */
const titan_q8_packed *titan_q8_pack_get(titan_q8_pack_cache *c, const titan_tensor *w);

#endif
