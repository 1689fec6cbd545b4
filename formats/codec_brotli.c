/* codec_brotli.c: Brotli sections. The decoder is an instance whose alloc and
 * free go to a free list carved from the arena (never BrotliDecoderDecompress,
 * which would use the heap). The free list holds the ring buffer for the window
 * the encoder picks for this raw size (twice: growing it keeps the old one
 * live while copying) plus the largest Huffman tables a stream can declare;
 * a stream with a larger window fails to allocate. */
#include "formats/codec.h"

#include "core/base/freelist.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <stdbool.h>

enum {
    /* Tree groups at their 256-tree maximum: literal (632 entries each),
     * command (1080) and distance (1160) tables of 4-byte codes, plus context
     * maps, block-switch trees and the decoder state. */
    TABLES_BOUND = 256 * (632 + 1080 + 1160) * 4 + (1 << 20),
    RING_SLACK = 4096, /* write-ahead slack and dictionary words */
    DECODER_ALLOCS = 64,
};

/* Window bits: the smallest window holding the whole section, within
 * Brotli's 10..24. */
static int lgwin_for(size_t raw_len) {
    int bits = BROTLI_MIN_WINDOW_BITS;
    while (bits < BROTLI_MAX_WINDOW_BITS && ((size_t)1 << bits) < raw_len) bits++;
    return bits;
}

static void *freelist_alloc_cb(void *opaque, size_t size) {
    return titan_freelist_alloc(opaque, size);
}

static void freelist_free_cb(void *opaque, void *ptr) {
    titan_freelist_free(opaque, ptr);
}

static titan_status run_decoder(BrotliDecoderState *s, const uint8_t *src, size_t src_len,
                                uint8_t *dst, size_t raw_len) {
    size_t avail_in = src_len, avail_out = raw_len;
    const uint8_t *in = src;
    uint8_t *out = dst;
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(s, &avail_in, &in, &avail_out, &out, NULL);
    switch (r) {
    case BROTLI_DECODER_RESULT_SUCCESS:
        if (avail_out || avail_in)
            return titan_fail(TITAN_E_DATA, "brotli: %zu bytes decoded, declared %zu%s",
                              raw_len - avail_out, raw_len,
                              avail_in ? " (trailing input)" : "");
        return TITAN_OK;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        return titan_fail(TITAN_E_DATA, "brotli: more than the declared %zu bytes",
                          raw_len);
    case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
        return titan_fail(TITAN_E_DATA, "brotli: truncated stream");
    default:
        return titan_fail(TITAN_E_DATA, "brotli: %s",
                          BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s)));
    }
}

titan_status titan_brotli_decode(titan_arena *a, const uint8_t *src, size_t src_len,
                                 uint8_t *dst, size_t raw_len) {
    size_t ring = 2 * (((size_t)1 << lgwin_for(raw_len)) + RING_SLACK);
    titan_freelist blocks;
    TITAN_TRY(titan_freelist_init(
        &blocks, a, titan_freelist_bound(ring + TABLES_BOUND, DECODER_ALLOCS)));
    if (!a->base) return TITAN_OK; /* measuring */
    BrotliDecoderState *s =
        BrotliDecoderCreateInstance(freelist_alloc_cb, freelist_free_cb, &blocks);
    if (!s) return titan_fail(TITAN_E_NOMEM, "brotli: decoder init failed");
    titan_status st = run_decoder(s, src, src_len, dst, raw_len);
    BrotliDecoderDestroyInstance(s);
    return st;
}

size_t titan_brotli_bound(size_t n) {
    size_t b = BrotliEncoderMaxCompressedSize(n);
    return b ? b : (n ? 0 : 16);
}

/* A stream fed TITAN_CODEC_PIECE bytes at a time, with the size hint the
 * one-call BrotliEncoderCompress gives: the same bytes as that call. */
titan_status titan_brotli_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                                 size_t *out_len, const titan_progress *progress) {
    BrotliEncoderState *s = BrotliEncoderCreateInstance(NULL, NULL, NULL);
    if (!s) return titan_fail(TITAN_E_NOMEM, "brotli: encoder failed");
    bool ok = BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, BROTLI_MAX_QUALITY) &&
              BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, (uint32_t)lgwin_for(n)) &&
              BrotliEncoderSetParameter(s, BROTLI_PARAM_MODE, BROTLI_MODE_GENERIC) &&
              BrotliEncoderSetParameter(s, BROTLI_PARAM_SIZE_HINT,
                                        n < (1u << 30) ? (uint32_t)n : (1u << 30));
    const uint8_t *next_in = src;
    uint8_t *next_out = dst;
    size_t avail_in = 0, avail_out = cap, fed = 0;
    while (ok && !BrotliEncoderIsFinished(s)) {
        if (!avail_in && fed < n) {
            next_in = src + fed;
            avail_in = n - fed < TITAN_CODEC_PIECE ? n - fed : TITAN_CODEC_PIECE;
            fed += avail_in;
            if (progress && progress->fn)
                progress->fn(progress->user, (double)(fed - avail_in), (double)n);
        }
        BrotliEncoderOperation op =
            fed == n ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS;
        ok = BrotliEncoderCompressStream(s, op, &avail_in, &next_in, &avail_out,
                                         &next_out, NULL);
        ok = ok && (avail_out || BrotliEncoderIsFinished(s));
    }
    BrotliEncoderDestroyInstance(s);
    if (!ok) return titan_fail(TITAN_E_NOMEM, "brotli: encoder failed");
    if (progress && progress->fn) progress->fn(progress->user, (double)n, (double)n);
    *out_len = cap - avail_out;
    return TITAN_OK;
}
