/* train_state.c: schedule, QAT, optimizer groups and weight averages. */
#include "tools/train/train_state.h"

#include "quant/quant.h"
#include "tools/train/train_data.h"
#include "tools/train/train_opt.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

int train_state_init(train_state *s, const titan_config *c,
                     const train_hparams *h) {
    memset(s, 0, sizeof *s);
    if (train_params_alloc(&s->w, c) || train_params_alloc(&s->m, c) ||
        train_params_alloc(&s->v, c) || train_params_alloc(&s->qat, c) ||
        (h->ema > 0 && train_params_alloc(&s->ema, c)) ||
        (h->swa_every > 0 && train_params_alloc(&s->swa, c)))
        return -1;
    s->threads = (int)(h->threads < 1 ? 1 : h->threads > 64 ? 64 : h->threads);
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

titan_dtype train_qat_dtype(train_qat qat, titan_role role) {
    if (role == TITAN_ROLE_MATRIX)
        return qat == TRAIN_QAT_INT6 ? TITAN_DT_INT6 : TITAN_DT_INT8;
    return role == TITAN_ROLE_EMBED || role == TITAN_ROLE_HEAD ? TITAN_DT_INT8
                                                               : TITAN_DT_F32;
}

const train_params *train_forward_weights(train_state *s,
                                          const train_hparams *h,
                                          double lr_mult) {
    if (h->qat == TRAIN_QAT_OFF) return &s->w;
    if (!s->qat_on)
        s->qat_on = s->step >= (int64_t)ceil(h->qat_start * h->steps) ||
                    lr_mult < h->qat_below;
    if (!s->qat_on) return &s->w;
    for (int i = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        titan_dtype dt = train_qat_dtype(h->qat, sp->role);
        if (dt == TITAN_DT_F32)
            memcpy(s->qat.tensor[i], s->w.tensor[i],
                   sizeof(float) * (size_t)(sp->rows * sp->cols));
        else if (titan_quant_fake(s->w.tensor[i], sp->rows, sp->cols, dt, 0,
                                  TITAN_QUANT_CLIP_STEPS, s->qat.tensor[i]))
            return NULL; /* non-finite weights */
    }
    return &s->qat;
}

size_t train_state_scratch_floats(const train_state *s) {
    size_t most = 1;
    for (int i = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        if (sp->role != TITAN_ROLE_MATRIX) continue;
        size_t n = muon_scratch_floats((int)sp->rows, (int)sp->cols);
        most = n > most ? n : most;
    }
    return most * (size_t)(s->threads > 0 ? s->threads : 1);
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

typedef struct {
    train_state *s;
    const train_params *grads;
    const muon_hparams *mh;
    const train_hparams *h;
    double lr_mult;
    float *scratch;
    int tid, n_threads;
} muon_job;

/* Matrix k (in tensor order) goes to thread k % n_threads: each matrix is
 * independent, so the result does not depend on the split. */
static void *muon_worker(void *arg) {
    muon_job *j = arg;
    train_state *s = j->s;
    muon_hparams mh = *j->mh;
    for (int i = 0, k = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        if (sp->role != TITAN_ROLE_MATRIX || k++ % j->n_threads != j->tid) continue;
        mh.lr = group_lr(j->h, sp->role) * j->h->lr * j->lr_mult;
        muon_step(s->w.tensor[i], j->grads->tensor[i], s->m.tensor[i],
                  (int)sp->rows, (int)sp->cols, &mh, j->scratch);
    }
    return NULL;
}

static void muon_all(train_state *s, const train_params *grads,
                     const train_hparams *h, const muon_hparams *mh,
                     double lr_mult, float *scratch) {
    int n = s->threads;
    size_t per = train_state_scratch_floats(s) / (size_t)n;
    muon_job jobs[64];
    pthread_t th[64];
    int started[64] = {0};
    for (int t = 0; t < n; t++) {
        jobs[t] = (muon_job){s, grads, mh, h, lr_mult, scratch + t * per, t, n};
        if (t > 0) started[t] = !pthread_create(&th[t], NULL, muon_worker, &jobs[t]);
    }
    muon_worker(&jobs[0]);
    for (int t = 1; t < n; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else muon_worker(&jobs[t]);
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
    muon_all(s, grads, h, &mh, lr_mult, scratch);
    for (int i = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        if (sp->role == TITAN_ROLE_MATRIX) continue;
        int decays = sp->role == TITAN_ROLE_EMBED || sp->role == TITAN_ROLE_HEAD;
        adamw_hparams ah = {group_lr(h, sp->role) * h->lr * lr_mult, h->beta1,
                            h->beta2, h->adam_eps, decays ? h->adam_wd : 0};
        adamw_step(s->w.tensor[i], grads->tensor[i], s->m.tensor[i],
                   s->v.tensor[i], (size_t)(sp->rows * sp->cols),
                   (long)s->step + 1, &ah);
    }
    s->step++;
    average(s, h, lr_mult);
    return norm;
}
