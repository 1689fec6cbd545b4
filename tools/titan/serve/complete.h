/* complete.h: one completion in a slot, a token at a time (so a stream can
 * send each as it comes): BOS + the prompt, then sampled tokens, as `titan
 * run` decodes them (no context shift: a full context ends it, "length").
 * The text stays valid UTF-8; a stop string ends it there ("stop", as a
 * generated BOS does), and the bytes that might begin one are held back
 * until they cannot. A xenith model (SPEC section 9) feeds a stream instead,
 * as `titan run` does. */
#ifndef TITAN_SERVE_COMPLETE_H
#define TITAN_SERVE_COMPLETE_H

#include "tools/titan/serve/request.h"
#include "tools/titan/serve/slots.h"
#include "tools/titan/utf8_stream.h"

typedef struct {
    serve_slot *slot;
    const serve_params *p;
    const titan_artifact *art;
    int ctx;
    titan_generator *g;
    titan_sampler smp;
    utf8_stream u;
    uint32_t tok_state;
    size_t text_len; /* bytes of slot->text */
    size_t sent;     /* bytes handed out by complete_ready */
    int64_t prompt_tokens, tokens;
    const char *finish; /* NULL while going on: "length" or "stop" */
    double t_start, t_first, t_end;
} serve_completion;

/* Tokenize and prefill. Returns 0, or an HTTP status with a message in err
 * (400 for a prompt the context cannot hold, 500 for a runtime failure). */
int complete_start(serve_completion *c, serve_slot *slot, const titan_artifact *art,
                   int ctx, const serve_params *p, char *err, size_t err_cap);

/* Decide one more token (c->finish set when done). 0 or 500 with err. */
int complete_step(serve_completion *c, char *err, size_t err_cap);

/* End it now if it is still going on ("length"). */
void complete_cut(serve_completion *c);

/* Text not yet handed out that no stop string can take back: *text, and
 * its length (marked as sent). */
size_t complete_ready(serve_completion *c, const uint8_t **text);

/* Decode tokens per second (0 before any). */
double complete_rate(const serve_completion *c);

#endif
