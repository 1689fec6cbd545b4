/* eval_tilt.h: `titan eval --tilt BETA`: the hints of the artifact's n-gram
 * table for every target of the stream (titan_ngram_hints), made before
 * scoring from the tokens before each target only, and how many there are.
 * The tilt itself is applied where the model's distribution is at hand
 * (titan_eval_run with titan_eval_options.hint). */
#ifndef TITAN_TOOLS_EVAL_TILT_H
#define TITAN_TOOLS_EVAL_TILT_H

#include "titan.h"

typedef struct {
    int32_t *hint;        /* [n_targets] */
    int64_t hinted, hits; /* targets with a hint, and whose hint was the target */
} eval_tilt_hints;

/* Arena bytes of eval_tilt_make. */
size_t eval_tilt_plan(int64_t n_targets);

TITAN_NODISCARD titan_status eval_tilt_make(titan_arena *a, const titan_ngram *g,
                                            const int32_t *seq, int64_t n_targets,
                                            eval_tilt_hints *out);

#endif
