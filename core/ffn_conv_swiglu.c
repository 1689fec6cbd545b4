/* ffn_conv_swiglu.c: y = w_down (SiLU(conv(w_gate u)) * (w_up u)), the conv a
 * causal depthwise kernel of K taps along time (K = 0: plain SwiGLU). Gate
 * rows of earlier calls come from the sequence's per-layer ring. */
#include "core/model.h"

#include <math.h>
#include <string.h>

/* Pre-conv gate row of relative row src (< 0: from the ring; before the
 * sequence start: NULL, i.e. zeros). */
static const float *gate_row(const titan_model *m, const titan_seq *s, int layer,
                             int src) {
    int F = m->cfg.mlp_hidden, p = s->pos + src;
    if (src >= 0) return m->gate + (size_t)src * F;
    if (p < 0) return NULL;
    return s->gates + ((size_t)layer * s->ring + p % s->ring) * F;
}

/* gconv row t = the causal conv of the gate rows ending at t. */
static void conv_row(titan_model *m, titan_seq *s, const titan_block *b, int layer,
                     int t) {
    int F = m->cfg.mlp_hidden, K = m->cfg.conv_kernel;
    float *out = m->gconv + (size_t)t * F;
    memset(out, 0, (size_t)F * sizeof *out);
    for (int j = 0; j < K; j++) {
        const float *a = gate_row(m, s, layer, t - (K - 1) + j);
        if (a) titan_vec_mul_add(out, b->conv_t + (size_t)j * F, a, F);
    }
}

/* Keep the newest pre-conv rows for the next call (and for rewinds). */
static void keep_gates(titan_model *m, titan_seq *s, int layer, int n) {
    int F = m->cfg.mlp_hidden, keep = n < s->ring ? n : s->ring;
    for (int t = n - keep; t < n; t++)
        memcpy(s->gates + ((size_t)layer * s->ring + (s->pos + t) % s->ring) * F,
               m->gate + (size_t)t * F, (size_t)F * sizeof(float));
}

/* up = SiLU(conv(gate)) * up, row by row. */
static void gate_rows(void *ctx, int64_t begin, int64_t end) {
    const titan_rows_job *j = ctx;
    titan_model *m = j->m;
    int F = m->cfg.mlp_hidden;
    for (int64_t t = begin; t < end; t++) {
        const float *g = m->gate + t * F;
        if (m->cfg.conv_kernel > 0) {
            conv_row(m, j->s, j->b, j->layer, (int)t);
            g = m->gconv + t * F;
        }
        titan_vec_silu_mul(m->up + t * F, g, F);
    }
}

void titan_ffn_conv_swiglu(titan_model *m, titan_seq *s, const titan_block *b, int layer,
                           int n) {
    titan_backend *be = m->be;
    titan_rows_job job = {m, s, b, layer};
    titan_matmul2(m, b->w_gate, m->gate, b->w_up, m->up, m->u, n);
    titan_for_rows(m, n, gate_rows, &job);
    if (m->cfg.conv_kernel > 0) keep_gates(m, s, layer, n);
    be->matmul(be, b->w_down, m->up, m->y, n);
}
