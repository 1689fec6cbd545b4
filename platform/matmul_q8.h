/* matmul_q8.h: the opt-in activation-quantized products (--act-quant q8):
 * x quantized per block of 32 values (quant/act_q8.h), int8-laned weights
 * (INT8, INT6_BYTE) dotted with it in exact int32 sums, one per block, then
 * in float, block after block:
 *
 *     y[t][n] = 0;  for each block b:
 *         y[t][n] = fma(ws(n, group of b) * xs(t, b), (float)isum(t, n, b), y[t][n])
 *
 * where isum is the exact integer dot product of the block (|isum| <=
 * 32 * 128 * 127 < 2^24, so the conversion is exact) and fma rounds once.
 * Every family computes that sequence per output value, so all of them equal
 * titan_q8_rows_scalar bit for bit, for any split of rows over threads.
 * Families: AVX-512 VNNI (vpdpbusd on w + 128 and signed x, less 128 * the
 * block's sum of x), AVX2 (vpmaddubsw on |w| and sign(x, w), then vpmaddwd),
 * scalar. */
#ifndef TITAN_PLATFORM_MATMUL_Q8_H
#define TITAN_PLATFORM_MATMUL_Q8_H

#include "platform/cpu_features.h"
#include "platform/matmul_q8_pack.h"
#include "quant/act_q8.h"
#include "titan.h"

#include <stdbool.h>

typedef struct {
    const titan_tensor *w;    /* [N][K], titan_q8_takes(w) */
    const titan_q8_acts *x;   /* T tokens of K values */
    float *y;                 /* [T][N] */
    const titan_q8_packed *p; /* w interleaved (matmul_q8_pack.h), or NULL */
} titan_q8_args;

/* Whether the q8 path can take w: INT8 or INT6_BYTE with scales per row or
 * per group of a multiple of 32 values (a block never straddles two). Other
 * tensors keep the exact path. */
bool titan_q8_takes(const titan_tensor *w);

/* One thread's share: y rows [n0, n1) for all tokens. scratch: the cpu
 * backend's per-thread MATMUL_SCRATCH_FLOATS floats (64-byte aligned). */
typedef void (*titan_q8_rows_fn)(const titan_q8_args *a, int64_t n0, int64_t n1,
                                 void *scratch);

/* The reference: plain loops of the formula above (any int8-laned or INT6
 * tensor, values read one by one). */
void titan_q8_rows_scalar(const titan_q8_args *a, int64_t n0, int64_t n1, void *scratch);
/* Need AVX2 (and AVX-512 F+BW+VL+VNNI): titan_q8_kernel says which runs here. */
void titan_q8_rows_avx2(const titan_q8_args *a, int64_t n0, int64_t n1, void *scratch);
void titan_q8_rows_vnni512(const titan_q8_args *a, int64_t n0, int64_t n1, void *scratch);

/* The widest q8 family this CPU runs within kernel family isa. */
titan_q8_rows_fn titan_q8_kernel(titan_isa isa);

/* titan_q8_quantize_rows (quant/act_q8.h) and a vector form of it giving
 * the same bits (needs AVX-512 F+BW+VL); the one for kernel family isa. */
typedef void (*titan_q8_quant_fn)(titan_q8_acts *a, const float *x, int t0, int t1);
void titan_q8_quantize_rows_avx512(titan_q8_acts *a, const float *x, int t0, int t1);
titan_q8_quant_fn titan_q8_quantizer(titan_isa isa);

/* Scale of block b (values [32b, 32b + 32)) of row n of w. */
static inline float titan_q8_wscale(const titan_tensor *w, int64_t n, int64_t b) {
    int64_t gs = w->group_size, K = w->cols;
    if (!gs || gs >= K) return w->scales[n];
    return w->scales[n * ((K + gs - 1) / gs) + b * 32 / gs];
}

#endif
