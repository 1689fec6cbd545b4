#!/usr/bin/python3
"""golf_ref_selftest.py: the self-checks of golf_ref.py (run by `golf_ref.py
--self-test` and tests/e2e/golf_ref_selftest.sh). Each check prints its numbers;
run() returns 1 if any failed. Every comparison is written `not (err <= tol)` so
that NaN fails.

Checks:
  presets      golf-1.1531 = 27,005,532 parameters in 144 tensors, golf-1.0785 =
               35,908,184 in 150
  s1_order     with section-8 defaults the tensor list is section 1's
               (train_grad_check.tensor_shapes)
  defaults     section-8 defaults (absent, null, 0 for gdn widths, explicit) give
               titan_ref.py's logits and loss (max abs diff < 1e-12, float64)
  validation   invalid configs raise ValueError, valid edge cases pass
  bigram       the hash on hand-worked values
  skips        mirror / mirror_blocks pairings and S' on hand-worked schedules
  attention    the attention block vs a per-token numpy loop (1e-12)
  gdn          the recurrence and the whole GDN mixer vs a numpy chunked WY
               formulation, several chunk sizes (1e-10)
  causality    logits at t unchanged when later tokens change (every option on)
  schedule     step_frac < recurrence_start_frac equals an explicit S' schedule
  batch        [N, T] ids equal N single sequences
  gradients    autograd of loss vs 4-point central differences (rel err < 1e-6)
  cli          the CLI on a safetensors file and nested config JSON
"""
import contextlib
import io
import json
import math
import os
import sys
import tempfile
import traceback

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golf_ref as G  # noqa: E402
import titan_ref  # noqa: E402

torch.set_default_dtype(torch.float64)

# --- tiny configs with (nearly) every option on, in three complementary sets ---
CFG_A = {  # gqa, leaky_relu2, mirror_blocks + gates, sink key, GDN elu1 Kc=2 no out-norm
    "vocab_size": 13, "d_model": 8, "n_heads": 4, "n_kv_heads": 2, "head_dim": 4,
    "v_head_dim": 3, "rope_dim": 2, "q_latent": 0, "kv_latent": 0, "mlp_hidden": 10,
    "conv_kernel": 2, "n_unique_blocks": 4, "n_recurrences": 1, "max_seq_len": 64,
    "rope_base": 10000.0, "yarn_factor": 4.0, "yarn_orig_ctx": 8, "yarn_beta_fast": 32.0,
    "yarn_beta_slow": 1.0, "mtp_heads": 2, "mtp_weights": [1.0, 0.5], "norm_eps": 1e-5,
    "logit_softcap": 3.0, "bos_id": 0,
    "layer_schedule": [0, 1, 2, 1, 2, 3], "recurrence_start_frac": 0.5,
    "attention": "gqa", "qk_norm": True, "q_gain": True, "mlp_act": "leaky_relu2",
    "leaky_slope": 0.3, "parallel_residual_from": 2, "ln_scale": True, "xsa_layers": [0, 2],
    "bigram_hash": {"buckets": 5, "dim": 3}, "value_embed": {"dim": 4, "layers": [0, 3]},
    "attn_sink": "key", "smear_gate": True, "emb_norm": True, "resid_mix": True,
    "branch_scale": True, "unet_skips": "mirror_blocks", "skip_gates": True,
    "gdn_layers": [1], "gdn_heads": 1, "gdn_v_heads": 2, "gdn_head_dim": 3,
    "gdn_v_head_dim": 2, "gdn_conv_kernel": 2, "gdn_qk_act": "elu1", "gdn_out_norm": False,
}
CFG_B = {  # mla (q latent) + swiglu conv, mirror additive, sink logit, GDN silu Kc=0 out-norm,
    # proj-less bigram and value_embed, default GDN widths (0), YaRN, 3 MTP heads
    "vocab_size": 11, "d_model": 6, "n_heads": 2, "n_kv_heads": 1, "head_dim": 3,
    "v_head_dim": 3, "rope_dim": 2, "q_latent": 5, "kv_latent": 4, "mlp_hidden": 7,
    "conv_kernel": 3, "n_unique_blocks": 3, "n_recurrences": 2, "max_seq_len": 64,
    "rope_base": 100.0, "yarn_factor": 3.0, "yarn_orig_ctx": 6, "yarn_beta_fast": 32.0,
    "yarn_beta_slow": 1.0, "mtp_heads": 3, "mtp_weights": [1.0, 0.3, 0.1], "norm_eps": 1e-5,
    "logit_softcap": 0.0, "bos_id": 0,
    "recurrence_start_frac": 0.3, "attention": "mla", "qk_norm": True, "q_gain": True,
    "parallel_residual_from": 1, "xsa_layers": [0], "bigram_hash": {"buckets": 4, "dim": 6},
    "value_embed": {"dim": 3, "layers": [0, 2]}, "attn_sink": "logit", "resid_mix": True,
    "unet_skips": "mirror", "gdn_layers": [1], "gdn_heads": 0, "gdn_v_heads": 0,
    "gdn_head_dim": 0, "gdn_v_head_dim": 0, "gdn_conv_kernel": 0, "gdn_qk_act": "silu",
    "gdn_out_norm": True, "emb_norm": True, "branch_scale": True,
}
CFG_C = {  # gqa Dr = 0 with mscale, relu2, mirror + gates, GDN Kc=3 Hv=3Hk, parallel everywhere
    "vocab_size": 9, "d_model": 8, "n_heads": 2, "n_kv_heads": 2, "head_dim": 4,
    "v_head_dim": 2, "rope_dim": 0, "q_latent": 0, "kv_latent": 0, "mlp_hidden": 6,
    "conv_kernel": 0, "n_unique_blocks": 3, "n_recurrences": 1, "max_seq_len": 64,
    "rope_base": 10000.0, "yarn_factor": 2.0, "yarn_orig_ctx": 4, "yarn_beta_fast": 32.0,
    "yarn_beta_slow": 1.0, "mtp_heads": 1, "mtp_weights": [1.0], "norm_eps": 1e-5,
    "logit_softcap": 4.0, "bos_id": 0,
    "layer_schedule": [0, 1, 0, 2, 1], "recurrence_start_frac": 0.25, "attention": "gqa",
    "qk_norm": True, "mlp_act": "relu2", "parallel_residual_from": 0, "ln_scale": True,
    "xsa_layers": [0, 2], "smear_gate": True, "emb_norm": True, "resid_mix": True,
    "branch_scale": True, "unet_skips": "mirror", "skip_gates": True,
    "bigram_hash": {"buckets": 2, "dim": 3}, "value_embed": {"dim": 2, "layers": [2]},
    "gdn_layers": [1], "gdn_heads": 1, "gdn_v_heads": 3, "gdn_head_dim": 2,
    "gdn_v_head_dim": 2, "gdn_conv_kernel": 3, "gdn_qk_act": "silu", "gdn_out_norm": True,
}
ALL_ON = {"A": CFG_A, "B": CFG_B, "C": CFG_C}


