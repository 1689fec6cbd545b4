/* act_q8.h: activation quantization of the opt-in q8 path (--act-quant q8):
 * each token's row of x cut into blocks of TITAN_Q8_BLOCK values, each
 * quantized symmetrically to int8 with one float scale, so integer kernels
 * can dot int8 weights with it (platform/matmul_q8*.c). */
#ifndef TITAN_QUANT_ACT_Q8_H
#define TITAN_QUANT_ACT_Q8_H

#include "titan.h"

#define TITAN_Q8_BLOCK 32 /* activation values per scale */
#define TITAN_Q8_PAD   64 /* each quantized row is padded with zeros to this */

/* T tokens of K values, quantized. Block b of token t (values
 * [32b, 32b + 32) of the row, zeros past K) has q[t*ld + k] in [-127, 127],
 * scale[b*T + t] and sum[b*T + t] = the sum of its q (for the kernels' +128
 * offset: sum_k (w + 128) q = sum_k w q + 128 sum). Scales and sums are
 * block-major so a tile reads consecutive tokens of one block at once. */
typedef struct {
    int T;
    int64_t K, blocks; /* blocks = ceil(K / 32) */
    size_t ld;         /* K rounded up to TITAN_Q8_PAD */
    int8_t *q;
    float *scale;
    int32_t *sum;
} titan_q8_acts;

/* The one rounding rule: v (|v| <= 127.5) to the nearest integer, ties to
 * even, as the default floating-point mode rounds. */
int titan_q8_round(float v);

/* Token rows [t0, t1) of x ([T][K] floats) into a (its T, K, blocks, ld and
 * pointers set). scale = max|x| / 127 over the block, q = round(x / scale);
 * an all-zero block has scale 0 and q = 0; a block with a value that is not
 * finite gets scale NaN (q = 0), so NaN reaches its outputs as in float. */
void titan_q8_quantize_rows(titan_q8_acts *a, const float *x, int t0, int t1);

/* One block of n <= 32 values into q (n entries) and *scale; returns the
 * sum of q. The rows driver with another implementation of the same rule
 * (platform/act_q8_avx512.c): */
typedef int32_t (*titan_q8_block_fn)(const float *x, int n, int8_t *q, float *scale);
void titan_q8_quantize_rows_by(titan_q8_acts *a, const float *x, int t0, int t1,
                               titan_q8_block_fn block);

#endif
