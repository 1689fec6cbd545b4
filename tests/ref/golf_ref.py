#!/usr/bin/python3
"""golf_ref.py: an independent PyTorch reference of SPEC section 8 (architecture
options, Gated DeltaNet included) on top of section 1: config validation, the
tensor list, the forward pass and the training loss. Written from SPEC's text,
not from the project's C code; the C implementation is tested against it.

Module use:
    import golf_ref
    c = golf_ref.resolve_config(cfg)          # validated, defaults filled (ValueError if invalid)
    specs = golf_ref.tensor_specs(cfg)        # [(name, shape), ...] in the order below
    W = golf_ref.init_weights(cfg, seed=0, scale=1.0)
    heads = golf_ref.forward(W, cfg, ids, step_frac=None)  # list of M logits [T, V] / [N, T, V]
    L = golf_ref.loss(W, cfg, ids, step_frac=None)        # SPEC section 1 training loss

step_frac = step / total_steps of `titan-train train`; None (the default) means the
full schedule S, as `titan logits`, `titan eval` and `titan-train grad` use.

CLI (like titan_ref.py):
    golf_ref.py --safetensors W --config CFG.json --ids IDS [--out OUT] [--head K]
                [--all-heads PREFIX] [--loss] [--step-frac F]
    golf_ref.py (--config CFG.json | --preset NAME) --specs   (tensor table and totals)
    golf_ref.py --self-test                                    (exit 1 on any failure)
The config JSON may be nested under "config" (as `titan inspect --json` writes it).
Logits are written as little-endian float32 [T][V] (head K, default 1).

TENSOR ORDER (the C side follows it). With every section-8 field at its default it
is exactly section 1's order.

    tok_emb                                   [V, D]
    for b = 0..B-1:
      blocks.{b}.attn_norm                    [D]
      mixer, attention block "mla":  wq_a, q_norm, wq_b | wq, wkv_a, kv_norm, wkv_b, wo
             attention block "gqa":  wq [H*Dh, D], wk [G*Dh, D], wv [G*Dv, D], wo [D, H*Dv]
             then, attention blocks: q_gain [H], k_sink [G, Dq], sink_logit [G], ve_scale [1]
                                     (each only when its option is on / b in value_embed.layers)
             GDN block:  gdn_qkv [C, D], gdn_conv [C, Kc], gdn_ba [2*Hv, D], gdn_A_log [Hv],
                         gdn_dt_bias [Hv], gdn_z [Hv*Dw, D], gdn_o_norm [Dw], gdn_o [D, Hv*Dw]
      blocks.{b}.ffn_norm                     [D]
      MLP, swiglu: w_gate, w_up, w_down, conv  (conv when conv_kernel > 0)
           relu2 / leaky_relu2: w_up, w_down
      blocks.{b}.resid_mix [2, D], attn_scale [D], mlp_scale [D]  (resid_mix; branch_scale)
    final_norm                                [D]
    bigram.table [N, d], bigram.proj [D, d], bigram.scale [1]
    value_embed.table [V, d], value_embed.proj [G*Dv, d], value_embed.scale [1]
    smear_gate                                [D]
    skip_weights [P, D], skip_gates [P, D]
    mtp.{k}.head [V, D]                       k = 2..M
Absent tensors are skipped (SPEC's "absent when ..." rules).

SPEC AMBIGUITIES and the choices made here (marked "AMBIGUITY" where they act):
  * Section-1 fields: the same defaults as titan_ref.py for the optional ones; the
    sizes are required. rope_dim must be even for "mla" too (section 1's half split).
  * List fields naming blocks (layer_schedule excepted) are sets: a repeated entry
    counts once; an entry outside 0..B-1 is refused. value_embed.layers may be empty
    (the value_embed tensors then exist and take no part).
  * parallel_residual_from: any negative value means off (SPEC's test 0 <= p <= b).
  * The gdn_* fields are validated (Hv % Hk == 0, >= 0) even when gdn_layers is empty.
  * skip_gates with unet_skips "none" is accepted and has no effect (P = 0).
  * smear_gate at t = 0 uses e_{-1} = 0, so e'_0 = (1 - sigma) * e_0 (SPEC literally).
  * resid_mix replaces h itself (the residual stream continues from the mixed h), as
    SPEC's forward pseudo-code writes it, not only the block input.
  * A GDN block's output passes through attn_scale (branch_scale) like attention's.
  * "family": "titan" is accepted; "xenith" (section 9) is refused here.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

import titan_ref  # tests/ref: section 1's reference

F = torch.nn.functional

# ---------------------------------------------------------------------------
# Config: fields, defaults, validation
# ---------------------------------------------------------------------------

S1_REQUIRED = ("vocab_size", "d_model", "n_heads", "n_kv_heads", "head_dim", "v_head_dim",
               "rope_dim", "kv_latent", "mlp_hidden", "n_unique_blocks")
S1_DEFAULTS = {  # as titan_ref.py (absent optional section-1 fields)
    "rope_base": 10000.0, "yarn_factor": 1.0, "yarn_orig_ctx": 4096,
    "yarn_beta_fast": 32.0, "yarn_beta_slow": 1.0, "mtp_heads": 1,
    "norm_eps": 1e-5, "logit_softcap": 0.0, "q_latent": 0, "conv_kernel": 0,
    "n_recurrences": 1, "max_seq_len": None, "bos_id": None, "mtp_weights": None,
}
S1_INTS = ("vocab_size", "d_model", "n_heads", "n_kv_heads", "head_dim", "v_head_dim",
           "rope_dim", "q_latent", "kv_latent", "mlp_hidden", "conv_kernel",
           "n_unique_blocks", "n_recurrences", "max_seq_len", "mtp_heads", "bos_id")
S1_FLOATS = ("rope_base", "yarn_factor", "yarn_orig_ctx", "yarn_beta_fast", "yarn_beta_slow",
             "norm_eps", "logit_softcap")

# Section 8: field -> (kind, default). kind: "bool", "int", "float", "ints" (list of
# int), a tuple of allowed strings, or "bigram" / "value_embed" (objects).
S8_FIELDS = {
    "layer_schedule": ("ints", None),            # None: blocks 0..B-1 repeated R times
    "recurrence_start_frac": ("float", 0.0),
    "attention": (("mla", "gqa"), "mla"),
    "qk_norm": ("bool", False),
    "q_gain": ("bool", False),
    "mlp_act": (("swiglu", "relu2", "leaky_relu2"), "swiglu"),
    "leaky_slope": ("float", 0.5),
    "parallel_residual_from": ("int", -1),
    "ln_scale": ("bool", False),
    "xsa_layers": ("ints", []),
    "bigram_hash": ("bigram", None),
    "value_embed": ("value_embed", None),
    "attn_sink": (("none", "key", "logit"), "none"),
    "smear_gate": ("bool", False),
    "emb_norm": ("bool", False),
    "resid_mix": ("bool", False),
    "branch_scale": ("bool", False),
    "unet_skips": (("none", "mirror", "mirror_blocks"), "none"),
    "skip_gates": ("bool", False),
    "gdn_layers": ("ints", []),
    "gdn_heads": ("int", 0),                     # 0: H
    "gdn_v_heads": ("int", 0),                   # 0: gdn_heads
    "gdn_head_dim": ("int", 0),                  # 0: head_dim
    "gdn_v_head_dim": ("int", 0),                # 0: v_head_dim
    "gdn_conv_kernel": ("int", 4),               # 0: no conv
    "gdn_qk_act": (("silu", "elu1"), "silu"),
    "gdn_out_norm": ("bool", True),
}
KNOWN_KEYS = set(S1_REQUIRED) | set(S1_DEFAULTS) | set(S8_FIELDS) | {"family"}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_kind(name, v, kind):
    """Type check of one present, non-null field (SPEC 8: a bool is true or false,
    a list is an array of integers, a float field takes an integer)."""
    ok = {"bool": lambda: isinstance(v, bool), "int": lambda: _is_int(v),
          "float": lambda: _is_num(v),
          "ints": lambda: isinstance(v, list) and all(_is_int(x) for x in v)}
    if isinstance(kind, tuple):
        if v not in kind or not isinstance(v, str):
            raise ValueError("%s: %r is not one of %s" % (name, v, ", ".join(kind)))
    elif kind in ok and not ok[kind]():
        raise ValueError("%s: %r is not a%s %s" % (
            name, v, "n" if kind == "int" else "",
            {"ints": "list of integers"}.get(kind, kind)))


def _check_object(name, v, fields):
    """bigram_hash / value_embed objects: exactly the given keys, each non-null."""
    if not isinstance(v, dict):
        raise ValueError("%s: must be null or an object" % name)
    for k in v:
        if k not in fields:
            raise ValueError("%s: unknown key %r" % (name, k))
    for k, kind in fields.items():
        if v.get(k) is None:
            raise ValueError("%s: missing %r" % (name, k))
        _check_kind("%s.%s" % (name, k), v[k], kind)


def _block_set(name, lst, B):
    """A list naming blocks, as a set (AMBIGUITY: a repeated entry counts once)."""
    for b in lst:
        if not 0 <= b < B:
            raise ValueError("%s: block %d is not in 0..%d" % (name, b, B - 1))
    return frozenset(lst)


def resolve_config(cfg):
    """Validated config with every default filled in (SPEC 1 and 8). Raises
    ValueError with a message naming the field for an invalid config. Derived keys:
    S (the full schedule), gdn/xsa/ve block sets, Hk, Hv, Dk, Dw, Kc, P."""
    if not isinstance(cfg, dict):
        raise ValueError("config must be an object")
    unknown = sorted(set(cfg) - KNOWN_KEYS)
    if unknown:
        raise ValueError("unknown config key(s): %s" % ", ".join(unknown))
    if cfg.get("family", "titan") not in ("titan", None):
        raise ValueError("family %r: only section 1/8 models ('titan') here" % cfg["family"])
    c = {}
    # --- section 1
    for k in S1_REQUIRED:
        if cfg.get(k) is None:
            raise ValueError("missing required field %s" % k)
    for k, d in S1_DEFAULTS.items():
        c[k] = cfg[k] if cfg.get(k) is not None else d
    for k in S1_REQUIRED:
        c[k] = cfg[k]
    for k in S1_INTS:
        if c[k] is not None and not _is_int(c[k]):
            raise ValueError("%s: %r is not an integer" % (k, c[k]))
    for k in S1_FLOATS:
        if not _is_num(c[k]):
            raise ValueError("%s: %r is not a number" % (k, c[k]))
    for k in ("vocab_size", "d_model", "n_heads", "n_kv_heads", "head_dim", "v_head_dim",
              "mlp_hidden", "n_unique_blocks", "n_recurrences", "mtp_heads"):
        if c[k] < 1:
            raise ValueError("%s must be >= 1 (got %d)" % (k, c[k]))
    for k in ("rope_dim", "q_latent", "kv_latent", "conv_kernel"):
        if c[k] < 0:
            raise ValueError("%s must be >= 0 (got %d)" % (k, c[k]))
    if c["n_heads"] % c["n_kv_heads"]:
        raise ValueError("n_heads %d is not a multiple of n_kv_heads %d"
                         % (c["n_heads"], c["n_kv_heads"]))
    if not c["norm_eps"] > 0 or c["logit_softcap"] < 0 or not c["rope_base"] > 0:
        raise ValueError("norm_eps and rope_base must be > 0, logit_softcap >= 0")
    M = c["mtp_heads"]
    if c["mtp_weights"] is None:
        c["mtp_weights"] = [1.0] + [0.0] * (M - 1)
    if not (isinstance(c["mtp_weights"], list) and len(c["mtp_weights"]) == M
            and all(_is_num(w) for w in c["mtp_weights"])):
        raise ValueError("mtp_weights must be a list of %d numbers" % M)
    # --- section 8: types, then defaults
    for k, (kind, default) in S8_FIELDS.items():
        v = cfg.get(k)
        if v is None:
            c[k] = default
            continue
        if kind == "bigram":
            _check_object(k, v, {"buckets": "int", "dim": "int"})
        elif kind == "value_embed":
            _check_object(k, v, {"dim": "int", "layers": "ints"})
        else:
            _check_kind(k, v, kind)
        c[k] = v
    B, H = c["n_unique_blocks"], c["n_heads"]
    # schedule
    if c["layer_schedule"] is None:
        c["S"] = list(range(B)) * c["n_recurrences"]
    else:
        S = list(c["layer_schedule"])
        for b in S:
            if not 0 <= b < B:
                raise ValueError("layer_schedule names block %d, not in 0..%d" % (b, B - 1))
        missing = sorted(set(range(B)) - set(S))
        if missing:
            raise ValueError("layer_schedule does not name block(s) %s"
                             % ", ".join(map(str, missing)))
        c["S"] = S
    if not 0 <= c["recurrence_start_frac"] <= 1:
        raise ValueError("recurrence_start_frac %r is not in [0, 1]" % c["recurrence_start_frac"])
    # mixers
    c["gdn"] = _block_set("gdn_layers", c["gdn_layers"], B)
    c["xsa"] = _block_set("xsa_layers", c["xsa_layers"], B)
    for b in sorted(c["xsa"] & c["gdn"]):
        raise ValueError("xsa_layers: block %d is a GDN block, not an attention block" % b)
    if c["attention"] == "gqa":
        Dr = c["rope_dim"]
        if Dr % 2 or Dr > c["head_dim"]:
            raise ValueError("rope_dim %d must be even and <= head_dim %d for attention gqa"
                             % (Dr, c["head_dim"]))
    else:
        if c["rope_dim"] % 2:
            raise ValueError("rope_dim %d must be even (half-split RoPE)" % c["rope_dim"])
        if c["kv_latent"] < 1:
            raise ValueError("kv_latent must be >= 1 for attention mla")
    # embeddings
    if c["bigram_hash"] is not None:
        if c["bigram_hash"]["buckets"] < 2:
            raise ValueError("bigram_hash.buckets must be >= 2")
        if c["bigram_hash"]["dim"] < 1:
            raise ValueError("bigram_hash.dim must be >= 1")
    c["ve"] = frozenset()
    if c["value_embed"] is not None:
        if c["value_embed"]["dim"] < 1:
            raise ValueError("value_embed.dim must be >= 1")
        c["ve"] = _block_set("value_embed.layers", c["value_embed"]["layers"], B)
        for b in sorted(c["ve"] & c["gdn"]):
            raise ValueError("value_embed.layers: block %d is a GDN block, not an attention block" % b)
    # GDN widths (0 = default), validated whether or not a block uses them
    for k in ("gdn_heads", "gdn_v_heads", "gdn_head_dim", "gdn_v_head_dim", "gdn_conv_kernel"):
        if c[k] < 0:
            raise ValueError("%s must be >= 0 (got %d)" % (k, c[k]))
    c["Hk"] = c["gdn_heads"] or H
    c["Hv"] = c["gdn_v_heads"] or c["Hk"]
    c["Dk"] = c["gdn_head_dim"] or c["head_dim"]
    c["Dw"] = c["gdn_v_head_dim"] or c["v_head_dim"]
    c["Kc"] = c["gdn_conv_kernel"]
    if c["Hv"] % c["Hk"]:
        raise ValueError("gdn_v_heads %d is not a multiple of gdn_heads %d" % (c["Hv"], c["Hk"]))
    # skips
    if c["unet_skips"] == "mirror":
        c["P"] = len(c["S"]) // 2
    elif c["unet_skips"] == "mirror_blocks":
        c["P"] = B // 2
        skip_pairs(c, c["S"])  # raises when a source does not come before its destination
    else:
        c["P"] = 0
    c["_resolved"] = True
    return c


# ---------------------------------------------------------------------------
# Schedule and skips
# ---------------------------------------------------------------------------

def dedup_schedule(S):
    """S with every repeat removed, first occurrences kept in order (SPEC 8, S')."""
    seen, out = set(), []
    for b in S:
        if b not in seen:
            seen.add(b)
            out.append(b)
    return out


def schedule_in_use(c, step_frac=None):
    """The full S, or S' while step_frac < recurrence_start_frac (training only)."""
    if step_frac is not None and step_frac < c["recurrence_start_frac"]:
        return dedup_schedule(c["S"])
    return list(c["S"])


def skip_pairs(c, S_use):
    """[(j, source l, destination l)] on the schedule in use (SPEC 8 "Skips").
    mirror: n_e = floor(n'/2), j < min(n_e, n'-n_e): source n_e-1-j, dest n_e+j.
    mirror_blocks: n_e = floor(B/2), j < n_e: first occurrence of block n_e-1-j ->
    first occurrence of block n_e+j; invalid unless the source comes first."""
    if c["unet_skips"] == "mirror":
        n = len(S_use)
        ne = n // 2
        return [(j, ne - 1 - j, ne + j) for j in range(min(ne, n - ne))]
    if c["unet_skips"] == "mirror_blocks":
        first = {}
        for l, b in enumerate(S_use):
            first.setdefault(b, l)
        ne = c["n_unique_blocks"] // 2
        pairs = [(j, first[ne - 1 - j], first[ne + j]) for j in range(ne)]
        for j, s, d in pairs:
            if not s < d:
                raise ValueError("unet_skips mirror_blocks: skip %d's source block %d (layer %d) "
                                 "does not come before its destination block %d (layer %d)"
                                 % (j, ne - 1 - j, s, ne + j, d))
        return pairs
    return []


# ---------------------------------------------------------------------------
# Tensors
# ---------------------------------------------------------------------------

def _block_specs(c, b):
    """Tensors of block b in the order documented at the top of the file."""
    D, H, G = c["d_model"], c["n_heads"], c["n_kv_heads"]
    Dh, Dv, Dr, Fh = c["head_dim"], c["v_head_dim"], c["rope_dim"], c["mlp_hidden"]
    p = "blocks.%d." % b
    out = [(p + "attn_norm", [D])]
    if b in c["gdn"]:
        Hk, Hv, Dk, Dw, Kc = c["Hk"], c["Hv"], c["Dk"], c["Dw"], c["Kc"]
        C = 2 * Hk * Dk + Hv * Dw
        out.append((p + "gdn_qkv", [C, D]))
        if Kc > 0:
            out.append((p + "gdn_conv", [C, Kc]))
        out += [(p + "gdn_ba", [2 * Hv, D]), (p + "gdn_A_log", [Hv]),
                (p + "gdn_dt_bias", [Hv]), (p + "gdn_z", [Hv * Dw, D])]
        if c["gdn_out_norm"]:
            out.append((p + "gdn_o_norm", [Dw]))
        out.append((p + "gdn_o", [D, Hv * Dw]))
    else:
        if c["attention"] == "gqa":
            Dq = Dh
            out += [(p + "wq", [H * Dh, D]), (p + "wk", [G * Dh, D]),
                    (p + "wv", [G * Dv, D]), (p + "wo", [D, H * Dv])]
        else:
            Dq, Lq, Lkv = Dh + Dr, c["q_latent"], c["kv_latent"]
            if Lq > 0:
                out += [(p + "wq_a", [Lq, D]), (p + "q_norm", [Lq]),
                        (p + "wq_b", [H * Dq, Lq])]
            else:
                out.append((p + "wq", [H * Dq, D]))
            out += [(p + "wkv_a", [Lkv + Dr, D]), (p + "kv_norm", [Lkv]),
                    (p + "wkv_b", [G * (Dh + Dv), Lkv]), (p + "wo", [D, H * Dv])]
        if c["q_gain"]:
            out.append((p + "q_gain", [H]))
        if c["attn_sink"] == "key":
            out.append((p + "k_sink", [G, Dq]))
        if c["attn_sink"] == "logit":
            out.append((p + "sink_logit", [G]))
        if b in c["ve"]:
            out.append((p + "ve_scale", [1]))
    out.append((p + "ffn_norm", [D]))
    if c["mlp_act"] == "swiglu":
        out += [(p + "w_gate", [Fh, D]), (p + "w_up", [Fh, D]), (p + "w_down", [D, Fh])]
        if c["conv_kernel"] > 0:
            out.append((p + "conv", [Fh, c["conv_kernel"]]))
    else:
        out += [(p + "w_up", [Fh, D]), (p + "w_down", [D, Fh])]
    if c["resid_mix"]:
        out.append((p + "resid_mix", [2, D]))
    if c["branch_scale"]:
        out += [(p + "attn_scale", [D]), (p + "mlp_scale", [D])]
    return out


def tensor_specs(cfg):
    """[(name, shape)] of every tensor, in the order at the top of this file."""
    c = cfg if cfg.get("_resolved") else resolve_config(cfg)
    V, D, G, Dv = c["vocab_size"], c["d_model"], c["n_kv_heads"], c["v_head_dim"]
    out = [("tok_emb", [V, D])]
    for b in range(c["n_unique_blocks"]):
        out += _block_specs(c, b)
    out.append(("final_norm", [D]))
    if c["bigram_hash"] is not None:
        N, d = c["bigram_hash"]["buckets"], c["bigram_hash"]["dim"]
        out.append(("bigram.table", [N, d]))
        if d != D:
            out.append(("bigram.proj", [D, d]))
        out.append(("bigram.scale", [1]))
    if c["value_embed"] is not None:
        d = c["value_embed"]["dim"]
        out.append(("value_embed.table", [V, d]))
        if d != G * Dv:
            out.append(("value_embed.proj", [G * Dv, d]))
        out.append(("value_embed.scale", [1]))
    if c["smear_gate"]:
        out.append(("smear_gate", [D]))
    if c["P"] > 0:
        out.append(("skip_weights", [c["P"], D]))
        if c["skip_gates"]:
            out.append(("skip_gates", [c["P"], D]))
    out += [("mtp.%d.head" % k, [V, D]) for k in range(2, c["mtp_heads"] + 1)]
    return out


def parameter_count(cfg):
    """(parameters, tensors) of a config."""
    specs = tensor_specs(cfg)
    return sum(int(np.prod(s)) for _, s in specs), len(specs)


GAINS = ("attn_norm", "ffn_norm", "final_norm", "q_norm", "kv_norm", "gdn_o_norm",
         "q_gain", "attn_scale", "mlp_scale")


def init_weights(cfg, seed=0, scale=1.0):
    """Deterministic random float64 weights for tests: matrices, tables and kernels
    N(0, scale^2/cols); norm gains, q_gain and branch scales 1 + 0.1 N(0,1);
    resid_mix rows ~ (1, 0) and skip_weights ~ 1 (+ 0.1 N); skip_gates, smear_gate,
    sink_logit, gdn_dt_bias 0.5 N; gdn_A_log 0.5 N (A ~ 1); [1] scales 0.5 + 0.1 N."""
    gen = torch.Generator().manual_seed(int(seed))
    W = {}
    for name, shape in tensor_specs(cfg):
        r = torch.randn(shape, generator=gen, dtype=torch.float64)
        leaf = name.split(".")[-1]
        if leaf in GAINS:
            W[name] = 1 + 0.1 * r
        elif leaf == "resid_mix":
            W[name] = torch.stack([1 + 0.1 * r[0], 0.1 * r[1]])
        elif leaf == "skip_weights":
            W[name] = 1 + 0.1 * r
        elif leaf in ("skip_gates", "smear_gate", "sink_logit", "gdn_dt_bias", "gdn_A_log"):
            W[name] = 0.5 * r
        elif shape == [1]:
            W[name] = 0.5 + 0.1 * r
        else:
            W[name] = r * (scale / math.sqrt(shape[1]))
    return W


def check_weights(W, c):
    """Refuse a weight dict whose names or shapes differ from tensor_specs."""
    specs = tensor_specs(c)
    want = {n for n, _ in specs}
    if set(W) != want:
        raise ValueError("tensor names differ from the config's: missing %s, extra %s"
                         % (sorted(want - set(W)), sorted(set(W) - want)))
    for n, s in specs:
        if list(W[n].shape) != s:
            raise ValueError("tensor %s has shape %s, the config needs %s"
                             % (n, list(W[n].shape), s))


# ---------------------------------------------------------------------------
# Elementary pieces
# ---------------------------------------------------------------------------

def rmsnorm(v, g, eps):
    """RMSNorm(v; g) = v / sqrt(mean(v^2) + eps) * g over the last dim (SPEC 1)."""
    return v / torch.sqrt((v * v).mean(-1, keepdim=True) + eps) * g


def rmsnorm0(v, eps):
    """RMSNorm0(v) = v / sqrt(mean(v^2) + eps), no gain (SPEC 8)."""
    return v / torch.sqrt((v * v).mean(-1, keepdim=True) + eps)


def softplus(x):
    """ln(1 + e^x) exactly (torch's softplus switches to x above 20)."""
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x)))


