/* matmul_q8_pack.c: the row-interleaved copies of q8 weights and the table
 * that keeps them (matmul_q8_pack.h). */
#include "platform/matmul_q8_pack.h"

#include "platform/matmul_q8.h"

#include <string.h>

static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

static int64_t scale_groups(int64_t cols, int32_t gs) {
    return gs && gs < cols ? (cols + gs - 1) / gs : 1;
}

/* Bytes of the values (the scales follow them). */
static size_t value_bytes(int64_t rows, int64_t cols) {
    int64_t groups = (rows + TITAN_Q8_IL - 1) / TITAN_Q8_IL;
    return (size_t)round_up(groups * TITAN_Q8_IL * round_up(cols, TITAN_Q8_BLOCK),
                            TITAN_ALIGN);
}

size_t titan_q8_pack_bytes(int64_t rows, int64_t cols, int32_t group_size) {
    int64_t groups = (rows + TITAN_Q8_IL - 1) / TITAN_Q8_IL;
    int64_t sb = groups * scale_groups(cols, group_size) * TITAN_Q8_IL * 4;
    return value_bytes(rows, cols) + (size_t)round_up(sb, TITAN_ALIGN);
}

void titan_q8_pack(const titan_tensor *w, void *dst, titan_q8_packed *out) {
    int8_t *w_out = dst;
    float *ws_out = (float *)((uint8_t *)dst + value_bytes(w->rows, w->cols));
    int64_t N = w->rows, K = w->cols, blocks = (K + 31) / 32;
    int64_t groups = (N + TITAN_Q8_IL - 1) / TITAN_Q8_IL;
    int64_t sg = scale_groups(K, w->group_size);
    const int8_t *src = w->data;
    for (int64_t g = 0; g < groups; g++)
        for (int64_t k = 0; k < blocks * 32; k++)
            for (int r = 0; r < TITAN_Q8_IL; r++) {
                int64_t n = g * TITAN_Q8_IL + r;
                size_t at = (size_t)((g * blocks * 8 + k / 4) * 64 + 4 * r + k % 4);
                w_out[at] = n < N && k < K ? src[n * K + k] : 0;
            }
    for (int64_t g = 0; g < groups; g++)
        for (int64_t s = 0; s < sg; s++)
            for (int r = 0; r < TITAN_Q8_IL; r++) {
                int64_t n = g * TITAN_Q8_IL + r;
                ws_out[(g * sg + s) * TITAN_Q8_IL + r] =
                    n < N ? titan_q8_wscale(w, n, s * (sg > 1 ? w->group_size / 32 : 0))
                          : 0.0f;
            }
    *out = (titan_q8_packed){w_out, ws_out, blocks, sg,
                             sg > 1 ? w->group_size / 32 : blocks};
}

static bool same(const titan_q8_pack_slot *s, const titan_tensor *w) {
    return s->data == w->data && s->scales == w->scales && s->rows == w->rows &&
           s->cols == w->cols && s->group_size == w->group_size && s->dtype == w->dtype;
}

const titan_q8_packed *titan_q8_pack_get(titan_q8_pack_cache *c, const titan_tensor *w) {
    if (!c->slots) return NULL;
    uint64_t h = (uint64_t)(uintptr_t)w->data * 0x9e3779b97f4a7c15ull;
    size_t i = (size_t)(h >> 32) % TITAN_Q8_PACK_SLOTS;
    for (size_t probe = 0; probe < TITAN_Q8_PACK_SLOTS; probe++) {
        titan_q8_pack_slot *s = &c->slots[(i + probe) % TITAN_Q8_PACK_SLOTS];
        if (s->data && same(s, w)) return &s->packed;
        if (s->data) continue;
        size_t need = titan_q8_pack_bytes(w->rows, w->cols, w->group_size);
        if (need > c->cap - c->used) return NULL;
        *s = (titan_q8_pack_slot){w->data,       w->scales, w->rows, w->cols,
                                  w->group_size, w->dtype,  {0}};
        titan_q8_pack(w, c->base + c->used, &s->packed);
        c->used += need;
        return &s->packed;
    }
    return NULL;
}
