/* slots.c: see slots.h. The arena's layout after the artifact's kept load:
 * per slot runtime_plan_config bytes (backend, model, sequence, its request
 * blocks), then the scorer's; the total is what serve_pool_open planned. */
#include "tools/titan/serve/slots.h"

#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"
#include "tools/titan/token_bytes.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

enum { SCORE_BATCH = 4 }; /* windows per scorer call, as titan eval */

/* Bytes of a xenith slot's logits [V] and sampler work [V]. */
static size_t xenith_vectors(const titan_config *c) {
    return TITAN_XENITH(c) ? (size_t)c->vocab_size * sizeof(float) : 0;
}

/* A slot's request blocks beyond backend, model and sequence. */
static size_t slot_extra(const serve_pool *p, const titan_config *c, size_t *work) {
    size_t enc = titan_tokenizer_encode_plan(), gen = titan_generator_plan(c), x = 0;
    *work = enc > gen ? enc : gen;
    runtime_stack(&x, (p->ids_max + 1) * sizeof(int32_t));
    runtime_stack(&x, ((size_t)p->gen_max + TITAN_MAX_MTP) * sizeof(int32_t));
    runtime_stack(&x, p->text_cap);
    runtime_stack(&x, *work);
    if (TITAN_XENITH(c)) {
        runtime_stack(&x, xenith_vectors(c));
        runtime_stack(&x, xenith_vectors(c));
    }
    return x;
}

/* titan eval's defaults: ctx min(max_seq_len, 1024), stride 64, batch
 * min(ctx, 256); a xenith model, as titan eval's: the whole text one window
 * (ids tokens, at most CLI_CTX_MAX); one worker. */
titan_eval_options serve_score_options(const titan_config *c, int64_t ids) {
    if (TITAN_XENITH(c)) {
        int ctx = ids < 1 ? 1 : ids < CLI_CTX_MAX ? (int)ids : (int)CLI_CTX_MAX;
        return (titan_eval_options){.ctx = ctx, .stride = ctx, .batch = 1, .threads = 1};
    }
    int ctx = c->max_seq_len < 1024 ? c->max_seq_len : 1024;
    return (titan_eval_options){
        .ctx = ctx, .stride = ctx < 64 ? ctx : 64, .batch = SCORE_BATCH, .threads = 1};
}

/* Rows per forward call: a xenith chunk, else min(ctx, 256). */
static int score_batch(const titan_config *c, int ctx) {
    if (TITAN_XENITH(c)) return TITAN_XENITH_CHUNK;
    return ctx < 256 ? ctx : 256;
}

static titan_status scorer_plan(const serve_pool *p, const titan_config *c,
                                size_t *bytes) {
    titan_eval_options o = serve_score_options(c, (int64_t)p->ids_max);
    if (TITAN_XENITH(c)) return titan_eval_xenith_plan(c, o.ctx, 1, bytes);
    return titan_eval_model_plan(c, o.ctx, score_batch(c, o.ctx), 1, bytes);
}

/* The scorer's bytes: backend, model, byte table, seq, then work: the
 * encoder's scratch or titan_eval_run's, whichever is larger. */
static titan_status score_bytes(const serve_pool *p, const titan_config *c, size_t *total,
                                size_t *work) {
    titan_eval_options o = serve_score_options(c, (int64_t)p->ids_max);
    backend_choice b = runtime_backend(&p->o);
    size_t be, model, run = titan_eval_plan((int64_t)p->ids_max, &o);
    size_t enc = titan_tokenizer_encode_plan();
    TITAN_TRY(backend_plan(&b, c, score_batch(c, o.ctx), &be));
    TITAN_TRY(scorer_plan(p, c, &model));
    if (run == SIZE_MAX) return titan_fail(TITAN_E_NOMEM, "score plan overflows");
    *work = enc > run ? enc : run;
    *total = 0;
    runtime_stack(total, be);
    runtime_stack(total, model + sizeof(titan_backend *) + TITAN_ALIGN);
    runtime_stack(total, (size_t)TITAN_TOK_MAX * 4);
    runtime_stack(total, (p->ids_max + 1) * sizeof(int32_t));
    runtime_stack(total, *work);
    return TITAN_OK;
}

