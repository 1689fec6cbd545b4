/* slots.h: titan serve's memory, planned at start-up: one process arena
 * holds the artifact once, K generation slots (a backend, a model, one
 * sequence and the blocks of one request each) and one score slot (the
 * `titan eval --text` scorer for texts up to the body limit). A xenith model
 * (SPEC section 9) has a stream in each slot instead, made for the longest
 * prompt plus the most tokens a request generates. A request takes a free slot, waiting
 * at most wait_s seconds; nothing is allocated later. */
#ifndef TITAN_SERVE_SLOTS_H
#define TITAN_SERVE_SLOTS_H

#include "tools/titan/runtime.h"

#include <pthread.h>
#include <stdbool.h>

#define SERVE_SLOTS_MAX 64

typedef struct {
    runtime_slot rt;
    int32_t *ids; /* [ids_max + 1]: BOS + the prompt */
    size_t ids_max;
    int gen_max;      /* most tokens a request generates (serve_pool_opts) */
    int32_t *out;     /* [gen_max + TITAN_MAX_MTP]: generated ids */
    float *logits;    /* xenith: [V], the next token's */
    int32_t *top;     /* xenith: [V], the sampler's work */
    uint8_t *text;    /* [text_cap]: generated text, valid UTF-8 */
    titan_arena work; /* the encoder's or the generator's scratch */
    bool busy;
} serve_slot;

typedef struct {
    titan_backend *be;
    void *model; /* a titan_eval_model, or a titan_eval_xenith */
    titan_eval_scorer fn;
    titan_byte_table bytes;
    int32_t *seq;     /* [ids_max + 1] */
    titan_arena work; /* the encoder's scratch, then titan_eval_run's */
    bool busy;
} serve_scorer;

typedef struct {
    titan_arena arena;
    titan_artifact art;
    runtime_opts o;
    int n;
    serve_slot slot[SERVE_SLOTS_MAX];
    serve_scorer score;
    size_t ids_max, text_cap, planned;
    int gen_max;
    double wait_s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} serve_pool;

typedef struct {
    const char *model, *backend;
    int threads, parallel;
    size_t max_body; /* the longest prompt or scored text, in bytes */
    int max_gen;     /* most tokens a request generates: at most the context of a
                        titan model; what a xenith stream is made for beyond the
                        prompt */
    double wait_s;
} serve_pool_opts;

/* The scorer's windows for a text of at most `ids` tokens: titan eval's
 * defaults (ctx min(max_seq_len, 1024), stride 64, 4 windows a call; a
 * xenith model: one window of ids tokens, a new stream), one worker. */
titan_eval_options serve_score_options(const titan_config *c, int64_t ids);

/* Plan, make the arena, load the artifact, build every slot. */
TITAN_NODISCARD titan_status serve_pool_open(const serve_pool_opts *po, serve_pool *p);
void serve_pool_close(serve_pool *p);

/* A free generation slot, or NULL after waiting wait_s seconds. */
serve_slot *serve_slot_take(serve_pool *p);
void serve_slot_give(serve_pool *p, serve_slot *s);
/* The scorer, or false after waiting wait_s seconds. */
bool serve_scorer_take(serve_pool *p);
void serve_scorer_give(serve_pool *p);
/* Slots not busy, and whether the scorer is free (for /health). */
int serve_slots_idle(serve_pool *p);
bool serve_scorer_idle(serve_pool *p);

#endif
