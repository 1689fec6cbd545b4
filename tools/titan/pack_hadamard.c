/* pack_hadamard.c: the Hadamard fold of `titan pack --hadamard`
 * (pack_hadamard.h). */
#include "tools/titan/pack_hadamard.h"

#include "quant/hadamard.h"
#include "quant/quant.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    titan_tensor *f;
    int n;
    double *tmp; /* Dv doubles for the transform */
    float *fake; /* the largest tensor's floats, for the int6 error */
    hadamard_error *errors;
    int n_err;
} fold;

static titan_tensor *find(const fold *k, const char *name) {
    for (int i = 0; i < k->n; i++)
        if (!strcmp(k->f[i].name, name)) return &k->f[i];
    return NULL;
}

/* ||W - int6(W)|| / ||W|| with the rounding pack uses by default. */
static titan_status int6_error(const fold *k, const titan_tensor *t, double *err) {
    const float *w = t->data;
    TITAN_TRY(titan_quant_fake(w, t->rows, t->cols, TITAN_DT_INT6, 0,
                               TITAN_QUANT_CLIP_STEPS, k->fake));
    double num = 0, den = 0;
    for (int64_t i = 0; i < t->rows * t->cols; i++) {
        double d = (double)k->fake[i] - w[i];
        num += d * d;
        den += (double)w[i] * w[i];
    }
    *err = den > 0 ? sqrt(num / den) : 0;
    return TITAN_OK;
}

/* Turn nblocks blocks of Dv rows (stride apart, from first) or columns of
 * the tensor called name, recording its int6 error before and after. */
static titan_status turn(fold *k, const char *name, bool rows, int64_t first,
                         int64_t stride, int64_t nblocks, int64_t Dv) {
    titan_tensor *t = find(k, name);
    if (!t) return titan_fail(TITAN_E_DATA, "hadamard: tensor %s is missing", name);
    hadamard_error *e = &k->errors[k->n_err++];
    snprintf(e->name, sizeof e->name, "%s", name);
    TITAN_TRY(int6_error(k, t, &e->before));
    float *w = (float *)t->data;
    for (int64_t b = 0; b < nblocks; b++) {
        if (rows)
            titan_hadamard_rows(w, t->cols, first + b * stride, Dv, k->tmp);
        else
            titan_hadamard_cols(w, t->rows, t->cols, first + b * stride, Dv, k->tmp);
    }
    return int6_error(k, t, &e->after);
}

static titan_status turn_block(fold *k, const titan_config *c, int b) {
    char name[TITAN_NAME_MAX];
    int64_t Dv = c->v_head_dim, G = c->n_kv_heads;
    if (c->attention == TITAN_ATTENTION_GQA) {
        snprintf(name, sizeof name, "blocks.%d.wv", b);
        TITAN_TRY(turn(k, name, true, 0, Dv, G, Dv));
    } else { /* wkv_b: per group [key Dh | value Dv] */
        snprintf(name, sizeof name, "blocks.%d.wkv_b", b);
        TITAN_TRY(turn(k, name, true, c->head_dim, c->head_dim + Dv, G, Dv));
    }
    snprintf(name, sizeof name, "blocks.%d.wo", b);
    return turn(k, name, false, 0, Dv, c->n_heads, Dv);
}

static titan_status turn_value_embed(fold *k, const titan_config *c) {
    int64_t Dv = c->v_head_dim, G = c->n_kv_heads;
    if (find(k, "value_embed.proj"))
        return turn(k, "value_embed.proj", true, 0, Dv, G, Dv);
    return turn(k, "value_embed.table", false, 0, Dv, G, Dv); /* d == G * Dv */
}

titan_status pack_hadamard_fold(titan_arena *a, const titan_config *c, titan_tensor *f,
                                int n, hadamard_error *errors, int *n_err) {
    if (!titan_hadamard_size_ok(c->v_head_dim))
        return titan_fail(TITAN_E_USAGE,
                          "--hadamard needs v_head_dim a power of two (it is %d)",
                          c->v_head_dim);
    fold k = {.f = f, .n = n, .errors = errors};
    int64_t most = 0;
    for (int i = 0; i < n; i++)
        if (f[i].rows * f[i].cols > most) most = f[i].rows * f[i].cols;
    TITAN_TRY(titan_arena_alloc(a, (size_t)c->v_head_dim * sizeof *k.tmp, TITAN_ALIGN,
                                (void **)&k.tmp));
    TITAN_TRY(titan_arena_alloc(a, (size_t)most * sizeof *k.fake, TITAN_ALIGN,
                                (void **)&k.fake));
    int attention = 0;
    for (int b = 0; b < c->n_unique_blocks; b++)
        if (!titan_config_is_gdn(c, b)) {
            TITAN_TRY(turn_block(&k, c, b));
            attention++;
        }
    if (!attention)
        return titan_fail(TITAN_E_USAGE, "--hadamard: the model has no attention block");
    if (c->value_embed) TITAN_TRY(turn_value_embed(&k, c));
    *n_err = k.n_err;
    return TITAN_OK;
}
