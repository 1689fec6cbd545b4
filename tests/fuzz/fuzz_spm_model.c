/* fuzz_spm_model.c: libFuzzer target for SentencePiece .model files. Any
 * input is accepted or refused with TITAN_E_DATA; an accepted model keeps the
 * byte-table invariants and stays within titan_spm_plan. */
#include <stdint.h>
#include <stdlib.h>

#include "titan.h"

static _Alignas(64) uint8_t arena_buf[1 << 22];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    const titan_spm *spm;
    titan_status s = titan_spm_load(&a, data, size, &spm);
    if (s == TITAN_E_DATA ||
        (s == TITAN_E_NOMEM && titan_spm_plan(size) > sizeof arena_buf))
        return 0;
    if (s != TITAN_OK || a.used > titan_spm_plan(size)) abort();
    for (int32_t i = 0; i < spm->n_pieces; i++) {
        uint8_t t = spm->type[i], f = spm->bytes.flags[i];
        int boundary = t == TITAN_SPM_CONTROL || t == TITAN_SPM_UNKNOWN;
        if (spm->bytes.base[i] != spm->offset[i + 1] - spm->offset[i] ||
            !!(f & TITAN_BYTES_BOUNDARY) != boundary ||
            (t == TITAN_SPM_BYTE && spm->bytes.base[i] != 1) ||
            ((f & TITAN_BYTES_SPACE) && t != TITAN_SPM_NORMAL &&
             t != TITAN_SPM_USER_DEFINED))
            abort();
    }
    return 0;
}
