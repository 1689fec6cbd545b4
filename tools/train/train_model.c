/* train_model.c: the trainable model's slabs (parameters, activations) and its
 * forward pass, MTP loss and backward pass, reading top to bottom like SPEC
 * section 1. */
#include "tools/train/train_model.h"
#include "tools/train/train_ops.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ parameters */

/* Block tensor name suffix -> field of train_block ("wq" shares wq_b). */
static const struct {
    const char *name;
    size_t offset;
} block_fields[] = {
#define FIELD(n, f)                                                                      \
    { n, offsetof(TR(block), f) }
    FIELD("attn_norm", attn_norm), FIELD("wq_a", wq_a),     FIELD("q_norm", q_norm),
    FIELD("wq_b", wq_b),           FIELD("wq", wq_b),       FIELD("wkv_a", wkv_a),
    FIELD("kv_norm", kv_norm),     FIELD("wkv_b", wkv_b),   FIELD("wo", wo),
    FIELD("ffn_norm", ffn_norm),   FIELD("w_gate", w_gate), FIELD("w_up", w_up),
    FIELD("w_down", w_down),       FIELD("conv", conv),
#undef FIELD
};

/* Point the named field for spec name `name` at ptr. */
static void bind_tensor(TR(params) * p, const char *name, real *ptr) {
    int b, k, used = 0;
    if (!strcmp(name, "tok_emb")) {
        p->tok_emb = p->head[0] = ptr;
    } else if (!strcmp(name, "final_norm")) {
        p->final_norm = ptr;
    } else if (sscanf(name, "mtp.%d.head%n", &k, &used) == 1 && !name[used]) {
        p->head[k - 1] = ptr;
    } else if (sscanf(name, "blocks.%d.%n", &b, &used) == 1) {
        for (size_t i = 0; i < sizeof block_fields / sizeof *block_fields; i++)
            if (!strcmp(name + used, block_fields[i].name))
                *(real **)((char *)&p->block[b] + block_fields[i].offset) = ptr;
    }
}

int TR(params_alloc)(TR(params) * p, const titan_config *c) {
    memset(p, 0, sizeof *p);
    p->n_tensors = titan_config_tensors(c, p->spec, TITAN_MAX_TENSORS);
    p->count = (size_t)titan_config_params(c);
    p->mem = calloc(p->count, sizeof(real));
    if (!p->mem) return -1;
    size_t off = 0;
    for (int i = 0; i < p->n_tensors; i++) {
        p->tensor[i] = p->mem + off;
        bind_tensor(p, p->spec[i].name, p->tensor[i]);
        off += (size_t)(p->spec[i].rows * p->spec[i].cols);
    }
    return 0;
}

void TR(params_free)(TR(params) * p) {
    free(p->mem);
    p->mem = NULL;
}

int TR(params_find)(const TR(params) * p, const char *name) {
    for (int i = 0; i < p->n_tensors; i++)
        if (!strcmp(p->spec[i].name, name)) return i;
    return -1;
}

/* ----------------------------------------------------------------- model */

int TR(model_init)(TR(model) * m, const titan_config *c, int max_T) {
    memset(m, 0, sizeof *m);
    m->cfg = *c;
    m->max_T = max_T;
    int half = c->rope_dim / 2;
    double freq[2048], mscale;
    if (titan_config_rope(c, freq, 2048, &mscale) != TITAN_OK) return -1;
    m->attn_scale = mscale * mscale / sqrt((double)c->head_dim + c->rope_dim);
    size_t n = (size_t)max_T * half;
    m->rope_cos = malloc(sizeof(real) * (n ? n : 1));
    m->rope_sin = malloc(sizeof(real) * (n ? n : 1));
    if (!m->rope_cos || !m->rope_sin) return -1;
    for (int t = 0; t < max_T; t++)
        for (int i = 0; i < half; i++) {
            m->rope_cos[(size_t)t * half + i] = (real)cos(t * freq[i]);
            m->rope_sin[(size_t)t * half + i] = (real)sin(t * freq[i]);
        }
    return 0;
}

void TR(model_free)(TR(model) * m) {
    free(m->rope_cos);
    free(m->rope_sin);
    m->rope_cos = m->rope_sin = NULL;
}

