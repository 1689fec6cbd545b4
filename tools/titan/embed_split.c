/* embed_split.c: token counts from shards or text, the hot rows, and the
 * per-row int8/int6 rounding of a token-row table (embed_split.h). */
#include "core/base/le.h"
#include "platform/file.h"
#include "quant/dtype.h"
#include "tools/cli/cli.h"
#include "tools/titan/embed_split.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>

/* Text is tokenized in pieces of at most this many bytes, cut after a newline
 * (a token seldom spans one; counts only rank ids). */
enum { PIECE_BYTES = 1 << 20 };

static titan_status add_id(const char *path, int64_t id, int64_t at, int32_t vocab,
                           uint64_t *counts) {
    if (id < 0 || id >= vocab)
        return titan_fail(TITAN_E_DATA, "%s: token %lld at %lld, vocabulary has %d", path,
                          (long long)id, (long long)at, vocab);
    counts[id]++;
    return TITAN_OK;
}

static titan_status count_shard(const char *path, const uint8_t *d, size_t len,
                                int32_t vocab, uint64_t *counts) {
    uint64_t n;
    titan_status st = titan_shard_count(d, len, &n);
    if (st != TITAN_OK) return titan_fail_in(st, "%s", path);
    for (uint64_t i = 0; i < n; i++)
        TITAN_TRY(add_id(path, le_rd16(d + TITAN_SHARD_HEADER_BYTES + 2 * i), (int64_t)i,
                         vocab, counts));
    return TITAN_OK;
}

static size_t piece_end(const uint8_t *d, size_t len) {
    if (len <= PIECE_BYTES) return len;
    for (size_t k = PIECE_BYTES; k > PIECE_BYTES / 2; k--)
        if (d[k - 1] == '\n') return k;
    return PIECE_BYTES; /* no newline near: cut anyway */
}

static titan_status count_text(titan_arena *a, const char *path, const uint8_t *d,
                               size_t len, const titan_tokenizer *tok, int32_t vocab,
                               uint64_t *counts) {
    size_t cap = titan_tokenizer_max_ids(tok, PIECE_BYTES), n;
    int32_t *ids;
    TITAN_TRY(titan_arena_alloc(a, cap * sizeof *ids, TITAN_ALIGN, (void **)&ids));
    for (size_t at = 0, seen = 0; at < len; at += piece_end(d + at, len - at)) {
        size_t piece = piece_end(d + at, len - at);
        TITAN_TRY(titan_tokenizer_encode(tok, a, d + at, piece, ids, cap, &n));
        for (size_t i = 0; i < n; i++, seen++)
            TITAN_TRY(add_id(path, ids[i], (int64_t)seen, vocab, counts));
    }
    return TITAN_OK;
}

static titan_status count_file(const char *path, const uint8_t *tok, size_t tok_len,
                               int32_t vocab, uint64_t *counts) {
    size_t len;
    TITAN_TRY(titan_file_size(path, &len));
    titan_arena a;
    size_t room = len + titan_tokenizer_encode_plan() + ((size_t)64 << 20) +
                  (size_t)PIECE_BYTES * 16;
    if (len > SIZE_MAX / 2 || cli_arena_create(&a, room) != TITAN_OK)
        return titan_fail(TITAN_E_NOMEM, "%s: %zu bytes, too large to count", path, len);
    uint8_t *d;
    const titan_tokenizer *t;
    titan_status st = titan_file_read(&a, path, len, &d, &len);
    bool shard = st == TITAN_OK && len >= 4 && le_rd32(d) == TITAN_SHARD_MAGIC;
    if (st == TITAN_OK && shard) st = count_shard(path, d, len, vocab, counts);
    if (st == TITAN_OK && !shard) st = titan_tokenizer_load(&a, tok, tok_len, &t);
    if (st == TITAN_OK && !shard) st = count_text(&a, path, d, len, t, vocab, counts);
    cli_arena_destroy(&a);
    return st;
}

