/* reply.c: see reply.h. Each body is measured first (json_writer with no
 * buffer), then written. */
#include "tools/titan/serve/reply.h"

#include "formats/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*fill_fn)(json_writer *w, const void *user);

static char *build(fill_fn fill, const void *user, size_t *len) {
    json_writer w;
    json_writer_init(&w, NULL, 0);
    fill(&w, user);
    size_t n;
    if (json_writer_finish(&w, &n)) return NULL;
    char *buf = malloc(n + 1);
    if (!buf) return NULL;
    json_writer_init(&w, buf, n + 1);
    fill(&w, user);
    if (json_writer_finish(&w, len)) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void kv_str(json_writer *w, const char *k, const char *v) {
    json_key(w, k);
    json_string(w, v, strlen(v));
}

static void kv_int(json_writer *w, const char *k, int64_t v) {
    json_key(w, k);
    json_int(w, v);
}

static void kv_double(json_writer *w, const char *k, double v) {
    json_key(w, k);
    json_double(w, v);
}

typedef struct {
    int status;
    const char *message;
} error_body;

static const char *error_type(int status) {
    return status == 503   ? "overloaded_error"
           : status >= 500 ? "server_error"
           : status == 404 ? "not_found_error"
                           : "invalid_request_error";
}

static void fill_error(json_writer *w, const void *user) {
    const error_body *e = user;
    json_begin_object(w);
    json_key(w, "error");
    json_begin_object(w);
    kv_str(w, "message", e->message);
    kv_str(w, "type", error_type(e->status));
    kv_int(w, "code", e->status);
    json_end_object(w);
    json_end_object(w);
}

char *reply_error(int status, const char *message, size_t *len) {
    error_body e = {status, message};
    return build(fill_error, &e, len);
}

typedef struct {
    const reply_meta *m;
    const serve_completion *c;
    const uint8_t *text;
    size_t n;
    bool last;
} completion_body;

static bool is_chat(const serve_completion *c) { return c->p->kind == REQ_CHAT; }

static void head(json_writer *w, const reply_meta *m, const char *object) {
    char id[40];
    snprintf(id, sizeof id, "cmpl-%llu", (unsigned long long)m->id);
    kv_str(w, "id", id);
    kv_str(w, "object", object);
    kv_int(w, "created", m->created);
    kv_str(w, "model", m->model);
}

static void usage(json_writer *w, const serve_completion *c) {
    json_key(w, "usage");
    json_begin_object(w);
    kv_int(w, "prompt_tokens", c->prompt_tokens);
    kv_int(w, "completion_tokens", c->tokens);
    kv_int(w, "total_tokens", c->prompt_tokens + c->tokens);
    json_end_object(w);
    json_key(w, "timings");
    json_begin_object(w);
    kv_double(w, "prefill_seconds", c->t_first - c->t_start);
    kv_double(w, "decode_seconds", (c->finish ? c->t_end : c->t_first) - c->t_first);
    kv_double(w, "tokens_per_s", complete_rate(c));
    json_end_object(w);
}

/* The choice: text (completions) or message/delta (chat). */
static void choice(json_writer *w, const completion_body *b, bool stream) {
    json_begin_object(w);
    kv_int(w, "index", 0);
    if (is_chat(b->c)) {
        json_key(w, stream ? "delta" : "message");
        json_begin_object(w);
        if (!stream) kv_str(w, "role", "assistant");
        json_key(w, "content");
        json_string(w, (const char *)b->text, b->n);
        json_end_object(w);
    } else {
        json_key(w, "text");
        json_string(w, (const char *)b->text, b->n);
        json_key(w, "logprobs");
        json_null(w);
    }
    json_key(w, "finish_reason");
    if (b->last)
        json_string(w, b->c->finish, strlen(b->c->finish));
    else
        json_null(w);
    json_end_object(w);
}

static void fill_completion(json_writer *w, const void *user, bool stream) {
    const completion_body *b = user;
    json_begin_object(w);
    head(w, b->m,
         is_chat(b->c) ? (stream ? "chat.completion.chunk" : "chat.completion")
                       : "text_completion");
    json_key(w, "choices");
    json_begin_array(w);
    choice(w, b, stream);
    json_end_array(w);
    if (b->last) usage(w, b->c);
    json_end_object(w);
}

static void fill_whole(json_writer *w, const void *user) {
    fill_completion(w, user, false);
}
static void fill_chunk(json_writer *w, const void *user) {
    fill_completion(w, user, true);
}

char *reply_completion(const reply_meta *m, const serve_completion *c, size_t *len) {
    completion_body b = {m, c, c->slot->text, c->text_len, true};
    return build(fill_whole, &b, len);
}

size_t reply_chunk(const reply_meta *m, const serve_completion *c, const uint8_t *text,
                   size_t n, bool last, char *buf, size_t cap) {
    static const char pre[] = "data: ", post[] = "\n\n";
    completion_body b = {m, c, text, n, last};
    json_writer w;
    if (cap < sizeof pre + sizeof post) return 0;
    json_writer_init(&w, buf + 6, cap - 6 - 2);
    fill_chunk(&w, &b);
    size_t len;
    if (json_writer_finish(&w, &len)) return 0;
    memcpy(buf, pre, 6);
    memcpy(buf + 6 + len, post, 2);
    return 6 + len + 2;
}

typedef struct {
    const reply_meta *m;
    const serve_pool *p;
} models_body;

static void fill_models(json_writer *w, const void *user) {
    const models_body *b = user;
    const titan_config *c = &b->p->art.config;
    json_begin_object(w);
    kv_str(w, "object", "list");
    json_key(w, "data");
    json_begin_array(w);
    json_begin_object(w);
    kv_str(w, "id", b->m->model);
    kv_str(w, "object", "model");
    kv_int(w, "created", b->m->created);
    kv_str(w, "owned_by", "titan");
    kv_int(w, "context_length", b->p->o.ctx);
    kv_int(w, "vocab_size", c->vocab_size);
    kv_int(w, "parallel", b->p->n);
    kv_int(w, "arena_bytes", (int64_t)b->p->planned);
    json_end_object(w);
    json_end_array(w);
    json_end_object(w);
}

char *reply_models(const reply_meta *m, const serve_pool *p, size_t *len) {
    models_body b = {m, p};
    return build(fill_models, &b, len);
}

typedef struct {
    const serve_pool *p;
    int idle;
    bool scorer_idle;
} health_body;

static void fill_health(json_writer *w, const void *user) {
    const health_body *b = user;
    json_begin_object(w);
    kv_str(w, "status", "ok");
    kv_int(w, "slots", b->p->n);
    kv_int(w, "slots_idle", b->idle);
    json_key(w, "scorer_idle");
    json_bool(w, b->scorer_idle);
    json_end_object(w);
}

char *reply_health(const serve_pool *p, int idle, bool scorer_idle, size_t *len) {
    health_body b = {p, idle, scorer_idle};
    return build(fill_health, &b, len);
}

/* Bits per byte are undefined (null) when the text stands for no bytes, as
 * titan eval --json writes them. */
static void kv_bpb(json_writer *w, const char *k, double v, uint64_t bytes) {
    json_key(w, k);
    if (bytes)
        json_double(w, v);
    else
        json_null(w);
}

static void fill_score(json_writer *w, const void *user) {
    const serve_score *s = user;
    json_begin_object(w);
    kv_bpb(w, "val_bpb", s->r.val_bpb, s->bytes);
    kv_double(w, "val_loss", s->r.val_loss);
    kv_double(w, "nll", s->r.nll);
    kv_int(w, "tokens", s->targets);
    kv_int(w, "bytes", (int64_t)s->bytes);
    kv_int(w, "ctx", s->ctx);
    kv_int(w, "stride", s->stride);
    kv_int(w, "windows", s->windows);
    kv_double(w, "seconds", s->seconds);
    for (int k = 0; k < BASELINE_COUNT; k++) {
        char key[32];
        snprintf(key, sizeof key, "%s_bpb", baseline_names[k]);
        kv_bpb(w, key, s->base.bpb[k], s->bytes);
    }
    json_end_object(w);
}

char *reply_score(const serve_score *s, size_t *len) { return build(fill_score, s, len); }