/* ----------------------------------------------------------- activations */

/* Carve (or with mem == NULL only count) the activation slab. */
static size_t layout_acts(TR(acts) * a, const titan_config *c, int T, real *mem) {
    size_t off = 0, t = (size_t)T;
    size_t D = c->d_model, H = c->n_heads, Dr = c->rope_dim;
    size_t Lq = c->q_latent, Lkv = c->kv_latent, F = c->mlp_hidden;
    size_t qw = H * (c->head_dim + Dr);
    size_t kvw = (size_t)c->n_kv_heads * (c->head_dim + c->v_head_dim);
    size_t ow = H * c->v_head_dim;
#define CARVE(ptr, n) ((ptr) = mem ? mem + off : NULL, off += (n))
    int L = c->n_unique_blocks * c->n_recurrences;
    for (int l = 0; l < L; l++) {
        TR(layer_acts) *la = &a->layer[l];
        CARVE(la->h_in, t * D);
        CARVE(la->u1, t * D);
        CARVE(la->rstd1, t);
        CARVE(la->qa, t * Lq);
        CARVE(la->cq, t * Lq);
        CARVE(la->rstd_q, t);
        CARVE(la->q, t * qw);
        CARVE(la->alat, t * Lkv);
        CARVE(la->kr, t * Dr);
        CARVE(la->c, t * Lkv);
        CARVE(la->rstd_kv, t);
        CARVE(la->kv, t * kvw);
        CARVE(la->probs, H * t * t);
        CARVE(la->o, t * ow);
        CARVE(la->h_mid, t * D);
        CARVE(la->u2, t * D);
        CARVE(la->rstd2, t);
        CARVE(la->ag, t * F);
        if (c->conv_kernel > 0)
            CARVE(la->ac, t * F);
        else
            la->ac = la->ag;
        CARVE(la->up, t * F);
        CARVE(la->m, t * F);
    }
    CARVE(a->h_out, t * D);
    CARVE(a->z, t * D);
    CARVE(a->rstd_f, t);
    CARVE(a->dh, t * D);
    CARVE(a->dz, t * D);
    CARVE(a->logits, (size_t)TRAIN_HEAD_CHUNK * c->vocab_size);
    TR(layer_grads) *g = &a->g;
    CARVE(g->du, t * D);
    CARVE(g->dqa, t * Lq);
    CARVE(g->dcq, t * Lq);
    CARVE(g->dq, t * qw);
    CARVE(g->dalat, t * Lkv);
    CARVE(g->dkr, t * Dr);
    CARVE(g->dc, t * Lkv);
    CARVE(g->dkv, t * kvw);
    CARVE(g->dout, t * ow);
    CARVE(g->att_scratch, TR(attention_scratch_size)(T, c));
    for (int l = 0; l < L; l++) a->layer[l].att_scratch = g->att_scratch;
    CARVE(g->dac, t * F);
    if (c->conv_kernel > 0)
        CARVE(g->dag, t * F);
    else
        g->dag = g->dac;
    CARVE(g->dup, t * F);
    CARVE(g->dm, t * F);
#undef CARVE
    return off;
}

int TR(acts_alloc)(TR(acts) * a, const titan_config *c, int max_T) {
    memset(a, 0, sizeof *a);
    int L = c->n_unique_blocks * c->n_recurrences;
    /* Bound the slab before any size_t product can wrap. */
    double approx =
        (double)L * max_T *
        (20.0 * (c->d_model + c->mlp_hidden + c->q_latent + c->kv_latent) +
         (double)c->n_heads * (c->head_dim + c->rope_dim + c->v_head_dim + max_T));
    if (max_T < 1 || approx > 1e11) return -1;
    a->max_T = max_T;
    a->layer = calloc((size_t)L, sizeof *a->layer);
    if (!a->layer) return -1;
    size_t n = layout_acts(a, c, max_T, NULL);
    a->mem = malloc(sizeof(real) * n);
    if (!a->mem) return -1;
    layout_acts(a, c, max_T, a->mem);
    return 0;
}

void TR(acts_free)(TR(acts) * a) {
    free(a->mem);
    free(a->layer);
    a->mem = NULL;
    a->layer = NULL;
}

/* --------------------------------------------------------- forward, loss */