def elu1(x):
    """ELU(x) + 1 with alpha 1: x + 1 for x > 0, e^x otherwise (SPEC 8 gdn_qk_act)."""
    return torch.where(x > 0, x + 1, torch.exp(torch.clamp(x, max=0)))


def causal_conv(a, w):
    """a'_t[ch] = sum_{j<K} w[ch, j] * a_{t-(K-1)+j}[ch], zero before the start.
    a [N, T, C], w [C, K]."""
    K = w.shape[1]
    T = a.shape[1]
    ap = F.pad(a, (0, 0, K - 1, 0))                       # [N, T+K-1, C]
    return sum(w[:, j] * ap[:, j:j + T] for j in range(K))


# RoPE and YaRN are section 1's (titan_ref.py): per-pair frequencies w_i' and
# mscale, which depends on yarn_factor only (so it applies when Dr = 0 too), and
# the half-split rotation of the whole last dim.
rope_frequencies = titan_ref.rope_frequencies
rope = titan_ref.rope


# ---------------------------------------------------------------------------
# Embedding
# ---------------------------------------------------------------------------

def bigram_indices(x, N):
    """idx_0 = N-1; idx_t = ((36313 x_t) XOR (27191 x_{t-1})) mod (N-1), exact
    non-negative integers (int64 is exact for ids < 2^40). x [Nseq, T] long."""
    idx = torch.full_like(x, N - 1)
    if x.shape[1] > 1:
        idx[:, 1:] = torch.bitwise_xor(36313 * x[:, 1:], 27191 * x[:, :-1]) % (N - 1)
    return idx


