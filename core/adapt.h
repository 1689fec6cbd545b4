/* adapt.h: the parts of score-first adaptive evaluation (titan.h,
 * titan_adapt_*): two models of the evaluated stream's own past tokens, each
 * a normalized distribution over the vocabulary of which only the target's
 * probability is asked, and the online mixer in adapt_mix.c. Position i means
 * the history is seq[0..i] and the target seq[i + 1]. */
#ifndef TITAN_CORE_ADAPT_H
#define TITAN_CORE_ADAPT_H

#include "titan.h"

/* core/adapt_ngram.c: Witten-Bell back-off over orders 0..order, from the
 * uniform distribution up: p_k(y) = (c_k(y) + u_k p_{k-1}(y)) / (n_k + u_k),
 * with c_k(y) the count of y after the last k tokens, n_k their total and
 * u_k the number of distinct tokens seen there (an unseen context passes
 * p_{k-1} on). Counts live in one open-addressing table; when it is 3/4 full
 * new entries are no longer made, an order's update is then skipped whole,
 * so the counts of every context always add up and p stays normalized. */
typedef struct {
    struct adapt_slot *slot;
    uint64_t mask, used, limit;
    int32_t vocab, order;
} adapt_ngram;

size_t adapt_ngram_bytes(int32_t order, int64_t n_targets);
titan_status adapt_ngram_init(titan_arena *a, int32_t vocab, int32_t order,
                              int64_t n_targets, adapt_ngram *g);
/* p_k(y) at position i into p[0..order] (an unseen context's p_k is p_{k-1});
 * returns the highest order whose context has been seen (-1: none). */
int adapt_ngram_probs(const adapt_ngram *g, const int32_t *seq, int64_t i, int32_t y,
                      double *p);
/* Count seq[i + 1] after its contexts. */
void adapt_ngram_learn(adapt_ngram *g, const int32_t *seq, int64_t i);

/* core/adapt_match.c: the token that followed the most recent earlier
 * occurrence of the last ADAPT_MATCH_MIN tokens, followed for as long as it
 * keeps predicting right; p(pred) = q, every other token (1 - q) / (V - 1),
 * q the hit rate so far at this match length (uniform when there is no
 * match). */
#define ADAPT_MATCH_MIN  5
#define ADAPT_MATCH_LENS 16 /* match-length buckets for q */
typedef struct {
    int64_t *last; /* hash of ADAPT_MATCH_MIN tokens -> position after them */
    uint64_t mask;
    int64_t ptr; /* position of the predicted token, -1: no match */
    int32_t len, vocab;
    uint32_t hits[ADAPT_MATCH_LENS], tries[ADAPT_MATCH_LENS];
} adapt_match;

size_t adapt_match_bytes(int64_t n_targets);
titan_status adapt_match_init(titan_arena *a, int32_t vocab, int64_t n_targets,
                              adapt_match *m);
/* p(y) at position i (call adapt_match_learn for i - 1 first). */
double adapt_match_prob(const adapt_match *m, const int32_t *seq, int32_t y);
/* The current match length (0: none). */
int32_t adapt_match_len(const adapt_match *m);
/* After seq[i + 1] is known: update q and the match for position i + 1. */
void adapt_match_learn(adapt_match *m, const int32_t *seq, int64_t i);

#endif
