/* ngram_build.c: count the stream's bigrams and trigrams by sorting their
 * packed keys ((context * vocab) + next, so a context's continuations are
 * adjacent and in id order) and keep each context's top continuation
 * (ngram_build.h has the rule). */
#include "tools/train/ngram_build.h"

#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Entries of one order: contexts (as packed keys) and their hints. */
typedef struct {
    uint64_t *ctx;
    int32_t *hint;
    int64_t n, contexts;
} order_entries;

/* Sorted keys [n] of one order -> its entries (ctx/hint hold n at most). */
static void select_hints(const uint64_t *key, size_t n, const ngram_build_options *o,
                         order_entries *e) {
    uint64_t V = (uint64_t)o->vocab;
    e->n = e->contexts = 0;
    for (size_t i = 0; i < n;) {
        uint64_t ctx = key[i] / V;
        int64_t total = 0, best = 0;
        int32_t hint = -1;
        while (i < n && key[i] / V == ctx) {
            size_t j = i;
            while (j < n && key[j] == key[i]) j++;
            if ((int64_t)(j - i) > best) {
                best = (int64_t)(j - i);
                hint = (int32_t)(key[i] % V);
            }
            total += (int64_t)(j - i);
            i = j;
        }
        e->contexts++;
        if (best >= o->min_count && (double)best >= o->min_share * (double)total) {
            e->ctx[e->n] = ctx;
            e->hint[e->n++] = hint;
        }
    }
}

/* Keys of one order (2 or 3) from the stream, sorted; NULL when out of memory. */
static uint64_t *order_keys(const int *tok, size_t n, int order, int32_t vocab,
                            size_t *count) {
    size_t m = n >= (size_t)order ? n - (size_t)order + 1 : 0;
    uint64_t *key = malloc((m ? m : 1) * sizeof *key), V = (uint64_t)vocab;
    if (!key) return NULL;
    for (size_t i = 0; i < m; i++) {
        uint64_t k = 0;
        for (int d = 0; d < order; d++) k = k * V + (uint64_t)tok[i + (size_t)d];
        key[i] = k;
    }
    qsort(key, m, sizeof *key, cmp_u64);
    *count = m;
    return key;
}

static titan_status build_order(const int *tok, size_t n, int order,
                                const ngram_build_options *o, order_entries *e) {
    size_t m = 0;
    uint64_t *key = order_keys(tok, n, order, o->vocab, &m);
    e->ctx = malloc((m ? m : 1) * sizeof *e->ctx);
    e->hint = malloc((m ? m : 1) * sizeof *e->hint);
    if (!key || !e->ctx || !e->hint) {
        free(key);
        return titan_fail(TITAN_E_NOMEM, "ngram: out of memory for %zu keys", m);
    }
    select_hints(key, m, o, e);
    free(key);
    return TITAN_OK;
}

/* Drop trigram entries whose hint is their bigram's (the fallback gives it). */
static void drop_redundant(const order_entries *bi, order_entries *tri, int32_t vocab) {
    int64_t kept = 0;
    for (int64_t i = 0; i < tri->n; i++) {
        uint64_t b = tri->ctx[i] % (uint64_t)vocab;
        int64_t lo = 0, hi = bi->n; /* bi is sorted by context */
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (bi->ctx[mid] < b)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < bi->n && bi->ctx[lo] == b && bi->hint[lo] == tri->hint[i]) continue;
        tri->ctx[kept] = tri->ctx[i];
        tri->hint[kept++] = tri->hint[i];
    }
    tri->n = kept;
}

/* The entries as titan_ngram_encode takes them, then the table. */
static titan_status encode(const order_entries *bi, const order_entries *tri,
                           const ngram_build_options *o, ngram_build_result *out) {
    size_t len = titan_ngram_bytes(o->vocab, bi->n, tri->n);
    if (!len) return titan_fail(TITAN_E_DATA, "ngram: table too large");
    int32_t *ids = malloc(((size_t)bi->n + 2 * (size_t)tri->n + 1) * sizeof *ids);
    out->table = malloc(len);
    titan_status st = TITAN_OK;
    if (!ids || !out->table) st = titan_fail(TITAN_E_NOMEM, "ngram: out of memory");
    for (int64_t i = 0; !st && i < bi->n; i++) ids[i] = (int32_t)bi->ctx[i];
    int32_t *ta = ids + bi->n, *tb = ta + tri->n;
    for (int64_t i = 0; !st && i < tri->n; i++) {
        ta[i] = (int32_t)(tri->ctx[i] / (uint64_t)o->vocab);
        tb[i] = (int32_t)(tri->ctx[i] % (uint64_t)o->vocab);
    }
    titan_ngram_entries e = {
        o->vocab, (int32_t)o->min_count, bi->n, tri->n, ids, bi->hint, ta, tb, tri->hint};
    if (!st) st = titan_ngram_encode(&e, out->table, len);
    free(ids);
    out->len = len;
    return st;
}

titan_status ngram_build(const int *tok, size_t n, const ngram_build_options *o,
                         ngram_build_result *out) {
    memset(out, 0, sizeof *out);
    if (!o || o->vocab < 1 || (o->order != 2 && o->order != 3) || o->min_count < 1 ||
        o->min_count > INT32_MAX || !(o->min_share >= 0 && o->min_share <= 1))
        return titan_fail(TITAN_E_USAGE, "ngram: bad options");
    for (size_t i = 0; i < n; i++)
        if (tok[i] < 0 || tok[i] >= o->vocab)
            return titan_fail(TITAN_E_DATA, "ngram: token %d at %zu outside 0..%d",
                              tok[i], i, o->vocab - 1);
    order_entries bi = {0}, tri = {0};
    titan_status st = build_order(tok, n, 2, o, &bi);
    if (!st && o->order == 3) st = build_order(tok, n, 3, o, &tri);
    if (!st) drop_redundant(&bi, &tri, o->vocab);
    if (!st) st = encode(&bi, &tri, o, out);
    out->n_bigram = bi.n;
    out->n_trigram = tri.n;
    out->bigram_contexts = bi.contexts;
    out->trigram_contexts = tri.contexts;
    free(bi.ctx);
    free(bi.hint);
    free(tri.ctx);
    free(tri.hint);
    if (st) {
        free(out->table);
        out->table = NULL;
    }
    return st;
}
