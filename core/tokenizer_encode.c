/* tokenizer_encode.c: byte-level BPE and BESE encoding (rules in titan.h),
 * chunk by chunk. Most chunks are short repeated words, so a direct-mapped cache of
 * short chunks answers them without merging; a miss merges with a min-heap of
 * candidate pairs over a linked list of symbols, O(n log n) per chunk. */
#include "core/tokenizer.h"

#include <string.h>

enum {
    CACHE_KEY_MAX = 20, /* chunks of up to this many bytes are cached */
    CACHE_SLOTS = 8192, /* most slots, a power of two */
    CHUNK = TITAN_TOK_CHUNK_MAX,
};

typedef struct {
    uint8_t klen; /* 0 = empty slot */
    uint8_t nids;
    uint8_t key[CACHE_KEY_MAX];  /* [klen] the chunk's bytes */
    uint16_t ids[CACHE_KEY_MAX]; /* [nids] its encoding (ids < 65536) */
    uint8_t pad[2];              /* to one 64-byte cache line */
} cache_slot;
_Static_assert(sizeof(cache_slot) == 64, "cache slot is one cache line");

/* A short text gets fewer slots: clearing them is then cheap. */
static size_t cache_slots(size_t len) {
    size_t slots = 64;
    while (slots < CACHE_SLOTS && slots < len / 16) slots *= 2;
    return slots;
}

/* One chunk being merged: symbols form a linked list over byte positions. */
typedef struct {
    int32_t sym[CHUNK];  /* [n] token starting at each position, -1 once merged away */
    int16_t next[CHUNK]; /* [n] following symbol's position, n at the end */
    int16_t prev[CHUNK]; /* [n] preceding symbol's position, -1 at the start */
    uint32_t heap[3 * CHUNK]; /* rank << 8 | position, smallest first: n-1 pairs
                                 at start, at most 2 new ones per merge */
    int32_t out[CHUNK];       /* [ids] the chunk's encoding */
    int nheap;
} chunk_work;

size_t titan_tokenizer_encode_plan(void) {
    size_t bpe =
        CACHE_SLOTS * sizeof(cache_slot) + TITAN_ALIGN + sizeof(chunk_work) + TITAN_ALIGN;
    return bpe > spm_encode_plan() ? bpe : spm_encode_plan();
}

static void heap_push(chunk_work *w, uint32_t v) {
    int i = w->nheap++;
    while (i > 0 && w->heap[(i - 1) / 2] > v) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = v;
}

static uint32_t heap_pop(chunk_work *w) {
    uint32_t top = w->heap[0], v = w->heap[--w->nheap];
    int i = 0;
    for (int c = 1; c < w->nheap; c = 2 * i + 1) {
        if (c + 1 < w->nheap && w->heap[c + 1] < w->heap[c]) c++;
        if (w->heap[c] >= v) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    w->heap[i] = v;
    return top;
}

/* Offer the pair starting at pos (it has a successor) as a merge candidate. */
static void push_pair(const titan_tokenizer *t, chunk_work *w, int pos) {
    int32_t rank = tok_pair_rank(t, w->sym[pos], w->sym[w->next[pos]]);
    if (rank >= 0) heap_push(w, (uint32_t)rank << 8 | (uint32_t)pos);
}

/* Merge w->sym[0..n) (1 <= n <= CHUNK symbols) into w->out; returns the id
 * count. The heap may hold stale entries; one is applied only if its pair is
 * still there. */
static int merge_chunk(const titan_tokenizer *t, chunk_work *w, int n) {
    w->nheap = 0;
    for (int i = 0; i < n; i++) {
        w->next[i] = (int16_t)(i + 1);
        w->prev[i] = (int16_t)(i - 1);
    }
    for (int i = 0; i + 1 < n; i++) push_pair(t, w, i);
    while (w->nheap) {
        uint32_t top = heap_pop(w);
        int pos = (int)(top & 0xFF), nx = w->next[pos];
        int32_t rank = (int32_t)(top >> 8);
        if (w->sym[pos] < 0 || nx >= n ||
            tok_pair_rank(t, w->sym[pos], w->sym[nx]) != rank)
            continue;
        w->sym[pos] = t->first_merge + rank;
        w->sym[nx] = -1;
        w->next[pos] = w->next[nx];
        if (w->next[pos] < n) w->prev[w->next[pos]] = (int16_t)pos;
        if (w->prev[pos] >= 0) push_pair(t, w, w->prev[pos]);
        if (w->next[pos] < n) push_pair(t, w, pos);
    }
    int k = 0;
    for (int i = 0; i < n; i = w->next[i]) w->out[k++] = w->sym[i];
    return k;
}

/* The chunk's base symbols into w->sym: its bytes, or BESE's spelling. */
static int spell_chunk(const titan_tokenizer *t, chunk_work *w, const uint8_t *s,
                       size_t n) {
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t->bese) {
            w->sym[k++] = s[i];
            continue;
        }
        for (int j = 0; j < t->bese->nspell[s[i]]; j++)
            w->sym[k++] = t->bese->spell[s[i]][j];
    }
    return merge_chunk(t, w, k);
}

