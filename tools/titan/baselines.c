/* baselines.c: bits per byte of xz -9e and Brotli q11 on the evaluated bytes,
 * alone and conditioned on a training text, so that every val_bpb is shown
 * next to what a general-purpose compressor achieves. */
#include "tools/titan/baselines.h"

#include <brotli/encode.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const baseline_names[BASELINE_COUNT] = {"xz", "brotli"};

static bool xz_size(const uint8_t *data, size_t len, uint64_t *size) {
    size_t cap = lzma_stream_buffer_bound(len), pos = 0;
    uint8_t *out = cap ? malloc(cap) : NULL;
    if (!out) return false;
    lzma_ret r = lzma_easy_buffer_encode(9 | LZMA_PRESET_EXTREME, LZMA_CHECK_CRC64, NULL,
                                         data, len, out, &pos, cap);
    free(out);
    *size = pos;
    return r == LZMA_OK;
}

static bool brotli_size(const uint8_t *data, size_t len, uint64_t *size) {
    size_t cap = BrotliEncoderMaxCompressedSize(len);
    if (!cap) return false; /* input too large for one call */
    uint8_t *out = malloc(cap);
    if (!out) return false;
    bool ok = BrotliEncoderCompress(BROTLI_MAX_QUALITY, BROTLI_MAX_WINDOW_BITS,
                                    BROTLI_MODE_GENERIC, len, data, &cap, out);
    free(out);
    *size = cap;
    return ok;
}

bool baseline_size(baseline_kind k, const uint8_t *data, size_t len, uint64_t *size) {
    return k == BASELINE_XZ ? xz_size(data, len, size) : brotli_size(data, len, size);
}

bool baselines_run(const uint8_t *val, size_t val_len, const uint8_t *train,
                   size_t train_len, baseline_result *out) {
    memset(out, 0, sizeof *out);
    if (!val_len) return true;
    uint8_t *both = NULL;
    if (train) {
        if (train_len > SIZE_MAX - val_len || !(both = malloc(train_len + val_len))) {
            fprintf(stderr, "baselines: out of memory\n");
            return false;
        }
        memcpy(both, train, train_len);
        memcpy(both + train_len, val, val_len);
        out->has_cond = true;
    }
    bool ok = true;
    for (int k = 0; k < BASELINE_COUNT && ok; k++) {
        uint64_t v, t = 0, tv = 0;
        ok = baseline_size(k, val, val_len, &v) &&
             (!train || (baseline_size(k, train, train_len, &t) &&
                         baseline_size(k, both, train_len + val_len, &tv)));
        out->bpb[k] = 8.0 * (double)v / (double)val_len;
        if (train) out->cond_bpb[k] = 8.0 * ((double)tv - (double)t) / (double)val_len;
    }
    free(both);
    if (!ok) fprintf(stderr, "baselines: compressor failed\n");
    return ok;
}
