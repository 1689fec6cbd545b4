/* adapt_mix.c: score-first adaptive evaluation (titan.h, titan_adapt_*):
 * target i's probability is w_model p_model + w_ngram p_ngram + w_match
 * p_match. The weights are a softmax of parameters learned online by
 * gradient descent on -ln p; which set of parameters applies depends on the
 * match length and the longest n-gram context seen before, so the mixer
 * learns where the stream's own statistics beat the model. */
#include "core/adapt.h"

#include <math.h>

enum { MAX_ORDER = 8, COMPONENTS = MAX_ORDER + 3, MATCH_SETS = 5, NGRAM_SETS = 6 };
#define LEARNING_RATE 0.05
#define MODEL_PRIOR   3.0 /* the model's starting parameter (the others 0): weight 0.9 */

struct titan_adapt {
    adapt_ngram ngram;
    adapt_match match;
    double theta[MATCH_SETS * NGRAM_SETS][COMPONENTS];
};

static titan_status check(const titan_adapt_options *o) {
    if (!o || o->vocab < 2 || o->order < 0 || o->order > MAX_ORDER || o->n_targets < 0)
        return titan_fail(TITAN_E_USAGE, "adapt: need vocab >= 2, order 0..%d",
                          MAX_ORDER);
    return TITAN_OK;
}

size_t titan_adapt_plan(const titan_adapt_options *o) {
    if (check(o) != TITAN_OK) return SIZE_MAX;
    return sizeof(titan_adapt) + TITAN_ALIGN + adapt_ngram_bytes(o->order, o->n_targets) +
           adapt_match_bytes(o->n_targets);
}

titan_status titan_adapt_create(titan_arena *a, const titan_adapt_options *o,
                                titan_adapt **out) {
    TITAN_TRY(check(o));
    titan_adapt *ad;
    TITAN_TRY(titan_arena_alloc(a, sizeof *ad, TITAN_ALIGN, (void **)&ad));
    titan_adapt local, *d = ad ? ad : &local; /* measuring arenas give NULL */
    TITAN_TRY(adapt_ngram_init(a, o->vocab, o->order, o->n_targets, &d->ngram));
    TITAN_TRY(adapt_match_init(a, o->vocab, o->n_targets, &d->match));
    for (int s = 0; s < MATCH_SETS * NGRAM_SETS; s++)
        for (int j = 0; j < COMPONENTS; j++) d->theta[s][j] = j == 0 ? MODEL_PRIOR : 0;
    *out = ad;
    return TITAN_OK;
}

static int weight_set(int32_t match_len, int ngram_top) {
    int m = match_len == 0   ? 0
            : match_len < 8  ? 1
            : match_len < 16 ? 2
            : match_len < 32 ? 3
                             : 4;
    int g = ngram_top + 1 < NGRAM_SETS ? ngram_top + 1 : NGRAM_SETS - 1;
    return m * NGRAM_SETS + g;
}

titan_status titan_adapt_step(titan_adapt *ad, const int32_t *seq, int64_t i,
                              double nll_model, double *nll) {
    int32_t y = seq[i + 1];
    if (y < 0 || y >= ad->ngram.vocab || !(nll_model >= 0))
        return titan_fail(TITAN_E_DATA, "adapt: target %d or model NLL %g out of range",
                          y, nll_model);
    int n = ad->ngram.order + 3; /* model, n-gram orders 0..order, match */
    double p[COMPONENTS];
    p[0] = exp(-nll_model);
    int top = adapt_ngram_probs(&ad->ngram, seq, i, y, p + 1);
    p[n - 1] = adapt_match_prob(&ad->match, seq, y);
    double *theta = ad->theta[weight_set(adapt_match_len(&ad->match), top)];
    double w[COMPONENTS], max = theta[0], sum = 0, mix = 0;
    for (int j = 1; j < n; j++) max = theta[j] > max ? theta[j] : max;
    for (int j = 0; j < n; j++) sum += w[j] = exp(theta[j] - max);
    for (int j = 0; j < n; j++) mix += (w[j] /= sum) * p[j];
    for (int j = 0; j < n; j++) theta[j] += LEARNING_RATE * w[j] * (p[j] / mix - 1);
    adapt_ngram_learn(&ad->ngram, seq, i);
    adapt_match_learn(&ad->match, seq, i);
    *nll = -log(mix);
    return TITAN_OK;
}
