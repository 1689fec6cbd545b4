/* codec_lzma.c: raw LZMA2 and .xz sections through liblzma. The decoder's
 * memory is a free list carved from the arena before init, sized from the
 * dictionary the encoder uses for a section of this raw size; liblzma's own
 * memory limit refuses streams that ask for more. */
#include "formats/codec.h"

#include "core/base/freelist.h"

#include <lzma.h>

enum {
    DICT_MIN = 4096,          /* LZMA_DICT_SIZE_MIN */
    DICT_MAX = 64u << 20,     /* 64 MiB: beyond any 16 MB artifact */
    XZ_OVERHEAD = 1u << 20,   /* stream, block, index and check state */
    DECODER_ALLOCS = 64,      /* allocations liblzma keeps live at once */
    XZ_DICT_FLOOR = 8u << 20, /* `xz -6`, the tool's default, on any input */
};

/* The dictionary both sides use: the data fits, but never over 64 MiB. It is
 * 2^n or 2^n + 2^(n-1), the sizes an .xz block header can say exactly. */
static uint32_t dict_size_for(size_t raw_len) {
    uint32_t d = DICT_MIN;
    while (d < raw_len && d < DICT_MAX)
        d = (d & (d - 1)) ? (d / 3) * 4 : d + d / 2; /* 2^n -> 1.5 * 2^n -> 2^(n+1) */
    return d;
}

static titan_status lzma2_options(size_t raw_len, lzma_options_lzma *opt) {
    if (lzma_lzma_preset(opt, 9 | LZMA_PRESET_EXTREME))
        return titan_fail(TITAN_E_UNSUPPORTED, "lzma: preset 9e unavailable");
    opt->dict_size = dict_size_for(raw_len);
    return TITAN_OK;
}

static void *freelist_alloc_cb(void *opaque, size_t nmemb, size_t size) {
    if (size && nmemb > SIZE_MAX / size) return NULL;
    return titan_freelist_alloc(opaque, nmemb * size);
}

static void freelist_free_cb(void *opaque, void *ptr) {
    titan_freelist_free(opaque, ptr);
}

static const char *lzma_message(lzma_ret r) {
    switch (r) {
    case LZMA_MEM_ERROR: return "needs more memory than its size allows";
    case LZMA_MEMLIMIT_ERROR: return "dictionary larger than its size allows";
    case LZMA_FORMAT_ERROR: return "not an .xz stream";
    case LZMA_OPTIONS_ERROR: return "unsupported options";
    case LZMA_DATA_ERROR: return "corrupt data";
    case LZMA_BUF_ERROR: return "truncated stream";
    default: return "decoder error";
    }
}

/* Run the decoder to the end; the stream must end exactly at both ends. */
static titan_status run_decoder(lzma_stream *s, const char *what, const uint8_t *src,
                                size_t src_len, uint8_t *dst, size_t raw_len) {
    s->next_in = src;
    s->avail_in = src_len;
    s->next_out = dst;
    s->avail_out = raw_len;
    lzma_ret r = lzma_code(s, LZMA_FINISH);
    if (r == LZMA_STREAM_END && s->avail_out == 0 && s->avail_in == 0) return TITAN_OK;
    if (r == LZMA_STREAM_END)
        return titan_fail(TITAN_E_DATA, "%s: %zu bytes decoded, declared %zu%s", what,
                          raw_len - s->avail_out, raw_len,
                          s->avail_in ? " (trailing input)" : "");
    if ((r == LZMA_OK || r == LZMA_BUF_ERROR) && s->avail_out == 0)
        return titan_fail(TITAN_E_DATA, "%s: more than the declared %zu bytes", what,
                          raw_len);
    return titan_fail(TITAN_E_DATA, "%s: %s", what, lzma_message(r));
}

titan_status titan_lzma_decode(titan_arena *a, int xz, const uint8_t *src, size_t src_len,
                               uint8_t *dst, size_t raw_len) {
    const char *what = xz ? "xz" : "lzma";
    lzma_options_lzma opt;
    TITAN_TRY(lzma2_options(raw_len, &opt));
    lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    /* .xz headers carry their own dictionary size: allow what the xz tool's
     * default preset uses even on small sections. */
    lzma_options_lzma xz_opt = opt;
    if (xz && xz_opt.dict_size < XZ_DICT_FLOOR) xz_opt.dict_size = XZ_DICT_FLOOR;
    lzma_filter limit_filters[] = {{LZMA_FILTER_LZMA2, &xz_opt},
                                   {LZMA_VLI_UNKNOWN, NULL}};
    uint64_t limit = lzma_raw_decoder_memusage(xz ? limit_filters : filters);
    if (limit == UINT64_MAX || limit > SIZE_MAX / 2)
        return titan_fail(TITAN_E_UNSUPPORTED, "%s: no memory estimate", what);
    if (xz) limit += XZ_OVERHEAD;
    titan_freelist blocks;
    TITAN_TRY(
        titan_freelist_init(&blocks, a, titan_freelist_bound(limit, DECODER_ALLOCS)));
    if (!a->base) return TITAN_OK; /* measuring */
    lzma_allocator alloc = {freelist_alloc_cb, freelist_free_cb, &blocks};
    lzma_stream s = LZMA_STREAM_INIT;
    s.allocator = &alloc;
    lzma_ret r = xz ? lzma_stream_decoder(&s, limit, 0) : lzma_raw_decoder(&s, filters);
    if (r != LZMA_OK) {
        lzma_end(&s);
        return titan_fail(TITAN_E_NOMEM, "%s: decoder init: %s", what, lzma_message(r));
    }
    titan_status st = run_decoder(&s, what, src, src_len, dst, raw_len);
    lzma_end(&s);
    return st;
}

size_t titan_lzma_bound(size_t n) { return lzma_stream_buffer_bound(n); }

/* The encoder as a stream fed TITAN_CODEC_PIECE bytes at a time: the same
 * bytes as the one-call encoders for raw LZMA2 (the .xz container's block
 * header then leaves the sizes out, which readers do not need). */
titan_status titan_lzma_encode(int xz, const uint8_t *src, size_t n, uint8_t *dst,
                               size_t cap, size_t *out_len,
                               const titan_progress *progress) {
    const char *what = xz ? "xz" : "lzma";
    lzma_options_lzma opt;
    TITAN_TRY(lzma2_options(n, &opt));
    lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret r = xz ? lzma_stream_encoder(&s, filters, LZMA_CHECK_CRC64)
                    : lzma_raw_encoder(&s, filters);
    s.next_out = dst;
    s.avail_out = cap;
    size_t fed = 0;
    while (r == LZMA_OK) {
        if (!s.avail_in && fed < n) {
            s.next_in = src + fed;
            s.avail_in = n - fed < TITAN_CODEC_PIECE ? n - fed : TITAN_CODEC_PIECE;
            fed += s.avail_in;
            if (progress && progress->fn)
                progress->fn(progress->user, (double)(fed - s.avail_in), (double)n);
        }
        r = lzma_code(&s, fed == n ? LZMA_FINISH : LZMA_RUN);
    }
    size_t len = (size_t)s.total_out;
    lzma_end(&s);
    if (r != LZMA_STREAM_END)
        return titan_fail(r == LZMA_MEM_ERROR ? TITAN_E_NOMEM : TITAN_E_USAGE,
                          "%s: encoder failed (%d)", what, (int)r);
    if (progress && progress->fn) progress->fn(progress->user, (double)n, (double)n);
    *out_len = len;
    return TITAN_OK;
}