titan_status embed_split_counts(const char *pattern, const uint8_t *tok, size_t tok_len,
                                int32_t vocab, uint64_t *counts) {
    memset(counts, 0, (size_t)vocab * sizeof *counts);
    glob_t g;
    int rc = glob(pattern, 0, NULL, &g);
    if (rc == GLOB_NOMATCH)
        return titan_fail(TITAN_E_IO, "--embed-counts %s: no such file", pattern);
    if (rc) return titan_fail(TITAN_E_IO, "--embed-counts %s: glob failed", pattern);
    titan_status st = TITAN_OK;
    for (size_t i = 0; i < g.gl_pathc && st == TITAN_OK; i++)
        st = count_file(g.gl_pathv[i], tok, tok_len, vocab, counts);
    globfree(&g);
    uint64_t total = 0;
    for (int32_t i = 0; i < vocab; i++) total += counts[i];
    if (st == TITAN_OK && !total)
        return titan_fail(TITAN_E_DATA, "--embed-counts %s: no tokens", pattern);
    return st;
}

/* Most counts first, then the lower id. */
static const uint64_t *sort_counts; /* qsort has no user pointer */
static int by_count(const void *x, const void *y) {
    int32_t i = *(const int32_t *)x, j = *(const int32_t *)y;
    if (sort_counts[i] != sort_counts[j]) return sort_counts[i] > sort_counts[j] ? -1 : 1;
    return (i > j) - (i < j);
}

titan_status embed_split_ranges(titan_arena *a, const uint64_t *counts, int32_t vocab,
                                int32_t n, int **row_qmax) {
    if (n < 0 || n > vocab)
        return titan_fail(TITAN_E_USAGE, "--embed-split %d: 0 to the vocabulary's %d", n,
                          vocab);
    int32_t *order;
    TITAN_TRY(titan_arena_alloc(a, (size_t)vocab * sizeof **row_qmax, TITAN_ALIGN,
                                (void **)row_qmax));
    size_t mark = titan_arena_mark(a);
    TITAN_TRY(titan_arena_alloc(a, (size_t)vocab * sizeof *order, TITAN_ALIGN,
                                (void **)&order));
    for (int32_t i = 0; i < vocab; i++) order[i] = i;
    sort_counts = counts;
    qsort(order, (size_t)vocab, sizeof *order, by_count);
    for (int32_t k = 0; k < vocab; k++)
        (*row_qmax)[order[k]] =
            titan_dtype_get(k < n ? TITAN_DT_INT8 : TITAN_DT_INT6_BYTE)->qmax;
    titan_arena_reset(a, mark);
    return TITAN_OK;
}

bool embed_split_applies(const titan_tensor_spec *s, int32_t vocab) {
    if (s->ndim != 2 || s->rows != vocab) return false;
    return s->role == TITAN_ROLE_HEAD || !strcmp(s->name, "tok_emb") ||
           !strcmp(s->name, "value_embed.table");
}

titan_status embed_split_quantize(titan_arena *a, const float *f, const int *row_qmax,
                                  int clip_steps, titan_tensor *t) {
    titan_tensor_layout_t l;
    t->dtype = TITAN_DT_INT8;
    TITAN_TRY(titan_tensor_layout(t->dtype, t->rows, t->cols, t->group_size, &l));
    uint8_t *q;
    float *s;
    TITAN_TRY(titan_arena_alloc(a, l.value_bytes, TITAN_ALIGN, (void **)&q));
    TITAN_TRY(titan_arena_alloc(a, l.scale_bytes, TITAN_ALIGN, (void **)&s));
    int int8_max = titan_dtype_get(TITAN_DT_INT8)->qmax;
    for (int64_t r = 0; r < t->rows; r++) {
        titan_dtype dt = row_qmax[r] == int8_max ? TITAN_DT_INT8 : TITAN_DT_INT6_BYTE;
        TITAN_TRY(titan_quant_rtn_clip(f + r * t->cols, 1, t->cols, dt, t->group_size,
                                       clip_steps, q + r * l.row_bytes,
                                       s + r * l.groups));
    }
    t->data = q, t->scales = s;
    return TITAN_OK;
}
