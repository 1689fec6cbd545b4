#!/usr/bin/env bash
# xenith_logits.sh: `titan logits` of xenith models (SPEC section 9) equals
# tests/ref/xenith_ref.py (float64 PyTorch, whole-stream form) within 1e-4 of
# the largest logit, on the cpu and ref backends, at every position of a
# 150-token stream, longer than every window and segment: so the bounded
# caches (global slots + rings), top-k routing, unmerged adapters (random
# lora_B) and the summarizer with its FIFO LTM reproduce the full forward.
# titan logits feeds chunks of TITAN_XENITH_CHUNK (64) tokens, split at
# segment ends: windows smaller and larger than a chunk ("wide": 70 and 100,
# segments of 50 that chunks do not divide). Configs: every option alone,
# then all together.
. "$(dirname "$0")/lib/common.sh"
/usr/bin/python3 -c 'import torch' 2>/dev/null || skip "python3-torch not installed"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
REF=tests/ref/xenith_ref.py

/usr/bin/python3 - "$T" "$REF" <<'PY'
import json, os, random, sys
t, ref = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(ref)))
import xenith_ref
base = {"family": "xenith", "vocab_size": 300, "d_model": 16, "n_heads": 4, "n_kv_heads": 2,
        "head_dim": 4, "mlp_hidden": 24, "max_seq_len": 16, "n_layers": 2}
mem = {"stm_tokens": 4, "mem_slots": 2, "ltm_size": 3, "sum_layers": 2, "sum_heads": 2}
variants = {
    "plain": {},
    "windows": {"n_layers": 3, "attn_windows": [3, 5, 0], "n_global_tokens": 2},
    "window1": {"attn_windows": [1]},
    "moe": {"moe_experts": 4, "moe_dense_layers": 1, "moe_hidden": 8},
    "moe_k1": {"moe_experts": 3, "moe_top_k": 1, "moe_renormalize": False},
    "lora": {"lora_rank": 2, "lora_alpha": 3.0, "tie_embeddings": False,
             "lora_targets": ["wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down",
                              "lm_head"]},
    "memory": dict(mem, attn_windows=[2], mem_read_layers=[1]),
    "softcap": {"logit_softcap": 2.0, "rope_base": 500.0, "norm_eps": 1e-3},
    "wide": dict(mem, attn_windows=[70, 100], n_global_tokens=3, stm_tokens=50,
                 moe_experts=4, moe_dense_layers=1, moe_hidden=8, lora_rank=2,
                 lora_targets=["wq", "wo", "router", "w_gate"]),
    "all": dict(mem, n_layers=3, attn_windows=[3, 2, 0], n_global_tokens=1,
                moe_experts=4, moe_top_k=2, moe_dense_layers=1, moe_hidden=8,
                lora_rank=2, lora_alpha=4.0, tie_embeddings=False,
                lora_targets=["wq", "wv", "router", "w_up", "w_down", "lm_head"],
                mem_read_layers=[0, 2], logit_softcap=30.0),
}
for name, v in variants.items():
    json.dump(dict(base, **v), open("%s/%s.json" % (t, name), "w"))
    xenith_ref.main(["--config", "%s/%s.json" % (t, name), "--write-weights",
                     "%s/%s.st" % (t, name), "--seed", "7"])
random.seed(5)
open(t + "/ids", "w").write(" ".join(str(random.randrange(300)) for _ in range(150)))
open(t + "/variants", "w").write(" ".join(variants))
PY

"$TITAN" init --config "$T/plain.json" -o "$T/tok.tart" >/dev/null
"$TITAN" export "$T/tok.tart" --safetensors "$T/tok.st" >/dev/null
for v in $(cat "$T/variants"); do
    "$TITAN" pack --safetensors "$T/$v.st" --config "$T/$v.json" --tokenizer "$T/tok.tok" \
        --quant f32 -o "$T/$v.tart" >/dev/null
    for be in cpu ref; do
        "$TITAN" logits -m "$T/$v.tart" --ids "$T/ids" --backend $be --out "$T/$v.$be" \
            >/dev/null 2>&1 || fail "$v: titan logits --backend $be"
    done
done
/usr/bin/python3 - "$T" "$REF" <<'PY' || fail "logits differ from the reference"
import os, sys
import numpy as np
t, ref = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(ref)))
import xenith_ref
ids = [int(x) for x in open(t + "/ids").read().split()]
bad = 0
for v in open(t + "/variants").read().split():
    cfg = xenith_ref.load_config(t + "/%s.json" % v)
    want = xenith_ref.forward(xenith_ref.read_safetensors(t + "/%s.st" % v), cfg, ids).numpy()
    for be in ("cpu", "ref"):
        got = np.fromfile(t + "/%s.%s" % (v, be), "<f4").reshape(want.shape)
        err = np.abs(got - want).max() / np.abs(want).max()
        ok = np.isfinite(got).all() and err <= 1e-4
        print("%-8s %s %.2e%s" % (v, be, err, "" if ok else "  FAIL"))
        bad += not ok
sys.exit(1 if bad else 0)
PY
echo "xenith logits ok"
