/* gptq.h: GPTQ (Frantar et al. 2022) for one weight matrix with fixed
 * per-row scales: columns are quantized one at a time and each column's
 * rounding error is spread over the not-yet-quantized columns through the
 * inverse Hessian of the layer's inputs, in blocks with lazy updates. */
#ifndef TITAN_QUANT_GPTQ_H
#define TITAN_QUANT_GPTQ_H

#include "titan.h"

typedef struct {
    double damp;   /* fraction of mean(diag H) added to the diagonal (0.01) */
    int block;     /* columns per lazy-update block (128) */
    int act_order; /* quantize columns in order of decreasing H[j][j] */
    /* NULL, or row r's own range [-row_qmax[r] - 1, row_qmax[r]] in place of
     * [qmin, qmax] (a frequency-split embedding: int8 and int6 rows) */
    const int *row_qmax;
} titan_gptq_opts;

/* Scratch bytes titan_gptq_quantize needs for a rows x cols matrix. */
size_t titan_gptq_plan(int64_t rows, int64_t cols, const titan_gptq_opts *o);

/* Quantize w[rows][cols] (float32, row-major) given h[cols][cols], the
 * accumulated sum of x x^T over the layer's calibration inputs x (any positive
 * multiple of X X^T works; it is normalized by damping), and scale[rows] (> 0).
 * Writes q[rows][cols] = clamp(round(w'/scale), qmin, qmax) where w' is w with
 * the error feedback applied. Dead inputs (h[j][j] == 0) quantize to 0.
 * h is not modified; scratch is released on return. TITAN_E_DATA if the
 * damped Hessian is not positive definite even after raising the damping. */
TITAN_NODISCARD titan_status titan_gptq_quantize(titan_arena *scratch, const float *w,
                                                 int64_t rows, int64_t cols,
                                                 const double *h, const float *scale,
                                                 int qmin, int qmax,
                                                 const titan_gptq_opts *o, int8_t *q);

/* (w - scale q) H (w - scale q)^T for one row w[cols], q[cols]: that row's
 * share of the output error. scratch holds cols doubles. */
double titan_gptq_row_error(const double *h, const float *w, const int8_t *q, float scale,
                            int64_t cols, double *scratch);

/* The calibration-weighted output error of quantized weights q (a quantized
 * titan_tensor of w's shape, dequantized row by row) against w[rows][cols]:
 * tr((W - Q) H (W - Q)^T) / tr(W H W^T) with h as above, the quantity GPTQ
 * lowers; 0 when tr(W H W^T) is 0. Scratch (3 * cols values) is released on
 * return. */
TITAN_NODISCARD titan_status titan_gptq_output_error(titan_arena *scratch, const float *w,
                                                     const titan_tensor *q,
                                                     const double *h, double *rel);

#endif
