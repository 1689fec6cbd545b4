/* xenith_tiny.h: the tiny xenith config of the trainer's unit tests: windows
 * 3 and unbounded, 2 global tokens, untied head, softcap 3, adapters of rank
 * 2 on every kind. A test changes what it needs (MoE, ties) after. */
#ifndef TITAN_TESTS_XENITH_TINY_H
#define TITAN_TESTS_XENITH_TINY_H

#include "titan.h"

static titan_config tiny(void) {
    titan_config c;
    titan_config_defaults(&c);
    c.family = TITAN_FAMILY_XENITH;
    c.vocab_size = 11, c.d_model = 8, c.n_heads = 4, c.n_kv_heads = 2, c.head_dim = 4;
    c.mlp_hidden = 6, c.max_seq_len = 64, c.n_layers = 2, c.bos_id = 0;
    c.attn_windows[0] = 3, c.attn_windows[1] = 0, c.attn_windows_len = 2;
    c.n_global_tokens = 2, c.tie_embeddings = false, c.logit_softcap = 3;
    c.lora_rank = 2, c.lora_alpha = 3;
    for (int k = 0; k < TITAN_LORA_KINDS; k++) c.lora_targets[k] = k;
    c.lora_targets_len = TITAN_LORA_KINDS;
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    return c;
}

#endif