static void forward(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                    const int *ids, int T) {
    const titan_config *c = &m->cfg;
    int B = c->n_unique_blocks, L = B * c->n_recurrences;
    TR(embed_forward)(a->layer[0].h_in, w->tok_emb, ids, T, c->d_model);
    for (int l = 0; l < L; l++) {
        const TR(block) *blk = &w->block[l % B];
        TR(mla_forward)(m, blk, &a->layer[l], T);
        TR(ffn_forward)
        (m, blk, &a->layer[l], l + 1 < L ? a->layer[l + 1].h_in : a->h_out, T);
    }
    TR(rmsnorm_forward)
    (a->z, a->rstd_f, a->h_out, w->final_norm, T, c->d_model, c->norm_eps);
}

/* SPEC loss: sum_k w_k mean_{t < T-k} CE(logits_k(t), ids[t+k]), the logits
 * made TRAIN_HEAD_CHUNK rows at a time. With grads, dz and head gradients
 * receive scale * dLoss. */
static double mtp_loss(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                       const int *ids, int T, double scale, TR(params) * grads,
                       double *head_loss) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, V = c->vocab_size;
    double loss = 0;
    if (grads) real_zero(a->dz, (size_t)T * D);
    for (int k = 1; k <= c->mtp_heads; k++) {
        int n = T - k;
        double sum = 0, weight = c->mtp_weights[k - 1];
        for (int t0 = 0; t0 < n; t0 += TRAIN_HEAD_CHUNK) {
            int rows = n - t0 < TRAIN_HEAD_CHUNK ? n - t0 : TRAIN_HEAD_CHUNK;
            sum += TR(head_ce)(a->logits, a->z + (size_t)t0 * D, w->head[k - 1],
                               ids + t0 + k, rows, D, V, c->logit_softcap,
                               scale * weight / n, grads ? a->dz + (size_t)t0 * D : NULL,
                               grads ? grads->head[k - 1] : NULL, NULL);
        }
        double mean = n > 0 ? sum / n : 0;
        if (head_loss) head_loss[k - 1] = mean;
        loss += weight * mean;
    }
    return loss;
}

double TR(loss)(const TR(model) * m, const TR(params) * w, TR(acts) * a, const int *ids,
                int T, double *head_loss) {
    forward(m, w, a, ids, T);
    return mtp_loss(m, w, a, ids, T, 0, NULL, head_loss);
}

double TR(nll)(const TR(model) * m, const TR(params) * w, TR(acts) * a, const int *ids,
               int T, double *nll) {
    const titan_config *c = &m->cfg;
    int D = c->d_model;
    forward(m, w, a, ids, T);
    double sum = 0;
    for (int t0 = 0; t0 < T - 1; t0 += TRAIN_HEAD_CHUNK) {
        int rows = T - 1 - t0 < TRAIN_HEAD_CHUNK ? T - 1 - t0 : TRAIN_HEAD_CHUNK;
        sum +=
            TR(head_ce)(a->logits, a->z + (size_t)t0 * D, w->tok_emb, ids + t0 + 1, rows,
                        D, c->vocab_size, c->logit_softcap, 0, NULL, NULL, nll + t0);
    }
    return sum;
}

double TR(loss_grad)(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                     const int *ids, int T, double scale, TR(params) * grads,
                     double *head_loss) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, B = c->n_unique_blocks, L = B * c->n_recurrences;
    forward(m, w, a, ids, T);
    double loss = mtp_loss(m, w, a, ids, T, scale, grads, head_loss);
    real_zero(a->dh, (size_t)T * D);
    TR(rmsnorm_backward)
    (a->dh, grads->final_norm, a->dz, a->h_out, w->final_norm, a->rstd_f, T, D);
    for (int l = L - 1; l >= 0; l--) {
        const TR(block) *blk = &w->block[l % B];
        TR(block) *dblk = &grads->block[l % B];
        TR(ffn_backward)(m, blk, &a->layer[l], &a->g, a->dh, dblk, T);
        TR(mla_backward)(m, blk, &a->layer[l], &a->g, a->dh, dblk, T);
    }
    TR(embed_backward)(grads->tok_emb, a->dh, ids, T, D);
    return loss;
}