static titan_status carve(titan_arena *a, size_t bytes, void **out) {
    return titan_arena_alloc(a, bytes, TITAN_ALIGN, out);
}

static titan_status work_arena(titan_arena *a, size_t bytes, titan_arena *w) {
    void *block;
    TITAN_TRY(carve(a, bytes, &block));
    titan_arena_init(w, block, bytes);
    return TITAN_OK;
}

static titan_status build_slot(serve_pool *p, serve_slot *s, size_t work) {
    TITAN_TRY(runtime_build(&p->arena, &p->art, &p->o, &s->rt));
    s->ids_max = p->ids_max;
    s->gen_max = p->gen_max;
    TITAN_TRY(carve(&p->arena, (p->ids_max + 1) * sizeof(int32_t), (void **)&s->ids));
    TITAN_TRY(carve(&p->arena, ((size_t)p->gen_max + TITAN_MAX_MTP) * sizeof(int32_t),
                    (void **)&s->out));
    TITAN_TRY(carve(&p->arena, p->text_cap, (void **)&s->text));
    TITAN_TRY(work_arena(&p->arena, work, &s->work));
    if (!s->rt.x) return TITAN_OK;
    size_t v = xenith_vectors(&p->art.config);
    TITAN_TRY(carve(&p->arena, v, (void **)&s->logits));
    return carve(&p->arena, v, (void **)&s->top);
}

static titan_status scorer_model(serve_pool *p, int ctx, int batch) {
    const titan_config *c = &p->art.config;
    serve_scorer *sc = &p->score;
    const titan_tensor *t = p->art.tensors;
    if (TITAN_XENITH(c)) {
        titan_eval_xenith *ex;
        TITAN_TRY(titan_eval_xenith_create(&p->arena, c, t, p->art.n_tensors, ctx, 1,
                                           &sc->be, &ex));
        sc->model = ex, sc->fn = titan_eval_xenith_score;
        return TITAN_OK;
    }
    titan_eval_model *em;
    TITAN_TRY(titan_eval_model_create(&p->arena, c, t, p->art.n_tensors, ctx, batch, 1,
                                      &sc->be, &em));
    sc->model = em, sc->fn = titan_eval_model_score;
    return TITAN_OK;
}

static titan_status build_scorer(serve_pool *p, size_t work) {
    const titan_config *c = &p->art.config;
    serve_scorer *sc = &p->score;
    titan_eval_options o = serve_score_options(c, (int64_t)p->ids_max);
    int batch = score_batch(c, o.ctx);
    backend_choice b = runtime_backend(&p->o);
    TITAN_TRY(backend_create(&p->arena, &b, c, batch, &sc->be));
    TITAN_TRY(scorer_model(p, o.ctx, batch));
    TITAN_TRY(token_byte_table(&p->arena, p->art.tokenizer, &sc->bytes));
    TITAN_TRY(carve(&p->arena, (p->ids_max + 1) * sizeof(int32_t), (void **)&sc->seq));
    return work_arena(&p->arena, work, &sc->work);
}

/* A xenith stream holds the longest prompt with BOS and max_gen generated
 * tokens (its caches are bounded: SPEC section 9). */
static titan_status xenith_ctx(serve_pool *p, const titan_config *c, int max_gen) {
    double need = (double)p->ids_max + 1 + max_gen;
    p->o.ctx = need < CLI_CTX_MAX ? (int)need : (int)CLI_CTX_MAX;
    p->gen_max = max_gen;
    return runtime_resolve(c, &p->o);
}

/* Total bytes: the load's, then K slots and the scorer after its kept part. */
static titan_status plan(serve_pool *p, const serve_pool_opts *po, size_t *total,
                         size_t *slot_work, size_t *score_work) {
    titan_config c;
    runtime_sizes z;
    TITAN_TRY(runtime_plan(po->model, &p->o, &c, &z));
    p->ids_max = runtime_max_ids(po->model, po->max_body);
    p->gen_max = po->max_gen < p->o.ctx ? po->max_gen : p->o.ctx;
    if (TITAN_XENITH(&c)) TITAN_TRY(xenith_ctx(p, &c, po->max_gen));
    /* each token at most TITAN_TOK_CHUNK_MAX bytes, each byte at most U+FFFD's 3 */
    p->text_cap = (size_t)p->gen_max * TITAN_TOK_CHUNK_MAX * 3;
    p->o.extra = slot_extra(p, &c, slot_work);
    size_t one, score, top = z.load_kept;
    TITAN_TRY(runtime_plan_config(&c, &p->o, &one));
    TITAN_TRY(score_bytes(p, &c, &score, score_work));
    for (int i = 0; i < po->parallel; i++) runtime_stack(&top, one);
    runtime_stack(&top, score);
    if (top == SIZE_MAX) return titan_fail(TITAN_E_NOMEM, "plan overflows");
    *total = top > z.load_high ? top : z.load_high;
    return TITAN_OK;
}