def embed(W, c, x):
    """e = tok_emb[x] (+ bigram), then emb_norm, then smear_gate (SPEC 8)."""
    e = W["tok_emb"][x]
    if c["bigram_hash"] is not None:
        t = W["bigram.table"][bigram_indices(x, c["bigram_hash"]["buckets"])]
        if "bigram.proj" in W:
            t = t @ W["bigram.proj"].T
        e = e + W["bigram.scale"] * t
    if c["emb_norm"]:
        e = rmsnorm0(e, c["norm_eps"])
    if c["smear_gate"]:
        sig = torch.sigmoid(W["smear_gate"])
        prev = F.pad(e[:, :-1], (0, 0, 1, 0))             # e_{t-1}, e_{-1} = 0
        e = (1 - sig) * e + sig * prev
    return e


def value_embedding(W, c, x):
    """ve_t = value_embed.scale * proj table[x_t] in R^{G*Dv} (proj omitted when absent)."""
    t = W["value_embed.table"][x]
    if "value_embed.proj" in W:
        t = t @ W["value_embed.proj"].T
    return W["value_embed.scale"] * t


# ---------------------------------------------------------------------------
# Mixers
# ---------------------------------------------------------------------------

def attention_qkv(W, c, b, u, pos, freq):
    """Per-head q [N, H, T, Dq], per-group k [N, G, T, Dq], v [N, G, T, Dv] and Dq,
    before value_embed / qk_norm / q_gain. mla: section 1 with k_g = [kn_g | kr];
    gqa: wq/wk/wv with RoPE on the first Dr dims of every head and group."""
    p = "blocks.%d." % b
    N, T, _ = u.shape
    H, G, Dh, Dv, Dr = (c["n_heads"], c["n_kv_heads"], c["head_dim"], c["v_head_dim"],
                        c["rope_dim"])
    if c["attention"] == "gqa":
        q = (u @ W[p + "wq"].T).view(N, T, H, Dh).transpose(1, 2)
        k = (u @ W[p + "wk"].T).view(N, T, G, Dh).transpose(1, 2)
        v = (u @ W[p + "wv"].T).view(N, T, G, Dv).transpose(1, 2)
        q = torch.cat([rope(q[..., :Dr], pos, freq), q[..., Dr:]], dim=-1)
        k = torch.cat([rope(k[..., :Dr], pos, freq), k[..., Dr:]], dim=-1)
        return q, k, v, Dh
    eps, Lkv = c["norm_eps"], c["kv_latent"]
    if c["q_latent"] > 0:
        q = rmsnorm(u @ W[p + "wq_a"].T, W[p + "q_norm"], eps) @ W[p + "wq_b"].T
    else:
        q = u @ W[p + "wq"].T
    q = q.view(N, T, H, Dh + Dr).transpose(1, 2)
    q = torch.cat([q[..., :Dh], rope(q[..., Dh:], pos, freq)], dim=-1)
    a = u @ W[p + "wkv_a"].T                                     # [N, T, Lkv+Dr]
    lat = rmsnorm(a[..., :Lkv], W[p + "kv_norm"], eps)
    kr = rope(a[..., Lkv:], pos, freq)                           # [N, T, Dr], shared
    kv = (lat @ W[p + "wkv_b"].T).view(N, T, G, Dh + Dv).transpose(1, 2)
    k = torch.cat([kv[..., :Dh], kr[:, None].expand(N, G, T, Dr)], dim=-1)
    return q, k, kv[..., Dh:], Dh + Dr


