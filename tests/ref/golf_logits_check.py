#!/usr/bin/python3
"""golf_logits_check.py TITAN DIR (run by tests/e2e/golf_logits.sh): the
runtime's logits of every head against the PyTorch reference of SPEC section 8
(tests/ref/golf_ref.py), for small configs that switch each option on alone and
all of them together, on gqa and mla attention, and for the two record presets
shrunk. Gated DeltaNet blocks with each gdn_* option: conv kernel 0 to 4, SiLU
or ELU+1, gated RMSNorm or the gate only, Hv a multiple of Hk, Dk != Dw (the
cpu backend runs the chunked form over the 80 tokens, ref the recurrence).

Each config runs with golf_ref's init_weights packed by `titan pack --quant
f32` (every gain, gate, sink and scale distinct), and the plain, all-options
and preset configs also with `titan init --config`'s weights (norm-role
tensors all 1, as a user's first artifact has them); either artifact is exported with
`titan export` and golf_ref's forward (float64) reads those exact float32
values. `titan logits --head K` on the cpu (2 threads) and ref backends must
match it within 1e-4 relative (max |diff| / max |ref| over the head's [T, V]);
a NaN anywhere fails. Prints one line per config with its worst error."""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import artifact_ref  # noqa: E402
import golf_ref  # noqa: E402
import safetensors_ref  # noqa: E402

TOL = 1e-4
T_IDS = 80  # two position blocks, five query blocks

GQA = dict(vocab_size=300, d_model=32, n_heads=4, n_kv_heads=2, head_dim=8, v_head_dim=6,
           rope_dim=4, q_latent=0, kv_latent=0, mlp_hidden=40, conv_kernel=2,
           n_unique_blocks=4, n_recurrences=2, max_seq_len=128, rope_base=10000.0,
           yarn_factor=1.0, yarn_orig_ctx=128, yarn_beta_fast=32.0, yarn_beta_slow=1.0,
           mtp_heads=2, mtp_weights=[1.0, 0.3], norm_eps=1e-5, logit_softcap=0.0,
           attention="gqa")
MLA = dict(GQA, q_latent=12, kv_latent=10, attention="mla")

# Each option alone (name, fields, kinds it applies to).
ALONE = [
    ("plain", {}, "gqa mla"),
    ("rope_whole_head", {"rope_dim": 8}, "gqa"),
    ("rope_none_yarn", {"rope_dim": 0, "yarn_factor": 4.0}, "gqa"),
    ("yarn", {"yarn_factor": 4.0, "yarn_orig_ctx": 32}, "gqa mla"),
    ("qk_norm", {"qk_norm": True}, "gqa mla"),
    ("q_gain", {"q_gain": True}, "gqa mla"),
    ("relu2", {"mlp_act": "relu2"}, "gqa mla"),
    ("leaky_relu2", {"mlp_act": "leaky_relu2", "leaky_slope": 0.3}, "gqa mla"),
    ("parallel_residual", {"parallel_residual_from": 2}, "gqa mla"),
    ("ln_scale", {"ln_scale": True}, "gqa mla"),
    ("xsa", {"xsa_layers": [1, 3]}, "gqa mla"),
    ("bigram", {"bigram_hash": {"buckets": 37, "dim": 8}}, "gqa mla"),
    ("bigram_no_proj", {"bigram_hash": {"buckets": 64, "dim": 32}}, "gqa"),
    ("value_embed", {"value_embed": {"dim": 5, "layers": [0, 2]}}, "gqa mla"),
    ("value_embed_no_proj", {"value_embed": {"dim": 12, "layers": [1]}}, "gqa mla"),
    ("sink_key", {"attn_sink": "key"}, "gqa mla"),
    ("sink_logit", {"attn_sink": "logit"}, "gqa mla"),
    ("smear_gate", {"smear_gate": True}, "gqa mla"),
    ("emb_norm", {"emb_norm": True}, "gqa mla"),
    ("resid_mix", {"resid_mix": True}, "gqa mla"),
    ("branch_scale", {"branch_scale": True}, "gqa mla"),
    ("layer_schedule", {"layer_schedule": [0, 1, 2, 1, 2, 3, 3]}, "gqa mla"),
    ("mirror", {"unet_skips": "mirror"}, "gqa mla"),
    ("mirror_gated", {"unet_skips": "mirror", "skip_gates": True}, "gqa mla"),
    ("mirror_blocks", {"unet_skips": "mirror_blocks",
                       "layer_schedule": [0, 1, 0, 1, 2, 3, 2]}, "gqa mla"),
    ("mirror_blocks_gated", {"unet_skips": "mirror_blocks", "skip_gates": True,
                             "layer_schedule": [0, 1, 0, 1, 2, 3, 2]}, "gqa mla"),
    ("gdn", {"gdn_layers": [1]}, "gqa mla"),  # Hk = H, conv 4, SiLU, gated RMSNorm
    ("gdn_conv0_elu1", {"gdn_layers": [1, 2], "gdn_conv_kernel": 0, "gdn_qk_act": "elu1"},
     "gqa"),
    ("gdn_conv1", {"gdn_layers": [1], "gdn_conv_kernel": 1}, "gqa"),
    ("gdn_conv2_gate_only", {"gdn_layers": [1], "gdn_conv_kernel": 2, "gdn_out_norm": False},
     "gqa mla"),
    ("gdn_conv3_hv_3hk", {"gdn_layers": [0, 3], "gdn_heads": 2, "gdn_v_heads": 6,
                          "gdn_head_dim": 5, "gdn_v_head_dim": 7, "gdn_conv_kernel": 3},
     "gqa"),
    ("gdn_schedule", {"gdn_layers": [2], "gdn_v_heads": 8,
                      "layer_schedule": [0, 1, 2, 1, 2, 3, 3]}, "gqa"),
]

