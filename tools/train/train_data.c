/* train_data.c: token streams for titan-train. */
#include "tools/train/train_data.h"

#include "core/base/le.h"
#include "platform/file.h"
#include "tools/cli/cli.h"

#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t train_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

titan_status train_tokenizer_load(const char *path, titan_arena *a,
                                  const titan_tokenizer **t, const uint8_t **blob,
                                  size_t *len, uint32_t *crc) {
    size_t need;
    TITAN_TRY(cli_kind_explain(titan_tokenizer_file_plan(path, &need), path,
                               CLI_KIND_TOKENIZER));
    TITAN_TRY(cli_arena_create(a, need + titan_tokenizer_encode_plan()));
    titan_status st = titan_tokenizer_file_load(a, path, t, blob, len);
    if (st != TITAN_OK) {
        cli_arena_destroy(a);
        return st;
    }
    *crc = titan_crc32(0, *blob, *len);
    return TITAN_OK;
}

titan_status train_tokenizer_from_blob(const uint8_t *data, size_t size, titan_arena *a,
                                       const titan_tokenizer **t, const uint8_t **blob,
                                       size_t *len, uint32_t *crc) {
    size_t n_tokens = size >= 20 ? 257 + (size - 20) / 8 : 257;
    size_t need = size + 2 * TITAN_ALIGN + titan_tokenizer_encode_plan() +
                  titan_tokenizer_plan((int32_t)n_tokens,
                                       256 + (n_tokens - 257) * TITAN_TOK_CHUNK_MAX);
    TITAN_TRY(cli_arena_create(a, need));
    uint8_t *copy;
    titan_status st = titan_arena_alloc(a, size, TITAN_ALIGN, (void **)&copy);
    if (st == TITAN_OK) {
        memcpy(copy, data, size);
        st = titan_tokenizer_load(a, copy, size, t);
    }
    if (st != TITAN_OK) {
        cli_arena_destroy(a);
        return st;
    }
    *blob = copy;
    *len = size;
    *crc = titan_crc32(0, copy, size);
    return TITAN_OK;
}

void train_tokens_free(train_tokens *d) {
    free(d->tok);
    d->tok = NULL;
    d->n = 0;
}

static double target_bytes(const titan_tokenizer *t, const int *tok, size_t n) {
    double bytes = 0;
    for (size_t i = 1; i < n; i++) {
        const uint8_t *b;
        bytes += (double)titan_tokenizer_token(t, tok[i], &b);
    }
    return bytes;
}

/* Cache, little-endian: "TTKC", u32 version 1, u32 tokenizer crc, u32 text
 * crc, u64 text size (the key: 24 bytes), u64 n, n * u32 ids, u32 crc of
 * everything before. */
enum { CACHE_KEY = 24, CACHE_HEAD = 32, CACHE_VERSION = 1 };

static void cache_key(uint8_t key[CACHE_KEY], uint32_t tok_crc, const uint8_t *text,
                      size_t size) {
    memcpy(key, "TTKC", 4);
    le_wr32(key + 4, CACHE_VERSION);
    le_wr32(key + 8, tok_crc);
    le_wr32(key + 12, titan_crc32(0, text, size));
    le_wr64(key + 16, size);
}

/* The ids of a cache file whose key matches and whose size, CRC and ids
 * are sound; 0 (rebuild it) otherwise. */
static int cache_ids(const uint8_t *f, size_t len, const uint8_t *key, int vocab,
                     train_tokens *out) {
    if (len < CACHE_HEAD + 4 || memcmp(f, key, CACHE_KEY)) return 0;
    uint64_t n = le_rd64(f + CACHE_KEY);
    if (n < 1 || n != (len - CACHE_HEAD - 4) / 4 || len != CACHE_HEAD + 4 * n + 4 ||
        titan_crc32(0, f, len - 4) != le_rd32(f + len - 4))
        return 0;
    int *tok = malloc(sizeof(int) * n);
    for (uint64_t i = 0; tok && i < n; i++) {
        uint32_t id = le_rd32(f + CACHE_HEAD + 4 * i);
        if (id >= (uint32_t)vocab) {
            free(tok);
            return 0;
        }
        tok[i] = (int)id;
    }
    if (!tok) return 0;
    out->tok = tok;
    out->n = (size_t)n;
    return 1;
}

static int cache_read(const char *path, const uint8_t *key, int vocab,
                      train_tokens *out) {
    size_t size;
    titan_arena a;
    uint8_t *f;
    if (titan_file_size(path, &size) != TITAN_OK ||
        cli_arena_create(&a, size + TITAN_ALIGN) != TITAN_OK)
        return 0;
    int ok = titan_file_read(&a, path, size, &f, &size) == TITAN_OK &&
             cache_ids(f, size, key, vocab, out);
    cli_arena_destroy(&a);
    return ok;
}