class Report:
    def __init__(self):
        self.failed = []

    def check(self, name, ok, msg):
        print("%-4s %-12s %s" % ("ok" if ok else "FAIL", name, msg))
        if not ok:
            self.failed.append(name)


def worst(values):
    """The largest of some errors, NaN if any is NaN (Python's max() may drop a NaN)."""
    vals = [float(v) for v in values]
    return float("nan") if any(v != v for v in vals) else max(vals, default=0.0)


def maxdiff(a, b):
    """max |a - b| (NaN when either holds a NaN)."""
    d = (torch.as_tensor(a) - torch.as_tensor(b)).abs().reshape(-1)
    return worst(d.tolist())


# ---------------------------------------------------------------------------

def check_presets(R):
    want = {"golf-1.1531": (27005532, 144), "golf-1.0785": (35908184, 150)}
    for name, w in want.items():
        got = G.parameter_count(G.PRESETS[name])
        R.check("presets", got == w, "%s: %d parameters in %d tensors (SPEC %d in %d)"
                % ((name,) + got + w))


def section1_configs():
    """Small section-1 configs: train_grad_check's two, and random variants."""
    import train_grad_check as tgc
    out = [dict(tgc.BASE), dict(tgc.PLAIN)]
    rng = np.random.default_rng(7)
    for i in range(4):
        G_ = int(rng.integers(1, 3))
        c = dict(tgc.BASE, n_kv_heads=G_, n_heads=G_ * int(rng.integers(1, 3)),
                 head_dim=int(rng.integers(1, 5)), v_head_dim=int(rng.integers(1, 5)),
                 rope_dim=2 * int(rng.integers(0, 3)), q_latent=int(rng.integers(0, 2)) * 5,
                 kv_latent=int(rng.integers(1, 6)), conv_kernel=int(rng.integers(0, 4)),
                 n_unique_blocks=int(rng.integers(1, 4)), n_recurrences=int(rng.integers(1, 3)),
                 yarn_factor=[1.0, 8.0][i % 2], logit_softcap=[0.0, 2.5][i // 2],
                 mtp_heads=1 + i % 3, mtp_weights=[1.0, 0.4, 0.2][:1 + i % 3])
        out.append(c)
    return out


EXPLICIT_DEFAULTS = {  # every section-8 field written out at its default
    "recurrence_start_frac": 0.0, "attention": "mla", "qk_norm": False, "q_gain": False,
    "mlp_act": "swiglu", "leaky_slope": 0.5, "parallel_residual_from": -1, "ln_scale": False,
    "xsa_layers": [], "bigram_hash": None, "value_embed": None, "attn_sink": "none",
    "smear_gate": False, "emb_norm": False, "resid_mix": False, "branch_scale": False,
    "unet_skips": "none", "skip_gates": False, "gdn_layers": [], "gdn_heads": 0,
    "gdn_v_heads": 0, "gdn_head_dim": 0, "gdn_v_head_dim": 0, "gdn_conv_kernel": 4,
    "gdn_qk_act": "silu", "gdn_out_norm": True,
}


def check_section1_order(R):
    import train_grad_check as tgc
    for i, c in enumerate(section1_configs()):
        ok = [tuple(x) for x in G.tensor_specs(c)] == [tuple(x) for x in tgc.tensor_shapes(c)]
        R.check("s1_order", ok, "config %d: %d tensors in section 1's order" % (i, len(G.tensor_specs(c))))


def check_defaults(R):
    for i, c in enumerate(section1_configs()):
        W = G.init_weights(c, seed=i)
        rng = np.random.default_rng(i)
        ids = rng.integers(0, c["vocab_size"], 11).tolist()
        ref = titan_ref.forward(W, c, ids)
        nulls = {k: None for k in G.S8_FIELDS}
        sched = dict(EXPLICIT_DEFAULTS, layer_schedule=list(range(c["n_unique_blocks"]))
                     * c["n_recurrences"])
        err = 0.0
        for variant in (c, dict(c, **nulls), dict(c, **sched)):
            got = G.forward(W, variant, ids)
            err = worst([err] + [maxdiff(g, r) for g, r in zip(got, ref)]
                        + [abs(G.loss(W, variant, ids).item() - titan_ref.loss(W, c, ids).item())])
        R.check("defaults", err <= 1e-12 and len(got) == len(ref),
                "config %d (M=%d, Lq=%d, K=%d, s=%g): max |golf - titan_ref| = %.2e over logits and loss"
                % (i, c["mtp_heads"], c["q_latent"], c["conv_kernel"], c["yarn_factor"], err))


def check_validation(R):
    base = dict(CFG_A)
    bad = [
        ("schedule misses block 3", dict(base, layer_schedule=[0, 1, 2, 1])),
        ("schedule names block 4", dict(base, layer_schedule=[0, 1, 2, 3, 4])),
        ("empty schedule", dict(base, layer_schedule=[])),
        ("xsa on a GDN block", dict(base, xsa_layers=[1])),
        ("xsa block out of range", dict(base, xsa_layers=[4])),
        ("value_embed on a GDN block", dict(base, value_embed={"dim": 4, "layers": [1]})),
        ("gdn block out of range", dict(base, gdn_layers=[7])),
        ("mirror_blocks source after destination",
         dict(base, layer_schedule=[0, 2, 1, 3])),
        ("gqa rope_dim odd", dict(base, rope_dim=3)),
        ("gqa rope_dim > head_dim", dict(base, rope_dim=6)),
        ("mla rope_dim odd", dict(CFG_B, rope_dim=3)),
        ("Hv % Hk", dict(base, gdn_heads=2, gdn_v_heads=3)),
        ("Hv % default Hk", dict(base, gdn_heads=0, gdn_v_heads=2)),  # Hk = H = 4
        ("bigram buckets 1", dict(base, bigram_hash={"buckets": 1, "dim": 3})),
        ("bigram unknown key", dict(base, bigram_hash={"buckets": 5, "dim": 3, "x": 1})),
        ("bigram missing dim", dict(base, bigram_hash={"buckets": 5})),
        ("value_embed unknown key", dict(base, value_embed={"dim": 4, "layers": [0], "k": 2})),
        ("value_embed missing layers", dict(base, value_embed={"dim": 4})),
        ("unknown top-level key", dict(base, xsa_last_n=4)),
        ("bool as int", dict(base, qk_norm=1)),
        ("float in int list", dict(base, xsa_layers=[0.0])),
        ("bool in int list", dict(base, gdn_layers=[True])),
        ("int field as bool", dict(base, gdn_heads=True)),
        ("int field as float", dict(base, parallel_residual_from=2.0)),
        ("unknown attention", dict(base, attention="mha")),
        ("unknown mlp_act", dict(base, mlp_act="gelu")),
        ("unknown attn_sink", dict(base, attn_sink="both")),
        ("unknown unet_skips", dict(base, unet_skips="mirror_all")),
        ("unknown gdn_qk_act", dict(base, gdn_qk_act="relu")),
        ("schedule as a string", dict(base, layer_schedule="0,1,2,3")),
        ("recurrence_start_frac > 1", dict(base, recurrence_start_frac=1.5)),
        ("recurrence_start_frac < 0", dict(base, recurrence_start_frac=-0.1)),
        ("negative gdn_conv_kernel", dict(base, gdn_conv_kernel=-1)),
        ("negative gdn_head_dim", dict(base, gdn_head_dim=-2)),
        ("H % G", dict(base, n_heads=3)),
        ("mtp_weights length", dict(base, mtp_weights=[1.0])),
        ("missing d_model", {k: v for k, v in base.items() if k != "d_model"}),
        ("xenith family", dict(base, family="xenith")),
    ]
    for what, cfg in bad:
        try:
            G.resolve_config(cfg)
            R.check("validation", False, "accepted: %s" % what)
        except ValueError as e:
            R.check("validation", True, "refused %-40s (%s)" % (what + ":", e))
    good = [
        ("null section-8 fields", dict(CFG_A, qk_norm=None, gdn_heads=None, gdn_v_heads=None,
                                       value_embed=None)),
        ("gdn widths 0 = default", dict(CFG_A, gdn_heads=0, gdn_v_heads=0)),
        ("gqa kv_latent 0, q_latent ignored", dict(CFG_A, kv_latent=0, q_latent=7)),
        ("rope_dim == head_dim", dict(CFG_A, rope_dim=4)),
        ("mirror_blocks [1,0,2,3,2]", dict(CFG_A, layer_schedule=[1, 0, 2, 3, 2])),
        ("duplicates in block lists", dict(CFG_A, xsa_layers=[0, 0, 2])),
        ("every block GDN", dict(CFG_A, gdn_layers=[0, 1, 2, 3], xsa_layers=[],
                                 value_embed=None)),
        ("negative parallel_residual_from", dict(CFG_A, parallel_residual_from=-5)),
        ("family titan", dict(CFG_A, family="titan")),
    ]
    for what, cfg in good:
        try:
            G.resolve_config(cfg)
            ok, msg = True, "accepted %s" % what
        except ValueError as e:
            ok, msg = False, "refused %s: %s" % (what, e)
        R.check("validation", ok, msg)
    # defaults resolved as the table says
    c = G.resolve_config(dict(CFG_A, gdn_heads=0, gdn_v_heads=0, gdn_head_dim=0, gdn_v_head_dim=0))
    R.check("validation", (c["Hk"], c["Hv"], c["Dk"], c["Dw"]) == (4, 4, 4, 3),
            "gdn defaults Hk=H, Hv=Hk, Dk=Dh, Dw=Dv: %s" % ((c["Hk"], c["Hv"], c["Dk"], c["Dw"]),))
    c = G.resolve_config(dict(CFG_A, gdn_heads=2, gdn_v_heads=0))
    R.check("validation", c["Hv"] == 2, "gdn_v_heads default = gdn_heads (2): %d" % c["Hv"])
    # repeated JSON keys (top level and inside bigram_hash) are refused
    with tempfile.TemporaryDirectory() as d:
        for text in ('{"config": {"vocab_size": 5, "vocab_size": 6}}',
                     '{"bigram_hash": {"buckets": 4, "dim": 2, "dim": 3}}'):
            p = os.path.join(d, "c.json")
            with open(p, "w") as f:
                f.write(text)
            try:
                G.load_config(p)
                R.check("validation", False, "repeated key accepted: %s" % text)
            except ValueError as e:
                R.check("validation", True, "refused repeated key (%s)" % e)


def check_bigram(R):
    # Worked by hand in binary:
    #   N = 1024, N-1 = 1023. 36313 mod 1023 = 36313 - 35*1023 = 508;
    #   27191 mod 1023 = 27191 - 26*1023 = 593;
    #   36313 = 2^15+2^11+2^10+2^8+2^7+2^6+2^4+2^3+2^0, 27191 = 2^14+2^13+2^11+2^9+2^5+2^4+2^2+2^1+2^0,
    #   XOR = 2^15+2^14+2^13+2^10+2^9+2^8+2^7+2^6+2^5+2^3+2^2+2^1 = 59374 = 58*1023 + 40.
    #   ids [0, 1, 0, 1, 1] -> [1023, (36313^0)%1023, (0^27191)%1023, 508, (36313^27191)%1023]
    #   N = 2048, ids [5, 3]: 36313*3 = 108939 = 2^16+2^15+2^13+2^11+2^8+2^7+2^3+2^1+2^0,
    #   27191*5 = 135955 = 2^17+2^12+2^9+2^8+2^4+2^1+2^0, XOR = 244376 = 119*2047 + 783.
    #   N = 2: idx_0 = 1, every later idx = 0 (mod 1).
    cases = [(1024, [0, 1, 0, 1, 1], [1023, 508, 593, 508, 40]),
             (2048, [5, 3], [2047, 783]),
             (2, [4, 7, 0, 1], [1, 0, 0, 0]),
             (1024, [9], [1023])]
    for N, ids, want in cases:
        got = G.bigram_indices(torch.tensor([ids]), N)[0].tolist()
        R.check("bigram", got == want, "N=%d ids %s -> %s (hand: %s)" % (N, ids, got, want))
    # large ids stay exact (int64): 8191 and 8190 with N = 2048 against Python integers
    x, y = 8191, 8190
    want = ((36313 * y) ^ (27191 * x)) % 2047
    got = G.bigram_indices(torch.tensor([[x, y]]), 2048)[0, 1].item()
    R.check("bigram", got == want, "ids 8191, 8190 -> %d (python ints %d)" % (got, want))


def check_skips(R):
    c1 = G.resolve_config(G.PRESETS["golf-1.1531"])
    c2 = G.resolve_config(G.PRESETS["golf-1.0785"])
    S1 = c1["S"]
    Sp = G.schedule_in_use(c1, 0.2)
    cases = [
        # golf-1.1531 (mirror_blocks, B = 11, n_e = 5): first occurrences of blocks 4..0 are
        # l = 4..0; of blocks 5..9 are l = 5, 12, 13, 14, 15 in S and l = 5..9 in S'.
        ("1.1531 S", G.skip_pairs(c1, S1), [(0, 4, 5), (1, 3, 12), (2, 2, 13), (3, 1, 14), (4, 0, 15)]),
        ("1.1531 S'", G.skip_pairs(c1, Sp), [(0, 4, 5), (1, 3, 6), (2, 2, 7), (3, 1, 8), (4, 0, 9)]),
        # golf-1.0785 (mirror): n = 17, n_e = 8: j -> (7-j, 8+j); S' n = 11, n_e = 5.
        ("1.0785 S", G.skip_pairs(c2, c2["S"]), [(0, 7, 8), (1, 6, 9), (2, 5, 10), (3, 4, 11),
                                               (4, 3, 12), (5, 2, 13), (6, 1, 14), (7, 0, 15)]),
        ("1.0785 S'", G.skip_pairs(c2, G.schedule_in_use(c2, 0.39)),
         [(0, 4, 5), (1, 3, 6), (2, 2, 7), (3, 1, 8), (4, 0, 9)]),
        ("mirror n=1", G.skip_pairs(c2, [0]), []),
        ("mirror n=3", G.skip_pairs(c2, [0, 1, 2]), [(0, 0, 1)]),
        ("mirror_blocks B=4 [1,0,2,3,2]",
         G.skip_pairs(G.resolve_config(dict(CFG_A, layer_schedule=[1, 0, 2, 3, 2])), [1, 0, 2, 3, 2]),
         [(0, 0, 2), (1, 1, 3)]),
        ("S' of 1.1531", Sp, list(range(11))),
        ("S at step_frac 0.35 (not < 0.35)", G.schedule_in_use(c1, 0.35), S1),
        ("S without step_frac", G.schedule_in_use(c1, None), S1),
        ("P of 1.1531 / 1.0785", [c1["P"], c2["P"]], [5, 8]),
    ]
    for what, got, want in cases:
        R.check("skips", got == want, "%s: %s" % (what, got))


# --- a per-token numpy attention block (second formulation) ----------------

def np_attention(Wn, c, b, u, ve):
    """SPEC 8 attention block b for one sequence u [T, D], loops over t, i, j."""
    p = "blocks.%d." % b
    T = u.shape[0]
    H, Gk, Dh, Dv, Dr = (c["n_heads"], c["n_kv_heads"], c["head_dim"], c["v_head_dim"],
                         c["rope_dim"])
    freq, mscale = titan_ref.rope_frequencies(dict(c, rope_dim=Dr))
    eps = c["norm_eps"]

    def rot(vec, t):
        out, half = vec.copy(), len(vec) // 2
        for i in range(half):
            a, bb, th = vec[i], vec[i + half], t * freq[i]
            out[i], out[i + half] = a * math.cos(th) - bb * math.sin(th), a * math.sin(th) + bb * math.cos(th)
        return out

    def rms(x, g=1.0):
        return x / math.sqrt(np.mean(x * x) + eps) * g

    q, k, v = [None] * T, [], []
    for t in range(T):
        if c["attention"] == "gqa":
            qf, kf, vf = Wn[p + "wq"] @ u[t], Wn[p + "wk"] @ u[t], Wn[p + "wv"] @ u[t]
            qs = [np.concatenate([rot(qf[i * Dh:i * Dh + Dr], t), qf[i * Dh + Dr:(i + 1) * Dh]])
                  for i in range(H)]
            ks = [np.concatenate([rot(kf[g * Dh:g * Dh + Dr], t), kf[g * Dh + Dr:(g + 1) * Dh]])
                  for g in range(Gk)]
            vs = [vf[g * Dv:(g + 1) * Dv].copy() for g in range(Gk)]
        else:
            cq = rms(Wn[p + "wq_a"] @ u[t], Wn[p + "q_norm"]) if c["q_latent"] else u[t]
            qf = Wn[p + ("wq_b" if c["q_latent"] else "wq")] @ cq
            w = Dh + Dr
            qs = [np.concatenate([qf[i * w:i * w + Dh], rot(qf[i * w + Dh:(i + 1) * w], t)])
                  for i in range(H)]
            a = Wn[p + "wkv_a"] @ u[t]
            L = c["kv_latent"]
            kvf = Wn[p + "wkv_b"] @ rms(a[:L], Wn[p + "kv_norm"])
            kr = rot(a[L:], t)
            w = Dh + Dv
            ks = [np.concatenate([kvf[g * w:g * w + Dh], kr]) for g in range(Gk)]
            vs = [kvf[g * w + Dh:(g + 1) * w].copy() for g in range(Gk)]
        if b in c["ve"]:
            vs = [vs[g] + Wn[p + "ve_scale"][0] * ve[t, g * Dv:(g + 1) * Dv] for g in range(Gk)]
        if c["qk_norm"]:
            qs, ks = [rms(x) for x in qs], [rms(x) for x in ks]
        if c["q_gain"]:
            qs = [Wn[p + "q_gain"][i] * qs[i] for i in range(H)]
        q[t] = qs
        k.append(ks)
        v.append(vs)
    Dq = len(k[0][0])
    sc = mscale ** 2 / math.sqrt(Dq)
    o = np.zeros((T, H * Dv))
    for t in range(T):
        for i in range(H):
            g = i // (H // Gk)
            s = [float(q[t][i] @ k[j][g]) * sc for j in range(t + 1)]
            if c["attn_sink"] == "key":
                sink = float(q[t][i] @ Wn[p + "k_sink"][g]) * sc
            elif c["attn_sink"] == "logit":
                sink = float(Wn[p + "sink_logit"][g])
            m = max(s + ([sink] if c["attn_sink"] != "none" else []))
            den = sum(math.exp(x - m) for x in s)
            if c["attn_sink"] != "none":
                den += math.exp(sink - m)
            oi = sum(math.exp(s[j] - m) * v[j][g] for j in range(t + 1)) / den
            if b in c["xsa"]:
                n = v[t][g] / max(np.linalg.norm(v[t][g]), 1e-12)
                oi = oi - (oi @ n) * n
            o[t, i * Dv:(i + 1) * Dv] = oi
    return o @ Wn[p + "wo"].T


def check_attention(R):
    variants = [("A gqa sink-key xsa ve qk_norm q_gain", CFG_A, [0, 2, 3]),
                ("B mla latent sink-logit xsa ve", CFG_B, [0, 2]),
                ("C gqa Dr=0 mscale xsa ve", CFG_C, [0, 2]),
                ("A plain gqa", dict(CFG_A, qk_norm=False, q_gain=False, attn_sink="none",
                                     xsa_layers=[], value_embed=None, yarn_factor=1.0), [0]),
                ("B mla Lq=0 sink-key", dict(CFG_B, q_latent=0, attn_sink="key",
                                             qk_norm=False), [0, 2])]
    for what, cfg, blocks in variants:
        c = G.resolve_config(cfg)
        W = G.init_weights(cfg, seed=3)
        Wn = {k: v.numpy() for k, v in W.items()}
        rng = np.random.default_rng(5)
        T = 9
        u = torch.tensor(rng.standard_normal((1, T, c["d_model"])))
        x = torch.tensor(rng.integers(0, c["vocab_size"], (1, T)))
        ve = G.value_embedding(W, c, x) if c["value_embed"] else None
        freq, mscale = G.rope_frequencies(c)
        errs = []
        for b in blocks:
            got = G.attention(W, c, b, u, ve, torch.arange(T), freq, mscale)[0]
            want = np_attention(Wn, c, b, u[0].numpy(), None if ve is None else ve[0].numpy())
            errs.append(maxdiff(got, want))
        err = worst(errs)
        R.check("attention", err <= 1e-12, "%s, blocks %s: max diff %.2e" % (what, blocks, err))


# --- GDN: numpy chunked WY formulation -----------------------------------

def np_gdn_chunked(q, k, v, beta, g, chunk):
    """One head: q, k [T, Dk], v [T, Dw], beta, g [T]. Within a chunk with local
    cumulative decay G_t = sum_{s<=t} g_s and entry state S0:
      u_t = beta_t (v_t - e^{G_t} S0^T k_t - sum_{s<t} e^{G_t-G_s} (k_t.k_s) u_s)   (a unit
      lower-triangular solve), o_t = e^{G_t} S0^T q_t + sum_{s<=t} e^{G_t-G_s} (q_t.k_s) u_s,
      S_end = e^{G_last} S0 + sum_s e^{G_last-G_s} k_s u_s^T."""
    T, Dk = k.shape
    S = np.zeros((Dk, v.shape[1]))
    out = np.zeros((T, v.shape[1]))
    for c0 in range(0, T, chunk):
        sl = slice(c0, min(T, c0 + chunk))
        Q, K, V, Bt, Gm = q[sl], k[sl], v[sl], beta[sl], np.cumsum(g[sl])
        n = len(Gm)
        diff = Gm[:, None] - Gm[None, :]
        D = np.exp(np.where(np.tril(np.ones((n, n), bool)), diff, -np.inf))
        A = np.tril(D * (K @ K.T), -1)
        rhs = Bt[:, None] * (V - np.exp(Gm)[:, None] * (K @ S))
        U = np.linalg.solve(np.eye(n) + Bt[:, None] * A, rhs)
        out[sl] = np.exp(Gm)[:, None] * (Q @ S) + (D * (Q @ K.T)) @ U
        S = np.exp(Gm[-1]) * S + (np.exp(Gm[-1] - Gm)[:, None] * K).T @ U
    return out


def np_gdn_block(Wn, c, b, u, chunk):
    """The whole GDN mixer of block b on one sequence u [T, D], in numpy."""
    p = "blocks.%d." % b
    T = u.shape[0]
    Hk, Hv, Dk, Dw, Kc = c["Hk"], c["Hv"], c["Dk"], c["Dw"], c["Kc"]
    cc = u @ Wn[p + "gdn_qkv"].T
    if Kc > 0:
        w = Wn[p + "gdn_conv"]
        cc = np.array([[sum(w[ch, j] * cc[t - (Kc - 1) + j, ch] for j in range(Kc)
                            if t - (Kc - 1) + j >= 0) for ch in range(cc.shape[1])]
                       for t in range(T)])
    silu = lambda x: x / (1 + np.exp(-x))  # noqa: E731
    act = silu if c["gdn_qk_act"] == "silu" else (lambda x: np.where(x > 0, x + 1, np.exp(np.minimum(x, 0))))
    q = act(cc[:, :Hk * Dk]).reshape(T, Hk, Dk)
    k = act(cc[:, Hk * Dk:2 * Hk * Dk]).reshape(T, Hk, Dk)
    v = silu(cc[:, 2 * Hk * Dk:]).reshape(T, Hv, Dw)
    ba = u @ Wn[p + "gdn_ba"].T
    beta = 1 / (1 + np.exp(-ba[:, :Hv]))
    g = -np.exp(Wn[p + "gdn_A_log"]) * np.log1p(np.exp(ba[:, Hv:] + Wn[p + "gdn_dt_bias"]))
    z = (u @ Wn[p + "gdn_z"].T).reshape(T, Hv, Dw)
    y = np.zeros((T, Hv, Dw))
    for j in range(Hv):
        i = j // (Hv // Hk)
        qh = q[:, i] / np.sqrt((q[:, i] ** 2).sum(1, keepdims=True) + 1e-6) / math.sqrt(Dk)
        kh = k[:, i] / np.sqrt((k[:, i] ** 2).sum(1, keepdims=True) + 1e-6)
        o = np_gdn_chunked(qh, kh, v[:, j], beta[:, j], g[:, j], chunk)
        if c["gdn_out_norm"]:
            o = o / np.sqrt((o * o).mean(1, keepdims=True) + c["norm_eps"]) * Wn[p + "gdn_o_norm"]
        y[:, j] = o * silu(z[:, j])
    return y.reshape(T, Hv * Dw) @ Wn[p + "gdn_o"].T


def check_gdn(R):
    # 1. the bare recurrence, random inputs (strong and weak decay), chunks 1, 3, 5, T
    rng = np.random.default_rng(11)
    N, T, Hv, Dk, Dw = 2, 13, 3, 4, 5
    q = torch.tensor(rng.standard_normal((N, T, Hv, Dk)))
    k = torch.tensor(rng.standard_normal((N, T, Hv, Dk)))
    k = k / k.norm(dim=-1, keepdim=True)
    v = torch.tensor(rng.standard_normal((N, T, Hv, Dw)))
    beta = torch.tensor(rng.uniform(0, 1, (N, T, Hv)))
    g = torch.tensor(-rng.exponential(1.0, (N, T, Hv)) * rng.choice([0.01, 1, 10], (N, T, Hv)))
    o = G.gdn_recurrence(q, k, v, beta, g).numpy()
    for chunk in (1, 3, 5, T):
        err = worst(maxdiff(o[n, :, h], np_gdn_chunked(q[n, :, h].numpy(), k[n, :, h].numpy(),
                                                       v[n, :, h].numpy(), beta[n, :, h].numpy(),
                                                       g[n, :, h].numpy(), chunk))
                    for n in range(N) for h in range(Hv))
        R.check("gdn", err <= 1e-10, "recurrence vs chunked WY (chunk %2d): max diff %.2e (|o| max %.2f)"
                % (chunk, err, np.abs(o).max()))
    # 2. the whole mixer on the all-options configs and variants
    variants = [("A elu1 Kc=2 Hv=2Hk gate-only", CFG_A),
                ("B silu Kc=0 defaults Hk=H", CFG_B),
                ("C silu Kc=3 Hv=3Hk out-norm", CFG_C),
                ("A Kc=1 out-norm", dict(CFG_A, gdn_conv_kernel=1, gdn_out_norm=True)),
                ("A Kc=4 Hv=Hk=3", dict(CFG_A, gdn_conv_kernel=4, gdn_heads=3, gdn_v_heads=3))]
    for what, cfg in variants:
        c = G.resolve_config(cfg)
        W = G.init_weights(cfg, seed=9, scale=2.0)
        Wn = {kk: vv.numpy() for kk, vv in W.items()}
        u = torch.tensor(rng.standard_normal((1, 11, c["d_model"])))
        got = G.gdn(W, c, 1, u)[0].numpy()
        err = worst(maxdiff(got, np_gdn_block(Wn, c, 1, u[0].numpy(), ch)) for ch in (1, 4, 11))
        R.check("gdn", err <= 1e-10, "mixer %s vs numpy chunked (chunks 1, 4, 11): max diff %.2e"
                % (what, err))


def check_causality(R):
    for name, cfg in ALL_ON.items():
        W = G.init_weights(cfg, seed=1)
        rng = np.random.default_rng(2)
        T = 12
        ids = rng.integers(0, cfg["vocab_size"], T)
        for step_frac in (None, 0.0):
            base = G.forward(W, cfg, ids.tolist(), step_frac=step_frac)
            err, moved = 0.0, 0.0
            for t in (0, 3, 7, 10):
                alt = ids.copy()
                alt[t + 1:] = (alt[t + 1:] + 1 + rng.integers(0, cfg["vocab_size"] - 1, T - t - 1)) % cfg["vocab_size"]
                got = G.forward(W, cfg, alt.tolist(), step_frac=step_frac)
                err = worst([err] + [maxdiff(g[:t + 1], b_[:t + 1]) for g, b_ in zip(got, base)])
                moved = worst([moved] + [maxdiff(g[t + 1:], b_[t + 1:]) for g, b_ in zip(got, base)])
            R.check("causality", err == 0.0 and moved > 1e-6,
                    "config %s (step_frac %s): logits up to t change by %.1e when later tokens "
                    "change (later logits by %.2f)" % (name, step_frac, err, moved))


def check_schedule(R):
    # S' with mirror_blocks (P independent of the schedule) and without skips
    for name, cfg in (("A mirror_blocks", CFG_A), ("B no skips", dict(CFG_B, unet_skips="none"))):
        W = G.init_weights(cfg, seed=4)
        c = G.resolve_config(cfg)
        ids = list(range(cfg["vocab_size"])) * 2
        a = G.forward(W, cfg, ids, step_frac=c["recurrence_start_frac"] / 2)
        b = G.forward(W, dict(cfg, layer_schedule=G.dedup_schedule(c["S"]),
                              recurrence_start_frac=0.0), ids)
        full = G.forward(W, cfg, ids, step_frac=c["recurrence_start_frac"])
        err = worst(maxdiff(x, y) for x, y in zip(a, b))
        diff = worst(maxdiff(x, y) for x, y in zip(a, full))
        R.check("schedule", err == 0.0 and diff > 1e-6,
                "%s: S' run = explicit S' schedule (diff %.1e), differs from S (%.2f)" % (name, err, diff))


def check_batch(R):
    for name, cfg in ALL_ON.items():
        W = G.init_weights(cfg, seed=6)
        rng = np.random.default_rng(8)
        ids = rng.integers(0, cfg["vocab_size"], (3, 7))
        batch = G.forward(W, cfg, ids)
        err = worst(maxdiff(batch[k][n], G.forward(W, cfg, ids[n].tolist())[k])
                    for n in range(3) for k in range(len(batch)))
        lb = G.loss(W, cfg, ids).item()
        ls = np.mean([G.loss(W, cfg, ids[n].tolist()).item() for n in range(3)])
        R.check("batch", err <= 1e-13 and abs(lb - ls) <= 1e-13,
                "config %s: [3, 7] vs single sequences: logits %.1e, loss %.1e" % (name, err, abs(lb - ls)))


def check_gradients(R, ncoord=3, h=1e-5):
    """Autograd of loss vs the 4-point central difference (f(-2h) - 8f(-h) + 8f(h)
    - f(2h)) / 12h at the coordinate of each tensor's largest gradient plus
    ncoord-1 random ones. Error = |fd - ad| / max(|ad|, |fd|, 0.01 * max|ad| of the
    tensor); every tensor must receive a non-zero gradient."""
    runs = [("A", CFG_A, None, 9), ("A", CFG_A, 0.1, 9), ("B", CFG_B, None, 8),
            ("B", CFG_B, 0.1, 8), ("C", CFG_C, None, 9)]
    for name, cfg, step_frac, T in runs:
        rng = np.random.default_rng(T)
        W = G.init_weights(cfg, seed=12, scale=1.5)
        ids = rng.integers(0, cfg["vocab_size"], T).tolist()
        leaves = {kk: vv.clone().requires_grad_(True) for kk, vv in W.items()}
        G.loss(leaves, cfg, ids, step_frac=step_frac).backward()
        errs, dead = [], []  # (error, where)
        for tname, leaf in leaves.items():
            ad = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
            gmax = float(ad.abs().max())
            if not gmax > 0:
                dead.append(tname)
                continue
            flat = ad.reshape(-1)
            picks = {int(flat.abs().argmax())} | set(rng.integers(0, flat.numel(), ncoord - 1).tolist())
            for idx in sorted(picks):
                def f(delta):
                    Wd = dict(W)
                    t = W[tname].clone().reshape(-1)
                    t[idx] += delta
                    Wd[tname] = t.reshape(W[tname].shape)
                    with torch.no_grad():
                        return G.loss(Wd, cfg, ids, step_frac=step_frac).item()
                fd = (f(-2 * h) - 8 * f(-h) + 8 * f(h) - f(2 * h)) / (12 * h)
                a = float(flat[idx])
                err = abs(fd - a) / max(abs(a), abs(fd), 0.01 * gmax)
                errs.append((err, "%s[%d] ad %.3e fd %.3e" % (tname, idx, a, fd)))
        err = worst(e for e, _ in errs)
        at = next((w for e, w in errs if e != e or e == err), "")  # a NaN, else the worst
        R.check("gradients", err <= 1e-6 and not dead,
                "config %s step_frac %s: %d coordinates in %d tensors, worst rel err %.1e (%s)%s"
                % (name, step_frac, len(errs), len(leaves), err, at,
                   "; no gradient: %s" % dead if dead else ""))


def check_cli(R):
    import safetensors_ref
    cfg = CFG_A
    W = G.init_weights(cfg, seed=2)
    ids = [3, 1, 4, 1, 5, 9, 2, 6]
    with tempfile.TemporaryDirectory() as d:
        st, cj, ip, out = (os.path.join(d, x) for x in ("w.st", "c.json", "ids", "out"))
        safetensors_ref.write(st, [(kk, "F32", list(vv.shape), vv.numpy().astype(np.float32))
                                   for kk, vv in W.items()], None)
        with open(cj, "w") as f:
            json.dump({"config": cfg, "tensors": []}, f)
        with open(ip, "w") as f:
            f.write(" ".join(map(str, ids)) + "\n")
        rc = G.main(["--safetensors", st, "--config", cj, "--ids", ip, "--out", out + ".h1",
                     "--all-heads", out])
        W32 = {kk: vv.float().double() for kk, vv in W.items()}
        want = G.forward(W32, cfg, ids)
        errs = worst(maxdiff(np.fromfile("%s.%d" % (out, k), "<f4").reshape(len(ids), -1),
                             want[k - 1].numpy()) for k in (1, 2))
        same = open(out + ".h1", "rb").read() == open(out + ".1", "rb").read()
        R.check("cli", rc == 0 and same and errs <= 1e-5,
                "exit %d, heads 1-2 vs forward: max diff %.1e, --out = --all-heads .1: %s"
                % (rc, errs, same))
        with open(ip, "w") as f:
            f.write("1 2 13\n")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = G.main(["--safetensors", st, "--config", cj, "--ids", ip, "--out", out])
        R.check("cli", rc == 1 and "out of range" in err.getvalue(),
                "id 13 >= V refused: exit %d, %r" % (rc, err.getvalue().strip()))


def check_nan_guard(R):
    """The harness itself: a NaN anywhere makes an aggregate error NaN, which fails."""
    nan = float("nan")
    agg = [worst([0.0, nan, 1.0]), worst([nan]), maxdiff(torch.tensor([1.0, nan]), torch.zeros(2))]
    R.check("nan_guard", all(v != v for v in agg) and not any(v <= 1e-6 for v in agg),
            "worst()/maxdiff() propagate NaN and NaN fails a tolerance: %s" % agg)


CHECKS = [check_nan_guard, check_presets, check_section1_order, check_defaults, check_validation, check_bigram,
          check_skips, check_attention, check_gdn, check_causality, check_schedule, check_batch,
          check_gradients, check_cli]


def run():
    R = Report()
    for chk in CHECKS:
        try:
            chk(R)
        except Exception:
            traceback.print_exc()
            R.check(chk.__name__[6:], False, "raised an exception")
    print("golf_ref self-test: %s" % ("all checks passed" if not R.failed else
                                       "FAILED: %s" % ", ".join(sorted(set(R.failed)))))
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(run())