EVERYTHING = {
    "layer_schedule": [0, 1, 2, 1, 2, 3, 2, 3], "qk_norm": True, "q_gain": True,
    "mlp_act": "leaky_relu2", "leaky_slope": 0.4, "parallel_residual_from": 2,
    "ln_scale": True, "xsa_layers": [2, 3], "bigram_hash": {"buckets": 29, "dim": 6},
    "value_embed": {"dim": 7, "layers": [1, 3]}, "smear_gate": True, "emb_norm": True,
    "resid_mix": True, "branch_scale": True, "yarn_factor": 2.0, "logit_softcap": 12.0,
}
TOGETHER = [
    ("all_gated_key_gdn", dict(EVERYTHING, attn_sink="key", unet_skips="mirror",
                               skip_gates=True, gdn_layers=[0], gdn_heads=2, gdn_v_heads=4,
                               gdn_conv_kernel=2, gdn_qk_act="elu1", gdn_out_norm=False)),
    ("all_additive_logit", dict(EVERYTHING, attn_sink="logit", unet_skips="mirror_blocks",
                                layer_schedule=[0, 1, 0, 1, 2, 3, 2, 3])),
]

SHRINK = dict(vocab_size=300, d_model=48, n_heads=4, n_kv_heads=2, head_dim=12,
              v_head_dim=12, rope_dim=4, mlp_hidden=96, max_seq_len=128, yarn_orig_ctx=128)
PRESETS = [
    ("golf-1.1531_shrunk", dict(golf_ref.GOLF_1_1531, **SHRINK,
                                bigram_hash={"buckets": 97, "dim": 16},
                                value_embed={"dim": 16, "layers": [9, 10]})),
    ("golf-1.0785_shrunk", dict(golf_ref.GOLF_1_0785, **SHRINK)),
]


def titan(*args):
    subprocess.run([TITAN, *map(str, args)], check=True, stdout=subprocess.DEVNULL)


def rel_err(got, want):
    scale = np.abs(want).max()
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(want))) or not scale > 0:
        return float("nan")
    return float(np.abs(got - want).max() / scale)


def golf_ref_weights(cfg, path):
    """golf_ref's init_weights as a float32 safetensors file."""
    W = golf_ref.init_weights(cfg, seed=3)
    safetensors_ref.write(path, [(n, "F32", list(W[n].shape), W[n].numpy())
                                 for n, _ in golf_ref.tensor_specs(cfg)], None)


def check_artifact(art, cfg, tag, ids_path, ids):
    """Worst relative error over every head and both backends."""
    st = os.path.join(DIR, tag + ".st")
    titan("export", art, "--safetensors", st)
    W = golf_ref.read_safetensors(st)
    want = [h.numpy() for h in golf_ref.forward(W, cfg, ids)]
    V, worst = cfg["vocab_size"], 0.0
    for k, ref in enumerate(want, start=1):
        for be in ("cpu", "ref"):
            out = os.path.join(DIR, "%s.%d.%s" % (tag, k, be))
            titan("logits", "-m", art, "--ids", ids_path, "--head", k, "--out", out,
                  "--backend", be, "--threads", 2)
            got = np.fromfile(out, "<f4").reshape(len(ids), V)
            e = rel_err(got.astype(np.float64), ref)
            worst = e if np.isnan(e) or np.isnan(worst) else max(worst, e)
    return worst


def check(name, cfg, ids_path, ids, with_init):
    """golf_ref's weights packed; with_init: titan init's too."""
    cfg_path = os.path.join(DIR, name + ".json")
    json.dump(cfg, open(cfg_path, "w"))
    errs = []
    if with_init:
        a = os.path.join(DIR, name + ".init.tart")
        titan("init", "--config", cfg_path, "--seed", 7, "-o", a)
        errs.append(("init", check_artifact(a, cfg, name + ".init", ids_path, ids)))
    st, b = os.path.join(DIR, name + ".w.st"), os.path.join(DIR, name + ".pack.tart")
    golf_ref_weights(cfg, st)
    titan("pack", "--safetensors", st, "--config", cfg_path, "--tokenizer", TOK, "--quant",
          "f32", "-o", b)
    errs.append(("golf_ref weights", check_artifact(b, cfg, name + ".pack", ids_path, ids)))
    ok = all(e <= TOL for _, e in errs)  # False for NaN
    print("%-4s %-40s max rel err %s" % ("ok" if ok else "FAIL", name,
                                          ", ".join("%.3g (%s)" % (e, w) for w, e in errs)))
    return ok


def main():
    global TITAN, DIR, TOK
    TITAN, DIR = sys.argv[1], sys.argv[2]
    TOK = os.path.join(DIR, "byte.tok")
    open(TOK, "wb").write(artifact_ref.byte_tokenizer())
    rng = np.random.default_rng(5)
    ids = [int(x) for x in rng.integers(0, 300, T_IDS)]
    ids[10:14] = ids[20:24]  # a repeated bigram
    ids_path = os.path.join(DIR, "ids")
    open(ids_path, "w").write(" ".join(map(str, ids)) + "\n")
    configs = []  # (name, config, also with titan init's weights)
    for name, fields, kinds in ALONE:
        for kind in kinds.split():
            configs.append(("%s_%s" % (kind, name),
                            dict(GQA if kind == "gqa" else MLA, **fields), name == "plain"))
    for name, fields in TOGETHER:
        configs += [("gqa_" + name, dict(GQA, **fields), True),
                    ("mla_" + name, dict(MLA, **fields), True)]
    configs += [(name, cfg, True) for name, cfg in PRESETS]
    results = [check(name, cfg, ids_path, ids, init) for name, cfg, init in configs]
    print("%d of %d checks ok" % (sum(results), len(results)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
