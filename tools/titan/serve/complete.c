/* complete.c: see complete.h. */
#include "tools/titan/serve/complete.h"

#include "tools/cli/cli.h"

#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t cap, int status, const char *what) {
    snprintf(err, cap, "%s: %s", what, titan_last_error());
    return status;
}

/* BOS + the prompt's ids into slot->ids (the encoder's scratch is the
 * slot's work arena, released after). */
static titan_status tokenize(serve_completion *c, size_t *n) {
    serve_slot *s = c->slot;
    titan_arena_reset(&s->work, 0);
    s->ids[0] = c->art->config.bos_id;
    titan_status st = titan_tokenizer_encode(c->art->tokenizer, &s->work, c->p->prompt,
                                             c->p->prompt_len, s->ids + 1, s->ids_max, n);
    titan_arena_reset(&s->work, 0);
    *n += 1;
    return st;
}

/* A xenith model (SPEC section 9): a new stream fed the prompt; the first
 * token's logits wait in the slot (as titan run's generate_xenith). */
static int start_xenith(serve_completion *c, size_t n, char *err, size_t err_cap) {
    serve_slot *s = c->slot;
    titan_xenith_reset(s->rt.x);
    if (titan_xenith_prefill(s->rt.x, s->ids, (int64_t)n, s->logits))
        return fail(err, err_cap, 500, "prefill failed");
    c->t_first = cli_now();
    return 0;
}

int complete_start(serve_completion *c, serve_slot *slot, const titan_artifact *art,
                   int ctx, const serve_params *p, char *err, size_t err_cap) {
    *c = (serve_completion){.slot = slot, .p = p, .art = art, .ctx = ctx};
    c->t_start = cli_now();
    size_t n;
    if (tokenize(c, &n)) return fail(err, err_cap, 400, "cannot tokenize the prompt");
    if ((int64_t)n >= ctx) {
        snprintf(err, err_cap,
                 "the prompt is %zu tokens with BOS; the context holds %d (room is "
                 "needed to generate)",
                 n, ctx);
        return 400;
    }
    c->prompt_tokens = (int64_t)n;
    titan_sampler_init(&c->smp, p->temperature, (int)p->top_k, p->top_p,
                       (uint64_t)p->seed);
    if (slot->rt.x) return start_xenith(c, n, err, err_cap);
    titan_seq_reset(slot->rt.s);
    if (titan_generator_start(&slot->work, slot->rt.m, slot->rt.s, &c->smp, 0, slot->ids,
                              (int)n, &c->g))
        return fail(err, err_cap, 500, "prefill failed");
    c->t_first = cli_now();
    return 0;
}

static bool at(const serve_completion *c, size_t pos, const char *s, size_t n) {
    return pos + n <= c->text_len && !memcmp(c->slot->text + pos, s, n);
}

/* A stop string among the text from `from` on: cut the text there. */
static void find_stop(serve_completion *c, size_t from) {
    for (int i = 0; i < c->p->n_stop; i++) {
        size_t n = c->p->stop_len[i];
        size_t lo = from >= n ? from - n + 1 : 0;
        for (size_t pos = lo; pos + n <= c->text_len; pos++) {
            if (!at(c, pos, c->p->stop[i], n)) continue;
            c->text_len = pos;
            c->finish = "stop";
            return;
        }
    }
}

static void put(serve_completion *c, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t out[UTF8_STREAM_OUT];
        size_t k = utf8_stream_byte(&c->u, b[i], out);
        memcpy(c->slot->text + c->text_len, out, k);
        c->text_len += k;
    }
}

static void finish(serve_completion *c, const char *why) {
    uint8_t out[UTF8_STREAM_OUT];
    size_t k = utf8_stream_flush(&c->u, out), from = c->text_len;
    memcpy(c->slot->text + c->text_len, out, k);
    c->text_len += k;
    find_stop(c, from);
    if (!c->finish) c->finish = why;
    c->t_end = cli_now();
}

/* Feed the last token (after the first), then sample the next one. */
static titan_status xenith_next(serve_completion *c, int32_t *next) {
    serve_slot *s = c->slot;
    int V = c->art->config.vocab_size;
    if (c->tokens > 0)
        TITAN_TRY(titan_xenith_step(s->rt.x, s->out[c->tokens - 1], s->logits));
    titan_sampler_probs(&c->smp, s->logits, V, s->top);
    *next = titan_sampler_draw(&c->smp, s->logits, V);
    return TITAN_OK;
}

/* Tokens in the context or stream so far. */
static int64_t position(const serve_completion *c) {
    if (c->slot->rt.x) return c->prompt_tokens + c->tokens;
    return titan_seq_pos(c->slot->rt.s);
}

int complete_step(serve_completion *c, char *err, size_t err_cap) {
    if (c->finish) return 0;
    if (c->tokens >= c->p->max_tokens || c->tokens >= c->slot->gen_max ||
        position(c) >= c->ctx) {
        finish(c, "length");
        return 0;
    }
    int32_t step[TITAN_MAX_MTP];
    int k;
    titan_status st =
        c->slot->rt.x ? xenith_next(c, step) : titan_generator_step(c->g, step, &k);
    if (st) return fail(err, err_cap, 500, "decode failed");
    if (step[0] == c->art->config.bos_id) { /* the model began a new document */
        finish(c, "stop");
        return 0;
    }
    c->slot->out[c->tokens++] = step[0];
    uint8_t buf[TITAN_TOK_CHUNK_MAX];
    const uint8_t *b;
    size_t n = titan_tokenizer_piece(c->art->tokenizer, &c->tok_state, step[0], buf, &b);
    size_t from = c->text_len;
    put(c, b, n);
    find_stop(c, from);
    if (c->finish) c->t_end = cli_now();
    return 0;
}

void complete_cut(serve_completion *c) {
    if (!c->finish) finish(c, "length");
}

/* Bytes at the text's end that begin some stop string (held back). */
static size_t held(const serve_completion *c) {
    size_t most = 0;
    for (int i = 0; i < c->p->n_stop; i++)
        for (size_t n = c->p->stop_len[i] - 1; n > most; n--)
            if (n <= c->text_len && at(c, c->text_len - n, c->p->stop[i], n)) {
                most = n;
                break;
            }
    return most;
}

size_t complete_ready(serve_completion *c, const uint8_t **text) {
    size_t end = c->finish ? c->text_len : c->text_len - held(c);
    *text = c->slot->text + c->sent;
    size_t n = end > c->sent ? end - c->sent : 0;
    c->sent += n;
    return n;
}

double complete_rate(const serve_completion *c) {
    double t = (c->finish ? c->t_end : cli_now()) - c->t_first;
    return t > 0 && c->tokens ? (double)c->tokens / t : 0;
}
