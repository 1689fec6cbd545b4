/* matmul_q8_pack.c: the row-interleaved copies of q8 weights and the table
 * that keeps them (matmul_q8_pack.h). */
#include "platform/matmul_q8_pack.h"

#include "platform/matmul_q8.h"
#include "quant/dtype.h"
#include "quant/quant.h"

#include <string.h>

static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

static int64_t scale_groups(int64_t cols, int32_t gs) {
    return gs && gs < cols ? (cols + gs - 1) / gs : 1;
}

/* Bytes of one group's block: 6-bit values take 3/4 of 8-bit ones. */
static int64_t block_bytes(titan_dtype dt) {
    return (int64_t)titan_q8_block_bytes(dt == TITAN_DT_INT8 ? 8 : 6);
}

/* Bytes of the values (the scales follow them). */
static size_t value_bytes(int64_t rows, int64_t cols, titan_dtype dt) {
    int64_t groups = (rows + TITAN_Q8_IL - 1) / TITAN_Q8_IL;
    int64_t blocks = (cols + TITAN_Q8_BLOCK - 1) / TITAN_Q8_BLOCK;
    return (size_t)round_up(groups * blocks * block_bytes(dt), TITAN_ALIGN);
}

size_t titan_q8_pack_bytes(int64_t rows, int64_t cols, int32_t group_size,
                           titan_dtype dt) {
    int64_t groups = (rows + TITAN_Q8_IL - 1) / TITAN_Q8_IL;
    int64_t sb = groups * scale_groups(cols, group_size) * TITAN_Q8_IL * 4;
    return value_bytes(rows, cols, dt) + (size_t)round_up(sb, TITAN_ALIGN);
}

bool titan_q8_packs(const titan_tensor *w) {
    int64_t gs = w->group_size;
    bool lanes = w->dtype == TITAN_DT_INT8 || w->dtype == TITAN_DT_INT6_BYTE ||
                 w->dtype == TITAN_DT_INT6;
    return lanes && w->scales && (gs == 0 || gs >= w->cols || gs % TITAN_Q8_BLOCK == 0);
}

/* The 64 bytes of step j of one group's block: u[4r + i] = value of row
 * 16g + r, column 32b + 4j + i (0 past the tensor), plus offset. */
static void step_values(const titan_tensor *w, int64_t g, int64_t b, int j, int offset,
                        uint8_t u[64]) {
    size_t rb = titan_dtype_row_bytes(w->dtype, w->cols);
    for (int r = 0; r < TITAN_Q8_IL; r++)
        for (int i = 0; i < 4; i++) {
            int64_t n = g * TITAN_Q8_IL + r, k = 32 * b + 4 * j + i;
            const uint8_t *row = (const uint8_t *)w->data + (size_t)n * rb;
            int v = n < w->rows && k < w->cols ? titan_quant_get(w->dtype, row, k) : 0;
            u[4 * r + i] = (uint8_t)(v + offset);
        }
}

/* One group's block: 8-bit as the 8 steps; 6-bit as u = v + 32 cut in planes:
 * 4 x 64 bytes of low nibbles (steps 2m, 2m + 1 in the low, high half) and
 * 2 x 64 bytes of top 2 bits (steps 4q .. 4q + 3 at bits 0-1 .. 6-7). */
static void pack_block(const titan_tensor *w, int64_t g, int64_t b, uint8_t *out) {
    uint8_t u[8][64];
    bool six = w->dtype != TITAN_DT_INT8;
    for (int j = 0; j < 8; j++) step_values(w, g, b, j, six ? 32 : 0, u[j]);
    if (!six) {
        memcpy(out, u, 512);
        return;
    }
    for (int e = 0; e < 64; e++) {
        for (int m = 0; m < 4; m++)
            out[64 * m + e] = (uint8_t)((u[2 * m][e] & 15) | (u[2 * m + 1][e] & 15) << 4);
        for (int q = 0; q < 2; q++) {
            int hi = 0;
            for (int c = 0; c < 4; c++) hi |= (u[4 * q + c][e] >> 4) << (2 * c);
            out[256 + 64 * q + e] = (uint8_t)hi;
        }
    }
}

void titan_q8_pack(const titan_tensor *w, void *dst, titan_q8_packed *out) {
    uint8_t *w_out = dst;
    float *ws_out = (float *)(w_out + value_bytes(w->rows, w->cols, w->dtype));
    int64_t N = w->rows, K = w->cols, blocks = (K + 31) / 32;
    int64_t groups = (N + TITAN_Q8_IL - 1) / TITAN_Q8_IL, bb = block_bytes(w->dtype);
    int64_t sg = scale_groups(K, w->group_size);
    for (int64_t g = 0; g < groups; g++)
        for (int64_t b = 0; b < blocks; b++)
            pack_block(w, g, b, w_out + (size_t)((g * blocks + b) * bb));
    for (int64_t g = 0; g < groups; g++)
        for (int64_t s = 0; s < sg; s++)
            for (int r = 0; r < TITAN_Q8_IL; r++) {
                int64_t n = g * TITAN_Q8_IL + r;
                ws_out[(g * sg + s) * TITAN_Q8_IL + r] =
                    n < N ? titan_q8_wscale(w, n, s * (sg > 1 ? w->group_size / 32 : 0))
                          : 0.0f;
            }
    *out = (titan_q8_packed){(const int8_t *)w_out,
                             ws_out,
                             blocks,
                             sg,
                             sg > 1 ? w->group_size / 32 : blocks,
                             w->dtype == TITAN_DT_INT8 ? 8 : 6};
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
        size_t need = titan_q8_pack_bytes(w->rows, w->cols, w->group_size, w->dtype);
        if (need > c->cap - c->used) return NULL;
        *s = (titan_q8_pack_slot){w->data,       w->scales, w->rows, w->cols,
                                  w->group_size, w->dtype,  {0}};
        titan_q8_pack(w, c->base + c->used, &s->packed);
        c->used += need;
        return &s->packed;
    }
    return NULL;
}
