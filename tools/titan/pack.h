/* pack.h: the pieces of `titan pack` beyond flag parsing: reading a trainer
 * checkpoint, choosing each tensor's storage type, quantizing. */
#ifndef TITAN_TOOLS_PACK_H
#define TITAN_TOOLS_PACK_H

#include "titan.h"

/* A trainer checkpoint (formats/checkpoint.h): its tensors, config,
 * tokenizer blob (tok_len 0 when trained on shards) and the name prefix of
 * the weights to pack ("", "ema/", "swa/"; `weights` overrides the file's
 * export choice when not NULL). Also the plain inputs, prefix "". */
typedef struct {
    titan_safetensors st;
    titan_config config;
    const uint8_t *tok;
    size_t tok_len;
    const char *prefix;
} pack_ckpt;

titan_status pack_ckpt_read(titan_arena *a, const char *path,
                            const char *weights, pack_ckpt *out);

/* Storage policy: --quant f32|f16|bf16 stores every tensor in that type;
 * int8|int6|int6b quantize tok_emb, block matrices and MTP heads and keep norms and
 * conv f32; mixed = int6 block matrices, int8 tok_emb and heads, f16 norms and
 * conv. Then each "GLOB=TYPE" of the comma-separated `overrides` (fnmatch on
 * the SPEC name, later entries win) applies; a glob matching no tensor or an
 * unknown type is TITAN_E_USAGE. */
titan_status pack_choose_types(const char *quant, const char *overrides,
                               const titan_tensor_spec *specs, int n,
                               titan_dtype *types);

/* Store f[rows*cols] (float32, may be overwritten) as t->dtype (set by the
 * caller along with the shape and name): float types converted, quantized
 * types by round-to-nearest with clip search (clip_steps) in groups of
 * t->group_size. Memory from the arena. */
titan_status pack_store(titan_arena *a, float *f, int clip_steps,
                        titan_tensor *t);

/* GPTQ calibration input: the packed config, its tokenizer blob, the text
 * (at most max_tokens tokens after a BOS, in windows of 256 or max_seq_len)
 * and the clips each row's scale is chosen among (as pack_store's). */
typedef struct {
    const titan_config *c;
    const uint8_t *tok, *text;
    size_t tok_len, text_len;
    int64_t max_tokens;
    int clip_steps;
} pack_calib;

/* GPTQ's effect on one tensor: the input rows summed into its Hessian
 * (calibration tokens x recurrences for block matrices and wkv_b, calibration
 * tokens for tok_emb and the heads; 0 = no Hessian, it stays
 * round-to-nearest) and the calibration-weighted output error
 * tr((W-Q) H (W-Q)^T) / tr(W H W^T) on that H of the round-to-nearest values
 * and of GPTQ's (each row on its best clip). */
typedef struct {
    int64_t calib_rows;
    double rtn_error, gptq_error;
} pack_gptq_stat;

/* Rerun the quantization of each quantized per-row tensor out[i] (values
 * already RTN-quantized; values and scales are replaced) with GPTQ, its
 * Hessian taken from the float model f[0..n) (F32, the same order and
 * config) on the calibration text (pack_gptq.c); stats[0..n) say what it
 * did. */
titan_status pack_gptq(titan_arena *a, const pack_calib *pc,
                       const titan_tensor *f, titan_tensor *out, int n,
                       pack_gptq_stat *stats);

/* The bit-packed INT6 tensors of t[0..n) as INT6_BYTE, values unchanged;
 * other types untouched. The bytes come from the arena (t[i].data is
 * replaced, scales are kept). */
titan_status pack_int6_to_bytes(titan_arena *a, titan_tensor *t, int n);

#endif
