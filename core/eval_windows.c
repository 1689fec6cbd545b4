/* eval_windows.c: the sliding-window schedule of SPEC section 3. Window k
 * starts at k * stride and feeds up to ctx tokens; the first scores every
 * target it predicts, each later one only its last `stride` (the targets past
 * the previous window's end); the last is the first that reaches seq[N]. */
#include "titan.h"

static titan_status check_schedule(int64_t n_targets, int32_t ctx, int32_t stride) {
    if (n_targets < 0 || ctx < 1 || stride < 1 || stride > ctx)
        return titan_fail(TITAN_E_USAGE,
                          "eval: need 1 <= stride <= ctx and targets >= 0 "
                          "(ctx %d, stride %d, targets %lld)",
                          ctx, stride, (long long)n_targets);
    return TITAN_OK;
}

titan_status titan_eval_window_count(int64_t n_targets, int32_t ctx, int32_t stride,
                                     int64_t *count) {
    TITAN_TRY(check_schedule(n_targets, ctx, stride));
    if (!count) return titan_fail(TITAN_E_USAGE, "eval: NULL count");
    if (n_targets == 0)
        *count = 0;
    else if (n_targets <= ctx)
        *count = 1;
    else
        *count = 1 + (n_targets - ctx + stride - 1) / stride;
    return TITAN_OK;
}

titan_status titan_eval_window_get(int64_t n_targets, int32_t ctx, int32_t stride,
                                   int64_t index, titan_eval_window *w) {
    int64_t count;
    TITAN_TRY(titan_eval_window_count(n_targets, ctx, stride, &count));
    if (!w || index < 0 || index >= count)
        return titan_fail(TITAN_E_USAGE, "eval: window %lld of %lld", (long long)index,
                          (long long)count);
    w->start = index * stride;
    int64_t left = n_targets - w->start; /* > ctx - stride for index > 0 */
    w->len = left < ctx ? (int32_t)left : ctx;
    /* Window index-1 was full (it did not reach seq[N]) and scored up to
     * seq[start - stride + ctx], i.e. this window's outputs below ctx - stride. */
    w->first = index == 0 ? 0 : ctx - stride;
    return TITAN_OK;
}