def attention(W, c, b, u, ve, pos, freq, mscale):
    """Attention block b on u [N, T, D] (SPEC 8 "Attention block b"): value_embed,
    qk_norm (whole Dq vectors), q_gain, scores * mscale^2/sqrt(Dq), causal softmax
    with an optional zero-value sink, XSA, then wo."""
    p = "blocks.%d." % b
    N, T, _ = u.shape
    H, G = c["n_heads"], c["n_kv_heads"]
    q, k, v, Dq = attention_qkv(W, c, b, u, pos, freq)
    if b in c["ve"]:
        v = v + W[p + "ve_scale"] * ve.view(N, T, G, -1).transpose(1, 2)
    if c["qk_norm"]:
        q, k = rmsnorm0(q, c["norm_eps"]), rmsnorm0(k, c["norm_eps"])
    if c["q_gain"]:
        q = q * W[p + "q_gain"].view(1, H, 1, 1)
    rep = H // G                                                 # head i -> group i // rep
    kh, vh = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
    scale = mscale * mscale / math.sqrt(Dq)
    s = (q @ kh.transpose(-1, -2)) * scale                       # [N, H, T, T]
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    s = s.masked_fill(~causal, float("-inf"))
    if c["attn_sink"] == "none":
        pr = torch.softmax(s, dim=-1)
    else:
        if c["attn_sink"] == "key":
            ks = W[p + "k_sink"].repeat_interleave(rep, dim=0)  # [H, Dq], not rotated/normed
            s_sink = (q * ks[None, :, None, :]).sum(-1) * scale  # [N, H, T]
        else:
            s_sink = W[p + "sink_logit"].repeat_interleave(rep)[None, :, None].expand(N, H, T)
        pr = torch.softmax(torch.cat([s_sink[..., None], s], dim=-1), dim=-1)[..., 1:]
    o = pr @ vh                                                  # [N, H, T, Dv]
    if b in c["xsa"]:
        n = vh / torch.clamp(vh.norm(dim=-1, keepdim=True), min=1e-12)
        o = o - (o * n).sum(-1, keepdim=True) * n
    return o.transpose(1, 2).reshape(N, T, -1) @ W[p + "wo"].T


