/* adapt_match.c: the match model of adaptive evaluation (adapt.h). A hash of
 * the last ADAPT_MATCH_MIN tokens points at the position after their most
 * recent occurrence; a candidate is checked token by token, so a hash
 * collision never makes a match. */
#include "core/adapt.h"

#define MAX_LEN 64 /* longer matches count as this long */

static uint64_t slots_for(int64_t n_targets) {
    uint64_t n = 1024;
    while (n < 2 * (uint64_t)(n_targets > 0 ? n_targets : 1) && n < (UINT64_C(1) << 22))
        n *= 2;
    return n;
}

size_t adapt_match_bytes(int64_t n_targets) {
    return slots_for(n_targets) * sizeof(int64_t) + TITAN_ALIGN;
}

titan_status adapt_match_init(titan_arena *a, int32_t vocab, int64_t n_targets,
                              adapt_match *m) {
    uint64_t n = slots_for(n_targets);
    *m = (adapt_match){.mask = n - 1, .ptr = -1, .vocab = vocab};
    TITAN_TRY(titan_arena_alloc(a, n * sizeof *m->last, TITAN_ALIGN, (void **)&m->last));
    for (uint64_t k = 0; m->last && k < n; k++) m->last[k] = -1;
    return TITAN_OK;
}

static int bucket(int32_t len) {
    return len < ADAPT_MATCH_LENS - 1 ? len : ADAPT_MATCH_LENS - 1;
}

double adapt_match_prob(const adapt_match *m, const int32_t *seq, int32_t y) {
    if (m->ptr < 0) return 1.0 / m->vocab;
    int b = bucket(m->len);
    double q = (m->hits[b] + 0.5) / (m->tries[b] + 1.0);
    return seq[m->ptr] == y ? q : (1 - q) / (m->vocab - 1);
}

int32_t adapt_match_len(const adapt_match *m) { return m->ptr < 0 ? 0 : m->len; }

/* Hash of the ADAPT_MATCH_MIN tokens ending at position e. */
static uint64_t tail_hash(const int32_t *seq, int64_t e) {
    uint64_t h = 0;
    for (int k = 0; k < ADAPT_MATCH_MIN; k++)
        h = (h ^ (uint32_t)seq[e - k]) * UINT64_C(0x9e3779b97f4a7c15) + (uint64_t)k;
    return h ^ (h >> 29);
}

/* How many tokens before candidate position p equal those before e + 1. */
static int32_t match_length(const int32_t *seq, int64_t p, int64_t e) {
    int32_t n = 0;
    while (n < MAX_LEN && p - 1 - n >= 0 && seq[p - 1 - n] == seq[e - n]) n++;
    return n;
}

void adapt_match_learn(adapt_match *m, const int32_t *seq, int64_t i) {
    int64_t e = i + 1; /* the newest known position */
    if (m->ptr >= 0) {
        int b = bucket(m->len);
        bool hit = seq[m->ptr] == seq[e];
        m->tries[b]++;
        m->hits[b] += hit;
        if (hit) {
            m->ptr++;
            if (m->len < MAX_LEN) m->len++;
        } else
            m->ptr = -1;
    }
    if (e + 1 < ADAPT_MATCH_MIN) return;
    uint64_t slot = tail_hash(seq, e) & m->mask;
    if (m->ptr < 0 && m->last[slot] >= 0) {
        int32_t n = match_length(seq, m->last[slot], e);
        if (n >= ADAPT_MATCH_MIN) {
            m->ptr = m->last[slot];
            m->len = n;
        }
    }
    m->last[slot] = e + 1;
}