static void cache_write(const char *path, const uint8_t *key, const int *tok, size_t n) {
    size_t len = CACHE_HEAD + 4 * n + 4;
    uint8_t *buf = malloc(len);
    if (!buf) return;
    memcpy(buf, key, CACHE_KEY);
    le_wr64(buf + CACHE_KEY, n);
    for (size_t i = 0; i < n; i++) le_wr32(buf + CACHE_HEAD + 4 * i, (uint32_t)tok[i]);
    le_wr32(buf + len - 4, titan_crc32(0, buf, len - 4));
    if (titan_file_write_atomic(path, buf, len) != TITAN_OK)
        fprintf(stderr, "titan-train: note: cannot cache tokens in %s\n", path);
    free(buf);
}

titan_status train_tokens_from_text(const char *path, const titan_tokenizer *t,
                                    uint32_t tok_crc, train_tokens *out) {
    titan_arena a;
    size_t size;
    uint8_t *text;
    TITAN_TRY(titan_file_size(path, &size));
    TITAN_TRY(
        cli_arena_create(&a, size + 2 * TITAN_ALIGN + titan_tokenizer_encode_plan()));
    titan_status st = titan_file_read(&a, path, size, &text, &size);
    if (st != TITAN_OK) {
        cli_arena_destroy(&a);
        return st;
    }
    uint8_t key[CACHE_KEY];
    cache_key(key, tok_crc, text, size);
    char cache[4096];
    snprintf(cache, sizeof cache, "%s.tok", path);
    memset(out, 0, sizeof *out);
    if (!cache_read(cache, key, titan_tokenizer_size(t), out)) {
        size_t cap = titan_tokenizer_max_ids(t, size);
        int32_t *ids = malloc(sizeof(int32_t) * (cap + 1));
        size_t n = 0;
        st = ids ? titan_tokenizer_encode(t, &a, text, size, ids + 1, cap, &n)
                 : titan_fail(TITAN_E_NOMEM, "%s: out of memory", path);
        if (st == TITAN_OK) {
            ids[0] = titan_tokenizer_bos(t);
            out->tok = (int *)ids; /* int32_t and int are one type here */
            out->n = n + 1;
            cache_write(cache, key, out->tok, out->n);
        } else {
            free(ids);
        }
    }
    cli_arena_destroy(&a);
    if (st == TITAN_OK) out->bytes = target_bytes(t, out->tok, out->n);
    return st;
}

/* Append one shard's tokens, validated by formats/shards.c (any uint16 id:
 * the caller checks them against vocab_size). */
static titan_status append_shard(const uint8_t *data, size_t len, train_tokens *out) {
    uint64_t count;
    size_t n;
    TITAN_TRY(titan_shard_count(data, len, &count));
    int *grown = realloc(out->tok, sizeof(int) * (out->n + count + 1));
    if (!grown) return titan_fail(TITAN_E_NOMEM, "out of memory");
    out->tok = grown;
    TITAN_TRY(
        titan_shard_decode(data, len, 1 << 16, out->tok + out->n, (size_t)count, &n));
    out->n += n;
    return TITAN_OK;
}

static titan_status read_shard(const char *path, train_tokens *out) {
    size_t size;
    titan_arena a;
    uint8_t *data;
    TITAN_TRY(titan_file_size(path, &size));
    TITAN_TRY(cli_arena_create(&a, size + TITAN_ALIGN));
    titan_status st = titan_file_read(&a, path, size, &data, &size);
    if (st == TITAN_OK && (st = append_shard(data, size, out)) != TITAN_OK)
        st = titan_fail_in(st, "%s", path);
    cli_arena_destroy(&a);
    return st;
}

titan_status train_tokens_from_shards(const char *pattern, train_tokens *out) {
    glob_t g;
    memset(out, 0, sizeof *out);
    if (glob(pattern, 0, NULL, &g) || g.gl_pathc == 0) {
        globfree(&g);
        return titan_fail(TITAN_E_IO, "%s: no shard matches", pattern);
    }
    titan_status st = TITAN_OK;
    for (size_t i = 0; st == TITAN_OK && i < g.gl_pathc; i++)
        st = read_shard(g.gl_pathv[i], out);
    globfree(&g);
    if (st == TITAN_OK && out->n < 2)
        st = titan_fail(TITAN_E_DATA, "%s: fewer than 2 tokens", pattern);
    if (st != TITAN_OK) train_tokens_free(out);
    return st;
}

titan_status train_byte_table(const titan_tokenizer *tok, int32_t V, uint32_t **len,
                              titan_byte_table *t) {
    if (!(*len = calloc((size_t)V, sizeof **len)))
        return titan_fail(TITAN_E_NOMEM, "out of memory");
    for (int32_t i = 0; tok && i < titan_tokenizer_size(tok) && i < V; i++) {
        const uint8_t *b;
        (*len)[i] = (uint32_t)titan_tokenizer_token(tok, i, &b);
    }
    *t = (titan_byte_table){V, *len, NULL};
    return TITAN_OK;
}
