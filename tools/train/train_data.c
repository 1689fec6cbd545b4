/* train_data.c: token streams for titan-train. */
#include "tools/train/train_data.h"

#include "platform/file.h"
#include "tools/cli/cli.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TOK_FILE_MAX = 16 + 8 * (TITAN_TOK_MAX - 257) + 4 };

uint64_t train_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

titan_status train_tokenizer_load(const char *path, titan_arena *a,
                                  const titan_tokenizer **t,
                                  const uint8_t **blob, size_t *len,
                                  uint32_t *crc) {
    size_t size;
    TITAN_TRY(titan_file_size(path, &size));
    if (size < 16 || size > TOK_FILE_MAX)
        return titan_fail(TITAN_E_DATA, "%s: %zu bytes is no tokenizer file",
                          path, size);
    size_t n_tokens = 257 + (size - 20) / 8;
    size_t need = size + TITAN_ALIGN +
                  titan_tokenizer_plan((int32_t)n_tokens,
                                       256 + (n_tokens - 257) * TITAN_TOK_CHUNK_MAX);
    TITAN_TRY(cli_arena_create(a, need + titan_tokenizer_encode_plan()));
    uint8_t *data;
    titan_status st = titan_file_read(a, path, TOK_FILE_MAX, &data, &size);
    if (st == TITAN_OK) st = titan_tokenizer_load(a, data, size, t);
    if (st != TITAN_OK) {
        cli_arena_destroy(a);
        return st;
    }
    *blob = data;
    *len = size;
    *crc = titan_crc32(0, data, size);
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

/* Cache: "TTKC" u32 version 1, u32 tokenizer crc, u32 text crc, u64 text
 * size, u64 n, n * u32 ids, u32 crc of everything before. */
typedef struct {
    char magic[4];
    uint32_t version, tok_crc, text_crc;
    uint64_t text_size, n;
} cache_header;

static int cache_read(const char *path, const cache_header *want, int vocab,
                      train_tokens *out) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    cache_header h;
    int ok = fread(&h, sizeof h, 1, f) == 1 && !memcmp(&h, want, 24) &&
             h.n >= 1 && h.n < ((uint64_t)1 << 40);
    uint32_t *ids = ok ? malloc(sizeof(uint32_t) * h.n) : NULL;
    uint32_t crc_file;
    ok = ids && fread(ids, sizeof(uint32_t), h.n, f) == h.n &&
         fread(&crc_file, 4, 1, f) == 1;
    fclose(f);
    if (ok) {
        uint32_t crc = titan_crc32(titan_crc32(0, &h, sizeof h), ids,
                                   sizeof(uint32_t) * h.n);
        ok = crc == crc_file;
    }
    int *tok = ok ? malloc(sizeof(int) * h.n) : NULL;
    for (uint64_t i = 0; tok && i < h.n; i++) {
        if (ids[i] >= (uint32_t)vocab) { free(tok); tok = NULL; }
        else tok[i] = (int)ids[i];
    }
    free(ids);
    if (!tok) return 0;
    out->tok = tok;
    out->n = h.n;
    return 1;
}

static void cache_write(const char *path, cache_header h, const int *tok) {
    size_t len = sizeof h + 4 * h.n + 4;
    uint8_t *buf = malloc(len);
    if (!buf) return;
    memcpy(buf, &h, sizeof h);
    for (uint64_t i = 0; i < h.n; i++) {
        uint32_t v = (uint32_t)tok[i];
        memcpy(buf + sizeof h + 4 * i, &v, 4);
    }
    uint32_t crc = titan_crc32(0, buf, len - 4);
    memcpy(buf + len - 4, &crc, 4);
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
    TITAN_TRY(cli_arena_create(&a, size + 2 * TITAN_ALIGN +
                                       titan_tokenizer_encode_plan()));
    titan_status st = titan_file_read(&a, path, size, &text, &size);
    if (st != TITAN_OK) {
        cli_arena_destroy(&a);
        return st;
    }
    cache_header h = {{'T', 'T', 'K', 'C'}, 1, tok_crc,
                      titan_crc32(0, text, size), size, 0};
    char cache[4096];
    snprintf(cache, sizeof cache, "%s.tok", path);
    memset(out, 0, sizeof *out);
    if (!cache_read(cache, &h, titan_tokenizer_size(t), out)) {
        int32_t *ids = malloc(sizeof(int32_t) * (size + 1));
        size_t n = 0;
        st = ids ? titan_tokenizer_encode(t, &a, text, size, ids + 1, size, &n)
                 : titan_fail(TITAN_E_NOMEM, "%s: out of memory", path);
        if (st == TITAN_OK) {
            ids[0] = TITAN_TOK_BOS;
            out->tok = (int *)ids; /* int32_t and int are one type here */
            out->n = n + 1;
            h.n = out->n;
            cache_write(cache, h, out->tok);
        } else {
            free(ids);
        }
    }
    cli_arena_destroy(&a);
    if (st == TITAN_OK) out->bytes = target_bytes(t, out->tok, out->n);
    return st;
}

/* One shard: 256 int32 header (magic 20240520, version 1, count), uint16s. */
static titan_status read_shard(const char *path, train_tokens *out) {
    FILE *f = fopen(path, "rb");
    if (!f) return titan_fail(TITAN_E_IO, "%s: cannot open", path);
    int32_t hdr[256];
    titan_status st = TITAN_OK;
    if (fread(hdr, 4, 256, f) != 256 || hdr[0] != 20240520 || hdr[1] != 1 ||
        hdr[2] < 0)
        st = titan_fail(TITAN_E_DATA, "%s: not a version-1 token shard", path);
    size_t n = st == TITAN_OK ? (size_t)hdr[2] : 0;
    int *grown = st == TITAN_OK ? realloc(out->tok, sizeof(int) * (out->n + n + 1))
                                : NULL;
    uint16_t buf[4096];
    if (st == TITAN_OK && !grown) st = titan_fail(TITAN_E_NOMEM, "%s", path);
    if (grown) out->tok = grown;
    for (size_t done = 0; st == TITAN_OK && done < n;) {
        size_t want = n - done < 4096 ? n - done : 4096;
        if (fread(buf, 2, want, f) != want) {
            st = titan_fail(TITAN_E_DATA, "%s: truncated shard", path);
            break;
        }
        for (size_t i = 0; i < want; i++) out->tok[out->n + done + i] = buf[i];
        done += want;
    }
    if (st == TITAN_OK) out->n += n;
    fclose(f);
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