def gdn_recurrence(q, k, v, beta, g):
    """The gated delta rule, recurrent form (SPEC 8), per value head:
    S_0 = 0; S_t = a_t S_{t-1} + b_t k_t (v_t - a_t S_{t-1}^T k_t)^T, a_t = exp(g_t);
    o_t = S_t^T q_t. q, k [N, T, Hv, Dk] (already normalized and per value head),
    v [N, T, Hv, Dw], beta, g [N, T, Hv]. Returns o [N, T, Hv, Dw]."""
    N, T, Hv, Dk = k.shape
    S = torch.zeros(N, Hv, Dk, v.shape[-1], dtype=v.dtype)
    outs = []
    for t in range(T):
        Sd = torch.exp(g[:, t])[..., None, None] * S                    # a_t S_{t-1}
        kt = k[:, t]
        err = v[:, t] - torch.einsum("nhkw,nhk->nhw", Sd, kt)
        S = Sd + beta[:, t, :, None, None] * kt[..., None] * err[..., None, :]
        outs.append(torch.einsum("nhkw,nhk->nhw", S, q[:, t]))
    return torch.stack(outs, dim=1)


def gdn_inputs(W, c, b, u):
    """q^, k^ (per value head), v, beta, g and the gate z of GDN block b on u."""
    p = "blocks.%d." % b
    N, T, _ = u.shape
    Hk, Hv, Dk, Dw, Kc = c["Hk"], c["Hv"], c["Dk"], c["Dw"], c["Kc"]
    cc = u @ W[p + "gdn_qkv"].T                                   # [N, T, C]
    if Kc > 0:
        cc = causal_conv(cc, W[p + "gdn_conv"])
    act = F.silu if c["gdn_qk_act"] == "silu" else elu1
    q = act(cc[..., :Hk * Dk]).view(N, T, Hk, Dk)
    k = act(cc[..., Hk * Dk:2 * Hk * Dk]).view(N, T, Hk, Dk)
    v = F.silu(cc[..., 2 * Hk * Dk:]).view(N, T, Hv, Dw)
    ba = u @ W[p + "gdn_ba"].T                                    # [N, T, 2*Hv]
    beta = torch.sigmoid(ba[..., :Hv])
    g = -torch.exp(W[p + "gdn_A_log"]) * softplus(ba[..., Hv:] + W[p + "gdn_dt_bias"])
    q = q / torch.sqrt((q * q).sum(-1, keepdim=True) + 1e-6) / math.sqrt(Dk)
    k = k / torch.sqrt((k * k).sum(-1, keepdim=True) + 1e-6)
    rep = Hv // Hk                                                # value head j -> key head j // rep
    q, k = q.repeat_interleave(rep, dim=2), k.repeat_interleave(rep, dim=2)
    z = (u @ W[p + "gdn_z"].T).view(N, T, Hv, Dw)
    return q, k, v, beta, g, z


