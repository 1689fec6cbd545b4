/* codec.c: codec names and dispatch; the stored ("none") codec. "auto" is a
 * name only here: the artifact writer and reader handle it per tensor group
 * (formats/artifact_groups.c). */
#include "formats/codec.h"

#include <string.h>

static const char *const codec_names[] = {"none", "lzma", "xz", "brotli", "auto"};
enum { N_CODECS = sizeof codec_names / sizeof codec_names[0] };

const char *titan_codec_name(titan_codec c) {
    return (unsigned)c < N_CODECS ? codec_names[c] : "unknown";
}

titan_status titan_codec_from_name(const char *name, titan_codec *c) {
    for (int i = 0; name && i < N_CODECS; i++)
        if (!strcmp(name, codec_names[i])) {
            *c = (titan_codec)i;
            return TITAN_OK;
        }
    return titan_fail(TITAN_E_USAGE, "unknown codec '%s' (none, lzma, xz, brotli, auto)",
                      name ? name : "");
}

titan_status titan_codec_decode(titan_arena *a, titan_codec codec, const uint8_t *src,
                                size_t src_len, uint8_t *dst, size_t raw_len) {
    switch (codec) {
    case TITAN_CODEC_NONE:
        if (src_len != raw_len)
            return titan_fail(TITAN_E_DATA, "stored section: %zu bytes, declared %zu",
                              src_len, raw_len);
        if (a->base && raw_len) memcpy(dst, src, raw_len);
        return TITAN_OK;
    case TITAN_CODEC_LZMA:
    case TITAN_CODEC_XZ:
        return titan_lzma_decode(a, codec == TITAN_CODEC_XZ, src, src_len, dst, raw_len);
    case TITAN_CODEC_BROTLI: return titan_brotli_decode(a, src, src_len, dst, raw_len);
    case TITAN_CODEC_AUTO: break; /* not a stream codec */
    }
    return titan_fail(TITAN_E_DATA, "unknown codec %d", (int)codec);
}

size_t titan_codec_bound(titan_codec codec, size_t n) {
    switch (codec) {
    case TITAN_CODEC_NONE: return n;
    case TITAN_CODEC_LZMA:
    case TITAN_CODEC_XZ: return titan_lzma_bound(n);
    case TITAN_CODEC_BROTLI: return titan_brotli_bound(n);
    case TITAN_CODEC_AUTO: break;
    }
    return 0;
}

titan_status titan_codec_encode(titan_codec codec, const uint8_t *src, size_t n,
                                uint8_t *dst, size_t cap, size_t *out_len) {
    return titan_codec_encode_progress(codec, src, n, dst, cap, out_len, NULL);
}

titan_status titan_codec_encode_progress(titan_codec codec, const uint8_t *src, size_t n,
                                         uint8_t *dst, size_t cap, size_t *out_len,
                                         const titan_progress *progress) {
    if ((!src && n) || (!dst && cap) || !out_len || cap < titan_codec_bound(codec, n))
        return titan_fail(TITAN_E_USAGE, "codec: bad encode arguments");
    switch (codec) {
    case TITAN_CODEC_NONE:
        if (n) memcpy(dst, src, n);
        *out_len = n;
        return TITAN_OK;
    case TITAN_CODEC_LZMA:
    case TITAN_CODEC_XZ:
        return titan_lzma_encode(codec == TITAN_CODEC_XZ, src, n, dst, cap, out_len,
                                 progress);
    case TITAN_CODEC_BROTLI:
        return titan_brotli_encode(src, n, dst, cap, out_len, progress);
    case TITAN_CODEC_AUTO: break;
    }
    return titan_fail(TITAN_E_USAGE, "unknown codec %d", (int)codec);
}
