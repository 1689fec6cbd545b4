/* attention_window.c: where SPEC section 9's bounded cache keeps a position
 * (global slots, then a ring of w) and which keys a query reads. */
#include "core/xenith.h"

int64_t titan_window_slot(int64_t j, int64_t Ng, int64_t w) {
    return j < Ng || w == 0 ? j : Ng + (j - Ng) % w;
}

int64_t titan_window_slots(int64_t ctx, int64_t Ng, int64_t w) {
    return w == 0 || Ng + w > ctx ? ctx : Ng + w;
}

bool titan_window_reads(int64_t t, int64_t j, int64_t Ng, int64_t w) {
    return j <= t && (j < Ng || w == 0 || t - j < w);
}
