/* byte_shuffle.c: byte-plane transposition (layout in byte_shuffle.h). */
#include "formats/byte_shuffle.h"

#include <string.h>

void byte_shuffle(uint8_t *dst, const uint8_t *src, size_t n, size_t w) {
    size_t e = n / w;
    for (size_t b = 0; b < w; b++)
        for (size_t i = 0; i < e; i++) dst[b * e + i] = src[i * w + b];
    memcpy(dst + e * w, src + e * w, n - e * w);
}

void byte_unshuffle_range(uint8_t *dst, const uint8_t *src, size_t n, size_t w,
                          size_t from, size_t count) {
    if (w == 1) {
        memcpy(dst, src + from, count);
        return;
    }
    size_t e = n / w, body = e * w, k = 0;
    for (size_t p = from; k < count && p < body; p++, k++)
        dst[k] = src[(p % w) * e + p / w];
    if (k < count) memcpy(dst + k, src + from + k, count - k); /* the tail */
}
