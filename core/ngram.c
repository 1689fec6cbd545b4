/* ngram.c: the n-gram hint table of titan eval --tilt (layout in titan.h):
 * checking a serialized table, looking hints up by binary search over its
 * sorted keys, and writing one. */
#include "core/base/le.h"
#include "titan.h"

#include <string.h>

static const uint8_t ngram_magic[4] = {'N', 'G', 'R', 'M'};

static int32_t id_width(int32_t vocab) { return vocab <= 65536 ? 2 : 4; }

/* An id; one past INT32_MAX reads as -1, which every check refuses. */
static int32_t rd_id(const uint8_t *p, int32_t width, int64_t i) {
    uint32_t v = width == 2 ? le_rd16(p + 2 * i) : le_rd32(p + 4 * i);
    return v > INT32_MAX ? -1 : (int32_t)v;
}

static void wr_id(uint8_t *p, int32_t width, int64_t i, int32_t v) {
    if (width == 2)
        le_wr16(p + 2 * i, (uint16_t)v);
    else
        le_wr32(p + 4 * i, (uint32_t)v);
}

size_t titan_ngram_bytes(int32_t vocab, int64_t n_bigram, int64_t n_trigram) {
    if (vocab < 1 || n_bigram < 0 || n_trigram < 0 || n_bigram > UINT32_MAX ||
        n_trigram > UINT32_MAX)
        return 0;
    uint64_t ids = 2 * (uint64_t)n_bigram + 3 * (uint64_t)n_trigram;
    uint64_t n = TITAN_NGRAM_HEADER + ids * (uint64_t)id_width(vocab);
    return n > TITAN_NGRAM_MAX_BYTES ? 0 : (size_t)n;
}

/* The five id arrays of a table, in layout order. */
typedef struct {
    const uint8_t *bi_prev, *bi_hint, *tri_a, *tri_b, *tri_hint;
} ngram_arrays;

static ngram_arrays arrays(const titan_ngram *g) {
    const uint8_t *p = g->blob + TITAN_NGRAM_HEADER;
    size_t bi = (size_t)g->n_bigram * (size_t)g->width,
           tri = (size_t)g->n_trigram * (size_t)g->width;
    return (ngram_arrays){p, p + bi, p + 2 * bi, p + 2 * bi + tri, p + 2 * bi + 2 * tri};
}

/* Every id below vocab and the keys strictly increasing. */
static titan_status check_entries(const titan_ngram *g) {
    ngram_arrays r = arrays(g);
    int32_t w = g->width, V = g->vocab;
    for (int64_t i = 0; i < g->n_bigram; i++) {
        int32_t k = rd_id(r.bi_prev, w, i), h = rd_id(r.bi_hint, w, i);
        if (k < 0 || h < 0 || k >= V || h >= V || (i && k <= rd_id(r.bi_prev, w, i - 1)))
            return titan_fail(TITAN_E_DATA,
                              "ngram: bigram entry %lld (%d -> %d) out of order or "
                              "outside the vocabulary (%d)",
                              (long long)i, k, h, V);
    }
    for (int64_t i = 0; i < g->n_trigram; i++) {
        int32_t a = rd_id(r.tri_a, w, i), b = rd_id(r.tri_b, w, i),
                h = rd_id(r.tri_hint, w, i);
        int32_t pa = i ? rd_id(r.tri_a, w, i - 1) : -1,
                pb = i ? rd_id(r.tri_b, w, i - 1) : -1;
        if (a < 0 || b < 0 || h < 0 || a >= V || b >= V || h >= V || a < pa ||
            (a == pa && b <= pb))
            return titan_fail(TITAN_E_DATA,
                              "ngram: trigram entry %lld (%d %d -> %d) out of order or "
                              "outside the vocabulary (%d)",
                              (long long)i, a, b, h, V);
    }
    return TITAN_OK;
}

