#!/usr/bin/python3
"""golf_import_check.py: the checks of tests/e2e/golf_import.sh.

    golf_import_check.py logits REF.f64 GOT.f32 LABEL
        titan's logits (float32) against the record-structured PyTorch model's
        (float64): max |diff| / max |ref| <= 1e-4 (fails on NaN); prints both.
    golf_import_check.py record DIR LABEL
        logits DIR/logits.f64 DIR/f.logits, layout DIR, logits DIR/logits_q.f64
        DIR/q.logits (the files golf_import.sh writes).
    golf_import_check.py layout DIR
        the record's quantized tensors (DIR/quant_plain.pt, unbanked record
        names) against the import (DIR/q.st: NAME.q, NAME.scale) and titan's
        export of the int6/int8 pack (DIR/qx.st) and its inspect (DIR/q.json):
        the same integers (up to the RoPE rows' sign, which the import flips)
        and the same scales, stored as int6/int8, and exported values equal to
        q * scale bit for bit. Equal products with the same q and scale are
        the only way when a row's integers have gcd 1 and one of them exceeds
        qmax / 2, which is checked too (else the row could be 2q at scale/2).
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_ref  # noqa: E402

# record (unbanked) name suffix -> SPEC name suffix, for the quantized tensors
NAMES = {"attn.c_q.weight": "wq", "attn.c_k.weight": "wk", "attn.c_v.weight": "wv",
         "attn.proj.weight": "wo", "mlp.fc.weight": "w_up", "mlp.proj.weight": "w_down",
         "attn.in_proj_qkv.weight": "gdn_qkv", "attn.in_proj_z.weight": "gdn_z",
         "attn.out_proj.weight": "gdn_o"}
TOP = {"tok_emb.weight": "tok_emb", "ve_shared.embed.weight": "value_embed.table",
       "bigram.embed.weight": "bigram.table", "bigram.proj.weight": "bigram.proj",
       "ve_shared.proj.weight": "value_embed.proj"}


def read_st(path):
    tensors, _ = safetensors_ref.read(path)
    return {name: np.array(x) for name, _, _, x in tensors}


def logits(ref_path, got_path, label):
    ref = np.fromfile(ref_path, "<f8")
    got = np.fromfile(got_path, "<f4").astype(np.float64)
    assert ref.shape == got.shape, (ref.shape, got.shape)
    diff = np.abs(ref - got).max()
    rel = diff / np.abs(ref).max()
    print("%s: max |logit diff| %.3g (max |logit| %.3g, relative %.3g)"
          % (label, diff, np.abs(ref).max(), rel))
    return 0 if rel <= 1e-4 else 1  # False for NaN


def spec_name(rec):
    if rec in TOP:
        return TOP[rec]
    _, b, rest = rec.split(".", 2)
    return "blocks.%s.%s" % (b, NAMES[rest])


def rope_sign(spec, cfg, rows):
    """+1 / -1 per row: the import negates dims Dr/2..Dr-1 of each head of wq, wk."""
    s = np.ones(rows)
    if spec.endswith((".wq", ".wk")):
        Dh, Dr = cfg["head_dim"], cfg["rope_dim"]
        for r in range(rows):
            if Dr // 2 <= r % Dh < Dr:
                s[r] = -1
    return s


def layout(d):
    q = torch.load(os.path.join(d, "quant_plain.pt"))
    cfg = json.load(open(os.path.join(d, "q.json")))
    imp, exp = read_st(os.path.join(d, "q.st")), read_st(os.path.join(d, "qx.st"))
    types = {t["name"]: t["type"] for t in json.load(open(os.path.join(d, "qi.json")))["tensors"]}
    n = {"int6": 0, "int8": 0}
    for rec, info in q["m"].items():
        if info == "passthrough":
            continue
        spec, kind = spec_name(rec), info["type"]
        qr = q["w"][rec + ".q"].numpy().astype(np.int64)
        sr = q["w"][rec + ".scale"].float().numpy()
        qi, si = imp[spec + ".q"].astype(np.int64), imp[spec + ".scale"]
        sign = rope_sign(spec, cfg, qr.shape[0])
        assert np.array_equal(qi, qr * sign[:, None].astype(np.int64)), spec + ": integers"
        assert np.array_equal(si, sr), spec + ": scales"
        assert types[spec] in ({"int6", "int6b"} if kind == "int6" else {"int8"}), \
            (spec, kind, types[spec])
        want = (qi.astype(np.float32) * si.astype(np.float32)[:, None]).astype(np.float32)
        assert np.array_equal(exp[spec].astype(np.float32), want), spec + ": exported values"
        qmax = 31 if kind == "int6" else 127
        for r in range(qr.shape[0]):
            row = np.abs(qr[r])
            assert math.gcd(*row.tolist()) == 1 and row.max() > qmax // 2, (spec, r)
        n[kind] += 1
    # for the script to refuse: a NAME.scale without its NAME.q; one a row short
    tensors, _ = safetensors_ref.read(os.path.join(d, "q.st"))
    first = next(t[0][:-2] for t in tensors if t[0].endswith(".q"))
    safetensors_ref.write(os.path.join(d, "bad1.st"),
                          [t for t in tensors if t[0] != first + ".q"], None)
    safetensors_ref.write(os.path.join(d, "bad2.st"), [
        (n, dt, [sh[0] - 1] if n == first + ".scale" else sh,
         x[:-1] if n == first + ".scale" else x) for n, dt, sh, x in tensors], None)
    print("int6 layout: %d int6 and %d int8 tensors of the record kept as they are "
          "(same integers, same scales)" % (n["int6"], n["int8"]))
    assert n["int6"] > 0 and n["int8"] > 0, n
    return 0


def record(d, rec):
    """The three checks of one record's directory (one Python start-up)."""
    ok = logits(os.path.join(d, "logits.f64"), os.path.join(d, "f.logits"),
                rec + " float state dict") == 0
    ok = ok and layout(d) == 0
    return 0 if ok and logits(os.path.join(d, "logits_q.f64"), os.path.join(d, "q.logits"),
                              rec + " quantized artifact") == 0 else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["record"] and len(sys.argv) == 4:
        sys.exit(record(*sys.argv[2:]))
    if sys.argv[1:2] == ["logits"] and len(sys.argv) == 5:
        sys.exit(logits(*sys.argv[2:]))
    if sys.argv[1:2] == ["layout"] and len(sys.argv) == 3:
        sys.exit(layout(sys.argv[2]))
    sys.exit(__doc__)
