/* ffn_conv_swiglu.c: h += w_down (SiLU(conv(w_gate u)) * (w_up u)), the conv a
 * causal depthwise kernel of K taps along time (K = 0: plain SwiGLU). Gate
 * rows of earlier calls come from the sequence's per-layer ring. */
#include "core/model.h"

#include <math.h>
#include <string.h>

/* Pre-conv gate row of relative row src (< 0: from the ring; before the
 * sequence start: NULL, i.e. zeros). */
static const float *gate_row(const titan_model *m, const titan_seq *s,
                             int layer, int src) {
    int F = m->cfg.mlp_hidden, p = s->pos + src;
    if (src >= 0) return m->gate + (size_t)src * F;
    if (p < 0) return NULL;
    return s->gates + ((size_t)layer * s->ring + p % s->ring) * F;
}

static void causal_conv(titan_model *m, titan_seq *s, const titan_block *b,
                        int layer, int n) {
    int F = m->cfg.mlp_hidden, K = m->cfg.conv_kernel;
    for (int t = 0; t < n; t++) {
        float *out = m->gconv + (size_t)t * F;
        memset(out, 0, (size_t)F * sizeof *out);
        for (int j = 0; j < K; j++) {
            const float *a = gate_row(m, s, layer, t - (K - 1) + j);
            if (!a) continue;
            titan_vec_mul_add(out, b->conv_t + (size_t)j * F, a, F);
        }
    }
    /* Keep the newest pre-conv rows for the next call (and for rewinds). */
    int keep = n < s->ring ? n : s->ring;
    for (int t = n - keep; t < n; t++)
        memcpy(s->gates + ((size_t)layer * s->ring + (s->pos + t) % s->ring) * F,
               m->gate + (size_t)t * F, (size_t)F * sizeof(float));
}

void titan_ffn_conv_swiglu(titan_model *m, titan_seq *s,
                             const titan_block *b, int layer, int n) {
    const titan_config *c = &m->cfg;
    titan_backend *be = m->be;
    int D = c->d_model, F = c->mlp_hidden;
    for (int t = 0; t < n; t++)
        titan_rmsnorm(m->u + (size_t)t * D, m->h + (size_t)t * D,
                        b->ffn_norm, D, c->norm_eps);
    be->matmul(be, b->w_gate, m->u, m->gate, n);
    be->matmul(be, b->w_up, m->u, m->up, n);
    const float *g = m->gate;
    if (c->conv_kernel > 0) {
        causal_conv(m, s, b, layer, n);
        g = m->gconv;
    }
    titan_vec_silu_mul(m->up, g, n * F);
    be->matmul(be, b->w_down, m->up, m->y, n);
    titan_vec_add(m->h, m->y, n * D);
}
