#!/usr/bin/python3
"""hadamard_check.py TITAN DIR (run by tests/e2e/hadamard.sh): `titan pack
--hadamard` against numpy. For a gqa config (a GDN block, a key sink, XSA, a
projected value embedding) and an mla one (a logit sink, an unprojected value
embedding), with golf_ref's random weights packed f32 with and without the
fold: every head's logits agree within 1e-5 relative; each group's value rows
(wv, or wkv_b's value rows) equal H times the input's, each head's wo columns
the input's times H (H = Sylvester's Walsh-Hadamard matrix / sqrt(Dv), built
here with np.kron), the value embedding turned likewise, every other tensor
(the GDN block's included) bit for bit as given. Then with outliers planted in
wo (1% of entries x 12), int6 packing reports a lower error for every wo after
the fold, which spreads each outlier over its row's Dv columns; the value side
(mixed across rows, each with its own scale) gains nothing from it, and its
reported ratio is only checked to be finite."""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import artifact_ref  # noqa: E402
import golf_ref  # noqa: E402
import safetensors_ref  # noqa: E402

BASE = dict(vocab_size=300, d_model=32, n_heads=4, n_kv_heads=2, head_dim=8, v_head_dim=8,
            rope_dim=4, q_latent=0, kv_latent=0, mlp_hidden=40, conv_kernel=2,
            n_unique_blocks=4, n_recurrences=1, max_seq_len=128, rope_base=10000.0,
            yarn_factor=1.0, yarn_orig_ctx=128, yarn_beta_fast=32.0, yarn_beta_slow=1.0,
            mtp_heads=2, mtp_weights=[1.0, 0.3], norm_eps=1e-5, logit_softcap=0.0,
            xsa_layers=[2, 3], q_gain=True, qk_norm=True)
CONFIGS = [
    ("gqa", dict(BASE, attention="gqa", attn_sink="key", gdn_layers=[1],
                 value_embed={"dim": 7, "layers": [2, 3]})),
    ("mla", dict(BASE, attention="mla", q_latent=12, kv_latent=10, attn_sink="logit",
                 value_embed={"dim": 16, "layers": [0, 3]})),
]


def titan(*args):
    return subprocess.run([TITAN, *map(str, args)], check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE).stdout


def hadamard(n):
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.kron(h, np.array([[1.0, 1.0], [1.0, -1.0]]))
    return h / np.sqrt(n)


def turned(cfg):
    """name -> (axis, first, stride, blocks) of each tensor the fold turns."""
    Dv, G, H, Dh = cfg["v_head_dim"], cfg["n_kv_heads"], cfg["n_heads"], cfg["head_dim"]
    out = {}
    for b in range(cfg["n_unique_blocks"]):
        if b in cfg.get("gdn_layers", []):
            continue
        if cfg["attention"] == "gqa":
            out["blocks.%d.wv" % b] = (0, 0, Dv, G)
        else:
            out["blocks.%d.wkv_b" % b] = (0, Dh, Dh + Dv, G)
        out["blocks.%d.wo" % b] = (1, 0, Dv, H)
    if cfg["value_embed"]["dim"] != G * Dv:
        out["value_embed.proj"] = (0, 0, Dv, G)
    else:
        out["value_embed.table"] = (1, 0, Dv, G)
    return out


def turn(w, how, Dv):
    axis, first, stride, blocks = how
    w, h = w.copy(), hadamard(Dv)
    for k in range(blocks):
        s = slice(first + k * stride, first + k * stride + Dv)
        if axis == 0:
            w[s, :] = h @ w[s, :]
        else:
            w[:, s] = w[:, s] @ h
    return w


def pack(cfg, W, name, *flags):
    st, art = os.path.join(DIR, name + ".st"), os.path.join(DIR, name + ".tart")
    safetensors_ref.write(st, [(n, "F32", list(W[n].shape), W[n].astype(np.float32))
                               for n, _ in golf_ref.tensor_specs(cfg)], None)
    out = titan("pack", "--safetensors", st, "--config", os.path.join(DIR, "cfg.json"),
                "--tokenizer", TOK, "-o", art, "--json", *flags)
    return art, json.loads(out)


def exported(art):
    st = art + ".export.st"
    titan("export", art, "--safetensors", st)
    return {n: np.array(x, dtype=np.float64) for n, _, _, x in safetensors_ref.read(st)[0]}


def check_function(tag, cfg, W):
    plain, _ = pack(cfg, W, tag + ".plain", "--quant", "f32")
    folded, _ = pack(cfg, W, tag + ".folded", "--quant", "f32", "--hadamard")
    worst = 0.0
    for head in range(1, cfg["mtp_heads"] + 1):
        got = []
        for art in (plain, folded):
            out = art + ".logits"
            titan("logits", "-m", art, "--ids", IDS, "--head", head, "--out", out)
            got.append(np.fromfile(out, "<f4").astype(np.float64))
        err = np.abs(got[0] - got[1]).max() / np.abs(got[0]).max()
        assert err <= 1e-5, (tag, head, err)  # False for NaN
        worst = max(worst, err)
    A, B, how = exported(plain), exported(folded), turned(cfg)
    for n, a in A.items():
        if n in how:
            want = turn(a.reshape(B[n].shape), how[n], cfg["v_head_dim"])
            assert np.abs(B[n] - want).max() <= 1e-6 * np.abs(a).max(), n
            assert np.abs(B[n] - a).max() > 1e-3 * np.abs(a).max(), n + " not turned"
        else:
            assert np.array_equal(a, B[n]), n + " changed"
    print("%s: logits within %.3g relative, %d tensors turned as numpy turns them"
          % (tag, worst, len(how)))


def check_int6(tag, cfg, W):
    rng = np.random.default_rng(11)
    W = dict(W)
    for n in turned(cfg):
        if not n.endswith(".wo"):
            continue
        w = W[n].copy()
        mask = rng.random(w.shape) < 0.01
        w[mask] *= 12.0
        W[n] = w
    _, rep = pack(cfg, W, tag + ".outliers", "--quant", "int6", "--hadamard")
    errs = {e["tensor"]: (e["int6_before"], e["int6_after"]) for e in rep["hadamard"]}
    assert set(errs) == set(turned(cfg)), (sorted(errs), sorted(turned(cfg)))
    for n, (before, after) in errs.items():
        assert 0 < before < 1 and 0 < after < 1, (n, before, after)
        if n.endswith(".wo"):
            assert after < before, (n, before, after)
    wo = [a / b for n, (b, a) in errs.items() if n.endswith(".wo")]
    v = [a / b for n, (b, a) in errs.items() if not n.endswith(".wo")]
    print("%s: int6 error after/before: wo with outliers %.3f..%.3f, value side %.3f..%.3f"
          % (tag, min(wo), max(wo), min(v), max(v)))


def main():
    global TITAN, DIR, TOK, IDS
    TITAN, DIR = sys.argv[1], sys.argv[2]
    TOK, IDS = os.path.join(DIR, "byte.tok"), os.path.join(DIR, "ids")
    open(TOK, "wb").write(artifact_ref.byte_tokenizer())
    ids = np.random.default_rng(5).integers(0, 300, 40)
    open(IDS, "w").write(" ".join(map(str, ids)) + "\n")
    for tag, cfg in CONFIGS:
        json.dump(cfg, open(os.path.join(DIR, "cfg.json"), "w"))
        W = {n: t.numpy() for n, t in golf_ref.init_weights(cfg, seed=3).items()}
        check_function(tag, cfg, W)
        check_int6(tag, cfg, W)
    return 0


if __name__ == "__main__":
    sys.exit(main())