def gdn(W, c, b, u):
    """GDN block b on u [N, T, D] (SPEC 8): conv, activations, L2 norms, beta, decay,
    recurrence, gated RMSNorm (or gate only), gdn_o."""
    p = "blocks.%d." % b
    N, T, _ = u.shape
    q, k, v, beta, g, z = gdn_inputs(W, c, b, u)
    o = gdn_recurrence(q, k, v, beta, g)
    if c["gdn_out_norm"]:
        o = rmsnorm(o, W[p + "gdn_o_norm"], c["norm_eps"])
    y = o * F.silu(z)
    return y.reshape(N, T, -1) @ W[p + "gdn_o"].T


# ---------------------------------------------------------------------------
# MLP
# ---------------------------------------------------------------------------

def mlp(W, c, b, u):
    """swiglu = section 1 (with conv_kernel); relu2 = w_down max(w_up u, 0)^2;
    leaky_relu2 = w_down phi(w_up u)^2, phi(a) = a (a >= 0) else leaky_slope*a."""
    p = "blocks.%d." % b
    up = u @ W[p + "w_up"].T
    if c["mlp_act"] == "swiglu":
        a = u @ W[p + "w_gate"].T
        if c["conv_kernel"] > 0:
            a = causal_conv(a, W[p + "conv"])
        hid = F.silu(a) * up
    elif c["mlp_act"] == "relu2":
        hid = torch.clamp(up, min=0) ** 2
    else:
        hid = torch.where(up >= 0, up, c["leaky_slope"] * up) ** 2
    return hid @ W[p + "w_down"].T


