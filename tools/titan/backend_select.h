/* backend_select.h: the --backend choice of run, logits and eval: "cpu" (SIMD
 * kernels and a thread pool; one calling thread per backend), "ref" (plain C)
 * or "tpu" (the systolic-array emulator; shareable across threads). Sized
 * exactly with a measuring arena, then carved from the command's arena. */
#ifndef TITAN_TOOLS_BACKEND_SELECT_H
#define TITAN_TOOLS_BACKEND_SELECT_H

#include "platform/backend.h"
#include "titan.h"

typedef struct {
    const char *name;            /* "cpu", "ref" or "tpu" */
    int threads;                 /* cpu: threads of this backend, >= 1 */
    const titan_tpu_config *tpu; /* tpu: the array; NULL = defaults */
    titan_act_quant act_quant;   /* cpu: --act-quant (exact unless q8) */
} backend_choice;

/* --act-quant NAME (NULL: exact) for --backend BACKEND (NULL: cpu): "exact",
 * or "q8" on cpu; TITAN_E_USAGE otherwise. */
TITAN_NODISCARD titan_status backend_act_quant(const char *name, const char *backend,
                                               titan_act_quant *out);

/* The --act-quant help line, the same in every command that takes it. */
#define BACKEND_ACT_QUANT_HELP                                                           \
    "exact (default) or q8: int8/int6-byte weights times activations quantized "         \
    "per 32 values, integer dot products (cpu backend; other tensors stay exact)"

/* TITAN_E_USAGE unless name is cpu, ref or tpu. */
TITAN_NODISCARD titan_status backend_check(const char *name);

/* Exact arena bytes of backend_create (from a TITAN_ALIGN-aligned top) for a
 * model with config c and forward calls of up to `batch` tokens. */
TITAN_NODISCARD titan_status backend_plan(const backend_choice *b, const titan_config *c,
                                          int batch, size_t *bytes);

/* Make the backend in the arena (release: titan_backend_destroy). */
TITAN_NODISCARD titan_status backend_create(titan_arena *a, const backend_choice *b,
                                            const titan_config *c, int batch,
                                            titan_backend **be);

#endif
