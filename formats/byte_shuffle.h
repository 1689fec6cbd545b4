/* byte_shuffle.h: byte-plane transposition of a stream of w-byte elements
 * (pack --codec auto tries it per tensor group). For n bytes, e = n / w
 * elements: the shuffled stream holds every element's byte 0, then every
 * byte 1, ..., then byte w-1, then the n % w tail bytes unchanged. Width 1
 * is the identity. Floats compress better this way: their sign/exponent
 * bytes repeat, their low mantissa bytes do not. */
#ifndef TITAN_FORMATS_BYTE_SHUFFLE_H
#define TITAN_FORMATS_BYTE_SHUFFLE_H

#include <stddef.h>
#include <stdint.h>

/* dst[0..n) = the shuffle of src[0..n) with width w >= 1 (no overlap). */
void byte_shuffle(uint8_t *dst, const uint8_t *src, size_t n, size_t w);

/* dst[0..count) = bytes [from, from + count) of the stream whose shuffle
 * (width w, n bytes) is src: a piece of the unshuffled stream, so a stream
 * can be scattered without a second buffer. from + count <= n. */
void byte_unshuffle_range(uint8_t *dst, const uint8_t *src, size_t n, size_t w,
                          size_t from, size_t count);

#endif
