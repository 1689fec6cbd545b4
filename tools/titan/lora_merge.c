/* lora_merge.c: fold LoRA adapters into their weights (see lora_merge.h). */
#include "tools/titan/lora_merge.h"

#include <stdio.h>
#include <string.h>

titan_status lora_merge_check(const titan_config *c, const char *what, bool *noop) {
    if (!TITAN_XENITH(c))
        return titan_fail(TITAN_E_USAGE,
                          "--merge-lora: %s is not a xenith model (SPEC section 9); "
                          "only xenith models have LoRA adapters",
                          what);
    *noop = c->lora_rank == 0;
    return TITAN_OK;
}

titan_config lora_merge_config(const titan_config *in) {
    titan_config c = *in;
    c.lora_rank = 0;
    return c;
}

/* The spec named `name`, or NULL. */
static const titan_tensor_spec *find_spec(const titan_tensor_spec *s, int n,
                                          const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(s[i].name, name)) return &s[i];
    return NULL;
}

/* w[out][in] += s * B[out][r] A[r][in]. */
static void fold(float *w, const float *A, const float *B, int64_t out, int64_t in,
                 int64_t r, double s) {
    for (int64_t i = 0; i < out; i++)
        for (int64_t j = 0; j < in; j++) {
            double acc = 0;
            for (int64_t k = 0; k < r; k++) acc += (double)B[i * r + k] * A[k * in + j];
            w[i * in + j] = (float)(w[i * in + j] + s * acc);
        }
}

titan_status lora_merge(titan_arena *a, const titan_config *c, titan_tensor *f, int n,
                        lora_merge_read read, void *user) {
    if (c->lora_rank <= 0) return TITAN_OK; /* nothing to fold */
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n_in = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    double s = c->lora_alpha / c->lora_rank;
    for (int i = 0; i < n; i++) {
        char name[TITAN_NAME_MAX + 8];
        snprintf(name, sizeof name, "%s.lora_A", f[i].name);
        const titan_tensor_spec *sa = find_spec(specs, n_in, name);
        snprintf(name, sizeof name, "%s.lora_B", f[i].name);
        const titan_tensor_spec *sb = find_spec(specs, n_in, name);
        if (!sa || !sb) continue; /* not a target */
        size_t mark = titan_arena_mark(a);
        const float *A, *B;
        TITAN_TRY(read(user, a, sa, &A));
        TITAN_TRY(read(user, a, sb, &B));
        fold((float *)f[i].data, A, B, f[i].rows, f[i].cols, c->lora_rank, s);
        titan_arena_reset(a, mark);
    }
    return TITAN_OK;
}
