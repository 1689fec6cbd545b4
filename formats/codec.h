/* codec.h: section codecs of the artifact container. Decoders take their
 * memory from the arena (a pool carved for the call and released before
 * return) and must yield exactly the declared raw size: more or less output,
 * trailing input, or a stream needing more memory than a stream of that size
 * needs is TITAN_E_DATA. Encoders are writer-side and may use the heap. */
#ifndef TITAN_FORMATS_CODEC_H
#define TITAN_FORMATS_CODEC_H

#include "titan.h"

/* Decode src[0..src_len) into dst[0..raw_len). In measuring mode (a->base ==
 * NULL) only the decoder's arena use is counted; nothing is read or written. */
TITAN_NODISCARD titan_status titan_codec_decode(titan_arena *a, titan_codec codec,
                                                const uint8_t *src, size_t src_len,
                                                uint8_t *dst, size_t raw_len);

/* Largest encoded size of n input bytes (0 if it overflows size_t). */
size_t titan_codec_bound(titan_codec codec, size_t n);

/* Encode src[0..n) into dst[0..cap); cap >= titan_codec_bound(codec, n). */
TITAN_NODISCARD titan_status titan_codec_encode(titan_codec codec, const uint8_t *src,
                                                size_t n, uint8_t *dst, size_t cap,
                                                size_t *out_len);

/* The same, calling progress (when not NULL) as input is consumed, between
 * 1 MiB pieces: the encoders run as streams fed piece by piece, and their
 * output is the same bytes as one call with all of it. */
TITAN_NODISCARD titan_status titan_codec_encode_progress(titan_codec codec,
                                                         const uint8_t *src, size_t n,
                                                         uint8_t *dst, size_t cap,
                                                         size_t *out_len,
                                                         const titan_progress *progress);

/* The per-codec halves (formats/codec_lzma.c, formats/codec_brotli.c). */
TITAN_NODISCARD titan_status titan_lzma_decode(titan_arena *a, int xz, const uint8_t *src,
                                               size_t src_len, uint8_t *dst,
                                               size_t raw_len);
TITAN_NODISCARD titan_status titan_lzma_encode(int xz, const uint8_t *src, size_t n,
                                               uint8_t *dst, size_t cap, size_t *out_len,
                                               const titan_progress *progress);
size_t titan_lzma_bound(size_t n);
TITAN_NODISCARD titan_status titan_brotli_decode(titan_arena *a, const uint8_t *src,
                                                 size_t src_len, uint8_t *dst,
                                                 size_t raw_len);
TITAN_NODISCARD titan_status titan_brotli_encode(const uint8_t *src, size_t n,
                                                 uint8_t *dst, size_t cap,
                                                 size_t *out_len,
                                                 const titan_progress *progress);

/* Input pieces the streaming encoders are fed (progress between them). */
#define TITAN_CODEC_PIECE ((size_t)1 << 20)
size_t titan_brotli_bound(size_t n);

#endif
