/* request.h: a titan serve request body (untrusted JSON) as parameters:
 * the OpenAI completion and chat fields that apply, or /v1/score's text.
 * Parsed by the strict parser (formats/json.h) into an arena; a bad body
 * gives an HTTP status and a message naming the field. */
#ifndef TITAN_SERVE_REQUEST_H
#define TITAN_SERVE_REQUEST_H

#include "titan.h"

#include <stdbool.h>

#define SERVE_STOPS_MAX  4
#define SERVE_STOP_BYTES 64
#define SERVE_MAX_TOKENS (1 << 20)

typedef enum { REQ_COMPLETION, REQ_CHAT, REQ_SCORE } serve_kind;

typedef struct {
    serve_kind kind;
    const uint8_t
        *prompt; /* the prompt, the chat rendered as text, or the text to score */
    size_t prompt_len;
    int64_t max_tokens;
    double temperature, top_p;
    int64_t top_k, seed;
    const char *stop[SERVE_STOPS_MAX];
    size_t stop_len[SERVE_STOPS_MAX];
    int n_stop;
    bool stream;
} serve_params;

/* Parse body[0..len) for kind into *p (strings live in a). Returns 0, or the
 * HTTP status (400, 413) with a message in err. */
int serve_request_parse(titan_arena *a, serve_kind kind, const char *body, size_t len,
                        serve_params *p, char *err, size_t err_cap);

/* Arena bytes serve_request_parse may need for a body of len bytes. */
size_t serve_request_plan(size_t len);

#endif
