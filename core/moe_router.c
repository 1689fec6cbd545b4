/* moe_router.c: top-k routing of SPEC section 9 (ties to the lower index,
 * deterministic on every backend), gates in double. */
#include "core/xenith.h"

#include <math.h>

/* e ranks before f: the larger logit, equal logits by the lower index; NaN
 * after every number. */
static bool ranks_before(const float *z, int e, int f) {
    if (isnan(z[e]) || isnan(z[f])) return !isnan(z[e]) || (isnan(z[f]) && e < f);
    return z[e] > z[f] || (z[e] == z[f] && e < f);
}

void titan_moe_route(const float *z, int E, int k, bool renormalize, int32_t *idx,
                     float *gate) {
    /* insertion into the k best so far: E is small and k smaller */
    int n = 0;
    for (int e = 0; e < E; e++) {
        int at = n < k ? n : k;
        while (at > 0 && ranks_before(z, e, idx[at - 1])) at--;
        if (at >= k) continue;
        for (int i = (n < k ? n : k - 1); i > at; i--) idx[i] = idx[i - 1];
        idx[at] = e;
        if (n < k) n++;
    }
    double top = z[idx[0]], sum = 0;
    for (int e = 0; e < (renormalize ? 0 : E); e++) sum += exp((double)z[e] - top);
    for (int i = 0; i < (renormalize ? k : 0); i++) sum += exp((double)z[idx[i]] - top);
    for (int i = 0; i < k; i++) gate[i] = (float)(exp((double)z[idx[i]] - top) / sum);
}
