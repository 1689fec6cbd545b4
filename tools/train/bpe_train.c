/* bpe_train.c: BPE training over the unique chunks of a text with their
 * counts. Pair counts are updated incrementally: a merge touches only the
 * chunks that hold its pair (each pair keeps a list of them) and the pairs
 * next to each occurrence; a lazy max-heap finds the next pair to merge. */
#include "tools/train/bpe_train.h"

#include "core/tokenizer.h"
#include "titan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t at;         /* first occurrence in the text */
    int32_t len;       /* chunk bytes */
    int32_t n;         /* current symbols */
    int32_t *sym;      /* [n] its tokens, in the symbol pool */
    int32_t last_step; /* last merge step that rewrote it */
    int64_t count;     /* occurrences in the text */
} word;

typedef struct {
    uint32_t key;   /* left << 16 | right */
    bool dirty;     /* count rose in this step: needs a fresh heap entry */
    int64_t count;  /* occurrences over the text */
    int32_t *where; /* [nwhere] words that held it (may repeat or be stale) */
    size_t nwhere, capwhere;
} pair;

typedef struct {
    int64_t count;
    uint32_t key;
} heap_entry;

typedef struct {
    const uint8_t *text;
    const tok_bese *bese; /* spell bytes as BESE symbols, or NULL: bytes */
    int32_t first_merge;  /* id of merge 0 */
    word *words;
    size_t nwords, capwords;
    int32_t *word_slots; /* [word_mask + 1] open addressing, -1 free */
    size_t word_mask;
    pair *pairs;
    size_t npairs, cappairs;
    int32_t *pair_slots; /* [pair_mask + 1] open addressing, -1 free */
    size_t pair_mask;
    heap_entry *heap; /* max-heap by count, then smaller key */
    size_t nheap, capheap;
    int32_t *dirty; /* [ndirty] pairs whose count rose in this step */
    size_t ndirty, capdirty;
    int32_t *pool; /* every word's symbols */
    bool oom;
} trainer;

/* Make room for `need` elements of `size` bytes in *p (capacity *cap). */
static bool reserve(trainer *tr, void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return true;
    size_t n = *cap ? *cap : 16;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * size);
    if (!q) {
        tr->oom = true;
        return false;
    }
    *p = q;
    *cap = n;
    return true;
}

