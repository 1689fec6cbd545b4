/* session.c: the high-level helper of titan.h: an artifact, a backend, a
 * model and one sequence in the caller's block, and generation from a text
 * prompt. Nothing is allocated: the plan measures exactly what open carves,
 * in the same order:
 *   [artifact load] [session] [backend] [model + sequence] | per generate:
 *   [prompt ids: ctx] [encoder scratch, released | generator]  */
#include "titan.h"

#include <stdint.h>
#include <string.h>

struct titan_session {
    titan_arena arena;
    titan_artifact art;
    titan_backend *be;
    titan_model *m;
    titan_seq *s;
    int ctx, batch, speculative;
    size_t mark; /* the top after opening: each generate starts here */
};

/* ctx, batch and threads from the options and the config. */
static titan_status resolve(const titan_config *c, const titan_session_options *o,
                            int *ctx, int *batch, int *threads) {
    *ctx = o && o->ctx > 0 ? o->ctx : c->max_seq_len;
    if (*ctx > c->max_seq_len)
        return titan_fail(TITAN_E_USAGE, "session: ctx %d above max_seq_len %d", *ctx,
                          c->max_seq_len);
    *batch = *ctx < 256 ? *ctx : 256;
    if (*batch < c->mtp_heads) *batch = *ctx;
    *threads = o && o->threads > 0 ? o->threads : 1;
    return TITAN_OK;
}

/* Everything after the artifact, carved from a (measuring or real). */
static titan_status carve_runtime(titan_arena *a, const titan_config *c, int ctx,
                                  int batch, int threads, titan_session **out,
                                  size_t *model_bytes) {
    titan_session *s;
    TITAN_TRY(titan_arena_calloc(a, sizeof *s, TITAN_ALIGN, (void **)&s));
    titan_backend *be;
    TITAN_TRY(titan_backend_cpu_create(a, threads, &be));
    if (s) s->be = be;
    TITAN_TRY(titan_model_plan(c, ctx, batch, model_bytes));
    *out = s;
    return TITAN_OK;
}

/* Per generate: prompt ids, then the encoder's scratch or the generator. */
static size_t generate_bytes(const titan_config *c, int ctx) {
    size_t enc = titan_tokenizer_encode_plan(), gen = titan_generator_plan(c);
    return (size_t)ctx * sizeof(int32_t) + TITAN_ALIGN + (enc > gen ? enc : gen) +
           TITAN_ALIGN;
}

titan_status titan_session_plan(titan_arena *scratch, const char *path,
                                const titan_session_options *o, size_t *bytes) {
    if (!scratch || !path || !bytes)
        return titan_fail(TITAN_E_USAGE, "session: NULL argument");
    titan_config c;
    size_t high, kept, model;
    TITAN_TRY(titan_artifact_plan_runtime(scratch, path, &c, &high, &kept));
    int ctx, batch, threads;
    TITAN_TRY(resolve(&c, o, &ctx, &batch, &threads));
    titan_arena meas;
    titan_arena_init(&meas, NULL, 0);
    meas.used = meas.high = kept; /* the same offsets as after a real load */
    titan_session *s;
    TITAN_TRY(carve_runtime(&meas, &c, ctx, batch, threads, &s, &model));
    void *block;
    TITAN_TRY(titan_arena_alloc(&meas, model, TITAN_ALIGN, &block));
    TITAN_TRY(titan_arena_alloc(&meas, generate_bytes(&c, ctx), TITAN_ALIGN, &block));
    size_t total = meas.high > high ? meas.high : high;
    *bytes = total + TITAN_ALIGN; /* the block's start is aligned up to it */
    return TITAN_OK;
}

