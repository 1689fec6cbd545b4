/* budget_predict.h: an artifact's size before it is packed (titan budget).
 * Uncompressed: exact, from the artifact writer itself (path NULL measures)
 * over zero-filled tensors of the types pack would choose. With a codec: the
 * writer's exact sections but the tensor data, whose bytes are each tensor's
 * stored values and scales times a compressed-bytes-per-stored-byte rate
 * measured in-process on a sample quantized as pack does (storage.h) from
 * titan init's N(0, 0.02^2) weights, at the codec's real settings; or, given
 * a trained model's weights (titan budget --ckpt), on those: every tensor
 * pack would store as that type, quantized (RTN) and encoded as one stream. */
#ifndef TITAN_TOOLS_BUDGET_PREDICT_H
#define TITAN_TOOLS_BUDGET_PREDICT_H

#include "titan.h"
#include "tools/titan/pack_input.h"

enum {
    BUDGET_EMBED,    /* tok_emb, bigram and value-embedding tensors */
    BUDGET_ATTN,     /* block matrices but the MLP's */
    BUDGET_MLP,      /* w_up, w_down, w_gate */
    BUDGET_NORM,     /* norms, gains, scales, conv kernels: stored bytes, no credit */
    BUDGET_HEAD,     /* MTP heads */
    BUDGET_OVERHEAD, /* head, config, tokenizer, directory, alignment */
    BUDGET_GROUPS
};

/* Compressed bytes per stored byte, per dtype, measured once per codec. */
typedef struct {
    titan_codec codec;
    const pack_input *trained; /* weights to measure on, or NULL: init-like */
    const char *quant;         /* with trained: pack's --quant, the types */
    double values[TITAN_DT_INT6_BYTE + 1], scales[TITAN_DT_INT6_BYTE + 1];
    bool measured[TITAN_DT_INT6_BYTE + 1];
} budget_rates;

typedef struct {
    uint64_t stored[BUDGET_GROUPS]; /* uncompressed bytes (file for the overhead) */
    double predicted[BUDGET_GROUPS];
    double total;
    bool int6_byte; /* int6 predicted one per byte (smaller with the codec) */
} budget_prediction;

extern const char *const budget_group_names[BUDGET_GROUPS];

/* The file pack --quant quant --codec r->codec would write for config c and
 * tokenizer tok (rates measured on first use). Memory from the arena. */
TITAN_NODISCARD titan_status budget_predict(titan_arena *a, const titan_config *c,
                                            const char *quant, const uint8_t *tok,
                                            size_t tok_len, budget_rates *r,
                                            budget_prediction *out);

/* Scratch bytes budget_predict needs for c (the writer's data and bound),
 * and the trained weights' measuring with r->trained. */
size_t budget_scratch_bytes(const titan_config *c, const budget_rates *r);

#endif