# ---------------------------------------------------------------------------
# Forward and loss
# ---------------------------------------------------------------------------

def _weights(weights, c, dtype):
    W = {k: torch.as_tensor(v).to(dtype) for k, v in weights.items()}
    check_weights(W, c)
    return W


def _ids(ids, c):
    x = torch.as_tensor(ids, dtype=torch.long)
    single = x.dim() == 1
    if single:
        x = x[None]
    if x.dim() != 2 or x.shape[1] < 1:
        raise ValueError("ids must be [T] or [N, T] with T >= 1")
    if x.numel() and (x.min() < 0 or x.max() >= c["vocab_size"]):
        raise ValueError("token id out of range 0..%d" % (c["vocab_size"] - 1))
    return x, single


def forward(weights, cfg, ids, dtype=torch.float64, step_frac=None):
    """Logits of every head: a list of M tensors [T, V] ([N, T, V] for batched ids),
    SPEC 8 "Forward pass" on the schedule in use (S unless step_frac is given and
    below recurrence_start_frac, then S')."""
    c = resolve_config(cfg)
    W = _weights(weights, c, dtype)
    x, single = _ids(ids, c)
    T = x.shape[1]
    pos = torch.arange(T)
    freq, mscale = rope_frequencies(c)
    eps = c["norm_eps"]
    S = schedule_in_use(c, step_frac)
    pairs = skip_pairs(c, S)
    dest = {d: (j, s) for j, s, d in pairs}
    sources = {s for _, s, _ in pairs}
    saved = {}

    h = x0 = embed(W, c, x)
    ve = value_embedding(W, c, x) if c["value_embed"] is not None else None
    for l, b in enumerate(S):
        p = "blocks.%d." % b
        if l in dest:
            j, s = dest[l]
            a = W["skip_weights"][j] * saved[s]
            if c["skip_gates"]:
                h = a + torch.sigmoid(W["skip_gates"][j]) * (h - a)
            else:
                h = h + a
        if c["resid_mix"]:
            h = W[p + "resid_mix"][0] * h + W[p + "resid_mix"][1] * x0
        f = 1 / math.sqrt(b + 1) if c["ln_scale"] else 1.0
        ua = f * rmsnorm(h, W[p + "attn_norm"], eps)
        if b in c["gdn"]:
            y = gdn(W, c, b, ua)
        else:
            y = attention(W, c, b, ua, ve, pos, freq, mscale)
        if c["branch_scale"]:
            y = W[p + "attn_scale"] * y
        ms = W[p + "mlp_scale"] if c["branch_scale"] else 1.0
        if 0 <= c["parallel_residual_from"] <= b:
            h = h + y + ms * mlp(W, c, b, f * rmsnorm(h, W[p + "ffn_norm"], eps))
        else:
            h = h + y
            h = h + ms * mlp(W, c, b, f * rmsnorm(h, W[p + "ffn_norm"], eps))
        if l in sources:
            saved[l] = h

    z = rmsnorm(h, W["final_norm"], eps)
    heads = [z @ W["tok_emb"].T]
    for k in range(2, c["mtp_heads"] + 1):
        heads.append(z @ W["mtp.%d.head" % k].T)
    cap = c["logit_softcap"]
    if cap > 0:
        heads = [cap * torch.tanh(lg / cap) for lg in heads]
    return [lg[0] for lg in heads] if single else heads


