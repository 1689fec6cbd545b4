/* eval_adapt.h: `titan eval --adapt`: after the model has scored every
 * target, the score-first adaptive pass over their NLLs in stream order
 * (titan_adapt_*, titan.h), giving the adaptive val_bpb beside the plain one. */
#ifndef TITAN_TOOLS_EVAL_ADAPT_H
#define TITAN_TOOLS_EVAL_ADAPT_H

#include "titan.h"

typedef struct {
    double nll, val_loss, val_bpb; /* as titan_eval_result's */
    double seconds;
} eval_adapt_result;

/* Arena bytes of eval_adapt_run plus the [n_targets] NLL array it reads
 * (titan_eval_options.target_nll); SIZE_MAX if too large. */
size_t eval_adapt_plan(int32_t vocab, int64_t n_targets);

/* The adaptive pass over seq[0..n_targets] given each target's model NLL;
 * bytes as counted for the plain val_bpb. */
TITAN_NODISCARD titan_status eval_adapt_run(titan_arena *a, int32_t vocab,
                                            const int32_t *seq, int64_t n_targets,
                                            const double *target_nll, uint64_t bytes,
                                            eval_adapt_result *r);

#endif
