/* request.c: see request.h. Unknown fields are ignored (OpenAI clients send
 * many); known ones must have their type and a sane range. */
#include "tools/titan/serve/request.h"

#include "formats/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Defaults: titan run's sampling; max_tokens as OpenAI's completions. */
static const serve_params defaults = {
    .max_tokens = 16, .temperature = 0.8, .top_p = 0.95, .top_k = 40, .seed = -1};

size_t serve_request_plan(size_t len) {
    /* A value takes one json_value per two bytes at most, plus the strings
     * and the rendered chat (at most twice the body). */
    return (len / 2 + 2) * (sizeof(json_value) + 16) + 3 * len + 4096;
}

static int bad(char *err, size_t cap, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return status;
}

/* A number member in [lo, hi] (integral when whole); absent leaves *out. */
static int number(const json_value *o, const char *key, double lo, double hi, bool whole,
                  double *out, char *err, size_t cap) {
    const json_value *v = json_get(o, key);
    if (!v || (v->type == JSON_NULL)) return 0;
    if (v->type != JSON_NUMBER || !isfinite(v->number) || v->number < lo ||
        v->number > hi || (whole && v->number != floor(v->number)))
        return bad(err, cap, 400, "'%s' must be a%s number in [%g, %g]", key,
                   whole ? "n integer" : "", lo, hi);
    *out = v->number;
    return 0;
}

static int integer(const json_value *o, const char *key, double lo, double hi,
                   int64_t *out, char *err, size_t cap) {
    double d = (double)*out;
    int rc = number(o, key, lo, hi, true, &d, err, cap);
    *out = (int64_t)d;
    return rc;
}

static int one_stop(serve_params *p, const json_value *v, char *err, size_t cap) {
    if (v->type != JSON_STRING || v->len < 1 || v->len > SERVE_STOP_BYTES)
        return bad(err, cap, 400, "'stop' holds strings of 1 to %d bytes",
                   SERVE_STOP_BYTES);
    if (p->n_stop == SERVE_STOPS_MAX)
        return bad(err, cap, 400, "'stop' holds at most %d strings", SERVE_STOPS_MAX);
    p->stop[p->n_stop] = v->str;
    p->stop_len[p->n_stop++] = v->len;
    return 0;
}

static int stops(const json_value *o, serve_params *p, char *err, size_t cap) {
    const json_value *v = json_get(o, "stop");
    if (!v || v->type == JSON_NULL) return 0;
    if (v->type != JSON_ARRAY) return one_stop(p, v, err, cap);
    int rc = 0;
    for (const json_value *e = v->child; e && !rc; e = e->next)
        rc = one_stop(p, e, err, cap);
    return rc;
}

static int sampling(const json_value *o, serve_params *p, char *err, size_t cap) {
    int rc = integer(o, "max_tokens", 1, SERVE_MAX_TOKENS, &p->max_tokens, err, cap);
    if (!rc) rc = number(o, "temperature", 0, 100, false, &p->temperature, err, cap);
    if (!rc) rc = number(o, "top_p", 0, 1, false, &p->top_p, err, cap);
    if (!rc) rc = integer(o, "top_k", 0, TITAN_TOK_MAX, &p->top_k, err, cap);
    if (!rc) rc = integer(o, "seed", 0, 9007199254740991.0, &p->seed, err, cap);
    int64_t n = 1;
    if (!rc) rc = integer(o, "n", 1, 1, &n, err, cap);
    if (!rc) rc = stops(o, p, err, cap);
    const json_value *s = json_get(o, "stream");
    if (!rc && s && s->type != JSON_NULL && s->type != JSON_TRUE && s->type != JSON_FALSE)
        rc = bad(err, cap, 400, "'stream' must be true or false");
    p->stream = s && s->type == JSON_TRUE;
    return rc;
}

/* "prompt": a string, or an array of one string. */
static int prompt(const json_value *o, const char *key, serve_params *p, char *err,
                  size_t cap) {
    const json_value *v = json_get(o, key);
    if (v && v->type == JSON_ARRAY && v->len == 1) v = v->child;
    if (!v || v->type != JSON_STRING)
        return bad(err, cap, 400, "'%s' must be a string", key);
    p->prompt = (const uint8_t *)v->str;
    p->prompt_len = v->len;
    return 0;
}

static bool append(uint8_t *buf, size_t cap, size_t *len, const char *s, size_t n) {
    if (n > cap - *len) return false;
    memcpy(buf + *len, s, n);
    *len += n;
    return true;
}

/* The chat as text for a base model: "role: content" a line each, then
 * "assistant:" for the model to go on. */
static int chat(titan_arena *a, const json_value *o, serve_params *p, char *err,
                size_t cap, size_t body_len) {
    const json_value *m = json_get(o, "messages");
    if (!m || m->type != JSON_ARRAY || !m->len)
        return bad(err, cap, 400, "'messages' must be a non-empty array");
    size_t room = 2 * body_len + 64, len = 0;
    uint8_t *buf;
    if (titan_arena_alloc(a, room, 1, (void **)&buf))
        return bad(err, cap, 413, "the request is too large");
    for (const json_value *e = m->child; e; e = e->next) {
        const json_value *role = e->type == JSON_OBJECT ? json_get(e, "role") : NULL;
        const json_value *text = e->type == JSON_OBJECT ? json_get(e, "content") : NULL;
        if (!role || role->type != JSON_STRING || !text || text->type != JSON_STRING)
            return bad(err, cap, 400,
                       "each message must be an object with string 'role' and 'content'");
        if (!append(buf, room, &len, role->str, role->len) ||
            !append(buf, room, &len, ": ", 2) ||
            !append(buf, room, &len, text->str, text->len) ||
            !append(buf, room, &len, "\n", 1))
            return bad(err, cap, 413, "the request is too large");
    }
    if (!append(buf, room, &len, "assistant:", 10))
        return bad(err, cap, 413, "the request is too large");
    p->prompt = buf;
    p->prompt_len = len;
    return 0;
}

int serve_request_parse(titan_arena *a, serve_kind kind, const char *body, size_t len,
                        serve_params *p, char *err, size_t err_cap) {
    *p = defaults;
    p->kind = kind;
    const json_value *root;
    json_limits lim = {.max_depth = 16};
    titan_status st = json_parse(a, body, len, &lim, &root);
    if (st == TITAN_E_NOMEM) return bad(err, err_cap, 413, "the request is too large");
    if (st) return bad(err, err_cap, 400, "malformed JSON: %s", titan_last_error());
    if (root->type != JSON_OBJECT)
        return bad(err, err_cap, 400, "the body must be a JSON object");
    if (kind == REQ_SCORE) return prompt(root, "text", p, err, err_cap);
    int rc = kind == REQ_CHAT ? chat(a, root, p, err, err_cap, len)
                              : prompt(root, "prompt", p, err, err_cap);
    return rc ? rc : sampling(root, p, err, err_cap);
}
