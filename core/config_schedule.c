/* config_schedule.c: the effective layer order of SPEC section 8 (the layer
 * schedule, its training prefix S') and the encoder-to-decoder skips on it. */
#include "core/config_fields.h"

int titan_config_schedule(const titan_config *c, bool shortened, int32_t *out, int cap) {
    int n = 0;
    bool seen[TITAN_MAX_BLOCKS] = {false};
    int full = c->layer_schedule_len ? c->layer_schedule_len
                                     : c->n_unique_blocks * c->n_recurrences;
    for (int l = 0; l < full; l++) {
        int b = c->layer_schedule_len ? c->layer_schedule[l] : l % c->n_unique_blocks;
        if (b < 0 || b >= TITAN_MAX_BLOCKS || (shortened && seen[b])) continue;
        seen[b] = true;
        if (n < cap) out[n] = b;
        n++;
    }
    return n;
}

int titan_config_block_uses(const titan_config *c, int b) {
    int32_t S[TITAN_MAX_LAYERS];
    int n = titan_config_schedule(c, false, S, TITAN_MAX_LAYERS), uses = 0;
    for (int l = 0; l < n && l < TITAN_MAX_LAYERS; l++) uses += S[l] == b;
    return uses;
}

int titan_config_skip_rows(const titan_config *c) {
    switch (c->unet_skips) {
    case TITAN_SKIPS_MIRROR: return titan_config_schedule(c, false, NULL, 0) / 2;
    case TITAN_SKIPS_MIRROR_BLOCKS: return c->n_unique_blocks / 2;
    }
    return 0;
}

/* First effective layer of block b in S[0..n), or -1. */
static int first_use(const int32_t *S, int n, int b) {
    for (int l = 0; l < n; l++)
        if (S[l] == b) return l;
    return -1;
}

int titan_config_skips(const titan_config *c, const int32_t *S, int n, int32_t *src,
                       int32_t *dst, int cap) {
    int pairs = 0;
    if (c->unet_skips == TITAN_SKIPS_MIRROR) {
        int ne = n / 2;
        pairs = ne < n - ne ? ne : n - ne;
        for (int j = 0; j < pairs && j < cap; j++) src[j] = ne - 1 - j, dst[j] = ne + j;
    } else if (c->unet_skips == TITAN_SKIPS_MIRROR_BLOCKS) {
        int ne = c->n_unique_blocks / 2;
        pairs = ne;
        for (int j = 0; j < pairs && j < cap; j++) {
            src[j] = first_use(S, n, ne - 1 - j);
            dst[j] = first_use(S, n, ne + j);
        }
    }
    return pairs;
}

bool titan_config_lists(const int32_t *list, int len, int b) {
    for (int i = 0; i < len; i++)
        if (list[i] == b) return true;
    return false;
}

bool titan_config_is_gdn(const titan_config *c, int b) {
    return titan_config_lists(c->gdn_layers, c->gdn_layers_len, b);
}

titan_gdn_dims titan_config_gdn(const titan_config *c) {
    titan_gdn_dims g;
    g.heads = c->gdn_heads ? c->gdn_heads : c->n_heads;
    g.v_heads = c->gdn_v_heads ? c->gdn_v_heads : g.heads;
    g.head_dim = c->gdn_head_dim ? c->gdn_head_dim : c->head_dim;
    g.v_head_dim = c->gdn_v_head_dim ? c->gdn_v_head_dim : c->v_head_dim;
    return g;
}