titan_status titan_ngram_parse(const uint8_t *blob, size_t len, int32_t vocab,
                               titan_ngram *out) {
    if (!out || (!blob && len)) return titan_fail(TITAN_E_USAGE, "ngram: NULL argument");
    if (len < TITAN_NGRAM_HEADER || memcmp(blob, ngram_magic, 4))
        return titan_fail(TITAN_E_DATA, "ngram: not an n-gram table (%zu bytes)", len);
    titan_ngram g = {blob,
                     len,
                     (int32_t)le_rd32(blob + 4),
                     (int32_t)le_rd32(blob + 8),
                     (int32_t)le_rd32(blob + 12),
                     le_rd32(blob + 16),
                     le_rd32(blob + 20)};
    if (le_rd32(blob + 4) != (uint32_t)vocab)
        return titan_fail(TITAN_E_DATA, "ngram: table for vocab %u, the model has %d",
                          le_rd32(blob + 4), vocab);
    if (g.width != id_width(vocab))
        return titan_fail(TITAN_E_DATA, "ngram: id width %u, vocab %d needs %d",
                          le_rd32(blob + 8), vocab, id_width(vocab));
    size_t want = titan_ngram_bytes(vocab, g.n_bigram, g.n_trigram);
    if (!want || want != len)
        return titan_fail(TITAN_E_DATA,
                          "ngram: %lld bigram and %lld trigram entries need %zu bytes, "
                          "the table has %zu",
                          (long long)g.n_bigram, (long long)g.n_trigram, want, len);
    TITAN_TRY(check_entries(&g));
    *out = g;
    return TITAN_OK;
}

/* Index of key among the sorted bigram prevs, or -1. */
static int64_t find_bigram(const titan_ngram *g, const ngram_arrays *r, int32_t b) {
    int64_t lo = 0, hi = g->n_bigram;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int32_t k = rd_id(r->bi_prev, g->width, mid);
        if (k == b) return mid;
        if (k < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int64_t find_trigram(const titan_ngram *g, const ngram_arrays *r, int32_t a,
                            int32_t b) {
    int64_t lo = 0, hi = g->n_trigram;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int32_t ka = rd_id(r->tri_a, g->width, mid), kb = rd_id(r->tri_b, g->width, mid);
        if (ka == a && kb == b) return mid;
        if (ka < a || (ka == a && kb < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int32_t titan_ngram_hint(const titan_ngram *g, int32_t a, int32_t b) {
    if (!g || !g->blob || b < 0) return -1;
    ngram_arrays r = arrays(g);
    int64_t i = a >= 0 ? find_trigram(g, &r, a, b) : -1;
    if (i >= 0) return rd_id(r.tri_hint, g->width, i);
    i = find_bigram(g, &r, b);
    return i >= 0 ? rd_id(r.bi_hint, g->width, i) : -1;
}

void titan_ngram_hints(const titan_ngram *g, const int32_t *seq, int64_t n_targets,
                       int32_t *hint) {
    for (int64_t k = 0; k < n_targets; k++)
        hint[k] = titan_ngram_hint(g, k ? seq[k - 1] : -1, seq[k]);
}

titan_status titan_ngram_encode(const titan_ngram_entries *e, uint8_t *out, size_t cap) {
    size_t len = e ? titan_ngram_bytes(e->vocab, e->n_bigram, e->n_trigram) : 0;
    if (!len || !out || cap < len || e->min_count < 0)
        return titan_fail(TITAN_E_USAGE, "ngram: bad table to encode");
    memcpy(out, ngram_magic, 4);
    le_wr32(out + 4, (uint32_t)e->vocab);
    le_wr32(out + 8, (uint32_t)id_width(e->vocab));
    le_wr32(out + 12, (uint32_t)e->min_count);
    le_wr32(out + 16, (uint32_t)e->n_bigram);
    le_wr32(out + 20, (uint32_t)e->n_trigram);
    titan_ngram g = {out,          len,         e->vocab,    id_width(e->vocab),
                     e->min_count, e->n_bigram, e->n_trigram};
    ngram_arrays r = arrays(&g);
    int32_t w = g.width;
    for (int64_t i = 0; i < e->n_bigram; i++) {
        wr_id((uint8_t *)r.bi_prev, w, i, e->bi_prev[i]);
        wr_id((uint8_t *)r.bi_hint, w, i, e->bi_hint[i]);
    }
    for (int64_t i = 0; i < e->n_trigram; i++) {
        wr_id((uint8_t *)r.tri_a, w, i, e->tri_a[i]);
        wr_id((uint8_t *)r.tri_b, w, i, e->tri_b[i]);
        wr_id((uint8_t *)r.tri_hint, w, i, e->tri_hint[i]);
    }
    titan_ngram check;
    titan_status st = titan_ngram_parse(out, len, e->vocab, &check);
    return st == TITAN_OK ? TITAN_OK
                          : titan_fail(TITAN_E_USAGE, "%s", titan_last_error());
}
