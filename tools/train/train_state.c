/* train_state.c: schedule, QAT, optimizer groups and weight averages. */
#include "tools/train/train_state.h"

#include "tools/train/train_data.h"
#include "tools/train/train_opt.h"

#include <math.h>
#include <string.h>

int train_state_init(train_state *s, const titan_config *c,
                     const train_hparams *h) {
    memset(s, 0, sizeof *s);
    if (train_params_alloc(&s->w, c) || train_params_alloc(&s->m, c) ||
        train_params_alloc(&s->v, c) || train_params_alloc(&s->qat, c) ||
        (h->ema > 0 && train_params_alloc(&s->ema, c)) ||
        (h->swa_every > 0 && train_params_alloc(&s->swa, c)))
        return -1;
    train_init_weights(&s->w, (uint64_t)h->seed);
    if (s->ema.mem) memcpy(s->ema.mem, s->w.mem, sizeof(float) * s->w.count);
    s->rng = (uint64_t)h->seed * 0x9e3779b97f4a7c15ull + 1;
    return 0;
}

void train_state_free(train_state *s) {
    train_params *all[] = {&s->w, &s->ema, &s->swa, &s->m, &s->v, &s->qat};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        train_params_free(all[i]);
}

/* Standard normal from two uniforms (Box-Muller). */
static double gaussian(uint64_t *rng) {
    double u1 = ((train_rng_next(rng) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (train_rng_next(rng) >> 11) / 9007199254740992.0;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static int is_output_projection(const char *name) {
    size_t n = strlen(name);
    return (n > 3 && !strcmp(name + n - 3, ".wo")) ||
           (n > 7 && !strcmp(name + n - 7, ".w_down"));
}

void train_init_weights(train_params *p, uint64_t seed) {
    uint64_t rng = seed ^ 0x5eedf00dull;
    for (int i = 0; i < p->n_tensors; i++) {
        const titan_tensor_spec *s = &p->spec[i];
        float *t = p->tensor[i];
        size_t n = (size_t)(s->rows * s->cols);
        double std = s->role == TITAN_ROLE_EMBED ? 0.02 : 1 / sqrt((double)s->cols);
        int zero = s->role == TITAN_ROLE_HEAD || is_output_projection(s->name);
        for (size_t j = 0; j < n; j++) {
            switch (s->role) {
            case TITAN_ROLE_NORM: t[j] = 1; break;
            case TITAN_ROLE_CONV: t[j] = (j % s->cols) == (size_t)s->cols - 1; break;
            default: t[j] = zero ? 0 : (float)(std * gaussian(&rng));
            }
        }
    }
}

double train_lr_mult(const train_hparams *h, int64_t step) {
    if (step < h->warmup) return (step + 1.0) / h->warmup;
    int64_t decay = (int64_t)llround(h->decay_frac * h->steps);
    int64_t start = h->steps - decay;
    if (decay <= 0 || step < start) return 1;
    double p = (double)(step - start) / decay;
    return h->cosine ? 0.5 * (1 + cos(M_PI * p)) : 1 - p;
}

void train_fake_quant(float *dst, const float *src, int64_t rows,
                      int64_t cols, int qmax) {
    for (int64_t r = 0; r < rows; r++) {
        const float *x = src + r * cols;
        float *y = dst + r * cols, mx = 0;
        for (int64_t c = 0; c < cols; c++) mx = fmaxf(mx, fabsf(x[c]));
        float scale = mx / qmax;
        for (int64_t c = 0; c < cols; c++) {
            float q = scale > 0 ? nearbyintf(x[c] / scale) : 0;
            q = fminf(fmaxf(q, (float)(-qmax - 1)), (float)qmax);
            y[c] = q * scale;
        }
    }
}

const train_params *train_forward_weights(train_state *s,
                                          const train_hparams *h,
                                          double lr_mult) {
    if (h->qat == TRAIN_QAT_OFF) return &s->w;
    if (!s->qat_on)
        s->qat_on = s->step >= (int64_t)ceil(h->qat_start * h->steps) ||
                    lr_mult < h->qat_below;
    if (!s->qat_on) return &s->w;
    int matrix_qmax = h->qat == TRAIN_QAT_INT6 ? 31 : 127;
    for (int i = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        int qmax = sp->role == TITAN_ROLE_MATRIX ? matrix_qmax
                   : sp->role == TITAN_ROLE_EMBED || sp->role == TITAN_ROLE_HEAD
                       ? 127 : 0;
        if (qmax)
            train_fake_quant(s->qat.tensor[i], s->w.tensor[i], sp->rows,
                             sp->cols, qmax);
        else
            memcpy(s->qat.tensor[i], s->w.tensor[i],
                   sizeof(float) * (size_t)(sp->rows * sp->cols));
    }
    return &s->qat;
}

size_t train_state_scratch_floats(const train_state *s) {
    size_t most = 0;
    for (int i = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        if (sp->role != TITAN_ROLE_MATRIX) continue;
        size_t n = muon_scratch_floats((int)sp->rows, (int)sp->cols);
        most = n > most ? n : most;
    }
    return most;
}

static double clip_grads(train_params *g, double clip) {
    double ss = 0;
    for (size_t i = 0; i < g->count; i++) ss += (double)g->mem[i] * g->mem[i];
    double norm = sqrt(ss);
    if (clip > 0 && norm > clip) {
        float k = (float)(clip / norm);
        for (size_t i = 0; i < g->count; i++) g->mem[i] *= k;
    }
    return norm;
}

static double group_lr(const train_hparams *h, titan_role role) {
    switch (role) {
    case TITAN_ROLE_MATRIX: return h->lr_matrix;
    case TITAN_ROLE_EMBED: return h->lr_embed;
    case TITAN_ROLE_HEAD: return h->lr_head;
    default: return h->lr_scalar;
    }
}

static void average(train_state *s, const train_hparams *h, double lr_mult) {
    if (s->ema.mem) {
        float d = (float)h->ema;
        for (size_t i = 0; i < s->w.count; i++)
            s->ema.mem[i] = d * s->ema.mem[i] + (1 - d) * s->w.mem[i];
    }
    if (s->swa.mem && lr_mult < h->swa_below && s->step % h->swa_every == 0) {
        float k = 1.0f / (float)(s->swa_count + 1);
        for (size_t i = 0; i < s->w.count; i++)
            s->swa.mem[i] += (s->w.mem[i] - s->swa.mem[i]) * k;
        s->swa_count++;
    }
}

double train_apply(train_state *s, train_params *grads, const train_hparams *h,
                   double lr_mult, float *scratch) {
    double norm = clip_grads(grads, h->clip);
    double warm = h->momentum_warmup > 0
                      ? fmin((double)s->step / h->momentum_warmup, 1) : 1;
    muon_hparams mh = {.momentum = (1 - warm) * h->momentum_start +
                                   warm * h->momentum,
                       .weight_decay = h->muon_wd, .nesterov = 1, .ns_steps = 5};
    for (int i = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        double lr = group_lr(h, sp->role) * h->lr * lr_mult;
        if (sp->role == TITAN_ROLE_MATRIX) {
            mh.lr = lr;
            muon_step(s->w.tensor[i], grads->tensor[i], s->m.tensor[i],
                      (int)sp->rows, (int)sp->cols, &mh, scratch);
        } else {
            int decays = sp->role == TITAN_ROLE_EMBED || sp->role == TITAN_ROLE_HEAD;
            adamw_hparams ah = {lr, h->beta1, h->beta2, h->adam_eps,
                                decays ? h->adam_wd : 0};
            adamw_step(s->w.tensor[i], grads->tensor[i], s->m.tensor[i],
                       s->v.tensor[i], (size_t)(sp->rows * sp->cols),
                       (long)s->step + 1, &ah);
        }
    }
    s->step++;
    average(s, h, lr_mult);
    return norm;
}
