/* fuzz_checkpoint.c: libFuzzer target for the trainer checkpoint reader
 * (formats/checkpoint.c). Any input must parse or be refused without a
 * sanitizer report; what parses must write back with titan_ckpt_write and
 * parse again to the same metadata and tensor values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/checkpoint.h"

#define MAX_VALUES (1 << 16) /* larger checkpoints are parsed, not written back */

static _Alignas(64) uint8_t arena_buf[64 << 20];
static float values[MAX_VALUES];
static uint8_t out_buf[1 << 20];

/* Every tensor of the sets kept, as float32 in `values`; 0 if too large. */
static int to_floats(const titan_ckpt *ck,
                     float *sets[TITAN_CKPT_SETS][TITAN_MAX_TENSORS]) {
    size_t used = 0;
    for (int k = 0; k < TITAN_CKPT_SETS; k++)
        for (int i = 0; i < ck->n_tensors; i++) {
            const titan_st_tensor *t = titan_ckpt_tensor(ck, (titan_ckpt_set)k, i);
            sets[k][i] = values + used;
            if (!t) continue;
            if (t->n_elems > MAX_VALUES - used) return 0;
            if (titan_safetensors_to_f32(t, values + used, MAX_VALUES - used)) abort();
            used += t->n_elems;
        }
    return 1;
}

static void same_meta(const titan_ckpt_meta *a, const titan_ckpt_meta *b) {
    if (a->export_set != b->export_set || a->step != b->step ||
        a->swa_count != b->swa_count || a->rng != b->rng || a->data_pos != b->data_pos ||
        a->qat_on != b->qat_on || a->tok_len != b->tok_len ||
        (a->tok_len && memcmp(a->tok, b->tok, a->tok_len)))
        abort();
}

static void write_back(const titan_ckpt *ck) {
    static float *sets[TITAN_CKPT_SETS][TITAN_MAX_TENSORS];
    if (!to_floats(ck, sets)) return;
    float *const *kept[TITAN_CKPT_SETS];
    for (int k = 0; k < TITAN_CKPT_SETS; k++) kept[k] = ck->has[k] ? sets[k] : NULL;
    uint8_t *top = arena_buf + sizeof arena_buf / 2;
    titan_arena scratch, a;
    titan_arena_init(&scratch, top, titan_ckpt_write_scratch(ck->meta.tok_len));
    size_t len;
    if (titan_ckpt_write(&scratch, &ck->meta, kept, out_buf, sizeof out_buf, &len))
        return; /* larger than out_buf */
    titan_arena_init(&a, top + scratch.cap, sizeof arena_buf / 2 - scratch.cap);
    titan_ckpt back;
    if (titan_ckpt_parse(&a, out_buf, len, &back) != TITAN_OK) abort();
    same_meta(&ck->meta, &back.meta);
    for (int k = 0; k < TITAN_CKPT_SETS; k++)
        for (int i = 0; i < ck->n_tensors; i++) {
            const titan_st_tensor *t = titan_ckpt_tensor(ck, (titan_ckpt_set)k, i);
            const titan_st_tensor *u = titan_ckpt_tensor(&back, (titan_ckpt_set)k, i);
            if (!t != !u || (t && memcmp(t->data, u->data, t->nbytes))) abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf / 2);
    titan_ckpt ck;
    titan_status s = titan_ckpt_parse(&a, data, size, &ck);
    if (s == TITAN_OK)
        write_back(&ck);
    else if (s != TITAN_E_DATA && s != TITAN_E_UNSUPPORTED && s != TITAN_E_NOMEM)
        abort();
    return 0;
}