titan_status titan_session_open(void *block, size_t bytes, const char *path,
                                const titan_session_options *o, titan_session **out) {
    if (!block || !path || !out)
        return titan_fail(TITAN_E_USAGE, "session: NULL argument");
    size_t pad = (size_t)(-(uintptr_t)block & (TITAN_ALIGN - 1));
    if (bytes < pad) return titan_fail(TITAN_E_NOMEM, "session: block too small");
    titan_arena a;
    titan_arena_init(&a, (uint8_t *)block + pad, bytes - pad);
    titan_artifact art;
    TITAN_TRY(titan_artifact_load(&a, path, &art));
    int ctx, batch, threads;
    TITAN_TRY(resolve(&art.config, o, &ctx, &batch, &threads));
    titan_session *s;
    size_t model;
    TITAN_TRY(carve_runtime(&a, &art.config, ctx, batch, threads, &s, &model));
    titan_status st = titan_model_create(&a, &art.config, art.tensors, art.n_tensors, ctx,
                                         batch, s->be, &s->m);
    if (st == TITAN_OK) st = titan_seq_create(&a, s->m, &s->s);
    if (st != TITAN_OK) {
        titan_backend_destroy(s->be);
        return st;
    }
    s->art = art;
    s->ctx = ctx;
    s->batch = batch;
    s->speculative = o ? o->speculative : 0;
    s->mark = titan_arena_mark(&a);
    s->arena = a;
    *out = s;
    return TITAN_OK;
}

const titan_artifact *titan_session_artifact(const titan_session *s) { return &s->art; }

/* BOS + the prompt's tokens into ids[0..ctx); *n: how many. */
static titan_status encode_prompt(titan_session *s, const uint8_t *prompt, size_t len,
                                  int32_t *ids, size_t *n) {
    size_t mark = titan_arena_mark(&s->arena), got = 0;
    ids[0] = s->art.config.bos_id;
    titan_status st = titan_tokenizer_encode(s->art.tokenizer, &s->arena, prompt, len,
                                             ids + 1, (size_t)s->ctx - 1, &got);
    titan_arena_reset(&s->arena, mark);
    if (st == TITAN_E_USAGE && got >= (size_t)s->ctx - 1)
        return titan_fail(TITAN_E_USAGE,
                          "session: a prompt of %zu tokens leaves no room in a "
                          "context of %d",
                          got, s->ctx);
    *n = got + 1;
    return st;
}

titan_status titan_session_generate(titan_session *s, const uint8_t *prompt, size_t len,
                                    int max_tokens, titan_sampler *sampler,
                                    titan_text_fn on_text, void *user, int *generated) {
    if (!s || (!prompt && len) || !sampler || !on_text || max_tokens < 0)
        return titan_fail(TITAN_E_USAGE, "session: bad generate arguments");
    if (generated) *generated = 0;
    titan_arena_reset(&s->arena, s->mark);
    int32_t *ids;
    size_t n = 0;
    TITAN_TRY(titan_arena_alloc(&s->arena, (size_t)s->ctx * sizeof *ids, TITAN_ALIGN,
                                (void **)&ids));
    TITAN_TRY(encode_prompt(s, prompt ? prompt : (const uint8_t *)"", len, ids, &n));
    if (n >= (size_t)s->ctx)
        return titan_fail(TITAN_E_USAGE, "session: the prompt fills the context");
    titan_generator *g;
    TITAN_TRY(titan_generator_start(&s->arena, s->m, s->s, sampler, s->speculative, ids,
                                    (int)n, &g));
    int have = 0, M = s->art.config.mtp_heads;
    uint32_t state = 0; /* the prompt ends on whole bytes */
    bool stop = false;
    while (!stop && have < max_tokens && titan_seq_pos(s->s) < s->ctx) {
        int32_t step[TITAN_MAX_MTP];
        int k;
        TITAN_TRY(titan_generator_step(g, step, &k));
        for (int i = 0; i < k && i < M && have < max_tokens && !stop; i++) {
            const uint8_t *bytes;
            if (step[i] == s->art.config.bos_id) { /* a new document: the end */
                stop = true;
                break;
            }
            uint8_t buf[TITAN_TOK_CHUNK_MAX];
            size_t nb =
                titan_tokenizer_piece(s->art.tokenizer, &state, step[i], buf, &bytes);
            have++;
            if (nb && on_text(user, bytes, nb)) stop = true;
        }
    }
    if (generated) *generated = have;
    return TITAN_OK;
}

void titan_session_close(titan_session *s) {
    if (s) titan_backend_destroy(s->be);
}
