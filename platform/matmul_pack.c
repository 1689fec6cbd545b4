/* matmul_pack.c: plain-C weight dequantization and the cache-block packing the
 * vector matmul families share (see matmul.h). */
#include "platform/matmul.h"

#include <math.h>
#include <string.h>

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    int exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    float v;
    if (exp == 0) v = ldexpf((float)man, -24); /* zero, subnormal */
    else if (exp == 31) v = man ? NAN : INFINITY;
    else v = ldexpf((float)(man | 0x400), exp - 25);
    uint32_t bits;
    memcpy(&bits, &v, 4);
    bits |= sign;
    memcpy(&v, &bits, 4);
    return v;
}

static float bf16_to_float(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

static uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int int6_at(const uint8_t *row, int64_t k) {
    const uint8_t *p = row + k / 4 * 3;
    uint32_t word = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    int u = (int)(word >> (6 * (k % 4))) & 63;
    return u >= 32 ? u - 64 : u;
}

size_t titan_weights_row_bytes(const titan_tensor *w) {
    size_t cols = (size_t)w->cols;
    switch (w->dtype) {
    case TITAN_DT_F32: return cols * 4;
    case TITAN_DT_F16:
    case TITAN_DT_BF16: return cols * 2;
    case TITAN_DT_INT8: return cols;
    case TITAN_DT_INT6: return (cols + 3) / 4 * 3;
    }
    return 0;
}

void titan_weights_dequant(const titan_tensor *w, int64_t row, int64_t k0,
                           int64_t len, float *out) {
    const uint8_t *r = (const uint8_t *)w->data + row * titan_weights_row_bytes(w);
    /* One loop per type, so the compiler vectorizes each. */
    switch (w->dtype) {
    case TITAN_DT_F32:
        memcpy(out, r + k0 * 4, (size_t)len * 4);
        return;
    case TITAN_DT_F16:
        for (int64_t i = 0; i < len; i++) out[i] = half_to_float(load_u16(r + (k0 + i) * 2));
        return;
    case TITAN_DT_BF16:
        for (int64_t i = 0; i < len; i++) out[i] = bf16_to_float(load_u16(r + (k0 + i) * 2));
        return;
    case TITAN_DT_INT8:
        for (int64_t i = 0; i < len; i++) out[i] = (float)(int8_t)r[k0 + i];
        break;
    case TITAN_DT_INT6:
        for (int64_t i = 0; i < len; i++) out[i] = (float)int6_at(r, k0 + i);
        break;
    default:
        for (int64_t i = 0; i < len; i++) out[i] = NAN;
        return;
    }
    int64_t gs = w->group_size ? w->group_size : w->cols;
    int64_t groups = (w->cols + gs - 1) / gs;
    const float *scales = w->scales + row * groups;
    for (int64_t i = 0; i < len;) { /* one run per scale group */
        int64_t g = (k0 + i) / gs, end = (g + 1) * gs - k0;
        if (end > len) end = len;
        for (; i < end; i++) out[i] *= scales[g];
    }
}

void titan_pack_x(const float *x, int64_t K, int t0, int nt, int64_t k0,
                  int kc, int mr, float *xp) {
    int tiles = (nt + mr - 1) / mr;
    for (int j = 0; j < tiles; j++) {
        float *tile = xp + (size_t)j * kc * mr;
        for (int m = 0; m < mr; m++) {
            int t = j * mr + m;
            const float *src = x + (int64_t)(t0 + t) * K + k0;
            for (int k = 0; k < kc; k++)
                tile[k * mr + m] = t < nt ? src[k] : 0.0f;
        }
    }
}

void titan_pack_w(const titan_tensor *w, int64_t n, int rows, int nr,
                  int64_t k0, int kc, float *tmp_row, float *panel) {
    for (int r = 0; r < nr; r++) {
        if (r < rows) titan_weights_dequant(w, n + r, k0, kc, tmp_row);
        for (int k = 0; k < kc; k++)
            panel[k * nr + r] = r < rows ? tmp_row[k] : 0.0f;
    }
}
