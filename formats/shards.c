/* shards.c: parameter-golf .bin token shards: a 256 x int32 little-endian
 * header (magic 20240520, version 1, token count) and uint16 tokens. */
#include <string.h>

#include "core/base/le.h"
#include "titan.h"

enum { SHARD_VERSION = 1 };

titan_status titan_shard_count(const uint8_t *data, size_t len, uint64_t *count) {
    if (!data || !count) return titan_fail(TITAN_E_USAGE, "shard: NULL argument");
    if (len < TITAN_SHARD_HEADER_BYTES)
        return titan_fail(TITAN_E_DATA, "shard: %zu bytes, shorter than the header", len);
    if (le_rd32(data) != TITAN_SHARD_MAGIC)
        return titan_fail(TITAN_E_DATA, "shard: bad magic %u", le_rd32(data));
    if (le_rd32(data + 4) != SHARD_VERSION)
        return titan_fail(TITAN_E_DATA, "shard: unsupported version %u",
                          le_rd32(data + 4));
    uint32_t n = le_rd32(data + 8);
    if (n > INT32_MAX) return titan_fail(TITAN_E_DATA, "shard: negative token count");
    /* 2 * n + 1024 cannot overflow 64 bits for n < 2^31. */
    if ((uint64_t)len != TITAN_SHARD_HEADER_BYTES + 2 * (uint64_t)n)
        return titan_fail(
            TITAN_E_DATA, "shard: %zu bytes, header says %u tokens (%llu bytes)", len, n,
            (unsigned long long)(TITAN_SHARD_HEADER_BYTES + 2 * (uint64_t)n));
    *count = n;
    return TITAN_OK;
}

titan_status titan_shard_decode(const uint8_t *data, size_t len, int32_t vocab,
                                int32_t *dst, size_t cap, size_t *n) {
    uint64_t count;
    TITAN_TRY(titan_shard_count(data, len, &count));
    if (!dst || !n || vocab < 1)
        return titan_fail(TITAN_E_USAGE, "shard: bad decode arguments");
    if (count > cap)
        return titan_fail(TITAN_E_USAGE, "shard: %llu tokens, room for %zu",
                          (unsigned long long)count, cap);
    const uint8_t *p = data + TITAN_SHARD_HEADER_BYTES;
    for (size_t i = 0; i < count; i++) {
        int32_t t = le_rd16(p + 2 * i);
        if (t >= vocab)
            return titan_fail(TITAN_E_DATA, "shard: token %d at %zu, vocabulary has %d",
                              t, i, vocab);
        dst[i] = t;
    }
    *n = (size_t)count;
    return TITAN_OK;
}

titan_status titan_shard_encode(const int32_t *ids, size_t n, int32_t vocab, uint8_t *dst,
                                size_t cap) {
    if ((!ids && n) || !dst || vocab < 1 || vocab > 65536)
        return titan_fail(TITAN_E_USAGE, "shard: bad encode arguments");
    if (n > INT32_MAX)
        return titan_fail(TITAN_E_USAGE, "shard: %zu tokens, over 2^31", n);
    if (cap < TITAN_SHARD_HEADER_BYTES || (cap - TITAN_SHARD_HEADER_BYTES) / 2 < n)
        return titan_fail(TITAN_E_USAGE, "shard: %zu tokens, room for %zu bytes", n, cap);
    memset(dst, 0, TITAN_SHARD_HEADER_BYTES);
    le_wr32(dst, TITAN_SHARD_MAGIC);
    le_wr32(dst + 4, SHARD_VERSION);
    le_wr32(dst + 8, (uint32_t)n);
    uint8_t *p = dst + TITAN_SHARD_HEADER_BYTES;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= vocab)
            return titan_fail(TITAN_E_DATA, "shard: token %d at %zu, vocabulary has %d",
                              ids[i], i, vocab);
        le_wr16(p + 2 * i, (uint16_t)ids[i]);
    }
    return TITAN_OK;
}
