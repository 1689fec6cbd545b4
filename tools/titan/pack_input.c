/* pack_input.c: a trainer checkpoint as pack input (read and validated by
 * formats/checkpoint.c). */
#include "formats/checkpoint.h"
#include "tools/titan/pack_input.h"

titan_status pack_input_from_ckpt(titan_arena *a, const char *path, const char *weights,
                                  pack_input *out) {
    titan_ckpt ck;
    TITAN_TRY(titan_ckpt_load(a, path, &ck));
    titan_ckpt_set k;
    TITAN_TRY(titan_ckpt_pick_weights(&ck, path, weights, &k));
    *out = (pack_input){
        ck.st, ck.meta.config, ck.meta.tok, ck.meta.tok_len, titan_ckpt_prefix(k), NULL,
        0};
    return TITAN_OK;
}
