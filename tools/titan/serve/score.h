/* score.h: /v1/score: val_bpb of a posted text, the numbers `titan eval
 * --text FILE --baselines` prints for the same bytes (its default ctx and
 * stride), with the xz and Brotli baselines beside it. */
#ifndef TITAN_SERVE_SCORE_H
#define TITAN_SERVE_SCORE_H

#include "tools/titan/baselines.h"
#include "tools/titan/serve/slots.h"

typedef struct {
    titan_eval_result r;
    uint64_t bytes;
    int64_t targets, windows;
    int ctx, stride;
    double seconds;
    baseline_result base;
} serve_score;

#define SERVE_SCORE_STOPPED 499 /* nginx's "client closed request" */

/* Score text[0..len) with the pool's scorer (the caller holds it), stopping
 * before the next batch of windows once stop(user) is true (the client went
 * away: then SERVE_SCORE_STOPPED). Returns 0, or an HTTP status with a
 * message in err. */
int serve_score_text(serve_pool *p, const uint8_t *text, size_t len,
                     bool (*stop)(void *user), void *user, serve_score *out, char *err,
                     size_t err_cap);

#endif
