/* gptq_calibrate.h: GPTQ with Hessians from running the float model on
 * calibration text (the runtime forward pass on a recording backend). */
#ifndef TITAN_TOOLS_GPTQ_CALIBRATE_H
#define TITAN_TOOLS_GPTQ_CALIBRATE_H

#include "titan.h"

/* GPTQ calibration input: the packed config, its tokenizer blob, the text
 * (at most max_tokens tokens after a BOS, in windows of 256 or max_seq_len)
 * and the clips each row's scale is chosen among (as storage_quantize's). */
typedef struct {
    const titan_config *c;
    const uint8_t *tok, *text;
    size_t tok_len, text_len;
    int64_t max_tokens;
    int clip_steps;
    /* NULL, or per tensor: its rows take the ranges row_qmax[rows] (a
     * frequency-split embedding, embed_split.h) instead of their type's */
    const bool *split;
    const int *row_qmax;
    titan_progress calibration; /* tokens run through the float model */
    titan_progress solve;       /* GPTQ of each tensor, in weights done */
} gptq_calib;

/* GPTQ's effect on one tensor: the input rows summed into its Hessian
 * (calibration tokens x recurrences for block matrices and wkv_b, calibration
 * tokens for tok_emb and the heads; 0 = no Hessian, it stays
 * round-to-nearest) and the calibration-weighted output error
 * tr((W-Q) H (W-Q)^T) / tr(W H W^T) on that H of the round-to-nearest values
 * and of GPTQ's (each row on its best clip). */
typedef struct {
    int64_t calib_rows;
    double rtn_error, gptq_error;
} gptq_stat;

/* Rerun the quantization of each quantized per-row tensor out[i] (values
 * already RTN-quantized; values and scales are replaced) with GPTQ, its
 * Hessian taken from the float model f[0..n) (F32, the same order and
 * config) on the calibration text (gptq_requantize.c); stats[0..n) say what it
 * did. */
TITAN_NODISCARD titan_status gptq_requantize(titan_arena *a, const gptq_calib *pc,
                                             const titan_tensor *f, titan_tensor *out,
                                             int n, gptq_stat *stats);

#endif
