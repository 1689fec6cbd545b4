/* ffn_relu2.c: the squared-ReLU MLPs of SPEC section 8: y = w_down φ(w_up u)^2
 * with φ(a) = max(a, 0) (relu2) or a for a >= 0, leaky_slope * a below
 * (leaky_relu2); squares elementwise. */
#include "core/model.h"

typedef struct {
    float *up;
    int width;
    float slope; /* 0: relu2 */
} act_job;

static void square_rows(void *ctx, int64_t begin, int64_t end) {
    const act_job *j = ctx;
    for (int64_t t = begin; t < end; t++)
        titan_vec_leaky_square(j->up + t * j->width, j->slope, j->width);
}

void titan_ffn_relu2(titan_model *m, const titan_block *b, int n) {
    titan_backend *be = m->be;
    const titan_config *c = &m->cfg;
    act_job job = {m->up, c->mlp_hidden,
                   c->mlp_act == TITAN_MLP_LEAKY_RELU2 ? (float)c->leaky_slope : 0};
    be->matmul(be, b->w_up, m->u, m->up, n);
    titan_for_rows(m, n, square_rows, &job);
    be->matmul(be, b->w_down, m->up, m->y, n);
}
