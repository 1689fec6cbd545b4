/* eval_adapt.c: the adaptive pass of `titan eval --adapt` (eval_adapt.h). */
#include "tools/titan/eval_adapt.h"

#include "tools/cli/cli.h"

#include <math.h>

enum { ADAPT_ORDER = 6 }; /* longest n-gram context titan eval uses */

static titan_adapt_options options(int32_t vocab, int64_t n_targets) {
    return (titan_adapt_options){
        .vocab = vocab, .order = ADAPT_ORDER, .n_targets = n_targets};
}

size_t eval_adapt_plan(int32_t vocab, int64_t n_targets) {
    titan_adapt_options o = options(vocab, n_targets);
    size_t adapt = titan_adapt_plan(&o);
    if (adapt == SIZE_MAX || (uint64_t)n_targets > SIZE_MAX / 16) return SIZE_MAX;
    return adapt + (size_t)n_targets * sizeof(double) + TITAN_ALIGN;
}

titan_status eval_adapt_run(titan_arena *a, int32_t vocab, const int32_t *seq,
                            int64_t n_targets, const double *target_nll, uint64_t bytes,
                            eval_adapt_result *r) {
    double t0 = cli_now();
    titan_adapt_options o = options(vocab, n_targets);
    titan_adapt *ad;
    size_t mark = titan_arena_mark(a);
    titan_status st = titan_adapt_create(a, &o, &ad);
    *r = (eval_adapt_result){0};
    for (int64_t i = 0; !st && i < n_targets; i++) {
        double nll;
        st = titan_adapt_step(ad, seq, i, target_nll[i], &nll);
        r->nll += nll;
    }
    titan_arena_reset(a, mark);
    r->val_loss = r->nll / (double)n_targets;
    r->val_bpb = bytes ? r->nll / (M_LN2 * (double)bytes) : 0;
    r->seconds = cli_now() - t0;
    return st;
}
