/* runtime.c: plan, allocate and build the model runtime (see runtime.h). */
#include "tools/titan/runtime.h"

#include "platform/threads.h"
#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"

#include <string.h>
#include <unistd.h>

/* Room for an artifact's config, tokenizer and directory while planning
 * (as artifact_open.c); pages never touched cost nothing. */
#define PLAN_SCRATCH ((size_t)64 << 20)

void runtime_stack(size_t *total, size_t bytes) {
    size_t aligned = (*total + TITAN_ALIGN - 1) & ~(size_t)(TITAN_ALIGN - 1);
    *total = aligned < *total || bytes > SIZE_MAX - aligned ? SIZE_MAX : aligned + bytes;
}

int runtime_cpus(int cap) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > cap ? cap : (int)n;
}

/* A xenith model: only commands that run one, on cpu or ref, with ctx the
 * stream length (an unbounded window's cache) and a chunk of tokens a
 * forward call. */
static titan_status resolve_xenith(const titan_config *c, runtime_opts *o) {
    if (!o->xenith)
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "family xenith (SPEC section 9): titan logits, run and eval "
                          "run it; this command does not yet");
    if (!strcmp(o->backend, "tpu"))
        return titan_fail(TITAN_E_USAGE,
                          "family xenith runs on the cpu and ref backends");
    if (o->ctx <= 0) o->ctx = c->max_seq_len;
    o->batch = o->ctx < TITAN_XENITH_CHUNK ? o->ctx : TITAN_XENITH_CHUNK;
    return TITAN_OK;
}

titan_status runtime_resolve(const titan_config *c, runtime_opts *o) {
    if (!o->backend) o->backend = "cpu";
    TITAN_TRY(backend_check(o->backend));
    if (TITAN_XENITH(c)) {
        if (o->threads <= 0) o->threads = runtime_cpus(TITAN_POOL_MAX_THREADS);
        if (o->threads > TITAN_POOL_MAX_THREADS) o->threads = TITAN_POOL_MAX_THREADS;
        return resolve_xenith(c, o);
    }
    if (o->threads <= 0) o->threads = runtime_cpus(TITAN_POOL_MAX_THREADS);
    if (o->threads > TITAN_POOL_MAX_THREADS) o->threads = TITAN_POOL_MAX_THREADS;
    if (o->ctx <= 0 || o->ctx > c->max_seq_len) o->ctx = c->max_seq_len;
    if (o->batch <= 0) o->batch = o->ctx < 256 ? o->ctx : 256;
    if (o->batch > o->ctx) o->batch = o->ctx;
    return TITAN_OK;
}

titan_status runtime_plan_config(const titan_config *c, const runtime_opts *o,
                                 size_t *bytes) {
    size_t model, be, total = 0;
    backend_choice b = runtime_backend(o);
    if (TITAN_XENITH(c))
        TITAN_TRY(titan_xenith_plan(c, o->ctx, &model));
    else
        TITAN_TRY(titan_model_plan(c, o->ctx, o->batch, &model));
    TITAN_TRY(backend_plan(&b, c, o->batch, &be));
    runtime_stack(&total, be);
    runtime_stack(&total, model);
    runtime_stack(&total, o->extra);
    *bytes = total;
    return TITAN_OK;
}

titan_status runtime_plan(const char *path, runtime_opts *o, titan_config *c,
                          runtime_sizes *z) {
    titan_arena scratch;
    TITAN_TRY(cli_arena_create(&scratch, PLAN_SCRATCH));
    titan_status st =
        titan_artifact_plan_runtime(&scratch, path, c, &z->load_high, &z->load_kept);
    cli_arena_destroy(&scratch);
    TITAN_TRY(cli_kind_explain(st, path, CLI_KIND_ARTIFACT));
    TITAN_TRY(runtime_resolve(c, o));
    TITAN_TRY(runtime_plan_config(c, o, &z->runtime));
    /* The runtime is carved from the load's top; its transient blocks above
     * that are free again by then. */
    size_t top = z->load_kept;
    runtime_stack(&top, z->runtime);
    if (top == SIZE_MAX) return titan_fail(TITAN_E_NOMEM, "plan overflows");
    z->total = top > z->load_high ? top : z->load_high;
    return TITAN_OK;
}

titan_status runtime_build(titan_arena *a, const titan_artifact *art,
                           const runtime_opts *o, runtime_slot *out) {
    const titan_config *c = &art->config;
    backend_choice b = runtime_backend(o);
    *out = (runtime_slot){0};
    TITAN_TRY(backend_create(a, &b, c, o->batch, &out->be));
    if (TITAN_XENITH(c))
        return titan_xenith_create(a, c, art->tensors, art->n_tensors, o->ctx, out->be,
                                   &out->x);
    TITAN_TRY(titan_model_create(a, c, art->tensors, art->n_tensors, o->ctx, o->batch,
                                 out->be, &out->m));
    return titan_seq_create(a, out->m, &out->s);
}

static titan_status build(runtime *rt, const runtime_opts *o) {
    runtime_slot sl;
    titan_status st = runtime_build(&rt->arena, &rt->art, o, &sl);
    rt->be = sl.be, rt->m = sl.m, rt->s = sl.s, rt->x = sl.x;
    return st;
}

titan_status runtime_open(const char *path, runtime_opts *o, runtime *rt) {
    memset(rt, 0, sizeof *rt);
    titan_config c;
    runtime_sizes z;
    size_t total, load;
    TITAN_TRY(runtime_plan(path, o, &c, &z));
    total = z.total;
    TITAN_TRY(artifact_plan_bytes(path, &load));
    TITAN_TRY(artifact_open(path, total > load ? total - load : 0, &rt->arena, &rt->art));
    rt->planned = total;
    rt->ctx = o->ctx;
    rt->batch = o->batch;
    titan_status st = build(rt, o);
    if (st != TITAN_OK) runtime_close(rt);
    return st;
}

size_t runtime_max_ids(const char *path, size_t text_max) {
    titan_arena a;
    titan_artifact art;
    size_t n = text_max;
    if (cli_arena_create(&a, PLAN_SCRATCH) != TITAN_OK) return n;
    if (titan_artifact_load_meta(&a, path, &art) == TITAN_OK)
        n = titan_tokenizer_max_ids(art.tokenizer, text_max);
    cli_arena_destroy(&a);
    return n;
}

backend_choice runtime_backend(const runtime_opts *o) {
    return (backend_choice){o->backend, o->threads, o->tpu, o->act_quant};
}

void runtime_close(runtime *rt) {
    titan_backend_destroy(rt->be);
    rt->be = NULL;
    cli_arena_destroy(&rt->arena);
}
