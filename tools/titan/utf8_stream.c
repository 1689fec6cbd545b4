/* utf8_stream.c: see utf8_stream.h. */
#include "tools/titan/utf8_stream.h"

#include <stdbool.h>
#include <string.h>

static const uint8_t replacement[3] = {0xef, 0xbf, 0xbd}; /* U+FFFD */

size_t utf8_stream_flush(utf8_stream *u, uint8_t out[UTF8_STREAM_OUT]) {
    size_t n = 0;
    for (int i = 0; i < u->have; i++, n += 3) memcpy(out + n, replacement, 3);
    u->have = 0;
    return n;
}

/* Does byte b continue a sequence whose lead is u->seq[0] at position have? */
static bool continues(const utf8_stream *u, uint8_t b) {
    uint8_t lead = u->seq[0];
    uint8_t lo = 0x80, hi = 0xbf;
    if (u->have == 1) { /* no overlongs, no surrogates, nothing past U+10FFFF */
        if (lead == 0xe0) lo = 0xa0;
        if (lead == 0xed) hi = 0x9f;
        if (lead == 0xf0) lo = 0x90;
        if (lead == 0xf4) hi = 0x8f;
    }
    return b >= lo && b <= hi;
}

size_t utf8_stream_byte(utf8_stream *u, uint8_t b, uint8_t out[UTF8_STREAM_OUT]) {
    size_t n = 0;
    if (u->have) {
        if (continues(u, b)) {
            u->seq[u->have++] = b;
            if (u->have < u->want) return 0;
            memcpy(out, u->seq, (size_t)u->have);
            n = (size_t)u->have;
            u->have = 0;
            return n;
        }
        n = utf8_stream_flush(u, out);
    }
    if (b < 0x80) {
        out[n++] = b;
    } else if (b >= 0xc2 && b <= 0xf4) {
        u->seq[0] = b;
        u->have = 1;
        u->want = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    } else {
        memcpy(out + n, replacement, 3);
        n += 3;
    }
    return n;
}
