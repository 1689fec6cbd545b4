/* adapt_ngram.c: the stream's own n-gram model for adaptive evaluation
 * (adapt.h): Witten-Bell back-off from the uniform distribution through
 * orders 0..K. A table key is a context's 44-bit hash and a 20-bit token (or
 * the context's total / distinct-count marker). Contexts whose hashes
 * collide share their counts, which keeps every distribution normalized. */
#include "core/adapt.h"

#include <string.h>

enum { TOK_BITS = 20, MARK_TOTAL = (1 << TOK_BITS) - 1, MARK_DISTINCT = MARK_TOTAL - 1 };
#define MAX_SLOTS (UINT64_C(1) << 23)

struct adapt_slot {
    uint64_t key;
    uint32_t count; /* 0: empty */
};

static uint64_t mix64(uint64_t x) {
    x ^= x >> 31;
    x *= UINT64_C(0x7fb5d329728ea185);
    x ^= x >> 27;
    x *= UINT64_C(0x81dadef4bc2dd44d);
    return x ^ (x >> 33);
}

static uint64_t slots_for(int32_t order, int64_t n_targets) {
    uint64_t want = 4 * (uint64_t)(order + 1) * (uint64_t)(n_targets > 0 ? n_targets : 1);
    uint64_t n = 1024;
    while (n < want && n < MAX_SLOTS) n *= 2;
    return n;
}

size_t adapt_ngram_bytes(int32_t order, int64_t n_targets) {
    return slots_for(order, n_targets) * sizeof(struct adapt_slot) + TITAN_ALIGN;
}

titan_status adapt_ngram_init(titan_arena *a, int32_t vocab, int32_t order,
                              int64_t n_targets, adapt_ngram *g) {
    if (vocab < 2 || vocab >= MARK_DISTINCT || order < 0 || order > 32)
        return titan_fail(TITAN_E_USAGE, "adapt: vocabulary 2..%d and order 0..32",
                          MARK_DISTINCT - 1);
    uint64_t n = slots_for(order, n_targets);
    *g = (adapt_ngram){.mask = n - 1, .limit = n / 4 * 3, .vocab = vocab, .order = order};
    return titan_arena_calloc(a, n * sizeof *g->slot, TITAN_ALIGN, (void **)&g->slot);
}

/* Context hashes of orders 0..top at position i (top = min(order, i + 1)). */
static int context_hashes(const adapt_ngram *g, const int32_t *seq, int64_t i,
                          uint64_t *h) {
    int top = g->order < i + 1 ? g->order : (int)(i + 1);
    h[0] = 0;
    for (int k = 1; k <= top; k++)
        h[k] = mix64(h[k - 1] ^ ((uint64_t)(uint32_t)seq[i - k + 1] << 8) ^ (uint64_t)k);
    return top;
}

static uint64_t key_of(uint64_t ctx, uint32_t tok) { return (ctx << TOK_BITS) | tok; }

/* The slot holding key, or the empty slot where it would go. */
static struct adapt_slot *probe(const adapt_ngram *g, uint64_t key) {
    uint64_t at = mix64(key) & g->mask;
    while (g->slot[at].count && g->slot[at].key != key) at = (at + 1) & g->mask;
    return &g->slot[at];
}

static uint32_t count_of(const adapt_ngram *g, uint64_t ctx, uint32_t tok) {
    return probe(g, key_of(ctx, tok))->count;
}

int adapt_ngram_probs(const adapt_ngram *g, const int32_t *seq, int64_t i, int32_t y,
                      double *p) {
    uint64_t h[33];
    int top = context_hashes(g, seq, i, h), seen = -1;
    double q = 1.0 / g->vocab;
    for (int k = 0; k <= g->order; k++) {
        uint32_t n = k <= top && seen == k - 1 ? count_of(g, h[k], MARK_TOTAL) : 0;
        if (n) { /* back off no further than the first unseen context */
            double u = count_of(g, h[k], MARK_DISTINCT);
            q = (count_of(g, h[k], (uint32_t)y) + u * q) / (n + u);
            seen = k;
        }
        p[k] = q;
    }
    return seen;
}

static void bump(adapt_ngram *g, uint64_t key) {
    struct adapt_slot *s = probe(g, key);
    if (!s->count) {
        s->key = key;
        g->used++;
    }
    s->count++;
}

void adapt_ngram_learn(adapt_ngram *g, const int32_t *seq, int64_t i) {
    uint64_t h[33];
    int top = context_hashes(g, seq, i, h);
    uint32_t y = (uint32_t)seq[i + 1];
    for (int k = 0; k <= top; k++) {
        bool new_tok = !count_of(g, h[k], y), new_ctx = !count_of(g, h[k], MARK_TOTAL);
        if (g->used + new_tok + 2 * new_ctx > g->limit)
            continue; /* full: counts stay whole */
        bump(g, key_of(h[k], y));
        bump(g, key_of(h[k], MARK_TOTAL));
        if (new_tok) bump(g, key_of(h[k], MARK_DISTINCT));
    }
}