titan_status serve_pool_open(const serve_pool_opts *po, serve_pool *p) {
    memset(p, 0, sizeof *p);
    p->o = (runtime_opts){.backend = po->backend, .threads = po->threads, .xenith = true};
    p->wait_s = po->wait_s;
    size_t total, load, slot_work, score_work;
    TITAN_TRY(plan(p, po, &total, &slot_work, &score_work));
    TITAN_TRY(artifact_plan_bytes(po->model, &load));
    TITAN_TRY(
        artifact_open(po->model, total > load ? total - load : 0, &p->arena, &p->art));
    p->planned = total;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    titan_status st = TITAN_OK;
    for (int i = 0; i < po->parallel && st == TITAN_OK; i++, p->n++)
        st = build_slot(p, &p->slot[i], slot_work);
    if (st == TITAN_OK) st = build_scorer(p, score_work);
    if (st != TITAN_OK) serve_pool_close(p);
    return st;
}

void serve_pool_close(serve_pool *p) {
    for (int i = 0; i < p->n; i++) titan_backend_destroy(p->slot[i].rt.be);
    titan_backend_destroy(p->score.be);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    cli_arena_destroy(&p->arena);
    p->n = 0;
}

/* Wait on the pool's condition until `free_one` finds something or the
 * deadline passes; called with mu held. */
static bool wait_until(serve_pool *p, const struct timespec *deadline) {
    return pthread_cond_timedwait(&p->cv, &p->mu, deadline) != ETIMEDOUT;
}

static struct timespec deadline_of(double wait_s) {
    struct timespec d;
    clock_gettime(CLOCK_REALTIME, &d);
    double whole = floor(wait_s);
    d.tv_sec += (time_t)whole;
    d.tv_nsec += (long)((wait_s - whole) * 1e9);
    if (d.tv_nsec >= 1000000000L) d.tv_sec++, d.tv_nsec -= 1000000000L;
    return d;
}

static serve_slot *free_slot(serve_pool *p) {
    for (int i = 0; i < p->n; i++)
        if (!p->slot[i].busy) return &p->slot[i];
    return NULL;
}

serve_slot *serve_slot_take(serve_pool *p) {
    struct timespec d = deadline_of(p->wait_s);
    pthread_mutex_lock(&p->mu);
    serve_slot *s = free_slot(p);
    while (!s && wait_until(p, &d)) s = free_slot(p);
    if (!s) s = free_slot(p);
    if (s) s->busy = true;
    pthread_mutex_unlock(&p->mu);
    return s;
}

void serve_slot_give(serve_pool *p, serve_slot *s) {
    pthread_mutex_lock(&p->mu);
    s->busy = false;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

bool serve_scorer_take(serve_pool *p) {
    struct timespec d = deadline_of(p->wait_s);
    pthread_mutex_lock(&p->mu);
    while (p->score.busy && wait_until(p, &d)) {}
    bool got = !p->score.busy;
    if (got) p->score.busy = true;
    pthread_mutex_unlock(&p->mu);
    return got;
}

void serve_scorer_give(serve_pool *p) {
    pthread_mutex_lock(&p->mu);
    p->score.busy = false;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

bool serve_scorer_idle(serve_pool *p) {
    pthread_mutex_lock(&p->mu);
    bool idle = !p->score.busy;
    pthread_mutex_unlock(&p->mu);
    return idle;
}

int serve_slots_idle(serve_pool *p) {
    pthread_mutex_lock(&p->mu);
    int n = 0;
    for (int i = 0; i < p->n; i++) n += !p->slot[i].busy;
    pthread_mutex_unlock(&p->mu);
    return n;
}
