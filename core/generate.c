/* generate.c: the decoding loop, plain or self-speculative (SPEC section 1:
 * heads 2..M draft, one batched forward verifies; greedy keeps the longest
 * agreeing prefix, sampling uses the accept/resample rule). */
#include "core/model.h"

struct titan_generator {
    titan_model *m;
    titan_seq *s;
    titan_sampler *sampler;
    int drafts;       /* drafted tokens per step: 0, or M-1 when speculative */
    int base;         /* row of the last forward whose heads decide next */
    int32_t next;     /* decided, not yet emitted or fed */
    float *p;         /* [V] head-1 distribution */
    float *q;         /* [M][V] draft distributions */
    int32_t *work;    /* [V] sampler scratch */
    int64_t drafted;  /* drafted tokens verified so far */
    int64_t accepted; /* of which kept */
};

/* The struct, then its vectors; g is NULL in a measuring arena. */
static titan_status generator_carve(titan_arena *a, const titan_config *c,
                                    titan_generator **out) {
    titan_generator *g, scratch;
    TITAN_TRY(titan_arena_calloc(a, sizeof *g, TITAN_ALIGN, (void **)&g));
    *out = g;
    if (!g) g = &scratch;
    size_t V = (size_t)c->vocab_size;
    TITAN_TRY(titan_arena_alloc(a, V * sizeof(float), TITAN_ALIGN, (void **)&g->p));
    TITAN_TRY(titan_arena_alloc(a, (size_t)c->mtp_heads * V * sizeof(float), TITAN_ALIGN,
                                (void **)&g->q));
    TITAN_TRY(titan_arena_alloc(a, V * sizeof(int32_t), TITAN_ALIGN, (void **)&g->work));
    return TITAN_OK;
}

size_t titan_generator_plan(const titan_config *c) {
    titan_arena a;
    titan_generator *g;
    titan_arena_init(&a, NULL, 0);
    return generator_carve(&a, c, &g) == TITAN_OK ? a.high : SIZE_MAX;
}

/* out[V] = the sampler's distribution for head k at row `row`. */
static titan_status head_probs(titan_generator *g, int head, int row, float *out) {
    TITAN_TRY(titan_model_logits(g->m, head, row, 1, out));
    titan_sampler_probs(g->sampler, out, g->m->cfg.vocab_size, g->work);
    return TITAN_OK;
}

titan_status titan_generator_start(titan_arena *a, titan_model *m, titan_seq *s,
                                   titan_sampler *sampler, int speculative,
                                   const int32_t *prompt, int n, titan_generator **out) {
    if (!a || !a->base || !m || !s || !sampler || !prompt || n < 1 || !out)
        return titan_fail(TITAN_E_USAGE, "generate: bad argument");
    int M = m->cfg.mtp_heads;
    if (speculative && m->batch < M)
        return titan_fail(TITAN_E_USAGE,
                          "generate: speculative decoding needs batch >= %d", M);
    titan_generator *g;
    TITAN_TRY(generator_carve(a, &m->cfg, &g));
    g->m = m, g->s = s, g->sampler = sampler;
    g->drafts = speculative ? M - 1 : 0;
    *out = g;
    titan_seq_reset(s);
    for (int t = 0; t < n; t += m->batch) {
        int chunk = n - t < m->batch ? n - t : m->batch;
        TITAN_TRY(titan_model_forward(m, s, prompt + t, chunk));
    }
    g->base = m->rows - 1;
    TITAN_TRY(head_probs(g, 1, g->base, g->p));
    g->next = titan_sampler_draw(sampler, g->p, m->cfg.vocab_size);
    return TITAN_OK;
}

/* Token after a rejected draft d (distribution q): from norm(max(p - q, 0)),
 * greedy: the argmax of p. */
static int32_t resample(titan_generator *g, const float *q) {
    int V = g->m->cfg.vocab_size;
    if (g->sampler->temp <= 0) return titan_argmax(g->p, V);
    double total = 0;
    for (int v = 0; v < V; v++) {
        float r = g->p[v] - q[v];
        g->p[v] = r > 0 ? r : 0;
        total += g->p[v];
    }
    if (total <= 0) return titan_argmax(q, V); /* p == q up to rounding */
    for (int v = 0; v < V; v++) g->p[v] = (float)(g->p[v] / total);
    return titan_sampler_draw(g->sampler, g->p, V);
}

titan_status titan_generator_step(titan_generator *g, int32_t *out, int *n_out) {
    if (!g || !out || !n_out) return titan_fail(TITAN_E_USAGE, "generate: NULL");
    titan_model *m = g->m;
    int V = m->cfg.vocab_size, room = m->ctx - titan_seq_pos(g->s);
    if (room < 1) return titan_fail(TITAN_E_USAGE, "generate: context full");
    int nd = g->drafts;
    if (nd > room - 1) nd = room - 1;
    int32_t feed[TITAN_MAX_MTP];
    feed[0] = g->next;
    for (int j = 1; j <= nd; j++) { /* head j+1 of the base row drafts t+j+1 */
        float *q = g->q + (size_t)(j - 1) * V;
        TITAN_TRY(head_probs(g, j + 1, g->base, q));
        feed[j] = titan_sampler_draw(g->sampler, q, V);
    }
    TITAN_TRY(titan_model_forward(m, g->s, feed, nd + 1));
    out[0] = feed[0];
    *n_out = 1;
    g->drafted += nd;
    for (int j = 1; j <= nd; j++) { /* row j-1 verifies feed[j] */
        const float *q = g->q + (size_t)(j - 1) * V;
        int32_t d = feed[j];
        TITAN_TRY(head_probs(g, 1, j - 1, g->p));
        int keep = g->sampler->temp <= 0
                       ? g->p[d] == 1
                       : titan_sampler_uniform(g->sampler) * q[d] < g->p[d];
        if (!keep) {
            g->next = resample(g, q);
            g->base = j - 1;
            return titan_seq_rewind(g->s, nd + 1 - j);
        }
        out[(*n_out)++] = d;
        g->accepted++;
    }
    g->base = nd;
    TITAN_TRY(head_probs(g, 1, nd, g->p));
    g->next = titan_sampler_draw(g->sampler, g->p, V);
    return TITAN_OK;
}

void titan_generator_drafts(const titan_generator *g, int64_t *drafted,
                            int64_t *accepted) {
    *drafted = g->drafted;
    *accepted = g->accepted;
}
