/* bench_int6_layout.c: how small each way of storing an artifact's int6
 * values compresses, so the int6 layout is chosen by measurement (SPEC
 * section 4). The tensor data section is rebuilt as the writer lays it out
 * (tensors 64-byte aligned, values then scales), with the values of every
 * int6/int6b tensor as:
 *   packed      bit-packed int6, 4 values in 3 bytes (titan's int6)
 *   packed-shuf the same, byte k of every 3-byte group gathered (3 planes)
 *   byte        one int8 per value (titan's int6b)
 *   byte-T      one per byte, the tensor transposed (column-major)
 *   byte-bits   one per byte, bit-shuffled: 6 planes, bit b of every value
 *   byte-zz     one per byte, zigzag coded (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...)
 * each encoded whole with raw LZMA2 (as the artifact) and Brotli. The
 * Shannon entropy of the int6 values is the limit for independent values.
 *   bench_int6_layout [ART]   (default: the shipped tools/data/model/nano.tart) */
#include "formats/codec.h"
#include "quant/quant.h"
#include "tools/cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PACKED, PACKED_SHUF, BYTE, BYTE_T, BYTE_BITS, BYTE_ZZ, N_VARIANTS };
static const char *const variant_names[N_VARIANTS] = {"packed", "packed-shuf", "byte",
                                                      "byte-T", "byte-bits",   "byte-zz"};

static bool is_int6(const titan_tensor *t) {
    return t->dtype == TITAN_DT_INT6 || t->dtype == TITAN_DT_INT6_BYTE;
}

static int value(const titan_tensor *t, int64_t r, int64_t c) {
    size_t rb = titan_dtype_row_bytes(t->dtype, t->cols);
    return titan_quant_get(t->dtype, (const uint8_t *)t->data + (size_t)r * rb, c);
}

/* The values of int6 tensor t stored as variant v at out; returns bytes. */
static size_t int6_values(const titan_tensor *t, int v, uint8_t *out) {
    int64_t R = t->rows, C = t->cols, n = R * C;
    size_t rb = titan_dtype_row_bytes(TITAN_DT_INT6, C);
    if (v == PACKED || v == PACKED_SHUF) {
        memset(out, 0, rb * (size_t)R);
        for (int64_t r = 0; r < R; r++)
            for (int64_t c = 0; c < C; c++)
                titan_int6_set(out + (size_t)r * rb, c, value(t, r, c));
        if (v == PACKED_SHUF) {
            size_t len = rb * (size_t)R, groups = len / 3;
            uint8_t *tmp = malloc(len);
            for (size_t g = 0; g < groups; g++)
                for (int k = 0; k < 3; k++) tmp[k * groups + g] = out[3 * g + (size_t)k];
            memcpy(out, tmp, len);
            free(tmp);
        }
        return rb * (size_t)R;
    }
    memset(out, 0, (size_t)n);
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) {
            int q = value(t, r, c);
            if (v == BYTE)
                out[r * C + c] = (uint8_t)q;
            else if (v == BYTE_T)
                out[c * R + r] = (uint8_t)q;
            else if (v == BYTE_ZZ)
                out[r * C + c] = (uint8_t)(q >= 0 ? 2 * q : -2 * q - 1);
            else /* BYTE_BITS: plane b holds bit b of the 6-bit code, 8 per byte */
                for (int b = 0; b < 6; b++)
                    if ((q & 63) >> b & 1) {
                        int64_t i = (int64_t)b * n + r * C + c;
                        out[i / 8] |= (uint8_t)(1u << (i % 8));
                    }
        }
    return v == BYTE_BITS ? (size_t)(6 * n + 7) / 8 : (size_t)n;
}

/* The data section with int6 values as variant v; *len its size (NULL
 * without memory). */
static uint8_t *build_section(const titan_artifact *art, int v, size_t *len) {
    uint8_t *d = calloc(art->data_raw_bytes * 3 + 4096, 1), *at = d;
    for (int i = 0; d && i < art->n_tensors; i++) {
        const titan_tensor *t = &art->tensors[i];
        titan_tensor_layout_t l;
        if (titan_tensor_layout(t->dtype, t->rows, t->cols, t->group_size, &l)) {
            free(d); /* a loaded tensor's layout is valid: never here */
            return NULL;
        }
        size_t n = l.value_bytes;
        if (is_int6(t))
            n = int6_values(t, v, at);
        else
            memcpy(at, t->data, n);
        at += (n + TITAN_ALIGN - 1) & ~(size_t)(TITAN_ALIGN - 1);
        if (l.groups) memcpy(at, t->scales, l.scale_bytes);
        at += (l.scale_bytes + TITAN_ALIGN - 1) & ~(size_t)(TITAN_ALIGN - 1);
    }
    if (d) *len = (size_t)(at - d);
    return d;
}

static size_t encoded(titan_codec codec, const uint8_t *d, size_t len) {
    size_t cap = titan_codec_bound(codec, len), out = 0;
    uint8_t *buf = malloc(cap);
    titan_status st =
        buf ? titan_codec_encode(codec, d, len, buf, cap, &out) : TITAN_E_NOMEM;
    free(buf);
    return st == TITAN_OK ? out : 0;
}

/* Shannon entropy of all int6 values, in bytes. */
static double entropy_bytes(const titan_artifact *art, uint64_t *count) {
    uint64_t hist[64] = {0};
    *count = 0;
    for (int i = 0; i < art->n_tensors; i++) {
        const titan_tensor *t = &art->tensors[i];
        if (!is_int6(t)) continue;
        for (int64_t r = 0; r < t->rows; r++)
            for (int64_t c = 0; c < t->cols; c++) hist[value(t, r, c) + 32]++;
        *count += (uint64_t)(t->rows * t->cols);
    }
    double bits = 0;
    for (int k = 0; k < 64; k++)
        if (hist[k]) bits -= (double)hist[k] * log2((double)hist[k] / (double)*count);
    return bits / 8;
}

int main(int argc, char **argv) {
    if (argc > 2) return cli_usage("bench_int6_layout", "one artifact at most");
    const char *path = argc == 2 ? argv[1] : "tools/data/model/nano.tart";
    titan_arena a;
    titan_artifact art;
    if (cli_arena_create(&a, (size_t)1 << 31) != TITAN_OK) return 1;
    titan_status st = titan_artifact_load(&a, path, &art);
    if (st != TITAN_OK) {
        cli_arena_destroy(&a);
        return cli_fail("bench_int6_layout", st);
    }
    uint64_t n;
    double h = entropy_bytes(&art, &n);
    printf("{\"artifact\": \"%s\", \"int6_values\": %llu, \"int6_entropy_bytes\": %.0f, "
           "\"variants\": [",
           path, (unsigned long long)n, h);
    for (int v = 0; v < N_VARIANTS; v++) {
        size_t len;
        uint8_t *d = build_section(&art, v, &len);
        if (!d) return cli_fail("bench_int6_layout", TITAN_E_NOMEM);
        printf("%s\n  {\"layout\": \"%s\", \"raw\": %zu, \"lzma\": %zu, \"brotli\": %zu}",
               v ? "," : "", variant_names[v], len, encoded(TITAN_CODEC_LZMA, d, len),
               encoded(TITAN_CODEC_BROTLI, d, len));
        fflush(stdout);
        free(d);
    }
    printf("]}\n");
    cli_arena_destroy(&a);
    return 0;
}