def loss(weights, cfg, ids, dtype=torch.float64, step_frac=None):
    """SPEC 1 training loss on the schedule in use: sum_k mtp_weights[k] *
    mean_{t<=T-k} CE(logits_k(t), x_{t+k}), a head with T <= k adds 0; batch mean."""
    c = resolve_config(cfg)
    x, _ = _ids(ids, c)
    heads = forward(weights, cfg, x, dtype, step_frac)
    T = x.shape[1]
    total = torch.zeros((), dtype=dtype)
    for k, logits in enumerate(heads, start=1):
        if T <= k:
            continue
        lp = torch.log_softmax(logits[:, :T - k], dim=-1)
        nll = -lp.gather(-1, x[:, k:, None])[..., 0]
        total = total + c["mtp_weights"][k - 1] * nll.mean(dim=1).mean()
    return total


# ---------------------------------------------------------------------------
# Presets (SPEC 8 "Presets")
# ---------------------------------------------------------------------------

GOLF_1_1531 = {
    "vocab_size": 1024, "d_model": 512, "n_heads": 8, "n_kv_heads": 4, "head_dim": 64,
    "v_head_dim": 64, "rope_dim": 16, "q_latent": 0, "kv_latent": 0, "mlp_hidden": 1536,
    "conv_kernel": 0, "n_unique_blocks": 11, "n_recurrences": 1, "max_seq_len": 2048,
    "rope_base": 10000.0, "yarn_factor": 1.0, "yarn_orig_ctx": 2048, "yarn_beta_fast": 32.0,
    "yarn_beta_slow": 1.0, "mtp_heads": 1, "mtp_weights": [1.0], "norm_eps": 1e-5,
    "logit_softcap": 30.0,
    "layer_schedule": [0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5, 6, 7, 8, 9, 10],
    "recurrence_start_frac": 0.35, "attention": "gqa", "qk_norm": True, "q_gain": True,
    "mlp_act": "leaky_relu2", "leaky_slope": 0.5, "parallel_residual_from": 7,
    "ln_scale": True, "xsa_layers": [7, 8, 9, 10],
    "bigram_hash": {"buckets": 2048, "dim": 128},
    "value_embed": {"dim": 128, "layers": [9, 10]}, "smear_gate": True, "emb_norm": True,
    "resid_mix": True, "branch_scale": True, "unet_skips": "mirror_blocks",
}
GOLF_1_0785 = dict(
    GOLF_1_1531, vocab_size=8192, mlp_hidden=2112, max_seq_len=4096, yarn_orig_ctx=4096,
    logit_softcap=20.0, recurrence_start_frac=0.4, parallel_residual_from=8,
    xsa_layers=[2, 3, 4, 5, 6, 7, 8, 9], bigram_hash=None, value_embed=None,
    smear_gate=False, attn_sink="key", unet_skips="mirror", skip_gates=True,
    gdn_layers=[0, 1, 10], gdn_heads=2, gdn_v_heads=4, gdn_head_dim=64, gdn_v_head_dim=64,
    gdn_conv_kernel=2, gdn_qk_act="elu1", gdn_out_norm=False)
PRESETS = {"golf-1.1531": GOLF_1_1531, "golf-1.0785": GOLF_1_0785}


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------

def _object_no_repeats(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError("repeated key %r in config JSON" % k)
        out[k] = v
    return out


def load_config(path):
    """Config JSON (repeated keys refused), nested under "config" or not."""
    with open(path) as f:
        cfg = json.load(f, object_pairs_hook=_object_no_repeats)
    if isinstance(cfg, dict) and isinstance(cfg.get("config"), dict):
        cfg = cfg["config"]
    return cfg


def read_safetensors(path):
    """name -> float64 tensor, through tests/ref/safetensors_ref.py."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import safetensors_ref
    tensors, _ = safetensors_ref.read(path)
    return {name: torch.from_numpy(np.array(x, dtype=np.float64)) for name, _, _, x in tensors}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--safetensors")
    ap.add_argument("--config")
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("--ids")
    ap.add_argument("--out")
    ap.add_argument("--head", type=int, default=1)
    ap.add_argument("--all-heads", metavar="PREFIX")
    ap.add_argument("--loss", action="store_true", help="print the training loss")
    ap.add_argument("--step-frac", type=float, default=None,
                    help="training progress step/total_steps (selects S' below "
                         "recurrence_start_frac); default: the full schedule")
    ap.add_argument("--specs", action="store_true", help="print the tensor table and totals")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args(argv)
    if a.self_test:
        return self_test()
    if (a.config is None) == (a.preset is None):
        ap.error("give one of --config and --preset")
    try:
        cfg = PRESETS[a.preset] if a.preset else load_config(a.config)
        resolve_config(cfg)
        if a.specs:
            for name, shape in tensor_specs(cfg):
                print("%-28s %s" % (name, shape))
            n, k = parameter_count(cfg)
            print("total %d parameters in %d tensors" % (n, k))
            return 0
        if not a.safetensors or not a.ids:
            ap.error("--safetensors and --ids are required")
        with open(a.ids) as f:
            ids = [int(t) for t in f.read().split()]
        W = read_safetensors(a.safetensors)
        heads = forward(W, cfg, ids, step_frac=a.step_frac)
        if not 1 <= a.head <= len(heads):
            ap.error("--head %d: the model has %d heads" % (a.head, len(heads)))
        if a.out:
            heads[a.head - 1].numpy().astype("<f4").tofile(a.out)
        if a.all_heads:
            for k, lg in enumerate(heads, start=1):
                lg.numpy().astype("<f4").tofile("%s.%d" % (a.all_heads, k))
        if a.loss:
            print("%.12f" % loss(W, cfg, ids, step_frac=a.step_frac).item())
    except ValueError as e:
        print("golf_ref.py: %s" % e, file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------
# Self-tests (golf_ref.py --self-test)
# ---------------------------------------------------------------------------

def self_test():
    import golf_ref_selftest  # tests/ref/golf_ref_selftest.py
    return golf_ref_selftest.run()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv[1:]))
