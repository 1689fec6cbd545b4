/* eval_tilt.c: the hints of `titan eval --tilt` (eval_tilt.h). */
#include "tools/titan/eval_tilt.h"

size_t eval_tilt_plan(int64_t n_targets) {
    return (size_t)n_targets * sizeof(int32_t) + TITAN_ALIGN;
}

titan_status eval_tilt_make(titan_arena *a, const titan_ngram *g, const int32_t *seq,
                            int64_t n_targets, eval_tilt_hints *out) {
    *out = (eval_tilt_hints){0};
    TITAN_TRY(titan_arena_alloc(a, (size_t)n_targets * sizeof(int32_t), TITAN_ALIGN,
                                (void **)&out->hint));
    titan_ngram_hints(g, seq, n_targets, out->hint);
    for (int64_t k = 0; k < n_targets; k++) {
        out->hinted += out->hint[k] >= 0;
        out->hits += out->hint[k] == seq[k + 1];
    }
    return TITAN_OK;
}