static uint32_t chunk_hash(const uint8_t *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

/* Encode one chunk into w->out, through the cache when it is short. */
static int encode_chunk(const titan_tokenizer *t, cache_slot *cache, size_t slots,
                        chunk_work *w, const uint8_t *s, size_t n) {
    if (n > CACHE_KEY_MAX) return spell_chunk(t, w, s, n);
    cache_slot *slot = &cache[chunk_hash(s, n) & (slots - 1)];
    if (slot->klen == n && !memcmp(slot->key, s, n)) {
        for (int j = 0; j < slot->nids; j++) w->out[j] = slot->ids[j];
        return slot->nids;
    }
    int k = spell_chunk(t, w, s, n);
    if (k > CACHE_KEY_MAX) return k; /* BESE: more ids than a slot holds */
    slot->klen = (uint8_t)n;
    slot->nids = (uint8_t)k;
    memcpy(slot->key, s, n);
    for (int j = 0; j < k; j++) slot->ids[j] = (uint16_t)w->out[j];
    return k;
}

static titan_status encode_text(const titan_tokenizer *t, cache_slot *cache,
                                chunk_work *w, const uint8_t *text, size_t len,
                                int32_t *ids, size_t cap, size_t *n) {
    size_t slots = cache_slots(len);
    memset(cache, 0, slots * sizeof *cache);
    size_t count = 0;
    for (size_t at = 0; at < len;) {
        size_t c = t->bese ? tok_bese_chunk(t->bese, text + at, len - at)
                           : titan_tokenizer_chunk(text + at, len - at);
        int k = encode_chunk(t, cache, slots, w, text + at, c);
        if (count + (size_t)k <= cap)
            memcpy(ids + count, w->out, (size_t)k * sizeof *ids);
        count += (size_t)k;
        at += c;
    }
    *n = count;
    if (ids && count > cap)
        return titan_fail(TITAN_E_USAGE, "tokenizer: %zu ids do not fit in %zu", count,
                          cap);
    return TITAN_OK;
}

titan_status titan_tokenizer_encode(const titan_tokenizer *t, titan_arena *scratch,
                                    const uint8_t *text, size_t len, int32_t *ids,
                                    size_t cap, size_t *n) {
    if (!t || !scratch || !n || (len && !text) || (cap && !ids))
        return titan_fail(TITAN_E_USAGE, "tokenizer: bad encode arguments");
    if (t->spm) return spm_encode(t->spm, scratch, text, len, ids, cap, n);
    size_t mark = titan_arena_mark(scratch);
    cache_slot *cache;
    chunk_work *w = NULL;
    titan_status st = titan_arena_alloc(scratch, CACHE_SLOTS * sizeof *cache, TITAN_ALIGN,
                                        (void **)&cache);
    if (st == TITAN_OK)
        st = titan_arena_alloc(scratch, sizeof *w, TITAN_ALIGN, (void **)&w);
    if (st == TITAN_OK && !w)
        st = titan_fail(TITAN_E_USAGE, "tokenizer: encode needs a real arena");
    if (st == TITAN_OK) st = encode_text(t, cache, w, text, len, ids, cap, n);
    titan_arena_reset(scratch, mark);
    return st;
}
