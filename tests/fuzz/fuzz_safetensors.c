/* fuzz_safetensors.c: libFuzzer target for the safetensors reader. Any input
 * must parse or be refused without a sanitizer report; what parses must
 * convert, re-serialize with the writer and parse back to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quant/half.h"
#include "titan.h"

#define MAX_VALUES (1 << 16) /* larger tensors are parsed, not round-tripped */

static _Alignas(64) uint8_t arena_buf[8 << 20];
static float values[MAX_VALUES], again[MAX_VALUES];
static uint8_t out_buf[1 << 20];

static int same_value(float a, float b) {
    if (a != a) return b != b; /* NaN payloads may be quieted */
    uint32_t x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    return x == y;
}

static void round_trip(const titan_safetensors *st) {
    titan_st_source src[64];
    size_t used = 0;
    int n = st->n_tensors;
    if (n > 64) return;
    for (int i = 0; i < n; i++) {
        const titan_st_tensor *t = &st->tensors[i];
        if (t->n_elems > MAX_VALUES - used) return;
        if (titan_safetensors_to_f32(t, values + used, MAX_VALUES - used)) abort();
        src[i] = (titan_st_source){
            .name = t->name, .dtype = t->dtype, .ndim = t->ndim, .data = values + used};
        memcpy(src[i].shape, t->shape, sizeof t->shape);
        used += t->n_elems;
    }
    size_t len;
    if (titan_safetensors_write(src, n, st->meta, st->n_meta, out_buf, sizeof out_buf,
                                &len))
        return; /* header too large for out_buf */
    titan_arena a;
    titan_arena_init(&a, arena_buf + sizeof arena_buf / 2, sizeof arena_buf / 2);
    titan_safetensors back;
    if (titan_safetensors_parse(&a, out_buf, len, &back) != TITAN_OK) abort();
    if (back.n_tensors != n || back.n_meta != st->n_meta) abort();
    for (int i = 0; i < n; i++) {
        const titan_st_tensor *t = &back.tensors[i];
        if (strcmp(t->name, src[i].name) || t->dtype != src[i].dtype ||
            t->ndim != src[i].ndim || titan_safetensors_to_f32(t, again, MAX_VALUES))
            abort();
        for (uint64_t j = 0; j < t->n_elems; j++)
            if (!same_value(src[i].data[j], again[j])) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf / 2);
    titan_safetensors st;
    titan_status s = titan_safetensors_parse(&a, data, size, &st);
    if (s == TITAN_OK)
        round_trip(&st);
    else if (s != TITAN_E_DATA && s != TITAN_E_UNSUPPORTED && s != TITAN_E_NOMEM)
        abort();
    return 0;
}