static uint32_t hash_bytes(const uint8_t *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

static size_t hash_key(uint32_t key) { return (size_t)(key * 0x9E3779B1u); }

/* A fresh hash table of `slots` free slots. */
static int32_t *new_slots(trainer *tr, size_t slots) {
    int32_t *s = malloc(slots * sizeof *s);
    if (!s)
        tr->oom = true;
    else
        memset(s, 0xFF, slots * sizeof *s);
    return s;
}

static size_t word_slot(const trainer *tr, const uint8_t *s, size_t n) {
    size_t i = hash_bytes(s, n) & tr->word_mask;
    for (;; i = (i + 1) & tr->word_mask) {
        int32_t w = tr->word_slots[i];
        if (w < 0) return i;
        const word *wd = &tr->words[w];
        if ((size_t)wd->len == n && !memcmp(tr->text + wd->at, s, n)) return i;
    }
}

static bool grow_words(trainer *tr) {
    size_t slots = (tr->word_mask + 1) * 2;
    int32_t *s = new_slots(tr, slots);
    if (!s) return false;
    free(tr->word_slots);
    tr->word_slots = s;
    tr->word_mask = slots - 1;
    for (size_t w = 0; w < tr->nwords; w++) {
        const word *wd = &tr->words[w];
        tr->word_slots[word_slot(tr, tr->text + wd->at, (size_t)wd->len)] = (int32_t)w;
    }
    return true;
}

static bool count_chunk(trainer *tr, size_t at, size_t n) {
    size_t i = word_slot(tr, tr->text + at, n);
    if (tr->word_slots[i] >= 0) {
        tr->words[tr->word_slots[i]].count++;
        return true;
    }
    if (tr->nwords == INT32_MAX) { /* word indices are int32_t */
        tr->oom = true;
        return false;
    }
    if (!reserve(tr, (void **)&tr->words, &tr->capwords, tr->nwords + 1, sizeof(word)))
        return false;
    tr->words[tr->nwords] =
        (word){.at = at, .len = (int32_t)n, .count = 1, .last_step = -1};
    tr->word_slots[i] = (int32_t)tr->nwords++;
    return 2 * tr->nwords <= tr->word_mask + 1 || grow_words(tr);
}

static int32_t find_pair(const trainer *tr, uint32_t key, size_t *slot) {
    size_t i = hash_key(key) & tr->pair_mask;
    while (tr->pair_slots[i] >= 0 && tr->pairs[tr->pair_slots[i]].key != key)
        i = (i + 1) & tr->pair_mask;
    *slot = i;
    return tr->pair_slots[i];
}

static int32_t add_pair(trainer *tr, uint32_t key, size_t slot) {
    if (!reserve(tr, (void **)&tr->pairs, &tr->cappairs, tr->npairs + 1, sizeof(pair)))
        return -1;
    int32_t p = (int32_t)tr->npairs++;
    tr->pairs[p] = (pair){.key = key};
    tr->pair_slots[slot] = p;
    if (2 * tr->npairs <= tr->pair_mask + 1) return p;
    size_t slots = (tr->pair_mask + 1) * 2;
    int32_t *s = new_slots(tr, slots);
    if (!s) return -1;
    free(tr->pair_slots);
    tr->pair_slots = s;
    tr->pair_mask = slots - 1;
    for (size_t q = 0; q < tr->npairs; q++) {
        find_pair(tr, tr->pairs[q].key, &slot);
        tr->pair_slots[slot] = (int32_t)q;
    }
    return p;
}

static bool heap_above(const heap_entry *a, const heap_entry *b) {
    return a->count > b->count || (a->count == b->count && a->key < b->key);
}

static void heap_push(trainer *tr, int64_t count, uint32_t key) {
    if (!reserve(tr, (void **)&tr->heap, &tr->capheap, tr->nheap + 1, sizeof(heap_entry)))
        return;
    heap_entry e = {count, key}, *h = tr->heap;
    size_t i = tr->nheap++;
    while (i > 0) {
        heap_entry *up = &h[(i - 1) / 2];
        if (!heap_above(&e, up)) break;
        h[i] = *up;
        i = (i - 1) / 2;
    }
    h[i] = e;
}

static heap_entry heap_pop(trainer *tr) {
    heap_entry *h = tr->heap, top = h[0], v = h[--tr->nheap];
    size_t i = 0, n = tr->nheap;
    for (size_t c = 1; c < n; c = 2 * i + 1) {
        if (c + 1 < n && heap_above(&h[c + 1], &h[c])) c++;
        if (!heap_above(&h[c], &v)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
    return top;
}

/* Add delta occurrences of (l, r); a rise records word w as a holder. */
static void change_pair(trainer *tr, int32_t l, int32_t r, int64_t delta, int32_t w) {
    uint32_t key = (uint32_t)l << 16 | (uint32_t)r;
    size_t slot;
    int32_t p = find_pair(tr, key, &slot);
    if (p < 0 && (p = add_pair(tr, key, slot)) < 0) return;
    pair *pr = &tr->pairs[p];
    pr->count += delta;
    if (delta <= 0) return;
    if (!pr->dirty) {
        if (!reserve(tr, (void **)&tr->dirty, &tr->capdirty, tr->ndirty + 1,
                     sizeof(int32_t)))
            return;
        pr->dirty = true;
        tr->dirty[tr->ndirty++] = p;
    }
    if (pr->nwhere && pr->where[pr->nwhere - 1] == w) return;
    if (reserve(tr, (void **)&pr->where, &pr->capwhere, pr->nwhere + 1, sizeof(int32_t)))
        pr->where[pr->nwhere++] = w;
}

/* Give every pair whose count rose a heap entry with its new count; entries
 * left with an older count are refreshed or dropped when they surface. */
static void flush_dirty(trainer *tr) {
    for (size_t i = 0; i < tr->ndirty; i++) {
        pair *pr = &tr->pairs[tr->dirty[i]];
        pr->dirty = false;
        if (pr->count > 0) heap_push(tr, pr->count, pr->key);
    }
    tr->ndirty = 0;
}

/* The pair to merge next, or -1 when none is left. */
static int32_t best_pair(trainer *tr) {
    while (tr->nheap) {
        heap_entry e = heap_pop(tr);
        size_t slot;
        int32_t p = find_pair(tr, e.key, &slot);
        int64_t c = tr->pairs[p].count;
        if (c == e.count) return p;
        if (c > 0 && c < e.count) heap_push(tr, c, e.key);
    }
    return -1;
}

/* Replace every (a, b) in word w by m, left to right, and update the counts
 * of the pairs around each occurrence. */
static void merge_word(trainer *tr, int32_t w, int32_t a, int32_t b, int32_t m) {
    word *wd = &tr->words[w];
    int32_t *s = wd->sym, n = wd->n, j = 0;
    int64_t c = wd->count;
    for (int32_t i = 0; i < n;) {
        if (i + 1 < n && s[i] == a && s[i + 1] == b) {
            change_pair(tr, a, b, -c, w);
            if (j > 0) {
                change_pair(tr, s[j - 1], a, -c, w);
                change_pair(tr, s[j - 1], m, c, w);
            }
            if (i + 2 < n) {
                change_pair(tr, b, s[i + 2], -c, w);
                change_pair(tr, m, s[i + 2], c, w);
            }
            s[j++] = m;
            i += 2;
        } else {
            s[j++] = s[i++];
        }
    }
    wd->n = j;
}

static void merge_step(trainer *tr, int32_t p, int32_t step) {
    pair *pr = &tr->pairs[p];
    int32_t a = (int32_t)(pr->key >> 16), b = (int32_t)(pr->key & 0xFFFF);
    /* Merging (a, b) never recreates it, so its holder list is taken whole. */
    int32_t *where = pr->where;
    size_t nwhere = pr->nwhere;
    pr->where = NULL;
    pr->nwhere = pr->capwhere = 0;
    for (size_t i = 0; i < nwhere; i++) {
        word *wd = &tr->words[where[i]];
        if (wd->last_step == step) continue;
        wd->last_step = step;
        merge_word(tr, where[i], a, b, tr->first_merge + step);
    }
    free(where);
    flush_dirty(tr);
}

static bool count_chunks(trainer *tr, size_t len, bpe_progress_fn progress, void *ctx) {
    tr->word_mask = (1u << 16) - 1;
    tr->word_slots = new_slots(tr, tr->word_mask + 1);
    if (!tr->word_slots) return false;
    for (size_t at = 0, next_report = 0; at < len && !tr->oom;) {
        size_t n = tr->bese ? tok_bese_chunk(tr->bese, tr->text + at, len - at)
                            : titan_tokenizer_chunk(tr->text + at, len - at);
        if (!count_chunk(tr, at, n)) return false;
        at += n;
        if (progress && (at >= next_report || at == len)) { /* the end shows too */
            progress(ctx, 0, (double)at, (double)len);
            next_report = at + (1u << 20);
        }
    }
    return !tr->oom;
}

/* A word's base symbols into sym (NULL: only count them). */
static int32_t spell_word(const trainer *tr, const word *wd, int32_t *sym) {
    const uint8_t *s = tr->text + wd->at;
    int32_t n = 0;
    for (int32_t i = 0; i < wd->len; i++) {
        int k = tr->bese ? tr->bese->nspell[s[i]] : 1;
        for (int j = 0; sym && j < k; j++)
            sym[n + j] = tr->bese ? tr->bese->spell[s[i]][j] : s[i];
        n += k;
    }
    return n;
}

/* Symbols start as the spelled bytes; count every adjacent pair of every
 * word. */
static bool init_pairs(trainer *tr) {
    size_t total = 0;
    for (size_t w = 0; w < tr->nwords; w++)
        total += (size_t)spell_word(tr, &tr->words[w], NULL);
    tr->pool = malloc((total ? total : 1) * sizeof *tr->pool);
    tr->pair_mask = (1u << 16) - 1;
    tr->pair_slots = new_slots(tr, tr->pair_mask + 1);
    if (!tr->pool || !tr->pair_slots) return false;
    int32_t *sym = tr->pool;
    for (size_t w = 0; w < tr->nwords && !tr->oom; w++) {
        word *wd = &tr->words[w];
        wd->sym = sym;
        wd->n = spell_word(tr, wd, sym);
        for (int32_t i = 0; i + 1 < wd->n; i++)
            change_pair(tr, sym[i], sym[i + 1], wd->count, (int32_t)w);
        sym += wd->n;
    }
    flush_dirty(tr);
    return !tr->oom;
}

static void free_trainer(trainer *tr) {
    for (size_t p = 0; p < tr->npairs; p++) free(tr->pairs[p].where);
    free(tr->words);
    free(tr->word_slots);
    free(tr->pairs);
    free(tr->pair_slots);
    free(tr->heap);
    free(tr->dirty);
    free(tr->pool);
}

int32_t bpe_train(const uint8_t *text, size_t len, int32_t max_merges, int32_t *left,
                  int32_t *right, bpe_progress_fn progress, void *ctx) {
    return bpe_train_over(text, len, NULL, max_merges, left, right, progress, ctx);
}

int32_t bpe_train_over(const uint8_t *text, size_t len, const tok_bese *bese,
                       int32_t max_merges, int32_t *left, int32_t *right,
                       bpe_progress_fn progress, void *ctx) {
    trainer tr = {.text = text, .bese = bese, .first_merge = bese ? BESE_BASE : 257};
    int32_t done = 0;
    if (count_chunks(&tr, len, progress, ctx) && init_pairs(&tr)) {
        for (; done < max_merges && !tr.oom; done++) {
            int32_t p = best_pair(&tr);
            if (p < 0) break;
            left[done] = (int32_t)(tr.pairs[p].key >> 16);
            right[done] = (int32_t)(tr.pairs[p].key & 0xFFFF);
            merge_step(&tr, p, done);
            if (progress) progress(ctx, 1, done + 1, max_merges);
        }
    }
    bool oom = tr.oom;
    free_trainer(&tr);
    return oom ? -1 : done;
}

void bese_pick_literals(const uint8_t *text, size_t len, uint8_t literal[32]) {
    uint64_t count[256] = {0};
    bool taken[256] = {false};
    for (size_t i = 0; i < len; i++) count[text[i]]++;
    for (int k = 0; k < BESE_LITERALS; k++) {
        int best = -1;
        for (int c = 0; c < 256; c++)
            if (!taken[c] && (best < 0 || count[c] > count[best])) best = c;
        taken[best] = true;
        literal[k] = (uint8_t)best;
    }
}
