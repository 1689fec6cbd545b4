/* reply.h: titan serve's JSON bodies, OpenAI's shapes where they apply:
 * completions and chat completions (whole, or as server-sent-event chunks),
 * the model list, health, score and errors. Each is written into a buffer
 * malloc'd here (tool side; the HTTP library frees it with the response). */
#ifndef TITAN_SERVE_REPLY_H
#define TITAN_SERVE_REPLY_H

#include "tools/titan/serve/complete.h"
#include "tools/titan/serve/score.h"

#include <stdbool.h>

typedef struct {
    const char *model; /* the artifact's file name */
    uint64_t id;       /* request number */
    long created;      /* unix seconds */
} reply_meta;

/* Each returns a malloc'd NUL-terminated body (length in *len), or NULL. */
char *reply_error(int status, const char *message, size_t *len);
char *reply_completion(const reply_meta *m, const serve_completion *c, size_t *len);
char *reply_models(const reply_meta *m, const serve_pool *p, size_t *len);
char *reply_health(const serve_pool *p, int idle, bool scorer_idle, size_t *len);
char *reply_score(const serve_score *s, size_t *len);

/* One streamed chunk as an SSE event ("data: {...}\n\n") into buf[0..cap):
 * text[0..n) so far, or with c->finish the last one (finish_reason and
 * usage). Returns its length, 0 if it does not fit. */
size_t reply_chunk(const reply_meta *m, const serve_completion *c, const uint8_t *text,
                   size_t n, bool last, char *buf, size_t cap);

#endif
