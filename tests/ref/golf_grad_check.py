#!/usr/bin/python3
"""golf_grad_check.py: `titan-train grad` on SPEC section-8 configs against PyTorch
autograd through the independent reference golf_ref.py. For a few option sets
(everything on with gqa and with mla, the record 1.1531 shape scaled down, the
record 1.0785 options without and with its GDN blocks, and GDN blocks with each
other gdn_* option) it writes golf_ref.init_weights as
float32, runs the C trainer, and requires the loss and every tensor's gradient to
agree to 1e-4 relative (max |c - t| / max |t| per tensor; NaN fails;
train_grad_check.compare). The reference runs in float64 on the same float32
weights. Exits 1 on any mismatch.

usage: golf_grad_check.py TITAN_TRAIN WORKDIR
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golf_ref  # noqa: E402
import train_grad_check  # noqa: E402

S1 = {
    "vocab_size": 61, "d_model": 32, "n_heads": 4, "n_kv_heads": 2, "head_dim": 8,
    "v_head_dim": 6, "rope_dim": 4, "q_latent": 0, "kv_latent": 0, "mlp_hidden": 40,
    "conv_kernel": 0, "n_unique_blocks": 4, "n_recurrences": 1, "max_seq_len": 64,
    "rope_base": 10000.0, "yarn_factor": 1.0, "yarn_orig_ctx": 64, "yarn_beta_fast": 32.0,
    "yarn_beta_slow": 1.0, "mtp_heads": 2, "mtp_weights": [1.0, 0.3], "norm_eps": 1e-5,
    "logit_softcap": 15.0, "bos_id": 0,
}
# Everything but GDN, attention gqa (partial RoPE 4 of 8 dims), mirror_blocks.
GQA_ALL = dict(
    S1, attention="gqa", layer_schedule=[0, 1, 2, 1, 2, 3], recurrence_start_frac=0.5,
    qk_norm=True, q_gain=True, mlp_act="leaky_relu2", leaky_slope=0.5,
    parallel_residual_from=2, ln_scale=True, xsa_layers=[1, 3],
    bigram_hash={"buckets": 37, "dim": 12}, value_embed={"dim": 10, "layers": [0, 2]},
    attn_sink="key", smear_gate=True, emb_norm=True, resid_mix=True, branch_scale=True,
    unet_skips="mirror_blocks")
# Everything but GDN on MLA blocks (query latent, conv ignored by relu2, YaRN):
# gated mirror skips, the sink logit, tables without projections.
MLA_ALL = dict(
    S1, q_latent=12, kv_latent=10, conv_kernel=3, yarn_factor=4.0, yarn_orig_ctx=16,
    n_unique_blocks=3, layer_schedule=[0, 1, 2, 1, 2, 0], mtp_heads=3,
    mtp_weights=[1.0, 0.3, 0.1], qk_norm=True, q_gain=True, mlp_act="relu2",
    parallel_residual_from=1, ln_scale=True, xsa_layers=[0, 2],
    bigram_hash={"buckets": 16, "dim": 32}, value_embed={"dim": 12, "layers": [1, 2]},
    attn_sink="logit", smear_gate=True, emb_norm=True, resid_mix=True, branch_scale=True,
    unet_skips="mirror", skip_gates=True)
# golf-1.1531's options on a small shape (11 blocks, the record's schedule).
G1531 = dict(golf_ref.GOLF_1_1531, vocab_size=64, d_model=32, n_heads=4, n_kv_heads=2,
             head_dim=8, v_head_dim=8, rope_dim=4, mlp_hidden=48, max_seq_len=64,
             yarn_orig_ctx=64, bos_id=0, bigram_hash={"buckets": 64, "dim": 16},
             value_embed={"dim": 8, "layers": [9, 10]})
# golf-1.0785's options without its GDN blocks (attention sink key, gated mirror).
G0785 = dict(golf_ref.GOLF_1_0785, vocab_size=64, d_model=32, n_heads=4, n_kv_heads=2,
             head_dim=8, v_head_dim=8, rope_dim=4, mlp_hidden=48, max_seq_len=64,
             yarn_orig_ctx=64, bos_id=0, gdn_layers=[])
# golf-1.0785 whole: GDN blocks 0, 1 and 10 (Hv = 2 Hk, conv 2, ELU+1, gate only).
G0785_GDN = dict(G0785, gdn_layers=[0, 1, 10], gdn_heads=2, gdn_v_heads=4,
                 gdn_head_dim=8, gdn_v_head_dim=8, max_seq_len=128)
# GDN with SPEC's defaults (Hk = H, Kc 4, SiLU, gated RMSNorm) in everything-on
# gqa (block 3 is GDN, so XSA keeps block 1), and conv 0 / conv 1 with Dk != Dw
# and Hv = 3 Hk on MLA blocks (block 1, repeated in the schedule).
GQA_GDN = dict(GQA_ALL, xsa_layers=[1], gdn_layers=[3])
MLA_GDN0 = dict(MLA_ALL, xsa_layers=[0], value_embed={"dim": 12, "layers": [2]},
                gdn_layers=[1], gdn_conv_kernel=0, gdn_out_norm=False)
MLA_GDN1 = dict(MLA_GDN0, gdn_conv_kernel=1, gdn_heads=1, gdn_v_heads=3, gdn_head_dim=5,
                gdn_v_head_dim=7, gdn_qk_act="elu1", gdn_out_norm=True, max_seq_len=128)
# Section 1 through golf_ref (every section-8 field at its default).
PLAIN = dict(S1, q_latent=12, kv_latent=10, conv_kernel=3, n_recurrences=2)
CASES = [("gqa_all", GQA_ALL, 24), ("mla_all", MLA_ALL, 20), ("g1531", G1531, 32),
         ("g0785", G0785, 32), ("g0785_gdn", G0785_GDN, 80), ("gqa_gdn", GQA_GDN, 24),
         ("mla_gdn_conv0", MLA_GDN0, 20), ("mla_gdn_conv1", MLA_GDN1, 70),
         ("section1", PLAIN, 16)]


def check(train, work, name, cfg, T):
    rng = np.random.default_rng(len(name) * 1000 + T)
    W = {k: v.numpy().astype(np.float32)
         for k, v in golf_ref.init_weights(cfg, seed=len(name) + T).items()}
    ids = rng.integers(0, cfg["vocab_size"], T)
    return train_grad_check.compare(train, work, name, W, cfg, ids.tolist(), golf_ref.loss)


if __name__ == "__main__":
    sys.exit(train_grad_check.main(sys.argv[1:], CASES, check))
