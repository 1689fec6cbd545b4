/* runtime.h: what the model commands (run, logits, plan; eval) share: one
 * process arena, sized exactly before it is made, holding the artifact, the
 * backend, the model with one sequence and the command's own blocks. */
#ifndef TITAN_TOOLS_RUNTIME_H
#define TITAN_TOOLS_RUNTIME_H

#include "core/xenith.h"
#include "tools/titan/backend_select.h"

#include <stdbool.h>

typedef struct {
    const char *backend;         /* "cpu" (default), "ref" or "tpu" */
    int threads;                 /* cpu backend threads, 0 = online CPUs */
    const titan_tpu_config *tpu; /* tpu: the array; NULL = defaults */
    titan_act_quant act_quant;   /* cpu: --act-quant */
    int ctx;                     /* 0 = max_seq_len; clamped to it */
    int batch;                   /* tokens per forward call, 0 = min(ctx, 256) */
    size_t extra;                /* the command's blocks, summed with runtime_stack */
    bool xenith; /* the command runs xenith models (SPEC section 9): ctx is not
                    bounded by max_seq_len, batch is 1, cpu or ref */
} runtime_opts;

typedef struct {
    titan_arena arena;
    titan_artifact art;
    titan_backend *be;
    titan_model *m;
    titan_seq *s;
    titan_xenith *x; /* a xenith model instead of m and s */
    int ctx, batch;  /* as resolved */
    size_t planned;  /* exact bytes of the arena */
} runtime;

/* *total += the padding to TITAN_ALIGN plus `bytes` (saturates at SIZE_MAX):
 * the cost of one more block carved after *total bytes. */
void runtime_stack(size_t *total, size_t bytes);

/* Online CPUs, in [1, cap]. */
int runtime_cpus(int cap);

/* Fill o's defaults for config c; TITAN_E_USAGE for a bad backend/threads. */
TITAN_NODISCARD titan_status runtime_resolve(const titan_config *c, runtime_opts *o);

/* Bytes of backend + model + sequence + o->extra (o resolved). */
TITAN_NODISCARD titan_status runtime_plan_config(const titan_config *c,
                                                 const runtime_opts *o, size_t *bytes);

typedef struct {
    size_t load_high; /* artifact load high-water mark */
    size_t load_kept; /* arena top after the load */
    size_t runtime;   /* runtime_plan_config */
    size_t total;     /* the exact arena: max(high, kept aligned + runtime) */
} runtime_sizes;

/* Read the artifact's config, resolve o, and give the exact arena bytes. */
TITAN_NODISCARD titan_status runtime_plan(const char *path, runtime_opts *o,
                                          titan_config *c, runtime_sizes *z);

/* Plan, make the arena, load the artifact, create backend, model, sequence.
 * The caller then carves its o->extra blocks from rt->arena. */
TITAN_NODISCARD titan_status runtime_open(const char *path, runtime_opts *o, runtime *rt);

/* What runtime_build makes: a backend with a model and one sequence (or a
 * xenith stream). */
typedef struct {
    titan_backend *be;
    titan_model *m;
    titan_seq *s;
    titan_xenith *x;
} runtime_slot;

/* Carve from a (o resolved, runtime_plan_config bytes minus o->extra) the
 * backend, model and sequence over art's tensors; titan serve makes one per
 * concurrent sequence. On failure out->be may need destroying. */
TITAN_NODISCARD titan_status runtime_build(titan_arena *a, const titan_artifact *art,
                                           const runtime_opts *o, runtime_slot *out);

/* Most ids text_max bytes can give with path's tokenizer (a SentencePiece
 * model's normalization may lengthen a text); a bad artifact fails later. */
size_t runtime_max_ids(const char *path, size_t text_max);

/* o's backend as a backend_choice. */
backend_choice runtime_backend(const runtime_opts *o);

/* Stop backend threads and free the arena. */
void runtime_close(runtime *rt);

#endif
