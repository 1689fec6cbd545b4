/* budget_predict.h: an artifact's size before it is packed (titan budget).
 * Uncompressed: exact, from the artifact writer itself (path NULL measures)
 * over zero-filled tensors of the types pack would choose. With a codec: the
 * writer's exact sections but the tensor data, whose bytes are each tensor's
 * stored values and scales times a compressed-bytes-per-stored-byte rate
 * measured in-process on a sample quantized as pack does (storage.h) from
 * titan init's N(0, 0.02^2) weights, at the codec's real settings. Codec
 * auto: per tensor group (formats/artifact_format.h, the same groups as
 * below with the scales apart) the smallest codec and shuffle at those
 * rates, or one codec on the whole section when that predicts smaller, as
 * pack --codec auto picks. */
#ifndef TITAN_TOOLS_BUDGET_PREDICT_H
#define TITAN_TOOLS_BUDGET_PREDICT_H

#include "formats/artifact_format.h"
#include "tools/titan/pack_input.h"

/* The artifact's tensor groups (a tensor's scales counted with it here). */
enum {
    BUDGET_EMBED = ART_KIND_EMBED, /* tok_emb, bigram and value-embedding tensors */
    BUDGET_ATTN = ART_KIND_ATTN,   /* block matrices but the MLP's */
    BUDGET_MLP = ART_KIND_MLP,     /* w_up, w_down, w_gate */
    BUDGET_NORM =
        ART_KIND_VECTORS,        /* norms, gains, conv kernels: stored bytes, no credit */
    BUDGET_HEAD = ART_KIND_HEAD, /* MTP heads */
    BUDGET_OVERHEAD,             /* head, config, tokenizer, directory, alignment */
    BUDGET_GROUPS
};

/* Compressed bytes per stored byte, [codec][byte-shuffled][dtype], measured
 * once per codec and dtype. */
typedef struct {
    titan_codec codec;         /* what is predicted: none, lzma, xz, brotli or auto */
    const pack_input *trained; /* weights to measure on (--ckpt), NULL: init-like */
    const char *quant;         /* with trained: pack's --quant, the types */
    double values[4][2][TITAN_DT_INT6_BYTE + 1], scales[4][2];
    bool measured[4][TITAN_DT_INT6_BYTE + 1];
} budget_rates;

typedef struct {
    uint64_t stored[BUDGET_GROUPS]; /* uncompressed bytes (file for the overhead) */
    double predicted[BUDGET_GROUPS];
    double total;
    bool int6_byte; /* int6 predicted one per byte (smaller with the codec) */
    /* Codec auto: the data section's form (TITAN_CODEC_AUTO: grouped, else
     * one codec on it all) and, grouped, each group's codec and shuffle. */
    titan_codec data_codec;
    titan_codec group_codec[ART_GROUP_KINDS];
    bool group_used[ART_GROUP_KINDS], group_shuffled[ART_GROUP_KINDS];
} budget_prediction;

extern const char *const budget_group_names[BUDGET_GROUPS];

/* The file pack --quant quant --codec r->codec would write for config c and
 * tokenizer tok (rates measured on first use); with embed_split >= 0 as pack
 * --embed-split would (embed_split.h: that many rows of each token-row table
 * at int8's rate, the rest at int6b's; above the vocabulary, all of them).
 * Memory from the arena. */
TITAN_NODISCARD titan_status budget_predict(titan_arena *a, const titan_config *c,
                                            const char *quant, int64_t embed_split,
                                            const uint8_t *tok, size_t tok_len,
                                            budget_rates *r, budget_prediction *out);

/* Scratch bytes budget_predict needs for c (the writer's data and bound). */
size_t budget_scratch_bytes(const titan_config *c, const budget_rates *r);

#endif
